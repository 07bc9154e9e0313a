"""Hazardous-chemical release on the twin: source term, weather, dispersion on a grid around
the source (Gaussian plume, puffs when the wind shifts, Britter–McQuaid when the cloud is
dense), threat zones, and what they mean for buildings, people, roads, evacuation and crews.

Releases of at least ``SHORT_RELEASE_S`` in a steady wind use the quasi-steady plume with the
rate emitted at the retarded time t − x/u (a slender-plume approximation: along-wind
diffusion neglected, conservative for peaks); for a passive cloud, wind shifts and short
releases switch to Gaussian puffs advected step by step. A dense cloud stays with the
Britter–McQuaid correlations: in a shifting wind as a sum of per-period plumes, and when
short as the BM puff wherever BM's release class says so (:func:`disperse`).

The grid grows while the outer zone reaches its edge (:func:`disperse_on_grid`), and what
changes how a result must be read (calm wind raised, a grid too small, a guideline level
taken from another guideline) is returned as notes and issued as warnings.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from affine import Affine

from sim.hazmat import impacts as imp
from sim.hazmat import kernels as K
from sim.hazmat.chemicals import Chemical, get_chemical
from sim.hazmat.exposure import default_points, point_series, protective_actions
from sim.hazmat.densegas import air_density_kg_m3, dense_centreline, dense_plume_width, is_dense, reduced_gravity
from sim.hazmat.params import Params, Release, Weather
from sim.hazmat.sigmas import SCHEME_BRIGGS_RURAL, SCHEME_BRIGGS_URBAN, SCHEME_PG_RURAL, SCHEME_SIMILARITY, class_index
from sim.hazmat.source import SourceTerm, direct_release, gas_tank_hole, liquid_tank_hole
from sim.hazmat.weather import (check_class, default_mixing_height_m, pasquill_class, roughness_m,
                                wind_at_height)
from sim.hazmat.zones import LEVELS, SIGMA_THETA_DEG, confidence_envelope, far_field_notes, zone_polygons
from terrain.raster import Raster
from terrain.sample import sample
from twin.city import City
from twin.crs import to_lonlat
from twin.errors import InputError
from twin.places import place_named

if TYPE_CHECKING:
    from sim.hazmat.result import HazmatResult

WIND_MIN_HEIGHT_M = 10.0  # ISC3 (EPA-454/B-95-003b, Vol. II 1.1.5.1): no lower than the 10-m measurement height
TERRAIN_WEIGHT = 0.5  # AERMOD two-state weighting (Cimorelli et al. 2005, eq. 1 with f = 0.5)
URBAN_Z0_M = 0.3  # roughness above which Briggs urban sigmas are used
SHORT_RELEASE_S = 300.0  # shorter releases are followed as puffs (along-wind spread lowers their peaks)


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


def make_source(chem: Chemical, rel: Release, tank: dict | None, met: Met, duration_s: float) -> SourceTerm:
    """The release rate over time from the scenario's release (defaults from the tank), up
    to ``duration_s`` for pools that evaporate longer."""
    tank = tank or {}
    t_k = (rel.temperature_c if rel.temperature_c is not None else tank.get("temperature_c", met.air_k - 273.15)) + 273.15
    if rel.kind == "direct":
        if rel.rates_kg_s is not None:
            return direct_release(np.asarray(rel.rates_kg_s, float), np.asarray(rel.times_s, float), chem, t_k)
        return direct_release(float(rel.rate_kg_s), float(rel.duration_s), chem, t_k)
    p_bar = rel.pressure_bar if rel.pressure_bar is not None else tank.get("pressure_bar")
    mass = rel.mass_kg if rel.mass_kg is not None else tank.get("mass_kg")
    if p_bar is None or mass is None:
        raise InputError(f"release: a {rel.kind} release needs pressure_bar and mass_kg (or a site tank that has them)")
    if rel.kind == "gas_tank_hole":
        vol = rel.volume_m3 if rel.volume_m3 is not None else tank.get("volume_m3")
        if vol is None:
            raise InputError("release.volume_m3: a gas_tank_hole release needs the tank volume")
        return gas_tank_hole(chem, p_bar * 1e5, t_k, rel.hole_diameter_m, vol)
    return liquid_tank_hole(chem, p_bar * 1e5, t_k, rel.hole_diameter_m, mass, rel.liquid_head_m,
                            bund_area_m2=rel.bund_area_m2, wind_m_s=met.u_release_m_s, T_ground_k=met.ground_k,
                            t_max_s=duration_s)


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
class Grid:
    """Receptor grid around the source: cell centres, heights and the raster frame."""

    raster: Raster  # template (zeros), city CRS
    x: np.ndarray  # receptor eastings (flattened, row-major)
    y: np.ndarray
    z_agl: np.ndarray  # receptor height above local ground, m (terrain-following state)
    z_flat: np.ndarray  # receptor height above the source's ground, m (horizontal-plume state)


def make_grid(city: City, xy: tuple[float, float], params: Params) -> Grid:
    """A square grid of ``2 extent_m`` at ``resolution_m`` centred on the source (cells may
    extend beyond the city's DEM, where the ground is taken level with the source)."""
    res, half = params.resolution_m, params.extent_m
    n = int(math.ceil(2 * half / res))
    x0, y0 = xy[0] - n * res / 2, xy[1] + n * res / 2
    tr = Affine(res, 0, x0, 0, -res, y0)
    cols, rows = np.meshgrid(np.arange(n), np.arange(n))
    x = (x0 + (cols + 0.5) * res).ravel()
    y = (y0 - (rows + 0.5) * res).ravel()
    z_src = float(sample(city.terrain, np.array([xy[0]]), np.array([xy[1]]))[0])
    zg = sample(city.terrain, x, y)
    zg = np.where(np.isfinite(zg), zg, z_src)
    zr = np.full(x.size, params.receptor_height_m)
    return Grid(Raster(np.zeros((n, n), np.float32), tr, city.crs), x, y, zr,
                zr + np.maximum(zg - z_src, 0.0))


def thresholds(chem: Chemical, params: Params, air_k: float,
               notes: list[str] | None = None) -> tuple[dict[str, float], dict[str, str]]:
    """Zone thresholds in kg/m³ and their labels (red/orange/yellow = level 3/2/1).

    A level the chosen guideline does not set for this chemical (e.g. no ERPG-3 for sulfur
    dioxide, AEGL-1 "not recommended" for phosgene) is taken from the other guideline in the
    order of the DOE Protective Action Criteria (AEGL 60 min, then ERPG; DOE PAC Rev. 29,
    2016), labelled as such and reported in ``notes``; a level neither sets is left out and
    reported, so a missing red zone is never silent."""
    z = params.zones
    notes = notes if notes is not None else []
    out, labels = {}, {}

    def ppm_of(kind: str, lvl: int, minutes: int) -> float | None:
        try:
            v = chem.threshold_ppm(kind, lvl, minutes)
        except InputError:
            return None
        return v if np.isfinite(v) else None

    for level, lvl in zip(LEVELS, (3, 2, 1)):
        if z.guideline == "custom":
            ppm = z.custom_ppm[3 - lvl]
            out[level] = chem.ppm_to_kg_m3(ppm, air_k)
            labels[level] = f"{ppm:g} ppm (user)"
            continue
        own = f"{z.guideline}-{lvl}" + (f" ({z.minutes} min)" if z.guideline == "AEGL" else "")
        ppm = ppm_of(z.guideline, lvl, z.minutes)
        label = own
        if ppm is None:
            alt = ("ERPG", lvl, 60) if z.guideline == "AEGL" else ("AEGL", lvl, 60)
            ppm = ppm_of(*alt)
            alt_name = f"{alt[0]}-{lvl}" + (" (60 min)" if alt[0] == "AEGL" else "")
            if ppm is None:
                notes.append(f"{level} zone left out: {chem.name} has neither {own} nor {alt_name}")
                continue
            label = f"{alt_name} in place of {own}, which {chem.name} does not have"
            notes.append(f"{level} zone: {label}")
        out[level] = chem.ppm_to_kg_m3(ppm, air_k)
        labels[level] = f"{label}: {ppm:.3g} ppm"
    if not out:
        raise InputError(f"zones.guideline {z.guideline!r}: {chem.name} has no such levels; use guideline 'custom' "
                         "with custom_ppm")
    return out, labels


@dataclass
class Dispersion:
    """Concentration on the grid: frames at ``times_s`` and the maximum over the run."""

    times_s: np.ndarray
    frames: np.ndarray  # (nt, ny, nx) float32, kg/m³ at receptor height
    cmax: np.ndarray  # (ny, nx) float32, kg/m³, maximum over all evaluation times
    model: str
    dense: bool
    ri: float  # Britter-McQuaid criterion value of the release (continuous form)
    unit_fn: object = None  # callable(xs, ys, zs_agl, zs_flat, t_s) -> concentration at points
    notes: list[str] = field(default_factory=list)  # what the user must know about this field


def _rate_series(src: SourceTerm) -> tuple[np.ndarray, np.ndarray]:
    """Interval edges (n+1) and piecewise-constant rates (n) of a source term (whose last
    rate, 0, marks the end)."""
    return np.asarray(src.times_s, float), np.asarray(src.rate_kg_s[:-1], float)


def _rate_at(edges: np.ndarray, rates: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Release rate at emission times ``s`` (0 outside the release)."""
    k = np.searchsorted(edges, s, side="right") - 1
    ok = (k >= 0) & (k < rates.size)
    return np.where(ok, rates[np.clip(k, 0, rates.size - 1)], 0.0)


def _max_rate_between(edges: np.ndarray, rates: np.ndarray, a: float, b: np.ndarray) -> np.ndarray:
    """Largest rate emitted at any time in [a, b] (per element of ``b``; 0 where b < a or no
    interval overlaps): a running maximum from the first interval that ends after ``a``."""
    b = np.asarray(b, float)
    j0 = int(np.searchsorted(edges[1:], a, side="right"))  # first interval with end > a
    if j0 >= rates.size:
        return np.zeros(b.shape)
    cm = np.maximum.accumulate(rates[j0:])
    j1 = np.searchsorted(edges[:-1], b, side="right") - 1  # last interval with start <= b
    ok = (b >= a) & (j1 >= j0)
    return np.where(ok, cm[np.clip(j1 - j0, 0, cm.size - 1)], 0.0)


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


def disperse(grid: Grid, xy: tuple[float, float], hs: float, src: SourceTerm, chem: Chemical, met: Met,
             scheme: int, p: np.ndarray, params: Params, progress=None) -> Dispersion:
    """Concentration frames and maximum on the grid (see the module docstring for the method).

    Quasi-steady fields (a passive plume in a steady wind, or a dense cloud) are unit fields
    times the rate emitted at the retarded time t - x/u. A dense cloud in a wind that shifts is
    the sum over the wind periods of that period's field, each carrying only what was emitted
    during its period: every emission travels straight in the wind it left the source with (the
    part already downwind does not turn; a passive cloud is followed as puffs instead)."""
    edges, rates = _rate_series(src)
    q_peak = float(rates.max())
    t_out = np.arange(0.0, params.duration_s + 1e-9, params.output_interval_s)
    ny, nx = grid.raster.shape
    notes: list[str] = []
    u10 = float(wind_at_height(met.u_ref_m_s, met.z_ref_m, 10.0, met.stability, met.urban))
    if u10 < 1.0:
        notes.append(f"10-m wind {u10:.2f} m/s raised to 1 m/s for the dense-gas test and correlations "
                     "(neither holds in calm air)")
        u10 = 1.0
    rho_air = air_density_kg_m3(met.air_k)
    rho0 = float(src.density_kg_m3)
    g0p = reduced_gravity(rho0, rho_air)
    ri = float("nan")
    dense = params.model == "dense"
    if g0p > 0:
        q0 = q_peak / rho0
        from sim.hazmat.densegas import richardson_continuous
        ri = richardson_continuous(g0p, q0, u10)
        if params.model == "auto":
            dense = is_dense(g0p, u10, q0_m3_s=q0)
    elif params.model == "dense":
        raise InputError(f"model 'dense': the {chem.name} cloud ({rho0:.2f} kg/m³) is not heavier than air "
                         f"({rho_air:.2f} kg/m³); use 'auto' or 'gaussian'")
    if (params.weather.shifts or src.duration_s < SHORT_RELEASE_S) and not dense:
        if scheme == SCHEME_SIMILARITY:  # puffs carry Gaussian sigmas: use the class's curves
            scheme, p = (SCHEME_BRIGGS_URBAN if met.urban else SCHEME_PG_RURAL), np.array([class_index(met.stability)], float)
        return _puffs(grid, xy, hs, edges, rates, met, scheme, p, params, t_out, ri, progress)
    periods = wind_periods(met, params, hs, at_10m=dense) if dense else \
        [WindPeriod(0.0, met.wind_from_deg, met.u_release_m_s)]
    if dense:
        from sim.hazmat.densegas import ALPHA_MAX, alpha_continuous
        a_max = max(alpha_continuous(g0p, q_peak / rho0, w.u_m_s) for w in periods)
        if a_max > ALPHA_MAX:
            notes.append(f"dense cloud: Britter-McQuaid alpha {a_max:.2f} lies beyond the workbook's data "
                         f"(alpha <= {ALPHA_MAX:g}, low wind for this rate): the alpha = {ALPHA_MAX:g} curves are used "
                         "and the gravity-spread width is extrapolated")
        if len(periods) > 1:
            notes.append("dense cloud with wind shifts: each emission travels straight in the wind it was released "
                         "into (the cloud already downwind does not turn)")

    def unit(xs, ys, z_agl, z_flat, w: WindPeriod):
        ex, ey = -math.sin(math.radians(w.wind_from_deg)), -math.cos(math.radians(w.wind_from_deg))
        xd = (xs - xy[0]) * ex + (ys - xy[1]) * ey
        if dense:
            yd = (ys - xy[1]) * ex - (xs - xy[0]) * ey
            c = _dense_unit(xd, yd, q_peak, rho0, src.temperature_k, w.u_m_s, chem, met, g0p)
        else:
            c = np.zeros(xs.size)
            c2 = np.zeros(xs.size)
            if scheme == SCHEME_SIMILARITY:
                K.similarity_conc(xs, ys, z_agl, xy[0], xy[1], 1.0, w.wind_from_deg, p, c)
                K.similarity_conc(xs, ys, z_flat, xy[0], xy[1], 1.0, w.wind_from_deg, p, c2)
            else:
                K.plume_conc(xs, ys, z_agl, xy[0], xy[1], hs, 1.0, w.u_m_s, w.wind_from_deg, scheme, p, met.h_mix_m, c)
                K.plume_conc(xs, ys, z_flat, xy[0], xy[1], hs, 1.0, w.u_m_s, w.wind_from_deg, scheme, p, met.h_mix_m,
                             c2)
            c = (1 - TERRAIN_WEIGHT) * c + TERRAIN_WEIGHT * c2
        return c, xd

    def travel_s(xd, w: WindPeriod):
        if scheme == SCHEME_SIMILARITY and not dense:
            out = np.zeros(xd.size)
            K.similarity_travel_s(np.ascontiguousarray(xd, dtype=np.float64), p, out)
            return out
        return np.maximum(xd, 0.0) / w.u_m_s

    bounds = [w.t0_s for w in periods] + [math.inf]

    def fields(xs, ys, z_agl, z_flat):
        """(unit field, travel time, emission-window start, end) per wind period."""
        out = []
        for k, w in enumerate(periods):
            cu, xd = unit(xs, ys, z_agl, z_flat, w)
            out.append((cu, travel_s(xd, w), bounds[k], bounds[k + 1]))
        return out

    def conc(flds, t):
        """Concentration at times ``t`` (column) from the period fields."""
        c = 0.0
        for cu, lag, a, b in flds:
            s = t - lag[None, :]
            c = c + cu[None, :] * _rate_at(edges, rates, s) * ((s >= a) & (s < b))
        return c

    flds = fields(grid.x, grid.y, grid.z_agl, grid.z_flat)
    frames = np.stack([conc(flds, np.array([[t]]))[0].reshape(ny, nx) for t in t_out]).astype(np.float32)
    cmax = np.zeros(grid.x.size)
    for cu, lag, a, b in flds:
        # the largest rate each period's field carries, whenever it arrives: the threat zone is the
        # footprint of the whole release (as ALOHA's), not cut where the cloud front stands when the
        # run ends (u x duration_s; the frames stop there)
        np.maximum(cmax, cu * _max_rate_between(edges, rates, a, np.full(lag.shape, b)), out=cmax)
    cmax = cmax.reshape(ny, nx).astype(np.float32)

    def at_points(xs, ys, z_agl, z_flat, t):
        return conc(fields(xs, ys, z_agl, z_flat), np.asarray(t, float)[:, None])

    name = "dense gas (Britter & McQuaid 1988)" if dense else "Gaussian plume (quasi-steady)"
    if dense and src.duration_s < SHORT_RELEASE_S:
        puff = DensePuff(xy, periods, src, chem, met, g0p, params.duration_s)
        return _bm_release_class(grid, puff, frames, cmax, at_points, t_out, params, ri, notes)
    return Dispersion(t_out, frames, cmax, name, dense, ri, at_points, notes)


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


def _puffs(grid, xy, hs, edges, rates, met, scheme, p, params, t_out, ri, progress) -> Dispersion:
    """Gaussian puffs advected by a wind that changes at the scenario's shift times (also used
    for short releases, whose peaks along-wind spread lowers)."""
    shifts = params.weather.shifts
    dt = 10.0
    rel_t, rel_m = K.release_puffs(edges, rates, 20.0)
    n = rel_t.size
    px, py = np.full(n, xy[0]), np.full(n, xy[1])
    pdist = np.zeros(n)
    ph = np.full(n, hs)
    ny, nx = grid.raster.shape
    frames = np.zeros((t_out.size, ny, nx), np.float32)
    cmax = np.zeros(ny * nx, np.float32)
    c1, c2 = np.zeros(grid.x.size), np.zeros(grid.x.size)
    eval_every = max(1, int(round(30.0 / dt)))  # maximum grid sampled every 30 s
    steps = int(math.ceil(params.duration_s / dt))
    history = []  # (t, released count, px, py, pdist) snapshots for point series

    periods = wind_periods(met, params, hs, at_10m=False)

    def wind(t):
        w = next(q for q in reversed(periods) if t >= q.t0_s)
        return w.wind_from_deg, w.u_m_s

    def field(m):
        K.puff_conc(grid.x, grid.y, grid.z_agl, px[:m], py[:m], ph[:m], rel_m[:m], pdist[:m], scheme, p, met.h_mix_m, c1)
        K.puff_conc(grid.x, grid.y, grid.z_flat, px[:m], py[:m], ph[:m], rel_m[:m], pdist[:m], scheme, p, met.h_mix_m, c2)
        return (1 - TERRAIN_WEIGHT) * c1 + TERRAIN_WEIGHT * c2

    k_out = 0
    for s in range(steps + 1):
        t = s * dt
        m = int(np.searchsorted(rel_t, t, side="right"))
        history.append((t, m, px[:m].copy(), py[:m].copy(), pdist[:m].copy()))
        want_frame = k_out < t_out.size and t >= t_out[k_out] - 1e-9
        if want_frame or s % eval_every == 0:
            c = field(m)
            np.maximum(cmax, c, out=cmax)
            while k_out < t_out.size and t >= t_out[k_out] - 1e-9:
                frames[k_out] = c.reshape(ny, nx)
                k_out += 1
        if progress:
            progress(s / max(steps, 1))
        d, u = wind(t)
        # puffs released during this step travel only the part of the step after their release
        frac = np.clip((t + dt - rel_t[:int(np.searchsorted(rel_t, t + dt, side='right'))]) / dt, 0.0, 1.0)
        mm = frac.size
        ex, ey = -math.sin(math.radians(d)), -math.cos(math.radians(d))
        px[:mm] += ex * u * dt * frac
        py[:mm] += ey * u * dt * frac
        pdist[:mm] += u * dt * frac

    def at_points(xs, ys, z_agl, z_flat, tq):
        out = np.zeros((tq.size, xs.size))
        a, b = np.zeros(xs.size), np.zeros(xs.size)
        times = np.array([h[0] for h in history])
        for i, tt in enumerate(tq):
            j = min(int(np.searchsorted(times, tt, side="right")) - 1, len(history) - 1)
            _, m, hx, hy, hd = history[max(j, 0)]
            K.puff_conc(xs, ys, z_agl, hx, hy, ph[:m], rel_m[:m], hd, scheme, p, met.h_mix_m, a)
            K.puff_conc(xs, ys, z_flat, hx, hy, ph[:m], rel_m[:m], hd, scheme, p, met.h_mix_m, b)
            out[i] = (1 - TERRAIN_WEIGHT) * a + TERRAIN_WEIGHT * b
        return out

    why = "wind shifts" if shifts else "short release"
    return Dispersion(t_out, frames, cmax.reshape(ny, nx), f"Gaussian puffs ({why})", False, ri, at_points)


GRID_GROWTH = 1.6  # extent factor per growth step when a zone reaches the grid edge
GRID_GROWTH_STEPS = 3
GRID_MAX_CELLS_SIDE = 1200  # coarsen beyond this many cells a side (memory, page size)


def edge_max(cmax: np.ndarray) -> float:
    """Largest value on the outer ring of cells of a 2-D field."""
    return float(max(cmax[0].max(), cmax[-1].max(), cmax[:, 0].max(), cmax[:, -1].max()))


def disperse_on_grid(city: City, xy: tuple[float, float], hs: float, src: SourceTerm, chem: Chemical, met: Met,
                     scheme: int, p: np.ndarray, params: Params, lowest_kg_m3: float, *,
                     progress: bool = False) -> tuple[Grid, Dispersion]:
    """:func:`disperse` on the scenario's grid, grown (x1.6 in extent, up to three times, with
    cells coarsened past 1,200 a side) while the lowest zone threshold is still exceeded on the
    grid's edge, so zones are not cut off by the computation window; if it still is, a note
    says that the outer zone's reach and area are lower bounds."""
    from sim.progress import progress_bar

    run_params = params
    for step in range(GRID_GROWTH_STEPS + 1):
        grid = make_grid(city, xy, run_params)
        with progress_bar(progress, "hazmat dispersion") as cb:
            disp = disperse(grid, xy, hs, src, chem, met, scheme, p, run_params, cb)
        if edge_max(disp.cmax) < lowest_kg_m3:
            break
        if step == GRID_GROWTH_STEPS:
            disp.notes.append(f"the outermost zone still reaches the edge of the {2 * run_params.extent_m / 1000:.1f} km "
                              "grid: its reach and area are lower bounds (raise extent_m)")
            break
        ext = run_params.extent_m * GRID_GROWTH
        res = max(run_params.resolution_m, 2 * ext / GRID_MAX_CELLS_SIDE)
        run_params = run_params.model_copy(update={"extent_m": ext, "resolution_m": res})
    if disp.model.startswith("Gaussian puffs") and float(disp.frames[-1].max()) >= lowest_kg_m3:
        # puffs are stepped only to the run's end: a cloud still above the outer threshold then
        # would have reached further (the plume fields take each emission's whole travel)
        disp.notes.append(f"the cloud is still above the outermost threshold when the run ends at {params.duration_s:.0f} s:"
                          " the zones stop where it stands then (lengthen duration_s)")
    if run_params is not params:
        disp.notes.append(f"grid grown from {2 * params.extent_m / 1000:.1f} km to {2 * run_params.extent_m / 1000:.1f} km "
                          f"square at {run_params.resolution_m:.0f} m cells so the outer zone fits")
    return grid, disp


def run(city: City, params: Params, *, progress: bool = False, start: datetime | None = None) -> "HazmatResult":
    """Simulate the scenario's release on ``city`` and assess its impacts."""
    from sim.hazmat.result import HazmatResult

    t_start = time.perf_counter()
    chem = get_chemical(params.release.chemical)
    xy, tank, label = locate_release(city, params.release)
    hs = params.release.height_m
    met = resolve_met(city, params.weather, xy, hs, start)
    src = make_source(chem, params.release, tank, met, params.duration_s)
    scheme, p, scheme_name = sigma_scheme(params, met)
    zone_notes: list[str] = []
    thr, labels = thresholds(chem, params, met.air_k, zone_notes)
    grid, disp = disperse_on_grid(city, xy, hs, src, chem, met, scheme, p, params, min(thr.values()),
                                  progress=progress)
    cmax = grid.raster.copy(disp.cmax)
    zones = zone_polygons(cmax, thr, xy, labels)
    zone_notes.extend(far_field_notes(zones, met.u_release_m_s))
    envelope = None
    if len(zones):
        outer = zones.geometry.iloc[-1]
        envelope = confidence_envelope(outer, xy, met.sigma_theta_deg, params.zones.confidence)
    exposed = imp.building_exposure(city.buildings, zones)
    by_zone = imp.road_zones(city.roads, zones)
    closed = imp.closed_roads(city.roads, by_zone["red"])
    evac = imp.evacuate(city, exposed, zones, by_zone, params.evacuation)
    crews = imp.crew_routes(city, by_zone, zones, xy, met.wind_from_deg)
    if crews.attrs.get("staging_note"):
        zone_notes.append(crews.attrs["staging_note"])
    pts = [(q.name, q.at[0], q.at[1], q.air_changes_per_h) for q in params.points] or default_points(exposed)
    series = point_series(disp, city, pts, xy, params)
    protective = protective_actions(disp, city, exposed, xy, thr, params)
    prob = members = None
    ens = params.ensemble
    if ens.members > 0:
        from sim.hazmat.ensemble import draw_members, exceedance_probability

        level = ens.level if ens.level in thr else min(thr, key=lambda k: LEVELS.index(k))
        members = draw_members(met.u_ref_m_s, met.z_ref_m, met.wind_from_deg, met.stability, met.z0_m, met.urban,
                               hs, ens, params.weather.mixing_height_m)
        e_scheme = scheme if scheme <= 2 else (SCHEME_BRIGGS_URBAN if met.urban else SCHEME_PG_RURAL)
        prob = exceedance_probability(grid.x, grid.y, grid.z_agl, xy, hs, float(np.max(src.rate_kg_s)), e_scheme,
                                      members, thr[level], workers=ens.workers, scheduler=ens.scheduler)
        prob = grid.raster.copy(prob.reshape(grid.raster.shape).astype(np.float32))
        members["level"] = level
        if disp.dense:
            zone_notes.append("ensemble members are passive Gaussian plumes, while the run itself is a dense cloud: "
                              "the probability map understates the dense cloud's near-field width")
    warnings_ = met.warnings + disp.notes + zone_notes
    for w in warnings_:
        warnings.warn(f"hazmat: {w}", UserWarning, stacklevel=2)
    return HazmatResult(city=city, params=params, chem=chem, label=label, source_xy=xy, met=met, source=src,
                        scheme_name=scheme_name, grid=grid, disp=disp, thresholds=thr, labels=labels, zones=zones,
                        envelope=envelope, exposed=exposed, by_zone=by_zone, closed=closed, evacuation=evac,
                        crews=crews, points=pts, series=series, prob=prob, members=members, start=start,
                        protective=protective,
                        run_time_s=time.perf_counter() - t_start, warnings=warnings_)
