"""Load benchmark of the HTTP API: many clients on routes while heavy jobs run.

Run: .venv/bin/python bench/bench_server.py [--clients 50] [--requests 20] [--jobs 40]

Starts ``overland serve`` on a free loopback port (shipped states warmed, as a user gets
it), then at once: ``--clients`` threads each send ``--requests`` route requests
(random freight places, k 1-5, seeded), one thread submits ``--jobs`` distinct heavy
analyses (flows at many growth factors, criticality, disruptions; 429s when the queue
is full are counted, not errors) and one polls ``/api/health``. Reports route and health
latency (p50/p95/max), errors (any 5xx other than a 503 busy answer, or a failed
connection), jobs done, and stops the server. Every loop is bounded in count; every
request has a client timeout.
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


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[int(q * (len(s) - 1))] if s else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=20, help="route requests per client")
    ap.add_argument("--jobs", type=int, default=40, help="heavy analyses submitted")
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
    lock = threading.Lock()
    route_ms: list[float] = []
    health_ms: list[float] = []
    errors: list[str] = []
    busy = {"route_503": 0, "job_429": 0}
    done = threading.Event()
    try:
        for _ in range(600):  # the server loads the package: up to 60 s
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        places = [p["id"] for p in httpx.get(base + "/api/places").json()["places"] if p["freight"]]
        rng = random.Random(42)
        plans = [
            [
                (rng.choice(places), rng.choice(places), rng.randint(1, 5))
                for _ in range(args.requests)
            ]
            for _ in range(args.clients)
        ]

        def record(kind: str, exc_or_status: object) -> None:
            with lock:
                errors.append(f"{kind}: {exc_or_status}")

        def client(plan: list[tuple[str, str, int]]) -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                for a, b, k in plan:
                    t0 = time.perf_counter()
                    try:
                        r = c.get("/api/route", params={"from": a, "to": b, "k": k})
                    except httpx.HTTPError as exc:
                        record("route", repr(exc))
                        continue
                    ms = (time.perf_counter() - t0) * 1000
                    with lock:
                        route_ms.append(ms)
                        if r.status_code == 503:
                            busy["route_503"] += 1
                    if r.status_code >= 500 and r.status_code != 503:
                        record("route", f"{r.status_code} {a}->{b}")

        def health() -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                for _ in range(100_000):
                    if done.is_set():
                        return
                    t0 = time.perf_counter()
                    try:
                        r = c.get("/api/health")
                    except httpx.HTTPError as exc:
                        record("health", repr(exc))
                        continue
                    with lock:
                        health_ms.append((time.perf_counter() - t0) * 1000)
                    if r.status_code != 200:
                        record("health", r.status_code)
                    time.sleep(0.05)

        submitted: list[str] = []

        def heavy() -> None:
            bodies: list[tuple[str, dict[str, object]]] = []
            for i in range(args.jobs):
                growth = round(1 + 0.1 * i, 1)
                bodies.append(("flows", {"growth": min(growth, 10.0)}))
                bodies.append(("critical", {"countries": ["AM", "AZ", "GE"], "top": 5 + i}))
                bodies.append(("disrupt", {"close": ["road-dariali-upper_lars"], "days": 1 + i}))
            with httpx.Client(base_url=base, timeout=60) as c:
                for kind, body in bodies[: args.jobs]:
                    r = c.post(f"/api/{kind}", json=body)
                    if r.status_code == 202:
                        submitted.append(r.json()["url"])
                    elif r.status_code == 429:
                        with lock:
                            busy["job_429"] += 1
                    else:
                        record(kind, f"{r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=client, args=(p,)) for p in plans]
        extra = [threading.Thread(target=heavy), threading.Thread(target=health)]
        t0 = time.perf_counter()
        for t in [*extra, *threads]:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        done.set()
        for t in extra:
            t.join()
        finished = 0
        with httpx.Client(base_url=base, timeout=60) as c:
            for url in submitted:
                state = c.get(url).json()["status"]
                finished += state == "done"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    n = len(route_ms)
    print(
        f"{args.clients} clients x {args.requests} route requests (k 1-5) while "
        f"{len(submitted)} heavy jobs were accepted ({busy['job_429']} refused with 429, "
        f"{finished} done by the end): {n} answered in {wall:.1f} s ({n / wall:.0f} req/s)"
    )
    print(
        f"route ms:  p50 {statistics.median(route_ms):.1f}  p95 {pct(route_ms, 0.95):.1f}  "
        f"max {max(route_ms):.1f}  (503 busy: {busy['route_503']})"
    )
    print(
        f"health ms: p50 {statistics.median(health_ms):.1f}  p95 {pct(health_ms, 0.95):.1f}  "
        f"max {max(health_ms):.1f}  ({len(health_ms)} polls)"
    )
    print(f"errors: {len(errors)}" + (f" e.g. {errors[:3]}" if errors else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
