"""Corridor flows: the package's demand loaded on the network with capacities.

Every demand row splits over its choice set (:mod:`overland.analyses.logit`: diverse
alternatives and the best route of each corridor of the package) by a two-level logit on
generalized cost — corridors by their best route, then routes within a corridor — and
the flows are the **logit equilibrium** with the network's capacities: each route's cost
includes the hours its links add at the flows the split puts on them (BPR congestion on
roads; queues on ferries, sea legs and border posts with a capacity, the volume–delay
functions of :mod:`overland.assignment.corridor`), and at terminals with a capacity and
on links booked by the unit, whose space operators sell, a price instead of a wait: the
same queue at
``PRICE_USD_PER_T_H`` an hour, paid alike by every shipper, so the ones who value time
least go another way first. A saturated crossing's queue (or slot price) grows until
enough shippers choose another corridor; a row's best route at the
loaded costs joins its choice set when it is new (column generation). Link volumes
against capacity, the waits added, what arrives above capacity, corridor shares and
transit tonnage all come from the same split, so they agree. Demand is rationed at a
wait limit (``wait_limit_h``: by default ``WAIT_LIMIT_H``, 210 h of scheduled and queued
wait at one link — the sources' 7 days within the fit's tolerance — or a sourced surge's
wait within the same tolerance on its dates): what would queue past it is *shed* —
reported per row and per link as ``shed_tonnes``, the cargo that does not move in the
year — instead of queueing for months.

Corridors and the groups of links whose tonnes are reported (a sea crossing, a pass)
are the package's (``corridors.yaml``): a route belongs to the first corridor whose
countries or modes it uses.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..assignment import AssignmentResult
from ..assignment.corridor import (
    PRICE_USD_PER_T_H,
    UNCONGESTED,
    WAIT_LIMIT_H,
    AssignmentProblem,
    NetworkAssignment,
    assignment_problem,
    check_wait_limit,
    on_edges,
    package_demand,
    queue_limits,
)
from ..errors import BadArgumentError, NoRouteError
from ..graph import FloatArray, graph_of
from ..routing import Query, best_loaded, pair_query
from ..schema import LAND_MODES
from .logit import (
    ChoiceSets,
    LogitEquilibrium,
    ValueClasses,
    choice_set,
    logit_equilibrium,
    logit_theta,
    value_classes,
)

#: most rounds of column generation in the corridor flows' equilibrium
COLUMN_ROUNDS = 10

if TYPE_CHECKING:
    from ..graph import Graph
    from ..network import Network
    from ..route import Route
    from ..schema import Corridors, DemandRow
    from ..timeline import NetworkState

__all__ = [
    "FlowsResult",
    "corridor_flows",
    "corridor_of",
]


def corridor_of(route: Route, corridors: Corridors | None) -> str:
    """The corridor a route belongs to: the first of the package's definitions
    (``corridors.yaml``) whose countries or modes it uses; without them, ``"all"``."""
    if corridors is None:
        return "all"
    countries, modes = set(route.countries), set(route.modes)
    for c in corridors.corridors:
        if countries.intersection(c.countries_any) or modes.intersection(c.modes_any):
            return c.id
    return corridors.default


@dataclass(frozen=True)
class FlowsResult:
    """Loaded network, corridor shares and what binds, for one date/scenario/growth."""

    date: dt.date
    scenario: str | None
    growth: float
    total_tonnes: float
    # network links: link, tonnes, capacity, volume_capacity, wait_added_h, excess_tonnes,
    # shed_tonnes, premium_usd_per_t (kind "link")
    links: pd.DataFrame
    shares: dict[str, float]  # corridor -> tonnes (logit split)
    row_corridors: dict[str, dict[str, float]]  # demand id -> corridor -> tonnes (logit)
    # demand id -> corridor -> tonnes weighted by their class's value of time over the
    # commodity's mean: the split by value (a class's value of time is a fixed share of
    # its cargo's value per day)
    row_values: dict[str, dict[str, float]]
    transit: dict[str, float]  # country -> transit tonnes (logit split)
    # place -> tonnes of demand that starts or ends there and leaves or arrives by land
    # (its route's first or last link is not a ferry or sea leg): at a port, cargo the
    # port's terminals ship on or bring in, outside the network
    land_ends: dict[str, float]
    unserved: float  # tonnes of rows without a route
    shed: float  # tonnes shed: demand whose routes would queue past the wait limit
    wait_limit_h: float | None  # the limit, hours (None: nothing is shed)
    link_groups: dict[str, dict[str, float]]  # group id -> link -> tonnes (both directions)
    group_names: dict[str, str]  # group id -> name (corridors.yaml)
    od: pd.DataFrame  # per demand row: free-flow best route and equilibrium cost
    delay_tonne_hours: float  # congestion and queueing: sum of flow x (time - free-flow)
    # transfers with a capacity (terminals), the same columns (kind "transfer")
    terminals: pd.DataFrame
    converged: bool
    relative_gap: float
    assignment: NetworkAssignment = field(repr=False, compare=False)

    def queue_hours(self, route: Route) -> float:
        """Hours these flows' congestion and queues add to a route: the added hours, at
        equilibrium, of every edge it uses. Its free-flow time plus these is how long it
        takes with the network as loaded on the date."""
        na = self.assignment
        n_edges = 1 + max(*na.edges, *route.edges)
        added = on_edges(na.edges, na.result.link_time - na.result.links.fft, n_edges)
        return float(added[list(route.edges)].sum())

    def group_tonnes(self, group: str) -> float:
        """Tonnes a link group carries per year (both directions, every link)."""
        return sum(self.link_groups[group].values())

    def bottlenecks(self, n: int = 15) -> pd.DataFrame:
        """Links, border posts and terminals with the highest volume/capacity."""
        df = pd.concat([self.links, self.terminals], ignore_index=True)
        df = df[df["capacity"] < UNCONGESTED]
        return df.sort_values("volume_capacity", ascending=False).head(n)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        bound = pd.concat([self.links, self.terminals], ignore_index=True)
        return {
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "growth": self.growth,
            "total_tonnes": round(self.total_tonnes),
            "unserved_tonnes": round(self.unserved),
            "shed_tonnes": round(self.shed),
            "wait_limit_h": self.wait_limit_h,
            "over_capacity_tonnes": round(float(bound["excess_tonnes"].sum())),
            "over_capacity_links": int((bound["excess_tonnes"] > 0).sum()),
            "delay_added_tonne_hours": round(self.delay_tonne_hours),
            "link_groups": [
                {
                    "id": gid,
                    "name": self.group_names.get(gid, gid),
                    "tonnes": round(self.group_tonnes(gid)),
                    "links": {k: round(v) for k, v in by_link.items()},
                }
                for gid, by_link in self.link_groups.items()
            ],
            "corridor_shares": {
                k: round(v / self.total_tonnes, 4) if self.total_tonnes else 0
                for k, v in sorted(self.shares.items())
            },
            "corridor_tonnes": {k: round(v) for k, v in sorted(self.shares.items())},
            "transit_tonnes": {
                k: round(v) for k, v in sorted(self.transit.items(), key=lambda kv: -kv[1])
            },
            "converged": self.converged,
            "relative_gap": self.relative_gap,
            "bottlenecks": [
                {
                    "link": str(row["link"]),
                    "kind": str(row["kind"]),
                    "tonnes": round(float(row["tonnes"])),
                    "capacity": round(float(row["capacity"])),
                    "volume_capacity": round(float(row["volume_capacity"]), 3),
                    "wait_added_h": round(float(row["wait_added_h"]), 1),
                    "premium_usd_per_t": round(float(row["premium_usd_per_t"]), 1),
                    "excess_tonnes": round(float(row["excess_tonnes"])),
                    "shed_tonnes": round(float(row["shed_tonnes"])),
                }
                for row in self.bottlenecks().to_dict(orient="records")
            ],
            "od": [
                {k: _json_value(v) for k, v in row.items()}
                for row in self.od.to_dict(orient="records")
            ],
        }


def _json_value(value: object) -> object:
    """Rounded floats, and None for NaN (JSON has no NaN)."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 2)
    return value


def corridor_flows(
    network: Network,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    growth: float = 1.0,
    tolerance: float = 1e-6,
    wait_limit_h: float | None = WAIT_LIMIT_H,
) -> FlowsResult:
    """Load the package's demand (× ``growth``) on the network as of date/scenario: the
    logit equilibrium of every row's choice set with the network's capacities, shedding
    what would wait at a link longer than ``wait_limit_h`` hours (or a sourced surge's
    wait on its dates; None: nothing is shed, queues grow without bound)."""
    if not network.demand:
        raise BadArgumentError("this network package has no demand table (demand.csv)")
    if not 0 < growth <= 100:
        raise BadArgumentError(f"growth must be in (0, 100], got {growth}")
    check_wait_limit(wait_limit_h)
    state = network.as_of(date, scenario)
    rows = network.demand_for(state.date.year)
    p = assignment_problem(
        network,
        package_demand(network, state.date.year, growth),
        date=state.date.isoformat(),
        scenario=scenario,
    )
    tonnes = [d.tonnes_per_year * growth for d in rows]
    limits = None if wait_limit_h is None else queue_limits(network, state, p, wait_limit_h)
    started = time.perf_counter()
    sets, eq, history, complete = _equilibrium(network, state, rows, tonnes, p, tolerance, limits)
    result = AssignmentResult(
        link_flow=eq.flow,
        link_time=p.links.fft + eq.added_h * ~p.priced,
        class_flow=_class_flows(sets, eq, p.row_class),
        od_cost={},
        history=history,
        # not converged when column generation still found better routes in its last round
        converged=eq.converged and complete,
        relative_gap=eq.gap,
        iterations=history[-1][0],
        objective=math.nan,
        seconds=time.perf_counter() - started,
        algorithm="logit",
        links=p.links,
    )
    na = NetworkAssignment(
        result,
        p.link_ids,
        p.edges,
        p.links.capacity,
        p.row_class,
        labels=p.labels,
        premium_usd=eq.added_h * p.priced * PRICE_USD_PER_T_H,
        shed=_shed_on_links(sets, eq, limits),
    )
    return _result(network, state.date, scenario, growth, wait_limit_h, rows, tonnes, sets, eq, na)


def _shed_on_links(sets: ChoiceSets, eq: LogitEquilibrium, limits: FloatArray | None) -> FloatArray:
    """Per assignment link, the tonnes shed because its queue nears its limit: each
    route's shed tonnes split over its links by how much of its cargo each sheds
    (:meth:`~overland.analyses.logit.ChoiceSets.hardness`; no limits: nothing)."""
    over = sets.incidence.multiply(sets.hardness(eq.added_h, limits)).tocsr()
    total = np.asarray(over.sum(axis=1)).ravel()
    shed = sets.carried(eq.shed)
    per_unit = np.divide(shed, total, out=np.zeros_like(shed), where=total > 0)
    return np.asarray(over.T @ per_unit)


def _equilibrium(
    network: Network,
    state: NetworkState,
    rows: Sequence[DemandRow],
    tonnes: Sequence[float],
    p: AssignmentProblem,
    tolerance: float,
    limits: FloatArray | None,
) -> tuple[ChoiceSets, LogitEquilibrium, list[tuple[int, float, float, float]], bool]:
    """The logit equilibrium of the rows' choice sets, with column generation: after each
    equilibrium, every row's best route at the loaded costs joins its set if it is new (a
    detour around a saturated ferry that the diverse alternatives did not hold), until no
    row gains one or ``COLUMN_ROUNDS`` rounds have run. History: per round, the logit
    iterations so far, the gap, no objective (NaN) and the seconds so far; and whether
    column generation finished (False: the last round still found better routes, which
    the returned equilibrium does not hold)."""
    started = time.perf_counter()
    corridors = network.corridors
    g = graph_of(network)
    classes = [_classes(network, d.commodity) for d in rows]
    queries: list[list[Query]] = []
    per_row: list[list[Route]] = []
    for d, cs in zip(rows, classes, strict=True):
        try:
            q = pair_query(state, d.origin, d.destination, d.commodity)
            routes = choice_set(q, corridors)
        except NoRouteError:
            per_row.append([])
            queries.append([])
            continue
        per_row.append(routes)
        # column generation looks for the best route at the commodity's mean value of
        # time and at each class's
        values = sorted({v for _, v in cs} - {q.value_of_time})
        queries.append([q, *(replace(q, value_of_time=v) for v in values)])
    names = [[corridor_of(r, corridors) for r in rs] for rs in per_row]
    links_of = _route_links(network, p, g)
    # column generation prices a queue's idle equipment by the link's own mode (a ferry's
    # wagons: the cheapest), a lower bound of what the routes in the sets pay
    waiting = _waiting_cost(network, p)
    history: list[tuple[int, float, float, float]] = []
    for _ in range(COLUMN_ROUNDS + 1):
        sets = ChoiceSets.build(
            per_row,
            names,
            tonnes,
            classes,
            links_of,
            len(p.links.init),
            priced=p.priced,
        )
        eq = logit_equilibrium(
            sets,
            lambda x: p.links.times(x) - p.links.fft,
            theta=logit_theta(network),
            tolerance=tolerance,
            limit_h=limits,
            fixed=p.links.capacity >= UNCONGESTED,
        )
        added_edge = on_edges(p.edges, eq.added_h * ~p.priced, g.n_edges)
        extra_edge = on_edges(p.edges, waiting * eq.added_h, g.n_edges)
        added = 0
        for i, variants in enumerate(queries):
            if not tonnes[i]:
                continue
            for query in variants:
                r = best_loaded(query, added_edge, extra_edge)
                if r is not None and r.edges not in {x.edges for x in per_row[i]}:
                    per_row[i].append(r)
                    names[i].append(corridor_of(r, corridors))
                    added += 1
        done = eq.iterations + (history[-1][0] if history else 0)
        history.append((done, eq.gap, math.nan, time.perf_counter() - started))
        if not added:
            break
    return sets, eq, history, not added


def _classes(network: Network, commodity: str) -> ValueClasses:
    """The commodity's shippers by value of time: its mean and spread (commodities.csv,
    as fitted)."""
    c = network.commodities[commodity]
    return value_classes(c.value_of_time_usd_per_t_h, c.value_of_time_spread)


def _waiting_cost(network: Network, p: AssignmentProblem) -> FloatArray:
    """Per assignment link, what an hour of its queue costs per tonne beyond the cargo's
    value of time: its mode's idle equipment (``modes.csv``), 0 on connectors and
    transfers; where slots are sold, the price of an hour of the queue instead."""
    cost = {m: mp.waiting_cost_usd_per_t_h for m, mp in network.modes.items()}
    idle = np.array(
        [0.0 if lid is None else cost.get(network.links[lid].mode, 0.0) for lid in p.link_ids]
    )
    return np.where(p.priced, PRICE_USD_PER_T_H, idle)


def _class_flows(
    sets: ChoiceSets, eq: LogitEquilibrium, row_class: Sequence[str]
) -> dict[str, FloatArray]:
    """Tonnes of each assignment class (commodity and the rules that apply) per link."""
    carried = sets.carried(eq.share)
    out: dict[str, FloatArray] = {}
    for name in sorted(set(row_class)):
        mine = np.array([row_class[i] == name for i in sets.row], dtype=bool)
        out[name] = np.asarray(sets.incidence.T @ np.where(mine, carried, 0.0))
    return out


def _route_links(
    network: Network, p: AssignmentProblem, g: Graph
) -> Callable[[Route], dict[int, float]]:
    """The assignment links a route loads (its edges and the connectors from its origin's
    zone and to its destination's), each with what an hour of its queue costs per tonne
    for the equipment the route keeps waiting there: the link's mode's
    (``modes.csv`` ``waiting_cost_usd_per_t_h``), and on a ferry the vehicle the route
    boards it with — a truck on a road route, wagons on a rail route; on a terminal or a
    booked link, whose space is sold (``AssignmentProblem.priced``), the price of an hour
    of its queue."""
    of_edge = {e: i for i, e in enumerate(p.edges) if e >= 0}
    connector = {
        (int(a), int(b)): i
        for i, (a, b, e) in enumerate(zip(p.links.init, p.links.term, p.edges, strict=True))
        if e < 0
    }
    zones = p.links.zones
    index = g.place_index
    waiting = {m: mp.waiting_cost_usd_per_t_h for m, mp in network.modes.items()}

    def links(r: Route) -> dict[int, float]:
        out: dict[int, float] = {}
        on = [of_edge[e] for e in r.edges if e in of_edge]
        modes = [network.links[lid].mode if (lid := p.link_ids[i]) else None for i in on]
        land = [m for m in modes if m in ("road", "rail")]
        vehicle = land[0] if land else None
        for i, mode in zip(on, modes, strict=True):
            if mode in ("road", "rail"):
                vehicle = mode
            idle = vehicle if mode == "ferry" and vehicle else mode
            if p.priced[i]:  # a terminal or a booked link: its space's price
                out[i] = PRICE_USD_PER_T_H
            else:
                out[i] = waiting.get(idle, 0.0) if idle else 0.0
        if r.edges:
            first, last = int(g.edge_src[r.edges[0]]), int(g.edge_dst[r.edges[-1]])
            out[connector[(index[r.origin], first + zones)]] = 0.0
            out[connector[(last + zones, index[r.destination])]] = 0.0
        return out

    return links


def _result(
    network: Network,
    day: dt.date,
    scenario: str | None,
    growth: float,
    wait_limit: float | None,
    rows: Sequence[DemandRow],
    tonnes: Sequence[float],
    sets: ChoiceSets,
    eq: LogitEquilibrium,
    na: NetworkAssignment,
) -> FlowsResult:
    """Shares, transit, link groups and the per-row table of a logit equilibrium. A row's
    equilibrium route is its cheapest at the loaded costs and the commodity's mean value
    of time."""
    frame = na.links_frame()
    links = frame[frame["kind"] == "link"].reset_index(drop=True)
    by_link = links.set_index("link")["tonnes"]
    groups = network.corridors.link_groups if network.corridors else ()
    link_groups = {g.id: {lid: float(by_link.get(lid, 0.0)) for lid in g.links} for g in groups}
    shares: dict[str, float] = defaultdict(float)
    row_corridors: dict[str, dict[str, float]] = {}
    row_values: dict[str, dict[str, float]] = {}
    transit: dict[str, float] = defaultdict(float)
    land_ends: dict[str, float] = defaultdict(float)
    members: dict[int, list[int]] = defaultdict(list)
    for k, i in enumerate(sets.row):
        members[int(i)].append(k)
    od_rows: list[dict[str, Any]] = []
    unserved = 0.0
    carried = sets.carried(eq.share)
    shed = sets.carried(eq.shed)
    added = np.asarray(sets.incidence @ (eq.added_h * sets.timed))
    idle = np.asarray(sets.idle @ eq.added_h)
    for i, d in enumerate(rows):
        od_row: dict[str, Any] = {
            "demand": d.id,
            "origin": d.origin,
            "destination": d.destination,
            "commodity": d.commodity,
            "tonnes": tonnes[i],
            "corridor": None,
            "free_flow_time_h": math.nan,
            "free_flow_generalized_usd_per_t": math.nan,
            "equilibrium_corridor": None,
            "equilibrium_time_h": math.nan,
            "equilibrium_cost_usd_per_t": math.nan,
            "equilibrium_generalized_usd_per_t": math.nan,
            "shed_tonnes": 0.0,
        }
        od_rows.append(od_row)
        ks = members.get(i, [])
        if not ks:
            unserved += tonnes[i]
            continue
        vot = network.commodities[d.commodity].value_of_time_usd_per_t_h
        # every route at the mean value of time: the ones column generation found for a
        # value-of-time class carry that class's generalized cost
        free = {k: sets.routes[k].cost_usd_per_t + vot * sets.routes[k].time_h for k in ks}
        loaded = {k: free[k] + vot * added[k] + idle[k] for k in ks}
        first = min(ks, key=free.__getitem__)
        pick = min(ks, key=loaded.__getitem__)
        od_row["corridor"] = sets.corridor[first]
        od_row["free_flow_time_h"] = sets.routes[first].time_h
        od_row["free_flow_generalized_usd_per_t"] = float(free[first])
        od_row["equilibrium_corridor"] = sets.corridor[pick]
        od_row["equilibrium_time_h"] = sets.routes[pick].time_h + float(added[pick])
        od_row["equilibrium_cost_usd_per_t"] = sets.routes[pick].cost_usd_per_t
        od_row["equilibrium_generalized_usd_per_t"] = float(loaded[pick])
        od_row["shed_tonnes"] = float(shed[ks].sum())
        split = row_corridors.setdefault(d.id, defaultdict(float))
        by_value = row_values.setdefault(d.id, defaultdict(float))
        for k in ks:
            share = float(carried[k])
            shares[sets.corridor[k]] += share
            split[sets.corridor[k]] += share
            by_value[sets.corridor[k]] += (
                share * float(sets.value_of_time[k]) / vot if vot else share
            )
            r = sets.routes[k]
            if r.links and network.links[r.links[0]].mode in LAND_MODES:
                land_ends[r.origin] += share
            if r.links and network.links[r.links[-1]].mode in LAND_MODES:
                land_ends[r.destination] += share
            for c in r.countries[1:-1]:
                if c not in (r.countries[0], r.countries[-1]):
                    transit[c] += share
    result = na.result
    return FlowsResult(
        date=day,
        scenario=scenario,
        growth=growth,
        total_tonnes=sum(tonnes),
        links=links,
        terminals=frame[frame["kind"] == "transfer"].reset_index(drop=True),
        shares=dict(shares),
        row_corridors={k: dict(v) for k, v in row_corridors.items()},
        row_values={k: dict(v) for k, v in row_values.items()},
        transit=dict(transit),
        land_ends=dict(land_ends),
        unserved=unserved,
        shed=float(shed.sum()),
        wait_limit_h=wait_limit,
        link_groups=link_groups,
        group_names={g.id: g.name for g in groups},
        od=pd.DataFrame(od_rows),
        delay_tonne_hours=float(np.sum(result.link_flow * (result.link_time - result.links.fft))),
        converged=result.converged,
        relative_gap=result.relative_gap,
        assignment=na,
    )
