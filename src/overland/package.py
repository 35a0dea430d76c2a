"""Reading network packages from disk: CSV tables and YAML files, with locations.

Reading never raises on bad content: every problem found is returned as a
:class:`~overland.errors.Problem` naming file, row and field, so that validation can
report them all at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import Problem
from .schema import (
    CSV_TABLES,
    SCHEMA_VERSION,
    Event,
    Manifest,
    Rule,
    Scenario,
    columns,
    required_columns,
)

__all__ = ["Located", "RawPackage", "embedded_package_path", "read_package"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Located(Generic[T]):
    """A parsed item and the line it came from."""

    row: int
    item: T


@dataclass
class RawPackage:
    """Everything read from a package folder, before cross-table checks."""

    path: Path
    manifest: Manifest | None = None
    tables: dict[str, list[Located[Any]]] = field(default_factory=dict)
    events: list[Located[Event]] = field(default_factory=list)
    rules: list[Located[Rule]] = field(default_factory=list)
    scenarios: dict[str, Located[Scenario]] = field(default_factory=dict)
    scenario_files: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def embedded_package_path() -> Path:
    """Folder of the embedded South Caucasus / Middle Corridor package."""
    return Path(str(resources.files("overland") / "data" / "caucasus"))


def _pydantic_problems(
    err: ValidationError, file: str, row: int, *, field_prefix: str = ""
) -> Iterator[Problem]:
    for e in err.errors(include_url=False):
        loc = [str(x) for x in e["loc"]]
        fld = ".".join(loc) if loc else None
        if field_prefix:
            fld = field_prefix + ("." + fld if fld else "")
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        value = e.get("input")
        shown = None
        if e["type"] not in ("missing",) and not isinstance(value, dict):
            shown = str(value)
            msg = f"{msg} (got {value!r})"
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        yield Problem(file, msg, row=row, field=fld, value=shown)


def _decode(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        return None, Problem(
            file,
            f"not valid UTF-8 (byte 0x{byte} at line {line}); save the file as UTF-8",
            row=line,
        )


def read_csv_table(path: Path, model: type[M], file: str) -> tuple[list[Located[M]], list[Problem]]:
    """Parse one CSV table into validated rows and problems (never raises on content)."""
    problems: list[Problem] = []
    text, err = _decode(path.read_bytes(), file)
    if err is not None or text is None:
        return [], [err] if err else []
    allowed = columns(model)
    rows: list[Located[M]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not c.strip() for c in record):
                continue
            if record[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip() for c in record]
                problems += _header_problems(header, allowed, required_columns(model), file)
                if any(p.severity == "error" for p in problems):
                    return [], problems
                continue
            if len(record) != len(header):
                problems.append(
                    Problem(
                        file,
                        f"row has {len(record)} fields but the header has {len(header)} "
                        "(truncated line, or an unquoted comma?)",
                        row=line,
                    )
                )
                continue
            data = {k: v for k, v in zip(header, record, strict=True) if v.strip() != ""}
            try:
                rows.append(Located(line, model.model_validate(data)))
            except ValidationError as exc:
                problems += _pydantic_problems(exc, file, line)
    except csv.Error as exc:
        problems.append(Problem(file, f"malformed CSV: {exc}", row=reader.line_num))
    if header is None:
        problems.append(Problem(file, "file is empty: expected a header row " + ",".join(allowed)))
    return rows, problems


def _header_problems(
    header: list[str], allowed: tuple[str, ...], required: tuple[str, ...], file: str
) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(Problem(file, f"column {col!r} appears twice", row=1, field=col))
        seen.add(col)
        if col not in allowed:
            problems.append(
                Problem(
                    file,
                    f"unknown column {col!r}; valid columns are: {', '.join(allowed)}",
                    row=1,
                    field=col,
                )
            )
    for col in required:
        if col not in seen:
            problems.append(Problem(file, f"required column {col!r} is missing", row=1, field=col))
    return problems


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so that pydantic reports bad ones."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(path: Path, file: str) -> tuple[Any, yaml.Node | None, list[Problem]]:
    text, err = _decode(path.read_bytes(), file)
    if err is not None or text is None:
        return None, None, [err] if err else []
    try:
        data = yaml.load(text, Loader=_Loader)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, None, [Problem(file, f"malformed YAML: {problem}", row=row)]
    return data, node, []


def _item_lines(node: yaml.Node | None, count: int) -> list[int]:
    if isinstance(node, yaml.SequenceNode):
        return [n.start_mark.line + 1 for n in node.value]
    return [1] * count


def read_yaml_list(path: Path, model: type[M], file: str) -> tuple[list[Located[M]], list[Problem]]:
    """Parse a YAML file holding a list of items."""
    data, node, problems = _load_yaml(path, file)
    if problems:
        return [], problems
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [Problem(file, f"expected a list of items, found {type(data).__name__}", row=1)]
    lines = _item_lines(node, len(data))
    out: list[Located[M]] = []
    for line, raw in zip(lines, data, strict=True):
        if not isinstance(raw, dict):
            problems.append(Problem(file, "each item must be a mapping of fields", row=line))
            continue
        try:
            out.append(Located(line, model.model_validate(raw)))
        except ValidationError as exc:
            item_id = raw.get("id")
            prefix = f"{item_id}" if isinstance(item_id, str) else ""
            problems += _pydantic_problems(exc, file, line, field_prefix=prefix)
    return out, problems


def read_yaml_mapping(
    path: Path, model: type[M], file: str
) -> tuple[Located[M] | None, list[Problem]]:
    """Parse a YAML file holding one mapping."""
    data, _node, problems = _load_yaml(path, file)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(file, "expected a mapping of fields at the top level", row=1)]
    try:
        return Located(1, model.model_validate(data)), []
    except ValidationError as exc:
        return None, list(_pydantic_problems(exc, file, 1))


def read_package(path: Path | str) -> RawPackage:
    """Read every file of a package folder; collect, never raise, content problems."""
    root = Path(path)
    raw = RawPackage(path=root)
    if not root.is_dir():
        raw.problems.append(Problem(str(root), "not a folder holding a network package"))
        return raw
    manifest_path = root / "overland.yaml"
    if manifest_path.is_file():
        located, probs = read_yaml_mapping(manifest_path, Manifest, "overland.yaml")
        raw.problems += probs
        if located is not None:
            raw.manifest = located.item
            if located.item.schema_version != SCHEMA_VERSION:
                raw.problems.append(
                    Problem(
                        "overland.yaml",
                        f"schema_version {located.item.schema_version} is not supported; "
                        f"this Overland reads version {SCHEMA_VERSION}",
                        row=1,
                        field="schema_version",
                    )
                )
    else:
        raw.problems.append(Problem("overland.yaml", "missing: every package needs a manifest"))
    for table in CSV_TABLES:
        file_path = root / table.filename
        if not file_path.is_file():
            if table.required:
                raw.problems.append(Problem(table.filename, "missing file"))
            raw.tables[table.name] = []
            continue
        rows, probs = read_csv_table(file_path, table.model, table.filename)
        raw.tables[table.name] = rows
        raw.problems += probs
    for filename, model, target in (
        ("events.yaml", Event, raw.events),
        ("rules.yaml", Rule, raw.rules),
    ):
        file_path = root / filename
        if not file_path.is_file():
            raw.problems.append(Problem(filename, "missing file"))
            continue
        items, probs = read_yaml_list(file_path, model, filename)
        target.extend(items)  # type: ignore[arg-type]
        raw.problems += probs
    scen_dir = root / "scenarios"
    if scen_dir.is_dir():
        for file_path in sorted(scen_dir.glob("*.yaml")):
            file = f"scenarios/{file_path.name}"
            located_s, probs = read_yaml_mapping(file_path, Scenario, file)
            raw.problems += probs
            if located_s is None:
                continue
            sid = located_s.item.id
            if sid in raw.scenarios:
                raw.problems.append(
                    Problem(
                        file,
                        f"scenario id {sid!r} already used by {raw.scenario_files[sid]}",
                        row=1,
                        field="id",
                    )
                )
                continue
            raw.scenarios[sid] = located_s
            raw.scenario_files[sid] = file
    return raw
