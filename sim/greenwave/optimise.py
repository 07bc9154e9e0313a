"""Delay-optimised fixed-time plans: offsets, green splits and (optionally) the cycle searched for the
least performance index of all vehicles, evaluated with the corridor micro-simulator.

Performance index, as in TRANSYT (Robertson, D.I. 1969, "TRANSYT: a traffic network study tool", RRL
Report LR 253, Road Research Laboratory, Crowthorne; Vincent, R.A., Mitchell, A.I. & Robertson, D.I.
1980, "User guide to TRANSYT version 8", TRRL Report LR 888)::

    PI = sum_vehicles w_v (delay_v + K stops_v) / T          [vehicle-seconds of delay per hour]

summed over every vehicle (corridor through, turning and side-street traffic, both directions), so the
movements weigh by their volumes; ``w_v`` is 1 on the corridor, ``side_weight`` on the side-street
approaches and ``through_weight`` for vehicles that drive the whole corridor end to end (TRANSYT's link
weights, used to give the arterial's through traffic priority - the green wave's purpose; 1 = every
vehicle-second alike), K (``stop_penalty_s``) turns a stop into seconds of delay. TRANSYT weighs delay and stops
by user-set (monetary) weights; K = 20 s per stop is an assumed value of the order used in TRANSYT-style
studies and the scenario default (``params.Optimise.stop_penalty_s``); K = 0 gives pure delay.

Traffic model: instead of TRANSYT's cyclic flow profiles with platoon dispersion (Robertson 1969), the
micro-simulator (:mod:`sim.greenwave.microsim`) runs each candidate on common random numbers - the same
pre-drawn vehicles and dawdling streams (``seeds``) for every candidate - so the differences between
candidates are not sampling noise. Vehicles count when their scheduled departure falls in the
evaluation window [warm-up, warm-up + eval_s); each contributes its whole delay up to the end of the
window: finished trip legs (travel time - free-flow time, SUMO's timeLoss), the delay so far of a
vehicle still in the network, and the time it waited to enter (an origin blocked by a queue), so a plan
cannot look good by keeping vehicles out.

Search: TRANSYT's hill-climbing (Robertson 1969) - each signal's offset and each split (seconds moved
between consecutive phases, minimum greens kept, cycle kept) is changed in turn by +/- a step, a move
that lowers the PI is kept and repeated in the same direction while it keeps lowering it; sweeps repeat
until one brings no gain, then the steps halve (down to 1 s: a local optimum at the finest step). The
order of the coordinates in a sweep and the sign tried first are drawn from ``seed``, so a run is
reproducible. With ``starts`` > 1 the climb is repeated from the same start with other orders and
the least-PI end kept (a multi-start local search). The best plan evaluated is returned, never one
worse than the start.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from sim.greenwave import kernels as K
from sim.greenwave import microsim as ms
from sim.greenwave.maxband import band_of
from sim.greenwave.plan import Corridor, Phase, Plan, SignalTiming
from sim.greenwave.webster import min_greens_s
from twin.errors import InputError

STOP_PENALTY_S = 20.0  # K: one stop counts as this many seconds of delay (see the module docstring)
FIRST_EVAL_SEED = 101  # evaluation seeds run 101, 102, ... (apart from the benchmark's and scenarios' seeds)
DEFAULT_SEEDS = (FIRST_EVAL_SEED, FIRST_EVAL_SEED + 1)  # demand/dawdling seeds of the evaluations
MIN_STEP_S = 1.0  # finest offset / split step, s


def eval_seeds(n: int) -> tuple[int, ...]:
    """The first ``n`` evaluation seeds (101, 102, ...): more samples, a less noisy PI per candidate."""
    if int(n) < 1:
        raise InputError(f"eval_seeds {n!r}: expected at least one simulation seed")
    return tuple(FIRST_EVAL_SEED + i for i in range(int(n)))


# ----------------------------------------------------------------------------- performance index
@dataclass(frozen=True)
class PISums:
    """Cohort totals of one evaluation (vehicles scheduled in the evaluation window)."""

    delay_main_veh_s: float  # corridor legs (through, turning, joiners after joining), incl. entry waits
    delay_side_veh_s: float  # side-street approach legs, incl. entry waits
    stops_main: float
    stops_side: float
    delay_through_veh_s: float  # part of delay_main of the vehicles that drive the corridor end to end
    stops_through: float  # part of stops_main of those vehicles
    n_veh: int
    n_unfinished: int  # still in the network or never entered at the end of the window


def cohort_sums(state: ms.MicroState) -> PISums:
    """Delay and stops of the vehicles scheduled to depart in [warm-up, now) of a run, up to now.

    Finished legs from the trip records (travel time - free-flow time); a vehicle still in the network
    adds (now - entry) - distance covered / its desired speed; every vehicle adds the time between its
    scheduled departure and its insertion (or now, if it never entered).
    """
    a = state.arrays
    t_end, w = state.t_s, state.warmup_s
    dem = state.demand
    nveh = len(dem)
    side_veh = dem.origin >= K.ORIG_SIDE0
    counted = (dem.t_s >= w) & (dem.t_s < t_end)
    d_main, d_side = np.zeros(nveh), np.zeros(nveh)
    s_main, s_side = np.zeros(nveh), np.zeros(nveh)
    first_in = np.full(nveh, np.inf)
    done_main = np.zeros(nveh, bool)

    r = int(a["cnt"][K.C_REC_N])
    rf, ri = a["rec_f"][:r], a["rec_i"][:r]
    vid = ri[:, K.R_VID]
    dl = rf[:, K.R_T_OUT] - rf[:, K.R_T_IN] - rf[:, K.R_FF]
    side_leg = ri[:, K.R_KIND] == K.REC_SIDE
    np.add.at(d_side, vid[side_leg], dl[side_leg])
    np.add.at(s_side, vid[side_leg], ri[side_leg, K.R_STOPS])
    np.add.at(d_main, vid[~side_leg], dl[~side_leg])
    np.add.at(s_main, vid[~side_leg], ri[~side_leg, K.R_STOPS])
    np.minimum.at(first_in, vid, rf[:, K.R_T_IN])
    done_main[vid[~side_leg]] = True
    done_side_crossers = np.zeros(nveh, bool)
    done_side_crossers[vid[side_leg]] = dem.direction[vid[side_leg]] < 0

    hwm = int(a["cnt"][K.C_HWM])
    vi, vf, vs = a["vi"][:hwm], a["vf"][:hwm], a["vs"][:hwm]
    live = vi[:, K.I_LOC] != K.LOC_FREE
    lv = vi[live, K.I_VID]
    on_side = vi[live, K.I_LOC] == K.LOC_SIDE
    v_des = np.where(on_side, state.par[K.P_V_SIDE], state.par[K.P_V_MAIN]) * vs[live, K.S_SF].astype(float)
    t_in = vf[live, K.F_T_IN]
    d_live = (t_end - t_in) - (vf[live, K.F_X] - vf[live, K.F_X_IN]) / v_des
    st_live = vi[live, K.I_NSTOP].astype(float)
    np.add.at(d_side, lv[on_side], d_live[on_side])
    np.add.at(s_side, lv[on_side], st_live[on_side])
    np.add.at(d_main, lv[~on_side], d_live[~on_side])
    np.add.at(s_main, lv[~on_side], st_live[~on_side])
    np.minimum.at(first_in, lv, t_in)

    entered = np.isfinite(first_in)
    wait = np.where(entered, np.maximum(first_in - dem.t_s, 0.0), t_end - dem.t_s)
    d_side += np.where(side_veh, wait, 0.0)
    d_main += np.where(side_veh, 0.0, wait)
    finished = done_main | done_side_crossers
    c = counted
    th = c & (dem.origin < K.ORIG_SIDE0) & (dem.exit_m == len(state.corridor))
    return PISums(float(d_main[c].sum()), float(d_side[c].sum()), float(s_main[c].sum()), float(s_side[c].sum()),
                  float(d_main[th].sum()), float(s_main[th].sum()), int(c.sum()), int((c & ~finished).sum()))


class Evaluator:
    """PI of plans on one corridor with fixed demands (common random numbers across candidates)."""

    def __init__(self, corridor: Corridor, *, seeds: Sequence[int] = DEFAULT_SEEDS, eval_s: float = 1200.0,
                 warmup_s: float = 300.0, stop_penalty_s: float = STOP_PENALTY_S, side_weight: float = 1.0,
                 through_weight: float = 1.0, dt_s: float = 1.0, params: ms.Params | None = None) -> None:
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise InputError("seeds []: expected at least one simulation seed")
        if not eval_s > 0 or not warmup_s >= 0:
            raise InputError(f"eval_s {eval_s!r} / warmup_s {warmup_s!r}: expected > 0 / >= 0 seconds")
        if not stop_penalty_s >= 0 or not side_weight >= 0:
            raise InputError(f"stop_penalty_s {stop_penalty_s!r} / side_weight {side_weight!r}: expected >= 0")
        if not through_weight >= 1:
            raise InputError(f"through_weight {through_weight!r}: expected >= 1 (a through vehicle is also a "
                             "corridor vehicle)")
        self.corridor, self.seeds = corridor, seeds
        self.eval_s, self.warmup_s, self.dt_s = float(eval_s), float(warmup_s), float(dt_s)
        self.k_s, self.side_weight = float(stop_penalty_s), float(side_weight)
        self.through_weight = float(through_weight)
        self.params = params or ms.Params()
        total = self.warmup_s + self.eval_s
        self.demands = [ms.make_demand(corridor, total, s, self.params) for s in seeds]
        self.count = 0

    def sums(self, plan: Plan) -> list[PISums]:
        out = []
        total = self.warmup_s + self.eval_s
        for seed, dem in zip(self.seeds, self.demands):
            st = ms.init_state(self.corridor, plan, total_s=total, warmup_s=self.warmup_s, seed=seed,
                               dt_s=self.dt_s, params=self.params, demand=dem)
            ms.run_chunk(st, plan.windows(), 0.0, total)
            out.append(cohort_sums(st))
        self.count += 1
        return out

    def pi(self, sums: list[PISums]) -> float:
        """Mean over seeds of (delay + K stops; side legs x side_weight, end-to-end corridor trips x
        through_weight) per hour, vehicle-seconds / h."""
        per_h = 3600.0 / self.eval_s
        extra = self.through_weight - 1.0
        vals = [(s.delay_main_veh_s + self.side_weight * s.delay_side_veh_s + extra * s.delay_through_veh_s
                 + self.k_s * (s.stops_main + self.side_weight * s.stops_side + extra * s.stops_through)) * per_h
                for s in sums]
        return float(np.mean(vals))

    def report(self, plan: Plan) -> dict[str, Any]:
        """PI and its parts (means over the seeds), all per hour of the evaluation window."""
        sums = self.sums(plan)
        return {"pi_veh_s_h": self.pi(sums), **_parts(sums, self.eval_s),
                "per_seed_pi_veh_s_h": [self.pi([s]) for s in sums]}


def _parts(sums: list[PISums], eval_s: float) -> dict[str, float]:
    """Means over the seeds of the PI's parts, per hour (vehicles and unfinished: per window)."""
    per_h = 3600.0 / eval_s
    mean = lambda f: float(np.mean([f(s) for s in sums]))  # noqa: E731
    return {"delay_main_veh_s_h": mean(lambda s: s.delay_main_veh_s) * per_h,
            "delay_side_veh_s_h": mean(lambda s: s.delay_side_veh_s) * per_h,
            "stops_main_h": mean(lambda s: s.stops_main) * per_h, "stops_side_h": mean(lambda s: s.stops_side) * per_h,
            "delay_through_veh_s_h": mean(lambda s: s.delay_through_veh_s) * per_h,
            "stops_through_h": mean(lambda s: s.stops_through) * per_h,
            "n_veh": mean(lambda s: s.n_veh), "n_unfinished": mean(lambda s: s.n_unfinished)}


def performance_index(corridor: Corridor, plan: Plan, *, seeds: Sequence[int] = DEFAULT_SEEDS,
                      eval_s: float = 1200.0, warmup_s: float = 300.0, stop_penalty_s: float = STOP_PENALTY_S,
                      side_weight: float = 1.0, through_weight: float = 1.0, dt_s: float = 1.0,
                      params: ms.Params | None = None) -> dict[str, Any]:
    """PI = delay + K x stops of all vehicles per hour (vehicle-seconds / h) of ``plan``, with its parts;
    see the module docstring for what is counted."""
    ev = Evaluator(corridor, seeds=seeds, eval_s=eval_s, warmup_s=warmup_s, stop_penalty_s=stop_penalty_s,
                   side_weight=side_weight, through_weight=through_weight, dt_s=dt_s, params=params)
    return ev.report(plan)


# ----------------------------------------------------------------------------- decision vector
@dataclass
class _X:
    cycle_s: float
    offsets_s: np.ndarray  # (n,) start of each signal's first phase on the corridor clock
    greens_s: list[np.ndarray]  # per signal, displayed green per phase

    def copy(self) -> "_X":
        return _X(self.cycle_s, self.offsets_s.copy(), [g.copy() for g in self.greens_s])


class _Space:
    """Phase structure of the start plan (names, yellows, all-reds, minimum greens) and the moves."""

    def __init__(self, corridor: Corridor, start: Plan, min_green_s: float, pedestrian_minimum: bool) -> None:
        self.names = [[p.name for p in t.phases] for t in start.timings]
        self.inter = [np.array([p.yellow_s + p.all_red_s for p in t.phases]) for t in start.timings]
        self.yellow = [[(p.yellow_s, p.all_red_s) for p in t.phases] for t in start.timings]
        self.mins: list[np.ndarray] = []
        for it, t in zip(corridor.intersections, start.timings):
            if pedestrian_minimum:
                req = min_greens_s(it, yellow_s=t.phases[0].yellow_s, all_red_s=t.phases[0].all_red_s,
                                   min_green_s=min_green_s)
                m = np.array([max(req.get(p.name, min_green_s), min_green_s) for p in t.phases])
            else:
                m = np.full(len(t.phases), float(min_green_s))
            g = np.array([p.green_s for p in t.phases])
            short = np.flatnonzero(g < m - 1e-6)
            if short.size:
                k = int(short[0])
                raise InputError(f"start plan {start.name!r}: {t.phases[k].name} green {g[k]:g} s at {it.name!r} is "
                                 f"below its minimum {m[k]:.1f} s; expected a plan that keeps the minimum greens")
            self.mins.append(m)
        self.names_int = [it.name for it in corridor.intersections]

    def lost_s(self, i: int) -> float:
        return float(self.inter[i].sum())

    def cycle_floor_s(self) -> float:
        return max(float(m.sum()) + self.lost_s(i) for i, m in enumerate(self.mins))

    def plan(self, x: _X, name: str) -> Plan:
        ts = []
        for i, g in enumerate(x.greens_s):
            phases = [Phase(nm, float(gi), y, ar) for nm, gi, (y, ar) in zip(self.names[i], g, self.yellow[i])]
            ts.append(SignalTiming(float(x.cycle_s), float(x.offsets_s[i] % x.cycle_s), phases))
        return Plan(name=name, timings=ts)

    def with_cycle(self, x: _X, cycle_s: float) -> _X | None:
        """``x`` on another cycle: the green above the minima scaled, offsets kept in seconds."""
        y = x.copy()
        for i, g in enumerate(x.greens_s):
            slack_old = x.cycle_s - self.lost_s(i) - self.mins[i].sum()
            slack_new = cycle_s - self.lost_s(i) - self.mins[i].sum()
            if slack_new < 0:
                return None
            extra = g - self.mins[i]
            share = extra / slack_old if slack_old > 1e-9 else np.full(len(g), 1.0 / len(g))
            gn = self.mins[i] + share * slack_new
            gn[int(np.argmax(gn))] += (cycle_s - self.lost_s(i)) - gn.sum()
            y.greens_s[i] = gn
        y.cycle_s = float(cycle_s)
        y.offsets_s = y.offsets_s % cycle_s
        return y


def _coords(space: _Space, n: int, optimise_splits: bool, optimise_cycle: bool) -> list[tuple]:
    cs: list[tuple] = [("offset", i) for i in range(n)]
    if optimise_splits:
        cs += [("split", i, k) for i in range(n) for k in range(len(space.names[i]) - 1)]
    if optimise_cycle:
        cs.append(("cycle",))
    return cs


def _move(space: _Space, x: _X, coord: tuple, delta: float, cycle_range: tuple[float, float]) -> _X | None:
    """``x`` with one coordinate changed by ``delta``; None where a bound would be broken."""
    if coord[0] == "offset":
        y = x.copy()
        y.offsets_s[coord[1]] = (y.offsets_s[coord[1]] + delta) % y.cycle_s
        return y
    if coord[0] == "split":  # move delta seconds of green from phase k+1 to phase k
        _, i, k = coord
        g = x.greens_s[i]
        if g[k] + delta < space.mins[i][k] - 1e-9 or g[k + 1] - delta < space.mins[i][k + 1] - 1e-9:
            return None
        y = x.copy()
        y.greens_s[i][k] += delta
        y.greens_s[i][k + 1] -= delta
        return y
    c = x.cycle_s + delta
    if c < cycle_range[0] - 1e-9 or c > cycle_range[1] + 1e-9:
        return None
    return space.with_cycle(x, c)


def _describe(space: _Space, coord: tuple, delta: float) -> str:
    if coord[0] == "offset":
        return f"offset {space.names_int[coord[1]]} {delta:+.2f} s"
    if coord[0] == "split":
        _, i, k = coord
        return f"split {space.names_int[i]} {space.names[i][k]}/{space.names[i][k + 1]} {delta:+.2f} s"
    return f"cycle {delta:+.2f} s"


# ----------------------------------------------------------------------------- search
class _Climb:
    """One hill-climb (the search of :func:`optimise_plan`) from a start, with its own move order."""

    def __init__(self, space: "_Space", evaluate: Callable, coords: list, cycle_range: tuple[float, float],
                 rng: np.random.Generator, used: int, history: list[dict[str, Any]],
                 tick: Callable[[int, float], None]) -> None:
        self.space, self.evaluate, self.coords, self.cycle_range = space, evaluate, coords, cycle_range
        self.rng, self.used, self.history, self.tick = rng, used, history, tick

    def run(self, x: "_X", pi_x: float, sums_x: list[PISums], steps: dict[str, float],
            budget: int) -> tuple["_X", float, list[PISums]]:
        """Best point, its PI and sums after ``budget`` evaluations or at the finest step."""
        best, pi_best, sums_best = x, pi_x, sums_x
        stop = self.used + budget
        rng = self.rng
        while self.used < stop and max(steps.values()) >= MIN_STEP_S - 1e-9:
            improved = False
            for j in rng.permutation(len(self.coords)):
                coord = self.coords[int(j)]
                h = steps[coord[0]]
                if h < MIN_STEP_S - 1e-9 or self.used >= stop:
                    continue
                signs = (1.0, -1.0) if rng.random() < 0.5 else (-1.0, 1.0)
                for sgn in signs:
                    moved = False
                    while self.used < stop:
                        cand = _move(self.space, best, coord, sgn * h, self.cycle_range)
                        if cand is None:
                            break
                        pi, sums = self.evaluate(cand)
                        self.used += 1
                        ok = pi < pi_best
                        self.history.append({"eval": self.used, "move": _describe(self.space, coord, sgn * h),
                                             "pi": pi, "accepted": ok})
                        if ok:
                            best, pi_best, sums_best, moved = cand, pi, sums, True
                        self.tick(self.used, pi_best)
                        if not ok:
                            break
                    if moved:
                        improved = True
                        break  # kept this direction; the opposite one cannot help from here
            if not improved:  # a whole sweep without gain: finer steps
                for k in steps:
                    steps[k] /= 2.0
        return best, pi_best, sums_best


def optimise_plan(corridor: Corridor, start_plan: Plan, *, stop_penalty_s: float = STOP_PENALTY_S,
                  side_weight: float = 1.0, through_weight: float = 1.0, iterations: int = 100,
                  optimise_splits: bool = True,
                  optimise_cycle: bool = False, cycle_min_s: float = 60.0, cycle_max_s: float = 150.0,
                  min_green_s: float = 5.0, pedestrian_minimum: bool = True,
                  seeds: Sequence[int] = DEFAULT_SEEDS, eval_s: float = 1200.0, warmup_s: float = 300.0,
                  dt_s: float = 1.0, offset_step_s: float | None = None, split_step_s: float = 4.0,
                  cycle_step_s: float = 8.0, seed: int = 0, starts: int = 1, params: ms.Params | None = None,
                  progress: Callable[[int, int, float], None] | None = None) -> Plan:
    """The plan of least PI (delay + K x stops of all vehicles) found from ``start_plan`` by hill-climbing.

    ``iterations``: candidate plans evaluated (each on every seed of ``seeds``, ``warmup_s`` + ``eval_s``
    simulated seconds at step ``dt_s``). Offsets move by ``offset_step_s`` (default cycle / 8), splits by
    ``split_step_s`` between consecutive phases (never below the minimum greens: ``min_green_s`` and,
    with ``pedestrian_minimum``, the pedestrian crossing times of :func:`~sim.greenwave.webster.min_greens_s`)
    and, with ``optimise_cycle``, the cycle by ``cycle_step_s`` within [cycle_min_s, cycle_max_s] (greens
    above the minima scaled); the steps halve after a sweep without gain, down to 1 s. ``seed`` orders the search
    (reproducible). ``starts``: independent climbs from ``start_plan``, climb k ordered by ``seed + k``, each
    with ``iterations`` evaluations; the plan of least PI over all is kept (the search is local, so
    single climbs end in different optima). ``progress(evaluations, iterations x starts, pi_best)`` is
    called after each evaluation.

    Returns the best plan evaluated (the start itself when nothing beats it) named "optimised", with
    ``meta``: pi_start, pi_best (vehicle-seconds / h), evaluations, history (one entry per evaluation:
    move, pi, accepted), the PI parts of start and best, settings and runtime_s.
    """
    n = len(corridor)
    if len(start_plan.timings) != n:
        raise InputError(f"start plan {start_plan.name!r}: has {len(start_plan.timings)} timings; expected {n}")
    cyc = np.array([t.cycle_s for t in start_plan.timings])
    if np.ptp(cyc) > 1e-9:
        raise InputError(f"start plan {start_plan.name!r}: cycles {sorted(set(cyc.tolist()))} s differ; "
                         "expected one common cycle")
    if not 0 < cycle_min_s <= cycle_max_s:
        raise InputError(f"cycle range {cycle_min_s!r}-{cycle_max_s!r} s: expected 0 < cycle_min_s <= cycle_max_s")
    c0 = float(cyc[0])
    if not cycle_min_s - 1e-9 <= c0 <= cycle_max_s + 1e-9:
        raise InputError(f"start plan {start_plan.name!r}: cycle {c0:g} s outside {cycle_min_s:g}-{cycle_max_s:g} s; "
                         "expected a start cycle within [cycle_min_s, cycle_max_s]")
    if isinstance(iterations, bool) or int(iterations) != iterations or iterations < 0:
        raise InputError(f"iterations {iterations!r}: expected a whole number >= 0")
    if isinstance(starts, bool) or int(starts) != starts or starts < 1:
        raise InputError(f"starts {starts!r}: expected a whole number >= 1")
    if not min_green_s >= 0:
        raise InputError(f"min_green_s {min_green_s!r}: expected >= 0 seconds")
    for nm, v in (("split_step_s", split_step_s), ("cycle_step_s", cycle_step_s)):
        if not v > 0:
            raise InputError(f"{nm} {v!r}: expected a positive step, seconds")
    if offset_step_s is not None and not offset_step_s > 0:
        raise InputError(f"offset_step_s {offset_step_s!r}: expected a positive step, seconds")

    t0 = time.perf_counter()
    space = _Space(corridor, start_plan, min_green_s, pedestrian_minimum)
    ev = Evaluator(corridor, seeds=seeds, eval_s=eval_s, warmup_s=warmup_s, stop_penalty_s=stop_penalty_s,
                   side_weight=side_weight, through_weight=through_weight, dt_s=dt_s, params=params)
    x = _X(c0, np.array([t.offset_s for t in start_plan.timings], float) % c0,
           [np.array([p.green_s for p in t.phases], float) for t in start_plan.timings])
    lo_c = max(float(cycle_min_s), space.cycle_floor_s())
    cycle_range = (lo_c, float(cycle_max_s))

    def evaluate(cand: _X) -> tuple[float, list[PISums]]:
        s = ev.sums(space.plan(cand, "candidate"))
        return ev.pi(s), s

    pi_start, sums_start = evaluate(x)
    best, pi_best, sums_best, used = x, pi_start, sums_start, 0
    history: list[dict[str, Any]] = [{"eval": 0, "move": "start", "pi": pi_start, "accepted": True}]
    coords = _coords(space, n, optimise_splits, optimise_cycle)
    steps0 = {"offset": float(offset_step_s if offset_step_s is not None else c0 / 8.0),
              "split": float(split_step_s), "cycle": float(cycle_step_s)}
    budget = int(iterations) * int(starts)
    pis_end = []

    def tick(evals: int, pi_climb: float) -> None:
        if progress is not None:
            progress(evals, budget, min(pi_climb, pi_best))

    for k in range(int(starts)):
        climb = _Climb(space, evaluate, coords, cycle_range, np.random.default_rng(seed + k), used, history, tick)
        x_k, pi_k, sums_k = climb.run(x, pi_start, sums_start, dict(steps0), int(iterations))
        used = climb.used
        pis_end.append(pi_k)
        if pi_k < pi_best:
            best, pi_best, sums_best = x_k, pi_k, sums_k

    plan = space.plan(best, "optimised")
    plan.speed_out_m_s, plan.speed_in_m_s = start_plan.speed_out_m_s, start_plan.speed_in_m_s
    if n >= 2:
        vo = start_plan.speed_out_m_s or corridor.speed_kph / 3.6
        vi = start_plan.speed_in_m_s or corridor.speed_kph / 3.6
        plan.band_out_s, plan.band_in_s = band_of(plan, corridor, vo, vi)
    plan.meta = {
        "method": "optimised", "start": start_plan.name, "pi_start": pi_start, "pi_best": pi_best,
        "pi_units": "vehicle-seconds of delay (+ K x stops) per hour", "evaluations": used + 1,
        "history": history, "parts_start": _parts(sums_start, ev.eval_s), "parts_best": _parts(sums_best, ev.eval_s),
        "stop_penalty_s": float(stop_penalty_s), "side_weight": float(side_weight),
        "through_weight": float(through_weight), "seeds": list(ev.seeds),
        "eval_s": ev.eval_s, "warmup_s": ev.warmup_s, "dt_s": ev.dt_s, "seed": int(seed),
        "starts": int(starts), "pi_per_start": pis_end,
        "optimise_splits": bool(optimise_splits), "optimise_cycle": bool(optimise_cycle),
        "cycle_range_s": list(cycle_range), "min_greens_s": [m.tolist() for m in space.mins],
        "cycle_s": float(best.cycle_s), "offsets_s": [float(o) for o in best.offsets_s],
        "runtime_s": time.perf_counter() - t0,
    }
    return plan


__all__ = ["optimise_plan", "performance_index", "cohort_sums", "Evaluator", "PISums", "STOP_PENALTY_S",
           "DEFAULT_SEEDS", "eval_seeds"]
