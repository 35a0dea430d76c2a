"""Curated files laid over an imported package, so a refresh of the geometry keeps them.

An overlay is a folder holding any of a package's files. CSV rows replace the imported
rows with the same key (``id``; ``iso2`` for countries, ``mode`` for modes; a crossing
also replaces the imported one of the same link and direction) and the others are
added; ``events.yaml`` and ``rules.yaml`` items are merged by id; the keys of
``overland.yaml`` replace the importer's; ``corridors.yaml``, ``report.yaml``,
``parameters.yaml`` and ``scenarios/*.yaml`` are taken as they are. Rows that name a
link or place the import no longer has are left out and reported (the overlay keeps
them for a later import).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from ..errors import BadArgumentError
from ._draft import ImportReport
from ._package import KEYS, Tables

__all__ = ["OVERLAY_FILES", "apply_overlay"]

_CSV = (
    "sources",
    "countries",
    "places",
    "links",
    "crossings",
    "transfers",
    "modes",
    "commodities",
    "rates",
    "demand",
    "observations",
)
_MERGED_YAML = ("events.yaml", "rules.yaml")
_COPIED = ("corridors.yaml", "report.yaml", "parameters.yaml")
OVERLAY_FILES = (
    *(f"{n}.csv" for n in _CSV),
    *_MERGED_YAML,
    "overland.yaml",
    *_COPIED,
    "scenarios/*.yaml",
)
#: table -> columns naming places or links that must exist
_REFS = {
    "links": (("from", "places"), ("to", "places")),
    "crossings": (("link", "links"), ("place", "places")),
    "transfers": (("place", "places"),),
    "demand": (("origin", "places"), ("destination", "places")),
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return [dict(row) for row in csv.DictReader(io.StringIO("\n".join(lines)))]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BadArgumentError(f"overlay file {path} is not valid YAML: {exc}") from exc


def _merge_rows(
    table: str, base: list[dict[str, Any]], extra: list[dict[str, str]]
) -> list[dict[str, Any]]:
    key = KEYS.get(table, "id")
    pos = {str(r.get(key)): i for i, r in enumerate(base)}
    out = list(base)
    by_dir: dict[tuple[str, str, str], int] = {}
    if table == "crossings":
        by_dir = {(r["link"], r["from_country"], r["to_country"]): i for i, r in enumerate(base)}
    for row in extra:
        i = pos.get(row.get(key, ""))
        if i is None and table == "crossings":
            i = by_dir.get(
                (row.get("link", ""), row.get("from_country", ""), row.get("to_country", ""))
            )
        if i is None:
            pos[row.get(key, "")] = len(out)
            out.append(row)
        else:
            out[i] = row
    return out


def _drop_stale(tables: Tables, report: ImportReport) -> None:
    for table, refs in _REFS.items():
        known = {
            "places": {str(r["id"]) for r in tables.csv.get("places", [])},
            "links": {str(r["id"]) for r in tables.csv.get("links", [])},
        }
        kept = []
        for row in tables.csv.get(table, []):
            bad = [
                f"{col}={row.get(col)}"
                for col, kind in refs
                if str(row.get(col)) not in known[kind]
            ]
            if bad:
                report.note(
                    f"overlay_{table}_stale",
                    f"overlay {table}.csv rows naming a link or place this import does not have "
                    "(left out; the overlay keeps them)",
                    f"{row.get('id', '?')} ({', '.join(bad)})",
                )
                continue
            kept.append(row)
        if table in tables.csv:
            tables.csv[table] = kept


def apply_overlay(tables: Tables, folder: Path | str, report: ImportReport) -> None:
    """Lay the curated files of ``folder`` over ``tables`` (in place).

    Raises
    ------
    BadArgumentError
        If ``folder`` is not a folder, holds a file an overlay cannot hold, or a YAML file
        of the wrong shape.
    """
    root = Path(folder)
    if not root.is_dir():
        raise BadArgumentError(f"overlay {root} is not a folder")
    allowed = {f"{n}.csv" for n in _CSV} | {*_MERGED_YAML, "overland.yaml", *_COPIED}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir() or rel.startswith(".") or rel.endswith(".md"):
            continue
        if not (rel in allowed or (rel.startswith("scenarios/") and rel.endswith(".yaml"))):
            raise BadArgumentError(
                f"overlay file {rel!r} is not one an overlay may hold; valid: "
                + ", ".join(OVERLAY_FILES)
            )
    applied = 0
    for name in _CSV:
        path = root / f"{name}.csv"
        if path.is_file():
            tables.csv[name] = _merge_rows(name, tables.csv.get(name, []), _read_csv(path))
            applied += 1
    for name in _MERGED_YAML:
        path = root / name
        if path.is_file():
            items = _read_yaml(path) or []
            if not isinstance(items, list):
                raise BadArgumentError(f"overlay {name} must be a list of items")
            base = {str(i.get("id")): i for i in tables.yaml.get(name, []) if isinstance(i, dict)}
            for item in items:
                base[str(item.get("id") if isinstance(item, dict) else item)] = item
            tables.yaml[name] = list(base.values())
            applied += 1
    manifest = root / "overland.yaml"
    if manifest.is_file():
        doc = _read_yaml(manifest)
        if not isinstance(doc, dict):
            raise BadArgumentError("overlay overland.yaml must be a mapping of fields")
        tables.yaml["overland.yaml"] = {**tables.yaml.get("overland.yaml", {}), **doc}
        applied += 1
    for name in _COPIED:
        if (root / name).is_file():
            tables.extra[name] = (root / name).read_bytes()
            applied += 1
    for path in sorted((root / "scenarios").glob("*.yaml")):
        tables.extra[f"scenarios/{path.name}"] = path.read_bytes()
        applied += 1
    _drop_stale(tables, report)
    report.counts["overlay_files"] = applied
