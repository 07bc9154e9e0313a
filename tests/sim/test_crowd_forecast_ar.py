"""The recent level in the daily forecast (sim.crowd.forecast_ar): GLS with persistent errors and
its best linear unbiased predictor, against the dense formulas and statsmodels' Kalman filter."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim.crowd import forecast as F
from sim.crowd.forecast_ar import carried_cov, carried_prediction, fit_gls, whiten
from sim.crowd.history import load_counts, load_weather
from tests.sim.test_crowd_forecast import DATA, _builder

PHI, AR_VAR, NOISE = 0.8, 0.5, 0.4


def _ar_series(n: int, rng: np.random.Generator) -> np.ndarray:
    a = np.empty(n)
    a[0] = rng.normal(0.0, np.sqrt(AR_VAR))
    for i in range(1, n):
        a[i] = PHI * a[i - 1] + rng.normal(0.0, np.sqrt(AR_VAR * (1.0 - PHI ** 2)))
    return a


def _gapped_days(n: int, rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """n days from 2020-01-01 and which are counted (a few gaps: closures, missing files)."""
    keep = np.ones(n, bool)
    keep[rng.choice(np.arange(1, n - 1), 12, replace=False)] = False
    return pd.date_range("2020-01-01", periods=n, freq="D"), keep


def _cov(days: np.ndarray) -> np.ndarray:
    return AR_VAR * PHI ** np.abs(np.subtract.outer(days, days)) + NOISE * np.eye(len(days))


def test_whitening_inverts_the_drift_plus_noise_covariance_over_gaps():
    rng = np.random.default_rng(1)
    full, keep = _gapped_days(200, rng)
    t = pd.Series(full[keep])
    d = (t - t[0]).dt.days.to_numpy()
    for r in (NOISE, 0.0):  # r = 0: the plain AR(1) (Prais-Winsten over gaps)
        S = _cov(d) - (NOISE - r) * np.eye(len(d))
        W = whiten(t, PHI, AR_VAR, r)(np.eye(len(d)))
        assert np.allclose(W.T @ W, np.linalg.inv(S), rtol=0, atol=1e-10 * np.abs(np.linalg.inv(S)).max())


@pytest.fixture(scope="module")
def carried():
    """A regression with drift-plus-noise errors, heteroscedastic (two day groups), with gaps; its
    GLS fit and forecast of 6 days starting 2 days after the last count."""
    rng = np.random.default_rng(3)
    n = 500
    full, keep = _gapped_days(n, rng)
    X = np.column_stack([np.ones(n), rng.normal(size=n), (np.arange(n) % 7 >= 5).astype(float)])
    sd = np.where(X[:, 2] > 0, 1.3, 1.0)
    y = X @ np.array([2.0, 0.5, 0.7]) + sd * (_ar_series(n, rng) + rng.normal(0.0, np.sqrt(NOISE), n))
    t = pd.Series(full[keep])
    res, drift = fit_gls(y[keep], X[keep], sd[keep], t, (PHI, AR_VAR, NOISE))
    fut = pd.Series(pd.date_range(full[-1] + pd.Timedelta(days=2), periods=6, freq="D"))
    Xf = np.column_stack([np.ones(6), rng.normal(size=6), [0, 0, 0, 1, 1, 0]])
    sdf = np.where(Xf[:, 2] > 0, 1.3, 1.0)
    return dict(y=y[keep], X=X[keep], sd=sd[keep], t=t, res=res, drift=drift, fut=fut, Xf=Xf, sdf=sdf,
                pred=carried_prediction(res, Xf, sdf, drift, fut), cov=carried_cov(res, Xf, sdf, drift, fut))


def test_carried_forecast_is_goldbergers_blup_with_its_error_covariance(carried):
    """Dense GLS and BLUP (Goldberger 1962) and its error covariance, the coefficients' part
    included, with the errors' covariance scaled by the whitened residuals' variance: equal to
    1e-9."""
    c = carried
    d = (c["t"] - c["t"].iloc[0]).dt.days.to_numpy()
    df = (c["fut"] - c["t"].iloc[0]).dt.days.to_numpy()
    S0 = np.outer(c["sd"], c["sd"]) * _cov(d)
    Si = np.linalg.inv(S0)
    X, y = c["X"], c["y"]
    b = np.linalg.solve(X.T @ Si @ X, X.T @ Si @ y)
    s = float((y - X @ b) @ Si @ (y - X @ b)) / (len(y) - X.shape[1])
    V = s * np.linalg.inv(X.T @ Si @ X)
    C = s * np.outer(c["sdf"], c["sd"]) * AR_VAR * PHI ** np.abs(np.subtract.outer(df, d))
    Sinv = Si / s
    blup = c["Xf"] @ b + C @ Sinv @ (y - X @ b)
    Z = c["Xf"] - C @ Sinv @ X
    P = (s * np.outer(c["sdf"], c["sdf"]) * (AR_VAR * PHI ** np.abs(np.subtract.outer(df, df)) + NOISE * np.eye(6))
         - C @ Sinv @ C.T + Z @ V @ Z.T)
    assert np.allclose(c["res"].params, b, rtol=1e-9) and np.allclose(c["res"].cov_params(), V, rtol=1e-9)
    loc, se = c["pred"]
    assert np.allclose(loc, blup, rtol=1e-9) and np.allclose(c["cov"], P, rtol=1e-9)
    assert np.allclose(np.diag(c["cov"]), se ** 2, rtol=1e-12)  # the peak-day joint law's margins


def test_carried_forecast_equals_statsmodels_kalman_filter_with_regression_in_the_state(carried):
    """An independent implementation: SARIMAX with the coefficients in the state vector (recursive
    least squares, diffuse start, ``mle_regression=False``) filters the same model; its forecasts
    of the missing future days are the BLUP and its error variance (at known scale: ours / s)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    c = carried
    first = c["t"].iloc[0]
    full = pd.date_range(first, c["fut"].iloc[-1], freq="D")
    ys = pd.Series(np.nan, index=full)
    ys[pd.DatetimeIndex(c["t"])] = c["y"] / c["sd"]
    Xs = pd.DataFrame(0.0, index=full, columns=range(3))
    Xs.loc[pd.DatetimeIndex(c["t"])] = c["X"] / c["sd"][:, None]
    Xs.loc[pd.DatetimeIndex(c["fut"])] = c["Xf"] / c["sdf"][:, None]
    mod = SARIMAX(ys.to_numpy(), exog=Xs.to_numpy(), order=(1, 0, 0), measurement_error=True, trend="n",
                  mle_regression=False)
    assert mod.param_names == ["ar.L1", "var.measurement_error", "sigma2"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kf = mod.filter(np.array([PHI, NOISE, AR_VAR * (1.0 - PHI ** 2)]))
    at = full.get_indexer(pd.DatetimeIndex(c["fut"]))
    loc, se = c["pred"]
    s = float(c["res"].scale)
    assert np.allclose(loc / c["sdf"], kf.forecasts[0, at], rtol=1e-6)
    assert np.allclose((se / c["sdf"]) ** 2 / s, kf.forecasts_error_cov[0, 0, at], rtol=1e-6)


def test_persistent_history_is_carried_with_its_phi_and_the_sample_is_not(sample_city):
    """SYNTHETIC history with a drift of lag-1 correlation 0.85 (build_crowd_history ``drift``):
    every spot is carried and its phi within 0.06 of 0.85 (measured 0.806-0.859: the spots' phi
    scatter by about 0.02 at 8 years with a noise as large as the drift), and the level it reports
    on the last day is the generator's drift within 3 s.d. of its stated error (sd_T^2 P_T).  The
    shipped sample (independent days given the calendar): no spot is carried, and its forecasts
    equal those of ``carry_level=False`` exactly."""
    bch = _builder()
    daily, wx = bch.synth_daily(drift=(0.85, 0.15))
    rng = np.random.default_rng(bch.SEED + 7)  # the generator's drift stream, spot by spot
    n = len(bch.day_frame(bch.START, bch.END))
    truth = {sp: bch.level_drift(n, 0.85, 0.15, rng)[-1] for sp in bch.SPOTS}
    hist = F._daily(daily.rename(columns={"count": "arrivals_persons"})
                    .assign(time=lambda x: pd.to_datetime(x["time"])))
    hist.attrs["freq"] = "1D"
    m = F.fit(hist, weather=load_weather(wx))
    phis = np.array([f.drift.phi for f in m.fits.values()])
    assert len(phis) == 7 and np.all(np.abs(phis - 0.85) < 0.06), phis
    levels = F.recent_levels(m)
    for sp, f in m.fits.items():
        err = np.log1p(levels[sp]["level_pct"] / 100.0) - truth[sp]
        assert levels[sp]["on"] == "2026-12-31" and abs(err) < 3.0 * f.drift.last_sd * np.sqrt(f.drift.last_var), sp
    h = load_counts(DATA / "history.csv", sample_city)
    sample_wx = load_weather(DATA / "weather.csv")
    on, off = F.fit(h, weather=sample_wx), F.fit(h, weather=sample_wx, carry_level=False)
    assert all(f.drift is None for f in on.fits.values())
    pd.testing.assert_frame_equal(F.predict_daily(on, "2027-01-20", "2027-02-20"),
                                  F.predict_daily(off, "2027-01-20", "2027-02-20"))
