"""Depression filling, D8 directions and flow accumulation on constructed DEMs."""
import numpy as np
import pytest
from affine import Affine

from terrain import (
    D8_NODATA, D8_SINK, Raster, d8_to_esri, depression_depth, fill_depressions,
    flow_accumulation, flow_direction_d8,
)
from terrain.kernels import D8_DC, D8_DR
from twin.errors import InputError

CRS = "EPSG:4547"


def _r(z, res=1.0):
    return Raster(np.asarray(z, dtype=np.float64), Affine(res, 0, 500000, 0, -res, 2500000), CRS)


def _outlets(z):
    """Valid cells on the edge or 8-adjacent to NaN."""
    p = np.pad(np.isnan(z), 1, constant_values=True)
    h, w = z.shape
    near = np.zeros_like(z, dtype=bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            near |= p[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
    return near & ~np.isnan(z)


def _neighbour_min(a):
    h, w = a.shape
    p = np.pad(np.where(np.isnan(a), np.inf, a), 1, constant_values=np.inf)
    return np.min([p[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
                   for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc], axis=0)


def planchon_darboux(z):
    """Brute-force minimal fill (Planchon & Darboux 2002 with epsilon = 0), iterated to a fixpoint."""
    fixed = _outlets(z) | np.isnan(z)
    w = np.where(fixed, z, np.inf)
    while True:
        new = np.where(fixed, w, np.maximum(z, np.minimum(w, _neighbour_min(w))))
        if np.array_equal(new, w, equal_nan=True):
            return w
        w = new


def _rim(z, r0, c0, r1, c1, rim, notch):
    """Square one-cell ring (rows r0..r1, cols c0..c1) at ``rim`` with one notch cell."""
    z[r0, c0:c1 + 1] = rim
    z[r1, c0:c1 + 1] = rim
    z[r0:r1 + 1, c0] = rim
    z[r0:r1 + 1, c1] = rim
    z[r1, (c0 + c1) // 2] = notch


@pytest.fixture
def two_pits():
    rr, cc = np.mgrid[0:40, 0:40]
    z = 10.0 + 0.1 * cc + 0.05 * rr  # tilted plane draining to the top-left edge
    rng = np.random.default_rng(1)
    _rim(z, 3, 3, 15, 15, rim=30.0, notch=25.0)   # pit A spills at 25
    z[4:15, 4:15] = rng.uniform(11, 20, (11, 11))
    _rim(z, 7, 7, 11, 11, rim=22.0, notch=21.0)   # nested pit inside A
    z[8:11, 8:11] = 5.0
    _rim(z, 20, 22, 32, 34, rim=40.0, notch=33.0)  # pit B spills at 33
    z[21:32, 23:34] = rng.uniform(11, 20, (11, 11))
    return z


def test_fill_two_pits_to_spill_elevation_exactly(two_pits):
    z = two_pits
    f = fill_depressions(_r(z)).data
    inside_a = np.zeros_like(z, bool)
    inside_a[4:15, 4:15] = True
    inside_b = np.zeros_like(z, bool)
    inside_b[21:32, 23:34] = True
    assert np.all(f[inside_a] == 25.0)  # nested pit included: exact equality
    assert np.all(f[inside_b] == 33.0)
    rest = ~(inside_a | inside_b)
    assert np.array_equal(f[rest], z[rest])
    d = depression_depth(_r(z)).data
    assert np.array_equal(d, f - z)
    assert d[9, 9] == 20.0  # nested pit bottom 5 -> 25


def test_nan_hole_is_an_outlet():
    rr, cc = np.mgrid[0:21, 0:21]
    d = np.hypot(rr - 10, cc - 10)
    inside = (abs(rr - 10) < 5) & (abs(cc - 10) < 5)
    z = np.where(inside, 12.0 + d, 28.0 - 0.5 * d)  # bowl draining to the centre, slope outside
    z[5, 5:16] = z[15, 5:16] = z[5:16, 5] = z[5:16, 15] = 30.0  # closed rim
    z[10, 10] = np.nan
    f = fill_depressions(_r(z)).data
    assert np.isnan(f[10, 10])
    assert np.array_equal(f, z, equal_nan=True)  # drains into the hole: nothing to fill
    z2 = z.copy()
    z2[10, 10] = 12.0  # without the hole the bowl fills to the rim
    assert np.all(fill_depressions(_r(z2)).data[6:15, 6:15] == 30.0)


@pytest.mark.parametrize("seed", range(6))
def test_fill_matches_planchon_darboux(seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(0, 10, (23, 31)).round(1)  # rounding makes flats and ties
    z[rng.random(z.shape) < 0.03] = np.nan
    f = fill_depressions(_r(z)).data
    np.testing.assert_array_equal(f, planchon_darboux(z))


@pytest.mark.parametrize("eps, dtype", [(1e-3, np.float64), (0.0, None), (1e-12, np.float32)])
def test_epsilon_fill_is_drainable(eps, dtype):
    rng = np.random.default_rng(7)
    z = rng.uniform(0, 10, (30, 30)).round(0)
    z[12:15, 12:15] = np.nan
    f0 = fill_depressions(_r(z)).data
    if dtype is None:  # smallest positive epsilon: next representable float
        eps, dtype = 5e-324, np.float64
    r = Raster(z.astype(dtype), _r(z).transform, CRS)
    f = fill_depressions(r, epsilon=eps).data
    assert f.dtype == dtype
    valid = ~np.isnan(z)
    assert np.array_equal(np.isnan(f), ~valid)
    inner = valid & ~_outlets(z)
    assert np.all(_neighbour_min(f)[inner] < f[inner])  # strictly lower neighbour
    assert np.all(f[valid] >= z.astype(dtype)[valid])
    assert np.all(f[valid] - f0[valid] <= max(eps, 1e-3) * z.size)  # tolerance: n steps


def test_d8_inclined_plane_flows_one_way():
    rr, cc = np.mgrid[0:15, 0:20]
    fd = flow_direction_d8(_r(100.0 - 0.5 * cc + 0.0 * rr, res=5.0))
    assert fd.dtype == np.int8
    assert np.all(fd == 0)  # east, edge column drains off the grid eastwards
    assert np.all(d8_to_esri(fd) == 1)
    fd = flow_direction_d8(_r(100.0 + 0.3 * rr, res=5.0), condition=False)
    assert np.all(fd[1:, :] == 6) and np.all(fd[0, :] == 6)  # north (row - 1)


def test_d8_diagonal_weighting():
    # Drop 1 to the east (distance 1) beats drop 1.3 to the south-east (distance sqrt 2).
    z = np.full((3, 3), 10.0)
    z[1, 2] = 9.0
    z[2, 2] = 8.7
    assert flow_direction_d8(_r(z), condition=False)[1, 1] == 0
    z[2, 2] = 8.5  # drop 1.5 / sqrt 2 = 1.06 > 1
    assert flow_direction_d8(_r(z), condition=False)[1, 1] == 1


def test_valley_accumulation_is_analytic():
    h, w = 25, 15
    c = w // 2
    rr, cc = np.mgrid[0:h, 0:w]
    z = 10.0 * np.abs(cc - c) + (h - rr) * 1.0  # V valley draining to the bottom row
    fd = flow_direction_d8(_r(z))
    assert np.all(fd[:, :c] == 0) and np.all(fd[:, c + 1:] == 4) and np.all(fd[:, c] == 2)
    acc = flow_accumulation(fd)
    expected_side = np.where(cc < c, cc + 1, w - cc).astype(float)
    np.testing.assert_array_equal(acc[:, cc[0] != c], expected_side[:, cc[0] != c])
    np.testing.assert_array_equal(acc[:, c], (np.arange(h) + 1) * w)  # linear along the channel
    assert acc[-1, c] == h * w  # outlet collects every cell
    np.testing.assert_array_equal(flow_accumulation(fd, weights=np.full(z.shape, 2.5)), 2.5 * acc)


def test_flats_and_depressions_drain_to_outlets():
    rng = np.random.default_rng(3)
    z = rng.uniform(0, 5, (40, 50)).round(0)
    z[10:30, 10:40] = 2.0  # big flat
    z[0, 0] = np.nan
    fd = flow_direction_d8(_r(z))
    assert not np.any(fd == D8_SINK)
    assert fd[0, 0] == D8_NODATA
    acc = flow_accumulation(fd)
    assert np.isnan(acc[0, 0])
    rr, cc = np.nonzero(fd >= 0)
    k = fd[rr, cc]
    tr, tc = rr + D8_DR[k], cc + D8_DC[k]
    leaves = (tr < 0) | (tr >= z.shape[0]) | (tc < 0) | (tc >= z.shape[1])
    leaves[~leaves] = np.isnan(z[tr[~leaves], tc[~leaves]])
    assert acc[rr[leaves], cc[leaves]].sum() == np.isfinite(z).sum()  # all water leaves


def test_raw_pit_is_a_sink_and_cycles_are_rejected():
    z = np.full((5, 5), 10.0)
    z[2, 2] = 1.0
    assert flow_direction_d8(_r(z), condition=False)[2, 2] == D8_SINK
    assert flow_direction_d8(_r(z))[2, 2] >= 0
    with pytest.raises(InputError, match="cycle"):
        flow_accumulation(np.array([[0, 4]], dtype=np.int8))
    with pytest.raises(InputError, match="ESRI"):
        flow_accumulation(np.array([[64, 1]], dtype=np.int16))
