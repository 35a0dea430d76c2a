"""What every command shares: the Typer app, common options and output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import __version__

if TYPE_CHECKING:
    import datetime as dt

    from rich.console import Console

    from ..network import Network
    from ..schema import LoadLimits
    from ..timeline import NetworkState

__all__ = [
    "DateOpt",
    "JsonOpt",
    "PackageOpt",
    "ScenarioOpt",
    "SchedulerOpt",
    "WorkersOpt",
    "app",
    "chunk_progress",
    "console",
    "emit_json",
    "load",
    "load_limits",
    "note_dates",
    "option_date",
    "state_of",
]

#: the root command's package-reading limits, for this invocation (set by its callback)
_LIMITS: ContextVar[dict[str, int]] = ContextVar("overland_load_limits", default={})  # noqa: B039

app = typer.Typer(
    name="overland",
    help="Freight-corridor modelling on the South Caucasus / Middle Corridor network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

PackageOpt = Annotated[
    Path | None,
    typer.Option("--package", "-p", help="Network package folder (default: the embedded one)."),
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Date, YYYY-MM-DD (default: the scenario's horizon, else the date the package's "
        "data is current to, data_as_of).",
    ),
]
ScenarioOpt = Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on Dask: 'local' starts a local cluster, tcp://host:port uses a running "
        "one (default: this process).",
    ),
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", min=1, max=64, help="Workers of a local Dask cluster.")
]


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 120)


@contextmanager
def chunk_progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (stdout stays clean for --json) fed by (done, total)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    err = Console(stderr=True, highlight=False)
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


def emit_json(doc: Any) -> None:
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))


def load_limits() -> LoadLimits:
    """The package-reading limits given to the root command (``overland --max-rows N
    --max-total-rows N --max-file-mb M ...``), else the defaults."""
    from ..schema import DEFAULT_LIMITS, LoadLimits

    given = _LIMITS.get()
    return LoadLimits(**given) if given else DEFAULT_LIMITS


def load(package: Path | None) -> Network:
    """The package (default: the embedded one), read within :func:`load_limits`."""
    from ..network import load_network
    from ..package import embedded_package_path

    target = package if package is not None else embedded_package_path()
    return load_network(target, limits=load_limits())


def wait_limit_of(option: float | None) -> float | None:
    """A command's ``--wait-limit``: omitted is the flows' ``WAIT_LIMIT_H``, 0 none."""
    from ..assignment.corridor import WAIT_LIMIT_H

    return WAIT_LIMIT_H if option is None else (option or None)


def option_date(date: str | None) -> dt.date | None:
    """A ``--date`` option's day (``None`` when omitted: the command's default)."""
    from ..timeline import parse_date

    return parse_date(date) if date is not None else None


def state_of(net: Network, date: str | None, scenario: str | None) -> NetworkState:
    """The network on a date; a date the data does not reach gets a note on stderr."""
    state = net.as_of(option_date(date), scenario)
    note_dates(net, state.date, scenario)
    return state


def note_dates(net: Network, day: dt.date, scenario: str | None, *, demand: bool = True) -> None:
    """Say on stderr what the data does not reach on ``day`` (timeline.date_notes)."""
    from rich.console import Console

    from ..timeline import date_notes

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for note in date_notes(net, day, scenario, demand=demand):
        err.print(f"[yellow]note:[/yellow] {note}")


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
    max_rows: Annotated[
        int | None,
        typer.Option("--max-rows", min=1, help="Most rows in one package table (big packages)."),
    ] = None,
    max_total_rows: Annotated[
        int | None,
        typer.Option("--max-total-rows", min=1, help="Most rows in all the tables together."),
    ] = None,
    max_file_mb: Annotated[
        int | None,
        typer.Option("--max-file-mb", min=1, help="Largest package CSV file, in MiB."),
    ] = None,
) -> None:
    given = {
        "max_rows": max_rows,
        "max_total_rows": max_total_rows,
        "max_file_bytes": max_file_mb * 1024 * 1024 if max_file_mb else None,
    }
    _LIMITS.set({k: v for k, v in given.items() if v is not None})
    if version:
        typer.echo(f"overland {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
