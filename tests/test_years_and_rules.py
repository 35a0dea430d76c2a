"""Demand by year (a date's flows use that year's demand rows) and rules scoped to
commodities (a ban on one kind of cargo leaves the others their routes)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from overland import load_network
from overland.analyses.flows import corridor_flows
from overland.errors import NoRouteError
from overland.routing import shortest_route
from overland.skim import skim

TOY = Path(__file__).parent / "fixtures" / "toy"


@pytest.fixture
def toy_copy(tmp_path: Path) -> Path:
    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    return pkg


def _add_ge_ban(
    pkg: Path, rule_id: str, title: str, applies_to: str, modes: str | None = None
) -> None:
    """Append a transit ban on Georgia, in force, to the package's rules.yaml."""
    with (pkg / "rules.yaml").open("a", encoding="utf-8") as f:
        f.write(
            f"- id: {rule_id}\n"
            f"  title: {title}\n"
            "  kind: transit_ban\n"
            "  countries: [GE]\n"
            f"  applies_to: {applies_to}\n"
            + (f"  modes: {modes}\n" if modes else "")
            + "  in_force: true\n"
            "  source: [toy]\n"
        )


def test_flows_use_the_demand_of_their_year(toy_copy: Path) -> None:
    with (toy_copy / "demand.csv").open("a", encoding="utf-8") as f:
        f.write("tbilisi-baku-2019,tbilisi,baku,grain,2019,300,,toy,false,\n")
        f.write("gyumri-tbilisi-2019,gyumri,tbilisi,grain,2019,100,,toy,false,\n")
    net = load_network(toy_copy)
    assert {d.id for d in net.demand_for(2019)} == {"tbilisi-baku-2019", "gyumri-tbilisi-2019"}
    # a year without rows takes the nearest earlier year; before the first, the first
    assert net.demand_for(2021) == net.demand_for(2019)
    assert net.demand_for(2010) == net.demand_for(2019)
    assert {d.year for d in net.demand_for(2026)} == {2024}
    f2019 = corridor_flows(net, date="2019-07-01")
    assert f2019.total_tonnes == pytest.approx(400)
    tonnes = dict(zip(f2019.links["link"], f2019.links["tonnes"], strict=True))
    assert tonnes["gardabani-boyuk_kasik"] == pytest.approx(300)  # only Tbilisi -> Baku
    f2025 = corridor_flows(net, date="2025-11-10")
    assert f2025.total_tonnes == pytest.approx(1700)


def test_a_rule_scoped_to_a_commodity_bans_only_that_cargo(toy_copy: Path) -> None:
    with (toy_copy / "commodities.csv").open("a", encoding="utf-8") as f:
        f.write("steel,Steel,t,1,600,0.01,toy,true,a second commodity for the test\n")
    _add_ge_ban(
        toy_copy,
        "ge-steel-ban",
        "Steel from Armenia may not transit Georgia",
        "{origin_countries: [AM], commodities: [steel]}",
    )
    net = load_network(toy_copy)
    day = "2025-11-10"
    grain = shortest_route(net, "Yerevan", "Baku", date=day, commodity="grain")
    assert grain.countries == ("AM", "GE", "AZ")
    with pytest.raises(NoRouteError) as err:
        shortest_route(net, "Yerevan", "Baku", date=day, commodity="steel")
    assert any(b["id"] == "ge-steel-ban" for b in err.value.blocked_by)
    assert "(it covers steel; this shipment is steel)" in str(err.value)
    # the other direction is not covered (origin AZ)
    assert shortest_route(net, "Baku", "Tbilisi", date=day, commodity="steel").countries == (
        "AZ",
        "GE",
    )


def test_a_refusal_by_a_commodity_rule_says_when_the_commodity_was_assumed(
    toy_copy: Path,
) -> None:
    # no commodity named: the package's default is assumed, and a rule on that cargo
    # must not read as if it covered every shipment
    _add_ge_ban(
        toy_copy,
        "ge-grain-ban",
        "Grain from Armenia may not transit Georgia",
        "{origin_countries: [AM], commodities: [grain]}",
    )
    net = load_network(toy_copy)
    with pytest.raises(NoRouteError) as err:
        shortest_route(net, "Yerevan", "Baku", date="2025-11-10")
    assert "this shipment is grain, assumed because none was named" in str(err.value)
    with pytest.raises(NoRouteError) as err:
        shortest_route(net, "Yerevan", "Baku", date="2025-11-10", commodity="grain")
    assert "this shipment is grain)" in str(err.value)


def test_a_ban_on_one_mode_leaves_its_countries_places_to_the_others(toy_copy: Path) -> None:
    # like the EU's ban on Russian road hauliers: Armenian cargo may not go by road in
    # Georgia, so Tbilisi is still reached by rail
    _add_ge_ban(
        toy_copy,
        "ge-road-ban",
        "Armenian hauliers may not drive in Georgia",
        "{origin_countries: [AM]}",
        modes="[road]",
    )
    net = load_network(toy_copy)
    day = "2025-11-10"
    by_rail = shortest_route(net, "Yerevan", "Tbilisi", date=day, commodity="grain")
    assert by_rail.modes == ("rail",)
    # the toy has no road at all: the refusal says so and does not blame the ban
    with pytest.raises(NoRouteError) as err:
        shortest_route(net, "Yerevan", "Tbilisi", date=day, commodity="grain", modes=["road"])
    assert not any(b["kind"] == "rule" for b in err.value.blocked_by)
    assert "modes other than road" in str(err.value)
    # a ban on the mode that does exist is named as the reason
    _add_ge_ban(
        toy_copy,
        "ge-rail-ban",
        "No Armenian trains in Georgia",
        "{origin_countries: [AM]}",
        "[rail]",
    )
    net = load_network(toy_copy)
    with pytest.raises(NoRouteError) as err:
        shortest_route(net, "Yerevan", "Tbilisi", date=day, commodity="grain", modes=["rail"])
    assert any(b["id"] == "ge-rail-ban" for b in err.value.blocked_by)


def test_a_rule_can_leave_the_countrys_own_trade_alone(toy_copy: Path) -> None:
    # like the container lines' exit from Iran: other countries' cargo may not enter
    # Georgia, Georgia's own trade still may, whatever its other end
    _add_ge_ban(
        toy_copy,
        "ge-third-country-ban",
        "Only Georgia's own trade may enter Georgia",
        "{except_end_countries: [GE]}",
    )
    net = load_network(toy_copy)
    day = "2025-11-10"
    with pytest.raises(NoRouteError) as err:
        shortest_route(net, "Yerevan", "Baku", date=day, commodity="grain")
    assert any(b["id"] == "ge-third-country-ban" for b in err.value.blocked_by)
    for a, b, countries in (
        ("Yerevan", "Tbilisi", ("AM", "GE")),
        ("Tbilisi", "Baku", ("GE", "AZ")),
        ("Baku", "Tbilisi", ("AZ", "GE")),
    ):
        assert shortest_route(net, a, b, date=day, commodity="grain").countries == countries
    # the skim applies it per pair too: the pairs it leaves alone keep their routes
    names = ["Yerevan", "Tbilisi", "Baku"]
    s = skim(net, places=names, date=day, commodity="grain")
    assert not np.isfinite(s.time_h[0, 2])
    assert not np.isfinite(s.time_h[2, 0])
    for i, j in ((0, 1), (1, 2), (2, 1), (1, 0)):
        r = shortest_route(net, names[i], names[j], date=day, commodity="grain")
        assert s.cost_usd_per_t[i, j] == pytest.approx(r.cost_usd_per_t)
    # corridor flows apply it per row: Yerevan -> Baku has no route, Tbilisi -> Baku has
    with (toy_copy / "demand.csv").open("a", encoding="utf-8") as f:
        f.write("yerevan-baku-2019,yerevan,baku,grain,2019,200,,toy,false,\n")
        f.write("tbilisi-baku-2019,tbilisi,baku,grain,2019,300,,toy,false,\n")
    flows = corridor_flows(load_network(toy_copy), date="2019-07-01")
    tonnes = dict(zip(flows.links["link"], flows.links["tonnes"], strict=True))
    assert tonnes["gardabani-boyuk_kasik"] == pytest.approx(300)


def test_a_rule_naming_an_unknown_commodity_is_refused(toy_copy: Path) -> None:
    from overland.validation import validate_package

    with (toy_copy / "rules.yaml").open("a", encoding="utf-8") as f:
        f.write(
            "- id: gold-ban\n  title: x\n  kind: transit_ban\n  countries: [GE]\n"
            "  applies_to: {commodities: [gold]}\n  in_force: true\n  source: [toy]\n"
        )
    report = validate_package(toy_copy)
    assert any("unknown commodity 'gold'" in str(p) for p in report.errors)


def test_link_shapes_are_drawn_and_checked(toy_copy: Path) -> None:
    import json

    from overland.export import state_geojson
    from overland.validation import validate_package

    course = [[43.84, 40.79], [44.2, 41.0], [44.45, 41.2], [44.8, 41.27]]
    shapes: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"link": "gyumri-ayrum"},
                "geometry": {"type": "LineString", "coordinates": course},
            }
        ],
    }
    (toy_copy / "shapes.geojson").write_text(json.dumps(shapes), encoding="utf-8")
    net = load_network(toy_copy)
    doc = state_geojson(net.as_of("2025-11-10"))
    drawn = next(f for f in doc["features"] if f["id"] == "link:gyumri-ayrum")
    assert drawn["geometry"]["coordinates"] == course
    straight = next(f for f in doc["features"] if f["id"] == "link:yerevan-gyumri")
    assert len(straight["geometry"]["coordinates"]) == 2
    shapes["features"].append(
        {
            "type": "Feature",
            "properties": {"link": "no-such-link"},
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [200, 0]]},
        }
    )
    (toy_copy / "shapes.geojson").write_text(json.dumps(shapes), encoding="utf-8")
    text = "\n".join(str(p) for p in validate_package(toy_copy).errors)
    assert "shapes.geojson:2" in text
    assert "longitude, latitude" in text
