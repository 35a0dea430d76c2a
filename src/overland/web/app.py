"""``create_app(config)``: the HTTP API and the map page for one network package.

Every error is a JSON problem body ``{"error": {"type", "message", ...}}`` with a 4xx
status (503 when the server is at a limit) — never a 500 for bad input. Cheap requests
run on a bounded set of worker threads within a time budget; heavy analyses run as jobs
in worker processes (:mod:`overland.web.jobs`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import NoRouteError, OverlandError, UnknownPlaceError
from ..network import Network, load_network
from ..package import embedded_package_path
from .config import ServerConfig
from .deps import Served
from .guard import Guard
from .jobs import JobQueue
from .problems import QueueFullError, problem, status_of
from .routers import analyses, pages, routes, state
from .tasks import TASKS

__all__ = ["create_app"]

log = logging.getLogger("overland.web")


async def _overland_error(_r: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OverlandError)
    extra: dict[str, Any] = {}
    if isinstance(exc, NoRouteError):
        extra["blocked_by"] = list(exc.blocked_by)
    if isinstance(exc, UnknownPlaceError):
        extra["suggestions"] = list(exc.suggestions)
    response = problem(status_of(exc), getattr(exc, "type_name", "error"), str(exc), **extra)
    if response.status_code in (429, 503):
        response.headers["retry-after"] = "5"
    return response


async def _invalid(_r: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"where": ".".join(str(x) for x in e["loc"]), "message": e["msg"]} for e in exc.errors()
    ]
    text = "; ".join(f"{p['where']}: {p['message']}" for p in problems)
    return problem(422, "bad_request", text, problems=problems)


async def _http_error(_r: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = "too_large" if exc.status_code == 413 else "http"
    return problem(exc.status_code, kind, str(exc.detail))


def _warm(served: Served) -> None:
    """Queue the package's shipped states (no scenario and each scenario, at its default
    date) at low priority, so the page's first flows and criticality views are ready."""
    network = served.network
    if not network.demand:
        return
    for scenario in [None, *sorted(network.scenarios)]:
        for kind, body in (
            ("flows", {"scenario": scenario}),
            ("critical", {"scenario": scenario, "kinds": ["crossing", "link", "port"], "top": 40}),
        ):
            task = TASKS[kind]
            try:
                params = task.check(network, task.params(**body), served.limits)
                served.jobs.submit(kind, params, priority=1)
            except (OverlandError, QueueFullError) as exc:
                log.warning("not warming %s for scenario %s: %s", kind, scenario, exc)


def create_app(config: ServerConfig | None = None, *, network: Network | None = None) -> FastAPI:
    """The API and the map page for one network package (``config.package``, default the
    embedded one). ``network`` may pass the loaded package to save loading it again."""
    cfg = config or ServerConfig()
    package = cfg.package or embedded_package_path()
    net = network if network is not None else load_network(package, limits=cfg.package_limits)
    jobs = JobQueue(
        package,
        workers=cfg.job_workers,
        capacity=cfg.job_queue,
        time_limit_s=cfg.job_time_limit_s,
        keep=cfg.job_keep,
        memory_mb=cfg.job_memory_mb,
        limits=cfg.package_limits,
    )
    served = Served(net, cfg, jobs)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs.start()
        if cfg.warm:
            _warm(served)
        try:
            yield
        finally:
            jobs.close()

    app = FastAPI(
        title="Overland",
        version="0.1.0",
        description="Freight-corridor routes, timeline, network and analyses of the "
        f"{net.manifest.title} package. Heavy analyses (POST /api/flows, /api/critical, "
        "/api/disrupt, /api/dependence, /api/reliability) run as jobs: 202 with the job, "
        "then GET /api/jobs/{id}?wait=S and /api/jobs/{id}/result. Limits are in "
        "`info.x-limits`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.served = served
    app.add_exception_handler(OverlandError, _overland_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(cfg.cors_origins), allow_methods=["GET", "POST"]
        )
    app.add_middleware(Guard, max_body=cfg.limits.max_body_bytes, allowed_hosts=cfg.allowed_hosts)
    app.include_router(state.router)
    app.include_router(state.layers)
    app.include_router(routes.build(cfg.limits))
    app.include_router(analyses.build(cfg.limits))
    pages.mount(app, cfg.assets)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema["info"]["x-limits"] = {
                **cfg.limits.model_dump(),
                "budget_s": cfg.budget_s,
                "job_time_limit_s": cfg.job_time_limit_s,
                "job_queue": cfg.job_queue,
                "job_workers": cfg.job_workers,
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
