"""Which country a point lies in, from the world-atlas outlines the project installs.

The outlines (Natural Earth 1:50m, as TopoJSON from the npm package ``world-atlas``) carry
ISO 3166-1 *numeric* ids; ``pycountry`` (a registry package) turns them into alpha-2
codes. Nothing third-party is copied into the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..assets import atlas_path
from ..errors import BadArgumentError
from ..topojson import countries

__all__ = ["CountryIndex", "country_index"]

#: outlines whose id is not an ISO 3166-1 numeric code: name -> user-assigned code
_NO_NUMERIC = {"Kosovo": "XK"}
#: how far (degrees) outside every outline a point may lie and still get the nearest
#: country: the 1:50m coastlines cut off ports and quays by a few kilometres
NEAREST_DEG = 0.1


def _alpha2(numeric: str | None, name: str) -> str | None:
    import pycountry

    if name in _NO_NUMERIC:
        return _NO_NUMERIC[name]
    if not numeric:
        return None
    found = pycountry.countries.get(numeric=str(numeric).zfill(3))
    return None if found is None else str(found.alpha_2)


def _english_name(code: str, fallback: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return fallback
    return str(getattr(found, "common_name", None) or found.name)


@dataclass(frozen=True)
class CountryIndex:
    """Country polygons with their ISO codes, names and bounding boxes."""

    codes: tuple[str, ...]
    names: dict[str, str]
    boxes: dict[str, tuple[float, float, float, float]]  # lon_min, lat_min, lon_max, lat_max
    geoms: tuple[Any, ...]  # shapely geometries, one per code
    unmapped: tuple[str, ...]  # outlines without an ISO code (e.g. Somaliland)

    def locate(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, *, nearest_deg: float = NEAREST_DEG
    ) -> list[str | None]:
        """The ISO code of each point: inside an outline, else the nearest outline within
        ``nearest_deg`` degrees, else ``None``."""
        import shapely

        xs = np.asarray(lon, dtype=np.float64)
        ys = np.asarray(lat, dtype=np.float64)
        out: list[str | None] = [None] * len(xs)
        if not len(xs):
            return out
        tree = shapely.STRtree(list(self.geoms))
        points = shapely.points(xs, ys)
        pi, gi = tree.query(points, predicate="intersects")
        for p, g in zip(pi.tolist(), gi.tolist(), strict=True):
            if out[p] is None:
                out[p] = self.codes[g]
        missing = [i for i, c in enumerate(out) if c is None]
        if missing and nearest_deg > 0:
            mp, mg = tree.query_nearest(
                points[missing], max_distance=nearest_deg, all_matches=False
            )
            for p, g in zip(mp.tolist(), mg.tolist(), strict=True):
                out[missing[p]] = self.codes[g]
        return out


def country_index(path: Path | str | None = None) -> CountryIndex:
    """Read the world-atlas outlines (default: the installed ``countries-50m.json``).

    Raises
    ------
    BadArgumentError
        When the file is missing (setup installs it) or is not a world-atlas TopoJSON.
    """
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    target = Path(path) if path is not None else atlas_path()
    if not target.is_file():
        raise BadArgumentError(
            f"country outlines not found at {target}; run scripts/setup (it installs the "
            "world-atlas package from the npm registry)"
        )
    try:
        topo = json.loads(target.read_text(encoding="utf-8"))
        outlines = list(countries(topo))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadArgumentError(f"{target} is not a world-atlas countries file ({exc})") from exc
    polys: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    unmapped: list[str] = []
    for numeric, name, parts in outlines:
        code = _alpha2(numeric, name)
        if code is None:
            unmapped.append(name)
            continue
        for rings in parts:
            if len(rings[0]) < 4:
                continue
            poly = Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4])
            polys.setdefault(code, []).append(shapely.make_valid(poly))
        names.setdefault(code, _english_name(code, name))
    codes = tuple(sorted(polys))
    geoms = []
    boxes = {}
    for code in codes:
        merged = shapely.union_all(polys[code])
        if isinstance(merged, Polygon):
            merged = MultiPolygon([merged])
        geoms.append(merged)
        x0, y0, x1, y1 = merged.bounds
        boxes[code] = (float(x0), float(y0), float(x1), float(y1))
    return CountryIndex(codes, names, boxes, tuple(geoms), tuple(unmapped))
