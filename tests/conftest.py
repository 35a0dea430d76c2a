"""Shared fixtures: the toy package, broken-package overlays, the embedded network and the
headless Chromium the browser tests drive."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from overland import Network, embedded_network, load_network

FIXTURES = Path(__file__).parent / "fixtures"
TOY = FIXTURES / "toy"
BROKEN = FIXTURES / "broken"


@dataclass(frozen=True)
class Chromium:
    """Debian's Chromium: its path and the flags for a quiet, offline headless run."""

    path: str
    flags: tuple[str, ...] = (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    )


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    """The installed Chromium; a failure in CI (scripts/test installs it), else a skip."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: scripts/test installs Debian's chromium")
        pytest.skip("chromium not installed (scripts/test installs it when run as root)")
    return Chromium(path)


@pytest.fixture
def toy_path() -> Path:
    """The hand-checkable toy package (read-only)."""
    return TOY


@pytest.fixture
def toy() -> Network:
    """The toy network, loaded."""
    return load_network(TOY)


@pytest.fixture(scope="session")
def embedded() -> Network:
    """The embedded South Caucasus / Middle Corridor network (loaded once)."""
    return embedded_network()


@pytest.fixture(scope="session")
def container_market() -> ModuleType:
    """``scripts/container_market.py``, the data-build script behind the package's sea
    market by year and its lane prices, imported as a module."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "container_market.py"
    spec = importlib.util.spec_from_file_location("container_market", path)
    assert spec is not None
    assert spec.loader is not None
    market = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(market)
    return market


@pytest.fixture
def rated_toy(tmp_path: Path) -> Callable[..., Network]:
    """The toy with a second commodity, ``boxes``, whose rail charges, border dwell and
    speed are scaled by ``rates.csv`` (factors on the per-t-km rate, the fees, the dwell
    and the speed)."""

    def make(rate: float, fee: float, dwell: float = 1.0, speed: float = 1.0) -> Network:
        pkg = Path(tempfile.mkdtemp(prefix="rated_toy", dir=tmp_path))
        shutil.copytree(TOY, pkg, dirs_exist_ok=True)
        (pkg / "commodities.csv").write_text(
            (TOY / "commodities.csv").read_text() + "boxes,Boxes,t,1,5000,0.01,toy,false,\n"
        )
        (pkg / "rates.csv").write_text(
            "id,commodity,mode,rate_factor,fee_factor,dwell_factor,speed_factor,source,"
            "estimate,note\n"
            f"boxes-rail,boxes,rail,{rate},{fee},{dwell},{speed},toy,false,\n"
        )
        return load_network(pkg)

    return make


@pytest.fixture
def overlay(tmp_path: Path) -> Callable[[Path], Path]:
    """Copy the toy package to a temporary folder and lay a case folder's files over it."""

    def make(case: Path) -> Path:
        target = tmp_path / case.name
        shutil.copytree(TOY, target)
        for f in case.rglob("*"):
            if f.is_file() and f.name != "expect.yaml":
                dest = target / f.relative_to(case)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dest)
        return target

    return make


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """A 2-worker local Dask cluster for the session; yields its scheduler address."""
    from overland.batch import local_cluster

    with local_cluster(2) as cluster:
        yield str(cluster.scheduler_address)
