"""Load benchmark of the HTTP API: 20 concurrent clients on loopback against /api/route.

Run: .venv/bin/python bench/bench_server.py [--clients 20] [--requests 30]
Starts ``overland serve`` on a free loopback port, sends a bounded number of requests
(random place pairs, seeded), reports p50/p95/max latency and errors, and stops the
server. Bar (issue 5): p95 < 50 ms and zero errors.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=30, help="requests per client")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "overland"), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        places = [p["id"] for p in httpx.get(base + "/api/places").json()["places"]]
        rng = random.Random(42)
        jobs = [
            [(rng.choice(places), rng.choice(places)) for _ in range(args.requests)]
            for _ in range(args.clients)
        ]
        httpx.get(base + "/api/route", params={"from": "baku", "to": "tbilisi"})  # warm
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def client(pairs: list[tuple[str, str]]) -> None:
            with httpx.Client(base_url=base, timeout=10) as c:
                for a, b in pairs:
                    t0 = time.perf_counter()
                    try:
                        r = c.get(
                            "/api/route", params={"from": a, "to": b, "k": 1, "date": "2025-11-10"}
                        )
                        ok = r.status_code in (200, 404, 422)  # 404: no route, 422: same place
                    except httpx.HTTPError as exc:
                        ok, r = False, None
                        with lock:
                            errors.append(repr(exc))
                    dt = (time.perf_counter() - t0) * 1000
                    with lock:
                        latencies.append(dt)
                        if not ok and r is not None:
                            errors.append(f"{r.status_code} {a}->{b}")

        threads = [threading.Thread(target=client, args=(j,)) for j in jobs]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"{args.clients} clients x {args.requests} requests to /api/route: "
        f"{len(latencies)} done in {wall:.2f} s ({len(latencies) / wall:.0f} req/s)"
    )
    print(
        f"latency ms: p50 {statistics.median(latencies):.1f}, p95 {p95:.1f}, "
        f"max {latencies[-1]:.1f}; errors {len(errors)}"
    )
    print(f"bar p95 < 50 ms and zero errors: {'yes' if p95 < 50 and not errors else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
