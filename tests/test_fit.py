"""`overland check`: observations evaluated by their queries, checked against independent
computations on the toy, the embedded table's promises (sources, tolerances, the fixed
hold-out), and floors that keep the fit from sliding back."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from overland import Network, load_network
from overland.analyses.fit import check
from overland.analyses.flows import corridor_flows
from overland.cli import main
from overland.routing import shortest_route
from overland.schema import parse_query
from overland.validation import validate_package

TOY = Path(__file__).parent / "fixtures" / "toy"

#: the fit may only get better: raise these as the data improves (docs/fit.md). The
#: calibration floor fell from 80 to 73 with the logit equilibrium (2026-11-29): the fit
#: that kept 80 put 1.3x the Aktau ferry's capacity on it and queued it for over 7 days
#: in 2024, against the 2-7 days observed. Then (value-of-time classes, CPMM dwell by
#: year as inputs: 16 observations left the sets) the shipped fit gave 75 of 144 and 30
#: of 56. With air freight, four EU-China value-share rows, the sailing and realised-time
#: measures and the TRIPP border points (third session) it gives 79 of 147 and 33 of 57.
#: With container trains' border priority and speed and run S1 (ninth session) 78 and 35
#: within, and 30 and 10 missed by more than the calibration's gross factor (33 and 13
#: before): the objective's count, within less gross, rose from 46 to 48 on the
#: calibration set and from 20 to 25 on the hold-out. With China-Europe trains over
#: their three channels, Kazakhstan-China bilateral rail trade, TEU counted as containers
#: and two Manzhouli TEU rows (tenth session), run K1 (one pass from S1: S1 queued the
#: single-track Dostyk-Aktogay line an hour over the limit in 2025) gives 81 of 149 and
#: 35 of 57 within, 33 and 10 gross (net 48 and 25). With demand shed at the wait limit
#: and the CPC pipeline's tonnes a gap instead of 0 (eleventh session), run R1 (one pass
#: from K1) gives 81 and 36 within, 24 and 9 gross (net 57 and 27). Twelfth session,
#: sourced corrections with R1's parameters: Baku's rail ferries sail to Kuryk, not
#: Aktau, from 2018 (Port of Baku's wagon counts), Aktau's container feeder from 2019,
#: Poland's freight speed (UTK): 80 and 37 within, 25 and 8 gross (net 55 and 29). The
#: calibration net fell by two with that step: Kuryk's tonnage is now near the published one, but
#: of what crossed via Aktau about a seventh takes other ways when it must go via Kuryk,
#: and Alat's port totals of 2020-2021, half the published ones before (demand the
#: package lacks: Turkmen trucks and dry cargo), drop just past twice off. With the
#: container market's sea rate by year (SCFI Europe annual averages, 2012-2019): 83 and
#: 38 within, 25 and 8 gross (net 58 and 30). Thirteenth session, the China-Europe
#: gauge changes' container terminals with their sourced capacities: 82 and 38 within,
#: 23 and 8 gross (net 59 and 30): two gross misses fewer, and Russia's 2021 transit of
#: containers (1.0 M TEU published) drops out of tolerance (575 k against 614 k).
#: Fourteenth session, the container sea market of 2020-2025 by year (SCFI Europe
#: estimates), Cape lanes priced as the market prices them, each value class's best
#: route in its choice set and turned-away shippers trying again: 87 and 37 within, 20
#: and 8 gross (net 67 and 29): the 2021-2022 sea rates come within, the hold-out loses
#: a January 2024 spot rate (priced at 2024's mean market) and the TITR's 2021 tonnes
#: go gross (2.6 Mt against 586 kt: the Caspian carries the boxes 2021's sea price
#: sends). Fifteenth session, the Mediterranean and Gulf lanes priced as the SCFI's,
#: turned-away shippers retrying among the other routes, and the Georgian main line's
#: capacity by date: 89 and 37 within, 20 and 8 gross (net 69 and 29). Sixteenth
#: session, the Yenice junction, the back-haul's own price on the lanes from East Asia,
#: Central Asian fertiliser in bulk across the Caspian and Georgia's fuel by tanker: 95
#: and 37 within, 18 and 8 gross (net 77 and 29). Seventeenth session, Georgia's copper
#: (one out: BTK 2022), two-way capacities checked as two-way, the CPC's 2024 capacity
#: and the Dostyk exchange by date: 97 and 37 within, 18 and 8 gross (net 79 and 29).
#: Eighteenth session, the national railways' tariffs (Russia's and Kazakhstan's own
#: traffic, Kazakhstan's, Azerbaijan's and Uzbekistan's transit), the Kavkaz-Poti ferry
#: of 2009-2018 and South Caucasus Railway's 2017 through rates with it: 97 of 150 and
#: 36 of 58 within, 18 and 11 gross (net 79 and 25). The hold-out's net fell by four:
#: Kazakh metals for Novorossiysk no longer go round by the Kuryk ferry and Azerbaijan
#: (their second route before, 191 USD/t against 177 all-rail; all-rail routes only
#: now), and the Caspian port totals they propped up (Alat 2015 and 2019, Kuryk 2018)
#: fall past twice off: demand the package lacks, not a route it finds; the
#: Tatarskaya-Kars distance (Russia's cheap km over a coarse network) and the CPC's
#: share of Kazakh oil leave their bands (docs/fit.md). Nineteenth session, the Strait
#: of Hormuz closed from 2026-02-28, Iran's seaports closed to Azerbaijan's, Georgia's
#: and Türkiye's boxes while the container lines stay away, the Danube Bridge, Lake Van's
#: and the Black Sea ferries' dates, Georgia's ports' own containers and a China-Iran
#: train time: 99 of 151 and 36 of 58 within, 18 and 10 gross (net 81 and 26). Twentieth
#: session, Brest-Malaszewicze's queue for the container trains too, the 1,520 mm
#: transit tariff from UTLC ERA's index, Bulgaria's line 4 and eight China-Europe rail
#: figures: 105 of 157 and 38 of 60 within, 20 and 10 gross (net 85 and 28).
#: Twenty-first session, three analysts' audits (Bafq-Mashhad, the Turksib north, the
#: Bosphorus before 2019, Turkmen transit times, four container trains queried as
#: container trains, three figures of the first North-South train to India): 109 of 159
#: and 40 of 61 within, 20 and 10 gross (net 89 and 30). The floors sit one below the
#: measured values, for floating-point differences between machines
FLOOR_CALIBRATION_WITHIN = 108
FLOOR_HOLDOUT_WITHIN = 39
FLOOR_CALIBRATION_NET = 88
FLOOR_HOLDOUT_NET = 29
FLOOR_OBSERVATIONS = 220


def run_json(args: list[str]) -> Any:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(args) == 0
    return json.loads(buf.getvalue())


def test_toy_values_equal_independent_computations(toy: Network) -> None:
    res = {r.observation.id: r for r in check(toy).rows}
    day = "2025-11-10"
    route = shortest_route(toy, "Yerevan", "Baku", date=day)
    assert res["tt-yerevan-baku-2025"].model == pytest.approx(route.time_h)
    assert res["di-yerevan-baku"].model == pytest.approx(route.distance_km)
    assert res["ra-yerevan-baku"].model == pytest.approx(route.cost_usd_per_t)
    # on the move only: each link's length at its speed, without the border dwell
    running = sum(
        toy.links[lid].length_km
        / (toy.links[lid].speed_kmh or toy.modes[toy.links[lid].mode].speed_kmh)
        for lid in route.links
    )
    assert res["mv-yerevan-baku-2025"].model == pytest.approx(running)
    assert running < route.time_h
    flows = corridor_flows(toy, date=day)
    tonnes = dict(zip(flows.links["link"], flows.links["tonnes"], strict=True))[
        "gardabani-boyuk_kasik"
    ]
    assert res["vol-ge-az-border"].model == pytest.approx(tonnes)
    assert res["vol-group"].model == pytest.approx(flows.group_tonnes("into_azerbaijan"))
    # a realised time: the route's free-flow hours plus what the date's flows queue on it
    loaded = res["tl-yerevan-baku-2025"].model
    assert loaded is not None
    assert loaded == pytest.approx(route.time_h + flows.queue_hours(route))
    assert loaded >= route.time_h
    assert res["dw-ge-az"].model == toy.crossings["ge-az-rail"].dwell_mean_h
    assert res["cap-ge-az"].model == toy.crossings["ge-az-rail"].capacity_t_per_year
    assert res["sh-middle"].model == pytest.approx(1.0)
    # tolerance: relative, or the published range widened by it
    assert res["tt-yerevan-baku-2025"].within  # 34.4 h against 36 h ± 10 %
    assert not res["dw-ge-az"].within  # 10 h against 12 h ± 10 %
    # ~930 t, what the post of 800 t/yr passes at the wait limit, in [800, 1,000]
    assert res["vol-group"].within
    # what the model cannot answer is null with the reason, and not within
    banned = res["tt-yerevan-baku-2024"]
    assert banned.model is None
    assert "az-ban" in (banned.reason or "")


def test_a_place_the_network_lacks_is_a_visible_gap(tmp_path: Path) -> None:
    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    with (pkg / "observations.csv").open("a", encoding="utf-8") as f:
        f.write(
            "tt-atlantis,transit_time,2025,10,hours,,,0.1,x,"
            "route from=atlantis to=baku measure=time,2025-11-10,false,toy,false,,\n"
        )
    report = validate_package(pkg)
    assert report.ok  # a warning, not an error: the check shows the gap
    assert any("unknown place 'atlantis'" in str(p) for p in report.warnings)
    [row] = check(load_network(pkg), ids=["tt-atlantis"]).rows
    assert row.model is None
    assert "unknown place" in (row.reason or "")
    assert not row.within


def test_check_json_and_its_summary() -> None:
    doc = run_json(["check", "--package", str(TOY), "--json"])
    rows = doc["observations"]
    assert {
        "id",
        "category",
        "year",
        "observed",
        "model",
        "ratio",
        "within",
        "holdout",
        "source",
    } <= set(rows[0])
    summary = doc["summary"]
    assert summary["all"]["count"] == len(rows)
    assert summary["all"]["within"] == sum(r["within"] for r in rows)
    assert summary["calibration"]["count"] + summary["holdout"]["count"] == len(rows)
    vol = summary["by_category"]["volume"]["all"]
    assert vol["count"] == 2
    # WAPE = sum |model - observed| / sum observed over answered rows
    answered = [r for r in rows if r["category"] == "volume"]
    wape = sum(abs(r["model"] - r["observed"]) for r in answered) / sum(
        r["observed"] for r in answered
    )
    assert vol["wape"] == pytest.approx(wape, abs=1e-4)
    only = run_json(["check", "--package", str(TOY), "--json", "--category", "dwell"])
    assert {r["category"] for r in only["observations"]} == {"dwell"}


def test_check_reports_the_flows_behind_its_volumes(toy: Network) -> None:
    """The JSON's flows per date agree with a corridor-flows run of its own; the text
    output lists them."""
    doc = run_json(["check", "--package", str(TOY), "--json", "--category", "volume"])
    (run,) = doc["flows"]
    day = run["date"]
    res = corridor_flows(toy, date=day)
    assert run["demand_tonnes"] == round(res.total_tonnes)
    assert run["shed_tonnes"] == round(res.shed)
    assert run["unserved_tonnes"] == round(res.unserved)
    state = toy.as_of(res.date)
    waits = {
        str(lid): (state.links[str(lid)].wait_h or 0.0) + float(added)
        for lid, added in zip(res.links["link"], res.links["wait_added_h"], strict=True)
    }
    link = max(waits, key=waits.__getitem__)
    assert run["longest_wait_link"] == link
    assert run["longest_wait_h"] == pytest.approx(waits[link], abs=0.05)
    assert doc["queue_excess_h"] == {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["check", "--package", str(TOY), "--category", "volume"]) == 0
    text = buf.getvalue()
    assert "Corridor flows behind" in text
    assert day in text
    # a route-only check runs no flows
    assert run_json(["check", "--package", str(TOY), "--json", "-c", "distance"])["flows"] == []


def test_check_agrees_with_the_route_command() -> None:
    doc = run_json(["check", "--package", str(TOY), "--json", "--category", "transit_time"])
    row = next(r for r in doc["observations"] if r["id"] == "tt-yerevan-baku-2025")
    routed = run_json(
        ["route", "Yerevan", "Baku", "--date", "2025-11-10", "--package", str(TOY), "--json"]
    )["routes"][0]
    assert row["model"] == pytest.approx(routed["time_h"], abs=1e-3)


def test_tonnes_on_a_utility_layer_are_not_answered_as_zero(tmp_path: Path) -> None:
    # corridor flows route demand on freight modes only: a pipeline's tonnes are a gap
    # the check shows with its reason, not a model figure of 0
    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    with (pkg / "links.csv").open(encoding="utf-8") as f:
        pipe = next(line.split(",")[0] for line in f if "_pipeline," in line)
    with (pkg / "observations.csv").open("a", encoding="utf-8") as f:
        f.write(
            f"vol-pipe,volume,2025,1000,t,,,0.1,x,tonnes link={pipe},2025-11-10,false,toy,false,,\n"
        )
    [row] = check(load_network(pkg), ids=["vol-pipe"]).rows
    assert row.model is None
    assert "utility layer" in (row.reason or "")
    assert not row.within


def test_bad_observation_rows_are_reported(tmp_path: Path) -> None:
    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    with (pkg / "observations.csv").open("a", encoding="utf-8") as f:
        f.write("bad-verb,volume,2025,1,t,,,0.1,x,weigh link=a,,false,toy,false,,\n")
        f.write("bad-key,volume,2025,1,t,,,0.1,x,tonnes lnk=a,,false,toy,false,,\n")
        f.write("bad-group,volume,2025,1,t,,,0.1,x,tonnes group=nope,,false,toy,false,,\n")
        f.write("bad-source,volume,2025,1,t,,,0.1,x,tonnes link=yerevan-gyumri,,false,zz,false,,\n")
        q = "route from=yerevan to=baku measure=distance loaded=true"
        f.write(f"bad-loaded,distance,2025,1,km,,,0.1,x,{q},,false,toy,false,,\n")
    report = validate_package(pkg)
    text = "\n".join(str(p) for p in report.errors)
    assert "loaded=true adds queue hours: it needs measure=time" in text
    assert "unknown query verb 'weigh'" in text
    assert "tonnes takes no 'lnk'" in text
    assert "unknown group 'nope'" in text
    assert "unknown source id 'zz'" in text


def test_tonnes_of_one_commodity(rated_toy: Any) -> None:
    # the rated toy adds a second commodity, boxes; 300 t of boxes go Tbilisi -> Baku
    net = rated_toy(1.0, 1.0)
    pkg = net.path
    with (pkg / "demand.csv").open("a", encoding="utf-8") as f:
        f.write("tbilisi-baku-boxes,tbilisi,baku,boxes,2024,300,,toy,false,\n")
    rows = "".join(
        f"vol-{c},volume,2025,1,t,,,0.1,x,tonnes link=gardabani-boyuk_kasik{q},"
        "2025-11-10,false,toy,false,,\n"
        for c, q in (("all", ""), ("grain", " commodity=grain"), ("boxes", " commodity=boxes"))
    )
    with (pkg / "observations.csv").open("a", encoding="utf-8") as f:
        f.write(rows)
    extended = load_network(pkg)
    res = {r.observation.id: r.model for r in check(extended).rows}
    flows = corridor_flows(extended, date="2025-11-10")
    total = dict(zip(flows.links["link"], flows.links["tonnes"], strict=True))
    assert res["vol-all"] == pytest.approx(total["gardabani-boyuk_kasik"])
    # every row crosses the post: what each carries is its demand less what it sheds
    # there at the wait limit, within the equilibrium's tolerance (its flows agree with
    # the split they imply to 1e-6 of the tonnes)
    shed = flows.od.groupby("commodity")["shed_tonnes"].sum()
    assert shed["grain"] > 0
    assert res["vol-all"] == pytest.approx(1000 + 500 + 300 - shed.sum(), rel=1e-5)
    assert res["vol-boxes"] == pytest.approx(300 - shed["boxes"], rel=1e-5)
    assert res["vol-grain"] == pytest.approx(1500 - shed["grain"], rel=1e-5)
    # a commodity filter needs the links it counts on
    with (pkg / "observations.csv").open("a", encoding="utf-8") as f:
        q = "tonnes group=into_azerbaijan commodity=grain"
        f.write(f"bad-c,volume,2025,1,t,,,0.1,x,{q},,false,toy,false,,\n")
    text = "\n".join(str(p) for p in validate_package(pkg).errors)
    assert "tonnes takes commodity only with link or crossing" in text


@pytest.fixture(scope="module")
def embedded_fit(embedded: Network) -> Any:
    return check(embedded)


def test_embedded_observations_are_sourced_and_held_out_by_id(embedded: Network) -> None:
    obs = list(embedded.observations.values())
    assert len(obs) >= FLOOR_OBSERVATIONS
    assert {o.category for o in obs} == {
        "transit_time",
        "dwell",
        "rate",
        "distance",
        "volume",
        "share",
        "capacity",
    }
    for o in obs:
        assert o.source
        assert all(s in embedded.sources for s in o.source)
        assert o.tolerance_reason.strip()
        # the hold-out is fixed by id, before any fitting: nobody picks it
        assert o.holdout == (int(hashlib.sha256(o.id.encode()).hexdigest(), 16) % 4 == 0), o.id
    share = sum(o.holdout for o in obs) / len(obs)
    assert 0.15 < share < 0.35


def test_embedded_fit_stays_above_its_floors(embedded_fit: Any) -> None:
    from overland.analyses.calibration import _objective

    s = embedded_fit.summary()
    assert s["calibration"]["within"] >= FLOOR_CALIBRATION_WITHIN, s["calibration"]
    assert s["holdout"]["within"] >= FLOOR_HOLDOUT_WITHIN, s["holdout"]

    # the calibration's own count: figures within tolerance less those missed grossly
    assert _objective(embedded_fit.split(False))[0] >= FLOOR_CALIBRATION_NET
    assert _objective(embedded_fit.split(True))[0] >= FLOOR_HOLDOUT_NET


def test_report_and_api_carry_the_fit(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from overland.web import ServerConfig, create_app

    doc = run_json(["report", "--package", str(TOY), "--out", str(tmp_path / "r"), "--json"])
    assert doc["fit"]["summary"]["all"]["count"] == 11  # the toy's observations.csv rows
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "How well the model fits the world" in page
    app = create_app(ServerConfig(package=TOY, warm=False))
    with TestClient(app, base_url="http://localhost") as c:
        job = c.post("/api/check", json={"categories": ["volume"]}).json()
        while job["status"] in ("queued", "running"):
            job = c.get(job["url"], params={"wait": 30}).json()
        assert job["status"] == "done", job
        result = c.get(job["result_url"]).json()
        assert {r["category"] for r in result["observations"]} == {"volume"}


def test_calibration_never_looks_at_the_holdout(tmp_path: Path) -> None:
    from overland.analyses.calibration import calibrate

    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    first = calibrate(pkg, grid=(0.5, 1.0, 2.0), passes=1)
    # the objective on the calibration set never gets worse
    assert (
        first.after.summary()["calibration"]["within"]
        >= (first.before.summary()["calibration"]["within"])
    )
    # rewrite every hold-out figure: the fitted parameters must not move
    text = (pkg / "observations.csv").read_text(encoding="utf-8").splitlines()
    head = text[0].split(",")
    rows = []
    for line in text[1:]:
        cells = line.split(",")
        if cells[head.index("holdout")] == "true":
            cells[head.index("observed")] = str(float(cells[head.index("observed")]) * 7)
        rows.append(",".join(cells))
    (pkg / "observations.csv").write_text("\n".join([text[0], *rows]) + "\n", encoding="utf-8")
    second = calibrate(pkg, grid=(0.5, 1.0, 2.0), passes=1)
    keep = {"dwell_scale", "wait_scale", "value_of_time_scale"}
    assert second.parameters.model_dump(include=keep) == first.parameters.model_dump(include=keep)


def _toy_with_estimated_post(tmp_path: Path) -> Path:
    """A copy of the toy whose Georgia -> Azerbaijan rail post is an estimate."""
    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    crossings = (pkg / "crossings.csv").read_text(encoding="utf-8").splitlines()
    crossings = [
        line.replace(",toy,false,", ",toy,true,estimated for the test")
        if line.startswith("ge-az-rail,")
        else line
        for line in crossings
    ]
    (pkg / "crossings.csv").write_text("\n".join(crossings) + "\n", encoding="utf-8")
    return pkg


def test_fitted_parameters_scale_estimates_only(tmp_path: Path) -> None:
    pkg = _toy_with_estimated_post(tmp_path)
    (pkg / "parameters.yaml").write_text(
        "schema_version: 1\ndwell_scale: 2.0\nvalue_of_time_scale: {grain: 3.0}\n",
        encoding="utf-8",
    )
    base, fitted = load_network(TOY), load_network(pkg)
    assert (
        fitted.crossings["ge-az-rail"].dwell_mean_h == 2 * base.crossings["ge-az-rail"].dwell_mean_h
    )
    assert fitted.crossings["az-ge-rail"].dwell_mean_h == base.crossings["az-ge-rail"].dwell_mean_h
    assert fitted.commodities["grain"].value_of_time_usd_per_t_h == pytest.approx(
        3 * base.commodities["grain"].value_of_time_usd_per_t_h
    )
    (pkg / "parameters.yaml").write_text(
        "schema_version: 1\nvalue_of_time_scale: {gold: 3.0}\n", encoding="utf-8"
    )
    report = validate_package(pkg)
    assert any("unknown commodity 'gold'" in str(p) for p in report.errors)


def test_event_values_on_estimates_are_fitted_like_the_base_rows() -> None:
    # a wait multiplier of its own, whatever the shipped fit's is
    from overland.network import network_from_package
    from overland.package import embedded_package_path, read_package
    from overland.schema import SCHEMA_VERSION, Parameters

    p = Parameters(schema_version=SCHEMA_VERSION, wait_scale=0.5)
    embedded = network_from_package(read_package(embedded_package_path()), parameters=p)
    fitted_base = embedded.links["ferry-alat-aktau"].wait_h
    surge = embedded.as_of("2022-07-01").links["ferry-alat-aktau"]
    after = embedded.as_of("2023-06-01").links["ferry-alat-aktau"]
    # the 2022 queue is a sourced value: the event marks it so, and it is not scaled
    assert not surge.estimate
    assert surge.wait_h == 192
    # the event that ends it restores the estimate, which is fitted as the base row is
    assert after.estimate
    assert after.wait_h == pytest.approx(fitted_base)
    assert fitted_base == pytest.approx(48 * p.wait_scale)


def test_event_that_sources_a_fitted_estimate_unscales_the_rest(tmp_path: Path) -> None:
    pkg = _toy_with_estimated_post(tmp_path)
    base = load_network(pkg)
    raw = base.crossings["ge-az-rail"]
    events = (pkg / "events.yaml").read_text(encoding="utf-8")
    # a sourced mean above what the fitted P90 would be, then an estimate again
    events += (
        "\n- {id: sourced, date: '2020-01-01', status: happened, title: t, source: [toy],"
        f" changes: [{{target: crossing, id: ge-az-rail, set: {{dwell_mean_h: {raw.dwell_p90_h},"
        " estimate: false}}]}\n"
        "- {id: again, date: '2021-01-01', status: happened, title: t, source: [toy],"
        " changes: [{target: crossing, id: ge-az-rail, set: {estimate: true}}]}\n"
    )
    (pkg / "events.yaml").write_text(events, encoding="utf-8")
    (pkg / "parameters.yaml").write_text("schema_version: 1\ndwell_scale: 0.1\n", encoding="utf-8")
    net = load_network(pkg)
    fitted = net.crossings["ge-az-rail"]
    assert fitted.dwell_p90_h == pytest.approx(0.1 * raw.dwell_p90_h)
    sourced = net.as_of("2020-06-01").crossings["ge-az-rail"]
    assert sourced.dwell_mean_h == raw.dwell_p90_h  # the sourced value, not scaled
    assert sourced.dwell_p90_h == pytest.approx(raw.dwell_p90_h)  # the package's P90
    again = net.as_of("2021-06-01").crossings["ge-az-rail"]
    assert again.dwell_mean_h == pytest.approx(0.1 * raw.dwell_p90_h)
    assert again.dwell_p90_h == pytest.approx(0.1 * raw.dwell_p90_h)


def test_refining_a_fitted_set_never_fits_worse() -> None:
    from overland.analyses.calibration import calibrate

    first = calibrate(TOY, grid=(0.5, 1.0, 2.0), passes=1)
    second = calibrate(TOY, grid=(0.33, 0.67, 1.5), passes=1, start=first.parameters)
    within = [r.after.summary()["calibration"]["within"] for r in (first, second)]
    assert within[1] >= within[0]
    # the search starts where it was told: an untried grid keeps the start's values
    none = calibrate(TOY, grid=(), passes=1, start=first.parameters)
    keep = {"dwell_scale", "wait_scale", "value_of_time_scale", "logit_scale"}
    assert none.parameters.model_dump(include=keep) == first.parameters.model_dump(include=keep)


def _checked(
    observed: float,
    model: float | None,
    low: float | None = None,
    *,
    anchor: bool = False,
) -> Any:
    from overland.analyses.fit import Checked
    from overland.schema import Observation

    obs = Observation.model_validate(
        {
            "id": "o",
            "category": "volume",
            "year": 2024,
            "observed": observed,
            "unit": "t",
            "low": low,
            "high": None if low is None else 2 * observed - low,
            "tolerance": 0.3,
            "tolerance_reason": "test",
            "query": "tonnes link=x",
            "holdout": False,
            "source": ["s"],
            "primary": True,
            "anchor": anchor,
        }
    )
    return Checked(obs, model)


def test_plausibility_then_anchors_then_the_count() -> None:
    from overland.analyses.calibration import _score
    from overland.analyses.fit import FitResult

    hits = [_checked(100, 105)] * 6
    anchored_miss = FitResult((*hits, _checked(100, 145, anchor=True)))
    anchored_hit = FitResult((*hits[:3], _checked(100, 110, anchor=True)))
    # the anchor kept beats three more hits
    assert _score(anchored_hit) > _score(anchored_miss)
    # any wait two hours past the limit outranks the anchor; half an hour does not count
    late = FitResult(anchored_hit.rows, queue_excess_h={"ferry": 2.0})
    assert _score(anchored_miss) > _score(late)
    slight = FitResult(anchored_hit.rows, queue_excess_h={"ferry": 0.4})
    assert _score(slight) == _score(anchored_hit)


def test_an_anchor_cannot_be_held_out() -> None:
    from pydantic import ValidationError

    anchor = _checked(100, 100, anchor=True).observation
    with pytest.raises(ValidationError, match="cannot be held out"):
        anchor.model_validate({**anchor.model_dump(), "holdout": True})


def test_a_gross_miss_costs_what_a_hit_gains() -> None:
    from overland.analyses.calibration import GROSS_FACTOR, _objective

    row = _checked
    assert row(100, 50).off_by == pytest.approx(2.0)
    assert row(100, 300).off_by == pytest.approx(3.0)
    assert row(100, 90, low=80).off_by == 1.0  # inside the published range
    assert row(100, 40, low=80).off_by == pytest.approx(2.0)  # from the range's low end
    assert row(100, 0).off_by == float("inf")
    assert row(100, None).off_by is None
    assert row(0, 5).off_by is None
    # five hits and no gross miss beat six hits bought with two misses by over the factor
    near = [row(100, 110)] * 5 + [row(100, 160)] * 2
    bought = [row(100, 110)] * 6 + [row(100, 100 * GROSS_FACTOR * 1.5)] * 2
    assert sum(r.within for r in bought) > sum(r.within for r in near)
    assert _objective(near) > _objective(bought)


def test_a_range_given_at_one_end_bounds_both_checks_alike() -> None:
    from overland.analyses.fit import Checked

    # a source that says "at least 80" for a figure of 100: the published floor is 80,
    # the top is the figure itself
    floor_only = _checked(100, None, low=80).observation.model_copy(update={"high": None})
    assert floor_only.bounds == (80, 100)
    assert Checked(floor_only, 60).within  # 60 >= 80 x (1 - 0.3)
    assert not Checked(floor_only, 50).within
    assert Checked(floor_only, 50).off_by == pytest.approx(1.6)
    assert Checked(floor_only, 125).within  # 125 <= 100 x 1.3
    assert not Checked(floor_only, 135).within
    # an observed 0 without a range is judged in absolute terms
    zero = _checked(0, None).observation
    assert Checked(zero, 0.2).within
    assert not Checked(zero, 0.5).within


def test_calibrate_command_starts_from_a_kept_fit_for_the_passes_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from overland.analyses.calibration import calibrate
    from overland.package import read_parameters
    from overland.schema import Parameters

    pkg = _toy_with_estimated_post(tmp_path)
    kept = tmp_path / "kept.yaml"
    kept.write_text("schema_version: 1\ndwell_scale: 2.0\nwait_scale: 0.5\n", encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    args = ["calibrate", "--package", str(pkg), "--start", str(kept), "--passes", "1"]
    doc = run_json([*args, "--out", str(out), "--json"])
    assert doc["written"] == str(out)
    assert not (pkg / "parameters.yaml").exists()  # --out, not the package's file
    # the same search through the API, from the same start, for one pass
    api = calibrate(
        pkg, passes=1, start=Parameters(schema_version=1, dwell_scale=2.0, wait_scale=0.5)
    )
    fitted = read_parameters(out)
    keep = {"dwell_scale", "wait_scale", "value_of_time_scale", "logit_scale"}
    assert fitted.model_dump(include=keep) == api.parameters.model_dump(include=keep)
    assert "1 passes" in (fitted.method or "")
    assert "--start kept.yaml" in (fitted.method or "")  # where the search began
    capsys.readouterr()
    # a start file that is not a parameter set is named with its field; nothing written
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\ndwell_scale: -1\n", encoding="utf-8")
    assert main([*args[:3], "--start", str(bad), "--out", str(tmp_path / "no.yaml")]) == 1
    err = capsys.readouterr().err
    assert "parameters file" in err
    assert "bad.yaml:1 [dwell_scale]" in err
    assert not (tmp_path / "no.yaml").exists()
    bad.write_text("schema_version: 7\n", encoding="utf-8")
    assert main([*args[:3], "--start", str(bad)]) == 1
    assert "bad.yaml:1 [schema_version]" in capsys.readouterr().err
    assert main([*args, "--refine"]) == 2
    assert "--refine or --start" in capsys.readouterr().err
    assert main([*args[:5], "--passes", "0"]) == 2
    assert "--passes" in capsys.readouterr().err


def test_a_two_way_capacity_adds_both_directions(tmp_path: Path, embedded: Network) -> None:
    # the package's capacities are per direction; a published two-way figure is checked
    # against a crossing's plus its reverse's, or twice an undirected link's
    pkg = tmp_path / "toy"
    shutil.copytree(TOY, pkg)
    crossings = (pkg / "crossings.csv").read_text(encoding="utf-8")
    (pkg / "crossings.csv").write_text(
        crossings.replace(
            "az-ge-rail,gardabani-boyuk_kasik,AZ,GE,boyuk_kasik,10,20,3,open,,",
            "az-ge-rail,gardabani-boyuk_kasik,AZ,GE,boyuk_kasik,10,20,3,open,600,",
        ),
        encoding="utf-8",
    )
    with (pkg / "observations.csv").open("a", encoding="utf-8") as f:
        f.write(
            "cap-both,capacity,2025,1400,t_per_year,,,0.1,x,"
            "capacity crossing=ge-az-rail both=true,2025-11-10,false,toy,false,,\n"
        )
    net = load_network(pkg)
    [row] = check(net, ids=["cap-both"]).rows
    one_way = net.crossings["ge-az-rail"].capacity_t_per_year
    other_way = net.crossings["az-ge-rail"].capacity_t_per_year
    assert one_way is not None
    assert other_way is not None
    assert row.model == pytest.approx(one_way + other_way)
    # a link's, on the embedded Kuryk ferry: twice its capacity on the date
    [kuryk] = check(embedded, ids=["cap-kuryk-ferry-complex-2019"]).rows
    cap = embedded.as_of("2019-07-01").links["ferry-alat-kuryk"].capacity_t_per_year
    assert cap is not None
    assert kuryk.model == pytest.approx(2 * cap)
    with pytest.raises(ValueError, match="both must be true or false"):
        parse_query("capacity link=x both=yes")


def test_calibration_on_a_cluster_fits_as_in_process(tmp_path: Path) -> None:
    """The grid of a multiplier evaluated on a local Dask cluster picks what the search
    in one process picks: the same parameters, fit and evaluation count, on a toy whose
    border dwell is an estimate half the observed one (so the search must move)."""
    from overland.analyses.calibration import calibrate

    pkg = _toy_with_estimated_post(tmp_path)
    observations = (pkg / "observations.csv").read_text(encoding="utf-8")
    (pkg / "observations.csv").write_text(
        observations.replace("dw-ge-az,dwell,2025,12,", "dw-ge-az,dwell,2025,20,"), encoding="utf-8"
    )
    grid = (0.5, 1.0, 2.0)
    here = calibrate(pkg, grid=grid, passes=1)
    assert here.parameters.dwell_scale == 2.0  # the search moved
    there = calibrate(pkg, grid=grid, passes=1, scheduler="local", workers=2)
    assert there.parameters.model_dump(exclude={"fitted_on"}) == here.parameters.model_dump(
        exclude={"fitted_on"}
    )
    assert there.evaluations == here.evaluations
    assert there.after.summary() == here.after.summary()
    assert there.before.summary() == here.before.summary()
