"""Green-wave run on the twin: the corridor from the road graph, today's plan, band plans
(MAXBAND, MULTIBAND), the delay-optimised plan and adaptive modes, each simulated in the
micro-simulator on the same seeds; time-of-day plans; a green wave on demand for an
emergency vehicle from its base to an incident."""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from sim.greenwave import microsim
from sim.greenwave.bays import with_bays
from sim.greenwave.corridor import apply_edits, corridor_from_name, corridor_from_points, current_plan
from sim.greenwave.maxband import band_of, joiner_clearance_frac, maxband, multiband
from sim.greenwave.params import Params, Period, clock_s, period_intervals, timetable_gaps
from sim.greenwave.plan import Corridor, Plan, SignalTiming
from sim.greenwave.webster import is_permitted_left, min_greens_s, plan_saturation, webster_timing
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
    c = with_bays(apply_edits(c, p.demand) if p.demand else c)
    nl = microsim.geometry(c).nl
    odd = [f"{i.name} {d} {v}" for i in c.intersections for d, v, m in (("lanes_out", i.lanes_out, nl[0]),
                                                                        ("lanes_in", i.lanes_in, nl[1])) if v != m]
    if odd:
        warnings.warn(f"corridor {c.name!r}: the micro-simulation runs one lane count each way, {nl[0]} out / "
                      f"{nl[1]} in (the median); {', '.join(odd)} enter Webster, MAXBAND and the saturation "
                      "checks only", stacklevel=2)
    return c


DESIGN_SPEED_LO = 0.75  # default band speed range, x the speed limit (drivers' desired speeds: limit x N(1, 0.1))


def design_speeds(c: Corridor, p: Params, factor: float = 1.0) -> tuple[float, float]:
    """The band speed range (km/h): ``design_speed_kph`` or 0.75-1.0 x the limit, x ``factor``
    (a period's speed factor). Warns when a given range lies outside 0.5-1.2 x the limit."""
    if p.design_speed_kph and not (0.5 * c.speed_kph <= p.design_speed_kph[0]
                                   and p.design_speed_kph[1] <= 1.2 * c.speed_kph):
        warnings.warn(f"design_speed_kph {list(p.design_speed_kph)}: outside 0.5-1.2 x the {c.speed_kph:g} km/h "
                      f"limit of {c.name}; the bands are drawn for speeds its traffic does not drive", stacklevel=2)
    lo, hi = p.design_speed_kph or (DESIGN_SPEED_LO * c.speed_kph, c.speed_kph)
    return lo * factor, hi * factor


def _warn_slow_band(c: Corridor, plan: Plan, factor: float = 1.0) -> None:
    """Warn when the MILP put a band below 0.75 x the limit (x ``factor``): the platoons, driving at
    about the limit, then reach each signal before its band and stop (the time-space diagram shows
    trajectories steeper than the band)."""
    v_ref = DESIGN_SPEED_LO * c.speed_kph * factor
    slow = {d: round(v * 3.6, 1) for d, v in (("out", plan.speed_out_m_s), ("in", plan.speed_in_m_s))
            if v and v * 3.6 < v_ref - 0.05}
    if slow:
        warnings.warn(f"{plan.name} plan: band speed {slow} km/h below {DESIGN_SPEED_LO:g} x the {c.speed_kph * factor:g} "
                      f"km/h traffic speed of {c.name}: platoons will run ahead of the band and stop; raise "
                      "design_speed_kph's lower bound", stacklevel=2)


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
    kw = dict(speed_kph=design_speeds(c, p), cycle_range_s=(max(p.cycle_min_s, base.cycle_s), p.cycle_max_s),
              speed_change_kph=p.speed_change_kph,
              queue_clearance_frac=joiner_clearance_frac(c) if p.queue_clearance else None)
    if want & {"maxband", "optimised", "actuated", "max_pressure", "cyclic_pressure"}:
        plans["maxband"] = maxband(c, base, **kw)
        plans["maxband"].name = "maxband"
        _warn_slow_band(c, plans["maxband"])
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
                                           cycle_max_s=p.cycle_max_s, seed=o.seed, dt_s=o.dt_s,
                                           params=p.simulation.micro(),
                                           progress=(lambda i, n, _pi: progress(i / max(n, 1))) if progress else None)
        plans["optimised"].name = "optimised"
    for name in ("current", "uncoordinated"):
        if name not in want:
            plans.pop(name, None)
    return plans


def simulate_variants(c: Corridor, plans: dict[str, Plan], p: Params,
                      progress=None) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Mean metrics over the seeds for every variant (rows), the trajectories of the first seed of
    the recommended plan and of the MAXBAND plan (for their time-space diagrams), and the maximum
    queue per approach (halting vehicles, mean over the seeds of each run's maximum after the
    warm-up) of every variant."""
    cp = microsim.padded(c)
    sim = p.simulation
    rows, trajs, qrows = [], {}, []
    runs = [(name, plan, "fixed") for name, plan in plans.items()]
    adaptive_base = plans.get("optimised") or plans.get("maxband")
    for mode in ("actuated", "max_pressure", "cyclic_pressure"):
        if mode in p.variants and adaptive_base is not None:
            runs.append((mode, adaptive_base, mode))
    recommended = "optimised" if "optimised" in plans else ("maxband" if "maxband" in plans else next(iter(plans)))
    total = len(runs) * len(sim.seeds)
    micro = sim.micro()
    k = 0
    for name, plan, mode in runs:
        ms, q_main, q_side = [], [], []
        for j, seed in enumerate(sim.seeds):
            kw: dict[str, Any] = {}
            if mode != "fixed":
                kw["control"] = mode
                kw["control_params"] = p.control.model_dump()
            rec = name in (recommended, "maxband") and mode == "fixed" and j == 0
            r = microsim.simulate(cp, plan, duration_s=sim.duration_s, warmup_s=sim.warmup_s, seed=seed,
                                  params=micro, dt_s=sim.dt_s, record_trajectories=rec, **kw)
            if rec:
                trajs[name] = r.trajectories
            ms.append({k2: v for k2, v in r.metrics.items() if isinstance(v, (int, float))})
            q_main.append(r.max_queue_veh)
            q_side.append(r.max_queue_side_veh)
            k += 1
            if progress:
                progress(k / total)
        m = pd.DataFrame(ms).mean(numeric_only=True).to_dict()
        m["variant"] = name
        m["cycle_s"] = plan.cycle_s if mode == "fixed" else float("nan")
        rows.append(m)
        qm, qs = np.mean(q_main, axis=0), np.mean(q_side, axis=0)
        for i, it in enumerate(c.intersections):
            qrows.append({"variant": name, "cross_street": it.name, "out_veh": qm[0, i], "in_veh": qm[1, i],
                          "side_north_veh": qs[i, 0], "side_south_veh": qs[i, 1]})
    df = pd.DataFrame(rows).set_index("variant")
    vo, vi = c.volume_out_vph, c.volume_in_vph
    df["travel_time_combined_s"] = (vo * df.travel_time_out_s + vi * df.travel_time_in_s) / (vo + vi)
    df["stops_combined_per_veh"] = (vo * df.stops_out_per_veh + vi * df.stops_in_per_veh) / (vo + vi)
    queues = pd.DataFrame(qrows)
    for name in df.index:
        sel = queues.variant == name
        df.loc[name, "max_queue_main_veh"] = float(queues.loc[sel, ["out_veh", "in_veh"]].to_numpy().max())
        df.loc[name, "max_queue_side_veh"] = float(queues.loc[sel, ["side_north_veh", "side_south_veh"]].to_numpy().max())
    return df, trajs, queues


def period_plans(city: City, c: Corridor, p: Params, recommended: Plan | None = None) -> list[dict[str, Any]]:
    """A plan for every time-of-day period; the table the controller is programmed with. A period
    at the scenario's own demand and conditions (scales 1, no speed factor or extra all-red) runs
    ``recommended``, the plan the variants were compared on (``basis`` "recommended"); the others
    get a band plan (demand scaled, design speed and clearance adjusted, ``basis`` "band"), whose
    cycle stays within [C_W, 1.25 C_W] of the period's own Webster cycle C_W (``maxband``'s default
    range, inside the scenario's cycle range), so a light period runs a short cycle rather than
    the one that gives the peak its widest band (with Webster's cycle at ``cycle_min_s`` for the
    peak too, they share one cycle)."""
    out = []
    for per in p.periods:
        cc = period_corridor(c, per)
        if recommended is not None and (per.demand_scale, per.inbound_scale, per.speed_factor,
                                        per.extra_all_red_s) == (1.0, 1.0, 1.0, 0.0):
            plan = replace(recommended, name=per.name)
            (vo, bo), (vi, bi) = best_band(plan, c, *(v / 3.6 for v in design_speeds(c, p)))
            out.append(_period_row(per, plan, cc, "recommended", (bo, bi), (vo, vi)))
            continue
        base = webster_timing(cc, cycle_min_s=p.cycle_min_s, cycle_max_s=p.cycle_max_s,
                              phase_sequence=p.phase_sequence, all_red_s=2.0 + per.extra_all_red_s)
        try:
            plan = maxband(cc, base, speed_kph=design_speeds(c, p, per.speed_factor), speed_change_kph=p.speed_change_kph,
                           cycle_range_s=(base.cycle_s, max(base.cycle_s, min(p.cycle_max_s, 1.25 * base.cycle_s))),
                           queue_clearance_frac=joiner_clearance_frac(cc) if p.queue_clearance else None)
        except InputError as e:
            raise InputError(f"period {per.name!r}: {e}") from None
        plan.name = per.name
        _warn_slow_band(c, plan, per.speed_factor)
        out.append(_period_row(per, plan, cc, "band", (plan.band_out_s or 0.0, plan.band_in_s or 0.0),
                               (plan.speed_out_m_s or 0.0, plan.speed_in_m_s or 0.0)))
        _warn_over_capacity(cc, out[-1]["x"], f"period {per.name!r} plan", plan)
    for row in out:
        del row["x"]
    return out


def _period_row(per: Period, plan: Plan, cc: Corridor, basis: str, bands_s: tuple[float, float],
                speeds_m_s: tuple[float, float]) -> dict[str, Any]:
    """One row of the time-of-day table (``x``: the degrees of saturation, for the caller)."""
    x = plan_saturation(cc, plan)
    return {"period": per.name, "applies": per.applies, "start": per.start, "end": per.end,
            "demand_scale": per.demand_scale, "basis": basis, "cycle_s": round(plan.cycle_s, 1),
            "band_out_s": round(bands_s[0], 1), "band_in_s": round(bands_s[1], 1),
            "design_speed_out_kph": round(speeds_m_s[0] * 3.6, 1), "design_speed_in_kph": round(speeds_m_s[1] * 3.6, 1),
            "offsets_s": [round(t.offset_s, 1) for t in plan.timings],
            "main_green_s": [round(t.window("out")[1], 1) for t in plan.timings],
            "max_degree_of_saturation": round(_max_x(x), 2), "plan": plan, "x": x}


def period_corridor(c: Corridor, per: Period) -> Corridor:
    """The corridor with a period's demand: both directions and the side streets x ``demand_scale``,
    the inbound direction x ``inbound_scale`` on top."""
    return scaled_corridor(c, per.demand_scale, per.demand_scale * per.inbound_scale, per.demand_scale)


def scaled_corridor(c: Corridor, out_f: float, in_f: float, side_f: float) -> Corridor:
    """The corridor with its outbound, inbound and side-street volumes times these factors."""
    return replace(c, volume_out_vph=c.volume_out_vph * out_f, volume_in_vph=c.volume_in_vph * in_f,
                   intersections=[replace(i, side_volume_vph=i.side_volume_vph * side_f) for i in c.intersections])


def _max_x(x: list[dict[str, float]]) -> float:
    return max((v for d in x for v in d.values()), default=0.0)


def _warn_over_capacity(c: Corridor, x: list[dict[str, float]], what: str, plan: Plan) -> None:
    """Warn about movements with degree of saturation x > 1. Where even a green of the whole cycle
    could not serve the demand (flow ratio y = x g / C >= 1, demand at or above the approach's
    saturation flow), say so: no timing helps there, only lanes or less demand."""
    over, beyond, permitted = {}, {}, {}
    for it, d, t in zip(c.intersections, x, plan.timings):
        for m, v in d.items():
            if v > 1.0 and is_permitted_left(t, m):
                permitted.setdefault(it.name, {})[m] = round(v, 2)
            elif v > 1.0:
                over.setdefault(it.name, {})[m] = round(v, 2)
                y = v * t.window(m)[1] / t.cycle_s
                if y >= 1.0:
                    beyond.setdefault(it.name, {})[m] = round(y, 2)
    if permitted:
        warnings.warn(f"{what}: permitted left turns above their capacity at {permitted} (they yield to the "
                      "oncoming traffic, HCM gap acceptance: give them a protected phase, phase_sequence "
                      "lead_lead / lag_lag / lead_lag, or cut the turn share)", stacklevel=3)
    if beyond:
        warnings.warn(f"{what}: demand at or above the saturation flow at {beyond} (flow ratio y = q / s; no "
                      "cycle or split can serve it: check the volumes (volume_out_vph, volume_in_vph, side_volume_vph, "
                      "turn shares) or the lanes)", stacklevel=3)
    rest = {k: {m: v for m, v in d.items() if m not in beyond.get(k, {})} for k, d in over.items()}
    rest = {k: d for k, d in rest.items() if d}
    if rest:
        warnings.warn(f"{what}: degree of saturation above 1 at {rest} (the movement cannot clear its demand; "
                      "lengthen the cycle or its green)", stacklevel=3)


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


def emergency_route(city: City, p: Params, timings: dict[Any, SignalTiming] | None = None,
                    corridor: Corridor | None = None) -> EmergencyRoute | None:
    """Fastest route from the base to the target; at each signal on it, the arrival time of the
    vehicle (driving at ``speed_factor`` × the limits) and when pre-emption starts: its ETA minus
    the controller's detection lead (``ControlParams.ev_detect_eta_s``, 30 s, as in the simulated
    pre-emption; enough for a conflicting side phase that has just started to finish its pedestrian
    minimum green (walk + crossing, ~20 s on a six-lane road), yellow and all-red, and for the queue
    ahead of the vehicle to start moving), never before the vehicle departs; the trip time with
    pre-emption vs the expected time without it (mean wait (C − g)² / 2C at each signal, Webster's
    uniform-arrival term). ``timings``: the plan each of these signals will run (by road-graph node;
    the run passes the recommended plan of its corridor), the others run their stored plans
    (column ``plan``). On ``corridor``'s signals the main-street green is the one of the direction
    the route drives (out or in: they differ in lead-lag plans)."""
    from sim.greenwave.control import ControlParams

    lead_s = ControlParams().ev_detect_eta_s
    timings = timings or {}
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
        if nd.get("signal") and (nd.get("phase_plan") or v in timings) and v != dst:
            st = timings.get(v) or SignalTiming.from_phase_plan(nd["phase_plan"])
            c = st.cycle_s
            main = _is_main(g, u, v)
            gr = st.window(_main_direction(corridor, v, g.nodes[u], nd) if main else "side")[1]
            wait = (c - gr) ** 2 / (2 * c)
            expected += wait
            rows.append({"node": v, "arrival_s": round(e.depart_s + t, 1), "approach": "main" if main else "side",
                         "preempt_from_s": round(max(e.depart_s, e.depart_s + t - lead_s), 1), "cycle_s": c, "green_s": round(gr, 1),
                         "mean_wait_without_s": round(wait, 1),
                         "plan": "recommended" if v in timings else "stored", "x": nd["x"], "y": nd["y"]})
    return EmergencyRoute(e.from_place, tname, path_line(g, path), dist, t, t + expected, pd.DataFrame(rows))


def _main_direction(corridor: Corridor | None, v: Any, nu: dict, nv: dict) -> str:
    """'in' when the link into corridor signal ``v`` runs against the corridor's order (from its
    last signal toward its first), else 'out' (also off the corridor, where plans are symmetric)."""
    its = corridor.intersections if corridor is not None else []
    k = next((j for j, it in enumerate(its) if it.node == v), None)
    if k is None or len(its) < 2:
        return "out"
    a, b = its[max(k - 1, 0)], its[min(k + 1, len(its) - 1)]
    dot = (nv["x"] - nu["x"]) * (b.x - a.x) + (nv["y"] - nu["y"]) * (b.y - a.y)
    return "in" if dot < 0 else "out"


def _is_main(g: nx.MultiDiGraph, u: Any, v: Any) -> bool:
    """Whether the link u→v is the signal's main street: the highest-capacity road at v."""
    best = max(d.get("capacity_vph", 0.0) for _, _, d in g.in_edges(v, data=True))
    return max(d.get("capacity_vph", 0.0) for d in g[u][v].values()) >= best


def run(city: City, params: Params, *, progress: bool = False, start: datetime | None = None) -> "GreenwaveResult":
    """Plan, compare and simulate the scenario's corridor. Warnings raised on the way (over-capacity
    plans, lane counts the simulation cannot follow, ...) are passed on and listed in the summary."""
    from sim.greenwave.result import GreenwaveResult

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = build_corridor(city, params)
        with progress_bar(progress, "green wave: plans") as cb:
            plans = make_plans(city, c, params, cb)
        with progress_bar(progress, "green wave: simulation") as cb:
            metrics, trajs, queues = simulate_variants(c, plans, params, cb)
        speeds = {}
        lo, hi = design_speeds(c, params)
        for name, plan in plans.items():
            if plan.meta.get("method") in ("maxband", "multiband") and "speeds_out_m_s" in plan.meta:
                # the MILP's design speeds, one per link (they differ when a speed change is allowed);
                # with queue clearance, the band after the queues (as the plan was designed)
                vo, vi = np.asarray(plan.meta["speeds_out_m_s"]), np.asarray(plan.meta["speeds_in_m_s"])
                bo, bi = band_of(plan, c, vo, vi, clearance_s=plan.meta.get("queue_clearance_s"))
            else:  # no design speed of its own: the best band over the scenario's design-speed range
                (vo, bo), (vi, bi) = best_band(plan, c, lo / 3.6, hi / 3.6)
            speeds[name] = (vo, vi)
            metrics.loc[name, "band_out_s"] = bo
            metrics.loc[name, "band_in_s"] = bi
            metrics.loc[name, "band_speed_out_kph"] = _mean_speed_kph(c, vo)
            metrics.loc[name, "band_speed_in_kph"] = _mean_speed_kph(c, vi)
            x = plan_saturation(c, plan)
            metrics.loc[name, "max_degree_of_saturation"] = _max_x(x)
            _warn_over_capacity(c, x, f"plan {name!r}", plan)
        rec = plans.get("optimised") or plans.get("maxband") or next(iter(plans.values()))
        for msg in timetable_gaps(params.periods):
            warnings.warn(msg, stacklevel=2)
        periods = period_plans(city, c, params, rec)
        em = emergency_route(city, params, {it.node: t for it, t in zip(c.intersections, rec.timings)}, c)
        events = corridor_events(c, rec, periods, em, params, start)
    ours = [w for w in caught if issubclass(w.category, UserWarning) and _is_ours(w.filename)]
    for w in caught:  # other libraries' warnings pass on as they were, without entering the summary
        if not any(w is o for o in ours):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    msgs = list(dict.fromkeys(str(w.message) for w in ours))
    for m in msgs:
        warnings.warn(m, stacklevel=2)
    return GreenwaveResult(city=city, params=params, corridor=c, plans=plans, metrics=metrics, trajectories=trajs,
                           speeds=speeds, periods=periods, emergency=em, events=events, start=start,
                           run_time_s=time.perf_counter() - t0, queues=queues, warnings=msgs)


def _is_ours(filename: str) -> bool:
    root = Path(__file__).resolve().parents[2]
    try:
        Path(filename).resolve().relative_to(root)
    except ValueError:
        return False
    return ".venv" not in Path(filename).parts


def _mean_speed_kph(c: Corridor, v_m_s) -> float:
    """Corridor speed (length / travel time) of one speed or per-link speeds, km/h."""
    d = c.spacings_m
    return float(d.sum() / (d / np.broadcast_to(np.asarray(v_m_s, float), d.shape)).sum() * 3.6)


def best_band(plan: Plan, c: Corridor, v_lo_m_s: float, v_hi_m_s: float,
              step_m_s: float = 0.25 / 3.6) -> tuple[tuple[float, float], tuple[float, float]]:
    """(speed, band) each way: the widest green band the plan offers at any progression speed in
    [v_lo, v_hi] (searched every 0.25 km/h), for plans that carry no design speed of their own
    (today's plan, offsets 0, the delay-optimised plan)."""
    best = [(v_hi_m_s, -1.0), (v_hi_m_s, -1.0)]
    for v in np.arange(v_lo_m_s, v_hi_m_s + 1e-9, step_m_s):
        try:
            bo, bi = band_of(plan, c, float(v), float(v))
        except InputError:  # a plan with several cycles has no common band
            return (v_hi_m_s, float("nan")), (v_hi_m_s, float("nan"))
        for k, b in enumerate((bo, bi)):
            if b > best[k][1] + 1e-9:
                best[k] = (float(v), float(b))
    return best[0], best[1]


def corridor_events(c: Corridor, plan: Plan, periods: list[dict], em: EmergencyRoute | None,
                    p: Params, start: datetime | None = None) -> dict[str, Any]:
    """The SimPy event runs on the corridor (first seed): the time-of-day run from the scenario's
    start (:func:`time_of_day_run`), the scenario's lane closures against the same run without
    them, and the emergency vehicle's run along the corridor with and without pre-emption when its
    route follows the corridor."""
    from sim.greenwave.control import EmergencyVehicle
    from sim.greenwave.events import run_events

    cp = microsim.padded(c)
    sim = p.simulation
    seed = sim.seeds[0]
    kw = dict(duration_s=sim.duration_s, warmup_s=sim.warmup_s, seed=seed, dt_s=sim.dt_s, params=sim.micro())
    out: dict[str, Any] = {}
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
            if p.emergency.depart_s > sim.duration_s / 2:
                warnings.warn(f"emergency.depart_s {p.emergency.depart_s:g}: the corridor run starts the vehicle "
                              f"{sim.duration_s / 2:g} s after the warm-up instead (half the simulated duration, so "
                              "that it finishes inside the run)", stacklevel=2)
            res = {}
            for pre in (True, False):
                r = microsim.simulate(cp, plan, emergency=EmergencyVehicle(direction, t_ev, p.emergency.speed_factor, pre),
                                      **kw)
                res[pre] = r.metrics
            out["emergency_on_corridor"] = {
                "note": (f"the whole corridor ({c.length_m:.0f} m, {len(c)} signals) driven in the micro-simulation "
                         f"in the direction the route takes, in traffic; the route itself uses {len(on)} of its "
                         "signals (its own times are under 'emergency')"),
                "direction": direction, "signals_on_corridor": len(on),
                "travel_time_preempted_s": round(res[True]["emergency_travel_time_s"], 1),
                "stops_preempted": res[True]["emergency_stops"],
                "travel_time_without_s": round(res[False]["emergency_travel_time_s"], 1),
                "stops_without": res[False]["emergency_stops"],
                "side_delay_change_s": round(res[True]["delay_side_s"] - res[False]["delay_side_s"], 2)}
    tod = time_of_day_run(c, periods, p, start)
    if tod:
        out["time_of_day"] = tod
    return out


def _local(start: datetime | None) -> datetime | None:
    """``start`` on the clock the periods are written in (Asia/Shanghai, UTC+8, no daylight saving);
    a naive time is taken as that clock already."""
    if start is None or start.tzinfo is None:
        return start
    return start.astimezone(timezone(timedelta(hours=8)))


def day_type(p: Params, start: datetime | None) -> tuple[str, str]:
    """The timetable the time-of-day run follows ("workday" or "holiday") and why (the day of the
    run's start on the Asia/Shanghai clock; a run past midnight keeps that day's type)."""
    start = _local(start)
    if p.simulation.day != "auto":
        return p.simulation.day, "simulation.day"
    if start is None:
        return "workday", "no scenario start: workday assumed"
    from sim.crowd.calendar import HolidayCalendar

    try:
        row = HolidayCalendar().day_table(start.date(), start.date()).iloc[0]
    except InputError as e:
        warnings.warn(f"time of day: holiday calendar: {e}; the workday timetable is used", stacklevel=2)
        return "workday", "calendar unavailable"
    kind = "workday" if bool(row["is_workday"]) else "holiday"
    why = row["holiday"] or ("weekend" if kind == "holiday" else "weekday")
    return kind, f"{start.date()} ({why}{', provisional' if bool(row['provisional']) else ''})"


def active_period(periods: list[Period], tod_s: float, day: str, heavy_rain: bool) -> Period | None:
    """The period whose plan runs at clock time ``tod_s`` (s after midnight): a heavy-rain period
    covering it when heavy rain is declared, else the day's timetable entry with the latest start at
    or before it, as a controller's time-of-day table switches only at start times. Before the
    table's first start its last entry runs (the table wraps round midnight: the run keeps one day
    type, so on the first morning of a holiday block the holiday table's night entry is taken, not
    the workday's). A day type without periods uses the workday's."""
    tod_s = tod_s % 86400.0
    if heavy_rain:
        for per in periods:
            if per.applies == "heavy_rain" and any(a <= tod_s < b for a, b in period_intervals(per)):
                return per
    table = [q for q in periods if q.applies == day] or [q for q in periods if q.applies == "workday"]
    if not table:
        return None
    table = sorted(table, key=lambda q: clock_s(q.start))
    before = [q for q in table if clock_s(q.start) <= tod_s + 1e-9]
    return before[-1] if before else table[-1]


def time_of_day_run(c: Corridor, periods: list[dict], p: Params, start: datetime | None) -> dict[str, Any]:
    """The corridor from the scenario's start on the time-of-day plans: at every period boundary
    inside the run a SimPy event switches the plan (smooth and, for comparison, immediate
    transition; never below the minimum cycle or a pedestrian minimum green) and another changes
    the demand to the new period's (the vehicles are drawn at the highest rate of the run and
    thinned, :func:`sim.greenwave.microsim.set_demand_share`). Reports the segments, the event log,
    the stops of vehicles entering during the transitions and the travel times per segment."""
    from sim.greenwave.events import DemandChange, run_events, stops_in_windows, transition_windows_s

    if not periods:
        return {}
    start = _local(start)
    sim = p.simulation
    total = sim.warmup_s + sim.duration_s
    plans = {q["period"]: q["plan"] for q in periods}
    pers = {q.name: q for q in p.periods}
    day, why = day_type(p, start)
    t0_clock = (start.hour * 3600.0 + start.minute * 60.0 + start.second) if start else clock_s(p.periods[0].start)
    bounds = sorted({(b - t0_clock) % 86400.0 + 86400.0 * k for q in p.periods for iv in period_intervals(q)
                     for b in iv for k in range(int(total // 86400.0) + 1)})  # every day the run spans
    segs: list[tuple[float, str]] = []
    for t in [0.0] + [b for b in bounds if 0.0 < b < total]:
        per = active_period(p.periods, t0_clock + t, day, sim.heavy_rain)
        if per is not None and (not segs or segs[-1][1] != per.name):
            segs.append((t, per.name))
    if not segs:
        return {}
    f_out = max(pers[n].demand_scale for _, n in segs)
    f_in = max(pers[n].demand_scale * pers[n].inbound_scale for _, n in segs)
    cmax = microsim.padded(scaled_corridor(c, f_out, f_in, f_out))
    changes, demand = [], []
    for t, n in segs:
        q = pers[n]
        share = [q.demand_scale / f_out, q.demand_scale * q.inbound_scale / f_in] + [q.demand_scale / f_out] * (2 * len(c))
        changes.append(DemandChange(t, tuple(share), f"{n}: demand x{q.demand_scale:g}"
                                    + (f", inbound x{q.inbound_scale:g}" if q.inbound_scale != 1 else "")))
        demand.append({"from_s": round(t, 1), "period": n, "volume_out_vph": round(cmax.volume_out_vph * share[0], 1),
                       "volume_in_vph": round(cmax.volume_in_vph * share[1], 1),
                       "side_volume_vph": [round(i.side_volume_vph * share[2], 1) for i in cmax.intersections]})
    mins = [min_greens_s(it) for it in c.intersections]
    seed = sim.seeds[0]
    micro = sim.micro()
    dem = microsim.make_demand(cmax, total, seed, micro)
    runs = {}
    for method in ("smooth", "immediate"):
        runs[method] = run_events(cmax, plans[segs[0][1]], switches=[(t, plans[n]) for t, n in segs[1:]],
                                  transition=method, demand_changes=changes, duration_s=sim.duration_s,
                                  warmup_s=sim.warmup_s, seed=seed, dt_s=sim.dt_s, demand=dem, min_greens=mins,
                                  cycle_min_s=p.cycle_min_s, params=micro)
    r = runs["smooth"]
    tr = r.trips[(r.trips["kind"] == "end") & (r.trips["orig"] == r.trips["dir"])]  # end to end
    rows = []
    for k, (t, n) in enumerate(segs):
        t1 = segs[k + 1][0] if k + 1 < len(segs) else total
        sel = tr[(tr.t_in_s >= max(t, sim.warmup_s)) & (tr.t_in_s < t1)]
        row = {"from_s": round(t, 1), "clock": _clock(t0_clock + t), "period": n, "cycle_s": round(plans[n].cycle_s, 1)}
        for d, name in enumerate(("out", "in")):
            sd = sel[sel["orig"] == d]
            row[f"travel_time_{name}_s"] = _r1((sd.t_out_s - sd.t_in_s).mean()) if len(sd) else None
        row["stops_per_veh"] = _r1(sel.stops.mean()) if len(sel) else None
        row["vehicles"] = int(len(sel))
        rows.append(row)
    out = {"day": day, "day_from": why, "heavy_rain": bool(sim.heavy_rain), "start_clock": _clock(t0_clock),
           "end_clock": _clock(t0_clock + total), "segments": rows, "demand": demand, "log": r.log}
    if len(segs) > 1:
        sw_t = [t for t, _ in segs[1:]]
        win = [(a, max(b1, b2)) for (a, b1), (_, b2) in zip(transition_windows_s(runs["smooth"].schedule, sw_t),
                                                            transition_windows_s(runs["immediate"].schedule, sw_t))]
        out["stops_per_veh_in_transition"] = {m: _r1(stops_in_windows(x.trips, win)) for m, x in runs.items()}
        out["transition_windows_s"] = [[round(a, 1), round(b, 1)] for a, b in win]
        out["transition_cycles_s"] = [[round(v, 1) for v in cyc] for cyc in r.schedule.cycles_s]
    else:
        out["note"] = (f"no period boundary between {_clock(t0_clock)} and {_clock(t0_clock + total)}: the run shows "
                       f"the {segs[0][1]} plan only (move the scenario start to see a switch)")
    return out


def _clock(t_s: float) -> str:
    t = int(round(t_s)) % 86400
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


def _r1(v: float) -> float | None:
    return round(float(v), 2) if v is not None and np.isfinite(v) else None


__all__ = ["run", "build_corridor", "make_plans", "simulate_variants", "period_plans", "emergency_route"]
