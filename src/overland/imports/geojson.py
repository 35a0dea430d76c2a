"""GIS files (GeoJSON; GeoPackage and other OGR formats through pyogrio when it is
installed) to a network package: points become places, lines become links.

Attribute names are mapped with ``mapping`` (package field -> attribute), e.g.
``{"id": "code", "name": "label", "mode": "type"}``. A line's ends are the places its
``from``/``to`` attributes name, else the nearest point within ``snap_km``, else new
junctions at its end points (ids from the rounded coordinates, so re-imports agree).
Lines are not split where they cross: give one line per link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadArgumentError
from ..schema import MODES
from ._countries import CountryIndex, country_index
from ._draft import DraftLink, DraftPlace, ImportReport
from ._graph import haversine_km
from ._package import Tables, build_tables

__all__ = ["FIELDS", "GeojsonOptions", "geojson_tables", "import_geojson"]

#: package fields an attribute can be mapped to
FIELDS = (
    "id",
    "name",
    "kind",
    "aliases",
    "mode",
    "gauge",
    "from",
    "to",
    "length_km",
    "speed_kmh",
    "duration_h",
    "headway_h",
    "directed",
    "status",
)
_KINDS = ("city", "station", "port", "border", "junction", "terminal", "waypoint")
_ID = re.compile(r"[^a-z0-9_\-]+")


@dataclass(frozen=True)
class GeojsonOptions:
    """How to read a GIS file: attribute ``mapping``, the ``mode`` of lines that carry
    none, the ``default_gauge`` of rail lines without one, and ``snap_km``."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    mode: str = "road"
    default_gauge: str | None = None
    snap_km: float = 0.5
    name: str | None = None
    title: str | None = None

    def __post_init__(self) -> None:
        bad = sorted(set(self.mapping) - set(FIELDS))
        if bad:
            raise BadArgumentError(
                f"cannot map {', '.join(bad)}; fields that can be mapped: {', '.join(FIELDS)}"
            )
        if self.mode not in MODES:
            raise BadArgumentError(f"unknown mode {self.mode!r}; valid: {', '.join(MODES)}")


def _features(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(properties, geometry) of every feature."""
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadArgumentError(f"{path} is not valid GeoJSON: {exc}") from exc
        features = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(features, list):
            raise BadArgumentError(f"{path} is not a GeoJSON FeatureCollection")
        for f in features:
            if isinstance(f, dict) and isinstance(f.get("geometry"), dict):
                yield dict(f.get("properties") or {}), f["geometry"]
        return
    try:
        import pyogrio
        import shapely
    except ImportError as exc:
        raise BadArgumentError(
            f"reading {path.suffix} files needs pyogrio (pip install pyogrio); "
            "GeoJSON needs nothing"
        ) from exc
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        for layer in layers:
            _meta, _fids, geoms, values = pyogrio.raw.read(path, layer=layer)
            names = list(_meta["fields"])
            for i, wkb in enumerate(geoms):
                if wkb is None:
                    continue
                props = {n: values[j][i] for j, n in enumerate(names)}
                yield props, shapely.geometry.mapping(shapely.from_wkb(wkb))
    except (OSError, RuntimeError, ValueError) as exc:
        raise BadArgumentError(f"cannot read {path}: {exc}") from exc


def _text(props: Mapping[str, Any], mapping: Mapping[str, str], key: str) -> str:
    value = props.get(mapping.get(key, key))
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _number(props: Mapping[str, Any], mapping: Mapping[str, str], key: str) -> float | None:
    text = _text(props, mapping, key)
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and value > 0 else None


def _pid(text: str) -> str:
    out = _ID.sub("-", text.lower()).strip("-")
    return out if out and out[0].isalnum() else f"p-{out}".rstrip("-")


def _junction_id(lon: float, lat: float) -> str:
    def part(v: float) -> str:
        n = round(v * 1e5)
        return ("m" if n < 0 else "") + str(abs(n))

    return f"j{part(lat)}_{part(lon)}"


@dataclass
class _Lines:
    coords: list[np.ndarray] = field(default_factory=list)


def _points(
    feats: list[tuple[dict[str, Any], dict[str, Any]]], opts: GeojsonOptions, report: ImportReport
) -> dict[str, DraftPlace]:
    places: dict[str, DraftPlace] = {}
    for i, (props, geom) in enumerate(feats):
        if geom.get("type") != "Point":
            continue
        lon, lat = (float(v) for v in geom["coordinates"][:2])
        pid = _pid(_text(props, opts.mapping, "id") or f"point-{i + 1}")
        if pid in places:
            report.note("duplicate_point", "points whose id is already used (dropped)", pid)
            continue
        kind = _text(props, opts.mapping, "kind").lower() or "city"
        if kind not in _KINDS:
            report.note(
                "unknown_kind",
                f"points of another kind (read as city; valid: {', '.join(_KINDS)})",
                f"{pid} kind={kind}",
            )
            kind = "city"
        name = _text(props, opts.mapping, "name") or pid
        aliases = [a for a in _text(props, opts.mapping, "aliases").split(";") if a.strip()]
        places[pid] = DraftPlace(pid, name, lat, lon, kind, aliases, source="gis", hub=True)
    return places


def _line_parts(geom: dict[str, Any]) -> list[np.ndarray]:
    if geom.get("type") == "LineString":
        return [np.asarray(geom["coordinates"], dtype=np.float64)[:, :2]]
    if geom.get("type") == "MultiLineString":
        return [np.asarray(c, dtype=np.float64)[:, :2] for c in geom["coordinates"]]
    return []


class _Snap:
    def __init__(self, places: dict[str, DraftPlace], km: float) -> None:
        self.ids = list(places)
        self.lon = np.array([p.lon for p in places.values()])
        self.lat = np.array([p.lat for p in places.values()])
        self.km = km

    def __call__(self, lon: float, lat: float) -> str | None:
        if not self.ids:
            return None
        d = haversine_km(
            np.full(len(self.ids), lon), np.full(len(self.ids), lat), self.lon, self.lat
        )
        i = int(np.argmin(d))
        return self.ids[i] if d[i] <= self.km else None


def _end(
    props: Mapping[str, Any],
    key: str,
    pt: np.ndarray,
    places: dict[str, DraftPlace],
    snap: _Snap,
    opts: GeojsonOptions,
) -> str:
    named = _pid(_text(props, opts.mapping, key)) if _text(props, opts.mapping, key) else ""
    if named in places:
        return named
    found = snap(float(pt[0]), float(pt[1]))
    if found is not None:
        return found
    jid = _junction_id(float(pt[0]), float(pt[1]))
    places.setdefault(
        jid, DraftPlace(jid, f"junction {jid}", float(pt[1]), float(pt[0]), source="gis")
    )
    return jid


def _link(
    props: dict[str, Any],
    i: int,
    k: int,
    n_parts: int,
    xy: np.ndarray,
    ends: tuple[str, str],
    lines: _Lines,
    opts: GeojsonOptions,
    report: ImportReport,
) -> DraftLink | None:
    m = opts.mapping
    base = _pid(_text(props, m, "id") or f"line-{i + 1}")
    lid = base if n_parts == 1 else f"{base}-{k + 1}"
    mode = _text(props, m, "mode").lower() or opts.mode
    if mode not in MODES:
        report.note(
            "unknown_mode",
            "lines of a mode the package has no layer for (dropped)",
            f"{lid} mode={mode}",
        )
        return None
    gauge = None
    if mode == "rail":
        raw = _text(props, m, "gauge").lower()
        gauge = {"1520": "1520", "1524": "1520", "1435": "1435", "dual": "dual"}.get(
            raw, opts.default_gauge or ""
        )
        if not gauge:
            report.note(
                "untagged_gauge",
                "rail lines without a usable gauge (dropped; --default-gauge sets one)",
                f"{lid} gauge={raw or '(none)'}",
            )
            return None
    if ends[0] == ends[1]:
        report.note("loop", "lines whose two ends are the same place (dropped)", lid)
        return None
    seg = haversine_km(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    length = _number(props, m, "length_km") or float(seg.sum())
    headway = _number(props, m, "headway_h")
    estimate = False
    if mode == "ferry" and headway is None:
        headway, estimate = 24.0, True
    lines.coords.append(xy)
    return DraftLink(
        id=lid,
        from_place=ends[0],
        to_place=ends[1],
        mode=mode,
        length_km=length,
        name=_text(props, m, "name"),
        gauge=gauge,
        speed_kmh=_number(props, m, "speed_kmh"),
        duration_h=_number(props, m, "duration_h"),
        headway_h=headway,
        directed=_text(props, m, "directed").lower() in ("true", "yes", "1"),
        source="gis",
        estimate=estimate,
        note="headway 24 h is the import default (docs/import.md)" if estimate else "",
        shape=len(lines.coords) - 1,
    )


def geojson_tables(
    path: Path | str,
    out: Path | str,
    *,
    options: GeojsonOptions,
    index: CountryIndex,
    report: ImportReport,
) -> Tables:
    """The package tables of a GIS file (nothing written)."""
    src = Path(path)
    if not src.is_file():
        raise BadArgumentError(f"{src} not found")
    feats = list(_features(src))
    places = _points(feats, options, report)
    snap = _Snap(dict(places), options.snap_km)
    lines = _Lines()
    links: list[DraftLink] = []
    seen: set[str] = set()
    for i, (props, geom) in enumerate(feats):
        parts = _line_parts(geom)
        for k, xy in enumerate(parts):
            if len(xy) < 2:
                continue
            ends = (
                _end(props, "from", xy[0], places, snap, options),
                _end(props, "to", xy[-1], places, snap, options),
            )
            link = _link(props, i, k, len(parts), xy, ends, lines, options, report)
            if link is None:
                continue
            if link.id in seen:
                report.note("duplicate_line", "lines whose id is already used (dropped)", link.id)
                continue
            seen.add(link.id)
            links.append(link)
    if not links:
        raise BadArgumentError(f"{src} has no line features to make links of")
    report.counts.update(
        features=len(feats), points=sum(1 for p in places.values() if p.source == "gis" and p.hub)
    )
    when = datetime.fromtimestamp(src.stat().st_mtime, tz=UTC).date().isoformat()
    name = options.name or _pid(Path(out).name)
    manifest = {
        "schema_version": 1,
        "name": name,
        "title": options.title or f"Network imported from {src.name}",
        "description": "Imported by overland import geojson; dwell, fees, transfers and "
        "rates are defaults marked as estimates.",
        "base_date": when,
        "data_as_of": when,
    }
    sources = [
        {
            "id": "gis",
            "title": f"GIS file {src.name}",
            "url": "docs/import.md",
            "publisher": "",
            "accessed": when,
            "note": "the user's own data",
        }
    ]

    def shape_of(link: DraftLink) -> tuple[np.ndarray, np.ndarray]:
        xy = lines.coords[link.shape]
        return xy[:, 0], xy[:, 1]

    return build_tables(
        list(places.values()),
        links,
        index=index,
        report=report,
        sources=sources,
        manifest=manifest,
        shape_of=shape_of,
    )


def import_geojson(
    path: Path | str,
    out: Path | str,
    *,
    options: GeojsonOptions | None = None,
    overlay: Path | str | None = None,
    atlas: Path | str | None = None,
) -> ImportReport:
    """Build the network package ``out`` from a GeoJSON (or GeoPackage) file and validate it.

    Raises
    ------
    BadArgumentError
        For a missing or unreadable file, a bad mapping, or no lines to import.
    """
    from ._package import finish_import

    report = ImportReport(package=str(out))
    tables = geojson_tables(
        path, out, options=options or GeojsonOptions(), index=country_index(atlas), report=report
    )
    return finish_import(tables, out, overlay=overlay, report=report)
