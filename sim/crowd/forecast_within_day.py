"""Within-day part of the arrival forecast: the profile of a day, how far real days scatter
round it, and the split of a daily forecast into 15-min or hourly arrivals with their prediction
intervals (:func:`split_days`).

A day's arrivals N at a spot are spread over its slots by a within-day profile p: the share of
each slot, per spot and day type (workday, weekend, holiday day off), the ratio of sums over the
days of that type. Real days scatter round the profile (a shower at noon, the coaches early), so
the slot counts of one day are taken as Dirichlet-multinomial with mean N p and precision a
(Mosimann 1962, Biometrika 49:65):

    Var(x_h | N) = N p_h (1 - p_h) C,    C = (N + a) / (1 + a),

the multinomial variance inflated by C. a -> infinity is the plain multinomial split; for
N >> a the share itself varies, with variance p (1 - p) / (1 + a). a is estimated by moments
from Pearson's X^2 of each day against the profile, E[X^2] = C (K - 1) for K open slots, the
inflation factor of cluster-sampled multinomial counts (Brier 1980, Biometrika 67:591).

A slot count's predictive distribution mixes the daily total's (Student t on log(1 + N), the
daily regression of :mod:`sim.crowd.forecast`; a mixture over the rain classes on a day of
uncertain rain) with the beta-binomial margin of the split. A slot of share p gets
Beta(a p, a (1 - p)) at any step (the Dirichlet's aggregation property), so a 15-min slot split
from an hourly profile keeps the hourly a. The interval is the mixture's
central quantiles by Monte Carlo with a fixed seed. Quantiles do not add: a day's slot bounds
do not sum to its daily bounds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.crowd.calendar import HolidayCalendar, day_type
from sim.crowd.forecast_mixture import LogMixture
from sim.crowd.history import FREQS
from twin.errors import InputError

DRAWS = 1000  # Monte Carlo draws per day: the 5 % / 95 % quantiles to about +-0.7 coverage points
_CHUNK = 16  # days per Monte Carlo block (memory: chunk x slots x DRAWS)


def _typed(counts: pd.DataFrame, calendar: HolidayCalendar | None) -> pd.DataFrame:
    """Sub-daily counts with their date, day type and slot (offset from midnight)."""
    f = counts.attrs.get("freq")
    if f is None or f == "1D":
        raise InputError(f"profile counts at {f}: expected a sub-daily step (15min, 30min or 1h)")
    cal = calendar or HolidayCalendar()
    c = counts[["time", "spot", "arrivals_persons"]].copy()
    c["date"] = c["time"].dt.normalize()
    days = cal.day_table(c["date"].min().date(), c["date"].max().date())
    types = pd.Series(day_type(days["status"], days.index.day_of_week), index=days.index)
    c["day_type"] = types.reindex(c["date"]).to_numpy()
    c["slot"] = c["time"] - c["date"]
    c.attrs["freq"] = f
    return c


def within_day_profiles(counts: pd.DataFrame, calendar: HolidayCalendar | None = None) -> pd.DataFrame:
    """Share of the daily arrivals in each sub-daily slot, per spot and day type.

    ``counts`` is a validated sub-daily series (:func:`sim.crowd.history.load_counts`).  Returns a
    frame indexed by (spot, day_type, slot) with column ``share`` (each spot/day type sums to 1)
    and column ``precision`` (the Dirichlet-multinomial a of that spot and day type, inf where
    the days scatter no more than a multinomial split: :func:`dm_precision`); ``slot`` is the
    offset from midnight.  Ratio of sums over all days of that type.
    """
    c = _typed(counts, calendar)
    num = c.groupby(["spot", "day_type", "slot"])["arrivals_persons"].sum()
    den = c.groupby(["spot", "day_type"])["arrivals_persons"].sum()
    share = (num / den.reindex(num.index.droplevel("slot")).to_numpy()).rename("share")
    prec = {}
    for key, g in c.groupby(["spot", "day_type"], sort=False):
        x = g.pivot(index="date", columns="slot", values="arrivals_persons").fillna(0.0)
        prec[key] = dm_precision(x.to_numpy(float), share.loc[key].reindex(x.columns).to_numpy(float))
    out = share.to_frame()
    out["precision"] = [prec[k[:2]] for k in out.index]
    out.attrs["freq"] = c.attrs["freq"]
    return out


def dm_precision(x: np.ndarray, p: np.ndarray) -> float:
    """Moment estimate of the Dirichlet-multinomial precision a from one day per row of ``x``
    (days, slots) against the profile ``p`` (slots): the summed Pearson X^2 of the days equals
    (K - 1) (D - 1)/D sum_d (N_d + a)/(1 + a) (Brier 1980; (D - 1)/D for p estimated from the same
    days), solved for a.  inf where the X^2 is no larger than a multinomial's."""
    p = np.asarray(p, float)
    x = np.asarray(x, float)
    n = x.sum(axis=1)
    x = x[n > 0]
    n = n[n > 0]
    open_ = p > 0
    k, d = int(open_.sum()), len(n)
    if k < 2 or d < 2:
        return float("inf")
    e = n[:, None] * p[None, open_]
    x2 = float((((x[:, open_] - e) ** 2) / e).sum())
    s = x2 / ((k - 1) * (d - 1) / d)
    if s <= d:
        return float("inf")
    return float(max((n.sum() - s) / (s - d), 1e-2))


def slot_intervals(dist: LogMixture, shares: np.ndarray, precision: np.ndarray, interval: float, *,
                   draws: int = DRAWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Central ``interval`` of each slot's arrivals (persons), (days, slots) each.

    Per day: the daily total log(1 + N) ~ ``dist`` (the regression's predictive distribution:
    Student t, a mixture over the rain classes on a day of uncertain rain), taken at ``draws``
    stratified quantiles; per slot the count given N is beta-binomial with shares ``shares``
    (days, slots) and precision ``precision`` (days; inf: binomial).  Quantiles of the mixture
    from the draws, with a fixed ``seed``.
    """
    return split_quantiles(total_draws(dist, draws), shares, precision, interval, seed=seed)


def total_draws(dist: LogMixture, draws: int = DRAWS) -> np.ndarray:
    """Daily totals (days, draws), persons: log(1 + N) ~ ``dist`` at ``draws`` stratified
    quantiles, rounded."""
    u = (np.arange(draws) + 0.5) / draws
    return np.rint(np.maximum(np.expm1(dist.ppf(u)), 0.0)).astype(np.int64)


def split_quantiles(tot: np.ndarray, shares: np.ndarray, precision: np.ndarray, interval: float, *,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Central ``interval`` of each slot's count, (days, slots) each, when a day's total is one of
    ``tot`` (days, draws; equally likely) split Dirichlet-multinomially with ``shares`` (days,
    slots) and ``precision`` (days; inf: multinomial margins, i.e. binomial)."""
    shares = np.asarray(shares, float)
    m, s = shares.shape
    draws = tot.shape[1]
    a = np.asarray(precision, float)
    q = ((1.0 - interval) / 2.0, (1.0 + interval) / 2.0)
    lo = np.zeros((m, s))
    hi = np.zeros((m, s))
    rng = np.random.default_rng(seed)
    for i0 in range(0, m, _CHUNK):
        sl = slice(i0, min(i0 + _CHUNK, m))
        p = np.clip(shares[sl], 1e-12, 1.0 - 1e-12)[:, :, None]
        ai = a[sl][:, None, None]
        fin = np.isfinite(ai)
        ae = np.where(fin, ai, 1.0)
        pb = rng.beta(ae * p, ae * (1.0 - p), size=(p.shape[0], s, draws))
        pb = np.where(fin, pb, p)
        x = rng.binomial(tot[sl][:, None, :], pb)
        b = np.quantile(x, q, axis=2)
        closed = shares[sl] <= 0
        lo[sl] = np.where(closed, 0.0, b[0])
        hi[sl] = np.where(closed, 0.0, b[1])
    return lo, hi


def split_factor(model, freq: str) -> int:
    """Slots of ``freq`` per profile slot of the daily model ``model``
    (:class:`sim.crowd.forecast.DailyModel`; the profiles' step must be ``freq`` or coarser)."""
    if model.profiles is None:
        raise InputError(f"freq {freq}: the model has no within-day profile; expected "
                         f"fit(..., profile_counts=<sub-daily counts>)")
    pf = model.profile_freq
    if FREQS[freq] < FREQS[pf]:
        return int(FREQS[pf] / FREQS[freq])
    if FREQS[freq] == FREQS[pf]:
        return 1
    raise InputError(f"freq {freq}: profiles are at {pf}; expected {pf} or finer")


def day_shares(model, spot: str, day_type_: str, freq: str) -> tuple[np.ndarray, float, str]:
    """A day's shares of its ``freq`` slots from midnight (a profile slot split evenly), the
    Dirichlet-multinomial precision of the profile, and the day type whose profile it is (another
    type where none was seen)."""
    split = split_factor(model, freq)
    have = set(model.profiles.index.droplevel("slot"))
    key = next(((spot, t) for t in (day_type_, "weekend", "workday", "holiday") if (spot, t) in have), None)
    if key is None:
        raise InputError(f"profile: no sub-daily counts for spot {spot!r}; expected profile "
                         f"counts for every forecast spot")
    p = model.profiles.loc[key].reindex(pd.timedelta_range("0h", "1D", freq=FREQS[model.profile_freq],
                                                           closed="left"))
    a = float(p["precision"].dropna().iloc[0]) if "precision" in p else float("inf")
    return np.repeat(p["share"].fillna(0.0).to_numpy() / split, split), a, key[1]


def split_days(model, day: pd.DataFrame, freq: str, slot_scatter: bool, seed: int) -> pd.DataFrame:
    """The daily forecast ``day`` (with its predictive distribution in the private columns of
    :mod:`sim.crowd.forecast_mixture`, kept) split into ``freq`` slots: the daily point times the
    profile share, the interval by :func:`slot_intervals` (``slot_scatter``) or the daily bounds
    times the share, and ``_hi_day``, the day at its upper bound spread by the profile."""
    split_factor(model, freq)
    dtype = day_type(day["status"], day["time"].dt.day_of_week)
    parts = []
    for k, ((spot, dt_), g) in enumerate(day.assign(day_type=dtype).groupby(["spot", "day_type"], sort=False)):
        sh, a, used = day_shares(model, spot, dt_, freq)
        n = len(g)
        rep = g.loc[g.index.repeat(len(sh))].reset_index(drop=True)
        rep["time"] = rep["time"] + np.tile(np.arange(len(sh)) * FREQS[freq], n)
        rep["arrivals_persons"] = rep["arrivals_persons"].to_numpy() * np.tile(sh, n)
        rep["_hi_day"] = rep["hi_persons"].to_numpy() * np.tile(sh, n)  # the day at its upper bound
        if slot_scatter:
            lo, hi = slot_intervals(LogMixture.of_frame(g), np.tile(sh, (n, 1)), np.full(n, a), model.interval,
                                    seed=seed + k)
            rep["lo_persons"], rep["hi_persons"] = lo.ravel(), hi.ravel()
        else:
            for c in ("lo_persons", "hi_persons"):
                rep[c] = rep[c].to_numpy() * np.tile(sh, n)
        rep["profile_day_type"] = used  # the profile used (another type if none was seen)
        parts.append(rep.drop(columns=["day_type"]))
    out = pd.concat(parts, ignore_index=True).sort_values(["spot", "time"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(interval=model.interval, freq=freq)
    return out
