"""Criticality under congestion: single failures re-solved at user equilibrium.

The free-flow scan (:mod:`overland.analyses.criticality`) ranks every element in a fraction of a
second but ignores capacity: traffic pushed off a failed line lands on ferries and border
posts that may already be near capacity. Here each failure of a short list (by default
the ``top`` elements of the free-flow scan) is re-solved with the corridor-flows
assignment (multi-class user equilibrium with the capacities and volume-delay functions
of :mod:`overland.assignment.corridor`), and compared with the intact network at equilibrium:

- **extra cost** Σ tonnes × (new − old equilibrium USD/t) over rows served in both;
- **unserved tonnes** of rows that lose every route;
- **congestion premium**: extra cost at equilibrium minus extra cost at free flow;
- the most loaded link after the failure and its volume/capacity.

One equilibrium per failure (a second or two each on the embedded network) is the work
that scales out: failures are independent chunks for :func:`overland.batch.run_chunks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..assignment import AssignmentSpec, assign
from ..assignment.corridor import UNCONGESTED, AssignmentProblem, assignment_problem, package_demand
from ..batch import Progress, run_chunks
from ..errors import BadArgumentError
from ..graph import graph_of
from .criticality import ELEMENT_KINDS, CriticalityResult, criticality, elements_of

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["CongestedCriticality", "congested_criticality"]


@dataclass(frozen=True)
class _Payload:
    problem: AssignmentProblem
    spec: AssignmentSpec
    element_links: tuple[np.ndarray, ...]  # assignment links each element owns
    row_class: np.ndarray  # index into problem.classes
    row_origin: np.ndarray  # zone
    row_dest: np.ndarray
    row_vot: np.ndarray


@dataclass(frozen=True)
class CongestedCriticality:
    """Failures re-solved at equilibrium, worst first."""

    date: dt.date
    scenario: str | None
    table: pd.DataFrame
    base_gap: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready rows."""
        recs = []
        for r in self.table.to_dict(orient="records"):
            recs.append(
                {
                    k: (round(v, 3) if isinstance(v, float) and np.isfinite(v) else v)
                    for k, v in r.items()
                }
            )
        return {
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "base_relative_gap": self.base_gap,
            "failures": recs,
        }


def congested_criticality(
    network: Network,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    elements: Sequence[str] | None = None,
    top: int = 12,
    kinds: tuple[str, ...] = ELEMENT_KINDS,
    countries: tuple[str, ...] = (),
    growth: float = 1.0,
    spec: AssignmentSpec | None = None,
    free_flow: CriticalityResult | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> CongestedCriticality:
    """Re-solve ``elements`` (``kind:id``; default: the free-flow scan's ``top``) at
    equilibrium and rank them by extra cost plus the value of unserved cargo.
    ``free_flow``: the free-flow scan of the same state, when already computed."""
    if not 1 <= top <= 500:
        raise BadArgumentError(f"top must be between 1 and 500, got {top}")
    state = network.as_of(date, scenario)
    fast = free_flow or criticality(
        network, date=state.date, scenario=scenario, kinds=kinds, countries=countries, growth=growth
    )
    table = fast.table
    if elements is None:
        chosen = [f"{k}:{i}" for k, i in zip(table["kind"][:top], table["id"][:top], strict=True)]
    else:
        chosen = list(elements)
    labels, edges = elements_of(network, state, ELEMENT_KINDS, set())
    index = {f"{k}:{i}": n for n, (k, i, _) in enumerate(labels)}
    missing = [c for c in chosen if c not in index]
    if missing:
        raise BadArgumentError(
            f"unknown or closed element(s) {', '.join(missing)}; give kind:id with kind one "
            f"of {', '.join(ELEMENT_KINDS)}"
        )
    rows = package_demand(network, state.date.year, growth)
    problem = assignment_problem(network, rows, date=state.date.isoformat(), scenario=scenario)
    link_edges = np.array(problem.edges, np.int64)
    class_index = {c.name: n for n, c in enumerate(problem.classes)}
    zone = graph_of(network).place_index
    payload = _Payload(
        problem=problem,
        spec=spec or AssignmentSpec(algorithm="gp", target_gap=1e-6, max_iterations=200),
        element_links=tuple(np.flatnonzero(np.isin(link_edges, edges[index[c]])) for c in chosen),
        row_class=np.array([class_index[n] for n in problem.row_class], np.int64),
        row_origin=np.array([zone[r.origin] for r in rows], np.int64),
        row_dest=np.array([zone[r.destination] for r in rows], np.int64),
        row_vot=np.array(
            [network.commodities[r.commodity].value_of_time_usd_per_t_h for r in rows]
        ),
    )
    parts = run_chunks(
        _solve_without,
        payload,
        list(range(-1, len(chosen))),
        scheduler=scheduler,
        workers=workers,
        progress=progress,
    )
    base_cost, base_gap, _, _ = parts[0]
    tonnes = np.array([r.tonnes_per_year for r in rows])
    value = np.array([network.commodities[r.commodity].value_usd_per_t for r in rows])
    free = dict(
        zip(
            table["kind"] + ":" + table["id"],
            table["extra_cost_usd_per_year"],
            strict=True,
        )
    )
    names = {f"{k}:{i}": name for k, i, name in labels}
    recs = []
    for c, (cost, gap, worst_link, worst_vc) in zip(chosen, parts[1:], strict=True):
        served = np.isfinite(base_cost)
        both = served & np.isfinite(cost)
        lost = served & ~np.isfinite(cost)
        extra = float(np.sum(tonnes[both] * (cost[both] - base_cost[both])))
        kind, eid = c.split(":", 1)
        recs.append(
            {
                "kind": kind,
                "id": eid,
                "name": names[c],
                "impact_usd_per_year": extra + float(np.sum((tonnes * value)[lost])),
                "extra_cost_usd_per_year": extra,
                "free_flow_extra_usd_per_year": float(free.get(c, np.nan)),
                "congestion_premium_usd_per_year": extra - float(free.get(c, np.nan)),
                "unserved_tonnes": float(tonnes[lost].sum()),
                "most_loaded_link": worst_link,
                "most_loaded_volume_capacity": worst_vc,
                "relative_gap": gap,
            }
        )
    out = pd.DataFrame(recs)
    if len(out):
        out = out.sort_values(
            ["impact_usd_per_year", "kind", "id"], ascending=[False, True, True], kind="stable"
        ).reset_index(drop=True)
    return CongestedCriticality(state.date, scenario, out, float(base_gap))


def _solve_without(payload: _Payload, i: int) -> tuple[np.ndarray, float, str | None, float]:
    """Equilibrium without element ``i`` (-1: the intact network): each row's USD/t
    (inf when it has no route), the relative gap, and the most loaded link."""
    p = payload.problem
    classes = list(p.classes)
    if i >= 0:
        off = payload.element_links[i]
        n = p.links.capacity.size
        classes = [c.model_copy(update={"allowed": _without(c.allowed, off, n)}) for c in classes]
    res = assign(p.links, classes, payload.spec)
    cost = np.empty(payload.row_class.size)
    for r in range(cost.size):
        od = res.od_cost[classes[payload.row_class[r]].name]
        cost[r] = od[payload.row_origin[r], payload.row_dest[r]] * payload.row_vot[r]
    capped = p.links.capacity < UNCONGESTED
    vc = np.where(capped, res.link_flow / np.where(capped, p.links.capacity, 1.0), 0.0)
    worst = int(np.argmax(vc))
    return cost, float(res.relative_gap), p.link_ids[worst], float(vc[worst])


def _without(allowed: np.ndarray | None, off: np.ndarray, n: int) -> np.ndarray:
    mask = np.ones(n, np.bool_) if allowed is None else allowed.copy()
    mask[off] = False
    return mask
