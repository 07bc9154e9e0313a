"""Which day will be the busiest (sim.crowd.peak_day): the joint distribution's margins are the
daily intervals', two-day probabilities match the normal closed form, and on held-out holidays
of the SYNTHETIC sample the probabilities are calibrated and beat last year's peak day."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from sim.crowd import forecast as F
from sim.crowd import forecast_backtest as FB
from sim.crowd.calendar import HolidayCalendar
from sim.crowd.forecast_mixture import LogMixture
from sim.crowd.history import load_counts, load_weather
from sim.crowd.peak_day import joint_draws, joint_log_distribution, peak_shares
from tests.conftest import ROOT
from twin.errors import InputError
from twin.scenario import load_scenario

DATA = ROOT / "data_samples" / "chenzhou_crowd"


@pytest.fixture(scope="module")
def data(sample_city):
    return load_counts(DATA / "history.csv", sample_city), load_weather(DATA / "weather.csv")


def test_joint_margins_are_the_daily_predictive_distribution(data):
    """National Day 2026 fitted before it: the joint location and the diagonal of its scale matrix
    are the daily model's log mean and se_obs^2 (statsmodels get_prediction) to rel 1e-9; the
    matrix is symmetric positive definite, its off-diagonal the shared parameter uncertainty."""
    daily, weather = data
    train = daily[daily["time"] < pd.Timestamp("2026-10-01")]
    train.attrs.update(daily.attrs)
    m = F.fit(train, weather=weather)
    d = F._predict(m, "2026-10-01", "2026-10-07", ["Beihu Park"], weather)
    t, margins, scale = joint_log_distribution(m, "Beihu Park", "2026-10-01", "2026-10-07", weather)
    assert list(t) == list(d["time"]) and (margins.df == d["_df"].to_numpy()).all()
    np.testing.assert_allclose(margins.mean, d["_log_mean"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(scale)), d["_log_se"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(scale, scale.T, rtol=1e-12)
    assert np.linalg.eigvalsh(scale).min() > 0 and (scale[~np.eye(7, dtype=bool)] > 0).all()


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_two_days_match_the_normal_closed_form(rho):
    """Two days, normal (df 1e6): P(day 1 busier) = Phi((mu1 - mu2) / sqrt(s11 + s22 - 2 s12)),
    within 4 Monte Carlo s.e. (200,000 draws); three exchangeable days: 1/3 each."""
    mu = np.array([8.0, 7.9])
    sd = np.array([0.15, 0.12])
    s = np.outer(sd, sd) * np.array([[1.0, rho], [rho, 1.0]])
    n = 200_000
    p = peak_shares(joint_draws(LogMixture.student(mu, sd, 1e6), s, n, np.random.default_rng(1)))
    want = norm.cdf((mu[0] - mu[1]) / np.sqrt(s[0, 0] + s[1, 1] - 2 * s[0, 1]))
    assert p[0] == pytest.approx(want, abs=4 * np.sqrt(want * (1 - want) / n))
    three = peak_shares(joint_draws(LogMixture.student(np.full(3, 8.0), np.sqrt(0.02), 30.0),
                                    0.02 * (0.5 * np.eye(3) + 0.5), n, np.random.default_rng(2)))
    np.testing.assert_allclose(three, 1 / 3, atol=4 * np.sqrt(2 / 9 / n))


def test_a_day_of_uncertain_rain_draws_its_classes():
    """Two independent normal days, the first with a 30 % chance of heavy rain (its location 0.5
    lower): P(day 1 busier) = 0.7 Phi((m1 - m2) / s) + 0.3 Phi((m1 - 0.5 - m2) / s), s^2 = s11 +
    s22, within 4 Monte Carlo s.e. (200,000 draws)."""
    w = np.array([[0.7, 0.0, 0.0, 0.3], [1.0, 0.0, 0.0, 0.0]])
    loc = np.array([[8.1, 8.1, 8.1, 7.6], [8.0] * 4])
    sd = np.array([0.15, 0.12])
    n = 200_000
    p = peak_shares(joint_draws(LogMixture(w, loc, sd, np.full(2, 1e6)), np.diag(sd ** 2), n,
                                np.random.default_rng(3)))
    s = np.sqrt((sd ** 2).sum())
    want = 0.7 * norm.cdf(0.1 / s) + 0.3 * norm.cdf(-0.4 / s)
    assert p[0] == pytest.approx(want, abs=4 * np.sqrt(want * (1 - want) / n))


def test_held_out_holidays_are_covered_and_their_peak_days_calibrated(data):
    """Every holiday block of 2024-2026 in the sample (rolling origin, each fitted on the days
    before it): the daily 90 % intervals cover within 3 binomial s.e. of 90 % (they covered about
    83 % before each day group's residual variance was corrected for the parameters spent on it);
    the forecast's most likely peak day is right as often as its mean stated probability, and the
    counted peak's mean probability is its expectation under the forecast (sum of squared day
    probabilities), both within 3 s.e. over the spot-blocks; and it names the peak more often than
    last year's peak day (seasonal naive) and than a uniform guess."""
    daily, weather = data
    tables, peaks = [], []
    for h in ("spring_festival", "qingming", "may_day", "dragon_boat", "mid_autumn", "national_day"):
        for y in (2024, 2025, 2026):
            try:
                r = FB.backtest(daily, weather=weather, holidays=[h], years=[y])
            except InputError:  # 2025's Mid-Autumn is inside National Day
                continue
            tables.append(r.table)
            peaks.append(r.peak)
    t, p = pd.concat(tables), pd.concat(peaks)
    assert len(p) >= 100
    inside = ((t["actual_persons"] >= t["lo_persons"]) & (t["actual_persons"] <= t["hi_persons"])).mean()
    assert abs(inside - 0.9) < 3 * np.sqrt(0.09 / len(t))
    se = np.sqrt(0.25 / len(p))
    assert abs(p["hit"].mean() - p["likely_prob"].mean()) < 3 * se
    assert abs(p["actual_prob"].mean() - p["expected_prob"].mean()) < 3 * se
    assert p["hit"].mean() > p["naive_hit"].mean() and p["actual_prob"].mean() > (1 / p["days"]).mean()


def test_a_run_gives_each_day_its_chance(sample_city):
    """A run made on 3 October 11:00: 1-2 October are counted, so the smaller of them is never
    the peak (probability exactly 0) and the larger is the peak exactly when its count beats the
    draws of 3-7 October; the probabilities add up to 1 per spot.  The check scores the busiest of
    the days it checks, 3-7 October (a peak counted before the origin is no forecast's): uniform
    20 %, each spot's probabilities over those days adding up to 1."""
    from sim.crowd.arrivals import arrivals

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    a = arrivals(sample_city, p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11)}), HolidayCalendar())
    g = a.daily.groupby("spot")
    np.testing.assert_allclose(g["peak_prob"].sum().to_numpy(), 1.0, atol=1e-12)
    for sp, d in g:
        c = d[d["counted"]]
        assert len(c) == 2 and c["peak_prob"].min() == 0.0
        if c["arrivals_persons"].max() < d.loc[~d["counted"], "lo_persons"].max():  # below a later day's bound
            assert c["peak_prob"].max() < 0.06  # < 5 % in law; Monte Carlo s.e. 0.35 points
    s = a.check.summary()
    assert s["peak_day"]["spots"] == 6 and s["peak_day"]["uniform_pct"] == 20.0
    pk = a.check.peak
    assert pk["time"].min() == pd.Timestamp("2026-10-03") and pk["time"].nunique() == 5
    np.testing.assert_allclose(pk.groupby("spot")["peak_prob"].sum().to_numpy(), 1.0, atol=1e-12)
    sc = a.check.peak_scores().set_index("spot")
    for sp, d in pk.groupby("spot"):
        assert sc.loc[sp, "actual_prob"] == d.loc[d["actual_persons"].idxmax(), "peak_prob"]


def test_nearly_singular_days_still_draw():
    """Two days whose scale matrix is singular to rounding (eigenvalue -1e-9): the Cholesky
    factor fails, the eigen square root draws them (identical days: the first always wins)."""
    s = np.array([[1.0, 1.0 + 1e-9], [1.0 + 1e-9, 1.0]]) * 0.01
    d = joint_draws(LogMixture.student([8.0, 8.0], 0.1, 50.0), s, 1000, np.random.default_rng(0))
    assert np.isfinite(d).all() and np.allclose(d[0], d[1], rtol=1e-6)
