"""The timeline: dated events applied to the base network, with scenarios.

The network "as of" a date is the base tables with every event up to that date
applied, in date order. Events with status ``happened`` always apply; ``planned`` and
``hypothetical`` ones only through a scenario that includes them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .errors import BadArgumentError, ScenarioError
from .schema import Crossing, Event, Link, Rate, Rule, Transfer, apply_change

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "NetworkState",
    "StateDiff",
    "date_notes",
    "diff_states",
    "parse_date",
    "scenario_events",
    "scenario_horizon",
    "scenario_summaries",
    "state_as_of",
    "timeline_events",
]


def parse_date(value: str | dt.date, *, what: str = "date") -> dt.date:
    """A date from ``YYYY-MM-DD`` text (or a date), with a clear error."""
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # the form is right, the day is not
            raise BadArgumentError(f"bad {what} {value!r}: no such day ({exc})") from None
        raise BadArgumentError(
            f"bad {what} {value!r}: expected YYYY-MM-DD, e.g. 2025-11-10"
        ) from None


def scenario_events(network: Network, scenario: str) -> tuple[Event, ...]:
    """Planned/hypothetical events a scenario switches on (and its extends'), with
    its date overrides applied, in date order."""
    if scenario not in network.scenarios:
        valid = ", ".join(sorted(network.scenarios)) or "(none)"
        raise ScenarioError(f"unknown scenario {scenario!r}; valid scenarios are: {valid}")
    by_id = {e.id: e for e in network.events}
    seen: dict[str, Event] = {}
    overrides: dict[str, dt.date] = {}

    def visit(sid: str, stack: tuple[str, ...]) -> None:
        sc = network.scenarios[sid]
        for parent in sc.extends:
            if parent not in stack:
                visit(parent, (*stack, parent))
        for eid in sc.include_events:
            seen.setdefault(eid, by_id[eid])
        for ev in sc.events:
            seen.setdefault(ev.id, ev)
        overrides.update(sc.date_overrides)

    visit(scenario, (scenario,))
    events = [
        e.model_copy(update={"date": overrides[e.id]}) if e.id in overrides else e
        for e in seen.values()
    ]
    return tuple(sorted(events, key=lambda e: e.date))


def scenario_horizon(network: Network, scenario: str) -> dt.date:
    """The default query date of a scenario: its horizon, else its last event's date."""
    sc = network.scenarios.get(scenario)
    if sc is not None and sc.horizon is not None:
        return sc.horizon
    events = scenario_events(network, scenario)
    return max((e.date for e in events), default=network.manifest.data_as_of)


def timeline_events(network: Network, scenario: str | None = None) -> tuple[Event, ...]:
    """Every event that can apply: the happened ones, plus a scenario's, in date order."""
    events = [e for e in network.events if e.status == "happened"]
    if scenario is not None:
        events += scenario_events(network, scenario)
    order = {id(e): i for i, e in enumerate(events)}
    return tuple(sorted(events, key=lambda e: (e.date, order[id(e)])))


@dataclass(frozen=True)
class NetworkState:
    """The network on one date under one scenario (``None``: what happened only)."""

    network: Network
    date: dt.date
    scenario: str | None
    events_applied: tuple[Event, ...]
    links: Mapping[str, Link]
    crossings: Mapping[str, Crossing]
    transfers: Mapping[str, Transfer]
    rules: Mapping[str, Rule]
    rates: Mapping[str, Rate]  # rates.csv as the events have changed it

    def links_with_status(self, status: str) -> tuple[str, ...]:
        """Ids of links whose status is ``status`` (open, closed, planned)."""
        return tuple(lid for lid, link in self.links.items() if link.status == status)

    def closed_links(self) -> tuple[str, ...]:
        """Ids of links that exist but are closed on this date."""
        return self.links_with_status("closed")

    def planned_links(self) -> tuple[str, ...]:
        """Ids of links not (yet) built on this date."""
        return self.links_with_status("planned")

    def closed_crossings(self) -> tuple[str, ...]:
        """Ids of border crossings closed on this date."""
        return tuple(cid for cid, c in self.crossings.items() if c.status == "closed")

    def rules_in_force(self) -> tuple[Rule, ...]:
        """Rules in force on this date."""
        return tuple(r for r in self.rules.values() if r.in_force)

    def last_change(self, target: str, element_id: str) -> Event | None:
        """The latest applied event that changed an element (None: base data)."""
        for ev in reversed(self.events_applied):
            if any(c.target == target and c.id == element_id for c in ev.changes):
                return ev
        return None

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable summary printed by ``overland timeline --date D --json``."""
        return {
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "events_applied": [e.id for e in self.events_applied],
            "rules_in_force": [
                {
                    "id": r.id,
                    "title": r.title,
                    "kind": r.kind,
                    "countries": list(r.countries),
                    "since": _since(self.last_change("rule", r.id)),
                }
                for r in self.rules_in_force()
            ],
            "closed_links": list(self.closed_links()),
            "planned_links": list(self.planned_links()),
            "closed_crossings": list(self.closed_crossings()),
            "open_links": len(self.links_with_status("open")),
        }


def _since(event: Event | None) -> str | None:
    return event.date.isoformat() if event is not None else None


def scenario_summaries(network: Network) -> list[dict[str, Any]]:
    """Every scenario of the package: id, title, horizon, the planned or hypothetical
    events it adds and its sources (what ``overland scenarios`` and ``/api/scenarios``
    list)."""
    return [
        {
            "id": sid,
            "title": sc.title,
            "horizon": scenario_horizon(network, sid).isoformat(),
            "events": [e.id for e in timeline_events(network, sid) if e.status != "happened"],
            "sources": [
                {"title": network.sources[s].title, "url": network.sources[s].url}
                for s in sc.source
            ],
        }
        for sid, sc in sorted(network.scenarios.items())
    ]


def date_notes(
    network: Network, day: dt.date, scenario: str | None = None, *, demand: bool = True
) -> list[str]:
    """What a reader should know about a query date the data does not reach: a date after
    the package's ``data_as_of`` (without a scenario the network stays as it was then)
    and, with ``demand``, a year the demand table has no rows for (another table year
    serves it)."""
    notes = []
    as_of = network.manifest.data_as_of
    if scenario is None and day > as_of:
        notes.append(
            f"{day} is after the data's as-of date {as_of}: the network is as it was then "
            "(planned events count only under a scenario)"
        )
    pick = network.demand_year(day.year) if demand else None
    if pick is not None and pick != day.year:
        years = network.demand_years
        notes.append(
            f"the demand table covers {years[0]}–{years[-1]}; flows for {day.year} use "
            f"the {pick} rows"
        )
    return notes


def state_as_of(
    network: Network, date: dt.date | str | None = None, scenario: str | None = None
) -> NetworkState:
    """Apply every event up to ``date`` (inclusive) under ``scenario``.

    Without ``date`` the answer is at the scenario's horizon, or on the date the
    package's data is current to (``data_as_of`` in its manifest) when there is no
    scenario.
    """
    if date is None:
        day = scenario_horizon(network, scenario) if scenario else network.manifest.data_as_of
    else:
        day = parse_date(date)
    if day < network.manifest.base_date:
        raise ScenarioError(
            f"date {day} is before the package's base date {network.manifest.base_date}; "
            "the timeline starts there"
        )
    events = tuple(e for e in timeline_events(network, scenario) if e.date <= day)
    tables: dict[str, dict[str, Any]] = {
        "link": dict(network.links),
        "crossing": dict(network.crossings),
        "transfer": dict(network.transfers),
        "rule": dict(network.rules),
        "rate": dict(network.rates),
    }
    fitted = network.parameters
    for ev in events:
        for change in ev.changes:
            table = tables[change.target]
            row, name = table[change.id], change.target + "s"
            if fitted is None:
                table[change.id] = apply_change(row, change)
            else:  # changed as the package has it, then fitted as the base rows are
                raw = apply_change(fitted.applied(name, row, inverse=True), change)
                table[change.id] = fitted.applied(name, raw)
    return NetworkState(
        network=network,
        date=day,
        scenario=scenario,
        events_applied=events,
        links=MappingProxyType(tables["link"]),
        crossings=MappingProxyType(tables["crossing"]),
        transfers=MappingProxyType(tables["transfer"]),
        rules=MappingProxyType(tables["rule"]),
        rates=MappingProxyType(tables["rate"]),
    )


@dataclass(frozen=True)
class StateDiff:
    """What differs between two network states."""

    events_added: tuple[str, ...]
    events_removed: tuple[str, ...]
    links_changed: tuple[tuple[str, str, str], ...]  # (id, status before, status after)
    crossings_changed: tuple[tuple[str, str, str], ...]
    rules_changed: tuple[tuple[str, bool, bool], ...]

    def is_empty(self) -> bool:
        """True when the two states are the same."""
        return not (
            self.events_added
            or self.events_removed
            or self.links_changed
            or self.crossings_changed
            or self.rules_changed
        )


def _status_changes(
    a: Mapping[str, Any], b: Mapping[str, Any], attr: str
) -> tuple[tuple[str, Any, Any], ...]:
    return tuple(
        (k, getattr(a[k], attr), getattr(b[k], attr))
        for k in a
        if getattr(a[k], attr) != getattr(b[k], attr)
    )


def diff_states(a: NetworkState, b: NetworkState) -> StateDiff:
    """Differences from state ``a`` to state ``b``."""
    ids_a = [e.id for e in a.events_applied]
    ids_b = [e.id for e in b.events_applied]
    return StateDiff(
        events_added=_missing(ids_b, ids_a),
        events_removed=_missing(ids_a, ids_b),
        links_changed=_status_changes(a.links, b.links, "status"),
        crossings_changed=_status_changes(a.crossings, b.crossings, "status"),
        rules_changed=_status_changes(a.rules, b.rules, "in_force"),
    )


def _missing(items: Iterable[str], other: Iterable[str]) -> tuple[str, ...]:
    have = set(other)
    return tuple(i for i in items if i not in have)
