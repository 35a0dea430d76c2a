"""Compiled kernels of the bush-based equilibrium solver: Dial's (2006) Algorithm B.

One bush per (class, origin): an acyclic set of links out of the origin that carries all
of that origin's demand of that class, kept between iterations with its link flows
(``bflow``) and a topological order of its nodes. An iteration, for every bush: drop
links without flow (the bush's shortest-path tree stays), add links that shorten a
longest path (``M[i] + w < M[j]`` with ``M`` the longest-path labels over the bush, which
keeps it acyclic), re-sort, then shift flow: for each node in reverse topological order,
from its longest used path to its shortest path, between the node and the two paths'
last common node, by a Newton step with the segments' exact current costs and
derivatives; link times and derivatives are updated after every shift. Cheap extra
passes re-shift only bushes whose paths still differ.

The kernels take their arrays in tuples, unpacked where they are used:

- ``net``: ``(out_ptr, out_idx, in_ptr, in_idx, src, dst, allowed, no_through, fixed)``
  (links out of and into each node, link ends, class x links masks and fixed costs);
- ``vdf``: ``(code, fft, cap, a, p)``; ``state``: ``(x, xc, t, dt)`` (flows, class
  flows, times and their derivatives, updated in place);
- ``bushes``: ``(b_class, b_origin, in_bush, bflow, topo, n_topo, partners)`` (bush x
  links membership and flows, bush x nodes topological order, the bushes of the other
  classes at the same origin, -1 padded);
- ``work``: ``(lo, hi, p_lo, p_hi, pos, indeg, queue, blocked, seen)``, scratch per node.

Internal module: :mod:`overland.assignment` is the public surface.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._kernels import _refresh, sp_tree

_UNSET = -1


@njit(cache=True, nogil=True)
def resum(vdf, state):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Link flows as the sum of class flows, and times and derivatives at them."""
    code, fft, cap, a, p = vdf
    x, xc, t, dt = state
    for e in range(x.shape[0]):
        s = 0.0
        for c in range(xc.shape[0]):
            s += xc[c, e]
        x[e] = s
        _refresh(code, fft, cap, a, p, x, t, dt, e)


@njit(cache=True, nogil=True)
def _tree_bush(bb, net, w, bushes, demand):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Bush ``bb`` as its origin's shortest-path tree at link costs ``w``, loaded
    all-or-nothing (its own rows only)."""
    out_ptr, out_idx, _ip, _ii, src, dst, allowed, no_through, _fx = net
    b_class, b_origin, in_bush, bflow, topo, n_topo, _pt = bushes
    c = b_class[bb]
    o = b_origin[bb]
    dist, pred, order = sp_tree(out_ptr, out_idx, dst, w, allowed[c], no_through, o)
    acc = np.zeros(dist.shape[0])
    for d in range(demand.shape[1]):
        q = demand[c, o, d]
        if q > 0.0 and d != o and np.isfinite(dist[d]):
            acc[d] += q
    k = 0
    for i in range(order.shape[0]):
        v = order[i]
        if v == o or pred[v] >= 0:
            topo[bb, k] = v
            k += 1
            if pred[v] >= 0:
                in_bush[bb, pred[v]] = 1
    n_topo[bb] = k
    for i in range(k - 1, 0, -1):
        v = topo[bb, i]
        e = pred[v]
        if acc[v] != 0.0:
            bflow[bb, e] += acc[v]
            acc[src[e]] += acc[v]


@njit(cache=True, nogil=True)
def _class_flows(vdf, state, bushes):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Class flows summed from the bushes, then link flows, times and derivatives."""
    xc = state[1]
    b_class, bflow = bushes[0], bushes[3]
    xc[:, :] = 0.0
    for bb in range(b_class.shape[0]):
        c = b_class[bb]
        for e in range(xc.shape[1]):
            xc[c, e] += bflow[bb, e]
    resum(vdf, state)


@njit(cache=True, nogil=True, parallel=True)
def bush_init(net, vdf, state, bushes, demand):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Bushes as the shortest-path trees at the current costs, loaded all-or-nothing
    (``demand``: class x zones x zones), in parallel over bushes."""
    fixed = net[8]
    t = state[2]
    w = np.empty(fixed.shape)
    for c in range(fixed.shape[0]):
        for e in range(fixed.shape[1]):
            w[c, e] = t[e] + fixed[c, e]
    b_class = bushes[0]
    for bb in prange(b_class.shape[0]):
        _tree_bush(bb, net, w[b_class[bb]], bushes, demand)
    _class_flows(vdf, state, bushes)


@njit(cache=True, nogil=True)
def _labels(bb, net, t, bushes, work, mode):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Shortest (``lo``) and longest (``hi``) path labels in topological order. ``mode``
    0: ``hi`` over every bush link; 1: over used links only (nodes without flow keep
    ``hi = -1``); 2: first drop each node's unused links except its shortest-path one,
    then ``hi`` over what is left. Nodes outside the bush keep ``lo = inf, hi = -1``.
    Returns whether links were dropped."""
    _op, _oi, in_ptr, in_idx, src, _dst, _al, _nt, fixed = net
    b_class, _bo, in_bush, bflow, topo, n_topo, _pt = bushes
    lo, hi, p_lo, p_hi = work[0], work[1], work[2], work[3]
    c = b_class[bb]
    o = topo[bb, 0]
    for v in range(lo.shape[0]):
        lo[v] = np.inf
        hi[v] = -1.0
        p_lo[v] = _UNSET
        p_hi[v] = _UNSET
    lo[o] = 0.0
    hi[o] = 0.0
    dropped = False
    if mode != 2:  # both labels in one scan of the in-links
        for i in range(1, n_topo[bb]):
            v = topo[bb, i]
            best_lo = np.inf
            best_hi = -1.0
            for k in range(in_ptr[v], in_ptr[v + 1]):
                e = in_idx[k]
                if in_bush[bb, e] == 0:
                    continue
                u = src[e]
                w = t[e] + fixed[c, e]
                if lo[u] + w < best_lo:
                    best_lo = lo[u] + w
                    p_lo[v] = e
                if (mode == 0 or bflow[bb, e] > 0.0) and hi[u] >= 0.0 and hi[u] + w > best_hi:
                    best_hi = hi[u] + w
                    p_hi[v] = e
            lo[v] = best_lo
            hi[v] = best_hi
        return False
    for i in range(1, n_topo[bb]):
        v = topo[bb, i]
        best_lo = np.inf
        for k in range(in_ptr[v], in_ptr[v + 1]):
            e = in_idx[k]
            if in_bush[bb, e] == 1 and lo[src[e]] + (t[e] + fixed[c, e]) < best_lo:
                best_lo = lo[src[e]] + (t[e] + fixed[c, e])
                p_lo[v] = e
        lo[v] = best_lo
        best_hi = -1.0
        for k in range(in_ptr[v], in_ptr[v + 1]):
            e = in_idx[k]
            if in_bush[bb, e] == 0:
                continue
            if bflow[bb, e] <= 0.0:
                if mode == 1:
                    continue
                if mode == 2 and e != p_lo[v]:
                    in_bush[bb, e] = 0
                    dropped = True
                    continue
            u = src[e]
            w = t[e] + fixed[c, e]
            if hi[u] >= 0.0 and hi[u] + w > best_hi:
                best_hi = hi[u] + w
                p_hi[v] = e
        hi[v] = best_hi
    return dropped


@njit(cache=True, nogil=True)
def _sort(bb, net, bushes, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Topological order of the bush's nodes (Kahn); False if the bush has a cycle. Every
    node of the bush stays reachable from the origin (its shortest-path link is never
    dropped), so in-degrees are counted from the nodes of the previous order; should that
    ever not hold, the order is made again from a search of what is reachable."""
    out_ptr, out_idx, _ip, _ii, _src, dst, _al, _nt, _fx = net
    _bc, _bo, in_bush, _bf, topo, n_topo, _pt = bushes
    indeg = work[5]
    n_before = n_topo[bb]
    for v in range(indeg.shape[0]):
        indeg[v] = 0
    for i in range(n_before):
        u = topo[bb, i]
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            if in_bush[bb, e] == 1:
                indeg[dst[e]] += 1
    if _kahn(bb, net, bushes, work) == n_before:
        return True
    return _sort_reachable(bb, net, bushes, work)


@njit(cache=True, nogil=True)
def _kahn(bb, net, bushes, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Kahn's order from the origin given in-degrees (``work[5]``); returns its length."""
    out_ptr, out_idx, _ip, _ii, _src, dst, _al, _nt, _fx = net
    _bc, b_origin, in_bush, _bf, topo, n_topo, _pt = bushes
    indeg, queue = work[5], work[6]
    o = b_origin[bb]
    head = 0
    tail = 0
    queue[tail] = o
    tail += 1
    while head < tail:
        u = queue[head]
        topo[bb, head] = u
        head += 1
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            if in_bush[bb, e] == 1:
                v = dst[e]
                indeg[v] -= 1
                if indeg[v] == 0:
                    queue[tail] = v
                    tail += 1
    n_topo[bb] = head
    return head


@njit(cache=True, nogil=True)
def _sort_reachable(bb, net, bushes, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Topological order of the bush's nodes reachable from its origin, in-degrees counted
    from a search of them; False if the bush has a cycle."""
    out_ptr, out_idx, _ip, _ii, _src, dst, _al, _nt, _fx = net
    _bc, b_origin, in_bush, _bf, _tp, _nt2, _pt = bushes
    indeg, queue = work[5], work[6]
    o = b_origin[bb]
    n = indeg.shape[0]
    for v in range(n):
        indeg[v] = 0
    seen = queue  # reuse: mark reachable nodes with a stack
    mark = np.zeros(n, np.bool_)
    top = 0
    seen[top] = o
    top += 1
    mark[o] = True
    while top > 0:
        top -= 1
        u = seen[top]
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            if in_bush[bb, e] == 1:
                v = dst[e]
                indeg[v] += 1
                if not mark[v]:
                    mark[v] = True
                    seen[top] = v
                    top += 1
    return _kahn(bb, net, bushes, work) == mark.sum()


@njit(cache=True, nogil=True)
def _reaches(bb, start, goal, net, in_bush, stack, seen):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Whether the bush has a path from ``start`` to ``goal`` (depth-first search)."""
    out_ptr, out_idx, _ip, _ii, _src, dst, _al, _nt, _fx = net
    seen[0] += 1
    mark = seen[0]
    top = 0
    stack[top] = start
    top += 1
    seen[start + 1] = mark
    while top > 0:
        top -= 1
        u = stack[top]
        if u == goal:
            return True
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            v = dst[e]
            if in_bush[bb, e] == 1 and seen[v + 1] != mark:
                seen[v + 1] = mark
                stack[top] = v
                top += 1
    return False


@njit(cache=True, nogil=True)
def _update_bush(bb, net, t, bushes, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Drop unused links off the shortest-path tree, add links that shorten a longest
    path, and re-sort. Returns False if the bush could not be sorted (a cycle)."""
    out_ptr, out_idx, _ip, _ii, src, dst, allowed, no_through, fixed = net
    b_class, b_origin, in_bush, _bf, topo, n_topo, _pt = bushes
    lo, hi, queue, blocked, seen = work[0], work[1], work[6], work[7], work[8]
    c = b_class[bb]
    o = b_origin[bb]
    changed = _labels(bb, net, t, bushes, work, 2)
    # longest-path labels over the bush bound every one of its links
    # (hi[v] >= hi[u] + w >= hi[u]), so links added only where hi[u] < hi[v] cannot close
    # a cycle: add those that shorten a longest path (Dial) or a shortest path. A link
    # that shortens a shortest path but fails that test is added if the bush has no path
    # from its head back to its tail (a search per such link; they are few).
    n_blocked = 0
    for i in range(n_topo[bb]):
        u = topo[bb, i]
        if no_through[u] and u != o:
            continue
        hu = hi[u]
        lu = lo[u]
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            if in_bush[bb, e] == 1 or not allowed[c, e]:
                continue
            v = dst[e]
            if v == o:
                continue
            w = t[e] + fixed[c, e]  # the same sum as in _labels
            if hu < hi[v] and (hu + w < hi[v] or lu + w < lo[v]):
                in_bush[bb, e] = 1
                changed = True
            elif lu + w < lo[v] * (1.0 - 1e-12) and n_blocked < blocked.shape[0]:
                blocked[n_blocked] = e
                n_blocked += 1
    for q in range(n_blocked):
        e = blocked[q]
        if not _reaches(bb, dst[e], src[e], net, in_bush, queue, seen):
            in_bush[bb, e] = 1
            changed = True
    if changed:
        return _sort(bb, net, bushes, work)
    return True


@njit(cache=True, nogil=True)
def _move(bb, c, e, step, xc, bflow):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add ``step`` (< 0: take it) to bush ``bb``'s flow on link ``e`` and to its class's."""
    f = bflow[bb, e] + step
    # a residue of round-off (1e-16) would keep a link "used" and block the reverse link
    # for ever: it is dropped (conservation off by ~1e-12 of a flow)
    bflow[bb, e] = f if step > 0.0 or f > 1e-12 * bflow[bb, e] else 0.0
    xc[c, e] = max(xc[c, e] + step, 0.0)


@njit(cache=True, nogil=True)
def _swap(bb, b2, j, meet, net, state, bushes, work, room, rel_tol):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Exchange flow between bush ``bb`` and ``b2`` (another class, same origin) when each
    prefers the other's segment from ``meet`` to ``j``: ``bb`` from its longest used
    path (``p_hi``) to its shortest (``p_lo``), ``b2`` the other way. Link flows and so
    link times do not change, the objective falls by the amount times both classes' cost
    differences: the step one-class Newton shifts cannot take on a steep link, where
    each class would undo the other's shift (they differ only in fixed costs). Returns
    what is left of ``room`` (``bb``'s flow on its long segment)."""
    src, fixed = net[4], net[8]
    xc, t = state[1], state[2]
    b_class, _bo, in_bush, bflow, _tp, _nt, _pt = bushes
    p_lo, p_hi = work[2], work[3]
    c1 = b_class[bb]
    c2 = b_class[b2]
    room2 = np.inf
    cost_short = 0.0  # b2's cost of bb's shortest segment: b2 must carry flow on all of it
    u = j
    while u != meet:
        e = p_lo[u]
        room2 = min(room2, bflow[b2, e])
        cost_short += t[e] + fixed[c2, e]
        u = src[e]
    if room2 <= 0.0:
        return room
    cost_long = 0.0  # and have every link of bb's long one
    u = j
    while u != meet:
        e = p_hi[u]
        if in_bush[b2, e] == 0:
            return room
        cost_long += t[e] + fixed[c2, e]
        u = src[e]
    if cost_short - cost_long <= rel_tol * cost_long:
        return room
    step = min(room, room2)
    u = j
    while u != meet:
        e = p_hi[u]
        _move(bb, c1, e, -step, xc, bflow)
        _move(b2, c2, e, step, xc, bflow)
        u = src[e]
    u = j
    while u != meet:
        e = p_lo[u]
        _move(bb, c1, e, step, xc, bflow)
        _move(b2, c2, e, -step, xc, bflow)
        u = src[e]
    return room - step


@njit(cache=True, nogil=True)
def _shift(bb, net, vdf, state, bushes, work, rel_tol):  # type: ignore[no-untyped-def]  # pragma: no cover
    """One pass of Newton shifts over the bush; returns the largest relative difference
    between a node's longest used and shortest path found."""
    src, fixed = net[4], net[8]
    code, fft, cap, a, p = vdf
    x, xc, t, dt = state
    b_class, _bo, _ib, bflow, topo, n_topo, partners = bushes
    lo, hi, p_lo, p_hi, pos = work[0], work[1], work[2], work[3], work[4]
    c = b_class[bb]
    _labels(bb, net, t, bushes, work, 1)
    worst = 0.0
    for i in range(n_topo[bb]):
        pos[topo[bb, i]] = i
    for i in range(n_topo[bb] - 1, 0, -1):
        j = topo[bb, i]
        if hi[j] < 0.0 or p_hi[j] == p_lo[j]:
            continue
        diff = hi[j] - lo[j]
        scale = hi[j] if hi[j] > 0.0 else 1.0
        if diff / scale > worst:
            worst = diff / scale
        if diff <= rel_tol * lo[j] or diff <= 1e-14 * scale:
            continue
        # last common node of the two paths, by topological position
        u = src[p_lo[j]]
        v = src[p_hi[j]]
        while u != v:
            if pos[u] > pos[v]:
                u = src[p_lo[u]]
            else:
                v = src[p_hi[v]]
        meet = u
        c_lo = 0.0
        d_lo = 0.0
        u = j
        while u != meet:
            e = p_lo[u]
            c_lo += t[e] + fixed[c, e]
            d_lo += dt[e]
            u = src[e]
        c_hi = 0.0
        d_hi = 0.0
        room = np.inf
        u = j
        while u != meet:
            e = p_hi[u]
            c_hi += t[e] + fixed[c, e]
            d_hi += dt[e]
            if bflow[bb, e] < room:
                room = bflow[bb, e]
            u = src[e]
        dc = c_hi - c_lo
        if dc <= 0.0 or room <= 0.0:
            continue
        for q in range(partners.shape[1]):
            if partners[bb, q] >= 0 and room > 0.0:
                room = _swap(bb, partners[bb, q], j, meet, net, state, bushes, work, room, rel_tol)
        if room <= 0.0:
            continue
        h = d_lo + d_hi
        step = room if h <= 0.0 else min(room, dc / h)
        u = j
        while u != meet:
            e = p_hi[u]
            f = bflow[bb, e] - step
            # a residue of round-off (1e-16) would keep a link "used" and block the
            # reverse link for ever: it is dropped (conservation off by ~1e-12 of a flow)
            bflow[bb, e] = f if f > 1e-12 * bflow[bb, e] else 0.0
            x[e] -= step
            if x[e] < 0.0:
                x[e] = 0.0
            xc[c, e] -= step
            if xc[c, e] < 0.0:
                xc[c, e] = 0.0
            _refresh(code, fft, cap, a, p, x, t, dt, e)
            u = src[e]
        u = j
        while u != meet:
            e = p_lo[u]
            bflow[bb, e] += step
            x[e] += step
            xc[c, e] += step
            _refresh(code, fft, cap, a, p, x, t, dt, e)
            u = src[e]
    return worst


@njit(cache=True, nogil=True)
def bush_iteration(net, vdf, state, bushes, demand, b_worst, rel_tol, n_inner):  # type: ignore[no-untyped-def]  # pragma: no cover
    """One Algorithm B iteration over every bush, then up to ``n_inner`` passes that shift
    again in bushes whose paths still differ by more than ``rel_tol``. Flows are then
    re-summed from the bushes and costs refreshed. Returns a lower bound of the relative
    gap (shortest paths inside the bushes are no shorter than in the network), or NaN if
    a bush became cyclic."""
    fixed = net[8]
    _x, xc, t, _dt = state
    b_class, b_origin, _ib, _bf, topo, n_topo, _pt = bushes
    n = net[0].shape[0] - 1
    n_links = net[4].shape[0]
    work = (
        np.empty(n),  # lo
        np.empty(n),  # hi
        np.empty(n, np.int64),  # p_lo
        np.empty(n, np.int64),  # p_hi
        np.zeros(n, np.int64),  # pos
        np.zeros(n, np.int64),  # indeg
        np.zeros(n, np.int64),  # queue
        np.zeros(64, np.int64),  # blocked
        np.zeros(n + 1, np.int64),  # seen; [0]: the current search's stamp
    )
    lo = work[0]
    nb = b_class.shape[0]
    for bb in range(nb):
        if not _update_bush(bb, net, t, bushes, work):
            return np.nan
        b_worst[bb] = _shift(bb, net, vdf, state, bushes, work, rel_tol)
    for _ in range(n_inner):
        busy = False
        for bb in range(nb):
            if b_worst[bb] <= rel_tol:
                continue
            busy = True
            b_worst[bb] = _shift(bb, net, vdf, state, bushes, work, rel_tol)
        if not busy:
            break
    _class_flows(vdf, state, bushes)  # from the bushes (no drift), costs at those flows
    # the gap inside the bushes: a lower bound of the network's gap
    tstt = 0.0
    for c in range(xc.shape[0]):
        for e in range(n_links):
            tstt += xc[c, e] * (t[e] + fixed[c, e])
    sptt = 0.0
    n_zones = demand.shape[1]
    for bb in range(nb):
        c = b_class[bb]
        o = b_origin[bb]
        _labels(bb, net, t, bushes, work, 1)
        for i in range(n_topo[bb]):
            v = topo[bb, i]
            if v < n_zones and v != o:
                sptt += demand[c, o, v] * lo[v]
    if tstt <= 0.0:
        return 0.0
    return (tstt - sptt) / tstt
