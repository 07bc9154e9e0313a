"""Time stepping of the local-inertial solver on plain arrays (no city, no I/O).

>>> import numpy as np
>>> z = np.zeros((20, 40), np.float32)
>>> out = simulate(z, 10.0, manning=0.03, duration_s=600.0,
...                inflows=[Inflow("q", np.array([10]), np.array([0]), [0.0, 600.0], [5.0, 5.0])])
>>> bool(abs(out.balance_error()) < 1e-3)
True

The step is ``dt = alpha dx / sqrt(g h_max)`` (Bates et al. 2010, eq. 12; alpha = 0.7),
capped by ``dt_max`` and shortened to land on output times. Volumes of rain, inflow,
boundary outflow and losses are accumulated in float64 from exactly what each step
added or removed, so ``stored - initial = rain + inflow - outflow - losses`` closes to
the float32 rounding of the depths.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Literal

import numba
import numpy as np

from sim.flood import kernels as K

EDGES = ("north", "south", "west", "east")
# Row blocks of the fused sweep (``blocks=0``): one (no parallel launch) below SERIAL_CELLS, one
# per thread from PARALLEL_CELLS; in between both are timed over the first TRIAL_STEPS steps
# each and the faster kept (the results do not depend on the blocks, to the last bit).
SERIAL_CELLS = 10_000
PARALLEL_CELLS = 400_000
TRIAL_STEPS = 60
_KIND = {"closed": 0, "free": 1, "level": 2}


@dataclass
class Inflow:
    """A point (or multi-cell) inflow hydrograph: discharge ``q_m3_s`` at ``times_s`` (linear
    between points, zero outside), shared equally by the cells ``rows, cols``."""

    name: str
    rows: np.ndarray
    cols: np.ndarray
    times_s: list[float]
    q_m3_s: list[float]

    def q(self, t: float) -> float:
        ts, qs = self.times_s, self.q_m3_s
        if t < ts[0] or t > ts[-1]:
            return 0.0
        return float(np.interp(t, ts, qs))


@dataclass
class Boundary:
    """One domain edge: ``closed`` (wall), ``free`` (outflow at normal depth for the friction
    slope ``slope``) or ``level`` (water level ``level_m`` in a ghost cell one cell outside, in
    or out; or a stage hydrograph ``level_times_s`` / ``level_series_m``, linear between points)."""

    kind: Literal["closed", "free", "level"] = "closed"
    slope: float = 0.001
    level_m: float | None = None
    level_times_s: list[float] | None = None
    level_series_m: list[float] | None = None

    def value(self, t: float) -> float:
        if self.kind != "level":
            return self.slope
        if self.level_times_s is not None:
            return float(np.interp(t, self.level_times_s, self.level_series_m))
        return float(self.level_m)


@dataclass
class Rain:
    """Rainfall intensity, piecewise constant: ``rate_mm_h[k]`` over ``[times_s[k], times_s[k+1])``
    (zero after the last time), times a spatial multiplier ``pattern``: None (uniform), one
    (ny, nx) grid, or one grid per interval (k, ny, nx) for gridded rainfall."""

    times_s: list[float]
    rate_mm_h: list[float]
    pattern: np.ndarray | None = None

    def rate_m_s(self, t: float) -> float:
        k = int(np.searchsorted(self.times_s, t, side="right")) - 1
        if k < 0 or k >= len(self.rate_mm_h):
            return 0.0
        return float(self.rate_mm_h[k]) / 1000.0 / 3600.0

    def pattern_index(self, t: float) -> int:
        """Which grid of a (k, ny, nx) pattern applies at t (0 for a single grid)."""
        if self.pattern is None or self.pattern.ndim == 2:
            return 0
        k = int(np.searchsorted(self.times_s, t, side="right")) - 1
        return min(max(k, 0), len(self.pattern) - 1)

    def next_change(self, t: float) -> float:
        k = int(np.searchsorted(self.times_s, t, side="right"))
        return float(self.times_s[k]) if k < len(self.times_s) else np.inf


@dataclass
class SolverOutput:
    """Frames at the output times plus per-cell extremes and the volume series."""

    dx: float
    times_s: np.ndarray
    depth: np.ndarray  # (k, ny, nx) float32, m
    speed: np.ndarray  # (k, ny, nx) float32, m/s
    h_max: np.ndarray  # m
    v_max: np.ndarray  # m/s
    hv_max: np.ndarray  # max over time of h (v + 0.5), m^2/s
    arrival_s: np.ndarray  # first time depth > wet_depth, inf if never
    series: dict[str, np.ndarray] = field(default_factory=dict)
    final_qx: np.ndarray | None = None  # face discharges at the end (m^2/s), to continue a run
    final_qy: np.ndarray | None = None
    steps: int = 0
    wall_s: float = 0.0
    cells: int = 0
    backend: str = "cpu"  # which kernels ran: cpu, or cuda and its stepping mode

    def balance_error(self) -> float:
        """(stored - initial - rain - inflow + outflow + losses), relative to the volumes moved
        (rain + inflow + |boundary flow| + stored at start and end)."""
        s = self.series
        res = s["stored_m3"][-1] - s["stored_m3"][0] - s["rain_m3"][-1] - s["inflow_m3"][-1] \
            + s["outflow_m3"][-1] + s["loss_m3"][-1]
        scale = max(s["rain_m3"][-1] + s["inflow_m3"][-1] + abs(s["outflow_m3"][-1]) + s["stored_m3"][0]
                    + s["stored_m3"][-1], 1e-9)
        return float(res / scale)

    @property
    def cell_updates_per_s(self) -> float:
        return self.steps * self.cells / max(self.wall_s, 1e-9)


def simulate(z: np.ndarray, dx: float, *, manning: float | np.ndarray, duration_s: float,
             h0: np.ndarray | None = None, q0: tuple[np.ndarray, np.ndarray] | None = None,
             rain: Rain | None = None, inflows: list[Inflow] | tuple = (),
             loss_mm_h: float | np.ndarray = 0.0, boundaries: dict[str, Boundary] | None = None,
             theta: float = 0.9, alpha: float = 0.7, h_min: float = 1e-3, wet_depth: float = 0.1,
             dt_max: float = 10.0, output_times_s: list[float] | np.ndarray = (), series_every_s: float = 60.0,
             track_every: int = 2, progress: Callable[[float], None] | None = None, fused: bool = True,
             blocks: int = 0, backend: Literal["cpu", "cuda", "auto"] = "cpu") -> SolverOutput:
    """Run the local-inertial model on bed ``z`` (m, (ny, nx), no NaN) with cell size ``dx`` (m).

    Parameters
    ----------
    manning : Manning's n (s m^-1/3), scalar or per cell
    h0 : initial depth (m), default dry
    q0 : initial face discharges (qx (ny, nx+1), qy (ny+1, nx), m^2/s), e.g. the ``final_qx,
        final_qy`` of a warm-up run, so flow continues instead of starting from rest
    rain : rainfall hyetograph (and pattern)
    inflows : point inflow hydrographs
    loss_mm_h : infiltration + drainage capacity (mm/h), scalar or per cell; removes up to
        this rate from the water present
    boundaries : per edge (north/south/west/east); default closed
    theta : de Almeida et al. (2012) weighting; 1 gives Bates et al. (2010)
    alpha : CFL coefficient
    h_min : depth below which a face carries no flow (m)
    wet_depth : depth that counts as arrival (m)
    output_times_s : times (s) of depth/speed frames
    track_every : update the maximum depth, arrival, speed and hazard every this many steps
        (1 = every step; depths change by well under a millimetre a step)
    progress : called with the fraction done
    fused : one sweep per step that computes the faces, the outflow limits and the continuity
        update of each row block together (:func:`sim.flood.kernels.fused_sweep`); False runs
        the three separate passes (the reference; same results to float32 round-off)
    blocks : row blocks of the fused sweep, run in parallel (0 = automatic: one on small grids,
        where a parallel launch costs more than it saves, one per thread on large ones, the
        faster of the two, timed, in between; see ``SERIAL_CELLS``)
    backend : ``cpu`` (the numba CPU kernels above), ``cuda`` (the GPU path of
        :mod:`sim.flood.gpu`; an error if numba finds no CUDA device) or ``auto`` (the GPU when
        there is one). Same equations; results agree to float32 rounding
    """
    z = np.ascontiguousarray(z, dtype=np.float32)
    ny, nx = z.shape
    if not np.isfinite(z).all():
        raise ValueError("bed elevation has NaN/inf cells")
    h = np.zeros((ny, nx), np.float32) if h0 is None else np.ascontiguousarray(h0, dtype=np.float32).copy()
    n2 = _grid_or_scalar(np.square(np.asarray(manning, dtype=np.float32)), (ny, nx), "manning")
    loss = _grid_or_scalar(np.asarray(loss_mm_h, np.float32) / np.float32(3.6e6), (ny, nx), "loss_mm_h")
    # rain patterns, checked and converted once: one (1, nx) row for uniform rain
    if rain is None or rain.pattern is None:
        patterns = [(np.ones((1, nx), np.float32), float(ny * nx))]
    else:
        grids = rain.pattern if rain.pattern.ndim == 3 else rain.pattern[None]
        if grids.shape[1:] != (ny, nx):
            raise ValueError(f"rain pattern of shape {grids.shape[1:]} is not on the bed's grid {(ny, nx)}")
        if not np.isfinite(grids).all() or (grids < 0).any():
            raise ValueError("rain pattern has negative or non-finite multipliers")
        patterns = [(np.ascontiguousarray(g, dtype=np.float32), float(g.sum(dtype=np.float64))) for g in grids]
    row_stats = np.zeros((ny, 2), np.float32)
    qx = np.zeros((ny, nx + 1), np.float32) if q0 is None else np.array(q0[0], np.float32)
    qy = np.zeros((ny + 1, nx), np.float32) if q0 is None else np.array(q0[1], np.float32)
    if qx.shape != (ny, nx + 1) or qy.shape != (ny + 1, nx):
        raise ValueError(f"q0 shapes {qx.shape}, {qy.shape} do not fit the bed {(ny, nx)}")
    h_max = h.copy()
    v_max = np.zeros((ny, nx), np.float32)
    hv_max = np.zeros((ny, nx), np.float32)
    arrival = np.full((ny, nx), np.inf, np.float32)
    arrival[h > wet_depth] = 0.0
    b = {e: Boundary() for e in EDGES}
    b.update(boundaries or {})
    kinds = np.array([_KIND[b[e].kind] for e in EDGES], np.int64)
    values = np.array([b[e].value(0.0) for e in EDGES], np.float64)
    outs = sorted(float(t) for t in output_times_s if 0 <= t <= duration_s)
    frames_h, frames_v, frame_t = [], [], []
    series: dict[str, list[float]] = {k: [] for k in ("time_s", "stored_m3", "rain_m3", "inflow_m3", "outflow_m3",
                                                       "loss_m3", "dt_s", "max_depth_m", "flooded_area_m2")}
    cell_area = dx * dx
    accv = np.zeros(4, np.float64)  # rain, inflow, boundary outflow, losses (m^3)
    t, steps, next_series, oi = 0.0, 0, 0.0, 0
    last_dt = 0.0

    # inflows and stage hydrographs as flat arrays for the compiled stepper
    inf_rows = np.concatenate([np.asarray(i.rows, np.int64) for i in inflows]) if inflows else np.zeros(0, np.int64)
    inf_cols = np.concatenate([np.asarray(i.cols, np.int64) for i in inflows]) if inflows else np.zeros(0, np.int64)
    inf_start = np.cumsum([0] + [len(i.rows) for i in inflows]).astype(np.int64)
    hyd_t = np.concatenate([np.asarray(i.times_s, np.float64) for i in inflows]) if inflows else np.zeros(0)
    hyd_q = np.concatenate([np.asarray(i.q_m3_s, np.float64) for i in inflows]) if inflows else np.zeros(0)
    hyd_start = np.cumsum([0] + [len(i.times_s) for i in inflows]).astype(np.int64)
    st = [(np.asarray(b[e].level_times_s, np.float64), np.asarray(b[e].level_series_m, np.float64))
          if b[e].level_times_s is not None else (np.zeros(0), np.zeros(0)) for e in EDGES]
    stage_t = np.concatenate([x for x, _ in st])
    stage_v = np.concatenate([v for _, v in st])
    stage_start = np.cumsum([0] + [len(x) for x, _ in st]).astype(np.int64)

    gpu = _gpu_stepper(backend, h, z, n2, loss, patterns, kinds, values, (stage_t, stage_v, stage_start),
                       (inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start), h_max, arrival, hv_max, v_max, qx, qy,
                       dict(dx=dx, theta=theta, alpha=alpha, h_min=h_min, wet_depth=wet_depth, dt_max=dt_max,
                            track_every=track_every, hmax0=float(K.max_depth(h))))
    if gpu is None:  # the CPU stepper's scratch: second face buffers, factors, row-block layouts
        qx2 = np.zeros_like(qx)
        qy2 = np.zeros_like(qy)
        f = np.ones((ny + 2, nx + 2), np.float32)  # outflow factors, padded with ones
        threads = numba.get_num_threads()
        if blocks > 0:
            choices = [blocks]
        elif ny * nx < SERIAL_CELLS or threads == 1:
            choices = [1]
        elif ny * nx >= PARALLEL_CELLS:
            choices = [threads]
        else:
            choices = [1, threads]
        layouts = [(b, K.block_bounds(ny, b)) for b in choices]
        layouts = [(b, bounds, K.fused_work(ny, nx, bounds)) for b, bounds in layouts]
        trial = np.zeros((len(layouts), 2))  # steps, wall seconds per layout

    def record_series():
        if gpu is not None:  # summed on the device
            stored, deepest, wet_cells = gpu.stats()
            vols = gpu.volumes()
        else:
            stored, deepest = K.total_volume(h, dx), float(K.max_depth(h))
            wet_cells, vols = np.count_nonzero(h > wet_depth), accv
        series["time_s"].append(t)
        series["stored_m3"].append(stored)
        for k2, v in zip(("rain_m3", "inflow_m3", "outflow_m3", "loss_m3"), vols):
            series[k2].append(float(v))
        series["dt_s"].append(last_dt)
        series["max_depth_m"].append(deepest)
        series["flooded_area_m2"].append(float(wet_cells) * cell_area)

    def record_frame():
        hh, qxh, qyh = gpu.frame() if gpu is not None else (h.copy(), qx, qy)
        frame_t.append(t)
        frames_h.append(hh)
        frames_v.append(_speed(hh, qxh, qyh, h_min))

    wall0 = time.perf_counter()
    record_series()
    next_series = series_every_s
    while oi < len(outs) and outs[oi] <= t:
        record_frame()
        oi += 1
    hmax = float(K.max_depth(h))
    while t < duration_s - 1e-9:
        t_stop = min(duration_s, next_series)
        if oi < len(outs):
            t_stop = min(t_stop, outs[oi])
        if rain is not None:
            t_stop = min(t_stop, rain.next_change(t))
        pattern, pattern_sum = patterns[rain.pattern_index(t) if rain is not None else 0]
        rate = rain.rate_m_s(t) if rain is not None else 0.0
        if gpu is not None:
            t, n_steps, dt_last, hmax = gpu.advance(t, t_stop, rate, rain.pattern_index(t) if rain is not None else 0)
        else:
            # the layout with the fewest trial steps until each has TRIAL_STEPS, then the fastest
            li = int(np.argmin(trial[:, 0])) if trial[:, 0].min() < TRIAL_STEPS else \
                int(np.argmin(trial[:, 1] / trial[:, 0]))
            _, bounds, work = layouts[li]
            c0 = time.perf_counter()
            t, n_steps, dt_last, hmax = K.advance(
                h, z, n2, qx, qy, qx2, qy2, f, pattern, pattern_sum, loss, kinds, values, stage_t, stage_v,
                stage_start, inf_rows, inf_cols, inf_start, hyd_t, hyd_q, hyd_start, rate, t, t_stop, dt_max, alpha,
                dx, theta, h_min, wet_depth, h_max, arrival, hv_max, v_max, track_every, steps, hmax, row_stats, accv,
                fused, bounds, work)
            trial[li] += (n_steps, time.perf_counter() - c0)
            if n_steps % 2 == 1:  # the stepper double-buffers the faces
                qx, qx2 = qx2, qx
                qy, qy2 = qy2, qy
        steps += n_steps
        last_dt = dt_last if n_steps else last_dt
        if oi < len(outs) and t >= outs[oi] - 1e-9:
            record_frame()
            oi += 1
        if t >= next_series - 1e-9 or t >= duration_s - 1e-9:
            record_series()
            next_series += series_every_s
            if progress is not None:
                progress(min(t / duration_s, 1.0))
    if gpu is not None:
        qx, qy = gpu.fetch(h, h_max, arrival, hv_max, v_max)
    wall = time.perf_counter() - wall0
    s_arr = {k: np.asarray(v, dtype=np.float64) for k, v in series.items()}
    return SolverOutput(
        dx=dx, times_s=np.asarray(frame_t, np.float64),
        depth=np.stack(frames_h) if frames_h else np.zeros((0, ny, nx), np.float32),
        speed=np.stack(frames_v) if frames_v else np.zeros((0, ny, nx), np.float32),
        h_max=h_max, v_max=v_max, hv_max=hv_max, arrival_s=arrival, series=s_arr, final_qx=qx, final_qy=qy,
        steps=steps, wall_s=wall, backend="cpu" if gpu is None else gpu.describe(),
        cells=ny * nx)


def cuda_available() -> bool:
    """Whether the GPU path can run here (numba's CUDA target loads and finds a device)."""
    try:
        from sim.flood import gpu
    except Exception:  # numba built without its CUDA target, or no toolkit
        return False
    return gpu.available()


def _gpu_stepper(backend: str, h, z, n2, loss, patterns, kinds, values, stage, inflows, h_max, arrival, hv_max,
                 v_max, qx, qy, opts: dict):
    """The GPU stepper for ``backend`` ``cuda``/``auto`` (None for the CPU)."""
    if backend not in ("cpu", "cuda", "auto"):
        raise ValueError(f"backend {backend!r}: expected 'cpu', 'cuda' or 'auto'")
    if backend == "cpu" or (backend == "auto" and not cuda_available()):
        return None
    if not cuda_available():
        raise ValueError("backend 'cuda': numba finds no CUDA GPU (driver and toolkit); use backend 'cpu' or 'auto'")
    from sim.flood import gpu

    # the device kernels take no empty arrays: one dummy element where there are no inflows or stages
    inflows = tuple(a if a.size else np.zeros(1, a.dtype) for a in inflows)
    stage = tuple(a if a.size else np.zeros(1, a.dtype) for a in stage)
    return gpu.CudaStepper(h, z, n2, loss, patterns, kinds, values, stage, inflows, h_max, arrival, hv_max, v_max,
                           qx, qy, **opts)


def _grid_or_scalar(a: np.ndarray, shape: tuple[int, int], what: str) -> np.ndarray:
    """A per-cell float32 grid, or one (1, nx) row when the value is uniform (the kernels read
    it with row stride 0: less memory traffic, and the row loops stay contiguous)."""
    if a.ndim == 0 or a.size == 1:
        return np.full((1, shape[1]), float(a.reshape(-1)[0]), np.float32)
    if a.shape != shape:
        raise ValueError(f"{what}: grid of shape {a.shape} is not on the bed's grid {shape}")
    return np.ascontiguousarray(a, dtype=np.float32)


def _speed(h: np.ndarray, qx: np.ndarray, qy: np.ndarray, h_min: float) -> np.ndarray:
    """Cell speed (m/s) from the face discharges averaged to the centre, at most the Froude limit
    of the cell's depth (as :func:`sim.flood.kernels._track_row`)."""
    ux = 0.5 * (qx[:, :-1] + qx[:, 1:])
    uy = 0.5 * (qy[:-1, :] + qy[1:, :])
    hh = np.maximum(h, h_min)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(h > h_min, np.minimum(np.hypot(ux, uy) / hh, float(K.FROUDE_MAX) * np.sqrt(float(K.G) * hh)), 0.0)
    return v.astype(np.float32)
