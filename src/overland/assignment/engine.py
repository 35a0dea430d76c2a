"""Static traffic assignment: all-or-nothing, MSA, Frank–Wolfe, conjugate and
bi-conjugate Frank–Wolfe, path-based gradient projection (``gp``) and bush-based
Algorithm B (``bush``, Dial 2006), multi-class. ``auto`` (the default) runs ``bush`` for
targets tighter than ``AUTO_BUSH_BELOW`` and ``bfw`` otherwise.

The relative gap is ``(TSTT - SPTT) / TSTT`` at the current flows, where TSTT is the
total cost of the assigned flows and SPTT the cost of loading all demand on current
shortest paths (intrazonal demand excluded). The objective is the Beckmann integral
plus the flow-independent (toll, distance) costs.

Examples
--------
>>> from overland.assignment import AssignmentSpec, LinkTable, assign
>>> import numpy as np
>>> links = LinkTable.from_arrays(init=[0, 0], term=[1, 1], capacity=[1.0, 1.0],
...                               fft=[1.0, 2.0], b=[1.0, 0.5], power=[1.0, 1.0], nodes=2)
>>> r = assign(links, np.array([[0.0, 3.0], [0.0, 0.0]]), AssignmentSpec(algorithm="gp"))
>>> [float(round(v, 6)) for v in r.link_flow]  # 1 + x1 = 2 + x2 and x1 + x2 = 3
[2.0, 1.0]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numba
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from ..errors import BadArgumentError, ConvergenceError
from . import _kernels as kern

if TYPE_CHECKING:
    import pandas as pd

    from .tntp import TntpNetwork

__all__ = [
    "ALGORITHMS",
    "VDFS",
    "AssignmentClass",
    "AssignmentResult",
    "AssignmentSpec",
    "ConvergenceError",
    "LinkTable",
    "assign",
    "link_skims",
    "relative_gap_of",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ALGORITHMS = ("auto", "aon", "msa", "fw", "cfw", "bfw", "gp", "bush")
# bush: measure the gap (and graft) once the bushes' own gap is below this x the last one
GRAFT_RATIO = 0.1
AUTO_BUSH_BELOW = 1e-3  # "auto" runs the bush solver for targets tighter than this, else bfw
# origins x links of an all-or-nothing load (or a skim) worth running on the thread pool:
# below it the parallel kernels run in one thread (see _threads)
PARALLEL_MIN_WORK = 20_000_000
# gp's path store to start with: (paths, links) at least, and (paths, links) per OD
GP_STORE = (1024, 4096, 4, 40)
BUSH_POOL = (64, 64)  # bush: pool entries to start with, and per bush (the pool grows)
VDFS = {"bpr": kern.BPR, "conical": kern.CONICAL, "queue": kern.QUEUE, "akcelik": kern.AKCELIK}
Progress = Callable[[int, float], None]


class AssignmentClass(BaseModel):
    """A user class (commodity): its demand, cost weights and allowed links."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str = "all"
    demand: FloatArray = Field(repr=False)
    toll_weight: float = 0.0
    distance_weight: float = 0.0
    allowed: BoolArray | None = Field(None, repr=False)
    #: the class's own toll per link, when it pays other charges than the link table's
    toll: FloatArray | None = Field(None, repr=False)


class AssignmentSpec(BaseModel):
    """How to assign: algorithm, stopping rule and options (frozen)."""

    model_config = ConfigDict(frozen=True)

    algorithm: Literal["auto", "aon", "msa", "fw", "cfw", "bfw", "gp", "bush"] = "auto"
    target_gap: float = Field(1e-4, gt=0, le=1)
    max_iterations: int = Field(1000, ge=1, le=1_000_000)
    toll_weight: float = 0.0
    distance_weight: float = 0.0
    strict: bool = False
    max_paths: int = Field(24, ge=2, le=256)
    inner_iterations: int = Field(3, ge=1, le=50)
    bush_passes: int = Field(20, ge=0, le=1000)  # extra shift passes per bush iteration


@dataclass(frozen=True)
class LinkTable:
    """Links of an assignment network: 0-based ends, VDF parameters and fixed costs."""

    nodes: int
    init: IntArray
    term: IntArray
    capacity: FloatArray
    fft: FloatArray
    b: FloatArray
    power: FloatArray
    vdf: IntArray
    toll: FloatArray
    length: FloatArray
    zones: int = 0
    first_thru_node: int = 1

    @property
    def vdf_power(self) -> FloatArray:
        """The power each volume–delay function uses: BPR with power < 1 has an unbounded
        derivative at zero, so where b = 0 (a constant time) the power is 1."""
        return np.where(self.b == 0, 1.0, self.power)

    def times(self, x: FloatArray) -> FloatArray:
        """Each link's time at flows ``x`` (its volume–delay function)."""
        out = np.empty(len(self.init))
        kern.link_times(
            self.vdf, self.fft, self.capacity, self.b.astype(float), self.vdf_power, x, out
        )
        return out

    @classmethod
    def from_arrays(
        cls,
        *,
        init: Sequence[int],
        term: Sequence[int],
        capacity: Sequence[float],
        fft: Sequence[float],
        b: Sequence[float],
        power: Sequence[float],
        nodes: int,
        vdf: str = "bpr",
        zones: int = 0,
        first_thru_node: int = 1,
    ) -> LinkTable:
        """Links from plain sequences (all links use one VDF)."""
        n = len(init)
        if vdf not in VDFS:
            raise BadArgumentError(f"unknown vdf {vdf!r}; valid: {', '.join(VDFS)}")
        return cls(
            nodes,
            np.asarray(init, np.int64),
            np.asarray(term, np.int64),
            np.asarray(capacity, float),
            np.asarray(fft, float),
            np.asarray(b, float),
            np.asarray(power, float),
            np.full(n, VDFS[vdf], np.int64),
            np.zeros(n),
            np.zeros(n),
            zones or nodes,
            first_thru_node,
        )

    @classmethod
    def from_tntp(cls, net: TntpNetwork) -> LinkTable:
        """Links of a TNTP network (BPR)."""
        n = net.n_links
        return cls(
            net.nodes,
            net.init,
            net.term,
            net.capacity,
            net.fft,
            net.b,
            net.power,
            np.full(n, kern.BPR, np.int64),
            net.toll,
            net.length,
            net.zones,
            net.first_thru_node,
        )


@dataclass(frozen=True)
class AssignmentResult:
    """Flows, costs and convergence of an assignment."""

    link_flow: FloatArray
    link_time: FloatArray
    class_flow: dict[str, FloatArray]
    od_cost: dict[str, FloatArray]
    history: list[tuple[int, float, float, float]]  # iteration, gap, objective, seconds
    converged: bool
    relative_gap: float
    iterations: int
    objective: float
    seconds: float
    algorithm: str
    links: LinkTable = field(repr=False)
    unserved: dict[str, float] = field(default_factory=dict)  # demand with no path, per class

    @property
    def convergence(self) -> pd.DataFrame:
        """Gap and objective per iteration."""
        import pandas as pd

        return pd.DataFrame(
            self.history, columns=["iteration", "relative_gap", "objective", "seconds"]
        )

    @property
    def links_frame(self) -> pd.DataFrame:
        """One row per link: from, to (1-based), flow, cost (time)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "from": self.links.init + 1,
                "to": self.links.term + 1,
                "flow": self.link_flow,
                "cost": self.link_time,
            }
        )

    def as_dict(self) -> dict[str, object]:
        """The summary printed by ``overland assign --json``."""
        return {
            "converged": self.converged,
            "relative_gap": self.relative_gap,
            "iterations": self.iterations,
            "objective": self.objective,
            "seconds": round(self.seconds, 4),
            "algorithm": self.algorithm,
            "unserved": self.unserved,
        }


@dataclass
class _Problem:
    links: LinkTable
    classes: list[AssignmentClass]
    fixed: FloatArray  # class x links
    allowed: BoolArray  # class x links
    indptr: IntArray
    adj: IntArray
    no_through: BoolArray
    zone_node: IntArray
    a: FloatArray
    p: FloatArray
    origins: list[IntArray]  # per class: zones with demand
    parallel: bool  # whether all-or-nothing loads are worth the thread pool

    def times(self, x: FloatArray) -> FloatArray:
        out = np.empty_like(x)
        lt = self.links
        kern.link_times(lt.vdf, lt.fft, lt.capacity, self.a, self.p, x, out)
        return out

    def objective(self, xc: FloatArray) -> float:
        lt = self.links
        x = xc.sum(axis=0)
        base = kern.beckmann(lt.vdf, lt.fft, lt.capacity, self.a, self.p, x, np.zeros_like(x))
        return float(base + (self.fixed * xc).sum())

    def aon(self, t: FloatArray) -> tuple[FloatArray, float, list[FloatArray]]:
        """AON flows per class (class x links), SPTT, and OD shortest costs per class."""
        lt = self.links
        flows = np.zeros((len(self.classes), len(lt.init)))
        sptt = 0.0
        costs = []
        with _threads(self.parallel):
            for c, cls in enumerate(self.classes):
                w = t + self.fixed[c]
                f, s = kern.aon(
                    self.indptr,
                    self.adj,
                    lt.init,
                    lt.term,
                    w,
                    self.allowed[c],
                    self.no_through,
                    self.origins[c],
                    cls.demand,
                    self.zone_node,
                )
                flows[c] = f
                sptt += s
                costs.append(w)
        return flows, sptt, costs


@contextmanager
def _threads(parallel: bool) -> Iterator[None]:
    """Run the parallel kernels in this thread unless ``parallel``. Waking a sleeping
    thread pool costs little on an idle machine but about 0.2 s a call when the cores
    are busy (the pool's threads wait to be scheduled), which dwarfs the load of a small
    network (SiouxFalls: 0.02 ms)."""
    if parallel:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _problem(links: LinkTable, classes: list[AssignmentClass]) -> _Problem:
    n_links = len(links.init)
    order = np.argsort(links.init, kind="stable").astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(links.init, minlength=links.nodes))])
    no_through = np.zeros(links.nodes, dtype=np.bool_)
    no_through[: max(0, links.first_thru_node - 1)] = True
    zones = classes[0].demand.shape[0]
    for c in classes:
        if c.toll is not None and c.toll.shape != (n_links,):
            raise BadArgumentError(
                f"class {c.name!r}: toll has shape {c.toll.shape}, expected ({n_links},)"
            )
    fixed = np.vstack(
        [
            c.toll_weight * (links.toll if c.toll is None else c.toll)
            + c.distance_weight * links.length
            for c in classes
        ]
    )
    allowed = np.vstack(
        [np.ones(n_links, np.bool_) if c.allowed is None else c.allowed for c in classes]
    )
    origins = [np.flatnonzero(c.demand.sum(axis=1) > 0).astype(np.int64) for c in classes]
    return _Problem(
        links,
        classes,
        fixed,
        allowed,
        indptr.astype(np.int64),
        order,
        no_through,
        np.arange(zones, dtype=np.int64),
        links.b.astype(float),
        links.vdf_power,
        origins,
        sum(len(o) for o in origins) * n_links >= PARALLEL_MIN_WORK,
    )


def _check(links: LinkTable, classes: list[AssignmentClass]) -> None:
    for c in classes:
        d = c.demand
        if d.ndim != 2 or d.shape[0] != d.shape[1]:
            raise BadArgumentError(f"class {c.name!r}: demand must be a square matrix")
        if d.shape[0] > links.nodes:
            raise BadArgumentError(
                f"class {c.name!r}: {d.shape[0]} zones but only {links.nodes} nodes"
            )
        if (d < 0).any() or not np.isfinite(d).all():
            raise BadArgumentError(f"class {c.name!r}: demand must be finite and >= 0")
        if c.allowed is not None and c.allowed.shape != links.init.shape:
            raise BadArgumentError(
                f"class {c.name!r}: allowed has {c.allowed.shape[0]} "
                f"entries for {len(links.init)} links"
            )


def assign(
    links: LinkTable,
    demand: FloatArray | Sequence[AssignmentClass],
    spec: AssignmentSpec | None = None,
    *,
    progress: Progress | None = None,
) -> AssignmentResult:
    """User-equilibrium (or all-or-nothing) assignment of ``demand`` on ``links``.

    ``demand`` is a zones × zones matrix (one class) or a list of
    :class:`AssignmentClass`. ``progress(iteration, gap)`` is called after each iteration.
    """
    spec = spec or AssignmentSpec()
    if isinstance(demand, np.ndarray):
        classes = [
            AssignmentClass(
                demand=np.asarray(demand, float),
                toll_weight=spec.toll_weight,
                distance_weight=spec.distance_weight,
            )
        ]
    else:
        classes = list(demand)
    if not classes:
        raise BadArgumentError("no demand class given")
    _check(links, classes)
    prob = _problem(links, classes)
    t0 = time.perf_counter()
    algorithm = spec.algorithm
    if algorithm == "auto":
        algorithm = "bush" if spec.target_gap < AUTO_BUSH_BELOW else "bfw"
        spec = spec.model_copy(update={"algorithm": algorithm})
    if algorithm == "gp":
        xc, history, gap = _gp(prob, spec, progress, t0)
    elif algorithm == "bush":
        xc, history, gap = _bush(prob, spec, progress, t0)
    else:
        xc, history, gap = _link_based(prob, spec, progress, t0)
    x = xc.sum(axis=0)
    if math.isnan(gap):  # the solver did not measure its final flows
        gap, _y, _tstt = _gap(prob, xc, iterations=len(history))
    t = prob.times(x)
    costs = [t + prob.fixed[c] for c in range(len(classes))]
    objective = _objective(prob, xc, len(history))
    seconds = time.perf_counter() - t0
    converged = gap <= spec.target_gap or algorithm == "aon"
    if spec.strict and not converged:
        raise ConvergenceError(len(history), gap, spec.target_gap)
    od = {}
    for c, cls in enumerate(classes):
        zones = cls.demand.shape[0]
        with _threads(zones * len(links.init) >= PARALLEL_MIN_WORK):
            od[cls.name] = kern.all_to_all(
                prob.indptr,
                prob.adj,
                links.term,
                costs[c],
                prob.allowed[c],
                prob.no_through,
                np.arange(zones, dtype=np.int64),
                zones,
            )
    unserved = {
        cls.name: float(cls.demand[~np.isfinite(od[cls.name]) & (cls.demand > 0)].sum())
        for cls in classes
    }
    return AssignmentResult(
        unserved=unserved,
        link_flow=x,
        link_time=t,
        class_flow={cls.name: xc[i] for i, cls in enumerate(classes)},
        od_cost=od,
        history=history,
        converged=bool(converged),
        relative_gap=float(gap),
        iterations=len(history),
        objective=objective,
        seconds=seconds,
        algorithm=algorithm,
        links=links,
    )


def link_skims(
    links: LinkTable,
    weight: FloatArray,
    *,
    values: dict[str, FloatArray] | None = None,
    zones: int | None = None,
    allowed: BoolArray | None = None,
    threads: int | None = None,
) -> dict[str, FloatArray]:
    """Zone-to-zone skims: the least ``weight`` and, along those paths, the sums of each
    array in ``values`` (e.g. time, distance), in parallel over origins.

    Use free-flow times as ``weight`` for free-flow skims, or ``result.link_time`` for
    loaded ones. Zones that may not be passed through (TNTP first thru node) are honoured.
    """
    import numba

    n = zones or links.zones or links.nodes
    vals = values or {}
    names = list(vals)
    stack = (
        np.vstack([np.asarray(vals[k], float) for k in names])
        if names
        else np.zeros((0, len(links.init)))
    )
    cls = AssignmentClass(demand=np.zeros((n, n)))
    prob = _problem(links, [cls])
    ok = np.ones(len(links.init), np.bool_) if allowed is None else allowed
    before = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(threads, int(numba.config.NUMBA_NUM_THREADS))))  # type: ignore[attr-defined]
    try:
        zones_arr = np.arange(n, dtype=np.int64)
        out = kern.skim_sums(
            prob.indptr,
            prob.adj,
            links.init,
            links.term,
            np.asarray(weight, float),
            ok,
            prob.no_through,
            zones_arr,
            zones_arr,
            stack,
        )
    finally:
        numba.set_num_threads(before)
    result = {"cost": out[0]}
    result.update({name: out[i + 1] for i, name in enumerate(names)})
    return result


def relative_gap_of(
    links: LinkTable,
    demand: FloatArray,
    flows: FloatArray,
    *,
    toll_weight: float = 0.0,
    distance_weight: float = 0.0,
) -> tuple[float, float]:
    """Relative gap and objective of given link flows (one class), computed as
    :func:`assign` does — for comparing other tools' results on the same footing."""
    cls = AssignmentClass(
        demand=np.asarray(demand, float), toll_weight=toll_weight, distance_weight=distance_weight
    )
    prob = _problem(links, [cls])
    xc = np.asarray(flows, float)[None, :]
    gap, _, _ = _gap(prob, xc)
    return gap, _objective(prob, xc, 0)


def _gap(prob: _Problem, xc: FloatArray, *, iterations: int = 0) -> tuple[float, FloatArray, float]:
    """The relative gap ``(TSTT - SPTT) / TSTT`` of class flows ``xc`` — the one gap of
    every algorithm, of the final result and of :func:`relative_gap_of` — from a fresh
    all-or-nothing load at the costs of ``xc`` (independent of any solver's paths or
    bushes). Returns the gap, that load (class x links) and TSTT. A non-finite TSTT or
    SPTT raises :class:`ConvergenceError`; it is never turned into a gap of 0."""
    t = prob.times(xc.sum(axis=0))
    y, sptt, _ = prob.aon(t)
    gap, tstt = _gap_of(prob, xc, t, sptt, iterations)
    return gap, y, tstt


def _gap_of(
    prob: _Problem, xc: FloatArray, t: FloatArray, sptt: float, iterations: int
) -> tuple[float, float]:
    """:func:`_gap`'s formula given link times ``t`` of ``xc`` and SPTT, the cost of
    loading every class's demand on its shortest paths at ``t``. Returns the gap and
    TSTT."""
    tstt = float((xc * (t[None, :] + prob.fixed)).sum())
    if not (math.isfinite(tstt) and math.isfinite(sptt)):
        raise ConvergenceError(
            iterations,
            math.nan,
            0.0,
            f"non-finite costs after {iterations} iterations (TSTT {tstt}, SPTT {sptt}): "
            "the flows or the volume-delay parameters are invalid",
        )
    if tstt > 0:
        return (tstt - sptt) / tstt, tstt
    # every used path costs nothing: at equilibrium by definition
    return (0.0 if sptt <= 0 else math.inf), tstt


def _objective(prob: _Problem, xc: FloatArray, iterations: int) -> float:
    obj = prob.objective(xc)
    if not math.isfinite(obj):
        raise ConvergenceError(
            iterations, math.nan, 0.0, f"non-finite objective after {iterations} iterations"
        )
    return obj


def _line_search(prob: _Problem, xc: FloatArray, d: FloatArray) -> float:
    """Exact step on the Beckmann objective along ``d`` (bisection on its derivative)."""

    def slope(lam: float) -> float:
        t = prob.times((xc + lam * d).sum(axis=0))
        return float(((t[None, :] + prob.fixed) * d).sum())

    if slope(1.0) <= 0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if slope(mid) > 0:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-12:
            break
    return 0.5 * (lo + hi)


def _link_based(
    prob: _Problem, spec: AssignmentSpec, progress: Progress | None, t0: float
) -> tuple[FloatArray, list[tuple[int, float, float, float]], float]:
    t = prob.times(np.zeros(len(prob.links.init)))
    xc, _, _ = prob.aon(t)
    history: list[tuple[int, float, float, float]] = []
    if spec.algorithm == "aon":
        gap, _, _ = _gap(prob, xc, iterations=1)
        history.append((1, gap, _objective(prob, xc, 1), time.perf_counter() - t0))
        return xc, history, gap
    s1: FloatArray | None = None  # previous target point s_{k-1}
    s2: FloatArray | None = None  # s_{k-2}
    lam_prev = 1.0
    for it in range(1, spec.max_iterations + 1):
        gap, y, _ = _gap(prob, xc, iterations=it)
        history.append((it, gap, _objective(prob, xc, it), time.perf_counter() - t0))
        if progress:
            progress(it, gap)
        if gap <= spec.target_gap:
            return xc, history, gap
        if spec.algorithm == "msa":
            lam = 1.0 / (it + 1)
            xc = xc + lam * (y - xc)
            continue
        target = y
        if spec.algorithm in ("cfw", "bfw") and s1 is not None:
            der = _derivs(prob, xc.sum(axis=0))
            if spec.algorithm == "cfw" or s2 is None:
                target = _cfw_target(xc, y, s1, der)
            else:
                target = _bfw_target(xc, y, s1, s2, lam_prev, der)
        lam = _line_search(prob, xc, target - xc)
        xc = xc + lam * (target - xc)
        s2, s1, lam_prev = s1, target, lam
    return xc, history, math.nan


def _cfw_target(xc: FloatArray, y: FloatArray, s1: FloatArray, der: FloatArray) -> FloatArray:
    """Conjugate Frank–Wolfe target point (Mitradjieva & Lindberg 2013)."""
    x = xc.sum(axis=0)
    a = s1.sum(axis=0) - x
    num = float((der * a * (y.sum(axis=0) - x)).sum())
    den = float((der * a * (y.sum(axis=0) - s1.sum(axis=0))).sum())
    alpha = num / den if den != 0 else 0.0
    alpha = min(max(alpha, 0.0), 0.99999)
    return alpha * s1 + (1.0 - alpha) * y


def _bfw_target(
    xc: FloatArray, y: FloatArray, s1: FloatArray, s2: FloatArray, lam: float, der: FloatArray
) -> FloatArray:
    """Bi-conjugate Frank–Wolfe target point (Mitradjieva & Lindberg 2013)."""
    x = xc.sum(axis=0)
    t1, t2 = s1.sum(axis=0), s2.sum(axis=0)
    x_ = lam * t1 + (1.0 - lam) * t2 - x
    y_ = y.sum(axis=0) - x
    z_ = t1 - x
    w_ = t2 - t1
    den_mu = float((der * x_ * w_).sum())
    mu = -float((der * x_ * y_).sum()) / den_mu if den_mu != 0 else 0.0
    mu = max(0.0, mu)
    den_nu = float((der * z_ * z_).sum())
    nu = 0.0
    if den_nu != 0 and lam < 1.0:
        nu = -float((der * z_ * y_).sum()) / den_nu + mu * lam / (1.0 - lam)
    nu = max(0.0, nu)
    beta0 = 1.0 / (1.0 + nu + mu)
    return beta0 * y + nu * beta0 * s1 + mu * beta0 * s2


def _derivs(prob: _Problem, x: FloatArray) -> FloatArray:
    lt = prob.links
    out = np.empty_like(x)
    kern.link_derivs(lt.vdf, lt.fft, lt.capacity, prob.a, prob.p, x, out)
    return out


def _partners(b_class: IntArray, b_origin: IntArray, n_classes: int) -> IntArray:
    """For each bush, the bushes of the other classes at its origin (-1 padded)."""
    out = np.full((len(b_class), n_classes - 1), -1, np.int64)
    by_origin: dict[int, list[int]] = {}
    for bb, o in enumerate(b_origin.tolist()):
        by_origin.setdefault(o, []).append(bb)
    for same in by_origin.values():
        for bb in same:
            others = [b2 for b2 in same if b2 != bb]
            out[bb, : len(others)] = others
    return out


def _gp(
    prob: _Problem, spec: AssignmentSpec, progress: Progress | None, t0: float
) -> tuple[FloatArray, list[tuple[int, float, float, float]], float]:
    lt = prob.links
    n_links = len(lt.init)
    # groups = (class, origin); ODs grouped by them
    g_class, g_source, g_ptr = [], [], [0]
    od_dest, od_q = [], []
    for c, cls in enumerate(prob.classes):
        dem = cls.demand
        for o in range(dem.shape[0]):
            dests = np.flatnonzero(dem[o] > 0)
            dests = dests[dests != o]
            if dests.size == 0:
                continue
            g_class.append(c)
            g_source.append(prob.zone_node[o])
            od_dest.extend(prob.zone_node[dests].tolist())
            od_q.extend(dem[o, dests].tolist())
            g_ptr.append(len(od_dest))
    n_od = len(od_dest)
    gc = np.array(g_class, np.int64)
    gs = np.array(g_source, np.int64)
    gp_ = np.array(g_ptr, np.int64)
    odd = np.array(od_dest, np.int64)
    odq = np.array(od_q, float)
    od_paths = np.full((n_od, spec.max_paths), -1, np.int64)
    od_np = np.zeros(n_od, np.int64)
    min_p, min_l, per_od_p, per_od_l = GP_STORE
    cap_p = max(min_p, per_od_p * n_od)
    cap_l = max(min_l, per_od_l * n_od)
    p_start = np.zeros(cap_p, np.int64)
    p_len = np.zeros(cap_p, np.int64)
    p_flow = np.zeros(cap_p)
    lk = np.zeros(cap_l, np.int64)
    tops = np.zeros(2, np.int64)
    x = np.zeros(n_links)
    xc = np.zeros((len(prob.classes), n_links))
    t = prob.times(x)
    dt = _derivs(prob, x)
    mark = np.zeros(n_links, np.int64)
    stamp = np.zeros(1, np.int64)
    history: list[tuple[int, float, float, float]] = []
    groups = (gc, gs, gp_, odd, odq, od_paths, od_np)
    store = (p_start, p_len, p_flow, lk, tops)
    net = (prob.indptr, prob.adj, lt.init, lt.term, prob.allowed, prob.no_through, prob.fixed)
    vdf = (lt.vdf, lt.fft, lt.capacity, prob.a, prob.p)
    for it in range(1, spec.max_iterations + 1):
        store = kern.gp_iteration(
            groups, store, net, vdf, (x, xc, t, dt), (mark, stamp), spec.inner_iterations
        )
        # re-synchronise costs with flows to avoid drift, then measure the gap
        x = np.maximum(xc.sum(axis=0), 0.0)
        t = prob.times(x)
        dt = _derivs(prob, x)
        gap, _, _ = _gap(prob, xc, iterations=it)
        history.append((it, gap, _objective(prob, xc, it), time.perf_counter() - t0))
        if progress:
            progress(it, gap)
        if gap <= spec.target_gap:
            break
    return xc, history, gap


def _bush(
    prob: _Problem, spec: AssignmentSpec, progress: Progress | None, t0: float
) -> tuple[FloatArray, list[tuple[int, float, float, float]], float]:
    """Algorithm B with sparse bushes per (class, origin), kept between iterations.

    The gap is :func:`_gap`'s, with SPTT from the shortest-path trees of every bush's
    origin at the current costs (a fresh all-or-nothing cost over the whole network, the
    same number as :func:`_gap`'s load); those trees are also grafted into the bushes.
    That costs a Dijkstra per bush, so it runs only when the bushes' own gap (a lower
    bound) has fallen below ``GRAFT_RATIO`` times the last measured gap or the target;
    other iterations record NaN as their gap."""
    from . import _bush as kb

    lt = prob.links
    n_links = len(lt.init)
    zones = max(c.demand.shape[0] for c in prob.classes)
    demand = np.zeros((len(prob.classes), zones, zones))
    b_class, b_origin = [], []
    for c, cls in enumerate(prob.classes):
        d = cls.demand
        demand[c, : d.shape[0], : d.shape[1]] = d
        off = d.copy()
        np.fill_diagonal(off, 0.0)
        for o in np.flatnonzero(off.sum(axis=1) > 0):
            b_class.append(c)
            b_origin.append(int(prob.zone_node[o]))
    bc = np.array(b_class, np.int64)
    bo = np.array(b_origin, np.int64)
    nb = len(b_class)
    in_idx = np.argsort(lt.term, kind="stable").astype(np.int64)
    in_ptr = np.concatenate([[0], np.cumsum(np.bincount(lt.term, minlength=lt.nodes))]).astype(
        np.int64
    )
    x = np.zeros(n_links)
    xc = np.zeros((len(prob.classes), n_links))
    t = prob.times(x)
    dt = _derivs(prob, x)
    bushes = (
        bc,
        bo,
        np.zeros(nb, np.int64),  # start in the pool
        np.zeros(nb, np.int64),  # links used
        np.zeros(nb, np.int64),  # room
        np.zeros(1, np.int64),  # the pool's used extent
        _partners(bc, bo, len(prob.classes)),
    )
    size = BUSH_POOL[0] + BUSH_POOL[1] * nb
    pool = (np.zeros(size, np.int32), np.zeros(size))
    b_worst = np.full(nb, np.inf)
    net = (prob.indptr, prob.adj, in_ptr, in_idx, lt.init, lt.term, prob.allowed,
           prob.no_through, prob.fixed)  # fmt: skip
    vdf = (lt.vdf, lt.fft, lt.capacity, prob.a, prob.p)
    state = (x, xc, t, dt)
    _sptt, pool = kb.bush_graft(net, vdf, state, bushes, pool, demand, True, 0.0)
    rel_tol = 0.05 * spec.target_gap
    history: list[tuple[int, float, float, float]] = []
    last_gap = math.inf
    for it in range(1, spec.max_iterations + 1):
        bound, pool = kb.bush_iteration(
            net, vdf, state, bushes, pool, demand, b_worst, rel_tol, spec.bush_passes
        )
        if math.isnan(bound):  # pragma: no cover - an invariant of the kernel
            raise ConvergenceError(it, math.nan, spec.target_gap, "a bush became cyclic")
        gap = math.nan
        if bound <= max(spec.target_gap, GRAFT_RATIO * last_gap):
            sptt, pool = kb.bush_graft(net, vdf, state, bushes, pool, demand, False, rel_tol)
            if math.isnan(sptt):  # pragma: no cover - an invariant of the kernel
                raise ConvergenceError(it, math.nan, spec.target_gap, "a bush became cyclic")
            gap, _ = _gap_of(prob, xc, prob.times(xc.sum(axis=0)), sptt, it)
            last_gap = gap
        history.append((it, gap, _objective(prob, xc, it), time.perf_counter() - t0))
        if progress:
            progress(it, gap)
        if gap <= spec.target_gap:
            break
    return xc, history, gap
