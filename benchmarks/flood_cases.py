"""The synthetic flood case shared by ``benchmarks/flood.py`` (CPU) and ``benchmarks/flood_gpu.py``
(GPU machine): numpy only, so it imports where the GIS stack is absent."""
from __future__ import annotations

import numpy as np

EDGES = ("north", "south", "west", "east")


def synthetic_bed(ny: int, nx: int, dx: float) -> np.ndarray:
    """Gently sloping (toward the north-west corner), undulating bed, m."""
    y = (np.arange(ny, dtype=np.float64) * dx)[:, None]
    x = (np.arange(nx, dtype=np.float64) * dx)[None, :]
    z = (10.0 + 0.0005 * x + 0.0003 * (ny * dx - y)
         + 0.15 * np.sin(2 * np.pi * x / 400.0) * np.cos(2 * np.pi * y / 300.0)
         + 0.05 * np.sin(2 * np.pi * (x + y) / 170.0))
    return z.astype(np.float32)


def synthetic_case(S, n: int, dx: float = 5.0, steps: int = 100, h0_m: float = 0.3,
                   rain_mm_h: float = 60.0) -> dict:
    """Arguments of ``S.simulate`` (``S`` = ``sim.flood.solver``; ``z`` and ``dx`` included) for
    an n x n grid of :func:`synthetic_bed`, all wet (``h0_m``), steady rain, Manning n 0.035,
    free edges, lasting about ``steps`` steps (the step shrinks as water gathers in the hollows)."""
    z = synthetic_bed(n, n, dx)
    dt0 = 0.7 * dx / np.sqrt(9.81 * h0_m)
    return dict(z=z, dx=dx, manning=0.035, duration_s=steps * dt0 * 0.75, h0=np.full(z.shape, h0_m, np.float32),
                rain=S.Rain([0.0, 1e9], [rain_mm_h]), boundaries={e: S.Boundary("free", slope=0.001) for e in EDGES})
