"""The crowd result: per-spot load against capacity with alerts, gate queues, parking, the
tourist traffic lines on the roads, and the post-holiday report (peaks, hours above each
alert level, visitor-hours, spending estimate)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from sim.result import rounded as _r
from twin.atomic import write_text_atomic
from twin.places import of_kind
from viewers.city_layers import roads_layer, terrain_layer
from viewers.png import fig_png, save_png
from viewers.spec import Layer

ALERT_RGBA = {"green": [46, 160, 67, 200], "yellow": [240, 200, 30, 220], "red": [220, 40, 40, 235]}


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
    def title(self) -> str:
        return f"Scenic spots {self.params.start} – {self.params.end}"

    @property
    def t0(self) -> pd.Timestamp:
        return pd.Timestamp(self.network.steps.time.values[0])

    def report(self) -> pd.DataFrame:
        """The post-holiday report, one row per spot."""
        s = self.network.steps
        step_h = self.network.config.step_min / 60.0
        rep = self.network.summary().set_index("spot")
        for sp in rep.index:
            d = s.sel(spot=sp)
            alert = np.asarray(d.alert.values).astype(str)
            rep.loc[sp, "hours_yellow_or_red"] = float((alert != "green").sum() * step_h)
            rep.loc[sp, "hours_red"] = float((alert == "red").sum() * step_h)
            rep.loc[sp, "visitor_hours"] = float(np.asarray(d.occupancy_persons.values).sum() * step_h)
            rep.loc[sp, "spend_estimate_cny"] = float(rep.loc[sp, "entries_persons"] * self.params.spend_per_capita_cny)
        return rep.reset_index()

    def summary(self) -> dict:
        rep = self.report()
        cal = self.calendar
        hol = cal[cal.holiday.fillna("") != ""] if "holiday" in cal else cal.iloc[:0]
        out = {"arrivals": self.info.get("source"),
               "calendar": {"days": int(len(cal)),
                            "holiday_days_off": int((cal.status == "day_off").sum()) if "status" in cal else None,
                            "holidays": sorted({str(h) for h in hol.holiday}) if len(hol) else [],
                            "sources": sorted({str(v) for v in cal.source}) if "source" in cal else [],
                            "provisional": bool(cal.provisional.any()) if "provisional" in cal else False},
               "tourists": round(float(self.network.counters.get("arrived_persons", np.nan)), 0),
               "spots": {r.spot: {"capacity_persons": round(r.capacity_persons, 0),
                                  "peak_occupancy_persons": round(r.peak_occupancy_persons, 0),
                                  "peak_time": str(r.peak_time), "worst_alert": r.worst_alert,
                                  "hours_yellow_or_red": r.hours_yellow_or_red, "hours_red": r.hours_red,
                                  "max_gate_queue_persons": round(r.max_gate_queue_persons, 0),
                                  "mean_gate_wait_min": _r(r.mean_gate_wait_min),
                                  "p95_gate_wait_min": _r(r.p95_gate_wait_min),
                                  "turned_away_persons": round(r.turned_away_persons, 0),
                                  "visitor_hours": round(r.visitor_hours, 0),
                                  "spend_estimate_cny": round(r.spend_estimate_cny, 0)} for r in rep.itertuples()},
               "alerts_raised": int(len(self.network.alerts)),
               "measures": dict(self.params.measures),
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
        for k in hourly:
            rows = []
            for sp in names:
                d = s.sel(spot=sp).isel(time=k)
                cap = float(d.capacity_persons)
                occ = float(d.occupancy_persons)
                lvl = str(d.alert.values)
                rows.append({"spot": sp, "occupancy_persons": round(occ, 0), "capacity_persons": cap,
                             "load_pct": round(100 * occ / cap, 1) if cap else 0.0,
                             "gate_queue_persons": round(float(d.gate_queue_persons), 0), "alert": lvl,
                             "height_m": 3.0 * (100 * occ / cap if cap else 0.0), "color": ALERT_RGBA.get(lvl, [150] * 4),
                             "geometry": spots.loc[sp].geometry})
            frames.append((self._sec(s.time.values[k]), gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)))
        lays.append(Layer("spot_load", "Scenic spots: load vs capacity (height = % of capacity)", "polygons",
                          frames=frames, legend=[("below 80 %", ALERT_RGBA["green"]), ("80–100 % (yellow)", ALERT_RGBA["yellow"]),
                                                 ("above capacity (red)", ALERT_RGBA["red"])],
                          tooltip=["spot", "occupancy_persons", "capacity_persons", "load_pct", "gate_queue_persons"],
                          style={"extruded": True, "elevation_col": "height_m", "opacity": 0.8}))
        try:
            tl = self.network.traffic_lines()
        except Exception:  # noqa: BLE001 - no tourist traffic on the roads
            tl = None
        if tl is not None and len(tl):
            tl = tl.copy()
            v = tl.filter(like="vph").iloc[:, 0].to_numpy(float) if len(tl.filter(like="vph").columns) else np.ones(len(tl))
            vmax = max(float(np.nanmax(v)), 1.0)
            tl["color"] = [[150, 40, 200, int(90 + 160 * min(x / vmax, 1.0))] for x in v]
            tl["width"] = 6.0 + 30.0 * v / vmax
            cols = [c for c in tl.columns if c not in ("geometry", "color", "width")][:4]
            lays.append(Layer("tourist_traffic", "Tourist traffic lines at the peak (width = vehicles/h)", "lines",
                              data=tl, legend=[("tourist vehicles", [150, 40, 200, 230])], tooltip=cols,
                              style={"width_col": "width", "min_px": 2}))
        return lays

    # ----------------------------------------------------------------------- figures
    def figures(self) -> list[tuple[str, bytes]]:
        if "figures" not in self._cache:
            self._cache["figures"] = [("Occupancy against capacity", self._occupancy_png()),
                                      ("Daily arrivals", self._daily_png())]
        return self._cache["figures"]

    def _occupancy_png(self) -> bytes:
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
        axes[0].set_title("persons inside (blue), 80 % (yellow) and 100 % (red) of the instantaneous capacity", fontsize=8)
        fig.autofmt_xdate()
        fig.tight_layout()
        return fig_png(fig)

    def _daily_png(self) -> bytes:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.0, 3.4), dpi=100)
        if self.daily is not None and len(self.daily):
            pv = self.daily.pivot_table(index="time", columns="spot", values="arrivals_persons")
            pv.plot(kind="bar", stacked=True, ax=ax, width=0.8, legend=True)
            ax.set_xticks(range(len(pv.index)), [pd.Timestamp(t).strftime("%m-%d") for t in pv.index], rotation=0,
                          fontsize=7)
            ax.legend(fontsize=6, ncol=2)
        ax.set_ylabel("arrivals (persons/day)")
        ax.set_title(f"Daily arrivals — {self.info.get('source')}", fontsize=8)
        fig.tight_layout()
        return fig_png(fig)

    # ---------------------------------------------------------------------------- save
    def save(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        files = [write_text_atomic(folder / "arrivals_15min.csv", self.forecast.to_csv(index=False)),
                 write_text_atomic(folder / "report.csv", self.report().to_csv(index=False)),
                 write_text_atomic(folder / "alerts.csv", self.network.alerts.to_csv(index=False))]
        nc = folder / "network.nc"
        tmp = folder / "network.nc.tmp"
        ds = self.network.steps.copy()
        for v in list(ds.data_vars):
            if ds[v].dtype == object:
                ds[v] = ds[v].astype(str)
        ds.to_netcdf(tmp)
        tmp.replace(nc)
        files.append(nc)
        try:
            tl = self.network.traffic_lines()
            gpkg = folder / "crowd.gpkg"
            pyogrio.write_dataframe(tl, gpkg, layer="tourist_traffic_peak", driver="GPKG")
            files.append(gpkg)
        except Exception:  # noqa: BLE001 - no traffic lines to write
            pass
        for (cap, png), name in zip(self.figures(), ("occupancy.png", "daily_arrivals.png")):
            files.append(save_png(png, folder / name))
        return files
