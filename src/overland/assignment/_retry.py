"""Compiled kernel for the logit's retries at a wait limit (numba).

A choice's entries are ``start[c]:start[c + 1]``; each entry is a route given as a CSR
row of link ids (``indptr``, ``indices``). See
:meth:`overland.analyses.logit.ChoiceSets.rationed` for what the retries mean.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["retried"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@njit(cache=True, nogil=True)
def _retried(
    logit: FloatArray,
    load: FloatArray,
    hardness: FloatArray,
    indptr: IntArray,
    indices: IntArray,
    start: IntArray,
    choice: IntArray,
    retries: int,
    share: FloatArray,
    shed: FloatArray,
) -> None:  # pragma: no cover - compiled
    n = logit.size
    # which of the links that turn cargo away (hardness > 0) each entry's route uses
    hit = np.flatnonzero(hardness > 0.0)
    slot = np.full(hardness.size, -1)
    slot[hit] = np.arange(hit.size)
    uses = np.zeros((n, hit.size))
    for e in range(n):
        if load[e] > 0.0:
            for k in range(indptr[e], indptr[e + 1]):
                j = slot[indices[k]]
                if j >= 0:
                    uses[e, j] = 1.0
    widest = 0
    for c in range(start.size - 1):
        widest = max(widest, start[c + 1] - start[c])
    # per turning entry r and each entry u of its choice: u's logit share times the
    # chance that u avoids what turned cargo away on r (none of the links they share
    # failed, given that one of r's did, the links failing independently)
    weight = np.zeros((n, widest))
    room = np.zeros(n)
    kept = np.exp(-load)
    for r in range(n):
        whole = load[r]
        if whole <= 0.0:
            continue
        fails = -math.expm1(-whole)
        lo, hi = start[choice[r]], start[choice[r] + 1]
        others = 0.0
        for u in range(lo, hi):
            if u == r:
                continue
            common = 0.0
            for j in range(hit.size):
                if uses[r, j] > 0.0 and uses[u, j] > 0.0:
                    common += hardness[hit[j]]
            if fails > 1e-12:
                clear = (math.exp(-common) - math.exp(-whole)) / fails
            else:
                clear = (whole - common) / whole
            clear = min(max(clear, 0.0), 1.0)
            weight[r, u - lo] = logit[u] * clear
            room[r] += logit[u] * clear
            others += logit[u]
        if room[r] <= 1e-12 * others:
            room[r] = 0.0  # nowhere else to go: the same route again
    trying = logit.copy()
    following = np.zeros(n)
    for attempt in range(retries + 1):
        for r in range(n):
            share[r] += trying[r] * kept[r]
        if attempt == retries:
            break
        following[:] = 0.0
        for r in range(n):
            turned = trying[r] * (1.0 - kept[r])
            if turned <= 0.0:
                continue
            if room[r] <= 0.0:
                following[r] += turned
                continue
            lo, hi = start[choice[r]], start[choice[r] + 1]
            for u in range(lo, hi):
                following[u] += turned * weight[r, u - lo] / room[r]
        trying[:] = following
    for r in range(n):
        shed[r] = trying[r] * (1.0 - kept[r])


def retried(
    logit: FloatArray,
    load: FloatArray,
    hardness: FloatArray,
    indptr: IntArray,
    indices: IntArray,
    start: IntArray,
    choice: IntArray,
    retries: int,
) -> tuple[FloatArray, FloatArray]:
    """Per entry, the share of its choice that moves on it and the share shed on its
    account, after a first try and ``retries`` more (``load``: per entry, ``-log`` of
    the part its route passes; ``hardness``: the same per link)."""
    share = np.zeros(len(logit))
    shed = np.zeros(len(logit))
    _retried(
        np.ascontiguousarray(logit, np.float64),
        np.ascontiguousarray(load, np.float64),
        np.ascontiguousarray(hardness, np.float64),
        np.ascontiguousarray(indptr, np.int64),
        np.ascontiguousarray(indices, np.int64),
        np.ascontiguousarray(start, np.int64),
        np.ascontiguousarray(choice, np.int64),
        int(retries),
        share,
        shed,
    )
    return share, shed
