"""Slope, aspect and hillshade against analytic planes."""
import numpy as np
import pytest
from affine import Affine

from terrain import Raster, aspect_deg, hillshade, slope_deg
from twin.errors import InputError

DX, DY = 2.0, 3.0  # anisotropic cells exercise the transform handling
T = Affine(DX, 0, 500000, 0, -DY, 2500000)


def _plane(a, b, shape=(20, 25)):
    r = Raster(np.zeros(shape), T, "EPSG:4547")
    x, y = r.xy(*np.mgrid[0:shape[0], 0:shape[1]])
    return Raster(100.0 + a * (x - 500000) + b * (y - 2500000), T, "EPSG:4547")


@pytest.mark.parametrize("a, b", [(0.3, -0.2), (-1.5, 0.0), (0.0, 2.0), (0.05, 0.07)])
def test_slope_and_aspect_of_plane(a, b):
    r = _plane(a, b)
    s = slope_deg(r).data
    np.testing.assert_allclose(s[1:-1, 1:-1], np.degrees(np.arctan(np.hypot(a, b))), atol=1e-6)
    asp = aspect_deg(r).data[1:-1, 1:-1]
    expected = np.degrees(np.arctan2(-a, -b)) % 360  # downslope azimuth, clockwise from north
    np.testing.assert_allclose(asp, expected, atol=1e-6)


def test_aspect_facing_east_and_edges_replicated():
    r = _plane(-0.5, 0.0)  # falls towards the east
    np.testing.assert_allclose(aspect_deg(r).data, 90.0, atol=1e-9)
    s = slope_deg(r).data
    # Replicated edges halve the across-edge difference: left/right columns read atan(0.5 / 2).
    np.testing.assert_allclose(s[5, [0, -1]], np.degrees(np.arctan(0.25)), atol=1e-9)
    flat = Raster(np.full((5, 5), 7.0), T, "EPSG:4547")
    assert np.all(aspect_deg(flat).data == -1.0) and np.all(slope_deg(flat).data == 0.0)


def test_hillshade_flat_and_sun_facing_plane():
    flat = np.full((6, 7), 50.0)
    flat[2, 3] = np.nan
    r = Raster(flat, T, "EPSG:4547")
    hs = hillshade(r, altitude_deg=45.0)
    assert hs.dtype == np.uint8
    assert hs[2, 3] == 0 and np.all(np.delete(hs.ravel(), 2 * 7 + 3) == round(255 * np.sin(np.radians(45))))
    hf = hillshade(r, altitude_deg=30.0, as_float=True)
    assert np.isnan(hf[2, 3])
    np.testing.assert_allclose(np.delete(hf.ravel(), 2 * 7 + 3), 0.5, atol=1e-12)
    # Plane rising to the east at 45 deg, sun in the west at 45 deg: normal points at the sun.
    west_lit = hillshade(_plane(1.0, 0.0), azimuth_deg=270, altitude_deg=45, as_float=True)
    np.testing.assert_allclose(west_lit[1:-1, 1:-1], 1.0, atol=1e-12)
    # Sun in the east: grazing the plane from behind -> 0.
    np.testing.assert_allclose(hillshade(_plane(1.0, 0.0), azimuth_deg=90, as_float=True)[1:-1, 1:-1],
                               0.0, atol=1e-12)


def test_hillshade_matches_esri_formula():
    rng = np.random.default_rng(0)
    z = np.cumsum(np.cumsum(rng.normal(size=(30, 30)), 0), 1) * 0.1
    r = Raster(z, T, "EPSG:4547")
    az, alt, zf = 315.0, 40.0, 2.0
    s = np.radians(np.degrees(np.arctan(np.tan(np.radians(slope_deg(r).data)) * zf)))
    asp = np.radians(aspect_deg(r).data)
    zen = np.radians(90 - alt)
    esri = np.cos(zen) * np.cos(s) + np.sin(zen) * np.sin(s) * np.cos(np.radians(az) - asp)
    got = hillshade(r, azimuth_deg=az, altitude_deg=alt, z_factor=zf, as_float=True)
    np.testing.assert_allclose(got, np.clip(esri, 0, 1), atol=1e-12)


def test_geographic_crs_rejected():
    with pytest.raises(InputError, match="geographic"):
        slope_deg(Raster(np.zeros((3, 3)), Affine(0.001, 0, 114, 0, -0.001, 22), "EPSG:4326"))
