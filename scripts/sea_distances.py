"""Sea distances for the embedded package's sea links, from the ``searoute`` package.

A data-build script, not a runtime dependency of Overland. It computes the length of each
sea link in ``src/overland/data/caucasus/links.csv`` on the maritime network that ships
with `searoute <https://pypi.org/project/searoute/>`_ (Eurostat's MARNET graph, version
1.6.0 used for the figures in links.csv), and prints the table, or writes it as CSV.

Run it from the repository root::

    .venv/bin/pip install searoute          # once; not installed with overland
    .venv/bin/python scripts/sea_distances.py            # table on stdout
    .venv/bin/python scripts/sea_distances.py --csv out.csv
    .venv/bin/python scripts/sea_distances.py --shapes src/overland/data/caucasus/shapes.geojson

Each pair is routed with one of two options:

``suez``
    the shortest route allowed through the Suez Canal and Bab-el-Mandeb; only the
    Northwest Passage, the Bering Strait (Northern Sea Route) and Panama are excluded.
``cape``
    the same with ``suez`` and ``babalmandab`` also excluded, which forces Asia–Europe
    routes round the Cape of Good Hope (``south_africa`` in the passages searoute reports).
``short``
    short-sea routes inside the Mediterranean/Black Sea or round Europe (Gibraltar,
    Bosporus allowed), with the same ocean exclusions as ``suez``.

Port points are the places' coordinates in ``places.csv`` (searoute snaps each to the
nearest node of its network, so a city centre a few km inland is fine). The length is
reported in km and nautical miles, with the passages used, so a reviewer can check that a
"suez" route went through Suez and a "cape" route did not. ``--shapes`` writes the routes'
courses as the package's ``shapes.geojson`` (maps draw the lanes, not straight chords).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACES = ROOT / "src" / "overland" / "data" / "caucasus" / "places.csv"

#: Passages never used by the services modelled here.
BASE_RESTRICTIONS = ["northwest", "bering", "panama"]
OPTIONS = {
    "suez": BASE_RESTRICTIONS,
    "short": BASE_RESTRICTIONS,
    "cape": [*BASE_RESTRICTIONS, "suez", "babalmandab"],
}

#: (link id, from place, to place, option)
PAIRS: list[tuple[str, str, str, str]] = [
    # deep sea, East Asia - Europe, via Suez and via the Cape (containers and bulk sail
    # apart links wherever the liner lane's price is not the per-km rate: the same
    # course, priced differently)
    ("sea-shanghai-rotterdam", "shanghai", "rotterdam", "suez"),
    ("sea-shanghai-rotterdam-cape", "shanghai", "rotterdam", "cape"),
    ("sea-shanghai-rotterdam-cape-bulk", "shanghai", "rotterdam", "cape"),
    ("sea-shanghai-hamburg", "shanghai", "hamburg", "suez"),
    ("sea-shanghai-hamburg-cape", "shanghai", "hamburg", "cape"),
    ("sea-shanghai-hamburg-cape-bulk", "shanghai", "hamburg", "cape"),
    ("sea-shanghai-piraeus", "shanghai", "piraeus", "suez"),
    ("sea-shanghai-piraeus-bulk", "shanghai", "piraeus", "suez"),
    ("sea-shanghai-piraeus-cape", "shanghai", "piraeus", "cape"),
    ("sea-shanghai-piraeus-cape-bulk", "shanghai", "piraeus", "cape"),
    ("sea-shanghai-constanta", "shanghai", "constanta", "suez"),
    ("sea-shanghai-constanta-bulk", "shanghai", "constanta", "suez"),
    ("sea-shanghai-constanta-cape", "shanghai", "constanta", "cape"),
    ("sea-shanghai-constanta-cape-bulk", "shanghai", "constanta", "cape"),
    ("sea-shanghai-mersin", "shanghai", "mersin", "suez"),
    ("sea-shanghai-mersin-bulk", "shanghai", "mersin", "suez"),
    ("sea-shanghai-mersin-cape", "shanghai", "mersin", "cape"),
    ("sea-shanghai-mersin-cape-bulk", "shanghai", "mersin", "cape"),
    # Gulf - Europe
    ("sea-bandar_abbas-rotterdam", "bandar_abbas", "rotterdam", "suez"),
    ("sea-bandar_abbas-rotterdam-cape", "bandar_abbas", "rotterdam", "cape"),
    ("sea-bandar_abbas-rotterdam-cape-bulk", "bandar_abbas", "rotterdam", "cape"),
    # East Mediterranean - Gulf
    ("sea-mersin-bandar_abbas", "mersin", "bandar_abbas", "suez"),
    ("sea-piraeus-bandar_abbas", "piraeus", "bandar_abbas", "suez"),
    # East Asia - Gulf (no canal either way)
    ("sea-shanghai-bandar_abbas", "shanghai", "bandar_abbas", "suez"),
    ("sea-shanghai-bandar_abbas-bulk", "shanghai", "bandar_abbas", "suez"),
    # short sea and feeders
    ("sea-istanbul-rotterdam", "istanbul", "rotterdam", "short"),
    ("sea-piraeus-istanbul", "piraeus", "istanbul", "short"),
    ("sea-novorossiysk-istanbul", "novorossiysk", "istanbul", "short"),
    ("sea-istanbul-poti", "istanbul", "poti", "short"),
    ("sea-istanbul-batumi", "istanbul", "batumi", "short"),
    ("sea-piraeus-poti", "piraeus", "poti", "short"),
    ("sea-istanbul-constanta", "istanbul", "constanta", "short"),
    ("sea-novorossiysk-poti", "novorossiysk", "poti", "short"),
    ("sea-port_kavkaz-poti", "port_kavkaz", "poti", "short"),
    ("sea-novorossiysk-mersin", "novorossiysk", "mersin", "short"),
    ("sea-poti-constanta", "poti", "constanta", "short"),
    ("sea-batumi-constanta", "batumi", "constanta", "short"),
    # product tankers from the refineries of Romania, Bulgaria, Greece and Türkiye to the
    # Batumi oil terminal (Georgia's fuel imports by sea)
    ("sea-constanta-batumi-oil", "constanta", "batumi", "short"),
    ("sea-burgas-batumi-oil", "burgas", "batumi", "short"),
    ("sea-piraeus-batumi-oil", "piraeus", "batumi", "short"),
    ("sea-istanbul-batumi-oil", "istanbul", "batumi", "short"),
]

NM_PER_KM = 1 / 1.852


def load_places(path: Path = PLACES) -> dict[str, tuple[float, float]]:
    """Place id -> (lon, lat), as searoute wants them."""
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["id"]: (float(r["lon"]), float(r["lat"])) for r in rows}


def distance(
    origin: tuple[float, float], dest: tuple[float, float], option: str
) -> tuple[float, list[str], list[list[float]]]:
    """Sea distance in km, the passages traversed and the course ([lon, lat] points)."""
    import searoute  # imported here: a build-time dependency only

    feature = searoute.searoute(
        list(origin),
        list(dest),
        units="km",
        restrictions=list(OPTIONS[option]),
        append_orig_dest=True,  # count the legs from the port points to the network
        return_passages=True,
    )
    props = feature["properties"]
    course = [[round(x, 3), round(y, 3)] for x, y in feature["geometry"]["coordinates"]]
    return float(props["length"]), list(props.get("traversed_passages") or []), course


def table_parser(doc: str) -> argparse.ArgumentParser:
    """The options every distance script takes: ``--csv`` and ``--places``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="write the table as CSV to this path")
    parser.add_argument(
        "--places", type=Path, default=PLACES, help="places.csv to read coordinates from"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = table_parser(__doc__)
    parser.add_argument("--shapes", type=Path, help="write the courses as shapes.geojson here")
    args = parser.parse_args(argv)

    places = load_places(args.places)
    rows = []
    features = []
    for link_id, a, b, option in PAIRS:
        if a not in places or b not in places:
            missing = a if a not in places else b
            print(f"skip {link_id}: place {missing!r} not in places.csv", file=sys.stderr)
            continue
        km, passages, course = distance(places[a], places[b], option)
        features.append(
            {
                "type": "Feature",
                "properties": {"link": link_id, "option": option, "km": round(km)},
                "geometry": {"type": "LineString", "coordinates": course},
            }
        )
        if option == "cape" and ("suez" in passages or "babalmandab" in passages):
            raise SystemExit(f"{link_id}: a cape route went through {passages}")
        rows.append(
            (link_id, a, b, option, round(km), round(km * NM_PER_KM), ";".join(sorted(passages)))
        )

    if args.shapes:
        import json

        with (args.places.parent / "links.csv").open(encoding="utf-8") as f:
            links = {r["id"] for r in csv.DictReader(line for line in f if line[:1] != "#")}
        kept = [ft for ft in features if ft["properties"]["link"] in links]
        doc = {"type": "FeatureCollection", "features": kept}
        args.shapes.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    header = ("link", "from", "to", "option", "km", "nm", "passages")
    emit(header, rows, args.csv, "{0:34} {3:6} {4:>7} {5:>7}  {6}")
    return 0


def emit(
    header: Sequence[str], rows: Sequence[Sequence[object]], path: Path | None, line: str
) -> None:
    """Write the table as CSV to ``path`` (if given) and print it, each row as ``line``."""
    if path:
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
    for r in (header, *rows):
        print(line.format(*r))


if __name__ == "__main__":
    raise SystemExit(main())
