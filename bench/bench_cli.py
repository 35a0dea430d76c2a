"""Start-up benchmark of the command line: wall time of whole ``overland`` processes.

Run: .venv/bin/python bench/bench_cli.py [--runs 7] [--overland PATH]

Each round runs every case once, in turn (alternating, so that a burst of load from
elsewhere hits all cases alike); the table shows the median and the spread over the
rounds, the target (issue 12: ``--version`` and ``--help`` 0.3 s, ``route`` 1 s on an
idle machine) and the ratio to it. ``import overland.cli`` is timed twice: as a
process (wall time, the interpreter's own start-up included, which the row ``python
-c pass`` shows alone) and as Python's ``-X importtime`` total for the module.
Run ``overland warm`` once before, so numba kernels come from the disk cache. The
load average is printed: numbers taken on a busy machine are not the idle ones.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _importtime(python: str, module: str) -> float:
    """Cumulative import time of ``module`` in seconds, from ``python -X importtime``."""
    err = subprocess.run(
        [python, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    pattern = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| " + re.escape(module) + r"$")
    for line in err.splitlines():
        m = pattern.match(line)
        if m:
            return int(m.group(1)) / 1e6
    raise RuntimeError(f"no importtime line for {module}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=7, help="rounds (each runs every case)")
    ap.add_argument("--overland", default=str(ROOT / ".venv" / "bin" / "overland"))
    args = ap.parse_args()
    python = str(Path(args.overland).parent / "python")
    cases: list[tuple[str, list[str] | None, float | None]] = [
        ("python -c pass", [python, "-c", "pass"], None),
        ("python -c 'import overland.cli'", [python, "-c", "import overland.cli"], 0.3),
        ("overland --version", [args.overland, "--version"], 0.3),
        ("overland --help", [args.overland, "--help"], 0.3),
        (
            "overland route Baku Tbilisi --jsn (typo)",
            [args.overland, "route", "Baku", "Tbilisi", "--jsn"],
            0.3,
        ),
        ("overland route Baku Tbilisi", [args.overland, "route", "Baku", "Tbilisi"], 1.0),
        ("-X importtime overland.cli", None, 0.3),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _name, argv, _ in cases:  # one untimed round: file caches, numba's index
        if argv is not None:
            _wall(argv)
    for _ in range(args.runs):
        for name, argv, _ in cases:
            times[name].append(_importtime(python, "overland.cli") if argv is None else _wall(argv))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.runs} rounds, {os.cpu_count()} CPUs, load average (1 min) {load:.2f}")
    print(f"{'case':44} {'median s':>9} {'min-max s':>13} {'target s':>9} {'ratio':>6}")
    worst = 0.0
    for name, _, target in cases:
        t = times[name]
        med = statistics.median(t)
        spread = f"{min(t):.3f}-{max(t):.3f}"
        if target is None:
            print(f"{name:44} {med:9.3f} {spread:>13} {'':>9} {'':>6}")
            continue
        ratio = med / target
        worst = max(worst, ratio)
        print(f"{name:44} {med:9.3f} {spread:>13} {target:9.1f} {ratio:6.2f}")
    print("all within target" if worst <= 1 else f"over target: worst ratio {worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
