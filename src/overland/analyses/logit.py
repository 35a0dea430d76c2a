"""Shippers' route choice: choice sets, a two-level logit, and its equilibrium with the
network's capacities.

Every demand row chooses among a small set of routes (:func:`choice_set`): the most
diverse cheap alternatives and the best route of each corridor of the package. Its tonnes
split over them by a two-level logit (:func:`nested_shares`): corridors by their best
route's cost, then routes within a corridor, each level ``∝ exp(-θ · C / C_min)``. A
route's cost ``C`` is its free-flow generalized cost plus the hours the links it uses add
at their current flows (congestion and queues, the volume–delay functions of
:mod:`overland.assignment.corridor`) at the row's value of time.

:func:`logit_equilibrium` finds the flows at which the split and the link times agree (a
stochastic user equilibrium over fixed choice sets): a saturated crossing's queue grows
until enough shippers choose another corridor that the queue is what their choice
implies. It averages the logit loads with self-regulated step sizes (Liu, Ban and Ran
2009) until the loads the split implies differ from the flows by less than
``tolerance`` (relative, sum over links).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..graph import FloatArray, IntArray
from ..routing import Query, best_avoiding, routes_for

if TYPE_CHECKING:
    from ..network import Network
    from ..route import Route
    from ..schema import Corridors

__all__ = [
    "LOGIT_ROUTES",
    "LOGIT_THETA",
    "ChoiceSets",
    "LogitEquilibrium",
    "choice_set",
    "logit_equilibrium",
    "logit_shares",
    "logit_theta",
    "nested_shares",
]

LOGIT_THETA = 8.0
LOGIT_ROUTES = 4


def logit_theta(network: Network) -> float:
    """θ of the package: ``LOGIT_THETA`` × its fitted ``logit_scale`` (parameters.yaml)."""
    p = network.parameters
    return LOGIT_THETA * (p.logit_scale if p is not None else 1.0)


def logit_shares(costs: Sequence[float], theta: float = LOGIT_THETA) -> list[float]:
    """Logit probabilities ``∝ exp(-θ · C / C_min)`` of routes with the given costs."""
    return nested_shares(costs, ["all"] * len(costs), theta)


def nested_shares(
    costs: Sequence[float], groups: Sequence[str], theta: float = LOGIT_THETA
) -> list[float]:
    """Two-level logit of one choice: each group (corridor) by the logit of its best
    route's cost, then each route within its group by the logit of the group's costs.
    Near-copies of one corridor's route do not multiply that corridor's share (the
    independence of irrelevant alternatives a flat logit over overlapping routes
    suffers from)."""
    names = sorted(set(groups))
    group = np.array([names.index(g) for g in groups], np.int64)
    zeros = np.zeros(len(names), np.int64)
    return list(_nested(np.asarray(costs, float), group, zeros, 1, theta))


def _nested(
    cost: FloatArray, group: IntArray, group_row: IntArray, n_rows: int, theta: float
) -> FloatArray:
    """Vectorised :func:`nested_shares` of many choices: ``group`` per route, and per
    group the choice (row) it belongs to."""
    n_groups = group_row.size
    g_min = np.full(n_groups, np.inf)
    np.minimum.at(g_min, group, cost)
    r_min = np.full(n_rows, np.inf)
    np.minimum.at(r_min, group_row, g_min)
    r_best = np.where(r_min > 0, r_min, 1.0)
    g_weight = np.exp(-theta * g_min / r_best[group_row])
    r_sum = np.zeros(n_rows)
    np.add.at(r_sum, group_row, g_weight)
    g_share = g_weight / r_sum[group_row]
    g_best = np.where(g_min > 0, g_min, 1.0)
    weight = np.exp(-theta * cost / g_best[group])
    g_sum = np.zeros(n_groups)
    np.add.at(g_sum, group, weight)
    return np.asarray(g_share[group] * weight / g_sum[group])


def choice_set(q: Query, corridors: Corridors | None, k: int = LOGIT_ROUTES) -> list[Route]:
    """Routes a shipper chooses among: ``k`` diverse alternatives and, per corridor of the
    package, the best route avoiding the countries of the corridors before it (the best
    route outside the first corridor, outside the first two, ...: a sea route is in the
    set whenever one exists, however many land routes beat it) and the best avoiding the
    countries and modes of every other corridor (the first corridor's own best route,
    when another one is cheaper)."""
    routes = routes_for(q, k=k)
    if corridors is None:
        return routes
    seen = {r.links for r in routes}
    probes: list[tuple[set[str], set[str]]] = []
    before: set[str] = set()
    for c in corridors.corridors:
        before |= set(c.countries_any)
        probes.append((set(before), set()))
        others = [o for o in corridors.corridors if o is not c]
        countries = {x for o in others for x in o.countries_any} - set(c.countries_any)
        modes = {str(m) for o in others for m in o.modes_any} - set(c.modes_any)
        probes.append((countries, modes))
    for countries, modes in probes:
        r = best_avoiding(q, countries, modes)
        if r is not None and r.links not in seen:
            seen.add(r.links)
            routes.append(r)
    return routes


@dataclass(frozen=True)
class ChoiceSets:
    """Every demand row's routes, their corridors, and the links each route loads."""

    routes: tuple[Route, ...]
    corridor: tuple[str, ...]  # per route
    row: IntArray  # per route: its demand row
    tonnes: FloatArray  # per demand row (0 for a row without routes)
    value_of_time: FloatArray  # per route: its row's value of time, USD per t·h
    base_cost: FloatArray  # per route: its free-flow generalized cost, USD per tonne
    incidence: sp.csr_matrix  # routes × links: 1 where the route uses the link
    group: IntArray  # per route: its (row, corridor) nest
    group_row: IntArray  # per nest: its row

    @classmethod
    def build(
        cls,
        per_row: Sequence[Sequence[Route]],
        corridors: Sequence[Sequence[str]],
        tonnes: Sequence[float],
        value_of_time: Sequence[float],
        links_of: Callable[[Route], Sequence[int]],
        n_links: int,
    ) -> ChoiceSets:
        """From each row's routes and their corridors; ``links_of(route)`` gives the links
        (of ``n_links``) a route loads."""
        routes: list[Route] = []
        names: list[str] = []
        row: list[int] = []
        vot: list[float] = []
        group: list[int] = []
        group_row: list[int] = []
        cols: list[int] = []
        ptr = [0]
        for i, (rs, cs) in enumerate(zip(per_row, corridors, strict=True)):
            nests: dict[str, int] = {}
            for r, c in zip(rs, cs, strict=True):
                if c not in nests:
                    nests[c] = len(group_row)
                    group_row.append(i)
                routes.append(r)
                names.append(c)
                row.append(i)
                vot.append(value_of_time[i])
                group.append(nests[c])
                cols.extend(sorted(set(links_of(r))))
                ptr.append(len(cols))
        incidence = sp.csr_matrix(
            (np.ones(len(cols)), np.array(cols, np.int64), np.array(ptr, np.int64)),
            shape=(len(routes), n_links),
        )
        served = np.zeros(len(tonnes))
        served[np.unique(np.array(row, np.int64))] = 1.0
        return cls(
            routes=tuple(routes),
            corridor=tuple(names),
            row=np.array(row, np.int64),
            tonnes=np.asarray(tonnes, float) * served,
            value_of_time=np.array(vot, float),
            base_cost=np.array([r.generalized_cost_usd_per_t for r in routes], float),
            incidence=incidence,
            group=np.array(group, np.int64),
            group_row=np.array(group_row, np.int64),
        )

    def costs(self, added_h: FloatArray, waiting_cost: FloatArray | None = None) -> FloatArray:
        """Each route's cost with the hours its links add: its row's value of time × the
        added hours of every link it uses, plus each link's ``waiting_cost`` (USD per t·h,
        the idle equipment) × its added hours."""
        cost = self.base_cost + self.value_of_time * (self.incidence @ added_h)
        if waiting_cost is not None:
            cost = cost + self.incidence @ (waiting_cost * added_h)
        return np.asarray(cost)

    def shares(
        self,
        added_h: FloatArray,
        theta: float = LOGIT_THETA,
        waiting_cost: FloatArray | None = None,
    ) -> FloatArray:
        """Each route's share of its row's tonnes at the links' added hours."""
        cost = self.costs(added_h, waiting_cost)
        return _nested(cost, self.group, self.group_row, self.tonnes.size, theta)

    def load(self, share: FloatArray) -> FloatArray:
        """Tonnes on every link when each route carries ``share`` of its row."""
        return np.asarray(self.incidence.T @ (self.tonnes[self.row] * share))


@dataclass(frozen=True)
class LogitEquilibrium:
    """Flows at which the logit split and the link times agree."""

    flow: FloatArray  # per link, tonnes per year
    added_h: FloatArray  # per link, hours its congestion or queue adds at ``flow``
    share: FloatArray  # per route
    cost: FloatArray  # per route, USD per tonne with the added hours
    gap: float  # sum |load the split implies − flow| / sum of that load
    iterations: int
    converged: bool


def logit_equilibrium(
    sets: ChoiceSets,
    added_hours: Callable[[FloatArray], FloatArray],
    *,
    theta: float = LOGIT_THETA,
    waiting_cost: FloatArray | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 20_000,
) -> LogitEquilibrium:
    """The stochastic user equilibrium of ``sets``: ``added_hours(flow)`` gives each
    link's added hours at a flow, which cost the rows' value of time plus the link's
    ``waiting_cost`` per tonne-hour. Self-regulated averaging: the step shrinks fast while
    the residual grows and slowly while it falls."""
    n_links = sets.incidence.shape[1]
    added = added_hours(np.zeros(n_links))
    x = sets.load(sets.shares(added, theta, waiting_cost))
    beta, last, gap, it = 1.0, np.inf, np.inf, 0
    while it < max_iterations:
        it += 1
        added = added_hours(x)
        y = sets.load(sets.shares(added, theta, waiting_cost))
        total = float(y.sum())
        gap = float(np.abs(y - x).sum()) / total if total > 0 else 0.0
        if gap <= tolerance:
            break
        beta += 1.8 if gap > last else 0.3
        last = gap
        x = x + (y - x) / beta
    added = added_hours(x)
    share = sets.shares(added, theta, waiting_cost)
    return LogitEquilibrium(
        flow=x,
        added_h=added,
        share=share,
        cost=sets.costs(added, waiting_cost),
        gap=gap,
        iterations=it,
        converged=bool(gap <= tolerance),
    )
