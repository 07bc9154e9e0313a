"""The rest of today's arrivals from the counts so far: the forecast updated during a holiday.

At 11:00 on a golden-week day the bureau has the gate counts of the morning. With the day's
profile they say much about the day's total: if the share p of the day's arrivals usually in by
11:00 brought X persons, the day is near X / p. This combines that with the day's forecast by
Bayes' rule, under the within-day model of :mod:`sim.crowd.forecast_within_day`:

* prior: log(1 + N) ~ Student t (the daily regression's predictive distribution; a mixture of t
  over the rain classes on a day whose rain is not known, :mod:`sim.crowd.forecast_mixture`);
* likelihood of the morning: under the Dirichlet-multinomial split the morning's count X is
  beta-binomial given N, with parameters (a S, a (1 - S)) for the observed slots' share S (the
  Dirichlet's aggregation property; a = inf: binomial (N, S));
* the rest of the day: given N, the remaining R = N - X persons are split over the remaining
  slots Dirichlet-multinomially with shares p_j / (1 - S) and precision a (1 - S) (the
  Dirichlet's neutrality: the renormalised remaining shares are independent of the observed
  part's share).

The posterior of log(1 + N) is computed on a grid (prior density times likelihood; the
generalised binomial coefficient through log-gamma, so the grid need not be integer); its
``draws`` stratified quantiles give the remaining slots' intervals by the same Monte Carlo as
:func:`sim.crowd.forecast_within_day.slot_intervals`.  The remaining slots' point forecast is
the day's point less X, split by the remaining profile; the day's point is expm1 of the
posterior mean of log(1 + N), as the daily forecast's is of its mean (the median where that is
one t).  With no slot observed it is the plain forecast.
Beta-binomial: Johnson, Kemp & Kotz, *Univariate Discrete Distributions* (3rd ed., 2005), 6.2.2.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln

from sim.crowd.forecast_mixture import LogMixture
from sim.crowd.forecast_within_day import DRAWS, day_shares, split_quantiles
from sim.crowd.history import FREQS

GRID = 4001  # points of the log(1 + N) grid
_SPAN = 10.0  # grid half-width in the larger of the prior's and the likelihood's scales
_LIVE = 40.0  # the fine grid spans the coarse points within exp(-40) of the posterior's peak
# prior mass above a count in slots the profile leaves empty below which the day is taken as the
# count (the truncated prior's quantiles would be lost to rounding next to 1)
_FAR_TAIL = 1e-9


@dataclass
class DayUpdate:
    """One spot-day updated by its observed first slots: the point of the day's total (expm1 of
    the posterior mean of log(1 + N), as the daily forecast's point), its ``interval`` bounds, and
    per remaining slot the point forecast (the day's point less the observed, split by the
    remaining profile) and bounds (persons)."""

    total_point: float
    total_lo: float
    total_hi: float
    rest_point: np.ndarray
    rest_lo: np.ndarray
    rest_hi: np.ndarray
    total_draws: np.ndarray  # stratified quantiles of the day's total (persons)


def _log_likelihood(n: np.ndarray, x: float, s: float, a: float) -> np.ndarray:
    """log P(X = x | N = n) for the observed share ``s`` and precision ``a`` (inf: binomial)."""
    out = np.full(n.shape, -np.inf)
    ok = n >= x
    nn = n[ok]
    comb = gammaln(nn + 1.0) - gammaln(x + 1.0) - gammaln(nn - x + 1.0)
    if np.isfinite(a):
        out[ok] = comb + betaln(x + a * s, nn - x + a * (1.0 - s)) - betaln(a * s, a * (1.0 - s))
    else:
        out[ok] = comb + x * np.log(s) + (nn - x) * np.log1p(-s)
    return out


def posterior_total_draws(prior: LogMixture, x: float, s: float, a: float, draws: int = DRAWS
                          ) -> tuple[np.ndarray, float]:
    """Day totals N (``draws`` stratified quantiles of the posterior, persons, >= x) given x
    persons in the observed slots of share ``s``, and the posterior mean of log(1 + N); ``s`` = 0
    gives the prior's (truncated at x).  ``prior``: the day's predictive distribution of
    log(1 + N) (one day)."""
    u = (np.arange(draws) + 0.5) / draws
    if s <= 0.0:  # the profile expects nobody yet: the count only says N >= x (the prior truncated there)
        if x <= 0:
            return np.maximum(np.expm1(prior.ppf(u)[0]), 0.0), float(prior.mean[0])
        tail = float(prior.sf(np.array([[np.log1p(x)]]))[0, 0])
        if tail < _FAR_TAIL:  # the count is far past what the prior allows: the day is the count
            return np.full(draws, float(x)), float(np.log1p(x))
        g = prior.ppf(1.0 - tail * (1.0 - u))[0]
        return np.maximum(np.expm1(g), x), float(np.mean(np.maximum(g, np.log1p(x))))
    # grid over log(1 + N), coarse over the prior's and the likelihood's ranges (peak near x / s,
    # log sd about sqrt((1 - s) / (s (a + 1)) + (1 - s) / x)), then fine where the posterior lives
    lik_c = np.log1p(x / s)
    lik_sd = np.sqrt((1.0 - s) / (s * (a + 1.0)) + (1.0 - s) / max(x, 1.0)) if np.isfinite(a) else \
        np.sqrt((1.0 - s) / max(x, 1.0))
    p_lo, p_hi, p_s = float(prior.loc.min()), float(prior.loc.max()), float(prior.scale[0])
    lo = max(np.log1p(x), min(p_lo - _SPAN * p_s, lik_c - _SPAN * lik_sd))
    hi = max(p_hi + _SPAN * p_s, lik_c + _SPAN * lik_sd, lo + 1e-6)

    def log_post(g: np.ndarray) -> np.ndarray:
        return prior.logpdf(g[None, :])[0] + _log_likelihood(np.expm1(g), x, s, a)

    g = np.linspace(lo, hi, GRID)
    lp = log_post(g)
    live = np.flatnonzero(lp > lp.max() - _LIVE)
    g = np.linspace(g[max(live[0] - 1, 0)], g[min(live[-1] + 1, GRID - 1)], GRID)
    lp = log_post(g)
    w = np.exp(lp - lp.max())
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    # whole persons: a closed-out day is x
    return np.maximum(np.rint(np.interp(u, cdf, np.expm1(g))), x), float(np.sum(w * g) / np.sum(w))


def update_day(prior: LogMixture, shares: np.ndarray, precision: float, k: int, x: float, interval: float, *,
               draws: int = DRAWS, seed: int = 0) -> DayUpdate:
    """The day of profile ``shares`` (its slots, summing to 1) after its first ``k`` slots brought
    ``x`` persons: posterior of the total and the remaining slots' forecast.
    ``prior``: the day's predictive distribution of log(1 + N) (one day)."""
    shares = np.asarray(shares, float)
    rest = shares[k:]
    left = float(rest.sum())
    if left <= 0.0:  # the profile has nobody after the origin (a spot closed by then): the day is x
        tot = np.full(draws, float(x))
        z = np.zeros_like(rest)
        return DayUpdate(float(x), float(x), float(x), z, z, z.copy(), tot)
    tot, g = posterior_total_draws(prior, x, min(float(shares[:k].sum()), 1.0 - 1e-12), precision, draws)
    q = rest / left
    r = np.rint(np.maximum(tot - x, 0.0)).astype(np.int64)
    lo, hi = split_quantiles(r[None, :], q[None, :], np.array([precision * left]), interval, seed=seed)
    a_lo, a_hi = np.quantile(tot, ((1.0 - interval) / 2.0, (1.0 + interval) / 2.0))
    point = max(float(np.expm1(g)), x)
    return DayUpdate(point, float(a_lo), float(a_hi), (point - x) * q, lo[0], hi[0], tot)


def nowcast(model, origin: pd.Timestamp, end, observed: pd.DataFrame, *, freq: str = "15min",
            spots: Sequence[str] | None = None, weather: pd.DataFrame | None = None, slot_scatter: bool = True,
            seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Arrivals at ``freq`` from ``origin`` to the end of day ``end``, and the daily frame from the
    origin's day: the origin's day updated by its counts before ``origin`` (:func:`update_day`),
    the later days as :func:`sim.crowd.forecast.forecast` and :func:`~sim.crowd.forecast.predict_daily`.

    ``observed``: sub-daily counts (time, spot, arrivals_persons) holding every slot of the
    origin's day before ``origin`` for the spots; ``origin`` on a ``freq`` step.  The origin
    day's row in the daily frame is its posterior point and bounds (the observed part
    included); its ``attrs['total_draws']`` holds per spot the draws of that day's total
    (:mod:`sim.crowd.peak_day`).  ``slot_scatter=False``: the remaining slots' bounds are the
    day's posterior bounds less the observed, split by the profile (as the plain forecast's)."""
    from sim.crowd.calendar import day_type
    from sim.crowd.forecast import _DIST, _predict, forecast, predict_daily

    day0 = origin.normalize()
    step = FREQS[freq]
    k = int((origin - day0) / step)
    d0 = _predict(model, day0, day0, spots, weather)
    dtype = day_type(d0["status"], d0["time"].dt.day_of_week)
    prior = LogMixture.of_frame(d0)
    obs = observed[(observed["time"] >= day0) & (observed["time"] < origin)]
    parts, daily0, totals = [], [], {}
    for i in range(len(d0)):
        r = d0.iloc[i]
        sh, a, used = day_shares(model, r["spot"], dtype[i], freq)
        x = float(obs.loc[obs["spot"] == r["spot"], "arrivals_persons"].sum())
        u = update_day(prior[i], sh, a, k, x, model.interval, seed=seed + i)
        q = sh[k:] / sh[k:].sum() if sh[k:].sum() > 0 else np.zeros(len(sh) - k)
        rest = d0.iloc[[i]].drop(columns=list(_DIST)).loc[lambda f: f.index.repeat(len(q))].reset_index(drop=True)
        rest["time"] = origin + np.arange(len(q)) * step
        rest["arrivals_persons"] = u.rest_point
        if slot_scatter:
            rest["lo_persons"], rest["hi_persons"] = u.rest_lo, u.rest_hi
        else:
            rest["lo_persons"] = max(u.total_lo - x, 0.0) * q
            rest["hi_persons"] = max(u.total_hi - x, 0.0) * q
        rest["profile_day_type"] = used
        parts.append(rest)
        totals[r["spot"]] = u.total_draws
        daily0.append({"time": day0, "spot": r["spot"], "arrivals_persons": u.total_point,
                       "lo_persons": u.total_lo, "hi_persons": u.total_hi, "counted_persons": x})
    fc = pd.concat(parts, ignore_index=True)
    day = d0.drop(columns=list(_DIST)).drop(columns=["arrivals_persons", "lo_persons", "hi_persons"]).merge(
        pd.DataFrame(daily0), on=["time", "spot"])
    e = pd.Timestamp(end).normalize()
    if e > day0:
        later = forecast(model, day0 + pd.Timedelta(days=1), e, freq=freq, spots=spots, weather=weather,
                         slot_scatter=slot_scatter, seed=seed + len(d0))
        fc = pd.concat([fc, later], ignore_index=True)
        day = pd.concat([day, predict_daily(model, day0 + pd.Timedelta(days=1), e, spots=spots, weather=weather)],
                        ignore_index=True)
    fc = fc.sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
    fc.attrs.update(interval=model.interval, freq=freq)
    day = day.sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
    day.attrs.update(interval=model.interval, freq="1D", total_draws=totals)
    return fc, day
