"""The forecast's track record inside a crowd run (``forecast_backtest: true``): the held-out
backtests of :mod:`sim.crowd.forecast_backtest` on the run's own counts, as summary figures, a
table and a chart a bureau can read before trusting the forecast."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.crowd import forecast_backtest as FB
from sim.crowd.calendar import HolidayCalendar
from sim.crowd.forecast import UnseenDayWarning
from twin.errors import InputError

BLOCK_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


@dataclass
class ForecastTrackRecord:
    """Daily backtest (always) and the sub-daily one (where the sub-daily counts hold a block)."""

    daily: FB.BacktestReport
    within_day: FB.WithinDayReport | None
    within_day_note: str = ""
    update: FB.UpdateReport | None = None  # a run made during the day: the update at that hour
    lead_days: int = 1  # the daily backtest's counts end this many days before each block, as the run's
    weather_lead_days: int | None = None  # None: the held-out days' observed rain; else climatology

    def weather_used(self) -> tuple[str, str]:
        """The daily backtest's weather: a sentence (summary) and a short label (table, chart)."""
        w = self.weather_lead_days
        if w is None:
            return "the held-out days' observed rain (a perfect weather forecast)", "observed"
        if w > 0:
            return f"known to {w} day(s) before each block, its days on the monthly climatology", "climatology"
        return (f"known to day {1 - w} of each block, its later days on the monthly climatology",
                f"climatology after day {1 - w}")

    def summary(self) -> dict:
        d = self.daily
        out: dict[str, Any] = {"daily": {
            "held_out": [f"{r.holiday} {r.year}" for r in d.by_holiday.itertuples()],
            "spot_days": len(d.table), "mape_model_pct": round(100 * d.mape_model, 1),
            "mape_seasonal_naive_pct": round(100 * d.mape_baseline, 1),
            "interval_pct": round(100 * d.interval), "coverage_pct": round(100 * d.coverage, 1),
            "lead_days": self.lead_days,
            "weather": self.weather_used()[0]}}
        if d.peak is not None and len(d.peak):  # which day was the busiest (sim.crowd.peak_day)
            p = d.peak_scores()
            out["daily"]["peak_day"] = {
                "spot_blocks": p["spot_blocks"], "most_likely_right_pct": round(100 * p["hit_rate"], 1),
                "most_likely_stated_pct": round(100 * p["likely_prob"], 1),
                "last_years_peak_day_right_pct": round(100 * p["naive_hit_rate"], 1),
                "uniform_pct": round(100 * p["uniform_prob"], 1)}
        w = self.within_day
        if w is None:
            out["within_day"] = self.within_day_note
        else:
            out["within_day"] = {
                "step": w.freq, "held_out": [f"{r.holiday} {r.year}" for r in w.by_holiday.itertuples()],
                "slots": len(w.table), "wape_model_pct": round(100 * w.wape_model, 1),
                "wape_seasonal_naive_pct": round(100 * w.wape_baseline, 1),
                "peak_slot_error_pct": round(100 * w.peak_mape, 1), "peak_shift_h": round(w.peak_shift_h, 2),
                "interval_pct": round(100 * w.interval), "coverage_pct": round(100 * w.coverage, 1)}
        if self.update is not None:
            u = self.update.scores().iloc[0]
            out["within_day_update"] = {
                "counted_to": f"{int(u.counted_to_h):02d}:{round(60 * (u.counted_to_h % 1)):02d}",
                "held_out": list(dict.fromkeys(self.update.table["holiday_block"])), "spot_days": int(u.spot_days),
                "rest_of_day_wape_pct": round(100 * u.rest_wape_updated, 1),
                "rest_of_day_wape_plain_pct": round(100 * u.rest_wape_plain, 1),
                "day_total_mape_pct": round(100 * u.total_mape_updated, 1),
                "day_total_mape_plain_pct": round(100 * u.total_mape_plain, 1),
                "interval_pct": round(100 * self.update.interval),
                "coverage_rest_of_day_pct": round(100 * u.rest_coverage, 1),
                "coverage_day_total_pct": round(100 * u.total_coverage, 1)}
        out["note"] = ("each held-out holiday forecast by a model fitted on the counts before it only (daily: "
                       "ending lead_days before it, as this run's forecast; the sub-daily ones on the day "
                       "before); MAPE/WAPE "
                       "against the seasonal naive (same holiday last year, scaled); coverage: share of the "
                       "actual counts inside the prediction interval (open slots)")
        return out

    def table(self) -> pd.DataFrame:
        """One row per held-out block and step (1D, and the sub-daily step)."""
        d = self.daily.by_holiday.rename(columns={"mape_model": "error_model", "mape_baseline": "error_baseline"})
        d = d.assign(step="1D", error="MAPE", baseline="seasonal naive", lead_days=self.lead_days,
                     weather=self.weather_used()[1])
        parts = [d]
        if self.within_day is not None:  # (sub-daily: from the day before, on the observed rain)
            w = self.within_day.by_holiday.rename(columns={"wape_model": "error_model",
                                                           "wape_baseline": "error_baseline"})
            parts.append(w.assign(step=self.within_day.freq, error="WAPE", baseline="seasonal naive x profile",
                                  lead_days=1, weather="observed"))
        if self.update is not None:  # the plain forecast is the update's baseline
            u = self.update.scores(by=("holiday_block", "counted_to_h"))
            hb = u["holiday_block"].str.rsplit(" ", n=1, expand=True)
            parts.append(pd.DataFrame({
                "holiday": hb[0], "year": hb[1].astype(int),
                "days": self.update.table.groupby("holiday_block")["day"].nunique().reindex(u["holiday_block"])
                .to_numpy(),
                "error_model": u["rest_wape_updated"], "error_baseline": u["rest_wape_plain"],
                "coverage": u["rest_coverage"], "step": [f"{self.update.freq} from {h:g} h, updated"
                                                         for h in u["counted_to_h"]], "error": "WAPE",
                "baseline": "the forecast not updated", "lead_days": 0, "weather": "observed"}))
        t = pd.concat(parts, ignore_index=True)
        for c in ("error_model", "error_baseline", "coverage", "peak_mape"):
            if c in t:
                t[c] = (100 * t[c]).round(2)
        if "peak_shift_h" in t:
            t["peak_shift_h"] = t["peak_shift_h"].round(2)
        t = t.rename(columns={"error_model": "error_model_pct", "error_baseline": "error_baseline_pct",
                              "coverage": "coverage_pct", "peak_mape": "peak_slot_error_pct"})
        first = ["step", "holiday", "year", "days", "error", "error_model_pct", "baseline", "error_baseline_pct",
                 "coverage_pct"]
        return t[first + [c for c in t.columns if c not in first]]

    def figure(self) -> Any:
        """Forecast against actual (log axes) for the held-out spot-days and, where held, the
        sub-daily slots: median with its interval, one colour per held-out holiday."""
        import matplotlib.pyplot as plt

        panels = [("per spot-day", self.daily.table, "persons/day")]
        if self.within_day is not None:
            w = self.within_day.table
            panels.append((f"per spot and {self.within_day.freq} (open slots)", w[w["arrivals_persons"] > 0],
                           f"persons/{self.within_day.freq}"))
        fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels) + 0.6, 4.0), dpi=100)
        axes = np.atleast_1d(axes)
        colour = {b: BLOCK_COLOURS[i % len(BLOCK_COLOURS)]
                  for i, b in enumerate(dict.fromkeys(self.daily.table["holiday_block"]))}
        for ax, (what, t, unit) in zip(axes, panels):
            for b in dict.fromkeys(t["holiday_block"]):
                g = t[t["holiday_block"] == b]
                a, f = g["actual_persons"].to_numpy(float), g["arrivals_persons"].to_numpy(float)
                err = np.vstack([np.maximum(f - g["lo_persons"].to_numpy(float), 0.0),
                                 np.maximum(g["hi_persons"].to_numpy(float) - f, 0.0)])
                ax.errorbar(np.maximum(a, 0.5), np.maximum(f, 0.5), yerr=err, fmt="o", ms=2.5, lw=0.4,
                            color=colour.get(b, "#7f7f7f"), alpha=0.7, label=b.replace("_", " "))
            lo = max(0.5, float(np.nanmin(t[["actual_persons", "arrivals_persons"]].to_numpy()))) * 0.8
            hi = float(np.nanmax(t[["actual_persons", "hi_persons"]].to_numpy())) * 1.2
            ax.plot([lo, hi], [lo, hi], color="#444444", lw=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_xlabel(f"actual ({unit})", fontsize=8)
            ax.set_ylabel(f"forecast ({unit})", fontsize=8)
            ax.set_title(what, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6, loc="upper left")
        s = self.summary()
        d = s["daily"]
        ahead = "" if self.lead_days <= 1 else f" from {self.lead_days} days ahead"
        ahead += "" if self.weather_lead_days is None else f" on {self.weather_used()[1]}"
        text = (f"Held-out backtest: daily{ahead} MAPE {d['mape_model_pct']} % (seasonal naive "
                f"{d['mape_seasonal_naive_pct']} %), {d['coverage_pct']} % inside the {d['interval_pct']} % "
                "interval")
        if self.within_day is not None:
            w = s["within_day"]
            text += ("\n" if ahead else "; ") + (
                f"{w['step']}{' (from the day before, observed rain)' if ahead else ''} WAPE {w['wape_model_pct']} % "
                f"({w['wape_seasonal_naive_pct']} %), {w['coverage_pct']} % inside")
        if self.update is not None:
            u = s["within_day_update"]
            text += (f"\nupdated with the counts to {u['counted_to']}: rest of day WAPE {u['rest_of_day_wape_pct']} % "
                     f"(not updated {u['rest_of_day_wape_plain_pct']} %), {u['coverage_rest_of_day_pct']} % inside")
        fig.suptitle(text, fontsize=8)
        fig.tight_layout()
        return fig


def track_record(history: pd.DataFrame, sub_daily: pd.DataFrame | None, calendar: HolidayCalendar,
                 weather: pd.DataFrame | None, update_at_h: float | None = None, *, lead_days: int = 1,
                 weather_lead_days: int | None = None) -> ForecastTrackRecord:
    """Backtest the forecast on the run's counts: the last two complete Spring Festivals and
    National Days held out (daily, from ``lead_days`` ahead with the weather known to
    ``weather_lead_days`` before each block, as the run's own forecast: :func:`run_leads`), and
    every such block inside the sub-daily counts; with ``update_at_h`` (a run made during the
    day) also the within-day update at that time of day on those blocks.  A held-out day the
    history before it never had (``forecast.UnseenDayWarning``) is not the run's forecast: not warned."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenDayWarning)
        return _track_record(history, sub_daily, calendar, weather, update_at_h, lead_days, weather_lead_days)


def _track_record(history: pd.DataFrame, sub_daily: pd.DataFrame | None, calendar: HolidayCalendar,
                  weather: pd.DataFrame | None, update_at_h: float | None, lead_days: int,
                  weather_lead_days: int | None) -> ForecastTrackRecord:
    try:
        daily = FB.backtest(history, calendar=calendar, weather=weather, lead_days=lead_days,
                            weather_lead_days=weather_lead_days)
    except InputError as e:
        raise InputError(f"forecast_backtest: {e} (it holds out the last two complete Spring Festivals and National "
                         f"Days in history_csv, each needing the year before it; or set forecast_backtest: false)"
                         ) from None
    note = ""
    within = None
    if sub_daily is None:
        note = "no sub-daily counts: the hourly backtest needs hourly_csv"
    else:
        try:
            within = FB.backtest_within_day(history, sub_daily, calendar=calendar, weather=weather)
        except InputError as e:  # the daily record stands; say why the sub-daily one is missing
            note = str(e)
    update = None
    if within is not None and update_at_h is not None:
        update = FB.backtest_update(history, sub_daily, calendar=calendar, weather=weather, hours=[update_at_h])
    return ForecastTrackRecord(daily, within, note, update, lead_days, weather_lead_days)


def run_leads(known: pd.DataFrame, weather: pd.DataFrame | None, first_forecast_day: pd.Timestamp,
              last_forecast_day: pd.Timestamp) -> tuple[int, int | None]:
    """How far ahead a run forecasts: days from its last known count to its first forecast day
    (1: the day before), and, where its weather file stops before the last forecast day, days
    from the weather's last day to the first forecast day (0 or less: it stops inside the
    period; None: the weather covers the period, or there is no weather).  Not replayed: the days
    of a weather forecast (the backtest takes the climatology: there are no past forecasts)."""
    day = pd.Timestamp(first_forecast_day).normalize()
    lead = max(1, (day - pd.Timestamp(known["time"].max()).normalize()).days)
    if weather is None or weather.index.max() >= pd.Timestamp(last_forecast_day).normalize():
        return lead, None
    return lead, min((day - weather.index.max().normalize()).days, lead)
