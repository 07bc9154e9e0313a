"""A day's predictive distribution of log(1 + arrivals) when its rain class is not known yet.

The daily regression (:mod:`sim.crowd.forecast`) has an effect b_k of each rain class k (dry,
light, moderate, heavy; GB/T 28592-2012).  For a day whose class is known the predictive
distribution of y = log(1 + N) is one Student t.  For a day forecast before its weather is known
the class is one of four with probabilities w_k (a weather forecast's, or the history's monthly
climatology), and y is the mixture

    p(y) = sum_k w_k t_df((y - m_k) / s) / s,     m_k = x_k' beta,

with x_k the day's regressors in class k: m_k = m + b_k - sum_j w_j b_j, m the regression's mean
at the expected regressors.  The scale s is the predictive standard error at the expected
regressors (parameter and residual variance; the class-specific parameter variance differs from
it by the rain coefficients' variance, small beside the residual's).  A single t with the
mixture's variance (law of total variance) has the right width on average but the wrong shape:
a 10 % chance of heavy rain is a second mode well below the dry one, not a wider bell, so the
moment-matched interval was too high at the bottom on the wet days and too wide at the top on
the dry ones.  Finite mixture predictive: Fruehwirth-Schnatter, *Finite Mixture and Markov
Switching Models* (2006), Sec. 1.2.

``LogMixture`` holds the distribution of many days as arrays; a days' frame carries it in the
private columns :data:`COLUMNS`, which every consumer of the daily forecast reads: the daily
bounds, the sub-daily Monte Carlo (:mod:`sim.crowd.forecast_within_day`), the within-day update
(:mod:`sim.crowd.forecast_nowcast`) and the joint draws of the peak day (:mod:`sim.crowd.peak_day`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp, stdtr, stdtrit

CLASSES = ("dry", "light", "moderate", "heavy")
RAIN_COLUMNS = ("rain_light", "rain_moderate", "rain_heavy")  # the regression's class fractions
_W = tuple(f"_w_{c}" for c in CLASSES)
_LOC = tuple(f"_loc_{c}" for c in CLASSES)
COLUMNS = ("_log_mean", "_log_se", "_df", *_W, *_LOC)  # a days' frame's private columns: the distribution
GRID = 2049  # points of the CDF grid a mixture's quantiles are interpolated on (about 0.005 s apart)
_ONE = 1.0 - 1e-12
_FEW = 16  # quantiles per day up to which ppf bisects (all days at once); more: a CDF grid per day
_BISECT_STEPS = 60  # halvings of a bracket about the class effects' spread wide: to ~1e-18 of it


def class_weights(fractions: np.ndarray) -> np.ndarray:
    """(n, 4) probabilities of dry, light, moderate, heavy from the regression's (n, 3) fractions
    of light, moderate, heavy (dry: the rest)."""
    p = np.clip(np.asarray(fractions, float), 0.0, 1.0)
    w = np.column_stack([np.clip(1.0 - p.sum(axis=1), 0.0, 1.0), p])
    return w / w.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class LogMixture:
    """log(1 + N) of n days: mixtures of Student t over the rain classes (module docstring).

    ``w`` (n, 4) class probabilities, ``loc`` (n, 4) the component locations, ``scale`` (n,) the
    components' scale, ``df`` (n,) their degrees of freedom."""

    w: np.ndarray
    loc: np.ndarray
    scale: np.ndarray
    df: np.ndarray

    @classmethod
    def of_regression(cls, mean: np.ndarray, scale: np.ndarray, df: np.ndarray, fractions: np.ndarray,
                      effects: np.ndarray) -> "LogMixture":
        """From the regression's mean ``mean`` (n,) at the expected regressors, its predictive
        standard error ``scale`` (n,) and ``df``, the days' class ``fractions`` (n, 3) and the
        class effects ``effects`` (4,: dry 0, light, moderate, heavy)."""
        w = class_weights(fractions)
        b = np.asarray(effects, float)
        loc = np.asarray(mean, float)[:, None] + b[None, :] - (w @ b)[:, None]
        n = len(w)
        return cls(w, loc, np.broadcast_to(np.asarray(scale, float), (n,)).copy(),
                   np.broadcast_to(np.asarray(df, float), (n,)).copy())

    @classmethod
    def student(cls, loc, scale, df) -> "LogMixture":
        """Days of known rain class: one Student t each (location, scale, df: (n,) or scalars)."""
        loc, scale, df = (np.array(v, float) for v in np.broadcast_arrays(np.atleast_1d(loc), scale, df))
        w = np.zeros((len(loc), len(CLASSES)))
        w[:, 0] = 1.0
        return cls(w, np.repeat(loc[:, None], len(CLASSES), axis=1), scale, df)

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> "LogMixture":
        """From a days' frame carrying :data:`COLUMNS`."""
        return cls(frame[list(_W)].to_numpy(float), frame[list(_LOC)].to_numpy(float),
                   frame["_log_se"].to_numpy(float), frame["_df"].to_numpy(float))

    def columns(self) -> dict[str, np.ndarray]:
        """The frame columns :data:`COLUMNS` of these days (``_log_mean``: the mean, for reading)."""
        return {"_log_mean": self.mean, "_log_se": self.scale, "_df": self.df, **dict(zip(_W, self.w.T)),
                **dict(zip(_LOC, self.loc.T))}

    def __len__(self) -> int:
        return len(self.w)

    def __getitem__(self, i) -> "LogMixture":
        """The days ``i`` (an index, slice or mask), as a mixture of those days."""
        i = np.atleast_1d(np.arange(len(self))[i])
        return LogMixture(self.w[i], self.loc[i], self.scale[i], self.df[i])

    @property
    def mean(self) -> np.ndarray:
        """(n,) mean of log(1 + N)."""
        return np.sum(self.w * self.loc, axis=1)

    @property
    def variance(self) -> np.ndarray:
        """(n,) variance of log(1 + N) (df > 2): the components' plus the spread of their locations."""
        m = self.mean
        comp = self.scale ** 2 * self.df / (self.df - 2.0)
        return comp + np.sum(self.w * (self.loc - m[:, None]) ** 2, axis=1)

    def cdf(self, y: np.ndarray) -> np.ndarray:
        """P(log(1 + N) <= y) for ``y`` (n, m)."""
        z = (np.asarray(y, float)[:, :, None] - self.loc[:, None, :]) / self.scale[:, None, None]
        return np.sum(self.w[:, None, :] * stdtr(self.df[:, None, None], z), axis=2)

    def sf(self, y: np.ndarray) -> np.ndarray:
        """P(log(1 + N) > y) for ``y`` (n, m), accurate far in the upper tail (not 1 - cdf)."""
        z = (np.asarray(y, float)[:, :, None] - self.loc[:, None, :]) / self.scale[:, None, None]
        return np.sum(self.w[:, None, :] * stdtr(self.df[:, None, None], -z), axis=2)

    def logpdf(self, y: np.ndarray) -> np.ndarray:
        """log density of log(1 + N) at ``y`` (n, m)."""
        from scipy.stats import t as student_t

        z = (np.asarray(y, float)[:, :, None] - self.loc[:, None, :]) / self.scale[:, None, None]
        with np.errstate(divide="ignore"):
            lw = np.log(self.w)[:, None, :]
        return logsumexp(lw + student_t.logpdf(z, self.df[:, None, None]), axis=2) - np.log(self.scale)[:, None]

    def ppf(self, u) -> np.ndarray:
        """Quantiles (n, m) of log(1 + N) at probabilities ``u`` (m,) or (n, m), in (0, 1).

        A day of known class: the t's quantile exactly.  Otherwise between bounds that must hold
        each quantile (the lowest component's quantile of u and the highest's): for a few
        quantiles (the daily bounds) bisection on the mixture's CDF, all days at once, to 1e-12 of
        the scale; for many (Monte Carlo draws) the CDF on a grid of :data:`GRID` points per day,
        inverted by linear interpolation."""
        n = len(self)
        u = np.asarray(u, float)
        u = np.broadcast_to(u if u.ndim else u[None], (n, u.shape[-1] if u.ndim else 1))
        out = np.empty(u.shape)
        one = self.w.max(axis=1) >= _ONE
        if one.any():
            k = np.argmax(self.w[one], axis=1)
            loc = self.loc[one][np.arange(one.sum()), k]
            out[one] = loc[:, None] + self.scale[one, None] * stdtrit(self.df[one, None], u[one])
        mixed = np.flatnonzero(~one)
        if len(mixed) and u.shape[1] <= _FEW:
            out[mixed] = self[mixed]._bisect(u[mixed])
        for i in mixed if u.shape[1] > _FEW else ():
            s, df, ui = self.scale[i], self.df[i], u[i]
            lo = self.loc[i].min() + s * stdtrit(df, ui.min())
            hi = self.loc[i].max() + s * stdtrit(df, ui.max())
            g = np.linspace(lo, hi, GRID)
            c = np.sum(self.w[i][None, :] * stdtr(df, (g[:, None] - self.loc[i][None, :]) / s), axis=1)
            out[i] = np.interp(ui, c, g)
        return out

    def _bisect(self, u: np.ndarray) -> np.ndarray:
        """Quantiles (n, m) by bisection on the CDF, every day and probability at once."""
        s, df = self.scale[:, None], self.df[:, None]
        q = stdtrit(df, u)
        lo = self.loc.min(axis=1)[:, None] + s * q
        hi = self.loc.max(axis=1)[:, None] + s * q
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < u
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def draw_locations(self, rng: np.random.Generator, m: int) -> np.ndarray:
        """(n, m) the location of a class drawn for each day and draw, independently (no draw,
        and ``rng`` untouched, where every day's class is known)."""
        if (self.w.max(axis=1) >= _ONE).all():
            return np.repeat(self.loc[np.arange(len(self)), np.argmax(self.w, axis=1)][:, None], m, axis=1)
        cw = np.cumsum(self.w, axis=1)
        k = (rng.random((len(self), m))[:, :, None] > cw[:, None, :-1]).sum(axis=2)
        return np.take_along_axis(self.loc, k, axis=1)
