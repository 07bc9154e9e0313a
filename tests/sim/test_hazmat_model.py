"""Hazmat orchestration: zones, retarded-time plume, indoor exposure, evacuation queueing,
shelter assignment, ensembles (in process, local processes, Dask) and the run on the sample
city, each against a closed form or an independent computation."""
from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from affine import Affine
from pyproj import CRS
from shapely.geometry import LineString, Point, Polygon

from sim.hazmat import impacts as imp
from sim.hazmat import exposure as E
from sim.hazmat import model as M
from sim.hazmat import dispersion as Dsp
from sim.hazmat import fields as Fld
from sim.hazmat.ensemble import draw_members, exceedance_probability
from sim.hazmat.kernels import plume_conc
from sim.hazmat.params import Ensemble, Evacuation, Params
from sim.hazmat.sigmas import SCHEME_PG_RURAL, pg_turner_sigmas
from sim.hazmat.zones import FAR_FIELD_M, confidence_envelope, far_field_notes, zone_polygons
from terrain.raster import Raster
from twin.errors import InputError

CRS_ = CRS.from_epsg(4547)


def _plume_grid(res=5.0, n=400, q=1.0, u=3.0, cls=3):
    """Ground-level plume of a ground-level source (class D, wind from the west) on a grid."""
    tr = Affine(res, 0, -100.0, 0, -res, n * res / 2)
    cols, rows = np.meshgrid(np.arange(n), np.arange(n))
    x = (-100.0 + (cols + 0.5) * res).ravel()
    y = (n * res / 2 - (rows + 0.5) * res).ravel()
    c = np.zeros(x.size)
    plume_conc(x, y, np.zeros(x.size), 0.0, 0.0, 0.0, q, u, 270.0, SCHEME_PG_RURAL, np.array([float(cls)]), 0.0, c)
    return Raster(c.reshape(n, n).astype(np.float32), tr, CRS_), x, y


def test_zone_reach_and_area_match_the_closed_form_plume():
    """Ground source, ground receptors: C(x, y) = Q/(π σy σz u) exp(−y²/2σy²). The zone edge on
    the axis is where Q/(π σy σz u) = thr and its half-width w(x) = σy sqrt(2 ln(C0(x)/thr));
    the polygon's reach must match within one cell and its area (∫ 2w dx) within 2 %."""
    q, u, thr = 1.0, 3.0, 2e-5
    grid, _, _ = _plume_grid(q=q, u=u)
    z = zone_polygons(grid, {"red": thr}, (0.0, 0.0))
    xs = np.linspace(1.0, 2000.0, 200001)
    sy, sz = pg_turner_sigmas(xs, 3)
    c0 = q / (math.pi * sy * sz * u)
    inside = c0 > thr
    x_end = xs[inside][-1]
    width = 2 * sy[inside] * np.sqrt(2 * np.log(c0[inside] / thr))
    area = np.trapezoid(width, xs[inside])
    assert z.iloc[0].reach_m == pytest.approx(x_end, abs=5.0 * 1.5)
    assert z.iloc[0].area_m2 == pytest.approx(area, rel=0.02)


def test_zones_are_nested_and_envelope_widens_by_the_confidence_angle():
    grid, _, _ = _plume_grid()
    z = zone_polygons(grid, {"red": 1e-4, "orange": 2e-5, "yellow": 5e-6}, (0.0, 0.0))
    assert list(z.zone) == ["red", "orange", "yellow"]
    assert z.reach_m.is_monotonic_increasing
    assert z.geometry.iloc[1].buffer(1e-6).contains(z.geometry.iloc[0])
    # a thin ray along +x: the envelope spans ±1.96 σθ around it
    ray = LineString([(0, 0), (1000, 0)]).buffer(0.5)
    env, lines = confidence_envelope(ray, (0.0, 0.0), 10.0, 0.95, step_deg=0.25)
    half = 1.959964 * 10.0
    ang = [math.degrees(math.atan2(ln.coords[-1][1], ln.coords[-1][0])) for ln in lines]
    assert sorted(ang) == pytest.approx([-half, half], abs=0.05)
    # the envelope's outermost points lie at the same angles (area of a circular sector)
    assert env.area == pytest.approx(math.radians(2 * half) / 2 * 1000 ** 2, rel=0.02)


def test_zones_past_10_km_are_flagged_with_the_travel_time():
    """A 100 kg/s ground plume (class D, 3 m/s) on a 15 km grid: the zone whose closed-form edge
    lies past 10 km gets a note with the cloud's travel time reach / u (0.05 h), the nearer
    zones none."""
    q, u = 100.0, 3.0
    grid, _, _ = _plume_grid(res=50.0, n=300, q=q, u=u)
    thr = {"red": 3e-4, "yellow": 1e-4}
    z = zone_polygons(grid, thr, (0.0, 0.0))
    xs = np.linspace(1.0, 14500.0, 145001)
    sy, sz = pg_turner_sigmas(xs, 3)
    c0 = q / (math.pi * sy * sz * u)
    reach = {k: xs[c0 > v][-1] for k, v in thr.items()}
    assert reach["red"] < FAR_FIELD_M < reach["yellow"] < 14000.0
    notes = far_field_notes(z, u)
    assert len(notes) == 1 and notes[0].startswith("the yellow zone reaches")
    hours = float(notes[0].split("takes ")[1].split(" h")[0])
    assert hours == pytest.approx(reach["yellow"] / u / 3600.0, abs=0.05 + 1.5 * 50.0 / u / 3600.0)


def _params(**over) -> Params:
    d = {"release": {"chemical": "chlorine", "at": [402720.0, 2855400.0], "rate_kg_s": 1.0, "duration_s": 600},
         "weather": {"wind_speed_m_s": 4.0, "wind_from_deg": 0.0, "stability": "D", "roughness": "rural"},
         "model": "gaussian", "duration_s": 1800, "output_interval_s": 300, "extent_m": 1500, "resolution_m": 25}
    d.update(over)
    return Params.model_validate(d)


def test_retarded_time_plume_at_a_point(sample_city):
    """A 600 s release in a steady wind reaches a receptor x m downwind at t = x/u and leaves
    at x/u + 600 s; in between it equals the steady plume (the unit field times the rate)."""
    p = _params()
    chem = M.get_chemical("chlorine")
    xy, tank, _ = M.locate_release(sample_city, p.release)
    met = M.resolve_met(sample_city, p.weather, xy, p.release.height_m, None)
    src = M.make_source(chem, p.release, tank, met, p.duration_s)
    scheme, sp, _ = M.sigma_scheme(p, met)
    grid = Fld.make_grid(sample_city, xy, p)
    disp = Dsp.disperse(grid, xy, p.release.height_m, src, chem, met, scheme, sp, p)
    x_dw = 500.0  # due south (wind from the north)
    t = np.arange(0.0, 1800.0, 10.0)
    pt = (xy[0], xy[1] - x_dw)
    c = disp.unit_fn(np.array([pt[0]]), np.array([pt[1]]), np.array([1.5]), np.array([1.5]), t)[:, 0]
    u = met.u_release_m_s
    on = (t >= x_dw / u) & (t < x_dw / u + 600.0)
    assert (c[~on] == 0).all() and (c[on] > 0).all()
    steady = np.zeros(1)
    plume_conc(np.array([pt[0]]), np.array([pt[1]]), np.array([1.5]), xy[0], xy[1], p.release.height_m, 1.0, u,
               0.0, scheme, sp, met.h_mix_m, steady)
    assert c[on] == pytest.approx(np.full(on.sum(), steady[0]), rel=1e-9)
    # the maximum grid holds the peak rate wherever the cloud arrives within the run
    assert disp.cmax.max() == pytest.approx(disp.frames.max(), rel=1e-6)


def test_indoor_one_box_model_matches_the_exponential(sample_city):
    """C_out = C0 from t = t0: indoors C_in = C0 (1 − exp(−λ (t − t0))) (one-box, exact)."""
    class D:
        @staticmethod
        def unit_fn(xs, ys, za, zf, t):
            return np.where(t[:, None] >= 100.0, 2e-3, 0.0) * np.ones(xs.size)[None, :]
    p = _params(duration_s=3600)
    s = E.point_series(D, sample_city, [("home", 402720.0, 2855000.0, 0.5)], (402720.0, 2855400.0), p)
    t = s.time_s.to_numpy()
    expect = np.where(t >= 110.0, 2e-3 * (1 - np.exp(-0.5 / 3600 * (t - 100.0))), 0.0)
    assert s.indoor_kg_m3.to_numpy() == pytest.approx(expect, rel=1e-9, abs=1e-15)


def test_sheltering_against_a_passing_cloud_closed_form():
    """A cloud of C0 for T = 600 s: a building of λ = 0.5 /h peaks at C0 (1 − exp(−λT)) = 8.0 % of
    C0 when it has passed, then the indoor air decays as exp(−λ t) (the reason sheltering works for
    short releases and fails for long ones: T = 4 h reaches 86 %)."""
    dt = 10.0
    t = np.arange(0.0, 7200.0 + 1e-9, dt)
    lam = 0.5 / 3600.0
    for T in (600.0, 14400.0):
        cout = np.where((t >= 100.0) & (t < 100.0 + T), 1.0, 0.0)[:, None]
        cin = E.indoor_from_outdoor(cout, np.array([0.5]), dt)[:, 0]
        T_in = min(T, t[-1] - 100.0)
        assert cin.max() == pytest.approx(1.0 - np.exp(-lam * T_in), rel=1e-9)
    cout = np.where((t >= 100.0) & (t < 700.0), 1.0, 0.0)[:, None]
    cin = E.indoor_from_outdoor(cout, np.array([0.5]), dt)[:, 0]
    k = np.searchsorted(t, 700.0)
    assert cin[-1] == pytest.approx(cin[k] * np.exp(-lam * (t[-1] - t[k])), rel=1e-9)


def test_indoor_time_above_a_level_follows_the_closed_form():
    """One-box air, λ = 0.5 /h, clean at t0 = 0. Outdoor C = 1 from 600 s to 4200 s, then 0.
    Indoors rises as 1 − e^(−λ(t − 600)) and crosses L = 0.3 at 600 + ln(1/0.7)/λ = 3168.0 s;
    at 4200 s it is c1 = 1 − e^(−0.5) = 0.3935 and falls as c1 e^(−λ(t − 4200)), below L after
    ln(c1/L)/λ = 1953.1 s more: 3032.0 + 1953.1 s above in all. A point whose air changes are 0
    stays at its start; a level above the outdoor peak is never reached; the window cuts the count;
    a flag held over [2000, 3600) s adds only its seconds before 3168 s."""
    lam = 0.5 / 3600.0
    times = np.array([600.0, 4200.0])
    frames = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    c0 = np.array([0.0, 0.0, 0.5, 0.0])
    ach = np.array([0.5, 0.5, 0.0, 0.5])
    lev = np.array([0.3, 0.3, 0.3, 1.5])
    out = np.array([E.indoor_seconds_at_or_above(c0, frames, times, ach, L, 0.0, 20000.0)[i]
                    for i, L in enumerate(lev)])
    c1 = 1.0 - math.exp(-0.5)
    up = 600.0 + math.log(1.0 / 0.7) / lam
    want = 4200.0 - up + math.log(c1 / 0.3) / lam
    assert out[0] == pytest.approx(want, rel=1e-9)
    assert out[2] == pytest.approx(20000.0, rel=1e-12)  # no air changes: 0.5 held indoors throughout
    assert out[3] == 0.0
    # a window from 3600 s, starting from the indoor air then (the count is the rest of the above)
    c_3600 = 1.0 - math.exp(-lam * 3000.0)
    part = E.indoor_seconds_at_or_above(np.array([c_3600]), frames[:, :1], times, 0.5, 0.3, 3600.0, 5000.0)
    assert part[0] == pytest.approx(5000.0 - 3600.0, rel=1e-9)  # above from 3168 s, still at 5000 s
    # with a second hazard flagged over [2000, 3600) s (a flood): the union counts each second once
    flags = (np.array([2000.0, 3600.0]), np.array([[True], [False]]))
    both = E.indoor_seconds_at_or_above(c0[:1], frames[:, :1], times, 0.5, 0.3, 0.0, 20000.0, or_flags=flags)
    assert both[0] == pytest.approx(want + (up - 2000.0), rel=1e-9)
    # and it agrees with fine steps of the one-box model (trapezoid of the indicator, 1-s steps)
    t = np.arange(0.0, 20000.0, 1.0)
    cout = np.where((t >= 600.0) & (t < 4200.0), 1.0, 0.0)[:, None]
    cin = E.indoor_from_outdoor(cout, np.array([0.5]), 1.0)[:, 0]
    assert float((cin >= 0.3).sum()) == pytest.approx(want, abs=2.0)


def test_seconds_held_counts_frames_inside_the_window():
    """Frames at 0, 600 and 1200 s (the last holding to the window's end): a column true in the
    first and last frames, seen from 300 s to 2000 s, holds 300 + 800 s."""
    from sim.drill.hazards import seconds_held

    flags = np.array([[True, False], [False, False], [True, True]])
    got = seconds_held(flags, np.array([0.0, 600.0, 1200.0]), 300.0, 2000.0)
    assert got.tolist() == [1100.0, 800.0]
    assert seconds_held(flags, np.array([0.0, 600.0, 1200.0]), 2500.0, 2000.0).tolist() == [0.0, 0.0]


def test_protective_series_per_building_use_follow_the_closed_form(sample_city):
    """A cloud of C0 = 1 for 600 s over two buildings: the home (default 0.5 air changes/h) peaks
    indoors at 1 − exp(−0.5 × 600/3600) = 0.080, the shop given 2 /h by use at 1 − exp(−2 × 600/3600)
    = 0.283; the cloud has passed by the run's end, so the series is complete."""
    class D:
        @staticmethod
        def unit_fn(xs, ys, za, zf, t):
            return np.where(t[:, None] < 600.0, 1.0, 0.0) * np.ones(xs.size)[None, :]

    p = _params(duration_s=3600, evacuation={"shelter_air_changes_by_use": {"commercial": 2.0}})
    ex = gpd.GeoDataFrame({"building_id": [1, 2], "use": ["residential", "commercial"], "height_m": [9.0, 9.0],
                           "name": ["", ""], "population": [10.0, 20.0], "zone": ["orange", "orange"]},
                          geometry=[Point(402700.0 + 60 * i, 2855000.0).buffer(8) for i in range(2)], crs=CRS_)
    pa = E.protective_actions(D, sample_city, ex, (402720.0, 2855400.0), {"red": 5.0, "orange": 0.5, "yellow": 0.05}, p)
    assert pa.indoor_peak_kg_m3.to_numpy() == pytest.approx([1 - np.exp(-0.5 / 6), 1 - np.exp(-2.0 / 6)], rel=1e-9)
    assert list(pa.cloud_arrival_s) == [0.0, 0.0] and pa.attrs["complete"]
    assert list(pa.flag) == ["", ""]  # indoors below orange (0.5): sheltering works for a 10-min cloud


def test_protective_action_rule_on_four_buildings():
    """Red zone, cloud (orange level) at 5 min, before the 20-min mean departure, indoors below
    orange: evacuate, cloud first (4.8 % gone by then: 1 − exp(−π/4 (5/20)²)); red, cloud at 30 min:
    evacuate (82.9 % gone); orange, indoor peak above orange: shelter, flagged; yellow, indoors
    below: shelter. Arrival = the first sample at the orange level (the yellow level in the
    yellow zone)."""
    from sim.hazmat import protective as P

    thr = {"red": 10.0, "orange": 2.0, "yellow": 0.5}
    ex = gpd.GeoDataFrame({"building_id": [1, 2, 3, 4, 5], "use": ["home"] * 5, "height_m": [9.0] * 5,
                           "name": [""] * 5, "population": [100.0, 50.0, 30.0, 20.0, 7.0],
                           "zone": ["red", "red", "orange", "yellow", ""]},
                          geometry=[Point(i * 100.0, 0.0).buffer(5) for i in range(5)], crs=CRS_)
    t = np.arange(0.0, 3600.0 + 1e-9, 60.0)
    cout = np.zeros((t.size, 4))
    cout[t >= 300.0, 0] = 20.0
    cout[t >= 1800.0, 1] = 12.0
    cout[t >= 600.0, 2] = 3.0
    cout[t >= 600.0, 3] = 0.6
    cin = np.column_stack([cout[:, 0] * 0.05, cout[:, 1] * 0.2, np.where(t >= 900.0, 2.5, 0.0), cout[:, 3] * 0.3])
    pa = P.assess(ex, t, cout, cin, thr, ["red"], 1200.0)
    assert list(pa.building_id) == [1, 2, 3, 4]
    assert list(pa.cloud_arrival_s) == [300.0, 1800.0, 600.0, 600.0]
    assert list(pa.action) == ["evacuate", "evacuate", "shelter", "shelter"]
    assert list(pa.flag) == ["cloud_first", "", "indoor_orange", ""]
    assert list(pa.indoor_level) == ["yellow", "orange", "orange", ""]  # 1.0, 2.4, 2.5, 0.18
    gone = pa.left_before_cloud_share.to_numpy()
    assert gone[:2] == pytest.approx([1 - np.exp(-np.pi / 4 * 0.25 ** 2), 1 - np.exp(-np.pi / 4 * 1.5 ** 2)], rel=1e-12)
    assert np.isnan(gone[2:]).all()
    assert [P.category(a, f) for a, f in zip(pa.action, pa.flag)] == [
        "evacuate, cloud first: shelter until it passes", "evacuate", "shelter, indoors reaches orange", "shelter"]
    # the same first building, but indoors reaches orange too: neither option protects
    cin[:, 0] = cout[:, 0] * 0.2
    pa2 = P.assess(ex, t, cout, cin, thr, ["red"], 1200.0)
    assert pa2.flag.iloc[0] == "cloud_first_indoor_orange"
    sm = P.summary(pa, 0.5, 1200.0, "AEGL-2", True, 3600.0)
    assert (sm["evacuate_persons"], sm["evacuate_cloud_first_persons"], sm["evacuate_cloud_first_indoor_orange_or_red_persons"],
            sm["shelter_persons"], sm["shelter_indoor_below_orange_persons"], sm["shelter_indoor_orange_or_red_persons"]) == \
        (150.0, 100.0, 0.0, 50.0, 20.0, 30.0)
    assert sm["evacuees_still_home_when_cloud_arrives_persons"] == round(100 * (1 - gone[0]) + 50 * (1 - gone[1]))
    assert "lower bounds" not in sm["note"] and "lower bounds" in P.summary(pa, 0.5, 1200.0, "AEGL-2", False, 3600.0)["note"]


def _line_graph(cap_vph=1800.0, length_m=1000.0, speed_kph=36.0):
    g = nx.MultiDiGraph(crs=CRS_)
    g.add_node(1, x=0.0, y=0.0)
    g.add_node(2, x=length_m, y=0.0)
    g.add_edge(1, 2, length_m=length_m, speed_kph=speed_kph, capacity_vph=cap_vph, lanes=1, name="a",
               highway="primary", geometry=LineString([(0, 0), (length_m, 0)]), travel_time_s=length_m / (speed_kph / 3.6))
    return g


def test_point_queue_clearance_matches_the_closed_form():
    """All vehicles leave at t≈0 onto one link of capacity c: the last one is served at
    N·3600/c and arrives a free-flow time later (Vickrey point queue)."""
    g = _line_graph()
    p = Evacuation(departure_mean_min=1e-6, group_vehicles=1)
    n = 300.0
    t, pcu, _ = imp._simulate_clearance(g, [(0, [1, 2], n)], p)
    assert pcu.sum() == pytest.approx(n)
    assert t.max() == pytest.approx(n * 3600 / 1800 + 100.0, abs=0.01)


def test_a_platoon_is_spread_by_its_tightest_link_only():
    """One group of N car units over two links in series, 3600 then 1200 veh/h, 100 s each:
    its last vehicle arrives N·3600/1200 after its first, which drove free (200 s); paying each
    link's service in turn (N·3600/3600 + N·3600/1200) would be the error this model avoids."""
    g = _line_graph(cap_vph=3600.0)
    g.add_node(3, x=2000.0, y=0.0)
    g.add_edge(2, 3, length_m=1000.0, speed_kph=36.0, capacity_vph=1200.0, lanes=1, name="b", highway="primary",
               geometry=LineString([(1000, 0), (2000, 0)]), travel_time_s=100.0)
    n = 40.0
    p = Evacuation(departure_mean_min=1e-6, group_vehicles=int(n))
    t, pcu, _ = imp._simulate_clearance(g, [(0, [1, 2, 3], n)], p)
    assert len(t) == 1 and pcu[0] == pytest.approx(n)
    assert t[0] == pytest.approx(200.0 + n * 3600 / 1200, abs=0.01)


def test_rayleigh_departures_have_the_requested_mean():
    assert imp.rayleigh_quantiles(20000, 1200.0).mean() == pytest.approx(1200.0, rel=1e-3)


def test_shelter_assignment_is_optimal_and_within_capacity():
    rng = np.random.default_rng(3)
    persons = rng.uniform(250, 400, 6)  # 1,500-2,400 persons for 1,200 places
    cap = np.array([500.0, 300.0, 400.0])
    cost = rng.uniform(100, 1000, (6, 3))
    x, unshel = imp.assign_to_shelters(persons, cap, cost)
    assert (x.sum(0) <= cap + 1e-6).all()
    assert (x.sum(1) <= persons + 1e-6).all() and (x >= -1e-9).all()
    assert unshel == pytest.approx(persons.sum() - cap.sum(), abs=1e-6)  # demand exceeds capacity
    from scipy.optimize import linprog  # the same problem with every unit forced into a shelter
    served = x.sum(1)
    c = cost.ravel()
    a_eq = np.kron(np.eye(6), np.ones(3))
    a_ub = np.kron(np.ones(6), np.eye(3))
    ref = linprog(c, A_ub=a_ub, b_ub=cap, A_eq=a_eq, b_eq=served, method="highs")
    assert (x * cost).sum() == pytest.approx(ref.fun, rel=1e-7)


def test_short_shelter_places_go_where_staying_costs_most_net_of_the_route():
    """100 places for two clusters of 100: with no cost of staying the cheaper route (10 s
    against 50 s) gets them; a cluster whose staying costs 100 s a person more takes them
    (100 − 50 > 0 − 10); one whose staying costs 30 s more does not (30 − 50 < −10)."""
    persons, cap, cost = np.array([100.0, 100.0]), np.array([100.0]), np.array([[50.0], [10.0]])
    for stay, placed in ((None, [0.0, 100.0]), ([100.0, 0.0], [100.0, 0.0]), ([30.0, 0.0], [0.0, 100.0])):
        x, unshel = imp.assign_to_shelters(persons, cap, cost, stay_cost=stay)
        assert x[:, 0] == pytest.approx(placed, abs=1e-6) and unshel == pytest.approx(100.0, abs=1e-6)
    with pytest.raises(ValueError, match="stay_cost"):
        imp.assign_to_shelters(persons, cap, cost, stay_cost=[-1.0, 0.0])
    # two reds and an orange, two one-place shelters: the second red fits only if the first moves to
    # the other shelter (route 100 s longer), so a tier must outweigh a chain of such moves
    # (m x the longest route + 1, as sim.hazmat.impacts.evacuate sets it), not just one route
    cost = np.array([[100.0, np.inf], [0.0, 100.0], [np.inf, 0.0]])
    for tier, reds in ((101.0, 1.0), (201.0, 2.0)):
        x, _ = imp.assign_to_shelters(np.ones(3), np.ones(2), cost, stay_cost=np.array([tier, tier, 0.0]))
        assert x[:2].sum() == pytest.approx(reds, abs=1e-6)


def test_hazmat_evacuation_shelters_the_red_zone_first(sample_city):
    """Two clusters of 300 persons, red farther from the only shelter (150 places) than yellow:
    the red cluster gets all 150 places, the yellow one none."""
    g = nx.MultiDiGraph(crs=CRS_)
    xs = [0.0, 1000.0, 3000.0]
    for i, x in enumerate(xs):
        g.add_node(i, x=402000.0 + x, y=2855000.0)
    for u, v in ((0, 1), (1, 2)):
        length = xs[v] - xs[u]
        for a, b in ((u, v), (v, u)):
            g.add_edge(a, b, length_m=length, speed_kph=36.0, capacity_vph=1800.0, lanes=1, name="",
                       highway="primary", travel_time_s=length / 10.0,
                       geometry=LineString([(402000.0 + xs[a], 2855000.0), (402000.0 + xs[b], 2855000.0)]))

    class C:
        roads, crs = g, CRS_
        places = gpd.GeoDataFrame({"name": ["S"], "kind": ["shelter"], "attrs": [{"capacity_persons": 150}]},
                                  geometry=[Point(402000.0, 2855000.0)], crs=CRS_)

    ex = gpd.GeoDataFrame({"population": [300.0, 300.0], "zone": ["red", "yellow"]},
                          geometry=[Point(402000.0 + 3000.0, 2855000.0).buffer(5),
                                    Point(402000.0 + 1000.0, 2855000.0).buffer(5)], crs=CRS_)
    zones = gpd.GeoDataFrame({"zone": []}, geometry=[], crs=CRS_)
    ev = imp.evacuate(C, ex, zones, {}, Evacuation(zones=["red", "yellow"], cluster_m=200.0))
    got = ev.clusters.groupby("zone").persons.sum()
    assert got.get("red", 0.0) == pytest.approx(150.0, abs=1e-6) and got.get("yellow", 0.0) == 0.0
    assert ev.unsheltered_persons == pytest.approx(450.0, abs=1e-6)


def test_ensemble_without_spread_is_the_deterministic_plume():
    _, x, y = _plume_grid(res=20.0, n=100)
    z = np.zeros(x.size)
    ens = Ensemble(members=8, wind_dir_sd_deg=0.0, wind_speed_sd_frac=0.0, stability_spread=0)
    mem = draw_members(3.0, 10.0, 270.0, "D", 0.03, False, 0.0, ens, h_mix_m=800.0)
    prob = exceedance_probability(x, y, z, (0.0, 0.0), 0.0, 1.0, SCHEME_PG_RURAL, mem, 2e-5)
    c = np.zeros(x.size)
    plume_conc(x, y, z, 0.0, 0.0, 0.0, 1.0, mem["u_m_s"][0], 270.0, SCHEME_PG_RURAL, np.array([3.0]), 800.0, c)
    assert set(np.unique(prob)) <= {0.0, 1.0}
    assert ((prob == 1.0) == (c > 2e-5)).all()


def test_ensemble_is_the_same_in_process_in_local_processes_and_on_dask():
    distributed = pytest.importorskip("distributed")
    _, x, y = _plume_grid(res=40.0, n=60)
    z = np.full(x.size, 1.5)
    ens = Ensemble(members=40, seed=7)
    mem = draw_members(3.0, 10.0, 270.0, "D", 0.03, False, 1.0, ens)
    args = (x, y, z, (0.0, 0.0), 1.0, 1.0, SCHEME_PG_RURAL, mem, 1e-5)
    ref = exceedance_probability(*args, block=7)
    assert 0 < ref.max() <= 1 and len(np.unique(ref)) > 5  # a spread of probabilities
    assert exceedance_probability(*args, block=7, workers=2) == pytest.approx(ref, abs=0)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as lc:
        assert exceedance_probability(*args, block=7, scheduler=lc.scheduler_address) == pytest.approx(ref, abs=0)


def test_chlorine_run_on_the_sample_city(sample_city):
    """The sample plant's chlorine tank: a dense release (BM criterion > 0.15), nested zones,
    people counted once, exactly the red-zone roads closed, shelters outside the zones, crews
    kept out of the red zone, mass released within the inventory, zones not cut at the run's end."""
    from twin.scenario import load_scenario
    from tests.conftest import ROOT

    sc, p = load_scenario(ROOT / "scenarios" / "hazmat_chlorine_leak.yaml")
    r = M.run(sample_city, p, start=sc.start)
    s = r.summary()
    assert s["model"].startswith("dense gas") and s["britter_mcquaid_criterion"] > 0.15
    assert s["weather"]["stability"] == "F"  # clear night, 2 m/s (Turner)
    reach = [s["zones"][k]["reach_m"] for k in ("red", "orange", "yellow") if k in s["zones"]]
    assert reach == sorted(reach) and reach[0] > 500
    total = float(np.nansum(sample_city.buildings.population))
    assert sum(z["population"] for z in s["zones"].values()) <= total + 1e-6
    assert s["roads_closed"] > 0
    assert any(c["time_min"] is not None for c in s["crews"])
    assert s["source"]["released_in_run_kg"] <= 25000.0
    ev = s["evacuation"]
    assert ev["persons"] + ev["unsheltered_persons"] == pytest.approx(s["zones"]["red"]["population"], rel=1e-6)
    assert 0 < ev["clearance_50pct_min"] <= ev["clearance_90pct_min"] <= ev["clearance_100pct_min"]
    # closures are exactly the road edges that touch the red zone (shapely, edge by edge)
    red = r.zones.set_index("zone").geometry["red"]
    touching = {(u, v, k) for u, v, k, d in sample_city.roads.edges(keys=True, data=True)
                if d["geometry"].intersects(red)}
    assert set(zip(r.closed.u, r.closed.v, r.closed.key)) == touching
    # shelters in use lie outside every zone; crews never drive inside the red zone
    used = r.evacuation.shelters[r.evacuation.shelters.assigned_persons > 0]
    assert len(used) and not used.geometry.intersects(r.zones.union_all()).any()
    inner = red.buffer(-1.0)
    assert all(g.intersection(inner).length == 0 for g in r.crews[r.crews.reachable].geometry)
    # the zones are the footprint of the whole release, not cut where the cloud front stands when
    # the run ends (2 m/s x 3600 s = 7.2 km; before, orange stopped at 7.28 km); AEGL-2 of a 25 t
    # chlorine tank at night (F, 2 m/s) reaches beyond it, and the AEGL-1 zone beyond the largest
    # grid, which the run says (its only warnings: the wind is not calm), with the zones past
    # 10 km marked indicative, their travel time at the transport wind
    front_m = s["weather"]["transport_wind_m_s"] * p.duration_s
    assert s["zones"]["orange"]["reach_m"] > front_m + 2000.0
    assert all("grid" in w or "staging point" in w or "past the 10 km" in w for w in s["warnings"])
    far = [k for k, z in s["zones"].items() if z["reach_m"] > 10000.0]
    assert far and sum("past the 10 km" in w for w in s["warnings"]) == len(far)
    # crews stage crosswind here (no reachable road node upwind outside the red zone), and the run says so
    off = s["staging"]["off_upwind_deg"]
    assert (off > 60.0) == any("crews stage crosswind" in w for w in s["warnings"])
    # protective action: every populated building in a zone once; each flag agrees with its numbers
    pa, thr = r.protective, r.thresholds
    assert set(pa.building_id) == set(r.exposed.building_id[r.exposed.zone != ""])
    pr = s["protective_action"]
    assert pr["evacuate_persons"] + pr["shelter_persons"] == pytest.approx(
        sum(z["population"] for z in s["zones"].values()), rel=1e-9)
    assert pr["evacuate_persons"] == pytest.approx(s["zones"]["red"]["population"], rel=1e-9)
    cf = pa[pa.flag.str.startswith("cloud_first")]
    assert len(cf) and (cf.cloud_arrival_s < p.evacuation.departure_mean_min * 60).all()
    assert ((pa.flag.str.contains("indoor")) == ((pa.indoor_peak_kg_m3 >= thr["orange"])
                                                 & ((pa.action == "shelter") | pa.flag.str.startswith("cloud_first")))).all()
    assert (pa.indoor_peak_kg_m3 <= pa.outdoor_peak_kg_m3 + 1e-12).all()  # a box never exceeds what feeds it
    # the series ran on until the cloud had passed every building (past the 1-h run)
    assert pa.attrs["complete"] and pa.attrs["horizon_s"] > p.duration_s
    assert pr["series_until_s"] == pa.attrs["horizon_s"] and "lower bounds" not in pr["note"]


@pytest.mark.parametrize("change, words", [
    ({"weather": {"wind_speed_m_s": 0.0, "wind_from_deg": 0.0}}, "calm"),
    ({"release": {"chemical": "chlorin", "at": [402720.0, 2855400.0], "rate_kg_s": 1.0, "duration_s": 60}},
     "did you mean 'chlorine'"),
    ({"release": {"chemical": "chlorine", "at": [302720.0, 2855400.0], "rate_kg_s": 1.0, "duration_s": 60}},
     "outside the city extent"),
    ({"weather": {"wind_speed_m_s": 3.0, "wind_from_deg": 0.0, "stability": "G"}},
     "weather.stability 'G': expected one Pasquill class of A, B, C, D, E, F"),
    ({"release": {"chemical": "chlorine", "at": [402720.0, 2855400.0], "rate_kg_s": -1.0, "duration_s": 60}},
     "rate_kg_s must be > 0"),
])
def test_bad_input_is_named(sample_city, change, words):
    with pytest.raises((InputError, ValueError)) as e:
        p = _params(**change)
        M.run(sample_city, p)
    assert words in str(e.value)


def test_polygon_helpers_count_each_building_once():
    zones = gpd.GeoDataFrame({"zone": ["red", "orange"]}, geometry=[Polygon([(0, 0), (10, 0), (10, 10), (0, 10)]),
                                                                  Polygon([(0, 0), (30, 0), (30, 30), (0, 30)])], crs=CRS_)
    b = gpd.GeoSeries([Polygon([(1, 1), (2, 1), (2, 2)]), Polygon([(20, 20), (21, 20), (21, 21)]),
                       Polygon([(50, 50), (51, 50), (51, 51)])], crs=CRS_)
    from sim.hazmat.zones import in_zone
    assert list(in_zone(b, zones)) == ["red", "orange", ""]


def test_short_release_puffs_give_the_plume_dosage(sample_city):
    """A 30 s release is followed as puffs. Its time-integrated concentration at a receptor
    1.2 km downwind equals the steady plume's concentration times the duration (a Gaussian
    puff integrated over its passage gives the plume; Turner 1970 ch. 3), within 5 %, while its
    peak is well below the plume's (the 120 m cloud is shorter than its along-wind spread)."""
    p = _params(release={"chemical": "chlorine", "at": [402720.0, 2855400.0], "rate_kg_s": 1.0,
                         "duration_s": 30}, duration_s=1200)
    chem = M.get_chemical("chlorine")
    xy, tank, _ = M.locate_release(sample_city, p.release)
    met = M.resolve_met(sample_city, p.weather, xy, p.release.height_m, None)
    src = M.make_source(chem, p.release, tank, met, p.duration_s)
    scheme, sp, _ = M.sigma_scheme(p, met)
    grid = Fld.make_grid(sample_city, xy, p)
    disp = Dsp.disperse(grid, xy, p.release.height_m, src, chem, met, scheme, sp, p)
    assert disp.model == "Gaussian puffs (short release)"
    pt_x, pt_y = np.array([xy[0]]), np.array([xy[1] - 1200.0])
    t = np.arange(0.0, 1200.0, 10.0)
    c = disp.unit_fn(pt_x, pt_y, np.array([1.5]), np.array([1.5]), t)[:, 0]
    steady = np.zeros(1)
    plume_conc(pt_x, pt_y, np.array([1.5]), xy[0], xy[1], p.release.height_m, 1.0, met.u_release_m_s, 0.0,
               scheme, sp, met.h_mix_m, steady)
    assert c.sum() * 10.0 == pytest.approx(steady[0] * 30.0, rel=0.05)
    assert c.max() < 0.7 * steady[0]

