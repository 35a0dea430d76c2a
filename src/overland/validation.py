"""Cross-table checks of a network package, reporting every problem at once.

:func:`validate_package` reads a folder and returns a :class:`ValidationReport`; the
same checks run inside :func:`overland.load_network`, which refuses a package with
errors. Each :class:`~overland.errors.Problem` names the file, row and field, and
says what would be valid.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import Problem
from .geo import great_circle_km
from .package import (
    DEFAULT_LIMITS,
    LoadLimits,
    Located,
    RawPackage,
    read_package,
    shown_value,
)
from .places import name_key
from .schema import MODES, Event, Link, Place, apply_change

__all__ = [
    "BOX_MARGIN_DEG",
    "DETOUR_LIMIT",
    "LENGTH_TOLERANCE_KM",
    "ValidationReport",
    "check_package",
    "validate_package",
]

#: Slack on country boxes: border posts sit on the edge of them.
BOX_MARGIN_DEG = 0.3
#: Slack on "length >= great-circle distance": coordinates are given to ~1 km.
LENGTH_TOLERANCE_KM = 3.0
#: A link longer than this many times the great-circle distance needs a detour_reason.
DETOUR_LIMIT = 2.0
#: ... plus this much, so that very short links are not flagged for a few km of curve.
DETOUR_SLACK_KM = 15.0


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one package."""

    path: str
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that make the package unusable."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems worth a look that do not stop loading."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": self.path,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.as_dict() for p in self.problems],
        }


def validate_package(path: Path | str, *, limits: LoadLimits = DEFAULT_LIMITS) -> ValidationReport:
    """Read and check a package folder; never raises on bad content.

    ``limits`` caps file sizes, rows and YAML size (see
    :class:`~overland.package.LoadLimits`).

    Examples
    --------
    >>> from overland.package import embedded_package_path
    >>> validate_package(embedded_package_path()).ok
    True
    """
    raw = read_package(path, limits=limits)
    return ValidationReport(str(path), tuple(check_package(raw)))


def _suggest(value: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(valid), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


class _Checker:
    def __init__(self, raw: RawPackage) -> None:
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)
        t = raw.tables
        self.sources = {loc.item.id for loc in t.get("sources", [])}
        self.countries = {loc.item.iso2: loc.item for loc in t.get("countries", [])}
        self.places: dict[str, Place] = {loc.item.id: loc.item for loc in t.get("places", [])}
        self.links: dict[str, Link] = {loc.item.id: loc.item for loc in t.get("links", [])}
        self.crossings = {loc.item.id: loc.item for loc in t.get("crossings", [])}
        self.transfers = {loc.item.id: loc.item for loc in t.get("transfers", [])}
        self.rules = {loc.item.id: loc.item for loc in raw.rules}
        self.rates = {loc.item.id: loc.item for loc in t.get("rates", [])}
        self.commodities = {loc.item.id for loc in t.get("commodities", [])}

    def add(
        self,
        file: str,
        message: str,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
        severity: str = "error",
    ) -> None:
        self.problems.append(
            Problem(
                file,
                message,
                row=row,
                field=None if field is None else shown_value(field),
                value=None if value is None else shown_value(value),
                severity="warning" if severity == "warning" else "error",
            )
        )

    # ------------------------------------------------------------------ generic
    def unique(self, file: str, rows: list[Located[Any]], key: str) -> None:
        first: dict[str, int] = {}
        for loc in rows:
            k = getattr(loc.item, key)
            if k in first:
                self.add(
                    file,
                    f"duplicate {key} {k!r} (first defined on line {first[k]})",
                    loc.row,
                    key,
                    k,
                )
            else:
                first[k] = loc.row

    def cited(self, file: str, row: int, ids: Iterable[str], field: str = "source") -> None:
        for sid in ids:
            if sid not in self.sources:
                self.add(
                    file,
                    f"unknown source id {sid!r}; add it to sources.csv"
                    + _suggest(sid, self.sources),
                    row,
                    field,
                    sid,
                )

    def country(self, file: str, row: int, code: str, field: str) -> None:
        if code not in self.countries:
            self.add(
                file,
                f"unknown country {code!r}; valid: {', '.join(sorted(self.countries))}",
                row,
                field,
                code,
            )

    def place(self, file: str, row: int, pid: str, field: str) -> bool:
        if pid in self.places:
            return True
        self.add(file, f"unknown place id {pid!r}" + _suggest(pid, self.places), row, field, pid)
        return False

    def commodity(self, file: str, row: int, cid: str, field: str) -> bool:
        if cid in self.commodities:
            return True
        valid = ", ".join(sorted(self.commodities))
        self.add(file, f"unknown commodity {cid!r}; valid: {valid}", row, field, cid)
        return False

    # ------------------------------------------------------------------ tables
    def run(self) -> list[Problem]:
        t = self.raw.tables
        for table, key in (
            ("sources", "id"),
            ("countries", "iso2"),
            ("places", "id"),
            ("links", "id"),
            ("crossings", "id"),
            ("transfers", "id"),
            ("modes", "mode"),
            ("commodities", "id"),
            ("rates", "id"),
            ("demand", "id"),
        ):
            self.unique(f"{table}.csv", t.get(table, []), key)
            if table != "sources":
                for loc in t.get(table, []):
                    self.cited(f"{table}.csv", loc.row, loc.item.source)
                    if loc.item.estimate and not loc.item.note.strip():
                        self.add(
                            f"{table}.csv",
                            "an estimate must explain itself in `note`",
                            loc.row,
                            "note",
                        )
        self.check_places()
        self.check_links()
        self.check_crossings()
        self.check_transfers()
        self.check_modes()
        self.check_rates()
        self.check_demand()
        self.check_rules()
        self.check_events()
        self.check_scenarios()
        self.check_corridors()
        self.check_report()
        self.check_observations()
        self.check_shapes()
        if self.raw.parameters is not None:
            for cid in self.raw.parameters.item.value_of_time_scale:
                self.commodity("parameters.yaml", 1, cid, "value_of_time_scale")
        return self.problems

    def check_places(self) -> None:
        for loc in self.raw.tables.get("places", []):
            p = loc.item
            self.country("places.csv", loc.row, p.country, "country")
            c = self.countries.get(p.country)
            if c is None:
                continue
            m = BOX_MARGIN_DEG
            if not (c.lat_min - m <= p.lat <= c.lat_max + m):
                self.add(
                    "places.csv",
                    f"lat {p.lat} is outside {c.name} "
                    f"({c.lat_min}..{c.lat_max}); check the coordinates or the country",
                    loc.row,
                    "lat",
                    p.lat,
                )
            if not (c.lon_min - m <= p.lon <= c.lon_max + m):
                self.add(
                    "places.csv",
                    f"lon {p.lon} is outside {c.name} "
                    f"({c.lon_min}..{c.lon_max}); check the coordinates or the country",
                    loc.row,
                    "lon",
                    p.lon,
                )

    def check_links(self) -> None:
        for loc in self.raw.tables.get("links", []):
            link, row = loc.item, loc.row
            ok_a = self.place("links.csv", row, link.from_place, "from")
            ok_b = self.place("links.csv", row, link.to_place, "to")
            for com in link.commodities:
                self.commodity("links.csv", row, com, "commodities")
            if link.mode == "ferry" and link.headway_h is None and link.wait_h is None:
                self.add("links.csv", "a ferry needs headway_h or wait_h", row, "headway_h")
            if not (ok_a and ok_b):
                continue
            a, b = self.places[link.from_place], self.places[link.to_place]
            gc = great_circle_km(a.lat, a.lon, b.lat, b.lon)
            if link.length_km < gc - LENGTH_TOLERANCE_KM:
                self.add(
                    "links.csv",
                    f"length_km {link.length_km:g} is shorter than the "
                    f"great-circle distance of its ends ({gc:.0f} km); check the length "
                    "or the places' coordinates",
                    row,
                    "length_km",
                    link.length_km,
                )
            if link.length_km > DETOUR_LIMIT * gc + DETOUR_SLACK_KM and not link.detour_reason:
                self.add(
                    "links.csv",
                    f"length_km {link.length_km:g} is over {DETOUR_LIMIT:g}x "
                    f"the great-circle distance of its ends ({gc:.0f} km); fix it or say "
                    "why in detour_reason",
                    row,
                    "length_km",
                    link.length_km,
                )

    def check_crossings(self) -> None:
        have: dict[tuple[str, str, str], str] = {}
        for loc in self.raw.tables.get("crossings", []):
            c, row = loc.item, loc.row
            self.country("crossings.csv", row, c.from_country, "from_country")
            self.country("crossings.csv", row, c.to_country, "to_country")
            link = self.links.get(c.link)
            if link is None:
                self.add(
                    "crossings.csv",
                    f"unknown link id {c.link!r}" + _suggest(c.link, self.links),
                    row,
                    "link",
                    c.link,
                )
                continue
            if c.place not in (link.from_place, link.to_place):
                self.add(
                    "crossings.csv",
                    f"place {c.place!r} is not an end of link {link.id!r} "
                    f"(valid: {link.from_place!r}, {link.to_place!r})",
                    row,
                    "place",
                    c.place,
                )
            a, b = self.places.get(link.from_place), self.places.get(link.to_place)
            if a is None or b is None:
                continue
            if a.country == b.country:
                self.add(
                    "crossings.csv",
                    f"link {link.id!r} does not cross a border (both ends in {a.country})",
                    row,
                    "link",
                    c.link,
                )
                continue
            forward = (c.from_country, c.to_country) == (a.country, b.country)
            backward = (c.from_country, c.to_country) == (b.country, a.country)
            if not (forward or backward) or (backward and link.directed):
                self.add(
                    "crossings.csv",
                    f"countries {c.from_country}->{c.to_country} do not "
                    f"match link {link.id!r} ({a.country}->{b.country}"
                    f"{'' if link.directed else ' or back'})",
                    row,
                    "to_country",
                )
                continue
            key = (c.link, c.from_country, c.to_country)
            if key in have:
                self.add(
                    "crossings.csv",
                    f"a crossing for link {c.link!r} "
                    f"{c.from_country}->{c.to_country} is already defined ({have[key]!r})",
                    row,
                    "link",
                )
            have[key] = c.id
        for loc in self.raw.tables.get("links", []):
            link = loc.item
            a, b = self.places.get(link.from_place), self.places.get(link.to_place)
            if a is None or b is None or a.country == b.country or not link.is_freight:
                continue
            needed = [(a.country, b.country)] + ([] if link.directed else [(b.country, a.country)])
            for fc, tc in needed:
                if (link.id, fc, tc) not in have:
                    self.add(
                        "links.csv",
                        f"border link {link.id!r} has no crossing record for "
                        f"{fc}->{tc} in crossings.csv",
                        loc.row,
                        "id",
                        link.id,
                    )

    def check_transfers(self) -> None:
        layers_at: dict[str, set[str]] = {}
        for link in self.links.values():
            for layer in link.layers():
                layers_at.setdefault(link.from_place, set()).add(layer)
                layers_at.setdefault(link.to_place, set()).add(layer)
        for loc in self.raw.tables.get("transfers", []):
            tr, row = loc.item, loc.row
            for com in tr.commodities:
                self.commodity("transfers.csv", row, com, "commodities")
            if not self.place("transfers.csv", row, tr.place, "place"):
                continue
            here = layers_at.get(tr.place, set())
            for fld in ("from_layer", "to_layer"):
                layer = getattr(tr, fld)
                if layer not in here:
                    self.add(
                        "transfers.csv",
                        f"no {layer} link touches {tr.place!r} (layers "
                        f"there: {', '.join(sorted(here)) or 'none'})",
                        row,
                        fld,
                        layer,
                    )

    def check_demand(self) -> None:
        # any freight link, whatever its status: an event or a scenario may open it
        served = {
            end
            for link in self.links.values()
            if link.is_freight
            for end in (link.from_place, link.to_place)
        }
        for loc in self.raw.tables.get("demand", []):
            d = loc.item
            for fld in ("origin", "destination"):
                pid = getattr(d, fld)
                if self.place("demand.csv", loc.row, pid, fld) and pid not in served:
                    self.add(
                        "demand.csv",
                        f"no freight link (rail, road, ferry, sea or air) touches {pid!r}; "
                        "corridor flows cannot load this row",
                        loc.row,
                        fld,
                        pid,
                    )
            if d.origin == d.destination:
                self.add(
                    "demand.csv",
                    "origin and destination are the same place",
                    loc.row,
                    "destination",
                    d.destination,
                )
            self.commodity("demand.csv", loc.row, d.commodity, "commodity")

    def check_rates(self) -> None:
        seen: dict[tuple[str, str, str | None, str], int] = {}
        # a neutral row that an event sets (a market's rate by year) is the base state
        events = [loc.item for loc in self.raw.events] + [
            ev for loc in self.raw.scenarios.values() for ev in loc.item.events
        ]
        dated = {c.id for ev in events for c in ev.changes if c.target == "rate"}
        for loc in self.raw.tables.get("rates", []):
            r = loc.item
            self.commodity("rates.csv", loc.row, r.commodity, "commodity")
            if r.country is not None:
                self.country("rates.csv", loc.row, r.country, "country")
            key = (r.commodity, r.mode, r.country, r.traffic)
            if key in seen:
                self.add(
                    "rates.csv",
                    f"a second row for {r.commodity} on {r.scope} (the first is row "
                    f"{seen[key]}); one row per commodity, mode, country (empty: every "
                    "country) and traffic",
                    loc.row,
                    "country" if r.country else "mode",
                    r.country or r.mode,
                )
            seen.setdefault(key, loc.row)
            if r.backhaul_factor != 1 and not any(
                link.headhaul and link.mode == r.mode for link in self.links.values()
            ):
                self.add(
                    "rates.csv",
                    f"backhaul_factor {r.backhaul_factor:g} applies to {r.mode} links marked "
                    "headhaul in links.csv, and there are none: it changes nothing",
                    loc.row,
                    "backhaul_factor",
                    severity="warning",
                )
            if r.neutral and r.id not in dated:
                self.add(
                    "rates.csv",
                    "every factor is 1 and no event sets it: the row changes nothing",
                    loc.row,
                    "rate_factor",
                    severity="warning",
                )

    def check_modes(self) -> None:
        have = {loc.item.mode for loc in self.raw.tables.get("modes", [])}
        used = {link.mode for link in self.links.values() if link.is_freight}
        for mode in sorted(used - have):
            self.add(
                "modes.csv",
                f"no defaults for mode {mode!r}, which links use (modes: {', '.join(MODES)})",
                None,
                "mode",
                mode,
            )

    def check_rules(self) -> None:
        self.unique("rules.yaml", self.raw.rules, "id")
        for loc in self.raw.rules:
            r = loc.item
            self.cited("rules.yaml", loc.row, r.source, f"{r.id}.source")
            scope = r.applies_to
            for code in (
                *r.countries,
                *scope.origin_countries,
                *scope.destination_countries,
                *scope.either_end_countries,
                *scope.except_end_countries,
            ):
                self.country("rules.yaml", loc.row, code, f"{r.id}.countries")
            for cid in scope.commodities:
                self.commodity("rules.yaml", loc.row, cid, f"{r.id}.applies_to.commodities")

    def check_event(self, file: str, row: int, ev: Event, base: dict[str, dict[str, Any]]) -> None:
        manifest = self.raw.manifest
        self.cited(file, row, ev.source, f"{ev.id}.source")
        if manifest is not None and ev.date <= manifest.base_date:
            self.add(
                file,
                f"date {ev.date} is not after the package's base_date "
                f"{manifest.base_date}; put that state in the tables instead",
                row,
                f"{ev.id}.date",
                ev.date,
            )
        if manifest is not None and ev.status == "happened" and ev.date > manifest.data_as_of:
            self.add(
                file,
                f"a happened event is dated {ev.date}, after the package's "
                f"data_as_of {manifest.data_as_of}; mark it planned or fix the date",
                row,
                f"{ev.id}.status",
                ev.status,
            )
        for i, change in enumerate(ev.changes):
            fld = f"{ev.id}.changes.{i}"
            table = base[change.target]
            if change.id not in table:
                self.add(
                    file,
                    f"changes unknown {change.target} {change.id!r}" + _suggest(change.id, table),
                    row,
                    f"{fld}.id",
                    change.id,
                )
                continue
            try:
                apply_change(table[change.id], change)
            except ValidationError as exc:
                for e in exc.errors(include_url=False):
                    loc = ".".join(str(x) for x in e["loc"])
                    msg = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
                    self.add(
                        file,
                        f"{msg} (setting {change.target} {change.id!r})",
                        row,
                        f"{fld}.set.{loc}",
                        e.get("input"),
                    )
            except ValueError as exc:
                self.add(file, str(exc), row, f"{fld}.set")

    def _base(self) -> dict[str, dict[str, Any]]:
        return {
            "link": self.links,
            "crossing": self.crossings,
            "transfer": self.transfers,
            "rule": self.rules,
            "rate": self.rates,
        }

    def check_events(self) -> None:
        base = self._base()
        self.unique("events.yaml", self.raw.events, "id")
        for loc in self.raw.events:
            self.check_event("events.yaml", loc.row, loc.item, base)

    def check_scenarios(self) -> None:
        base = self._base()
        events = {loc.item.id: loc.item for loc in self.raw.events}
        seen_inline: dict[str, str] = {}
        for sid, loc in self.raw.scenarios.items():
            sc, file = loc.item, self.raw.scenario_files[sid]
            self.cited(file, 1, sc.source)
            for parent in sc.extends:
                if parent not in self.raw.scenarios:
                    self.add(
                        file,
                        f"extends unknown scenario {parent!r}; valid: "
                        f"{', '.join(sorted(self.raw.scenarios))}",
                        1,
                        "extends",
                        parent,
                    )
            if self._cycle(sid):
                self.add(
                    file,
                    f"scenario {sid!r} extends itself through {self._cycle(sid)}",
                    1,
                    "extends",
                )
            for eid in sc.include_events:
                ev = events.get(eid)
                if ev is None:
                    self.add(
                        file,
                        f"includes unknown event {eid!r}" + _suggest(eid, events),
                        1,
                        "include_events",
                        eid,
                    )
                elif ev.status == "happened":
                    self.add(
                        file,
                        f"event {eid!r} has happened and applies anyway; include only "
                        "planned or hypothetical events",
                        1,
                        "include_events",
                        eid,
                    )
            for ev in sc.events:
                if ev.id in events or ev.id in seen_inline:
                    self.add(
                        file,
                        f"event id {ev.id!r} is already used "
                        f"({'events.yaml' if ev.id in events else seen_inline[ev.id]})",
                        1,
                        f"events.{ev.id}",
                    )
                seen_inline[ev.id] = file
                if ev.status == "happened":
                    self.add(
                        file,
                        "events defined in a scenario must be planned or hypothetical",
                        1,
                        f"{ev.id}.status",
                        ev.status,
                    )
                self.check_event(file, 1, ev, base)
            own = set(sc.include_events) | {e.id for e in sc.events}
            for eid in sc.date_overrides:
                if eid not in own:
                    self.add(
                        file,
                        f"date_overrides names {eid!r}, which this scenario does not include",
                        1,
                        "date_overrides",
                        eid,
                    )

    # ------------------------------------------------------------------ optional files
    def check_corridors(self) -> None:
        if self.raw.corridors is None:
            return
        spec, file = self.raw.corridors.item, "corridors.yaml"
        for i, c in enumerate(spec.corridors):
            for code in c.countries_any:
                self.country(file, 1, code, f"corridors[{i}].countries_any")
        self._unique_ids(file, "corridors", [c.id for c in spec.corridors])
        self._unique_ids(file, "link_groups", [g.id for g in spec.link_groups])
        for i, g in enumerate(spec.link_groups):
            for lid in g.links:
                if lid not in self.links:
                    self.add(
                        file,
                        f"unknown link id {lid!r}" + _suggest(lid, self.links),
                        1,
                        f"link_groups[{i}].links",
                        lid,
                    )

    def check_report(self) -> None:
        if self.raw.report is None:
            return
        spec, file = self.raw.report.item, "report.yaml"
        names = {name_key(n) for p in self.places.values() for n in (p.id, p.name, *p.aliases)}

        def place(name: str | None, where: str) -> None:
            if name is not None and name_key(name) not in names:
                self.add(file, f"unknown place {name!r}", 1, where, name)

        def scenario(sid: str | None, where: str) -> None:
            if sid is not None and sid not in self.raw.scenarios:
                valid = ", ".join(sorted(self.raw.scenarios)) or "(none)"
                self.add(file, f"unknown scenario {sid!r}; valid: {valid}", 1, where, sid)

        def commodity(cid: str | None, where: str) -> None:
            if cid is not None:
                self.commodity(file, 1, cid, where)

        self._unique_ids(file, "cases", [c.id for c in spec.cases])
        for i, case in enumerate(spec.cases):
            for j, q in enumerate(case.rows):
                at = f"cases[{i}].rows[{j}]"
                for attr in ("origin", "destination", "via"):
                    place(getattr(q, attr), f"{at}.{attr}")
                scenario(q.scenario, f"{at}.scenario")
                commodity(q.commodity, f"{at}.commodity")
                for code in q.avoid_countries:
                    self.country(file, 1, code, f"{at}.avoid_countries")
        scenario(spec.compare_scenario, "compare_scenario")
        for i, lq in enumerate(spec.layer_questions):
            for attr in ("sources", "sinks"):
                for item in (x.strip() for x in getattr(lq, attr).split(",") if x.strip()):
                    if item not in self.countries and item not in self.places:
                        self.add(
                            file,
                            f"{item!r} is neither a place id nor a country code",
                            1,
                            f"layer_questions[{i}].{attr}",
                            item,
                        )
        for i, lat in enumerate(spec.latency):
            place(lat.origin, f"latency[{i}].origin")
            place(lat.destination, f"latency[{i}].destination")
        for i, flow in enumerate(spec.flow_runs):
            scenario(flow.scenario, f"flow_runs[{i}].scenario")
        for i, dep in enumerate(spec.dependence_runs):
            scenario(dep.scenario, f"dependence_runs[{i}].scenario")
        for what, codes in (
            ("transit_countries", spec.transit_countries),
            ("criticality_countries", spec.criticality_countries),
            ("dependence_via", spec.dependence_via),
            ("dependent_country", (spec.dependent_country,) if spec.dependent_country else ()),
        ):
            for code in codes:
                self.country(file, 1, code, what)
        for i, rel in enumerate(spec.reliability_runs):
            place(rel.origin, f"reliability_runs[{i}].origin")
            place(rel.destination, f"reliability_runs[{i}].destination")
            commodity(rel.commodity, f"reliability_runs[{i}].commodity")
        elements = {*self.links, *self.crossings, *self.places, *self.countries}
        for i, dis in enumerate(spec.disruptions):
            for name in dis.close:
                bare = name.split(":", 1)[-1]
                if bare not in elements:
                    self.add(
                        file,
                        f"unknown element {name!r} (a link, crossing, place or country id)",
                        1,
                        f"disruptions[{i}].close",
                        name,
                    )

    def check_shapes(self) -> None:
        file = "shapes.geojson"
        seen: set[str] = set()
        for loc in self.raw.shapes:
            shape = loc.item
            link = self.links.get(shape.link)
            if link is None:
                self.add(file, f"unknown link id {shape.link!r}", loc.row, "link", shape.link)
                continue
            if shape.link in seen:
                self.add(file, f"link {shape.link!r} has two shapes", loc.row, "link", shape.link)
            seen.add(shape.link)
            for end, (lon, lat) in (
                (link.from_place, shape.coordinates[0]),
                (link.to_place, shape.coordinates[-1]),
            ):
                place = self.places.get(end)
                if place is not None and great_circle_km(place.lat, place.lon, lat, lon) > 100:
                    self.add(
                        file,
                        f"the shape of {shape.link!r} does not end within 100 km of {end!r} "
                        "(points run from the link's `from` to its `to`)",
                        loc.row,
                        "coordinates",
                        severity="warning",
                    )

    def check_observations(self) -> None:
        file = "observations.csv"
        rows = self.raw.tables.get("observations", [])
        self.unique(file, rows, "id")
        groups = (
            {g.id for g in self.raw.corridors.item.link_groups} if self.raw.corridors else set()
        )
        corridors = (
            {c.id for c in self.raw.corridors.item.corridors} | {self.raw.corridors.item.default}
            if self.raw.corridors
            else {"all"}
        )
        known: dict[str, set[str]] = {
            "place": set(self.places),
            "link": set(self.links),
            "crossing": set(self.crossings),
            "group": groups,
            "corridor": corridors,
            "commodity": set(self.commodities),
            "scenario": set(self.raw.scenarios),
            "country": set(self.countries),
        }
        kind_of = {
            "from": "place",
            "to": "place",
            "via": "place",
            "port": "place",
            "link": "link",
            "crossing": "crossing",
            "group": "group",
            "corridor": "corridor",
            "commodity": "commodity",
            "scenario": "scenario",
            "avoid": "country",
            "from_countries": "country",
            "to_countries": "country",
        }
        for loc in rows:
            obs = loc.item
            self.cited(file, loc.row, obs.source)
            q = obs.parsed
            for key, kind in kind_of.items():
                for value in q.items(key):
                    if value not in known[kind]:
                        self.add(
                            file,
                            f"query names unknown {kind} {value!r}" + _suggest(value, known[kind]),
                            loc.row,
                            "query",
                            value,
                            # an element the network lacks is a gap the check shows, not a
                            # broken row; an unknown name of the package's vocabulary is
                            severity="warning"
                            if kind in ("place", "link", "crossing")
                            else "error",
                        )

    def _unique_ids(self, file: str, what: str, ids: list[str]) -> None:
        for dup in sorted({x for x in ids if ids.count(x) > 1}):
            self.add(file, f"duplicate id {dup!r} in {what}", 1, what, dup)

    def _cycle(self, start: str) -> str:
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            sid, path = stack.pop()
            sc = self.raw.scenarios.get(sid)
            if sc is None:
                continue
            for parent in sc.item.extends:
                if parent == start:
                    return " -> ".join((*path, parent))
                if parent not in path:
                    stack.append((parent, (*path, parent)))
        return ""


def check_package(raw: RawPackage) -> list[Problem]:
    """Every problem of a package read by :func:`~overland.package.read_package`.

    When a file was refused (over a load limit, unreadable, or leading outside the
    package) the cross-table checks are skipped: without that file they would only
    repeat its absence as hundreds of unknown ids.
    """
    if raw.refused:
        skipped = Problem(
            raw.refused[0],
            "cross-table checks skipped until "
            + ", ".join(dict.fromkeys(raw.refused))
            + " can be read",
            severity="warning",
        )
        return sorted([*raw.problems, skipped], key=lambda p: (p.file, p.row or 0))
    problems = _Checker(raw).run()
    return sorted(problems, key=lambda p: (p.file, p.row or 0))
