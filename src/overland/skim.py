"""Skims: origin–destination matrices of time, cost and distance between places."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import BadArgumentError, BudgetExceededError
from .graph import BoolArray, Factors, FloatArray, graph_of
from .kernels import dijkstra, tree_sums
from .places import resolve_place
from .routing import make_query, require_freight_service

if TYPE_CHECKING:
    import pandas as pd

    from .network import Network

__all__ = ["Skim", "skim"]


@dataclass(frozen=True)
class Skim:
    """Best-route figures for every origin (rows) and destination (columns).

    Unreachable pairs hold ``inf``; the diagonal is 0.
    """

    places: tuple[str, ...]
    date: dt.date
    scenario: str | None
    objective: str
    time_h: FloatArray
    cost_usd_per_t: FloatArray
    distance_km: FloatArray
    generalized_usd_per_t: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per origin–destination pair (unreachable pairs omitted)."""
        import pandas as pd

        n = len(self.places)
        o, d = np.divmod(np.arange(n * n), n)
        keep = (o != d) & np.isfinite(self.time_h.ravel())
        ids = np.array(self.places, dtype=object)
        return pd.DataFrame(
            {
                "origin": ids[o[keep]],
                "destination": ids[d[keep]],
                "time_h": self.time_h.ravel()[keep],
                "cost_usd_per_t": self.cost_usd_per_t.ravel()[keep],
                "distance_km": self.distance_km.ravel()[keep],
                "generalized_usd_per_t": self.generalized_usd_per_t.ravel()[keep],
            }
        )


def skim(
    network: Network,
    *,
    places: Sequence[str] | None = None,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    commodity: str | None = None,
    objective: str = "generalized",
    modes: Iterable[str] | None = None,
    avoid_countries: Iterable[str] = (),
    deadline: float | None = None,
) -> Skim:
    """Time, cost, distance and generalized cost of the best route between all pairs.

    ``places`` defaults to every place a freight mode serves; ``deadline`` (a
    ``time.monotonic()`` value) bounds the work (:class:`BudgetExceededError` past it).

    Rules that depend on the shipment's origin and destination (the transit ban on
    cargo to or from Armenia) are applied per pair, as :func:`shortest_route` does.

    Examples
    --------
    >>> from overland import embedded_network
    >>> s = skim(embedded_network(), places=["Baku", "Tbilisi", "Yerevan"], date="2025-10-01")
    >>> bool(np.isfinite(s.time_h[0, 2]))  # Baku -> Yerevan: banned transit, no route
    False
    """
    if places:
        ids = tuple(resolve_place(network, p).id for p in places)
        for pid in ids:
            require_freight_service(network, pid)
    else:  # every place a freight mode serves
        ids = tuple(p for p in network.places if graph_of(network).nodes_at(p).size)
    if len(ids) < 2:
        raise BadArgumentError(f"a skim needs at least two places, got {len(ids)}")
    q = make_query(
        network,
        ids[0],
        ids[1],
        date=date,
        scenario=scenario,
        commodity=commodity,
        objective=objective,
        modes=modes,
        avoid_countries=avoid_countries,
    )
    g, state = q.graph, q.state
    base, _ = g.mask(
        state,
        origin_country="",
        destination_country="",
        avoid_countries=q.avoid_countries,
        modes=q.modes,
        commodity=q.commodity,
        rules=False,
    )
    # rules in force that depend on the shipment are applied per pair; masks cached per set
    rules = list(state.rules_in_force())
    base_all = base.copy()
    for r in rules:
        if r.applies_to.universal:
            base_all &= ~g.rule_mask(r)
    scoped = [r for r in rules if not r.applies_to.universal]
    masks: dict[tuple[str, ...], BoolArray] = {}
    country = [network.places[p].country for p in ids]
    # a country's tariff for its own or for transit traffic depends on the pair too:
    # weights and summed values cached per set of factors that charge it (looked up once
    # per pair of countries)
    priced: dict[tuple[Factors, ...], tuple[FloatArray, FloatArray]] = {}
    keys: dict[tuple[str, str], tuple[Factors, ...]] = {}

    def pricing(i: int, j: int) -> tuple[Factors, ...]:
        ends = (country[i], country[j])
        key = keys.get(ends)
        if key is None:
            key = keys[ends] = g.rate_factors(q.commodity, state, ends)
        if key not in priced:
            c = g.costs(state, q.commodity, ends)
            priced[key] = q.weight_of(c), np.vstack([c.time_h, c.cost_usd, c.distance_km])
        return key

    nodes = [g.nodes_at(p) for p in ids]
    n = len(ids)
    # destinations' nodes padded to a matrix; the padding points at an extra inf slot
    width = max(len(x) for x in nodes)
    pad = np.full((n, width), g.n_nodes, dtype=np.int64)
    for j, x in enumerate(nodes):
        pad[j, : len(x)] = x
    out = np.full((3, n, n), np.inf)
    for i in range(n):
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceededError(f"the skim ran out of time after {i} of {n} origins")
        groups: dict[tuple[tuple[str, ...], tuple[Factors, ...]], list[int]] = {}
        for j in range(n):
            key = tuple(
                r.id for r in scoped if r.applies_to.matches(country[i], country[j], q.commodity)
            )
            groups.setdefault((key, pricing(i, j)), []).append(j)
        for (key, price), js in groups.items():
            if key not in masks:
                m = base_all.copy()
                for r in scoped:
                    if r.id in key:
                        m &= ~g.rule_mask(r)
                masks[key] = m
            w, values = priced[price]
            dist, pred = dijkstra(g.indptr, g.adj_edge, g.edge_dst, w, masks[key], nodes[i])
            sums = tree_sums(dist, pred, g.edge_src, values)
            cols = np.array(js)
            cand = pad[cols]
            dext = np.append(dist, np.inf)
            pick = cand[np.arange(len(cols)), np.argmin(dext[cand], axis=1)]
            ok = np.isfinite(dext[pick])
            out[:, i, cols[ok]] = sums[:, pick[ok]]
        out[:, i, i] = 0.0
    vot = q.value_of_time
    return Skim(
        places=ids,
        date=state.date,
        scenario=state.scenario,
        objective=q.objective,
        time_h=out[0],
        cost_usd_per_t=out[1],
        distance_km=out[2],
        generalized_usd_per_t=out[1] + vot * out[0],
    )
