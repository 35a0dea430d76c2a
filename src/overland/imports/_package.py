"""Draft places and links to a network package: countries, crossings per mode and
direction, transfers where modes or gauges meet, default figures marked as estimates,
and an atomic write of the folder."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from ..errors import BadArgumentError
from ..geo import great_circle_km
from ..validation import DETOUR_LIMIT, LENGTH_TOLERANCE_KM
from ._countries import CountryIndex
from ._draft import DraftLink, DraftPlace, ImportReport

__all__ = ["COLUMNS", "DEFAULTS_SOURCE", "Defaults", "Tables", "build_tables", "write_package"]

#: the source every default figure of an import cites (the page that explains them)
DEFAULTS_SOURCE = "overland-import-defaults"
ATLAS_SOURCE = "natural-earth"
DETOUR_REASON = "length measured along the OSM geometry, which winds"

COLUMNS: dict[str, tuple[str, ...]] = {
    "sources": ("id", "title", "url", "publisher", "accessed", "note"),
    "countries": (
        "iso2", "name", "lat_min", "lat_max", "lon_min", "lon_max", "rail_gauge",
        "source", "estimate", "note",
    ),
    "places": (
        "id", "name", "aliases", "country", "lat", "lon", "kind", "source", "estimate", "note",
    ),
    "links": (
        "id", "name", "from", "to", "mode", "gauge", "length_km", "speed_kmh", "duration_h",
        "headway_h", "wait_h", "capacity_t_per_year", "capacity", "capacity_unit",
        "cost_usd_per_t", "cost_usd_per_tkm", "status", "directed", "commodities",
        "detour_reason", "source", "estimate", "note",
    ),
    "crossings": (
        "id", "link", "from_country", "to_country", "place", "dwell_mean_h", "dwell_p90_h",
        "fee_usd_per_t", "status", "capacity_t_per_year", "source", "estimate", "note",
    ),
    "transfers": (
        "id", "place", "from_layer", "to_layer", "time_h", "cost_usd_per_t", "both_ways",
        "source", "estimate", "note",
    ),
    "modes": (
        "mode", "speed_kmh", "cost_usd_per_tkm", "co2_g_per_tkm", "source", "estimate", "note",
    ),
    "commodities": (
        "id", "name", "unit", "t_per_unit", "value_usd_per_t", "value_of_time_usd_per_t_h",
        "source", "estimate", "note",
    ),
}  # fmt: skip
#: the key column of each table, for overlays
KEYS = {"countries": "iso2", "modes": "mode"}


@dataclass(frozen=True)
class Defaults:
    """Figures an import cannot read from the map; every one is written as an estimate
    citing ``docs/import.md``, and curated overlays replace them."""

    #: mode -> (commercial speed km/h, USD per t-km, g CO2 per t-km)
    modes: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "rail": (40.0, 0.035, 22.0),
            "road": (50.0, 0.08, 80.0),
            "ferry": (20.0, 0.05, 40.0),
        }
    )
    #: mode -> (mean dwell h, P90 dwell h, fee USD/t) at a border
    crossings: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "rail": (10.0, 24.0, 2.0),
            "road": (6.0, 18.0, 1.5),
            "ferry": (3.0, 8.0, 1.0),
        }
    )
    #: (layer, layer) sorted -> (hours, USD/t) to change between them
    transfers: Mapping[tuple[str, str], tuple[float, float]] = field(
        default_factory=lambda: {
            ("rail_1435", "rail_1520"): (12.0, 8.0),
            ("rail_1435", "road"): (6.0, 4.0),
            ("rail_1520", "road"): (6.0, 4.0),
            ("ferry", "road"): (3.0, 3.0),
            ("ferry", "rail_1435"): (6.0, 5.0),
            ("ferry", "rail_1520"): (6.0, 5.0),
        }
    )
    ferry_headway_h: float = 24.0


@dataclass
class Tables:
    """A package as rows and documents, before it is written."""

    csv: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    yaml: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, bytes] = field(default_factory=dict)


ShapeOf = Callable[[DraftLink], tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]


def _layers(link: DraftLink) -> tuple[str, ...]:
    if link.mode != "rail":
        return (link.mode,)
    return ("rail_1520", "rail_1435") if link.gauge == "dual" else (f"rail_{link.gauge}",)


def _assign_countries(
    places: list[DraftPlace], links: list[DraftLink], index: CountryIndex, report: ImportReport
) -> tuple[dict[str, str], list[DraftPlace], list[DraftLink]]:
    codes = index.locate([p.lon for p in places], [p.lat for p in places])
    country: dict[str, str] = {}
    kept: list[DraftPlace] = []
    for p, code in zip(places, codes, strict=True):
        if code is None:
            report.note(
                "place_without_country",
                "places outside every country outline (at sea, or beyond the 1:50m coast)",
                f"{p.id} ({p.lat:.4f}, {p.lon:.4f})",
            )
            continue
        country[p.id] = code
        kept.append(p)
    out_links = []
    for link in links:
        if link.from_place in country and link.to_place in country:
            out_links.append(link)
        else:
            report.note(
                "link_without_country",
                "links dropped because an end has no country",
                link.id,
            )
    return country, kept, out_links


def _border_place(
    link: DraftLink,
    country: Mapping[str, str],
    kinds: Mapping[str, str],
    index: CountryIndex,
    shape_of: ShapeOf | None,
) -> str:
    """The end where formalities happen: a border post if an end is one, else the end
    nearer (along the line) to where the line leaves the first country."""
    for end in (link.from_place, link.to_place):
        if kinds.get(end) == "border":
            return end
    if shape_of is None or link.shape is None:
        return link.from_place
    lon, lat = shape_of(link)
    codes = index.locate(lon, lat, nearest_deg=0)
    start = country[link.from_place]
    change = next((i for i, c in enumerate(codes) if c is not None and c != start), len(codes) - 1)
    seg = np.hypot(np.diff(lon) * np.cos(np.radians(lat[1:])), np.diff(lat))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    along = (cum[max(change - 1, 0)] + cum[change]) / 2  # between the last vertex and the next
    return link.from_place if along <= cum[-1] / 2 else link.to_place


def _link_row(link: DraftLink, places: Mapping[str, DraftPlace]) -> dict[str, Any]:
    a, b = places[link.from_place], places[link.to_place]
    gc = great_circle_km(a.lat, a.lon, b.lat, b.lon)
    length = max(link.length_km, 0.001)
    if length < gc - LENGTH_TOLERANCE_KM / 2:  # cannot happen along a geometry; a guard
        length = gc
    detour = link.detour_reason
    if not detour and length > DETOUR_LIMIT * gc + 10.0:
        detour = DETOUR_REASON
    return {
        "id": link.id,
        "name": link.name,
        "from": link.from_place,
        "to": link.to_place,
        "mode": link.mode,
        "gauge": link.gauge,
        "length_km": round(length, 3),
        "speed_kmh": link.speed_kmh,
        "duration_h": link.duration_h,
        "headway_h": link.headway_h,
        "status": "open",
        "directed": link.directed,
        "detour_reason": detour,
        "source": link.source,
        "estimate": link.estimate,
        "note": link.note,
    }


def _crossings(
    links: Iterable[DraftLink],
    country: Mapping[str, str],
    kinds: Mapping[str, str],
    index: CountryIndex,
    shape_of: ShapeOf | None,
    defaults: Defaults,
) -> list[dict[str, Any]]:
    rows = []
    for link in links:
        ca, cb = country[link.from_place], country[link.to_place]
        if ca == cb:
            continue
        place = _border_place(link, country, kinds, index, shape_of)
        mean, p90, fee = defaults.crossings[link.mode]
        pairs = [(ca, cb)] + ([] if link.directed else [(cb, ca)])
        for fc, tc in pairs:
            rows.append(
                {
                    "id": f"{link.id}-{fc.lower()}-{tc.lower()}",
                    "link": link.id,
                    "from_country": fc,
                    "to_country": tc,
                    "place": place,
                    "dwell_mean_h": mean,
                    "dwell_p90_h": p90,
                    "fee_usd_per_t": fee,
                    "status": "open",
                    "source": DEFAULTS_SOURCE,
                    "estimate": True,
                    "note": f"default for a {link.mode} border crossing (docs/import.md): "
                    "the link's ends lie in different countries of the outlines; replace "
                    "with a measured figure in the overlay's crossings.csv",
                }
            )
    return rows


def _transfers(
    links: Iterable[DraftLink], places: Mapping[str, DraftPlace], defaults: Defaults
) -> tuple[list[dict[str, Any]], int]:
    layers_at: dict[str, set[str]] = {}
    single_gauge: set[str] = set()  # places a 1520-only or 1435-only line reaches
    for link in links:
        for end in (link.from_place, link.to_place):
            layers_at.setdefault(end, set()).update(_layers(link))
            if link.mode == "rail" and link.gauge != "dual":
                single_gauge.add(end)
    rows = []
    breaks = 0
    for pid, here in layers_at.items():
        pairs = []
        # a break of gauge: both gauges arrive and one line carries only one of them
        if {"rail_1520", "rail_1435"} <= here and pid in single_gauge:
            pairs.append(("rail_1435", "rail_1520"))
            breaks += 1
        if places[pid].hub:
            pairs += [
                (la, lb)
                for la in sorted(here)
                for lb in sorted(here)
                if la < lb and (la, lb) in defaults.transfers and (la, lb) not in pairs
            ]
        for la, lb in pairs:
            hours, cost = defaults.transfers[(la, lb)]
            what = (
                "gauge change"
                if la.startswith("rail") and lb.startswith("rail")
                else ("transshipment")
            )
            rows.append(
                {
                    "id": f"{pid}-{la}-{lb}".replace("_", "-"),
                    "place": pid,
                    "from_layer": la,
                    "to_layer": lb,
                    "time_h": hours,
                    "cost_usd_per_t": cost,
                    "both_ways": True,
                    "source": DEFAULTS_SOURCE,
                    "estimate": True,
                    "note": f"default {what} time and cost (docs/import.md)",
                }
            )
    return rows, breaks


def build_tables(
    places: list[DraftPlace],
    links: list[DraftLink],
    *,
    index: CountryIndex,
    report: ImportReport,
    sources: list[dict[str, Any]],
    manifest: dict[str, Any],
    shape_of: ShapeOf | None = None,
    defaults: Defaults | None = None,
) -> Tables:
    """The package's tables from draft places and links (countries located here)."""
    d = defaults or Defaults()
    country, places, links = _assign_countries(places, links, index, report)
    by_id = {p.id: p for p in places}
    used = {p for link in links for p in (link.from_place, link.to_place)}
    for p in places:
        if p.id not in used and p.kind == "junction":
            report.note("isolated_place", "junctions no link reaches (dropped)", p.id)
    places = [p for p in places if p.id in used or p.kind != "junction"]
    kinds = {p.id: p.kind for p in places}
    t = Tables()
    t.csv["places"] = [
        {
            "id": p.id,
            "name": p.name.replace(";", ","),
            "aliases": ";".join(a.replace(";", ",") for a in p.aliases if a and a != p.name),
            "country": country[p.id],
            "lat": round(p.lat, 7),
            "lon": round(p.lon, 7),
            "kind": p.kind,
            "source": p.source,
            "estimate": p.estimate,
            "note": p.note,
        }
        for p in places
    ]
    t.csv["links"] = [_link_row(link, by_id) for link in links]
    t.csv["crossings"] = _crossings(links, country, kinds, index, shape_of, d)
    t.csv["transfers"], breaks = _transfers(links, by_id, d)
    codes = sorted({country[p.id] for p in places})
    t.csv["countries"] = [
        {
            "iso2": c,
            "name": index.names[c],
            "lat_min": round(index.boxes[c][1], 4),
            "lat_max": round(index.boxes[c][3], 4),
            "lon_min": round(index.boxes[c][0], 4),
            "lon_max": round(index.boxes[c][2], 4),
            "source": ATLAS_SOURCE,
            "estimate": False,
            "note": "box of the world-atlas 1:50m outline",
        }
        for c in codes
    ]
    t.csv["modes"] = [
        {
            "mode": m,
            "speed_kmh": v[0],
            "cost_usd_per_tkm": v[1],
            "co2_g_per_tkm": v[2],
            "source": DEFAULTS_SOURCE,
            "estimate": True,
            "note": "default of an import (docs/import.md)",
        }
        for m, v in d.modes.items()
    ]
    t.csv["commodities"] = [
        {
            "id": "general",
            "name": "General cargo",
            "unit": "t",
            "t_per_unit": 1,
            "value_usd_per_t": 2000,
            "value_of_time_usd_per_t_h": 0.05,
            "source": DEFAULTS_SOURCE,
            "estimate": True,
            "note": "default of an import (docs/import.md)",
        }
    ]
    t.csv["sources"] = [
        *sources,
        {
            "id": DEFAULTS_SOURCE,
            "title": "Overland import defaults (dwell, fees, transfers, mode rates)",
            "url": "docs/import.md",
            "publisher": "Overland",
            "accessed": manifest["data_as_of"],
            "note": "placeholders to be replaced by curated overlays",
        },
        {
            "id": ATLAS_SOURCE,
            "title": "Natural Earth 1:50m admin-0 countries (world-atlas countries-50m.json)",
            "url": "https://github.com/topojson/world-atlas",
            "publisher": "Natural Earth / world-atlas",
            "accessed": manifest["data_as_of"],
            "note": "country outlines used to place points in countries",
        },
    ]
    t.yaml["overland.yaml"] = manifest
    t.yaml["events.yaml"] = []
    t.yaml["rules.yaml"] = []
    report.counts.update(
        places=len(t.csv["places"]),
        links=len(t.csv["links"]),
        crossings=len(t.csv["crossings"]),
        transfers=len(t.csv["transfers"]),
        gauge_breaks=breaks,
        dual_gauge_links=sum(1 for link in links if link.gauge == "dual"),
        countries=len(codes),
    )
    return t


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def csv_bytes(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Rows as a package CSV table (the given header, ``;`` inside list cells)."""
    cols = list(columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in cols])
    return buf.getvalue().encode("utf-8")


def _yaml_default(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def file_bytes(tables: Tables) -> dict[str, bytes]:
    """Every file of the package, by relative path."""
    files: dict[str, bytes] = {}
    for name, rows in tables.csv.items():
        cols = list(COLUMNS.get(name, ()))
        for row in rows:  # an overlay may bring columns the importer does not write
            cols += [k for k in row if k not in cols]
        files[f"{name}.csv"] = csv_bytes(cols, rows)
    for name, doc in tables.yaml.items():
        text = yaml.safe_dump(
            json.loads(json.dumps(doc, default=_yaml_default)),
            sort_keys=False,
            allow_unicode=True,
            width=100,
        )
        files[name] = text.encode("utf-8")
    files.update(tables.extra)
    return files


def write_package(files: Mapping[str, bytes], out: Path | str) -> Path:
    """Write ``files`` as the package folder ``out``, all at once.

    The files go to a temporary sibling folder that then takes the place of ``out``; an
    earlier package at ``out`` (a folder holding ``overland.yaml``) is replaced, any
    other non-empty folder is refused.

    Raises
    ------
    BadArgumentError
        If ``out`` is a file or a non-empty folder that is not a package.
    """
    target = Path(out).resolve()
    if target.exists():
        if not target.is_dir():
            raise BadArgumentError(f"{target} is a file; give a folder for the package")
        if any(target.iterdir()) and not (target / "overland.yaml").is_file():
            raise BadArgumentError(
                f"{target} is a folder that holds files but no package (no overland.yaml); "
                "give a new or empty folder, or an earlier import to replace"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.import-", dir=target.parent))
    old: Path | None = None
    try:
        for name, data in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.chmod(tmp, 0o755)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        if old is not None and not target.exists():
            os.replace(old, target)
            old = None
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return target


def finish_import(
    tables: Tables,
    out: Path | str,
    *,
    overlay: Path | str | None,
    report: ImportReport,
    max_problems: int = 50,
) -> ImportReport:
    """Lay the overlay on, write the package atomically and validate what was written."""
    from ..schema import DEFAULT_LIMITS, LoadLimits
    from ..validation import validate_package
    from .overlay import apply_overlay

    if overlay is not None:
        apply_overlay(tables, overlay, report)
    total = sum(len(rows) for rows in tables.csv.values())
    biggest = max((len(rows) for rows in tables.csv.values()), default=0)
    limits = LoadLimits(
        max_rows=max(DEFAULT_LIMITS.max_rows, biggest),
        max_total_rows=max(DEFAULT_LIMITS.max_total_rows, total),
    )
    target = write_package(file_bytes(tables), out)
    result = validate_package(target, limits=limits)
    report.package = str(target)
    report.valid = result.ok
    report.problems = [p.as_dict() for p in result.problems[:max_problems]]
    if biggest > DEFAULT_LIMITS.max_rows or total > DEFAULT_LIMITS.max_total_rows:
        report.note(
            "over_default_limits",
            "tables longer than the default reading limits: pass overland --max-rows "
            f"{biggest} --max-total-rows {total} to the commands that read it",
            f"{biggest} rows in the longest table, {total} in all",
        )
    return report
