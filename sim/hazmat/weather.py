"""Weather for the hazardous-chemical release: Pasquill stability class, wind profile,
mixing height and surface roughness, with the checks a user's weather input must pass.

Classes are the letters 'A' (very unstable) .. 'F' (moderately stable); the vectorised
functions use the index 0..5. References are given per function.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from difflib import get_close_matches

import numpy as np

from twin.errors import InputError

CLASSES = "ABCDEF"
KARMAN = 0.4  # von Karman constant, as used with the Businger-Dyer profiles (Dyer 1974)

# --------------------------------------------------------------------------- validation


def check_class(cls: str, key: str = "stability_class") -> int:
    """Index 0..5 of a Pasquill class letter (case-insensitive); anything else -> InputError."""
    c = str(cls).strip().upper()
    if len(c) != 1 or c not in CLASSES:
        raise InputError(f"{key} {cls!r}: expected one Pasquill class of {', '.join(CLASSES)}")
    return CLASSES.index(c)


def check_wind_speed(wind_m_s: float, key: str = "wind_m_s") -> float:
    """Wind speed usable by the Gaussian plume/puff model: finite and >= 1 m/s.

    The Gaussian solution transports the cloud at the mean wind and divides by it; in calm or
    near-calm air (< 1 m/s) the wind direction meanders and the model does not hold. ALOHA
    (Jones et al. 2013, ALOHA 5.4.4 Technical Documentation, NOAA Tech. Memo. NOS OR&R 43)
    does not accept winds under 1 m/s for the same reason. For a worst case, EPA's Risk
    Management Program guidance (Offsite Consequence Analysis Guidance, 2009) uses 1.5 m/s
    with class F.
    """
    u = float(wind_m_s)
    if not math.isfinite(u) or u <= 0.0:
        raise InputError(f"{key} {wind_m_s!r}: expected a wind speed > 0 m/s (>= 1 m/s for the Gaussian model)")
    if u < 1.0:
        raise InputError(
            f"{key} {u:g}: calm or near-calm air (< 1 m/s) is outside the Gaussian dispersion model "
            "(ALOHA refuses it too); give a wind >= 1 m/s, e.g. the worst case 1.5 m/s with class F (EPA RMP)"
        )
    return u


def check_cloud_oktas(oktas: float, key: str = "cloud_oktas") -> float:
    """Total cloud cover in oktas (eighths of the sky), 0..8; 9 (sky obscured) is not accepted."""
    n = float(oktas)
    if not math.isfinite(n) or n < 0.0 or n > 8.0:
        raise InputError(f"{key} {oktas!r}: expected total cloud cover in oktas, 0 (clear) to 8 (overcast)")
    return n


# --------------------------------------------------------------------------- Golder (1972)

# 1/L = a + b log10(z0) for the centre line of each class in Golder's (1972) nomogram, as
# fitted by Myrup & Ranzieri (1976) and tabulated in Seinfeld & Pandis (2006, 2nd ed.,
# Atmospheric Chemistry and Physics, sec. 16.4, eq. 16.83, p. 751). L in m, z0 in m.
_GOLDER_A = np.array([-0.096, -0.037, -0.002, 0.0, 0.004, 0.035])
_GOLDER_B = np.array([0.029, 0.029, 0.018, 0.0, -0.018, -0.036])
# The fitted lines keep their order A<B<C<D<E<F in 1/L only for z0 up to ~1.3 m (above it
# the C and E lines cross D), so z0 is clamped to [1e-4, 1] m to keep the mapping one-to-one
# (rougher city centres are treated as z0 = 1 m here).
GOLDER_Z0_RANGE_M = (1.0e-4, 1.0)


def _golder_centres(z0_m: np.ndarray) -> np.ndarray:
    """Centre-line 1/L (1/m) of classes A..F at roughness z0; shape (6, *z0.shape)."""
    lz = np.log10(np.clip(np.asarray(z0_m, float), *GOLDER_Z0_RANGE_M))
    return _GOLDER_A.reshape((6,) + (1,) * lz.ndim) + _GOLDER_B.reshape((6,) + (1,) * lz.ndim) * lz


def golder_class_index(L_m: np.ndarray | float, z0_m: np.ndarray | float) -> np.ndarray:
    """Pasquill class index 0..5 (A..F) from Monin-Obukhov length and roughness (vectorised).

    Each class is the band of 1/L around its Golder (1972) centre line (Seinfeld & Pandis
    2006, eq. 16.83), bounded half-way to the neighbouring lines. L = +-inf is neutral (D).
    """
    L = np.asarray(L_m, float)
    z0 = np.asarray(z0_m, float)
    if np.any(np.isnan(L)) or np.any(L == 0.0):
        raise InputError(f"L_m {L_m!r}: expected a nonzero Monin-Obukhov length in m (inf for neutral)")
    if np.any(~np.isfinite(z0)) or np.any(z0 <= 0.0):
        raise InputError(f"z0_m {z0_m!r}: expected a roughness length > 0 m")
    L, z0 = np.broadcast_arrays(L, z0)
    inv_L = 1.0 / L
    c = _golder_centres(z0)
    edges = 0.5 * (c[1:] + c[:-1])  # (5, ...) ascending
    return np.sum(inv_L[None, ...] > edges, axis=0).astype(np.int64)


def golder_class(L_m: float, z0_m: float) -> str:
    """Pasquill class 'A'..'F' from Monin-Obukhov length L (m) and roughness z0 (m), after
    Golder (1972, Boundary-Layer Meteorol. 3, 47-58) via the line fits in Seinfeld &
    Pandis (2006, eq. 16.83)."""
    return CLASSES[int(golder_class_index(L_m, z0_m))]


def monin_obukhov_length(cls: str, z0_m: float) -> float:
    """Representative Monin-Obukhov length (m) of a Pasquill class at roughness z0 (m):
    ``1/L = a + b log10(z0)`` (Golder 1972; Seinfeld & Pandis 2006, eq. 16.83); inf for D."""
    i = check_class(cls)
    if not (math.isfinite(z0_m) and z0_m > 0.0):
        raise InputError(f"z0_m {z0_m!r}: expected a roughness length > 0 m")
    inv = float(_golder_centres(np.asarray(z0_m))[i])
    return math.inf if inv == 0.0 else 1.0 / inv


# --------------------------------------------------------------------------- Turner (1964)

# Turner's key (EPA-454/R-99-005, Meteorological Monitoring Guidance for Regulatory Modeling
# Applications, 2000, Table 6-4): class number 1..7 (A..G) by wind-speed row and net
# radiation index column 4, 3, 2, 1, 0, -1, -2. Rows are the table's m/s bins whose upper
# ends (after rounding the speed to 0.1 m/s) are _TURNER_WIND_TOP_M_S; the last row is >= 6.0.
_TURNER_WIND_TOP_M_S = np.array([0.7, 1.8, 2.8, 3.3, 3.8, 4.8, 5.4, 5.9])
_TURNER_KEY = np.array(
    [
        [1, 1, 2, 3, 4, 6, 7],
        [1, 2, 2, 3, 4, 6, 7],
        [1, 2, 3, 4, 4, 5, 6],
        [2, 2, 3, 4, 4, 5, 6],
        [2, 2, 3, 4, 4, 4, 5],
        [2, 3, 3, 4, 4, 4, 5],
        [3, 3, 4, 4, 4, 4, 5],
        [3, 3, 4, 4, 4, 4, 4],
        [3, 4, 4, 4, 4, 4, 4],
    ]
)
_FT_M = 0.3048


def insolation_class(solar_altitude_deg: float) -> int:
    """Insolation class number 1..4 from solar altitude (EPA-454/R-99-005, Table 6-5):
    > 60 deg strong (4), 35-60 moderate (3), 15-35 slight (2), <= 15 weak (1)."""
    a = float(solar_altitude_deg)
    return 4 if a > 60.0 else 3 if a > 35.0 else 2 if a > 15.0 else 1


def net_radiation_index(cloud_oktas: float, ceiling_m: float | None, solar_altitude_deg: float, is_night: bool) -> int:
    """Turner's net radiation index -2..4 (EPA-454/R-99-005, Table 6-6).

    Cloud cover in tenths in the original is compared here as a fraction of the sky
    (oktas/8): night <= 4/10 -> -2 else -1; day: the insolation class, lowered when more
    than 5/10 is covered by 2 (ceiling < 7000 ft) or 1 (7000-16000 ft) and by 1 more when
    overcast with a ceiling >= 7000 ft, never below 1; overcast below 7000 ft -> 0 day or night.
    ``ceiling_m`` None means no ceiling (unlimited).
    """
    frac = check_cloud_oktas(cloud_oktas) / 8.0
    ceil = math.inf if ceiling_m is None else float(ceiling_m)
    if ceil < 0 or math.isnan(ceil):
        raise InputError(f"ceiling_m {ceiling_m!r}: expected the cloud-base height in m >= 0 (None: no ceiling)")
    overcast = frac >= 1.0
    if overcast and ceil < 7000 * _FT_M:
        return 0
    if is_night:
        return -2 if frac <= 0.4 else -1
    icn = insolation_class(solar_altitude_deg)
    if frac <= 0.5:
        return icn
    if ceil < 7000 * _FT_M:
        icn -= 2
    elif ceil < 16000 * _FT_M:
        icn -= 1
    if overcast:
        icn -= 1
    return max(icn, 1)


def turner_class(
    wind_m_s: float, cloud_cover_oktas: float, ceiling_m: float | None, solar_altitude_deg: float, is_night: bool
) -> str:
    """Pasquill class by Turner's (1964, J. Appl. Meteorol. 3, 83-91) method as given in
    EPA-454/R-99-005 (Tables 6-4, 6-5, 6-6): net radiation index from solar altitude, cloud
    cover and ceiling, then the class from the key by 10-m wind speed. Turner's class 7 (G)
    is merged into F, as the EPA guidance does for regulatory modelling."""
    u = float(wind_m_s)
    if not math.isfinite(u) or u < 0.0:
        raise InputError(f"wind_m_s {wind_m_s!r}: expected a 10-m wind speed >= 0 m/s")
    nri = net_radiation_index(cloud_cover_oktas, ceiling_m, solar_altitude_deg, is_night)
    row = int(np.searchsorted(_TURNER_WIND_TOP_M_S, round(u, 1), side="left"))
    num = int(_TURNER_KEY[row, 4 - nri])
    return CLASSES[min(num, 6) - 1]


def solar_altitude_deg(when: datetime, lat_deg: float, lon_deg: float) -> float:
    """Geometric solar altitude (deg, no refraction) by Michalsky's (1988, Solar Energy 40,
    227-235) low-precision Astronomical Almanac algorithm, about 0.01 deg over 1950-2050.

    ``when`` must be timezone-aware; lat/lon in degrees, north/east positive.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise InputError(f"when {when.isoformat()}: expected a timezone-aware datetime (e.g. +08:00)")
    if not (-90.0 <= lat_deg <= 90.0) or not (-180.0 <= lon_deg <= 180.0):
        raise InputError(f"lat/lon {lat_deg}, {lon_deg}: expected latitude -90..90 and longitude -180..180 deg")
    n = when.timestamp() / 86400.0 + 2440587.5 - 2451545.0  # days from J2000.0
    hour_ut = (when.timestamp() / 3600.0) % 24.0
    mean_lon = (280.460 + 0.9856474 * n) % 360.0
    g = math.radians((357.528 + 0.9856003 * n) % 360.0)
    ecl = math.radians(mean_lon + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g))
    eps = math.radians(23.439 - 0.0000004 * n)
    ra = math.atan2(math.cos(eps) * math.sin(ecl), math.cos(ecl))
    dec = math.asin(math.sin(eps) * math.sin(ecl))
    gmst_h = (6.697375 + 0.0657098242 * n + hour_ut) % 24.0
    ha = math.radians(((gmst_h + lon_deg / 15.0) % 24.0) * 15.0) - ra
    lat = math.radians(lat_deg)
    s = math.sin(dec) * math.sin(lat) + math.cos(dec) * math.cos(lat) * math.cos(ha)
    return math.degrees(math.asin(max(-1.0, min(1.0, s))))


def is_turner_night(when: datetime, lat_deg: float, lon_deg: float) -> bool:
    """Turner's night: from one hour before sunset to one hour after sunrise
    (EPA-454/R-99-005, Table 6-6), i.e. the sun is below the horizon now, an hour ago or in
    an hour."""
    hour = timedelta(hours=1)
    return any(solar_altitude_deg(t, lat_deg, lon_deg) <= 0.0 for t in (when - hour, when, when + hour))


def pasquill_class(
    wind_m_s: float, cloud_oktas: float, when: datetime, lat: float, lon: float, ceiling_m: float | None = None
) -> str:
    """Pasquill class from routine observations at a place and time: Turner's method with
    the solar altitude and day/night computed here. ``ceiling_m`` None = no low ceiling."""
    alt = solar_altitude_deg(when, lat, lon)
    return turner_class(wind_m_s, cloud_oktas, ceiling_m, alt, is_turner_night(when, lat, lon))


# --------------------------------------------------------------------------- wind profile

# Wind-profile power-law exponents p by class A..F, ISC3 User's Guide Vol. II
# (EPA-454/B-95-003b, 1995, sec. 1.1.5.1): u(z) = u_ref (z / z_ref)^p.
POWER_EXPONENT_RURAL = (0.07, 0.07, 0.10, 0.15, 0.35, 0.55)
POWER_EXPONENT_URBAN = (0.15, 0.15, 0.20, 0.25, 0.30, 0.30)


def wind_at_height(u_ref_m_s: float | np.ndarray, z_ref_m: float, z_m: float | np.ndarray, cls: str, urban: bool) -> np.ndarray | float:
    """Wind speed at height z by the EPA power law with ISC3 exponents (see above)."""
    p = (POWER_EXPONENT_URBAN if urban else POWER_EXPONENT_RURAL)[check_class(cls)]
    if z_ref_m <= 0:
        raise InputError(f"z_ref_m {z_ref_m!r}: expected the anemometer height > 0 m")
    z = np.asarray(z_m, float)
    if np.any(z <= 0):
        raise InputError(f"z_m {z_m!r}: expected heights > 0 m")
    u = np.asarray(u_ref_m_s, float) * (z / z_ref_m) ** p
    return float(u) if u.ndim == 0 else u


def psi_m(zeta: np.ndarray | float) -> np.ndarray:
    """Integrated stability function for momentum, psi_m(z/L): Paulson (1970, J. Appl.
    Meteorol. 9, 857-861, eq. 3) with the Businger-Dyer phi_m = (1 - 16 zeta)^-1/4 for
    zeta < 0 and -5 zeta for zeta >= 0 (Dyer 1974, Boundary-Layer Meteorol. 7, 363-372)."""
    zeta = np.asarray(zeta, float)
    x = np.power(np.maximum(1.0 - 16.0 * np.minimum(zeta, 0.0), 1.0), 0.25)
    unstable = 2.0 * np.log((1.0 + x) / 2.0) + np.log((1.0 + x * x) / 2.0) - 2.0 * np.arctan(x) + np.pi / 2.0
    return np.where(zeta < 0.0, unstable, -5.0 * zeta)


def log_wind(ustar_m_s: float | np.ndarray, z_m: float | np.ndarray, z0_m: float, L_m: float) -> np.ndarray | float:
    """Monin-Obukhov wind profile ``u = u*/k [ln(z/z0) - psi_m(z/L) + psi_m(z0/L)]``
    (e.g. Stull 1988, An Introduction to Boundary Layer Meteorology, eq. 9.7.5g), k = 0.4;
    L = inf gives the neutral log law."""
    z = np.asarray(z_m, float)
    if np.any(z <= 0) or z0_m <= 0:
        raise InputError(f"z_m {z_m!r} / z0_m {z0_m!r}: expected heights and roughness > 0 m")
    inv_L = 0.0 if math.isinf(L_m) else 1.0 / L_m
    u = np.asarray(ustar_m_s, float) / KARMAN * (np.log(z / z0_m) - psi_m(z * inv_L) + psi_m(z0_m * inv_L))
    return float(u) if u.ndim == 0 else u


def friction_velocity(u_m_s: float, z_m: float, z0_m: float, L_m: float) -> float:
    """u* (m/s) that gives wind ``u_m_s`` at height z in :func:`log_wind` (its inverse)."""
    return float(u_m_s) / float(log_wind(1.0, z_m, z0_m, L_m))


# --------------------------------------------------------------------------- mixing height

# Boundary-layer depth per class used by the UK Gaussian model R91 (Clarke 1979, NRPB-R91,
# "A model for short and medium range dispersion of radionuclides released to the
# atmosphere"): A 1300, B 900, C 850, D 800, E 400, F 100 m.
MIXING_HEIGHT_R91_M = (1300.0, 900.0, 850.0, 800.0, 400.0, 100.0)
MIXING_HEIGHT_MAX_M = 3000.0


def default_mixing_height_m(cls: str, wind_m_s: float, z0_m: float = 0.1, z_ref_m: float = 10.0) -> float:
    """Mixing height (m) to use when the user gives none: the R91 depth of the class (Clarke
    1979), raised in strong wind to the mechanical mixing height ``2300 u*^1.5`` (Venkatram
    1980, as used by AERMOD: EPA-454/R-03-004, 2004, eq. 24), u* from the Monin-Obukhov
    profile with the class's Golder length; capped at 3000 m."""
    i = check_class(cls)
    u = float(wind_m_s)
    if not math.isfinite(u) or u <= 0:
        raise InputError(f"wind_m_s {wind_m_s!r}: expected a wind speed > 0 m/s")
    ustar = friction_velocity(u, z_ref_m, z0_m, monin_obukhov_length(CLASSES[i], z0_m))
    return float(min(max(MIXING_HEIGHT_R91_M[i], 2300.0 * ustar**1.5), MIXING_HEIGHT_MAX_M))


# --------------------------------------------------------------------------- roughness

# Aerodynamic roughness length z0 (m) by terrain, after the Davenport classification as
# revised by Wieringa (1992, J. Wind Eng. Ind. Aerodyn. 41, 357-368) and tabulated in the
# WMO Guide to Instruments and Methods of Observation (WMO-No. 8), Vol. I, ch. 5 (surface wind).
ROUGHNESS_M: dict[str, float] = {
    "open_water": 0.0002,  # open sea or lake, fetch >= 5 km
    "smooth": 0.005,  # mud flats, snow, bare flat ground
    "rural": 0.03,  # open flat terrain, grass, few isolated obstacles
    "open": 0.03,
    "farmland": 0.1,  # low crops, occasional large obstacles
    "high_crops": 0.25,  # high crops, scattered obstacles
    "parkland": 0.5,  # parkland, bushes, numerous obstacles
    "suburban": 1.0,  # regular large obstacle coverage (suburb)
    "forest": 1.0,  # regular large obstacle coverage (forest)
    "urban": 1.0,  # built-up area, low and mid rise (Wieringa class 'closed')
    "industrial": 1.0,  # chemical park: tanks, pipe racks, low buildings
    "city_centre": 2.0,  # city centre with high- and low-rise buildings ('chaotic', >= 2 m)
}


def roughness_m(kind: str) -> float:
    """Roughness length z0 (m) of a terrain kind (see :data:`ROUGHNESS_M` for the kinds)."""
    k = str(kind).strip().lower().replace("-", "_").replace(" ", "_")
    if k not in ROUGHNESS_M:
        near = get_close_matches(k, ROUGHNESS_M.keys(), n=1)
        hint = f" did you mean {near[0]!r}?" if near else ""
        raise InputError(f"roughness kind {kind!r}:{hint} expected one of {', '.join(ROUGHNESS_M)}")
    return ROUGHNESS_M[k]
