"""Cumulative time/cost–distance charts of routes (matplotlib).

Line-haul runs as slopes; border dwell, transfers and waits for a ferry as vertical
steps, as in the corridor-performance charts of the CAREC/UNESCAP methods.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from ..route import Route

__all__ = ["route_chart", "route_chart_svg"]

from .maps import COLOURS as _COLOURS


def _figure(routes: Sequence[Route], title: str, labels: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 6.2), layout="constrained")
    ax_t, ax_c = fig.subplots(2, 1, sharex=True)
    for i, r in enumerate(routes):
        colour = _COLOURS[i % len(_COLOURS)]
        tag = labels[i] if labels else f"#{i + 1}"
        label = f"{tag}: {'–'.join(r.countries)} ({r.days:.1f} d, {r.cost_usd_per_t:.0f} USD/t)"
        xs = [s.distance_km for s in r.steps]
        ax_t.plot(xs, [s.time_h / 24 for s in r.steps], color=colour, lw=1.8, label=label)
        ax_c.plot(xs, [s.cost_usd_per_t for s in r.steps], color=colour, lw=1.8)
        for s in r.steps:
            if s.kind == "border":
                ax_t.plot(s.distance_km, s.time_h / 24, "o", color=colour, ms=4)
                ax_c.plot(s.distance_km, s.cost_usd_per_t, "o", color=colour, ms=4)
            elif s.kind == "transfer":
                ax_t.plot(s.distance_km, s.time_h / 24, "s", color=colour, ms=4, mfc="white")
                ax_c.plot(s.distance_km, s.cost_usd_per_t, "s", color=colour, ms=4, mfc="white")
    ax_t.set_ylabel("cumulative time (days)")
    ax_c.set_ylabel("cumulative cost (USD/t)")
    ax_c.set_xlabel("distance (km)")
    ax_t.set_title(title, fontsize=11)
    ax_t.legend(fontsize=8, loc="upper left")
    for ax in (ax_t, ax_c):
        ax.grid(alpha=0.3)
    ax_c.annotate(
        "● border  □ transfer / gauge change  vertical: dwell, handling, waits",
        xy=(0.01, 0.97),
        xycoords="axes fraction",
        va="top",
        fontsize=8,
    )
    return fig


def route_chart_svg(
    routes: Sequence[Route], title: str = "", labels: Sequence[str] | None = None
) -> str:
    """The chart as an SVG document (text); ``labels`` name the routes (default #1, #2...)."""
    fig = _figure(routes, title, labels)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def route_chart(routes: Sequence[Route], path: Path | str, title: str = "") -> Path:
    """Write the chart to ``path``; the suffix (.svg or .png) picks the format."""
    from ..export import write_bytes_atomic

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        from ..errors import BadArgumentError

        raise BadArgumentError(f"chart file must end in .svg or .png, got {target.name!r}")
    fig = _figure(routes, title)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=130)
    return write_bytes_atomic(target, buf.getvalue())
