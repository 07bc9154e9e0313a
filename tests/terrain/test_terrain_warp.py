"""Reprojection, clipping and resampling."""
import numpy as np
import pytest
from affine import Affine

from terrain import Raster, align_to, clip, reproject, resample
from twin.errors import InputError


def _smooth(h=120, w=150, res=10.0):
    t = Affine(res, 0, 495000.0, 0, -res, 2505000.0)
    r = Raster(np.zeros((h, w)), t, "EPSG:4547")
    x, y = r.xy(*np.mgrid[0:h, 0:w])
    return Raster(100 + 10 * np.sin((x - 495000) / 500) * np.cos((y - 2505000) / 700), t, "EPSG:4547")


def test_reproject_roundtrip_preserves_smooth_field():
    r = _smooth()
    r.data[50:60, 70:80] = np.nan
    g = reproject(r, "EPSG:4326")
    assert g.crs.to_epsg() == 4326 and g.crs.is_geographic
    back = align_to(g, r)
    assert back.shape == r.shape and back.transform == r.transform
    inner = np.zeros(r.shape, bool)
    inner[3:-3, 3:-3] = True
    inner[47:63, 67:83] = False  # near the hole GDAL renormalises weights over valid cells only
    ok = inner & np.isfinite(back.data) & np.isfinite(r.data)
    assert ok.sum() > 0.9 * inner.sum()
    np.testing.assert_allclose(back.data[ok], r.data[ok], atol=5e-3)  # 5 mm on a 10 m amplitude
    assert np.all(np.isnan(back.data[52:58, 72:78]))  # the hole survives


def test_reproject_with_resolution():
    g = reproject(_smooth(), 4326, res=0.0002)
    np.testing.assert_allclose(g.res, (0.0002, 0.0002))


def test_clip_snaps_outwards_to_cells():
    t = Affine(10.0, 0, 0.0, 0, -10.0, 100.0)
    r = Raster(np.arange(100.0).reshape(10, 10), t, "EPSG:4547")
    c = clip(r, (12, 23, 47, 81))
    assert c.bounds == (10.0, 20.0, 50.0, 90.0)
    np.testing.assert_array_equal(c.data, r.data[1:8, 1:5])
    assert clip(r, (10, 20, 50, 90)).equals(c)  # bounds on cell edges take no extra cells
    assert clip(r, (-50, -50, 500, 500)).equals(r)
    with pytest.raises(InputError, match="no overlap"):
        clip(r, (100, 0, 200, 100))  # touches the right edge only
    with pytest.raises(InputError):
        clip(r, (5, 5, 1, 1))


def test_resample_average_conserves_mean():
    r = _smooth(80, 60)
    a = resample(r, 20.0, resampling="average")
    assert a.shape == (40, 30) and a.res == (20.0, 20.0) and a.bounds == r.bounds
    np.testing.assert_allclose(a.data.mean(), r.data.mean(), rtol=1e-12)
    np.testing.assert_allclose(a.data, r.data.reshape(40, 2, 30, 2).mean(axis=(1, 3)), atol=1e-9)
    n = resample(r, 5.0, resampling="nearest")
    np.testing.assert_array_equal(n.data[::2, ::2], r.data)
    with pytest.raises(InputError, match="resampling"):
        resample(r, 20.0, resampling="fancy")
