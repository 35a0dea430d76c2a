"""The ``overland`` command line: a thin adapter over the library.

:func:`main` takes an argument list and returns an exit code; tests call it directly.
Only here do exceptions become messages and exit codes: 0 success, 1 invalid data,
failed check or an output that could not be written (the message names the path), 2
bad usage, bad arguments or no route, 70 an internal error (a bug: one line, and the
traceback with ``OVERLAND_DEBUG=1``), 130 interrupted, 141 the reader of stdout went
away (``overland timeline --json | head``: a quiet stop, as Unix tools do).

Importing this module is cheap: the command modules import the heavy libraries
(pandas, numba kernels, scipy, matplotlib, FastAPI, Dask) inside the commands.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

import typer
from typer.exceptions import Abort, Exit, TyperException

from .. import __version__
from ..errors import NetworkDataError, NoRouteError, OverlandError, UnknownPlaceError
from . import (  # noqa: F401  (importing registers the commands)
    assign,
    check,
    data,
    dependence,
    flows,
    imports,
    layers,
    reliability,
    report,
    resilience,
    routes,
    serve,
    warm,
)
from ._common import app, emit_json

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "app", "main", "run"]

EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell shows for `yes | head`
DEBUG_ENV = "OVERLAND_DEBUG"


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
    if args[:1] == ["--version"]:
        # the root callback says the same, but typer would import pydantic to parse it
        typer.echo(f"overland {__version__}")
        return 0
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
    except (Abort, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_BROKEN_PIPE
    except SystemExit as exc:
        # click ends a write to a closed stdout with a quiet sys.exit(1), even outside
        # its standalone mode; say what happened, as for a pipe that breaks elsewhere
        cause = exc.__context__
        if isinstance(cause, OSError) and cause.errno == errno.EPIPE:
            return EXIT_BROKEN_PIPE
        if exc.code is None or isinstance(exc.code, int):
            return int(exc.code or 0)
        typer.echo(str(exc.code), err=True)
        return 1
    except OSError as exc:
        return _fail(args, "os_error", _os_message(exc), 1, path=_os_path(exc))
    except Exception as exc:
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            import traceback

            traceback.print_exc()
        said = " ".join(str(exc).split())  # one line, however the exception words it
        said = said if len(said) <= 300 else said[:297] + "..."
        return _fail(
            args,
            "internal",
            f"internal error ({type(exc).__name__}: {said}). This is a bug in Overland: "
            f"please report it with the command line; {DEBUG_ENV}=1 shows the traceback.",
            EXIT_INTERNAL,
        )
    return int(result) if isinstance(result, int) else 0


def _os_path(exc: OSError) -> str | None:
    return None if exc.filename is None else os.fsdecode(exc.filename)


def _os_message(exc: OSError) -> str:
    """``path: reason`` as Unix tools say it (a full disk, a folder we may not write)."""
    reason = exc.strerror or str(exc)
    path = _os_path(exc)
    return f"{path}: {reason}" if path else reason


def run() -> None:
    """Console-script entry point."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_BROKEN_PIPE
    if code == EXIT_BROKEN_PIPE:
        # Python flushes stdout again at exit and would complain about the closed
        # pipe; point it at /dev/null instead (the recipe of the signal module's docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(code)
