"""Signal control modes and events of the corridor micro-simulator: coordinated-actuated control
(limits: no side demand, saturating side demand), the plan as a state machine, max-pressure
(Varaiya 2013), cyclic max-pressure, emergency-vehicle pre-emption, smooth vs immediate plan transitions, and SUMO's
actuated programs side by side with ours."""
from __future__ import annotations

import numpy as np
import pytest

from sim.greenwave import control as ctl
from sim.greenwave import kernels as K
from sim.greenwave import microsim as ms
from sim.greenwave import sumo as gs
from sim.greenwave.plan import Corridor, Intersection, Phase, Plan, SignalTiming
from twin.errors import InputError

V60 = 60.0 / 3.6
SMALL = [0.0, 380.0, 690.0, 1220.0]
SIX = [0.0, 380.0, 690.0, 1220.0, 1580.0, 2010.0]


def _corridor(pos_m, *, lead_m=300.0, lanes=3, vol_vph=1200.0, side_vph=400.0, turn=0.1, side_to_main=0.5,
              side_lanes=1, vol_in_vph=None) -> Corridor:
    its = [Intersection(node=i, name=f"X{i}", pos_m=lead_m + p, x=lead_m + p, y=0.0, lanes_out=lanes, lanes_in=lanes,
                        side_lanes=side_lanes, side_volume_vph=side_vph, turn_left=turn, turn_right=turn,
                        side_to_main=side_to_main) for i, p in enumerate(pos_m)]
    return Corridor("test", "EPSG:3857", its, length_m=pos_m[-1] + 2 * lead_m, speed_kph=60.0,
                    volume_out_vph=vol_vph, volume_in_vph=vol_vph if vol_in_vph is None else vol_in_vph)


def _two_phase(c: Corridor, offsets_s, *, cycle_s=100.0, main_s=55.0) -> Plan:
    return Plan("p", [SignalTiming(cycle_s, float(o), [Phase("main", main_s, 3.0, 2.0),
                                                         Phase("side", cycle_s - main_s - 10.0, 3.0, 2.0)])
                      for o in offsets_s])


def _green(sig: np.ndarray, m: int) -> np.ndarray:
    return sig[..., m] == K.GREEN


# ----------------------------------------------------------------------------- actuated
def test_actuated_without_side_demand_never_serves_the_side():
    """No side call: the coordinated phase rests in green, so the main street gets the whole
    cycle (no phase change, hence no lost time) against g/C = 55/100 under the fixed plan."""
    c = _corridor(SMALL, side_vph=0.0)
    p = _two_phase(c, [0, 20, 40, 60])
    fixed = ms.simulate(c, p, duration_s=600, warmup_s=100, seed=1, record_signals=True)
    act = ms.simulate(c, p, duration_s=600, warmup_s=100, seed=1, control="actuated", record_signals=True)
    assert fixed.metrics["green_share_out"] == pytest.approx(0.55, abs=1e-9)
    assert act.metrics["green_share_out"] == 1.0 and act.metrics["green_share_in"] == 1.0
    assert act.metrics["green_share_side"] == 0.0
    assert _green(act.signals[200:], 0).all()  # at every signal once the side phase running at t = 0 ended
    # with the main street always green, through vehicles only stop behind turning vehicles (~0)
    assert act.metrics["stops_out_per_veh"] < 0.05 < fixed.metrics["stops_out_per_veh"]


def test_actuated_with_saturating_side_demand_is_the_fixed_plan():
    """A queue on every side approach calls the side phase at every yield point and keeps it
    extended to its force-off: the signal states are the fixed plan's at every step."""
    c = _corridor(SMALL, side_vph=4000.0)
    p = _two_phase(c, [0, 20, 40, 60])
    act = ms.simulate(c, p, duration_s=800, warmup_s=0, seed=2, control="actuated", record_signals=True)
    fixed = ctl.window_states(p.windows(), len(act.signals), 0.5)
    first = int(100.0 / 0.5)  # after the first cycle (the side queues build up from an empty start)
    assert np.array_equal(act.signals[first:], fixed[first:])


def test_actuated_serves_a_side_phase_whose_green_is_its_pedestrian_minimum():
    """A side green of exactly its pedestrians' minimum (19.5 s) after a main green ending off the
    step grid (70.5 s): the controller acts in the step the planned end falls in, not on it, and
    must still serve the side phase (it did not: the side street never got green). With
    a queue on every side approach the side share is the plan's 19.5 / 100 within one step a cycle."""
    c = _corridor(SMALL, side_vph=4000.0)
    ped = 7.0 + 6 * 3.5 / 1.2 - 5.0
    p = Plan("p", [SignalTiming(100.0, o, [Phase("main", 90.0 - ped, 3.0, 2.0), Phase("side", ped, 3.0, 2.0)])
                   for o in (0.3, 21.7, 40.45, 60.9)])
    act = ms.simulate(c, p, duration_s=1000, warmup_s=200, seed=2, dt_s=1.0, control="actuated", record_signals=True)
    assert act.metrics["green_share_side"] == pytest.approx(ped / 100.0, abs=0.01)


@pytest.mark.parametrize("phases", [
    [Phase("main_out", 10, 3, 2), Phase("main", 40, 3, 2), Phase("main_in", 12, 3, 2), Phase("side", 25, 3, 2)],
    [Phase("main", 50, 3, 2), Phase("left", 17, 3, 2), Phase("side", 25, 3, 2)],
    [Phase("main", 70.6, 3.1, 2.0), Phase("side", 19.4, 3.1, 2.0)],
    [Phase("side", 25.0, 3.0, 2.5), Phase("main", 59.5, 3.0, 2.0)],
])
def test_plan_state_machine_equals_the_windows(phases):
    """The controller in plan mode (what pre-emption runs on) reproduces ``Plan.windows()``
    exactly: lead-lag left turns (windows merged across phases), a protected-left phase, offsets,
    greens and clearances off the step grid (the clearance runs from the planned end, not from
    the step the controller acts on), the side phase first. (Each movement is served once a cycle:
    ``Plan.windows()`` holds one window per movement.)"""
    c = _corridor(SMALL, side_vph=300.0)
    cyc = sum(p.length_s for p in phases)
    p = Plan("l", [SignalTiming(cyc, o, phases) for o in (0.0, 37.3, 71.25, 104.9)])
    st = ms.init_state(c, p, total_s=700.0, seed=3)
    cc = ctl.make_controller(st, p, "plan", log_steps=1400)
    ctl.run_chunk_ctl(st, cc, 0.0, 700.0)
    assert np.array_equal(cc.sig_log, ctl.window_states(p.windows(), 1400, 0.5))


def test_actuated_side_phase_gaps_out_and_returns_the_time_to_the_main_street():
    """Light side demand: the side phase ends on a gap before its force-off, so the main street
    gets more than its planned share and the side less (and never more than planned)."""
    c = _corridor(SMALL, side_vph=200.0)
    p = _two_phase(c, [0, 20, 40, 60])
    act = ms.simulate(c, p, duration_s=1200, warmup_s=200, seed=4, control="actuated", record_signals=True)
    assert act.metrics["green_share_out"] > 0.55 + 0.05
    assert act.metrics["green_share_side"] < 0.35 - 0.05
    side_green = _green(act.signals[400:], 4)
    for i in range(len(c)):  # no side green longer than the planned 35 s
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], side_green[:, i].astype(int), [0]]))))[::2]
        assert runs.max() * 0.5 <= 35.0


def _green_runs_s(green: np.ndarray, dt_s: float = 0.5) -> np.ndarray:
    """Lengths (s) of the complete green runs of one signal (the runs cut by the record's ends left out)."""
    edges = np.flatnonzero(np.diff(green.astype(int)))
    starts = edges[np.diff(green.astype(int))[edges] == 1] + 1
    ends = edges[np.diff(green.astype(int))[edges] == -1] + 1
    ends = ends[ends > (starts[0] if starts.size else len(green))]
    k = min(starts.size, ends.size)
    return (ends[:k] - starts[:k]) * dt_s


@pytest.mark.parametrize("control", ["actuated", "max_pressure"])
def test_side_greens_keep_the_pedestrian_crossing_time(control):
    """Light side demand gaps the side phase out early, but never before the people crossing the
    six-lane main street are over: walk 7 s + 21 m / 1.2 m/s, less yellow and all-red (3 + 2 s) =
    19.5 s (``webster.min_greens_s``). Without ``ped_recall`` the same run ends side greens sooner,
    so the check bites."""
    c = _corridor(SMALL, side_vph=150.0)
    p = _two_phase(c, [0, 20, 40, 60])
    ped_min = 7.0 + 6 * 3.5 / 1.2 - 5.0
    short = {}
    for recall in (True, False):
        r = ms.simulate(c, p, duration_s=1500, warmup_s=200, seed=4, control=control, record_signals=True,
                        control_params={"ped_recall": recall})
        runs = np.concatenate([_green_runs_s(_green(r.signals[400:], 4)[:, i]) for i in range(len(c))])
        assert runs.size > 20
        short[recall] = float(runs.min())
    assert short[True] >= ped_min - 0.5  # one 0.5-s step
    assert short[False] < ped_min - 3.0


# ----------------------------------------------------------------------------- max-pressure
def _queues_then_max_pressure(n_main: int, n_side: int, lanes: int):
    """``n_main`` vehicles out on the main street and ``n_side`` on the north side approach wait
    at an all-red signal for 80 s, then max-pressure takes over."""
    c = _corridor([100.0], lanes=lanes, vol_vph=0.0, side_vph=0.0, turn=0.0, side_to_main=0.0)
    p = _two_phase(c, [0.0])
    t = np.concatenate([np.arange(n_main) * 0.5, np.arange(n_side) * 1.0])
    orig = np.array([0] * n_main + [K.ORIG_SIDE0] * n_side)
    dirs = np.array([0] * n_main + [-1] * n_side)
    dem = ms.Demand.from_lists(t, orig, dirs, [1] * (n_main + n_side))
    st = ms.init_state(c, p, total_s=300.0, seed=1, demand=dem, params=ms.Params(speed_factor_sd=0.0))
    red = p.windows()
    red[:, :, 2:] = 0.0
    ms.run_chunk(st, red, 0.0, 80.0)
    queued = st.arrays["vs"][:, K.S_V] < K.HALT_SPEED
    live = st.arrays["vi"][:, K.I_LOC]
    assert ((live == K.LOC_MAIN) & queued).sum() == n_main and ((live == K.LOC_SIDE) & queued).sum() == n_side
    cc = ctl.make_controller(st, p, "max_pressure", log_steps=600)
    ctl.run_chunk_ctl(st, cc, 80.0, 300.0)
    first = cc.sig_log[160:, 0]  # from t = 80 s
    served = "main" if first[0, 0] == K.GREEN else ("side" if first[0, 4] == K.GREEN else "none")
    return served, cc.sig_log[160:], ms.result(st)


@pytest.mark.parametrize("n_main,n_side,lanes,expect", [
    (12, 6, 1, "main"),  # pressure s x queue: 12 s > 6 s
    (5, 9, 1, "side"),  # 5 s < 9 s
    (8, 10, 2, "main"),  # two main lanes: 8 x 2 s > 10 s although the side queue is longer
])
def test_max_pressure_serves_the_largest_pressure_first(n_main, n_side, lanes, expect):
    """Varaiya (2013) MP controller: with empty downstream links the first phase served is the one of
    largest saturation flow x queue; the other follows once the first has cleared (everyone leaves)."""
    served, sig, r = _queues_then_max_pressure(n_main, n_side, lanes)
    assert served == expect
    other = 4 if expect == "main" else 0
    assert _green(sig, other).any()  # then the other approach is served
    assert r.metrics["n_out"] == n_main + n_side  # and every vehicle has left by 300 s


def test_max_pressure_keeps_queues_bounded_inside_the_capacity_region():
    """Demand inside the capacity region (Varaiya 2013: MP stabilises every such demand): throughput = demand and
    bounded queues; a fixed plan whose side green is too short for the same demand is not stable."""
    c = _corridor([100.0], lanes=1, vol_vph=700.0, vol_in_vph=0.0, side_vph=700.0, turn=0.0, side_to_main=0.0)
    mp = ms.simulate(c, _two_phase(c, [0.0]), duration_s=1800, warmup_s=300, seed=5, control="max_pressure")
    short = _two_phase(c, [0.0], main_s=80.0)  # side green 10 s of 100: capacity 2 x 1800 x 0.1 = 360 < 700 veh/h
    fx = ms.simulate(c, short, duration_s=1800, warmup_s=300, seed=5)
    for m, ok in ((mp.metrics, True), (fx.metrics, False)):
        stable = (abs(m["throughput_side_vph"] / 700.0 - 1.0) < 0.10 and abs(m["throughput_out_vph"] / 700.0 - 1.0) < 0.10
                  and max(m["max_queue_side_veh"]) < 12)
        assert stable == ok, m


# ----------------------------------------------------------------------------- cyclic max-pressure
def test_cyclic_split_moves_a_bounded_step_to_the_phase_of_largest_pressure():
    """One cycle's update by hand: C = 100 s, two phases with 3 + 2 s clearance, min greens 7.8 / 19.5 s,
    plan greens 55 / 35 s, step 2 s, at most 20 s from the plan, deadband 0.1.
    * side pressure clearly larger (900 against 300): the side takes 2 s (55 -> 53, 35 -> 37; the
      side phase then starts at 53 + 5 = 58 s);
    * a phase at its bound (main 35 = 55 - 20) gives nothing more;
    * pressures within the deadband (|900 - 850| <= 0.1 x 1750), or no readings: the split steps
      back toward the plan at half the step (49 -> 50, 41 -> 40; 54 -> 55, 36 -> 35)."""
    from sim.greenwave import ctl_kernels as CK

    def run(main_g, pacc_row):
        pf = np.zeros((1, 2, CK.N_PF))
        pf[0, 0] = (main_g, 3.0, 2.0, 0.0, 7.8, 55.0)
        pf[0, 1] = (90.0 - main_g, 3.0, 2.0, main_g + 5.0, 19.5, 35.0)
        pacc = np.array([pacc_row], float)
        CK.cyclic_split(0, np.array([[100.0, 0.0]]), np.array([2]), pf, pacc, 2.0, 20.0, 0.1)
        assert not pacc.any()  # cleared for the next cycle
        return pf[0, :, CK.PF_G].tolist(), pf[0, :, CK.PF_CUM].tolist()

    assert run(55.0, [300.0, 900.0, 100.0]) == ([53.0, 37.0], [0.0, 58.0])
    assert run(55.0, [900.0, -50.0, 100.0]) == ([57.0, 33.0], [0.0, 62.0])
    assert run(35.0, [-10.0, 40.0, 100.0]) == ([35.0, 55.0], [0.0, 40.0])  # at the 20-s bound
    assert run(49.0, [900.0, 850.0, 100.0]) == ([50.0, 40.0], [0.0, 55.0])
    assert run(54.0, [0.0, 0.0, 0.0]) == ([55.0, 35.0], [0.0, 60.0])


def test_cyclic_pressure_serves_demand_the_plan_cannot_and_keeps_the_cycle():
    """A single signal whose plan gives the side street 10 s of 100 (capacity 1800 x 0.1 = 180
    veh/h) against 700 veh/h, main street 700 veh/h: the fixed plan serves about half the side
    demand; cyclic max-pressure moves green to the side street cycle by cycle until both are served
    (throughput = demand within 10 %), while every main green still starts at the plan's offset
    (coordination kept), the greens of each cycle still add up to the plan's 90 s and no phase goes
    below its pedestrians' minimum (7 s walk + 7 m / 1.2 m/s - 5 s = 7.83 s)."""
    c = _corridor([100.0], lanes=1, vol_vph=700.0, vol_in_vph=0.0, side_vph=700.0, turn=0.0, side_to_main=0.0)
    p = _two_phase(c, [30.0], main_s=80.0)
    r = ms.simulate(c, p, duration_s=1800, warmup_s=1200, seed=5, control="cyclic_pressure", record_signals=True,
                    control_params={"cyc_step_s": 5.0, "cyc_max_shift_s": 60.0})
    fx = ms.simulate(c, p, duration_s=1800, warmup_s=1200, seed=5)
    m = r.metrics
    assert m["throughput_side_vph"] == pytest.approx(700.0, rel=0.10)
    assert m["throughput_out_vph"] == pytest.approx(700.0, rel=0.10)
    assert fx.metrics["throughput_side_vph"] < 0.6 * 700.0
    main, side = _green(r.signals, 0)[:, 0], _green(r.signals, 4)[:, 0]
    onsets_s = (np.flatnonzero(np.diff(main.astype(int)) == 1) + 1) * 0.5
    assert onsets_s.size >= 25
    assert np.allclose((onsets_s - 30.0) % 100.0, 0.0, atol=0.5)  # one step
    side_on = np.flatnonzero(np.diff(side.astype(int)) == 1) + 1
    side_off = np.flatnonzero(np.diff(side.astype(int)) == -1) + 1
    main_off = np.flatnonzero(np.diff(main.astype(int)) == -1) + 1
    cycles = []  # (main green, side green) of each complete cycle, s
    for a, b in zip(onsets_s[:-1], onsets_s[1:]):
        mo = main_off[(main_off * 0.5 > a) & (main_off * 0.5 < b)] * 0.5
        so = side_on[(side_on * 0.5 > a) & (side_on * 0.5 < b)] * 0.5
        sf = side_off[(side_off * 0.5 > a) & (side_off * 0.5 <= b)] * 0.5
        assert mo.size == so.size == sf.size == 1
        cycles.append((mo[0] - a, sf[0] - so[0]))
    g = np.array(cycles)
    assert np.allclose(g.sum(axis=1), 90.0, atol=1.0)  # one step at each end
    assert g.min() >= 7.0 + 7.0 / 1.2 - 5.0 - 0.5
    assert g[-5:, 1].mean() > 30.0  # from 10 s in the plan
    # by default no green leaves the plan's by more than 20 s: the side street stays at most 30 s
    r20 = ms.simulate(c, p, duration_s=1800, warmup_s=1200, seed=5, control="cyclic_pressure", record_signals=True,
                      control_params={"cyc_step_s": 5.0})
    side20 = _green(r20.signals, 4)[:, 0]
    runs20 = _green_runs_s(side20)
    assert runs20.max() <= 30.0 + 0.5 and np.median(runs20[-10:]) >= 30.0 - 0.5


# ----------------------------------------------------------------------------- emergency vehicle
@pytest.mark.parametrize("control", ["actuated", "max_pressure", "cyclic_pressure"])
def test_preemption_works_under_the_adaptive_modes(control):
    """In traffic (800 veh/h each way, 400 per cross street), under each adaptive mode, the
    pre-empting vehicle, sent at three times, never halts after the first signal and arrives
    sooner on average than the same vehicle without pre-emption (which halts at later signals on
    some of the runs; an adaptive controller sometimes gives it a clear run by chance). The first
    signal is 300 m (15 s) from where it enters, less than a side phase's pedestrian minimum plus
    clearance, so it may have to wait there once; the traffic does not make way for it, so its
    trip is 1.05-1.35 x the free one (length / (1.2 x limit) = 130.2 s)."""
    c = _corridor(SIX, vol_vph=800.0, side_vph=400.0)
    p = _two_phase(c, [50.0] * len(c), main_s=40.0)
    free = (c.length_m - 5.0) / (1.2 * V60)
    tt = {True: [], False: []}
    halts = {True: 0, False: 0}
    for t_s in (700.0, 900.0, 1100.0):
        for pre in (True, False):
            ev = ctl.EmergencyVehicle(direction="out", t_s=t_s, speed_factor=1.2, preempt=pre)
            r = ms.simulate(c, p, duration_s=1500, warmup_s=300, seed=1, emergency=ev, control=control,
                            record_trajectories=True)
            tr = r.trajectories
            x = tr[tr.vid == tr.vid.max()]  # the emergency vehicle is the last one added
            halts[pre] += int(((x.v_m_s <= 0.1) & (x.pos_m > c.positions_m[0])).sum())
            tt[pre].append(r.metrics["emergency_travel_time_s"])
            if pre:
                assert r.metrics["emergency_stops"] <= 1
                assert free <= r.metrics["emergency_travel_time_s"] < 1.35 * free
    assert halts[True] == 0 and halts[False] > 0
    assert np.mean(tt[True]) < np.mean(tt[False])


@pytest.mark.parametrize("direction", ["out", "in"])
def test_preemption_gives_the_emergency_vehicle_a_clear_run(direction):
    """Every signal shows red when the vehicle comes (main green 10 s of 100, offsets 50 s):
    without pre-emption it stops; with it, no stop and travel time = distance / (1.2 x limit)."""
    c = _corridor(SIX, vol_vph=0.0, side_vph=0.0)
    p = _two_phase(c, [50.0] * len(c), main_s=10.0)
    dist = c.length_m - 5.0  # inserted with its back at the start, arrives with its front at the end
    runs = {}
    for pre in (False, True):
        ev = ctl.EmergencyVehicle(direction=direction, t_s=0.0, speed_factor=1.2, preempt=pre)
        runs[pre] = ms.simulate(c, p, duration_s=500, warmup_s=0, seed=1, emergency=ev, record_signals=True,
                                params=ms.Params(speed_factor_sd=0.0))
    assert runs[False].metrics["emergency_stops"] >= 1
    m = runs[True].metrics
    assert m["emergency_stops"] == 0
    assert m["emergency_travel_time_s"] == pytest.approx(dist / (1.2 * V60), rel=0.05)
    # the signals return to the plan once it has passed: from two cycles after its arrival on
    # they are the plan's windows again
    t_back = m["emergency_travel_time_s"] + 200.0
    k = int(t_back / 0.5)
    assert np.array_equal(runs[True].signals[k:], ctl.window_states(p.windows(), len(runs[True].signals), 0.5)[k:])


def test_preemption_in_traffic_is_faster_and_the_rest_is_reported_without_it():
    """With traffic the pre-empted run is at least as fast; the emergency vehicle is not among
    the trips and its own metrics are reported."""
    c = _corridor(SMALL, vol_vph=1200.0, side_vph=400.0)
    p = _two_phase(c, [0, 20, 40, 60], main_s=30.0)
    out = {}
    for pre in (False, True):
        ev = ctl.EmergencyVehicle(direction="in", t_s=400.0, preempt=pre)
        out[pre] = ms.simulate(c, p, duration_s=600, warmup_s=200, seed=6, emergency=ev)
    base = ms.simulate(c, p, duration_s=600, warmup_s=200, seed=6)
    ev_vid = len(ms.make_demand(c, 800.0, 6))  # appended after the drawn vehicles
    for r in out.values():
        assert not (r.trips.vid == ev_vid).any()
        assert r.metrics["emergency_arrived"]
    assert out[True].metrics["emergency_travel_time_s"] <= out[False].metrics["emergency_travel_time_s"]
    assert out[True].metrics["emergency_stops"] <= out[False].metrics["emergency_stops"]
    # without pre-emption the vehicle only joins the traffic: the other vehicles' metrics match
    # the run without it within the noise of one more vehicle
    assert out[False].metrics["n_through_out"] == pytest.approx(base.metrics["n_through_out"], abs=3)


# ----------------------------------------------------------------------------- plan transitions
def test_smooth_transition_stops_fewer_vehicles_than_an_immediate_switch():
    """Switch at 900 s from an outbound wave (cycle 100 s) to an inbound wave (cycle 80 s):
    the smooth transition (cycles within +-20 %) stops fewer vehicles entering in the transition
    period than the immediate jump; afterwards the signals are exactly the new plan."""
    c = _corridor(SIX, vol_vph=900.0, side_vph=300.0)
    old = _two_phase(c, c.positions_m / V60, cycle_s=100.0, main_s=55.0)
    new = _two_phase(c, (c.length_m - c.positions_m) / V60, cycle_s=80.0, main_s=43.0)
    t_sw = 900.0
    stops = {}
    for method in ("smooth", "immediate"):
        sch = ctl.transition_windows(old, new, t_sw, method)
        s = []
        for seed in range(3):
            r = ms.simulate(c, old, duration_s=1500, warmup_s=300, seed=seed, schedule=sch,
                            record_signals=(seed == 0))
            tr = r.trips
            sel = (tr.kind == "end") & (tr.t_in_s >= t_sw - 100.0) & (tr.t_in_s < t_sw + 400.0)
            s.append(tr[sel].stops.mean())
            if seed == 0:
                k0, k1 = int(np.ceil(sch.done_s / 0.5)), int(np.floor(t_sw / 0.5))
                assert np.array_equal(r.signals[k0:], ctl.window_states(new.windows(), len(r.signals), 0.5)[k0:])
                assert np.array_equal(r.signals[:k1], ctl.window_states(old.windows(), k1, 0.5))
        stops[method] = float(np.mean(s))
        if method == "smooth":
            for i, cyc in enumerate(sch.cycles_s):
                assert all(abs(x / 80.0 - 1.0) <= 0.2 + 1e-9 for x in cyc)
                # the last transition cycle ends where a cycle of the new plan starts
                end = sch.switch_s[i] + sum(cyc)
                assert min((end - new.timings[i].offset_s) % 80.0, -(end - new.timings[i].offset_s) % 80.0) < 1e-6
            assert sch.done_s <= t_sw + 100.0 + 3 * 96.0
    assert stops["smooth"] < 0.9 * stops["immediate"], stops


def test_transition_cycles_closed_form():
    """Offset error e on cycle C: shortest way within +-20 %: one cycle of C + e (e <= 0.2 C) or
    e (e >= 0.8 C), two of (e + C) / 2 or (e + 2 C)/2, three of (e + 2C) / 3 at e = C/2."""
    assert ctl.transition_cycles(0.0, 80.0, 0.2) == []
    assert ctl.transition_cycles(10.0, 80.0, 0.2) == [90.0]
    assert ctl.transition_cycles(70.0, 80.0, 0.2) == [70.0]
    assert ctl.transition_cycles(25.0, 80.0, 0.2) == [92.5, 92.5]
    assert ctl.transition_cycles(40.0, 80.0, 0.2) == pytest.approx([200.0 / 3] * 3)


def test_transitions_keep_the_minimum_cycle_and_pedestrian_greens():
    """A 30 s offset change on a 60 s plan: without a floor the shortway runs three 50 s cycles;
    with the 60 s minimum cycle it runs the shortest sequence whose cycles are all >= 60 s and
    <= 72 s and that adds up to 30 s mod 60 (three 70 s cycles). A shortened cycle takes only green
    above each phase's minimum: 60 -> 55 s with minimum side green 19.5 s of a 25 s side green and a
    main green of 25 s (lost 10 s): the 5 s come from the 5.5 + 25 - m_main s of slack in proportion."""
    cyc = ctl.transition_cycles(30.0, 60.0, 0.2, min_cycle_s=60.0)
    assert cyc == pytest.approx([70.0, 70.0, 70.0])
    assert ctl.transition_cycles(30.0, 60.0, 0.2) == pytest.approx([50.0, 50.0, 50.0])  # the unfloored shortway
    t = SignalTiming(60.0, 0.0, [Phase("main", 25.0, 3.0, 2.0), Phase("side", 25.0, 3.0, 2.0)])
    mins = {"main": 13.7, "side": 19.5}
    sc = ctl._scaled(t, 55.0, 0.0, mins)
    g = {p.name: p.green_s for p in sc.phases}
    slack = (25.0 - 13.7) + (25.0 - 19.5)
    assert g["side"] == pytest.approx(19.5 + 5.5 * (slack - 5.0) / slack, abs=1e-9)
    assert g["main"] == pytest.approx(13.7 + 11.3 * (slack - 5.0) / slack, abs=1e-9)
    assert sum(p.length_s for p in sc.phases) == pytest.approx(55.0)
    # a whole switch: every transition cycle of every signal stays >= 60 s and every green >= its minimum
    c = _corridor([500.0, 900.0, 1400.0])
    old = _two_phase(c, [0.0, 0.0, 0.0], cycle_s=60.0, main_s=30.0)
    new = _two_phase(c, [30.0, 10.0, 50.0], cycle_s=60.0, main_s=30.0)
    sch = ctl.transition_windows(old, new, 100.0, "smooth", min_greens=[{"main": 13.7, "side": 19.5}] * 3,
                                 cycle_min_s=60.0)
    assert min(x for cy in sch.cycles_s for x in cy) >= 60.0 - 1e-9
    assert sch.windows[..., 0].min() >= 60.0 - 1e-9  # every window row's cycle
    assert sch.windows[:, :, 4, 2].min() >= 19.5 - 1e-9  # side green (movement 4, column 2 = green)


def test_a_switch_during_a_running_transition_waits_for_it():
    """Two switches 100 s apart on a 60 s plan: the second falls inside the first one's smooth
    transition. Every signal finishes that transition (no cycle cut short), then starts the second;
    every realised cycle of the schedule is >= 60 s and every switch reports when it is done."""
    c = _corridor([500.0, 900.0, 1400.0])
    p0 = _two_phase(c, [0.0, 0.0, 0.0], cycle_s=60.0, main_s=30.0)
    p1 = _two_phase(c, [30.0, 10.0, 50.0], cycle_s=60.0, main_s=30.0)
    p2 = _two_phase(c, [0.0, 40.0, 20.0], cycle_s=60.0, main_s=30.0)
    sch = ctl.chain_transitions([p0, p1, p2], [100.0, 200.0], "smooth", min_greens=[{"main": 13.7, "side": 19.5}] * 3,
                                cycle_min_s=60.0)
    assert len(sch.switch_done_s) == 2 and sch.switch_done_s[0] <= sch.switch_done_s[1]
    st = sch.start_steps(1.0)
    for i in range(3):  # realised cycle lengths: time between the starts of the window rows of signal i
        starts = [float(sch.starts_s[j]) for j in range(1, len(sch.starts_s))
                  if not np.array_equal(sch.windows[j, i], sch.windows[j - 1, i])]
        rows = [sch.windows[j, i, 0, 0] for j in range(1, len(sch.starts_s))
                if not np.array_equal(sch.windows[j, i], sch.windows[j - 1, i])]
        for (a, cyc), b in zip(zip(starts, rows), starts[1:]):
            if cyc != 60.0:  # a transition cycle runs whole before the next row begins
                assert b - a >= cyc - 1e-6, (i, a, b, cyc)
    assert min(x for cy in sch.cycles_s for x in cy) >= 60.0 - 1e-9
    assert len(st) == len(sch.starts_s)


# ----------------------------------------------------------------------------- SUMO
@pytest.mark.skipif(not gs.available(), reason="Eclipse SUMO not installed")
def test_sumo_actuated_program_matches_ours(tmp_path):
    """SUMO's coordinated actuated program written for the plan against our actuated control on
    the same network and vehicles: travel times within 8 %, side delay within 15 %; and both
    improve on the fixed plan the same way."""
    c = _corridor(SMALL, vol_vph=1200.0, side_vph=400.0, turn=0.05)
    p = _two_phase(c, c.positions_m / (50.0 / 3.6))
    res = {}
    for mode in ("fixed", "actuated"):
        f = gs.write_sumo(c, p, tmp_path / mode, duration_s=900, warmup_s=300, seed=11, dt_s=1.0, control=mode)
        res[mode] = (gs.run_sumo(f, use_libsumo=False),
                     ms.simulate(c, p, duration_s=900, warmup_s=300, seed=11, dt_s=1.0, control=mode).metrics)
    theirs, ours = res["actuated"]
    print({k: (ours[k], theirs[k]) for k in ("travel_time_out_s", "travel_time_in_s", "delay_side_s")})
    for d in ("out", "in"):
        assert ours[f"travel_time_{d}_s"] == pytest.approx(theirs[f"travel_time_{d}_s"], rel=0.08)
    assert ours["delay_side_s"] == pytest.approx(theirs["delay_side_s"], rel=0.15)
    for k in (0, 1):  # inbound (against the wave) gains from the early return in both simulators
        assert res["actuated"][k]["travel_time_in_s"] < 0.85 * res["fixed"][k]["travel_time_in_s"]


@pytest.mark.skipif(not gs.available(), reason="Eclipse SUMO not installed")
def test_sumo_max_pressure_matches_ours(tmp_path):
    """Max-pressure driven through TraCI in SUMO (the same rule, queues read from SUMO's vehicles)
    against ours on the same network and vehicles, mean of two seeds x 1800 s: corridor travel
    times within 5 % and side delay within 15 % (single 1800-s runs differ by up to 12 % on the
    side delay, sampling), and in both the side street waits far less than under the fixed plan
    (a queue-aware controller serves the side as soon as its pressure wins)."""
    c = _corridor(SMALL, vol_vph=1200.0, side_vph=400.0, turn=0.05)
    p = _two_phase(c, c.positions_m / (50.0 / 3.6))
    keys = ("travel_time_out_s", "travel_time_in_s", "delay_side_s")
    th, ou, fx = [], [], []
    for seed in (11, 12):
        f = gs.write_sumo(c, p, tmp_path / f"mp{seed}", duration_s=1800, warmup_s=300, seed=seed, dt_s=1.0,
                          control="max_pressure")
        th.append(gs.run_sumo(f))
        ou.append(ms.simulate(c, p, duration_s=1800, warmup_s=300, seed=seed, dt_s=1.0, control="max_pressure").metrics)
        fx.append(ms.simulate(c, p, duration_s=1800, warmup_s=300, seed=seed, dt_s=1.0).metrics)
    theirs, ours, fixed = ({k: float(np.mean([r[k] for r in rs])) for k in keys} for rs in (th, ou, fx))
    print({k: (ours[k], theirs[k], fixed[k]) for k in keys})
    for d in ("out", "in"):
        assert ours[f"travel_time_{d}_s"] == pytest.approx(theirs[f"travel_time_{d}_s"], rel=0.05)
    assert ours["delay_side_s"] == pytest.approx(theirs["delay_side_s"], rel=0.15)
    # the fixed plan in SUMO matches ours (test_short_run_matches_sumo); here ours stands for both
    assert ours["delay_side_s"] < 0.7 * fixed["delay_side_s"] and theirs["delay_side_s"] < 0.7 * fixed["delay_side_s"]


@pytest.mark.skipif(not gs.available(), reason="Eclipse SUMO not installed")
def test_sumo_cyclic_pressure_matches_ours(tmp_path):
    """Cyclic max-pressure driven through TraCI in SUMO (the same split function, pressures read
    from SUMO's vehicles) against ours, same network and vehicles, mean of two seeds x 1800 s:
    travel times within 5 %, side delay and stops within 15 % (the benchmark's agreement targets are
    10 % and 15 %)."""
    c = _corridor(SMALL, vol_vph=1200.0, side_vph=400.0, turn=0.05)
    p = _two_phase(c, c.positions_m / (50.0 / 3.6))
    keys = ("travel_time_out_s", "travel_time_in_s", "delay_side_s", "stops_out_per_veh", "stops_in_per_veh")
    th, ou = [], []
    for seed in (11, 12):
        f = gs.write_sumo(c, p, tmp_path / f"cyc{seed}", duration_s=1800, warmup_s=300, seed=seed, dt_s=1.0,
                          control="cyclic_pressure")
        th.append(gs.run_sumo(f))
        ou.append(ms.simulate(c, p, duration_s=1800, warmup_s=300, seed=seed, dt_s=1.0,
                              control="cyclic_pressure").metrics)
    theirs, ours = ({k: float(np.mean([r[k] for r in rs])) for k in keys} for rs in (th, ou))
    print({k: (ours[k], theirs[k]) for k in keys})
    for d in ("out", "in"):
        assert ours[f"travel_time_{d}_s"] == pytest.approx(theirs[f"travel_time_{d}_s"], rel=0.05)
        assert ours[f"stops_{d}_per_veh"] == pytest.approx(theirs[f"stops_{d}_per_veh"], rel=0.15)
    assert ours["delay_side_s"] == pytest.approx(theirs["delay_side_s"], rel=0.15)


# ----------------------------------------------------------------------------- input errors
def test_bad_control_input_is_rejected():
    c = _corridor(SMALL)
    p = _two_phase(c, [0, 0, 0, 0])
    with pytest.raises(InputError, match="control"):
        ms.simulate(c, p, duration_s=60, control="adaptive")
    with pytest.raises(InputError, match="control_params"):
        ms.simulate(c, p, duration_s=60, control="actuated", control_params={"gap_s": 3.0})
    with pytest.raises(InputError, match="emergency direction"):
        ms.simulate(c, p, duration_s=60, emergency=ctl.EmergencyVehicle(direction="north"))
    with pytest.raises(InputError, match="transition method"):
        ctl.transition_windows(p, p, 100.0, "fast")
    side_only = Plan("s", [SignalTiming(50.0, 0.0, [Phase("side", 45.0, 3.0, 2.0)])] * len(c))
    with pytest.raises(InputError, match="main-street phase"):
        ms.simulate(c, side_only, duration_s=60, control="actuated")
