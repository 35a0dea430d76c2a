"""Corridor flows: the package's demand loaded on the network with capacities.

Two views of the same demand:

- **User equilibrium** (path-based gradient projection on generalized time, multi-class
  by commodity, OD-dependent rules as classes): link and border volumes against
  capacity, delay added, unserved demand. This is where capacity binds.
- **Logit split** for shippers' diversity, over a choice set per OD pair
  (:func:`choice_set`): ``LOGIT_ROUTES`` diverse alternatives plus, for each corridor of
  the package, the best route that avoids the countries of the corridors before it (so
  the deep-sea route is in the set whenever one exists, however many land routes beat
  it). Shares are a two-level logit (:func:`nested_shares`): corridors by their best
  route's cost, then routes within a corridor, each level ``∝ exp(-θ · C / C_min)`` with
  ``C`` the generalized cost of the route *at the equilibrium* (free-flow cost plus the
  congestion and queueing time the assignment adds on each link it uses, in the direction
  it uses it, at the commodity's value of time) and ``θ = LOGIT_THETA`` (a route 10 %
  dearer than the best gets ``e^-0.8 ≈ 45 %`` of its weight). Near-copies of one
  corridor's route do not add to that corridor's share. Corridor shares and country
  transit tonnage come from this split, so they move when a crossing saturates.

Corridors and the groups of links whose tonnes are reported (a sea crossing, a pass)
are the package's (``corridors.yaml``): a route belongs to the first corridor whose
countries or modes it uses.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..assignment import AssignmentSpec
from ..assignment.corridor import UNCONGESTED, NetworkAssignment, assign_network, package_demand
from ..errors import BadArgumentError, NoRouteError
from ..graph import graph_of
from ..route import Route
from ..routing import Query, best_avoiding, pair_query, routes_for

if TYPE_CHECKING:
    from ..network import Network
    from ..schema import Corridors

__all__ = [
    "LOGIT_THETA",
    "FlowsResult",
    "choice_set",
    "corridor_flows",
    "corridor_of",
    "logit_shares",
    "nested_shares",
]

LOGIT_THETA = 8.0
LOGIT_ROUTES = 4


def _delay_by_step(network: Network, na: NetworkAssignment) -> dict[tuple[str, str], float]:
    """Hours the equilibrium adds to each (link, place it is entered from), worst gauge."""
    g = graph_of(network)
    r = na.result
    added = r.link_time - r.links.fft
    out: dict[tuple[str, str], float] = {}
    for i, e in enumerate(na.edges):
        lid = na.link_ids[i]
        if e < 0 or lid is None or added[i] <= 1e-9:
            continue
        link = network.links[lid]
        start = link.from_place if g.edge_forward[e] else link.to_place
        key = (lid, start)
        out[key] = max(out.get(key, 0.0), float(added[i]))
    return out


def logit_shares(costs: list[float]) -> list[float]:
    """Logit probabilities ``∝ exp(-θ · C / C_min)`` of routes with the given costs."""
    best = min(costs) or 1.0
    weights = [math.exp(-LOGIT_THETA * c / best) for c in costs]
    total = sum(weights)
    return [w / total for w in weights]


def nested_shares(costs: list[float], groups: list[str]) -> list[float]:
    """Two-level logit: each group (corridor) by the logit of its best route's cost, then
    each route within its group by the logit of the group's costs. Several near-copies of
    one corridor's route do not multiply that corridor's share (the independence of
    irrelevant alternatives a flat logit over overlapping routes suffers from)."""
    names = sorted(set(groups))
    best = {g: min(c for c, h in zip(costs, groups, strict=True) if h == g) for g in names}
    upper = dict(zip(names, logit_shares([best[g] for g in names]), strict=True))
    out = [0.0] * len(costs)
    for g in names:
        members = [i for i, h in enumerate(groups) if h == g]
        for i, w in zip(members, logit_shares([costs[i] for i in members]), strict=True):
            out[i] = upper[g] * w
    return out


def choice_set(q: Query, corridors: Corridors | None, k: int = LOGIT_ROUTES) -> list[Route]:
    """Routes a shipper chooses among: ``k`` diverse alternatives and, per corridor of the
    package, the best route avoiding the countries of the corridors before it (so the
    best route outside the first corridor, outside the first two, ...: a sea route is in
    the set whenever one exists, however many land routes beat it)."""
    routes = routes_for(q, k=k)
    if corridors is None:
        return routes
    seen = {r.links for r in routes}
    avoid: set[str] = set()
    for c in corridors.corridors:
        avoid |= set(c.countries_any)
        r = best_avoiding(q, avoid)
        if r is not None and r.links not in seen:
            seen.add(r.links)
            routes.append(r)
    return routes


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
    links: pd.DataFrame  # link, tonnes, capacity, volume_capacity, wait_added_h
    shares: dict[str, float]  # corridor -> tonnes (logit split)
    row_corridors: dict[str, dict[str, float]]  # demand id -> corridor -> tonnes (logit)
    transit: dict[str, float]  # country -> transit tonnes (logit split)
    unserved: float
    link_groups: dict[str, dict[str, float]]  # group id -> link -> tonnes (both directions)
    group_names: dict[str, str]  # group id -> name (corridors.yaml)
    od: pd.DataFrame  # per demand row: free-flow best route and equilibrium cost
    delay_tonne_hours: float  # congestion and queueing: sum of flow x (time - free-flow)
    converged: bool
    relative_gap: float
    assignment: NetworkAssignment = field(repr=False, compare=False)

    def group_tonnes(self, group: str) -> float:
        """Tonnes a link group carries per year (both directions, every link)."""
        return sum(self.link_groups[group].values())

    def bottlenecks(self, n: int = 15) -> pd.DataFrame:
        """Links and border posts with the highest volume/capacity."""
        df = self.links[self.links["capacity"] < UNCONGESTED]
        return df.sort_values("volume_capacity", ascending=False).head(n)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "growth": self.growth,
            "total_tonnes": round(self.total_tonnes),
            "unserved_tonnes": round(self.unserved),
            "over_capacity_tonnes": round(float(self.links["excess_tonnes"].sum())),
            "over_capacity_links": int((self.links["excess_tonnes"] > 0).sum()),
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
                    "tonnes": round(float(row["tonnes"])),
                    "capacity": round(float(row["capacity"])),
                    "volume_capacity": round(float(row["volume_capacity"]), 3),
                    "wait_added_h": round(float(row["wait_added_h"]), 1),
                    "excess_tonnes": round(float(row["excess_tonnes"])),
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
    spec: AssignmentSpec | None = None,
) -> FlowsResult:
    """Load the package's demand (× ``growth``) on the network as of date/scenario."""
    if not network.demand:
        raise BadArgumentError("this network package has no demand table (demand.csv)")
    if not 0 < growth <= 100:
        raise BadArgumentError(f"growth must be in (0, 100], got {growth}")
    state = network.as_of(date, scenario)
    na = assign_network(
        network,
        package_demand(network, state.date.year, growth),
        spec or AssignmentSpec(algorithm="gp", target_gap=1e-6, max_iterations=200),
        date=state.date.isoformat(),
        scenario=scenario,
    )
    links = na.links_frame()
    delay = _delay_by_step(network, na)
    by_link = links.set_index("link")["tonnes"]
    groups = network.corridors.link_groups if network.corridors else ()
    link_groups = {g.id: {lid: float(by_link.get(lid, 0.0)) for lid in g.links} for g in groups}
    corridors = network.corridors
    shares: dict[str, float] = defaultdict(float)
    row_corridors: dict[str, dict[str, float]] = {}
    transit: dict[str, float] = defaultdict(float)
    index = graph_of(network).place_index
    od_rows: list[dict[str, Any]] = []
    rows = network.demand_for(state.date.year)
    for d, cls in zip(rows, na.row_class, strict=True):
        tonnes = d.tonnes_per_year * growth
        vot = network.commodities[d.commodity].value_of_time_usd_per_t_h
        eq_h = float(na.result.od_cost[cls][index[d.origin], index[d.destination]])
        od_row: dict[str, Any] = {
            "demand": d.id,
            "origin": d.origin,
            "destination": d.destination,
            "commodity": d.commodity,
            "tonnes": tonnes,
            "corridor": None,
            "free_flow_time_h": math.nan,
            "free_flow_generalized_usd_per_t": math.nan,
            "equilibrium_corridor": None,
            "equilibrium_time_h": math.nan,
            "equilibrium_cost_usd_per_t": math.nan,
            "equilibrium_generalized_usd_per_t": eq_h * vot if math.isfinite(eq_h) else math.nan,
        }
        od_rows.append(od_row)
        try:
            routes = choice_set(pair_query(state, d.origin, d.destination, d.commodity), corridors)
        except NoRouteError:
            continue
        first = min(routes, key=lambda r: r.generalized_cost_usd_per_t)
        od_row["corridor"] = corridor_of(first, corridors)
        od_row["free_flow_time_h"] = first.time_h
        od_row["free_flow_generalized_usd_per_t"] = first.generalized_cost_usd_per_t
        waits = [
            sum(delay.get(step, 0.0) for step in zip(r.links, r.places[:-1], strict=True))
            for r in routes
        ]
        loaded = [
            r.generalized_cost_usd_per_t + vot * w for r, w in zip(routes, waits, strict=True)
        ]
        pick = int(np.argmin(loaded))
        od_row["equilibrium_corridor"] = corridor_of(routes[pick], corridors)
        od_row["equilibrium_time_h"] = routes[pick].time_h + waits[pick]
        od_row["equilibrium_cost_usd_per_t"] = routes[pick].cost_usd_per_t
        split = row_corridors.setdefault(d.id, defaultdict(float))
        names = [corridor_of(r, corridors) for r in routes]
        for r, name, w in zip(routes, names, nested_shares(loaded, names), strict=True):
            share = tonnes * w
            shares[name] += share
            split[name] += share
            for c in r.countries[1:-1]:
                if c not in (r.countries[0], r.countries[-1]):
                    transit[c] += share
    return FlowsResult(
        date=state.date,
        scenario=scenario,
        growth=growth,
        total_tonnes=sum(d.tonnes_per_year for d in rows) * growth,
        links=links,
        shares=dict(shares),
        row_corridors={k: dict(v) for k, v in row_corridors.items()},
        transit=dict(transit),
        unserved=sum(na.result.unserved.values()),
        link_groups=link_groups,
        group_names={g.id: g.name for g in groups},
        od=pd.DataFrame(od_rows),
        delay_tonne_hours=float(
            np.sum(na.result.link_flow * (na.result.link_time - na.result.links.fft))
        ),
        converged=na.result.converged,
        relative_gap=na.result.relative_gap,
        assignment=na,
    )
