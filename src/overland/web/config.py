"""The server's configuration: every limit declared once, passed in, shown in the OpenAPI.

Nothing here reads the environment: ``overland serve`` builds a :class:`ServerConfig`
from its options; tests build one in code.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..assets import vendor_dir
from ..schema import DEFAULT_LIMITS, LoadLimits

__all__ = ["LOOPBACK_HOSTS", "Limits", "ServerConfig"]

#: the host names a browser uses for this machine; the default allow-list (DNS rebinding)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class Limits(BaseModel):
    """What one request may ask for. The OpenAPI schema states these values."""

    model_config = ConfigDict(frozen=True)

    max_body_bytes: int = Field(64_000, ge=1_000, description="Largest request body (bytes).")
    max_alternatives: int = Field(20, ge=1, le=100, description="Most routes per request (k).")
    max_compare: int = Field(12, ge=1, le=100, description="Most date x scenario combinations.")
    max_skim_places: int = Field(60, ge=2, le=2_000, description="Most places per skim.")
    growth_min: float = Field(0.1, gt=0, description="Smallest demand growth factor.")
    growth_max: float = Field(10.0, gt=0, description="Largest demand growth factor.")
    growth_step: float = Field(
        0.1, gt=0, description="Growth factors are rounded to this grid (so results are shared)."
    )
    max_samples: int = Field(1_000_000, ge=100, description="Most Monte Carlo samples per job.")
    max_close: int = Field(50, ge=1, description="Most elements closed in one disruption.")
    max_wait_s: float = Field(30, ge=0, description="Longest a job poll may wait (seconds).")


class ServerConfig(BaseModel):
    """Everything the server needs, passed in (no globals, no environment reads).

    ``budget_s`` bounds each cheap request (routes, skims, network state): past it the
    computation stops and the client gets a 503. Heavy analyses run as jobs in
    ``job_workers`` worker processes with ``job_time_limit_s`` each, at most
    ``job_queue`` waiting, the last ``job_keep`` results kept. ``warm`` precomputes the
    package's shipped states at start so the page's common views are instant.
    """

    model_config = ConfigDict(frozen=True)

    package: Path | None = None
    package_limits: LoadLimits = DEFAULT_LIMITS
    assets: Path = Field(default_factory=vendor_dir)
    limits: Limits = Field(default_factory=Limits)
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    cors_origins: tuple[str, ...] = ()
    budget_s: float = Field(10.0, gt=0)
    cheap_workers: int = Field(4, ge=1, le=64)
    cache_entries: int = Field(256, ge=0)
    job_workers: int = Field(1, ge=1, le=64)
    job_queue: int = Field(32, ge=1)
    job_time_limit_s: float = Field(300.0, gt=0)
    job_keep: int = Field(64, ge=1)
    job_memory_mb: int = Field(8192, ge=256)
    warm: bool = True
    header_timeout_s: float = Field(10.0, gt=0)
    max_connections: int = Field(200, ge=1)
