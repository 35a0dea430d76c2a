"""Routes: hand-checked on the toy network, and the articles' claims on the embedded one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from overland import Network
from overland.cli import main
from overland.errors import BadArgumentError, NoRouteError, UnknownPlaceError
from overland.places import resolve_place
from overland.route import Route
from overland.routing import alternative_routes, route_shaping, shortest_route
from overland.skim import skim

# ----------------------------------------------------------------------------- toy, by hand
# toy defaults: rail 50 km/h, 0.04 USD/t-km, 20 g CO2/t-km


def test_toy_border_dwell_and_fee_add_up(toy: Network) -> None:
    r = shortest_route(toy, "Yerevan", "Tbilisi", date="2025-11-10")
    assert r.places == ("yerevan", "gyumri", "ayrum", "sadakhlo", "tbilisi")
    km = 150 + 140 + 13 + 66
    assert r.distance_km == pytest.approx(km)
    assert r.time_h == pytest.approx(km / 50 + 6)  # AM->GE dwell 6 h
    assert r.cost_usd_per_t == pytest.approx(km * 0.04 + 2)  # fee 2 USD/t
    assert r.co2_kg_per_t == pytest.approx(km * 20 / 1000)
    assert [(b.from_country, b.to_country, b.place, b.dwell_h) for b in r.borders] == [
        ("AM", "GE", "ayrum", 6.0)
    ]
    assert r.gauge_changes == 0
    assert r.moving_time_h == pytest.approx(km / 50)
    assert r.indicators()["speed_without_delay_kmh"] == pytest.approx(50.0)


def test_a_leg_names_the_country_it_ends_in(toy: Network, embedded: Network) -> None:
    """A leg starts in its ``country`` and ends in its ``to_country``; chained, the legs
    cross the route's countries in order, as the borders it lists do."""
    for net, a, b in ((toy, "Yerevan", "Tbilisi"), (embedded, "Astana", "Yerevan")):
        r = shortest_route(net, a, b, date="2025-12-15")
        chain: list[str] = []
        for leg in r.legs:
            assert leg.country == net.places[leg.from_place].country
            assert leg.to_country == net.places[leg.to_place].country
            for c in (leg.country, leg.to_country):
                if not chain or chain[-1] != c:
                    chain.append(c)
        assert tuple(chain) == tuple(r.countries)
        crossed = [(x.country, x.to_country) for x in r.legs if x.to_country != x.country]
        assert crossed == [(x.from_country, x.to_country) for x in r.borders]
    # Astana -> Yerevan: the Caspian ferry's leg ends in Azerbaijan
    ferry = [x for x in r.legs if x.mode == "ferry"]
    assert [(x.country, x.to_country) for x in ferry] == [("KZ", "AZ")]


def test_toy_gauge_change_is_priced(toy: Network) -> None:
    r = shortest_route(toy, "Yerevan", "Kars", date="1990-01-01")
    assert r.gauge_changes == 1
    assert [(t.place, t.from_layer, t.to_layer) for t in r.transfers] == [
        ("gyumri", "rail_1520", "rail_1435")
    ]
    assert r.time_h == pytest.approx(240 / 50 + 12 + 8)
    assert r.cost_usd_per_t == pytest.approx(240 * 0.04 + 5 + 1)
    steps = [s.kind for s in r.steps]
    assert steps == ["start", "haul", "transfer", "haul", "border"]
    assert r.steps[-1].time_h == pytest.approx(r.time_h)
    assert r.steps[-1].cost_usd_per_t == pytest.approx(r.cost_usd_per_t)


def test_toy_commodity_rates_scale_haul_fees_and_dwell(
    rated_toy: Callable[..., Network],
) -> None:
    # rates.csv: boxes pay 0.5 of the rail rate per t-km and 0.25 of the border fees, and
    # clear the border in 0.5 of its dwell (AM->GE: 6 h, P90 12 h)
    net = rated_toy(0.5, 0.25, 0.5)
    km = 150 + 140 + 13 + 66
    grain = shortest_route(net, "Yerevan", "Tbilisi", date="2025-11-10", commodity="grain")
    boxes = shortest_route(net, "Yerevan", "Tbilisi", date="2025-11-10", commodity="boxes")
    assert grain.cost_usd_per_t == pytest.approx(km * 0.04 + 2)
    assert boxes.cost_usd_per_t == pytest.approx(km * 0.04 * 0.5 + 2 * 0.25)
    assert [b.fee_usd_per_t for b in boxes.borders] == [pytest.approx(0.5)]
    assert sum(leg.cost_usd_per_t for leg in boxes.legs) == pytest.approx(km * 0.04 * 0.5)
    assert grain.time_h == pytest.approx(km / 50 + 6)
    assert boxes.time_h == pytest.approx(km / 50 + 6 * 0.5)
    assert [(b.dwell_h, b.dwell_p90_h) for b in boxes.borders] == [(3.0, 6.0)]
    # the skim prices the commodity alike
    sk = skim(net, places=["yerevan", "tbilisi"], date="2025-11-10", commodity="boxes")
    assert sk.cost_usd_per_t[0, 1] == pytest.approx(boxes.cost_usd_per_t)
    assert sk.time_h[0, 1] == pytest.approx(boxes.time_h)
    # and boxes that run 1.25x as fast spend 1/1.25 of the time on the move; the wait at
    # the border is not on the move
    fast = rated_toy(0.5, 0.25, 0.5, 1.25)
    quick = shortest_route(fast, "Yerevan", "Tbilisi", date="2025-11-10", commodity="boxes")
    assert quick.time_h == pytest.approx(km / 50 / 1.25 + 6 * 0.5)
    assert quick.moving_time_h == pytest.approx(km / 50 / 1.25)
    assert sum(leg.time_h for leg in quick.legs) == pytest.approx(km / 50 / 1.25)
    assert quick.cost_usd_per_t == pytest.approx(boxes.cost_usd_per_t)
    assert shortest_route(fast, "Yerevan", "Tbilisi", date="2025-11-10").time_h == (
        pytest.approx(grain.time_h)
    )


def test_a_shared_dwell_is_not_cleared_faster_by_a_commodity(
    rated_toy: Callable[..., Network],
) -> None:
    # boxes clear borders in 0.5 of the dwell, but the AM->GE post's 6 h (P90 12 h) is a
    # queue every train shares (dwell_shared): there they wait the whole of it, and the
    # reverse post, not shared, still halves it
    from overland.network import load_network

    pkg = rated_toy(0.5, 1.0, 0.5).path
    header, *rows = (pkg / "crossings.csv").read_text().splitlines()
    shared = [f"{r},{'true' if r.startswith('am-ge-rail,') else ''}" for r in rows]
    (pkg / "crossings.csv").write_text("\n".join([f"{header},dwell_shared", *shared]) + "\n")
    net = load_network(pkg)
    km = 150 + 140 + 13 + 66
    there = shortest_route(net, "Yerevan", "Tbilisi", date="2025-11-10", commodity="boxes")
    back = shortest_route(net, "Tbilisi", "Yerevan", date="2025-11-10", commodity="boxes")
    assert [(b.crossing, b.dwell_h, b.dwell_p90_h) for b in there.borders] == [
        ("am-ge-rail", 6.0, 12.0)
    ]
    assert there.time_h == pytest.approx(km / 50 + 6)
    assert [(b.crossing, b.dwell_h) for b in back.borders] == [("ge-am-rail", 3.0)]
    assert back.time_h == pytest.approx(km / 50 + 3)
    sk = skim(net, places=["yerevan", "tbilisi"], date="2025-11-10", commodity="boxes")
    assert (sk.time_h[0, 1], sk.time_h[1, 0]) == (
        pytest.approx(there.time_h),
        pytest.approx(back.time_h),
    )


def test_a_countrys_rate_row_charges_its_links_and_half_of_a_border_link(
    rated_toy: Callable[..., Network],
) -> None:
    # boxes pay 0.5 of the rail rate everywhere; Georgia's railway charges them 0.2 of
    # the mode's rate and runs them twice as fast. Yerevan -> Tbilisi: 290 km in Armenia,
    # 13 km from Ayrum (AM) to Sadakhlo (GE), half of it at each country's factors, 66 km
    # in Georgia
    from overland.network import load_network

    pkg = rated_toy(0.5, 1.0).path
    (pkg / "rates.csv").write_text(
        "id,commodity,mode,country,rate_factor,speed_factor,source,estimate,note\n"
        "boxes-rail,boxes,rail,,0.5,1,toy,false,\n"
        "boxes-rail-ge,boxes,rail,GE,0.2,2,toy,false,\n"
    )
    net = load_network(pkg)
    r = shortest_route(net, "Yerevan", "Tbilisi", date="2025-11-10", commodity="boxes")
    am_km = 150 + 140 + 13 / 2
    ge_km = 13 / 2 + 66
    assert r.cost_usd_per_t == pytest.approx(0.04 * 0.5 * (am_km + 0.2 * ge_km) + 2)
    assert r.moving_time_h == pytest.approx(am_km / 50 + ge_km / 50 / 2)
    assert r.time_h == pytest.approx(am_km / 50 + ge_km / 50 / 2 + 6)
    assert [(c.rate, c.country) for c in r.charges] == [
        ("boxes-rail", None),
        ("boxes-rail-ge", "GE"),
    ]
    assert r.as_dict()["charges"][1]["country"] == "GE"
    # a route that stays in Armenia is not charged Georgia's row, nor is another commodity
    inside = shortest_route(net, "Yerevan", "Gyumri", date="2025-11-10", commodity="boxes")
    assert inside.cost_usd_per_t == pytest.approx(0.04 * 0.5 * 150)
    assert [c.rate for c in inside.charges] == ["boxes-rail"]
    grain = shortest_route(net, "Yerevan", "Tbilisi", date="2025-11-10", commodity="grain")
    assert grain.cost_usd_per_t == pytest.approx((am_km + ge_km) * 0.04 + 2)
    # the skim prices it alike
    sk = skim(net, places=["yerevan", "tbilisi"], date="2025-11-10", commodity="boxes")
    assert sk.cost_usd_per_t[0, 1] == pytest.approx(r.cost_usd_per_t)


def test_a_countrys_transit_and_own_tariffs_charge_only_their_traffic(
    rated_toy: Callable[..., Network],
) -> None:
    # Georgia's railway charges boxes 0.2 of the mode's rate in transit and 3 times it for
    # its own traffic (from or to Georgia). Yerevan -> Baku crosses Georgia: 13 / 2 km
    # from Ayrum (AM), 66 + 40 km inside, 10 / 2 km to Boyuk Kasik (AZ); Yerevan -> Tbilisi
    # ends there
    from overland.network import load_network

    pkg = rated_toy(1.0, 1.0).path
    (pkg / "rates.csv").write_text(
        "id,commodity,mode,country,traffic,rate_factor,source,estimate,note\n"
        "boxes-rail-ge-transit,boxes,rail,GE,transit,0.2,toy,false,\n"
        "boxes-rail-ge-own,boxes,rail,GE,own,3,toy,false,\n"
    )
    net = load_network(pkg)
    am_km, ge_km, az_km = 150 + 140 + 13 / 2, 13 / 2 + 66 + 40 + 10 / 2, 10 / 2 + 500
    through = shortest_route(net, "Yerevan", "Baku", date="2025-11-10", commodity="boxes")
    assert through.cost_usd_per_t == pytest.approx(0.04 * (am_km + 0.2 * ge_km + az_km) + 2 + 3)
    assert [c.rate for c in through.charges] == ["boxes-rail-ge-transit"]
    ge_in = 13 / 2 + 66
    into = shortest_route(net, "Yerevan", "Tbilisi", date="2025-11-10", commodity="boxes")
    assert into.cost_usd_per_t == pytest.approx(0.04 * (am_km + 3 * ge_in) + 2)
    assert [c.rate for c in into.charges] == ["boxes-rail-ge-own"]
    # the skim prices each pair as its own shipment
    sk = skim(net, places=["yerevan", "tbilisi", "baku"], date="2025-11-10", commodity="boxes")
    assert sk.cost_usd_per_t[0, 2] == pytest.approx(through.cost_usd_per_t)
    assert sk.cost_usd_per_t[0, 1] == pytest.approx(into.cost_usd_per_t)
    back = shortest_route(net, "Baku", "Yerevan", date="2025-11-10", commodity="boxes")
    assert sk.cost_usd_per_t[2, 0] == pytest.approx(back.cost_usd_per_t)
    fees = sum(b.fee_usd_per_t for b in back.borders)
    assert back.cost_usd_per_t == pytest.approx(0.04 * (am_km + 0.2 * ge_km + az_km) + fees)


#: a market event that sets the toy's box rail rate to 1.5 from 2026 (rated_toy)
BOXES_MARKET_2026 = (
    "- id: boxes-market-2026\n  date: 2026-01-01\n  status: happened\n"
    "  title: Box rates rise\n  changes:\n"
    "    - {target: rate, id: boxes-rail, set: {rate_factor: 1.5}}\n"
    "  source: [toy]\n"
)


def test_an_event_changes_a_rate_row_from_its_date(rated_toy: Callable[..., Network]) -> None:
    # boxes pay 0.5 of the rail rate until a market event sets them to 1.5 on 2026-01-01
    # (a freight market's rate in a year, such as the deep-sea container rate)
    from overland.network import load_network
    from overland.validation import validate_package

    pkg = rated_toy(0.5, 1.0).path
    with (pkg / "events.yaml").open("a") as f:
        f.write(BOXES_MARKET_2026)
    net = load_network(pkg)
    km = 150 + 140 + 13 + 66
    before = shortest_route(net, "Yerevan", "Tbilisi", date="2025-12-31", commodity="boxes")
    after = shortest_route(net, "Yerevan", "Tbilisi", date="2026-01-01", commodity="boxes")
    assert before.cost_usd_per_t == pytest.approx(km * 0.04 * 0.5 + 2)
    assert after.cost_usd_per_t == pytest.approx(km * 0.04 * 1.5 + 2)
    # the route says how it was charged, and which event set the charge
    assert [(c.rate, c.mode, c.rate_factor, c.set_by) for c in before.charges] == [
        ("boxes-rail", "rail", 0.5, None)
    ]
    assert [(c.rate_factor, c.set_by) for c in after.charges] == [(1.5, "boxes-market-2026")]
    assert after.as_dict()["charges"][0]["set_by"] == "boxes-market-2026"
    # a market set back to factor 1 by an event still says which event set it
    other = rated_toy(0.5, 1.0).path
    with (other / "events.yaml").open("a") as f:
        f.write(BOXES_MARKET_2026.replace("2026", "2025").replace("1.5", "1"))
    back = shortest_route(
        load_network(other), "Yerevan", "Tbilisi", date="2025-06-01", commodity="boxes"
    )
    assert [(c.rate_factor, c.set_by) for c in back.charges] == [(1.0, "boxes-market-2025")]
    assert net.as_of("2026-06-01").rates["boxes-rail"].rate_factor == 1.5
    assert net.rates["boxes-rail"].rate_factor == 0.5  # the package's row is unchanged
    # grain has no row: the event does not touch it
    grain = shortest_route(net, "Yerevan", "Tbilisi", date="2026-06-01", commodity="grain")
    assert grain.cost_usd_per_t == pytest.approx(km * 0.04 + 2)
    assert grain.charges == ()
    # an event that sets a rate outside its range, or names no row, is refused by name
    text = (pkg / "events.yaml").read_text()
    (pkg / "events.yaml").write_text(
        text.replace("rate_factor: 1.5", "rate_factor: 0").replace(
            "id: boxes-rail", "id: boxes-rial"
        )
    )
    report = validate_package(pkg)
    assert any("unknown rate 'boxes-rial'" in p.message for p in report.problems)
    (pkg / "events.yaml").write_text(text.replace("rate_factor: 1.5", "rate_factor: 0"))
    problems = validate_package(pkg).problems
    assert any(p.field == "boxes-market-2026.changes.0.set.rate_factor" for p in problems)


def test_a_back_haul_pays_its_own_market_price(rated_toy: Callable[..., Network]) -> None:
    # a liner lane's market quotes its price per direction: yerevan-gyumri is marked the
    # head-haul, so boxes going gyumri -> yerevan pay its rate times the row's
    # backhaul_factor (0.25), from 2026 an event's (0.5); the other links, and grain
    # (no rates.csv row), pay the same both ways
    from overland.network import load_network
    from overland.validation import validate_package

    pkg = rated_toy(0.8, 1.0).path
    rates = (pkg / "rates.csv").read_text().splitlines()
    (pkg / "rates.csv").write_text(
        "\n".join([rates[0] + ",backhaul_factor", rates[1] + ",0.25"]) + "\n"
    )
    links = (pkg / "links.csv").read_text().splitlines()
    links = [links[0] + ",headhaul"] + [
        line + (",true" if line.startswith("yerevan-gyumri,") else ",false") for line in links[1:]
    ]
    (pkg / "links.csv").write_text("\n".join(links) + "\n")
    with (pkg / "events.yaml").open("a") as f:
        f.write(
            BOXES_MARKET_2026.replace("{rate_factor: 1.5}", "{backhaul_factor: 0.5}").replace(
                "Box rates rise", "Back-haul rates rise"
            )
        )
    net = load_network(pkg)
    head, rest = 150, 140 + 13 + 66  # km: the head-haul link, the others

    def cost(a: str, b: str, date: str, commodity: str = "boxes") -> float:
        return shortest_route(net, a, b, date=date, commodity=commodity).cost_usd_per_t

    out = cost("Yerevan", "Tbilisi", "2025-06-01")
    back = cost("Tbilisi", "Yerevan", "2025-06-01")
    assert out == pytest.approx((head + rest) * 0.04 * 0.8 + 2)
    assert back == pytest.approx((head * 0.25 + rest) * 0.04 * 0.8 + 2)
    assert cost("Tbilisi", "Yerevan", "2026-06-01") == pytest.approx(
        (head * 0.5 + rest) * 0.04 * 0.8 + 2
    )
    assert cost("Yerevan", "Tbilisi", "2026-06-01") == pytest.approx(out)
    assert cost("Tbilisi", "Yerevan", "2025-06-01", "grain") == pytest.approx(
        cost("Yerevan", "Tbilisi", "2025-06-01", "grain")
    )
    # the route's legs and the skim say the same; the charge names the factor and its event
    r = shortest_route(net, "Tbilisi", "Yerevan", date="2026-06-01", commodity="boxes")
    assert sum(leg.cost_usd_per_t for leg in r.legs) == pytest.approx(
        (head * 0.5 + rest) * 0.04 * 0.8
    )
    assert [(c.backhaul_factor, c.backhaul, c.set_by) for c in r.charges] == [
        (0.5, True, "boxes-market-2026")
    ]
    out_route = shortest_route(net, "Yerevan", "Tbilisi", date="2026-06-01", commodity="boxes")
    assert [c.backhaul for c in out_route.charges] == [False]
    sk = skim(net, places=["yerevan", "tbilisi"], date="2025-06-01", commodity="boxes")
    assert (sk.cost_usd_per_t[0, 1], sk.cost_usd_per_t[1, 0]) == (
        pytest.approx(out),
        pytest.approx(back),
    )
    # a back-haul factor on a mode with no head-haul link changes nothing: a warning
    assert not validate_package(pkg).problems
    (pkg / "links.csv").write_text((pkg / "links.csv").read_text().replace(",true\n", ",false\n"))
    assert any(
        p.file == "rates.csv" and p.field == "backhaul_factor" and "headhaul" in p.message
        for p in validate_package(pkg).problems
    )


def test_a_neutral_rate_row_warns_unless_an_event_sets_it(
    rated_toy: Callable[..., Network],
) -> None:
    # a row of factors 1 changes nothing, unless it is the base of a market that events
    # set by year (the embedded package's containers-sea)
    from overland.validation import validate_package

    pkg = rated_toy(1.0, 1.0).path

    def warned() -> bool:
        return any(
            p.file == "rates.csv" and p.severity == "warning" and "changes nothing" in p.message
            for p in validate_package(pkg).problems
        )

    assert warned()
    with (pkg / "events.yaml").open("a") as f:
        f.write(BOXES_MARKET_2026)
    assert not warned()


def test_toy_closure_is_explained(toy: Network) -> None:
    with pytest.raises(NoRouteError) as info:
        shortest_route(toy, "Yerevan", "Kars", date="2000-01-01")
    err = info.value
    assert "gyumri-kars" in str(err)
    assert "closed since 1993-07-12" in str(err)
    assert {"kind": "closure", "id": "gyumri-kars"}.items() <= err.blocked_by[0].items()
    assert shortest_route(toy, "Yerevan", "Kars", date="2030-06-01", scenario="reopen")


def test_toy_transit_ban_depends_on_the_shipment(toy: Network) -> None:
    # Tbilisi -> Baku is not Armenian cargo: allowed during the ban
    assert shortest_route(toy, "Tbilisi", "Baku", date="2025-10-01").countries == ("GE", "AZ")
    with pytest.raises(NoRouteError) as info:
        shortest_route(toy, "Yerevan", "Baku", date="2025-10-01")
    assert info.value.blocked_by[0]["id"] == "az-ban"
    r = shortest_route(toy, "Yerevan", "Baku", date="2025-11-10")
    km = 150 + 140 + 13 + 66 + 40 + 10 + 500
    assert r.time_h == pytest.approx(km / 50 + 6 + 10)
    assert r.cost_usd_per_t == pytest.approx(km * 0.04 + 2 + 3)
    assert r.countries == ("AM", "GE", "AZ")


def test_toy_objectives_and_value_of_time(toy: Network) -> None:
    r = shortest_route(toy, "Yerevan", "Tbilisi", date="2025-11-10", objective="time")
    vot = toy.commodities["grain"].value_of_time_usd_per_t_h
    assert r.generalized_cost_usd_per_t == pytest.approx(r.cost_usd_per_t + vot * r.time_h)


# ----------------------------------------------------------------------------- the articles


def test_wheat_train_route_before_and_after_the_ban(embedded: Network) -> None:
    with pytest.raises(NoRouteError) as info:
        shortest_route(embedded, "Moscow", "Yerevan", date="2025-10-01", modes=["rail"], via="Baku")
    err = info.value
    assert any(b["kind"] == "rule" and b["id"] == "az-transit-ban-armenia" for b in err.blocked_by)
    assert "Azerbaijan" in str(err)
    r = shortest_route(embedded, "Moscow", "Yerevan", date="2025-11-10", modes=["rail"])
    assert r.countries == ("RU", "AZ", "GE", "AM")
    assert len(r.borders) == 3
    assert r.gauge_changes == 0
    assert "ayrum" in r.places


def test_china_hungary_trains_cross_poland_czechia_and_slovakia(embedded: Network) -> None:
    # Xinhua via iChongqing (2025-12-02): the Chongqing-Budapest train runs "through
    # Kazakhstan, Poland, the Czech Republic and Slovakia"; the Amber rail freight corridor
    # (EU 2017/177) links Warsaw, Katowice, Zilina and Budapest. Not through Germany
    r = shortest_route(
        embedded, "Xi'an", "Budapest", date="2025-12-01", modes=["rail"], commodity="containers"
    )
    assert r.countries[-4:] == ("PL", "CZ", "SK", "HU")
    assert "DE" not in r.countries
    assert "AT" not in r.countries


def test_container_trains_run_a_thousand_km_a_day_and_clear_borders_first(
    embedded: Network,
) -> None:
    # KTZ: container trains ran at 941 km/day in Kazakhstan in H1 2018 and 1,007 in 2019,
    # over 1,100 in 2020; China-Europe trains stop 6-10 h at Alataw Pass (2019) against
    # CAREC's all-train average of 27.6 h on Corridor 1's rail crossings
    def trip(commodity: str) -> Route:
        return shortest_route(
            embedded, "Xi'an", "Aktau", date="2019-07-01", modes=["rail"], commodity=commodity
        )

    boxes, wheat = trip("containers"), trip("grain")
    assert boxes.links == wheat.links
    per_day = [r.distance_km / r.moving_time_h * 24 for r in (boxes, wheat)]
    assert 941 <= per_day[0] <= 1100
    assert per_day[1] < 0.9 * per_day[0]
    [box_post] = [b for b in boxes.borders if b.from_country == "CN"]
    [wheat_post] = [b for b in wheat.borders if b.from_country == "CN"]
    assert 6 <= box_post.dwell_h <= 12
    assert box_post.dwell_h == pytest.approx(0.3 * wheat_post.dwell_h)


def test_1996_rail_blocked_everywhere_but_far_away(embedded: Network) -> None:
    # avoiding Türkiye, Armenia was cut off from Russia by rail in 1996 (Russia's border
    # with Azerbaijan open again, Azerbaijan's ban and the Abkhazia line closed)
    with pytest.raises(NoRouteError) as info:
        shortest_route(
            embedded, "Moscow", "Yerevan", date="1996-06-01", modes=["rail"], avoid_countries=["TR"]
        )
    kinds = {b["kind"] for b in info.value.blocked_by}
    ids = {b["id"] for b in info.value.blocked_by}
    assert "rule" in kinds
    assert "az-transit-ban-armenia" in ids
    assert any(i.startswith("rail-") for i in ids)  # the Abkhazia line closures


def test_kars_gyumri_freight_ran_until_july_1993(embedded: Network) -> None:
    # Türkiye closed the border on 1993-04-03 (road), the last freight trains ran in July
    spring = shortest_route(embedded, "Gyumri", "Kars", modes=["rail"], date="1993-05-01")
    assert "rail-akhuryan-dogukapi" in spring.links
    with pytest.raises(NoRouteError):
        shortest_route(embedded, "Gyumri", "Kars", modes=["rail"], date="1993-08-01")
    road = shortest_route(embedded, "Gyumri", "Kars", modes=["road"], date="1993-05-01")
    # by road the border was closed: round through a third country
    assert all({b.from_country, b.to_country} != {"AM", "TR"} for b in road.borders)
    assert len(road.borders) >= 2


def test_kazakh_wheat_reaches_armenia_after_the_ban(embedded: Network) -> None:
    r = shortest_route(embedded, "Astana", "Yerevan", date="2025-11-10", commodity="grain")
    assert "AZ" in r.countries
    assert r.countries[-1] == "AM"


def test_baku_nakhchivan_avoiding_iran(embedded: Network) -> None:
    today = shortest_route(
        embedded, "Baku", "Nakhchivan", date="2026-03-31", avoid_countries=["IR"]
    )
    assert "TR" in today.countries  # via Georgia and Türkiye
    tripp = shortest_route(embedded, "Baku", "Nakhchivan", scenario="tripp", avoid_countries=["IR"])
    assert tripp.countries == ("AZ", "AM", "AZ")
    assert tripp.modes == ("rail",)
    assert tripp.time_h < today.time_h / 2
    assert tripp.distance_km < today.distance_km


def test_central_asia_to_europe_without_russia_or_iran(embedded: Network) -> None:
    r = shortest_route(
        embedded,
        "Almaty",
        "Duisburg",
        date="2026-03-31",
        avoid_countries=["RU", "IR"],
        avoid_modes=["sea"],
    )
    assert not {"RU", "IR"} & set(r.countries)
    assert {"AZ", "GE"} <= set(r.countries)
    assert "ferry" in r.modes


def test_margara_opens_armenia_to_turkey(embedded: Network) -> None:
    neighbours = ["GE", "IR", "AZ"]  # today Armenia reaches Türkiye only through these
    with pytest.raises(NoRouteError) as info:
        shortest_route(embedded, "Yerevan", "Kars", date="2026-03-31", avoid_countries=neighbours)
    assert "tr-am-border-closed" in {b["id"] for b in info.value.blocked_by}
    r = shortest_route(embedded, "Yerevan", "Kars", scenario="margara", avoid_countries=neighbours)
    assert r.countries == ("AM", "TR")
    via_iran = shortest_route(
        embedded, "Yerevan", "Kars", date="2026-03-31", avoid_countries=["GE"]
    )
    assert via_iran.countries[:2] == ("AM", "IR")


def test_tanker_route_is_reserved_for_oil(embedded: Network) -> None:
    # sea-aktau-alat carries crude only (links.csv `commodities`); wheat takes a ferry
    oil = shortest_route(embedded, "Aktau", "Alat", commodity="oil", date="2025-06-01")
    grain = shortest_route(embedded, "Aktau", "Alat", commodity="grain", date="2025-06-01")
    assert "sea-aktau-alat" in oil.links
    assert "sea-aktau-alat" not in grain.links
    assert any(lid.startswith("ferry-") for lid in grain.links)


def test_air_is_the_fastest_and_dearest_way_from_china_to_europe(embedded: Network) -> None:
    ask = {"commodity": "containers", "date": "2024-06-01"}
    fast = shortest_route(embedded, "Shanghai", "Rotterdam", objective="time", **ask)
    usual = shortest_route(embedded, "Shanghai", "Rotterdam", **ask)
    assert fast.modes == ("air",)
    # airport to airport: a day's handling, the flight, a day's customs, half a day's wait
    assert 2 <= fast.time_h / 24 <= 4
    # the rate is per tonne-km on the geodesic (modes.csv), plus the entry fee
    rate = embedded.modes["air"].cost_usd_per_tkm
    fee = sum(b.fee_usd_per_t for b in fast.borders)
    assert fast.cost_usd_per_t == pytest.approx(rate * fast.distance_km + fee, rel=1e-6)
    # an average container's hours are not worth ten times and more the sea's price (in
    # the Red Sea crisis of 2024 the usual way may be the sea or the train)
    sea = shortest_route(embedded, "Shanghai", "Rotterdam", modes=["sea"], **ask)
    assert "air" not in usual.modes
    assert fast.cost_usd_per_t > 10 * sea.cost_usd_per_t
    assert usual.generalized_cost_usd_per_t <= sea.generalized_cost_usd_per_t
    # bulk never flies: the air links carry containers and general cargo only
    wheat = shortest_route(
        embedded, "Shanghai", "Rotterdam", commodity="grain", date="2024-06-01", objective="time"
    )
    assert "air" not in wheat.modes


def test_a_sea_lane_costs_its_market_price_whichever_way_the_ships_sail(
    embedded: Network,
) -> None:
    # the container market prices a lane, not a voyage (the SCFI and WCI of 2024-25 were
    # quoted for Cape-routed services): Shanghai-Rotterdam by sea costs, over each year's
    # market factor, the same round the Cape after the Red Sea crisis as through Suez
    # before it, and takes a week and more longer
    def by_sea(day: str) -> Route:
        return shortest_route(
            embedded, "Shanghai", "Rotterdam", date=day, commodity="containers", modes=["sea"]
        )

    before, after = by_sea("2023-07-01"), by_sea("2024-07-01")
    assert before.links == ("sea-shanghai-rotterdam",)
    assert after.links == ("sea-shanghai-rotterdam-cape",)

    def market(day: str) -> float:
        return embedded.as_of(day).rates["containers-sea"].rate_factor

    def freight(r: Route) -> float:
        return sum(leg.cost_usd_per_t for leg in r.legs if leg.mode == "sea")

    assert market("2024-07-01") != market("2023-07-01")
    assert freight(after) / market("2024-07-01") == pytest.approx(
        freight(before) / market("2023-07-01"), rel=0.01
    )
    assert after.time_h > before.time_h + 7 * 24
    # bulk is chartered by the voyage: round the Cape its freight grows with the distance
    ore = [
        shortest_route(
            embedded, "Shanghai", "Rotterdam", date=day, commodity="metals", modes=["sea"]
        )
        for day in ("2023-07-01", "2024-07-01")
    ]
    assert ore[1].links == ("sea-shanghai-rotterdam-cape-bulk",)
    suez, cape = (embedded.links[r.links[0]].length_km for r in ore)
    assert freight(ore[1]) / freight(ore[0]) == pytest.approx(cape / suez, rel=0.01)


def test_the_mediterranean_and_gulf_lanes_cost_their_market_price(
    embedded: Network, container_market: ModuleType
) -> None:
    # the SCFI prices Shanghai to the Mediterranean within a fifth of North Europe every
    # year published (mean ratio 1.04), and to the Gulf at about four fifths, though the
    # voyages are 26 % and 47 % shorter: container freight to Piraeus, Constanța,
    # Mersin and Bandar Abbas is the lane's ratio times Shanghai-Rotterdam's, through
    # Suez (2023) and round the Cape (2024); bulk is chartered by the voyage, per km
    def freight(to: str, day: str, commodity: str = "containers") -> tuple[float, float]:
        r = shortest_route(embedded, "Shanghai", to, date=day, commodity=commodity, modes=["sea"])
        sea = [leg for leg in r.legs if leg.mode == "sea"]
        assert len(sea) == 1, r.links
        return sea[0].cost_usd_per_t, embedded.links[r.links[0]].length_km

    for day in ("2023-07-01", "2024-07-01"):
        europe, _ = freight("Rotterdam", day)
        for port, lane in (("Piraeus", "med"), ("Constanta", "med"), ("Mersin", "med")):
            cost, _ = freight(port, day)
            assert cost / europe == pytest.approx(container_market.lane_ratio(lane), rel=0.01)
    gulf, _ = freight("Bandar Abbas", "2023-07-01")
    europe, _ = freight("Rotterdam", "2023-07-01")
    assert gulf / europe == pytest.approx(container_market.lane_ratio("gulf"), rel=0.01)
    assert 0.9 < container_market.lane_ratio("med") < 1.2
    assert 0.7 < container_market.lane_ratio("gulf") < 0.9
    ore, ore_km = freight("Piraeus", "2023-07-01", "metals")
    ore_europe, europe_km = freight("Rotterdam", "2023-07-01", "metals")
    assert ore / ore_europe == pytest.approx(ore_km / europe_km, rel=0.01)
    assert ore_km < 0.8 * europe_km


def test_national_railways_charge_their_own_traffic_and_transit_apart(embedded: Network) -> None:
    # rates.csv: Russian Railways' freight income per loaded t-km (0.0086-0.0089 USD in
    # 2015 and 2018) plus a wagon's hire, about 0.012 USD/t-km for Russia's own grain;
    # the mode's 0.04 for containers, whose through rate is a market price
    day = "2025-12-15"
    grain = shortest_route(
        embedded, "Moscow", "Rostov", date=day, commodity="grain", modes=["rail"]
    )
    assert set(grain.countries) == {"RU"}
    assert not grain.borders
    assert not grain.transfers
    assert 0.009 < grain.cost_usd_per_t / grain.distance_km < 0.013
    boxes = shortest_route(
        embedded, "Moscow", "Rostov", date=day, commodity="containers", modes=["rail"]
    )
    assert boxes.cost_usd_per_t / boxes.distance_km == pytest.approx(0.04, rel=0.01)
    # Kazakh grain through Russia pays no Russian own-traffic tariff; Russian grain does
    kz = shortest_route(embedded, "Astana", "Yerevan", date=day, commodity="grain", via="Moscow")
    ru = shortest_route(embedded, "Moscow", "Yerevan", date=day, commodity="grain")
    assert "grain-rail-ru-own" not in {c.rate for c in kz.charges}
    assert "grain-rail-ru-own" in {c.rate for c in ru.charges}


def test_alternatives_differ(embedded: Network) -> None:
    routes = alternative_routes(embedded, "Astana", "Yerevan", k=5, date="2025-11-10")
    assert 2 <= len(routes) <= 5
    assert routes[0].generalized_cost_usd_per_t == min(r.generalized_cost_usd_per_t for r in routes)
    for i, a in enumerate(routes):
        for b in routes[i + 1 :]:
            same_countries = a.countries == b.countries
            shared = set(a.links) & set(b.links)
            share = sum(embedded.links[x].length_km for x in shared) / a.distance_km
            assert not same_countries or share < 0.6


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Nakhichevan", "nakhchivan"),
        ("Naxçıvan", "nakhchivan"),
        ("leninakan", "gyumri"),
        ("Türkmenbaşy", "turkmenbashi"),
        ("XIAN", "xian"),
        ("Xi'an", "xian"),
        ("Beyuk-Kyasik", "boyuk_kasik"),
    ],
)
def test_place_names(embedded: Network, query: str, expected: str) -> None:
    assert resolve_place(embedded, query).id == expected


def test_unknown_place_suggests(embedded: Network) -> None:
    with pytest.raises(UnknownPlaceError) as info:
        resolve_place(embedded, "Nakhichevan City")
    assert "Nakhchivan" in info.value.suggestions


def test_bad_arguments(embedded: Network) -> None:
    with pytest.raises(BadArgumentError, match="unknown mode 'train'"):
        shortest_route(embedded, "Baku", "Tbilisi", modes=["train"])
    with pytest.raises(BadArgumentError, match="unknown country 'XX'"):
        shortest_route(embedded, "Baku", "Tbilisi", avoid_countries=["XX"])
    with pytest.raises(BadArgumentError, match="same place"):
        shortest_route(embedded, "Baku", "baku")
    with pytest.raises(BadArgumentError, match="unknown commodity"):
        shortest_route(embedded, "Baku", "Tbilisi", commodity="gold")


def test_skim_matches_single_routes(embedded: Network) -> None:
    names = ["Baku", "Tbilisi", "Yerevan", "Aktau", "Kars"]
    s = skim(embedded, places=names, date="2025-10-01")
    assert not np.isfinite(s.time_h[0, 2])  # Baku -> Yerevan under the ban
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i == j or not np.isfinite(s.time_h[i, j]):
                continue
            r = shortest_route(embedded, a, b, date="2025-10-01")
            assert s.time_h[i, j] == pytest.approx(r.time_h)
            assert s.cost_usd_per_t[i, j] == pytest.approx(r.cost_usd_per_t)
            assert s.distance_km[i, j] == pytest.approx(r.distance_km)


# ----------------------------------------------------------------------------- CLI


def test_cli_route_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["route", "Moscow", "Yerevan", "--date", "2025-11-10", "--modes", "rail", "--json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    r = doc["routes"][0]
    for key in (
        "places",
        "countries",
        "borders",
        "gauge_changes",
        "modes",
        "distance_km",
        "time_h",
        "cost_usd_per_t",
        "co2_kg_per_t",
    ):
        assert key in r
    assert r["countries"] == ["RU", "AZ", "GE", "AM"]
    assert [b["from"] + b["to"] for b in r["borders"]] == ["RUAZ", "AZGE", "GEAM"]
    assert all(isinstance(b["dwell_h"], float) and b["place"] for b in r["borders"])


def test_cli_no_route_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "route",
            "Moscow",
            "Yerevan",
            "--date",
            "2025-10-01",
            "--modes",
            "rail",
            "--via",
            "Baku",
            "--json",
        ]
    )
    assert code == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["type"] == "no_route"
    assert doc["error"]["blocked_by"][0]["kind"] in ("rule", "closure", "avoid")


def test_cli_unknown_place(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "Nakhichevan City", "Baku", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["type"] == "unknown_place"
    assert "Nakhchivan" in doc["error"]["suggestions"]


def test_cli_alternatives_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "Baku", "Tbilisi", "--alternatives", "21", "--json"]) == 2
    assert "between 1 and 20" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_cli_compare(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "compare",
                "Moscow",
                "Yerevan",
                "--dates",
                "2025-10-01,2025-11-10",
                "--modes",
                "rail",
                "--avoid",
                "TR",
                "--json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["exists"] for r in rows] == [False, True]
    assert rows[1]["route"]["countries"] == ["RU", "AZ", "GE", "AM"]


def test_cli_chart_and_skim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    svg = tmp_path / "chart.svg"
    assert main(["route", "Baku", "Kars", "-k", "2", "--chart", str(svg)]) == 0
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    out = tmp_path / "skim.parquet"
    assert main(["skim", "--out", str(out), "--date", "2025-11-10"]) == 0
    capsys.readouterr()
    df = pd.read_parquet(out)
    assert {"origin", "destination", "time_h", "cost_usd_per_t", "distance_km"} <= set(df.columns)
    assert len(df) > 30_000
    assert main(["skim", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_route_json_fields_are_documented(embedded: Network) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "json.md").read_text(encoding="utf-8")
    section = doc.split("## `overland route FROM TO --json`")[1].split("\n## ")[0]
    documented = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    r = shortest_route(embedded, "Baku", "Kars", date="2025-11-10").as_dict()
    assert documented == set(r)


def test_a_via_route_passes_each_place_once_when_it_can(embedded: Network) -> None:
    # the cheapest way on from Kars to Duisburg avoiding Russia and Belarus goes back
    # through Akhalkalaki to Poti's ferry; a route "via Kars" continues through Türkiye
    kw: dict[str, Any] = {
        "date": "2024-06-01",
        "commodity": "containers",
        "avoid_countries": ["RU", "BY"],
    }
    r = shortest_route(embedded, "Xi'an", "Duisburg", via="Kars", **kw)
    assert "kars" in r.places
    assert len(set(r.places)) == len(r.places)
    assert r.countries[r.countries.index("TR") + 1] != "GE"
    # never cheaper than the route free to skip Kars, and its two legs are each no
    # better than the best route between their ends
    free = shortest_route(embedded, "Xi'an", "Duisburg", **kw)
    assert r.generalized_cost_usd_per_t >= free.generalized_cost_usd_per_t
    i = r.places.index("kars")
    to_kars = shortest_route(embedded, "Xi'an", "Kars", **kw)
    assert r.places[: i + 1] == to_kars.places
    for alt in alternative_routes(embedded, "Xi'an", "Duisburg", via="Kars", k=3, **kw):
        assert "kars" in alt.places
        assert len(set(alt.places)) == len(alt.places)


def test_a_via_place_on_a_dead_end_is_reached_out_and_back(toy: Network) -> None:
    # Kars hangs off Gyumri (open before 1993): Tbilisi -> Kars -> Yerevan must pass
    # Gyumri twice, and does
    r = shortest_route(toy, "Tbilisi", "Yerevan", via="Kars", date="1990-06-01")
    assert r.places == ("tbilisi", "sadakhlo", "ayrum", "gyumri", "kars", "gyumri", "yerevan")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--date", "", "bad date '': expected YYYY-MM-DD"),
        ("--modes", "", "no mode given in ''"),
        ("--modes", " , ", "no mode given in ' , '"),
    ],
)
def test_cli_blank_options_are_refused_not_ignored(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # a blank value given on purpose is an error, not the default (all modes, today)
    assert main(["route", "Baku", "Tbilisi", option, value]) == 2
    assert message in capsys.readouterr().err


def test_cli_route_table_shows_what_it_ranks_by(
    embedded: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    # the table ranks by generalized cost: it shows it, and the value of time behind it
    assert main(["route", "Baku", "Tbilisi", "-c", "grain", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["routes"][0]
    vot = embedded.commodities["grain"].value_of_time_usd_per_t_h
    assert r["generalized_cost_usd_per_t"] == pytest.approx(
        r["cost_usd_per_t"] + vot * r["time_h"], abs=0.01
    )
    assert main(["route", "Baku", "Tbilisi", "-c", "grain"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # whatever the console's width
    assert "gen. USD/t" in out
    assert f"{r['generalized_cost_usd_per_t']:.0f}" in out
    assert f"{vot:.3g} USD per t·h" in out


def test_cli_route_prices_boxes_per_teu(
    embedded: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["route", "Shanghai", "Rotterdam", "-c", "containers", "--date", "2024-06-01"]
    assert main([*args, "--json"]) == 0
    usd_t = json.loads(capsys.readouterr().out)["routes"][0]["cost_usd_per_t"]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    t_per_teu = embedded.commodities["containers"].t_per_unit
    assert f"USD per TEU ({t_per_teu:g} t): #1 {usd_t * t_per_teu:,.0f}" in out


def test_cli_route_says_when_the_date_is_past_the_data(
    embedded: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    # the network stays as it was on data_as_of: a far date is answered, with a note
    assert main(["route", "Baku", "Tbilisi", "--date", "2199-01-01"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"after the data's as-of date {embedded.manifest.data_as_of}" in err
    assert main(["route", "Baku", "Tbilisi", "--date", "2024-06-01"]) == 0
    assert "note:" not in capsys.readouterr().err


def test_a_route_names_the_closure_or_rule_that_turned_it(embedded: Network) -> None:
    # Poland closed its Belarusian border on 2025-09-12: the box train detours through the
    # Caucasus and Türkiye, and the path it lost is the one it took the day before
    kw: dict[str, Any] = {"commodity": "containers", "modes": ["rail"]}
    detour = shortest_route(embedded, "xian", "duisburg", date="2025-09-15", **kw)
    shaping = route_shaping(embedded, detour, modes=["rail"])
    assert shaping is not None
    assert [(c["kind"], c["id"]) for c in shaping.constraints] == [("rule", "pl-by-border-closed")]
    assert "since 2025-09-12" in shaping.constraints[0]["why"]
    before = shortest_route(embedded, "xian", "duisburg", date="2025-09-11", **kw)
    assert shaping.unconstrained.links == before.links
    assert shaping.unconstrained.generalized_cost_usd_per_t < detour.generalized_cost_usd_per_t
    assert route_shaping(embedded, before, modes=["rail"]) is None


def test_a_route_names_a_closed_link_but_not_an_unbuilt_one(embedded: Network) -> None:
    # the Red Sea: the Suez lane closed on 2023-12-15, the boxes go round the Cape
    cape = shortest_route(
        embedded, "shanghai", "rotterdam", date="2024-03-15", commodity="containers", modes=["sea"]
    )
    shaping = route_shaping(embedded, cape, modes=["sea"])
    assert shaping is not None
    assert [(c["kind"], c["id"]) for c in shaping.constraints] == [
        ("link", "sea-shanghai-rotterdam")
    ]
    assert "red-sea-diversions" in shaping.constraints[0]["why"]
    assert shaping.unconstrained.distance_km == embedded.links["sea-shanghai-rotterdam"].length_km
    assert shaping.unconstrained.days < cape.days
    # lines not yet built (TRIPP's) are never lifted: every link named is closed, not planned
    named = 0
    for origin, destination, date in (
        ("baku", "nakhchivan", "2025-12-15"),
        ("baku", "yerevan", "2026-03-01"),
        ("kars", "istanbul", "2016-06-01"),
    ):
        r = shortest_route(embedded, origin, destination, date=date)
        found = route_shaping(embedded, r)
        state = embedded.as_of(date)
        for c in found.constraints if found else ():
            if c["kind"] == "link":
                assert state.links[c["id"]].status == "closed", (origin, destination, c)
                named += 1
    assert named >= 2  # Gazakh–Ijevan and Ijevan–Yerevan at least


def test_cli_route_json_says_what_shaped_it(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["route", "Shanghai", "Rotterdam", "--date", "2024-03-15", "--modes", "sea"]
    assert main([*argv, "-c", "containers", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in doc["shaped_by"]] == ["sea-shanghai-rotterdam"]
    assert doc["unconstrained"]["days"] < doc["routes"][0]["days"]
    assert main([*argv, "-c", "containers"]) == 0
    out = capsys.readouterr().out
    assert "Shaped by what is closed or in force on 2024-03-15" in out
    assert main(["route", "Baku", "Tbilisi", "--date", "2025-11-10", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["shaped_by"] == []
    assert doc["unconstrained"] is None
