"""Within-day forecast: the Dirichlet-multinomial scatter of slot counts round the profile, the
slot intervals, and the sub-daily backtest on the SYNTHETIC sample history."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import t as student_t

from sim.crowd import forecast_backtest as FB
from sim.crowd.forecast_mixture import LogMixture
from sim.crowd.forecast_within_day import dm_precision, slot_intervals
from sim.crowd.history import load_counts, load_weather
from tests.conftest import ROOT
from twin.errors import InputError

DATA = ROOT / "data_samples" / "chenzhou_crowd"
N_DAYS = 400


def _profile() -> np.ndarray:
    """Two-peak hourly share, closed 19:00-08:00."""
    h = np.arange(24)
    p = np.exp(-0.5 * ((h - 10) / 1.5) ** 2) + 0.7 * np.exp(-0.5 * ((h - 15) / 2.0) ** 2)
    p[(h < 8) | (h > 18)] = 0.0
    return p / p.sum()


def _days(a: float, seed: int):
    """Days drawn from the model the intervals assume: log(1 + N) = m + 0.15 t(100), the slots
    Dirichlet-multinomial with precision a (inf: multinomial)."""
    rng = np.random.default_rng(seed)
    p = _profile()
    m = np.log(rng.uniform(800, 20000, N_DAYS))
    n = np.rint(np.expm1(m + 0.15 * rng.standard_t(100, N_DAYS))).astype(int)
    op = p > 0
    x = np.zeros((N_DAYS, len(p)))
    for i in range(N_DAYS):
        x[i, op] = rng.multinomial(n[i], rng.dirichlet(a * p[op]) if np.isfinite(a) else p[op])
    return p, m, x


@pytest.mark.parametrize("a", [50.0, 400.0])
def test_precision_estimate_recovers_the_dirichlet_multinomial(a):
    p, _, x = _days(a, seed=1)
    # moment estimator: X^2 over 400 days x 11 open slots; its scatter is a few per cent
    assert dm_precision(x, p) == pytest.approx(a, rel=0.15)


def test_multinomial_days_have_no_extra_scatter():
    p, _, x = _days(np.inf, seed=2)
    a = dm_precision(x, p)
    n_mean = x.sum(axis=1).mean()
    # variance inflation (N + a)/(1 + a) at the mean day: 1 for a multinomial split
    assert (n_mean + a) / (1 + a) < 1.05


def test_slot_bounds_are_the_daily_bounds_times_the_share_without_scatter():
    """a = inf and N ~ 1e9: binomial noise vanishes, so each slot's quantile is the daily
    quantile expm1(m +- t_q se) times its share (closed form)."""
    p = _profile()
    m, se, df = np.array([np.log(1e9)]), np.array([0.2]), np.array([50.0])
    lo, hi = slot_intervals(LogMixture.student(m, se, df), p[None, :], np.array([np.inf]), 0.9)
    q = student_t.ppf(0.95, 50)
    op = p > 0
    np.testing.assert_allclose(lo[0, op], np.expm1(m - q * se) * p[op], rtol=0.01)
    np.testing.assert_allclose(hi[0, op], np.expm1(m + q * se) * p[op], rtol=0.01)
    assert (lo[0, ~op] == 0).all() and (hi[0, ~op] == 0).all()


def test_slot_intervals_cover_at_their_nominal_rate_where_days_scatter():
    """Days scattered round the profile (a = 50): the 90 % slot intervals cover 90 % of the open
    slot counts (3 binomial s.e. counted over the 400 days, the slots of a day being correlated);
    the daily bounds times the share (every day on its profile) cover under half."""
    p, m, x = _days(50.0, seed=3)
    a = dm_precision(x, p)
    se, df = np.full(N_DAYS, 0.15), np.full(N_DAYS, 100.0)
    lo, hi = slot_intervals(LogMixture.student(m, se, df), np.tile(p, (N_DAYS, 1)), np.full(N_DAYS, a), 0.9)
    op = p > 0
    cov = ((x >= lo) & (x <= hi))[:, op].mean()
    assert abs(cov - 0.9) < 3 * np.sqrt(0.9 * 0.1 / N_DAYS)
    q = student_t.ppf(0.95, 100)
    lo0, hi0 = np.expm1(m - q * se)[:, None] * p, np.expm1(m + q * se)[:, None] * p
    assert ((x >= lo0) & (x <= hi0))[:, op].mean() < 0.5


# ------------------------------------------------------------------ sample history, hourly
@pytest.fixture(scope="module")
def hourly_report(sample_city):
    daily = load_counts(DATA / "history.csv", sample_city)
    hourly = load_counts(DATA / "history_hourly_2026.csv", sample_city)
    return FB.backtest_within_day(daily, hourly, weather=load_weather(DATA / "weather.csv"))


def test_hourly_backtest_on_held_out_holidays(hourly_report):
    r = hourly_report
    # the hourly counts cover 2026: its Spring Festival and National Day are held out
    assert sorted(zip(r.by_holiday["holiday"], r.by_holiday["year"])) == [
        ("national_day", 2026), ("spring_festival", 2026)]
    assert len(r.table) == (9 + 7) * 7 * 24 and r.freq == "1h"
    assert r.wape_model < r.wape_baseline
    # the synthetic days carry NB2 noise (dispersion 0.02, mean absolute log error
    # sqrt(2/pi)*0.14 = 11 %) plus the multinomial split: no model gets under that floor
    floor = np.sqrt(2 / np.pi) * np.sqrt(0.02)
    assert 0.9 * floor < r.wape_model < 1.8 * floor
    # 90 % intervals, 3 s.e. counted over the 112 held-out spot-days (slots of a day correlate)
    n_days = r.table.groupby(["spot", r.table["time"].dt.normalize()]).ngroups
    assert abs(r.coverage - 0.9) < 3 * np.sqrt(0.9 * 0.1 / n_days)
    # the generator's within-day peaks sit at fixed hours: the peak hour is found
    assert r.peak_shift_h < 0.5


def test_within_day_backtest_refuses_daily_or_short_counts(sample_city):
    daily = load_counts(DATA / "history.csv", sample_city)
    with pytest.raises(InputError, match="profile counts at 1D: expected a sub-daily step"):
        FB.backtest_within_day(daily, daily)
    hourly = load_counts(DATA / "history_hourly_2026.csv", sample_city)
    short = hourly[hourly["time"] < "2026-02-10"]
    short.attrs["freq"] = "1h"
    with pytest.raises(InputError, match=r"no complete spring_festival or national_day block in the sub-daily "
                                         r"counts \(2026-01-01..2026-02-09\)"):
        FB.backtest_within_day(daily, short)
