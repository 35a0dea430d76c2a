"""The command line, driven through ``main(argv)`` as a user would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from overland.cli import main
from overland.schema import schema_markdown

DOCS = Path(__file__).parent.parent / "docs"


def run_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> Any:
    assert main([*args, "--json"]) == code
    captured = capsys.readouterr()
    return json.loads(captured.out)


def test_timeline_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "timeline", "--date", "2025-10-01")
    assert doc["date"] == "2025-10-01"
    assert {"events_applied", "rules_in_force", "closed_links"} <= doc.keys()
    assert "az-transit-ban-armenia" in [r["id"] for r in doc["rules_in_force"]]
    doc = run_json(capsys, "timeline", "--date", "2025-11-10")
    assert "az-transit-ban-armenia" not in [r["id"] for r in doc["rules_in_force"]]


def test_timeline_dates_differ_by_the_events_between(capsys: pytest.CaptureFixture[str]) -> None:
    early = run_json(capsys, "timeline", "--date", "1995-01-01")
    late = run_json(capsys, "timeline", "--date", "2025-12-01")
    listing = run_json(capsys, "timeline")
    between = [e["id"] for e in listing["events"] if "1995-01-01" < e["date"] <= "2025-12-01"]
    assert late["events_applied"][: len(early["events_applied"])] == early["events_applied"]
    assert late["events_applied"][len(early["events_applied"]) :] == between
    newly_closed = set(late["closed_links"]) - set(early["closed_links"])
    reopened = set(early["closed_links"]) - set(late["closed_links"])
    changed = {
        c["id"]
        for e in listing["events"]
        if e["id"] in between
        for c in e["changes"]
        if c["target"] == "link"
    }
    assert newly_closed | reopened <= changed


def test_timeline_listing_has_sources(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "timeline")
    assert len(doc["events"]) >= 25
    assert all(e["status"] == "happened" for e in doc["events"])
    for e in doc["events"]:
        assert e["sources"]
        assert all(s["url"] for s in e["sources"])
    scen = run_json(capsys, "timeline", "--scenario", "tripp")
    assert "tripp-rail-opens" in [e["id"] for e in scen["events"]]


def test_timeline_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "--date", "1995-01-01"]) == 0
    out = capsys.readouterr().out
    assert "Cargo bound to or from Armenia may not transit Azerbaijan" in out
    assert "Akhuryan – Doğukapı" in out


def test_a_date_the_data_does_not_reach_is_noted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "--date", "2099-01-01", "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["date"] == "2099-01-01"  # stdout stays one JSON document
    assert "after the data's as-of date" in out.err
    assert "flows for 2099 use the 2025 rows" in out.err
    assert main(["timeline", "--date", "2014-01-01"]) == 0
    early = capsys.readouterr().err
    assert "as-of" not in early
    assert "flows for 2014 use the 2015 rows" in early
    assert main(["timeline", "--date", "2020-01-01"]) == 0
    assert "note:" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "kind", "text"),
    [
        (["timeline", "--date", "2025-02-30"], "bad_argument", "no such day"),
        (["timeline", "--scenario", "trip"], "bad_scenario", "valid scenarios are"),
        (["summary", "--date", "1900-01-01"], "bad_scenario", "base date"),
        (["scenarios", "--diff", "tripp"], "bad_argument", "two scenario names"),
    ],
)
def test_bad_arguments_give_json_errors(
    capsys: pytest.CaptureFixture[str], args: list[str], kind: str, text: str
) -> None:
    doc = run_json(capsys, *args, code=2)
    assert doc["error"]["type"] == kind
    assert text in doc["error"]["message"]


def test_bad_argument_without_json_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "--date", "yesterday"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: bad date 'yesterday'")
    assert "Traceback" not in captured.err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fly"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_invalid_package_is_reported(
    tmp_path: Path, toy_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(toy_path, pkg)
    (pkg / "places.csv").write_text("id,name\n", encoding="utf-8")
    doc = run_json(capsys, "summary", "--package", str(pkg), code=1)
    assert doc["error"]["type"] == "invalid_network"
    assert any(p["file"] == "places.csv" for p in doc["error"]["problems"])


def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "summary", "--date", "2025-11-10")
    assert doc["places"] >= 120
    assert doc["links"] >= 180
    assert "tripp" in doc["scenarios"]
    assert doc["state"]["date"] == "2025-11-10"
    assert main(["summary"]) == 0
    assert "South Caucasus" in capsys.readouterr().out


def test_scenarios_listing_and_diff(capsys: pytest.CaptureFixture[str]) -> None:
    listing = run_json(capsys, "scenarios")
    ids = {s["id"] for s in listing["scenarios"]}
    assert {"tripp", "margara", "kars-dilucu", "open-caucasus"} <= ids
    d = run_json(capsys, "scenarios", "--diff", "none,tripp")
    assert d["date"] == "2028-12-31"
    tripp_link = {"id": "rail-aghband-meghri_border_east", "a": "closed", "b": "open"}
    assert tripp_link in d["links_changed"]
    assert d["events_only_in_a"] == []


def test_export_geojson_loads_in_geopandas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import geopandas

    out = tmp_path / "net.geojson"
    assert main(["export", "geojson", "--out", str(out), "--date", "2025-11-10"]) == 0
    capsys.readouterr()
    gdf = geopandas.read_file(out)
    summary = run_json(capsys, "summary")
    places = gdf[gdf["feature_type"] == "place"]
    links = gdf[gdf["feature_type"] == "link"]
    assert len(places) == summary["places"]
    assert len(links) == summary["links"]
    assert set(places.geom_type) == {"Point"}
    assert set(links.geom_type) == {"LineString"}
    for col in ("mode", "gauge", "length_km", "status", "source", "from", "to", "crossings"):
        assert col in links.columns
    btk = links[links["id"] == "rail-kartsakhi-kars"].iloc[0]
    assert btk["status"] == "open"
    assert btk["base_status"] == "planned"


def test_export_csv_writes_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    assert main(["export", "csv", "--out", str(tmp_path / "csv"), "--date", "1995-01-01"]) == 0
    capsys.readouterr()
    links = pd.read_csv(tmp_path / "csv" / "links.csv")
    assert links.set_index("id").loc["rail-akhuryan-dogukapi", "status"] == "closed"
    assert {"places.csv", "crossings.csv", "transfers.csv"} <= {
        p.name for p in (tmp_path / "csv").iterdir()
    }


def test_export_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "kml", "--out", str(tmp_path / "x.kml")]) == 2
    assert "valid: geojson, csv" in capsys.readouterr().err
    assert not (tmp_path / "x.kml").exists()


def test_schema_docs_are_current() -> None:
    assert (DOCS / "schema.md").read_text(encoding="utf-8") == schema_markdown() + "\n"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("overland ")


def test_route_loaded_adds_the_flows_queues(capsys: pytest.CaptureFixture[str]) -> None:
    # the Middle Corridor in mid-2024: the corridor flows queue the Caspian ferry, so the
    # loaded route takes longer; what it adds is at most the queues of the links it uses
    from overland import embedded_network
    from overland.analyses.flows import corridor_flows

    args = ["route", "xian", "duisburg", "-c", "containers", "--avoid", "RU,IR"]
    args += ["--modes", "rail,ferry,road", "--date", "2024-06-01", "--json"]
    assert main([*args, "--loaded"]) == 0
    [r] = json.loads(capsys.readouterr().out)["routes"]
    assert main(args) == 0
    [plain] = json.loads(capsys.readouterr().out)["routes"]
    assert "queue_h" not in plain
    assert plain["links"] == r["links"]
    flows = corridor_flows(embedded_network(), date="2024-06-01")
    waits = dict(zip(flows.links["link"], flows.links["wait_added_h"], strict=True))
    assert 24 < r["queue_h"] <= sum(waits.get(lid, 0.0) for lid in r["links"]) + 1e-6
    assert r["loaded_days"] == pytest.approx(r["days"] + r["queue_h"] / 24, abs=2e-3)
