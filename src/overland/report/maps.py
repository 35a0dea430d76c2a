"""Route maps over country outlines, drawn with matplotlib as SVG."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..route import Route
from .outlines import CountryOutline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..timeline import NetworkState

Extent = tuple[float, float, float, float]  # lon min, lon max, lat min, lat max

__all__ = ["flow_map_svg", "route_map_svg"]

COLOURS = ("#1f5aa6", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490", "#a16207")
MODE_STYLE = {"rail": "-", "road": "--", "ferry": ":", "sea": ":"}


def _extent(state: NetworkState, routes: Sequence[Route]) -> Extent:
    places = state.network.places
    lons = [places[p].lon for r in routes for p in r.places]
    lats = [places[p].lat for r in routes for p in r.places]
    x0, x1, y0, y1 = min(lons), max(lons), min(lats), max(lats)
    pad_x, pad_y = max(1.5, (x1 - x0) * 0.08), max(1.0, (y1 - y0) * 0.12)
    return x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y


def _canvas(outlines: Sequence[CountryOutline], extent: Extent) -> tuple[Figure, Axes]:
    """A map figure with the country outlines that reach into ``extent``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    x0, x1, y0, y1 = extent
    fig = Figure(figsize=(9, 5.6), layout="constrained")
    ax = fig.subplots()
    ax.set_facecolor("#e8f1f8")
    for c in outlines:
        bx0, by0, bx1, by1 = c.bbox()
        if bx1 < x0 or bx0 > x1 or by1 < y0 or by0 > y1:
            continue
        for poly in c.polygons:
            outer = poly[0]
            ax.fill(
                [p[0] for p in outer],
                [p[1] for p in outer],
                color="#f7f5ef",
                ec="#9a9a9a",
                lw=0.6,
                zorder=1,
            )
    return fig, ax


def _svg(fig: Figure, ax: Axes, extent: Extent, title: str) -> str:
    """Clip to ``extent`` with a local equal-distance aspect, title, and render as SVG."""
    x0, x1, y0, y1 = extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    ax.set_title(title, fontsize=11)
    ax.tick_params(labelsize=7)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def route_map_svg(
    state: NetworkState,
    routes: Sequence[Route],
    outlines: Sequence[CountryOutline],
    *,
    title: str = "",
    labels: Sequence[str] | None = None,
) -> str:
    """A map of ``routes`` over country outlines and the network open on the state's date."""
    net = state.network
    x0, x1, y0, y1 = _extent(state, routes)
    fig, ax = _canvas(outlines, (x0, x1, y0, y1))
    for link in state.links.values():
        if link.status != "open" or link.mode not in MODE_STYLE or link.mode == "sea":
            continue
        pa, pb = net.places[link.from_place], net.places[link.to_place]
        ax.plot(
            [pa.lon, pb.lon],
            [pa.lat, pb.lat],
            MODE_STYLE[link.mode],
            color="#b8b8b8",
            lw=0.6,
            zorder=2,
        )
    for i, r in enumerate(routes):
        colour = COLOURS[i % len(COLOURS)]
        label = labels[i] if labels else f"#{i + 1}"
        lons = [net.places[p].lon for p in r.places]
        lats = [net.places[p].lat for p in r.places]
        ax.plot(
            lons,
            lats,
            "-",
            color=colour,
            lw=3.0 - 0.3 * i,
            alpha=0.85,
            zorder=4 + i,
            label=f"{label}: {r.days:.1f} d, {r.cost_usd_per_t:.0f} USD/t",
        )
        for b in r.borders:
            post = net.places[b.place]
            ax.plot(post.lon, post.lat, "o", color=colour, ms=4, mec="white", zorder=10)
    ends = {r.origin for r in routes} | {r.destination for r in routes}
    for pid in ends:
        p = net.places[pid]
        ax.plot(p.lon, p.lat, "s", color="black", ms=5, zorder=11)
        ax.annotate(
            p.name, (p.lon, p.lat), xytext=(4, 4), textcoords="offset points", fontsize=8, zorder=12
        )
    ax.legend(fontsize=7, loc="lower left", framealpha=0.9)
    return _svg(fig, ax, (x0, x1, y0, y1), title)


def flow_map_svg(
    state: NetworkState,
    tonnes: dict[str, float],
    outlines: Sequence[CountryOutline],
    *,
    title: str = "",
    unit: tuple[float, str] = (1e6, "Mt/yr"),
) -> str:
    """Links drawn with a width proportional to the tonnes they carry (or to any other
    per-link value, scaled and named by ``unit`` in the title)."""
    net = state.network
    used = [lid for lid, t in tonnes.items() if t > 0]
    if not used:
        return ""
    ends = [
        net.places[p] for lid in used for p in (net.links[lid].from_place, net.links[lid].to_place)
    ]
    lons, lats = [p.lon for p in ends], [p.lat for p in ends]
    x0, x1 = min(lons) - 2, max(lons) + 2
    y0, y1 = min(lats) - 1.5, max(lats) + 1.5
    fig, ax = _canvas(outlines, (x0, x1, y0, y1))
    top = max(tonnes.values())
    colours = {"rail": "#1f3a5f", "road": "#d97706", "ferry": "#0e7490", "sea": "#0e7490"}
    for lid in used:
        link = net.links[lid]
        a, b = net.places[link.from_place], net.places[link.to_place]
        ax.plot(
            [a.lon, b.lon],
            [a.lat, b.lat],
            "-",
            color=colours.get(link.mode, "#555"),
            lw=0.5 + 8 * tonnes[lid] / top,
            alpha=0.8,
            solid_capstyle="round",
            zorder=3,
        )
    scale, name = unit
    return _svg(fig, ax, (x0, x1, y0, y1), title + f" (widest line {top / scale:,.1f} {name})")
