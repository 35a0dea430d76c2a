"""Reliability: random border dwells and service waits, Monte Carlo of door-to-door times
and reliability-aware route choice.

A route's time (:attr:`Route.time_h <overland.route.Route.time_h>`) already holds the
*mean* dwell of every border and the *mean* wait for every scheduled service (ferry or
sea link with a headway or wait). Here each of those becomes a random component and the
rest of the time is fixed, so the simulated mean equals ``time_h``.

Fitting a dwell to a mean ``m`` and a P90 ``q`` (``r = q / m``), :func:`fit_dwell`:

- ``q == m`` or ``m == 0`` → ``fixed`` at ``m``;
- ``r <= exp(z90² / 2) ≈ 2.273`` (``z90 = 1.2815515655446004``) → ``lognormal`` with
  ``sigma = z90 - sqrt(z90² - 2 ln r)`` and ``mu = ln m - sigma² / 2``;
- ``r <= 3.0246`` (the largest P90/mean any gamma reaches, at shape ≈ 0.203) → ``gamma``
  with mean ``m``, its shape solved (``scipy.optimize.brentq`` on ``gamma.ppf``) so its
  P90 is ``q``;
- ``r <= 10`` → ``mixture``: no lognormal or gamma is that skewed, so a routine
  clearance plus, for a share ``p`` of shipments, a hold: ``a·Exp(1) + s·Bernoulli(p)``.
  A fit exists for ``0.1 < p < 1/r``; ``p = 0.1 + 0.75 (1/r - 0.1)`` keeps the P90 well
  inside the held spell (not on its edge, where sample P90s jump), ``s = (m - a) / p``
  keeps the mean and ``a`` is solved (brentq) so the P90 is ``q``. Near ``r = 10`` only a
  two-point law (0, or ``q`` for 10 %) fits, so ``r`` above 9 is fitted as 9: the mean is
  kept and the P90 lowered to ``9 m`` (in the embedded data only the Sadarak–Dilucu
  road crossing, 12 h / 120 h both ways, is affected: its P90 becomes 108 h);
- ``r > 10`` is impossible for a non-negative time (Markov's inequality) and, like
  ``q < m``, raises :class:`~overland.errors.BadArgumentError`.

Waits for a service (ESTIMATE, see :func:`service_wait`): uniform on ``[0, 2w]`` when the
link's wait ``w`` is half its headway (random arrival at a scheduled service), else a
gamma with mean ``w`` and coefficient of variation 1 (an exponential).

Monte Carlo runs go through :func:`overland.batch.run_chunks`; chunk ``i`` draws with
``np.random.default_rng(chunk_seeds(seed, n_chunks)[i])``, so a result is defined by
``(seed, n, chunk)`` and is the same in-process and on Dask.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import optimize, stats

from ..batch import chunk_seeds, chunked, run_chunks
from ..errors import BadArgumentError
from ..graph import FloatArray, link_run_and_wait
from ..route import Route
from ..routing import alternative_routes
from ..schema import Link

if TYPE_CHECKING:
    from ..network import Network

__all__ = [
    "BY",
    "Component",
    "Dwell",
    "ReliabilityResult",
    "RouteDistribution",
    "fit_dwell",
    "reliable_routes",
    "route_distribution",
    "service_wait",
    "simulate",
    "simulate_many",
]

Z90 = 1.2815515655446004
LOGNORMAL_MAX_RATIO = math.exp(Z90**2 / 2.0)
GAMMA_PEAK_SHAPE = 0.20307256078504388  # shape where gamma.ppf(0.9, a) / a is largest
MARKOV_MAX_RATIO = 10.0  # P(X >= q) >= 0.1 needs mean >= 0.1 q
MIXTURE_MAX_RATIO = 9.0  # fitted P90 / mean at most; only a two-point law reaches 10
KINDS = ("fixed", "lognormal", "gamma", "mixture", "uniform")
BY = ("p90", "mean_spread")
_N_PARAMS = {"fixed": 0, "lognormal": 2, "gamma": 2, "mixture": 3, "uniform": 2}

Progress = Callable[[int, int], None]


# ----------------------------------------------------------------------------- dwells


@dataclass(frozen=True)
class Dwell:
    """A random time in hours, with its mean and P90.

    ``params`` by ``kind``: ``lognormal`` (mu, sigma); ``gamma`` (shape, scale);
    ``mixture`` (exp_mean, hold_share, hold_h); ``uniform`` (low, high); ``fixed`` ().
    """

    kind: str
    mean: float
    p90: float
    params: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise BadArgumentError(f"unknown dwell kind {self.kind!r}; valid: {', '.join(KINDS)}")
        if len(self.params) != _N_PARAMS[self.kind]:
            raise BadArgumentError(
                f"a {self.kind} dwell takes {_N_PARAMS[self.kind]} params, got {len(self.params)}"
            )

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """``size`` draws from ``rng``."""
        p = self.params
        if self.kind == "lognormal":
            return rng.lognormal(p[0], p[1], size)
        if self.kind == "gamma":
            return rng.gamma(p[0], p[1], size)
        if self.kind == "uniform":
            return rng.uniform(p[0], p[1], size)
        if self.kind == "mixture":
            held = rng.random(size) < p[1]
            return rng.exponential(1.0, size) * p[0] + np.where(held, p[2], 0.0)
        return np.full(size, self.mean)

    def quantile(self, q: float) -> float:
        """The ``q``-quantile (0 < q < 1), from the distribution itself."""
        if not 0.0 < q < 1.0:
            raise BadArgumentError(f"q must lie strictly between 0 and 1, got {q}")
        p = self.params
        if self.kind == "lognormal":
            return math.exp(p[0] + p[1] * float(stats.norm.ppf(q)))
        if self.kind == "gamma":
            return float(stats.gamma.ppf(q, p[0], scale=p[1]))
        if self.kind == "uniform":
            return p[0] + q * (p[1] - p[0])
        if self.kind == "mixture":
            return _mixture_quantile(p[0], p[1], p[2], q)
        return self.mean

    @property
    def variance(self) -> float:
        """Variance in h²."""
        p = self.params
        if self.kind == "lognormal":
            return math.expm1(p[1] ** 2) * self.mean**2
        if self.kind == "gamma":
            return p[0] * p[1] ** 2
        if self.kind == "uniform":
            return (p[1] - p[0]) ** 2 / 12.0
        if self.kind == "mixture":
            return p[0] ** 2 + p[1] * (1.0 - p[1]) * p[2] ** 2
        return 0.0


def _mixture_tail(a: float, share: float, hold: float, x: float) -> float:
    """P(X > x) of the mixture."""
    held = math.exp(-(x - hold) / a) if x >= hold else 1.0
    return (1.0 - share) * math.exp(-x / a) + share * held


def _mixture_quantile(a: float, share: float, hold: float, q: float) -> float:
    hi = hold + a * math.log(1.0 / (1.0 - q))
    return float(optimize.brentq(lambda x: 1.0 - _mixture_tail(a, share, hold, x) - q, 0.0, hi))


def _gamma_ratio(shape: float) -> float:
    """P90 / mean of a gamma of this shape."""
    return float(stats.gamma.ppf(0.9, shape)) / shape


def _fit_gamma(mean: float, p90: float, ratio: float) -> Dwell:
    shape = float(optimize.brentq(lambda a: _gamma_ratio(a) - ratio, GAMMA_PEAK_SHAPE, 100.0))
    return Dwell("gamma", mean, p90, (shape, mean / shape))


def _fit_mixture(mean: float, p90: float, ratio: float) -> Dwell:
    if ratio > MIXTURE_MAX_RATIO:
        ratio, p90 = MIXTURE_MAX_RATIO, MIXTURE_MAX_RATIO * mean
    share = 0.1 + 0.75 * (1.0 / ratio - 0.1)  # a fit exists for shares in (0.1, 1 / ratio)

    def excess(a: float) -> float:  # P(X > P90) - 0.1; the hold keeps the mean
        return _mixture_tail(a, share, (mean - a) / share, p90) - 0.1

    a = float(optimize.brentq(excess, mean * 1e-9, mean))
    return Dwell("mixture", mean, p90, (a, share, (mean - a) / share))


def fit_dwell(mean_h: float, p90_h: float) -> Dwell:
    """The dwell with this mean and P90 (hours), by the rule in the module docstring.

    Raises
    ------
    BadArgumentError
        When ``mean_h`` is negative or ``p90_h`` is below ``mean_h`` or above
        ``10 * mean_h``.

    Examples
    --------
    >>> d = fit_dwell(6.0, 12.0)
    >>> d.kind, round(d.quantile(0.9), 6)
    ('lognormal', 12.0)
    """
    if not (math.isfinite(mean_h) and mean_h >= 0.0):
        raise BadArgumentError(f"mean_h must be a finite number >= 0, got {mean_h}")
    if not math.isfinite(p90_h) or p90_h < mean_h:
        raise BadArgumentError(f"p90_h must be >= mean_h ({mean_h}), got {p90_h}")
    if mean_h == 0.0 or p90_h == mean_h:
        return Dwell("fixed", mean_h, mean_h)
    ratio = p90_h / mean_h
    if ratio > MARKOV_MAX_RATIO * (1.0 + 1e-12):
        raise BadArgumentError(
            f"p90_h ({p90_h}) must be <= 10 * mean_h ({10 * mean_h}): no non-negative "
            "time has a larger P90 for its mean"
        )
    if ratio <= LOGNORMAL_MAX_RATIO:
        sigma = Z90 - math.sqrt(max(Z90**2 - 2.0 * math.log(ratio), 0.0))
        return Dwell("lognormal", mean_h, p90_h, (math.log(mean_h) - sigma**2 / 2.0, sigma))
    if ratio <= _gamma_ratio(GAMMA_PEAK_SHAPE):
        return _fit_gamma(mean_h, p90_h, ratio)
    return _fit_mixture(mean_h, p90_h, ratio)


def service_wait(link: Link, speed_kmh: float) -> Dwell:
    """The wait for a departure on ``link`` (ESTIMATE; hours).

    Uniform on ``[0, 2w]`` when the wait ``w`` is half the headway (random arrival at a
    scheduled service), else exponential with mean ``w``; fixed at 0 with no wait.
    """
    _run, wait = link_run_and_wait(link, speed_kmh)
    if wait <= 0.0:
        return Dwell("fixed", 0.0, 0.0)
    if link.headway_h is not None and math.isclose(wait, link.headway_h / 2.0):
        return Dwell("uniform", wait, 1.8 * wait, (0.0, 2.0 * wait))
    return Dwell("gamma", wait, wait * math.log(10.0), (1.0, wait))


# ----------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Component:
    """One random part of a route's time: a border dwell or a wait for a service.

    ``kind`` is ``border``, or the mode of the service waited for (``ferry``, ``sea``).
    """

    label: str
    kind: str
    dwell: Dwell


@dataclass(frozen=True)
class RouteDistribution:
    """A route's time as ``fixed_h`` plus independent random components (hours)."""

    fixed_h: float
    components: tuple[Component, ...]

    @property
    def mean_h(self) -> float:
        """Expected door-to-door time (equals the route's ``time_h``)."""
        return self.fixed_h + sum(c.dwell.mean for c in self.components)

    @property
    def std_h(self) -> float:
        """Standard deviation from the components' analytic variances."""
        return math.sqrt(sum(c.dwell.variance for c in self.components))

    @property
    def p90_sum_h(self) -> float:
        """``fixed_h`` plus every component's P90: an upper bound of the total's P90."""
        return self.fixed_h + sum(c.dwell.p90 for c in self.components)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """``size`` door-to-door times; components are drawn in order."""
        total = np.full(size, self.fixed_h)
        for c in self.components:
            total += c.dwell.sample(rng, size)
        return total


def _border_components(route: Route) -> list[Component]:
    return [
        Component(
            f"border {b.from_country}→{b.to_country} at {b.place} ({b.crossing})",
            "border",
            fit_dwell(b.dwell_h, b.dwell_p90_h),
        )
        for b in route.borders
    ]


def _wait_components(network: Network, route: Route) -> list[Component]:
    state = network.as_of(route.date, route.scenario)
    out = []
    for lid in route.links:
        link = state.links[lid]
        wait = service_wait(link, network.modes[link.mode].speed_kmh)
        if wait.mean > 0.0:
            out.append(Component(f"wait for {link.mode} ({lid})", link.mode, wait))
    return out


def route_distribution(network: Network, route: Route) -> RouteDistribution:
    """The random make-up of ``route``'s time on its date under its scenario.

    Every border dwell (fitted by :func:`fit_dwell`) and every wait for a service
    (:func:`service_wait`) is random; the rest of ``route.time_h`` is fixed.
    """
    components = (*_border_components(route), *_wait_components(network, route))
    fixed = route.time_h - sum(c.dwell.mean for c in components)
    return RouteDistribution(fixed, components)


# ----------------------------------------------------------------------------- Monte Carlo


@dataclass(frozen=True)
class ReliabilityResult:
    """Summary of simulated door-to-door times (hours).

    ``buffer_time_h`` is the FHWA buffer time, P95 minus the mean; ``buffer_index`` is
    it over the mean. ``seed`` with ``n`` and ``chunk`` reproduces the result through
    :func:`simulate`. ``samples_per_s`` is the run's wall-clock throughput and is left out
    of comparisons.
    """

    n: int
    seed: int
    chunk: int
    mean_h: float
    std_h: float
    p50_h: float
    p90_h: float
    p95_h: float
    buffer_time_h: float
    buffer_index: float
    samples_per_s: float = field(compare=False)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (hours to 3 decimals)."""
        return {
            "n": self.n,
            "seed": self.seed,
            "chunk": self.chunk,
            "mean_h": round(self.mean_h, 3),
            "std_h": round(self.std_h, 3),
            "p50_h": round(self.p50_h, 3),
            "p90_h": round(self.p90_h, 3),
            "p95_h": round(self.p95_h, 3),
            "buffer_time_h": round(self.buffer_time_h, 3),
            "buffer_index": round(self.buffer_index, 4),
            "samples_per_s": round(self.samples_per_s),
        }


Chunk = tuple[int, int, int]  # route index, number of draws, seed


def _chunk_samples(payload: tuple[RouteDistribution, ...], chunk: Chunk) -> FloatArray:
    """Module-level chunk function for :func:`overland.batch.run_chunks`."""
    i, size, seed = chunk
    return payload[i].sample(np.random.default_rng(seed), size)


def _check_run(n: int, seed: int, chunk: int) -> None:
    if n < 1:
        raise BadArgumentError(f"n must be >= 1, got {n}")
    if seed < 0:
        raise BadArgumentError(f"seed must be >= 0, got {seed}")
    if chunk < 1:
        raise BadArgumentError(f"chunk must be >= 1, got {chunk}")


def _plan(route_seeds: Sequence[int], n: int, chunk: int) -> list[Chunk]:
    ranges = chunked(n, chunk)
    plan: list[Chunk] = []
    for i, route_seed in enumerate(route_seeds):
        seeds = chunk_seeds(route_seed, len(ranges))
        plan += [(i, stop - start, s) for (start, stop), s in zip(ranges, seeds, strict=True)]
    return plan


def _summarise(samples: FloatArray, seed: int, chunk: int, rate: float) -> ReliabilityResult:
    mean = float(samples.mean())
    p50, p90, p95 = (float(v) for v in np.quantile(samples, [0.5, 0.9, 0.95]))
    return ReliabilityResult(
        n=int(samples.size),
        seed=seed,
        chunk=chunk,
        mean_h=mean,
        std_h=float(samples.std()),
        p50_h=p50,
        p90_h=p90,
        p95_h=p95,
        buffer_time_h=p95 - mean,
        buffer_index=(p95 - mean) / mean if mean > 0 else 0.0,
        samples_per_s=rate,
    )


def _run(
    dists: Sequence[RouteDistribution],
    n: int,
    route_seeds: Sequence[int],
    chunk: int,
    scheduler: str | None,
    workers: int,
    progress: Progress | None,
) -> list[ReliabilityResult]:
    plan = _plan(route_seeds, n, chunk)
    start = time.perf_counter()
    parts = run_chunks(
        _chunk_samples,
        tuple(dists),
        plan,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
    )
    rate = n * len(dists) / max(time.perf_counter() - start, 1e-9)
    per_route = len(plan) // len(dists)
    return [
        _summarise(np.concatenate(parts[i * per_route : (i + 1) * per_route]), s, chunk, rate)
        for i, s in enumerate(route_seeds)
    ]


def simulate(
    dist: RouteDistribution,
    n: int,
    *,
    seed: int = 0,
    chunk: int = 20_000,
    scheduler: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> ReliabilityResult:
    """Draw ``n`` door-to-door times of one route and summarise them.

    Parameters
    ----------
    dist : RouteDistribution
        From :func:`route_distribution`.
    n : int
        Number of draws (all are held in memory to take exact percentiles).
    seed, chunk : int
        The result is defined by ``(seed, n, chunk)``: chunk ``i`` of ``chunk`` draws is
        seeded with ``chunk_seeds(seed, n_chunks)[i]``.
    scheduler, workers, progress
        As :func:`overland.batch.run_chunks`; they never change the result.
    """
    _check_run(n, seed, chunk)
    return _run([dist], n, [seed], chunk, scheduler, workers, progress)[0]


def simulate_many(
    dists: Sequence[RouteDistribution],
    n: int,
    *,
    seed: int = 0,
    chunk: int = 20_000,
    scheduler: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[ReliabilityResult]:
    """:func:`simulate` for several routes (an OD matrix) in one batch, results in order.

    Route ``i`` is simulated with seed ``chunk_seeds(seed, len(dists))[i]``, so its result
    equals ``simulate(dists[i], n, seed=that_seed, chunk=chunk)``. ``samples_per_s`` is the
    whole batch's throughput.
    """
    _check_run(n, seed, chunk)
    if not dists:
        return []
    route_seeds = chunk_seeds(seed, len(dists))
    return _run(dists, n, route_seeds, chunk, scheduler, workers, progress)


# ----------------------------------------------------------------------------- choice


def reliable_routes(
    network: Network,
    origin: str,
    destination: str,
    *,
    k: int = 4,
    by: str = "p90",
    lam: float = 1.0,
    n: int = 20_000,
    seed: int = 0,
    chunk: int = 20_000,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    commodity: str | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[tuple[Route, ReliabilityResult]]:
    """Up to ``k`` alternative routes, most reliable first.

    Parameters
    ----------
    by : {"p90", "mean_spread"}
        Order by the simulated P90, or by ``mean + lam * std`` where the mean and the
        standard deviation are analytic (sums of the components' means and variances).
    lam : float
        Weight of the spread, >= 0.
    k, date, scenario, commodity
        As :func:`overland.routing.alternative_routes`.
    n, seed, chunk, scheduler, workers
        As :func:`simulate_many`.
    """
    if by not in BY:
        raise BadArgumentError(f"unknown by {by!r}; valid: {', '.join(BY)}")
    if not (math.isfinite(lam) and lam >= 0.0):
        raise BadArgumentError(f"lam must be a finite number >= 0, got {lam}")
    _check_run(n, seed, chunk)
    routes = alternative_routes(
        network, origin, destination, k=k, date=date, scenario=scenario, commodity=commodity
    )
    dists = [route_distribution(network, r) for r in routes]
    results = simulate_many(
        dists, n, seed=seed, chunk=chunk, scheduler=scheduler, workers=workers, progress=progress
    )
    scores = (
        [res.p90_h for res in results] if by == "p90" else [d.mean_h + lam * d.std_h for d in dists]
    )
    order = sorted(range(len(routes)), key=lambda i: scores[i])
    return [(routes[i], results[i]) for i in order]
