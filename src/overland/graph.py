"""Compile a :class:`~overland.network.Network` into a virtual network of CSR arrays.

One node per (place, layer) where the layers are ``rail_1520``, ``rail_1435``, ``road``,
``ferry`` and ``sea`` (the NODUS approach): line-haul edges run inside a layer, priced
transfer edges change layer at a place, and border crossings ride on the line-haul
edge that crosses the border (one crossing record per direction). Dual-gauge links
give one edge per gauge.

The structure is compiled once per network and holds *every* link, open or not. What
depends on the date and scenario (status, speeds, dwell, fees) and on the commodity's
own charges (``rates.csv``) is computed by :meth:`Graph.costs` as arrays over the
edges; what else depends on the shipment (rules, avoided countries, modes, links
reserved for other commodities) is a boolean mask. Neither rebuilds the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .schema import LAYERS, MODES, Link, Rule

if TYPE_CHECKING:
    from .network import Network
    from .timeline import NetworkState

__all__ = ["EdgeCosts", "Graph", "compile_graph", "graph_of"]

HAUL, TRANSFER = 0, 1
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
#: a commodity's multipliers on one mode (rates.csv): mode index, country index (-1: every
#: country), rate, fee, dwell, speed, back-haul
Factors = tuple[int, int, float, float, float, float, float]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class EdgeCosts:
    """Per-edge figures on one date under one scenario, for one commodity's charges when
    one is given (per tonne)."""

    time_h: FloatArray
    run_h: FloatArray  # moving time only (no waits, dwell or handling)
    cost_usd: FloatArray
    distance_km: FloatArray
    co2_kg: FloatArray
    dwell_h: FloatArray  # border dwell on border edges
    dwell_shared: BoolArray  # border edges whose dwell no commodity clears faster
    fee_usd: FloatArray  # border fee on border edges
    wait_h: FloatArray  # ferry/sea wait for a departure
    is_open: BoolArray
    rate_usd: FloatArray  # the per-tonne-km part of cost_usd on haul edges


@dataclass(frozen=True)
class Graph:
    """The compiled virtual network (immutable arrays; costs are memoised per state)."""

    network: Network
    place_ids: tuple[str, ...]
    place_index: Mapping[str, int]
    country_codes: tuple[str, ...]
    place_country: IntArray  # country index per place
    node_place: IntArray
    node_layer: IntArray
    node_index: Mapping[tuple[str, str], int]
    edge_src: IntArray
    edge_dst: IntArray
    edge_kind: IntArray  # HAUL or TRANSFER
    edge_link: IntArray  # index into link_ids, -1 for transfers
    edge_forward: BoolArray  # haul edge runs from the link's `from` to its `to`
    # haul edge runs against a head-haul link (links.csv `headhaul`): a liner's back-haul
    edge_backhaul: BoolArray
    edge_transfer: IntArray  # index into transfer_ids, -1 for haul edges
    edge_crossing: IntArray  # index into crossing_ids, -1 when no border is crossed
    edge_mode: IntArray  # index into MODES, -1 for transfers
    link_ids: tuple[str, ...]
    link_commodities: tuple[frozenset[str], ...]  # per link: commodities allowed (empty: all)
    # per transfer: commodities allowed (empty: all)
    transfer_commodities: tuple[frozenset[str], ...]
    transfer_ids: tuple[str, ...]
    crossing_ids: tuple[str, ...]
    indptr: IntArray
    adj_edge: IntArray
    _memo: dict[tuple[object, ...], EdgeCosts] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of (place, layer) nodes."""
        return int(self.node_place.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges (line-haul and transfer)."""
        return int(self.edge_src.shape[0])

    def nodes_at(self, place: str) -> IntArray:
        """The node ids of every layer at a place."""
        p = self.place_index[place]
        return np.flatnonzero(self.node_place == p)

    def edge_country(self, which: str) -> IntArray:
        """Country index of every edge's ``src`` or ``dst`` node."""
        nodes = self.edge_src if which == "src" else self.edge_dst
        return self.place_country[self.node_place[nodes]]

    def costs(
        self,
        state: NetworkState,
        commodity: str | None = None,
        ends: tuple[str, str] | None = None,
    ) -> EdgeCosts:
        """Time, cost, distance and CO2 per edge on the state's date and scenario; with a
        ``commodity``, its own (the package's ``rates.csv``: multipliers on the
        per-tonne-km rate, the border fees and the border dwell of a mode's links), for a
        shipment between the countries ``ends`` (origin, destination) when given (a
        country's row for its own or for transit traffic charges only such shipments)."""
        factors = self.rate_factors(commodity, state, ends)
        key = (state.date, state.scenario, tuple(e.id for e in state.events_applied), factors)
        hit = self._memo.get(key)
        if hit is None:
            hit = _priced(self, self.costs(state), factors) if factors else _edge_costs(self, state)
            if len(self._memo) > 256:
                self._memo.clear()
            self._memo[key] = hit
        return hit

    def rate_factors(
        self,
        commodity: str | None,
        state: NetworkState,
        ends: tuple[str, str] | None = None,
    ) -> tuple[Factors, ...]:
        """(mode index, country index, rate, fee, dwell, speed and back-haul factors) of the
        commodity's rows in ``rates.csv``, as the state's events have set them, that change
        anything and charge a shipment between the countries ``ends`` (origin,
        destination; None: only the rows for all traffic); a row for a country the graph
        lacks changes nothing."""
        if commodity is None:
            return ()
        return tuple(
            (
                MODES.index(r.mode),
                self.country_codes.index(r.country) if r.country else -1,
                *r.factors,
            )
            for r in state.rates.values()
            if r.commodity == commodity
            and not r.neutral
            and (r.country is None or r.country in self.country_codes)
            and r.charges(ends)
        )

    def mask(
        self,
        state: NetworkState,
        *,
        origin_country: str,
        destination_country: str,
        avoid_countries: Iterable[str] = (),
        modes: Iterable[str] | None = None,
        commodity: str | None = None,
        rules: bool = True,
    ) -> tuple[BoolArray, list[Rule]]:
        """Edges usable by one shipment, and the rules that apply to it (``rules=False``:
        no rule applied, for callers that apply them per pair of countries)."""
        allowed = self.costs(state).is_open.copy()
        if commodity is not None:
            allowed &= self.commodity_allowed(commodity)
        if modes is not None:
            wanted = {MODES.index(m) for m in modes}
            haul = self.edge_kind == HAUL
            allowed &= ~haul | np.isin(self.edge_mode, list(wanted))
        applied = []
        for rule in state.rules_in_force() if rules else ():
            if not rule.applies_to.matches(origin_country, destination_country, commodity):
                continue
            applied.append(rule)
            allowed &= ~self.rule_mask(rule)
        banned = [c for c in avoid_countries if c in self.country_codes]
        if banned:
            allowed &= ~self.country_mask(banned)
        return allowed, applied

    def commodity_allowed(self, commodity: str) -> BoolArray:
        """Edges a commodity may use: all but links and transfers reserved for other
        commodities."""
        links = [
            i for i, only in enumerate(self.link_commodities) if only and commodity not in only
        ]
        transfers = [
            i for i, only in enumerate(self.transfer_commodities) if only and commodity not in only
        ]
        return ~(
            (np.isin(self.edge_link, links) & (self.edge_link >= 0))
            | (np.isin(self.edge_transfer, transfers) & (self.edge_transfer >= 0))
        )

    def country_mask(self, countries: Iterable[str]) -> BoolArray:
        """Edges that touch any of the countries."""
        idx = [self.country_codes.index(c) for c in countries if c in self.country_codes]
        return np.isin(self.edge_country("src"), idx) | np.isin(self.edge_country("dst"), idx)

    def place_mask(self, places: Iterable[int]) -> BoolArray:
        """Edges that touch any of the places (indices into ``place_ids``)."""
        idx = list(places)
        return np.isin(self.node_place[self.edge_src], idx) | np.isin(
            self.node_place[self.edge_dst], idx
        )

    def rule_mask(self, rule: Rule) -> BoolArray:
        """Edges a rule forbids (for the shipments it covers)."""
        if rule.kind == "transit_ban":
            hit = self.country_mask(rule.countries)
        else:
            a, b = (
                self.country_codes.index(c) if c in self.country_codes else -1
                for c in rule.countries
            )
            src, dst = self.edge_country("src"), self.edge_country("dst")
            hit = ((src == a) & (dst == b)) | ((src == b) & (dst == a))
        if rule.modes:
            wanted = [MODES.index(m) for m in rule.modes]
            hit &= np.isin(self.edge_mode, wanted)
        return hit


def _index(items: Iterable[str]) -> Mapping[str, int]:
    return MappingProxyType({v: i for i, v in enumerate(items)})


def graph_of(network: Network) -> Graph:
    """The compiled virtual network of ``network``, built on first use and kept with it."""
    graph = network.memo.get("graph")
    if graph is None:
        graph = network.memo.setdefault("graph", compile_graph(network))
    return graph  # type: ignore[no-any-return]


def compile_graph(network: Network) -> Graph:
    """Build the virtual network of every link and transfer of ``network``."""
    place_ids = tuple(network.places)
    place_index = _index(place_ids)
    country_codes = tuple(network.countries)
    cidx = _index(country_codes)
    place_country = np.array([cidx[network.places[p].country] for p in place_ids], dtype=np.int64)

    node_index: dict[tuple[str, str], int] = {}

    def node(place: str, layer: str) -> int:
        key = (place, layer)
        if key not in node_index:
            node_index[key] = len(node_index)
        return node_index[key]

    link_ids = tuple(network.links)
    crossing_ids = tuple(network.crossings)
    crossing_of = {
        (c.link, c.from_country, c.to_country): i for i, c in enumerate(network.crossings.values())
    }
    transfer_ids = tuple(network.transfers)
    rows: list[tuple[int, int, int, int, bool, int, int, int]] = []
    for li, link in enumerate(network.links.values()):
        if not link.is_freight:
            continue  # utility layers are analysed on their own (overland.analyses.layers)
        a, b = network.places[link.from_place], network.places[link.to_place]
        directions = [(link.from_place, link.to_place, True, a.country, b.country)]
        if not link.directed:
            directions.append((link.to_place, link.from_place, False, b.country, a.country))
        for layer in link.layers():
            for s, d, fwd, sc, dc in directions:
                cr = crossing_of.get((link.id, sc, dc), -1) if sc != dc else -1
                rows.append(
                    (node(s, layer), node(d, layer), HAUL, li, fwd, -1, cr, MODES.index(link.mode))
                )
    for ti, tr in enumerate(network.transfers.values()):
        pairs = [(tr.from_layer, tr.to_layer)]
        if tr.both_ways:
            pairs.append((tr.to_layer, tr.from_layer))
        for la, lb in pairs:
            rows.append((node(tr.place, la), node(tr.place, lb), TRANSFER, -1, True, ti, -1, -1))

    cols = list(zip(*rows, strict=True))
    edge_src = np.array(cols[0], dtype=np.int64)
    order = np.argsort(edge_src, kind="stable")
    n_nodes = len(node_index)
    counts = np.bincount(edge_src, minlength=n_nodes)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    node_place = np.empty(n_nodes, dtype=np.int64)
    node_layer = np.empty(n_nodes, dtype=np.int64)
    for (place, layer), i in node_index.items():
        node_place[i] = place_index[place]
        node_layer[i] = LAYERS.index(layer)
    forward = np.array(cols[4], dtype=np.bool_)
    edge_kind = np.array(cols[2], dtype=np.int64)
    edge_link = np.array(cols[3], dtype=np.int64)
    # per link, then a False for the transfers' -1
    headhaul = np.array([link.headhaul for link in network.links.values()] + [False])
    return Graph(
        network=network,
        place_ids=place_ids,
        place_index=place_index,
        country_codes=country_codes,
        place_country=place_country,
        node_place=node_place,
        node_layer=node_layer,
        node_index=MappingProxyType(node_index),
        edge_src=edge_src,
        edge_dst=np.array(cols[1], dtype=np.int64),
        edge_kind=edge_kind,
        edge_link=edge_link,
        edge_forward=forward,
        edge_backhaul=~forward & (edge_kind == HAUL) & headhaul[edge_link],
        edge_transfer=np.array(cols[5], dtype=np.int64),
        edge_crossing=np.array(cols[6], dtype=np.int64),
        edge_mode=np.array(cols[7], dtype=np.int64),
        link_ids=link_ids,
        link_commodities=tuple(frozenset(link.commodities) for link in network.links.values()),
        transfer_commodities=tuple(frozenset(t.commodities) for t in network.transfers.values()),
        transfer_ids=transfer_ids,
        crossing_ids=crossing_ids,
        indptr=indptr,
        adj_edge=order.astype(np.int64),
    )


def link_run_and_wait(link: Link, speed_kmh: float) -> tuple[float, float]:
    """Moving time and expected wait for a departure on a link, in hours."""
    run = (
        link.duration_h
        if link.duration_h is not None
        else link.length_km / (link.speed_kmh or speed_kmh)
    )
    if link.wait_h is not None:
        wait = link.wait_h
    elif link.headway_h is not None:
        wait = link.headway_h / 2.0
    else:
        wait = 0.0
    return run, wait


def _edge_costs(graph: Graph, state: NetworkState) -> EdgeCosts:
    net = graph.network
    n_links = len(graph.link_ids)
    l_run = np.zeros(n_links)
    l_wait = np.zeros(n_links)
    l_cost = np.zeros(n_links)
    l_rate = np.zeros(n_links)
    l_dist = np.zeros(n_links)
    l_co2 = np.zeros(n_links)
    l_open = np.zeros(n_links, dtype=np.bool_)
    for i, lid in enumerate(graph.link_ids):
        link = state.links[lid]
        if not link.is_freight:
            continue
        mode = net.modes[link.mode]
        l_run[i], l_wait[i] = link_run_and_wait(link, mode.speed_kmh)
        rate = link.cost_usd_per_tkm if link.cost_usd_per_tkm is not None else mode.cost_usd_per_tkm
        l_rate[i] = rate * link.length_km
        l_cost[i] = l_rate[i] + (link.cost_usd_per_t or 0.0)
        l_dist[i] = link.length_km
        l_co2[i] = link.length_km * mode.co2_g_per_tkm / 1000.0
        l_open[i] = link.status == "open"
    n_cr = len(graph.crossing_ids)
    c_dwell = np.zeros(n_cr + 1)
    c_fee = np.zeros(n_cr + 1)
    c_open = np.ones(n_cr + 1, dtype=np.bool_)
    c_shared = np.zeros(n_cr + 1, dtype=np.bool_)
    for i, cid in enumerate(graph.crossing_ids):
        c = state.crossings[cid]
        c_dwell[i], c_fee[i], c_open[i] = c.dwell_mean_h, c.fee_usd_per_t, c.status == "open"
        c_shared[i] = c.dwell_shared
    n_tr = len(graph.transfer_ids)
    t_time = np.zeros(n_tr + 1)
    t_cost = np.zeros(n_tr + 1)
    for i, tid in enumerate(graph.transfer_ids):
        t = state.transfers[tid]
        t_time[i], t_cost[i] = t.time_h, t.cost_usd_per_t

    haul = graph.edge_kind == HAUL
    li = np.where(haul, graph.edge_link, 0)
    ci = np.where(graph.edge_crossing >= 0, graph.edge_crossing, n_cr)  # n_cr: zero row
    ti = np.where(haul, n_tr, graph.edge_transfer)
    run = np.where(haul, l_run[li], 0.0)
    wait = np.where(haul, l_wait[li], 0.0)
    dwell = np.where(haul, c_dwell[ci], 0.0)
    fee = np.where(haul, c_fee[ci], 0.0)
    time = run + wait + dwell + np.where(haul, 0.0, t_time[ti])
    cost = np.where(haul, l_cost[li] + fee, t_cost[ti])
    return EdgeCosts(
        time_h=time,
        run_h=run,
        cost_usd=cost,
        distance_km=np.where(haul, l_dist[li], 0.0),
        co2_kg=np.where(haul, l_co2[li], 0.0),
        dwell_h=dwell,
        dwell_shared=np.where(haul, c_shared[ci], False),
        fee_usd=fee,
        wait_h=wait,
        is_open=np.where(haul, l_open[li] & c_open[ci], True),
        rate_usd=np.where(haul, l_rate[li], 0.0),
    )


def _priced(graph: Graph, costs: EdgeCosts, factors: tuple[Factors, ...]) -> EdgeCosts:
    """``costs`` with a commodity's multipliers on the per-tonne-km rate, the border fee,
    the border dwell and the speed of each mode's haul edges, and on the rate of its
    back-haul edges."""
    rate, fee, dwell = costs.rate_usd.copy(), costs.fee_usd.copy(), costs.dwell_h.copy()
    run = costs.run_h.copy()
    haul = graph.edge_kind == HAUL
    # a country's rows: half of an edge at its start's factors, half at its end's
    n_countries = len(graph.country_codes)
    by_country: dict[int, tuple[FloatArray, FloatArray]] = {}
    for mode, country, rate_factor, *_, speed_factor, _ in factors:
        if country >= 0:
            per = by_country.setdefault(mode, (np.ones(n_countries), np.ones(n_countries)))
            per[0][country] *= rate_factor
            per[1][country] /= speed_factor
    src, dst = graph.edge_country("src"), graph.edge_country("dst")
    for mode, (rate_of, slowness_of) in by_country.items():
        on = haul & (graph.edge_mode == mode)
        rate[on] *= 0.5 * (rate_of[src[on]] + rate_of[dst[on]])
        run[on] *= 0.5 * (slowness_of[src[on]] + slowness_of[dst[on]])
    for mode, country, rate_factor, fee_factor, dwell_factor, speed_factor, backhaul in factors:
        if country >= 0:
            continue
        on = haul & (graph.edge_mode == mode)
        rate[on] *= rate_factor
        rate[on & graph.edge_backhaul] *= backhaul
        fee[on] *= fee_factor
        dwell[on & ~costs.dwell_shared] *= dwell_factor
        run[on] /= speed_factor
    cost = costs.cost_usd + (rate - costs.rate_usd) + (fee - costs.fee_usd)
    time = costs.time_h + (dwell - costs.dwell_h) + (run - costs.run_h)
    return replace(
        costs, cost_usd=cost, rate_usd=rate, fee_usd=fee, dwell_h=dwell, time_h=time, run_h=run
    )
