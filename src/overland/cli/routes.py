"""Commands about routes: route, compare and skim."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..args import parse_list, parse_modes, parse_scenarios
from ..errors import BadArgumentError
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
)

if TYPE_CHECKING:
    from rich.table import Table

    from ..network import Network
    from ..route import Route

CommodityOpt = Annotated[
    str | None,
    typer.Option("--commodity", "-c", help="Commodity id (grain, containers, ...)."),
]
AvoidOpt = Annotated[
    str | None, typer.Option("--avoid", help="Countries never entered, e.g. RU,IR.")
]
ModesOpt = Annotated[str | None, typer.Option("--modes", help="Only these modes, e.g. rail,ferry.")]
ObjectiveOpt = Annotated[
    str, typer.Option("--objective", help="time, cost or generalized (money + value of time).")
]
MAX_ALTERNATIVES = 20


def _place_name(net: Network, pid: str) -> str:
    return net.places[pid].name


def _route_rows(routes: list[Route], queues_h: list[float] | None = None) -> Table:
    from rich.table import Table

    table = Table(title="Routes, best first")
    cols = ["#", "days"] + (["+ queues d"] if queues_h is not None else [])
    for col in (*cols, "USD/t", "gen. USD/t", "km", "kg CO2/t", "borders", "gauge chg", "modes"):
        table.add_column(col, justify="right" if col not in ("modes",) else "left")
    table.add_column("countries", overflow="fold")
    for i, r in enumerate(routes, 1):
        queue = [f"{queues_h[i - 1] / 24:.1f}"] if queues_h is not None else []
        table.add_row(
            str(i),
            f"{r.days:.1f}",
            *queue,
            f"{r.cost_usd_per_t:.0f}",
            f"{r.generalized_cost_usd_per_t:.0f}",
            f"{r.distance_km:,.0f}",
            f"{r.co2_kg_per_t:.0f}",
            str(len(r.borders)),
            str(r.gauge_changes),
            ",".join(r.modes),
            " → ".join(r.countries),
        )
    return table


def _value_of_time_note(net: Network, commodity: str) -> str:
    """What the generalized cost adds to the money: the commodity's value of time, and
    the fitted multiplier it carries (parameters.yaml) when there is one."""
    vot = net.commodities[commodity].value_of_time_usd_per_t_h
    scale = net.parameters.value_of_time_scale.get(commodity) if net.parameters else None
    fitted = f" (commodities.csv's × {scale:g}, fitted: parameters.yaml)" if scale else ""
    head = f"gen. USD/t = USD/t + hours × the value of time of {commodity}"
    return f"{head}: {vot:.3g} USD per t·h{fitted}"


def _details(net: Network, r: Route) -> list[Table]:
    from rich.table import Table

    legs = Table(title="Legs of route #1")
    for col in ("mode", "gauge", "country", "from", "to", "km", "hours", "USD/t"):
        legs.add_column(col)
    for leg in r.legs:
        legs.add_row(
            leg.mode,
            leg.gauge or "",
            leg.country if leg.to_country == leg.country else f"{leg.country}→{leg.to_country}",
            _place_name(net, leg.from_place),
            _place_name(net, leg.to_place),
            f"{leg.distance_km:,.0f}",
            f"{leg.time_h:.1f}",
            f"{leg.cost_usd_per_t:.1f}",
        )
    borders = Table(title="Borders (CAREC: time and cost at each border)")
    for col in ("from", "to", "at", "mode", "dwell h", "P90 h", "USD/t"):
        borders.add_column(col)
    for b in r.borders:
        borders.add_row(
            b.from_country,
            b.to_country,
            _place_name(net, b.place),
            b.mode,
            f"{b.dwell_h:.1f}",
            f"{b.dwell_p90_h:.1f}",
            f"{b.fee_usd_per_t:.2f}",
        )
    transfers = Table(title="Transfers and gauge changes")
    for col in ("at", "from", "to", "hours", "USD/t"):
        transfers.add_column(col)
    for t in r.transfers:
        transfers.add_row(
            _place_name(net, t.place),
            t.from_layer,
            t.to_layer,
            f"{t.time_h:.1f}",
            f"{t.cost_usd_per_t:.1f}",
        )
    return [legs, borders, transfers]


@app.command()
def route(
    origin: Annotated[str, typer.Argument(metavar="FROM", help="Place id, name or alias.")],
    destination: Annotated[str, typer.Argument(metavar="TO", help="Place id, name or alias.")],
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    commodity: CommodityOpt = None,
    avoid: AvoidOpt = None,
    modes: ModesOpt = None,
    via: Annotated[str | None, typer.Option("--via", help="A place the route must pass.")] = None,
    alternatives: Annotated[
        int, typer.Option("--alternatives", "-k", help=f"How many routes (1-{MAX_ALTERNATIVES}).")
    ] = 1,
    objective: ObjectiveOpt = "generalized",
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Write a time/cost–distance chart (.svg/.png).")
    ] = None,
    loaded: Annotated[
        bool,
        typer.Option(
            "--loaded",
            help="Also the days the corridor flows' congestion and queues add to each route "
            "on that date (overland flows): how long it takes with the network as loaded.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Best route(s) between two places: days, USD/t, km, borders, gauge changes."""
    from ..routing import alternative_routes, route_shaping, shaping_fields

    if not 1 <= alternatives <= MAX_ALTERNATIVES:
        raise BadArgumentError(
            f"--alternatives must be between 1 and {MAX_ALTERNATIVES}, got {alternatives}"
        )
    net = load(package)
    choices: dict[str, Any] = {
        "avoid_countries": parse_list(avoid),
        "modes": parse_modes(modes, blank_ok=False),
        "via": via,
    }
    routes = alternative_routes(
        net,
        origin,
        destination,
        k=alternatives,
        date=option_date(date),
        scenario=scenario,
        commodity=commodity,
        objective=objective,
        **choices,
    )
    shaping = route_shaping(net, routes[0], **choices)
    note_dates(net, routes[0].date, scenario, demand=loaded)
    queues_h: list[float] | None = None
    if loaded:
        from ..analyses.flows import corridor_flows

        flows = corridor_flows(net, date=routes[0].date, scenario=scenario)
        queues_h = [flows.queue_hours(r) for r in routes]
    if chart is not None:
        from ..report.chart import route_chart

        a, b = _place_name(net, routes[0].origin), _place_name(net, routes[0].destination)
        route_chart(routes, chart, title=f"{a} → {b}, {routes[0].date}")
    if as_json:
        docs = [r.as_dict() for r in routes]
        for doc, q in zip(docs, queues_h or [], strict=False):
            doc["queue_h"] = round(q, 3)
            doc["loaded_days"] = round(doc["time_h"] / 24 + q / 24, 3)
        emit_json({"routes": docs, **shaping_fields(shaping)})
        return 0
    con = console()
    r0 = routes[0]
    con.print(
        f"[bold]{_place_name(net, r0.origin)} → {_place_name(net, r0.destination)}[/bold]"
        f" on {r0.date}"
        + (f", scenario {r0.scenario}" if r0.scenario else "")
        + f"; {r0.commodity}, minimising {r0.objective}"
    )
    con.print(_route_rows(routes, queues_h))
    if queues_h is not None:
        con.print(f"+ queues: the corridor flows' congestion and queues on {r0.date}")
    if shaping is not None:
        u = shaping.unconstrained
        con.print(
            f"Shaped by what is closed or in force on {r0.date} (without it: {u.days:.1f} days, "
            f"{u.cost_usd_per_t:,.0f} USD/t, {' → '.join(u.countries)}):"
        )
        for constraint in shaping.constraints:
            con.print(f"  - {constraint['why']}", soft_wrap=True)
    for t in _details(net, r0):
        if t.row_count:
            con.print(t)
    for c in r0.charges:
        factors = ", ".join(
            f"{name} × {value:g}"
            for name, value in (
                ("rate per t-km", c.rate_factor),
                ("border fees", c.fee_factor),
                ("border dwell", c.dwell_factor),
                ("speed", c.speed_factor),
                ("back-haul rate", c.backhaul_factor if c.backhaul else 1),
            )
            if value != 1
        )
        origin = f"event {c.set_by}" if c.set_by else "rates.csv"
        factors = factors or "the mode's own rate, fees, dwell and speed"
        traffic = "" if c.traffic == "all" else f", {c.traffic} traffic"
        where = f" in {c.country}{traffic}" if c.country else ""
        con.print(f"{r0.commodity} by {c.mode}{where}: {factors} ({c.rate}, {origin})")
    con.print(_value_of_time_note(net, r0.commodity))
    com = net.commodities[r0.commodity]
    if com.unit != "t":
        per_unit = ", ".join(
            f"#{i} {r.cost_usd_per_t * com.t_per_unit:,.0f}" for i, r in enumerate(routes, 1)
        )
        con.print(f"USD per {com.unit} ({com.t_per_unit:g} t): {per_unit}")
    ind = r0.indicators()
    con.print(
        f"speed with delay {ind['speed_with_delay_kmh']} km/h, without delay "
        f"{ind['speed_without_delay_kmh']} km/h; share of time at borders "
        f"{ind['border_time_share']:.0%}"
    )
    return 0


@app.command()
def compare(
    origin: Annotated[str, typer.Argument(metavar="FROM")],
    destination: Annotated[str, typer.Argument(metavar="TO")],
    dates: Annotated[str | None, typer.Option("--dates", help="D1,D2,...")] = None,
    scenarios: Annotated[
        str | None, typer.Option("--scenarios", help="S1,S2,... ('none' for no scenario)")
    ] = None,
    commodity: CommodityOpt = None,
    avoid: AvoidOpt = None,
    modes: ModesOpt = None,
    objective: ObjectiveOpt = "generalized",
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """The best route of one pair on several dates and/or scenarios, side by side."""
    from rich.table import Table

    from ..compare import compare_routes
    from ..timeline import parse_date

    net = load(package)
    date_list = [parse_date(d) for d in parse_list(dates)]
    scen = parse_scenarios(scenarios)
    if not date_list and not any(scen):
        raise BadArgumentError("give --dates D1,D2,... and/or --scenarios S1,S2,...")
    doc = compare_routes(
        net,
        origin,
        destination,
        dates=date_list,
        scenarios=scen,
        commodity=commodity,
        avoid_countries=parse_list(avoid),
        modes=parse_modes(modes, blank_ok=False),
        objective=objective,
    ).as_dict()
    rows = doc["rows"]
    if as_json:
        emit_json(doc)
        return 0
    table = Table(title=f"{origin} → {destination}")
    for col in ("case", "exists?", "days", "USD/t", "km", "borders", "gauge chg"):
        table.add_column(col)
    table.add_column("countries / reason", overflow="fold")
    for row in rows:
        if not row["exists"]:
            table.add_row(row["label"], "no", "", "", "", "", "", row["reason"])
            continue
        r = row["route"]
        table.add_row(
            row["label"],
            "yes",
            f"{r['days']:.1f}",
            f"{r['cost_usd_per_t']:.0f}",
            f"{r['distance_km']:,.0f}",
            str(len(r["borders"])),
            str(r["gauge_changes"]),
            " → ".join(r["countries"]),
        )
    console().print(table)
    return 0


@app.command()
def skim(
    out: Annotated[Path, typer.Option("--out", "-o", help="matrix.csv or matrix.parquet")],
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    commodity: CommodityOpt = None,
    avoid: AvoidOpt = None,
    modes: ModesOpt = None,
    objective: ObjectiveOpt = "generalized",
    package: PackageOpt = None,
) -> int:
    """Time, cost and distance of the best route between every pair of places."""
    from ..export import write_frame_atomic
    from ..routing import OBJECTIVES
    from ..skim import skim as skim_matrix

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise BadArgumentError(f"--out must end in .csv or .parquet, got {out.name!r}")
    if objective not in OBJECTIVES:
        raise BadArgumentError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
    net = load(package)
    s = skim_matrix(
        net,
        date=option_date(date),
        scenario=scenario,
        commodity=commodity,
        objective=objective,
        modes=parse_modes(modes, blank_ok=False),
        avoid_countries=parse_list(avoid),
    )
    frame = s.to_frame()
    write_frame_atomic(out, frame)
    typer.echo(
        f"{out}: {len(frame)} origin–destination pairs of {len(s.places)} places on {s.date}"
    )
    return 0
