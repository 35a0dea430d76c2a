"""What the routers share, handed to them as FastAPI dependencies: the network, the
config, the job queue, a small result cache and the bounded runner for cheap work."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request

from ..network import Network
from .config import ServerConfig
from .jobs import JobQueue
from .problems import BusyError

__all__ = ["Ctx", "Served"]

T = TypeVar("T")


class _Lru:
    """A small thread-safe least-recently-used cache of JSON documents."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            return None

    def put(self, key: str, value: Any) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


@dataclass
class Served:
    """One app's shared state: built by ``create_app``, reached through :func:`served`."""

    network: Network
    config: ServerConfig
    jobs: JobQueue
    cache: _Lru = field(init=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.cache = _Lru(self.config.cache_entries)

    @property
    def limits(self) -> Any:
        return self.config.limits

    async def compute(self, key: str | None, fn: Callable[[float], T]) -> T:
        """Run ``fn(deadline)`` on a worker thread, at most ``cheap_workers`` at once, and
        bounded by the time budget: ``fn`` gets a ``time.monotonic()`` deadline it must
        respect (routing and skims stop there with :class:`BusyError`); waiting for a free
        slot longer than the budget is refused the same way. Results are cached by ``key``.
        """
        if key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.cheap_workers)
        budget = self.config.budget_s
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=budget)
        except TimeoutError:
            raise BusyError(
                f"every worker thread was busy for {budget:g} s; retry shortly"
            ) from None
        try:
            deadline = time.monotonic() + budget
            result = await anyio.to_thread.run_sync(fn, deadline)
        finally:
            self._slots.release()
        if key is not None:
            self.cache.put(key, result)
        return result


def _served(request: Request) -> Served:
    return request.app.state.served  # type: ignore[no-any-return]


#: the shared state, as a dependency: ``def endpoint(ctx: Ctx) -> ...``
Ctx = Annotated[Served, Depends(_served)]
