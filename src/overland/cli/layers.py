"""``overland capacity`` and ``overland latency``: the utility layers."""

from __future__ import annotations

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
    option_date,
)

#: :data:`overland.schema.UTILITY_MODES`, spelled out so that the command line starts
#: without importing pydantic and scipy (a test keeps the two equal).
UTILITY_MODES = ("oil_pipeline", "gas_pipeline", "fibre", "power")
LayerOpt = Annotated[
    str, typer.Option("--layer", help=f"One of {', '.join(UTILITY_MODES)} (gas, oil accepted).")
]
ALIASES = {"gas": "gas_pipeline", "oil": "oil_pipeline", "fiber": "fibre", "electricity": "power"}


@app.command()
def capacity(
    source: Annotated[
        str,
        typer.Argument(metavar="FROM_REGION", help="Places or ISO2 countries, comma-separated."),
    ],
    sink: Annotated[str, typer.Argument(metavar="TO_REGION")],
    layer: LayerOpt = "gas_pipeline",
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    n1: Annotated[bool, typer.Option("--n1", help="Rank single-line failures.")] = False,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Maximum flow between two regions on a utility layer, and the cut that limits it."""
    from rich.table import Table

    from ..analyses.layers import max_capacity, n_minus_1

    net = load(package)
    lay = ALIASES.get(layer, layer)
    day = option_date(date)
    r = max_capacity(net, lay, source, sink, date=day, scenario=scenario)
    ranked = n_minus_1(net, lay, source, sink, date=day, scenario=scenario) if n1 else []
    if as_json:
        doc = r.as_dict()
        if n1:
            doc["n_minus_1"] = [
                {"link": lid, "max_flow_without": round(v, 6), "capacity_lost": round(loss, 6)}
                for lid, v, loss in ranked
            ]
        emit_json(doc)
        return 0
    con = console()
    con.print(
        f"[bold]{lay}[/bold] {source} → {sink} on {r.date}"
        + (f", scenario {scenario}" if scenario else "")
        + f": max flow {r.value:,.3f} {r.unit}"
    )
    names = ", ".join(f"{lid} ({net.links[lid].capacity:g})" for lid in r.min_cut)
    con.print(f"limited by the cut: {names or 'none'}")
    if ranked:
        table = Table("line", "max flow without it", "capacity lost", title="N-1")
        for lid, v, loss in ranked[:15]:
            table.add_row(lid, f"{v:,.3f}", f"{loss:,.3f}")
        con.print(table)
    return 0


@app.command()
def latency(
    origin: Annotated[str, typer.Argument(metavar="FROM")],
    destination: Annotated[str, typer.Argument(metavar="TO")],
    layer: LayerOpt = "fibre",
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """The lowest-latency fibre route between two places (one way and round trip)."""
    from ..analyses.layers import fibre_latency
    from ..errors import BadArgumentError

    if ALIASES.get(layer, layer) != "fibre":
        raise BadArgumentError("latency is computed on the fibre layer only (--layer fibre)")
    net = load(package)
    r = fibre_latency(
        net,
        origin,
        destination,
        date=option_date(date),
        scenario=scenario,
    )
    if as_json:
        emit_json(r.as_dict())
        return 0
    console().print(
        f"{net.places[r.origin].name} → {net.places[r.destination].name}: "
        f"{r.length_km:,.0f} km of fibre, {r.one_way_ms:.2f} ms one way, "
        f"{r.round_trip_ms:.2f} ms round trip (great-circle bound "
        f"{r.great_circle_ms:.2f} ms); via {' → '.join(r.places)}"
    )
    return 0
