"""Weather and chemical data for the hazmat simulation against published tables and closed forms."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from sim.hazmat.chemicals import chemical_names, get_chemical
from sim.hazmat.weather import (
    CLASSES,
    check_class,
    check_cloud_oktas,
    check_wind_speed,
    default_mixing_height_m,
    golder_class,
    golder_class_index,
    log_wind,
    monin_obukhov_length,
    pasquill_class,
    psi_m,
    roughness_m,
    solar_altitude_deg,
    turner_class,
    wind_at_height,
)
from twin.errors import InputError

CST = timezone(timedelta(hours=8))


# --------------------------------------------------------------------------- Turner


@pytest.mark.parametrize(
    "wind, oktas, ceiling, alt, night, expected",
    [
        # EPA-454/R-99-005 Table 6-4/6-5/6-6: strong insolation (alt > 60), clear, 2 m/s -> NRI 4 -> class 1 (A)
        (2.0, 0, None, 70.0, False, "A"),
        # night, cloud <= 4/10 (3/8), 2 m/s (row 1.9-2.8) -> NRI -2 -> class 6 (F)
        (2.0, 3, None, -20.0, True, "F"),
        # night, cloud > 4/10, 2 m/s -> NRI -1 -> class 5 (E)
        (2.0, 6, None, -20.0, True, "E"),
        # overcast with a ceiling below 7000 ft -> NRI 0 -> D, by day and by night
        (2.0, 8, 1000.0, 60.0, False, "D"),
        (1.0, 8, 1000.0, -10.0, True, "D"),
        # moderate insolation (35-60 deg), clear, 5 m/s (row 4.9-5.4) -> NRI 3 -> class 3 (C)
        (5.0, 2, None, 45.0, False, "C"),
        # strong insolation, 7 m/s (row >= 6.0) -> NRI 4 -> class 3 (C)
        (7.0, 0, None, 65.0, False, "C"),
        # slight insolation (15-35 deg), 6/8 cloud with ceiling 3000 m (7000-16000 ft): ICN 2-1 = 1 -> 3 m/s row -> D
        (3.0, 6, 3000.0, 30.0, False, "D"),
        # night, clear, calm 0.5 m/s -> class 7 (G), merged into F
        (0.5, 0, None, -30.0, True, "F"),
    ],
)
def test_turner_table_cases(wind, oktas, ceiling, alt, night, expected):
    assert turner_class(wind, oktas, ceiling, alt, night) == expected


def test_pasquill_class_at_a_place_and_time():
    # Shanghai (31.2 N, 121.5 E), 1 July 13:00 CST: sun ~ 80 deg (strong), clear, 2 m/s -> A;
    # the same at 02:00 -> night, clear -> F (Turner's key, EPA-454/R-99-005 Table 6-4).
    assert pasquill_class(2.0, 0, datetime(2024, 7, 1, 13, tzinfo=CST), 31.2, 121.5) == "A"
    assert pasquill_class(2.0, 0, datetime(2024, 7, 1, 2, tzinfo=CST), 31.2, 121.5) == "F"


# --------------------------------------------------------------------------- solar altitude


def _max_altitude(day: datetime, lat: float, lon: float) -> tuple[float, datetime]:
    ts = [day + timedelta(minutes=m) for m in range(10 * 60, 14 * 60)]
    alts = [solar_altitude_deg(t, lat, lon) for t in ts]
    k = int(np.argmax(alts))
    return alts[k], ts[k]


def test_solar_noon_at_equinox_is_90_minus_latitude():
    # March equinox 2024 (20 Mar 03:06 UTC): declination ~0, so the noon altitude is 90 - lat
    # (+-1 deg); at 120 E noon comes at ~12:07-12:08 CST (equation of time ~ -7.5 min).
    alt, t = _max_altitude(datetime(2024, 3, 20, tzinfo=CST), 30.0, 120.0)
    assert abs(alt - 60.0) < 1.0
    assert abs((t - datetime(2024, 3, 20, 12, 7, tzinfo=CST)).total_seconds()) < 4 * 60


def test_solar_noon_at_june_solstice():
    # June solstice: declination = obliquity 23.44 deg -> noon altitude 90 - 40 + 23.44 at 40 N.
    alt, _ = _max_altitude(datetime(2024, 6, 20, tzinfo=timezone.utc), 40.0, 0.0)
    assert abs(alt - (90.0 - 40.0 + 23.44)) < 0.2


def test_solar_altitude_needs_timezone():
    with pytest.raises(InputError, match="timezone"):
        solar_altitude_deg(datetime(2024, 3, 20, 12), 30.0, 120.0)


# --------------------------------------------------------------------------- Golder


@pytest.mark.parametrize("z0", [0.001, 0.01, 0.03, 0.1, 0.5, 1.0])
def test_golder_round_trip(z0):
    for c in CLASSES:
        assert golder_class(monin_obukhov_length(c, z0), z0) == c


def test_golder_lengths_match_published_line_fits():
    # Seinfeld & Pandis (2006) eq. 16.83: 1/L = a + b log10 z0 with (a, b) = A (-0.096, 0.029),
    # F (0.035, -0.036), C (-0.002, 0.018); D is neutral (1/L = 0).
    assert monin_obukhov_length("A", 0.01) == pytest.approx(1.0 / (-0.096 + 0.029 * -2.0), rel=1e-12)
    assert monin_obukhov_length("F", 0.1) == pytest.approx(1.0 / (0.035 - 0.036 * -1.0), rel=1e-12)
    assert monin_obukhov_length("C", 1.0) == pytest.approx(1.0 / -0.002, rel=1e-12)
    assert math.isinf(monin_obukhov_length("D", 0.1))


def test_golder_vectorised_matches_scalar_and_orders_classes():
    z0 = 0.1
    L = np.array([-3.0, -10.0, -30.0, -200.0, np.inf, 2000.0, 60.0, 20.0, 5.0])
    idx = golder_class_index(L, z0)
    assert [CLASSES[i] for i in idx] == [golder_class(x, z0) for x in L]
    # more stable (larger 1/L) never maps to a less stable class
    inv = 1.0 / L
    order = np.argsort(inv)
    assert np.all(np.diff(idx[order]) >= 0)


# --------------------------------------------------------------------------- wind profile


def test_power_law_uses_isc3_exponents():
    # ISC3 user guide vol. II sec. 1.1.5.1: rural D p = 0.15, urban F p = 0.30, rural F p = 0.55
    assert wind_at_height(5.0, 10.0, 100.0, "D", urban=False) == pytest.approx(5.0 * 10.0**0.15, rel=1e-12)
    assert wind_at_height(5.0, 10.0, 100.0, "F", urban=True) == pytest.approx(5.0 * 10.0**0.30, rel=1e-12)
    assert wind_at_height(2.0, 10.0, 2.0, "f", urban=False) == pytest.approx(2.0 * 0.2**0.55, rel=1e-12)


def test_log_wind_neutral_and_stable_closed_forms():
    # neutral: u = u*/k ln(z/z0); stable Businger-Dyer: u = u*/k [ln(z/z0) + 5 (z - z0)/L]
    assert log_wind(0.4, 10.0, 0.1, math.inf) == pytest.approx(math.log(100.0), rel=1e-12)
    assert log_wind(0.3, 10.0, 0.03, 50.0) == pytest.approx(0.3 / 0.4 * (math.log(10 / 0.03) + 5 * (10 - 0.03) / 50), rel=1e-12)


def test_paulson_psi_integrates_businger_dyer_phi():
    # phi_m(zeta) = 1 - zeta dpsi/dzeta must equal (1 - 16 zeta)^(-1/4) (Paulson 1970, Dyer 1974)
    for zeta in (-0.05, -0.5, -2.0):
        h = 1e-6
        dpsi = (psi_m(zeta + h) - psi_m(zeta - h)) / (2 * h)
        assert 1.0 - zeta * dpsi == pytest.approx((1 - 16 * zeta) ** -0.25, rel=1e-6)
    assert float(psi_m(0.0)) == 0.0


def test_mixing_height_defaults():
    # R91 depths (Clarke 1979) at light wind; mechanical 2300 u*^1.5 takes over in strong wind; cap 3000 m
    assert default_mixing_height_m("D", 2.0, 0.03) == pytest.approx(800.0)
    assert default_mixing_height_m("F", 1.0, 0.03) == pytest.approx(100.0)
    hs = [default_mixing_height_m("D", u, 0.5) for u in (2, 5, 10, 20, 40)]
    assert all(b >= a for a, b in zip(hs, hs[1:])) and hs[-1] == pytest.approx(3000.0)


def test_roughness_table():
    # WMO-No. 8 / Wieringa (1992) terrain classes
    assert roughness_m("rural") == 0.03
    assert roughness_m("Urban") == 1.0
    assert roughness_m("open water") == 0.0002
    with pytest.raises(InputError, match="did you mean 'forest'"):
        roughness_m("forrest")


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("u", [0.0, -2.0, 0.5, 0.99, float("nan")])
def test_calm_wind_is_rejected_with_advice(u):
    with pytest.raises(InputError) as e:
        check_wind_speed(u)
    assert "1 m/s" in str(e.value)
    if 0 < u < 1:
        assert "calm" in str(e.value) and "class F" in str(e.value)


def test_class_and_oktas_validation():
    assert check_class("d") == 3
    with pytest.raises(InputError, match="A, B, C, D, E, F"):
        check_class("G")
    with pytest.raises(InputError, match="oktas"):
        check_cloud_oktas(9)
    with pytest.raises(InputError, match="oktas"):
        turner_class(3.0, -1, None, 40.0, False)


# --------------------------------------------------------------------------- chemicals


def test_chemical_lookup_aliases_and_chinese_names():
    assert get_chemical("Chlorine").name == "chlorine"
    assert get_chemical("液氯").name == "chlorine"
    assert get_chemical("氯气").name == "chlorine"
    assert get_chemical("液氨").name == "ammonia"
    assert get_chemical("液化石油气").name == "propane"
    assert get_chemical("光气").name == "phosgene"
    assert get_chemical("7783-06-4").name == "hydrogen sulfide"
    assert len(chemical_names()) >= 10


def test_unknown_chemical_suggests_the_closest():
    with pytest.raises(InputError) as e:
        get_chemical("chlorin")
    msg = str(e.value)
    assert "did you mean 'chlorine'?" in msg and "Known:" in msg and "ammonia" in msg


def test_aegl_erpg_values():
    # EPA final AEGLs: chlorine AEGL-2/3 60 min 2.0/20 ppm, ammonia 160/1100 ppm; AIHA ERPG-2 chlorine 3 ppm
    cl, nh3 = get_chemical("chlorine"), get_chemical("ammonia")
    assert cl.threshold_ppm("AEGL", 2, 60) == 2.0
    assert cl.threshold_ppm("AEGL", 3, 60) == 20.0
    assert nh3.threshold_ppm("AEGL", 2, 60) == 160.0
    assert nh3.threshold_ppm("AEGL", 3, 60) == 1100.0
    assert cl.threshold_ppm("ERPG", 2) == 3.0
    with pytest.raises(InputError, match="not recommended"):
        get_chemical("phosgene").threshold_ppm("AEGL", 1, 60)


def test_ppm_to_mass_concentration():
    # EPA conversion at 25 C, 1 atm: mg/m3 = ppm * M[g/mol] / 24.45
    cl = get_chemical("chlorine")
    assert cl.threshold_kg_m3("AEGL", 3, 60) * 1e6 == pytest.approx(20 * 70.906 / 24.45, rel=1e-3)
    # 10 % of the propane LEL (2.1 vol %) = 2100 ppm, NIOSH's IDLH basis
    assert get_chemical("propane").threshold_ppm("LEL", 10) == pytest.approx(2100.0)


def test_vapour_pressure_fits_reach_one_atm_at_boiling_point():
    # data-entry check: Perry's DIPPR-101 / McGarry fits vs independently sourced boiling points
    for n in chemical_names():
        c = get_chemical(n)
        assert c.vapour_pressure_pa(c.boiling_point_k) == pytest.approx(101325.0, rel=0.01), n
