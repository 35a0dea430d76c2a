"""The HTTP adapter: ``create_app(config)`` serves the API, the map page and the docs.

- :mod:`.config` — every limit, declared once;
- :mod:`.guard` — hosts, body limits, security headers, header-read timeout;
- :mod:`.deps` — what the routers share (network, config, jobs, cache, bounded runner);
- :mod:`.jobs` and :mod:`.tasks` — heavy analyses in worker processes;
- :mod:`.routers` — one module per group of endpoints;
- ``static/`` — the page's own files; the npm assets live in ``overland/vendor``.
"""

from __future__ import annotations

from .app import create_app
from .config import Limits, ServerConfig

__all__ = ["Limits", "ServerConfig", "create_app"]
