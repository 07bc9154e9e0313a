"""People in a drill plan's run: per building in place, evacuating, sheltered or out of the danger
area with no shelter place (their sum is conserved), evacuee vehicle groups on the roads
(:mod:`sim.drill.evac_traffic`), the indoor air of every building, and the series and tables the
review reads; where they may go is :mod:`sim.drill.destinations`. A mixin of
:class:`sim.drill.engine.PlanRun`, whose clock (``env``), log (``say``), road state and link
queues it uses."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry import Point

from sim.drill.destinations import WAYS_OUT, Allocation, DestinationsMixin, _Destination
from sim.drill.hazards import seconds_held
from sim.hazmat.exposure import indoor_seconds_at_or_above, indoor_window
from sim.hazmat.impacts import evacuation_pcu, rayleigh_quantiles

EVAC_SUBGROUPS = 4
"""Fewest departure groups per building group and shelter (Rayleigh mid-quantiles)."""
EVAC_GROUP_PCU = 20.0
"""Most passenger-car units in one evacuee vehicle group (as sim.hazmat's group_vehicles)."""


class PeopleMixin(DestinationsMixin):
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
        kept = self._still_safe(shelter, sxy, now)
        if kept is None:
            if shelter is not None:
                self.shelter_booked[shelter] -= float(np.sum(planned))
            self._redirect(origin, xy, shelter or WAYS_OUT, act)
            return
        sxy = kept
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
