"""Drill speed: resource matching at 200 x 50 and 1,000 x 200 (from benchmarks/drill_matching.py)
and a 6-hour drill on the sample city with its hazard results cached (target < 60 s).

The drill is ``scenarios/drill_plan_variants.yaml`` (two plan variants, rainstorm flooding, a
landslide, the chlorine release at 21:30). The first run computes the flood (memoised in the
process, as a drill re-run or a second plan would find it); the timed runs then repeat the whole
``sim.drill.run`` (the hazmat run and the landslide warning are recomputed each time; only the
flood is cached), REPEATS times, median reported, with the split prepare / plans and, per plan,
the matching rounds, routes and their mean cost.

Usage: ``python benchmarks/drill.py [--repeats 3] [--seeds 5] [--large-seeds 3] [--no-matching]``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]


def drill_bench(repeats: int) -> dict[str, float]:
    import sim.drill as D
    from twin.city import load_city
    from twin.scenario import load_scenario

    sc, p = load_scenario(ROOT / "scenarios" / "drill_plan_variants.yaml")
    city = load_city(sc.city)
    t0 = time.perf_counter()
    r = D.run(city, p, start=sc.start)
    first = time.perf_counter() - t0
    print(f"first run (computes the flood): {first:.1f} s  {r.timings_s}", flush=True)
    walls, prep, plans = [], [], []
    for k in range(repeats):
        t0 = time.perf_counter()
        r = D.run(city, p, start=sc.start)
        walls.append(time.perf_counter() - t0)
        prep.append(r.timings_s["prepare"])
        plans.append(r.timings_s["plans"])
        print(f"  repeat {k}: {walls[-1]:.2f} s (prepare {prep[-1]:.2f} s, plans {plans[-1]:.2f} s)", flush=True)
    t = r.tables
    routes = sum(len(run.trips) for run in r.runs)
    print(f"  {len(t['log'])} log lines, {len(t['tasks'])} dispatches, {len(t['matchings'])} matching rounds "
          f"(max {t['matchings'].solve_s.max() * 1000:.0f} ms), {routes} routes driven")
    return {"first_s": first, "median_s": float(np.median(walls)), "prepare_s": float(np.median(prep)),
            "plans_s": float(np.median(plans)), "routes": routes, "rounds": len(t["matchings"]),
            "max_round_s": float(t["matchings"].solve_s.max())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--large-seeds", type=int, default=3)
    ap.add_argument("--no-matching", action="store_true")
    a = ap.parse_args()
    if not a.no_matching:
        from drill_matching import bench
        from sim.drill.match_inputs import random_instance
        from sim.drill.matching import match
        from sim.drill.rules import load_rules

        res, incs, tt = random_instance(50, 10, seed=99)
        match(res, incs, tt, load_rules())  # warm-up
        for n_res, n_inc, seeds, reps in ((200, 50, a.seeds, 3), (1000, 200, a.large_seeds, 1)):
            print(f"matching {n_res} x {n_inc}:")
            m = bench(n_res, n_inc, seeds, reps)
            print(f"  median {m['median_s']:.2f} s, max {m['max_s']:.2f} s, improvement over greedy "
                  f"{m['improvement_pct']:.1f} %")
    print("6-hour drill, two plans:")
    d = drill_bench(a.repeats)
    print(f"\n| drill | first run (flood computed) | median, hazards cached | prepare | plans | matching rounds "
          f"(slowest) | routes |\n| --- | --- | --- | --- | --- | --- | --- |\n"
          f"| drill_plan_variants (6 h, 2 plans) | {d['first_s']:.1f} s | {d['median_s']:.1f} s | "
          f"{d['prepare_s']:.1f} s | {d['plans_s']:.1f} s | {d['rounds']} ({d['max_round_s'] * 1000:.0f} ms) | "
          f"{d['routes']} |")
    print(f"\n6-h drill with cached hazards < 60 s: {'met' if d['median_s'] < 60 else 'NOT met'} "
          f"(median {d['median_s']:.1f} s)")


if __name__ == "__main__":
    main()
