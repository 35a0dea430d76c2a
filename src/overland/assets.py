"""Where the front-end assets installed from npm live: ``overland/vendor`` in the package.

Nothing third-party is committed. ``scripts/vendor.py`` copies the few files the map
page, the API docs and the report need from ``web/node_modules`` (installed from the
npm registry) into the package folder at setup and at wheel-build time, so a source
checkout and an installed wheel find them in the same place.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["atlas_path", "vendor_dir"]


def vendor_dir() -> Path:
    """The package's folder of front-end assets (may be missing before setup)."""
    return Path(str(resources.files("overland") / "vendor"))


def atlas_path() -> Path:
    """The world-atlas country outlines (``countries-50m.json``)."""
    return vendor_dir() / "world-atlas" / "countries-50m.json"
