"""The map page, the offline API docs, and the static and vendored assets."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "mount"]

#: the page's own files (HTML, JS, CSS), shipped in the package
STATIC = Path(str(resources.files("overland.web") / "static"))

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html")


@router.get("/docs")
def swagger() -> FileResponse:
    return FileResponse(STATIC / "docs.html")


@router.get("/redoc")
def redoc() -> FileResponse:
    return FileResponse(STATIC / "redoc.html")


def mount(app: FastAPI, assets: Path) -> None:
    """Serve the page, ``/static`` and ``/vendor`` (the assets folder holds only the files
    ``scripts/vendor.py`` copied from npm, nothing else of ``node_modules``)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if assets.is_dir():
        app.mount("/vendor", StaticFiles(directory=assets, follow_symlink=False), name="vendor")
