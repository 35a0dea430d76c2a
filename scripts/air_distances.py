"""Air distances for the embedded package's air links: geodesics on the WGS84 ellipsoid.

A data-build script, not part of Overland's runtime. It computes the length of each air
link in ``src/overland/data/caucasus/links.csv`` as the geodesic between its two places'
coordinates in ``places.csv`` (``pyproj.Geod``, Karney's algorithm), and prints the
table, or writes it as CSV.

Run it from the repository root::

    .venv/bin/pip install pyproj             # once, if it is not already there
    .venv/bin/python scripts/air_distances.py            # table on stdout
    .venv/bin/python scripts/air_distances.py --csv out.csv

The places are cities; their airports lie 10–55 km away (Schiphol for Rotterdam,
Düsseldorf for Duisburg), which changes a 7,000–9,000 km leg by under 1 %. Flights are
longer than the geodesic (airways, holding, since 2022 the Russian airspace that EU
carriers avoid); the links' notes say so, and their time and price come from published
figures, not from this length (it feeds the distance shown and the CO2).
"""

from __future__ import annotations

import sys

from sea_distances import emit, load_places, table_parser  # the sibling script (scripts/)

#: China's main air-cargo gateways in the package.
CHINA = ("shanghai", "beijing", "xian")
#: Europe's and the Middle Corridor's: the demand ends that have a cargo airport nearby.
EUROPE = ("rotterdam", "hamburg", "duisburg", "budapest", "warsaw", "istanbul", "moscow", "baku")
#: (link id, from place, to place)
PAIRS: list[tuple[str, str, str]] = [(f"air-{a}-{b}", a, b) for a in CHINA for b in EUROPE]


def distance_km(origin: tuple[float, float], dest: tuple[float, float]) -> float:
    """Geodesic distance in km between two (lon, lat) points on WGS84."""
    from pyproj import Geod  # imported here: a build-time dependency only

    _, _, metres = Geod(ellps="WGS84").inv(origin[0], origin[1], dest[0], dest[1])
    return float(metres) / 1000.0


def main(argv: list[str] | None = None) -> int:
    args = table_parser(__doc__).parse_args(argv)

    places = load_places(args.places)
    rows = []
    for link_id, a, b in PAIRS:
        if a not in places or b not in places:
            missing = a if a not in places else b
            print(f"skip {link_id}: place {missing!r} not in places.csv", file=sys.stderr)
            continue
        rows.append((link_id, a, b, round(distance_km(places[a], places[b]))))
    emit(("link", "from", "to", "km"), rows, args.csv, "{0:28} {1:10} {2:10} {3:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
