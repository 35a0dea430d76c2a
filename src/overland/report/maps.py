"""Route and flow maps over country outlines, drawn with matplotlib as SVG.

Maps are framed on what they show: the figure takes the shape of the routes' extent, and
when one route reaches far beyond the others (Yerevan to Duisburg beside Yerevan to Kars)
a second panel shows the detail. Links follow the course the package gives them
(``shapes.geojson``); a sea lane given only by its two ports whose length says it goes
around land is not drawn as a chord across the continent but marked at its ports. Place
labels are placed where they overlap no other label, or left out.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..route import Route
from .outlines import CountryOutline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..network import Network
    from ..timeline import NetworkState

Extent = tuple[float, float, float, float]  # lon min, lon max, lat min, lat max
Path = list[tuple[float, float]]  # (lon, lat) points

__all__ = ["COLOURS", "flow_map_svg", "route_label", "route_map_svg"]

#: Okabe-Ito: colour-blind-safe, and apart from the grey network beneath
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MODE_STYLE = {"rail": "-", "road": "--", "ferry": ":", "sea": ":", "air": "-."}
WIDTH_IN = 9.0


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, la2 = math.radians(a[1]), math.radians(b[1])
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2
    )
    return 12742 * math.asin(math.sqrt(min(1.0, h)))


def _course(network: Network, link_id: str) -> tuple[Path, bool]:
    """A link's drawn course from its ``from`` end, and whether it is only a chord that
    stands for a lane around land (a sea link much longer than the straight line)."""
    from ..export import link_coordinates

    pts = [(float(x), float(y)) for x, y in link_coordinates(network, link_id)]
    link = network.links[link_id]
    chord = (
        link.mode == "sea"
        and len(pts) == 2
        and (link.length_km or 0) > 1.3 * _km(pts[0], pts[1]) + 50
    )
    return pts, chord


def _route_paths(network: Network, route: Route) -> tuple[list[Path], list[Path]]:
    """The route as drawn segments (along each link's course) and the chords left out."""
    places = network.places
    drawn: list[Path] = []
    chords: list[Path] = []
    current: Path = []
    here = route.places[0]
    for lid in route.links:
        pts, chord = _course(network, lid)
        link = network.links[lid]
        if link.from_place != here:
            pts = pts[::-1]
        here = link.to_place if link.from_place == here else link.from_place
        if chord:
            if current:
                drawn.append(current)
            chords.append(pts)
            current = []
            continue
        current += pts if not current else pts[1:]
    if current:
        drawn.append(current)
    if not route.links:
        drawn.append([(places[p].lon, places[p].lat) for p in route.places])
    return drawn, chords


def _bbox(points: Sequence[tuple[float, float]]) -> Extent:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), max(xs), min(ys), max(ys)


def _pad(extent: Extent, share: float = 0.1, least: float = 0.6) -> Extent:
    x0, x1, y0, y1 = extent
    px, py = max(least, (x1 - x0) * share), max(least * 0.7, (y1 - y0) * share)
    return x0 - px, x1 + px, y0 - py, y1 + py


def _ratio(extent: Extent) -> float:
    """Height over width of the extent on a local equal-distance projection."""
    x0, x1, y0, y1 = extent
    return (y1 - y0) / max(1e-6, (x1 - x0) * math.cos(math.radians((y0 + y1) / 2)))


def _fit_ratio(extent: Extent, ratio: float) -> Extent:
    """``extent`` grown in one direction to the height/width ``ratio`` (no white bands)."""
    x0, x1, y0, y1 = extent
    now = _ratio(extent)
    if now < ratio:  # too wide: grow the height
        grow = (y1 - y0) * (ratio / now - 1) / 2
        return x0, x1, y0 - grow, y1 + grow
    grow = (x1 - x0) * (now / ratio - 1) / 2
    return x0 - grow, x1 + grow, y0, y1


def _new_figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _frame(ax: Axes, outlines: Sequence[CountryOutline], extent: Extent) -> None:
    """Outlines that reach into ``extent``, limits and a local equal-distance aspect that
    grows the limits (not white bands) to fill the panel."""
    x0, x1, y0, y1 = extent
    ax.set_facecolor("#e8f1f8")
    for c in outlines:
        bx0, by0, bx1, by1 = c.bbox()
        if bx1 < x0 - 5 or bx0 > x1 + 5 or by1 < y0 - 5 or by0 > y1 + 5:
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
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    ax.tick_params(labelsize=7)


def _network(ax: Axes, state: NetworkState, extent: Extent) -> None:
    net = state.network
    x0, x1, y0, y1 = _pad(extent, 0.5)
    for link in state.links.values():
        if link.status != "open" or link.mode not in MODE_STYLE:
            continue
        pts, chord = _course(net, link.id)
        if chord:
            continue
        lons, lats = [p[0] for p in pts], [p[1] for p in pts]
        if max(lons) < x0 or min(lons) > x1 or max(lats) < y0 or min(lats) > y1:
            continue
        ax.plot(lons, lats, MODE_STYLE[link.mode], color="#b8b8b8", lw=0.6, zorder=2)


def _place_labels(ax: Axes, labels: Sequence[tuple[float, float, str]]) -> None:
    """Each label at the first of eight positions around its point where it overlaps no
    label already placed and stays inside the map; else left out (its marker stays)."""
    fig = ax.get_figure()
    assert fig is not None
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.canvas.draw()
    frame = ax.get_window_extent(renderer)
    taken: list[Any] = []
    offsets = ((5, 4), (5, -12), (-5, 4), (-5, -12), (0, 8), (0, -16), (8, -4), (-8, -4))
    for lon, lat, text in labels:
        for dx, dy in offsets:
            t = ax.annotate(
                text,
                (lon, lat),
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else "right" if dx < 0 else "center",
                fontsize=8,
                zorder=12,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            )
            box = t.get_window_extent(renderer)
            inside = (
                box.x0 >= frame.x0
                and box.x1 <= frame.x1
                and box.y0 >= frame.y0
                and box.y1 <= frame.y1
            )
            if inside and not any(box.overlaps(b) for b in taken):
                taken.append(box)
                break
            t.remove()


def route_label(network: Network, route: Route, tag: str) -> str:
    """A route named for a legend: its tag, ends, scenario, corridor and countries."""
    from ..analyses.flows import corridor_of

    places = network.places
    corridors = network.corridors
    cid = corridor_of(route, corridors)
    names = {c.id: c.name.split(" (")[0] for c in corridors.corridors} if corridors else {}
    corridor = names.get(cid, "") if corridors else ""
    scenario = f", {route.scenario}" if route.scenario else ""
    via = f" ({corridor})" if corridor else ""
    return (
        f"{tag} {places[route.origin].name} → {places[route.destination].name}{scenario}{via}: "
        f"{'–'.join(route.countries)}, {route.days:.1f} d, {route.cost_usd_per_t:.0f} USD/t"
    )


def _draw_routes(
    ax: Axes, state: NetworkState, routes: Sequence[Route], legend: bool
) -> list[tuple[float, float, str]]:
    """Routes, widest first so that one on the same path as another shows as its edge;
    returns the labels to place (the ends)."""
    net = state.network
    n = len(routes)
    for i, r in enumerate(routes):
        colour = COLOURS[i % len(COLOURS)]
        drawn, chords = _route_paths(net, r)
        width = 1.8 + 1.1 * (n - 1 - i)
        for k, seg in enumerate(drawn):
            ax.plot(
                [p[0] for p in seg],
                [p[1] for p in seg],
                "-",
                color=colour,
                lw=width,
                alpha=0.95,
                solid_capstyle="round",
                zorder=4 + i,
                label="_" if k or not legend else f"r{i}",
            )
        for ch in chords:
            for end in (ch[0], ch[-1]):
                ax.plot(*end, marker="D", color=colour, ms=5, mec="white", zorder=10)
        for b in r.borders:
            post = net.places[b.place]
            ax.plot(post.lon, post.lat, "o", color=colour, ms=3.5, mec="white", mew=0.6, zorder=10)
    labels = []
    for pid in dict.fromkeys(p for r in routes for p in (r.origin, r.destination)):
        p = net.places[pid]
        ax.plot(p.lon, p.lat, "s", color="black", ms=5, zorder=11)
        labels.append((p.lon, p.lat, p.name))
    return labels


def _detail(state: NetworkState, routes: Sequence[Route]) -> Extent | None:
    """The extent of the routes that stay near (when another reaches far beyond them)."""
    net = state.network
    boxes = []
    for r in routes:
        pts = [pt for seg in _route_paths(net, r)[0] for pt in seg] or [
            (net.places[p].lon, net.places[p].lat) for p in r.places
        ]
        boxes.append(_bbox(pts))

    def size(b: Extent) -> float:
        return max(b[1] - b[0], b[3] - b[2], 0.5)

    whole = size(
        _bbox([(b[0], b[2]) for b in boxes] + [(b[1], b[3]) for b in boxes])  # all routes
    )
    near = [b for b in boxes if size(b) * 4 < whole]
    if not near or len(near) == len(boxes):
        return None
    return _pad(_bbox([(b[0], b[2]) for b in near] + [(b[1], b[3]) for b in near]), 0.15)


def route_map_svg(
    state: NetworkState,
    routes: Sequence[Route],
    outlines: Sequence[CountryOutline],
    *,
    title: str = "",
    labels: Sequence[str] | None = None,
) -> str:
    """A map of ``routes`` over country outlines and the network open on the state's date,
    with a detail panel when some routes stay near while another goes far; the legend
    (below the map) names each route by its ends, scenario, corridor and countries."""
    net = state.network
    all_pts: list[tuple[float, float]] = []
    for r in routes:
        drawn, chords = _route_paths(net, r)
        all_pts += [pt for seg in drawn for pt in seg] + [
            pt for ch in chords for pt in (ch[0], ch[-1])
        ]
    whole = _pad(_bbox(all_pts), 0.08)
    detail = _detail(state, routes)
    panels = [whole] if detail is None else [whole, detail]
    ratios = [min(1.6, max(0.45, _ratio(e))) for e in panels]
    panels = [_fit_ratio(e, q) for e, q in zip(panels, ratios, strict=True)]
    # panels side by side share the width in proportion to 1/ratio (equal heights)
    height = WIDTH_IN / sum(1 / q for q in ratios)
    fig = _new_figure(WIDTH_IN, height + 0.45 + 0.2 * len(routes))
    axes = fig.subplots(1, len(panels), width_ratios=[1 / q for q in ratios], squeeze=False)[0]
    for k, (ax, extent) in enumerate(zip(axes, panels, strict=True)):
        _frame(ax, outlines, extent)
        _network(ax, state, extent)
        ends = _draw_routes(ax, state, routes, legend=k == 0)
        if detail is not None:
            ax.set_title("the whole routes" if k == 0 else "detail", fontsize=9)
            if k == 0:
                x0, x1, y0, y1 = detail
                ax.add_patch(_rectangle((x0, y0), x1 - x0, y1 - y0))  # where the detail is
                ends = [e for e in ends if not (x0 <= e[0] <= x1 and y0 <= e[1] <= y1)]
        _place_labels(ax, ends)
    tags = list(labels) if labels else [f"#{i + 1}" for i in range(len(routes))]
    names = []
    for i, r in enumerate(routes):
        same = next((tags[j] for j in range(i) if routes[j].places == r.places), None)
        names.append(route_label(net, r, tags[i]) + (f" — same path as {same}" if same else ""))
    handles = [h for h in axes[0].get_lines() if h.get_label().startswith("r")]
    fig.legend(handles, names, loc="outside lower left", fontsize=7.5, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def _rectangle(xy: tuple[float, float], w: float, h: float) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, fill=False, ec="#52606d", lw=0.8, ls="--", zorder=13)


def flow_map_svg(
    state: NetworkState,
    tonnes: dict[str, float],
    outlines: Sequence[CountryOutline],
    *,
    title: str = "",
    unit: tuple[float, str] = (1e6, "Mt/yr"),
    cmap: str = "viridis_r",
) -> str:
    """Links drawn with a colour (on the scale beside the map) and a width proportional
    to the tonnes they carry, or to any other per-link value, scaled and named by
    ``unit``; sea lanes without a drawn course are counted in a note, not drawn."""
    import matplotlib as mpl

    net = state.network
    used = sorted((lid for lid, t in tonnes.items() if t > 0), key=lambda lid: tonnes[lid])
    if not used:
        return ""
    courses = {lid: _course(net, lid) for lid in used}
    drawn = [lid for lid in used if not courses[lid][1]]
    hidden = [lid for lid in used if courses[lid][1]]
    pts = [pt for lid in drawn for pt in courses[lid][0]] or [
        pt for lid in used for pt in courses[lid][0]
    ]
    extent = _pad(_bbox(pts), 0.05)
    ratio = min(1.1, max(0.45, _ratio(extent)))
    extent = _fit_ratio(extent, ratio)
    fig = _new_figure(WIDTH_IN, WIDTH_IN * 0.85 * ratio + 0.8)
    ax = fig.subplots()
    _frame(ax, outlines, extent)
    scale, name = unit
    top = max(tonnes[lid] for lid in used)
    norm = mpl.colors.Normalize(vmin=0, vmax=top / scale)
    colours = mpl.colormaps[cmap]
    for lid in drawn:
        line = courses[lid][0]
        ax.plot(
            [p[0] for p in line],
            [p[1] for p in line],
            "-",
            color=colours(norm(tonnes[lid] / scale)),
            lw=0.8 + 6 * tonnes[lid] / top,
            solid_capstyle="round",
            zorder=3,
        )
    bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=colours), ax=ax, shrink=0.8, pad=0.01)
    bar.set_label(f"{name} (colour; line width grows with it too)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    if hidden:
        top_hidden = max(hidden, key=lambda lid: tonnes[lid])
        link = net.links[top_hidden]
        ax.annotate(
            f"+ {len(hidden)} sea lane(s) around the continent not drawn, e.g. "
            f"{net.places[link.from_place].name}–{net.places[link.to_place].name}: "
            f"{tonnes[top_hidden] / scale:,.1f} {name}",
            xy=(0.01, 0.01),
            xycoords="axes fraction",
            fontsize=7,
            bbox={"fc": "white", "ec": "none", "alpha": 0.8},
        )
    if title:
        ax.set_title(title, fontsize=11)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()
