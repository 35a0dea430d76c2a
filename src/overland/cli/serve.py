"""``overland serve``: the HTTP API and the map page."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ..errors import BadArgumentError
from ._common import PackageOpt, app


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    package: PackageOpt = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="A Host name clients may use besides localhost/127.0.0.1/::1 (repeatable); "
            "needed when binding to a public address.",
        ),
    ] = None,
    job_workers: Annotated[
        int, typer.Option("--job-workers", help="Worker processes for heavy analyses.")
    ] = 1,
    warm: Annotated[
        bool, typer.Option("--warm/--no-warm", help="Precompute the shipped states at start.")
    ] = True,
) -> int:
    """Serve the API (/docs, /openapi.json) and the map page on HOST:PORT."""
    from ..web.config import LOOPBACK_HOSTS, ServerConfig
    from ..web.server import run

    if not 0 < port < 65536:
        raise BadArgumentError(f"--port must be 1-65535, got {port}")
    if not 1 <= job_workers <= 64:
        raise BadArgumentError(f"--job-workers must be 1-64, got {job_workers}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    hosts = (*LOOPBACK_HOSTS, *(h.strip().lower() for h in allow_host or () if h.strip()))
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        hosts = (*hosts, host.lower())
    run(
        ServerConfig(package=package, allowed_hosts=hosts, job_workers=job_workers, warm=warm),
        host=host,
        port=port,
    )
    return 0
