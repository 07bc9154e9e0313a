"""Where a drill plan's evacuees may go and how they get there: the shelters that are usable
(open, safe now, and by the known forecast safe to the drill's end), the ways out of the danger
area, the allocation of an order's groups over them (the transportation LP on the route
costs), and the check of a group's destination on its way. A mixin of
:class:`sim.drill.people.PeopleMixin` (whose state: shelter loads and bookings, it reads and
books)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.drill import hazards as hz
from sim.hazmat.impacts import assign_to_shelters

WAYS_OUT = "the ways out of the danger area"
"""A group's destination in the log when it drives out of the danger area (no shelter place)."""
LEAVING_ZONE_PENALTY = 10.0
"""Least cost of a second in the risk zone for evacuees setting off inside the closed zone (the
default ``evacuation_zone_penalty``)."""


@dataclass
class _Destination:
    """Where an evacuee group on the road is going: a shelter and its xy (a tuple), or the ways
    out (shelter None, xy (k, 2)); ``settled`` once it was found unsafe with nowhere else to go."""

    shelter: str | None
    xy: Any
    settled: bool = False


@dataclass
class Allocation:
    """Where the groups of an evacuation or relocation order go (:meth:`DestinationsMixin._allocate`)."""

    shelters: list[str]  # the usable shelters
    set_aside: list[str]  # open and safe now, but not safe to go to (forecast, isolation circle)
    shelter_xy: np.ndarray  # (len(shelters), 2)
    x: np.ndarray  # (groups, shelters) persons sent
    exits: np.ndarray  # (k, 2) ways out of the danger area
    leaving: np.ndarray  # (groups,) persons driving out of the danger area
    staying: np.ndarray  # (groups,) persons with neither
    inside: np.ndarray  # (groups,) set off inside the closed zone


class DestinationsMixin:
    """The destination rules of :class:`sim.drill.people.PeopleMixin`."""

    def _allocate(self, persons: np.ndarray, gxy: np.ndarray, now: float, act: Any | None) -> "Allocation":
        """Where groups of ``persons`` at ``gxy`` go at ``now``: the usable shelters by the
        transportation LP on their route costs within the places left, then, with
        ``evacuation_without_place: leave``, the ways out of the danger area (outside the area of
        ``act`` where given) for those whose route reaches one; the rest stay."""
        inside = self.road.in_closed_zone(gxy, now)
        open_, unsafe = self._usable_shelters(now)
        sh = self.prep.shelters.set_index("name").loc[open_]
        sxy = sh[["x_m", "y_m"]].to_numpy(float)
        x = np.zeros((len(persons), len(open_)))
        if open_:
            cap = np.array([max(sh.capacity_persons[s] - self.shelter_booked[s], 0.0) for s in open_], float)
            x, _ = assign_to_shelters(persons, cap, self._evac_costs(gxy, inside, sxy, now))
            x[x < 0.5] = 0.0  # (LP slivers: no trip)
        left = np.maximum(persons - x.sum(axis=1), 0.0)
        left[left < 0.5] = 0.0
        exits = np.empty((0, 2))
        can_leave = np.zeros(len(persons), bool)
        if self.plan.evacuation_without_place == "leave" and left.any():
            exits = self._exits(act, now)
            if len(exits):
                rows = left > 0
                can_leave[rows] = np.isfinite(self._evac_costs(gxy[rows], inside[rows], exits, now).min(axis=1))
        leaving = np.where(can_leave, left, 0.0)
        return Allocation(open_, unsafe, sxy, x, exits, leaving, left - leaving, inside)

    def _allocation_text(self, go: "Allocation", persons: np.ndarray, now: float, exclude: Any = (),
                         order_area: bool = True) -> str:
        """The log's account of an allocation: who drives out through the closed zone, to the
        shelters (and which were set aside, why; not those in ``exclude``, the ones being emptied),
        out of the danger area (outside the order's area with ``order_area``)."""
        msg = ""
        if go.inside.any():
            msg += f", {persons[go.inside].sum():.0f} of them from inside the closed zone, which they drive out through"
        aside = [s for s in go.set_aside if s not in exclude]
        msg += (f"; {go.x.sum():.0f} to {len(go.shelters)} open safe shelter{'s' if len(go.shelters) > 1 else ''}"
                if go.shelters else "; no shelter is safe to go to" if aside else "; no shelter is open and safe")
        if aside:
            msg += f" ({', '.join(aside)} not used: {self._safe_rule(now)})"
        if go.leaving.sum() > 0:
            where = "outside the order's area " if order_area else ""
            msg += (f"; {go.leaving.sum():.0f} find no shelter place and drive out of the danger area (to whichever "
                    f"of the {len(go.exits)} road points {where}that the forecast keeps out of "
                    "danger their route reaches at least cost)")
        return msg

    def _why_staying(self, now: float) -> str:
        why_not = "no shelter place" if self.plan.evacuation_without_place == "stay" else \
            "no shelter place and no way out of the area"
        if self.plan.evacuation_without_place == "leave" and self.plan.evacuation_isolation_m > 0 \
                and self.prep.hazmat_known(now):
            why_not += f" (ways out kept {self.plan.evacuation_isolation_m:,.0f} m from the release)"
        return why_not

    def _evac_costs(self, gxy: np.ndarray, inside: np.ndarray, dxy: np.ndarray, now: float) -> np.ndarray:
        """(groups, destinations) costs of the routes the evacuees will take: round the risk zone
        where worth it, out through the closed zone for those inside it (:meth:`_route_mode`)."""
        cost = np.full((len(gxy), len(dxy)), np.inf)
        for ins in (False, True):
            rows = inside == ins
            if rows.any():
                prot, pen = self._route_mode(ins)
                cost[rows] = self.road.travel_times(gxy[rows], dxy, now, protected=np.full(rows.sum(), prot),
                                                    avoid_penalty=pen)
        return cost

    def _exits(self, act: Any | None, now: float) -> np.ndarray:
        """(k, 2) the road nodes outside the order's area (:meth:`sim.drill.prepare.Prepared.in_area`;
        any without an order ``act``) that are safe places to go (:meth:`_safe_to_go`): the ways out of the danger area. A
        group that leaves drives to whichever its route reaches at least cost, chosen again at
        every plan (:meth:`sim.drill.network.RoadState.drive` with several destinations), so with
        ``evacuation_sees_queues`` the groups spread over the exits as the queues grow."""
        xy = self.road.node_xy
        ok = self._safe_to_go(xy, now)
        return xy[ok & ~self.prep.in_area(act, xy, now)] if act is not None else xy[ok]

    def _safe_to_go(self, xy: np.ndarray, now: float) -> np.ndarray:
        """Per point: a place evacuees may be sent to at ``now``: the hazard forecast known then
        never puts it at risk to the drill's end (:meth:`sim.drill.prepare.Prepared.out_of_danger`),
        and once the hazmat release is known it lies at least ``evacuation_isolation_m`` from it."""
        return self.prep.out_of_danger(xy, now) & self._outside_isolation(xy, now)

    def _outside_isolation(self, xy: np.ndarray, now: float) -> np.ndarray:
        """Per point: at least ``evacuation_isolation_m`` from the hazmat release, once it is known."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        hm, iso = self.prep.hazmat, self.plan.evacuation_isolation_m
        if iso > 0.0 and self.prep.hazmat_known(now):
            return np.hypot(xy[:, 0] - hm.source_xy[0], xy[:, 1] - hm.source_xy[1]) >= iso
        return np.ones(len(xy), bool)

    def _shelters_to_go(self, names: list[str], now: float) -> np.ndarray:
        """Per shelter: safe to send persons to at ``now`` by the rule of :meth:`_safe_to_go`, the
        forecast judged at the site as while it holds persons
        (:meth:`sim.drill.prepare.Prepared.shelter_hazards` to the drill's end)."""
        p = self.prep
        ok = np.array([not p.shelter_hazards(s, now, to_end=True) for s in names], bool)
        return ok & self._outside_isolation(p.shelters.set_index("name").loc[names, ["x_m", "y_m"]].to_numpy(float),
                                            now)

    def _safe_rule(self, now: float) -> str:
        """The rule of :meth:`_safe_to_go` at ``now``, for the log."""
        iso = self.plan.evacuation_isolation_m
        return ("the forecast puts them at risk before the drill's end"
                + (f" or they lie within {iso:,.0f} m of the release" if iso > 0 and self.prep.hazmat_known(now) else ""))

    def _usable_shelters(self, now: float) -> tuple[list[str], list[str]]:
        """(usable, set aside): of the open shelters, those safe now
        (:meth:`sim.drill.prepare.Prepared.shelter_safe`) and safe to go to (:meth:`_shelters_to_go`:
        the forecast and isolation rule of the ways out), and those open and safe now that the
        rule sets aside."""
        p = self.prep
        # the answer changes only with the hazard frames, the release becoming known and the open
        # shelters (asked at every node of every evacuee drive)
        key = (hz.frame_index(p.flood.times_s, now) if p.flood is not None else None,
               hz.frame_index(p.hazmat.times_s, now) if p.hazmat is not None else None,
               p.hazmat_known(now), frozenset(self.shelter_open))
        if self._usable_cache[0] == key:
            return self._usable_cache[1]
        safe = [s for s in self.shelter_load if s in self.shelter_open and p.shelter_safe(s, now)]
        out: tuple[list[str], list[str]] = ([], [])
        if safe:
            ok = self._shelters_to_go(safe, now)
            out = ([s for s, k in zip(safe, ok) if k], [s for s, k in zip(safe, ok) if not k])
        self._usable_cache = (key, out)
        return out

    def _route_mode(self, inside: bool) -> tuple[bool, float]:
        """(protected, zone penalty) of an evacuee group's routes. One that sets off inside the
        closed (red) zone drives out through it, as a protected team may, each second in the risk
        zone costing at least :data:`LEAVING_ZONE_PENALTY`: the quickest way out, not the fastest
        way through; the others keep out of it."""
        pen = self.plan.evacuation_zone_penalty
        return (True, max(pen, LEAVING_ZONE_PENALTY)) if inside else (False, pen)

    def _still_safe(self, shelter: str | None, xy: Any, now: float) -> Any:
        """The destination points a group bound for ``shelter`` at ``xy`` (or, with None, for the
        ways out ``xy`` (k, 2)) may still go to at ``now``, by the rule of an order's allocation:
        the shelter's while it is usable (:meth:`_usable_shelters`), the ways out still safe to go
        to (:meth:`_safe_to_go`); None where none is."""
        if shelter is not None:
            return xy if shelter in self._usable_shelters(now)[0] else None
        kept = xy[self._safe_to_go(xy, now)]
        return kept if len(kept) else None

    def _redirect_en_route(self, dest: "_Destination", n: float, at: np.ndarray, now: float,
                           act: Any | None) -> "tuple[np.ndarray, str] | None":
        """Asked at every node of an evacuee group's drive (:meth:`LinkQueues.drive`'s
        ``redirect``): where its destination is no longer safe to go to by the rule of the
        set-off check (a shelter no longer usable, :meth:`_usable_shelters`; ways out that the
        known forecast now puts at risk, :meth:`_safe_to_go`), the group (``n`` persons) goes on
        from the node ``at`` to the cheapest usable shelter with places for all of it, else out
        of the danger area (``evacuation_without_place: leave``), its places booked and the old
        ones released; with neither it goes on as it was (logged). Ways out of which some are
        still safe: the others are dropped. Logged once per destination given up."""
        if dest.settled:
            return None
        s = dest.shelter
        kept = self._still_safe(s, dest.xy, now)
        if kept is not None:
            if s is None and len(kept) < len(dest.xy):
                dest.xy = kept
                return kept, "ways out the forecast now puts at risk dropped"
            return None
        gave_up = s or WAYS_OUT
        to_s, to_xy = self._en_route_target(n, at, now, act, gave_up)
        first = gave_up not in self.redirected_en_route
        if to_xy is None:
            dest.settled = True
            if first:
                self.redirected_en_route[gave_up] = 0.0
                self.say("evacuate", f"{n:.0f} persons on their way to {gave_up} find no other shelter place"
                         + ("" if self.plan.evacuation_without_place == "stay" else " and no way out of the area")
                         + " and go on", "destination no longer safe to go to")
            return None
        if s is not None:
            self.shelter_booked[s] -= n
        if to_s is not None:
            self.shelter_booked[to_s] += n
        dest.shelter, dest.xy = to_s, to_xy
        self.redirected_en_route[gave_up] = self.redirected_en_route.get(gave_up, 0.0) + n
        where = to_s or "out of the danger area"
        if first:
            self.say("evacuate", f"{n:.0f} persons on their way to {gave_up} are sent to {where} from the road, "
                     f"and those after them likewise ({self._safe_rule(now)})", "destination no longer safe to go to")
        return to_xy, f"{gave_up} no longer safe to go to: sent to {where}"

    def _en_route_target(self, n: float, at: np.ndarray, now: float, act: Any | None,
                         gave_up: str) -> tuple[str | None, Any]:
        """(shelter, its xy as a tuple) of the cheapest usable shelter other than ``gave_up`` with
        places for ``n`` persons reached from ``at``; else (None, the ways out (k, 2)) where
        persons may leave and one is reached; else (None, None)."""
        xy = np.asarray(at, float).reshape(1, 2)
        inside = self.road.in_closed_zone(xy, now)
        sh = self.prep.shelters.set_index("name")
        cand = [s for s in self._usable_shelters(now)[0]
                if s != gave_up and sh.capacity_persons[s] - self.shelter_booked[s] >= n - 0.5]
        if cand:
            sxy = sh.loc[cand, ["x_m", "y_m"]].to_numpy(float)
            cost = self._evac_costs(xy, inside, sxy, now)[0]
            i = int(np.argmin(cost))
            if np.isfinite(cost[i]):
                return cand[i], tuple(sxy[i])
        if self.plan.evacuation_without_place == "leave":
            exits = self._exits(act, now)
            if len(exits) and np.isfinite(self._evac_costs(xy, inside, exits, now).min()):
                return None, exits
        return None, None
