"""Wall time of the scenic-network simulation (sim/crowd/network.py) on a 7-day golden week.

Scenario: the sample city (data_samples/chenzhou), six scenic spots (all but the Xiangnan Folk
Museum), 1-7 October 2026. Arrivals: the holiday-aware forecast (sim/crowd/forecast.py, fitted
on the SYNTHETIC sample history) at 15 min, turned into first-spot demand
(``arrivals_from_forecast``) and scaled so that exactly 1,000,000 tourists arrive
(``arrival_process="even"``). Default configuration (``default_config``), groups of 20.

Prints the wall time of ``simulate_network`` (target < 60 s), the SimPy events per second,
groups, the per-spot summary, and with ``--convergence`` the results of one holiday day at group
sizes 40, 20, 10, 5, 2 on 60,000 tourists (peak occupancy, mean gate wait, entries, turned away), averaged over
seeds, to show the group granularity converging.

Usage: ``python benchmarks/crowd_network.py [--tourists 1000000] [--group 10] [--convergence]``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.crowd import forecast as F
from sim.crowd.calendar import HolidayCalendar
from sim.crowd.history import load_counts, load_weather
from sim.crowd.network import arrivals_from_forecast, default_config, simulate_network
from twin.city import load_city

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data_samples" / "chenzhou_crowd"
DROP = "Xiangnan Folk Museum"


def holiday_arrivals(city, tourists: float, start: str = "2026-10-01", end: str = "2026-10-07") -> pd.DataFrame:
    """15-min first-spot demand of six spots over the golden week, scaled to ``tourists``."""
    daily = load_counts(DATA / "history.csv", city)
    hourly = load_counts(DATA / "history_hourly_2026.csv", city)
    model = F.fit(daily, calendar=HolidayCalendar(), weather=load_weather(DATA / "weather.csv"),
                  profile_counts=hourly)
    fc = F.forecast(model, start, end, freq="15min")
    fc = fc[fc["spot"] != DROP]
    arr = arrivals_from_forecast(fc, default_config(city, arrivals=fc))
    return arr.assign(arrivals_persons=arr["arrivals_persons"] * tourists / arr["arrivals_persons"].sum())


def run(city, arr: pd.DataFrame, group: int, seed: int = 1, process: str = "even", dispatch: str = "when_full",
        **measures):
    cfg = default_config(city, arrivals=arr, group_persons=group, arrival_process=process,
                         shuttle={"dispatch": dispatch})
    return simulate_network(city, arr, cfg, seed=seed, measures=measures or None)


def convergence(city, arr: pd.DataFrame, sizes=(40, 20, 10, 5, 2), seeds=(1, 2, 3)) -> pd.DataFrame:
    """One holiday day (Oct 3) at group sizes ``sizes``: network-wide figures, mean over seeds."""
    day = arr[arr["time"].dt.day == 3]
    day = day.assign(arrivals_persons=day["arrivals_persons"] * 60_000 / day["arrivals_persons"].sum())
    rows = []
    for g in sizes:
        for s in seeds:
            r = run(city, day, g, seed=s)
            sm = r.summary()
            st = r.steps
            rows.append({"group_persons": g, "seed": s,
                         "peak_occ_sum_persons": float(sm["peak_occupancy_persons"].sum()),
                         "mean_gate_wait_min": float(np.nansum(st.gate_wait_min * st.gate_start_persons)
                                                     / st.gate_start_persons.sum()),
                         "max_gate_queue_persons": float(sm["max_gate_queue_persons"].max()),
                         "entries_persons": float(sm["entries_persons"].sum()),
                         "closed_out_persons": float(sm["closed_out_persons"].sum()),
                         "cpu_s": r.meta["cpu_s"]})
    df = pd.DataFrame(rows)
    return df.groupby("group_persons", sort=False).agg(["mean", "std"]).drop(columns="seed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tourists", type=float, default=1_000_000)
    ap.add_argument("--group", type=int, default=20)
    ap.add_argument("--convergence", action="store_true")
    ap.add_argument("--dispatch", choices=["when_full", "schedule"], default="when_full", help="shuttle dispatch")
    a = ap.parse_args()
    city = load_city(ROOT / "data_samples" / "chenzhou")
    t = time.perf_counter()
    arr = holiday_arrivals(city, a.tourists)
    print(f"forecast + scaling: {time.perf_counter() - t:.1f} s; {arr['spot'].nunique()} spots, "
          f"{arr['arrivals_persons'].sum():,.0f} tourists, {arr['time'].min()} .. {arr['time'].max()}")
    t = time.perf_counter()
    r = run(city, arr, a.group, dispatch=a.dispatch)
    wall = time.perf_counter() - t
    m, c = r.meta, r.counters
    print(f"simulate_network: {wall:.1f} s wall (target < 60 s), {m['cpu_s']:.1f} s CPU, SimPy loop "
          f"{m['sim_s']:.1f} s wall / {m['sim_cpu_s']:.1f} s CPU, {m['events']:,} events = "
          f"{m['events'] / m['sim_s']:,.0f} events/s wall ({m['events'] / m['sim_cpu_s']:,.0f} per CPU s), "
          f"{m['groups']:,} groups of {a.group}")
    print(f"arrived {c['arrived_persons']:,.0f} = departed {c['departed_persons']:,.0f} + present "
          f"{c['present_persons']:,.0f}; gate entries {c['gate_entries_persons']:,.0f}, diverted "
          f"{c['diverted_persons']:,.0f}, closed out {c['closed_out_persons']:,.0f}, alerts {len(r.alerts)}")
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.precision", 1):
        print(r.summary().drop(columns=["peak_time"]))
        if a.convergence:
            print("\nconvergence with group size (one holiday day, 60,000 tourists, mean and sd over 3 seeds):")
            print(convergence(city, arr))


if __name__ == "__main__":
    main()
