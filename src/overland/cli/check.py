"""``overland check``: the model against the published figures of ``observations.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..args import parse_list
from ._common import (
    JsonOpt,
    PackageOpt,
    SchedulerOpt,
    WorkersOpt,
    app,
    console,
    emit_json,
    load,
)

CATEGORIES = ("transit_time", "dwell", "rate", "distance", "volume", "share", "capacity")


@app.command()
def check(
    category: Annotated[
        str | None,
        typer.Option("--category", "-c", help=f"Only these categories: {', '.join(CATEGORIES)}."),
    ] = None,
    show: Annotated[
        str,
        typer.Option("--show", help="Rows to list: misfits (outside tolerance), all or none."),
    ] = "misfits",
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """How well the model fits the world: every observation, the model's value, the
    ratio and whether it is within tolerance; a summary per category for the calibration
    and the hold-out sets. Always exits 0: it measures, it does not gate."""
    from rich.table import Table

    from ..analyses.fit import check as run
    from ..errors import BadArgumentError

    wanted = parse_list(category) or None
    unknown = [c for c in wanted or () if c not in CATEGORIES]
    if unknown:
        raise BadArgumentError(
            f"unknown category {', '.join(unknown)}; valid: {', '.join(CATEGORIES)}"
        )
    if show not in ("misfits", "all", "none"):
        raise BadArgumentError(f"--show must be misfits, all or none, got {show!r}")
    net = load(package)
    res = run(net, categories=wanted)
    if as_json:
        emit_json(res.as_dict())
        return 0
    con = console()
    if not res.rows:
        con.print("this package has no observations (observations.csv); nothing to check")
        return 0
    summary = res.summary()
    table = Table(title="How well the model fits the world", title_justify="left")
    for col in ("category", "set", "n", "answered", "within", "share", "median ratio", "WAPE"):
        table.add_column(col, justify="left" if col in ("category", "set") else "right")
    groups = [("all", summary), *sorted(summary["by_category"].items())]
    for name, block in groups:
        for split in ("calibration", "holdout"):
            s = block[split]
            if not s["count"]:
                continue
            table.add_row(
                name,
                split,
                str(s["count"]),
                str(s["answered"]),
                str(s["within"]),
                f"{s['share_within']:.0%}",
                "—" if s["median_ratio"] is None else f"{s['median_ratio']:.2f}",
                "—" if s["wape"] is None else f"{s['wape']:.0%}",
            )
    con.print(table)
    rows = [r for r in res.rows if show == "all" or (show == "misfits" and not r.within)]
    if rows:
        detail = Table(title="Observations" + (" outside tolerance" if show == "misfits" else ""))
        for col in ("id", "year", "observed", "model", "ratio", "tol", "set"):
            detail.add_column(col, justify="left" if col == "id" else "right")
        detail.add_column("unit / why no value", overflow="fold")
        for r in rows:
            o = r.observation
            detail.add_row(
                o.id,
                str(o.year),
                f"{o.observed:,.4g}",
                "—" if r.model is None else f"{r.model:,.4g}",
                "—" if r.ratio is None else f"{r.ratio:.2f}",
                f"±{o.tolerance:.0%}",
                "holdout" if o.holdout else "calib.",
                r.reason or o.unit,
            )
        con.print(detail)
    if res.flows:
        flows = Table(
            title="Corridor flows behind the volume and share figures", title_justify="left"
        )
        for col in ("date", "demand kt", "shed kt", "unserved kt", "longest wait h", "at link"):
            flows.add_column(col, justify="left" if col in ("date", "at link") else "right")
        for f in res.flows:
            flows.add_row(
                f.date.isoformat(),
                f"{f.demand_tonnes / 1e3:,.0f}",
                f"{f.shed_tonnes / 1e3:,.0f}",
                f"{f.unserved_tonnes / 1e3:,.0f}",
                f"{f.longest_wait_h:,.0f}",
                f.longest_wait_link or "—",
            )
        con.print(flows)
        for lid, hours in sorted(res.queue_excess_h.items(), key=lambda kv: -kv[1]):
            con.print(f"[yellow]{lid}: waits {hours:,.0f} h past what the sources describe[/]")
    return 0


@app.command()
def calibrate(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write (default: PACKAGE/parameters.yaml)."),
    ] = None,
    refine: Annotated[
        bool,
        typer.Option(
            "--refine", help="Start from the package's parameters.yaml instead of from none."
        ),
    ] = False,
    start: Annotated[
        Path | None,
        typer.Option(
            "--start",
            help="Start from this parameters file (another fit kept aside) instead of none.",
        ),
    ] = None,
    passes: Annotated[
        int,
        typer.Option(
            "--passes",
            min=1,
            max=5,
            help="Rounds of the coordinate search over every multiplier (1-5); each "
            "evaluates the whole observation table about 90 times on the embedded network.",
        ),
    ] = 2,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Fit the multipliers on the package's estimates (border dwell, waits, values of
    time, the logit's θ) on the calibration set of its observations, and write
    parameters.yaml; the hold-out set is reported before and after, never fitted."""
    from ..analyses.calibration import calibrate as run
    from ..analyses.calibration import parameters_yaml
    from ..errors import BadArgumentError
    from ..export import write_text_atomic
    from ..package import embedded_package_path, read_parameters
    from ._common import chunk_progress, load_limits

    folder = package if package is not None else embedded_package_path()
    if refine and start is not None:
        raise BadArgumentError("give --refine or --start, not both")
    initial = None
    if start is not None:
        initial = read_parameters(start, limits=load_limits())
    elif refine:
        from ..network import load_network

        initial = load_network(folder, limits=load_limits()).parameters
    with chunk_progress("calibrating") as tick:
        result = run(
            folder,
            limits=load_limits(),
            progress=lambda n, _name: tick(n, n),
            start=initial,
            start_from=f"--start {start.name}" if start is not None else None,
            passes=passes,
            scheduler=scheduler,
            workers=workers,
        )
    target = write_text_atomic(
        out or folder / "parameters.yaml", parameters_yaml(result.parameters)
    )
    if as_json:
        emit_json({"written": str(target), **result.as_dict()})
        return 0
    con = console()
    con.print(f"{result.evaluations} evaluations; {result.parameters.result}")
    con.print(f"parameters written to {target}")
    return 0
