"""Importers: network packages built from OpenStreetMap extracts and GIS files.

Nothing in the core imports this subpackage; the ``overland import`` commands do.
``import_osm`` and ``import_geojson`` write a package folder, validate it and return an
:class:`ImportReport` that counts what was imported and says what could not be mapped.
"""

from __future__ import annotations

from ._draft import ImportReport, Unmapped
from .geojson import GeojsonOptions, import_geojson
from .osm import OsmOptions, import_osm

__all__ = [
    "GeojsonOptions",
    "ImportReport",
    "OsmOptions",
    "Unmapped",
    "import_geojson",
    "import_osm",
]
