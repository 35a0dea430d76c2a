"""Compiled shortest-path kernels over CSR arrays (numba).

The graph is given as CSR over *edges*: ``indptr[v]:indptr[v+1]`` indexes ``adj_edge``,
the ids of the edges leaving node ``v``; ``edge_dst[e]`` is where edge ``e`` ends and
``weight[e]`` its non-negative weight; ``allowed[e]`` switches it on or off. Parallel
edges and zero weights are fine. Kernels return distances and, per node, the edge by
which it was reached (``-1`` at the sources and for unreached nodes), so callers can
rebuild paths edge by edge.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["dijkstra", "path_edges", "tree_sums"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@njit(cache=True, nogil=True)
def _sift_up(hk: FloatArray, hv: IntArray, i: int) -> None:  # pragma: no cover - compiled
    key, val = hk[i], hv[i]
    while i > 0:
        parent = (i - 1) >> 1
        if hk[parent] <= key:
            break
        hk[i], hv[i] = hk[parent], hv[parent]
        i = parent
    hk[i], hv[i] = key, val


@njit(cache=True, nogil=True)
def _sift_down(hk: FloatArray, hv: IntArray, n: int) -> None:  # pragma: no cover - compiled
    i = 0
    key, val = hk[0], hv[0]
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and hk[child + 1] < hk[child]:
            child += 1
        if hk[child] >= key:
            break
        hk[i], hv[i] = hk[child], hv[child]
        i = child
    hk[i], hv[i] = key, val


@njit(cache=True, nogil=True)
def _dijkstra(
    indptr: IntArray,
    adj_edge: IntArray,
    edge_dst: IntArray,
    weight: FloatArray,
    allowed: BoolArray,
    sources: IntArray,
    source_dist: FloatArray,
    targets: BoolArray,
    stop_at_target: bool,
    no_through: BoolArray,
) -> tuple[FloatArray, IntArray, IntArray]:  # pragma: no cover - compiled
    n = indptr.shape[0] - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)
    m = 0
    cap = adj_edge.shape[0] + sources.shape[0] + 1
    hk = np.empty(cap, dtype=np.float64)
    hv = np.empty(cap, dtype=np.int64)
    size = 0
    for i in range(sources.shape[0]):
        s = sources[i]
        d0 = source_dist[i]
        if d0 < dist[s]:
            dist[s] = d0
            hk[size], hv[size] = d0, s
            size += 1
            _sift_up(hk, hv, size - 1)
    while size > 0:
        d, u = hk[0], hv[0]
        size -= 1
        if size > 0:
            hk[0], hv[0] = hk[size], hv[size]
            _sift_down(hk, hv, size)
        if done[u]:
            continue
        done[u] = True
        order[m] = u
        m += 1
        if stop_at_target and targets[u]:
            break
        if no_through[u] and pred[u] >= 0:
            continue  # a node that may end or start a path but not carry one through
        for k in range(indptr[u], indptr[u + 1]):
            e = adj_edge[k]
            if not allowed[e]:
                continue
            v = edge_dst[e]
            nd = d + weight[e]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = e
                hk[size], hv[size] = nd, v
                size += 1
                _sift_up(hk, hv, size - 1)
    return dist, pred, order[:m]


def dijkstra(
    indptr: IntArray,
    adj_edge: IntArray,
    edge_dst: IntArray,
    weight: FloatArray,
    allowed: BoolArray,
    sources: IntArray,
    targets: BoolArray | None = None,
    source_dist: FloatArray | None = None,
) -> tuple[FloatArray, IntArray]:
    """Shortest distances from a set of sources (multi-source Dijkstra).

    With ``targets`` the search stops as soon as the nearest target is settled; its
    distance and path are then exact, other nodes' may not be. ``source_dist`` gives
    each source a starting distance (default 0).

    Examples
    --------
    >>> import numpy as np
    >>> indptr = np.array([0, 2, 3, 3]); adj = np.array([0, 1, 2])
    >>> dst = np.array([1, 2, 2]); w = np.array([1.0, 5.0, 1.0])
    >>> ok = np.ones(3, dtype=bool)
    >>> d, pred = dijkstra(indptr, adj, dst, w, ok, np.array([0]))
    >>> d.tolist(), pred.tolist()
    ([0.0, 1.0, 2.0], [-1, 0, 2])
    """
    n = indptr.shape[0] - 1
    stop = targets is not None
    tgt = targets if targets is not None else np.zeros(n, dtype=np.bool_)
    src = np.asarray(sources, dtype=np.int64)
    init = np.zeros(src.shape[0]) if source_dist is None else source_dist
    dist, pred, _order = _dijkstra(
        np.asarray(indptr, dtype=np.int64),
        np.asarray(adj_edge, dtype=np.int64),
        np.asarray(edge_dst, dtype=np.int64),
        np.asarray(weight, dtype=np.float64),
        np.asarray(allowed, dtype=np.bool_),
        src,
        np.asarray(init, dtype=np.float64),
        np.asarray(tgt, dtype=np.bool_),
        stop,
        np.zeros(n, dtype=np.bool_),
    )
    return dist, pred


def path_edges(pred: IntArray, edge_src: IntArray, target: int) -> list[int]:
    """The edges from a source to ``target``, in order, from a predecessor array."""
    out: list[int] = []
    v = target
    while pred[v] >= 0:
        e = int(pred[v])
        out.append(e)
        v = int(edge_src[e])
        if len(out) > pred.shape[0]:
            raise RuntimeError("predecessor array has a cycle")
    out.reverse()
    return out


@njit(cache=True, nogil=True)
def _tree_sums(
    order: IntArray, pred: IntArray, edge_src: IntArray, values: FloatArray
) -> FloatArray:  # pragma: no cover - compiled
    k, n = values.shape[0], pred.shape[0]
    out = np.zeros((k, n))
    for i in range(order.shape[0]):
        v = order[i]
        e = pred[v]
        if e >= 0:
            u = edge_src[e]
            for j in range(k):
                out[j, v] = out[j, u] + values[j, e]
    return out


def tree_sums(
    dist: FloatArray, pred: IntArray, edge_src: IntArray, values: FloatArray
) -> FloatArray:
    """Sum edge ``values`` (shape k x edges) along the shortest-path tree to every node.

    Unreached nodes get 0; callers mask them with ``dist``.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([0.0, 1.0, 2.0]); pred = np.array([-1, 0, 2])
    >>> src = np.array([0, 0, 1]); vals = np.array([[10.0, 50.0, 5.0]])
    >>> tree_sums(d, pred, src, vals).tolist()
    [[0.0, 10.0, 15.0]]
    """
    reached = np.flatnonzero(np.isfinite(dist))
    order = reached[np.argsort(dist[reached], kind="stable")]
    return _tree_sums(
        order.astype(np.int64),
        np.asarray(pred, dtype=np.int64),
        np.asarray(edge_src, dtype=np.int64),
        np.ascontiguousarray(values, dtype=np.float64),
    )
