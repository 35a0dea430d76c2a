"""Country outlines from the ``world-atlas`` TopoJSON files (Natural Earth, via npm).

The file is installed at setup time from the npm registry and copied into the package's
assets (:mod:`overland.assets`; nothing third-party is committed); this module only
decodes TopoJSON into lon/lat rings for drawing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..assets import atlas_path
from ..topojson import Ring, countries

__all__ = ["CountryOutline", "default_atlas_path", "read_outlines"]


@dataclass(frozen=True)
class CountryOutline:
    """One country's polygons: each polygon is a list of rings (outer first)."""

    name: str
    polygons: tuple[tuple[Ring, ...], ...]

    def bbox(self) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max)."""
        xs = [x for poly in self.polygons for ring in poly for x, _ in ring]
        ys = [y for poly in self.polygons for ring in poly for _, y in ring]
        return min(xs), min(ys), max(xs), max(ys)


def default_atlas_path() -> Path:
    """Where setup (and the wheel build) put ``countries-50m.json``: the package's assets."""
    return atlas_path()


def read_outlines(path: Path | str | None = None) -> list[CountryOutline]:
    """All countries of a world-atlas ``countries-*.json`` file.

    Raises ``FileNotFoundError`` naming the setup step when the file is missing.
    """
    target = Path(path) if path is not None else default_atlas_path()
    if not target.is_file():
        raise FileNotFoundError(
            f"country outlines not found at {target}; run scripts/setup (it installs the "
            "world-atlas package from the npm registry)"
        )
    topo = json.loads(target.read_text(encoding="utf-8"))
    return [
        CountryOutline(name=name, polygons=tuple(tuple(rings) for rings in polygons))
        for _numeric, name, polygons in countries(topo)
    ]
