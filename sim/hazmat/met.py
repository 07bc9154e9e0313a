"""The run's weather and source position: where the release is, the resolved met (stability,
roughness, mixing height, the transport wind), the wind as periods between the scenario's shifts,
and the dispersion-coefficient scheme that follows from them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from sim.hazmat.chemicals import get_chemical
from sim.hazmat.params import Params, Release, Weather
from sim.hazmat.sigmas import SCHEME_BRIGGS_RURAL, SCHEME_BRIGGS_URBAN, SCHEME_PG_RURAL, SCHEME_SIMILARITY, class_index
from sim.hazmat.weather import check_class, default_mixing_height_m, pasquill_class, roughness_m, wind_at_height
from sim.hazmat.zones import SIGMA_THETA_DEG
from twin.city import City
from twin.crs import to_lonlat
from twin.errors import InputError
from twin.places import place_named

WIND_MIN_HEIGHT_M = 10.0  # ISC3 (EPA-454/B-95-003b, Vol. II 1.1.5.1): no lower than the 10-m measurement height
URBAN_Z0_M = 0.3  # roughness above which Briggs urban sigmas are used


@dataclass
class Met:
    """Resolved weather for the run (see :func:`resolve_met`)."""

    u_ref_m_s: float
    z_ref_m: float
    wind_from_deg: float
    stability: str
    z0_m: float
    urban: bool
    h_mix_m: float
    u_release_m_s: float
    air_k: float
    ground_k: float
    sigma_theta_deg: float
    ustar_m_s: float | None = None
    L_m: float | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what changes how the result must be read


def locate_release(city: City, rel: Release) -> tuple[tuple[float, float], dict | None, str]:
    """Source position (city CRS), the inventory tank it comes from (or None) and a label."""
    if rel.at is not None:
        xy = (float(rel.at[0]), float(rel.at[1]))
        label = f"release at {xy[0]:.0f}, {xy[1]:.0f}"
        tank = None
    else:
        site = place_named(city.places, rel.site, key="release.site", kind="hazmat_site")
        chem = get_chemical(rel.chemical)
        inv = [t for t in site["attrs"]["inventory"] if get_chemical(t["chemical"]).name == chem.name]
        if not inv:
            raise InputError(f"release.chemical {rel.chemical!r}: site {rel.site!r} stores "
                             f"{[t['chemical'] for t in site['attrs']['inventory']]}")
        tank = inv[0]
        c = site.geometry.representative_point()
        xy = tuple(map(float, tank.get("tank_xy", (c.x, c.y))))
        label = f"{chem.name} tank at {rel.site}"
    l, b, r, t = city.bounds
    if not (l <= xy[0] <= r and b <= xy[1] <= t):
        raise InputError(f"release position {xy[0]:.0f}, {xy[1]:.0f} lies outside the city extent "
                         f"({l:.0f}-{r:.0f} E, {b:.0f}-{t:.0f} N, {city.crs.to_string()})")
    return xy, tank, label


def resolve_met(city: City, w: Weather, xy: tuple[float, float], release_h_m: float,
                start: datetime | None) -> Met:
    """Stability, roughness, mixing height and the transport wind for the run."""
    notes: list[str] = []
    z0 = roughness_m(w.roughness) if isinstance(w.roughness, str) else float(w.roughness)
    urban = z0 >= URBAN_Z0_M
    lon, lat = (float(v[0]) for v in to_lonlat(np.array([xy[0]]), np.array([xy[1]]), city.crs))
    if w.ustar_m_s is not None:
        return _similarity_met(w, z0, urban, lat, release_h_m)
    if w.stability is not None:
        cls = w.stability.strip().upper()
        check_class(cls, "weather.stability")
    else:
        if start is None:
            raise InputError("weather.stability: not given and no scenario start time to apply the Turner method; "
                             "give stability (A-F) or a start time")
        u10 = wind_at_height(w.wind_speed_m_s, w.wind_height_m, 10.0, "D", urban)
        cls = pasquill_class(float(u10), w.cloud_oktas, start, lat, lon, w.ceiling_m)
        notes.append(f"stability {cls} by the Turner method at {start.isoformat()}")
    u_rel, warn = _transport_wind(w, release_h_m, cls, urban)
    h_mix = w.mixing_height_m or default_mixing_height_m(cls, w.wind_speed_m_s, z0, w.wind_height_m)
    air = w.air_temperature_c + 273.15
    ground = (w.ground_temperature_c if w.ground_temperature_c is not None else w.air_temperature_c) + 273.15
    st = w.sigma_theta_deg or SIGMA_THETA_DEG[cls]
    return Met(w.wind_speed_m_s, w.wind_height_m, w.wind_from_deg, cls, z0, urban, float(h_mix), u_rel, air, ground,
               float(st), w.ustar_m_s, w.monin_obukhov_m, notes, warn)


def _transport_wind(w: Weather, release_h_m: float, cls: str, urban: bool) -> tuple[float, list[str]]:
    """Wind at the release height (not below the 10-m measurement height), raised to 1 m/s
    with a warning when lower (Gaussian models do not hold in calm air)."""
    u = float(wind_at_height(w.wind_speed_m_s, w.wind_height_m, max(release_h_m, WIND_MIN_HEIGHT_M), cls, urban))
    if u < 1.0:
        return 1.0, [f"transport wind {u:.2f} m/s raised to 1 m/s (Gaussian models do not hold in calm air)"]
    return u, []


def _similarity_met(w: Weather, z0: float, urban: bool, lat: float, release_h_m: float) -> Met:
    """Met from the boundary-layer scaling parameters: class by Golder (1972) from L and z0
    (for reporting, the dense-gas far field and ensembles), mixing height and sigma-theta
    completed by :func:`sim.hazmat.similarity.fill_met` where not given."""
    from sim.hazmat.similarity import fill_met
    from sim.hazmat.weather import golder_class

    full = fill_met(w.ustar_m_s, w.monin_obukhov_m, lat_deg=lat, sigma_theta_deg=w.sigma_theta_deg,
                    u_ref_m_s=w.wind_speed_m_s, z_ref_m=w.wind_height_m, z0_m=z0, h_mix_m=w.mixing_height_m)
    cls = w.stability.strip().upper() if w.stability else golder_class(w.monin_obukhov_m, z0)
    check_class(cls, "weather.stability")
    u_rel, warn = _transport_wind(w, release_h_m, cls, urban)
    air = w.air_temperature_c + 273.15
    ground = (w.ground_temperature_c if w.ground_temperature_c is not None else w.air_temperature_c) + 273.15
    notes = [f"similarity met: u* {w.ustar_m_s} m/s, L {w.monin_obukhov_m} m, h {full['h_mix_m']:.0f} m, "
             f"sigma-theta {full['sigma_theta_deg']:.1f} deg; class {cls} (Golder)"]
    return Met(w.wind_speed_m_s, w.wind_height_m, w.wind_from_deg, cls, z0, urban, float(full["h_mix_m"]), u_rel,
               air, ground, float(full["sigma_theta_deg"]), w.ustar_m_s, w.monin_obukhov_m, notes, warn)


def sigma_scheme(params: Params, met: Met) -> tuple[int, np.ndarray, str]:
    """(scheme, parameter vector, name) of the dispersion coefficients."""
    choice = params.sigmas
    if choice == "auto":
        choice = "similarity" if met.ustar_m_s is not None else ("briggs_urban" if met.urban else "pg_rural")
    if choice == "similarity":
        if met.ustar_m_s is None:
            raise InputError("sigmas 'similarity' needs weather.ustar_m_s and weather.monin_obukhov_m")
        from sim.hazmat.similarity import similarity_params
        p = similarity_params(met.ustar_m_s, met.L_m, met.sigma_theta_deg, met.u_ref_m_s, met.z_ref_m, met.z0_m,
                              met.h_mix_m, params.release.height_m)
        return SCHEME_SIMILARITY, np.asarray(p, float), "similarity (Gryning et al. 1987)"
    scheme = {"pg_rural": SCHEME_PG_RURAL, "briggs_rural": SCHEME_BRIGGS_RURAL,
              "briggs_urban": SCHEME_BRIGGS_URBAN}[choice]
    names = {"pg_rural": "Pasquill-Gifford-Turner (rural)", "briggs_rural": "Briggs open country",
             "briggs_urban": "Briggs urban (McElroy-Pooler)"}
    return scheme, np.array([float(class_index(met.stability)), 0.0, 0.0]), names[choice]


@dataclass
class WindPeriod:
    """The wind from ``t0_s`` (emission time) until the next period."""

    t0_s: float
    wind_from_deg: float
    u_m_s: float  # transport speed (Gaussian) or the 10-m speed (dense gas), >= 1 m/s


def wind_periods(met: Met, params: Params, hs: float, *, at_10m: bool) -> list[WindPeriod]:
    """The run's wind as periods: the initial wind, then each scenario shift (speed at the
    release height, or at 10 m for the dense-gas correlations), floored at 1 m/s."""
    z = 10.0 if at_10m else max(hs, WIND_MIN_HEIGHT_M)
    u = float(wind_at_height(met.u_ref_m_s, met.z_ref_m, z, met.stability, met.urban))
    out = [WindPeriod(0.0, met.wind_from_deg, u)]
    for sh in params.weather.shifts:  # a shift without a speed keeps the one before
        if sh.wind_speed_m_s:
            u = float(wind_at_height(sh.wind_speed_m_s, met.z_ref_m, z, met.stability, met.urban))
        out.append(WindPeriod(float(sh.at_s), float(sh.wind_from_deg), u))
    for w in out:
        w.u_m_s = max(w.u_m_s, 1.0)
    return out
