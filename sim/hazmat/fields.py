"""The dispersion's grid and fields: the receptor grid around the source, the concentration
frames and maximum a run produces (:class:`Dispersion`), and the source's piecewise-constant
rate as the fields read it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from affine import Affine

from sim.hazmat.params import Params
from sim.hazmat.source import SourceTerm
from terrain.raster import Raster
from terrain.sample import sample
from twin.city import City


@dataclass
class Grid:
    """Receptor grid around the source: cell centres, heights and the raster frame."""

    raster: Raster  # template (zeros), city CRS
    x: np.ndarray  # receptor eastings (flattened, row-major)
    y: np.ndarray
    z_agl: np.ndarray  # receptor height above local ground, m (terrain-following state)
    z_flat: np.ndarray  # receptor height above the source's ground, m (horizontal-plume state)


def make_grid(city: City, xy: tuple[float, float], params: Params) -> Grid:
    """A square grid of ``2 extent_m`` at ``resolution_m`` centred on the source (cells may
    extend beyond the city's DEM, where the ground is taken level with the source)."""
    res, half = params.resolution_m, params.extent_m
    n = int(math.ceil(2 * half / res))
    x0, y0 = xy[0] - n * res / 2, xy[1] + n * res / 2
    tr = Affine(res, 0, x0, 0, -res, y0)
    cols, rows = np.meshgrid(np.arange(n), np.arange(n))
    x = (x0 + (cols + 0.5) * res).ravel()
    y = (y0 - (rows + 0.5) * res).ravel()
    z_src = float(sample(city.terrain, np.array([xy[0]]), np.array([xy[1]]))[0])
    zg = sample(city.terrain, x, y)
    zg = np.where(np.isfinite(zg), zg, z_src)
    zr = np.full(x.size, params.receptor_height_m)
    return Grid(Raster(np.zeros((n, n), np.float32), tr, city.crs), x, y, zr,
                zr + np.maximum(zg - z_src, 0.0))


@dataclass
class Dispersion:
    """Concentration on the grid: frames at ``times_s`` and the maximum over the run."""

    times_s: np.ndarray
    frames: np.ndarray  # (nt, ny, nx) float32, kg/m³ at receptor height
    cmax: np.ndarray  # (ny, nx) float32, kg/m³, maximum over all evaluation times
    model: str
    dense: bool
    ri: float  # Britter-McQuaid criterion value of the release (continuous form)
    unit_fn: object = None  # callable(xs, ys, zs_agl, zs_flat, t_s) -> concentration at points
    notes: list[str] = field(default_factory=list)  # what the user must know about this field


def _rate_series(src: SourceTerm) -> tuple[np.ndarray, np.ndarray]:
    """Interval edges (n+1) and piecewise-constant rates (n) of a source term (whose last
    rate, 0, marks the end)."""
    return np.asarray(src.times_s, float), np.asarray(src.rate_kg_s[:-1], float)


def _rate_at(edges: np.ndarray, rates: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Release rate at emission times ``s`` (0 outside the release)."""
    k = np.searchsorted(edges, s, side="right") - 1
    ok = (k >= 0) & (k < rates.size)
    return np.where(ok, rates[np.clip(k, 0, rates.size - 1)], 0.0)


def _max_rate_between(edges: np.ndarray, rates: np.ndarray, a: float, b: np.ndarray) -> np.ndarray:
    """Largest rate emitted at any time in [a, b] (per element of ``b``; 0 where b < a or no
    interval overlaps): a running maximum from the first interval that ends after ``a``."""
    b = np.asarray(b, float)
    j0 = int(np.searchsorted(edges[1:], a, side="right"))  # first interval with end > a
    if j0 >= rates.size:
        return np.zeros(b.shape)
    cm = np.maximum.accumulate(rates[j0:])
    j1 = np.searchsorted(edges[:-1], b, side="right") - 1  # last interval with start <= b
    ok = (b >= a) & (j1 >= j0)
    return np.where(ok, cm[np.clip(j1 - j0, 0, cm.size - 1)], 0.0)
