"""Evacuees' vehicles on the drill's roads: vehicle groups (platoons) through a point queue at
every link's entry that passes vehicles at the link's ``capacity_vph`` (:mod:`sim.point_queue`,
Vickrey 1969; a link slowed by flood water passes proportionally fewer, :meth:`LinkQueues.capacity_at`),
each link then driven at its time on the drill's road state. It is the hazmat evacuation's
clearance model (``sim.hazmat.impacts._simulate_clearance``) on the adaptive routes of
:meth:`sim.drill.network.RoadState.drive`: a group held at a link's entry looks at the road
again when it gets in and turns away from a link closed meanwhile.

Only evacuees queue; rescue vehicles drive free (sirens, and far fewer of them).

Route choice can see the queues (:class:`QueueCosts`, the drill plan's
``evacuation_sees_queues``), as a driver with live-traffic navigation does: a link costs its
time on the road state plus the wait at its entry behind the groups already queued for it when
this group would get there. The entries are first come, first served, so that wait is known
exactly from the groups that have joined so far (:attr:`sim.point_queue.EntryQueues.free_at_s`);
groups that join later are not foreseen, so a driver who finds the queue at the next link more
than :data:`REPLAN_QUEUE_S` longer than planned plans again there. The arrival time at each link
is estimated on the fastest route without waits (so waits further along are, if anything,
overestimated: a group delayed on the way finds those queues shorter). This is reactive
(en-route) assignment, not an equilibrium: each group takes its own best route given those
ahead, as in capacity-constrained evacuation routing (Lu, George & Shekhar 2005, "Capacity
Constrained Routing Algorithms for Evacuation Planning", SSTD 2005, LNCS 3633, 291-307).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from scipy.sparse.csgraph import dijkstra

from sim.drill.network import PlanAgain, RoadState, Trip
from sim.point_queue import EntryQueues, service_s
from twin.errors import InputError

REPLAN_QUEUE_S = 60.0
"""A group that sees queues plans again at a node whose next link's queue is this much (s)
longer than when it planned."""


class LinkQueues:
    """The entry queue of every road link, shared by the evacuee groups of one plan run."""

    def __init__(self, env: simpy.Environment, road: RoadState):
        self.env, self.road = env, road
        self.capacity_vph = np.array([float(road.g.edges[e]["capacity_vph"]) for e in road.edge_keys])
        self.free_at_s = np.full(len(road.edge_keys), -np.inf)  # entry free of the groups queued so far
        self._entries = EntryQueues(env, self.free_at_s)

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

    def drive(self, src_xy: Any, dst_xy: Any, pcu: float, *, sees_queues: bool = False, **route_kw: Any):
        """SimPy process: a group of ``pcu`` car units sets off from src now for dst, its head on
        the adaptive route (``route_kw`` as for :meth:`RoadState.route`; with ``sees_queues``
        the route also weighs the queues, :class:`QueueCosts`), held at link entries by the
        groups ahead. Its value is (the :class:`Trip` of the head, the group's spread in s: its
        last vehicle arrives ``spread`` after ``trip.t_arrive_s``). The process ends at the
        head's last node; the caller waits for the arrival."""
        if not (np.isfinite(pcu) and pcu > 0):
            raise InputError(f"pcu {pcu}: expected a finite number of passenger-car units > 0")
        env = self.env
        costs = QueueCosts(self.free_at_s) if sees_queues else None
        steps = self.road.drive(src_xy, dst_xy, env.now, costs=costs, **route_kw)
        spread = 0.0
        try:
            e, t = next(steps)
            while True:
                if t > env.now:  # (no yield when it is there now: a queue joined now is seen at once)
                    yield env.timeout(t - env.now)
                why = None if costs is None else costs.recheck(self.road, e, env.now)
                if why:
                    e, t = steps.send(PlanAgain(why))
                    continue
                spread = yield from self._entries.enter(e, pcu, self.capacity_at(e, env.now), spread)
                e, t = steps.send(env.now)
        except StopIteration as stop:
            trip: Trip = stop.value
            return trip, spread


class QueueCosts:
    """One group's route costs with the queues (:class:`sim.drill.network.RouteCosts`): each
    link's time on the road state plus ``max(0, free_at - arrival)``, the wait behind the groups
    already queued at its entry (``free_at_s``, shared and updated by :class:`LinkQueues`) when
    the group would get there, the arrival estimated on the fastest route without waits. A wait
    counts ``avoid_penalty`` times, as driving in an avoided zone does, where any link at the
    entry's node is in the zone (the queue backs up the links into it)."""

    def __init__(self, free_at_s: np.ndarray, replan_queue_s: float = REPLAN_QUEUE_S):
        self.free_at_s = free_at_s
        self.replan_queue_s = float(replan_queue_s)
        self.planned_wait_s = np.zeros(len(free_at_s))

    def weights(self, st: RoadState, cur: int, j: int, t: float, protected: bool, avoid_penalty: float,
                speed_factor: float) -> np.ndarray | None:
        if not (self.free_at_s > t).any():
            self.planned_wait_s[:] = 0.0
            return None
        time_s = st._weights(j, protected, 1.0) / speed_factor
        arrive = t + dijkstra(st._csr(time_s)[0], directed=True, indices=cur)[st._ea]
        wait = np.where(np.isfinite(arrive), np.maximum(self.free_at_s - arrive, 0.0), 0.0)
        self.planned_wait_s = wait
        zone = 1.0
        if avoid_penalty != 1.0 and st._A[j].any():
            # a queue backs up the links into its entry: the wait is in the zone when any link at
            # the entry's node is
            at = np.zeros(len(st.nodes), bool)
            at[st._ea[st._A[j]]] = True
            at[st._eb[st._A[j]]] = True
            zone = np.where(at[st._ea], avoid_penalty, 1.0)
        return st._weights(j, protected, avoid_penalty) / speed_factor + wait * zone

    def recheck(self, st: RoadState, e: int, t: float) -> str | None:
        """Why to plan again at the start node of link ``e`` at t (its queue is
        ``replan_queue_s`` longer than planned), or None."""
        wait = max(float(self.free_at_s[e]) - t, 0.0)
        if wait > self.planned_wait_s[e] + self.replan_queue_s:
            return f"queue of {wait / 60:.1f} min at {st.edge_label(e)} (planned {self.planned_wait_s[e] / 60:.1f})"
        return None
