"""The peace-and-connectivity report: the seed articles' questions, answered with routes.

:func:`build_report` runs the cases (routes across dates and scenarios);
:func:`report_html` renders them as one self-contained HTML page with inline SVG maps
and time/cost–distance charts.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import NoRouteError
from .outlines import CountryOutline, read_outlines
from .resilience import Resilience, build_resilience, resilience_html
from .route import Route
from .routing import shortest_route

if TYPE_CHECKING:
    from .network import Network

__all__ = ["CASES", "Case", "CaseRow", "Report", "build_report", "report_html"]


@dataclass(frozen=True)
class CaseRow:
    """One query of a case and its answer (a route, or why there is none)."""

    label: str
    query: dict[str, Any]
    route: Route | None
    reason: str | None = None


@dataclass(frozen=True)
class Case:
    """A question from the articles with its answers, map and chart."""

    id: str
    title: str
    question: str
    rows: tuple[CaseRow, ...]
    map_svg: str = ""
    chart_svg: str = ""


@dataclass(frozen=True)
class LayerRow:
    """One utility-layer question answered today and under the TRIPP."""

    layer: str
    question: str
    unit: str
    today: float | None
    tripp: float | None
    limit: str


@dataclass(frozen=True)
class Report:
    """All cases, plus what the report was built from."""

    network_title: str
    built: dt.date
    cases: tuple[Case, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    layers: tuple[LayerRow, ...] = field(default_factory=tuple)
    flows: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # FlowsResult summaries
    flow_map_svg: str = ""
    resilience: Resilience | None = None


#: (layer, question, sources, sinks) answered with max flow today and under ``tripp``
LAYER_QUESTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("gas_pipeline", "Azerbaijan's gas grid (Hajigabul) to Nakhchivan", "hajigabul", "nakhchivan"),
    ("power", "Azerbaijan's grid (Ganja) to Nakhchivan", "ganja", "nakhchivan"),
    ("gas_pipeline", "Caspian gas (Sangachal) to Türkiye", "sangachal", "TR"),
    (
        "gas_pipeline",
        "Caspian gas (Sangachal) to Europe (Greece, Italy via TAP)",
        "sangachal",
        "GR,IT",
    ),
    (
        "oil_pipeline",
        "Caspian oil (Sangachal) to world markets (Ceyhan, Supsa, Novorossiysk)",
        "sangachal",
        "ceyhan,supsa,novorossiysk",
    ),
    ("power", "Azerbaijan to Türkiye", "AZ", "TR"),
)


def _layer_rows(network: Network) -> tuple[LayerRow, ...]:
    from .errors import NoRouteError, OverlandError
    from .utilities import fibre_latency, max_capacity

    rows = []
    for layer, question, src, snk in LAYER_QUESTIONS:
        try:
            today = max_capacity(network, layer, src, snk, date=NOW)
            tripp = max_capacity(network, layer, src, snk, scenario="tripp")
        except OverlandError as exc:
            rows.append(LayerRow(layer, question, "", None, None, str(exc)))
            continue
        rows.append(
            LayerRow(
                layer, question, today.unit, today.value, tripp.value, ", ".join(tripp.min_cut)
            )
        )
    lat: list[float | None] = []
    for kw in ({"date": NOW}, {"scenario": "tripp"}):
        try:
            lat.append(fibre_latency(network, "Baku", "Nakhchivan", **kw).one_way_ms)
        except NoRouteError:
            lat.append(None)
    rows.append(
        LayerRow(
            "fibre",
            "Baku to Nakhchivan, one-way latency",
            "ms",
            lat[0],
            lat[1],
            "light in fibre, 4.9 µs/km",
        )
    )
    return tuple(rows)


# Each case: (id, title, question, [(label, query kwargs)]). Dates are explicit so that the
# report reads the same whenever it is built; scenario rows use the scenario's horizon.
NOW = "2026-03-31"
CASES: tuple[tuple[str, str, str, list[tuple[str, dict[str, Any]]]], ...] = (
    (
        "wheat",
        "Russian and Kazakh wheat to Armenia, before and after the transit ban",
        "Could grain reach Armenia by rail through Azerbaijan before 21 October 2025, and what "
        "does the route of the November 2025 wheat trains look like?",
        [
            (
                "Moscow→Yerevan by rail via Baku, 2025-10-01",
                {
                    "origin": "Moscow",
                    "destination": "Yerevan",
                    "date": "2025-10-01",
                    "modes": ["rail"],
                    "via": "Baku",
                    "commodity": "grain",
                },
            ),
            (
                "Moscow→Yerevan by rail, 2025-10-01 (any way)",
                {
                    "origin": "Moscow",
                    "destination": "Yerevan",
                    "date": "2025-10-01",
                    "modes": ["rail"],
                    "commodity": "grain",
                },
            ),
            (
                "Moscow→Yerevan by rail, 2025-11-10",
                {
                    "origin": "Moscow",
                    "destination": "Yerevan",
                    "date": "2025-11-10",
                    "modes": ["rail"],
                    "commodity": "grain",
                },
            ),
            (
                "Dimitrovgrad→Yerevan by rail, 2025-11-10 (first wheat train)",
                {
                    "origin": "Dimitrovgrad",
                    "destination": "Yerevan",
                    "date": "2025-11-10",
                    "modes": ["rail"],
                    "commodity": "grain",
                },
            ),
            (
                "Astana→Yerevan, 2025-10-01",
                {
                    "origin": "Astana",
                    "destination": "Yerevan",
                    "date": "2025-10-01",
                    "modes": ["rail", "ferry"],
                    "commodity": "grain",
                },
            ),
            (
                "Astana→Yerevan, 2025-11-10",
                {
                    "origin": "Astana",
                    "destination": "Yerevan",
                    "date": "2025-11-10",
                    "modes": ["rail", "ferry"],
                    "commodity": "grain",
                },
            ),
        ],
    ),
    (
        "nakhchivan",
        "Baku to Nakhchivan: through Iran, through Georgia and Türkiye, or through the TRIPP",
        "How does mainland Azerbaijan reach its Nakhchivan exclave today, and what does the "
        "TRIPP through southern Armenia change?",
        [
            (
                f"today ({NOW}), any way",
                {"origin": "Baku", "destination": "Nakhchivan", "date": NOW},
            ),
            (
                f"today ({NOW}), avoiding Iran",
                {
                    "origin": "Baku",
                    "destination": "Nakhchivan",
                    "date": NOW,
                    "avoid_countries": ["IR"],
                },
            ),
            (
                "TRIPP (scenario tripp)",
                {
                    "origin": "Baku",
                    "destination": "Nakhchivan",
                    "scenario": "tripp",
                    "avoid_countries": ["IR"],
                },
            ),
        ],
    ),
    (
        "eurasia",
        "West China and Central Asia to Europe: Northern, Middle, Iranian and sea corridors",
        "Which corridor carries China–Europe freight, and can it go overland without Russia "
        "or Iran before and after the TRIPP?",
        [
            (
                "Northern: Xi'an→Duisburg via Moscow",
                {
                    "origin": "Xi'an",
                    "destination": "Duisburg",
                    "date": NOW,
                    "via": "Moscow",
                    "modes": ["rail"],
                    "commodity": "containers",
                },
            ),
            (
                "Middle Corridor: no RU, no IR, no deep sea",
                {
                    "origin": "Xi'an",
                    "destination": "Duisburg",
                    "date": NOW,
                    "avoid_countries": ["RU", "IR"],
                    "modes": ["rail", "ferry", "road"],
                    "commodity": "containers",
                },
            ),
            (
                "Via Iran: through Tehran, no RU or AZ",
                {
                    "origin": "Xi'an",
                    "destination": "Duisburg",
                    "date": NOW,
                    "via": "Tehran",
                    "avoid_countries": ["RU", "AZ"],
                    "modes": ["rail", "ferry", "road"],
                    "commodity": "containers",
                },
            ),
            (
                "By sea from Shanghai",
                {
                    "origin": "Xi'an",
                    "destination": "Duisburg",
                    "date": NOW,
                    "modes": ["rail", "sea"],
                    "via": "Shanghai",
                    "commodity": "containers",
                },
            ),
            (
                "Almaty→Duisburg overland without RU or IR, today",
                {
                    "origin": "Almaty",
                    "destination": "Duisburg",
                    "date": NOW,
                    "avoid_countries": ["RU", "IR"],
                    "avoid_modes": ["sea"],
                    "commodity": "containers",
                },
            ),
            (
                "… with TRIPP, Margara and Kars–Dilucu (open-caucasus)",
                {
                    "origin": "Almaty",
                    "destination": "Duisburg",
                    "scenario": "open-caucasus",
                    "avoid_countries": ["RU", "IR"],
                    "avoid_modes": ["sea"],
                    "commodity": "containers",
                },
            ),
        ],
    ),
    (
        "armenia",
        "Armenia's access to Türkiye, Georgia's ports, Iran and Europe under 'margara'",
        "What would reopening the Türkiye–Armenia border (Margara road, Kars–Gyumri railway) "
        "change for Armenian trade?",
        [
            (
                f"Yerevan→Kars today ({NOW})",
                {"origin": "Yerevan", "destination": "Kars", "date": NOW},
            ),
            (
                "Yerevan→Kars, margara",
                {"origin": "Yerevan", "destination": "Kars", "scenario": "margara"},
            ),
            (
                f"Yerevan→Poti today ({NOW})",
                {"origin": "Yerevan", "destination": "Poti", "date": NOW},
            ),
            (
                f"Yerevan→Tabriz today ({NOW})",
                {"origin": "Yerevan", "destination": "Tabriz", "date": NOW},
            ),
            (
                f"Yerevan→Duisburg today ({NOW})",
                {
                    "origin": "Yerevan",
                    "destination": "Duisburg",
                    "date": NOW,
                    "avoid_modes": ["sea"],
                },
            ),
            (
                "Yerevan→Duisburg, margara",
                {
                    "origin": "Yerevan",
                    "destination": "Duisburg",
                    "scenario": "margara",
                    "avoid_modes": ["sea"],
                },
            ),
        ],
    ),
)


def _run(network: Network, query: dict[str, Any]) -> tuple[Route | None, str | None]:
    kw = dict(query)
    origin, destination = kw.pop("origin"), kw.pop("destination")
    try:
        return shortest_route(network, origin, destination, **kw), None
    except NoRouteError as exc:
        return None, str(exc)


def build_report(
    network: Network,
    *,
    outlines: Sequence[CountryOutline] | None = None,
    outlines_path: Path | None = None,
    today: dt.date | None = None,
) -> Report:
    """Run every case; draw maps (when outlines are available) and charts."""
    from .chart import route_chart_svg
    from .maps import route_map_svg

    notes: list[str] = []
    if outlines is None:
        try:
            outlines = read_outlines(outlines_path)
        except FileNotFoundError as exc:
            outlines = []
            notes.append(str(exc))
    cases = []
    for cid, title, question, queries in CASES:
        rows = []
        for label, query in queries:
            route, reason = _run(network, query)
            rows.append(CaseRow(label, query, route, reason))
        found = [r for r in rows if r.route is not None]
        routes = [r.route for r in found if r.route is not None]
        labels = [f"#{rows.index(r) + 1}" for r in found]
        map_svg = chart_svg = ""
        if routes:
            state = network.as_of(routes[-1].date, routes[-1].scenario)
            if outlines:
                map_svg = route_map_svg(state, routes, outlines, title=title, labels=labels)
            chart_svg = route_chart_svg(routes, title=title, labels=labels)
        cases.append(Case(cid, title, question, tuple(rows), map_svg, chart_svg))
    flows, flow_map = _flow_runs(network, outlines, today or dt.date.today())
    return Report(
        network.manifest.title,
        today or dt.date.today(),
        tuple(cases),
        tuple(notes),
        _layer_rows(network),
        flows,
        flow_map,
        build_resilience(network, outlines, today or dt.date.today()),
    )


#: (label, date, scenario, growth) of the corridor-flow runs in the report; ``None`` date
#: means the scenario's own date, or the report's date without a scenario.
FLOW_RUNS: tuple[tuple[str, str | None, str | None, float], ...] = (
    ("2024 (calibration)", "2024-07-01", None, 1.0),
    ("today", None, None, 1.0),
    ("tripp", None, "tripp", 1.0),
    ("margara", None, "margara", 1.0),
    ("demand x3", None, None, 3.0),
)


def _flow_runs(
    network: Network, outlines: Sequence[CountryOutline], today: dt.date
) -> tuple[tuple[dict[str, Any], ...], str]:
    """The package's demand loaded for each of ``FLOW_RUNS`` (none without demand)."""
    from .flows import corridor_flows
    from .maps import flow_map_svg

    if not network.demand:
        return (), ""
    runs: list[dict[str, Any]] = []
    map_svg = ""
    for label, date, scenario, growth in FLOW_RUNS:
        if scenario is not None and scenario not in network.scenarios:
            continue
        when = date or (None if scenario else today)
        res = corridor_flows(network, date=when, scenario=scenario, growth=growth)
        runs.append({"label": label, **res.as_dict()})
        if label == "today" and outlines:
            tonnes = dict(zip(res.links["link"], res.links["tonnes"], strict=True))
            state = network.as_of(res.date, scenario)
            map_svg = flow_map_svg(state, tonnes, outlines, title="Tonnes per year, today")
    return tuple(runs), map_svg


# ----------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1f2933;
background:#fafaf7}
header{background:#1f3a5f;color:white;padding:1.2rem 2rem}
header h1{margin:0 0 .3rem 0;font-size:1.5rem}
main{max-width:1100px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:white;border:1px solid #e3e3dc;border-radius:8px;padding:1rem 1.4rem;
margin:1.4rem 0}
h2{font-size:1.2rem;margin:.2rem 0 .4rem}
.q{color:#52606d;font-style:italic;margin:.2rem 0 .8rem}
table{border-collapse:collapse;width:100%;font-size:.86rem;margin:.6rem 0}
th,td{border-bottom:1px solid #e4e7eb;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.no{color:#9b2c2c}
.fig svg{width:100%;height:auto}
.figs{display:grid;grid-template-columns:1fr;gap:.8rem}
.note{color:#9b2c2c}
footer{color:#52606d;font-size:.8rem;max-width:1100px;margin:0 auto;padding:0 2rem 2rem}
"""


def _esc(text: object) -> str:
    return html.escape(str(text))


def _row_html(i: int, row: CaseRow) -> str:
    r = row.route
    if r is None:
        return (
            f"<tr><td>#{i}</td><td>{_esc(row.label)}</td><td class='no'>no</td>"
            f"<td colspan='6' class='no'>{_esc(row.reason)}</td></tr>"
        )
    borders = ", ".join(f"{b.from_country}→{b.to_country}" for b in r.borders)
    return (
        f"<tr><td>#{i}</td><td>{_esc(row.label)}</td><td>yes</td>"
        f"<td class='n'>{r.days:.1f}</td><td class='n'>{r.cost_usd_per_t:.0f}</td>"
        f"<td class='n'>{r.distance_km:,.0f}</td><td>{_esc(' → '.join(r.countries))}</td>"
        f"<td>{_esc(borders)}</td><td class='n'>{r.gauge_changes}</td></tr>"
    )


def report_html(report: Report, network: Network) -> str:
    """The report as one self-contained HTML document (no external resources)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Overland — {_esc(report.network_title)}</title><style>{_CSS}</style></head>",
        "<body><header><h1>Peace and connectivity in the South Caucasus</h1>",
        f"<div>{_esc(report.network_title)} · built {report.built.isoformat()} by Overland · "
        "routes minimise money + value of time per tonne</div></header><main>",
    ]
    for note in report.notes:
        parts.append(f"<p class='note'>{_esc(note)}</p>")
    for case in report.cases:
        parts.append(f"<section id='{case.id}'><h2>{_esc(case.title)}</h2>")
        parts.append(
            f"<p class='q'>{_esc(case.question)}</p><table><thead><tr><th></th>"
            "<th>case</th><th>route?</th><th>days</th><th>USD/t</th><th>km</th>"
            "<th>countries</th><th>borders</th><th>gauge changes</th></tr></thead><tbody>"
        )
        parts += [_row_html(i, row) for i, row in enumerate(case.rows, 1)]
        parts.append("</tbody></table><div class='figs'>")
        if case.map_svg:
            parts.append(f"<div class='fig map'>{_strip_xml(case.map_svg)}</div>")
        if case.chart_svg:
            parts.append(f"<div class='fig chart'>{_strip_xml(case.chart_svg)}</div>")
        parts.append("</div></section>")
    parts += _flows_html(report)
    if report.resilience is not None:
        parts += resilience_html(report.resilience, _strip_xml)
    parts += _layers_html(report)
    parts.append(
        "<section id='timeline'><h2>Events on the timeline</h2><table><thead><tr>"
        "<th>date</th><th>status</th><th>event</th><th>source</th></tr></thead><tbody>"
    )
    for ev in network.events:
        src = network.sources[ev.source[0]]
        parts.append(
            f"<tr><td>{ev.date.isoformat()}</td><td>{ev.status}</td>"
            f"<td>{_esc(ev.title)}</td><td><a href='{_esc(src.url)}'>"
            f"{_esc(src.title[:60])}</a></td></tr>"
        )
    parts.append(
        "</tbody></table></section></main><footer>Figures: see docs/data.md; every "
        "number in the network cites a source, estimates are marked.</footer>"
        "</body></html>"
    )
    return "\n".join(parts)


def _flows_html(report: Report) -> list[str]:
    if not report.flows:
        return []
    corridors = sorted({c for f in report.flows for c in f["corridor_tonnes"]})
    out = [
        "<section id='flows'><h2>Corridor flows: where capacity binds</h2><p class='q'>The "
        "package's demand loaded at user equilibrium (capacities; queues at ferries and "
        "border posts, Akçelik's function over a 90-day surge) and split over alternative "
        "routes (logit, at equilibrium costs) for corridor shares. The 2024 Caspian crossing is "
        "calibrated to TITR's 3.3 Mt seaport tonnage (docs/data.md).</p><table><thead><tr>"
        "<th>run</th><th>date</th><th>t/yr</th><th>Caspian t (Kazakh ports–Alat)</th>"
        "<th>unserved t</th><th>transit AM t</th><th>transit AZ t</th><th>transit GE t</th>"
        + "".join(f"<th>{_esc(c)}</th>" for c in corridors)
        + "</tr></thead><tbody>"
    ]
    for f in report.flows:
        shares = "".join(
            f"<td class='n'>{f['corridor_shares'].get(c, 0):.1%}</td>" for c in corridors
        )
        out.append(
            f"<tr><td>{_esc(f['label'])}</td><td>{f['date']}</td>"
            f"<td class='n'>{f['total_tonnes']:,}</td><td class='n'>"
            f"{f['caspian_tonnes']:,}</td><td class='n'>{f['unserved_tonnes']:,}</td>"
            + "".join(
                f"<td class='n'>{f['transit_tonnes'].get(c, 0):,}</td>" for c in ("AM", "AZ", "GE")
            )
            + f"{shares}</tr>"
        )
    out.append(
        "</tbody></table><h3>Bottlenecks with demand x3</h3><table><thead><tr>"
        "<th>link or post</th><th>t/yr</th><th>capacity</th><th>V/C</th>"
        "<th>added wait (days)</th></tr></thead>"
        "<tbody>"
    )
    tripled = next((f for f in report.flows if f["label"] == "demand x3"), report.flows[0])
    for b in tripled["bottlenecks"][:12]:
        out.append(
            f"<tr><td>{_esc(b['link'])}</td><td class='n'>{b['tonnes']:,}</td>"
            f"<td class='n'>{b['capacity']:,}</td><td class='n'>"
            f"{b['volume_capacity']:.2f}</td><td class='n'>{b['wait_added_h'] / 24:.1f}</td></tr>"
        )
    out.append("</tbody></table>")
    if report.flow_map_svg:
        out.append(f"<div class='fig map'>{_strip_xml(report.flow_map_svg)}</div>")
    out.append("</section>")
    return out


def _layers_html(report: Report) -> list[str]:
    if not report.layers:
        return []

    def cell(v: float | None) -> str:
        return "none" if v is None or v == 0 else f"{v:,.2f}"

    out = [
        "<section id='layers'><h2>What the TRIPP adds to pipelines, fibre and power</h2>"
        f"<p class='q'>Maximum flow between regions (and fibre latency) today ({NOW}) and "
        "under the tripp scenario; 'none' means no line connects them.</p><table><thead><tr>"
        "<th>layer</th><th>question</th><th>today</th><th>with TRIPP</th><th>unit</th>"
        "<th>limited by</th></tr></thead><tbody>"
    ]
    for row in report.layers:
        out.append(
            f"<tr><td>{_esc(row.layer)}</td><td>{_esc(row.question)}</td>"
            f"<td class='n'>{cell(row.today)}</td><td class='n'>{cell(row.tripp)}</td>"
            f"<td>{_esc(row.unit)}</td><td>{_esc(row.limit)}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _strip_xml(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
