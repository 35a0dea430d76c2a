"""Reliability: dwell fits, route time distributions, Monte Carlo and reliable routes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import optimize, stats

from overland import Network
from overland.analyses.reliability import (
    GAMMA_PEAK_SHAPE,
    MIXTURE_MAX_RATIO,
    Dwell,
    RouteDistribution,
    fit_dwell,
    reliable_routes,
    route_distribution,
    service_wait,
    simulate,
    simulate_many,
)
from overland.batch import chunk_seeds
from overland.errors import BadArgumentError
from overland.route import Route
from overland.routing import shortest_route


def _analytic_mean(d: Dwell) -> float:
    """The mean from the parameters alone (not the stored ``mean``)."""
    p = d.params
    if d.kind == "lognormal":
        return math.exp(p[0] + p[1] ** 2 / 2)
    if d.kind == "gamma":
        return p[0] * p[1]
    if d.kind == "mixture":
        return p[0] + p[1] * p[2]
    if d.kind == "uniform":
        return (p[0] + p[1]) / 2
    return d.mean


# ----------------------------------------------------------------------------- fit_dwell


@pytest.mark.parametrize(
    ("mean", "p90", "kind"),
    [
        (6.0, 12.0, "lognormal"),
        (2.0, 4.5, "lognormal"),
        (10.0, 24.0, "gamma"),
        (10.0, 29.0, "gamma"),
        (6.0, 24.0, "mixture"),
        (24.0, 144.0, "mixture"),
    ],
)
def test_fit_dwell_reproduces_mean_and_p90(mean: float, p90: float, kind: str) -> None:
    d = fit_dwell(mean, p90)
    assert d.kind == kind
    assert _analytic_mean(d) == pytest.approx(mean, rel=1e-9)
    assert d.quantile(0.9) == pytest.approx(p90, rel=1e-7)
    x = d.sample(np.random.default_rng(7), 400_000)
    assert x.min() >= 0.0
    assert x.mean() == pytest.approx(mean, rel=0.01)
    assert np.quantile(x, 0.9) == pytest.approx(p90, rel=0.01)
    assert x.var() == pytest.approx(d.variance, rel=0.05)


def test_lognormal_sigma_follows_the_documented_formula() -> None:
    z90 = 1.2815515655446004
    d = fit_dwell(6.0, 12.0)
    assert d.params[1] == pytest.approx(z90 - math.sqrt(z90**2 - 2 * math.log(2.0)))
    # at the lognormal limit sigma == z90; just past it the gamma takes over
    limit = math.exp(z90**2 / 2)
    assert fit_dwell(1.0, limit).params[1] == pytest.approx(z90, rel=1e-6)
    assert fit_dwell(1.0, limit * 1.001).kind == "gamma"


def test_gamma_peak_shape_is_where_gamma_is_most_skewed() -> None:
    best = optimize.minimize_scalar(
        lambda a: -stats.gamma.ppf(0.9, a) / a,
        bounds=(0.05, 1.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert best.x == pytest.approx(GAMMA_PEAK_SHAPE, rel=1e-5)
    top = stats.gamma.ppf(0.9, GAMMA_PEAK_SHAPE) / GAMMA_PEAK_SHAPE
    assert fit_dwell(1.0, top * 0.999).kind == "gamma"
    assert fit_dwell(1.0, top * 1.001).kind == "mixture"


def test_fixed_dwell() -> None:
    for mean, p90 in [(5.0, 5.0), (0.0, 0.0), (0.0, 3.0)]:
        d = fit_dwell(mean, p90)
        assert d.kind == "fixed"
        assert d.mean == mean
        assert d.quantile(0.9) == mean
        assert d.variance == 0.0
        np.testing.assert_array_equal(d.sample(np.random.default_rng(0), 10), np.full(10, mean))


def test_mixture_share_follows_the_documented_rule() -> None:
    for ratio in (3.5, 4.0, 6.0, 8.0):
        d = fit_dwell(3.0, 3.0 * ratio)
        a, share, hold = d.params
        assert share == pytest.approx(0.1 + 0.75 * (1 / ratio - 0.1))
        assert hold == pytest.approx((3.0 - a) / share)
        assert 0.0 < a < 3.0


def test_mixture_at_the_markov_bound_keeps_the_mean() -> None:
    d = fit_dwell(12.0, 120.0)  # az-tr-road-sadarak-dilucu: P90 = 10 x mean
    assert d.kind == "mixture"
    assert d.p90 == pytest.approx(12.0 * MIXTURE_MAX_RATIO)
    assert _analytic_mean(d) == pytest.approx(12.0)
    x = d.sample(np.random.default_rng(3), 400_000)
    assert x.mean() == pytest.approx(12.0, rel=0.01)
    assert np.quantile(x, 0.9) == pytest.approx(d.p90, rel=0.01)
    assert d.quantile(0.9) == pytest.approx(d.p90)


@pytest.mark.parametrize(
    ("mean", "p90", "param"),
    [(6.0, 5.0, "p90_h"), (1.0, 10.5, "p90_h"), (-1.0, 2.0, "mean_h"), (math.nan, 2.0, "mean_h")],
)
def test_bad_dwell_arguments_are_named(mean: float, p90: float, param: str) -> None:
    with pytest.raises(BadArgumentError, match=param):
        fit_dwell(mean, p90)


def test_dwell_checks_kind_params_and_q() -> None:
    with pytest.raises(BadArgumentError, match="lognormal, gamma"):
        Dwell("weibull", 1.0, 2.0)
    with pytest.raises(BadArgumentError, match="2 params"):
        Dwell("gamma", 1.0, 2.0, (1.0,))
    with pytest.raises(BadArgumentError, match="q must"):
        fit_dwell(6.0, 12.0).quantile(1.0)


# ----------------------------------------------------------------------------- waits


def test_service_waits() -> None:
    # the waits as the package's files give them, before fitted multipliers
    from overland.network import network_from_package
    from overland.package import embedded_package_path, read_package
    from overland.schema import Parameters

    raw = read_package(embedded_package_path())
    files = network_from_package(raw, parameters=Parameters(schema_version=1))
    links, modes = files.links, files.modes

    def wait(lid: str) -> Dwell:
        return service_wait(links[lid], modes[links[lid].mode].speed_kmh)

    scheduled = wait("ferry-alat-aktau")  # wait 48 h = headway 96 h / 2
    assert scheduled.kind == "uniform"
    assert scheduled.params == (0.0, 96.0)
    assert scheduled.quantile(0.9) == pytest.approx(scheduled.p90)
    default = wait("ferry-varna-poti")  # no wait given: half the 168 h headway
    assert (default.kind, default.mean) == ("uniform", 84.0)
    irregular = wait("ferry-alat-turkmenbashi")  # wait 36 h, headway 48 h
    assert irregular.kind == "gamma"
    assert irregular.params == (1.0, 36.0)
    assert irregular.quantile(0.9) == pytest.approx(irregular.p90)
    assert wait("rail-baku-sumgayit").kind == "fixed"


# ----------------------------------------------------------------------------- routes


def _check_route(net: Network, route: Route) -> RouteDistribution:
    dist = route_distribution(net, route)
    assert dist.mean_h == pytest.approx(route.time_h, rel=1e-12)
    assert 0.0 < dist.fixed_h < route.time_h
    res = simulate(dist, 200_000, seed=11)
    assert res.mean_h == pytest.approx(route.time_h, rel=0.01)
    assert dist.mean_h < res.p90_h < dist.p90_sum_h
    assert res.p50_h < res.p90_h < res.p95_h
    assert res.buffer_time_h == pytest.approx(res.p95_h - res.mean_h)
    assert res.buffer_index == pytest.approx(res.buffer_time_h / res.mean_h)
    assert res.std_h == pytest.approx(dist.std_h, rel=0.03)
    return dist


def test_route_with_two_borders(embedded: Network) -> None:
    route = shortest_route(embedded, "Baku", "Kars", date="2025-11-10")
    dist = _check_route(embedded, route)
    assert [c.kind for c in dist.components] == ["border", "border"]
    assert [c.dwell.mean for c in dist.components] == [b.dwell_h for b in route.borders]
    assert [c.dwell.p90 for c in dist.components] == [b.dwell_p90_h for b in route.borders]
    assert all(b.crossing in c.label for b, c in zip(route.borders, dist.components, strict=True))


def test_route_with_a_ferry_wait(embedded: Network) -> None:
    route = shortest_route(embedded, "Kuryk", "Baku", date="2025-06-01")
    dist = _check_route(embedded, route)
    kinds = sorted(c.kind for c in dist.components)
    assert kinds == ["border", "ferry"]
    ferry = next(c for c in dist.components if c.kind == "ferry")
    link = embedded.links["ferry-alat-kuryk"]
    assert ferry.dwell.mean == link.wait_h
    # the ferry leg's time holds the sailing and the mean wait
    leg = next(leg for leg in route.legs if leg.mode == "ferry")
    assert leg.time_h == pytest.approx(float(link.duration_h or 0) + ferry.dwell.mean)


def test_single_border_p90_is_fixed_plus_dwell_p90(toy: Network) -> None:
    route = shortest_route(toy, "Yerevan", "Tbilisi", date="2025-11-10")
    dist = route_distribution(toy, route)
    [border] = dist.components
    assert (border.dwell.mean, border.dwell.p90) == (6.0, 12.0)
    res = simulate(dist, 400_000, seed=5)
    assert res.p90_h == pytest.approx(dist.fixed_h + 12.0, rel=0.005)
    assert res.mean_h == pytest.approx(route.time_h, rel=0.005)


# ----------------------------------------------------------------------------- Monte Carlo


@pytest.fixture
def baku_kars(embedded: Network) -> RouteDistribution:
    return route_distribution(embedded, shortest_route(embedded, "Baku", "Kars", date="2025-11-10"))


def test_same_seed_same_result_other_seed_other_result(baku_kars: RouteDistribution) -> None:
    calls: list[tuple[int, int]] = []
    a = simulate(
        baku_kars, 50_000, seed=3, chunk=20_000, progress=lambda i, t: calls.append((i, t))
    )
    b = simulate(baku_kars, 50_000, seed=3, chunk=20_000)
    assert a == b
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert a.samples_per_s > 0
    c = simulate(baku_kars, 50_000, seed=4, chunk=20_000)
    assert c.mean_h != a.mean_h
    assert c.p90_h != a.p90_h
    # results are defined per (seed, n, chunk): another chunk size draws other numbers
    d = simulate(baku_kars, 50_000, seed=3, chunk=10_000)
    assert d == simulate(baku_kars, 50_000, seed=3, chunk=10_000)
    assert d.mean_h != a.mean_h
    assert d.mean_h == pytest.approx(a.mean_h, rel=0.01)


def test_chunks_carry_their_seeds(baku_kars: RouteDistribution) -> None:
    seeds = chunk_seeds(9, 2)
    parts = [baku_kars.sample(np.random.default_rng(s), 1_000) for s in seeds]
    whole = np.concatenate(parts)
    res = simulate(baku_kars, 2_000, seed=9, chunk=1_000)
    assert res.mean_h == float(whole.mean())
    assert res.p90_h == float(np.quantile(whole, 0.9))


def test_simulate_many_matches_simulate(embedded: Network, baku_kars: RouteDistribution) -> None:
    other = route_distribution(
        embedded, shortest_route(embedded, "Aktau", "Baku", date="2025-06-01")
    )
    many = simulate_many([baku_kars, other], 30_000, seed=2, chunk=7_000)
    assert many == simulate_many([baku_kars, other], 30_000, seed=2, chunk=7_000)
    seeds = chunk_seeds(2, 2)
    for dist, res, s in zip([baku_kars, other], many, seeds, strict=True):
        assert res == simulate(dist, 30_000, seed=s, chunk=7_000)
        assert res.seed == s
    assert simulate_many([], 10) == []


@pytest.mark.parametrize(
    ("kwargs", "param"), [({"n": 0}, "n"), ({"seed": -1}, "seed"), ({"chunk": 0}, "chunk")]
)
def test_simulate_checks_arguments(
    baku_kars: RouteDistribution, kwargs: dict[str, int], param: str
) -> None:
    args = {"n": 10, "seed": 0, "chunk": 5, **kwargs}
    with pytest.raises(BadArgumentError, match=f"^{param} must"):
        simulate(baku_kars, args["n"], seed=args["seed"], chunk=args["chunk"])


def test_result_to_dict_is_json(baku_kars: RouteDistribution) -> None:
    res = simulate(baku_kars, 5_000, seed=1)
    out = json.loads(json.dumps(res.as_dict()))
    assert out["n"] == 5_000
    assert out["p90_h"] == pytest.approx(res.p90_h, abs=1e-3)
    assert out["buffer_time_h"] == pytest.approx(res.p95_h - res.mean_h, abs=2e-3)


# ----------------------------------------------------------------------------- choice


def test_reliable_routes_by_p90(embedded: Network) -> None:
    out = reliable_routes(embedded, "Aktau", "Kars", k=4, date="2025-06-01", n=20_000, seed=1)
    assert len(out) >= 2
    p90s = [res.p90_h for _route, res in out]
    assert p90s == sorted(p90s)
    for route, res in out:
        assert res.mean_h == pytest.approx(route.time_h, rel=0.02)


def test_reliable_routes_by_mean_spread(embedded: Network) -> None:
    def score(lam: float) -> list[float]:
        out = reliable_routes(
            embedded, "Aktau", "Kars", by="mean_spread", lam=lam, date="2025-06-01", n=2_000
        )
        scores = []
        for route, _res in out:
            dist = route_distribution(embedded, route)
            scores.append(route.time_h + lam * dist.std_h)
        return scores

    for lam in (0.0, 1.0, 3.0):
        s = score(lam)
        assert len(s) >= 2
        assert s == sorted(s)


def test_reliable_routes_checks_arguments(embedded: Network) -> None:
    with pytest.raises(BadArgumentError, match="unknown by 'p99'; valid: p90, mean_spread"):
        reliable_routes(embedded, "Aktau", "Kars", by="p99")
    with pytest.raises(BadArgumentError, match=r"^lam must"):
        reliable_routes(embedded, "Aktau", "Kars", lam=-1.0)
    with pytest.raises(BadArgumentError, match=r"^n must"):
        reliable_routes(embedded, "Aktau", "Kars", n=0)
