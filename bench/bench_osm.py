"""Scale of an OSM import (issue 18). Run: .venv/bin/python bench/bench_osm.py

Writes synthetic extracts with pyosmium (osmium.SimpleWriter): a rail grid and a road
grid over Kazakhstan, each way with intermediate vertices, stations on the rail grid,
so that the import yields about N links (default sizes 10,000, 30,000 and 100,000).
Each size runs in its own process (for its own peak memory) and reports: import time,
load time (read + validate + build the Network), compile time (the CSR graph), the
median latency of one route (warm, 20 random pairs) and the process's peak RSS. The
last lines say how cost grows with size (log-log slope between sizes) against the
targets: load + compile under 10 s and one route under 50 ms at 100,000 links.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import osmium

LON0, LAT0, LON1, LAT1 = 63.0, 46.5, 77.0, 51.0  # inside Kazakhstan
VERTICES = 3  # intermediate vertices per way


def write_grid(path: Path, links: int, seed: int = 1) -> int:
    """A rail grid and a road grid of about ``links`` links together; returns the way count."""
    k = max(3, round(math.sqrt(links / 4 + 1)))  # 2 modes x 2k(k-1) ~ links
    rng = random.Random(seed)
    dx, dy = (LON1 - LON0) / (k - 1), (LAT1 - LAT0) / (k - 1)
    nid = 0
    ways = 0
    with osmium.SimpleWriter(str(path)) as w:
        grid: dict[tuple[int, int, int], int] = {}
        pending_ways: list[tuple[list[int], dict[str, str]]] = []
        for mode in (0, 1):
            off = 0.3 * dx * mode  # the road grid sits beside the rail grid
            for i in range(k):
                for j in range(k):
                    nid += 1
                    tags = (
                        {"railway": "station", "name": f"S{i}-{j}"}
                        if mode == 0 and (i + j) % 7 == 0
                        else {}
                    )
                    w.add_node(
                        osmium.osm.mutable.Node(
                            id=nid, location=(LON0 + i * dx + off, LAT0 + j * dy), tags=tags
                        )
                    )
                    grid[(mode, i, j)] = nid
        for mode in (0, 1):
            tags = {"railway": "rail", "gauge": "1520"} if mode == 0 else {"highway": "primary"}
            off = 0.3 * dx * mode
            for i in range(k):
                for j in range(k):
                    for di, dj in ((1, 0), (0, 1)):
                        if i + di >= k or j + dj >= k:
                            continue
                        refs = [grid[(mode, i, j)]]
                        for v in range(1, VERTICES + 1):
                            nid += 1
                            t = v / (VERTICES + 1)
                            lon = (
                                LON0 + (i + di * t) * dx + off + rng.uniform(-0.05, 0.05) * dx * dj
                            )
                            lat = LAT0 + (j + dj * t) * dy + rng.uniform(-0.05, 0.05) * dy * di
                            w.add_node(
                                osmium.osm.mutable.Node(id=nid, location=(lon, lat), tags={})
                            )
                            refs.append(nid)
                        refs.append(grid[(mode, i + di, j + dj)])
                        pending_ways.append((refs, tags))
        for n, (refs, tags) in enumerate(pending_ways, start=1):
            w.add_way(osmium.osm.mutable.Way(id=n, nodes=refs, tags=tags))
            ways += 1
    return ways


def one(links: int) -> dict[str, float]:
    from overland.graph import graph_of
    from overland.imports import OsmOptions, import_osm
    from overland.network import load_network
    from overland.routing import shortest_route
    from overland.schema import LoadLimits

    with tempfile.TemporaryDirectory() as tmp:
        pbf = Path(tmp) / "grid.osm.pbf"
        t0 = time.perf_counter()
        ways = write_grid(pbf, links)
        t1 = time.perf_counter()
        report = import_osm(pbf, Path(tmp) / "pkg", options=OsmOptions(shapes=False))
        t2 = time.perf_counter()
        assert report.valid, report.problems[:3]
        limits = LoadLimits(max_rows=1_000_000, max_total_rows=2_000_000)
        net = load_network(Path(tmp) / "pkg", limits=limits)
        t3 = time.perf_counter()
        graph = graph_of(net)
        t4 = time.perf_counter()
        stations = sorted(p.id for p in net.places.values() if p.kind == "station")
        rng = random.Random(7)
        shortest_route(net, stations[0], stations[-1])  # warm-up (numba, costs per state)
        times = []
        for _ in range(20):
            a, b = rng.sample(stations, 2)
            s = time.perf_counter()
            shortest_route(net, a, b)
            times.append(time.perf_counter() - s)
        return {
            "links": report.counts["links"],
            "places": report.counts["places"],
            "ways": ways,
            "nodes": graph.n_nodes,
            "edges": graph.n_edges,
            "write_s": t1 - t0,
            "import_s": t2 - t1,
            "load_s": t3 - t2,
            "compile_s": t4 - t3,
            "route_ms": statistics.median(times) * 1000,
            "route_max_ms": max(times) * 1000,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=False
        )
        if out.returncode:
            sys.exit(f"size {n} failed:\n{out.stderr[-2000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    cols = [
        "links",
        "places",
        "write_s",
        "import_s",
        "load_s",
        "compile_s",
        "route_ms",
        "route_max_ms",
        "peak_mb",
    ]
    print(" | ".join(f"{c:>12}" for c in cols))
    for r in rows:
        print(
            " | ".join(
                f"{r[c]:>12,.0f}" if c in ("links", "places") else f"{r[c]:>12.3f}" for c in cols
            )
        )
    for a, b in itertools.pairwise(rows):
        ratio = math.log(b["links"] / a["links"])
        slopes = {
            c: math.log(b[c] / a[c]) / ratio
            for c in ("import_s", "load_s", "compile_s", "route_ms")
        }
        print(
            f"growth {a['links']:,} -> {b['links']:,} links (log-log slope, 1 = linear): "
            + ", ".join(f"{c} {v:.2f}" for c, v in slopes.items())
        )
    big = rows[-1]
    lc = big["load_s"] + big["compile_s"]
    print(
        f"at {big['links']:,} links: load + compile {lc:.2f} s (target < 10 s: "
        f"{'met' if lc < 10 else 'MISSED'}), one route {big['route_ms']:.1f} ms median "
        f"(target < 50 ms: {'met' if big['route_ms'] < 50 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
