"""Assignment: TNTP readers, toy cases by hand, and the TNTP best-known solutions."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from overland import Network
from overland.assignment import AssignmentClass, AssignmentSpec, LinkTable, assign
from overland.assignment.tntp import TntpError, find_tntp_files, read_flows, read_net, read_trips
from overland.cli import main
from overland.errors import ConvergenceError


def _tntp_root() -> Path | None:
    env = os.environ.get("OVERLAND_TNTP_DIR")
    for cand in ([Path(env)] if env else []) + [
        Path(__file__).resolve().parents[2] / "shared" / "data" / "tntp"
    ]:
        if cand.is_dir():
            return cand
    return None


TNTP = _tntp_root()
needs_tntp = pytest.mark.skipif(
    TNTP is None,
    reason="TNTP data not found: set OVERLAND_TNTP_DIR or place it in ../shared/data/tntp",
)
WEIGHTS = {"Chicago-Sketch": (0.02, 0.04)}

# ----------------------------------------------------------------------------- readers

NET = """<NUMBER OF ZONES> 2
<NUMBER OF NODES>\t\t4
<FIRST THRU NODE> 3
<NUMBER OF LINKS> 5
<SOMETHING ELSE> ignored
<END OF METADATA>

~ init_node term_node capacity length free_flow_time b power speed toll link_type ;
\t1\t3\t100\t1\t1.0e0\t0.15\t4\t1\t0\t1\t;
\t3\t4\t100\t1\t0\t0\t0\t1\t0\t1
\t3\t4\t50\t1\t9\t0.15\t4\t1\t0\t1\t;

\t4\t2\t100\t1\t2\t0.15\t4\t1\t0\t1\t;
\t\t\t
  ~ a comment
\t3\t1\t100\t1\t1\t0.15\t4\t1\t0\t1\t;
"""
TRIPS = """<NUMBER OF ZONES> 2
<TOTAL OD FLOW> 10
<END OF METADATA>

Origin 1
    1 :      0.0;     2 :    10.0;
Origin 2
"""


def test_net_reader_handles_the_quirks(tmp_path: Path) -> None:
    f = tmp_path / "Toy_net.tntp"
    f.write_text(NET, encoding="utf-8")
    net = read_net(f)
    assert (net.zones, net.nodes, net.first_thru_node) == (2, 4, 3)
    assert net.n_links == 5  # 3->4 twice: parallel links are distinct, both kept
    assert net.parallel_links == 1
    assert net.fft.tolist() == [1.0, 0.0, 9.0, 2.0, 1.0]
    assert net.init.tolist() == [0, 2, 2, 3, 2]
    t = tmp_path / "Toy_trips.tntp"
    t.write_text(TRIPS, encoding="utf-8")
    assert read_trips(t).tolist() == [[0.0, 10.0], [0.0, 0.0]]


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (NET.replace("\t4\t2\t100\t1\t2", "\t4\t2\t100\t1\tx"), 13, "not a number"),
        (NET.replace("\t3\t1\t100\t1\t1\t0.15\t4\t1\t0\t1\t;", "\t3\t1\t100"), 16, "columns"),
    ],
)
def test_net_reader_errors_name_the_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    f = tmp_path / "Bad_net.tntp"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(TntpError, match=f"Bad_net.tntp:{line}: .*{what}"):
        read_net(f)


def test_trips_reader_errors(tmp_path: Path) -> None:
    f = tmp_path / "Bad_trips.tntp"
    f.write_text(TRIPS.replace("2 :    10.0;", "7 :    10.0;"), encoding="utf-8")
    with pytest.raises(TntpError, match=r"destination 7 outside 1\.\.2"):
        read_trips(f)


# ----------------------------------------------------------------------------- toy cases


def _two_links() -> LinkTable:
    # two parallel links 0->1: t1 = 1 + x1, t2 = 2 + x2 (BPR with b = 1, power = 1, cap = 1)
    return LinkTable.from_arrays(
        init=[0, 0], term=[1, 1], capacity=[1, 1], fft=[1, 2], b=[1, 0.5], power=[1, 1], nodes=2
    )


@pytest.mark.parametrize("algorithm", ["msa", "fw", "cfw", "bfw", "gp"])
def test_toy_equilibrium_by_hand(algorithm: str) -> None:
    # t1 = 1 + x1, t2 = 2 + x2 / 1... with b = 0.5: t2 = 2 (1 + 0.5 x2) = 2 + x2
    demand = np.array([[0.0, 3.0], [0.0, 0.0]])
    r = assign(
        _two_links(),
        demand,
        AssignmentSpec(algorithm=algorithm, target_gap=1e-9, max_iterations=5000),
    )
    assert r.link_flow == pytest.approx([2.0, 1.0], abs=1e-3 if algorithm == "msa" else 1e-6)
    assert r.link_time == pytest.approx([3.0, 3.0], abs=1e-3 if algorithm == "msa" else 1e-6)
    assert r.relative_gap >= 0
    assert r.od_cost["all"][0, 1] == pytest.approx(3.0, abs=1e-3)


def test_aon_loads_the_free_flow_path() -> None:
    r = assign(_two_links(), np.array([[0.0, 3.0], [0.0, 0.0]]), AssignmentSpec(algorithm="aon"))
    assert r.link_flow.tolist() == [3.0, 0.0]
    assert r.iterations == 1


def test_multiclass_with_different_allowed_links() -> None:
    # class "trucks" may only use link 2; class "cars" any; totals by hand:
    # trucks 1 on link 2; cars 2 split so that 1 + x1 = 2 + x2 with x2 = 1 + c2, x1 = 2 - c2
    links = _two_links()
    cars = AssignmentClass(name="cars", demand=np.array([[0.0, 2.0], [0.0, 0.0]]))
    trucks = AssignmentClass(
        name="trucks", demand=np.array([[0.0, 1.0], [0.0, 0.0]]), allowed=np.array([False, True])
    )
    r = assign(links, [cars, trucks], AssignmentSpec(algorithm="gp", target_gap=1e-10))
    assert r.class_flow["trucks"] == pytest.approx([0.0, 1.0], abs=1e-9)
    assert r.link_flow == pytest.approx([2.0, 1.0], abs=1e-6)  # 1 + 2 = 2 + 1
    assert r.class_flow["cars"] == pytest.approx([2.0, 0.0], abs=1e-6)
    fw = assign(
        links, [cars, trucks], AssignmentSpec(algorithm="fw", target_gap=1e-8, max_iterations=5000)
    )
    assert fw.link_flow == pytest.approx(r.link_flow, abs=1e-4)


def test_strict_non_convergence_raises() -> None:
    demand = np.array([[0.0, 3.0], [0.0, 0.0]])
    with pytest.raises(ConvergenceError, match="stopped after 1 iterations"):
        assign(
            _two_links(),
            demand,
            AssignmentSpec(algorithm="msa", target_gap=1e-12, max_iterations=1, strict=True),
        )


def test_akcelik_time_derivative_and_integral_agree() -> None:
    from scipy.integrate import quad

    from overland.assignment import _kernels as kern

    fft, cap, s, period = 20.0, 1000.0, 12.0, 2160.0
    for x in (0.0, 300.0, 900.0, 1000.0, 1100.0, 2500.0):
        t = kern.vdf_time(kern.AKCELIK, fft, cap, s, period, x)
        h = 1e-3
        num = (
            kern.vdf_time(kern.AKCELIK, fft, cap, s, period, x + h)
            - kern.vdf_time(kern.AKCELIK, fft, cap, s, period, max(x - h, 0.0))
        ) / (h + min(h, x))
        assert kern.vdf_deriv(kern.AKCELIK, fft, cap, s, period, x) == pytest.approx(num, rel=1e-5)
        area = quad(lambda v: kern.vdf_time(kern.AKCELIK, fft, cap, s, period, v), 0.0, x)[0]
        got = kern.vdf_integral(kern.AKCELIK, fft, cap, s, period, x)
        assert got == pytest.approx(area, rel=1e-9, abs=1e-9)
        assert t >= fft
    # zero delay at zero flow; deterministic oversaturation: (x/c - 1) * period / 2 in the limit
    assert kern.vdf_time(kern.AKCELIK, fft, cap, s, period, 0.0) == fft
    big = kern.vdf_time(kern.AKCELIK, fft, cap, s, period, 5 * cap) - fft
    assert big == pytest.approx(0.5 * period * 4, rel=0.01)


def test_queue_and_conical_vdfs_grow_near_capacity() -> None:
    for vdf in ("queue", "conical", "akcelik"):
        links = LinkTable.from_arrays(
            init=[0, 0],
            term=[1, 1],
            capacity=[10, 10],
            fft=[1, 1.5],
            b=[{"queue": 0.5, "conical": 4, "akcelik": 0.2}[vdf]] * 2,
            power=[24 if vdf == "akcelik" else 1] * 2,
            nodes=2,
            vdf=vdf,
        )
        r = assign(
            links,
            np.array([[0.0, 12.0], [0.0, 0.0]]),
            AssignmentSpec(algorithm="gp", target_gap=1e-10),
        )
        assert r.link_time[0] == pytest.approx(r.link_time[1], rel=1e-6)
        assert r.link_flow.sum() == pytest.approx(12.0)


# ----------------------------------------------------------------------------- TNTP


def _objective_of(links: LinkTable, flows: np.ndarray, tw: float, dw: float) -> float:
    from overland.assignment import _kernels as kern

    p = np.where(links.b == 0, 1.0, links.power)
    fixed = tw * links.toll + dw * links.length
    return float(
        kern.beckmann(links.vdf, links.fft, links.capacity, links.b.astype(float), p, flows, fixed)
    )


@needs_tntp
@pytest.mark.parametrize("name", ["SiouxFalls", "Anaheim", "Chicago-Sketch"])
def test_best_known_solutions(name: str) -> None:
    assert TNTP is not None
    files = find_tntp_files(TNTP / name)
    net = read_net(files["net"])
    demand = read_trips(files["trips"], net.zones)
    links = LinkTable.from_tntp(net)
    tw, dw = WEIGHTS.get(name, (0.0, 0.0))
    # the bars hold at gap <= 1e-6; 1e-8 makes the flow comparison independent of where
    # exactly the last iteration crossed 1e-6 (Anaheim jumps from 1e-5 to 5e-7 and has
    # an RMSE of 2.6e-3 there, 9e-6 at 1e-8)
    spec = AssignmentSpec(algorithm="gp", target_gap=1e-8, toll_weight=tw, distance_weight=dw)
    r = assign(links, demand, spec)
    assert r.converged
    assert r.relative_gap <= 1e-8
    best = read_flows(files["flow"])
    bf = np.array([best[(a + 1, b + 1)][0] for a, b in zip(net.init, net.term, strict=True)])
    ref = _objective_of(links, bf, tw, dw)
    assert abs(r.objective - ref) / ref <= 1e-6
    rmse = np.sqrt(np.mean((r.link_flow - bf) ** 2)) / np.mean(bf)
    assert rmse <= 1e-3
    # flow conservation at every node, to 1e-6 of demand
    n = net.nodes
    inflow = np.bincount(net.term, weights=r.link_flow, minlength=n)
    outflow = np.bincount(net.init, weights=r.link_flow, minlength=n)
    dem = demand - np.diag(np.diag(demand))
    expected = np.zeros(n)
    expected[: net.zones] = dem.sum(axis=0) - dem.sum(axis=1)
    assert np.abs(inflow - outflow - expected).max() <= 1e-6 * dem.sum()


def test_bush_swaps_flow_between_classes_on_a_steep_link() -> None:
    # one steep tolled link (power 9, capacity 1) and a flat one: trucks (no toll weight)
    # belong on the steep link until it costs as much as the flat one, cars (toll weight
    # 1) on the flat one. Newton shifts one class at a time undo each other on the steep
    # link (161 iterations with 1e6 / 1e3); a swap between the classes leaves its flow,
    # so its time, unchanged and takes both at once
    import dataclasses

    links = LinkTable.from_arrays(
        init=[0, 0], term=[1, 1], capacity=[1.0, 1.0], fft=[1.0, 1e4], b=[1.0, 0.0],
        power=[9.0, 1.0], nodes=2,
    )  # fmt: skip
    links = dataclasses.replace(links, toll=np.array([50.0, 0.0]))
    demand = np.array([[0.0, 5.0], [0.0, 0.0]])
    classes = [
        AssignmentClass(name="cars", demand=demand, toll_weight=1.0),
        AssignmentClass(name="trucks", demand=demand, toll_weight=0.0),
    ]
    r = assign(links, classes, AssignmentSpec(algorithm="bush", target_gap=1e-10))
    assert r.converged
    assert r.iterations <= 5
    steep = (1e4 - 1.0) ** (1 / 9)  # 1 + x^9 = 1e4
    assert r.class_flow["trucks"] == pytest.approx([steep, 5.0 - steep], rel=1e-9)
    assert r.class_flow["cars"] == pytest.approx([0.0, 5.0], abs=1e-9)


def _siouxfalls() -> tuple[LinkTable, np.ndarray]:
    assert TNTP is not None
    files = find_tntp_files(TNTP / "SiouxFalls")
    net = read_net(files["net"])
    return LinkTable.from_tntp(net), read_trips(files["trips"], net.zones)


@needs_tntp
def test_thread_pool_or_not_gives_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    # small networks load in one thread (a sleeping pool costs ~0.2 s a call on busy
    # cores), large ones on the pool: the loads are summed in fixed chunks either way
    from overland.assignment import engine

    links, demand = _siouxfalls()
    spec = AssignmentSpec(algorithm="bush", target_gap=1e-8)
    alone = assign(links, demand, spec)
    monkeypatch.setattr(engine, "PARALLEL_MIN_WORK", 0)
    pooled = assign(links, demand, spec)
    assert np.array_equal(alone.link_flow, pooled.link_flow)
    assert np.array_equal(alone.od_cost["all"], pooled.od_cost["all"])
    assert alone.relative_gap == pooled.relative_gap


@needs_tntp
@pytest.mark.parametrize("name", ["SiouxFalls", "Anaheim"])
def test_bush_pool_grows_from_any_size(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # a pool of one entry: every bush moves and the pool is copied and grown, in numba,
    # to the very same answer (a bush's links keep their order wherever it is stored)
    from overland.assignment import engine

    assert TNTP is not None
    files = find_tntp_files(TNTP / name)
    net = read_net(files["net"])
    links, demand = LinkTable.from_tntp(net), read_trips(files["trips"], net.zones)
    spec = AssignmentSpec(algorithm="bush", target_gap=1e-10)
    roomy = assign(links, demand, spec)
    monkeypatch.setattr(engine, "BUSH_POOL", (1, 0))
    tight = assign(links, demand, spec)
    assert np.array_equal(roomy.link_flow, tight.link_flow)
    assert tight.iterations == roomy.iterations
    assert tight.converged


@needs_tntp
def test_gp_path_store_grows_from_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # a store of one path and one link must be compacted and grown, in numba, to the
    # very same answer
    from overland.assignment import engine

    links, demand = _siouxfalls()
    spec = AssignmentSpec(algorithm="gp", target_gap=1e-6)
    roomy = assign(links, demand, spec)
    monkeypatch.setattr(engine, "GP_STORE", (1, 1, 0, 0))
    tight = assign(links, demand, spec)
    assert np.array_equal(roomy.link_flow, tight.link_flow)
    assert tight.iterations == roomy.iterations


@needs_tntp
def test_zone_nodes_are_not_passed_through() -> None:
    assert TNTP is not None
    files = find_tntp_files(TNTP / "Anaheim")  # first thru node 39: zones 1..38
    net = read_net(files["net"])
    demand = read_trips(files["trips"], net.zones)
    r = assign(LinkTable.from_tntp(net), demand, AssignmentSpec(algorithm="gp", target_gap=1e-5))
    n = net.nodes
    inflow = np.bincount(net.term, weights=r.link_flow, minlength=n)[: net.zones]
    dem = demand - np.diag(np.diag(demand))
    # flow entering a zone node is exactly the demand destined to it: nothing passes on
    assert inflow == pytest.approx(dem.sum(axis=0), rel=1e-9, abs=1e-6)


@needs_tntp
def test_cli_assign(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert TNTP is not None
    out = tmp_path / "flows.csv"
    assert (
        main(
            [
                "assign",
                "--tntp",
                str(TNTP / "SiouxFalls"),
                "--gap",
                "1e-6",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["converged"] is True
    assert doc["relative_gap"] <= 1e-6
    assert {"iterations", "objective", "seconds"} <= doc.keys()
    assert out.read_text().splitlines()[0] == "from,to,flow,cost"
    assert len(out.read_text().splitlines()) == 77
    assert main(["assign", "--tntp", str(tmp_path), "--json"]) == 2
    assert "no *_net.tntp" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_link_skims_on_the_toy() -> None:
    from overland.assignment import link_skims

    links = _two_links()
    s = link_skims(links, links.fft, values={"distance": np.array([5.0, 7.0])})
    assert s["cost"][0, 1] == 1.0
    assert s["distance"][0, 1] == 5.0
    assert np.isinf(s["cost"][1, 0])
    assert s["cost"][0, 0] == 0.0


@needs_tntp
def test_link_skims_match_scipy_and_threads_agree() -> None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from overland.assignment import link_skims

    assert TNTP is not None
    net = read_net(find_tntp_files(TNTP / "SiouxFalls")["net"])
    links = LinkTable.from_tntp(net)
    one = link_skims(links, links.fft, values={"length": links.length}, threads=1)
    two = link_skims(links, links.fft, values={"length": links.length}, threads=2)
    mat = sp.csr_matrix((links.fft, (links.init, links.term)), shape=(net.nodes, net.nodes))
    ref = dijkstra(mat, directed=True, indices=np.arange(net.zones))[:, : net.zones]
    assert one["cost"] == pytest.approx(ref)
    assert two["cost"] == pytest.approx(one["cost"])
    assert two["length"] == pytest.approx(one["length"])


# ----------------------------------------------------------------------------- network package

DEMAND = Path(__file__).parent / "fixtures" / "demand" / "toy_demand.csv"


def test_network_assignment_applies_rules_per_od(toy_path: Path) -> None:
    from overland import load_network
    from overland.assignment.corridor import assign_network, read_demand

    net = load_network(toy_path)
    rows = read_demand(DEMAND, net)
    during = assign_network(net, rows, date="2025-10-01")
    assert during.result.unserved == {"grain": 0.0, "grain|az-ban": 1000.0}
    flows = during.links_frame().set_index("link")["tonnes"]
    assert flows["tbilisi-gardabani"] == pytest.approx(500.0)
    assert flows["ayrum-sadakhlo"] == pytest.approx(200.0)  # Leninakan = Gyumri -> Tbilisi
    after = assign_network(net, rows, date="2025-11-10")
    assert sum(after.result.unserved.values()) == 0.0
    flows = after.links_frame().set_index("link")["tonnes"]
    assert flows["tbilisi-gardabani"] == pytest.approx(1500.0)
    assert flows["yerevan-gyumri"] == pytest.approx(1000.0)


def test_network_assignment_prices_a_commodity_by_its_rates(
    rated_toy: Callable[..., Network],
) -> None:
    # rates.csv: boxes pay half the rail rate per t-km and clear borders in half the
    # dwell; the equilibrium's cost of a box (hours at its value of time: money / VoT)
    # is a single route's generalized cost
    from overland.assignment.corridor import OdDemand, assign_network
    from overland.routing import shortest_route

    net = rated_toy(0.5, 1.0, 0.5)
    rows = [
        OdDemand(o, d, c, 10.0) for o, d in [("yerevan", "tbilisi")] for c in ("grain", "boxes")
    ]
    res = assign_network(net, rows, date="2025-11-10").result
    for c in ("grain", "boxes"):
        r = shortest_route(net, "Yerevan", "Tbilisi", date="2025-11-10", commodity=c)
        vot = net.commodities[c].value_of_time_usd_per_t_h
        zone = list(net.places).index  # zones are the places in package order
        hours = res.od_cost[c][zone("yerevan"), zone("tbilisi")]
        assert hours * vot == pytest.approx(r.generalized_cost_usd_per_t, rel=1e-6)


def test_demand_errors_are_listed(toy_path: Path, tmp_path: Path) -> None:
    from overland import NetworkDataError, load_network
    from overland.assignment.corridor import read_demand

    bad = tmp_path / "d.csv"
    bad.write_text(
        "origin,destination,commodity,tonnes_per_year\nYerevn,Baku,grain,10\nBaku,Tbilisi,gold,x\n",
        encoding="utf-8",
    )
    with pytest.raises(NetworkDataError) as info:
        read_demand(bad, load_network(toy_path))
    where = {(p.row, p.field) for p in info.value.problems}
    assert where == {(2, "origin"), (3, "commodity"), (3, "tonnes_per_year")}


def test_cli_assign_package(
    toy_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "flows.csv"
    assert (
        main(
            [
                "assign",
                "-p",
                str(toy_path),
                "--demand",
                str(DEMAND),
                "--date",
                "2025-11-10",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["converged"] is True
    assert {r["link"] for r in doc["links"]} >= {"yerevan-gyumri", "tbilisi-gardabani"}
    assert out.read_text().startswith("link,tonnes,capacity,volume_capacity")
    assert main(["assign", "--json"]) == 2
    assert "either --tntp" in json.loads(capsys.readouterr().out)["error"]["message"]
