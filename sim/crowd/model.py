"""Crowd run on the twin: the holiday calendar, the arrivals (forecast by the holiday-aware
model, or replayed counts), the scenic-network simulation with alerts, and the analysis a
tourism bureau reads after the holiday."""
from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from sim.crowd.arrivals import _spot_list, arrivals, forecast_inputs, forecast_origin, training_inputs
from sim.crowd.calendar import HolidayCalendar
from sim.crowd.network import arrivals_from_forecast, default_config, drive_minutes, simulate_network
from sim.crowd.params import Params
from sim.progress import progress_bar
from twin.city import City

if TYPE_CHECKING:
    from sim.crowd.gate_result import GateResult
    from sim.crowd.result import CrowdResult


def run(city: City, params: Params, *, progress: bool = False,
        start: datetime | None = None) -> "CrowdResult | GateResult":
    """Forecast (or replay) the period's arrivals and simulate the scenic network; with a
    ``gate`` block, the pedestrian micro-simulation of that spot's gate area instead."""
    from sim.crowd.result import CrowdResult

    if params.gate is not None:
        from sim.crowd import gate

        return gate.run(city, params, progress=progress, start=start)
    t0 = time.perf_counter()
    cal = HolidayCalendar(params.holiday_table)
    inputs = forecast_inputs(city, params) if params.arrivals == "forecast" else None
    fc, info, daily, check, plain_today = arrivals(city, params, cal, inputs)
    record = None
    if params.forecast_backtest:  # (only with arrivals: forecast, Params checks)
        from sim.crowd.backtest_report import run_leads, track_record

        with progress_bar(progress, "forecast backtest"):  # on what was known at the forecast origin
            known, known_hourly, weather = training_inputs(params, inputs)
            origin = forecast_origin(params)
            during = origin > pd.Timestamp(params.start) and origin != origin.normalize()
            lead, weather_lead = run_leads(known, weather, max(origin.normalize(), pd.Timestamp(params.start)),
                                           pd.Timestamp(params.end))
            record = track_record(known, known_hourly, cal, weather,
                                  (origin - origin.normalize()) / pd.Timedelta(hours=1) if during else None,
                                  lead_days=lead, weather_lead_days=weather_lead)
    days = cal.day_table(pd.Timestamp(params.start).date(), pd.Timestamp(params.end).date())
    net_p = params.network
    cfg = default_config(city, spots=_spot_list(city, params.spots), arrivals=fc, **net_p.config_overrides())
    # gate counts -> tourists entering the network (first visits calibrated on the baseline)
    arr = arrivals_from_forecast(fc, cfg, drive_minutes(city, cfg) if net_p.calibrate_first_visits else None)
    if "calibration" in arr.attrs:
        info["first_visit_calibration"] = arr.attrs["calibration"]
    with progress_bar(progress, "crowd network"):
        net = simulate_network(city, arr, cfg, seed=params.seed, measures=params.measures.as_dict() or None)
    return CrowdResult(city=city, params=params, calendar=days, forecast=fc, daily=daily, info=info,
                       network=net, start=start, run_time_s=time.perf_counter() - t0, track_record=record,
                       forecast_check=check, plain_today=plain_today)
