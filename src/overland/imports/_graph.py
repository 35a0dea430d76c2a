"""Ways to a junction-to-junction graph, on flat numpy arrays (no per-node objects).

A way is a run of node positions (indices into the coordinate arrays). A vertex is kept
as a graph node when it is a junction (used twice or more, by any way), the end of a
run, or a point the caller forces (a station or border post on the line). Each stretch
between two consecutive graph nodes of one run becomes an edge whose length is the sum
of the haversine lengths of its segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..geo import EARTH_RADIUS_KM

__all__ = ["Edges", "haversine_km", "simplify"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def haversine_km(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> FloatArray:
    """Great-circle distances in km, element-wise (the formula of :mod:`overland.geo`).

    Examples
    --------
    >>> round(float(haversine_km(np.array([43.062]), np.array([40.362]),
    ...                          np.array([43.860]), np.array([40.788]))[0]))
    82
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))))


@dataclass(frozen=True)
class Edges:
    """Edges of the simplified graph; ``start``/``stop`` index the flat vertex arrays
    (``stop`` inclusive) so a caller can recover each edge's geometry."""

    way: IntArray  # index of the way each edge comes from
    a: IntArray  # node position at the start
    b: IntArray  # node position at the end
    start: IntArray  # first vertex (flat index into the kept vertices)
    stop: IntArray  # last vertex (inclusive)
    length_km: FloatArray
    vertex_node: IntArray  # kept vertices: node position
    vertex_way: IntArray  # kept vertices: way index

    def __len__(self) -> int:
        return len(self.a)


def simplify(
    way_offsets: IntArray,
    node_pos: IntArray,
    keep: npt.NDArray[np.bool_],
    lon: FloatArray,
    lat: FloatArray,
    forced: IntArray | None = None,
) -> Edges:
    """Split ways at junctions.

    Parameters
    ----------
    way_offsets
        ``len(ways) + 1`` offsets into ``node_pos``: way ``i`` is
        ``node_pos[way_offsets[i]:way_offsets[i + 1]]``.
    node_pos
        Position of each way vertex in ``lon``/``lat``.
    keep
        Per vertex: usable (located, inside the box). A vertex not kept splits its way
        into runs; runs of one vertex are dropped.
    forced
        Node positions that must be graph nodes (stations, border posts on the line).

    Examples
    --------
    Two ways crossing at node 2 give four edges:

    >>> lon = np.array([0.0, 0.0, 0.0, -0.01, 0.01]); lat = np.array([-0.01, 0.01, 0.0, 0.0, 0.0])
    >>> e = simplify(np.array([0, 3, 6]), np.array([0, 2, 1, 3, 2, 4]), np.ones(6, bool), lon, lat)
    >>> sorted(zip(e.a.tolist(), e.b.tolist()))
    [(0, 2), (2, 1), (2, 4), (3, 2)]
    """
    n_vert = len(node_pos)
    way_of_vertex = np.repeat(np.arange(len(way_offsets) - 1), np.diff(way_offsets))
    first_of_way = np.zeros(n_vert, dtype=bool)
    first_of_way[way_offsets[:-1][way_offsets[:-1] < n_vert]] = True
    # a run starts at a way's first vertex or right after a vertex that is not kept
    after_gap = np.zeros(n_vert, dtype=bool)
    after_gap[1:] = ~keep[:-1]
    run_id_all = np.cumsum(first_of_way | after_gap)
    idx = np.flatnonzero(keep)
    vnode = node_pos[idx].astype(np.int64)
    vway = way_of_vertex[idx].astype(np.int64)
    vrun = run_id_all[idx]
    n = len(idx)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Edges(empty, empty, empty, empty, empty, np.zeros(0), empty, empty)
    run_start = np.ones(n, dtype=bool)
    run_start[1:] = vrun[1:] != vrun[:-1]
    run_end = np.ones(n, dtype=bool)
    run_end[:-1] = run_start[1:]
    uses = np.bincount(vnode, minlength=len(lon))
    is_node = run_start | run_end | (uses[vnode] > 1)
    if forced is not None and len(forced):
        mark = np.zeros(len(lon), dtype=bool)
        mark[forced] = True
        is_node |= mark[vnode]
    seg = np.zeros(n)
    same = ~run_start[1:]
    seg[1:][same] = haversine_km(
        lon[vnode[:-1][same]], lat[vnode[:-1][same]], lon[vnode[1:][same]], lat[vnode[1:][same]]
    )
    cum = np.cumsum(seg)
    brk = np.flatnonzero(is_node)
    s, t = brk[:-1], brk[1:]
    ok = vrun[s] == vrun[t]
    s, t = s[ok], t[ok]
    return Edges(
        way=vway[s],
        a=vnode[s],
        b=vnode[t],
        start=s.astype(np.int64),
        stop=t.astype(np.int64),
        length_km=cum[t] - cum[s],
        vertex_node=vnode,
        vertex_way=vway,
    )
