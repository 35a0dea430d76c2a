"""``overland assign``: equilibrium assignment of a TNTP network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import BadArgumentError
from ._common import DateOpt, JsonOpt, PackageOpt, ScenarioOpt, app, console, emit_json, load

# toll and distance weights that make the TNTP best-known objectives reproducible
TNTP_WEIGHTS = {"chicagosketch": (0.02, 0.04), "chicagoregional": (0.1, 0.25)}


@app.command(name="assign")
def assign_cmd(
    tntp: Annotated[Path | None, typer.Option("--tntp", help="Folder of a TNTP network.")] = None,
    demand_file: Annotated[
        Path | None,
        typer.Option(
            "--demand",
            help="Demand CSV for a network package (origin, destination, "
            "commodity, tonnes_per_year).",
        ),
    ] = None,
    package: PackageOpt = None,
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    algorithm: Annotated[
        str,
        typer.Option(
            "--algorithm",
            help="auto (bush below gap 1e-3, else bfw), aon, msa, fw, cfw, bfw, gp "
            "(path-based) or bush (Algorithm B).",
        ),
    ] = "auto",
    gap: Annotated[float, typer.Option("--gap", help="Target relative gap.")] = 1e-4,
    max_iter: Annotated[int, typer.Option("--max-iter", help="Iteration limit.")] = 1000,
    toll_weight: Annotated[
        float | None, typer.Option("--toll-weight", help="Default: the network's README value.")
    ] = None,
    distance_weight: Annotated[float | None, typer.Option("--distance-weight")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write from,to,flow,cost per link (CSV), parallel links included."
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail if not converged.")] = False,
    as_json: JsonOpt = False,
) -> int:
    """Assign demand to user equilibrium: a TNTP network (--tntp) or a network package
    with a demand table (--demand), and report the convergence."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..assignment import ALGORITHMS, AssignmentSpec, LinkTable, assign
    from ..assignment.tntp import find_tntp_files, read_net, read_trips
    from ..export import write_frame_atomic

    if (tntp is None) == (demand_file is None):
        raise BadArgumentError("give either --tntp DIR or --demand FILE (with --package)")
    if algorithm not in ALGORITHMS:
        raise BadArgumentError(f"unknown algorithm {algorithm!r}; valid: {', '.join(ALGORITHMS)}")
    if not 0 < gap <= 1:
        raise BadArgumentError(f"--gap must be in (0, 1], got {gap}")
    if max_iter < 1:
        raise BadArgumentError(f"--max-iter must be >= 1, got {max_iter}")
    if out is not None and out.suffix.lower() != ".csv":
        raise BadArgumentError(f"--out must end in .csv, got {out.name!r}")
    if demand_file is not None:
        return _assign_package(
            demand_file, package, date, scenario, algorithm, gap, max_iter, out, strict, as_json
        )
    assert tntp is not None
    files = find_tntp_files(tntp)
    if "trips" not in files:
        raise BadArgumentError(f"{tntp} has no *_trips.tntp file: nothing to assign")
    net = read_net(files["net"])
    demand = read_trips(files["trips"], net.zones)
    key = net.name.lower().replace("-", "").replace("_", "")
    tw, dw = TNTP_WEIGHTS.get(key, (0.0, 0.0))
    spec = AssignmentSpec(
        algorithm=algorithm,
        target_gap=gap,
        max_iterations=max_iter,
        toll_weight=tw if toll_weight is None else toll_weight,
        distance_weight=dw if distance_weight is None else distance_weight,
        strict=strict,
    )
    links = LinkTable.from_tntp(net)
    if as_json:
        result = assign(links, demand, spec)
    else:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[gap]}"),
            TimeElapsedColumn(),
            console=console(),
            transient=True,
        ) as bar:
            task = bar.add_task(f"{net.name} {algorithm}", total=max_iter, gap="")

            def tick(it: int, g: float) -> None:
                bar.update(task, completed=it, gap=f"iteration {it}, gap {g:.2e}")

            result = assign(links, demand, spec, progress=tick)
    if out is not None:
        write_frame_atomic(out, result.links_frame)
    if as_json:
        emit_json(result.as_dict())
        return 0
    verdict = "converged" if result.converged else "NOT converged"
    console().print(
        f"{net.name}: {verdict} — {result.iterations} iterations, relative gap "
        f"{result.relative_gap:.3e}, objective {result.objective:,.6f}, "
        f"{result.seconds:.2f} s ({algorithm})"
    )
    return 0


def _assign_package(
    demand_file: Path,
    package: Path | None,
    date: str | None,
    scenario: str | None,
    algorithm: str,
    gap: float,
    max_iter: int,
    out: Path | None,
    strict: bool,
    as_json: bool,
) -> int:
    from ..assignment import AssignmentSpec
    from ..assignment.corridor import assign_network, read_demand
    from ..export import write_frame_atomic
    from ..timeline import parse_date

    net = load(package)
    rows = read_demand(demand_file, net)
    spec = AssignmentSpec(
        algorithm=algorithm,
        target_gap=gap,
        max_iterations=max_iter,
        strict=strict,
    )
    day = parse_date(date).isoformat() if date is not None else None
    na = assign_network(net, rows, spec, date=day, scenario=scenario)
    frame = na.links_frame()
    if out is not None:
        write_frame_atomic(out, frame)
    if as_json:
        emit_json({**na.result.as_dict(), "links": frame.to_dict(orient="records")})
        return 0
    res = na.result
    console().print(
        f"{net.manifest.name}: {'converged' if res.converged else 'NOT converged'} "
        f"— {res.iterations} iterations, relative gap {res.relative_gap:.3e}; "
        f"unserved t/yr: {res.unserved}"
    )
    console().print(frame.sort_values("tonnes", ascending=False).head(20).to_string(index=False))
    return 0
