"""The scenic-network result :class:`CrowdResult`: per-spot load against capacity with alerts,
gate queues, parking, shuttles, the tourist traffic lines and animated tourists on the roads, and
the post-holiday report (peaks, hours above each alert level, visitor-hours, spending estimate).
A spot's gate area (pedestrian micro-simulation) has its own result,
:class:`sim.crowd.gate_result.GateResult`."""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from sim.crowd.network_report import (  # noqa: F401  (hours_above, shuttle_summary re-exported)
    alert_hours, alerts_ahead, hours_above, raised_alerts, shuttle_summary)
from sim.crowd.peak_day import peak_day_summary
from sim.crowd.run_charts import daily_figure, occupancy_figure
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
    track_record: Any = None  # sim.crowd.backtest_report.ForecastTrackRecord (forecast_backtest: true)
    forecast_check: Any = None  # sim.crowd.forecast_check.ForecastCheck (counts of the period exist)
    plain_today: pd.DataFrame | None = None  # a run made during a day: that day's forecast not updated
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

    def _mark(self, text: str, sep: str = "\n") -> str:
        """``text`` with the provisional-calendar warning (on its own line in figures)."""
        return f"{text}{sep}PROVISIONAL holiday calendar (lunar derivation)" if self.provisional else text

    @property
    def t0(self) -> pd.Timestamp:
        return pd.Timestamp(self.network.steps.time.values[0])

    def report(self) -> pd.DataFrame:
        """The post-holiday report, one row per spot: the network summary, the exact hours at
        the yellow-or-red and red levels and the hours those alerts were held (:func:`alert_hours`),
        visitor-hours, the spending estimate (the tourists' per-capita spend split over the spots in
        proportion to their entries), the gate counts the run was driven by (forecast or observed) beside the
        simulated entries, and whether the holiday calendar is provisional."""
        s = self.network.steps
        step_h = self.network.config.step_min / 60.0
        rep = self.network.summary().set_index("spot")
        hrs = alert_hours(self.network).set_index("spot")
        counts = (self.forecast.groupby("spot")["arrivals_persons"].sum()
                  if self.forecast is not None and len(self.forecast) else pd.Series(dtype=float))
        # the per-capita spend is per tourist (a trip): split over the spots visited in proportion to
        # their entries, so that the spots add up to tourists x per capita (a tourist seeing two spots
        # is not counted twice)
        tourists = float(self.network.counters.get("arrived_persons", np.nan))
        entries = float(rep["entries_persons"].sum())
        spend_per_entry = (self.params.spend_per_capita_cny * tourists / entries
                           if entries > 0 and np.isfinite(tourists) else 0.0)
        # LB/T 034-2014 daily capacity: the instantaneous capacity the run used x the spot's turnover
        # (opening hours / average stay); each day's entries against it
        from sim.crowd.capacity import scenic_capacities

        turnover = scenic_capacities(self.city).set_index("name")["turnover_per_day"]
        days = pd.to_datetime(s.time.values).normalize()
        for sp in rep.index:
            d = s.sel(spot=sp)
            cap_d = float(rep.loc[sp, "capacity_persons"]) * float(turnover.get(sp, np.nan))
            per_day = pd.Series(np.asarray(d.gate_entries_persons.values, float)).groupby(days).sum()
            rep.loc[sp, "daily_capacity_persons"] = cap_d
            rep.loc[sp, "max_day_entries_persons"] = float(per_day.max())
            rep.loc[sp, "max_day_load_pct"] = 100.0 * float(per_day.max()) / cap_d if cap_d > 0 else np.nan
            rep.loc[sp, "days_over_daily_capacity"] = int((per_day > cap_d).sum()) if cap_d > 0 else 0
            rep.loc[sp, "hours_yellow_or_red"] = float(hrs.loc[sp, "hours_yellow_or_red"])
            rep.loc[sp, "hours_red"] = float(hrs.loc[sp, "hours_red"])
            rep.loc[sp, "hours_alert_yellow_or_red"] = float(hrs.loc[sp, "hours_alert_yellow_or_red"])
            rep.loc[sp, "hours_alert_red"] = float(hrs.loc[sp, "hours_alert_red"])
            rep.loc[sp, "visitor_hours"] = float(np.asarray(d.occupancy_persons.values).sum() * step_h)
            rep.loc[sp, "spend_estimate_cny"] = float(rep.loc[sp, "entries_persons"] * spend_per_entry)
            c = float(counts.get(sp, np.nan))
            rep.loc[sp, "gate_counts_persons"] = c
            rep.loc[sp, "entries_vs_counts_pct"] = 100.0 * (rep.loc[sp, "entries_persons"] / c - 1.0) if c > 0 \
                else np.nan
        cal = self.info.get("first_visit_calibration") if isinstance(self.info, dict) else None
        if cal is not None and len(cal):
            exp = cal.groupby("spot")["expected_entries_persons"].sum()
            rep["calibrated_expected_entries_persons"] = [float(exp.get(sp, np.nan)) for sp in rep.index]
        m = {k: v for k, v in _measures_dict(getattr(self.params, "measures", None)).items() if v not in (None, False, {}, [])}
        rep["measures"] = "; ".join(f"{k}={v}" for k, v in m.items()) or "none"  # what-if measures the run applied
        rep["calendar_source"] = self.calendar_sources
        rep["provisional"] = self.provisional
        return rep.reset_index()

    def summary(self) -> dict:
        rep = self.report()
        cal = self.calendar
        hol = cal[cal.holiday.fillna("") != ""] if "holiday" in cal else cal.iloc[:0]
        keys = ("fitted_on", "counted_to", "weather_forecast", "recent_level", "unseen_days")
        out = {"arrivals": self.info.get("source"), **{k: self.info[k] for k in keys if k in self.info},
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
                                  "hours_alert_yellow_or_red": _r(r.hours_alert_yellow_or_red, 2),
                                  "hours_alert_red": _r(r.hours_alert_red, 2),
                                  "max_gate_queue_persons": round(r.max_gate_queue_persons, 0),
                                  "mean_gate_wait_min": _r(r.mean_gate_wait_min),
                                  "p95_gate_wait_min": _r(r.p95_gate_wait_min),
                                  "turned_away_persons": round(r.turned_away_persons, 0),
                                  "diverted_persons": round(r.diverted_persons, 0),
                                  "closed_out_persons": round(r.closed_out_persons, 0),
                                  "daily_capacity_persons": _r(r.daily_capacity_persons, 0),
                                  "max_day_entries_persons": _r(r.max_day_entries_persons, 0),
                                  "max_day_load_pct": _r(r.max_day_load_pct, 1),
                                  "days_over_daily_capacity": int(r.days_over_daily_capacity),
                                  "visitor_hours": round(r.visitor_hours, 0),
                                  "spend_estimate_cny": round(r.spend_estimate_cny, 0),
                                  "gate_counts_persons": _r(r.gate_counts_persons, 0),
                                  "entries_persons": round(r.entries_persons, 0),
                                  "entries_vs_counts_pct": _r(r.entries_vs_counts_pct, 1)}
                         for r in rep.itertuples()},
               "spots_note": "peak_time: the start of the 15-min step (local time, Asia/Shanghai) whose maximum is "
                             "the peak; hours_* at/above the threshold, hours_alert_* while the alert was held (its "
                             "deadband); spend: the tourists' per-capita spend split over spots by entries",
               "spend_estimate_total_cny": round(float(rep["spend_estimate_cny"].sum()), 0),
               "alerts_raised": raised_alerts(self.network.alerts),
               "shuttle": shuttle_summary(self.network),
               "measures": _measures_dict(self.params.measures),
               "run_time_s": round(self.run_time_s, 1)}
        if "counted_to" in self.info:  # a run made during the day: what is coming today
            out["alerts_ahead_today"] = alerts_ahead(self.network.alerts, [str(s) for s in
                                                                           self.network.steps.spot.values],
                                                     pd.Timestamp(self.info["counted_to"]))
        if self.track_record is not None:
            out["forecast_backtest"] = self.track_record.summary()
        if self.forecast_check is not None:
            out["forecast_vs_counts"] = self.forecast_check.summary()
        if self.daily is not None:
            out["daily_arrivals"] = {str(sp): [round(float(v), 0) for v in g.sort_values("time").arrivals_persons]
                                     for sp, g in self.daily.groupby("spot")}
            if "peak_prob" in self.daily:
                out["peak_day"] = {"spots": peak_day_summary(self.daily),
                                   "note": "per spot the probability that each day is its busiest of the run's days "
                                           "(joint draws of the forecast days; counted days at their counts)"}
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
        lays.append(Layer("spot_load", self._mark("Scenic spots: load vs capacity (height = % of capacity)", " — "),
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
            if self.track_record is not None:
                self._cache["figures"].append(("Forecast against held-out holidays",
                                               fig_png(self.track_record.figure())))
            if self.plain_today is not None:
                self._cache["figures"].append(("Today: counted, and the forecast updated",
                                               fig_png(self._today_figure())))
        return self._cache["figures"]

    def _figure_files(self) -> list[str]:
        """The file names of :meth:`figures`, in its order."""
        return (["occupancy.png", "daily_arrivals.png"] + (["forecast_backtest.png"] if self.track_record else [])
                + (["today.png"] if self.plain_today is not None else []))

    def _today_figure(self) -> Any:
        from sim.crowd.today_chart import today_figure

        now = pd.Timestamp(self.info["counted_to"])
        chk = self.forecast_check
        later = None
        if chk is not None and chk.sub_daily is not None:
            later = chk.sub_daily[chk.sub_daily["time"].dt.normalize() == now.normalize()]
            later.attrs["freq"] = chk.freq
        title = self._mark(f"Arrivals on {now.date()}: counted to {now:%H:%M} (red line), then the forecast updated "
                           "by those counts (blue) beside the forecast made before the day (grey)")
        return today_figure(self.forecast, self.plain_today, now, later, textwrap.fill(title, 95))

    def _occupancy_png(self) -> bytes:
        return fig_png(self._occupancy_figure())

    def _occupancy_figure(self) -> Any:
        return occupancy_figure(self.network.steps, self._mark(
            "persons inside: 15-min mean (blue), maximum (dark line); 80 % (yellow) and\n"
            "100 % (red) of the instantaneous capacity"))

    def _daily_png(self) -> bytes:
        return fig_png(self._daily_figure())

    def _daily_figure(self) -> Any:
        what = "arrivals"
        if self.daily is not None and {"lo_persons", "hi_persons"} <= set(self.daily.columns):
            what = f"arrivals with the {100 * getattr(self.forecast, 'attrs', {}).get('interval', 0.9):.0f} % interval"
        if getattr(getattr(self.params, "measures", None), "reservation_cap", None):
            what += " (demand, before the reservation caps)"
        chk = self.forecast_check
        return daily_figure(self.daily, self._mark(textwrap.fill(f"Daily {what} — {self.info.get('source')}", 90)),
                            counts=None if chk is None else chk.daily,
                            fitted_before=None if chk is None else chk.origin,
                            counted_to=self.info.get("counted_to") if isinstance(self.info, dict) else None)

    # ---------------------------------------------------------------------------- save
    def _daily_table(self) -> pd.DataFrame:
        """The run's days per spot: arrivals (forecast median or count), interval, whether counted
        and the probability of being the spot's busiest day (per cent)."""
        d = self.daily
        cols = [c for c in ("time", "spot", "arrivals_persons", "lo_persons", "hi_persons", "counted", "peak_prob",
                            "holiday", "day_in_holiday", "provisional") if c in d]
        t = d[cols].rename(columns={"peak_prob": "peak_day_pct"}).sort_values(["spot", "time"], kind="stable")
        if "peak_day_pct" in t:
            # rounded as summary.json's peak_day (Python's round; numpy's differs on .x5 ties)
            t["peak_day_pct"] = [round(100.0 * float(p), 1) for p in t["peak_day_pct"]]
        t["time"] = pd.to_datetime(t["time"]).dt.date
        return t.round({"arrivals_persons": 1, "lo_persons": 1, "hi_persons": 1})

    def save(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        prov, src = self.provisional, self.calendar_sources
        st = self.network.steps
        cap = {str(sp): float(st.capacity_persons.sel(spot=sp)) for sp in st.spot.values}
        alerts = self.network.alerts.copy()
        alerts["time"] = pd.to_datetime(alerts["time"]).dt.round("1s")  # local time (Asia/Shanghai), to the second
        alerts["capacity_persons"] = alerts["spot"].astype(str).map(cap)
        alerts["load_pct"] = (100.0 * alerts["occupancy_persons"] / alerts["capacity_persons"]).round(1)
        alerts = alerts.assign(provisional=prov)
        files = [write_text_atomic(folder / "arrivals_15min.csv", self.forecast.to_csv(index=False)),
                 write_text_atomic(folder / "report.csv", self.report().to_csv(index=False)),
                 write_text_atomic(folder / "alerts.csv", alerts.to_csv(index=False))]
        if self.daily is not None:
            files.append(write_text_atomic(folder / "daily_arrivals.csv", self._daily_table().to_csv(index=False)))
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
        if self.track_record is not None:
            files.append(write_text_atomic(folder / "forecast_backtest.csv",
                                           self.track_record.table().to_csv(index=False)))
        if self.forecast_check is not None:
            files.append(write_text_atomic(folder / "forecast_vs_counts.csv",
                                           self.forecast_check.table().to_csv(index=False)))
        for (cap, png), name in zip(self.figures(), self._figure_files()):
            files.append(save_png(png, folder / name))
        return files
