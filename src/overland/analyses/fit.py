"""The model against the world: every published figure of the package's
``observations.csv`` evaluated by its query (docs/fit.md).

Route figures come from :func:`~overland.routing.shortest_route`, tonnes and shares from
:func:`~overland.analyses.flows.corridor_flows` (run once per date), dwell and capacities
from the network's state on the date. Nothing here changes the model: it measures.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..assignment.corridor import QUEUE_LIMIT_H, QUEUE_TOLERANCE, wait_limit_h
from ..errors import OverlandError
from ..routing import shortest_route
from ..schema import UTILITY_MODES, Observation, ObservationQuery

if TYPE_CHECKING:
    from ..network import Network
    from .flows import FlowsResult

__all__ = ["QUEUE_LIMIT_H", "QUEUE_TOLERANCE", "Checked", "FitResult", "check"]

KM_PER_NM = 1.852
#: the base unit of each measure, and the observation units it converts to
_CONVERTS: dict[str, tuple[str, ...]] = {
    "hours": ("hours", "days"),
    "km": ("km", "nm"),
    "usd_per_t": ("usd_per_t", "usd_per_teu", "usd_per_feu"),
    "t": ("t", "teu"),
    "share": ("share",),
    "t_per_year": ("t_per_year", "t"),
}


class _UnanswerableError(Exception):
    """The model cannot give this figure; the message says why."""


@dataclass(frozen=True)
class Checked:
    """One observation and the model's value for it."""

    observation: Observation
    model: float | None
    reason: str | None = None

    @property
    def ratio(self) -> float | None:
        """model / observed (None without a model value or with an observed 0)."""
        if self.model is None or self.observation.observed == 0:
            return None
        return self.model / self.observation.observed

    @property
    def off_by(self) -> float | None:
        """The factor (>= 1) by which the model falls outside the observed figure, or its
        published range (1 inside; inf for 0 against a positive figure; None when not
        comparable: no model value, or an observed figure of 0 or less)."""
        low, high = self.observation.bounds
        m = self.model
        if m is None or low <= 0:
            return None
        if m <= 0:
            return math.inf
        return max(low / m, m / high, 1.0)

    @property
    def within(self) -> bool:
        """Inside the tolerance: of the observed figure, or of its published range (a
        figure of 0 without a range: within the tolerance of 0 in absolute terms)."""
        o, m = self.observation, self.model
        if m is None:
            return False
        tol = o.tolerance
        if o.observed == 0 and o.low is None and o.high is None:
            return abs(m) <= tol
        low, high = o.bounds
        return low * (1 - tol) <= m <= high * (1 + tol)

    def as_dict(self) -> dict[str, Any]:
        o = self.observation
        return {
            "id": o.id,
            "category": o.category,
            "year": o.year,
            "observed": o.observed,
            "unit": o.unit,
            "low": o.low,
            "high": o.high,
            "tolerance": o.tolerance,
            "model": None if self.model is None else round(self.model, 4),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "within": self.within,
            "holdout": o.holdout,
            "query": o.query,
            "date": o.on.isoformat(),
            "source": list(o.source),
            "primary": o.primary,
            "reason": self.reason,
        }


def _stats(rows: Iterable[Checked]) -> dict[str, Any]:
    rows = list(rows)
    answered = [r for r in rows if r.model is not None]
    ratios = [r.ratio for r in answered if r.ratio is not None]
    observed = sum(abs(r.observation.observed) for r in answered)
    error = sum(abs((r.model or 0.0) - r.observation.observed) for r in answered)
    return {
        "count": len(rows),
        "answered": len(answered),
        "within": sum(r.within for r in rows),
        "share_within": round(sum(r.within for r in rows) / len(rows), 4) if rows else None,
        "median_ratio": round(statistics.median(ratios), 4) if ratios else None,
        "wape": round(error / observed, 4) if observed else None,
    }


@dataclass(frozen=True)
class FlowsRun:
    """What the corridor flows behind the volume and share figures of one date did with
    the demand: how much they carried, shed at the wait limit or could not route, and
    the longest wait they left at a link."""

    date: dt.date
    demand_tonnes: float
    shed_tonnes: float
    unserved_tonnes: float
    longest_wait_h: float  # scheduled wait plus queue, the longest at any link
    longest_wait_link: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "demand_tonnes": round(self.demand_tonnes),
            "shed_tonnes": round(self.shed_tonnes),
            "unserved_tonnes": round(self.unserved_tonnes),
            "longest_wait_h": round(self.longest_wait_h, 1),
            "longest_wait_link": self.longest_wait_link,
        }


@dataclass(frozen=True)
class FitResult:
    """Every observation checked, and what the fit looks like by category and split."""

    rows: tuple[Checked, ...]
    #: each link's longest wait — its scheduled wait on the date plus the hours its
    #: congestion adds — in the corridor flows the check ran (empty when it ran none)
    queues_h: dict[str, float] = field(default_factory=dict)
    #: by how many hours those waits exceed what the sources describe: ``QUEUE_LIMIT_H``,
    #: or on a date when an event sets a longer scheduled wait (a sourced surge), that
    #: wait, widened by ``QUEUE_TOLERANCE``; calibration keeps them plausible
    queue_excess_h: dict[str, float] = field(default_factory=dict)
    #: the corridor-flows runs behind the volume and share figures, by date
    flows: tuple[FlowsRun, ...] = ()

    def split(self, holdout: bool) -> tuple[Checked, ...]:
        """The calibration set (``False``) or the hold-out set (``True``)."""
        return tuple(r for r in self.rows if r.observation.holdout == holdout)

    def summary(self) -> dict[str, Any]:
        """Counts within tolerance, median ratio and WAPE: overall, per set, per category."""
        categories = sorted({r.observation.category for r in self.rows})
        return {
            "all": _stats(self.rows),
            "calibration": _stats(self.split(False)),
            "holdout": _stats(self.split(True)),
            "by_category": {
                c: {
                    "all": _stats(r for r in self.rows if r.observation.category == c),
                    "calibration": _stats(
                        r for r in self.split(False) if r.observation.category == c
                    ),
                    "holdout": _stats(r for r in self.split(True) if r.observation.category == c),
                }
                for c in categories
            },
        }

    def worst(self, n: int = 10) -> list[Checked]:
        """The answered observations furthest outside their tolerance (by log ratio)."""
        off = [r for r in self.rows if r.ratio is not None and r.ratio > 0 and not r.within]
        return sorted(off, key=lambda r: -abs(math.log(r.ratio or 1.0)))[:n]

    def as_dict(self) -> dict[str, Any]:
        """``{"observations": [...], "summary": {...}, "flows": [...],
        "queue_excess_h": {...}}`` (docs/fit.md)."""
        return {
            "observations": [r.as_dict() for r in self.rows],
            "summary": self.summary(),
            "flows": [f.as_dict() for f in self.flows],
            "queue_excess_h": {k: round(v, 1) for k, v in sorted(self.queue_excess_h.items())},
        }


class _Evaluator:
    """Answers queries on one network, running corridor flows once per date."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self._flows: dict[dt.date, FlowsResult] = {}
        teu = [c for c in network.commodities.values() if c.unit.upper() == "TEU"]
        self.t_per_teu = teu[0].t_per_unit if teu else None

    def flows(self, day: dt.date) -> FlowsResult:
        from .flows import corridor_flows

        if day not in self._flows:
            if not self.network.demand:
                raise _UnanswerableError("the package has no demand table")
            self._flows[day] = corridor_flows(self.network, date=day)
        return self._flows[day]

    def runs(self) -> list[FlowsResult]:
        """The corridor-flows runs made so far (one per date)."""
        return list(self._flows.values())

    def value(self, obs: Observation) -> float:
        q, day = obs.parsed, obs.on
        base, value = getattr(self, f"_{q.verb}")(q, day)
        return self._convert(value, base, obs.unit, q)

    def _convert(self, value: float, base: str, unit: str, q: ObservationQuery) -> float:
        if unit not in _CONVERTS[base]:
            raise _UnanswerableError(f"the query gives {base}, which does not convert to {unit}")
        if unit == "days":
            return value / 24.0
        if unit == "nm":
            return value / KM_PER_NM
        if unit in ("usd_per_teu", "usd_per_feu", "teu"):
            commodity = self.network.commodities.get(q.args.get("commodity", ""))
            per_teu = (
                commodity.t_per_unit
                if commodity is not None and commodity.unit.upper() == "TEU"
                else self.t_per_teu
            )
            if per_teu is None:
                raise _UnanswerableError("no commodity of the package is counted in TEU")
            if unit == "teu":
                return value / per_teu
            return value * per_teu * (2 if unit == "usd_per_feu" else 1)
        return value

    def _route(self, q: ObservationQuery, day: dt.date) -> tuple[str, float]:
        r = shortest_route(
            self.network,
            q.args["from"],
            q.args["to"],
            date=day,
            scenario=q.args.get("scenario"),
            via=q.args.get("via"),
            modes=q.items("modes") or None,
            avoid_countries=q.items("avoid"),
            commodity=q.args.get("commodity"),
            objective=q.args.get("objective", "generalized"),
        )
        measure = q.args["measure"]
        if measure == "time":
            queued = self.flows(day).queue_hours(r) if q.args.get("loaded") == "true" else 0.0
            return "hours", r.time_h + queued
        if measure == "moving":  # on the move only: no waits for departures, borders, transfers
            return "hours", r.moving_time_h
        if measure == "distance":
            return "km", r.distance_km
        return "usd_per_t", r.cost_usd_per_t

    def _dwell(self, q: ObservationQuery, day: dt.date) -> tuple[str, float]:
        state = self.network.as_of(day)
        dwell = []
        for cid in q.items("crossing"):
            crossing = state.crossings.get(cid)
            if crossing is None:
                raise _UnanswerableError(f"no crossing {cid!r} on {day}")
            if crossing.status != "open":
                raise _UnanswerableError(f"crossing {cid!r} is {crossing.status} on {day}")
            dwell.append(crossing.dwell_mean_h)
        return "hours", sum(dwell) / len(dwell)

    def _tonnes(self, q: ObservationQuery, day: dt.date) -> tuple[str, float]:
        res = self.flows(day)
        if "commodity" in q.args:
            if q.args["commodity"] not in self.network.commodities:
                raise _UnanswerableError(f"no commodity {q.args['commodity']!r}")
            by_link = res.assignment.commodity_tonnes(q.args["commodity"])
        else:
            by_link = dict(zip(res.links["link"], res.links["tonnes"], strict=True))
        if "group" in q.args:
            group = q.args["group"]
            if group not in res.link_groups:
                raise _UnanswerableError(f"no link group {group!r} (corridors.yaml)")
            return "t", res.group_tonnes(group)
        if "port" in q.args:
            ports = set(q.items("port"))
            links = {
                lid
                for lid, ln in self.network.links.items()
                if ln.mode in ("ferry", "sea") and ports & {ln.from_place, ln.to_place}
            }
            if not links:
                raise _UnanswerableError(f"no ferry or sea link at {', '.join(sorted(ports))}")
            # and the cargo their terminals ship on or bring in beyond the network
            ends = sum(res.land_ends.get(p, 0.0) for p in ports)
            return "t", float(sum(by_link.get(lid, 0.0) for lid in links)) + ends
        if "crossing" in q.args:
            links = {self.network.crossings[c].link for c in q.items("crossing")}
        else:
            links = set(q.items("link"))
        utility = sorted(
            f"{lid} ({self.network.links[lid].mode})"
            for lid in links
            if lid in self.network.links and self.network.links[lid].mode in UTILITY_MODES
        )
        if utility:
            # not zero: corridor flows load the demand on freight modes only
            raise _UnanswerableError(
                f"{', '.join(utility)}: a utility layer, which carries no demand in corridor "
                "flows (`overland capacity` analyses the layer)"
            )
        return "t", float(sum(by_link.get(lid, 0.0) for lid in links))

    def _share(self, q: ObservationQuery, day: dt.date) -> tuple[str, float]:
        res = self.flows(day)
        places = self.network.places
        origins, destinations = set(q.items("from_countries")), set(q.items("to_countries"))
        both = q.args.get("both", "false").lower() == "true"
        commodity = q.args.get("commodity")
        by = res.row_values if q.args.get("by") == "value" else res.row_corridors

        def matches(o: str, d: str) -> bool:
            oc, dc = places[o].country, places[d].country
            ok = (not origins or oc in origins) and (not destinations or dc in destinations)
            back = (not origins or dc in origins) and (not destinations or oc in destinations)
            return ok or (both and back)

        total = on = 0.0
        for row in self.network.demand_for(day.year):
            if commodity and row.commodity != commodity:
                continue
            if not matches(row.origin, row.destination):
                continue
            split = by.get(row.id, {})
            total += sum(split.values())
            on += split.get(q.args["corridor"], 0.0)
        if total == 0:
            raise _UnanswerableError("no demand row of the package matches the query")
        return "share", on / total

    def _capacity(self, q: ObservationQuery, day: dt.date) -> tuple[str, float]:
        state = self.network.as_of(day)
        if "link" in q.args:
            element: Any = state.links.get(q.args["link"])
        else:
            element = state.crossings.get(q.args["crossing"])
        if element is None:
            raise _UnanswerableError(f"no such element on {day}")
        cap = element.capacity_t_per_year
        if cap is None and getattr(element, "capacity_unit", None) == "Mt_per_year":
            cap = element.capacity * 1e6  # an oil pipeline's capacity, in Mt/yr
        if cap is None:
            raise _UnanswerableError("the element has no capacity in tonnes in the data")
        if q.args.get("both") != "true":
            return "t_per_year", float(cap)
        # a published two-way figure: the package's capacities are per direction
        if "link" in q.args:
            return "t_per_year", float(cap) * (1 if element.directed else 2)
        back = [
            c.capacity_t_per_year
            for c in state.crossings.values()
            if c.link == element.link
            and (c.from_country, c.to_country) == (element.to_country, element.from_country)
        ]
        if not back or back[0] is None:
            raise _UnanswerableError("the crossing has no capacity the other way in the data")
        return "t_per_year", float(cap) + float(back[0])


def check(
    network: Network,
    *,
    categories: Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
) -> FitResult:
    """Evaluate the package's observations (all, or those of ``categories`` / ``ids``).

    An observation the model cannot answer (a place the network lacks, no route on the
    date, no demand) gets ``model=None`` and the reason; it counts as not within.
    """
    wanted_c = set(categories) if categories is not None else None
    wanted_i = set(ids) if ids is not None else None
    ev = _Evaluator(network)
    rows = []
    for obs in network.observations.values():
        if wanted_c is not None and obs.category not in wanted_c:
            continue
        if wanted_i is not None and obs.id not in wanted_i:
            continue
        try:
            rows.append(Checked(obs, ev.value(obs)))
        except (_UnanswerableError, OverlandError) as exc:
            rows.append(Checked(obs, None, str(exc).splitlines()[0]))
    queues: dict[str, float] = {}
    excess: dict[str, float] = {}
    runs = []
    for res in sorted(ev.runs(), key=lambda r: r.date):
        state = network.as_of(res.date, res.scenario)
        longest, at = 0.0, None
        for link, wait in zip(res.links["link"], res.links["wait_added_h"], strict=True):
            lid = str(link)
            total = (state.links[lid].wait_h or 0.0) + float(wait)
            queues[lid] = max(queues.get(lid, 0.0), total)
            excess[lid] = max(excess.get(lid, 0.0), total - wait_limit_h(network, state, lid))
            if total > longest:
                longest, at = total, lid
        runs.append(FlowsRun(res.date, res.total_tonnes, res.shed, res.unserved, longest, at))
    return FitResult(tuple(rows), queues, {k: v for k, v in excess.items() if v > 0}, tuple(runs))
