"""Historical arrival counts per scenic spot (CSV: time, spot, count) and daily weather.

``load_counts`` reads and validates a counts table: timestamps parse, every spot is a scenic spot
of the city (by name or place_id; errors list close matches), counts are finite and non-negative,
no (spot, time) appears twice and each spot's series has no gap at its step (15 min, 1 h or 1 day).
Each error names the file, row, spot, time or value.  ``time`` is the start of the counting
interval in local (Asia/Shanghai) time; time-zone-aware stamps are converted to it.
``resample_counts`` sums to a coarser step (15 min -> 1 h -> 1 day).
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from twin.errors import InputError

FREQS: dict[str, pd.Timedelta] = {"15min": pd.Timedelta("15min"), "30min": pd.Timedelta("30min"),
                                  "1h": pd.Timedelta("1h"), "1D": pd.Timedelta("1D")}
LOCAL_TZ = "Asia/Shanghai"


def spot_names(city) -> dict[str, str]:
    """Map of every accepted spot key (name and place_id) to the spot's name."""
    spots = city.places[city.places["kind"] == "scenic_spot"]
    out = {str(n): str(n) for n in spots["name"]}
    out.update({str(p): str(n) for p, n in zip(spots["place_id"], spots["name"])})
    return out


def _read(source: str | Path | pd.DataFrame, what: str) -> tuple[pd.DataFrame, str, int]:
    """The raw table, a label for messages, and the offset from frame index to file line."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), what, 0
    p = Path(source)
    if not p.is_file():
        raise InputError(f"{what} {p}: file not found")
    skip = 0  # leading '#' comment lines (e.g. the SYNTHETIC header of the sample data)
    try:
        with p.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.startswith("#"):
                    break
                skip += 1
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skiprows=skip)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {p}: not a readable CSV ({exc})") from None
    return df, f"{what} {p}", skip + 2


def _columns(df: pd.DataFrame, label: str, need: Sequence[str]) -> pd.DataFrame:
    df = df.rename(columns={c: str(c).strip().lower() for c in df.columns})
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(f"{label}: missing column(s) {', '.join(missing)}; expected {', '.join(need)} "
                         f"(found {', '.join(map(str, df.columns)) or 'none'})")
    if df.empty:
        raise InputError(f"{label}: no rows; expected {', '.join(need)} rows")
    return df


def _parse_times(raw: pd.Series, label: str, line0: int, col: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        t = raw
    else:
        t = pd.to_datetime(raw.astype(str).str.strip(), errors="coerce", format="mixed")
    bad = t.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{label} row {i + line0}: {col} {raw.iloc[i]!r}: expected a date/time "
                         f"such as 2026-10-01 09:00")
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return t.astype("datetime64[ns]")


def _numbers(raw: pd.Series, label: str, line0: int, col: str, ctx) -> np.ndarray:
    v = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{label} row {i + line0}{ctx(i)}: {col} {raw.iloc[i]!r}: expected a "
                         f"non-negative number")
    neg = v < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise InputError(f"{label} row {i + line0}{ctx(i)}: {col} {raw.iloc[i]!r}: expected a "
                         f"non-negative number ({int(neg.sum())} negative value(s))")
    return v


def infer_freq(times: pd.Series) -> str:
    """Smallest step between consecutive stamps, as one of ``FREQS`` (else InputError)."""
    t = np.sort(times.unique())
    if len(t) < 2:
        return "1D"
    step = pd.Timedelta(np.diff(t).min())
    for k, v in FREQS.items():
        if step == v:
            return k
    raise InputError(f"time step {step}: expected one of {', '.join(FREQS)}")


def load_counts(source: str | Path | pd.DataFrame, city=None, *, spots: Sequence[str] | None = None,
                freq: str | None = None) -> pd.DataFrame:
    """Validated arrivals: columns time, spot (the spot's name), arrivals_persons; sorted.

    ``city`` (or ``spots``) lists the valid spot names; ``freq`` forces the step (else inferred).
    ``attrs['freq']`` of the result holds the step.
    """
    df, label, line0 = _read(source, "counts")
    df = _columns(df, label, ("time", "spot", "count"))
    df = df.reset_index(drop=True)
    t = _parse_times(df["time"], label, line0, "time")
    known = spot_names(city) if city is not None else (
        {s: s for s in spots} if spots is not None else None)
    raw_spot = df["spot"].astype(str).str.strip()
    if known is not None:
        unknown = ~raw_spot.isin(list(known))
        if unknown.any():
            i = int(np.flatnonzero(unknown.to_numpy())[0])
            val = raw_spot.iloc[i]
            names = sorted(set(known.values()))
            close = difflib.get_close_matches(val, names, n=3, cutoff=0.5)
            hint = f" (close: {', '.join(close)})" if close else f" (known: {', '.join(names)})"
            raise InputError(f"{label} row {i + line0}: spot {val!r}: expected a scenic spot of the "
                             f"city{hint}")
        spot = raw_spot.map(known)
    else:
        spot = raw_spot
    v = _numbers(df["count"], label, line0, "count",
                 lambda i: f" (spot {spot.iloc[i]!r}, time {t.iloc[i]})")
    out = pd.DataFrame({"time": t, "spot": spot.to_numpy(), "arrivals_persons": v,
                        "_row": np.arange(len(df)) + line0})
    dup = out.duplicated(["spot", "time"], keep=False)
    if dup.any():
        d = out[dup].sort_values(["spot", "time", "_row"])
        a, b = d.iloc[0], d.iloc[1]
        raise InputError(f"{label} rows {a['_row']} and {b['_row']}: spot {a['spot']!r} time {a['time']} "
                         f"given twice; expected one count per spot and time")
    f = freq or infer_freq(out["time"])
    if f not in FREQS:
        raise InputError(f"freq {f!r}: expected one of {', '.join(FREQS)}")
    step = FREQS[f]
    off = out["time"] != out["time"].dt.floor(step)
    if off.any():
        r = out[off].iloc[0]
        raise InputError(f"{label} row {r['_row']}: time {r['time']} (spot {r['spot']!r}) is not on the "
                         f"{f} grid; expected stamps at whole {f} steps")
    for s, g in out.groupby("spot", sort=True):
        ts = g["time"].sort_values()
        full = pd.date_range(ts.iloc[0], ts.iloc[-1], freq=step)
        if len(full) != len(ts):
            missing = full.difference(pd.DatetimeIndex(ts))
            raise InputError(f"{label}: spot {s!r} has {len(missing)} missing {f} step(s), the first at "
                             f"{missing[0]}; expected a gap-free series (fill real zeros with 0)")
    out = out.drop(columns="_row").sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
    out.attrs["freq"] = f
    return out


def resample_counts(counts: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Sum arrivals to the coarser step ``freq`` (``15min``, ``30min``, ``1h`` or ``1D``).

    A forecast's interval bounds (``lo_persons``/``hi_persons``) are dropped: quantiles do not add
    (the daily interval is :func:`sim.crowd.forecast.predict_daily`'s).

    Refuses finer steps (use a within-day profile) and partial periods at the series' ends.
    """
    if freq not in FREQS:
        raise InputError(f"freq {freq!r}: expected one of {', '.join(FREQS)}")
    have = counts.attrs.get("freq") or infer_freq(counts["time"])
    if FREQS[freq] < FREQS[have]:
        raise InputError(f"freq {freq}: counts are at {have}; expected a step of {have} or coarser "
                         f"(sub-{have} shares come from forecast.within_day_profiles)")
    if freq == have:
        return counts.copy()
    step = FREQS[freq]
    per = int(step / FREQS[have])
    c = counts.assign(time=counts["time"].dt.floor(step))
    g = c.groupby(["spot", "time"], sort=True)
    out = g[["arrivals_persons"]].sum().reset_index()
    n = g.size().reset_index(name="n")
    part = n[n["n"] != per]
    if not part.empty:
        r = part.iloc[0]
        raise InputError(f"counts: spot {r['spot']!r} period {r['time']} has {r['n']} of {per} {have} "
                         f"steps; expected whole {freq} periods (trim the series to period bounds)")
    out.attrs["freq"] = freq
    return out


def _dates(df: pd.DataFrame, label: str, line0: int) -> pd.Series:
    """The ``date`` column parsed: whole days, each once."""
    t = _parse_times(df["date"], label, line0, "date")
    if (t != t.dt.normalize()).any():
        i = int(np.flatnonzero((t != t.dt.normalize()).to_numpy())[0])
        raise InputError(f"{label} row {i + line0}: date {df['date'].iloc[i]!r}: expected a date "
                         f"without time of day")
    dup = t.duplicated(keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())[:2] + line0
        raise InputError(f"{label} rows {rows[0]} and {rows[1]}: date {t[dup].iloc[0].date()} given twice; "
                         f"expected one row per date")
    return t


RAIN_PROB_COLUMNS = ("p_light", "p_moderate", "p_heavy")


def load_weather_forecast(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """A weather forecast: columns date and p_light, p_moderate, p_heavy, the forecast
    probabilities of the day's rain class (CMA daily grades, GB/T 28592-2012: light 0.1-10 mm,
    moderate 10-25 mm, heavy >= 25 mm; the rest of 1 dry); returns a frame indexed by date (days
    may be missing: those keep the observed rain or the climatology)."""
    df, label, line0 = _read(source, "weather forecast")
    df = _columns(df, label, ("date", *RAIN_PROB_COLUMNS)).reset_index(drop=True)
    t = _dates(df, label, line0)
    p = np.stack([_numbers(df[c], label, line0, c, lambda i: f" (date {t.iloc[i].date()})")
                  for c in RAIN_PROB_COLUMNS], axis=1)
    bad = (p > 1.0).any(axis=1) | (p.sum(axis=1) > 1.0 + 1e-6)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{label} row {i + line0} (date {t.iloc[i].date()}): p_light + p_moderate + p_heavy = "
                         f"{p[i].sum():g}; expected probabilities that add up to at most 1 (the rest is a dry day)")
    return pd.DataFrame(p, columns=list(RAIN_PROB_COLUMNS), index=pd.DatetimeIndex(t, name="date")).sort_index()


def load_weather(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Daily weather: columns date, rain_mm (>= 0); returns a frame indexed by date, gap-free."""
    df, label, line0 = _read(source, "weather")
    df = _columns(df, label, ("date", "rain_mm")).reset_index(drop=True)
    t = _dates(df, label, line0)
    rain = _numbers(df["rain_mm"], label, line0, "rain_mm", lambda i: f" (date {t.iloc[i].date()})")
    out = pd.DataFrame({"rain_mm": rain}, index=pd.DatetimeIndex(t, name="date")).sort_index()
    full = pd.date_range(out.index[0], out.index[-1], freq="D")
    if len(full) != len(out):
        missing = full.difference(out.index)
        raise InputError(f"{label}: {len(missing)} missing date(s), the first {missing[0].date()}; "
                         f"expected one row per day")
    return out
