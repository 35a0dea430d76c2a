"""Criticality: incremental scans equal brute force; ranked failures; Dask equals local."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overland import Network, load_network
from overland.analyses.criticality import ELEMENT_KINDS, CriticalityResult, criticality
from overland.cli import main
from overland.errors import BadArgumentError

TOY = Path(__file__).parent / "fixtures" / "toy"


@pytest.fixture(scope="module")
def meshed(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """The toy package plus roads that give most pairs a second way, and more demand."""
    root = tmp_path_factory.mktemp("meshed") / "pkg"
    shutil.copytree(TOY, root)
    links = root / "links.csv"
    header = links.read_text(encoding="utf-8").splitlines()[0].split(",")
    extra = [
        ("road-yerevan-tbilisi", "yerevan", "tbilisi", "290"),
        ("road-tbilisi-baku", "tbilisi", "baku", "570"),
        ("road-yerevan-gyumri", "yerevan", "gyumri", "125"),
        ("road-gyumri-kars", "gyumri", "kars", "80"),
    ]
    with links.open("a", encoding="utf-8") as f:
        for lid, a, b, km in extra:
            row = dict.fromkeys(header, "")
            row.update(
                {"id": lid, "from": a, "to": b, "mode": "road", "length_km": km}
                | {"status": "open", "directed": "false", "source": "toy", "estimate": "false"}
            )
            f.write(",".join(row[h] for h in header) + "\n")
    crossings = root / "crossings.csv"
    with crossings.open("a", encoding="utf-8") as f:
        for cid, link, fc, tc, place in [
            ("am-ge-road", "road-yerevan-tbilisi", "AM", "GE", "yerevan"),
            ("ge-am-road", "road-yerevan-tbilisi", "GE", "AM", "yerevan"),
            ("ge-az-road", "road-tbilisi-baku", "GE", "AZ", "baku"),
            ("az-ge-road", "road-tbilisi-baku", "AZ", "GE", "baku"),
            ("am-tr-road", "road-gyumri-kars", "AM", "TR", "gyumri"),
            ("tr-am-road", "road-gyumri-kars", "TR", "AM", "gyumri"),
        ]:
            f.write(f"{cid},{link},{fc},{tc},{place},4,9,1,open,,toy,false,\n")
    with (root / "modes.csv").open("a", encoding="utf-8") as f:
        f.write("road,60,0.07,80,toy,false,\n")
    demand = root / "demand.csv"
    with demand.open("a", encoding="utf-8") as f:
        for o, d, t in [("kars", "baku", 300), ("baku", "gyumri", 250), ("kars", "tbilisi", 120)]:
            f.write(f"{o}-{d},{o},{d},grain,2024,{t},,toy,false,\n")
    return load_network(root)


def _same(a: CriticalityResult, b: CriticalityResult) -> None:
    key = ["kind", "id"]
    ta, tb = a.table.sort_values(key).reset_index(drop=True), b.table.sort_values(key)
    tb = tb.reset_index(drop=True)
    pd.testing.assert_frame_equal(ta, tb, check_exact=False, rtol=1e-12, atol=1e-6)
    ia = a.impacts.sort_values([*key, "demand"]).reset_index(drop=True)
    ib = b.impacts.sort_values([*key, "demand"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ia, ib, check_exact=False, rtol=1e-12, atol=1e-6)


def test_incremental_equals_brute_force_on_a_toy_network(meshed: Network) -> None:
    fast = criticality(meshed, date="2024-06-01")
    slow = criticality(meshed, date="2024-06-01", incremental=False)
    _same(fast, slow)
    assert set(fast.table["kind"]) == set(ELEMENT_KINDS) - {"port"}  # the toy has no port
    # something must actually reroute and something must be cut off
    assert fast.table["rerouted_tonnes"].max() > 0
    assert fast.table["extra_cost_usd_per_year"].max() > 0
    assert fast.table["unserved_tonnes"].max() > 0


def test_toy_failures_by_hand(meshed: Network) -> None:
    res = criticality(meshed, date="2024-06-01", kinds=("link", "place"))
    t = res.table.set_index("id")
    # closing Kars cuts off its own 300 + 120 t; closing Baku cuts off tbilisi-baku and
    # kars-baku, while Armenia's trade with Baku (1,000 + 250 t) has no route in 2024
    # anyway (the transit ban) and is reported as unserved at baseline, not as a failure
    assert t.loc["kars", "unserved_tonnes"] == pytest.approx(300 + 120)
    assert t.loc["baku", "unserved_tonnes"] == pytest.approx(500 + 300)
    assert res.baseline_unserved_tonnes == pytest.approx(1000 + 250)
    # rows rerouted by a failure pay more, never less
    assert (res.impacts["new_usd_per_t"] >= res.impacts["base_usd_per_t"] - 1e-9).all()
    # ranking is by impact
    assert res.table["impact_usd_per_year"].is_monotonic_decreasing


def test_incremental_equals_brute_force_on_the_embedded_network(embedded: Network) -> None:
    fast = criticality(embedded, date="2025-06-01", kinds=("link", "crossing", "country"))
    slow = criticality(
        embedded, date="2025-06-01", kinds=("link", "crossing", "country"), incremental=False
    )
    _same(fast, slow)


def test_embedded_scan_names_what_matters(embedded: Network) -> None:
    res = criticality(embedded, date="2026-03-31")
    assert res.elements_scanned > 500
    impact = {
        (str(k), str(i)): float(v)
        for k, i, v in res.table[["kind", "id", "impact_usd_per_year"]].itertuples(index=False)
    }
    unserved = dict(zip(res.table["id"], res.table["unserved_tonnes"], strict=True))
    # Georgia closing its borders strands more of Armenia's trade than any Armenian link
    assert unserved["GE"] > 0
    arm_links = [i for k, i in impact if k == "link" and i.startswith("rail-yerevan")]
    assert arm_links
    assert all(impact[("country", "GE")] > impact[("link", i)] for i in arm_links)
    doc = res.as_dict(5)
    assert len(doc["failures"]) == 5
    assert doc["failures"][0]["impact_usd_per_year"] >= doc["failures"][-1]["impact_usd_per_year"]


def test_dask_equals_local(meshed: Network, dask_scheduler: str) -> None:
    local = criticality(meshed, date="2024-06-01", chunk=3)
    seen: list[tuple[int, int]] = []
    remote = criticality(
        meshed,
        date="2024-06-01",
        chunk=3,
        scheduler=dask_scheduler,
        progress=lambda done, total: seen.append((done, total)),
    )
    _same(local, remote)
    assert seen
    assert seen[-1][0] == seen[-1][1] == len(seen)


def test_bad_arguments(meshed: Network) -> None:
    with pytest.raises(BadArgumentError, match="valid: link, crossing"):
        criticality(meshed, kinds=("bridge",))
    with pytest.raises(BadArgumentError, match="growth"):
        criticality(meshed, growth=0)
    with pytest.raises(BadArgumentError, match="Dask scheduler"):
        criticality(meshed, scheduler="tcp://127.0.0.1:9")


def test_cli_critical(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "crit.csv"
    code = main(
        [
            *("critical", "--date", "2026-03-31", "--kind", "country,crossing", "--top", "5"),
            *("--in", "AM,GE,AZ", "--out", str(out), "--json"),
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["failures"]) == 5
    assert {f["kind"] for f in doc["failures"]} <= {"country", "crossing"}
    table = pd.read_csv(out)
    assert len(table) > 5
    assert np.all(np.diff(table["impact_usd_per_year"]) <= 1e-6)
    assert set(table.loc[table["kind"] == "country", "id"]) == {"AM", "GE", "AZ"}
    assert main(["critical", "--kind", "bridge", "--json"]) == 2
    err = json.loads(capsys.readouterr().out)
    assert "valid: link" in err["error"]["message"]


def test_congested_scan_matches_free_flow_when_nothing_is_loaded(meshed: Network) -> None:
    from overland.analyses.congested import congested_criticality

    # at a thousandth of the demand no queue forms: equilibrium costs are free-flow costs
    light = congested_criticality(meshed, date="2024-06-01", top=6, growth=1e-3)
    free = {
        (str(r["kind"]), str(r["id"])): r
        for r in criticality(meshed, date="2024-06-01", growth=1e-3).table.to_dict(orient="records")
    }
    assert len(light.table) == 6
    for r in light.table.to_dict(orient="records"):
        ff = free[(str(r["kind"]), str(r["id"]))]
        assert r["unserved_tonnes"] == pytest.approx(ff["unserved_tonnes"])
        assert r["extra_cost_usd_per_year"] == pytest.approx(
            ff["extra_cost_usd_per_year"], rel=1e-3, abs=1e-6
        )


def test_congested_scan_on_dask_equals_local(embedded: Network, dask_scheduler: str) -> None:
    from overland.analyses.congested import congested_criticality

    pick = ["link:ferry-alat-kuryk", "country:GE", "link:road-dariali-upper_lars"]
    local = congested_criticality(embedded, date="2026-03-31", elements=pick)
    remote = congested_criticality(
        embedded, date="2026-03-31", elements=pick, scheduler=dask_scheduler
    )
    pd.testing.assert_frame_equal(local.table, remote.table)
    rows = {str(r["id"]): r for r in local.table.to_dict(orient="records")}
    # Georgia closing strands trade; losing Upper Lars pushes trucks onto other, loaded
    # posts, which costs more at equilibrium than at free flow. (The Aktau ferry, itself
    # queued in the base state, can go either way: losing it also ends its queue.)
    assert float(rows["GE"]["unserved_tonnes"]) > 0
    assert float(rows["road-dariali-upper_lars"]["congestion_premium_usd_per_year"]) > 0


def test_scenario_batch_on_a_shared_dask_client_equals_local(
    embedded: Network, dask_scheduler: str
) -> None:
    from distributed import Client

    from overland.analyses.criticality import criticality_batch

    states: list[tuple[str | None, str | None]] = [("2025-06-01", None), (None, "tripp")]
    kw = {"kinds": ("crossing", "country"), "countries": ("AM", "AZ", "GE")}
    local = criticality_batch(embedded, states, **kw)  # type: ignore[arg-type]
    assert [r.scenario for r in local] == [None, "tripp"]
    with Client(dask_scheduler) as client:
        for _ in range(2):  # the same client twice: scattered networks must not collide
            remote = criticality_batch(embedded, states, scheduler=client, **kw)  # type: ignore[arg-type]
            for a, b in zip(local, remote, strict=True):
                _same(a, b)
    with pytest.raises(BadArgumentError, match="unknown scenario"):
        criticality_batch(embedded, [(None, "nope")])


def test_cli_critical_scenario_batch(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["critical", "--scenarios", "none,margara", "--kind", "country", "--top", "3"]
    assert main([*args, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["scenario"] for r in runs] == [None, "margara"]
    assert all(len(r["failures"]) == 3 for r in runs)


def test_cli_critical_on_a_local_cluster_equals_in_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["critical", "--date", "2026-03-31", "--kind", "crossing,country", "--in", "AM"]
    assert main([*args, "--json"]) == 0
    here = json.loads(capsys.readouterr().out)
    assert main([*args, "--scheduler", "local", "--workers", "2", "--json"]) == 0
    there = json.loads(capsys.readouterr().out)
    assert there == here
