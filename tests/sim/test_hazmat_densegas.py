"""Britter & McQuaid (1988) dense-gas model: switching criterion, published curve values,
the CCPS / Crowl & Louvar LNG worked example, monotonicity and continuity."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.hazmat import densegas as dg
from twin.errors import InputError

R = 8.314462618
P = 101325.0


def _rho_ideal(molar_mass_kg_mol: float, t_k: float) -> float:
    return P * molar_mass_kg_mol / (R * t_k)


# --- switching criterion -----------------------------------------------------------------
def test_chlorine_10kg_s_in_2m_s_is_dense() -> None:
    # Cl2 vapour at its normal boiling point 239.11 K: rho = pM/(RT) = 3.614 kg/m3.
    # By hand: g0' = 9.81 (3.614 - 1.2)/1.2 = 19.73 m/s2, q0 = 10/3.614 = 2.767 m3/s,
    # D = (q0/u)^(1/2) = 1.176 m, (g0' q0/(u^3 D))^(1/3) = (19.73*2.767/(8*1.176))^(1/3) = 1.797.
    rho = _rho_ideal(0.070906, 239.11)
    g0p = dg.reduced_gravity(rho, 1.2)
    assert g0p == pytest.approx(19.73, abs=0.01)
    ri = dg.richardson_continuous(g0p, 10.0 / rho, 2.0)
    assert ri == pytest.approx(1.797, abs=0.002)
    assert ri >= dg.DENSE_CRIT_CONTINUOUS and dg.is_dense(g0p, 2.0, q0_m3_s=10.0 / rho)
    # the same chlorine as a 1 t puff: (g0' V0^(1/3))^(1/2)/u = (19.73 * 276.7^(1/3))^(1/2)/2 = 5.67
    v0 = 1000.0 / rho
    assert dg.richardson_instant(g0p, v0, 2.0) == pytest.approx(5.67, abs=0.01)
    assert dg.is_dense(g0p, 2.0, v0_m3=v0)


@pytest.mark.parametrize("molar_mass", [0.017031, 0.016043])  # ammonia, methane gas at 298 K
def test_light_gas_at_ambient_is_not_dense(molar_mass: float) -> None:
    rho = _rho_ideal(molar_mass, 298.15)  # 0.696 / 0.656 kg/m3 < 1.2: buoyant
    g0p = dg.reduced_gravity(rho, 1.2)
    assert g0p < 0.0
    assert dg.richardson_continuous(g0p, 1.0 / rho, 2.0) < 0.0
    assert not dg.is_dense(g0p, 2.0, q0_m3_s=1.0 / rho)
    assert not dg.is_dense(g0p, 2.0, v0_m3=100.0 / rho)
    with pytest.raises(InputError):  # the curves need a dense release
        dg.bm_continuous_conc(100.0, g0p, 1.0 / rho, 2.0)


def test_criterion_threshold_for_a_heavy_gas() -> None:
    # CO2 at 298 K (rho = 1.799 kg/m3, g0' = 4.896 m/s2). By hand, with D = (q0/u)^(1/2):
    # 0.01 kg/s in 10 m/s: (g0' D/u^2)^(1/3) = (4.896*0.02358/100)^(1/3) = 0.105 < 0.15 -> passive;
    # 5 kg/s in 2 m/s:     (4.896*1.179/4)^(1/3) = 1.130 -> dense.
    rho = _rho_ideal(0.04401, 298.15)
    g0p = dg.reduced_gravity(rho, 1.2)
    small = dg.richardson_continuous(g0p, 0.01 / rho, 10.0)
    big = dg.richardson_continuous(g0p, 5.0 / rho, 2.0)
    assert small == pytest.approx(0.105, abs=0.001) and big == pytest.approx(1.130, abs=0.002)
    assert not dg.is_dense(g0p, 10.0, q0_m3_s=0.01 / rho)
    assert dg.is_dense(g0p, 2.0, q0_m3_s=5.0 / rho)
    with pytest.raises(InputError):
        dg.is_dense(g0p, 2.0)


def test_release_mode_bm_duration_criterion() -> None:
    # BM: continuous if u Rd/x >= 2.5, instantaneous if <= 0.6 (u = 10.9, Rd = 174 s:
    # continuous up to x = 759 m, the check made in the CCPS/Crowl & Louvar LNG example)
    assert dg.release_mode(174.0, 10.9, 750.0) == "continuous"
    assert dg.release_mode(174.0, 10.9, 770.0) == "intermediate"
    assert dg.release_mode(174.0, 10.9, 10.9 * 174.0 / 0.59) == "instantaneous"


# --- published curve values ----------------------------------------------------------------
# beta = log10(x/L) of the BM curves from the curve-fit equations printed in CCPS (1999),
# Guidelines for Consequence Analysis of Chemical Releases (p. 118), and Crowl & Louvar
# (2011) sec. 5-6 (plume: alpha = log10((g0'^2 q0/u^5)^(1/5)); puff: alpha =
# log10((g0' V0^(1/3)/u^2)^(1/2))). E.g. plume Cm/C0 = 0.1: beta = 1.75 for alpha <= -0.55,
# 0.24 alpha + 1.88 up to -0.14, -0.50 alpha + 1.78 up to 1.
PLUME_BETA = [
    (-0.8, 0.1, 1.75), (-0.8, 0.05, 1.92), (-0.8, 0.02, 2.08), (-0.8, 0.01, 2.25),
    (-0.8, 0.005, 2.40), (-0.8, 0.002, 2.60),
    (-0.4, 0.1, 1.784), (-0.4, 0.02, 2.21), (-0.4, 0.005, 2.564),
    (-0.25, 0.05, 2.06), (-0.25, 0.01, 2.45),
    (0.5, 0.1, 1.53), (0.5, 0.01, 2.09), (0.5, 0.002, 2.46),
]
PUFF_BETA = [
    (-0.8, 0.1, 0.70), (-0.8, 0.01, 1.15), (-0.8, 0.001, 2.075),
    (0.0, 0.1, 0.81), (0.0, 0.05, 1.00), (0.0, 0.02, 1.19), (0.0, 0.01, 1.39),
    (0.0, 0.005, 1.62), (0.0, 0.002, 1.83), (0.0, 0.001, 2.05),
    (0.75, 0.1, 0.93), (0.75, 0.02, 1.185), (0.75, 0.005, 1.525), (0.75, 0.001, 1.8475),
]


@pytest.mark.parametrize("alpha,ratio,beta", PLUME_BETA)
def test_plume_beta_matches_published_curves(alpha: float, ratio: float, beta: float) -> None:
    u, q0 = 2.0, 10.0
    g0p = math.sqrt(10.0 ** (5.0 * alpha) * u ** 5 / q0)  # gives exactly this alpha
    assert dg.alpha_continuous(g0p, q0, u) == pytest.approx(alpha, abs=1e-12)
    x = dg.bm_continuous_distance(ratio, g0p, q0, u)
    assert math.log10(x / math.sqrt(q0 / u)) == pytest.approx(beta, abs=0.01)
    assert dg.bm_continuous_conc(x, g0p, q0, u) == pytest.approx(ratio, rel=1e-9)


@pytest.mark.parametrize("alpha,ratio,beta", PUFF_BETA)
def test_puff_beta_matches_published_curves(alpha: float, ratio: float, beta: float) -> None:
    u, v0 = 3.0, 500.0
    g0p = 10.0 ** (2.0 * alpha) * u ** 2 / v0 ** (1.0 / 3.0)
    assert dg.alpha_instant(g0p, v0, u) == pytest.approx(alpha, abs=1e-12)
    x = dg.bm_instant_distance(ratio, g0p, v0, u)
    assert math.log10(x / v0 ** (1.0 / 3.0)) == pytest.approx(beta, abs=0.01)


def test_alpha_above_fitted_range_is_clamped() -> None:
    # the fits end at alpha = 1 (CCPS 1999); beyond it the module holds alpha = 1
    assert np.array_equal(dg.bm_beta_continuous(1.4)[1], dg.bm_beta_continuous(1.0)[1])
    # plume Cm/C0 = 0.1 at alpha = 1: beta = -0.50 + 1.78 = 1.28
    assert dg.bm_beta_continuous(1.4)[1][0] == pytest.approx(1.28, abs=1e-12)


# --- worked example ------------------------------------------------------------------------
def test_lng_burro_worked_example() -> None:
    # CCPS (1999) Guidelines for Consequence Analysis, Britter-McQuaid example p. 122, also
    # the Britter-McQuaid LNG example of Crowl & Louvar (2011) sec. 5-6 (Burro series):
    # LNG 0.23 m3/s liquid (425.6 kg/m3), vapour 1.76 kg/m3 at -162 C (111 K), air 298 K
    # (1.22 kg/m3), u10 = 10.9 m/s, LFL 5 % v/v. The book: q0 = 55.6 m3/s, g0' = 4.34 m/s2,
    # D = 2.26 m, criterion 0.43 >= 0.15 (dense), alpha = -0.43, the non-isothermal
    # correction C* = 0.05/(0.05 + 0.95*298/111) = 0.0192, and x = 367 m to the LFL.
    q0 = 0.23 * 425.6 / 1.76
    u = 10.9
    g0p = dg.reduced_gravity(1.76, 1.22)
    assert q0 == pytest.approx(55.6, abs=0.05)
    assert g0p == pytest.approx(4.34, abs=0.01)
    assert dg.source_length_continuous(q0, u) == pytest.approx(2.26, abs=0.005)
    assert dg.richardson_continuous(g0p, q0, u) == pytest.approx(0.43, abs=0.01)
    assert dg.is_dense(g0p, u, q0_m3_s=q0)
    assert dg.alpha_continuous(g0p, q0, u) == pytest.approx(-0.43, abs=0.005)
    c_star = dg.isothermal_equivalent(0.05, 111.0, 298.0)
    assert c_star == pytest.approx(0.0192, abs=0.0001)
    x_lfl = dg.bm_continuous_distance(c_star, g0p, q0, u)
    assert x_lfl == pytest.approx(367.0, rel=0.10)
    # the same through the product function (kg/m3 at ambient, methane M = 16.04 g/mol):
    # at 367 m the real volume fraction is ~ the LFL, i.e. 0.05 * pM/(R Ta) = 0.0328 kg/m3
    c = dg.dense_centreline(np.array([x_lfl]), 0.23 * 425.6, 1.76, 111.0, u, 0.01604,
                            ta_k=298.0, pa_pa=P, rho_air_kg_m3=1.22)
    assert c[0] == pytest.approx(0.05 * P * 0.01604 / (R * 298.0), rel=0.02)


def test_non_isothermal_correction_round_trip() -> None:
    c = np.array([0.001, 0.02, 0.3, 0.9])
    back = dg.from_isothermal(dg.isothermal_equivalent(c, 239.0, 293.0), 239.0, 293.0)
    assert np.allclose(back, c, rtol=1e-12)
    # isothermal release: no correction
    assert np.allclose(dg.isothermal_equivalent(c, 293.0, 293.0), c, rtol=1e-12)


# --- shape of the curves -------------------------------------------------------------------
ALPHAS = [-1.0, -0.5, -0.2, 0.0, 0.3, 0.6, 1.0]


@pytest.mark.parametrize("alpha", ALPHAS)
def test_centreline_decreases_monotonically(alpha: float) -> None:
    x = np.logspace(-1, 5, 3000)
    u, q0, v0 = 2.0, 10.0, 1000.0
    gp = math.sqrt(10.0 ** (5.0 * alpha) * u ** 5 / q0)
    gi = 10.0 ** (2.0 * alpha) * u ** 2 / v0 ** (1.0 / 3.0)
    for c in (dg.bm_continuous_conc(x, gp, q0, u), dg.bm_instant_conc(x, gi, v0, u)):
        assert c[0] == pytest.approx(1.0, abs=1e-3)  # undiluted at the source
        assert np.all(np.diff(c) <= 0.0)
        assert np.all(np.diff(c[x > 200.0]) < 0.0)  # strictly falling in the far field
        assert c[-1] < 1e-4


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("stability", ["B", "D", "F"])
def test_continuity_at_hand_overs(alpha: float, stability: str) -> None:
    u, q0, v0 = 2.0, 10.0, 1000.0
    gp = math.sqrt(10.0 ** (5.0 * alpha) * u ** 5 / q0)
    gi = 10.0 ** (2.0 * alpha) * u ** 2 / v0 ** (1.0 / 3.0)
    cases = [
        (lambda x: dg.bm_continuous_conc(x, gp, q0, u, stability=stability),
         math.sqrt(q0 / u), dg.bm_beta_continuous(dg.alpha_continuous(gp, q0, u))),
        (lambda x: dg.bm_instant_conc(x, gi, v0, u, stability=stability),
         v0 ** (1.0 / 3.0), dg.bm_beta_instant(dg.alpha_instant(gi, v0, u))),
    ]
    for conc, length, (ratios, beta) in cases:
        x_first, x_last = length * 10.0 ** beta[0], length * 10.0 ** beta[-1]
        # on the first and last BM curves the value is the curve's ratio
        assert conc(np.array([x_first, x_last])) == pytest.approx([ratios[0], ratios[-1]], rel=1e-6)
        for xh in (x_first, x_last):  # near-field bridge -> curves; curves -> passive Gaussian
            lo, hi = conc(np.array([xh * 0.995, xh * 1.005]))
            assert 1.0 <= lo / hi < 1.2


def test_distance_inverts_concentration_in_every_region() -> None:
    u, q0 = 3.0, 20.0
    gp = math.sqrt(10.0 ** (5.0 * 0.2) * u ** 5 / q0)
    x = np.array([0.5, 5.0, 40.0, 150.0, 400.0, 3000.0, 20000.0])  # near field ... passive
    c = dg.bm_continuous_conc(x, gp, q0, u)
    assert np.allclose(dg.bm_continuous_distance(c, gp, q0, u), x, rtol=1e-6)
    v0 = 300.0
    gi = 10.0 ** (2.0 * 0.2) * u ** 2 / v0 ** (1.0 / 3.0)
    ci = dg.bm_instant_conc(x, gi, v0, u)
    assert np.allclose(dg.bm_instant_distance(ci, gi, v0, u), x, rtol=1e-6)
    assert dg.bm_continuous_distance(1.0, gp, q0, u) == 0.0


# --- product helpers -----------------------------------------------------------------------
def test_dense_centreline_units_and_isothermal_limit() -> None:
    # isothermal release (T0 = Ta): kg/m3 = (Cm/C0) * pM/(R Ta) exactly, and the source is pure gas
    ta, m = 293.15, 0.070906
    rho0 = _rho_ideal(m, ta)
    u, rate = 2.0, 10.0
    g0p = dg.reduced_gravity(rho0, dg.air_density_kg_m3(ta))
    x = np.array([0.0, 50.0, 300.0, 2000.0])
    c = dg.dense_centreline(x, rate, rho0, ta, u, m, ta_k=ta)
    r = dg.bm_continuous_conc(x, g0p, rate / rho0, u)
    assert np.allclose(c, r * rho0, rtol=1e-12)
    assert c[0] == pytest.approx(rho0, rel=1e-12)
    # cold release (vapour at 239.11 K): where the curves give Cm/C0 = 0.01 on the isothermal
    # basis, the real volume fraction is 0.01/(0.01 + 0.99*239.11/293.15) = 0.01224 (BM
    # non-isothermal correction), i.e. 0.01224 * pM/(R Ta) in kg/m3
    t0 = 239.11
    rho_cold = _rho_ideal(m, t0)
    g_cold = dg.reduced_gravity(rho_cold, dg.air_density_kg_m3(ta))
    x01 = dg.bm_continuous_distance(0.01, g_cold, rate / rho_cold, u)
    cold = dg.dense_centreline(np.array([x01]), rate, rho_cold, t0, u, m, ta_k=ta)
    assert cold[0] == pytest.approx(0.01224 * rho0, rel=1e-3)
    ci = dg.dense_centreline(x, 1000.0, rho0, ta, u, m, instantaneous=True, ta_k=ta)
    assert np.all(np.diff(ci) < 0.0) and ci[0] == pytest.approx(rho0, rel=1e-12)


def test_plume_width_and_puff_radius_relations() -> None:
    g0p, q0, u = 4.34, 55.6, 10.9  # the LNG example
    d = math.sqrt(q0 / u)
    lb = g0p * q0 / u ** 3  # BM buoyancy length, 0.186 m here
    assert dg.buoyancy_length_m(g0p, q0, u) == pytest.approx(0.186, abs=0.001)
    w0 = dg.dense_plume_width(0.0, g0p, q0, u)
    assert w0 == pytest.approx(d + 8.0 * lb, rel=1e-12)
    # gravity spreading term grows as x^(2/3): 8x gives 4 times the increment
    w1, w8 = dg.dense_plume_width(np.array([100.0, 800.0]), g0p, q0, u)
    assert (w8 - w0) / (w1 - w0) == pytest.approx(4.0, rel=1e-9)
    assert dg.dense_plume_upwind_m(g0p, q0, u) == pytest.approx(0.5 * d + 2.0 * lb, rel=1e-12)
    # puff: R^2 - R0^2 = 1.2 (g0' V0)^(1/2) t with t = x/(0.4 u)
    v0, gi = 1000.0, 10.0
    r0 = dg.dense_puff_radius(0.0, gi, v0, 2.0, r0_m=5.0)
    r = dg.dense_puff_radius(80.0, gi, v0, 2.0, r0_m=5.0)
    assert r0 == 5.0
    assert r * r - 25.0 == pytest.approx(1.2 * math.sqrt(gi * v0) * 80.0 / 0.8, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), "x"])
def test_bad_inputs_raise_input_error(bad) -> None:
    with pytest.raises(InputError):
        dg.bm_continuous_conc(10.0, 5.0, bad, 2.0)
    with pytest.raises(InputError):
        dg.bm_instant_distance(0.01, 5.0, 100.0, bad)
    with pytest.raises(InputError):
        dg.dense_centreline(np.array([10.0]), bad, 3.0, 239.0, 2.0, 0.0709)
    with pytest.raises(InputError):
        dg.bm_continuous_conc(10.0, 5.0, 1.0, 2.0, stability="G")
