"""SHALSTAB shallow-landslide warning: closed forms, the sample DEM, and the runout rule."""
from __future__ import annotations

import math
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString

from sim.geohazard import (
    critical_rainfall_mm_day, factor_of_safety, landslide_runout, load_soils, prepare_terrain, warn, wetness,
)
from sim.geohazard.shalstab import CONDITIONAL, UNCONDITIONALLY_STABLE, stability_class
from sim.geohazard.warning import rain_24h_mm, runout_path
from terrain.raster import Raster
from twin.errors import InputError

GW = 9810.0


# --------------------------------------------------------------------------- closed forms
def test_factor_of_safety_hand_case():
    # theta = 30 deg, W = 0.5, C = 5 kPa, phi = 33 deg, z = 2 m, gamma_s = 18 kN/m3, gamma_w = 9.81 kN/m3:
    # num = 5000 + (18000 - 4905) * 2 * cos^2(30) * tan(33) = 5000 + 13095 * 2 * 0.75 * 0.6494076 = 17755.99 Pa
    # den = 18000 * 2 * sin(30) * cos(30) = 18000 * 2 * 0.5 * 0.8660254 = 15588.46 Pa
    fs = factor_of_safety(math.radians(30), 0.5, 5000.0, math.radians(33), 2.0, 18000.0, GW)
    assert fs == pytest.approx(1.1390472029387442, rel=1e-9)


def test_dry_cohesionless_fs_is_tan_ratio():
    phi = math.radians(35.0)
    th = np.radians(np.array([5.0, 20.0, 34.9, 35.0, 35.1, 50.0]))
    fs = factor_of_safety(th, 0.0, 0.0, phi, 1.5, 19000.0)
    np.testing.assert_allclose(fs, np.tan(phi) / np.tan(th), rtol=1e-12)  # FS = tan(phi) / tan(theta)
    assert np.all(fs[th < phi] > 1.0) and fs[3] == pytest.approx(1.0, abs=1e-12) and np.all(fs[th > phi] < 1.0)
    assert np.isposinf(factor_of_safety(0.0, 1.0, 0.0, phi, 1.5, 19000.0))  # flat ground never slides


def test_wetness_steady_state_and_saturation():
    th = math.radians(20.0)
    # q = 50 mm/day, a/b = 40 m, T = 10 m2/day: W = 0.05 * 40 / (10 * sin 20) = 2 / 3.420201 = 0.584761
    assert wetness(0.05, 40.0, 10.0, th) == pytest.approx(0.05 * 40.0 / (10.0 * 0.3420201433256687), rel=1e-12)
    # ten times the recharge would give W = 5.85: the column saturates, W = 1 (overland flow beyond)
    assert wetness(0.5, 40.0, 10.0, th) == 1.0
    assert wetness(0.01, 40.0, 10.0, 0.0) == 1.0 and wetness(0.0, 40.0, 10.0, 0.0) == 0.0


def test_critical_rainfall_hand_case_and_classes():
    th, phi = math.radians(30), math.radians(33)
    # W_c = 5000 / (9810 * 2 * 0.75 * 0.6494076) + (18000 / 9810) * (1 - 0.5773503 / 0.6494076) = 0.7268234
    # q_c = W_c * T sin(theta) / (a/b) = 0.7268234 * 10 * 0.5 / 50 m/day = 72.68234 mm/day
    qc = critical_rainfall_mm_day(th, 50.0, 5000.0, phi, 2.0, 18000.0, 10.0)
    assert qc == pytest.approx(72.6823352495705, rel=1e-9)
    # at q = q_c the slope is exactly at limit equilibrium
    w = wetness(qc / 1000.0, 50.0, 10.0, th)
    assert factor_of_safety(th, w, 5000.0, phi, 2.0, 18000.0) == pytest.approx(1.0, abs=1e-12)
    # M&D 1994 cohesionless case, phi = 45 deg, rho_s / rho_w = 2: unconditionally stable for
    # tan(theta) < (1 - rho_w / rho_s) tan(phi) = 0.5, unconditionally unstable for tan(theta) > 1
    tans = np.array([0.0, 0.49, 0.51, 0.99, 1.01])
    q = critical_rainfall_mm_day(np.arctan(tans), 30.0, 0.0, math.radians(45), 1.0, 2 * GW, 10.0)
    assert np.isposinf(q[0]) and np.isposinf(q[1])
    assert np.all(np.isfinite(q[2:4])) and np.all(q[2:4] > 0) and q[4] == 0.0
    np.testing.assert_array_equal(stability_class(q), [0, 0, 1, 1, 2])


def test_hyetograph_24h_maximum():
    # 12 h dry, 6 h at 10 mm/h, 30 h at 2 mm/h: the wettest 24 h hold the burst and 18 h of drizzle = 96 mm
    hyeto = np.r_[np.zeros(12), np.full(6, 10.0), np.full(30, 2.0)]
    assert rain_24h_mm(hyeto) == pytest.approx(96.0, abs=1e-12)
    assert rain_24h_mm(np.full(8, 3.0), dt_h=3.0) == pytest.approx(24.0, abs=1e-12)  # 8 steps of 3 h = one day
    with pytest.raises(InputError):
        rain_24h_mm(-5.0)


# --------------------------------------------------------------------------- sample DEM
@pytest.fixture(scope="module")
def chenzhou():
    import twin
    city = twin.load_city("data_samples/chenzhou")
    pt = prepare_terrain(city.terrain)
    runs = {r: warn(city, float(r), prepared=pt) for r in (50, 100, 200)}
    return city, pt, runs


def test_units_partition_the_dem(chenzhou):
    city, pt, _ = chenzhou
    dx, dy = city.terrain.res
    valid = int(np.isfinite(city.terrain.data).sum())
    assert pt.unit_id.min() == 0 and int((pt.unit_id >= 0).sum()) == valid
    # unit polygons tile the grid: their areas sum to the valid area and each matches its cell count
    ids = pt.unit_id.ravel()
    np.testing.assert_allclose(pt.unit_geom.area.values, np.bincount(ids[ids >= 0]) * dx * dy, rtol=1e-9)
    assert pt.unit_geom.area.sum() == pytest.approx(valid * dx * dy, rel=1e-9)


def test_failing_share_grows_with_rain_and_matches_fs(chenzhou):
    _, _, runs = chenzhou
    shares = [runs[r].summary()["failing_cell_share"] for r in (50, 100, 200)]
    assert shares[0] > 0.0 and shares[0] < shares[1] < shares[2]
    for rain, res in runs.items():
        # two closed forms agree: a conditional cell has FS < 1 at the forecast iff q_c < rain
        cond = res.stability.data == CONDITIONAL
        fs, qc = res.fs.data[cond], res.qc_mm_day.data[cond]
        away = np.abs(qc - rain) > 1e-9 * rain
        np.testing.assert_array_equal((fs < 1.0)[away], (qc < rain)[away])
    lv = [runs[r].units.level.to_numpy() for r in (50, 100, 200)]
    assert np.all(lv[0] <= lv[1]) and np.all(lv[1] <= lv[2])  # more rain never lowers a unit's level


def test_flat_ground_is_never_warned(chenzhou):
    city, pt, runs = chenzhou
    res = runs[200]
    # default soil red_earth_forest (C = 5 kPa, phi = 28 deg, 1900 kg/m3, z = 1.5 m): W_c > 1 up to theta = 25 deg
    # (W_c(24 deg) = 1.075), so any cell flatter than 24 deg is unconditionally stable
    gentle = np.degrees(pt.slope_rad) < 24.0
    assert np.all(res.stability.data[gentle] == UNCONDITIONALLY_STABLE)
    assert not res.failing[gentle].any()
    gentle_units = res.units[res.units.slope_max_deg < 24.0]
    assert len(gentle_units) > 0 and (gentle_units.level == 0).all() and (gentle_units.share_failing == 0).all()
    # a perfectly flat DEM under 500 mm/day: nothing fails, nothing is warned
    flat = Raster(np.full((60, 60), 170.0, np.float32), Affine(5, 0, 400000, 0, -5, 2856000), city.crs)
    r = warn(SimpleNamespace(terrain=flat), 500.0, unit_area_m2=5000.0)
    assert np.all(np.isposinf(r.qc_mm_day.data)) and (r.units.level == 0).all()


def test_runout_descends_to_the_energy_line(chenzhou):
    city, _, runs = chenzhou
    res = runs[200]
    red = res.warned_units(4)
    assert len(red) > 0
    for u in red.unit.iloc[:5]:
        ro = landslide_runout(city, int(u), result=res)
        assert np.all(np.diff(ro.path.z_m) <= 0.0)  # never climbs
        tan_a = math.tan(math.radians(ro.reach_angle_deg))
        if ro.path.stopped_by == "reach":  # toe on the Corominas energy line: H / L = tan(alpha)
            assert ro.path.drop_m / ro.path.length_m == pytest.approx(tan_a, rel=1e-9)
        else:
            assert ro.path.drop_m / ro.path.length_m >= tan_a


# --------------------------------------------------------------------------- runout on a hand-built slope
def _ramp_city():
    """41 x 100 cells of 5 m: a 0.5 slope (26.6 deg) falling east down to x = 250 m, then a 0.02 apron;
    one north-south road 200 m and one 208 m east of the source cell (x = 102.5 m)."""
    nr, nc, d = 41, 100, 5.0
    x = (np.arange(nc) + 0.5) * d
    z = 0.5 * np.maximum(0.0, 250.0 - x) + 0.02 * (nc * d - x)
    dem = Raster(np.tile(z, (nr, 1)).astype(np.float64), Affine(d, 0, 0.0, 0, -d, nr * d), "EPSG:4547")
    xs = (20 + 0.5) * d  # source column 20, x = 102.5 m
    g = nx.MultiDiGraph(crs=dem.crs)
    for i, xr in enumerate((xs + 200.0, xs + 208.0)):
        g.add_node(2 * i, x=xr, y=10.0)
        g.add_node(2 * i + 1, x=xr, y=195.0)
        g.add_edge(2 * i, 2 * i + 1, geometry=LineString([(xr, 10.0), (xr, 195.0)]), name=f"r{i}", length_m=185.0,
                   speed_kph=30.0)
    return SimpleNamespace(terrain=dem, roads=g), xs


def test_runout_toe_and_road_closure_hand_case():
    city, xs = _ramp_city()
    # the source is 147.5 m (horizontal) from the slope foot at x = 250 m: drop along the fall line
    # H(L) = 0.5 * 147.5 + 0.02 L = 73.75 + 0.02 L once on the apron; with tan(alpha) = 0.4 the energy line
    # meets the ground at 73.75 + 0.02 L = 0.4 L -> L = 73.75 / 0.38 = 194.08 m
    ro = landslide_runout(city, (xs, 102.5), reach_angle_deg=math.degrees(math.atan(0.4)), width_m=20.0)
    assert ro.path.stopped_by == "reach"
    assert ro.path.length_m == pytest.approx(73.75 / 0.38, rel=1e-9)
    assert ro.path.xy[-1][0] - xs == pytest.approx(73.75 / 0.38, rel=1e-9)  # straight down the fall line
    assert ro.path.drop_m == pytest.approx(0.4 * 73.75 / 0.38, rel=1e-9)
    # footprint = path buffered by 10 m: reaches x = xs + 204.08 m: the road at +200 m closes, +208 m stays open
    assert [e[0] for e in ro.edges] == [0]
    assert len(ro.closed_roads) == 1 and ro.closed_roads.name.iloc[0] == "r0"
    assert ro.roads_after(city.roads).number_of_edges() == 1
    # deposition-slope rule: stops on the first cell flatter than 10 deg, the first apron cell at x = 252.5 m
    ro2 = landslide_runout(city, (xs, 102.5), rule="slope", stop_slope_deg=10.0)
    assert ro2.path.stopped_by == "slope" and ro2.path.xy[-1][0] == pytest.approx(252.5, abs=1e-9)


def test_runout_path_needs_a_rule():
    city, _ = _ramp_city()
    with pytest.raises(InputError):
        runout_path(city.terrain, np.zeros((41, 100), np.int8), 5, 5)


def test_soil_table_is_physical():
    soils = load_soils()
    assert "red_earth_forest" in soils.index
    assert (soils.friction_angle_deg.between(20, 50)).all() and (soils.density_kg_m3 > 1000).all()
