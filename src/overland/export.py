"""Exports of a network state: GeoJSON (for QGIS / geopandas) and CSV tables."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .timeline import NetworkState

if TYPE_CHECKING:
    import pandas as pd

    from .network import Network

__all__ = [
    "element_layer",
    "state_geojson",
    "write_bytes_atomic",
    "write_csv_tables",
    "write_frame_atomic",
    "write_geojson",
    "write_text_atomic",
]


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename, so that a
    reader never sees a half-written file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_frame_atomic(path: Path | str, frame: pd.DataFrame) -> Path:
    """Write a table atomically: Parquet when ``path`` ends in ``.parquet``, else CSV."""
    target = Path(path)
    if target.suffix.lower() == ".parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return write_bytes_atomic(target, buf.getvalue())
    return write_text_atomic(target, frame.to_csv(index=False))


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def state_geojson(state: NetworkState) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: every place (Point) and link (LineString) with all
    attributes, link status as of the state's date, and each link's border crossings."""
    net = state.network
    crossings_by_link: dict[str, list[str]] = {}
    for c in state.crossings.values():
        crossings_by_link.setdefault(c.link, []).append(
            f"{c.from_country}->{c.to_country} {c.status} {c.dwell_mean_h:g}h"
        )
    features: list[dict[str, Any]] = []
    for place in net.places.values():
        props = {"feature_type": "place", **place.record()}
        features.append(
            {
                "type": "Feature",
                "id": f"place:{place.id}",
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": props,
            }
        )
    for link in state.links.values():
        a, b = net.places[link.from_place], net.places[link.to_place]
        props = {
            "feature_type": "link",
            **link.record(),
            "from_name": a.name,
            "to_name": b.name,
            "from_country": a.country,
            "to_country": b.country,
            "border": a.country != b.country,
            "crossings": "; ".join(crossings_by_link.get(link.id, [])),
            "base_status": net.links[link.id].status,
        }
        features.append(
            {
                "type": "Feature",
                "id": f"link:{link.id}",
                "geometry": {"type": "LineString", "coordinates": [[a.lon, a.lat], [b.lon, b.lat]]},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "name": f"{net.manifest.name}-{state.date.isoformat()}",
        "properties": {
            "date": state.date.isoformat(),
            "scenario": state.scenario,
            "events_applied": [e.id for e in state.events_applied],
        },
        "features": features,
    }


def element_layer(network: Network, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON map layer of analysed elements (``kind``/``id`` and any properties):
    links and crossings as lines, places and ports as points; countries have no
    geometry of their own and are left out."""
    features = []
    for item in items:
        kind, eid = item["kind"], item["id"]
        if kind in ("link", "crossing"):
            link = network.links[eid if kind == "link" else network.crossings[eid].link]
            a, b = network.places[link.from_place], network.places[link.to_place]
            geom: dict[str, Any] = {
                "type": "LineString",
                "coordinates": [[a.lon, a.lat], [b.lon, b.lat]],
            }
        elif kind in ("place", "port"):
            p = network.places[eid]
            geom = {"type": "Point", "coordinates": [p.lon, p.lat]}
        else:
            continue
        features.append(
            {"type": "Feature", "id": f"{kind}:{eid}", "geometry": geom, "properties": item}
        )
    return {"type": "FeatureCollection", "features": features}


def write_geojson(state: NetworkState, path: Path | str) -> Path:
    """Write :func:`state_geojson` to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(state_geojson(state), ensure_ascii=False, indent=1))


def write_csv_tables(state: NetworkState, folder: Path | str) -> list[Path]:
    """Write places, links, crossings and transfers as of the state's date as CSV."""
    import pandas as pd

    out = Path(folder)
    written = []
    tables: dict[str, list[dict[str, Any]]] = {
        "places": [p.record() for p in state.network.places.values()],
        "links": [v.record() for v in state.links.values()],
        "crossings": [v.record() for v in state.crossings.values()],
        "transfers": [v.record() for v in state.transfers.values()],
    }
    for name, records in tables.items():
        buf = io.StringIO()
        pd.DataFrame.from_records(records).to_csv(buf, index=False)
        written.append(write_text_atomic(out / f"{name}.csv", buf.getvalue()))
    return written
