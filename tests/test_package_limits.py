"""Hardened package loading: YAML alias bombs and deep nesting, size and row caps,
unreadable CSV lines reported one by one, symbolic links out of the package refused.

Every fixture is written into ``tmp_path`` over a copy of the toy package. Memory is
bounded with tracemalloc peaks, never with wall-clock time.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from overland import NetworkDataError, load_network, validate_package
from overland.cli import main
from overland.errors import BadArgumentError, Problem
from overland.package import DEFAULT_LIMITS, LoadLimits, limits_markdown, read_package
from overland.validation import ValidationReport

TOY = Path(__file__).parent / "fixtures" / "toy"
T = TypeVar("T")

#: Peak Python allocation allowed while refusing a bomb. Reading the toy package
#: itself peaks near 1 MiB; before the limits a 7-level bomb took 190-270 MB.
PEAK_BOUND_MIB = 16


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A writable copy of the toy package."""
    target = tmp_path / "pkg"
    shutil.copytree(TOY, target)
    return target


def laughs(levels: int) -> str:
    """A flow-style "billion laughs" list: 10**levels strings once aliases are expanded."""
    parts = ["&l0 [" + ", ".join(["lol"] * 10) + "]"]
    for i in range(1, levels):
        parts.append(f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "[" + ", ".join(parts) + "]"


def add_event(package: Path, changes: str, event_id: str = "extra") -> None:
    """Append one event whose ``changes`` line is given as YAML text."""
    events = package / "events.yaml"
    events.write_text(
        events.read_text(encoding="utf-8") + f"- id: {event_id}\n"
        "  date: 2000-01-01\n"
        "  status: happened\n"
        "  title: extra\n"
        f"  changes: {changes}\n"
        "  source: [toy]\n",
        encoding="utf-8",
    )


def with_peak(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and the peak memory it allocated, in MiB."""
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 2**20


def errors_in(report: ValidationReport, file: str) -> list[Problem]:
    return [p for p in report.errors if p.file == file]


def all_text(report: ValidationReport) -> str:
    """Everything a user could be shown about the problems."""
    return json.dumps(report.as_dict()) + "\n".join(str(p) for p in report.problems)


# --------------------------------------------------------------------------- YAML


def test_toy_peak_is_small(package: Path) -> None:
    """The baseline the bomb bounds are measured against."""
    report, peak = with_peak(lambda: validate_package(package))
    assert report.ok
    assert peak < PEAK_BOUND_MIB


def test_alias_bomb_in_event_changes_is_refused_cheaply(package: Path) -> None:
    add_event(package, f"[{{target: link, id: yerevan-gyumri, set: {{note: {laughs(7)}}}}}]")
    report, peak = with_peak(lambda: validate_package(package))
    assert peak < PEAK_BOUND_MIB
    (problem,) = errors_in(report, "events.yaml")
    assert "max_yaml_nodes" in problem.message
    assert f"{DEFAULT_LIMITS.max_yaml_nodes:,}" in problem.message
    assert problem.row is not None
    assert problem.row > 35  # the line of the new event
    with pytest.raises(NetworkDataError):
        load_network(package)


def test_alias_bomb_in_manifest_title_is_refused_cheaply(package: Path) -> None:
    manifest = package / "overland.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace("title: Toy network for hand-checked tests", f"title: {laughs(7)}"),
        encoding="utf-8",
    )
    report, peak = with_peak(lambda: validate_package(package))
    assert peak < PEAK_BOUND_MIB
    (problem,) = errors_in(report, "overland.yaml")
    assert "max_yaml_nodes" in problem.message
    assert len(str(problem)) < 300


def test_alias_count_cap(package: Path) -> None:
    """A few aliases are fine by default; the count itself is capped too."""
    events = package / "events.yaml"
    text = events.read_text(encoding="utf-8")
    text = text.replace("  source: [toy]", "  source: &toy [toy]", 1)
    head, tail = text.split("&toy [toy]", 1)
    events.write_text(head + "&toy [toy]" + tail.replace("source: [toy]", "source: *toy"), "utf-8")
    assert validate_package(package).ok
    report = validate_package(package, limits=LoadLimits(max_aliases=2))
    (problem,) = errors_in(report, "events.yaml")
    assert "more than 2 aliases" in problem.message
    assert "max_aliases" in problem.message


def test_recursive_alias_is_malformed_not_a_crash(package: Path) -> None:
    add_event(package, "&loop [*loop]")
    report = validate_package(package)
    (problem,) = errors_in(report, "events.yaml")
    assert "malformed YAML" in problem.message
    assert "contains it" in problem.message


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_a_problem_not_a_recursion_error(
    package: Path, opening: str, closing: str
) -> None:
    depth = 100_000
    add_event(package, opening * depth + "x" + closing * depth)
    report, peak = with_peak(lambda: validate_package(package))
    assert peak < PEAK_BOUND_MIB
    (problem,) = errors_in(report, "events.yaml")
    assert "nested more than 64 levels deep" in problem.message
    assert "max_yaml_depth" in problem.message


def test_nesting_within_the_depth_limit_is_read(package: Path) -> None:
    scenario = package / "scenarios" / "reopen.yaml"
    nested = "[" * 40 + "x" + "]" * 40
    scenario.write_text(scenario.read_text(encoding="utf-8") + f"description: {nested}\n", "utf-8")
    report = validate_package(package)
    (problem,) = errors_in(report, "scenarios/reopen.yaml")
    assert problem.field == "description"  # read, then rejected by the schema: not a string
    assert "max_yaml_depth" not in problem.message
    report = validate_package(package, limits=LoadLimits(max_yaml_depth=30))
    (problem,) = errors_in(report, "scenarios/reopen.yaml")
    assert "nested more than 30 levels deep" in problem.message


# --------------------------------------------------------------------------- caps


def test_file_over_the_byte_cap_is_refused_before_reading(package: Path) -> None:
    links = package / "links.csv"
    with links.open("r+b") as fh:  # sparse: 1 GiB on paper, nothing on disk
        fh.truncate(2**30)
    report, peak = with_peak(lambda: validate_package(package))
    assert peak < PEAK_BOUND_MIB
    (problem,) = errors_in(report, "links.csv")
    assert f"file is {2**30:,} bytes" in problem.message
    assert f"limit of {DEFAULT_LIMITS.max_file_bytes:,} bytes" in problem.message
    assert "max_file_bytes" in problem.message
    # no follow-on "unknown link" errors from the other tables
    assert {p.file for p in report.errors} == {"links.csv"}


def test_byte_caps_name_exactly_the_files_over_them(package: Path) -> None:
    cap = 500
    report = validate_package(package, limits=LoadLimits(max_file_bytes=cap, max_yaml_bytes=cap))
    over = {
        str(f.relative_to(package))
        for f in package.rglob("*")
        if f.is_file() and f.stat().st_size > cap
    }
    assert {f.endswith(".csv") for f in over} == {True, False}  # both kinds over, some under
    refused = {p.file: p.message for p in report.errors if "bytes, more than" in p.message}
    assert set(refused) == over
    for file, message in refused.items():
        assert ("max_file_bytes" if file.endswith(".csv") else "max_yaml_bytes") in message


def grow_links(package: Path, extra: int, seed: int = 12) -> int:
    """Append ``extra`` valid copies of the toy's domestic rail links; return the row count."""
    links = package / "links.csv"
    lines = links.read_text(encoding="utf-8").splitlines()
    domestic = ("yerevan-gyumri", "gyumri-ayrum", "sadakhlo-tbilisi", "boyuk_kasik-baku")
    rail = [line for line in lines[1:] if line.split(",")[0] in domestic]
    assert len(rail) == len(domestic)
    rng = random.Random(seed)
    copies = []
    for i in range(extra):
        row = rng.choice(rail).split(",")
        row[0] = f"{row[0]}-copy{i}"
        copies.append(",".join(row))
    links.write_text("\n".join([*lines, *copies]) + "\n", encoding="utf-8")
    return len(lines) - 1 + extra


def test_row_cap_refuses_a_long_table_and_raising_it_loads(package: Path) -> None:
    rows = grow_links(package, 1_500)
    small = LoadLimits(max_rows=1_000)
    report = validate_package(package, limits=small)
    (problem,) = errors_in(report, "links.csv")
    assert "more than 1,000 data rows" in problem.message
    assert "max_rows" in problem.message
    assert problem.row == 1_002  # header + 1,000 rows, then the one over
    assert {p.file for p in report.errors} == {"links.csv"}
    with pytest.raises(NetworkDataError, match="max_rows"):
        load_network(package, limits=small)
    raw = read_package(package, limits=small)
    assert raw.tables["links"] == []
    assert raw.refused == ["links.csv"]

    net = load_network(package, limits=LoadLimits(max_rows=rows))
    assert len(net.links) == rows
    assert validate_package(package).ok  # the default cap is far above this


def test_total_row_cap_counts_every_table(package: Path) -> None:
    grow_links(package, 1_500)
    limits = LoadLimits(max_total_rows=1_000)
    report = validate_package(package, limits=limits)
    (problem,) = report.errors
    assert problem.file == "links.csv"
    assert "more than 1,000 data rows in all" in problem.message
    assert "max_total_rows" in problem.message
    earlier = read_package(package)  # the tables read before links.csv count too
    before = sum(len(earlier.tables[name]) for name in ("sources", "countries", "places"))
    assert 0 < before < 1_000
    assert problem.row == 1 + 1_000 - before + 1


def test_raising_the_byte_cap_loads_the_file(package: Path) -> None:
    size = max(f.stat().st_size for f in package.iterdir() if f.is_file())  # the largest
    assert not validate_package(package, limits=LoadLimits(max_file_bytes=size - 1)).ok
    net = load_network(package, limits=LoadLimits(max_file_bytes=size))
    assert "gas-tbilisi-kars" in net.links


def test_limits_section_lists_every_limit_and_default() -> None:
    text = "\n".join(limits_markdown())
    assert text.startswith("## Limits")
    for f in dataclasses.fields(LoadLimits):
        assert f"| `{f.name}` | {getattr(DEFAULT_LIMITS, f.name):,} |" in text


def test_limits_are_frozen_and_checked() -> None:
    limits = LoadLimits()
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.max_rows = 5  # type: ignore[misc]
    with pytest.raises(BadArgumentError, match="max_rows"):
        LoadLimits(max_rows=0)
    with pytest.raises(BadArgumentError, match="max_aliases"):
        LoadLimits(max_aliases=-1)
    assert LoadLimits(max_aliases=0).max_aliases == 0


# --------------------------------------------------------------------------- bad lines


@pytest.mark.parametrize(("bad", "words"), [(b"\x00", "NUL byte"), (b"\xff", "not valid UTF-8")])
def test_one_bad_line_is_one_problem_and_the_rest_loads(
    package: Path, bad: bytes, words: str
) -> None:
    links = package / "links.csv"
    lines = links.read_bytes().split(b"\n")
    assert lines[10].startswith(b"gas-tbilisi-kars,")  # line 11: referenced nowhere else
    lines[10] = lines[10].replace(b"tbilisi,kars", b"tbilisi" + bad + b",kars")
    links.write_bytes(b"\n".join(lines))
    report = validate_package(package)
    (problem,) = report.errors  # exactly one, and no follow-on errors
    assert (problem.file, problem.row) == ("links.csv", 11)
    assert words in problem.message
    ids = [loc.item.id for loc in read_package(package).tables["links"]]
    toy_ids = [line.split(",")[0] for line in (TOY / "links.csv").read_text().splitlines()[1:]]
    assert ids == [i for i in toy_ids if i != "gas-tbilisi-kars"]


def test_huge_values_are_not_echoed_whole(package: Path) -> None:
    links = package / "links.csv"
    text = links.read_text(encoding="utf-8")
    huge = "9x" * 50_000
    links.write_text(
        text.replace(
            "gas-tbilisi-kars,,tbilisi,kars,gas_pipeline,,230,",
            f"gas-tbilisi-kars,,tbilisi,kars,gas_pipeline,,{huge},",
        ),
        encoding="utf-8",
    )
    add_event(
        package,
        "[{target: link, id: gyumri-kars, set: {status: [" + ", ".join(["long"] * 50_000) + "]}}]",
    )
    report = validate_package(package)
    (bad_length,) = errors_in(report, "links.csv")
    assert bad_length.field == "length_km"
    assert bad_length.value is not None
    assert len(bad_length.value) <= 200
    assert len(bad_length.message) < 400
    (bad_status,) = errors_in(report, "events.yaml")
    assert len(str(bad_status)) < 400
    assert len(bad_status.value or "") <= 200


def test_a_utf16_table_is_given_up_with_few_problems(package: Path) -> None:
    places = package / "places.csv"
    places.write_bytes(places.read_text(encoding="utf-8").encode("utf-16"))
    report = validate_package(package)
    mine = errors_in(report, "places.csv")
    assert 1 <= len(mine) <= 21
    assert read_package(package).tables["places"] == []


def test_lone_carriage_returns_and_bom_still_read(package: Path) -> None:
    links = package / "links.csv"
    links.write_bytes(b"\xef\xbb\xbf" + links.read_bytes().replace(b"\n", b"\r"))
    report = validate_package(package)
    assert report.ok, [str(p) for p in report.problems]


# --------------------------------------------------------------------------- symlinks

SECRET = "root:x:0:0:SECRET-MARKER-7f3a:/root:/bin/bash"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the package, like /etc/passwd."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "passwd"
    path.write_text(SECRET + "\n" + SECRET + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("file", ["links.csv", "events.yaml", "overland.yaml"])
def test_symlink_out_of_the_package_is_refused(package: Path, secret: Path, file: str) -> None:
    (package / file).unlink()
    (package / file).symlink_to(secret)
    report = validate_package(package)
    (problem,) = errors_in(report, file)
    assert "outside the package" in problem.message
    assert "SECRET-MARKER" not in all_text(report)
    assert "root:x" not in all_text(report)
    with pytest.raises(NetworkDataError) as info:
        load_network(package)
    assert "SECRET-MARKER" not in str(info.value)


def test_symlinked_scenario_file_and_folder_are_refused(
    package: Path, secret: Path, tmp_path: Path
) -> None:
    (package / "scenarios" / "evil.yaml").symlink_to(secret)
    report = validate_package(package)
    (problem,) = errors_in(report, "scenarios/evil.yaml")
    assert "outside the package" in problem.message
    assert "SECRET-MARKER" not in all_text(report)

    (package / "scenarios" / "evil.yaml").unlink()
    elsewhere = tmp_path / "elsewhere"
    shutil.move(package / "scenarios", elsewhere)
    (elsewhere / "leak.yaml").write_text(f"id: {SECRET}\n", encoding="utf-8")
    (package / "scenarios").symlink_to(elsewhere, target_is_directory=True)
    report = validate_package(package)
    (problem,) = errors_in(report, "scenarios")
    assert "outside the package" in problem.message
    assert "SECRET-MARKER" not in all_text(report)


def test_symlink_within_the_package_is_followed(package: Path) -> None:
    (package / "data").mkdir()
    shutil.move(package / "links.csv", package / "data" / "links.csv")
    (package / "links.csv").symlink_to(Path("data") / "links.csv")
    assert validate_package(package).ok
    assert "gyumri-kars" in load_network(package).links


# --------------------------------------------------------------------------- CLI


def test_cli_validate_reports_the_bomb_without_a_traceback(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_event(package, f"[{{target: link, id: yerevan-gyumri, set: {{note: {laughs(7)}}}}}]")
    assert main(["validate", str(package)]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "Traceback" not in out
    assert "events.yaml" in out
    assert "max_yaml_nodes" in out
    assert "INVALID" in out
    assert main(["validate", str(package), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert any("max_yaml_nodes" in p["message"] for p in doc["problems"])


def test_a_pickled_network_is_reloaded_with_its_limits() -> None:
    import pickle

    from overland import load_network

    roomy = LoadLimits(max_rows=400_000, max_total_rows=900_000)
    net = load_network(TOY, limits=roomy)
    again = pickle.loads(pickle.dumps(net))
    assert again.limits == roomy
    assert again.places.keys() == net.places.keys()
    assert pickle.loads(pickle.dumps(load_network(TOY))).limits == DEFAULT_LIMITS


def test_the_cli_takes_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    from overland.cli import main

    assert main(["--max-rows", "3", "validate", str(TOY)]) == 1
    out = capsys.readouterr().out
    assert "more than 3 data rows" in out
    assert "--max-rows" in out
    assert main(["--max-rows", "3", "route", "Yerevan", "Baku", "-p", str(TOY)]) == 1
    assert main(["--max-rows", "1000", "validate", str(TOY)]) == 0
    assert main(["validate", str(TOY)]) == 0  # the next command is back to the defaults
