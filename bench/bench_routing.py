"""Routing benchmarks (issue: routing engine). Run: .venv/bin/python bench/bench_routing.py

Prints a table of timings and, for the Dijkstra kernel, the ratio to scipy's
``scipy.sparse.csgraph.dijkstra`` on the same TNTP network in the same run (one-to-all
from every zone, free-flow time, single thread). Bars from the issue:
single route warm median < 5 ms; 10 alternatives < 50 ms; full skim < 1 s;
``overland route`` cold < 2 s; kernel / scipy <= 1.2 on chicago-regional.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from overland import embedded_network
from overland.errors import NoRouteError
from overland.kernels import dijkstra
from overland.routing import alternative_routes, shortest_route
from overland.skim import skim

ROOT = Path(__file__).resolve().parents[1]


def tntp_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("OVERLAND_TNTP_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "tntp"


def read_net(path: Path) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """Minimal TNTP net reader for the benchmark: zones, nodes, init, term, fft."""
    zones = nodes = 0
    rows = []
    header = None
    in_meta = True
    for line in path.read_text().splitlines():
        s = line.strip()
        if in_meta:
            if s.startswith("<NUMBER OF ZONES>"):
                zones = int(s.split(">")[1])
            elif s.startswith("<NUMBER OF NODES>"):
                nodes = int(s.split(">")[1])
            elif s.startswith("<END OF METADATA>"):
                in_meta = False
            continue
        if not s:
            continue
        if s.startswith("~"):
            header = [c.lower() for c in s.lstrip("~").replace(";", "").split()]
            continue
        parts = s.replace(";", "").split()
        rows.append(parts)
    assert header is not None
    i_a, i_b = header.index("init_node"), header.index("term_node")
    i_t = next(i for i, c in enumerate(header) if c.startswith("free_flow") or c == "ftime")
    a = np.array([int(r[i_a]) - 1 for r in rows])
    b = np.array([int(r[i_b]) - 1 for r in rows])
    t = np.array([float(r[i_t]) for r in rows])
    return zones, nodes, a, b, t


def kernel_vs_scipy(path: Path, repeat: int) -> tuple[float, float, float]:
    zones, n, a, b, t = read_net(path)
    # one weight per (a, b): keep the first of duplicate links, as TNTP readers do
    _, first = np.unique(a * n + b, return_index=True)
    a, b, t = a[first], b[first], t[first]
    order = np.argsort(a, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(a, minlength=n))])
    adj = order
    allowed = np.ones(len(a), dtype=bool)
    mat = sp.csr_matrix((t, (a, b)), shape=(n, n))
    mat.eliminate_zeros()
    # scipy drops explicit zeros as non-edges: give both the same strictly positive weights
    w = np.maximum(t, 1e-9)
    mat = sp.csr_matrix((w, (a, b)), shape=(n, n))
    sources = np.arange(zones)
    dijkstra(indptr, adj, b, w, allowed, np.array([0]))  # compile / load cache

    def ours() -> np.ndarray:
        out = np.empty((zones, n))
        for z in sources:
            out[z], _ = dijkstra(indptr, adj, b, w, allowed, np.array([z]))
        return out

    best_ours = best_scipy = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        d1 = ours()
        best_ours = min(best_ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        d2 = scipy_dijkstra(mat, directed=True, indices=sources)
        best_scipy = min(best_scipy, time.perf_counter() - t0)
    diff = np.nanmax(np.abs(np.where(np.isfinite(d1), d1, 0) - np.where(np.isfinite(d2), d2, 0)))
    return best_ours, best_scipy, float(diff)


def median_ms(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tntp", help="folder with the TNTP networks")
    ap.add_argument("--quick", action="store_true", help="Chicago-Sketch only for the kernel")
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    net = embedded_network()
    ids = list(net.places)
    shortest_route(net, "Baku", "Tbilisi")  # warm the graph and the kernel
    pairs = [tuple(rng.choice(len(ids), 2, replace=False)) for _ in range(200)]
    pair_iter = iter(pairs * 2)

    def one() -> None:
        i, j = next(pair_iter)
        with contextlib.suppress(NoRouteError):  # unreachable pairs count too
            shortest_route(net, ids[i], ids[j], date="2025-11-10")

    rows = [("single route, warm (median of 200 random pairs)", median_ms(one, 200), 5.0, "ms")]
    alt = median_ms(
        lambda: alternative_routes(net, "Almaty", "Duisburg", k=10, date="2025-11-10"), 20
    )
    rows.append(("10 alternatives Almaty→Duisburg (median of 20)", alt, 50.0, "ms"))
    skim(net, date="2025-11-10")
    t0 = time.perf_counter()
    s = skim(net, date="2025-11-10")
    rows.append(
        (f"full skim {len(s.places)}x{len(s.places)} places", time.perf_counter() - t0, 1.0, "s")
    )
    exe = ROOT / ".venv" / "bin" / "overland"
    cold = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(
            [str(exe), "route", "Moscow", "Yerevan", "--date", "2025-11-10", "--json"],
            check=True,
            capture_output=True,
        )
        cold.append(time.perf_counter() - t0)
    rows.append(("`overland route` cold process (median of 3)", statistics.median(cold), 2.0, "s"))
    print(f"{'benchmark':58} {'value':>10} {'bar':>8}  ok")
    for name, value, bar, unit in rows:
        print(
            f"{name:58} {value:>8.3f}{unit:>2} {bar:>6}{unit:>2}  {'yes' if value < bar else 'NO'}"
        )
    folder = tntp_dir(args.tntp)
    nets = [("Chicago-Sketch", "ChicagoSketch_net.tntp")]
    if not args.quick:
        nets.append(("chicago-regional", "ChicagoRegional_net.tntp"))
    print(
        f"\n{'one-to-all from every zone':28} {'overland s':>11} {'scipy s':>9} {'ratio':>7} "
        f"{'max |diff|':>11}"
    )
    for name, file in nets:
        path = folder / name / file
        if not path.is_file():
            print(f"{name:28} skipped: {path} not found")
            continue
        ours, theirs, diff = kernel_vs_scipy(path, repeat=1 if name == "chicago-regional" else 3)
        print(f"{name:28} {ours:>11.3f} {theirs:>9.3f} {ours / theirs:>7.2f} {diff:>11.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
