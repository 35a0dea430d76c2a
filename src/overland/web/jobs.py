"""Jobs: heavy analyses in worker processes, with a bounded queue, time limits,
cancellation and a bounded cache of results.

One computation per distinct key: submitting a job whose key is queued, running or done
returns that job. Each worker process loads the network once and runs one job at a
time; a job that passes its time limit or is cancelled has its worker killed (a
computation in a thread cannot be stopped; a process can) and a fresh one started for
the next job. Dispatching happens on plain threads, one per worker, so the server's
event loop never waits on a computation.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from ..schema import DEFAULT_LIMITS, LoadLimits
from .problems import JobNotFoundError, QueueFullError

__all__ = ["Job", "JobQueue"]

Status = Literal["queued", "running", "done", "failed", "cancelled", "timeout"]
FINAL: frozenset[str] = frozenset({"done", "failed", "cancelled", "timeout"})
#: longest a worker process may take to import Overland and load the package
STARTUP_LIMIT_S = 600.0


@dataclass
class Job:
    """One submitted analysis and, once finished, its result or error."""

    id: str
    kind: str
    params: dict[str, Any]
    key: str
    priority: int
    submitted: float = field(default_factory=time.time)
    status: Status = "queued"
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cancel_requested: bool = False

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def as_dict(self) -> dict[str, Any]:
        """The job's state as JSON (without the result, which is fetched on its own)."""
        doc: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "status": self.status,
            "submitted": _iso(self.submitted),
            "started": _iso(self.started),
            "finished": _iso(self.finished),
            "seconds": None
            if self.started is None
            else round((self.finished or time.time()) - self.started, 3),
            "url": f"/api/jobs/{self.id}",
            "result_url": f"/api/jobs/{self.id}/result",
        }
        if self.error is not None:
            doc["error"] = self.error
        return doc


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def job_key(kind: str, params: dict[str, Any]) -> str:
    """The identity of a computation: its kind and normalized parameters."""
    return kind + ":" + json.dumps(params, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------- worker process


class _Worker:
    """A worker process (``python -m overland.web.worker``) and the socket to it."""

    def __init__(self, package: Path, memory_mb: int, limits: LoadLimits) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "overland.web.worker",
                    str(package),
                    str(memory_mb),
                    str(theirs.fileno()),
                    json.dumps(dataclasses.asdict(limits)),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        self.conn = Connection(ours.detach())
        self.ready = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self.conn.close()


# ---------------------------------------------------------------------- the queue


class JobQueue:
    """Bounded queue of jobs run by ``workers`` worker processes.

    Parameters
    ----------
    package : Path
        The network package the workers load.
    workers : int
        Worker processes (each runs one job at a time).
    capacity : int
        Most jobs waiting; past it :meth:`submit` raises :class:`QueueFullError`.
    time_limit_s : float
        Longest a job may run once its worker is ready.
    keep : int
        Finished jobs kept (with their results); the oldest are evicted first.
    memory_mb : int
        Address-space limit of each worker process.
    limits : LoadLimits
        The package reading limits the workers load it with.
    """

    def __init__(
        self,
        package: Path,
        *,
        workers: int = 1,
        capacity: int = 32,
        time_limit_s: float = 300.0,
        keep: int = 64,
        memory_mb: int = 8192,
        limits: LoadLimits = DEFAULT_LIMITS,
    ) -> None:
        self.package = package
        self.limits = limits
        self.capacity = capacity
        self.time_limit_s = time_limit_s
        self.keep = keep
        self.memory_mb = memory_mb
        self._n_workers = workers
        self._cv = threading.Condition()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._by_key: dict[str, str] = {}
        self._pending: list[tuple[int, int, str]] = []
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self._closed = False

    # ------------------------------------------------------------------ public

    def start(self) -> None:
        """Start the dispatcher threads (worker processes start with their first job)."""
        with self._cv:
            self._start_threads()

    def close(self) -> None:
        """Stop: cancel what waits, kill the workers, join the threads."""
        with self._cv:
            self._closed = True
            for _, _, jid in self._pending:
                self._finish(self._jobs[jid], "cancelled", error=_cancelled())
            self._pending.clear()
            self._cv.notify_all()
        for t in self._threads:
            t.join()
        self._threads.clear()

    def submit(self, kind: str, params: dict[str, Any], *, priority: int = 0) -> Job:
        """Queue a job, or return the one with the same key (queued, running or done)."""
        key = job_key(kind, params)
        with self._cv:
            if self._closed:
                raise QueueFullError("the server is shutting down")
            known = self._by_key.get(key)
            if known is not None:
                job = self._jobs[known]
                if job.status not in ("cancelled", "timeout"):
                    if priority < job.priority and job.status == "queued":
                        self._requeue(job, priority)
                    self._jobs.move_to_end(job.id)
                    return job
            if len(self._pending) >= self.capacity:
                raise QueueFullError(
                    f"{len(self._pending)} jobs are waiting (the most this server queues); "
                    "retry later"
                )
            job = Job(uuid.uuid4().hex, kind, params, key, priority)
            self._jobs[job.id] = job
            self._by_key[key] = job.id
            heapq.heappush(self._pending, (priority, next(self._seq), job.id))
            self._evict()
            self._cv.notify_all()
            self._start_threads()
            return job

    def get(self, job_id: str) -> Job:
        """The job with this id."""
        with self._cv:
            job = self._jobs.get(job_id)
            if job is None:
                raise JobNotFoundError(job_id)
            return job

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once, a running one by killing its worker."""
        with self._cv:
            job = self.get(job_id)
            if job.status == "queued":
                self._pending = [p for p in self._pending if p[2] != job_id]
                heapq.heapify(self._pending)
                self._finish(job, "cancelled", error=_cancelled())
            elif job.status == "running":
                job.cancel_requested = True
                self._cv.notify_all()
            return job

    def stats(self) -> dict[str, Any]:
        """Queue length, capacity, workers and job counts by status."""
        with self._cv:
            counts: dict[str, int] = {}
            for j in self._jobs.values():
                counts[j.status] = counts.get(j.status, 0) + 1
            return {
                "waiting": len(self._pending),
                "capacity": self.capacity,
                "workers": self._n_workers,
                "time_limit_s": self.time_limit_s,
                "jobs": counts,
            }

    def recent(self, n: int = 50) -> list[Job]:
        """The most recently submitted or reused jobs, newest first."""
        with self._cv:
            return list(reversed(self._jobs.values()))[:n]

    def position(self, job: Job) -> int | None:
        """0-based place of a queued job in the queue."""
        with self._cv:
            order = [jid for _, _, jid in sorted(self._pending)]
            return order.index(job.id) if job.id in order else None

    # ------------------------------------------------------------------ internals

    def _start_threads(self) -> None:
        if not self._threads and not self._closed:
            for i in range(self._n_workers):
                t = threading.Thread(target=self._dispatch, name=f"overland-job-{i}", daemon=True)
                self._threads.append(t)
                t.start()

    def _requeue(self, job: Job, priority: int) -> None:
        self._pending = [p for p in self._pending if p[2] != job.id]
        job.priority = priority
        self._pending.append((priority, next(self._seq), job.id))
        heapq.heapify(self._pending)

    def _evict(self) -> None:
        finished = [j for j in self._jobs.values() if j.final]
        for job in finished[: max(0, len(finished) - self.keep)]:
            del self._jobs[job.id]
            if self._by_key.get(job.key) == job.id:
                del self._by_key[job.key]

    def _finish(
        self,
        job: Job,
        status: Status,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        job.status = status
        job.finished = time.time()
        job.result = result
        job.error = error
        self._evict()
        self._cv.notify_all()

    def _next(self) -> Job | None:
        with self._cv:
            self._cv.wait_for(lambda: self._closed or bool(self._pending))
            if self._closed:
                return None
            _, _, jid = heapq.heappop(self._pending)
            job = self._jobs[jid]
            job.status = "running"
            job.started = time.time()
            return job

    def _dispatch(self) -> None:
        worker: _Worker | None = None
        try:
            while (job := self._next()) is not None:
                if worker is None or not worker.alive():
                    worker = _Worker(self.package, self.memory_mb, self.limits)
                status, payload = self._run(worker, job)
                if status != "done" and payload.pop("kill", False):
                    worker.kill()
                    worker = None
                with self._cv:
                    if status == "done":
                        self._finish(job, status, result=payload)
                    else:
                        self._finish(job, status, error=payload)
        finally:
            if worker is not None:
                worker.kill()

    def _run(self, worker: _Worker, job: Job) -> tuple[Status, dict[str, Any]]:
        """Send a job to a worker and wait for its answer, its time limit or a cancel."""
        startup = time.monotonic() + STARTUP_LIMIT_S
        deadline = None
        if worker.ready:
            try:
                deadline = self._send(worker, job)
            except OSError:
                return "failed", _died("was gone")
        while True:
            with self._cv:
                if self._closed or job.cancel_requested:
                    return "cancelled", {**_cancelled(), "kill": True}
            now = time.monotonic()
            if deadline is None and now > startup:
                return "failed", _died(f"did not start within {STARTUP_LIMIT_S:g} s")
            if deadline is not None and now > deadline:
                return "timeout", {
                    "type": "job_timeout",
                    "message": f"the job ran past its time limit of {self.time_limit_s:g} s",
                    "status": 409,
                    "kill": True,
                }
            wait = 0.2 if deadline is None else max(0.0, min(0.2, deadline - now))
            try:
                if worker.conn.poll(wait):
                    what, payload = worker.conn.recv()
                    if what == "ready":
                        worker.ready = True
                        deadline = self._send(worker, job)
                    elif what == "done":
                        return "done", payload
                    else:
                        return "failed", dict(payload)
            except (EOFError, OSError):
                pass  # the pipe broke: the worker died, reported below
            if not worker.alive():
                return "failed", _died(f"stopped (exit code {worker.process.returncode})")

    def _send(self, worker: _Worker, job: Job) -> float:
        """Hand the job to a ready worker; its deadline."""
        worker.conn.send((job.kind, job.params))
        return time.monotonic() + self.time_limit_s


def _died(what: str) -> dict[str, Any]:
    return {
        "type": "worker_died",
        "message": f"the worker process {what} during the job",
        "status": 422,
        "kill": True,
    }


def _cancelled() -> dict[str, Any]:
    return {"type": "job_cancelled", "message": "the job was cancelled", "status": 409}
