"""Gaussian dispersion coefficients sigma_y(x), sigma_z(x) (m) versus downwind distance x (m).

Stability classes are integer indices 0..5 = Pasquill A..F (``CLASSES``).

Schemes (``sigma_yz(scheme, x_m, p)``, the numba dispatcher the kernels call):

* ``SCHEME_PG_RURAL = 0`` -- rural Pasquill-Gifford curves (Turner 1970, Workbook of
  Atmospheric Dispersion Estimates, Figs 3-2/3-3) as the analytic fits of ISC3
  (EPA 1995, EPA-454/B-95-003b, Vol. II, Tables 1-1/1-2).
* ``SCHEME_BRIGGS_RURAL = 1``, ``SCHEME_BRIGGS_URBAN = 2`` -- Briggs (1973) open-country
  and urban (McElroy-Pooler) formulas as tabulated by Hanna, Briggs & Hosker (1982,
  Handbook on Atmospheric Diffusion, DOE/TIC-11223, ch. 4) and Seinfeld & Pandis (2006,
  Atmospheric Chemistry and Physics, 2nd ed., ch. 18, table of Briggs formulas).
* ``SCHEME_SIMILARITY = 3`` -- reserved for the boundary-layer similarity sigmas of
  ``sim/hazmat/similarity.py`` (not wired yet: returns NaN; see ``sigma_yz``).

Parameter vector ``p`` (float64 1-D, length >= 1):

====  ==========================================================================
p[0]  stability class index 0..5 (schemes 0-2)
p[1]  optional initial lateral size sigma_y0 (m), added in quadrature (virtual source)
p[2]  optional initial vertical size sigma_z0 (m), added in quadrature
p[3:] reserved for scheme-specific parameters (similarity: u*, L, w*, h, ...)
====  ==========================================================================

Distances x <= 0 give (sigma_y0, sigma_z0) (0 without an initial size).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from twin.errors import InputError

CLASSES = "ABCDEF"

SCHEME_PG_RURAL = 0
SCHEME_BRIGGS_RURAL = 1
SCHEME_BRIGGS_URBAN = 2
SCHEME_SIMILARITY = 3

SIGMA_Z_MAX_M = 5000.0  # ISC3 Vol. II (with Table 1-2): sigma_z is capped at 5000 m

# ISC3 Vol. II Table 1-1: sigma_y = 465.11628 x tan(TH), TH = 0.017453293 (c - d ln x), x in km
_SY_C = np.array([24.1670, 18.3330, 12.5000, 8.3330, 6.2500, 4.1667])
_SY_D = np.array([2.5334, 1.8096, 1.0857, 0.72382, 0.54287, 0.36191])

# ISC3 Vol. II Table 1-2: sigma_z = a x^b (x in km) for x <= upper bound of the range
_SZ_ROWS: dict[int, list[tuple[float, float, float]]] = {
    0: [(0.10, 122.800, 0.94470), (0.15, 158.080, 1.05420), (0.20, 170.220, 1.09320),
        (0.25, 179.520, 1.12620), (0.30, 217.410, 1.26440), (0.40, 258.890, 1.40940),
        (0.50, 346.750, 1.72830), (np.inf, 453.850, 2.11660)],  # > 3.11 km: the 5000 m cap
    1: [(0.20, 90.673, 0.93198), (0.40, 98.483, 0.98332), (np.inf, 109.300, 1.09710)],
    2: [(np.inf, 61.141, 0.91465)],
    3: [(0.30, 34.459, 0.86974), (1.00, 32.093, 0.81066), (3.00, 32.093, 0.64403),
        (10.00, 33.504, 0.60486), (30.00, 36.650, 0.56589), (np.inf, 44.053, 0.51179)],
    4: [(0.10, 24.260, 0.83660), (0.30, 23.331, 0.81956), (1.00, 21.628, 0.75660),
        (2.00, 21.628, 0.63077), (4.00, 22.534, 0.57154), (10.00, 24.703, 0.50527),
        (20.00, 26.970, 0.46713), (40.00, 35.420, 0.37615), (np.inf, 47.618, 0.29592)],
    5: [(0.20, 15.209, 0.81558), (0.70, 14.457, 0.78407), (1.00, 13.953, 0.68465),
        (2.00, 13.953, 0.63227), (3.00, 14.823, 0.54503), (7.00, 16.187, 0.46490),
        (15.00, 17.836, 0.41507), (30.00, 22.651, 0.32681), (60.00, 27.074, 0.27436),
        (np.inf, 34.219, 0.21716)],
}
_SZ_NROW = 10
_SZ_XMAX = np.full((6, _SZ_NROW), np.inf)
_SZ_A = np.zeros((6, _SZ_NROW))
_SZ_B = np.zeros((6, _SZ_NROW))
for _k, _rows in _SZ_ROWS.items():
    for _j, (_xm, _a, _b) in enumerate(_rows):
        _SZ_XMAX[_k, _j], _SZ_A[_k, _j], _SZ_B[_k, _j] = _xm, _a, _b

# Briggs (1973) via Hanna et al. (1982, ch. 4): sigma = a x (1 + b x)^e, x in m.
# Columns: a_y, b_y, e_y, a_z, b_z, e_z; rows A..F; [0] open country, [1] urban.
_BRIGGS = np.array([
    [[0.22, 1e-4, -0.5, 0.20, 0.0, 0.0],
     [0.16, 1e-4, -0.5, 0.12, 0.0, 0.0],
     [0.11, 1e-4, -0.5, 0.08, 2e-4, -0.5],
     [0.08, 1e-4, -0.5, 0.06, 1.5e-3, -0.5],
     [0.06, 1e-4, -0.5, 0.03, 3e-4, -1.0],
     [0.04, 1e-4, -0.5, 0.016, 3e-4, -1.0]],
    [[0.32, 4e-4, -0.5, 0.24, 1e-3, 0.5],
     [0.32, 4e-4, -0.5, 0.24, 1e-3, 0.5],
     [0.22, 4e-4, -0.5, 0.20, 0.0, 0.0],
     [0.16, 4e-4, -0.5, 0.14, 3e-4, -0.5],
     [0.11, 4e-4, -0.5, 0.08, 1.5e-3, -0.5],
     [0.11, 4e-4, -0.5, 0.08, 1.5e-3, -0.5]],
])

_X_MIN_KM = 1e-6  # keeps ln(x) finite in the sigma_y fit for x -> 0


def class_index(c: str) -> int:
    """Index 0..5 of a Pasquill stability class letter 'A'..'F' (case-insensitive)."""
    if not isinstance(c, str) or len(c) != 1 or c.upper() not in CLASSES:
        raise InputError(f"stability class {c!r}: expected one of A, B, C, D, E, F")
    return CLASSES.index(c.upper())


def _cls(cls: str | int) -> int:
    if isinstance(cls, str):
        return class_index(cls)
    k = int(cls)
    if k != cls or not 0 <= k <= 5:
        raise InputError(f"stability class {cls!r}: expected a letter A-F or an index 0-5")
    return k


def pg_turner_sigmas(x_m: np.ndarray | float, cls: str | int) -> tuple[np.ndarray, np.ndarray]:
    """Rural Pasquill-Gifford (sigma_y, sigma_z) in m at downwind distances ``x_m`` (any
    shape) for one class: the ISC3 fits (EPA 1995, Vol. II, Tables 1-1/1-2),
    sigma_z capped at 5000 m; 0 where x <= 0."""
    k = _cls(cls)
    x = np.asarray(x_m, dtype=float)
    xk = np.maximum(x * 1e-3, _X_MIN_KM)
    th = 0.017453293 * (_SY_C[k] - _SY_D[k] * np.log(xk))
    sy = 465.11628 * xk * np.tan(th)
    j = np.searchsorted(_SZ_XMAX[k], xk, side="left")  # first range with xk <= upper bound
    sz = np.minimum(_SZ_A[k, j] * xk ** _SZ_B[k, j], SIGMA_Z_MAX_M)
    pos = x > 0
    return np.where(pos, sy, 0.0), np.where(pos, sz, 0.0)


def briggs_sigmas(x_m: np.ndarray | float, cls: str | int, urban: bool) -> tuple[np.ndarray, np.ndarray]:
    """Briggs (1973) (sigma_y, sigma_z) in m, open-country or urban (McElroy-Pooler), as in
    Hanna, Briggs & Hosker (1982, ch. 4); recommended for 100 m < x < 10 km; 0 at x <= 0."""
    k = _cls(cls)
    x = np.maximum(np.asarray(x_m, dtype=float), 0.0)
    ay, by, ey, az, bz, ez = _BRIGGS[1 if urban else 0, k]
    return ay * x * (1.0 + by * x) ** ey, az * x * (1.0 + bz * x) ** ez


@njit(cache=True)
def pg_sigmas_scalar(x_m: float, cls: int) -> tuple[float, float]:
    """Numba scalar twin of :func:`pg_turner_sigmas` (class index ``cls`` 0..5)."""
    if x_m <= 0.0:
        return 0.0, 0.0
    xk = max(x_m * 1e-3, _X_MIN_KM)
    lnx = math.log(xk)
    sy = 465.11628 * xk * math.tan(0.017453293 * (_SY_C[cls] - _SY_D[cls] * lnx))
    j = 0
    while xk > _SZ_XMAX[cls, j]:
        j += 1
    sz = min(_SZ_A[cls, j] * math.exp(_SZ_B[cls, j] * lnx), SIGMA_Z_MAX_M)
    return sy, sz


@njit(cache=True)
def briggs_sigmas_scalar(x_m: float, cls: int, urban: int) -> tuple[float, float]:
    """Numba scalar twin of :func:`briggs_sigmas` (``urban`` 0 or 1)."""
    if x_m <= 0.0:
        return 0.0, 0.0
    c = _BRIGGS[urban, cls]
    return (c[0] * x_m * (1.0 + c[1] * x_m) ** c[2],
            c[3] * x_m * (1.0 + c[4] * x_m) ** c[5])


@njit(cache=True)
def sigma_yz(scheme: int, x_m: float, p: np.ndarray) -> tuple[float, float]:
    """(sigma_y, sigma_z) in m at downwind distance ``x_m`` for ``scheme`` with parameters
    ``p`` (layout in the module docstring); an initial source size p[1], p[2] is added in
    quadrature (a simpler stand-in for the virtual-distance method of Turner 1970 ch. 4).
    NaN for an unknown scheme or class."""
    if scheme == SCHEME_SIMILARITY:
        # Wire here: ``from sim.hazmat.similarity import similarity_sigmas`` (an @njit
        # function of (x_m, p)) and ``sy, sz = similarity_sigmas(x_m, p)``.
        return math.nan, math.nan
    cls = int(p[0])
    if cls < 0 or cls > 5:
        return math.nan, math.nan
    if scheme == SCHEME_PG_RURAL:
        sy, sz = pg_sigmas_scalar(x_m, cls)
    elif scheme == SCHEME_BRIGGS_RURAL:
        sy, sz = briggs_sigmas_scalar(x_m, cls, 0)
    elif scheme == SCHEME_BRIGGS_URBAN:
        sy, sz = briggs_sigmas_scalar(x_m, cls, 1)
    else:
        return math.nan, math.nan
    if p.size > 1 and p[1] > 0.0:
        sy = math.sqrt(sy * sy + p[1] * p[1])
    if p.size > 2 and p[2] > 0.0:
        sz = math.sqrt(sz * sz + p[2] * p[2])
    return sy, sz
