"""People in a drill plan's run: per building in place, evacuating or sheltered (their sum is
conserved), evacuee vehicle groups on the roads (:mod:`sim.drill.evac_traffic`), the indoor air
of every building, and the series and tables the review reads. A mixin of
:class:`sim.drill.engine.PlanRun`, whose clock (``env``), log (``say``), road state and link
queues it uses."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.drill.hazards import frame_index
from sim.hazmat.exposure import indoor_step
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
        self.people_rows: list[dict] = []
        self.shelter_rows: list[dict] = []

    # ------------------------------------------------------------------ evacuation
    def evacuate(self, act: Any, label: str, why: str) -> None:
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
        groups = pd.Series(idx).groupby(node)
        open_ = [s for s in self.shelter_load if s in self.shelter_open and self.prep.shelter_safe(s, now)]
        persons = np.array([self.in_place[g].sum() for _, g in groups], float)
        gxy = np.array([[b.x_m.to_numpy()[g].mean(), b.y_m.to_numpy()[g].mean()] for _, g in groups], float)
        if not open_:
            self.say("evacuate", f"{label}: evacuation ordered for {persons.sum():.0f} persons but no shelter is open "
                     "and safe; they stay in place", why)
            return
        sh = self.prep.shelters.set_index("name").loc[open_]
        cap = np.array([max(sh.capacity_persons[s] - self.shelter_booked[s], 0.0) for s in open_], float)
        # the costs of the routes the evacuees will take (round the risk zone where worth it; out
        # through the closed zone for those inside it)
        inside = self.road.in_closed_zone(gxy, now)
        cost = np.empty((len(gxy), len(open_)))
        sxy = sh[["x_m", "y_m"]].to_numpy(float)
        for ins in (False, True):
            rows = inside == ins
            if rows.any():
                prot, pen = self._route_mode(ins)
                cost[rows] = self.road.travel_times(gxy[rows], sxy, now, protected=np.full(rows.sum(), prot),
                                                    avoid_penalty=pen)
        x, unshel = assign_to_shelters(persons, cap, cost)
        self.say("evacuate", f"{label}: {persons.sum():.0f} persons from {len(idx)} buildings to {len(open_)} shelters"
                 + (f", {persons[inside].sum():.0f} of them from inside the closed zone, which they drive out "
                    "through" if inside.any() else "")
                 + (f"; {unshel:.0f} find no room or route and stay" if unshel > 0.5 else ""), why)
        for gi, (_, g) in enumerate(groups):
            for sj, s in enumerate(open_):
                p = float(x[gi, sj])
                if p < 0.5:
                    continue
                self.shelter_booked[s] += p
                share = p / persons[gi]
                pcu = evacuation_pcu(p, self.prep.params.evacuation_car_share, self.prep.params.persons_per_vehicle)
                k = max(EVAC_SUBGROUPS, math.ceil(pcu / EVAC_GROUP_PCU))
                for t in rayleigh_quantiles(k, act.spec.departure_mean_min * 60.0):
                    self.env.process(self._evac_trip(np.asarray(g), share / k, tuple(gxy[gi]), s,
                                                     (sh.x_m[s], sh.y_m[s]), float(t)))

    def _route_mode(self, inside: bool) -> tuple[bool, float]:
        """(protected, zone penalty) of an evacuee group's routes. One that sets off inside the
        closed (red) zone drives out through it, as a protected team may, each second in the risk
        zone costing at least :data:`LEAVING_ZONE_PENALTY`: the quickest way out, not the fastest
        way through; the others keep out of it."""
        pen = self.plan.evacuation_zone_penalty
        return (True, max(pen, LEAVING_ZONE_PENALTY)) if inside else (False, pen)

    def _evac_trip(self, bidx: np.ndarray, share: float, xy: tuple, shelter: str, sxy: tuple, delay: float):
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
            self.shelter_booked[shelter] -= n
            self.say("evacuate", f"{n:.0f} persons cannot reach {shelter}; back in place", "no open route")
            return
        # the persons count as arrived when the group's middle vehicle has
        yield self.env.timeout(max(trip.t_arrive_s + 0.5 * spread - self.env.now, 0.0))
        self._on_road(-n)
        self.sheltered += n
        self.shelter_load[shelter] += n

    def _indoor_watch(self, dt_s: float = 60.0):
        """Every ``dt_s`` from the release: the indoor air of each building follows the outdoor
        frame holding then (:func:`sim.hazmat.exposure.indoor_step`, at the building's current air
        changes); buildings whose indoor air first reaches the risk zone's level add the persons
        still inside."""
        hm = self.prep.hazmat
        thr = hm.thresholds[self.prep.params.risk_zone]
        yield self.env.timeout(max(float(hm.times_s[0]) - self.env.now, 0.0))
        while True:
            k = frame_index(hm.times_s, self.env.now)
            cout = self.prep.building_conc[k] if k >= 0 else np.zeros_like(self.c_in)
            self.c_in = indoor_step(self.c_in, cout, self.ach, dt_s)
            new = (self.c_in >= thr) & ~self.indoor_hit
            if new.any():
                self.indoor_hit |= new
                self.indoor_at_risk += float(self.in_place[new].sum())
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
        self.people_rows.append({"plan": self.plan.name, "t_s": t, "at_risk": inp + self.evacuating + self.sheltered,
                                 "in_place": inp, "evacuating": self.evacuating, "sheltered": self.sheltered,
                                 "left_in_cloud": self.left_in_cloud, "exposed_en_route": self.exposed_en_route,
                                 "exposed_en_route_person_min": self.exposed_en_route_person_s / 60.0,
                                 "road_person_h": self.road_person_s / 3600.0,
                                 "indoor_at_risk": self.indoor_at_risk,
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
        g, places = self.road.g, self.prep.city.places
        hw, near = [], []
        for u, v, k in zip(q.u, q.v, q.k):
            d = g.edges[u, v, k]
            hw.append(str(d.get("highway") or ""))
            if places is None or not len(places):
                near.append("")
                continue
            mid = d["geometry"].interpolate(0.5, normalized=True)
            dist = places.geometry.distance(mid).to_numpy()
            i = int(np.argmin(dist))
            near.append(f"{places.name.iloc[i]} ({dist[i]:.0f} m)")
        q.insert(2, "road_class", hw)
        q.insert(3, "near", near)
        return q
