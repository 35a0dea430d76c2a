"""Disruptions: elements closed for some days, the backlog they leave and who pays.

While an element is closed, every demand row whose best route uses it either **waits**
(its cargo queues at the element) or **reroutes** (pays its best remaining route). Each
closed edge is a deterministic queue: cargo arrives at ``λ`` t/day, nothing leaves for
``D`` days, then the queue is served at the edge's capacity ``μ`` t/day (link or border-
post capacity, per direction). The backlog at reopening is ``λ·D``, it clears after ``T
= λ·D / (μ − λ)`` days, and the delay is the triangle ``½·λ·D·(D + T)`` tonne-days,
spread over the ``λ·(D + T)`` tonnes that meet the queue: ``D/2`` days each on average,
``D`` for the first. Without a capacity the queue clears at once (``T = 0``); with ``μ ≤
λ`` it never clears and is reported as such.

``λ`` is the edge's normal flow in the corridor flows (the logit equilibrium with
capacities of :mod:`overland.analyses.flows`) times the waiting rows' share of the tonnes
whose best route uses the edge, so a queue never starts from more than the edge normally
carries.

Rows choose: a row reroutes when its extra cost per tonne is below the value of the
average wait (``value of time × 24 × D/2``); rows with no other route wait. Rerouted rows
leave the queue, which shortens ``T`` for the others; the choice is made once per row on
``D/2`` (independent of ``T``), so no iteration is needed.

After reopening, cargo still arriving chooses again: a row joins the queue while the wait
it would meet (``Q / μ`` days) is worth less to it than its best route avoiding that
edge (``value of time × 24 × Q / μ`` against the premium), and goes round otherwise. So a
long backlog first sends the rows with a cheap detour round (a parallel port) and takes
them back as it shrinks: the queue falls at ``μ − λ(Q)``, piecewise linear between the
rows' thresholds, exactly. ``T`` is when it is empty, or when it settles at the level
where the rows still joining arrive at ``μ`` (an edge over capacity in normal times
keeps a standing queue; the level is reported); the delay is the area under ``Q``;
the tonnes that went round after reopening and what their detour cost are reported. With
no detour for anyone this is the formula above.

No shipper with a detour waits past the wait limit of the corridor flows
(``wait_limit_h``, by default :data:`~overland.assignment.corridor.WAIT_LIMIT_H`, the
wait past which flows shed cargo rather than queue it): a row with another route
reroutes during the closure when the average wait ``D/2`` passes the limit, however
little its time is worth, and after reopening goes round while the queue would hold it
longer than the limit. ``None`` lifts the limit (the value of time alone decides).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..assignment.corridor import WAIT_LIMIT_H, check_wait_limit, on_edges
from ..errors import BadArgumentError
from ..graph import HAUL, FloatArray, graph_of
from .criticality import ELEMENT_KINDS, DemandProblem, demand_problem, elements_of, solve_rows
from .flows import corridor_flows

if TYPE_CHECKING:
    from ..network import Network
    from ..timeline import NetworkState

__all__ = ["DisruptionResult", "check_close", "clearance_words", "disrupt"]

NEVER_CLEARS_DAYS = 365.0


@dataclass(frozen=True)
class DisruptionResult:
    """What closing some elements for ``days`` does to the demand that uses them."""

    date: dt.date
    scenario: str | None
    closed: tuple[str, ...]  # "kind:id"
    days: float
    rows: pd.DataFrame  # per affected demand row
    queues: pd.DataFrame  # per closed edge with waiting cargo
    wait_limit_h: float | None = None  # the most cargo with a detour waits (None: no limit)

    @property
    def backlog_tonnes(self) -> float:
        """Cargo queued when the elements reopen."""
        return float(self.queues["backlog_tonnes"].sum()) if len(self.queues) else 0.0

    @property
    def delay_tonne_days(self) -> float:
        """Delay of the waiting cargo."""
        return float(self.rows["delay_tonne_days"].sum())

    @property
    def extra_cost_usd(self) -> float:
        """Extra transport cost of the rerouted cargo during the closure."""
        return float(self.rows["extra_cost_usd"].sum())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""

        def clean(v: object) -> object:
            if isinstance(v, float):
                return None if not np.isfinite(v) else round(v, 2)
            return v

        return {
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "closed": list(self.closed),
            "days": self.days,
            "wait_limit_h": self.wait_limit_h,
            "affected_tonnes": round(float(self.rows["tonnes_affected"].sum())),
            "rerouted_tonnes": round(
                float(self.rows.loc[self.rows["choice"] == "reroute", "tonnes_affected"].sum())
            ),
            "diverted_after_reopening_tonnes": round(
                float(self.rows["diverted_after_reopening_tonnes"].sum())
            ),
            "waiting_tonnes": round(
                float(self.rows.loc[self.rows["choice"] == "wait", "tonnes_affected"].sum())
            ),
            "backlog_tonnes": round(self.backlog_tonnes),
            "clearance_days": (
                round(float(self.queues["clearance_days"].max()), 1) if len(self.queues) else 0.0
            ),
            # every queue empties (or settles to its standing level) within the year
            "clears": bool(self.queues["clears"].all()) if len(self.queues) else True,
            "delay_tonne_days": round(self.delay_tonne_days),
            "extra_cost_usd": round(self.extra_cost_usd),
            "queues": [
                {k: clean(v) for k, v in r.items()} for r in self.queues.to_dict(orient="records")
            ],
            "rows": [
                {k: clean(v) for k, v in r.items()} for r in self.rows.to_dict(orient="records")
            ],
        }


def clearance_words(doc: Mapping[str, Any]) -> str:
    """How a disruption's backlog clears, in words, from its ``as_dict`` document: "cleared
    after N days", or, when a queue works off its backlog too slowly (arrivals near its
    capacity) to empty within the year, which queues do not (from → to)."""
    if doc.get("clears", True):
        return f"cleared after {doc['clearance_days']} days"
    stuck = [q for q in doc.get("queues", ()) if not q.get("clears", True)]
    where = ", ".join(sorted({f"{q['from']} → {q['to']}" for q in stuck}))
    return f"not cleared within the year ({where})" if where else "not cleared within the year"


def disrupt(
    network: Network,
    close: list[str],
    days: float,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    growth: float = 1.0,
    wait_limit_h: float | None = WAIT_LIMIT_H,
) -> DisruptionResult:
    """Close the elements ``close`` (``kind:id`` or a bare id) for ``days`` days; cargo
    with a detour waits at most ``wait_limit_h`` hours (None: as long as its value of
    time makes waiting cheaper)."""
    if not 0 < days <= 365:
        raise BadArgumentError(f"days must be in (0, 365], got {days}")
    check_wait_limit(wait_limit_h)
    if not close:
        raise BadArgumentError("give at least one element to close")
    if not network.demand:
        raise BadArgumentError("this network package has no demand table (demand.csv)")
    state = network.as_of(date, scenario)
    labels, element_edges = elements_of(network, state, ELEMENT_KINDS, set())
    chosen = _resolve(close, labels)
    removed = np.unique(np.concatenate([element_edges[i] for i in chosen]))
    problem, ids = demand_problem(
        network, state, tuple(element_edges[i] for i in chosen), growth, True
    )
    users: dict[int, list[int]] = defaultdict(list)  # row -> its closed edges
    for e in removed.tolist():
        for r in problem.edge_rows[e].tolist():
            users[r].append(e)
    rows = np.array(sorted(users), np.int64)
    new, _ = solve_rows(problem, rows, removed) if rows.size else (np.zeros(0), [])
    vot = {
        d.id: network.commodities[d.commodity].value_of_time_usd_per_t_h
        for d in network.demand_for(state.date.year)
    }
    records = []
    # the average wait, D/2, passes the limit: every row with a detour takes it
    too_long = wait_limit_h is not None and days * 12.0 > wait_limit_h
    for k, r in enumerate(rows.tolist()):
        premium = float(new[k] - problem.base[r])
        wait_cost = vot[ids[r]] * 24.0 * days / 2.0
        reroute = bool(np.isfinite(new[k])) and (premium < wait_cost or too_long)
        records.append(
            {
                "demand": ids[r],
                "tonnes_per_year": float(problem.row_tonnes[r]),
                "choice": "reroute" if reroute else "wait",
                "reroute_premium_usd_per_t": premium,
                "wait_value_usd_per_t": wait_cost,
            }
        )
    normal = _equilibrium_flows(network, state, scenario, growth)
    queues, shares = _queues(
        network, state, problem, rows, records, users, days, normal, wait_limit_h
    )
    df = pd.DataFrame(
        records,
        columns=[
            "demand",
            "tonnes_per_year",
            "choice",
            "reroute_premium_usd_per_t",
            "wait_value_usd_per_t",
        ],
    )
    affected, delay, extra, diverted = [], [], [], []
    for k, (rec, r) in enumerate(zip(records, rows.tolist(), strict=True)):
        if rec["choice"] == "reroute":
            t = rec["tonnes_per_year"] / 365.0 * days
            affected.append(t)
            delay.append(0.0)
            extra.append(t * rec["reroute_premium_usd_per_t"])
            diverted.append(0.0)
        else:
            # a row queued at several closed edges: the one it loses most at
            mine = [shares[(k, e)] for e in users[r] if (k, e) in shares]
            worst = max(mine, key=lambda x: x.delay)
            affected.append(worst.tonnes + worst.diverted)
            delay.append(worst.delay)
            extra.append(worst.extra)
            diverted.append(worst.diverted)
    df["tonnes_affected"] = affected
    df["delay_tonne_days"] = delay
    df["extra_cost_usd"] = extra
    df["diverted_after_reopening_tonnes"] = diverted
    return DisruptionResult(
        date=state.date,
        scenario=scenario,
        closed=tuple(f"{labels[i][0]}:{labels[i][1]}" for i in chosen),
        days=float(days),
        rows=df.sort_values("tonnes_affected", ascending=False).reset_index(drop=True),
        queues=queues,
        wait_limit_h=wait_limit_h,
    )


def check_close(
    network: Network,
    close: list[str],
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
) -> None:
    """Raise :class:`BadArgumentError` unless every name in ``close`` is an open element
    on that date (the cheap part of :func:`disrupt`, for validation at the edge)."""
    labels, _ = elements_of(network, network.as_of(date, scenario), ELEMENT_KINDS, set())
    _resolve(close, labels)


def _resolve(close: list[str], labels: list[tuple[str, str, str]]) -> list[int]:
    """Indices of the elements named ``kind:id`` or by a bare id (the first kind wins in
    the order link, crossing, port, place, country)."""
    by_key = {f"{k}:{i}": n for n, (k, i, _) in enumerate(labels)}
    by_id: dict[str, int] = {}
    for n, (_, i, _) in enumerate(labels):
        by_id.setdefault(i, n)
    out = []
    for raw in close:
        name = raw.strip()
        hit = by_key.get(name, by_id.get(name))
        if hit is None:
            near = difflib.get_close_matches(name, list(by_id) + list(by_key), n=3)
            raise BadArgumentError(
                f"unknown or already closed element {name!r}"
                + (f"; did you mean {', '.join(near)}?" if near else "")
                + f" (give kind:id with kind one of {', '.join(ELEMENT_KINDS)})"
            )
        out.append(hit)
    return sorted(set(out))


def _queues(
    network: Network,
    state: NetworkState,
    problem: DemandProblem,
    rows: np.ndarray,
    records: list[dict[str, Any]],
    users: dict[int, list[int]],
    days: float,
    normal: np.ndarray,
    wait_limit_h: float | None,
) -> tuple[pd.DataFrame, dict[tuple[int, int], _Share]]:
    """One deterministic queue per closed edge that waiting cargo uses, and per (row,
    edge) what the row put through it, waited and paid to go round after reopening (a
    row with a detour joins at most ``wait_limit_h`` of queue)."""
    g = graph_of(network)
    vot = {
        d.id: network.commodities[d.commodity].value_of_time_usd_per_t_h
        for d in network.demand_for(state.date.year)
    }
    waiting: dict[int, list[int]] = defaultdict(list)  # edge -> its waiting rows (indices)
    for k, (rec, r) in enumerate(zip(records, rows.tolist(), strict=True)):
        if rec["choice"] == "wait":
            for e in users[r]:
                waiting[e].append(k)
    out = []
    shares: dict[tuple[int, int], _Share] = {}
    for e, ks in sorted(waiting.items()):
        tonnes = sum(records[k]["tonnes_per_year"] for k in ks)
        on_edge = float(problem.row_tonnes[problem.edge_rows[e]].sum())
        lam = float(normal[e]) * (tonnes / on_edge if on_edge > 0 else 0.0) / 365.0
        cap = _capacity(network, state, e)
        backlog = lam * days
        arrivals = (
            np.array([lam * records[k]["tonnes_per_year"] / tonnes for k in ks])
            if tonnes > 0
            else np.zeros(len(ks))
        )
        if cap is None or backlog <= 0:
            rec_ = _Recovery(0.0, 0.0, np.zeros(len(ks)), np.zeros(len(ks)))
            premium = np.zeros(len(ks))
        else:
            mu = cap / 365.0
            own = rows[np.array(ks, np.int64)]
            alt, _ = solve_rows(problem, own, np.array([e], np.int64))
            premium = alt - problem.base[own]
            hourly = np.array([vot[records[k]["demand"]] for k in ks]) * 24.0
            with np.errstate(divide="ignore", invalid="ignore"):
                wait_days = np.where(hourly > 0, np.maximum(premium, 0.0) / hourly, np.inf)
            if wait_limit_h is not None:
                wait_days = np.minimum(wait_days, wait_limit_h / 24.0)
            wait_days = np.where(np.isfinite(premium), wait_days, np.inf)
            rec_ = _recover(backlog, mu, arrivals, wait_days * mu)
        closure_area = 0.5 * lam * days * days
        area = closure_area + rec_.area
        met = arrivals * days + rec_.joined
        for j, k in enumerate(ks):
            shares[(k, e)] = _Share(
                tonnes=float(met[j]),
                delay=float(area * met[j] / met.sum()) if met.sum() > 0 else 0.0,
                diverted=float(rec_.diverted[j]),
                extra=float(rec_.diverted[j] * max(premium[j], 0.0))
                if rec_.diverted[j] > 0
                else 0.0,
            )
        src, dst = g.node_place[g.edge_src[e]], g.node_place[g.edge_dst[e]]
        clears = rec_.days < NEVER_CLEARS_DAYS
        out.append(
            {
                "edge": e,
                "link": g.link_ids[g.edge_link[e]] if g.edge_kind[e] == HAUL else None,
                "from": g.place_ids[src],
                "to": g.place_ids[dst],
                "arrivals_t_per_day": lam,
                "capacity_t_per_day": None if cap is None else cap / 365.0,
                "backlog_tonnes": backlog,
                "clearance_days": min(rec_.days, NEVER_CLEARS_DAYS),
                "clears": clears,
                "standing_queue_tonnes": rec_.standing if clears else None,
                "diverted_after_reopening_tonnes": float(rec_.diverted.sum()),
                "delay_tonne_days": area,
            }
        )
    frame = pd.DataFrame(
        out,
        columns=[
            "edge",
            "link",
            "from",
            "to",
            "arrivals_t_per_day",
            "capacity_t_per_day",
            "backlog_tonnes",
            "clearance_days",
            "clears",
            "standing_queue_tonnes",
            "diverted_after_reopening_tonnes",
            "delay_tonne_days",
        ],
    )
    return frame, shares


@dataclass(frozen=True)
class _Share:
    """One waiting row's part in one queue: tonnes that met it, their delay (tonne-days),
    tonnes that went round after reopening and what that cost (USD)."""

    tonnes: float
    delay: float
    diverted: float
    extra: float


@dataclass(frozen=True)
class _Recovery:
    days: float  # until the queue is empty or settles (NEVER_CLEARS_DAYS: neither)
    area: float  # tonne-days queued after reopening, until then
    joined: FloatArray  # per row: tonnes that joined the queue after reopening
    diverted: FloatArray  # per row: tonnes that went round after reopening
    standing: float = 0.0  # tonnes the queue settles at (0: it empties)


def _recover(backlog: float, mu: float, arrivals: FloatArray, threshold: FloatArray) -> _Recovery:
    """The queue after reopening: ``backlog`` tonnes served at ``mu`` t/day; row ``j``
    keeps arriving at ``arrivals[j]`` t/day and joins while the queue is at most
    ``threshold[j]`` tonnes (the wait its detour is worth), else goes round. Between
    thresholds the arrivals are constant and the queue falls linearly: exact. When the
    rows still joining arrive at ``mu`` or more below some level, the queue settles
    there (``standing``); when they do at the backlog already, it never falls."""
    q, t, area = backlog, 0.0, 0.0
    joined, diverted = np.zeros(arrivals.size), np.zeros(arrivals.size)
    while q > 0:
        join = threshold >= q
        rate = mu - float(arrivals[join].sum())
        if rate <= 0:
            if q < backlog:
                return _Recovery(t, area, joined, diverted, standing=q)
            # it never falls: the backlog stands for the rest of the year
            rest = NEVER_CLEARS_DAYS - t
            area += q * rest
            joined += np.where(join, arrivals * rest, 0.0)
            diverted += np.where(join, 0.0, arrivals * rest)
            return _Recovery(NEVER_CLEARS_DAYS, area, joined, diverted, standing=q)
        below = threshold[threshold < q]
        nxt = float(below.max()) if below.size else 0.0
        dt = (q - nxt) / rate
        if t + dt >= NEVER_CLEARS_DAYS:
            dt = NEVER_CLEARS_DAYS - t
            nxt = q - rate * dt
            t = NEVER_CLEARS_DAYS
        else:
            t += dt
        area += 0.5 * (q + nxt) * dt
        joined += np.where(join, arrivals * dt, 0.0)
        diverted += np.where(join, 0.0, arrivals * dt)
        q = nxt
        if t >= NEVER_CLEARS_DAYS:
            return _Recovery(NEVER_CLEARS_DAYS, area, joined, diverted)
    return _Recovery(t, area, joined, diverted)


def _equilibrium_flows(
    network: Network, state: NetworkState, scenario: str | None, growth: float
) -> np.ndarray:
    """Tonnes per year on every graph edge in the corridor flows (the logit equilibrium
    with capacities that ``overland flows`` reports)."""
    na = corridor_flows(network, date=state.date, scenario=scenario, growth=growth).assignment
    return on_edges(na.edges, na.result.link_flow, graph_of(network).n_edges)


def _capacity(network: Network, state: NetworkState, e: int) -> float | None:
    """The edge's capacity (t/yr): its link's, or its border post's when lower."""
    g = graph_of(network)
    if g.edge_kind[e] != HAUL:
        return None
    cap = state.links[g.link_ids[g.edge_link[e]]].capacity_t_per_year
    if g.edge_crossing[e] >= 0:
        post = state.crossings[g.crossing_ids[g.edge_crossing[e]]].capacity_t_per_year
        if post is not None and (cap is None or post < cap):
            cap = post
    return None if cap is None else float(cap)
