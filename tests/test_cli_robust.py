"""The command line under stress: crashes, full disks, closed pipes, hostile cells, and
what it imports before doing any work."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import overland.export
from overland.cli import EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_INTERRUPTED, main
from overland.export import TMP_PREFIX, write_frame_atomic, write_frames_atomic

HEAVY = ("pandas", "numba", "matplotlib", "fastapi", "dask", "scipy", "distributed")
OVERLAND = Path(sys.executable).parent / "overland"


def _imported_after(code: str) -> list[str]:
    """Top-level packages (of HEAVY and overland.*) in sys.modules after ``code``, in a
    fresh interpreter."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted({m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r} or m.startswith('overland.')}})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return list(json.loads(out.splitlines()[-1]))


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TMP_PREFIX))


# ---------------------------------------------------------------------------- imports


def test_importing_the_cli_imports_no_heavy_library() -> None:
    loaded = _imported_after("import overland.cli")
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    assert "overland.network" not in loaded  # pydantic and YAML wait for a command
    assert "overland.schema" not in loaded  # (the argument parsers import it when used)


def test_version_and_help_import_no_heavy_library() -> None:
    for argv in (["--version"], ["--help"]):
        code = f"from overland.cli import main\nmain({argv!r})"
        loaded = _imported_after(code)
        assert not [m for m in loaded if m.split(".")[0] in HEAVY], argv


def test_lazy_package_names_still_import() -> None:
    import overland
    from overland import Network, embedded_network
    from overland.network import Network as NetworkClass

    assert Network is NetworkClass
    assert callable(embedded_network)
    assert set(overland.__all__) <= set(dir(overland))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = overland.nope  # type: ignore[attr-defined]
    assert "overland.network" not in _imported_after("import overland")


def test_help_texts_list_what_the_library_accepts() -> None:
    from overland.analyses.criticality import ELEMENT_KINDS
    from overland.cli import layers, resilience
    from overland.schema import UTILITY_MODES

    assert resilience.ELEMENT_KINDS == ELEMENT_KINDS
    assert layers.UTILITY_MODES == UTILITY_MODES


def test_warm_compiles_every_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warm", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["missing"] == []
    assert "overland.kernels._dijkstra" in doc["kernels"]
    assert "overland.assignment._kernels.gp_sweep" in doc["kernels"]
    assert "overland.assignment._bush.bush_iteration" in doc["kernels"]
    assert "warm" not in main_help(capsys)  # hidden: for the setup script


def main_help(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--help"]) == 0
    return capsys.readouterr().out


# ---------------------------------------------------------------------------- CSV cells


def test_formula_cells_are_escaped_and_numbers_stay_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "Baku"],
            "delta_usd": [-1.5, -2.0, 3.0, -4.25, 0.0, 1.0, -7.0],
            "count": [-1, 2, -3, 4, -5, 6, -7],
        }
    )
    path = write_frame_atomic(tmp_path / "t.csv", frame)
    back = pd.read_csv(path, keep_default_na=False)
    assert back["name"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Baku",
    ]
    assert pd.api.types.is_float_dtype(back["delta_usd"])
    assert back["delta_usd"].tolist() == frame["delta_usd"].tolist()
    assert pd.api.types.is_integer_dtype(back["count"])
    assert back["count"].tolist() == frame["count"].tolist()
    assert frame["name"].iloc[0].startswith("=")  # the caller's frame is not changed


def test_parquet_keeps_text_as_it_is(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": ["=1+2"], "v": [-1.0]})
    back = pd.read_parquet(write_frame_atomic(tmp_path / "t.parquet", frame))
    assert back["name"].tolist() == ["=1+2"]


def test_csv_export_escapes_place_names(
    toy_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(toy_path, pkg)
    places = pkg / "places.csv"
    text = places.read_text(encoding="utf-8")
    first = pd.read_csv(places)["name"].iloc[0]
    places.write_text(text.replace(first, f"=cmd|' /C calc'!A0 {first}", 1), encoding="utf-8")
    out = tmp_path / "csv"
    assert main(["export", "csv", "-p", str(pkg), "--out", str(out)]) == 0
    capsys.readouterr()
    names = pd.read_csv(out / "places.csv")["name"]
    assert names.iloc[0] == f"'=cmd|' /C calc'!A0 {first}"
    assert pd.api.types.is_float_dtype(pd.read_csv(out / "places.csv")["lat"])


# ---------------------------------------------------------------------------- folders


def _flows(toy_path: Path, out: Path, growth: str) -> int:
    args = ["flows", "-p", str(toy_path), "--date", "2025-11-10", "--growth", growth]
    return main([*args, "--out", str(out)])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_flows_out_is_all_new_or_all_old(
    toy_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    exchange: bool,
) -> None:
    if not exchange:
        monkeypatch.setattr(overland.export, "_exchange", lambda *_: False)
    out = tmp_path / "flows"
    assert _flows(toy_path, out, "1") == 0
    before = _snapshot(out)
    assert set(before) == {"links.csv", "od.csv"}

    real = overland.export._write_file
    calls: list[Path] = []

    def full_after_first(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(overland.export, "_write_file", full_after_first)
    capsys.readouterr()
    assert _flows(toy_path, out, "3") == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert str(out) in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert _snapshot(out) == before  # the old folder is intact, both files
    assert _temporaries(tmp_path) == []

    monkeypatch.setattr(overland.export, "_write_file", real)
    assert _flows(toy_path, out, "3") == 0
    after = _snapshot(out)
    assert set(after) == {"links.csv", "od.csv"}
    assert after["links.csv"] != before["links.csv"]
    assert after["od.csv"] != before["od.csv"]
    assert _temporaries(tmp_path) == []


def test_stale_temporaries_of_dead_runs_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale_dir = tmp_path / f"{TMP_PREFIX}flows-{dead.pid}-k1ll3d0"
        stale_dir.mkdir()
        (stale_dir / "links.csv").write_text("half")
        stale_file = tmp_path / f"{TMP_PREFIX}m.csv-{dead.pid}-abc_123"
        stale_file.write_text("half")
        busy = tmp_path / f"{TMP_PREFIX}flows-{alive.pid}-w0rk1ng"
        busy.mkdir()
        other = tmp_path / f"{TMP_PREFIX}flows-old-{dead.pid}-xyz"  # another target's
        other.mkdir()

        frame = pd.DataFrame({"a": [1]})
        write_frames_atomic(tmp_path / "flows", {"links.csv": frame})
        assert not stale_dir.exists()
        assert stale_file.exists()  # a different target: left for its own next write
        assert busy.exists()  # a writer that still runs
        assert other.exists()
        write_frame_atomic(tmp_path / "m.csv", frame)
        assert not stale_file.exists()
    finally:
        alive.kill()
        alive.wait()


def test_a_folder_with_other_files_is_not_replaced(tmp_path: Path) -> None:
    from overland.errors import BadArgumentError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(BadArgumentError, match=r"thesis\.docx"):
        write_frames_atomic(out, {"links.csv": pd.DataFrame({"a": [1]})})
    assert _snapshot(out) == {"thesis.docx": b"years of work"}
    assert _temporaries(tmp_path) == []


# ---------------------------------------------------------------------------- errors


def test_unwritable_out_is_one_clear_line(
    toy_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = blocker / "skim.csv"  # a folder that is a file: no one may write there
    assert main(["skim", "--out", str(target), "--modes", "rail"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert str(blocker) in err
    assert "Not a directory" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

    folder = blocker / "flows"
    args = ["flows", "-p", str(toy_path), "--out", str(folder), "--json"]
    assert main(args) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["type"] == "os_error"
    assert doc["error"]["path"] == str(blocker)


def test_an_unexpected_exception_is_an_internal_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import overland.routing

    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("float division\nby zero")

    monkeypatch.setattr(overland.routing, "alternative_routes", broken)
    monkeypatch.delenv("OVERLAND_DEBUG", raising=False)
    assert main(["route", "Baku", "Tbilisi"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error" in err
    assert "ZeroDivisionError: float division by zero" in err
    assert "report" in err
    assert "OVERLAND_DEBUG=1" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

    monkeypatch.setenv("OVERLAND_DEBUG", "1")
    assert main(["route", "Baku", "Tbilisi"]) == EXIT_INTERNAL
    assert "Traceback (most recent call last)" in capsys.readouterr().err

    monkeypatch.delenv("OVERLAND_DEBUG")
    assert main(["route", "Baku", "Tbilisi", "--json"]) == EXIT_INTERNAL
    assert json.loads(capsys.readouterr().out)["error"]["type"] == "internal"


def test_interrupt_exits_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import overland.routing

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(overland.routing, "alternative_routes", interrupted)
    assert main(["route", "Baku", "Tbilisi"]) == EXIT_INTERRUPTED
    assert "Traceback" not in capsys.readouterr().err


def test_closed_pipe_is_a_quiet_exit() -> None:
    # the reader is gone before the command writes a byte: every write gets EPIPE
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [str(OVERLAND), "timeline", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr
    assert "BrokenPipeError" not in proc.stderr
    assert proc.stderr.strip() == ""
    assert proc.returncode == EXIT_BROKEN_PIPE


def test_reader_that_stops_early_sees_no_traceback() -> None:
    # ``overland timeline | head -c 10``
    proc = subprocess.Popen(
        [str(OVERLAND), "timeline", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    head = proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    code = proc.wait(timeout=600)
    assert head.startswith(b"{")
    assert "Traceback" not in err
    assert code in (0, EXIT_BROKEN_PIPE)  # 0 if it had all fitted in the pipe already
