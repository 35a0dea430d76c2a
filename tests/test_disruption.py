"""Disruptions: deterministic queues checked by hand on the toy network; CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overland import Network
from overland.analyses.disruption import NEVER_CLEARS_DAYS, disrupt
from overland.assignment.corridor import WAIT_LIMIT_H
from overland.cli import main
from overland.errors import BadArgumentError


def test_queue_at_a_capacity_limited_post_by_hand(toy: Network) -> None:
    # 2024: only tbilisi-baku (500 t/yr) crosses Gardabani-Boyuk Kasik GE->AZ, whose post
    # takes 800 t/yr; closed 30 days, the toy has no other way, so the grain waits
    res = disrupt(toy, ["gardabani-boyuk_kasik"], 30, date="2024-06-01")
    [row] = [r for r in res.rows.to_dict(orient="records") if r["demand"] == "tbilisi-baku"]
    assert row["choice"] == "wait"
    [q] = [
        r
        for r in res.queues.to_dict(orient="records")
        if (r["from"], r["to"]) == ("gardabani", "boyuk_kasik")
    ]
    lam, mu = 500 / 365, 800 / 365
    assert q["arrivals_t_per_day"] == pytest.approx(lam)
    assert q["backlog_tonnes"] == pytest.approx(lam * 30)
    clearance = lam * 30 / (mu - lam)  # 50 days
    assert q["clearance_days"] == pytest.approx(clearance)
    assert row["tonnes_affected"] == pytest.approx(lam * (30 + clearance))
    assert row["delay_tonne_days"] == pytest.approx(0.5 * lam * 30 * (30 + clearance))
    assert res.extra_cost_usd == 0


def test_without_capacity_the_queue_clears_at_once(toy: Network) -> None:
    res = disrupt(toy, ["link:ayrum-sadakhlo"], 10, date="2024-06-01")
    assert set(res.rows["demand"]) == {"gyumri-tbilisi"}  # yerevan-baku: no route in 2024
    assert (res.queues["clearance_days"] == 0).all()
    row = res.rows.to_dict(orient="records")[0]
    assert row["tonnes_affected"] == pytest.approx(200 / 365 * 10)
    assert row["delay_tonne_days"] == pytest.approx(200 / 365 * 10 * 5)


def test_rows_choose_the_cheaper_of_waiting_and_rerouting(embedded: Network) -> None:
    res = disrupt(embedded, ["road-dariali-upper_lars"], 10, date="2026-03-31")
    assert len(res.rows) > 0
    for r in res.rows.to_dict(orient="records"):
        cheaper = r["reroute_premium_usd_per_t"] < r["wait_value_usd_per_t"]
        assert (r["choice"] == "reroute") == cheaper
    assert res.backlog_tonnes > 0
    longer = disrupt(embedded, ["road-dariali-upper_lars"], 20, date="2026-03-31")
    # twice as long a closure: every row's wait is worth more, so no row that rerouted
    # goes back to waiting, and what the closure costs grows (the waiting rows' delay
    # need not double: the longer wait sends more of them round)
    short, long_ = (r.rows.set_index("demand") for r in (res, longer))
    rerouted = short.index[short["choice"] == "reroute"]
    assert (long_.loc[rerouted.intersection(long_.index), "choice"] == "reroute").all()
    # (rows are the affected ones: the longer closure can only add some)
    both = short.index.intersection(long_.index)
    assert len(both) > 0
    wait = long_.loc[both, "wait_value_usd_per_t"] / short.loc[both, "wait_value_usd_per_t"]
    assert (wait > 1.9).all()

    def impact(frame: pd.DataFrame) -> float:
        cheaper = frame[["reroute_premium_usd_per_t", "wait_value_usd_per_t"]].min(axis=1)
        return float((frame["tonnes_affected"] * cheaper).sum())

    assert impact(long_) > impact(short)


def test_cargo_with_a_detour_waits_no_longer_than_the_wait_limit(embedded: Network) -> None:
    # Upper Lars closed a month: the average wait, 15 days, passes the flows' 210 h limit,
    # so every row that has another route takes it, however little its time is worth;
    # without the limit some rows (cheap cargo) would rather wait the month out
    free = disrupt(embedded, ["road-dariali-upper_lars"], 30, date="2026-03-31", wait_limit_h=None)
    waits = free.rows[free.rows["choice"] == "wait"]
    assert np.isfinite(waits["reroute_premium_usd_per_t"]).any()
    capped = disrupt(embedded, ["road-dariali-upper_lars"], 30, date="2026-03-31")
    assert capped.as_dict()["wait_limit_h"] == WAIT_LIMIT_H
    stay = capped.rows[capped.rows["choice"] == "wait"]
    assert not np.isfinite(stay["reroute_premium_usd_per_t"]).any()
    assert capped.extra_cost_usd > free.extra_cost_usd
    # a closure whose average wait stays under the limit is decided by the value of time
    # alone, as before
    short = disrupt(embedded, ["road-dariali-upper_lars"], 10, date="2026-03-31")
    for r in short.rows.to_dict(orient="records"):
        assert (r["choice"] == "reroute") == (
            r["reroute_premium_usd_per_t"] < r["wait_value_usd_per_t"]
        )
    with pytest.raises(BadArgumentError, match="wait_limit_h"):
        disrupt(embedded, ["road-dariali-upper_lars"], 10, wait_limit_h=5)


def test_bad_arguments(toy: Network) -> None:
    with pytest.raises(BadArgumentError, match="did you mean"):
        disrupt(toy, ["ayrum-sadakhl"], 5)
    with pytest.raises(BadArgumentError, match="days"):
        disrupt(toy, ["ayrum-sadakhlo"], 0)
    with pytest.raises(BadArgumentError, match="at least one"):
        disrupt(toy, [], 5)


def test_cli_disrupt(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["disrupt", "--close", "ferry-alat-kuryk,ferry-alat-turkmenbashi", "--days", "7", "--json"]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["closed"] == ["link:ferry-alat-kuryk", "link:ferry-alat-turkmenbashi"]
    assert doc["backlog_tonnes"] > 0
    assert {q["link"] for q in doc["queues"]} <= {"ferry-alat-kuryk", "ferry-alat-turkmenbashi"}
    assert main(["disrupt", "--close", "nowhere", "--days", "7", "--json"]) == 2
    assert "unknown or already closed" in json.loads(capsys.readouterr().out)["error"]["message"]
    # a link already closed on the date (the Aktau rail ferry since 2018) is refused by name
    assert main(["disrupt", "--close", "ferry-alat-aktau", "--days", "7", "--json"]) == 2
    assert "ferry-alat-aktau" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_recovery_matches_a_time_stepped_queue() -> None:
    # the exact piecewise recovery against a plain simulation in small steps: three rows
    # arriving at a queue served at 10 t/day; the first goes round while the queue holds
    # over 20 t, the second over 60 t, the third never
    from overland.analyses.disruption import _recover

    arrivals = np.array([3.0, 4.0, 2.5])
    threshold = np.array([20.0, 60.0, np.inf])
    exact = _recover(100.0, 10.0, arrivals, threshold)
    q, t, area, dt = 100.0, 0.0, 0.0, 1e-4
    joined, went = np.zeros(3), np.zeros(3)
    while q > 0:
        join = threshold >= q
        inflow = arrivals * dt
        joined += np.where(join, inflow, 0)
        went += np.where(join, 0, inflow)
        step = max(q + float(inflow[join].sum()) - 10.0 * dt, 0.0)
        area += 0.5 * (q + step) * dt
        q, t = step, t + dt
    assert exact.days == pytest.approx(t, abs=1e-3)
    assert exact.area == pytest.approx(area, rel=1e-3)
    assert exact.joined == pytest.approx(joined, rel=1e-4)
    assert exact.diverted == pytest.approx(went, rel=1e-4)
    # with no detour for anyone: backlog / (mu - lambda), the textbook clearance
    none = _recover(100.0, 10.0, arrivals, np.full(3, np.inf))
    assert none.days == pytest.approx(100.0 / (10.0 - arrivals.sum()))
    assert none.diverted.sum() == 0
    # arrivals at capacity and nobody with a detour: it never clears, and the backlog
    # stands for the rest of the year
    stuck = _recover(100.0, 9.5, arrivals, np.full(3, np.inf))
    assert stuck.days == NEVER_CLEARS_DAYS
    assert stuck.area == pytest.approx(100.0 * NEVER_CLEARS_DAYS)
    assert stuck.joined == pytest.approx(arrivals * NEVER_CLEARS_DAYS)


def test_a_caspian_backlog_sends_cargo_round_and_clears_sooner(embedded: Network) -> None:
    # both Caspian rail ferries from Alat closed two weeks: without detours a backlog
    # takes lambda * D / (mu - lambda) days to clear (never, at or over capacity); cargo
    # with a cheaper way round, or facing more than the wait limit, takes it while the
    # queue is long, so every queue that sends cargo round clears sooner
    res = disrupt(embedded, ["ferry-alat-kuryk", "ferry-alat-turkmenbashi"], 14, date="2026-03-31")
    sent_round = [
        q for q in res.queues.to_dict(orient="records") if q["diverted_after_reopening_tonnes"] > 0
    ]
    assert sent_round
    for q in sent_round:
        mu, lam = float(q["capacity_t_per_day"]), float(q["arrivals_t_per_day"])
        plain = float(q["backlog_tonnes"]) / (mu - lam) if mu > lam else NEVER_CLEARS_DAYS
        assert float(q["clearance_days"]) < plain
    doc = res.as_dict()
    assert doc["diverted_after_reopening_tonnes"] == pytest.approx(
        float(res.rows["diverted_after_reopening_tonnes"].sum()), abs=1
    )
    assert doc["extra_cost_usd"] > 0


def test_a_backlog_that_cannot_clear_within_the_year_is_said_so(
    toy: Network, toy_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the toy's Gardabani-Boyuk Kasik post takes 800 t/yr: 500 t/yr of arrivals clear a
    # 30-day backlog in 50 days; at twice the demand (1,000 t/yr) the queue only grows
    from overland.analyses.disruption import clearance_words

    ok = disrupt(toy, ["gardabani-boyuk_kasik"], 30, date="2024-06-01").as_dict()
    assert ok["clears"]
    assert clearance_words(ok) == f"cleared after {ok['clearance_days']} days"
    assert ok["clearance_days"] == pytest.approx(50.0, abs=0.05)
    stuck = disrupt(toy, ["gardabani-boyuk_kasik"], 30, date="2024-06-01", growth=2.0)
    doc = stuck.as_dict()
    assert not doc["clears"]
    assert doc["clearance_days"] == NEVER_CLEARS_DAYS
    assert clearance_words(doc) == "not cleared within the year (gardabani → boyuk_kasik)"
    args = ["disrupt", "--close", "gardabani-boyuk_kasik", "--days", "30"]
    assert main([*args, "--date", "2024-06-01", "--growth", "2", "-p", str(toy_path)]) == 0
    printed = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "not cleared within the year (gardabani → boyuk_kasik)" in printed
