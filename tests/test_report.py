"""The main job: ``overland report`` answers the articles' questions, with maps and charts
that a real browser shows."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import Chromium
from overland.cli import main
from overland.report.outlines import default_atlas_path, read_outlines


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Run ``overland report --json`` once for the module: its folder and its JSON."""
    out = tmp_path_factory.mktemp("report")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["report", "--out", str(out), "--json"]) == 0
    return out, json.loads(buf.getvalue())


@pytest.fixture
def report_dir(built: tuple[Path, dict[str, Any]]) -> Path:
    return built[0]


def test_outlines_are_installed_and_decode() -> None:
    outlines = read_outlines()
    names = {c.name for c in outlines}
    assert {"Armenia", "Azerbaijan", "Georgia", "Turkey", "Iran", "Kazakhstan"} <= names
    arm = next(c for c in outlines if c.name == "Armenia")
    lon0, lat0, lon1, lat1 = arm.bbox()
    assert 43 < lon0 < lon1 < 47
    assert 38 < lat0 < lat1 < 42


def test_report_answers_the_questions(report_dir: Path) -> None:
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    for section in ("wheat", "nakhchivan", "eurasia", "armenia", "timeline"):
        assert f"id='{section}'" in page
    assert page.count("<svg") >= 8  # a map and a chart per case
    assert "az-transit-ban-armenia" in page
    # self-contained: nothing is fetched from the network when the page is opened
    for needle in ("<script", "<link", "src=", "url(http", "@import"):
        assert needle not in page, needle


def test_report_json_rows(built: tuple[Path, dict[str, Any]]) -> None:
    doc = built[1]
    cases = {c["id"]: c for c in doc["cases"]}
    wheat = cases["wheat"]["rows"]
    assert wheat[0]["exists"] is False
    assert "az-transit-ban-armenia" in wheat[0]["reason"]
    assert wheat[2]["route"]["countries"] == ["RU", "AZ", "GE", "AM"]
    nakh = cases["nakhchivan"]["rows"]
    assert nakh[2]["route"]["countries"] == ["AZ", "AM", "AZ"]
    assert nakh[2]["route"]["time_h"] < nakh[1]["route"]["time_h"]
    eurasia = cases["eurasia"]["rows"]
    assert all(r["exists"] for r in eurasia)
    middle = eurasia[1]["route"]["countries"]
    assert "RU" not in middle
    assert "IR" not in middle
    armenia = cases["armenia"]["rows"]
    assert armenia[1]["route"]["countries"] == ["AM", "TR"]
    assert armenia[1]["route"]["time_h"] < armenia[0]["route"]["time_h"]
    assert doc["notes"] == []  # outlines were found


def test_report_renders_in_a_real_browser(
    report_dir: Path, tmp_path: Path, chromium: Chromium
) -> None:
    browser = chromium.path
    shot = tmp_path / "report.png"
    flags = [
        "--headless",
        *chromium.flags,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--hide-scrollbars",
    ]
    url = (report_dir / "index.html").resolve().as_uri()
    subprocess.run(
        [browser, *flags, "--window-size=1200,2400", f"--screenshot={shot}", url],
        check=True,
        capture_output=True,
        timeout=600,
    )
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", url],
        check=True,
        capture_output=True,
        timeout=600,
        text=True,
    ).stdout
    assert dom.count("<svg") >= 8
    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(shot)
    assert img.shape[0] >= 2000
    assert img.shape[1] >= 1000
    # a rendered page with maps and charts has many distinct colours, not a blank page
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 500
    assert default_atlas_path().is_file()


def test_report_has_the_utility_layers(built: tuple[Path, dict[str, Any]]) -> None:
    out, doc = built
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "id='layers'" in page
    rows = {r["question"]: r for r in doc["layers"]}
    power = rows["Azerbaijan's grid (Ganja) to Nakhchivan"]
    assert not power["as_of"]
    assert power["compared"] > 0
    assert power["compare_scenario"] == "tripp"


def test_report_has_the_corridor_flows(built: tuple[Path, dict[str, Any]]) -> None:
    out, doc = built
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "id='flows'" in page
    assert "Bottlenecks: demand x3" in page
    runs = {f["label"]: f for f in doc["flows"]}
    assert set(runs) == {"2024 (calibration)", "today", "tripp", "margara", "demand x3"}
    assert runs["demand x3"]["total_tonnes"] == pytest.approx(3 * runs["today"]["total_tonnes"])
    # the TRIPP opens transit through Armenia's south: more tonnes cross Armenia
    assert runs["tripp"]["transit_tonnes"]["AM"] > runs["today"]["transit_tonnes"]["AM"]
    assert any(b["volume_capacity"] > 1 for b in runs["demand x3"]["bottlenecks"])


def test_report_has_the_resilience_section(built: tuple[Path, dict[str, Any]]) -> None:
    out, doc = built
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "id='resilience'" in page
    res = doc["resilience"]
    impacts = [f["impact_usd_per_year"] for f in res["failures"]]
    assert impacts == sorted(impacts, reverse=True)
    assert len(impacts) == 12
    share = {(d["run"], d["via"]): d["share_tonnes"] for d in res["dependence"]}
    before = "before the ban was lifted (2025-06-01)"
    # no Armenian cargo transits Azerbaijan under the ban; some does once it is lifted
    assert share[(before, "AZ")] == 0
    assert share[("today", "AZ")] > 0
    # opening Margara moves Armenia's trade onto Türkiye
    assert share[("Margara open", "TR")] > 3 * share[("today", "TR")]
    for r in res["reliability"]:
        assert r["p50_h"] <= r["p90_h"] <= r["p95_h"]
    assert all(d["backlog_tonnes"] > 0 for d in res["disruptions"])


def test_report_of_a_package_without_report_yaml(tmp_path: Path) -> None:
    """The toy has no report.yaml: its report is built from what it has — routes between
    its main places (its largest demand flows), flows, criticality — on its data_as_of."""
    out = tmp_path / "toy-report"
    toy = Path(__file__).parent / "fixtures" / "toy"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["report", "--package", str(toy), "--out", str(out), "--json"]) == 0
    doc = json.loads(buf.getvalue())
    from overland import load_network

    net = load_network(toy)
    assert doc["as_of"] == net.manifest.data_as_of.isoformat()
    [case] = doc["cases"]
    biggest = max(net.demand.values(), key=lambda d: d.tonnes_per_year)
    first = case["rows"][0]["route"]
    assert first["places"][0] == biggest.origin
    assert first["places"][-1] == biggest.destination
    assert {f["label"] for f in doc["flows"]} == {"as of the data", "demand x3"}
    assert doc["resilience"]["failures"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "id='routes'" in page
    assert net.manifest.title in page
    assert "Caucasus" not in page.split("id='timeline'")[0]


def test_report_yaml_is_validated(tmp_path: Path) -> None:
    import shutil

    from overland.validation import validate_package

    pkg = tmp_path / "toy"
    shutil.copytree(Path(__file__).parent / "fixtures" / "toy", pkg)
    (pkg / "report.yaml").write_text(
        "schema_version: 1\ntitle: Toy\ncases:\n"
        "  - id: a\n    title: A\n    rows:\n"
        "      - {label: x, origin: Yerevan, destination: Atlantis}\n"
        "      - {label: y, origin: Yerevan, destination: Baku, scenario: nope}\n"
        "disruptions:\n  - {label: z, close: [no-such-link], days: 3}\n",
        encoding="utf-8",
    )
    report = validate_package(pkg)
    messages = [str(p) for p in report.errors]
    assert any(
        "unknown place 'Atlantis'" in m and "cases[0].rows[0].destination" in m for m in messages
    ), messages
    assert any("unknown scenario 'nope'" in m for m in messages), messages
    assert any("no-such-link" in m for m in messages), messages


def test_report_is_readable(built: tuple[Path, dict[str, Any]]) -> None:
    """Issue 17: legends name each route, tables show names not ids, flow and
    criticality maps carry a colour scale, each V/C above 1 is explained, sea lanes are
    not chords across the continent."""
    import re

    out, doc = built
    page = (out / "index.html").read_text(encoding="utf-8")
    # route legends: ends, corridor and countries, not just "#1: 16.9 d"
    assert "#1 Yerevan → Kars" in page
    assert "(Middle Corridor)" in page
    assert "same path as #5" in page  # a route under another is named, not hidden
    # no raw link ids in the tables (they are names)
    tables = "".join(re.findall(r"<table>.*?</table>", page, flags=re.S))
    assert not re.search(r">(rail|road|sea|ferry)-[a-z_]+-[a-z_]+<", tables)
    assert "rail-altynkol-khorgos_cn" not in tables
    # colour scales on the flow and criticality maps
    assert "Mt/yr (colour; line width grows with it too)" in page
    assert "bn USD/yr (colour; line width grows with it too)" in page
    # every V/C above 1 in the bottleneck table says what queues and what is unserved
    flows = page.split("id='flows'")[1].split("</section>")[0]
    rows = re.findall(r"<tr><td>(.*?)</tr>", flows.split("Bottlenecks")[1], flags=re.S)
    over = [r for r in rows if "queue" in r or "slot premium" in r]
    runs = {f["label"]: f for f in doc["flows"]}
    n_over = sum(b["volume_capacity"] > 1 for b in runs["demand x3"]["bottlenecks"][:12])
    assert len(over) == n_over > 0
    assert all("unserved" in r for r in over)
    # the dependence table names countries
    assert "Azerbaijan" in page.split("id='resilience'")[1]
