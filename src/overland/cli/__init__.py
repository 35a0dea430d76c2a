"""The ``overland`` command line: a thin adapter over the library.

:func:`main` takes an argument list and returns an exit code; tests call it directly.
Only here do exceptions become messages and exit codes: 0 success, 1 invalid data or
failed check, 2 bad usage, bad arguments or no route.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.exceptions import Abort, Exit, TyperException

from ..errors import NetworkDataError, NoRouteError, OverlandError, UnknownPlaceError
from . import (  # noqa: F401  (importing registers the commands)
    assign,
    data,
    dependence,
    flows,
    layers,
    reliability,
    report,
    resilience,
    routes,
    serve,
)
from ._common import app, emit_json

__all__ = ["app", "main", "run"]


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def _fail(argv: list[str], kind: str, message: str, code: int, **extra: Any) -> int:
    if _wants_json(argv):
        emit_json({"error": {"type": kind, "message": message, **extra}})
    else:
        typer.echo(f"error: {message}", err=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, standalone_mode=False, prog_name="overland")
    except NetworkDataError as exc:
        return _fail(
            args,
            exc.type_name,
            str(exc),
            1,
            problems=[p.as_dict() for p in exc.problems if p.severity == "error"],
        )
    except NoRouteError as exc:
        return _fail(args, exc.type_name, str(exc), 2, blocked_by=list(exc.blocked_by))
    except UnknownPlaceError as exc:
        return _fail(args, exc.type_name, str(exc), 2, suggestions=list(exc.suggestions))
    except OverlandError as exc:
        return _fail(args, getattr(exc, "type_name", "error"), str(exc), 2)
    except Exit as exc:
        return int(exc.exit_code)
    except TyperException as exc:
        if _wants_json(args) or not hasattr(exc, "show"):
            return _fail(args, "usage", exc.format_message(), exc.exit_code)
        exc.show()
        return int(exc.exit_code)
    except Abort:
        return 130
    return int(result) if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
