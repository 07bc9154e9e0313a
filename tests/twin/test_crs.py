"""Tests for twin.crs: Gauss-Kruger zones, CRS checks, GCJ-02 / BD-09.

Reference values and where they come from:

* Meridian arc: numerical integration (scipy quad) of the meridian radius of
  curvature on the CGCS2000 ellipsoid (a = 6378137, f = 1/298.257222101).
* Off-meridian GK: a Kruger n-series written here (Karney 2011, J. Geod.
  85:475, eqs. 7, 11, 35; terms through n^4) and pyproj's own inverse.
* GCJ-02 vectors: googollee/eviltransform go/transform_test.go and
  javascript/test.js (Shanghai, Shenzhen, Beijing; given there as
  wgsLat, wgsLng, gcjLat, gcjLng) and the worked example in the README of
  wandergis/coordtransform (116.404, 39.915).  Only the numbers are used.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer
from scipy.integrate import quad

from twin.crs import (
    CGCS2000,
    WGS84,
    as_crs,
    bd09_to_gcj02,
    crs_to_gcj02,
    from_lonlat,
    gcj02_to_bd09,
    gcj02_to_crs,
    gcj02_to_wgs84,
    gk3_crs,
    gk3_epsg,
    require_projected,
    to_lonlat,
    transform_xy,
    wgs84_to_gcj02,
)
from twin.errors import CityError, InputError

A = 6378137.0
F = 1.0 / 298.257222101
E2 = F * (2.0 - F)


# --- Gauss-Kruger -------------------------------------------------------------


def _meridian_arc(phi_deg: float) -> float:
    """Meridian arc from the equator, integral of a(1-e^2)/(1-e^2 sin^2)^1.5."""
    val, _ = quad(
        lambda p: A * (1 - E2) / (1 - E2 * math.sin(p) ** 2) ** 1.5,
        0.0, math.radians(phi_deg), epsabs=1e-7, epsrel=1e-14, limit=200,
    )
    return val


def _kruger(lon: float, lat: float, lon0: float) -> tuple[float, float]:
    """Transverse Mercator (k0 = 1) by the Kruger series through n^4 (Karney 2011)."""
    n = F / (2 - F)
    a_rect = A / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    alpha = [
        n / 2 - 2 * n**2 / 3 + 5 * n**3 / 16 + 41 * n**4 / 180,
        13 * n**2 / 48 - 3 * n**3 / 5 + 557 * n**4 / 1440,
        61 * n**3 / 240 - 103 * n**4 / 140,
        49561 * n**4 / 161280,
    ]
    e = math.sqrt(E2)
    phi, lam = math.radians(lat), math.radians(lon - lon0)
    t = math.sinh(math.atanh(math.sin(phi)) - e * math.atanh(e * math.sin(phi)))
    xi_p = math.atan2(t, math.cos(lam))
    eta_p = math.atanh(math.sin(lam) / math.sqrt(1 + t * t))
    xi = xi_p + sum(a * math.sin(2 * j * xi_p) * math.cosh(2 * j * eta_p)
                    for j, a in enumerate(alpha, 1))
    eta = eta_p + sum(a * math.cos(2 * j * xi_p) * math.sinh(2 * j * eta_p)
                      for j, a in enumerate(alpha, 1))
    return 500000.0 + a_rect * eta, a_rect * xi


def test_central_meridian_northing_is_meridian_arc() -> None:
    x, y = from_lonlat(114.0, 25.79, 4547, geo=CGCS2000)
    assert x == pytest.approx(500000.0, abs=1e-6)  # 1 micrometre
    assert y == pytest.approx(_meridian_arc(25.79), abs=1e-3)  # 1 mm


def test_off_meridian_against_kruger_series_and_round_trip() -> None:
    lon, lat = 115.3, 30.5  # 1.3 deg east of CM 114E
    x, y = from_lonlat(lon, lat, 4547, geo=CGCS2000)
    xk, yk = _kruger(lon, lat, 114.0)
    assert (x, y) == pytest.approx((xk, yk), abs=1e-3)  # 1 mm
    lon2, lat2 = to_lonlat(x, y, 4547, geo=CGCS2000)
    assert abs(lon2 - lon) < 1e-9 and abs(lat2 - lat) < 1e-9


def test_scale_factor_is_one_on_central_meridian() -> None:
    lat, dlon = 25.79, 1e-6
    x, _ = from_lonlat(114.0 + dlon, lat, 4547, geo=CGCS2000)
    phi = math.radians(lat)
    n_radius = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    expected = n_radius * math.cos(phi) * math.radians(dlon)
    assert (x - 500000.0) == pytest.approx(expected, rel=1e-6)


def test_transform_xy_vectorised_matches_pyproj() -> None:
    lon = np.array([113.0, 114.0, 115.2])
    lat = np.array([22.5, 30.6, 40.0])
    x, y = transform_xy(lon, lat, "EPSG:4490", 4547)
    ref = Transformer.from_crs(4490, 4547, always_xy=True).transform(lon, lat)
    assert isinstance(x, np.ndarray) and x.shape == (3,)
    np.testing.assert_allclose(x, ref[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(y, ref[1], rtol=0, atol=1e-9)
    xs, ys = transform_xy(114.0, 30.6, CGCS2000, 4547)
    assert isinstance(xs, float) and xs == pytest.approx(500000.0, abs=1e-6)


# --- zones and CRS resolution ------------------------------------------------------


def test_gk3_epsg_known_codes_and_names() -> None:
    assert gk3_epsg(113.03) == 4547
    assert gk3_epsg(113.03, zone_in_easting=True) == 4526
    assert CRS.from_epsg(4547).name == "CGCS2000 / 3-degree Gauss-Kruger CM 114E"
    assert CRS.from_epsg(4526).name == "CGCS2000 / 3-degree Gauss-Kruger zone 38"
    assert gk3_crs(113.03) == CRS.from_epsg(4547)
    # Every zone 25..45 in both families, checked against proj.db names.
    for zone in range(25, 46):
        lon = 3.0 * zone
        assert CRS.from_epsg(gk3_epsg(lon)).name.endswith(f"CM {3 * zone}E")
        name = CRS.from_epsg(gk3_epsg(lon, zone_in_easting=True)).name
        assert name.endswith(f"zone {zone}")
    assert gk3_epsg(73.5) == 4534 and gk3_epsg(136.49) == 4554
    assert gk3_epsg(76.5) == 4535  # border goes east


@pytest.mark.parametrize("bad", [73.4, 136.5, 0.0, -114.0, 500000.0, float("nan"), "east"])
def test_gk3_epsg_rejects_outside_china(bad: object) -> None:
    with pytest.raises(InputError, match="outside China|not a number") as exc:
        gk3_epsg(bad)  # type: ignore[arg-type]
    assert "\n" not in str(exc.value)


def test_as_crs_inputs_and_errors() -> None:
    ref = CRS.from_epsg(4547)
    assert as_crs(4547, what="x") == ref
    assert as_crs("EPSG:4547", what="x") == ref
    assert as_crs(ref.to_wkt(), what="x") == ref
    assert as_crs(ref, what="x") is ref
    for bad in ("EPSG:999999", "not a crs", True, None, 3.5):
        with pytest.raises(InputError, match=r"^city\.yaml:crs: cannot interpret") as exc:
            as_crs(bad, what="city.yaml:crs")
        assert "\n" not in str(exc.value)


@pytest.mark.parametrize("code", [4490, 4326])
def test_require_projected_rejects_geographic(code: int) -> None:
    with pytest.raises(CityError, match="geographic") as exc:
        require_projected(code, what="dem.tif")
    msg = str(exc.value)
    assert msg.startswith("dem.tif: CRS") and "EPSG:4547" in msg


def test_require_projected_accepts_metric_rejects_feet() -> None:
    assert require_projected(4547, what="dem.tif") == CRS.from_epsg(4547)
    assert require_projected("EPSG:4547+5737", what="dem.tif").is_compound
    with pytest.raises(CityError, match="US survey foot"):
        require_projected(2263, what="dem.tif")  # NY Long Island, ftUS


# --- GCJ-02 -------------------------------------------------------------------------

# (wgs_lon, wgs_lat, gcj_lon, gcj_lat); eviltransform lists lat first.
_EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), _EVILTRANSFORM)
def test_wgs84_to_gcj02_published_vectors(
    wlon: float, wlat: float, glon: float, glat: float
) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    # Published to ~15 digits; we agree to the last bit.  Tolerance 1e-12 deg.
    assert lon == pytest.approx(glon, abs=1e-12)
    assert lat == pytest.approx(glat, abs=1e-12)
    back = gcj02_to_wgs84(glon, glat)
    assert back == pytest.approx((wlon, wlat), abs=1e-10)


def test_wandergis_readme_example() -> None:
    # wandergis/coordtransform README, input (116.404, 39.915) for each call.
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12)
    g = (116.404, 39.915)
    f = wgs84_to_gcj02(*g)
    one_step = (2 * g[0] - f[0], 2 * g[1] - f[1])  # their gcj02towgs84
    assert one_step == pytest.approx((116.39775550083061, 39.91359571849836), abs=1e-12)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12)
    # Their bd09togcj02 is the closed-form inverse; ours iterates to 1e-10.
    assert bd09_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-6)


def test_beijing_offset_a_few_hundred_metres() -> None:
    lon, lat = wgs84_to_gcj02(116.397, 39.908)
    # Brief's figure (116.4032, 39.9094) is given to 4 decimals: half-ulp 5e-5.
    assert (lon, lat) == pytest.approx((116.4032, 39.9094), abs=5e-5)
    assert (lon, lat) == pytest.approx((116.40324337854781, 39.90940335390724), abs=1e-12)
    _, _, dist = Geod(ellps="WGS84").inv(116.397, 39.908, lon, lat)
    assert 500 < dist < 600  # 563 m


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.arange(73.0, 135.0001, 0.1), np.arange(18.0, 54.0001, 0.1))
    return lon.ravel(), lat.ravel()


def test_gcj02_round_trip_grid(china_grid: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = china_grid
    glon, glat = wgs84_to_gcj02(lon, lat)
    _, _, off = Geod(ellps="WGS84").inv(lon, lat, glon, glat)
    assert 10 < off.min() and off.max() < 800  # offsets 18..718 m on this grid
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    err = max(np.abs(wlon - lon).max(), np.abs(wlat - lat).max())
    assert err < 1e-8  # measured 1.1e-11 deg


def test_one_step_inverse_error_is_metres(china_grid: tuple[np.ndarray, np.ndarray]) -> None:
    """Documents the figure quoted in gcj02_to_wgs84's docstring."""
    lon, lat = china_grid
    glon, glat = wgs84_to_gcj02(lon, lat)
    flon, flat = wgs84_to_gcj02(glon, glat)
    _, _, d = Geod(ellps="WGS84").inv(2 * glon - flon, 2 * glat - flat, lon, lat)
    assert np.sqrt(np.mean(d**2)) == pytest.approx(1.18, abs=0.01)
    assert np.percentile(d, 95) == pytest.approx(2.58, abs=0.01)
    assert d.max() == pytest.approx(4.89, abs=0.01)


def test_bd09_round_trip_and_closed_form_error(
    china_grid: tuple[np.ndarray, np.ndarray],
) -> None:
    lon, lat = china_grid
    blon, blat = gcj02_to_bd09(lon, lat)
    glon, glat = bd09_to_gcj02(blon, blat)
    assert max(np.abs(glon - lon).max(), np.abs(glat - lat).max()) < 1e-10
    # Closed-form inverse (the common bd09togcj02), error documented in the docstring.
    x, y = blon - 0.0065, blat - 0.006
    z = np.hypot(x, y) - 2e-5 * np.sin(y * math.pi * 3000 / 180)
    th = np.arctan2(y, x) - 3e-6 * np.cos(x * math.pi * 3000 / 180)
    _, _, d = Geod(ellps="WGS84").inv(z * np.cos(th), z * np.sin(th), lon, lat)
    assert d.max() == pytest.approx(0.21, abs=0.01)


def test_outside_china_unchanged_exactly() -> None:
    lon = np.array([0.0, -122.4194, 139.6917, 72.0, 150.0, 100.0, 100.0])
    lat = np.array([0.0, 37.7749, 35.6895, 40.0, 60.0, 0.5, 56.0])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert np.array_equal(glon, lon) and np.array_equal(glat, lat)
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    assert np.array_equal(wlon, lon) and np.array_equal(wlat, lat)
    assert wgs84_to_gcj02(-0.1276, 51.5072) == (-0.1276, 51.5072)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_gcj02_scalars_nan_and_broadcast() -> None:
    lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert isinstance(lon, float) and isinstance(lat, float)
    assert (lon, lat) == pytest.approx((116.404, 39.915), abs=1e-10)
    nlon, nlat = gcj02_to_wgs84(np.array([np.nan, np.inf, 116.4]), 39.9)
    assert np.isnan(nlon[0]) and np.isinf(nlon[1]) and nlat.shape == (3,)
    assert np.isinf(wgs84_to_gcj02(np.inf, 30.0)[0])
    assert np.isnan(bd09_to_gcj02(np.nan, 30.0)[0])
    grid = np.full((2, 3), 116.4), np.full((2, 3), 39.9)
    out = gcj02_to_wgs84(*gcj02_to_bd09(*bd09_to_gcj02(*wgs84_to_gcj02(*grid))))
    assert out[0].shape == (2, 3)
    e_lon, e_lat = wgs84_to_gcj02(np.array([]), np.array([]))
    assert e_lon.shape == (0,) and gcj02_to_wgs84(e_lon, e_lat)[0].shape == (0,)


def test_gcj02_crs_helpers_round_trip() -> None:
    glon, glat = 114.3055, 30.5928  # Wuhan, GCJ-02 as from Amap
    x, y = gcj02_to_crs(glon, glat, 4547)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert (x, y) == pytest.approx(from_lonlat(wlon, wlat, 4547), abs=1e-9)
    assert crs_to_gcj02(x, y, 4547) == pytest.approx((glon, glat), abs=1e-10)
    assert to_lonlat(x, y, 4547) == pytest.approx((wlon, wlat), abs=1e-10)
    assert WGS84.to_epsg() == 4326 and CGCS2000.to_epsg() == 4490
