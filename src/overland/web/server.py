"""Run the app under uvicorn with the server's connection limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import ServerConfig

if TYPE_CHECKING:
    import uvicorn

__all__ = ["run", "uvicorn_config"]


def uvicorn_config(
    config: ServerConfig, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info"
) -> uvicorn.Config:
    """uvicorn's settings for ``config``: at most ``max_connections`` at once (503 past
    it), a header-read timeout per connection, idle keep-alive closed after 5 s, request
    heads of at most 16 kB."""
    import uvicorn

    from .app import create_app
    from .guard import guarded_h11

    return uvicorn.Config(
        create_app(config),
        host=host,
        port=port,
        http=guarded_h11(config.header_timeout_s),
        limit_concurrency=config.max_connections,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
        server_header=False,
        log_level=log_level,
        timeout_graceful_shutdown=5,
    )


def run(config: ServerConfig, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.Server(uvicorn_config(config, host=host, port=port)).run()
