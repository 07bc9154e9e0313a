"""Isolated-intersection signal timing by Webster's method, with a common corridor cycle.

Webster, F. V. (1958) *Traffic Signal Settings*, Road Research Technical Paper 39, HMSO, London:

* optimum cycle ``C0 = (1.5 L + 5) / (1 - Y)`` (eq. 6 there), L = lost time per cycle, Y = sum of the
  critical flow ratios ``y = q / s`` of the phases;
* effective greens in proportion to the phases' y: ``g_i = (y_i / Y)(C - L)``;
* average delay per vehicle on an approach (eq. 2 there)
  ``d = C(1-l)^2 / (2(1-l x)) + x^2 / (2 q (1-x)) - 0.65 (C/q^2)^(1/3) x^(2+5l)``,
  l = g/C, x = q / (s g / C) the degree of saturation.

Flow ratios and degrees of saturation are those of lane groups (HCM 2000 ch. 16): a turn bay
(:mod:`sim.greenwave.bays`) takes its turners out of the through lanes into a one-lane group of its
own; without a bay they share the through lanes (left turners there only in two-phase plans).

Permitted left turns (no protected window) are checked against the capacity of gap acceptance
in the oncoming stream (:func:`permitted_left_capacity_vph`); that check is reported with the degrees
of saturation but does not set the cycle (a permitted left over capacity needs its own phase, not a
longer cycle).

Lost time per phase is taken equal to its yellow + all-red (the start-up loss and the used part of the
yellow cancel), so the effective green equals the displayed green. The corridor runs the longest of the
intersections' cycles (the critical intersection) so that the signals can be coordinated.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from sim.greenwave.bays import has_bays
from sim.greenwave.corridor import movement_volumes_vph
from sim.greenwave.plan import MOVEMENTS, Corridor, Intersection, Phase, Plan, SignalTiming
from twin.errors import InputError

SEQUENCES = ("two_phase", "lead_lead", "lag_lag", "lead_lag")
_MOVE_IDX = {m: k for k, m in enumerate(MOVEMENTS)}


def webster_cycle_s(lost_s: float, flow_ratio_sum: float) -> float:
    """Webster's optimum cycle ``C0 = (1.5 L + 5) / (1 - Y)`` (Webster 1958, eq. 6), seconds; inf when Y >= 1."""
    if flow_ratio_sum >= 1.0:
        return float("inf")
    return (1.5 * lost_s + 5.0) / (1.0 - flow_ratio_sum)


def webster_delay_terms_s(cycle_s: float, green_ratio: float, flow_vph: float,
                          sat_flow_vph: float) -> tuple[float, float, float]:
    """The three terms of Webster's delay (1958, eq. 2), seconds per vehicle: uniform-arrival delay
    ``C(1-l)^2/(2(1-l x))``, random-arrival delay ``x^2/(2q(1-x))`` and the empirical correction
    ``0.65 (C/q^2)^(1/3) x^(2+5l)`` (subtracted). q in vehicles/s; x = q/(s l)."""
    lam = float(green_ratio)
    q = float(flow_vph) / 3600.0
    x = flow_vph / (sat_flow_vph * lam) if lam > 0 else float("inf")
    if q <= 0:
        return (cycle_s * (1 - lam) ** 2 / 2.0, 0.0, 0.0)
    if x >= 1.0:
        return (float("inf"), float("inf"), 0.0)
    d1 = cycle_s * (1.0 - lam) ** 2 / (2.0 * (1.0 - lam * x))
    d2 = x * x / (2.0 * q * (1.0 - x))
    d3 = 0.65 * (cycle_s / q ** 2) ** (1.0 / 3.0) * x ** (2.0 + 5.0 * lam)
    return d1, d2, d3


def webster_delay_s(cycle_s: float, green_ratio: float, flow_vph: float, sat_flow_vph: float) -> float:
    """Webster's (1958, eq. 2) average delay per vehicle of one approach, seconds (inf when x >= 1)."""
    d1, d2, d3 = webster_delay_terms_s(cycle_s, green_ratio, flow_vph, sat_flow_vph)
    return d1 + d2 - d3


def min_greens_s(it: Intersection, *, yellow_s: float = 3.0, all_red_s: float = 2.0, lane_width_m: float = 3.5,
                 ped_walk_s: float = 7.0, ped_speed_m_s: float = 1.2, min_green_s: float = 5.0) -> dict[str, float]:
    """Minimum displayed green per phase name from the pedestrians crossing during it.

    A pedestrian phase needs a walk interval plus the crossing time ``ped_walk_s + W / ped_speed_m_s``
    (7 s + W / 1.2 m/s); the clearance part may run on into the phase's yellow and all-red. Pedestrians
    cross the main street (W = its lanes both ways x lane width) during the side phase and the side
    street during the main-street phases; protected left phases have no pedestrians.
    """
    w_main = (it.lanes_out + it.lanes_in) * lane_width_m
    w_side = 2 * it.side_lanes * lane_width_m
    inter = yellow_s + all_red_s
    ped_side = ped_walk_s + w_main / ped_speed_m_s - inter
    ped_main = ped_walk_s + w_side / ped_speed_m_s - inter
    return {"side": max(min_green_s, ped_side), "main": max(min_green_s, ped_main),
            "main_out": min_green_s, "main_in": min_green_s, "left": min_green_s}


def _through_groups(it: Intersection, q: np.ndarray, d: int, bay: np.ndarray, lefts: bool) -> list[tuple[float, int]]:
    """Lane groups (veh/h, lanes) of main-street approach ``d`` (0 out, 1 in) that its through green
    serves, besides a left-turn bay: the through lanes with the right turners unless they have a bay
    (``bay[d, 1]``; then the bay is a one-lane group), and the left turners when ``lefts`` (a two-phase
    plan with no left bay: they turn from the inner through lane). HCM 2000 ch. 16 lane groups."""
    flow = float(q[d]) + (float(q[2 + d]) if lefts else 0.0)  # q[d]: through + right
    lanes = it.lanes_out if d == 0 else it.lanes_in
    if not bay[d, 1] or it.turn_right <= 0.0:
        return [(flow, lanes)]
    q_right = float(q[d]) * it.turn_right / (1.0 - it.turn_left) if it.turn_left < 1.0 else 0.0
    return [(flow - q_right, lanes), (q_right, 1)]


def _phase_ratios(it: Intersection, q: np.ndarray, seq: str, left_lanes: int,
                  bay: np.ndarray) -> list[tuple[str, float]]:
    """(phase name, critical flow ratio y) in phase order for one intersection; ``bay`` (2, 2): its
    approaches' left / right bays (:func:`sim.greenwave.bays.has_bays`).

    A phase's y is that of its critical lane group (:func:`_through_groups`). Two-phase plans serve
    left turners permissively: from the inner through lane, or from their bay as a one-lane group at
    the unopposed saturation flow (a lower bound; their gap-acceptance capacity is checked apart, see
    :func:`_saturation`). With protected left phases the left turners use ``left_lanes`` lanes of
    their own. Side approaches take half the side volume each.
    """
    s = it.sat_flow_vphpl
    ql = (float(q[2]), float(q[3]))
    y_side = 0.5 * float(q[4]) / (it.side_lanes * s)

    def y_through(d: int, lefts: bool) -> float:
        return max(f / (n * s) for f, n in _through_groups(it, q, d, bay, lefts))

    if seq == "two_phase" or (ql[0] <= 0 and ql[1] <= 0):
        y_main = max(max(y_through(d, not bay[d, 0]), ql[d] / s if bay[d, 0] else 0.0) for d in range(2))
        return [("main", y_main), ("side", y_side)]
    yo, yi = y_through(0, False), y_through(1, False)
    ylo, yli = ql[0] / (left_lanes * s), ql[1] / (left_lanes * s)
    if seq == "lead_lead":
        return [("left", max(ylo, yli)), ("main", max(yo, yi)), ("side", y_side)]
    if seq == "lag_lag":
        return [("main", max(yo, yi)), ("left", max(ylo, yli)), ("side", y_side)]
    # lead_lag: out-left leads with the out through, both throughs, in-left lags with the in through.
    # Green ~ y: main_out ~ ylo, main_in ~ yli, the shared phase ~ what the throughs still need.
    return [("main_out", ylo), ("main", max(yo - ylo, yi - yli, 0.0)), ("main_in", yli), ("side", y_side)]


def _allocate(ys: np.ndarray, avail_s: float, mins: np.ndarray) -> np.ndarray:
    """Split ``avail_s`` of effective green in proportion to ``ys`` (Webster), no phase below its minimum:
    phases whose share falls short are fixed at their minimum and the rest re-shared."""
    fixed = np.zeros(len(ys), bool)
    g = mins.copy()
    for _ in range(len(ys) + 1):
        free = ~fixed
        rest = avail_s - mins[fixed].sum()
        wsum = ys[free].sum()
        share = ys[free] / wsum if wsum > 0 else np.full(free.sum(), 1.0 / max(free.sum(), 1))
        g[free] = rest * share
        short = free & (g < mins - 1e-9)
        if not short.any():
            break
        fixed |= short
        g[fixed] = mins[fixed]
    return g


def webster_timing(corridor: Corridor, *, cycle_s: float | None = None, phase_sequence: str = "two_phase",
                   yellow_s: float = 3.0, all_red_s: float = 2.0, cycle_min_s: float = 60.0,
                   cycle_max_s: float = 150.0, left_lanes: int = 1, lane_width_m: float = 3.5,
                   ped_walk_s: float = 7.0, ped_speed_m_s: float = 1.2, min_green_s: float = 5.0,
                   round_cycle: bool = True, x_max: float = 0.95, lane_groups: bool = True) -> Plan:
    """Webster timings for every signal of the corridor on one common cycle, offsets 0.

    Each intersection's optimum cycle C0 (Webster 1958) is computed from its critical flow ratios; the
    corridor cycle is the largest C0 (the critical intersection), rounded up to a whole second and
    clamped to [cycle_min_s, cycle_max_s], or ``cycle_s`` when given. Greens are shared in proportion to
    y with pedestrian minimum greens (:func:`min_greens_s`). Where the minimum greens bind (short
    cycles, protected left phases), the proportional rest can leave a movement over capacity at that
    cycle; the automatic cycle is then lengthened in whole seconds, up to ``cycle_max_s``, to the
    shortest at which every degree of saturation is at most ``x_max`` (0.95: Webster's own cycle gives
    x = Y C0 / (C0 - L), about 0.9 at heavy loads). ``meta`` reports per intersection C0, Y, the lost
    time, the degree of saturation x and Webster delay per movement; a ``warnings.warn`` names every
    intersection where some x > 1 at the cycle used. ``lane_groups=False`` ignores the turn bays: every
    turner counts in the through lanes (the method the issue-10 benchmark was built with).
    """
    if phase_sequence not in SEQUENCES:
        raise InputError(f"phase_sequence {phase_sequence!r}: expected one of {list(SEQUENCES)}")
    if not 0 < cycle_min_s <= cycle_max_s:
        raise InputError(f"cycle range {cycle_min_s:g}-{cycle_max_s:g} s: expected 0 < cycle_min_s <= cycle_max_s")
    if yellow_s < 0 or all_red_s < 0:
        raise InputError(f"yellow_s {yellow_s:g} / all_red_s {all_red_s:g}: expected non-negative seconds")
    vols, bays = movement_volumes_vph(corridor), _bays(corridor, lane_groups)
    inter_s = yellow_s + all_red_s
    ratios, c0, big_y, lost, need, mins_all = [], [], [], [], [], []
    for it, q, bay in zip(corridor.intersections, vols, bays):
        ph = _phase_ratios(it, q, phase_sequence, left_lanes, bay)
        mins = min_greens_s(it, yellow_s=yellow_s, all_red_s=all_red_s, lane_width_m=lane_width_m,
                            ped_walk_s=ped_walk_s, ped_speed_m_s=ped_speed_m_s, min_green_s=min_green_s)
        y = float(sum(v for _, v in ph))
        L = inter_s * len(ph)
        ratios.append(ph)
        mins_all.append(mins)
        big_y.append(y)
        lost.append(L)
        c0.append(webster_cycle_s(L, y))
        need.append(L + sum(mins[n] for n, _ in ph))  # shortest cycle that holds the minimum greens
    crit = int(np.argmax(c0))

    def timings_at(c: float) -> list[SignalTiming]:
        return [_signal_timing(ph, L, c, mins, yellow_s, all_red_s) for ph, L, mins in zip(ratios, lost, mins_all)]

    def max_x(c: float) -> float:
        return max(max(_saturation(it, q, t, left_lanes, bay, permitted=False)[0].values(), default=0.0)
                   for it, q, t, bay in zip(corridor.intersections, vols, timings_at(c), bays))

    if cycle_s is None:
        c = min(max(c0[crit], cycle_min_s, max(need)), cycle_max_s)
        if round_cycle:
            c = float(np.ceil(c - 1e-9))
        while c + 1.0 <= cycle_max_s + 1e-9 and c >= max(need) - 1e-9 and max_x(c) > x_max:
            c += 1.0
    else:
        c = float(cycle_s)
        if c <= 0 or not np.isfinite(c):
            raise InputError(f"cycle_s {cycle_s!r}: expected a positive number of seconds")
    if c < max(need) - 1e-9:
        k = int(np.argmax(need))
        key = f"cycle_s {c:g}" if cycle_s is not None else f"cycle_max_s {cycle_max_s:g}"
        raise InputError(f"{key} s: too short for the minimum greens at {corridor.intersections[k].name!r} "
                         f"(pedestrian crossings, yellow and all-red); expected at least {need[k]:.1f} s")
    timings, x_all, d_all, greens_all = timings_at(c), [], [], []
    for it, q, t, bay in zip(corridor.intersections, vols, timings, bays):
        greens_all.append({p.name: p.green_s for p in t.phases})
        xs, ds = _saturation(it, q, t, left_lanes, bay)
        x_all.append(xs)
        d_all.append(ds)
        over = {m: round(v, 2) for m, v in xs.items() if v > 1.0 and is_permitted_left(t, m)}
        if over:
            warnings.warn(f"webster: intersection {it.name!r}: permitted left turns above their capacity at cycle "
                          f"{c:g} s: degree of saturation {over} > 1 (they yield to oncoming traffic; a protected "
                          "phase sequence, lead_lead / lag_lag / lead_lag, serves them)", stacklevel=2)
        over = {m: round(v, 2) for m, v in xs.items() if v > 1.0 and not is_permitted_left(t, m)}
        if over:
            warnings.warn(f"webster: intersection {it.name!r} is over capacity at cycle {c:g} s: degree of "
                          f"saturation {over} > 1 (volumes above capacity)", stacklevel=2)
    meta: dict[str, Any] = {
        "method": "webster", "phase_sequence": phase_sequence, "cycle_s": c,
        "critical": corridor.intersections[crit].name,
        "c0_s": [float(v) for v in c0], "flow_ratio_sum": big_y, "lost_s": lost,
        "flow_ratios": [{n: float(v) for n, v in ph} for ph in ratios],
        "greens_s": greens_all, "degree_of_saturation": x_all, "delay_s": d_all,
    }
    return Plan(name="webster", timings=timings, meta=meta)


def _signal_timing(ph: list[tuple[str, float]], lost_s: float, c: float, mins: dict[str, float], yellow_s: float,
                   all_red_s: float) -> SignalTiming:
    """One signal's Webster timing at cycle ``c``: the effective green shared in proportion to the
    flow ratios with the minimum greens kept, rounded to 0.1 s (the remainder to the longest phase)."""
    g = _allocate(np.array([v for _, v in ph]), c - lost_s, np.array([mins[n] for n, _ in ph]))
    g = np.round(g, 1)
    g[int(np.argmax(g))] += (c - lost_s) - g.sum()  # rounding remainder to the longest phase
    return SignalTiming(c, 0.0, [Phase(n, float(gi), yellow_s, all_red_s) for (n, _), gi in zip(ph, g)])


def is_permitted_left(timing: SignalTiming, movement: str) -> bool:
    """A left-turn movement with no window of its own in ``timing``: it goes on the through green
    and yields to oncoming traffic."""
    return movement in ("left_out", "left_in") and timing.window(movement)[1] <= 0.0


def permitted_left_capacity_vph(opposing_vph: float, opposing_sat_vph: float, green_s: float,
                                opposing_red_s: float, cycle_s: float, *, t_c_s: float = 4.5, t_f_s: float = 2.5,
                                sneakers: float = 2.0) -> float:
    """Capacity (veh/h) of a permitted left turn that yields to ``opposing_vph`` (oncoming through and
    right turns, all lanes, saturation flow ``opposing_sat_vph``), after HCM 2000 ch. 16 App. C and
    Akcelik (1981, ARR 123, ch. 8):

    * the oncoming queue that built over its red ``opposing_red_s`` clears first, in
      ``g_q = v_o r_o / (s_o - v_o)`` (the whole green when ``v_o >= s_o``);
    * in the rest of the green, ``g_u = g - g_q``, turners take gaps in the oncoming stream at
      ``s_p = v_o exp(-v_o t_c) / (1 - exp(-v_o t_f))`` (critical headway ``t_c_s`` 4.5 s, follow-up
      ``t_f_s`` 2.5 s, HCM; Tanner 1962 without bunching), ``1 / t_f`` when nothing comes;
    * ``sneakers`` turners a cycle clear at the end of the green.
    """
    vo, so = opposing_vph / 3600.0, opposing_sat_vph / 3600.0
    g_q = green_s if vo >= so else min(green_s, vo * opposing_red_s / (so - vo))
    g_u = max(0.0, green_s - g_q)
    s_p = vo * np.exp(-vo * t_c_s) / -np.expm1(-vo * t_f_s) if vo > 0 else 1.0 / t_f_s
    return float(3600.0 * (s_p * g_u + sneakers) / cycle_s)


def _bays(corridor: Corridor, lane_groups: bool) -> np.ndarray:
    """The turn bays that form lane groups (:func:`sim.greenwave.bays.has_bays`), none without lane groups."""
    return has_bays(corridor) if lane_groups else np.zeros((len(corridor), 2, 2), bool)


def plan_saturation(corridor: Corridor, plan: Plan, left_lanes: int = 1,
                    lane_groups: bool = True) -> list[dict[str, float]]:
    """Degree of saturation x = q / (s g / C) of every movement at every signal of any plan on the
    corridor's volumes (the check Webster's start plan gets, for the plans actually reported)."""
    vols, bays = movement_volumes_vph(corridor), _bays(corridor, lane_groups)
    return [_saturation(it, q, t, left_lanes, bay)[0]
            for it, q, t, bay in zip(corridor.intersections, vols, plan.timings, bays)]


def _saturation(it: Intersection, q: np.ndarray, t: SignalTiming, left_lanes: int, bay: np.ndarray,
                permitted: bool = True) -> tuple[dict, dict]:
    """Degree of saturation x = q / (s g / C) and Webster delay per movement of one intersection;
    ``permitted``: also x of each permitted left turn against its gap-acceptance capacity
    (:func:`permitted_left_capacity_vph`; no delay), keyed "left_out" / "left_in". A main-street
    movement's x is that of its most saturated lane group (:func:`_through_groups`), its delay the
    flow-weighted mean of its lane groups' (HCM 2000 eq. 16-10, approach delay)."""
    has_left = any(p.name != "main" and p.name != "side" for p in t.phases)
    xs, ds = {}, {}
    for m in MOVEMENTS:
        flow = float(q[_MOVE_IDX[m]])
        if is_permitted_left(t, m):
            if permitted and flow > 0.0:  # permitted: yields to the oncoming through and right turns
                own, opp = ("out", "in") if m == "left_out" else ("in", "out")
                lanes_opp = it.lanes_in if m == "left_out" else it.lanes_out
                g, g_opp = t.window(own)[1], t.window(opp)[1]
                cap = permitted_left_capacity_vph(float(q[_MOVE_IDX[opp]]), it.sat_flow_vphpl * lanes_opp, g,
                                                  t.cycle_s - g_opp, t.cycle_s)
                xs[m] = float(flow / cap) if cap > 0 else float("inf")
            continue  # without a bay its flow also counts in the through movement's x (below)
        if m in ("out", "in"):
            d = 0 if m == "out" else 1
            groups = _through_groups(it, q, d, bay, not has_left and not bay[d, 0])
        elif m == "side":
            groups = [(0.5 * flow, it.side_lanes)]  # one approach
        else:
            groups = [(flow, left_lanes)]
        lam = t.window(m)[1] / t.cycle_s
        if lam <= 0:
            xs[m] = ds[m] = float("inf")
            continue
        sats = [it.sat_flow_vphpl * n for _, n in groups]
        xs[m] = float(max(f / (sat * lam) for (f, _), sat in zip(groups, sats)))
        total = sum(f for f, _ in groups)
        ds[m] = float(sum(f * webster_delay_s(t.cycle_s, lam, f, sat) for (f, _), sat in zip(groups, sats)) / total
                      if total > 0 else webster_delay_s(t.cycle_s, lam, 0.0, sats[0]))
    return xs, ds


__all__ = ["webster_cycle_s", "webster_delay_s", "webster_delay_terms_s", "min_greens_s", "webster_timing",
           "plan_saturation", "permitted_left_capacity_vph", "is_permitted_left", "SEQUENCES"]
