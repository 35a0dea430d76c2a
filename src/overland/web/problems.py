"""Errors as HTTP: the JSON problem body and the status each Overland error maps to."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..errors import (
    BadArgumentError,
    BudgetExceededError,
    NetworkDataError,
    NoRouteError,
    OverlandError,
    UnknownPlaceError,
)

__all__ = ["BusyError", "JobNotFoundError", "QueueFullError", "problem", "status_of"]


class BusyError(OverlandError):
    """Every worker thread stayed busy for the whole time budget; the client may retry."""

    type_name = "busy"


class QueueFullError(OverlandError):
    """The job queue is full; try again later."""

    type_name = "queue_full"


class JobNotFoundError(KeyError, OverlandError):
    """No job with that id (never submitted, or evicted from the result cache)."""

    type_name = "job_not_found"

    def __str__(self) -> str:
        return f"no job {self.args[0]!r} (unknown, or its result was evicted; submit it again)"


def problem(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    """A JSON problem body ``{"error": {"type", "message", ...}}``."""
    return JSONResponse({"error": {"type": kind, "message": message, **extra}}, status_code=status)


def status_of(exc: OverlandError) -> int:
    """The HTTP status of an error: 404 for what does not exist, 422 for bad arguments,
    429 when the job queue is full, 503 when the server is at a limit."""
    if isinstance(exc, NoRouteError | UnknownPlaceError | JobNotFoundError):
        return 404
    if isinstance(exc, QueueFullError):
        return 429
    if isinstance(exc, BusyError | BudgetExceededError):
        return 503
    if isinstance(exc, BadArgumentError | NetworkDataError):
        return 422
    return 400
