"""The hazmat result: metrics, map layers (ALOHA-style zones), charts and files."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import Point

from sim.hazmat.zones import LEVELS, ZONE_RGBA
from sim.result import rounded
from terrain.raster import Raster, write_raster
from twin.atomic import write_text_atomic
from viewers.city_layers import roads_layer, terrain_layer
from viewers.colors import cmap_rgba, cmap_stops
from viewers.png import fig_png, save_png
from viewers.spec import Layer

SOLID = {k: v[:3] + [255] for k, v in ZONE_RGBA.items()}


@dataclass
class HazmatResult:
    city: Any
    params: Any
    chem: Any
    label: str
    source_xy: tuple[float, float]
    met: Any
    source: Any
    scheme_name: str
    grid: Any
    disp: Any
    thresholds: dict[str, float]
    labels: dict[str, str]
    zones: gpd.GeoDataFrame
    envelope: Any
    exposed: gpd.GeoDataFrame
    by_zone: dict
    closed: gpd.GeoDataFrame
    evacuation: Any
    crews: gpd.GeoDataFrame
    points: list
    series: pd.DataFrame
    prob: Raster | None
    members: dict | None
    start: datetime | None = None
    run_time_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    protective: gpd.GeoDataFrame | None = None  # sim.hazmat.protective.assess
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return f"{self.chem.name.capitalize()} release — {self.label}"

    @property
    def focus_bounds(self) -> tuple[float, float, float, float]:
        """The yellow zone and the source with a margin, within the city (where the page opens)."""
        x, y = self.source_xy
        l, b, r, t = x - 800, y - 800, x + 800, y + 800
        if len(self.zones):
            zl, zb, zr, zt = self.zones.total_bounds
            l, b, r, t = min(l, zl - 200), min(b, zb - 200), max(r, zr + 200), max(t, zt + 200)
        cl, cb, cr, ct = self.city.bounds
        return (max(l, cl), max(b, cb), min(r, cr), min(t, ct))

    def ppm(self, kg_m3):
        return np.asarray(kg_m3) / self.chem.ppm_to_kg_m3(1.0, self.met.air_k)

    # ----------------------------------------------------------------------- metrics
    def summary(self) -> dict:
        m, src, ev = self.met, self.source, self.evacuation
        counts = {lvl: {"buildings": int((self.exposed.zone == lvl).sum()),
                        "population": round(float(np.nansum(self.exposed.population[self.exposed.zone == lvl])), 0)}
                  for lvl in LEVELS}
        zones = {}
        for _, z in self.zones.iterrows():
            # the area is the whole zone (at or above its threshold, the inner zones included); buildings
            # and people are counted once, in the innermost zone they lie in (the band)
            zones[z.zone] = {"level": z.label, "threshold_ppm": float(f"{self.ppm(z.threshold_kg_m3):.4g}"),
                             "reach_m": round(z.reach_m, 0), "area_km2": round(z.area_m2 / 1e6, 4),
                             **counts[z.zone]}
        out = {
            "chemical": self.chem.name,
            "release": self.label,
            "source": {"kind": src.kind, "peak_rate_kg_s": round(float(np.max(src.rate_kg_s)), 3),
                       "duration_s": round(src.duration_s, 1), "airborne_mass_kg": round(src.total_mass_kg, 1),
                       "released_in_run_kg": round(src.mass_released_kg(self.params.duration_s), 1),
                       "cloud_density_kg_m3": round(src.density_kg_m3, 3), "notes": list(src.notes)},
            "weather": {"wind_from_deg": m.wind_from_deg, "wind_m_s": m.u_ref_m_s, "wind_height_m": m.z_ref_m,
                        "transport_wind_m_s": round(m.u_release_m_s, 2), "stability": m.stability,
                        "roughness_m": m.z0_m, "mixing_height_m": round(m.h_mix_m, 0),
                        "sigma_theta_deg": m.sigma_theta_deg, "notes": list(m.notes)},
            "model": self.disp.model,
            "warnings": list(self.warnings),
            "sigmas": self.scheme_name,
            "britter_mcquaid_criterion": None if not np.isfinite(self.disp.ri) else round(self.disp.ri, 3),
            "peak_concentration_ppm_at_200m": self._peak_at(200.0),
            "zones": zones,
            "zones_note": "area_km2 and reach_m: the whole zone, inner zones included; buildings and population: "
                          "those in this zone's band only (each counted once, in the innermost zone it lies in)",
            "roads_closed": int(len(self.closed)),
            "roads_closed_km": round(float(self.closed.length_m.sum()) / 1000, 3) if len(self.closed) else 0.0,
            "evacuation": {"zones": list(self.params.evacuation.zones),
                           "persons": round(float(ev.clusters.persons.sum()), 0) if len(ev.clusters) else 0.0,
                           "vehicles_pcu": round(float(ev.clusters.pcu.sum()), 0) if len(ev.clusters) else 0.0,
                           "unsheltered_persons": round(ev.unsheltered_persons, 0),
                           "clearance_covers": "the persons with a shelter place only (persons); the "
                                               "unsheltered_persons are not in the clearance times",
                           "clearance_50pct_min": round(ev.clearance_s(0.5) / 60, 1),
                           "clearance_90pct_min": round(ev.clearance_s(0.9) / 60, 1),
                           "clearance_100pct_min": round(ev.clearance_s(1.0) / 60, 1),
                           "shelters_used": {r["name"]: round(r.assigned_persons, 0)
                                             for _, r in ev.shelters.iterrows() if r.assigned_persons > 0}},
            "staging": {"xy": [round(float(v), 1) for v in (self.crews.attrs.get("staging_xy") or self.source_xy)],
                        "bearing_from_source_deg": rounded(self.crews.attrs.get("staging_bearing_deg"), 0),
                        "off_upwind_deg": rounded(self.crews.attrs.get("staging_off_upwind_deg"), 0)},
            "crews": [{"from": r.base, "kind": r.kind, "time_min": round(r.time_s / 60, 1) if np.isfinite(r.time_s)
                       else None} for _, r in self.crews.iterrows()],
            "points": self._point_metrics(),
            "run_time_s": round(self.run_time_s, 2),
        }
        if self.protective is not None:
            from sim.hazmat import protective as pa

            ev_p = self.params.evacuation
            out["protective_action"] = pa.summary(self.protective, {"*": ev_p.shelter_air_changes_per_h,
                                                                    **ev_p.shelter_air_changes_by_use}
                                                  if ev_p.shelter_air_changes_by_use else ev_p.shelter_air_changes_per_h,
                                                  ev_p.departure_mean_min * 60.0, self.labels.get("orange", "orange"),
                                                  bool(self.protective.attrs.get("complete", True)),
                                                  float(self.protective.attrs.get("horizon_s", self.params.duration_s)))
        if self.prob is not None:
            cell = float(abs(self.prob.res[0] * self.prob.res[1]))
            out["ensemble"] = {"members": int(self.params.ensemble.members), "level": self.members["level"],
                               "area_p10_km2": round(float((self.prob.data >= 0.1).sum()) * cell / 1e6, 4),
                               "area_p50_km2": round(float((self.prob.data >= 0.5).sum()) * cell / 1e6, 4),
                               "area_p90_km2": round(float((self.prob.data >= 0.9).sum()) * cell / 1e6, 4)}
        return out

    def _peak_at(self, r_m: float) -> float:
        g = self.grid
        d = np.hypot(g.x - self.source_xy[0], g.y - self.source_xy[1])
        ring = np.abs(d - r_m) < max(self.grid.raster.res)
        return float(f"{self.ppm(self.disp.cmax.ravel()[ring].max()):.4g}") if ring.any() else 0.0

    def _point_metrics(self) -> list[dict]:
        out = []
        lvl_kg = {k: v for k, v in self.thresholds.items()}
        for name, grp in self.series.groupby("point", sort=False):
            first = {}
            for lvl, thr in lvl_kg.items():
                hit = grp.time_s[grp.outdoor_kg_m3 >= thr]
                first[f"outdoor_{lvl}_from_min"] = round(float(hit.iloc[0]) / 60, 1) if len(hit) else None
            out.append({"point": name, "peak_outdoor_ppm": float(f"{self.ppm(grp.outdoor_kg_m3.max()):.4g}"),
                        "peak_indoor_ppm": float(f"{self.ppm(grp.indoor_kg_m3.max()):.4g}"), **first})
        return out

    # ------------------------------------------------------------------------ layers
    def layers(self) -> list[Layer]:
        crs, tr = self.city.crs, self.grid.raster.transform
        lays = [terrain_layer(self.city), roads_layer(self.city)]
        lo_kg = min(self.thresholds.values()) / 10.0
        hi_kg = max(float(self.disp.cmax.max()), lo_kg * 10)
        frames = [(float(t), (self._conc_rgba(f, lo_kg, hi_kg), tr, crs)) for t, f in zip(self.disp.times_s, self.disp.frames)]
        legend = {"ramp": cmap_stops("inferno_r"), "vmin": f"{self.ppm(lo_kg):.2g} ppm",
                  "vmax": f"{self.ppm(hi_kg):.2g} ppm", "unit": "concentration (log)"}
        lays.append(Layer("hazmat_conc", f"{self.chem.name.capitalize()} concentration (animated)", "image",
                          frames=frames, legend=legend))
        lays.append(Layer("hazmat_cmax", "Maximum concentration", "image",
                          data=(self._conc_rgba(self.disp.cmax, lo_kg, hi_kg), tr, crs), legend=legend, visible=False))
        if len(self.zones):
            z = self.zones.copy()
            z["color"] = [ZONE_RGBA[k] for k in z.zone]
            z["threshold_ppm"] = [float(f"{self.ppm(v):.4g}") for v in z.threshold_kg_m3]
            lays.append(Layer("threat_zones", "Threat zones", "polygons", data=z[::-1].reset_index(drop=True),
                              legend=[(f"{k}: {self.labels[k]}", SOLID[k]) for k in z.zone],
                              tooltip=["zone", "label", "reach_m", "area_m2"], style={"opacity": 0.6}))
        if self.envelope is not None:
            env, lines = self.envelope
            g = gpd.GeoDataFrame({"name": ["confidence lines", "confidence lines"],
                                  "color": [[60, 60, 60, 255]] * 2}, geometry=lines, crs=crs)
            lays.append(Layer("confidence", f"Wind-direction confidence ({self.params.zones.confidence:.0%})", "lines",
                              data=g, legend=[("confidence lines", [60, 60, 60, 255])],
                              style={"width_m": 6.0, "min_px": 2}))
        ex = self.exposed[self.exposed.zone != ""].copy()
        if len(ex):
            ex["color"] = [SOLID[k] for k in ex.zone]
            lays.append(Layer("buildings_exposed", "Buildings in a zone", "polygons", data=ex,
                              legend=[(k, SOLID[k]) for k in LEVELS if (ex.zone == k).any()],
                              tooltip=["building_id", "use", "zone", "population"],
                              style={"extruded": True, "elevation_col": "height_m", "opacity": 0.95}))
        pa_layer = self._protective_layer()
        if pa_layer is not None:
            lays.append(pa_layer)
        if len(self.closed):
            c = self.closed.copy()
            c["color"] = [[150, 0, 20, 255]] * len(c)
            lays.append(Layer("roads_closed", "Roads closed (red zone)", "lines", data=c,
                              legend=[("closed", [150, 0, 20, 255])], tooltip=["name", "length_m"],
                              style={"width_m": 16.0, "min_px": 3}))
        ev = self.evacuation.clusters
        if len(ev):
            e = ev.copy()
            e["color"] = [[20, 120, 240, 255]] * len(e)
            e["clearance_min"] = (e.clearance_s / 60).round(1)
            lays.append(Layer("evacuation", "Evacuation routes to shelters", "lines", data=e,
                              legend=[("evacuation route", [20, 120, 240, 255])],
                              tooltip=["zone", "persons", "shelter", "route_time_s", "clearance_min"],
                              style={"width_m": 8.0, "min_px": 2}))
        sh = self.evacuation.shelters
        if len(sh):
            s = sh.copy()
            s["color"] = [[30, 170, 60, 255]] * len(s)
            lays.append(Layer("shelters", "Shelters outside the zones", "points", data=s,
                              legend=[("shelter", [30, 170, 60, 255])], tooltip=["name", "capacity_persons",
                                                                               "assigned_persons"],
                              style={"radius_m": 35.0, "min_px": 6}))
        cr = self.crews[self.crews.reachable].copy()
        if len(cr):
            cr["color"] = [[250, 80, 0, 255] if k == "fire_station" else [220, 30, 30, 255] for k in cr.kind]
            cr["time_min"] = (cr.time_s / 60).round(1)
            lays.append(Layer("crews", "Crew routes to the upwind staging point", "lines", data=cr,
                              legend=[("fire station", [250, 80, 0, 255]), ("hospital", [220, 30, 30, 255])],
                              tooltip=["base", "kind", "time_min"], style={"width_m": 8.0, "min_px": 2}))
        pts = [("release source", *self.source_xy, [200, 30, 160, 255])]
        st = self.crews.attrs.get("staging_xy")
        if st:
            pts.append(("staging point (upwind)", st[0], st[1], [250, 80, 0, 255]))
        pts += [(p[0], p[1], p[2], [40, 40, 40, 255]) for p in self.points]
        pg = gpd.GeoDataFrame({"name": [p[0] for p in pts], "color": [p[3] for p in pts]},
                              geometry=[Point(p[1], p[2]) for p in pts], crs=crs)
        lays.append(Layer("hazmat_points", "Source, staging and report points", "points", data=pg,
                          legend=[("source", [200, 30, 160, 255]), ("staging", [250, 80, 0, 255]),
                                  ("report point", [40, 40, 40, 255])],
                          tooltip=["name"], style={"radius_m": 30.0, "min_px": 6, "label_col": "name"}))
        if self.prob is not None:
            p = np.where(self.prob.data > 0, self.prob.data, np.nan)
            lays.append(Layer("ensemble_prob", f"Probability of exceeding the {self.members['level']} level "
                              f"({self.params.ensemble.members} members)", "image",
                              data=(cmap_rgba(p, "viridis", vmax=1.0, alpha=170), self.prob.transform, crs),
                              legend={"ramp": cmap_stops("viridis"), "vmin": "0", "vmax": "1", "unit": "probability"},
                              visible=False))
        return lays

    @staticmethod
    def _conc_rgba(c: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Log colour scale from ``lo`` (a tenth of the lowest threshold) to ``hi``."""
        c = np.asarray(c, float)
        v = np.where(c >= lo, np.log10(np.maximum(c, lo) / lo) / np.log10(hi / lo), np.nan)
        return cmap_rgba(v, "inferno_r", vmax=1.0, alpha=170)

    # ----------------------------------------------------------------------- figures
    def figures(self) -> list[tuple[str, bytes]]:
        if "figures" not in self._cache:
            figs = [("Concentration at the report points (outdoor and indoor)", self._series_png()),
                    ("Release rate and evacuation arrivals", self._source_png())]
            self._cache["figures"] = figs
        return self._cache["figures"]

    def _series_png(self) -> bytes:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for k, (name, grp) in enumerate(self.series.groupby("point", sort=False)):
            c = colors[k % len(colors)]
            ax.plot(grp.time_s / 60, self.ppm(grp.outdoor_kg_m3), color=c, label=f"{name} outdoor")
            ax.plot(grp.time_s / 60, self.ppm(grp.indoor_kg_m3), color=c, ls="--", label="indoor")
        for lvl, thr in self.thresholds.items():
            ax.axhline(self.ppm(thr), color=np.array(SOLID[lvl][:3]) / 255, lw=1, ls=":")
            ax.text(0, self.ppm(thr), f" {self.labels[lvl]}", fontsize=7, va="bottom")
        if len(self.series) and self.series.outdoor_kg_m3.max() > 0:
            ax.set_yscale("log")
            ax.set_ylim(bottom=self.ppm(min(self.thresholds.values())) / 20)
        ax.set_xlabel("time since release start (min)")
        ax.set_ylabel(f"{self.chem.name} (ppm)")
        ax.legend(fontsize=6, loc="upper right")
        ax.set_title("Concentration at the report points")
        fig.tight_layout()
        return fig_png(fig)

    def _source_png(self) -> bytes:
        import matplotlib.pyplot as plt

        fig, (a1, a2) = plt.subplots(2, 1, figsize=(6.4, 4.8), dpi=100)
        t, r = self.source.times_s, self.source.rate_kg_s
        a1.step(t / 60, r, where="post", color="#7a0177")
        a1.set_xlabel("time (min)")
        a1.set_ylabel("airborne rate (kg/s)")
        a1.set_title(f"Source: {self.source.kind}, {self.source.total_mass_kg:,.0f} kg airborne")
        ev = self.evacuation
        if len(ev.arrivals_s):
            o = np.argsort(ev.arrivals_s)
            a2.plot(ev.arrivals_s[o] / 60, np.cumsum(ev.arrivals_pcu[o]) / ev.arrivals_pcu.sum() * 100, color="#08519c")
        a2.set_xlabel("time after the warning (min)")
        a2.set_ylabel("evacuees arrived (%)")
        a2.set_title("Evacuation clearance (SimPy, link queues with spill-back)")
        fig.tight_layout()
        return fig_png(fig)

    def _protective_table(self) -> gpd.GeoDataFrame:
        """The protective-action buildings with their peaks in ppm and arrival in minutes."""
        from sim.hazmat.protective import category

        t = self.protective.copy()
        t["cloud_arrival_min"] = (t.cloud_arrival_s / 60.0).round(1)
        t["outdoor_peak_ppm"] = [float(f"{v:.4g}") for v in self.ppm(t.outdoor_peak_kg_m3)]
        t["indoor_peak_ppm"] = [float(f"{v:.4g}") for v in self.ppm(t.indoor_peak_kg_m3)]
        t["left_before_cloud_pct"] = (100.0 * t.left_before_cloud_share).round(0)
        t["category"] = [category(a, f) for a, f in zip(t.action, t.flag)]
        return t

    def _protective_layer(self) -> Layer | None:
        if self.protective is None or not len(self.protective):
            return None
        from sim.hazmat.protective import CATEGORIES

        t = self._protective_table()
        t["color"] = [CATEGORIES[c] for c in t.category]
        return Layer("protective_action", "Protective action: shelter in place or evacuate", "polygons", data=t,
                     legend=[(k, v) for k, v in CATEGORIES.items() if (t.category == k).any()],
                     tooltip=["building_id", "use", "zone", "population", "category", "cloud_arrival_min",
                              "left_before_cloud_pct", "outdoor_peak_ppm", "indoor_peak_ppm"],
                     visible=False, style={"extruded": True, "elevation_col": "height_m", "opacity": 0.95})

    # ---------------------------------------------------------------------------- save
    def save(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        files = [write_raster(self.grid.raster.copy(self.disp.cmax), folder / "max_concentration_kg_m3.tif")]
        if self.prob is not None:
            files.append(write_raster(self.prob, folder / "exceedance_probability.tif"))
        files.append(self._save_netcdf(folder / "hazmat.nc"))
        gpkg = folder / "hazmat.gpkg"
        layers = [("zones", self.zones), ("buildings", self.exposed[self.exposed.zone != ""]),
                  ("roads_closed", self.closed), ("evacuation", self.evacuation.clusters),
                  ("shelters", self.evacuation.shelters), ("crews", self.crews)]
        if self.protective is not None and len(self.protective):
            layers.append(("protective_action", self._protective_table()))
        if self.envelope is not None:
            layers.append(("confidence_envelope", gpd.GeoDataFrame({"confidence": [self.params.zones.confidence]},
                                                                   geometry=[self.envelope[0]], crs=self.city.crs)))
        for name, gdf in layers:
            if len(gdf):
                pyogrio.write_dataframe(_plain(gdf), gpkg, layer=name, driver="GPKG", promote_to_multi=True)
        if gpkg.exists():
            files.append(gpkg)
        s = self.series.copy()
        s["outdoor_ppm"] = self.ppm(s.outdoor_kg_m3)
        s["indoor_ppm"] = self.ppm(s.indoor_kg_m3)
        files.append(write_text_atomic(folder / "point_series.csv", s.to_csv(index=False)))
        for (_, png), name in zip(self.figures(), ("point_series.png", "source_evacuation.png")):
            files.append(save_png(png, folder / name))
        return files

    def _save_netcdf(self, path: Path) -> Path:
        import xarray as xr

        from sim.netcdf import grid_coords

        coords, crs = grid_coords(self.grid.raster, self.disp.times_s, self.start)
        ds = xr.Dataset(
            {"concentration": (("time", "y", "x"), self.disp.frames,
                               {"units": "kg m-3", "long_name": f"{self.chem.name} at {self.params.receptor_height_m} m",
                                "grid_mapping": "crs"}),
             "max_concentration": (("y", "x"), self.disp.cmax, {"units": "kg m-3", "grid_mapping": "crs"}),
             "crs": crs},
            coords=coords,
            attrs={"title": "CityTwin hazmat run", "city": self.city.name, "Conventions": "CF-1.8",
                   "model": self.disp.model, "params": json.dumps(json.loads(self.params.model_dump_json())),
                   "chemical": self.chem.name, "thresholds_kg_m3": json.dumps(self.thresholds),
                   "source_xy": json.dumps(list(map(float, self.source_xy))),
                   "staging_xy": json.dumps(list(map(float, self.crews.attrs.get("staging_xy") or self.source_xy)))})
        tmp = path.with_suffix(".nc.tmp")
        ds.to_netcdf(tmp, encoding={v: {"zlib": True, "complevel": 4} for v in ("concentration", "max_concentration")})
        tmp.replace(path)
        return path


def _plain(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GeoPackage can store (lists become JSON text)."""
    out = gdf.copy()
    for c in out.columns:
        if c != out.geometry.name and out[c].map(lambda v: isinstance(v, (list, dict, tuple))).any():
            out[c] = out[c].map(json.dumps)
    out.attrs = {}
    return out


__all__ = ["HazmatResult"]
