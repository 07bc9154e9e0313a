"""Vehicle groups through point queues at link entries (Vickrey 1969, "Congestion theory and
transport investment", Am. Econ. Rev. 59(2), 251-260), shared by the hazmat evacuation and the
drills' evacuees.

A group of vehicles is a platoon: its head's time and its spread (head to tail, seconds). A
link's entry passes vehicles at the link's capacity, so a group of ``pcu`` car units needs
``service_s = pcu 3600 / capacity_vph`` there. The head enters as soon as the entry is free of
the groups ahead; the entry stays busy until the tail has passed, which is ``service_s`` after
the head or, for a platoon already spread wider (by an earlier, tighter link), when the tail
arrives. A group alone on an empty road is therefore not delayed at all, and its tail trails
its head by the tightest capacity on its way; a group behind others waits for them.
"""
from __future__ import annotations

from typing import Generator, Hashable

import simpy


def service_s(pcu: float, capacity_vph: float) -> float:
    """Seconds for ``pcu`` passenger-car units to pass an entry of ``capacity_vph``."""
    return pcu * 3600.0 / capacity_vph


class EntryQueues:
    """The entry queue of every link (any hashable key), created when first used."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._servers: dict[Hashable, simpy.Resource] = {}

    def enter(self, key: Hashable, pcu: float, capacity_vph: float,
              spread_s: float) -> Generator[simpy.events.Event, None, float]:
        """:func:`enter_link` at link ``key`` for a group of ``pcu`` car units; returns its spread."""
        server = self._servers.get(key)
        if server is None:
            server = self._servers[key] = simpy.Resource(self.env, capacity=1)
        return (yield from enter_link(self.env, server, service_s(pcu, capacity_vph), spread_s))


def enter_link(env: simpy.Environment, server: simpy.Resource, service_s: float,
               spread_s: float) -> Generator[simpy.events.Event, None, float]:
    """SimPy sub-process (``spread = yield from enter_link(...)``) for a group whose head is at
    the link's entry now: waits until the entry is free, lets the head in, keeps the entry busy
    until the tail has passed, and returns the group's spread after the entry (s)."""
    t_head = env.now
    req = server.request()
    yield req
    waited = env.now - t_head  # the tail closes up on the head while it waits
    spread = max(float(service_s), float(spread_s) - waited)
    env.process(_hold(env, server, req, spread))
    return spread


def _hold(env: simpy.Environment, server: simpy.Resource, req: simpy.events.Event, busy_s: float):
    yield env.timeout(busy_s)
    server.release(req)
