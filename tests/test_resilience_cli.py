"""The resilience commands end to end, and Monte Carlo on Dask equal to in-process."""

from __future__ import annotations

import json

import pytest

from overland import Network
from overland.analyses.reliability import route_distribution, simulate, simulate_many
from overland.cli import main
from overland.routing import shortest_route


def test_cli_reliability_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["reliability", "Baku", "Kars", "--date", "2025-11-10", "-k", "3", "-n", "20000"]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    p90 = [r["reliability"]["p90_h"] for r in doc["routes"]]
    assert p90 == sorted(p90)
    for r in doc["routes"]:
        rel = r["reliability"]
        assert rel["p50_h"] <= rel["p90_h"] <= rel["p95_h"]
        assert rel["mean_h"] == pytest.approx(r["time_h"], rel=0.02)
    # the same seed gives the same numbers (all but the measured speed)
    assert main([*args, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    for d in (doc, again):
        for r in d["routes"]:
            r["reliability"].pop("samples_per_s")
    assert again == doc
    assert main([*args, "--by", "fastest", "--json"]) == 2
    assert "valid: p90, mean_spread" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_cli_dependence_and_redundancy(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["dependence", "-c", "AM", "--dates", "2025-06-01", "--scenarios", "margara", "--json"]
    )
    assert code == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["scenario"] for r in runs] == [None, "margara"]
    tr = [
        next((v["share_tonnes"] for v in r["countries"][0]["transit"] if v["via"] == "TR"), 0.0)
        for r in runs
    ]
    assert tr[1] > tr[0]  # opening Margara routes Armenia's trade through Türkiye
    assert main(["redundancy", "Yerevan", "Moscow", "--date", "2026-03-31", "--json"]) == 0
    red = json.loads(capsys.readouterr().out)
    transit = [set(a["transit"]) for a in red["alternatives"]]
    assert red["n_disjoint"] == len(transit) >= 2
    assert all(not (a & b) for i, a in enumerate(transit) for b in transit[i + 1 :])
    assert main(["dependence", "-c", "XX", "--json"]) == 2


def test_monte_carlo_on_dask_equals_in_process(embedded: Network, dask_scheduler: str) -> None:
    route = shortest_route(embedded, "Aktau", "Kars", date="2025-06-01")
    dist = route_distribution(embedded, route)
    local = simulate(dist, 50_000, seed=7, chunk=10_000)
    remote = simulate(dist, 50_000, seed=7, chunk=10_000, scheduler=dask_scheduler)
    assert remote == local
    other = route_distribution(embedded, shortest_route(embedded, "Baku", "Kars"))
    many = simulate_many([dist, other], 30_000, seed=3, chunk=7_000, scheduler=dask_scheduler)
    assert many == simulate_many([dist, other], 30_000, seed=3, chunk=7_000)


def test_avoid_links_and_the_redundancy_table(
    embedded: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    from overland.errors import BadArgumentError

    best = shortest_route(embedded, "Yerevan", "Tbilisi", date="2026-03-31")
    post = best.borders[0].link
    other = shortest_route(embedded, "Yerevan", "Tbilisi", date="2026-03-31", avoid_links=[post])
    assert post not in other.links
    assert other.generalized_cost_usd_per_t >= best.generalized_cost_usd_per_t
    with pytest.raises(BadArgumentError, match="avoid_links"):
        shortest_route(embedded, "Yerevan", "Tbilisi", avoid_links=["no-such-link"])
    assert main(["redundancy", "--date", "2026-03-31", "--json"]) == 0
    pairs = json.loads(capsys.readouterr().out)["pairs"]
    keys = {(d.origin, d.destination, d.commodity) for d in embedded.demand.values()}
    assert {(p["origin"], p["destination"], p["commodity"]) for p in pairs} == keys
    assert [p["n_disjoint"] for p in pairs] == sorted(p["n_disjoint"] for p in pairs)
    assert main(["redundancy", "Yerevan", "--json"]) == 2
