"""Source terms of the hazmat simulation against closed forms, a textbook example and mass balance."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.hazmat.chemicals import R_J_MOL_K, get_chemical
from sim.hazmat.source import (
    GROUND_THERMAL,
    _air_kinematic_viscosity_m2_s,
    choked_pressure_ratio,
    direct_release,
    flash_fraction,
    gas_orifice_mass_flow_kg_s,
    gas_tank_hole,
    liquid_drain_time_s,
    liquid_drained_kg,
    liquid_orifice_mass_flow_kg_s,
    liquid_tank_hole,
    mackay_matsugu_k_m_s,
    pool_spill,
    refrigerated_pool,
)
from twin.errors import InputError

G = 9.80665


# --------------------------------------------------------------------------- gas through a hole


@pytest.mark.parametrize("gamma", [1.1, 1.3, 1.4, 5 / 3])
def test_choked_pressure_ratio_is_exact(gamma):
    assert choked_pressure_ratio(gamma) == pytest.approx((2 / (gamma + 1)) ** (gamma / (gamma - 1)), rel=1e-15)


def test_choked_ratio_air_and_flow_continuity():
    # textbook value for gamma = 1.4: 0.5283; at that ratio the subsonic formula (eq. 4-48)
    # must meet the choked one (eq. 4-50)
    r = choked_pressure_ratio(1.4)
    assert r == pytest.approx(0.528282, abs=1e-6)
    args = (1.4, 0.028, 1e-4, 0.61)
    below = gas_orifice_mass_flow_kg_s(1e6, 300.0, r * 1e6 * (1 - 1e-9), *args)
    above = gas_orifice_mass_flow_kg_s(1e6, 300.0, r * 1e6 * (1 + 1e-9), *args)
    assert above == pytest.approx(below, rel=1e-6)
    # and the subsonic flow grows as the back pressure falls
    q = [gas_orifice_mass_flow_kg_s(1e6, 300.0, pb, *args) for pb in (9e5, 8e5, 7e5, 6e5)]
    assert all(b > a for a, b in zip(q, q[1:]))


def test_choked_mass_flow_closed_form():
    cl = get_chemical("chlorine")
    g, M, p, T, d, cd = cl.gamma, cl.molar_mass_kg_mol, 4.0e5, 293.15, 0.01, 0.61
    area = math.pi * d * d / 4
    expected = cd * area * p * math.sqrt(g * M / (R_J_MOL_K * T) * (2 / (g + 1)) ** ((g + 1) / (g - 1)))
    assert gas_orifice_mass_flow_kg_s(p, T, 101325.0, g, M, area, cd) == pytest.approx(expected, rel=1e-9)


def test_crowl_louvar_nitrogen_hole_example():
    # Crowl & Louvar, Chemical Process Safety, ch. 4 worked example: a 0.1-in hole in a tank of
    # nitrogen at 200 psig and 80 F, Co = 1, gamma = 1.4 -> Qm = 0.0380 lbm/s (book answer).
    p = (200.0 + 14.7) * 6894.757
    T = (80.0 - 32.0) / 1.8 + 273.15
    d = 0.1 * 0.0254
    q = gas_orifice_mass_flow_kg_s(p, T, 101325.0, 1.4, 0.028013, math.pi * d * d / 4, 1.0)
    assert q / 0.45359237 == pytest.approx(0.0380, rel=0.03)


def _co_tank(mode: str):
    return gas_tank_hole(get_chemical("carbon monoxide"), 30e5, 293.15, 0.01, 2.0, mode=mode, n_intervals=100)


def test_isothermal_blowdown_matches_exponential_decay():
    # isothermal + choked: Q = Q0 m/m0, so m = m0 exp(-t/tau), tau = m0/Q0
    co = get_chemical("carbon monoxide")
    st = _co_tank("isothermal")
    m0 = 30e5 * 2.0 * co.molar_mass_kg_mol / (R_J_MOL_K * 293.15)
    q0 = gas_orifice_mass_flow_kg_s(30e5, 293.15, 101325.0, co.gamma, co.molar_mass_kg_mol, math.pi * 1e-4 / 4, 0.61)
    tau = m0 / q0
    m_end = m0 * 101325.0 / 30e5
    m = m0 - np.cumsum(st.rate_kg_s[:-1] * np.diff(st.times_s))
    choked = m * 101325.0 / m_end > 101325.0 / choked_pressure_ratio(co.gamma)  # tank pressure above p*
    t_exact = tau * np.log(m0 / m[choked])
    assert st.times_s[1:][choked] == pytest.approx(t_exact, rel=1e-8)
    assert st.total_mass_kg == pytest.approx(m0 - m_end, rel=1e-12)


def test_adiabatic_blowdown_choked_phase_closed_form():
    # adiabatic + choked: Q = Q0 (m/m0)^n, n = (gamma+1)/2  ->  t = m0/(Q0 (n-1)) [(m/m0)^(1-n) - 1]
    co = get_chemical("carbon monoxide")
    g = co.gamma
    st = _co_tank("adiabatic")
    m0 = 30e5 * 2.0 * co.molar_mass_kg_mol / (R_J_MOL_K * 293.15)
    q0 = gas_orifice_mass_flow_kg_s(30e5, 293.15, 101325.0, g, co.molar_mass_kg_mol, math.pi * 1e-4 / 4, 0.61)
    n = (g + 1) / 2
    m = m0 - np.cumsum(st.rate_kg_s[:-1] * np.diff(st.times_s))
    choked = 30e5 * (m / m0) ** g > 101325.0 / choked_pressure_ratio(g)
    t_exact = m0 / (q0 * (n - 1)) * ((m[choked] / m0) ** (1 - n) - 1)
    assert st.times_s[1:][choked] == pytest.approx(t_exact, rel=1e-8)
    # mass conservation: all gas above ambient pressure leaves, m_end = m0 (pa/p0)^(1/gamma)
    assert st.total_mass_kg == pytest.approx(m0 * (1 - (101325.0 / 30e5) ** (1 / g)), rel=1e-12)
    assert st.mass_released_kg(st.times_s[-1] + 10) == pytest.approx(st.total_mass_kg, rel=1e-12)
    assert np.all(np.diff(st.rate_kg_s[:-1]) <= 0) and st.rate_kg_s[-1] == 0.0


def test_gas_tank_rejects_a_liquefied_gas():
    with pytest.raises(InputError, match="liquid_tank_hole"):
        gas_tank_hole(get_chemical("chlorine"), 10e5, 293.15, 0.01, 1.0)


# --------------------------------------------------------------------------- liquids


def test_flash_fractions_at_20c():
    # Isenthalpic flash from 20 C to 1 atm, [h_l(20 C) - h_l(Tb)] / dh_v(Tb), from the reference
    # equations of state (chlorine: Thol et al. 2021; ammonia: Gao et al. 2020): 0.1807 and 0.1788.
    # The linear formula of Crowl & Louvar eq. 4-90 with mean cp must come within 0.005; both lie
    # in the 0.17-0.20 band usually quoted for these gases.
    f_cl = flash_fraction(get_chemical("chlorine"), 293.15)
    f_nh3 = flash_fraction(get_chemical("ammonia"), 293.15)
    assert f_cl == pytest.approx(0.1807, abs=0.005)
    assert f_nh3 == pytest.approx(0.1788, abs=0.005)
    assert 0.17 <= f_cl <= 0.20 and 0.17 <= f_nh3 <= 0.20
    assert flash_fraction(get_chemical("benzene"), 293.15) == 0.0


def test_liquid_bernoulli_and_draining_closed_forms():
    rho, dp, h0, d, cd = 879.0, 2.0e5, 3.0, 0.03, 0.61
    area = math.pi * d * d / 4
    q = liquid_orifice_mass_flow_kg_s(rho, 101325.0 + dp, 101325.0, h0, area, cd)
    assert q == pytest.approx(cd * area * rho * math.sqrt(2 * dp / rho + 2 * G * h0), rel=1e-12)
    A_t = 10.0
    h = 1e-4  # drained mass starts at the Bernoulli rate
    assert liquid_drained_kg(h, rho, dp, h0, A_t, area, cd) / h == pytest.approx(q, rel=1e-6)
    t_d = liquid_drain_time_s(rho, dp, h0, A_t, area, cd)
    assert liquid_drained_kg(t_d * 2, rho, dp, h0, A_t, area, cd) == pytest.approx(rho * A_t * h0, rel=1e-12)
    # open tank (dp = 0): t = (A_t / (cd A)) sqrt(2 h0 / g)
    assert liquid_drain_time_s(rho, 0.0, h0, A_t, area, cd) == pytest.approx(A_t / (cd * area) * math.sqrt(2 * h0 / G), rel=1e-12)


def test_liquefied_chlorine_release_conserves_mass():
    cl = get_chemical("chlorine")
    long = liquid_tank_hole(cl, None, 293.15, 0.01, 200.0, 1.0, t_max_s=6000.0, dt_s=1.0)
    assert long.total_mass_kg == pytest.approx(200.0, rel=1e-3)
    assert long.temperature_k == pytest.approx(cl.boiling_point_k)
    # early on the airborne rate is at least the flash + aerosol share of the Bernoulli outflow
    q0 = liquid_orifice_mass_flow_kg_s(cl.liquid_density_at(293.15), cl.vapour_pressure_pa(293.15), 101325.0, 1.0, math.pi * 1e-4 / 4, 0.61)
    assert long.rate_kg_s[0] >= 2 * flash_fraction(cl, 293.15) * q0 * (1 - 1e-3)
    short = liquid_tank_hole(cl, None, 293.15, 0.01, 200.0, 1.0, t_max_s=60.0)
    assert short.total_mass_kg <= 200.0 and short.total_mass_kg < long.total_mass_kg
    assert any("pool still holds" in n or "still draining" in n for n in short.notes)


def test_boiling_pool_follows_ground_conduction_closed_form():
    # instantaneous spill into a bund: evaporated mass = A 2 k dT sqrt(t) / (sqrt(pi alpha) dHv)
    nh3 = get_chemical("ammonia")
    k, rho_s, cp_s = GROUND_THERMAL["concrete"]
    A = 20.0
    st = refrigerated_pool(nh3, 2000.0, 0.0, T_ground_k=293.15, bund_area_m2=A, t_max_s=900.0)
    coef = A * 2 * k * (293.15 - nh3.boiling_point_k) / (math.sqrt(math.pi * k / (rho_s * cp_s)) * nh3.heat_vaporisation_j_kg)
    for t in (100.0, 400.0, 900.0):
        assert st.mass_released_kg(t) == pytest.approx(coef * math.sqrt(t), rel=1e-9)
    assert st.source_radius_m == pytest.approx(math.sqrt(A / math.pi), rel=1e-12)


def test_refrigerated_pool_evaporates_all_when_run_long_enough():
    st = refrigerated_pool(get_chemical("ammonia"), 100.0, 30.0, t_max_s=20000.0, dt_s=2.0)
    assert st.total_mass_kg == pytest.approx(100.0, rel=1e-3)
    assert st.rate_kg_s[-1] == 0.0 and st.kind == "refrigerated_pool"


def test_non_boiling_pool_mackay_matsugu_rate():
    # bunded benzene at 20 C, 3 m/s: E = k_m A M Psat/(R T), k_m = 0.0048 u^(7/9) Z^(-1/9) Sc^(-2/3)
    bz = get_chemical("benzene")
    A, u, T = 50.0, 3.0, 293.15
    st = pool_spill(bz, 5000.0, T, 0.0, bund_area_m2=A, wind_m_s=u, t_max_s=60.0)
    sc = _air_kinematic_viscosity_m2_s(T) / bz.diffusivity_in_air_m2_s(T)
    km = mackay_matsugu_k_m_s(u, math.sqrt(4 * A / math.pi), sc)
    e = km * A * bz.molar_mass_kg_mol * bz.vapour_pressure_pa(T) / (R_J_MOL_K * T)
    assert st.rate_at(30.0) == pytest.approx(e, rel=1e-9)
    assert km == pytest.approx(0.0048 * u ** (7 / 9) * math.sqrt(4 * A / math.pi) ** (-1 / 9) * sc ** (-2 / 3), rel=1e-12)
    with pytest.raises(InputError, match="wind"):
        pool_spill(bz, 100.0, T, 0.0, t_max_s=10.0)


def test_bund_limits_pool_area():
    cl = get_chemical("chlorine")
    free = liquid_tank_hole(cl, None, 293.15, 0.02, 1000.0, 2.0, t_max_s=600.0)
    bund = liquid_tank_hole(cl, None, 293.15, 0.02, 1000.0, 2.0, bund_area_m2=10.0, t_max_s=600.0)
    assert bund.source_radius_m == pytest.approx(math.sqrt(10.0 / math.pi), rel=1e-12)
    assert free.source_radius_m > bund.source_radius_m
    assert bund.total_mass_kg < free.total_mass_kg <= 1000.0


# --------------------------------------------------------------------------- direct


def test_direct_release_and_rejections():
    cl = get_chemical("chlorine")
    st = direct_release(2.5, 600.0, cl, 293.15)
    assert st.total_mass_kg == pytest.approx(1500.0, rel=1e-12)
    assert st.rate_at(300.0) == 2.5 and st.rate_at(600.0) == 0.0 and st.rate_at(-1.0) == 0.0
    assert st.mean_rate_kg_s() == pytest.approx(2.5)
    assert st.density_kg_m3 == pytest.approx(101325 * 0.070906 / (R_J_MOL_K * 293.15), rel=1e-4)
    for bad in (-1.0, 0.0):
        with pytest.raises(InputError, match="rate_kg_s"):
            direct_release(bad, 600.0, cl, 293.15)
    with pytest.raises(InputError, match="duration_s"):
        direct_release(1.0, 0.0, cl, 293.15)


def test_direct_release_series():
    # piecewise-constant series: mass = sum(rate * interval)
    st = direct_release(np.array([1.0, 0.0, 3.0]), np.array([0.0, 60.0, 120.0, 180.0]), get_chemical("ammonia"), 293.15)
    assert st.total_mass_kg == pytest.approx(60.0 + 180.0, rel=1e-12)
    assert st.rate_at(np.array([30.0, 90.0, 150.0, 200.0])).tolist() == [1.0, 0.0, 3.0, 0.0]
    with pytest.raises(InputError, match="times_s"):
        direct_release(np.array([1.0, 2.0]), np.array([0.0, 60.0]), get_chemical("ammonia"), 293.15)
    with pytest.raises(InputError, match="rate_kg_s"):
        direct_release(np.array([-1.0, 2.0]), np.array([0.0, 60.0, 90.0]), get_chemical("ammonia"), 293.15)
