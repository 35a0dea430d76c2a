"""``overland import osm|geojson``: build a network package from OpenStreetMap or GIS
files. pyosmium, shapely and scipy are imported inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import BadArgumentError
from ._common import JsonOpt, app, console, emit_json

if TYPE_CHECKING:
    from ..imports._draft import ImportReport

import_app = typer.Typer(
    name="import",
    help="Build a network package from OpenStreetMap (.osm.pbf) or GIS files (GeoJSON).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(import_app, name="import")

OutOpt = Annotated[
    Path,
    typer.Option("--out", "-o", help="Package folder to write (an earlier import is replaced)."),
]
OverlayOpt = Annotated[
    Path | None,
    typer.Option(
        "--overlay", help="Folder of curated files laid over the import (docs/import.md)."
    ),
]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Package name (default: the folder's).")
]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Package title.")]
GaugeOpt = Annotated[
    str | None,
    typer.Option("--default-gauge", help="Gauge of rail lines without one: 1520, 1435 or dual."),
]


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise BadArgumentError(
            f"--bbox {text!r} must be four numbers: lon_min,lat_min,lon_max,lat_max"
        )
    return values[0], values[1], values[2], values[3]


def _show(report: ImportReport, as_json: bool) -> int:
    if as_json:
        emit_json(report.as_dict())
        return 0 if report.valid else 1
    from rich.table import Table

    con = console()
    counts = Table("what", "count", title="Imported")
    for key, value in report.counts.items():
        counts.add_row(key.replace("_", " "), f"{value:,}")
    con.print(counts)
    if report.unmapped:
        table = Table("could not map", "count", "examples", title="Not mapped as given")
        for u in report.unmapped.values():
            table.add_row(u.what, f"{u.count:,}", "; ".join(u.examples))
        con.print(table)
    for p in report.problems:
        where = p["file"] + (f":{p['row']}" if p["row"] else "")
        con.print(f"{p['severity']}: {where} [{p['field'] or ''}] {p['message']}")
    verdict = "valid" if report.valid else "INVALID"
    con.print(f"{report.package}: {verdict} (overland validate {report.package})")
    return 0 if report.valid else 1


@import_app.command("osm")
def osm(
    extract: Annotated[Path, typer.Argument(help="An OSM extract: .osm.pbf, .osm or .osm.bz2.")],
    out: OutOpt,
    bbox: Annotated[
        str | None,
        typer.Option("--bbox", help="Cut at lon_min,lat_min,lon_max,lat_max (degrees)."),
    ] = None,
    modes: Annotated[
        str, typer.Option("--modes", help="Comma list of rail, road, ferry.")
    ] = "rail,road,ferry",
    min_class: Annotated[
        str,
        typer.Option(
            "--min-class",
            help="Least important road class kept: motorway, trunk, primary, secondary, tertiary.",
        ),
    ] = "primary",
    default_gauge: GaugeOpt = None,
    all_tracks: Annotated[
        bool, typer.Option("--all-tracks", help="Keep yard tracks, sidings and crossovers.")
    ] = False,
    shapes: Annotated[
        bool, typer.Option("--shapes/--no-shapes", help="Write each link's course.")
    ] = True,
    overlay: OverlayOpt = None,
    name: NameOpt = None,
    title: TitleOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Build a network package from an OpenStreetMap extract: railways (gauges), main
    roads, ferries, stations, yards, ports and border crossings."""
    from ..args import parse_list
    from ..imports.osm import OsmOptions, import_osm

    options = OsmOptions(
        modes=tuple(parse_list(modes)),
        min_class=min_class,
        bbox=_bbox(bbox),
        default_gauge=default_gauge,
        all_tracks=all_tracks,
        shapes=shapes,
        name=name,
        title=title,
    )
    return _show(import_osm(extract, out, options=options, overlay=overlay), as_json)


@import_app.command("geojson")
def geojson(
    path: Annotated[Path, typer.Argument(help="GeoJSON (or, with pyogrio, GeoPackage) file.")],
    out: OutOpt,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--map",
            help="Attribute names, field=attribute,...: id, name, kind, aliases, mode, gauge, "
            "from, to, length_km, speed_kmh, duration_h, headway_h, directed.",
        ),
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="Mode of lines that carry none.")] = "road",
    default_gauge: GaugeOpt = None,
    snap_km: Annotated[
        float, typer.Option("--snap-km", min=0, help="How far a line's end may be from a point.")
    ] = 0.5,
    overlay: OverlayOpt = None,
    name: NameOpt = None,
    title: TitleOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Build a network package from a GIS file: points become places, lines links."""
    from ..args import parse_list
    from ..imports.geojson import GeojsonOptions, import_geojson

    pairs = {}
    for item in parse_list(mapping):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadArgumentError(f"--map item {item!r} must be field=attribute")
        pairs[key.strip()] = value.strip()
    options = GeojsonOptions(
        mapping=pairs,
        mode=mode,
        default_gauge=default_gauge,
        snap_km=snap_km,
        name=name,
        title=title,
    )
    return _show(import_geojson(path, out, options=options, overlay=overlay), as_json)
