"""Build the report: the package's questions (``report.yaml``) answered with routes,
corridor flows, utility layers and resilience figures.

Every date defaults to the package's ``data_as_of``, so a report reads the same whenever
it is built. A package without ``report.yaml`` gets one built from what it has
(:func:`default_report_spec`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analyses.fit import FitResult, check
from ..errors import NoRouteError, OverlandError
from ..route import Route
from ..routing import shortest_route
from ..schema import SCHEMA_VERSION, CaseQuery, FlowRun, ReliabilityRun, ReportCase, ReportSpec
from .outlines import CountryOutline, read_outlines
from .resilience import Resilience, build_resilience

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["Case", "CaseRow", "LayerRow", "Report", "build_report", "default_report_spec"]

#: most route questions the default report asks
DEFAULT_PAIRS = 6


@dataclass(frozen=True)
class CaseRow:
    """One query of a case and its answer (a route, or why there is none)."""

    label: str
    query: CaseQuery
    route: Route | None
    reason: str | None = None


@dataclass(frozen=True)
class Case:
    """A question with its answers, map and chart."""

    id: str
    title: str
    question: str
    rows: tuple[CaseRow, ...]
    map_svg: str = ""
    chart_svg: str = ""


@dataclass(frozen=True)
class LayerRow:
    """One utility-layer question answered on the as-of date and under a scenario."""

    layer: str
    question: str
    unit: str
    as_of: float | None
    compared: float | None
    limit: str


@dataclass(frozen=True)
class Report:
    """Everything the report shows, and what it was built from."""

    spec: ReportSpec
    network_title: str
    as_of: dt.date
    cases: tuple[Case, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    layers: tuple[LayerRow, ...] = field(default_factory=tuple)
    flows: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # FlowsResult summaries
    flow_map_svg: str = ""
    resilience: Resilience | None = None
    built: dt.date | None = None
    fit: FitResult | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: every case row, flow run, resilience figure and layer row."""
        return {
            "title": self.spec.title,
            "network": self.network_title,
            "as_of": self.as_of.isoformat(),
            "cases": [
                {
                    "id": c.id,
                    "title": c.title,
                    "rows": [
                        {
                            "label": r.label,
                            "exists": r.route is not None,
                            "route": r.route.as_dict() if r.route else None,
                            "reason": r.reason,
                        }
                        for r in c.rows
                    ],
                }
                for c in self.cases
            ],
            "notes": list(self.notes),
            "flows": list(self.flows),
            "resilience": self.resilience.as_dict() if self.resilience else None,
            "fit": None
            if self.fit is None
            else {
                "summary": self.fit.summary(),
                "worst": [r.as_dict() for r in self.fit.worst(10)],
            },
            "layers": [
                {
                    "layer": lr.layer,
                    "question": lr.question,
                    "unit": lr.unit,
                    "as_of": lr.as_of,
                    "compared": lr.compared,
                    "compare_scenario": self.spec.compare_scenario,
                    "limited_by": lr.limit,
                }
                for lr in self.layers
            ],
        }


def _main_pairs(network: Network) -> list[tuple[str, str]]:
    """The package's main place pairs: its largest demand flows, or else the best
    connected freight places."""
    if network.demand:
        tonnes: dict[tuple[str, str], float] = {}
        for row in network.demand_for(network.manifest.data_as_of.year):
            key = (row.origin, row.destination)
            tonnes[key] = tonnes.get(key, 0.0) + row.tonnes_per_year
        pairs: list[tuple[str, str]] = []
        for a, b in sorted(tonnes, key=lambda k: -tonnes[k]):
            if (a, b) not in pairs and (b, a) not in pairs and a != b:
                pairs.append((a, b))
            if len(pairs) == DEFAULT_PAIRS:
                break
        return pairs
    degree: Counter[str] = Counter()
    for link in network.links.values():
        if link.is_freight:
            degree[link.from_place] += 1
            degree[link.to_place] += 1
    hubs = [p for p, _ in degree.most_common(4)]
    return [(a, b) for i, a in enumerate(hubs) for b in hubs[i + 1 :]][:DEFAULT_PAIRS]


def default_report_spec(network: Network) -> ReportSpec:
    """The report of a package without ``report.yaml``: routes between its main places,
    corridor flows (as of its date and with demand tripled) and criticality when it has
    demand, and the reliability of its largest flow."""
    places = network.places
    rows = tuple(
        CaseQuery(label=f"{places[o].name}→{places[d].name}", origin=o, destination=d)
        for o, d in _main_pairs(network)
    )
    cases = (
        (
            ReportCase(
                id="routes",
                title="Routes between the main places",
                question="How long and how costly is it to move freight between the places the "
                "package connects most, and which borders does it cross?",
                rows=rows,
            ),
        )
        if rows
        else ()
    )
    flow_runs: tuple[FlowRun, ...] = ()
    reliability: tuple[ReliabilityRun, ...] = ()
    if network.demand:
        flow_runs = (
            FlowRun(label="as of the data", map=True),
            FlowRun(label="demand x3", growth=3.0, bottlenecks=True),
        )
        if rows:
            reliability = (
                ReliabilityRun(
                    label=rows[0].label, origin=rows[0].origin, destination=rows[0].destination
                ),
            )
    return ReportSpec(
        schema_version=SCHEMA_VERSION,
        title=network.manifest.title,
        subtitle="routes, flows and resilience",
        cases=cases,
        flow_runs=flow_runs,
        reliability_runs=reliability,
    )


def _route(network: Network, q: CaseQuery) -> tuple[Route | None, str | None]:
    try:
        route = shortest_route(
            network,
            q.origin,
            q.destination,
            date=q.date,
            scenario=q.scenario,
            via=q.via,
            modes=q.modes or None,
            avoid_countries=q.avoid_countries,
            avoid_modes=q.avoid_modes,
            commodity=q.commodity,
        )
    except NoRouteError as exc:
        return None, str(exc)
    return route, None


def _case(network: Network, case: ReportCase, outlines: Sequence[CountryOutline]) -> Case:
    from .chart import route_chart_svg
    from .maps import route_map_svg

    rows = []
    for q in case.rows:
        route, reason = _route(network, q)
        rows.append(CaseRow(q.label, q, route, reason))
    found = [r for r in rows if r.route is not None]
    routes = [r.route for r in found if r.route is not None]
    labels = [f"#{rows.index(r) + 1}" for r in found]
    map_svg = chart_svg = ""
    if routes:
        state = network.as_of(routes[-1].date, routes[-1].scenario)
        if outlines:
            map_svg = route_map_svg(state, routes, outlines, title=case.title, labels=labels)
        chart_svg = route_chart_svg(routes, title=case.title, labels=labels)
    return Case(case.id, case.title, case.question, tuple(rows), map_svg, chart_svg)


def _layer_rows(network: Network, spec: ReportSpec) -> tuple[LayerRow, ...]:
    from ..analyses.layers import fibre_latency, max_capacity

    compare = spec.compare_scenario
    rows = []
    for q in spec.layer_questions:
        try:
            now = max_capacity(network, q.layer, q.sources, q.sinks)
            later = (
                max_capacity(network, q.layer, q.sources, q.sinks, scenario=compare)
                if compare
                else None
            )
        except OverlandError as exc:
            rows.append(LayerRow(q.layer, q.question, "", None, None, str(exc)))
            continue
        limit = ", ".join((later or now).min_cut)
        rows.append(
            LayerRow(
                q.layer, q.question, now.unit, now.value, later.value if later else None, limit
            )
        )
    for lq in spec.latency:
        values: list[float | None] = []
        for scenario in (None, compare) if compare else (None,):
            try:
                values.append(
                    fibre_latency(network, lq.origin, lq.destination, scenario=scenario).one_way_ms
                )
            except NoRouteError:
                values.append(None)
        rows.append(
            LayerRow(
                "fibre",
                lq.question,
                "ms",
                values[0],
                values[1] if compare else None,
                "light in fibre, 4.9 µs/km",
            )
        )
    return tuple(rows)


def _flow_runs(
    network: Network, spec: ReportSpec, outlines: Sequence[CountryOutline]
) -> tuple[tuple[dict[str, Any], ...], str]:
    """The package's demand loaded for each flow run (none without demand)."""
    from ..analyses.flows import corridor_flows
    from .maps import flow_map_svg

    if not network.demand:
        return (), ""
    runs: list[dict[str, Any]] = []
    map_svg = ""
    for run in spec.flow_runs:
        res = corridor_flows(network, date=run.date, scenario=run.scenario, growth=run.growth)
        runs.append({"label": run.label, "bottleneck_run": run.bottlenecks, **res.as_dict()})
        if run.map and outlines and not map_svg:
            tonnes = dict(zip(res.links["link"], res.links["tonnes"], strict=True))
            state = network.as_of(res.date, run.scenario)
            map_svg = flow_map_svg(
                state, tonnes, outlines, title=f"Tonnes per year, {run.label} ({res.date})"
            )
    return tuple(runs), map_svg


def build_report(
    network: Network,
    *,
    spec: ReportSpec | None = None,
    outlines: Sequence[CountryOutline] | None = None,
    outlines_path: Path | None = None,
    built: dt.date | None = None,
) -> Report:
    """Answer every question of ``spec`` (default: the package's ``report.yaml``, else
    :func:`default_report_spec`); draw maps (when outlines are available) and charts.
    ``built`` is only shown (the caller's date of building)."""
    spec = spec or network.report or default_report_spec(network)
    notes: list[str] = []
    if outlines is None:
        try:
            outlines = read_outlines(outlines_path)
        except FileNotFoundError as exc:
            outlines = []
            notes.append(str(exc))
    cases = tuple(_case(network, case, outlines) for case in spec.cases)
    flows, flow_map = _flow_runs(network, spec, outlines)
    return Report(
        spec=spec,
        network_title=network.manifest.title,
        as_of=network.manifest.data_as_of,
        cases=cases,
        notes=tuple(notes),
        layers=_layer_rows(network, spec),
        flows=flows,
        flow_map_svg=flow_map,
        resilience=build_resilience(network, spec, outlines),
        built=built,
        fit=check(network) if network.observations else None,
    )
