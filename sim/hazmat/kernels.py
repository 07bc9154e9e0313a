"""Numba kernels of Gaussian plume and puff dispersion (arrays in, arrays out).

Conventions: city CRS metres, x east, y north, z up from the ground. Wind direction is the
meteorological "from" bearing in degrees clockwise from north, so the downwind unit vector
is (-sin theta, -cos theta). Concentrations kg/m^3, rates kg/s, masses kg. Dispersion
coefficients come from :func:`sim.hazmat.sigmas.sigma_yz` (``scheme``, ``p``).

Steady plume (Turner 1970, Workbook of Atmospheric Dispersion Estimates, ch. 3; ISC3 user's
guide, EPA 1995, EPA-454/B-95-003b, Vol. II sec. 1.1: plume equation and vertical term)::

    C = Q / (2 pi u sy sz) exp(-y^2 / 2 sy^2) V(z),
    V = exp(-(z-H)^2/2sz^2) + exp(-(z+H)^2/2sz^2)                      (ground reflection)
      + sum_i>=1 [exp(-(z-(2ih-H))^2/2sz^2) + exp(-(z+(2ih-H))^2/2sz^2)
                  + exp(-(z-(2ih+H))^2/2sz^2) + exp(-(z+(2ih+H))^2/2sz^2)]  (lid at h)

and once sz > 1.6 h the well-mixed form C = Q / (sqrt(2 pi) sy u h) exp(-y^2/2sy^2)
(Turner 1970 ch. 3, limited mixing; ISC3 Vol. II sec. 1.1). ``h_mix_m <= 0`` or infinite
means no lid; a source above the lid, or a receptor above it, gives 0 (as ISC3). The
image series is summed until the next image lies more than 8.5 sz away (< 2e-16).
Receptors upwind (x <= 0) or more than 6 sy off the plume axis get exactly 0 (the
neglected mass is 2e-9 of the total).

Puffs (instantaneous Gaussian puffs: Scire, Strimaitis & Yamartino 2000, A User's Guide for
the CALPUFF Dispersion Model, sec. 2.1; Turner 1970 ch. 3), circularly symmetric with
sx = sy as for CALPUFF's circular puffs and in ALOHA (Reynolds 1992, ALOHA Theoretical
Description, NOAA TM NOS ORCA-65)::

    C = M / ((2 pi)^{3/2} sy^2 sz) exp(-r^2 / 2 sy^2) V(z)      (well mixed: M/(2 pi sy^2 h))

with the sigmas set by each puff's travel distance; same 6 sy cut-off and lid handling.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim.hazmat.sigmas import sigma_yz
from sim.hazmat.similarity import similarity_point, similarity_ubar
from twin.errors import InputError

TWO_PI = 2.0 * math.pi
SQRT_2PI = math.sqrt(2.0 * math.pi)
WELL_MIXED_RATIO = 1.6  # sz / h beyond which the plume is uniform in z (Turner 1970, ch. 3)
CUT_SIGMAS = 6.0  # crosswind cut-off in sigma_y
_IMAGE_CUT = 8.5  # stop the image series when the next image is this many sz away

# exceedance_count: conservative rejection tables on geometric bins of downwind distance
_BIN_X0_M = 0.25  # lower edge of the first bin
_BIN_OCT = 25  # octaves covered (0.25 m .. 8400 km)
_BIN_SUB = 8  # bins per octave
_BIN_SAFETY = 1.01  # margin on the bounds (ISC3 sigma_z pieces jump < 1e-3 at range edges)
_CHUNK = 1024  # receptors per cache block


@njit(cache=True)
def _downwind(wind_from_deg: float) -> tuple[float, float]:
    """Downwind unit vector (east, north) of a wind blowing from ``wind_from_deg``."""
    t = math.radians(wind_from_deg)
    return -math.sin(t), -math.cos(t)


@njit(cache=True)
def _has_lid(h_mix_m: float) -> bool:
    return h_mix_m > 0.0 and h_mix_m < math.inf


@njit(cache=True)
def vertical_factor(z_m: float, h_m: float, sz: float, h_mix_m: float) -> float:
    """V(z) of the module docstring: source image sum with ground reflection and, when a lid
    ``h_mix_m`` is set, the multiple reflections between ground and lid (ISC3 Vol. II
    sec. 1.1), summed to convergence. Its z-integral over the layer is sqrt(2 pi) sz."""
    a = 0.5 / (sz * sz)
    v = math.exp(-a * (z_m - h_m) ** 2) + math.exp(-a * (z_m + h_m) ** 2)
    if not _has_lid(h_mix_m):
        return v
    i = 1
    while True:
        d = 2.0 * i * h_mix_m
        if d - h_m - z_m > _IMAGE_CUT * sz:
            break
        v += (math.exp(-a * (z_m - (d - h_m)) ** 2) + math.exp(-a * (z_m + (d - h_m)) ** 2)
              + math.exp(-a * (z_m - (d + h_m)) ** 2) + math.exp(-a * (z_m + (d + h_m)) ** 2))
        i += 1
    return v


@njit(cache=True)
def _plume_point(xd: float, yd: float, z_m: float, hs: float, q: float, u: float,
                 scheme: int, p: np.ndarray, h_mix_m: float) -> float:
    """Plume concentration at downwind ``xd`` and crosswind ``yd`` from the source (m)."""
    if xd <= 0.0:
        return 0.0
    sy, sz = sigma_yz(scheme, xd, p)
    if not (sy > 0.0 and sz > 0.0):
        return 0.0
    if abs(yd) > CUT_SIGMAS * sy:
        return 0.0
    gy = math.exp(-0.5 * (yd / sy) ** 2)
    if _has_lid(h_mix_m):
        if hs > h_mix_m or z_m > h_mix_m:
            return 0.0
        if sz > WELL_MIXED_RATIO * h_mix_m:
            return q / (SQRT_2PI * sy * u * h_mix_m) * gy
    return q / (TWO_PI * u * sy * sz) * gy * vertical_factor(z_m, hs, sz, h_mix_m)


@njit(cache=True)
def _check(scheme: int, p: np.ndarray, u: float) -> None:
    sy, sz = sigma_yz(scheme, 1000.0, p)
    if not (sy > 0.0 and sz > 0.0):
        raise ValueError("sigma scheme/parameters give no finite sigma: check scheme and p[0]")
    if not u > 0.0:
        raise ValueError("wind speed must be > 0 m/s")


@njit(parallel=True, cache=True)
def plume_conc(xr: np.ndarray, yr: np.ndarray, zr: np.ndarray, xs: float, ys: float, hs: float,
               q_kg_s: float, u_m_s: float, wind_from_deg: float, scheme: int, p: np.ndarray,
               h_mix_m: float, out: np.ndarray) -> None:
    """Steady Gaussian plume concentration (kg/m^3) into ``out`` at receptors (xr, yr, zr)
    from a point source at (xs, ys) with effective height hs (m); module docstring for the
    equations."""
    _check(scheme, p, u_m_s)
    ex, ey = _downwind(wind_from_deg)
    for i in prange(xr.size):
        dx = xr[i] - xs
        dy = yr[i] - ys
        out[i] = _plume_point(dx * ex + dy * ey, dy * ex - dx * ey, zr[i], hs, q_kg_s, u_m_s,
                              scheme, p, h_mix_m)


@njit(cache=True)
def plume_cy(x_dw_m: np.ndarray, z_m: np.ndarray, hs: float, q_kg_s: float, u_m_s: float,
             scheme: int, p: np.ndarray, h_mix_m: float, out: np.ndarray) -> None:
    """Crosswind-integrated concentration C^y = int C dy (kg/m^2) at downwind distances
    ``x_dw_m`` and heights ``z_m``: Q V(z) / (sqrt(2 pi) sz u), or Q / (u h) well mixed
    (the y-integral of the plume of the module docstring); 0 at x <= 0."""
    _check(scheme, p, u_m_s)
    lid = _has_lid(h_mix_m)
    for i in range(x_dw_m.size):
        out[i] = 0.0
        if x_dw_m[i] <= 0.0 or (lid and (hs > h_mix_m or z_m[i] > h_mix_m)):
            continue
        sy, sz = sigma_yz(scheme, x_dw_m[i], p)
        if lid and sz > WELL_MIXED_RATIO * h_mix_m:
            out[i] = q_kg_s / (u_m_s * h_mix_m)
        else:
            out[i] = q_kg_s / (SQRT_2PI * sz * u_m_s) * vertical_factor(z_m[i], hs, sz, h_mix_m)


@njit(parallel=True, cache=True)
def puff_conc(xr: np.ndarray, yr: np.ndarray, zr: np.ndarray, px: np.ndarray, py: np.ndarray,
              ph: np.ndarray, pmass_kg: np.ndarray, pdist_m: np.ndarray, scheme: int,
              p: np.ndarray, h_mix_m: float, out: np.ndarray) -> None:
    """Sum of Gaussian puffs (kg/m^3) into ``out`` at receptors (xr, yr, zr). Puff k sits at
    (px, py), effective height ph, holds pmass_kg and has travelled pdist_m, which sets its
    sigmas (sx = sy); puffs with a zero sigma (not yet spread) are skipped."""
    _check(scheme, p, 1.0)
    npf = px.size
    inv2 = np.zeros(npf)  # 1 / (2 sy^2); 0 marks a skipped puff
    cut2 = np.zeros(npf)
    amp = np.zeros(npf)
    szs = np.zeros(npf)
    wmix = np.zeros(npf, dtype=np.bool_)
    lid = _has_lid(h_mix_m)
    for k in range(npf):
        sy, sz = sigma_yz(scheme, pdist_m[k], p)
        if not (sy > 0.0 and sz > 0.0) or pmass_kg[k] == 0.0 or (lid and ph[k] > h_mix_m):
            continue
        inv2[k] = 0.5 / (sy * sy)
        cut2[k] = (CUT_SIGMAS * sy) ** 2
        szs[k] = sz
        wmix[k] = lid and sz > WELL_MIXED_RATIO * h_mix_m
        if wmix[k]:
            amp[k] = pmass_kg[k] / (TWO_PI * sy * sy * h_mix_m)
        else:
            amp[k] = pmass_kg[k] / (TWO_PI * SQRT_2PI * sy * sy * sz)
    for i in prange(xr.size):
        c = 0.0
        z = zr[i]
        if not (lid and z > h_mix_m):
            for k in range(npf):
                if inv2[k] == 0.0:
                    continue
                dx = xr[i] - px[k]
                dy = yr[i] - py[k]
                r2 = dx * dx + dy * dy
                if r2 > cut2[k]:
                    continue
                g = amp[k] * math.exp(-inv2[k] * r2)
                if not wmix[k]:
                    g *= vertical_factor(z, ph[k], szs[k], h_mix_m)
                c += g
        out[i] = c


@njit(cache=True)
def advect_puffs(px: np.ndarray, py: np.ndarray, pdist: np.ndarray, u_m_s: float,
                 wind_from_deg: float, dt_s: float) -> None:
    """Move puffs in place by one step of a uniform wind: centres by u dt along the downwind
    vector, travel distance by u dt (pass only the released puffs, e.g. a prefix slice)."""
    ex, ey = _downwind(wind_from_deg)
    step = u_m_s * dt_s
    for k in range(px.size):
        px[k] += ex * step
        py[k] += ey * step
        pdist[k] += step


def release_puffs(times_s: np.ndarray, rate_kg_s: np.ndarray,
                  dt_release_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Puffs for a piecewise-constant release: rate_kg_s[i] holds on [times_s[i], times_s[i+1])
    (len(times_s) = len(rate_kg_s) + 1). Returns (release time s, mass kg) of one puff per
    interval of ``dt_release_s`` (the last one shorter), released at the interval midpoint
    with the exact integral of the rate over it, so the masses sum to the total released;
    empty intervals give no puff."""
    t = np.asarray(times_s, dtype=float)
    r = np.asarray(rate_kg_s, dtype=float)
    if t.ndim != 1 or r.ndim != 1 or t.size != r.size + 1 or r.size == 0:
        raise InputError(f"times_s/rate_kg_s lengths {t.size}/{r.size}: expected n+1 edges for n >= 1 rates")
    if not np.all(np.diff(t) > 0) or not np.all(np.isfinite(t)):
        raise InputError(f"times_s {t.tolist()}: expected finite, strictly increasing times")
    if not np.all(r >= 0) or not np.all(np.isfinite(r)):
        raise InputError(f"rate_kg_s {r.tolist()}: expected finite rates >= 0")
    if not (dt_release_s > 0 and math.isfinite(dt_release_s)):
        raise InputError(f"dt_release_s {dt_release_s}: expected a positive number of seconds")
    cum = np.concatenate([[0.0], np.cumsum(r * np.diff(t))])  # released mass at the edges
    n = int(math.ceil((t[-1] - t[0]) / dt_release_s - 1e-9))
    edges = np.minimum(t[0] + dt_release_s * np.arange(n + 1), t[-1])
    edges[-1] = t[-1]
    mass = np.diff(np.interp(edges, t, cum))
    keep = mass > 0
    return (0.5 * (edges[:-1] + edges[1:]))[keep], mass[keep]


@njit(cache=True)
def _bin_of(xd: float) -> int:
    """Geometric bin of downwind distance xd (bins of 1/_BIN_SUB octave from _BIN_X0_M);
    -1 outside the table."""
    m, e = math.frexp(xd / _BIN_X0_M)  # xd / x0 = m 2^e, 0.5 <= m < 1
    if e < 1 or e > _BIN_OCT:
        return -1
    return (e - 1) * _BIN_SUB + int((m - 0.5) * (2 * _BIN_SUB))


@njit(cache=True)
def _bin_edge(b: int) -> float:
    o = b // _BIN_SUB
    j = b - o * _BIN_SUB
    return _BIN_X0_M * 2.0 ** o * (1.0 + j / _BIN_SUB)


@njit(parallel=True, cache=True)
def exceedance_count(xr: np.ndarray, yr: np.ndarray, zr: np.ndarray, xs: float, ys: float,
                     hs: float, q_kg_s: float, u_arr: np.ndarray, dir_arr: np.ndarray,
                     cls_arr: np.ndarray, scheme: int, h_mix_arr: np.ndarray,
                     threshold_kg_m3: float, count_out: np.ndarray) -> None:
    """For an ensemble of N plumes (member k: wind speed u_arr[k], from dir_arr[k] degrees,
    class cls_arr[k], mixing height h_mix_arr[k]), count into ``count_out`` how many members
    give C > threshold at each receptor, C exactly as :func:`plume_conc` with p = [class].

    Speed: per member and geometric distance bin [x1, x2) a squared crosswind limit is
    precomputed from sigma bounds (sigmas grow with x): C > thr needs |y| <= 6 sy(x2) and
    y^2 < 2 sy(x2)^2 ln(B / thr), B = Q / (2 pi u sy(x1)) (2 / sz(x1) + sqrt(2 pi) / h) (the
    image sum is at most 2 + sqrt(2 pi) sz / h), so most receptors are rejected by one
    compare; the rest are evaluated exactly."""
    n = xr.size
    m = u_arr.size
    nb = _BIN_OCT * _BIN_SUB
    pm = np.empty((m, 1))
    ex = np.empty(m)
    ey = np.empty(m)
    lim2 = np.empty((m, nb))
    for k in range(m):
        pm[k, 0] = cls_arr[k]
        _check(scheme, pm[k], u_arr[k])
        ex[k], ey[k] = _downwind(dir_arr[k])
        h = h_mix_arr[k]
        lid_term = SQRT_2PI / h if _has_lid(h) else 0.0
        for b in range(nb):
            sy1, sz1 = sigma_yz(scheme, _bin_edge(b), pm[k])
            sy2, sz2 = sigma_yz(scheme, _bin_edge(b + 1), pm[k])
            sy1 /= _BIN_SAFETY
            sz1 /= _BIN_SAFETY
            sy2 *= _BIN_SAFETY
            bound = _BIN_SAFETY * q_kg_s / (TWO_PI * u_arr[k] * sy1) * (2.0 / sz1 + lid_term)
            if not (sy1 > 0.0 and sz1 > 0.0):
                lim2[k, b] = math.inf
            elif bound <= threshold_kg_m3:
                lim2[k, b] = -1.0
            elif threshold_kg_m3 <= 0.0:
                lim2[k, b] = CUT_SIGMAS * CUT_SIGMAS * sy2 * sy2
            else:
                lim2[k, b] = min(CUT_SIGMAS * CUT_SIGMAS,
                                 2.0 * math.log(bound / threshold_kg_m3)) * sy2 * sy2
    nchunk = (n + _CHUNK - 1) // _CHUNK
    for c in prange(nchunk):
        i0 = c * _CHUNK
        i1 = min(i0 + _CHUNK, n)
        for i in range(i0, i1):
            count_out[i] = 0
        for k in range(m):
            exk = ex[k]
            eyk = ey[k]
            for i in range(i0, i1):
                dx = xr[i] - xs
                dy = yr[i] - ys
                xd = dx * exk + dy * eyk
                if xd <= 0.0:
                    continue
                yd = dy * exk - dx * eyk
                b = _bin_of(xd)
                if b >= 0 and yd * yd > lim2[k, b]:
                    continue
                if _plume_point(xd, yd, zr[i], hs, q_kg_s, u_arr[k], scheme, pm[k],
                                h_mix_arr[k]) > threshold_kg_m3:
                    count_out[i] += 1


@njit(parallel=True, cache=True)
def similarity_conc(xr: np.ndarray, yr: np.ndarray, zr: np.ndarray, xs: float, ys: float, q_kg_s: float,
                    wind_from_deg: float, p: np.ndarray, out: np.ndarray) -> None:
    """Steady plume of the boundary-layer similarity model (kg/m^3) into ``out`` at receptors
    (xr, yr, zr) from a near-ground source at (xs, ys); ``p`` from
    :func:`sim.hazmat.similarity.similarity_params` (the source height is in it)."""
    ex, ey = _downwind(wind_from_deg)
    for i in prange(xr.size):
        dx = xr[i] - xs
        dy = yr[i] - ys
        xd = dx * ex + dy * ey
        out[i] = similarity_point(xd, dy * ex - dx * ey, zr[i], q_kg_s, p) if xd > 0.0 else 0.0


@njit(cache=True)
def similarity_travel_s(x_dw_m: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """Travel time (s) to downwind distances at the similarity plume's transport speed,
    x / u_bar(x) (0 upwind)."""
    for i in range(x_dw_m.size):
        x = x_dw_m[i]
        out[i] = x / similarity_ubar(x, p) if x > 0.0 else 0.0
