"""Route comparison: the best route of one pair on several dates and scenarios.

A scenario without a date is evaluated at its horizon, a date without a scenario on the
network as it was (or is planned to be) then; with neither, on the package's
``data_as_of``. The CLI (``overland compare``), the API (``/api/compare``) and the page
use this one implementation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import BadArgumentError, NoRouteError
from .route import Route
from .routing import shortest_route

if TYPE_CHECKING:
    from .network import Network

__all__ = ["MAX_COMPARE", "Comparison", "ComparisonRow", "compare_routes"]

#: most date × scenario combinations in one comparison
MAX_COMPARE = 24


@dataclass(frozen=True)
class ComparisonRow:
    """One (date, scenario) case: its best route, or why there is none."""

    label: str
    date: dt.date | None
    scenario: str | None
    route: Route | None
    reason: str | None = None
    blocked_by: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; ``date`` is the date the route was found on."""
        if self.route is None:
            return {
                "label": self.label,
                "date": self.date.isoformat() if self.date else None,
                "scenario": self.scenario,
                "exists": False,
                "reason": self.reason,
                "blocked_by": list(self.blocked_by),
            }
        return {
            "label": self.label,
            "date": self.route.date.isoformat(),
            "scenario": self.scenario,
            "exists": True,
            "route": self.route.as_dict(),
        }


@dataclass(frozen=True)
class Comparison:
    """The rows of a comparison, in order (scenarios outer, dates inner)."""

    origin: str
    destination: str
    rows: tuple[ComparisonRow, ...]

    def as_dict(self) -> dict[str, Any]:
        """``{"origin", "destination", "rows": [...]}``."""
        return {
            "origin": self.origin,
            "destination": self.destination,
            "rows": [r.as_dict() for r in self.rows],
        }


def compare_routes(
    network: Network,
    origin: str,
    destination: str,
    *,
    dates: Sequence[dt.date | None] = (),
    scenarios: Sequence[str | None] = (),
    commodity: str | None = None,
    avoid_countries: Iterable[str] = (),
    modes: Iterable[str] | None = None,
    objective: str = "generalized",
) -> Comparison:
    """The best route for every (scenario, date) combination.

    Examples
    --------
    >>> from overland import embedded_network
    >>> c = compare_routes(embedded_network(), "Baku", "Nakhchivan",
    ...                    scenarios=[None, "tripp"], avoid_countries=["IR"])
    >>> [r.route.countries for r in c.rows if r.route]
    [('AZ', 'GE', 'TR', 'AZ'), ('AZ', 'AM', 'AZ')]
    """
    date_list = list(dates) or [None]
    scen_list = list(scenarios) or [None]
    if len(date_list) * len(scen_list) > MAX_COMPARE:
        raise BadArgumentError(
            f"at most {MAX_COMPARE} date/scenario combinations, "
            f"got {len(date_list) * len(scen_list)}"
        )
    avoid = list(avoid_countries)
    mode_list = list(modes) if modes is not None else None
    rows: list[ComparisonRow] = []
    for sc in scen_list:
        for d in date_list:
            label = " / ".join(x for x in (d.isoformat() if d else None, sc) if x) or "as of data"
            try:
                r = shortest_route(
                    network,
                    origin,
                    destination,
                    date=d,
                    scenario=sc,
                    commodity=commodity,
                    avoid_countries=avoid,
                    modes=mode_list,
                    objective=objective,
                )
            except NoRouteError as exc:
                rows.append(ComparisonRow(label, d, sc, None, str(exc), exc.blocked_by))
                continue
            rows.append(ComparisonRow(label, d, sc, r))
    return Comparison(origin, destination, tuple(rows))
