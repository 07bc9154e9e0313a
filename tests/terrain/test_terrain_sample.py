"""Point sampling."""
import numpy as np
from affine import Affine

from terrain import Raster, sample

T = Affine(5.0, 0, 1000.0, 0, -5.0, 2000.0)  # 5 m cells, top-left (1000, 2000)


def _plane():
    r = Raster(np.zeros((12, 16)), T, "EPSG:4547")
    x, y = r.xy(*np.mgrid[0:12, 0:16])
    return Raster(3.0 + 0.4 * x - 0.7 * y, T, "EPSG:4547")


def test_bilinear_reproduces_plane():
    r = _plane()
    rng = np.random.default_rng(0)
    # interior = inside the hull of the cell centres
    x = rng.uniform(1002.5, 1000 + 16 * 5 - 2.5, 500)
    y = rng.uniform(2000 - 12 * 5 + 2.5, 1997.5, 500)
    np.testing.assert_allclose(sample(r, x, y), 3.0 + 0.4 * x - 0.7 * y, atol=1e-9)


def test_nearest_and_outside():
    r = _plane()
    rows, cols = np.array([0, 3, 11]), np.array([0, 7, 15])
    x, y = r.xy(rows, cols)
    got = sample(r, x + 2.4, y - 2.4, method="nearest")  # anywhere in the cell
    np.testing.assert_array_equal(got, r.data[rows, cols])
    out = sample(r, [999.0, 1080.0, 1010.0, 1010.0], [1990.0, 1990.0, 2000.5, 1940.0])
    assert np.all(np.isnan(out))  # left, right edge (half-open), above, bottom edge
    assert sample(r, 1000.0, 2000.0, method="nearest").shape == ()


def test_nodata_gives_nan_only_with_weight():
    d = np.arange(16.0).reshape(4, 4)
    d[1, 1] = np.nan
    r = Raster(d, T, "EPSG:4547")
    x, y = r.xy(np.array([1, 1, 2]), np.array([1, 2, 2]))
    got = sample(r, x, y)
    assert np.isnan(got[0]) and got[1] == d[1, 2] and got[2] == d[2, 2]  # at centres: no NaN weight
    assert np.isnan(sample(r, x[1] - 1.0, y[1]))  # between (1,1) and (1,2)
