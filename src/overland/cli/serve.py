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
) -> int:
    """Serve the API (/docs, /openapi.json) and the map page on HOST:PORT."""
    import uvicorn

    from ..api import ServerConfig, create_app

    if not 0 < port < 65536:
        raise BadArgumentError(f"--port must be 1-65535, got {port}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    application = create_app(ServerConfig(package=package))
    uvicorn.run(application, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
    return 0
