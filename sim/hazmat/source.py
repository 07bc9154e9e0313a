"""Source terms of a hazardous-chemical release: the airborne mass rate over time.

Every source returns a :class:`SourceTerm`: a piecewise-constant rate on breakpoints
``times_s`` whose integral is the airborne mass (exactly, by construction: each interval's
rate is the mass released in it divided by its length). Models and references:

* gas escaping a pressurised tank through a hole, choked or not, with the tank blowing down
  (Crowl & Louvar 2011, Chemical Process Safety, 3rd ed., eqs. 4-48 to 4-50);
* liquid through a hole with the tank draining (Bernoulli, Crowl & Louvar eq. 4-7), with
  adiabatic flash of a superheated liquid (eq. 4-90), an aerosol equal to the flashed mass
  carried off with it, and the rest forming a spreading, evaporating pool (boiling: heat
  conducted from the ground; non-boiling: Mackay & Matsugu mass transfer);
* a refrigerated (or any) liquid spilled onto the ground.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from scipy.integrate import quad

from sim.hazmat.chemicals import P_ATM_PA, R_J_MOL_K, Chemical
from sim.hazmat.weather import check_wind_speed
from twin.errors import InputError

G_M_S2 = 9.80665

# Ground under a pool: thermal conductivity (W/m/K), density (kg/m3), heat capacity (J/kg/K)
# at 300 K from Incropera, DeWitt, Bergman & Lavine (2007), Fundamentals of Heat and Mass
# Transfer, 6th ed., Table A.3 ("concrete, stone mix", "soil", "sand").
GROUND_THERMAL: dict[str, tuple[float, float, float]] = {
    "concrete": (1.4, 2300.0, 880.0),
    "soil": (0.52, 2050.0, 1840.0),
    "sand": (0.27, 1515.0, 800.0),
}
# Kinematic viscosity of air (m2/s) at 250, 300, 350 K (Incropera et al. 2007, Table A.4).
_AIR_NU_T_K = (250.0, 300.0, 350.0)
_AIR_NU_M2_S = (11.44e-6, 15.89e-6, 20.92e-6)
MAX_POOL_STEPS = 50_000


@dataclass
class SourceTerm:
    """Airborne release rate over time.

    ``rate_kg_s[k]`` holds on ``[times_s[k], times_s[k+1])``; the last value is 0 (after the
    end). ``density_kg_m3`` is the initial cloud density (for the dense-gas switch),
    ``source_radius_m`` the pool or expanded-jet radius.
    """

    times_s: np.ndarray
    rate_kg_s: np.ndarray
    kind: str
    total_mass_kg: float
    temperature_k: float
    density_kg_m3: float
    source_radius_m: float
    notes: list[str] = field(default_factory=list)

    def rate_at(self, t_s: float | np.ndarray) -> np.ndarray | float:
        """Rate (kg/s) at time(s) t; 0 before the start and after the end."""
        t = np.asarray(t_s, float)
        k = np.searchsorted(self.times_s, t, side="right") - 1
        r = np.where((k >= 0) & (k < len(self.rate_kg_s)), self.rate_kg_s[np.clip(k, 0, len(self.rate_kg_s) - 1)], 0.0)
        return float(r) if r.ndim == 0 else r

    @property
    def duration_s(self) -> float:
        return float(self.times_s[-1] - self.times_s[0])

    def mean_rate_kg_s(self) -> float:
        """Total airborne mass over the release duration."""
        return self.total_mass_kg / self.duration_s if self.duration_s > 0 else 0.0

    def mass_released_kg(self, t_s: float) -> float:
        """Airborne mass released up to time t (integral of the rate)."""
        dt = np.clip(t_s - self.times_s[:-1], 0.0, np.diff(self.times_s))
        return float(np.sum(self.rate_kg_s[:-1] * dt))


def _make(times: np.ndarray, mass_per_interval: np.ndarray, kind: str, T_k: float, rho: float, r_m: float, notes: list[str]) -> SourceTerm:
    times = np.asarray(times, float)
    dm = np.asarray(mass_per_interval, float)
    rate = np.append(dm / np.diff(times), 0.0)
    return SourceTerm(times, rate, kind, float(dm.sum()), float(T_k), float(rho), float(r_m), notes)


def _positive(x: float | None, key: str, unit: str) -> float:
    if x is None or not math.isfinite(float(x)) or float(x) <= 0.0:
        raise InputError(f"{key} {x!r}: expected a value > 0 {unit}")
    return float(x)


# --------------------------------------------------------------------------- direct


def direct_release(
    rate_kg_s: float | np.ndarray, duration_s: float | np.ndarray, chem: Chemical, T_k: float, source_radius_m: float = 0.0
) -> SourceTerm:
    """A gas release at temperature T: ``rate_kg_s`` for ``duration_s``, or a piecewise-constant
    series: ``rate_kg_s`` an array of n rates (>= 0, not all 0) and ``duration_s`` the n+1
    increasing interval bounds (s)."""
    T = _positive(T_k, "T_k", "K")
    rho = chem.gas_density_kg_m3(T)
    if np.ndim(rate_kg_s) == 0:
        q = _positive(rate_kg_s, "rate_kg_s", "kg/s")
        d = _positive(duration_s, "duration_s", "s")
        return _make(np.array([0.0, d]), np.array([q * d]), "direct", T, rho, source_radius_m, [])
    q = np.asarray(rate_kg_s, float).ravel()
    t = np.asarray(duration_s, float).ravel()
    if q.size == 0 or np.any(~np.isfinite(q)) or np.any(q < 0) or not np.any(q > 0):
        raise InputError(f"rate_kg_s {q.tolist()!r}: expected rates >= 0 kg/s, at least one > 0")
    if t.size != q.size + 1 or np.any(~np.isfinite(t)) or np.any(np.diff(t) <= 0) or t[0] < 0:
        raise InputError(f"times_s {t.tolist()!r}: expected {q.size + 1} increasing interval bounds >= 0 s (one more than the rates)")
    return _make(t, q * np.diff(t), "direct", T, rho, source_radius_m, [])


# --------------------------------------------------------------------------- gas through a hole


def choked_pressure_ratio(gamma: float) -> float:
    """Downstream/upstream pressure ratio below which gas flow is choked,
    ``(2/(gamma+1))^(gamma/(gamma-1))`` (Crowl & Louvar 2011, eq. 4-49)."""
    return (2.0 / (gamma + 1.0)) ** (gamma / (gamma - 1.0))


def gas_orifice_mass_flow_kg_s(
    p_up_pa: float | np.ndarray,
    T_up_k: float | np.ndarray,
    p_down_pa: float,
    gamma: float,
    molar_mass_kg_mol: float,
    area_m2: float,
    cd: float,
) -> np.ndarray | float:
    """Isentropic ideal-gas mass flow through an orifice (Crowl & Louvar 2011):
    choked ``cd A p sqrt(gamma M/(R T) (2/(gamma+1))^((gamma+1)/(gamma-1)))`` (eq. 4-50) when
    p_down/p_up <= the choked ratio, else
    ``cd A p sqrt(2 M/(R T) gamma/(gamma-1) [r^(2/gamma) - r^((gamma+1)/gamma)])``, r = p_down/p_up
    (eq. 4-48); 0 when p_up <= p_down."""
    p = np.asarray(p_up_pa, float)
    T = np.asarray(T_up_k, float)
    g = gamma
    mrt = molar_mass_kg_mol / (R_J_MOL_K * T)
    r = np.clip(p_down_pa / np.maximum(p, 1e-300), 0.0, 1.0)
    choked = cd * area_m2 * p * np.sqrt(g * mrt * (2.0 / (g + 1.0)) ** ((g + 1.0) / (g - 1.0)))
    sub = cd * area_m2 * p * np.sqrt(np.maximum(2.0 * mrt * g / (g - 1.0) * (r ** (2.0 / g) - r ** ((g + 1.0) / g)), 0.0))
    q = np.where(r <= choked_pressure_ratio(g), choked, sub)
    q = np.where(p > p_down_pa, q, 0.0)
    return float(q) if q.ndim == 0 else q


def gas_tank_hole(
    chem: Chemical,
    p_tank_pa: float,
    T_k: float,
    hole_diameter_m: float,
    volume_m3: float,
    cd: float = 0.61,
    p_ambient_pa: float = P_ATM_PA,
    mode: str = "adiabatic",
    n_intervals: int = 200,
) -> SourceTerm:
    """Gas escaping through a hole in a tank of ideal gas that blows down to ambient pressure.

    The tank gas expands isentropically (``mode='adiabatic'``: p ~ m^gamma, T ~ m^(gamma-1))
    or at constant temperature (``'isothermal'``); the hole flow is
    :func:`gas_orifice_mass_flow_kg_s`. Time as a function of tank mass, ``t = int dm/Q``,
    is integrated over equal steps of released mass (substituting m - m_end = s^2, which
    removes the square-root zero of Q at the end), so the rate on each step is exact and
    the total is the releasable mass (what is above ambient pressure). ``cd`` 0.61 is the
    sharp-edged orifice value (Crowl & Louvar 2011, sec. 4-2).
    """
    p0 = _positive(p_tank_pa, "p_tank_pa", "Pa (absolute)")
    T0 = _positive(T_k, "T_k", "K")
    d = _positive(hole_diameter_m, "hole_diameter_m", "m")
    V = _positive(volume_m3, "volume_m3", "m3")
    pa = _positive(p_ambient_pa, "p_ambient_pa", "Pa")
    if not (0.0 < cd <= 1.0):
        raise InputError(f"cd {cd!r}: expected a discharge coefficient in (0, 1]")
    if p0 <= pa:
        raise InputError(f"p_tank_pa {p0:g}: expected an absolute tank pressure above ambient {pa:g} Pa")
    if mode not in ("adiabatic", "isothermal"):
        raise InputError(f"mode {mode!r}: expected 'adiabatic' or 'isothermal'")
    if T0 < chem.critical_temperature_k and p0 > chem.vapour_pressure_pa(T0):
        raise InputError(
            f"p_tank_pa {p0:g}: above the vapour pressure of {chem.name} at {T0:g} K "
            f"({chem.vapour_pressure_pa(T0):.4g} Pa), so the tank holds liquid; use liquid_tank_hole"
        )
    g, M = chem.gamma, chem.molar_mass_kg_mol
    area = math.pi * d * d / 4.0
    m0 = p0 * V * M / (R_J_MOL_K * T0)
    if mode == "adiabatic":
        m_end = m0 * (pa / p0) ** (1.0 / g)
        state = lambda m: (p0 * (m / m0) ** g, T0 * (m / m0) ** (g - 1.0))  # noqa: E731
    else:
        m_end = m0 * pa / p0
        state = lambda m: (p0 * m / m0, T0)  # noqa: E731

    def dt_ds(s: float) -> float:
        m = m_end + s * s
        p, T = state(m)
        q = gas_orifice_mass_flow_kg_s(p, T, pa, g, M, area, cd)
        if s == 0.0 or q <= 0.0:  # limit 2s/Q as s -> 0 from the slope of Q in s
            s1 = 1e-9 * math.sqrt(m0 - m_end)
            p1, T1 = state(m_end + s1 * s1)
            return 2.0 * s1 / gas_orifice_mass_flow_kg_s(p1, T1, pa, g, M, area, cd)
        return 2.0 * s / q

    n = max(int(n_intervals), 1)
    m_levels = m0 - (m0 - m_end) * np.arange(n + 1) / n
    s_levels = np.sqrt(np.maximum(m_levels - m_end, 0.0))
    dts = np.array([quad(dt_ds, s_levels[k + 1], s_levels[k], epsrel=1e-10, epsabs=0.0, limit=200)[0] for k in range(n)])
    times = np.concatenate([[0.0], np.cumsum(dts)])
    p_choke = pa / choked_pressure_ratio(g)
    notes = [f"initial tank mass {m0:.4g} kg; {m_end:.4g} kg stays in the tank at ambient pressure"]
    if p0 > p_choke:
        m_c = m0 * (p_choke / p0) ** (1.0 / g) if mode == "adiabatic" else m0 * p_choke / p0
        t_c = quad(dt_ds, math.sqrt(m_c - m_end), math.sqrt(m0 - m_end), epsrel=1e-10, epsabs=0.0, limit=200)[0]
        notes.append(f"choked flow until the tank falls to {p_choke:.4g} Pa at t = {t_c:.4g} s")
    # Expanded-jet (pseudo-source) radius at ambient pressure and sonic velocity at the
    # throat temperature 2 T/(gamma+1), after Birch et al. (1984, Combust. Sci. Technol. 36, 249).
    q0 = gas_orifice_mass_flow_kg_s(p0, T0, pa, g, M, area, cd)
    T_star = 2.0 * T0 / (g + 1.0)
    rho_star = pa * M / (R_J_MOL_K * T_star)
    c_star = math.sqrt(g * R_J_MOL_K * T_star / M)
    r_ps = math.sqrt(q0 / (math.pi * rho_star * c_star)) if p0 > p_choke else d / 2.0
    return _make(times, -np.diff(m_levels), "gas_tank", T0, chem.gas_density_kg_m3(T0, pa), r_ps, notes)


# --------------------------------------------------------------------------- liquid through a hole


def liquid_orifice_mass_flow_kg_s(
    rho_kg_m3: float, p_tank_pa: float, p_ambient_pa: float, head_m: float, area_m2: float, cd: float
) -> float:
    """Bernoulli liquid discharge ``cd A rho sqrt(2 (p_tank - p_amb)/rho + 2 g h)`` (Crowl &
    Louvar 2011, eq. 4-7), h the liquid height above the hole."""
    u2 = 2.0 * (p_tank_pa - p_ambient_pa) / rho_kg_m3 + 2.0 * G_M_S2 * head_m
    return cd * area_m2 * rho_kg_m3 * math.sqrt(max(u2, 0.0))


def _drain_consts(rho: float, dp_pa: float, head_m: float, tank_area_m2: float, hole_area_m2: float, cd: float) -> tuple[float, float, float]:
    hp = dp_pa / (rho * G_M_S2)
    return head_m + hp, hp, cd * hole_area_m2 * math.sqrt(2.0 * G_M_S2) / (2.0 * tank_area_m2)


def liquid_drain_time_s(rho_kg_m3: float, dp_pa: float, head_m: float, tank_area_m2: float, hole_area_m2: float, cd: float) -> float:
    """Time for the liquid above a bottom hole to drain from a vertical tank at constant
    overpressure dp: ``(sqrt(H0) - sqrt(Hp))/k``, H = h + dp/(rho g), k = cd A sqrt(2g)/(2 A_t)
    (integral of Crowl & Louvar eq. 4-7 with dm/dt = -rho A_t dh/dt; for dp = 0 it reduces
    to their tank-emptying time ``t = (A_t/(cd A)) sqrt(2 h0/g)``, sec. 4-3)."""
    H0, Hp, k = _drain_consts(rho_kg_m3, dp_pa, head_m, tank_area_m2, hole_area_m2, cd)
    return (math.sqrt(H0) - math.sqrt(Hp)) / k


def liquid_drained_kg(
    t_s: float | np.ndarray, rho_kg_m3: float, dp_pa: float, head_m: float, tank_area_m2: float, hole_area_m2: float, cd: float
) -> np.ndarray:
    """Mass drained by time t from a vertical tank through a bottom hole (see
    :func:`liquid_drain_time_s`): ``rho A_t (h0 - h(t))``, ``h = (sqrt(H0) - k t)^2 - Hp``."""
    H0, Hp, k = _drain_consts(rho_kg_m3, dp_pa, head_m, tank_area_m2, hole_area_m2, cd)
    tt = np.minimum(np.asarray(t_s, float), (math.sqrt(H0) - math.sqrt(Hp)) / k)
    h = (math.sqrt(H0) - k * tt) ** 2 - Hp
    return rho_kg_m3 * tank_area_m2 * (head_m - np.maximum(h, 0.0))


def flash_fraction(chem: Chemical, T_k: float) -> float:
    """Mass fraction of a superheated liquid that flashes on release to 1 atm,
    ``cp (T - Tb)/dHv`` (Crowl & Louvar 2011, eq. 4-90), clipped to [0, 1]."""
    f = chem.cp_liquid_j_kg_k * (T_k - chem.boiling_point_k) / chem.heat_vaporisation_j_kg
    return float(min(max(f, 0.0), 1.0))


def _air_kinematic_viscosity_m2_s(T_k: float) -> float:
    return float(np.interp(T_k, _AIR_NU_T_K, _AIR_NU_M2_S))


def mackay_matsugu_k_m_s(wind_m_s: float, pool_diameter_m: float, schmidt: float) -> float:
    """Mass-transfer coefficient over a pool ``0.0048 u^(7/9) Z^(-1/9) Sc^(-2/3)`` (m/s; u at
    10 m in m/s, Z pool diameter in m): Mackay & Matsugu (1973, Can. J. Chem. Eng. 51,
    434-439) in the SI form of Kawamura & Mackay (1987, J. Hazard. Mater. 15, 343-364)."""
    return 0.0048 * wind_m_s ** (7.0 / 9.0) * pool_diameter_m ** (-1.0 / 9.0) * schmidt ** (-2.0 / 3.0)


@njit(cache=True)
def _pool_kernel(
    inflow_kg: np.ndarray,
    dt_s: float,
    area_per_kg_m2: float,
    area_max_m2: float,
    boiling: bool,
    ground_coef: float,
    nb_coef: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Evaporated mass per step and pool area per step of a pool fed by ``inflow_kg``.

    Area: the largest area reached so far at the minimum depth (``area_per_kg`` m2 per kg),
    capped by ``area_max`` (bund). Boiling: each newly wetted ring of area dA from time t_i
    draws the ground heat ``dA coef (sqrt(t - t_i)`` integrated exactly over a step, coef =
    2 k dT / (sqrt(pi alpha) dHv)) in kg. Non-boiling: ``nb_coef A Z^(-1/9) dt``.
    Evaporation never exceeds the liquid present; the loop stops once the pool is gone and
    nothing more flows in.
    """
    n = inflow_kg.shape[0]
    evap = np.zeros(n)
    area_out = np.zeros(n)
    t_wet = np.empty(n)
    d_area = np.empty(n)
    n_rings = 0
    mass = 0.0
    area = 0.0
    remaining_in = inflow_kg.sum()
    for k in range(n):
        mass += inflow_kg[k]
        remaining_in -= inflow_kg[k]
        target = min(mass * area_per_kg_m2, area_max_m2)
        if target > area:
            t_wet[n_rings] = k * dt_s
            d_area[n_rings] = target - area
            n_rings += 1
            area = target
        if mass <= 0.0:
            if remaining_in <= 0.0:
                break
            continue
        e = 0.0
        if boiling:
            t0 = k * dt_s
            t1 = t0 + dt_s
            for i in range(n_rings):
                e += d_area[i] * (math.sqrt(t1 - t_wet[i]) - math.sqrt(max(t0 - t_wet[i], 0.0)))
            e *= ground_coef
        else:
            z = math.sqrt(4.0 * area / math.pi)
            e = nb_coef * area * z ** (-1.0 / 9.0) * dt_s
        e = min(e, mass)
        evap[k] = e
        mass -= e
        area_out[k] = area
    return evap, area_out


def _pool_release(
    chem: Chemical,
    times: np.ndarray,
    direct_kg: np.ndarray,
    pool_in_kg: np.ndarray,
    T_pool_k: float,
    T_ground_k: float,
    ground: str,
    bund_area_m2: float | None,
    min_pool_depth_m: float,
    wind_m_s: float | None,
    kind: str,
    notes: list[str],
    hole_radius_m: float,
) -> SourceTerm:
    """Airborne rate = direct (flash + aerosol) mass + pool evaporation, on a uniform grid.
    The cloud density reported is that of the pure vapour at the release temperature (Tb
    for flashing or boiling releases); entrained aerosol would make it denser still."""
    if ground not in GROUND_THERMAL:
        raise InputError(f"ground {ground!r}: expected one of {', '.join(GROUND_THERMAL)}")
    h_min = _positive(min_pool_depth_m, "min_pool_depth_m", "m")
    a_max = math.inf if bund_area_m2 is None else _positive(bund_area_m2, "bund_area_m2", "m2")
    Tg = _positive(T_ground_k, "T_ground_k", "K")
    Tb = chem.boiling_point_k
    boiling = T_pool_k >= Tb - 0.5 and Tg > Tb
    rho_l = chem.liquid_density_at(min(T_pool_k, Tb) if boiling else T_pool_k)
    ground_coef = 0.0
    nb_coef = 0.0
    if boiling:
        k_s, rho_s, cp_s = GROUND_THERMAL[ground]
        alpha = k_s / (rho_s * cp_s)
        # Heat conducted into the pool from a semi-infinite ground after a step in surface
        # temperature, q = k dT / sqrt(pi alpha t) (Carslaw & Jaeger 1959, sec. 2.5; used for
        # boiling pools in CCPS 1999, Guidelines for Consequence Analysis, sec. 2.3.2).
        ground_coef = 2.0 * k_s * (Tg - Tb) / math.sqrt(math.pi * alpha) / chem.heat_vaporisation_j_kg
        T_release = Tb
        notes.append(f"boiling pool on {ground}: evaporation by heat conducted from the ground ({Tg:g} K)")
    else:
        if float(pool_in_kg.sum()) > 0.0:
            if wind_m_s is None:
                raise InputError("wind_m_s None: expected the 10-m wind speed (m/s) for a non-boiling pool's evaporation")
            u = check_wind_speed(wind_m_s)
            psat = chem.vapour_pressure_pa(T_pool_k)
            sc = _air_kinematic_viscosity_m2_s(T_pool_k) / chem.diffusivity_in_air_m2_s(T_pool_k)
            nb_coef = (
                0.0048 * u ** (7.0 / 9.0) * sc ** (-2.0 / 3.0) * chem.molar_mass_kg_mol * psat / (R_J_MOL_K * T_pool_k)
            )
            notes.append(f"non-boiling pool at {T_pool_k:g} K: Mackay-Matsugu evaporation, Sc = {sc:.3g}")
        T_release = T_pool_k
    evap, area = _pool_kernel(pool_in_kg, float(times[1] - times[0]), 1.0 / (rho_l * h_min), a_max, boiling, ground_coef, nb_coef)
    airborne = direct_kg + evap
    left = float(pool_in_kg.sum() - evap.sum())
    if left > 1e-9 * max(float(pool_in_kg.sum()), 1.0):
        notes.append(f"pool still holds {left:.4g} kg at t = {times[-1]:g} s (raise t_max_s to follow it)")
    last = int(np.nonzero(airborne > 0)[0][-1]) + 1 if np.any(airborne > 0) else 1
    a_peak = float(area.max()) if area.size else 0.0
    r = math.sqrt(a_peak / math.pi) if a_peak > 0 else hole_radius_m
    if a_peak > 0:
        notes.append(f"largest pool area {a_peak:.4g} m2" + (" (bund)" if a_peak >= a_max * (1 - 1e-12) else ""))
    rho_v = chem.gas_density_kg_m3(T_release)
    return _make(times[: last + 1], airborne[:last], kind, T_release, rho_v, r, notes)


def _time_grid(t_max_s: float, dt_s: float) -> np.ndarray:
    t_max = _positive(t_max_s, "t_max_s", "s")
    dt = max(_positive(dt_s, "dt_s", "s"), t_max / MAX_POOL_STEPS)
    n = int(math.ceil(t_max / dt))
    return np.arange(n + 1) * dt


def liquid_tank_hole(
    chem: Chemical,
    p_tank_pa: float | None,
    T_k: float,
    hole_diameter_m: float,
    liquid_mass_kg: float,
    liquid_head_m: float,
    cd: float = 0.61,
    bund_area_m2: float | None = None,
    wind_m_s: float | None = None,
    T_ground_k: float = 293.15,
    ground: str = "concrete",
    min_pool_depth_m: float = 0.01,
    p_ambient_pa: float = P_ATM_PA,
    dt_s: float = 1.0,
    t_max_s: float = 3600.0,
) -> SourceTerm:
    """Liquid escaping through a hole at the bottom of a vertical tank, flashing and pooling.

    Outflow: Bernoulli (Crowl & Louvar eq. 4-7) with the tank draining at constant vapour-
    space pressure; for a constant cross-section A_t = mass/(rho h0) the head obeys
    ``sqrt(H) = sqrt(H0) - cd A sqrt(2g)/(2 A_t) t`` with H = h + (p - p_a)/(rho g), so the
    released mass is exact in closed form. ``p_tank_pa`` None = the vapour pressure at T
    (or ambient if lower). A superheated liquid (T > Tb) flashes the fraction f of
    :func:`flash_fraction`; an equal mass of aerosol goes with the vapour (airborne 2f,
    capped at 1: CCPS 1999, Guidelines for Consequence Analysis of Chemical Releases,
    sec. 2.2), the rest rains out into a pool that spreads to ``min_pool_depth_m`` or the
    bund and evaporates (see :func:`pool_spill`). The airborne rate is reported on a grid of
    ``dt_s`` up to ``t_max_s``.
    """
    T = _positive(T_k, "T_k", "K")
    d = _positive(hole_diameter_m, "hole_diameter_m", "m")
    m0 = _positive(liquid_mass_kg, "liquid_mass_kg", "kg")
    h0 = _positive(liquid_head_m, "liquid_head_m", "m")
    pa = _positive(p_ambient_pa, "p_ambient_pa", "Pa")
    if not (0.0 < cd <= 1.0):
        raise InputError(f"cd {cd!r}: expected a discharge coefficient in (0, 1]")
    if T >= chem.critical_temperature_k:
        raise InputError(f"T_k {T:g}: above the critical temperature of {chem.name} ({chem.critical_temperature_k:g} K), no liquid; use gas_tank_hole")
    psat = chem.vapour_pressure_pa(T)
    p_tank = max(psat, pa) if p_tank_pa is None else _positive(p_tank_pa, "p_tank_pa", "Pa (absolute)")
    if p_tank < pa * (1 - 1e-9):
        raise InputError(f"p_tank_pa {p_tank:g}: expected an absolute pressure >= ambient {pa:g} Pa")
    if p_tank < psat * (1 - 1e-3):
        raise InputError(f"p_tank_pa {p_tank:g}: below the vapour pressure of {chem.name} at {T:g} K ({psat:.4g} Pa); the liquid would boil in the tank")
    rho = chem.liquid_density_at(T)
    area = math.pi * d * d / 4.0
    A_t = m0 / (rho * h0)
    dp = p_tank - pa
    t_drain = liquid_drain_time_s(rho, dp, h0, A_t, area, cd)
    times = _time_grid(t_max_s, dt_s)

    def released(t: np.ndarray) -> np.ndarray:
        return liquid_drained_kg(t, rho, dp, h0, A_t, area, cd)

    out = np.diff(released(times))
    f = flash_fraction(chem, T)
    airborne_frac = min(2.0 * f, 1.0)
    notes = [
        f"initial outflow {liquid_orifice_mass_flow_kg_s(rho, p_tank, pa, h0, area, cd):.4g} kg/s; tank empties at t = {t_drain:.4g} s",
        f"flash fraction {f:.3f}; airborne with aerosol {airborne_frac:.3f} of the outflow",
    ]
    if t_drain > times[-1]:
        notes.append(f"tank still draining at t_max_s = {times[-1]:g} s ({m0 - float(released(times[-1:])[0]):.4g} kg left)")
    T_pool = chem.boiling_point_k if f > 0.0 else T
    return _pool_release(
        chem, times, airborne_frac * out, (1.0 - airborne_frac) * out, T_pool, T_ground_k, ground,
        bund_area_m2, min_pool_depth_m, wind_m_s, "liquid_tank", notes, d / 2.0,
    )


def pool_spill(
    chem: Chemical,
    liquid_mass_kg: float,
    T_liquid_k: float,
    spill_duration_s: float = 0.0,
    T_ground_k: float = 293.15,
    ground: str = "concrete",
    bund_area_m2: float | None = None,
    min_pool_depth_m: float = 0.01,
    wind_m_s: float | None = None,
    dt_s: float = 1.0,
    t_max_s: float = 3600.0,
) -> SourceTerm:
    """Liquid at ``T_liquid_k`` (<= its boiling point) spilled onto the ground at a constant
    rate over ``spill_duration_s`` (0: all in the first step), forming a pool that spreads to
    ``min_pool_depth_m`` (or fills the bund) and evaporates: boiling when the liquid is at its
    boiling point on warmer ground (ground-heat conduction), else by Mackay-Matsugu mass
    transfer at the liquid temperature (needs ``wind_m_s``)."""
    m0 = _positive(liquid_mass_kg, "liquid_mass_kg", "kg")
    T = _positive(T_liquid_k, "T_liquid_k", "K")
    if T > chem.boiling_point_k + 0.5:
        raise InputError(f"T_liquid_k {T:g}: above the boiling point of {chem.name} ({chem.boiling_point_k:g} K); a superheated liquid flashes, use liquid_tank_hole")
    if spill_duration_s < 0:
        raise InputError(f"spill_duration_s {spill_duration_s!r}: expected >= 0 s")
    times = _time_grid(t_max_s, dt_s)
    t_in = np.minimum(times, spill_duration_s)
    cum = m0 * (t_in / spill_duration_s) if spill_duration_s > 0 else np.where(times > 0, m0, 0.0)
    pool_in = np.diff(cum)
    notes = [f"{m0:.4g} kg spilled over {spill_duration_s:g} s"]
    return _pool_release(
        chem, times, np.zeros_like(pool_in), pool_in, T, T_ground_k, ground, bund_area_m2,
        min_pool_depth_m, wind_m_s, "pool", notes, 0.0,
    )


def refrigerated_pool(
    chem: Chemical,
    liquid_mass_kg: float,
    spill_duration_s: float = 0.0,
    T_ground_k: float = 293.15,
    ground: str = "concrete",
    bund_area_m2: float | None = None,
    min_pool_depth_m: float = 0.01,
    dt_s: float = 1.0,
    t_max_s: float = 3600.0,
    wind_m_s: float | None = None,
) -> SourceTerm:
    """A refrigerated liquid stored at its boiling point (e.g. ammonia at -33 C) spilled onto
    warmer ground: no flash, a boiling pool fed by ground heat (see :func:`pool_spill`;
    ``wind_m_s`` is only needed if the ground is colder than the boiling point)."""
    st = pool_spill(
        chem, liquid_mass_kg, chem.boiling_point_k, spill_duration_s, T_ground_k, ground,
        bund_area_m2, min_pool_depth_m, wind_m_s, dt_s, t_max_s,
    )
    st.kind = "refrigerated_pool"
    return st
