"""Assignment benchmark: Overland vs tap-b and AequilibraE in the same run, same input.

Run: .venv/bin/python bench/bench_assignment.py --tapb   (the tap-b table: Overland's
bush solver against tap-b, Dial's Algorithm B in C, built from ../shared/peers/tap-b with
its build.sh; skipped with a message when that folder is missing), or without --tapb for
the AequilibraE comparison below (.venv/bin/pip install aequilibrae).

tap-b table: for each network and target gap, seconds from the solver's start (tap-b:
its PERFITER lines of one run to the tightest target; Overland: one run per target,
``AssignmentResult.seconds``), iterations, peak memory of the process (each tool runs in
its own subprocess), the final flows' relative gap by :func:`relative_gap_of` for both
tools, the objective, and the ratio Overland / tap-b. Runs alternate between the tools.

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
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from overland.assignment import AssignmentSpec, LinkTable, assign, link_skims, relative_gap_of
from overland.assignment.tntp import TntpNetwork, find_tntp_files, read_net, read_trips

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


TAPB_TARGETS = (1e-4, 1e-6, 1e-8, 1e-10)
OVERLAND_RUN = """
import json, os, resource, sys
import numpy as np
from overland.assignment import AssignmentSpec, LinkTable, assign
from overland.assignment.tntp import find_tntp_files, read_net, read_trips
f = find_tntp_files(sys.argv[1])
n = read_net(f['net'])
d = read_trips(f['trips'], n.zones)
lt = LinkTable.from_tntp(n)
tw, dw = float(sys.argv[2]), float(sys.argv[3])
for _ in range(2):  # JIT load, thread pool start (one iteration: Berlin takes 5 s a one)
    assign(lt, d, AssignmentSpec(algorithm='bush', target_gap=1e-6, max_iterations=1,
           toll_weight=tw, distance_weight=dw))
out = []
for g in map(float, sys.argv[4].split(',')):
    r = assign(lt, d, AssignmentSpec(algorithm='bush', target_gap=g, max_iterations=500,
               toll_weight=tw, distance_weight=dw))
    np.save(sys.argv[5] + f'/{g:.0e}.npy', r.link_flow)
    out.append([g, r.seconds, r.iterations])
print(json.dumps({'runs': out,
                  'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _vm_hwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def build_tapb(folder: Path) -> Path | None:
    script = folder / "build.sh"
    if not script.is_file():
        print(f"tap-b peer skipped: {script} not found (see ../shared/peers/tap-b/README.md)")
        return None
    out = subprocess.run(
        ["bash", str(script), "/tmp/overland-bench-tap-b"], capture_output=True, text=True
    )
    if out.returncode != 0:
        print(f"tap-b peer skipped: build failed: {out.stderr.strip()[-300:]}")
        return None
    return Path(out.stdout.strip().splitlines()[-1])


def run_tapb(
    binary: Path, files: dict[str, Path], gap: float, tw: float, dw: float, work: Path
) -> tuple[list[tuple[int, float, float]], np.ndarray, float]:
    """One tap-b run: (iteration, gap, seconds) per iteration, final flows, peak MB."""
    work.mkdir(parents=True, exist_ok=True)
    net = work / files["net"].name
    text = files["net"].read_text()
    if tw or dw:  # the README's generalized-cost weights go into the net file's metadata
        text = f"<TOLL FACTOR> {tw}\n<DISTANCE FACTOR> {dw}\n" + text
    net.write_text(text)
    trips = work / files["trips"].name
    if not trips.exists():
        trips.symlink_to(files["trips"])
    params = work / "params.txt"
    params.write_text(
        f"<NETWORK FILE> {net.name}\n<TRIPS FILE> {trips.name}\n<FILE PATH> {work}/\n"
        f"<DATA PATH> {work}/\n<CONVERGENCE GAP> {gap}\n<MAX RUN TIME> 600\n"
        f"<MAX ITERATIONS> 100000\n<NUMBER OF THREADS> 1\n<FLOWS FILE> {work}/flows.txt\n"
    )
    with (work / "stdout.txt").open("w") as log:
        # in its own folder: tap-b writes its logs (full_log.txt) to the working directory
        proc = subprocess.Popen([str(binary.resolve()), str(params)], stdout=log, cwd=work)
        # (this child's peak is measured after exec by polling VmHWM: ru_maxrss of a
        # Popen child counts the forked Python process)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _vm_hwm(proc.pid))
            time.sleep(0.002)
    stdout = (work / "stdout.txt").read_text()
    iters = [
        (int(p[1]), float(p[2]), float(p[3]))
        for p in (line.split() for line in stdout.splitlines())
        if p and p[0] == "PERFITER"
    ]
    flows = [
        float(line.split()[1])
        for line in (work / "flows.txt").read_text().splitlines()
        if line.startswith("(")
    ]
    return iters, np.array(flows), peak


SLOW = {"Berlin-Center"}  # tap-b takes minutes a run: --slow-repeats runs of these


def tapb_table(
    folder: Path, names: list[str], repeats: int, peer: Path, slow_repeats: int = 1
) -> None:
    binary = build_tapb(peer)
    if binary is None:
        return
    print("load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(
        f"{'network':15} {'gap':>6} {'tap-b s':>8} {'it':>4} {'overland s':>10} {'it':>4} "
        f"{'ratio':>6} {'tap-b gap':>10} {'ovl gap':>10} {'rel obj diff':>12} "
        f"{'MB tap-b':>8} {'MB ovl':>7}"
    )
    import json
    import statistics
    import tempfile

    for name in names:
        files = find_tntp_files(folder / name)
        net = read_net(files["net"])
        demand = read_trips(files["trips"], net.zones)
        links = LinkTable.from_tntp(net)
        tw, dw = WEIGHTS.get(name, (0.0, 0.0))
        targets = [g for g in TAPB_TARGETS if name != "Berlin-Center" or g >= 1e-8]
        tb_runs, ov_runs = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for rep in range(slow_repeats if name in SLOW else repeats):
                tb_runs.append(
                    run_tapb(binary, files, min(targets), tw, dw, Path(tmp) / f"tapb{rep}")
                )
                out = subprocess.run(
                    [sys.executable, "-c", OVERLAND_RUN, str(folder / name), str(tw), str(dw),
                     ",".join(f"{g:g}" for g in targets), tmp],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                ov_runs.append(json.loads(out.stdout))
            ov_flows = {g: np.load(Path(tmp) / f"{g:.0e}.npy") for g in targets}
        tb_iters, tb_flows, tb_peak = tb_runs[-1]
        tb_gap, tb_obj = relative_gap_of(
            links, demand, tb_flows, toll_weight=tw, distance_weight=dw
        )
        for k, g in enumerate(targets):
            tb_t = statistics.median(
                next((s for _, gg, s in run[0] if gg <= g), float("nan")) for run in tb_runs
            )
            tb_it = next((i for i, gg, _ in tb_iters if gg <= g), -1)
            ov_t = statistics.median(run["runs"][k][1] for run in ov_runs)
            ov_it = ov_runs[-1]["runs"][k][2]
            ov_gap, ov_obj = relative_gap_of(
                links, demand, ov_flows[g], toll_weight=tw, distance_weight=dw
            )
            last = g == min(targets)
            print(
                f"{name:15} {g:>6.0e} {tb_t:>8.3f} {tb_it:>4} {ov_t:>10.3f} {ov_it:>4} "
                f"{ov_t / tb_t:>6.2f} {tb_gap if last else float('nan'):>10.2e} {ov_gap:>10.2e} "
                f"{(ov_obj - tb_obj) / tb_obj if last else float('nan'):>12.2e} "
                f"{tb_peak:>8.0f} {max(r['peak_mb'] for r in ov_runs):>7.0f}"
            )
        print("  load average now: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def write_tntp(folder: Path, links: LinkTable, demand: np.ndarray) -> dict[str, Path]:
    """A TNTP net and trips file of ``links`` and ``demand`` (full precision), for tap-b."""
    folder.mkdir(parents=True, exist_ok=True)
    zones = demand.shape[0]
    rows = [
        f"<NUMBER OF ZONES> {zones}",
        f"<NUMBER OF NODES> {links.nodes}",
        f"<FIRST THRU NODE> {links.first_thru_node}",
        f"<NUMBER OF LINKS> {len(links.init)}",
        "<END OF METADATA>",
        "",
        "~ init_node term_node capacity length free_flow_time b power speed toll link_type ;",
    ]
    for i in range(len(links.init)):
        values = (links.capacity, links.length, links.fft, links.b, links.power)
        cols = "\t".join(repr(float(v[i])) for v in values)
        rows.append(
            f"\t{links.init[i] + 1}\t{links.term[i] + 1}\t{cols}\t0\t{float(links.toll[i])!r}\t1\t;"
        )
    net = folder / "variant_net.tntp"
    net.write_text("\n".join(rows) + "\n")
    trips_rows = [f"<NUMBER OF ZONES> {zones}", f"<TOTAL OD FLOW> {float(demand.sum())!r}"]
    trips_rows += ["<END OF METADATA>", ""]
    for o in range(zones):
        trips_rows.append(f"Origin {o + 1}")
        trips_rows.append(
            " ".join(f"{d + 1} : {float(demand[o, d])!r};" for d in np.flatnonzero(demand[o] > 0))
        )
    trips = folder / "variant_trips.tntp"
    trips.write_text("\n".join(trips_rows) + "\n")
    return {"net": net, "trips": trips}


def variants(
    links: LinkTable, demand: np.ndarray, seed: int
) -> dict[str, tuple[LinkTable, np.ndarray]]:
    """Generated variants of a network: non-integer BPR powers on the congestible links,
    a faster twin (free-flow time x0.7) of a tenth of the links, demand x1.3."""
    rng = np.random.default_rng(seed)
    m = len(links.init)
    powers = dataclasses.replace(
        links, power=np.where(links.b > 0, rng.uniform(1.5, 6.0, m), links.power)
    )
    picked = rng.choice(m, max(1, m // 10), replace=False)
    fields = ("init", "term", "capacity", "fft", "b", "power", "vdf", "toll", "length")
    twins = dataclasses.replace(
        links,
        **{
            k: np.concatenate(
                [getattr(links, k), getattr(links, k)[picked] * (0.7 if k == "fft" else 1)]
            )
            for k in fields
        },
    )
    return {
        "powers": (powers, demand),
        "twins": (twins, demand),
        "demand x1.3": (links, 1.3 * demand),
    }


def tapb_variants(folder: Path, names: list[str], peer: Path) -> None:
    """tap-b (to 1e-9) and Overland's bush solver (to 1e-8) on generated variants: both
    final gaps by :func:`relative_gap_of` and the objectives' relative difference (the
    issue asks for 1e-7 at 1e-8)."""
    binary = build_tapb(peer)
    if binary is None:
        return
    import tempfile

    print(f"{'variant':28} {'tap-b gap':>10} {'ovl gap':>10} {'it':>3} {'rel obj diff':>12}")
    for seed, name in enumerate(names):
        files = find_tntp_files(folder / name)
        net = read_net(files["net"])
        base = LinkTable.from_tntp(net), read_trips(files["trips"], net.zones)
        tw, dw = WEIGHTS.get(name, (0.0, 0.0))
        for label, (links, demand) in variants(*base, seed).items():
            with tempfile.TemporaryDirectory() as tmp:
                vfiles = write_tntp(Path(tmp), links, demand)
                _iters, tb_flows, _peak = run_tapb(binary, vfiles, 1e-9, tw, dw, Path(tmp) / "run")
            r = assign(
                links,
                demand,
                AssignmentSpec(
                    algorithm="bush", target_gap=1e-8, toll_weight=tw, distance_weight=dw
                ),
            )
            tb_gap, tb_obj = relative_gap_of(
                links, demand, tb_flows, toll_weight=tw, distance_weight=dw
            )
            ov_gap, ov_obj = relative_gap_of(
                links, demand, r.link_flow, toll_weight=tw, distance_weight=dw
            )
            print(
                f"{name + ' ' + label:28} {tb_gap:>10.2e} {ov_gap:>10.2e} {r.iterations:>3} "
                f"{(ov_obj - tb_obj) / tb_obj:>12.2e}"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tntp", help="folder with the TNTP networks")
    ap.add_argument("--networks", default="SiouxFalls,Anaheim,Chicago-Sketch,Berlin-Center")
    ap.add_argument("--no-aequilibrae", action="store_true")
    ap.add_argument("--tapb", action="store_true", help="the tap-b table (and nothing else)")
    ap.add_argument(
        "--variants",
        action="store_true",
        help="tap-b and Overland on generated variants (powers, twins, demand x1.3)",
    )
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs per tool (tap-b)")
    ap.add_argument(
        "--slow-repeats", type=int, default=1, help="the same for Berlin-Center (minutes a run)"
    )
    ap.add_argument("--tapb-dir", default=str(ROOT.parent / "shared" / "peers" / "tap-b"))
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
    if args.variants:
        names = [n for n in args.networks.split(",") if n != "Berlin-Center"]
        tapb_variants(folder, names, Path(args.tapb_dir))
        return 0
    if args.tapb:
        tapb_table(
            folder, args.networks.split(","), args.repeats, Path(args.tapb_dir), args.slow_repeats
        )
        return 0
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
from overland.assignment.tntp import find_tntp_files, read_net, read_trips
f = find_tntp_files(os.environ['TNTP'])
n = read_net(f['net'])
r = assign(LinkTable.from_tntp(n), read_trips(f['trips'], n.zones),
           AssignmentSpec(algorithm='gp', target_gap=1e-6))
print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
      f"(gap {r.relative_gap:.1e})")
"""


if __name__ == "__main__":
    sys.exit(main())
