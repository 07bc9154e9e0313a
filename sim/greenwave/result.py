"""The green-wave result: plans and their simulated performance, the time–space diagram,
map layers (corridor, signals, animated vehicles, the emergency green wave) and files."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import Point
from shapely.ops import substring

from sim.greenwave.maxband import band_of
from sim.greenwave.plan import Corridor, Plan
from sim.greenwave.tsd import time_space_png
from sim.result import rounded as _r
from twin.atomic import write_text_atomic
from viewers.city_layers import roads_layer, terrain_layer
from viewers.png import fig_png, save_png
from viewers.spec import Layer

ORDER = ("current", "uncoordinated", "maxband", "multiband", "optimised", "actuated", "max_pressure",
         "cyclic_pressure")
LABELS = {"current": "today's plan", "uncoordinated": "today's cycle and splits, offsets 0", "maxband": "MAXBAND band",
          "multiband": "MULTIBAND", "optimised": "delay-optimised", "actuated": "actuated coordinated",
          "max_pressure": "max-pressure", "cyclic_pressure": "cyclic max-pressure"}
TRIPS_WINDOW_S = 900.0  # animated vehicles: the first 15 min after the warm-up
LANE_OFFSET_M = 9.0  # drawn distance of each direction from the corridor centre line


@dataclass
class GreenwaveResult:
    city: Any
    params: Any
    corridor: Corridor
    plans: dict[str, Plan]
    metrics: pd.DataFrame
    trajectories: dict[str, pd.DataFrame]  # first seed of the recommended and the MAXBAND plan
    speeds: dict[str, tuple[float, float]]  # progression speed each way at which each plan's band is measured
    periods: list[dict]
    emergency: Any
    events: dict = field(default_factory=dict)
    start: datetime | None = None
    run_time_s: float = 0.0
    queues: pd.DataFrame = field(default_factory=pd.DataFrame)  # max queue per approach of every variant
    warnings: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return f"Green wave on {self.corridor.name}"

    @property
    def recommended(self) -> str:
        for k in ("optimised", "maxband"):
            if k in self.plans:
                return k
        return next(iter(self.plans))

    @property
    def focus_bounds(self) -> tuple[float, float, float, float] | None:
        g = self.corridor.geometry
        if g is None:
            return None
        l, b, r, t = g.bounds
        m = 300.0
        return (l - m, b - m, r + m, t + m)

    # ----------------------------------------------------------------------- metrics
    def summary(self) -> dict:
        c = self.corridor
        m = self.metrics
        rec = self.recommended
        out = {
            "corridor": {"name": c.name, "signals": len(c), "length_m": round(c.length_m, 0),
                         "spacing_m": [round(float(s), 0) for s in c.spacings_m], "speed_limit_kph": c.speed_kph,
                         "volume_out_vph": c.volume_out_vph, "volume_in_vph": c.volume_in_vph,
                         "intersections": [{
                             "cross_street": i.name, "pos_m": round(i.pos_m, 1), "lanes_out": i.lanes_out,
                             "lanes_in": i.lanes_in, "side_lanes": i.side_lanes, "side_volume_vph": i.side_volume_vph,
                             "turn_left": i.turn_left, "turn_right": i.turn_right, "side_to_main": i.side_to_main,
                             "sat_flow_vphpl": i.sat_flow_vphpl,
                             **{k: _r(getattr(i, k)) for k in ("bay_left_out_m", "bay_left_in_m", "bay_right_out_m",
                                                               "bay_right_in_m") if getattr(i, k) is not None}}
                             for i in c.intersections]},
            "recommended": rec,
            "plans": {k: self._plan_summary(k) for k in self.plans},
            "simulated": {k: {c2: _r(m.loc[k, c2]) for c2 in (
                "travel_time_out_s", "travel_time_in_s", "travel_time_combined_s", "stops_out_per_veh",
                "stops_in_per_veh", "delay_out_s", "delay_in_s", "delay_side_s", "delay_left_s", "band_out_s", "band_in_s",
                "band_speed_out_kph", "band_speed_in_kph", "max_queue_main_veh", "max_queue_side_veh",
                "max_degree_of_saturation", "total_delay_veh_h_per_h", "stops_all_per_h", "n_through_out",
                "n_through_in", "n_all", "n_in_network")
                if c2 in m.columns} for k in m.index},
            "simulated_note": "travel times, stops and delays out/in are of the vehicles that drove the whole corridor "
                              "(n_through_out/in per seed, entered after the warm-up and finished); delay_side_s of the "
                              "side-street vehicles; delay_left_s of the vehicles turning left off the corridor "
                              "(permitted ones yield to oncoming traffic); total_delay_veh_h_per_h and stops_all_per_h "
                              "of every finished "
                              "vehicle (through, turning, side streets) per hour; n_in_network vehicles had not "
                              "finished when the run ended (means over the seeds)",
        }
        if len(self.queues):
            q = self.queues[self.queues.variant == rec].drop(columns="variant")
            out["max_queue_per_approach_veh"] = {"plan": rec, "by_cross_street": [
                {k2: (_r(v) if isinstance(v, float) else v) for k2, v in row.items()} for row in q.to_dict("records")]}
        for base in ("uncoordinated", "current", "maxband"):
            if base in m.index and rec in m.index and base != rec:
                out[f"{rec}_vs_{base}"] = {
                    "travel_time_combined_pct": _pct(m.loc[rec, "travel_time_combined_s"], m.loc[base, "travel_time_combined_s"]),
                    "stops_combined_pct": _pct(m.loc[rec, "stops_combined_per_veh"], m.loc[base, "stops_combined_per_veh"]),
                    "side_delay_pct": _pct(m.loc[rec, "delay_side_s"], m.loc[base, "delay_side_s"]),
                    **({"left_delay_pct": _pct(m.loc[rec, "delay_left_s"], m.loc[base, "delay_left_s"])}
                       if "delay_left_s" in m.columns else {}),
                    **({"total_delay_pct": _pct(m.loc[rec, "total_delay_veh_h_per_h"],
                                                m.loc[base, "total_delay_veh_h_per_h"])}
                       if "total_delay_veh_h_per_h" in m.columns else {})}
        if self.periods:
            out["time_of_day"] = [{k: v for k, v in p.items() if k != "plan"} for p in self.periods]
        if self.emergency is not None:
            e = self.emergency
            out["emergency"] = {"from": e.base, "to": e.target, "length_m": round(e.length_m, 0),
                                "signals": int(len(e.signals)), "time_with_preemption_s": round(e.time_preempted_s, 1),
                                "time_expected_without_s": round(e.time_expected_s, 1),
                                "saved_s": round(e.time_expected_s - e.time_preempted_s, 1),
                                "signals_on_recommended_plan": int((e.signals.get("plan") == "recommended").sum())
                                if len(e.signals) else 0}
        if self.events:
            out["events"] = self.events
        sim = self.params.simulation
        out["simulation"] = {"seeds": list(sim.seeds), "duration_s": sim.duration_s, "warmup_s": sim.warmup_s,
                             "vehicle_updates_per_s": _r(float(m["vehicle_updates_per_s"].median()))
                             if "vehicle_updates_per_s" in m else None}
        out["run_time_s"] = round(self.run_time_s, 1)
        out["warnings"] = list(self.warnings)
        return out

    def _plan_summary(self, k: str) -> dict:
        p = self.plans[k]
        return {"cycle_s": round(p.cycle_s, 1), "offsets_s": [round(t.offset_s, 1) for t in p.timings],
                "main_green_s": [round(t.window("out")[1], 1) for t in p.timings],
                "band_out_s": _r(self.metrics.loc[k, "band_out_s"]) if "band_out_s" in self.metrics else None,
                "band_in_s": _r(self.metrics.loc[k, "band_in_s"]) if "band_in_s" in self.metrics else None,
                "band_speed_out_kph": _r(self.metrics.loc[k, "band_speed_out_kph"])
                if "band_speed_out_kph" in self.metrics else None,
                "band_speed_in_kph": _r(self.metrics.loc[k, "band_speed_in_kph"])
                if "band_speed_in_kph" in self.metrics else None,
                "band_plan": p.meta.get("method") in ("maxband", "multiband"),
                "max_degree_of_saturation": _r(self.metrics.loc[k, "max_degree_of_saturation"])
                if "max_degree_of_saturation" in self.metrics else None,
                "solver_gap": p.meta.get("gap")}

    # ------------------------------------------------------------------------ layers
    def layers(self) -> list[Layer]:
        crs = self.city.crs
        c = self.corridor
        rec = self.plans[self.recommended]
        lays = [terrain_layer(self.city), roads_layer(self.city)]
        if c.geometry is not None:
            links = self._link_bands()
            lays.append(Layer("corridor", f"{c.name}: green band per link ({LABELS[self.recommended]})", "lines",
                              data=links, legend=LINK_BAND_LEGEND,
                              tooltip=["link", "cycle_s", "band_out_s", "band_in_s", "speed_out_kph", "speed_in_kph"],
                              style={"width_m": 26.0, "min_px": 4}))
        sig = gpd.GeoDataFrame({
            "cross_street": [i.name for i in c.intersections],
            "offset_s": [round(t.offset_s, 1) for t in rec.timings],
            "main_green_s": [round(t.window("out")[1], 1) for t in rec.timings],
            "cycle_s": [rec.cycle_s] * len(c),
            "color": [[20, 110, 60, 255]] * len(c)}, geometry=[Point(i.x, i.y) for i in c.intersections], crs=crs)
        lays.append(Layer("signals", "Signals (offset, green)", "points", data=sig, legend=[("signal", [20, 110, 60, 255])],
                          tooltip=["cross_street", "cycle_s", "offset_s", "main_green_s"],
                          style={"radius_m": 22.0, "min_px": 6, "label_col": "cross_street"}))
        trips, times = self._trips()
        if trips:
            lays.append(Layer("vehicles", f"Simulated vehicles ({LABELS[self.recommended]})", "trips", data=trips,
                              legend=[("outbound", [30, 80, 200, 255]), ("inbound", [150, 50, 160, 255])],
                              style={"times": times, "trail_s": 30.0, "width_m": 7.0, "min_px": 4}))
        e = self.emergency
        if e is not None and e.geometry is not None:
            r = gpd.GeoDataFrame({"from": [e.base], "to": [e.target], "time_s": [round(e.time_preempted_s, 1)],
                                  "color": [[230, 30, 30, 255]]}, geometry=[e.geometry], crs=crs)
            lays.append(Layer("emergency_route", "Emergency green wave route", "lines", data=r,
                              legend=[("pre-empted route", [230, 30, 30, 255])], tooltip=["from", "to", "time_s"],
                              style={"width_m": 12.0, "min_px": 3}))
            if len(e.signals):
                s = e.signals.copy()
                pts = gpd.GeoDataFrame(s.drop(columns=["x", "y"]).assign(color=[[230, 30, 30, 255]] * len(s)),
                                       geometry=[Point(x, y) for x, y in zip(s.x, s.y)], crs=crs)
                lays.append(Layer("emergency_signals", "Signals pre-empted (ETA)", "points", data=pts,
                                  legend=[("pre-empted signal", [230, 30, 30, 255])],
                                  tooltip=["arrival_s", "preempt_from_s", "approach", "mean_wait_without_s", "plan"],
                                  style={"radius_m": 18.0, "min_px": 5}))
        return lays

    def _link_bands(self) -> gpd.GeoDataFrame:
        """The corridor cut at its signals, each link coloured by the green band the recommended plan
        gives between its two signals (each way, at the plan's progression speed): the share of the
        cycle in which a vehicle leaving one signal in green meets the next one in green."""
        c, rk = self.corridor, self.recommended
        plan = self.plans[rk]
        vo, vi = self.speeds.get(rk, (c.speed_kph / 3.6, c.speed_kph / 3.6))
        vo = np.broadcast_to(np.asarray(vo, float), (len(c) - 1,))  # one speed per link
        vi = np.broadcast_to(np.asarray(vi, float), (len(c) - 1,))
        geom, L = c.geometry, c.geometry.length
        pos = c.positions_m * L / c.length_m
        rows, geoms = [], []
        for i in range(len(c) - 1):
            sub = replace(c, intersections=c.intersections[i:i + 2])
            try:
                bo, bi = band_of(Plan(plan.name, plan.timings[i:i + 2]), sub, float(vo[i]), float(vi[i]))
            except Exception:  # noqa: BLE001 - different cycles at the two signals: no common band
                bo = bi = float("nan")
            share = min(bo, bi) / plan.timings[i].cycle_s if np.isfinite(bo) and np.isfinite(bi) else 0.0
            rows.append({"link": f"{c.intersections[i].name} - {c.intersections[i + 1].name}",
                         "cycle_s": round(plan.timings[i].cycle_s, 1), "band_out_s": _r(bo), "band_in_s": _r(bi),
                         "speed_out_kph": _r(vo[i] * 3.6), "speed_in_kph": _r(vi[i] * 3.6),
                         "color": _band_colour(share)})
            geoms.append(substring(geom, float(pos[i]), float(pos[i + 1])))
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=self.city.crs)

    def _trips(self) -> tuple[list[dict], list[float]]:
        """Through vehicles of the recommended plan's run as trips on the corridor geometry."""
        tr, c = self.trajectories.get(self.recommended), self.corridor
        if tr is None or not len(tr) or c.geometry is None:
            return [], []
        t0 = float(self.params.simulation.warmup_s)
        sel = tr[(tr.t_s >= t0) & (tr.t_s <= t0 + TRIPS_WINDOW_S) & (tr.vid % 2 == 0)]
        from sim.greenwave.microsim import padded

        cp = padded(c)  # the simulated corridor may have a lead-in added before the first signal
        shift = float(cp.positions_m[0] - c.positions_m[0])
        # each direction drawn on its own side of the centre line (driving on the right)
        sides = (c.geometry.offset_curve(-LANE_OFFSET_M), c.geometry.offset_curve(LANE_OFFSET_M))
        trips = []
        for (d, _), grp in sel.groupby(["dir", "vid"], sort=False):
            if len(grp) < 2:
                continue
            s = (grp.pos_m.to_numpy() if d == 0 else cp.length_m - grp.pos_m.to_numpy()) - shift
            geom = sides[d]
            s = np.clip(s, 0.0, c.geometry.length) * geom.length / c.geometry.length
            pts = [geom.interpolate(v) for v in s]
            trips.append({"path": [(p.x, p.y) for p in pts], "timestamps": grp.t_s.to_numpy(),
                          "color": [30, 80, 200, 255] if d == 0 else [150, 50, 160, 255]})
        times = list(np.arange(t0, t0 + TRIPS_WINDOW_S + 1e-9, 10.0))
        return trips, times

    # ----------------------------------------------------------------------- figures
    def figures(self) -> list[tuple[str, bytes]]:
        if "figures" not in self._cache:
            figs = []
            rec = self.recommended
            w = self.params.simulation.warmup_s
            from sim.greenwave.microsim import padded

            cp = padded(self.corridor)
            for k in dict.fromkeys([rec, "maxband"]):
                if k not in self.plans:
                    continue
                p = self.plans[k]
                vo, vi = self.speeds[k]
                bo = self.metrics.loc[k, "band_out_s"] if "band_out_s" in self.metrics else float("nan")
                bi = self.metrics.loc[k, "band_in_s"] if "band_in_s" in self.metrics else float("nan")
                so = self.metrics.loc[k, "band_speed_out_kph"] if "band_speed_out_kph" in self.metrics else np.nan
                si = self.metrics.loc[k, "band_speed_in_kph"] if "band_speed_in_kph" in self.metrics else np.nan
                band = (f"band {bo:.0f} / {bi:.0f} s at {so:.0f} / {si:.0f} km/h"
                        if np.isfinite(bo) and np.isfinite(bi) else "no common band")
                figs.append((f"Time–space diagram: {LABELS[k]}",
                             time_space_png(cp, p, t0_s=w, t1_s=w + 3 * p.cycle_s, speed_out_m_s=vo, speed_in_m_s=vi,
                                            trajectories=self.trajectories.get(k),
                                            shift_m=float(cp.positions_m[0] - self.corridor.positions_m[0]),
                                            title=f"{LABELS[k]}: cycle {p.cycle_s:.0f} s, {band}")))
            figs.append(("Plans compared in simulation", self._bars_png()))
            self._cache["figures"] = figs
        return self._cache["figures"]

    def _bars_png(self) -> bytes:
        import matplotlib.pyplot as plt

        m = self.metrics.loc[[k for k in ORDER if k in self.metrics.index]]
        labels = [LABELS[k] for k in m.index]
        panels = [("travel_time_out_s", "travel_time_in_s", "end-to-end travel time (s)"),
                  ("stops_out_per_veh", "stops_in_per_veh", "end-to-end stops per vehicle"),
                  ("delay_side_s", None, "side-street delay (s/veh)")]
        if "delay_left_s" in m.columns:
            panels.append(("delay_left_s", None, "left-turn delay (s/veh)"))
        if "total_delay_veh_h_per_h" in m.columns:
            panels.append(("total_delay_veh_h_per_h", None, "total delay, all vehicles (veh-h/h)"))
        fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.6), dpi=100)
        x = np.arange(len(m))
        for ax, (a, b, ttl) in zip(axes, panels):
            if b is None:
                ax.bar(x, m[a], color="#888")
            else:
                ax.bar(x - 0.2, m[a], 0.4, label="out", color="#1f4e9c")
                ax.bar(x + 0.2, m[b], 0.4, label="in", color="#7b3294")
                ax.legend(fontsize=7)
            ax.set_xticks(x, labels, rotation=35, ha="right", fontsize=7)
            ax.set_title(ttl, fontsize=9)
        fig.tight_layout()
        return fig_png(fig)

    # ---------------------------------------------------------------------------- save
    def save(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        files = []
        plans = {k: {"cycle_s": p.cycle_s, "band_out_s": p.band_out_s, "band_in_s": p.band_in_s,
                     "signals": [{"node": _jsonable(i.node), "cross_street": i.name, "phase_plan": t.to_phase_plan()}
                                 for i, t in zip(self.corridor.intersections, p.timings)]}
                 for k, p in self.plans.items()}
        if self.periods:
            plans["time_of_day"] = [{"period": q["period"], "applies": q["applies"], "start": q["start"], "end": q["end"],
                                     "signals": [t.to_phase_plan() for t in q["plan"].timings]} for q in self.periods]
        files.append(write_text_atomic(folder / "plans.json", json.dumps(plans, indent=1, ensure_ascii=False)))
        files.append(write_text_atomic(folder / "metrics.csv", self.metrics.to_csv()))
        if len(self.queues):
            files.append(write_text_atomic(folder / "max_queues.csv", self.queues.round(2).to_csv(index=False)))
        gpkg = folder / "greenwave.gpkg"
        for lay in self.layers():
            if lay.kind in ("lines", "points") and lay.data is not None and len(lay.data):
                d = lay.data.drop(columns=["color"]).copy()
                for col in d.columns:
                    if d[col].map(lambda v: isinstance(v, (list, dict))).any():
                        d[col] = d[col].map(json.dumps)
                pyogrio.write_dataframe(d, gpkg, layer=lay.id, driver="GPKG")
        if gpkg.exists():
            files.append(gpkg)
        for k, (cap, png) in enumerate(self.figures()):
            slug = "plans_compared" if cap.startswith("Plans") else f"time_space_{k + 1}"
            files.append(save_png(png, folder / f"{slug}.png"))
        return files


# link colour by the share of the cycle the band covers (the poorer direction)
LINK_BAND_LEGEND = [("band >= 30 % of the cycle", [30, 150, 70, 230]), ("15-30 %", [150, 190, 60, 230]),
                    ("under 15 %", [240, 170, 40, 230]), ("no band", [210, 50, 40, 230])]


def _band_colour(share: float) -> list[int]:
    k = 0 if share >= 0.30 else 1 if share >= 0.15 else 2 if share > 1e-6 else 3
    return list(LINK_BAND_LEGEND[k][1])


def _pct(a: float, b: float) -> float | None:
    return round(100.0 * (a - b) / b, 1) if b and np.isfinite(a) and np.isfinite(b) else None


def _jsonable(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
