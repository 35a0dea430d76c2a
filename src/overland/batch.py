"""Batches of independent tasks, in this process or on a Dask cluster.

Criticality scans, Monte Carlo runs and scenario batches are split into chunks that a
module-level function computes from a *payload* (plain numpy arrays and dataclasses,
shipped once to every worker) and a chunk description. The answer never depends on where
a chunk ran: chunks carry their own seeds (:func:`chunk_seeds`) and results come back in
chunk order, so a run in-process, on a local cluster and on a remote one agree bit for bit.

``scheduler``:

- ``None`` — run in this process, one chunk after the other;
- ``"local"`` — start a ``dask.distributed.LocalCluster`` of ``workers`` single-threaded
  worker processes for the batch, and close it after;
- ``"tcp://host:port"`` (or any address ``dask.distributed.Client`` accepts) — use that
  running cluster;
- a ``dask.distributed.Client`` — use it and leave it open (saves connecting for every
  batch when many run in a row).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from .errors import BadArgumentError

__all__ = ["chunk_seeds", "chunked", "local_cluster", "run_chunks"]

P = TypeVar("P")
C = TypeVar("C")
R = TypeVar("R")

Progress = Callable[[int, int], None]


def chunked(n: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges covering ``range(n)`` in pieces of at most ``size``."""
    if size < 1:
        raise BadArgumentError(f"chunk size must be >= 1, got {size}")
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def chunk_seeds(seed: int, n_chunks: int) -> list[int]:
    """Independent, reproducible 63-bit seeds for ``n_chunks`` chunks of one run."""
    children = np.random.SeedSequence(seed).spawn(n_chunks)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def local_cluster(workers: int = 2) -> Any:
    """A local Dask cluster of ``workers`` single-threaded worker processes and a
    scheduler in a process of its own (the one ``scheduler="local"`` starts); use it as a
    context manager.

    ``distributed.LocalCluster`` runs its scheduler inside the calling process; measured
    on a 2-core machine, that made two workers' equilibrium tasks erratically 3-40x slower
    than the same tasks with the scheduler in its own process (``SubprocessCluster``).
    """
    from distributed.deploy.subprocess import SubprocessCluster

    return SubprocessCluster(
        n_workers=workers,
        threads_per_worker=1,
        dashboard_address=None,  # type: ignore[arg-type]  # documented: None disables it
        silence_logs=40,  # logging.ERROR
        # one process per core: compiled kernels must not start threads of their own
        worker_kwargs={"env": {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}},
    )


def run_chunks(
    fn: Callable[[P, C], R],
    payload: P,
    chunks: Sequence[C],
    *,
    scheduler: Any = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[R]:
    """``[fn(payload, c) for c in chunks]``, possibly on Dask; results in chunk order.

    ``fn`` must be a module-level function (Dask pickles it by reference).
    """
    total = len(chunks)
    if scheduler is None:
        out = []
        for i, c in enumerate(chunks):
            out.append(fn(payload, c))
            if progress is not None:
                progress(i + 1, total)
        return out
    if workers < 1:
        raise BadArgumentError(f"workers must be >= 1, got {workers}")
    from distributed import Client, as_completed

    cluster: Any = None
    own = not isinstance(scheduler, Client)
    try:
        if not own:
            client = scheduler
        elif scheduler == "local":
            cluster = local_cluster(workers)
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout=10)
            except OSError as exc:
                raise BadArgumentError(
                    f"cannot reach the Dask scheduler at {scheduler!r}: {exc}; "
                    "give 'local' or an address like tcp://host:8786"
                ) from None
        try:
            [shared] = client.scatter([payload], broadcast=True, hash=False)
            futures = [client.submit(fn, shared, c, pure=False) for c in chunks]
            for done, _ in enumerate(as_completed(futures), start=1):
                if progress is not None:
                    progress(done, total)
            return list(client.gather(futures))
        finally:
            if own:
                client.close()
    finally:
        if cluster is not None:
            cluster.close()
