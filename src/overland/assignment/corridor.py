"""Assignment of a demand table on a network package (the corridor network).

The compiled virtual network (place × layer) becomes a :class:`LinkTable`: one zone node
per place, connected to every layer at the place by free connectors, and never passed
through. Link cost is generalized time: congested hours plus money divided by the
commodity's value of time, so every commodity is a class with its own fixed costs.
Rules that depend on the shipment (the transit ban on cargo to or from Armenia) split a
commodity into classes by the rules that apply to its origin–destination pairs.
Volume–delay: BPR (0.15, 4) on roads and lines without a capacity; on rail lines with a
capacity (train paths are slots: a train that finds none waits for one), ferries, sea
links and border posts, Akçelik's time-dependent queue function

    wait(x) = T/4 · [(x − 1) + sqrt((x − 1)² + 8·s·x / T)],   x = volume / capacity,

which adds no wait at zero flow, grows sharply near capacity, and beyond it tends to the
deterministic over-saturation wait ``T·(x − 1)/2``: the average wait when demand exceeds
capacity for a period ``T`` (``QUEUE_PERIOD_H``, a 90-day season) before shippers or
operators adjust. ``s`` is the service-time scale (``QUEUE_SERVICE_H``): half a day for a
ferry or sea sailing, six hours for a rail line, three hours for a border post. With
these, a ferry at capacity adds ≈ 4.7 days and at 1.5× ≈ 3 weeks — the order of the
2–7-day Caspian waits and the 20–30-day queues of the 2022 surge at Upper Lars and the
Georgian ports
(REGION_FACTS §2, §3.2). Links without a capacity are uncongested. Transfers with a
capacity (gauge-change and port terminals, ``transfers.csv``) queue the same way, with
the rail lines' service time. Where operators sell slots — the terminals, and links
``booked`` by the unit (Ro-Ro and container liners) — the logit flows
(:mod:`overland.analyses.flows`) turn the queue into a price (``PRICE_USD_PER_T_H`` per
hour) that every shipper pays alike (``AssignmentProblem.priced``); the user equilibrium
here keeps every queue in hours.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import BadArgumentError, NetworkDataError, Problem
from ..graph import HAUL, TRANSFER, graph_of
from ..places import resolve_place
from .engine import (
    VDFS,
    AssignmentClass,
    AssignmentResult,
    AssignmentSpec,
    FloatArray,
    LinkTable,
    assign,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from ..graph import Graph
    from ..network import Network
    from ..timeline import NetworkState

__all__ = [
    "QUEUE_LIMIT_H",
    "QUEUE_TOLERANCE",
    "SHED_SCALE_H",
    "WAIT_LIMIT_H",
    "AssignmentProblem",
    "NetworkAssignment",
    "OdDemand",
    "assign_network",
    "assignment_problem",
    "on_edges",
    "package_demand",
    "queue_limits",
    "read_demand",
    "wait_limit_h",
]

UNCONGESTED = 1e15
BPR_B, BPR_POWER = 0.15, 4.0
QUEUE_PERIOD_H = 90 * 24.0
QUEUE_SERVICE_H = {"ferry": 12.0, "rail": 6.0, "border": 3.0, "terminal": 6.0}
#: what an hour of a slot's queue costs a tonne where operators sell slots (gauge-change
#: and port terminals with a capacity): corridor flows ration them by price, not by
#: waiting — the premium rises by this much per hour of the queue the same
#: over-saturation would form, for every shipper alike. Rail lines and border stations
#: keep their queues in hours: their congestion is reported as waiting trains and wagons
#: (about 100 trains at the Poland–Belarus border in late 2017, 3,500 loaded wagons at
#: Dostyk in July 2020, 10–15 days at Terespol in August 2021), while the 2021 rise of
#: China–Europe rail prices above tariff is the terminal operators' and forwarders'.
#: ESTIMATE, the order of the value of time of containerised cargo (1.7 USD per t·h at
#: Hummels and Schaur's 0.6 % of value a day): at capacity the premium is ~80 USD/t
#: (~1,700 USD per FEU), at 1.1× ~150 USD/t, at 1.2× ~250 USD/t — the order of the 2021
#: rise of China–Europe rail prices above tariff.
PRICE_USD_PER_T_H = 1.0
#: the longest wait (scheduled plus queued) at one link the sources describe in normal
#: times: the Caspian ferries' 2–7 days (REGION_FACTS §3.2); a dated event of the package
#: may set a longer one (a sourced surge), which then is the limit on its dates
QUEUE_LIMIT_H = 7 * 24.0
#: a wait is plausible within this share above the limit: the tolerance the fit gives a
#: range of averages over many trips (docs/fit.md, Tolerances)
QUEUE_TOLERANCE = 0.25
#: the wait past which corridor flows shed cargo (:mod:`overland.analyses.logit`), and
#: the fit calls a queue implausible (:mod:`overland.analyses.fit`): the longest the
#: sources describe, within that tolerance (210 h)
WAIT_LIMIT_H = QUEUE_LIMIT_H * (1 + QUEUE_TOLERANCE)
#: the hours before a link's queue limit over which cargo is shed, from none to all: a
#: day, the spread of how long shippers will wait (a sharper edge gains nothing the
#: sources can tell, and slows the equilibrium's averaging)
SHED_SCALE_H = 24.0
#: the longest wait limit a caller may set: a year
WAIT_LIMIT_MAX_H = 8760.0


def check_wait_limit(hours: float | None) -> None:
    """Refuse a wait limit outside a day (``SHED_SCALE_H``) to a year (None: no limit)."""
    if hours is not None and not SHED_SCALE_H <= hours <= WAIT_LIMIT_MAX_H:
        raise BadArgumentError(
            f"wait_limit_h (the wait limit) must be between {SHED_SCALE_H:g} hours (a day) "
            f"and {WAIT_LIMIT_MAX_H:g} (a year), got {hours:g}"
        )


@dataclass(frozen=True)
class OdDemand:
    """Tonnes per year of one commodity between two places."""

    origin: str
    destination: str
    commodity: str
    tonnes_per_year: float


def package_demand(network: Network, year: int, growth: float = 1.0) -> list[OdDemand]:
    """The package's demand rows of ``year`` (:meth:`Network.demand_for`) as rows,
    tonnes × ``growth``."""
    return [
        OdDemand(d.origin, d.destination, d.commodity, d.tonnes_per_year * growth)
        for d in network.demand_for(year)
    ]


def read_demand(path: Path | str, network: Network) -> list[OdDemand]:
    """Read a demand CSV (origin, destination, commodity, tonnes_per_year); every problem
    is reported at once with its row."""
    p = Path(path)
    problems: list[Problem] = []
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkDataError(
            problems=(Problem(p.name, f"cannot read: {exc}"),), path=str(p)
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    need = ["origin", "destination", "commodity", "tonnes_per_year"]
    missing = [c for c in need if c not in (reader.fieldnames or [])]
    if missing:
        raise NetworkDataError(
            problems=(
                Problem(
                    p.name,
                    "missing column(s) " + ", ".join(missing) + "; expected " + ",".join(need),
                    row=1,
                ),
            ),
            path=str(p),
        )
    rows = []
    for i, rec in enumerate(reader, start=2):
        ok = True
        ends = []
        for fld in ("origin", "destination"):
            try:
                ends.append(resolve_place(network, rec[fld] or "").id)
            except KeyError as exc:
                problems.append(Problem(p.name, str(exc).strip("\"'"), row=i, field=fld))
                ok = False
        com = (rec["commodity"] or "").strip()
        if com not in network.commodities:
            problems.append(
                Problem(
                    p.name,
                    f"unknown commodity {com!r}; valid: {', '.join(sorted(network.commodities))}",
                    row=i,
                    field="commodity",
                )
            )
            ok = False
        try:
            t = float(rec["tonnes_per_year"])
            if not t >= 0 or t == float("inf"):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(
                Problem(
                    p.name,
                    f"tonnes_per_year must be a number >= 0, got {rec['tonnes_per_year']!r}",
                    row=i,
                    field="tonnes_per_year",
                )
            )
            ok = False
        if ok:
            rows.append(OdDemand(ends[0], ends[1], com, t))
    if problems:
        raise NetworkDataError(problems=tuple(problems), path=str(p))
    return rows


def wait_limit_h(
    network: Network, state: NetworkState, link: str, limit_h: float = WAIT_LIMIT_H
) -> float:
    """The longest wait (scheduled plus queued) a link may have on the state's date:
    ``limit_h``, or where a dated event raised its scheduled wait above the package's (a
    sourced surge), that wait within ``QUEUE_TOLERANCE``, if longer."""
    scheduled = state.links[link].wait_h or 0.0
    surge = scheduled if scheduled > (network.links[link].wait_h or 0.0) else 0.0
    return max(limit_h, surge * (1 + QUEUE_TOLERANCE))


def queue_limits(
    network: Network,
    state: NetworkState,
    p: AssignmentProblem,
    limit_h: float = WAIT_LIMIT_H,
    floor_h: float = SHED_SCALE_H,
) -> FloatArray:
    """Per assignment link of ``p``, the hours its queue may add before all cargo is
    shed: on a network link with a capacity, its :func:`wait_limit_h` less its scheduled
    wait, but at least ``floor_h`` (a link scheduled to wait about as long as the limit
    sheds as soon as it queues, not before); on a terminal with a capacity, ``limit_h``;
    elsewhere none (``inf``)."""
    out = np.full(len(p.link_ids), np.inf)
    for i, (lid, label) in enumerate(zip(p.link_ids, p.labels, strict=True)):
        if p.links.capacity[i] >= UNCONGESTED or label is None:
            continue
        if lid is None:  # a terminal
            out[i] = max(limit_h, floor_h)
        else:
            total = wait_limit_h(network, state, lid, limit_h)
            out[i] = max(total - (state.links[lid].wait_h or 0.0), floor_h)
    return out


def on_edges(edges: Sequence[int], values: FloatArray, n_edges: int) -> FloatArray:
    """Per graph edge (of ``n_edges``), the value of the assignment link on it, from
    per-link ``values`` and the links' ``edges``; 0 where no link is (connectors, edge
    -1, have none)."""
    e = np.asarray(edges, np.int64)
    real = e >= 0
    out = np.zeros(n_edges)
    np.add.at(out, e[real], np.asarray(values, float)[real])
    return out


@dataclass(frozen=True)
class NetworkAssignment:
    """An assignment on a network package: the raw result and its link mapping."""

    result: AssignmentResult
    link_ids: tuple[str | None, ...]  # per assignment link: the network link id (None: not)
    edges: tuple[int, ...]  # per assignment link: the graph edge (-1 for connectors)
    capacity: FloatArray
    row_class: tuple[str, ...] = ()  # per demand row: the assignment class it belongs to

    # per assignment link: the network link id, or the transfer id of a terminal with a
    # capacity (None: connectors and transfers without one); empty: ``link_ids``
    labels: tuple[str | None, ...] = ()
    # per assignment link: the slot premium its congestion adds, USD per tonne (empty: 0)
    premium_usd: FloatArray | None = None
    # per assignment link: tonnes shed because its queue nears the wait limit (empty: 0)
    shed: FloatArray | None = None

    def commodity_tonnes(self, commodity: str) -> dict[str, float]:
        """Tonnes per year of one commodity on each network link (both directions and
        gauges summed): the flows of its classes (``commodity`` and ``commodity|rules``)."""
        flow = np.zeros(len(self.link_ids))
        for name, x in self.result.class_flow.items():
            if _class_commodity(name) == commodity:
                flow += x
        out: dict[str, float] = {}
        for lid, f in zip(self.link_ids, flow, strict=True):
            if lid is not None:
                out[lid] = out.get(lid, 0.0) + float(f)
        return out

    def links_frame(self) -> pd.DataFrame:
        """Tonnes per year on each network link and terminal with a capacity (``kind``:
        ``link`` or ``transfer``; both directions and gauges summed), the most loaded
        direction's capacity, volume/capacity, the hours its congestion or queue adds
        (``wait_added_h``) or the slot premium it charges instead (``premium_usd_per_t``),
        ``excess_tonnes``: what arrives above capacity in a year, summed over directions —
        cargo that queues into the next year (the backlog the queue's wait or the premium
        stands for), never silently carried — and ``shed_tonnes``: what does not come at
        all because the queue would pass the wait limit (corridor flows)."""
        import pandas as pd

        n = len(self.link_ids)
        labels = self.labels or self.link_ids
        df = pd.DataFrame(
            {
                "link": labels,
                "kind": [
                    "transfer" if lid is None and label is not None else "link"
                    for lid, label in zip(self.link_ids, labels, strict=True)
                ],
                "tonnes": self.result.link_flow,
                "capacity": self.capacity,
                "wait_added_h": self.result.link_time - self.result.links.fft,
                "premium_usd_per_t": (
                    np.zeros(n) if self.premium_usd is None else self.premium_usd
                ),
                "shed_tonnes": np.zeros(n) if self.shed is None else self.shed,
            }
        )
        df = df[df["link"].notna()].copy()
        df["volume_capacity"] = np.where(
            df["capacity"] < UNCONGESTED, df["tonnes"] / df["capacity"], 0.0
        )
        df["excess_tonnes"] = np.where(
            df["capacity"] < UNCONGESTED, np.maximum(df["tonnes"] - df["capacity"], 0.0), 0.0
        )
        worst = df.loc[
            df.groupby("link")["volume_capacity"].idxmax(),
            ["link", "kind", "capacity", "volume_capacity", "wait_added_h", "premium_usd_per_t"],
        ].set_index("link")
        tonnes = df.groupby("link")["tonnes"].sum()
        excess = df.groupby("link")["excess_tonnes"].sum()
        shed = df.groupby("link")["shed_tonnes"].sum()
        out = worst.assign(tonnes=tonnes, excess_tonnes=excess, shed_tonnes=shed).reset_index()
        columns = ["link", "tonnes", "capacity", "volume_capacity", "wait_added_h"]
        columns += ["excess_tonnes", "shed_tonnes", "premium_usd_per_t", "kind"]
        return out[columns].sort_values("link").reset_index(drop=True)


@dataclass(frozen=True)
class AssignmentProblem:
    """A demand table on the network, ready to assign: plain, picklable arrays."""

    links: LinkTable
    classes: tuple[AssignmentClass, ...]
    row_class: tuple[str, ...]
    link_ids: tuple[str | None, ...]
    edges: tuple[int, ...]  # per assignment link: the graph edge (-1 for connectors)
    # per assignment link: the network link id or a capacity-bound transfer's id
    labels: tuple[str | None, ...]
    # per assignment link: True where operators sell slots (terminals with a capacity,
    # booked links), whose queue the logit flows turn into a price
    priced: np.ndarray


def assign_network(
    network: Network,
    demand: list[OdDemand],
    spec: AssignmentSpec | None = None,
    *,
    date: str | None = None,
    scenario: str | None = None,
) -> NetworkAssignment:
    """Equilibrium assignment of ``demand`` on the network as of ``date``/``scenario``."""
    p = assignment_problem(network, demand, date=date, scenario=scenario)
    result = assign(
        p.links, list(p.classes), spec or AssignmentSpec(algorithm="gp", target_gap=1e-6)
    )
    return NetworkAssignment(
        result, p.link_ids, p.edges, p.links.capacity, p.row_class, labels=p.labels
    )


def assignment_problem(
    network: Network,
    demand: list[OdDemand],
    *,
    date: str | None = None,
    scenario: str | None = None,
) -> AssignmentProblem:
    """The link table and classes :func:`assign_network` solves."""
    state = network.as_of(date, scenario)
    g = graph_of(network)
    costs = g.costs(state)
    places = g.place_ids
    n_zones = len(places)
    open_edges = np.flatnonzero(costs.is_open)
    init = [int(g.edge_src[e]) + n_zones for e in open_edges]
    term = [int(g.edge_dst[e]) + n_zones for e in open_edges]
    fft = [float(costs.time_h[e]) for e in open_edges]
    cap, vdf, alpha, power, link_ids, edges = [], [], [], [], [], []
    labels: list[str | None] = []
    priced: list[bool] = []
    for e in open_edges:
        kind, c = "line", UNCONGESTED
        lid = label = None
        sold = False  # operators sell the space: a terminal, or a link booked by the unit
        if g.edge_kind[e] == TRANSFER:
            tr = state.transfers[g.transfer_ids[g.edge_transfer[e]]]
            if tr.capacity_t_per_year is not None:
                c, kind, label, sold = tr.capacity_t_per_year, "terminal", tr.id, True
        elif g.edge_kind[e] == HAUL:
            lid = g.link_ids[g.edge_link[e]]
            link = state.links[lid]
            c, sold = link.capacity_t_per_year or UNCONGESTED, link.booked
            if link.mode in ("ferry", "sea"):
                kind = "ferry"
            elif link.mode == "rail" and c < UNCONGESTED:
                kind = "rail"  # train paths are slots: demand above them waits for one
            if g.edge_crossing[e] >= 0:  # a border post: a queue when it binds
                post = state.crossings[g.crossing_ids[g.edge_crossing[e]]].capacity_t_per_year
                if post is not None and post <= c:  # and it queues in hours, booked or not
                    c, kind, sold = post, "border", False
            label = lid
        cap.append(c)
        labels.append(label)
        priced.append(sold)
        if kind == "line":
            vdf.append(VDFS["bpr"])
            alpha.append(BPR_B if c < UNCONGESTED else 0.0)
            power.append(BPR_POWER)
        else:
            vdf.append(VDFS["akcelik"])
            alpha.append(QUEUE_SERVICE_H[kind] if c < UNCONGESTED else 0.0)
            power.append(QUEUE_PERIOD_H)
        link_ids.append(lid)
        edges.append(int(e))
    money = [float(costs.cost_usd[e]) for e in open_edges]
    # connectors: zone -> every layer node at the place, and back
    for node in range(g.n_nodes):
        z = int(g.node_place[node])
        for a, b in ((z, node + n_zones), (node + n_zones, z)):
            init.append(a)
            term.append(b)
            fft.append(0.0)
            cap.append(UNCONGESTED)
            vdf.append(VDFS["bpr"])
            alpha.append(0.0)
            power.append(BPR_POWER)
            link_ids.append(None)
            labels.append(None)
            priced.append(False)
            edges.append(-1)
            money.append(0.0)
    links = LinkTable(
        n_zones + g.n_nodes,
        np.array(init, np.int64),
        np.array(term, np.int64),
        np.array(cap, float),
        np.array(fft, float),
        np.array(alpha, float),
        np.array(power, float),
        np.array(vdf, np.int64),
        np.array(money, float),
        np.zeros(len(init)),
        n_zones,
        n_zones + 1,
    )
    classes, row_class = _classes(network, state, demand, g, open_edges, len(init), n_zones)
    return AssignmentProblem(
        links,
        tuple(classes),
        row_class,
        tuple(link_ids),
        tuple(edges),
        tuple(labels),
        np.array(priced, np.bool_),
    )


def _classes(
    network: Network,
    state: NetworkState,
    demand: list[OdDemand],
    g: Graph,
    open_edges: np.ndarray,
    n_links: int,
    n_zones: int,
) -> tuple[list[AssignmentClass], tuple[str, ...]]:
    """One class per (commodity, rules that apply, a country's tariffs for its own or for
    transit traffic that charge it); and each demand row's class name."""
    index = g.place_index
    rules = list(state.rules_in_force())
    scoped_rates = [r for r in state.rates.values() if r.traffic != "all"]
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], np.ndarray] = {}
    ends_of: dict[tuple[str, tuple[str, ...], tuple[str, ...]], tuple[str, str]] = {}
    row_class = []
    for row in demand:
        ends = oc, dc = network.places[row.origin].country, network.places[row.destination].country
        key = (
            row.commodity,
            tuple(r.id for r in rules if r.applies_to.matches(oc, dc, row.commodity)),
            tuple(r.id for r in scoped_rates if r.commodity == row.commodity and r.charges(ends)),
        )
        row_class.append(_class_name(*key))
        mat = groups.setdefault(key, np.zeros((n_zones, n_zones)))
        ends_of.setdefault(key, ends)
        mat[index[row.origin], index[row.destination]] += row.tonnes_per_year
    classes = []
    for (commodity, rule_ids, rate_ids), mat in sorted(groups.items()):
        ends = ends_of[commodity, rule_ids, rate_ids]
        allowed = np.ones(n_links, np.bool_)
        allowed[: len(open_edges)] &= g.commodity_allowed(commodity)[open_edges]
        for r in rules:
            if r.id in rule_ids:
                allowed[: len(open_edges)] &= ~g.rule_mask(r)[open_edges]
        vot = network.commodities[commodity].value_of_time_usd_per_t_h
        name = _class_name(commodity, rule_ids, rate_ids)
        # a commodity with its own charges or dwell (rates.csv) pays its own toll on the
        # lines: its money, plus its border hours' difference from the shared free-flow
        # times at its value of time (the toll converts back to hours at 1 / VoT)
        toll = None
        if g.rate_factors(commodity, state, ends):
            own, base = g.costs(state, commodity, ends), g.costs(state)
            toll = np.zeros(n_links)
            toll[: len(open_edges)] = (own.cost_usd + vot * (own.time_h - base.time_h))[open_edges]
        # money converts to hours at the commodity's value of time (toll weight 1 / VoT)
        classes.append(
            AssignmentClass(
                name=name,
                demand=mat,
                toll_weight=1.0 / max(vot, 1e-9),
                allowed=allowed,
                toll=toll,
            )
        )
    return classes, tuple(row_class)


def _class_name(commodity: str, rule_ids: tuple[str, ...], rate_ids: tuple[str, ...]) -> str:
    """``commodity``, then ``|`` and the rules, then ``$`` and the tariffs, when any."""
    name = commodity + ("|" + "+".join(rule_ids) if rule_ids else "")
    return name + ("$" + "+".join(rate_ids) if rate_ids else "")


def _class_commodity(name: str) -> str:
    """The commodity of a class named by :func:`_class_name`."""
    return name.partition("|")[0].partition("$")[0]
