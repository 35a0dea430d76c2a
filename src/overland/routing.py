"""Shortest and alternative routes between two places on a date under a scenario.

``shortest_route`` answers "how do goods get from A to B on date D under scenario S,
and what does it take?"; when nothing gets through, :class:`~overland.errors.NoRouteError`
says which rule, closure or preference blocks the way.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from .errors import BadArgumentError, BudgetExceededError, NoFreightServiceError, NoRouteError
from .graph import HAUL, BoolArray, EdgeCosts, FloatArray, Graph, IntArray, graph_of
from .kernels import dijkstra, path_edges
from .places import resolve_place
from .route import Route, build_route
from .schema import MODES, Event, Rule
from .timeline import NetworkState, scenario_events

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "MAX_ALTERNATIVES",
    "OBJECTIVES",
    "Objective",
    "Query",
    "Shaping",
    "alternative_routes",
    "best_avoiding",
    "best_loaded",
    "make_query",
    "pair_query",
    "require_freight_service",
    "route_shaping",
    "routes_for",
    "shaping_fields",
    "shortest_route",
]

Objective = Literal["time", "cost", "generalized"]
OBJECTIVES: tuple[str, ...] = get_args(Objective)
#: most alternatives one search returns
MAX_ALTERNATIVES = 50
DEFAULT_COMMODITY = "general"


@dataclass(frozen=True)
class Query:
    """A resolved route query: places, state, shipment filters and edge weights."""

    network: Network
    graph: Graph
    state: NetworkState
    origin: str
    destination: str
    via: str | None
    commodity: str
    objective: str
    value_of_time: float
    modes: tuple[str, ...] | None
    avoid_countries: tuple[str, ...]
    avoid_links: tuple[str, ...] = ()
    #: False when no commodity was named and the package's default was assumed
    commodity_named: bool = True

    @property
    def ends(self) -> tuple[str, str]:
        """The shipment's origin and destination countries."""
        places = self.network.places
        return places[self.origin].country, places[self.destination].country

    @property
    def weight(self) -> FloatArray:
        """Edge weights for the objective."""
        return self.weight_of(self.graph.costs(self.state, self.commodity, self.ends))

    def weight_of(self, c: EdgeCosts) -> FloatArray:
        """Edge weights for the objective from the edges' figures ``c``."""
        if self.objective == "time":
            return c.time_h
        if self.objective == "cost":
            return c.cost_usd
        return c.cost_usd + self.value_of_time * c.time_h


def _countries(codes: Iterable[str], network: Network, what: str) -> tuple[str, ...]:
    out = []
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code not in network.countries:
            raise BadArgumentError(
                f"unknown country {raw!r} in {what}; valid: {', '.join(sorted(network.countries))}"
            )
        out.append(code)
    return tuple(out)


def require_freight_service(network: Network, place: str) -> None:
    """Raise :class:`NoFreightServiceError` when no freight mode serves ``place`` (an id)."""
    if graph_of(network).nodes_at(place).size == 0:
        layers = sorted(
            {ln.mode for ln in network.links.values() if place in (ln.from_place, ln.to_place)}
        )
        raise NoFreightServiceError(network.places[place].name, layers)


def pair_query(state: NetworkState, origin: str, destination: str, commodity: str) -> Query:
    """A generalized-cost query between two place ids on a state, for internal callers
    that validated their rows once (a demand table): no name look-up, no re-validation.
    Raises :class:`NoRouteError` when an end has no freight service or both are one."""
    network = state.network
    graph = graph_of(network)
    for pid in (origin, destination):
        if graph.nodes_at(pid).size == 0:
            raise NoRouteError(f"no freight service at {network.places[pid].name!r}")
    if origin == destination:
        raise NoRouteError(f"origin and destination are the same place ({origin!r})")
    return Query(
        network=network,
        graph=graph,
        state=state,
        origin=origin,
        destination=destination,
        via=None,
        commodity=commodity,
        objective="generalized",
        value_of_time=network.commodities[commodity].value_of_time_usd_per_t_h,
        modes=None,
        avoid_countries=(),
    )


def make_query(
    network: Network,
    origin: str,
    destination: str,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    commodity: str | None = None,
    avoid_countries: Iterable[str] = (),
    avoid_modes: Iterable[str] = (),
    modes: Iterable[str] | None = None,
    via: str | None = None,
    objective: str = "generalized",
    avoid_links: Iterable[str] = (),
) -> Query:
    """Resolve and check every argument of a route query (validation at the edge)."""
    if objective not in OBJECTIVES:
        raise BadArgumentError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
    named = commodity is not None
    if commodity is None:
        commodity = (
            DEFAULT_COMMODITY
            if DEFAULT_COMMODITY in network.commodities
            else next(iter(network.commodities))
        )
    if commodity not in network.commodities:
        valid = ", ".join(sorted(network.commodities))
        raise BadArgumentError(f"unknown commodity {commodity!r}; valid: {valid}")
    wanted = set(MODES) if modes is None else {m.strip() for m in modes if m.strip()}
    for m in [*wanted, *(m.strip() for m in avoid_modes if m.strip())]:
        if m not in MODES:
            raise BadArgumentError(f"unknown mode {m!r}; valid: {', '.join(MODES)}")
    wanted -= {m.strip() for m in avoid_modes}
    if not wanted:
        raise BadArgumentError("every mode is excluded; allow at least one of " + ", ".join(MODES))
    o = resolve_place(network, origin).id
    d = resolve_place(network, destination).id
    v = resolve_place(network, via).id if via else None
    if o == d:
        raise BadArgumentError(f"origin and destination are the same place ({o!r})")
    for place in (o, d, v):
        if place is not None:
            require_freight_service(network, place)
    links = tuple(dict.fromkeys(lid.strip() for lid in avoid_links if lid.strip()))
    unknown = [lid for lid in links if lid not in network.links]
    if unknown:
        raise BadArgumentError(f"unknown link(s) in avoid_links: {', '.join(unknown)}")
    return Query(
        network=network,
        graph=graph_of(network),
        state=network.as_of(date, scenario),
        origin=o,
        destination=d,
        via=v,
        commodity=commodity,
        objective=objective,
        value_of_time=network.commodities[commodity].value_of_time_usd_per_t_h,
        modes=None if wanted == set(MODES) else tuple(m for m in MODES if m in wanted),
        avoid_countries=_countries(avoid_countries, network, "avoid_countries"),
        avoid_links=links,
        commodity_named=named,
    )


def _solve(q: Query, allowed: BoolArray) -> list[int] | None:
    """Best path (edge ids) for a query under an edge mask, or None."""
    g, w = q.graph, q.weight
    o_nodes = g.nodes_at(q.origin)
    d_nodes = g.nodes_at(q.destination)
    targets = np.zeros(g.n_nodes, dtype=np.bool_)
    if q.via is None:
        targets[d_nodes] = True
        dist, pred = dijkstra(g.indptr, g.adj_edge, g.edge_dst, w, allowed, o_nodes, targets)
        best = d_nodes[np.argmin(dist[d_nodes])]
        if not np.isfinite(dist[best]):
            return None
        return path_edges(pred, g.edge_src, int(best))
    v_nodes = g.nodes_at(q.via)
    d1, p1 = dijkstra(g.indptr, g.adj_edge, g.edge_dst, w, allowed, o_nodes)
    reach = v_nodes[np.isfinite(d1[v_nodes])]
    if reach.size == 0:
        return None
    targets[d_nodes] = True
    d2, p2 = dijkstra(g.indptr, g.adj_edge, g.edge_dst, w, allowed, reach, targets, d1[reach])
    best = d_nodes[np.argmin(d2[d_nodes])]
    if not np.isfinite(d2[best]):
        return None
    second = path_edges(p2, g.edge_src, int(best))
    start = int(g.edge_src[second[0]]) if second else int(best)
    first = path_edges(p1, g.edge_src, start)
    if not _places(g, first) & _places(g, second) - {g.place_index[q.via]}:
        return first + second
    # the best way through the via place goes out and back over some place: prefer a
    # route that passes each place once (either leg kept, the other barred from its
    # places), when one exists
    simple = [
        path
        for path in (_leg_avoiding(q, allowed, first, last=True), _leg_avoiding(q, allowed, second))
        if path is not None
    ]
    if not simple:
        return first + second
    return min(simple, key=lambda path: float(w[path].sum()))


def _places(g: Graph, edges: Sequence[int]) -> set[int]:
    """Place indices a path touches (both ends of each edge)."""
    if not edges:
        return set()
    idx = np.asarray(edges, dtype=np.int64)
    return set(g.node_place[g.edge_src[idx]].tolist()) | set(g.node_place[g.edge_dst[idx]].tolist())


def _leg_avoiding(
    q: Query, allowed: BoolArray, kept: list[int], *, last: bool = False
) -> list[int] | None:
    """The via route that keeps one leg — ``kept`` is the way to the via place when
    ``last`` (the way on is searched), else the way on from it — and finds the other
    without entering any place the kept leg touches except the via place itself; None
    when there is none."""
    g, w = q.graph, q.weight
    if not kept or q.via is None:
        return None
    mask = allowed & ~g.place_mask(_places(g, kept) - {g.place_index[q.via]})
    if last:  # on from where the kept leg arrived at the via place
        src = np.array([g.edge_dst[kept[-1]]], dtype=np.int64)
        goal = g.nodes_at(q.destination)
    else:  # from the origin to where the kept leg leaves the via place
        src = g.nodes_at(q.origin)
        goal = np.array([g.edge_src[kept[0]]], dtype=np.int64)
    targets = np.zeros(g.n_nodes, dtype=np.bool_)
    targets[goal] = True
    dist, pred = dijkstra(g.indptr, g.adj_edge, g.edge_dst, w, mask, src, targets)
    end = goal[np.argmin(dist[goal])]
    if not np.isfinite(dist[end]):
        return None
    other = path_edges(pred, g.edge_src, int(end))
    return kept + other if last else other + kept


def _route(q: Query, edges: Sequence[int]) -> Route:
    return build_route(
        q.graph,
        q.state,
        edges,
        origin=q.origin,
        destination=q.destination,
        commodity=q.commodity,
        objective=q.objective,
        value_of_time=q.value_of_time,
    )


def shortest_route(
    network: Network,
    origin: str,
    destination: str,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    commodity: str | None = None,
    avoid_countries: Iterable[str] = (),
    avoid_modes: Iterable[str] = (),
    modes: Iterable[str] | None = None,
    via: str | None = None,
    objective: str = "generalized",
    avoid_links: Iterable[str] = (),
) -> Route:
    """The best route from ``origin`` to ``destination``.

    Parameters
    ----------
    network : Network
        The network (its compiled graph is reused between calls).
    origin, destination, via : str
        Place ids, names or aliases in any spelling.
    date, scenario
        The state of the network (default: the scenario's horizon, else today).
    commodity : str, optional
        Commodity id; its value of time prices hours in the generalized cost, and its
        own charges (``rates.csv``) the line hauls and border fees (default
        ``general``, or the package's first commodity).
    avoid_countries, avoid_modes, modes
        Shipper preferences: countries never entered, modes never used, or the only
        modes allowed.
    objective : {"time", "cost", "generalized"}
        What is minimised: hours, USD per tonne, or USD per tonne plus value of time.

    Raises
    ------
    NoRouteError
        Saying which rules, closures or preferences block every path.

    Examples
    --------
    >>> from overland import embedded_network
    >>> net = embedded_network()
    >>> r = shortest_route(net, "Moscow", "Yerevan", date="2025-11-10", modes=["rail"])
    >>> r.countries
    ('RU', 'AZ', 'GE', 'AM')
    """
    q = make_query(
        network,
        origin,
        destination,
        date=date,
        scenario=scenario,
        commodity=commodity,
        avoid_countries=avoid_countries,
        avoid_modes=avoid_modes,
        modes=modes,
        via=via,
        objective=objective,
        avoid_links=avoid_links,
    )
    return _best(q)


def _shipment_mask(q: Query) -> tuple[BoolArray, list[Rule]]:
    o_c = q.network.places[q.origin].country
    d_c = q.network.places[q.destination].country
    allowed, rules = q.graph.mask(
        q.state,
        origin_country=o_c,
        destination_country=d_c,
        avoid_countries=q.avoid_countries,
        modes=q.modes,
        commodity=q.commodity,
    )
    return allowed & _choices_mask(q)[2], rules


def _choices_mask(q: Query) -> tuple[BoolArray, BoolArray, BoolArray]:
    """The edges the shipment's own choices allow: its modes, the countries it does not
    avoid and the links it does not avoid (a mask each)."""
    g = q.graph
    everything = np.ones(g.n_edges, dtype=np.bool_)
    mode_ok = everything
    if q.modes is not None:
        mode_ok = (g.edge_kind != HAUL) | np.isin(g.edge_mode, [MODES.index(m) for m in q.modes])
    avoid_ok = ~g.country_mask(q.avoid_countries) if q.avoid_countries else everything
    links_ok = everything
    if q.avoid_links:
        banned = [i for i, lid in enumerate(g.link_ids) if lid in set(q.avoid_links)]
        links_ok = ~np.isin(g.edge_link, banned) | (g.edge_link < 0)
    return mode_ok, avoid_ok, links_ok


def _best(q: Query) -> Route:
    allowed, rules = _shipment_mask(q)
    _check_ends(q, rules)
    edges = _solve(q, allowed)
    if edges is None:
        raise _explain(q, rules)
    return _route(q, edges)


def _check_ends(q: Query, rules: list[Rule]) -> None:
    net = q.network
    for pid in (q.origin, q.destination, *([q.via] if q.via else [])):
        country = net.places[pid].country
        if country in q.avoid_countries:
            raise NoRouteError(
                f"{net.places[pid].name} lies in {net.countries[country].name}, which the "
                "shipment avoids",
                [{"kind": "avoid", "id": country, "why": f"{country} is in the avoided countries"}],
            )
        for rule in rules:
            if rule.kind != "transit_ban" or country not in rule.countries:
                continue
            if rule.modes:
                # a ban on some modes (road hauliers): the place may still be reached by
                # another; the mask keeps the banned modes out of the country, and when
                # nothing is left the explanation says whether the ban or the network is why
                continue
            raise NoRouteError(
                f"{net.places[pid].name} lies in {net.countries[country].name}: "
                + _rule_text(q, rule),
                [{"kind": "rule", "id": rule.id, "why": _rule_text(q, rule)}],
            )


# ----------------------------------------------------------------------------- explanations


def _rule_text(q: Query, rule: Rule) -> str:
    ev = q.state.last_change("rule", rule.id)
    since = f" since {ev.date.isoformat()} (event {ev.id})" if ev else ""
    src = q.network.sources[rule.source[0]]
    scope = rule.applies_to.commodities
    cargo = ""
    if scope:
        named = "" if q.commodity_named else ", assumed because none was named"
        cargo = f" (it covers {', '.join(scope)}; this shipment is {q.commodity}{named})"
    return (
        f"rule {rule.id!r} — {rule.title} — is in force on {q.state.date}{since}{cargo}; "
        f"source: {src.url}"
    )


def _opening_event(q: Query, link_id: str) -> tuple[Event, list[str]] | None:
    net = q.network
    for ev in sorted(net.events, key=lambda e: e.date):
        if ev.status == "happened" or ev.date <= q.state.date:
            continue
        if any(
            c.target == "link" and c.id == link_id and c.set.get("status") == "open"
            for c in ev.changes
        ):
            scen = [
                s for s in sorted(net.scenarios) if ev.id in {e.id for e in scenario_events(net, s)}
            ]
            return ev, scen
    return None


def _closure_text(q: Query, kind: str, element_id: str) -> str:
    net = q.network
    if kind == "link":
        link = q.state.links[element_id]
        a, b = net.places[link.from_place].name, net.places[link.to_place].name
        what = f"the {link.mode} link {a}–{b} ({element_id})"
        if link.status == "planned":
            opening = _opening_event(q, element_id)
            if opening:
                ev, scen = opening
                where = f" under scenario {', '.join(scen)}" if scen else ""
                return (
                    f"{what} is not built on {q.state.date}; planned to open "
                    f"{ev.date.isoformat()} (event {ev.id}{where})"
                )
            return f"{what} is not built on {q.state.date}"
        last = q.state.last_change("link", element_id)
        since = f" since {last.date.isoformat()} (event {last.id}: {last.title})" if last else ""
        return f"{what} is closed{since}"
    c = q.state.crossings[element_id]
    last = q.state.last_change("crossing", element_id)
    since = f" since {last.date.isoformat()} (event {last.id})" if last else ""
    return f"the border crossing {c.from_country}→{c.to_country} at {c.place} is closed{since}"


def _explain(q: Query, rules: list[Rule]) -> NoRouteError:
    g, net = q.graph, q.network
    costs = g.costs(q.state)
    o, d = net.places[q.origin].name, net.places[q.destination].name
    how = f" by {'/'.join(q.modes)}" if q.modes else ""
    head = f"no route{how} from {o} to {d} on {q.state.date}"
    if q.state.scenario:
        head += f" under scenario {q.state.scenario}"
    mode_ok, avoid_ok, _links_ok = _choices_mask(q)
    rule_ok = np.ones(g.n_edges, dtype=np.bool_)
    for rule in rules:
        rule_ok &= ~g.rule_mask(rule)
    blocked: list[dict[str, str]] = []
    reasons: list[str] = []

    # 1. rules alone: with closures and preferences as they are, which rule blocks?
    base = costs.is_open & mode_ok & avoid_ok
    if rules and _solve(q, base) is not None:
        culprits = [r for r in rules if _solve(q, base & _without(g, rules, r)) is not None]
        for rule in culprits or rules:
            countries = ", ".join(net.countries[c].name for c in rule.countries)
            verb = "cross" if rule.kind == "transit_ban" else "cross the border of"
            reasons.append(f"all remaining paths {verb} {countries}: {_rule_text(q, rule)}")
            blocked.append({"kind": "rule", "id": rule.id, "why": _rule_text(q, rule)})
    # 2. preferences
    if q.avoid_countries and _solve(q, costs.is_open & mode_ok & rule_ok) is not None:
        names = ", ".join(q.avoid_countries)
        reasons.append(f"every path enters an avoided country ({names})")
        blocked += [
            {"kind": "avoid", "id": c, "why": "avoided by the shipment"} for c in q.avoid_countries
        ]
    # 3. closures: what is closed on the best path if closures were lifted? When rules
    #    also stand in the way, lift both and name the rules that path would break.
    found_rule = any(b["kind"] == "rule" for b in blocked)

    def name_rules_on(path: list[int]) -> None:
        hit = np.zeros(g.n_edges, dtype=np.bool_)
        hit[path] = True
        for rule in rules:
            if (g.rule_mask(rule) & hit).any() and not any(b["id"] == rule.id for b in blocked):
                reasons.append(_rule_text(q, rule))
                blocked.append({"kind": "rule", "id": rule.id, "why": _rule_text(q, rule)})

    # the way that would be best with nothing closed and no rule in force
    direct = _solve(q, mode_ok & avoid_ok)
    relaxed = _solve(q, mode_ok & avoid_ok & rule_ok)
    if relaxed is None and not found_rule and direct is not None:
        relaxed = direct
        name_rules_on(direct)
    if relaxed is None and not blocked:
        relaxed = _solve(q, mode_ok)
    # and the direct way's rules and closures too, when it is another (Kars–Gyumri in
    # 1993: the line closed and the border shut by rule)
    paths = [relaxed] if relaxed is not None else []
    if direct is not None and direct != relaxed:
        paths.append(direct)
        name_rules_on(direct)
    for path in paths:
        for e in path:
            for kind, element in _closed_on_edge(q, e):
                text = _closure_text(q, kind, element)
                if not any(b["id"] == element for b in blocked):
                    reasons.append(text)
                    blocked.append({"kind": "closure", "id": element, "why": text})
    if (
        q.modes is not None
        and not blocked
        and _solve(q, costs.is_open & avoid_ok & rule_ok) is not None
    ):
        reasons.append(f"a route exists only with modes other than {', '.join(q.modes)}")
        blocked.append(
            {"kind": "avoid", "id": ",".join(q.modes), "why": "only these modes are allowed"}
        )
    if not blocked:
        reasons.append("the network has no connection between them in the allowed modes")
    return NoRouteError(head + ": " + "; ".join(reasons), blocked)


@dataclass(frozen=True)
class Shaping:
    """What the date's closures and rules cost a route: each closure (a link or border
    crossing an event has closed) and rule in force that keeps it off a better path, and
    that path (the best one with them lifted; the shipment's own choices of modes,
    avoided countries and via place kept)."""

    constraints: tuple[dict[str, str], ...]
    unconstrained: Route

    def as_dict(self) -> dict[str, Any]:
        """JSON form (docs/json.md, ``shaped_by`` and ``unconstrained``)."""
        u = self.unconstrained
        return {
            "shaped_by": [dict(c) for c in self.constraints],
            "unconstrained": {
                "places": list(u.places),
                "countries": list(u.countries),
                "modes": list(u.modes),
                "distance_km": round(u.distance_km, 2),
                "days": round(u.days, 3),
                "cost_usd_per_t": round(u.cost_usd_per_t, 3),
                "generalized_cost_usd_per_t": round(u.generalized_cost_usd_per_t, 3),
            },
        }


def shaping_fields(shaping: Shaping | None) -> dict[str, Any]:
    """A route document's ``shaped_by`` and ``unconstrained`` (docs/json.md): empty and
    null when nothing shaped the route."""
    return shaping.as_dict() if shaping else {"shaped_by": [], "unconstrained": None}


def route_shaping(
    network: Network,
    route: Route,
    *,
    avoid_countries: Iterable[str] = (),
    avoid_modes: Iterable[str] = (),
    modes: Iterable[str] | None = None,
    via: str | None = None,
) -> Shaping | None:
    """Which closures and rules in force on ``route``'s date keep it off a better path.

    The route is the best one for its query (origin, destination, date, scenario,
    commodity, objective, and the choices passed here, which must be the query's). With
    every closed link and border crossing reopened and every rule that covers the
    shipment lifted — lines not yet built stay unbuilt, and the shipment's own choices
    stand — the best path is found again; when it is better by the query's objective,
    the closures and rules it would need are what shaped the route (None: nothing did).
    """
    q = make_query(
        network,
        route.origin,
        route.destination,
        date=route.date,
        scenario=route.scenario,
        commodity=route.commodity,
        avoid_countries=avoid_countries,
        avoid_modes=avoid_modes,
        modes=modes,
        via=via,
        objective=route.objective,
    )
    g = q.graph
    _allowed, rules = _shipment_mask(q)
    costs = g.costs(q.state)
    lifted = np.zeros(g.n_edges, dtype=np.bool_)
    for i in np.flatnonzero(~costs.is_open):
        lifted[i] = _closed_not_unbuilt(q, int(i))
    mode_ok, avoid_ok, links_ok = _choices_mask(q)
    path = _solve(q, (costs.is_open | lifted) & mode_ok & avoid_ok & links_ok)
    if path is None:
        return None
    if float(q.weight[path].sum()) >= float(q.weight[list(route.edges)].sum()) * (1 - 1e-9):
        return None
    hit = np.zeros(g.n_edges, dtype=np.bool_)
    hit[path] = True
    found: list[dict[str, str]] = []
    for e in path:
        for kind, element in _closed_on_edge(q, e):
            if not any(c["id"] == element for c in found):
                found.append({"kind": kind, "id": element, "why": _closure_text(q, kind, element)})
    for rule in rules:
        if (g.rule_mask(rule) & hit).any():
            found.append({"kind": "rule", "id": rule.id, "why": _rule_text(q, rule)})
    if not found:
        return None
    return Shaping(tuple(found), _route(q, path))


def _closed_not_unbuilt(q: Query, e: int) -> bool:
    """True when edge ``e`` hauls over a closed link or border crossing on the query's
    date, and not over a link not yet built (which is never lifted)."""
    shut = _closed_on_edge(q, e)
    return bool(shut) and not any(
        kind == "link" and q.state.links[element].status == "planned" for kind, element in shut
    )


def _without(g: Graph, rules: list[Rule], dropped: Rule) -> BoolArray:
    ok = np.ones(g.n_edges, dtype=np.bool_)
    for rule in rules:
        if rule is not dropped:
            ok &= ~g.rule_mask(rule)
    return ok


def _closed_on_edge(q: Query, e: int) -> list[tuple[str, str]]:
    g = q.graph
    out: list[tuple[str, str]] = []
    if g.edge_kind[e] != HAUL:
        return out
    link_id = g.link_ids[g.edge_link[e]]
    if q.state.links[link_id].status != "open":
        out.append(("link", link_id))
    if g.edge_crossing[e] >= 0:
        cid = g.crossing_ids[g.edge_crossing[e]]
        if q.state.crossings[cid].status != "open":
            out.append(("crossing", cid))
    return out


# ----------------------------------------------------------------------------- alternatives


def alternative_routes(
    network: Network,
    origin: str,
    destination: str,
    *,
    k: int = 3,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    commodity: str | None = None,
    avoid_countries: Iterable[str] = (),
    avoid_modes: Iterable[str] = (),
    modes: Iterable[str] | None = None,
    via: str | None = None,
    objective: str = "generalized",
    max_overlap: float = 0.6,
    deadline: float | None = None,
) -> list[Route]:
    """Up to ``k`` meaningfully different routes, best first.

    A route counts as different when its sequence of countries differs from every
    route kept so far, or when the links it shares with each such route make less than
    ``max_overlap`` of the shorter one's length. Candidates come from avoiding, in turn,
    each transit country and each border crossing of the routes found, and from
    penalising the links they use; the best route is always first. ``deadline`` (a
    ``time.monotonic()`` value) bounds the search.

    Raises
    ------
    NoRouteError
        When not even one route exists.
    BudgetExceededError
        When the search passes ``deadline``.
    """
    if not 1 <= k <= MAX_ALTERNATIVES:
        raise BadArgumentError(f"k must be between 1 and {MAX_ALTERNATIVES}, got {k}")
    q = make_query(
        network,
        origin,
        destination,
        date=date,
        scenario=scenario,
        commodity=commodity,
        avoid_countries=avoid_countries,
        avoid_modes=avoid_modes,
        modes=modes,
        via=via,
        objective=objective,
    )
    return routes_for(q, k=k, max_overlap=max_overlap, deadline=deadline)


def routes_for(
    q: Query, *, k: int, max_overlap: float = 0.6, deadline: float | None = None
) -> list[Route]:
    """:func:`alternative_routes` for a query already resolved (no name look-up, no
    validation): what internal callers use row after row."""
    network = q.network
    best = _best(q)
    allowed, _rules = _shipment_mask(q)
    g = q.graph
    kept = [best]
    seen_paths: set[tuple[str, ...]] = {best.links}
    ends = {network.places[q.origin].country, network.places[q.destination].country}
    none = np.zeros(g.n_edges, dtype=np.bool_)
    # each item: a route and the edges banned to find it; bans accumulate down a branch
    queue: list[tuple[Route, BoolArray]] = [(best, none)]
    tried: set[bytes] = set()
    budget = 12 * k + 20  # shortest-path solves at most
    while queue and len(kept) < k and budget > 0:
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceededError(
                f"the search for {k} alternatives ran out of time after {len(kept)}; "
                "ask for fewer (k) or retry"
            )
        base, banned = queue.pop(0)
        bans = [g.country_mask([c]) for c in base.countries if c not in ends]
        bans += [_crossing_edges(g, b.crossing) for b in base.borders]
        candidates: list[tuple[Route, BoolArray]] = []
        for ban in bans:
            mask = banned | ban
            key = np.packbits(mask).tobytes()
            if key in tried or budget <= 0:
                continue
            tried.add(key)
            budget -= 1
            edges = _solve(q, allowed & ~mask)
            if edges is not None:
                candidates.append((_route(q, edges), mask))
        # penalise the base route's links to find spatially different paths
        w = q.weight.copy()
        w[_link_edges(g, base.links)] *= 3.0
        budget -= 1
        pen = _solve_weighted(q, allowed & ~banned, w)
        if pen is not None:
            candidates.append((_route(q, pen), banned))
        candidates.sort(key=lambda item: _score(item[0], q.objective))
        for cand, mask in candidates:
            if cand.links in seen_paths:
                continue
            if q.via is not None and len(set(cand.places)) < len(cand.places):
                continue  # out and back through the via place: not an alternative
            seen_paths.add(cand.links)
            queue.append((cand, mask))
            if _different(cand, kept, g, max_overlap):
                kept.append(cand)
                if len(kept) >= k:
                    break
    first, rest = kept[0], sorted(kept[1:], key=lambda r: _score(r, q.objective))
    return [first, *rest]


def best_avoiding(q: Query, countries: Iterable[str], modes: Iterable[str] = ()) -> Route | None:
    """The best route of a resolved query that also never enters ``countries`` (the
    query's own end countries excepted) nor uses ``modes``, or None when there is none: a
    cheap probe for choice sets (no explanation of why there is no route)."""
    ends = {q.network.places[q.origin].country, q.network.places[q.destination].country}
    extra = sorted(set(countries) - ends - set(q.avoid_countries))
    banned = set(modes)
    if banned:
        q = replace(q, modes=tuple(m for m in (q.modes or MODES) if m not in banned))
    allowed, _rules = _shipment_mask(q)
    if extra:
        allowed = allowed & ~q.graph.country_mask(extra)
    edges = _solve(q, allowed)
    return None if edges is None else _route(q, edges)


def best_at_value_of_time(q: Query, value_of_time: float) -> Route | None:
    """The best route of a resolved query for shippers whose time is worth
    ``value_of_time`` (USD per t·h) instead of the query's, priced as every route of the
    query (its generalized cost at the query's value of time); None when there is none."""
    allowed, _rules = _shipment_mask(q)
    edges = _solve(replace(q, value_of_time=value_of_time), allowed)
    return None if edges is None else _route(q, edges)


def best_loaded(q: Query, added_h: FloatArray, extra_usd: FloatArray | None = None) -> Route | None:
    """The best route of a resolved query when each graph edge takes ``added_h`` more
    hours (congestion and queues at some flows), at the query's value of time, and costs
    ``extra_usd`` more per tonne; the route is priced at free flow, as every other. None
    when there is none."""
    allowed, _rules = _shipment_mask(q)
    w = q.weight + q.value_of_time * added_h
    edges = _solve_weighted(q, allowed, w if extra_usd is None else w + extra_usd)
    return None if edges is None else _route(q, edges)


def _score(r: Route, objective: str) -> float:
    if objective == "time":
        return r.time_h
    if objective == "cost":
        return r.cost_usd_per_t
    return r.generalized_cost_usd_per_t


def _solve_weighted(q: Query, allowed: BoolArray, w: FloatArray) -> list[int] | None:
    g = q.graph
    o_nodes, d_nodes = g.nodes_at(q.origin), g.nodes_at(q.destination)
    targets = np.zeros(g.n_nodes, dtype=np.bool_)
    targets[d_nodes] = True
    dist, pred = dijkstra(g.indptr, g.adj_edge, g.edge_dst, w, allowed, o_nodes, targets)
    best = d_nodes[np.argmin(dist[d_nodes])]
    if not np.isfinite(dist[best]) or q.via is not None:
        return None
    return path_edges(pred, g.edge_src, int(best))


def _link_edges(g: Graph, links: Sequence[str]) -> IntArray:
    idx = [g.link_ids.index(lid) for lid in set(links)]
    return np.flatnonzero((g.edge_kind == HAUL) & np.isin(g.edge_link, idx))


def _crossing_edges(g: Graph, crossing: str) -> BoolArray:
    ci = g.crossing_ids.index(crossing)
    link = g.edge_link[np.flatnonzero(g.edge_crossing == ci)[0]]
    hit: BoolArray = (g.edge_kind == HAUL) & (g.edge_link == link)
    return hit


def _different(cand: Route, kept: list[Route], g: Graph, max_overlap: float) -> bool:
    """True when ``cand`` differs from every kept route in countries or in most of the km
    of the shorter of the two (a long detour that holds most of a kept route is not a
    different route)."""
    links = g.network.links
    km = {lid: links[lid].length_km for lid in cand.links}
    total = sum(km.values())
    for r in kept:
        if cand.countries == r.countries:
            used = set(r.links)
            shared = sum(v for lid, v in km.items() if lid in used)
            shorter = min(total, sum(links[lid].length_km for lid in used)) or 1.0
            if shared / shorter >= max_overlap:
                return False
    return True
