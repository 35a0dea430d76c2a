"""Criticality: what each single failure costs the package's demand.

An *element* fails and every edge it owns is removed from the network as of the date:

- ``link`` — a line, road, ferry or sea route, both directions and gauges;
- ``crossing`` — one direction of a border crossing (a crossing record);
- ``port`` — every ferry and sea service calling at a port (land traffic continues);
- ``place`` — everything at a place: its links, transfers and the trade it sends or gets;
- ``country`` — the country closes its borders: every border edge into or out of it
  (domestic traffic continues, transit and trade with it stop).

Every demand row travels its least generalized-cost route (money + value of time × hours,
per commodity, with the shipment's rules) on free-flow costs — Jenelius et al.'s
"importance" measure. For a failure: **extra cost** Σ tonnes × (new − old USD/t) over
the rows that still have a route, **unserved tonnes** of rows left without one,
**rerouted tonnes** of rows whose best route used the element and still have one, and
the rows hit. Failures are ranked by **impact** = extra cost + unserved tonnes × the
commodity's value per tonne (trade that cannot move is valued at what it is worth).

Incremental: only rows whose best route uses one of the element's edges are re-solved
(removing edges cannot make any other row's best route dearer), and one shortest-path
tree serves every hit row of the same (class, origin). ``incremental=False`` re-solves
every row for every element; both give the same numbers (tested). Scans split into
chunks of elements that run in-process or on Dask (:mod:`overland.batch`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..batch import Progress, chunked, run_chunks
from ..errors import BadArgumentError
from ..graph import HAUL, Factors, graph_of
from ..kernels import BoolArray, FloatArray, IntArray, dijkstra, path_edges
from ..schema import MODES

if TYPE_CHECKING:
    from ..network import Network
    from ..timeline import NetworkState

__all__ = ["ELEMENT_KINDS", "CriticalityResult", "criticality", "criticality_batch"]

ELEMENT_KINDS = ("link", "crossing", "port", "place", "country")
_WATER = (MODES.index("ferry"), MODES.index("sea"))


@dataclass(frozen=True)
class DemandProblem:
    """Everything a scan needs, as plain arrays (shipped once to Dask workers)."""

    indptr: IntArray
    adj_edge: IntArray
    edge_src: IntArray
    edge_dst: IntArray
    node_place: IntArray
    place_nodes: tuple[IntArray, ...]  # per place index: its (place, layer) nodes
    weight: FloatArray  # (classes, edges) USD/t at each class's value of time
    allowed: BoolArray  # (classes, edges)
    row_class: IntArray
    row_origin: IntArray  # place index
    row_dest: IntArray
    row_tonnes: FloatArray
    row_value: FloatArray  # USD per tonne of cargo
    base: FloatArray  # USD/t per row on the intact network (inf: no route)
    edge_rows: tuple[IntArray, ...]  # per edge: rows whose best route uses it
    element_edges: tuple[IntArray, ...]
    incremental: bool


@dataclass(frozen=True)
class CriticalityResult:
    """Ranked failures and the rows each one hits."""

    date: dt.date
    scenario: str | None
    table: pd.DataFrame  # kind, id, name, extra_cost_usd_per_year, unserved_tonnes, ...
    impacts: pd.DataFrame  # kind, id, demand, tonnes, base_usd_per_t, new_usd_per_t
    total_tonnes: float
    baseline_unserved_tonnes: float
    elements_scanned: int = field(default=0)

    def top(self, n: int = 20, kind: str | None = None) -> pd.DataFrame:
        """The ``n`` worst failures (of one kind)."""
        df = self.table if kind is None else self.table[self.table["kind"] == kind]
        return df.head(n)

    def as_dict(self, n: int = 50) -> dict[str, Any]:
        """JSON-ready summary: the ``n`` worst failures with the rows they hit."""
        rows = []
        for rec in self.top(n).to_dict(orient="records"):
            hit = self.impacts[
                (self.impacts["kind"] == rec["kind"]) & (self.impacts["id"] == rec["id"])
            ]
            rows.append(
                {
                    "kind": rec["kind"],
                    "id": rec["id"],
                    "name": rec["name"],
                    "impact_usd_per_year": round(float(rec["impact_usd_per_year"])),
                    "extra_cost_usd_per_year": round(float(rec["extra_cost_usd_per_year"])),
                    "unserved_tonnes": round(float(rec["unserved_tonnes"])),
                    "rerouted_tonnes": round(float(rec["rerouted_tonnes"])),
                    "ods_hit": int(rec["ods_hit"]),
                    "hit": [
                        {
                            "demand": str(h["demand"]),
                            "tonnes": round(float(h["tonnes"])),
                            "base_usd_per_t": round(float(h["base_usd_per_t"]), 2),
                            "new_usd_per_t": (
                                round(float(h["new_usd_per_t"]), 2)
                                if np.isfinite(h["new_usd_per_t"])
                                else None
                            ),
                        }
                        for h in hit.sort_values("tonnes", ascending=False)
                        .head(10)
                        .to_dict(orient="records")
                    ],
                }
            )
        return {
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "elements_scanned": self.elements_scanned,
            "total_tonnes": round(self.total_tonnes),
            "baseline_unserved_tonnes": round(self.baseline_unserved_tonnes),
            "failures": rows,
        }


def criticality(
    network: Network,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    kinds: tuple[str, ...] = ELEMENT_KINDS,
    countries: tuple[str, ...] = (),
    growth: float = 1.0,
    incremental: bool = True,
    scheduler: str | None = None,
    workers: int = 2,
    chunk: int = 64,
    progress: Progress | None = None,
) -> CriticalityResult:
    """Fail every element of ``kinds`` in turn and rank the failures.

    Ranking: impact (extra cost + unserved tonnes × cargo value, USD/yr). ``countries``
    keeps only those countries, the places and ports in them and the links and crossings
    that touch them (the whole network's demand is still loaded). ``scheduler``/``workers``: see
    :func:`overland.batch.run_chunks`.
    """
    if not network.demand:
        raise BadArgumentError("this network package has no demand table (demand.csv)")
    bad = [k for k in kinds if k not in ELEMENT_KINDS]
    if bad or not kinds:
        raise BadArgumentError(
            f"unknown element kind(s) {', '.join(bad) or '(none given)'}; "
            f"valid: {', '.join(ELEMENT_KINDS)}"
        )
    if not 0 < growth <= 100:
        raise BadArgumentError(f"growth must be in (0, 100], got {growth}")
    unknown = [c for c in countries if c not in network.countries]
    if unknown:
        raise BadArgumentError(
            f"unknown country {', '.join(unknown)}; valid: {', '.join(sorted(network.countries))}"
        )
    state = network.as_of(date, scenario)
    labels, element_edges = elements_of(network, state, kinds, set(countries))
    problem, demand_ids = demand_problem(network, state, element_edges, growth, incremental)
    parts = run_chunks(
        _scan_chunk,
        problem,
        chunked(len(element_edges), chunk),
        scheduler=scheduler,
        workers=workers,
        progress=progress,
    )
    records, impacts = [], []
    for i, (extra, unserved, rerouted, lost, hit_rows, new) in enumerate(
        item for part in parts for item in part
    ):
        kind, eid, name = labels[i]
        records.append(
            {
                "kind": kind,
                "id": eid,
                "name": name,
                "impact_usd_per_year": extra + lost,
                "extra_cost_usd_per_year": extra,
                "unserved_tonnes": unserved,
                "rerouted_tonnes": rerouted,
                "ods_hit": len(hit_rows),
            }
        )
        for r, c in zip(hit_rows.tolist(), new.tolist(), strict=True):
            impacts.append(
                {
                    "kind": kind,
                    "id": eid,
                    "demand": demand_ids[r],
                    "tonnes": float(problem.row_tonnes[r]),
                    "base_usd_per_t": float(problem.base[r]),
                    "new_usd_per_t": c,
                }
            )
    table = pd.DataFrame(
        records,
        columns=[
            "kind",
            "id",
            "name",
            "impact_usd_per_year",
            "extra_cost_usd_per_year",
            "unserved_tonnes",
            "rerouted_tonnes",
            "ods_hit",
        ],
    )
    table = table.sort_values(
        ["impact_usd_per_year", "unserved_tonnes", "kind", "id"],
        ascending=[False, False, True, True],
        kind="stable",
    ).reset_index(drop=True)
    served = np.isfinite(problem.base)
    return CriticalityResult(
        date=state.date,
        scenario=scenario,
        table=table,
        impacts=pd.DataFrame(
            impacts,
            columns=["kind", "id", "demand", "tonnes", "base_usd_per_t", "new_usd_per_t"],
        ),
        total_tonnes=float(problem.row_tonnes.sum()),
        baseline_unserved_tonnes=float(problem.row_tonnes[~served].sum()),
        elements_scanned=len(element_edges),
    )


def criticality_batch(
    network: Network,
    states: Sequence[tuple[dt.date | str | None, str | None]],
    *,
    kinds: tuple[str, ...] = ELEMENT_KINDS,
    countries: tuple[str, ...] = (),
    growth: float = 1.0,
    incremental: bool = True,
    scheduler: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[CriticalityResult]:
    """:func:`criticality` for several (date, scenario) states — one task per state, so
    a batch of scenarios scales out on Dask (the network travels as its package path)."""
    if not states:
        raise BadArgumentError("give at least one (date, scenario) state")
    for _, scenario in states:
        if scenario is not None and scenario not in network.scenarios:
            raise BadArgumentError(
                f"unknown scenario {scenario!r}; valid: {', '.join(sorted(network.scenarios))}"
            )
    jobs = [(d, s, kinds, countries, growth, incremental) for d, s in states]
    return run_chunks(
        _scan_state, network, jobs, scheduler=scheduler, workers=workers, progress=progress
    )


def _scan_state(network: Network, job: tuple[Any, ...]) -> CriticalityResult:
    date, scenario, kinds, countries, growth, incremental = job
    return criticality(
        network,
        date=date,
        scenario=scenario,
        kinds=kinds,
        countries=countries,
        growth=growth,
        incremental=incremental,
    )


# ----------------------------------------------------------------------------- set-up


def elements_of(
    network: Network, state: NetworkState, kinds: tuple[str, ...], within: set[str]
) -> tuple[list[tuple[str, str, str]], tuple[IntArray, ...]]:
    """(kind, id, name) and the open edges of every element that has any (and touches a
    country of ``within``, when given)."""
    g = graph_of(network)
    is_open = g.costs(state).is_open
    labels: list[tuple[str, str, str]] = []
    edges: list[IntArray] = []

    def add(kind: str, eid: str, name: str, mask: BoolArray) -> None:
        e = np.flatnonzero(mask & is_open)
        if kind == "country":
            touched = {eid}
        elif kind in ("place", "port"):
            touched = {network.places[eid].country}
        else:
            touched = {g.country_codes[c] for c in np.concatenate([src_c[e], dst_c[e]]).tolist()}
        if within and not within & touched:
            return
        if e.size:
            labels.append((kind, eid, name))
            edges.append(e.astype(np.int64))

    haul = g.edge_kind == HAUL
    src_c, dst_c = g.edge_country("src"), g.edge_country("dst")
    src_place, dst_place = g.node_place[g.edge_src], g.node_place[g.edge_dst]
    if "link" in kinds:
        by_link: dict[int, list[int]] = defaultdict(list)
        for e in np.flatnonzero(haul):
            by_link[int(g.edge_link[e])].append(int(e))
        for li, es in sorted(by_link.items()):
            lid = g.link_ids[li]
            mask = np.zeros(g.n_edges, np.bool_)
            mask[es] = True
            link = network.links[lid]
            ends = f"{network.places[link.from_place].name}–{network.places[link.to_place].name}"
            add("link", lid, f"{link.name or ends} ({link.mode})", mask)
    if "crossing" in kinds:
        for ci, cid in enumerate(g.crossing_ids):
            c = network.crossings[cid]
            add(
                "crossing",
                cid,
                f"{c.from_country}→{c.to_country} at {c.place}",
                g.edge_crossing == ci,
            )
    water = haul & np.isin(g.edge_mode, _WATER)
    for pi, pid in enumerate(g.place_ids):
        place = network.places[pid]
        touches = (src_place == pi) | (dst_place == pi)
        if "port" in kinds and place.kind == "port":
            add("port", pid, place.name, touches & water)
        if "place" in kinds:
            add("place", pid, place.name, touches)
    if "country" in kinds:
        border = src_c != dst_c
        for ci, code in enumerate(g.country_codes):
            if code in network.countries:
                add(
                    "country",
                    code,
                    network.countries[code].name,
                    border & ((src_c == ci) | (dst_c == ci)),
                )
    return labels, tuple(edges)


def demand_problem(
    network: Network,
    state: NetworkState,
    element_edges: tuple[IntArray, ...],
    growth: float,
    incremental: bool,
) -> tuple[DemandProblem, list[str]]:
    g = graph_of(network)
    costs = g.costs(state)
    rules = list(state.rules_in_force())
    classes: dict[tuple[str, tuple[str, ...], tuple[Factors, ...]], int] = {}
    weights, allowed = [], []
    row_class, row_o, row_d, tonnes, value, ids = [], [], [], [], [], []
    for d in network.demand_for(state.date.year):
        oc = network.places[d.origin].country
        dc = network.places[d.destination].country
        applied = tuple(r.id for r in rules if r.applies_to.matches(oc, dc, d.commodity))
        charged = g.rate_factors(d.commodity, state, (oc, dc))
        key = (d.commodity, applied, charged)
        if key not in classes:
            classes[key] = len(classes)
            vot = network.commodities[d.commodity].value_of_time_usd_per_t_h
            # its charges and dwell (rates.csv), a country's tariffs for its traffic too
            own = g.costs(state, d.commodity, (oc, dc))
            weights.append(own.cost_usd + vot * own.time_h)
            mask = costs.is_open & g.commodity_allowed(d.commodity)
            for r in rules:
                if r.id in applied:
                    mask &= ~g.rule_mask(r)
            allowed.append(mask)
        row_class.append(classes[key])
        row_o.append(g.place_index[d.origin])
        row_d.append(g.place_index[d.destination])
        tonnes.append(d.tonnes_per_year * growth)
        value.append(network.commodities[d.commodity].value_usd_per_t)
        ids.append(d.id)
    p = DemandProblem(
        indptr=g.indptr,
        adj_edge=g.adj_edge,
        edge_src=g.edge_src,
        edge_dst=g.edge_dst,
        node_place=g.node_place,
        place_nodes=tuple(g.nodes_at(pid) for pid in g.place_ids),
        weight=np.array(weights),
        allowed=np.array(allowed),
        row_class=np.array(row_class, np.int64),
        row_origin=np.array(row_o, np.int64),
        row_dest=np.array(row_d, np.int64),
        row_tonnes=np.array(tonnes, float),
        row_value=np.array(value, float),
        base=np.zeros(0),
        edge_rows=(),
        element_edges=element_edges,
        incremental=incremental,
    )
    rows = np.arange(len(ids))
    base, paths = solve_rows(p, rows, np.zeros(0, np.int64), with_paths=True)
    users: list[list[int]] = [[] for _ in range(g.n_edges)]
    for row, path in enumerate(paths):
        for e in path:
            users[e].append(row)
    edge_rows = tuple(np.array(u, np.int64) for u in users)
    return (
        DemandProblem(**{**p.__dict__, "base": base, "edge_rows": edge_rows}),
        ids,
    )


# ----------------------------------------------------------------------------- kernels


def solve_rows(
    p: DemandProblem, rows: IntArray, removed: IntArray, *, with_paths: bool = False
) -> tuple[FloatArray, list[list[int]]]:
    """Least cost (and, optionally, edges) of ``rows`` with ``removed`` edges taken out."""
    cost = np.full(rows.shape[0], np.inf)
    paths: list[list[int]] = [[] for _ in range(rows.shape[0])]
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, r in enumerate(rows.tolist()):
        groups[(int(p.row_class[r]), int(p.row_origin[r]))].append(k)
    for (cls, origin), ks in groups.items():
        mask = p.allowed[cls]
        if removed.size:
            mask = mask.copy()
            mask[removed] = False
        sources = p.place_nodes[origin]
        dist, pred = dijkstra(p.indptr, p.adj_edge, p.edge_dst, p.weight[cls], mask, sources)
        for k in ks:
            targets = p.place_nodes[p.row_dest[rows[k]]]
            best = targets[np.argmin(dist[targets])]
            cost[k] = dist[best]
            if with_paths and np.isfinite(dist[best]):
                paths[k] = path_edges(pred, p.edge_src, int(best))
    return cost, paths


def _scan_chunk(
    p: DemandProblem, span: tuple[int, int]
) -> list[tuple[float, float, float, float, IntArray, FloatArray]]:
    """Per element of ``span``: extra cost, unserved t, rerouted t, value of the unserved
    cargo, rows hit, their new costs."""
    out = []
    served = np.isfinite(p.base)
    everyone = np.flatnonzero(served)
    for i in range(*span):
        removed = p.element_edges[i]
        if p.incremental:
            users = [p.edge_rows[e] for e in removed.tolist()]
            cand = np.unique(np.concatenate(users)) if users else np.zeros(0, np.int64)
        else:
            cand = everyone
        if cand.size == 0:
            out.append((0.0, 0.0, 0.0, 0.0, cand, np.zeros(0)))
            continue
        new, _ = solve_rows(p, cand, removed)
        uses = _uses(p, cand, removed)
        # brute force: a row is hit when its cost changed or its best route used the
        # element (equal-cost detours); incremental candidates all used it
        hit = uses | (new > p.base[cand]) if not p.incremental else uses
        lost = ~np.isfinite(new)
        t = p.row_tonnes[cand]
        kept = hit & ~lost
        extra = float(np.sum(t[kept] * (new[kept] - p.base[cand][kept])))
        unserved = float(t[hit & lost].sum())
        value = float((t * p.row_value[cand])[hit & lost].sum())
        rerouted = float(t[kept].sum())
        out.append((extra, unserved, rerouted, value, cand[hit], new[hit]))
    return out


def _uses(p: DemandProblem, rows: IntArray, removed: IntArray) -> BoolArray:
    """Which rows' best route uses any removed edge."""
    users = [p.edge_rows[e] for e in removed.tolist()]
    if not users:
        return np.zeros(rows.size, np.bool_)
    return np.isin(rows, np.concatenate(users))
