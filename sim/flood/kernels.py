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
``h_f <= h_min`` carry no flow, and |q| is limited to Froude number :data:`FROUDE_MAX`
(``|q| <= 3 h_f sqrt(g h_f)``). Continuity is a finite-volume update, so the water that
leaves one cell enters its neighbour exactly. Non-negative depths: before the update each
cell's outgoing fluxes are scaled by ``f = min(1, available volume / outgoing volume)``
(the donor's factor is applied to every face it gives through), so no cell is drained
below zero and no water is created or lost.

Each of these steps is written once, as a function of one row (``_faces_x_row``,
``_faces_y_row``, ``_factors_row``, ``_continuity_row``, ``_track_row``). Two drivers use
them: the three passes over the grid (:func:`face_fluxes`, :func:`outflow_factors`,
:func:`update_depth`; the reference) and the fused sweep (:func:`fused_sweep`), which does all
three for each block of rows in one pass while the rows are in cache. Both give the same
numbers to the last bit.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

G = np.float32(9.81)
# LLVM fast-math flags of the kernels: FMA contraction, no NaN/inf/signed-zero care. Not
# "reassoc", "arcp" or "afn": with those the optimiser regroups products with the loop
# invariants (dt, 1/dx) or swaps a division for a reciprocal estimate differently in each
# kernel the row functions are inlined into, and the fused and the three-pass kernels would
# differ in the last bit. Only the float sum (:func:`_row_sum`) reassociates, to vectorise.
FAST = {"nnan", "ninf", "nsz", "contract"}


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


@njit(inline="always", fastmath=FAST, error_model="numpy", cache=True)
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


@njit(cache=True)
def _ratios(dt, dx):
    """``dt / dx`` and ``1 / dx`` in float32, each correctly rounded. Not fastmath: a fastmath
    function that holds both may turn ``dt / dx`` into ``dt * (1 / dx)`` (one ulp off), which
    would make the fused and the three-pass kernels differ in the last bit."""
    return np.float32(dt) / np.float32(dx), np.float32(1.0) / np.float32(dx)


# Froude limit on face discharges, |q| <= FROUDE_MAX h_f sqrt(g h_f). The local inertial equations
# leave out advection and hold for subcritical flow (de Almeida & Bates 2013, Water Resour. Res.
# 49(8), 4833-4844); on thin sheets down steep slopes the explicit gravity term otherwise builds
# discharges no flow carries (hundreds of m/s at a few cm in the sample city's hills). 3 leaves
# every subcritical and moderately supercritical flow alone and bounds the rest.
FROUDE_MAX = np.float32(3.0)
FR2_G = np.float32(FROUDE_MAX * FROUDE_MAX * G)  # v^2 <= FROUDE_MAX^2 g h


@njit(inline="always", fastmath=FAST, error_model="numpy", cache=True)
def face_q(el, er, zl, zr, nn, q0, qa, qb, g, dt, inv_dx, th, half_1mth, hmin):
    """New discharge of one face, the momentum equation of the module docstring: water levels
    ``el, er`` and beds ``zl, zr`` on its two sides (west/north first), mean Manning n^2 ``nn``,
    its old discharge ``q0`` and those of the faces before and after it along the same axis
    ``qa, qb`` (for the theta average), limited to Froude number :data:`FROUDE_MAX`. Zero when the
    flow depth is at most ``hmin``."""
    hf = max(el, er) - max(zl, zr)
    hs = max(hf, hmin)
    qn = th * q0 + half_1mth * (qa + qb)
    q = (qn - g * hs * dt * (er - el) * inv_dx) / (np.float32(1.0) + g * dt * nn * abs(q0) / pow_7_3(hs))
    qlim = FROUDE_MAX * hs * np.sqrt(g * hs)
    q = min(max(q, -qlim), qlim)
    return q if hf > hmin else np.float32(0.0)


@njit(cache=True)
def _face_consts(dt, dx, theta, h_min):
    """The float32 constants of a step's momentum update: dt, dt/dx, 1/dx, theta, (1-theta)/2, h_min."""
    th = np.float32(theta)
    r, inv_dx = _ratios(dt, dx)
    return np.float32(dt), r, inv_dx, th, np.float32(0.5) * (np.float32(1.0) - th), np.float32(h_min)


@njit(fastmath=FAST, error_model="numpy", cache=True)
def _faces_x_row(hr, zr, n2r, qo, qn_out, g, dt, inv_dx, th, half_1mth, hmin):
    """New interior x-face discharges of one row (faces 1..nx-1) from its old ones ``qo``."""
    nx = hr.shape[0]
    for j in range(1, nx):
        q0 = qo[j]
        qa = qo[j - 1]  # loaded unconditionally (a blend, not a masked load)
        qb = qo[j + 1]
        qa = qa if j > 1 else q0
        qb = qb if j < nx - 1 else q0
        nn = np.float32(0.5) * (n2r[j - 1] + n2r[j])
        qn_out[j] = face_q(zr[j - 1] + hr[j - 1], zr[j] + hr[j], zr[j - 1], zr[j], nn, q0, qa, qb, g, dt, inv_dx,
                           th, half_1mth, hmin)


@njit(fastmath=FAST, error_model="numpy", cache=True)
def _faces_y_row(hu, hd, zu_r, zd_r, n2u, n2d, qa_r, q0_r, qb_r, qn_out, g, dt, inv_dx, th, half_1mth, hmin):
    """New discharges of the y faces between two rows (upper ``hu, zu_r``, lower ``hd, zd_r``);
    ``qa_r, q0_r, qb_r`` are the old faces above, at and below."""
    nx = hu.shape[0]
    for j in range(nx):
        nn = np.float32(0.5) * (n2u[j] + n2d[j])
        qn_out[j] = face_q(zu_r[j] + hu[j], zd_r[j] + hd[j], zu_r[j], zd_r[j], nn, q0_r[j], qa_r[j], qb_r[j], g, dt,
                           inv_dx, th, half_1mth, hmin)


@njit(fastmath=FAST, error_model="numpy", cache=True)
def _factors_row(hr, qxr, qnr, qsr, rain, pr, r, f_out):
    """Outflow factors of one row into ``f_out[1:nx+1]`` (see :func:`outflow_factors`)."""
    nx = hr.shape[0]
    zero = np.float32(0.0)
    one = np.float32(1.0)
    for j in range(nx):
        out = max(qxr[j + 1], zero) - min(qxr[j], zero) + max(qsr[j], zero) - min(qnr[j], zero)
        need = out * r
        avail = hr[j] + rain * pr[j]
        f_out[j + 1] = avail / need if need > avail else one


@njit(fastmath=FAST, error_model="numpy", cache=True)
def _continuity_row(hr, qxr, qnr, qsr, fu, fr, fd, rain, pr, lr_, r, dtf, take_out):
    """Continuity of one row in place; writes the depth lost to infiltration per cell into
    ``take_out`` and returns the largest new depth. The maximum is taken over the int32 bit
    patterns (ordered like the values for non-negative floats): LLVM vectorises an integer max
    reduction, while a float sum or max would need reassociation (see ``FAST``)."""
    nx = hr.shape[0]
    zero = np.float32(0.0)
    row_max = np.int32(0)
    for j in range(nx):
        fs = fr[j + 1]
        fw = fr[j]  # neighbours' factors loaded unconditionally (blends, not masked loads)
        fe = fr[j + 2]
        fn = fu[j + 1]
        fsd = fd[j + 1]
        qw = qxr[j]
        qw = qw * (fw if qw > zero else fs)
        qe = qxr[j + 1]
        qe = qe * (fs if qe > zero else fe)
        qn = qnr[j]
        qn = qn * (fn if qn > zero else fs)
        qs = qsr[j]
        qs = qs * (fs if qs > zero else fsd)
        hn = max(hr[j] + rain * pr[j] + r * ((qw - qe) + (qn - qs)), zero)
        take = min(lr_[j] * dtf, hn)
        hn -= take
        take_out[j] = take
        hr[j] = hn
        row_max = max(row_max, _f32_bits(hn))
    return _bits_f32(row_max)


@njit(fastmath=FAST | {"reassoc"}, error_model="numpy", cache=True)
def _row_sum(a):
    """Sum of a float32 row (vectorised, in float32: the row's depth losses)."""
    s = np.float32(0.0)
    for j in range(a.shape[0]):
        s += a[j]
    return s


@njit(fastmath=FAST, error_model="numpy", cache=True)
def _track_row(hr, qxr, qnr, qsr, hm, ar, vm, hvm, tt, wet, hmin):
    """Maximum depth, arrival time, speed and hazard h (v + 0.5) of one row; speed and hazard
    where the depth exceeds ``hmin``. The speed is the centre-averaged discharge over the cell's
    depth, at most :data:`FROUDE_MAX` sqrt(g h): at a wetting front a face carries the deep
    neighbour's water into a cell holding a few mm, and the quotient would be no speed any
    water has there.

    All these are non-negative floats (or +inf), whose int32 bit patterns are ordered like the
    values: the extremes are taken as integer min/max. Written so, LLVM stores every element;
    from ``a[j] = max(a[j], x)`` on floats, or ``x if c else a[j]``, it makes AVX2 masked
    stores, which are slow on AMD Zen (they took a third of the step). A dry cell's candidate
    arrival is +inf and its speed and hazard are multiplied by 0, which leaves its values as
    they are."""
    nx = hr.shape[0]
    half = np.float32(0.5)
    t_bits = _f32_bits(tt)
    inf_bits = np.int32(0x7F800000)
    for j in range(nx):
        hn = hr[j]
        hm[j] = _bits_f32(max(_f32_bits(hm[j]), _f32_bits(hn)))
        cand = t_bits if hn > wet else inf_bits
        ar[j] = _bits_f32(min(_f32_bits(ar[j]), cand))
    for j in range(nx):
        hn = hr[j]
        ux = half * (qxr[j] + qxr[j + 1])
        uy = half * (qnr[j] + qsr[j])
        hv = max(hn, hmin)
        v = np.sqrt(min((ux * ux + uy * uy) / (hv * hv), FR2_G * hv))  # Froude-limited (see the docstring)
        w = np.float32(1.0) if hn > hmin else np.float32(0.0)
        vm[j] = _bits_f32(max(_f32_bits(vm[j]), _f32_bits(v * w)))
        hvm[j] = _bits_f32(max(_f32_bits(hvm[j]), _f32_bits(hn * (v + half) * w)))


@njit(parallel=True, fastmath=FAST, error_model="numpy", cache=True)
def face_fluxes(h, z, n2, qx, qy, qx_new, qy_new, dt, dx, theta, h_min):
    """Interior face discharges at t+dt (m^2/s) from the state at t. Boundary faces untouched.

    ``n2`` (Manning n squared) is per cell, or one (1, nx) row for a uniform value. The theta
    average takes the face's own discharge for a neighbour missing at the domain edge (an edge
    or point inflow enters as a source, so the edge face's zero would bias the first interior
    face). Written branch-free so LLVM vectorises it: dry faces are masked at the end.
    """
    ny, nx = h.shape
    si = 1 if n2.shape[0] > 1 else 0  # row stride 0 reads the single row
    g = G
    dtf, r, inv_dx, th, half_1mth, hmin = _face_consts(dt, dx, theta, h_min)
    for i in prange(ny):
        _faces_x_row(h[i], z[i], n2[i * si], qx[i], qx_new[i], g, dtf, inv_dx, th, half_1mth, hmin)
        if i > 0:  # y faces between rows i-1 and i
            q0 = qy[i]
            qa = qy[i - 1] if i > 1 else q0
            qb = qy[i + 1] if i < ny - 1 else q0
            _faces_y_row(h[i - 1], h[i], z[i - 1], z[i], n2[(i - 1) * si], n2[i * si], qa, q0, qb, qy_new[i],
                         g, dtf, inv_dx, th, half_1mth, hmin)


@njit(cache=True)
def edge_cell(k, s, ny, nx):
    """Cell (i, j) of the s-th face on domain edge k (0 north, 1 south, 2 west, 3 east) and the
    sign of the outward direction along the face's axis."""
    if k == 0:
        return 0, s, np.float32(-1.0)  # outward = north = negative qy
    if k == 1:
        return ny - 1, s, np.float32(1.0)
    if k == 2:
        return s, 0, np.float32(-1.0)
    return s, nx - 1, np.float32(1.0)


@njit(cache=True)
def edge_face(qx, qy, k, i, j):
    """The discharge array and index of the edge face of cell (i, j) on edge k (see :func:`edge_cell`)."""
    ny, nx = qx.shape[0], qy.shape[1]
    if k == 0:
        return qy, 0, j
    if k == 1:
        return qy, ny, j
    if k == 2:
        return qx, i, 0
    return qx, i, nx


@njit(cache=True)
def edge_q(h, z, n2, q0, i, j, sign, kind, value, dt, dx, h_min):
    """New discharge on the domain-edge face of cell (i, j) (outward ``sign``), old value ``q0``:
    ``kind`` 0 closed (no flow), 1 free outflow at normal depth for the friction slope ``value``
    (Manning, ``q = h^{5/3} S^{1/2} / n``, outward only), 2 fixed water level ``value`` (m) in a
    ghost cell with the bed of the edge cell, through the momentum equation without the theta term."""
    hc = h[i, j]
    nc = n2[i if n2.shape[0] > 1 else 0, j if n2.shape[1] > 1 else 0]
    if kind == 1:
        if hc > h_min and nc > 0:
            return sign * hc ** np.float32(5.0 / 3.0) * np.float32(np.sqrt(value)) / np.float32(np.sqrt(nc))
    elif kind == 2:
        zc = z[i, j]
        eta_in = zc + hc
        eta_out = np.float32(value)
        hf = max(eta_in, eta_out) - zc
        if hf > h_min:
            # water-surface gradient along the +axis direction across the edge face:
            # the ghost lies outward, i.e. at +axis when sign > 0, at -axis when sign < 0
            grad = sign * (eta_out - eta_in) / np.float32(dx)
            num = q0 - G * hf * np.float32(dt) * grad
            return num / (np.float32(1.0) + G * np.float32(dt) * nc * abs(q0) / pow_7_3(hf))
    return np.float32(0.0)


@njit(cache=True)
def boundary_fluxes(h, z, n2, qx, qy, kinds, values, dt, dx, h_min):
    """Discharges on the four domain edges (in place), ``kinds[k]``/``values[k]`` per edge k
    (0 north, 1 south, 2 west, 3 east) as in :func:`edge_q`."""
    ny, nx = h.shape
    for k in range(4):
        for s in range(nx if k < 2 else ny):
            i, j, sign = edge_cell(k, s, ny, nx)
            a, fi, fj = edge_face(qx, qy, k, i, j)
            a[fi, fj] = edge_q(h, z, n2, a[fi, fj], i, j, sign, kinds[k], values[k], dt, dx, h_min)


@njit(parallel=True, fastmath=FAST, error_model="numpy", cache=True)
def outflow_factors(h, qx, qy, rain, pattern, fp, dt, dx):
    """Per cell, the factor (<= 1) that keeps its outgoing volume within what it holds.

    ``rain * pattern[i, j]`` is the rain depth (m) added this step. ``fp`` is padded by
    one cell of ones on every side (``fp[i + 1, j + 1]`` belongs to cell (i, j)) so the
    update can read neighbours' factors without boundary tests.
    """
    ny, nx = h.shape
    pi = 1 if pattern.shape[0] > 1 else 0
    rainf = np.float32(rain)
    r, inv_dx = _ratios(dt, dx)
    for i in prange(ny):
        _factors_row(h[i], qx[i], qy[i], qy[i + 1], rainf, pattern[i * pi], r, fp[i + 1])


@njit(parallel=True, fastmath=FAST, error_model="numpy", cache=True)
def update_depth(h, qx, qy, fp, rain, pattern, loss_rate, dt, dx, t, wet_depth, h_max, arrival, hv_max, v_max,
                 h_min, track, row_stats):
    """Continuity with limited fluxes, rain (``rain * pattern``) and losses; tracks maxima.

    A face's discharge is scaled by its donor's factor (``fp``, padded, see
    :func:`outflow_factors`). Per row, ``row_stats[i, 0]`` receives the depth lost to
    infiltration/drainage (m, summed over the row) and ``row_stats[i, 1]`` the largest
    new depth, so the caller closes the mass balance and picks the next time step without
    another pass. Maximum depth, arrival, speed and the hazard product h (v + 0.5) are
    updated when ``track`` (the caller does it every few steps). ``pattern`` and ``loss_rate`` may be one
    (1, nx) row for uniform values. Written without data-dependent branches so LLVM vectorises it.
    """
    ny, nx = h.shape
    pi = 1 if pattern.shape[0] > 1 else 0
    li = 1 if loss_rate.shape[0] > 1 else 0
    r, inv_dx = _ratios(dt, dx)
    rainf = np.float32(rain)
    tt = np.float32(t)
    dtf = np.float32(dt)
    wet = np.float32(wet_depth)
    hmin = np.float32(h_min)
    for i in prange(ny):
        take = np.empty(nx, np.float32)
        row_max = _continuity_row(h[i], qx[i], qy[i], qy[i + 1], fp[i], fp[i + 1], fp[i + 2], rainf,
                                  pattern[i * pi], loss_rate[i * li], r, dtf, take)
        if track:
            _track_row(h[i], qx[i], qy[i], qy[i + 1], h_max[i], arrival[i], v_max[i], hv_max[i], tt, wet, hmin)
        row_stats[i, 0] = _row_sum(take)
        row_stats[i, 1] = row_max


@njit(fastmath=FAST, error_model="numpy", cache=True)
def _row_max(a):
    """Largest value of a non-negative float32 row (0 for an empty row)."""
    m = np.float32(0.0)
    for j in range(a.shape[0]):
        if a[j] > m:
            m = a[j]
    return m


@njit(parallel=True, cache=True)
def max_depth(h):
    """Largest depth on the grid (for the CFL time step). The row maxima are taken in a function
    of their own: inlined in the prange body, numba 0.68.0 under Python 3.12 fails its parfor
    reduction analysis ("unexpected cycle in lookup()")."""
    ny = h.shape[0]
    m = np.zeros(ny, np.float32)
    for i in prange(ny):
        m[i] = _row_max(h[i])
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


# ---------------------------------------------------------------------------------------------
# Fused single sweep: faces, outflow factors and continuity of a block of rows in one pass
# ---------------------------------------------------------------------------------------------
#
# The three passes above stream the whole grid three times and keep a padded factor grid
# (~90 bytes per cell and step). The fused sweep walks each block of rows once with a three-row
# pipeline that stays in cache: at row s it computes the faces of row s (the x faces of the
# row, the y face between rows s-1 and s), the outflow factors of row s-1 (they need the y face
# below it, just computed) and the continuity update of row s-2 (it needs the factors of rows
# s-3..s-1); the factors live in a ring of three rows. It calls the same row functions as the
# three passes, so both give the same numbers to the last bit (see ``FAST``).
#
# Blocks run in parallel and update the depth in place. A block's first and last rows need the
# old depths of two rows on either side and the faces and factors of one row on either side:
# the sweep first copies those halo depths (:func:`snapshot_halo`), then each block recomputes
# the halo faces and factors into its own scratch. The neighbour computes the same numbers from
# the same inputs with the same code, so the discharge a face carries out of one block is the
# one that enters the other: mass stays exactly conserved. (Updating the faces in place as well,
# which saves the write-allocate of the second face buffer, measured 7-12 % slower: the copies
# of the old face rows the theta average needs cost more than the saved traffic.)


@njit(cache=True)
def _old_h(h, halo_h, b, r0, r1, k):
    """Depth row k at the start of the step, as block b (rows r0..r1-1) sees it."""
    if r0 <= k < r1:
        return h[k]
    if k == r0 - 2:
        return halo_h[b, 0]
    if k == r0 - 1:
        return halo_h[b, 1]
    if k == r1:
        return halo_h[b, 2]
    return halo_h[b, 3]


@njit(cache=True)
def _new_qx(qx_new, halo_qx, b, r0, r1, k):
    """New x-face row k: the global buffer for the block's rows, its scratch for the halo rows."""
    if r0 <= k < r1:
        return qx_new[k]
    return halo_qx[b, 0] if k < r0 else halo_qx[b, 1]


@njit(cache=True)
def _new_qy(qy_new, halo_qy, b, r0, r1, k):
    """New y-face row k (between rows k-1 and k): the global buffer for the block's faces and the
    two domain edges (set before the sweep), its scratch for halo faces r0-1, r1 and r1+1."""
    ny = qy_new.shape[0] - 1
    if (r0 <= k < r1) or k == 0 or k == ny:
        return qy_new[k]
    if k == r0 - 1:
        return halo_qy[b, 0]
    return halo_qy[b, 1] if k == r1 else halo_qy[b, 2]


@njit(fastmath=FAST, error_model="numpy", cache=True)
def _sweep_block(b, r0, r1, work, h, z, n2, qx, qy, qx_new, qy_new, rain, pattern, loss_rate, dt, dx, theta,
                 h_min, t, wet_depth, h_max, arrival, hv_max, v_max, track):
    """One step of rows r0..r1-1: faces, factors and continuity in a three-row pipeline.

    Reads the old faces ``qx, qy``; writes the new interior faces of its rows into ``qx_new,
    qy_new`` (whose domain-edge faces the caller has set) and the new depths into ``h``.
    ``work`` is the scratch of :func:`fused_work`; its ``block_stats[b]`` receives [depth lost to
    losses (m, summed), largest new depth, volume rate out through the domain edges (m^3/s,
    donor factors applied)]."""
    halo_h, halo_qx, halo_qy, fring, ones, take, block_stats = work
    ny, nx = h.shape
    si = 1 if n2.shape[0] > 1 else 0
    pi = 1 if pattern.shape[0] > 1 else 0
    li = 1 if loss_rate.shape[0] > 1 else 0
    g = G
    dtf, r, inv_dx, th, half_1mth, hmin = _face_consts(dt, dx, theta, h_min)
    rainf = np.float32(rain)
    tt = np.float32(t)
    wet = np.float32(wet_depth)
    lost = 0.0
    hmax = 0.0
    out = 0.0
    lo = max(r0 - 1, 0)
    a_end = min(r1 + 1, ny - 1)  # last row whose faces are needed (its y face feeds row r1's factor)
    f_end = min(r1, ny - 1)  # last row whose factors are needed
    for s in range(lo, r1 + 2):
        # A: faces of row s
        if s <= a_end:
            hs_ = _old_h(h, halo_h, b, r0, r1, s)
            if s <= r1:
                qxs = _new_qx(qx_new, halo_qx, b, r0, r1, s)
                if not (r0 <= s < r1):  # halo row: its edge faces come from the global buffer
                    qxs[0] = qx_new[s, 0]
                    qxs[nx] = qx_new[s, nx]
                _faces_x_row(hs_, z[s], n2[s * si], qx[s], qxs, g, dtf, inv_dx, th, half_1mth, hmin)
            if s >= 1:
                q0 = qy[s]
                qa = qy[s - 1] if s > 1 else q0
                qb = qy[s + 1] if s < ny - 1 else q0
                _faces_y_row(_old_h(h, halo_h, b, r0, r1, s - 1), hs_, z[s - 1], z[s], n2[(s - 1) * si],
                             n2[s * si], qa, q0, qb, _new_qy(qy_new, halo_qy, b, r0, r1, s),
                             g, dtf, inv_dx, th, half_1mth, hmin)
        # B: outflow factors of row s-1
        k = s - 1
        if lo <= k <= f_end:
            _factors_row(_old_h(h, halo_h, b, r0, r1, k), _new_qx(qx_new, halo_qx, b, r0, r1, k),
                         _new_qy(qy_new, halo_qy, b, r0, r1, k), _new_qy(qy_new, halo_qy, b, r0, r1, k + 1),
                         rainf, pattern[k * pi], r, fring[b, (k + 3) % 3])
        # C: continuity of row s-2
        k = s - 2
        if k >= r0:
            hr = h[k]
            qxr = qx_new[k]
            qnr = qy_new[k]
            qsr = qy_new[k + 1] if k + 1 < r1 or k + 1 == ny else _new_qy(qy_new, halo_qy, b, r0, r1, k + 1)
            fu = fring[b, (k + 2) % 3] if k > 0 else ones
            fr = fring[b, k % 3]
            fd = fring[b, (k + 1) % 3] if k < ny - 1 else ones
            # boundary outflow of this row with the donor factors (as :func:`boundary_outflow`)
            qw = qxr[0]
            out += -float(qw) * (float(fr[1]) if qw < 0 else 1.0)
            qe = qxr[nx]
            out += float(qe) * (float(fr[nx]) if qe > 0 else 1.0)
            if k == 0:
                for j in range(nx):
                    qn = qnr[j]
                    out += -float(qn) * (float(fr[j + 1]) if qn < 0 else 1.0)
            if k == ny - 1:
                for j in range(nx):
                    qs = qsr[j]
                    out += float(qs) * (float(fr[j + 1]) if qs > 0 else 1.0)
            row_max = _continuity_row(hr, qxr, qnr, qsr, fu, fr, fd, rainf, pattern[k * pi], loss_rate[k * li],
                                      r, dtf, take[b])
            lost += _row_sum(take[b])
            hmax = max(hmax, float(row_max))
            if track:
                _track_row(hr, qxr, qnr, qsr, h_max[k], arrival[k], v_max[k], hv_max[k], tt, wet, hmin)
    block_stats[b, 0] = lost
    block_stats[b, 1] = hmax
    block_stats[b, 2] = out * dx


@njit(parallel=True, cache=True)
def fused_sweep(bounds, work, h, z, n2, qx, qy, qx_new, qy_new, rain, pattern, loss_rate, dt, dx, theta, h_min, t,
                wet_depth, h_max, arrival, hv_max, v_max, track):
    """One fused step over the row blocks ``bounds[b]..bounds[b+1]``, blocks in parallel (see
    :func:`_sweep_block`), after copying the halo depths (:func:`snapshot_halo`)."""
    snapshot_halo(h, bounds, work[0])
    for b in prange(bounds.shape[0] - 1):
        _sweep_block(b, bounds[b], bounds[b + 1], work, h, z, n2, qx, qy, qx_new, qy_new, rain, pattern, loss_rate,
                     dt, dx, theta, h_min, t, wet_depth, h_max, arrival, hv_max, v_max, track)


@njit(cache=True)
def fused_sweep_serial(bounds, work, h, z, n2, qx, qy, qx_new, qy_new, rain, pattern, loss_rate, dt, dx, theta,
                       h_min, t, wet_depth, h_max, arrival, hv_max, v_max, track):
    """:func:`fused_sweep` on the calling thread (no parallel-region launch: small grids)."""
    snapshot_halo(h, bounds, work[0])
    for b in range(bounds.shape[0] - 1):
        _sweep_block(b, bounds[b], bounds[b + 1], work, h, z, n2, qx, qy, qx_new, qy_new, rain, pattern, loss_rate,
                     dt, dx, theta, h_min, t, wet_depth, h_max, arrival, hv_max, v_max, track)


def fused_work(ny: int, nx: int, bounds: np.ndarray) -> tuple:
    """Scratch of the fused sweep, per block: halo depths (4 rows), halo x faces (2 rows), halo
    y faces (3 rows), a ring of three factor rows (padded with ones), a row of ones, a row of
    per-cell losses, and the block's [losses, largest depth, edge outflow] (float64)."""
    nb = len(bounds) - 1
    return (np.zeros((nb, 4, nx), np.float32), np.zeros((nb, 2, nx + 1), np.float32),
            np.zeros((nb, 3, nx), np.float32), np.ones((nb, 3, nx + 2), np.float32), np.ones(nx + 2, np.float32),
            np.zeros((nb, nx), np.float32), np.zeros((nb, 3), np.float64))


@njit(cache=True)
def snapshot_halo(h, bounds, halo_h):
    """Copy, per block, the old depths of the two rows above and below it (rows r0-2, r0-1, r1,
    r1+1) that its neighbours overwrite during the sweep (nothing for a single block)."""
    ny = h.shape[0]
    if bounds.shape[0] < 3:
        return
    for b in range(bounds.shape[0] - 1):
        r0, r1 = bounds[b], bounds[b + 1]
        for m in range(4):
            k = r0 - 2 + m if m < 2 else r1 + m - 2
            if 0 <= k < ny:
                halo_h[b, m, :] = h[k, :]


def block_bounds(ny: int, blocks: int) -> np.ndarray:
    """Row bounds of ``blocks`` (at most ``ny``) nearly equal blocks, as int64 (blocks + 1,)."""
    blocks = max(1, min(int(blocks), ny))
    return np.linspace(0, ny, blocks + 1).round().astype(np.int64)


@njit(cache=True)
def _hydrograph(t, ts, qs, a, b):
    """Discharge at t of hydrograph k (points ts[a:b], qs[a:b]), linear, zero outside."""
    if b - a == 0 or t < ts[a] or t > ts[b - 1]:
        return 0.0
    return np.interp(t, ts[a:b], qs[a:b])


@njit(cache=True)
def add_inflows(h, h_max, arrival, inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, t, dt, cell, wet_depth,
                acc):
    """Add the volume of each point inflow over [t, t + dt] (its hydrograph at mid-step), shared
    equally by its cells; updates their maximum depth and arrival, adds the volume to ``acc[1]``
    and returns the largest depth of those cells."""
    hmax = 0.0
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
    return hmax


@njit(cache=True)
def advance(h, z, n2, qx, qy, qx2, qy2, fp, pattern, psum, loss, kinds, values, stage_t, stage_v, stage_start,
            inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, rain_m_s, t, t_stop, dt_max, alpha, dx,
            theta, h_min, wet_depth, h_max, arrival, hv_max, v_max, track_every, step0, hmax, row_stats, acc,
            fused, bounds, work):
    """Step from ``t`` to ``t_stop`` without returning to Python (the per-step Python cost was
    larger than the kernels on grids below ~0.1 M cells).

    Rain is constant over the call (``rain_m_s`` times ``pattern``, whose cell sum is
    ``psum``). ``acc`` accumulates the
    volumes [rain, inflow, boundary outflow, losses] (m^3, float64). The face arrays are
    double-buffered: after an odd number of steps the current discharges are in ``qx2, qy2``.
    ``fused``: one sweep per step (:func:`fused_sweep` over the row blocks ``bounds``, on the
    calling thread when there is one block; scratch ``work`` from :func:`fused_work`) instead of
    the three passes (scratch ``fp``, ``row_stats``).
    Returns (t, steps taken, last dt, largest depth).
    """
    ny, nx = h.shape
    cell = dx * dx
    steps = 0
    last_dt = 0.0
    nb = bounds.shape[0] - 1
    a_x, a_y, b_x, b_y = qx, qy, qx2, qy2
    while t < t_stop - 1e-9:
        dt = dt_max if hmax <= h_min else min(dt_max, alpha * dx / np.sqrt(G * hmax))
        dt = min(dt, t_stop - t)
        r = np.float32(rain_m_s * dt)
        acc[0] += float(r) * psum * cell
        track = (step0 + steps) % track_every == 0
        for k in range(4):
            s0, s1 = stage_start[k], stage_start[k + 1]
            if s1 > s0:
                values[k] = np.interp(t + 0.5 * dt, stage_t[s0:s1], stage_v[s0:s1])
        # the edge faces of the new buffers: the old values, then the boundary conditions
        for i in range(ny):
            b_x[i, 0] = a_x[i, 0]
            b_x[i, nx] = a_x[i, nx]
        for j in range(nx):
            b_y[0, j] = a_y[0, j]
            b_y[ny, j] = a_y[ny, j]
        if fused:
            boundary_fluxes(h, z, n2, b_x, b_y, kinds, values, dt, dx, h_min)
            if nb > 1:
                fused_sweep(bounds, work, h, z, n2, a_x, a_y, b_x, b_y, r, pattern, loss, dt, dx, theta, h_min,
                            t + dt, wet_depth, h_max, arrival, hv_max, v_max, track)
            else:
                fused_sweep_serial(bounds, work, h, z, n2, a_x, a_y, b_x, b_y, r, pattern, loss, dt, dx, theta,
                                   h_min, t + dt, wet_depth, h_max, arrival, hv_max, v_max, track)
            block_stats = work[6]
            a_x, b_x = b_x, a_x
            a_y, b_y = b_y, a_y
            lost = 0.0
            hmax = 0.0
            out = 0.0
            for b in range(nb):
                lost += block_stats[b, 0]
                hmax = max(hmax, block_stats[b, 1])
                out += block_stats[b, 2]
            acc[2] += out * dt
        else:
            face_fluxes(h, z, n2, a_x, a_y, b_x, b_y, dt, dx, theta, h_min)
            a_x, b_x = b_x, a_x
            a_y, b_y = b_y, a_y
            boundary_fluxes(h, z, n2, a_x, a_y, kinds, values, dt, dx, h_min)
            outflow_factors(h, a_x, a_y, r, pattern, fp, dt, dx)
            acc[2] += boundary_outflow(a_x, a_y, fp, dx) * dt
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
        # frame shows at an inflow cell is the one the next fluxes see
        hmax = max(hmax, add_inflows(h, h_max, arrival, inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, t,
                                     dt, cell, wet_depth, acc))
        t += dt
        last_dt = dt
        steps += 1
    return t, steps, last_dt, hmax
