"""``overland critical`` and ``overland disrupt``: what single failures cost."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..args import parse_list
from ..errors import BadArgumentError
from ._common import (
    DateOpt,
    JsonOpt,
    PackageOpt,
    ScenarioOpt,
    SchedulerOpt,
    WorkersOpt,
    app,
    chunk_progress,
    console,
    emit_json,
    load,
    option_date,
    wait_limit_of,
)

if TYPE_CHECKING:
    from ..analyses.criticality import CriticalityResult
    from ..network import Network

#: The element kinds of :data:`overland.analyses.criticality.ELEMENT_KINDS`, spelled out here so
#: that the command line starts without importing pandas and numba (a test keeps the
#: two equal).
ELEMENT_KINDS = ("link", "crossing", "port", "place", "country")


@app.command()
def critical(
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    kind: Annotated[
        str,
        typer.Option("--kind", help="Element kinds, comma-separated: " + ", ".join(ELEMENT_KINDS)),
    ] = ",".join(ELEMENT_KINDS),
    within: Annotated[
        str,
        typer.Option("--in", help="Only elements in or touching these countries, e.g. AM,GE,AZ."),
    ] = "",
    top: Annotated[int, typer.Option("--top", min=1, help="Failures to show.")] = 20,
    growth: Annotated[float, typer.Option("--growth", help="Demand multiplier.")] = 1.0,
    congested: Annotated[
        int,
        typer.Option(
            "--congested",
            min=0,
            max=500,
            help="Re-solve the N worst failures at user equilibrium (capacities, queues).",
        ),
    ] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the whole ranked table (.csv or .parquet).")
    ] = None,
    scenarios: Annotated[
        str | None,
        typer.Option(
            "--scenarios",
            help="A batch: S1,S2,... ('none' for no scenario, 'all' for every shipped one), "
            "each at its horizon; one task per scenario on Dask.",
        ),
    ] = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Fail every link, border crossing, port, place and country in turn: extra cost,
    unserved and rerouted tonnes, the trade flows hit."""
    from rich.table import Table

    from ..analyses.criticality import criticality
    from ..export import write_frame_atomic

    if out is not None and out.suffix not in (".csv", ".parquet"):
        raise BadArgumentError(f"--out must end in .csv or .parquet, got {out.name!r}")
    kinds = tuple(parse_list(kind))
    net = load(package)
    common: dict[str, Any] = {
        "scenario": scenario,
        "kinds": kinds,
        "countries": tuple(c.upper() for c in parse_list(within)),
        "growth": growth,
        "scheduler": scheduler,
        "workers": workers,
    }
    if scenarios is not None:
        return _batch(net, scenarios, date, top, as_json, common)
    with chunk_progress("criticality scan") as tick:
        res = criticality(net, date=option_date(date), progress=tick, **common)
    loaded = None
    if congested:
        from ..analyses.congested import congested_criticality

        with chunk_progress("equilibrium per failure") as tick:
            loaded = congested_criticality(
                net, date=res.date, top=congested, free_flow=res, progress=tick, **common
            )
    if out is not None:
        write_frame_atomic(out, res.table)
    if as_json:
        doc = res.as_dict(top)
        if loaded is not None:
            doc["congested"] = loaded.as_dict()["failures"]
        emit_json(doc)
        return 0
    con = console()
    _print_failures(con, res, top)
    if loaded is not None:
        c = Table(
            "kind",
            "element",
            "impact USD/yr",
            "extra at equilibrium",
            "extra at free flow",
            "unserved t",
            "most loaded after (V/C)",
            title="The same failures at user equilibrium (capacities and queues)",
        )
        for rec in loaded.table.to_dict(orient="records"):
            c.add_row(
                str(rec["kind"]),
                str(rec["name"]),
                f"{rec['impact_usd_per_year']:,.0f}",
                f"{rec['extra_cost_usd_per_year']:,.0f}",
                f"{rec['free_flow_extra_usd_per_year']:,.0f}",
                f"{rec['unserved_tonnes']:,.0f}",
                f"{rec['most_loaded_link']} ({rec['most_loaded_volume_capacity']:.2f})",
            )
        con.print(c)
    return 0


def _print_failures(con: Any, res: CriticalityResult, top: int) -> None:
    from rich.table import Table

    con.print(
        f"[bold]Criticality on {res.date}[/bold]"
        + (f", scenario {res.scenario}" if res.scenario else "")
        + f": {res.elements_scanned} elements failed one at a time against "
        f"{res.total_tonnes:,.0f} t/yr of demand ({res.baseline_unserved_tonnes:,.0f} t "
        "without a route even before any failure)"
    )
    t = Table(
        "kind",
        "element",
        "impact USD/yr",
        "extra cost USD/yr",
        "unserved t",
        "rerouted t",
        "ODs hit",
        title="Worst single failures (impact = extra cost + value of unserved cargo)",
    )
    for rec in res.top(top).to_dict(orient="records"):
        t.add_row(
            str(rec["kind"]),
            f"{rec['name']} ({rec['id']})" if rec["name"] != rec["id"] else str(rec["id"]),
            f"{rec['impact_usd_per_year']:,.0f}",
            f"{rec['extra_cost_usd_per_year']:,.0f}",
            f"{rec['unserved_tonnes']:,.0f}",
            f"{rec['rerouted_tonnes']:,.0f}",
            str(rec["ods_hit"]),
        )
    con.print(t)


def _batch(
    net: Network, scenarios: str, date: str | None, top: int, as_json: bool, common: dict[str, Any]
) -> int:
    from ..analyses.criticality import criticality_batch

    names = parse_list(scenarios)
    if names == ["all"]:
        names = ["none", *net.scenarios]
    when = option_date(date)
    states = [(when, None if s.lower() == "none" else s) for s in names]
    kw = {k: v for k, v in common.items() if k != "scenario"}
    with chunk_progress("criticality batch") as tick:
        results = criticality_batch(net, states, progress=tick, **kw)
    if as_json:
        emit_json({"runs": [r.as_dict(top) for r in results]})
        return 0
    con = console()
    for r in results:
        _print_failures(con, r, top)
    return 0


@app.command()
def disrupt(
    close: Annotated[
        str,
        typer.Option(
            "--close",
            help="Elements to close, comma-separated: kind:id or id (e.g. "
            "ferry-alat-kuryk,ferry-alat-turkmenbashi or country:GE).",
        ),
    ],
    days: Annotated[float, typer.Option("--days", help="Days closed (0-365].")],
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    growth: Annotated[float, typer.Option("--growth", help="Demand multiplier.")] = 1.0,
    wait_limit: Annotated[
        float | None,
        typer.Option(
            "--wait-limit",
            help="Hours that cargo with a detour waits at most, as the flows' wait limit "
            "(default 210; 0: no limit, the value of time alone decides).",
        ),
    ] = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Close elements for some days: who waits, who reroutes, the backlog and its delay."""
    from rich.table import Table

    from ..analyses.disruption import clearance_words
    from ..analyses.disruption import disrupt as run

    net = load(package)
    res = run(
        net,
        parse_list(close),
        days,
        date=option_date(date),
        scenario=scenario,
        growth=growth,
        wait_limit_h=wait_limit_of(wait_limit),
    )
    doc = res.as_dict()
    if as_json:
        emit_json(doc)
        return 0
    con = console()
    con.print(
        f"[bold]{', '.join(res.closed)} closed for {days:g} days[/bold] from {res.date}: "
        f"{doc['affected_tonnes']:,} t affected ({doc['waiting_tonnes']:,} t wait, "
        f"{doc['rerouted_tonnes']:,} t reroute; "
        f"{doc['diverted_after_reopening_tonnes']:,} t go round the backlog after reopening; "
        f"{doc['extra_cost_usd']:,} USD extra); "
        f"backlog at reopening {doc['backlog_tonnes']:,} t, {clearance_words(doc)}; "
        f"delay {doc['delay_tonne_days']:,} tonne-days"
    )
    q = Table(
        "link",
        "direction",
        "arrivals t/day",
        "capacity t/day",
        "backlog t",
        "go round t",
        "clears in",
    )
    for r in doc["queues"]:
        q.add_row(
            str(r["link"]),
            f"{r['from']} → {r['to']}",
            f"{r['arrivals_t_per_day']:,.0f}",
            "no limit" if r["capacity_t_per_day"] is None else f"{r['capacity_t_per_day']:,.0f}",
            f"{r['backlog_tonnes']:,.0f}",
            f"{r['diverted_after_reopening_tonnes']:,.0f}",
            _clears(r),
        )
    con.print(q)
    t = Table("demand", "t/yr", "choice", "reroute premium USD/t", "tonnes hit", "delay t·days")
    for r in doc["rows"][:20]:
        t.add_row(
            str(r["demand"]),
            f"{r['tonnes_per_year']:,.0f}",
            str(r["choice"]),
            "no route"
            if r["reroute_premium_usd_per_t"] is None
            else f"{r['reroute_premium_usd_per_t']:,.2f}",
            f"{r['tonnes_affected']:,.0f}",
            f"{r['delay_tonne_days']:,.0f}",
        )
    con.print(t)
    return 0


def _clears(queue: dict[str, Any]) -> str:
    """When a disruption's queue empties, or settles at a standing level."""
    if not queue["clears"]:
        return "does not clear"
    if queue["standing_queue_tonnes"]:
        return (
            f"settles at {queue['standing_queue_tonnes']:,.0f} t in {queue['clearance_days']:.1f} d"
        )
    return f"{queue['clearance_days']:.1f} d"
