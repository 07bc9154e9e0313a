"""Optional GPU path of the local-inertial solver (numba.cuda): the equations of
:mod:`sim.flood.kernels` with one thread per face or cell, the whole time step on the device.

Nothing depends on it: :func:`sim.flood.solver.simulate` uses it with ``backend="cuda"`` (or
``"auto"`` when :func:`available`), and the CPU kernels stay the reference. The state stays on
the device for the whole run; the host only launches kernels and reads back a few scalars
between batches of steps, the volumes at the series times and the frames at the output times.

A step has four phases, each a device function over the grid:

1. :func:`_faces_at`: the new discharge of every face, interior faces by the momentum equation
   of :func:`sim.flood.kernels.face_q` (Bates et al. 2010, eq. 11, with the theta average of de
   Almeida et al. 2012, eq. 7), edge faces by the boundary condition of
   :func:`sim.flood.kernels.edge_q`;
2. :func:`_factor_at`: each cell's outflow factor ``min(1, available / outgoing volume)``;
3. :func:`_continuity_block`: the finite-volume depth update with donor-scaled fluxes, rain and
   losses, the maxima every ``track_every`` steps, and each block's sums (losses, edge outflow,
   largest depth) into a partials array;
4. :func:`_finish_block` (one block): the point inflows, the sums of the partials, then the time,
   the step count and the volume accumulators.

They run either as one kernel launch each (:func:`_faces`, :func:`_factors`,
:func:`_continuity`, :func:`_finish`) or all in one persistent cooperative launch that loops
over steps with grid-wide barriers between the phases (:func:`_steps`); ``MODE`` chooses.

The time step lives on the device: each phase computes it from the time and the largest depth
the previous step left in the scalar array (``dt = alpha dx / sqrt(g h_max)``, Bates et al.
2010, eq. 12, capped by ``dt_max`` and cut to land on ``t_stop``), so the host never waits on a
step. Once ``t`` reaches ``t_stop`` every phase returns at once: the host launches a batch of
about as many steps as the last step size predicts (or one persistent launch) and reads the
scalars back after it.

Same numbers as the CPU kernels up to float32 rounding: the GPU contracts multiply-adds in its
own way and takes the 7/3 power with ``powf`` rather than the CPU's refined cube-root estimate
(relative 1e-6), so depths differ in the last bits and the differences grow where the flow is
fast or depths cross ``h_min``; volumes are conserved exactly as on the CPU (each face's
discharge leaves one cell and enters the other). The volume accumulators are float64 sums in a
fixed order (block trees, then the partials).
"""
from __future__ import annotations

import math
import time

import numpy as np

if not hasattr(np, "row_stack"):  # numba-cuda <= 0.30 registers np.row_stack, which numpy 2.5 removed
    np.row_stack = np.vstack
from numba import config, cuda, float32, float64  # noqa: E402

from sim.flood.kernels import FR2_G, FROUDE_MAX  # noqa: E402  (the CPU kernels' Froude limits)

G32 = np.float32(9.81)
G64 = float(np.float32(9.81))  # the CPU's CFL uses the float32 constant widened
ZERO = np.float32(0.0)
ONE = np.float32(1.0)
HALF = np.float32(0.5)
SEVEN_THIRDS = np.float32(7.0 / 3.0)
FIVE_THIRDS = np.float32(5.0 / 3.0)
RED = 256  # shared-memory size of a block reduction: the most threads a reducing block may have
RED_THREADS = 256  # threads per block of the reducing kernels (a power of two, at most RED)
FACE_BLOCK = (32, 8)  # threads per block of the face and factor kernels (x along a row)
# (the tests run the kernels in numba's CUDA simulator, one Python thread per GPU thread, with
# smaller blocks)
# slots of the scalar array
T, DT_LAST, HMAX, ACC_RAIN, ACC_INFLOW, ACC_OUT, ACC_LOSS, STEPS = range(8)
N_SCALARS = 8
# Registers of the persistent kernel: 140 unbounded (ptxas -v, sm_90), one 256-thread block per
# multiprocessor. Capped at 64, four blocks fit (ptxas: ~0.5 kB spilled, to L1): on an H200 that
# ran 722 us a step on 11.6 M cells (96: 1011, 128: 1176; four launches 795) and 80 us on the
# 0.9 M-cell city (128: 104; launches 657), BENCHMARKS.md. The simulator takes no such option.
_STEPS_OPTS = {} if config.ENABLE_CUDASIM else {"max_registers": 64}
# How steps are launched: "persistent" (one cooperative launch per run of steps, :func:`_steps`:
# no launch cost per step, ~25 us a step on an H200, at four blocks per multiprocessor),
# "launches" (four launches a step at full occupancy, ~1 ms of launch cost a step) or "auto"
# (each timed over its calls after the first, which compiles, until TRIAL_STEPS steps; then the
# faster per step). On an H200 the persistent kernel won on every grid measured (BENCHMARKS.md);
# auto keeps the choice honest on other GPUs for the cost of the trial (~0.2 s).
MODE = "auto"
TRIAL_STEPS = 100
MODES = ("persistent", "launches")


def available() -> bool:
    """Whether numba finds a usable CUDA device."""
    try:
        return bool(cuda.is_available())
    except Exception:  # no driver, no toolkit: no GPU path
        return False


@cuda.jit(device=True)
def _dt(st, t_stop, dt_max, alpha, dx, h_min):
    """This step's dt (s) from the scalars (0 once ``t`` has reached ``t_stop``), as the CPU stepper."""
    t = st[T]
    if t >= t_stop - 1e-9:
        return 0.0
    hmax = st[HMAX]
    dt = dt_max if hmax <= h_min else min(dt_max, alpha * dx / math.sqrt(G64 * hmax))
    return min(dt, t_stop - t)


@cuda.jit(device=True)
def _interp(x, xs, ys, a, b):
    """``np.interp(x, xs[a:b], ys[a:b])`` (clamped at the ends)."""
    if x <= xs[a]:
        return ys[a]
    if x >= xs[b - 1]:
        return ys[b - 1]
    k = a
    while xs[k + 1] < x:
        k += 1
    w = (x - xs[k]) / (xs[k + 1] - xs[k])
    return ys[k] + w * (ys[k + 1] - ys[k])


@cuda.jit(device=True)
def _face_q(el, er, zl, zr, nn, q0, qa, qb, dt, inv_dx, th, half_1mth, hmin):
    """:func:`sim.flood.kernels.face_q` (float32)."""
    hf = max(el, er) - max(zl, zr)
    if hf <= hmin:
        return ZERO
    qn = th * q0 + half_1mth * (qa + qb)
    q = (qn - G32 * hf * dt * (er - el) * inv_dx) / (ONE + G32 * dt * nn * abs(q0) / math.pow(hf, SEVEN_THIRDS))
    qlim = FROUDE_MAX * hf * math.sqrt(G32 * hf)
    return min(max(q, -qlim), qlim)


@cuda.jit(device=True)
def _edge_q(h, z, n2, q0, i, j, sign, kind, value, dt, dx, h_min):
    """:func:`sim.flood.kernels.edge_q`: 0 closed, 1 free outflow at normal depth, 2 fixed level."""
    hc = h[i, j]
    nc = n2[i if n2.shape[0] > 1 else 0, j]
    if kind == 1:
        if hc > h_min and nc > 0:
            return sign * math.pow(hc, FIVE_THIRDS) * float32(math.sqrt(value)) / math.sqrt(nc)
    elif kind == 2:
        zc = z[i, j]
        eta_in = zc + hc
        eta_out = float32(value)
        hf = max(eta_in, eta_out) - zc
        if hf > h_min:
            grad = sign * (eta_out - eta_in) / dx
            num = q0 - G32 * hf * dt * grad
            return num / (ONE + G32 * dt * nc * abs(q0) / math.pow(hf, SEVEN_THIRDS))
    return ZERO


@cuda.jit(device=True)
def _edge_value(k, values, stage_t, stage_v, stage_start, t_mid):
    """Edge k's boundary value: its stage hydrograph at mid-step if it has one, else ``values[k]``."""
    s0 = stage_start[k]
    s1 = stage_start[k + 1]
    if s1 > s0:
        return _interp(t_mid, stage_t, stage_v, s0, s1)
    return values[k]


@cuda.jit(device=True)
def _interior_q(h, z, n2, il, jl, ir, jr, q0, qa, qb, dtf, inv_dx, th, half_1mth, hmin):
    """:func:`_face_q` of the interior face between cells (il, jl) (west/north) and (ir, jr), with
    the mean Manning n^2 of the two (``n2`` per cell, or one row for a uniform value)."""
    uni = n2.shape[0] == 1
    nn = HALF * (n2[0 if uni else il, jl] + n2[0 if uni else ir, jr])
    return _face_q(z[il, jl] + h[il, jl], z[ir, jr] + h[ir, jr], z[il, jl], z[ir, jr], nn, q0, qa, qb, dtf, inv_dx,
                   th, half_1mth, hmin)


@cuda.jit(device=True)
def _faces_at(i, j, h, z, n2, qx, qy, qxn, qyn, dt, t_mid, dx, theta, h_min, kinds, values, stage_t, stage_v,
              stage_start):
    """New discharges of x face (i, j) (when i < ny) and y face (i, j) (when j < nx), for
    0 <= i <= ny, 0 <= j <= nx."""
    ny, nx = h.shape
    dtf = float32(dt)
    dxf = float32(dx)
    inv_dx = ONE / dxf
    th = float32(theta)
    half_1mth = HALF * (ONE - th)
    hmin = float32(h_min)
    if i < ny:
        if 0 < j < nx:
            q0 = qx[i, j]
            qa = qx[i, j - 1] if j > 1 else q0
            qb = qx[i, j + 1] if j < nx - 1 else q0
            qxn[i, j] = _interior_q(h, z, n2, i, j - 1, i, j, q0, qa, qb, dtf, inv_dx, th, half_1mth, hmin)
        else:
            k = 2 if j == 0 else 3
            jc = 0 if j == 0 else nx - 1
            sign = -ONE if j == 0 else ONE
            qxn[i, j] = _edge_q(h, z, n2, qx[i, j], i, jc, sign, kinds[k],
                                _edge_value(k, values, stage_t, stage_v, stage_start, t_mid), dtf, dxf, hmin)
    if j < nx:
        if 0 < i < ny:
            q0 = qy[i, j]
            qa = qy[i - 1, j] if i > 1 else q0
            qb = qy[i + 1, j] if i < ny - 1 else q0
            qyn[i, j] = _interior_q(h, z, n2, i - 1, j, i, j, q0, qa, qb, dtf, inv_dx, th, half_1mth, hmin)
        else:
            k = 0 if i == 0 else 1
            ic = 0 if i == 0 else ny - 1
            sign = -ONE if i == 0 else ONE
            qyn[i, j] = _edge_q(h, z, n2, qy[i, j], ic, j, sign, kinds[k],
                                _edge_value(k, values, stage_t, stage_v, stage_start, t_mid), dtf, dxf, hmin)


@cuda.jit(device=True)
def _factor_at(i, j, h, qxn, qyn, pattern, f, dt, dx, rain_m_s):
    """Outflow factor of cell (i, j) into the padded ``f[i + 1, j + 1]`` (see
    :func:`sim.flood.kernels.outflow_factors`)."""
    r = float32(dt) / float32(dx)
    rainf = float32(rain_m_s * dt)
    out = max(qxn[i, j + 1], ZERO) - min(qxn[i, j], ZERO) + max(qyn[i + 1, j], ZERO) - min(qyn[i, j], ZERO)
    need = out * r
    avail = h[i, j] + rainf * pattern[i if pattern.shape[0] > 1 else 0, j]
    f[i + 1, j + 1] = avail / need if need > avail else ONE


@cuda.jit(device=True)
def _smem():
    """The three shared float64 arrays of :func:`_block_sums`. Allocated once per kernel and passed
    down: a device function that allocates its own is emitted once per caller, and two callers in
    one kernel define the same shared symbol twice (NVVM: "symbol multiply defined")."""
    sa = cuda.shared.array(RED, float64)  # one call per line: numba's CUDA simulator keys shared
    sb = cuda.shared.array(RED, float64)  # arrays by the line that allocates them
    sc = cuda.shared.array(RED, float64)
    return sa, sb, sc


@cuda.jit(device=True)
def _block_sums(sm, a, b, c):
    """Sum ``a``, ``b`` and take the maximum of ``c`` over the block (tree in the shared arrays
    ``sm`` of :func:`_smem`); every thread gets the results."""
    sa, sb, sc = sm
    tid = cuda.threadIdx.x
    sa[tid] = a
    sb[tid] = b
    sc[tid] = c
    cuda.syncthreads()
    s = cuda.blockDim.x // 2
    while s > 0:
        if tid < s:
            sa[tid] += sa[tid + s]
            sb[tid] += sb[tid + s]
            sc[tid] = max(sc[tid], sc[tid + s])
        cuda.syncthreads()
        s //= 2
    a, b, c = sa[0], sb[0], sc[0]
    cuda.syncthreads()  # the arrays may be filled again right after
    return a, b, c


@cuda.jit(device=True)
def _continuity_block(sm, h, qxn, qyn, f, pattern, loss, h_max, arrival, hv_max, v_max, st, part, dt, dx, h_min,
                      wet_depth, track_every, rain_m_s):
    """Depth update of the rows blockIdx, blockIdx + gridDim, ... (threads along each row), the
    maxima when tracking; the block's losses (m), edge outflow rate (m^2/s, donor factors
    applied) and largest depth go to ``part[blockIdx]``."""
    ny, nx = h.shape
    dtf = float32(dt)
    r = dtf / float32(dx)
    rainf = float32(rain_m_s * dt)
    hmin = float32(h_min)
    wet = float32(wet_depth)
    tt = float32(st[T] + dt)
    track = int(st[STEPS]) % track_every == 0
    pu = pattern.shape[0] == 1
    lu = loss.shape[0] == 1
    lost = 0.0
    out = 0.0
    hmax = 0.0
    for i in range(cuda.blockIdx.x, ny, cuda.gridDim.x):
        for j in range(cuda.threadIdx.x, nx, cuda.blockDim.x):
            fs = f[i + 1, j + 1]
            qw0 = qxn[i, j]
            qe0 = qxn[i, j + 1]
            qn0 = qyn[i, j]
            qs0 = qyn[i + 1, j]
            qw = qw0 * (f[i + 1, j] if qw0 > ZERO else fs)
            qe = qe0 * (fs if qe0 > ZERO else f[i + 1, j + 2])
            qn = qn0 * (f[i, j + 1] if qn0 > ZERO else fs)
            qs = qs0 * (fs if qs0 > ZERO else f[i + 2, j + 1])
            hn = max(h[i, j] + rainf * pattern[0 if pu else i, j] + r * ((qw - qe) + (qn - qs)), ZERO)
            take = min(loss[0 if lu else i, j] * dtf, hn)
            hn -= take
            h[i, j] = hn
            lost += take
            hmax = max(hmax, float64(hn))
            if j == 0:
                out += -float64(qw0) * (float64(fs) if qw0 < ZERO else 1.0)
            if j == nx - 1:
                out += float64(qe0) * (float64(fs) if qe0 > ZERO else 1.0)
            if i == 0:
                out += -float64(qn0) * (float64(fs) if qn0 < ZERO else 1.0)
            if i == ny - 1:
                out += float64(qs0) * (float64(fs) if qs0 > ZERO else 1.0)
            if track:
                if hn > h_max[i, j]:
                    h_max[i, j] = hn
                if hn > wet and tt < arrival[i, j]:
                    arrival[i, j] = tt
                if hn > hmin:
                    ux = HALF * (qw0 + qe0)
                    uy = HALF * (qn0 + qs0)
                    v = math.sqrt(min((ux * ux + uy * uy) / (hn * hn), FR2_G * hn))  # Froude-limited
                    if v > v_max[i, j]:
                        v_max[i, j] = v
                    hv = hn * (v + HALF)
                    if hv > hv_max[i, j]:
                        hv_max[i, j] = hv
    a, b, c = _block_sums(sm, lost, out, hmax)
    if cuda.threadIdx.x == 0:
        part[cuda.blockIdx.x, 0] = a
        part[cuda.blockIdx.x, 1] = b
        part[cuda.blockIdx.x, 2] = c


@cuda.jit(device=True)
def _finish_block(sm, h, h_max, arrival, inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, st, part, nparts,
                  dt, dx, wet_depth, rain_m_s, psum):
    """One block: the point inflows over [t, t + dt] (hydrograph at mid-step, shared equally by
    each inflow's cells, as :func:`sim.flood.kernels.add_inflows`), the sums of the continuity
    blocks' ``part[:nparts]``, then the scalars: time, step, last dt, the next step's largest
    depth, the volume accumulators (m^3)."""
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    t = st[T]
    cell = dx * dx
    wet = float32(wet_depth)
    t_new = t + dt
    added = 0.0
    deepest = 0.0
    for g in range(inf_start.shape[0] - 1):
        c0 = inf_start[g]
        c1 = inf_start[g + 1]
        a = hyd_start[g]
        b = hyd_start[g + 1]
        q = 0.0
        tm = t + 0.5 * dt
        if b > a and hyd_t[a] <= tm <= hyd_t[b - 1]:
            q = _interp(tm, hyd_t, hyd_q, a, b)
        if q > 0 and c1 > c0:
            dh = float32(q * dt / (cell * (c1 - c0)))
            for c in range(c0 + tid, c1, nt):
                ii = inf_rows[c]
                jj = inf_cols[c]
                hv = h[ii, jj] + dh
                h[ii, jj] = hv
                deepest = max(deepest, float64(hv))
                if hv > h_max[ii, jj]:
                    h_max[ii, jj] = hv
                if hv > wet and arrival[ii, jj] > t_new:
                    arrival[ii, jj] = float32(t_new)
            added += float64(dh) * cell * (c1 - c0)
        cuda.syncthreads()  # two inflows may share a cell
    lost = 0.0
    out = 0.0
    for k in range(tid, nparts, nt):
        lost += part[k, 0]
        out += part[k, 1]
        deepest = max(deepest, part[k, 2])
    lost, out, deepest = _block_sums(sm, lost, out, deepest)
    if tid == 0:
        st[ACC_INFLOW] += added
        st[ACC_RAIN] += float64(float32(rain_m_s * dt)) * psum * cell
        st[ACC_LOSS] += lost * cell
        st[ACC_OUT] += out * dx * dt
        st[HMAX] = deepest
        st[T] = t_new
        st[DT_LAST] = dt
        st[STEPS] += 1.0


# --- one launch per phase (four per step) ----------------------------------------------------

@cuda.jit
def _faces(h, z, n2, qx, qy, qxn, qyn, st, t_stop, dt_max, alpha, dx, theta, h_min, kinds, values, stage_t,
           stage_v, stage_start):
    """Thread (i, j) of a 2-D grid: :func:`_faces_at`."""
    j, i = cuda.grid(2)
    ny, nx = h.shape
    if i > ny or j > nx:
        return
    dt = _dt(st, t_stop, dt_max, alpha, dx, h_min)
    if dt <= 0.0:
        return
    _faces_at(i, j, h, z, n2, qx, qy, qxn, qyn, dt, st[T] + 0.5 * dt, dx, theta, h_min, kinds, values, stage_t,
              stage_v, stage_start)


@cuda.jit
def _factors(h, qxn, qyn, pattern, f, st, t_stop, dt_max, alpha, dx, h_min, rain_m_s):
    """Thread (i, j) of a 2-D grid: :func:`_factor_at`."""
    j, i = cuda.grid(2)
    ny, nx = h.shape
    if i >= ny or j >= nx:
        return
    dt = _dt(st, t_stop, dt_max, alpha, dx, h_min)
    if dt <= 0.0:
        return
    _factor_at(i, j, h, qxn, qyn, pattern, f, dt, dx, rain_m_s)


@cuda.jit
def _continuity(h, qxn, qyn, f, pattern, loss, h_max, arrival, hv_max, v_max, st, part, t_stop, dt_max, alpha, dx,
                h_min, wet_depth, track_every, rain_m_s):
    """:func:`_continuity_block` for each block."""
    dt = _dt(st, t_stop, dt_max, alpha, dx, h_min)
    if dt <= 0.0:
        return
    _continuity_block(_smem(), h, qxn, qyn, f, pattern, loss, h_max, arrival, hv_max, v_max, st, part, dt, dx,
                      h_min, wet_depth, track_every, rain_m_s)


@cuda.jit
def _finish(h, h_max, arrival, inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, st, part, nparts, t_stop,
            dt_max, alpha, dx, h_min, wet_depth, rain_m_s, psum):
    """One block: :func:`_finish_block`."""
    dt = _dt(st, t_stop, dt_max, alpha, dx, h_min)
    cuda.syncthreads()  # every thread has read t before thread 0 moves it
    if dt <= 0.0:
        return
    _finish_block(_smem(), h, h_max, arrival, inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, st, part,
                  nparts, dt, dx, wet_depth, rain_m_s, psum)


# --- one persistent launch for many steps (cooperative grid) ---------------------------------

@cuda.jit(**_STEPS_OPTS)
def _steps(h, z, n2, qax, qay, qbx, qby, f, pattern, loss, h_max, arrival, hv_max, v_max, st, part, inf_rows,
           inf_cols, inf_start, hyd_t, hyd_q, hyd_start, kinds, values, stage_t, stage_v, stage_start, t_stop, dt_max,
           alpha, dx, theta, h_min, wet_depth, track_every, rain_m_s, psum, max_steps):
    """Up to ``max_steps`` whole steps in one launch, until ``t_stop``: the four phases of the
    module docstring over grid-stride loops, separated by grid-wide barriers (a cooperative
    launch: every block resident at once). Step k reads the faces in ``qa`` and writes ``qb``
    when the step count is even, the other way round when odd."""
    grid = cuda.cg.this_grid()
    sm = _smem()
    ny, nx = h.shape
    gt = cuda.grid(1)
    gs = cuda.gridsize(1)
    for _ in range(max_steps):
        dt = _dt(st, t_stop, dt_max, alpha, dx, h_min)
        if dt <= 0.0:
            return
        even = int(st[STEPS]) % 2 == 0
        t_mid = st[T] + 0.5 * dt
        for idx in range(gt, (ny + 1) * (nx + 1), gs):
            i = idx // (nx + 1)
            j = idx - i * (nx + 1)
            if even:
                _faces_at(i, j, h, z, n2, qax, qay, qbx, qby, dt, t_mid, dx, theta, h_min, kinds, values, stage_t,
                          stage_v, stage_start)
            else:
                _faces_at(i, j, h, z, n2, qbx, qby, qax, qay, dt, t_mid, dx, theta, h_min, kinds, values, stage_t,
                          stage_v, stage_start)
        grid.sync()
        for idx in range(gt, ny * nx, gs):
            i = idx // nx
            j = idx - i * nx
            if even:
                _factor_at(i, j, h, qbx, qby, pattern, f, dt, dx, rain_m_s)
            else:
                _factor_at(i, j, h, qax, qay, pattern, f, dt, dx, rain_m_s)
        grid.sync()
        if even:
            _continuity_block(sm, h, qbx, qby, f, pattern, loss, h_max, arrival, hv_max, v_max, st, part, dt, dx, h_min,
                              wet_depth, track_every, rain_m_s)
        else:
            _continuity_block(sm, h, qax, qay, f, pattern, loss, h_max, arrival, hv_max, v_max, st, part, dt, dx, h_min,
                              wet_depth, track_every, rain_m_s)
        grid.sync()
        if cuda.blockIdx.x == 0:
            _finish_block(sm, h, h_max, arrival, inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, st, part,
                          cuda.gridDim.x, dt, dx, wet_depth, rain_m_s, psum)
        grid.sync()


@cuda.jit
def _stats(h, wet_depth, part):
    """Per block: sum of depths (m), count of cells deeper than ``wet_depth`` and largest depth
    (m) into ``part[blockIdx]``."""
    s = 0.0
    c = 0.0
    m = 0.0
    ny, nx = h.shape
    for i in range(cuda.blockIdx.x, ny, cuda.gridDim.x):
        for j in range(cuda.threadIdx.x, nx, cuda.blockDim.x):
            v = h[i, j]
            s += v
            m = max(m, float64(v))
            if v > wet_depth:
                c += 1.0
    a, b, mm = _block_sums(_smem(), s, c, m)
    if cuda.threadIdx.x == 0:
        part[cuda.blockIdx.x, 0] = a
        part[cuda.blockIdx.x, 1] = b
        part[cuda.blockIdx.x, 2] = mm


class CudaStepper:
    """The solver's state on the device and the stepping loop of :meth:`advance`.

    Arguments are the host arrays :func:`sim.flood.solver.simulate` prepares (float32 grids,
    the rain patterns as a list of (grid, cell sum), flat inflow and stage hydrographs); the
    maxima arrays are copied back by :meth:`fetch`. Steps run in one persistent cooperative
    launch per run (:func:`_steps`) or in four launches a step in batches, as ``MODE`` says
    (``auto``: the faster, timed; ``launches`` where a cooperative launch fails);
    :meth:`describe` says which ran."""

    def __init__(self, h, z, n2, loss, patterns, kinds, values, stage, inflows, h_max, arrival, hv_max, v_max, qx,
                 qy, *, dx, theta, alpha, h_min, wet_depth, dt_max, track_every, hmax0, blocks_per_sm=8,
                 max_batch=256):
        d = cuda.to_device
        self.ny, self.nx = h.shape
        self.h, self.z, self.n2, self.loss = d(h), d(z), d(n2), d(loss)
        self.patterns = [(d(p), s) for p, s in patterns]
        self.kinds, self.values = d(np.asarray(kinds, np.int64)), d(np.asarray(values, np.float64))
        self.stage = tuple(d(a) for a in stage)
        self.inflows = tuple(d(a) for a in inflows)
        self.h_max, self.arrival, self.hv_max, self.v_max = d(h_max), d(arrival), d(hv_max), d(v_max)
        self.qa, self.qb = (d(qx), d(qy)), (d(np.zeros_like(qx)), d(np.zeros_like(qy)))
        self.f = d(np.ones((self.ny + 2, self.nx + 2), np.float32))
        st = np.zeros(N_SCALARS, np.float64)
        st[HMAX] = hmax0
        self.st = d(st)
        self.host_st = st
        self.dt_guess = dt_max if hmax0 <= h_min else min(dt_max, alpha * dx / math.sqrt(G64 * hmax0))
        self.dx, self.theta, self.alpha, self.h_min = float(dx), float(theta), float(alpha), float(h_min)
        self.wet, self.dt_max, self.track_every = float(wet_depth), float(dt_max), int(track_every)
        self.max_batch = int(max_batch)
        try:
            sms = cuda.get_current_device().MULTIPROCESSOR_COUNT
        except Exception:  # the simulator has no device attributes
            sms = 1
        self.red = RED_THREADS
        self.red_blocks = max(1, min(self.ny, sms * blocks_per_sm))  # a block per row at a time
        bx, by = FACE_BLOCK
        self.face_block = (bx, by)
        self.face_grid = (-(-(self.nx + 1) // bx), -(-(self.ny + 1) // by))
        self.part = d(np.zeros((max(self.red_blocks, sms * 32), 3), np.float64))
        self.steps = 0
        self.mode = MODE
        self.coop_blocks = 0
        self.note = ""
        self.failed: set[str] = set()
        self.trial = {m: [0, 0, 0.0] for m in MODES}  # calls, timed steps, timed wall (s)

    def advance(self, t: float, t_stop: float, rain_m_s: float, pattern_k: int) -> tuple[float, int, float, float]:
        """Step from ``t`` (which must be the device's) to ``t_stop``; returns (t, steps taken,
        last dt, largest depth) as :func:`sim.flood.kernels.advance`."""
        pat, psum = self.patterns[pattern_k]
        s0 = self.steps
        while self.host_st[T] < t_stop - 1e-9:
            mode = self._pick()
            c0, n0 = time.perf_counter(), self.steps
            if mode == "persistent":
                try:
                    self._persistent(t_stop, rain_m_s, pat, psum)
                except Exception as e:  # no cooperative launch here: launches from now on
                    self.failed.add(mode)
                    self.note = f"cooperative launch failed ({type(e).__name__}: {e})"
                    if self.mode == "persistent":
                        self.mode = "launches"
                    continue
            else:
                self._launches(t_stop, rain_m_s, pat, psum)
            self.host_st = self.st.copy_to_host()
            self.steps = int(self.host_st[STEPS])
            tr = self.trial[mode]
            if tr[0] > 0:  # the first call of a mode compiles its kernels: not timed
                tr[1] += self.steps - n0
                tr[2] += time.perf_counter() - c0
            tr[0] += 1
        return float(self.host_st[T]), self.steps - s0, float(self.host_st[DT_LAST]), float(self.host_st[HMAX])

    def _pick(self) -> str:
        """This call's mode: the fixed one, or under ``auto`` the next to time, then the faster."""
        if self.mode != "auto":
            return self.mode
        left = [m for m in MODES if m not in self.failed]
        for m in left:
            if self.trial[m][0] < 2 or self.trial[m][1] < TRIAL_STEPS:
                return m
        return min(left, key=lambda m: self.trial[m][2] / self.trial[m][1])

    def _persistent(self, t_stop, rain_m_s, pat, psum) -> None:
        (ax, ay), (bx, by) = self.qa, self.qb
        args = (self.h, self.z, self.n2, ax, ay, bx, by, self.f, pat, self.loss, self.h_max, self.arrival,
                self.hv_max, self.v_max, self.st, self.part, *self.inflows, self.kinds, self.values, *self.stage,
                float(t_stop), self.dt_max, self.alpha, self.dx, self.theta, self.h_min, self.wet, self.track_every,
                float(rain_m_s), float(psum), 1 << 30)
        if not self.coop_blocks:
            try:
                kernel = _steps.compile(tuple(_steps.typeof_pyval(a) for a in args))
                most = kernel.max_cooperative_grid_blocks(self.red)
            except AttributeError:  # the simulator: cooperative grids of one block
                most = 1
            self.coop_blocks = int(max(1, min(most, self.part.shape[0], self.ny)))
        _steps[self.coop_blocks, self.red](*args)

    def _launches(self, t_stop, rain_m_s, pat, psum) -> None:
        st = self.st
        args = (st, float(t_stop), self.dt_max, self.alpha, self.dx)
        faces = _faces[self.face_grid, self.face_block]
        factors = _factors[self.face_grid, self.face_block]
        cont = _continuity[self.red_blocks, self.red]
        finish = _finish[1, self.red]
        stage_t, stage_v, stage_start = self.stage
        if self.host_st[DT_LAST] > 0:
            self.dt_guess = self.host_st[DT_LAST]
        batch = int(min(self.max_batch, max(1, math.ceil((t_stop - self.host_st[T]) / self.dt_guess) + 1)))
        for k in range(batch):
            (ax, ay), (bx, by) = (self.qa, self.qb) if (self.steps + k) % 2 == 0 else (self.qb, self.qa)
            faces(self.h, self.z, self.n2, ax, ay, bx, by, *args, self.theta, self.h_min, self.kinds, self.values,
                  stage_t, stage_v, stage_start)
            factors(self.h, bx, by, pat, self.f, *args, self.h_min, rain_m_s)
            cont(self.h, bx, by, self.f, pat, self.loss, self.h_max, self.arrival, self.hv_max, self.v_max, st,
                 self.part, *args[1:], self.h_min, self.wet, self.track_every, rain_m_s)
            finish(self.h, self.h_max, self.arrival, *self.inflows, st, self.part, self.red_blocks, *args[1:],
                   self.h_min, self.wet, rain_m_s, psum)

    def describe(self) -> str:
        """Which stepping ran, e.g. ``cuda persistent, 264 blocks of 256`` or, under ``auto``,
        ``cuda auto: persistent, 264 blocks of 256 (us a step: persistent 25, launches 960)``."""
        names = {"persistent": f"persistent, {self.coop_blocks} blocks of {self.red}", "launches": "launches"}
        note = f" ({self.note})" if self.note else ""
        if self.mode != "auto":
            return f"cuda {names[self.mode]}{note}"
        timed = {m: 1e6 * w / n for m, (_, n, w) in self.trial.items() if n > 0}
        per = ", ".join(f"{m} {v:.0f}" for m, v in timed.items())
        return f"cuda auto: {names[self._pick()]}" + (f" (us a step: {per})" if per else "") + note

    def faces(self):
        """The current face discharges on the device: step k reads buffers (qa, qb)[k % 2]."""
        return self.qa if self.steps % 2 == 0 else self.qb

    def volumes(self) -> np.ndarray:
        """Accumulated [rain, inflow, boundary outflow, losses] (m^3)."""
        return self.host_st[[ACC_RAIN, ACC_INFLOW, ACC_OUT, ACC_LOSS]].copy()

    def stats(self) -> tuple[float, float, int]:
        """(stored volume m^3, largest depth m, cells deeper than the wet depth)."""
        _stats[self.red_blocks, self.red](self.h, self.wet, self.part)
        p = self.part.copy_to_host()[:self.red_blocks]
        return float(p[:, 0].sum()) * self.dx * self.dx, float(p[:, 2].max()), int(round(p[:, 1].sum()))

    def frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Depth and face discharges on the host (h, qx, qy)."""
        qx, qy = self.faces()
        return self.h.copy_to_host(), qx.copy_to_host(), qy.copy_to_host()

    def fetch(self, h, h_max, arrival, hv_max, v_max) -> tuple[np.ndarray, np.ndarray]:
        """Copy the depth and the maxima into the host arrays; returns the final (qx, qy)."""
        for dev, host in ((self.h, h), (self.h_max, h_max), (self.arrival, arrival), (self.hv_max, hv_max),
                          (self.v_max, v_max)):
            dev.copy_to_host(host)
        qx, qy = self.faces()
        return qx.copy_to_host(), qy.copy_to_host()
