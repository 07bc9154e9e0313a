"""The chart a duty officer reads during a holiday: each spot's arrivals today, counted up to the
forecast origin, then the forecast updated by those counts (median and 90 % band) beside the
forecast made before the day, and, where the files already hold them (a past day replayed), the
hours counted after the origin."""
from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd


def today_figure(fc: pd.DataFrame, plain: pd.DataFrame, now: pd.Timestamp, later: pd.DataFrame | None = None,
                 title: str = "") -> Any:
    """Small multiples per spot of the origin's day, as rates (persons/h).

    ``fc``: the run's 15-min arrivals (columns ``counted``, ``lo_persons``, ``hi_persons``);
    ``plain``: the 15-min forecast of the day not updated; ``later``: slot counts after ``now``
    (time, spot, actual_persons at the sub-daily counts' step, attrs ``freq``) or None."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    day0 = now.normalize()
    today = fc[(fc["time"] >= day0) & (fc["time"] < day0 + pd.Timedelta(days=1))]
    spots = list(dict.fromkeys(today["spot"].astype(str)))
    ncol = 2 if len(spots) > 1 else 1
    nrow = int(np.ceil(len(spots) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.5, 1.9 * nrow + 0.7), dpi=100, sharex=True, squeeze=False)
    per_h = pd.Timedelta(hours=1) / pd.Timedelta("15min")
    for ax, sp in zip(axes.ravel(), spots):
        g = today[today["spot"].astype(str) == sp]
        c, f = g[g["counted"]], g[~g["counted"]]
        ax.step(c["time"], c["arrivals_persons"] * per_h, where="post", color="black", lw=1.0, label="counted")
        ax.fill_between(f["time"], f["lo_persons"] * per_h, f["hi_persons"] * per_h, step="post", color="#3182bd",
                        alpha=0.25, lw=0, label="updated, 90 % band")
        ax.step(f["time"], f["arrivals_persons"] * per_h, where="post", color="#08519c", lw=1.2, label="updated")
        p = plain[plain["spot"].astype(str) == sp]
        ax.step(p["time"], p["arrivals_persons"] * per_h, where="post", color="#888888", lw=0.9, ls="--",
                label="forecast before the day")
        if later is not None and len(later):
            lt = later[later["spot"].astype(str) == sp]
            step = pd.Timedelta(later.attrs.get("freq", "1h"))
            ax.plot(lt["time"] + step / 2, lt["actual_persons"] * (pd.Timedelta(hours=1) / step), "o", ms=2.5,
                    mfc="white", mec="black", mew=0.7, label="counted later")
        ax.axvline(now, color="#d62728", lw=0.8)
        ax.set_title(sp, fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_ylim(bottom=0)
    for ax in axes.ravel()[len(spots):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("arrivals (persons/h)", fontsize=7)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=6.5, frameon=False)
    for ax in axes[-1]:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    fig.suptitle(title or textwrap.fill(f"Arrivals on {day0.date()}: counted to {now:%H:%M} (red line), then the "
                                        "forecast updated by those counts", 95), fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
