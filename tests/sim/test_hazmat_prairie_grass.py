"""Chang & Hanna metrics, the Golder mapping, the similarity model's conservation laws and the
issue's Prairie Grass targets (real data; skipped when ../shared/data is absent)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from sim.hazmat.similarity import (KARMAN, build_params, coriolis_s, fill_met, lateral_sigma_y_m, nieuwstadt_height_m,
                                   profile_f, similarity_cy, similarity_params, similarity_point, similarity_sigma_y,
                                   similarity_ubar, similarity_zbar)
from sim.hazmat.validation import (chang_hanna, evaluate, groups, load_prairie_grass, meets_criteria,
                                   research_grade, wind_consistency)
from sim.hazmat.weather import golder_class_index
from twin.errors import InputError

# --------------------------------------------------------------------------- metrics


def test_chang_hanna_hand_computed() -> None:
    # obs 1, 2, 4, 8 vs pred 2 everywhere: <Co> = 3.75, <Cp> = 2,
    # FB = 1.75 / 2.875 = 14/23, NMSE = (1 + 0 + 4 + 36)/4 / 7.5 = 41/30,
    # ln(Co/Cp) = (-1, 0, 1, 2) ln 2 -> MG = exp(ln2 / 2) = sqrt 2, VG = exp(1.5 ln^2 2),
    # Cp/Co = 2, 1, 0.5, 0.25 -> FAC2 = 3/4 (bounds inclusive).
    m = chang_hanna([1.0, 2.0, 4.0, 8.0], [2.0, 2.0, 2.0, 2.0])
    assert m["fb"] == pytest.approx(14 / 23, abs=1e-12)
    assert m["nmse"] == pytest.approx(41 / 30, abs=1e-12)
    assert m["mg"] == pytest.approx(math.sqrt(2.0), abs=1e-12)
    assert m["vg"] == pytest.approx(math.exp(1.5 * math.log(2.0) ** 2), abs=1e-12)
    assert m["fac2"] == 0.75 and m["n"] == 4


def test_chang_hanna_threshold_for_zeros() -> None:
    # Chang & Hanna (2004): values under a threshold are set to it for the log measures.
    # floor 0.5: obs (0.5, 1), pred (0.5, 4) -> MG = exp((0 - ln 4)/2) = 0.5, VG = exp(ln^2 4 / 2),
    # FAC2 = 1/2; FB and NMSE from the raw values: FB = (0.5 - 2)/1.25 = -1.2, NMSE = 4.5/1 = 4.5.
    m = chang_hanna([0.0, 1.0], [0.0, 4.0], floor=0.5)
    assert m["mg"] == pytest.approx(0.5, abs=1e-12)
    assert m["vg"] == pytest.approx(math.exp(math.log(4.0) ** 2 / 2), abs=1e-12)
    assert m["fac2"] == 0.5
    assert m["fb"] == pytest.approx(-1.2, abs=1e-12) and m["nmse"] == pytest.approx(4.5, abs=1e-12)
    with pytest.raises(InputError):
        chang_hanna([0.0, 1.0], [1.0, 1.0])


def test_criteria_bounds() -> None:
    edge = {"fac2": 0.5, "fb": -0.3, "nmse": 1.5, "mg": 0.7, "vg": 4.0}
    assert meets_criteria(edge) and research_grade(edge)
    assert not meets_criteria({**edge, "fb": 0.31})
    assert not meets_criteria({**edge, "fac2": 0.49})
    assert not meets_criteria({**edge, "nmse": 1.51})
    assert not research_grade({**edge, "mg": 1.31})


# --------------------------------------------------------------------------- Golder (1972)


@pytest.mark.parametrize("z0_m", [0.008, 0.1])
def test_golder_centre_lines_map_to_their_class(z0_m: float) -> None:
    # Golder (1972) centre lines as fitted in Seinfeld & Pandis (2006, eq. 16.83):
    # 1/L = a + b log10 z0, (a, b) = A (-0.096, 0.029), B (-0.037, 0.029), C (-0.002, 0.018),
    # E (0.004, -0.018), F (0.035, -0.036); D is neutral (1/L = 0).
    ab = {0: (-0.096, 0.029), 1: (-0.037, 0.029), 2: (-0.002, 0.018), 4: (0.004, -0.018), 5: (0.035, -0.036)}
    for k, (a, b) in ab.items():
        assert int(golder_class_index(1.0 / (a + b * math.log10(z0_m)), z0_m)) == k
    assert int(golder_class_index(math.inf, z0_m)) == 3 and int(golder_class_index(-1e5, z0_m)) == 3


# --------------------------------------------------------------------------- similarity model

CASES = [  # (u*, L, h): very unstable, unstable, neutral with a lid, stable, very stable shallow
    (0.27, -5.0, 1000.0), (0.45, -50.0, 800.0), (0.40, math.inf, 1000.0), (0.30, 50.0, None), (0.13, 8.0, 40.0)]


@pytest.mark.parametrize("ustar, L, h", CASES)
def test_mass_flux_and_mean_height(ustar: float, L: float, h: float | None) -> None:
    # Continuity: the flux through any cross-section, int u(z) Cy(x, z) dz, equals Q because
    # u_bar is the Cy-weighted mean of the same wind profile (1 % asked; quadrature by scipy).
    # z_bar is the first moment of the profile: int z Cy dz / int Cy dz = z_bar.
    z0, uref, zref = 0.008, 5.0, 2.0
    p = similarity_params(ustar, L, 8.0, uref, zref, z0, h, 0.46)
    hh = math.inf if h is None else h
    inv_L = 0.0 if math.isinf(L) else 1.0 / L
    scale = uref / float(profile_f(np.array(zref), z0, inv_L, hh))
    for x in (20.0, 100.0, 800.0, 5000.0):
        zb = similarity_zbar(x, p)
        pts = sorted({0.0, z0, zb, 5 * zb, *([hh] if hh < 5 * zb else []), np.inf})

        def integral(f):
            return sum(quad(f, a, b, limit=200)[0] for a, b in zip(pts[:-1], pts[1:]))

        flux = integral(lambda z: similarity_cy(x, z, 2.0, p) * scale * float(profile_f(np.array(z), z0, inv_L, hh)))
        mass = integral(lambda z: similarity_cy(x, z, 2.0, p))
        first = integral(lambda z: z * similarity_cy(x, z, 2.0, p))
        assert flux == pytest.approx(2.0, rel=0.01)
        assert first / mass == pytest.approx(zb, rel=0.01)


def test_neutral_growth_matches_van_ulden() -> None:
    # Neutral surface layer, no lid: van Ulden (1978) d z/dx = k^2 / ln(c z/z0) integrates to
    # x = [z (ln(c z/z0) - 1)] / k^2 from the start height 10 z0 (u_bar = u(c z_bar), c = 0.6), and
    # the exact Cy-weighted wind equals u(0.6 z_bar) (van Ulden's c) within 2 %.
    z0 = 0.01
    p = similarity_params(0.4, math.inf, 10.0, None, 10.0, z0, None, 0.0)

    def x_of(z: float) -> float:
        return z * (math.log(0.6 * z / z0) - 1.0) / KARMAN**2

    for zb in (1.0, 5.0, 20.0, 100.0):
        x = x_of(zb) - x_of(10 * z0)
        assert similarity_zbar(x, p) == pytest.approx(zb, rel=0.02)
        assert similarity_ubar(x, p) == pytest.approx(0.4 / KARMAN * math.log(0.6 * similarity_zbar(x, p) / z0),
                                                      rel=0.02)


@pytest.mark.parametrize("L, h, z_source, zi", [
    (-30.0, 900.0, 0.46, 900.0),  # unstable: z_i = max(h, z_im), z_im = 2300 0.35^1.5 = 476 m
    (-30.0, 300.0, 0.46, 2300.0 * 0.35**1.5),  # unstable, shallow h: z_im wins
    (40.0, 200.0, 0.46, 2300.0 * 0.35**1.5),  # stable: z_i = z_im whatever h
    (40.0, 200.0, 0.92, 2300.0 * 0.35**1.5),  # release at 2 z_PG: alpha = 78 / 2 (MFD eq. 78)
])
def test_lateral_spread_is_aermod_and_point_normalised(L: float, h: float, z_source: float, zi: float) -> None:
    # AERMOD (EPA-454/R-03-004 eq. 77): sigma_y = sigma_v t / (1 + alpha sigma_v t / z_i)^0.3,
    # alpha = 78 (0.46 m / max(z_s, 0.46 m)), sigma_v = sigma_theta u_ref, t = x / u_bar (1e-3);
    # the point concentration integrates over y to Cy (Gaussian normalisation, 1e-6).
    sth, uref = 12.0, 4.0
    p = similarity_params(0.35, L, sth, uref, 2.0, 0.008, h, z_source)
    sv = math.radians(sth) * uref
    alpha = 78.0 * 0.46 / max(z_source, 0.46)
    for x in (50.0, 800.0, 3000.0):
        t = x / similarity_ubar(x, p)
        sy = similarity_sigma_y(x, p)
        assert sy == pytest.approx(sv * t / (1 + alpha * sv * t / zi) ** 0.3, rel=1e-3)
        cy = quad(lambda y: similarity_point(x, y, 1.5, 1.0, p), -12 * sy, 12 * sy, points=[0.0])[0]
        assert cy == pytest.approx(similarity_cy(x, 1.5, 1.0, p), rel=1e-6)


def test_lateral_alternatives_closed_forms() -> None:
    # Every scheme is Taylor's sigma_v t for t << its time scale (1e-3 at t = 1e-3 s).
    # Draxler (1976): f_y(T_i = 1000 s) = 1/1.9. Hanna (1982), unstable: T_L = 0.15 h/sigma_v, and
    # Taylor's p = 1/2 form gives sigma_v t / sqrt(2) at t = 2 T_L (1e-9).
    sv, us, h = 0.5, 0.3, 1000.0
    kw = dict(ustar_m_s=us, inv_L=-1 / 50.0, h_m=h, z_source_m=0.46, zbar_m=5.0)
    for scheme in ("aermod", "draxler", "hanna"):
        assert float(lateral_sigma_y_m(1e-3, sv, scheme=scheme, **kw)) == pytest.approx(sv * 1e-3, rel=1e-3)
    assert float(lateral_sigma_y_m(1000.0, sv, scheme="draxler", **kw)) == pytest.approx(sv * 1000 / 1.9, rel=1e-9)
    t = 2 * 0.15 * h / sv
    assert float(lateral_sigma_y_m(t, sv, scheme="hanna", **kw)) == pytest.approx(sv * t / math.sqrt(2), rel=1e-9)
    # the table of build_params carries the chosen scheme (Draxler here, x = 800 m)
    p = build_params(us, -50.0, 10.0, 4.0, 2.0, 0.008, h, 0.46, lateral="draxler")
    t8 = 800.0 / similarity_ubar(800.0, p)
    sy8 = math.radians(10.0) * 4.0 * t8 / (1 + 0.9 * math.sqrt(t8 / 1000))
    assert similarity_sigma_y(800.0, p) == pytest.approx(sy8, rel=1e-3)
    with pytest.raises(InputError, match="lateral"):
        build_params(us, -50.0, 10.0, 4.0, 2.0, 0.008, h, 0.46, lateral="pg")


def test_default_boundary_layer_depth_limits() -> None:
    # Nieuwstadt (1981): h = 0.3 u*/f when neutral; -> 0.4 sqrt(u* L / f) (Zilitinkevich 1972)
    # when very stable (u*/(f L) = 2000 here: 17.5 m vs 17.9 m, within 3 %).
    assert nieuwstadt_height_m(0.3, math.inf, 1e-4) == pytest.approx(900.0, rel=1e-12)
    assert nieuwstadt_height_m(0.2, 1.0, 1e-4) == pytest.approx(0.4 * math.sqrt(0.2 * 1.0 / 1e-4), rel=0.03)
    met = fill_met(0.2, 1.0, lat_deg=42.49, sigma_theta_deg=None, u_ref_m_s=2.0, z_ref_m=2.0, z0_m=0.008)
    assert met["h_mix_m"] == pytest.approx(nieuwstadt_height_m(0.2, 1.0, coriolis_s(42.49)), rel=1e-12)
    # sigma_theta default in stable air: sigma_v = 1.9 u* (Panofsky & Dutton 1984) over the wind
    assert met["sigma_theta_deg"] == pytest.approx(math.degrees(1.9 * 0.2 / 2.0), rel=1e-12)


def test_bad_weather_is_an_input_error() -> None:
    with pytest.raises(InputError, match="L_m"):
        similarity_params(0.3, 0.0, 8.0, 5.0, 2.0, 0.008, None, 0.46)
    with pytest.raises(InputError, match="ustar_m_s"):
        similarity_params(-0.1, 50.0, 8.0, 5.0, 2.0, 0.008, None, 0.46)
    with pytest.raises(InputError, match="sigma_theta_deg"):
        similarity_params(0.3, 50.0, None, 5.0, 2.0, 0.008, None, 0.46)


# --------------------------------------------------------------------------- Prairie Grass


@pytest.fixture(scope="module")
def pg(shared_data):
    df = load_prairie_grass(shared_data / "prairie_grass")
    return df, evaluate(df, "baseline"), evaluate(df, "similarity")


def _m(df, pred, group: str, quantity: str) -> dict[str, float]:
    o, p = ("c_obs_s_m3", "c_s_m3") if quantity == "max" else ("cy_obs_s_m2", "cy_s_m2")
    mask = groups(df)[group]
    return chang_hanna(df.loc[mask, o].to_numpy(), pred.loc[mask, p].to_numpy())


def test_prairie_grass_data_and_units(pg) -> None:
    df, _, _ = pg
    # PROVENANCE.md: 53 runs with meteorology x 5 arcs; run 22 (near-neutral) has CY/Q = 0.048
    # s/m2 at 50 m; the tabulated u*, L and wind agree with z0 = 0.008 m (GuBij) for k = 0.35 at 2 m.
    assert len(df) == 265 and df["run"].nunique() == 53
    r22 = df[(df["run"] == 22) & (df["x_m"] == 50.0)]
    assert float(r22["cy_obs_s_m2"].iloc[0]) == pytest.approx(0.048, abs=0.0005)
    assert wind_consistency(df, 0.35, 2.0) == pytest.approx(0.008, rel=0.1)


@pytest.mark.parametrize("quantity", ["max", "cy"])
def test_default_beats_baseline_overall(pg, quantity: str) -> None:
    df, base, sim = pg
    b, s = _m(df, base, "all", quantity), _m(df, sim, "all", quantity)
    assert s["nmse"] < b["nmse"] and s["fac2"] > b["fac2"]


# Measured (benchmarks/hazmat_prairie_grass.py), AERMOD lateral spread: arc max FAC2/FB/NMSE
# stable 0.92/+0.06/0.23, unstable 0.85/+0.28/0.53; Cy stable 0.95/-0.03/0.12, unstable 0.93/+0.21/0.21.
# AERMOD's lateral constants were fitted to Prairie Grass by its developers (similarity.py doc).
@pytest.mark.parametrize("quantity, group", [("cy", "stable"), ("cy", "unstable"),
                                             ("max", "stable"), ("max", "unstable")])
def test_default_meets_criteria_by_stability(pg, quantity: str, group: str) -> None:
    df, _, sim = pg
    assert meets_criteria(_m(df, sim, group, quantity))


# "Error" is NMSE: one of the three acceptance criteria, and it counts scatter as well as bias
# (the baseline fails class F through FAC2, i.e. scatter, not through its mean bias).
# Measured (arc max): A 5.54 -> 1.05, F 0.60 -> 0.16, stable 800 m 2.59 -> 0.39; Cy A 1.10 -> 0.41.
@pytest.mark.parametrize("quantity, group", [("max", "A"), ("cy", "A"), ("max", "F"), ("max", "stable 800 m")])
def test_default_halves_baseline_error_where_baseline_fails(pg, quantity: str, group: str) -> None:
    df, base, sim = pg
    b = _m(df, base, group, quantity)
    assert not meets_criteria(b)  # the premise: the baseline fails here
    assert _m(df, sim, group, quantity)["nmse"] <= 0.5 * b["nmse"]
