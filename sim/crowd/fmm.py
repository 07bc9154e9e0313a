"""Travel-time field of the pedestrian navigation (numba).

Desired direction e0 of :mod:`sim.crowd.peds_kernels`: the descending gradient of a travel-time
field T(x) that solves the eikonal equation |grad T| = f(x) with T = 0 on the exits, computed
once per geometry with the fast marching method (Sethian 1996, PNAS 93:1591; first-order upwind
update) on a regular grid; f > 1 near walls keeps routes off corners.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

INF = 1.0e30  # travel time of cells not reached


@njit(cache=True)
def _heap_push(hv: np.ndarray, hi: np.ndarray, n: int, v: float, k: int) -> int:
    """Push (v, k) on the binary min-heap (hv, hi) of size n; return the new size."""
    j = n
    hv[j] = v
    hi[j] = k
    while j > 0:
        p = (j - 1) // 2
        if hv[p] <= hv[j]:
            break
        hv[p], hv[j] = hv[j], hv[p]
        hi[p], hi[j] = hi[j], hi[p]
        j = p
    return n + 1


@njit(cache=True)
def _heap_pop(hv: np.ndarray, hi: np.ndarray, n: int) -> tuple[float, int, int]:
    """Pop the minimum of the heap of size n; return (value, key, new size)."""
    v = hv[0]
    k = hi[0]
    n -= 1
    hv[0] = hv[n]
    hi[0] = hi[n]
    j = 0
    while True:
        a = 2 * j + 1
        if a >= n:
            break
        b = a + 1
        c = a if (b >= n or hv[a] <= hv[b]) else b
        if hv[j] <= hv[c]:
            break
        hv[c], hv[j] = hv[j], hv[c]
        hi[c], hi[j] = hi[j], hi[c]
        j = c
    return v, k, n


@njit(cache=True)
def travel_time_fmm(valid: np.ndarray, source: np.ndarray, slowness: np.ndarray,
                    h_m: float) -> np.ndarray:
    """Travel time [s per unit speed, i.e. metres when slowness = 1] from the source cells.

    Fast marching (Sethian 1996): each accepted cell updates its 4 neighbours with the
    first-order upwind solution of (T - a)^2 + (T - b)^2 = (f h)^2, a and b the smallest
    accepted neighbour values along x and y. ``valid``/``source`` are (ny, nx) booleans; cells
    not reachable keep ``INF``.
    """
    ny, nx = valid.shape
    t = np.full((ny, nx), INF)
    frozen = np.zeros((ny, nx), dtype=np.bool_)
    cap = 4 * ny * nx + 16
    hv = np.empty(cap)
    hi = np.empty(cap, dtype=np.int64)
    n = 0
    for j in range(ny):
        for i in range(nx):
            if source[j, i] and valid[j, i]:
                t[j, i] = 0.0
                n = _heap_push(hv, hi, n, 0.0, j * nx + i)
    while n > 0:
        v, k, n = _heap_pop(hv, hi, n)
        j = k // nx
        i = k - j * nx
        if frozen[j, i] or v > t[j, i]:
            continue
        frozen[j, i] = True
        for q in range(4):
            jj = j + (1 if q == 0 else (-1 if q == 1 else 0))
            ii = i + (1 if q == 2 else (-1 if q == 3 else 0))
            if jj < 0 or jj >= ny or ii < 0 or ii >= nx:
                continue
            if frozen[jj, ii] or not valid[jj, ii]:
                continue
            a = INF
            if ii > 0 and frozen[jj, ii - 1]:
                a = t[jj, ii - 1]
            if ii < nx - 1 and frozen[jj, ii + 1]:
                a = min(a, t[jj, ii + 1])
            b = INF
            if jj > 0 and frozen[jj - 1, ii]:
                b = t[jj - 1, ii]
            if jj < ny - 1 and frozen[jj + 1, ii]:
                b = min(b, t[jj + 1, ii])
            fh = slowness[jj, ii] * h_m
            if a < INF and b < INF and abs(a - b) < fh:
                tn = 0.5 * (a + b + math.sqrt(2.0 * fh * fh - (a - b) * (a - b)))
            else:
                tn = min(a, b) + fh
            if tn < t[jj, ii]:
                t[jj, ii] = tn
                n = _heap_push(hv, hi, n, tn, jj * nx + ii)
    return t


@njit(cache=True)
def descent_direction(t: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of -grad t on valid cells (central differences, one-sided at walls).

    Cells with no valid finite neighbour get (0, 0); the caller fills invalid cells.
    """
    ny, nx = t.shape
    ux = np.zeros((ny, nx))
    uy = np.zeros((ny, nx))
    for j in range(ny):
        for i in range(nx):
            if not valid[j, i] or t[j, i] >= INF:
                continue
            c = t[j, i]
            okl = i > 0 and valid[j, i - 1] and t[j, i - 1] < INF
            okr = i < nx - 1 and valid[j, i + 1] and t[j, i + 1] < INF
            okd = j > 0 and valid[j - 1, i] and t[j - 1, i] < INF
            oku = j < ny - 1 and valid[j + 1, i] and t[j + 1, i] < INF
            gx = 0.0
            if okl and okr:
                gx = 0.5 * (t[j, i + 1] - t[j, i - 1])
            elif okr:
                gx = min(t[j, i + 1] - c, 0.0)
            elif okl:
                gx = max(c - t[j, i - 1], 0.0)
            gy = 0.0
            if okd and oku:
                gy = 0.5 * (t[j + 1, i] - t[j - 1, i])
            elif oku:
                gy = min(t[j + 1, i] - c, 0.0)
            elif okd:
                gy = max(c - t[j - 1, i], 0.0)
            g = math.sqrt(gx * gx + gy * gy)
            if g > 0.0:
                ux[j, i] = -gx / g
                uy[j, i] = -gy / g
    return ux, uy


__all__ = ["travel_time_fmm", "descent_direction", "INF"]
