"""Numba kernels for :mod:`twin.mesh` (triangle rasterisation).

Coordinates handed to these kernels are in *grid index space*: ``u`` is the
column and ``v`` the row, with cell centres at integer ``(u, v)``. Working in
index space keeps the arithmetic small (no 2.8e6 m northings) and makes the
cell-centre test an integer lattice walk.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _edge(ax: float, ay: float, bx: float, by: float, px: float, py: float) -> float:
    """Edge function of directed edge a->b at p (> 0: p left of the edge).

    Evaluated with the endpoints in a canonical (lexicographic) order and the
    sign flipped afterwards, so the two triangles sharing an edge get bitwise
    opposite values at every point: a point can never fall through the crack
    between them (tie rule: ``>= 0`` counts, so a point on a shared edge is
    covered by both and the ``max``/``min`` reduction picks one z).
    """
    if ax < bx or (ax == bx and ay <= by):
        return (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    return -((ax - bx) * (py - by) - (ay - by) * (px - bx))


@njit(cache=True)
def rasterize_tris(u: np.ndarray, v: np.ndarray, z: np.ndarray, faces: np.ndarray,
                   nrows: int, ncols: int, use_max: bool) -> np.ndarray:
    """Highest (``use_max``) or lowest z of the triangles over each cell centre.

    ``u, v, z``: float64 per-vertex index-space coordinates and elevations;
    ``faces``: (m, 3) int vertex indices. Returns float64 ``(nrows, ncols)``
    with NaN where no triangle covers the centre. Triangles with zero
    projected area (vertical walls) contribute nothing.
    """
    out = np.full((nrows, ncols), np.nan)
    for t in range(faces.shape[0]):
        i0 = faces[t, 0]
        i1 = faces[t, 1]
        i2 = faces[t, 2]
        u0 = u[i0]
        v0 = v[i0]
        z0 = z[i0]
        u1 = u[i1]
        v1 = v[i1]
        z1 = z[i1]
        u2 = u[i2]
        v2 = v[i2]
        z2 = z[i2]
        area = (u1 - u0) * (v2 - v0) - (v1 - v0) * (u2 - u0)
        if not (area != 0.0 and math.isfinite(area) and math.isfinite(z0 + z1 + z2)):
            continue  # vertical / degenerate / non-finite
        if area < 0.0:  # make the triangle counter-clockwise in index space
            u1, u2 = u2, u1
            v1, v2 = v2, v1
            z1, z2 = z2, z1
        c_lo = max(math.ceil(min(u0, min(u1, u2))), 0)
        c_hi = min(math.floor(max(u0, max(u1, u2))), ncols - 1)
        r_lo = max(math.ceil(min(v0, min(v1, v2))), 0)
        r_hi = min(math.floor(max(v0, max(v1, v2))), nrows - 1)
        for r in range(r_lo, r_hi + 1):
            py = float(r)
            for c in range(c_lo, c_hi + 1):
                px = float(c)
                w0 = _edge(u1, v1, u2, v2, px, py)
                if w0 < 0.0:
                    continue
                w1 = _edge(u2, v2, u0, v0, px, py)
                if w1 < 0.0:
                    continue
                w2 = _edge(u0, v0, u1, v1, px, py)
                if w2 < 0.0:
                    continue
                s = w0 + w1 + w2
                if s <= 0.0:
                    continue
                # convex combination: stays within [min z, max z] even for slivers
                zz = (w0 * z0 + w1 * z1 + w2 * z2) / s
                cur = out[r, c]
                if use_max:
                    if not (zz <= cur):  # also true when cur is NaN
                        out[r, c] = zz
                else:
                    if not (zz >= cur):
                        out[r, c] = zz
    return out
