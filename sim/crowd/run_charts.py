"""The crowd run's charts (PNG): occupancy against capacity per spot, and the daily arrivals with
their intervals, the counts the forecast is checked against and the days already counted."""
from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd


def daily_bars(daily: pd.DataFrame) -> tuple[list[pd.Timestamp], list[str], np.ndarray, np.ndarray | None,
                                            np.ndarray | None]:
    """The daily chart's data: dates, spots, arrivals (day, spot) and the interval bounds (day,
    spot), None for replayed counts (no interval)."""
    pv = daily.pivot_table(index="time", columns="spot", values="arrivals_persons", aggfunc="sum").sort_index()
    dates = [pd.Timestamp(t) for t in pv.index]
    spots = [str(c) for c in pv.columns]
    lo = hi = None
    if {"lo_persons", "hi_persons"} <= set(daily.columns):
        lo, hi = (daily.pivot_table(index="time", columns="spot", values=c, aggfunc="sum").loc[pv.index, pv.columns]
                  .to_numpy(float) for c in ("lo_persons", "hi_persons"))
    return dates, spots, pv.to_numpy(float), lo, hi


def occupancy_figure(steps: Any, title: str) -> Any:
    """One panel per spot of the network's 15-min steps (xarray): mean occupancy (blue), the
    step's maximum (dark line), 80 % (yellow) and 100 % (red) of the instantaneous capacity."""
    import matplotlib.pyplot as plt

    sps = [str(v) for v in steps.spot.values]
    fig, axes = plt.subplots(len(sps), 1, figsize=(7.5, 1.3 * len(sps) + 0.6), dpi=100, sharex=True)
    axes = np.atleast_1d(axes)
    t = pd.to_datetime(steps.time.values)
    for ax, sp in zip(axes, sps):
        d = steps.sel(spot=sp)
        cap = float(d.capacity_persons)
        ax.fill_between(t, np.asarray(d.occupancy_persons.values), color="#3182bd", alpha=0.6, lw=0)
        if "occupancy_max_persons" in d:  # the alerts and the report's peak use the maximum of each step
            ax.plot(t, np.asarray(d.occupancy_max_persons.values), color="#08306b", lw=0.6)
        ax.axhline(cap, color="#d62728", lw=0.8)
        ax.axhline(0.8 * cap, color="#e6b800", lw=0.8, ls="--")
        ax.set_ylabel(textwrap.fill(sp, 14) + "\n(persons)", fontsize=7, rotation=0, ha="right", va="center")
        ax.tick_params(labelsize=6)
    axes[0].set_title(title, fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def daily_figure(daily: pd.DataFrame | None, title: str, *, counts: pd.DataFrame | None = None,
                 fitted_before: pd.Timestamp | None = None, counted_to: str | None = None) -> Any:
    """Grouped bars per day (x = 0..n-1, date labels), one bar per spot, with the forecast
    interval as error bars (none for replayed counts); ``counts`` (time, spot, actual_persons:
    the counts the forecast is checked against) as open diamonds; the whole days counted before
    a forecast made during the period (``counted_to``) shaded; with ``peak_prob`` in ``daily``
    (:mod:`sim.crowd.peak_day`), each spot's most likely peak day marked with its probability."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 3.4), dpi=100)
    if daily is not None and len(daily):
        dates, spots, val, lo, hi = daily_bars(daily)
        n, m = val.shape
        width = 0.8 / m
        x = np.arange(n)
        for j, sp in enumerate(spots):
            err = None if lo is None else np.vstack([np.maximum(val[:, j] - lo[:, j], 0.0),
                                                     np.maximum(hi[:, j] - val[:, j], 0.0)])
            ax.bar(x - 0.4 + (j + 0.5) * width, val[:, j], width=width, yerr=err, capsize=1.5,
                   error_kw={"elinewidth": 0.6, "ecolor": "#444444"}, label=sp)
        if "peak_prob" in daily:  # each spot's most likely busiest day, with its chance
            pk = daily.pivot_table(index="time", columns="spot", values="peak_prob").loc[dates, spots].to_numpy(float)
            top_bar = hi if hi is not None else val
            for j in range(m):
                i = int(np.argmax(pk[:, j]))
                ax.text(x[i] - 0.4 + (j + 0.5) * width, top_bar[i, j], f" {100 * pk[i, j]:.0f}%", rotation=90,
                        fontsize=5.5, ha="center", va="bottom", color="#333333")
            ax.plot([], [], ls="none", label="n%: chance of being the spot's busiest day, on its most likely day")
        obs = None
        if counts is not None:  # the counts of the period (the forecast checked against them)
            pv = counts.pivot_table(index="time", columns="spot", values="actual_persons")
            obs = pv.reindex(index=pd.DatetimeIndex(dates), columns=spots).to_numpy(float)
            xs = np.repeat(x[:, None], m, axis=1) - 0.4 + (np.arange(m)[None, :] + 0.5) * width
            ax.plot(xs.ravel(), obs.ravel(), "D", ms=3.2, mfc="white", mec="black", mew=0.8, ls="none",
                    label=f"counted (forecast fitted before {pd.Timestamp(fitted_before).date()})")
        if counted_to is not None:  # whole days counted before a forecast made during the period
            k = sum(d < pd.Timestamp(counted_to).normalize() for d in dates)
            if k:
                ax.axvspan(-0.5, k - 0.5, color="#e8e8e8", zorder=0)
                ax.text(-0.45, 0.01, "counted", transform=ax.get_xaxis_transform(), fontsize=6, va="bottom")
        ax.set_xticks(x, [d.strftime("%m-%d") for d in dates], rotation=0, fontsize=7)
        ax.set_xlim(-0.6, n - 0.4)
        top = float(np.nanmax(hi if hi is not None else val)) if val.size else 1.0
        if obs is not None and np.isfinite(obs).any():
            top = max(top, float(np.nanmax(obs)))
        # room for the legend above the bars (and for the peak-day labels on top of them)
        ax.set_ylim(0, (1.5 if "peak_prob" in daily else 1.35) * max(top, 1.0))
        ax.legend(fontsize=6, ncol=3, loc="upper left")
    ax.set_ylabel("arrivals (persons/day)")
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig
