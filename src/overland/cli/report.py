"""The main job: ``overland report``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._common import JsonOpt, PackageOpt, app, console, emit_json, load

if TYPE_CHECKING:
    from ..resilience import Resilience


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for index.html.")] = Path(
        "overland-report"
    ),
    outlines: Annotated[
        Path | None,
        typer.Option(
            "--outlines", help="world-atlas countries-*.json (default: web/node_modules)."
        ),
    ] = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Answer the seed articles' questions: routes, maps and charts in one HTML page."""
    from rich.table import Table

    from ..export import write_text_atomic
    from ..report import build_report, report_html

    net = load(package)
    rep = build_report(net, outlines_path=outlines)
    target = write_text_atomic(out / "index.html", report_html(rep, net))
    if as_json:
        emit_json(
            {
                "report": str(target),
                "cases": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "rows": [
                            {
                                "label": r.label,
                                "exists": r.route is not None,
                                "route": r.route.to_dict() if r.route else None,
                                "reason": r.reason,
                            }
                            for r in c.rows
                        ],
                    }
                    for c in rep.cases
                ],
                "notes": list(rep.notes),
                "flows": list(rep.flows),
                "resilience": _resilience_doc(rep.resilience),
                "layers": [
                    {
                        "layer": lr.layer,
                        "question": lr.question,
                        "unit": lr.unit,
                        "today": lr.today,
                        "tripp": lr.tripp,
                        "limited_by": lr.limit,
                    }
                    for lr in rep.layers
                ],
            }
        )
        return 0
    con = console()
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
        con.print(
            f"flows {f['label']}: {f['total_tonnes']:,} t/yr, Caspian {f['caspian_tonnes']:,}"
            f" t, unserved {f['unserved_tonnes']:,} t; {shares}"
        )
    if rep.resilience is not None:
        worst = rep.resilience.failures[0] if rep.resilience.failures else None
        if worst is not None:
            con.print(
                f"worst single failure in AM/AZ/GE: {worst['kind']} {worst['name']} "
                f"({worst['impact_usd_per_year']:,} USD/yr)"
            )
        for d in rep.resilience.disruptions:
            con.print(
                f"{d['label']}: backlog {d['backlog_tonnes']:,} t, cleared after "
                f"{d['clearance_days']} days"
            )
    if rep.layers:
        table = Table(
            title="What the TRIPP adds to pipelines, fibre and power", title_justify="left"
        )
        for col in ("layer", "question", "today", "with TRIPP", "unit"):
            table.add_column(col)
        for lr in rep.layers:
            table.add_row(
                lr.layer,
                lr.question,
                "none" if not lr.today else f"{lr.today:,.2f}",
                "none" if not lr.tripp else f"{lr.tripp:,.2f}",
                lr.unit,
            )
        con.print(table)
    for note in rep.notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    con.print(f"report written to {target}")
    return 0


def _resilience_doc(res: Resilience | None) -> dict[str, Any] | None:
    if res is None:
        return None
    return {
        "date": res.date.isoformat(),
        "failures": list(res.failures),
        "dependence": [
            {"run": run, "via": via, "share_tonnes": t, "share_value_of_time": v}
            for run, via, t, v in res.dependence
        ],
        "reliability": list(res.reliability),
        "disruptions": list(res.disruptions),
    }
