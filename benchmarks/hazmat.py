"""Throughput of the hazmat Gaussian kernels (sim/hazmat/kernels.py).

Prints one line per figure: median (of REPEATS runs after a warm-up) receptor evaluations
per second for plume_conc, puff_conc and exceedance_count, and the wall time of a
1,000-member ensemble over a 10 km x 10 km grid at 20 m (250,000 receptors), the kernel
alone and through ``exceedance_probability`` in this process and in two local processes.

Scenario: a ground-level chlorine-like release of 10 kg/s at the grid centre, threshold
5.8e-6 kg/m^3 (about 2 ppm Cl2, the AEGL-2 60-min value); members draw wind from 240-300
deg at 1-8 m/s, classes A-F and mixing heights 200-2000 m.

Usage: ``python benchmarks/hazmat.py [--members 1000] [--repeats 5]``.
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np

from sim.hazmat.kernels import exceedance_count, plume_conc, puff_conc
from sim.hazmat.sigmas import SCHEME_PG_RURAL

THRESHOLD_KG_M3 = 5.8e-6
Q_KG_S = 10.0


def _grid(extent_m: float = 10_000.0, res_m: float = 20.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = np.arange(res_m / 2, extent_m, res_m) - extent_m / 2
    gx, gy = np.meshgrid(c, c)
    return gx.ravel(), gy.ravel(), np.full(gx.size, 1.5)


def _median_time(fn: Callable[[], None], repeats: int) -> float:
    fn()  # warm-up (JIT compile / cache load)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _members(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(1.0, 8.0, n), rng.uniform(240.0, 300.0, n),
            rng.integers(0, 6, n).astype(float), rng.uniform(200.0, 2000.0, n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    xr, yr, zr = _grid()
    n = xr.size
    out = np.zeros(n)
    p = np.array([3.0])

    t = _median_time(lambda: plume_conc(xr, yr, zr, 0.0, 0.0, 0.0, Q_KG_S, 4.0, 270.0,
                                        SCHEME_PG_RURAL, p, 1000.0, out), a.repeats)
    print(f"plume_conc: {n / t:.3e} receptor evaluations/s ({n} receptors, class D, lid 1000 m)")

    npf = 200
    pdist = np.linspace(25.0, 5000.0, npf)  # a 200-puff trail from a 270 deg wind
    px, py = pdist.copy(), 0.0 * pdist
    ph, pm = np.zeros(npf), np.full(npf, 50.0)
    t = _median_time(lambda: puff_conc(xr, yr, zr, px, py, ph, pm, pdist, SCHEME_PG_RURAL, p,
                                       1000.0, out), a.repeats)
    print(f"puff_conc: {n * npf / t:.3e} receptor-puff evaluations/s ({npf} puffs x {n} receptors)")

    cnt = np.zeros(n, dtype=np.int64)
    u, d, c, h = _members(50)
    t = _median_time(lambda: exceedance_count(xr, yr, zr, 0.0, 0.0, 0.0, Q_KG_S, u, d, c,
                                              SCHEME_PG_RURAL, h, THRESHOLD_KG_M3, cnt), a.repeats)
    print(f"exceedance_count: {n * u.size / t:.3e} receptor-member evaluations/s "
          f"({u.size} members x {n} receptors)")

    t = _median_time(lambda: exceedance_count(xr, yr, zr, 0.0, 0.0, 0.0, Q_KG_S, u, d, c,
                                              SCHEME_PG_RURAL, h, 0.0, cnt), a.repeats)
    print(f"exceedance_count worst case (threshold 0: only the 6-sigma cut rejects): "
          f"{n * u.size / t:.3e} receptor-member evaluations/s")

    u, d, c, h = _members(a.members)
    t0 = time.perf_counter()
    exceedance_count(xr, yr, zr, 0.0, 0.0, 0.0, Q_KG_S, u, d, c, SCHEME_PG_RURAL, h,
                     THRESHOLD_KG_M3, cnt)
    t = time.perf_counter() - t0
    print(f"ensemble: {a.members} members x {n} receptors (10 km x 10 km at 20 m) in {t:.2f} s "
          f"wall ({n * a.members / t:.3e} evaluations/s; target < 30 s); "
          f"max exceedance fraction {cnt.max() / a.members:.3f}, receptors ever exceeded "
          f"{int((cnt > 0).sum())}")

    # the same members through sim.hazmat.ensemble: in this process (the default) against two
    # spawned local processes (start-up, imports and the receptor arrays included)
    from sim.hazmat.ensemble import exceedance_probability

    mem = {"u_m_s": u, "wind_from_deg": d, "cls": c, "h_mix_m": h}
    for workers in (0, 2):
        t0 = time.perf_counter()
        exceedance_probability(xr, yr, zr, (0.0, 0.0), 0.0, Q_KG_S, SCHEME_PG_RURAL, mem, THRESHOLD_KG_M3,
                               workers=workers)
        print(f"ensemble via exceedance_probability, workers={workers} "
              f"({'this process' if workers == 0 else 'local processes'}): {time.perf_counter() - t0:.2f} s wall")


if __name__ == "__main__":
    main()
