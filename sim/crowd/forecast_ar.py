"""The recent level in the daily forecast: regression errors that persist from day to day.

A calendar regression (:mod:`sim.crowd.forecast`) explains a spot's day by its calendar,
season, weather and trend.  Real series also run above or below that for weeks at a time (an
event, a promotion, a road closed, a new attraction nearby): the residuals are autocorrelated,
and the last counted days say where the next ones will be.  Where a spot's WLS residuals show
that (their lag-1 autocorrelation significantly above 0), their series e_t (scaled by each day
group's residual s.d. sd_t) is modelled as a persistent drift plus day noise,

    e_t = a_t + eps_t,   a_t = phi a_(t-1) + eta_t,   eps ~ N(0, r),  eta ~ N(0, q),

an AR(1) observed with noise, whose parameters are fitted by maximum likelihood with the Kalman
filter (statsmodels ``SARIMAX``, order (1, 0, 0) with measurement error; days left out of the
fit are missing values).  With Sigma the errors' covariance (sd_s sd_t (s_a^2 phi^|s - t| +
r [s = t]), s_a^2 = q / (1 - phi^2)):

* the coefficients are re-estimated by GLS, b = (X' Sigma^-1 X)^-1 X' Sigma^-1 y with covariance
  V = (X' Sigma^-1 X)^-1 (times the whitened residuals' scale): a holiday's level is learnt
  from a handful of blocks whose days share one drift, and the independent-days covariance
  counted each day as news, which made the intervals of holiday days too narrow;
* a later day j, h_j days after the last counted day T, is predicted by the best linear
  unbiased predictor (Goldberger 1962, JASA 57(298):369),

      y_j = x_j' b + c_j' Sigma^-1 (y - X b),   c_j = Cov(u_j, u) = sd_j phi^h_j g,
      g_t = sd_t s_a^2 phi^(T - t),

  i.e. x_j' b + sd_j phi^h_j m_T with m_T the drift on day T estimated from the residuals, and
  its error covariance between days j and k (the coefficients' estimation error included)

      sd_j sd_k (s_a^2 phi^|h_j - h_k| - phi^(h_j + h_k) g' Sigma^-1 g + r [j = k])
      + (x_j - X' Sigma^-1 c_j)' V (x_k - X' Sigma^-1 c_k).

So a forecast made the day before starts from the last days' level and relaxes to the calendar's
expectation at rate phi per day; one made weeks ahead is the calendar regression's, with the
drift's whole variance.  Sigma^-1 is never formed: the AR(1) part's precision is tridiagonal
(also over gaps), so a whitening W with W'W = Sigma^-1 costs two bidiagonal passes (see
:func:`whiten`), and the GLS is OLS on W y, W X (statsmodels).

A spot whose residuals are not significantly persistent (one-sided test at 1 %: rho sqrt(n) >
2.326, the s.e. of a white noise's lag-1 autocorrelation being 1 / sqrt(n), Bartlett 1946, JRSS
Suppl. 8(1):27) keeps the WLS fit and independent days.  The SYNTHETIC sample's days are
independent given their calendar (``data_samples/build_crowd_history.py``); none of its spots
is carried.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import cholesky_banded, solve_banded

Z_ONE_SIDED_1PCT = 2.326  # standard normal 99 % quantile


@dataclass(frozen=True, eq=False)
class Drift:
    """The fitted drift of one spot's scaled residuals (module docstring): ``phi``, its variance
    ``ar_var`` (s_a^2), the day noise ``noise_var`` (r), on ``last_time`` (day T) its estimate
    ``last_mean`` (m_T) and error variance ``last_var`` (s_a^2 - g' Sigma^-1 g / sd_T^2, in the
    scaled units), ``xg`` = X' Sigma^-1 g / sd_T (p,), the regressors' share in m_T, and ``last_sd``
    the day group s.d. of day T (so the level on T is sd_T m_T in log(1 + N))."""

    phi: float
    ar_var: float
    noise_var: float
    last_time: pd.Timestamp
    last_mean: float
    last_var: float
    xg: np.ndarray
    last_sd: float

    def last_level_pct(self) -> float:
        """How far above (+) or below (-) the calendar's expectation the spot ran on day T, %."""
        return float(100.0 * np.expm1(self.last_sd * self.last_mean))

    def factors(self, times: pd.Series) -> np.ndarray:
        """phi^h of each day, h the days after T (0 for days not after it)."""
        h = _days(times) - _days([self.last_time])[0]
        return np.where(h >= 1, self.phi ** np.maximum(h, 1).astype(float), 0.0)


def is_persistent(rho: float, pairs: int) -> bool:
    """Whether a lag-1 autocorrelation ``rho`` estimated from ``pairs`` consecutive-day pairs of
    residuals is significantly positive (one-sided 1 %, module docstring)."""
    return pairs > 2 and rho * np.sqrt(pairs) > Z_ONE_SIDED_1PCT


EPOCH = pd.Timestamp("1970-01-01")


def _days(times: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 of ``times``."""
    return ((pd.DatetimeIndex(pd.to_datetime(pd.Series(times))) - EPOCH) // pd.Timedelta(days=1)).to_numpy()


def fit_ar_noise(times: pd.Series, e: np.ndarray) -> tuple[float, float, float] | None:
    """Maximum-likelihood (phi, s_a^2, r) of an AR(1) observed with noise (module docstring) from
    the series ``e`` on the days ``times`` (in order, gaps allowed); None where the fit finds no
    persistence (phi <= 0 or no drift variance)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    d = _days(times)
    series = np.full(int(d[-1] - d[0]) + 1, np.nan)
    series[d - d[0]] = e
    with warnings.catch_warnings():  # convergence chatter of the optimiser; the result is checked below
        warnings.simplefilter("ignore")
        res = SARIMAX(series, order=(1, 0, 0), measurement_error=True, trend="n").fit(disp=False)
    p = dict(zip(res.model.param_names, np.asarray(res.params, dtype=float)))
    phi, q, r = p["ar.L1"], p["sigma2"], p["var.measurement_error"]
    if not np.isfinite([phi, q, r]).all() or not 0.0 < phi < 1.0 or q <= 0.0:
        return None
    return float(phi), float(q / (1.0 - phi * phi)), float(max(r, 0.0))


def whiten(times: pd.Series, phi: float, ar_var: float, noise_var: float):
    """W with W'W = (A + r I)^-1, A the AR(1) covariance ar_var phi^|s - t| of the days ``times``
    (in order, gaps allowed) and r = ``noise_var``: returns v (n,) or (n, k) -> W v.

    W = L^-1 B, B the AR(1)'s innovation transform (lower bidiagonal, B'B = A^-1, tridiagonal
    over gaps too since the chain stays Markov) and L L' = I + r B B' (tridiagonal, so L is
    bidiagonal): W'W = B'(I + r B B')^-1 B = (I + r A^-1)^-1 A^-1 = (A + r I)^-1."""
    rho = phi ** np.diff(_days(times)).astype(float)
    sd_innov = np.sqrt(ar_var * (1.0 - rho * rho))
    diag = np.concatenate([[1.0 / np.sqrt(ar_var)], 1.0 / sd_innov])
    sub = -rho / sd_innov  # B[i + 1, i]
    bb_diag = diag * diag + np.concatenate([[0.0], sub * sub])  # (B B')_ii
    bb_off = diag[:-1] * sub  # (B B')_(i, i + 1) = B[i, i] B[i + 1, i]
    lower = np.zeros((2, len(diag)))
    lower[0] = 1.0 + noise_var * bb_diag
    lower[1, :-1] = noise_var * bb_off
    chol = cholesky_banded(lower, lower=True)

    def apply(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        bv = diag.reshape((-1,) + (1,) * (v.ndim - 1)) * v
        bv[1:] += sub.reshape((-1,) + (1,) * (v.ndim - 1)) * v[:-1]
        return solve_banded((1, 0), chol, bv)

    return apply


def fit_gls(y: np.ndarray, X: np.ndarray, sd: np.ndarray, times: pd.Series,
            ar: tuple[float, float, float]):
    """GLS of log(1 + arrivals) ``y`` on ``X`` with errors sd_t (a_t + eps_t) (module
    docstring; ``ar`` = (phi, s_a^2, r) of :func:`fit_ar_noise`, ``sd`` each day's group s.d.):
    the statsmodels OLS result on the whitened data (its params, cov_params, scale and df_resid
    are the GLS ones) and the :class:`Drift` on the last day."""
    from statsmodels.regression.linear_model import OLS

    phi, ar_var, noise_var = ar
    W = whiten(times, phi, ar_var, noise_var)
    Xs = X / sd[:, None]
    WX = W(Xs)
    res = OLS(W(y / sd), WX, hasconst=True).fit()
    d = _days(times)
    g = ar_var * phi ** (d[-1] - d).astype(float)  # Cov(a_T, e_t), scaled units
    Wg = W(g)
    u = y / sd - Xs @ np.asarray(res.params)
    s = float(res.scale)  # the whitened residuals' variance: Sigma's scale (about 1)
    last = EPOCH + pd.Timedelta(days=int(d[-1]))
    drift = Drift(phi, s * ar_var, s * noise_var, last, float(Wg @ W(u)),
                  s * (ar_var - float(Wg @ Wg)), WX.T @ Wg, float(sd[-1]))
    return res, drift


def _corrected(X: np.ndarray, sd: np.ndarray, k: np.ndarray, drift: Drift) -> np.ndarray:
    """x_j - X' Sigma^-1 c_j of each forecast day (module docstring)."""
    return X - (sd * k)[:, None] * drift.xg[None, :]


def carried_prediction(result, X: np.ndarray, sd: np.ndarray, drift: Drift,
                       times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Location and predictive s.d. of log(1 + arrivals) of days with regressors ``X`` and
    residual s.d. ``sd`` of their day groups, under the GLS ``result`` and ``drift`` (module
    docstring)."""
    k = drift.factors(times)
    Z = _corrected(X, sd, k, drift)
    param = np.einsum("ij,jk,ik->i", Z, np.asarray(result.cov_params()), Z)
    loc = X @ np.asarray(result.params) + sd * k * drift.last_mean
    var = drift.ar_var * (1.0 - k ** 2) + k ** 2 * drift.last_var + drift.noise_var
    return loc, np.sqrt(param + sd ** 2 * var)


def carried_cov(result, X: np.ndarray, sd: np.ndarray, drift: Drift, times: pd.Series) -> np.ndarray:
    """(days, days) forecast error covariance of log(1 + arrivals) of the days ``times`` (module
    docstring); its diagonal is :func:`carried_prediction`'s variance."""
    k = drift.factors(times)
    Z = _corrected(X, sd, k, drift)
    d = _days(times)
    lag = np.abs(np.subtract.outer(d, d)).astype(float)  # days apart, gaps counted
    kk = np.outer(k, k)
    c = drift.ar_var * (drift.phi ** lag - kk) + drift.last_var * kk + drift.noise_var * np.eye(len(d))
    return Z @ np.asarray(result.cov_params()) @ Z.T + np.outer(sd, sd) * c
