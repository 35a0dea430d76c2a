"""Exports of a network state (GeoJSON for QGIS / geopandas, CSV tables) and the
crash-safe writers every output goes through.

Writers never leave a half-written output behind: a file is written to a temporary
sibling, flushed to disk and renamed over the target; a folder of several files is
written whole into a temporary sibling folder and swapped in at once. Temporaries are
named ``.overland-tmp-<target>-<pid>-<random>``; those of a run that was killed are
removed by the next write to the same place. CSV text cells that a spreadsheet would
run as a formula are escaped (:func:`csv_safe`).
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BadArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from .network import Network
    from .timeline import NetworkState

__all__ = [
    "TMP_PREFIX",
    "csv_safe",
    "element_layer",
    "link_coordinates",
    "state_geojson",
    "write_bytes_atomic",
    "write_csv_tables",
    "write_folder_atomic",
    "write_frame_atomic",
    "write_frames_atomic",
    "write_geojson",
    "write_text_atomic",
]

#: Names of temporary files and folders start with this (then the target's name).
TMP_PREFIX = ".overland-tmp-"
#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV
#: injection): such text cells get a leading single quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ------------------------------------------------------------------ temporaries


def _tmp_prefix(name: str) -> str:
    return f"{TMP_PREFIX}{name}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no cheap check: leave it (never remove a live writer's files)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(parent: Path, name: str) -> None:
    """Remove temporaries left for ``parent/name`` by writers that no longer run."""
    pattern = re.compile(re.escape(f"{TMP_PREFIX}{name}-") + r"(\d+)-[^-]+")
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or _pid_alive(int(m.group(1))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. a folder we may write but not list: the rename itself is done
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file where the folder should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder)) from exc


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _write_file(path: Path, data: bytes) -> None:
    """Write and fsync one file (inside a temporary folder, or a temporary name)."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def _naming_target(target: Path) -> Iterator[None]:
    """Re-raise OSErrors naming the output the user asked for where they name no file
    (a failed write()) or a temporary one, which would mean nothing to them."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None and TMP_PREFIX not in os.fsdecode(exc.filename):
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where the system or the file system cannot do it.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(new: Path, target: Path) -> Path | None:
    """Put folder ``new`` at ``target``; return where the old folder now is (or None).

    The old folder stays whole until the new one is in place: an atomic exchange where
    the system has one, else two renames (the old folder aside, the new one in) with the
    old one put back if the second fails.
    """
    if not target.exists():
        os.rename(new, target)
        return None
    if _exchange(new, target):
        return new  # the old contents now live under the temporary name
    aside = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target.name), dir=target.parent))
    aside.rmdir()
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


# ------------------------------------------------------------------ writers


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file, an fsync and a rename, so
    that a reader never sees a half-written file, even after a crash.

    OSErrors (a full disk, no permission) name ``path``.
    """
    target = Path(path)
    tmp: Path | None = None
    with _naming_target(target):
        try:
            _make_folder(target.parent)
            _clean_stale(target.parent, target.name)
            fd, name = tempfile.mkstemp(prefix=_tmp_prefix(target.name), dir=target.parent)
            os.close(fd)
            tmp = Path(name)
            _write_file(tmp, data)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
            os.replace(tmp, target)
            tmp = None
            _fsync_dir(target.parent)
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
    return target


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_folder_atomic(folder: Path | str, files: Mapping[str, bytes]) -> list[Path]:
    """Write several files into ``folder`` as one: all new or all old, never a mix.

    The files go into a temporary sibling folder, are flushed to disk, and the folder
    is swapped in whole; the previous folder is removed only once the new one is in
    place. ``folder`` must be new, empty or hold only files of the same names (an
    earlier output): a folder with other files is refused rather than replaced.

    Raises
    ------
    BadArgumentError
        If ``folder`` is a file, or holds files other than ``files``.
    OSError
        If writing fails (no space, no permission); it names ``folder``, and the
        previous contents are untouched.
    """
    target = Path(folder).resolve()
    if target.exists():
        if not target.is_dir():
            raise BadArgumentError(f"{target} is a file; give a folder for this output")
        foreign = sorted(p.name for p in target.iterdir() if p.name not in files)
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise BadArgumentError(
                f"{target} holds other files ({shown}); the output folder is replaced "
                "as a whole, so give a new or empty folder or an earlier output of this "
                "command"
            )
    tmp: Path | None = None
    old: Path | None = None
    with _naming_target(target):
        try:
            _make_folder(target.parent)
            _clean_stale(target.parent, target.name)
            tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target.name), dir=target.parent))
            umask = _umask()
            for name, data in files.items():
                _write_file(tmp / name, data)
                os.chmod(tmp / name, 0o666 & ~umask)
            os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700
            _fsync_dir(tmp)
            old = _swap_in(tmp, target)  # the old folder goes only once the new is in
            tmp = None
            _fsync_dir(target.parent)
        finally:
            for leftover in (tmp, old):
                if leftover is not None:
                    shutil.rmtree(leftover, ignore_errors=True)
    return [target / name for name in files]


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    import pandas as pd

    return [
        col
        for col in frame.columns
        if pd.api.types.is_object_dtype(frame[col].dtype)
        or isinstance(frame[col].dtype, pd.StringDtype | pd.CategoricalDtype)
    ]


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts like a spreadsheet formula (``=``,
    ``+``, ``-``, ``@``, tab, carriage return) prefixed with a single quote, as OWASP
    advises against CSV injection. Numeric columns are left alone, so negative numbers
    stay numbers; the frame is copied only if a cell changes.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"name": ["=1+2", "Baku", "-x"], "delta": [-1.5, 2.0, -3.0]})
    >>> csv_safe(f).to_dict(orient="list")
    {'name': ["'=1+2", 'Baku', "'-x"], 'delta': [-1.5, 2.0, -3.0]}
    """
    out: pd.DataFrame | None = None
    for col in _text_columns(frame):
        column = frame[col]
        risky = column.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
        if not risky.any():
            continue
        if out is None:
            out = frame.copy()
        fixed = out[col].astype(object)
        fixed[risky] = "'" + fixed[risky].astype(str)
        out[col] = fixed
    return frame if out is None else out


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    safe = csv_safe(frame)
    # Python's csv writer quotes a cell holding a carriage return only if CR is part of
    # the line terminator; such a table gets RFC 4180's CRLF so that its rows survive
    has_cr = any(
        safe[col].map(lambda v: isinstance(v, str) and "\r" in v).any()
        for col in _text_columns(safe)
    )
    return safe.to_csv(index=False, lineterminator="\r\n" if has_cr else "\n").encode("utf-8")


def _frame_bytes(name: str, frame: pd.DataFrame) -> bytes:
    if name.lower().endswith(".parquet"):
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    return _csv_bytes(frame)


def write_frame_atomic(path: Path | str, frame: pd.DataFrame) -> Path:
    """Write a table atomically: Parquet when ``path`` ends in ``.parquet``, else CSV
    (with :func:`csv_safe` text cells)."""
    target = Path(path)
    return write_bytes_atomic(target, _frame_bytes(target.name, frame))


def write_frames_atomic(folder: Path | str, frames: Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write tables named ``{"links.csv": frame, ...}`` into ``folder`` all at once
    (see :func:`write_folder_atomic`); ``.parquet`` names are written as Parquet."""
    return write_folder_atomic(
        folder, {name: _frame_bytes(name, frame) for name, frame in frames.items()}
    )


def state_geojson(state: NetworkState) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: every place (Point) and link (LineString) with all
    attributes, link status as of the state's date, and each link's border crossings."""
    net = state.network
    crossings_by_link: dict[str, list[str]] = {}
    for c in state.crossings.values():
        crossings_by_link.setdefault(c.link, []).append(
            f"{c.from_country}->{c.to_country} {c.status} {c.dwell_mean_h:g}h"
        )
    features: list[dict[str, Any]] = []
    for place in net.places.values():
        props = {"feature_type": "place", **place.record()}
        features.append(
            {
                "type": "Feature",
                "id": f"place:{place.id}",
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": props,
            }
        )
    for link in state.links.values():
        a, b = net.places[link.from_place], net.places[link.to_place]
        props = {
            "feature_type": "link",
            **link.record(),
            "from_name": a.name,
            "to_name": b.name,
            "from_country": a.country,
            "to_country": b.country,
            "border": a.country != b.country,
            "crossings": "; ".join(crossings_by_link.get(link.id, [])),
            "base_status": net.links[link.id].status,
        }
        features.append(
            {
                "type": "Feature",
                "id": f"link:{link.id}",
                "geometry": {"type": "LineString", "coordinates": link_coordinates(net, link.id)},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "name": f"{net.manifest.name}-{state.date.isoformat()}",
        "properties": {
            "date": state.date.isoformat(),
            "scenario": state.scenario,
            "events_applied": [e.id for e in state.events_applied],
        },
        "features": features,
    }


def link_coordinates(network: Network, link_id: str) -> list[list[float]]:
    """[lon, lat] points of a link from its `from` end to its `to` end: its drawn course
    (``shapes.geojson``) when the package has one, else the straight line."""
    shape = network.shapes.get(link_id)
    if shape is not None:
        return [[lon, lat] for lon, lat in shape]
    link = network.links[link_id]
    a, b = network.places[link.from_place], network.places[link.to_place]
    return [[a.lon, a.lat], [b.lon, b.lat]]


def element_layer(network: Network, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON map layer of analysed elements (``kind``/``id`` and any properties):
    links and crossings as lines, places and ports as points; countries have no
    geometry of their own and are left out."""
    features = []
    for item in items:
        kind, eid = item["kind"], item["id"]
        if kind in ("link", "crossing"):
            lid = eid if kind == "link" else network.crossings[eid].link
            geom: dict[str, Any] = {
                "type": "LineString",
                "coordinates": link_coordinates(network, lid),
            }
        elif kind in ("place", "port"):
            p = network.places[eid]
            geom = {"type": "Point", "coordinates": [p.lon, p.lat]}
        else:
            continue
        features.append(
            {"type": "Feature", "id": f"{kind}:{eid}", "geometry": geom, "properties": item}
        )
    return {"type": "FeatureCollection", "features": features}


def write_geojson(state: NetworkState, path: Path | str) -> Path:
    """Write :func:`state_geojson` to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(state_geojson(state), ensure_ascii=False, indent=1))


def write_csv_tables(state: NetworkState, folder: Path | str) -> list[Path]:
    """Write places, links, crossings and transfers as of the state's date as CSV
    files of one folder, all at once (see :func:`write_folder_atomic`)."""
    import pandas as pd

    tables: dict[str, list[dict[str, Any]]] = {
        "places": [p.record() for p in state.network.places.values()],
        "links": [v.record() for v in state.links.values()],
        "crossings": [v.record() for v in state.crossings.values()],
        "transfers": [v.record() for v in state.transfers.values()],
    }
    return write_frames_atomic(
        folder,
        {f"{name}.csv": pd.DataFrame.from_records(records) for name, records in tables.items()},
    )
