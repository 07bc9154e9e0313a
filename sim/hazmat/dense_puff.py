"""A dense (heavier-than-air) cloud on the grid by the Britter & McQuaid (1988) workbook: the
plume's field per unit release rate, the instantaneous puff (:class:`DensePuff`), and BM's
release class choosing between them at each receptor for a short release."""
from __future__ import annotations

import math

import numpy as np

from sim.hazmat.chemicals import Chemical
from sim.hazmat.densegas import dense_centreline, dense_plume_width
from sim.hazmat.fields import Dispersion, Grid, _rate_series
from sim.hazmat.met import Met, WindPeriod
from sim.hazmat.params import Params
from sim.hazmat.source import SourceTerm


class DensePuff:
    """An instantaneous dense cloud (Britter & McQuaid 1988, puff): all the airborne mass M as
    one cloud released at the mass-weighted mean release time, its centre advected at 0.4 u10
    along the wind periods. The concentration at a point P is Cm(rho_P) exp(-d^2 / 2 sigma^2):
    Cm the BM puff curve (:func:`sim.hazmat.densegas.dense_centreline`, instantaneous) at the
    distance rho_P along the centre's path where P lies closest to it, d the distance from P to
    the centre now, sigma half the BM gravity-spread radius R(s) of the cloud whose centre has
    travelled s (edge at 2 sigma) or the passive Briggs sigma_y, whichever is larger (as for the
    plume). So the largest value over the passage at a point on the path is the BM Cm there."""

    def __init__(self, xy, periods: list[WindPeriod], src: SourceTerm, chem: Chemical, met: Met, g0p: float,
                 t_end_s: float):
        from sim.hazmat.densegas import PUFF_ADVECTION

        edges, rates = _rate_series(src)
        dm = rates * np.diff(edges)
        self.mass_kg = float(dm.sum())
        self.release_s = float(src.duration_s)
        self.t_rel_s = float(np.sum(dm * 0.5 * (edges[:-1] + edges[1:])) / max(self.mass_kg, 1e-300))
        self.xy, self.chem, self.met, self.g0p = xy, chem, met, g0p
        self.rho0, self.t0_k = float(src.density_kg_m3), float(src.temperature_k)
        self.u10 = next(w for w in reversed(periods) if w.t0_s <= self.t_rel_s).u_m_s  # wind at release
        # the centre's path: straight legs (t0, s0, x0, y0, speed, ex, ey, length) from the release
        knots = sorted({self.t_rel_s} | {w.t0_s for w in periods if self.t_rel_s < w.t0_s < t_end_s})
        legs = []
        s0, x0, y0 = 0.0, float(xy[0]), float(xy[1])
        for k, t0 in enumerate(knots):
            w = next(q for q in reversed(periods) if q.t0_s <= t0)
            v = PUFF_ADVECTION * w.u_m_s
            ex, ey = -math.sin(math.radians(w.wind_from_deg)), -math.cos(math.radians(w.wind_from_deg))
            length = v * max((knots[k + 1] if k + 1 < len(knots) else t_end_s) - t0, 0.0)
            legs.append((t0, s0, x0, y0, v, ex, ey, length))
            s0, x0, y0 = s0 + length, x0 + ex * length, y0 + ey * length
        self.legs = np.asarray(legs)  # (n_legs, 8)
        self.s_end_m = s0

    def centre(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distance travelled, x, y) of the cloud centre at times ``t`` (s = -1 before release)."""
        t = np.atleast_1d(np.asarray(t, float))
        legs = self.legs
        k = np.clip(np.searchsorted(legs[:, 0], t, side="right") - 1, 0, len(legs) - 1)
        t0, s0, x0, y0, v, ex, ey, _ = legs[k].T
        ds = v * np.maximum(t - t0, 0.0)
        return np.where(t >= self.t_rel_s, s0 + ds, -1.0), x0 + ex * ds, y0 + ey * ds

    def time_at(self, s: np.ndarray) -> np.ndarray:
        """Time at which the centre has travelled ``s`` (inverse of :meth:`centre`)."""
        legs = self.legs
        s = np.asarray(s, float)
        k = np.clip(np.searchsorted(legs[:, 1], s, side="right") - 1, 0, len(legs) - 1)
        return legs[k, 0] + (s - legs[k, 1]) / legs[k, 4]

    def path_distance(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """rho: distance along the centre's path of the path point closest to each of ``xs, ys``."""
        best = np.full(xs.size, np.inf)
        rho = np.zeros(xs.size)
        for k, (_, s0, x0, y0, _, ex, ey, length) in enumerate(self.legs):
            last = k == len(self.legs) - 1  # beyond the run's end the path goes on in the last wind
            a = np.clip((xs - x0) * ex + (ys - y0) * ey, 0.0, np.inf if last else length)
            d2 = (xs - x0 - ex * a) ** 2 + (ys - y0 - ey * a) ** 2
            closer = d2 < best
            best = np.where(closer, d2, best)
            rho = np.where(closer, s0 + a, rho)
        return rho

    def centre_conc(self, rho: np.ndarray) -> np.ndarray:
        """BM puff maximum concentration (kg/m³) at path distances ``rho``."""
        from sim.hazmat.densegas import dense_centreline

        met = self.met
        return np.asarray(dense_centreline(np.maximum(rho, 0.0), self.mass_kg, self.rho0, self.t0_k, self.u10,
                                           self.chem.molar_mass_kg_mol, instantaneous=True, ta_k=met.air_k,
                                           stability=met.stability, urban=met.urban))

    def sigma(self, s: np.ndarray) -> np.ndarray:
        """Horizontal sigma (m) of the cloud whose centre has travelled ``s``."""
        from sim.hazmat.densegas import dense_puff_radius
        from sim.hazmat.sigmas import briggs_sigmas

        s = np.maximum(np.asarray(s, float), 0.0)
        r = dense_puff_radius(s, self.g0p, self.mass_kg / self.rho0, self.u10)
        sy, _ = briggs_sigmas(np.maximum(s, 1.0), self.met.stability, self.met.urban)
        return np.maximum(np.asarray(r) / 2.0, sy)

    def conc(self, xs: np.ndarray, ys: np.ndarray, t: np.ndarray, cm: np.ndarray | None = None) -> np.ndarray:
        """Concentration (nt, n) in kg/m³ at points ``xs, ys`` and times ``t``."""
        cm = self.centre_conc(self.path_distance(xs, ys)) if cm is None else cm
        s, cx, cy = self.centre(t)
        sig = self.sigma(s)
        d2 = (xs[None, :] - cx[:, None]) ** 2 + (ys[None, :] - cy[:, None]) ** 2
        return np.where(s[:, None] >= 0, cm[None, :] * np.exp(-0.5 * d2 / sig[:, None] ** 2), 0.0)

    def maximum(self, xs: np.ndarray, ys: np.ndarray, cm: np.ndarray | None = None,
                ratio: float = 1.01) -> np.ndarray:
        """Largest concentration at each point within the run, the centre sampled every 1 % of
        the distance it has travelled (1 m steps over the first 50 m); ``cm``: the points'
        :meth:`centre_conc`, when already known."""
        se = self.s_end_m
        s = np.concatenate([np.arange(0.0, min(se, 50.0), 1.0),
                            np.geomspace(50.0, max(se, 50.0), 2 + int(math.log(max(se, 50.0) / 50.0) / math.log(ratio))),
                            [se]])
        s = np.unique(s[s <= se])
        cm = self.centre_conc(self.path_distance(xs, ys)) if cm is None else cm
        out = np.zeros(xs.size)
        for i in range(0, s.size, 16):
            np.maximum(out, self.conc(xs, ys, self.time_at(s[i:i + 16]), cm).max(axis=0), out=out)
        return out


def _puff_mask(xs: np.ndarray, ys: np.ndarray, puff: DensePuff, cmax_plume: np.ndarray,
               cmax_puff: np.ndarray) -> np.ndarray:
    """True where the puff describes the release (BM release class at the distance from the
    source; the smaller maximum in the intermediate class)."""
    x = np.maximum(np.hypot(xs - puff.xy[0], ys - puff.xy[1]), 1e-9)
    r = puff.u10 * puff.release_s / x
    return (r <= 0.6) | ((r < 2.5) & (cmax_puff < cmax_plume))


def _bm_release_class(grid: Grid, puff: DensePuff, frames_c: np.ndarray, cmax_c: np.ndarray, points_c, t_out,
                      params: Params, ri: float, notes: list[str]) -> Dispersion:
    """A short dense release by the BM release class at each receptor's distance x from the
    source (:func:`sim.hazmat.densegas.release_mode`): the continuous plume where
    u10 Rd / x >= 2.5, the instantaneous puff where it is <= 0.6, and in between whichever gives
    the smaller maximum there (BM's advice for intermediate releases)."""
    ny, nx = grid.raster.shape
    cm = puff.centre_conc(puff.path_distance(grid.x, grid.y))
    cmax_i = puff.maximum(grid.x, grid.y, cm).reshape(ny, nx)
    use_puff = _puff_mask(grid.x, grid.y, puff, cmax_c.ravel(), cmax_i.ravel()).reshape(ny, nx)
    frames_i = puff.conc(grid.x, grid.y, t_out, cm).reshape(t_out.size, ny, nx)
    frames = np.where(use_puff[None], frames_i, frames_c).astype(np.float32)
    cmax = np.where(use_puff, cmax_i, cmax_c).astype(np.float32)

    def at_points(xs, ys, z_agl, z_flat, t):
        cc = points_c(xs, ys, z_agl, z_flat, t)
        c_end = points_c(xs, ys, z_agl, z_flat, np.arange(0.0, params.duration_s + 1e-9, 10.0)).max(axis=0)
        cm_p = puff.centre_conc(puff.path_distance(xs, ys))
        m = _puff_mask(xs, ys, puff, c_end, puff.maximum(xs, ys, cm_p))
        return np.where(m[None, :], puff.conc(xs, ys, np.asarray(t, float), cm_p), cc)

    notes.append(f"dense cloud from a {puff.release_s:.0f} s release: Britter-McQuaid puff (instantaneous) "
                 "where u10 Rd / x <= 0.6, plume where >= 2.5, the smaller in between")
    return Dispersion(t_out, frames, cmax, "dense gas (Britter & McQuaid 1988, plume and puff by release class)",
                      True, ri, at_points, notes)


def _dense_unit(xd, yd, q_peak, rho0, t0_k, u10, chem, met, g0p):
    """Dense-gas concentration per unit release rate (kg/m³ per kg/s) at downwind/crosswind
    offsets: the Britter-McQuaid centreline for the peak rate, scaled linearly to other rates,
    with a Gaussian crosswind profile of sigma = half the BM half-width (edge at 2 sigma) or
    the passive Briggs sigma_y, whichever is larger."""
    from sim.hazmat.sigmas import briggs_sigmas

    out = np.zeros(xd.size)
    ok = xd > 0
    if not ok.any() or q_peak <= 0:
        return out
    x = xd[ok]
    cm = dense_centreline(x, q_peak, rho0, t0_k, u10, chem.molar_mass_kg_mol, ta_k=met.air_k,
                          stability=met.stability, urban=met.urban)
    half = dense_plume_width(x, g0p, q_peak / rho0, u10)
    sy_passive, _ = briggs_sigmas(x, met.stability, met.urban)
    sig = np.maximum(half / 2.0, sy_passive)
    out[ok] = cm / q_peak * np.exp(-0.5 * (yd[ok] / sig) ** 2)
    return out
