"""Crowd run on the twin: the holiday calendar, the arrivals (forecast by the holiday-aware
model, or replayed counts), the scenic-network simulation with alerts, and the analysis a
tourism bureau reads after the holiday."""
from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from sim.crowd import forecast as F
from sim.crowd.calendar import HolidayCalendar, load_holiday_table
from sim.crowd.capacity import scenic_capacities
from sim.crowd.history import load_counts, load_weather, resample_counts
from sim.crowd.network import arrivals_from_forecast, default_config, simulate_network
from sim.crowd.params import Params
from sim.progress import progress_bar
from twin.city import City

if TYPE_CHECKING:
    from sim.crowd.result import CrowdResult, GateResult


def arrivals(city: City, p: Params, cal: HolidayCalendar) -> tuple[pd.DataFrame, dict]:
    """15-min gate counts per spot for the period and the model's backtest-free fit info."""
    daily = load_counts(p.history_csv, city, spots=p.spots)
    hourly = load_counts(p.hourly_csv, city, spots=p.spots)
    end = pd.Timestamp(p.end) + pd.Timedelta(days=1)
    if p.arrivals == "observed":
        obs = hourly[(hourly.time >= pd.Timestamp(p.start)) & (hourly.time < end)]
        if obs.empty:
            from twin.errors import InputError
            raise InputError(f"{p.hourly_csv}: no counts between {p.start} and {p.end} to replay")
        q = obs.copy()
        rows = []
        for k in range(4):  # an hour's count spread evenly over its four quarters
            rows.append(q.assign(time=q.time + pd.Timedelta(minutes=15 * k), arrivals_persons=q.arrivals_persons / 4))
        fc = pd.concat(rows).sort_values(["spot", "time"]).reset_index(drop=True)
        return fc, {"source": f"observed counts ({p.hourly_csv.name})"}
    weather = load_weather(p.weather_csv) if p.weather_csv else None
    model = F.fit(daily, calendar=cal, weather=weather, profile_counts=hourly)
    fc = F.forecast(model, pd.Timestamp(p.start), pd.Timestamp(p.end), freq="15min", spots=p.spots,
                    capacities=scenic_capacities(city))
    return fc, {"source": "forecast (holiday-aware regression, statsmodels)"}


def run(city: City, params: Params, *, progress: bool = False,
        start: datetime | None = None) -> "CrowdResult | GateResult":
    """Forecast (or replay) the period's arrivals and simulate the scenic network; with a
    ``gate`` block, the pedestrian micro-simulation of that spot's gate area instead."""
    from sim.crowd.result import CrowdResult

    if params.gate is not None:
        from sim.crowd import gate

        return gate.run(city, params, progress=progress, start=start)
    t0 = time.perf_counter()
    table = load_holiday_table(params.holiday_table) if params.holiday_table else None
    cal = HolidayCalendar(table)
    fc, info = arrivals(city, params, cal)
    days = cal.day_table(pd.Timestamp(params.start).date(), pd.Timestamp(params.end).date())
    cfg = default_config(city, spots=params.spots, arrivals=fc, **params.network)
    arr = arrivals_from_forecast(fc, cfg)  # gate counts -> tourists entering the network
    with progress_bar(progress, "crowd network"):
        net = simulate_network(city, arr, cfg, seed=params.seed, measures=params.measures or None)
    daily_fc = resample_counts(fc[["time", "spot", "arrivals_persons"]], "1D") if "arrivals_persons" in fc else None
    return CrowdResult(city=city, params=params, calendar=days, forecast=fc, daily=daily_fc, info=info, network=net,
                       start=start, run_time_s=time.perf_counter() - t0)
