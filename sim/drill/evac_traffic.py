"""Evacuees' vehicles on the drill's roads: every link has a point queue at its entry (Vickrey
1969, "Congestion theory and transport investment", Am. Econ. Rev. 59(2), 251-260), a FIFO
server passing vehicles at the link's ``capacity_vph``, followed by the link's time on the
drill's road state. It is the hazmat evacuation's clearance model
(``sim.hazmat.impacts._simulate_clearance``) on the adaptive routes of
:meth:`sim.drill.network.RoadState.drive`, so a vehicle held in a queue re-checks the road
when it gets through and turns away from a link closed meanwhile.

Only evacuees queue; rescue vehicles drive free (sirens, and far fewer of them).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from sim.drill.network import RoadState, Trip
from twin.errors import InputError


class LinkQueues:
    """One FIFO server per road link, shared by every evacuee vehicle group of one plan run."""

    def __init__(self, env: simpy.Environment, road: RoadState):
        self.env, self.road = env, road
        self.capacity_vph = np.array([float(road.g.edges[e]["capacity_vph"]) for e in road.edge_keys])
        self._servers: dict[int, simpy.Resource] = {}

    def service_s(self, e: int, pcu: float) -> float:
        """Time for ``pcu`` passenger-car units to pass the entry of link ``e`` at its capacity."""
        return pcu * 3600.0 / self.capacity_vph[e]

    def drive(self, src_xy: Any, dst_xy: Any, pcu: float, **route_kw: Any):
        """SimPy process: a group of ``pcu`` vehicles drives from src to dst starting now, queueing
        at each link's entry; its value is the :class:`Trip` as driven (``route_kw`` as for
        :meth:`RoadState.route`). The caller waits for ``trip.t_arrive_s`` (the access leg
        after the last node is part of the trip, not of the process)."""
        if not (np.isfinite(pcu) and pcu > 0):
            raise InputError(f"pcu {pcu}: expected a finite number of passenger-car units > 0")
        env = self.env
        steps = self.road.drive(src_xy, dst_xy, env.now, **route_kw)
        try:
            e, t = next(steps)
            while True:
                yield env.timeout(max(t - env.now, 0.0))
                server = self._servers.setdefault(e, simpy.Resource(env, capacity=1))
                with server.request() as req:
                    yield req
                    yield env.timeout(self.service_s(e, pcu))
                e, t = steps.send(env.now)
        except StopIteration as stop:
            trip: Trip = stop.value
            return trip
