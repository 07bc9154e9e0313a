"""The drill engine: one plan variant rehearsed on the drill's timeline with SimPy.

Injects (incidents, warnings, landslides, road closures) and the plan's actions fire at their
times or when their hazard condition first holds (resolved beforehand by
:mod:`sim.drill.prepare`, since hazards do not depend on the plan) or when an incident of a type
opens. Open incidents are matched to idle resources all at once (:func:`sim.drill.matching.match`,
MILP) with travel times on the road network *as it is at that moment*
(:class:`sim.drill.network.RoadState`); each dispatched unit turns out, drives (re-planning when
the network changes on the way), waits until everything sent to its incident has arrived, works,
and drives back. People in buildings reached by the hazards, or in an area ordered to evacuate,
are tracked per building (:mod:`sim.drill.people`): in place, evacuating (Rayleigh departure
curve, driving to the nearest open shelter with room in vehicle groups that queue at every
link's entry, :mod:`sim.drill.evac_traffic`), sheltered, or out of the danger area (those who
found no shelter place); their sum is conserved. Every
decision goes to the log with its time and reason. Randomness (time on scene) is drawn per incident from the drill seed, so
plans compare on the same draws and the same seed gives the same drill.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.drill.evac_traffic import LinkQueues
from sim.drill.matching import match
from sim.drill.network import Closure, RoadState
from sim.drill.people import PeopleMixin
from sim.drill.rules import Incident
from sim.point_queue import STUCK_S
from twin.routing import nearest_nodes

LOAD_MIN = {"team": None, "expert": None, "equipment": 5.0, "supply": 10.0}
"""Minutes to load equipment and supplies before leaving (teams and experts use the plan's turnout)."""
PROTECTED_TYPES = ("hazmat_team",)
"""Resource types with respiratory protection: they may enter the toxic zone."""
MIN_COVERAGE = 0.25


@dataclass
class IncState:
    spec: Any  # IncidentSpec-like: id, type, grade, name, people, work_min
    x: float
    y: float
    opened_s: float
    work_s: float
    needs: tuple = ()  # Need tuple from the rules
    assigned: dict[str, float] = field(default_factory=dict)  # capability -> quantity assigned so far
    en_route: int = 0
    on_scene: list = field(default_factory=list)
    first_arrival_s: float = math.inf
    last_arrival_s: float = -math.inf
    work_start_s: float = math.nan
    closed_s: float = math.inf
    done: Any = None  # simpy event
    working: bool = False
    unmet_reason: dict[str, str] = field(default_factory=dict)

    def remaining(self) -> list:
        from sim.drill.rules import Need

        out = []
        for nd in self.needs:
            left = nd.quantity - self.assigned.get(nd.capability, 0.0)
            if left > 1e-9:
                out.append(Need(nd.capability, left, nd.unit, nd.deadline_s))
        return out

    def coverage(self) -> float:
        """Mean share of each need covered (1 = everything the rules ask for was sent)."""
        if not self.needs:
            return 1.0
        return float(np.mean([min(self.assigned.get(nd.capability, 0.0) / nd.quantity, 1.0) for nd in self.needs]))


class PlanRun(PeopleMixin):
    """State and processes of one plan variant; :meth:`run` returns the tables of the review."""

    def __init__(self, prep: Any, plan: Any):
        self.prep, self.plan = prep, plan
        self.env = simpy.Environment()
        self.road: RoadState = prep.road_state()
        self.queues = LinkQueues(self.env, self.road, spillback=plan.evacuation_spillback)
        res = prep.resources
        self.res = res.set_index("resource_id", drop=False)
        self.avail = {r: float(q) if bool(a) else 0.0 for r, q, a in zip(res.resource_id, res.quantity, res.available)}
        self.station = {r: (float(x), float(y)) for r, x, y in zip(res.resource_id, res.x_m, res.y_m)}
        self.incidents: dict[str, IncState] = {}
        self.log: list[dict] = []
        self.tasks: list[dict] = []
        self.trips: list[dict] = []
        self.needs_rows: list[dict] = []
        self._init_people(prep)
        self.busy_s = dict.fromkeys(res.resource_id, 0.0)
        self._dispatch_pending = False
        self._type_waiters: dict[str, list] = {}
        self.matchings: list[dict] = []
        self.closures_added: list[Closure] = []
        # closures whose time is known before the run are registered now, so that every route
        # (planned earlier, re-planned on the way) meets them when they happen
        for item in list(prep.events) + list(prep.actions[plan.name]):
            c = self._closure_of(item)
            if c is not None:
                self.road.add(c)
                self.closures_added.append(c)

    # ------------------------------------------------------------------ logging
    def say(self, kind: str, text: str, reason: str = "") -> None:
        self.log.append({"plan": self.plan.name, "t_s": float(self.env.now), "kind": kind, "text": text, "reason": reason})

    # ------------------------------------------------------------------ run
    def run(self) -> "PlanRun":
        env, prep = self.env, self.prep
        self.say("start", f"drill starts: plan '{self.plan.name}'", self.plan.description)
        for ev in prep.events:
            env.process(self._timed(ev, self._apply_event))
        for act in prep.actions[self.plan.name]:
            env.process(self._timed(act, self._apply_action))
        if prep.hazmat is not None:
            env.process(self._hazmat_start())
        if prep.geo is not None:
            env.process(self._geo_warning())
        env.process(self._hazard_watch())
        env.process(self._sampler())
        if prep.hazmat is not None:
            env.process(self._indoor_watch())
        env.run(until=prep.duration_s)
        self._sample()
        for inc in self.incidents.values():
            if not math.isfinite(inc.closed_s):
                self.say("open", f"incident {inc.spec.id} still open at the end", f"coverage {inc.coverage():.0%}")
        return self

    def _timed(self, item: Any, fn):
        """Wait for an inject's or action's trigger (time, hazard condition or incident type), then apply it."""
        t = item.t_s
        if t is None and item.incident_type is None:
            return  # its condition never holds within the drill
            yield  # pragma: no cover - makes this a generator
        if t is None:
            ev = self.env.event()
            self._type_waiters.setdefault(item.incident_type, []).append(ev)
            yield ev
            t = self.env.now
        t = t + item.delay_s
        if t > self.prep.duration_s:
            return
        yield self.env.timeout(max(t - self.env.now, 0.0))
        fn(item)

    # ------------------------------------------------------------------ injects
    def _apply_event(self, ev: Any) -> None:
        spec = ev.spec
        why = ev.why
        if spec.kind == "warning":
            self.say("warning", spec.text or "warning", why)
        elif spec.kind == "incident":
            self.open_incident(spec.incident, ev.xy, why)
        elif spec.kind == "landslide":
            ro = ev.runout
            hit = sorted({n for n in ro.closed_roads.name if n}) if len(ro.closed_roads) else []
            self._close(ev, f"landslide ({ro.volume_m3:,.0f} m3): " + (
                f"{len(ro.edges)} road links closed ({', '.join(hit) or 'unnamed roads'})" if ro.edges
                else "its debris reaches no road"))
            self.open_incident(ev.incident, ev.xy, f"landslide on slope unit {ro.unit} ({ro.unit_level} warning)")
        elif spec.kind == "road_closure":
            what = "closed" if spec.speed_factor == 0 else f"at {spec.speed_factor:.0%} of their speed (lanes closed)"
            self._close(ev, f"road incident ({spec.text or 'closure'}): {len(ev.edges)} links {what}"
                        + (f" for {spec.duration_min:g} min" if spec.duration_min else ""))

    def _closure_of(self, item: Any) -> Closure | None:
        """The road closure an inject or action makes, at its resolved time (None if it makes none)."""
        spec = item.spec
        if item.t_s is None:
            return None
        t = item.t_s + item.delay_s
        kind = getattr(spec, "kind", None) or getattr(spec, "do", None)
        if kind == "landslide" and item.runout is not None and item.runout.edges:
            ro = item.runout
            return Closure(tuple(ro.edges), t, math.inf, "landslide",
                           f"landslide debris (slope unit {ro.unit}, {ro.unit_level} warning)")
        if kind == "road_closure" and item.edges:
            t1 = t + spec.duration_min * 60 if spec.duration_min else math.inf
            return Closure(tuple(item.edges), t, t1, "incident", spec.text or "road closed",
                           speed_factor=spec.speed_factor)
        if kind == "close_roads" and item.edges:
            return Closure(tuple(item.edges), t, math.inf, "manual", spec.name or "closed by the plan")
        return None

    def _close(self, item: Any, text: str) -> None:
        """Log a closure (registered on the road state in __init__)."""
        self.say("roads", text, item.why)

    def _hazmat_start(self):
        hz = self.prep.hazmat
        yield self.env.timeout(max(hz.t0_s - self.env.now, 0.0))
        spec = self.prep.hazmat_incident
        self.open_incident(spec, spec.where.xy, self.prep.hazmat_why)

    def _geo_warning(self):
        yield self.env.timeout(self.prep.geo_warn_s)
        u = self.prep.geo.units
        counts = {name: int((u.level_name == name).sum()) for name in ("red", "orange", "yellow", "blue")}
        self.say("geohazard", "landslide warning: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
                 + " slope units", f"SHALSTAB at {self.prep.geo.rain_mm_24h:.0f} mm / 24 h")

    def open_incident(self, spec: Any, xy: tuple[float, float], why: str) -> None:
        if spec.id in self.incidents:
            return
        work = spec.work_min if spec.work_min else self.prep.params.work_min[spec.type]
        work_s = work * 60.0 * self.prep.work_factor(spec.id)
        inc = IncState(spec, xy[0], xy[1], self.env.now, work_s, done=self.env.event())
        inc.needs = self.prep.rules.needs(spec.type, spec.grade)
        self.incidents[spec.id] = inc
        self.say("incident", f"incident {spec.id} opens: {spec.type} grade {spec.grade}"
                 + (f" at {spec.name}" if spec.name else "") + (f", {spec.people} persons involved" if spec.people else ""),
                 why)
        for w in self._type_waiters.pop(spec.type, []):
            w.succeed()
        if self.plan.auto_dispatch:
            self.request_dispatch(f"new incident {spec.id}", self.plan.dispatch_delay_min * 60.0)

    # ------------------------------------------------------------------ dispatch
    def request_dispatch(self, why: str, delay_s: float = 0.0) -> None:
        if self._dispatch_pending:
            return
        self._dispatch_pending = True
        self.env.process(self._dispatch_after(why, delay_s))

    def _dispatch_after(self, why: str, delay_s: float):
        yield self.env.timeout(delay_s)
        self._dispatch_pending = False
        self.dispatch(why)

    def dispatch(self, why: str) -> None:
        now = self.env.now
        open_ = [inc for inc in self.incidents.values() if not math.isfinite(inc.closed_s) and inc.remaining()]
        if not open_:
            return
        idle = [r for r, q in self.avail.items() if q > 1e-9]
        if not idle:
            self.say("dispatch", f"no idle resources for {len(open_)} open incidents", why)
            return
        rows = self.res.loc[idle].copy()
        rows["quantity"] = [self.avail[r] for r in idle]
        rows["x_m"] = [self.station[r][0] for r in idle]
        rows["y_m"] = [self.station[r][1] for r in idle]
        incs = [Incident(i.spec.id, i.spec.type, i.spec.grade, i.x, i.y, i.spec.name, tuple(i.remaining()))
                for i in open_]
        src = rows[["x_m", "y_m"]].to_numpy(float)
        dst = np.array([[i.x, i.y] for i in open_], float)
        prot = rows["type"].isin(PROTECTED_TYPES).to_numpy()
        # on the roads as they will be when each unit leaves (after its turnout or loading), not as now
        dep = now + np.array([self._turnout_s(k) for k in rows["kind"]])
        tt = np.empty((len(rows), len(open_)))
        for d in np.unique(dep):
            sel = dep == d
            tt[sel] = self.road.travel_times(src[sel], dst, float(d), protected=prot[sel])
        m = match(rows.reset_index(drop=True), incs, tt, self.prep.rules, reserve=self.plan.reserve, time_limit_s=1.0)
        self.matchings.append({"t_s": now, "n_resources": len(rows), "n_incidents": len(incs), "status": m.status,
                               "gap": m.mip_gap, "objective_s": m.objective, "greedy_s": m.greedy_objective,
                               "solve_s": m.timings_s["total"]})
        if len(m.assignments):
            self.say("dispatch", f"matching: {len(m.assignments)} dispatches to {len(incs)} open incidents "
                     f"({m.status}, gap {m.mip_gap:.1%}, {m.improvement_pct:.1f} % better than nearest-available "
                     "dispatch)", why)
        for nd in m.needs.itertuples(index=False):
            inc = self.incidents[nd.incident_id]
            inc.assigned[nd.capability] = inc.assigned.get(nd.capability, 0.0) + float(nd.covered)
            if nd.missing > 1e-9:
                if inc.unmet_reason.get(nd.capability) != nd.reason:
                    self.say("unmet", f"{nd.incident_id}: {nd.capability} short by {nd.missing:g} {nd.unit}", nd.reason)
                inc.unmet_reason[nd.capability] = nd.reason
        deadline = {(n.incident_id, n.capability): n.deadline_s for n in m.needs.itertuples(index=False)}
        for a in m.assignments.itertuples(index=False):
            q = float(a.quantity)
            self.avail[a.resource_id] -= q
            inc = self.incidents[a.incident_id]
            caps = str(a.serves).split(";")
            target = min((deadline.get((a.incident_id, c), math.inf) for c in caps), default=math.inf)
            inc.en_route += 1
            self.env.process(self._task(a.resource_id, q, inc, a.serves, target, f"matched (travel {a.travel_time_s / 60:.1f} min)"))

    def _turnout_s(self, kind: str) -> float:
        """Seconds from dispatch to leaving: the plan's turnout for crews, loading for equipment and supplies."""
        load = LOAD_MIN[kind]
        return 60.0 * (self.plan.turnout_min if load is None else load)

    def _task(self, rid: str, q: float, inc: IncState, serves: str, target_s: float, why: str):
        env = self.env
        row = self.res.loc[rid]
        t_disp = env.now
        yield env.timeout(self._turnout_s(row.kind))
        origin = self.station[rid]
        prot = row.type in PROTECTED_TYPES
        trip = self.road.route(origin, (inc.x, inc.y), env.now, protected=prot, speed_factor=float(row.speed_factor))
        self._trip(trip, rid, "out")
        rec = {"plan": self.plan.name, "task_id": f"{inc.spec.id}/{rid}/{len(self.tasks)}", "incident_id": inc.spec.id,
               "incident_type": inc.spec.type, "grade": inc.spec.grade, "resource_id": rid, "resource_type": row.type,
               "capability": serves, "quantity": q, "opened_s": inc.opened_s, "dispatched_s": t_disp,
               "departed_s": trip.t_depart_s, "arrival_s": math.inf, "work_start_s": math.nan, "work_end_s": math.nan,
               "back_s": math.nan, "target_s": target_s, "route_m": trip.length_m, "replans": len(trip.replans),
               "reachable": bool(trip.reachable)}
        self.tasks.append(rec)
        eta = f"ETA {self.prep.clock(trip.t_arrive_s)}" if trip.reachable else "no route"
        self.say("task", f"{rid} ({row.type}, {q:g}) dispatched to {inc.spec.id}: {eta}, {trip.length_m / 1000:.1f} km", why)
        for t_r, reason in trip.replans:
            self.log.append({"plan": self.plan.name, "t_s": float(t_r), "kind": "replan", "text": f"{rid} re-routed",
                             "reason": reason})
        if not trip.reachable:
            inc.en_route -= 1
            for c in serves.split(";"):
                inc.assigned[c] = max(inc.assigned.get(c, 0.0) - q * self._amount(row, c), 0.0)
            self.say("unreachable", f"{rid} cannot reach {inc.spec.id}", "no open route before the end of the drill")
            self.avail[rid] += q  # back to the pool (supplies were never unloaded)
            return
        yield env.timeout(max(trip.t_arrive_s - env.now, 0.0))
        rec["arrival_s"] = env.now
        inc.en_route -= 1
        inc.on_scene.append(rid)
        inc.first_arrival_s = min(inc.first_arrival_s, env.now)
        inc.last_arrival_s = max(inc.last_arrival_s, env.now)
        late = env.now - inc.opened_s - target_s
        self.say("arrive", f"{rid} on scene at {inc.spec.id} after {(env.now - inc.opened_s) / 60:.1f} min",
                 f"late by {late / 60:.1f} min against the {target_s / 60:.0f}-min target" if late > 0 else "within target")
        self._maybe_work(inc)
        yield inc.done
        rec["work_start_s"], rec["work_end_s"] = inc.work_start_s, env.now
        if row.kind == "supply":
            rec["back_s"] = env.now
            self.busy_s[rid] += env.now - t_disp
            return
        if not self.prep.params.return_to_base:
            self.station[rid] = (inc.x, inc.y)
            self.avail[rid] += q
            rec["back_s"] = env.now
            self.busy_s[rid] += env.now - t_disp
            self.request_dispatch(f"{rid} free at {inc.spec.id}")
            return
        back = self.road.route((inc.x, inc.y), origin, env.now, protected=prot, speed_factor=float(row.speed_factor))
        self._trip(back, rid, "back")
        yield env.timeout(max(back.t_arrive_s - env.now, 0.0) if back.reachable else 0.0)
        rec["back_s"] = env.now
        self.busy_s[rid] += env.now - t_disp
        self.avail[rid] += q
        self.request_dispatch(f"{rid} back at its station")

    @staticmethod
    def _amount(row: Any, cap: str) -> float:
        from sim.drill.resources import CAPABILITIES

        src = CAPABILITIES[cap].source
        return float(row[src]) if src in ("pump_m3_h", "power_kw") else 1.0

    def _maybe_work(self, inc: IncState) -> None:
        if inc.working or inc.en_route > 0:
            return
        inc.working = True
        cov = inc.coverage()
        dur = inc.work_s / max(cov, MIN_COVERAGE)
        inc.work_start_s = self.env.now
        self.say("work", f"work starts at {inc.spec.id} ({dur / 60:.0f} min)",
                 "all needs on scene" if cov >= 1 - 1e-9 else f"only {cov:.0%} of the needs on scene: slower")
        self.env.process(self._work(inc, dur))

    def _work(self, inc: IncState, dur: float):
        yield self.env.timeout(dur)
        inc.closed_s = self.env.now
        self.say("closed", f"incident {inc.spec.id} closed", f"{(inc.closed_s - inc.opened_s) / 60:.0f} min after it opened")
        inc.done.succeed()

    def _trip(self, trip: Any, rid: str, leg: str) -> None:
        row = self.res.loc[rid]
        self.trips.append({"resource_id": rid, "type": row.type, "leg": leg, "protected": row.type in PROTECTED_TYPES,
                           "path": np.asarray(trip.xy), "timestamps": np.asarray(trip.times_s), "edges": trip.edges,
                           "reachable": trip.reachable})

    # ------------------------------------------------------------------ plan actions
    def _apply_action(self, act: Any) -> None:
        a, why = act.spec, act.why
        label = a.name or a.do
        if a.do == "warn":
            self.say("warning", a.text or label, why)
        elif a.do == "open_shelters":
            names = list(self.shelter_load) if a.shelters == "all" else a.shelters
            self.shelter_open.update(names)
            self.say("shelters", f"{label}: {len(names)} shelters open ({', '.join(names)})", why)
        elif a.do == "close_roads":
            self._close(act, f"{label}: {len(act.edges)} road links closed")
        elif a.do == "preposition":
            for rid in a.resources:
                self.env.process(self._preposition(rid, act.xy, label))
        elif a.do == "mutual_aid":
            self.env.process(self._mutual_aid(act, label, why))
        elif a.do == "dispatch":
            self.dispatch(f"{label} ({why})")
        elif a.do == "evacuate":
            self.evacuate(act, label, why)
        elif a.do == "relocate":
            self.relocate(act, label, why)
        elif a.do == "shelter_in_place":
            sel = self.prep.buildings_in(act, self.env.now) & (self.in_place > 0)
            self.ach[sel] = np.minimum(self.ach[sel], self.prep.params.shelter_air_changes_per_h)
            self.say("shelter_in_place", f"{label}: {self.in_place[sel].sum():.0f} persons in {int(sel.sum())} buildings "
                     f"told to shelter in place (windows shut: {self.prep.params.shelter_air_changes_per_h:g} air "
                     "changes per hour)", why)

    def _preposition(self, rid: str, xy: tuple[float, float], label: str):
        q = self.avail.get(rid, 0.0)
        if q <= 1e-9:
            self.say("preposition", f"{label}: {rid} not available", "busy or not in service")
            return
        self.avail[rid] = 0.0
        row = self.res.loc[rid]
        trip = self.road.route(self.station[rid], xy, self.env.now, protected=row.type in PROTECTED_TYPES,
                               speed_factor=float(row.speed_factor))
        self._trip(trip, rid, "preposition")
        self.say("preposition", f"{label}: {rid} moves to staging, ETA {trip.duration_s / 60:.0f} min", "plan action")
        if trip.reachable:
            yield self.env.timeout(max(trip.t_arrive_s - self.env.now, 0.0))
            self.station[rid] = xy
        self.avail[rid] += q
        self.request_dispatch(f"{rid} staged")

    def _mutual_aid(self, act: Any, label: str, why: str):
        rows = act.aid_rows
        self.say("mutual_aid", f"{label}: {len(rows)} resources requested, expected in {act.spec.arrive_after_min:g} min", why)
        yield self.env.timeout(act.spec.arrive_after_min * 60.0)
        self.res = pd.concat([self.res, rows.set_index("resource_id", drop=False)])
        for r in rows.itertuples(index=False):
            self.avail[r.resource_id] = float(r.quantity) if bool(r.available) else 0.0
            self.station[r.resource_id] = act.xy
            self.busy_s.setdefault(r.resource_id, 0.0)
        self.say("mutual_aid", f"{label}: {len(rows)} resources arrived", "mutual aid")
        self.request_dispatch("mutual aid arrived")

    # ------------------------------------------------------------------ people
    # ------------------------------------------------------------------ hazards and series
    def _hazard_watch(self):
        """At each hazard frame: flag the buildings the hazards reach (their people are at risk),
        note the shelters at risk, and retry the needs still unmet, since the network has changed."""
        for t in self.prep.hazard_times:
            yield self.env.timeout(max(t - self.env.now, 0.0))
            self._shelter_risk()
            if any(not math.isfinite(i.closed_s) and i.remaining() for i in self.incidents.values()):
                self.request_dispatch("the road network changed (hazard update)")
            newly = self.prep.at_risk(t) & ~self.flagged
            if newly.any():
                self.flagged |= newly
                self.say("risk", f"{self.in_place[newly].sum():.0f} more persons at risk in {int(newly.sum())} buildings",
                         self.prep.risk_reason(t, newly))

    # ------------------------------------------------------------------ tables
    def tables(self) -> dict[str, pd.DataFrame]:
        name = self.plan.name
        tasks = pd.DataFrame(self.tasks)
        irows, nrows = [], []
        for inc in self.incidents.values():
            tk = tasks[tasks.incident_id == inc.spec.id] if len(tasks) else tasks
            targets = [nd.deadline_s for nd in inc.needs]
            unmet = [nd for nd in inc.needs if inc.assigned.get(nd.capability, 0.0) < nd.quantity - 1e-9]
            arrivals = tk.arrival_s.to_numpy(float) if len(tk) else np.array([])
            resp = (max(arrivals) - inc.opened_s) if len(arrivals) and not unmet and np.isfinite(arrivals).all() \
                else math.inf
            irows.append({"plan": name, "incident_id": inc.spec.id, "type": inc.spec.type, "grade": inc.spec.grade,
                          "name": inc.spec.name, "x_m": inc.x, "y_m": inc.y, "opened_s": inc.opened_s,
                          "first_arrival_s": inc.first_arrival_s, "response_s": resp,
                          "target_s": max(targets) if targets else math.inf, "closed_s": inc.closed_s,
                          "unmet_needs": len(unmet), "people": inc.spec.people})
            for nd in inc.needs:
                cov = min(inc.assigned.get(nd.capability, 0.0), nd.quantity)
                nrows.append({"plan": name, "incident_id": inc.spec.id, "capability": nd.capability, "unit": nd.unit,
                              "needed": nd.quantity, "covered": cov, "missing": nd.quantity - cov,
                              "reason": inc.unmet_reason.get(nd.capability, "") if nd.quantity - cov > 1e-9 else ""})
        drill_s = self.prep.duration_s
        # units still out when the drill ends (on scene at an open incident, or driving back) were
        # busy from dispatch to the end; the units on scene started work when their incident did
        busy = dict(self.busy_s)
        if len(tasks):
            started = {i.spec.id: i.work_start_s for i in self.incidents.values() if i.working}
            ws = tasks.incident_id.map(started)
            fill = tasks.work_start_s.isna() & np.isfinite(tasks.arrival_s) & ws.notna()
            tasks.loc[fill, "work_start_s"] = np.maximum(ws[fill], tasks.arrival_s[fill])
            for r in tasks[tasks.reachable & tasks.back_s.isna()].itertuples():
                busy[r.resource_id] = busy.get(r.resource_id, 0.0) + max(drill_s - r.dispatched_s, 0.0)
        res = pd.DataFrame({"plan": name, "resource_id": list(busy),
                            "type": [self.res["type"].get(r, "mutual_aid") if r in self.res.index else "mutual_aid"
                                     for r in busy],
                            "busy_s": list(busy.values()), "drill_s": drill_s})
        queues = self._queue_table()
        if self.queues.forced:
            self.say("gridlock", f"{self.queues.forced} evacuee groups were let onto full links during the drill after "
                     f"{STUCK_S / 60:.0f} min without room", "queues spilled back round a loop of links")
        return {"tasks": tasks, "incidents": pd.DataFrame(irows), "needs": pd.DataFrame(nrows),
                "people": pd.DataFrame(self.people_rows), "shelters": pd.DataFrame(self.shelter_rows),
                "resources": res, "log": pd.DataFrame(self.log).sort_values("t_s", kind="stable").reset_index(drop=True),
                "matchings": pd.DataFrame(self.matchings), "evac_queues": queues, "ways_out": self._exits_table()}


def nodes_of(g: Any, xy: np.ndarray) -> list:
    return nearest_nodes(g, xy[:, 0], xy[:, 1]) if len(xy) else []
