"""``overland dependence`` and ``overland redundancy``: who depends on whom, and how many
independent ways a pair has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..args import parse_list
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
    option_date,
)

if TYPE_CHECKING:
    from ..analyses.dependence import DependenceResult


def _runs(dates: str | None, scenarios: str | None) -> list[tuple[str | None, str | None]]:
    from ..timeline import parse_date

    date_list = parse_list(dates)
    for d in date_list:
        parse_date(d)
    scen = parse_list(scenarios)
    runs: list[tuple[str | None, str | None]] = [(d, None) for d in date_list]
    runs += [(None, None if s.lower() == "none" else s) for s in scen]
    return runs


@app.command()
def dependence(
    country: Annotated[
        str | None, typer.Option("--country", "-c", help="ISO2 code, e.g. AM (default: all).")
    ] = None,
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    dates: Annotated[str | None, typer.Option("--dates", help="Compare dates D1,D2,...")] = None,
    scenarios: Annotated[
        str | None, typer.Option("--scenarios", help="Compare scenarios S1,S2,...")
    ] = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """The share of each country's trade (tonnes and value of time) that transits each
    other country; with --dates/--scenarios, side by side."""
    from ..analyses.dependence import country_dependence
    from ..timeline import parse_date

    net = load(package)
    code = country.strip().upper() if country else None
    if code is not None and code not in net.countries:
        raise BadArgumentError(
            f"unknown country {country!r}; valid: {', '.join(sorted(net.countries))}"
        )
    runs = _runs(dates, scenarios) or [(date, scenario)]
    results = [
        country_dependence(net, date=parse_date(d) if d else None, scenario=s) for d, s in runs
    ]
    if as_json:
        docs = []
        for res in results:
            doc = res.as_dict()
            if code is not None:
                doc["countries"] = [c for c in doc["countries"] if c["country"] == code]
            docs.append(doc)
        emit_json({"runs": docs})
        return 0
    con = console()
    countries = [code] if code else sorted({c for r in results for c in r.tonnes})
    for c in countries:
        _print_country(con, c, runs, results)
    return 0


def _print_country(
    con: object,
    country: str,
    runs: list[tuple[str | None, str | None]],
    results: list[DependenceResult],
) -> None:
    from rich.console import Console
    from rich.table import Table

    assert isinstance(con, Console)
    vias = sorted(
        {v for r in results for v in r.table.loc[r.table["country"] == country, "via"]},
        key=lambda v: -max(r.share(country, v) for r in results),
    )
    if not vias:
        return
    t = Table(
        "transit via",
        *[
            f"{res.date}" + (f" {s}" if s else "") + "\nt / VoT"
            for (_, s), res in zip(runs, results, strict=True)
        ],
        title=f"{country}: share of its trade transiting each country",
    )
    for v in vias:
        t.add_row(
            v,
            *[
                f"{r.share(country, v):.1%} / {r.share(country, v, by='value_of_time'):.1%}"
                for r in results
            ],
        )
    t.add_row(
        "trade t/yr",
        *[
            f"{r.tonnes.get(country, 0):,.0f} ({r.unserved.get(country, 0):,.0f} unserved)"
            for r in results
        ],
    )
    con.print(t)


@app.command(name="redundancy")
def redundancy_cmd(
    origin: Annotated[str | None, typer.Argument(metavar="[FROM]")] = None,
    destination: Annotated[str | None, typer.Argument(metavar="[TO]")] = None,
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    commodity: Annotated[str | None, typer.Option("--commodity", help="Commodity id.")] = None,
    max_routes: Annotated[int, typer.Option("--max-routes", min=1, max=50)] = 5,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Alternatives between two places that share no transit country, and their extra
    cost; without FROM and TO, a table for every origin-destination pair of the demand."""
    from rich.table import Table

    from ..analyses.dependence import redundancy

    net = load(package)
    if origin is None or destination is None:
        if origin is not None:
            raise BadArgumentError("give both FROM and TO, or neither (every demand pair)")
        return _redundancy_table(net, date, scenario, max_routes, as_json)
    res = redundancy(
        net,
        origin,
        destination,
        date=option_date(date),
        scenario=scenario,
        commodity=commodity,
        max_routes=max_routes,
    )
    if as_json:
        emit_json(res.as_dict())
        return 0
    con = console()
    con.print(
        f"[bold]{res.origin} → {res.destination}[/bold] ({res.commodity}, {res.date}"
        + (f", {res.scenario}" if res.scenario else "")
        + f"): {res.n_disjoint} country-disjoint alternative(s); search stopped: {res.stopped}"
        + (f" — {res.reason}" if res.reason else "")
    )
    t = Table("#", "countries", "transit", "days", "USD/t", "generalized USD/t", "extra")
    for a in res.alternatives:
        t.add_row(
            str(a.rank),
            " → ".join(a.countries),
            ", ".join(a.transit) or "(direct)",
            f"{a.time_h / 24:.1f}",
            f"{a.cost_usd_per_t:,.1f}",
            f"{a.generalized_cost_usd_per_t:,.1f}",
            f"+{a.extra_pct:.0f}%",
        )
    con.print(t)
    return 0


def _redundancy_table(
    net: object, date: str | None, scenario: str | None, max_routes: int, as_json: bool
) -> int:
    from rich.table import Table

    from ..analyses.dependence import redundancy_table
    from ..network import Network

    assert isinstance(net, Network)
    df = redundancy_table(
        net,
        date=option_date(date),
        scenario=scenario,
        max_routes=max_routes,
    )
    df = df.sort_values(["n_disjoint", "origin", "destination"]).reset_index(drop=True)
    if as_json:
        emit_json(
            {
                "pairs": [
                    {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                    for r in df.to_dict(orient="records")
                ]
            }
        )
        return 0
    t = Table(
        "from",
        "to",
        "commodity",
        "disjoint",
        "2nd: extra",
        "transit of each",
        title="Country-disjoint alternatives of every demand pair (fewest first)",
    )
    for r in df.to_dict(orient="records"):
        extra = r["second_extra_pct"]
        t.add_row(
            str(r["origin"]),
            str(r["destination"]),
            str(r["commodity"]),
            str(r["n_disjoint"]),
            "—" if extra != extra else f"+{extra:.0f}%",
            str(r["transit"]),
        )
    console().print(t)
    return 0
