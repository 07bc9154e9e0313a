"""Forecast days of a calendar category the history never had: which effect they borrow, and the
uncertainty that adds.

The daily regression (:mod:`sim.crowd.forecast`) has one effect per category: each month, each
holiday's level and day positions, each Spring Festival lunar day, the length of long blocks.
A category with no day in the history has no estimate, and its column would silently read 0:
the reference (a January day; a holiday's first day; a plain day for a holiday never seen). A
new spot with ten months of counts then forecast National Day as an ordinary Monday. Here each
such day borrows the effect of its kin instead, and its prediction variance grows by how much
the kin differ:

* ordered categories (months on a 12-month cycle, Spring Festival lunar days on a line) are a
  random walk with step variance v, estimated as the mean of (e_b - e_a)^2 / (b - a) over the
  seen neighbours a < b. A category between seen a and b takes the Brownian bridge: weights
  (b - u, u - a) / (b - a) on e_a and e_b, variance (u - a)(b - u) / (b - a) v; one outside
  the seen range (lunar days only) takes the walk from its nearest seen category, variance
  |u - a| v. Two days in the same gap share the bridge (covariance s (L - t) / L v for
  offsets s <= t in a gap of length L; min(|u|, |w|) v for the same walk);
* exchangeable categories (a holiday's level, a position code such as ``third``, the length
  slope of long blocks) take the mean effect of the k other holidays that have it (a code none
  has: all their days after the first), with the variance of a new member of the group, the
  sample variance times (1 + 1/k) (one donor: its effect squared), shared by every day that
  borrows it. A history without a Spring Festival has no lunar-day shape: each of its days
  takes the borrowed level plus, on its own, the mean square of the other holidays' position
  effects (the first day's 0 included).

Both are linear combinations of fitted coefficients, so the parameter covariance of the
borrowed effect comes with the regression's own prediction; this module adds the borrowing's
variance on top. Any other category with no day in the history (a make-up working day, a rain
class, a one-off day off) keeps the reference and is named in a warning, so nothing is dropped
unsaid.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.crowd.calendar import HOLIDAYS
from twin.errors import InputError

ADJUSTMENTS = ("level", "trend_per_year", "last_year_uplift", "last_year_missing")  # not categories
BORROWED = ("month:", "sf_lunar_day:", "holiday:", "position:", "log_length:")  # handled by borrow()


@dataclass(frozen=True)
class Seen:
    """What a spot's training rows had: the design columns with a nonzero value, the months, the
    Spring Festival lunar days off, the holidays with a day off, and per holiday its position
    codes and its long-block lengths (days)."""

    columns: frozenset[str]
    months: frozenset[int]
    lunar_days: frozenset[int]
    holidays: frozenset[str]
    positions: dict[str, frozenset[str]]
    long_lengths: dict[str, frozenset[int]]


def seen_in(r: pd.DataFrame, D: pd.DataFrame, pos: np.ndarray) -> Seen:
    """The categories of training rows ``r`` with design ``D`` and position codes ``pos``."""
    off = r["status"].eq("day_off").to_numpy()
    hol = r["holiday"].to_numpy()
    length = r["holiday_length_days"].to_numpy()
    sf = off & (hol == "spring_festival")
    return Seen(columns=frozenset(D.columns[(D != 0).any(axis=0).to_numpy()]),
                months=frozenset(int(m) for m in np.unique(r["time"].dt.month)),
                lunar_days=frozenset(int(d) for d in np.unique(r["sf_lunar_day"].to_numpy()[sf])),
                holidays=frozenset(str(h) for h in np.unique(hol[off]) if h in HOLIDAYS),
                positions={h: frozenset(np.unique(pos[off & (hol == h)])) for h in HOLIDAYS},
                long_lengths={h: frozenset(int(L) for L in np.unique(length[off & (hol == h) & (length >= 4)]))
                              for h in HOLIDAYS})


def _day_span(times: np.ndarray, rows: np.ndarray) -> str:
    d = sorted({t.date() for t in pd.to_datetime(times[rows])})
    return str(d[0]) if len(d) == 1 else f"{d[0]} .. {d[-1]}"


def walk_step(effects: dict[int, float], period: int | None) -> float:
    """Random-walk step variance: the mean of (e_b - e_a)^2 / (b - a) over neighbouring seen
    categories a < b (on a cycle of ``period``, the last and the first too)."""
    k = sorted(effects)
    pairs = [(effects[a], effects[b], b - a) for a, b in zip(k[:-1], k[1:])]
    if period and len(k) > 1:
        pairs.append((effects[k[-1]], effects[k[0]], k[0] + period - k[-1]))
    return float(np.mean([(eb - ea) ** 2 / d for ea, eb, d in pairs])) if pairs else 0.0


def ordered(u: np.ndarray, seen: frozenset[int], period: int | None
            ) -> tuple[list[tuple[int, int, float]], np.ndarray]:
    """How rows at unseen ordered categories ``u`` (NaN: not borrowing) borrow from the ``seen``
    ones: (row, seen category, weight) terms, and the (n, n) covariance in units of the walk's
    step variance (Brownian bridge inside a gap, the walk outside the seen range; module
    docstring). ``period``: categories on a cycle (months: 12), else on a line."""
    k = np.array(sorted(seen), dtype=float)
    n = len(u)
    terms: list[tuple[int, int, float]] = []
    gap: list[tuple | None] = [None] * n
    s, L = np.zeros(n), np.zeros(n)
    for i in np.flatnonzero(~np.isnan(u)):
        x = u[i]
        below, above = k[k < x], k[k > x]
        if period:  # across the cycle's end when nothing lies on one side
            a, ka = (below.max(), below.max()) if below.size else (k.max() - period, k.max())
            b, kb = (above.min(), above.min()) if above.size else (k.min() + period, k.min())
        elif below.size and above.size:
            a, ka, b, kb = below.max(), below.max(), above.min(), above.min()
        else:  # a walk out of the seen range from its nearest end
            near = below.max() if below.size else above.min()
            terms.append((int(i), int(near), 1.0))
            gap[i], s[i] = ("walk", near, bool(below.size)), abs(x - near)
            continue
        terms += [(int(i), int(ka), (b - x) / (b - a)), (int(i), int(kb), (x - a) / (b - a))]
        gap[i], s[i], L[i] = ("gap", ka), x - a, b - a
    ids = {g: j for j, g in enumerate(dict.fromkeys(g for g in gap if g is not None))}
    gid = np.array([ids[g] if g is not None else -1 for g in gap])
    same = np.equal.outer(gid, gid) & (gid >= 0)[:, None]
    lo, hi = np.minimum.outer(s, s), np.maximum.outer(s, s)
    Lc = L[:, None]
    cov = np.where(same, np.where(Lc > 0, lo * (Lc - hi) / np.where(Lc > 0, Lc, 1.0), lo), 0.0)
    return terms, cov


def borrow(D: pd.DataFrame, r: pd.DataFrame, pos: np.ndarray, columns: list[str], coef: np.ndarray,
           seen: Seen) -> tuple[pd.DataFrame, np.ndarray | None, list[str]]:
    """The design ``D`` of forecast rows ``r`` (position codes ``pos``) on the fitted ``columns``
    (coefficients ``coef``), each day of an unseen category borrowing its kin's effect; the
    (rows, rows) covariance that adds on log(1 + arrivals) (None: nothing borrowed); and a note
    naming each unseen category and its days. Raises for a holiday when the history has no
    holiday at all to borrow from."""
    X = D.reindex(columns=columns, fill_value=0.0)
    c = dict(zip(columns, np.asarray(coef, dtype=float)))
    n = len(D)
    times = r["time"].to_numpy()
    extra = np.zeros((n, n))
    notes: list[str] = []

    def add(col: str, rows: np.ndarray, w) -> None:
        if col in X.columns:  # else the reference category: effect 0
            X.loc[rows, col] = X.loc[rows, col].to_numpy() + np.broadcast_to(w, (n,))[rows]

    def walk(u: np.ndarray, effects: dict[int, float], period: int | None, col, what, label) -> None:
        terms, cov = ordered(u, frozenset(effects), period)
        for i, key, w in terms:
            add(col(key), np.arange(n) == i, w)
        extra[:] += walk_step(effects, period) * cov
        for x in np.unique(u[~np.isnan(u)]):
            rows = u == x
            src = sorted({key for i, key, w in terms if rows[i] and w > 0})
            how = (f"interpolated between {label(src[0])} and {label(src[1])}" if len(src) == 2 else
                   f"forecast from {label(src[0])}")
            notes.append(f"{what(int(x))} ({_day_span(times, rows)}): no day of it in the history: {how}, "
                         f"with a wider interval")

    def pooled(cols: list[str], rows: np.ndarray, w, what: str, kin: str) -> None:
        have = [k for k in cols if k in c]
        if not have:
            notes.append(f"{what} ({_day_span(times, rows)}): no day of it or of its kin in the history: it takes "
                         f"the reference effect, with no allowance in the interval")
            return
        vals = np.array([c[k] for k in have])
        for k in have:
            add(k, rows, np.asarray(w) / len(have))
        a = np.where(rows, np.broadcast_to(w, (n,)), 0.0)
        # a new member of the kin: its spread round their mean, and the mean's own (1 + 1/k)
        var = float(np.var(vals, ddof=1)) * (1.0 + 1.0 / len(vals)) if len(vals) > 1 else float(vals[0] ** 2)
        extra[:] += var * np.outer(a, a)
        notes.append(f"{what} ({_day_span(times, rows)}): no day of it in the history: the mean effect of {kin} "
                     f"({len(have)}), their spread added to the interval")

    # months on a 12-month cycle (January the reference, effect 0)
    month = r["time"].dt.month.to_numpy()
    unseen = ~np.isin(month, list(seen.months))
    if unseen.any():
        walk(np.where(unseen, month, np.nan), {m: c.get(f"month:{m}", 0.0) for m in seen.months}, 12,
             lambda m: f"month:{m}", lambda m: f"month {m}", lambda m: f"month {m}")
    off = r["status"].eq("day_off").to_numpy()
    hol = r["holiday"].to_numpy()
    # Spring Festival lunar days on a line (lunar New Year's Day the reference, effect 0)
    sf = off & (hol == "spring_festival")
    lunar = r["sf_lunar_day"].to_numpy()
    unseen = sf & ~np.isin(lunar, list(seen.lunar_days))
    if unseen.any() and seen.lunar_days:
        walk(np.where(unseen, lunar, np.nan), {d: c.get(f"sf_lunar_day:{d}", 0.0) for d in seen.lunar_days},
             None, lambda d: f"sf_lunar_day:{d}",
             lambda d: f"Spring Festival day off on lunar day {d:+d} from New Year", lambda d: f"lunar day {d:+d}")
    elif unseen.any():  # no Spring Festival in the history: no lunar shape; the other holidays'
        # day positions' spread round their first days stands in for it, one draw per day
        shape = [v for k, v in c.items() if k.startswith("position:")]
        var = float(np.mean(np.square(shape + [0.0] * len(seen.holidays))))
        extra[np.diag_indices(n)] += np.where(sf, var, 0.0)
        notes.append(f"Spring Festival days off ({_day_span(times, sf)}): none in the history: each takes the "
                     f"block's level, with the other holidays' spread of days round their first for its "
                     f"unknown lunar-day shape")
    # holidays: level, day positions, long-block length, each from the other holidays
    length = r["holiday_length_days"].to_numpy(dtype=float)
    for h in HOLIDAYS:
        mh = off & (hol == h)
        if not mh.any():
            continue
        others = [g for g in HOLIDAYS if g != h and g in seen.holidays]
        if h not in seen.holidays:
            if not any(f"holiday:{g}" in c for g in others):
                raise InputError(f"history: no holiday day off at all, so no level for {h} "
                                 f"({_day_span(times, mh)}); expected a history with a holiday block (a year or more)")
            pooled([f"holiday:{g}" for g in others], mh, 1.0, f"{h} days off", "the other holidays' levels")
        if h != "spring_festival":
            kin = [g for g in others if g != "spring_festival"]
            for code in np.unique(pos[mh]):
                if code != "first" and code not in seen.positions.get(h, ()):
                    cols = [f"position:{g}:{code}" for g in kin]
                    label = f"the other holidays' '{code}' days"
                    if not any(k in c for k in cols):  # no holiday had the code: any non-first day
                        cols = [k for k in c if k.startswith("position:") and k.split(":")[1] in kin]
                        label = "the other holidays' days after their first"
                    pooled(cols, mh & (pos == code), 1.0, f"{h} day position '{code}'", label)
        long_ = mh & (length >= 4)
        if long_.any() and f"log_length:{h}" not in c:
            L0 = seen.long_lengths.get(h, frozenset())
            x = np.log(np.maximum(length, 1.0) / 7.0) - (np.log(min(L0) / 7.0) if len(L0) == 1 else 0.0)
            rows = long_ & (np.abs(x) > 1e-12)
            if rows.any():
                pooled([f"log_length:{g}" for g in others], rows, np.where(rows, x, 0.0),
                       f"{h} block of {int(length[rows][0])} days (its length effect)",
                       "the other holidays' length effects")
    # anything else with no day in the history keeps the reference, said aloud
    for col in D.columns[(D != 0).any(axis=0).to_numpy()]:
        if col in seen.columns or col in ADJUSTMENTS or col.startswith(BORROWED):
            continue
        notes.append(f"{col} ({_day_span(times, D[col].to_numpy() != 0)}): the history has no such day: it takes "
                     f"the reference effect, with no allowance in the interval")
    return X, (extra if extra.any() else None), notes
