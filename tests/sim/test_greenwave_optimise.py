"""Delay-optimised timing (sim.greenwave.optimise): the PI counts every vehicle's delay, including the
wait of vehicles kept out; the search never returns a plan worse than its start, is reproducible, keeps
the cycle and minimum greens, and repairs a plan with no green band."""
from __future__ import annotations

import numpy as np
import pytest

from sim.greenwave.maxband import band_of, maxband
from sim.greenwave.optimise import Evaluator, eval_seeds, optimise_plan, performance_index
from sim.greenwave.plan import Corridor, Intersection, Phase, Plan, SignalTiming
from sim.greenwave.webster import min_greens_s
from twin.errors import InputError

V50 = 50.0 / 3.6
FAST = dict(seeds=(7, 8), eval_s=600.0, warmup_s=180.0, dt_s=1.0)


def _corridor(n: int = 4, spacing_m: float = 450.0, vol_vph: tuple[float, float] = (1000.0, 300.0),
              side_vph: float = 300.0) -> Corridor:
    pos = 250.0 + spacing_m * np.arange(n)
    its = [Intersection(node=i, name=f"X{i}", pos_m=float(p), x=float(p), y=0.0, lanes_out=2, lanes_in=2,
                        side_lanes=1, side_volume_vph=side_vph, turn_left=0.05, turn_right=0.05, side_to_main=0.5)
           for i, p in enumerate(pos)]
    return Corridor("test", "EPSG:3857", its, length_m=float(pos[-1] + 250.0), speed_kph=50.0,
                    volume_out_vph=vol_vph[0], volume_in_vph=vol_vph[1])


def _plan(c: Corridor, offsets_s, *, cycle_s: float = 75.0, main_s: float = 40.0) -> Plan:
    side_s = cycle_s - main_s - 10.0
    return Plan("start", [SignalTiming(cycle_s, float(o) % cycle_s, [Phase("main", main_s, 3.0, 2.0),
                                                                     Phase("side", side_s, 3.0, 2.0)])
                          for o in offsets_s])


def _bad_offsets(c: Corridor, cycle_s: float = 75.0) -> np.ndarray:
    """Each green starts 25 s after a vehicle from the previous signal's green start arrives: the
    out-direction green windows of three consecutive signals then have no common time."""
    t = (c.positions_m - c.positions_m[0]) / V50
    return t + 25.0 * np.arange(len(c))


def test_pi_counts_the_wait_of_vehicles_that_never_enter():
    """Side street never served (side phase of 0 s): after the warm-up fills the 100 m approach, no
    vehicle scheduled in the window enters, so its delay is the whole time since its scheduled
    departure, T - t_i (conservation of vehicle-time); the side delay of the PI is that sum."""
    c = _corridor(n=1, vol_vph=(0.0, 0.0), side_vph=600.0)
    p = Plan("no side", [SignalTiming(60.0, 0.0, [Phase("main", 55.0, 3.0, 2.0), Phase("side", 0.0, 0.0, 0.0)])])
    ev = Evaluator(c, seeds=(3,), eval_s=600.0, warmup_s=300.0, stop_penalty_s=0.0, dt_s=1.0)
    s = ev.sums(p)[0]
    dem = ev.demands[0]
    win = (dem.t_s >= 300.0) & (dem.t_s < 900.0)
    expected = float((900.0 - dem.t_s[win]).sum())
    assert s.n_veh == int(win.sum()) and s.n_unfinished == s.n_veh
    assert s.delay_side_veh_s == pytest.approx(expected, rel=1e-6)
    assert s.delay_main_veh_s == 0.0
    # Poisson arrivals over the window: E[sum (T - t)] = lambda T^2 / 2 (600 veh/h -> 30,000 veh s), 3 sd
    lam, t_w = 600.0 / 3600.0, 600.0
    assert abs(expected - lam * t_w ** 2 / 2) < 3 * np.sqrt(lam * t_w ** 3 / 3)


def test_stop_penalty_and_side_weight_enter_linearly():
    """PI = delay_main + w delay_side + K (stops_main + w stops_side): the PI at K = 20 s exceeds the PI at
    K = 0 by exactly 20 x stops/h, and the side weight scales the side part (same vehicles, same seeds)."""
    c = _corridor(n=2)
    p = _plan(c, [0.0, 0.0])
    base = performance_index(c, p, stop_penalty_s=0.0, side_weight=1.0, **FAST)
    k20 = performance_index(c, p, stop_penalty_s=20.0, side_weight=1.0, **FAST)
    w0 = performance_index(c, p, stop_penalty_s=0.0, side_weight=0.0, **FAST)
    stops_h = base["stops_main_h"] + base["stops_side_h"]
    assert stops_h > 0 and base["delay_side_veh_s_h"] > 0
    assert k20["pi_veh_s_h"] - base["pi_veh_s_h"] == pytest.approx(20.0 * stops_h, rel=1e-9)
    assert base["pi_veh_s_h"] - w0["pi_veh_s_h"] == pytest.approx(base["delay_side_veh_s_h"], rel=1e-9)


def test_through_weight_counts_the_end_to_end_trips_once_more():
    """through_weight w adds (w - 1) x (delay + K stops) of the vehicles that drive the whole corridor.
    With no turns and no side streets every corridor vehicle is such a trip (the part equals the whole);
    with turns and joiners it is a strict part of the corridor total."""
    from dataclasses import replace

    c = _corridor(n=3)
    p = _plan(c, [0.0, 0.0, 0.0])
    base = performance_index(c, p, stop_penalty_s=20.0, **FAST)
    w3 = performance_index(c, p, stop_penalty_s=20.0, through_weight=3.0, **FAST)
    part = base["delay_through_veh_s_h"] + 20.0 * base["stops_through_h"]
    assert 0 < base["delay_through_veh_s_h"] < base["delay_main_veh_s_h"]
    assert 0 < base["stops_through_h"] < base["stops_main_h"]
    assert w3["pi_veh_s_h"] - base["pi_veh_s_h"] == pytest.approx(2.0 * part, rel=1e-9)
    plain = replace(c, intersections=[replace(i, turn_left=0.0, turn_right=0.0, side_volume_vph=0.0)
                                      for i in c.intersections])
    only = performance_index(plain, p, stop_penalty_s=20.0, **FAST)
    assert only["delay_main_veh_s_h"] > 0
    assert only["delay_through_veh_s_h"] == pytest.approx(only["delay_main_veh_s_h"], rel=1e-12)
    assert only["stops_through_h"] == pytest.approx(only["stops_main_h"], rel=1e-12)
    with pytest.raises(InputError, match="through_weight"):
        performance_index(c, p, through_weight=0.5, **FAST)


def test_never_worse_than_start_and_pi_reproduces():
    """The returned plan's PI, re-evaluated on the same seeds, equals meta['pi_best'] (deterministic
    simulation) and is no larger than the start's PI (here a MAXBAND plan), re-evaluated independently."""
    c = _corridor()
    start = maxband(c, _plan(c, np.zeros(len(c))), cycle_range_s=(75.0, 75.0))
    opt = optimise_plan(c, start, iterations=6, **FAST)
    again = performance_index(c, opt, **FAST)["pi_veh_s_h"]
    start_pi = performance_index(c, start, **FAST)["pi_veh_s_h"]
    assert opt.meta["pi_start"] == pytest.approx(start_pi, rel=1e-12)
    assert again == pytest.approx(opt.meta["pi_best"], rel=1e-12)
    assert opt.meta["pi_best"] <= start_pi
    assert opt.meta["evaluations"] == 7  # the start + 6 candidates
    assert min(h["pi"] for h in opt.meta["history"]) == pytest.approx(opt.meta["pi_best"], rel=1e-12)


def test_same_seed_same_plan():
    c = _corridor(n=3)
    start = _plan(c, _bad_offsets(c))
    a = optimise_plan(c, start, iterations=10, seed=5, **FAST)
    b = optimise_plan(c, start, iterations=10, seed=5, **FAST)
    assert [t.offset_s for t in a.timings] == [t.offset_s for t in b.timings]
    assert [[p.green_s for p in t.phases] for t in a.timings] == [[p.green_s for p in t.phases] for t in b.timings]
    assert [h["move"] for h in a.meta["history"]] == [h["move"] for h in b.meta["history"]]


def test_cycle_and_minimum_greens_respected():
    """Cycle search from 64 s with 8 s steps may not go below cycle_min_s = 60 s; every green stays at or
    above its minimum (5 s, and the pedestrian crossing time 7 s + W / 1.2 m/s less the 5 s intergreen:
    the side phase crosses the 4 x 3.5 m main street -> 13.67 s); the phases still sum to the cycle."""
    c = _corridor(n=3)
    start = _plan(c, np.zeros(3), cycle_s=64.0, main_s=36.0)  # side green 18 s, 4.3 s above its minimum
    opt = optimise_plan(c, start, iterations=25, optimise_cycle=True, cycle_min_s=60.0, cycle_max_s=90.0,
                        split_step_s=4.0, cycle_step_s=8.0, seed=1, **FAST)
    tried = [h["move"] for h in opt.meta["history"]]
    assert any(m.startswith("split") for m in tried) and any(m.startswith("cycle") for m in tried)
    assert 60.0 <= opt.cycle_s <= 90.0
    for it, t in zip(c.intersections, opt.timings):
        mins = min_greens_s(it)
        assert mins["side"] == pytest.approx(7.0 + 14.0 / 1.2 - 5.0, abs=1e-9)
        for p in t.phases:
            assert p.green_s >= mins[p.name] - 1e-9
        assert sum(p.length_s for p in t.phases) == pytest.approx(t.cycle_s, abs=1e-6)
    with pytest.raises(InputError, match="cycle 64 s outside 70-150"):
        optimise_plan(c, start, iterations=1, cycle_min_s=70.0, **FAST)
    with pytest.raises(InputError, match="below its minimum"):
        optimise_plan(c, _plan(c, np.zeros(3), cycle_s=64.0, main_s=44.0), iterations=1, **FAST)


def test_repairs_a_plan_without_green_band():
    """Offsets with no out or in green band (band_of = 0 both ways at the speed limit): the search must
    win back at least half of the PI gap between that start and the MAXBAND plan of the same cycle and
    splits (an independent method, Little 1966), within 40 candidate plans."""
    c = _corridor()
    bad = _plan(c, _bad_offsets(c))
    assert band_of(bad, c, V50, V50) == (0.0, 0.0)
    good = maxband(c, bad, speed_kph=(50.0, 50.0), cycle_range_s=(75.0, 75.0))
    assert good.band_out_s > 20.0
    pi_good = performance_index(c, good, **FAST)["pi_veh_s_h"]
    opt = optimise_plan(c, bad, iterations=40, optimise_splits=False, **FAST)
    pi_bad, pi_opt = opt.meta["pi_start"], opt.meta["pi_best"]
    assert pi_good < 0.9 * pi_bad  # the bad offsets cost at least 10 % more than a band
    assert pi_opt <= pi_bad - 0.5 * (pi_bad - pi_good)
    assert sum(band_of(opt, c, V50, V50)) > 0.0


def test_eval_seeds_pi_is_the_mean_of_the_one_sample_pis():
    """``optimise.eval_seeds`` n evaluates every candidate on seeds 101..100+n (common random numbers);
    the PI over them is the mean of the n one-sample PIs (to 1e-9), so more samples only average."""
    c = _corridor(3)
    p = _plan(c, np.zeros(3))
    kw = dict(eval_s=600.0, warmup_s=180.0, dt_s=1.0)
    seeds = eval_seeds(3)
    assert seeds == (101, 102, 103)
    pooled = performance_index(c, p, seeds=seeds, **kw)["pi_veh_s_h"]
    each = [performance_index(c, p, seeds=(s,), **kw)["pi_veh_s_h"] for s in seeds]
    assert pooled == pytest.approx(float(np.mean(each)), rel=1e-9)
    assert np.ptp(each) > 0  # the samples differ: averaging them is what narrows the noise
    with pytest.raises(InputError, match="eval_seeds"):
        eval_seeds(0)


def test_multi_start_keeps_the_least_pi_of_its_climbs():
    """``starts`` k repeats the climb from the same start with move orders seed..seed+k-1 and keeps
    the least PI: exactly the best of the k single climbs (same plan PI to 1e-12), never worse than
    the first (which is the single-start result itself)."""
    c = _corridor(4)
    start = _plan(c, _bad_offsets(c))
    single = [optimise_plan(c, start, iterations=8, seed=4 + k, **FAST) for k in range(3)]
    multi = optimise_plan(c, start, iterations=8, seed=4, starts=3, **FAST)
    pis = [o.meta["pi_best"] for o in single]
    assert np.ptp(pis) > 0  # the orders end in different local optima, so there is something to choose
    assert multi.meta["pi_per_start"] == pytest.approx(pis, rel=1e-12)
    assert multi.meta["pi_best"] == pytest.approx(min(pis), rel=1e-12)
    assert multi.meta["evaluations"] == 1 + 3 * 8
    best = single[int(np.argmin(pis))]
    assert [t.offset_s for t in multi.timings] == pytest.approx([t.offset_s for t in best.timings], abs=1e-9)
    with pytest.raises(InputError, match="starts"):
        optimise_plan(c, start, iterations=1, starts=0, **FAST)
