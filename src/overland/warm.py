"""Compile every numba kernel once, so that later runs load them from the disk cache.

The kernels are declared with ``cache=True``: numba keeps the machine code it compiles
next to the module (or in ``NUMBA_CACHE_DIR``), and a later process loads it instead of
compiling again. :func:`warm_kernels` runs a small workload through the public
functions that call the kernels (routes, a skim, every assignment algorithm, zone
skims, the logit's retries), so the cached code has the argument types the real
commands use, and reports any kernel that is still not compiled. ``overland warm`` (or
``python -m overland.warm``) runs it; the setup script calls it once after installing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = ["WarmReport", "kernel_dispatchers", "warm_kernels"]


@dataclass(frozen=True)
class WarmReport:
    """What :func:`warm_kernels` compiled.

    ``signatures`` counts the compiled signatures of each kernel; ``inlined`` names the
    kernels compiled only into the kernels that call them (numba links a jitted callee
    into its caller's cached code); ``missing`` are neither: their first real call
    would compile.
    """

    signatures: dict[str, int] = field(default_factory=dict)
    inlined: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def missing(self) -> list[str]:
        """Kernels that no workload compiled, directly or inside a caller."""
        done = set(self.inlined)
        return sorted(n for n, k in self.signatures.items() if k == 0 and n not in done)


def _kernel_modules() -> list[ModuleType]:
    from . import kernels
    from .assignment import _bush, _kernels, _retry

    return [kernels, _kernels, _bush, _retry]


def kernel_dispatchers() -> dict[str, Any]:
    """Every numba-compiled function of Overland's kernel modules, by qualified name."""
    from numba.core.dispatcher import Dispatcher

    found: dict[str, Any] = {}
    for module in _kernel_modules():
        for name, obj in vars(module).items():
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def _workload() -> None:
    import numpy as np

    from .assignment import ALGORITHMS, AssignmentSpec, LinkTable, assign, link_skims
    from .network import embedded_network
    from .routing import alternative_routes
    from .skim import skim

    net = embedded_network()
    alternative_routes(net, "Baku", "Tbilisi", k=2)
    skim(net, places=["Baku", "Tbilisi", "Poti"])
    # two parallel links and a chain: every algorithm has a real choice to make
    links = LinkTable.from_arrays(
        init=[0, 0, 1, 2],
        term=[1, 1, 2, 0],
        capacity=[1.0, 1.0, 2.0, 2.0],
        fft=[1.0, 2.0, 1.0, 1.0],
        b=[0.15, 0.15, 0.15, 0.15],
        power=[4.0, 4.0, 4.0, 4.0],
        nodes=3,
    )
    demand = np.array([[0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    for algorithm in ALGORITHMS:
        assign(links, demand, AssignmentSpec(algorithm=algorithm, max_iterations=3))
    link_skims(links, links.fft, values={"length": links.fft})
    # the logit's retries at a wait limit: two routes through a half-full link
    from .assignment._retry import retried

    retried(
        np.array([0.5, 0.5]),
        np.array([0.7, 0.0]),
        np.array([0.7, 0.0]),
        np.array([0, 1, 2]),
        np.array([0, 1]),
        np.array([0, 2]),
        np.array([0, 0]),
        3,
    )


def warm_kernels() -> WarmReport:
    """Compile (or load from the cache) every kernel with the argument types Overland
    uses, and report the compiled signatures of each (``missing`` lists the kernels
    that none of the workload reached)."""
    start = time.perf_counter()
    _workload()
    kernels = kernel_dispatchers()
    signatures = {name: len(d.signatures) for name, d in kernels.items()}
    # a compiled kernel carries the kernels it calls: follow the names it uses
    by_short = {name.rsplit(".", 1)[1]: name for name in kernels}
    todo = [name for name, k in signatures.items() if k]
    reached: set[str] = set(todo)
    while todo:
        code = kernels[todo.pop()].py_func.__code__
        for used in code.co_names:
            callee = by_short.get(used)
            if callee is not None and callee not in reached:
                reached.add(callee)
                todo.append(callee)
    inlined = tuple(sorted(n for n in reached if not signatures[n]))
    return WarmReport(signatures, inlined, time.perf_counter() - start)
