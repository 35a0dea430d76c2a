"""Routes, comparisons, skims and redundancy: cheap, bounded work on worker threads."""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ...args import parse_list, parse_modes, parse_scenarios
from ...compare import compare_routes
from ...errors import BadArgumentError
from ...routing import (
    Objective,
    alternative_routes,
    route_shaping,
    shaping_fields,
    shortest_route,
)
from ...schema import Mode
from ...skim import skim
from ...timeline import parse_date
from ..config import Limits
from ..deps import Ctx

__all__ = ["build"]


def build(limits: Limits) -> APIRouter:
    """The routing endpoints, their limits taken from ``limits`` (shown in the OpenAPI)."""
    router = APIRouter(prefix="/api", tags=["routes"])
    _route_endpoints(router, limits)
    _table_endpoints(router, limits)
    return router


def _route_endpoints(router: APIRouter, limits: Limits) -> None:
    """GET and POST /api/route."""

    class RouteQuery(BaseModel):
        """A route request (the POST body; GET takes the same fields as query parameters)."""

        model_config = ConfigDict(extra="forbid", frozen=True)

        origin: str = Field(min_length=1, max_length=100)
        destination: str = Field(min_length=1, max_length=100)
        date: dt.date | None = None
        scenario: str | None = Field(None, max_length=64)
        commodity: str | None = Field(None, max_length=64)
        avoid: list[str] = Field(default_factory=list, max_length=30)
        modes: list[Mode] | None = None
        via: str | None = Field(None, max_length=100)
        k: int = Field(3, ge=1, le=limits.max_alternatives)
        objective: Objective = "generalized"

    async def routes(ctx: Ctx, q: RouteQuery) -> dict[str, Any]:
        network = ctx.network

        def work(deadline: float) -> dict[str, Any]:
            kw: dict[str, Any] = {
                "date": q.date,
                "scenario": q.scenario,
                "commodity": q.commodity,
                "avoid_countries": q.avoid,
                "modes": q.modes,
                "via": q.via,
                "objective": q.objective,
            }
            if q.k == 1:
                found = [shortest_route(network, q.origin, q.destination, **kw)]
            else:
                found = alternative_routes(
                    network, q.origin, q.destination, k=q.k, deadline=deadline, **kw
                )
            shaping = route_shaping(
                network, found[0], avoid_countries=q.avoid, modes=q.modes, via=q.via
            )
            return {"routes": [r.as_dict() for r in found], **shaping_fields(shaping)}

        return await ctx.compute("route:" + q.model_dump_json(), work)

    @router.get("/route")
    async def route_get(
        ctx: Ctx,
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        commodity: Annotated[str | None, Query(max_length=64)] = None,
        avoid: Annotated[str, Query(max_length=200, description="CC,CC")] = "",
        modes: Annotated[str, Query(max_length=100, description="rail,ferry")] = "",
        via: Annotated[str | None, Query(max_length=100)] = None,
        k: Annotated[int, Query(ge=1, le=limits.max_alternatives)] = 3,
        objective: Annotated[Objective, Query()] = "generalized",
    ) -> dict[str, Any]:
        """Best route and up to ``k`` alternatives with their full breakdown."""
        q = RouteQuery(
            origin=origin,
            destination=destination,
            date=parse_date(date) if date else None,
            scenario=scenario,
            commodity=commodity,
            avoid=parse_list(avoid),
            modes=parse_modes(modes),
            via=via,
            k=k,
            objective=objective,
        )
        return await routes(ctx, q)

    @router.post("/route")
    async def route_post(ctx: Ctx, q: RouteQuery) -> dict[str, Any]:
        """The same as GET /api/route, with a JSON body."""
        return await routes(ctx, q)


def _table_endpoints(router: APIRouter, limits: Limits) -> None:
    """Comparisons, skims and redundancy."""

    class SkimQuery(BaseModel):
        """A skim request: a set of places and the state to skim on."""

        model_config = ConfigDict(extra="forbid")

        places: list[str] = Field(min_length=2, max_length=limits.max_skim_places)
        date: dt.date | None = None
        scenario: str | None = Field(None, max_length=64)
        commodity: str | None = Field(None, max_length=64)
        objective: Objective = "generalized"

    @router.get("/compare")
    async def compare(
        ctx: Ctx,
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        dates: Annotated[str, Query(max_length=200, description="D1,D2")] = "",
        scenarios: Annotated[str, Query(max_length=300, description="S1,none")] = "",
        modes: Annotated[str, Query(max_length=100)] = "",
        avoid: Annotated[str, Query(max_length=200)] = "",
        commodity: Annotated[str | None, Query(max_length=64)] = None,
        objective: Annotated[Objective, Query()] = "generalized",
    ) -> dict[str, Any]:
        """The best route on several dates and/or scenarios, side by side (a scenario
        without a date is evaluated at its horizon)."""
        date_list = [parse_date(d) for d in parse_list(dates)]
        scen = parse_scenarios(scenarios)
        if max(len(date_list), 1) * max(len(scen), 1) > limits.max_compare:
            raise BadArgumentError(
                f"at most {limits.max_compare} date/scenario combinations, "
                f"got {max(len(date_list), 1) * max(len(scen), 1)}"
            )
        mode_list = parse_modes(modes)
        avoid_list = parse_list(avoid)
        network = ctx.network

        def work(_deadline: float) -> dict[str, Any]:
            return compare_routes(
                network,
                origin,
                destination,
                dates=date_list,
                scenarios=scen,
                modes=mode_list,
                avoid_countries=avoid_list,
                commodity=commodity,
                objective=objective,
            ).as_dict()

        key = (
            f"compare:{origin}|{destination}|{date_list}|{scen}|{mode_list}|{avoid_list}"
            f"|{commodity}|{objective}"
        )
        return await ctx.compute(key, work)

    @router.post("/skim")
    async def skim_post(ctx: Ctx, q: SkimQuery) -> dict[str, Any]:
        """Time, cost and distance between a set of places."""
        network = ctx.network

        def clean(m: Any) -> list[list[float | None]]:
            return [[None if v == float("inf") else round(float(v), 4) for v in row] for row in m]

        def work(deadline: float) -> dict[str, Any]:
            s = skim(
                network,
                places=q.places,
                date=q.date,
                scenario=q.scenario,
                commodity=q.commodity,
                objective=q.objective,
                deadline=deadline,
            )
            return {
                "places": list(s.places),
                "date": s.date.isoformat(),
                "time_h": clean(s.time_h),
                "cost_usd_per_t": clean(s.cost_usd_per_t),
                "distance_km": clean(s.distance_km),
            }

        return await ctx.compute("skim:" + q.model_dump_json(), work)

    @router.get("/redundancy")
    async def redundancy(
        ctx: Ctx,
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        commodity: Annotated[str | None, Query(max_length=64)] = None,
        max_routes: Annotated[int, Query(ge=1, le=10)] = 5,
    ) -> dict[str, Any]:
        """Alternatives between two places that share no transit country."""
        from ...analyses.dependence import redundancy as run

        network = ctx.network
        when = parse_date(date) if date else None

        def work(_deadline: float) -> dict[str, Any]:
            return run(
                network,
                origin,
                destination,
                date=when,
                scenario=scenario,
                commodity=commodity,
                max_routes=max_routes,
            ).as_dict()

        key = f"redundancy:{origin}|{destination}|{when}|{scenario}|{commodity}|{max_routes}"
        return await ctx.compute(key, work)
