"""People in a drill plan's run: per building in place, evacuating, sheltered or out of the danger
area with no shelter place (their sum is conserved), evacuee vehicle groups on the roads
(:mod:`sim.drill.evac_traffic`), the indoor air of every building, and the series and tables the
review reads. A mixin of
:class:`sim.drill.engine.PlanRun`, whose clock (``env``), log (``say``), road state and link
queues it uses."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry import Point

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


class PeopleMixin:
    """The people part of :class:`sim.drill.engine.PlanRun`."""

    def _init_people(self, prep: Any) -> None:
        """The people state of a run at its start: everybody in place, nobody flagged at risk."""
        self.shelter_open: set[str] = set()
        sh = prep.shelters
        self.shelter_load = dict.fromkeys(sh.name, 0.0)
        self.shelter_booked = dict.fromkeys(sh.name, 0.0)
        b = prep.buildings
        self.in_place = b.population.to_numpy(float).copy()
        self.flagged = np.zeros(len(b), bool)
        self.ordered = np.zeros(len(b), bool)
        self.evacuating = 0.0
        self.sheltered = 0.0
        self.left_area = 0.0  # evacuees who found no shelter place and drove out of the danger area
        self.left_in_cloud = 0.0  # persons who set off while the toxic zone covered their building
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
        self.c_in = np.zeros(len(b))
        self.indoor_hit = np.zeros(len(b), bool)
        self.indoor_at_risk = 0.0
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
        inside = self.road.in_closed_zone(gxy, now)
        open_ = [s for s in self.shelter_load if s in self.shelter_open and self.prep.shelter_safe(s, now)]
        sh = self.prep.shelters.set_index("name").loc[open_]
        sxy = sh[["x_m", "y_m"]].to_numpy(float)
        x = np.zeros((len(groups), len(open_)))
        if open_:
            cap = np.array([max(sh.capacity_persons[s] - self.shelter_booked[s], 0.0) for s in open_], float)
            x, _ = assign_to_shelters(persons, cap, self._evac_costs(gxy, inside, sxy, now))
            x[x < 0.5] = 0.0  # (LP slivers: no trip)
        left = np.maximum(persons - x.sum(axis=1), 0.0)
        left[left < 0.5] = 0.0
        exits = np.empty((0, 2))
        can_leave = np.zeros(len(groups), bool)
        if self.plan.evacuation_without_place == "leave" and left.any():
            exits = self._exits(act, now)
            if len(exits):
                rows = left > 0
                can_leave[rows] = np.isfinite(self._evac_costs(gxy[rows], inside[rows], exits, now).min(axis=1))
        leaving = np.where(can_leave, left, 0.0)
        staying = left - leaving
        msg = f"{label}: {persons.sum():.0f} persons from {len(idx)} buildings"
        if inside.any():
            msg += f", {persons[inside].sum():.0f} of them from inside the closed zone, which they drive out through"
        msg += (f"; {x.sum():.0f} to {len(open_)} open safe shelters" if open_ else "; no shelter is open and safe")
        if leaving.sum() > 0:
            msg += (f"; {leaving.sum():.0f} find no shelter place and drive out of the danger area (to whichever "
                    f"of the {len(exits)} road points outside the order's area that the forecast keeps out of danger "
                    "their route reaches at least cost)")
        if staying.sum() > 0:
            stay_s = self._seconds_at_risk_staying(idx, now)  # idx is sorted: a group's positions in it
            g_s = np.array([np.average(stay_s[np.searchsorted(idx, g)], weights=self.in_place[g]) for g in groups])
            why_not = "no shelter place" if self.plan.evacuation_without_place == "stay" else \
                "no shelter place and no way out of the area"
            if self.plan.evacuation_without_place == "leave" and self.plan.evacuation_isolation_m > 0 \
                    and self.prep.hazmat is not None:
                why_not += f" (ways out kept {self.plan.evacuation_isolation_m:,.0f} m from the release)"
            msg += (f"; {staying.sum():.0f} find {why_not} and stay (forecast "
                    f"{np.average(g_s, weights=staying) / 60:.0f} min at risk in place on average)")
        self.say("evacuate", msg, why)
        for gi, g in enumerate(groups):
            trips = [(float(x[gi, sj]), s, tuple(sxy[sj])) for sj, s in enumerate(open_)]
            trips.append((float(leaving[gi]), None, exits))
            for p, s, dxy in trips:
                if p < 0.5:
                    continue
                if s is not None:
                    self.shelter_booked[s] += p
                pcu = evacuation_pcu(p, self.prep.params.evacuation_car_share, self.prep.params.persons_per_vehicle)
                k = max(EVAC_SUBGROUPS, math.ceil(pcu / EVAC_GROUP_PCU))
                for t in rayleigh_quantiles(k, act.spec.departure_mean_min * 60.0):
                    self.env.process(self._evac_trip(g, p / persons[gi] / k, tuple(gxy[gi]), s, dxy, float(t)))

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

    def _exits(self, act: Any, now: float) -> np.ndarray:
        """(k, 2) the road nodes outside the order's area (:meth:`sim.drill.prepare.Prepared.in_area`)
        that the hazard forecast never puts at risk from ``now`` to the drill's end
        (:meth:`sim.drill.prepare.Prepared.out_of_danger`) and that lie at least
        ``evacuation_isolation_m`` from the hazmat release: the ways out of the danger area. A
        group that leaves drives to whichever its route reaches at least cost, chosen again at
        every plan (:meth:`sim.drill.network.RoadState.drive` with several destinations), so with
        ``evacuation_sees_queues`` the groups spread over the exits as the queues grow."""
        xy = self.road.node_xy
        ok = self.prep.out_of_danger(xy, now) & ~self.prep.in_area(act, xy, now)
        hm, iso = self.prep.hazmat, self.plan.evacuation_isolation_m
        if hm is not None and iso > 0.0:
            ok &= np.hypot(xy[:, 0] - hm.source_xy[0], xy[:, 1] - hm.source_xy[1]) >= iso
        return xy[ok]

    def _seconds_at_risk_staying(self, bidx: np.ndarray, now: float) -> np.ndarray:
        """Seconds from ``now`` to the drill's end that the persons of buildings ``bidx`` would be
        at risk if they stayed, by the hazard frames as forecast: their indoor air at or above the
        risk zone's level (one-box model from its present state at the building's present air
        changes, :func:`sim.hazmat.exposure.indoor_seconds_at_or_above`) or the flood deeper than
        ``risk_depth_m`` at the building (each second once)."""
        p = self.prep
        flood = (p.flood.times_s, p.flood_risk[:, bidx]) if p.flood is not None else None
        if p.hazmat is not None:
            return indoor_seconds_at_or_above(self.c_in[bidx], p.building_conc[:, bidx], p.hazmat.times_s,
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

    def _evac_trip(self, bidx: np.ndarray, share: float, xy: tuple, shelter: str | None, sxy: Any, delay: float):
        """One subgroup's trip from buildings ``bidx`` (``share`` of their population) to ``shelter``
        at ``sxy``, or, with ``shelter`` None, out of the danger area to whichever of the points
        ``sxy`` (k, 2) its route reaches at least cost."""
        yield self.env.timeout(delay)
        take = np.minimum(self.prep.buildings.population.to_numpy(float)[bidx] * share, self.in_place[bidx])
        n = float(take.sum())
        if n <= 0.0:
            return
        self.in_place[bidx] -= take
        self._on_road(n)
        self.left_in_cloud += float(take[self.prep.in_cloud(self.env.now)[bidx]].sum())  # counted as they set off
        pcu = evacuation_pcu(n, self.prep.params.evacuation_car_share, self.prep.params.persons_per_vehicle)
        prot, pen = self._route_mode(bool(self.road.in_closed_zone(np.asarray([xy]), self.env.now)[0]))
        trip, spread = yield self.env.process(self.queues.drive(xy, sxy, pcu,
                                                                persons=n, sees_queues=self.plan.evacuation_sees_queues,
                                                                zone_forecast=self.plan.evacuation_zone_forecast,
                                                                avoid_penalty=pen, protected=prot))
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
            self.in_place[bidx] += take
            if shelter is not None:
                self.shelter_booked[shelter] -= n
            self.say("evacuate", f"{n:.0f} persons cannot reach {shelter or 'a way out of the danger area'}; back "
                     "in place", "no open route")
            return
        # the persons count as arrived when the group's middle vehicle has
        yield self.env.timeout(max(trip.t_arrive_s + 0.5 * spread - self.env.now, 0.0))
        self._on_road(-n)
        if shelter is None:
            self.left_area += n
            x, y = (float(v) for v in trip.xy[-1])
            self.exit_rows.append({"t_s": float(self.env.now), "x_m": x, "y_m": y, "persons": n})
            return
        self.sheltered += n
        self.shelter_load[shelter] += n

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
            above_s, self.c_in = indoor_window(self.c_in, self.prep.building_conc, hm.times_s, self.ach, thr, now,
                                               min(now + dt_s, self.prep.duration_s))
            new = (above_s > 0.0) & ~self.indoor_hit
            if new.any():
                self.indoor_hit |= new
                self.indoor_at_risk += float(self.in_place[new].sum())
            self.indoor_at_risk_person_s += float(self.in_place @ above_s)
            yield self.env.timeout(dt_s)

    def _sampler(self):
        while True:
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
        t = float(self.env.now)
        inp = float(self.in_place[self.flagged].sum())
        self.people_rows.append({"plan": self.plan.name, "t_s": t,
                                 "at_risk": inp + self.evacuating + self.sheltered + self.left_area,
                                 "in_place": inp, "evacuating": self.evacuating, "sheltered": self.sheltered,
                                 "left_area": self.left_area,
                                 "left_in_cloud": self.left_in_cloud, "exposed_en_route": self.exposed_en_route,
                                 "exposed_en_route_person_min": self.exposed_en_route_person_s / 60.0,
                                 "road_person_h": self.road_person_s / 3600.0,
                                 "indoor_at_risk": self.indoor_at_risk,
                                 "indoor_at_risk_person_min": self.indoor_at_risk_person_s / 60.0,
                                 "population_in_place_total": float(self.in_place.sum())})
        caps = self.prep.shelters.set_index("name").capacity_persons
        for s, load in self.shelter_load.items():
            self.shelter_rows.append({"plan": self.plan.name, "t_s": t, "shelter": s, "load_persons": load,
                                      "capacity_persons": float(caps[s]), "open": s in self.shelter_open})

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
