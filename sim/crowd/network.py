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
   twin's graph), shuttle riders wait at the hub stop for a bus of the spot's line (fixed
   headway from ``first_h`` to ``last_h``, capacity in persons, groups split when a bus is
   full, extra buses clear the stop at the last departure; after it, riders to a spot give up
   and riders leaving a spot go by other means);
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
   the crowding; shuttle riders' t_ij is via the hub plus half a headway per ride); otherwise
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

import difflib
import math
import random
import warnings
import time as _time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import simpy
import xarray as xr

from sim.crowd.capacity import RED_FRACTION, YELLOW_FRACTION
from sim.crowd.network_config import (  # noqa: F401  (re-exported: the configuration API lives there)
    ALERT_CODES, MEASURES, MODES, PCU, VEHICLE_KINDS, ChoiceConfig, ModeConfig, NetworkConfig,
    ShuttleConfig, SpotConfig, _check_arrivals, apply_measures, arrivals_from_forecast, check_config, default_config,
    erlang_c_wait_min, first_visit_demand, visits_per_tourist)
from twin.errors import InputError
from twin.routing import nearest_nodes, path_edges, routable

# Level quantities recorded per spot (index q * n_spots + spot) and the global one after them.
_Q_OCC, _Q_GATEQ, _Q_GATESV, _Q_PARKQ, _Q_STOP, _Q_HUB, _Q_PARKQV, _Q_PCAR, _Q_PCOACH = range(9)
_NQ = 9
_PERSON_QS = (_Q_OCC, _Q_GATEQ, _Q_GATESV, _Q_PARKQ, _Q_STOP, _Q_HUB)
_CAR, _COACH, _SHUTTLE = 0, 1, 2
_DRIVE, _RIDE = 0, 1
_TO_SPOT, _TO_HUB = 0, 1


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
    served: False when closed out at closing time).
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


# ------------------------------------------------------------------ simulation
class _Group:
    __slots__ = ("n", "mode", "at", "target", "visited", "nvis", "legs")

    def __init__(self, n: int, mode: int, at: int) -> None:
        self.n = n
        self.mode = mode
        self.at = at  # 0 = hub, 1 + i = spot i
        self.target = -1  # spot index to visit next, -1 = leave
        self.visited = 0  # bit mask
        self.nvis = 0
        self.legs: list[tuple[int, int, int]] = []

    def split(self, n: int) -> "_Group":
        g = _Group(n, self.mode, self.at)
        g.target, g.visited, g.nvis, g.legs = self.target, self.visited, self.nvis, list(self.legs)
        return g


class _Servers:
    """c identical servers and one FIFO queue: the semantics of ``simpy.Resource(capacity=c)``,
    but a free server is taken without creating an event (a third fewer events per visit)."""

    __slots__ = ("free", "queue")

    def __init__(self, c: int) -> None:
        self.free = c
        self.queue: deque = deque()

    def release(self) -> None:
        if self.queue:
            self.queue.popleft().succeed()  # the server passes straight to the next in line
        else:
            self.free += 1


class _Lot:
    """A parking lot of free spaces with a FIFO queue of vehicles waiting for space: the
    semantics of ``simpy.Container`` gets (head-of-line blocking) without events when free."""

    __slots__ = ("free", "queue")

    def __init__(self, spaces: float) -> None:
        self.free = float(spaces)  # inf: unlimited
        self.queue: deque = deque()

    def put(self, veh: float) -> None:
        self.free += veh
        q = self.queue
        while q and q[0][0] <= self.free + 1e-9:
            v, ev = q.popleft()
            self.free -= v
            ev.succeed(True)


class _Sim:
    """State and processes of one run (internal)."""

    def __init__(self, cfg: NetworkConfig, tt_min: np.ndarray, seed: int) -> None:
        self.cfg = cfg
        self.S = S = len(cfg.spots)
        self.env = simpy.Environment()
        self.rnd = random.Random(seed)
        self.tt = tt_min.tolist()  # (S+1, S+1) drive minutes, 0 = hub
        env = self.env
        self.gates = [_Servers(s.gates) for s in cfg.spots]
        self.park = [[_Lot(cap) for cap in (s.parking_cars, s.parking_coaches)] for s in cfg.spots]
        self.admit = [simpy.Container(env, capacity=RED_FRACTION * s.capacity_persons, init=0)
                      if cfg.admission_stop_at_red else None for s in cfg.spots]
        self.cap = [s.capacity_persons for s in cfg.spots]
        self.quota = [s.reservation_quota_persons_day for s in cfg.spots]
        self.booked: list[dict[int, float]] = [dict() for _ in range(S)]
        self.level = [0] * S  # alert level as raised (with the deadband)
        self.exact = [0] * S  # level of the occupancy itself
        self.clear_at = [0.0, YELLOW_FRACTION - cfg.alert_deadband, RED_FRACTION - cfg.alert_deadband]
        self.stops = [[deque(), deque()] for _ in range(S)]  # [to spot (at hub), to hub (at spot)]
        self.full: list[list[Any]] = [[None, None] for _ in range(S)]  # a when_full line waiting for a load
        mode_cfg = [cfg.modes.get(m) for m in MODES]
        self.ppv = [m.persons_per_vehicle if m is not None else 1.0 for m in mode_cfg]
        c = cfg.choice
        self.attr = [c.beta_attr * s.attractiveness for s in cfg.spots]
        sh = cfg.shuttle
        self.ride_min = [[self.tt[0][i + 1], self.tt[i + 1][0]] for i in range(S)]
        n_dep = int(math.floor((sh.last_h - sh.first_h) * 60.0 / sh.headway_min + 1e-9)) + 1
        self.last_dep_min = sh.first_h * 60.0 + (n_dep - 1) * sh.headway_min  # of the day
        # perceived travel time to each spot from each node, by mode (shuttle via the hub)
        self.perceived = []
        for mode in range(3):
            rows = []
            for a in range(S + 1):
                if mode == _SHUTTLE:
                    rows.append([(0.0 if a == 0 else self.tt[a][0] + sh.headway_min / 2) + self.tt[0][j + 1]
                                 + sh.headway_min / 2 for j in range(S)])
                else:
                    rows.append([self.tt[a][j + 1] for j in range(S)])
            self.perceived.append(rows)
        # recorders
        self.live = [0.0] * (_NQ * S + 1)
        self.ch_t: list[float] = []
        self.ch_k: list[int] = []
        self.ch_d: list[float] = []
        self.arr: list[tuple[float, int]] = []
        self.dep: list[tuple[float, int]] = []
        self.waits: list[tuple[float, int, int, float]] = []  # (t at gate, spot, n, wait)
        self.entries: list[tuple[float, int, int]] = []
        self.turned: list[tuple[float, int, int]] = []
        self.closed: list[tuple[float, int, int]] = []
        self.diverted: list[tuple[float, int, int]] = []
        self.shuttle_waits: list[tuple[float, int, int, int, float]] = []  # (t, spot, dir, n, wait)
        self.runs: list[tuple[float, int, int, int]] = []
        self.trips: list[tuple[float, int, int, float]] = []  # (t, od, vehicle kind, vehicles)
        self.alerts: list[tuple[float, int, str, str, float]] = []
        self.crossings: list[tuple[float, int, str, str, float]] = []
        self.n_groups = 0
        self.closed_parking = 0
        self.TRAVEL = _NQ * S

    # -- bookkeeping
    def _chg(self, k: int, d: float) -> None:
        self.ch_t.append(self.env.now)
        self.ch_k.append(k)
        self.ch_d.append(d)
        self.live[k] += d

    def _occ(self, i: int, d: int) -> None:
        k = _Q_OCC * self.S + i
        self._chg(k, d)
        r = self.live[k] / self.cap[i]
        lvl = 2 if r >= RED_FRACTION else (1 if r >= YELLOW_FRACTION else 0)
        if lvl != self.exact[i]:
            self.crossings.append((self.env.now, i, ALERT_CODES[lvl], ALERT_CODES[self.exact[i]], self.live[k]))
            self.exact[i] = lvl
        raised = max(lvl, self.level[i])
        while raised > lvl and r < self.clear_at[raised]:  # cleared only below threshold - deadband
            raised -= 1
        if raised != self.level[i]:
            self.alerts.append((self.env.now, i, ALERT_CODES[raised], ALERT_CODES[self.level[i]], self.live[k]))
            self.level[i] = raised

    def _day(self) -> int:
        return int(self.env.now // 1440.0)

    def _tod_h(self) -> float:
        return (self.env.now % 1440.0) / 60.0

    def _quota_left(self, i: int, day: int) -> float:
        return self.quota[i] - self.booked[i].get(day, 0.0)

    def _book(self, i: int, n: int, day: int) -> None:
        self.booked[i][day] = self.booked[i].get(day, 0.0) + n

    # -- choice
    def _choose(self, g: _Group, exclude: int, n: int) -> int:
        """A spot by the logit among the open, unvisited spots with quota for n; -1 if none."""
        c = self.cfg.choice
        tod, day = self._tod_h(), self._day()
        tt = self.perceived[g.mode][g.at]
        cand, util = [], []
        for j, s in enumerate(self.cfg.spots):
            if j == exclude or (g.visited >> j) & 1:
                continue
            if not (s.open_h - 1.0 <= tod <= s.close_h - c.latest_entry_before_close_min / 60.0) \
                    or self._quota_left(j, day) < n:
                continue
            v = self.attr[j] - c.beta_time_per_min * tt[j]
            if self.cfg.diversion:
                v -= c.beta_crowd * self.live[_Q_OCC * self.S + j] / self.cap[j]
            cand.append(j)
            util.append(v)
        if not cand:
            return -1
        m = max(util)
        w = [math.exp(u - m) for u in util]
        x = self.rnd.random() * sum(w)
        acc = 0.0
        for j, wj in zip(cand, w):
            acc += wj
            if x < acc:
                return j
        return cand[-1]

    def _legs_to(self, g: _Group, j: int) -> list[tuple[int, int, int]]:
        """Legs from where g is to spot j (j = -1: the hub, leaving)."""
        if g.mode != _SHUTTLE:
            return [(_DRIVE, g.at, 0 if j < 0 else j + 1)]
        legs = []
        if g.at > 0:
            legs.append((_RIDE, g.at - 1, _TO_HUB))
        if j >= 0:
            legs.append((_RIDE, j, _TO_SPOT))
        return legs

    # -- processes
    def source(self, t: np.ndarray, spot: np.ndarray, n: np.ndarray, mode: np.ndarray):
        """Releases the groups at their arrival times."""
        env = self.env
        t, spot, n, mode = t.tolist(), spot.tolist(), n.tolist(), mode.tolist()
        for k in range(len(t)):
            dt = t[k] - env.now
            if dt > 0:
                yield env.timeout(dt)
            g = _Group(n[k], mode[k], 0)
            self.arr.append((env.now, g.n))
            self._chg(self.TRAVEL, g.n)
            self._arrive(g, spot[k], True)

    def _arrive(self, g: _Group, intended: int, first: bool) -> None:
        """Diversion at arrival and the reservation, then the group's process starts."""
        now = self.env.now
        c, day = self.cfg.choice, int(now // 1440.0)
        s = intended
        if first and self.cfg.diversion and self.level[s] > 0:
            share = c.divert_share_red if self.level[s] == 2 else c.divert_share_yellow
            if self.rnd.random() < share:
                j = self._choose(g, s, g.n)
                if j >= 0:
                    self.diverted.append((now, s, g.n))
                    s = j
        left = self.quota[s] - self.booked[s].get(day, 0.0)
        if left < g.n:
            k = max(0, int(math.floor(left)))
            rest = g.n - k
            j = self._choose(g, s, rest) if self.cfg.quota_policy == "other_spot" else -1
            if j >= 0:
                self._arrive(g.split(rest), j, False)
            else:
                self.turned.append((now, s, rest))
                self._chg(self.TRAVEL, -rest)
                self.dep.append((now, rest))
            if k == 0:
                return
            g.n = k
        self._book(s, g.n, day)
        g.target = s
        g.legs = self._legs_to(g, s)
        self.n_groups += 1
        self.env.process(self.run(g))

    def _leave(self, g: _Group, t: float) -> None:
        """Record the group's departure at time t (>= now: the last leg needs no wake-up)."""
        self.ch_t.append(t)
        self.ch_k.append(self.TRAVEL)
        self.ch_d.append(-g.n)
        self.live[self.TRAVEL] -= g.n
        self.dep.append((t, g.n))

    def resume(self, g: _Group, ev: simpy.Event, ride_min: float, at: int):
        """A split-off part of a group that waits for a later bus."""
        yield ev
        if not g.legs and g.target < 0:
            self._leave(g, self.env.now + ride_min)
            return
        yield self.env.timeout(ride_min)
        g.at = at
        yield from self.run(g)

    def run(self, g: _Group):
        """The group's process: travel legs, then the visit (parking, gate, dwell), repeated."""
        env, S = self.env, self.S
        ct, ck, cd, live = self.ch_t, self.ch_k, self.ch_d, self.live
        k_tr = self.TRAVEL
        rnd = self.rnd
        while True:
            while g.legs:
                kind, a, b = g.legs.pop(0)
                if kind == _DRIVE:
                    self.trips.append((env.now, a * (S + 1) + b, g.mode, g.n / self.ppv[g.mode]))
                    dt = self.tt[a][b]
                else:
                    if (env.now % 1440.0) > self.last_dep_min:  # no bus until tomorrow
                        if b == _TO_SPOT:  # give up the visit and leave from the hub
                            self.closed.append((env.now, a, g.n))
                            self._leave(g, env.now)
                        else:  # leave the spot by other means (taxi, on foot)
                            self._leave(g, env.now + self.ride_min[a][b])
                        return
                    stop_k = (_Q_HUB if b == _TO_SPOT else _Q_STOP) * S + a
                    self._chg(k_tr, -g.n)
                    self._chg(stop_k, g.n)
                    ev = env.event()
                    self.stops[a][b].append([g, ev, env.now])
                    fe = self.full[a][b]
                    if fe is not None and live[stop_k] >= self.cfg.shuttle.capacity_persons - 1e-9:
                        self.full[a][b] = None
                        fe.succeed()  # a full load waits: the bus may leave early
                    yield ev
                    dt = self.ride_min[a][b]
                    b = a + 1 if b == _TO_SPOT else 0
                if not g.legs and g.target < 0:
                    self._leave(g, env.now + dt)
                    return
                if dt > 0:
                    yield env.timeout(dt)
                g.at = b
            if g.target < 0:
                self._leave(g, env.now)
                return
            # ---- the visit of spot i
            i, n = g.target, g.n
            now = env.now
            veh = 0.0
            lot = None
            ct.append(now), ck.append(k_tr), cd.append(-n)
            live[k_tr] -= n
            parked = True
            if g.mode != _SHUTTLE:  # park: wait (FIFO) for a space, hold it for the visit
                veh = n / self.ppv[g.mode]
                lot = self.park[i][g.mode]
                k_park = (_Q_PCAR if g.mode == _CAR else _Q_PCOACH) * S + i
                if lot.queue or lot.free + 1e-9 < veh:
                    self._chg(_Q_PARKQ * S + i, n)
                    self._chg(_Q_PARKQV * S + i, veh)
                    ev = env.event()
                    lot.queue.append((veh, ev))
                    parked = yield ev  # False: the spot closed before a space came free
                    self._chg(_Q_PARKQ * S + i, -n)
                    self._chg(_Q_PARKQV * S + i, -veh)
                    now = env.now
                else:
                    lot.free -= veh
                if parked:
                    ct.append(now), ck.append(k_park), cd.append(veh)
                    live[k_park] += veh
                else:
                    self.closed.append((now, i, n))
                    self.closed_parking += n
                    lot = None
            if parked:
                yield from self._gate_and_dwell(g, i, n, now)
            now = env.now
            if lot is not None:
                ct.append(now), ck.append(k_park), cd.append(-veh)
                live[k_park] -= veh
                lot.put(veh)
            ct.append(now), ck.append(k_tr), cd.append(n)
            live[k_tr] += n
            g.at, g.visited, g.nvis = i + 1, g.visited | (1 << i), g.nvis + 1
            c = self.cfg.choice
            j = -1
            if g.nvis < c.max_spots and rnd.random() < c.next_spot_prob:
                j = self._choose(g, -1, n)
                if j >= 0:
                    self._book(j, n, int(now // 1440.0))
            g.target = j
            g.legs = self._legs_to(g, j)

    def _gate_and_dwell(self, g: _Group, i: int, n: int, now: float):
        """Queue at the gate (it opens at open_h), pass it, dwell; closed out after close_h."""
        env, S = self.env, self.S
        ct, ck, cd, live = self.ch_t, self.ch_k, self.ch_d, self.live
        rnd = self.rnd
        sp = self.cfg.spots[i]
        t_join = now  # join the gate queue (it waits for opening time)
        day0 = (t_join // 1440.0) * 1440.0
        k_q = _Q_GATEQ * S + i
        ct.append(now), ck.append(k_q), cd.append(n)
        live[k_q] += n
        t_open = day0 + sp.open_h * 60.0
        if now < t_open:
            yield env.timeout(t_open - now)
        t_close = day0 + sp.close_h * 60.0 if (sp.open_h > 0 or sp.close_h < 24) else math.inf  # 0-24: never
        gates = self.gates[i]
        if gates.free > 0 and not gates.queue:
            gates.free -= 1
        else:
            ev = env.event()
            gates.queue.append(ev)
            yield ev
        now = env.now
        adm = self.admit[i]
        admitted = False
        if now < t_close and adm is not None:  # admission stopped at the red level: the gate waits
            ev = adm.put(n)
            admitted = True
            if not ev.triggered:
                yield ev
                now = env.now
        service = 0.0
        if now < t_close:
            cv = self.cfg.gate_service_cv
            rate = sp.gate_rate_persons_min
            service = n / rate if cv == 0 else rnd.gammavariate(n / (cv * cv), cv * cv / rate)
        if now >= t_close or now + service > t_close:  # closed (or it would be before the check ends): it leaves
            if admitted:
                adm.get(n)
            gates.release()
            self._chg(k_q, -n)
            self.closed.append((now, i, n))
            self.waits.append((now, i, n, now - t_join, False))
        else:
            self.waits.append((now, i, n, now - t_join, True))
            k_sv = _Q_GATESV * S + i
            ct.append(now), ck.append(k_q), cd.append(-n)
            ct.append(now), ck.append(k_sv), cd.append(n)
            live[k_q] -= n
            live[k_sv] += n
            yield env.timeout(service)
            gates.release()
            now = env.now
            ct.append(now), ck.append(k_sv), cd.append(-n)
            live[k_sv] -= n
            self._occ(i, n)
            self.entries.append((now, i, n))
            if sp.dwell_cv > 0:
                s2 = math.log1p(sp.dwell_cv * sp.dwell_cv)
                dwell = rnd.lognormvariate(math.log(sp.dwell_mean_min) - s2 / 2, math.sqrt(s2))
            else:
                dwell = sp.dwell_mean_min
            yield env.timeout(min(dwell, max(t_close - now, 0.0)))
            self._occ(i, -n)
            if adm is not None:
                adm.get(n)

    def closer(self, i: int, days: int):
        """At closing time, cars and coaches still waiting for parking give up (closed out)."""
        env, sp = self.env, self.cfg.spots[i]
        if sp.open_h <= 0 and sp.close_h >= 24:
            return
        for day in range(days):
            yield env.timeout(day * 1440.0 + sp.close_h * 60.0 - env.now)
            for lot in self.park[i]:
                while lot.queue:
                    lot.queue.popleft()[1].succeed(False)

    def shuttle(self, i: int, d: int, days: int):
        env, sh = self.env, self.cfg.shuttle
        q = self.stops[i][d]
        stop_k = (_Q_HUB if d == _TO_SPOT else _Q_STOP) * self.S + i
        od = (i + 1) if d == _TO_SPOT else (i + 1) * (self.S + 1)
        ride = self.ride_min[i][d]
        at = i + 1 if d == _TO_SPOT else 0
        cap = sh.capacity_persons
        when_full = sh.dispatch == "when_full"
        for day in range(days):
            t_first = day * 1440.0 + sh.first_h * 60.0
            t_last = day * 1440.0 + self.last_dep_min
            if t_first > env.now:
                yield env.timeout(t_first - env.now)
            while True:
                final = env.now >= t_last - 1e-9
                while True:
                    room, load = cap, 0
                    while q and room > 0:
                        g, ev, tj = q[0]
                        if g.n > room:  # split: the rest keeps its place for the next bus
                            rest = g.split(g.n - room)
                            ev2 = env.event()
                            q[0] = [rest, ev2, tj]
                            env.process(self.resume(rest, ev2, ride, at))
                            g.n = room
                        else:
                            q.popleft()
                        self._chg(stop_k, -g.n)
                        self._chg(self.TRAVEL, g.n)
                        self.shuttle_waits.append((env.now, i, d, g.n, env.now - tj))
                        room -= g.n
                        load += g.n
                        ev.succeed()
                    self.runs.append((env.now, i, d, load))
                    self.trips.append((env.now, od, 2, 1.0))
                    if not (final and q):
                        break
                if final:
                    break
                last = env.now
                nxt = min(last + sh.headway_min, t_last)  # at the latest
                while env.now < nxt - 1e-9:
                    if not when_full:
                        yield env.timeout(nxt - env.now)
                    elif self.live[stop_k] >= cap - 1e-9:  # a full load waits: go once the stop allows
                        go = min(last + min(sh.min_headway_min, sh.headway_min), nxt)
                        if go <= env.now + 1e-9:
                            break
                        yield env.timeout(go - env.now)
                    else:
                        fe = env.event()
                        self.full[i][d] = fe
                        yield env.any_of([env.timeout(nxt - env.now), fe])
                        self.full[i][d] = None


def _arrival_groups(arrivals: pd.DataFrame, names: list[str], cfg: NetworkConfig, t0: pd.Timestamp,
                    step_in_min: float, rng: np.random.Generator):
    """Group arrival times (min after t0), spots, sizes and modes from the arrivals table.

    Optional columns: ``mode`` (the rows' mode; else each group draws one by the mode shares)
    and ``lead_min`` (the groups leave the hub that long before their step: they are meant to
    reach the spot in it, :func:`first_visit_demand`)."""
    gsz = cfg.group_persons
    t_start = ((arrivals["time"] - t0) / pd.Timedelta("1min")).to_numpy(float)
    if "lead_min" in arrivals:
        t_start = t_start - arrivals["lead_min"].to_numpy(float)
    spot = arrivals["spot"].map({n: i for i, n in enumerate(names)}).to_numpy(int)
    a = arrivals["arrivals_persons"].to_numpy(float)
    fixed = arrivals["mode"].map({m: k for k, m in enumerate(MODES)}).to_numpy(int) if "mode" in arrivals else None
    if cfg.arrival_process == "poisson":
        k = rng.poisson(a / gsz)
        t = np.repeat(t_start, k) + rng.uniform(0.0, step_in_min, int(k.sum()))
        sp = np.repeat(spot, k)
        n = np.full(len(t), gsz, dtype=np.int64)
        rows = np.repeat(np.arange(len(a)), k)
    else:  # even: persons rounded with carry per spot (and mode), groups evenly spaced in each step
        persons = np.zeros(len(a), dtype=np.int64)
        carry = spot * 4 + (fixed if fixed is not None else 3)
        for s in np.unique(carry):
            idx = np.flatnonzero(carry == s)
            idx = idx[np.argsort(t_start[idx], kind="stable")]
            cum = np.round(np.cumsum(a[idx]))
            persons[idx] = np.diff(np.concatenate([[0.0], cum])).astype(np.int64)
        full, rem = persons // gsz, persons % gsz
        k = full + (rem > 0)
        rows = np.repeat(np.arange(len(a)), k)
        j = np.arange(len(rows)) - np.repeat(np.cumsum(k) - k, k)
        n = np.where(j < np.repeat(full, k), gsz, np.repeat(rem, k)).astype(np.int64)
        t = t_start[rows] + (j + 0.5) / np.repeat(np.maximum(k, 1), k) * step_in_min
        sp = spot[rows]
    if fixed is not None:
        mode = fixed[rows]
    else:
        shares = np.array([cfg.modes[m].share if m in cfg.modes else 0.0 for m in MODES])
        mode = rng.choice(3, size=len(t), p=shares / shares.sum())
    early = t < 0.0
    if early.any():  # leave-by times of the first step's visitors, moved forward by their access time
        warnings.warn(f"{int(n[early].sum())} persons would leave the hub up to {-t.min():.0f} min before the "
                      "period starts (to reach their spot in its first step); they leave at its start, so the "
                      "first step's arrivals at the spots come that much late", stacklevel=3)
        t = np.maximum(t, 0.0)
    o = np.argsort(t, kind="stable")
    return t[o], sp[o], n[o], mode[o]


def _hub_xy(city, cfg: NetworkConfig, spots: gpd.GeoDataFrame) -> tuple[float, float]:
    if cfg.hub is None:
        c = spots.geometry.centroid
        return float(c.x.mean()), float(c.y.mean())
    if isinstance(cfg.hub, str):
        p = city.places
        hit = p[(p["name"] == cfg.hub) | (p["place_id"] == cfg.hub)]
        if hit.empty:
            close = difflib.get_close_matches(cfg.hub, sorted(map(str, p["name"])), n=3)
            raise InputError(f"hub {cfg.hub!r}: expected a place name or place_id of the city"
                             + (f" (close: {', '.join(close)})" if close else ""))
        pt = hit.geometry.iloc[0].representative_point()
        return float(pt.x), float(pt.y)
    try:
        x, y = (float(v) for v in cfg.hub)
    except (TypeError, ValueError):
        raise InputError(f"hub {cfg.hub!r}: expected a place name, (x, y) or None") from None
    return x, y


def _road_paths(city, cfg: NetworkConfig):
    """Drive minutes between hub and spots, and each OD's links with their entry offsets."""
    g = routable(city.roads)
    p = city.places
    names = [s.name for s in cfg.spots]
    spots = p[(p["kind"] == "scenic_spot") & p["name"].isin(names)].set_index("name").loc[names]
    spots = gpd.GeoDataFrame(spots, geometry="geometry", crs=p.crs)
    hx, hy = _hub_xy(city, cfg, spots)
    pts = spots.geometry.representative_point()
    nodes = nearest_nodes(g, [hx, *pts.x], [hy, *pts.y])
    m = len(nodes)
    tt = np.zeros((m, m))
    link_ids: dict[tuple, int] = {}
    od_links: list[np.ndarray] = []
    od_offs: list[np.ndarray] = []
    for a in range(m):
        dist, paths = nx.single_source_dijkstra(g, nodes[a], weight="travel_time_s")
        for b in range(m):
            if nodes[b] not in dist:
                what = "the hub" if b == 0 else f"spot {names[b - 1]!r}"
                frm = "the hub" if a == 0 else f"spot {names[a - 1]!r}"
                raise InputError(f"road graph: no path from {frm} to {what}; expected a connected road network")
            tt[a, b] = dist[nodes[b]] / 60.0
            es = path_edges(g, paths[nodes[b]]) if a != b else []
            t_e = np.array([g.edges[e]["travel_time_s"] for e in es]) / 60.0
            od_links.append(np.array([link_ids.setdefault(e, len(link_ids)) for e in es], dtype=np.int64))
            od_offs.append(np.concatenate([[0.0], np.cumsum(t_e)[:-1]]) if len(es) else np.zeros(0))
    rows = []
    for (u, v, k), _ in sorted(link_ids.items(), key=lambda kv: kv[1]):
        d = g.edges[u, v, k]
        rows.append({"u": u, "v": v, "key": k, "name": d.get("name", ""), "length_m": d["length_m"],
                     "capacity_vph": float(d.get("capacity_vph", np.nan)), "geometry": d["geometry"]})
    links = gpd.GeoDataFrame(rows, geometry="geometry", crs=g.graph.get("crs", p.crs)) if rows else \
        gpd.GeoDataFrame({"u": [], "v": [], "key": [], "name": [], "length_m": [], "capacity_vph": []},
                         geometry=[], crs=p.crs)
    return tt, od_links, od_offs, links, nodes


def drive_minutes(city, cfg: NetworkConfig) -> np.ndarray:
    """(S+1, S+1) free-flow drive minutes between the hub (index 0) and the spots, the matrix
    :func:`simulate_network` uses (for :func:`arrivals_from_forecast`)."""
    return _road_paths(city, cfg)[0]


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
    tt, od_links, od_offs, links, nodes = _road_paths(city, cfg)
    names = [s.name for s in cfg.spots]
    S = len(names)
    rng = np.random.default_rng(seed)
    gt, gs, gn, gm = _arrival_groups(df, names, cfg, t0, step_in_min, rng)
    sim = _Sim(cfg, tt, int(rng.integers(2 ** 31)))
    env = sim.env
    days = int(math.ceil(((df["time"].max() - t0) / pd.Timedelta("1min") + step_in_min) / 1440.0)) + 1
    env.process(sim.source(gt, gs, gn, gm))
    for i in range(S):
        env.process(sim.closer(i, days))
    if "shuttle" in cfg.modes and cfg.modes["shuttle"].share > 0:
        for i in range(S):
            for d in (_TO_SPOT, _TO_HUB):
                env.process(sim.shuttle(i, d, days))
    t_sim, c_sim = _time.perf_counter(), _time.process_time()
    env.run()
    sim_s, sim_cpu_s = _time.perf_counter() - t_sim, _time.process_time() - c_sim
    n_events = next(env._eid) if hasattr(env, "_eid") else -1  # events scheduled (SimPy internal counter)

    # ---- 15-min outputs
    step = cfg.step_min
    t_end = max(env.now, days * 1440.0, max(sim.ch_t, default=0.0))
    ns = int(math.ceil(t_end / step))
    edges = np.arange(ns + 1) * step
    nk = _NQ * S + 1
    snap, mean, mx = _levels(np.asarray(sim.ch_t, float), np.asarray(sim.ch_k, np.int64),
                             np.asarray(sim.ch_d, float), nk, edges)

    def q(arr, qq):
        return arr[qq * S:(qq + 1) * S]

    served = [w[:4] for w in sim.waits if w[4]]
    starts = _per_step(served, edges, S)
    wsum = _per_step(served, edges, S, 2, 3)
    sw = [(t, i, n, w) for t, i, d, n, w in sim.shuttle_waits if d == _TO_SPOT]
    sw2 = [(t, i, n, w) for t, i, d, n, w in sim.shuttle_waits if d == _TO_HUB]
    hub_n, hub_w = _per_step(sw, edges, S), _per_step(sw, edges, S, 2, 3)
    stop_n, stop_w = _per_step(sw2, edges, S), _per_step(sw2, edges, S, 2, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        wait = np.where(starts > 0, wsum / starts, np.nan)
        hub_wait = np.where(hub_n > 0, hub_w / hub_n, np.nan)
        stop_wait = np.where(stop_n > 0, stop_w / stop_n, np.nan)
    cap = np.array([s.capacity_persons for s in cfg.spots])
    occ_max = q(mx, _Q_OCC)
    ratio = occ_max / cap[:, None]
    alert = np.where(ratio >= RED_FRACTION, "red", np.where(ratio >= YELLOW_FRACTION, "yellow", "green"))

    def flows(rec):
        out = np.zeros(ns)
        if rec:
            a = np.asarray(rec, float)
            np.add.at(out, np.clip((a[:, 0] // step).astype(np.int64), 0, ns - 1), a[:, 1])
        return out

    arrived, departed = flows(sim.arr), flows(sim.dep)
    present = sum(q(snap, qq).sum(axis=0) for qq in _PERSON_QS) + snap[_NQ * S]
    time_idx = t0 + pd.to_timedelta(edges[:-1], unit="min")
    ts = ("spot", "time")
    steps = xr.Dataset(
        {"occupancy_persons": (ts, q(mean, _Q_OCC)), "occupancy_max_persons": (ts, occ_max),
         "capacity_persons": ("spot", cap), "occupancy_ratio": (ts, ratio), "alert": (ts, alert),
         "gate_queue_persons": (ts, q(mean, _Q_GATEQ)), "gate_queue_max_persons": (ts, q(mx, _Q_GATEQ)),
         "gate_wait_min": (ts, wait), "gate_start_persons": (ts, starts),
         "gate_entries_persons": (ts, _per_step(sim.entries, edges, S)),
         "parking_cars": (ts, q(mean, _Q_PCAR)), "parking_coaches": (ts, q(mean, _Q_PCOACH)),
         "parking_cars_capacity": ("spot", np.array([s.parking_cars for s in cfg.spots])),
         "parking_coaches_capacity": ("spot", np.array([s.parking_coaches for s in cfg.spots])),
         "parking_queue_vehicles": (ts, q(mean, _Q_PARKQV)),
         "hub_wait_min": (ts, hub_wait), "stop_wait_min": (ts, stop_wait),
         "hub_boarded_persons": (ts, hub_n), "stop_boarded_persons": (ts, stop_n),
         "shuttle_waiting_persons": (ts, q(mean, _Q_HUB) + q(mean, _Q_STOP)),
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
    runs["direction"] = np.where(runs["direction"] == _TO_SPOT, "to_spot", "to_hub")

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
