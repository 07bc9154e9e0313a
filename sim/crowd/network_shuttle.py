"""The shuttle lines of a scenic-network run (internal to :mod:`sim.crowd.network`): one line per
spot between the hub and the spot, a departure process per end (when full, or by a timetable), the
boarding of the riders waiting at a stop, and with ``shuttle.fleet_per_line`` the line's buses: a
departure needs one at its end, idle buses run over to where riders are short, every arrival is back
in service after the layover. Mixed into :class:`sim.crowd.network_sim.NetworkSim`, whose state
(``env``, ``cfg``, ``stops``, ``live``, ``idle``, ``enroute``, ``serving``, ``bus_wait``, ``full``,
``last_dep``, ``ride_min``, the recorders) these methods share.
"""
from __future__ import annotations

import math

from sim.crowd.network_levels import Q_HUB, Q_STOP, TO_SPOT


class ShuttleLines:
    """Shuttle methods of :class:`~sim.crowd.network_sim.NetworkSim`."""

    def _queue_wait_min(self, j: int) -> float:
        """Wait at the hub for line j beyond the timetable's half headway that the tourists are told
        with the diversion messages: the busloads already waiting times the line's interval between
        loaded departures; with a limited fleet whose round trip shared by its buses (round trip /
        fleet) exceeds the headway, also half the excess (the longer mean wait for the next bus).
        The own stop's queue is common to every choice (all shuttle trips go via the hub), so it
        does not enter the logit."""
        sh = self.cfg.shuttle
        iv = self.load_interval[j]
        loads = math.floor(self._waiting(j, TO_SPOT) / sh.capacity_persons + 1e-9)
        return loads * iv + max(0.0, iv - sh.headway_min) / 2.0

    def _od(self, i: int, d: int) -> int:
        """Index of line i's road trip in direction d (hub -> spot or spot -> hub)."""
        return (i + 1) if d == TO_SPOT else (i + 1) * (self.S + 1)

    def _stop_k(self, i: int, e: int) -> int:
        """Level index of the riders waiting at end e of line i (0 the hub stop, 1 the spot's stop)."""
        return (Q_HUB if e == TO_SPOT else Q_STOP) * self.S + i

    def _waiting(self, i: int, e: int) -> float:
        """Persons waiting at end e of line i."""
        return self.live[self._stop_k(i, e)]

    def _board(self, i: int, e: int) -> int:
        """The riders waiting at end e of line i board a bus there, first come first served, up to
        its capacity (a group larger than the room left splits and the rest keeps its place);
        returns the persons on board."""
        env, q = self.env, self.stops[i][e]
        stop_k = self._stop_k(i, e)
        room, load = self.cfg.shuttle.capacity_persons, 0
        while q and room > 0:
            g, ev, tj = q[0]
            if g.n > room:  # split: the rest keeps its place for the next bus
                rest = g.split(g.n - room)
                ev2 = env.event()
                q[0] = [rest, ev2, tj]
                env.process(self.resume(rest, ev2, i, e))
                g.n = room
            else:
                q.popleft()
            self._chg(stop_k, -g.n)
            self._chg(self.TRAVEL, g.n)
            self.shuttle_waits.append((env.now, i, e, g.n, env.now - tj))
            room -= g.n
            load += g.n
            ev.succeed()
        return load

    def _send_over(self, i: int, e: int) -> None:
        """A bus idle at end e of line i runs over to the other end, where it is needed, taking the
        riders waiting at e up to its capacity (an empty run, of 0 persons, when nobody waits); like
        every arrival it is in service at the other end after the layover."""
        env = self.env
        self.idle[i][e] -= 1
        self.enroute[i][1 - e] += 1
        load = self._board(i, e)
        if load:
            self.last_dep[i][e] = env.now  # a loaded departure from this stop (the when-full spacing)
        self.runs.append((env.now, i, e, load))
        self.trips.append((env.now, self._od(i, e), 2, 1.0))
        env.process(self._bus_arrives(i, 1 - e, self.ride_min[i][e] + self.cfg.shuttle.layover_min))

    def _short(self, i: int, e: int) -> bool:
        """More persons wait at end e than the buses on their way there can carry."""
        return self._waiting(i, e) > self.enroute[i][e] * self.cfg.shuttle.capacity_persons + 1e-9

    def _bus(self, i: int, d: int):
        """Take a bus idle at end d of line i, or wait for one (an arriving bus is handed straight
        over); meanwhile buses idle at the other end run over (with whoever waits there) while the
        persons waiting here outnumber the places on their way. Returns False if the wait ended
        without a bus (the clear-out was cut off)."""
        idle = self.idle[i]
        if idle[d] > 0:
            idle[d] -= 1
            return True
        while idle[1 - d] > 0 and self._short(i, d):
            self._send_over(i, 1 - d)
        ev = self.env.event()
        self.bus_wait[i][d] = ev
        return (yield ev) is not False  # the next bus to arrive here is handed over (_bus_arrives)

    def _bus_arrives(self, i: int, e: int, after_min: float):
        """A bus of line i is in service at end e ``after_min`` from now: it goes to a departure
        waiting there; else :meth:`_park`."""
        yield self.env.timeout(after_min)
        self.enroute[i][e] -= 1
        ev = self.bus_wait[i][e]
        if ev is not None:
            self.bus_wait[i][e] = None
            ev.succeed(True)
            return
        self._park(i, e)

    def _park(self, i: int, e: int) -> None:
        """A free bus of line i waits at end e, or runs over to the other end, in service and short,
        if nobody here waits for a bus or this end is out of service."""
        self.idle[i][e] += 1
        if (self._waiting(i, e) <= 0 or not self.serving[i][e]) and self.serving[i][1 - e] and self._short(i, 1 - e):
            self._send_over(i, e)

    def _off_service(self, i: int, d: int) -> None:
        """End d of line i stops running (overnight or for good): its idle buses go where riders wait."""
        self.serving[i][d] = False
        if self.idle[i] is not None:
            while self.idle[i][d] > 0 and self.serving[i][1 - d] and self._short(i, 1 - d):
                self._send_over(i, d)

    def _depart(self, i: int, d: int):
        """A departure from end d of line i; returns whether a bus left. With a limited fleet it
        needs one of the line's buses there, and it is not run when nobody waits for it (also when
        an over-run took its riders while it waited for the bus: that bus then stays or goes on)."""
        env, q = self.env, self.stops[i][d]
        limited = self.idle[i] is not None
        if limited:
            if not q:
                return False
            if not (yield from self._bus(i, d)):
                return False
            if not q:
                self._park(i, d)
                return False
        self.last_dep[i][d] = env.now
        self.runs.append((env.now, i, d, self._board(i, d)))
        self.trips.append((env.now, self._od(i, d), 2, 1.0))
        if limited:
            self.enroute[i][1 - d] += 1
            env.process(self._bus_arrives(i, 1 - d, self.ride_min[i][d] + self.cfg.shuttle.layover_min))
        return True

    def _cut_off(self, i: int, d: int, t: float):
        """At minute t the clear-out of end d of line i ends: the riders still waiting there are told
        that no bus comes (their event's value False) and go by other means, and a departure waiting
        for a bus stops waiting."""
        yield self.env.timeout(max(0.0, t - self.env.now))
        ev = self.bus_wait[i][d]
        if ev is not None:
            self.bus_wait[i][d] = None
            ev.succeed(False)
        q, stop_k = self.stops[i][d], self._stop_k(i, d)
        while q:
            g, ev, _ = q.popleft()
            self._chg(stop_k, -g.n)
            self._chg(self.TRAVEL, g.n)
            ev.succeed(False)

    def shuttle(self, i: int, d: int):
        """The departures from end d of line i over the run's service days: from ``first_h`` a bus
        when a full load waits ("when_full", at least ``min_headway_min`` after the last loaded one)
        or at the latest a headway after the last departure (every headway for "schedule"); at the
        day's last departure extra buses until the stop is clear, then the end is out of service."""
        env, sh = self.env, self.cfg.shuttle
        q = self.stops[i][d]
        stop_k = self._stop_k(i, d)
        cap = sh.capacity_persons
        when_full = sh.dispatch == "when_full"
        for day in range(self.days):
            t_first = day * 1440.0 + sh.first_h * 60.0
            t_last = day * 1440.0 + self.last_dep_min
            if t_first > env.now:
                yield env.timeout(t_first - env.now)
            self.serving[i][d] = True
            if self.idle[i] is not None and sh.clear_out_max_min is not None:
                env.process(self._cut_off(i, d, t_last + sh.clear_out_max_min))
            while True:
                final = env.now >= t_last - 1e-9
                while (yield from self._depart(i, d)) and final and q:
                    pass  # the last departure: extra buses until the stop is clear
                if final:
                    self._off_service(i, d)
                    break
                last = env.now
                nxt = min(last + sh.headway_min, t_last)  # at the latest
                while env.now < nxt - 1e-9:
                    if not when_full:
                        yield env.timeout(nxt - env.now)
                    elif self.live[stop_k] >= cap - 1e-9:  # a full load waits: go once the stop allows
                        go = min(self.last_dep[i][d] + min(sh.min_headway_min, sh.headway_min), nxt)
                        if go <= env.now + 1e-9:
                            break
                        yield env.timeout(go - env.now)
                    else:
                        fe = env.event()
                        self.full[i][d] = fe
                        yield env.any_of([env.timeout(nxt - env.now), fe])
                        self.full[i][d] = None
