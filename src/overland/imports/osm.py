"""OpenStreetMap extracts (``.osm.pbf``, ``.osm``) to a network package, with pyosmium.

Two streaming passes keep memory bounded by what is imported, not by the file:

1. ways and tagged nodes, through osmium's C++ tag filter: railways, main roads and
   ferries are kept with their node references (an ``IdTracker`` records the nodes they
   need); stations, freight yards, ports and border posts are kept as points of
   interest;
2. the needed nodes only (the tracker's id filter skips every other node in C++) and
   their locations, held in sorted numpy arrays.

The ways are then split at junctions (:mod:`._graph`), lengths measured along the
geometry (haversine), points of interest placed on the graph, countries located from
the outlines, and crossings and transfers created (:mod:`._package`).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import BadArgumentError
from ._countries import CountryIndex, country_index
from ._draft import DraftLink, DraftPlace, ImportReport
from ._graph import Edges, haversine_km, simplify
from ._package import Defaults, Tables, build_tables

__all__ = ["ROAD_CLASSES", "OsmOptions", "import_osm", "osm_tables"]

#: road classes from the most to the least important; ``min_class`` keeps a prefix
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")
MODES = ("rail", "road", "ferry")
#: rail ``service`` values left out unless ``all_tracks``: parallel tracks in yards
MINOR_SERVICE = frozenset({"yard", "siding", "crossover"})
#: OSM gauge (mm) -> package gauge; 1524 mm (Finland) runs 1520 mm stock
GAUGES = {1520: "1520", 1524: "1520", 1435: "1435"}
_NOT_MAIN_STATION = frozenset({"subway", "light_rail", "monorail", "funicular", "miniature"})

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class OsmOptions:
    """What to import from an extract.

    Parameters
    ----------
    modes
        Any of ``rail``, ``road``, ``ferry``.
    min_class
        Least important road class kept (``motorway``, ``trunk``, ``primary`` ...);
        the ``_link`` ramps of kept classes come along.
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)``: ways are cut at its edge.
    default_gauge
        Gauge (``1520``, ``1435``, ``dual``) for railways without a ``gauge`` tag;
        without it they are left out and reported.
    all_tracks
        Keep yard tracks, sidings and crossovers too.
    snap_km
        How far a station, yard, port or border post off the lines may be placed on
        the nearest graph node.
    access_km
        How far an access link may reach from a station, yard or port to the nearest
        road node (and from a port to the nearest rail node).
    shapes
        Write ``shapes.geojson`` with each link's course.
    """

    modes: tuple[str, ...] = MODES
    min_class: str = "primary"
    bbox: tuple[float, float, float, float] | None = None
    default_gauge: str | None = None
    all_tracks: bool = False
    snap_km: float = 1.0
    access_km: float = 5.0
    shapes: bool = True
    name: str | None = None
    title: str | None = None
    defaults: Defaults = field(default_factory=Defaults)

    def __post_init__(self) -> None:
        bad = [m for m in self.modes if m not in MODES]
        if bad or not self.modes:
            raise BadArgumentError(
                f"unknown mode(s) {', '.join(bad) or '(none given)'}; valid: {', '.join(MODES)}"
            )
        if self.min_class not in ROAD_CLASSES:
            raise BadArgumentError(
                f"unknown road class {self.min_class!r}; valid: {', '.join(ROAD_CLASSES)}"
            )
        if self.default_gauge not in (None, "1520", "1435", "dual"):
            raise BadArgumentError(f"unknown gauge {self.default_gauge!r}; valid: 1520, 1435, dual")
        if self.bbox is not None:
            x0, y0, x1, y1 = self.bbox
            if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
                raise BadArgumentError(
                    f"bbox {self.bbox} is not lon_min,lat_min,lon_max,lat_max on the globe"
                )


@dataclass
class _Way:
    id: int
    mode: str
    name: str
    gauge: str | None = None
    direction: int = 0  # 1 oneway along, -1 against, 0 both ways
    speed_cap: float | None = None
    duration_h: float | None = None
    headway_h: float | None = None
    note: str = ""


@dataclass
class _Poi:
    osm: str  # n123 or w123
    kind: str  # station, terminal, port, border
    name: str
    lon: float = float("nan")
    lat: float = float("nan")
    node: int | None = None  # the node id of a point
    refs: tuple[int, int] | None = None  # an area's range in _Extract.area_refs


@dataclass
class _Extract:
    ways: list[_Way] = field(default_factory=list)
    refs: array[int] = field(default_factory=lambda: array("q"))
    offsets: array[int] = field(default_factory=lambda: array("q", [0]))
    pois: list[_Poi] = field(default_factory=list)
    area_refs: array[int] = field(default_factory=lambda: array("q"))
    node_ids: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    lon: FloatArray = field(default_factory=lambda: np.zeros(0))
    lat: FloatArray = field(default_factory=lambda: np.zeros(0))


# --------------------------------------------------------------------------- tags


def _number(text: str | None) -> float | None:
    if not text:
        return None
    m = re.match(r"\s*(\d+(?:\.\d+)?)\s*(mph)?", text)
    if not m:
        return None
    value = float(m.group(1))
    return value * 1.609344 if m.group(2) else value


def _hours(text: str | None) -> float | None:
    """OSM durations: ``hh:mm``, ``hh:mm:ss``, ``PT1H30M`` or minutes."""
    if not text:
        return None
    text = text.strip()
    if m := re.fullmatch(r"(\d+):(\d{1,2})(?::(\d{1,2}))?", text):
        h, mi, s = (int(g or 0) for g in m.groups())
        hours = h + mi / 60 + s / 3600
    elif m := re.fullmatch(r"P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?", text):
        d, h, mi = (int(g or 0) for g in m.groups())
        hours = d * 24 + h + mi / 60
    elif re.fullmatch(r"\d+", text):
        hours = int(text) / 60
    else:
        return None
    return hours if 0 < hours <= 2000 else None


def _gauge(tags: Any, way_id: int, options: OsmOptions, report: ImportReport) -> str | None:
    raw = tags.get("gauge")
    if raw is None:
        if options.default_gauge is None:
            report.note(
                "untagged_gauge",
                "railways without a gauge tag (left out; --default-gauge sets one)",
                f"way {way_id}",
            )
        return options.default_gauge
    values = {int(v) for v in re.findall(r"\d+", raw)}
    known = {GAUGES[v] for v in values if v in GAUGES}
    if not known:
        report.note(
            "unsupported_gauge",
            "railways of a gauge the package format has no layer for (left out)",
            f"way {way_id} gauge={raw}",
        )
        return None
    return "dual" if len(known) > 1 else known.pop()


def _name(tags: Any) -> str:
    for key in ("name:en", "name", "ref", "int_ref"):
        value = tags.get(key)
        if value:
            return str(value).strip()
    return ""


def _poi_kind(tags: Any) -> str | None:
    if tags.get("railway") == "station" and tags.get("station") not in _NOT_MAIN_STATION:
        return "station"
    if tags.get("railway") == "yard":
        return "terminal"
    if (
        tags.get("landuse") == "port"
        or tags.get("industrial") == "port"
        or tags.get("harbour") == "yes"
        or tags.get("amenity") == "ferry_terminal"
    ):
        return "port"
    if tags.get("barrier") == "border_control":
        return "border"
    return None


def _way_of(obj: Any, options: OsmOptions, report: ImportReport) -> _Way | None:
    tags = obj.tags
    wid = int(obj.id)
    road_classes = ROAD_CLASSES[: ROAD_CLASSES.index(options.min_class) + 1]
    if tags.get("railway") == "rail" and "rail" in options.modes:
        service = tags.get("service")
        if service in MINOR_SERVICE and not options.all_tracks:
            return None
        gauge = _gauge(tags, wid, options, report)
        if gauge is None:
            return None
        bits = [
            f"{k}={tags.get(k)}"
            for k in ("gauge", "usage", "service", "electrified", "maxspeed")
            if tags.get(k)
        ]
        if tags.get("gauge", "").strip() == "1524":
            bits.append("1524 mm runs 1520 mm stock: layer rail_1520")
        return _Way(
            wid, "rail", _name(tags), gauge, 0, _number(tags.get("maxspeed")), note="; ".join(bits)
        )
    highway = tags.get("highway", "")
    if "road" in options.modes and highway.removesuffix("_link") in road_classes:
        oneway = tags.get("oneway", "")
        direction = 1 if oneway in ("yes", "true", "1") else -1 if oneway == "-1" else 0
        if highway == "motorway" and oneway != "no":
            direction = direction or 1
        note = f"highway={highway}" + (
            f"; maxspeed={tags.get('maxspeed')}" if "maxspeed" in tags else ""
        )
        return _Way(
            wid, "road", _name(tags), None, direction, _number(tags.get("maxspeed")), note=note
        )
    if tags.get("route") == "ferry" and "ferry" in options.modes:
        return _Way(
            wid,
            "ferry",
            _name(tags),
            None,
            0,
            None,
            _hours(tags.get("duration")),
            _hours(tags.get("interval")),
            note="route=ferry",
        )
    return None


# --------------------------------------------------------------------------- passes


def _filter_pairs(options: OsmOptions) -> list[tuple[str, str]]:
    pairs = [
        ("railway", "rail"),
        ("railway", "station"),
        ("railway", "yard"),
        ("route", "ferry"),
        ("barrier", "border_control"),
        ("landuse", "port"),
        ("industrial", "port"),
        ("harbour", "yes"),
        ("amenity", "ferry_terminal"),
    ]
    for cls in ROAD_CLASSES[: ROAD_CLASSES.index(options.min_class) + 1]:
        pairs += [("highway", cls), ("highway", f"{cls}_link")]
    return pairs


def _read(path: Path, options: OsmOptions, report: ImportReport) -> _Extract:
    import osmium

    ex = _Extract()
    tracker = osmium.IdTracker()
    try:
        first = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_filter(
            osmium.filter.TagFilter(*_filter_pairs(options))
        )
        for item in first:
            obj: Any = item
            if obj.is_node():
                kind = _poi_kind(obj.tags)
                if kind and obj.location.valid():
                    ex.pois.append(
                        _Poi(
                            f"n{obj.id}",
                            kind,
                            _name(obj.tags),
                            obj.location.lon,
                            obj.location.lat,
                            node=int(obj.id),
                        )
                    )
                continue
            way = _way_of(obj, options, report)
            if way is not None:
                ex.ways.append(way)
                ex.refs.extend(n.ref for n in obj.nodes)
                ex.offsets.append(len(ex.refs))
                tracker.add_references(obj)
            elif (kind := _poi_kind(obj.tags)) is not None:
                start = len(ex.area_refs)
                ex.area_refs.extend(n.ref for n in obj.nodes)
                ex.pois.append(
                    _Poi(f"w{obj.id}", kind, _name(obj.tags), refs=(start, len(ex.area_refs)))
                )
                tracker.add_references(obj)
        ids: array[int] = array("q")
        lons: array[float] = array("d")
        lats: array[float] = array("d")
        second = osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(tracker.id_filter())
        for found in second:
            node: Any = found
            if node.location.valid():
                ids.append(node.id)
                lons.append(node.location.lon)
                lats.append(node.location.lat)
    except RuntimeError as exc:  # libosmium's I/O and format errors
        raise BadArgumentError(f"cannot read OSM file {path}: {exc}") from exc
    order = np.argsort(np.frombuffer(ids, dtype=np.int64), kind="stable")
    ex.node_ids = np.frombuffer(ids, dtype=np.int64)[order]
    ex.lon = np.frombuffer(lons, dtype=np.float64)[order]
    ex.lat = np.frombuffer(lats, dtype=np.float64)[order]
    report.counts.update(
        ways=len(ex.ways),
        **{f"{m}_ways": sum(1 for w in ex.ways if w.mode == m) for m in options.modes},
        points_of_interest=len(ex.pois),
        nodes_located=len(ex.node_ids),
    )
    return ex


# --------------------------------------------------------------------------- graph


def _positions(ex: _Extract, refs: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    pos = np.searchsorted(ex.node_ids, refs)
    pos = np.minimum(pos, max(len(ex.node_ids) - 1, 0))
    found = ex.node_ids[pos] == refs if len(ex.node_ids) else np.zeros(len(refs), dtype=bool)
    return pos.astype(np.int64), found


def _in_box(
    lon: FloatArray, lat: FloatArray, bbox: Iterable[float] | None
) -> npt.NDArray[np.bool_]:
    if bbox is None:
        return np.ones(len(lon), dtype=bool)
    x0, y0, x1, y1 = bbox
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def _check_ways(
    ex: _Extract, found: npt.NDArray[np.bool_], inside: npt.NDArray[np.bool_], report: ImportReport
) -> None:
    offsets = np.frombuffer(ex.offsets, dtype=np.int64)
    missing = np.add.reduceat(~found, offsets[:-1]) if len(found) else np.zeros(0, int)
    clipped = np.add.reduceat(found & ~inside, offsets[:-1]) if len(found) else missing
    for i in np.flatnonzero(missing).tolist():
        w = ex.ways[i]
        report.note(
            "dangling_way",
            "ways whose nodes are missing from the extract (cut at the extract's edge or "
            "broken; the parts between nodes that are there are kept)",
            f"{w.mode} way {w.id}: {int(missing[i])} of "
            f"{int(offsets[i + 1] - offsets[i])} nodes missing",
        )
    n_clipped = int(np.count_nonzero(clipped))
    if n_clipped:
        report.counts["ways_cut_by_bbox"] = n_clipped


def _graph(
    ex: _Extract, options: OsmOptions, report: ImportReport
) -> tuple[Edges, npt.NDArray[np.bool_]]:
    refs = np.frombuffer(ex.refs, dtype=np.int64)
    pos, found = _positions(ex, refs)
    inside = found & _in_box(ex.lon[pos], ex.lat[pos], options.bbox)
    _check_ways(ex, found, inside, report)
    poi_nodes = np.array([p.node for p in ex.pois if p.node is not None], dtype=np.int64)
    ppos, pfound = _positions(ex, poi_nodes)
    edges = simplify(
        np.frombuffer(ex.offsets, dtype=np.int64), pos, inside, ex.lon, ex.lat, ppos[pfound]
    )
    on_graph = np.zeros(len(ex.node_ids), dtype=bool)
    on_graph[edges.a] = True
    on_graph[edges.b] = True
    return edges, on_graph


# --------------------------------------------------------------------------- drafts


def _edge_links(
    ex: _Extract, edges: Edges, options: OsmOptions, report: ImportReport
) -> list[DraftLink]:
    d = options.defaults
    a_ids = ex.node_ids[edges.a].tolist()
    b_ids = ex.node_ids[edges.b].tolist()
    way_km = np.bincount(edges.way, weights=edges.length_km, minlength=len(ex.ways))
    links: list[DraftLink] = []
    seen: set[str] = set()
    for i, wi in enumerate(edges.way.tolist()):
        w = ex.ways[wi]
        na, nb = a_ids[i], b_ids[i]
        if na == nb:
            report.note(
                "loop",
                "stretches that leave a node and come back to it with no junction between "
                "(dropped: no route uses them)",
                f"{w.mode} way {w.id}",
            )
            continue
        rev = w.direction == -1
        if rev:
            na, nb = nb, na
        lid = f"w{w.id}-{na}-{nb}"
        k = 2
        while lid in seen:
            lid = f"w{w.id}-{na}-{nb}-{k}"
            k += 1
        seen.add(lid)
        length = float(edges.length_km[i])
        cap = w.speed_cap
        speed = min(cap, 160.0) if cap and cap < d.modes[w.mode][0] else None
        note, estimate, headway = w.note, False, w.headway_h
        duration = None
        if w.duration_h is not None and way_km[wi] > 0:
            duration = max(w.duration_h * length / way_km[wi], 0.01)
        if w.mode == "ferry" and headway is None:
            headway, estimate = d.ferry_headway_h, True
            note += f"; headway {headway:g} h is the import default (docs/import.md)"
        links.append(
            DraftLink(
                id=lid,
                from_place=f"n{na}",
                to_place=f"n{nb}",
                mode=w.mode,
                length_km=length,
                name=w.name,
                gauge=w.gauge,
                speed_kmh=speed,
                duration_h=duration,
                headway_h=headway,
                directed=w.direction != 0,
                note=note,
                estimate=estimate,
                shape=(int(edges.start[i]), int(edges.stop[i]), rev),
            )
        )
    return links


def _xyz(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Points on a sphere of the Earth's radius: chord distances are km."""
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]) * 6371.0


class _Nearest:
    """Nearest graph node of a mode (scipy's KD-tree on 3-D points)."""

    def __init__(self, places: dict[str, DraftPlace], modes_at: dict[str, set[str]]) -> None:
        from scipy.spatial import cKDTree

        self.trees: dict[str, tuple[Any, list[str]]] = {}
        for mode in ("rail", "road", "ferry", "any"):
            ids = [p for p, ms in modes_at.items() if mode == "any" or mode in ms]
            if ids:
                pts = _xyz(
                    np.array([places[p].lon for p in ids]), np.array([places[p].lat for p in ids])
                )
                self.trees[mode] = (cKDTree(pts), ids)

    def find(self, mode: str, lon: float, lat: float, km: float) -> str | None:
        if mode not in self.trees:
            return None
        tree, ids = self.trees[mode]
        dist, i = tree.query(_xyz(np.array([lon]), np.array([lat]))[0], distance_upper_bound=km)
        return None if not np.isfinite(dist) else ids[int(i)]


def _place_pois(
    ex: _Extract,
    places: dict[str, DraftPlace],
    near: _Nearest,
    options: OsmOptions,
    report: ImportReport,
) -> None:
    want = {"station": "rail", "terminal": "rail", "border": "road", "port": "any"}
    for poi in ex.pois:
        pid = f"n{poi.node}" if poi.node is not None else None
        if pid is None or pid not in places:
            lon, lat = poi.lon, poi.lat
            if poi.refs is not None:
                pos, found = _positions(
                    ex, np.frombuffer(ex.area_refs, dtype=np.int64)[slice(*poi.refs)]
                )
                if not found.any():
                    report.note("poi_unlocated", "areas whose nodes are missing", poi.osm)
                    continue
                lon, lat = float(ex.lon[pos[found]].mean()), float(ex.lat[pos[found]].mean())
            if not _in_box(np.array([lon]), np.array([lat]), options.bbox)[0]:
                continue
            radius = options.access_km if poi.kind == "port" else options.snap_km
            pid = near.find(want[poi.kind], lon, lat, radius)
            if pid is None:
                report.note(
                    "unplaced_poi",
                    f"stations, yards, ports and border posts farther than {options.snap_km:g} "
                    f"km (ports {options.access_km:g} km) from an imported line",
                    f"{poi.kind} {poi.osm} {poi.name!r}",
                )
                continue
        place = places[pid]
        if place.kind == "junction":
            place.kind = poi.kind
            place.name = poi.name or place.name
            place.note = f"OSM {poi.osm}" if poi.osm != pid else place.note
        elif poi.name and poi.name != place.name:
            place.aliases.append(poi.name)
        place.hub = place.hub or poi.kind in ("station", "terminal", "port")
        report.count(f"{poi.kind}s")


def _access_links(
    places: dict[str, DraftPlace],
    modes_at: dict[str, set[str]],
    gauges_at: dict[str, set[str]],
    near: _Nearest,
    options: OsmOptions,
) -> list[DraftLink]:
    out = []
    for pid, place in places.items():
        if not place.hub:
            continue
        here = modes_at.get(pid, set())
        wanted = ["road"] + (["rail"] if place.kind == "port" else [])
        for mode in wanted:
            if mode in here or mode not in options.modes:
                continue
            target = near.find(mode, place.lon, place.lat, options.access_km)
            if target is None or target == pid:
                continue
            t = places[target]
            straight = float(
                haversine_km(
                    np.array([place.lon]),
                    np.array([place.lat]),
                    np.array([t.lon]),
                    np.array([t.lat]),
                )[0]
            )
            gauge = None
            if mode == "rail":
                g = gauges_at.get(target, set())
                gauge = "dual" if len(g) > 1 or "dual" in g else next(iter(g), "1520")
            out.append(
                DraftLink(
                    id=f"a-{pid}-{target}-{mode}",
                    from_place=pid,
                    to_place=target,
                    mode=mode,
                    length_km=max(straight * 1.2, 0.01),
                    name=f"access to {place.name}",
                    gauge=gauge,
                    estimate=True,
                    source="overland-import-defaults",
                    note=f"access {mode}: 1.2 x the straight line to the nearest imported "
                    f"{mode} node (docs/import.md)",
                )
            )
    return out


def _drafts(
    ex: _Extract, edges: Edges, options: OsmOptions, report: ImportReport
) -> tuple[list[DraftPlace], list[DraftLink]]:
    links = _edge_links(ex, edges, options, report)
    places: dict[str, DraftPlace] = {}
    modes_at: dict[str, set[str]] = {}
    gauges_at: dict[str, set[str]] = {}
    used = np.unique(np.concatenate([edges.a, edges.b]))
    for pos, osm in zip(used.tolist(), ex.node_ids[used].tolist(), strict=True):
        places[f"n{osm}"] = DraftPlace(
            f"n{osm}", f"node {osm}", float(ex.lat[pos]), float(ex.lon[pos])
        )
    for link in links:
        for end in (link.from_place, link.to_place):
            modes_at.setdefault(end, set()).add(link.mode)
            if link.gauge:
                gauges_at.setdefault(end, set()).add(link.gauge)
            if link.mode == "ferry":
                p = places[end]
                p.hub = True
                p.kind = "port" if p.kind == "junction" else p.kind
    near = _Nearest(places, modes_at)
    _place_pois(ex, places, near, options, report)
    access = _access_links(places, modes_at, gauges_at, near, options)
    report.counts["access_links"] = len(access)
    return list(places.values()), links + access


def _extract_date(path: Path) -> date:
    import osmium

    try:
        stamp = osmium.FileProcessor(str(path)).header.get("osmosis_replication_timestamp")
    except RuntimeError:
        stamp = ""
    if stamp:
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()


def _package_name(options: OsmOptions, out: Path) -> str:
    name = options.name or re.sub(r"[^a-z0-9_\-]+", "-", out.name.lower()).strip("-_")
    return name if re.match(r"^[a-z0-9]", name or "") else f"osm-{name}".rstrip("-")


def osm_tables(
    path: Path | str,
    out: Path | str,
    *,
    options: OsmOptions,
    index: CountryIndex,
    report: ImportReport,
) -> Tables:
    """The package tables of an OSM extract (nothing written)."""
    src = Path(path)
    if not src.is_file():
        raise BadArgumentError(f"OSM extract {src} not found")
    ex = _read(src, options, report)
    if not ex.ways:
        raise BadArgumentError(
            f"{src} has no {', '.join(options.modes)} ways to import"
            + (f" (roads from {options.min_class} up)" if "road" in options.modes else "")
        )
    edges, _ = _graph(ex, options, report)
    places, links = _drafts(ex, edges, options, report)
    vnode = edges.vertex_node

    def shape_of(link: DraftLink) -> tuple[FloatArray, FloatArray]:
        s, t, rev = link.shape
        nodes = vnode[s : t + 1][::-1] if rev else vnode[s : t + 1]
        return ex.lon[nodes], ex.lat[nodes]

    when = _extract_date(src)
    manifest = {
        "schema_version": 1,
        "name": _package_name(options, Path(out)),
        "title": options.title or f"Network imported from {src.name}",
        "description": f"Imported by overland import osm ({', '.join(options.modes)}"
        + (f"; roads from {options.min_class} up" if "road" in options.modes else "")
        + (f"; bbox {','.join(f'{v:g}' for v in options.bbox)}" if options.bbox else "")
        + "). Dwell, fees, transfers and rates are defaults marked as estimates.",
        "base_date": when.isoformat(),
        "data_as_of": when.isoformat(),
    }
    sources = [
        {
            "id": "osm",
            "title": f"OpenStreetMap extract {src.name}",
            "url": "https://www.openstreetmap.org/copyright",
            "publisher": "OpenStreetMap contributors (ODbL)",
            "accessed": when.isoformat(),
            "note": "geometry, gauges, names and tags",
        }
    ]
    tables = build_tables(
        places,
        links,
        index=index,
        report=report,
        sources=sources,
        manifest=manifest,
        shape_of=shape_of,
        defaults=options.defaults,
    )
    if options.shapes:
        tables.extra["shapes.geojson"] = _shapes(links, tables, shape_of)
    return tables


def _shapes(links: list[DraftLink], tables: Tables, shape_of: Any) -> bytes:
    import json

    kept = {r["id"] for r in tables.csv["links"]}
    features = []
    for link in links:
        if link.shape is None or link.id not in kept:
            continue
        lon, lat = shape_of(link)
        if len(lon) <= 2:
            continue  # the straight line between the ends says it all
        coords = [
            [round(x, 5), round(y, 5)] for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"link": link.id},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def import_osm(
    path: Path | str,
    out: Path | str,
    *,
    options: OsmOptions | None = None,
    overlay: Path | str | None = None,
    atlas: Path | str | None = None,
) -> ImportReport:
    """Build the network package ``out`` from an OSM extract and validate it.

    Parameters
    ----------
    path
        A ``.osm.pbf`` (or ``.osm``, ``.osm.bz2``) extract.
    out
        The package folder to write (an earlier import there is replaced whole).
    options
        What to import (:class:`OsmOptions`).
    overlay
        A folder of curated files laid over the import (:mod:`.overlay`).
    atlas
        Country outlines (default: the installed world-atlas ``countries-50m.json``).

    Returns
    -------
    ImportReport
        Counts, what could not be mapped (with examples) and the validation problems.

    Raises
    ------
    BadArgumentError
        For a missing or unreadable extract, bad options, or nothing to import.
    """
    from ._package import finish_import

    report = ImportReport(package=str(out))
    index = country_index(atlas)
    tables = osm_tables(path, out, options=options or OsmOptions(), index=index, report=report)
    return finish_import(tables, out, overlay=overlay, report=report)
