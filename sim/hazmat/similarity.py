"""Boundary-layer similarity dispersion for near-ground releases (the default where u*, L are known).

Model (Gryning, Holtslag, Irwin & Sivertsen 1987, Atmos. Environ. 21, 79-89, "GHIS87"; built on
van Ulden 1978, Atmos. Environ. 12, 2125-2129):

* **Vertical.** Crosswind-integrated concentration of the van Ulden form (GHIS87 eq. 3)
  ``Cy(x, z) = A Q / (u_bar z_bar) exp(-(B z / z_bar)^s)``, ``A = s G(2/s) / G(1/s)^2``,
  ``B = G(2/s) / G(1/s)`` (G the gamma function), so that ``z_bar`` is the mean plume height.
* **Mean plume height.** Lagrangian similarity (van Ulden 1978 eq. 6; GHIS87 eq. A1 is its
  integral): ``d z_bar / dt = K(p z_bar) / (p z_bar)``, ``p = 1.55``, with the eddy diffusivity
  ``K(z) = k u* z / phi_h(z_e / L) (1 - z/h)^2``. The surface-layer part ``k u* z / phi_h`` is
  van Ulden's; the factor ``(1 - z/h)^2`` and the stability correction held near the top of the
  surface layer (``0.1 h``) in unstable air are the boundary-layer K profile of Troen & Mahrt
  (1986, Boundary-Layer Meteorol. 37, 129-148, eq. 6) and Holtslag & Boville (1993, J. Climate
  6, 1825-1842); they keep the plume inside the mixed layer of depth h. Troen & Mahrt's
  ``min(z, 0.1 h)`` is used in the smooth form ``z_e = z / (1 + z / (0.1 h))`` (unstable air
  only; ``z_e = z`` otherwise) so that s, which depends on the derivatives of K and u, is
  continuous. The mean height is capped at ``h/2`` (a uniformly mixed layer). ``dx/dt = u_bar``,
  so ``x(z_bar) = int u_bar / (d z_bar/dt) d z_bar``.
* **Transport speed.** ``u_bar`` is the concentration-weighted mean of the wind profile over
  the vertical distribution, computed exactly (van Ulden's ``u(0.6 z_bar)`` approximates it),
  so the mass flux ``int u(z) Cy(x, z) dz = Q`` holds at every x (tested).
* **Shape parameter** ``s = 2 + m - n`` at ``z = c z_bar``, ``c = 0.6``, with ``m = dln u/dln z``
  and ``n = dln K/dln z`` (the exponents of Schmidt's power-law solution; GHIS87 eq. A2, here
  with the same K and wind profiles as the growth).
* **Wind profile.** Monin-Obukhov ``u(z) = u_ref F(z) / F(z_ref)``, ``F = ln(z_e/z0) -
  psi_m(z_e/L) + psi_m(z0/L)`` (Paulson 1970), anchored to the measured wind ``u_ref`` at
  ``z_ref`` (``u*/k F(z)`` when none is given); 0 below z0; constant above h.
* **Lateral.** ``sigma_v = u_ref sigma_theta`` (small-angle relation, Pasquill 1976) and the
  travel time ``t = x / u_bar`` at the plume's transport speed (as AERMOD's ``x / u_eff``). The
  default (``lateral="aermod"``) is AERMOD's ambient lateral spread (EPA-454/R-03-004, 2004,
  "AERMOD: description of model formulation", eqs. 76-78; Cimorelli et al. 2005, J. Appl.
  Meteorol. 44, 682-708): Taylor's ``sigma_v t / (1 + t/(2 T_Ly))^p`` with ``T_Ly = l/sigma_v``
  and ``l = z_i / alpha`` (Venkatram et al. 1984), i.e.
  ``sigma_y = sigma_v t / (1 + alpha X)^p``, ``X = sigma_v t / z_i``, ``alpha = 78 z_PG /
  max(z_s, z_PG)``, ``z_PG = 0.46 m``, ``p = 0.3``; ``z_i`` is the mechanical mixing height
  ``z_im = 2300 u*^1.5`` (Venkatram 1980; MFD eq. 24) in stable and neutral air and
  ``max(h, z_im)`` in unstable air (MFD: the CBL depth is the larger of the convective and the
  mechanical heights). NOTE: AERMOD's alpha = 78 and p = 0.3 were fitted by its developers to
  Prairie Grass (MFD sec. 5.5.1.1, their Fig. 17), so Prairie Grass is not an independent test
  of this part. Alternatives (sensitivity only, :func:`lateral_sigma_y_m`): ``"draxler"``,
  ``f_y = 1 / (1 + 0.9 sqrt(t / T_i))``, ``T_i = 1000 s`` (Draxler 1976, Atmos. Environ. 10,
  99-105; the previous default), and ``"hanna"``, Taylor's form with ``p = 0.5`` and the
  Lagrangian time scale of Hanna (1982, in Nieuwstadt & van Dop, Atmospheric Turbulence and Air
  Pollution Modelling, ch. 7) at the mean plume height: ``T_Lv = 0.15 h/sigma_v`` (unstable),
  ``0.07 h/sigma_v (z/h)^0.5`` (stable), ``0.5 z/sigma_w / (1 + 15 f z/u*)``, ``sigma_w = 1.3 u*``
  (neutral, h/|L| < 1). Point concentration = ``Cy`` times the Gaussian in ``y``.

Constants (one set, all from the literature, nothing fitted here): von Karman ``k = 0.40``;
Businger-Dyer functions (Dyer 1974, Boundary-Layer Meteorol. 7, 363-372, as used by GHIS87):
``phi_m = 1 + 5 zeta``, ``phi_h = 1 + 5 zeta`` (stable), ``phi_m = (1 - 16 zeta)^-1/4``,
``phi_h = (1 - 16 zeta)^-1/2`` (unstable); ``p = 1.55``, ``c = 0.6`` (van Ulden 1978); surface
layer ``0.1 h``; AERMOD ``alpha = 78``, ``p = 0.3``, ``z_PG = 0.46 m``, ``z_im = 2300 u*^1.5``.
``u*`` is the one defined with ``k = 0.40``.

Tables are interpolated linearly in ln x and held constant outside 0.1 m .. 100 km.

Validity: sources near the ground (``z_source`` well below the mean plume height at the
receptors; the plume starts as a ground-source plume of mean height ``max(z_source, 10 z0)``,
the virtual-source start of GHIS87; 10 z0 is about the height of the roughness elements, below
which the similarity profiles, and the local exponents in s, do not hold (Garratt 1992, The
Atmospheric Boundary Layer, sec. 4.2)), receptors above the roughness elements, flat terrain.

Parameter vector ``p`` (float64, built by :func:`similarity_params`):

=======  =====================================================================
p[0]     layout version (1.0)
p[1]     n, table length
p[2]     ln x of the first table node (x in m)
p[3]     d ln x between nodes
p[4]     z0 (m)
p[5]     1/L (1/m; 0 neutral)
p[6]     u* (m/s)
p[7]     mixing height h (m; inf: none)
p[8]     source height (m)
p[9]     sigma_v (m/s)
p[10]    u_ref (m/s; NaN: profile from u*)
p[11]    z_ref (m)
p[12]    initial mean plume height z_bar(0) (m)
p[13:16] reserved (0)
p[16 + k n : 16 + (k+1) n]   tables on the ln x grid: k = 0 ln z_bar, 1 ln u_bar, 2 s,
                             3 ln sigma_y
=======  =====================================================================
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.special import gammaln

from twin.errors import InputError

KARMAN = 0.40  # von Karman constant (Hogstrom 1988; the value the Dyer 1974 functions assume)
BETA = 5.0  # stable phi_m, phi_h = 1 + BETA zeta (Dyer 1974)
GAMMA_M = 16.0  # unstable phi_m = (1 - GAMMA_M zeta)^-1/4 (Dyer 1974)
GAMMA_H = 16.0  # unstable phi_h = (1 - GAMMA_H zeta)^-1/2 (Dyer 1974)
P_GROWTH = 1.55  # van Ulden (1978): dz/dt = K(p z)/(p z)
C_SHAPE = 0.6  # van Ulden (1978): representative height c z_bar (wind, shape exponents)
SURFACE_LAYER_FRACTION = 0.1  # surface layer = 0.1 h (Troen & Mahrt 1986; Holtslag & Boville 1993)
DRAXLER_TI_S = 1000.0  # Draxler (1976) f_y time scale (alternative "draxler")
AERMOD_ALPHA = 78.0  # AERMOD lateral spread, EPA-454/R-03-004 eq. 77 (fitted there to Prairie Grass)
AERMOD_P = 0.3  # exponent of the same equation
AERMOD_Z_PG_M = 0.46  # Prairie Grass release height, the reference of alpha's scaling (MFD eq. 78)
ZIM_COEF = 2300.0  # mechanical mixing height z_im = 2300 u*^1.5 (Venkatram 1980; MFD eq. 24)
LATERAL_SCHEMES = ("aermod", "draxler", "hanna")
DEFAULT_LATERAL = "aermod"
# sigma_v / u* in neutral and stable air (Panofsky & Dutton 1984, Atmospheric Turbulence, ch. 7)
SIGMA_V_NEUTRAL = 1.9
# smallest start height / z0: the profiles hold above the roughness elements (~10 z0, Garratt 1992)
ZBAR0_OVER_Z0 = 10.0
F_CORIOLIS_MIN = 1.0e-5  # |f| floor (near the equator) for the Nieuwstadt (1981) depth

HEADER = 16
N_TAB = 256
X_TAB_MIN_M = 0.1
X_TAB_MAX_M = 1.0e5
_N_ZBAR = 400  # mean-height nodes of the x(z_bar) integral (log tables converge to 5e-4)
_N_TAU = 256  # quadrature nodes for the exact transport speed


# --------------------------------------------------------------------------- profiles (numpy)


def phi_m(zeta: np.ndarray) -> np.ndarray:
    """Dimensionless wind shear phi_m(z/L) (Dyer 1974)."""
    zeta = np.asarray(zeta, float)
    return np.where(zeta >= 0.0, 1.0 + BETA * zeta, (1.0 - GAMMA_M * np.minimum(zeta, 0.0)) ** -0.25)


def phi_h(zeta: np.ndarray) -> np.ndarray:
    """Dimensionless temperature gradient phi_h(z/L) (Dyer 1974); K_h = k u* z / phi_h."""
    zeta = np.asarray(zeta, float)
    return np.where(zeta >= 0.0, 1.0 + BETA * zeta, (1.0 - GAMMA_H * np.minimum(zeta, 0.0)) ** -0.5)


def psi_m(zeta: np.ndarray) -> np.ndarray:
    """Integrated momentum stability function (Paulson 1970, J. Appl. Meteorol. 9, 857, eq. 3
    with the Dyer phi_m; -BETA zeta in stable air)."""
    zeta = np.asarray(zeta, float)
    x = (1.0 - GAMMA_M * np.minimum(zeta, 0.0)) ** 0.25
    un = 2.0 * np.log((1.0 + x) / 2.0) + np.log((1.0 + x * x) / 2.0) - 2.0 * np.arctan(x) + np.pi / 2.0
    return np.where(zeta < 0.0, un, -BETA * zeta)


def z_effective(z_m: np.ndarray, inv_L: float, h_m: float) -> np.ndarray:
    """Height at which the surface-layer functions are evaluated: ``z`` in stable or neutral air;
    in unstable air ``z / (1 + z / (0.1 h))``, a smooth form of the ``min(z, 0.1 h)`` of Troen &
    Mahrt (1986) that keeps the derivatives of K and u (which the shape exponent uses)
    continuous; it equals z well inside the surface layer and tends to 0.1 h above it."""
    z = np.asarray(z_m, float)
    if inv_L < 0.0 and math.isfinite(h_m):
        return z / (1.0 + z / (SURFACE_LAYER_FRACTION * h_m))
    return z


def profile_f(z_m: np.ndarray, z0_m: float, inv_L: float, h_m: float = math.inf) -> np.ndarray:
    """Wind-profile shape F = ln(z_e/z0) - psi_m(z_e/L) + psi_m(z0/L), u = u*/k F, with z_e of
    :func:`z_effective` (so the wind levels off above the unstable surface layer), held constant
    above h; 0 at z_e <= z0."""
    z = z_effective(np.minimum(np.asarray(z_m, float), h_m), inv_L, h_m)
    zz = np.maximum(z, z0_m)
    f = np.log(zz / z0_m) - psi_m(zz * inv_L) + psi_m(z0_m * inv_L)
    return np.where(z > z0_m, f, 0.0)


def k_over_z(z_m: np.ndarray, ustar_m_s: float, inv_L: float, h_m: float) -> np.ndarray:
    """K(z)/z (m/s) of the boundary-layer K profile ``k u*/phi_h(z_e/L) (1 - z/h)^2`` (module doc)."""
    z = np.asarray(z_m, float)
    q = np.clip(z / h_m, 0.0, 1.0)
    return KARMAN * ustar_m_s / phi_h(z_effective(z, inv_L, h_m) * inv_L) * (1.0 - q) ** 2


def shape_exponent(zbar_m: np.ndarray, z0_m: float, inv_L: float, h_m: float) -> np.ndarray:
    """Shape parameter s = 2 + m - n at z = c z_bar (GHIS87 eq. A2 with the K and wind profiles
    above): m = dln u/dln z, n = dln K/dln z, both continuous in z."""
    z = C_SHAPE * np.asarray(zbar_m, float)
    q = np.clip(z / h_m, 0.0, 0.999)
    ze = z_effective(z, inv_L, h_m)
    dze = np.where(z > 0, ze / np.maximum(z, 1e-300), 1.0)  # dln z_e / dln z
    zeta = ze * inv_L
    if inv_L < 0.0:
        two_minus_n = 1.0 - 0.5 * (-GAMMA_H * zeta) / (1.0 - GAMMA_H * zeta) * dze
    else:
        two_minus_n = (1.0 + 2.0 * BETA * zeta) / (1.0 + BETA * zeta)
    two_minus_n = two_minus_n + 2.0 * q / (1.0 - q)
    f = profile_f(z, z0_m, inv_L, h_m)
    m = np.where((z < h_m) & (f > 0.0), phi_m(zeta) / np.maximum(f, 1e-12) * dze, 0.0)
    return two_minus_n + m


def shape_ab(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) of the van Ulden profile for shape s (module doc)."""
    s = np.asarray(s, float)
    g1 = gammaln(1.0 / s)
    g2 = gammaln(2.0 / s)
    return s * np.exp(g2 - 2.0 * g1), np.exp(g2 - g1)


def transport_speed(zbar_m: np.ndarray, s: np.ndarray, u_scale_m_s: float, z0_m: float, inv_L: float,
                    h_m: float) -> np.ndarray:
    """Exact concentration-weighted wind ``u_bar = int u(z) Cy dz / int Cy dz`` (m/s).

    With tau = (B z / z_bar)^s the weight is a gamma density:
    ``u_bar = 1/G(1/s) int u(z_bar tau^(1/s) / B) tau^(1/s) e^-tau dln tau``, trapezoid in
    ln tau from z = z0 (u = 0 below) to tau = 60.
    """
    zbar = np.asarray(zbar_m, float)[:, None]
    s = np.asarray(s, float)[:, None]
    _, b = shape_ab(s)
    lo = np.minimum(s * np.log(b * z0_m / zbar), math.log(60.0) - 1.0)
    frac = np.linspace(0.0, 1.0, _N_TAU)[None, :]
    ln_tau = lo + (math.log(60.0) - lo) * frac
    tau = np.exp(ln_tau)
    z = zbar * np.exp(ln_tau / s) / b
    w = np.exp(ln_tau / s - tau - gammaln(1.0 / s))
    u = u_scale_m_s * profile_f(z, z0_m, inv_L, h_m)
    return np.trapezoid(u * w, ln_tau, axis=1)


def aermod_zi_m(ustar_m_s: float, inv_L: float, h_m: float) -> float:
    """Length scale z_i (m) of AERMOD's lateral spread: the mechanical mixing height
    ``2300 u*^1.5`` (Venkatram 1980; EPA-454/R-03-004 eq. 24) in stable and neutral air, the
    larger of it and the mixing height h in unstable air (z_im alone when h is unbounded)."""
    zim = ZIM_COEF * ustar_m_s**1.5
    if inv_L < 0.0 and math.isfinite(h_m):
        return max(h_m, zim)
    return zim


def lateral_sigma_y_m(t_s: np.ndarray, sigma_v_m_s: float, *, scheme: str = DEFAULT_LATERAL, ustar_m_s: float,
                      inv_L: float, h_m: float, z_source_m: float, zbar_m: np.ndarray | float) -> np.ndarray:
    """Lateral spread sigma_y (m) after travel time t (s) for the turbulence sigma_v (m/s).

    ``scheme``: ``"aermod"`` (default; EPA-454/R-03-004 eqs. 77-78, module doc), ``"draxler"``
    (Draxler 1976, T_i = 1000 s) or ``"hanna"`` (Taylor with Hanna 1982's T_Lv at the mean plume
    height ``zbar_m``, which may be an array matching t). All tend to ``sigma_v t`` as t -> 0.
    """
    t = np.asarray(t_s, float)
    if scheme == "aermod":
        alpha = AERMOD_ALPHA * AERMOD_Z_PG_M / max(z_source_m, AERMOD_Z_PG_M)
        x_nd = sigma_v_m_s * t / aermod_zi_m(ustar_m_s, inv_L, h_m)
        return sigma_v_m_s * t / (1.0 + alpha * x_nd) ** AERMOD_P
    if scheme == "draxler":
        return sigma_v_m_s * t / (1.0 + 0.9 * np.sqrt(t / DRAXLER_TI_S))
    if scheme == "hanna":
        z = np.maximum(np.asarray(zbar_m, float), 1e-3)
        h = h_m if math.isfinite(h_m) else aermod_zi_m(ustar_m_s, 0.0, h_m)
        f = 1.0e-4  # Hanna's neutral T_L is written with f = 1e-4 1/s (15 f z/u* = 1.5e-3 z/u*)
        if inv_L == 0.0 or h * abs(inv_L) < 1.0:
            tl = 0.5 * z / (1.3 * ustar_m_s) / (1.0 + 15.0 * f * z / ustar_m_s)
        elif inv_L < 0.0:
            tl = np.full_like(z, 0.15 * h / sigma_v_m_s)
        else:
            tl = 0.07 * h / sigma_v_m_s * np.sqrt(np.minimum(z / h, 1.0))
        return sigma_v_m_s * t / np.sqrt(1.0 + t / (2.0 * tl))
    raise InputError(f"lateral {scheme!r}: expected one of {', '.join(LATERAL_SCHEMES)}")


# --------------------------------------------------------------------------- parameters


def _num(v: float | None) -> float:
    """float(v), NaN for None (so that a missing value fails its check with an InputError)."""
    return math.nan if v is None else float(v)


def _check(name: str, value: float, ok: bool, expected: str) -> float:
    if not ok:
        raise InputError(f"{name} {value!r}: expected {expected}")
    return float(value)


def similarity_params(ustar_m_s: float, L_m: float, sigma_theta_deg: float, u_ref_m_s: float | None,
                      z_ref_m: float, z0_m: float, h_mix_m: float | None, z_source_m: float) -> np.ndarray:
    """Parameter vector of the similarity model (layout in the module docstring), with the default
    lateral spread (AERMOD); arguments as :func:`build_params`."""
    return build_params(ustar_m_s, L_m, sigma_theta_deg, u_ref_m_s, z_ref_m, z0_m, h_mix_m, z_source_m)


def build_params(ustar_m_s: float, L_m: float, sigma_theta_deg: float, u_ref_m_s: float | None,
                 z_ref_m: float, z0_m: float, h_mix_m: float | None, z_source_m: float, *,
                 lateral: str = DEFAULT_LATERAL) -> np.ndarray:
    """Parameter vector of the similarity model (layout in the module docstring).

    ``ustar_m_s`` friction velocity (k = 0.40); ``L_m`` Monin-Obukhov length (+-inf neutral);
    ``sigma_theta_deg`` standard deviation of the wind direction; ``u_ref_m_s`` measured wind at
    ``z_ref_m`` (None/NaN: the profile from u*); ``z0_m`` roughness; ``h_mix_m`` mixing height
    (None/inf: unbounded; see :func:`fill_met` for defaults); ``z_source_m`` release height;
    ``lateral`` the sigma_y scheme (:func:`lateral_sigma_y_m`; alternatives for sensitivity runs).
    """
    if lateral not in LATERAL_SCHEMES:
        raise InputError(f"lateral {lateral!r}: expected one of {', '.join(LATERAL_SCHEMES)}")
    ustar_m_s, L_m, sigma_theta_deg = (_num(v) for v in (ustar_m_s, L_m, sigma_theta_deg))
    z_ref_m, z0_m, z_source_m = (_num(v) for v in (z_ref_m, z0_m, z_source_m))
    us = _check("ustar_m_s", ustar_m_s, math.isfinite(ustar_m_s) and ustar_m_s > 0, "a friction velocity > 0 m/s")
    L = _check("L_m", L_m, not math.isnan(L_m) and L_m != 0, "a nonzero Monin-Obukhov length in m (inf: neutral)")
    sth = _check("sigma_theta_deg", sigma_theta_deg, math.isfinite(sigma_theta_deg) and 0 < sigma_theta_deg < 90,
                 "a wind-direction standard deviation in degrees, 0 < value < 90 (fill_met gives a default)")
    z0 = _check("z0_m", z0_m, math.isfinite(z0_m) and z0_m > 0, "a roughness length > 0 m")
    zr = _check("z_ref_m", z_ref_m, math.isfinite(z_ref_m) and z_ref_m > z0, f"a wind height above z0 = {z0} m")
    h = math.inf if h_mix_m is None or (isinstance(h_mix_m, float) and math.isnan(h_mix_m)) else float(h_mix_m)
    _check("h_mix_m", h, h > 0, "a mixing height > 0 m (None: unbounded)")
    zs = _check("z_source_m", z_source_m, math.isfinite(z_source_m) and z_source_m >= 0, "a release height >= 0 m")
    inv_L = 0.0 if math.isinf(L) else 1.0 / L
    if max(zs, ZBAR0_OVER_Z0 * z0) >= 0.5 * h:
        raise InputError(f"z_source_m {zs} / z0_m {z0}: expected a near-ground release (and {ZBAR0_OVER_Z0:g} z0) "
                         f"below half the mixing height ({h} m)")

    if u_ref_m_s is None or math.isnan(u_ref_m_s):
        u_ref = math.nan
        u_scale = us / KARMAN
        u_sig = float(u_scale * profile_f(np.array(zr), z0, inv_L, h))
    else:
        u_ref = _check("u_ref_m_s", u_ref_m_s, math.isfinite(u_ref_m_s) and u_ref_m_s > 0, "a wind speed > 0 m/s")
        f_ref = float(profile_f(np.array(zr), z0, inv_L, h))
        if f_ref <= 0:
            raise InputError(f"z_ref_m {zr}: expected a wind height where the profile is positive")
        u_scale = u_ref / f_ref
        u_sig = u_ref
    sigma_v = math.radians(sth) * u_sig

    zb0 = max(zs, ZBAR0_OVER_Z0 * z0)
    zb_top = min(0.5 * h, 1.0e5)
    zb = np.exp(np.linspace(math.log(zb0), math.log(max(zb_top, 1.001 * zb0)), _N_ZBAR))
    s = shape_exponent(zb, z0, inv_L, h)
    ub = transport_speed(zb, s, u_scale, z0, inv_L, h)
    w = k_over_z(P_GROWTH * zb, us, inv_L, h)  # d z_bar / dt
    dlnz = np.diff(np.log(zb))
    dx = 0.5 * (zb[1:] * ub[1:] / w[1:] + zb[:-1] * ub[:-1] / w[:-1]) * dlnz
    x = np.concatenate([[0.0], np.cumsum(dx)])

    n = N_TAB
    lnx = np.linspace(math.log(X_TAB_MIN_M), math.log(X_TAB_MAX_M), n)
    xt = np.exp(lnx)
    zt = np.interp(xt, x, zb)
    st = np.interp(xt, x, s)
    ut = np.interp(xt, x, ub)
    tt = xt / ut  # travel time at the plume's transport speed
    sy = lateral_sigma_y_m(tt, sigma_v, scheme=lateral, ustar_m_s=us, inv_L=inv_L, h_m=h, z_source_m=zs,
                           zbar_m=zt)

    p = np.zeros(HEADER + 4 * n)
    p[:13] = [1.0, n, lnx[0], lnx[1] - lnx[0], z0, inv_L, us, h, zs, sigma_v, u_ref, zr, zb0]
    p[HEADER:HEADER + n] = np.log(zt)
    p[HEADER + n:HEADER + 2 * n] = np.log(ut)
    p[HEADER + 2 * n:HEADER + 3 * n] = st
    p[HEADER + 3 * n:HEADER + 4 * n] = np.log(sy)
    return p


def nieuwstadt_height_m(ustar_m_s: float, L_m: float, f_coriolis_s: float) -> float:
    """Neutral/stable boundary-layer depth (m), Nieuwstadt (1981, Boundary-Layer Meteorol. 20,
    3-17): ``h/L = (-1 + sqrt(1 + 2.28 u*/(f L))) / 3.8``, i.e. ``h = 0.3 u*/|f|`` when neutral
    and ``h -> 0.4 sqrt(u* L/|f|)`` (Zilitinkevich 1972) when very stable."""
    f = max(abs(f_coriolis_s), F_CORIOLIS_MIN)
    if math.isinf(L_m):
        return 0.3 * ustar_m_s / f
    return L_m / 3.8 * (-1.0 + math.sqrt(1.0 + 2.28 * ustar_m_s / (f * L_m)))


def coriolis_s(lat_deg: float) -> float:
    """Coriolis parameter f = 2 Omega sin(latitude) (1/s)."""
    return 2.0 * 7.2921e-5 * math.sin(math.radians(lat_deg))


def fill_met(ustar_m_s: float, L_m: float, *, lat_deg: float, sigma_theta_deg: float | None = None,
             u_ref_m_s: float | None = None, z_ref_m: float = 10.0, z0_m: float = 0.1,
             h_mix_m: float | None = None) -> dict[str, float]:
    """Complete the similarity model's weather for product use (values given are kept).

    * mixing height, stable or neutral (L > 0): Nieuwstadt (1981) (:func:`nieuwstadt_height_m`);
      unstable: the larger of the R91 class depth (Clarke 1979, NRPB-R91 Table 3, class from
      L and z0 by Golder 1972) and the mechanical height ``2300 u*^1.5`` (Venkatram 1980, as in
      AERMOD, EPA-454/R-03-004 eq. 24);
    * sigma_theta: ``sigma_v / u(z_ref)`` with ``sigma_v = u* (12 + 0.5 h/|L|)^(1/3)`` in
      unstable air (Panofsky et al. 1977, Boundary-Layer Meteorol. 11, 355-361) and
      ``1.9 u*`` otherwise (Panofsky & Dutton 1984), u(z_ref) from u* when no wind is given.

    Returns the keyword arguments of :func:`similarity_params` (less ``z_source_m``).
    """
    from sim.hazmat.weather import MIXING_HEIGHT_R91_M, golder_class_index

    ustar_m_s, L_m, lat_deg, z0_m = (_num(v) for v in (ustar_m_s, L_m, lat_deg, z0_m))
    us = _check("ustar_m_s", ustar_m_s, math.isfinite(ustar_m_s) and ustar_m_s > 0, "a friction velocity > 0 m/s")
    L = _check("L_m", L_m, not math.isnan(L_m) and L_m != 0, "a nonzero Monin-Obukhov length in m (inf: neutral)")
    _check("lat_deg", lat_deg, -90 <= lat_deg <= 90, "a latitude in degrees, -90..90")
    _check("z0_m", z0_m, math.isfinite(z0_m) and z0_m > 0, "a roughness length > 0 m")
    if h_mix_m is None or math.isnan(h_mix_m):
        if L > 0:
            h = nieuwstadt_height_m(us, L, coriolis_s(lat_deg))
        else:
            cls = int(golder_class_index(L, z0_m))
            h = max(MIXING_HEIGHT_R91_M[cls], 2300.0 * us**1.5)
    else:
        h = _check("h_mix_m", h_mix_m, h_mix_m > 0, "a mixing height > 0 m")
    if sigma_theta_deg is None or math.isnan(sigma_theta_deg):
        inv_L = 0.0 if math.isinf(L) else 1.0 / L
        sv = us * (12.0 + 0.5 * h / -L) ** (1.0 / 3.0) if L < 0 else SIGMA_V_NEUTRAL * us
        if u_ref_m_s is None or math.isnan(u_ref_m_s):
            u = us / KARMAN * float(profile_f(np.array(z_ref_m), z0_m, inv_L, h))
        else:
            u = u_ref_m_s
        sth = min(math.degrees(sv / u), 60.0)
    else:
        sth = float(sigma_theta_deg)
    return dict(ustar_m_s=us, L_m=L, sigma_theta_deg=sth, u_ref_m_s=u_ref_m_s, z_ref_m=z_ref_m, z0_m=z0_m,
                h_mix_m=h)


# --------------------------------------------------------------------------- kernels (numba)


@njit(cache=True)
def _lookup(p: np.ndarray, k: int, x_m: float) -> float:
    """Linear interpolation in ln x of table k (held constant beyond the ends)."""
    n = int(p[1])
    r = (math.log(max(x_m, 1e-300)) - p[2]) / p[3]
    if r <= 0.0:
        return p[HEADER + k * n]
    if r >= n - 1:
        return p[HEADER + k * n + n - 1]
    j = int(r)
    a = r - j
    base = HEADER + k * n + j
    return (1.0 - a) * p[base] + a * p[base + 1]


@njit(cache=True)
def similarity_zbar(x_m: float, p: np.ndarray) -> float:
    """Mean plume height z_bar (m) at downwind distance x (m); z_bar(0) for x <= 0."""
    if x_m <= 0.0:
        return p[12]
    return math.exp(_lookup(p, 0, x_m))


@njit(cache=True)
def similarity_ubar(x_m: float, p: np.ndarray) -> float:
    """Plume transport speed u_bar (m/s) at downwind distance x (m) (its value at the source for x <= 0)."""
    return math.exp(_lookup(p, 1, max(x_m, 0.0)))


@njit(cache=True)
def similarity_cy(x_m: float, z_m: float, q_kg_s: float, p: np.ndarray) -> float:
    """Crosswind-integrated concentration (kg/m2) at downwind distance x (m), height z (m) for
    a release rate q (kg/s): the van Ulden profile (module doc); 0 at x <= 0."""
    if x_m <= 0.0 or z_m < 0.0:
        return 0.0
    zb = math.exp(_lookup(p, 0, x_m))
    ub = math.exp(_lookup(p, 1, x_m))
    s = _lookup(p, 2, x_m)
    lg1 = math.lgamma(1.0 / s)
    lg2 = math.lgamma(2.0 / s)
    a = s * math.exp(lg2 - 2.0 * lg1)
    b = math.exp(lg2 - lg1)
    return a * q_kg_s / (ub * zb) * math.exp(-((b * z_m / zb) ** s))


@njit(cache=True)
def similarity_sigma_y(x_m: float, p: np.ndarray) -> float:
    """Lateral plume spread sigma_y (m) at downwind distance x (m); 0 at x <= 0."""
    if x_m <= 0.0:
        return 0.0
    return math.exp(_lookup(p, 3, x_m))


@njit(cache=True)
def similarity_point(x_dw_m: float, y_cw_m: float, z_m: float, q_kg_s: float, p: np.ndarray) -> float:
    """Concentration (kg/m3) at downwind x, crosswind y, height z: Cy times the lateral Gaussian."""
    if x_dw_m <= 0.0:
        return 0.0
    sy = math.exp(_lookup(p, 3, x_dw_m))
    g = math.exp(-0.5 * (y_cw_m / sy) ** 2) / (math.sqrt(2.0 * math.pi) * sy)
    return similarity_cy(x_dw_m, z_m, q_kg_s, p) * g
