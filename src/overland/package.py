"""Reading network packages from disk: CSV tables and YAML files, with locations.

Reading never raises on bad content: every problem found is returned as a
:class:`~overland.errors.Problem` naming file, row and field, so that validation can
report them all at once.

Reading is bounded by :class:`LoadLimits`: file sizes, rows per table and per
package, and the size, depth and alias count of YAML documents (checked while
composing, before any Python object is built, so an alias bomb or a deeply nested file
costs little). A CSV line that is not UTF-8 text is reported and skipped, the other
rows load. Files or folders that resolve outside the package folder through symbolic
links are refused and never read, so no message can quote them.
"""

from __future__ import annotations

import csv
import os
import re
import reprlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import NetworkDataError, Problem
from .schema import (
    CSV_TABLES,
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    Corridors,
    Event,
    LinkShape,
    LoadLimits,
    Manifest,
    Parameters,
    ReportSpec,
    Rule,
    Scenario,
    columns,
    limits_markdown,
    required_columns,
)

__all__ = [
    "DEFAULT_LIMITS",
    "LoadLimits",
    "Located",
    "RawPackage",
    "embedded_package_path",
    "limits_markdown",
    "read_package",
    "shown_value",
]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
T = TypeVar("T")


#: the command-line flag that raises each limit
_FLAGS = {
    "max_rows": "--max-rows N",
    "max_total_rows": "--max-total-rows N",
    "max_file_bytes": "--max-file-mb M",
}


def _raise_hint(name: str) -> str:
    flag = f"`overland {_FLAGS[name]} ...` or " if name in _FLAGS else ""
    return f"raise it with {flag}LoadLimits.{name} (load_network / read_package take limits=)"


class _RefusedError(Exception):
    """A file refused before or while reading it: over a limit, or outside the package."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


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
    corridors: Located[Corridors] | None = None
    report: Located[ReportSpec] | None = None
    parameters: Located[Parameters] | None = None
    shapes: list[Located[LinkShape]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Files not read because they exceed a :class:`LoadLimits` cap, cannot be read,
    #: or lead outside the package; cross-table checks are pointless without them.
    refused: list[str] = field(default_factory=list)


def embedded_package_path() -> Path:
    """Folder of the embedded South Caucasus / Middle Corridor package."""
    return Path(str(resources.files("overland") / "data" / "caucasus"))


_SHOW = reprlib.Repr()
_SHOW.maxlevel = 3
_SHOW.maxstring = 120
_SHOW.maxother = 120
_SHOW.maxlist = _SHOW.maxtuple = _SHOW.maxdict = _SHOW.maxset = 6
#: Longest value text kept in a Problem: messages quote inputs, never all of a huge one.
_MAX_SHOWN = 200


def shown_value(value: object) -> str:
    """A bounded text form of an input value for a :class:`~overland.errors.Problem`.

    Scalars as ``str`` gives them, collections as a shortened repr, cut to 200
    characters: a message never carries the whole of a huge input.
    """
    if isinstance(value, list | tuple | dict | set | frozenset):
        text = _SHOW.repr(value)
    else:
        text = str(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _pydantic_problems(
    err: ValidationError, file: str, row: int, *, field_prefix: str = ""
) -> Iterator[Problem]:
    for e in err.errors(include_url=False):
        loc = [str(x) for x in e["loc"]]
        fld = ".".join(loc) if loc else None
        if field_prefix:
            fld = field_prefix + ("." + fld if fld else "")
        if fld is not None:
            fld = shown_value(fld)
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        value = e.get("input")
        shown = None
        if e["type"] not in ("missing",) and not isinstance(value, dict):
            shown = shown_value(value)
            msg = f"{msg} (got {_SHOW.repr(value)})"
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        yield Problem(file, msg, row=row, field=fld, value=shown)


def _read_bytes(path: Path, file: str, limits: LoadLimits, *, yaml_file: bool = False) -> bytes:
    """The bytes of one file, refused when over its size cap or unreadable."""
    name = "max_yaml_bytes" if yaml_file else "max_file_bytes"
    cap: int = getattr(limits, name)
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            # read(n) allocates n bytes up front: ask for the stated size, not the cap
            data = fh.read(size + 1) if size <= cap else b""
            if len(data) > size:  # the file grew since fstat
                data += fh.read(cap + 1 - len(data))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _RefusedError(Problem(file, f"cannot be read: {reason}")) from None
    size = max(size, len(data))
    if size > cap:
        raise _RefusedError(
            Problem(
                file,
                f"file is {size:,} bytes, more than the limit of {cap:,} bytes; "
                + _raise_hint(name),
            )
        )
    return data


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


_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
#: After this many unreadable lines a CSV file is taken for something else (UTF-16, binary).
_MAX_BAD_LINES = 20


class _Lines:
    """The decoded lines of a CSV file, for :func:`csv.reader`.

    A line holding a NUL byte or bytes that are not UTF-8 is reported (one problem,
    its line number, no content) and skipped; the other lines are read as usual.
    ``line`` is the number of the last line handed out.
    """

    def __init__(self, data: bytes, file: str) -> None:
        self.data = data
        self.file = file
        self.line = 0
        self.bad: list[Problem] = []
        self.gave_up = False

    def _skip(self, message: str) -> None:
        self.bad.append(Problem(self.file, message + "; the row is skipped", row=self.line))

    def __iter__(self) -> Iterator[str]:
        for number, match in enumerate(_LINE.finditer(self.data), start=1):
            self.line = number
            raw = match.group()
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            nul = raw.find(b"\0")
            if nul >= 0:
                self._skip(f"line holds a NUL byte (byte {nul + 1} of the line)")
            else:
                try:
                    yield raw.decode("utf-8")
                    continue
                except UnicodeDecodeError as exc:
                    self._skip(
                        f"line is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte "
                        f"{exc.start + 1} of the line); save the file as UTF-8"
                    )
            if len(self.bad) >= _MAX_BAD_LINES:
                self.gave_up = True
                self.bad.append(
                    Problem(
                        self.file,
                        f"{len(self.bad)} unreadable lines by line {number}: this does not look "
                        "like a UTF-8 CSV file (UTF-16 or binary?); the table is not read",
                        row=number,
                    )
                )
                return


def read_csv_table(
    path: Path, model: type[M], file: str, *, limits: LoadLimits = DEFAULT_LIMITS
) -> tuple[list[Located[M]], list[Problem]]:
    """Parse one CSV table into validated rows and problems (never raises on content).

    A file over a :class:`LoadLimits` cap gives one problem and no rows.
    """
    try:
        rows, problems, _count = _read_csv_table(path, model, file, limits, limits.max_total_rows)
    except _RefusedError as refusal:
        return [], [refusal.problem]
    return rows, problems


def _read_csv_table(
    path: Path, model: type[M], file: str, limits: LoadLimits, budget: int
) -> tuple[list[Located[M]], list[Problem], int]:
    """Rows, problems and the count of data rows of one table.

    Raises :class:`_RefusedError` past ``limits.max_rows`` data rows or past ``budget``,
    the rows left in the package's ``max_total_rows``."""
    lines = _Lines(_read_bytes(path, file, limits), file)
    allowed = columns(model)
    problems: list[Problem] = []
    rows: list[Located[M]] = []
    reader = csv.reader(iter(lines), strict=True)
    header: list[str] | None = None
    count = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file, f"malformed CSV: {exc}", row=lines.line))
            if header is None:
                break
            continue
        line = lines.line
        if not record or all(not c.strip() for c in record):
            continue
        if record[0].lstrip().startswith("#"):
            continue
        if header is None:
            if lines.bad:
                problems.append(
                    Problem(
                        file,
                        "no readable header row: a line before this one could not be read; "
                        "expected a header such as " + ",".join(allowed),
                        row=line,
                    )
                )
                break
            header = [c.strip() for c in record]
            problems += _header_problems(header, allowed, required_columns(model), file)
            if any(p.severity == "error" for p in problems):
                return [], problems, 0
            continue
        count += 1
        if count > limits.max_rows:
            raise _RefusedError(
                Problem(
                    file,
                    f"more than {limits.max_rows:,} data rows; " + _raise_hint("max_rows"),
                    row=line,
                )
            )
        if count > budget:
            raise _RefusedError(
                Problem(
                    file,
                    f"the package's tables hold more than {limits.max_total_rows:,} data rows "
                    "in all, counting in file order up to this row; "
                    + _raise_hint("max_total_rows"),
                    row=line,
                )
            )
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
    if lines.gave_up:
        return [], sorted(problems + lines.bad, key=lambda p: p.row or 0), count
    if header is None and not lines.bad and not problems:
        problems.append(Problem(file, "file is empty: expected a header row " + ",".join(allowed)))
    return rows, sorted(problems + lines.bad, key=lambda p: p.row or 0), count


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
                    f"unknown column {_SHOW.repr(col)}; valid columns are: {', '.join(allowed)}",
                    row=1,
                    field=shown_value(col),
                )
            )
    for col in required:
        if col not in seen:
            problems.append(Problem(file, f"required column {col!r} is missing", row=1, field=col))
    return problems


class _YamlLimitError(Exception):
    """A YAML document went over a :class:`LoadLimits` cap (``limit`` names it) while
    being composed, or (``limit`` None) refers to itself through an alias."""

    def __init__(self, message: str, mark: Any, limit: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None
        self.limit = limit


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text (so that pydantic reports bad ones) and
    composes within :class:`LoadLimits`.

    Nodes are counted as if every alias were expanded: an alias adds the size of the
    node it names, known once that node is complete. The counts, the nesting depth and
    the alias count are checked event by event, so a document over a cap is refused
    before its tree is finished and before any Python object is built.
    """

    def __init__(self, stream: str, limits: LoadLimits) -> None:
        super().__init__(stream)
        self.limits = limits
        self.nodes = 0
        self.depth = 0
        self.aliases = 0
        self.sizes: dict[int, int] = {}

    def _count(self, n: int, mark: Any) -> None:
        self.nodes += n
        cap = self.limits.max_yaml_nodes
        if self.nodes > cap:
            raise _YamlLimitError(
                f"more than {cap:,} YAML nodes once aliases are expanded", mark, "max_yaml_nodes"
            )

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise _YamlLimitError(
                    f"more than {self.limits.max_aliases:,} aliases (*name)",
                    event.start_mark,
                    "max_aliases",
                )
            node = super().compose_node(parent, index)
            size = self.sizes.get(id(node))
            if size is None:
                raise _YamlLimitError(
                    "an alias refers to a node that contains it", event.start_mark, None
                )
            self._count(size, event.start_mark)
            return node
        self.depth += 1
        if self.depth > self.limits.max_yaml_depth:
            raise _YamlLimitError(
                f"nested more than {self.limits.max_yaml_depth} levels deep",
                event.start_mark,
                "max_yaml_depth",
            )
        before = self.nodes
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        self.depth -= 1
        if getattr(event, "anchor", None) is not None:
            self.sizes[id(node)] = self.nodes - before
        return node


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(
    path: Path, file: str, limits: LoadLimits
) -> tuple[Any, yaml.Node | None, list[Problem]]:
    """Compose once within ``limits``, then construct from the node tree."""
    text, err = _decode(_read_bytes(path, file, limits, yaml_file=True), file)
    if err is not None or text is None:
        return None, None, [err] if err else []
    loader = _Loader(text, limits)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _YamlLimitError as exc:
        if exc.limit is None:
            return None, None, [Problem(file, f"malformed YAML: {exc.message}", row=exc.line)]
        message = f"{exc.message}; " + _raise_hint(exc.limit)
        raise _RefusedError(Problem(file, message, row=exc.line)) from None
    except RecursionError:
        raise _RefusedError(
            Problem(file, "YAML nested too deeply to read; lower LoadLimits.max_yaml_depth")
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, None, [Problem(file, f"malformed YAML: {problem}", row=row)]
    finally:
        loader.dispose()
    return data, node, []


def _item_lines(node: yaml.Node | None, count: int) -> list[int]:
    if isinstance(node, yaml.SequenceNode):
        return [n.start_mark.line + 1 for n in node.value]
    return [1] * count


def read_yaml_list(
    path: Path, model: type[M], file: str, *, limits: LoadLimits = DEFAULT_LIMITS
) -> tuple[list[Located[M]], list[Problem]]:
    """Parse a YAML file holding a list of items (never raises on content)."""
    try:
        return _read_yaml_list(path, model, file, limits)
    except _RefusedError as refusal:
        return [], [refusal.problem]


def _read_yaml_list(
    path: Path, model: type[M], file: str, limits: LoadLimits
) -> tuple[list[Located[M]], list[Problem]]:
    data, node, problems = _load_yaml(path, file, limits)
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
            prefix = shown_value(item_id) if isinstance(item_id, str) else ""
            problems += _pydantic_problems(exc, file, line, field_prefix=prefix)
    return out, problems


def read_yaml_mapping(
    path: Path, model: type[M], file: str, *, limits: LoadLimits = DEFAULT_LIMITS
) -> tuple[Located[M] | None, list[Problem]]:
    """Parse a YAML file holding one mapping (never raises on content)."""
    try:
        return _read_yaml_mapping(path, model, file, limits)
    except _RefusedError as refusal:
        return None, [refusal.problem]


def _read_yaml_mapping(
    path: Path, model: type[M], file: str, limits: LoadLimits
) -> tuple[Located[M] | None, list[Problem]]:
    data, _node, problems = _load_yaml(path, file, limits)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(file, "expected a mapping of fields at the top level", row=1)]
    try:
        return Located(1, model.model_validate(data)), []
    except ValidationError as exc:
        return None, list(_pydantic_problems(exc, file, 1))


def read_parameters(path: Path | str, *, limits: LoadLimits = DEFAULT_LIMITS) -> Parameters:
    """A parameters file (a package's parameters.yaml, or one kept elsewhere), checked
    like the package's own.

    Raises
    ------
    NetworkDataError
        The file is missing, is not YAML, or a field is not valid (file, row, field).
    """
    file_path = Path(path)
    name = file_path.name
    if not file_path.is_file():
        raise NetworkDataError(
            [Problem(name, "no such file")], path=str(file_path), what="parameters file"
        )
    located, problems = _read_yaml_mapping(file_path, Parameters, name, limits)
    if located is not None:
        problems += _version_problems(name, located.item.schema_version)
    if located is None or problems:
        raise NetworkDataError(problems, path=str(file_path), what="parameters file")
    return located.item


def _inside(base: Path, path: Path) -> bool:
    """Whether ``path``, symbolic links followed, is within the folder ``base``."""
    try:
        return path.resolve().is_relative_to(base)
    except (OSError, RuntimeError):  # a symlink loop
        return False


def read_package(path: Path | str, *, limits: LoadLimits = DEFAULT_LIMITS) -> RawPackage:
    """Read every file of a package folder; collect, never raise, content problems.

    Parameters
    ----------
    path
        The package folder.
    limits
        Caps on file size, rows and YAML size; a file over one is refused with a
        problem that names the cap (see :class:`LoadLimits`).

    Files and folders that are symbolic links leading outside the package folder are
    refused unread. Refused files are listed in :attr:`RawPackage.refused`.
    """
    root = Path(path)
    raw = RawPackage(path=root)
    if not root.is_dir():
        raw.problems.append(Problem(str(root), "not a folder holding a network package"))
        return raw
    base = root.resolve()

    def refuse(problem: Problem) -> None:
        raw.problems.append(problem)
        raw.refused.append(problem.file)

    def within(file_path: Path, file: str) -> bool:
        if _inside(base, file_path):
            return True
        refuse(
            Problem(
                file,
                "is a symbolic link to a place outside the package folder and is not read; "
                "put the file itself in the package",
            )
        )
        return False

    def read(file_path: Path, file: str, reader: Callable[[], R]) -> R | None:
        """``reader()`` if the file is within the package and within the limits."""
        if not within(file_path, file):
            return None
        try:
            return reader()
        except _RefusedError as refusal:
            refuse(refusal.problem)
            return None

    manifest_path = root / "overland.yaml"
    if not manifest_path.is_file():
        raw.problems.append(Problem("overland.yaml", "missing: every package needs a manifest"))
    elif manifest_read := read(
        manifest_path,
        "overland.yaml",
        partial(_read_yaml_mapping, manifest_path, Manifest, "overland.yaml", limits),
    ):
        located, probs = manifest_read
        raw.problems += probs
        if located is not None:
            raw.manifest = located.item
            raw.problems += _version_problems("overland.yaml", located.item.schema_version)
    total = 0  # data rows read so far, for max_total_rows
    for table in CSV_TABLES:
        file_path = root / table.filename
        raw.tables[table.name] = []
        if not file_path.is_file():
            if table.required:
                raw.problems.append(Problem(table.filename, "missing file"))
            continue
        table_read = read(
            file_path,
            table.filename,
            partial(
                _read_csv_table,
                file_path,
                table.model,
                table.filename,
                limits,
                limits.max_total_rows - total,
            ),
        )
        if table_read is not None:
            raw.tables[table.name], probs, count = table_read
            raw.problems += probs
            total += count
    for filename, model, target in (
        ("events.yaml", Event, raw.events),
        ("rules.yaml", Rule, raw.rules),
    ):
        file_path = root / filename
        if not file_path.is_file():
            raw.problems.append(Problem(filename, "missing file"))
            continue
        list_read = read(
            file_path, filename, partial(_read_yaml_list, file_path, model, filename, limits)
        )
        if list_read is not None:
            target.extend(list_read[0])  # type: ignore[arg-type]
            raw.problems += list_read[1]
    scen_dir = root / "scenarios"
    if scen_dir.is_dir() and within(scen_dir, "scenarios"):
        for file_path in sorted(scen_dir.glob("*.yaml")):
            file = f"scenarios/{file_path.name}"
            scenario_read = read(
                file_path, file, partial(_read_yaml_mapping, file_path, Scenario, file, limits)
            )
            if scenario_read is None:
                continue
            located_s, probs = scenario_read
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
    raw.corridors = _optional_mapping(root, "corridors.yaml", Corridors, raw, read, limits)
    raw.report = _optional_mapping(root, "report.yaml", ReportSpec, raw, read, limits)
    raw.parameters = _optional_mapping(root, "parameters.yaml", Parameters, raw, read, limits)
    shapes_path = root / "shapes.geojson"
    if shapes_path.is_file():
        got = read(shapes_path, "shapes.geojson", partial(_read_shapes, shapes_path, limits))
        if got is not None:
            raw.shapes, probs = got
            raw.problems += probs
    return raw


def _read_shapes(path: Path, limits: LoadLimits) -> tuple[list[Located[LinkShape]], list[Problem]]:
    """``shapes.geojson``: a FeatureCollection of LineStrings, each with ``properties.link``;
    the row of a problem is the feature's index (1-based)."""
    import json

    file = "shapes.geojson"
    try:
        doc = json.loads(_read_bytes(path, file, limits))
    except (ValueError, UnicodeDecodeError) as exc:
        return [], [Problem(file, f"not valid JSON: {shown_value(str(exc))}")]
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        return [], [Problem(file, "expected a GeoJSON FeatureCollection with `features`")]
    out: list[Located[LinkShape]] = []
    problems: list[Problem] = []
    for i, feature in enumerate(features, start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
            problems.append(Problem(file, "a feature must be a LineString", row=i))
            continue
        try:
            shape = LinkShape.model_validate(
                {"link": (props or {}).get("link"), "coordinates": geometry.get("coordinates")}
            )
        except ValidationError as exc:
            problems += list(_pydantic_problems(exc, file, i))
            continue
        out.append(Located(i, shape))
    return out, problems


def _optional_mapping(
    root: Path,
    filename: str,
    model: type[M],
    raw: RawPackage,
    read: Callable[[Path, str, Callable[[], Any]], Any],
    limits: LoadLimits,
) -> Located[M] | None:
    """An optional YAML mapping file of the package, read and checked like the others."""
    file_path = root / filename
    if not file_path.is_file():
        return None
    got = read(file_path, filename, partial(_read_yaml_mapping, file_path, model, filename, limits))
    if got is None:
        return None
    located, probs = got
    raw.problems += probs
    if located is not None:
        raw.problems += _version_problems(filename, located.item.schema_version)
    return located  # type: ignore[no-any-return]


def _version_problems(filename: str, version: int) -> list[Problem]:
    """The file's schema_version, if this Overland does not read it."""
    if version == SCHEMA_VERSION:
        return []
    message = (
        f"schema_version {version} is not supported; this Overland reads version {SCHEMA_VERSION}"
    )
    return [Problem(filename, message, row=1, field="schema_version")]
