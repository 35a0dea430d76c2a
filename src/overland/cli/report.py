"""The main job: ``overland report``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ._common import JsonOpt, PackageOpt, app, console, emit_json, load


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for index.html.")] = Path(
        "overland-report"
    ),
    outlines: Annotated[
        Path | None,
        typer.Option(
            "--outlines", help="world-atlas countries-*.json (default: the package's assets)."
        ),
    ] = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Answer the package's questions (report.yaml): routes, flows, maps and charts in one
    HTML page, on the date its data is current to."""
    from rich.table import Table

    from ..export import write_text_atomic
    from ..report import build_report, report_html

    net = load(package)
    rep = build_report(net, outlines_path=outlines, built=dt.date.today())
    target = write_text_atomic(out / "index.html", report_html(rep, net))
    if as_json:
        emit_json({"report": str(target), **rep.as_dict()})
        return 0
    con = console()
    con.print(f"[bold]{rep.spec.title}[/bold] — data as of {rep.as_of.isoformat()}")
    for case in rep.cases:
        table = Table(title=case.title, title_justify="left")
        for col in ("case", "days", "USD/t", "km"):
            table.add_column(col, justify="left" if col == "case" else "right")
        table.add_column("countries / why not", overflow="fold")
        for row in case.rows:
            r = row.route
            if r is None:
                reason = (row.reason or "")[:160]
                table.add_row(row.label, "—", "—", "—", f"no route: {reason}")
            else:
                table.add_row(
                    row.label,
                    f"{r.days:.1f}",
                    f"{r.cost_usd_per_t:.0f}",
                    f"{r.distance_km:,.0f}",
                    " → ".join(r.countries),
                )
        con.print(table)
    for f in rep.flows:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in f["corridor_shares"].items())
        groups = "".join(f", {g['name']} {g['tonnes']:,} t" for g in f["link_groups"][:1])
        con.print(
            f"flows {f['label']}: {f['total_tonnes']:,} t/yr{groups}, "
            f"unserved {f['unserved_tonnes']:,} t; {shares}"
        )
    res = rep.resilience
    if res is not None:
        from ..analyses.disruption import clearance_words

        worst = res.failures[0] if res.failures else None
        if worst is not None:
            where = "/".join(res.countries) or "the network"
            con.print(
                f"worst single failure in {where}: {worst['kind']} {worst['name']} "
                f"({worst['impact_usd_per_year']:,} USD/yr)"
            )
        for d in res.disruptions:
            con.print(f"{d['label']}: backlog {d['backlog_tonnes']:,} t, {clearance_words(d)}")
    if rep.layers:
        compare = rep.spec.compare_scenario
        table = Table(title="Pipelines, fibre and power", title_justify="left")
        for col in ("layer", "question", "as of", *([f"with {compare}"] if compare else ())):
            table.add_column(col)
        table.add_column("unit")
        for lr in rep.layers:
            values = [lr.as_of, *([lr.compared] if compare else [])]
            table.add_row(
                lr.layer,
                lr.question,
                *("none" if not v else f"{v:,.2f}" for v in values),
                lr.unit,
            )
        con.print(table)
    for note in rep.notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    con.print(f"report written to {target}")
    return 0
