"""The resilience section of the report: what breaks, who depends on whom, how reliable
the chosen shipments are, and what a closure costs (the questions from ``report.yaml``)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import NoRouteError

if TYPE_CHECKING:
    from ..network import Network
    from ..schema import ReportSpec
    from .outlines import CountryOutline

__all__ = ["Resilience", "build_resilience", "resilience_html"]

SAMPLES = 50_000


@dataclass(frozen=True)
class Resilience:
    """Precomputed figures of the section."""

    date: dt.date
    countries: tuple[str, ...]  # ranked elements are in these (all when empty)
    dependent: str | None  # the country whose trade the dependence table splits
    failures: tuple[dict[str, Any], ...]
    failure_map_svg: str
    dependence: tuple[tuple[str, str, float, float], ...]  # run label, via, t share, VoT share
    reliability: tuple[dict[str, Any], ...]
    disruptions: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures of the section."""
        return {
            "date": self.date.isoformat(),
            "countries": list(self.countries),
            "failures": list(self.failures),
            "dependent_country": self.dependent,
            "dependence": [
                {"run": run, "via": via, "share_tonnes": t, "share_value_of_time": v}
                for run, via, t, v in self.dependence
            ],
            "reliability": list(self.reliability),
            "disruptions": list(self.disruptions),
        }


def build_resilience(
    network: Network, spec: ReportSpec, outlines: Sequence[CountryOutline]
) -> Resilience | None:
    """Every figure of the section (None when the package has no demand), on the
    package's ``data_as_of`` date unless a run names its own."""
    from ..analyses.criticality import criticality
    from ..analyses.dependence import country_dependence
    from ..analyses.disruption import disrupt
    from ..analyses.reliability import reliable_routes
    from .maps import flow_map_svg

    if not network.demand:
        return None
    day = network.manifest.data_as_of
    region = tuple(c for c in spec.criticality_countries if c in network.countries)
    crit = criticality(network, date=day, countries=region)
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
            network.as_of(day),
            impact,
            outlines,
            title=f"Impact of losing each link, {day.isoformat()}",
            unit=(1e9, "bn USD/yr"),
            cmap="magma_r",
        )
    dep = []
    who = spec.dependent_country
    if who is not None:
        for run in spec.dependence_runs:
            res = country_dependence(network, date=run.date, scenario=run.scenario)
            for via in spec.dependence_via:
                dep.append(
                    (run.label, via, res.share(who, via), res.share(who, via, by="value_of_time"))
                )
    rel = []
    for rr in spec.reliability_runs:
        try:
            ranked = reliable_routes(
                network,
                rr.origin,
                rr.destination,
                k=3,
                n=SAMPLES,
                commodity=rr.commodity,
                date=rr.date,
            )
        except NoRouteError:
            continue
        route, r = ranked[0]
        rel.append(
            {
                "label": rr.label,
                "countries": " → ".join(route.countries),
                "alternatives": len(ranked),
                **r.as_dict(),
            }
        )
    dis = []
    for d in spec.disruptions:
        doc = disrupt(network, list(d.close), d.days, date=day).as_dict()
        doc.pop("rows")
        dis.append({"label": d.label, **doc})
    return Resilience(day, region, who, failures, map_svg, tuple(dep), tuple(rel), tuple(dis))


def _e(text: object) -> str:
    return html.escape(str(text))


def resilience_html(r: Resilience, strip: Any, names: dict[str, str] | None = None) -> list[str]:
    """The section as HTML fragments; ``strip`` turns an SVG document into inline SVG;
    ``names`` gives country names for their codes."""
    from ..analyses.disruption import clearance_words

    names = names or {}

    def country(code: str) -> str:
        return names.get(code, code)

    where = ", ".join(country(c) for c in r.countries) if r.countries else "the network"
    out = [
        "<section id='resilience'><h2>Resilience: single failures, dependence, reliability, "
        f"disruptions</h2><p class='q'>Which single failure in {_e(where)} hurts the "
        f"package's trade most ({r.date.isoformat()}; impact = extra transport cost + value "
        "of cargo left without a route)"
        + (
            f", how much of {_e(country(r.dependent))}'s trade transits each neighbour"
            if r.dependent
            else ""
        )
        + ", how reliable the chosen shipments are (P50/P90 door-to-door from the dwell and "
        "wait distributions), and what a closure does.</p>",
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
    if r.dependence and r.dependent:
        runs = list(dict.fromkeys(label for label, *_ in r.dependence))
        out.append(
            f"<h3>{_e(country(r.dependent))}'s trade by transit country (share of tonnes / "
            "of value of time)</h3><table><thead><tr><th>via</th>"
            + "".join(f"<th>{_e(x)}</th>" for x in runs)
            + "</tr></thead><tbody>"
        )
        for via in dict.fromkeys(v for _, v, _, _ in r.dependence):
            cells = {label: (t, v) for label, w, t, v in r.dependence if w == via}
            out.append(
                f"<tr><td>{_e(country(via))}</td>"
                + "".join(f"<td class='n'>{cells[x][0]:.1%} / {cells[x][1]:.1%}</td>" for x in runs)
                + "</tr>"
            )
        out.append("</tbody></table>")
    if r.reliability:
        out.append(
            "<h3>Reliability of the most reliable route (days)</h3><table><thead>"
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
        out.append("</tbody></table>")
    if r.disruptions:
        out.append(
            "<h3>Disruptions</h3><table><thead><tr><th>event</th>"
            "<th>affected t</th><th>rerouted t</th><th>backlog t</th>"
            "<th>round the backlog t</th>"
            "<th>backlog clears</th><th>delay tonne-days</th><th>extra cost USD</th>"
            "</tr></thead><tbody>"
        )
        for d in r.disruptions:
            out.append(
                f"<tr><td>{_e(d['label'])}</td><td class='n'>{d['affected_tonnes']:,}</td>"
                f"<td class='n'>{d['rerouted_tonnes']:,}</td>"
                f"<td class='n'>{d['backlog_tonnes']:,}</td>"
                f"<td class='n'>{d['diverted_after_reopening_tonnes']:,}</td>"
                f"<td>{_e(clearance_words(d))}</td>"
                f"<td class='n'>{d['delay_tonne_days']:,}</td>"
                f"<td class='n'>{d['extra_cost_usd']:,}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append("</section>")
    return out
