"""Hazardous-chemical release on the twin: source term, weather, dispersion on a grid around
the source (Gaussian plume, puffs when the wind shifts, Britter–McQuaid when the cloud is
dense), threat zones, and what they mean for buildings, people, roads, evacuation and crews.

:func:`run` ties the parts together: the release's position and the weather
(:mod:`sim.hazmat.met`), the source term (:func:`make_source`), the dispersion on the grid
(:mod:`sim.hazmat.dispersion`, with :mod:`sim.hazmat.dense_puff` for a dense cloud), the zone
thresholds (:func:`thresholds`) and the impacts (:mod:`sim.hazmat.impacts`,
:mod:`sim.hazmat.exposure`). What changes how a result must be read (calm wind raised, a grid
too small, a guideline level taken from another guideline) is returned as notes and issued as
warnings.
"""
from __future__ import annotations

import time
import warnings
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from sim.hazmat import impacts as imp
from sim.hazmat.chemicals import Chemical, get_chemical
from sim.hazmat.dispersion import disperse_on_grid
from sim.hazmat.exposure import default_points, point_series, protective_actions
from sim.hazmat.met import Met, locate_release, resolve_met, sigma_scheme
from sim.hazmat.params import Params, Release
from sim.hazmat.sigmas import SCHEME_BRIGGS_URBAN, SCHEME_PG_RURAL
from sim.hazmat.source import SourceTerm, direct_release, gas_tank_hole, liquid_tank_hole
from sim.hazmat.zones import LEVELS, confidence_envelope, far_field_notes, zone_polygons
from twin.city import City
from twin.errors import InputError

if TYPE_CHECKING:
    from sim.hazmat.result import HazmatResult


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
