"""People in a drill plan's run: per building in place, evacuating, sheltered or out of the danger
area with no shelter place (their sum is conserved), evacuee vehicle groups on the roads
(:mod:`sim.drill.evac_traffic`), the indoor air of every building, and the series and tables the
review reads. A mixin of
:class:`sim.drill.engine.PlanRun`, whose clock (``env``), log (``say``), road state and link
queues it uses."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry import Point

from sim.drill import hazards as hz
from sim.drill.hazards import seconds_held
from sim.hazmat.exposure import indoor_seconds_at_or_above, indoor_window
from sim.hazmat.impacts import assign_to_shelters, evacuation_pcu, rayleigh_quantiles

EVAC_SUBGROUPS = 4
"""Fewest departure groups per building group and shelter (Rayleigh mid-quantiles)."""
EVAC_GROUP_PCU = 20.0
"""Most passenger-car units in one evacuee vehicle group (as sim.hazmat's group_vehicles)."""
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
    """Where the groups of an evacuation or relocation order go (:meth:`PeopleMixin._allocate`)."""

    shelters: list[str]  # the usable shelters
    set_aside: list[str]  # open and safe now, but not safe to go to (forecast, isolation circle)
    shelter_xy: np.ndarray  # (len(shelters), 2)
    x: np.ndarray  # (groups, shelters) persons sent
    exits: np.ndarray  # (k, 2) ways out of the danger area
    leaving: np.ndarray  # (groups,) persons driving out of the danger area
    staying: np.ndarray  # (groups,) persons with neither
    inside: np.ndarray  # (groups,) set off inside the closed zone


class PeopleMixin:
    """The people part of :class:`sim.drill.engine.PlanRun`."""

    def _init_people(self, prep: Any) -> None:
        """The people state of a run at its start: everybody in place, nobody flagged at risk."""
        self.shelter_open: set[str] = set()
        sh = prep.shelters
        self.shelter_load = dict.fromkeys(sh.name, 0.0)
        self.shelter_booked = dict.fromkeys(sh.name, 0.0)
        # persons a relocation order sends out of a shelter who have not set off yet (still in its
        # load): a later order does not send them again
        self.shelter_leaving = dict.fromkeys(sh.name, 0.0)
        self.redirected: dict[str, float] = {}  # persons re-sent at set-off, by the destination they gave up
        self.redirected_en_route: dict[str, float] = {}  # persons sent elsewhere on their way, likewise
        self._usable_cache: tuple[Any, tuple[list[str], list[str]]] = (None, ([], []))
        b = prep.buildings
        self.in_place = b.population.to_numpy(float).copy()
        self.flagged = np.zeros(len(b), bool)
        self.ordered = np.zeros(len(b), bool)
        self.evacuating = 0.0
        self.sheltered = 0.0
        self.left_area = 0.0  # evacuees who found no shelter place and drove out of the danger area
        # departures (persons, each time they set off) while the toxic zone covered their building or
        # shelter
        self.left_in_cloud = 0.0
        self.exposed_en_route = 0.0  # evacuees whose drive crosses the risk zone's level of the cloud
        self.exposed_en_route_person_s = 0.0  # and their person-seconds on roads at that level, queues included
        # evacuees' person-seconds on the roads (setting off to arriving or turning back, queues
        # included, those still out counted to now): the integral of ``evacuating``, kept by _on_road
        self.road_person_s = 0.0
        self._road_t = 0.0
        # indoor air of every building (one-box infiltration on the hazmat frames): its air changes
        # per hour (lowered by a shelter-in-place order), concentration, and whether it has reached
        # the risk zone's level; persons still inside then are counted once
        self.ach = np.full(len(b), prep.params.indoor_air_changes_per_h)
        self.c_in = np.zeros(len(b))  # at the end of the indoor watch's current step
        self._c_in_start = (-math.inf, self.c_in)  # the step's start time and concentration then
        self.indoor_hit = np.zeros(len(b), bool)
        self.indoor_at_risk = 0.0
        # sheltered persons whose shelter is at risk (open-air sites: outdoor air, flood at the site),
        # :meth:`_shelter_risk`: the shelters at risk now, the most persons each held while at risk,
        # and the person-seconds (kept exactly by :meth:`_shelter_tick`)
        self.shelter_at_risk: set[str] = set()
        self.shelter_hit_persons = dict.fromkeys(sh.name, 0.0)
        self.sheltered_at_risk_person_s = 0.0
        self._shelter_t = 0.0
        self.indoor_at_risk_person_s = 0.0  # person-seconds indoors with the air at the risk zone's level
        self.people_rows: list[dict] = []
        self.shelter_rows: list[dict] = []
        self.exit_rows: list[dict] = []  # evacuee groups out of the danger area: where, when, how many

    # ------------------------------------------------------------------ evacuation
    def evacuate(self, act: Any, label: str, why: str) -> None:
        """An evacuation order: the persons in place in its area, grouped by their nearest road
        node, go to the open safe shelters (transportation LP on the route costs, within the places
        left); those who find no place drive out of the danger area or stay
        (``evacuation_without_place``). Each group sets off in Rayleigh-timed subgroups."""
        now = self.env.now
        sel = self.prep.buildings_in(act, now) & ~self.ordered & (self.in_place > 0)
        if not sel.any():
            self.say("evacuate", f"{label}: nobody left to evacuate in the area", why)
            return
        self.ordered |= sel
        self.flagged |= sel
        b = self.prep.buildings
        idx = np.flatnonzero(sel)
        node = np.asarray(b.node.to_numpy())[idx]
        groups = [np.asarray(g) for _, g in pd.Series(idx).groupby(node)]
        persons = np.array([self.in_place[g].sum() for g in groups], float)
        gxy = np.array([[b.x_m.to_numpy()[g].mean(), b.y_m.to_numpy()[g].mean()] for g in groups], float)
        go = self._allocate(persons, gxy, now, act)
        msg = f"{label}: {persons.sum():.0f} persons from {len(idx)} buildings" + self._allocation_text(go, persons, now)
        if go.staying.sum() > 0:
            stay_s = self._seconds_at_risk_staying(idx, now)  # idx is sorted: a group's positions in it
            g_s = np.array([np.average(stay_s[np.searchsorted(idx, g)], weights=self.in_place[g]) for g in groups])
            msg += (f"; {go.staying.sum():.0f} find {self._why_staying(now)} and stay (forecast "
                    f"{np.average(g_s, weights=go.staying) / 60:.0f} min at risk in place on average)")
        self.say("evacuate", msg, why)
        self._set_off([("buildings", g, self.in_place[g].copy()) for g in groups], gxy, go,
                      act.spec.departure_mean_min * 60.0, act)

    def relocate(self, act: Any, label: str, why: str) -> None:
        """A relocation order: the persons in the named (or all) shelters that are no longer safe
        to be sent to (:meth:`_safe_to_go`: the hazard forecast known now puts them at risk before
        the drill's end, or they lie in the isolation circle) or at risk now leave them, each
        shelter's persons as one group, for the other usable shelters with places (the same LP as
        :meth:`evacuate`), or out of the danger area (``evacuation_without_place``); those who
        find neither stay in their shelter. Rayleigh-timed subgroups as an evacuation; persons an
        earlier order is already sending out of a shelter are not sent again."""
        now = self.env.now
        names = [s for s in dict.fromkeys(self.shelter_load if act.spec.shelters == "all" else act.spec.shelters)
                 if self._staying_in(s) > 0.5]
        if names:
            ok = self._shelters_to_go(names, now)
            names = [s for s, k in zip(names, ok) if not k or not self.prep.shelter_safe(s, now)]
        if not names:
            leaving = sum(self.shelter_leaving.values())
            self.say("relocate", f"{label}: no occupied shelter is at risk" + (
                f" that an earlier order is not already emptying ({leaving:.0f} persons about to set off)"
                if leaving > 0.5 else ""), why)
            return
        persons = np.array([self._staying_in(s) for s in names], float)
        gxy = self.prep.shelters.set_index("name").loc[names, ["x_m", "y_m"]].to_numpy(float)
        go = self._allocate(persons, gxy, now, None)
        msg = (f"{label}: {persons.sum():.0f} persons in {len(names)} shelter{'s' if len(names) > 1 else ''} "
               f"at risk ({', '.join(names)})" + self._allocation_text(go, persons, now, exclude=names,
                                                                           order_area=False))
        if go.staying.sum() > 0:
            msg += f"; {go.staying.sum():.0f} find {self._why_staying(now)} and stay in their shelter"
        self.say("relocate", msg, why)
        self._set_off([("shelter", s, float(n)) for s, n in zip(names, persons)], gxy, go,
                      act.spec.departure_mean_min * 60.0, None)

    def _staying_in(self, shelter: str) -> float:
        """Persons in ``shelter`` that no relocation order is already sending elsewhere."""
        return max(self.shelter_load[shelter] - self.shelter_leaving[shelter], 0.0)

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

    def _set_off(self, origins: list[tuple[str, Any, Any]], gxy: np.ndarray, go: "Allocation",
                 departure_mean_s: float, act: Any | None) -> None:
        """Book the shelter places of an allocation and start its trips: each group's share for
        each destination in Rayleigh-timed subgroups (at least :data:`EVAC_SUBGROUPS`, at most
        :data:`EVAC_GROUP_PCU` car units each). An origin is ``("buildings", indices, persons per
        building)`` or ``("shelter", name, persons)``: the persons the allocation moves from it.
        ``act``: the order (its area bounds the ways out; None for a relocation)."""
        for gi, (kind, where, persons) in enumerate(origins):
            total = float(np.sum(persons))
            trips = [(float(go.x[gi, sj]), s, tuple(go.shelter_xy[sj])) for sj, s in enumerate(go.shelters)]
            trips.append((float(go.leaving[gi]), None, go.exits))
            for p, s, dxy in trips:
                if p < 0.5:
                    continue
                if s is not None:
                    self.shelter_booked[s] += p
                pcu = evacuation_pcu(p, self.prep.params.evacuation_car_share, self.prep.params.persons_per_vehicle)
                k = max(EVAC_SUBGROUPS, math.ceil(pcu / EVAC_GROUP_PCU))
                planned = (kind, where, np.asarray(persons) * (p / total / k) if kind == "buildings" else p / k)
                if kind == "shelter":
                    self.shelter_leaving[where] += p
                for t in rayleigh_quantiles(k, departure_mean_s):
                    self.env.process(self._evac_trip(planned, tuple(gxy[gi]), s, dxy, float(t), act))

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

    def _seconds_at_risk_staying(self, bidx: np.ndarray, now: float) -> np.ndarray:
        """Seconds from ``now`` to the drill's end that the persons of buildings ``bidx`` would be
        at risk if they stayed, by the hazard frames as forecast (the hazmat release once known,
        :meth:`sim.drill.prepare.Prepared.hazmat_known`): their indoor air at or above the
        risk zone's level (one-box model from its present state at the building's present air
        changes, :func:`sim.hazmat.exposure.indoor_seconds_at_or_above`) or the flood deeper than
        ``risk_depth_m`` at the building (each second once)."""
        p = self.prep
        flood = (p.flood.times_s, p.flood_risk[:, bidx]) if p.flood is not None else None
        if p.hazmat_known(now):
            return indoor_seconds_at_or_above(self._indoor_air(bidx, now), p.building_conc[:, bidx], p.hazmat.times_s,
                                              self.ach[bidx], p.hazmat.thresholds[p.params.risk_zone],
                                              now, p.duration_s, or_flags=flood)
        if flood is not None:
            return seconds_held(flood[1], flood[0], now, p.duration_s)
        return np.zeros(len(bidx))

    def _route_mode(self, inside: bool) -> tuple[bool, float]:
        """(protected, zone penalty) of an evacuee group's routes. One that sets off inside the
        closed (red) zone drives out through it, as a protected team may, each second in the risk
        zone costing at least :data:`LEAVING_ZONE_PENALTY`: the quickest way out, not the fastest
        way through; the others keep out of it."""
        pen = self.plan.evacuation_zone_penalty
        return (True, max(pen, LEAVING_ZONE_PENALTY)) if inside else (False, pen)

    def _evac_trip(self, origin: tuple[str, Any, Any], xy: tuple, shelter: str | None, sxy: Any,
                   delay: float, act: Any | None):
        """One subgroup's trip from ``origin`` (as in :meth:`_set_off`, with this subgroup's
        persons) to ``shelter`` at ``sxy``, or, with ``shelter`` None, out of the danger area to
        whichever of the points ``sxy`` (k, 2) its route reaches at least cost. When it sets off
        it checks its destination again: a shelter no longer usable (:meth:`_usable_shelters`), or
        ways out none of which is still safe to go to, and the subgroup is allocated afresh
        (:meth:`_redirect`); places booked for persons who are no longer there are released. On
        its way it checks again at every node and is sent elsewhere from there
        (:meth:`_redirect_en_route`)."""
        yield self.env.timeout(delay)
        kind, where, planned = origin
        if kind == "shelter":
            self.shelter_leaving[where] -= planned
        now = float(self.env.now)
        if shelter is not None and shelter not in self._usable_shelters(now)[0]:
            self.shelter_booked[shelter] -= float(np.sum(planned))
            self._redirect(origin, xy, shelter, act)
            return
        if shelter is None:
            sxy = sxy[self._safe_to_go(sxy, now)]
            if not len(sxy):
                self._redirect(origin, xy, "the ways out of the danger area", act)
                return
        take = self._take(origin)
        n = float(np.sum(take))
        if shelter is not None:
            self.shelter_booked[shelter] -= float(np.sum(planned)) - n
        if n <= 0.0:
            return
        self._on_road(n)
        pcu = evacuation_pcu(n, self.prep.params.evacuation_car_share, self.prep.params.persons_per_vehicle)
        prot, pen = self._route_mode(bool(self.road.in_closed_zone(np.asarray([xy]), self.env.now)[0]))
        dest = _Destination(shelter, sxy)
        trip, spread = yield self.env.process(self.queues.drive(
            xy, sxy, pcu, persons=n, sees_queues=self.plan.evacuation_sees_queues,
            zone_forecast=self.plan.evacuation_zone_forecast, forecast_from_s=self.prep.hazmat_known_s,
            avoid_penalty=pen, protected=prot,
            redirect=lambda at, t: self._redirect_en_route(dest, n, at, t, act)))
        shelter = dest.shelter
        hm = self.prep.hazmat
        if hm is not None:
            # counted when no route round the risk zone was worth its detour (or none existed);
            # the group's head stands for it (its vehicles follow within ``spread``)
            s_in = self.road.time_at_or_above_on_trip(trip, hm.thresholds[self.prep.params.risk_zone], "toxic")
            if s_in > 0.0:
                self.exposed_en_route += n
                self.exposed_en_route_person_s += n * s_in
        if not trip.reachable:
            yield self.env.timeout(max(float(trip.times_s[-1]) - self.env.now, 0.0))  # stuck at its last node
            self._on_road(-n)
            self._put_back(origin, take)
            if shelter is not None:
                self.shelter_booked[shelter] -= n
            self.say("evacuate", f"{n:.0f} persons cannot reach {shelter or 'a way out of the danger area'}; back "
                     + ("in place" if origin[0] == "buildings" else f"in {origin[1]}"), "no open route")
            return
        # the persons count as arrived when the group's middle vehicle has
        yield self.env.timeout(max(trip.t_arrive_s + 0.5 * spread - self.env.now, 0.0))
        self._on_road(-n)
        if shelter is None:
            self.left_area += n
            x, y = (float(v) for v in trip.xy[-1])
            self.exit_rows.append({"t_s": float(self.env.now), "x_m": x, "y_m": y, "persons": n})
            return
        self._shelter_tick()
        self.sheltered += n
        self.shelter_load[shelter] += n
        if shelter in self.shelter_at_risk:
            self.shelter_hit_persons[shelter] = max(self.shelter_hit_persons[shelter], self.shelter_load[shelter])

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
        if s is not None:
            if s in self._usable_shelters(now)[0]:
                return None
            gave_up = s
        else:
            ok = self._safe_to_go(dest.xy, now)
            if ok.all():
                return None
            if ok.any():
                dest.xy = dest.xy[ok]
                return dest.xy, "ways out the forecast now puts at risk dropped"
            gave_up = "the ways out of the danger area"
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

    def _redirect(self, origin: tuple[str, Any, Any], xy: tuple, gave_up: str, act: Any | None) -> None:
        """A subgroup whose destination is no longer safe to go to when it sets off: its persons
        still at the origin are allocated afresh (:meth:`_allocate`) and set off at once; the log
        names the first re-sent from each destination given up."""
        kind, where, planned = origin
        avail = np.minimum(planned, self.in_place[where]) if kind == "buildings" else \
            min(planned, self._staying_in(where))
        n = float(np.sum(avail))
        if n < 0.5:
            return
        now = float(self.env.now)
        go = self._allocate(np.array([n]), np.array([xy], float), now, act)
        if gave_up not in self.redirected:
            msg = (f"{n:.0f} persons setting off for {gave_up} are re-sent, and those after them likewise "
                   f"({self._safe_rule(now)})" + self._allocation_text(go, np.array([n]), now, exclude=[gave_up],
                                                                        order_area=act is not None))
            if go.staying.sum() > 0:
                msg += f"; {go.staying.sum():.0f} find {self._why_staying(now)} and stay"
            self.say("evacuate", msg, "destination no longer safe to go to")
        self.redirected[gave_up] = self.redirected.get(gave_up, 0.0) + n
        self._set_off([(kind, where, avail)], np.array([xy], float), go, 0.0, act)

    def _take(self, origin: tuple[str, Any, Any]) -> Any:
        """Persons leaving ``origin`` now (:meth:`_evac_trip`), as planned and still there, counted
        out of it: an array over the buildings, or a number for a shelter. Those who set off where
        the toxic zone is now count in ``left_in_cloud``."""
        now = self.env.now
        kind, where, planned = origin
        if kind == "buildings":
            take = np.minimum(planned, self.in_place[where])
            self.in_place[where] -= take
            self.left_in_cloud += float(take[self.prep.in_cloud(now)[where]].sum())
            return take
        self._shelter_tick()
        take = min(planned, self.shelter_load[where])
        self.shelter_load[where] -= take
        self.shelter_booked[where] -= take
        self.sheltered -= take
        s = self.prep.shelters.set_index("name").loc[where]
        if self.prep.in_cloud_at(np.array([[s.x_m, s.y_m]]), now)[0]:
            self.left_in_cloud += take
        return take

    def _put_back(self, origin: tuple[str, Any, Any], take: Any) -> None:
        """Persons of a trip that cannot go on, back where they set off from."""
        kind, where, _ = origin
        if kind == "buildings":
            self.in_place[where] += take
            return
        self._shelter_tick()
        self.shelter_load[where] += take
        self.shelter_booked[where] += take
        self.sheltered += take
        if where in self.shelter_at_risk:
            self.shelter_hit_persons[where] = max(self.shelter_hit_persons[where], self.shelter_load[where])

    def _shelter_tick(self) -> None:
        """``sheltered_at_risk_person_s`` integrates the persons in shelters at risk up to now
        (loads and the set at risk change only at arrivals and hazard frames, where this is called)."""
        now = float(self.env.now)
        self.sheltered_at_risk_person_s += sum(self.shelter_load[s] for s in self.shelter_at_risk) * (now - self._shelter_t)
        self._shelter_t = now

    def _shelter_risk(self) -> None:
        """At a hazard frame: the shelters at risk now (:meth:`sim.drill.prepare.Prepared.shelter_safe`:
        flood at the site deeper than ``risk_depth_m`` or the outdoor air at the risk zone's level;
        the sites are open-air, so their persons breathe it); the log names those that hold persons."""
        now = float(self.env.now)
        self._shelter_tick()
        hit = {s: self.prep.shelter_hazards(s, now) for s in self.shelter_load}
        at = {s for s, why in hit.items() if why}
        for s in sorted(at - self.shelter_at_risk):
            if self.shelter_load[s] > 0.5:
                self.say("risk", f"{self.shelter_load[s]:.0f} persons in shelter {s}, which is now at risk",
                         " and ".join(hit[s]))
        self.shelter_at_risk = at
        for s in at:
            self.shelter_hit_persons[s] = max(self.shelter_hit_persons[s], self.shelter_load[s])

    def _indoor_air(self, bidx: np.ndarray, now: float) -> np.ndarray:
        """Indoor concentration of buildings ``bidx`` at ``now`` (kg/m3): the indoor watch's state
        at its current step's start carried to ``now`` (:func:`sim.hazmat.exposure.indoor_window`
        at the present air changes), not ``c_in``, which already holds the step's end."""
        t0, c0 = self._c_in_start
        if not math.isfinite(t0):  # before the release: clean air
            return self.c_in[bidx]
        if now <= t0:
            return c0[bidx]
        hm = self.prep.hazmat
        return indoor_window(c0[bidx], self.prep.building_conc[:, bidx], hm.times_s, self.ach[bidx],
                             hm.thresholds[self.prep.params.risk_zone], t0, now)[1]

    def _indoor_watch(self, dt_s: float = 60.0):
        """Every ``dt_s`` from the release: the indoor air of each building follows the outdoor
        frame holding then (:func:`sim.hazmat.exposure.indoor_step`, at the building's current air
        changes); buildings whose indoor air first reaches the risk zone's level add the persons
        still inside, and the persons inside at the step's start count for the seconds of the
        step (up to the drill's end) their air is at that level, the one-box model integrated
        exactly over the frames held meanwhile (:func:`sim.hazmat.exposure.indoor_window`)."""
        hm = self.prep.hazmat
        thr = hm.thresholds[self.prep.params.risk_zone]
        yield self.env.timeout(max(float(hm.times_s[0]) - self.env.now, 0.0))
        while True:
            now = float(self.env.now)
            self._c_in_start = (now, self.c_in)
            above_s, self.c_in = indoor_window(self.c_in, self.prep.building_conc, hm.times_s, self.ach, thr, now,
                                               min(now + dt_s, self.prep.duration_s))
            new = (above_s > 0.0) & ~self.indoor_hit
            if new.any():
                self.indoor_hit |= new
                self.indoor_at_risk += float(self.in_place[new].sum())
            self.indoor_at_risk_person_s += float(self.in_place @ above_s)
            yield self.env.timeout(dt_s)

    def _sampler(self):
        """Every frame interval, once the events already due then (hazard frames, arrivals) have
        run, so that a row holds the state at its time."""
        while True:
            yield self.env.timeout(0.0)
            self._sample()
            yield self.env.timeout(self.prep.params.frame_interval_s)

    def _on_road(self, dn: float) -> None:
        """``evacuating`` changes by dn persons now; ``road_person_s`` integrates it up to now."""
        now = float(self.env.now)
        self.road_person_s += max(self.evacuating, 0.0) * (now - self._road_t)  # (float residue of += n, -= n)
        self._road_t = now
        self.evacuating += dn

    def _sample(self) -> None:
        self._on_road(0.0)
        self._shelter_tick()
        t = float(self.env.now)
        inp = float(self.in_place[self.flagged].sum())
        self.people_rows.append({"plan": self.plan.name, "t_s": t,
                                 "at_risk": inp + self.evacuating + self.sheltered + self.left_area,
                                 "in_place": inp, "evacuating": self.evacuating, "sheltered": self.sheltered,
                                 "left_area": self.left_area,
                                 "left_in_cloud": self.left_in_cloud,
                                 "re_sent": sum(self.redirected.values()) + sum(self.redirected_en_route.values()),
                                 "exposed_en_route": self.exposed_en_route,
                                 "exposed_en_route_person_min": self.exposed_en_route_person_s / 60.0,
                                 "road_person_h": self.road_person_s / 3600.0,
                                 "indoor_at_risk": self.indoor_at_risk,
                                 "indoor_at_risk_person_min": self.indoor_at_risk_person_s / 60.0,
                                 "sheltered_at_risk": sum(self.shelter_hit_persons.values()),
                                 "sheltered_at_risk_person_min": self.sheltered_at_risk_person_s / 60.0,
                                 "population_in_place_total": float(self.in_place.sum())})
        caps = self.prep.shelters.set_index("name").capacity_persons
        for s, load in self.shelter_load.items():
            self.shelter_rows.append({"plan": self.plan.name, "t_s": t, "shelter": s, "load_persons": load,
                                      "capacity_persons": float(caps[s]), "open": s in self.shelter_open,
                                      "at_risk": s in self.shelter_at_risk})

    def _queue_table(self) -> pd.DataFrame:
        """:meth:`LinkQueues.link_table` with the plan, each link's road class and the nearest
        place of the city (name and distance from the link's middle), so unnamed links can be found."""
        q = self.queues.link_table()
        q.insert(0, "plan", self.plan.name)
        g = self.road.g
        edges = [g.edges[u, v, k] for u, v, k in zip(q.u, q.v, q.k)]
        q.insert(2, "road_class", [str(d.get("highway") or "") for d in edges])
        q.insert(3, "near", self._near([d["geometry"].interpolate(0.5, normalized=True) for d in edges]))
        return q

    def _exits_table(self) -> pd.DataFrame:
        """One row per way out of the danger area that evacuees without a shelter place took
        (``evacuation_without_place: leave``): where (its road node, the nearest place of the
        city), the groups and persons that got out there and when the first and the last did;
        most persons first. Where to post traffic police and signs on the night."""
        cols = ["plan", "x_m", "y_m", "near", "groups", "persons", "first_s", "last_s"]
        if not self.exit_rows:
            return pd.DataFrame(columns=cols)
        e = pd.DataFrame(self.exit_rows)
        out = e.groupby(["x_m", "y_m"], sort=False).agg(groups=("persons", "size"), persons=("persons", "sum"),
                                                        first_s=("t_s", "min"), last_s=("t_s", "max")).reset_index()
        out.insert(0, "plan", self.plan.name)
        out.insert(3, "near", self._near([Point(x, y) for x, y in zip(out.x_m, out.y_m)]))
        out[["persons", "first_s", "last_s"]] = out[["persons", "first_s", "last_s"]].round(1)
        return out[cols].sort_values("persons", ascending=False, kind="stable").reset_index(drop=True)

    def _near(self, points: list) -> list[str]:
        """The nearest place of the city to each shapely point, with its distance ("" without places)."""
        places = self.prep.city.places
        if places is None or not len(places):
            return [""] * len(points)
        out = []
        for pt in points:
            dist = places.geometry.distance(pt).to_numpy()
            i = int(np.argmin(dist))
            out.append(f"{places.name.iloc[i]} ({dist[i]:.0f} m)")
        return out
