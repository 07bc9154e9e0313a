"""Permitted left turns that yield (sim.greenwave.permitted_left): capacity against closed forms,
and the kernel's cost.

    .venv/bin/python benchmarks/greenwave_permitted_left.py

1. Tanner / Troutbeck: one signal, all green, a saturated queue of turners in a 300 m bay and an
   oncoming stream of headways 2 s + exponential (seed 0) in one lane, no dawdling, 3,000 s at
   step 0.5 s; turns per hour in 200-2,900 s against c = q e^(-lam (t_c + dt/2 - 2)) /
   (1 - e^(-lam t_f)), lam = q / (1 - 2 q), t_c 4.5 s, t_f 2.5 s.
2. HCM: cycle 90 s, main green 45 s, Poisson oncoming traffic in two lanes with the default
   speed spread and dawdling, seeds 0 and 1, one hour; turns per hour in 270-3,510 s against
   ``webster.permitted_left_capacity_vph``.
3. Speed: Renmin Road at 2,600 / 2,400 veh/h (500 per cross street) under Webster's plan, 4,200 s
   at 0.5 s, three alternating runs without and with yielding: vehicle-updates/s in the kernel.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.greenwave import microsim as ms  # noqa: E402
from sim.greenwave.plan import Corridor, Intersection, Phase, Plan, SignalTiming  # noqa: E402
from sim.greenwave.webster import permitted_left_capacity_vph  # noqa: E402


def one_signal(lanes_in: int) -> Corridor:
    it = [Intersection(0, "X", 600.0, 600.0, 0.0, lanes_out=1, lanes_in=lanes_in, side_volume_vph=0.0,
                       turn_left=0.0, turn_right=0.0, bay_left_out_m=300.0, bay_right_out_m=0.0,
                       bay_left_in_m=0.0, bay_right_in_m=0.0)]
    return Corridor("lt", "EPSG:3857", it, 1200.0, 60.0, 0.0, 0.0)


def turns_per_h(c, plan, t_oncoming, speed_factor, T, window, params, dt_s) -> float:
    k, n = int(0.9 * T) if params.sigma == 0 else int(T / 2), len(t_oncoming)
    t_left = np.arange(k) * (1.0 if params.sigma == 0 else 2.0)
    dem = ms.Demand.from_lists(np.r_[t_left, t_oncoming], [0] * k + [1] * n, [0] * k + [1] * n, [0] * k + [1] * n,
                               left=[1] * k + [0] * n, speed_factor=np.r_[np.ones(k), speed_factor])
    r = ms.simulate(c, plan, duration_s=T, warmup_s=0, dt_s=dt_s, demand=dem, seed=1, params=params)
    lefts = r.trips.loc[r.trips.kind == "turn", "t_out_s"].to_numpy()
    a, b = window
    return ((lefts >= a) & (lefts < b)).sum() / (b - a) * 3600.0


def main() -> None:
    warnings.simplefilter("ignore")
    green = Plan("green", [SignalTiming(100.0, 0.0, [Phase("main", 100.0, 0.0, 0.0)])])
    print("1. bunched oncoming stream, one lane (Tanner / Troutbeck, t_c 4.5 s + dt/2, t_f 2.5 s)")
    for q_vph in (900.0, 1200.0):
        T, delta, dt = 3000.0, 2.0, 0.5
        q = q_vph / 3600.0
        lam = q / (1.0 - delta * q)
        onc = np.cumsum(delta + np.random.default_rng(0).exponential(1.0 / lam, int(q * T * 1.5) + 10))
        onc = onc[onc < T]
        ours = turns_per_h(one_signal(1), green, onc, np.ones(len(onc)), T, (200.0, T - 100.0),
                           ms.Params(sigma=0.0, speed_factor_sd=0.0), dt)
        tanner = q * np.exp(-lam * (4.5 + dt / 2 - delta)) / (1.0 - np.exp(-lam * 2.5)) * 3600.0
        print(f"  oncoming {q_vph:5.0f} veh/h: ours {ours:6.0f} veh/h, formula {tanner:6.0f} ({ours / tanner - 1:+.1%})")
    print("2. two-phase signal, Poisson oncoming in two lanes (HCM permitted-left capacity)")
    plan = Plan("p", [SignalTiming(90.0, 0.0, [Phase("main", 45.0, 3.0, 2.0), Phase("side", 35.0, 3.0, 2.0)])])
    for vo in (300.0, 600.0, 900.0, 1200.0):
        rates = []
        for seed in (0, 1):
            rng = np.random.default_rng(seed)
            onc = np.cumsum(rng.exponential(3600.0 / vo, int(vo * 1.3) + 10))
            onc = onc[onc < 3600.0]
            sf = np.clip(rng.normal(1.0, 0.1, len(onc)), 0.2, 2.0)
            rates.append(turns_per_h(one_signal(2), plan, onc, sf, 3600.0, (270.0, 3510.0), ms.Params(), 0.5))
        hcm = permitted_left_capacity_vph(vo, 2 * 1800.0, 45.0, 45.0, 90.0)
        print(f"  oncoming {vo:5.0f} veh/h: ours {np.mean(rates):6.0f} veh/h, HCM {hcm:6.0f} "
              f"({np.mean(rates) / hcm - 1:+.1%})")
    print("3. kernel speed, Renmin Road, Webster's plan (vehicle-updates/s)")
    from sim.greenwave.corridor import apply_edits, corridor_from_name
    from sim.greenwave.webster import webster_timing
    from twin.city import load_city

    city = load_city(ROOT / "data_samples" / "chenzhou")
    c = apply_edits(ms.padded(corridor_from_name(city.roads, "Renmin Road"), 100.0),
                    {"volume_out_vph": 2600, "volume_in_vph": 2400, "*": {"side_volume_vph": 500}})
    web = webster_timing(c)
    for _ in range(3):
        for gap in (0.0, 4.5):
            r = ms.simulate(c, web, duration_s=3600, warmup_s=600, seed=1, dt_s=0.5,
                            params=ms.Params(permitted_left_gap_s=gap))
            print(f"  gap {gap:3.1f} s: {r.metrics['vehicle_updates_per_s'] / 1e6:.2f} M/s")


if __name__ == "__main__":
    main()
