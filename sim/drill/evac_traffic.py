"""Evacuees' vehicles on the drill's roads: vehicle groups (platoons) through a point queue at
every link's entry that passes vehicles at the link's ``capacity_vph`` (:mod:`sim.point_queue`,
Vickrey 1969; a link slowed by flood water passes proportionally fewer, :meth:`LinkQueues.capacity_at`),
each link then driven at its time on the drill's road state; a link holds at most its storage,
so a queue that outgrows its link holds the links behind it (spill-back, the plan's
``evacuation_spillback``). It is the hazmat evacuation's clearance model (``sim.hazmat.impacts._simulate_clearance``) on the adaptive routes of
:meth:`sim.drill.network.RoadState.drive`: a group held at a link's entry looks at the road
again when it gets in and turns away from a link closed meanwhile.

Only evacuees queue; rescue vehicles drive free (sirens, and far fewer of them).

Route choice can see the queues (:class:`EvacueeCosts`, the drill plan's
``evacuation_sees_queues``), as a driver with live-traffic navigation does: a link costs its
time on the road state plus the wait at its entry behind the groups already queued for it when
this group would get there. The entries are first come, first served, so that wait is known
exactly from the groups that have joined so far (:attr:`sim.point_queue.EntryQueues.free_at_s`;
with spill-back, waits for room on a full link count once they happen, not before); groups that
join later are not foreseen, so a driver who finds the queue at the next link more
than :data:`REPLAN_QUEUE_S` longer than planned plans again there. The arrival time at each link
is the earliest one behind the queues already there (:mod:`sim.drill.td_kernels`). This is reactive
(en-route) assignment, not an equilibrium: each group takes its own best route given those
ahead, as in capacity-constrained evacuation routing (Lu, George & Shekhar 2005, "Capacity
Constrained Routing Algorithms for Evacuation Planning", SSTD 2005, LNCS 3633, 291-307). It can
also weigh the risk zone where the hazard forecast puts it when the group gets to each link
(``evacuation_zone_forecast``) rather than where it is when the route is planned.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
import simpy

from sim.drill.network import PlanAgain, RoadState
from sim.drill.trips import Trip
from sim.drill.td_kernels import earliest_arrivals
from sim.point_queue import JAM_SPACING_M, STUCK_S, EntryQueues, service_s, storage_pcu
from twin.errors import InputError

REPLAN_QUEUE_S = 60.0
"""A group that sees queues plans again at a node whose next link's queue is this much (s)
longer than when it planned."""


class LinkQueues:
    """The entry queue of every road link, shared by the evacuee groups of one plan run; with
    ``spillback`` each link also holds at most its storage (lane-metres / :data:`JAM_SPACING_M`
    car units) and a full link holds the groups behind it, for at most ``stuck_s``
    (:mod:`sim.point_queue`)."""

    def __init__(self, env: simpy.Environment, road: RoadState, *, spillback: bool = True,
                 stuck_s: float = STUCK_S):
        self.env, self.road = env, road
        self.capacity_vph = np.array([float(road.g.edges[e]["capacity_vph"]) for e in road.edge_keys])
        self.free_at_s = np.full(len(road.edge_keys), -np.inf)  # entry free of the groups queued so far
        self.lanes = np.array([float(road.g.edges[e].get("lanes", 1)) for e in road.edge_keys])
        self.storage_pcu = np.array([storage_pcu(m, n) for m, n in zip(road.length_m, self.lanes)]) \
            if spillback else None
        self._entries = EntryQueues(env, self.free_at_s, self.storage_pcu, stuck_s)
        self._out = out_links(road)
        # per group held: (t at the entry, link, wait s, persons, s of the wait the link was full)
        self.held: list[tuple[float, int, float, float, float]] = []

    def wait_at(self, t: float) -> np.ndarray:
        """Per link (``edge_keys`` order): the wait (s) at its entry for a vehicle arriving at t
        behind the groups that had joined by then."""
        return self.waits_at([t])[0]

    def waits_at(self, times) -> np.ndarray:
        """:meth:`wait_at` at each of ``times`` (n, E), in one pass over the joins."""
        times = np.asarray(times, float)
        out = np.empty((len(times), len(self.free_at_s)))
        free = np.full(len(self.free_at_s), -np.inf)
        hist, i = self._entries.history, 0  # joins in time order
        for k in np.argsort(times, kind="stable"):
            while i < len(hist) and hist[i][0] <= times[k]:
                free[hist[i][1]] = hist[i][2]
                i += 1
            out[k] = np.maximum(free - times[k], 0.0)
        return out

    def link_table(self) -> pd.DataFrame:
        """One row per link where groups were held: groups, persons, longest wait and when,
        person-hours waiting (``full_wait_person_h`` of them while the link itself was full:
        spill-back from further on); most person-hours first. With the longest wait w, of which
        w_full the link was full (for this group or the ones ahead), about ``queue_max_veh`` =
        (w - w_full) x capacity / 3600 car units stood ahead of that group (the queue discharges
        at the entry's capacity while the link has room), ``queue_max_lane_m`` lane-metres of road at
        :data:`JAM_SPACING_M` each, and ``spills_back`` where that exceeds the lane-metres of
        every link into the entry's node: the queue cannot fit on any approach and reaches the
        junctions behind (with spill-back it holds them; with point queues it does not)."""
        cols = ["link", "u", "v", "k", "groups_held", "persons_held", "wait_max_s", "wait_max_at_s", "wait_person_h",
                "full_wait_person_h", "queue_max_veh", "queue_max_lane_m", "spills_back"]
        if not self.held:
            return pd.DataFrame(columns=cols)
        h = pd.DataFrame(self.held, columns=["t_s", "e", "wait_s", "persons", "full_s"])
        h["person_s"] = h.wait_s * h.persons
        h["full_person_s"] = h.full_s * h.persons
        rows = []
        rs = self.road
        for e, g in h.groupby("e"):
            e = int(e)
            k = int(g.wait_s.to_numpy().argmax())
            u, v, key = rs.edge_keys[e]
            w, t = float(g.wait_s.iloc[k]), float(g.t_s.iloc[k])
            # the cars the entry let through while this group waited: none while the link was full
            blocked = sum(max(0.0, min(t0 + fw, t + w) - max(t0, t)) for t0, key2, fw, _ in self.full_waits
                          if key2 == e)
            veh = max(w - blocked, 0.0) * self.capacity_at(e, t) / 3600.0
            room = [rs.length_m[i] * self.lanes[i] for i in np.flatnonzero(rs._eb == rs._ea[e])
                    if rs._ea[i] != rs._eb[e]]  # lane-metres of each approach but the link's own reverse
            rows.append({"link": rs.edge_label(e), "u": u, "v": v, "k": key, "groups_held": len(g),
                         "persons_held": float(g.persons.sum()), "wait_max_s": w, "wait_max_at_s": t,
                         "wait_person_h": float(g.person_s.sum() / 3600.0),
                         "full_wait_person_h": float(g.full_person_s.sum() / 3600.0), "queue_max_veh": veh,
                         "queue_max_lane_m": veh * JAM_SPACING_M,
                         "spills_back": bool(room) and veh * JAM_SPACING_M > max(room)})
        return pd.DataFrame(rows, columns=cols).sort_values("wait_person_h", ascending=False, kind="stable") \
            .reset_index(drop=True)

    def capacity_at(self, e: int, t: float) -> float:
        """Capacity of link ``e``'s entry at t (veh/h): its ``capacity_vph`` times its speed factor
        on the road state, since a link slowed by flood water or a partial blockage passes that
        fraction of the vehicles (capacity = critical density x speed, the critical density
        unchanged; Greenshields' q_max = v_f k_j / 4). A closed link keeps its capacity here: it
        is not entered."""
        f = float(self.road._state(self.road._interval(t), False)[e])
        return self.capacity_vph[e] * (f if 0.0 < f < 1.0 else 1.0)

    def service_s(self, e: int, pcu: float, t: float = -np.inf) -> float:
        """Time for ``pcu`` passenger-car units to pass the entry of link ``e`` at t at its capacity."""
        return service_s(pcu, self.capacity_at(e, t))

    def drive(self, src_xy: Any, dst_xy: Any, pcu: float, *, sees_queues: bool = False,
              zone_forecast: bool = False, forecast_from_s: float = -np.inf, persons: float = 0.0,
              redirect: Callable[[np.ndarray, float], "tuple[np.ndarray, str] | None"] | None = None,
              **route_kw: Any):
        """SimPy process: a group of ``pcu`` car units sets off from src now for dst, its head on
        the adaptive route (``route_kw`` as for :meth:`RoadState.route`; with ``sees_queues``
        the route also weighs the queues, with ``zone_forecast`` the avoided zone where it will
        be once the forecast is known, from ``forecast_from_s``, :class:`EvacueeCosts`), held at
        link entries by the groups ahead. Its value is (the
        :class:`Trip` of the head, the group's spread in s: its last vehicle arrives ``spread``
        after ``trip.t_arrive_s``). The process ends at the head's last node; the caller waits
        for the arrival. ``persons`` (on board) only counts in :meth:`link_table`. ``redirect``
        is asked at every node before the next link, with the node's coordinates and the time:
        (new destination points, why) sends the group there from that node; None keeps it on."""
        if not (np.isfinite(pcu) and pcu > 0):
            raise InputError(f"pcu {pcu}: expected a finite number of passenger-car units > 0")
        env = self.env
        costs = EvacueeCosts(self.free_at_s, self._out, sees_queues=sees_queues, zone_forecast=zone_forecast,
                             forecast_from_s=forecast_from_s) \
            if sees_queues or zone_forecast else None
        steps = self.road.drive(src_xy, dst_xy, env.now, costs=costs, **route_kw)
        spread, on = 0.0, None  # on: the link the group is on (None: not on the road yet)
        try:
            e, t = next(steps)
            while True:
                if t > env.now:  # (no yield when it is there now: a queue joined now is seen at once)
                    yield env.timeout(t - env.now)
                if redirect is not None:
                    new = redirect(self.road.node_xy[int(self.road._ea[e])], float(env.now))
                    if new is not None:
                        e, t = steps.send(PlanAgain(new[1], dst_xy=new[0]))
                        continue
                why = None if costs is None else costs.recheck(self.road, e, env.now)
                if why:
                    e, t = steps.send(PlanAgain(why))
                    continue
                t_at = env.now
                full: list[float] = []
                spread = yield from self._entries.enter(e, pcu, self.capacity_at(e, t_at), spread, came_from=on,
                                                        full_wait=full)
                on = int(e)
                if env.now > t_at:
                    self.held.append((t_at, int(e), env.now - t_at, float(persons), sum(full)))
                e, t = steps.send(env.now)
        except StopIteration as stop:
            if on is not None:
                self._entries.leave(on, pcu)  # off the road at its last node
            trip: Trip = stop.value
            return trip, spread

    @property
    def full_waits(self) -> list[tuple[float, int, float, float]]:
        """(time, link, wait s, pcu) of every group held at a link's entry because the link was
        full (spill-back; part of the waits in :attr:`held`)."""
        return self._entries.full_waits

    @property
    def forced(self) -> int:
        """Groups let onto a full link after :data:`sim.point_queue.STUCK_S` (gridlock)."""
        return self._entries.forced


class EvacueeCosts:
    """One group's route costs (:class:`sim.drill.network.RouteCosts`): each link's time on the
    road state, and

    - with ``sees_queues``, plus ``max(0, free_at - arrival)``: the wait behind the groups already
      queued at its entry (``free_at_s``, shared and updated by :class:`LinkQueues`) when the
      group would get there;
    - with ``zone_forecast``, the avoided zone where the hazard forecast puts it when the group
      would be on the link (when it gets in, after that wait, or when it leaves), not where it
      is when the route is planned; only for plans made from ``forecast_from_s`` on (when the
      hazard is known: a route planned before a release cannot foresee its cloud).

    Arrivals are the earliest ones with those waits (:func:`sim.drill.td_kernels.earliest_arrivals`,
    not knowing the groups that join later). A second in the avoided zone costs ``avoid_penalty``
    seconds; a wait does too where any link at the entry's node is in the zone (the queue backs
    up the links into it)."""

    def __init__(self, free_at_s: np.ndarray, out: tuple[np.ndarray, np.ndarray], *, sees_queues: bool = True,
                 zone_forecast: bool = True, forecast_from_s: float = -np.inf,
                 replan_queue_s: float = REPLAN_QUEUE_S):
        self.free_at_s, self.out = free_at_s, out  # out: out_links() of the road state
        self.sees_queues, self.zone_forecast = bool(sees_queues), bool(zone_forecast)
        self.forecast_from_s = float(forecast_from_s)
        self.replan_queue_s = float(replan_queue_s)
        self.planned_wait_s = np.zeros(len(free_at_s))

    def weights(self, st: RoadState, cur: int, j: int, t: float, protected: bool, avoid_penalty: float,
                speed_factor: float) -> np.ndarray | None:
        queues = self.sees_queues and bool((self.free_at_s > t).any())
        forecast = self.zone_forecast and t >= self.forecast_from_s and avoid_penalty != 1.0 and bool(st._A.any())
        if not (queues or forecast):
            self.planned_wait_s = np.zeros(len(self.free_at_s))
            return None
        time_s = st._weights(j, protected, 1.0) / speed_factor
        free = self.free_at_s if queues else np.full(len(time_s), -np.inf)
        at_node = earliest_arrivals(self.out[0], self.out[1], st._eb, time_s, free, int(cur), float(t))
        arrive = at_node[st._ea]
        ok = np.isfinite(arrive) & np.isfinite(time_s)  # (other links are never used)
        wait = np.where(ok, np.maximum(free - arrive, 0.0), 0.0)
        self.planned_wait_s = wait
        if avoid_penalty == 1.0:
            return time_s + wait
        zone = st._A[j]
        if forecast:
            e = np.arange(len(time_s))
            enter = np.where(ok, arrive + wait, t)
            leave = np.where(ok, enter + time_s, t)
            zone = st._A[np.searchsorted(st._ct, enter, side="right"), e] | \
                st._A[np.searchsorted(st._ct, leave, side="right"), e]
        at = np.zeros(len(st.nodes), bool)
        at[st._ea[zone]] = True
        at[st._eb[zone]] = True
        return time_s * np.where(zone, avoid_penalty, 1.0) + wait * np.where(at[st._ea], avoid_penalty, 1.0)

    def recheck(self, st: RoadState, e: int, t: float) -> str | None:
        """Why to plan again at the start node of link ``e`` at t (its queue is
        ``replan_queue_s`` longer than planned), or None."""
        if not self.sees_queues:
            return None
        wait = max(float(self.free_at_s[e]) - t, 0.0)
        if wait > self.planned_wait_s[e] + self.replan_queue_s:
            return f"queue of {wait / 60:.1f} min at {st.edge_label(e)} (planned {self.planned_wait_s[e] / 60:.1f})"
        return None


def out_links(st: RoadState) -> tuple[np.ndarray, np.ndarray]:
    """(out_ptr, out_eid): the links leaving each node of ``st`` in CSR form, as
    :func:`sim.drill.td_kernels.earliest_arrivals` takes them."""
    order = np.argsort(st._ea, kind="stable").astype(np.int64)
    ptr = np.searchsorted(st._ea[order], np.arange(len(st.nodes) + 1)).astype(np.int64)
    return ptr, order
