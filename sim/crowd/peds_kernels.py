"""Numba kernels of the pedestrian micro-simulation (arrays in, arrays out).

Operational model: the collision-free speed model (CSM) of Tordeux, Chraibi & Seyfried (2016),
"Collision-free speed model for pedestrian dynamics", Traffic and Granular Flow '15, 225-232
(arXiv:1512.05597), Sec. 2, first order in time. For agent i with radius r_i::

    dx_i/dt = V_i(s_i) e_i                                         (speed times direction)
    V_i(s) = min(v0_i, max(0, (s - g_i) / T_i))                    (optimal-velocity function)
    s_i    = min_{j in J_i} (|x_j - x_i| - (r_i + r_j))            (spacing to the one ahead)
    J_i    = {j : e_i.(x_j - x_i) >= 0, |e_i^perp.(x_j - x_i)| <= kappa (r_i + r_j)}
    e_i    = N^-1 (e0_i + sum_j w_ij R(d_ij) u_ji + sum_w R_w(d_iw) n_wi + L_i)
    R(d)   = a exp((r_i + r_j + g_i - d) / D),   R_w(d) = a_w exp((r_i - d) / D_w)

(the paper writes the spacing with the agent length l = 2r and uses kappa = 1, w_ij = 1,
L_i = 0, g_i = 0; the per-agent radii and the wall term follow the generalised form of JuPedSim's
CollisionFreeSpeedModelV2). u_ji is the unit vector from j to i, n_wi the one from the nearest
point of wall segment w to i (one term per segment; the whole wall sum is skipped when
a_w = 0, the calibrated set: peds.py says why), N normalises. Extensions (peds.py says why):
w_ij = 1 for neighbours ahead of i on the route (shorter travel time; with a period: in the
half-plane of e0_i) and ``prm[P_BEHIND]`` otherwise; L_i = b (1 - s0_i / (v0_i T_i)) n_i,
with s0_i the spacing to the agent ahead along e0_i, n_i the unit normal to e0_i pointing away
from that agent and b = ``prm[P_OVERTAKE]``, applied when s0_i - g_i < v0_i T_i (overtaking).
Counter-flow (neighbours of another destination, ``dest``): such a neighbour ahead counts for
s0_i at half its distance (time to contact at twice the walking speed), L_i is then
``prm[P_ONC_W]`` x as strong, and n_i points to the right unless the oncoming agent is more
than ``prm[P_ONC_KR]`` (r_i + r_j) to the right (keeping right); between agents of one
destination nothing changes.
g_i >= 0 is a standing gap, the clear distance agent i keeps to others when it stands: 0 for
the calibrated crowd pressing into a bottleneck, > 0 for a person waiting in an orderly queue
(gate.py). It shifts the speed law (i needs g_i + v T_i to walk at v) and the neighbour
repulsion (R(d) = a exp((r_i + r_j + g_i - d) / D)), and the speed of an agent with g_i > 0
is scaled by max(0, e_i.e0_i) (it still moves along e_i, which keeps the model collision-free):
a queuing person turned away from where it wants to go by the repulsions slows down instead of
being pushed sideways or back at walking speed; the sideways part of its velocity is at most half
its speed, at 45 degrees (extension; without it the shifted repulsion sets standing agents
drifting at up to v0). In single file (behind_weight = 0, a > 1) the standing spacing is
d* = r_i + r_j + g_i + D ln a, where the repulsion of the one ahead equals the unit weight of
e0_i (tests/sim/test_crowd_peds.py).
Neighbours hidden behind a wall segment are ignored (line-of-sight test), and a final wall
constraint keeps every centre at least r_i from the walls (a step ending closer is moved back
along the wall normal).

Desired direction e0: the descending gradient of a travel-time field, computed once per geometry
(:mod:`sim.crowd.fmm`) and read here by bilinear interpolation.

Integration: explicit Euler with all agents updated from the same old state (parallel over
chunks of agents); neighbour search with a cell list of side >= the interaction cut-off.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim.crowd.fmm import INF

_REP_EXP_CUT = -9.0  # exp(-9) = 1.2e-4 of the strength: smaller repulsions are skipped

# indices into the float parameter vector ``prm`` of :func:`run_csm`
P_A_NB, P_D_NB, P_A_WALL, P_D_WALL, P_CUTOFF, P_OVERTAKE, P_BEHIND, P_KAPPA, P_ONC_W, P_ONC_KR = range(10)
N_PRM = 10


# ---------------------------------------------------------------- walls
@njit(cache=True)
def wall_cell_lists(sx0: np.ndarray, sy0: np.ndarray, sx1: np.ndarray, sy1: np.ndarray,
                    ox: float, oy: float, cell_m: float, ncx: int, ncy: int,
                    reach_m: float) -> tuple[np.ndarray, np.ndarray]:
    """CSR lists (start[ncx*ncy+1], seg) of the wall segments within ``reach_m`` of each cell.

    A segment is listed in every cell that its bounding box grown by ``reach_m`` touches
    (conservative: a few extra segments, never a missing one).
    """
    ns = sx0.size
    cnt = np.zeros(ncx * ncy + 1, dtype=np.int64)
    for pas in range(2):
        if pas == 1:
            for c in range(ncx * ncy):
                cnt[c + 1] += cnt[c]
            seg = np.empty(cnt[ncx * ncy], dtype=np.int64)
            fill = cnt[:-1].copy()
        for s in range(ns):
            i0 = int(math.floor((min(sx0[s], sx1[s]) - reach_m - ox) / cell_m))
            i1 = int(math.floor((max(sx0[s], sx1[s]) + reach_m - ox) / cell_m))
            j0 = int(math.floor((min(sy0[s], sy1[s]) - reach_m - oy) / cell_m))
            j1 = int(math.floor((max(sy0[s], sy1[s]) + reach_m - oy) / cell_m))
            for j in range(max(j0, 0), min(j1, ncy - 1) + 1):
                for i in range(max(i0, 0), min(i1, ncx - 1) + 1):
                    c = j * ncx + i
                    if pas == 0:
                        cnt[c + 1] += 1
                    else:
                        seg[fill[c]] = s
                        fill[c] += 1
    return cnt, seg


@njit(cache=True, inline="always")
def _closest_on_segment(px: float, py: float, ax: float, ay: float, bx: float,
                        by: float) -> tuple[float, float]:
    """Closest point to p on the segment a-b."""
    dx = bx - ax
    dy = by - ay
    l2 = dx * dx + dy * dy
    u = 0.0
    if l2 > 0.0:
        u = ((px - ax) * dx + (py - ay) * dy) / l2
        u = min(1.0, max(0.0, u))
    return ax + u * dx, ay + u * dy


@njit(cache=True, inline="always")
def _segments_cross(ax: float, ay: float, bx: float, by: float, cx: float, cy: float,
                    dx: float, dy: float) -> bool:
    """True when the open segments a-b and c-d properly intersect (orientation test)."""
    d1 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx)
    d2 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx)
    if d1 * d2 >= 0.0:
        return False
    d3 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    d4 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
    return d3 * d4 < 0.0


@njit(cache=True)
def _visible(xi: float, yi: float, xj: float, yj: float, c: int, wstart: np.ndarray,
             wseg: np.ndarray, sx0: np.ndarray, sy0: np.ndarray, sx1: np.ndarray,
             sy1: np.ndarray) -> bool:
    """True when no wall segment listed for cell c cuts the sight line i-j."""
    for k in range(wstart[c], wstart[c + 1]):
        s = wseg[k]
        if _segments_cross(xi, yi, xj, yj, sx0[s], sy0[s], sx1[s], sy1[s]):
            return False
    return True


# ---------------------------------------------------------------- navigation lookup
@njit(cache=True, inline="always")
def _bilinear(g: np.ndarray, x: float, y: float, ox: float, oy: float,
              h: float) -> float:
    """Bilinear interpolation of the cell-centred grid g at (x, y) (clamped at the edges)."""
    ny, nx = g.shape
    fx = (x - ox) / h - 0.5
    fy = (y - oy) / h - 0.5
    i0 = int(math.floor(fx))
    j0 = int(math.floor(fy))
    tx = min(max(fx - i0, 0.0), 1.0)
    ty = min(max(fy - j0, 0.0), 1.0)
    i0 = min(max(i0, 0), nx - 1)
    j0 = min(max(j0, 0), ny - 1)
    i1 = min(i0 + 1, nx - 1)
    j1 = min(j0 + 1, ny - 1)
    return ((1 - tx) * (1 - ty) * g[j0, i0] + tx * (1 - ty) * g[j0, i1]
            + (1 - tx) * ty * g[j1, i0] + tx * ty * g[j1, i1])


@njit(cache=True, inline="always")
def _nav_dir(x: float, y: float, ox: float, oy: float, h: float, ux: np.ndarray,
             uy: np.ndarray) -> tuple[float, float]:
    """Unit desired direction at (x, y): bilinear direction field, renormalised."""
    ex = _bilinear(ux, x, y, ox, oy, h)
    ey = _bilinear(uy, x, y, ox, oy, h)
    n = math.sqrt(ex * ex + ey * ey)
    if n > 1e-12:
        return ex / n, ey / n
    ny, nx = ux.shape
    ic = min(max(int((x - ox) / h), 0), nx - 1)
    jc = min(max(int((y - oy) / h), 0), ny - 1)
    return ux[jc, ic], uy[jc, ic]


# ---------------------------------------------------------------- one step
_NB_MAX = 192  # neighbour buffer per agent (more are handled by a second cell sweep)
_CHUNK = 64  # agents per parallel work item
STENCIL_HALF = 1  # cell list: cells of side cutoff/STENCIL_HALF, (2*STENCIL_HALF+1)^2 stencil


@njit(cache=True, inline="always")
def _stencil_cell(jj: int, q: int, ci: int, hs: int, ncx: int, allcols: bool, periodic: bool) -> int:
    """Cell of column ``q`` of the stencil round cell column ``ci`` in row ``jj``: every column once
    (``allcols``, a periodic row shorter than the stencil), wrapped (``periodic``), or -1 past
    the grid's edge."""
    if allcols:
        return jj * ncx + q
    ii = ci - hs + q
    if periodic:
        ii = ii % ncx
    elif ii < 0 or ii >= ncx:
        return -1
    return jj * ncx + ii


@njit(cache=True, inline="always")
def _spacing_ahead(dx: float, dy: float, d: float, exi: float, eyi: float, lij: float, kappa: float) -> float:
    """Spacing d - l_ij to the neighbour at (dx, dy), distance d, if it is ahead along e_i and
    within kappa l_ij of its line (Tordeux et al. 2016's neighbour set); INF otherwise."""
    if dx * exi + dy * eyi < 0.0 or abs(dy * exi - dx * eyi) > kappa * lij:
        return INF
    return d - lij


@njit(cache=True, parallel=True)
def _velocities(xs: np.ndarray, ys: np.ndarray, rs: np.ndarray, ts: np.ndarray, fs: np.ndarray,
                order: np.ndarray, n_act: int, v0: np.ndarray, tgap: np.ndarray,
                gap: np.ndarray, ex: np.ndarray, ey: np.ndarray, cstart: np.ndarray, cgrid: np.ndarray,
                period_x: float, prm: np.ndarray, nav_o: np.ndarray, ux: np.ndarray,
                uy: np.ndarray, sx0: np.ndarray, sy0: np.ndarray, sx1: np.ndarray,
                sy1: np.ndarray, wgrid: np.ndarray, wstart: np.ndarray, wseg: np.ndarray,
                vx: np.ndarray, vy: np.ndarray) -> None:
    """CSM velocity of every active agent from the current state (see module docstring).

    ``xs, ys, rs, ts, fs`` hold position, radius, remaining route length and destination of the
    active agents sorted by cell (``order[k]`` is the agent in slot k); ``cgrid`` = (x0, y0, cell
    size, ncx, ncy, stencil half-width) of the cell list; ``ux, uy`` hold one direction field per
    destination. A neighbour counts as *ahead* for the direction model when its route length to
    the same destination is shorter (``ts``; with a period, or bound elsewhere (counter-flow):
    when it lies in the half-plane of the desired direction); others repel with weight
    ``prm[P_BEHIND]``.
    """
    a_nb = prm[P_A_NB]
    d_nb = prm[P_D_NB]
    a_w = prm[P_A_WALL]
    d_w = prm[P_D_WALL]
    cut2 = prm[P_CUTOFF] * prm[P_CUTOFF]
    overtake = prm[P_OVERTAKE]
    behind = prm[P_BEHIND]
    kappa = prm[P_KAPPA]
    onc_w = prm[P_ONC_W]
    onc_kr = prm[P_ONC_KR]
    cx0 = cgrid[0]
    cy0 = cgrid[1]
    csz = cgrid[2]
    ncx = int(cgrid[3])
    ncy = int(cgrid[4])
    hs = int(cgrid[5])
    wox = wgrid[0]
    woy = wgrid[1]
    wsz = wgrid[2]
    wnx = int(wgrid[3])
    wny = int(wgrid[4])
    periodic = period_x > 0.0
    # columns of the stencil (all columns, once each, when a periodic row is shorter)
    nox = 2 * hs + 1
    allcols = periodic and ncx < nox
    if allcols:
        nox = ncx
    n_chunks = (n_act + _CHUNK - 1) // _CHUNK
    for ch in prange(n_chunks):
        nb_m = np.empty(_NB_MAX, dtype=np.int64)
        nb_dx = np.empty(_NB_MAX)
        nb_dy = np.empty(_NB_MAX)
        nb_d = np.empty(_NB_MAX)
        for k in range(ch * _CHUNK, min((ch + 1) * _CHUNK, n_act)):
            i = order[k]
            xi = xs[k]
            yi = ys[k]
            ri = rs[k]
            ti = ts[k]
            fi = fs[k]
            e0x, e0y = _nav_dir(xi, yi, nav_o[0], nav_o[1], nav_o[2], ux[fi], uy[fi])
            wc = (min(max(int((yi - woy) / wsz), 0), wny - 1) * wnx
                  + min(max(int((xi - wox) / wsz), 0), wnx - 1))
            has_walls = wstart[wc + 1] > wstart[wc]
            ci = min(max(int((xi - cx0) / csz), 0), ncx - 1)
            cj = min(max(int((yi - cy0) / csz), 0), ncy - 1)
            # --- direction model: neighbour repulsion (+ the blocker ahead along e0)
            rx = 0.0
            ry = 0.0
            s0 = INF
            lat0 = 0.0
            onc0 = False
            nn = 0
            overflow = False
            for jj in range(max(cj - hs, 0), min(cj + hs, ncy - 1) + 1):
                for q in range(nox):
                    c = _stencil_cell(jj, q, ci, hs, ncx, allcols, periodic)
                    if c < 0:
                        continue
                    for m in range(cstart[c], cstart[c + 1]):
                        if m == k:
                            continue
                        dx = xs[m] - xi
                        if periodic:
                            dx -= period_x * math.floor(dx / period_x + 0.5)
                        dy = ys[m] - yi
                        d2 = dx * dx + dy * dy
                        if d2 > cut2 or d2 == 0.0:
                            continue
                        d = math.sqrt(d2)
                        if nn < _NB_MAX:
                            nb_m[nn] = m
                            nb_dx[nn] = dx
                            nb_dy[nn] = dy
                            nb_d[nn] = d
                            nn += 1
                        else:
                            overflow = True
                        lij = ri + rs[m]
                        along0 = dx * e0x + dy * e0y
                        if overtake > 0.0 and along0 >= 0.0:
                            lat = dy * e0x - dx * e0y
                            # time to contact: an oncoming walker (other stream) closes at about
                            # twice the walking speed, so it counts at half its distance
                            s_eff = (d - lij) * (0.5 if fs[m] != fi else 1.0)
                            if abs(lat) <= lij and s_eff < s0:
                                if not has_walls or _visible(xi, yi, xi + dx, yi + dy, wc,
                                                             wstart, wseg, sx0, sy0, sx1, sy1):
                                    s0 = s_eff
                                    onc0 = fs[m] != fi
                                    if onc0:  # keep right: pass on the left only one clearly to the right
                                        lat += onc_kr * lij
                                    lat0 = lat if lat != 0.0 else (1.0 if i % 2 == 0 else -1.0)
                        z = (lij + gap[i] - d) / d_nb
                        if z < _REP_EXP_CUT:
                            continue
                        ahead = (along0 >= 0.0) if (periodic or fs[m] != fi) else (ts[m] < ti)
                        w = 1.0 if ahead else behind
                        if w == 0.0:
                            continue
                        if has_walls and not _visible(xi, yi, xi + dx, yi + dy, wc, wstart,
                                                      wseg, sx0, sy0, sx1, sy1):
                            continue
                        f = w * a_nb * math.exp(z) / d
                        rx -= f * dx
                        ry -= f * dy
            # --- wall repulsion (skipped when its strength is 0)
            for m in range(wstart[wc], wstart[wc + 1] if a_w > 0.0 else wstart[wc]):
                s = wseg[m]
                px, py = _closest_on_segment(xi, yi, sx0[s], sy0[s], sx1[s], sy1[s])
                dx = xi - px
                dy = yi - py
                d = math.sqrt(dx * dx + dy * dy)
                if d <= 1e-9:
                    continue
                z = (ri - d) / d_w
                if z < _REP_EXP_CUT:
                    continue
                f = a_w * math.exp(z) / d
                rx += f * dx
                ry += f * dy
            s0 -= gap[i]
            if overtake > 0.0 and s0 < v0[i] * tgap[i]:
                # steer round the agent that slows i down: lateral unit vector away from it,
                # weighted by the speed deficit it causes (extension, see peds.py)
                w = overtake * (1.0 - max(s0, 0.0) / (v0[i] * tgap[i])) * (onc_w if onc0 else 1.0)
                sgn = -1.0 if lat0 > 0.0 else 1.0
                rx -= w * sgn * e0y
                ry += w * sgn * e0x
            exi = e0x + rx
            eyi = e0y + ry
            nrm = math.sqrt(exi * exi + eyi * eyi)
            if nrm > 1e-12:
                exi /= nrm
                eyi /= nrm
            else:
                exi = ex[i]
                eyi = ey[i]
            # --- speed model: spacing to the nearest visible neighbour ahead along e_i
            smin = INF
            for p in range(nn):
                dx = nb_dx[p]
                dy = nb_dy[p]
                s = _spacing_ahead(dx, dy, nb_d[p], exi, eyi, ri + rs[nb_m[p]], kappa)
                if s < smin and (not has_walls or _visible(xi, yi, xi + dx, yi + dy, wc, wstart, wseg,
                                                           sx0, sy0, sx1, sy1)):
                    smin = s
            if overflow:  # rare: more neighbours than the buffer holds; sweep the cells again
                for jj in range(max(cj - hs, 0), min(cj + hs, ncy - 1) + 1):
                    for q in range(nox):
                        c = _stencil_cell(jj, q, ci, hs, ncx, allcols, periodic)
                        if c < 0:
                            continue
                        for m in range(cstart[c], cstart[c + 1]):
                            if m == k:
                                continue
                            dx = xs[m] - xi
                            if periodic:
                                dx -= period_x * math.floor(dx / period_x + 0.5)
                            dy = ys[m] - yi
                            d2 = dx * dx + dy * dy
                            if d2 > cut2 or d2 == 0.0:
                                continue
                            s = _spacing_ahead(dx, dy, math.sqrt(d2), exi, eyi, ri + rs[m], kappa)
                            if s < smin and (not has_walls or _visible(xi, yi, xi + dx, yi + dy, wc, wstart,
                                                                       wseg, sx0, sy0, sx1, sy1)):
                                smin = s
            v = min(v0[i], max(0.0, (smin - gap[i]) / tgap[i]))
            if gap[i] > 0.0:
                v *= max(0.0, exi * e0x + eyi * e0y)
            vx[i] = v * exi
            vy[i] = v * eyi
            ex[i] = exi
            ey[i] = eyi


@njit(cache=True, parallel=True)
def _move(x: np.ndarray, y: np.ndarray, rad: np.ndarray, vx: np.ndarray, vy: np.ndarray,
          order: np.ndarray, n_act: int, dt: float, period_x: float, x_lo: float,
          sx0: np.ndarray, sy0: np.ndarray, sx1: np.ndarray, sy1: np.ndarray,
          wgrid: np.ndarray, wstart: np.ndarray, wseg: np.ndarray, spd: np.ndarray) -> None:
    """Euler step, then the wall constraint (centre >= r_i from every wall), periodic wrap.

    A step ending closer than r_i to a segment is moved back to distance r_i along the
    segment normal on the side of the old position (the tangential part of the step stays).
    """
    wox = wgrid[0]
    woy = wgrid[1]
    wsz = wgrid[2]
    wnx = int(wgrid[3])
    wny = int(wgrid[4])
    for k in prange(n_act):
        i = order[k]
        xo = x[i]
        yo = y[i]
        xn = xo + vx[i] * dt
        yn = yo + vy[i] * dt
        ri = rad[i]
        wc = (min(max(int((yn - woy) / wsz), 0), wny - 1) * wnx
              + min(max(int((xn - wox) / wsz), 0), wnx - 1))
        for _ in range(2):  # a second pass settles concave corners
            for m in range(wstart[wc], wstart[wc + 1]):
                s = wseg[m]
                px, py = _closest_on_segment(xn, yn, sx0[s], sy0[s], sx1[s], sy1[s])
                dx = xn - px
                dy = yn - py
                d = math.sqrt(dx * dx + dy * dy)
                if d >= ri:
                    continue
                qx, qy = _closest_on_segment(xo, yo, sx0[s], sy0[s], sx1[s], sy1[s])
                ox_ = xo - qx
                oy_ = yo - qy
                if d > 1e-9 and dx * ox_ + dy * oy_ > 0.0:
                    nx_ = dx / d
                    ny_ = dy / d
                else:
                    no = math.sqrt(ox_ * ox_ + oy_ * oy_)
                    if no <= 1e-12:
                        continue
                    nx_ = ox_ / no
                    ny_ = oy_ / no
                xn = px + nx_ * ri
                yn = py + ny_ * ri
        spd[i] = math.sqrt((xn - xo) ** 2 + (yn - yo) ** 2) / dt
        if period_x > 0.0:
            xn = x_lo + (xn - x_lo) % period_x
        x[i] = xn
        y[i] = yn


@njit(cache=True)
def _cell_list(x: np.ndarray, y: np.ndarray, rad: np.ndarray, active: np.ndarray,
               cgrid: np.ndarray, cstart: np.ndarray, order: np.ndarray, xs: np.ndarray,
               ys: np.ndarray, rs: np.ndarray, ts: np.ndarray, fs: np.ndarray, dest: np.ndarray,
               nav_o: np.ndarray, route: np.ndarray) -> int:
    """Counting sort of the active agents by cell; returns their number.

    ``order[:n_act]`` lists the active agents cell by cell, ``cstart`` (ncx*ncy+1) the offset
    of each cell in it; ``xs, ys, rs, ts, fs`` receive position, radius, route length to the
    agent's destination (bilinear in ``route[dest]``; 0 when ``route`` is empty) and
    destination in that order.
    """
    cx0 = cgrid[0]
    cy0 = cgrid[1]
    csz = cgrid[2]
    ncx = int(cgrid[3])
    ncy = int(cgrid[4])
    n = x.size
    nc = ncx * ncy
    cstart[:] = 0
    cell = np.empty(n, dtype=np.int64)
    for i in range(n):
        if active[i]:
            ci = min(max(int((x[i] - cx0) / csz), 0), ncx - 1)
            cj = min(max(int((y[i] - cy0) / csz), 0), ncy - 1)
            cell[i] = cj * ncx + ci
            cstart[cell[i] + 1] += 1
    for c in range(nc):
        cstart[c + 1] += cstart[c]
    fill = cstart[:-1].copy()
    has_route = route.size > 0
    for i in range(n):
        if active[i]:
            m = fill[cell[i]]
            order[m] = i
            xs[m] = x[i]
            ys[m] = y[i]
            rs[m] = rad[i]
            ts[m] = (_bilinear(route[dest[i]], x[i], y[i], nav_o[0], nav_o[1], nav_o[2])
                     if has_route else 0.0)
            fs[m] = dest[i]
            fill[cell[i]] = m + 1
    return cstart[nc]


@njit(cache=True)
def cell_grid(nav_o: np.ndarray, nx_nav: int, ny_nav: int, cutoff_m: float,
              period_x: float) -> np.ndarray:
    """(x0, y0, cell size, ncx, ncy, half-width) of a cell list over the navigation grid.

    Square cells of side >= cutoff/2, so a (2*2+1)^2 stencil holds every neighbour within
    the cut-off (less area scanned than 3x3 cells of side cutoff); with a period the
    columns tile it exactly.
    """
    h = nav_o[2]
    hs = STENCIL_HALF
    csz = max(cutoff_m / hs, 1e-3)
    if period_x > 0.0:
        ncx = max(int(period_x / csz), 1)
        csz = period_x / ncx
    else:
        ncx = max(int(math.ceil(nx_nav * h / csz)), 1)
    ncy = max(int(math.ceil(ny_nav * h / csz)), 1)
    out = np.empty(6)
    out[0] = nav_o[0]
    out[1] = nav_o[1]
    out[2] = csz
    out[3] = ncx
    out[4] = ncy
    out[5] = hs
    return out


@njit(cache=True)
def run_csm(x: np.ndarray, y: np.ndarray, v0: np.ndarray, rad: np.ndarray,
            tgap: np.ndarray, gap: np.ndarray, active: np.ndarray, exit_t: np.ndarray,
            ex: np.ndarray, ey: np.ndarray, prm: np.ndarray, nav_o: np.ndarray, ux: np.ndarray,
            uy: np.ndarray, route: np.ndarray, exit_mask: np.ndarray, dest: np.ndarray, sx0: np.ndarray,
            sy0: np.ndarray, sx1: np.ndarray, sy1: np.ndarray, wgrid: np.ndarray,
            wstart: np.ndarray, wseg: np.ndarray, period_x: float, t0: float, dt: float,
            n_steps: int, record_every: int, rec_x: np.ndarray, rec_y: np.ndarray,
            rec_v: np.ndarray) -> tuple[int, int]:
    """Advance the CSM by up to ``n_steps`` steps of ``dt`` seconds, in place.

    State arrays have one entry per agent (``gap``: standing gap g_i, m); ``active`` (uint8) turns 0 once the agent stands on
    an exit cell of its destination (``exit_t`` then holds the time). ``nav_o`` = (x0, y0, h) of
    the navigation grid, whose extent also bounds the cell list; on it, one layer per
    destination (leading axis): direction field ``ux, uy``, route length ``route`` (travel time
    to the destination's exits, or an empty array with a period) and ``exit_mask``. ``dest``
    (int64) is each agent's destination: one layer for a crowd bound one way, two for
    counter-flow. Every
    ``record_every`` steps (from step 0) positions and speeds go into the next row of
    ``rec_*`` (NaN for inactive agents) while rows are left. Stops early once no agent is
    active. Returns (steps, agent-steps).
    """
    n = x.size
    _, ny_nav, nx_nav = ux.shape
    ox = nav_o[0]
    oy = nav_o[1]
    h = nav_o[2]
    cgrid = cell_grid(nav_o, nx_nav, ny_nav, prm[P_CUTOFF], period_x)
    cstart = np.zeros(int(cgrid[3]) * int(cgrid[4]) + 1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    xs = np.empty(n)
    ys = np.empty(n)
    rs = np.empty(n)
    ts = np.empty(n)
    fs = np.empty(n, dtype=np.int64)
    vx = np.zeros(n)
    vy = np.zeros(n)
    spd = np.zeros(n)
    n_rec = rec_x.shape[0]
    f = 0
    agent_steps = 0
    step = 0
    while True:
        if record_every > 0 and step % record_every == 0 and f < n_rec:
            for i in range(n):
                if active[i]:
                    rec_x[f, i] = x[i]
                    rec_y[f, i] = y[i]
                    rec_v[f, i] = spd[i]
                else:
                    rec_x[f, i] = np.nan
                    rec_y[f, i] = np.nan
                    rec_v[f, i] = np.nan
            f += 1
        if step >= n_steps:
            break
        n_act = _cell_list(x, y, rad, active, cgrid, cstart, order, xs, ys, rs, ts, fs, dest,
                           nav_o, route)
        if n_act == 0:
            break
        _velocities(xs, ys, rs, ts, fs, order, n_act, v0, tgap, gap, ex, ey, cstart, cgrid, period_x,
                    prm, nav_o, ux, uy, sx0, sy0, sx1, sy1, wgrid, wstart, wseg, vx, vy)
        _move(x, y, rad, vx, vy, order, n_act, dt, period_x, ox, sx0, sy0, sx1, sy1, wgrid,
              wstart, wseg, spd)
        agent_steps += n_act
        step += 1
        t = t0 + step * dt
        for k in range(n_act):
            i = order[k]
            ic = min(max(int((x[i] - ox) / h), 0), nx_nav - 1)
            jc = min(max(int((y[i] - oy) / h), 0), ny_nav - 1)
            if exit_mask[dest[i], jc, ic]:
                active[i] = 0
                exit_t[i] = t
    return step, agent_steps
