"""Copy the front-end files Overland needs from npm into ``src/overland/vendor``.

Run by ``scripts/setup`` and by the wheel build (``setup.py``). Installs the npm packages
listed in ``web/package.json`` (from the npm registry, locked by ``web/package-lock.json``)
when one is missing, then copies only the files the map page, the API docs and the report
load: the server serves that folder and nothing else of ``node_modules``. Standard library
only; exits non-zero with a message when npm or a file is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "web" / "node_modules"
TARGET = ROOT / "src" / "overland" / "vendor"

#: every file the page, /docs, /redoc and the report load, relative to node_modules
FILES = (
    "world-atlas/countries-50m.json",
    "leaflet/dist/leaflet.js",
    "leaflet/dist/leaflet.css",
    "leaflet/dist/images/layers.png",
    "leaflet/dist/images/layers-2x.png",
    "leaflet/dist/images/marker-icon.png",
    "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/dist/images/marker-shadow.png",
    "topojson-client/dist/topojson-client.min.js",
    "chart.js/dist/chart.umd.js",
    "swagger-ui-dist/swagger-ui.css",
    "swagger-ui-dist/swagger-ui-bundle.js",
    "redoc/bundles/redoc.standalone.js",
)
LICENSES = ("world-atlas", "leaflet", "topojson-client", "chart.js", "swagger-ui-dist", "redoc")


def _install() -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(
            "scripts/vendor.py: npm not found; install Node.js/npm to fetch the front-end assets"
        )
    cmd = "ci" if (ROOT / "web" / "package-lock.json").is_file() else "install"
    subprocess.run(
        [npm, cmd, "--prefix", str(ROOT / "web"), "--no-audit", "--no-fund", "--loglevel=error"],
        check=True,
    )


def main() -> int:
    if any(not (MODULES / f).is_file() for f in FILES):
        _install()
    missing = [f for f in FILES if not (MODULES / f).is_file()]
    if missing:
        sys.exit(f"scripts/vendor.py: npm did not provide {', '.join(missing)}")
    for rel in FILES:
        dst = TARGET / rel
        src = MODULES / rel
        if dst.is_file() and dst.stat().st_size == src.stat().st_size:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    for pkg in LICENSES:
        for name in ("LICENSE", "LICENSE.md", "LICENSE.txt"):
            lic = MODULES / pkg / name
            if lic.is_file():
                (TARGET / pkg).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(lic, TARGET / pkg / "LICENSE")
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
