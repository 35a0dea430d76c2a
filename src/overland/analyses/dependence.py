"""Country dependence and origin–destination redundancy.

Two questions a small landlocked trader asks of the network:

- **Dependence** (:func:`country_dependence`): what share of a country's trade transits
  each other country? Every demand row is split over its choice set with the same
  two-level logit as :func:`overland.analyses.flows.corridor_flows`
  (:mod:`overland.analyses.logit`), here on free-flow generalized cost, without
  capacities. A route's transit countries are those it crosses other than its origin's
  and destination's.
- **Redundancy** (:func:`redundancy`, :func:`redundancy_table`): how many alternatives
  with pairwise disjoint transit countries exist between two places, and what each
  costs over the best one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import BadArgumentError, NoRouteError
from ..routing import make_query, pair_query, shortest_route
from .flows import corridor_of
from .logit import choice_set, class_shares, logit_theta, value_classes

if TYPE_CHECKING:
    from ..network import Network
    from ..route import Route
    from ..schema import DemandRow
    from ..timeline import NetworkState

__all__ = [
    "Alternative",
    "DependenceResult",
    "RedundancyResult",
    "country_dependence",
    "redundancy",
    "redundancy_table",
]

DEPENDENCE_COLUMNS = ("country", "via", "tonnes", "share_tonnes", "share_value_of_time")
SHARE_MEASURES = ("tonnes", "value_of_time")
MAX_ROUTES_LIMIT = 50

# ----------------------------------------------------------------------------- dependence


@dataclass(frozen=True)
class DependenceResult:
    """How much of each trading country's demand transits each other country.

    ``table`` has one row per (country, via) with transit tonnes > 0: ``tonnes`` of the
    country's trade through ``via`` a year, ``share_tonnes`` of its *served* tonnes and
    ``share_value_of_time`` of its served tonnes × value of time. ``tonnes``, ``served``
    and ``unserved`` map every country that is an origin or destination of demand to its
    demand tonnes (a domestic row counts once), routed and unrouted.
    """

    date: dt.date
    scenario: str | None
    growth: float
    table: pd.DataFrame
    tonnes: dict[str, float]
    served: dict[str, float]
    unserved: dict[str, float]
    known_countries: tuple[str, ...] = field(repr=False)

    def share(self, country: str, via: str, *, by: str = "tonnes") -> float:
        """Share of ``country``'s served trade that transits ``via`` (0 when none).

        Parameters
        ----------
        country : str
            ISO2 code of a country that is an origin or destination of demand.
        via : str
            ISO2 code of any country of the network.
        by : {"tonnes", "value_of_time"}
            Weight of each tonne: one, or its commodity's value of time.
        """
        if country not in self.tonnes:
            valid = ", ".join(sorted(self.tonnes)) or "(none)"
            raise BadArgumentError(
                f"country {country!r} has no demand; valid countries are: {valid}"
            )
        if via not in self.known_countries:
            valid = ", ".join(self.known_countries)
            raise BadArgumentError(f"unknown country via={via!r}; valid: {valid}")
        if by not in SHARE_MEASURES:
            raise BadArgumentError(f"unknown by={by!r}; valid: {', '.join(SHARE_MEASURES)}")
        rows = self.table[(self.table["country"] == country) & (self.table["via"] == via)]
        return float(rows[f"share_{by}"].sum())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: tonnes rounded to the tonne, shares to 4 decimals."""
        return {
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "growth": self.growth,
            "countries": [self._country_dict(c) for c in sorted(self.tonnes)],
        }

    def _country_dict(self, country: str) -> dict[str, Any]:
        rows = self.table[self.table["country"] == country]
        return {
            "country": country,
            "tonnes": round(self.tonnes[country]),
            "served_tonnes": round(self.served[country]),
            "unserved_tonnes": round(self.unserved[country]),
            "transit": [
                {
                    "via": str(r["via"]),
                    "tonnes": round(float(r["tonnes"])),
                    "share_tonnes": round(float(r["share_tonnes"]), 4),
                    "share_value_of_time": round(float(r["share_value_of_time"]), 4),
                }
                for r in rows.to_dict(orient="records")
            ],
        }


def _transit(route: Route, ends: Iterable[str]) -> frozenset[str]:
    """Countries a route crosses other than the given end countries."""
    return frozenset(route.countries) - set(ends)


#: per alternative: its transit countries, its share of the row's tonnes and its share of
#: the row's tonnes × value of time (the time-sensitive classes choose differently)
Split = list[tuple[frozenset[str], float, float]]


def _split(network: Network, state: NetworkState, row: DemandRow) -> Split | None:
    """Transit countries and logit probability of each alternative, None if no route."""
    try:
        q = pair_query(state, row.origin, row.destination, row.commodity)
        routes = choice_set(q, network.corridors)
    except NoRouteError:
        return None
    ends = (network.places[row.origin].country, network.places[row.destination].country)
    c = network.commodities[row.commodity]
    classes = value_classes(c.value_of_time_usd_per_t_h, c.value_of_time_spread)
    weight = np.array([w for w, _ in classes])
    value = np.array([v for _, v in classes])
    per_class = class_shares(
        routes,
        [corridor_of(r, network.corridors) for r in routes],
        classes,
        logit_theta(network),
    )
    probs = weight @ per_class
    total = float(weight @ value)
    by_value = (weight * value) @ per_class / total if total > 0 else probs
    return [
        (_transit(r, ends), float(p), float(pv))
        for r, p, pv in zip(routes, probs, by_value, strict=True)
    ]


@dataclass
class _Tally:
    """Running sums for one country (local to one call)."""

    tonnes: float = 0.0
    served: float = 0.0
    unserved: float = 0.0
    served_vot: float = 0.0
    via_tonnes: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    via_vot: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, tonnes: float, vot: float, split: Split | None) -> None:
        """Add one demand row of ``tonnes`` at value of time ``vot``."""
        self.tonnes += tonnes
        if split is None:
            self.unserved += tonnes
            return
        self.served += tonnes
        self.served_vot += tonnes * vot
        for transit, p, p_value in split:
            for via in transit:
                self.via_tonnes[via] += tonnes * p
                self.via_vot[via] += tonnes * vot * p_value

    def rows(self, country: str) -> list[dict[str, Any]]:
        """Table rows of this country, largest transit first."""
        out = [
            {
                "country": country,
                "via": via,
                "tonnes": t,
                "share_tonnes": t / self.served,
                "share_value_of_time": self.via_vot[via] / self.served_vot
                if self.served_vot
                else 0.0,
            }
            for via, t in self.via_tonnes.items()
            if t > 0
        ]
        return sorted(out, key=lambda r: (-r["tonnes"], r["via"]))


def _check_growth(growth: float) -> None:
    if not 0 < growth <= 100:
        raise BadArgumentError(f"growth must be in (0, 100], got {growth}")


def country_dependence(
    network: Network,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    growth: float = 1.0,
) -> DependenceResult:
    """Share of each trading country's demand that transits each other country.

    Parameters
    ----------
    network : Network
        A network with a demand table.
    date, scenario
        The state of the network (default: the scenario's horizon, else today).
    growth : float
        Factor on every demand row, in (0, 100].

    Returns
    -------
    DependenceResult
        Shares are of the country's *served* tonnes (rows with a route); rows with no
        route are counted in ``unserved`` and in no share.

    Notes
    -----
    Each row is split over its choice set by the two-level logit of
    :mod:`overland.analyses.logit` on free-flow generalized cost (no congestion), so a country's
    share of a transit country is at most 1 and shares of different transit countries
    may add up to more than 1 (a route may cross several).
    """
    if not network.demand:
        raise BadArgumentError("this network package has no demand table (demand.csv)")
    _check_growth(growth)
    state = network.as_of(date, scenario)
    splits: dict[tuple[str, str, str], Split | None] = {}
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for row in network.demand_for(state.date.year):
        key = (row.origin, row.destination, row.commodity)
        if key not in splits:
            splits[key] = _split(network, state, row)
        vot = network.commodities[row.commodity].value_of_time_usd_per_t_h
        ends = {network.places[row.origin].country, network.places[row.destination].country}
        for country in sorted(ends):
            tallies[country].add(row.tonnes_per_year * growth, vot, splits[key])
    rows = [r for c in sorted(tallies) for r in tallies[c].rows(c)]
    return DependenceResult(
        date=state.date,
        scenario=scenario,
        growth=growth,
        table=pd.DataFrame(rows, columns=list(DEPENDENCE_COLUMNS)),
        tonnes={c: t.tonnes for c, t in sorted(tallies.items())},
        served={c: t.served for c, t in sorted(tallies.items())},
        unserved={c: t.unserved for c, t in sorted(tallies.items())},
        known_countries=tuple(sorted(network.countries)),
    )


# ----------------------------------------------------------------------------- redundancy


@dataclass(frozen=True)
class Alternative:
    """One country-disjoint alternative and its extra generalized cost over the best."""

    rank: int
    countries: tuple[str, ...]
    transit: tuple[str, ...]
    time_h: float
    cost_usd_per_t: float
    generalized_cost_usd_per_t: float
    extra_usd_per_t: float
    extra_pct: float
    route: Route = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded."""
        return {
            "rank": self.rank,
            "countries": list(self.countries),
            "transit": list(self.transit),
            "time_h": round(self.time_h, 3),
            "cost_usd_per_t": round(self.cost_usd_per_t, 3),
            "generalized_cost_usd_per_t": round(self.generalized_cost_usd_per_t, 3),
            "extra_usd_per_t": round(self.extra_usd_per_t, 3),
            "extra_pct": round(self.extra_pct, 2),
        }


@dataclass(frozen=True)
class RedundancyResult:
    """Alternatives between two places whose transit countries are pairwise disjoint.

    ``stopped`` says why the search ended: ``"no_route"`` (routing again found nothing;
    ``reason`` holds the :class:`~overland.errors.NoRouteError` message) or
    ``"max_routes"``. A direct route (no third country) does not end the search: its
    border crossings are avoided from then on, so the next alternative uses other
    crossings or a third country. With no route at all, ``alternatives`` is empty and
    ``n_disjoint`` is 0.
    """

    origin: str
    destination: str
    commodity: str
    date: dt.date
    scenario: str | None
    alternatives: tuple[Alternative, ...]
    stopped: str
    reason: str | None

    @property
    def n_disjoint(self) -> int:
        """How many country-disjoint alternatives were found (0 when no route)."""
        return len(self.alternatives)

    def to_frame(self) -> pd.DataFrame:
        """One row per alternative (transit countries joined by ``,``)."""
        rows = []
        for a in self.alternatives:
            row = a.as_dict()
            row["countries"] = ",".join(a.countries)
            row["transit"] = ",".join(a.transit)
            rows.append(row)
        return pd.DataFrame(rows, columns=list(_ALTERNATIVE_COLUMNS))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded."""
        return {
            "origin": self.origin,
            "destination": self.destination,
            "commodity": self.commodity,
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "n_disjoint": self.n_disjoint,
            "stopped": self.stopped,
            "reason": self.reason,
            "alternatives": [a.as_dict() for a in self.alternatives],
        }


_ALTERNATIVE_COLUMNS = (
    "rank",
    "countries",
    "transit",
    "time_h",
    "cost_usd_per_t",
    "generalized_cost_usd_per_t",
    "extra_usd_per_t",
    "extra_pct",
)


def _check_max_routes(max_routes: int) -> None:
    ok = isinstance(max_routes, int) and not isinstance(max_routes, bool)
    if not ok or not 1 <= max_routes <= MAX_ROUTES_LIMIT:
        raise BadArgumentError(
            f"max_routes must be an integer from 1 to {MAX_ROUTES_LIMIT}, got {max_routes!r}"
        )


def _alternative(rank: int, route: Route, transit: frozenset[str], best: float) -> Alternative:
    cost = route.generalized_cost_usd_per_t
    extra = cost - best
    return Alternative(
        rank=rank,
        countries=route.countries,
        transit=tuple(c for c in dict.fromkeys(route.countries) if c in transit),
        time_h=route.time_h,
        cost_usd_per_t=route.cost_usd_per_t,
        generalized_cost_usd_per_t=cost,
        extra_usd_per_t=extra,
        extra_pct=100.0 * extra / best if best else 0.0,
        route=route,
    )


def redundancy(
    network: Network,
    origin: str,
    destination: str,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    commodity: str | None = None,
    max_routes: int = 5,
) -> RedundancyResult:
    """Alternatives from ``origin`` to ``destination`` with disjoint transit countries.

    Take the best route (generalized cost); then add the transit countries of every
    route found so far to the avoided countries and route again, until no route is
    left or ``max_routes`` are found. The ends' own countries are never avoided, so a
    route that crosses no third country (between neighbours, or within one country)
    is always the last one: there is nothing new to avoid and routing again would
    return it. Each later search is on fewer edges, so the extra cost over the best
    never decreases.

    Parameters
    ----------
    network : Network
        The network.
    origin, destination : str
        Place ids, names or aliases.
    date, scenario
        The state of the network (default: the scenario's horizon, else today).
    commodity : str, optional
        Commodity id (default as in :func:`~overland.routing.shortest_route`).
    max_routes : int
        At most this many alternatives, from 1 to 50.

    Returns
    -------
    RedundancyResult
        An OD pair with no route at all is *reported*, not raised: no alternatives,
        ``n_disjoint == 0``, ``stopped == "no_route"`` and the reason.

    Raises
    ------
    UnknownPlaceError, BadArgumentError
        For an unknown place, commodity or scenario, or ``max_routes`` out of range.
    """
    _check_max_routes(max_routes)
    q = make_query(network, origin, destination, date=date, scenario=scenario, commodity=commodity)
    ends = {network.places[q.origin].country, network.places[q.destination].country}
    avoid: set[str] = set()
    banned: list[str] = []  # direct border links already used
    found: list[Alternative] = []
    stopped, reason = "max_routes", None
    while len(found) < max_routes:
        try:
            route = shortest_route(
                network,
                q.origin,
                q.destination,
                date=q.state.date,
                scenario=scenario,
                commodity=q.commodity,
                avoid_countries=sorted(avoid - ends),
                avoid_links=banned,
            )
        except NoRouteError as err:
            stopped, reason = "no_route", str(err)
            break
        transit = _transit(route, ends)
        best = found[0].generalized_cost_usd_per_t if found else route.generalized_cost_usd_per_t
        found.append(_alternative(len(found) + 1, route, transit, best))
        if not transit:
            # a direct route: the next must use other crossings (or a third country)
            banned += [b.link for b in route.borders]
        avoid |= transit
    return RedundancyResult(
        origin=q.origin,
        destination=q.destination,
        commodity=q.commodity,
        date=q.state.date,
        scenario=scenario,
        alternatives=tuple(found),
        stopped=stopped,
        reason=reason,
    )


REDUNDANCY_COLUMNS = (
    "origin",
    "destination",
    "commodity",
    "n_disjoint",
    "best_generalized_cost_usd_per_t",
    "second_extra_usd_per_t",
    "second_extra_pct",
    "transit",
    "stopped",
)


def _pairs(network: Network, pairs: Iterable[Sequence[str]] | None) -> list[tuple[str, ...]]:
    """The (origin, destination[, commodity]) tuples to tabulate, each checked."""
    if pairs is None:
        if not network.demand:
            raise BadArgumentError("this network package has no demand table (demand.csv)")
        keys = ((d.origin, d.destination, d.commodity) for d in network.demand.values())
        return list(dict.fromkeys(keys))
    out = []
    for p in pairs:
        if isinstance(p, str) or len(p) not in (2, 3):
            raise BadArgumentError(
                f"pairs items must be (origin, destination) or (origin, destination, "
                f"commodity), got {p!r}"
            )
        out.append(tuple(p))
    return out


def _table_row(res: RedundancyResult) -> dict[str, Any]:
    alts = res.alternatives
    return {
        "origin": res.origin,
        "destination": res.destination,
        "commodity": res.commodity,
        "n_disjoint": res.n_disjoint,
        "best_generalized_cost_usd_per_t": alts[0].generalized_cost_usd_per_t if alts else math.nan,
        "second_extra_usd_per_t": alts[1].extra_usd_per_t if len(alts) > 1 else math.nan,
        "second_extra_pct": alts[1].extra_pct if len(alts) > 1 else math.nan,
        "transit": " | ".join(",".join(a.transit) or "-" for a in alts),
        "stopped": res.stopped,
    }


def redundancy_table(
    network: Network,
    *,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    pairs: Iterable[Sequence[str]] | None = None,
    max_routes: int = 5,
) -> pd.DataFrame:
    """:func:`redundancy` for every distinct (origin, destination, commodity) of demand.

    Parameters
    ----------
    network : Network
        The network.
    date, scenario
        The state of the network (default: the scenario's horizon, else today).
    pairs : iterable of tuples, optional
        ``(origin, destination)`` or ``(origin, destination, commodity)`` to tabulate
        instead of the demand's.
    max_routes : int
        At most this many alternatives per pair, from 1 to 50.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``n_disjoint`` (0 when no route), the best generalized cost
        and the extra cost of the second alternative (NaN when there is none), the
        transit countries of each alternative (``-`` for a direct route) and why the
        search stopped.
    """
    _check_max_routes(max_routes)
    todo = _pairs(network, pairs)
    state = network.as_of(date, scenario)
    rows = [
        _table_row(
            redundancy(
                network,
                p[0],
                p[1],
                date=state.date,
                scenario=scenario,
                commodity=p[2] if len(p) == 3 else None,
                max_routes=max_routes,
            )
        )
        for p in todo
    ]
    return pd.DataFrame(rows, columns=list(REDUNDANCY_COLUMNS))
