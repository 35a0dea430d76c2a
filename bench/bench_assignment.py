"""Assignment benchmark: Overland vs AequilibraE in the same run on the same input.

Run: .venv/bin/pip install aequilibrae && .venv/bin/python bench/bench_assignment.py

For each TNTP network, times to relative gap 1e-4 and 1e-6 for Overland's path-based
gradient projection (``gp``) and bi-conjugate Frank-Wolfe (``bfw``), and for
AequilibraE's ``bfw`` with 2 threads, and the final gap of every run computed the same
way ((TSTT - SPTT) / TSTT at the final flows, by Overland's code). Fairness as in
PEERS.md: free-flow times <= 0 become 1e-6 and BPR power < 1 becomes 1 for AequilibraE
(both identical in effect: those links have B = 0), blocked centroid flows when the first
thru node is > 1, dead ends pruned for both tools. Also: the all-zones one-to-all skim
against scipy (1 and 2 threads) and the peak memory of an assignment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from overland.assignment import AssignmentSpec, LinkTable, assign, link_skims, relative_gap_of
from overland.tntp import TntpNetwork, find_tntp_files, read_net, read_trips

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = {"Chicago-Sketch": (0.02, 0.04)}


def prune_dead_ends(net: TntpNetwork) -> LinkTable:
    """Drop links into non-zone nodes that cannot be left (and out of unreachable ones)."""
    keep = np.ones(net.n_links, dtype=bool)
    zone = np.arange(net.nodes) < net.zones
    while True:
        out_deg = np.bincount(net.init[keep], minlength=net.nodes)
        in_deg = np.bincount(net.term[keep], minlength=net.nodes)
        dead = ~zone & ((out_deg == 0) | (in_deg == 0))
        drop = keep & (dead[net.term] | dead[net.init])
        if not drop.any():
            break
        keep &= ~drop
    lt = LinkTable.from_tntp(net)
    sel = np.flatnonzero(keep)
    return LinkTable(
        lt.nodes,
        lt.init[sel],
        lt.term[sel],
        lt.capacity[sel],
        lt.fft[sel],
        lt.b[sel],
        lt.power[sel],
        lt.vdf[sel],
        lt.toll[sel],
        lt.length[sel],
        lt.zones,
        lt.first_thru_node,
    )


def time_to(history: list[tuple[int, float, float, float]], gap: float) -> float | None:
    return next((h[3] for h in history if h[1] <= gap), None)


def run_aequilibrae(
    links: LinkTable, demand: np.ndarray, gap: float, tw: float, dw: float, max_iter: int
) -> tuple[float, np.ndarray, int]:
    import pandas as pd
    from aequilibrae.matrix import AequilibraeMatrix
    from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass

    m = len(links.init)
    net = pd.DataFrame(
        {
            "link_id": np.arange(1, m + 1),
            "a_node": links.init + 1,
            "b_node": links.term + 1,
            "direction": 1,
            "free_flow_time": np.maximum(links.fft, 1e-6),
            "capacity": links.capacity,
            "b": links.b,
            "power": np.where(links.power < 1, 1.0, links.power),
            "fixed": tw * links.toll + dw * links.length,
        }
    )
    zones = demand.shape[0]
    g = Graph()
    g.network = net
    g.prepare_graph(np.arange(1, zones + 1))
    g.set_graph("free_flow_time")
    g.set_skimming(["free_flow_time"])
    g.set_blocked_centroid_flows(links.first_thru_node > 1)
    mat = AequilibraeMatrix()
    mat.create_empty(zones=zones, matrix_names=["matrix"], memory_only=True)
    mat.index = np.arange(1, zones + 1)
    mat.matrices[:, :, 0] = demand
    mat.computational_view(["matrix"])
    tc = TrafficClass("car", g, mat)
    if tw or dw:
        tc.set_fixed_cost("fixed", 1.0)
    ta = TrafficAssignment()
    ta.set_classes([tc])
    ta.set_vdf("BPR")
    ta.set_vdf_parameters({"alpha": "b", "beta": "power"})
    ta.set_capacity_field("capacity")
    ta.set_time_field("free_flow_time")
    ta.set_algorithm("bfw")
    ta.max_iter = max_iter
    ta.rgap_target = gap
    ta.set_cores(2)
    t0 = time.perf_counter()
    ta.execute()
    seconds = time.perf_counter() - t0
    flows = ta.results()["matrix_tot"].reindex(np.arange(1, m + 1)).to_numpy()
    iters = len(ta.assignment.convergence_report["iteration"])
    return seconds, flows, iters


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tntp", help="folder with the TNTP networks")
    ap.add_argument("--networks", default="SiouxFalls,Anaheim,Chicago-Sketch,Berlin-Center")
    ap.add_argument("--no-aequilibrae", action="store_true")
    ap.add_argument(
        "--skims",
        default="chicago-regional,Sydney",
        help="networks for the all-zones skim vs scipy ('' to skip)",
    )
    args = ap.parse_args()
    os.environ.setdefault("AEQ_SHOW_PROGRESS", "FALSE")
    folder = Path(
        args.tntp or os.environ.get("OVERLAND_TNTP_DIR") or ROOT.parent / "shared" / "data" / "tntp"
    )
    try:
        import aequilibrae  # noqa: F401

        have_aeq = not args.no_aequilibrae
    except ImportError:
        have_aeq = False
        print("AequilibraE not installed: pip install aequilibrae (peer columns left empty)")
    head = (
        f"{'network':15} {'tool':22} {'t(1e-4) s':>10} {'t(1e-6) s':>10} {'iters':>6} "
        f"{'final gap':>10} {'ratio 1e-4':>10} {'ratio 1e-6':>10}"
    )
    print(head)
    for name in args.networks.split(","):
        files = find_tntp_files(folder / name)
        net = read_net(files["net"])
        demand = read_trips(files["trips"], net.zones)
        links = prune_dead_ends(net)
        tw, dw = WEIGHTS.get(name, (0.0, 0.0))
        assign(links, demand, AssignmentSpec(algorithm="gp", max_iterations=1))  # JIT warm
        rows = []
        for alg, limit in (("gp", 500), ("bfw", 2000 if name != "Berlin-Center" else 300)):
            r = assign(
                links,
                demand,
                AssignmentSpec(
                    algorithm=alg,
                    target_gap=1e-6,
                    max_iterations=limit,
                    toll_weight=tw,
                    distance_weight=dw,
                ),
            )
            gap, _ = relative_gap_of(links, demand, r.link_flow, toll_weight=tw, distance_weight=dw)
            rows.append(
                (
                    f"overland {alg}",
                    time_to(r.history, 1e-4),
                    time_to(r.history, 1e-6),
                    r.iterations,
                    gap,
                )
            )
        aeq: dict[float, float] = {}
        if have_aeq:
            for target in (1e-4, 1e-6):
                secs, flows, iters = run_aequilibrae(links, demand, target, tw, dw, max_iter=3000)
                gap, _ = relative_gap_of(links, demand, flows, toll_weight=tw, distance_weight=dw)
                aeq[target] = secs
                rows.append(
                    (
                        f"aequilibrae bfw {target:.0e}",
                        secs if target == 1e-4 else None,
                        secs if target == 1e-6 else None,
                        iters,
                        gap,
                    )
                )
        for tool, t4, t6, iters, gap in rows:
            r4 = (
                f"{t4 / aeq[1e-4]:.3f}"
                if t4 and 1e-4 in aeq and tool.startswith("overland")
                else ""
            )
            r6 = (
                f"{t6 / aeq[1e-6]:.3f}"
                if t6 and 1e-6 in aeq and tool.startswith("overland")
                else ""
            )
            t4s = f"{t4:.2f}" if t4 is not None else "-"
            t6s = f"{t6:.2f}" if t6 is not None else "-"
            print(
                f"{name:15} {tool:22} {t4s:>10} {t6s:>10} {iters:>6} {gap:>10.2e} {r4:>10} {r6:>10}"
            )
    print(
        f"\n{'all-zones skim':18} {'scipy s':>8} {'1 thread s':>11} {'ratio':>6} "
        f"{'2 threads s':>12} {'ratio':>6}"
    )
    for name in args.skims.split(","):
        if not name:
            continue
        net = read_net(find_tntp_files(folder / name)["net"])
        lt = LinkTable.from_tntp(net)
        w = np.maximum(lt.fft, 1e-9)  # scipy drops zero weights: same positive weights for both
        mat = sp.csr_matrix((w, (lt.init, lt.term)), shape=(net.nodes, net.nodes))
        zones = np.arange(net.zones)
        link_skims(lt, w, zones=net.zones, threads=1)  # JIT warm
        t0 = time.perf_counter()
        ref = scipy_dijkstra(mat, directed=True, indices=zones)[:, : net.zones]
        t_sp = time.perf_counter() - t0
        res = {}
        for threads in (1, 2):
            t0 = time.perf_counter()
            out = link_skims(lt, w, zones=net.zones, threads=threads)
            res[threads] = time.perf_counter() - t0
            # first thru node: zones are not passed through in Overland's skims, so compare
            # only where both agree that zones are not used as shortcuts
            del out
        print(
            f"{name:18} {t_sp:>8.2f} {res[1]:>11.2f} {res[1] / t_sp:>6.2f} {res[2]:>12.2f} "
            f"{res[2] / t_sp:>6.2f}"
        )
        del ref
    # twice: the first process may JIT-compile the kernels (numba caches them on disk)
    for _ in range(2):
        peak = subprocess.run(
            [sys.executable, "-c", PEAK],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "TNTP": str(folder / "Berlin-Center")},
        ).stdout.strip()
    print(f"\npeak memory of a gp assignment on Berlin-Center to 1e-6 (kernels cached): {peak}")
    return 0


PEAK = """
import os, resource
from overland.assignment import AssignmentSpec, LinkTable, assign
from overland.tntp import find_tntp_files, read_net, read_trips
f = find_tntp_files(os.environ['TNTP'])
n = read_net(f['net'])
r = assign(LinkTable.from_tntp(n), read_trips(f['trips'], n.zones),
           AssignmentSpec(algorithm='gp', target_gap=1e-6))
print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
      f"(gap {r.relative_gap:.1e})")
"""


if __name__ == "__main__":
    sys.exit(main())
