"""Readers for the TNTP benchmark formats (Transportation Networks for Research).

Handles what the public files do: a ``<TAG> value`` metadata block, ``~`` comments (the
one naming the columns is used instead of fixed positions), rows with or without a
closing ``;``, tabs and blank lines, exponent notation, zero free-flow times, power 0,
node-id gaps (the node count is the largest id), parallel links (several links with the
same ends are distinct links and all are kept, in file order), trips as ``Origin o``
blocks of ``d : flow;`` pairs, and flow files with or without a metadata block. A
malformed file raises :class:`TntpError` with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import OverlandError

__all__ = ["TntpError", "TntpNetwork", "find_tntp_files", "read_flows", "read_net", "read_trips"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class TntpError(ValueError, OverlandError):
    """A TNTP file that cannot be read; the message names the file and line."""

    type_name = "bad_tntp"

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class TntpNetwork:
    """A TNTP network: links as arrays with 0-based node indices."""

    name: str
    zones: int
    nodes: int
    first_thru_node: int  # 1-based as in the file; zones below it are not passed through
    init: IntArray
    term: IntArray
    capacity: FloatArray
    length: FloatArray
    fft: FloatArray
    b: FloatArray
    power: FloatArray
    toll: FloatArray

    @property
    def n_links(self) -> int:
        """Number of links (parallel links included)."""
        return int(self.init.shape[0])

    @property
    def parallel_links(self) -> int:
        """Number of links whose (from, to) pair an earlier link already has."""
        key = self.init * self.nodes + self.term
        return int(key.shape[0] - np.unique(key).shape[0])

    def generalized_fixed(self, toll_weight: float, distance_weight: float) -> FloatArray:
        """The flow-independent part of link cost: toll and distance weighted."""
        fixed: FloatArray = toll_weight * self.toll + distance_weight * self.length
        return fixed


_META = re.compile(r"^\s*<([^>]+)>\s*(.*?)\s*$")


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="strict").splitlines()
    except UnicodeDecodeError:
        return path.read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise TntpError(path, None, f"cannot read: {exc.strerror}") from None


def _metadata(lines: list[str]) -> tuple[dict[str, str], int]:
    meta: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = _META.match(line)
        if m is None:
            if line.strip() and not line.strip().startswith("~"):
                break
            continue
        tag, value = m.group(1).strip().upper(), m.group(2).strip()
        if tag == "END OF METADATA":
            return meta, i + 1
        meta[tag] = value
    return meta, 0


def _meta_int(path: Path, meta: dict[str, str], tag: str, default: int = -1) -> int:
    raw = meta.get(tag)
    if raw is None or raw == "":
        return default
    try:
        return int(float(raw))
    except ValueError:
        raise TntpError(path, None, f"metadata <{tag}> is not a number: {raw!r}") from None


NET_COLUMNS = ("init_node", "term_node", "capacity", "length", "free_flow_time", "b", "power")


def read_net(path: Path | str) -> TntpNetwork:
    """Read a ``*_net.tntp`` file."""
    p = Path(path)
    lines = _lines(p)
    meta, start = _metadata(lines)
    header: list[str] | None = None
    rows: list[list[float]] = []
    for no, raw in enumerate(lines[start:], start + 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("~"):
            cols = line.lstrip("~").replace(";", " ").lower().split()
            if "init_node" in cols:
                header = cols
            continue
        if header is None:
            raise TntpError(p, no, "link rows before the '~ init_node term_node ...' header")
        fields = line.replace(";", " ").split()
        if len(fields) < len(NET_COLUMNS):
            raise TntpError(
                p,
                no,
                f"expected at least {len(NET_COLUMNS)} columns, got {len(fields)} (truncated row?)",
            )
        try:
            rows.append([float(x) for x in fields[: len(header)]])
        except ValueError:
            bad = next(x for x in fields if not _is_number(x))
            raise TntpError(p, no, f"not a number: {bad!r}") from None
    if header is None or not rows:
        raise TntpError(p, None, "no link rows found")
    missing = [c for c in NET_COLUMNS if c not in header]
    if missing:
        raise TntpError(p, None, f"header lacks column(s) {', '.join(missing)}")
    data = np.array([r + [0.0] * (len(header) - len(r)) for r in rows])
    col = {c: data[:, i] for i, c in enumerate(header)}
    init = col["init_node"].astype(np.int64) - 1
    term = col["term_node"].astype(np.int64) - 1
    n_nodes = max(_meta_int(p, meta, "NUMBER OF NODES"), int(max(init.max(), term.max())) + 1)
    if init.min() < 0 or term.min() < 0:
        raise TntpError(p, None, "node ids must be positive integers")
    # every link is kept, parallel ones included, in file order
    fft = col["free_flow_time"]
    if (fft < 0).any() or (col["capacity"] <= 0).any():
        raise TntpError(p, None, "free-flow times must be >= 0 and capacities > 0")
    toll = col["toll"] if "toll" in col else np.zeros(len(init))
    zones = _meta_int(p, meta, "NUMBER OF ZONES", 0)
    ftn = _meta_int(p, meta, "FIRST THRU NODE", 1)
    return TntpNetwork(
        name=p.name.split("_net")[0],
        zones=max(zones, 0),
        nodes=n_nodes,
        first_thru_node=max(ftn, 1),
        init=init,
        term=term,
        capacity=col["capacity"],
        length=col["length"],
        fft=fft,
        b=col["b"],
        power=col["power"],
        toll=toll,
    )


def _is_number(x: str) -> bool:
    try:
        float(x)
    except ValueError:
        return False
    return True


_PAIR = re.compile(r"(\d+)\s*:\s*([-+0-9.eE]+)")


def read_trips(path: Path | str, zones: int | None = None) -> FloatArray:
    """Read a ``*_trips.tntp`` file into a dense zones × zones demand matrix."""
    p = Path(path)
    lines = _lines(p)
    meta, start = _metadata(lines)
    n = zones or _meta_int(p, meta, "NUMBER OF ZONES", 0)
    if n <= 0:
        raise TntpError(p, None, "number of zones unknown (no <NUMBER OF ZONES>)")
    demand = np.zeros((n, n))
    origin = None
    for no, raw in enumerate(lines[start:], start + 1):
        line = raw.strip()
        if not line or line.startswith("~"):
            continue
        if line.lower().startswith("origin"):
            parts = line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                raise TntpError(p, no, f"bad origin line: {line!r}")
            origin = int(parts[1]) - 1
            if not 0 <= origin < n:
                raise TntpError(p, no, f"origin {origin + 1} outside 1..{n}")
            continue
        if origin is None:
            raise TntpError(p, no, "demand before the first 'Origin' line")
        pairs = _PAIR.findall(line)
        if not pairs and line.replace(";", "").strip():
            raise TntpError(p, no, f"expected 'destination : flow;' pairs, got {line!r}")
        for d, v in pairs:
            dest = int(d) - 1
            if not 0 <= dest < n:
                raise TntpError(p, no, f"destination {dest + 1} outside 1..{n}")
            try:
                demand[origin, dest] += float(v)
            except ValueError:
                raise TntpError(p, no, f"not a number: {v!r}") from None
    return demand


def read_flows(path: Path | str) -> dict[tuple[int, int], tuple[float, float]]:
    """Read a best-known ``*_flow.tntp`` file: (from, to) 1-based -> (volume, cost)."""
    p = Path(path)
    lines = _lines(p)
    _meta, start = _metadata(lines)
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for no, raw in enumerate(lines[start:], start + 1):
        line = raw.replace(";", " ").strip()
        if not line or line.startswith("~"):
            continue
        fields = line.split()
        if not _is_number(fields[0]):
            continue  # a 'From To Volume Cost' header
        if len(fields) < 3:
            raise TntpError(p, no, f"expected from, to, volume[, cost]: {raw!r}")
        try:
            a, b, vol = int(fields[0]), int(fields[1]), float(fields[2])
            cost = float(fields[3]) if len(fields) > 3 else float("nan")
        except ValueError:
            raise TntpError(p, no, f"not a number in {raw!r}") from None
        out.setdefault((a, b), (vol, cost))
    return out


def find_tntp_files(folder: Path | str) -> dict[str, Path]:
    """The net, trips, flow and node files of a TNTP network folder."""
    f = Path(folder)
    if not f.is_dir():
        raise TntpError(f, None, "not a folder")
    out: dict[str, Path] = {}
    for kind in ("net", "trips", "flow", "node"):
        hits = sorted(f.glob(f"*_{kind}.tntp"))
        if hits:
            out[kind] = hits[0]
    if "net" not in out:
        raise TntpError(f, None, "no *_net.tntp file in this folder")
    return out
