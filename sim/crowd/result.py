"""The crowd results. :class:`CrowdResult` (scenic network): per-spot load against capacity
with alerts, gate queues, parking, the tourist traffic lines and animated tourists on the
roads, and the post-holiday report (peaks, hours above each alert level, visitor-hours,
spending estimate). :class:`GateResult` (a spot's gate area, pedestrian micro-simulation):
flows per gate, queue, density heat frames, Fruin LOS, density warnings, animated pedestrians."""
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

from sim.crowd.fleet import fleet_size
from sim.result import rounded as _r
from twin.atomic import write_text_atomic
from twin.places import of_kind
from viewers.city_layers import roads_layer, terrain_layer
from viewers.png import fig_png, save_png
from viewers.spec import Layer


def _measures_dict(m: Any) -> dict:
    return m.as_dict() if hasattr(m, "as_dict") else dict(m or {})


GROUP_RGBA = [255, 30, 160, 255]  # distinct from the purple traffic lines
BUS_RGBA = [0, 190, 255, 255]
TRIPS_SLIDER_STEP_S = 120.0  # slider steps of the busiest day's animation


def _fastest(g: Any, a: Any, b: Any) -> list:
    """Node path of the fastest route a -> b (free-flow ``travel_time_s``, as the network model)."""
    import networkx as nx

    return nx.shortest_path(g, a, b, weight="travel_time_s") if a != b else [a]


def _timed_path(g: Any, edges: list) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) coordinates along the edges and the seconds from the start at each vertex (each
    link's free-flow time spread over its geometry in proportion to length)."""
    xy: list[np.ndarray] = []
    ts: list[np.ndarray] = []
    t = 0.0
    for u, v, k in edges:
        d = g.edges[u, v, k]
        c = np.asarray(d["geometry"].coords, float)
        pu = np.array([g.nodes[u]["x"], g.nodes[u]["y"]])
        if np.hypot(*(c[0] - pu)) > np.hypot(*(c[-1] - pu)):
            c = c[::-1]  # geometry stored v -> u
        seg = np.r_[0.0, np.cumsum(np.hypot(*np.diff(c, axis=0).T))]
        tt = t + float(d["travel_time_s"]) * seg / max(seg[-1], 1e-9)
        xy.append(c if not xy else c[1:])
        ts.append(tt if not ts else tt[1:])
        t = float(tt[-1])
    if not xy:
        return np.zeros((0, 2)), np.zeros(0)
    return np.vstack(xy), np.concatenate(ts)


ALERT_RGBA = {"green": [46, 160, 67, 200], "yellow": [240, 200, 30, 220], "red": [220, 40, 40, 235]}
TRAFFIC_CMAP = "cool"  # tourist pcu/h on the road links (cyan to magenta: apart from the road-class oranges)
TRAFFIC_WIDTH_M = (8.0, 40.0)  # drawn width = a + b * pcu_h / (the busiest link-hour of the run)


def hours_above(t_h: np.ndarray, occupancy: np.ndarray, capacity: float, fraction: float, t_end_h: float) -> float:
    """Time (h) during which a piecewise-constant occupancy is at or above ``fraction`` of the
    capacity: ``occupancy[k]`` holds from ``t_h[k]`` to ``t_h[k + 1]`` (the last until
    ``t_end_h``), zero before ``t_h[0]``. LB/T 034-2014 alert levels: yellow at 0.8, red at 1.0
    of the instantaneous capacity (the network's own rule, ratio >= fraction)."""
    t = np.asarray(t_h, float)
    if t.size == 0:
        return 0.0
    ends = np.append(t[1:], max(float(t_end_h), float(t[-1])))
    above = np.asarray(occupancy, float) >= fraction * capacity - 1e-9 * capacity
    return float(np.sum((ends - t)[above]))


def shuttle_summary(net: Any) -> dict[str, Any]:
    """The shuttle service a run needed: its dispatch rule, the riders' mean waits (min) at the hub
    and at the spots' stops, and per line the most departures in one clock hour from one end
    (empty and final clear-out runs included). The fleet is not limited in the simulation: ``fleet``
    is the fewest buses per line that run its departures (:func:`sim.crowd.fleet.fleet_size`: each
    bus turns round ``layover_min`` at either end; idle buses may run back empty, or not)."""
    sh, st, runs = net.config.shuttle, net.steps, net.shuttle_runs
    tt, names = net.meta["drive_min"], [str(s) for s in st.spot.values]

    def mean_wait(w: str, n: str) -> float | None:
        tot = float(st[n].sum())
        return round(float(np.nansum(st[w] * st[n]) / tot), 2) if tot > 0 else None

    peak = {}
    if len(runs):
        per_h = runs.assign(hour=runs["time"].dt.floor("1h")).groupby(["spot", "direction", "hour"]).size()
        peak = {str(k): int(v) for k, v in per_h.groupby(level=0).max().items()}
    return {"dispatch": sh.dispatch, "headway_min": sh.headway_min, "min_headway_min": sh.min_headway_min,
            "capacity_persons": sh.capacity_persons, "bus_runs": int(len(runs)),
            "mean_hub_wait_min": mean_wait("hub_wait_min", "hub_boarded_persons"),
            "mean_stop_wait_min": mean_wait("stop_wait_min", "stop_boarded_persons"),
            "peak_bus_runs_per_h": peak,
            "fleet": fleet_size(runs, [[tt[0][i + 1], tt[i + 1][0]] for i in range(len(names))], names,
                                sh.layover_min) | {"layover_min": sh.layover_min}}


def _raised(alerts: pd.DataFrame) -> int:
    """Rows of an alert log that raise a level (the others clear one)."""
    if alerts.empty:
        return 0
    from sim.crowd.network_config import ALERT_CODES

    rank = {c: k for k, c in enumerate(ALERT_CODES)}
    return int((alerts["level"].map(rank) > alerts["previous"].map(rank)).sum())


def alert_hours(net: Any) -> pd.DataFrame:
    """Per spot the exact hours at or above the yellow and the red threshold, integrated from the
    network's threshold crossings (every change of a spot's exact level, with the occupancy after
    it: between two crossings the level is constant; the alert log's raised alerts last longer
    by their deadband), up to the end of the last output step."""
    from sim.crowd.capacity import RED_FRACTION, YELLOW_FRACTION

    st = net.steps
    t0 = pd.Timestamp(st.time.values[0])
    t_end_h = len(st.time) * net.config.step_min / 60.0
    rows = []
    al = net.crossings
    for sp in st.spot.values:
        a = al[al["spot"] == str(sp)].sort_values("time", kind="stable")
        t_h = ((a["time"] - t0) / pd.Timedelta("1h")).to_numpy(float)
        occ = a["occupancy_persons"].to_numpy(float)
        cap = float(st.capacity_persons.sel(spot=sp))
        rows.append({"spot": str(sp),
                     "hours_yellow_or_red": hours_above(t_h, occ, cap, YELLOW_FRACTION, t_end_h),
                     "hours_red": hours_above(t_h, occ, cap, RED_FRACTION, t_end_h)})
    return pd.DataFrame(rows)


def traffic_frames(net: Any, every_steps: int) -> list[tuple[pd.Timestamp, gpd.GeoDataFrame]]:
    """Tourist traffic on the road links per period of ``every_steps`` output steps (the spot
    load's frames): vehicles/h by kind (tourist vehicles entering the link in the period,
    :class:`sim.crowd.network.NetworkResult` ``link_vehicles``), pcu/h (PCU: car 1, coach and
    shuttle bus 2) and the tourist v/c against the link's ``capacity_vph``; links without
    tourist traffic in the period are left out."""
    from sim.crowd.network_config import PCU, VEHICLE_KINDS

    lv = net.link_vehicles
    v = np.asarray(lv.values, float)  # (time, link, vehicle)
    step_h = net.config.step_min / 60.0
    w = np.array([PCU[k] for k in VEHICLE_KINDS])
    links = net.links
    cap = links["capacity_vph"].to_numpy(float) if "capacity_vph" in links else np.full(len(links), np.nan)
    out = []
    for k0 in range(0, v.shape[0], max(1, every_steps)):
        k1 = min(k0 + every_steps, v.shape[0])
        vph = v[k0:k1].sum(axis=0) / ((k1 - k0) * step_h)  # (link, vehicle)
        pcu = vph @ w
        keep = pcu > 0
        g = links.loc[keep, [c for c in ("u", "v", "key", "name", "capacity_vph", "geometry") if c in links]].copy()
        for j, kind in enumerate(VEHICLE_KINDS):
            g[f"{kind}_vph"] = vph[keep, j]
        g["pcu_h"] = pcu[keep]
        with np.errstate(invalid="ignore", divide="ignore"):
            g["vc_ratio"] = np.where(cap[keep] > 0, pcu[keep] / cap[keep], np.nan)
        out.append((pd.Timestamp(lv.time.values[k0]), gpd.GeoDataFrame(g, geometry="geometry", crs=links.crs)))
    return out


def daily_bars(daily: pd.DataFrame) -> tuple[list[pd.Timestamp], list[str], np.ndarray, np.ndarray | None,
                                            np.ndarray | None]:
    """The daily chart's data: dates, spots, arrivals (day, spot) and the interval bounds (day,
    spot), None for replayed counts (no interval)."""
    pv = daily.pivot_table(index="time", columns="spot", values="arrivals_persons", aggfunc="sum").sort_index()
    dates = [pd.Timestamp(t) for t in pv.index]
    spots = [str(c) for c in pv.columns]
    lo = hi = None
    if {"lo_persons", "hi_persons"} <= set(daily.columns):
        lo, hi = (daily.pivot_table(index="time", columns="spot", values=c, aggfunc="sum").loc[pv.index, pv.columns]
                  .to_numpy(float) for c in ("lo_persons", "hi_persons"))
    return dates, spots, pv.to_numpy(float), lo, hi


@dataclass
class CrowdResult:
    city: Any
    params: Any
    calendar: pd.DataFrame
    forecast: pd.DataFrame
    daily: pd.DataFrame | None
    info: dict
    network: Any
    start: datetime | None = None
    run_time_s: float = 0.0
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def provisional(self) -> bool:
        """True when a day of the period comes from the lunar derivation (no official schedule
        or table yet): every output says so."""
        cal = self.calendar
        return bool(cal is not None and "provisional" in cal and cal["provisional"].any())

    @property
    def calendar_sources(self) -> str:
        cal = self.calendar
        return "+".join(sorted({str(v) for v in cal["source"]})) if cal is not None and "source" in cal else ""

    @property
    def title(self) -> str:
        return f"Scenic spots {self.params.start} – {self.params.end}" + (
            " (provisional holiday calendar)" if self.provisional else "")

    def _mark(self, text: str) -> str:
        return f"{text} — PROVISIONAL holiday calendar (lunar derivation)" if self.provisional else text

    @property
    def t0(self) -> pd.Timestamp:
        return pd.Timestamp(self.network.steps.time.values[0])

    def report(self) -> pd.DataFrame:
        """The post-holiday report, one row per spot: the network summary, the exact hours at
        the yellow-or-red and red levels (:func:`alert_hours`), visitor-hours, the spending
        estimate, the gate counts the run was driven by (forecast or observed) beside the
        simulated entries, and whether the holiday calendar is provisional."""
        s = self.network.steps
        step_h = self.network.config.step_min / 60.0
        rep = self.network.summary().set_index("spot")
        hrs = alert_hours(self.network).set_index("spot")
        counts = (self.forecast.groupby("spot")["arrivals_persons"].sum()
                  if self.forecast is not None and len(self.forecast) else pd.Series(dtype=float))
        for sp in rep.index:
            d = s.sel(spot=sp)
            rep.loc[sp, "hours_yellow_or_red"] = float(hrs.loc[sp, "hours_yellow_or_red"])
            rep.loc[sp, "hours_red"] = float(hrs.loc[sp, "hours_red"])
            rep.loc[sp, "visitor_hours"] = float(np.asarray(d.occupancy_persons.values).sum() * step_h)
            rep.loc[sp, "spend_estimate_cny"] = float(rep.loc[sp, "entries_persons"] * self.params.spend_per_capita_cny)
            c = float(counts.get(sp, np.nan))
            rep.loc[sp, "gate_counts_persons"] = c
            rep.loc[sp, "entries_vs_counts_pct"] = 100.0 * (rep.loc[sp, "entries_persons"] / c - 1.0) if c > 0 \
                else np.nan
        cal = self.info.get("first_visit_calibration") if isinstance(self.info, dict) else None
        if cal is not None and len(cal):
            exp = cal.groupby("spot")["expected_entries_persons"].sum()
            rep["calibrated_expected_entries_persons"] = [float(exp.get(sp, np.nan)) for sp in rep.index]
        rep["calendar_source"] = self.calendar_sources
        rep["provisional"] = self.provisional
        return rep.reset_index()

    def summary(self) -> dict:
        rep = self.report()
        cal = self.calendar
        hol = cal[cal.holiday.fillna("") != ""] if "holiday" in cal else cal.iloc[:0]
        out = {"arrivals": self.info.get("source"),
               "provisional": self.provisional,
               "calendar": {"days": int(len(cal)),
                            "holiday_days_off": int((cal.status == "day_off").sum()) if "status" in cal else None,
                            "holidays": sorted({str(h) for h in hol.holiday}) if len(hol) else [],
                            "sources": sorted({str(v) for v in cal.source}) if "source" in cal else [],
                            "provisional": bool(cal.provisional.any()) if "provisional" in cal else False},
               "tourists": round(float(self.network.counters.get("arrived_persons", np.nan)), 0),
               "spots": {r.spot: {"capacity_persons": round(r.capacity_persons, 0),
                                  "peak_occupancy_persons": round(r.peak_occupancy_persons, 0),
                                  "peak_time": str(r.peak_time), "worst_alert": r.worst_alert,
                                  "hours_yellow_or_red": _r(r.hours_yellow_or_red, 2), "hours_red": _r(r.hours_red, 2),
                                  "max_gate_queue_persons": round(r.max_gate_queue_persons, 0),
                                  "mean_gate_wait_min": _r(r.mean_gate_wait_min),
                                  "p95_gate_wait_min": _r(r.p95_gate_wait_min),
                                  "turned_away_persons": round(r.turned_away_persons, 0),
                                  "visitor_hours": round(r.visitor_hours, 0),
                                  "spend_estimate_cny": round(r.spend_estimate_cny, 0),
                                  "gate_counts_persons": _r(r.gate_counts_persons, 0),
                                  "entries_persons": round(r.entries_persons, 0),
                                  "entries_vs_counts_pct": _r(r.entries_vs_counts_pct, 1)}
                         for r in rep.itertuples()},
               "alerts_raised": _raised(self.network.alerts),
               "shuttle": shuttle_summary(self.network),
               "measures": _measures_dict(self.params.measures),
               "run_time_s": round(self.run_time_s, 1)}
        if self.daily is not None:
            out["daily_arrivals"] = {str(sp): [round(float(v), 0) for v in g.sort_values("time").arrivals_persons]
                                     for sp, g in self.daily.groupby("spot")}
        return out

    # ------------------------------------------------------------------------ layers
    def _sec(self, t) -> float:
        return float((pd.Timestamp(t) - self.t0).total_seconds())

    def layers(self) -> list[Layer]:
        crs = self.city.crs
        s = self.network.steps
        spots = of_kind(self.city.places, "scenic_spot").set_index("name")
        names = [str(v) for v in s.spot.values if str(v) in spots.index]
        lays = [terrain_layer(self.city), roads_layer(self.city)]
        hourly = list(range(0, s.sizes["time"], max(1, int(round(60 / self.network.config.step_min)))))
        frames = []
        sub = s.sel(spot=names).isel(time=hourly).transpose("time", "spot")  # one indexing, not one per cell
        occ_a = sub.occupancy_persons.values.astype(float)
        cap_a = np.broadcast_to(sub.capacity_persons.values.astype(float), occ_a.shape)  # per spot, or per time
        queue_a, alert_a = sub.gate_queue_persons.values.astype(float), sub.alert.values.astype(str)
        geoms = [spots.loc[sp].geometry for sp in names]
        for j, k in enumerate(hourly):
            rows = []
            for i, sp in enumerate(names):
                cap, occ, lvl = float(cap_a[j, i]), float(occ_a[j, i]), str(alert_a[j, i])
                rows.append({"spot": sp, "occupancy_persons": round(occ, 0), "capacity_persons": cap,
                             "load_pct": round(100 * occ / cap, 1) if cap else 0.0,
                             "gate_queue_persons": round(float(queue_a[j, i]), 0), "alert": lvl,
                             "height_m": 3.0 * (100 * occ / cap if cap else 0.0), "color": ALERT_RGBA.get(lvl, [150] * 4),
                             "geometry": geoms[i]})
            frames.append((self._sec(s.time.values[k]), gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)))
        lays.append(Layer("spot_load", self._mark("Scenic spots: load vs capacity (height = % of capacity)"),
                          "polygons",
                          frames=frames, legend=[("below 80 %", ALERT_RGBA["green"]), ("80–100 % (yellow)", ALERT_RGBA["yellow"]),
                                                 ("above capacity (red)", ALERT_RGBA["red"])],
                          tooltip=["spot", "occupancy_persons", "capacity_persons", "load_pct", "gate_queue_persons"],
                          style={"extruded": True, "elevation_col": "height_m", "opacity": 0.8}))
        if self._has_links():
            lays.append(self._traffic_layer(max(1, int(round(60 / self.network.config.step_min)))))
        trips, times, day = self._tourist_trips()
        if trips:
            lays.append(Layer("tourist_trips", f"Tourists moving on the roads, {day} (sample)", "trips", data=trips,
                              legend=[("group arriving at a spot (drawn from the hub)", GROUP_RGBA),
                                      ("shuttle bus", BUS_RGBA)],
                              style={"times": times, "trail_s": 240.0, "width_m": 18.0, "min_px": 4}))
        return lays

    def _has_links(self) -> bool:
        """Whether the run loaded any road link (some trip drove between hub and spots)."""
        lv = self.network.link_vehicles
        return bool(lv.sizes["time"] and lv.sizes["link"] and float(lv.sum()) > 0)

    def _traffic_layer(self, every_steps: int) -> Layer:
        """Road links coloured and sized by tourist pcu/h, one frame per ``every_steps`` output
        steps (hourly, as the spot loads); colour and width on one scale for the whole run."""
        from viewers.colors import cmap_rgba, cmap_stops

        fr = traffic_frames(self.network, every_steps)
        vmax = max([float(g["pcu_h"].max()) for _, g in fr if len(g)] + [1.0])
        a, b = TRAFFIC_WIDTH_M
        frames = []
        for t, g in fr:
            g = g.copy()
            x = g["pcu_h"].to_numpy(float)
            g["color"] = cmap_rgba(x, TRAFFIC_CMAP, vmax=vmax, alpha=230).tolist() if len(g) else []
            g["width_m"] = a + b * x / vmax
            frames.append((self._sec(t), g))
        return Layer("tourist_traffic", "Tourist traffic on the roads, per hour (colour and width = pcu/h)", "lines",
                     frames=frames, legend={"ramp": cmap_stops(TRAFFIC_CMAP), "vmin": "0", "vmax": f"{vmax:.0f}",
                                            "unit": "tourist pcu/h"},
                     tooltip=["name", "car_vph", "coach_vph", "shuttle_bus_vph", "pcu_h", "vc_ratio"],
                     style={"width_col": "width_m", "min_px": 2})

    def _tourist_trips(self, max_groups: int = 1100, max_buses: int = 400) -> tuple[list[dict], list[float], str]:
        """Animated tourists on the busiest day, rebuilt from what the network result records.

        Shuttle buses are exact: each run of ``shuttle_runs`` (time, spot, direction) drives the
        fastest road path between the hub and the spot, the path the network model uses, at its
        free-flow link times. Groups are approximate: the network keeps, per group, only when
        it joined a spot's gate queue (``gate_waits``), not its mode or origin, so each sampled
        group is drawn driving that path from the hub and arriving at the queue-join time
        (parking waits and spot-to-spot legs are not drawn)."""
        from twin.routing import path_edges, routable

        net = self.network
        meta = net.meta
        if "hub_node" not in meta or "spot_nodes" not in meta:
            return [], [], ""
        st = net.steps
        arr = np.asarray(st.arrived_persons.values, float)
        days = pd.to_datetime(st.time.values).normalize()
        per_day = pd.Series(arr, index=days).groupby(level=0).sum()
        if per_day.empty or per_day.max() <= 0:
            return [], [], ""
        d0 = pd.Timestamp(per_day.idxmax())
        d1 = d0 + pd.Timedelta(days=1)
        g = routable(self.city.roads)
        hub = meta["hub_node"]
        legs: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

        def leg(spot: str, direction: str) -> tuple[np.ndarray, np.ndarray] | None:
            if (spot, direction) not in legs:
                a, b = (hub, meta["spot_nodes"][spot]) if direction == "to_spot" else (meta["spot_nodes"][spot], hub)
                legs[(spot, direction)] = _timed_path(g, path_edges(g, _fastest(g, a, b)))
            return legs[(spot, direction)]

        rng = np.random.default_rng(self.params.seed)
        trips = []
        w = net.gate_waits
        w = w[(w.time >= d0) & (w.time < d1) & w.spot.isin(list(meta["spot_nodes"]))]
        if len(w) > max_groups:
            w = w.iloc[np.sort(rng.choice(len(w), max_groups, replace=False))]
        for r in w.itertuples():
            xy, ts = leg(str(r.spot), "to_spot")
            if len(ts) >= 2:
                trips.append({"path": xy, "timestamps": self._sec(r.time) - ts[-1] + ts, "color": GROUP_RGBA})
        b = net.shuttle_runs
        b = b[(b.time >= d0) & (b.time < d1) & (b.persons > 0) & b.spot.isin(list(meta["spot_nodes"]))]
        if len(b) > max_buses:
            b = b.iloc[np.sort(rng.choice(len(b), max_buses, replace=False))]
        for r in b.itertuples():
            xy, ts = leg(str(r.spot), str(r.direction))
            if len(ts) >= 2:
                trips.append({"path": xy, "timestamps": self._sec(r.time) + ts, "color": BUS_RGBA})
        if not trips:
            return [], [], ""
        lo = min(float(t["timestamps"][0]) for t in trips)
        hi = max(float(t["timestamps"][-1]) for t in trips)
        step = TRIPS_SLIDER_STEP_S
        times = np.arange(math.floor(lo / step) * step, hi + step, step).tolist()
        return trips, times, d0.strftime("%Y-%m-%d")

    # ----------------------------------------------------------------------- figures
    def figures(self) -> list[tuple[str, bytes]]:
        if "figures" not in self._cache:
            self._cache["figures"] = [("Occupancy against capacity", self._occupancy_png()),
                                      ("Daily arrivals", self._daily_png())]
        return self._cache["figures"]

    def _occupancy_png(self) -> bytes:
        return fig_png(self._occupancy_figure())

    def _occupancy_figure(self) -> Any:
        import matplotlib.pyplot as plt

        s = self.network.steps
        sps = [str(v) for v in s.spot.values]
        fig, axes = plt.subplots(len(sps), 1, figsize=(7.5, 1.3 * len(sps) + 0.6), dpi=100, sharex=True)
        axes = np.atleast_1d(axes)
        t = pd.to_datetime(s.time.values)
        for ax, sp in zip(axes, sps):
            d = s.sel(spot=sp)
            cap = float(d.capacity_persons)
            ax.fill_between(t, np.asarray(d.occupancy_persons.values), color="#3182bd", alpha=0.6, lw=0)
            ax.axhline(cap, color="#d62728", lw=0.8)
            ax.axhline(0.8 * cap, color="#e6b800", lw=0.8, ls="--")
            ax.set_ylabel(sp[:18], fontsize=7, rotation=0, ha="right", va="center")
            ax.tick_params(labelsize=6)
        axes[0].set_title(self._mark("persons inside (blue), 80 % (yellow) and 100 % (red) of the instantaneous "
                                     "capacity"), fontsize=8)
        fig.autofmt_xdate()
        fig.tight_layout()
        return fig

    def _daily_png(self) -> bytes:
        return fig_png(self._daily_figure())

    def _daily_figure(self) -> Any:
        """Grouped bars per day (x = 0..n-1, date labels), one bar per spot, with the forecast
        interval as error bars (none for replayed counts)."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.0, 3.4), dpi=100)
        what = "arrivals"
        if self.daily is not None and len(self.daily):
            dates, spots, val, lo, hi = daily_bars(self.daily)
            n, m = val.shape
            width = 0.8 / m
            x = np.arange(n)
            for j, sp in enumerate(spots):
                err = None if lo is None else np.vstack([np.maximum(val[:, j] - lo[:, j], 0.0),
                                                         np.maximum(hi[:, j] - val[:, j], 0.0)])
                ax.bar(x - 0.4 + (j + 0.5) * width, val[:, j], width=width, yerr=err, capsize=1.5,
                       error_kw={"elinewidth": 0.6, "ecolor": "#444444"}, label=sp)
            ax.set_xticks(x, [d.strftime("%m-%d") for d in dates], rotation=0, fontsize=7)
            ax.set_xlim(-0.6, n - 0.4)
            top = float(np.nanmax(hi if hi is not None else val)) if val.size else 1.0
            ax.set_ylim(0, 1.35 * max(top, 1.0))  # room for the legend above the bars
            ax.legend(fontsize=6, ncol=3, loc="upper left")
            if lo is not None:
                level = 100 * getattr(self.forecast, "attrs", {}).get("interval", 0.9)
                what = f"arrivals with the {level:.0f} % interval"
        ax.set_ylabel("arrivals (persons/day)")
        ax.set_title(self._mark(f"Daily {what} — {self.info.get('source')}"), fontsize=8)
        fig.tight_layout()
        return fig

    # ---------------------------------------------------------------------------- save
    def save(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        prov, src = self.provisional, self.calendar_sources
        alerts = self.network.alerts.assign(provisional=prov)
        files = [write_text_atomic(folder / "arrivals_15min.csv", self.forecast.to_csv(index=False)),
                 write_text_atomic(folder / "report.csv", self.report().to_csv(index=False)),
                 write_text_atomic(folder / "alerts.csv", alerts.to_csv(index=False))]
        nc = folder / "network.nc"
        tmp = folder / "network.nc.tmp"
        ds = self.network.steps.copy()
        for v in list(ds.data_vars):
            if ds[v].dtype == object:
                ds[v] = ds[v].astype(str)
        ds.attrs.update(provisional=int(prov), calendar_source=src,
                        note=("PROVISIONAL: holiday days from the lunar derivation, not an official schedule"
                              if prov else "holiday calendar: " + src))
        ds.to_netcdf(tmp)
        tmp.replace(nc)
        files.append(nc)
        if self._has_links():
            tl = self.network.traffic_lines().assign(provisional=prov)
            gpkg = folder / "crowd.gpkg"
            pyogrio.write_dataframe(tl, gpkg, layer="tourist_traffic_peak", driver="GPKG")
            hourly = [g.assign(time=t) for t, g in traffic_frames(self.network, max(1, int(round(
                60 / self.network.config.step_min)))) if len(g)]
            if hourly:
                h = gpd.GeoDataFrame(pd.concat(hourly, ignore_index=True), geometry="geometry", crs=tl.crs)
                pyogrio.write_dataframe(h.assign(provisional=prov), gpkg, layer="tourist_traffic_hourly",
                                        driver="GPKG")
            files.append(gpkg)
        for (cap, png), name in zip(self.figures(), ("occupancy.png", "daily_arrivals.png")):
            files.append(save_png(png, folder / name))
        return files


# =============================================================================== gate area
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
    run: Any  # sim.crowd.gate.GateRun
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
        r = self.run
        a = r.area
        waits = r.waits_s()
        fl = r.flows(60.0)
        j, i = r.worst_cell()
        dmax = float(np.nanmax(r.density_per_m2)) if np.isfinite(r.density_per_m2).any() else float("nan")
        share = r.los_share()
        w = r.warnings
        gates = {}
        for k, name in enumerate(a.gate_names):
            gates[name] = {"passed_persons": int((r.gate == k).sum()),
                           "mean_flow_per_s": _r(r.saturated_flow_per_s(k), 3),
                           "peak_flow_1min_per_s": _r(float(fl[name].max()), 3)}
        return {
            "spot": a.spot, "geometry": "template" if a.meta.get("template") else "polygon",
            "walkable_m2": round(float(a.walkable.area), 1),
            "inflow": {k: v for k, v in self.info.items()},
            "duration_min": round(r.duration_s / 60.0, 2), "simulated_s": round(r.t_end_s, 1),
            "persons": {"arrived": r.n_arrived, "entered": r.n_entered, "passed_gate": r.n_passed,
                        "exited": r.n_exited, "inside_at_end": r.n_inside,
                        "waiting_outside_at_end": int(r.series.waiting_outside.iloc[-1])},
            "gates": gates,
            "total_flow_per_s": _r(r.saturated_flow_per_s(), 3),
            "queue": {"max_persons": int(r.series.queue.max()),
                      "max_time_s": float(r.series.t_s.iloc[int(r.series.queue.to_numpy().argmax())]),
                      "max_waiting_outside_persons": int(r.series.waiting_outside.max()),
                      "mean_wait_to_gate_s": _r(float(np.mean(waits)) if waits.size else float("nan"), 1),
                      "p95_wait_to_gate_s": _r(float(np.percentile(waits, 95)) if waits.size else float("nan"), 1),
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
        ent = gpd.GeoDataFrame({"gate": ["entry (arrivals)"], "passed_persons": [r.n_entered],
                                "mean_flow_per_s": [_r(r.n_arrived / r.duration_s, 3)],
                                "peak_flow_1min_per_s": [None], "color": [[30, 110, 230, 255]]},
                               geometry=[a.entry], crs=crs)
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
        pts = self._position_frames()
        if pts:
            lays.append(Layer("persons", f"Persons every {r.frame_s:g} s (colour = time to the gate)", "polygons",
                              frames=pts, legend=[(lbl, c) for _, c, lbl in WAIT_CLASSES_S],
                              style={"stroked": False}))
        trips, times = self._trips()
        if trips:
            lays.append(Layer("pedestrians", f"Pedestrians (sample of {len(trips)}, colour = time to the gate)",
                              "trips", data=trips, legend=[(lbl, c) for _, c, lbl in WAIT_CLASSES_S],
                              style={"times": times, "trail_s": 2.0, "width_m": 0.35, "min_px": 2}))
        return lays

    def _wait_colors(self) -> np.ndarray:
        """RGBA per person by the time from arrival to the gate (to the end of the run if not through)."""
        r = self.run
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
        """Up to ``gate.max_trips`` persons' paths, thinned to ``gate.trips_step_s``; colour by the
        time from arrival to the gate (to the end of the run for those still queuing)."""
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

        from sim.crowd.gate import CHUNK_S

        folder = Path(folder)
        r, a = self.run, self.run.area
        persons = pd.DataFrame({"id": np.arange(r.n_arrived), "arrival_s": r.arrival_s, "entry_s": r.entry_s,
                                "gate": [a.gate_names[k] if k >= 0 else "" for k in r.gate],
                                "gate_s": r.gate_s, "exit_s": r.exit_s})
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
        ds = xr.Dataset({"density_per_m2": (("time", "y", "x"), r.density_per_m2),
                         "speed_m_s": (("time", "y", "x"), r.speed_m_s),
                         "fruin_los": (("time", "y", "x"), r.los),
                         "walkable_area_m2": (("y", "x"), r.cell_area_m2)},
                        coords={"time": r.frame_t_s, "y": r.field_y_m, "x": r.field_x_m},
                        attrs={"crs": self.city.crs.to_string(), "window_s": r.frame_s,
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
        pyogrio.write_dataframe(gpd.GeoDataFrame({"what": ["entry"]}, geometry=[a.entry], crs=crs), gpkg,
                                layer="entry", driver="GPKG")
        files.append(gpkg)
        for (cap, png), name in zip(self.figures(), ("gate_flows.png", "worst_cell_density.png", "los_share.png")):
            files.append(save_png(png, folder / name))
        return files
