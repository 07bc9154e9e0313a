"""Benchmark: the flood solver's optional GPU path (numba.cuda) against its CPU kernels, and the
issue's big-city target (a 6-hour storm over 11.6 M cells at 5 m in under 15 minutes).

    # here (full stack): write the sample city's solver inputs at 5 m
    .venv/bin/python benchmarks/flood_gpu.py --export .gpu/city5m.npz
    # on a machine with a CUDA GPU (needs only numpy, numba and numba's CUDA target)
    python3 benchmarks/flood_gpu.py --city .gpu/city5m.npz --out DIR [--budget-s 420]

Method (one process; every kernel compiled by a warm-up call before anything is timed; the
solver's own loop timer ``SolverOutput.wall_s`` is the wall, so uploads before the loop and the
final download are outside it, but the frames and volume series inside it count):

0. **Agreement, small.** A 60 x 80 grid at 5 m: tilted, rough bed, non-uniform Manning n,
   rain (two blocks), a two-cell inflow, losses, the four boundary kinds (free, fixed level with
   a stage hydrograph, closed, free), 600 s. CPU (``backend="cpu"``) and GPU (``"cuda"``):
   the largest difference of depth, maximum depth and arrival, and both balance errors.
1. **The 6-h storm over 11.6 M cells.** The sample city's solver inputs at 5 m (``--export``:
   bed with buildings as blocks, Manning n and loss grids, the roof-to-ground rain pattern, the
   river's inflow cells; ``scenarios/flood_rainstorm.yaml``), mirror-tiled (the city, its mirror
   image east, both mirrored south, repeated) to 3400 x 3400 cells = 11.56 M cells = 289 km2.
   The 50-year Chicago storm of the scenario's formula over 360 min (peak at 0.4), the river
   inflow of the scenario at its one entry (its last value held to 6 h), free edges, dry start;
   GPU, one run, frames every 3600 s and volumes every 60 s as a real run writes them.
   Reported: wall, steps, mean and median step, cell-updates/s, balance error, largest depth,
   flooded area; the maximum-depth grid comes back decimated 4 x 4 for a picture.
2. **Sample city, CPU and GPU.** The exported city (not tiled) at 5 m, the scenario's 2-h storm,
   1800 s from dry, on the CPU kernels (all the machine's cores) and on the GPU: wall,
   throughput, and the maximum depth's agreement (RMSE over cells wet > 0.05 m in either,
   largest difference, flooded/dry agreement at 0.05 m).
3. **Throughput.** The synthetic 2000 x 2000 and 3400 x 3400 grids of ``benchmarks/flood.py``
   (all wet, rain, free edges, ~100 steps): GPU median of 3, CPU one run on the same machine;
   the fixed cost of a GPU step from a 64 x 64 grid (2000 steps).
4., 5. **The 6-h storm again** in each stepping mode alone.
6. **Register cap of the persistent kernel** (64, 96, 128) against the four launches: the tiled
   city under the formula's 1-h storm for 3600 s, and the sample city for 1800 s.

GPU stepping modes (:data:`sim.flood.gpu.MODE`): ``persistent`` (one cooperative launch per
run of steps), ``launches`` (four kernel launches a step, in batches between reads of the
scalars) and ``auto`` (the default: each timed after its compiling call, then the faster).
Sections run in the order 1, 0, 2, 3, 4, 5 and are skipped when less than their estimate remains of
``--budget-s``; each writes its figures into ``DIR/flood_gpu.json`` as it ends.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import traceback
import types
import warnings
from pathlib import Path

import numpy as np

from flood_cases import EDGES, synthetic_case  # benchmarks/, numpy only

ROOT = Path(__file__).resolve().parent.parent
STORM_S = 6 * 3600.0
BIG = 3400  # cells a side of the 11.56 M-cell grid
WET = 0.05


def say(*a) -> None:
    print(*a, flush=True)


def bare_import():
    """Import ``sim.flood.solver`` without running ``sim/__init__`` (which loads every simulation
    and the GIS stack): the GPU machine has numpy and numba only."""
    for name, path in (("sim", ROOT / "sim"), ("sim.flood", ROOT / "sim" / "flood")):
        if name not in sys.modules:
            m = types.ModuleType(name)
            m.__path__ = [str(path)]
            sys.modules[name] = m
    from sim.flood import solver

    return solver


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------

def export(path: Path) -> None:
    """Capture the arguments ``sim.flood.run`` gives the solver for the rainstorm scenario at 5 m
    and save them (needs the full stack: run here, not on the GPU machine)."""
    import yaml

    import sim.flood.model as fm
    import twin
    from sim.flood.params import Params

    raw = yaml.safe_load((ROOT / "scenarios" / "flood_rainstorm.yaml").read_text())["params"]
    raw.update(resolution_m=5.0, duration_s=60.0, warmup_s=0.0)
    got = {}

    class Captured(Exception):
        pass

    def capture(z, dx, **kw):
        got.update(z=z, dx=dx, **kw)
        raise Captured

    real = fm.simulate
    fm.simulate = capture
    try:
        fm._simulate(twin.load_city(ROOT / "data_samples" / "chenzhou"), Params(**raw), False)
    except Captured:
        pass
    finally:
        fm.simulate = real
    rain, (inflow,) = got["rain"], got["inflows"]
    b = got["boundaries"]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, z=got["z"], dx=got["dx"], manning=np.asarray(got["manning"], np.float32),
        loss_mm_h=np.asarray(got["loss_mm_h"], np.float32), pattern=rain.pattern.astype(np.float32),
        rain_t=np.asarray(rain.times_s), rain_r=np.asarray(rain.rate_mm_h), inf_rows=inflow.rows,
        inf_cols=inflow.cols, inf_t=np.asarray(inflow.times_s), inf_q=np.asarray(inflow.q_m3_s),
        edges=np.array([b[e].kind for e in EDGES]), slopes=np.array([b[e].slope for e in EDGES]),
        theta=got["theta"], alpha=got["alpha"], dt_max=got["dt_max"], wet_depth=got["wet_depth"])
    say(f"wrote {path}: grid {got['z'].shape}, dx {got['dx']} m")


def mirror_tile(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``a`` and its mirror images (east, south, south-east) repeated to fill ``shape``: the
    terrain stays continuous across every seam."""
    quad = np.block([[a, a[:, ::-1]], [a[::-1, :], a[::-1, ::-1]]])
    reps = (-(-shape[0] // quad.shape[0]), -(-shape[1] // quad.shape[1]))
    return np.ascontiguousarray(np.tile(quad, reps)[:shape[0], :shape[1]])


def city_case(npz: Path, shape: tuple[int, int] | None, storm_min: float | None, duration_s: float, S) -> dict:
    """The solver arguments of the exported city (tiled to ``shape`` if given); ``storm_min``:
    a Chicago storm of that length with the scenario's formula instead of the scenario's storm."""
    d = np.load(npz)
    grids = {k: d[k] for k in ("z", "manning", "loss_mm_h", "pattern")}
    if shape is not None:
        grids = {k: mirror_tile(v, shape) for k, v in grids.items()}
    if storm_min is None:
        rain = S.Rain(list(d["rain_t"]), list(d["rain_r"]), pattern=grids["pattern"])
    else:
        from sim.flood.rain import chicago_hyetograph

        t, r = chicago_hyetograph(P=50, duration_min=storm_min, r=0.4, A1=23.5, C=0.68, b=17.0, n=0.86, step_min=5)
        rain = S.Rain(list(t), list(r), pattern=grids["pattern"])
    it, iq = list(d["inf_t"]), list(d["inf_q"])
    if it[-1] < duration_s:
        it, iq = it + [duration_s], iq + [iq[-1]]
    rows, cols = d["inf_rows"], d["inf_cols"]
    inside = (rows < grids["z"].shape[0]) & (cols < grids["z"].shape[1])  # a crop may leave the river out
    inflows = [S.Inflow("river", rows[inside], cols[inside], it, iq)] if inside.any() else []
    bounds = {e: S.Boundary(str(k), slope=float(s)) for e, k, s in zip(EDGES, d["edges"], d["slopes"])}
    return dict(z=grids["z"], dx=float(d["dx"]), manning=grids["manning"], loss_mm_h=grids["loss_mm_h"], rain=rain,
                inflows=inflows, boundaries=bounds, theta=float(d["theta"]), alpha=float(d["alpha"]),
                dt_max=float(d["dt_max"]), wet_depth=float(d["wet_depth"]), duration_s=duration_s)


def run_case(S, case: dict, backend: str, mode: str = "auto", **kw):
    """``backend`` cpu or cuda; ``mode`` the GPU's stepping (auto, persistent or launches)."""
    from sim.flood import gpu

    gpu.MODE = mode
    c = dict(case)
    z, dx = c.pop("z"), c.pop("dx")
    return S.simulate(z, dx, backend=backend, **c, **kw)


def small_case(S, ny: int = 60, nx: int = 80, duration_s: float = 600.0) -> dict:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:ny, 0:nx]
    z = (0.004 * x + 0.002 * y + 0.15 * rng.random((ny, nx))).astype(np.float32)
    man = (0.03 + 0.03 * rng.random((ny, nx))).astype(np.float32)
    return dict(z=z, dx=5.0, manning=man, duration_s=duration_s, rain=S.Rain([0.0, 200.0, 400.0], [80.0, 20.0]),
                inflows=[S.Inflow("a", np.array([ny // 2, ny // 2 + 1]), np.array([nx // 2] * 2), [0, duration_s],
                                  [1.0, 3.0])],
                loss_mm_h=5.0,
                boundaries={"west": S.Boundary("free", slope=0.002),
                            "east": S.Boundary("level", level_times_s=[0, duration_s], level_series_m=[0.5, 0.8]),
                            "north": S.Boundary("closed"), "south": S.Boundary("free", slope=0.01)})


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    wet = (a > WET) | (b > WET)
    return dict(rmse_wet_m=float(np.sqrt(np.mean((a[wet] - b[wet]) ** 2))) if wet.any() else 0.0,
                max_abs_m=float(np.abs(a - b).max()), status_agree=float(np.mean((a > WET) == (b > WET))),
                wet_cells=int(wet.sum()))


def out_figures(o, duration_s: float) -> dict:
    dts = o.series["dt_s"][1:]
    dts = dts[dts > 0]
    return dict(backend=o.backend, cells=o.cells, steps=o.steps, wall_s=o.wall_s, rate=o.cell_updates_per_s,
                dt_mean_s=duration_s / max(o.steps, 1), dt_median_s=float(np.median(dts)) if dts.size else None,
                balance=o.balance_error(), h_max_m=float(o.h_max.max()),
                flooded_km2=float(np.count_nonzero(o.h_max > 0.15)) * o.dx * o.dx / 1e6)


# ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--export", type=Path, help="write the sample city's solver inputs here and stop")
    ap.add_argument("--city", type=Path, default=ROOT / ".gpu" / "city5m.npz")
    ap.add_argument("--out", type=Path, default=Path("out/flood_gpu"))
    ap.add_argument("--budget-s", type=float, default=420.0, help="skip sections that would end past this")
    ap.add_argument("--big", type=int, default=BIG, help="cells a side of the tiled city (3400: 11.56 M)")
    ap.add_argument("--storm-s", type=float, default=STORM_S)
    ap.add_argument("--only", default="0123456", help="sections to run")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny grids and runs, to check the script (e.g. in numba's CUDA simulator); figures meaningless")
    args = ap.parse_args(argv)
    if args.export:
        export(args.export)
        return 0
    t_start = time.perf_counter()
    warnings.filterwarnings("ignore", message=".*(occupancy|Grid size|under-utilization).*")
    S = bare_import()
    from numba import cuda

    import numba
    from sim.flood import gpu

    sm = args.smoke
    if sm:
        gpu.RED_THREADS, gpu.FACE_BLOCK = 16, (8, 4)
        args.big, args.storm_s = 40, 20.0

    args.out.mkdir(parents=True, exist_ok=True)
    res: dict = {"numba": numba.__version__, "threads": numba.get_num_threads(),
                 "cuda_sim": os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"}
    try:
        import importlib.metadata as md

        res["numba_cuda"] = md.version("numba-cuda")
    except Exception:
        pass
    try:
        dev = cuda.get_current_device()
        res["gpu"] = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    except Exception as e:
        res["gpu"] = f"none ({e})"
    res["gpu_available"] = gpu.available()
    say(json.dumps(res))

    def save():
        tmp = args.out / "flood_gpu.json.partial"
        tmp.write_text(json.dumps(res, indent=1, default=float))
        tmp.replace(args.out / "flood_gpu.json")

    def left() -> float:
        return args.budget_s - (time.perf_counter() - t_start)

    def section(key: str, need_s: float, fn):
        if key[0] not in args.only:
            return
        if left() < need_s:
            res[key] = f"skipped: {left():.0f} s left, needs ~{need_s:.0f}"
            say(f"[{key}] {res[key]}")
            save()
            return
        t0 = time.perf_counter()
        try:
            res[key] = fn()
        except Exception as e:
            res[key] = f"failed: {type(e).__name__}: {e}"
            traceback.print_exc()
        say(f"[{key}] {time.perf_counter() - t0:.1f} s: {json.dumps(res[key], default=float)}")
        save()

    def s0():
        case = small_case(S, 12, 16, 60.0) if sm else small_case(S)
        kw = dict(output_times_s=[30.0, 60.0] if sm else [300.0, 600.0])
        a = run_case(S, case, "cpu", **kw)
        out = dict(h_max_m=float(a.h_max.max()), balance_cpu=a.balance_error())
        for mode in ("auto", "persistent", "launches"):
            b = run_case(S, case, "cuda", mode, **kw)
            fin = np.isfinite(a.arrival_s) & np.isfinite(b.arrival_s)
            out[mode] = dict(backend=b.backend, steps=(a.steps, b.steps),
                             depth_max_abs_m=float(np.abs(a.depth - b.depth).max()),
                             h_max_max_abs_m=float(np.abs(a.h_max - b.h_max).max()),
                             arrival_max_abs_s=float(np.abs(a.arrival_s[fin] - b.arrival_s[fin]).max()),
                             arrival_same_cells=bool((np.isfinite(a.arrival_s) == np.isfinite(b.arrival_s)).all()),
                             balance_gpu=b.balance_error())
        return out

    def s1(mode="auto"):
        # warm-up: compile everything on a small tile of the same city
        warm = city_case(args.city, (32, 32), None, 10.0, S)
        run_case(S, warm, "cuda")
        case = city_case(args.city, (args.big, args.big), args.storm_s / 60.0, args.storm_s, S)
        say(f"   tiled city {case['z'].shape}, {case['z'].size / 1e6:.2f} M cells, storm {args.storm_s:.0f} s")
        t0, seen = time.perf_counter(), [0]

        def tick(frac):
            if frac >= (seen[0] + 1) / 10:
                seen[0] = int(frac * 10)
                say(f"   {frac:4.0%} simulated after {time.perf_counter() - t0:6.1f} s")

        o = run_case(S, case, "cuda", mode, output_times_s=list(np.arange(0.0, args.storm_s + 1, 3600.0)),
                     progress=tick)
        f = out_figures(o, args.storm_s)
        f["target_wall_s"] = 900.0
        f["stored_end_m3"] = float(o.series["stored_m3"][-1])
        f["rain_m3"] = float(o.series["rain_m3"][-1])
        if mode == "auto":
            np.savez_compressed(args.out / "big_hmax_4x4.npz", h_max=o.h_max[::4, ::4].astype(np.float16))
        return f

    def s2():
        dur = 10.0 if sm else 1800.0
        case = city_case(args.city, (40, 40) if sm else None, None, dur, S)
        a = run_case(S, case, "cpu")  # compile (numba cache) and warm
        a = run_case(S, case, "cpu")
        out = dict(cpu=out_figures(a, dur))
        for mode in ("auto", "persistent", "launches"):
            run_case(S, case, "cuda", mode)  # compile
            b = run_case(S, case, "cuda", mode)
            out[mode] = dict(out_figures(b, dur), ratio=b.cell_updates_per_s / a.cell_updates_per_s,
                             agreement=agreement(a.h_max, b.h_max))
        return out

    def s3():
        out = {}
        for n in (24, 32) if sm else (2000, BIG):
            case = synthetic_case(S, n, steps=4 if sm else 100)
            c = run_case(S, case, "cpu")
            row = dict(steps=c.steps, cpu_rate=c.cell_updates_per_s)
            for mode in ("auto", "persistent", "launches"):
                run_case(S, case, "cuda", mode)
                g = [run_case(S, case, "cuda", mode) for _ in range(3)]
                rate = statistics.median(o.cell_updates_per_s for o in g)
                row[mode] = dict(backend=g[0].backend, rates=[o.cell_updates_per_s for o in g], rate=rate,
                                 ratio=rate / c.cell_updates_per_s, max_abs_m=float(np.abs(g[0].h_max - c.h_max).max()))
            out[f"{n}"] = row
        small = synthetic_case(S, 16 if sm else 64, steps=5 if sm else 2000)
        for mode in ("auto", "persistent", "launches"):
            run_case(S, small, "cuda", mode)
            o = run_case(S, small, "cuda", mode)
            out[f"fixed_us_per_step_{mode}"] = o.wall_s / o.steps * 1e6
        return out

    section("1_big_storm", 120, s1)
    section("0_agreement_small", 60, s0)
    section("2_sample_city", 90, s2)
    section("3_throughput", 60, s3)
    section("4_big_storm_persistent", 90, lambda: s1("persistent"))
    section("5_big_storm_launches", 90, lambda: s1("launches"))

    def s6():
        """The persistent kernel's register cap against the four launches: the tiled city under
        the 1-h storm of the formula, 3600 s, and the sample city, 1800 s."""
        from numba import cuda as c

        big = city_case(args.city, (args.big, args.big), 60.0, 60.0 if sm else 3600.0, S)
        city = city_case(args.city, (24, 24) if sm else None, None, 20.0 if sm else 1800.0, S)
        py = gpu._steps.py_func
        out = {}
        for regs in (64, 96, 128, None):
            row = {}
            if regs is not None:
                gpu._steps = c.jit(**({} if sm else {"max_registers": regs}))(py)
            for name, case in (("big_1h", big), ("city_1800s", city)):
                mode = "launches" if regs is None else "persistent"
                run_case(S, dict(case, duration_s=30.0), "cuda", mode)  # compile
                o = run_case(S, case, "cuda", mode)
                row[name] = dict(backend=o.backend, steps=o.steps, wall_s=o.wall_s, us_per_step=1e6 * o.wall_s / o.steps)
            out["launches" if regs is None else f"persistent_{regs}"] = row
        return out

    section("6_registers", 60, s6)
    res["total_s"] = time.perf_counter() - t_start
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
