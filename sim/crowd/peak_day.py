"""Which day of the period will be each spot's busiest: the probability of every day.

The bureau sets its staff, shuttles and traffic control by the peak day. The forecast's medians
name one, but the middle days of a golden week are often within a few per cent of each other,
so the day with the largest median is often not the busiest (National Day 2026 on the sample:
the right day at 1 spot of 6).  What the forecast does know is each day's chance.

The days of one spot are drawn jointly from the daily model's predictive distribution
(:mod:`sim.crowd.forecast`): log(1 + N) over the days ~ multivariate Student t with the fit's
residual degrees of freedom, location the regression's mean and scale matrix

    X Sigma_beta X' + s^2 W^-1/2 R W^-1/2,

the parameters' uncertainty (shared by the days: a level set too high is too high on every day)
plus the residuals', correlated from day to day as AR(1), R_ij = rho^|i - j| with rho the
lag-1 autocorrelation of the fit's whitened residuals (``SpotFit.lag1``); for a spot whose
residuals carry a drift, the GLS forecast's error covariance given the counted days
(:mod:`sim.crowd.forecast_ar`).  A day whose rain
class is not known yet adds the location of a class drawn with its probabilities, independently
of the other days (:mod:`sim.crowd.forecast_mixture`).  So each day's margin is the daily
forecast's distribution.
Predictive distribution of the normal linear model: Gelman et al., *Bayesian Data Analysis*
(3rd ed., 2013), Sec. 14.2; the multivariate t as a normal over the square root of a scaled
chi-square: Kotz & Nadarajah, *Multivariate t Distributions* (2004), eq. (1.1).
A day's probability is the share of draws in which it is the largest.  Days already counted
are fixed at their counts; a day under way (a run made during it) is drawn from its update
(:func:`sim.crowd.forecast_nowcast.posterior_total_draws`), independently of the later days.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from sim.crowd.forecast_ar import carried_cov
from sim.crowd.forecast_mixture import LogMixture

DRAWS = 4000  # joint draws per spot: a probability of 0.3 to about +-0.7 points (1 s.e.)


def joint_log_distribution(model, spot: str, start, end, weather: pd.DataFrame | None = None
                           ) -> tuple[pd.DatetimeIndex, LogMixture, np.ndarray]:
    """The days of [start, end], their margins of log(1 + arrivals) of ``spot`` (each day's
    mixture over its rain classes) and the scale matrix (days, days) of the t they share (module
    docstring; its diagonal is the margins' squared scale)."""
    from sim.crowd.forecast import _rows, day_mixture, spot_design

    r = _rows([spot], pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), model.calendar,
              weather if weather is not None else model.weather, model.rain_clim, strict=False,
              forecast=model.rain_forecast)
    f = model.fits[spot]
    X, w, extra = spot_design(model, spot, r)
    d = 1.0 / np.sqrt(w)
    if f.drift is not None:
        scale = carried_cov(f.result, X, d, f.drift, r["time"])
    else:
        lag = np.abs(np.subtract.outer(np.arange(len(r)), np.arange(len(r))))
        scale = X @ np.asarray(f.result.cov_params()) @ X.T + float(f.result.scale) * np.outer(d, d) * f.lag1 ** lag
    if extra is not None:
        scale = scale + extra
    return pd.DatetimeIndex(r["time"]), day_mixture(model, spot, r), scale


def joint_draws(margins: LogMixture, scale: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """(days, draws) arrivals (persons, >= 0): log(1 + N) = a rain class's location drawn for each
    day independently (``margins``) plus the days' multivariate t (``scale``, the margins' df)."""
    n = len(margins)
    try:
        f = np.linalg.cholesky(scale + 1e-12 * float(np.max(np.diag(scale))) * np.eye(n))
    except np.linalg.LinAlgError:  # semi-definite to rounding (nearly collinear days): the eigen square root
        w, v = np.linalg.eigh(scale)
        f = v * np.sqrt(np.clip(w, 0.0, None))
    df = float(margins.df[0])
    z = f @ rng.standard_normal((n, draws))
    loc = margins.draw_locations(rng, draws)
    return np.maximum(np.expm1(loc + z / np.sqrt(rng.chisquare(df, draws) / df)[None, :]), 0.0)


def peak_shares(draws: np.ndarray) -> np.ndarray:
    """Share of the draws (columns) in which each day (row) is the largest (ties: the first)."""
    return np.bincount(np.argmax(draws, axis=0), minlength=draws.shape[0]) / draws.shape[1]


def peak_day_probabilities(model, daily: pd.DataFrame, origin: pd.Timestamp, *,
                           today: Mapping[str, np.ndarray] | None = None, weather: pd.DataFrame | None = None,
                           draws: int = DRAWS, seed: int = 0) -> pd.DataFrame:
    """Per spot-day of ``daily`` (time, spot, arrivals_persons: the run's days) the probability
    ``peak_prob`` that the day is the spot's busiest of them.  Days before ``origin``'s day are
    counted (fixed); ``today``: per spot the draws of the total of ``origin``'s day where the run
    is made during it; the later days are drawn jointly (module docstring)."""
    day0 = pd.Timestamp(origin).normalize()
    rng = np.random.default_rng(seed)
    out = []
    for sp, g in daily.sort_values(["spot", "time"], kind="stable").groupby("spot", sort=False):
        times = pd.DatetimeIndex(g["time"])
        d = np.repeat(g["arrivals_persons"].to_numpy(float)[:, None], draws, axis=1)
        first = day0
        if today is not None and sp in today and (times == day0).any():
            d[times == day0] = rng.permutation(np.resize(np.asarray(today[sp], float), draws))
            first = day0 + pd.Timedelta(days=1)
        ahead = times >= first
        if ahead.any():
            t, margins, scale = joint_log_distribution(model, sp, times[ahead][0], times[-1], weather)
            d[ahead] = joint_draws(margins, scale, draws, rng)[t.get_indexer(times[ahead])]
        out.append(pd.DataFrame({"time": times, "spot": sp, "peak_prob": peak_shares(d)}))
    return pd.concat(out, ignore_index=True)


def peak_scores(pk: pd.DataFrame) -> pd.DataFrame:
    """Per spot of ``pk`` (time, spot, peak_prob, actual_persons): the days, the counted peak day
    and its count, the forecast's most likely day, the probabilities it gave each, the counted
    peak's expected probability were the forecast right (sum of the squared day probabilities)
    and whether the most likely day was the peak (``hit``)."""
    rows = []
    for sp, g in pk.sort_values(["spot", "time"], kind="stable").groupby("spot", sort=False):
        ia, im = int(np.argmax(g["actual_persons"].to_numpy())), int(np.argmax(g["peak_prob"].to_numpy()))
        rows.append({"spot": sp, "days": len(g), "peak_day_actual": g["time"].iloc[ia],
                     "peak_day_actual_persons": float(g["actual_persons"].iloc[ia]),
                     "actual_prob": float(g["peak_prob"].iloc[ia]), "peak_day_likely": g["time"].iloc[im],
                     "likely_prob": float(g["peak_prob"].iloc[im]), "expected_prob": float((g["peak_prob"] ** 2).sum()),
                     "hit": ia == im})
    return pd.DataFrame(rows)


def peak_day_summary(peak: pd.DataFrame) -> dict:
    """Per spot: the most likely peak day and its probability, and every day's (per cent)."""
    spots = {}
    for sp, g in peak.sort_values("time").groupby("spot", sort=True):
        i = int(np.argmax(g["peak_prob"].to_numpy()))
        spots[str(sp)] = {"most_likely": str(g["time"].iloc[i].date()),
                          "probability_pct": round(100.0 * float(g["peak_prob"].iloc[i]), 1),
                          "by_day_pct": {str(t.date()): round(100.0 * float(p), 1)
                                         for t, p in zip(g["time"], g["peak_prob"])}}
    return spots
