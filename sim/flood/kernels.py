"""Numba kernels of the local-inertial shallow-water solver (arrays in, arrays out).

Grid: cell (i, j), row i southward, column j eastward, square cells of size ``dx``.
State: depth ``h[ny, nx]``, unit-width discharges on faces ``qx[ny, nx+1]`` (face j lies
between columns j-1 and j, positive eastward) and ``qy[ny+1, nx]`` (face i lies between
rows i-1 and i, positive southward). All float32.

Momentum on each face, the local-inertial form of Bates, Horritt & Fewtrell (2010,
J. Hydrol. 387, eq. 11) with the theta-weighted neighbour flux of de Almeida, Bates,
Freer & Souvignet (2012, Water Resour. Res. 48, W05528, eq. 7)::

    q^{n+1} = [theta q^n + (1-theta)/2 (q_{-1}^n + q_{+1}^n) - g h_f dt d(eta)/dx]
              / [1 + g dt n^2 |q^n| / h_f^{7/3}]

with the flow depth at the face ``h_f = max(eta_L, eta_R) - max(z_L, z_R)``; faces with
``h_f <= h_min`` carry no flow. Continuity is a finite-volume update, so the water that
leaves one cell enters its neighbour exactly. Non-negative depths: before the update each
cell's outgoing fluxes are scaled by ``f = min(1, available volume / outgoing volume)``
(the donor's factor is applied to every face it gives through), so no cell is drained
below zero and no water is created or lost.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

G = np.float32(9.81)


@intrinsic
def _f32_bits(typingctx, x):
    """Reinterpret a float32 as its int32 bit pattern (an LLVM bitcast)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def _bits_f32(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@njit(inline="always", fastmath=True, cache=True)
def pow_7_3(x):
    """x^(7/3) for x > 0 in float32: x^2 times a cube root from the exponent-bit estimate
    (Kahan's constant) refined by two Halley steps; relative error < 1e-6, about 3x faster
    than ``powf`` (which numba cannot vectorise without SVML)."""
    y = _bits_f32(np.int32(_f32_bits(x) // np.int32(3) + np.int32(709921077)))
    y3 = y * y * y
    y = y * (y3 + x + x) / (y3 + y3 + x)
    y3 = y * y * y
    y = y * (y3 + x + x) / (y3 + y3 + x)
    return x * x * y


@njit(parallel=True, fastmath=True, cache=True)
def face_fluxes(h, z, n2, qx, qy, qx_new, qy_new, dt, dx, theta, h_min):
    """Interior face discharges at t+dt (m^2/s) from the state at t. Boundary faces untouched.

    ``n2`` (Manning n squared) is per cell, or a (1, 1) array for a uniform value.
    """
    ny, nx = h.shape
    si = 1 if n2.shape[0] > 1 else 0  # index stride 0 reads the single value (no branch)
    sj = 1 if n2.shape[1] > 1 else 0
    g = G
    dt = np.float32(dt)
    inv_dx = np.float32(1.0) / np.float32(dx)
    th = np.float32(theta)
    half_1mth = np.float32(0.5) * (np.float32(1.0) - th)
    hmin = np.float32(h_min)
    one = np.float32(1.0)
    for i in prange(ny):
        # x faces of row i (branch-free so LLVM vectorises: dry faces are masked at the end)
        for j in range(1, nx):
            zl = z[i, j - 1]
            zr = z[i, j]
            el = zl + h[i, j - 1]
            er = zr + h[i, j]
            hf = max(el, er) - max(zl, zr)
            hs = max(hf, hmin)
            q0 = qx[i, j]
            # theta average over the neighbouring faces; at the domain edge the face's own
            # discharge stands in for the missing neighbour (an edge or point inflow enters
            # as a source, so the edge face's zero would bias the first interior face)
            qa = qx[i, j - 1] if j > 1 else q0
            qb = qx[i, j + 1] if j < nx - 1 else q0
            qn = th * q0 + half_1mth * (qa + qb)
            nn = np.float32(0.5) * (n2[i * si, (j - 1) * sj] + n2[i * si, j * sj])
            q = (qn - g * hs * dt * (er - el) * inv_dx) / (one + g * dt * nn * abs(q0) / pow_7_3(hs))
            qx_new[i, j] = q if hf > hmin else np.float32(0.0)
        # y faces between rows i-1 and i
        if i > 0:
            for j in range(nx):
                zu = z[i - 1, j]
                zd = z[i, j]
                eu = zu + h[i - 1, j]
                ed = zd + h[i, j]
                hf = max(eu, ed) - max(zu, zd)
                hs = max(hf, hmin)
                q0 = qy[i, j]
                qa = qy[i - 1, j] if i > 1 else q0
                qb = qy[i + 1, j] if i < ny - 1 else q0
                qn = th * q0 + half_1mth * (qa + qb)
                nn = np.float32(0.5) * (n2[(i - 1) * si, j * sj] + n2[i * si, j * sj])
                q = (qn - g * hs * dt * (ed - eu) * inv_dx) / (one + g * dt * nn * abs(q0) / pow_7_3(hs))
                qy_new[i, j] = q if hf > hmin else np.float32(0.0)


@njit(cache=True)
def boundary_fluxes(h, z, n2, qx, qy, kinds, values, dt, dx, h_min):
    """Discharges on the four domain edges (in place).

    ``kinds[k]`` per edge k (0 north, 1 south, 2 west, 3 east): 0 closed (no flow),
    1 free outflow at normal depth for the friction slope ``values[k]`` (Manning,
    ``q = h^{5/3} S^{1/2} / n``, outward only), 2 fixed water level ``values[k]`` (m)
    in a ghost cell with the bed of the edge cell, through the same momentum equation
    without the theta term.
    """
    ny, nx = h.shape
    g = G
    for k in range(4):
        kind = kinds[k]
        m = nx if k < 2 else ny
        for s in range(m):
            if k == 0:
                i, j, sign = 0, s, np.float32(-1.0)  # outward = north = negative qy
            elif k == 1:
                i, j, sign = ny - 1, s, np.float32(1.0)
            elif k == 2:
                i, j, sign = s, 0, np.float32(-1.0)
            else:
                i, j, sign = s, nx - 1, np.float32(1.0)
            hc = h[i, j]
            q = np.float32(0.0)
            if kind == 1:
                nc = n2[i if n2.shape[0] > 1 else 0, j if n2.shape[1] > 1 else 0]
                if hc > h_min and nc > 0:
                    q = sign * hc ** np.float32(5.0 / 3.0) * np.float32(np.sqrt(values[k])) / np.float32(np.sqrt(nc))
            elif kind == 2:
                zc = z[i, j]
                eta_in = zc + hc
                eta_out = np.float32(values[k])
                hf = max(eta_in, eta_out) - zc
                if hf > h_min:
                    if k == 0:
                        q0 = qy[0, j]
                    elif k == 1:
                        q0 = qy[ny, j]
                    elif k == 2:
                        q0 = qx[i, 0]
                    else:
                        q0 = qx[i, nx]
                    # water-surface gradient along the +axis direction across the edge face:
                    # the ghost lies outward, i.e. at +axis when sign > 0, at -axis when sign < 0
                    grad = sign * (eta_out - eta_in) / np.float32(dx)
                    num = q0 - g * hf * np.float32(dt) * grad
                    nc = n2[i if n2.shape[0] > 1 else 0, j if n2.shape[1] > 1 else 0]
                    q = num / (np.float32(1.0) + g * np.float32(dt) * nc * abs(q0) / pow_7_3(hf))
            if k == 0:
                qy[0, j] = q
            elif k == 1:
                qy[ny, j] = q
            elif k == 2:
                qx[i, 0] = q
            else:
                qx[i, nx] = q


@njit(parallel=True, fastmath=True, cache=True)
def outflow_factors(h, qx, qy, rain, pattern, fp, dt, dx):
    """Per cell, the factor (<= 1) that keeps its outgoing volume within what it holds.

    ``rain * pattern[i, j]`` is the rain depth (m) added this step. ``fp`` is padded by
    one cell of ones on every side (``fp[i + 1, j + 1]`` belongs to cell (i, j)) so the
    update can read neighbours' factors without boundary tests.
    """
    ny, nx = h.shape
    pi = 1 if pattern.shape[0] > 1 else 0
    pj = 1 if pattern.shape[1] > 1 else 0
    rain = np.float32(rain)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    r = np.float32(dt) / np.float32(dx)
    for i in prange(ny):
        for j in range(nx):
            out = max(qx[i, j + 1], zero) - min(qx[i, j], zero) + max(qy[i + 1, j], zero) - min(qy[i, j], zero)
            need = out * r  # outgoing volume this step, as a depth (m)
            avail = h[i, j] + rain * pattern[i * pi, j * pj]
            fp[i + 1, j + 1] = avail / need if need > avail else one


@njit(parallel=True, fastmath=True, cache=True)
def update_depth(h, qx, qy, fp, rain, pattern, loss_rate, dt, dx, t, wet_depth, h_max, arrival, hv_max, v_max,
                 h_min, track, row_stats):
    """Continuity with limited fluxes, rain (``rain * pattern``) and losses; tracks maxima.

    A face's discharge is scaled by its donor's factor (``fp``, padded, see
    :func:`outflow_factors`). Per row, ``row_stats[i, 0]`` receives the depth lost to
    infiltration/drainage (m, summed over the row) and ``row_stats[i, 1]`` the largest
    new depth, so the caller closes the mass balance and picks the next time step without
    another pass. Maximum depth, arrival, speed and the hazard product h (v + 0.5) are
    updated when ``track`` (the caller does it every few steps). ``pattern`` and ``loss_rate`` may be (1, 1) arrays for
    uniform values. Written without data-dependent branches so LLVM vectorises it.
    """
    ny, nx = h.shape
    pi = 1 if pattern.shape[0] > 1 else 0
    pj = 1 if pattern.shape[1] > 1 else 0
    li = 1 if loss_rate.shape[0] > 1 else 0
    lj = 1 if loss_rate.shape[1] > 1 else 0
    r = np.float32(dt) / np.float32(dx)
    rain = np.float32(rain)
    zero = np.float32(0.0)
    half = np.float32(0.5)
    tt = np.float32(t)
    dtf = np.float32(dt)
    wet = np.float32(wet_depth)
    hmin = np.float32(h_min)
    for i in prange(ny):
        row_lost = zero
        row_max = zero
        hr = h[i]
        qxr = qx[i]
        qnr = qy[i]
        qsr = qy[i + 1]
        fu = fp[i]
        fr = fp[i + 1]
        fd = fp[i + 2]
        pr = pattern[i * pi]
        lr_ = loss_rate[i * li]
        for j in range(nx):
            fs = fr[j + 1]
            qw = qxr[j]
            qw = qw * (fr[j] if qw > zero else fs)
            qe = qxr[j + 1]
            qe = qe * (fs if qe > zero else fr[j + 2])
            qn = qnr[j]
            qn = qn * (fu[j + 1] if qn > zero else fs)
            qs = qsr[j]
            qs = qs * (fs if qs > zero else fd[j + 1])
            hn = max(hr[j] + rain * pr[j * pj] + r * ((qw - qe) + (qn - qs)), zero)
            take = min(lr_[j * lj] * dtf, hn)
            hn -= take
            row_lost += take
            hr[j] = hn
            row_max = max(row_max, hn)
        if track:
            hm = h_max[i]
            ar = arrival[i]
            for j in range(nx):
                hn = hr[j]
                hm[j] = max(hm[j], hn)
                ar[j] = min(ar[j], tt) if hn > wet else ar[j]
        if track:
            vm = v_max[i]
            hvm = hv_max[i]
            for j in range(nx):
                hn = hr[j]
                if hn > hmin:
                    ux = half * (qxr[j] + qxr[j + 1])
                    uy = half * (qnr[j] + qsr[j])
                    v = np.sqrt(ux * ux + uy * uy) / hn
                    vm[j] = max(vm[j], v)
                    hvm[j] = max(hvm[j], hn * (v + half))
        row_stats[i, 0] = row_lost
        row_stats[i, 1] = row_max


@njit(parallel=True, fastmath=True, cache=True)
def max_depth(h):
    """Largest depth on the grid (for the CFL time step)."""
    ny, nx = h.shape
    m = np.zeros(ny, np.float32)
    for i in prange(ny):
        mi = np.float32(0.0)
        for j in range(nx):
            if h[i, j] > mi:
                mi = h[i, j]
        m[i] = mi
    return m.max()


@njit(parallel=True, cache=True)
def total_volume(h, dx):
    """Stored water volume, m^3 (float64 accumulation)."""
    ny, nx = h.shape
    s = 0.0
    for i in prange(ny):
        r = 0.0
        for j in range(nx):
            r += h[i, j]
        s += r
    return s * dx * dx


@njit(cache=True)
def boundary_outflow(qx, qy, fp, dx):
    """Volume rate leaving through the four edges (m^3/s), donor factors (padded ``fp``)
    applied; negative = inflow."""
    ny = qx.shape[0]
    nx = qy.shape[1]
    s = 0.0
    for j in range(nx):
        qn = qy[0, j]
        s += -qn * (fp[1, j + 1] if qn < 0 else 1.0)
        qs = qy[ny, j]
        s += qs * (fp[ny, j + 1] if qs > 0 else 1.0)
    for i in range(ny):
        qw = qx[i, 0]
        s += -qw * (fp[i + 1, 1] if qw < 0 else 1.0)
        qe = qx[i, nx]
        s += qe * (fp[i + 1, nx] if qe > 0 else 1.0)
    return s * dx


@njit(cache=True)
def _hydrograph(t, ts, qs, a, b):
    """Discharge at t of hydrograph k (points ts[a:b], qs[a:b]), linear, zero outside."""
    if b - a == 0 or t < ts[a] or t > ts[b - 1]:
        return 0.0
    return np.interp(t, ts[a:b], qs[a:b])


@njit(cache=True)
def advance(h, z, n2, qx, qy, qx2, qy2, fp, pattern, psum, loss, kinds, values, stage_t, stage_v, stage_start,
            inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, rain_m_s, t, t_stop, dt_max, alpha, dx,
            theta, h_min, wet_depth, h_max, arrival, hv_max, v_max, track_every, step0, hmax, row_stats, acc):
    """Step from ``t`` to ``t_stop`` without returning to Python (the per-step Python cost was
    larger than the kernels on grids below ~0.1 M cells).

    Rain is constant over the call (``rain_m_s`` times ``pattern``, whose cell sum is
    ``psum``). ``acc`` accumulates the
    volumes [rain, inflow, boundary outflow, losses] (m^3, float64). The face arrays are
    double-buffered: after an odd number of steps the current discharges are in ``qx2, qy2``.
    Returns (t, steps taken, last dt, largest depth).
    """
    ny, nx = h.shape
    cell = dx * dx
    steps = 0
    last_dt = 0.0
    a_x, a_y, b_x, b_y = qx, qy, qx2, qy2
    while t < t_stop - 1e-9:
        dt = dt_max if hmax <= h_min else min(dt_max, alpha * dx / np.sqrt(G * hmax))
        dt = min(dt, t_stop - t)
        r = np.float32(rain_m_s * dt)
        acc[0] += float(r) * psum * cell
        face_fluxes(h, z, n2, a_x, a_y, b_x, b_y, dt, dx, theta, h_min)
        for i in range(ny):
            b_x[i, 0] = a_x[i, 0]
            b_x[i, nx] = a_x[i, nx]
        for j in range(nx):
            b_y[0, j] = a_y[0, j]
            b_y[ny, j] = a_y[ny, j]
        a_x, b_x = b_x, a_x
        a_y, b_y = b_y, a_y
        for k in range(4):
            s0, s1 = stage_start[k], stage_start[k + 1]
            if s1 > s0:
                values[k] = np.interp(t + 0.5 * dt, stage_t[s0:s1], stage_v[s0:s1])
        boundary_fluxes(h, z, n2, a_x, a_y, kinds, values, dt, dx, h_min)
        outflow_factors(h, a_x, a_y, r, pattern, fp, dt, dx)
        acc[2] += boundary_outflow(a_x, a_y, fp, dx) * dt
        track = (step0 + steps) % track_every == 0
        update_depth(h, a_x, a_y, fp, r, pattern, loss, dt, dx, t + dt, wet_depth, h_max, arrival, hv_max,
                     v_max, h_min, track, row_stats)
        lost = 0.0
        hmax = 0.0
        for i in range(ny):
            lost += row_stats[i, 0]
            if row_stats[i, 1] > hmax:
                hmax = row_stats[i, 1]
        acc[3] += lost * cell
        # point inflows enter with the step's other sources, after the update, so the depth a
        # frame shows at an inflow cell is the one the next fluxes see; its maxima follow
        for g in range(inf_start.shape[0] - 1):
            c0, c1 = inf_start[g], inf_start[g + 1]
            q = _hydrograph(t + 0.5 * dt, hyd_t, hyd_q, hyd_start[g], hyd_start[g + 1])
            if q > 0 and c1 > c0:
                dh = np.float32(q * dt / (cell * (c1 - c0)))
                for c in range(c0, c1):
                    i, j = inf_rows[c], inf_cols[c]
                    h[i, j] += dh
                    hmax = max(hmax, float(h[i, j]))
                    h_max[i, j] = max(h_max[i, j], h[i, j])
                    if h[i, j] > wet_depth and arrival[i, j] > t + dt:
                        arrival[i, j] = np.float32(t + dt)
                acc[1] += float(dh) * cell * (c1 - c0)
        t += dt
        last_dt = dt
        steps += 1
    return t, steps, last_dt, hmax
