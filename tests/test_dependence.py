"""Country dependence (transit shares of trade) and OD redundancy (country-disjoint routes)."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from overland import Network, load_network
from overland.analyses.dependence import (
    DependenceResult,
    country_dependence,
    redundancy,
    redundancy_table,
)
from overland.analyses.logit import LOGIT_THETA
from overland.errors import BadArgumentError, ScenarioError, UnknownPlaceError

AFTER_BAN = "2026-01-01"  # the toy's Azerbaijani transit ban is lifted on 2025-10-21
UNDER_BAN = "2025-06-01"


def _logit_second(best: float, other: float) -> float:
    """Probability of the dearer of two routes, P ∝ exp(-θ C / C_min)."""
    w = math.exp(-LOGIT_THETA * other / best)
    return w / (math.exp(-LOGIT_THETA) + w)


def _country_tonnes(network: Network, country: str, year: int) -> float:
    """Demand tonnes of ``year`` with an end in ``country`` (a domestic row counted once)."""
    return sum(
        d.tonnes_per_year
        for d in network.demand_for(year)
        if country in (network.places[d.origin].country, network.places[d.destination].country)
    )


def _check_consistent(res: DependenceResult, network: Network, growth: float = 1.0) -> None:
    """Totals reconcile with the demand table and every share is a share."""
    for country, tonnes in res.tonnes.items():
        assert tonnes == pytest.approx(growth * _country_tonnes(network, country, res.date.year))
        assert res.served[country] + res.unserved[country] == pytest.approx(tonnes)
    for row in res.table.to_dict(orient="records"):
        assert row["via"] != row["country"]
        assert 0 < row["share_tonnes"] <= 1 + 1e-12
        assert 0 <= row["share_value_of_time"] <= 1 + 1e-12
        assert row["tonnes"] == pytest.approx(row["share_tonnes"] * res.served[row["country"]])


# ----------------------------------------------------------------------------- toy: dependence


def test_toy_shares_by_hand(toy: Network) -> None:
    res = country_dependence(toy, date=AFTER_BAN)
    _check_consistent(res, toy)
    # demand: Yerevan->Baku 1000 t (AM-GE-AZ), Tbilisi->Baku 500 t, Gyumri->Tbilisi 200 t
    assert res.tonnes == pytest.approx({"AM": 1200, "AZ": 1500, "GE": 700})
    assert res.unserved == pytest.approx({"AM": 0, "AZ": 0, "GE": 0})
    assert res.share("AM", "GE") == pytest.approx(1000 / 1200)
    assert res.share("AZ", "GE") == pytest.approx(1000 / 1500)
    assert res.share("GE", "AM") == 0.0  # Georgia's trade all starts or ends next door
    assert res.share("AM", "TR") == 0.0
    # one commodity: weighting by value of time changes nothing
    assert res.share("AM", "GE", by="value_of_time") == pytest.approx(res.share("AM", "GE"))
    assert set(res.table["country"]) == {"AM", "AZ"}


def test_toy_under_the_ban_is_unserved_not_shared(toy: Network) -> None:
    res = country_dependence(toy, date=UNDER_BAN)
    _check_consistent(res, toy)
    # Armenian cargo may not enter Azerbaijan: Yerevan->Baku (1000 t) has no route
    assert res.unserved == pytest.approx({"AM": 1000, "AZ": 1000, "GE": 0})
    assert res.served == pytest.approx({"AM": 200, "AZ": 500, "GE": 700})
    assert res.table.empty  # what is left runs between neighbours
    assert res.share("AM", "GE") == 0.0


def test_growth_scales_tonnes_not_shares(toy: Network) -> None:
    base = country_dependence(toy, date=AFTER_BAN)
    grown = country_dependence(toy, date=AFTER_BAN, growth=2.5)
    _check_consistent(grown, toy, growth=2.5)
    assert grown.tonnes["AZ"] == pytest.approx(2.5 * base.tonnes["AZ"])
    assert grown.share("AZ", "GE") == pytest.approx(base.share("AZ", "GE"))


@pytest.fixture
def toy_with_kars(tmp_path: Path, toy_path: Path) -> Network:
    """The toy plus a 260 km standard-gauge Kars–Tbilisi line: a second way via Turkey."""
    pkg = tmp_path / "toy_kars"
    shutil.copytree(toy_path, pkg)
    with (pkg / "links.csv").open("a") as f:
        f.write("kars-tbilisi,,kars,tbilisi,rail,1435,260,,,,,,,,,,open,false,,toy,false,\n")
    with (pkg / "crossings.csv").open("a") as f:
        f.write("tr-ge-rail,kars-tbilisi,TR,GE,kars,8,16,1,open,,toy,false,\n")
        f.write("ge-tr-rail,kars-tbilisi,GE,TR,kars,8,16,1,open,,toy,false,\n")
    with (pkg / "transfers.csv").open("a") as f:
        f.write("tbilisi-gauge,tbilisi,rail_1520,rail_1435,12,5,true,toy,false,\n")
    return load_network(pkg)


def test_logit_split_by_hand(toy_with_kars: Network) -> None:
    # Gyumri–Kars reopens in 2030 under "reopen". Rail: 50 km/h, 0.04 USD/t-km; grain's
    # value of time 0.01 USD/t/h.
    # Yerevan->Baku via Georgia: 919 km, 36.76 + fees 2 + 3 = 41.76 USD; 18.38 h + dwell
    #   6 + 10 = 34.38 h -> 42.1038. Via Turkey: 1050 km, 42 + gauge changes 5 + 5 + fees
    #   1 + 1 + 3 = 57 USD; 21 h + 12 + 12 + 8 + 8 + 10 = 71 h -> 57.71.
    # Gyumri->Tbilisi direct: 219 km, 8.76 + 2 USD, 4.38 + 6 h -> 10.8638. Via Kars:
    #   350 km, 14 + 1 + 1 USD, 7 + 8 + 8 h -> 16.23.
    res = country_dependence(toy_with_kars, date="2030-06-01", scenario="reopen")
    _check_consistent(res, toy_with_kars)
    p_baku = _logit_second(42.1038, 57.71)
    p_tbilisi = _logit_second(10.8638, 16.23)
    assert 0.01 < p_tbilisi < p_baku < 0.1
    assert res.share("AM", "GE") == pytest.approx(1000 / 1200)  # both ways cross Georgia
    assert res.share("AM", "TR") == pytest.approx((1000 * p_baku + 200 * p_tbilisi) / 1200)
    assert res.share("AZ", "TR") == pytest.approx(1000 * p_baku / 1500)
    assert res.share("GE", "TR") == pytest.approx(200 * p_tbilisi / 700)
    assert res.share("GE", "AM") == 0.0  # Tbilisi->Baku has one way


def test_as_dict_is_json_ready(toy: Network) -> None:
    res = country_dependence(toy, date=AFTER_BAN)
    doc = json.loads(json.dumps(res.as_dict(), allow_nan=False))
    am = next(c for c in doc["countries"] if c["country"] == "AM")
    assert am["tonnes"] == 1200
    assert am["transit"] == [
        {"via": "GE", "tonnes": 1000, "share_tonnes": 0.8333, "share_value_of_time": 0.8333}
    ]


# ----------------------------------------------------------------------------- embedded: Armenia


def _armenian_rows_share(network: Network, partners: set[str], year: int) -> float:
    """Share of Armenia's demand tonnes of ``year`` whose other end is in ``partners``."""
    total = part = 0.0
    for d in network.demand_for(year):
        ends = (network.places[d.origin].country, network.places[d.destination].country)
        if "AM" not in ends:
            continue
        total += d.tonnes_per_year
        other = ends[1] if ends[0] == "AM" else ends[0]
        part += d.tonnes_per_year if other in partners else 0.0
    return part / total


def test_armenia_depends_on_georgia_before_the_ban_was_lifted(embedded: Network) -> None:
    res = country_dependence(embedded, date="2025-06-01")
    _check_consistent(res, embedded)
    ge = res.share("AM", "GE")
    # The Azerbaijani ban is in force and the Turkish border closed: no Armenian cargo
    # touches Azerbaijan, and trade with Russia and Europe has one way out, Georgia
    # (the detour round Iran is far dearer). Trade with Iran and Georgia themselves
    # crosses no third country. So Georgia's share lies between nine tenths of the
    # Russian/European share and one minus nine tenths of the Iranian/Georgian share.
    north_west = _armenian_rows_share(embedded, {"RU", "BG", "RO", "NL"}, 2025)
    neighbours = _armenian_rows_share(embedded, {"IR", "GE"}, 2025)
    assert res.share("AM", "AZ") == 0.0
    assert 0.9 * north_west < ge < 1 - 0.9 * neighbours
    assert ge > 0.4
    am = res.table[res.table["country"] == "AM"]
    assert am.iloc[0]["via"] == "GE"  # the largest transit country by far
    assert ge > 4 * res.share("AM", "IR")


def test_lifting_the_ban_adds_azerbaijan_but_keeps_georgia(embedded: Network) -> None:
    before = country_dependence(embedded, date="2025-06-01")
    # on a day of the months the published pace below covers (from 28 February 2026 the
    # closed Strait of Hormuz sends Armenia's boxes from Bandar Abbas another way)
    after = country_dependence(embedded, date="2026-01-15")
    # With the Armenia–Azerbaijan border closed, the ways the lifted ban opens (Kazakh
    # grain, Russian rail via Baku) reach Armenia through Georgia: dependence on Georgia
    # does not fall, it rises.
    # Published pace: 20,100-20,660 t of Russian grain went by rail through Azerbaijan to
    # Armenia from 9 November 2025 to 4 February 2026 (ADY via day.az, 2026-02-04; AZERTAC
    # via RFE/RL), and about 1,000 t of Kazakh grain in November 2025: some 21 kt in 3
    # months, 85 kt a year. The model's Armenian tonnes via Azerbaijan are within a factor
    # 2 of that (mostly other cargo: the model sends Russian grain by Upper Lars and Poti)
    via_az = after.share("AM", "AZ") * after.served["AM"]
    assert 85_000 / 2 < via_az < 85_000 * 2
    assert after.share("AM", "GE") >= before.share("AM", "GE")
    # by value too the lifted ban opens Azerbaijan; whether Georgia's value share rises
    # depends on the fitted spread of values of time (the fastest shippers of Shanghai
    # containers may now go Caspian–Azerbaijan–Iran), which no published figure pins
    assert before.share("AM", "AZ", by="value_of_time") == 0
    assert after.share("AM", "AZ", by="value_of_time") > 0


@pytest.mark.parametrize(
    ("scenario", "horizon"), [("margara", "2027-12-31"), ("tripp", "2028-12-31")]
)
def test_new_links_lower_dependence_on_georgia(
    embedded: Network, scenario: str, horizon: str
) -> None:
    base = country_dependence(embedded, date=horizon)
    res = country_dependence(embedded, scenario=scenario)
    assert res.date.isoformat() == horizon  # compared with the baseline on the same day
    assert res.share("AM", "GE") <= base.share("AM", "GE")
    if scenario == "margara":  # the Turkish border opens: a way round Georgia
        assert res.share("AM", "TR") > base.share("AM", "TR") + 0.1
        assert res.share("AM", "GE") < base.share("AM", "GE") - 0.02


# ----------------------------------------------------------------------------- redundancy


def _table_row(
    table: pd.DataFrame, origin: str, destination: str, commodity: str = "grain"
) -> dict[str, Any]:
    """The one row of a redundancy table for an OD pair and commodity."""
    rows = [
        r
        for r in table.to_dict(orient="records")
        if (r["origin"], r["destination"], r["commodity"]) == (origin, destination, commodity)
    ]
    assert len(rows) == 1
    return {str(k): v for k, v in rows[0].items()}


def test_toy_redundancy(toy: Network) -> None:
    res = redundancy(toy, "Yerevan", "Baku", date=AFTER_BAN)
    # the only way runs through Georgia; avoiding it leaves nothing
    assert res.n_disjoint == 1
    assert res.alternatives[0].transit == ("GE",)
    assert res.alternatives[0].extra_usd_per_t == 0.0
    assert res.stopped == "no_route"
    direct = redundancy(toy, "gyumri", "tbilisi", date=AFTER_BAN)
    assert direct.n_disjoint == 1
    assert direct.alternatives[0].transit == ()
    # with its only crossing (Ayrum-Sadakhlo) avoided, nothing is left
    assert direct.stopped == "no_route"


def test_no_route_is_reported_as_zero_consistently(toy: Network) -> None:
    res = redundancy(toy, "yerevan", "baku", date=UNDER_BAN)
    assert res.n_disjoint == 0
    assert res.stopped == "no_route"
    assert res.reason is not None
    assert "az-ban" in res.reason
    row = _table_row(redundancy_table(toy, date=UNDER_BAN), "yerevan", "baku")
    assert row["n_disjoint"] == 0
    assert math.isnan(row["best_generalized_cost_usd_per_t"])
    assert math.isnan(row["second_extra_usd_per_t"])


def test_redundancy_through_turkey(toy_with_kars: Network) -> None:
    # Yerevan->Tbilisi: the direct way is best; with its crossing avoided, the second way
    # runs through Türkiye (Gyumri-Kars, then the Kars-Tbilisi line), and then nothing
    res = redundancy(toy_with_kars, "yerevan", "tbilisi", date="2030-06-01", scenario="reopen")
    assert res.n_disjoint == 2
    assert [a.transit for a in res.alternatives] == [(), ("TR",)]
    assert res.alternatives[1].extra_usd_per_t > 0
    assert res.stopped == "no_route"
    # Kars->Baku: through Armenia and Georgia, or Georgia alone; Georgia cannot be avoided
    res = redundancy(toy_with_kars, "kars", "baku", date="2030-06-01", scenario="reopen")
    assert res.n_disjoint == 1
    assert res.alternatives[0].transit == ("GE",)


@pytest.mark.parametrize(
    ("origin", "destination", "commodity"),
    [
        ("moscow", "yerevan", "general"),
        ("baku", "istanbul", "general"),
        ("xian", "tbilisi", "containers"),
        ("istanbul", "almaty", "general"),
    ],
)
def test_alternatives_are_country_disjoint(
    embedded: Network, origin: str, destination: str, commodity: str
) -> None:
    res = redundancy(embedded, origin, destination, date="2026-03-31", commodity=commodity)
    alts = res.alternatives
    assert 2 <= res.n_disjoint <= 5
    ends = {embedded.places[origin].country, embedded.places[destination].country}
    for a, b in itertools.combinations(alts, 2):
        assert not set(a.transit) & set(b.transit)
    for a in alts:
        assert set(a.transit) == set(a.countries) - ends
        assert a.countries[0] in ends
        assert a.countries[-1] in ends
    extras = [a.extra_usd_per_t for a in alts]
    assert extras[0] == 0.0
    assert all(x >= -1e-9 for x in extras)
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(extras))
    best = alts[0].generalized_cost_usd_per_t
    for a in alts:
        assert a.generalized_cost_usd_per_t == pytest.approx(best + a.extra_usd_per_t)
        assert a.extra_pct == pytest.approx(100 * a.extra_usd_per_t / best)
    assert all(a.transit for a in alts[:-1])  # only the last may be direct
    assert res.to_frame()["rank"].tolist() == list(range(1, res.n_disjoint + 1))


def test_max_routes_caps_the_search(embedded: Network) -> None:
    full = redundancy(embedded, "xian", "tbilisi", date="2026-03-31", commodity="containers")
    capped = redundancy(
        embedded, "xian", "tbilisi", date="2026-03-31", commodity="containers", max_routes=2
    )
    assert full.n_disjoint > 2
    assert capped.n_disjoint == 2
    assert capped.stopped == "max_routes"
    assert capped.alternatives == full.alternatives[:2]


def test_redundancy_table_covers_the_demand(embedded: Network) -> None:
    table = redundancy_table(embedded, date="2026-03-31")
    keys = {(d.origin, d.destination, d.commodity) for d in embedded.demand.values()}
    assert len(table) == len(keys)
    assert set(zip(table["origin"], table["destination"], table["commodity"], strict=True)) == keys
    assert (table["n_disjoint"] >= 0).all()
    single = table["n_disjoint"] < 2
    assert table.loc[single, "second_extra_usd_per_t"].isna().all()
    assert (table.loc[~single, "second_extra_usd_per_t"] >= -1e-9).all()
    row = _table_row(table, "moscow", "yerevan", "general")
    one = redundancy(embedded, "moscow", "yerevan", date="2026-03-31", commodity="general")
    assert row["n_disjoint"] == one.n_disjoint
    assert row["second_extra_usd_per_t"] == pytest.approx(one.alternatives[1].extra_usd_per_t)


def test_redundancy_table_on_given_pairs(toy: Network) -> None:
    table = redundancy_table(
        toy, date=AFTER_BAN, pairs=[("Yerevan", "Baku"), ("gyumri", "tbilisi", "grain")]
    )
    assert table["origin"].tolist() == ["yerevan", "gyumri"]
    assert table["n_disjoint"].tolist() == [1, 1]
    assert table["transit"].tolist() == ["GE", "-"]
    assert table["stopped"].tolist() == ["no_route", "no_route"]
    doc = redundancy(toy, "yerevan", "baku", date=AFTER_BAN).as_dict()
    assert json.loads(json.dumps(doc))["alternatives"][0]["transit"] == ["GE"]


# ----------------------------------------------------------------------------- bad arguments


def test_bad_arguments(toy: Network) -> None:
    with pytest.raises(UnknownPlaceError, match="Yerevann"):
        redundancy(toy, "Yerevann", "Baku", date=AFTER_BAN)
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*reopen"):
        redundancy(toy, "yerevan", "baku", scenario="nope")
    with pytest.raises(ScenarioError, match="unknown scenario"):
        country_dependence(toy, scenario="nope")
    with pytest.raises(ScenarioError, match="unknown scenario"):
        redundancy_table(toy, scenario="nope")
    for bad in (0, -1, 51, 2.5, True):
        with pytest.raises(BadArgumentError, match="max_routes must be an integer from 1 to 50"):
            redundancy(toy, "yerevan", "baku", max_routes=bad)  # type: ignore[arg-type]
    with pytest.raises(BadArgumentError, match="max_routes"):
        redundancy_table(toy, max_routes=0)
    with pytest.raises(BadArgumentError, match="unknown commodity 'gold'; valid: grain"):
        redundancy(toy, "yerevan", "baku", commodity="gold")
    with pytest.raises(BadArgumentError, match="growth"):
        country_dependence(toy, growth=0)
    with pytest.raises(BadArgumentError, match="pairs items"):
        redundancy_table(toy, pairs=[("yerevan",)])
    with pytest.raises(UnknownPlaceError):
        redundancy_table(toy, pairs=[("yerevan", "atlantis")])


def test_share_arguments(toy: Network) -> None:
    res = country_dependence(toy, date=AFTER_BAN)
    with pytest.raises(BadArgumentError, match="country 'TR' has no demand; valid countries"):
        res.share("TR", "GE")
    with pytest.raises(BadArgumentError, match="unknown country via='XX'; valid: AM, AZ"):
        res.share("AM", "XX")
    with pytest.raises(BadArgumentError, match="unknown by='value'; valid: tonnes"):
        res.share("AM", "GE", by="value")
