"""``overland import geojson``: points become places, lines links, attribute names mapped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overland import load_network
from overland.cli import main
from overland.errors import BadArgumentError
from overland.imports import GeojsonOptions, import_geojson
from overland.routing import shortest_route


def _fc(features: list[dict[str, object]]) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": features}


def _point(lon: float, lat: float, **props: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def _line(coords: list[list[float]], **props: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": coords},
    }


@pytest.fixture
def gis(tmp_path: Path) -> Path:
    doc = _fc(
        [
            _point(44.51, 40.18, code="EVN", label="Yerevan", what="city"),
            _point(43.86, 40.788, code="LWN", label="Gyumri", what="station"),
            _point(43.10, 40.61, code="KSY", label="Kars", what="city"),
            # ends snapped to Yerevan and Gyumri (within 0.5 km)
            _line(
                [[44.511, 40.181], [44.2, 40.45], [43.86, 40.788]],
                code="am1",
                type="rail",
                gauge="1520",
            ),
            _line(
                [[43.86, 40.788], [43.5, 40.7], [43.1, 40.61]],
                code="kars",
                type="rail",
                gauge="1435",
            ),
            # an end far from every point becomes a junction
            _line([[44.51, 40.18], [44.9, 40.1]], code="east", type="road"),
            _line([[44.51, 40.18], [44.3, 40.0]], code="nogauge", type="rail"),
        ]
    )
    path = tmp_path / "net.geojson"
    path.write_text(json.dumps(doc))
    return path


def test_points_and_lines_with_mapped_names(gis: Path, tmp_path: Path) -> None:
    options = GeojsonOptions(
        mapping={"id": "code", "name": "label", "kind": "what", "mode": "type"}
    )
    report = import_geojson(gis, tmp_path / "pkg", options=options)
    assert report.valid, report.problems
    assert report.unmapped["untagged_gauge"].examples == ["nogauge gauge=(none)"]
    net = load_network(tmp_path / "pkg")
    assert net.links["am1"].from_place == "evn"
    assert net.links["am1"].to_place == "lwn"
    assert net.links["east"].to_place == "j4010000_4490000"
    assert net.places["lwn"].kind == "station"
    route = shortest_route(net, "Yerevan", "Kars", modes=["rail"])
    assert route.countries == ("AM", "TR")
    assert route.gauge_changes == 1
    assert [b.place for b in route.borders] == ["lwn"]


def test_cli_map_option_and_bad_input(
    gis: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", "geojson", str(gis), "--out", str(tmp_path / "p"), "--json"]
    assert main([*args, "--map", "id=code,name=label,kind=what,mode=type"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"]
    assert main([*args, "--map", "colour=code"]) == 2
    assert "cannot map colour" in capsys.readouterr().out
    bad = tmp_path / "bad.geojson"
    bad.write_text("{")
    with pytest.raises(BadArgumentError, match="not valid GeoJSON"):
        import_geojson(bad, tmp_path / "q")
