"""Shared fixtures: the toy package, broken-package overlays and the embedded network."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from overland import Network, embedded_network, load_network

FIXTURES = Path(__file__).parent / "fixtures"
TOY = FIXTURES / "toy"
BROKEN = FIXTURES / "broken"


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
