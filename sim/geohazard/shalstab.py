"""SHALSTAB: infinite-slope stability with steady-state shallow subsurface flow.

Montgomery, D. R. & Dietrich, W. E. (1994), "A physically based model for the topographic
control on shallow landsliding", Water Resources Research 30(4), 1153-1171 (M&D 1994), with
cohesion as in Montgomery, Sullivan & Greenberg (1998), "Regional test of a model for shallow
landsliding", Hydrological Processes 12, 943-955, and Dietrich et al. (1998, SHALSTAB validation
report, Stillwater Sciences); the infinite-slope form is that of Hammond et al. (1992, LISA,
USDA Forest Service INT-GTR-285).  Equation numbers of these papers are not quoted here.

Symbols: slope angle theta, friction angle phi, cohesion C (soil + basal roots, Pa), vertical
soil depth z (m), soil unit weight gamma_s = rho_s g and water gamma_w = rho_w g (N/m3),
transmissivity T (m2/day), steady recharge q (m/day), specific catchment area a/b (m: upslope
area a draining across a contour of width b), wetness W = h/z (saturated share of the column).

All functions are vectorised numpy with broadcasting: scalars, per-class values or grids mix.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from twin.errors import InputError

G_M_S2 = 9.81
GAMMA_W_N_M3 = 1000.0 * G_M_S2  # 9810 N/m3
SOILS_CSV = Path(__file__).with_name("data") / "soils.csv"

# Stability classes of a cell (Dietrich et al. 1998 / M&D 1994 terminology).
NODATA = -1
UNCONDITIONALLY_STABLE = 0  # stable even when saturated (q_c = +inf)
CONDITIONAL = 1  # fails when steady recharge q >= q_c (finite, > 0)
UNCONDITIONALLY_UNSTABLE = 2  # fails even when dry (q_c = 0): in practice bare rock / cut faces

SOIL_COLUMNS = ("cohesion_soil_kpa", "cohesion_root_kpa", "friction_angle_deg", "density_kg_m3",
                "soil_depth_m", "transmissivity_m2_day")

__all__ = [
    "G_M_S2", "GAMMA_W_N_M3", "NODATA", "UNCONDITIONALLY_STABLE", "CONDITIONAL", "UNCONDITIONALLY_UNSTABLE",
    "load_soils", "specific_catchment_area_m", "wetness", "factor_of_safety", "critical_wetness",
    "critical_rainfall_mm_day", "stability_class",
]


def load_soils(path: str | Path | None = None) -> pd.DataFrame:
    """Soil classes, indexed by name, with :data:`SOIL_COLUMNS` (see ``data/soils.csv`` for units and sources).

    Raises :class:`InputError` for a missing file, a missing column or a value out of its physical range.
    """
    p = Path(path) if path is not None else SOILS_CSV
    if not p.exists():
        raise InputError(f"soils file {p}: not found (expected a CSV with columns soil, {', '.join(SOIL_COLUMNS)})")
    df = pd.read_csv(p, comment="#", skipinitialspace=True)
    return check_soils(df.set_index("soil") if "soil" in df.columns else df, where=str(p))


def check_soils(df: pd.DataFrame, *, where: str = "soils") -> pd.DataFrame:
    """Validate a soil table (index = class name); return it with float columns."""
    missing = [c for c in SOIL_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {missing}; expected {list(SOIL_COLUMNS)}")
    if len(df) == 0:
        raise InputError(f"{where}: no soil classes; expected at least one row")
    out = df.copy()
    for c in SOIL_COLUMNS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    limits = {"cohesion_soil_kpa": (0.0, 1e3), "cohesion_root_kpa": (0.0, 1e3), "friction_angle_deg": (1e-6, 89.9),
              "density_kg_m3": (1000.0, 3000.0), "soil_depth_m": (1e-3, 50.0), "transmissivity_m2_day": (1e-6, 1e5)}
    for c, (lo, hi) in limits.items():
        bad = out[~out[c].between(lo, hi)]
        if len(bad):
            raise InputError(f"{where}: soil '{bad.index[0]}' {c}={bad[c].iloc[0]!r}: expected {lo:g}..{hi:g}")
    return out


def specific_catchment_area_m(accumulation_cells: np.ndarray, cell_area_m2: float,
                              contour_width_m: float) -> np.ndarray:
    """a/b (m): upslope area (D8 accumulation, cell itself included, times the cell area) per unit contour width.

    The contour width b is the cell size, the usual choice for single-direction D8 routing
    (M&D 1994 use the same a/b with their contour-based TOPOG network).
    """
    if not (cell_area_m2 > 0 and contour_width_m > 0):
        raise InputError(f"cell_area_m2={cell_area_m2!r}, contour_width_m={contour_width_m!r}: expected both > 0")
    return np.asarray(accumulation_cells, dtype=float) * (cell_area_m2 / contour_width_m)


def wetness(recharge_m_day: np.ndarray | float, a_over_b_m: np.ndarray | float,
            transmissivity_m2_day: np.ndarray | float, slope_rad: np.ndarray | float) -> np.ndarray:
    """Steady-state wetness W = h/z = min(1, q a / (b T sin theta)).

    M&D 1994, after O'Loughlin (1986), Water Resources Research 22(5), 794-804.

    Flat cells (sin theta = 0) cannot drain laterally: W = 1 for q > 0, 0 for q = 0.
    """
    q = np.asarray(recharge_m_day, dtype=float)
    s = np.sin(np.asarray(slope_rad, dtype=float))
    num = q * np.asarray(a_over_b_m, dtype=float)
    den = np.asarray(transmissivity_m2_day, dtype=float) * s
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where(num > 0, 1.0, 0.0))
    return np.minimum(w, 1.0)


def factor_of_safety(slope_rad: np.ndarray | float, wetness: np.ndarray | float, cohesion_pa: np.ndarray | float,
                     phi_rad: np.ndarray | float, soil_depth_m: np.ndarray | float, gamma_s: np.ndarray | float,
                     gamma_w: float = GAMMA_W_N_M3) -> np.ndarray:
    """Infinite-slope factor of safety with a parallel water table at height W z above the shear plane.

        FS = [C + (gamma_s - W gamma_w) z cos^2(theta) tan(phi)] / (gamma_s z sin(theta) cos(theta))

    (Hammond et al. 1992 with one unit weight above and below the water table; M&D 1994's
    stability condition written as a ratio; ``gamma_*`` in N/m3, ``cohesion_pa`` in Pa).  Equivalently
    ``C / (gamma_s z sin cos) + (1 - W gamma_w / gamma_s) tan(phi) / tan(theta)``: dry and
    cohesionless, FS = tan(phi) / tan(theta).  +inf on flat cells.
    """
    th = np.asarray(slope_rad, dtype=float)
    z = np.asarray(soil_depth_m, dtype=float)
    gs = np.asarray(gamma_s, dtype=float)
    c2 = np.cos(th) ** 2
    num = np.asarray(cohesion_pa, dtype=float) + (gs - np.asarray(wetness, dtype=float) * gamma_w) * z * c2 \
        * np.tan(np.asarray(phi_rad, dtype=float))
    den = gs * z * np.sin(th) * np.cos(th)
    with np.errstate(divide="ignore", invalid="ignore"):
        fs = num / den
    return np.where(den > 0, fs, np.where(np.isnan(num), np.nan, np.inf))


def critical_wetness(slope_rad: np.ndarray | float, cohesion_pa: np.ndarray | float, phi_rad: np.ndarray | float,
                     soil_depth_m: np.ndarray | float, gamma_s: np.ndarray | float,
                     gamma_w: float = GAMMA_W_N_M3) -> np.ndarray:
    """Wetness W_c at which FS = 1 (solving :func:`factor_of_safety` for W):

        W_c = C / (gamma_w z cos^2(theta) tan(phi)) + (gamma_s / gamma_w) (1 - tan(theta) / tan(phi))

    W_c >= 1: unconditionally stable; W_c <= 0: unconditionally unstable (M&D 1994's stability classes, with C).
    """
    th = np.asarray(slope_rad, dtype=float)
    tphi = np.tan(np.asarray(phi_rad, dtype=float))
    return np.asarray(cohesion_pa, dtype=float) / (gamma_w * np.asarray(soil_depth_m, dtype=float)
                                                   * np.cos(th) ** 2 * tphi) \
        + np.asarray(gamma_s, dtype=float) / gamma_w * (1.0 - np.tan(th) / tphi)


def critical_rainfall_mm_day(slope_rad: np.ndarray | float, a_over_b_m: np.ndarray | float,
                             cohesion_pa: np.ndarray | float, phi_rad: np.ndarray | float,
                             soil_depth_m: np.ndarray | float, gamma_s: np.ndarray | float,
                             transmissivity_m2_day: np.ndarray | float, gamma_w: float = GAMMA_W_N_M3) -> np.ndarray:
    """Critical steady-state recharge q_c (mm/day) for failure, SHALSTAB's closed form:

        q_c = W_c T sin(theta) / (a/b)      (M&D 1994 with cohesion, Montgomery et al. 1998)

    with W_c from :func:`critical_wetness`.  Returns ``+inf`` where W_c >= 1 (unconditionally
    stable: the soil saturates before it fails, including every flat cell) and ``0`` where
    W_c <= 0 (unconditionally unstable: fails dry); NaN stays NaN.
    """
    th = np.asarray(slope_rad, dtype=float)
    wc = critical_wetness(th, cohesion_pa, phi_rad, soil_depth_m, gamma_s, gamma_w)
    ab = np.asarray(a_over_b_m, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        qc = 1000.0 * wc * np.asarray(transmissivity_m2_day, dtype=float) * np.sin(th) / ab
    qc = np.where(wc >= 1.0, np.inf, np.where(wc <= 0.0, 0.0, qc))
    return np.where(np.isnan(wc) | np.isnan(ab), np.nan, qc)


def stability_class(qc_mm_day: np.ndarray) -> np.ndarray:
    """int8 class per cell from q_c: :data:`UNCONDITIONALLY_STABLE` (inf), :data:`CONDITIONAL`,
    :data:`UNCONDITIONALLY_UNSTABLE` (0), :data:`NODATA` (NaN)."""
    q = np.asarray(qc_mm_day, dtype=float)
    out = np.full(q.shape, CONDITIONAL, np.int8)
    out[np.isposinf(q)] = UNCONDITIONALLY_STABLE
    out[q == 0.0] = UNCONDITIONALLY_UNSTABLE
    out[np.isnan(q)] = NODATA
    return out
