"""The TRIPP's other layers: pipelines, fibre and power as capacity networks.

Per layer (``oil_pipeline``, ``gas_pipeline``, ``fibre``, ``power``), on a date under a
scenario: the maximum flow between two regions and the minimum cut that limits it
(scipy's max-flow on capacities scaled to integers), the latency-shortest fibre route
(length × propagation delay in glass), and N-1 criticality (the capacity lost when one
line fails). Power is treated as transfer capacity between places, not as a physical
power flow.

A region is a place (id, name or alias), an ISO2 country code (every place of that
country on the layer), or several of those separated by commas.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from ..errors import BadArgumentError
from ..geo import great_circle_km
from ..places import resolve_place
from ..schema import UNIT_OF_MODE, UTILITY_MODES

if TYPE_CHECKING:
    from ..network import Network
    from ..timeline import NetworkState

__all__ = [
    "FIBRE_US_PER_KM",
    "CapacityResult",
    "LatencyResult",
    "fibre_latency",
    "max_capacity",
    "n_minus_1",
    "resolve_region",
]

#: One-way propagation delay in optical fibre: light at c / 1.468 (group index of silica),
#: ≈ 4.9 µs per km.
FIBRE_US_PER_KM = 1e6 / (299_792.458 / 1.468)
_SCALE = 1000  # capacities are scaled to integers for scipy's max-flow (0.001-unit resolution)


@dataclass(frozen=True)
class CapacityResult:
    """Maximum flow between two regions on one layer, with the cut that limits it."""

    layer: str
    unit: str
    date: dt.date
    scenario: str | None
    sources: tuple[str, ...]
    sinks: tuple[str, ...]
    value: float
    link_flows: dict[str, float]
    min_cut: tuple[str, ...]  # link ids of a minimum cut (saturated, source side -> sink side)
    cut_capacity: float

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "layer": self.layer,
            "unit": self.unit,
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "sources": list(self.sources),
            "sinks": list(self.sinks),
            "max_flow": round(self.value, 6),
            "min_cut": list(self.min_cut),
            "cut_capacity": round(self.cut_capacity, 6),
            "link_flows": {k: round(v, 6) for k, v in self.link_flows.items() if v > 0},
        }


@dataclass(frozen=True)
class LatencyResult:
    """The lowest-latency fibre route between two places."""

    origin: str
    destination: str
    places: tuple[str, ...]
    links: tuple[str, ...]
    length_km: float
    one_way_ms: float
    great_circle_ms: float  # the physical bound: light in fibre along the great circle

    @property
    def round_trip_ms(self) -> float:
        """Twice the one-way latency."""
        return 2 * self.one_way_ms

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "origin": self.origin,
            "destination": self.destination,
            "places": list(self.places),
            "links": list(self.links),
            "length_km": round(self.length_km, 2),
            "one_way_ms": round(self.one_way_ms, 4),
            "round_trip_ms": round(self.round_trip_ms, 4),
            "great_circle_ms": round(self.great_circle_ms, 4),
        }


def _check_layer(layer: str) -> str:
    if layer not in UTILITY_MODES:
        raise BadArgumentError(f"unknown layer {layer!r}; valid: {', '.join(UTILITY_MODES)}")
    return layer


def resolve_region(network: Network, text: str, layer: str) -> tuple[str, ...]:
    """Place ids of a region: places, ISO2 countries (their places on the layer), or both."""
    on_layer = {
        p
        for link in network.links.values()
        if link.mode == layer
        for p in (link.from_place, link.to_place)
    }
    out: list[str] = []
    for part in (t.strip() for t in text.split(",")):
        if not part:
            continue
        if len(part) == 2 and part.upper() in network.countries and part.isalpha():
            hits = sorted(p for p in on_layer if network.places[p].country == part.upper())
            if not hits:
                raise BadArgumentError(f"no {layer} line touches {part.upper()}")
            out += hits
        else:
            out.append(resolve_place(network, part).id)
    if not out:
        raise BadArgumentError(f"empty region {text!r}")
    return tuple(dict.fromkeys(out))


def _layer_links(state: NetworkState, layer: str, without: str | None = None) -> list[str]:
    return [
        lid
        for lid, link in state.links.items()
        if link.mode == layer and link.status == "open" and lid != without
    ]


def max_capacity(
    network: Network,
    layer: str,
    sources: str | Sequence[str],
    sinks: str | Sequence[str],
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    without: str | None = None,
) -> CapacityResult:
    """Maximum flow from ``sources`` to ``sinks`` on ``layer`` and a minimum cut.

    Pipelines carry flow in their stated direction only; fibre and power lines either way
    (each direction up to the line's capacity).

    The value always equals the capacity of the returned cut (max-flow = min-cut).
    """
    _check_layer(layer)
    state = network.as_of(date, scenario)
    src = resolve_region(network, sources, layer) if isinstance(sources, str) else tuple(sources)
    snk = resolve_region(network, sinks, layer) if isinstance(sinks, str) else tuple(sinks)
    if set(src) & set(snk):
        raise BadArgumentError(
            "source and sink regions overlap: " + ", ".join(sorted(set(src) & set(snk)))
        )
    links = _layer_links(state, layer, without)
    names = sorted(
        {p for lid in links for p in (state.links[lid].from_place, state.links[lid].to_place)}
        | set(src)
        | set(snk)
    )
    idx = {p: i for i, p in enumerate(names)}
    n = len(names) + 2
    s_node, t_node = n - 2, n - 1
    arcs: list[tuple[int, int, int, str]] = []  # (from, to, integer capacity, link id)
    for lid in links:
        link = state.links[lid]
        c = round((link.capacity or 0.0) * _SCALE)
        a, b = idx[link.from_place], idx[link.to_place]
        arcs.append((a, b, c, lid))
        if not link.directed:
            arcs.append((b, a, c, lid))
    big = sum(arc[2] for arc in arcs) + 1
    arcs += [(s_node, idx[p], big, "") for p in src]
    arcs += [(idx[p], t_node, big, "") for p in snk]
    # parallel arcs are merged by summing (scipy needs one entry per pair)
    pair_cap: dict[tuple[int, int], int] = {}
    for a, b, c, _lid in arcs:
        pair_cap[(a, b)] = pair_cap.get((a, b), 0) + c
    keys = list(pair_cap)
    mat = sp.csr_matrix(
        ([pair_cap[k] for k in keys], ([k[0] for k in keys], [k[1] for k in keys])),
        shape=(n, n),
        dtype=np.int64,
    )
    res = maximum_flow(mat, s_node, t_node)
    flow = res.flow.tocsr() if hasattr(res, "flow") else res.residual.tocsr()
    value = float(res.flow_value) / _SCALE
    # flow per link: split a pair's net flow over the links on that pair by capacity
    link_flow: dict[str, float] = dict.fromkeys(links, 0.0)
    pair_links: dict[tuple[int, int], list[tuple[str, int]]] = {}
    for a, b, c, lid in arcs:
        if lid:
            pair_links.setdefault((a, b), []).append((lid, c))
    for (a, b), items in pair_links.items():
        f = max(0, int(flow[a, b]))
        total = sum(c for _, c in items) or 1
        for lid, c in items:
            link_flow[lid] += f * c / total / _SCALE
    # minimum cut: nodes reachable from the source in the residual graph
    residual_cap = {k: pair_cap[k] - int(flow[k[0], k[1]]) for k in keys}
    adj: dict[int, list[int]] = {}
    for (a, b), r in residual_cap.items():
        if r > 0:
            adj.setdefault(a, []).append(b)
    for a, b in keys:  # reverse residual arcs where flow runs
        if int(flow[a, b]) > 0:
            adj.setdefault(b, []).append(a)
    seen = {s_node}
    stack = [s_node]
    while stack:
        u = stack.pop()
        for v in adj.get(u, []):
            if v not in seen:
                seen.add(v)
                stack.append(v)
    cut_links: list[str] = []
    cut_cap = 0
    for (a, b), items in pair_links.items():
        if a in seen and b not in seen:
            for lid, c in items:
                cut_links.append(lid)
                cut_cap += c
    return CapacityResult(
        layer,
        UNIT_OF_MODE[layer],
        state.date,
        scenario,
        src,
        snk,
        value,
        link_flow,
        tuple(sorted(set(cut_links))),
        cut_cap / _SCALE,
    )


def n_minus_1(
    network: Network,
    layer: str,
    sources: str,
    sinks: str,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
) -> list[tuple[str, float, float]]:
    """For every open line of the layer: (link id, max flow without it, capacity lost),
    most critical first."""
    base = max_capacity(network, layer, sources, sinks, date=date, scenario=scenario)
    state = network.as_of(date, scenario)
    out = []
    for lid in _layer_links(state, layer):
        r = max_capacity(network, layer, sources, sinks, date=date, scenario=scenario, without=lid)
        out.append((lid, float(r.value), float(base.value - r.value)))
    return sorted(out, key=lambda item: (-item[2], item[0]))


def fibre_latency(
    network: Network,
    origin: str,
    destination: str,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
) -> LatencyResult:
    """The lowest-latency fibre route (length × propagation delay) between two places."""
    from scipy.sparse.csgraph import dijkstra

    from ..errors import NoRouteError

    state = network.as_of(date, scenario)
    o = resolve_place(network, origin).id
    d = resolve_place(network, destination).id
    links = _layer_links(state, "fibre")
    names = sorted(
        {p for lid in links for p in (state.links[lid].from_place, state.links[lid].to_place)}
        | {o, d}
    )
    idx = {p: i for i, p in enumerate(names)}
    best: dict[tuple[int, int], tuple[float, str]] = {}
    for lid in links:
        link = state.links[lid]
        a, b = idx[link.from_place], idx[link.to_place]
        for u, v in ((a, b), (b, a)):
            if (u, v) not in best or link.length_km < best[(u, v)][0]:
                best[(u, v)] = (link.length_km, lid)
    keys = list(best)
    mat = sp.csr_matrix(
        ([best[k][0] for k in keys], ([k[0] for k in keys], [k[1] for k in keys])),
        shape=(len(names), len(names)),
    )
    dist, pred = dijkstra(mat, directed=True, indices=idx[o], return_predecessors=True)
    if not np.isfinite(dist[idx[d]]):
        raise NoRouteError(
            f"no fibre route from {network.places[o].name} to "
            f"{network.places[d].name} on {state.date}",
            [{"kind": "closure", "id": "fibre", "why": "no open fibre line connects them"}],
        )
    path = [idx[d]]
    while path[-1] != idx[o]:
        path.append(int(pred[path[-1]]))
    path.reverse()
    link_ids = [best[(a, b)][1] for a, b in itertools.pairwise(path)]
    length = float(dist[idx[d]])
    po, pd_ = network.places[o], network.places[d]
    gc = great_circle_km(po.lat, po.lon, pd_.lat, pd_.lon)
    return LatencyResult(
        o,
        d,
        tuple(names[i] for i in path),
        tuple(link_ids),
        length,
        length * FIBRE_US_PER_KM / 1000,
        gc * FIBRE_US_PER_KM / 1000,
    )
