"""Evacuees' vehicles on the drill's roads: vehicle groups (platoons) through a point queue at
every link's entry that passes vehicles at the link's ``capacity_vph`` (:mod:`sim.point_queue`,
Vickrey 1969), each link then driven at its time on the drill's road state. It is the hazmat
evacuation's clearance model (``sim.hazmat.impacts._simulate_clearance``) on the adaptive routes
of :meth:`sim.drill.network.RoadState.drive`: a group held at a link's entry looks at the road
again when it gets in and turns away from a link closed meanwhile.

Only evacuees queue; rescue vehicles drive free (sirens, and far fewer of them). Route choice
does not see the queues.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from sim.drill.network import RoadState, Trip
from sim.point_queue import EntryQueues, service_s
from twin.errors import InputError


class LinkQueues:
    """The entry queue of every road link, shared by the evacuee groups of one plan run."""

    def __init__(self, env: simpy.Environment, road: RoadState):
        self.env, self.road = env, road
        self.capacity_vph = np.array([float(road.g.edges[e]["capacity_vph"]) for e in road.edge_keys])
        self._entries = EntryQueues(env)

    def service_s(self, e: int, pcu: float) -> float:
        """Time for ``pcu`` passenger-car units to pass the entry of link ``e`` at its capacity."""
        return service_s(pcu, self.capacity_vph[e])

    def drive(self, src_xy: Any, dst_xy: Any, pcu: float, **route_kw: Any):
        """SimPy process: a group of ``pcu`` car units sets off from src now for dst, its head on
        the adaptive route (``route_kw`` as for :meth:`RoadState.route`), held at link entries
        by the groups ahead. Its value is (the :class:`Trip` of the head, the group's spread in
        s: its last vehicle arrives ``spread`` after ``trip.t_arrive_s``). The process ends at
        the head's last node; the caller waits for the arrival."""
        if not (np.isfinite(pcu) and pcu > 0):
            raise InputError(f"pcu {pcu}: expected a finite number of passenger-car units > 0")
        env = self.env
        steps = self.road.drive(src_xy, dst_xy, env.now, **route_kw)
        spread = 0.0
        try:
            e, t = next(steps)
            while True:
                yield env.timeout(max(t - env.now, 0.0))
                spread = yield from self._entries.enter(e, pcu, self.capacity_vph[e], spread)
                e, t = steps.send(env.now)
        except StopIteration as stop:
            trip: Trip = stop.value
            return trip, spread
