"""Hazmat run-level behaviour a user relies on: a wind shift moves a dense cloud, a varying
rate reaches each receptor at its retarded time, receptors follow the terrain, zones are not
cut off by the computation grid, near-calm wind is floored on every path with a warning, and
a level the guideline lacks is filled from the other guideline and reported."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from sim.hazmat import model as M
from sim.hazmat import dispersion as Dsp
from sim.hazmat import fields as Fld
from sim.hazmat import met as Met
from sim.hazmat import dense_puff as DP
from sim.hazmat.kernels import plume_conc
from sim.hazmat.params import Params

AT = [402720.0, 2855400.0]  # a point in the sample city


def _params(**over) -> Params:
    d = {"release": {"chemical": "chlorine", "at": AT, "rate_kg_s": 1.0, "duration_s": 1800},
         "weather": {"wind_speed_m_s": 4.0, "wind_from_deg": 0.0, "stability": "D", "roughness": "rural"},
         "model": "gaussian", "duration_s": 1800, "output_interval_s": 300, "extent_m": 1500, "resolution_m": 25}
    d.update(over)
    return Params.model_validate(d)


def _resolved(city, p: Params):
    """The scenario's release, source term, weather and sigmas: what ``M.disperse`` takes."""
    chem = M.get_chemical(p.release.chemical)
    xy, tank, _ = M.locate_release(city, p.release)
    met = M.resolve_met(city, p.weather, xy, p.release.height_m, None)
    src = M.make_source(chem, p.release, tank, met, p.duration_s)
    scheme, sp, _ = M.sigma_scheme(p, met)
    return chem, xy, src, met, scheme, sp


def _disperse(city, p: Params):
    chem, xy, src, met, scheme, sp = _resolved(city, p)
    grid = Fld.make_grid(city, xy, p)
    return Dsp.disperse(grid, xy, p.release.height_m, src, chem, met, scheme, sp, p), xy, met, (scheme, sp)


def _at(disp, x, y, t):
    one = np.array([1.5])
    return disp.unit_fn(np.array([x]), np.array([y]), one, one, np.asarray(t, float))[:, 0]


DENSE = {"release": {"chemical": "chlorine", "at": AT, "rate_kg_s": 10.0, "duration_s": 1800},
         "weather": {"wind_speed_m_s": 2.0, "wind_from_deg": 0.0, "stability": "F", "roughness": "rural"},
         "model": "auto"}


def test_dense_cloud_follows_a_wind_shift(sample_city):
    """Wind from the north, then from the east at 600 s. What leaves the source after the shift
    is the unshifted cloud turned by 90 degrees: at a point x m west of the source, at a time
    when only post-shift emissions can be there (t - x/u >= 600 s), the concentration equals
    the no-shift run's at x m south (1e-9); due south, once the last pre-shift emission has
    passed (t - x/u >= 600 s), it is zero."""
    base, xy, _, _ = _disperse(sample_city, _params(**DENSE))
    w = dict(DENSE["weather"], shifts=[{"at_s": 600.0, "wind_from_deg": 90.0}])
    shifted, _, _, _ = _disperse(sample_city, _params(**dict(DENSE, weather=w)))
    assert base.dense and shifted.dense
    assert any("wind shifts" in n for n in shifted.notes)
    x, u10 = 400.0, 2.0  # the 10-m wind the dense correlations use
    t = np.arange(x / u10 + 600.0, 1800.0, 50.0)
    west = _at(shifted, xy[0] - x, xy[1], t)
    south = _at(base, xy[0], xy[1] - x, t)
    assert (south > 0).all()
    assert west == pytest.approx(south, rel=1e-9)
    assert (_at(shifted, xy[0], xy[1] - x, t) <= 1e-12 * south.max()).all()
    # before the shift reaches it, the south point sees the unshifted cloud
    early = np.arange(x / u10 + 10.0, 600.0, 50.0)
    assert _at(shifted, xy[0], xy[1] - x, early) == pytest.approx(_at(base, xy[0], xy[1] - x, early), rel=1e-9)


def test_time_varying_rate_reaches_each_receptor_at_its_retarded_time(sample_city):
    """Rates 1 then 3 kg/s (switch at 600 s): at a receptor x m downwind the concentration is
    the unit field times the rate emitted at t - x/u, so C(t) jumps by exactly 3x at
    t = 600 s + x/u; the run's maximum there is the 3 kg/s value."""
    p = _params(release={"chemical": "chlorine", "at": AT, "times_s": [0, 600, 1800], "rates_kg_s": [1.0, 3.0]})
    disp, xy, met, (scheme, sp) = _disperse(sample_city, p)
    x = 800.0
    u = met.u_release_m_s
    c = _at(disp, xy[0], xy[1] - x, [x / u + 300.0, x / u + 900.0])
    unit = np.zeros(1)
    plume_conc(np.array([xy[0]]), np.array([xy[1] - x]), np.array([1.5]), xy[0], xy[1], p.release.height_m, 1.0, u,
               0.0, scheme, sp, met.h_mix_m, unit)
    assert c == pytest.approx([unit[0], 3.0 * unit[0]], rel=1e-9)


def test_receptors_follow_the_terrain_in_two_states(sample_city):
    """AERMOD's two-state weighting (Cimorelli et al. 2005, eq. 1, f = 0.5): a receptor on
    ground dz above the source sees 0.5 C(z_r) + 0.5 C(z_r + dz), with C the plume at those
    heights; the grid's heights carry dz = max(z_ground - z_source, 0) from the city's DEM."""
    from terrain.sample import sample

    p = _params(extent_m=2500, resolution_m=50)
    disp, xy, met, (scheme, sp) = _disperse(sample_city, p)
    grid = Fld.make_grid(sample_city, xy, p)
    z_src = float(sample(sample_city.terrain, np.array([xy[0]]), np.array([xy[1]]))[0])
    zg = sample(sample_city.terrain, grid.x, grid.y)
    ok = np.isfinite(zg)
    assert grid.z_flat[ok] == pytest.approx(1.5 + np.maximum(zg[ok] - z_src, 0.0), abs=1e-9)
    assert (grid.z_flat - grid.z_agl).max() > 20.0  # the sample city is hilly around this source
    # a downwind receptor on higher ground: the blend of the two states
    down = ok & ((xy[1] - grid.y) > 300) & (np.abs(grid.x - xy[0]) < 50) & (grid.z_flat - grid.z_agl > 1.0)
    assert down.any()
    k = np.flatnonzero(down)[0]
    pair = []
    for z in (grid.z_agl[k], grid.z_flat[k]):
        c = np.zeros(1)
        plume_conc(grid.x[k:k + 1], grid.y[k:k + 1], np.array([z]), xy[0], xy[1], p.release.height_m, 1.0,
                   met.u_release_m_s, 0.0, scheme, sp, met.h_mix_m, c)
        pair.append(c[0])
    t = np.array([1700.0])
    got = disp.unit_fn(grid.x[k:k + 1], grid.y[k:k + 1], grid.z_agl[k:k + 1], grid.z_flat[k:k + 1], t)[0, 0]
    assert got == pytest.approx(0.5 * pair[0] + 0.5 * pair[1], rel=1e-9)
    assert pair[1] < pair[0]  # the hill lifts the receptor out of the ground-level plume


def test_zone_that_reaches_the_grid_edge_grows_the_grid(sample_city):
    """A 500 m half-width window is smaller than the 10 ppm zone of a 1 kg/s chlorine plume
    (about 1.15 km): the run grows the grid (x1.6 per step) until the edge is below the lowest
    threshold, and the zone's reach then equals a run on a window large enough from the start
    (one cell)."""
    zones = {"guideline": "custom", "custom_ppm": [100.0, 30.0, 10.0]}
    small = _params(extent_m=500, resolution_m=25, zones=zones)
    big = _params(extent_m=500 * 1.6 ** 2, resolution_m=25, zones=zones)
    chem = M.get_chemical("chlorine")
    out = {}
    for name, p in (("small", small), ("big", big)):
        xy, tank, _ = M.locate_release(sample_city, p.release)
        met = M.resolve_met(sample_city, p.weather, xy, p.release.height_m, None)
        src = M.make_source(chem, p.release, tank, met, p.duration_s)
        scheme, sp, _ = M.sigma_scheme(p, met)
        thr, labels = M.thresholds(chem, p, met.air_k)
        grid, disp = M.disperse_on_grid(sample_city, xy, p.release.height_m, src, chem, met, scheme, sp, p,
                                        min(thr.values()))
        zones = M.zone_polygons(grid.raster.copy(disp.cmax), thr, xy, labels)
        out[name] = (grid, disp, zones)
    g, d, z = out["small"]
    assert Dsp.edge_max(d.cmax) < M.thresholds(chem, small, 299.15)[0]["yellow"]
    assert any("grid grown" in n for n in d.notes)
    assert g.raster.shape == out["big"][0].raster.shape  # grown twice, to the big window
    assert z.set_index("zone").reach_m["yellow"] == pytest.approx(
        out["big"][2].set_index("zone").reach_m["yellow"], abs=1.5 * 25)


def _disperse_on_grid(city, p, lowest_kg_m3: float):
    """``M.disperse_on_grid`` for the scenario ``p``: its dispersion (grown while needed)."""
    chem, xy, src, met, scheme, sp = _resolved(city, p)
    return M.disperse_on_grid(city, xy, p.release.height_m, src, chem, met, scheme, sp, p, lowest_kg_m3)[1]


def test_zone_cut_by_the_largest_grid_is_reported(sample_city):
    """When even the grown grid is too small, the outer zone is marked as a lower bound."""
    p = _params(extent_m=30, resolution_m=10)  # grows to 123 m, far short of the 0.5 ppm reach
    disp = _disperse_on_grid(sample_city, p, 1.5e-6)
    assert any("lower bounds" in n for n in disp.notes)


def test_puffs_still_airborne_at_the_run_end_say_the_zones_stop_there(sample_city):
    """A 30 s release followed for 120 s is a cloud ~480 m downwind when the run ends (4 m/s):
    the puff model's zones stop there, and the run says so."""
    p = _params(release={"chemical": "chlorine", "at": AT, "rate_kg_s": 1.0, "duration_s": 30}, duration_s=120,
                output_interval_s=60)
    disp = _disperse_on_grid(sample_city, p, 1e-6)
    assert disp.model.startswith("Gaussian puffs")
    assert any("still above the outermost threshold when the run ends at 120 s" in n for n in disp.notes)


@pytest.mark.parametrize("model", ["gaussian", "auto"])
def test_near_calm_wind_is_floored_on_every_path_and_reported(sample_city, model):
    """0.5 m/s gives exactly the 1 m/s field, for the passive plume and the dense cloud, and
    says so (Gaussian and Britter-McQuaid models do not hold in calm air)."""
    def run(u):
        w = dict(DENSE["weather"], wind_speed_m_s=u)
        return _disperse(sample_city, _params(**dict(DENSE, weather=w, model=model, extent_m=800)))
    slow, _, met_slow, _ = run(0.5)
    ref, _, _, _ = run(1.0)
    assert slow.dense == (model == "auto")
    assert slow.cmax == pytest.approx(ref.cmax, rel=1e-6, abs=0)
    said = met_slow.warnings + slow.notes
    assert any("raised to 1 m/s" in n for n in said)


def test_missing_guideline_level_is_filled_from_the_other_and_reported():
    """Sulfur dioxide has no ERPG-3 in the table: the red zone takes its AEGL-3 (60 min),
    27 ppm, labelled as such (DOE PAC order); phosgene has neither AEGL-1 (not recommended)
    nor ERPG-1, so its yellow zone is left out and that is said."""
    so2 = _params(release={"chemical": "sulfur dioxide", "at": AT, "rate_kg_s": 1.0, "duration_s": 600},
                  zones={"guideline": "ERPG"})
    chem = M.get_chemical("sulfur dioxide")
    notes: list[str] = []
    thr, labels = M.thresholds(chem, so2, 298.15, notes)
    assert thr["red"] == pytest.approx(chem.ppm_to_kg_m3(27.0, 298.15), rel=1e-12)
    assert thr["orange"] == pytest.approx(chem.ppm_to_kg_m3(3.0, 298.15), rel=1e-12)
    assert "AEGL-3 (60 min) in place of ERPG-3" in labels["red"] and len(notes) == 1
    ph = _params(release={"chemical": "phosgene", "at": AT, "rate_kg_s": 1.0, "duration_s": 600})
    notes = []
    thr, _ = M.thresholds(M.get_chemical("phosgene"), ph, 298.15, notes)
    assert set(thr) == {"red", "orange"}
    assert notes == ["yellow zone left out: phosgene has neither AEGL-1 (60 min) nor ERPG-1"]


def test_run_warns_what_it_changed(sample_city):
    """Each note that changes how a result must be read is also a warning (the CLI prints it
    as one line)."""
    p = _params(release={"chemical": "sulfur dioxide", "at": AT, "rate_kg_s": 1.0, "duration_s": 600},
                zones={"guideline": "ERPG"}, weather={"wind_speed_m_s": 0.6, "wind_from_deg": 0.0,
                                                      "stability": "D", "roughness": "rural"})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = M.run(sample_city, p)
    said = [str(x.message) for x in w if "hazmat:" in str(x.message)]
    assert any("in place of ERPG-3" in s for s in said)
    assert any("raised to 1 m/s" in s for s in said)
    assert r.summary()["warnings"] == [s.removeprefix("hazmat: ") for s in said]
    assert not math.isnan(r.thresholds["red"])


def test_short_dense_release_follows_the_bm_release_class(sample_city):
    """1,000 kg of chlorine in 20 s (F, 2 m/s): Britter & McQuaid class the release by
    u10 Rd / x. Where it is <= 0.6 (x >= 67 m) the largest concentration at a point on the
    cloud's path is the BM puff value Cm(x) for 1,000 kg (0.5 %, from 2-s sampling); where it is
    >= 2.5 (x <= 16 m) it is the BM plume value for 50 kg/s (1e-9); a point 3 km out, which the
    cloud (centre at 0.4 u10, 1,440 m in the run) does not reach, stays far below the BM value."""
    from sim.hazmat.densegas import dense_centreline

    p = _params(**dict(DENSE, release={"chemical": "chlorine", "at": AT, "rate_kg_s": 50.0, "duration_s": 20},
                       extent_m=800, resolution_m=20, duration_s=1800))
    disp, xy, met, _ = _disperse(sample_city, p)
    assert "puff by release class" in disp.model and any("release:" in n for n in disp.notes)
    chem = M.get_chemical("chlorine")
    src = M.make_source(chem, p.release, None, met, p.duration_s)
    t = np.arange(0.0, 1800.0, 2.0)

    def bm(x, amount, inst):
        return float(dense_centreline(np.array([x]), amount, src.density_kg_m3, src.temperature_k, 2.0,
                                      chem.molar_mass_kg_mol, instantaneous=inst, ta_k=met.air_k, stability="F")[0])
    for x in (100.0, 300.0, 600.0, 1200.0):
        assert _at(disp, xy[0], xy[1] - x, t).max() == pytest.approx(bm(x, 1000.0, True), rel=0.005)
    assert _at(disp, xy[0], xy[1] - 10.0, t).max() == pytest.approx(bm(10.0, 50.0, False), rel=1e-9)
    assert _at(disp, xy[0], xy[1] - 3000.0, t).max() < 1e-6 * bm(3000.0, 1000.0, True)  # centre reaches 1,440 m
    assert bm(600.0, 1000.0, True) < 0.2 * bm(600.0, 50.0, False)  # the puff is far below a 50 kg/s plume there


def test_dense_puff_centre_follows_the_wind_periods(sample_city):
    """The puff's centre leaves at the mass-weighted release time (10 s for 0-20 s) and moves
    at 0.4 u10 (BM) south until the shift at 600 s, then west: at 1800 s it is
    0.4 * 2 * (590 m south, 1200 m west) from the source, and a point on the second leg lies
    on the path at the distance travelled to it."""
    w = dict(DENSE["weather"], shifts=[{"at_s": 600.0, "wind_from_deg": 90.0}])
    p = _params(**dict(DENSE, weather=w, release={"chemical": "chlorine", "at": AT, "rate_kg_s": 50.0,
                                                   "duration_s": 20}, duration_s=1800))
    chem = M.get_chemical("chlorine")
    xy, _, _ = M.locate_release(sample_city, p.release)
    met = M.resolve_met(sample_city, p.weather, xy, p.release.height_m, None)
    src = M.make_source(chem, p.release, None, met, p.duration_s)
    periods = Met.wind_periods(met, p, p.release.height_m, at_10m=True)
    puff = DP.DensePuff(xy, periods, src, chem, met, 10.0, p.duration_s)
    assert puff.t_rel_s == pytest.approx(10.0) and puff.mass_kg == pytest.approx(1000.0)
    s, cx, cy = puff.centre(np.array([5.0, 1800.0]))
    assert s[0] == -1.0
    assert (s[1], cx[1] - xy[0], cy[1] - xy[1]) == pytest.approx((0.8 * 1790, -0.8 * 1200, -0.8 * 590), abs=1e-9)
    rho = puff.path_distance(np.array([xy[0] - 500.0]), np.array([xy[1] - 0.8 * 590]))
    assert rho[0] == pytest.approx(0.8 * 590 + 500.0, abs=1e-9)
