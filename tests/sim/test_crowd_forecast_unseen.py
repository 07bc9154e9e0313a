"""Forecast days of a category the history never had (sim.crowd.forecast_unseen): the random walk's
bridge against Gaussian conditioning, and short histories of the SYNTHETIC sample forecasting a
holiday they never saw."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim.crowd import forecast as F
from sim.crowd.forecast_unseen import ordered, walk_step
from tests.sim.test_crowd_forecast import SUXIAN, sample_inputs
from twin.errors import InputError


@pytest.fixture(scope="module")
def data(sample_city):
    return sample_inputs(sample_city)


def _conditioned_walk(seen: list[int], unseen: list[int], lo: int, hi: int):
    """Weights on the seen values and covariance of the unseen values of a unit-step Gaussian
    random walk on the integers lo..hi (diffuse start), conditioned on the seen values: the
    dense Gaussian conditioning the bridge formulas must equal."""
    grid = np.arange(lo, hi + 1)
    K = 1e6 + np.minimum.outer(grid - lo, grid - lo).astype(float)  # W(lo) ~ N(0, 1e6), unit steps
    s = [int(np.flatnonzero(grid == k)[0]) for k in seen]
    u = [int(np.flatnonzero(grid == k)[0]) for k in unseen]
    Kss_inv = np.linalg.inv(K[np.ix_(s, s)])
    W = K[np.ix_(u, s)] @ Kss_inv
    return W, K[np.ix_(u, u)] - W @ K[np.ix_(s, u)]


def test_borrowed_categories_are_the_random_walk_conditioned_on_the_seen_ones():
    """On a line: between two seen categories the Brownian bridge, beyond them the walk from the
    nearest; two unseen categories in one gap share the bridge, in different gaps nothing.  Both
    equal Gaussian conditioning of a dense random walk to 1e-4 (its start variance 1e6 stands in
    for a diffuse one).  On the 12-month cycle, December and January between September and March
    are the line's bridge from 9 to 15."""
    seen, unseen = [1, 5, 6], [2, 3, 8, 0, -1]
    u = np.array(unseen + [np.nan], dtype=float)
    terms, cov = ordered(u, frozenset(seen), None)
    W = np.zeros((len(u), len(seen)))
    for i, key, w in terms:
        W[i, seen.index(key)] += w
    Wd, Cd = _conditioned_walk(seen, unseen, -4, 12)
    assert np.allclose(W[:-1], Wd, atol=1e-4) and np.allclose(cov[:-1, :-1], Cd, atol=1e-4)
    assert (cov[-1] == 0).all() and W[-1].sum() == 0  # a row that borrows nothing
    assert cov[0, 0] == pytest.approx(3 / 4) and cov[0, 1] == pytest.approx(1 * 2 / 4)  # s (L - t) / L

    months = [3, 4, 9]
    terms, cov = ordered(np.array([12.0, 1.0, 6.0]), frozenset(months), 12)
    W = np.zeros((3, 3))
    for i, key, w in terms:
        W[i, months.index(key)] += w
    Wd, Cd = _conditioned_walk([-3, 3, 4, 9, 15], [12, 13, 6], -6, 18)  # the cycle unrolled: -3 is
    # September, 15 March
    assert np.allclose(W, np.c_[Wd[:, 1] + Wd[:, 4], Wd[:, 2], Wd[:, 0] + Wd[:, 3]], atol=1e-4)
    assert np.allclose(cov, Cd, atol=1e-4)
    # step variance: (e_b - e_a)^2 / (b - a) averaged over neighbours, the cycle's wrap included
    assert walk_step({3: 0.0, 4: 0.2, 9: -0.3}, 12) == pytest.approx((0.04 + 0.25 / 5 + 0.09 / 6) / 3)
    assert walk_step({3: 0.0, 4: 0.2, 9: -0.3}, None) == pytest.approx((0.04 + 0.25 / 5) / 2)


# held-out blocks, each fitted on the 11 months before it (no day of its holiday, nor of October
# for National Day); SF: lunar days, block level and shape all unseen
SHORT = [("2024-11-01", "2025-09-25", "2025-10-01", "2025-10-08"),
         ("2025-11-01", "2026-09-20", "2026-10-01", "2026-10-07"),
         ("2023-11-01", "2024-09-10", "2024-10-01", "2024-10-07"),
         ("2022-11-01", "2023-09-10", "2023-09-29", "2023-10-06"),
         ("2025-03-01", "2026-02-10", "2026-02-15", "2026-02-23"),
         ("2024-03-01", "2025-01-20", "2025-01-28", "2025-02-04"),
         ("2025-06-01", "2026-04-25", "2026-05-01", "2026-05-05"),
         ("2024-06-01", "2025-04-25", "2025-05-01", "2025-05-05")]


def _short(data, a, b):
    d = data["daily"]
    tr = d[(d["time"] >= a) & (d["time"] <= b)].copy()
    tr.attrs.update(d.attrs)
    return F.fit(tr, calendar=data["calendar"], weather=data["weather"])


def test_a_holiday_the_history_never_had_borrows_the_other_holidays_level_and_their_spread(data):
    """Eleven months of counts before each of 8 held-out blocks (National Day, Spring Festival,
    May Day; 7 spots, 399 spot-days), none of which the months contain.  Each such day takes the
    mean of the other holidays' levels, with their spread in its interval; the unseen month (for
    National Day, October) is bridged from its neighbours.  The 90 % intervals must cover the
    counts at about the nominal rate: 0.75-0.97 (the 7 spots of a block share one borrowed level,
    so the 399 days are about 8 independent draws).  Before, such a day silently took a plain
    day's level: coverage 9.8 %, the counts 2-4 x the forecast."""
    covered, n = 0, 0
    for a, b, s, e in SHORT:
        m = _short(data, a, b)
        with pytest.warns(F.UnseenDayWarning) as w:
            p = F.predict_daily(m, s, e, weather=data["weather"])
        hol = p["holiday"].iloc[0]
        assert any(f"{hol} days off" in str(x.message) for x in w), [str(x.message) for x in w]
        act = p.merge(data["daily"], on=["time", "spot"], suffixes=("", "_act"))["arrivals_persons_act"]
        covered += int(((act >= p["lo_persons"]) & (act <= p["hi_persons"])).sum())
        n += len(p)
    assert n == 399 and 0.75 <= covered / n <= 0.97, covered / n


def test_the_borrowed_level_is_the_other_holidays_mean_with_their_spread(data):
    """National Day 2025 from the 11 months before it, its second day: the design puts 1/k on each
    of the k other holidays' levels (their mean) and its variance grows by their sample variance
    times (1 + 1/k) (a new member of the group: its spread and the mean's uncertainty); the same
    for the other holidays' 'second' days; and October's season is the bridge between September's
    and November's, half of each, variance half a month's step."""
    m = _short(data, *SHORT[0][:2])
    f = m.fits[SUXIAN]
    r = F._rows([SUXIAN], pd.Timestamp("2025-10-02"), pd.Timestamp("2025-10-02"), m.calendar, data["weather"],
                m.rain_clim, strict=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", F.UnseenDayWarning)
        X, _, extra = F.spot_design(m, SUXIAN, r)
    coef = dict(zip(f.columns, f.result.params))
    levels = [c for c in f.columns if c.startswith("holiday:")]
    assert len(levels) >= 4 and "holiday:national_day" not in levels
    row = dict(zip(f.columns, X[0]))
    assert all(row[c] == pytest.approx(1 / len(levels)) for c in levels)
    def kin(cols):
        return np.var([coef[c] for c in cols], ddof=1) * (1 + 1 / len(cols))

    # October (unseen) halfway between September and November: a bridge of 2 steps, variance v / 2
    month = {mo: coef.get(f"month:{mo}", 0.0) for mo in range(1, 13) if mo != 10}
    v = walk_step(month, 12)
    second = [c for c in f.columns if c.startswith("position:") and c.endswith(":second")]
    assert len(second) >= 2 and row["month:9"] == pytest.approx(0.5) and row["month:11"] == pytest.approx(0.5)
    assert extra[0, 0] == pytest.approx(kin(levels) + v / 2 + kin(second), rel=1e-9)
    assert any(n.startswith("national_day days off (2025-10-02)") for n in m.warned), m.warned


def test_a_history_without_any_holiday_cannot_forecast_one(data):
    d = data["daily"]
    tr = d[(d["time"] >= "2026-07-01") & (d["time"] <= "2026-09-20")].copy()  # no day off: June's Dragon
    tr.attrs.update(d.attrs)  # Boat before, Mid-Autumn after
    m = F.fit(tr, calendar=data["calendar"], weather=data["weather"])
    with pytest.raises(InputError, match=r"no holiday day off at all, so no level for national_day "
                                         r"\(2026-10-01 \.\. 2026-10-03\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", F.UnseenDayWarning)
            F.predict_daily(m, "2026-09-28", "2026-10-03")


def test_a_spot_opened_later_is_fitted_on_its_own_days_and_leaves_the_others_unchanged(data):
    """Suxian counted only from 20 Nov 2025 (a new spot), the six others from 2019: Suxian's model
    is fitted on its own 305 days; the six others' forecasts equal, to the bit, those of the
    same history without Suxian; National Day 2026, which Suxian never had, is borrowed and the
    warning names the spot. A backtest leaves Suxian out of the blocks it has no last-year block
    for (no seasonal-naive baseline) and says so. A day missing inside a spot's counts is an
    error naming the spot and its first day."""
    d, w = data["daily"], data["weather"]
    cut = d[d["time"] <= "2026-09-20"]
    late = cut[(cut["spot"] != SUXIAN) | (cut["time"] >= "2025-11-20")].copy()
    late.attrs.update(d.attrs)
    without = cut[cut["spot"] != SUXIAN].copy()
    without.attrs.update(d.attrs)
    m = F.fit(late, calendar=data["calendar"], weather=w)
    assert int(m.fits[SUXIAN].result.nobs) == 305 and m.short == {SUXIAN}
    with pytest.warns(F.UnseenDayWarning, match=rf"^{SUXIAN}: national_day days off \(2026-10-01 \.\. 2026-10-07\)"):
        p = F.predict_daily(m, "2026-10-01", "2026-10-07", weather=w)
    ref = F.predict_daily(F.fit(without, calendar=data["calendar"], weather=w), "2026-10-01", "2026-10-07",
                          weather=w)
    pd.testing.assert_frame_equal(p[p["spot"] != SUXIAN].reset_index(drop=True), ref)
    full = d[(d["spot"] != SUXIAN) | (d["time"] >= "2025-11-20")].copy()
    full.attrs.update(d.attrs)
    from sim.crowd import forecast_backtest as FB

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", F.UnseenDayWarning)
        with pytest.warns(UserWarning, match=rf"backtest national_day 2026: {SUXIAN} not counted over national_day "
                                             r"2025 \(no seasonal-naive baseline\)"):
            r = FB.backtest(full, calendar=data["calendar"], weather=w, holidays=("national_day",), years=[2026])
    assert SUXIAN not in set(r.table["spot"]) and len(r.table) == 6 * 7
    gap = late[~((late["spot"] == SUXIAN) & (late["time"] == "2026-03-03"))].copy()
    gap.attrs.update(d.attrs)
    with pytest.raises(InputError, match=rf"spot '{SUXIAN}' has no count for 2026-03-03; expected a count for every "
                                         r"day from its first \(2025-11-20\) to its last"):
        F.fit(gap, calendar=data["calendar"], weather=w)
