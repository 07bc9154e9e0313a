"""The rain-class mixture of the daily predictive distribution (sim.crowd.forecast_mixture):
quantiles, density and class draws against their definitions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from sim.crowd.forecast_mixture import LogMixture

# a dry day, a climatology-like day and a day with a high chance of heavy rain
W = np.array([[1.0, 0.0, 0.0, 0.0], [0.55, 0.30, 0.10, 0.05], [0.2, 0.1, 0.2, 0.5]])
B = np.array([0.0, -0.05, -0.25, -0.6])  # class effects on log(1 + N)


def _mix() -> LogMixture:
    return LogMixture.of_regression(np.array([9.0, 8.5, 8.0]), np.array([0.12, 0.2, 0.1]), np.array([40.0, 40.0, 8.0]),
                                    W[:, 1:], B)


def test_quantiles_density_and_moments():
    """cdf(ppf(u)) = u to 2e-6 at u from 0.001 to 0.999 (bisection) and at 1,000 stratified u
    (CDF grid); the density integrates to 1 and is the
    cdf's derivative (rel 1e-4); the mean keeps the regression's mean and the variance is the
    components' plus sum w (b - w.b)^2; a dry day's quantiles are the t's exactly."""
    m = _mix()
    np.testing.assert_allclose(m.mean, [9.0, 8.5, 8.0], rtol=1e-12)
    comp = m.scale ** 2 * m.df / (m.df - 2)
    np.testing.assert_allclose(m.variance - comp, W @ B ** 2 - (W @ B) ** 2, rtol=1e-12)
    u = np.array([0.001, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999])
    q = m.ppf(u)
    np.testing.assert_allclose(m.cdf(q), np.broadcast_to(u, q.shape), atol=2e-6)
    np.testing.assert_allclose(q[0], 9.0 + 0.12 * student_t.ppf(u, 40.0), rtol=1e-13)
    many = (np.arange(1000) + 0.5) / 1000  # as many quantiles as Monte Carlo draws: the grid's inversion
    np.testing.assert_allclose(m.cdf(m.ppf(many)), np.broadcast_to(many, (3, 1000)), atol=2e-6)
    assert m.ppf(0.5).shape == (3, 1) and LogMixture.student(8.0, [0.1, 0.2], 30.0).scale.tolist() == [0.1, 0.2]
    y = np.linspace(6.0, 10.0, 8001)
    dens = np.exp(m.logpdf(np.tile(y, (3, 1))))
    np.testing.assert_allclose(np.trapezoid(dens, y, axis=1), 1.0, atol=1e-6)
    mid = 0.5 * (y[1:] + y[:-1])
    np.testing.assert_allclose(np.diff(m.cdf(np.tile(y, (3, 1))), axis=1) / np.diff(y),
                               np.exp(m.logpdf(np.tile(mid, (3, 1)))), rtol=1e-4, atol=1e-9)


def test_class_draws_follow_the_weights():
    """200,000 drawn classes per day: each class's share within 4 binomial s.e. of its weight,
    the drawn locations the day's component locations."""
    m = _mix()
    n = 200_000
    loc = m.draw_locations(np.random.default_rng(5), n)
    for i in range(3):
        for k in range(4):
            share = np.mean(loc[i] == m.loc[i, k]) if W[i, k] > 0 else 0.0
            assert share == pytest.approx(W[i, k], abs=4 * np.sqrt(W[i, k] * (1 - W[i, k]) / n) + 1e-12)


def test_frame_round_trip_and_rows():
    """The frame columns give back the same arrays; one row is a one-day mixture."""
    m = _mix()
    r = LogMixture.of_frame(pd.DataFrame(m.columns()))
    for a in ("w", "loc", "scale", "df"):
        np.testing.assert_array_equal(getattr(r, a), getattr(m, a))
    one = m[1]
    assert len(one) == 1 and one.w[0].tolist() == W[1].tolist() and one.loc[0].tolist() == m.loc[1].tolist()
