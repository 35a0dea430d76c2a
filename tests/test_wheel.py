"""A built wheel is self-contained: installed outside the checkout, it serves the page,
its front-end assets and the offline API docs, and finds the country outlines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from pathlib import Path
import overland
from fastapi.testclient import TestClient
from overland.report.outlines import default_atlas_path
from overland.web import ServerConfig, create_app

assert Path(overland.__file__).is_relative_to(Path(sys.argv[1])), overland.__file__
assert default_atlas_path().is_file(), default_atlas_path()
with TestClient(create_app(ServerConfig(warm=False)), base_url="http://localhost") as c:
    for url in ("/", "/static/app.js", "/docs", "/redoc", "/vendor/leaflet/dist/leaflet.js",
                "/vendor/swagger-ui-dist/swagger-ui-bundle.js",
                "/vendor/world-atlas/countries-50m.json", "/api/health"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
print("ok")
"""


def test_wheel_installed_elsewhere_serves_a_working_page(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    # build from a copy: setuptools leaves build/ in the tree it builds, and a file
    # deleted since the last build would ride along from there
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        tree,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "build",
            "*.egg-info",
            "__pycache__",
            "*_cache",
            ".hypothesis",
            "node_modules",
            "artifacts",
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(tree)],
        check=True,
        cwd=tmp_path,
    )
    [wheel] = wheels.glob("overland-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(target)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == "ok", out.stderr
