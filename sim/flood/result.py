"""The flood result: metrics, map layers, charts and files (NetCDF, GeoTIFF, GeoPackage)."""
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
from rasterio.features import shapes
from shapely.geometry import Point, shape

from sim.result import rounded
from terrain.raster import Raster, write_raster
from viewers.city_layers import roads_layer, terrain_layer
from viewers.colors import cmap_rgba, cmap_stops
from viewers.png import fig_png, save_png
from viewers.spec import Layer

# Water-depth classes (m) for maps and polygons; 0.15 m is the ponding limit of GB 51222-2017
DEPTH_CLASSES = [(0.05, 0.15), (0.15, 0.3), (0.3, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, np.inf)]
DEPTH_COLORS = [[198, 219, 239, 150], [158, 202, 225, 190], [107, 174, 214, 210], [49, 130, 189, 225],
                [8, 81, 156, 235], [8, 48, 107, 245]]
# Flood hazard rating classes, Defra/EA FD2320/TR2 (2006) and the 2008 supplementary note
HAZARD_CLASSES = [(0.0, 0.75, "low: caution"), (0.75, 1.25, "moderate: danger for some"),
                  (1.25, 2.0, "significant: danger for most"), (2.0, np.inf, "extreme: danger for all")]
HAZARD_COLORS = [[255, 255, 178, 170], [254, 204, 92, 200], [253, 141, 60, 220], [227, 26, 28, 235]]


def depth_class(depth: np.ndarray) -> np.ndarray:
    """0 below the first class, else 1..6 by :data:`DEPTH_CLASSES`."""
    edges = [lo for lo, _ in DEPTH_CLASSES]
    return np.digitize(np.nan_to_num(depth), edges).astype(np.uint8)


DEBRIS_KINDS = ("none", "pasture", "woodland", "urban")


def debris_factor(depth: np.ndarray, speed: np.ndarray, kind: str) -> np.ndarray:
    """Debris factor DF of FD2320/TR2 (2006) Table 3.1 by land cover: 0 up to 0.25 m; above,
    pasture 0 (0.5 when deeper than 0.75 m or faster than 2 m/s), woodland 0.5 (1), urban 1."""
    d, v = np.asarray(depth), np.asarray(speed)
    if kind == "none":
        return np.zeros_like(d)
    high = (d > 0.75) | (v > 2.0)
    mid = d > 0.25
    if kind == "pasture":
        return np.where(mid & high, 0.5, 0.0)
    if kind == "woodland":
        return np.where(high & mid, 1.0, np.where(mid, 0.5, 0.0))
    if kind == "urban":
        return np.where(mid, 1.0, 0.0)
    raise ValueError(f"debris factor kind '{kind}': expected one of {DEBRIS_KINDS}")


def hazard_rating(hv_max: np.ndarray, depth_max: np.ndarray, speed_max: np.ndarray, kind: str) -> np.ndarray:
    """HR = d (v + 0.5) + DF (FD2320/TR2 eq. 3.1), with the maximum over time of d (v + 0.5)."""
    return hv_max + debris_factor(depth_max, speed_max, kind)


def hazard_class(hr: np.ndarray, wet: np.ndarray) -> np.ndarray:
    """0 dry, 1..4 by :data:`HAZARD_CLASSES`."""
    return np.where(wet, np.digitize(hr, [lo for lo, _, _ in HAZARD_CLASSES[1:]]) + 1, 0).astype(np.uint8)


def on_ground(a: np.ndarray, building_mask: np.ndarray, buildings_mode: str) -> np.ndarray:
    """Values only where the cell is ground: with buildings as blocks, building cells are walls
    (their 'depth' is roof rain that the model moves to the ground) and read 0."""
    if buildings_mode in ("blocks", "mesh"):
        return np.where(building_mask, 0.0, a).astype(np.float32)
    return np.asarray(a, np.float32)


def classes_rgba(cls: np.ndarray, colors: list[list[int]]) -> np.ndarray:
    lut = np.zeros((len(colors) + 1, 4), np.uint8)
    lut[1:] = colors
    return lut[cls]


@dataclass
class FloodResult:
    city: Any
    params: Any
    grids: Any
    out: Any
    rain: Any
    inflow_points: list
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    run_time_s: float = 0.0
    title: str = "Flood inundation"
    start: datetime | None = None  # wall clock of t = 0 (the scenario's start)
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ derived grids
    @property
    def ground(self) -> Raster:
        return self.grids.ground

    def _on_ground(self, a: np.ndarray) -> np.ndarray:
        return on_ground(a, self.grids.building_mask, self.params.buildings.mode)

    @property
    def depth_max(self) -> np.ndarray:
        if "depth_max" not in self._cache:
            self._cache["depth_max"] = self._on_ground(self.out.h_max)
        return self._cache["depth_max"]

    @property
    def hazard(self) -> np.ndarray:
        if "hr" not in self._cache:
            hr = hazard_rating(self.out.hv_max, self.depth_max, self.out.v_max, self.params.debris_factor)
            self._cache["hr"] = self._on_ground(hr)
        return self._cache["hr"]

    def frame_depth(self, k: int) -> np.ndarray:
        return self._on_ground(self.out.depth[k])

    # ----------------------------------------------------------------------- metrics
    def summary(self) -> dict:
        o, s = self.out, self.out.series
        wet = self.depth_max > self.params.wet_depth_m
        cell = o.dx * o.dx
        closed = self.roads[self.roads["closed"]]
        fl = self.buildings[self.buildings["flooded"]]
        hc = hazard_class(self.hazard, self.depth_max > 0.05)
        r, c = np.unravel_index(int(np.nanargmax(self.depth_max)), self.depth_max.shape)
        mx, my = self.ground.xy(np.array([r]), np.array([c]))
        wet0 = self.frame_depth(0) > self.params.wet_depth_m if len(self.out.depth) else np.zeros_like(wet)
        return {
            "grid": {"rows": int(self.ground.shape[0]), "cols": int(self.ground.shape[1]), "cell_m": o.dx,
                     "buildings_mode": self.params.buildings.mode},
            "rain_total_mm": round(self._rain_total_mm(), 1),
            "max_depth_m": round(float(self.depth_max.max()), 3),
            "max_depth_xy": [round(float(mx[0]), 1), round(float(my[0]), 1)],  # city CRS: check it is not a DEM pit
            "flooded_area_km2": round(float(wet.sum()) * cell / 1e6, 4),
            "wet_at_start_km2": round(float(wet0.sum()) * cell / 1e6, 4),  # rivers and lakes after the warm-up
            "newly_flooded_km2": round(float((wet & ~wet0).sum()) * cell / 1e6, 4),
            "areas_note": f"flooded_area_km2, wet_at_start_km2 and newly_flooded_km2: deeper than wet_depth_m "
                          f"({self.params.wet_depth_m:g} m); the depth and hazard classes start at 0.05 m",
            "area_by_depth_class_km2": {f"{lo:g}-{hi:g} m": round(float(((self.depth_max >= lo) &
                                                                         (self.depth_max < hi)).sum()) * cell / 1e6, 4)
                                        for lo, hi in DEPTH_CLASSES},
            "area_by_hazard_class_km2": {name: round(float((hc == k + 1).sum()) * cell / 1e6, 4)
                                         for k, (_, _, name) in enumerate(HAZARD_CLASSES)},
            "volumes_m3": {k: round(float(s[k][-1]), 1) for k in ("rain_m3", "inflow_m3", "outflow_m3", "loss_m3")}
            | {"stored_start_m3": round(float(s["stored_m3"][0]), 1), "stored_end_m3": round(float(s["stored_m3"][-1]), 1)},
            "mass_balance_error": float(f"{o.balance_error():.3e}"),
            "roads_closed": int(len(closed)),
            "roads_closed_km": round(float(closed["length_m"].sum()) / 1000, 3),
            "closure_depth_m": self.params.closure_depth_m,
            "buildings_flooded": int(len(fl)),
            "population_affected": float(np.nansum(fl["population"].to_numpy(float))),
            "shelters_usable": f"{int(self.shelters['usable'].sum())}/{len(self.shelters)}",
            "rescue_routes": [{"target": r.target, "from": r["from"], "time_s": rounded(r.time_s, 1),
                               "delay_s": rounded(r.delay_s, 1)} for _, r in self.routes.iterrows()],
            "solver": {"backend": o.backend, "steps": o.steps, "wall_s": round(o.wall_s, 2),
                       "cell_updates_per_s": float(f"{o.cell_updates_per_s:.3e}")},
            "run_time_s": round(self.run_time_s, 2),
        }

    def _rain_total_mm(self) -> float:
        """Mean rain depth over the grid (mm): the volume that fell / the area (right for
        hyetographs, patterns and gridded rain alike)."""
        ny, nx = self.ground.shape
        return float(self.out.series["rain_m3"][-1] / (ny * nx * self.out.dx ** 2) * 1000.0)

    # ------------------------------------------------------------------------ layers
    def layers(self) -> list[Layer]:
        g, crs = self.ground, self.city.crs
        depth_legend = [(f"{lo:g}–{hi:g} m" if np.isfinite(hi) else f"> {lo:g} m", c)
                        for (lo, hi), c in zip(DEPTH_CLASSES, DEPTH_COLORS)]
        frames = [(float(t), (classes_rgba(depth_class(self.frame_depth(k)), DEPTH_COLORS), g.transform, crs))
                  for k, t in enumerate(self.out.times_s)]
        lays = [terrain_layer(self.city), roads_layer(self.city)]
        lays.append(Layer("flood_depth", "Water depth (animated)", "image", frames=frames, legend=depth_legend))
        lays.append(Layer("flood_max", "Maximum depth", "image", data=(
            classes_rgba(depth_class(self.depth_max), DEPTH_COLORS), g.transform, crs), legend=depth_legend,
            visible=False))
        arr = self.out.arrival_s
        arr_h = np.where(np.isfinite(arr), arr / 3600.0, np.nan)
        if self.params.buildings.mode in ("blocks", "mesh"):
            arr_h[self.grids.building_mask] = np.nan
        lays.append(Layer("flood_arrival", f"Arrival time (depth > {self.params.wet_depth_m:g} m)", "image",
                          data=(cmap_rgba(arr_h, "plasma_r"), g.transform, crs),
                          legend={"ramp": cmap_stops("plasma_r"), "vmin": "0 h",
                                  "vmax": f"{np.nanmax(arr_h) if np.isfinite(arr_h).any() else 0:.1f} h", "unit": "arrival"},
                          visible=False))
        hc = hazard_class(self.hazard, self.depth_max > 0.05)
        lays.append(Layer("flood_hazard", "Hazard rating d(v+0.5)+DF", "image",
                          data=(classes_rgba(hc, HAZARD_COLORS), g.transform, crs),
                          legend=[(n, c) for (_, _, n), c in zip(HAZARD_CLASSES, HAZARD_COLORS)], visible=False))
        closed_frames = []
        for k, t in enumerate(self.out.times_s):
            sel = self.roads[(self.roads["closed_from_s"] <= t) & (self.roads["closed_last_seen_s"] >= t)].copy()
            sel["color"] = [[220, 20, 30, 255]] * len(sel)
            closed_frames.append((float(t), sel))
        lays.append(Layer("roads_closed", f"Roads impassable (> {self.params.closure_depth_m:g} m)", "lines",
                          frames=closed_frames, legend=[("closed", [220, 20, 30, 255])],
                          tooltip=["name", "highway", "max_depth_m", "closed_from_s"], style={"width_m": 16.0, "min_px": 3}))
        b = self.buildings.copy()
        cls = depth_class(b["flood_depth_m"].to_numpy())
        b["color"] = [list(DEPTH_COLORS[c - 1][:3]) + [255] if c > 0 else [215, 210, 200, 255] for c in cls]
        lays.append(Layer("buildings_flood", "Buildings by water depth", "polygons", data=b,
                          legend=[("dry", [215, 210, 200, 255])] + depth_legend,
                          tooltip=["building_id", "use", "flood_depth_m", "population"],
                          style={"extruded": True, "elevation_col": "height_m", "opacity": 0.9}))
        sh = self.shelters.copy()
        sh["color"] = [[30, 170, 60, 255] if u else [200, 30, 30, 255] for u in sh["usable"]]
        lays.append(Layer("shelters", "Shelters (usable / not)", "points", data=sh,
                          legend=[("usable", [30, 170, 60, 255]), ("cut off or flooded", [200, 30, 30, 255])],
                          tooltip=["name", "capacity_persons", "site_depth_m", "travel_time_from_fire_station_s"],
                          style={"radius_m": 30.0, "min_px": 6}))
        if len(self.routes):
            rt = self.routes.copy()
            rt["color"] = [[120, 40, 200, 255]] * len(rt)
            lays.append(Layer("rescue_routes", "Rescue routes on the flooded network", "lines", data=rt,
                              legend=[("route", [120, 40, 200, 255])], tooltip=["target", "from", "time_s", "delay_s"],
                              style={"width_m": 10.0, "min_px": 3}))
        if self.inflow_points:
            pts = gpd.GeoDataFrame({"name": [p[0] for p in self.inflow_points],
                                    "color": [[0, 200, 255, 255]] * len(self.inflow_points)},
                                   geometry=[Point(p[3], p[4]) for p in self.inflow_points], crs=crs)
            lays.append(Layer("inflows", "Inflow points", "points", data=pts, legend=[("inflow", [0, 200, 255, 255])],
                              tooltip=["name"], style={"radius_m": 40.0, "min_px": 7, "label_col": "name"}))
        return lays

    # ----------------------------------------------------------------------- figures
    def figures(self) -> list[tuple[str, bytes]]:
        if "figures" not in self._cache:
            self._cache["figures"] = [("Rain, discharges and stored volume", self._hydrograph_png()),
                                      ("Maximum depth", self._map_png())]
        return self._cache["figures"]

    def _hydrograph_png(self) -> bytes:
        import matplotlib.pyplot as plt

        s = self.out.series
        t_h = s["time_s"] / 3600.0
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(6.4, 5.2), dpi=100, sharex=True)
        if self.rain is not None:
            ts = np.asarray(self.rain.times_s) / 3600.0
            a1.bar(ts[:-1], self.rain.rate_mm_h, width=np.diff(ts), align="edge", color="#6baed6", label="rain (mm/h)")
            a1.set_ylabel("rain intensity (mm/h)")
        a1b = a1.twinx()
        dt = np.diff(s["time_s"], prepend=s["time_s"][0])
        with np.errstate(invalid="ignore", divide="ignore"):
            q_in = np.where(dt > 0, np.diff(s["inflow_m3"], prepend=0) / dt, 0)
            q_out = np.where(dt > 0, np.diff(s["outflow_m3"], prepend=0) / dt, 0)
        a1b.plot(t_h, q_in, color="#31a354", label="inflow (m³/s)")
        a1b.plot(t_h, q_out, color="#e6550d", label="outflow (m³/s)")
        a1b.set_ylabel("discharge (m³/s)")
        a1b.legend(loc="upper right", fontsize=8)
        a1.set_title("Rain and discharge")
        a2.plot(t_h, s["stored_m3"] / 1e3, color="#08519c", label="stored (10³ m³)")
        a2.set_ylabel("stored volume (10³ m³)")
        a2b = a2.twinx()
        a2b.plot(t_h, s["flooded_area_m2"] / 1e6, color="#d94801", label=f"area > {self.params.wet_depth_m:g} m (km²)")
        a2b.set_ylabel("flooded area (km²)")
        a2.set_xlabel("time (h)")
        a2.legend(loc="upper left", fontsize=8)
        a2b.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return fig_png(fig)

    def _map_png(self) -> bytes:
        import matplotlib.pyplot as plt

        from viewers.png import draw_layers

        lays = [terrain_layer(self.city)]
        lays.append(Layer("m", "max", "image", data=(classes_rgba(depth_class(self.depth_max), DEPTH_COLORS),
                                                      self.ground.transform, self.city.crs)))
        cl = self.roads[self.roads["closed"]].copy()
        cl["color"] = [[220, 20, 30, 255]] * len(cl)
        if len(cl):
            lays.append(Layer("c", "closed", "lines", data=cl, style={"width_m": 14.0}))
        fig, ax = plt.subplots(figsize=(6.4, 6.4), dpi=100)
        draw_layers(ax, lays)
        ax.set_aspect("equal")
        ax.set_title(f"Maximum depth; red: roads > {self.params.closure_depth_m:g} m")
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        return fig_png(fig)

    # ---------------------------------------------------------------------------- save
    def save(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        g = self.ground
        files = []
        files.append(self._save_netcdf(folder / "flood.nc"))
        for name, arr in (("max_depth_m", self.depth_max), ("max_speed_m_s", self._on_ground(self.out.v_max)),
                          ("arrival_time_s", np.where(np.isfinite(self.out.arrival_s), self.out.arrival_s, np.nan)),
                          ("hazard_rating", self.hazard)):
            files.append(write_raster(g.copy(np.asarray(arr, np.float32)), folder / f"{name}.tif"))
        gpkg = folder / "flood.gpkg"
        for layer, gdf in (("depth_classes", self.depth_polygons()), ("roads", self.roads),
                           ("buildings", self.buildings), ("shelters", self.shelters), ("rescue_routes", self.routes)):
            pyogrio.write_dataframe(gdf, gpkg, layer=layer, driver="GPKG", promote_to_multi=False)
        files.append(gpkg)
        pd.DataFrame(self.out.series).to_csv(folder / "series.csv", index=False)
        files.append(folder / "series.csv")
        for (_, png), name in zip(self.figures(), ("hydrograph.png", "max_depth.png")):
            files.append(save_png(png, folder / name))
        return files

    def depth_polygons(self) -> gpd.GeoDataFrame:
        """Maximum-depth classes as polygons (one feature per connected patch)."""
        cls = depth_class(self.depth_max)
        rows = [{"class": int(v), "depth_from_m": DEPTH_CLASSES[int(v) - 1][0],
                 "depth_to_m": float(DEPTH_CLASSES[int(v) - 1][1]), "geometry": shape(geom)}
                for geom, v in shapes(cls, mask=cls > 0, transform=self.ground.transform)]
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=self.city.crs) if rows else \
            gpd.GeoDataFrame({"class": [], "depth_from_m": [], "depth_to_m": []}, geometry=[], crs=self.city.crs)

    def _save_netcdf(self, path: Path) -> Path:
        import xarray as xr

        from sim.netcdf import grid_coords

        g = self.ground
        ny, nx = g.shape
        coords, crs = grid_coords(g, self.out.times_s, self.start)
        depth = np.stack([self.frame_depth(k) for k in range(len(self.out.times_s))]) if len(self.out.times_s) \
            else np.zeros((0, ny, nx), np.float32)
        ds = xr.Dataset(
            {"depth": (("time", "y", "x"), depth, {"units": "m", "long_name": "water depth", "grid_mapping": "crs"}),
             "speed": (("time", "y", "x"), self.out.speed, {"units": "m s-1", "long_name": "depth-averaged speed",
                                                           "grid_mapping": "crs"}),
             "max_depth": (("y", "x"), self.depth_max, {"units": "m", "grid_mapping": "crs"}),
             "arrival_time": (("y", "x"), np.where(np.isfinite(self.out.arrival_s), self.out.arrival_s, np.nan)
                              .astype(np.float32), {"units": "s", "long_name": "first wet, seconds from the scenario "
                                                    "start", "grid_mapping": "crs"}),
             "crs": crs},
            coords=coords,
            attrs={"title": "CityTwin flood run", "city": self.city.name, "Conventions": "CF-1.8",
                   "params": json.dumps(json.loads(self.params.model_dump_json()))})
        enc = {v: {"zlib": True, "complevel": 4} for v in ("depth", "speed", "max_depth", "arrival_time")}
        ds.to_netcdf(path, encoding=enc)
        return path
