"""Compiled kernels of the bush-based equilibrium solver: Dial's (2006) Algorithm B with
sparse bushes.

One bush per (class, origin): an acyclic set of links out of the origin that carries all
of that origin's demand of that class, kept between iterations. A bush holds only the
links that carry its flow, plus, at each of its nodes, the cheapest of its links into
that node; a node whose flow falls to zero leaves the bush. Bushes are stored sparse, in
one pool: bush ``bb`` owns ``pool[b_start[bb] : b_start[bb] + b_cap[bb]]`` and uses its
first ``b_len[bb]`` entries, each a link and the bush's flow on it, grouped by the link's
head node in a topological order of the bush's nodes. A label scan is one pass over that
list; memory and work per bush grow with the bush, not with the network.

An iteration, for every bush (:func:`bush_iteration`): drop links without flow (except
the cheapest into each node), add links between the bush's nodes that shorten a longest
path (``M[u] + w < M[v]`` with ``M`` the longest-path labels over the bush, which keeps
it acyclic) or a shortest one (a search for a cycle when the labels do not rule it out),
re-sort, then shift flow: for each node in reverse topological order, from its longest
used path to its shortest, between the node and the two paths' last common node, by a
Newton step with the segments' exact current costs and derivatives; link times and
derivatives are updated after every shift. Cheap extra passes re-shift only bushes whose
paths still differ.

Nodes enter a bush only from the network's shortest-path trees (:func:`bush_graft`): a
Dijkstra per bush at the current costs gives the cost
of a fresh all-or-nothing load (SPTT, for the relative gap) and the paths grafted into
each bush (runs of links outside the bush between two of its nodes, added where the
longest-path labels, or a search, show they close no cycle). The first call
(``load=True``) makes the bushes: each origin's shortest-path tree to its destinations,
loaded all-or-nothing.

The kernels take their arrays in tuples, unpacked where they are used:

- ``net``: ``(out_ptr, out_idx, in_ptr, in_idx, src, dst, allowed, no_through, fixed)``
  (links out of and into each node, link ends, class x links masks and fixed costs);
- ``vdf``: ``(code, fft, cap, a, p)``; ``state``: ``(x, xc, t, dt)`` (flows, class
  flows, times and their derivatives, updated in place);
- ``bushes``: ``(b_class, b_origin, b_start, b_len, b_cap, top, partners)`` (the bushes'
  places in the pool, ``top[0]`` the pool's used extent, and the bushes of the other
  classes at the same origin, -1 padded);
- ``pool``: ``(p_link, p_flow)``, returned by every kernel that may grow it;
- ``work``: scratch made by :func:`_work`.

Internal module: :mod:`overland.assignment` is the public surface.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kernels import _sift_down, _sift_up
from ._kernels import _refresh, vdf_deriv, vdf_time

_UNSET = -1
_BLOCKED = 256  # links per bush and update checked for a cycle by a search
_MAX_EXTRAPOLATION = 1e6  # the longest step along a pass's direction, in passes
_FOCUS = 0.1  # a pass shifts the bushes whose paths differ by more than this x the most
_EVERY = 2  # passes whose joint direction is extended


@njit(cache=True, nogil=True)
def _work(n, m, n_partners):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Scratch for one thread: per node, per link, and the stamps that mark what is set."""
    return (
        np.empty(n),  # 0 lo: shortest-path labels
        np.empty(n),  # 1 hi: longest-path labels
        np.empty(n, np.int64),  # 2 p_lo: pool entry of the link into a node on its shortest path
        np.empty(n, np.int64),  # 3 p_hi: the same on its longest used path
        np.zeros(n, np.int64),  # 4 pos: topological position
        np.zeros(n + 2, np.int64),  # 5 indeg / first pool entry of each node
        np.zeros(n + 1, np.int64),  # 6 queue / order of the nodes in a scan
        np.zeros(_BLOCKED, np.int64),  # 7 blocked: links to check by a search
        np.zeros(n + 1, np.int64),  # 8 seen: stamps of a search; [n] unused
        np.zeros(n, np.int64),  # 9 alive: stamp of the bush being updated
        np.zeros(n, np.int64),  # 10 nodes: the bush's nodes while it is updated
        np.zeros(n, np.int64),  # 11 visited / needed: stamps of a graft, of an update
        np.zeros(4, np.int64),  # 12 stamps: alive, visited, seen
        np.zeros(m, np.uint8),  # 13 inb: link in the bush being updated
        np.zeros(m),  # 14 lf: its flow there
        np.zeros(m, np.int64),  # 15 nl: the new link list
        np.full((max(n_partners, 1), m), -1, np.int64),  # 16 pp: partners' pool entries
    )


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
def _class_flows(vdf, state, bushes, pool):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Class flows summed from the bushes, then link flows, times and derivatives."""
    xc = state[1]
    b_class, b_start, b_len = bushes[0], bushes[2], bushes[3]
    p_link, p_flow = pool
    xc[:, :] = 0.0
    for bb in range(b_class.shape[0]):
        c = b_class[bb]
        for k in range(b_start[bb], b_start[bb] + b_len[bb]):
            xc[c, p_link[k]] += p_flow[k]
    resum(vdf, state)


@njit(cache=True, nogil=True)
def _labels(bb, net, t, bushes, pool, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Shortest (``lo``) and longest used (``hi``, -1 where no flow arrives) path labels
    in one pass over the bush's links, with the pool entries of the links that give them
    (``p_lo``, ``p_hi``), each node's topological position (``pos``) and the nodes in
    that order (``queue[0 .. count]``). Returns the count of nodes after the origin."""
    src, dst, fixed = net[4], net[5], net[8]
    b_class, b_origin, b_start, b_len = bushes[0], bushes[1], bushes[2], bushes[3]
    p_link, p_flow = pool
    lo, hi, p_lo, p_hi, pos, order = work[0], work[1], work[2], work[3], work[4], work[6]
    c = b_class[bb]
    o = b_origin[bb]
    lo[o] = 0.0
    hi[o] = 0.0
    p_lo[o] = _UNSET
    p_hi[o] = _UNSET
    pos[o] = 0
    order[0] = o
    g = 0
    k = b_start[bb]
    end = k + b_len[bb]
    while k < end:
        v = dst[p_link[k]]
        g += 1
        pos[v] = g
        order[g] = v
        best_lo = np.inf
        best_hi = -1.0
        arg_lo = _UNSET
        arg_hi = _UNSET
        while k < end and dst[p_link[k]] == v:
            e = p_link[k]
            u = src[e]
            w = t[e] + fixed[c, e]
            if lo[u] + w < best_lo:
                best_lo = lo[u] + w
                arg_lo = k
            if p_flow[k] > 0.0 and hi[u] >= 0.0 and hi[u] + w > best_hi:
                best_hi = hi[u] + w
                arg_hi = k
            k += 1
        lo[v] = best_lo
        hi[v] = best_hi
        p_lo[v] = arg_lo
        p_hi[v] = arg_hi
    return g


@njit(cache=True, nogil=True)
def _open(bb, net, t, bushes, pool, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Unpack bush ``bb`` into the scratch to change it: marks its links (``inb``, flows
    in ``lf``) and nodes (``alive``, listed in ``nodes``), with labels over what stays.
    What stays: links with flow, and the cheapest link into each node that carries flow
    or leads, by such cheapest links, to one that does (so a path grafted in is kept
    until flow is shifted onto it; other nodes without flow leave the bush). Returns the
    count of nodes and whether a link was dropped."""
    src, dst, fixed = net[4], net[5], net[8]
    b_class, b_origin, b_start, b_len = bushes[0], bushes[1], bushes[2], bushes[3]
    p_link, p_flow = pool
    lo, hi, p_lo, first, order = work[0], work[1], work[2], work[5], work[6]
    alive, nodes, needed, stamps, inb, lf = (
        work[9], work[10], work[11], work[12], work[13], work[14]
    )  # fmt: skip
    c = b_class[bb]
    o = b_origin[bb]
    stamps[0] += 1
    st = stamps[0]  # nodes reached from the origin
    stamps[1] += 1
    vs = stamps[1]  # nodes that stay
    alive[o] = st
    needed[o] = vs
    lo[o] = 0.0
    hi[o] = 0.0
    order[0] = o
    g = 0
    k = b_start[bb]
    end = k + b_len[bb]
    while k < end:  # shortest paths, flow through each node (in hi for now)
        v = dst[p_link[k]]
        g += 1
        order[g] = v
        first[g] = k
        best_lo = np.inf
        arg = _UNSET
        through = 0.0
        while k < end and dst[p_link[k]] == v:
            e = p_link[k]
            u = src[e]
            if alive[u] == st:
                through += p_flow[k]
                if lo[u] + (t[e] + fixed[c, e]) < best_lo:
                    best_lo = lo[u] + (t[e] + fixed[c, e])
                    arg = k
            k += 1
        if arg != _UNSET:
            alive[v] = st
            lo[v] = best_lo
            p_lo[v] = arg
            hi[v] = through
    first[g + 1] = end
    for i in range(g, 0, -1):  # what stays, from the last node back
        v = order[i]
        if alive[v] != st or (hi[v] <= 0.0 and needed[v] != vs):
            continue
        needed[v] = vs
        for q in range(first[i], first[i + 1]):
            if p_flow[q] > 0.0 or q == p_lo[v]:
                needed[src[p_link[q]]] = vs
    stamps[0] += 1
    st = stamps[0]  # nodes of the bush from here on
    alive[o] = st
    nodes[0] = o
    na = 1
    kept = 0
    for i in range(1, g + 1):  # longest paths over what stays
        v = order[i]
        if needed[v] != vs:
            continue
        alive[v] = st
        nodes[na] = v
        na += 1
        best_hi = -1.0
        for q in range(first[i], first[i + 1]):
            e = p_link[q]
            u = src[e]
            if alive[u] != st or (p_flow[q] <= 0.0 and q != p_lo[v]):
                continue
            inb[e] = 1
            lf[e] = p_flow[q]
            kept += 1
            if hi[u] + (t[e] + fixed[c, e]) > best_hi:
                best_hi = hi[u] + (t[e] + fixed[c, e])
        hi[v] = best_hi
    return na, kept < b_len[bb]


@njit(cache=True, nogil=True)
def _add_shortcuts(bb, net, t, bushes, work, na):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add links between the bush's nodes that shorten a longest path (Dial) or a
    shortest path where the labels show they close no cycle; links that shorten a
    shortest path but fail that test are listed in ``blocked`` for a search. Longest-path
    labels bound every bush link (``hi[v] >= hi[u] + w >= hi[u]``), so a link with
    ``hi[u] < hi[v]`` cannot close a cycle. Returns whether links were added and how
    many are blocked."""
    out_ptr, out_idx, _ip, _ii, _src, dst, allowed, no_through, fixed = net
    b_class, b_origin = bushes[0], bushes[1]
    lo, hi, blocked = work[0], work[1], work[7]
    alive, nodes, stamps, inb, lf = work[9], work[10], work[12], work[13], work[14]
    c = b_class[bb]
    o = b_origin[bb]
    st = stamps[0]
    added = False
    n_blocked = 0
    for i in range(na):
        u = nodes[i]
        if no_through[u] and u != o:
            continue
        hu = hi[u]
        lu = lo[u]
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            v = dst[e]
            if inb[e] == 1 or not allowed[c, e] or alive[v] != st or v == o:
                continue
            w = t[e] + fixed[c, e]
            if hu < hi[v] and (hu + w < hi[v] or lu + w < lo[v]):
                inb[e] = 1
                lf[e] = 0.0
                added = True
            elif lu + w < lo[v] * (1.0 - 1e-12) and n_blocked < blocked.shape[0]:
                blocked[n_blocked] = e
                n_blocked += 1
    return added, n_blocked


@njit(cache=True, nogil=True)
def _reaches(start, goal, net, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Whether the bush being updated has a path from ``start`` to ``goal``."""
    out_ptr, out_idx, dst = net[0], net[1], net[5]
    stack, seen, stamps, inb = work[6], work[8], work[12], work[13]
    stamps[2] += 1
    mark = stamps[2]
    top = 0
    stack[top] = start
    top += 1
    seen[start] = mark
    while top > 0:
        top -= 1
        u = stack[top]
        if u == goal:
            return True
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            v = dst[e]
            if inb[e] == 1 and seen[v] != mark:
                seen[v] = mark
                stack[top] = v
                top += 1
    return False


@njit(cache=True, nogil=True)
def _add_run(e, pred, src, work, na):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add link ``e`` and the links before it on the tree ``pred`` back to the first node
    in the bush; the nodes passed enter the bush. Returns the count of nodes."""
    alive, nodes, stamps, inb, lf = work[9], work[10], work[12], work[13], work[14]
    st = stamps[0]
    while True:
        inb[e] = 1
        lf[e] = 0.0
        u = src[e]
        if alive[u] == st:
            return na
        alive[u] = st
        nodes[na] = u
        na += 1
        e = pred[u]


@njit(cache=True, nogil=True)
def _resolve(n_blocked, net, pred, work, na):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add each blocked link (with its run back to the bush on ``pred`` when its tail is
    outside it) unless the bush has a path from its head back to where the run starts.
    Returns the count of nodes and whether links were added."""
    src, dst = net[4], net[5]
    blocked, alive, nodes, stamps, inb = work[7], work[9], work[10], work[12], work[13]
    st = stamps[0]
    added = False
    for q in range(n_blocked):
        e = blocked[q]
        if inb[e] == 1:
            continue
        a = src[e]
        while alive[a] != st:
            a = src[pred[a]]
        b = dst[e]
        if alive[b] == st and _reaches(b, a, net, work):
            continue
        if alive[b] != st:
            alive[b] = st
            nodes[na] = b
            na += 1
        na = _add_run(e, pred, src, work, na)
        added = True
    return na, added


@njit(cache=True, nogil=True)
def _graft(bb, pred, dist, net, bushes, work, demand, na, tol):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Graft the shortest-path tree ``pred`` (distances ``dist``) into the bush where the
    bush's own shortest path is longer by more than ``tol`` (relative): from each
    destination back to the origin, every run of links outside the bush between two of
    its nodes ``a`` and ``b`` is added when ``hi[a] < hi[b]`` (no cycle: the run's new
    nodes get labels in between), else listed in ``blocked`` for :func:`_resolve`. Equal
    paths are not grafted: more paths in use only slow the shifts. Returns the count of
    nodes and of blocked runs."""
    src = net[4]
    b_class, b_origin = bushes[0], bushes[1]
    lo, hi, blocked = work[0], work[1], work[7]
    alive, nodes, visited, stamps, inb, lf = (
        work[9], work[10], work[11], work[12], work[13], work[14]
    )  # fmt: skip
    c = b_class[bb]
    o = b_origin[bb]
    st = stamps[0]
    stamps[1] += 1
    vs = stamps[1]
    n_blocked = 0
    added = False
    for d in range(demand.shape[2]):
        if demand[c, o, d] <= 0.0 or d == o or not np.isfinite(dist[d]):
            continue
        v = d
        while v != o and visited[v] != vs:
            visited[v] = vs
            if alive[v] == st and lo[v] <= dist[v] + tol * dist[v]:
                break  # the bush has a shortest path to v
            e = pred[v]
            if inb[e] == 1:
                v = src[e]
                continue
            a = src[e]
            k = 1
            while alive[a] != st:
                a = src[pred[a]]
                k += 1
            if alive[v] != st:  # a destination not yet in the bush: nothing leaves it
                hb = hi[a] + k * (abs(hi[a]) + 1.0) * 1e-9
                alive[v] = st
                nodes[na] = v
                na += 1
                hi[v] = hb
                lo[v] = dist[v]
            else:
                hb = hi[v]
            if hb - hi[a] > 1e-12 * (abs(hb) + 1.0):
                added = True
                i = k
                while True:
                    inb[e] = 1
                    lf[e] = 0.0
                    u = src[e]
                    if alive[u] == st:
                        break
                    i -= 1
                    alive[u] = st
                    nodes[na] = u
                    na += 1
                    hi[u] = hi[a] + (hb - hi[a]) * i / k
                    lo[u] = dist[u]
                    e = pred[u]
            elif k > 1 and n_blocked < blocked.shape[0]:
                # (a single link between two of the bush's nodes is left to the next
                # update, whose labels judge it with the flows shifted since)
                blocked[n_blocked] = e
                n_blocked += 1
            v = a
    return na, n_blocked, added


@njit(cache=True, nogil=True)
def _reserve(bb, size, bushes, pool):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Room for ``size`` entries of bush ``bb``: its own if large enough, else a new
    place at the pool's end (half as much again), the pool copied compactly into larger
    arrays when full. Returns the pool."""
    b_start, b_len, b_cap, top = bushes[2], bushes[3], bushes[4], bushes[5]
    if size <= b_cap[bb]:
        return pool
    cap = size + size // 2 + 8
    p_link, p_flow = pool
    if top[0] + cap > p_link.shape[0]:
        need = cap
        for b2 in range(b_cap.shape[0]):
            need += b_cap[b2]
        n_link = np.empty(2 * need, np.int32)
        n_flow = np.empty(2 * need)
        at = 0
        for b2 in range(b_cap.shape[0]):
            s = b_start[b2]
            for k in range(b_len[b2]):
                n_link[at + k] = p_link[s + k]
                n_flow[at + k] = p_flow[s + k]
            b_start[b2] = at
            at += b_cap[b2]
        top[0] = at
        pool = (n_link, n_flow)
    b_start[bb] = top[0]
    b_cap[bb] = cap
    top[0] += cap
    return pool


@njit(cache=True, nogil=True)
def _close(bb, net, bushes, pool, work, na):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Sort the bush being updated (Kahn, from its origin over its links) and write it
    back to the pool, links grouped by head node in that order; clears the scratch.
    Returns whether it is acyclic, and the pool."""
    out_ptr, out_idx, in_ptr, in_idx, _src, dst = net[0], net[1], net[2], net[3], net[4], net[5]
    b_origin, b_start, b_len = bushes[1], bushes[2], bushes[3]
    indeg, queue, nodes, inb, lf, nl = work[5], work[6], work[10], work[13], work[14], work[15]
    for i in range(na):
        indeg[nodes[i]] = 0
    for i in range(na):
        u = nodes[i]
        for k in range(out_ptr[u], out_ptr[u + 1]):
            if inb[out_idx[k]] == 1:
                indeg[dst[out_idx[k]]] += 1
    queue[0] = b_origin[bb]
    head = 0
    tail = 1
    size = 0
    while head < tail:
        u = queue[head]
        head += 1
        if head > 1:
            for k in range(in_ptr[u], in_ptr[u + 1]):
                if inb[in_idx[k]] == 1:
                    nl[size] = in_idx[k]
                    size += 1
        for k in range(out_ptr[u], out_ptr[u + 1]):
            e = out_idx[k]
            if inb[e] == 1:
                v = dst[e]
                indeg[v] -= 1
                if indeg[v] == 0:
                    queue[tail] = v
                    tail += 1
    if head != na:
        return False, pool
    pool = _reserve(bb, size, bushes, pool)
    p_link, p_flow = pool
    s = b_start[bb]
    for i in range(size):
        e = nl[i]
        p_link[s + i] = e
        p_flow[s + i] = lf[e]
        inb[e] = 0
    b_len[bb] = size
    return True, pool


@njit(cache=True, nogil=True)
def _clear(bb, bushes, pool, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Clear the link marks of a bush opened but left as it was."""
    b_start, b_len = bushes[2], bushes[3]
    inb = work[13]
    p_link = pool[0]
    for k in range(b_start[bb], b_start[bb] + b_len[bb]):
        inb[p_link[k]] = 0


@njit(cache=True, nogil=True)
def _update_bush(bb, net, t, bushes, pool, work):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Drop unused links, add shortcuts between the bush's nodes, re-sort. Returns
    whether the bush stayed acyclic, and the pool."""
    na, changed = _open(bb, net, t, bushes, pool, work)
    added, n_blocked = _add_shortcuts(bb, net, t, bushes, work, na)
    no_tree = np.empty(0, np.int64)  # blocked links here start at a node of the bush
    na, found = _resolve(n_blocked, net, no_tree, work, na)
    if changed or added or found:
        return _close(bb, net, bushes, pool, work, na)
    _clear(bb, bushes, pool, work)
    return True, pool


@njit(cache=True, nogil=True)
def _move(k, c, e, step, xc, p_flow):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add ``step`` (< 0: take it) to pool entry ``k`` (link ``e``) and to class ``c``'s
    flow on ``e``."""
    f = p_flow[k] + step
    # a residue of round-off (1e-16) would keep a link "used" and block the reverse link
    # for ever: it is dropped (conservation off by ~1e-12 of a flow)
    p_flow[k] = f if step > 0.0 or f > 1e-12 * p_flow[k] else 0.0
    xc[c, e] = max(xc[c, e] + step, 0.0)


@njit(cache=True, nogil=True)
def _swap(bb, q, j, meet, net, state, bushes, pool, work, room, rel_tol):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Exchange flow between bush ``bb`` and its ``q``-th partner (another class, same
    origin; its pool entries by link in ``pp[q]``) when each prefers the other's segment
    from ``meet`` to ``j``: ``bb`` from its longest used path (``p_hi``) to its shortest
    (``p_lo``), the partner the other way. Link flows and so link times do not change,
    the objective falls by the amount times both classes' cost differences: the step
    one-class Newton shifts cannot take on a steep link, where each class would undo the
    other's shift (they differ only in fixed costs). Returns what is left of ``room``
    (``bb``'s flow on its long segment)."""
    src, fixed = net[4], net[8]
    xc, t = state[1], state[2]
    b_class, partners = bushes[0], bushes[6]
    p_link, p_flow = pool
    p_lo, p_hi, pp = work[2], work[3], work[16]
    c1 = b_class[bb]
    c2 = b_class[partners[bb, q]]
    room2 = np.inf
    cost_short = 0.0  # the partner's cost of bb's shortest segment: it must carry all of it
    u = j
    while u != meet:
        e = p_link[p_lo[u]]
        if pp[q, e] < 0:
            return room
        room2 = min(room2, p_flow[pp[q, e]])
        cost_short += t[e] + fixed[c2, e]
        u = src[e]
    if room2 <= 0.0:
        return room
    cost_long = 0.0  # and have every link of bb's long one
    u = j
    while u != meet:
        e = p_link[p_hi[u]]
        if pp[q, e] < 0:
            return room
        cost_long += t[e] + fixed[c2, e]
        u = src[e]
    if cost_short - cost_long <= rel_tol * cost_long:
        return room
    step = min(room, room2)
    u = j
    while u != meet:
        e = p_link[p_hi[u]]
        _move(p_hi[u], c1, e, -step, xc, p_flow)
        _move(pp[q, e], c2, e, step, xc, p_flow)
        u = src[e]
    u = j
    while u != meet:
        k = p_lo[u]
        e = p_link[k]
        _move(k, c1, e, step, xc, p_flow)
        _move(pp[q, e], c2, e, -step, xc, p_flow)
        u = src[e]
    return room - step


@njit(cache=True, nogil=True)
def _mark_partners(bb, bushes, pool, work, value):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Set (``value`` 1) or clear (0) ``pp[q]``: the pool entry by link of ``bb``'s
    ``q``-th partner."""
    b_start, b_len, partners = bushes[2], bushes[3], bushes[6]
    p_link = pool[0]
    pp = work[16]
    for q in range(partners.shape[1]):
        b2 = partners[bb, q]
        if b2 < 0:
            continue
        for k in range(b_start[b2], b_start[b2] + b_len[b2]):
            pp[q, p_link[k]] = k if value == 1 else _UNSET


@njit(cache=True, nogil=True)
def _segment(j, meet, p_at, p_link, src, t, fixed_c, dt, p_flow):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Cost, derivative and least flow on the segment from ``meet`` to ``j`` that the
    pool entries ``p_at`` give."""
    cost = 0.0
    der = 0.0
    room = np.inf
    u = j
    while u != meet:
        k = p_at[u]
        e = p_link[k]
        cost += t[e] + fixed_c[e]
        der += dt[e]
        room = min(room, p_flow[k])
        u = src[e]
    return cost, der, room


@njit(cache=True, nogil=True)
def _push(j, meet, p_at, amount, c, net, vdf, state, p_link, p_flow):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add ``amount`` (< 0: take it) of the bush's flow to the segment from ``meet`` to
    ``j`` that the pool entries ``p_at`` give, and to the link and class flows; times
    and derivatives updated."""
    src = net[4]
    code, fft, cap, a, p = vdf
    x, xc, t, dt = state
    u = j
    while u != meet:
        k = p_at[u]
        e = p_link[k]
        f = p_flow[k] + amount
        # a residue of round-off (1e-16) would keep a link "used" and block the reverse
        # link for ever: it is dropped (conservation off by ~1e-12 of a flow)
        p_flow[k] = f if amount > 0.0 or f > 1e-12 * p_flow[k] else 0.0
        x[e] = max(x[e] + amount, 0.0)
        xc[c, e] = max(xc[c, e] + amount, 0.0)
        _refresh(code, fft, cap, a, p, x, t, dt, e)
        u = src[e]


@njit(cache=True, nogil=True)
def _shift(bb, net, vdf, state, bushes, pool, work, rel_tol):  # type: ignore[no-untyped-def]  # pragma: no cover
    """One pass of Newton shifts over the bush; returns the largest relative difference
    between a node's longest used and shortest path found."""
    src, fixed = net[4], net[8]
    t, dt = state[2], state[3]
    b_class, partners = bushes[0], bushes[6]
    p_link, p_flow = pool
    lo, hi, p_lo, p_hi, pos, order = work[0], work[1], work[2], work[3], work[4], work[6]
    c = b_class[bb]
    fixed_c = fixed[c]
    g = _labels(bb, net, t, bushes, pool, work)
    has_partners = partners.shape[1] > 0 and partners[bb, 0] >= 0
    if has_partners:
        _mark_partners(bb, bushes, pool, work, 1)
    worst = 0.0
    for i in range(g, 0, -1):
        j = order[i]
        if hi[j] < 0.0 or p_hi[j] == p_lo[j]:
            continue
        diff = hi[j] - lo[j]
        scale = hi[j] if hi[j] > 0.0 else 1.0
        if diff / scale > worst:
            worst = diff / scale
        if diff <= rel_tol * lo[j] or diff <= 1e-14 * scale:
            continue
        # last common node of the two paths, by topological position
        u = src[p_link[p_lo[j]]]
        v = src[p_link[p_hi[j]]]
        while u != v:
            if pos[u] > pos[v]:
                u = src[p_link[p_lo[u]]]
            else:
                v = src[p_link[p_hi[v]]]
        meet = u
        c_lo, d_lo, _r = _segment(j, meet, p_lo, p_link, src, t, fixed_c, dt, p_flow)
        c_hi, d_hi, room = _segment(j, meet, p_hi, p_link, src, t, fixed_c, dt, p_flow)
        dc = c_hi - c_lo
        if dc <= 0.0 or room <= 0.0:
            continue
        if has_partners:
            for q in range(partners.shape[1]):
                if partners[bb, q] >= 0 and room > 0.0:
                    room = _swap(bb, q, j, meet, net, state, bushes, pool, work, room, rel_tol)
            if room <= 0.0:
                continue
        h = d_lo + d_hi
        step = room if h <= 0.0 else min(room, dc / h)
        _push(j, meet, p_hi, -step, c, net, vdf, state, p_link, p_flow)
        _push(j, meet, p_lo, step, c, net, vdf, state, p_link, p_flow)
    if has_partners:
        _mark_partners(bb, bushes, pool, work, 0)
    return worst


@njit(cache=True, nogil=True)
def _bound(net, state, bushes, pool, work, demand):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The relative gap inside the bushes: a lower bound of the network's gap (shortest
    paths inside a bush are no shorter than in the network)."""
    fixed = net[8]
    xc, t = state[1], state[2]
    b_class, b_origin = bushes[0], bushes[1]
    lo, order = work[0], work[6]
    tstt = 0.0
    for c in range(xc.shape[0]):
        for e in range(xc.shape[1]):
            tstt += xc[c, e] * (t[e] + fixed[c, e])
    sptt = 0.0
    n_zones = demand.shape[1]
    for bb in range(b_class.shape[0]):
        c = b_class[bb]
        o = b_origin[bb]
        g = _labels(bb, net, t, bushes, pool, work)
        for i in range(1, g + 1):
            v = order[i]
            if v < n_zones and v != o:
                sptt += demand[c, o, v] * lo[v]
    if tstt <= 0.0:
        return 0.0
    return (tstt - sptt) / tstt


@njit(cache=True, nogil=True)
def _slope(w, changed, n_changed, x0, dx, vdf, constant):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The Beckmann objective's derivative and second derivative at ``x0 + w dx``."""
    code, fft, cap, a, p = vdf
    g = constant
    h = 0.0
    for i in range(n_changed):
        e = changed[i]
        xe = x0[e] + w * dx[e]
        g += vdf_time(code[e], fft[e], cap[e], a[e], p[e], xe) * dx[e]
        h += vdf_deriv(code[e], fft[e], cap[e], a[e], p[e], xe) * dx[e] * dx[e]
    return g, h


@njit(cache=True, nogil=True)
def _extrapolate(before, net, vdf, state, bushes, pool):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Carry on along what a pass of shifts did, as far as the objective falls (exact
    line search). Shifts move one bush at a time: where bushes share a steep link each
    takes a step that the next partly undoes, and the passes creep along one direction
    (rate about 1 - curvature of the alternatives / the steep link's); the line search
    takes the whole of that direction at once. Bush flows stay >= 0; costs refreshed."""
    fixed = net[8]
    x, xc, t, dt = state
    b_start, b_len = bushes[2], bushes[3]
    p_flow = pool[1]
    f0, x0, xc0 = before
    m = x.shape[0]
    dx = x - x0
    changed = np.empty(m, np.int64)
    n_changed = 0
    for e in range(m):
        moved = dx[e] != 0.0
        for c in range(xc.shape[0]):
            moved = moved or xc[c, e] != xc0[c, e]
        if moved:
            changed[n_changed] = e
            n_changed += 1
    if n_changed == 0:
        return
    w_max = _MAX_EXTRAPOLATION
    for bb in range(b_start.shape[0]):
        for k in range(b_start[bb], b_start[bb] + b_len[bb]):
            d = p_flow[k] - f0[k]
            if d < 0.0 and f0[k] < -d * w_max:
                w_max = f0[k] / -d
    constant = 0.0
    for c in range(xc.shape[0]):
        for i in range(n_changed):
            e = changed[i]
            constant += fixed[c, e] * (xc[c, e] - xc0[c, e])
    g, h = _slope(1.0, changed, n_changed, x0, dx, vdf, constant)
    if w_max <= 1.0 + 1e-6 or not g < 0.0:  # (a NaN slope: no step)
        return
    lo = 1.0
    hi = w_max
    gm, _h = _slope(w_max, changed, n_changed, x0, dx, vdf, constant)
    w = w_max
    if not gm <= 0.0:
        w = 1.0
        for _ in range(30):  # Newton inside the bracket [lo, hi], bisection else
            nxt = w - g / h if h > 0.0 else hi
            if not (lo < nxt < hi):
                nxt = 0.5 * (lo + hi)
            w = nxt
            g, h = _slope(w, changed, n_changed, x0, dx, vdf, constant)
            if g > 0.0:
                hi = w
            else:
                lo = w
            if hi - lo <= 1e-9 * w:
                break
        w = lo  # the objective still falls up to lo
    if w <= 1.0 + 1e-6:
        return
    for bb in range(b_start.shape[0]):
        for k in range(b_start[bb], b_start[bb] + b_len[bb]):
            f = f0[k] + w * (p_flow[k] - f0[k])
            p_flow[k] = f if f > 1e-12 * f0[k] else 0.0
    for c in range(xc.shape[0]):
        for i in range(n_changed):
            e = changed[i]
            xc[c, e] = max(xc0[c, e] + w * (xc[c, e] - xc0[c, e]), 0.0)
    code, fft, cap, a, p = vdf
    for i in range(n_changed):
        e = changed[i]
        x[e] = max(x0[e] + w * dx[e], 0.0)
        _refresh(code, fft, cap, a, p, x, t, dt, e)


@njit(cache=True, nogil=True)
def bush_iteration(net, vdf, state, bushes, pool, demand, b_worst, rel_tol, n_inner):  # type: ignore[no-untyped-def]  # pragma: no cover
    """One Algorithm B iteration over every bush, then up to ``n_inner`` passes that shift
    again in bushes whose paths still differ by more than ``rel_tol``. Flows are then
    re-summed from the bushes and costs refreshed. Returns a lower bound of the relative
    gap (NaN if a bush became cyclic) and the pool."""
    t = state[2]
    b_class = bushes[0]
    n = net[0].shape[0] - 1
    work = _work(n, net[4].shape[0], bushes[6].shape[1])
    nb = b_class.shape[0]
    for bb in range(nb):
        ok, pool = _update_bush(bb, net, t, bushes, pool, work)
        if not ok:
            return np.nan, pool
        b_worst[bb] = _shift(bb, net, vdf, state, bushes, pool, work, rel_tol)
    before = (pool[1].copy(), state[0].copy(), state[1].copy())
    for i in range(n_inner):
        busy = False
        if i % _EVERY == 0:
            before[0][:] = pool[1]
            before[1][:] = state[0]
            before[2][:] = state[1]
        top = 0.0
        for bb in range(nb):
            top = max(top, b_worst[bb])
        bar = max(rel_tol, _FOCUS * top)
        for bb in range(nb):
            if b_worst[bb] <= bar:
                continue
            busy = True
            b_worst[bb] = _shift(bb, net, vdf, state, bushes, pool, work, rel_tol)
        if not busy:
            break
        if i % _EVERY == _EVERY - 1:
            _extrapolate(before, net, vdf, state, bushes, pool)
    _class_flows(vdf, state, bushes, pool)  # from the bushes (no drift), costs at those flows
    return _bound(net, state, bushes, pool, work, demand), pool


@njit(cache=True, nogil=True)
def _graft_bush(bb, pred, dist, net, t, bushes, pool, work, demand, load, tol):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Graft the shortest-path tree ``pred`` into bush ``bb`` (``load``: the bush is new;
    load its demand all-or-nothing on the tree). Returns whether it stayed acyclic and
    the pool."""
    src = net[4]
    c = bushes[0][bb]
    o = bushes[1][bb]
    lf = work[14]
    na, dropped = _open(bb, net, t, bushes, pool, work)
    na, n_blocked, added = _graft(bb, pred, dist, net, bushes, work, demand, na, tol)
    na, found = _resolve(n_blocked, net, pred, work, na)
    if not (load or dropped or added or found):
        _clear(bb, bushes, pool, work)
        return True, pool
    if load:
        for d in range(demand.shape[2]):
            q = demand[c, o, d]
            if q > 0.0 and d != o and np.isfinite(dist[d]):
                v = d
                while v != o:
                    e = pred[v]
                    lf[e] += q
                    v = src[e]
    return _close(bb, net, bushes, pool, work, na)


@njit(cache=True, nogil=True)
def _tree(o, c, net, head, wk, demand, dist, pred):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Dijkstra from ``o`` over the links by tail (``head``, ``wk``: their heads and
    class ``c``'s costs, infinite where not allowed), stopped once every destination of
    the bush is settled; fills ``dist`` and ``pred`` (the link into each node). Nodes
    flagged ``no_through`` are never passed through. Returns SPTT of the bush's demand."""
    out_ptr, out_idx, no_through = net[0], net[1], net[7]
    n = dist.shape[0]
    is_dest = np.zeros(n, np.bool_)
    left = 0
    for d in range(demand.shape[2]):
        if demand[c, o, d] > 0.0 and d != o:
            is_dest[d] = True
            left += 1
    dist[:] = np.inf
    pred[:] = _UNSET
    hk = np.empty(head.shape[0] + 1)
    hv = np.empty(head.shape[0] + 1, np.int64)
    dist[o] = 0.0
    hk[0] = 0.0
    hv[0] = o
    size = 1
    while size > 0 and left > 0:
        du = hk[0]
        u = hv[0]
        size -= 1
        if size > 0:
            hk[0] = hk[size]
            hv[0] = hv[size]
            _sift_down(hk, hv, size)
        if du > dist[u]:
            continue  # settled before, by a shorter entry
        if is_dest[u]:
            is_dest[u] = False
            left -= 1
        if no_through[u] and u != o:
            continue
        for k in range(out_ptr[u], out_ptr[u + 1]):
            v = head[k]
            dv = du + wk[k]
            if dv < dist[v]:
                dist[v] = dv
                pred[v] = out_idx[k]
                hk[size] = dv
                hv[size] = v
                size += 1
                _sift_up(hk, hv, size - 1)
    sptt = 0.0
    for d in range(demand.shape[2]):
        if demand[c, o, d] > 0.0 and d != o and np.isfinite(dist[d]):
            sptt += demand[c, o, d] * dist[d]
    return sptt


@njit(cache=True, nogil=True)
def bush_graft(net, vdf, state, bushes, pool, demand, load, tol):  # type: ignore[no-untyped-def]  # pragma: no cover
    """A shortest-path tree per bush at the current costs, grafted into it
    (:func:`_graft_bush`; with ``load`` the bushes are new and loaded all-or-nothing,
    then the flows summed). Returns SPTT, the cost of loading every bush's demand on
    those trees (NaN if a bush became cyclic), and the pool. One thread, as the shifts:
    on two cores shared with other work a second thread costs more than it gives."""
    out_ptr, out_idx, dst, allowed, fixed = net[0], net[1], net[5], net[6], net[8]
    t = state[2]
    b_class, b_origin = bushes[0], bushes[1]
    n = out_ptr.shape[0] - 1
    head = np.empty(out_idx.shape[0], np.int64)
    wk = np.empty((fixed.shape[0], out_idx.shape[0]))
    for k in range(out_idx.shape[0]):
        e = out_idx[k]
        head[k] = dst[e]
        for c in range(fixed.shape[0]):
            wk[c, k] = t[e] + fixed[c, e] if allowed[c, e] else np.inf
    work = _work(n, fixed.shape[1], bushes[6].shape[1])
    pred = np.empty(n, np.int64)
    dist = np.empty(n)
    sptt = 0.0
    for bb in range(b_class.shape[0]):
        c = b_class[bb]
        sptt += _tree(b_origin[bb], c, net, head, wk[c], demand, dist, pred)
        ok, pool = _graft_bush(bb, pred, dist, net, t, bushes, pool, work, demand, load, tol)
        if not ok:
            return np.nan, pool
    if load:
        _class_flows(vdf, state, bushes, pool)
    return sptt, pool
