"""Burning building footprints into a DEM."""
import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from affine import Affine
from shapely.geometry import box

from terrain import Raster, burn_buildings, footprint_mask
from twin.errors import CityError, InputError

T = Affine(5.0, 0, 500000.0, 0, -5.0, 2500100.0)  # 20 x 20 cells of 5 m


def _dem(value=100.0):
    return Raster(np.full((20, 20), value), T, "EPSG:4547")


def _centres_inside(dem, geom):
    rr, cc = np.mgrid[0:dem.shape[0], 0:dem.shape[1]]
    x, y = dem.xy(rr, cc)
    return shapely.contains_xy(geom, x, y)


def test_square_building_raises_exactly_the_covered_cells():
    dem = _dem()
    # 20 x 20 m square from x 500022 to 500042: centres at +27.5, +32.5, +37.5 lie inside (and +22.5).
    sq = box(500021.0, 2500041.0, 500041.0, 2500061.0)
    b = gpd.GeoDataFrame({"height_m": [20.0]}, geometry=[sq], crs="EPSG:4547")
    dsm = burn_buildings(dem, b)
    inside = _centres_inside(dem, sq)
    assert inside.sum() == 16
    assert np.all(dsm.data[inside] == 120.0) and np.all(dsm.data[~inside] == 100.0)
    np.testing.assert_array_equal(footprint_mask(dem, b), inside)


def test_rotated_footprint_in_other_crs_matches_centre_rule():
    dem = _dem()
    poly = shapely.affinity.rotate(box(500020, 2500020, 500070, 2500050), 30)
    b = gpd.GeoDataFrame({"height_m": [12.0]}, geometry=[poly], crs="EPSG:4547").to_crs(4326)
    m = footprint_mask(dem, b)
    expected = _centres_inside(dem, poly)
    assert (m != expected).sum() <= 1  # reprojection round-off may flip a centre on the edge
    assert m.sum() > 40


def test_sloping_ground_min_vs_cell_and_absolute():
    dem = Raster(np.tile(np.arange(20.0), (20, 1)) + 100, T, "EPSG:4547")  # rises 1 m per column
    sq = box(500020.0, 2500040.0, 500040.0, 2500060.0)  # cols 4..7
    b = gpd.GeoDataFrame({"h": [10.0]}, geometry=[sq], crs="EPSG:4547")
    inside = footprint_mask(dem, b)
    assert np.all(burn_buildings(dem, b, height_col="h").data[inside] == 114.0)  # min ground 104 + 10
    np.testing.assert_array_equal(burn_buildings(dem, b, height_col="h", ground="cell").data[inside],
                                  dem.data[inside] + 10)
    b["h"] = 106.0  # absolute roof below part of the ground: DSM never below the DEM
    got = burn_buildings(dem, b, height_col="h", mode="absolute").data[inside]
    np.testing.assert_array_equal(got, np.maximum(dem.data[inside], 106.0))


def test_errors():
    dem = _dem()
    b = gpd.GeoDataFrame({"height_m": [5.0]}, geometry=[box(500020, 2500020, 500040, 2500040)])
    with pytest.raises(CityError, match="CRS"):
        burn_buildings(dem, b)
    b = b.set_crs("EPSG:4547")
    with pytest.raises(InputError, match="levels"):
        burn_buildings(dem, b, height_col="levels")
    b["height_m"] = -3.0
    with pytest.raises(InputError, match="negative"):
        burn_buildings(dem, b)


def test_overlap_higher_roof_wins():
    dem = _dem()
    big, small = box(500010, 2500010, 500080, 2500080), box(500030, 2500030, 500050, 2500050)
    b = gpd.GeoDataFrame({"height_m": [30.0, 8.0]}, geometry=[small, big], crs="EPSG:4547")
    dsm = burn_buildings(dem, b).data  # small (listed first) is hidden by big in one pass
    assert np.all(dsm[_centres_inside(dem, small)] == 130.0)
    assert np.all(dsm[_centres_inside(dem, big) & ~_centres_inside(dem, small)] == 108.0)
