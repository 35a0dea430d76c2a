"""Compiled kernels of traffic assignment (numba): volume-delay functions, shortest-path
trees that respect zones that may not be passed through, all-or-nothing loading, and the
path-based gradient-projection sweep.

Internal module: :mod:`overland.assignment` is the public surface.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..kernels import _dijkstra

BPR, CONICAL, QUEUE, AKCELIK = 0, 1, 2, 3
QUEUE_MU = 0.95  # the queue function is extended linearly beyond this volume/capacity
_GL_X = np.array(
    [-0.906179845938664, -0.538469310105683, 0.0, 0.538469310105683, 0.906179845938664]
)
_GL_W = np.array(
    [0.236926885056189, 0.478628670499366, 0.568888888888889, 0.478628670499366, 0.236926885056189]
)


@njit(cache=True, nogil=True)
def vdf_time(
    code: int, fft: float, cap: float, a: float, p: float, x: float
) -> float:  # pragma: no cover
    # flows are clamped at 0: round-off may leave -1e-15, and a negative base with a
    # non-integer power is NaN
    r = max(x, 0.0) / cap
    if code == BPR:
        if a == 0.0:
            return fft
        return fft * (1.0 + a * math.pow(r, p))
    if code == CONICAL:
        beta = (2.0 * a - 1.0) / (2.0 * a - 2.0)
        u = 1.0 - r
        return fft * (2.0 + math.sqrt(a * a * u * u + beta * beta) - a * u - beta)
    if code == AKCELIK:  # a = service-time scale (h), p = period (h)
        u = r - 1.0
        return fft + 0.25 * p * (u + math.sqrt(u * u + 8.0 * a * r / p))
    # queue (Davidson), linear beyond QUEUE_MU
    if r < QUEUE_MU:
        return fft * (1.0 + a * r / (1.0 - r))
    tm = fft * (1.0 + a * QUEUE_MU / (1.0 - QUEUE_MU))
    dm = fft * a / ((1.0 - QUEUE_MU) ** 2)
    return tm + dm * (r - QUEUE_MU)


@njit(cache=True, nogil=True)
def vdf_deriv(
    code: int, fft: float, cap: float, a: float, p: float, x: float
) -> float:  # pragma: no cover
    r = max(x, 0.0) / cap
    if code == BPR:
        if a == 0.0 or p == 0.0:
            return 0.0
        if p < 1.0 and r <= 0.0:
            return 0.0
        return fft * a * p * math.pow(r, p - 1.0) / cap
    if code == CONICAL:
        beta = (2.0 * a - 1.0) / (2.0 * a - 2.0)
        u = 1.0 - r
        return fft / cap * (a - a * a * u / math.sqrt(a * a * u * u + beta * beta))
    if code == AKCELIK:
        u = r - 1.0
        root = math.sqrt(u * u + 8.0 * a * r / p)
        if root == 0.0:
            return 0.5 * p / cap
        return 0.25 * p * (1.0 + (u + 4.0 * a / p) / root) / cap
    if r < QUEUE_MU:
        return fft * a / ((1.0 - r) ** 2) / cap
    return fft * a / ((1.0 - QUEUE_MU) ** 2) / cap


@njit(cache=True, nogil=True)
def vdf_integral(
    code: int, fft: float, cap: float, a: float, p: float, x: float
) -> float:  # pragma: no cover
    if x <= 0.0:
        return 0.0
    if code == BPR:
        if a == 0.0:
            return fft * x
        return fft * (x + a * cap * math.pow(x / cap, p + 1.0) / (p + 1.0))
    if code == AKCELIK and a > 0.0 and 8.0 * a / p < 4.0:
        return fft * x + 0.25 * p * cap * _akcelik_area(x / cap, 8.0 * a / p)
    if code == QUEUE and x / cap < QUEUE_MU:
        r = x / cap
        return fft * (x + a * cap * (-r - math.log(1.0 - r)))
    # Gauss-Legendre on [0, x] (conical; the linear part of the queue function)
    s = 0.0
    for i in range(5):
        xi = 0.5 * x * (_GL_X[i] + 1.0)
        s += _GL_W[i] * vdf_time(code, fft, cap, a, p, xi)
    return 0.5 * x * s


@njit(cache=True, nogil=True)
def _akcelik_area(r: float, c: float) -> float:  # pragma: no cover
    """Closed form of the integral over [0, r] of (u - 1) + sqrt((u - 1)^2 + c u), 0 < c < 4."""
    return 0.5 * r * r - r + _akcelik_prim(r, c - 2.0) - _akcelik_prim(0.0, c - 2.0)


@njit(cache=True, nogil=True)
def _akcelik_prim(u: float, b: float) -> float:  # pragma: no cover
    s = math.sqrt(u * u + b * u + 1.0)
    return (2.0 * u + b) / 4.0 * s + (4.0 - b * b) / 8.0 * math.log(2.0 * u + b + 2.0 * s)


@njit(cache=True, nogil=True)
def link_times(code, fft, cap, a, p, x, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    for i in range(x.shape[0]):
        out[i] = vdf_time(code[i], fft[i], cap[i], a[i], p[i], x[i])


@njit(cache=True, nogil=True)
def beckmann(code, fft, cap, a, p, x, fixed):  # type: ignore[no-untyped-def]  # pragma: no cover
    s = 0.0
    for i in range(x.shape[0]):
        s += vdf_integral(code[i], fft[i], cap[i], a[i], p[i], x[i]) + fixed[i] * x[i]
    return s


@njit(cache=True, nogil=True)
def sp_tree(indptr, adj, dst, w, allowed, no_through, source):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Single-source Dijkstra; nodes flagged ``no_through`` are never passed through.
    Returns distances, predecessor edges and the nodes in the order they were settled."""
    sources = np.full(1, source, dtype=np.int64)
    return _dijkstra(
        indptr,
        adj,
        dst,
        w,
        allowed,
        sources,
        np.zeros(1),
        np.zeros(1, dtype=np.bool_),
        False,
        no_through,
    )


@njit(cache=True, nogil=True)
def load_tree(pred, src, order, node_demand, flows):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add the all-or-nothing load of one origin's demand along its shortest-path tree."""
    acc = node_demand.copy()
    for i in range(order.shape[0] - 1, 0, -1):
        v = order[i]
        e = pred[v]
        if e >= 0 and acc[v] != 0.0:
            flows[e] += acc[v]
            acc[src[e]] += acc[v]


@njit(cache=True, nogil=True)
def _aon_origin(indptr, adj, src, dst, w, allowed, no_through, o, demand, zone_node, flows, sptt):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add the all-or-nothing load of zone ``o``'s demand to ``flows`` and its cost to
    ``sptt`` (returned)."""
    dist, pred, order = sp_tree(indptr, adj, dst, w, allowed, no_through, zone_node[o])
    nd = np.zeros(indptr.shape[0] - 1)
    for d in range(demand.shape[1]):
        q = demand[o, d]
        if q > 0.0 and d != o:
            node = zone_node[d]
            if np.isfinite(dist[node]):  # unreachable demand is reported, not loaded
                nd[node] += q
                sptt += q * dist[node]
    load_tree(pred, src, order, nd, flows)
    return sptt


@njit(cache=True, nogil=True, parallel=True)
def aon(indptr, adj, src, dst, w, allowed, no_through, origins, demand, zone_node):  # type: ignore[no-untyped-def]  # pragma: no cover
    """All-or-nothing flows and SPTT for origins (rows of ``demand`` over zone nodes), in
    eight fixed chunks of origins (the same sums whatever the number of threads)."""
    n_links = src.shape[0]
    n_chunks = 8
    chunks = np.zeros((n_chunks, n_links))
    sptt = np.zeros(n_chunks)
    for t in prange(n_chunks):
        for k in range(t, origins.shape[0], n_chunks):
            sptt[t] = _aon_origin(
                indptr, adj, src, dst, w, allowed, no_through, origins[k], demand, zone_node,
                chunks[t], sptt[t],
            )  # fmt: skip
    flows = np.zeros(n_links)
    for t in range(n_chunks):
        flows += chunks[t]
    return flows, sptt.sum()


@njit(cache=True, nogil=True, parallel=True)
def all_to_all(indptr, adj, dst, w, allowed, no_through, sources, n_cols):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Distances from every source (rows) to nodes ``0 .. n_cols - 1`` (the zones), in
    parallel over sources."""
    out = np.empty((sources.shape[0], n_cols))
    for i in prange(sources.shape[0]):
        dist, _pred, _order = sp_tree(indptr, adj, dst, w, allowed, no_through, sources[i])
        out[i] = dist[:n_cols]
    return out


@njit(cache=True, nogil=True)
def _refresh(code, fft, cap, a, p, x, t, dt, e):  # type: ignore[no-untyped-def]  # pragma: no cover
    t[e] = vdf_time(code[e], fft[e], cap[e], a[e], p[e], x[e])
    dt[e] = vdf_deriv(code[e], fft[e], cap[e], a[e], p[e], x[e])


@njit(cache=True, nogil=True)
def compact_paths(od_paths, od_np, store, grow):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The path store rewritten with live paths only, with room for as many again (and
    ``grow`` times that)."""
    p_start, p_len, p_flow, lk, tops = store
    n_live = 0
    n_lk = 0
    for k in range(od_paths.shape[0]):
        for i in range(od_np[k]):
            n_live += 1
            n_lk += p_len[od_paths[k, i]]
    cap_p = grow * max(2 * n_live, p_start.shape[0])
    cap_l = grow * max(2 * n_lk, lk.shape[0])
    ns = np.zeros(cap_p, np.int64)
    nl = np.zeros(cap_p, np.int64)
    nf = np.zeros(cap_p)
    nk = np.zeros(cap_l, np.int64)
    top = 0
    new = 0
    for k in range(od_paths.shape[0]):
        for i in range(od_np[k]):
            pid = od_paths[k, i]
            n_l = p_len[pid]
            nk[top : top + n_l] = lk[p_start[pid] : p_start[pid] + n_l]
            ns[new] = top
            nl[new] = n_l
            nf[new] = p_flow[pid]
            od_paths[k, i] = new
            top += n_l
            new += 1
    tops[0] = n_live
    tops[1] = top
    return ns, nl, nf, nk, tops


@njit(cache=True, nogil=True)
def gp_iteration(groups, store, net, vdf, state, scratch, n_inner):  # type: ignore[no-untyped-def]  # pragma: no cover
    """One Gauss-Seidel sweep of path-based gradient projection over every group (see
    :func:`gp_sweep`), growing the path store when it is full. Returns the store (new
    arrays if it grew)."""
    n_groups = groups[0].shape[0]
    g = 0
    full = -1  # the group at which the store was last full
    while g < n_groups:
        g = gp_sweep(g, groups, store, net, vdf, state, scratch, n_inner)
        if g < n_groups:  # a store is full: compact live paths, then grow (double if
            # compacting did not make room for this group)
            store = compact_paths(groups[5], groups[6], store, 2 if g == full else 1)
            full = g
    return store


@njit(cache=True, nogil=True)
def gp_sweep(g_first, groups, store, net, vdf, state, scratch, n_inner):  # type: ignore[no-untyped-def]  # pragma: no cover
    """A sweep of path-based gradient projection over groups from ``g_first``, with
    ``n_inner`` passes over a group's ODs. Returns the first group not processed (== the
    number of groups when done); an earlier value means a store is full and must grow
    before calling again.

    ``groups``: ``(g_class, g_source, g_ptr, od_dest_node, od_q, od_paths, od_np)``, the
    (class, origin) groups, their ODs and the ODs' path slots; ``store``: ``(p_start,
    p_len, p_flow, lk, tops)``, the paths (``tops`` = [next path, next link]); ``net``:
    ``(indptr, adj, src, dst, allowed, no_through, fixed)``; ``vdf``: ``(code, fft, cap,
    a, p)``; ``state``: ``(x, xc, t, dt)``; ``scratch``: ``(mark, stamp)``."""
    g_class, g_source, g_ptr, od_dest_node, od_q, od_paths, od_np = groups
    p_start, p_len, p_flow, lk, tops = store
    indptr, adj, src, dst, allowed, no_through, fixed = net
    code, fft, cap, a, p = vdf
    x, xc, t, dt = state
    mark, stamp = scratch
    n_groups = g_class.shape[0]
    maxp = od_paths.shape[1]
    w = np.empty(src.shape[0])
    for g in range(g_first, n_groups):
        c = g_class[g]
        for e in range(w.shape[0]):
            w[e] = t[e] + fixed[c, e]
        dist, pred, _order = sp_tree(indptr, adj, dst, w, allowed[c], no_through, g_source[g])
        # room for one new path per OD of this group?
        need_links = 0
        for k in range(g_ptr[g], g_ptr[g + 1]):
            v = od_dest_node[k]
            while pred[v] >= 0:
                need_links += 1
                v = src[pred[v]]
        if (
            tops[0] + (g_ptr[g + 1] - g_ptr[g]) > p_start.shape[0]
            or tops[1] + need_links > lk.shape[0]
        ):
            return g
        for rep in range(n_inner):
            for k in range(g_ptr[g], g_ptr[g + 1]):
                dnode = od_dest_node[k]
                sp = dist[dnode]
                if not np.isfinite(sp):
                    continue
                n_k = od_np[k]
                best = -1
                best_c = np.inf
                for i in range(n_k):
                    pid = od_paths[k, i]
                    cost = 0.0
                    for j in range(p_start[pid], p_start[pid] + p_len[pid]):
                        cost += w[lk[j]]
                    if cost < best_c:
                        best_c = cost
                        best = i
                if rep == 0 and (best < 0 or best_c > sp * (1.0 + 1e-12) + 1e-14):
                    if n_k >= maxp:
                        # drop the emptiest slot to make room
                        worst = 0
                        for i in range(1, n_k):
                            if p_flow[od_paths[k, i]] < p_flow[od_paths[k, worst]]:
                                worst = i
                        if p_flow[od_paths[k, worst]] > 0.0:
                            continue
                        od_paths[k, worst] = od_paths[k, n_k - 1]
                        n_k -= 1
                    pid = tops[0]
                    tops[0] += 1
                    n_l = 0
                    v = dnode
                    while pred[v] >= 0:
                        n_l += 1
                        v = src[pred[v]]
                    start = tops[1]
                    tops[1] += n_l
                    v = dnode
                    j = start + n_l - 1
                    while pred[v] >= 0:
                        lk[j] = pred[v]
                        j -= 1
                        v = src[pred[v]]
                    p_start[pid] = start
                    p_len[pid] = n_l
                    p_flow[pid] = 0.0
                    od_paths[k, n_k] = pid
                    new_c = 0.0
                    for jj in range(start, start + n_l):
                        new_c += w[lk[jj]]
                    if new_c < best_c or best < 0:
                        best = n_k
                    n_k += 1
                    if n_k == 1:
                        q = od_q[k]
                        p_flow[pid] = q
                        for jj in range(start, start + n_l):
                            e = lk[jj]
                            x[e] += q
                            xc[c, e] += q
                            _refresh(code, fft, cap, a, p, x, t, dt, e)
                            w[e] = t[e] + fixed[c, e]
                od_np[k] = n_k
                if best < 0:
                    continue
                bpid = od_paths[k, best]
                # shift flow from every other path to the basic one (Newton step)
                for i in range(n_k):
                    if i == best:
                        continue
                    pid = od_paths[k, i]
                    fp = p_flow[pid]
                    if fp <= 0.0:
                        continue
                    stamp[0] += 2
                    sb = stamp[0]
                    for j in range(p_start[bpid], p_start[bpid] + p_len[bpid]):
                        mark[lk[j]] = sb
                    cp = 0.0
                    cb = 0.0
                    h = 0.0
                    for j in range(p_start[pid], p_start[pid] + p_len[pid]):
                        e = lk[j]
                        if mark[e] == sb:
                            mark[e] = sb + 1  # on both paths
                        else:
                            cp += w[e]
                            h += dt[e]
                    for j in range(p_start[bpid], p_start[bpid] + p_len[bpid]):
                        e = lk[j]
                        if mark[e] == sb:
                            cb += w[e]
                            h += dt[e]
                    dc = cp - cb
                    if dc <= 0.0:
                        continue
                    step = fp if h <= 0.0 else min(fp, dc / h)
                    p_flow[pid] = fp - step
                    p_flow[bpid] += step
                    for j in range(p_start[pid], p_start[pid] + p_len[pid]):
                        e = lk[j]
                        if mark[e] != sb + 1:
                            x[e] -= step
                            xc[c, e] -= step
                            if x[e] < 0.0:
                                x[e] = 0.0
                            if xc[c, e] < 0.0:
                                xc[c, e] = 0.0
                            _refresh(code, fft, cap, a, p, x, t, dt, e)
                            w[e] = t[e] + fixed[c, e]
                    for j in range(p_start[bpid], p_start[bpid] + p_len[bpid]):
                        e = lk[j]
                        if mark[e] == sb:
                            x[e] += step
                            xc[c, e] += step
                            _refresh(code, fft, cap, a, p, x, t, dt, e)
                            w[e] = t[e] + fixed[c, e]
                # drop empty paths (keep the basic one)
                i = 0
                while i < od_np[k]:
                    pid = od_paths[k, i]
                    if p_flow[pid] <= 0.0 and od_np[k] > 1:
                        od_paths[k, i] = od_paths[k, od_np[k] - 1]
                        od_np[k] -= 1
                    else:
                        i += 1
    return n_groups


@njit(cache=True, nogil=True)
def link_derivs(code, fft, cap, a, p, x, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    for i in range(x.shape[0]):
        out[i] = vdf_deriv(code[i], fft[i], cap[i], a[i], p[i], x[i])


@njit(cache=True, nogil=True, parallel=True)
def skim_sums(indptr, adj, src, dst, w, allowed, no_through, sources, targets, values):  # type: ignore[no-untyped-def]  # pragma: no cover
    """For every source (in parallel): the shortest-path cost to each target node and the
    sums of ``values`` (k x links) along those paths. Returns (k + 1) x sources x targets."""
    k = values.shape[0]
    out = np.full((k + 1, sources.shape[0], targets.shape[0]), np.inf)
    for i in prange(sources.shape[0]):
        dist, pred, order = sp_tree(indptr, adj, dst, w, allowed, no_through, sources[i])
        acc = np.zeros((k, dist.shape[0]))
        for j in range(1, order.shape[0]):
            v = order[j]
            e = pred[v]
            if e >= 0:
                u = src[e]
                for q in range(k):
                    acc[q, v] = acc[q, u] + values[q, e]
        for t in range(targets.shape[0]):
            node = targets[t]
            if np.isfinite(dist[node]):
                out[0, i, t] = dist[node]
                for q in range(k):
                    out[q + 1, i, t] = acc[q, node]
    return out
