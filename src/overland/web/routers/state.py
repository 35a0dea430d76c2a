"""The network's state: health, places, scenarios, commodities, timeline, GeoJSON and the
utility layers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ...export import state_geojson
from ...graph import graph_of
from ...places import name_key
from ...timeline import parse_date, scenario_summaries, timeline_events
from ..deps import Ctx

__all__ = ["layers", "router"]

router = APIRouter(prefix="/api", tags=["network"])
layers = APIRouter(prefix="/api", tags=["layers"])


@router.get("/health")
async def health(ctx: Ctx) -> dict[str, Any]:
    """Liveness, what is loaded and the job queue (answered on the event loop at once)."""
    return {
        "ok": True,
        "package": ctx.network.manifest.name,
        "title": ctx.network.manifest.title,
        "data_as_of": ctx.network.manifest.data_as_of.isoformat(),
        "places": len(ctx.network.places),
        "jobs": ctx.jobs.stats(),
    }


@router.get("/places")
async def places(
    ctx: Ctx,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> dict[str, Any]:
    """Places whose id, name or alias contains ``q`` (any spelling)."""
    network = ctx.network

    def work(_deadline: float) -> dict[str, Any]:
        key = name_key(q)
        out = []
        for p in network.places.values():
            if not key or any(key in name_key(n) for n in (p.id, p.name, *p.aliases)):
                out.append(
                    {
                        "id": p.id,
                        "name": p.name,
                        "aliases": list(p.aliases),
                        "country": p.country,
                        "lat": p.lat,
                        "lon": p.lon,
                        "kind": p.kind,
                        "freight": bool(graph_of(network).nodes_at(p.id).size),
                    }
                )
                if len(out) >= limit:
                    break
        return {"places": out}

    return await ctx.compute(f"places:{q}|{limit}", work)


@router.get("/scenarios")
async def scenarios(ctx: Ctx) -> dict[str, Any]:
    """The shipped scenarios with their horizon and the events they add."""
    network = ctx.network

    def work(_deadline: float) -> dict[str, Any]:
        return {"scenarios": scenario_summaries(network)}

    return await ctx.compute("scenarios", work)


@router.get("/commodities")
async def commodities(ctx: Ctx) -> dict[str, Any]:
    """Commodity classes."""
    return {
        "commodities": [
            {"id": c.id, "name": c.name, "unit": c.unit} for c in ctx.network.commodities.values()
        ]
    }


@router.get("/timeline")
async def timeline(
    ctx: Ctx, scenario: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    """Timeline events (with a scenario: its planned events too) and their sources."""
    network = ctx.network

    def work(_deadline: float) -> dict[str, Any]:
        return {
            "scenario": scenario,
            "events": [
                {
                    "id": e.id,
                    "date": e.date.isoformat(),
                    "date_precision": e.date_precision,
                    "status": e.status,
                    "title": e.title,
                    "sources": [
                        {"title": network.sources[s].title, "url": network.sources[s].url}
                        for s in e.source
                    ],
                }
                for e in timeline_events(network, scenario)
            ],
        }

    return await ctx.compute(f"timeline:{scenario}", work)


@router.get("/network")
async def network_geojson(
    ctx: Ctx,
    date: Annotated[str | None, Query(max_length=10)] = None,
    scenario: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Places and links as GeoJSON, each link with its status on the date."""
    network = ctx.network
    state = network.as_of(parse_date(date) if date else None, scenario)

    def work(_deadline: float) -> dict[str, Any]:
        doc = state_geojson(state)
        doc["properties"]["rules_in_force"] = [
            {"id": r.id, "title": r.title} for r in state.rules_in_force()
        ]
        return doc

    return await ctx.compute(f"network:{state.date}|{scenario}", work)


@layers.get("/capacity")
async def capacity(
    ctx: Ctx,
    layer: Annotated[Literal["oil_pipeline", "gas_pipeline", "fibre", "power"], Query()],
    source: Annotated[str, Query(alias="from", min_length=1, max_length=200)],
    sink: Annotated[str, Query(alias="to", min_length=1, max_length=200)],
    date: Annotated[str | None, Query(max_length=10)] = None,
    scenario: Annotated[str | None, Query(max_length=64)] = None,
    n1: bool = False,
) -> dict[str, Any]:
    """Maximum flow between two regions on a utility layer, its minimum cut and (with n1)
    the single-line failures ranked."""
    from ...analyses.layers import max_capacity, n_minus_1

    network = ctx.network
    when = parse_date(date) if date else None

    def work(_deadline: float) -> dict[str, Any]:
        doc = max_capacity(network, layer, source, sink, date=when, scenario=scenario).as_dict()
        if n1:
            doc["n_minus_1"] = [
                {"link": lid, "max_flow_without": v, "capacity_lost": loss}
                for lid, v, loss in n_minus_1(
                    network, layer, source, sink, date=when, scenario=scenario
                )
            ]
        return doc

    return await ctx.compute(f"capacity:{layer}|{source}|{sink}|{when}|{scenario}|{n1}", work)


@layers.get("/latency")
async def latency(
    ctx: Ctx,
    origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
    destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
    date: Annotated[str | None, Query(max_length=10)] = None,
    scenario: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """The lowest-latency fibre route between two places."""
    from ...analyses.layers import fibre_latency

    network = ctx.network
    when = parse_date(date) if date else None

    def work(_deadline: float) -> dict[str, Any]:
        return fibre_latency(network, origin, destination, date=when, scenario=scenario).as_dict()

    return await ctx.compute(f"latency:{origin}|{destination}|{when}|{scenario}", work)
