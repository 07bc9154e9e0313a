"""Backtest of the arrival forecast (:mod:`sim.crowd.forecast`) on held-out holidays.

``backtest`` holds out holidays (rolling origin: fit on everything before the block), and compares
with the seasonal-naive baseline (same holiday last year, same day position, scaled by the ratio
of the 4-week pre-holiday levels): MAPE (Hyndman & Koehler 2006, IJF 22(4):679) and the
coverage of the prediction intervals, and which day of each block was the peak (the probability the
forecast gave it, :mod:`sim.crowd.peak_day`).  ``backtest_within_day`` does the same at the sub-daily
counts' step (WAPE, the daily peak slot, coverage).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from sim.crowd.calendar import HOLIDAYS, HolidayCalendar, festival_dates
from sim.crowd.forecast import (PRE_HOLIDAY_DAYS, _block_starts, _calendar_frame, _daily, fit, forecast,
                               predict_daily)
from twin.errors import InputError


def seasonal_naive(history: pd.DataFrame, calendar: HolidayCalendar, holiday: str, year: int,
                   spots: Sequence[str] | None = None, lead_days: int = 1) -> pd.DataFrame:
    """Same holiday last year, scaled by the ratio of the spot's mean over the 4 weeks before
    this year's and last year's blocks (4 weeks ending ``lead_days`` days before each block: what
    is known when the forecast is made that far ahead). The day it copies: for the festivals on the lunar calendar
    or a solar term (Spring Festival, Qingming, Dragon Boat, Mid-Autumn: :func:`festival_dates`)
    the day at the same offset from last year's festival date (lunar New Year's Eve to lunar New
    Year's Eve), so that a block starting on another lunar day does not shift the festival's own
    peaks; for the fixed-date holidays (New Year, May Day, National Day) the same day position in
    the block (the last day to the last day)."""
    daily = _daily(history)
    piv = daily.pivot(index="time", columns="spot", values="arrivals_persons")
    pad = pd.Timedelta(days=400)
    days = _calendar_frame(calendar, piv.index[0] - pad, piv.index[-1] + pad)
    blocks = _block_starts(days)
    this = blocks[(blocks["holiday"] == holiday) & (blocks["year"] == year)]
    last = blocks[(blocks["holiday"] == holiday) & (blocks["year"] == year - 1)]
    if this.empty or last.empty:
        raise InputError(f"baseline {holiday} {year}: expected the holiday in {year} and {year - 1}")
    b, a = this.iloc[0], last.iloc[0]
    if a["last"] > piv.index[-1] or a["first"] < piv.index[0]:
        raise InputError(f"baseline {holiday} {year}: history lacks {holiday} {year - 1}")
    pre = pd.Timedelta(days=PRE_HOLIDAY_DAYS)
    one = pd.Timedelta(days=1)
    lead = pd.Timedelta(days=lead_days)
    if a["first"] - lead - pre + one < piv.index[0]:
        raise InputError(f"baseline {holiday} {year}: from {lead_days} days ahead its level needs the counts of the "
                         f"{PRE_HOLIDAY_DAYS} days to {(a['first'] - lead).date()}, before the history starts "
                         f"({piv.index[0].date()}); expected a longer history or a shorter lead")
    if a["last"] > b["first"] - lead:
        raise InputError(f"baseline {holiday} {year}: from {lead_days} days ahead {holiday} {year - 1} (to "
                         f"{a['last'].date()}) is not counted yet; expected lead_days up to "
                         f"{(b['first'] - a['last']).days}")
    lvl_now = piv.loc[b["first"] - lead - pre + one:b["first"] - lead].mean()
    lvl_then = piv.loc[a["first"] - lead - pre + one:a["first"] - lead].mean()
    scale = lvl_now / lvl_then
    n, m = int(b["length_days"]), int(a["length_days"])
    rows = []
    fest_now, fest_then = festival_dates(year).get(holiday), festival_dates(year - 1).get(holiday)
    for k in range(1, n + 1):
        j = m if k == n else min(k, m - 1) if m > 1 else 1
        d_then = a["first"] + pd.Timedelta(days=j - 1)
        d_now = b["first"] + pd.Timedelta(days=k - 1)
        if fest_now is not None and fest_then is not None:  # same offset from the festival date
            d_lunar = pd.Timestamp(fest_then) + (d_now - pd.Timestamp(fest_now))
            if piv.index[0] <= d_lunar <= piv.index[-1]:
                d_then = d_lunar
        for s in (spots or list(piv.columns)):
            rows.append({"time": d_now, "spot": s, "baseline_persons": float(piv.loc[d_then, s] * scale[s])})
    return pd.DataFrame(rows)


def _check_holidays(holidays: Sequence[str]) -> None:
    for h in holidays:
        if h not in HOLIDAYS:
            raise InputError(f"backtest holiday {h!r}: expected one of {', '.join(HOLIDAYS)}")


@dataclass
class BacktestReport:
    """Per day and spot: actual, model median and interval, baseline; plus summaries.  ``peak``:
    per block of two days or more and spot, the probability the forecast gave the counted peak
    day (``actual_prob``), its most likely day's (``likely_prob``), the probability the counted
    peak would get if the forecast were right (``expected_prob``, the sum of the squared day
    probabilities), whether the most likely day was the peak (``hit``) and whether the
    baseline's largest day was (``naive_hit``)."""

    table: pd.DataFrame
    by_holiday: pd.DataFrame
    mape_model: float
    mape_baseline: float
    coverage: float
    interval: float
    peak: pd.DataFrame | None = None

    def peak_scores(self) -> dict[str, float]:
        """Over the blocks' spots: mean probability of the counted peak day and its expectation
        under the forecast, mean probability of the most likely day and how often it was the peak
        (each pair equal for a calibrated forecast), the baseline's hit rate and the uniform
        probability (mean 1 / days)."""
        p = self.peak
        return {"spot_blocks": len(p), "actual_prob": float(p["actual_prob"].mean()),
                "expected_prob": float(p["expected_prob"].mean()),
                "likely_prob": float(p["likely_prob"].mean()), "hit_rate": float(p["hit"].mean()),
                "naive_hit_rate": float(p["naive_hit"].mean()), "uniform_prob": float((1.0 / p["days"]).mean())}

    def __str__(self) -> str:
        return (f"backtest on {len(self.by_holiday)} held-out holidays, {len(self.table)} spot-days: "
                f"MAPE model {100 * self.mape_model:.1f} % vs seasonal naive "
                f"{100 * self.mape_baseline:.1f} %; {100 * self.interval:.0f} % interval coverage "
                f"{100 * self.coverage:.1f} %")


def backtest(history: pd.DataFrame, *, calendar: HolidayCalendar | None = None,
             weather: pd.DataFrame | None = None,
             holidays: Sequence[str] = ("spring_festival", "national_day"),
             years: Sequence[int] | None = None, interval: float = 0.9,
             exclude: Iterable[tuple[str, str]] = (), lead_days: int = 1,
             weather_lead_days: int | None = None, carry_level: bool = True) -> BacktestReport:
    """Rolling-origin backtest on held-out holiday blocks (default: the last two complete blocks
    of each of ``holidays`` in the history; ``years``: those years' blocks).  For each block the
    model is fitted on the counts up to ``lead_days`` days before its first day (1: the day
    before) and forecasts the block's days; the baseline is :func:`seasonal_naive`.  Weather: the
    held-out days' observed rain (a perfect weather forecast) by default; with
    ``weather_lead_days`` the weather file stops that many days before each block, so its days
    take the monthly climatology (a forecast made before the weather is known; 0 or less: it
    stops inside the block, on its day 1 - ``weather_lead_days``; it cannot stop before the
    counts: ``weather_lead_days`` <= ``lead_days``).  ``carry_level``: as :func:`fit`'s.  MAPE and
    interval coverage over all (spot, day) pairs; a spot not counted over last year's block (opened
    since) has no baseline and is left out of that block's scores, with a warning."""
    if lead_days < 1 or (weather_lead_days is not None and weather_lead_days > lead_days):
        raise InputError(f"backtest lead_days {lead_days}, weather_lead_days {weather_lead_days}: expected "
                         f"lead_days >= 1 and weather_lead_days <= lead_days (the fit needs the rain of "
                         f"every day it is fitted on)")
    cal = calendar or HolidayCalendar()
    daily = _daily(history)
    end = daily["time"].max()
    start = daily["time"].min()
    days = _calendar_frame(cal, start, end)
    blocks = _block_starts(days)
    blocks = blocks[blocks["holiday"].isin(list(holidays)) & (blocks["last"] <= end)]
    _check_holidays(holidays)
    if years is None:  # each holiday's last two complete blocks (a history ending inside a holiday)
        sel = blocks.sort_values("first").groupby("holiday").tail(2)
        missing = [f"{h} (two blocks)" for h in holidays if (sel["holiday"] == h).sum() < 2]
    else:
        sel = blocks[blocks["year"].isin(list(years))]
        missing = [f"{h} {y}" for h in holidays for y in years
                   if not ((sel["holiday"] == h) & (sel["year"] == y)).any()]
    if missing:
        raise InputError(f"backtest: {missing[0]} not complete in the history "
                         f"({start.date()}..{end.date()}); expected held-out holidays inside it")
    parts, summ, peaks = [], [], []
    for b in sel.sort_values("first").itertuples():
        train = daily[daily["time"] <= b.first - pd.Timedelta(days=lead_days)]
        train.attrs["freq"] = "1D"
        wx = weather if weather is None or weather_lead_days is None else \
            weather.loc[:b.first - pd.Timedelta(days=weather_lead_days)]
        m = fit(train, calendar=cal, weather=wx, exclude=exclude, interval=interval, carry_level=carry_level)
        fc = predict_daily(m, b.first, b.last, weather=wx)
        base = seasonal_naive(daily[daily["time"] <= b.last].assign(), cal, b.holiday, b.year, lead_days=lead_days)
        t = fc.merge(daily.rename(columns={"arrivals_persons": "actual_persons"}), on=["time", "spot"])
        t = t.merge(base, on=["time", "spot"])
        if (gone := t["baseline_persons"].isna()).any():  # a spot opened since last year's block
            warnings.warn(f"backtest {b.holiday} {b.year}: {', '.join(sorted(t.loc[gone, 'spot'].unique()))} not "
                          f"counted over {b.holiday} {b.year - 1} (no seasonal-naive baseline): left out of this "
                          f"block's scores", stacklevel=2)
            t = t[~gone]
        t["holiday_block"] = f"{b.holiday} {b.year}"
        parts.append(t)
        if b.length_days >= 2:
            peaks.append(_peak_hits(m, t, b.first, wx))
        ape_m = (t["arrivals_persons"] - t["actual_persons"]).abs() / t["actual_persons"]
        ape_b = (t["baseline_persons"] - t["actual_persons"]).abs() / t["actual_persons"]
        cov = ((t["actual_persons"] >= t["lo_persons"]) & (t["actual_persons"] <= t["hi_persons"])).mean()
        summ.append({"holiday": b.holiday, "year": b.year, "days": b.length_days,
                     "mape_model": ape_m.mean(), "mape_baseline": ape_b.mean(), "coverage": cov})
    table = pd.concat(parts, ignore_index=True)
    if (table["actual_persons"] <= 0).any():
        r = table[table["actual_persons"] <= 0].iloc[0]
        raise InputError(f"backtest: spot {r['spot']!r} has 0 arrivals on {r['time'].date()}; "
                         f"MAPE needs positive actuals")
    ape_m = (table["arrivals_persons"] - table["actual_persons"]).abs() / table["actual_persons"]
    ape_b = (table["baseline_persons"] - table["actual_persons"]).abs() / table["actual_persons"]
    act = table["actual_persons"]
    cov = (act >= table["lo_persons"]) & (act <= table["hi_persons"])
    return BacktestReport(table, pd.DataFrame(summ), float(ape_m.mean()), float(ape_b.mean()),
                          float(cov.mean()), interval, pd.concat(peaks, ignore_index=True) if peaks else None)


def _peak_hits(model, t: pd.DataFrame, first: pd.Timestamp, weather: pd.DataFrame | None) -> pd.DataFrame:
    """One block's peak-day scores per spot (:class:`BacktestReport` ``peak``) from its table ``t``."""
    from sim.crowd.peak_day import peak_day_probabilities, peak_scores

    pk = peak_day_probabilities(model, t, first, weather=weather).merge(t, on=["time", "spot"])
    s = peak_scores(pk)
    naive_day = pk.loc[pk.groupby("spot")["baseline_persons"].idxmax()].set_index("spot")["time"]
    return s.assign(holiday_block=t["holiday_block"].iloc[0],
                    naive_hit=s["peak_day_actual"].to_numpy() == naive_day.reindex(s["spot"]).to_numpy())


@dataclass
class WithinDayReport:
    """Sub-daily backtest: per slot the actual, the model's arrivals and interval, the baseline;
    per held-out block and overall: WAPE, the daily peak slot's error, interval coverage."""

    table: pd.DataFrame
    by_holiday: pd.DataFrame
    freq: str
    wape_model: float
    wape_baseline: float
    peak_mape: float
    peak_shift_h: float
    coverage: float
    interval: float

    def __str__(self) -> str:
        return (f"{self.freq} backtest on {len(self.by_holiday)} held-out holidays, {len(self.table)} slots: "
                f"WAPE model {100 * self.wape_model:.1f} % vs seasonal naive x profile "
                f"{100 * self.wape_baseline:.1f} %; peak slot error {100 * self.peak_mape:.1f} %, "
                f"peak time off by {self.peak_shift_h:.2f} h on average; {100 * self.interval:.0f} % "
                f"interval coverage {100 * self.coverage:.1f} % (open slots)")


def peak_slot_errors(t: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per spot-day of a slot table (time, spot, arrivals_persons = forecast, actual_persons):
    the forecast's relative error at the actual peak slot, (forecast - actual) / actual, and
    the time from the actual peak slot to the forecast's, h.  Spot-days with no arrival in the
    table's slots (a spot closed for the rest of a day under way) have no peak and are left out."""
    g = t.assign(day=t["time"].dt.normalize()).groupby(["spot", "day"])
    ia, im = g["actual_persons"].idxmax(), g["arrivals_persons"].idxmax()
    pk_a, pk_m = t.loc[ia, "actual_persons"].to_numpy(float), t.loc[ia, "arrivals_persons"].to_numpy(float)
    shift = (t.loc[im, "time"].to_numpy() - t.loc[ia, "time"].to_numpy()) / pd.Timedelta("1h")
    ok = pk_a > 0
    return (pk_m[ok] - pk_a[ok]) / pk_a[ok], shift.astype(float)[ok]


def _slot_scores(t: pd.DataFrame) -> dict:
    """WAPE of model and baseline, peak-slot APE and |time shift| per spot-day, coverage of the
    open slots (forecast share > 0) of a slot table."""
    act = t["actual_persons"]
    pk_err, shift = peak_slot_errors(t)
    op = t["arrivals_persons"] > 0
    cov = ((act >= t["lo_persons"]) & (act <= t["hi_persons"]))[op]
    return {"wape_model": float((t["arrivals_persons"] - act).abs().sum() / act.sum()),
            "wape_baseline": float((t["baseline_persons"] - act).abs().sum() / act.sum()),
            "peak_mape": float(np.mean(np.abs(pk_err))),
            "peak_shift_h": float(np.mean(np.abs(shift))), "coverage": float(cov.mean())}


def _sub_daily_blocks(history: pd.DataFrame, profile_counts: pd.DataFrame, cal: HolidayCalendar,
                      holidays: Sequence[str], what: str) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """Daily counts, the sub-daily step, and the complete blocks of ``holidays`` inside the
    sub-daily counts with two weeks of them before each (else a one-line error naming ``what``)."""
    freq = profile_counts.attrs.get("freq")
    if freq is None or freq == "1D":
        raise InputError(f"profile counts at {freq}: expected a sub-daily step (15min, 30min or 1h)")
    _check_holidays(holidays)
    daily = _daily(history)
    s0, s1 = profile_counts["time"].min().normalize(), profile_counts["time"].max().normalize()
    blocks = _block_starts(_calendar_frame(cal, s0, s1))
    sel = blocks[blocks["holiday"].isin(list(holidays)) & (blocks["first"] >= s0 + pd.Timedelta(days=14))
                 & (blocks["last"] <= min(s1, daily["time"].max()))]
    if sel.empty:
        raise InputError(f"{what}: no complete {' or '.join(holidays)} block in the sub-daily "
                         f"counts ({s0.date()}..{s1.date()}) with two weeks of counts before it; expected one")
    return daily, freq, sel


def _known_before(daily: pd.DataFrame, profile_counts: pd.DataFrame,
                  day: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The daily and sub-daily counts before ``day`` (a fit made that day)."""
    train = daily[daily["time"] < day]
    train.attrs["freq"] = "1D"
    prof = profile_counts[profile_counts["time"] < day]
    prof.attrs["freq"] = profile_counts.attrs["freq"]
    return train, prof


def backtest_within_day(history: pd.DataFrame, profile_counts: pd.DataFrame, *,
                        calendar: HolidayCalendar | None = None, weather: pd.DataFrame | None = None,
                        holidays: Sequence[str] = ("spring_festival", "national_day"),
                        interval: float = 0.9, exclude: Iterable[tuple[str, str]] = (),
                        slot_scatter: bool = True, seed: int = 0) -> WithinDayReport:
    """Rolling-origin backtest at the step of ``profile_counts`` (15 min, 30 min or 1 h) on every
    held-out block of ``holidays`` inside the sub-daily counts with at least two weeks of them
    before it: the daily model is fitted on the days before the block, the within-day profiles
    (and their scatter) on the sub-daily counts before it; the block's slots are forecast and
    compared with the counts.  The baseline is :func:`seasonal_naive` split by the same profile.
    ``slot_scatter``: as in :func:`sim.crowd.forecast.forecast`.

    Scores over all (spot, slot): WAPE, sum |forecast - actual| / sum actual (for slot counts
    near zero, where MAPE is unbounded: Kolassa & Schuetz 2007, Foresight 6:40); per spot-day the
    peak slot's arrivals (APE) and time (mean |shift|, h); coverage of the intervals over the open
    slots.
    """
    cal = calendar or HolidayCalendar()
    daily, freq, sel = _sub_daily_blocks(history, profile_counts, cal, holidays, "backtest within the day")
    act = profile_counts.rename(columns={"arrivals_persons": "actual_persons"})[["time", "spot", "actual_persons"]]
    parts, summ = [], []
    for b in sel.sort_values("first").itertuples():
        train, prof = _known_before(daily, profile_counts, b.first)
        m = fit(train, calendar=cal, weather=weather, exclude=exclude, interval=interval, profile_counts=prof)
        fc = forecast(m, b.first, b.last, freq=freq, weather=weather, slot_scatter=slot_scatter, seed=seed)
        t = fc.merge(act, on=["time", "spot"])
        day = t["time"].dt.normalize()
        share = t["arrivals_persons"] / t.groupby(["spot", day])["arrivals_persons"].transform("sum")
        base = seasonal_naive(daily[daily["time"] <= b.last], cal, b.holiday, b.year)
        t["baseline_persons"] = share * (t.assign(time=day)[["time", "spot"]]
                                         .merge(base, on=["time", "spot"], how="left")["baseline_persons"].to_numpy())
        t["holiday_block"] = f"{b.holiday} {b.year}"
        parts.append(t)
        summ.append({"holiday": b.holiday, "year": b.year, "days": b.length_days, **_slot_scores(t)})
    table = pd.concat(parts, ignore_index=True)
    return WithinDayReport(table, pd.DataFrame(summ), freq, interval=interval, **_slot_scores(table))


@dataclass
class UpdateReport:
    """Backtest of the within-day update: per (spot, day, hour counted to) the day's remaining
    arrivals and total, forecast with and without the morning's counts."""

    table: pd.DataFrame
    freq: str
    interval: float

    def scores(self, by: Sequence[str] = ("counted_to_h",)) -> pd.DataFrame:
        """Per hour counted to (or per ``by`` columns of the table): WAPE of the remaining slots
        and APE of the day's total (mean), updated against the plain forecast; coverage of the
        remaining open slots' and of the total's intervals (updated)."""
        t = self.table
        rows = []
        for key, g in t.groupby(list(by), sort=False):
            rows.append({**dict(zip(by, key)), "spot_days": len(g),
                         "rest_wape_updated": float(g["rest_abs_err_updated"].sum() / g["rest_actual"].sum()),
                         "rest_wape_plain": float(g["rest_abs_err_plain"].sum() / g["rest_actual"].sum()),
                         "total_mape_updated": float((g["total_updated"] / g["total_actual"] - 1).abs().mean()),
                         "total_mape_plain": float((g["total_plain"] / g["total_actual"] - 1).abs().mean()),
                         "rest_coverage": float(g["rest_inside"].sum() / g["rest_open"].sum()),
                         "total_coverage": float(g["total_inside"].mean())})
        return pd.DataFrame(rows)


def backtest_update(history: pd.DataFrame, profile_counts: pd.DataFrame, *,
                    calendar: HolidayCalendar | None = None, weather: pd.DataFrame | None = None,
                    holidays: Sequence[str] = ("spring_festival", "national_day"),
                    hours: Sequence[float] = (10, 12, 14), interval: float = 0.9, seed: int = 0) -> UpdateReport:
    """Each day of every held-out block of ``holidays`` inside the sub-daily counts (two weeks of
    them before it): the model fitted on the days before that day (as a run made that day,
    :func:`sim.crowd.arrivals.arrivals`), then at each of ``hours`` the rest of the day forecast
    with the day's counts so far (:func:`sim.crowd.forecast_nowcast.nowcast`) and without them
    (:func:`sim.crowd.forecast.forecast`), against the counts.  ``hours``: times of day, h, each
    on a step of the sub-daily counts."""
    from sim.crowd.forecast_nowcast import nowcast

    cal = calendar or HolidayCalendar()
    daily, freq, sel = _sub_daily_blocks(history, profile_counts, cal, holidays, "backtest of the update")
    act = profile_counts.set_index(["spot", "time"])["arrivals_persons"]
    rows = []
    for b in sel.sort_values("first").itertuples():
        for day in pd.date_range(b.first, b.last, freq="D"):
            train, prof = _known_before(daily, profile_counts, day)
            m = fit(train, calendar=cal, weather=weather, interval=interval, profile_counts=prof)
            plain = forecast(m, day, day, freq=freq, weather=weather, slot_scatter=False)
            for h in hours:
                origin = day + pd.Timedelta(hours=h)
                fc, dd = nowcast(m, origin, day, profile_counts, freq=freq, weather=weather, seed=seed)
                for sp, g in fc.groupby("spot"):
                    a = act.loc[sp].reindex(g["time"]).to_numpy(float)
                    pl = plain[(plain["spot"] == sp) & (plain["time"] >= origin)]["arrivals_persons"].to_numpy(float)
                    tot = dd[dd["spot"] == sp].iloc[0]
                    total = float(act.loc[sp].loc[day:day + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)].sum())
                    open_ = g["arrivals_persons"].to_numpy() > 0
                    inside = (a >= g["lo_persons"].to_numpy()) & (a <= g["hi_persons"].to_numpy())
                    rows.append({"holiday_block": f"{b.holiday} {b.year}", "day": day, "spot": sp,
                                 "counted_to_h": h, "rest_actual": a.sum(),
                                 "rest_abs_err_updated": np.abs(g["arrivals_persons"].to_numpy() - a).sum(),
                                 "rest_abs_err_plain": np.abs(pl - a).sum(),
                                 "rest_open": int(open_.sum()), "rest_inside": int((inside & open_).sum()),
                                 "total_actual": total, "total_updated": float(tot["arrivals_persons"]),
                                 "total_plain": float(plain[plain["spot"] == sp]["arrivals_persons"].sum()),
                                 "total_inside": bool(tot["lo_persons"] <= total <= tot["hi_persons"])})
    return UpdateReport(pd.DataFrame(rows), freq, interval)
