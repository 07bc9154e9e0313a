"""Chemical properties and toxic / flammable thresholds for the hazmat simulation.

One row per chemical in ``data/chemicals.csv`` (sources per column in ``data/SOURCES.md``);
:func:`get_chemical` finds a chemical by name, alias (incl. Chinese names), CAS number or
formula, case-insensitively.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import lru_cache
from importlib import resources

import numpy as np

from twin.errors import InputError

R_J_MOL_K = 8.314462618  # molar gas constant (CODATA 2018)
P_ATM_PA = 101325.0
AIR_MOLAR_MASS_KG_MOL = 0.028964  # dry air
AIR_DIFFUSION_VOLUME = 19.7  # Fuller et al. (1966), Poling et al. (2001) Table 11-1
AEGL_MINUTES = (10, 30, 60)


@dataclass(frozen=True)
class Chemical:
    """Properties of one chemical (SI units; thresholds in ppm by volume, LEL in vol %).

    ``liquid_density_kg_m3`` is the saturated liquid at the normal boiling point,
    ``liquid_density_20c_kg_m3`` the saturated liquid at 20 C (nan if supercritical there);
    ``cp_liquid_j_kg_k`` is the mean saturated-liquid heat capacity between the boiling
    point and 20 C (the range the flash and pool formulas use); ``gamma`` is cp/cv of the
    ideal gas at 25 C; ``diffusion_volume`` is Fuller's sum of atomic diffusion volumes.
    Missing thresholds (not recommended / not set) are nan.
    """

    name: str
    aliases: tuple[str, ...]
    cas: str
    formula: str
    molar_mass_kg_mol: float
    boiling_point_k: float
    critical_temperature_k: float
    critical_pressure_pa: float
    liquid_density_kg_m3: float
    liquid_density_20c_kg_m3: float
    heat_vaporisation_j_kg: float
    cp_liquid_j_kg_k: float
    gamma: float
    diffusion_volume: float
    vp_equation: str
    vp_coefficients: tuple[float, ...]
    vp_tmin_k: float
    vp_tmax_k: float
    aegl_ppm: dict[tuple[int, int], float] = field(default_factory=dict)  # (level, minutes) -> ppm
    erpg_ppm: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    idlh_ppm: float = math.nan
    lel_vol_pct: float = math.nan

    # ------------------------------------------------------------------ thermodynamics

    def vapour_pressure_pa(self, T_k: float | np.ndarray) -> np.ndarray | float:
        """Saturation pressure (Pa). DIPPR eq. 101 ``ln P = C1 + C2/T + C3 ln T + C4 T^C5``
        (Perry's Chemical Engineers' Handbook, 8th ed., Table 2-8) or the Wagner 3-6 form
        ``ln(P/Pc) = (A t + B t^1.5 + C t^3 + D t^6)/Tr``, t = 1 - Tr (McGarry 1983).
        T is clamped to the fit's validity range [vp_tmin_k, vp_tmax_k]."""
        T = np.clip(np.asarray(T_k, float), self.vp_tmin_k, self.vp_tmax_k)
        c = self.vp_coefficients
        if self.vp_equation == "dippr101":
            p = np.exp(c[0] + c[1] / T + c[2] * np.log(T) + c[3] * T ** c[4])
        else:  # wagner36
            tr = T / self.critical_temperature_k
            t = 1.0 - tr
            p = self.critical_pressure_pa * np.exp((c[0] * t + c[1] * t**1.5 + c[2] * t**3 + c[3] * t**6) / tr)
        return float(p) if p.ndim == 0 else p

    def gas_density_kg_m3(self, T_k: float = 298.15, p_pa: float = P_ATM_PA) -> float:
        """Ideal-gas density ``p M / (R T)`` (kg/m3)."""
        _check_positive(T_k, "T_k")
        _check_positive(p_pa, "p_pa")
        return p_pa * self.molar_mass_kg_mol / (R_J_MOL_K * T_k)

    def liquid_density_at(self, T_k: float) -> float:
        """Saturated-liquid density (kg/m3) at T, linear between the boiling-point and 20 C
        values (extrapolated, but never below half the boiling-point density)."""
        rho_b, rho_20 = self.liquid_density_kg_m3, self.liquid_density_20c_kg_m3
        if math.isnan(rho_20) or abs(293.15 - self.boiling_point_k) < 1.0:
            return rho_b
        slope = (rho_20 - rho_b) / (293.15 - self.boiling_point_k)
        return max(rho_b + slope * (T_k - self.boiling_point_k), 0.5 * rho_b)

    def diffusivity_in_air_m2_s(self, T_k: float = 298.15, p_pa: float = P_ATM_PA) -> float:
        """Binary diffusion coefficient in air by Fuller, Schettler & Giddings (1966)
        (Poling, Prausnitz & O'Connell 2001, The Properties of Gases and Liquids, eq. 11-4.4)."""
        m_ab = 2.0 / (1.0 / (self.molar_mass_kg_mol * 1e3) + 1.0 / (AIR_MOLAR_MASS_KG_MOL * 1e3))
        s = self.diffusion_volume ** (1 / 3) + AIR_DIFFUSION_VOLUME ** (1 / 3)
        d_cm2_s = 0.00143 * T_k**1.75 / ((p_pa / 1e5) * math.sqrt(m_ab) * s * s)
        return d_cm2_s * 1e-4

    def is_flammable(self) -> bool:
        return not math.isnan(self.lel_vol_pct)

    # ------------------------------------------------------------------ thresholds

    def ppm_to_kg_m3(self, ppm: float | np.ndarray, T_k: float = 298.15, p_pa: float = P_ATM_PA) -> np.ndarray | float:
        """Mass concentration (kg/m3) of a volume mixing ratio in ppm: ``ppm 1e-6 p M/(R T)``."""
        c = np.asarray(ppm, float) * 1e-6 * self.gas_density_kg_m3(T_k, p_pa)
        return float(c) if c.ndim == 0 else c

    def threshold_ppm(self, kind: str, level: int = 2, minutes: int = 60) -> float:
        """A threshold in ppm: AEGL-level for 10/30/60 min, ERPG-level (1-h values), IDLH,
        or LEL with ``level`` read as the percentage of the LEL (e.g. 10 or 60 as ALOHA uses)."""
        k = str(kind).strip().upper()
        if k == "AEGL":
            if level not in (1, 2, 3):
                raise InputError(f"AEGL level {level!r}: expected 1, 2 or 3")
            if minutes not in AEGL_MINUTES:
                raise InputError(f"AEGL minutes {minutes!r}: expected one of 10, 30, 60")
            v = self.aegl_ppm.get((level, minutes), math.nan)
        elif k == "ERPG":
            if level not in (1, 2, 3):
                raise InputError(f"ERPG level {level!r}: expected 1, 2 or 3")
            v = self.erpg_ppm[level - 1]
        elif k == "IDLH":
            v = self.idlh_ppm
        elif k == "LEL":
            if not (0 < level <= 100):
                raise InputError(f"LEL level {level!r}: expected a percentage of the LEL in (0, 100]")
            v = self.lel_vol_pct * 1e4 * level / 100.0
        else:
            raise InputError(f"threshold kind {kind!r}: expected one of AEGL, ERPG, IDLH, LEL")
        if math.isnan(v):
            what = f"{k}-{level} {minutes} min" if k == "AEGL" else f"{k}-{level}" if k == "ERPG" else k
            raise InputError(f"threshold {what} for {self.name}: no value (not recommended or not set); choose another")
        return v

    def threshold_kg_m3(self, kind: str, level: int = 2, minutes: int = 60, T_k: float = 298.15) -> float:
        """:meth:`threshold_ppm` as a mass concentration (kg/m3) at T and 1 atm."""
        return float(self.ppm_to_kg_m3(self.threshold_ppm(kind, level, minutes), T_k))


def _check_positive(x: float, key: str) -> None:
    try:
        ok = math.isfinite(float(x)) and float(x) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"{key} {x!r}: expected a finite value > 0")


def _f(s: str) -> float:
    return float(s) if s.strip() else math.nan


def _norm(s: str) -> str:
    return re.sub(r"[\s_\-]+", " ", s.strip().lower())


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, Chemical], dict[str, str]]:
    """All chemicals by canonical name and a lookup of every normalised key -> name."""
    text = resources.files("sim.hazmat").joinpath("data/chemicals.csv").read_text(encoding="utf-8")
    chems: dict[str, Chemical] = {}
    keys: dict[str, str] = {}
    for r in csv.DictReader(text.splitlines()):
        aegl = {(lvl, m): _f(r[f"aegl{lvl}_{m}min_ppm"]) for lvl in (1, 2, 3) for m in AEGL_MINUTES}
        eq = r["vp_equation"]
        n_c = 5 if eq == "dippr101" else 4
        ch = Chemical(
            name=r["name"],
            aliases=tuple(a for a in r["aliases"].split("|") if a),
            cas=r["cas"],
            formula=r["formula"],
            molar_mass_kg_mol=_f(r["molar_mass_kg_mol"]),
            boiling_point_k=_f(r["boiling_point_k"]),
            critical_temperature_k=_f(r["critical_temperature_k"]),
            critical_pressure_pa=_f(r["critical_pressure_pa"]),
            liquid_density_kg_m3=_f(r["liquid_density_kg_m3"]),
            liquid_density_20c_kg_m3=_f(r["liquid_density_20c_kg_m3"]),
            heat_vaporisation_j_kg=_f(r["heat_vaporisation_j_kg"]),
            cp_liquid_j_kg_k=_f(r["cp_liquid_j_kg_k"]),
            gamma=_f(r["gamma"]),
            diffusion_volume=_f(r["diffusion_volume"]),
            vp_equation=eq,
            vp_coefficients=tuple(_f(r[f"vp_c{i}"]) for i in range(1, n_c + 1)),
            vp_tmin_k=_f(r["vp_tmin_k"]),
            vp_tmax_k=_f(r["vp_tmax_k"]),
            aegl_ppm=aegl,
            erpg_ppm=(_f(r["erpg1_ppm"]), _f(r["erpg2_ppm"]), _f(r["erpg3_ppm"])),
            idlh_ppm=_f(r["idlh_ppm"]),
            lel_vol_pct=_f(r["lel_vol_pct"]),
        )
        chems[ch.name] = ch
        for k in (ch.name, ch.cas, ch.formula, *ch.aliases):
            keys.setdefault(_norm(k), ch.name)
    return chems, keys


def chemical_names() -> list[str]:
    """Canonical names of all chemicals in the table."""
    return list(_table()[0])


def get_chemical(name: str) -> Chemical:
    """The chemical called ``name`` (canonical or alias, any case, Chinese names, CAS, formula);
    an unknown name raises InputError with the closest match and the known names."""
    chems, keys = _table()
    k = _norm(str(name))
    if k in keys:
        return chems[keys[k]]
    near = get_close_matches(k, list(keys), n=1, cutoff=0.6)
    hint = f" did you mean {keys[near[0]]!r}?" if near else ""
    raise InputError(f"unknown chemical {name!r}:{hint} Known: {', '.join(chems)}")
