"""Time of the drill resource matching (sim/drill/matching.py): 200 resources x 50 incidents
(target < 1 s) and 1,000 x 200.

Instances come from :func:`sim.drill.match_inputs.random_instance`: a realistic mix of teams,
equipment, depot supplies and experts at random points of a 20 km square in 3 x 3
districts, incidents of all six types with mostly low grades, needs from the default rules
table, travel time = 1.3 x straight distance at 36 km/h with 15 % log-normal noise. Each
figure is the median wall time of :func:`match` (needs, greedy baseline, MILP, report) over
SEEDS different instances x REPEATS runs, after one warm-up call. Also printed: the median
MILP share, the largest relative gap, the median improvement of the objective over greedy
nearest-available dispatch and the unmet needs (MILP / greedy).

Usage: ``python benchmarks/drill_matching.py [--seeds 5] [--repeats 3] [--large-seeds 3]``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from sim.drill.match_inputs import random_instance
from sim.drill.matching import match
from sim.drill.rules import load_rules


def bench(n_res: int, n_inc: int, seeds: int, repeats: int) -> dict[str, float]:
    rules = load_rules()
    walls, milp, gaps, impr, unmet, g_unmet, n_needs = [], [], [], [], [], [], []
    for seed in range(seeds):
        res, incs, tt = random_instance(n_res, n_inc, seed=seed)
        for _ in range(repeats):
            t0 = time.perf_counter()
            m = match(res, incs, tt, rules)
            walls.append(time.perf_counter() - t0)
            milp.append(m.timings_s["milp"])
        gaps.append(m.mip_gap)
        impr.append(m.improvement_pct)
        unmet.append(len(m.unmet))
        g_unmet.append(len(m.greedy_unmet))
        n_needs.append(len(m.needs))
        print(f"  seed {seed}: {np.median(walls[-repeats:]):.3f} s, {m.status}, source {m.source}, "
              f"{m.n_variables} variables, gap {m.mip_gap:.1e}, improvement {m.improvement_pct:.1f} %, "
              f"unmet {len(m.unmet)}/{len(m.needs)} needs (greedy {len(m.greedy_unmet)})", flush=True)
    return {"median_s": float(np.median(walls)), "max_s": float(np.max(walls)), "milp_s": float(np.median(milp)),
            "max_gap": float(np.max(gaps)), "improvement_pct": float(np.median(impr)),
            "unmet": float(np.median(unmet)), "greedy_unmet": float(np.median(g_unmet)),
            "needs": float(np.median(n_needs))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--large-seeds", type=int, default=3)
    a = ap.parse_args()
    res, incs, tt = random_instance(50, 10, seed=99)
    match(res, incs, tt, load_rules())  # warm-up (imports, HiGHS load)
    rows = []
    for n_res, n_inc, seeds, reps in ((200, 50, a.seeds, a.repeats), (1000, 200, a.large_seeds, 1)):
        print(f"{n_res} resources x {n_inc} incidents:")
        r = bench(n_res, n_inc, seeds, reps)
        rows.append((n_res, n_inc, r))
    print("\n| resources x incidents | median | max | MILP part (median) | max gap | improvement over greedy "
          "(median) | unmet needs MILP / greedy (median of) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n_res, n_inc, r in rows:
        print(f"| {n_res} x {n_inc} | {r['median_s']:.2f} s | {r['max_s']:.2f} s | {r['milp_s']:.2f} s | "
              f"{r['max_gap']:.1e} | {r['improvement_pct']:.1f} % | {r['unmet']:.0f} / {r['greedy_unmet']:.0f} "
              f"(of {r['needs']:.0f}) |")
    target = rows[0][2]["median_s"]
    print(f"\n200 x 50 target < 1 s: {'met' if target < 1.0 else 'NOT met'} (median {target:.2f} s)")


if __name__ == "__main__":
    main()
