"""Signal control modes and events for the corridor micro-simulator.

* **actuated** — coordinated-actuated control with fixed force-offs (Koonce et al. 2008, *Traffic
  Signal Timing Manual*, FHWA-HOP-08-024, actuated and coordinated operation): the
  phases serving main-street through traffic ("main", "main_out", "main_in") are coordinated:
  they keep the plan's cycle and offset, never end before their planned green end (the yield
  point) and rest in green while no side phase is called. "left" and "side" are actuated: served
  only on a detector call, min green (at least the pedestrians' minimum of the phase, ``ped_recall``), extended while the point detector ``detector_gap_s`` x the
  side speed upstream of the stop line sees a vehicle within ``passage_s`` (SUMO's max-gap), cut at
  their planned green end (force-off); time they do not use returns to the next phase (early
  return to the coordinated phase). With a call on every side phase it is exactly the fixed plan.
* **max_pressure** — Varaiya (2013), "Max pressure control of a network of signalized
  intersections", Transp. Res. C 36: at each step after the min green (``mp_min_green_s``, at least the
  phase's pedestrian minimum) the phase of largest
  pressure sum_movements s (x_up - r x_down) is served (s the movement's saturation flow, x the
  halting vehicles within ``mp_queue_dist_m`` upstream of the stop line, r the share going on to
  the downstream link); yellow + all-red of the plan between phases; no cycle. x counts every
  vehicle within the distance by default (Varaiya's x is the link's queue in a point-queue model,
  where a vehicle moving up to the stop line is queued too); counting halting vehicles only
  (``mp_count_moving=False``) makes a served movement look empty as soon as its queue moves, so
  the controller switches after almost every min green.
* **cyclic_pressure** — a cyclic, queue-aware split adjustment for a coordinated arterial: the
  plan's cycle, offsets and phase order stay (the phases are rotated so the first main-street
  phase leads, :func:`coordinated_first`, and its start is kept, so the bands keep their start);
  at each cycle start the phases' pressures (as max_pressure's) summed over the last cycle decide:
  when the largest clearly exceeds the next (``cyc_deadband``), its phase takes up to
  ``cyc_step_s`` of green from each other phase (with n phases it gains up to (n − 1) steps);
  otherwise the split steps back toward the plan at half that rate; no green leaves the plan's
  by more than ``cyc_max_shift_s`` or goes below its min green (``min_green_s``, at least the
  pedestrians' minimum, capped at the planned green). A heuristic driven by Varaiya's pressure,
  in the family of fixed-cycle max-pressure (Le et al. 2015, Transp. Res. C 58, with a
  different split rule and a stability proof that does not carry over here; Anderson et al.
  2018, Netw. Heterog. Media 13(2), splits updated once a cycle). Detector faults are not
  modelled (a real controller falls back to the plan). Green shares in proportion to the
  pressures swing with every noisy cycle on this corridor (BENCHMARKS.md).
* **emergency vehicle** (:class:`EmergencyVehicle`) with pre-emption: each signal within
  ``ev_detect_m`` (or ``ev_detect_eta_s`` at the vehicle's desired speed) of the approaching vehicle
  ends a conflicting green after its min green (with ``ped_recall`` at least its pedestrians' walk and
  crossing time: pre-emption does not cut a pedestrian crossing), runs its yellow + all-red, and holds a green for
  the vehicle's direction until it has passed the stop line; the plan then resumes where it is
  in the current cycle (phases whose force-off is too near are skipped, the coordinated phase
  waits for its yield point): the shortest way back. The vehicle follows the Krauss model
  without dawdling at ``speed_factor`` x the limit; other vehicles do not yield to it (it is only
  slowed by what is ahead of it through car following).
* **plan switch** (:func:`transition_windows`): from one plan to another "smooth" (each signal
  finishes its cycle, then runs at most three transition cycles of the new splits lengthened or
  shortened by at most ``max_change`` until it reaches the new offset) or "immediate".
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim.greenwave import ctl_kernels as CK
from sim.greenwave import kernels as K
from sim.greenwave import microsim as ms
from sim.greenwave.plan import MOVEMENTS, PHASE_MOVEMENTS, Intersection, Plan, SignalTiming
from sim.greenwave.webster import min_greens_s
from twin.errors import InputError

MODES = ("fixed", "actuated", "max_pressure", "cyclic_pressure")
_MODE_CODE = {"plan": CK.CTL_PLAN, "fixed": CK.CTL_PLAN, "actuated": CK.CTL_ACTUATED, "max_pressure": CK.CTL_MAX_PRESSURE,
              "cyclic_pressure": CK.CTL_CYCLIC}
COORDINATED = frozenset(n for n, mv in PHASE_MOVEMENTS.items() if "out" in mv or "in" in mv)


@dataclass(frozen=True)
class ControlParams:
    """Settings of the adaptive modes and of pre-emption."""

    passage_s: float = 3.0  # actuated: gap that ends a phase (SUMO's max-gap, default 3 s)
    detector_gap_s: float = 2.0  # actuated: detector this many seconds at the side speed before the line (SUMO's detector-gap)
    min_green_s: float = 5.0  # actuated/plan: min green of every phase (capped at its planned green)
    mp_min_green_s: float = 8.0  # max-pressure: min green (Varaiya's decision interval)
    mp_queue_dist_m: float = 150.0  # max-pressure: queues counted within this distance of the stop line
    mp_max_green_s: float = 0.0  # max-pressure: optional max green (0 = none)
    mp_count_moving: bool = True  # max-pressure: count every vehicle within the distance (False: halting ones only)
    cyc_step_s: float = 2.0  # cyclic max-pressure: largest change of a phase's green from one cycle to the next
    cyc_max_shift_s: float = 20.0  # cyclic max-pressure: largest departure of a green from the plan's
    cyc_deadband: float = 0.1  # cyclic max-pressure: relative pressure difference below which the split returns to the plan
    ev_detect_m: float = 300.0  # pre-emption: detection distance before each signal
    ev_detect_eta_s: float = 30.0  # ... or arrival within this many seconds at the vehicle's desired speed (a
    # conflicting side phase that has just started needs its pedestrian minimum, ~20 s, + yellow + all-red)
    ped_recall: bool = True  # every phase keeps its pedestrians' minimum green (walk + crossing; no push buttons)

    @classmethod
    def of(cls, x: "ControlParams | dict[str, Any] | None") -> "ControlParams":
        if x is None:
            return cls()
        if isinstance(x, cls):
            return x
        if isinstance(x, dict):
            bad = sorted(set(x) - set(cls.__dataclass_fields__))
            if bad:
                raise InputError(f"control_params keys {bad}: expected some of {sorted(cls.__dataclass_fields__)}")
            return cls(**x)
        raise InputError(f"control_params {x!r}: expected a ControlParams or a dict")

    def validate(self) -> None:
        for k in ("passage_s", "detector_gap_s", "min_green_s", "mp_min_green_s", "mp_queue_dist_m", "ev_detect_m",
                  "cyc_step_s"):
            if not getattr(self, k) > 0:
                raise InputError(f"control_params {k} {getattr(self, k)}: expected > 0")
        for k in ("mp_max_green_s", "ev_detect_eta_s", "cyc_max_shift_s", "cyc_deadband"):
            if getattr(self, k) < 0:
                raise InputError(f"control_params {k} {getattr(self, k)}: expected >= 0")


@dataclass(frozen=True)
class EmergencyVehicle:
    """One emergency vehicle along the corridor from its start (out) or end (in)."""

    direction: str = "out"
    t_s: float = 0.0  # departure, s on the simulation clock
    speed_factor: float = 1.2  # desired speed = this x the speed limit
    preempt: bool = True

    def validate(self) -> None:
        if self.direction not in ms.DIRECTIONS:
            raise InputError(f"emergency direction {self.direction!r}: expected one of {ms.DIRECTIONS}")
        if not 0.2 <= self.speed_factor <= 2.0:
            raise InputError(f"emergency speed_factor {self.speed_factor}: expected in [0.2, 2]")
        if self.t_s < 0:
            raise InputError(f"emergency t_s {self.t_s}: expected >= 0")


@dataclass
class Controller:
    """Arrays of the signal controllers (the kernel's state, updated in place between chunks)."""

    mode: str
    cp: np.ndarray
    nph: np.ndarray
    pkind: np.ndarray
    pserve: np.ndarray
    pf: np.ndarray
    cycoff: np.ndarray
    mu: np.ndarray
    rthru: np.ndarray
    s2m: np.ndarray
    tgt: np.ndarray
    cs: np.ndarray
    cf: np.ndarray
    call: np.ndarray
    lastocc: np.ndarray
    press: np.ndarray
    pacc: np.ndarray
    want: np.ndarray
    ev: np.ndarray
    sig_log: np.ndarray
    started: bool = False


# ----------------------------------------------------------------------------- building
def phase_min_greens_s(timing: SignalTiming, it: Intersection, cp_: ControlParams, mode: str) -> list[float]:
    """Minimum green of each phase of ``timing`` under control ``mode``: the vehicle minimum
    (``min_green_s``; max-pressure ``mp_min_green_s``) and, with ``ped_recall``, at least the
    pedestrians' minimum of the phase (:func:`sim.greenwave.webster.min_greens_s`: walk 7 s + the
    crossing at 1.2 m/s, less its yellow and all-red), so that an actuated or max-pressure phase
    never ends while people are still crossing (intersections without push buttons, where the
    pedestrian signal runs with every phase). Plan-following modes cap it at the planned green."""
    out = []
    for p in timing.phases:
        mg = cp_.mp_min_green_s if mode == "max_pressure" else cp_.min_green_s
        if cp_.ped_recall:
            mg = max(mg, min_greens_s(it, yellow_s=p.yellow_s, all_red_s=p.all_red_s).get(p.name, 0.0))
        out.append(mg if mode == "max_pressure" else min(mg, p.green_s))
    return out


def coordinated_first(t: SignalTiming) -> SignalTiming:
    """The same signal timing with its phases rotated so that the first main-street phase comes
    first, and the offset moved to that phase's start (the same windows). Cyclic max-pressure
    keeps the start of the cycle's first phase, so this keeps the coordinated green's start, the
    band's, whatever the plan's phase order (side first, lead-lead lefts)."""
    k = next((j for j, p in enumerate(t.phases) if p.name in COORDINATED), 0)
    if k == 0:
        return t
    shift = sum(p.length_s for p in t.phases[:k])
    return replace(t, offset_s=(t.offset_s + shift) % t.cycle_s, phases=[*t.phases[k:], *t.phases[:k]])


def _phase_arrays(plan: Plan, mode_code: int, cp_: ControlParams, intersections: list[Intersection]):
    timings = [coordinated_first(t) for t in plan.timings] if mode_code == CK.CTL_CYCLIC else plan.timings
    n = len(timings)
    P = max(len(t.phases) for t in timings)
    nph = np.array([len(t.phases) for t in timings], np.int64)
    pkind = np.zeros((n, P), np.int64)
    pserve = np.zeros((n, P, len(MOVEMENTS)), np.int8)
    pf = np.zeros((n, P, CK.N_PF))
    # offsets moved 1000 cycles back (same schedule) so that global phase indices stay positive
    cycoff = np.array([[t.cycle_s, t.offset_s % t.cycle_s - 1000.0 * t.cycle_s] for t in timings], float)
    tgt = np.full((n, 2), -1, np.int64)
    mode = "max_pressure" if mode_code == CK.CTL_MAX_PRESSURE else "actuated"
    for i, t in enumerate(timings):
        cum = 0.0
        mins = phase_min_greens_s(t, intersections[i], cp_, mode)
        for k, p in enumerate(t.phases):
            pkind[i, k] = CK.PK_COORD if p.name in COORDINATED else CK.PK_ACT
            for m, mv in enumerate(MOVEMENTS):
                pserve[i, k, m] = mv in PHASE_MOVEMENTS[p.name]
            pf[i, k] = (p.green_s, p.yellow_s, p.all_red_s, cum, mins[k], p.green_s)
            cum += p.length_s
        for d, mv in enumerate(("out", "in")):  # pre-emption phase: serves both directions if one does, else this one
            cand = [k for k, p in enumerate(t.phases) if mv in PHASE_MOVEMENTS[p.name]]
            both = [k for k in cand if {"out", "in"} <= set(PHASE_MOVEMENTS[t.phases[k].name])]
            if cand:
                tgt[i, d] = (both or cand)[0]
    return nph, pkind, pserve, pf, cycoff, tgt


def make_controller(state: ms.MicroState, plan: Plan, mode: str, params: ControlParams | dict | None = None, *,
                    emergency: EmergencyVehicle | None = None, log_steps: int = 0) -> Controller:
    """Controllers of every signal of ``state``'s corridor for ``plan`` in ``mode`` ("plan" or
    "fixed": the fixed plan as a state machine, "actuated", "max_pressure", "cyclic_pressure"). The emergency
    vehicle must already be in ``state``'s demand (:func:`add_emergency`). The signal states of
    the first ``log_steps`` steps are kept in ``sig_log``."""
    if mode not in _MODE_CODE:
        raise InputError(f"control {mode!r}: expected one of {MODES}")
    cp_ = ControlParams.of(params)
    cp_.validate()
    code = _MODE_CODE[mode]
    geo = state.geo
    if len(plan.timings) != geo.n:
        raise InputError(f"plan {plan.name!r} has {len(plan.timings)} timings: expected {geo.n} (one per signal)")
    for i, t in enumerate(plan.timings):
        if code != CK.CTL_MAX_PRESSURE and not any(p.name in COORDINATED for p in t.phases):
            raise InputError(f"plan {plan.name!r} signal {i}: phases {[p.name for p in t.phases]}: expected a "
                             f"main-street phase (one of {sorted(COORDINATED)}) for coordinated control")
    nph, pkind, pserve, pf, cycoff, tgt = _phase_arrays(plan, code, cp_, state.corridor.intersections)
    c = state.corridor
    sat = np.array([it.sat_flow_vphpl / 3600.0 for it in c.intersections])
    mu = np.stack([geo.nl[0] * sat, geo.nl[1] * sat, sat, sat, geo.side_nl * sat], axis=1).astype(float)
    rthru = np.array([1.0 - it.turn_left - it.turn_right for it in c.intersections])
    # both side approaches as one movement: each sends side_to_main / 2 onto each corridor direction
    s2m = np.array([it.side_to_main for it in c.intersections])
    cp = np.zeros(CK.N_CP)
    cp[CK.CP_MODE] = code
    cp[CK.CP_PASSAGE] = cp_.passage_s
    cp[CK.CP_DET_M] = min(cp_.detector_gap_s * state.params.side_speed_kph / 3.6, state.params.side_len_m - 1.0)
    cp[CK.CP_MP_DIST] = cp_.mp_queue_dist_m
    cp[CK.CP_EV_PREEMPT] = float(emergency is not None and emergency.preempt)
    cp[CK.CP_EV_DET_M] = cp_.ev_detect_m
    cp[CK.CP_EV_ETA_S] = cp_.ev_detect_eta_s
    cp[CK.CP_EV_T] = emergency.t_s if emergency is not None else np.inf
    cp[CK.CP_MAX_GREEN] = cp_.mp_max_green_s
    cp[CK.CP_MP_MOVING] = float(cp_.mp_count_moving)
    cp[CK.CP_DT] = state.dt_s
    cp[CK.CP_CYC_STEP] = cp_.cyc_step_s
    cp[CK.CP_CYC_MAX_SHIFT] = cp_.cyc_max_shift_s
    cp[CK.CP_CYC_DEADBAND] = cp_.cyc_deadband
    n, P = pkind.shape
    return Controller(mode, cp, nph, pkind, pserve, pf, cycoff, mu, rthru, s2m, tgt,
                      cs=np.zeros((n, CK.N_CS), np.int64), cf=np.zeros((n, CK.N_CF)), call=np.zeros((n, P), np.int8),
                      lastocc=np.zeros((n, P)), press=np.zeros((n, P)), pacc=np.zeros((n, P + 1)),
                      want=np.zeros(n, np.int8),
                      ev=np.array([-1, 0], np.int64),
                      sig_log=np.zeros((max(0, int(log_steps)), n, len(MOVEMENTS)), np.int8))


def add_emergency(demand: ms.Demand, ev: EmergencyVehicle, n_signals: int) -> tuple[ms.Demand, int]:
    """``demand`` with the emergency vehicle appended as a through vehicle (its id is the new last
    index, so every other vehicle keeps its id and its random numbers); returns the demand and
    the vehicle's id."""
    ev.validate()
    d = ms.DIRECTIONS.index(ev.direction)
    cat = lambda a, v, dt: np.concatenate([np.asarray(a, dt), np.array([v], dt)])
    out = ms.Demand(cat(demand.t_s, ev.t_s, float), cat(demand.origin, d, np.int32), cat(demand.direction, d, np.int32),
                    cat(demand.exit_m, n_signals, np.int32), cat(demand.left, 0, np.int32),
                    cat(demand.speed_factor, ev.speed_factor, float))
    return out, len(demand)


# ----------------------------------------------------------------------------- stepping
def run_chunk_ctl(state: ms.MicroState, ctl: Controller, t0_s: float, t1_s: float) -> None:
    """Advance ``state`` from ``t0_s`` to ``t1_s`` with the signal states from ``ctl`` (as
    :func:`sim.greenwave.microsim.run_chunk` does with fixed windows); the first call starts the
    controllers where the plan is at ``t0_s``."""
    if abs(t0_s - state.t_s) > 1e-9:
        raise InputError(f"chunk start {t0_s} s: expected the state's time {state.t_s} s")
    n_steps = int(round((t1_s - t0_s) / state.dt_s))
    if n_steps < 0 or abs(n_steps * state.dt_s - (t1_s - t0_s)) > 1e-9:
        raise InputError(f"chunk {t0_s}..{t1_s} s: expected a non-negative multiple of dt {state.dt_s} s")
    if not ctl.started:
        CK.ctl_init(t0_s, ctl.cp, ctl.nph, ctl.pf, ctl.cycoff, ctl.cs, ctl.cf, ctl.call, ctl.lastocc)
        ctl.started = True
    prot = np.ascontiguousarray(np.any(ctl.pserve[:, :, 2:4] != 0, axis=1))
    g, a = state.geo, state.arrays
    t = time.perf_counter()
    CK.run_steps_ctl(state.step, n_steps, state.par, state.seed, ctl.cp, ctl.nph, ctl.pkind, ctl.pserve, ctl.pf,
                    ctl.cycoff, ctl.mu, ctl.rthru, ctl.s2m, ctl.tgt, ctl.cs, ctl.cf, ctl.call, ctl.lastocc,
                    ctl.press, ctl.pacc, ctl.want, ctl.ev, ctl.sig_log,
                    g.js, g.jmap, g.nl, g.side_nl, prot, g.bay_m,
                    a["vf"], a["vs"], a["vi"], a["vnew"], a["free"], a["fifo"], a["fhc"], a["sfifo"], a["shc"],
                    a["pocket"], a["bfifo"], a["bhc"], a["block"], a["dem_f"], a["dem_i"], a["dem_off"], a["dem_ptr"], a["rec_f"], a["rec_i"],
                    a["qmax"], a["qmax_side"], a["cnt"], a["traj"], state.traj_every)
    state.kernel_s += time.perf_counter() - t
    state.step += n_steps
    if a["cnt"][K.C_OVERFLOW]:
        raise RuntimeError(f"micro-simulation buffers overflowed ({a['cnt'][K.C_OVERFLOW]} times); this is a bug")


# ----------------------------------------------------------------------------- results
def split_emergency(res: ms.MicroResult, state: ms.MicroState, ev_vid: int) -> None:
    """Move the emergency vehicle out of ``res``'s trips and metrics into ``emergency_*`` keys:
    travel time, stops, delay (travel time - free-flow time at its own desired speed)."""
    tr = res.trips
    own = (tr["vid"] == ev_vid).to_numpy()
    rec = tr[own]
    res.trips = tr[~own].reset_index(drop=True)
    res.metrics.update(ms.summarize(res.trips, state.warmup_s, state.t_s))
    m = res.metrics
    if len(rec):
        r = rec.iloc[0]
        tt = float(r.t_out_s - r.t_in_s)
        m.update(emergency_travel_time_s=tt, emergency_stops=int(r.stops), emergency_delay_s=tt - float(r.ff_s),
                 emergency_free_flow_s=float(r.ff_s), emergency_arrived=True)
        return
    a = state.arrays
    vi = a["vi"][: a["cnt"][K.C_HWM]]
    live = np.flatnonzero((vi[:, K.I_LOC] != K.LOC_FREE) & (vi[:, K.I_VID] == ev_vid))
    stops = int(vi[live[0], K.I_NSTOP]) if len(live) else 0
    m.update(emergency_travel_time_s=float("nan"), emergency_stops=stops, emergency_delay_s=float("nan"),
             emergency_free_flow_s=float("nan"), emergency_arrived=False)


def window_states(windows: np.ndarray, n_steps: int, dt_s: float) -> np.ndarray:
    """(n_steps, n, 5) signal states of fixed ``windows`` at each step time (as the kernel sees them)."""
    w = np.ascontiguousarray(windows, dtype=float)
    out = np.empty((n_steps, w.shape[0], w.shape[1]), np.int8)
    for s in range(n_steps):
        K.signal_states(w, K.step_signal_time(s, dt_s), out[s])
    return out


def green_shares(signals: np.ndarray, from_step: int) -> dict[str, float]:
    """Share of the steps from ``from_step`` on with a green, per movement, averaged over the
    signals (movements no phase serves count as 0)."""
    s = signals[from_step:]
    if len(s) == 0:
        return {}
    g = (s == K.GREEN).mean(axis=0).mean(axis=0)
    return {f"green_share_{m}": float(v) for m, v in zip(MOVEMENTS, g)}


# ----------------------------------------------------------------------------- plan transitions
@dataclass
class WindowSchedule:
    """Fixed-time windows that change over time: ``windows[j]`` (``Plan.windows()`` layout) holds
    from ``starts_s[j]`` (the first is -inf) to the next start. ``done_s``: from then on every
    signal runs the target plan; ``cycles_s[i]``: the transition cycle lengths of signal i."""

    starts_s: np.ndarray
    windows: np.ndarray
    done_s: float
    cycles_s: list[list[float]] = field(default_factory=list)
    switch_s: list[float] = field(default_factory=list)  # per signal: when its (last) transition begins
    switch_done_s: list[float] = field(default_factory=list)  # per switch: when every signal is on its plan

    def start_steps(self, dt_s: float) -> np.ndarray:
        """First step index of each segment: the first step whose time is >= its start."""
        st = np.full(len(self.starts_s), np.iinfo(np.int64).min // 2, np.int64)
        fin = np.isfinite(self.starts_s)
        st[fin] = np.ceil(self.starts_s[fin] / dt_s - 1e-9).astype(np.int64)
        return st

    def index_at_step(self, step: int, dt_s: float) -> int:
        return int(np.searchsorted(self.start_steps(dt_s), step, side="right") - 1)


def _timing_row(t: SignalTiming) -> np.ndarray:
    return np.array([[t.cycle_s, *t.window(m)] for m in MOVEMENTS], float)


def _scaled(t: SignalTiming, cycle_s: float, start_s: float, mins: dict[str, float] | None = None) -> SignalTiming:
    """``t``'s phases on a cycle of ``cycle_s`` (yellow and all-red kept), its first phase starting
    at ``start_s``. A longer cycle stretches every green in proportion; a shorter one takes only
    the green above each phase's minimum (``mins`` by phase name, capped at the phase's own green),
    so no phase falls below its minimum (pedestrian crossing time)."""
    lost = sum(p.yellow_s + p.all_red_s for p in t.phases)
    green = t.cycle_s - lost
    if cycle_s - lost <= 0 or green <= 0:
        raise InputError(f"transition cycle {cycle_s:.1f} s: expected longer than the lost time {lost:g} s")
    floor = [min((mins or {}).get(p.name, 0.0), p.green_s) for p in t.phases]
    if cycle_s >= t.cycle_s or not mins:
        f = (cycle_s - lost) / green
        ph = [replace(p, green_s=p.green_s * f) for p in t.phases]
    else:
        slack = green - sum(floor)
        if cycle_s - lost - sum(floor) < -1e-9 or slack <= 0:
            raise InputError(f"transition cycle {cycle_s:.1f} s: expected at least the lost time plus the "
                             f"minimum greens, {lost + sum(floor):.1f} s")
        f = (cycle_s - lost - sum(floor)) / slack
        ph = [replace(p, green_s=m + (p.green_s - m) * f) for p, m in zip(t.phases, floor)]
    ph[-1] = replace(ph[-1], green_s=ph[-1].green_s + (cycle_s - sum(p.length_s for p in ph)))  # rounding
    return SignalTiming(cycle_s, start_s % cycle_s, ph)


def transition_cycles(e_s: float, cycle_s: float, max_change: float, min_cycle_s: float = 0.0) -> list[float]:
    """Cycle lengths that shift a signal by ``e_s`` (0 <= e < cycle) onto the new plan: the fewest
    cycles N with total D = e + j cycle (j >= 0) inside N cycle (1 +- max_change), D closest to
    N cycle: the "shortway"/smooth transition of controllers, each cycle lengthened or shortened
    by a bounded share (Koonce et al. 2008, Traffic Signal Timing Manual, FHWA-HOP-08-024,
    transition methods; Lee & Williams 2012, Transp. Res. C, "Development and evaluation of a
    constrained optimization model for traffic signal plan transition"). No transition cycle is
    shorter than ``min_cycle_s`` (the plan's minimum cycle, or its lost time plus minimum greens)."""
    if e_s < 1e-6 or cycle_s - e_s < 1e-6:
        return []
    for n in range(1, 100):
        lo = n * max((1.0 - max_change) * cycle_s, min(min_cycle_s, cycle_s))
        hi = n * (1.0 + max_change) * cycle_s
        cands = [e_s + j * cycle_s for j in range(0, n + 2) if lo - 1e-9 <= e_s + j * cycle_s <= hi + 1e-9]
        if cands:
            d = min(cands, key=lambda x: abs(x - n * cycle_s))
            return [d / n] * n
    raise InputError(f"transition: no cycle sequence within +-{max_change:.0%} found")


def _signal_sequence(to: SignalTiming, tn: SignalTiming, t_switch_s: float, method: str, max_change: float,
                     mins: dict[str, float] | None, cycle_min_s: float) -> tuple[list, list[float], float, float]:
    """One signal's (start time, window row) list of a switch from ``to`` to ``tn`` at ``t_switch_s``
    (the first entry is the switch's start), its transition cycles, when it begins and when it ends."""
    if method == "immediate":
        return [(t_switch_s, _timing_row(tn))], [], t_switch_s, t_switch_s
    t0 = to.offset_s + np.ceil((t_switch_s - to.offset_s) / to.cycle_s - 1e-9) * to.cycle_s
    e = (tn.offset_s - t0) % tn.cycle_s
    lost = sum(p.yellow_s + p.all_red_s for p in tn.phases)
    need = lost + sum(min((mins or {}).get(p.name, 0.0), p.green_s) for p in tn.phases)
    cyc = transition_cycles(e, tn.cycle_s, max_change, max(cycle_min_s, need))
    seq, t = [], t0
    for c in cyc:
        seq.append((t, _timing_row(_scaled(tn, c, t, mins))))
        t += c
    seq.append((t, _timing_row(tn)))
    return seq, [float(x) for x in cyc], float(t0), float(t)


def chain_transitions(plans: list[Plan], switch_s: list[float], method: str = "smooth", max_change: float = 0.2,
                      *, min_greens: list[dict[str, float]] | None = None, cycle_min_s: float = 0.0) -> WindowSchedule:
    """The windows of a run that starts on ``plans[0]`` and switches to ``plans[k]`` at
    ``switch_s[k - 1]`` (increasing), each switch as :func:`transition_windows`. ``min_greens``: per
    signal the minimum green by phase name (:func:`sim.greenwave.webster.min_greens_s`) and
    ``cycle_min_s`` the shortest cycle allowed; a smooth transition never goes below either."""
    if method not in ("smooth", "immediate"):
        raise InputError(f"transition method {method!r}: expected 'smooth' or 'immediate'")
    if not 0.0 < max_change < 1.0:
        raise InputError(f"max_change {max_change}: expected in (0, 1)")
    if len(switch_s) != len(plans) - 1 or any(b <= a for a, b in zip(switch_s, switch_s[1:])):
        raise InputError(f"switch times {switch_s}: expected {len(plans) - 1} increasing times, one per switch")
    n = len(plans[0].timings)
    for p in plans[1:]:
        if len(p.timings) != n:
            raise InputError(f"plans {plans[0].name!r}/{p.name!r}: {n} and {len(p.timings)} timings; expected equal")
    rows: list[list[tuple[float, np.ndarray]]] = [[(-np.inf, _timing_row(t))] for t in plans[0].timings]
    cycles: list[list[float]] = [[] for _ in range(n)]
    begins: list[float] = [np.inf] * n
    on_plan = [-np.inf] * n  # per signal: from when it runs the current plan exactly (its last transition done)
    done_each: list[float] = []
    for k, t_sw in enumerate(switch_s):
        done_k = t_sw
        for i in range(n):
            mins = min_greens[i] if min_greens else None
            # a switch that falls during a running transition waits for it to finish: no cycle is cut short
            seq, cyc, b, e = _signal_sequence(plans[k].timings[i], plans[k + 1].timings[i], max(t_sw, on_plan[i]),
                                              method, max_change, mins, cycle_min_s)
            rows[i] = [(t, r) for t, r in rows[i] if t < seq[0][0]] + seq
            cycles[i] += cyc
            begins[i] = b
            on_plan[i] = e
            done_k = max(done_k, e)
        done_each.append(float(done_k))
    done = max(done_each) if done_each else -np.inf
    starts = sorted({t for seq in rows for t, _ in seq if np.isfinite(t)})
    starts_all = np.array([-np.inf] + starts)
    win = np.zeros((len(starts_all), n, len(MOVEMENTS), 4))
    for j, st in enumerate(starts_all):
        for i, seq in enumerate(rows):
            win[j, i] = [r for t, r in seq if t <= st][-1]
    return WindowSchedule(starts_all, win, float(done), cycles, [float(b) for b in begins], done_each)


def transition_windows(old: Plan, new: Plan, t_switch_s: float, method: str = "smooth",
                       max_change: float = 0.2, *, min_greens: list[dict[str, float]] | None = None,
                       cycle_min_s: float = 0.0) -> WindowSchedule:
    """The windows of a switch from ``old`` to ``new`` at ``t_switch_s``.

    "immediate": every signal jumps to ``new`` at ``t_switch_s`` (greens cut or stretched at once).
    "smooth": each signal finishes its current ``old`` cycle, then runs the transition cycles of
    :func:`transition_cycles` (``new``'s splits on each cycle length, every cycle within
    +-``max_change`` of ``new``'s cycle and not below ``cycle_min_s`` or the lost time plus the
    minimum greens, a shortened cycle taking only green above the minimums) and continues on
    ``new`` exactly from the cycle start its offset prescribes.
    """
    return chain_transitions([old, new], [t_switch_s], method, max_change, min_greens=min_greens,
                             cycle_min_s=cycle_min_s)


def run_schedule(state: ms.MicroState, sched: WindowSchedule, t_end_s: float, chunk_s: float = 60.0) -> None:
    """Advance ``state`` to ``t_end_s`` under the changing windows of ``sched`` (chunks end at
    every window change, on the step grid)."""
    dt = state.dt_s
    starts = sched.start_steps(dt)
    n_total = int(round(t_end_s / dt))
    steps_chunk = max(1, int(round(chunk_s / dt)))
    while state.step < n_total:
        j = int(np.searchsorted(starts, state.step, side="right") - 1)
        s1 = min(n_total, state.step + steps_chunk)
        if j + 1 < len(starts):
            s1 = min(s1, int(starts[j + 1]))
        ms.run_chunk(state, sched.windows[j], state.t_s, s1 * dt)


def schedule_states(sched: WindowSchedule, n_steps: int, dt_s: float) -> np.ndarray:
    """(n_steps, n, 5) signal states of ``sched`` at each step time."""
    starts = sched.start_steps(dt_s)
    out = np.empty((n_steps, sched.windows.shape[1], len(MOVEMENTS)), np.int8)
    for s in range(n_steps):
        j = int(np.searchsorted(starts, s, side="right") - 1)
        K.signal_states(sched.windows[j], K.step_signal_time(s, dt_s), out[s])
    return out


__all__ = ["MODES", "ControlParams", "EmergencyVehicle", "Controller", "WindowSchedule", "make_controller",
           "add_emergency", "run_chunk_ctl", "split_emergency", "window_states", "green_shares",
           "transition_cycles", "transition_windows", "chain_transitions", "run_schedule", "schedule_states"]
