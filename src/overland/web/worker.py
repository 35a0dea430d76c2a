"""A job worker process: ``python -m overland.web.worker PACKAGE MEMORY_MB FD LIMITS``.

Started by :class:`overland.web.jobs.JobQueue`; loads the network once, then runs the
jobs sent on the socket ``FD`` one at a time and sends back each result or problem.
Its address space is capped at ``MEMORY_MB``; ``LIMITS`` is the JSON of the
:class:`~overland.schema.LoadLimits` the package is read with.
"""

from __future__ import annotations

import json
import resource
import sys
from multiprocessing.connection import Connection
from typing import Any

from ..errors import OverlandError
from ..schema import LoadLimits
from .problems import status_of

__all__ = ["serve"]


def _failed(kind: str, message: str, status: int) -> tuple[str, dict[str, Any]]:
    return "failed", {"type": kind, "message": message, "status": status}


def serve(package: str, memory_mb: int, conn: Connection, limits: LoadLimits) -> None:
    """Load the network, say ready, then answer jobs until the socket closes."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from ..network import load_network
    from .tasks import TASKS

    network = load_network(package, limits=limits)
    conn.send(("ready", None))
    while True:
        try:
            kind, params = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] = ("done", TASKS[kind].run(network, params))
        except OverlandError as exc:
            answer = _failed(getattr(exc, "type_name", "error"), str(exc), status_of(exc))
        except MemoryError:
            answer = _failed(
                "out_of_memory", f"the job needed more than the {memory_mb} MB a job may use", 422
            )
        except Exception as exc:  # a bug: report it as a failed job, keep serving
            answer = _failed("internal_error", f"{type(exc).__name__}: {exc}", 400)
        conn.send(answer)


if __name__ == "__main__":
    serve(
        sys.argv[1],
        int(sys.argv[2]),
        Connection(int(sys.argv[3])),
        LoadLimits(**json.loads(sys.argv[4])),
    )
