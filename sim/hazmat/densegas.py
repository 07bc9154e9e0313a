"""Dense-gas dispersion: the Britter & McQuaid (1988) workbook correlations.

Britter, R.E. & McQuaid, J. (1988), *Workbook on the Dispersion of Dense Gases*, HSE
Contract Research Report 17/1988 ("BM" below). The nomogram curves are used through the
piecewise-linear fits printed in CCPS (1999), *Guidelines for Consequence Analysis of
Chemical Releases*, dense-gas section (tables of the BM plume and puff curve fits, p. 118;
worked LNG example p. 122), which Crowl & Louvar (2011), *Chemical Process Safety*, 3rd ed.,
sec. 5-6, reproduce.

What the module gives, all on plain numpy (a few thousand points at most):

* the "is it dense?" criteria (BM; Crowl & Louvar eqs for the continuous and the
  instantaneous release) -- :func:`is_dense`, used to switch from the passive Gaussian;
* the centreline (maximum, ground-level) concentration ratio Cm/C0 as a function of x and
  its inverse, for continuous plumes and instantaneous puffs (``bm_*_conc``,
  ``bm_*_distance``);
* the isothermal-equivalent correction of non-isothermal (cold) releases;
* :func:`dense_centreline` in kg/m3 and the BM plume half-width / puff radius for
  footprints.

Concentrations inside the ``bm_*`` functions are the workbook's: volume fractions on the
*isothermal* (source-volume) basis, C0 = 1 for a pure gas. Cold releases are converted with
:func:`from_isothermal` (BM non-isothermal correction, see :func:`isothermal_equivalent`).

Regions of x (x' = x/L, L = D = (q0/u)^(1/2) continuous, L = V0^(1/3) instantaneous):

1. near field, x' <= x_e: the workbook near-field relations Cm/C0 = 306/(306 + x'^2)
   (plume, stated for x' <= 30) and 3.24/(3.24 + x'^2) (puff), as in the BM summaries of
   the TNO Yellow Book (CPR 14E, 2005, ch. 4) and CCPS (1999);
2. bridge, x_e < x' < x'_1 (x'_1: the Cm/C0 = 0.1 curve): log C linear in log x, so the
   hand-over is continuous -- x_e = min(x_nf_max, x'_1/2) (our choice: the near-field
   relation and the 0.1 curve do not meet for every alpha, e.g. at alpha = 1 the 0.1 curve
   is at x' = 19 where the near-field relation still gives 0.46);
3. the BM curves: log10(Cm/C0) linear in beta = log10(x') between the tabulated ratios
   (0.1 ... 0.002 plume, 0.1 ... 0.001 puff) at the release's alpha;
4. beyond the last curve: the passive ground-level Gaussian (plume Q/(pi sy sz u); puff
   2 V0/((2 pi)^1.5 sy^2 sz), i.e. sx = sy) with Briggs (1973) open-country/urban sigmas
   (:mod:`sim.hazmat.sigmas`), started from a virtual source chosen so that it equals the
   last curve's ratio there: continuous by construction.

alpha beyond the fitted range (alpha > 1) is clamped to 1 (the fits end there; BM give no
data beyond); below the range the fits are flat (the passive limit) and so is this module.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np

from sim.hazmat.sigmas import briggs_sigmas
from twin.errors import InputError

G_M_S2 = 9.81
R_J_MOL_K = 8.314462618
M_AIR_KG_MOL = 0.028964
P_ATM_PA = 101325.0

DENSE_CRIT_CONTINUOUS = 0.15  # BM: (g0' q0 / (u^3 D))^(1/3) >= 0.15, D = (q0/u)^(1/2)
DENSE_CRIT_INSTANT = 0.20  # BM: (g0' V0^(1/3))^(1/2) / u >= 0.20
ALPHA_MAX = 1.0  # upper end of the CCPS fits

FloatOrArray = float | np.ndarray

# --- BM curve fits (CCPS 1999 p. 118; Crowl & Louvar 2011 sec. 5-6) ------------------------
# Each curve: beta = log10(x/L) as a continuous piecewise-linear function of alpha,
# stored as its break points (alpha_k, beta_k); flat for alpha below the first break.
# Plume: alpha = log10((g0'^2 q0 / u^5)^(1/5)), L = D = (q0/u)^(1/2). Fits (alpha <= 1):
#   0.10 : 1.75 | 0.24a+1.88 (-0.55..-0.14) | -0.50a+1.78
#   0.05 : 1.92 | 0.36a+2.16 (-0.68..-0.29) | 2.06 (..-0.18) | -0.56a+1.96
#   0.02 : 2.08 | 0.45a+2.39 (-0.69..-0.31) | 2.25 (..-0.16) | -0.54a+2.16
#   0.01 : 2.25 | 0.49a+2.59 (-0.70..-0.29) | 2.45 (..-0.20) | -0.52a+2.35
#   0.005: 2.40 | 0.59a+2.80 (-0.67..-0.28) | 2.63 (..-0.15) | -0.49a+2.56
#   0.002: 2.60 | 0.39a+2.87 (-0.69..-0.25) | 2.77 (..-0.13) | -0.50a+2.71
_PLUME_RATIOS = np.array([0.1, 0.05, 0.02, 0.01, 0.005, 0.002])
_PLUME_FITS: list[list[tuple[float, float, float]]] = [
    # (alpha upper bound of the piece, slope, intercept); the first piece is flat
    [(-0.55, 0.0, 1.75), (-0.14, 0.24, 1.88), (1.0, -0.50, 1.78)],
    [(-0.68, 0.0, 1.92), (-0.29, 0.36, 2.16), (-0.18, 0.0, 2.06), (1.0, -0.56, 1.96)],
    [(-0.69, 0.0, 2.08), (-0.31, 0.45, 2.39), (-0.16, 0.0, 2.25), (1.0, -0.54, 2.16)],
    [(-0.70, 0.0, 2.25), (-0.29, 0.49, 2.59), (-0.20, 0.0, 2.45), (1.0, -0.52, 2.35)],
    [(-0.67, 0.0, 2.40), (-0.28, 0.59, 2.80), (-0.15, 0.0, 2.63), (1.0, -0.49, 2.56)],
    [(-0.69, 0.0, 2.60), (-0.25, 0.39, 2.87), (-0.13, 0.0, 2.77), (1.0, -0.50, 2.71)],
]
# Puff: alpha = log10((g0' V0^(1/3) / u^2)^(1/2)), L = V0^(1/3). Fits (alpha <= 1):
#   0.10 : 0.70 | 0.26a+0.81 (-0.44..0.43) | 0.93
#   0.05 : 0.85 | 0.26a+1.00 (-0.56..0.31) | -0.12a+1.12
#   0.02 : 0.95 | 0.36a+1.19 (-0.66..0.32) | -0.26a+1.38
#   0.01 : 1.15 | 0.34a+1.39 (-0.71..0.37) | -0.38a+1.66
#   0.005: 1.48 | 0.26a+1.62 (-0.52..0.24) | -0.30a+1.75
#   0.002: 1.83 (..0.27) | -0.32a+1.92
#   0.001: 2.075 (..-0.10) | -0.27a+2.05
_PUFF_RATIOS = np.array([0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001])
_PUFF_FITS: list[list[tuple[float, float, float]]] = [
    [(-0.44, 0.0, 0.70), (0.43, 0.26, 0.81), (1.0, 0.0, 0.93)],
    [(-0.56, 0.0, 0.85), (0.31, 0.26, 1.00), (1.0, -0.12, 1.12)],
    [(-0.66, 0.0, 0.95), (0.32, 0.36, 1.19), (1.0, -0.26, 1.38)],
    [(-0.71, 0.0, 1.15), (0.37, 0.34, 1.39), (1.0, -0.38, 1.66)],
    [(-0.52, 0.0, 1.48), (0.24, 0.26, 1.62), (1.0, -0.30, 1.75)],
    [(0.27, 0.0, 1.83), (1.0, -0.32, 1.92)],
    [(-0.10, 0.0, 2.075), (1.0, -0.27, 2.05)],
]

# near-field relations Cm/C0 = k / (k + x'^2) and the x' up to which they are used
_NF_K_PLUME, _NF_XMAX_PLUME = 306.0, 30.0
_NF_K_PUFF, _NF_XMAX_PUFF = 3.24, math.inf

PUFF_ADVECTION = 0.4  # BM: puff centre moves at 0.4 u10
PUFF_SPREAD = 1.2  # BM: R^2 = R0^2 + 1.2 (g0' V0)^(1/2) t


# --- inputs ---------------------------------------------------------------------------------
def _pos(name: str, v: object) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name} {v!r}: expected a positive number") from None
    if not (math.isfinite(f) and f > 0.0):
        raise InputError(f"{name} {v!r}: expected a positive finite number")
    return f


def _g0p_dense(g0p: float) -> float:
    g = float(g0p)
    if not (math.isfinite(g) and g > 0.0):
        raise InputError(f"reduced gravity g0' {g0p!r} m/s2: expected > 0 (a release denser than air)")
    return g


# --- criteria -------------------------------------------------------------------------------
def reduced_gravity(rho_cloud_kg_m3: float, rho_air_kg_m3: float = 1.2) -> float:
    """Initial reduced gravity g0' = g (rho0 - rho_a)/rho_a in m/s2 (BM sec. 2; negative for
    a buoyant release)."""
    return G_M_S2 * (_pos("rho_cloud_kg_m3", rho_cloud_kg_m3) - _pos("rho_air_kg_m3", rho_air_kg_m3)) \
        / float(rho_air_kg_m3)


def air_density_kg_m3(ta_k: float, pa_pa: float = P_ATM_PA) -> float:
    """Dry-air density (ideal gas) at temperature ``ta_k`` and pressure ``pa_pa``."""
    return _pos("pa_pa", pa_pa) * M_AIR_KG_MOL / (R_J_MOL_K * _pos("ta_k", ta_k))


def source_length_continuous(q0_m3_s: float, u_m_s: float) -> float:
    """BM characteristic source length of a plume D = (q0/u)^(1/2) in m."""
    return math.sqrt(_pos("q0_m3_s", q0_m3_s) / _pos("u_m_s", u_m_s))


def richardson_continuous(g0p: float, q0_m3_s: float, u_m_s: float, d_m: float | None = None) -> float:
    """BM plume density criterion (g0' q0 / (u^3 D))^(1/3) (Crowl & Louvar 2011 sec. 5-6);
    D defaults to (q0/u)^(1/2). Signed cube root: negative for a buoyant release."""
    q, u = _pos("q0_m3_s", q0_m3_s), _pos("u_m_s", u_m_s)
    d = source_length_continuous(q, u) if d_m is None else _pos("d_m", d_m)
    return float(np.cbrt(float(g0p) * q / (u ** 3 * d)))


def richardson_instant(g0p: float, v0_m3: float, u_m_s: float) -> float:
    """BM puff density criterion (g0' V0^(1/3))^(1/2) / u (Crowl & Louvar 2011 sec. 5-6);
    carries the sign of g0' (negative for a buoyant release)."""
    v, u = _pos("v0_m3", v0_m3), _pos("u_m_s", u_m_s)
    g = float(g0p)
    return math.copysign(math.sqrt(abs(g) * v ** (1.0 / 3.0)), g) / u


def is_dense(g0p: float, u_m_s: float, *, q0_m3_s: float | None = None, v0_m3: float | None = None) -> bool:
    """True when the dense-gas model applies (BM criteria): plume (``q0_m3_s`` given)
    (g0' q0/(u^3 D))^(1/3) >= 0.15; puff (``v0_m3`` given) (g0' V0^(1/3))^(1/2)/u >= 0.20."""
    if (q0_m3_s is None) == (v0_m3 is None):
        raise InputError("is_dense: expected exactly one of q0_m3_s (continuous) or v0_m3 (instantaneous)")
    if q0_m3_s is not None:
        return richardson_continuous(g0p, q0_m3_s, u_m_s) >= DENSE_CRIT_CONTINUOUS
    return richardson_instant(g0p, v0_m3, u_m_s) >= DENSE_CRIT_INSTANT


ReleaseMode = Literal["continuous", "instantaneous", "intermediate"]


def release_mode(duration_s: float, u_m_s: float, x_m: float) -> ReleaseMode:
    """BM release class at distance x from the duration Rd: continuous if u Rd / x >= 2.5,
    instantaneous if <= 0.6, otherwise intermediate (BM recommend evaluating both and taking
    the smaller concentration)."""
    r = _pos("u_m_s", u_m_s) * _pos("duration_s", duration_s) / _pos("x_m", x_m)
    if r >= 2.5:
        return "continuous"
    if r <= 0.6:
        return "instantaneous"
    return "intermediate"


# --- temperature correction -----------------------------------------------------------------
def isothermal_equivalent(c_vol: FloatOrArray, t0_k: float, ta_k: float) -> FloatOrArray:
    """Isothermal-equivalent concentration C* = C / (C + (1 - C) Ta/T0) of a volume
    fraction C of a release at T0 mixed into air at Ta (BM non-isothermal correction; CCPS
    1999; Crowl & Louvar 2011 sec. 5-6). For a cold release C* < C: the curves
    are read at C*."""
    c = np.asarray(c_vol, dtype=float)
    out = c / (c + (1.0 - c) * (_pos("ta_k", ta_k) / _pos("t0_k", t0_k)))
    return out if out.ndim else float(out)


def from_isothermal(c_star: FloatOrArray, t0_k: float, ta_k: float) -> FloatOrArray:
    """Inverse of :func:`isothermal_equivalent`: C = C* / (C* + (1 - C*) T0/Ta)."""
    c = np.asarray(c_star, dtype=float)
    out = c / (c + (1.0 - c) * (_pos("t0_k", t0_k) / _pos("ta_k", ta_k)))
    return out if out.ndim else float(out)


# --- the curves -----------------------------------------------------------------------------
def alpha_continuous(g0p: float, q0_m3_s: float, u_m_s: float) -> float:
    """BM plume correlation parameter alpha = log10((g0'^2 q0 / u^5)^(1/5))."""
    g = _g0p_dense(g0p)
    return 0.2 * math.log10(g * g * _pos("q0_m3_s", q0_m3_s) / _pos("u_m_s", u_m_s) ** 5)


def alpha_instant(g0p: float, v0_m3: float, u_m_s: float) -> float:
    """BM puff correlation parameter alpha = log10((g0' V0^(1/3) / u^2)^(1/2))."""
    g = _g0p_dense(g0p)
    return 0.5 * math.log10(g * _pos("v0_m3", v0_m3) ** (1.0 / 3.0) / _pos("u_m_s", u_m_s) ** 2)


def _beta(fits: list[list[tuple[float, float, float]]], alpha: float) -> np.ndarray:
    a = min(float(alpha), ALPHA_MAX)
    out = np.empty(len(fits))
    for i, pieces in enumerate(fits):
        for a_hi, slope, icpt in pieces:
            if a <= a_hi:
                out[i] = slope * a + icpt
                break
    return out


def bm_beta_continuous(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(Cm/C0 ratios, beta = log10(x/D)) of the BM plume curves at ``alpha`` (CCPS 1999
    fits; alpha clamped to <= 1)."""
    return _PLUME_RATIOS.copy(), _beta(_PLUME_FITS, alpha)


def bm_beta_instant(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(Cm/C0 ratios, beta = log10(x/V0^(1/3))) of the BM puff curves at ``alpha`` (CCPS
    1999 fits; alpha clamped to <= 1)."""
    return _PUFF_RATIOS.copy(), _beta(_PUFF_FITS, alpha)


class _Curve:
    """The full Cm/C0(x) chain of one release (near field, bridge, BM curves, passive)."""

    def __init__(self, ratios: np.ndarray, beta: np.ndarray, length_m: float, nf_k: float,
                 nf_xmax: float, passive: Callable[[np.ndarray], np.ndarray]) -> None:
        self.L = length_m
        self.lr = np.log10(ratios)  # decreasing
        self.beta = beta  # increasing
        if np.any(np.diff(beta) <= 0.0):  # the fits are ordered for every alpha <= 1
            raise AssertionError(f"BM curves not ordered at this alpha: {beta}")
        self.nf_k = nf_k
        x1 = 10.0 ** beta[0]
        self.xe = min(nf_xmax, 0.5 * x1)  # near-field end (x' = x/L)
        self.lce = math.log10(nf_k / (nf_k + self.xe ** 2))
        self.lxe, self.lx1 = math.log10(self.xe), beta[0]
        self.passive = passive  # x_m -> Cm/C0 of the passive Gaussian from a point source
        # virtual source: passive(x_eff_N) = last ratio
        self.xN_m = length_m * 10.0 ** beta[-1]
        self.xeffN_m = float(self._passive_inverse(np.array([ratios[-1]]))[0])

    def _passive_inverse(self, r: np.ndarray) -> np.ndarray:
        lo = np.full(r.shape, -3.0)
        hi = np.full(r.shape, 8.0)  # log10 x: 1 mm .. 100 000 km
        lr = np.log10(r)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            too_close = np.log10(self.passive(10.0 ** mid)) > lr
            lo = np.where(too_close, mid, lo)
            hi = np.where(too_close, hi, mid)
        return 10.0 ** (0.5 * (lo + hi))

    def conc(self, x_m: np.ndarray) -> np.ndarray:
        x = np.asarray(x_m, dtype=float)
        xp = np.maximum(x, 0.0) / self.L
        out = np.empty_like(xp)
        nf = xp <= self.xe
        out[nf] = self.nf_k / (self.nf_k + xp[nf] ** 2)
        lx = np.log10(np.where(nf, 1.0, xp))
        br = ~nf & (lx < self.lx1)
        out[br] = 10.0 ** (self.lce + (lx[br] - self.lxe) * (self.lr[0] - self.lce) / (self.lx1 - self.lxe))
        cu = ~nf & ~br & (lx <= self.beta[-1])
        out[cu] = 10.0 ** np.interp(lx[cu], self.beta, self.lr)
        ff = ~nf & ~br & ~cu
        out[ff] = self.passive(x[ff] - self.xN_m + self.xeffN_m)
        return out

    def distance(self, ratio: np.ndarray) -> np.ndarray:
        r = np.asarray(ratio, dtype=float)
        if np.any(~(r > 0.0)):
            raise InputError(f"conc_ratio {ratio!r}: expected Cm/C0 > 0")
        xp = np.zeros_like(r)
        lr = np.log10(np.minimum(r, 1.0))
        nf = (lr >= self.lce) & (r < 1.0)
        xp[nf] = np.sqrt(self.nf_k * (1.0 / r[nf] - 1.0))
        br = (lr < self.lce) & (lr > self.lr[0])
        xp[br] = 10.0 ** (self.lxe + (lr[br] - self.lce) * (self.lx1 - self.lxe) / (self.lr[0] - self.lce))
        cu = (lr <= self.lr[0]) & (lr >= self.lr[-1])
        xp[cu] = 10.0 ** np.interp(-lr[cu], -self.lr, self.beta)  # np.interp needs ascending x
        x = xp * self.L
        ff = lr < self.lr[-1]
        if np.any(ff):
            x[ff] = self._passive_inverse(r[ff]) - self.xeffN_m + self.xN_m
        return x


def _out(a: np.ndarray, like: FloatOrArray) -> FloatOrArray:
    return a if np.ndim(like) else float(a[0])


def _continuous_curve(g0p: float, q0_m3_s: float, u_m_s: float, stability: str, urban: bool) -> _Curve:
    q, u = _pos("q0_m3_s", q0_m3_s), _pos("u_m_s", u_m_s)
    ratios, beta = bm_beta_continuous(alpha_continuous(g0p, q, u))

    def passive(x_m: np.ndarray) -> np.ndarray:  # ground-level centreline of a ground source
        sy, sz = briggs_sigmas(x_m, stability, urban)
        return np.asarray(q / (math.pi * sy * sz * u))

    return _Curve(ratios, beta, source_length_continuous(q, u), _NF_K_PLUME, _NF_XMAX_PLUME, passive)


def _instant_curve(g0p: float, v0_m3: float, u_m_s: float, stability: str, urban: bool) -> _Curve:
    v, u = _pos("v0_m3", v0_m3), _pos("u_m_s", u_m_s)
    ratios, beta = bm_beta_instant(alpha_instant(g0p, v, u))

    def passive(x_m: np.ndarray) -> np.ndarray:  # puff centre at ground, sigma_x = sigma_y
        sy, sz = briggs_sigmas(x_m, stability, urban)
        return np.asarray(2.0 * v / ((2.0 * math.pi) ** 1.5 * sy * sy * sz))

    return _Curve(ratios, beta, v ** (1.0 / 3.0), _NF_K_PUFF, _NF_XMAX_PUFF, passive)


def bm_continuous_conc(x_m: FloatOrArray, g0p: float, q0_m3_s: float, u_m_s: float, *,
                       stability: str = "D", urban: bool = False) -> FloatOrArray:
    """Centreline Cm/C0 (isothermal basis) at downwind distances ``x_m`` of a continuous
    dense plume (BM plume curves; regions in the module docstring); ``stability``/``urban``
    only set the passive Gaussian beyond the Cm/C0 = 0.002 curve."""
    return _out(_continuous_curve(g0p, q0_m3_s, u_m_s, stability, urban).conc(np.atleast_1d(x_m)), x_m)


def bm_continuous_distance(conc_ratio: FloatOrArray, g0p: float, q0_m3_s: float, u_m_s: float, *,
                           stability: str = "D", urban: bool = False) -> FloatOrArray:
    """Downwind distance in m at which the plume centreline falls to ``conc_ratio`` = Cm/C0
    (isothermal basis; exact inverse of :func:`bm_continuous_conc`; 0 for ratio >= 1)."""
    c = _continuous_curve(g0p, q0_m3_s, u_m_s, stability, urban)
    return _out(c.distance(np.atleast_1d(conc_ratio)), conc_ratio)


def bm_instant_conc(x_m: FloatOrArray, g0p: float, v0_m3: float, u_m_s: float, *,
                    stability: str = "D", urban: bool = False) -> FloatOrArray:
    """Maximum (over the passage of the cloud) ground-level Cm/C0 (isothermal basis) at
    distances ``x_m`` of an instantaneous dense puff of initial volume ``v0_m3`` (BM puff
    curves; passive Gaussian puff beyond the Cm/C0 = 0.001 curve)."""
    return _out(_instant_curve(g0p, v0_m3, u_m_s, stability, urban).conc(np.atleast_1d(x_m)), x_m)


def bm_instant_distance(conc_ratio: FloatOrArray, g0p: float, v0_m3: float, u_m_s: float, *,
                        stability: str = "D", urban: bool = False) -> FloatOrArray:
    """Distance in m at which the puff's maximum Cm/C0 falls to ``conc_ratio`` (inverse of
    :func:`bm_instant_conc`; 0 for ratio >= 1)."""
    c = _instant_curve(g0p, v0_m3, u_m_s, stability, urban)
    return _out(c.distance(np.atleast_1d(conc_ratio)), conc_ratio)


# --- product helpers ------------------------------------------------------------------------
def dense_centreline(x_m: FloatOrArray, amount: float, rho0_kg_m3: float, t0_k: float, u10_m_s: float,
                     molar_mass_kg_mol: float, *, instantaneous: bool = False, ta_k: float = 293.15,
                     pa_pa: float = P_ATM_PA, rho_air_kg_m3: float | None = None, stability: str = "D",
                     urban: bool = False) -> np.ndarray:
    """Ground-level centreline concentration in kg/m3 at ``x_m`` of a dense release.

    ``amount`` is the rate in kg/s (continuous) or the mass in kg (``instantaneous``);
    ``rho0_kg_m3`` the density of the released cloud at ``t0_k`` (vapour, or vapour plus
    aerosol for a flashing release), which sets q0 = amount/rho0 (or V0) and g0' against
    air at ``ta_k`` (``rho_air_kg_m3`` overrides the ideal-gas air density). The BM ratio
    (isothermal basis, C0 = 1) is turned into the real volume fraction with
    :func:`from_isothermal`, then into kg/m3 as an ideal gas at ambient temperature,
    C p M / (R Ta): right once the cloud has warmed; in the first dilutions of a cold cloud
    the true value is up to Ta/T0 times higher. The caller decides with :func:`is_dense`
    whether this model applies (here it is only required that g0' > 0).
    """
    m = _pos("amount", amount)
    rho0 = _pos("rho0_kg_m3", rho0_kg_m3)
    rho_a = air_density_kg_m3(ta_k, pa_pa) if rho_air_kg_m3 is None else rho_air_kg_m3
    g0p = reduced_gravity(rho0, rho_a)
    vol = m / rho0
    fn = bm_instant_conc if instantaneous else bm_continuous_conc
    r = np.asarray(fn(np.atleast_1d(np.asarray(x_m, dtype=float)), g0p, vol, u10_m_s,
                      stability=stability, urban=urban))
    c = from_isothermal(r, t0_k, ta_k)
    return c * _pos("pa_pa", pa_pa) * _pos("molar_mass_kg_mol", molar_mass_kg_mol) / (R_J_MOL_K * float(ta_k))


def buoyancy_length_m(g0p: float, q0_m3_s: float, u_m_s: float) -> float:
    """BM plume buoyancy length scale l_b = g0' q0 / u^3 in m."""
    return _g0p_dense(g0p) * _pos("q0_m3_s", q0_m3_s) / _pos("u_m_s", u_m_s) ** 3


def dense_plume_width(x_m: FloatOrArray, g0p: float, q0_m3_s: float, u_m_s: float) -> FloatOrArray:
    """BM plume lateral half-width L_H = D + 8 l_b + 2.5 l_b^(1/3) x^(2/3) in m at ``x_m``
    >= 0 (gravity spreading; BM plume-dimension relations, as in the TNO Yellow Book
    CPR 14E ch. 4 and CCPS 1999). Upwind extent: :func:`dense_plume_upwind_m`."""
    lb = buoyancy_length_m(g0p, q0_m3_s, u_m_s)
    x = np.maximum(np.asarray(x_m, dtype=float), 0.0)
    w = source_length_continuous(q0_m3_s, u_m_s) + 8.0 * lb + 2.5 * np.cbrt(lb) * x ** (2.0 / 3.0)
    return w if w.ndim else float(w)


def dense_plume_upwind_m(g0p: float, q0_m3_s: float, u_m_s: float) -> float:
    """BM upwind extent of a dense plume L_U = D/2 + 2 l_b in m."""
    return 0.5 * source_length_continuous(q0_m3_s, u_m_s) + 2.0 * buoyancy_length_m(g0p, q0_m3_s, u_m_s)


def dense_puff_radius(x_m: FloatOrArray, g0p: float, v0_m3: float, u_m_s: float,
                      r0_m: float | None = None) -> FloatOrArray:
    """BM radius of a dense puff when its centre is at ``x_m``: R^2 = R0^2 + 1.2 (g0' V0)^(1/2) t
    with t = x / (0.4 u10) (centre advected at 0.4 u10). R0 defaults to a squat cylinder of
    height = radius, (V0/pi)^(1/3) (our assumption; give ``r0_m`` when known)."""
    v, u = _pos("v0_m3", v0_m3), _pos("u_m_s", u_m_s)
    r0 = (v / math.pi) ** (1.0 / 3.0) if r0_m is None else _pos("r0_m", r0_m)
    t = np.maximum(np.asarray(x_m, dtype=float), 0.0) / (PUFF_ADVECTION * u)
    r = np.sqrt(r0 * r0 + PUFF_SPREAD * math.sqrt(_g0p_dense(g0p) * v) * t)
    return r if r.ndim else float(r)
