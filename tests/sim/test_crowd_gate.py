"""Gate-area scenario (sim/crowd/gate.py): the scenario plumbing around the validated pedestrian
model conserves persons, reproduces the model's own validated bottleneck flow, rejects bad
geometry by key, and hands the viewer density frames and animated pedestrians; the network
scenario's animated tourists follow the network's own road times."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from sim.crowd import gate as G
from sim.crowd import gate_area as GA
from tests.conftest import ROOT
from twin.errors import InputError
from twin.scenario import load_scenario

SPOT = "Yuxi Ancient Street"


def _params(**gate):
    """The shipped gate scenario with its gate block replaced by ``gate`` (given inflow)."""
    _, p = load_scenario(ROOT / "scenarios" / "crowd_gate_bottleneck.yaml")
    g = p.gate.model_copy(update={"from_forecast": False, **gate})
    return p.model_copy(update={"gate": g})


@pytest.fixture(scope="module")
def tiny(sample_city):
    """Two turnstile lanes with 3-s checks, 2 persons/s for 2 min (about 240 persons)."""
    from sim.crowd import run

    p = _params(persons_per_hour=7200.0, duration_min=2.0, lanes=2, check_time_s=3.0, plaza_depth_m=8.0,
                plaza_width_m=8.0, exit_length_m=5.0, frame_s=5.0, max_trips=100)
    return run(sample_city, p)


def test_tiny_gate_conserves_persons(tiny):
    r = tiny.run
    s = r.series
    assert 150 <= r.n_arrived <= 350  # Poisson(240)
    # every record: arrived = entered + waiting outside, entered = exited + inside (exact)
    assert (s.arrived == s.entered + s.waiting_outside).all()
    assert (s.entered == s.exited + s.inside).all()
    assert r.n_entered == r.n_exited + r.n_inside
    # the exit lies beyond the gates: whoever left passed a gate first; passed = exited + those
    # between gate and exit
    out = np.isfinite(r.exit_s)
    assert (r.gate[out] >= 0).all() and (r.gate_s[out] <= r.exit_s[out]).all()
    between = (r.gate >= 0) & ~out
    assert r.n_passed == r.n_exited + int(between.sum())
    # N_arrivals(t) - N_gate(t) is the queue; the last record agrees with the per-person counts
    assert s.queue.iloc[-1] == r.n_arrived - r.n_passed
    # the saturated queue builds: 2 lanes at <= 1/3 person/s each cannot serve 2 persons/s
    assert s.queue.iloc[-1] >= r.n_arrived - 2 * r.duration_s / 3.0
    # with checks the queue stands with the default standing gap: nearest neighbours at the single-file jam
    # spacing 2 r + g + D ln a (tests/sim/test_crowd_peds.py, 0.692 m) within 5 % (in two
    # dimensions the repulsions of several neighbours balance a little closer), Fruin queuing LOS
    # D; the calibrated crowd alone (g = 0) stands at 0.367 m, LOS F
    c = G.P.CALIBRATED
    q = r.queue_stats(after_s=60.0)
    assert q["records"] > 1000 and r.queue_gap_m == G.QUEUE_GAP_M
    d_star = 2 * c.radius_m + G.QUEUE_GAP_M + c.d_neighbor_m * np.log(c.a_neighbor)
    assert q["spacing_median_m"] == pytest.approx(d_star, rel=0.05)
    assert q["fruin_queue_los"] == "D"
    # and nobody walks through a wall (recorded positions inside the walkable area)
    pos = r.positions
    assert shapely.contains_xy(r.area.walkable, pos.x.to_numpy(), pos.y.to_numpy()).all()


def test_cells_are_graded_on_the_scale_of_what_people_do():
    # Fruin (1971): 2.5 persons/m^2 (0.4 m^2 each) is queuing LOS D (3-7 ft^2, 0.28-0.65 m^2) for
    # people standing but walkway LOS F (< 5 ft^2, 0.46 m^2) for people walking; 0.5 /m^2 (2 m^2)
    # is walkway C (15-25 ft^2) and queuing A (>= 13 ft^2); an empty cell (no speed) is walkway A;
    # 5.5 /m^2 (0.18 m^2) is F on both; NaN density (off the area) is 255
    dens = np.array([2.5, 2.5, 0.5, 0.5, 0.0, 5.5, np.nan])
    spd = np.array([0.1, 1.0, 1.2, 0.1, np.nan, 0.05, np.nan])
    assert G.cell_los(dens, spd).tolist() == [3, 5, 2, 0, 0, 5, 255]


def test_check_lane_is_a_single_server(sample_city):
    # one lane, deterministic 4-s checks, saturated: a server cannot pass more than
    # 1/check_time persons/s; the run's cycle is the check plus at most one chunk (service
    # start and end fall on CHUNK_S boundaries) plus the step-up of the next person over the
    # check zone (CHECK_ZONE_MIN_M at the slowest desired speed, 0.5 m/s)
    area = GA.template_area(sample_city, SPOT, lanes=1, plaza_depth_m=6.0, plaza_width_m=6.0, exit_length_m=4.0)
    check = 4.0
    r = G.simulate_gate(area, G.arrival_times(1.0, 90.0, seed=1), duration_s=90.0, check_time_s=check,
                        check_cv=0.0, frame_s=5.0)
    t = np.sort(r.gate_s[r.gate == 0])
    assert t.size >= 15
    cycle = np.diff(t[2:])  # steady state after the first persons reach the lane
    assert cycle.min() >= check - 1e-6
    assert np.mean(cycle) <= check + G.CHUNK_S + GA.CHECK_ZONE_MIN_M / 0.5
    # over capacity (1 /s against 1/4.x /s): most arrivals are still queuing at the end; their waits
    # so far are reported beside the completed ones, and in a FIFO queue that keeps growing the
    # longest of them exceeds every completed wait
    still = r.still_waiting_s()
    arrived = int((r.arrival_s <= r.t_end_s).sum())
    assert still.size == arrived - t.size and still.size > 2 * t.size
    assert still.max() > r.waits_s().max()
    assert still.max() == pytest.approx(r.t_end_s - r.arrival_s[r.gate < 0].min(), abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_saturated_gate_flow_matches_validated_model(sample_city, seed):
    # A free 1.0 m gate (lanes: 1, no check, 0.4 m deep as peds_validation.bottleneck_room's door) fed at
    # 3 persons/s, above its capacity. The flow (N90 - N10)/(t90 - t10) must be the validated
    # model's: peds_validation.room_flow(bottleneck_room(1.0)) gives 2.256 (seed 0) and 2.222 (seed 1)
    # persons/s with peds.CALIBRATED, inside the measured spread 1.71-2.77 persons/s of the comparable rows of
    # bottleneck_flows.csv at 1.0 m (peds_validation.measured_flow_spread: 2006EG, 2006Kretz,
    # 2009Seyfried, 2010Daamen, Liddle; tests/sim/test_crowd_peds.py
    # test_flow_vs_width_within_measured_spread). Tolerance 10 % on the model value.
    area = GA.template_area(sample_city, SPOT, lanes=1, lane_width_m=1.0, lane_length_m=0.4, plaza_depth_m=8.0,
                           plaza_width_m=8.0, exit_length_m=4.0)
    # free passage (no check): by default no standing gap, the validated crowd streams through the
    # door at contact (with the ticket queue's 0.33 m gap the flow would be 1.59 persons/s, below
    # the measured spread)
    r = G.simulate_gate(area, G.arrival_times(3.0, 75.0, seed=seed), duration_s=75.0, seed=seed, frame_s=5.0)
    assert r.queue_gap_m == 0.0
    q = r.saturated_flow_per_s(0)
    assert r.n_passed >= 100
    assert q == pytest.approx(2.24, rel=0.10)
    assert 1.71 <= q <= 2.77


def test_bad_geometry_names_the_key(sample_city):
    sq = [[403000.0, 2853900.0], [403020.0, 2853900.0], [403020.0, 2853920.0], [403000.0, 2853920.0]]
    gate = [[403020.0, 2853905.0], [403020.0, 2853907.0]]
    entry = [[403000.0, 2853905.0], [403000.0, 2853915.0]]
    with pytest.warns(UserWarning, match=r"gate\.polygon overlaps 1 building\(s\)") as w:
        ok = GA.polygon_area(sample_city, SPOT, sq + [sq[0]], [gate], entry)
    # the room plus the 2 m x EXIT_POCKET_M exit pocket beyond the gate
    assert ok.walkable.area == pytest.approx(400.0 + 2.0 * GA.EXIT_POCKET_M)
    # a user's polygon is taken as drawn, and its overlap with the twin's footprints is measured and said
    fp = GA.obstacles_near(sample_city, ok.walkable)[0]
    assert ok.meta["obstacles_overlap_m2"] == pytest.approx(ok.walkable.intersection(fp).area, abs=0.01)
    assert f"{ok.meta['obstacles_overlap_m2']:.1f} m2" in str(w[0].message)
    with pytest.raises(InputError, match=r"gate\.polygon.*closed ring"):
        GA.polygon_area(sample_city, SPOT, sq, [gate], entry)
    bow = [sq[0], sq[2], sq[1], sq[3], sq[0]]  # self-intersecting
    with pytest.raises(InputError, match=r"gate\.polygon.*valid polygon"):
        GA.polygon_area(sample_city, SPOT, bow, [gate], entry)
    with pytest.raises(InputError, match=r"gate\.gates\[0\].*boundary"):
        GA.polygon_area(sample_city, SPOT, sq + [sq[0]], [[[403010.0, 2853905.0], [403010.0, 2853907.0]]], entry)
    with pytest.raises(InputError, match=r"gate\.entry.*boundary"):
        GA.polygon_area(sample_city, SPOT, sq + [sq[0]], [gate], [[403005.0, 2853905.0], [403005.0, 2853915.0]])
    with pytest.raises(InputError, match=r"gate\.spot 'Yuxi Ancient Stret'.*did you mean"):
        G.build_area(sample_city, _params(spot="Yuxi Ancient Stret", persons_per_hour=100.0).gate)


def test_polygon_gate_area_runs(sample_city):
    # a 20 m x 20 m room, entry on the west wall, two 1.2 m doors on the east wall: everybody
    # who left went through a door first, and the doors share the flow
    sq = [[403000.0, 2853900.0], [403020.0, 2853900.0], [403020.0, 2853920.0], [403000.0, 2853920.0]]
    gates = [[[403020.0, 2853903.0], [403020.0, 2853904.2]], [[403020.0, 2853915.0], [403020.0, 2853916.2]]]
    area = GA.polygon_area(sample_city, SPOT, sq + [sq[0]], gates, [[403000.0, 2853902.0], [403000.0, 2853918.0]])
    r = G.simulate_gate(area, G.arrival_times(1.0, 40.0, seed=2), duration_s=40.0, frame_s=5.0, until_empty=True,
                        max_extra_s=60.0)
    assert r.n_exited == r.n_arrived  # the room empties: clearance time is defined
    assert (r.gate[np.isfinite(r.exit_s)] >= 0).all()
    assert (r.gate_s[r.gate >= 0] < r.exit_s[r.gate >= 0]).all()
    assert min((r.gate == 0).sum(), (r.gate == 1).sum()) >= 0.25 * r.n_exited
    # the last arrival still has to cross the room: >= (20 m - entry inset - exit band) at the
    # fastest desired speed (2.2 m/s, CsmParams.v0_max_m_s)
    assert r.duration_s + r.clearance_s() >= r.arrival_s.max() + (20.0 - 0.26 - 0.1) / 2.2


def test_layers_density_frames_and_trips(tiny):
    r = tiny.run
    lays = {lay.id: lay for lay in tiny.layers()}
    dens = lays["density"]
    assert dens.kind == "image" and len(dens.frames) == len(r.frame_t_s)
    assert dens.times == list(r.frame_t_s)
    # window densities: the persons in the area integrate to the record counts (mean over the
    # window of the number inside = sum over cells of density x walkable area)
    k = 3
    inside = r.series[(r.series.t_s >= k * r.frame_s) & (r.series.t_s < (k + 1) * r.frame_s)].inside.mean()
    assert np.nansum(r.density_per_m2[k] * r.cell_area_m2) == pytest.approx(inside, rel=1e-9)
    trips = lays["pedestrians"]
    assert trips.kind == "trips" and 0 < len(trips.data) <= 100
    for tr in trips.data:
        ts = np.asarray(tr["timestamps"])
        assert len(ts) == len(tr["path"]) >= 2
        assert (np.diff(ts) > 0).all()
    assert {"walls", "gates", "los"} <= set(lays)
    l, b, rr, t = tiny.focus_bounds
    wl, wb, wr, wt = r.area.bounds
    assert l < wl and b < wb and rr > wr and t > wt and rr - l < 80.0  # opens on the gate area
    s = tiny.summary()
    assert s["persons"]["arrived"] == r.n_arrived and len(tiny.figures()) == 3


def test_network_tourist_trips_follow_network_drive_times(sample_city):
    # buses and groups of a network run redrawn on the roads: each bus trip lasts exactly the
    # network's hub <-> spot drive time (free-flow Dijkstra, NetworkResult.meta['drive_min']),
    # each group arrives at its spot when it joined the gate queue
    from types import SimpleNamespace

    import pandas as pd

    from sim.crowd.network import default_config, simulate_network
    from sim.crowd.result import BUS_RGBA, GROUP_RGBA, CrowdResult

    spots = ["Beihu Park", "Wanhua Rock Cave"]
    times = pd.date_range("2026-10-02 08:00", "2026-10-02 11:45", freq="15min")
    arr = pd.DataFrame([(t, s, 40.0) for t in times for s in spots], columns=["time", "spot", "arrivals_persons"])
    net = simulate_network(sample_city, arr, default_config(sample_city, spots=spots, arrivals=arr, group_persons=5))
    res = CrowdResult(city=sample_city, params=SimpleNamespace(seed=0), calendar=None, forecast=None, daily=None,
                      info={}, network=net)
    trips, slider, day = res._tourist_trips()
    assert day == "2026-10-02" and slider == sorted(slider)
    for tr in trips:
        assert (np.diff(tr["timestamps"]) >= 0).all() and len(tr["path"]) == len(tr["timestamps"])
    names = [s.name for s in net.config.spots]
    tt = net.meta["drive_min"]
    runs = net.shuttle_runs
    bus = [tr for tr in trips if tr["color"] == BUS_RGBA]
    groups = [tr for tr in trips if tr["color"] == GROUP_RGBA]
    assert bus and len(groups) == len(net.gate_waits)
    for tr in bus:
        t0 = tr["timestamps"][0]
        hit = runs[np.isclose([res._sec(t) for t in runs.time], t0)]  # buses of all lines leaving then
        minutes = [tt[0, names.index(sp) + 1] if d == "to_spot" else tt[names.index(sp) + 1, 0]
                   for sp, d in zip(hit.spot, hit.direction)]
        assert np.isclose(tr["timestamps"][-1] - t0, 60.0 * np.array(minutes), rtol=1e-9, atol=0).any()
    ends = np.sort([tr["timestamps"][-1] for tr in groups])
    assert np.allclose(ends, np.sort([res._sec(t) for t in net.gate_waits.time]), rtol=0, atol=1e-6)


# ------------------------------------------------------------------ the twin's buildings
CHENJIANG = "Chenjiang Riverside Park"


def _buildings_near(city, geom):
    b = city.buildings
    return shapely.union_all(b.geometry.values[b.sindex.query(geom.buffer(5.0), predicate="intersects")])


def test_template_keeps_out_of_buildings_at_chenjiang(sample_city):
    # The spot's nearest boundary point lies in a block of buildings: the template there put
    # 210 m2 of its 475 m2 inside two buildings and 34 of 36 simulated persons walked through
    # them (audit of issue 9, section 3.4). The automatic entrance now slides along the
    # boundary to clear ground and the buildings are cut out of the plaza.
    area = GA.template_area(sample_city, CHENJIANG, lanes=4)
    bu = _buildings_near(sample_city, area.walkable)
    assert not bu.is_empty  # buildings remain next to the area (it was cut, not moved away)
    assert bu.intersection(area.walkable).area < 1e-6
    assert len(area.gates) == 4 and area.meta["obstacles_cut_m2"] > 50.0
    # 1 min at 2000 persons/h with 7.5-s checks: nobody is ever inside a building
    r = G.simulate_gate(area, G.arrival_times(2000 / 3600, 60.0, seed=0), duration_s=60.0, check_time_s=7.5,
                        frame_s=10.0)
    pos = r.positions
    assert r.n_arrived >= 20 and r.n_passed >= 4
    assert not shapely.contains_xy(bu, pos.x.to_numpy(), pos.y.to_numpy()).any()
    assert shapely.contains_xy(area.walkable, pos.x.to_numpy(), pos.y.to_numpy()).all()


def test_gate_area_in_buildings_names_spot_overlap_and_keys(sample_city):
    # an entrance given at the blocked boundary point is not moved: one line naming the spot,
    # the overlap (2 buildings, 210.1 m2, as the audit measured) of the 474.9 m2 template
    # (20 x 20 m plaza + 4 lanes of 0.6 x 1.2 m + 6 x 12 m exit path) and the keys to change
    _, e, _ = GA.spot_entrance(sample_city, CHENJIANG)
    with pytest.raises(InputError) as ex:
        GA.template_area(sample_city, CHENJIANG, lanes=4, entrance_xy=(e.x, e.y))
    msg = str(ex.value)
    assert "\n" not in msg and f"{CHENJIANG!r}" in msg
    assert "overlaps 2 building(s) or water by 210.1 m2 of its 474.9 m2" in msg
    assert all(k in msg for k in ("gate.entrance_xy", "gate.approach_from", "gate.plaza_width_m", "gate.polygon"))


# ------------------------------------------------------------------ calendar of the gate run
def _sf27_params(tmp_path, table: bool):
    """A 15-s gate run on 8 Feb 2027 (Spring Festival, after chinesecalendar's last year)."""
    import datetime as dt

    rows = "".join(f"2027-02-{d:02d},spring_festival,day_off\n" for d in range(5, 14))
    p = tmp_path / "sf27.csv"
    p.write_text("date,holiday,status\n" + rows + "2027-01-31,spring_festival,makeup_workday\n"
                 "2027-02-14,spring_festival,makeup_workday\n", encoding="utf-8")
    base = _params(persons_per_hour=None, from_forecast=True, duration_min=0.25, lanes=2, plaza_depth_m=6.0,
                   plaza_width_m=6.0, exit_length_m=4.0, frame_s=5.0, max_trips=10)
    day = dt.date(2027, 2, 8)
    return base.model_copy(update={"start": day, "end": day, "holiday_table": p if table else None})


def test_gate_run_reads_a_holiday_table_and_marks_a_provisional_calendar(sample_city, tmp_path):
    from sim.crowd import run

    # the scenario's holiday_table used to crash the run (TypeError: a DataFrame where a path
    # was expected). The table gives Spring Festival 2027 exactly the days the derivation
    # places (5-13 Feb off, 31 Jan and 14 Feb worked), so the forecast inflow must be the same
    # to rounding; only the calendar's source and the provisional flag differ.
    tab = run(sample_city, _sf27_params(tmp_path, table=True))
    der = run(sample_city, _sf27_params(tmp_path, table=False))
    assert tab.info["persons_per_hour"] == pytest.approx(der.info["persons_per_hour"], rel=1e-9)
    assert (tab.info["calendar_source"], tab.info["provisional"]) == ("table", False)
    assert (der.info["calendar_source"], der.info["provisional"]) == ("provisional", True)
    # the flag reaches summary.json (metrics.inflow) and the tables gate.py hands to the writer
    assert der.summary()["inflow"]["provisional"] is True and tab.summary()["inflow"]["provisional"] is False
    r = der.run
    assert r.provisional is True and r.series["provisional"].all() and r.flows()["provisional"].all()
    assert "provisional" in r.warnings.columns and not tab.run.series["provisional"].any()


def _straight_path_run(city, rate_per_s, length_m=40.0, width_m=2.0, seed=1):
    a = GA.path_area(city, SPOT, [[403000.0, 2853960.0], [403000.0 + length_m, 2853960.0]], width_m)
    r = G.simulate_gate(a, G.arrival_times(rate_per_s, 120.0, seed=seed), duration_s=120.0, frame_s=10.0,
                        until_empty=True, max_extra_s=120.0)
    steady = r.series[(r.series.t_s >= 30.0) & (r.series.t_s < 120.0)]
    speed = float(np.mean(length_m / (r.gate_s - r.entry_s)[r.gate >= 0]))
    return a, r, steady, float(steady.inside.mean() / a.walkable.area), speed


def test_narrow_path_conserves_persons_and_walks_freely_when_sparse(sample_city):
    """A straight path 40 m x 2 m, 1.2 persons/s for 2 min, walked end to end: every arrival leaves
    through the far end; the mean number on the path is the arrival rate times the mean time on it
    (Little's law, 5 %); at its ~0.5 /m^2 people walk at nearly their desired speed: the mean speed
    is below the mean desired speed 1.34 m/s (Weidmann's, the model's v0) and above 94 % of it
    (144 persons with v0 sd 0.26: 1.7 % sd of the mean; measured corridors: 0.95 of the free speed
    at 0.5-1 /m^2, fundamental_diagram_uo.csv)."""
    a, r, steady, rho, v = _straight_path_run(sample_city, 1.2)
    assert a.walkable.area == pytest.approx(40.0 * 2.0 + 2.0 * GA.EXIT_POCKET_M, rel=1e-9)
    assert a.gate_names == ["path end"] and 0.3 < rho < 0.7
    assert r.n_exited == r.n_arrived == int((r.gate == 0).sum())
    assert steady.inside.mean() == pytest.approx(r.n_arrived / 120.0 * np.mean(r.exit_s - r.entry_s), rel=0.05)
    assert 0.94 * 1.34 <= v <= 1.34


def test_narrow_path_slows_with_density_as_measured_corridors_do(sample_city, shared_data):
    """At 2.6 persons/s into the 2 m path (~1.2 /m^2) the mean walking speed over the free speed is
    what the measured corridor experiments give at that density over theirs (UO series,
    free-exit runs, points within 0.2 /m^2 of the path's density over points below 0.5 /m^2;
    the measured walkers' free speed was ~1.47 m/s, the model's 1.34): within 0.06."""
    from sim.crowd.peds_validation import load_fd_measured

    _, r, _, rho, v = _straight_path_run(sample_city, 2.6)
    fd = load_fd_measured(shared_data / "pedestrian_experiments", free_exit_only=True)
    near = fd[(fd.density_per_m2 - rho).abs() < 0.2].speed_m_s
    free = fd[fd.density_per_m2 < 0.5].speed_m_s
    assert 1.0 < rho < 1.4 and len(near) >= 20
    assert v / 1.34 == pytest.approx(near.mean() / free.mean(), abs=0.06)
    assert v < 0.9 * 1.34  # and it did slow down


def test_path_round_a_bend_and_bad_paths(sample_city):
    """An L-shaped path (30 m + 30 m, 2 m wide, mitred bend): everybody walks round the bend and out,
    no faster than the inner edge (58 m) at the fastest desired speed."""
    bend = [[403000.0, 2853960.0], [403030.0, 2853960.0], [403030.0, 2853990.0]]
    a = GA.path_area(sample_city, SPOT, bend, 2.0)
    assert a.walkable.area == pytest.approx(60.0 * 2.0 + 2.0 * GA.EXIT_POCKET_M, rel=1e-9)
    r = G.simulate_gate(a, G.arrival_times(0.8, 30.0, seed=3), duration_s=30.0, frame_s=10.0, until_empty=True,
                        max_extra_s=90.0)
    assert r.n_exited == r.n_arrived == int((r.gate == 0).sum()) > 10
    assert (r.gate_s - r.entry_s).min() >= 58.0 / 2.2 - 1.0
    with pytest.raises(InputError, match=r"gate\.path_width_m 0\.5: expected 0\.8-30 m"):
        GA.path_area(sample_city, SPOT, bend, 0.5)
    with pytest.raises(InputError, match=r"gate\.path shape \(1, 2\)"):
        GA.path_area(sample_city, SPOT, bend[:1], 2.0)
    with pytest.raises(InputError, match=r"gate\.path: the bend at point 2 .* sharper than 60 degrees"):
        GA.path_area(sample_city, SPOT, [*bend, [403010.0, 2853950.0]], 2.0)
    zigzag = [[403000.0, 2853960.0], [403000.0, 2854000.0], [403002.0, 2854000.0], [403002.0, 2853970.0],
              [403025.0, 2853970.0]]  # legs 1 and 3 2 m apart: their 3 m bands would merge
    with pytest.raises(InputError, match=r"gate\.path: legs 1 and 3 come 2\.00 m apart, closer than the width 3 m"):
        GA.path_area(sample_city, SPOT, zigzag, 3.0)
    with pytest.raises(InputError, match=r"gate\.path: expected its first and last legs at least as long"):
        GA.path_area(sample_city, SPOT, [[403000.0, 2853960.0], [403000.0, 2853961.0], [403030.0, 2853961.0]], 3.0)
    with pytest.raises(InputError, match=r"gate\.path: expected at least two distinct points"):
        GA.path_area(sample_city, SPOT, [bend[0], bend[0]], 2.0)
    from sim.crowd.params import GateParams

    base = {"spot": SPOT, "persons_per_hour": 100.0, "path": bend}
    with pytest.raises(ValueError, match="path needs both"):
        GateParams.model_validate(base)
    with pytest.raises(ValueError, match="a path is its own area"):
        GateParams.model_validate({**base, "path_width_m": 2.0, "check_time_s": 5.0})
    area, lanes = G.build_area(sample_city, GateParams.model_validate({**base, "path_width_m": 2.0}))
    assert lanes is None and area.meta["path_length_m"] == 60.0


def test_two_way_path_carries_counterflow_close_to_one_way_speed(sample_city):
    """A straight path 40 m x 3 m, 3.3 persons/s for 2 min (~0.9 /m^2 on it), half of them at random
    arriving at the far end and walking back: everybody leaves by the end they walked to (the
    persons who came back cross the start line, none of them the far one); the streams' sizes are
    Binomial(n, 1/2) (3 sd); each stream walks at >= 90 % of the median speed of the same inflow
    walked one way (measured uni- and bidirectional corridor flows agree up to about 1 /m^2, Zhang
    et al. 2012, J. Stat. Mech. P02002: no gridlock where the streams meet); no 5-s window of a
    1 m cell reaches 4 /m^2 (the warning level)."""
    line = [[403000.0, 2853960.0], [403040.0, 2853960.0]]
    arr = G.arrival_times(3.3, 120.0, seed=1)

    def walk(two_way: bool):
        a = GA.path_area(sample_city, SPOT, line, 3.0, two_way=two_way)
        r = G.simulate_gate(a, arr, duration_s=120.0, seed=1, frame_s=5.0, until_empty=True, max_extra_s=120.0,
                            back_share=0.5 if two_way else 0.0)
        return a, r

    a1, one = walk(False)
    a2, two = walk(True)
    assert a2.gate_names == ["path end", "path start"] and a2.two_way and not a1.two_way
    assert a2.walkable.area == pytest.approx(40.0 * 3.0 + 2 * 3.0 * GA.EXIT_POCKET_M, rel=1e-9)
    d = two.destination
    n = two.n_arrived
    assert abs(int(d.sum()) - n / 2) <= 3 * np.sqrt(n) / 2
    assert two.n_exited == n and (two.gate == d).all()
    last = two.positions.groupby("id").x.last()
    assert (last[d[last.index] == 1] < 403000.5).all() and (last[d[last.index] == 0] > 403039.5).all()
    v1 = np.median(40.0 / (one.gate_s - one.entry_s))
    for k in (0, 1):
        v = np.median(40.0 / (two.gate_s - two.entry_s)[d == k])
        assert 0.9 * v1 <= v <= 1.34, (k, v, v1)
    assert np.nanmax(two.density_per_m2) < 4.0
    s = two.series
    assert (s.arrived == s.exited + s.inside + s.waiting_outside).all()


def test_two_way_path_scenario_reports_both_streams(sample_city, tmp_path):
    """The scenario key gate.path_back_share runs the path both ways: the summary counts the
    arrivals at each end, each end is a gate and an entry on the map, persons.csv says where each
    person came in; the key is refused without a path."""
    from sim.crowd import run
    from sim.crowd.params import GateParams

    p = _params(path=[[403000.0, 2853960.0], [403030.0, 2853960.0]], path_width_m=3.0, path_back_share=0.3,
                persons_per_hour=3600.0, duration_min=1.0, lanes=None, check_time_s=None, frame_s=5.0, max_trips=50)
    res = run(sample_city, p)
    s = res.summary()
    cf = s["counterflow"]
    assert cf["back_share"] == 0.3 and cf["arrived_at_start_persons"] + cf["arrived_at_end_persons"] == s["persons"]["arrived"]
    assert set(s["gates"]) == {"path end", "path start"}
    assert cf["arrived_at_end_persons"] > 0 and cf["arrived_at_start_persons"] > 0
    gates = next(la for la in res.layers() if la.id == "gates").data
    assert {"entry at the path start (arrivals)", "entry at the path end (arrivals)"} <= set(gates.gate)
    peds = next(la for la in res.layers() if la.id == "pedestrians")  # coloured by the end they came in at
    assert "colour = stream" in peds.title and len({tuple(t["color"]) for t in peds.data}) == 2
    res.save(tmp_path)
    persons = __import__("pandas").read_csv(tmp_path / "persons.csv")
    assert set(persons["from"]) == {"path start", "path end"} and len(persons) == s["persons"]["arrived"]
    assert (persons["from"] == "path end").sum() == cf["arrived_at_end_persons"]
    for gate, came_in in (("path start", "path end"), ("path end", "path start")):  # each leaves by the far end
        passed = persons[persons.gate == gate]
        assert len(passed) == s["gates"][gate]["passed_persons"] > 0 and (passed["from"] == came_in).all()
    with pytest.raises(ValueError, match="path_back_share needs a path"):
        GateParams.model_validate({"spot": SPOT, "persons_per_hour": 100.0, "path_back_share": 0.5})
