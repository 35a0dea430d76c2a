"""``overland reliability``: P50/P90/P95 door-to-door times of the alternatives."""

from __future__ import annotations

from typing import Annotated, Any

import typer

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
)


@app.command()
def reliability(
    origin: Annotated[str, typer.Argument(metavar="FROM")],
    destination: Annotated[str, typer.Argument(metavar="TO")],
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    commodity: Annotated[str | None, typer.Option("--commodity", help="Commodity id.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=10, help="Alternatives.")] = 4,
    by: Annotated[
        str, typer.Option("--by", help="Order by 'p90' or 'mean_spread' (mean + λ·std).")
    ] = "p90",
    lam: Annotated[float, typer.Option("--lambda", help="λ of mean_spread.")] = 1.0,
    samples: Annotated[
        int, typer.Option("--samples", "-n", min=1, max=100_000_000, help="Monte Carlo draws.")
    ] = 100_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Monte Carlo of border dwells and ferry waits over the alternatives between two
    places: P50/P90/P95 door-to-door time and buffer time, most reliable first."""
    from rich.table import Table

    from ..analyses.reliability import BY, reliable_routes, route_distribution

    net = load(package)
    with chunk_progress("Monte Carlo") as tick:
        ranked = reliable_routes(
            net,
            origin,
            destination,
            k=k,
            by=by,
            lam=lam,
            n=samples,
            seed=seed,
            date=option_date(date),
            scenario=scenario,
            commodity=commodity,
            scheduler=scheduler,
            workers=workers,
            progress=tick,
        )
    docs: list[dict[str, Any]] = []
    for route, res in ranked:
        dist = route_distribution(net, route)
        docs.append(
            {
                "countries": list(route.countries),
                "places": list(route.places),
                "time_h": round(route.time_h, 3),
                "cost_usd_per_t": round(route.cost_usd_per_t, 3),
                "reliability": res.as_dict(),
                "components": [
                    {
                        "label": c.label,
                        "kind": c.kind,
                        "distribution": c.dwell.kind,
                        "mean_h": round(c.dwell.mean, 3),
                        "p90_h": round(c.dwell.p90, 3),
                    }
                    for c in dist.components
                ],
            }
        )
    if as_json:
        emit_json({"by": by, "lambda": lam, "routes": docs})
        return 0
    assert by in BY
    con = console()
    t = Table(
        "#",
        "countries",
        "mean d",
        "P50 d",
        "P90 d",
        "P95 d",
        "buffer d",
        "random parts",
        title=f"{origin} → {destination}: most reliable first (by {by})",
    )
    for i, d in enumerate(docs, start=1):
        r = d["reliability"]
        t.add_row(
            str(i),
            " → ".join(d["countries"]),
            *(f"{r[key] / 24:.2f}" for key in ("mean_h", "p50_h", "p90_h", "p95_h")),
            f"{r['buffer_time_h'] / 24:.2f}",
            ", ".join(
                f"{c['label'].split(' (')[0]} ({c['distribution']})" for c in d["components"]
            ),
        )
    con.print(t)
    con.print(f"{samples:,} draws per route, seed {seed}")
    return 0
