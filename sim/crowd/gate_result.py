"""Result of a gate-area run (:func:`sim.crowd.gate.run`): its summary, map layers (density and
level-of-service fields, warnings, animated persons coloured by their wait), charts and files."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from sim.result import rounded as _r
from twin.atomic import write_text_atomic
from twin.places import of_kind
from viewers.city_layers import roads_layer, terrain_layer
from viewers.png import fig_png, save_png
from viewers.spec import Layer


# Fruin (1971) LOS A..F (sim.crowd.gate_run.cell_los codes 0..5)
LOS_RGBA = [[26, 152, 80, 200], [145, 207, 96, 200], [217, 239, 139, 210], [254, 224, 139, 220],
            [252, 141, 89, 230], [215, 48, 39, 240]]
DENSITY_VMAX_PER_M2 = 5.0  # top of the density colour ramp (Fruin LOS F starts at 2.15 /m^2)
IMAGE_UPSAMPLE = 4  # field cells drawn as blocks of pixels so the warp to WGS-84 keeps their edges
PERSON_DRAW_RADIUS_M = 0.2  # persons drawn as hexagons of about the body radius (0.16 m)
# pedestrians coloured by the time from arrival to the gate (blues/greens: apart from the
# density ramp and the red warnings)
WAIT_CLASSES_S = ((60.0, [0, 200, 150, 255], "through the gate within 1 min"),
                  (300.0, [0, 140, 255, 255], "1–5 min"),
                  (math.inf, [60, 40, 230, 255], "over 5 min (or still queuing)"))
# a path walked both ways: persons coloured by the end they came in at
STREAM_COLORS = (([0, 170, 120, 255], "walking in from the path start"),
                 ([235, 120, 0, 255], "walking back from the path end"))


def _steps_only(xy: np.ndarray, t: np.ndarray, min_step_m: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """A path without the shuffling of people standing in a queue: a point is kept once it is
    ``min_step_m`` from the last kept one, together with the point before it (so a stand is
    drawn as a stand, not as a slow creep); first and last always. TripsLayer draws centimetre
    segments as slivers."""
    keep = np.zeros(len(t), dtype=bool)
    keep[0] = keep[-1] = True
    j = 0
    for i in range(1, len(t)):
        if (xy[i, 0] - xy[j, 0]) ** 2 + (xy[i, 1] - xy[j, 1]) ** 2 >= min_step_m * min_step_m:
            keep[i] = keep[i - 1] = True
            j = i
    return xy[keep], t[keep]


def _field_image(rgba: np.ndarray, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, Any]:
    """(rgba north-up, affine) of a field on cells centred at x_m, y_m (y increasing)."""
    from affine import Affine

    cell = float(x_m[1] - x_m[0]) if x_m.size > 1 else 1.0
    k = IMAGE_UPSAMPLE
    img = np.repeat(np.repeat(rgba[::-1], k, axis=0), k, axis=1)
    tr = Affine(cell / k, 0.0, float(x_m[0] - cell / 2), 0.0, -cell / k, float(y_m[-1] + cell / 2))
    return np.ascontiguousarray(img), tr


@dataclass
class GateResult:
    """A gate-area pedestrian run (:func:`sim.crowd.gate.run`): flows per gate, queue, density
    and speed fields, Fruin LOS, density warnings and the animated pedestrians."""

    city: Any
    params: Any
    run: Any  # sim.crowd.gate_run.GateRun
    info: dict
    start: datetime | None = None
    run_time_s: float = 0.0
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return f"Gate area at {self.run.area.spot}: pedestrians, density and queue"

    @property
    def focus_bounds(self) -> tuple[float, float, float, float]:
        l, b, r, t = self.run.area.bounds
        pad = max(8.0, 0.2 * max(r - l, t - b))
        return l - pad, b - pad, r + pad, t + pad

    # ------------------------------------------------------------------------ numbers
    def summary(self) -> dict:
        """Inflow, persons, flow per gate, the queue (persons between entry and gate; on a path: those
        on it, and the wait to the gate is the walk along it), density, LOS shares and warnings."""
        r = self.run
        a = r.area
        waits = r.waits_s()
        still = r.still_waiting_s()
        fl = r.flows(60.0)
        j, i = r.worst_cell()
        dmax = float(np.nanmax(r.density_per_m2)) if np.isfinite(r.density_per_m2).any() else float("nan")
        share = r.los_share()
        w = r.warnings
        gates = {}
        for k, name in enumerate(a.gate_names):
            q = r.saturated_flow_per_s(k)
            gates[name] = {"passed_persons": int((r.gate == k).sum()),
                           "mean_flow_per_s": _r(q, 3), "mean_flow_persons_min": _r(60.0 * q, 2),
                           "peak_flow_1min_per_s": _r(float(fl[name].max()), 3)}
        return {
            "spot": a.spot,
            "geometry": "template" if a.meta.get("template") else ("path" if a.meta.get("path") else "polygon"),
            "walkable_m2": round(float(a.walkable.area), 1),
            "inflow": {k: v for k, v in self.info.items()},
            "duration_min": round(r.duration_s / 60.0, 2), "simulated_s": round(r.t_end_s, 1),
            "persons": {"arrived": r.n_arrived, "entered": r.n_entered, "passed_gate": r.n_passed,
                        "exited": r.n_exited, "inside_at_end": r.n_inside,
                        "waiting_outside_at_end": int(r.series.waiting_outside.iloc[-1])},
            "gates": gates,
            **({"counterflow": {"back_share": self.params.gate.path_back_share,
                                "arrived_at_start_persons": int((r.destination == 0).sum()),
                                "arrived_at_end_persons": int((r.destination == 1).sum())}}
               if r.destination is not None else {}),
            "total_flow_per_s": _r(r.saturated_flow_per_s(), 3),
            "queue": {"max_persons": int(r.series.queue.max()),
                      "max_time_s": float(r.series.t_s.iloc[int(r.series.queue.to_numpy().argmax())]),
                      "max_waiting_outside_persons": int(r.series.waiting_outside.max()),
                      "mean_wait_to_gate_s": _r(float(np.mean(waits)) if waits.size else float("nan"), 1),
                      "p95_wait_to_gate_s": _r(float(np.percentile(waits, 95)) if waits.size else float("nan"), 1),
                      # the waits above are of those who passed; these had not when the run ended
                      "still_waiting_at_end_persons": int(still.size),
                      "still_waiting_mean_so_far_s": _r(float(still.mean()) if still.size else float("nan"), 1),
                      "still_waiting_max_so_far_s": _r(float(still.max()) if still.size else float("nan"), 1),
                      "standing_gap_m": r.queue_gap_m,
                      "standing": r.queue_stats()},
            "density": {"max_window_per_m2": _r(dmax, 2), "worst_cell_xy": [round(float(r.field_x_m[i]), 1),
                                                                              round(float(r.field_y_m[j]), 1)],
                        "window_s": r.frame_s, "cell_m": round(float(r.field_x_m[1] - r.field_x_m[0]), 2)
                        if r.field_x_m.size > 1 else None,
                        "threshold_per_m2": r.threshold_per_m2,
                        "warning_episodes": int(len(w)), "warning_cells": int(w[["cell_j", "cell_i"]].drop_duplicates()
                                                                              .shape[0]) if len(w) else 0,
                        "warning_cell_seconds": round(float(w.duration_s.sum()), 0) if len(w) else 0.0,
                        "longest_warning_s": round(float(w.duration_s.max()), 0) if len(w) else 0.0},
            "los_share_of_area_time": {c: round(float(share[c].mean()), 4) for c in "ABCDEF"},
            "clearance_s": _r(r.clearance_s(), 1) if self.params.gate.until_empty else None,
            "model": "collision-free speed model (Tordeux et al. 2016), sim.crowd.peds.CALIBRATED",
            "agent_steps_per_s": round(r.agent_steps / max(r.wall_time_s, 1e-9), 0),
            "run_time_s": round(self.run_time_s, 1),
        }

    # ------------------------------------------------------------------------ layers
    def layers(self) -> list[Layer]:
        from shapely.geometry import box as _box

        from viewers.colors import cmap_rgba, cmap_stops

        r, a, crs = self.run, self.run.area, self.city.crs
        lays = [terrain_layer(self.city), roads_layer(self.city)]
        spots = of_kind(self.city.places, "scenic_spot")
        sp = spots[spots["name"] == a.spot].copy()
        if len(sp):
            sp["color"] = [[40, 160, 70, 60]] * len(sp)
            lays.append(Layer("spot", f"{a.spot} (scenic spot)", "polygons", data=sp[["name", "color", "geometry"]],
                              legend=[("scenic spot", [40, 160, 70, 120])], tooltip=["name"],
                              style={"opacity": 0.5}))
        floor = gpd.GeoDataFrame({"area_m2": [round(a.walkable.area, 1)], "color": [[235, 232, 225, 255]]},
                                 geometry=[a.walkable], crs=crs)
        lays.append(Layer("gate_floor", "Gate area (walkable)", "polygons", data=floor,
                          legend=[("walkable area", [235, 232, 225, 255])], tooltip=["area_m2"]))
        # density heat (window means), one frame per window; Fruin LOS of the worst window per cell
        dens_frames = []
        for k, t in enumerate(r.frame_t_s):
            d = r.density_per_m2[k]
            show = np.where(np.nan_to_num(d, nan=0.0) >= 0.05, d, np.nan)
            dens_frames.append((float(t), (*_field_image(cmap_rgba(show, "inferno_r", vmax=DENSITY_VMAX_PER_M2,
                                                                    alpha=215), r.field_x_m, r.field_y_m), crs)))
        lays.append(Layer("density", f"Density ({r.frame_s:g}-s mean, persons/m²)", "image", frames=dens_frames,
                          legend={"ramp": cmap_stops("inferno_r"), "vmin": "0", "vmax": f"{DENSITY_VMAX_PER_M2:g}",
                                  "unit": "persons/m²"}, style={"opacity": 0.9}))
        lut = np.zeros((256, 4), np.uint8)
        lut[:6] = LOS_RGBA
        worst = np.where(r.los == 255, 0, r.los).max(axis=0) if len(r.los) else np.zeros((0, 0), np.uint8)
        worst = np.where(np.isfinite(r.density_per_m2[0]), worst, 255).astype(np.uint8)
        lays.append(Layer("los", f"Fruin LOS (queuing scale where people stand), worst {r.frame_s:g}-s window "
                          "per cell", "image",
                          data=(*_field_image(lut[worst], r.field_x_m, r.field_y_m), crs),
                          legend=[(f"LOS {c}", col) for c, col in zip("ABCDEF", LOS_RGBA)], visible=False))
        walls = gpd.GeoDataFrame({"what": ["wall"], "color": [[60, 60, 60, 255]]},
                                 geometry=[a.walkable.boundary], crs=crs)
        lays.append(Layer("walls", "Walls", "lines", data=walls, legend=[("wall", [60, 60, 60, 255])],
                          style={"width_m": 0.25, "min_px": 1.5}))
        fl = r.flows(60.0)
        g = gpd.GeoDataFrame({"gate": a.gate_names,
                              "passed_persons": [int((r.gate == k).sum()) for k in range(len(a.gates))],
                              "mean_flow_per_s": [_r(r.saturated_flow_per_s(k), 3) for k in range(len(a.gates))],
                              "peak_flow_1min_per_s": [_r(float(fl[n].max()), 3) for n in a.gate_names],
                              "color": [[20, 170, 90, 255]] * len(a.gates)}, geometry=a.gates, crs=crs)
        ents = _entries(r)
        ent = gpd.GeoDataFrame({"gate": [e[0] for e in ents], "passed_persons": [e[2] for e in ents],
                                "mean_flow_per_s": [_r(e[3] / r.duration_s, 3) for e in ents],
                                "peak_flow_1min_per_s": [None] * len(ents), "color": [[30, 110, 230, 255]] * len(ents)},
                               geometry=[e[1] for e in ents], crs=crs)
        lays.append(Layer("gates", "Gates (green) and entry line (blue)", "lines", data=pd.concat([g, ent]),
                          legend=[("gate (counted)", [20, 170, 90, 255]), ("entry", [30, 110, 230, 255])],
                          tooltip=["gate", "passed_persons", "mean_flow_per_s", "peak_flow_1min_per_s"],
                          style={"width_m": 0.3, "min_px": 3}))
        if len(r.warnings):  # one square per cell: its episodes, total time above, peak
            w = r.warnings.groupby(["cell_j", "cell_i", "x_m", "y_m"], as_index=False).agg(
                episodes=("start_s", "size"), first_s=("start_s", "min"), last_s=("end_s", "max"),
                seconds_above=("duration_s", "sum"), peak_density_per_m2=("peak_density_per_m2", "max"))
            cell = float(r.field_x_m[1] - r.field_x_m[0]) if r.field_x_m.size > 1 else 1.0
            geoms = [_box(x - cell / 2, y - cell / 2, x + cell / 2, y + cell / 2) for x, y in zip(w.x_m, w.y_m)]
            w["color"] = [[230, 20, 20, 90]] * len(w)
            w["peak_density_per_m2"] = w.peak_density_per_m2.round(2)
            lays.append(Layer("warnings", f"Density warnings (> {r.threshold_per_m2:g} persons/m², "
                                          f"{r.frame_s:g}-s mean)", "polygons",
                              data=gpd.GeoDataFrame(w, geometry=geoms, crs=crs),
                              legend=[("cell above the threshold at some time", [230, 20, 20, 200])],
                              tooltip=["episodes", "first_s", "last_s", "seconds_above", "peak_density_per_m2"],
                              style={"stroked": False}))
        what, legend = (("stream", [(lbl, c) for c, lbl in STREAM_COLORS]) if r.destination is not None
                        else ("time to the gate", [(lbl, c) for _, c, lbl in WAIT_CLASSES_S]))
        pts = self._position_frames()
        if pts:
            lays.append(Layer("persons", f"Persons every {r.frame_s:g} s (colour = {what})", "polygons",
                              frames=pts, legend=legend, style={"stroked": False}))
        trips, times = self._trips()
        if trips:
            lays.append(Layer("pedestrians", f"Pedestrians (sample of {len(trips)}, colour = {what})",
                              "trips", data=trips, legend=legend,
                              style={"times": times, "trail_s": 2.0, "width_m": 0.35, "min_px": 2}))
        return lays

    def _wait_colors(self) -> np.ndarray:
        """RGBA per person by the time from arrival to the gate (to the end of the run if not through);
        on a path walked both ways by the end the person came in at."""
        r = self.run
        if r.destination is not None:
            return np.array([c for c, _ in STREAM_COLORS], dtype=int)[r.destination]
        wait = np.where(r.gate >= 0, r.gate_s, r.t_end_s) - r.arrival_s
        k = np.searchsorted([lim for lim, _, _ in WAIT_CLASSES_S], wait, side="left")
        return np.array([c for _, c, _ in WAIT_CLASSES_S], dtype=int)[np.minimum(k, len(WAIT_CLASSES_S) - 1)]

    def _position_frames(self) -> list[tuple[float, gpd.GeoDataFrame]]:
        """Everybody's position at each window start (TripsLayer shows motion only: people
        standing in the queue would not be seen)."""
        r = self.run
        pos = r.positions
        col = self._wait_colors()
        tk = np.rint(pos.t_s.to_numpy() * 1000).astype(np.int64)
        ang = np.linspace(0.0, 2 * np.pi, 7)[:-1]
        hexagon = np.column_stack([np.cos(ang), np.sin(ang)]) * PERSON_DRAW_RADIUS_M
        out = []
        for t in r.frame_t_s:
            p = pos[tk == int(round(t * 1000))]
            xy = p[["x", "y"]].to_numpy()
            geoms = shapely.polygons(xy[:, None, :] + hexagon[None]) if len(xy) else []
            out.append((float(t), gpd.GeoDataFrame({"color": col[p.id.to_numpy()].tolist()},
                                                   geometry=geoms, crs=self.city.crs)))
        return out

    def _trips(self) -> tuple[list[dict], list[float]]:
        """Up to ``gate.max_trips`` persons' paths, thinned to ``gate.trips_step_s``; colour as
        :meth:`_wait_colors`."""
        from sim.crowd.gate import CHUNK_S

        r, g = self.run, self.params.gate
        pos = r.positions
        if not len(pos) or g.max_trips == 0:
            return [], []
        ids = np.unique(pos.id.to_numpy())
        rng = np.random.default_rng(self.params.seed)
        if ids.size > g.max_trips:
            ids = np.sort(rng.choice(ids, g.max_trips, replace=False))
        every = max(int(round(g.trips_step_s / CHUNK_S)), 1)
        sel = pos[pos.id.isin(ids)]
        k = np.rint(sel.t_s.to_numpy() / CHUNK_S).astype(np.int64)
        last = ~sel.id.duplicated(keep="last").to_numpy()
        sel = sel[(k % every == 0) | last]
        col = self._wait_colors()
        trips = []
        for pid, grp in sel.groupby("id", sort=True):
            xy, ts = _steps_only(grp[["x", "y"]].to_numpy(), grp.t_s.to_numpy())
            if len(ts) >= 2:
                trips.append({"path": xy, "timestamps": ts, "color": col[int(pid)].tolist()})
        step = max(2.0, g.trips_step_s)
        times = sorted(set(np.round(np.arange(0.0, r.t_end_s + 1e-9, step), 3).tolist())
                       | {float(t) for t in r.frame_t_s})
        return trips, times

    # ----------------------------------------------------------------------- figures
    def figures(self) -> list[tuple[str, bytes]]:
        if "figures" not in self._cache:
            self._cache["figures"] = [("Flow through each gate and the queue", self._flow_png()),
                                      ("Density at the worst cell", self._worst_cell_png()),
                                      ("Fruin level of service: share of the area", self._los_png())]
        return self._cache["figures"]

    def _flow_png(self) -> bytes:
        import matplotlib.pyplot as plt

        r = self.run
        fl = r.flows(60.0)
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.2, 5.0), dpi=100, sharex=True)
        tm = (fl.t_s + 30.0) / 60.0
        for name in r.area.gate_names:
            ax.step(tm, fl[name] * 60.0, where="mid", lw=1.0, label=name)
        ax.step(tm, fl[r.area.gate_names].sum(axis=1) * 60.0, where="mid", lw=2.0, color="k", label="all gates")
        arr, _ = np.histogram(r.arrival_s, bins=np.append(fl.t_s.to_numpy(), fl.t_s.iloc[-1] + 60.0))
        ax.step(tm, arr, where="mid", lw=1.2, ls="--", color="#1f5fd6", label="arrivals")
        ax.set_ylabel("persons/min (1-min bins)")
        ax.legend(fontsize=6, ncol=4)
        ax.set_title(f"{r.area.spot}: flow through each gate", fontsize=8)
        s = r.series
        ts = s.t_s / 60.0
        ax2.plot(ts, s.queue, color="#d62728", lw=1.2, label="before the gate (arrived - passed)")
        ax2.plot(ts, s.inside, color="#555555", lw=1.0, label="in the area")
        if s.waiting_outside.max() > 0:
            ax2.plot(ts, s.waiting_outside, color="#9467bd", lw=1.0, label="waiting outside the area")
        ax2.set_ylabel("persons")
        ax2.set_xlabel("minutes from the start")
        ax2.legend(fontsize=6)
        fig.tight_layout()
        return fig_png(fig)

    def _worst_cell_png(self) -> bytes:
        import matplotlib.pyplot as plt

        r = self.run
        j, i = r.worst_cell()
        fine = r.cell_density_series(j, i)
        fig, ax = plt.subplots(figsize=(7.2, 3.0), dpi=100)
        ax.plot(fine.t_s / 60.0, fine.density_per_m2, color="#bbbbbb", lw=0.5, label="every 0.5 s")
        ax.step((r.frame_t_s + r.frame_s / 2) / 60.0, r.density_per_m2[:, j, i], where="mid", color="#b2182b",
                lw=1.5, label=f"{r.frame_s:g}-s mean")
        ax.axhline(r.threshold_per_m2, color="k", ls="--", lw=0.8, label=f"warning {r.threshold_per_m2:g} /m²")
        ax.set_ylabel("persons/m²")
        ax.set_xlabel("minutes from the start")
        ax.set_title(f"cell at ({r.field_x_m[i]:.1f}, {r.field_y_m[j]:.1f}), "
                     f"{r.cell_area_m2[j, i]:.2f} m² walkable", fontsize=8)
        ax.legend(fontsize=6)
        fig.tight_layout()
        return fig_png(fig)

    def _los_png(self) -> bytes:
        import matplotlib.pyplot as plt

        sh = self.run.los_share()
        fig, ax = plt.subplots(figsize=(7.2, 2.8), dpi=100)
        ax.stackplot(sh.t_s / 60.0, *[sh[c] * 100 for c in "ABCDEF"], labels=[f"LOS {c}" for c in "ABCDEF"],
                     colors=[np.array(c[:3]) / 255.0 for c in LOS_RGBA], step="post")
        ax.set_ylim(0, 100)
        ax.set_ylabel("% of the walkable area")
        ax.set_xlabel("minutes from the start")
        ax.legend(fontsize=6, ncol=6, loc="lower center")
        ax.set_title("Fruin (1971) LOS of the window-mean density (queuing scale where the cell's mean speed "
                     "< 0.3 m/s, walkway scale elsewhere)", fontsize=8)
        fig.tight_layout()
        return fig_png(fig)

    # ---------------------------------------------------------------------------- save
    def save(self, folder: Path) -> list[Path]:
        import xarray as xr

        from sim.netcdf import time_attrs

        from sim.crowd.gate import CHUNK_S

        folder = Path(folder)
        r, a = self.run, self.run.area
        persons = pd.DataFrame({"id": np.arange(r.n_arrived), "arrival_s": r.arrival_s, "entry_s": r.entry_s,
                                "gate": [a.gate_names[k] if k >= 0 else "" for k in r.gate],
                                "gate_s": r.gate_s, "exit_s": r.exit_s})
        if r.destination is not None:  # a path walked both ways: where each person came in
            persons.insert(1, "from", np.where(r.destination == 0, "path start", "path end"))
        files = [write_text_atomic(folder / "gate_flows_1min.csv", r.flows(60.0).to_csv(index=False)),
                 write_text_atomic(folder / "gate_counts.csv", r.series.to_csv(index=False)),
                 write_text_atomic(folder / "density_warnings.csv", r.warnings.to_csv(index=False)),
                 write_text_atomic(folder / "persons.csv", persons.to_csv(index=False))]
        pos = r.positions
        tj = xr.Dataset({c: ("row", pos[c].to_numpy()) for c in ("id", "t_s", "x", "y", "speed_m_s")},
                        attrs={"crs": self.city.crs.to_string(), "record_s": CHUNK_S,
                               "note": "one row per person and record (PedPy: frame = t_s / record_s)"})
        tn, tmp = folder / "gate_trajectories.nc", folder / "gate_trajectories.nc.tmp"
        tj.to_netcdf(tmp)
        tmp.replace(tn)
        files.append(tn)
        wkt = self.city.crs.to_wkt()
        on_grid = {"grid_mapping": "crs"}
        ds = xr.Dataset({"density_per_m2": (("time", "y", "x"), r.density_per_m2, {"units": "m-2", **on_grid}),
                         "speed_m_s": (("time", "y", "x"), r.speed_m_s, {"units": "m s-1", **on_grid}),
                         "fruin_los": (("time", "y", "x"), r.los, on_grid),
                         "walkable_area_m2": (("y", "x"), r.cell_area_m2, {"units": "m2", **on_grid}),
                         "crs": ((), 0, {"crs_wkt": wkt, "spatial_ref": wkt})},
                        coords={"time": ("time", np.asarray(r.frame_t_s, float), time_attrs(self.start)),
                                "y": ("y", r.field_y_m, {"standard_name": "projection_y_coordinate", "units": "m"}),
                                "x": ("x", r.field_x_m, {"standard_name": "projection_x_coordinate", "units": "m"})},
                        attrs={"Conventions": "CF-1.8", "crs": self.city.crs.to_string(), "window_s": r.frame_s,
                               "fruin_los": "0..5 = A..F, 255 off the walkable area; Fruin's queuing scale "
                                            "where the window-mean speed < 0.3 m/s, walkway scale elsewhere"})
        nc, tmp = folder / "gate_fields.nc", folder / "gate_fields.nc.tmp"
        ds.to_netcdf(tmp)
        tmp.replace(nc)
        files.append(nc)
        gpkg = folder / "gate_area.gpkg"
        crs = self.city.crs
        pyogrio.write_dataframe(gpd.GeoDataFrame({"what": ["walkable"]}, geometry=[a.walkable], crs=crs), gpkg,
                                layer="walkable", driver="GPKG")
        pyogrio.write_dataframe(gpd.GeoDataFrame({"gate": a.gate_names}, geometry=a.gates, crs=crs), gpkg,
                                layer="gates", driver="GPKG")
        ents = _entries(r)
        what = ["entry"] if r.destination is None else [e[0].removesuffix(" (arrivals)") for e in ents]
        pyogrio.write_dataframe(gpd.GeoDataFrame({"what": what}, geometry=[e[1] for e in ents],
                                                 crs=crs), gpkg, layer="entry", driver="GPKG")
        files.append(gpkg)
        for (cap, png), name in zip(self.figures(), ("gate_flows.png", "worst_cell_density.png", "los_share.png")):
            files.append(save_png(png, folder / name))
        return files


def _entries(r: Any) -> list[tuple[str, Any, int, int]]:
    """(name, line, persons entered, persons arrived) of each entry of the run's area."""
    a = r.area
    if r.destination is None:
        return [("entry (arrivals)", a.entry, r.n_entered, r.n_arrived)]
    placed = np.isfinite(r.entry_s)
    return [(f"entry at the path {w} (arrivals)", ln, int((placed & (r.destination == k)).sum()),
             int((r.destination == k).sum())) for k, (w, ln) in enumerate((("start", a.entry), ("end", a.entry_back)))]
