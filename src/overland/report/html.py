"""Render a :class:`~overland.report.builder.Report` as one self-contained HTML page."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .builder import CaseRow, Report
from .fit import fit_html
from .resilience import resilience_html

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["report_html"]

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
table{border-collapse:collapse;width:100%;font-size:.86rem;margin:.5rem 0 .3rem}
#flows table:first-of-type{font-size:.78rem}
th,td{border-bottom:1px solid #e4e7eb;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.no{color:#9b2c2c}
.fig{margin:.3rem 0 0;line-height:0}
.fig svg{width:100%;height:auto;display:block}
.figs{display:grid;grid-template-columns:1fr;gap:.5rem}
section>:last-child{margin-bottom:0}
h3{font-size:1rem;margin:.8rem 0 .2rem}
p.q{margin:.2rem 0 .5rem}
.note{color:#9b2c2c}
footer{color:#52606d;font-size:.8rem;max-width:1100px;margin:0 auto;padding:0 2rem 2rem}
"""


def _esc(text: object) -> str:
    return html.escape(str(text))


def _strip_xml(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _row_html(i: int, row: CaseRow, network: Network) -> str:
    r = row.route
    if r is None:
        return (
            f"<tr><td>#{i}</td><td>{_esc(row.label)}</td><td class='no'>no</td>"
            f"<td colspan='6' class='no'>{_esc(row.reason)}</td></tr>"
        )
    borders = ", ".join(
        f"{b.from_country}→{b.to_country} ({_place_name(network, b.place)})" for b in r.borders
    )
    return (
        f"<tr><td>#{i}</td><td>{_esc(row.label)}</td><td>yes</td>"
        f"<td class='n'>{r.days:.1f}</td><td class='n'>{r.cost_usd_per_t:.0f}</td>"
        f"<td class='n'>{r.distance_km:,.0f}</td><td>{_esc(' → '.join(r.countries))}</td>"
        f"<td>{_esc(borders)}</td><td class='n'>{r.gauge_changes}</td></tr>"
    )


def report_html(report: Report, network: Network) -> str:
    """The report as one self-contained HTML document (no external resources)."""
    spec = report.spec
    built = f" · built {report.built.isoformat()}" if report.built else ""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Overland — {_esc(spec.title)}</title><style>{_CSS}</style></head>",
        f"<body><header><h1>{_esc(spec.title)}</h1>",
        f"<div>{_esc(report.network_title)} · data as of {report.as_of.isoformat()}{built} by "
        f"Overland{' · ' + _esc(spec.subtitle) if spec.subtitle else ''}</div></header><main>",
    ]
    for note in report.notes:
        parts.append(f"<p class='note'>{_esc(note)}</p>")
    for case in report.cases:
        parts.append(f"<section id='{_esc(case.id)}'><h2>{_esc(case.title)}</h2>")
        parts.append(
            f"<p class='q'>{_esc(case.question)}</p><table><thead><tr><th></th>"
            "<th>case</th><th>route?</th><th>days</th><th>USD/t</th><th>km</th>"
            "<th>countries</th><th>borders</th><th>gauge changes</th></tr></thead><tbody>"
        )
        parts += [_row_html(i, row, network) for i, row in enumerate(case.rows, 1)]
        parts.append("</tbody></table><div class='figs'>")
        if case.map_svg:
            parts.append(f"<div class='fig map'>{_strip_xml(case.map_svg)}</div>")
        if case.chart_svg:
            parts.append(f"<div class='fig chart'>{_strip_xml(case.chart_svg)}</div>")
        parts.append("</div></section>")
    if report.fit is not None:
        parts += fit_html(report.fit, _id_names(network))
    parts += _flows_html(report, network)
    if report.resilience is not None:
        names = {c: network.countries[c].name for c in network.countries}
        parts += resilience_html(report.resilience, _strip_xml, names)
    parts += _layers_html(report, network)
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
        "</tbody></table></section></main><footer>Every number in the network cites a "
        "source; estimates are marked and explain themselves.</footer></body></html>"
    )
    return "\n".join(parts)


def _id_names(network: Network) -> dict[str, str]:
    """Names of every place, link and crossing id (a crossing by its link and countries)."""
    names = {pid: p.name for pid, p in network.places.items()}
    names |= {lid: _link_name(network, lid) for lid in network.links}
    for cid, c in network.crossings.items():
        names[cid] = f"{c.from_country}→{c.to_country} at {_link_name(network, c.link)}"
    return names


def _place_name(network: Network, place_id: str) -> str:
    place = network.places.get(place_id)
    return place.name if place else place_id


def _link_name(network: Network, link_id: str) -> str:
    link = network.links.get(link_id)
    if link is None:
        transfer = network.transfers.get(link_id)
        if transfer is None:
            return link_id
        only = f" ({', '.join(transfer.commodities)})" if transfer.commodities else ""
        place = network.places[transfer.place].name
        return f"{place}: {transfer.from_layer} ↔ {transfer.to_layer}{only}"
    if link.name:
        return link.name
    ends = f"{network.places[link.from_place].name}–{network.places[link.to_place].name}"
    return f"{ends} ({link.mode})"


def _flows_html(report: Report, network: Network) -> list[str]:
    if not report.flows:
        return []
    spec = report.spec
    corridors = sorted({c for f in report.flows for c in f["corridor_tonnes"]})
    groups = [(g["id"], g["name"]) for g in report.flows[0]["link_groups"][:1]]
    out = [
        "<section id='flows'><h2>Corridor flows: where capacity binds</h2><p class='q'>The "
        "package's demand loaded at user equilibrium (capacities; queues at ferries and "
        "border posts, Akçelik's function over a 90-day surge) and split over alternative "
        "routes (logit, at equilibrium costs) for corridor shares. "
        f"{_esc(spec.flows_note)}</p><table><thead><tr>"
        "<th>run</th><th>date</th><th>t/yr</th>"
        + "".join(f"<th>{_esc(name)} t</th>" for _, name in groups)
        + "<th>unserved t</th><th>shed t</th><th>above capacity t</th>"
        + "".join(f"<th>transit {_esc(c)} t</th>" for c in spec.transit_countries)
        + "".join(f"<th>{_esc(c)}</th>" for c in corridors)
        + "</tr></thead><tbody>"
    ]
    for f in report.flows:
        tonnes = {g["id"]: g["tonnes"] for g in f["link_groups"]}
        out.append(
            f"<tr><td>{_esc(f['label'])}</td><td>{f['date']}</td>"
            f"<td class='n'>{f['total_tonnes']:,}</td>"
            + "".join(f"<td class='n'>{tonnes.get(g, 0):,}</td>" for g, _ in groups)
            + f"<td class='n'>{f['unserved_tonnes']:,}</td>"
            + f"<td class='n'>{f['shed_tonnes']:,}</td>"
            + f"<td class='n'>{f['over_capacity_tonnes']:,}</td>"
            + "".join(
                f"<td class='n'>{f['transit_tonnes'].get(c, 0):,}</td>"
                for c in spec.transit_countries
            )
            + "".join(f"<td class='n'>{f['corridor_shares'].get(c, 0):.1%}</td>" for c in corridors)
            + "</tr>"
        )
    out.append("</tbody></table>")
    binding = next((f for f in report.flows if f["bottleneck_run"]), report.flows[-1])
    out.append(
        f"<h3>Bottlenecks: {_esc(binding['label'])}</h3><table><thead><tr>"
        "<th>link, post or terminal</th><th>t/yr (both ways)</th><th>capacity</th><th>V/C</th>"
        "<th>above capacity t/yr</th><th>added wait (days)</th><th>slot premium (USD/t)</th>"
        "<th>shed t/yr</th><th>what happens</th>"
        "</tr></thead><tbody>"
    )
    for b in binding["bottlenecks"][:12]:
        out.append(
            f"<tr><td>{_esc(_link_name(network, b['link']))}</td>"
            f"<td class='n'>{b['tonnes']:,}</td>"
            f"<td class='n'>{b['capacity']:,}</td><td class='n'>"
            f"{b['volume_capacity']:.2f}</td><td class='n'>{b['excess_tonnes']:,}</td>"
            f"<td class='n'>{b['wait_added_h'] / 24:.1f}</td>"
            f"<td class='n'>{b['premium_usd_per_t']:,.0f}</td>"
            f"<td class='n'>{b['shed_tonnes']:,}</td>"
            f"<td>{_esc(_what_happens(b, binding))}</td></tr>"
        )
    out.append(
        "</tbody></table><p class='q'>Capacity, V/C and the wait are the loaded "
        "direction's; the tonnes are both directions'. "
        "A V/C above 1 means more cargo arrives than the link "
        "or post can handle in a year: the equilibrium diverts what has a cheaper "
        "alternative, and the rest queues — the 'above capacity' tonnes wait into the next "
        "year, and the added wait is that queue's (Akçelik's function over a 90-day "
        "surge). Terminals sell their slots instead: the same queue is a "
        "premium on the price, and the shippers who value time least go another way "
        "first. No queue passes the wait limit (a week within the fit's tolerance, or a "
        "sourced surge's wait): what would wait longer is shed — it does not move in the "
        "year. Unserved tonnes are demand with no open route at all.</p>"
    )
    if report.flow_map_svg:
        out.append(f"<div class='fig map'>{_strip_xml(report.flow_map_svg)}</div>")
    out.append("</section>")
    return out


def _limit_names(network: Network, text: str) -> str:
    """A min cut's link ids as names (other text as it is)."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p in network.links for p in parts if p):
        return text
    return "; ".join(_link_name(network, p) for p in parts if p)


def _what_happens(b: dict[str, Any], run: dict[str, Any]) -> str:
    """One V/C in words: what passes, what queues, what diverts, what is unserved."""
    vc = b["volume_capacity"]
    if vc <= 1:
        return "within capacity" if vc < 0.9 else "near capacity: waits grow"
    unserved = run["unserved_tonnes"]
    rest = "none unserved" if not unserved else f"{unserved:,} t/yr of the run unserved"
    if b.get("shed_tonnes", 0) > 0:
        rest = f"{b['shed_tonnes']:,} t/yr shed at the wait limit; {rest}"
    if b.get("premium_usd_per_t", 0) > 0 and b["wait_added_h"] == 0:
        held = f"pay a slot premium of {b['premium_usd_per_t']:,.0f} USD/t"
    else:
        held = f"queue (+{b['wait_added_h'] / 24:.1f} d)"
    return (
        f"{b['capacity']:,} pass; {b['excess_tonnes']:,} {held}; cheaper detours already "
        f"taken; {rest}"
    )


def _layers_html(report: Report, network: Network) -> list[str]:
    if not report.layers:
        return []
    compare = report.spec.compare_scenario

    def cell(v: float | None) -> str:
        return "none" if v is None or v == 0 else f"{v:,.2f}"

    head: list[Any] = [f"as of {report.as_of.isoformat()}"]
    if compare:
        head.append(f"with {compare}")
    out = [
        "<section id='layers'><h2>Pipelines, fibre and power"
        + (f": what {_esc(compare)} adds" if compare else "")
        + "</h2><p class='q'>Maximum flow between regions (and fibre latency); 'none' "
        "means no line connects them.</p><table><thead><tr><th>layer</th><th>question</th>"
        + "".join(f"<th>{_esc(h)}</th>" for h in head)
        + "<th>unit</th><th>limited by</th></tr></thead><tbody>"
    ]
    for row in report.layers:
        out.append(
            f"<tr><td>{_esc(row.layer)}</td><td>{_esc(row.question)}</td>"
            f"<td class='n'>{cell(row.as_of)}</td>"
            + (f"<td class='n'>{cell(row.compared)}</td>" if compare else "")
            + f"<td>{_esc(row.unit)}</td><td>{_esc(_limit_names(network, row.limit))}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out
