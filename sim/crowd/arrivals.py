"""What the scenic network runs on: 15-min gate counts per spot for the period, forecast by the
holiday-aware model as known at the forecast origin, or the observed counts replayed.

The forecast origin (``forecast_origin``, default the period's first day) is the moment the
forecast is made: the model is fitted on the complete days before it (daily counts and the
within-day profiles), so nothing counted on or after it enters the fit.  An origin inside the
period is a forecast made during the holiday: the period's slots before it are the counts,
the origin's day is updated by its counts so far (:mod:`sim.crowd.forecast_nowcast`) and the
later days are forecast.  Where the counts files hold the forecast part of the period, it is
checked against them (:mod:`sim.crowd.forecast_check`)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.crowd import forecast as F
from sim.crowd.calendar import HolidayCalendar
from sim.crowd.forecast_check import ForecastCheck, check_forecast
from sim.crowd.forecast_nowcast import nowcast
from sim.crowd.history import FREQS, load_counts, load_weather, load_weather_forecast, resample_counts, spot_names
from sim.crowd.params import Params
from sim.crowd.peak_day import peak_day_probabilities
from twin.city import City
from twin.errors import InputError

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
    """When the forecast is made (``forecast_origin``, default the period's first day), local
    time (Asia/Shanghai) without a zone, as the counts (:class:`Params` reads a zoned origin so)."""
    return pd.Timestamp(p.forecast_origin or p.start)


def counts_before(counts: pd.DataFrame, day: pd.Timestamp, label: str) -> pd.DataFrame:
    """The counts of the days before ``day`` (what a forecast made that day can be fitted on)."""
    out = counts[counts["time"] < day].reset_index(drop=True)
    if out.empty:
        raise InputError(f"{label}: no counts before the forecast origin {day.date()} (the model is fitted on "
                         f"the counts before it); expected earlier counts, or an earlier forecast_origin")
    out.attrs.update(counts.attrs)
    return out


def with_counted_days(daily: pd.DataFrame, sub: pd.DataFrame) -> pd.DataFrame:
    """The daily counts extended by the whole days of the sub-daily counts that follow the daily
    file's last day (every slot of every spot of the daily file counted): the first days of a
    holiday under way, counted by the hour before they reach the daily file."""
    per_day = int(pd.Timedelta(days=1) / FREQS[sub.attrs["freq"]])
    spots = set(daily["spot"])
    c = sub[sub["spot"].isin(spots)].assign(_day=sub["time"].dt.normalize())
    g = c.groupby(["_day", "spot"])["arrivals_persons"].agg(["sum", "size"])
    g = g[g["size"] == per_day].reset_index()
    whole = g.groupby("_day")["spot"].nunique()
    add, day = [], daily["time"].max() + pd.Timedelta(days=1)
    while whole.get(day, 0) == len(spots):
        add.append(g[g["_day"] == day])
        day += pd.Timedelta(days=1)
    if not add:
        return daily
    new = pd.concat(add).rename(columns={"_day": "time", "sum": "arrivals_persons"})[["time", "spot",
                                                                                       "arrivals_persons"]]
    out = pd.concat([daily, new.astype({"spot": daily["spot"].dtype})], ignore_index=True)
    out = out.sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
    out.attrs.update(daily.attrs)
    return out


def training_inputs(p: Params, inputs: tuple) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """:func:`forecast_inputs` as known at the forecast origin: the complete days before it, the
    daily counts extended by the sub-daily ones (:func:`with_counted_days`; the weather whole: the
    period's rain is the weather forecast the model is given)."""
    daily, hourly, weather = inputs
    day = forecast_origin(p).normalize()
    known_daily = counts_before(daily, day, f"history_csv {p.history_csv}")
    known = counts_before(hourly, day, f"hourly_csv {p.hourly_csv}")
    return with_counted_days(known_daily, known), known, weather


class Arrivals(NamedTuple):
    """What the network runs on and where it comes from: 15-min gate counts per spot (``fc``;
    column ``counted``: the slot is a count, not a forecast), ``info``, the daily counts (a
    forecast's with its daily interval) and, for a forecast whose period the counts files
    already hold, that forecast against them (``check``)."""

    fc: pd.DataFrame
    info: dict
    daily: pd.DataFrame
    check: ForecastCheck | None = None
    plain_today: pd.DataFrame | None = None  # a run made during a day: that day's forecast not updated


def _counted_part(p: Params, sub: pd.DataFrame, origin: pd.Timestamp,
                  spots: list[str] | None) -> pd.DataFrame:
    """The period's 15-min counts before ``origin`` (an origin inside the period), with every slot
    counted for every spot."""
    label = f"hourly_csv {p.hourly_csv}"
    step = FREQS[sub.attrs["freq"]]
    day0 = origin.normalize()
    if (origin - day0) % step != pd.Timedelta(0):
        raise InputError(f"forecast_origin {origin}: the sub-daily counts are at {sub.attrs['freq']} steps; "
                         f"expected an origin on a step")
    last = day0 if origin > day0 else day0 - pd.Timedelta(days=1)
    obs = replay_counts(sub, p.start, last, spots, label=label)
    obs = obs[obs["time"] < origin].reset_index(drop=True)
    need = int((origin - pd.Timestamp(p.start)) / REPLAY_STEP)
    n = obs.groupby("spot").size()
    short = n[n < need]
    if len(short):
        sp = short.index[0]
        end = obs.loc[obs["spot"] == sp, "time"].max() + REPLAY_STEP
        h = REPLAY_STEP / pd.Timedelta(hours=1)
        raise InputError(f"{label}: the counts of spot {sp!r} cover {n[sp] * h:g} of the {need * h:g} h from "
                         f"{p.start} to the forecast origin {origin} (last up to {end}); expected every step "
                         f"before the origin counted")
    return obs.assign(lo_persons=obs["arrivals_persons"], hi_persons=obs["arrivals_persons"], counted=True)


def _forecast(p: Params, model: F.DailyModel, inputs: tuple, spots: list[str] | None, upper: bool
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, dict | None]:
    """15-min and daily forecast (median and bounds) of the period as known at the origin, the
    counted 15-min slots before it (None for an origin at or before the period's start) and, for
    an origin during a day, per spot the draws of that day's total (else None)."""
    origin = forecast_origin(p)
    t0, t1 = pd.Timestamp(p.start), pd.Timestamp(p.end)
    if origin <= t0:
        return (F.forecast(model, t0, t1, freq="15min", spots=spots, slot_scatter=not upper),
                F.predict_daily(model, t0, t1, spots=spots), None, None)
    counted = _counted_part(p, inputs[1], origin, spots)
    fc, daily = nowcast(model, origin, t1, inputs[1], freq="15min", spots=spots, slot_scatter=not upper)
    today = daily.attrs.pop("total_draws")
    return fc, daily, counted, today if origin != origin.normalize() else None


def _with_counted(fc: pd.DataFrame, daily: pd.DataFrame, counted: pd.DataFrame | None,
                  interval: float, cal: HolidayCalendar) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast with the counted slots before it: whole days counted enter the daily frame
    with their counts as bounds (the origin's day is the forecast's, its counts included); the
    counted rows get their days' calendar columns as the forecast's."""
    fc = fc.assign(counted=False)
    daily = daily.assign(counted=False)
    if counted is None:
        return fc, daily
    days = cal.day_table(counted["time"].min().date(), counted["time"].max().date()).rename(
        columns={"source": "calendar_source"})[["holiday", "status", "day_in_holiday", "holiday_length_days",
                                                "calendar_source", "provisional"]]

    def with_days(f: pd.DataFrame) -> pd.DataFrame:
        return f.assign(_day=f["time"].dt.normalize()).merge(days, left_on="_day", right_index=True,
                                                             how="left").drop(columns="_day")

    counted = with_days(counted)
    day0 = fc["time"].min().normalize()
    full = counted[counted["time"] < day0]
    out = pd.concat([counted, fc], ignore_index=True).sort_values(["spot", "time"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(interval=interval, freq="15min")
    if len(full):
        whole = full[["time", "spot", "arrivals_persons"]]
        whole.attrs["freq"] = "15min"
        d = resample_counts(whole, "1D")
        d = with_days(d.assign(lo_persons=d["arrivals_persons"], hi_persons=d["arrivals_persons"], counted=True))
        daily = pd.concat([d, daily], ignore_index=True).sort_values(["spot", "time"], kind="stable")
        daily = daily.reset_index(drop=True)
    daily.attrs.update(interval=interval, freq="1D")
    return out, daily


def _forecast_days(p: Params) -> pd.DataFrame:
    """The weather forecast's days that the run forecasts (from the origin's day to the end); a
    file that forecasts none of them (another year's, another holiday's) is an error."""
    wf = load_weather_forecast(p.weather_forecast_csv)
    first, last = forecast_origin(p).normalize(), pd.Timestamp(p.end)
    use = wf.loc[(wf.index >= first) & (wf.index <= last)].copy()
    if use.empty:
        raise InputError(f"weather_forecast_csv {p.weather_forecast_csv}: its days {wf.index.min().date()}.."
                         f"{wf.index.max().date()} miss the days forecast, {first.date()}..{last.date()}; expected "
                         f"a weather forecast for them")
    use.attrs["file_days"] = len(wf)
    return use


def _of_spots(inputs: tuple, spots: list[str] | None) -> tuple:
    """The counts of the run's spots only (``spots``; None: the daily file's): a spot counted by
    the hour but not in the daily file is not run, and a spot not run does not stop the hourly
    counts of the others from extending the daily file (:func:`with_counted_days`)."""
    daily, sub, weather = inputs
    keep = set(spots) & set(daily["spot"]) if spots is not None else set(daily["spot"])
    out = []
    for c in (daily, sub):
        if spots is not None and not set(spots) <= set(c["spot"]):  # the fit or the replay names what is missing
            out.append(c)
            continue
        k = c[c["spot"].isin(keep)].reset_index(drop=True)
        k.attrs.update(c.attrs)
        out.append(k)
    return (*out, weather)


def arrivals(city: City, p: Params, cal: HolidayCalendar, inputs: tuple | None = None) -> Arrivals:
    """15-min gate counts per spot for the period: a forecast by the model fitted on the counts
    before the forecast origin (the period's counts before an origin inside it, then the
    forecast updated by them), or the observed counts replayed.
    ``inputs``: :func:`forecast_inputs`, where the caller has read them already."""
    spots = _spot_list(city, p.spots)
    if p.arrivals == "observed":
        hourly = load_counts(p.hourly_csv, city)
        fc = replay_counts(hourly, p.start, p.end, spots, label=f"hourly_csv {p.hourly_csv}")
        return Arrivals(fc, {"source": f"observed counts ({p.hourly_csv.name}, {hourly.attrs['freq']} split evenly "
                                       f"into 15-min steps)"}, resample_counts(fc, "1D"))
    inputs = _of_spots(inputs or forecast_inputs(city, p), spots)
    daily, hourly, weather = training_inputs(p, inputs)
    model = F.fit(daily, calendar=cal, weather=weather, profile_counts=hourly)
    if p.weather_forecast_csv is not None:  # the bureau's weather forecast for the days ahead
        model.rain_forecast = _forecast_days(p)
    # arrivals and their intervals only: the load and the alerts are the network simulation's
    # (a fixed-stay occupancy here would be a second, different load in the same output folder)
    upper = p.demand == "upper"
    # demand "upper": every day at its upper bound, spread by the profile (slot bounds from the
    # daily ones, so that the 15-min counts add up to the day's)
    fc, daily, counted, today = _forecast(p, model, inputs, spots, upper)
    origin = forecast_origin(p)
    fc, daily = _with_counted(fc, daily, counted, model.interval, cal)
    peak = peak_day_probabilities(model, daily, origin, today=today)
    ahead = daily[daily["time"] >= origin.normalize()]  # what the forecast is checked on
    # the check scores the busiest of those days (a peak counted before the origin is no forecast's)
    peak_ahead = peak if counted is None else peak_day_probabilities(model, ahead, origin, today=today)
    daily = daily.merge(peak, on=["time", "spot"], how="left")
    sub = fc[(fc["time"] >= origin) & ~fc["counted"]]
    check = check_forecast(ahead, sub, with_counted_days(inputs[0], inputs[1]), inputs[1], origin, model.interval,
                           peak=peak_ahead)
    info = {"source": "forecast (holiday-aware regression, statsmodels)",
            "fitted_on": f"counts before {origin.normalize().date()}"}
    if levels := F.recent_levels(model):
        info["recent_level"] = levels
    if model.warned:  # days of a category the counts never had, and what they borrowed
        info["unseen_days"] = sorted(model.warned)
    if model.rain_forecast is not None:
        f = model.rain_forecast.index
        info["weather_forecast"] = (f"{p.weather_forecast_csv.name}: {f.min().date()}..{f.max().date()} "
                                    f"({len(f)} of the {model.rain_forecast.attrs['file_days']} days of the file)")
        if check is not None:
            check.weather_note = (f"the rain class probabilities of {p.weather_forecast_csv.name} are its weather "
                                  f"forecast for {f.min().date()}..{f.max().date()}, weather_csv's rain for other days")
    if counted is not None:
        info.update(source=f"counts to {origin}, then the forecast updated by them (holiday-aware regression, "
                           f"statsmodels; within-day update)", counted_to=str(origin))
    if upper:
        level = f"{100 * model.interval:.0f} %"
        fc = fc.assign(arrivals_persons=fc["hi_persons"])
        daily = daily.assign(arrivals_persons=daily["hi_persons"]).drop(columns=["lo_persons", "hi_persons"])
        info.update(source=f"{info['source']} at the upper bound of its {level} interval",
                    demand=f"upper bound of the {level} prediction interval")
    plain = None
    if counted is not None:  # the day as forecast before it, beside its update
        day0 = origin.normalize()
        plain = F.forecast(model, day0, day0, freq="15min", spots=spots, slot_scatter=False)
    return Arrivals(fc, info, daily, check, plain)
