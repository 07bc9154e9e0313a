"""The run's forecast against the counts of its own period, where the counts files hold them.

A bureau forecasts a holiday before it (the model is fitted on the counts before the forecast
origin only: :func:`sim.crowd.arrivals.arrivals`) and, after it, asks how good that forecast was.
This compares the forecast the run used (its median and interval, never the ``demand: upper``
days) with the counts: per spot the total, the daily MAPE, the coverage of the daily intervals,
the peak day (and the probability the forecast gave the day that was the peak:
:mod:`sim.crowd.peak_day`); at the sub-daily counts' step the WAPE and the peak slot.  Errors as in the
held-out backtest (:mod:`sim.crowd.forecast_backtest`; MAPE: Hyndman & Koehler 2006, IJF
22(4):679; WAPE: Kolassa & Schuetz 2007, Foresight 6:40)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.crowd.forecast_backtest import peak_slot_errors
from sim.crowd.history import resample_counts
from sim.crowd.peak_day import peak_scores
from sim.result import rounded


def _day_scores(d: pd.DataFrame) -> dict[str, float]:
    """Total error, mean APE over the days with a count, and interval coverage (fractions) of
    spot-day rows (arrivals_persons = forecast, lo/hi_persons, actual_persons)."""
    f, a = d["arrivals_persons"].to_numpy(float), d["actual_persons"].to_numpy(float)
    pos = a > 0
    inside = (a >= d["lo_persons"].to_numpy(float)) & (a <= d["hi_persons"].to_numpy(float))
    return {"total_error": f.sum() / a.sum() - 1.0 if a.sum() > 0 else np.nan,
            "mape": float(np.mean(np.abs(f[pos] - a[pos]) / a[pos])) if pos.any() else np.nan,
            "coverage": float(np.mean(inside)) if len(d) else np.nan}


def _slot_scores(s: pd.DataFrame) -> dict[str, float]:
    """WAPE (fraction), mean |peak-slot error| (fraction) and mean |peak shift| (h) of slot rows."""
    err, shift = peak_slot_errors(s.reset_index(drop=True))
    act = s["actual_persons"].to_numpy(float)
    return {"wape": np.abs(s["arrivals_persons"].to_numpy(float) - act).sum() / act.sum() if act.sum() > 0
            else np.nan, "peak_slot_error": float(np.mean(np.abs(err))), "peak_shift_h": float(np.mean(np.abs(shift)))}


@dataclass
class ForecastCheck:
    """Forecast against counts for the run's period.

    ``daily``: time, spot, arrivals_persons (forecast median), lo_persons, hi_persons,
    actual_persons (the spot-days with a count); ``sub_daily``: time, spot, arrivals_persons,
    actual_persons at ``freq`` (None where the sub-daily counts do not cover the period);
    ``peak``: time, spot, peak_prob (:func:`sim.crowd.peak_day.peak_day_probabilities` over the
    forecast's days), actual_persons for the spots whose every such day is counted (else None)."""

    origin: pd.Timestamp
    interval: float
    daily: pd.DataFrame
    sub_daily: pd.DataFrame | None = None
    freq: str | None = None
    peak: pd.DataFrame | None = None
    weather_note: str = "the rain of weather_csv for the period is taken as its weather forecast"

    def peak_scores(self) -> pd.DataFrame:
        """Per spot of ``peak``: the counted peak day (and its count), the forecast's most likely
        peak day, the probabilities it gave each, and the uniform probability (1 / days)."""
        s = peak_scores(self.peak)
        return s.assign(peak_day_actual=s["peak_day_actual"].dt.date, peak_day_likely=s["peak_day_likely"].dt.date,
                        uniform_prob=1.0 / s["days"])

    def by_spot(self) -> pd.DataFrame:
        """One row per spot: days compared, totals, total error, daily MAPE, interval coverage,
        the peak day (forecast and actual, date and persons); sub-daily WAPE and peak-slot error
        and shift where the sub-daily counts cover the period."""
        rows = []
        for sp, g in self.daily.groupby("spot", sort=False):
            f, a = g["arrivals_persons"].to_numpy(float), g["actual_persons"].to_numpy(float)
            ia, im = int(np.argmax(a)), int(np.argmax(f))
            sc = _day_scores(g)
            rows.append({"spot": sp, "days": len(g), "forecast_persons": f.sum(), "actual_persons": a.sum(),
                         "total_error_pct": 100.0 * sc["total_error"], "mape_pct": 100.0 * sc["mape"],
                         "coverage_pct": 100.0 * sc["coverage"],
                         "peak_day_actual": g["time"].iloc[ia].date(), "peak_day_actual_persons": a[ia],
                         "peak_day_forecast": g["time"].iloc[im].date(), "peak_day_forecast_persons": f[im]})
        out = pd.DataFrame(rows)
        if self.sub_daily is not None:
            sub = []
            for sp, g in self.sub_daily.groupby("spot", sort=False):
                sc = _slot_scores(g)
                sub.append({"spot": sp, "wape_pct": 100.0 * sc["wape"],
                            "peak_slot_error_pct": 100.0 * sc["peak_slot_error"], "peak_shift_h": sc["peak_shift_h"]})
            out = out.merge(pd.DataFrame(sub), on="spot", how="left")
        return out

    def summary(self) -> dict[str, Any]:
        d = self.daily
        sc = _day_scores(d)
        out: dict[str, Any] = {
            "fitted_before": str(self.origin.date()), "spot_days": int(len(d)),
            "total_error_pct": rounded(100 * sc["total_error"], 1), "mape_pct": rounded(100 * sc["mape"], 1),
            "interval_pct": round(100 * self.interval), "coverage_pct": rounded(100 * sc["coverage"], 1)}
        day0 = self.origin.normalize()
        during = self.origin != day0 and bool((d["time"] == day0).any())  # made during a day of the period
        if during:  # the day updated by its counts so far
            g = d[d["time"] == day0]
            sc = _day_scores(g)
            out["origin_day"] = {"date": str(day0.date()), "counted_to": str(self.origin.time())[:5],
                                 "spots": int(len(g)), "mape_pct": rounded(100 * sc["mape"], 1),
                                 "coverage_pct": rounded(100 * sc["coverage"], 1)}
        if self.sub_daily is not None:
            sc = _slot_scores(self.sub_daily)
            out[self.freq] = {"wape_pct": rounded(100 * sc["wape"], 1),
                              "peak_slot_error_pct": rounded(100 * sc["peak_slot_error"], 1),
                              "peak_shift_h": rounded(sc["peak_shift_h"], 2)}
        pk = self.peak_scores().set_index("spot") if self.peak is not None else None
        if pk is not None and len(pk):
            out["peak_day"] = {
                "spots": int(len(pk)), "most_likely_right": int((pk["peak_day_likely"] == pk["peak_day_actual"]).sum()),
                "mean_probability_of_the_counted_peak_pct": rounded(100 * pk["actual_prob"].mean(), 1),
                "mean_probability_of_the_most_likely_pct": rounded(100 * pk["likely_prob"].mean(), 1),
                "uniform_pct": rounded(100 * pk["uniform_prob"].mean(), 1),
                "note": "the probability the forecast gave each day it forecast of being the spot's busiest of "
                        "them (joint draws of the days), against the counted busiest of them; a calibrated "
                        "forecast's most likely day is right about as often as its mean probability"}
        spots = {}
        for r in self.by_spot().itertuples():
            row = {"forecast_persons": round(r.forecast_persons), "actual_persons": round(r.actual_persons),
                   "total_error_pct": rounded(r.total_error_pct, 1), "mape_pct": rounded(r.mape_pct, 1),
                   "coverage_pct": rounded(r.coverage_pct, 1),
                   "peak_day_actual": f"{r.peak_day_actual} ({r.peak_day_actual_persons:.0f})",
                   "peak_day_forecast": f"{r.peak_day_forecast} ({r.peak_day_forecast_persons:.0f})"}
            if pk is not None and r.spot in pk.index:
                q = pk.loc[r.spot]
                row.update(peak_day_actual=f"{q.peak_day_actual} ({q.peak_day_actual_persons:.0f}; forecast "
                                           f"probability {100 * q.actual_prob:.0f} %)",
                           peak_day_forecast=f"{q.peak_day_likely} (most likely: {100 * q.likely_prob:.0f} %)")
            if self.sub_daily is not None:
                row.update(wape_pct=rounded(r.wape_pct, 1), peak_slot_error_pct=rounded(r.peak_slot_error_pct, 1),
                           peak_shift_h=rounded(r.peak_shift_h, 2))
            spots[r.spot] = row
        out["spots"] = spots
        part = (f"from {self.origin} (its day's total with the counts before it)" if during
                else f"from {d['time'].min().date()}")
        out["note"] = (f"the forecast the run used (median and {100 * self.interval:.0f} % interval), fitted on the "
                       f"counts before {self.origin.date()}, against the counts {part}; {self.weather_note}")
        return out

    def table(self) -> pd.DataFrame:
        """Per spot-day: forecast, interval, actual, error and whether inside (the CSV)."""
        t = self.daily[["time", "spot", "arrivals_persons", "lo_persons", "hi_persons", "actual_persons"]].copy()
        t = t.rename(columns={"arrivals_persons": "forecast_persons"})
        act = t["actual_persons"].where(t["actual_persons"] > 0)
        t["error_pct"] = 100.0 * (t["forecast_persons"] / act - 1.0)
        t["inside_interval"] = (t["actual_persons"] >= t["lo_persons"]) & (t["actual_persons"] <= t["hi_persons"])
        t["time"] = t["time"].dt.date
        return t.round({"forecast_persons": 1, "lo_persons": 1, "hi_persons": 1, "error_pct": 2})


def check_forecast(daily_fc: pd.DataFrame, sub_fc: pd.DataFrame | None, counts: pd.DataFrame,
                   sub_counts: pd.DataFrame | None, origin: pd.Timestamp, interval: float, *,
                   peak: pd.DataFrame | None = None) -> ForecastCheck | None:
    """Compare a forecast with the counts of its days.

    ``daily_fc``: :func:`sim.crowd.forecast.predict_daily` (median, lo/hi); ``sub_fc``: the
    sub-daily median forecast (``attrs['freq']`` at or finer than the sub-daily counts') or
    None; ``counts``: daily counts (any step, summed to days); ``sub_counts``: the sub-daily
    counts or None.  None when no forecast day has a count.  A spot-day is compared where the
    counts hold it; the sub-daily comparison only where the sub-daily counts cover every
    forecast slot of the period (a part-covered day would distort the day's peak).  ``peak``: the
    probabilities of each forecast day of being the busiest of them; scored for the spots with
    two days or more, every one counted."""
    from sim.crowd.forecast import _daily

    act_days = _daily(counts).rename(columns={"arrivals_persons": "actual_persons"})
    d = daily_fc.merge(act_days, on=["time", "spot"], how="inner")
    if d.empty:
        return None
    d = d.sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
    sub = freq = None
    if sub_fc is not None and sub_counts is not None:
        freq = sub_counts.attrs.get("freq")
        f = resample_counts(sub_fc, freq)
        act = sub_counts.rename(columns={"arrivals_persons": "actual_persons"})[["time", "spot", "actual_persons"]]
        s = f.merge(act, on=["time", "spot"], how="left")
        if s["actual_persons"].notna().all():
            sub = s.sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
        else:
            freq = None
    pk = None
    if peak is not None:
        pk = peak.merge(act_days, on=["time", "spot"], how="left")
        full = pk.groupby("spot")["actual_persons"].transform(lambda v: v.notna().all() and len(v) >= 2)
        pk = pk[full.astype(bool)].reset_index(drop=True) if len(pk) else pk
        pk = pk if len(pk) else None
    return ForecastCheck(pd.Timestamp(origin), interval, d, sub, freq, pk)
