"""Utility layers: max flow = min cut, against networkx; latency by hand; N-1; units."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from overland import Network
from overland.analyses.layers import FIBRE_US_PER_KM, fibre_latency, max_capacity, n_minus_1
from overland.errors import BadArgumentError


def test_toy_max_flow_and_min_cut_by_hand(toy: Network) -> None:
    r = max_capacity(toy, "gas_pipeline", "AZ", "TR")
    assert r.value == pytest.approx(6.0)
    assert r.min_cut == ("gas-tbilisi-kars",)
    both = max_capacity(toy, "gas_pipeline", "AZ", "TR,AM")
    assert both.value == pytest.approx(9.0)
    assert both.cut_capacity == pytest.approx(both.value)
    assert set(both.min_cut) == {"gas-tbilisi-kars", "gas-tbilisi-yerevan"}
    assert both.unit == "bcm_per_year"
    # pipelines are directed: nothing flows back from Türkiye to Azerbaijan
    assert max_capacity(toy, "gas_pipeline", "TR", "AZ").value == 0.0


def test_toy_n_minus_1(toy: Network) -> None:
    ranked = n_minus_1(toy, "gas_pipeline", "AZ", "TR,AM")
    assert ranked[0] == ("gas-baku-tbilisi", 0.0, 9.0)
    assert [r[0] for r in ranked] == ["gas-baku-tbilisi", "gas-tbilisi-kars", "gas-tbilisi-yerevan"]


def test_toy_latency_by_hand(toy: Network) -> None:
    r = fibre_latency(toy, "Baku", "Yerevan")
    assert r.links == ("fibre-baku-tbilisi", "fibre-tbilisi-yerevan")
    assert r.one_way_ms == pytest.approx(750 * 4.897 / 1000, rel=1e-3)
    assert r.round_trip_ms == pytest.approx(2 * r.one_way_ms)
    assert r.one_way_ms >= r.great_circle_ms
    direct = fibre_latency(toy, "Baku", "Yerevan", scenario="reopen")
    assert direct.length_km == 500
    assert direct.one_way_ms < r.one_way_ms
    assert pytest.approx(4.897, rel=1e-3) == FIBRE_US_PER_KM


def _networkx_value(net: Network, layer: str, src: str, snk: str) -> float:
    from overland.analyses.layers import resolve_region

    state = net.as_of()
    g = nx.DiGraph()
    for link in state.links.values():
        if link.mode != layer or link.status != "open":
            continue
        arcs = [(link.from_place, link.to_place)]
        if not link.directed:
            arcs.append((link.to_place, link.from_place))
        for a, b in arcs:
            cap = (g[a][b]["capacity"] if g.has_edge(a, b) else 0.0) + (link.capacity or 0.0)
            g.add_edge(a, b, capacity=cap)
    for p in resolve_region(net, src, layer):
        g.add_edge("SOURCE", p)  # no capacity attribute: unbounded
    for p in resolve_region(net, snk, layer):
        g.add_edge(p, "SINK")
    return float(nx.maximum_flow_value(g, "SOURCE", "SINK"))


@pytest.mark.parametrize(
    ("layer", "src", "snk"),
    [
        ("gas_pipeline", "AZ", "TR"),
        ("gas_pipeline", "AZ", "TR,AM"),
        ("fibre", "AZ", "AM"),
    ],
)
def test_toy_matches_networkx(toy: Network, layer: str, src: str, snk: str) -> None:
    ours = max_capacity(toy, layer, src, snk)
    assert ours.value == pytest.approx(_networkx_value(toy, layer, src, snk), abs=1e-3)
    assert ours.cut_capacity == pytest.approx(ours.value, abs=1e-3)


def test_bad_layer_and_regions(toy: Network) -> None:
    with pytest.raises(BadArgumentError, match="unknown layer 'water'"):
        max_capacity(toy, "water", "AZ", "TR")
    with pytest.raises(BadArgumentError, match="overlap"):
        max_capacity(toy, "gas_pipeline", "AZ", "baku")
    with pytest.raises(BadArgumentError, match="no fibre line touches TR"):
        max_capacity(toy, "fibre", "AZ", "TR")


def test_units_are_not_mixed(tmp_path: Path, toy_path: Path) -> None:
    import shutil

    from overland import validate_package

    pkg = tmp_path / "pkg"
    shutil.copytree(toy_path, pkg)
    links = (pkg / "links.csv").read_text(encoding="utf-8")
    (pkg / "links.csv").write_text(
        links.replace(",10,bcm_per_year,", ",10,Mt_per_year,"), encoding="utf-8"
    )
    report = validate_package(pkg)
    assert any("capacity_unit 'bcm_per_year'" in p.message for p in report.errors)


# ----------------------------------------------------------------------------- embedded layers


@pytest.mark.parametrize(
    ("layer", "src", "snk"),
    [
        ("gas_pipeline", "sangachal", "TR"),
        ("oil_pipeline", "sangachal", "ceyhan,supsa,novorossiysk"),
        ("power", "AZ", "TR"),
        ("fibre", "AZ", "GE"),
        ("gas_pipeline", "RU", "TR"),
    ],
)
def test_embedded_max_flow_matches_networkx(
    embedded: Network, layer: str, src: str, snk: str
) -> None:
    ours = max_capacity(embedded, layer, src, snk)
    assert ours.value > 0
    assert ours.value == pytest.approx(_networkx_value(embedded, layer, src, snk), abs=1e-3)
    assert ours.cut_capacity == pytest.approx(ours.value, abs=1e-3)


def test_embedded_units_per_layer(embedded: Network) -> None:
    from overland.schema import UNIT_OF_MODE

    layers = {link.mode for link in embedded.links.values() if not link.is_freight}
    assert layers == {"oil_pipeline", "gas_pipeline", "fibre", "power"}
    for link in embedded.links.values():
        if not link.is_freight:
            assert link.capacity_unit == UNIT_OF_MODE[link.mode], link.id
            assert link.capacity is not None


@pytest.mark.parametrize(
    ("a", "b"), [("Baku", "Yerevan"), ("Tbilisi", "Varna"), ("Baku", "Tabriz"), ("Yerevan", "Kars")]
)
def test_fibre_never_beats_light_on_the_great_circle(embedded: Network, a: str, b: str) -> None:
    r = fibre_latency(embedded, a, b)
    assert r.one_way_ms >= r.great_circle_ms
    assert r.length_km >= r.great_circle_ms * 1000 / FIBRE_US_PER_KM - 1e-6


def test_tripp_adds_lines_to_nakhchivan(embedded: Network) -> None:
    from overland.errors import NoRouteError

    assert max_capacity(embedded, "power", "ganja", "nakhchivan", date="2026-03-31").value == 0
    assert max_capacity(embedded, "power", "ganja", "nakhchivan", scenario="tripp").value > 0
    with pytest.raises(NoRouteError):
        fibre_latency(embedded, "Baku", "Nakhchivan", date="2026-03-31")
    assert fibre_latency(embedded, "Baku", "Nakhchivan", scenario="tripp").one_way_ms > 0


def test_cli_and_api(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from fastapi.testclient import TestClient

    from overland.cli import main
    from overland.web import ServerConfig, create_app

    assert main(["capacity", "AZ", "TR", "--layer", "gas", "--n1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["unit"] == "bcm_per_year"
    assert doc["n_minus_1"][0]["capacity_lost"] >= doc["n_minus_1"][-1]["capacity_lost"]
    assert main(["latency", "Baku", "Yerevan", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["one_way_ms"] > 0
    assert main(["latency", "Baku", "Yerevan", "--layer", "gas", "--json"]) == 2
    client = TestClient(create_app(ServerConfig(warm=False)), base_url="http://localhost")
    r = client.get("/api/capacity", params={"layer": "power", "from": "AZ", "to": "TR"})
    assert r.status_code == 200
    assert r.json()["max_flow"] > 0
    assert (
        client.get("/api/capacity", params={"layer": "water", "from": "AZ", "to": "TR"}).status_code
        == 422
    )
    r = client.get("/api/latency", params={"from": "Baku", "to": "Yerevan"})
    assert r.status_code == 200
