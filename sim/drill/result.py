"""The drill result: per-plan metrics and their comparison, one map with every hazard and every
moving resource on the time slider, the event log that follows the slider, the review charts,
and files (CSV tables, a GeoPackage, a self-contained review page)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import Point

from sim.drill import review as rv
from sim.flood.result import DEPTH_CLASSES, DEPTH_COLORS, classes_rgba, depth_class
from sim.result import rounded
from twin.atomic import write_text_atomic
from viewers.city_layers import roads_frame, roads_layer, terrain_layer
from viewers.spec import Layer

ZONE_RGBA = {"red": [200, 20, 40, 150], "orange": [250, 140, 20, 120], "yellow": [245, 215, 40, 100]}
LEVEL_RGBA = {1: [60, 110, 220, 120], 2: [240, 210, 40, 140], 3: [250, 140, 20, 160], 4: [210, 30, 30, 180]}
STATUS_RGBA = {"waiting": [230, 30, 30, 255], "responding": [250, 150, 0, 255], "working": [40, 120, 230, 255],
               "closed": [120, 120, 120, 200]}
CLOSURE_RGBA = {"flood": [20, 90, 220, 255], "toxic": [150, 30, 160, 255], "landslide": [130, 80, 30, 255],
                "incident": [20, 20, 20, 255], "manual": [20, 20, 20, 255]}
SHELTER_AT_RISK_RGBA = [90, 0, 110, 255]  # deep purple: a shelter holding persons while the hazards reach it
WAY_OUT_RGBA = [20, 160, 170, 230]  # teal: not a hazard colour
WAY_OUT_RADIUS_M = 30.0  # a way out's circle: this plus the next times sqrt(persons out there), m
WAY_OUT_RADIUS_PER_SQRT_PERSON_M = 3.0
QUEUE_CLASSES = [(60.0, [255, 160, 210, 255]), (300.0, [240, 40, 170, 255]), (900.0, [120, 0, 70, 255])]
"""(lowest wait s, colour) of the evacuee-queue classes: 1-5, 5-15, 15+ min (pinks, apart from the
road classes' yellows and oranges, the flood's blues and the closures' purple and black)."""
TYPE_RGBA = {"fire_team": [230, 40, 30], "hazmat_team": [150, 30, 160], "medical_team": [250, 250, 250],
             "water_rescue_team": [20, 120, 240], "landslide_rescue_team": [140, 90, 40], "pump": [0, 170, 200],
             "boat": [0, 90, 200], "expert": [40, 160, 60]}


@dataclass
class DrillResult:
    city: Any
    params: Any
    prep: Any
    runs: list
    start: datetime | None = None
    timings_s: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        names = " vs ".join(p.name for p in self.params.plans)
        return f"Emergency drill — {names}"

    # ------------------------------------------------------------------ tables
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Review tables (tasks, incidents, needs, people, shelters, resources, log, matchings,
        evac_queues, ways_out), all plans."""
        if "tables" not in self._cache:
            per = [r.tables() for r in self.runs]
            self._cache["tables"] = {k: pd.concat([p[k] for p in per if len(p[k])], ignore_index=True)
                                     if any(len(p[k]) for p in per) else per[0][k] for k in per[0]}
        return self._cache["tables"]

    def metrics(self) -> pd.DataFrame:
        t = self.tables
        return rv.plan_metrics(t["tasks"], t["incidents"], t["needs"], t["people"], t["shelters"], t["resources"])

    # ------------------------------------------------------------------ summary
    def summary(self) -> dict:
        m = self.metrics()
        plans = {}
        for row in m.to_dict("records"):
            name = row.pop("plan")
            plans[name] = {k: (rounded(v, 3) if isinstance(v, (float, np.floating)) else
                               int(v) if isinstance(v, (np.integer,)) else v) for k, v in row.items()}
        out: dict[str, Any] = {"plans": plans,
                               "plans_note": "a null time or share is infinite or never reached: an incident "
                                             "never fully covered, evacuated_90_s never held, work not finished "
                                             "by the drill's end"}
        if len(self.runs) > 1:
            cmp = rv.compare(m)
            out["better_plan_by_metric"] = {str(k): str(v) for k, v in cmp["better"].items() if isinstance(v, str) and v}
        mt = self.tables["matchings"]
        if len(mt):
            out["matching"] = {"rounds": int(len(mt)), "solve_s_max": rounded(mt.solve_s.max(), 3),
                               "gap_max": rounded(mt.gap.max(), 6)}
        p = self.prep
        out["hazards"] = {
            "flood": p.flood is not None, "hazmat_release_at_s": rounded(p.hazmat.t0_s, 0) if p.hazmat else None,
            "landslide_warned_units": int((p.geo.units.level >= 1).sum()) if p.geo is not None else None}
        out["run_time_s"] = {k: rounded(v, 2) for k, v in self.timings_s.items()}
        return out

    # ------------------------------------------------------------------ time axis
    def frame_times(self) -> list[float]:
        p = self.prep
        ts = set(np.arange(0.0, p.duration_s + 1e-6, self.params.frame_interval_s).tolist())
        ts |= {t for t in p.hazard_times if 0 <= t <= p.duration_s}
        return sorted(float(t) for t in ts)

    # ------------------------------------------------------------------ layers
    def layers(self) -> list[Layer]:
        city, crs, p = self.city, self.city.crs, self.prep
        times = self.frame_times()
        lays = [terrain_layer(city), roads_layer(city)]
        if p.flood is not None:
            fl = p.flood
            legend = [(f"{lo:g}–{hi:g} m" if np.isfinite(hi) else f"> {lo:g} m", c)
                      for (lo, hi), c in zip(DEPTH_CLASSES, DEPTH_COLORS)]
            frames = [(float(max(t, 0.0)), (classes_rgba(depth_class(d), DEPTH_COLORS), fl.ground.transform, crs))
                      for t, d in zip(fl.times_s, fl.depth_m) if t <= p.duration_s]
            if frames:
                lays.append(Layer("flood_depth", "Flood depth", "image", frames=frames, legend=legend))
        if p.hazmat is not None:
            lays.append(self._zones_layer(times))
        if p.geo is not None:
            u = p.geo.warned_units().copy()
            if len(u):
                u["color"] = [LEVEL_RGBA[int(k)] for k in u.level]
                lays.append(Layer("warned_slopes", "Landslide warning by slope unit", "polygons",
                                  data=u[["unit", "level_name", "share_failing", "fs_min", "color", "geometry"]],
                                  legend=[(n, LEVEL_RGBA[k]) for k, n in ((4, "red"), (3, "orange"), (2, "yellow"),
                                                                          (1, "blue"))],
                                  tooltip=["unit", "level_name", "share_failing", "fs_min"], style={"opacity": 0.5}))
        slides = [e for e in p.events if e.runout is not None and e.t_s is not None]
        if slides:
            frames = [(0.0, gpd.GeoDataFrame({"name": [], "color": []}, geometry=[], crs=crs))]
            for e in sorted(slides, key=lambda e: e.t_s):
                frames.append((e.t_s + e.delay_s, gpd.GeoDataFrame(
                    {"name": [f"landslide (unit {s.runout.unit})" for s in slides if s.t_s <= e.t_s],
                     "color": [[120, 70, 20, 220]] * sum(s.t_s <= e.t_s for s in slides)},
                    geometry=[s.runout.footprint for s in slides if s.t_s <= e.t_s], crs=crs)))
            lays.append(Layer("landslides", "Landslide debris", "polygons", frames=frames,
                              legend=[("debris", [120, 70, 20, 220])], tooltip=["name"]))
        for k, r in enumerate(self.runs):
            # each plan's own layers, the first plan's shown (ids without a suffix), the others' in
            # the layer list to switch to
            plan_lays = [self._closed_layer(r, times), *([self._queues_layer(r, times)] if r.queues.held else []),
                         self._incidents_layer(r, times), self._shelters_layer(r, times),
                         *([self._ways_out_layer(r, times)] if r.exit_rows else [])]
            for lay in plan_lays:
                lay.id, lay.visible = (lay.id if k == 0 else f"{lay.id}_{k}"), k == 0
            lays += plan_lays
            tr = self._trips(r)
            if tr:
                lays.append(Layer(f"resources_{k}", f"Resources moving ({r.plan.name})", "trips", data=tr,
                                  legend=[(t.replace("_", " "), c + [255]) for t, c in TYPE_RGBA.items()],
                                  style={"times": times, "trail_s": 240.0, "width_m": 14.0, "min_px": 4},
                                  visible=k == 0))
        return lays

    def _zones_layer(self, times: list[float]) -> Layer:
        hm, crs = self.prep.hazmat, self.city.crs
        frames = []
        ts = sorted({0.0} | {float(t) for t in hm.times_s if t <= self.prep.duration_s})
        for t in ts:
            rows, geoms = [], []
            for lev in ("yellow", "orange", "red"):
                if lev not in hm.thresholds:
                    continue
                g = hm.zone(lev, t)
                if g is not None and not g.is_empty:
                    rows.append({"zone": lev, "color": ZONE_RGBA[lev]})
                    geoms.append(g)
            frames.append((t, gpd.GeoDataFrame(rows or {"zone": [], "color": []}, geometry=geoms, crs=crs)))
        return Layer("threat_zones", "Toxic threat zones (AEGL-3/2/1)", "polygons", frames=frames,
                     legend=[(k, v) for k, v in ZONE_RGBA.items()], tooltip=["zone"], style={"opacity": 0.7})

    def _closed_layer(self, run: Any, times: list[float]) -> Layer:
        g, crs = run.road.g, self.city.crs
        frames = []
        for t in times:
            rows, geoms = [], []
            for u, v, k in run.road.closed_edges(t):
                why = run.road.why_closed(u, v, k, t)
                kind = next((c for c in CLOSURE_RGBA if c in why.lower()), "manual")
                if "depth" in why.lower():
                    kind = "flood"
                rows.append({"name": g.edges[u, v, k].get("name", ""), "why": why, "color": CLOSURE_RGBA[kind]})
                geoms.append(g.edges[u, v, k]["geometry"])
            frames.append((t, gpd.GeoDataFrame(rows or {"name": [], "why": [], "color": []}, geometry=geoms, crs=crs)))
        return Layer("roads_closed", f"Closed roads ({run.plan.name})", "lines", frames=frames,
                     legend=[("flooded", CLOSURE_RGBA["flood"]), ("toxic zone (unprotected)", CLOSURE_RGBA["toxic"]),
                             ("landslide", CLOSURE_RGBA["landslide"]), ("closed by order/incident", CLOSURE_RGBA["manual"])],
                     tooltip=["name", "why"], style={"width_m": 14.0, "min_px": 3})

    def _queues_layer(self, run: Any, times: list[float]) -> Layer:
        """Links where an evacuee arriving at each frame time would wait a minute or more behind
        the groups queued at the entry, by class of wait."""
        g, crs, rs = run.road.g, self.city.crs, run.road
        frames = []
        for t, w in zip(times, run.queues.waits_at(times)):
            rows, geoms = [], []
            for e in np.flatnonzero(w >= 60.0):
                lo, col = next((lo, c) for lo, c in reversed(QUEUE_CLASSES) if w[e] >= lo)
                rows.append({"name": rs.edge_label(int(e)), "wait_min": round(float(w[e]) / 60.0, 1), "color": col})
                geoms.append(g.edges[rs.edge_keys[e]]["geometry"])
            frames.append((t, gpd.GeoDataFrame(rows or {"name": [], "wait_min": [], "color": []}, geometry=geoms,
                                               crs=crs)))
        return Layer("evac_queues", f"Evacuee queues at link entries ({run.plan.name})", "lines", frames=frames,
                     legend=[(f"wait {lo / 60:g}+ min", c) for lo, c in QUEUE_CLASSES],
                     tooltip=["name", "wait_min"], style={"width_m": 26.0, "min_px": 6})

    def _incidents_layer(self, run: Any, times: list[float]) -> Layer:
        inc = self.tables["incidents"]
        inc = inc[inc.plan == run.plan.name]
        tasks = self.tables["tasks"]
        tasks = tasks[tasks.plan == run.plan.name] if len(tasks) else tasks
        frames = []
        for t in times:
            rows, geoms = [], []
            for r in inc.itertuples(index=False):
                if r.opened_s > t:
                    continue
                tk = tasks[tasks.incident_id == r.incident_id] if len(tasks) else tasks
                started = len(tk) and np.isfinite(tk.work_start_s).any() and (tk.work_start_s <= t).any()
                status = ("closed" if r.closed_s <= t else "working" if started else
                          "responding" if len(tk) and (tk.dispatched_s <= t).any() else "waiting")
                rows.append({"incident": r.incident_id, "type": r.type, "grade": r.grade, "name": r.name,
                             "status": status, "color": STATUS_RGBA[status]})
                geoms.append(Point(r.x_m, r.y_m))
            frames.append((t, gpd.GeoDataFrame(rows or {"incident": [], "status": [], "color": []}, geometry=geoms,
                                               crs=self.city.crs)))
        return Layer("incidents", f"Incidents ({run.plan.name})", "points", frames=frames,
                     legend=[(k, v) for k, v in STATUS_RGBA.items()],
                     tooltip=["incident", "type", "grade", "name", "status"],
                     style={"radius_m": 45.0, "min_px": 8, "label_col": "incident"})

    def _shelters_layer(self, run: Any, times: list[float]) -> Layer:
        sh = self.tables["shelters"]
        sh = sh[sh.plan == run.plan.name]
        base = self.prep.shelters.set_index("name")
        frames = []
        for t in times:
            cur = sh[sh.t_s <= t + 1e-9]
            last = cur.sort_values("t_s").groupby("shelter").tail(1).set_index("shelter") if len(cur) else None
            rows, geoms = [], []
            for name, s in base.iterrows():
                load = float(last.load_persons.get(name, 0.0)) if last is not None else 0.0
                opened = bool(last.open.get(name, False)) if last is not None else False
                share = load / s.capacity_persons if s.capacity_persons else 0.0
                risk = bool(last.at_risk.get(name, False)) if last is not None and "at_risk" in last else False
                col = SHELTER_AT_RISK_RGBA if risk and load >= 0.5 else [120, 120, 120, 200] if not opened else \
                    [30, 170, 60, 255] if share < 0.8 else [250, 160, 0, 255] if share < 1.0 else [220, 30, 30, 255]
                rows.append({"shelter": name, "open": opened, "load_persons": round(load),
                             "capacity_persons": s.capacity_persons, "load_pct": round(100 * share, 1),
                             "at_risk": risk, "color": col})
                geoms.append(Point(s.x_m, s.y_m))
            frames.append((t, gpd.GeoDataFrame(rows, geometry=geoms, crs=self.city.crs)))
        return Layer("shelter_load", f"Shelter load ({run.plan.name})", "points", frames=frames,
                     legend=[("closed", [120, 120, 120, 200]), ("open, < 80 %", [30, 170, 60, 255]),
                             ("80–100 %", [250, 160, 0, 255]), ("full", [220, 30, 30, 255]),
                             ("persons in it at risk (cloud, flood)", SHELTER_AT_RISK_RGBA)],
                     tooltip=["shelter", "open", "load_persons", "capacity_persons", "load_pct", "at_risk"],
                     style={"radius_m": 60.0, "min_px": 7})

    def _ways_out_layer(self, run: Any, times: list[float]) -> Layer:
        """The ways out of the danger area that evacuees without a shelter place took: at each
        frame time the persons out there so far (the circle's area grows with them)."""
        e = pd.DataFrame(run.exit_rows)
        frames = []
        for t in times:
            g = e[e.t_s <= t + 1e-9].groupby(["x_m", "y_m"]).persons.agg(["sum", "size"]).reset_index()
            g = g.rename(columns={"sum": "persons_out", "size": "groups"})
            g["persons_out"] = g.persons_out.round()
            g["radius_m"] = WAY_OUT_RADIUS_M + WAY_OUT_RADIUS_PER_SQRT_PERSON_M * np.sqrt(g.persons_out)
            g["color"] = [WAY_OUT_RGBA] * len(g)
            frames.append((t, gpd.GeoDataFrame(g, geometry=gpd.points_from_xy(g.x_m, g.y_m), crs=self.city.crs)))
        return Layer("ways_out", f"Ways out of the danger area ({run.plan.name}; no shelter place)", "points",
                     frames=frames, legend=[("persons out there (area)", WAY_OUT_RGBA)],
                     tooltip=["persons_out", "groups"], style={"radius_col": "radius_m", "min_px": 5})

    @staticmethod
    def _trips(run: Any) -> list[dict]:
        out = []
        for tr in run.trips:
            ts = np.asarray(tr["timestamps"], float)
            ok = np.isfinite(ts)
            if ok.sum() < 2:
                continue
            col = TYPE_RGBA.get(tr["type"], [250, 250, 0]) + [255 if tr["leg"] != "back" else 150]
            out.append({"path": np.asarray(tr["path"])[ok], "timestamps": ts[ok], "color": col})
        return out

    def page_events(self) -> list[dict]:
        """Every plan's decision log for the page's event list (time, kind, text, reason), each
        entry tied to its plan's incidents layer (:meth:`layers`), so the list shows the log of
        the plans on the map; tagged with the plan's name when there are several."""
        log = self.tables["log"]
        out = []
        for k, run in enumerate(self.runs):
            tag = run.plan.name if len(self.runs) > 1 else ""
            out += [{"t_s": float(r.t_s), "kind": r.kind, "text": r.text, "reason": r.reason, "tag": tag,
                     "layer": "incidents" if k == 0 else f"incidents_{k}"}
                    for r in log[log.plan == run.plan.name].itertuples(index=False)]
        return sorted(out, key=lambda e: e["t_s"])  # stable: a plan's entries keep their order

    # ------------------------------------------------------------------ figures and files
    def figures(self) -> list[tuple[str, bytes]]:
        if "figs" not in self._cache:
            t = self.tables
            figs = [("Response time by plan (ECDF)", rv.response_png(t["incidents"]))]
            if len(t["tasks"]):
                for r in self.runs:
                    figs.append((f"Tasks — {r.plan.name}", rv.gantt_png(t["tasks"], plan=r.plan.name, start=self.start)))
            figs.append(("People at risk, evacuating, sheltered", rv.people_png(t["people"], start=self.start)))
            figs.append(("Shelter load vs capacity", rv.shelters_png(t["shelters"], start=self.start)))
            figs.append(("Resource utilisation", rv.utilisation_png(t["resources"])))
            self._cache["figs"] = figs
        return self._cache["figs"]

    def save(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        files = []
        for name, df in self.tables.items():
            path = folder / f"{name}.csv"
            write_text_atomic(path, df.to_csv(index=False))
            files.append(path)
        gpkg = folder / "drill.gpkg"
        inc = self.tables["incidents"]
        if len(inc):
            g = gpd.GeoDataFrame(inc, geometry=gpd.points_from_xy(inc.x_m, inc.y_m), crs=self.city.crs)
            pyogrio.write_dataframe(g.replace([np.inf, -np.inf], np.nan), gpkg, layer="incidents", driver="GPKG")
        if self.prep.geo is not None:
            u = self.prep.geo.units
            pyogrio.write_dataframe(u, gpkg, layer="slope_units", driver="GPKG")
        rr = roads_frame(self.city)
        pyogrio.write_dataframe(rr, gpkg, layer="roads", driver="GPKG")
        files.append(gpkg)
        t = self.tables
        m = self.metrics()
        files.append(rv.review_html(self.title, self.start, metrics=m, comparison=rv.compare(m) if len(self.runs) > 1
                                    else None, bottlenecks=rv.bottlenecks(t["tasks"], t["incidents"], t["needs"]),
                                    needs=t["needs"], log=t["log"], figures=self.figures(),
                                    evac_queues=t.get("evac_queues"), ways_out=t.get("ways_out"),
                                    path=folder / "review.html"))
        return files
