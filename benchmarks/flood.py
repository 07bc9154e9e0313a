"""Benchmark: the local-inertial flood solver (numba) -- throughput, ANUGA side by side, big-city projection.

    .venv/bin/python benchmarks/flood.py [--quick] [--full-city] [--anuga-threads 2,1]

Method (all in one process; ``import twin`` comes first so that ``OMP_WAIT_POLICY=PASSIVE``
is set before any OpenMP runtime starts; numba kernels are compiled or loaded from their
cache by a warm-up call before anything is timed):

1. **Kernel throughput.** Synthetic 2000 x 2000 grid at 5 m (4 M cells): a gently sloping
   (0.05 % / 0.03 %), undulating bed (+-0.2 m), an initial depth of 0.3 m everywhere plus
   60 mm/h of rain, Manning n 0.035, free boundaries on all four edges, so every face carries
   flow. The solver picks its own CFL step; the duration is chosen for ~100 steps. One
   warm-up run of the same length (its last frame gives the wet share), then 3 timed runs;
   throughput = steps x cells / wall, wall = the solver's own loop timer
   (``SolverOutput.cell_updates_per_s``), median of 3. The fixed cost of a step (stepper,
   kernel launch) is the wall per step on a 32 x 32 grid. Also the sample city
   (``data_samples/chenzhou``) through ``sim.flood.run`` with the parameters of
   ``scenarios/flood_rainstorm.yaml`` (50-year 2-h Chicago storm + river inflow), but
   ``duration_s`` 1800 and ``warmup_s`` 0, at ``resolution_m`` 5 and 10 (one run each:
   ``result.out.cell_updates_per_s``, steps, and the median/mean time step).

2. **ANUGA side by side.** A flat 2 km x 1 km floodplain (after the UK Environment Agency
   2-D benchmark test 4: flood spreading over a flat floodplain from a point inflow),
   Manning n 0.05, all four edges closed (walls; ANUGA ``Reflective_boundary``), initially
   dry, a 20 m wide inflow at the middle of the west edge with the hydrograph
   0 -> 20 m3/s at 600 s, 20 m3/s to 2400 s, 5 m3/s at 3600 s (linear), 3600 s long
   (57,000 m3). Ours: 10 m cells (200 x 100 = 20,000 cells; the inflow shared by the two
   west-edge cells of the breach), theta 0.7, alpha 0.7, median of 3 runs; also 5 m cells
   (80,000 cells, as many as ANUGA has triangles). ANUGA (serial, no MPI; its OpenMP kernels
   given the thread count stated in the table): ``anuga.rectangular_cross_domain(200, 100,
   len1=2000, len2=1000)`` -- each 10 m square split into 4 triangles (80,000 triangles),
   default flow algorithm (DE0: second-order in space, forward Euler, CFL 0.9), ``friction``
   0.05, inflow by ``anuga.Inlet_operator`` on the polygon of the same two 10 m cells with
   ``Q(t)`` the same hydrograph, no SWW output; ``domain.evolve(yieldstep=30,
   finaltime=3600)``, one run per thread count. Its step count is the sum over yields of
   ``domain.number_of_steps`` (ANUGA resets it at every yield); throughput =
   triangles x steps / wall, wall = the evolve loop minus our own sampling at the yields.
   Ratio = our cell-updates/s / ANUGA's triangle-updates/s (per element update; ANUGA's
   elements are 4x smaller than our 10 m cells); the wall-time ratio for the same event is
   also given. Agreement: at every yield ANUGA's depth (stage - elevation, centroid values)
   is averaged over the 4 triangles of each 10 m square -- the square's centre, our cell
   centre, is the vertex they share, so this is the cell-average depth -- and its maximum
   kept; ours is ``h_max`` (tracked every 2 steps; the 5 m run is averaged over 2 x 2 blocks).
   RMSE of the maximum depth over cells wet (> 0.05 m) in either model, and the share of
   cells (all, and among those wet in either) whose flooded/dry status at 0.05 m agrees.

3. **Big-city projection.** The issue's target: a 6-hour storm over 290 km2 at 5 m
   (11.6 M cells) in under 15 minutes. Throughput measured on a 3400 x 3400 synthetic grid
   (11.56 M cells, the terrain of 1., ~30 steps, median of 3), the time step from the
   sample-city run at 5 m (median of the step sizes sampled every 60 s of simulated time;
   the mean step = duration / steps is shown too). Projected wall = 21600 s / dt x cells /
   throughput -- a projection, not a run. A cross-check runs the whole sample-city
   scenario at 10 m (its 1-h warm-up plus the full 3 h) and halves its mean step (the CFL
   step scales with dx at a given depth). ``--full-city`` also runs a 6-h Chicago storm
   (same formula, 360 min, peak at 0.4) on the 3400 x 3400 synthetic grid, dry start,
   and reports its actual wall time (tens of minutes here). Its undulating bed holds
   shallower water than a city with a river channel, so its step is longer and its wall
   time a lower bound for a real city of that size.

``--quick`` is a smoke run (smaller grids, short runs, one repetition, one ANUGA run of
600 s): its figures are not the benchmark's.
"""
from __future__ import annotations

import twin  # noqa: F401  (first: sets OMP_WAIT_POLICY=PASSIVE before OpenMP starts)

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from flood_cases import EDGES, synthetic_bed, synthetic_case  # noqa: E402  (benchmarks/, numpy only)
from sim.flood import solver
from sim.flood.solver import SERIAL_CELLS, Boundary, Inflow, Rain, simulate

ROOT = Path(__file__).resolve().parent.parent
CITY_TARGET_CELLS = 11.6e6
STORM_S = 6 * 3600.0
TARGET_WALL_S = 15 * 60.0


def say(*a) -> None:
    print(*a, flush=True)


# ---------------------------------------------------------------------------------------------
# 1. kernel throughput
# ---------------------------------------------------------------------------------------------

def run_synthetic(n: int, dx: float, steps: int, h0_m: float = 0.3, rain_mm_h: float = 60.0,
                  frame: bool = False):
    case = synthetic_case(solver, n, dx, steps, h0_m, rain_mm_h)
    z, dx = case.pop("z"), case.pop("dx")
    return simulate(z, dx, **case, output_times_s=[case["duration_s"]] if frame else (), track_every=2)


def bench_kernel(n: int, dx: float, steps: int, reps: int) -> dict:
    warm = run_synthetic(n, dx, steps, frame=True)
    wet = float(np.mean(warm.depth[-1] > 1e-3))
    rates, walls, nsteps = [], [], []
    for _ in range(reps):
        o = run_synthetic(n, dx, steps)
        rates.append(o.cell_updates_per_s)
        walls.append(o.wall_s)
        nsteps.append(o.steps)
    return dict(cells=n * n, steps=nsteps[-1], wall=statistics.median(walls), rate=statistics.median(rates),
                rates=rates, wet=wet, balance=warm.balance_error())



def kernel_section(title: str, n: int, steps: int, reps: int, say) -> dict:
    """Run :func:`bench_kernel` and print its common report lines."""
    say("")
    say(f"== {title}")
    k = bench_kernel(n, 5.0, steps, reps)
    say(f"   cells {k['cells']:,}  steps {k['steps']}  wall {k['wall']:.2f} s  wet share {k['wet']:.3f}  "
        f"-> {fmt_m(k['rate'])}cell-updates/s  (runs: {', '.join(fmt_m(r) for r in k['rates'])})")
    return k

def city_params(resolution_m: float, duration_s: float, warmup_s: float):
    import yaml

    from sim.flood.params import Params

    raw = yaml.safe_load((ROOT / "scenarios" / "flood_rainstorm.yaml").read_text())["params"]
    raw.update(resolution_m=resolution_m, duration_s=duration_s, warmup_s=warmup_s)
    return Params(**raw)


def bench_city(city, resolution_m: float, duration_s: float, warmup_s: float = 0.0) -> dict:
    import sim.flood

    p = city_params(resolution_m, duration_s, warmup_s)
    t0 = time.perf_counter()
    res = sim.flood.run(city, p)
    total = time.perf_counter() - t0
    o = res.out
    dts = o.series["dt_s"][1:]
    dts = dts[dts > 0]
    ny, nx = o.h_max.shape
    return dict(res=resolution_m, shape=(ny, nx), cells=o.cells, steps=o.steps, wall=o.wall_s,
                rate=o.cell_updates_per_s, total=total, dt_median=float(np.median(dts)),
                dt_mean=duration_s / o.steps, h_max=float(o.h_max.max()), balance=o.balance_error(),
                duration=duration_s, warmup=warmup_s)


# ---------------------------------------------------------------------------------------------
# 2. ANUGA side by side
# ---------------------------------------------------------------------------------------------

FP_L, FP_W = 2000.0, 1000.0           # floodplain, m (x east, y north)
FP_T = [0.0, 600.0, 2400.0, 3600.0]   # inflow hydrograph
FP_Q = [0.0, 20.0, 20.0, 5.0]
FP_N = 0.05
FP_BREACH = (490.0, 510.0)           # y range of the inflow on the west edge, m
WET = 0.05


def hydrograph(duration_s: float) -> tuple[list[float], list[float]]:
    """The hydrograph cut at ``duration_s`` (for --quick)."""
    t = [x for x in FP_T if x < duration_s] + [duration_s]
    return t, [float(np.interp(x, FP_T, FP_Q)) for x in t]


def inflow_volume(duration_s: float) -> float:
    t, q = hydrograph(duration_s)
    return float(np.trapezoid(q, t))


def ours_floodplain(dx: float, duration_s: float, reps: int) -> dict:
    nx, ny = int(round(FP_L / dx)), int(round(FP_W / dx))
    z = np.zeros((ny, nx), np.float32)
    # row i lies at y = (ny - i - 0.5) dx: rows whose centres fall inside the breach
    yc = (ny - np.arange(ny) - 0.5) * dx
    rows = np.nonzero((yc > FP_BREACH[0]) & (yc < FP_BREACH[1]))[0]
    t, q = hydrograph(duration_s)
    inflow = Inflow("breach", rows, np.zeros_like(rows), t, q)
    outs = []
    for _ in range(reps):
        outs.append(simulate(z, dx, manning=FP_N, duration_s=duration_s, inflows=[inflow], track_every=2))
    o = outs[-1]
    walls = [x.wall_s for x in outs]
    return dict(dx=dx, cells=o.cells, steps=o.steps, wall=statistics.median(walls), rows=rows,
                rate=statistics.median([x.cell_updates_per_s for x in outs]), h_max=o.h_max,
                balance=o.balance_error(), volume=float(o.series["stored_m3"][-1]))


@contextlib.contextmanager
def quiet():
    """Silence ANUGA's prints and warnings (Python level)."""
    buf = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        warnings.simplefilter("ignore")
        yield buf


def anuga_floodplain(dx: float, duration_s: float, threads: int, yieldstep: float = 30.0) -> dict:
    with quiet():
        import anuga

        nx, ny = int(round(FP_L / dx)), int(round(FP_W / dx))
        dom = anuga.rectangular_cross_domain(nx, ny, len1=FP_L, len2=FP_W)
        dom.set_store(False)
        dom.set_quantity("elevation", 0.0)
        dom.set_quantity("friction", FP_N)
        dom.set_quantity("stage", 0.0)
        wall = anuga.Reflective_boundary(dom)
        dom.set_boundary({"left": wall, "right": wall, "top": wall, "bottom": wall})
        t, q = hydrograph(duration_s)
        y0, y1 = FP_BREACH
        anuga.Inlet_operator(dom, [[0.0, y0], [dx, y0], [dx, y1], [0.0, y1]],
                             Q=lambda tt: float(np.interp(tt, t, q, left=0.0, right=0.0)))
        anuga.set_omp_num_threads(threads, verbose=False)  # Domain() resets it to $OMP_NUM_THREADS or 1
        algo = dom.get_flow_algorithm()
        method = dom.get_timestepping_method()
        cen = dom.centroid_coordinates
        col = np.clip(np.floor(cen[:, 0] / dx).astype(np.int64), 0, nx - 1)
        row = ny - 1 - np.clip(np.floor(cen[:, 1] / dx).astype(np.int64), 0, ny - 1)
        idx = row * nx + col
        per_cell = np.bincount(idx, minlength=nx * ny).astype(np.float64)
        assert per_cell.min() == per_cell.max() == 4
        stage = dom.quantities["stage"].centroid_values
        elev = dom.quantities["elevation"].centroid_values
        hmax = np.zeros(nx * ny)
        steps, sampling = 0, 0.0
        t0 = time.perf_counter()
        for _ in dom.evolve(yieldstep=yieldstep, finaltime=duration_s):
            a = time.perf_counter()
            steps += dom.number_of_steps  # steps since the previous yield
            d = np.bincount(idx, weights=stage - elev, minlength=nx * ny) / per_cell
            np.maximum(hmax, d, out=hmax)
            sampling += time.perf_counter() - a
        wall = time.perf_counter() - t0 - sampling
        vol = float(dom.get_water_volume())
        ntri = int(dom.number_of_elements)
    return dict(threads=threads, tri=ntri, steps=steps, wall=wall, rate=ntri * steps / wall,
                h_max=hmax.reshape(ny, nx), volume=vol, algo=algo, method=method, version=anuga.__version__)


def agreement(ours: np.ndarray, ref: np.ndarray) -> dict:
    if ours.shape != ref.shape:  # finer grid: average blocks onto the reference grid
        k = ours.shape[0] // ref.shape[0]
        ours = ours.reshape(ref.shape[0], k, ref.shape[1], k).mean(axis=(1, 3))
    wo, wr = ours > WET, ref > WET
    either = wo | wr
    same = wo == wr
    return dict(rmse=float(np.sqrt(np.mean((ours[either] - ref[either]) ** 2))) if either.any() else 0.0,
                bias=float(np.mean(ours[either] - ref[either])) if either.any() else 0.0,
                agree_all=float(same.mean()), agree_wet=float(same[either].mean()) if either.any() else 1.0,
                wet_ours=int(wo.sum()), wet_ref=int(wr.sum()), max_ours=float(ours.max()),
                max_ref=float(ref.max()))


# ---------------------------------------------------------------------------------------------
# 3. big city
# ---------------------------------------------------------------------------------------------

def full_city_run(n: int, dx: float) -> dict:
    from sim.flood.rain import chicago_hyetograph

    t, r = chicago_hyetograph(P=50, duration_min=360, r=0.4, A1=23.5, C=0.68, b=17.0, n=0.86, step_min=5)
    z = synthetic_bed(n, n, dx)
    o = simulate(z, dx, manning=0.035, duration_s=STORM_S, rain=Rain(list(t), list(r)), loss_mm_h=5.0,
                 boundaries={e: Boundary("free", slope=0.001) for e in EDGES}, track_every=2)
    return dict(cells=o.cells, steps=o.steps, wall=o.wall_s, rate=o.cell_updates_per_s,
                dt_mean=STORM_S / o.steps, h_max=float(o.h_max.max()))


# ---------------------------------------------------------------------------------------------

def fmt_m(x: float) -> str:
    return f"{x / 1e6:.1f} M"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run (figures not representative)")
    ap.add_argument("--full-city", action="store_true", help="also run a 6-h storm on 11.56 M synthetic cells (tens of minutes)")
    ap.add_argument("--anuga-threads", default=None,
                    help="comma-separated OpenMP thread counts for ANUGA (default 2,1; quick: 2)")
    args = ap.parse_args(argv)
    q = args.quick
    threads = [int(x) for x in (args.anuga_threads or ("2" if q else "2,1")).split(",")]

    import numba

    t_all = time.perf_counter()
    say(f"# flood benchmark ({'quick smoke run' if q else 'full'}), {time.strftime('%Y-%m-%d %H:%M')}")
    say(f"# machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; numba {numba.__version__}, "
        f"{numba.get_num_threads()} threads; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    # compile / load the kernels from cache
    run_synthetic(64, 5.0, 5)
    say(f"# numba threading layer: {numba.threading_layer()}")

    # ---- 1
    n1, steps1, reps = (1000, 30, 1) if q else (2000, 100, 3)
    k1 = kernel_section(f"1. kernel throughput: synthetic {n1} x {n1} at 5 m, all wet (h0 0.3 m + 60 mm/h rain), "
                        f"free edges, median of {reps}", n1, steps1, reps, say)
    say(f"   volume balance error {k1['balance']:.1e}")
    fixed = []
    for _ in range(reps):
        o = run_synthetic(32, 5.0, 400)
        fixed.append(o.wall_s / o.steps)
    say(f"   fixed cost per step (32 x 32 grid, {o.steps} steps, median of {reps}): {statistics.median(fixed) * 1e6:.0f} us "
        f"(compiled stepper, one fused sweep per step, on one thread below {SERIAL_CELLS:,} cells; "
        f"it bounds the throughput on small grids)")

    city = twin.load_city(ROOT / "data_samples" / "chenzhou")
    city_dur = 600.0 if q else 1800.0
    say(f"-- sample city (scenarios/flood_rainstorm.yaml, duration {city_dur:.0f} s, warm-up 0), sim.flood.run")
    say(f"   {'res':>5} {'grid':>11} {'cells':>9} {'steps':>6} {'solver s':>9} {'run s':>7} "
        f"{'Mcell-upd/s':>11} {'dt med':>7} {'dt mean':>7} {'h_max':>6}")
    cities = {}
    for res in ((10.0,) if q else (10.0, 5.0)):
        c = bench_city(city, res, city_dur)
        cities[res] = c
        say(f"   {res:4.0f}m {c['shape'][0]:>5}x{c['shape'][1]:<5} {c['cells']:>9,} {c['steps']:>6} "
            f"{c['wall']:>9.2f} {c['total']:>7.2f} {c['rate'] / 1e6:>11.1f} {c['dt_median']:>6.3f}s "
            f"{c['dt_mean']:>6.3f}s {c['h_max']:>5.2f}m")

    # ---- 2
    fp_dur = 600.0 if q else 3600.0
    reps2 = 1 if q else 3
    say("")
    say(f"== 2. ANUGA side by side: flat {FP_L / 1000:.0f} km x {FP_W / 1000:.0f} km floodplain, n {FP_N}, "
        f"closed edges, 20 m west-edge inflow (0->20 m3/s, {inflow_volume(fp_dur):,.0f} m3), {fp_dur:.0f} s")
    ours = {dx: ours_floodplain(dx, fp_dur, reps2) for dx in (10.0, 5.0)}
    anu = []
    for th in threads:
        try:
            anu.append(anuga_floodplain(10.0, fp_dur, th))
        except Exception as e:  # report exactly what failed
            say(f"   ANUGA ({th} threads) FAILED: {type(e).__name__}: {e}")
    say(f"   {'model':<44} {'elements':>9} {'steps':>6} {'wall s':>8} {'M elem-upd/s':>12} {'volume m3':>10}")
    for dx, o in ours.items():
        say(f"   {'ours local-inertial ' + f'{dx:.0f} m cells (median of {reps2})':<44} {o['cells']:>9,} "
            f"{o['steps']:>6} {o['wall']:>8.2f} {o['rate'] / 1e6:>12.1f} {o['volume']:>10,.0f}")
    for a in anu:
        label = f"ANUGA {a['version']} {a['algo']}/{a['method']}, 10 m x4 tri, {a['threads']} thr"
        say(f"   {label:<44} {a['tri']:>9,} {a['steps']:>6} {a['wall']:>8.2f} {a['rate'] / 1e6:>12.1f} {a['volume']:>10,.0f}")
    ratios = {}
    for a in anu:
        for dx, o in ours.items():
            r = o["rate"] / a["rate"]
            ratios[(a["threads"], dx)] = r
            say(f"   ratio ours {dx:.0f} m / ANUGA {a['threads']} thr: throughput {r:.1f}x "
                f"(target >= 20x), wall time for the same event {a['wall'] / o['wall']:.0f}x")
    agr = {}
    if anu:
        ref = anu[0]
        say(f"   max-depth agreement vs ANUGA ({ref['threads']} thr), on the 10 m cells, wet = h_max > {WET} m:")
        say(f"   {'ours':>6} {'RMSE m':>7} {'bias m':>7} {'agree all':>9} {'agree wet':>9} {'wet ours':>8} "
            f"{'wet ANUGA':>9} {'max ours':>8} {'max ANUGA':>9}")
        for dx, o in ours.items():
            g = agreement(o["h_max"], ref["h_max"])
            agr[dx] = g
            say(f"   {dx:>5.0f}m {g['rmse']:>7.3f} {g['bias']:>+7.3f} {g['agree_all']:>9.3f} {g['agree_wet']:>9.3f} "
                f"{g['wet_ours']:>8} {g['wet_ref']:>9} {g['max_ours']:>8.3f} {g['max_ref']:>9.3f}")
        for dx, o in ours.items():
            hm = o["h_max"]
            say(f"   ours {dx:.0f} m: h_max at the inflow cells {hm[o['rows'], 0].max():.3f} m, next column "
                f"{hm[o['rows'], 1].max():.3f} m")
        if len(anu) > 1:
            g = agreement(anu[1]["h_max"], ref["h_max"])
            say(f"   (ANUGA {anu[1]['threads']} thr vs {ref['threads']} thr: RMSE {g['rmse']:.1e} m)")

    # ---- 3
    n3, steps3, reps3 = (3400, 8, 1) if q else (3400, 30, 3)
    k3 = kernel_section(f"3. big city: throughput on {n3} x {n3} = {n3 * n3 / 1e6:.2f} M cells (synthetic, as in 1.), "
                        f"median of {reps3}", n3, steps3, reps3, say)
    base = cities.get(5.0) or cities[10.0]
    dt_med = base["dt_median"] if base["res"] == 5.0 else base["dt_median"] / 2
    dt_mean = base["dt_mean"] if base["res"] == 5.0 else base["dt_mean"] / 2
    proj_med = STORM_S / dt_med * CITY_TARGET_CELLS / k3["rate"]
    proj_mean = STORM_S / dt_mean * CITY_TARGET_CELLS / k3["rate"]
    src = f"sample city {base['res']:.0f} m, first {base['duration']:.0f} s" + ("" if base["res"] == 5.0 else ", halved")
    say(f"   PROJECTION (not a run): 6 h = {STORM_S:.0f} s / dt x {CITY_TARGET_CELLS / 1e6:.1f} M cells / "
        f"{fmt_m(k3['rate'])}cell-updates/s")
    say(f"     dt median {dt_med:.3f} s ({src}): {STORM_S / dt_med:,.0f} steps -> {proj_med / 60:.0f} min "
        f"(target 15 min: {'met' if proj_med <= TARGET_WALL_S else 'NOT met'}, needs "
        f"{STORM_S / dt_med * CITY_TARGET_CELLS / TARGET_WALL_S / 1e6:.0f} M cell-updates/s)")
    say(f"     dt mean   {dt_mean:.3f} s (same run, duration / steps): {proj_mean / 60:.0f} min")
    full_storm = None
    if not q:
        full_storm = bench_city(city, 10.0, 10800.0, warmup_s=3600.0)
        dt_fs = full_storm["dt_mean"] / 2
        proj_fs = STORM_S / dt_fs * CITY_TARGET_CELLS / k3["rate"]
        say(f"     cross-check: whole scenario at 10 m (1 h warm-up + 3 h): {full_storm['steps']} steps, mean dt "
            f"{full_storm['dt_mean']:.3f} s, median {full_storm['dt_median']:.3f} s, h_max {full_storm['h_max']:.2f} m, "
            f"{full_storm['rate'] / 1e6:.1f} M cell-updates/s; mean dt / 2 = {dt_fs:.3f} s -> {proj_fs / 60:.0f} min")
    fc = None
    if args.full_city:
        say(f"   --full-city: 6-h 50-yr Chicago storm (r 0.4), 5 mm/h losses, {n3} x {n3} synthetic, dry start ...")
        fc = full_city_run(n3, 5.0)
        say(f"   FULL RUN: {fc['cells']:,} cells, {fc['steps']:,} steps (mean dt {fc['dt_mean']:.3f} s), "
            f"wall {fc['wall'] / 60:.1f} min, {fmt_m(fc['rate'])}cell-updates/s, h_max {fc['h_max']:.2f} m")

    total = time.perf_counter() - t_all
    say("")
    say(f"# total benchmark time {total / 60:.1f} min; load average now {os.getloadavg()[0]:.2f}")

    # ---- summary for BENCHMARKS.md
    say("")
    say("---- summary (BENCHMARKS.md) ----")
    say(f"## Flood solver (`benchmarks/flood.py`{' --quick' if q else ''})")
    say(f"Local-inertial solver (numba, {numba.get_num_threads()} threads), {time.strftime('%Y-%m-%d')}; "
        f"medians of {reps} runs unless noted; fixed cost {statistics.median(fixed) * 1e6:.0f} µs per step.")
    say("")
    say("| case | cells | steps | throughput |")
    say("| --- | --- | --- | --- |")
    say(f"| synthetic {n1}², 5 m, all wet, rain, free edges | {k1['cells'] / 1e6:.2f} M | {k1['steps']} | "
        f"{fmt_m(k1['rate'])}cell-updates/s |")
    for res, c in cities.items():
        say(f"| sample city {res:.0f} m, rainstorm {c['duration']:.0f} s (`sim.flood.run`, 1 run) | "
            f"{c['cells'] / 1e6:.2f} M | {c['steps']} | {fmt_m(c['rate'])}cell-updates/s (dt median {c['dt_median']:.2f} s) |")
    say(f"| synthetic {n3}², 5 m | {k3['cells'] / 1e6:.2f} M | {k3['steps']} | {fmt_m(k3['rate'])}cell-updates/s |")
    say("")
    if anu:
        say(f"ANUGA {anu[0]['version']} ({anu[0]['algo']}, rectangular_cross: 4 triangles per 10 m square) on a flat "
            f"2 × 1 km floodplain, n {FP_N}, closed edges, 20 m inflow up to 20 m³/s, {fp_dur:.0f} s:")
        say("")
        say("| model | elements | steps | wall | throughput |")
        say("| --- | --- | --- | --- | --- |")
        for dx, o in ours.items():
            say(f"| ours, {dx:.0f} m cells | {o['cells']:,} | {o['steps']} | {o['wall']:.2f} s | "
                f"{fmt_m(o['rate'])}cell-updates/s |")
        for a in anu:
            say(f"| ANUGA, {a['threads']} OpenMP thread{'s' if a['threads'] > 1 else ''} | {a['tri']:,} triangles | "
                f"{a['steps']} | {a['wall']:.1f} s | {fmt_m(a['rate'])}triangle-updates/s |")
        say("")
        a0 = anu[0]
        say(f"Throughput ratio ours / ANUGA ({a0['threads']} threads): "
            f"{ratios[(a0['threads'], 10.0)]:.1f}× (10 m), {ratios[(a0['threads'], 5.0)]:.1f}× (5 m); target ≥ 20×. "
            f"Same event wall time: {a0['wall'] / ours[10.0]['wall']:.0f}× (10 m) and "
            f"{a0['wall'] / ours[5.0]['wall']:.0f}× (5 m) faster.")
        if 10.0 in agr:
            g = agr[10.0]
            say(f"Max depth vs ANUGA (10 m cells): RMSE {g['rmse'] * 100:.1f} cm over cells wet in either, "
                f"flooded/dry (> {WET} m) agrees on {g['agree_all'] * 100:.1f} % of all cells, "
                f"{g['agree_wet'] * 100:.1f} % of cells wet in either; peak {g['max_ours']:.2f} m vs {g['max_ref']:.2f} m.")
        say("")
    else:
        say("ANUGA: failed (see above).")
    line = (f"Big city (PROJECTION, not a run): 6 h over {CITY_TARGET_CELLS / 1e6:.1f} M cells at "
            f"{fmt_m(k3['rate'])}cell-updates/s with dt {dt_med:.2f} s ({src}) = {proj_med / 60:.0f} min "
            f"(target 15 min)")
    if full_storm is not None:
        line += f"; with the whole-storm 10 m mean dt halved ({full_storm['dt_mean'] / 2:.2f} s): {proj_fs / 60:.0f} min"
    say(line + ".")
    if fc is not None:
        say(f"Big city (RUN, synthetic {n3}², 6-h storm): {fc['wall'] / 60:.1f} min, {fc['steps']:,} steps.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
