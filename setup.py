"""Build hook: copy the front-end assets from npm into the package before building it.

Everything else about the package is in ``pyproject.toml``. ``scripts/vendor.py`` installs
the npm packages named in ``web/package.json`` when they are missing and copies the few
files the map page, the API docs and the report load into ``src/overland/vendor`` (never
committed), so a wheel serves a working page.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithAssets(build_py):
    """``build_py`` that vendors the front-end assets first."""

    def run(self) -> None:
        script = Path(__file__).resolve().parent / "scripts" / "vendor.py"
        subprocess.run([sys.executable, str(script)], check=True)
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
