"""Shelter in place or evacuate: the protective action for each populated building a zone reaches.

At each such building's centre the outdoor concentration every 10 s comes from the dispersion
(receptor height), the indoor one from the one-box infiltration model with the scenario's
air-change rate (:func:`sim.hazmat.model.indoor_from_outdoor`; closed windows, ventilation off).
Sheltering works when the building keeps the indoor peak below the orange threshold (AEGL-2 /
ERPG-2: irreversible effects) for as long as the cloud stays; evacuation works when people can
leave before the cloud arrives. The rule, after the protective-action logic of the Emergency
Response Guidebook (ERG 2024, "Protective actions": evacuate when there is time, shelter in
place when the cloud arrives first or passes quickly) and of Sorensen, Shumpert & Vogt (2004),
"Planning for protective action decision making: evacuate or shelter-in-place", J. Hazard.
Mater. 109: 1-11 (the indoor dose of a sheltered building against the exposure of a late
evacuation):

* buildings in the evacuation zones (``evacuation.zones``): **evacuate**; flagged
  ``cloud_first`` when the cloud reaches the building (outdoors, its zone's threshold) before the
  mean departure delay (``evacuation.departure_mean_min``): most of its people would meet the
  cloud in the street, so they shelter first and leave when it has passed;
* buildings in the other zones: **shelter**; flagged ``indoor_orange`` / ``indoor_red`` when
  even indoors the peak reaches that threshold (a long release fills the building): those people
  need to leave before the cloud, or a safer room, or respiratory protection.
"""
from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from sim.hazmat.zones import LEVELS

ACTION_RGBA = {"evacuate": [33, 102, 172, 255], "evacuate, cloud first": [118, 42, 131, 255],
               "shelter": [26, 152, 80, 255], "shelter, indoor above orange": [231, 41, 138, 255]}


def assess(exposed: gpd.GeoDataFrame, t_s: np.ndarray, cout: np.ndarray, cin: np.ndarray,
           thresholds_kg_m3: dict[str, float], evac_zones: list[str], departure_mean_s: float) -> gpd.GeoDataFrame:
    """The zoned, populated buildings of ``exposed`` with their cloud arrival, peaks and action.

    ``t_s`` (nt) and ``cout`` / ``cin`` (nt, n): outdoor and indoor concentration (kg/m³) at
    the centres of ``exposed[exposed.zone != ""]`` in that order. Columns added: cloud_arrival_s
    (first time outdoors at the building's zone threshold; NaN if the sampled centre never
    reaches it: the zone touches the building elsewhere), outdoor_peak_kg_m3, indoor_peak_kg_m3,
    indoor_level (the most severe threshold the indoor peak reaches, '' none), action, flag."""
    out = exposed[exposed.zone != ""].copy()
    if not len(out):
        for c in ("cloud_arrival_s", "outdoor_peak_kg_m3", "indoor_peak_kg_m3"):
            out[c] = np.zeros(0)
        out["indoor_level"] = out["action"] = out["flag"] = np.zeros(0, dtype=object)
        return out
    thr = np.array([thresholds_kg_m3[z] for z in out.zone])
    hit = cout >= thr[None, :]
    first = np.argmax(hit, axis=0)
    out["cloud_arrival_s"] = np.where(hit.any(axis=0), t_s[first], np.nan)
    out["outdoor_peak_kg_m3"] = cout.max(axis=0)
    peak_in = cin.max(axis=0)
    out["indoor_peak_kg_m3"] = peak_in
    level = np.full(len(out), "", dtype=object)
    for lvl in reversed(LEVELS):  # yellow, orange, red: the most severe reached wins
        if lvl in thresholds_kg_m3:
            level[peak_in >= thresholds_kg_m3[lvl]] = lvl
    out["indoor_level"] = level
    evac = out.zone.isin(evac_zones).to_numpy()
    early = np.nan_to_num(out.cloud_arrival_s.to_numpy(), nan=np.inf) < departure_mean_s
    bad_in = np.isin(level, [lv for lv in LEVELS[:2]])  # red or orange indoors
    out["action"] = np.where(evac, "evacuate", "shelter")
    out["flag"] = np.where(evac, np.where(early, "cloud_first", ""),
                           np.where(bad_in, np.char.add("indoor_", level.astype(str)), ""))
    return out


def summary(pa: gpd.GeoDataFrame, ach_per_h: float, departure_mean_s: float) -> dict[str, Any]:
    """Persons by action and flag (each building counted once, in its innermost zone)."""
    pop = pa.population.fillna(0.0).to_numpy(float) if len(pa) else np.zeros(0)
    act = pa.action.to_numpy() if len(pa) else np.zeros(0, dtype=object)
    flag = pa.flag.to_numpy() if len(pa) else np.zeros(0, dtype=object)

    def persons(mask: np.ndarray) -> float:
        return round(float(pop[mask].sum()), 0)

    return {"air_changes_per_h": ach_per_h, "departure_mean_min": round(departure_mean_s / 60.0, 1),
            "evacuate_persons": persons(act == "evacuate"),
            "evacuate_cloud_first_persons": persons((act == "evacuate") & (flag == "cloud_first")),
            "shelter_persons": persons(act == "shelter"),
            "shelter_indoor_below_orange_persons": persons((act == "shelter") & (flag == "")),
            "shelter_indoor_orange_or_red_persons": persons((act == "shelter") & (flag != "")),
            "note": "evacuate: the evacuation zones; cloud first: the cloud reaches the building before the mean "
                    "departure delay, so its people shelter first and leave when it has passed. shelter: the other "
                    "zones; indoor orange or red: even with windows shut the indoor peak reaches AEGL-2 or worse "
                    "(one-box infiltration at air_changes_per_h), so they need to leave before the cloud, a safer "
                    "room or respiratory protection"}


def legend_label(action: str, flag: str) -> str:
    """The map's category of a building."""
    if action == "evacuate":
        return "evacuate, cloud first" if flag == "cloud_first" else "evacuate"
    return "shelter, indoor above orange" if flag else "shelter"
