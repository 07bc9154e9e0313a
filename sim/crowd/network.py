"""Scenic-network simulation (SimPy): tourists arrive, park, queue at gates, visit spots, move
between them over the road graph or by shuttle, divert from crowded spots, and leave.

Entities are GROUPS of ``group_persons`` tourists (a party or a share of a coach) travelling by
one mode: car, coach or shuttle bus. One SimPy process per group follows its itinerary:

1. arrival at the hub (the node where tourists enter the network: a place, a point, or by
   default the road node nearest the centroid of the spots) at the time given by the arrivals
   table, with an intended first spot; if diversion messages are on and that spot's yellow
   (80 %) or red (100 %) alert is raised (LB/T 034-2014 alert levels, :mod:`sim.crowd.capacity`;
   raised when the occupancy reaches the level, cleared when it falls ``alert_deadband`` of the
   capacity below it: the deadband of alarm management, ANSI/ISA-18.2, so that an occupancy
   hovering at 80 % does not switch the messages on and off with every group), a share of the
   groups re-choose among the other spots;
2. reservation: the spot's daily quota is booked at the decision; persons beyond it are turned
   away (``quota_policy="turn_away"``) or re-booked at another spot (``"other_spot"``);
3. travel: cars and coaches drive the fastest road path (free-flow ``travel_time_s`` of the
   twin's graph), shuttle riders wait at the hub stop for a bus of the spot's line (a bus
   leaves when full or at the latest after a headway, or by a fixed timetable, from ``first_h``
   to ``last_h``; capacity in persons, groups split when a bus is full, extra buses clear the
   stop at the last departure; after it, riders to a spot give up and riders leaving a spot go
   by other means; with ``shuttle.fleet_per_line`` a departure also needs one of the line's
   buses at its end, and idle buses run over to where riders wait, taking along whoever waits at
   their own stop, and ``shuttle.clear_out_max_min`` ends the clear-out at the last departure:
   those still waiting then give up or go by other means);
4. parking: cars and coaches wait (FIFO) for a free space/bay and hold it for the whole visit;
   at closing time those still waiting give up (closed out);
5. gate: FIFO queue in front of ``gates`` servers; a group holds one gate for the sum of its
   members' service times (each person ~ Gamma with mean 1/rate and the coefficient of
   variation ``gate_service_cv``; cv = 1 is exponential, so a group of one is an M/M/c
   customer and a group of n needs Gamma(n, rate)); gates open at ``open_h``; a group whose
   check would end after ``close_h`` is closed out (a spot open 0-24 never closes); with
   ``admission_stop_at_red`` no one passes while the spot is at its red level (the queue
   stops, a ``simpy.Container`` of admitted persons; those let in only as the visitors inside
   leave at closing time are closed out too);
6. dwell: lognormal with the spot's mean stay (LB/T 034-2014 stay by grade) and ``dwell_cv``,
   cut at closing time;
7. next spot: with probability ``next_spot_prob`` (up to ``max_spots`` visits) the group moves
   on, choosing among the open (or opening within the hour, and not closing within
   ``latest_entry_before_close_min``), unvisited spots with quota left by a multinomial logit
   (McFadden 1974, in Zarembka (ed.), Frontiers in Econometrics, 105-142)::

       P_j = exp(V_j) / sum_k exp(V_k),
       V_j = beta_attr * A_j - beta_crowd * occupancy_j / capacity_j - beta_time * t_ij [min]

   (the crowding term only when diversion messages are on: without them tourists do not know
   the crowding; shuttle riders' t_ij is via the hub plus half a headway per ride, and with the
   messages also the busloads already queuing at the hub for spot j's line times that line's
   interval between loaded departures, and with a limited fleet half the excess of the round trip
   per bus (round trip / fleet) over the headway); otherwise
   it leaves by its mode through the hub.

Gates and parking lots are FIFO servers/lots with the semantics of ``simpy.Resource`` and of
``simpy.Container`` gets (head-of-line blocking), written directly so that a free server or
space is taken without creating an event (a third fewer SimPy events per visit); SimPy drives every
delay, queue wake-up and bus. Gate waits, queue lengths and occupancies are integrated exactly
from the event times (every change of a level is recorded), so the time-averaged queue L and
the person-weighted mean wait W satisfy Little's law L = lambda W on every sample path that
starts and ends empty (Little 1961, Oper. Res. 9(3):383; the sample-path form: Stidham 1974,
Oper. Res. 22(2):417).

Granularity: a group of n passes the gate as one customer served for the sum of n service
times, so the gate's throughput is right at the person level; a person's wait is the group's
wait for a gate (the members' serial service inside the group counts as service) and parking
takes whole groups' vehicles. 20 persons is the default, a group of one is the exact
person-level model. Convergence (``benchmarks/crowd_network.py --convergence``: one holiday
day, 60,000 tourists, six spots, 3 seeds; groups of 40/20/10/5/2): the network's peak
occupancy agrees within 2 % at every size and gate entries within 2 %, but big groups
understate gate waits when queues are short (mean 0.23 min at 20, 0.33 at 10, 0.36 at 2) and
overstate car-park give-ups (+19 % at 20, +5 % at 10 against 2): use groups of 5-10 for
gate-wait or parking studies.

Not modelled: road congestion (free-flow times; the loads are outputs, not feedback), walking
between adjacent spots, background traffic, tourists' reaction to queues at the gate or to a
full car park (they wait), parking search.
"""
from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from typing import Any, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from sim.crowd.capacity import RED_FRACTION, YELLOW_FRACTION
from sim.crowd.network_config import (  # noqa: F401  (re-exported: the configuration API lives there)
    ALERT_CODES, MEASURES, MODES, PCU, VEHICLE_KINDS, ChoiceConfig, ModeConfig, NetworkConfig,
    ShuttleConfig, SpotConfig, _check_arrivals, apply_measures, check_config, default_config, erlang_c_wait_min)
from sim.crowd.network_demand import (  # noqa: F401  (re-exported: the demand API lives there)
    arrivals_from_forecast, first_visit_demand, visits_per_tourist)
from sim.crowd.network_roads import drive_minutes, road_paths
from sim.crowd.network_levels import (NQ, PERSON_QS, Q_GATEQ, Q_HUB, Q_OCC, Q_PARKQV, Q_PCAR, Q_PCOACH, Q_STOP,
                                      TO_HUB, TO_SPOT)
from sim.crowd.network_sim import NetworkSim, arrival_groups
from twin.errors import InputError

# ------------------------------------------------------------------ result
_LEVEL_LOG = ("spot", "level", "previous", "occupancy_persons")  # columns of the alert and crossing logs


@dataclass
class NetworkResult:
    """15-min outputs of :func:`simulate_network`.

    ``steps`` (xarray, time = start of each step, spot): occupancy_persons (time-average),
    occupancy_max_persons, capacity_persons, occupancy_ratio (max / capacity), alert (of the max),
    gate_queue_persons (time-average persons waiting), gate_queue_max_persons, gate_wait_min
    (person-weighted mean wait of those reaching a gate in the step; NaN if none),
    gate_start_persons (reaching a gate), gate_entries_persons (through a gate), parking_cars /
    parking_coaches (time-average occupied) and their capacities, parking_queue_vehicles,
    hub_wait_min / stop_wait_min and hub_boarded_persons / stop_boarded_persons (shuttle riders
    boarding at the hub towards the spot / at the spot's stop, their mean wait),
    shuttle_waiting_persons (time-average at both stops), turned_away_persons (quota),
    closed_out_persons (still waiting for parking or at a gate at closing time), diverted_persons
    (away from the spot);
    per time: arrived_persons, departed_persons (in the step), present_persons (at the step's
    end, the sum of all states), cum_arrived_persons, cum_departed_persons.
    ``link_vehicles`` (time, link, vehicle): tourist vehicles entering each road link in the step;
    ``links`` the links (u, v, key, name, capacity_vph, geometry); ``alerts`` every alert raised
    or cleared (a level is raised when the occupancy reaches its threshold and cleared only when
    it falls ``alert_deadband`` of the capacity below it, so the log does not flap); ``crossings``
    every crossing of a threshold itself (the exact levels, for the hours above them);
    ``shuttle_runs`` every bus (time, spot, direction, persons);
    ``gate_waits`` every group that queued at a gate (time it joined, spot, persons, wait_min,
    served: False when closed out at closing time); ``counters`` the run's totals, persons:
    arrived, departed, present at the end, turned away, closed out (at a gate, or at the hub with
    no shuttle to the spot left), closed out waiting for parking, diverted, gate entries, and of
    the shuttle riders without a bus (after the day's last departure or the clear-out's cut-off)
    those who gave their visit up at the hub (``no_shuttle_gave_up_persons``, also closed out) and
    those who left a spot by other means (``no_shuttle_other_means_persons``).
    """

    steps: xr.Dataset
    link_vehicles: xr.DataArray
    links: gpd.GeoDataFrame
    alerts: pd.DataFrame
    shuttle_runs: pd.DataFrame
    gate_waits: pd.DataFrame
    config: NetworkConfig
    counters: dict[str, float]
    meta: dict[str, Any]
    crossings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["time", *_LEVEL_LOG]))

    def summary(self) -> pd.DataFrame:
        """One row per spot: peaks, the worst alert, queues, waits and the persons turned away."""
        s = self.steps
        rows = []
        for sp in s.spot.values:
            d = s.sel(spot=sp)
            occ = d.occupancy_max_persons.values
            i = int(np.argmax(occ))
            w = d.gate_wait_min.values
            ns = d.gate_start_persons.values
            rows.append({
                "spot": str(sp), "capacity_persons": float(d.capacity_persons),
                "peak_occupancy_persons": float(occ[i]), "peak_time": pd.Timestamp(s.time.values[i]),
                "worst_alert": ALERT_CODES[max(ALERT_CODES.index(a) for a in d.alert.values)],
                "entries_persons": float(d.gate_entries_persons.sum()),
                "max_gate_queue_persons": float(d.gate_queue_max_persons.max()),
                "mean_gate_wait_min": float(np.nansum(w * ns) / ns.sum()) if ns.sum() > 0 else float("nan"),
                "p95_gate_wait_min": self._wait_quantile(str(sp), 0.95),
                "turned_away_persons": float(d.turned_away_persons.sum()),
                "closed_out_persons": float(d.closed_out_persons.sum()),
                "diverted_persons": float(d.diverted_persons.sum()),
            })
        return pd.DataFrame(rows)

    def _wait_quantile(self, spot: str, q: float) -> float:
        """Person-weighted quantile of the gate wait at a spot."""
        w = self.gate_waits[(self.gate_waits["spot"] == spot) & self.gate_waits["served"]]
        if w.empty:
            return float("nan")
        o = np.argsort(w["wait_min"].to_numpy(), kind="stable")
        cum = np.cumsum(w["persons"].to_numpy()[o])
        return float(w["wait_min"].to_numpy()[o][np.searchsorted(cum, q * cum[-1])])

    def traffic_lines(self, time: Any | None = None) -> gpd.GeoDataFrame:
        """Links with tourist flow (vehicles/h and pcu/h) in the step at ``time`` (default: the
        step with the most vehicles) and the tourist v/c against the link's ``capacity_vph``."""
        lv = self.link_vehicles
        if lv.sizes["time"] == 0:
            raise InputError("link_vehicles: the run produced no steps")
        if time is None:
            k = int(np.argmax(lv.sum(("link", "vehicle")).values))
        else:
            t = pd.Timestamp(time)
            k = int(np.searchsorted(lv.time.values, np.datetime64(t), side="right") - 1)
            if k < 0:
                raise InputError(f"time {t}: expected >= {pd.Timestamp(lv.time.values[0])}")
        per_h = 60.0 / self.config.step_min
        v = lv.isel(time=k).values  # (link, vehicle)
        out = self.links.copy()
        out["time"] = pd.Timestamp(lv.time.values[k])
        for j, kind in enumerate(VEHICLE_KINDS):
            out[f"{kind}_vph"] = v[:, j] * per_h
        out["pcu_h"] = sum(v[:, j] * PCU[kind] for j, kind in enumerate(VEHICLE_KINDS)) * per_h
        out["vc_ratio"] = out["pcu_h"] / out["capacity_vph"].where(out["capacity_vph"] > 0)
        return out


def _levels(ct: np.ndarray, ck: np.ndarray, cd: np.ndarray, nk: int, edges: np.ndarray):
    """End-of-step snapshot, time-average and max per step of every recorded level."""
    ns = len(edges) - 1
    snap = np.zeros((nk, ns))
    mean = np.zeros((nk, ns))
    mx = np.zeros((nk, ns))
    order = np.lexsort((ct, ck))  # by level, then time (departures are recorded ahead of time)
    bounds = np.searchsorted(ck[order], np.arange(nk + 1))
    step = edges[1] - edges[0]
    for k in range(nk):
        idx = order[bounds[k]:bounds[k + 1]]
        if len(idx) == 0:
            continue
        t, lv = ct[idx], np.cumsum(cd[idx])
        # level just after the last change at or before each time
        j = np.searchsorted(t, edges, side="right") - 1
        at = np.where(j >= 0, lv[np.maximum(j, 0)], 0.0)
        snap[k] = at[1:]
        # integral of the piecewise-constant level up to each edge
        integ = np.concatenate([[0.0], np.cumsum(lv[:-1] * np.diff(t))])
        i_e = np.where(j >= 0, integ[np.maximum(j, 0)] + at * (edges - t[np.maximum(j, 0)]), 0.0)
        mean[k] = np.diff(i_e) / step
        m = at[:-1].copy()
        s_idx = np.clip(((t - edges[0]) // step).astype(np.int64), 0, ns - 1)
        np.maximum.at(m, s_idx, lv)
        mx[k] = m
    for a in (snap, mean, mx):  # float sums of vehicle fractions: drop round-off residue
        a[np.abs(a) < 1e-6] = 0.0
    return snap, mean, mx


def _per_step(rec: list, edges: np.ndarray, S: int, weight_col: int = 2, value_col: int | None = None):
    """Sums per (spot, step) of a record list (t, spot, n[, value])."""
    ns = len(edges) - 1
    out = np.zeros((S, ns))
    if not rec:
        return out
    a = np.asarray(rec, dtype=float)
    st = np.clip(((a[:, 0] - edges[0]) // (edges[1] - edges[0])).astype(np.int64), 0, ns - 1)
    w = a[:, weight_col] if value_col is None else a[:, weight_col] * a[:, value_col]
    np.add.at(out, (a[:, 1].astype(np.int64), st), w)
    return out


def simulate_network(city, arrivals: pd.DataFrame, config: NetworkConfig | None = None, *, seed: int = 0,
                     measures: Mapping[str, Any] | None = None) -> NetworkResult:
    """Simulate tourists through the scenic network (see the module docstring).

    ``arrivals``: rows (time, spot, arrivals_persons) — tourists entering the network in
    [time, time + step) with that spot as intended first spot (step = the smallest spacing of
    the times; a forecast at 15 min or 1 h fits; see :func:`arrivals_from_forecast`); optional
    columns ``mode`` (the rows' mode instead of a draw by the mode shares) and ``lead_min``
    (they leave the hub that much earlier, to reach the spot in the step:
    :func:`first_visit_demand`).
    ``config`` defaults to :func:`default_config` on the arrivals' spots; ``measures`` are
    applied to it (:func:`apply_measures`). Same seed, same result."""
    t_wall, t_cpu = _time.perf_counter(), _time.process_time()
    if config is None:
        config = default_config(city, arrivals=_check_arrivals(arrivals, city, None))
    check_config(config)
    cfg = apply_measures(config, measures)
    df = _check_arrivals(arrivals, city, cfg)
    times = np.unique(df["time"].to_numpy())
    if len(times) > 1:
        step_in_min = float(np.min(np.diff(times)) / np.timedelta64(1, "m"))
    else:
        step_in_min = cfg.step_min
    t0 = pd.Timestamp(df["time"].min()).normalize()
    tt, od_links, od_offs, links, nodes = road_paths(city, cfg)
    names = [s.name for s in cfg.spots]
    S = len(names)
    rng = np.random.default_rng(seed)
    gt, gs, gn, gm = arrival_groups(df, names, cfg, t0, step_in_min, rng)
    days = int(math.ceil(((df["time"].max() - t0) / pd.Timedelta("1min") + step_in_min) / 1440.0)) + 1
    sim = NetworkSim(cfg, tt, int(rng.integers(2 ** 31)), days)
    env = sim.env
    env.process(sim.source(gt, gs, gn, gm))
    for i in range(S):
        env.process(sim.closer(i))
    if "shuttle" in cfg.modes and cfg.modes["shuttle"].share > 0:
        for i in range(S):
            for d in (TO_SPOT, TO_HUB):
                env.process(sim.shuttle(i, d))
    t_sim, c_sim = _time.perf_counter(), _time.process_time()
    env.run()
    sim_s, sim_cpu_s = _time.perf_counter() - t_sim, _time.process_time() - c_sim
    n_events = next(env._eid) if hasattr(env, "_eid") else -1  # events scheduled (SimPy internal counter)

    # ---- 15-min outputs
    step = cfg.step_min
    t_end = max(env.now, days * 1440.0, max(sim.ch_t, default=0.0))
    ns = int(math.ceil(t_end / step))
    edges = np.arange(ns + 1) * step
    nk = NQ * S + 1
    snap, mean, mx = _levels(np.asarray(sim.ch_t, float), np.asarray(sim.ch_k, np.int64),
                             np.asarray(sim.ch_d, float), nk, edges)

    def q(arr, qq):
        return arr[qq * S:(qq + 1) * S]

    served = [w[:4] for w in sim.waits if w[4]]
    starts = _per_step(served, edges, S)
    wsum = _per_step(served, edges, S, 2, 3)
    sw = [(t, i, n, w) for t, i, d, n, w in sim.shuttle_waits if d == TO_SPOT]
    sw2 = [(t, i, n, w) for t, i, d, n, w in sim.shuttle_waits if d == TO_HUB]
    hub_n, hub_w = _per_step(sw, edges, S), _per_step(sw, edges, S, 2, 3)
    stop_n, stop_w = _per_step(sw2, edges, S), _per_step(sw2, edges, S, 2, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        wait = np.where(starts > 0, wsum / starts, np.nan)
        hub_wait = np.where(hub_n > 0, hub_w / hub_n, np.nan)
        stop_wait = np.where(stop_n > 0, stop_w / stop_n, np.nan)
    cap = np.array([s.capacity_persons for s in cfg.spots])
    occ_max = q(mx, Q_OCC)
    ratio = occ_max / cap[:, None]
    alert = np.where(ratio >= RED_FRACTION, "red", np.where(ratio >= YELLOW_FRACTION, "yellow", "green"))

    def flows(rec):
        out = np.zeros(ns)
        if rec:
            a = np.asarray(rec, float)
            np.add.at(out, np.clip((a[:, 0] // step).astype(np.int64), 0, ns - 1), a[:, 1])
        return out

    arrived, departed = flows(sim.arr), flows(sim.dep)
    present = sum(q(snap, qq).sum(axis=0) for qq in PERSON_QS) + snap[NQ * S]
    time_idx = t0 + pd.to_timedelta(edges[:-1], unit="min")
    ts = ("spot", "time")
    steps = xr.Dataset(
        {"occupancy_persons": (ts, q(mean, Q_OCC)), "occupancy_max_persons": (ts, occ_max),
         "capacity_persons": ("spot", cap), "occupancy_ratio": (ts, ratio), "alert": (ts, alert),
         "gate_queue_persons": (ts, q(mean, Q_GATEQ)), "gate_queue_max_persons": (ts, q(mx, Q_GATEQ)),
         "gate_wait_min": (ts, wait), "gate_start_persons": (ts, starts),
         "gate_entries_persons": (ts, _per_step(sim.entries, edges, S)),
         "parking_cars": (ts, q(mean, Q_PCAR)), "parking_coaches": (ts, q(mean, Q_PCOACH)),
         "parking_cars_capacity": ("spot", np.array([s.parking_cars for s in cfg.spots])),
         "parking_coaches_capacity": ("spot", np.array([s.parking_coaches for s in cfg.spots])),
         "parking_queue_vehicles": (ts, q(mean, Q_PARKQV)),
         "hub_wait_min": (ts, hub_wait), "stop_wait_min": (ts, stop_wait),
         "hub_boarded_persons": (ts, hub_n), "stop_boarded_persons": (ts, stop_n),
         "shuttle_waiting_persons": (ts, q(mean, Q_HUB) + q(mean, Q_STOP)),
         "turned_away_persons": (ts, _per_step(sim.turned, edges, S)),
         "closed_out_persons": (ts, _per_step(sim.closed, edges, S)),
         "diverted_persons": (ts, _per_step(sim.diverted, edges, S)),
         "arrived_persons": ("time", arrived), "departed_persons": ("time", departed),
         "present_persons": ("time", present), "cum_arrived_persons": ("time", np.cumsum(arrived)),
         "cum_departed_persons": ("time", np.cumsum(departed))},
        coords={"spot": names, "time": time_idx})
    steps = steps.transpose("time", "spot")
    steps.attrs.update(step_min=step, group_persons=cfg.group_persons, seed=seed)

    # ---- road-link loads: each trip enters link e of its path at t + offset_e
    nl = len(links)
    loads = np.zeros((3, ns * max(nl, 1)))
    if sim.trips and nl:
        tr = np.asarray(sim.trips, float)
        for od in np.unique(tr[:, 1]).astype(np.int64):
            L, off = od_links[od], od_offs[od]
            if len(L) == 0:
                continue
            sel = tr[tr[:, 1] == od]
            st = np.clip(((sel[:, 0:1] + off[None, :]) // step).astype(np.int64), 0, ns - 1)
            flat = (st * nl + L[None, :]).ravel()
            for kind in range(3):
                w = np.repeat(np.where(sel[:, 2] == kind, sel[:, 3], 0.0), len(L))
                loads[kind] += np.bincount(flat, weights=w, minlength=ns * nl)
    link_vehicles = xr.DataArray(loads.reshape(3, ns, max(nl, 1))[:, :, :nl].transpose(1, 2, 0),
                                 dims=("time", "link", "vehicle"),
                                 coords={"time": time_idx, "link": np.arange(nl), "vehicle": list(VEHICLE_KINDS)},
                                 name="vehicles")

    def level_log(rows: list) -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=["t_min", *_LEVEL_LOG])
        df.insert(0, "time", t0 + pd.to_timedelta(df.pop("t_min"), unit="min"))
        df["spot"] = [names[i] for i in df["spot"]]
        return df

    alerts, crossings = level_log(sim.alerts), level_log(sim.crossings)
    runs = pd.DataFrame(sim.runs, columns=["t_min", "spot", "direction", "persons"])
    runs.insert(0, "time", t0 + pd.to_timedelta(runs.pop("t_min"), unit="min"))
    runs["spot"] = [names[i] for i in runs["spot"]]
    runs["direction"] = np.where(runs["direction"] == TO_SPOT, "to_spot", "to_hub")

    waits = pd.DataFrame(sim.waits, columns=["t_min", "spot", "persons", "wait_min", "served"])
    waits.insert(0, "time", t0 + pd.to_timedelta(waits.pop("t_min") - waits["wait_min"], unit="min"))
    waits["spot"] = [names[i] for i in waits["spot"]]

    tot_arr = float(sum(n for _, n in sim.arr))
    tot_dep = float(sum(n for _, n in sim.dep))
    counters = {"arrived_persons": tot_arr, "departed_persons": tot_dep,
                "present_persons": float(present[-1]) if ns else 0.0,
                "turned_away_persons": float(sum(r[2] for r in sim.turned)),
                "closed_out_persons": float(sum(r[2] for r in sim.closed)),
                "closed_out_parking_persons": float(sim.closed_parking),
                "no_shuttle_gave_up_persons": float(sum(r[3] for r in sim.no_bus if r[2] == TO_SPOT)),
                "no_shuttle_other_means_persons": float(sum(r[3] for r in sim.no_bus if r[2] == TO_HUB)),
                "diverted_persons": float(sum(r[2] for r in sim.diverted)),
                "gate_entries_persons": float(sum(r[2] for r in sim.entries))}
    meta = {"groups": sim.n_groups, "events": n_events, "sim_s": sim_s, "sim_cpu_s": sim_cpu_s,
            "wall_s": _time.perf_counter() - t_wall, "cpu_s": _time.process_time() - t_cpu,
            "hub_node": nodes[0], "spot_nodes": dict(zip(names, nodes[1:])),
            "drive_min": tt, "days": days, "t0": t0}
    return NetworkResult(steps, link_vehicles, links, alerts, runs, waits, cfg, counters, meta, crossings)


__all__ = [
    "SpotConfig", "ModeConfig", "ShuttleConfig", "ChoiceConfig", "NetworkConfig", "NetworkResult", "MEASURES",
    "default_config", "check_config", "apply_measures", "visits_per_tourist", "arrivals_from_forecast",
    "first_visit_demand", "drive_minutes", "erlang_c_wait_min", "simulate_network",
]
