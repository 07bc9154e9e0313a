"""Green-wave run on the twin: the corridor from the road graph, today's plan, band plans
(MAXBAND, MULTIBAND), the delay-optimised plan and adaptive modes, each simulated in the
micro-simulator on the same seeds; time-of-day plans; a green wave on demand for an
emergency vehicle from its base to an incident."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from sim.greenwave import microsim
from sim.greenwave.bays import with_bays
from sim.greenwave.corridor import apply_edits, corridor_from_name, corridor_from_points, current_plan
from sim.greenwave.maxband import band_of, maxband, multiband
from sim.greenwave.params import Params
from sim.greenwave.plan import Corridor, Plan, SignalTiming
from sim.greenwave.webster import webster_timing
from sim.progress import progress_bar
from twin.city import City
from twin.errors import InputError
from twin.places import place_named
from twin.routing import nearest_nodes, path_edges, path_line, routable

if TYPE_CHECKING:
    from sim.greenwave.result import GreenwaveResult


def build_corridor(city: City, p: Params) -> Corridor:
    """The scenario's corridor with its demand edits, its turn bays fixed at the design rule's lengths
    for this demand wherever the scenario gives none (they do not change with the periods' demand)."""
    if p.corridor.road is not None:
        c = corridor_from_name(city.roads, p.corridor.road)
    else:
        c = corridor_from_points(city.roads, p.corridor.from_xy, p.corridor.to_xy)
    return with_bays(apply_edits(c, p.demand) if p.demand else c)


def design_speeds(c: Corridor, p: Params, factor: float = 1.0) -> tuple[float, float]:
    lo, hi = p.design_speed_kph or (0.75 * c.speed_kph, c.speed_kph)
    return lo * factor, hi * factor


def make_plans(city: City, c: Corridor, p: Params, progress=None) -> dict[str, Plan]:
    """Every requested fixed-time variant (adaptive modes reuse the optimised or band plan)."""
    want = set(p.variants)
    plans: dict[str, Plan] = {}
    cur = current_plan(c, city.roads)
    cur.name = "current"
    plans["current"] = cur
    if "uncoordinated" in want:
        plans["uncoordinated"] = cur.with_offsets(np.zeros(len(c)), name="uncoordinated")
    base = webster_timing(c, cycle_min_s=p.cycle_min_s, cycle_max_s=p.cycle_max_s, phase_sequence=p.phase_sequence)
    kw = dict(speed_kph=design_speeds(c, p), cycle_range_s=(max(p.cycle_min_s, base.cycle_s), p.cycle_max_s))
    if want & {"maxband", "optimised", "actuated", "max_pressure"}:
        plans["maxband"] = maxband(c, base, **kw)
        plans["maxband"].name = "maxband"
    if "multiband" in want:
        plans["multiband"] = multiband(c, base, **kw)
        plans["multiband"].name = "multiband"
    if "optimised" in want:
        from sim.greenwave.optimise import eval_seeds, optimise_plan

        o = p.optimise
        plans["optimised"] = optimise_plan(microsim.padded(c), plans["maxband"], stop_penalty_s=o.stop_penalty_s,
                                           side_weight=o.side_weight, through_weight=o.through_weight,
                                           iterations=o.iterations, seeds=eval_seeds(o.eval_seeds), eval_s=o.eval_s,
                                           starts=o.starts, optimise_splits=o.optimise_splits,
                                           optimise_cycle=o.optimise_cycle, cycle_min_s=p.cycle_min_s,
                                           cycle_max_s=p.cycle_max_s, seed=o.seed,
                                           progress=(lambda i, n, _pi: progress(i / max(n, 1))) if progress else None)
        plans["optimised"].name = "optimised"
    for name in ("current", "uncoordinated"):
        if name not in want:
            plans.pop(name, None)
    return plans


def simulate_variants(c: Corridor, plans: dict[str, Plan], p: Params, progress=None) -> tuple[pd.DataFrame, Any]:
    """Mean metrics over the seeds for every variant (rows) and the trajectories of the
    recommended plan's first seed."""
    cp = microsim.padded(c)
    sim = p.simulation
    rows, traj = [], None
    runs = [(name, plan, "fixed") for name, plan in plans.items()]
    adaptive_base = plans.get("optimised") or plans.get("maxband")
    for mode in ("actuated", "max_pressure"):
        if mode in p.variants and adaptive_base is not None:
            runs.append((mode, adaptive_base, mode))
    recommended = "optimised" if "optimised" in plans else ("maxband" if "maxband" in plans else next(iter(plans)))
    total = len(runs) * len(sim.seeds)
    k = 0
    for name, plan, mode in runs:
        ms = []
        for j, seed in enumerate(sim.seeds):
            kw: dict[str, Any] = {}
            if mode != "fixed":
                kw["control"] = mode
            rec = name == recommended and j == 0
            r = microsim.simulate(cp, plan, duration_s=sim.duration_s, warmup_s=sim.warmup_s, seed=seed,
                                  dt_s=sim.dt_s, record_trajectories=rec, **kw)
            if rec:
                traj = r.trajectories
            ms.append({k2: v for k2, v in r.metrics.items() if isinstance(v, (int, float))})
            k += 1
            if progress:
                progress(k / total)
        m = pd.DataFrame(ms).mean(numeric_only=True).to_dict()
        m["variant"] = name
        m["cycle_s"] = plan.cycle_s if mode == "fixed" else float("nan")
        rows.append(m)
    df = pd.DataFrame(rows).set_index("variant")
    vo, vi = c.volume_out_vph, c.volume_in_vph
    df["travel_time_combined_s"] = (vo * df.travel_time_out_s + vi * df.travel_time_in_s) / (vo + vi)
    df["stops_combined_per_veh"] = (vo * df.stops_out_per_veh + vi * df.stops_in_per_veh) / (vo + vi)
    return df, traj


def period_plans(city: City, c: Corridor, p: Params) -> list[dict[str, Any]]:
    """A band plan for every time-of-day period (demand scaled, design speed and clearance
    adjusted); the table the controller is programmed with."""
    out = []
    for per in p.periods:
        cc = apply_edits(c, {"volume_out_vph": c.volume_out_vph * per.demand_scale,
                             "volume_in_vph": c.volume_in_vph * per.demand_scale * per.inbound_scale,
                             "*": {}})
        cc = _scale_side(cc, per.demand_scale)
        base = webster_timing(cc, cycle_min_s=p.cycle_min_s, cycle_max_s=p.cycle_max_s,
                              phase_sequence=p.phase_sequence, all_red_s=2.0 + per.extra_all_red_s)
        try:
            plan = maxband(cc, base, speed_kph=design_speeds(c, p, per.speed_factor),
                           cycle_range_s=(max(p.cycle_min_s, base.cycle_s), p.cycle_max_s))
        except InputError as e:
            raise InputError(f"period {per.name!r}: {e}") from None
        out.append({"period": per.name, "start": per.start, "end": per.end, "cycle_s": round(plan.cycle_s, 1),
                    "band_out_s": round(plan.band_out_s or 0.0, 1), "band_in_s": round(plan.band_in_s or 0.0, 1),
                    "design_speed_out_kph": round((plan.speed_out_m_s or 0) * 3.6, 1),
                    "design_speed_in_kph": round((plan.speed_in_m_s or 0) * 3.6, 1),
                    "offsets_s": [round(t.offset_s, 1) for t in plan.timings],
                    "main_green_s": [round(t.window("out")[1], 1) for t in plan.timings],
                    "plan": plan})
    return out


def _scale_side(c: Corridor, f: float) -> Corridor:
    from dataclasses import replace

    return replace(c, intersections=[replace(i, side_volume_vph=i.side_volume_vph * f) for i in c.intersections])


@dataclass
class EmergencyRoute:
    """A green wave on demand: the route, each signal's arrival time and the green it needs."""

    base: str
    target: str
    geometry: Any
    length_m: float
    time_preempted_s: float
    time_expected_s: float  # with the signals on their plans (mean red wait at each, uniform arrival)
    signals: pd.DataFrame = field(default_factory=pd.DataFrame)


def emergency_route(city: City, p: Params) -> EmergencyRoute | None:
    """Fastest route from the base to the target; at each signal on it, the arrival time of the
    vehicle (driving at ``speed_factor`` × the limits) and when pre-emption must start (its
    ETA minus the clearance of the conflicting phase); the trip time with pre-emption vs the
    expected time without it (mean wait (C − g)² / 2C at each signal, Webster's uniform-arrival
    term)."""
    e = p.emergency
    if e is None:
        return None
    g = routable(city.roads)
    a = place_named(city.places, e.from_place, key="emergency.from_place").geometry.representative_point()
    if e.to_place is not None:
        b = place_named(city.places, e.to_place, key="emergency.to_place").geometry.representative_point()
        bx, by, tname = b.x, b.y, e.to_place
    else:
        bx, by, tname = e.to_xy[0], e.to_xy[1], f"{e.to_xy[0]:.0f}, {e.to_xy[1]:.0f}"
    src, dst = nearest_nodes(g, [a.x, bx], [a.y, by])
    try:
        path = nx.shortest_path(g, src, dst, weight="travel_time_s")
    except nx.NetworkXNoPath:
        raise InputError(f"emergency: no road route from {e.from_place!r} to {tname!r}") from None
    t, dist, rows, expected = 0.0, 0.0, [], 0.0
    for u, v, k in path_edges(g, path):
        d = g.edges[u, v, k]
        t += d["length_m"] / (d["speed_kph"] / 3.6 * e.speed_factor)
        dist += d["length_m"]
        nd = g.nodes[v]
        if nd.get("signal") and nd.get("phase_plan") and v != dst:
            st = SignalTiming.from_phase_plan(nd["phase_plan"])
            c = st.cycle_s
            main = _is_main(g, u, v)
            gr = st.window("out")[1] if main else st.window("side")[1]
            wait = (c - gr) ** 2 / (2 * c)
            expected += wait
            rows.append({"node": v, "arrival_s": round(e.depart_s + t, 1), "approach": "main" if main else "side",
                         "preempt_from_s": round(e.depart_s + t - 20.0, 1), "cycle_s": c, "green_s": round(gr, 1),
                         "mean_wait_without_s": round(wait, 1), "x": nd["x"], "y": nd["y"]})
    return EmergencyRoute(e.from_place, tname, path_line(g, path), dist, t, t + expected, pd.DataFrame(rows))


def _is_main(g: nx.MultiDiGraph, u: Any, v: Any) -> bool:
    """Whether the link u→v is the signal's main street: the highest-capacity road at v."""
    best = max(d.get("capacity_vph", 0.0) for _, _, d in g.in_edges(v, data=True))
    return max(d.get("capacity_vph", 0.0) for d in g[u][v].values()) >= best


def run(city: City, params: Params, *, progress: bool = False, start: datetime | None = None) -> "GreenwaveResult":
    """Plan, compare and simulate the scenario's corridor."""
    from sim.greenwave.result import GreenwaveResult

    t0 = time.perf_counter()
    c = build_corridor(city, params)
    with progress_bar(progress, "green wave: plans") as cb:
        plans = make_plans(city, c, params, cb)
    with progress_bar(progress, "green wave: simulation") as cb:
        metrics, traj = simulate_variants(c, plans, params, cb)
    speeds = {}
    for name, plan in plans.items():
        vo = plan.speed_out_m_s or c.speed_kph / 3.6
        vi = plan.speed_in_m_s or c.speed_kph / 3.6
        speeds[name] = (vo, vi)
        try:
            bo, bi = band_of(plan, c, vo, vi)
        except Exception:  # noqa: BLE001 - a plan with several cycles has no common band
            bo, bi = float("nan"), float("nan")
        metrics.loc[name, "band_out_s"] = bo
        metrics.loc[name, "band_in_s"] = bi
    periods = period_plans(city, c, params)
    em = emergency_route(city, params)
    rec = plans.get("optimised") or plans.get("maxband") or next(iter(plans.values()))
    events = corridor_events(c, rec, periods, em, params)
    return GreenwaveResult(city=city, params=params, corridor=c, plans=plans, metrics=metrics, trajectories=traj,
                           speeds=speeds, periods=periods, emergency=em, events=events, start=start,
                           run_time_s=time.perf_counter() - t0)


def corridor_events(c: Corridor, plan: Plan, periods: list[dict], em: EmergencyRoute | None,
                    p: Params) -> dict[str, Any]:
    """The SimPy event runs on the corridor (first seed): the switch between the first two
    time-of-day plans with a smooth vs an immediate transition, the scenario's lane closures
    against the same run without them, and the emergency vehicle's run along the corridor with
    and without pre-emption when its route follows the corridor."""
    from sim.greenwave.control import EmergencyVehicle
    from sim.greenwave.events import run_events

    cp = microsim.padded(c)
    sim = p.simulation
    seed = sim.seeds[0]
    kw = dict(duration_s=sim.duration_s, warmup_s=sim.warmup_s, seed=seed, dt_s=sim.dt_s)
    out: dict[str, Any] = {}
    if len(periods) >= 2:
        a, b = periods[0]["plan"], periods[1]["plan"]
        a.name, b.name = periods[0]["period"], periods[1]["period"]
        t_sw = sim.warmup_s + sim.duration_s / 2
        runs = {m: run_events(cp, a, switch_to=b, switch_s=t_sw, transition=m, **kw) for m in ("smooth", "immediate")}
        out["plan_switch"] = {"from": a.name, "to": b.name, "at_s": t_sw,
                              "stops_per_veh_in_transition": {m: round(r.transition_stops_per_veh, 2)
                                                              for m, r in runs.items()},
                              "log": runs["smooth"].log}
    if p.incidents:
        with_inc = run_events(cp, plan, incidents=p.incidents, **kw)
        base = run_events(cp, plan, **kw)
        out["incidents"] = {"log": with_inc.log, **{
            f"{k}_with_s": round(with_inc.metrics[k], 1) for k in ("travel_time_out_s", "travel_time_in_s")},
            **{f"{k}_without_s": round(base.metrics[k], 1) for k in ("travel_time_out_s", "travel_time_in_s")}}
    if em is not None and len(em.signals):
        on = [n for n in em.signals.node if n in {i.node for i in c.intersections}]
        if len(on) >= 2:
            pos = {i.node: i.pos_m for i in c.intersections}
            direction = "out" if pos[on[-1]] > pos[on[0]] else "in"
            t_ev = sim.warmup_s + min(p.emergency.depart_s, sim.duration_s / 2)
            res = {}
            for pre in (True, False):
                r = microsim.simulate(cp, plan, emergency=EmergencyVehicle(direction, t_ev, p.emergency.speed_factor, pre),
                                      **kw)
                res[pre] = r.metrics
            out["emergency_on_corridor"] = {
                "direction": direction, "signals_on_corridor": len(on),
                "travel_time_preempted_s": round(res[True]["emergency_travel_time_s"], 1),
                "stops_preempted": res[True]["emergency_stops"],
                "travel_time_without_s": round(res[False]["emergency_travel_time_s"], 1),
                "stops_without": res[False]["emergency_stops"],
                "side_delay_change_s": round(res[True]["delay_side_s"] - res[False]["delay_side_s"], 2)}
    return out


__all__ = ["run", "build_corridor", "make_plans", "simulate_variants", "period_plans", "emergency_route"]
