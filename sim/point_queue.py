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

Spill-back (``storage_pcu`` given): a link holds at most its storage, lane-metres /
:data:`JAM_SPACING_M` car units (the spatial queue of MATSim's queue model, Gawron 1998,
"An iterative algorithm to determine the dynamic user equilibrium in a traffic simulation
model", Int. J. Mod. Phys. C 9(3), 393-407). A group stays on the link it is on (counted in its
storage) until it enters the next one, and enters a link only when the link has room for it
(or is empty: a group longer than the link still gets in), first come, first served at the
entry. So a queue that outgrows its link fills it and holds the groups on the links behind,
whatever their way on: the queue reaches back through the junctions. A group that finds no room
for :data:`STUCK_S` gets in anyway (MATSim's stuck time), which ends gridlock in a loop of full
links. The free times then also carry the waits for room as they happen, but not before: a
router reading them does not foresee a link filling up.
"""
from __future__ import annotations

import math
from typing import Generator, Hashable, MutableMapping

import simpy


JAM_SPACING_M = 7.0
"""Road length one queued car unit takes per lane (m): a car's length plus the gap when stopped."""
STUCK_S = 300.0
"""A group that has waited this long (s) for room on a full link gets in anyway (gridlock)."""


def storage_pcu(length_m: float, lanes: float) -> float:
    """Car units a link of ``length_m`` with ``lanes`` lanes holds when jammed."""
    return max(float(length_m), 0.0) * max(float(lanes), 1.0) / JAM_SPACING_M


def service_s(pcu: float, capacity_vph: float) -> float:
    """Seconds for ``pcu`` passenger-car units to pass an entry of ``capacity_vph``."""
    return pcu * 3600.0 / capacity_vph


class EntryQueues:
    """The entry queue of every link (any hashable key), created when first used.

    ``free_at_s`` maps a key to the time its entry is free of every group that has joined its
    queue so far (a dict by default; a float array indexed by integer keys works too, so a router
    can read all links at once); a key never used has no entry (or the array's initial value).
    ``history`` lists (time, key, free_at_s) at every join (and, with spill-back, whenever a wait
    for room pushes it later): the wait a vehicle arriving at t would have is max(0, free_at - t)
    with the last entry of its key at or before t.

    ``storage_pcu`` (mapping or array by key; None: point queues, no spill-back) turns on the
    spatial queue of the module docstring; ``on_link`` then holds the car units on each link,
    ``full_waits`` lists (time, key, wait s, pcu) of every group held because a link was full,
    and ``forced`` counts groups let in after :data:`STUCK_S`."""

    def __init__(self, env: simpy.Environment, free_at_s: MutableMapping | None = None,
                 storage_pcu: MutableMapping | None = None, stuck_s: float = STUCK_S):
        self.env = env
        self._servers: dict[Hashable, simpy.Resource] = {}
        self.free_at_s = {} if free_at_s is None else free_at_s
        self.history: list[tuple[float, Hashable, float]] = []
        self.storage_pcu, self.stuck_s = storage_pcu, float(stuck_s)
        self.on_link: dict[Hashable, float] = {}
        self._room: dict[Hashable, simpy.Event] = {}
        self.full_waits: list[tuple[float, Hashable, float, float]] = []
        self.forced = 0

    def enter(self, key: Hashable, pcu: float, capacity_vph: float, spread_s: float,
              came_from: Hashable | None = None,
              full_wait: list | None = None) -> Generator[simpy.events.Event, None, float]:
        """:func:`enter_link` at link ``key`` for a group of ``pcu`` car units coming off link
        ``came_from`` (None: from its origin); returns its spread. With spill-back it also waits
        for room on ``key`` (appending that wait, s, to ``full_wait`` when given) and moves the
        group's car units from ``came_from`` to ``key``."""
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
        room = None if self.storage_pcu is None else (lambda: self._wait_for_room(key, pcu, full_wait))
        spread = yield from enter_link(self.env, server, s, spread_s, room)
        if self.storage_pcu is not None:
            self.on_link[key] = self.on_link.get(key, 0.0) + pcu
            if came_from is not None:
                self.leave(came_from, pcu)
        return spread

    def leave(self, key: Hashable, pcu: float) -> None:
        """``pcu`` car units leave link ``key`` (onto the next link, or at their destination)."""
        if self.storage_pcu is None:
            return
        self.on_link[key] = max(self.on_link.get(key, 0.0) - pcu, 0.0)
        ev = self._room.pop(key, None)
        if ev is not None and not ev.triggered:
            ev.succeed()

    def _wait_for_room(self, key: Hashable, pcu: float,
                       full_wait: list | None = None) -> Generator[simpy.events.Event, None, None]:
        """Hold (the entry already taken) until link ``key`` has room for ``pcu`` car units, it is
        empty, or :attr:`stuck_s` has passed; a wait pushes the entry's free time as late."""
        env, t0 = self.env, self.env.now
        cap = float(self.storage_pcu[key])
        deadline = t0 + self.stuck_s
        while self.on_link.get(key, 0.0) > 1e-9 and self.on_link.get(key, 0.0) + pcu > cap + 1e-9:
            if env.now >= deadline - 1e-6:  # (a timeout shorter than the clock's resolution would not advance it)
                self.forced += 1
                break
            ev = self._room.get(key)
            if ev is None or ev.triggered:
                ev = self._room[key] = env.event()
            yield ev | env.timeout(deadline - env.now)
        if env.now > t0:
            self.full_waits.append((float(t0), key, float(env.now - t0), float(pcu)))
            if full_wait is not None:
                full_wait.append(float(env.now - t0))
            self.free_at_s[key] = float(self.free_at_s[key]) + (env.now - t0)
            self.history.append((float(env.now), key, float(self.free_at_s[key])))


def enter_link(env: simpy.Environment, server: simpy.Resource, service_s: float,
               spread_s: float, room=None) -> Generator[simpy.events.Event, None, float]:
    """SimPy sub-process (``spread = yield from enter_link(...)``) for a group whose head is at
    the link's entry now: waits until the entry is free (and then, with ``room``, a generator
    function, until that returns: room on the link), lets the head in, keeps the entry busy until
    the tail has passed, and returns the group's spread after the entry (s)."""
    t_head = env.now
    req = server.request()
    yield req
    if room is not None:
        yield from room()
    waited = env.now - t_head  # the tail closes up on the head while it waits
    spread = max(float(service_s), float(spread_s) - waited)
    env.process(_hold(env, server, req, spread))
    return spread


def _hold(env: simpy.Environment, server: simpy.Resource, req: simpy.events.Event, busy_s: float):
    yield env.timeout(busy_s)
    server.release(req)
