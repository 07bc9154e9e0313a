"""Holiday-aware arrival forecast per scenic spot: daily regression, hourly/15-min by profile.

Daily model, one per spot: weighted least squares (statsmodels ``WLS``) on log(1 + arrivals)
with a level, linear trend, day of week (outside holiday blocks), month (season), rain class (CMA
daily grades, GB/T 28592-2012: light < 10 mm, moderate 10-25 mm, heavy >= 25 mm), make-up working
day, and for each holiday its level, day-in-holiday position (first/second/third/middle/penult/
last; the Spring Festival by lunar day, the eve = -1, plus its last day), block length, and last
year's same-holiday uplift of the spot (log ratio of its block mean to the 4 weeks before).  A
log-linear multiplicative model is the standard form for tourism demand with calendar effects
(Song & Li 2008, Tourism Management 29(2):203).  Two-step feasible GLS: residual variance
estimated separately for holiday days off and other days (each corrected for the parameters
fitted on its days by the hat matrix's diagonal), then WLS; prediction intervals are the
model's predictive distribution (``get_prediction(..., weights)``: parameter and residual
variance, Student t), back-transformed; on a day whose rain class is uncertain (the climatology
or a weather forecast's probabilities) a mixture of those t over the classes
(:mod:`sim.crowd.forecast_mixture`).  The point forecast is expm1 of the mean of log(1 + N):
the median where the rain is known; on a day of uncertain rain it carries the expected rain
effect (the mixture's median lies nearer the likeliest class and had the larger error: MAPE
21.1 % against 20.6 % on every held-out block of 2021-2026 forecast on the climatology).  One
model per spot keeps the fit linear in the number of spots.

A spot whose residuals persist from day to day (it has run above or below its calendar for
weeks) is refitted by GLS with drift-plus-noise errors, and its forecast starts from the last
counted days' level (:mod:`sim.crowd.forecast_ar`).  A day of a category the history never had
(a month, a holiday, a day position, a Spring Festival lunar day, a block length) borrows its
kin's effect with a wider interval and a warning (:mod:`sim.crowd.forecast_unseen`).

Hourly and 15-minute forecasts split each day by a within-day profile per spot and day type
(workday, weekend, holiday day off) estimated from sub-daily counts; a 15-min step from an hourly
profile shares each hour equally.  Their intervals mix the daily predictive distribution with the
day-to-day scatter of the slot counts round the profile (Dirichlet-multinomial, precision
estimated from the same counts: :mod:`sim.crowd.forecast_within_day`).  A day type missing from
the profile counts falls back to another type, shown in the output's ``profile_day_type``.

The backtest on held-out holidays and the seasonal-naive baseline it is judged against are in
:mod:`sim.crowd.forecast_backtest`.
"""
from __future__ import annotations

import contextlib
import difflib
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from sim.crowd.calendar import HOLIDAYS, HolidayCalendar, festival_dates
from sim.crowd.forecast_ar import Drift, carried_prediction, fit_ar_noise, fit_gls, is_persistent
from sim.crowd.forecast_mixture import COLUMNS as MIX_COLUMNS
from sim.crowd.forecast_mixture import RAIN_COLUMNS, LogMixture
from sim.crowd.forecast_unseen import Seen, borrow, seen_in
from sim.crowd.forecast_within_day import split_days, within_day_profiles
from sim.crowd.history import FREQS, resample_counts
from twin.errors import InputError

try:  # one BLAS thread: the per-spot matrices are small, threads only contend (5x faster)
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover - optional
    def _threadpool_limits(limits: int):
        return contextlib.nullcontext()

RAIN_CLASSES: tuple[tuple[str, float], ...] = (("light", 0.1), ("moderate", 10.0), ("heavy", 25.0))
PRE_HOLIDAY_DAYS = 28
DAY_TYPES = ("workday", "weekend", "holiday")


def rain_class_fractions(rain_mm: np.ndarray) -> np.ndarray:
    """One-hot (n, 3) light/moderate/heavy rain from daily rain (mm), GB/T 28592-2012 grades."""
    r = np.asarray(rain_mm, dtype=float)
    out = np.zeros((len(r), 3))
    out[:, 0] = (r >= 0.1) & (r < 10.0)
    out[:, 1] = (r >= 10.0) & (r < 25.0)
    out[:, 2] = r >= 25.0
    return out


def position_code(k: int, n: int) -> str:
    """Day k of an n-day block as first/second/third/middle/penult/last (only for 1-day blocks)."""
    if n <= 1:
        return "only"
    if k == 1:
        return "first"
    if k == n:
        return "last"
    if k == 2:
        return "second"
    if k == 3 and n >= 5:
        return "third"
    if k == n - 1:
        return "penult"
    return "middle"


def positions(rows: pd.DataFrame) -> np.ndarray:
    """:func:`position_code` of each row (columns day_in_holiday, holiday_length_days)."""
    return np.array([position_code(int(k), int(L)) for k, L in
                     zip(rows["day_in_holiday"], rows["holiday_length_days"])], dtype=object)


def _calendar_frame(cal: HolidayCalendar, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    days = cal.day_table(start.date(), end.date())
    cny = {y: pd.Timestamp(festival_dates(y)["spring_festival"]) for y in
           range(start.year, end.year + 1)}
    year = days.index.year
    lunar = (days.index - pd.DatetimeIndex([cny[y] for y in year])).days
    days["sf_lunar_day"] = np.where(days["holiday"].eq("spring_festival") & days["status"].eq("day_off"),
                                    lunar, 99)
    return days


def _block_starts(days: pd.DataFrame) -> pd.DataFrame:
    """One row per block in ``days``: holiday, year, first/last day."""
    off = days[days["status"] == "day_off"]
    first = off[off["day_in_holiday"] == 1]
    rows = []
    for d, r in first.iterrows():
        last = d + pd.Timedelta(days=int(r["holiday_length_days"]) - 1)
        y = last.year if r["holiday"] == "new_year" else d.year
        rows.append({"holiday": r["holiday"], "year": y, "first": d, "last": last,
                     "length_days": int(r["holiday_length_days"])})
    return pd.DataFrame(rows, columns=["holiday", "year", "first", "last", "length_days"])


def _uplifts(daily: pd.DataFrame, days: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    """Log uplift of each spot's holiday block over its 4 pre-holiday weeks (normal days)."""
    out: dict[tuple[str, str, int], float] = {}
    piv = np.log1p(daily.pivot(index="time", columns="spot", values="arrivals_persons"))
    normal = days["status"].reindex(piv.index).eq("normal")
    for b in _block_starts(days.loc[piv.index[0]:piv.index[-1]]).itertuples():
        blk = piv.loc[b.first:b.last]
        pre = piv.loc[b.first - pd.Timedelta(days=PRE_HOLIDAY_DAYS):b.first - pd.Timedelta(days=1)]
        pre = pre[normal.reindex(pre.index).fillna(False).to_numpy()]
        if len(blk) != b.length_days or len(pre) < 7:
            continue
        for s in piv.columns:  # a spot counted over the whole block and 7 of the days before it
            if blk[s].notna().all() and pre[s].notna().sum() >= 7:
                out[(s, b.holiday, b.year)] = float(blk[s].mean() - pre[s].mean())
    return out


@dataclass
class SpotFit:
    """One spot's fitted regression, its regressor names, residual variance per day group and
    the lag-1 autocorrelation of its whitened residuals over consecutive days (``lag1``: the
    day-to-day correlation of the joint forecast, :mod:`sim.crowd.peak_day`).

    Where that is significantly positive the residuals carry a drift (:mod:`sim.crowd.forecast_ar`,
    ``drift``; None: independent days) and ``result`` is the GLS fit under those errors."""

    result: object
    columns: list[str]
    group_var: dict[str, float]
    lag1: float = 0.0
    drift: Drift | None = None
    seen: Seen | None = None  # the training rows' categories (:mod:`sim.crowd.forecast_unseen`)


@dataclass
class DailyModel:
    """Fitted daily arrival models, one per spot (see module docstring); use :func:`forecast`."""

    fits: dict[str, SpotFit]
    spots: list[str]
    t0: pd.Timestamp
    history: pd.DataFrame
    calendar: HolidayCalendar
    weather: pd.DataFrame | None
    rain_clim: np.ndarray
    uplift: dict[tuple[str, str, int], float]
    interval: float
    profiles: pd.DataFrame | None = None
    profile_freq: str | None = None
    rain_forecast: pd.DataFrame | None = None  # sim.crowd.history.load_weather_forecast: its days' rain
    warned: set[str] = field(default_factory=set)  # warnings given on its forecasts (each once)
    short: frozenset[str] = frozenset()  # spots counted over less than the history (opened later...)


def _design(rows: pd.DataFrame, t0: pd.Timestamp, uplift: dict[tuple[str, str, int], float],
            pos: np.ndarray) -> pd.DataFrame:
    """Regressors of one spot's rows (columns time, spot, calendar columns, rain fractions) with
    their day positions ``pos`` (:func:`positions`)."""
    n = len(rows)
    cols: dict[str, np.ndarray] = {}
    spot = rows["spot"].to_numpy()
    dow = rows["time"].dt.day_of_week.to_numpy()
    month = rows["time"].dt.month.to_numpy()
    off = rows["status"].eq("day_off").to_numpy()
    makeup = rows["status"].eq("makeup_workday").to_numpy()
    hol = rows["holiday"].to_numpy()
    rain = rows[["rain_light", "rain_moderate", "rain_heavy"]].to_numpy()
    cols["level"] = np.ones(n)
    cols["trend_per_year"] = ((rows["time"] - t0).dt.days / 365.25).to_numpy()
    for k in range(1, 7):  # inside a holiday block the weekday does not matter
        cols[f"dow:{k}"] = ((dow == k) & ~off).astype(float)
    for mo in range(2, 13):
        cols[f"month:{mo}"] = (month == mo).astype(float)
    for j, (name, _) in enumerate(RAIN_CLASSES):
        cols[f"rain:{name}"] = rain[:, j]
    cols["makeup_workday"] = makeup.astype(float)
    sf = rows["sf_lunar_day"].to_numpy()
    length = rows["holiday_length_days"].to_numpy(dtype=float)
    for h in HOLIDAYS:
        mh = off & (hol == h)
        if not mh.any():
            continue
        # the holiday's level; its first day (lunar day 0 for the Spring Festival) is the
        # reference position
        cols[f"holiday:{h}"] = mh.astype(float)
        if h == "spring_festival":
            for d in np.unique(sf[mh]):
                if d != 0:
                    cols[f"sf_lunar_day:{int(d)}"] = (mh & (sf == d)).astype(float)
            cols["sf_last_day"] = (mh & (pos == "last")).astype(float)
        else:
            for c in np.unique(pos[mh]):
                if c != "first":
                    cols[f"position:{h}:{c}"] = (mh & (pos == c)).astype(float)
        long_ = mh & (length >= 4)
        if long_.any():  # length effect among the long blocks (5-10 days), relative to 7 days;
            # fit() drops it where the training blocks all have one length
            cols[f"log_length:{h}"] = np.where(long_, np.log(np.maximum(length, 1.0) / 7.0), 0.0)
    other = off & ~np.isin(hol, HOLIDAYS)  # official one-offs ("special")
    if other.any():
        cols["special_day_off"] = other.astype(float)
    ly = np.zeros(n)
    miss = np.zeros(n)
    yr = rows["time"].dt.year.to_numpy()
    mo_ = rows["time"].dt.month.to_numpy()
    for i in np.flatnonzero(off & np.isin(hol, HOLIDAYS)):
        y = yr[i] + 1 if hol[i] == "new_year" and mo_[i] == 12 else yr[i]
        v = uplift.get((spot[i], hol[i], y - 1))
        if v is None:
            miss[i] = 1.0
        else:
            ly[i] = v
    cols["last_year_uplift"] = ly
    cols["last_year_missing"] = miss
    return pd.DataFrame(cols, index=rows.index)


def _rain_columns(times: pd.Series, weather: pd.DataFrame | None, clim: np.ndarray,
                  strict: bool, forecast: pd.DataFrame | None = None) -> np.ndarray:
    """Rain class fractions (n, 3) of each row: the observed class (one-hot), else the monthly
    climatology; a ``forecast`` day (probabilities of each class) overrides both."""
    out = _observed_rain(times, weather, clim, strict)
    if forecast is not None:
        p = forecast.reindex(pd.DatetimeIndex(times.dt.normalize()))
        have = p.notna().all(axis=1).to_numpy()
        out[have] = p.to_numpy()[have]
    return out


def _observed_rain(times: pd.Series, weather: pd.DataFrame | None, clim: np.ndarray, strict: bool) -> np.ndarray:
    dates = times.dt.normalize()
    if weather is None:
        return clim[dates.dt.month.to_numpy() - 1] if clim.any() else np.zeros((len(times), 3))
    r = weather["rain_mm"].reindex(pd.DatetimeIndex(dates))
    if strict and r.isna().any():
        first = dates[r.isna().to_numpy()].iloc[0]
        raise InputError(f"weather: no rain_mm for {first.date()}; expected weather for every "
                         f"history day (or fit without weather)")
    out = rain_class_fractions(r.fillna(0.0).to_numpy())
    gap = r.isna().to_numpy()
    out[gap] = clim[dates.dt.month.to_numpy()[gap] - 1]
    return out


def _rows(spots: Sequence[str], start: pd.Timestamp, end: pd.Timestamp, cal: HolidayCalendar,
          weather: pd.DataFrame | None, clim: np.ndarray, strict: bool,
          forecast: pd.DataFrame | None = None) -> pd.DataFrame:
    days = _calendar_frame(cal, start, end)
    rows = pd.concat([days.reset_index().rename(columns={"date": "time"}).assign(spot=s) for s in spots],
                     ignore_index=True)
    rain = _rain_columns(rows["time"], weather, clim, strict, forecast)
    rows["rain_light"], rows["rain_moderate"], rows["rain_heavy"] = rain.T
    return rows


def _daily(history: pd.DataFrame) -> pd.DataFrame:
    f = history.attrs.get("freq", "1D")
    if f not in FREQS:
        raise InputError(f"history freq {f!r}: expected one of {', '.join(FREQS)}")
    d = history if f == "1D" else resample_counts(history, "1D")
    return d[["time", "spot", "arrivals_persons"]].copy()


def fit(history: pd.DataFrame, *, calendar: HolidayCalendar | None = None,
        weather: pd.DataFrame | None = None, profile_counts: pd.DataFrame | None = None,
        exclude: Iterable[tuple[str, str]] = (), interval: float = 0.9, carry_level: bool = True) -> DailyModel:
    """Fit the daily model on validated counts (any step; summed to days).

    ``weather``: :func:`sim.crowd.history.load_weather` frame covering the history (optional).
    ``profile_counts``: sub-daily counts for the within-day profiles (needed for hourly output).
    ``exclude``: (start, end) date ranges left out of the fit (e.g. closures), by the user's choice.
    ``carry_level``: spots whose residuals persist get AR(1) errors and their forecasts start from
    the last counted days' level (:mod:`sim.crowd.forecast_ar`); False: independent days always.
    Each spot is fitted on its own days, from its first count to its last (a spot opened after the
    others were first counted); a day missing in between is an error.
    """
    if not 0.5 <= interval < 1.0:
        raise InputError(f"interval {interval!r}: expected a coverage in [0.5, 1)")
    cal = calendar or HolidayCalendar()
    daily = _daily(history)
    spots = sorted(daily["spot"].unique())
    t0 = daily["time"].min()
    start, end = daily["time"].min(), daily["time"].max()
    clim = np.zeros((12, 3))
    if weather is not None:
        w = weather.loc[start - pd.Timedelta(days=366):end]
        frac = rain_class_fractions(w["rain_mm"].to_numpy())
        for m in range(12):
            sel = w.index.month == m + 1
            if sel.any():
                clim[m] = frac[sel].mean(axis=0)
    rows = _rows(spots, start, end, cal, weather, clim, strict=weather is not None)
    rows = rows.merge(daily, on=["time", "spot"], how="left")
    # each spot on its own counted days: a spot opened later (or closed earlier) than the others
    # is fitted from its first to its last count, borrowing what those never had (forecast_unseen)
    span = daily.groupby("spot")["time"].agg(["min", "max"])
    rows = rows[(rows["time"] >= rows["spot"].map(span["min"])) &
                (rows["time"] <= rows["spot"].map(span["max"]))].reset_index(drop=True)
    if rows["arrivals_persons"].isna().any():
        r = rows[rows["arrivals_persons"].isna()].iloc[0]
        raise InputError(f"history: spot {r['spot']!r} has no count for {r['time'].date()}; expected a count "
                         f"for every day from its first ({span.loc[r['spot'], 'min'].date()}) to its last")
    days = _calendar_frame(cal, start, end)
    uplift = _uplifts(daily, days)
    keep = np.ones(len(rows), dtype=bool)
    for a, b in exclude:
        a_, b_ = pd.Timestamp(a), pd.Timestamp(b)
        if b_ < a_:
            raise InputError(f"exclude ({a}, {b}): expected start <= end")
        keep &= ~((rows["time"] >= a_) & (rows["time"] <= b_)).to_numpy()
    rows = rows[keep].reset_index(drop=True)
    fits: dict[str, SpotFit] = {}
    with _threadpool_limits(1):
        for sp, r in rows.groupby("spot", sort=True):
            fits[sp] = _fit_spot(r, t0, uplift, carry_level)
    model = DailyModel(fits, spots, t0, daily, cal, weather, clim, uplift, interval,
                       short=frozenset(span.index[(span["min"] > start) | (span["max"] < end)]))
    if profile_counts is not None:
        model.profiles = within_day_profiles(profile_counts, cal)
        model.profile_freq = model.profiles.attrs["freq"]
    return model


def _too_few(r: pd.DataFrame, k: int) -> None:
    raise InputError(f"history: spot {r['spot'].iloc[0]!r} has {len(r)} days for {k} regressors, too few to "
                     f"estimate the day-to-day scatter; expected a longer history (a year or more)")


def _fit_spot(r: pd.DataFrame, t0: pd.Timestamp, uplift: dict[tuple[str, str, int], float],
              carry_level: bool = True) -> SpotFit:
    """Two-step feasible GLS of one spot: OLS, residual variance per day group, then WLS; then
    GLS with persistent errors where the residuals persist (``carry_level``, :mod:`sim.crowd.forecast_ar`)."""
    pos = positions(r)
    X = _design(r, t0, uplift, pos)
    seen = seen_in(r, X, pos)
    X = X.loc[:, (X != 0).any(axis=0)]
    Xa = X.to_numpy()
    if Xa.shape[0] <= Xa.shape[1]:
        _too_few(r, Xa.shape[1])
    # drop columns that add nothing (a holiday absent from the window, collinear codes):
    # R of the QR decomposition has a ~0 diagonal entry for each dependent column
    rd = np.abs(np.diag(np.linalg.qr(Xa, mode="r")))
    indep = rd > 1e-9 * rd.max()
    X, Xa = X.loc[:, indep], Xa[:, indep]
    from statsmodels.regression.linear_model import OLS, WLS  # here: statsmodels takes ~2 s to import

    y = np.log1p(r["arrivals_persons"].to_numpy())
    group = np.where(r["status"].eq("day_off"), "holiday", "normal")
    ols = OLS(y, Xa, hasconst=True).fit()
    # each group's residual variance, unbiased for the parameters the fit spent on it: E[e_i^2] =
    # sigma_i^2 (1 - h_ii), h the hat matrix's diagonal (Hoaglin & Welsch 1978, Am. Stat. 32(1):17).
    # The holiday days carry most of the ~50 holiday parameters: their plain residual variance was
    # about 1/3 too small, and the held-out holiday days' 90 % intervals covered 83 %
    dof = np.clip(1.0 - np.sum(np.linalg.qr(Xa, mode="reduced")[0] ** 2, axis=1), 0.0, 1.0)
    e2 = np.asarray(ols.resid) ** 2
    if dof.sum() < 1.0:
        _too_few(r, Xa.shape[1])
    pooled = float(e2.sum() / dof.sum())
    # a group whose every day has its own parameter (a short history with one holiday block) has
    # no residual degrees of freedom left: it takes the pooled variance
    var = {g: float(e2[group == g].sum() / dof[group == g].sum()) if dof[group == g].sum() >= 1.0 else pooled
           for g in ("holiday", "normal") if (group == g).any()}
    w = 1.0 / np.array([var[g] for g in group])
    res = WLS(y, Xa, weights=w, hasconst=True).fit()
    e = np.asarray(res.wresid)
    nxt = (r["time"].diff().dt.days == 1).to_numpy()[1:]  # pairs of consecutive days
    lag1 = float(np.corrcoef(e[:-1][nxt], e[1:][nxt])[0, 1]) if nxt.sum() > 2 else 0.0
    lag1 = float(np.clip(np.nan_to_num(lag1), -0.9, 0.95))
    ar = fit_ar_noise(r["time"], e) if carry_level and is_persistent(lag1, int(nxt.sum())) else None
    drift = None
    if ar is not None:
        res, drift = fit_gls(y, Xa, 1.0 / np.sqrt(w), r["time"], ar)
    return SpotFit(res, list(X.columns), var, lag1, drift, seen)


class UnseenDayWarning(UserWarning):
    """A forecast day of a category the history has no example of (:mod:`sim.crowd.forecast_unseen`)."""


def spot_design(model: "DailyModel", spot: str, r: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The fitted regressors of ``spot``'s rows ``r`` (from :func:`_rows`), their WLS weights
    (1 / residual variance of each row's day group) and the (rows, rows) covariance that days of
    categories the history never had add (:func:`sim.crowd.forecast_unseen.borrow`; None where
    there are none)."""
    f = model.fits[spot]
    pos = positions(r)
    X, extra, notes = borrow(_design(r, model.t0, model.uplift, pos), r, pos, f.columns,
                             np.asarray(f.result.params), f.seen)
    for note in notes:  # once per model (the spots share the calendar), per spot for a spot on its own days
        note = f"{spot}: {note}" if spot in model.short else note
        if note not in model.warned:
            model.warned.add(note)
            warnings.warn(note, UnseenDayWarning, stacklevel=3)
    group = np.where(r["status"].eq("day_off"), "holiday", "normal")
    return X.to_numpy(), 1.0 / np.array([f.group_var.get(g, f.group_var["normal"]) for g in group]), extra


def rain_effects(model: "DailyModel", spot: str) -> np.ndarray:
    """The fitted effects on log(1 + arrivals) of ``spot`` of each rain class (dry 0, light,
    moderate, heavy; a class absent from the history 0)."""
    coef = dict(zip(model.fits[spot].columns, np.asarray(model.fits[spot].result.params)))
    return np.array([0.0] + [coef.get(f"rain:{name}", 0.0) for name, _ in RAIN_CLASSES])


def day_mixture(model: "DailyModel", spot: str, r: pd.DataFrame) -> LogMixture:
    """The predictive distribution of log(1 + arrivals) of ``spot``'s rows ``r`` (from
    :func:`_rows`): Student t, a mixture over the rain classes on days whose class is uncertain
    (:mod:`sim.crowd.forecast_mixture`)."""
    f = model.fits[spot]
    X, w, extra = spot_design(model, spot, r)
    if f.drift is not None:
        loc, se = carried_prediction(f.result, X, 1.0 / np.sqrt(w), f.drift, r["time"])
    else:
        pr = f.result.get_prediction(X, weights=w)
        loc, se = np.asarray(pr.predicted_mean), np.asarray(pr.se_obs)
    if extra is not None:
        se = np.sqrt(se ** 2 + np.diag(extra))
    return LogMixture.of_regression(loc, se, float(f.result.df_resid),
                                    r[list(RAIN_COLUMNS)].to_numpy(float), rain_effects(model, spot))


def recent_levels(model: DailyModel) -> dict[str, dict]:
    """Per carried spot (:mod:`sim.crowd.forecast_ar`): how persistent its drift is per day, and how
    far above or below its calendar's expectation it ran on its last counted day (what a forecast
    starting after that day carries, fading by the persistence per day)."""
    return {sp: {"persistence_per_day": round(f.drift.phi, 3), "level_pct": round(f.drift.last_level_pct(), 1),
                 "on": str(f.drift.last_time.date())}
            for sp, f in model.fits.items() if f.drift is not None}


def _check_spots(model: DailyModel, spots: Sequence[str] | None) -> list[str]:
    if spots is None:
        return list(model.spots)
    for s in spots:
        if s not in model.spots:
            close = difflib.get_close_matches(str(s), model.spots, n=3, cutoff=0.5)
            raise InputError(f"spot {s!r}: expected one of the fitted spots"
                             + (f" (close: {', '.join(close)})" if close else f" ({', '.join(model.spots)})"))
    return list(spots)


MAX_YEARS_AHEAD = 2.0  # forecasts further past the history's last count warn: the trend is extrapolated


def predict_daily(model: DailyModel, start, end, *, spots: Sequence[str] | None = None,
                  weather: pd.DataFrame | None = None) -> pd.DataFrame:
    """Daily arrivals with the prediction interval, one row per (date, spot).

    Columns: time, spot, arrivals_persons (median; on a day of uncertain rain expm1 of the mean
    of log(1 + N), module docstring), lo_persons, hi_persons (central ``interval``),
    holiday, status, day_in_holiday, holiday_length_days, calendar_source, provisional.
    Rain from ``weather`` (else the model's weather, else the monthly climatology of the history);
    the days of ``model.rain_forecast`` take its class probabilities.
    """
    return _predict(model, start, end, spots, weather).drop(columns=list(_DIST))


_DIST = MIX_COLUMNS  # the daily predictive distribution (private columns), for the sub-daily intervals


def _predict(model: DailyModel, start, end, spots: Sequence[str] | None,
             weather: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`predict_daily` plus the predictive distribution of log(1 + arrivals) in the private
    columns ``_DIST``: its mean ``_log_mean`` and the Student t mixture over the rain classes
    (:class:`sim.crowd.forecast_mixture.LogMixture`, one t on days of known rain)."""
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if e < s:
        raise InputError(f"forecast range {s.date()}..{e.date()}: expected start <= end")
    spots = _check_spots(model, spots)
    last = pd.Timestamp(model.history["time"].max()).normalize()
    ahead_y = (e - last).days / 365.25
    if ahead_y > MAX_YEARS_AHEAD:
        warnings.warn(f"forecast to {e.date()}: {ahead_y:.1f} years past the last count ({last.date()}); the "
                      f"yearly trend is extrapolated that far (trust it up to about {MAX_YEARS_AHEAD:g} years)",
                      stacklevel=3)
    wx = weather if weather is not None else model.weather
    rows = _rows(spots, s, e, model.calendar, wx, model.rain_clim, strict=False, forecast=model.rain_forecast)
    parts = []
    for sp, r in rows.groupby("spot", sort=False):
        mix = day_mixture(model, sp, r)
        lo, hi = mix.ppf([(1.0 - model.interval) / 2.0, (1.0 + model.interval) / 2.0]).T
        parts.append(pd.DataFrame({"_lo": lo, "_hi": hi, **mix.columns()}, index=r.index))
    d = pd.concat(parts).loc[rows.index]
    out = pd.DataFrame({
        "time": rows["time"], "spot": rows["spot"],
        "arrivals_persons": np.expm1(d["_log_mean"]),
        "lo_persons": np.maximum(np.expm1(d["_lo"]), 0.0),
        "hi_persons": np.expm1(d["_hi"]),
        "holiday": rows["holiday"], "status": rows["status"], "day_in_holiday": rows["day_in_holiday"],
        "holiday_length_days": rows["holiday_length_days"], "calendar_source": rows["source"],
        "provisional": rows["provisional"], **{c: d[c] for c in _DIST}})
    out.attrs.update(interval=model.interval, freq="1D")
    return out.sort_values(["spot", "time"], kind="stable").reset_index(drop=True)


def forecast(model: DailyModel, start, end, *, freq: str = "1D", spots: Sequence[str] | None = None,
             weather: pd.DataFrame | None = None, capacities: pd.DataFrame | None = None,
             slot_scatter: bool = True, seed: int = 0) -> pd.DataFrame:
    """Arrivals at ``freq`` (``1D``, ``1h`` or ``15min``) for [start, end] (whole days).

    Sub-daily steps need the model's within-day profiles (``fit(..., profile_counts=...)``); the
    slot's arrivals are the daily point forecast times the profile share (they add up to the
    day's), its interval the mixture of the daily predictive distribution and the days' scatter round the
    profile (:func:`sim.crowd.forecast_within_day.slot_intervals`, Monte Carlo with ``seed``);
    ``slot_scatter=False`` gives the daily bounds times the share instead (every day exactly on
    its profile: too narrow where real days scatter).
    With ``capacities`` (:func:`sim.crowd.capacity.scenic_capacities`) adds ``alert`` and
    ``alert_hi`` (at the upper bound): daily arrivals against the daily capacity, sub-daily
    occupancy (arrivals of the last average stay, ``occupancy_persons``) against the
    instantaneous capacity (LB/T 034-2014; yellow 80 %, red 100 %); sub-daily ``alert_hi`` is
    the occupancy of the day at its upper bound spread by the profile.
    """
    if freq not in ("1D", "1h", "15min"):
        raise InputError(f"freq {freq!r}: expected 1D, 1h or 15min")
    day = _predict(model, start, end, spots, weather)
    if freq == "1D":
        out = day.drop(columns=list(_DIST))
    else:
        out = split_days(model, day, freq, slot_scatter, seed).drop(columns=list(_DIST))
    if capacities is not None:
        out = _add_alerts(out, capacities, freq)
    return out.drop(columns=["_hi_day"], errors="ignore")


def _add_alerts(fc: pd.DataFrame, cap: pd.DataFrame, freq: str) -> pd.DataFrame:
    from sim.crowd.capacity import alert_levels, occupancy_from_arrivals

    c = cap.set_index("name")
    out = []
    for spot, g in fc.groupby("spot", sort=False):
        if spot not in c.index:
            raise InputError(f"capacities: no row for spot {spot!r}; expected scenic_capacities(city)")
        g = g.copy()
        r = c.loc[spot]
        if freq == "1D":
            g["alert"] = alert_levels(g["arrivals_persons"].to_numpy(), r["daily_capacity_persons"])
            g["alert_hi"] = alert_levels(g["hi_persons"].to_numpy(), r["daily_capacity_persons"])
        else:
            step_min = FREQS[freq] / pd.Timedelta("1min")
            g["occupancy_persons"] = occupancy_from_arrivals(g["arrivals_persons"].to_numpy(), step_min,
                                                             float(r["stay_h"]))
            # the day at its upper bound, spread by the profile: slot quantiles do not add up to
            # an occupancy's
            occ_hi = occupancy_from_arrivals(g["_hi_day"].to_numpy(), step_min, float(r["stay_h"]))
            g["alert"] = alert_levels(g["occupancy_persons"].to_numpy(), r["instant_capacity_persons"])
            g["alert_hi"] = alert_levels(occ_hi, r["instant_capacity_persons"])
        out.append(g)
    res = pd.concat(out, ignore_index=True)
    res.attrs.update(fc.attrs)
    return res
