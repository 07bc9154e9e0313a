"""The SimPy state and processes of one scenic-network run (internal to :mod:`sim.crowd.network`).

The processes (arrival and diversion, reservation, travel by road or shuttle, parking, gate, dwell,
next-spot choice, closing time, shuttle lines: those in :mod:`sim.crowd.network_shuttle`) are
described in :mod:`sim.crowd.network`'s module docstring; :func:`sim.crowd.network.simulate_network`
builds a :class:`NetworkSim`, runs it and turns its records (every change of a level, gate waits,
entries, trips) into the 15-min outputs.
"""
from __future__ import annotations

import math
import random
import warnings
from collections import deque
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.crowd.capacity import RED_FRACTION, YELLOW_FRACTION
from sim.crowd.network_config import ALERT_CODES, MODES, NetworkConfig
from sim.crowd.network_levels import (NQ, Q_GATEQ, Q_GATESV, Q_OCC, Q_PARKQ, Q_PARKQV, Q_PCAR, Q_PCOACH,
                                      TO_HUB, TO_SPOT, _CAR, _DRIVE, _RIDE, _SHUTTLE)
from sim.crowd.network_shuttle import ShuttleLines


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


class NetworkSim(ShuttleLines):
    """State and processes of one run (internal)."""

    def __init__(self, cfg: NetworkConfig, tt_min: np.ndarray, seed: int, days: int) -> None:
        self.cfg = cfg
        self.days = days  # service days the run covers
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
        # a limited fleet (shuttle.fleet_per_line): buses idle at / on their way to [hub, spot] of each
        # line, and a departure waiting for a bus at that end (all buses start at the hub)
        fleet = cfg.shuttle.fleet_per_line
        self.idle = [[int(fleet), 0] if fleet is not None else None for _ in range(S)]
        self.enroute = [[0, 0] for _ in range(S)]
        self.bus_wait: list[list[Any]] = [[None, None] for _ in range(S)]
        self.serving = [[False, False] for _ in range(S)]  # a line's end within its service hours
        self.last_dep = [[-math.inf, -math.inf] for _ in range(S)]  # last loaded departure from each stop
        mode_cfg = [cfg.modes.get(m) for m in MODES]
        self.ppv = [m.persons_per_vehicle if m is not None else 1.0 for m in mode_cfg]
        c = cfg.choice
        self.attr = [c.beta_attr * s.attractiveness for s in cfg.spots]
        sh = cfg.shuttle
        self.ride_min = [[self.tt[0][i + 1], self.tt[i + 1][0]] for i in range(S)]
        n_dep = int(math.floor((sh.last_h - sh.first_h) * 60.0 / sh.headway_min + 1e-9)) + 1
        self.last_dep_min = sh.first_h * 60.0 + (n_dep - 1) * sh.headway_min  # of the day
        self.final_dep_min = (days - 1) * 1440.0 + self.last_dep_min  # of the run: riders after it find no bus
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
        # minutes between a line's departures from a stop with a full load waiting: the dispatch's
        # spacing, and with a limited fleet at least the round trip shared by its buses
        space = min(sh.min_headway_min, sh.headway_min) if sh.dispatch == "when_full" else sh.headway_min
        self.load_interval = [space if sh.fleet_per_line is None else
                              max(space, (sum(self.ride_min[i]) + 2.0 * sh.layover_min) / sh.fleet_per_line)
                              for i in range(S)]
        # recorders
        self.live = [0.0] * (NQ * S + 1)
        self.ch_t: list[float] = []
        self.ch_k: list[int] = []
        self.ch_d: list[float] = []
        self.arr: list[tuple[float, int]] = []
        self.dep: list[tuple[float, int]] = []
        self.waits: list[tuple[float, int, int, float]] = []  # (t at gate, spot, n, wait)
        self.entries: list[tuple[float, int, int]] = []
        self.turned: list[tuple[float, int, int]] = []
        self.closed: list[tuple[float, int, int]] = []
        self.no_bus: list[tuple[float, int, int, int]] = []  # (t, line, end, n): no shuttle for them
        self.diverted: list[tuple[float, int, int]] = []
        self.shuttle_waits: list[tuple[float, int, int, int, float]] = []  # (t, spot, dir, n, wait)
        self.runs: list[tuple[float, int, int, int]] = []
        self.trips: list[tuple[float, int, int, float]] = []  # (t, od, vehicle kind, vehicles)
        self.alerts: list[tuple[float, int, str, str, float]] = []
        self.crossings: list[tuple[float, int, str, str, float]] = []
        self.n_groups = 0
        self.closed_parking = 0
        self.TRAVEL = NQ * S

    # -- bookkeeping
    def _chg(self, k: int, d: float) -> None:
        self.ch_t.append(self.env.now)
        self.ch_k.append(k)
        self.ch_d.append(d)
        self.live[k] += d

    def _occ(self, i: int, d: int) -> None:
        k = Q_OCC * self.S + i
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
                v -= c.beta_crowd * self.live[Q_OCC * self.S + j] / self.cap[j]
                if g.mode == _SHUTTLE:
                    v -= c.beta_time_per_min * self._queue_wait_min(j)
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
            legs.append((_RIDE, g.at - 1, TO_HUB))
        if j >= 0:
            legs.append((_RIDE, j, TO_SPOT))
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

    def _no_bus(self, g: _Group, i: int, d: int) -> None:
        """No bus on line i from end d for group g: at the hub it gives the visit up (closed out) and
        leaves; at the spot it leaves by other means (taxi, on foot)."""
        self.no_bus.append((self.env.now, i, d, g.n))
        if d == TO_SPOT:
            self.closed.append((self.env.now, i, g.n))
            self._leave(g, self.env.now)
        else:
            self._leave(g, self.env.now + self.ride_min[i][d])

    def resume(self, g: _Group, ev: simpy.Event, i: int, d: int):
        """A split-off part of a group that waits for a later bus of line i from end d."""
        if (yield ev) is False:  # the clear-out ended before a bus came
            self._no_bus(g, i, d)
            return
        ride_min, at = self.ride_min[i][d], i + 1 if d == TO_SPOT else 0
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
                    tod = env.now % 1440.0
                    if tod > self.last_dep_min or env.now > self.final_dep_min or (
                            tod >= self.last_dep_min - 1e-9 and not self.serving[a][b]):  # no bus till tomorrow
                        self._no_bus(g, a, b)
                        return
                    stop_k = self._stop_k(a, b)
                    self._chg(k_tr, -g.n)
                    self._chg(stop_k, g.n)
                    ev = env.event()
                    self.stops[a][b].append([g, ev, env.now])
                    fe = self.full[a][b]
                    if fe is not None and live[stop_k] >= self.cfg.shuttle.capacity_persons - 1e-9:
                        self.full[a][b] = None
                        fe.succeed()  # a full load waits: the bus may leave early
                    if (yield ev) is False:  # the clear-out ended before a bus came
                        self._no_bus(g, a, b)
                        return
                    dt = self.ride_min[a][b]
                    b = a + 1 if b == TO_SPOT else 0
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
                k_park = (Q_PCAR if g.mode == _CAR else Q_PCOACH) * S + i
                if lot.queue or lot.free + 1e-9 < veh:
                    self._chg(Q_PARKQ * S + i, n)
                    self._chg(Q_PARKQV * S + i, veh)
                    ev = env.event()
                    lot.queue.append((veh, ev))
                    parked = yield ev  # False: the spot closed before a space came free
                    self._chg(Q_PARKQ * S + i, -n)
                    self._chg(Q_PARKQV * S + i, -veh)
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
        k_q = Q_GATEQ * S + i
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
            k_sv = Q_GATESV * S + i
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

    def closer(self, i: int):
        """At closing time, cars and coaches still waiting for parking give up (closed out)."""
        env, sp = self.env, self.cfg.spots[i]
        if sp.open_h <= 0 and sp.close_h >= 24:
            return
        for day in range(self.days):
            yield env.timeout(day * 1440.0 + sp.close_h * 60.0 - env.now)
            for lot in self.park[i]:
                while lot.queue:
                    lot.queue.popleft()[1].succeed(False)


def arrival_groups(arrivals: pd.DataFrame, names: list[str], cfg: NetworkConfig, t0: pd.Timestamp,
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
