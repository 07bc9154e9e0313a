"""Shuttle fleet what-if on the shipped National Day scenario (BENCHMARKS.md, "A limited fleet").

Runs ``scenarios/crowd_national_day.yaml`` through ``sim.crowd.run`` with the shuttle unlimited and
with ``shuttle.fleet_per_line`` = 6, 4, 3, 2, 1 buses, each on ``--seeds`` seeds (``params.seed``
0 .. n-1), and prints per fleet the mean (± standard error over the seeds) of the riders' mean wait
at the hub and at the spots' stops (``result.shuttle_summary``), the persons closed out
(``network.counters``), and seed 0's buses used on the busiest day (``shuttle.fleet.total``).
About 2.5 s per run.

``--clear-out MIN`` sets ``shuttle.clear_out_max_min`` (the limited fleet's clear-out after the last
departure ends that long after it; the riders left go by other means).

Usage: ``python benchmarks/crowd_fleet.py [--seeds 8] [--fleets 0 6 4 3 2 1] [--clear-out 60]``
(0 = unlimited).
"""
from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from sim.crowd import model as M
from sim.crowd.params import ShuttleSettings
from sim.crowd.result import shuttle_summary
from twin.city import load_city
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def whatif(city, params, fleet: int | None, seeds: int,
           clear_out_min: float | None = None) -> dict[str, tuple[float, float] | int]:
    """Means and standard errors over the seeds for one fleet size (None: unlimited) of the
    scenario ``params`` on ``city``."""
    rows, used = [], 0
    for seed in range(seeds):
        sh = ShuttleSettings(fleet_per_line=fleet, clear_out_max_min=clear_out_min) if fleet else None
        net = params.network.model_copy(update={"shuttle": sh})
        res = M.run(city, params.model_copy(update={"network": net, "seed": seed}))
        s = shuttle_summary(res.network)
        rows.append((s["mean_hub_wait_min"], s["mean_stop_wait_min"], res.network.counters["closed_out_persons"]))
        if seed == 0:
            used = int(s["fleet"]["total"])
    a = np.array(rows, float)
    se = a.std(axis=0, ddof=1) / np.sqrt(len(a)) if len(a) > 1 else np.full(3, np.nan)
    return {"hub_wait_min": (a[:, 0].mean(), se[0]), "stop_wait_min": (a[:, 1].mean(), se[1]),
            "closed_out": (a[:, 2].mean(), se[2]), "buses_used_seed0": used}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--fleets", type=int, nargs="+", default=[0, 6, 4, 3, 2, 1], help="buses per line, 0 = unlimited")
    ap.add_argument("--clear-out", type=float, default=None, help="shuttle.clear_out_max_min, minutes")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    city = load_city(ROOT / "data_samples" / "chenzhou")
    _, params = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    print(f"National Day, {a.seeds} seeds: mean ± s.e."
          + ("" if a.clear_out is None else f"; clear-out cut off {a.clear_out:g} min after the last departure"))
    print("buses/line  hub wait min     stop wait min    closed out        buses used (seed 0)")
    for f in a.fleets:
        r = whatif(city, params, f or None, a.seeds, a.clear_out)
        cell = lambda k, d: f"{r[k][0]:7.{d}f} ± {r[k][1]:<6.{d}f}"  # noqa: E731
        print(f"{'unlimited' if f == 0 else f:>10}  {cell('hub_wait_min', 2)}  {cell('stop_wait_min', 2)}  "
              f"{cell('closed_out', 0)}  {r['buses_used_seed0']}", flush=True)


if __name__ == "__main__":
    main()
