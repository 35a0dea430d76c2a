"""The resilience section of ``overland report``: what breaks, who depends on whom, how
reliable the wheat routes are, and what a week of storms or a closed pass costs."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .network import Network
    from .outlines import CountryOutline

__all__ = ["Resilience", "build_resilience", "resilience_html"]

#: countries whose elements the report's criticality table ranks
REGION = ("AM", "AZ", "GE")
#: (label, date, scenario) of the dependence columns; None date: the scenario's horizon
DEPENDENCE_RUNS: tuple[tuple[str, str | None, str | None], ...] = (
    ("before the ban was lifted (2025-06-01)", "2025-06-01", None),
    ("today", None, None),
    ("TRIPP", None, "tripp"),
    ("Margara open", None, "margara"),
)
#: (label, origin, destination, commodity, date) of the reliability rows
RELIABILITY_RUNS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Kazakh wheat to Yerevan, before the ban was lifted",
        "astana",
        "yerevan",
        "grain",
        "2025-06-01",
    ),
    ("Kazakh wheat to Yerevan, after", "astana", "yerevan", "grain", "2026-03-31"),
    ("Baku to Kars (BTK)", "baku", "kars", "containers", "2026-03-31"),
)
#: (label, elements closed, days)
DISRUPTIONS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    (
        "A storm closes the Caspian ferries for a week",
        ("ferry-alat-aktau", "ferry-alat-kuryk", "ferry-alat-turkmenbashi"),
        7.0,
    ),
    ("Upper Lars closes for 10 days", ("road-dariali-upper_lars",), 10.0),
)
SAMPLES = 50_000


@dataclass(frozen=True)
class Resilience:
    """Precomputed figures of the section."""

    date: dt.date
    failures: tuple[dict[str, Any], ...]
    failure_map_svg: str
    dependence: tuple[tuple[str, str, float, float], ...]  # run label, via, t share, VoT share
    reliability: tuple[dict[str, Any], ...]
    disruptions: tuple[dict[str, Any], ...]


def build_resilience(
    network: Network, outlines: Sequence[CountryOutline], today: dt.date
) -> Resilience | None:
    """Every figure of the section (None when the package has no demand)."""
    from .criticality import criticality
    from .dependence import country_dependence
    from .disruption import disrupt
    from .maps import flow_map_svg
    from .reliability import reliable_routes

    if not network.demand:
        return None
    region = tuple(c for c in REGION if c in network.countries)
    crit = criticality(network, date=today, countries=region)
    failures = tuple(crit.as_dict(12)["failures"])
    links = crit.table[crit.table["kind"] == "link"]
    impact = {
        str(i): float(v)
        for i, v in zip(links["id"], links["impact_usd_per_year"], strict=True)
        if v > 0
    }
    map_svg = ""
    if outlines and impact:
        map_svg = flow_map_svg(
            network.as_of(today),
            impact,
            outlines,
            title=f"Impact of losing each link, {today.isoformat()}",
            unit=(1e9, "bn USD/yr"),
        )
    dep = []
    for label, date, scenario in DEPENDENCE_RUNS:
        if scenario is not None and scenario not in network.scenarios:
            continue
        when = dt.date.fromisoformat(date) if date else (None if scenario else today)
        res = country_dependence(network, date=when, scenario=scenario)
        for via in ("GE", "AZ", "IR", "RU", "TR"):
            dep.append((label, via, res.share("AM", via), res.share("AM", via, by="value_of_time")))
    rel = []
    for label, origin, destination, commodity, date in RELIABILITY_RUNS:
        ranked = reliable_routes(
            network, origin, destination, k=3, n=SAMPLES, commodity=commodity, date=date
        )
        route, r = ranked[0]
        rel.append(
            {
                "label": label,
                "countries": " → ".join(route.countries),
                "alternatives": len(ranked),
                **r.to_dict(),
            }
        )
    dis = []
    for label, close, days in DISRUPTIONS:
        known = [c for c in close if c in network.links]
        if not known:
            continue
        d = disrupt(network, known, days, date=today).as_dict()
        d.pop("rows")
        dis.append({"label": label, **d})
    return Resilience(today, failures, map_svg, tuple(dep), tuple(rel), tuple(dis))


def _e(text: object) -> str:
    return html.escape(str(text))


def resilience_html(r: Resilience, strip: Any) -> list[str]:
    """The section as HTML fragments; ``strip`` turns an SVG document into inline SVG."""
    out = [
        "<section id='resilience'><h2>Resilience: single failures, dependence, reliability, "
        "disruptions</h2><p class='q'>Which single failure in Armenia, Azerbaijan or Georgia "
        f"hurts the package's trade most ({r.date.isoformat()}; impact = extra transport cost "
        "+ value of cargo left without a route), how much of Armenia's trade transits each "
        "neighbour, how reliable the wheat routes are (P50/P90 door-to-door from the dwell "
        "and wait distributions), and what a closure does.</p>",
        "<h3>Worst single failures</h3><table><thead><tr><th>kind</th><th>element</th>"
        "<th>impact USD/yr</th><th>extra cost USD/yr</th><th>unserved t</th>"
        "<th>rerouted t</th><th>flows hit</th></tr></thead><tbody>",
    ]
    for f in r.failures:
        out.append(
            f"<tr><td>{_e(f['kind'])}</td><td>{_e(f['name'])}</td>"
            f"<td class='n'>{f['impact_usd_per_year']:,}</td>"
            f"<td class='n'>{f['extra_cost_usd_per_year']:,}</td>"
            f"<td class='n'>{f['unserved_tonnes']:,}</td>"
            f"<td class='n'>{f['rerouted_tonnes']:,}</td><td class='n'>{f['ods_hit']}</td></tr>"
        )
    out.append("</tbody></table>")
    if r.failure_map_svg:
        out.append(f"<div class='fig map'>{strip(r.failure_map_svg)}</div>")
    runs = list(dict.fromkeys(label for label, *_ in r.dependence))
    out.append(
        "<h3>Armenia's trade by transit country (share of tonnes / of value of time)</h3>"
        "<table><thead><tr><th>via</th>"
        + "".join(f"<th>{_e(x)}</th>" for x in runs)
        + "</tr></thead><tbody>"
    )
    for via in dict.fromkeys(v for _, v, _, _ in r.dependence):
        cells = {label: (t, v) for label, w, t, v in r.dependence if w == via}
        out.append(
            f"<tr><td>{_e(via)}</td>"
            + "".join(f"<td class='n'>{cells[x][0]:.1%} / {cells[x][1]:.1%}</td>" for x in runs)
            + "</tr>"
        )
    out.append(
        "</tbody></table><h3>Reliability of the most reliable route (days)</h3><table><thead>"
        "<tr><th>shipment</th><th>countries</th><th>mean</th><th>P50</th><th>P90</th>"
        "<th>P95</th><th>buffer</th></tr></thead><tbody>"
    )
    for x in r.reliability:
        out.append(
            f"<tr><td>{_e(x['label'])}</td><td>{_e(x['countries'])}</td>"
            + "".join(
                f"<td class='n'>{x[k] / 24:.1f}</td>"
                for k in ("mean_h", "p50_h", "p90_h", "p95_h", "buffer_time_h")
            )
            + "</tr>"
        )
    out.append(
        "</tbody></table><h3>Disruptions</h3><table><thead><tr><th>event</th>"
        "<th>affected t</th><th>rerouted t</th><th>backlog t</th><th>cleared after (days)</th>"
        "<th>delay tonne-days</th><th>extra cost USD</th></tr></thead><tbody>"
    )
    for d in r.disruptions:
        out.append(
            f"<tr><td>{_e(d['label'])}</td><td class='n'>{d['affected_tonnes']:,}</td>"
            f"<td class='n'>{d['rerouted_tonnes']:,}</td>"
            f"<td class='n'>{d['backlog_tonnes']:,}</td>"
            f"<td class='n'>{d['clearance_days']}</td>"
            f"<td class='n'>{d['delay_tonne_days']:,}</td>"
            f"<td class='n'>{d['extra_cost_usd']:,}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out
