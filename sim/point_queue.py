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

The entries are first come, first served with deterministic service, so the time an entry will
be free again is known exactly as soon as a group joins its queue: its head gets in at
max(arrival, free), and the entry is free again at max(head in + service_s, arrival + spread)
(:attr:`EntryQueues.free_at_s`). Route choice that sees the queues reads it.
"""
from __future__ import annotations

import math
from typing import Generator, Hashable, MutableMapping

import simpy


def service_s(pcu: float, capacity_vph: float) -> float:
    """Seconds for ``pcu`` passenger-car units to pass an entry of ``capacity_vph``."""
    return pcu * 3600.0 / capacity_vph


class EntryQueues:
    """The entry queue of every link (any hashable key), created when first used.

    ``free_at_s`` maps a key to the time its entry is free of every group that has joined its
    queue so far (a dict by default; a float array indexed by integer keys works too, so a router
    can read all links at once); a key never used has no entry (or the array's initial value).
    ``history`` lists (time, key, free_at_s) at every join: the wait a vehicle arriving at t
    would have is max(0, free_at - t) with the last entry of its key at or before t."""

    def __init__(self, env: simpy.Environment, free_at_s: MutableMapping | None = None):
        self.env = env
        self._servers: dict[Hashable, simpy.Resource] = {}
        self.free_at_s = {} if free_at_s is None else free_at_s
        self.history: list[tuple[float, Hashable, float]] = []

    def enter(self, key: Hashable, pcu: float, capacity_vph: float,
              spread_s: float) -> Generator[simpy.events.Event, None, float]:
        """:func:`enter_link` at link ``key`` for a group of ``pcu`` car units; returns its spread."""
        server = self._servers.get(key)
        if server is None:
            server = self._servers[key] = simpy.Resource(self.env, capacity=1)
        s = service_s(pcu, capacity_vph)
        now = self.env.now
        try:
            free = float(self.free_at_s[key])
        except (KeyError, IndexError):
            free = -math.inf
        self.free_at_s[key] = max(max(now, free) + s, now + float(spread_s))
        self.history.append((float(now), key, float(self.free_at_s[key])))
        return (yield from enter_link(self.env, server, s, spread_s))


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
