"""HTTP API and map page: a thin FastAPI adapter over the library.

``create_app(config)`` builds the app; tests drive it in-process. Every error is a JSON
problem body ``{"error": {"type", "message", ...}}`` with a 4xx status — never a 500 for
bad input. The map page and its front-end libraries are served by the same process
(libraries from ``web/node_modules``, installed from npm at setup time).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import (
    BadArgumentError,
    NetworkDataError,
    NoRouteError,
    OverlandError,
    ScenarioError,
    UnknownPlaceError,
)
from .export import element_layer, state_geojson
from .network import Network, load_network
from .package import embedded_package_path
from .places import name_key
from .routing import alternative_routes, shortest_route
from .schema import MODES
from .skim import skim
from .timeline import parse_date, scenario_horizon, timeline_events

__all__ = ["ServerConfig", "create_app"]

log = logging.getLogger("overland.api")
WEB = Path(__file__).parent / "web"


def _default_assets() -> Path:
    return Path(__file__).resolve().parents[2] / "web" / "node_modules"


class ServerConfig(BaseModel):
    """Everything the server needs, passed in (no globals, no environment reads)."""

    model_config = ConfigDict(frozen=True)

    package: Path | None = None
    assets: Path = Field(default_factory=_default_assets)
    max_body_bytes: int = Field(64_000, ge=1_000)
    max_alternatives: int = Field(20, ge=1, le=50)
    max_skim_places: int = Field(60, ge=2)
    cors_origins: tuple[str, ...] = ()


class RouteQuery(BaseModel):
    """A route request (the POST body; GET takes the same fields as query parameters)."""

    model_config = ConfigDict(extra="forbid")

    origin: str = Field(min_length=1, max_length=100)
    destination: str = Field(min_length=1, max_length=100)
    date: dt.date | None = None
    scenario: str | None = Field(None, max_length=64)
    commodity: str | None = Field(None, max_length=64)
    avoid: list[str] = Field(default_factory=list, max_length=30)
    modes: list[Literal["rail", "road", "ferry", "sea"]] | None = None
    via: str | None = Field(None, max_length=100)
    k: int = Field(3, ge=1, le=50)
    objective: Literal["time", "cost", "generalized"] = "generalized"


class DisruptQuery(BaseModel):
    """Close elements for some days."""

    model_config = ConfigDict(extra="forbid")

    close: list[str] = Field(min_length=1, max_length=50)
    days: float = Field(gt=0, le=365)
    date: dt.date | None = None
    scenario: str | None = Field(None, max_length=64)
    growth: float = Field(1.0, gt=0, le=100)


class SkimQuery(BaseModel):
    """A skim request: a set of places and the state to skim on."""

    model_config = ConfigDict(extra="forbid")

    places: list[str] = Field(min_length=2, max_length=500)
    date: dt.date | None = None
    scenario: str | None = Field(None, max_length=64)
    objective: Literal["time", "cost", "generalized"] = "generalized"


class _LimitsAndLog:
    """Pure ASGI middleware: refuse oversized bodies (413) and log every request."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body:
            response = _problem(413, "too_large", f"request body over {self.max_body} bytes")
            await response(scope, receive, send)
            return
        status = {"code": 0}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, send_wrapper)
        log.info(
            "%s %s %s %.1f ms",
            scope["method"],
            scope["path"],
            status["code"],
            (time.perf_counter() - t0) * 1000,
        )


def _problem(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message, **extra}}, status_code=status)


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The API and the map page for one network package."""
    cfg = config or ServerConfig()
    network: Network = load_network(cfg.package or embedded_package_path())
    app = FastAPI(
        title="Overland",
        version="0.1.0",
        description="Freight-corridor routes, timeline and network of the "
        f"{network.manifest.title} package.",
    )
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(cfg.cors_origins), allow_methods=["GET", "POST"]
        )

    app.add_middleware(_LimitsAndLog, max_body=cfg.max_body_bytes)

    @app.exception_handler(NoRouteError)
    async def no_route(_r: Request, exc: NoRouteError) -> JSONResponse:
        return _problem(404, exc.type_name, str(exc), blocked_by=list(exc.blocked_by))

    @app.exception_handler(UnknownPlaceError)
    async def unknown_place(_r: Request, exc: UnknownPlaceError) -> JSONResponse:
        return _problem(404, exc.type_name, str(exc), suggestions=list(exc.suggestions))

    @app.exception_handler(OverlandError)
    async def overland_error(_r: Request, exc: OverlandError) -> JSONResponse:
        status = (
            422 if isinstance(exc, BadArgumentError | ScenarioError | NetworkDataError) else 400
        )
        return _problem(status, getattr(exc, "type_name", "error"), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(x) for x in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        text = "; ".join(f"{p['where']}: {p['message']}" for p in problems)
        return _problem(422, "bad_request", text, problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, "http", str(exc.detail))

    def _date(value: str | None) -> dt.date | None:
        return parse_date(value) if value else None

    # ------------------------------------------------------------------ endpoints

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Liveness and what is loaded."""
        return {"ok": True, "package": network.manifest.name, "places": len(network.places)}

    @app.get("/api/places")
    def places(
        q: Annotated[str, Query(max_length=100)] = "",
        limit: Annotated[int, Query(ge=1, le=500)] = 500,
    ) -> dict[str, Any]:
        """Places whose id, name or alias contains ``q`` (any spelling)."""
        key = name_key(q)
        out = []
        for p in network.places.values():
            names = [p.id, p.name, *p.aliases]
            if not key or any(key in name_key(n) for n in names):
                out.append(
                    {
                        "id": p.id,
                        "name": p.name,
                        "aliases": list(p.aliases),
                        "country": p.country,
                        "lat": p.lat,
                        "lon": p.lon,
                        "kind": p.kind,
                    }
                )
        return {"places": out[:limit]}

    @app.get("/api/scenarios")
    def scenarios() -> dict[str, Any]:
        """The shipped scenarios with their horizon and the events they add."""
        return {
            "scenarios": [
                {
                    "id": sid,
                    "title": sc.title,
                    "horizon": scenario_horizon(network, sid).isoformat(),
                    "events": [
                        e.id for e in timeline_events(network, sid) if e.status != "happened"
                    ],
                }
                for sid, sc in sorted(network.scenarios.items())
            ]
        }

    @app.get("/api/commodities")
    def commodities() -> dict[str, Any]:
        """Commodity classes."""
        return {
            "commodities": [
                {"id": c.id, "name": c.name, "unit": c.unit} for c in network.commodities.values()
            ]
        }

    @app.get("/api/timeline")
    def timeline(scenario: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
        """Timeline events (with a scenario: its planned events too) and their sources."""
        events = timeline_events(network, scenario)
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
                for e in events
            ],
        }

    @app.get("/api/network")
    def network_geojson(
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:
        """Places and links as GeoJSON, each link with its status on the date."""
        state = network.as_of(_date(date), scenario)
        doc = state_geojson(state)
        doc["properties"]["rules_in_force"] = [
            {"id": r.id, "title": r.title} for r in state.rules_in_force()
        ]
        return doc

    def _routes(q: RouteQuery) -> dict[str, Any]:
        if q.k > cfg.max_alternatives:
            raise BadArgumentError(f"k must be between 1 and {cfg.max_alternatives}, got {q.k}")
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
            routes = [shortest_route(network, q.origin, q.destination, **kw)]
        else:
            routes = alternative_routes(network, q.origin, q.destination, k=q.k, **kw)
        places_of = network.places
        return {
            "routes": [
                {
                    **r.to_dict(),
                    "steps": [
                        {
                            "kind": s.kind,
                            "label": s.label,
                            "place": s.place,
                            "distance_km": round(s.distance_km, 2),
                            "time_h": round(s.time_h, 3),
                            "cost_usd_per_t": round(s.cost_usd_per_t, 3),
                        }
                        for s in r.steps
                    ],
                    "coordinates": [[places_of[p].lon, places_of[p].lat] for p in r.places],
                }
                for r in routes
            ]
        }

    @app.get("/api/route", response_model=None)
    async def route_get(
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        commodity: Annotated[str | None, Query(max_length=64)] = None,
        avoid: Annotated[str, Query(max_length=200, description="CC,CC")] = "",
        modes: Annotated[str, Query(max_length=100, description="rail,ferry")] = "",
        via: Annotated[str | None, Query(max_length=100)] = None,
        k: Annotated[int, Query(ge=1, le=50)] = 3,
        objective: Annotated[Literal["time", "cost", "generalized"], Query()] = "generalized",
    ) -> JSONResponse:
        """Best route and up to ``k`` alternatives with their full breakdown."""
        mode_list = [m.strip() for m in modes.split(",") if m.strip()]
        for m in mode_list:
            if m not in MODES:
                raise BadArgumentError(f"unknown mode {m!r}; valid: {', '.join(MODES)}")
        q = RouteQuery(
            origin=origin,
            destination=destination,
            date=_date(date),
            scenario=scenario,
            commodity=commodity,
            avoid=[a.strip() for a in avoid.split(",") if a.strip()],
            modes=mode_list or None,
            via=via,
            k=k,
            objective=objective,
        )
        return JSONResponse(_routes(q))

    @app.post("/api/route")
    def route_post(q: RouteQuery) -> dict[str, Any]:
        """The same as GET /api/route, with a JSON body."""
        return _routes(q)

    @app.get("/api/compare")
    def compare(
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        dates: Annotated[str, Query(max_length=200, description="D1,D2")] = "",
        scenarios: Annotated[str, Query(max_length=300, description="S1,none")] = "",
        modes: Annotated[str, Query(max_length=100)] = "",
        avoid: Annotated[str, Query(max_length=200)] = "",
    ) -> dict[str, Any]:
        """The best route on several dates and/or scenarios, side by side."""
        date_list: list[str | None] = [d.strip() for d in dates.split(",") if d.strip()] or [None]
        scen = [
            None if s.strip().lower() == "none" else s.strip()
            for s in scenarios.split(",")
            if s.strip()
        ] or [None]
        if len(date_list) * len(scen) > 12:
            raise BadArgumentError("at most 12 date/scenario combinations")
        mode_list = [m.strip() for m in modes.split(",") if m.strip()] or None
        rows: list[dict[str, Any]] = []
        for sc in scen:
            for d in date_list:
                try:
                    r = shortest_route(
                        network,
                        origin,
                        destination,
                        date=_date(d),
                        scenario=sc,
                        modes=mode_list,
                        avoid_countries=[a for a in avoid.split(",") if a],
                    )
                    rows.append(
                        {
                            "date": r.date.isoformat(),
                            "scenario": sc,
                            "exists": True,
                            "route": r.to_dict(),
                        }
                    )
                except NoRouteError as exc:
                    rows.append(
                        {
                            "date": d,
                            "scenario": sc,
                            "exists": False,
                            "reason": str(exc),
                            "blocked_by": list(exc.blocked_by),
                        }
                    )
        return {"rows": rows}

    @app.post("/api/skim")
    def skim_post(q: SkimQuery) -> dict[str, Any]:
        """Time, cost and distance between a set of places (at most max_skim_places)."""
        if len(q.places) > cfg.max_skim_places:
            raise BadArgumentError(
                f"at most {cfg.max_skim_places} places per skim, got {len(q.places)}"
            )
        s = skim(network, places=q.places, date=q.date, scenario=q.scenario, objective=q.objective)

        def clean(m: Any) -> list[list[float | None]]:
            return [[None if v == float("inf") else round(float(v), 4) for v in row] for row in m]

        return {
            "places": list(s.places),
            "date": s.date.isoformat(),
            "time_h": clean(s.time_h),
            "cost_usd_per_t": clean(s.cost_usd_per_t),
            "distance_km": clean(s.distance_km),
        }

    @app.get("/api/capacity")
    def capacity(
        layer: Annotated[Literal["oil_pipeline", "gas_pipeline", "fibre", "power"], Query()],
        source: Annotated[str, Query(alias="from", min_length=1, max_length=200)],
        sink: Annotated[str, Query(alias="to", min_length=1, max_length=200)],
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        n1: bool = False,
    ) -> dict[str, Any]:
        """Maximum flow between two regions on a utility layer, its minimum cut and
        (with n1) the single-line failures ranked."""
        from .utilities import max_capacity, n_minus_1

        r = max_capacity(network, layer, source, sink, date=_date(date), scenario=scenario)
        doc = r.as_dict()
        if n1:
            doc["n_minus_1"] = [
                {"link": lid, "max_flow_without": v, "capacity_lost": loss}
                for lid, v, loss in n_minus_1(
                    network, layer, source, sink, date=_date(date), scenario=scenario
                )
            ]
        return doc

    @app.get("/api/latency")
    def latency(
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:
        """The lowest-latency fibre route between two places."""
        from .utilities import fibre_latency

        return fibre_latency(
            network, origin, destination, date=_date(date), scenario=scenario
        ).as_dict()

    # ------------------------------------------------------------------ flows and resilience

    memo: dict[tuple[object, ...], Any] = {}  # heavy results of this app, a few kept

    def _cached(key: tuple[object, ...], compute: Any) -> Any:
        if key not in memo:
            if len(memo) >= 16:
                memo.pop(next(iter(memo)))
            memo[key] = compute()
        return memo[key]

    @app.get("/api/flows")
    def flows(
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        growth: Annotated[float, Query(gt=0, le=100)] = 1.0,
    ) -> dict[str, Any]:
        """Corridor flows at equilibrium: shares, Caspian tonnage, bottlenecks, and a map
        layer of every loaded link (tonnes, volume/capacity, added wait)."""
        from .flows import corridor_flows

        d = _date(date)
        res = _cached(
            ("flows", d, scenario, growth),
            lambda: corridor_flows(network, date=d, scenario=scenario, growth=growth),
        )
        doc: dict[str, Any] = res.as_dict()
        loaded = res.links[res.links["tonnes"] > 0]
        doc["layer"] = element_layer(
            network,
            [
                {
                    "kind": "link",
                    "id": str(r["link"]),
                    "tonnes": round(float(r["tonnes"])),
                    "volume_capacity": round(float(r["volume_capacity"]), 3),
                    "wait_added_h": round(float(r["wait_added_h"]), 1),
                }
                for r in loaded.to_dict(orient="records")
            ],
        )
        return doc

    @app.get("/api/critical")
    def critical(
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        kind: Annotated[str, Query(max_length=100)] = "link,crossing,port,place,country",
        within: Annotated[str, Query(alias="in", max_length=100)] = "",
        top: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Single failures ranked by impact, with the flows they hit, and a map layer."""
        from .criticality import criticality

        d = _date(date)
        kinds = tuple(k.strip() for k in kind.split(",") if k.strip())
        countries = tuple(c.strip().upper() for c in within.split(",") if c.strip())
        res = _cached(
            ("critical", d, scenario, kinds, countries),
            lambda: criticality(
                network, date=d, scenario=scenario, kinds=kinds, countries=countries
            ),
        )
        doc: dict[str, Any] = res.as_dict(top)
        doc["layer"] = element_layer(
            network,
            [
                {k: v for k, v in f.items() if k != "hit"} | {"rank": i}
                for i, f in enumerate(doc["failures"], start=1)
            ],
        )
        return doc

    @app.get("/api/dependence")
    def dependence(
        country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:
        """The share of each country's trade that transits each other country."""
        from .dependence import country_dependence

        code = country.upper() if country else None
        if code is not None and code not in network.countries:
            raise BadArgumentError(
                f"unknown country {country!r}; valid: {', '.join(sorted(network.countries))}"
            )
        d = _date(date)
        doc: dict[str, Any] = _cached(
            ("dependence", d, scenario),
            lambda: country_dependence(network, date=d, scenario=scenario).as_dict(),
        )
        if code is None:
            return doc
        return {**doc, "countries": [c for c in doc["countries"] if c["country"] == code]}

    @app.get("/api/redundancy")
    def redundancy(
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        commodity: Annotated[str | None, Query(max_length=64)] = None,
        max_routes: Annotated[int, Query(ge=1, le=10)] = 5,
    ) -> dict[str, Any]:
        """Alternatives between two places that share no transit country."""
        from .dependence import redundancy as run

        return run(
            network,
            origin,
            destination,
            date=_date(date),
            scenario=scenario,
            commodity=commodity,
            max_routes=max_routes,
        ).as_dict()

    @app.get("/api/reliability")
    def reliability(
        origin: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
        destination: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
        date: Annotated[str | None, Query(max_length=10)] = None,
        scenario: Annotated[str | None, Query(max_length=64)] = None,
        commodity: Annotated[str | None, Query(max_length=64)] = None,
        k: Annotated[int, Query(ge=1, le=6)] = 3,
        by: Annotated[Literal["p90", "mean_spread"], Query()] = "p90",
        lam: Annotated[float, Query(ge=0, le=100)] = 1.0,
        n: Annotated[int, Query(ge=100, le=200_000)] = 20_000,
        seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
    ) -> dict[str, Any]:
        """P50/P90/P95 door-to-door times of the alternatives, most reliable first."""
        from .reliability import reliable_routes

        ranked = reliable_routes(
            network,
            origin,
            destination,
            k=k,
            by=by,
            lam=lam,
            n=n,
            seed=seed,
            date=_date(date),
            scenario=scenario,
            commodity=commodity,
        )
        return {
            "by": by,
            "routes": [
                {
                    "countries": list(r.countries),
                    "places": list(r.places),
                    "time_h": round(r.time_h, 3),
                    "reliability": {
                        k2: v for k2, v in res.to_dict().items() if k2 != "samples_per_s"
                    },
                }
                for r, res in ranked
            ],
        }

    @app.post("/api/disrupt")
    def disrupt(q: DisruptQuery) -> dict[str, Any]:
        """Close elements for some days: who waits, who reroutes, backlog and delay."""
        from .disruption import disrupt as run

        return run(
            network, q.close, q.days, date=q.date, scenario=q.scenario, growth=q.growth
        ).as_dict()

    # ------------------------------------------------------------------ page and assets

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html")

    app.mount("/static", StaticFiles(directory=WEB), name="static")
    if cfg.assets.is_dir():
        app.mount("/vendor", StaticFiles(directory=cfg.assets), name="vendor")
    return app
