"""Shelter in place or evacuate: a screening of the protective action for each populated
building a threat zone reaches.

Outdoors: the concentration on the building's footprint (its representative point and up to
eight outline vertices, the highest of them at each time: the zone is assigned when it touches
any part of the building) every 10 s from the dispersion, at receptor height, from the release
until the cloud has passed (:func:`sim.hazmat.exposure.protective_actions`). Indoors: the one-box
infiltration model with the scenario's air-change rate (closed windows, ventilation off;
:func:`sim.hazmat.exposure.indoor_from_outdoor`). Its peak is compared with the zone thresholds as
the zones are (instantaneous concentration against the guideline level, e.g. the 60-min AEGL):
conservative for an hour's exposure, while a shelter held for hours meets the lower
long-exposure levels (chlorine AEGL-2: 2 ppm at 1 h, 1 ppm at 4 h).

The action is the plan's: the evacuation zones (``evacuation.zones``) evacuate, the others
shelter in place, the usual split for a toxic cloud (ERG 2024, "Protective actions": evacuate
when there is time, shelter in place when the cloud would catch people in the open or passes
quickly). Flags say where that choice fails, in the terms of Sorensen, Shumpert & Vogt (2004),
"Planning for protective action decision making: evacuate or shelter-in-place", J. Hazard.
Mater. 109: 1-11 (time to leave against the cloud's arrival, indoor exposure of a shelter); this
screening does not weigh the doses of the two options against each other as they do:

* evacuate, ``cloud_first``: the cloud (outdoors at the orange level, the building's own zone
  level in the yellow zone) reaches the building before the mean departure delay; on the Rayleigh
  departure curve ``left_before_cloud_share`` = 1 − exp(−π/4 (t_arrival / mean)²) have left by
  then, the rest are still indoors. Where the indoor peak stays below orange they are better
  sheltering until the cloud has passed; ``cloud_first_indoor_orange`` / ``_red``: even indoors
  it reaches that level, so neither option protects: the earliest possible warning, an inner or
  upper room, respiratory protection;
* shelter, ``indoor_orange`` / ``indoor_red``: the indoor peak reaches that level (a long release
  fills the building): those people need to leave before the cloud comes, or a safer room.
"""
from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np

from sim.hazmat.zones import LEVELS

CATEGORIES = {  # map category -> colour
    "evacuate": [33, 102, 172, 255],
    "evacuate, cloud first: shelter until it passes": [118, 42, 131, 255],
    "cloud first, indoors reaches orange: neither protects": [103, 0, 13, 255],
    "shelter": [26, 152, 80, 255],
    "shelter, indoors reaches orange": [231, 41, 138, 255],
}


def left_share(t_s: np.ndarray, mean_s: float) -> np.ndarray:
    """Share of a building's evacuees gone by ``t_s`` on a Rayleigh departure curve of mean
    ``mean_s`` (sigma = mean / sqrt(pi / 2), as :func:`sim.hazmat.impacts.rayleigh_quantiles`)."""
    t = np.asarray(t_s, float)
    return 1.0 - np.exp(-math.pi / 4.0 * (t / mean_s) ** 2)


def assess(exposed: gpd.GeoDataFrame, t_s: np.ndarray, cout: np.ndarray, cin: np.ndarray,
           thresholds_kg_m3: dict[str, float], evac_zones: list[str], departure_mean_s: float) -> gpd.GeoDataFrame:
    """The zoned, populated buildings of ``exposed`` with their cloud arrival, peaks and action.

    ``t_s`` (nt) and ``cout`` / ``cin`` (nt, n): outdoor and indoor concentration (kg/m³) at the
    buildings ``exposed[exposed.zone != ""]`` in that order. Columns added: cloud_arrival_s (first
    time outdoors at the orange level, or the building's zone level when lower; NaN if never),
    outdoor_peak_kg_m3, indoor_peak_kg_m3, indoor_level (the most severe level the indoor peak
    reaches, '' none), left_before_cloud_share (evacuation zones), action, flag."""
    out = exposed[exposed.zone != ""].copy()
    n = len(out)
    if not n:
        for c in ("cloud_arrival_s", "outdoor_peak_kg_m3", "indoor_peak_kg_m3", "left_before_cloud_share"):
            out[c] = np.zeros(0)
        out["indoor_level"] = out["action"] = out["flag"] = np.zeros(0, dtype=object)
        return out
    orange = thresholds_kg_m3.get("orange", math.inf)
    thr = np.array([min(thresholds_kg_m3[z], orange) for z in out.zone])
    hit = cout >= thr[None, :]
    arrival = np.where(hit.any(axis=0), t_s[np.argmax(hit, axis=0)], np.nan)
    out["cloud_arrival_s"] = arrival
    out["outdoor_peak_kg_m3"] = cout.max(axis=0)
    peak_in = cin.max(axis=0)
    out["indoor_peak_kg_m3"] = peak_in
    level = np.full(n, "", dtype=object)
    for lvl in reversed(LEVELS):  # yellow, orange, red: the most severe reached wins
        if lvl in thresholds_kg_m3:
            level[peak_in >= thresholds_kg_m3[lvl]] = lvl
    out["indoor_level"] = level
    evac = out.zone.isin(evac_zones).to_numpy()
    first = np.nan_to_num(arrival, nan=np.inf) < departure_mean_s
    bad_in = np.isin(level, ["red", "orange"])
    out["left_before_cloud_share"] = np.where(evac, np.where(np.isfinite(arrival), left_share(
        np.nan_to_num(arrival), departure_mean_s), 1.0), np.nan)
    suffix = np.where(bad_in, np.char.add("indoor_", level.astype(str)), "")
    out["action"] = np.where(evac, "evacuate", "shelter")
    out["flag"] = np.where(evac, np.where(first, np.where(bad_in, np.char.add("cloud_first_", suffix), "cloud_first"), ""),
                           suffix)
    return out


def category(action: str, flag: str) -> str:
    """The map's category of a building (a key of :data:`CATEGORIES`)."""
    if action == "evacuate":
        if not flag:
            return "evacuate"
        return ("cloud first, indoors reaches orange: neither protects" if "indoor" in flag
                else "evacuate, cloud first: shelter until it passes")
    return "shelter, indoors reaches orange" if flag else "shelter"


def summary(pa: gpd.GeoDataFrame, ach_per_h: float | dict[str, float], departure_mean_s: float, orange_label: str,
            complete: bool, horizon_s: float) -> dict[str, Any]:
    """Persons by action and flag (each building counted once, in its innermost zone)."""
    pop = pa.population.fillna(0.0).to_numpy(float) if len(pa) else np.zeros(0)
    act = pa.action.to_numpy() if len(pa) else np.zeros(0, dtype=object)
    flag = pa.flag.to_numpy().astype(str) if len(pa) else np.zeros(0, dtype=str)
    ev = act == "evacuate"
    first = np.char.startswith(flag, "cloud_first")
    bad = np.char.find(flag, "indoor") >= 0
    home = pop * (1.0 - np.nan_to_num(pa.left_before_cloud_share.to_numpy(float), nan=1.0)) if len(pa) else pop

    def persons(mask: np.ndarray, w: np.ndarray = pop) -> float:
        return round(float(w[mask].sum()), 0)

    out = {"air_changes_per_h": ach_per_h, "departure_mean_min": round(departure_mean_s / 60.0, 1),
           "evacuate_persons": persons(ev),
           "evacuate_cloud_first_persons": persons(ev & first),
           "evacuate_cloud_first_indoor_orange_or_red_persons": persons(ev & first & bad),
           "evacuees_still_home_when_cloud_arrives_persons": persons(ev, home),
           "shelter_persons": persons(~ev),
           "shelter_indoor_below_orange_persons": persons(~ev & ~bad),
           "shelter_indoor_orange_or_red_persons": persons(~ev & bad),
           "series_until_s": round(float(horizon_s), 0),
           "note": f"a screening of the plan's split (evacuation zones evacuate, the rest shelter), not a dose "
                   f"comparison. orange = {orange_label}. cloud first: the cloud reaches the building before the "
                   f"mean departure delay, so most of its people are still indoors when it comes; where indoors "
                   f"stays below orange they do better to shelter until it has passed; where indoors reaches "
                   f"orange too, neither option protects (earliest warning, an inner or upper room, respiratory "
                   f"protection). shelter, indoors orange or red: the building does not keep the level below "
                   f"orange (one-box infiltration at air_changes_per_h), so they need to leave before the cloud "
                   f"or a safer room. Indoor peaks are instantaneous, compared with the zones' guideline levels "
                   f"as the zones are"}
    if not complete:
        out["note"] += (f"; the cloud had not passed every building by {horizon_s / 3600:.1f} h: indoor peaks and "
                        "the flagged counts are lower bounds")
    return out
