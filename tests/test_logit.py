"""The logit equilibrium of corridor flows against an independent solution."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from scipy.optimize import brentq

from overland.analyses.logit import ChoiceSets, logit_equilibrium, nested_shares


def _route(cost: float, link: int) -> Any:
    # a stand-in route: its cost, no hours at free flow, and the one link it loads
    return SimpleNamespace(cost_usd_per_t=cost, time_h=0.0, link=link)


def _queue(x: np.ndarray, capacity: float) -> np.ndarray:
    """Hours a link adds: Akçelik's queue over 90 days with a 12-hour service scale."""
    t, s = 90 * 24.0, 12.0
    r = np.maximum(x, 0.0) / capacity
    return np.asarray(t / 4 * ((r - 1) + np.sqrt((r - 1) ** 2 + 8 * s * r / t)))


@pytest.mark.parametrize(
    ("demand", "capacity", "theta", "waiting"),
    [
        (1000.0, 500.0, 8.0, 0.0),
        (3000.0, 500.0, 4.0, 0.0),
        (10.0, 1e4, 8.0, 0.0),
        (1000.0, 500.0, 8.0, 2.0),
    ],
)
def test_two_routes_match_a_scalar_root(
    demand: float, capacity: float, theta: float, waiting: float
) -> None:
    # route 0 (cheaper, 100 USD/t) crosses a queued link 0; route 1 (130 USD/t) is free
    vot = 0.5
    sets = ChoiceSets.build(
        [[_route(100.0, 0), _route(130.0, 1)]],
        [["land", "sea"]],
        [demand],
        [((1.0, vot),)],
        # an hour of link 0's queue also costs its idle equipment ``waiting`` USD per tonne
        lambda r: {getattr(r, "link"): waiting if getattr(r, "link") == 0 else 0.0},  # noqa: B009
        2,
    )

    def added(x: np.ndarray) -> np.ndarray:
        return np.array([_queue(x[:1], capacity)[0], 0.0])

    eq = logit_equilibrium(sets, added, theta=theta, tolerance=1e-10)
    assert eq.converged

    def excess(f: float) -> float:
        c0 = 100.0 + (vot + waiting) * float(_queue(np.array([f]), capacity)[0])
        best = min(c0, 130.0)
        w0, w1 = math.exp(-theta * c0 / best), math.exp(-theta * 130.0 / best)
        return f - demand * w0 / (w0 + w1)

    f0 = brentq(excess, 0.0, demand, xtol=1e-12)
    assert eq.flow[0] == pytest.approx(f0, rel=1e-6)
    assert eq.flow[0] + eq.flow[1] == pytest.approx(demand)
    assert eq.share[0] == pytest.approx(f0 / demand, rel=1e-6)


def test_rows_share_a_link_and_the_nested_split_holds_at_the_fixed_point() -> None:
    # two rows, three routes each; the land routes of both rows share the queued link 0
    sets = ChoiceSets.build(
        [
            [_route(100.0, 0), _route(101.0, 0), _route(125.0, 1)],
            [_route(80.0, 0), _route(90.0, 2), _route(95.0, 2)],
        ],
        [["land", "land", "sea"], ["land", "sea", "sea"]],
        [800.0, 600.0],
        [((1.0, 1.0),), ((1.0, 0.2),)],
        lambda r: {getattr(r, "link"): 0.0},  # noqa: B009 (a stand-in route)
        3,
    )

    def added(x: np.ndarray) -> np.ndarray:
        return np.array([float(_queue(x[:1], 700.0)[0]), 0.0, 0.0])

    eq = logit_equilibrium(sets, added, tolerance=1e-10)
    assert eq.converged
    # at the fixed point: the flows are what the split implies, row by row
    delay = added(eq.flow)[0]
    first = nested_shares([100 + delay, 101 + delay, 125.0], ["land", "land", "sea"])
    second = nested_shares([80 + 0.2 * delay, 90.0, 95.0], ["land", "sea", "sea"])
    assert eq.share[:3] == pytest.approx(first, rel=1e-6)
    assert eq.share[3:] == pytest.approx(second, rel=1e-6)
    on_link = 800 * (first[0] + first[1]) + 600 * second[0]
    assert eq.flow[0] == pytest.approx(on_link, rel=1e-6)
    assert eq.flow.sum() == pytest.approx(1400.0)


def test_value_classes_are_the_lognormal_conditional_means() -> None:
    # against numerical integration of the lognormal with the same mean and spread
    from itertools import pairwise

    from scipy import integrate
    from scipy.stats import lognorm

    from overland.analyses.logit import VALUE_QUANTILES, value_classes

    mean, spread = 0.4, 1.2
    classes = value_classes(mean, spread)
    dist = lognorm(s=spread, scale=mean * math.exp(-(spread**2) / 2))
    edges = dist.ppf(np.array(VALUE_QUANTILES))
    assert len(classes) == len(VALUE_QUANTILES) - 1
    for (weight, value), (a, b) in zip(classes, pairwise(edges), strict=True):
        assert weight == pytest.approx(dist.cdf(b) - dist.cdf(a))
        part = integrate.quad(lambda x: x * dist.pdf(x), a, b, limit=200)[0]
        assert value == pytest.approx(part / weight, rel=1e-6)
    assert sum(w * v for w, v in classes) == pytest.approx(mean)
    # no spread: one class at the mean
    assert value_classes(mean, 0.0) == ((1.0, mean),)


def test_classes_of_one_row_each_choose_at_their_own_value_of_time() -> None:
    # a slow cheap route and a fast dear one; without congestion every class splits by
    # its own logit, and the row's split is their tonne-weighted mix
    slow: Any = SimpleNamespace(cost_usd_per_t=100.0, time_h=700.0, link=0)
    fast: Any = SimpleNamespace(cost_usd_per_t=400.0, time_h=300.0, link=1)
    classes = ((0.7, 0.05), (0.25, 0.5), (0.05, 5.0))
    sets = ChoiceSets.build(
        [[slow, fast]],
        [["sea", "rail"]],
        [1000.0],
        [classes],
        lambda r: {getattr(r, "link"): 0.0},  # noqa: B009 (a stand-in route)
        2,
    )
    eq = logit_equilibrium(sets, np.zeros_like, theta=8.0, tolerance=1e-12)
    expected = np.zeros(2)
    for weight, value in classes:
        costs = [100.0 + value * 700.0, 400.0 + value * 300.0]
        expected += 1000.0 * weight * np.array(nested_shares(costs, ["sea", "rail"], 8.0))
    assert eq.flow == pytest.approx(expected, rel=1e-9)
    # the time-sensitive class takes the fast route, the others the cheap one
    assert sets.carried(eq.share)[-1] > sets.carried(eq.share)[-2]
    assert sets.carried(eq.share)[0] > sets.carried(eq.share)[1]


def test_a_priced_slot_keeps_the_shippers_who_value_time_most() -> None:
    # route 0 is fast and crosses link 0, whose slots are sold: its queue is a price every
    # class pays alike; route 1 is slow and free. Two classes of one row. The fixed point
    # is checked against a scalar root of the same split computed here
    fast: Any = SimpleNamespace(cost_usd_per_t=100.0, time_h=100.0, link=0)
    slow: Any = SimpleNamespace(cost_usd_per_t=100.0, time_h=600.0, link=1)
    classes = ((0.5, 0.05), (0.5, 1.0))
    price = 1.0  # USD per tonne per hour of the queue
    demand, capacity, theta = 1000.0, 300.0, 8.0
    sets = ChoiceSets.build(
        [[fast, slow]],
        [["rail", "sea"]],
        [demand],
        [classes],
        lambda r: {getattr(r, "link"): price if getattr(r, "link") == 0 else 0.0},  # noqa: B009
        2,
        priced=np.array([True, False]),
    )

    def added(x: np.ndarray) -> np.ndarray:
        return np.array([_queue(x[:1], capacity)[0], 0.0])

    eq = logit_equilibrium(sets, added, theta=theta, tolerance=1e-11)
    assert eq.converged

    def split(f: float) -> list[float]:
        premium = price * float(_queue(np.array([f]), capacity)[0])
        out = []
        for _, v in classes:
            c0, c1 = 100.0 + premium + v * 100.0, 100.0 + v * 600.0
            best = min(c0, c1)
            w0, w1 = math.exp(-theta * c0 / best), math.exp(-theta * c1 / best)
            out.append(w0 / (w0 + w1))
        return out

    def excess(f: float) -> float:
        return f - sum(w * demand * s for (w, _), s in zip(classes, split(f), strict=True))

    f0 = brentq(excess, 0, demand)
    assert eq.flow[0] == pytest.approx(f0, rel=1e-6)
    low, high = split(f0)
    assert eq.share[0] == pytest.approx(low, rel=1e-6)  # the low class's fast route
    assert eq.share[2] == pytest.approx(high, rel=1e-6)
    # the price sends the shippers who value time least the slow way first
    assert high > 0.75
    assert low < 0.5
    # ... where a queue in hours would cost the high class most and keep the low one
    timed = ChoiceSets.build(
        [[fast, slow]],
        [["rail", "sea"]],
        [demand],
        [classes],
        lambda r: {getattr(r, "link"): 0.0},  # noqa: B009 (a stand-in route)
        2,
    )
    queued = logit_equilibrium(timed, added, theta=theta, tolerance=1e-11)
    assert queued.share[2] < high
    assert queued.share[0] > low


def test_turned_away_shippers_try_again_then_are_shed() -> None:
    # one choice of three routes; the logit sends them 0.5, 0.3 and 0.2 and their queues
    # pass 0.4, 1.0 and 0 of it. Stepped here try by try, route by route: whoever a
    # route turns away picks one of the other two by their logit shares, renormalised
    from overland.analyses.logit import RETRIES

    def sets_of(n: int) -> ChoiceSets:
        return ChoiceSets.build(
            [[_route(100.0 + 10 * i, i) for i in range(n)]],
            [["land"] * n],
            [1000.0],
            [((1.0, 0.5),)],
            lambda r: {getattr(r, "link"): 0.0},  # noqa: B009
            n,
        )

    logit, kept = np.array([0.5, 0.3, 0.2]), np.array([0.4, 1.0, 0.0])
    moved, trying = np.zeros(3), logit.copy()
    for attempt in range(RETRIES + 1):
        moved += trying * kept
        turned = trying * (1 - kept)
        if attempt == RETRIES:
            break
        trying = np.zeros(3)
        for r in range(3):
            for u in range(3):
                if u != r:
                    trying[u] += turned[r] * logit[u] / (1 - logit[r])

    # each stand-in route loads its own link: a link's hardness is -log what it passes
    def hard(k: np.ndarray) -> np.ndarray:
        return np.asarray(-np.log(np.maximum(k, np.exp(-700.0))))

    share, shed = sets_of(3).rationed(logit, hard(kept))
    assert share == pytest.approx(moved, rel=1e-12)
    assert shed == pytest.approx(turned, rel=1e-12)
    assert share[2] < 1e-300  # the closed route carries nothing (exp(-700))
    assert share.sum() + shed.sum() == pytest.approx(1.0)  # every tonne moves or is shed
    assert shed[1] == 0  # nothing is shed on the open route's account
    # the route with room takes what the others turn away: by the same logit (the full
    # route again) a try would move 0.5 * 0.4 + 0.3 and twice as much be shed
    assert shed.sum() < (1 - (0.5 * 0.4 + 0.3)) ** (RETRIES + 1) / 2
    # nobody turned away: the logit's split, nothing shed
    assert sets_of(3).rationed(logit, hard(np.ones(3)))[0] == pytest.approx(logit)
    # every route closed: everything shed
    assert sets_of(3).rationed(logit, hard(np.zeros(3)))[0] == pytest.approx(np.zeros(3))
    # a choice of one route tries it again: of what one try passes, k, 1 - (1 - k) ** 4
    alone, lost = sets_of(1).rationed(np.array([1.0]), hard(np.array([0.4])))
    assert alone[0] == pytest.approx(1 - 0.6 ** (RETRIES + 1))
    assert lost[0] == pytest.approx(0.6 ** (RETRIES + 1))


def test_a_retry_avoids_the_routes_through_the_link_that_turned_the_shipper_away() -> None:
    # three routes: A and B cross one small ferry (link 0), C sails (link 1). The ferry
    # passes half of what comes; a shipper it turns away knows the ferry is full and
    # takes C, not B, so everything moves: what A and B pass at the first try, and the
    # rest by C. Excluding only the failed route, a third of A's would try B again
    routes: list[Any] = [
        SimpleNamespace(cost_usd_per_t=100.0, time_h=0.0, links=(0, 2)),
        SimpleNamespace(cost_usd_per_t=105.0, time_h=0.0, links=(0, 3)),
        SimpleNamespace(cost_usd_per_t=130.0, time_h=0.0, links=(1,)),
    ]
    sets = ChoiceSets.build(
        [routes],
        [["middle", "middle", "sea"]],
        [1000.0],
        [((1.0, 0.5),)],
        lambda r: dict.fromkeys(getattr(r, "links"), 0.0),  # noqa: B009 (stand-in routes)
        4,
    )
    logit = np.array([0.6, 0.3, 0.1])
    ferry = np.array([np.log(2.0), 0.0, 0.0, 0.0])
    share, shed = sets.rationed(logit, ferry)
    assert share == pytest.approx([0.3, 0.15, 0.1 + 0.3 + 0.15], rel=1e-12)
    assert shed == pytest.approx(np.zeros(3), abs=1e-15)
    # the sea full as well: nowhere else to go, so each tries its own route again (A's
    # and B's each pass half, three more times); C's tries the ferry routes
    both = np.array([np.log(2.0), 700.0, 0.0, 0.0])
    share, shed = sets.rationed(logit, both)
    assert share[2] == pytest.approx(0.0, abs=1e-12)
    assert share.sum() + shed.sum() == pytest.approx(1.0)
    assert share[0] > 0.3
    assert share[1] > 0.15


def test_links_without_capacity_take_the_split_at_once() -> None:
    # a queued link (0) and an uncongested one (1): marking link 1 fixed (its hours do
    # not depend on its flow) reaches the same fixed point, its flow is exactly the
    # split's load, and the steep queue no longer holds the averaging back on it
    fast: Any = SimpleNamespace(cost_usd_per_t=100.0, time_h=0.0, link=0)
    slow: Any = SimpleNamespace(cost_usd_per_t=115.0, time_h=0.0, link=1)
    sets = ChoiceSets.build(
        [[fast, slow]],
        [["rail", "sea"]],
        [1000.0],
        [((0.5, 0.05), (0.5, 1.0))],
        lambda r: {getattr(r, "link"): 0.0},  # noqa: B009
        2,
    )

    def added(x: np.ndarray) -> np.ndarray:
        return np.array([_queue(x[:1], 300.0)[0], 0.0])

    averaged = logit_equilibrium(sets, added, tolerance=1e-10)
    at_once = logit_equilibrium(sets, added, tolerance=1e-10, fixed=np.array([False, True]))
    assert averaged.converged
    assert at_once.converged
    assert at_once.flow == pytest.approx(averaged.flow, rel=1e-8)
    # the flow on the fixed link is what the split at the queue's hours sends it
    share, _ = sets.rationed(sets.shares(added(at_once.flow)), np.zeros(2))
    assert at_once.flow[1] == pytest.approx(sets.load(share)[1], rel=1e-12)
    assert at_once.iterations <= averaged.iterations
