"""The report's section "How well the model fits the world": per-category summary for
the calibration and hold-out sets, a dot chart of model/observed ratios on a log scale
with each observation's tolerance band, and the worst misfits named."""

from __future__ import annotations

import html
import math
from typing import Any

from ..analyses.fit import Checked, FitResult

__all__ = ["fit_html", "ratio_chart_svg"]

_LO, _HI = 1 / 8, 8.0  # the chart's ratio range (log scale); beyond it dots sit on the edge


def _e(text: object) -> str:
    return html.escape(str(text))


def ratio_chart_svg(res: FitResult, *, width: int = 960) -> str:
    """One row per category; one dot per answered observation at model/observed (log
    scale), green within tolerance, red outside, hollow for the hold-out set."""
    cats = sorted({r.observation.category for r in res.rows})
    left, right, top, row_h = 110, 20, 30, 34
    height = top + row_h * len(cats) + 40
    span = math.log(_HI) - math.log(_LO)

    def x(ratio: float) -> float:
        clipped = min(max(ratio, _LO), _HI)
        return left + (width - left - right) * (math.log(clipped) - math.log(_LO)) / span

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"role='img' aria-label='model over observed, by category'>",
        "<style>text{font:12px system-ui,sans-serif;fill:#1f2933}</style>",
    ]
    for tick in (0.125, 0.25, 0.5, 1, 2, 4, 8):
        xt = x(tick)
        colour = "#1f2933" if tick == 1 else "#d5d8dc"
        parts.append(
            f"<line x1='{xt:.1f}' y1='{top - 8}' x2='{xt:.1f}' y2='{height - 30}' "
            f"stroke='{colour}' stroke-width='1'/>"
            f"<text x='{xt:.1f}' y='{height - 14}' text-anchor='middle'>×{tick:g}</text>"
        )
    for i, cat in enumerate(cats):
        y = top + row_h * i + row_h / 2
        parts.append(f"<text x='{left - 8}' y='{y + 4:.1f}' text-anchor='end'>{_e(cat)}</text>")
        rows = [r for r in res.rows if r.observation.category == cat and r.ratio]
        for j, r in enumerate(rows):
            jitter = ((j * 7) % 11 - 5) * 1.6
            colour = "#15803d" if r.within else "#b91c1c"
            fill = "white" if r.observation.holdout else colour
            title = f"{r.observation.id}: ×{r.ratio:.2f}"
            parts.append(
                f"<circle cx='{x(r.ratio or 1):.1f}' cy='{y + jitter:.1f}' r='4' "
                f"fill='{fill}' stroke='{colour}' stroke-width='1.5'><title>{_e(title)}"
                "</title></circle>"
            )
    parts.append(
        f"<text x='{left}' y='14'>model ÷ observed (log scale); green: within tolerance, "
        "red: outside; hollow: hold-out set</text></svg>"
    )
    return "".join(parts)


def _cell(value: Any, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def _named(query: str, names: dict[str, str]) -> str:
    """A query with the ids it names (places, links, crossings) as their names."""
    import re

    return re.sub(r"[A-Za-z0-9_.-]+", lambda m: names.get(m.group(0), m.group(0)), query)


def fit_html(res: FitResult, names: dict[str, str] | None = None) -> list[str]:
    """The section as HTML fragments; ``names`` turns ids in the queries into names."""
    names = names or {}
    s = res.summary()
    out = [
        "<section id='fit'><h2>How well the model fits the world</h2><p class='q'>Each "
        "published figure of the package's observations (transit times, border dwell, "
        "rates, distances, volumes, shares, capacities; docs/fit.md) against the model's "
        "value for the same query. A quarter of them, chosen by id before any fitting, is "
        "held out of calibration.</p><table><thead><tr><th>category</th><th>set</th>"
        "<th>n</th><th>answered</th><th>within tolerance</th><th>median ratio</th>"
        "<th>WAPE</th></tr></thead><tbody>"
    ]
    blocks = [("all", s), *sorted(s["by_category"].items())]
    for name, block in blocks:
        for split in ("calibration", "holdout"):
            st = block[split]
            if not st["count"]:
                continue
            out.append(
                f"<tr><td>{_e(name)}</td><td>{split}</td><td class='n'>{st['count']}</td>"
                f"<td class='n'>{st['answered']}</td><td class='n'>{st['within']} "
                f"({_cell(st['share_within'], '.0%')})</td>"
                f"<td class='n'>{_cell(st['median_ratio'], '.2f')}</td>"
                f"<td class='n'>{_cell(st['wape'], '.0%')}</td></tr>"
            )
    out.append("</tbody></table>")
    out.append(f"<div class='fig'>{ratio_chart_svg(res)}</div>")
    worst: list[Checked] = res.worst(10)
    if worst:
        out.append(
            "<h3>Worst misfits</h3><table><thead><tr><th>observation</th><th>year</th>"
            "<th>observed</th><th>model</th><th>ratio</th><th>query</th></tr></thead><tbody>"
        )
        for r in worst:
            o = r.observation
            out.append(
                f"<tr><td>{_e(o.id)}</td><td>{o.year}</td>"
                f"<td class='n'>{o.observed:,.4g} {_e(o.unit)}</td>"
                f"<td class='n'>{_cell(r.model, ',.4g')}</td>"
                f"<td class='n'>×{_cell(r.ratio, '.2f')}</td>"
                f"<td>{_e(_named(o.query, names))}</td></tr>"
            )
        out.append("</tbody></table>")
    missing = [r for r in res.rows if r.model is None]
    if missing:
        out.append(
            f"<p class='q'>{len(missing)} observation(s) the model cannot answer yet, e.g. "
            + "; ".join(f"{_e(r.observation.id)}: {_e(r.reason)}" for r in missing[:5])
            + ".</p>"
        )
    out.append("</section>")
    return out
