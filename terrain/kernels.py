"""Numba kernels behind ``terrain``: plain arrays in, plain arrays out.

Conventions shared by every kernel
----------------------------------
* grids are 2-D C-contiguous arrays indexed ``[row, col]``; a cell's flat
  index is ``row * ncols + col``;
* NaN marks nodata in float grids;
* a D8 direction is an index ``k`` in 0..7 pointing at
  ``(row + D8_DR[k], col + D8_DC[k])``, clockwise from east:
  0 E, 1 SE, 2 S, 3 SW, 4 W, 5 NW, 6 N, 7 NE (row + 1 is "south", i.e. down
  the array).  The ESRI code of index ``k`` is ``1 << k``.  ``D8_SINK`` (-1)
  marks a valid cell with nowhere to drain, ``D8_NODATA`` (-2) a nodata cell.
"""
from __future__ import annotations

import numpy as np
from numba import njit

D8_DR = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
D8_DC = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
# Search order: cardinal directions first, so they win ties.
_D8_ORDER = np.array([0, 2, 4, 6, 1, 3, 5, 7], dtype=np.int64)
D8_SINK = -1
D8_NODATA = -2


# --------------------------------------------------------------------------- heap
# Binary min-heap over three parallel arrays: key (elevation), seq (insertion
# counter: ties pop first-in first-out) and idx (flat cell index).

@njit(cache=True, inline="always")
def _less(k1: float, s1: int, k2: float, s2: int) -> bool:
    return k1 < k2 or (k1 == k2 and s1 < s2)


@njit(cache=True)
def _heap_push(hk: np.ndarray, hs: np.ndarray, hi: np.ndarray, size: int,
               key: float, seq: int, idx: int) -> int:
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if not _less(key, seq, hk[p], hs[p]):
            break
        hk[i] = hk[p]
        hs[i] = hs[p]
        hi[i] = hi[p]
        i = p
    hk[i] = key
    hs[i] = seq
    hi[i] = idx
    return size + 1


@njit(cache=True)
def _heap_pop(hk: np.ndarray, hs: np.ndarray, hi: np.ndarray, size: int) -> int:
    """Remove the top entry (read ``hi[0]`` first); return the new size."""
    size -= 1
    key = hk[size]
    seq = hs[size]
    idx = hi[size]
    i = 0
    while True:
        m = 2 * i + 1
        if m >= size:
            break
        r = m + 1
        if r < size and _less(hk[r], hs[r], hk[m], hs[m]):
            m = r
        if not _less(hk[m], hs[m], key, seq):
            break
        hk[i] = hk[m]
        hs[i] = hs[m]
        hi[i] = hi[m]
        i = m
    hk[i] = key
    hs[i] = seq
    hi[i] = idx
    return size


# --------------------------------------------------------------------------- filling

@njit(cache=True)
def priority_flood(z: np.ndarray, eps: float, drain: bool) -> np.ndarray:
    """Depression-filled copy of ``z`` (Barnes, Lehman & Mulla 2014).

    Outlets are the valid cells on the grid edge or 8-adjacent to a NaN cell.
    ``drain=False``: Improved Priority-Flood (their Algorithm 3, heap plus a
    FIFO "pit" queue), the exact minimal fill.  ``drain=True``:
    Priority-Flood+epsilon (their Algorithm 2): a cell reached from a cell at
    level ``c`` without being higher than it is raised to ``c + eps``, or to
    the next representable value above ``c`` when that rounds to ``c``, so
    every non-outlet cell ends strictly above the neighbour that reached it.
    """
    nr, nc = z.shape
    n = nr * nc
    out = z.copy()
    zf = out.reshape(n)
    big = np.empty(1, out.dtype)
    big[0] = np.inf
    hi_val = big[0]
    closed = np.zeros(n, np.bool_)
    hk = np.empty(n, np.float64)
    hs = np.empty(n, np.int64)
    hidx = np.empty(n, np.int64)
    pit = np.empty(0 if drain else n, np.int64)
    size = 0
    seq = 0
    for i in range(n):
        if np.isnan(zf[i]):
            closed[i] = True
    for r in range(nr):
        for c in range(nc):
            i = r * nc + c
            if closed[i]:
                continue
            outlet = r == 0 or r == nr - 1 or c == 0 or c == nc - 1
            if not outlet:
                for k in range(8):
                    if np.isnan(out[r + D8_DR[k], c + D8_DC[k]]):
                        outlet = True
                        break
            if outlet:
                closed[i] = True
                size = _heap_push(hk, hs, hidx, size, zf[i], seq, i)
                seq += 1
    head = 0
    tail = 0
    while size > 0 or head < tail:
        if head < tail:
            ci = pit[head]
            head += 1
        else:
            ci = hidx[0]
            size = _heap_pop(hk, hs, hidx, size)
        zc = zf[ci]
        r = ci // nc
        c = ci - r * nc
        for k in range(8):
            rr = r + D8_DR[k]
            cc = c + D8_DC[k]
            if rr < 0 or rr >= nr or cc < 0 or cc >= nc:
                continue
            j = rr * nc + cc
            if closed[j]:
                continue
            closed[j] = True
            if zf[j] <= zc:
                if drain:
                    zf[j] = zc + eps
                    if zf[j] <= zc:
                        zf[j] = np.nextafter(zc, hi_val)
                    size = _heap_push(hk, hs, hidx, size, zf[j], seq, j)
                    seq += 1
                else:
                    zf[j] = zc
                    pit[tail] = j
                    tail += 1
            else:
                size = _heap_push(hk, hs, hidx, size, zf[j], seq, j)
                seq += 1
    return out


# --------------------------------------------------------------------------- D8

@njit(cache=True)
def d8_directions(z: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Steepest-descent D8 index per cell (see module docstring for codes).

    The drop to each valid neighbour is divided by the centre-to-centre
    distance (``dx``, ``dy`` or their hypotenuse).  A cell with no strictly
    lower valid neighbour drains off the grid / into a NaN neighbour when it
    has one -- the exit closest to the local downslope direction (see
    ``_exit_direction``) -- else gets ``D8_SINK``.
    """
    nr, nc = z.shape
    out = np.full((nr, nc), D8_NODATA, np.int8)
    diag = np.sqrt(dx * dx + dy * dy)
    dist = np.array([dx, diag, dy, diag, dx, diag, dy, diag])
    for r in range(nr):
        for c in range(nc):
            zc = z[r, c]
            if np.isnan(zc):
                continue
            best = -1
            best_drop = 0.0
            exit_k = -1
            for m in range(8):
                k = _D8_ORDER[m]
                rr = r + D8_DR[k]
                cc = c + D8_DC[k]
                if rr < 0 or rr >= nr or cc < 0 or cc >= nc or np.isnan(z[rr, cc]):
                    exit_k = -2  # some exit exists; chosen below if needed
                    continue
                drop = (zc - z[rr, cc]) / dist[k]
                if drop > best_drop:
                    best_drop = drop
                    best = k
            if best >= 0:
                out[r, c] = best
            elif exit_k == -2:
                out[r, c] = _exit_direction(z, r, c, dx, dy, dist)
            else:
                out[r, c] = D8_SINK
    return out


@njit(cache=True)
def _slope_1d(z: np.ndarray, r: int, c: int, dr: int, dc: int, h: float) -> float:
    """dz per unit length along (dr, dc) at (r, c): central, else one-sided, else 0."""
    nr, nc = z.shape
    zc = z[r, c]
    ra, ca, rb, cb = r + dr, c + dc, r - dr, c - dc
    fa = 0 <= ra < nr and 0 <= ca < nc and not np.isnan(z[ra, ca])
    fb = 0 <= rb < nr and 0 <= cb < nc and not np.isnan(z[rb, cb])
    if fa and fb:
        return (z[ra, ca] - z[rb, cb]) / (2.0 * h)
    if fa:
        return (z[ra, ca] - zc) / h
    if fb:
        return (zc - z[rb, cb]) / h
    return 0.0


@njit(cache=True)
def _exit_direction(z: np.ndarray, r: int, c: int, dx: float, dy: float, dist: np.ndarray) -> int:
    """Exit (off-grid or into NaN) closest to the local downslope direction.

    The local gradient comes from finite differences over the valid
    neighbours; each exit is scored by the linearised drop rate along it, so
    the corner of an inclined plane keeps the plane's direction and a valley
    outlet flows along the valley.  Ties go to the first in search order.
    """
    nr, nc = z.shape
    g_col = _slope_1d(z, r, c, 0, 1, dx)
    g_row = _slope_1d(z, r, c, 1, 0, dy)
    best = -1
    best_score = -np.inf
    for m in range(8):
        k = _D8_ORDER[m]
        rr = r + D8_DR[k]
        cc = c + D8_DC[k]
        if 0 <= rr < nr and 0 <= cc < nc and not np.isnan(z[rr, cc]):
            continue
        score = -(g_col * D8_DC[k] * dx + g_row * D8_DR[k] * dy) / dist[k]
        if best < 0 or score > best_score + 1e-12 * abs(best_score):
            best = k
            best_score = score
    return best


@njit(cache=True)
def flow_accumulate(fdir: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
    """Sum of ``w`` over each cell and everything upstream of it.

    Kahn's topological sort over the D8 graph: O(n) time.  Returns the
    accumulation (NaN on ``D8_NODATA`` cells) and the number of valid cells
    never reached, which is non-zero only when ``fdir`` has cycles.
    """
    nr, nc = fdir.shape
    n = nr * nc
    f = fdir.reshape(n)
    wf = w.reshape(n)
    acc = np.empty(n, np.float64)
    tgt = np.full(n, -1, np.int64)
    indeg = np.zeros(n, np.int32)
    n_valid = 0
    for i in range(n):
        k = f[i]
        if k == D8_NODATA:
            acc[i] = np.nan
            continue
        acc[i] = wf[i]
        n_valid += 1
        if k < 0:
            continue
        r = i // nc
        rr = r + D8_DR[k]
        cc = i - r * nc + D8_DC[k]
        if rr < 0 or rr >= nr or cc < 0 or cc >= nc:
            continue
        j = rr * nc + cc
        if f[j] == D8_NODATA:
            continue
        tgt[i] = j
        indeg[j] += 1
    stack = np.empty(n, np.int64)
    top = 0
    for i in range(n):
        if f[i] != D8_NODATA and indeg[i] == 0:
            stack[top] = i
            top += 1
    done = 0
    while top > 0:
        top -= 1
        i = stack[top]
        done += 1
        j = tgt[i]
        if j >= 0:
            acc[j] += acc[i]
            indeg[j] -= 1
            if indeg[j] == 0:
                stack[top] = j
                top += 1
    return acc.reshape(nr, nc), n_valid - done


# --------------------------------------------------------------------------- sampling

@njit(cache=True)
def sample_bilinear(data: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Bilinear values at pixel coordinates (``px`` along columns, ``py`` along rows).

    Pixel coordinates put cell ``(r, c)`` at ``[c, c+1) x [r, r+1)``; its
    centre is ``(c + 0.5, r + 0.5)``.  Points outside ``[0, nc) x [0, nr)`` or
    with a NaN corner carrying non-zero weight give NaN; between the outermost
    centres and the grid edge the edge values are held constant.
    """
    nr, nc = data.shape
    m = px.size
    out = np.empty(m, np.float64)
    for i in range(m):
        x = px[i]
        y = py[i]
        if not (x >= 0.0 and x < nc and y >= 0.0 and y < nr):
            out[i] = np.nan
            continue
        u = min(max(x - 0.5, 0.0), nc - 1.0)
        v = min(max(y - 0.5, 0.0), nr - 1.0)
        c0 = min(int(u), max(nc - 2, 0))
        r0 = min(int(v), max(nr - 2, 0))
        fu = u - c0
        fv = v - r0
        c1 = min(c0 + 1, nc - 1)
        r1 = min(r0 + 1, nr - 1)
        acc = 0.0
        for a in range(4):
            rr = r0 if a < 2 else r1
            cc = c0 if a % 2 == 0 else c1
            wr = 1.0 - fv if a < 2 else fv
            wc = 1.0 - fu if a % 2 == 0 else fu
            wgt = wr * wc
            if wgt > 0.0:
                acc += wgt * data[rr, cc]
        out[i] = acc
    return out


@njit(cache=True)
def sample_nearest(data: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Value of the cell containing each pixel coordinate; NaN outside the grid."""
    nr, nc = data.shape
    m = px.size
    out = np.empty(m, np.float64)
    for i in range(m):
        x = px[i]
        y = py[i]
        if not (x >= 0.0 and x < nc and y >= 0.0 and y < nr):
            out[i] = np.nan
            continue
        out[i] = data[int(y), int(x)]
    return out
