"""``overland flows``: corridor flows, shares and bottlenecks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    DateOpt,
    JsonOpt,
    PackageOpt,
    ScenarioOpt,
    app,
    console,
    emit_json,
    load,
    note_dates,
    option_date,
    wait_limit_of,
)


@app.command()
def flows(
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    growth: Annotated[float, typer.Option("--growth", help="Demand multiplier, e.g. 3.0.")] = 1.0,
    wait_limit: Annotated[
        float | None,
        typer.Option(
            "--wait-limit",
            help="Hours of scheduled and queued wait at one link past which cargo is turned "
            "away instead of queueing: it chooses again, up to three more times in the "
            "year, and what no try moves is shed (a sourced surge's wait on its dates, if "
            "longer; default 210: the sources' week within the fit's 25 % tolerance); 0: "
            "nothing is turned away, queues grow without bound.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for links.csv and od.csv.")
    ] = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Load the package's demand: corridor shares, Caspian tonnage, bottlenecks."""
    from rich.table import Table

    from ..analyses.flows import corridor_flows
    from ..export import write_frames_atomic

    net = load(package)
    res = corridor_flows(
        net,
        date=option_date(date),
        scenario=scenario,
        growth=growth,
        wait_limit_h=wait_limit_of(wait_limit),
    )
    if out is not None:
        # both files or neither: a reader never sees new links with old od
        write_frames_atomic(out, {"links.csv": res.links, "od.csv": res.od})
    note_dates(net, res.date, scenario)  # with the results, not with an error
    doc = res.as_dict()
    if as_json:
        emit_json(doc)
        return 0
    con = console()
    con.print(
        f"[bold]Flows on {doc['date']}[/bold]"
        + (f", scenario {scenario}" if scenario else "")
        + f", demand × {growth:g}: {doc['total_tonnes']:,} t/yr; "
        + "".join(f"{g['name']} {g['tonnes']:,} t; " for g in doc["link_groups"][:1])
        + f"unserved {doc['unserved_tonnes']:,} t; "
        + (
            f"shed {doc['shed_tonnes']:,} t (every try would wait past {res.wait_limit_h:g} h); "
            if res.wait_limit_h
            else "nothing shed (no wait limit); "
        )
        + f"{doc['over_capacity_tonnes']:,} t/yr above capacity at "
        + f"{doc['over_capacity_links']} links or posts (it queues: see the added wait) "
        f"(gap {res.relative_gap:.1e}); delay added by congestion "
        f"{doc['delay_added_tonne_hours']:,} t·h"
    )
    if not res.converged:
        con.print(
            "[yellow]NOT converged: the equilibrium missed its gap, or column generation "
            "still found better routes in its last round; read the flows as approximate[/yellow]"
        )
    shares = Table("corridor", "t/yr", "share", title="Corridor shares (logit split)")
    for k, v in doc["corridor_tonnes"].items():
        shares.add_row(k, f"{v:,}", f"{doc['corridor_shares'][k]:.1%}")
    con.print(shares)
    for group in doc["link_groups"]:
        table = Table("link", "t/yr", title=f"{group['name']} (both directions)")
        for k, v in group["links"].items():
            table.add_row(k, f"{v:,}")
        con.print(table)
    bottle = Table(
        "link, post or terminal",
        "t/yr (both ways)",
        "capacity",
        "V/C",
        "added wait",
        "slot premium",
        "shed t/yr",
        title="Bottlenecks (equilibrium)",
        caption="capacity, V/C and the wait are the loaded direction's",
    )
    for b in doc["bottlenecks"]:
        bottle.add_row(
            b["link"],
            f"{b['tonnes']:,}",
            f"{b['capacity']:,}",
            f"{b['volume_capacity']:.2f}",
            f"{b['wait_added_h'] / 24:.1f} d",
            f"{b['premium_usd_per_t']:,.0f} USD/t",
            f"{b['shed_tonnes']:,}",
        )
    con.print(bottle)
    return 0
