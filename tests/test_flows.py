"""Corridor flows: demand, equilibrium volumes against capacity, shares, growth."""

from __future__ import annotations

import json

import pytest

from overland import Network
from overland.cli import main
from overland.errors import BadArgumentError
from overland.flows import corridor_flows


def test_toy_flows_conserve_and_find_the_bottleneck(toy: Network) -> None:
    res = corridor_flows(toy, date="2025-11-10")
    links = res.links.set_index("link")
    # all 1,700 t are served; 1,500 t cross into Azerbaijan through a post of 800 t/yr
    assert res.unserved == 0
    assert links.loc["gardabani-boyuk_kasik", "tonnes"] == pytest.approx(1500)
    assert links.loc["gardabani-boyuk_kasik", "capacity"] == pytest.approx(800)
    assert res.bottlenecks().iloc[0]["link"] == "gardabani-boyuk_kasik"
    assert res.shares == pytest.approx({"middle": 1700})
    assert res.transit == pytest.approx({"GE": 1000})  # Yerevan -> Baku crosses Georgia
    assert res.converged


def test_toy_flows_under_the_ban(toy: Network) -> None:
    res = corridor_flows(toy, date="2025-10-01")
    assert res.unserved == pytest.approx(1000)  # Armenian grain may not transit Azerbaijan


def test_growth_scales_volumes(toy: Network) -> None:
    base = corridor_flows(toy, date="2025-11-10")
    tripled = corridor_flows(toy, date="2025-11-10", growth=3.0)
    assert tripled.total_tonnes == pytest.approx(3 * base.total_tonnes)
    b = base.links.set_index("link")["tonnes"]
    t = tripled.links.set_index("link")["tonnes"]
    assert t["tbilisi-gardabani"] == pytest.approx(3 * b["tbilisi-gardabani"])
    with pytest.raises(BadArgumentError, match="growth"):
        corridor_flows(toy, growth=0)


def test_identical_on_rerun(toy: Network) -> None:
    a = corridor_flows(toy, date="2025-11-10").as_dict()
    b = corridor_flows(toy, date="2025-11-10").as_dict()
    assert a == b


def test_cli_flows(toy_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["flows", "-p", str(toy_path), "--date", "2025-11-10", "--growth", "2", "--json"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["total_tonnes"] == 3400
    assert doc["bottlenecks"][0]["link"] == "gardabani-boyuk_kasik"
