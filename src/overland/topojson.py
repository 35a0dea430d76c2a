"""Decoding the world-atlas TopoJSON country outlines (Natural Earth, installed from npm
into the package's assets) into lon/lat rings — for the report's maps and for the OSM
importer's country look-up alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["Ring", "countries"]

Ring = list[tuple[float, float]]


def _decode_arcs(topo: dict[str, Any]) -> list[Ring]:
    transform = topo.get("transform")
    arcs_raw = topo["arcs"]
    if not isinstance(arcs_raw, list):
        raise TypeError("TopoJSON `arcs` is not a list")
    if not isinstance(transform, dict):
        return [[(float(a), float(b)) for a, b in arc] for arc in arcs_raw]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    out: list[Ring] = []
    for arc in arcs_raw:
        x = y = 0
        ring: Ring = []
        for dx, dy in arc:
            x += dx
            y += dy
            ring.append((x * sx + tx, y * sy + ty))
        out.append(ring)
    return out


def _ring(indices: list[int], arcs: list[Ring]) -> Ring:
    ring: Ring = []
    for i in indices:
        pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        ring.extend(pts[1:] if ring else pts)
    return ring


def countries(topo: dict[str, Any]) -> Iterator[tuple[str | None, str, list[list[Ring]]]]:
    """Each country of a world-atlas ``countries-*.json`` document: its numeric ISO id
    (as the file gives it, or None), its name, and its polygons (each a list of rings,
    outer first). Raises ``KeyError``/``TypeError`` on a document of another shape."""
    arcs = _decode_arcs(topo)
    for geom in topo["objects"]["countries"]["geometries"]:
        name = str((geom.get("properties") or {}).get("name", geom.get("id", "")))
        if geom.get("type") == "Polygon":
            parts = [geom["arcs"]]
        elif geom.get("type") == "MultiPolygon":
            parts = geom["arcs"]
        else:
            continue
        numeric = geom.get("id")
        yield (
            None if numeric is None else str(numeric),
            name,
            [[_ring(r, arcs) for r in part] for part in parts],
        )
