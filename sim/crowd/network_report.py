"""The scenic network's post-holiday figures from a run (:class:`sim.crowd.network.NetworkResult`):
hours at and above each alert level and hours each alert was held, alerts raised, and the
shuttle service the run needed. Re-exported by :mod:`sim.crowd.result`."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.crowd.fleet import fleet_size


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
    (empty and final clear-out runs included), the riders without a bus (after the day's last
    departure or the clear-out's cut-off) who gave their visit up at the hub or left a spot by other
    means, and ``fleet``, the fewest buses per line that run its
    departures (:func:`sim.crowd.fleet.fleet_size`: each bus turns round ``layover_min`` at either
    end; idle buses may run back empty, or not): with ``fleet_per_line`` unset (no limit) the fleet
    the run needed, with a limit at most that limit."""
    sh, st, runs = net.config.shuttle, net.steps, net.shuttle_runs
    tt, names = net.meta["drive_min"], [str(s) for s in st.spot.values]

    def mean_wait(w: str, n: str) -> float | None:
        tot = float(st[n].sum())
        return round(float(np.nansum(st[w] * st[n]) / tot), 2) if tot > 0 else None

    peak = {}
    if len(runs):
        per_h = runs.assign(hour=runs["time"].dt.floor("1h")).groupby(["spot", "direction", "hour"]).size()
        peak = {str(k): int(v) for k, v in per_h.groupby(level=0).max().items()}
    return {"dispatch": sh.dispatch, "fleet_per_line": sh.fleet_per_line, "headway_min": sh.headway_min,
            "min_headway_min": sh.min_headway_min,
            "capacity_persons": sh.capacity_persons, "bus_runs": int(len(runs)),
            "mean_hub_wait_min": mean_wait("hub_wait_min", "hub_boarded_persons"),
            "mean_stop_wait_min": mean_wait("stop_wait_min", "stop_boarded_persons"),
            "peak_bus_runs_per_h": peak,
            "no_bus_gave_up_at_hub_persons": net.counters.get("no_shuttle_gave_up_persons"),
            "no_bus_left_spots_by_other_means_persons": net.counters.get("no_shuttle_other_means_persons"),
            "fleet": fleet_size(runs, [[tt[0][i + 1], tt[i + 1][0]] for i in range(len(names))], names,
                                sh.layover_min, sh.first_h, sh.last_h) | {"layover_min": sh.layover_min}}


def raised_alerts(alerts: pd.DataFrame) -> int:
    """Rows of an alert log that raise a level (the others clear one)."""
    if alerts.empty:
        return 0
    from sim.crowd.network_config import ALERT_CODES

    rank = {c: k for k, c in enumerate(ALERT_CODES)}
    return int((alerts["level"].map(rank) > alerts["previous"].map(rank)).sum())


def alerts_ahead(alerts: pd.DataFrame, spots: list[str], now: pd.Timestamp) -> dict[str, dict[str, Any]]:
    """For a run made during the day (counts to ``now``): per spot its alert level at ``now``, the
    changes of the log after it that day ("HH:MM level", local time) and the first time it is at
    red (``now`` if it already is; None if not that day) -- what a duty officer reads at ``now``."""
    t = pd.to_datetime(alerts["time"]) if len(alerts) else pd.Series(dtype="datetime64[ns]")
    end = now.normalize() + pd.Timedelta(days=1)
    out = {}
    for sp in spots:
        sel = (alerts["spot"].astype(str) == sp).to_numpy() if len(alerts) else np.zeros(0, bool)
        tm, lv = t[sel], alerts["level"][sel].astype(str)
        before = lv[(tm <= now).to_numpy()]
        level = before.iloc[-1] if len(before) else "green"
        today = ((tm > now) & (tm < end)).to_numpy()
        changes = [f"{x:%H:%M} {y}" for x, y in zip(tm[today], lv[today])]
        red = "now" if level == "red" else next((c[:5] for c in changes if c.endswith(" red")), None)
        out[sp] = {"level_now": level, "changes_today": changes, "red_from": red}
    return out


def alert_hours(net: Any) -> pd.DataFrame:
    """Per spot the exact hours at or above the yellow and the red threshold (``hours_yellow_or_red``,
    ``hours_red``), integrated from the network's threshold crossings (every change of a spot's
    exact level, with the occupancy after it: between two crossings the level is constant), and
    the hours the alert log held each alert (``hours_alert_yellow_or_red``, ``hours_alert_red``):
    a raised alert is cleared only once the load has fallen its deadband below the threshold, so
    these are the longer figures and the ones that match alerts.csv; both up to the end of the
    last output step."""
    from sim.crowd.capacity import RED_FRACTION, YELLOW_FRACTION
    from sim.crowd.network_config import ALERT_CODES

    st = net.steps
    t0 = pd.Timestamp(st.time.values[0])
    t_end_h = len(st.time) * net.config.step_min / 60.0
    rank = {c: float(k) for k, c in enumerate(ALERT_CODES)}  # green 0, yellow 1, red 2
    rows = []
    for sp in st.spot.values:
        a = net.crossings[net.crossings["spot"] == str(sp)].sort_values("time", kind="stable")
        t_h = ((a["time"] - t0) / pd.Timedelta("1h")).to_numpy(float)
        occ = a["occupancy_persons"].to_numpy(float)
        cap = float(st.capacity_persons.sel(spot=sp))
        g = net.alerts[net.alerts["spot"] == str(sp)].sort_values("time", kind="stable")
        g_h = ((g["time"] - t0) / pd.Timedelta("1h")).to_numpy(float)
        lvl = g["level"].map(rank).to_numpy(float)  # the logged level as a number: >= 1 yellow or red
        rows.append({"spot": str(sp),
                     "hours_yellow_or_red": hours_above(t_h, occ, cap, YELLOW_FRACTION, t_end_h),
                     "hours_red": hours_above(t_h, occ, cap, RED_FRACTION, t_end_h),
                     "hours_alert_yellow_or_red": hours_above(g_h, lvl, 1.0, rank["yellow"], t_end_h),
                     "hours_alert_red": hours_above(g_h, lvl, 1.0, rank["red"], t_end_h)})
    return pd.DataFrame(rows)
