"""Validation: the toy and embedded packages pass; every broken case is named precisely."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from overland import NetworkDataError, load_network, validate_package
from overland.cli import main
from overland.package import embedded_package_path

BROKEN = Path(__file__).parent / "fixtures" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def _expect(case: str) -> dict[str, object]:
    data = yaml.safe_load((BROKEN / case / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_toy_is_valid(toy_path: Path) -> None:
    report = validate_package(toy_path)
    assert report.ok, [str(p) for p in report.problems]
    assert report.problems == ()


def test_embedded_is_valid() -> None:
    report = validate_package(embedded_package_path())
    assert report.ok, "\n".join(str(p) for p in report.errors)


def test_there_are_broken_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_broken_case_is_reported_precisely(case: str, overlay: Callable[[Path], Path]) -> None:
    path = overlay(BROKEN / case)
    expect = _expect(case)
    report = validate_package(path)
    assert not report.ok
    matches = [
        p
        for p in report.errors
        if p.file == expect["file"]
        and p.row == expect["row"]
        and p.field == expect["field"]
        and str(expect["message_contains"]) in p.message
    ]
    assert matches, f"expected {expect}, got:\n" + "\n".join(
        f"{p.file}:{p.row} [{p.field}] {p.message}" for p in report.problems
    )
    with pytest.raises(NetworkDataError) as info:
        load_network(path)
    assert any(p == matches[0] for p in info.value.problems)


@pytest.mark.parametrize("case", CASES)
def test_cli_validate_names_file_row_and_field(
    case: str, overlay: Callable[[Path], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay(BROKEN / case)
    expect = _expect(case)
    assert main(["validate", str(path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert any(
        p["file"] == expect["file"] and p["row"] == expect["row"] and p["field"] == expect["field"]
        for p in doc["problems"]
    )
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert str(expect["file"]) in out
    assert "INVALID" in out


def test_every_problem_is_reported_at_once(overlay: Callable[[Path], Path]) -> None:
    path = overlay(BROKEN / "unknown_place")
    links = (path / "links.csv").read_text(encoding="utf-8")
    links = links.replace("gyumri-ayrum,,gyumri,ayrum,rail", "gyumri-ayrum,,gyumri,ayrum,train")
    (path / "links.csv").write_text(links, encoding="utf-8")
    report = validate_package(path)
    fields = {(p.row, p.field) for p in report.errors}
    assert (2, "from") in fields
    assert (3, "mode") in fields


def test_missing_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().out
