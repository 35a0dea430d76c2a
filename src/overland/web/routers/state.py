"""The network's state: health, places, scenarios, commodities, timeline, GeoJSON and the
utility layers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ...export import state_geojson
from ...graph import graph_of
from ...places import name_key
from ...timeline import date_notes, diff_states, parse_date, scenario_summaries, timeline_events
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
        doc["properties"]["notes"] = date_notes(network, state.date, scenario)
        return doc

    return await ctx.compute(f"network:{state.date}|{scenario}", work)


@router.get("/diff")
async def diff(
    ctx: Ctx,
    a: Annotated[str, Query(max_length=64, description="scenario id or none")] = "none",
    b: Annotated[str, Query(max_length=64, description="scenario id or none")] = "none",
    date: Annotated[str | None, Query(max_length=10, description="both states")] = None,
    date_a: Annotated[str | None, Query(max_length=10)] = None,
    date_b: Annotated[str | None, Query(max_length=10)] = None,
) -> dict[str, Any]:
    """What changes from state A to state B: events, links, crossings and rules whose
    status changes (each state on ``date_a``/``date_b``, else ``date``, else as the CLI's
    compare: a scenario at its horizon, no scenario at the package's ``data_as_of``).
    Changed links come as a GeoJSON ``layer``."""
    network = ctx.network
    sa = None if a.lower() == "none" else a
    sb = None if b.lower() == "none" else b
    da, db = date_a or date, date_b or date
    state_a = network.as_of(parse_date(da) if da else None, sa)
    state_b = network.as_of(parse_date(db) if db else None, sb)

    def work(_deadline: float) -> dict[str, Any]:
        d = diff_states(state_a, state_b)
        places = network.places
        features = []
        for lid, before, after in d.links_changed:
            link = network.links[lid]
            pa, pb = places[link.from_place], places[link.to_place]
            features.append(
                {
                    "type": "Feature",
                    "id": f"link:{lid}",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[pa.lon, pa.lat], [pb.lon, pb.lat]],
                    },
                    "properties": {
                        "id": lid,
                        "name": link.name or f"{pa.name}–{pb.name}",
                        "mode": link.mode,
                        "from_name": pa.name,
                        "to_name": pb.name,
                        "before": before,
                        "after": after,
                    },
                }
            )
        return {
            "a": {"scenario": sa, "date": state_a.date.isoformat()},
            "b": {"scenario": sb, "date": state_b.date.isoformat()},
            "events_added": list(d.events_added),
            "events_removed": list(d.events_removed),
            "links_changed": [{"id": i, "before": x, "after": y} for i, x, y in d.links_changed],
            "crossings_changed": [
                {"id": i, "before": x, "after": y} for i, x, y in d.crossings_changed
            ],
            "rules_changed": [
                {"id": i, "title": network.rules[i].title, "before": x, "after": y}
                for i, x, y in d.rules_changed
            ],
            "layer": {"type": "FeatureCollection", "features": features},
        }

    key = f"diff:{sa}|{state_a.date}|{sb}|{state_b.date}"
    return await ctx.compute(key, work)


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
