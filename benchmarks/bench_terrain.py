"""Throughput of terrain hydrology on a synthetic DEM.

    python benchmarks/bench_terrain.py [--size 2000] [--runs 5]

Prints cells/s (median of ``--runs`` timed runs after one warm-up call that
loads or compiles the numba kernels) for depression filling, D8 directions
and flow accumulation.  When richdem or scikit-image is installed, their
depression filling is timed too and checked for identical output.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from affine import Affine
from scipy import ndimage

from terrain import Raster, fill_depressions, flow_accumulation, flow_direction_d8


def synthetic_dem(n: int, seed: int = 0) -> Raster:
    """Fractal-ish noise (octaves of smoothed random fields), carved valleys and pits; 5 m cells."""
    rng = np.random.default_rng(seed)
    z = np.zeros((n, n))
    for octave in range(2, 9):
        k = 2 ** octave
        coarse = rng.normal(size=(k + 1, k + 1))
        z += ndimage.zoom(coarse, n / (k + 1), order=1, grid_mode=True, mode="nearest")[:n, :n] * 40.0 / 1.8 ** octave
    yy, xx = np.mgrid[0:n, 0:n] / n
    z += 30.0 * (xx + 0.5 * yy)  # regional tilt
    for _ in range(4):  # sinuous valleys
        a, f, p = rng.uniform(0.05, 0.2), rng.uniform(2, 6), rng.uniform(0, 2 * np.pi)
        c = rng.uniform(0.2, 0.8)
        d = np.abs(yy - (c + a * np.sin(2 * np.pi * f * xx + p)))
        z -= 15.0 * np.exp(-((d / 0.01) ** 2))
    pits = rng.integers(0, n, (200, 2))
    z[pits[:, 0], pits[:, 1]] -= 20.0
    return Raster(z, Affine(5.0, 0, 500000.0, 0, -5.0, 2500000.0 + 5.0 * n), "EPSG:4547")


def timeit(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    out = fn()  # warm-up: numba cache load / compile
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    dem = synthetic_dem(args.size)
    n = dem.data.size
    print(f"synthetic DEM {dem.shape[0]}x{dem.shape[1]} = {n / 1e6:.1f} Mcells, median of {args.runs} runs")

    def report(name: str, sec: float) -> None:
        print(f"  {name:<34s} {sec * 1e3:8.1f} ms  {n / sec / 1e6:7.2f} Mcells/s")

    sec, filled = timeit(lambda: fill_depressions(dem), args.runs)
    report("fill_depressions (epsilon=0)", sec)
    depth = filled.data - dem.data
    print(f"    {np.count_nonzero(depth):,} cells raised, max depth {depth.max():.2f} m")
    sec, _ = timeit(lambda: fill_depressions(dem, epsilon=1e-4), args.runs)
    report("fill_depressions (epsilon=1e-4)", sec)
    sec, fdir = timeit(lambda: flow_direction_d8(dem), args.runs)
    report("flow_direction_d8 (conditioned)", sec)
    sec, acc = timeit(lambda: flow_accumulation(fdir), args.runs)
    report("flow_accumulation", sec)
    print(f"    max accumulation {np.nanmax(acc):,.0f} cells")

    z = dem.data
    try:
        import richdem as rd  # type: ignore[import-not-found]
    except ImportError:
        print("  richdem not installed: reference comparison skipped")
    else:
        def rd_fill() -> np.ndarray:
            a = rd.rdarray(z.copy(), no_data=-9999.0)
            return np.asarray(rd.FillDepressions(a, epsilon=False, in_place=False))
        sec, ref = timeit(rd_fill, args.runs)
        report("richdem.FillDepressions", sec)
        print(f"    identical to fill_depressions: {np.array_equal(ref, filled.data)}")
    try:
        from skimage.morphology import reconstruction  # type: ignore[import-not-found]
    except ImportError:
        print("  scikit-image not installed: reconstruction comparison skipped")
    else:
        def sk_fill() -> np.ndarray:
            seed = z.copy()
            seed[1:-1, 1:-1] = z.max()
            return reconstruction(seed, z, method="erosion", footprint=np.ones((3, 3)))
        sec, ref = timeit(sk_fill, args.runs)
        report("skimage reconstruction (erosion)", sec)
        print(f"    identical to fill_depressions: {np.array_equal(ref, filled.data)}")


if __name__ == "__main__":
    main()
