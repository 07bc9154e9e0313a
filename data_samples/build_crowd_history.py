"""Build the SYNTHETIC visitor-arrival history of the sample city's scenic spots (2019-2026).

Writes, into ``data_samples/chenzhou_crowd/`` (deterministic, seed 20190101):

* ``history.csv`` — daily arrivals per spot, 2019-01-01 .. 2026-12-31 (columns time, spot, count);
* ``history_hourly_2026.csv`` — hourly arrivals for 2026, summing to the daily file;
* ``weather.csv`` — daily rain (columns date, rain_mm).

Every number is SYNTHETIC, made by this script; nothing was measured.  Real series plug in
through the same CSV columns (``sim.crowd.history.load_counts``).

Generative model per spot s and day d (a multiplicative model, the usual structure of
tourist-arrival series; e.g. Song & Li 2008, Tourism Management 29(2):203)::

    mean = base(s) * trend(s)^years * season(s, month) * day(s, d) * rain(s, d)
    day  = weekday/weekend factor, or 1 + share(s) * (holiday(d) - 1) inside a holiday block
    count ~ NegativeBinomial(mean, dispersion 0.02)  (gamma-Poisson)

Holiday multipliers follow the usual Chinese pattern: the golden weeks peak on days 2-4 and drop
on the last (return) day; the Spring Festival follows the lunar day (the eve is spent at home, the
2nd-4th days of the first month are the outing peak).  The 2020 COVID-19 closures are NOT
modelled (2020 is a normal year here).  Rain lowers arrivals outdoors (indoor cave and museum
less).  Hours: arrivals split over the opening hours by a two-peak within-day shape per spot and
day type (workday / weekend / holiday), multinomially.

Run: ``python data_samples/build_crowd_history.py [--out DIR]``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20190101
START, END = "2019-01-01", "2026-12-31"
HOURLY_YEAR = 2026
DISPERSION = 0.02  # NB2 alpha: variance = mean + alpha * mean^2

# Per spot: weekday base arrivals in 2019 (persons/day), yearly growth, share of holiday tourists
# (how much of the holiday uplift reaches the spot), weekend factor, outdoor (rain-sensitive),
# season profile, opening hours and within-day peaks (hour of day).
SPOTS: dict[str, dict] = {
    "Suxian Hill Scenic Area": dict(base=2300, growth=1.06, share=1.0, weekend=1.9, outdoor=1.0,
                                    season="mountain", open_h=(7, 18), peaks=(9.5, 14.0)),
    "Fengshan Reservoir Lake": dict(base=520, growth=1.05, share=0.8, weekend=2.0, outdoor=1.0,
                                    season="water", open_h=(8, 18), peaks=(10.0, 14.5)),
    "Chenjiang Riverside Park": dict(base=2800, growth=1.02, share=0.35, weekend=1.6, outdoor=1.0,
                                     season="park", open_h=(6, 22), peaks=(7.5, 19.5)),
    "Yuxi Ancient Street": dict(base=3000, growth=1.07, share=0.85, weekend=1.8, outdoor=0.7,
                                season="street", open_h=(9, 22), peaks=(11.0, 19.0)),
    "Beihu Park": dict(base=1300, growth=1.03, share=0.45, weekend=1.9, outdoor=1.0,
                       season="park", open_h=(6, 21), peaks=(8.0, 16.0)),
    "Wanhua Rock Cave": dict(base=1000, growth=1.05, share=0.9, weekend=1.9, outdoor=0.3,
                             season="cave", open_h=(8, 17), peaks=(10.0, 14.0)),
    "Xiangnan Folk Museum": dict(base=420, growth=1.04, share=0.6, weekend=2.1, outdoor=0.25,
                                 season="indoor", open_h=(9, 17), peaks=(10.0, 14.5)),
}

# Month factors (Jan..Dec) by spot type: Chenzhou's spring and autumn are the outing seasons,
# July-August the school holidays (water and the cool cave gain), January the coldest month.
SEASON: dict[str, tuple[float, ...]] = {
    "mountain": (0.55, 0.7, 1.0, 1.15, 1.1, 0.95, 1.05, 1.05, 1.0, 1.2, 1.05, 0.65),
    "water": (0.4, 0.5, 0.8, 1.0, 1.15, 1.25, 1.45, 1.45, 1.1, 1.0, 0.7, 0.45),
    "park": (0.75, 0.85, 1.05, 1.15, 1.15, 1.05, 0.95, 0.95, 1.05, 1.15, 1.0, 0.8),
    "street": (0.85, 0.9, 0.95, 1.0, 1.05, 1.0, 1.15, 1.15, 1.0, 1.05, 0.95, 0.9),
    "cave": (0.6, 0.7, 0.85, 0.95, 1.0, 1.15, 1.5, 1.5, 1.0, 1.05, 0.8, 0.6),
    "indoor": (0.9, 0.95, 0.9, 0.95, 1.0, 1.0, 1.3, 1.3, 0.95, 1.0, 0.9, 0.9),
}

# Holiday multipliers (for share 1) at evenly spaced relative positions of the block.
HOLIDAY_KNOTS: dict[str, tuple[float, ...]] = {
    "national_day": (2.7, 3.5, 3.6, 3.2, 2.6, 1.9, 1.25),
    "may_day": (2.9, 3.2, 2.6, 1.9, 1.25),
    "new_year": (1.6, 1.9, 1.25),
    "qingming": (1.8, 2.1, 1.35),
    "dragon_boat": (2.1, 2.2, 1.4),
    "mid_autumn": (1.7, 2.0, 1.4),
    "special": (1.5, 1.6, 1.2),
}
# Spring Festival by lunar day: -1 = eve, 0 = first day of the first month, ...
SPRING_FESTIVAL_BY_LUNAR_DAY = {-2: 0.7, -1: 0.35, 0: 1.5, 1: 2.8, 2: 3.2, 3: 3.0, 4: 2.4, 5: 1.8,
                                6: 1.4, 7: 1.2, 8: 1.1, 9: 1.05}
LAST_DAY_SF = 0.8  # the Spring Festival's last day off: travel home

# Rain: wet-day probability and mean wet-day rain (mm) by month, Chenzhou-like (humid subtropical,
# about 1450 mm/yr, wet spring).  Effect on outdoor arrivals by daily rain class.
WET_PROB = (0.45, 0.5, 0.6, 0.62, 0.6, 0.55, 0.4, 0.42, 0.3, 0.3, 0.35, 0.35)
WET_MEAN_MM = (5.0, 7.0, 9.0, 12.0, 15.0, 17.0, 13.0, 11.0, 8.0, 7.0, 6.0, 4.5)
RAIN_EFFECT = ((0.0, 1.0), (0.1, 0.82), (10.0, 0.6), (25.0, 0.42))  # (from mm, factor)


def rain_factor(rain_mm: np.ndarray, outdoor: float) -> np.ndarray:
    f = np.ones_like(rain_mm, dtype=float)
    for lo, v in RAIN_EFFECT:
        f = np.where(rain_mm >= lo, v, f) if lo > 0 else f
    return f ** outdoor


def synth_weather(dates: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Daily rain: a two-state Markov chain (persistence 0.35) with gamma amounts (shape 0.8)."""
    m = dates.month.to_numpy() - 1
    p = np.asarray(WET_PROB)[m]
    u = rng.random(len(dates))
    wet = np.zeros(len(dates), dtype=bool)
    for i in range(len(dates)):
        # P(wet | wet) = p + 0.35 (1 - p), P(wet | dry) = 0.65 p: stationary wet fraction p
        pw = p[i] + 0.35 * (1 - p[i]) if i and wet[i - 1] else 0.65 * p[i]
        wet[i] = u[i] < pw
    amount = rng.gamma(0.8, np.asarray(WET_MEAN_MM)[m] / 0.8)
    rain = np.where(wet, np.maximum(np.round(amount, 1), 0.1), 0.0)
    return pd.DataFrame({"date": dates, "rain_mm": rain})


def holiday_multiplier(holiday: str, k: int, n: int, lunar_day: int | None) -> float:
    """Multiplier of day k of an n-day block (share 1)."""
    if holiday == "spring_festival" and lunar_day is not None:
        v = SPRING_FESTIVAL_BY_LUNAR_DAY.get(lunar_day, 1.0 if lunar_day > 9 else 0.7)
        return v * (LAST_DAY_SF if k == n and n > 1 else 1.0)
    knots = np.asarray(HOLIDAY_KNOTS.get(holiday, HOLIDAY_KNOTS["special"]))
    x = 0.0 if n <= 1 else (k - 1) / (n - 1)
    return float(np.interp(x, np.linspace(0.0, 1.0, len(knots)), knots))


def day_frame(start: str, end: str):
    """Calendar of each day with holiday multipliers (official calendar for 2019-2026)."""
    from sim.crowd.calendar import HolidayCalendar, festival_dates

    cal = HolidayCalendar()
    days = cal.day_table(start, end)
    years = range(days.index[0].year, days.index[-1].year + 1)
    cny = {y: festival_dates(y)["spring_festival"] for y in years}
    mult = np.ones(len(days))
    for i, (d, r) in enumerate(days.iterrows()):
        if r["status"] == "day_off":
            ld = (d.date() - cny[d.year]).days if r["holiday"] == "spring_festival" else None
            mult[i] = holiday_multiplier(r["holiday"], int(r["day_in_holiday"]),
                                         int(r["holiday_length_days"]), ld)
    days["holiday_multiplier"] = mult
    return days


def level_drift(n: int, rho: float, sd_log: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series (lag-1 correlation ``rho``, standard deviation ``sd_log``) of
    ``n`` days: a persistent multiplicative disturbance exp(a_t) of a spot's daily mean."""
    eta = rng.normal(0.0, sd_log * np.sqrt(1.0 - rho ** 2), n)
    a = np.empty(n)
    a[0] = rng.normal(0.0, sd_log)
    for i in range(1, n):
        a[i] = rho * a[i - 1] + eta[i]
    return a


def synth_daily(start: str = START, end: str = END, seed: int = SEED,
                drift: tuple[float, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily arrivals (time, spot, count) and weather (date, rain_mm), deterministic in ``seed``.

    ``drift`` (rho, sd_log): each spot's mean also carries a persistent disturbance
    (:func:`level_drift`, its own random stream, so the other draws are those of ``drift=None``):
    weeks above or below the calendar's expectation, as real series have (an event, a promotion,
    a road closed).  The shipped sample has none; tests and benchmarks of the forecast's
    carried level use it."""
    rng = np.random.default_rng(seed)
    drift_rng = np.random.default_rng(seed + 7)
    days = day_frame(start, end)
    dates = days.index
    weather = synth_weather(dates, rng)
    years = ((dates - pd.Timestamp(START)).days.to_numpy() / 365.25)
    month = dates.month.to_numpy() - 1
    weekend = (dates.day_of_week.to_numpy() >= 5)
    status = days["status"].to_numpy()
    rows = []
    for name, p in SPOTS.items():
        mean = p["base"] * p["growth"] ** years * np.asarray(SEASON[p["season"]])[month]
        dayf = np.where(weekend, p["weekend"], 1.0)
        dayf = np.where(status == "makeup_workday", 0.95, dayf)
        hol = status == "day_off"
        dayf = np.where(hol, 1.0 + p["share"] * (days["holiday_multiplier"].to_numpy() - 1.0), dayf)
        mean = mean * dayf * rain_factor(weather["rain_mm"].to_numpy(), p["outdoor"])
        if drift is not None:
            mean = mean * np.exp(level_drift(len(dates), drift[0], drift[1], drift_rng))
        lam = rng.gamma(1.0 / DISPERSION, DISPERSION * mean)
        count = rng.poisson(lam)
        rows.append(pd.DataFrame({"time": dates, "spot": name, "count": count}))
    return pd.concat(rows, ignore_index=True), weather


def within_day_shape(p: dict, day_type: str) -> np.ndarray:
    """Share of the day's arrivals in each hour 0..23 (two Gaussian peaks inside opening hours)."""
    h = np.arange(24) + 0.5
    m1, m2 = p["peaks"]
    w1 = {"workday": 0.55, "weekend": 0.6, "holiday": 0.66}[day_type]
    if day_type == "holiday":
        m1 -= 0.5
    s = w1 * np.exp(-0.5 * ((h - m1) / 1.4) ** 2) + (1 - w1) * np.exp(-0.5 * ((h - m2) / 1.9) ** 2)
    o, c = p["open_h"]
    s = np.where((h > o) & (h < c), s + 0.02, 0.0)
    return s / s.sum()


def synth_hourly(daily: pd.DataFrame, days: pd.DataFrame, seed: int = SEED + 1) -> pd.DataFrame:
    """Split each daily count over the hours, multinomially (sums to the daily count exactly)."""
    rng = np.random.default_rng(seed)
    out = []
    dtype = np.where(days["status"] == "day_off", "holiday",
                     np.where(days["is_workday"], "workday", "weekend"))
    dtype = pd.Series(dtype, index=days.index)
    for name, g in daily.groupby("spot", sort=False):
        p = SPOTS[name]
        shapes = {k: within_day_shape(p, k) for k in ("workday", "weekend", "holiday")}
        pv = np.stack([shapes[t] for t in dtype.reindex(g["time"]).to_numpy()])
        counts = rng.multinomial(g["count"].to_numpy(), pv)
        times = (g["time"].to_numpy()[:, None] + np.arange(24)[None, :] * np.timedelta64(1, "h")).ravel()
        out.append(pd.DataFrame({"time": times, "spot": name, "count": counts.ravel()}))
    return pd.concat(out, ignore_index=True)


HEADER = ("# SYNTHETIC data generated by data_samples/build_crowd_history.py (seed {seed}); "
          "not measured. See data_samples/chenzhou_crowd/README.md.\n")


def build(out: Path, seed: int = SEED) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    daily, weather = synth_daily(START, END, seed)
    days = day_frame(f"{HOURLY_YEAR}-01-01", f"{HOURLY_YEAR}-12-31")
    sel = daily[daily["time"].dt.year == HOURLY_YEAR]
    hourly = synth_hourly(sel, days, seed + 1)
    paths = {"history": out / "history.csv", "hourly": out / f"history_hourly_{HOURLY_YEAR}.csv",
             "weather": out / "weather.csv"}
    with paths["history"].open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER.format(seed=seed))
        daily.assign(time=daily["time"].dt.strftime("%Y-%m-%d")).to_csv(fh, index=False, lineterminator="\n")
    with paths["hourly"].open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER.format(seed=seed))
        hourly.assign(time=pd.to_datetime(hourly["time"]).dt.strftime("%Y-%m-%d %H:%M")).to_csv(
            fh, index=False, lineterminator="\n")
    with paths["weather"].open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER.format(seed=seed))
        weather.assign(date=weather["date"].dt.strftime("%Y-%m-%d")).to_csv(
            fh, index=False, lineterminator="\n", float_format="%.1f")
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "chenzhou_crowd")
    ap.add_argument("--seed", type=int, default=SEED)
    a = ap.parse_args(argv)
    for k, p in build(a.out, a.seed).items():
        print(f"{k}: {p} ({p.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
