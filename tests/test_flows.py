"""Corridor flows: demand, equilibrium volumes against capacity, shares, growth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overland import Network
from overland.analyses.flows import FlowsResult, corridor_flows
from overland.cli import main
from overland.errors import BadArgumentError
from overland.graph import graph_of


def test_toy_flows_conserve_and_find_the_bottleneck(toy: Network) -> None:
    # without a wait limit all 1,700 t move; 1,500 t cross into Azerbaijan through a
    # post of 800 t/yr, and what crosses above its capacity is reported, not carried
    # silently
    res = corridor_flows(toy, date="2025-11-10", wait_limit_h=None)
    links = res.links.set_index("link")
    assert res.unserved == 0
    assert res.shed == 0
    assert links.loc["gardabani-boyuk_kasik", "tonnes"] == pytest.approx(1500)
    assert links.loc["gardabani-boyuk_kasik", "capacity"] == pytest.approx(800)
    assert res.bottlenecks().iloc[0]["link"] == "gardabani-boyuk_kasik"
    doc = res.as_dict()
    assert doc["over_capacity_tonnes"] == 1500 - 800
    assert doc["bottlenecks"][0]["excess_tonnes"] == 1500 - 800
    assert res.shares == pytest.approx({"middle": 1700})  # the toy's corridors.yaml
    assert res.transit == pytest.approx({"GE": 1000})  # Yerevan -> Baku crosses Georgia
    assert res.converged
    # the package's link group: the border the 1,500 t cross
    assert res.group_tonnes("into_azerbaijan") == pytest.approx(1500)
    [group] = res.as_dict()["link_groups"]
    assert group["name"] == "Georgia–Azerbaijan rail border"
    # with the default limit (a week), the post passes what it can at about that wait
    # and sheds the rest: every tonne either crosses or is shed there, none elsewhere
    limited = corridor_flows(toy, date="2025-11-10")
    post = limited.links.set_index("link").loc["gardabani-boyuk_kasik"]
    assert 800 < post["tonnes"] < 1500
    assert post["tonnes"] + post["shed_tonnes"] == pytest.approx(1500, rel=1e-4)
    assert limited.shed == pytest.approx(post["shed_tonnes"], rel=1e-6)
    assert limited.as_dict()["over_capacity_tonnes"] == round(post["tonnes"]) - 800
    assert limited.converged


def test_without_corridor_definitions_every_route_is_one_corridor(tmp_path: Path) -> None:
    import shutil

    from overland import load_network

    shutil.copytree(Path(__file__).parent / "fixtures" / "toy", tmp_path / "toy")
    (tmp_path / "toy" / "corridors.yaml").unlink()
    (tmp_path / "toy" / "observations.csv").unlink()  # they name the toy's corridors
    res = corridor_flows(load_network(tmp_path / "toy"), date="2025-11-10")
    assert res.shares == pytest.approx({"all": 1700 - res.shed})
    assert res.link_groups == {}


def test_a_transit_tariff_prices_only_the_flows_that_cross(
    tmp_path: Path, toy_path: Path, toy: Network
) -> None:
    # Georgia's railway charges grain in transit 3 times the mode's rate: Yerevan -> Baku
    # crosses Georgia and pays it, as its own route would; Tbilisi -> Baku starts there
    # and Gyumri -> Tbilisi ends there, so neither does. The transit row is a class apart.
    import shutil

    from overland.network import load_network
    from overland.routing import shortest_route

    pkg = tmp_path / "toy"
    shutil.copytree(toy_path, pkg)
    (pkg / "rates.csv").write_text(
        "id,commodity,mode,country,traffic,rate_factor,source,estimate,note\n"
        "grain-rail-ge-transit,grain,rail,GE,transit,3,toy,false,\n"
    )
    net = load_network(pkg)
    res = corridor_flows(net, date="2025-11-10", wait_limit_h=None)
    assert set(res.assignment.result.class_flow) == {"grain", "grain$grain-rail-ge-transit"}
    od = res.od.set_index("demand")
    for row, (o, d) in {
        "yerevan-baku": ("Yerevan", "Baku"),
        "tbilisi-baku": ("Tbilisi", "Baku"),
        "gyumri-tbilisi": ("Gyumri", "Tbilisi"),
    }.items():
        alone = shortest_route(net, o, d, date="2025-11-10", commodity="grain")
        assert od.loc[row, "equilibrium_cost_usd_per_t"] == pytest.approx(alone.cost_usd_per_t)
    plain = shortest_route(toy, "Yerevan", "Baku", date="2025-11-10", commodity="grain")
    ge_km = 13 / 2 + 66 + 40 + 10 / 2
    assert od.loc["yerevan-baku", "equilibrium_cost_usd_per_t"] == pytest.approx(
        plain.cost_usd_per_t + 0.04 * 2 * ge_km
    )


def test_toy_flows_under_the_ban(toy: Network) -> None:
    res = corridor_flows(toy, date="2025-10-01")
    assert res.unserved == pytest.approx(1000)  # Armenian grain may not transit Azerbaijan


def test_growth_scales_volumes(toy: Network) -> None:
    # without a wait limit, volumes scale with demand
    base = corridor_flows(toy, date="2025-11-10", wait_limit_h=None)
    tripled = corridor_flows(toy, date="2025-11-10", growth=3.0, wait_limit_h=None)
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


def test_od_costs_and_out_folder(toy_path: object, tmp_path: Path) -> None:
    out = tmp_path / "flows"
    args = ["flows", "-p", str(toy_path), "--date", "2025-11-10", "--out", str(out)]
    assert main(args) == 0
    od = pd.read_csv(out / "od.csv")
    assert len(od) == 3
    # equilibrium cost is never below the free-flow best route, and the demand that
    # queues at the 800 t/yr post pays more than its free-flow cost
    eq, ff = od["equilibrium_generalized_usd_per_t"], od["free_flow_generalized_usd_per_t"]
    assert (eq >= ff * (1 - 1e-9)).all()
    assert (eq > ff * 1.01).any()
    assert set(pd.read_csv(out / "links.csv")["link"]) >= {"gardabani-boyuk_kasik"}


# --- the embedded network: calibration, conservation, growth -------------------------

#: TITR "seaport tonnage" 2024 (REGION_FACTS §4.2): Kazakh and Azerbaijani seaports.
TITR_SEAPORT_2024_T = 3.3e6


@pytest.fixture(scope="module")
def flows_2024(embedded: Network) -> FlowsResult:
    return corridor_flows(embedded, date="2024-07-01")


def test_unfinished_column_generation_is_not_convergence(
    embedded: Network, flows_2024: FlowsResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the 2024 flows need several rounds of column generation (detours round saturated
    # ferries); stopped after the first, they must not claim convergence
    from overland.analyses import flows

    assert flows_2024.converged
    assert len(flows_2024.assignment.result.history) > 1
    monkeypatch.setattr(flows, "COLUMN_ROUNDS", 0)
    cut = corridor_flows(embedded, date="2024-07-01")
    assert len(cut.assignment.result.history) == 1
    assert cut.relative_gap < 1e-5  # the logit itself converged on the sets it had
    assert not cut.converged


def test_embedded_caspian_calibrated_to_2024(flows_2024: FlowsResult) -> None:
    # documented in docs/data.md ("Demand and capacity calibration")
    assert flows_2024.group_tonnes("caspian") == pytest.approx(TITR_SEAPORT_2024_T, rel=0.30)
    assert set(flows_2024.link_groups["caspian"]) <= set(flows_2024.link_groups["caspian_all"])


def test_embedded_flows_conserve_with_tight_gap(embedded: Network, flows_2024: FlowsResult) -> None:
    res = flows_2024.assignment.result
    assert res.converged
    assert res.relative_gap <= 1e-6
    assert flows_2024.unserved == 0
    lt = res.links
    net = np.zeros(lt.nodes)  # outflow - inflow
    np.add.at(net, lt.init, res.link_flow)
    np.subtract.at(net, lt.term, res.link_flow)
    index = {p: i for i, p in enumerate(graph_of(embedded).place_ids)}
    want = np.zeros(lt.nodes)
    # what a row sheds (its routes queue past the wait limit) does not leave its origin
    shed = flows_2024.od.set_index("demand")["shed_tonnes"]
    for d in embedded.demand_for(2024):
        moved = d.tonnes_per_year - shed[d.id]
        want[index[d.origin]] += moved
        want[index[d.destination]] -= moved
    assert np.abs(net - want).max() <= 1e-6 * flows_2024.total_tonnes


def test_embedded_growth_names_binding_constraints(embedded: Network) -> None:
    tripled = corridor_flows(embedded, date="2024-07-01", growth=3.0)
    top = tripled.bottlenecks(30)
    binding = set(top[top["volume_capacity"] > 1.0]["link"])
    posts = {c.link for c in embedded.crossings.values()}
    # whatever the data implies, trebled demand must overload a Caspian ferry and a
    # border post somewhere, and nothing may go unserved
    assert binding & set(tripled.link_groups["caspian_all"])
    assert binding & posts
    assert tripled.unserved == 0
    base = corridor_flows(embedded, date="2024-07-01")
    assert tripled.delay_tonne_hours > 3 * base.delay_tonne_hours >= 0
    # the split is the logit equilibrium with capacities: saturated land crossings push
    # trade to the deep sea
    sea = [fr.shares.get("sea", 0.0) / fr.total_tonnes for fr in (base, tripled)]
    assert sea[1] > sea[0] > 0


def test_embedded_tanker_routes_carry_only_oil(flows_2024: FlowsResult) -> None:
    na = flows_2024.assignment
    tanker = np.array([lid is not None and lid.startswith("sea-aktau-") for lid in na.link_ids])
    assert tanker.any()
    carried = {name: float(flow[tanker].sum()) for name, flow in na.result.class_flow.items()}
    assert sum(t for name, t in carried.items() if name.startswith("oil")) > 0
    assert all(t == 0 for name, t in carried.items() if not name.startswith("oil")), carried


def test_embedded_base_year_waits_match_observed(
    embedded: Network, flows_2024: FlowsResult
) -> None:
    # REGION_FACTS §2/§8: Caspian ferry waits of 2-7 days in all, within the tolerance the
    # fit gives a range of averages (25 %, docs/fit.md); the scheduled wait is in the
    # free-flow time, the queue adds the rest. No 2024 ferry or post queues for weeks.
    from overland.assignment.corridor import WAIT_LIMIT_H

    na = flows_2024.assignment
    res = na.result
    added = res.link_time - res.links.fft
    for i, lid in enumerate(na.link_ids):
        if lid in flows_2024.link_groups["caspian"]:
            scheduled = embedded.links[lid].wait_h or 0.0
            assert added[i] >= 0.0, lid
            assert scheduled + added[i] <= WAIT_LIMIT_H, (lid, added[i])
    queued = [lid for i, lid in enumerate(na.link_ids) if lid and added[i] > 14 * 24]
    assert not queued


def test_embedded_identical_on_rerun(embedded: Network, flows_2024: FlowsResult) -> None:
    again = corridor_flows(embedded, date="2024-07-01")
    assert again.as_dict() == flows_2024.as_dict()


def test_nested_shares_do_not_reward_copies_of_one_corridor() -> None:
    from overland.analyses.logit import logit_shares, nested_shares

    # three near-copies of a land route and one sea route: the sea route's share is the
    # two-route logit of the corridors' best costs, however many copies there are
    two = logit_shares([100.0, 110.0])
    for copies in (1, 3, 6):
        costs = [100.0 + i for i in range(copies)] + [110.0]
        groups = ["land"] * copies + ["sea"]
        shares = nested_shares(costs, groups)
        assert sum(shares) == pytest.approx(1.0)
        assert shares[-1] == pytest.approx(two[1])
        # within the land corridor, cheaper copies get more
        assert shares[:copies] == sorted(shares[:copies], reverse=True)
    # one group: the plain logit
    assert nested_shares([5.0, 6.0, 9.0], ["a"] * 3) == pytest.approx(logit_shares([5.0, 6.0, 9.0]))


def test_choice_set_holds_the_best_route_of_each_corridor(embedded: Network) -> None:
    from overland.analyses.flows import corridor_of
    from overland.analyses.logit import choice_set
    from overland.routing import pair_query

    state = embedded.as_of("2024-07-01")
    routes = choice_set(
        pair_query(state, "shanghai", "rotterdam", "containers"), embedded.corridors
    )
    names = {corridor_of(r, embedded.corridors) for r in routes}
    # the sea route is in the set although several rail routes beat it on cost
    assert "sea" in names
    assert "northern" in names
    sea = [r for r in routes if corridor_of(r, embedded.corridors) == "sea"]
    assert all(set(r.modes) <= {"sea", "rail", "road"} for r in sea)
    # no route twice
    assert len({r.links for r in routes}) == len(routes)


@pytest.mark.parametrize("day", ["2025-06-01", "2026-03-31"])
def test_choice_set_holds_the_best_route_of_each_value_class(embedded: Network, day: str) -> None:
    # every value-of-time class's own best route is among its choices, whatever an event
    # adds: when the ban on Armenian transit through Azerbaijan lifts (November 2025), the
    # new ways via Baku must not push the cheapest ship out of the slowest shippers' set
    from dataclasses import replace

    from overland.analyses.logit import choice_set, value_classes
    from overland.routing import pair_query, routes_for

    q = pair_query(embedded.as_of(day), "shanghai", "yerevan", "containers")
    sets = {r.links for r in choice_set(q, embedded.corridors)}
    c = embedded.commodities["containers"]
    classes = value_classes(c.value_of_time_usd_per_t_h, c.value_of_time_spread)
    assert len(classes) > 1
    cheapest = min(value for _, value in classes)
    for _, value in classes:
        own = routes_for(replace(q, value_of_time=value), k=1)[0]
        assert own.links in sets, value
        if value == cheapest:  # the slowest shippers' best goes by sea all the way to Georgia
            assert "sea" in own.modes
            assert "AZ" not in own.countries


def test_rail_lines_with_a_capacity_queue_like_akcelik(flows_2024: FlowsResult) -> None:
    from overland.assignment.corridor import QUEUE_PERIOD_H, QUEUE_SERVICE_H

    na = flows_2024.assignment
    r = na.result
    assert na.premium_usd is not None
    checked = 0
    # the Akçelik delay, computed here, on every capacity-bound rail line without a post:
    # a wait, no premium (trains queue for paths; terminals sell slots)
    for i, lid in enumerate(na.link_ids):
        if lid is None or not lid.startswith("rail-") or na.capacity[i] >= 1e15:
            continue
        if r.links.power[i] != QUEUE_PERIOD_H or r.links.b[i] != QUEUE_SERVICE_H["rail"]:
            continue
        x = r.link_flow[i] / na.capacity[i]
        t = QUEUE_PERIOD_H
        s = QUEUE_SERVICE_H["rail"]
        wait = t / 4 * ((x - 1) + np.sqrt((x - 1) ** 2 + 8 * s * x / t))
        assert r.link_time[i] - r.links.fft[i] == pytest.approx(wait, rel=1e-9, abs=1e-9)
        assert na.premium_usd[i] == 0
        checked += 1
    assert checked > 50  # the 2024 network has over a hundred capacity-bound rail lines


def test_no_route_outside_the_choice_sets_beats_them(
    embedded: Network, flows_2024: FlowsResult
) -> None:
    # column generation: at the equilibrium's link times, a fresh shortest path for each
    # row costs no less than the cheapest route already in its choice set
    from overland.routing import best_loaded, pair_query

    na = flows_2024.assignment
    g = graph_of(embedded)
    added_edge, extra_edge = np.zeros(g.n_edges), np.zeros(g.n_edges)
    added = na.result.link_time - na.result.links.fft
    assert na.premium_usd is not None
    premium_edge = np.zeros(g.n_edges)  # the slot prices of terminals
    link_of_edge: dict[int, str] = {}
    for i, e in enumerate(na.edges):
        if e >= 0:
            added_edge[e] = added[i]
            premium_edge[e] = na.premium_usd[i]
            lid = na.link_ids[i]
            mode = embedded.links[lid].mode if lid is not None else None
            wait = embedded.modes[mode].waiting_cost_usd_per_t_h if mode else 0.0
            # the idle equipment's hire (a ferry: wagons), or the slot's price
            extra_edge[e] = wait * added[i] + na.premium_usd[i]
            if lid is not None:
                link_of_edge[e] = lid

    def idle(edges: list[int]) -> float:
        # what a route's equipment costs in queues: on a ferry, the truck or wagons it
        # boards with (the nearest road or rail link before it, else after it)
        on = [e for e in edges if e in link_of_edge]
        modes = [embedded.links[link_of_edge[e]].mode for e in on]
        total = 0.0
        for k, (e, mode) in enumerate(zip(on, modes, strict=True)):
            if mode == "ferry":
                land = [m for m in modes[:k][::-1] + modes[k + 1 :] if m in ("road", "rail")]
                mode = land[0] if land else mode
            total += embedded.modes[mode].waiting_cost_usd_per_t_h * added_edge[e]
        return total + float(premium_edge[edges].sum())

    state = embedded.as_of(flows_2024.date)
    in_sets = dict(
        zip(
            flows_2024.od["demand"], flows_2024.od["equilibrium_generalized_usd_per_t"], strict=True
        )
    )
    checked = 0
    for d in embedded.demand_for(2024):
        q = pair_query(state, d.origin, d.destination, d.commodity)
        r = best_loaded(q, added_edge, extra_edge)
        assert r is not None
        vot = embedded.commodities[d.commodity].value_of_time_usd_per_t_h
        on = list(r.edges)
        fresh = r.generalized_cost_usd_per_t + vot * added_edge[on].sum() + idle(on)
        in_set = float(in_sets[d.id])
        assert fresh >= in_set * (1 - 1e-9) - 1e-9, d.id
        checked += 1
    assert checked > 50


def test_land_ends_count_cargo_that_ends_by_land(toy: Network, flows_2024: FlowsResult) -> None:
    # the toy is all rail: every served row ends and starts by land at its places
    f = corridor_flows(toy, date="2024-06-01")
    expected: dict[str, float] = {}
    for d in toy.demand_for(2024):
        served = sum(f.row_corridors.get(d.id, {}).values())
        for place in (d.origin, d.destination):
            expected[place] = expected.get(place, 0.0) + served
    assert f.land_ends == pytest.approx({k: v for k, v in expected.items() if v > 0})
    # Kazakh crude reaches Alat by tanker: a port's land ends leave out what it ships
    tanker = sum(
        sum(flows_2024.row_corridors.get(str(d.demand), {}).values())
        for d in flows_2024.od.itertuples()
        if d.origin == "aktau" and d.destination == "alat" and d.commodity == "oil"
    )
    at_alat = sum(
        row["tonnes"]
        for row in flows_2024.od.to_dict(orient="records")
        if "alat" in (row["origin"], row["destination"])
    )
    assert tanker > 0
    assert flows_2024.land_ends.get("alat", 0.0) <= at_alat - tanker + 1e-6


def _toy_with_gauge_terminal(tmp_path: Path, column: str, value: str) -> Path:
    """A copy of the toy whose Gyumri gauge change (its only transfer) has ``column``."""
    import shutil

    from conftest import TOY

    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    header, row = (pkg / "transfers.csv").read_text().splitlines()
    (pkg / "transfers.csv").write_text(f"{header},{column}\n{row},{value}\n")
    return pkg


def test_a_terminal_with_a_capacity_is_rationed_by_price(tmp_path: Path) -> None:
    # the toy's only way to Kars changes gauge at Gyumri; with a terminal capacity below
    # the demand there and no other route, the cargo pays a slot premium (no wait) of
    # PRICE_USD_PER_T_H per hour of Akçelik's queue at the rail service scale, computed
    # here, and the tonnes above capacity are reported
    from overland import load_network
    from overland.assignment.corridor import (
        PRICE_USD_PER_T_H,
        QUEUE_PERIOD_H,
        QUEUE_SERVICE_H,
    )

    pkg = _toy_with_gauge_terminal(tmp_path, "capacity_t_per_year", "800")
    with (pkg / "demand.csv").open("a") as f:
        f.write("yerevan-kars,yerevan,kars,grain,2024,1000,,toy,false,\n")
    # before Kars closed; the whole queue, with no wait limit
    res = corridor_flows(load_network(pkg), date="1992-06-01", wait_limit_h=None)
    row = res.terminals.set_index("link").loc["gyumri-gauge"]
    assert row["tonnes"] == pytest.approx(1000.0, rel=1e-6)
    x, t, s = 1000.0 / 800.0, QUEUE_PERIOD_H, QUEUE_SERVICE_H["terminal"]
    queue = t / 4 * ((x - 1) + np.sqrt((x - 1) ** 2 + 8 * s * x / t))
    assert row["premium_usd_per_t"] == pytest.approx(PRICE_USD_PER_T_H * queue, rel=1e-6)
    assert row["wait_added_h"] == pytest.approx(0.0, abs=1e-9)
    assert row["excess_tonnes"] == pytest.approx(200.0, rel=1e-6)
    kars = res.od.set_index("demand").loc["yerevan-kars"]
    free = kars["free_flow_generalized_usd_per_t"]
    assert kars["equilibrium_generalized_usd_per_t"] == pytest.approx(
        free + PRICE_USD_PER_T_H * queue, rel=1e-6
    )
    assert kars["equilibrium_time_h"] == pytest.approx(kars["free_flow_time_h"])


def test_a_terminal_for_one_commodity_rations_only_it(tmp_path: Path) -> None:
    # the embedded package's China-Europe gauge changes: containers through a terminal
    # with a capacity, every other commodity through the station's uncapped transfer. On
    # the toy, 1,000 t of boxes and 1,000 t of grain change gauge at Gyumri: the boxes'
    # 800 t/yr terminal is full and charges them its premium; the grain pays none
    import shutil

    from conftest import TOY
    from overland import load_network

    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    with (pkg / "commodities.csv").open("a") as f:
        f.write("boxes,Boxes,t,1,5000,1.0,toy,false,\n")
    (pkg / "transfers.csv").write_text(
        "id,place,from_layer,to_layer,time_h,cost_usd_per_t,both_ways,commodities,"
        "capacity_t_per_year,source,estimate,note\n"
        "gyumri-gauge,gyumri,rail_1520,rail_1435,12,5,true,grain,,toy,false,\n"
        "gyumri-gauge-boxes,gyumri,rail_1520,rail_1435,12,5,true,boxes,800,toy,false,\n"
    )
    with (pkg / "demand.csv").open("a") as f:
        f.write("yerevan-kars,yerevan,kars,grain,2024,1000,,toy,false,\n")
        f.write("yerevan-kars-boxes,yerevan,kars,boxes,2024,1000,,toy,false,\n")
    res = corridor_flows(load_network(pkg), date="1992-06-01", wait_limit_h=None)
    terminals = res.terminals.set_index("link")
    assert list(terminals.index) == ["gyumri-gauge-boxes"]
    boxes = terminals.loc["gyumri-gauge-boxes"]
    assert boxes["tonnes"] == pytest.approx(1000.0, rel=1e-6)
    assert boxes["excess_tonnes"] == pytest.approx(200.0, rel=1e-6)
    assert boxes["premium_usd_per_t"] > 0
    od = res.od.set_index("demand")
    grain, box = od.loc["yerevan-kars"], od.loc["yerevan-kars-boxes"]
    assert grain["equilibrium_generalized_usd_per_t"] == pytest.approx(
        grain["free_flow_generalized_usd_per_t"], rel=1e-9
    )
    assert box["equilibrium_generalized_usd_per_t"] == pytest.approx(
        box["free_flow_generalized_usd_per_t"] + boxes["premium_usd_per_t"], rel=1e-6
    )


def _toy_kars_line(
    tmp_path: Path, booked: str = "false", post: str = "", limit: float | None = None
) -> FlowsResult:
    """Flows on a copy of the toy with 1,000 t of grain from Yerevan to Kars, whose only
    way is the Gyumri–Kars line, given 800 t/yr of capacity (``booked`` or not, with a
    border post of ``post`` t/yr), with nothing shed (``limit`` None) or a wait limit."""
    import csv
    import shutil

    from conftest import TOY
    from overland import load_network

    pkg = tmp_path / f"toy-{booked}-{post}-{limit}"
    shutil.copytree(TOY, pkg)
    crossings = (pkg / "crossings.csv").read_text()
    (pkg / "crossings.csv").write_text(crossings.replace(",open,,toy", f",open,{post},toy"))
    with (pkg / "links.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["booked"] = booked if r["id"] == "gyumri-kars" else "false"
        if r["id"] == "gyumri-kars":
            r["capacity_t_per_year"] = "800"
    with (pkg / "links.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with (pkg / "demand.csv").open("a") as f:
        f.write("yerevan-kars,yerevan,kars,grain,2024,1000,,toy,false,\n")
    # before Kars closed
    return corridor_flows(load_network(pkg), date="1992-06-01", wait_limit_h=limit)


def test_a_booked_link_is_rationed_by_price(tmp_path: Path) -> None:
    # a line whose operator sells space by booking (a Ro-Ro, a container liner): full, it
    # charges the same premium a terminal would (PRICE_USD_PER_T_H per hour of Akçelik's
    # queue, computed here) instead of a wait; unbooked, the same line makes cargo wait
    from overland.assignment.corridor import (
        PRICE_USD_PER_T_H,
        QUEUE_PERIOD_H,
        QUEUE_SERVICE_H,
    )

    def kars_line(booked: str, post: str = "") -> dict[str, float]:
        res = _toy_kars_line(tmp_path, booked, post)
        return dict(res.links.set_index("link").loc["gyumri-kars"])

    x, t, s = 1000.0 / 800.0, QUEUE_PERIOD_H, QUEUE_SERVICE_H["rail"]
    queue = t / 4 * ((x - 1) + np.sqrt((x - 1) ** 2 + 8 * s * x / t))
    booked = kars_line("true")
    assert booked["premium_usd_per_t"] == pytest.approx(PRICE_USD_PER_T_H * queue, rel=1e-6)
    assert booked["wait_added_h"] == pytest.approx(0.0, abs=1e-9)
    assert booked["excess_tonnes"] == pytest.approx(200.0, rel=1e-6)
    queued = kars_line("false")
    assert queued["wait_added_h"] == pytest.approx(queue, rel=1e-6)
    assert queued["premium_usd_per_t"] == pytest.approx(0.0, abs=1e-9)
    # a border post on the booked line that binds first still queues in hours
    x, s = 1000.0 / 700.0, QUEUE_SERVICE_H["border"]
    post = kars_line("true", post="700")
    assert post["wait_added_h"] == pytest.approx(
        t / 4 * ((x - 1) + np.sqrt((x - 1) ** 2 + 8 * s * x / t)), rel=1e-6
    )
    assert post["premium_usd_per_t"] == pytest.approx(0.0, abs=1e-9)


def test_demand_that_would_queue_past_the_limit_is_shed(tmp_path: Path) -> None:
    # 1,000 t on the only line to Kars, of 800 t/yr, would queue ~270 h (Akçelik at the
    # rail scale); with a limit of 100 h the line carries the flow f at which what still
    # comes is f: a try passes all of it up to a queue of 100 - SHED_SCALE_H hours, none
    # at 100, and a turned-away shipper tries RETRIES more times, so of what one try
    # passes, k, 1 - (1 - k) ** (RETRIES + 1) comes; solved here by bisection; the rest
    # is shed: on the link, the row and the run
    from scipy.optimize import brentq

    from overland.analyses.logit import RETRIES, SHED_SCALE_H
    from overland.assignment.corridor import QUEUE_PERIOD_H, QUEUE_SERVICE_H

    t, s = QUEUE_PERIOD_H, QUEUE_SERVICE_H["rail"]

    def wait(flow: float) -> float:
        x = flow / 800.0
        return float(t / 4 * ((x - 1) + np.sqrt((x - 1) ** 2 + 8 * s * x / t)))

    def comes(flow: float) -> float:
        once = min(max((100.0 - wait(flow)) / SHED_SCALE_H, 0.0), 1.0)
        return 1000.0 * (1.0 - (1.0 - once) ** (RETRIES + 1))

    carried = brentq(lambda f: comes(f) - f, 1, 1000)
    assert 800 < carried < 1000
    res = _toy_kars_line(tmp_path, limit=100.0)
    assert res.converged
    line = res.links.set_index("link").loc["gyumri-kars"]
    assert line["tonnes"] == pytest.approx(carried, rel=1e-4)
    assert line["shed_tonnes"] == pytest.approx(1000.0 - carried, rel=1e-3)
    assert line["wait_added_h"] == pytest.approx(wait(carried), rel=1e-4)
    assert 100.0 - SHED_SCALE_H < line["wait_added_h"] < 100.0
    row = res.od.set_index("demand").loc["yerevan-kars"]
    assert row["shed_tonnes"] == pytest.approx(1000.0 - carried, rel=1e-3)
    assert res.shed == pytest.approx(1000.0 - carried, rel=1e-3)
    doc = res.as_dict()
    assert doc["shed_tonnes"] == round(res.shed)
    assert doc["wait_limit_h"] == 100.0
    # every tonne of the run moves, is shed, or has no route (Baku, closed in 1992)
    moved = sum(res.shares.values())
    assert moved + res.shed + res.unserved == pytest.approx(res.total_tonnes, rel=1e-6)
    # without a limit nothing is shed and the queue is what the whole demand makes
    free = _toy_kars_line(tmp_path)
    assert free.shed == 0
    assert free.wait_limit_h is None
    assert free.links.set_index("link").loc["gyumri-kars", "tonnes"] == pytest.approx(1000.0)
    # a limit the queue stays a day under sheds nothing
    assert _toy_kars_line(tmp_path, limit=wait(1000.0) + SHED_SCALE_H + 1).shed == 0
    for bad in (-1.0, 1.0, 1e6):
        with pytest.raises(BadArgumentError, match="wait limit"):
            _toy_kars_line(tmp_path, limit=bad)


def test_the_wait_limit_is_a_sourced_surge_on_its_dates(embedded: Network) -> None:
    # the package's 2022 surge sets the Caspian ferries' scheduled wait at 8 days: on its
    # dates the limit is that wait within the fit's tolerance, if longer than the default
    from overland.assignment.corridor import QUEUE_TOLERANCE, WAIT_LIMIT_H, wait_limit_h

    surge = [
        e
        for e in embedded.events
        for c in e.changes
        if c.target == "link" and c.id == "ferry-alat-aktau" and (c.set or {}).get("wait_h")
    ]
    assert surge
    first = min(surge, key=lambda e: e.date)
    on = embedded.as_of(first.date)
    wait = on.links["ferry-alat-aktau"].wait_h
    assert wait
    assert wait * (1 + QUEUE_TOLERANCE) > WAIT_LIMIT_H
    assert wait_limit_h(embedded, on, "ferry-alat-aktau") == wait * (1 + QUEUE_TOLERANCE)
    before = embedded.as_of(first.date - dt.timedelta(days=1))
    assert wait_limit_h(embedded, before, "ferry-alat-aktau") == WAIT_LIMIT_H


def test_a_transfer_for_some_commodities_only(tmp_path: Path) -> None:
    # a container-only terminal: grain cannot change gauge there, so it has no way to Kars
    from overland import load_network
    from overland.errors import NoRouteError
    from overland.routing import shortest_route

    pkg = _toy_with_gauge_terminal(tmp_path, "commodities", "boxes")
    with (pkg / "commodities.csv").open("a") as f:
        f.write("boxes,Boxes,t,1,5000,0.01,toy,false,\n")
    net = load_network(pkg)
    boxes = shortest_route(net, "yerevan", "kars", date="1992-01-01", commodity="boxes")
    assert [t.transfer for t in boxes.transfers] == ["gyumri-gauge"]
    with pytest.raises(NoRouteError):
        shortest_route(net, "yerevan", "kars", date="1992-01-01", commodity="grain")


def test_bottleneck_fields_are_documented(toy: Network) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "json.md").read_text(encoding="utf-8")
    [line] = [row for row in doc.splitlines() if row.startswith("| `bottlenecks` | [{")]
    documented = {f.strip() for f in line.split("[{")[1].split("}]")[0].split(",")}
    rows = corridor_flows(toy, date="2024-06-01").as_dict()["bottlenecks"]
    assert rows
    assert all(set(r) == documented for r in rows)
