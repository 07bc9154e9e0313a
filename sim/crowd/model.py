"""Crowd run on the twin: the holiday calendar, the arrivals (forecast by the holiday-aware
model, or replayed counts), the scenic-network simulation with alerts, and the analysis a
tourism bureau reads after the holiday."""
from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from sim.crowd import forecast as F
from sim.crowd.calendar import HolidayCalendar
from sim.crowd.forecast_check import ForecastCheck, check_forecast
from sim.crowd.history import FREQS, load_counts, load_weather, resample_counts, spot_names
from sim.crowd.network import arrivals_from_forecast, default_config, drive_minutes, simulate_network
from sim.crowd.params import Params
from sim.progress import progress_bar
from twin.city import City
from twin.errors import InputError

if TYPE_CHECKING:
    from sim.crowd.gate_result import GateResult
    from sim.crowd.result import CrowdResult

REPLAY_STEP = pd.Timedelta("15min")


def _spot_list(city: City, spots: list[str] | None) -> list[str] | None:
    """The scenario's ``spots`` as spot names (place_ids accepted; unknown names are reported by
    the network configuration)."""
    if spots is None:
        return None
    names = spot_names(city)
    return [names.get(str(s), str(s)) for s in spots]


def replay_counts(counts: pd.DataFrame, start, end, spots: list[str] | None = None,
                  label: str = "counts") -> pd.DataFrame:
    """Observed sub-daily gate counts of [start, end] (whole days) at 15-min steps for a replay.

    Keeps the ``spots`` (every one must have counts in the period) and splits each count evenly
    over the 15-min steps of its own interval (``attrs['freq']``: 15min, 30min or 1h), i.e. a
    constant arrival rate within the counted interval; per-spot totals are kept exactly. Daily
    counts have no within-day timing and are refused."""
    freq = counts.attrs.get("freq")
    if freq not in FREQS or FREQS[freq] >= pd.Timedelta("1D"):
        raise InputError(f"{label}: counts at {freq} steps; expected sub-daily counts (15min, 30min or 1h) "
                         f"to replay")
    t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    obs = counts[(counts["time"] >= t0) & (counts["time"] < t1)]
    if spots is not None:
        missing = [s for s in spots if s not in set(obs["spot"])]
        if missing:
            raise InputError(f"{label}: no counts for spot {missing[0]!r} between {t0.date()} and "
                             f"{(t1 - pd.Timedelta(days=1)).date()}; expected counts for every spot of 'spots'")
        obs = obs[obs["spot"].isin(spots)]
    if obs.empty:
        raise InputError(f"{label}: no counts between {t0.date()} and {(t1 - pd.Timedelta(days=1)).date()} "
                         f"to replay")
    k = int(FREQS[freq] / REPLAY_STEP)
    rep = obs.loc[obs.index.repeat(k), ["time", "spot", "arrivals_persons"]].reset_index(drop=True)
    rep["time"] = rep["time"] + np.tile(np.arange(k) * REPLAY_STEP, len(obs))
    rep["arrivals_persons"] = rep["arrivals_persons"] / k
    out = rep.sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
    out.attrs["freq"] = "15min"
    return out


def forecast_inputs(city: City, p: Params) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The forecast's counts, read and checked once: daily history, sub-daily counts, weather (or None)."""
    return (load_counts(p.history_csv, city), load_counts(p.hourly_csv, city),
            load_weather(p.weather_csv) if p.weather_csv else None)


def forecast_origin(p: Params) -> pd.Timestamp:
    """The day the forecast is made: the model fits on the counts before it (``forecast_origin``,
    default the period's first day)."""
    return pd.Timestamp(p.forecast_origin or p.start)


def counts_before(counts: pd.DataFrame, origin: pd.Timestamp, label: str) -> pd.DataFrame:
    """The counts before ``origin`` (what a forecast made that day can be fitted on)."""
    out = counts[counts["time"] < origin].reset_index(drop=True)
    if out.empty:
        raise InputError(f"{label}: no counts before the forecast origin {origin.date()} (the model is fitted on "
                         f"the counts before it); expected earlier counts, or an earlier forecast_origin")
    out.attrs.update(counts.attrs)
    return out


def training_inputs(p: Params, inputs: tuple) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """:func:`forecast_inputs` as known on the forecast origin: the counts before it (the weather
    whole: the period's rain is the weather forecast the model is given)."""
    daily, hourly, weather = inputs
    origin = forecast_origin(p)
    return (counts_before(daily, origin, f"history_csv {p.history_csv}"),
            counts_before(hourly, origin, f"hourly_csv {p.hourly_csv}"), weather)


class Arrivals(NamedTuple):
    """What the network runs on and where it comes from: 15-min gate counts per spot (``fc``),
    ``info``, the daily counts (a forecast's with its daily interval) and, for a forecast whose
    period the counts files already hold, that forecast against them (``check``)."""

    fc: pd.DataFrame
    info: dict
    daily: pd.DataFrame
    check: ForecastCheck | None = None


def arrivals(city: City, p: Params, cal: HolidayCalendar, inputs: tuple | None = None) -> Arrivals:
    """15-min gate counts per spot for the period: a forecast by the model fitted on the counts
    before the forecast origin, or the observed counts replayed.
    ``inputs``: :func:`forecast_inputs`, where the caller has read them already."""
    spots = _spot_list(city, p.spots)
    if p.arrivals == "observed":
        hourly = load_counts(p.hourly_csv, city)
        fc = replay_counts(hourly, p.start, p.end, spots, label=f"hourly_csv {p.hourly_csv}")
        return Arrivals(fc, {"source": f"observed counts ({p.hourly_csv.name}, {hourly.attrs['freq']} split evenly "
                                       f"into 15-min steps)"}, resample_counts(fc, "1D"))
    inputs = inputs or forecast_inputs(city, p)
    daily, hourly, weather = training_inputs(p, inputs)
    model = F.fit(daily, calendar=cal, weather=weather, profile_counts=hourly)
    # arrivals and their intervals only: the load and the alerts are the network simulation's
    # (a fixed-stay occupancy here would be a second, different load in the same output folder)
    upper = p.demand == "upper"
    # demand "upper": every day at its upper bound, spread by the profile (slot bounds from the
    # daily ones, so that the 15-min counts add up to the day's)
    t0, t1 = pd.Timestamp(p.start), pd.Timestamp(p.end)
    fc = F.forecast(model, t0, t1, freq="15min", spots=spots, slot_scatter=not upper)
    daily = F.predict_daily(model, t0, t1, spots=spots)
    origin = forecast_origin(p)
    check = check_forecast(daily, fc, inputs[0], inputs[1], origin, model.interval)
    info = {"source": "forecast (holiday-aware regression, statsmodels)",
            "fitted_on": f"counts before {origin.date()}"}
    if upper:
        level = f"{100 * model.interval:.0f} %"
        fc = fc.assign(arrivals_persons=fc["hi_persons"])
        daily = daily.assign(arrivals_persons=daily["hi_persons"]).drop(columns=["lo_persons", "hi_persons"])
        info.update(source=f"forecast (holiday-aware regression, statsmodels) at the upper bound of its {level} "
                           "interval", demand=f"upper bound of the {level} prediction interval")
    return Arrivals(fc, info, daily, check)


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
    fc, info, daily, check = arrivals(city, params, cal, inputs)
    record = None
    if params.forecast_backtest:  # (only with arrivals: forecast, Params checks)
        from sim.crowd.backtest_report import track_record

        with progress_bar(progress, "forecast backtest"):  # on what was known at the forecast origin
            known, known_hourly, weather = training_inputs(params, inputs)
            record = track_record(known, known_hourly, cal, weather)
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
                       forecast_check=check)
