"""Shippers' route choice: choice sets, a two-level logit, and its equilibrium with the
network's capacities.

Every demand row chooses among a small set of routes (:func:`choice_set`): the most
diverse cheap alternatives and the best route of each corridor of the package. Its tonnes
split over them by a two-level logit (:func:`nested_shares`): corridors by their best
route's cost, then routes within a corridor, each level ``∝ exp(-θ · C / C_min)``. A
row's shippers choose in value-of-time classes (:func:`value_classes`: a lognormal value
of time across shipments, cut at quantiles), each class at its own value of time. A
route's cost ``C`` is its free-flow cost plus the class's value of time × its free-flow
hours and the hours the links it uses add at their current flows (congestion and queues,
the volume–delay functions of :mod:`overland.assignment.corridor`), plus what those
queues cost the route's idle equipment; on links whose slots are sold, the queue is a
price that every class pays alike (``ChoiceSets.timed``).

:func:`logit_equilibrium` finds the flows at which the split and the link times agree (a
stochastic user equilibrium over fixed choice sets): a saturated crossing's queue grows
until enough shippers choose another corridor that the queue is what their choice
implies. It averages the logit loads with self-regulated step sizes (Liu, Ban and Ran
2009) until the loads the split implies differ from the flows by less than
``tolerance`` (relative, sum over links).

Demand is rationed at a wait limit: a link may carry a limit on the hours its queue adds
(``limit_h``): of what the logit sends a route, the part that comes falls from all to
none as a link's queue rises through the last ``SHED_SCALE_H`` hours before its limit
(:meth:`ChoiceSets.hardness`). A shipper a queue turns away chooses again among the
other routes that avoid what turned it away, by the logit, up to ``RETRIES`` times
(:meth:`ChoiceSets.rationed`); what every try fails to
move is *shed* — it does not move in the year (it waits into the next, or its trade goes
elsewhere). Well below every limit nothing is shed and demand is inelastic; far above
capacity the queue settles just under the limit — no queue passes its limit, none runs
for months. The averaging runs on the flows that are carried, so a queue and what it
turns away agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm

from ..assignment._retry import retried
from ..assignment.corridor import SHED_SCALE_H
from ..graph import BoolArray, FloatArray, IntArray
from ..routing import Query, best_at_value_of_time, best_avoiding, routes_for

if TYPE_CHECKING:
    from ..network import Network
    from ..route import Route
    from ..schema import Corridors

__all__ = [
    "LOGIT_ROUTES",
    "LOGIT_THETA",
    "SHED_SCALE_H",
    "VALUE_QUANTILES",
    "ChoiceSets",
    "LogitEquilibrium",
    "ValueClasses",
    "choice_set",
    "class_shares",
    "logit_equilibrium",
    "logit_shares",
    "logit_theta",
    "nested_shares",
    "shed_hardness",
    "value_classes",
]

LOGIT_THETA = 8.0
LOGIT_ROUTES = 4
#: the self-regulated averaging's step is 1/β, and β grows by the first after an
#: iteration whose gap grew, by the second after one whose gap fell (Liu, Ban and Ran
#: 2009 take them in [1.5, 2] and [0.01, 0.5]). 0.1, not 0.3, after an improving step:
#: on the embedded network's flows 2.5 times fewer iterations to the same 1e-6 (2024:
#: 4,817 to 1,753 in the first round; 2021 with the sea market: 11,903 to 3,863;
#: demand × 3, 2024: the first round had reached the 20,000-iteration cap at 1.2e-6, now
#: 8,178), the same flows
STEP_GROWTH_WORSE = 1.8
STEP_GROWTH_BETTER = 0.1
#: times a shipper turned away by a queue near its wait limit chooses again in the year
#: (:meth:`ChoiceSets.rationed`). ESTIMATE: four tries a year, as freight is commonly
#: contracted by the quarter; not fitted
RETRIES = 3
#: quantiles that cut a commodity's shippers into value-of-time classes, from the least
#: time-sensitive up (:func:`value_classes`): the top classes are small, because the
#: shippers who pay for speed (rail instead of sea) are the tail of the distribution
VALUE_QUANTILES = (0.0, 0.3, 0.6, 0.85, 0.95, 0.99, 1.0)

#: a row's shippers: (share of its tonnes, value of time in USD per t·h) per class
ValueClasses = tuple[tuple[float, float], ...]


def logit_theta(network: Network) -> float:
    """θ of the package: ``LOGIT_THETA`` × its fitted ``logit_scale`` (parameters.yaml)."""
    p = network.parameters
    return LOGIT_THETA * (p.logit_scale if p is not None else 1.0)


def value_classes(mean: float, spread: float) -> ValueClasses:
    """A commodity's shippers as value-of-time classes: the value of time is lognormal
    across shipments with this ``mean`` and log standard deviation ``spread`` (what one
    tonne is worth varies by orders of magnitude within "containers"), cut at the
    quantiles ``VALUE_QUANTILES``; each class is its tonnes' share and its conditional
    mean, so the classes' tonne-weighted mean is ``mean``. ``spread`` 0: one class."""
    if spread <= 0 or mean <= 0:
        return ((1.0, mean),)
    z = norm.ppf(np.asarray(VALUE_QUANTILES))
    weight = np.diff(norm.cdf(z))
    # E[X; a < Z < b] = mean · (Φ(b − σ) − Φ(a − σ)) for X = exp(μ + σZ)
    part = np.diff(norm.cdf(z - spread))
    return tuple((float(w), float(mean * p / w)) for w, p in zip(weight, part, strict=True))


def class_shares(
    routes: Sequence[Route],
    groups: Sequence[str],
    classes: ValueClasses,
    theta: float = LOGIT_THETA,
) -> FloatArray:
    """Per class (rows) the two-level logit shares of the routes (columns), each priced
    at the class's value of time: ``cost + value of time × time``."""
    cost = np.array([r.cost_usd_per_t for r in routes], float)
    hours = np.array([r.time_h for r in routes], float)
    return np.array([nested_shares(cost + v * hours, groups, theta) for _, v in classes])


def logit_shares(costs: Sequence[float], theta: float = LOGIT_THETA) -> list[float]:
    """Logit probabilities ``∝ exp(-θ · C / C_min)`` of routes with the given costs."""
    return nested_shares(costs, ["all"] * len(costs), theta)


def nested_shares(
    costs: Sequence[float] | FloatArray, groups: Sequence[str], theta: float = LOGIT_THETA
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
    when another one is cheaper); and the best route of each of the commodity's
    value-of-time classes (:func:`value_classes`), so every class can take its own best
    route whatever else an event adds to the set (the cheapest ship is not crowded out of
    the slowest shippers' choices by a faster way that opens)."""
    routes = routes_for(q, k=k)
    seen = {r.links for r in routes}
    goods = q.network.commodities[q.commodity]
    for _, value in value_classes(goods.value_of_time_usd_per_t_h, goods.value_of_time_spread):
        best = best_at_value_of_time(q, value)
        if best is not None and best.links not in seen:
            seen.add(best.links)
            routes.append(best)
    if corridors is None:
        return routes
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
    """Every demand row's routes, their corridors, and the links each route loads.

    A row's shippers choose in value-of-time classes (:func:`value_classes`): every class
    of a row chooses among the row's routes, so a route appears once per class (an
    *entry*); a *choice* is one class of one row."""

    routes: tuple[Route, ...]  # per entry
    corridor: tuple[str, ...]  # per entry
    row: IntArray  # per entry: its demand row
    choice: IntArray  # per entry: its (row, class) choice
    tonnes: FloatArray  # per demand row (0 for a row without routes)
    choice_tonnes: FloatArray  # per choice: its class's tonnes
    value_of_time: FloatArray  # per entry: its class's value of time, USD per t·h
    base_cost: FloatArray  # per entry: free-flow cost + value of time × time, USD per t
    incidence: sp.csr_matrix  # entries × links: 1 where the route uses the link
    # entries × links: what an hour of the link's queue costs per tonne beyond the cargo's
    # value of time, for the equipment the route keeps waiting there, or on a link whose
    # slots are sold, the price of an hour of its queue (USD per t·h)
    idle: sp.csr_matrix
    # per link: 1 where its queue is waited out (costs each class its value of time), 0
    # where it is rationed by price (costs only ``idle``)
    timed: FloatArray
    group: IntArray  # per entry: its (choice, corridor) nest
    group_row: IntArray  # per nest: its choice
    # per choice c, its entries are start[c]:start[c + 1] (a choice's entries together)
    start: IntArray

    @classmethod
    def build(
        cls,
        per_row: Sequence[Sequence[Route]],
        corridors: Sequence[Sequence[str]],
        tonnes: Sequence[float],
        classes: Sequence[ValueClasses],
        links_of: Callable[[Route], Mapping[int, float]],
        n_links: int,
        priced: FloatArray | None = None,
    ) -> ChoiceSets:
        """From each row's routes, their corridors and the row's value-of-time classes;
        ``links_of(route)`` gives the links (of ``n_links``) a route loads, each with what
        an hour of its queue costs per tonne for the route's idle equipment, or its price
        on the links ``priced`` marks (rationed by price: no class pays its value of time
        there)."""
        routes: list[Route] = []
        names: list[str] = []
        row: list[int] = []
        choice: list[int] = []
        choice_tonnes: list[float] = []
        vot: list[float] = []
        group: list[int] = []
        group_row: list[int] = []
        cols: list[int] = []
        idle: list[float] = []
        ptr = [0]
        for i, (rs, cs) in enumerate(zip(per_row, corridors, strict=True)):
            if not rs:
                continue
            links = [sorted(links_of(r).items()) for r in rs]
            for weight, value in classes[i]:
                j = len(choice_tonnes)
                choice_tonnes.append(tonnes[i] * weight)
                nests: dict[str, int] = {}
                for r, c, ls in zip(rs, cs, links, strict=True):
                    if c not in nests:
                        nests[c] = len(group_row)
                        group_row.append(j)
                    routes.append(r)
                    names.append(c)
                    row.append(i)
                    choice.append(j)
                    vot.append(value)
                    group.append(nests[c])
                    cols.extend(link for link, _ in ls)
                    idle.extend(cost for _, cost in ls)
                    ptr.append(len(cols))
        index = (np.array(cols, np.int64), np.array(ptr, np.int64))
        incidence = sp.csr_matrix((np.ones(len(cols)), *index), shape=(len(routes), n_links))
        incidence.sort_indices()  # the retries look links up in each route's row
        served = np.zeros(len(tonnes))
        served[np.unique(np.array(row, np.int64))] = 1.0
        value_of_time = np.array(vot, float)
        start = np.searchsorted(np.array(choice, np.int64), np.arange(len(choice_tonnes) + 1))
        return cls(
            routes=tuple(routes),
            corridor=tuple(names),
            row=np.array(row, np.int64),
            choice=np.array(choice, np.int64),
            tonnes=np.asarray(tonnes, float) * served,
            choice_tonnes=np.array(choice_tonnes, float),
            value_of_time=value_of_time,
            base_cost=np.array([r.cost_usd_per_t for r in routes], float)
            + value_of_time * np.array([r.time_h for r in routes], float),
            incidence=incidence,
            idle=sp.csr_matrix((np.array(idle, float), *index), shape=(len(routes), n_links)),
            timed=np.ones(n_links) if priced is None else 1.0 - np.asarray(priced, float),
            group=np.array(group, np.int64),
            group_row=np.array(group_row, np.int64),
            start=np.asarray(start, np.int64),
        )

    def costs(self, added_h: FloatArray) -> FloatArray:
        """Each entry's cost with the hours its links add: its class's value of time × the
        hours it waits (every link it uses but those rationed by price), plus its idle
        equipment's cost of them and the price of the slots it books."""
        return np.asarray(
            self.base_cost
            + self.value_of_time * (self.incidence @ (added_h * self.timed))
            + self.idle @ added_h
        )

    def shares(self, added_h: FloatArray, theta: float = LOGIT_THETA) -> FloatArray:
        """Each entry's share of its choice's tonnes at the links' added hours."""
        cost = self.costs(added_h)
        return _nested(cost, self.group, self.group_row, self.choice_tonnes.size, theta)

    def hardness(self, added_h: FloatArray, limit_h: FloatArray | None) -> FloatArray:
        """Per link, ``-log`` of the part of what is routed through it that its queue
        lets pass (:func:`shed_hardness`): 0 while the queue is ``SHED_SCALE_H`` or more
        below its limit (``limit_h``, per link; None: no limits), infinite (capped) at it.
        A route passes ``exp(-sum)`` over its links."""
        if limit_h is None:
            return np.zeros(self.incidence.shape[1])
        return shed_hardness(added_h, limit_h)

    def rationed(self, logit: FloatArray, hardness: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Each entry's share of its choice's tonnes when its links pass only part of
        what the logit sends it (``hardness``, per link: a route passes ``exp(-sum)``
        over its links), and the share shed on its account. A shipper a queue turns away
        chooses again, up to ``RETRIES`` times, among its choice's other routes that
        avoid what turned it away: each by its logit share times the chance that it does
        (none of the links it shares with the failed route failed, the links failing
        independently), renormalised; with no such route it tries the same route again
        (so does a choice of one route). A try passes with the chosen route's part; what
        the last try turns away is shed, on the account of the route that turned it
        away. Smooth in ``hardness``. Retrying by the same logit, the full route
        included, shed most of a choice whose cheap routes were full though a dearer one
        had room (2021's Shanghai-Constanța boxes: 45 % shed with the sea lane open);
        excluding only the route that turned the shipper away, still a tenth, for a
        row's Middle-Corridor routes all cross the one small ferry; moving everything
        while any route passed a little threw cargo onto routes the logit all but
        excludes, and its equilibrium at demand × 3 did not converge."""
        load = np.asarray(self.incidence @ hardness)  # per entry: -log of what passes
        if not load.any():
            return np.asarray(logit, float), np.zeros(len(load))
        inc = self.incidence
        return retried(
            logit, load, hardness, inc.indptr, inc.indices, self.start, self.choice, RETRIES
        )

    def carried(self, share: FloatArray) -> FloatArray:
        """Tonnes each entry carries when it takes ``share`` of its choice."""
        return np.asarray(self.choice_tonnes[self.choice] * share)

    def load(self, share: FloatArray) -> FloatArray:
        """Tonnes on every link when each entry carries ``share`` of its choice."""
        return np.asarray(self.incidence.T @ self.carried(share))


def shed_hardness(added_h: FloatArray, limit_h: FloatArray) -> FloatArray:
    """Per link, ``-log`` of the part of the cargo routed through it that its queue
    (``added_h``) lets pass against its limit (``limit_h``): 0 while the queue is
    ``SHED_SCALE_H`` or more below the limit, infinite (capped at 700) at it."""
    band = np.clip((np.asarray(limit_h) - added_h) / SHED_SCALE_H, 0.0, 1.0)
    return np.asarray(-np.log(np.maximum(band, np.exp(-700.0))))


@dataclass(frozen=True)
class LogitEquilibrium:
    """Flows at which the logit split and the link times agree."""

    flow: FloatArray  # per link, tonnes per year
    added_h: FloatArray  # per link, hours its congestion or queue adds at ``flow``
    # per entry (route and class): the part of its choice's tonnes it carries, the logit
    # split as the queues ration it (:meth:`ChoiceSets.rationed`, the retries included)
    share: FloatArray
    cost: FloatArray  # per entry, USD per tonne with the added hours
    # per entry: the part of its choice's tonnes that is shed on its account: what its
    # route's queues turned away at the last try (:meth:`ChoiceSets.rationed`)
    shed: FloatArray
    gap: float  # sum |load the split implies − flow| / sum of that load
    iterations: int
    converged: bool


def logit_equilibrium(
    sets: ChoiceSets,
    added_hours: Callable[[FloatArray], FloatArray],
    *,
    theta: float = LOGIT_THETA,
    tolerance: float = 1e-6,
    max_iterations: int = 20_000,
    limit_h: FloatArray | None = None,
    fixed: BoolArray | None = None,
) -> LogitEquilibrium:
    """The stochastic user equilibrium of ``sets``: ``added_hours(flow)`` gives each
    link's added hours at a flow, which cost each class its value of time and each route
    its idle equipment (``ChoiceSets.idle``); ``limit_h`` (per link, ``inf`` for none)
    the hours a link's queue may add before the cargo routed through it is shed
    (:meth:`ChoiceSets.hardness`). Self-regulated averaging: the step shrinks fast while the
    residual grows and slowly while it falls. ``fixed`` (per link) marks links whose
    added hours do not depend on their flow (no capacity): their flows are what the split
    sends them at once, not averaged, since they feed nothing back (averaged, they only
    lag behind the split by the step, and a step made small by a steep queue elsewhere
    held the gap above the tolerance for tens of thousands of iterations)."""
    n_links = sets.incidence.shape[1]

    def split(added: FloatArray) -> tuple[FloatArray, FloatArray]:
        # each entry's carried share and shed share at the links' added hours
        return sets.rationed(sets.shares(added, theta), sets.hardness(added, limit_h))

    free = np.zeros(n_links, bool) if fixed is None else np.asarray(fixed, bool)
    added = added_hours(np.zeros(n_links))
    x = sets.load(split(added)[0])
    beta, last, gap, it = 1.0, np.inf, np.inf, 0
    while it < max_iterations:
        it += 1
        added = added_hours(x)
        y = sets.load(split(added)[0])
        x[free] = y[free]
        total = float(y.sum())
        gap = float(np.abs(y - x).sum()) / total if total > 0 else 0.0
        if gap <= tolerance:
            break
        beta += STEP_GROWTH_WORSE if gap > last else STEP_GROWTH_BETTER
        last = gap
        x = x + (y - x) / beta
    added = added_hours(x)
    share, shed = split(added)
    return LogitEquilibrium(
        flow=x,
        added_h=added,
        share=share,
        cost=sets.costs(added),
        shed=shed,
        gap=gap,
        iterations=it,
        converged=bool(gap <= tolerance),
    )
