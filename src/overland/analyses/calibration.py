"""Calibration: fit the multipliers of ``parameters.yaml`` on the calibration set of the
package's observations, never on the hold-out set (docs/fit.md).

A coordinate search over a fixed grid of multipliers, one parameter at a time, twice
over: the border dwell and the scheduled waits of elements marked as estimates, θ of the
corridor-flows logit, the spread of the values of time and each commodity's mean value of
time. The objective is the count of
calibration observations within tolerance less the count the model misses by more than
``GROSS_FACTOR`` (so near hits are not bought with gross misses), ties broken by the
mean squared log ratio (each capped at ``log 8``), after plausibility: a set whose links'
waits (scheduled plus queued) exceed what the sources describe (``QUEUE_LIMIT_H``, or a
sourced surge's wait on its dates, widened by the tolerance of averages,
``QUEUE_TOLERANCE``) by fewer days beats any that fits more, and after it a set that
keeps more of the package's anchors (observations marked ``anchor``: the figures its
demand and capacities were calibrated to) within tolerance. Every category
is used: routes (transit times, dwell, rates, distances), corridor flows (volumes and
shares: the value of time decides between sea and rail) and capacities. The hold-out
set is evaluated before and after, and reported, never optimised.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..batch import run_chunks
from ..network import network_from_package
from ..package import RawPackage, read_package
from ..schema import DEFAULT_LIMITS, SCHEMA_VERSION, LoadLimits, Parameters
from .fit import QUEUE_LIMIT_H, QUEUE_TOLERANCE, Checked, FitResult, check

__all__ = ["CATEGORIES", "GRID", "GROSS_FACTOR", "Calibration", "calibrate", "parameters_yaml"]

#: the observation categories the objective uses (every one: volumes and shares come from
#: corridor flows, so the value of time is fitted against the modal split it causes)
CATEGORIES = ("transit_time", "dwell", "rate", "distance", "volume", "share", "capacity")
#: the multipliers tried for each parameter
GRID = (0.1, 0.2, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0)
_CAP = math.log(8.0)
#: a gross miss: the model outside the observed figure (or its range) by more than this
#: factor, the distance at which a figure stops telling which corridor carries the goods
GROSS_FACTOR = 2.0


def _objective(rows: Sequence[Checked]) -> tuple[int, float]:
    """(within - gross misses, -mean squared capped log ratio): larger is better. A figure
    the model misses by more than ``GROSS_FACTOR`` costs as much as one within tolerance
    gains, so no set buys near hits with gross misses."""
    logs = [min(abs(math.log(r.ratio)), _CAP) ** 2 for r in rows if r.ratio and r.ratio > 0]
    gross = sum((r.off_by or 1.0) > GROSS_FACTOR for r in rows)
    return sum(r.within for r in rows) - gross, -(sum(logs) / len(logs) if logs else 0.0)


def _score(res: FitResult) -> tuple[float, int, int, float]:
    """Larger is better: plausibility first — the days by which links' waits exceed the
    longest the sources describe (any excess over half an hour, in half-days rounded up:
    a ferry queued two hours past the limit is less plausible than none) — then the
    package's anchors kept within tolerance, then :func:`_objective`."""
    excess = math.ceil(max(sum(res.queue_excess_h.values()) - 0.5, 0.0) / 12) / 2
    rows = res.split(False)
    anchors = sum(not r.within for r in rows if r.observation.anchor)
    return (-excess, -anchors, *_objective(rows))


@dataclass(frozen=True)
class Calibration:
    """The fitted parameters and the fit before and after, on both sets."""

    parameters: Parameters
    before: FitResult
    after: FitResult
    evaluations: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters.model_dump(mode="json"),
            "evaluations": self.evaluations,
            "before": self.before.summary(),
            "after": self.after.summary(),
        }


def _with(p: Parameters, name: str, value: float) -> Parameters:
    if name.startswith("value_of_time_scale."):
        commodity = name.split(".", 1)[1]
        return p.model_copy(
            update={"value_of_time_scale": {**p.value_of_time_scale, commodity: value}}
        )
    return p.model_copy(update={name: value})


def _get(p: Parameters, name: str) -> float:
    if name.startswith("value_of_time_scale."):
        return p.value_of_time_scale.get(name.split(".", 1)[1], 1.0)
    return float(getattr(p, name))


def _evaluate(payload: tuple[RawPackage, tuple[str, ...]], p: Parameters) -> FitResult:
    """Module-level chunk function for :func:`overland.batch.run_chunks`: the fit of the
    package ``payload`` with parameters ``p`` on the ``payload``'s categories."""
    raw, categories = payload
    return check(network_from_package(raw, parameters=p), categories=categories)


def calibrate(
    path: Path | str,
    *,
    limits: LoadLimits = DEFAULT_LIMITS,
    grid: Sequence[float] = GRID,
    passes: int = 2,
    categories: Sequence[str] = CATEGORIES,
    progress: Callable[[int, str], None] | None = None,
    start: Parameters | None = None,
    start_from: str | None = None,
    scheduler: Any = None,
    workers: int = 2,
) -> Calibration:
    """Fit the package's multipliers on its calibration set of the given observation
    ``categories``, starting from none or from ``start`` (to refine a fitted set);
    ``start_from`` says in the result's method where ``start`` came from (default: the
    previous fit, ``--refine``).

    The grid of one multiplier is evaluated as one batch (``scheduler``/``workers``: see
    :func:`overland.batch.run_chunks`; ``"local"`` starts one cluster for the whole
    search); the trials of a multiplier do not depend on each other and the best is
    chosen in grid order, so the result is the same wherever they ran.
    """
    raw = read_package(path, limits=limits)
    base = Parameters(schema_version=SCHEMA_VERSION)
    payload = (raw, tuple(categories))
    if scheduler == "local":
        from distributed import Client

        from ..batch import local_cluster

        with local_cluster(workers) as cluster, Client(cluster) as client:
            return _search(payload, base, grid, passes, progress, start, start_from, client)
    return _search(payload, base, grid, passes, progress, start, start_from, scheduler, workers)


def _search(
    payload: tuple[RawPackage, tuple[str, ...]],
    base: Parameters,
    grid: Sequence[float],
    passes: int,
    progress: Callable[[int, str], None] | None,
    start: Parameters | None,
    start_from: str | None,
    scheduler: Any,
    workers: int = 2,
) -> Calibration:
    raw, categories = payload
    network = network_from_package(raw, parameters=base)
    used = {d.commodity for d in network.demand.values()}
    names = ["dwell_scale", "wait_scale", "logit_scale", "value_of_time_spread_scale"] + [
        f"value_of_time_scale.{c}" for c in sorted(network.commodities) if c in used
    ]
    best = base
    if start is not None:
        best = start.model_copy(update={"schema_version": SCHEMA_VERSION})
    first = [base] if start is None else [base, best]
    before, *started = run_chunks(_evaluate, payload, first, scheduler=scheduler, workers=workers)
    after, evaluations = (started[0] if started else before), len(first)
    if progress is not None:
        progress(evaluations, "start")
    best_score = _score(after)
    for _ in range(passes):
        for name in names:
            current = _get(best, name)
            trials = [_with(best, name, v) for v in grid if v != current]
            done = evaluations

            def tick(n: int, _total: int, name: str = name, done: int = done) -> None:
                if progress is not None:
                    progress(done + n, name)

            results = run_chunks(
                _evaluate, payload, trials, scheduler=scheduler, workers=workers, progress=tick
            )
            evaluations += len(trials)
            # in grid order, a later trial only if strictly better: as one after the other
            for trial, result in zip(trials, results, strict=True):
                s = _score(result)
                if s > best_score:
                    best, best_score, after = trial, s, result
    cal_b, cal_a = before.summary()["calibration"], after.summary()["calibration"]
    hold_b, hold_a = before.summary()["holdout"], after.summary()["holdout"]
    fitted = best.model_copy(
        update={
            "fitted_on": dt.date.today(),
            "method": "overland calibrate"
            + (f" {start_from or '--refine (from the previous fit)'}" if start is not None else "")
            + ": coordinate search over the multipliers "
            f"{', '.join(str(g) for g in grid)}, {passes} passes, on the calibration set "
            f"of {', '.join(categories)} (first the days by which links' waits exceed "
            f"{QUEUE_LIMIT_H / 24:.0f} or a sourced surge's wait by over "
            f"{QUEUE_TOLERANCE:.0%}, then anchors outside tolerance, then count within "
            "tolerance less the count missed by "
            f"over {GROSS_FACTOR:g}x, then mean squared log ratio); the hold-out set only "
            "reported",
            "result": f"{', '.join(categories)}: calibration within "
            f"{cal_b['within']} -> {cal_a['within']} of {cal_a['count']}, hold-out "
            f"{hold_b['within']} -> {hold_a['within']} of {hold_a['count']}",
        }
    )
    return Calibration(fitted, before, after, evaluations)


def parameters_yaml(p: Parameters) -> str:
    """``parameters.yaml`` text: the fitted multipliers with what they did."""
    import yaml

    doc = p.model_dump(mode="json", exclude_defaults=False)
    doc["value_of_time_scale"] = {k: v for k, v in doc["value_of_time_scale"].items() if v != 1}
    header = (
        "# Written by `overland calibrate` (docs/fit.md): multipliers on the package's\n"
        "# estimates, fitted on the calibration set of observations.csv. Do not edit by\n"
        "# hand; run the command again.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=88)
