"""Microscopic corridor simulation: demand, state, chunked stepping and metrics.

The vehicles follow SUMO's Krauss model with SUMO's default passenger parameters (accel 2.6,
decel 4.5, emergency decel 9, sigma 0.5, tau 1 s, length 5 m, minGap 2.5 m; Krauss 1998), so a
run is directly comparable with SUMO on the same network (``sim.greenwave.sumo``); the kernel
is in :mod:`sim.greenwave.kernels`.

Simplifications (stated so that SUMO can be set up the same way, see ``sumo.write_sumo``):

* constant lane count per direction (median over the intersections); entry in the least
  occupied lane with room (SUMO ``departLane="free"``; a vehicle turning at the first signal
  enters in its turn lane); lane changes as in SUMO's LC2013 (Erdmann 2015): the strategic ones
  of turning vehicles toward their turn lane (leftmost for a left turn, rightmost for a right
  turn), toward it whenever that lane is faster now, and urgently within the look-ahead
  ``lc_lookahead_s`` x look-ahead speed per lane to cross, with the follower in the target lane
  making room and two halted vehicles that need each other's lanes swapping; discretionary ones
  for speed (LC2013's speed-gain memory, ``lc_speed_gain``; :func:`kernels._change_for_speed`),
  without LC2013's keep-right obligation; and the mandatory one away from a blocked lane
  (:func:`block_lane`);
* turn bays (:mod:`sim.greenwave.bays`): a left- / right-turn bay of the approach's length
  before the stop line; a turning vehicle moves into it at its start (a full bay holds it in the
  through lane, blocking that lane: spill-back) and brakes, queues and turns there; without a bay
  it turns from its turn lane;
* junctions are points (SUMO ``--no-internal-links``); a turning vehicle leaves at the stop line
  after slowing to the turn speed (the side-street speed times its speedFactor);
* a left turn with a protected window (``Plan.windows()`` left_out/left_in green > 0) waits for
  it; without one it goes on the through green ("permitted") and yields to the oncoming through
  and right-turning traffic: it accepts a gap of ``permitted_left_gap_s`` (HCM's critical headway,
  4.5 s), and up to two turners that pulled into the junction clear on the yellow
  (:mod:`sim.greenwave.permitted_left`); right turns and side-street traffic do not yield;
* side streets: two approaches per signal (north, south), ``side_len_m`` long, each carrying
  half the side volume; a share ``side_to_main`` joins the corridor (half each way): a right
  (left) turn from the rightmost (leftmost) side lane into the rightmost (leftmost) corridor
  lane; the rest crosses (any side lane) and leaves;
* demand: Poisson arrivals at the corridor and side rates; at each signal a main-street vehicle
  leaves with probability turn_left + turn_right (drawn at its departure).

Stops follow SUMO's waiting count: a stop is counted when the speed falls to <= 0.1 m/s after
being above it (or at the first step). Delay = travel time - distance / desired speed (the
desired speed is the limit times the vehicle's speedFactor), SUMO's ``timeLoss``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.greenwave import kernels as K
from sim.greenwave.bays import bay_lengths_m
from sim.greenwave.plan import MOVEMENTS, Corridor, Plan
from twin.errors import InputError

DIRECTIONS = ("out", "in")


@dataclass(frozen=True)
class Params:
    """Vehicle and network constants (SUMO's defaults for the passenger Krauss vType)."""

    accel_m_s2: float = 2.6
    decel_m_s2: float = 4.5
    emergency_decel_m_s2: float = 9.0
    sigma: float = 0.5  # Krauss dawdling
    tau_s: float = 1.0  # reaction time / desired time headway
    length_m: float = 5.0
    min_gap_m: float = 2.5
    speed_factor_sd: float = 0.1  # speedFactor ~ normal(1, sd) truncated to [0.2, 2] (SUMO "normc(1,0.1,0.2,2)")
    side_speed_kph: float = 30.0  # side-street approaches and every turn
    side_len_m: float = 100.0  # length of each side-street approach
    lane_change_dist_m: float = 100.0  # look-ahead for leaving a blocked lane
    # strategic lane changes toward a turn lane start within this many seconds (at the desired speed)
    # per lane to cross of where the lane ends for the turn, x lc_lookahead_left for changes to the left
    # (SUMO LC2013: LOOK_FORWARD 10 s, lcLookaheadLeft 2.0)
    lc_lookahead_s: float = 10.0
    lc_lookahead_left: float = 2.0
    # discretionary lane changes for speed (LC2013's speed gain, kernels._change_for_speed): their
    # eagerness, SUMO's lcSpeedGain (1 = SUMO's default); 0 = none
    lc_speed_gain: float = 1.0
    # permitted left turns (no protected window) yield to oncoming traffic: critical headway, s
    # (HCM 2010: 4.5 s; :mod:`sim.greenwave.permitted_left`); 0 = they go on the green unopposed
    permitted_left_gap_s: float = 4.5
    traj_every_s: float = 1.0  # trajectory sampling interval
    traj_capacity: int = 2_000_000  # rows; sampling stops when full


@dataclass
class Demand:
    """Pre-drawn vehicles, one entry per vehicle, sorted by departure (the index is the id)."""

    t_s: np.ndarray  # departure time, s
    origin: np.ndarray  # 0 corridor start (out), 1 corridor end (in), 2 + 2 i + s side approach (i, s)
    direction: np.ndarray  # corridor direction it travels (0 out, 1 in); -1 side-street crossers
    exit_m: np.ndarray  # travel-order index of the signal where it leaves; n_signals = corridor end
    left: np.ndarray  # 1 when it leaves by a left turn
    speed_factor: np.ndarray

    def __len__(self) -> int:
        return len(self.t_s)

    @classmethod
    def from_lists(cls, t_s, origin, direction, exit_m, left=None, speed_factor=None) -> "Demand":
        t = np.asarray(t_s, float)
        k = len(t)
        order = np.argsort(t, kind="stable")
        def arr(x, fill, dtype):
            return np.asarray(x if x is not None else [fill] * k, dtype)[order]
        return cls(t[order], arr(origin, 0, np.int32), arr(direction, 0, np.int32), arr(exit_m, 0, np.int32),
                   arr(left, 0, np.int32), arr(speed_factor, 1.0, float))


@dataclass
class Geometry:
    n: int
    length_m: float
    js: np.ndarray  # (2, n) signal positions in each direction's coordinate
    jmap: np.ndarray  # (2, n) intersection index of travel-order signal m
    nl: np.ndarray  # (2,) lanes per direction
    side_nl: np.ndarray  # (n,) lanes per side approach
    sat_h_s: np.ndarray  # (n,) saturation headway, s
    bay_m: np.ndarray  # (2, n, 2) bay length per direction, travel-order signal, side (left, right), m


@dataclass
class MicroState:
    """Everything a run needs between chunks (arrays are the kernel's state, updated in place)."""

    corridor: Corridor
    geo: Geometry
    params: Params
    demand: Demand
    par: np.ndarray
    seed: int
    dt_s: float
    step: int
    warmup_s: float
    arrays: dict[str, np.ndarray]
    traj_every: int
    kernel_s: float = 0.0

    @property
    def t_s(self) -> float:
        return self.step * self.dt_s


@dataclass
class MicroResult:
    """Metrics (units in keys), per-trip records and optional trajectories of one run."""

    metrics: dict
    trips: pd.DataFrame  # one row per record: kind (end/turn/side), dir, orig, exit, t_in_s, t_out_s, ff_s, wait_s, stops, vid
    trajectories: pd.DataFrame | None  # t_s, pos_m (corridor coordinate), dir, vid, v_m_s, lane (lanes per direction = left bay, -1 = right bay)
    vehicle_updates_per_s: float
    max_queue_veh: np.ndarray  # (2, n) halting vehicles per main approach (out, in) of intersection i (corridor order), max after warm-up
    max_queue_side_veh: np.ndarray  # (n, 2) per side approach (north, south)
    signals: np.ndarray | None = None  # (steps, n, 5) int8 signal state per step (kernels.GREEN/YELLOW/RED), when recorded


# ----------------------------------------------------------------------------- geometry and demand
def geometry(corridor: Corridor) -> Geometry:
    """Signal positions per direction and lane counts, validated."""
    n = len(corridor)
    if n < 1:
        raise InputError(f"corridor {corridor.name!r} has {n} signals: expected at least 1")
    pos = corridor.positions_m
    L = float(corridor.length_m)
    if np.any(np.diff(pos) <= 15.0):
        raise InputError(f"corridor {corridor.name!r} signal positions {pos.tolist()}: expected increasing, >15 m apart")
    if pos[0] <= 15.0 or pos[-1] >= L - 15.0:
        raise InputError(f"corridor {corridor.name!r} length_m {L:g}: expected signals inside (15, L-15) m, got "
                         f"{pos[0]:g}..{pos[-1]:g} (microsim.padded adds a lead-in/out)")
    if corridor.speed_kph <= 0:
        raise InputError(f"corridor speed_kph {corridor.speed_kph}: expected > 0")
    for it in corridor.intersections:
        if min(it.lanes_out, it.lanes_in, it.side_lanes) < 1:
            raise InputError(f"intersection {it.name!r} lanes: expected >= 1 each way and on the side street")
        if not (0 <= it.turn_left and 0 <= it.turn_right and it.turn_left + it.turn_right <= 1 and 0 <= it.side_to_main <= 1):
            raise InputError(f"intersection {it.name!r} turn shares {it.turn_left}, {it.turn_right}, {it.side_to_main}: expected in [0, 1], turns summing to <= 1")
        if it.side_volume_vph < 0 or it.sat_flow_vphpl <= 0:
            raise InputError(f"intersection {it.name!r} side_volume_vph / sat_flow_vphpl: expected >= 0 / > 0")
    js = np.stack([pos, (L - pos)[::-1]]).astype(float)
    jmap = np.stack([np.arange(n), np.arange(n)[::-1]]).astype(np.int32)
    nl = np.array([int(round(np.median([i.lanes_out for i in corridor.intersections]))),
                   int(round(np.median([i.lanes_in for i in corridor.intersections])))], np.int32)
    side_nl = np.array([i.side_lanes for i in corridor.intersections], np.int32)
    sat_h = np.array([3600.0 / i.sat_flow_vphpl for i in corridor.intersections])
    b = bay_lengths_m(corridor)  # (n, direction, side), corridor order
    bay = np.ascontiguousarray(np.stack([b[jmap[d], d, :] for d in range(2)]))
    return Geometry(n, L, js, jmap, nl, side_nl, sat_h, bay)


def padded(corridor: Corridor, lead_m: float = 300.0) -> Corridor:
    """``corridor`` with at least ``lead_m`` of road before its first and after its last signal
    (positions shifted, length extended), so that arriving traffic meets the first signal at
    speed; the simulator needs some lead-in and lead-out."""
    pos = corridor.positions_m
    shift = max(0.0, lead_m - float(pos[0]))
    tail = max(0.0, lead_m - (corridor.length_m - float(pos[-1])))
    if shift == 0.0 and tail == 0.0:
        return corridor
    its = [replace(i, pos_m=i.pos_m + shift) for i in corridor.intersections]
    return replace(corridor, intersections=its, length_m=corridor.length_m + shift + tail)


def _exits(rng: np.random.Generator, p_turn: np.ndarray, p_left: np.ndarray, start_m: int, k: int):
    """Travel-order signal where each of ``k`` vehicles leaves (first success of the per-signal
    Bernoulli draws from ``start_m`` on; n = none) and whether it turns left there."""
    n = len(p_turn)
    exit_m = np.full(k, n, np.int32)
    left = np.zeros(k, np.int32)
    open_ = np.ones(k, bool)
    for m in range(start_m, n):
        hit = open_ & (rng.random(k) < p_turn[m])
        exit_m[hit] = m
        left[hit] = (rng.random(int(hit.sum())) < p_left[m]).astype(np.int32)
        open_ &= ~hit
    return exit_m, left


def _speed_factors(rng: np.random.Generator, k: int, sd: float) -> np.ndarray:
    """normal(1, sd) truncated to [0.2, 2] by redrawing (SUMO's ``normc``)."""
    sf = 1.0 + sd * rng.standard_normal(k)
    bad = (sf < 0.2) | (sf > 2.0)
    while bad.any():
        sf[bad] = 1.0 + sd * rng.standard_normal(int(bad.sum()))
        bad = (sf < 0.2) | (sf > 2.0)
    return sf


def make_demand(corridor: Corridor, total_s: float, seed: int, params: Params | None = None) -> Demand:
    """Poisson arrivals over [0, total_s) at the corridor and side-street rates, with each
    vehicle's exit and speedFactor drawn up front (seeded); the same demand feeds SUMO."""
    p = params or Params()
    geo = geometry(corridor)
    n = geo.n
    rng = np.random.default_rng(seed)
    turn = np.array([i.turn_left + i.turn_right for i in corridor.intersections])
    pleft = np.array([i.turn_left / max(i.turn_left + i.turn_right, 1e-12) for i in corridor.intersections])
    parts = []
    def poisson(rate_vph):
        if rate_vph <= 0:
            return np.zeros(0)
        k = rng.poisson(rate_vph * total_s / 3600.0)
        return np.sort(rng.uniform(0.0, total_s, k))  # a Poisson process, given its count
    for d, vol in enumerate((corridor.volume_out_vph, corridor.volume_in_vph)):
        if vol < 0:
            raise InputError(f"corridor volume_{DIRECTIONS[d]}_vph {vol}: expected >= 0")
        t = poisson(vol)
        ex, lf = _exits(rng, turn[geo.jmap[d]], pleft[geo.jmap[d]], 0, len(t))
        parts.append((t, np.full(len(t), d), np.full(len(t), d), ex, lf))
    for i, it in enumerate(corridor.intersections):
        for s in range(2):
            t = poisson(it.side_volume_vph / 2.0)
            k = len(t)
            join = rng.random(k) < it.side_to_main
            dirs = np.where(join, (rng.random(k) < 0.5).astype(int), -1)
            ex = np.zeros(k, np.int32)
            lf = np.zeros(k, np.int32)
            for d in range(2):
                sel = dirs == d
                m = i if d == 0 else n - 1 - i
                ex[sel], lf[sel] = _exits(rng, turn[geo.jmap[d]], pleft[geo.jmap[d]], m + 1, int(sel.sum()))
            parts.append((t, np.full(k, K.ORIG_SIDE0 + 2 * i + s), dirs, ex, lf))
    t = np.concatenate([q[0] for q in parts])
    sf = _speed_factors(rng, len(t), p.speed_factor_sd)
    order = np.argsort(t, kind="stable")
    cat = lambda j, dt: np.concatenate([q[j] for q in parts]).astype(dt)[order]
    return Demand(t[order], cat(1, np.int32), cat(2, np.int32), cat(3, np.int32), cat(4, np.int32), sf[order])


# ----------------------------------------------------------------------------- state and stepping
def init_state(corridor: Corridor, plan: Plan, *, total_s: float, warmup_s: float = 0.0, seed: int = 0,
               dt_s: float = 0.5, params: Params | None = None, demand: Demand | None = None,
               record_trajectories: bool = False) -> MicroState:
    """An empty corridor at t = 0 with its demand over [0, total_s) (drawn from ``seed`` unless given)."""
    p = params or Params()
    if not (0.0 < dt_s <= 1.0):
        raise InputError(f"dt_s {dt_s}: expected in (0, 1] s")
    if total_s <= 0 or warmup_s < 0:
        raise InputError(f"duration {total_s} s / warm-up {warmup_s} s: expected > 0 / >= 0")
    geo = geometry(corridor)
    if len(plan.timings) != geo.n:
        raise InputError(f"plan {plan.name!r} has {len(plan.timings)} timings: expected {geo.n} (one per signal)")
    dem = demand if demand is not None else make_demand(corridor, total_s, seed, p)
    n, L = geo.n, geo.length_m
    v_main = corridor.speed_kph / 3.6
    par = np.zeros(K.N_PAR)
    par[[K.P_DT, K.P_ACCEL, K.P_DECEL, K.P_EMERG, K.P_SIGMA, K.P_TAU, K.P_LEN, K.P_MINGAP, K.P_V_MAIN, K.P_V_SIDE,
         K.P_SIDE_LEN, K.P_WARMUP, K.P_L, K.P_LC_DIST]] = [
        dt_s, p.accel_m_s2, p.decel_m_s2, p.emergency_decel_m_s2, p.sigma, p.tau_s, p.length_m, p.min_gap_m,
        v_main, p.side_speed_kph / 3.6, p.side_len_m, warmup_s, L, p.lane_change_dist_m]
    par[K.P_EV_VID] = -1.0  # no emergency vehicle (see control.EmergencyVehicle)
    par[K.P_LC_LOOK_S] = p.lc_lookahead_s
    par[K.P_LC_LEFT] = p.lc_lookahead_left
    par[K.P_LC_SPEEDGAIN] = p.lc_speed_gain
    par[K.P_LT_GAP] = p.permitted_left_gap_s
    jam = p.length_m + p.min_gap_m
    links = np.diff(np.concatenate([[0.0], geo.js[0], [L]]))
    cap = int(links.max() / jam * 1.5) + 16
    cap_side = int(p.side_len_m / jam * 1.5) + 16
    cap_bay = int(geo.bay_m.max(initial=0.0) / jam * 1.5) + 16
    n_veh = int(min(len(dem), 2 * geo.nl.sum() * L / jam + 2 * geo.side_nl.sum() * p.side_len_m / jam
                    + geo.bay_m.sum() / jam) * 1.2) + 64
    n_orig = K.ORIG_SIDE0 + 2 * n
    order = np.lexsort((dem.t_s, dem.origin))
    dem_f = np.stack([dem.t_s[order], dem.speed_factor[order]], axis=1)
    dem_i = np.stack([dem.direction[order], dem.exit_m[order], dem.left[order],
                      np.arange(len(dem), dtype=np.int32)[order], np.zeros(len(dem), np.int32)],
                     axis=1).astype(np.int32)  # id, then 1 = cancelled (set_demand_share)
    if len(dem) and (dem.origin.min() < 0 or dem.origin.max() >= n_orig):
        raise InputError(f"demand origin codes {dem.origin.min()}..{dem.origin.max()}: expected 0..{n_orig - 1}")
    dem_off = np.searchsorted(dem.origin[order], np.arange(n_orig + 1)).astype(np.int64)
    traj_every = max(1, int(round(p.traj_every_s / dt_s))) if record_trajectories else 0
    arrays = dict(
        vf=np.zeros((n_veh, K.N_VF)), vs=np.zeros((n_veh, K.N_VS), np.float32),
        vi=np.zeros((n_veh, K.N_VI), np.int32), vnew=np.zeros(n_veh, np.float32),
        free=np.arange(n_veh - 1, -1, -1, dtype=np.int32),
        fifo=np.full((2, n + 1, int(geo.nl.max()), cap), -1, np.int32),
        fhc=np.zeros((2, n + 1, int(geo.nl.max()), 2), np.int64),
        sfifo=np.full((n, 2, int(geo.side_nl.max()), cap_side), -1, np.int32),
        shc=np.zeros((n, 2, int(geo.side_nl.max()), 2), np.int64),
        pocket=np.zeros((2, n)), bfifo=np.full((2, n, 2, cap_bay), -1, np.int32), bhc=np.zeros((2, n, 2, 2), np.int64),
        block=np.full((2, int(geo.nl.max())), np.inf),
        dem_f=dem_f, dem_i=dem_i, dem_off=dem_off, dem_ptr=dem_off[:-1].copy(),
        rec_f=np.zeros((2 * len(dem) + 16, K.N_RF)), rec_i=np.zeros((2 * len(dem) + 16, K.N_RI), np.int32),
        qmax=np.zeros((2, n), np.int64), qmax_side=np.zeros((n, 2), np.int64),
        cnt=np.zeros(K.N_CNT, np.int64),
        traj=np.zeros((p.traj_capacity if record_trajectories else 1, 6), np.float32),
    )
    arrays["cnt"][K.C_FREE_TOP] = n_veh
    state = MicroState(corridor, geo, p, dem, par, int(seed), float(dt_s), 0, float(warmup_s), arrays, traj_every)
    run_chunk(state, plan.windows(), 0.0, 0.0)  # compiles (or loads the cache) outside the timed steps
    state.kernel_s = 0.0
    return state


def run_chunk(state: MicroState, windows: np.ndarray, t0_s: float, t1_s: float) -> None:
    """Advance ``state`` from ``t0_s`` (its current time) to ``t1_s`` under the signal ``windows``
    (``Plan.windows()`` layout); the windows may change between chunks (plan switches, pre-emption)."""
    if abs(t0_s - state.t_s) > 1e-9:
        raise InputError(f"chunk start {t0_s} s: expected the state's time {state.t_s} s")
    n_steps = int(round((t1_s - t0_s) / state.dt_s))
    if n_steps < 0 or abs(n_steps * state.dt_s - (t1_s - t0_s)) > 1e-9:
        raise InputError(f"chunk {t0_s}..{t1_s} s: expected a non-negative multiple of dt {state.dt_s} s")
    w = np.ascontiguousarray(windows, dtype=float)
    if w.shape != (state.geo.n, len(MOVEMENTS), 4):
        raise InputError(f"windows shape {w.shape}: expected {(state.geo.n, len(MOVEMENTS), 4)}")
    prot = np.ascontiguousarray(w[:, 2:4, 2] > 0.0)
    g, a = state.geo, state.arrays
    t = time.perf_counter()
    K.run_steps(state.step, n_steps, state.par, state.seed, w, g.js, g.jmap, g.nl, g.side_nl, prot, g.bay_m,
                a["vf"], a["vs"], a["vi"], a["vnew"], a["free"], a["fifo"], a["fhc"], a["sfifo"], a["shc"],
                a["pocket"], a["bfifo"], a["bhc"], a["block"], a["dem_f"], a["dem_i"], a["dem_off"], a["dem_ptr"], a["rec_f"], a["rec_i"],
                a["qmax"], a["qmax_side"], a["cnt"], a["traj"], state.traj_every)
    state.kernel_s += time.perf_counter() - t
    state.step += n_steps
    if a["cnt"][K.C_OVERFLOW]:
        raise RuntimeError(f"micro-simulation buffers overflowed ({a['cnt'][K.C_OVERFLOW]} times); this is a bug")


def set_demand_share(state: MicroState, share_by_origin: np.ndarray, from_s: float) -> None:
    """Keep only ``share_by_origin[o]`` (0..1) of the pre-drawn vehicles of each origin that depart
    at or after ``from_s`` and are not yet on the road; the others are cancelled. Thinning a Poisson
    process keeps it Poisson at the thinned rate (each vehicle kept independently), so a run drawn at
    the highest rate it will need follows any lower rate from ``from_s`` on; the keep/cancel draw of
    each vehicle is a fixed uniform number of its own (seeded), so shares set later act consistently
    (a vehicle kept at share 0.6 is kept at 0.8). Origins: ``Demand.origin`` codes."""
    a = state.arrays
    share = np.asarray(share_by_origin, float)
    n_orig = len(a["dem_off"]) - 1
    if share.shape != (n_orig,):
        raise InputError(f"demand shares: {share.size} values; expected {n_orig}, one per origin")
    bad = np.flatnonzero((share < 0) | (share > 1 + 1e-12) | ~np.isfinite(share))
    if len(bad):
        raise InputError(f"demand share of origin {bad[0]} {share[bad[0]]!r}: expected a value in [0, 1]")
    u = np.random.default_rng((state.seed, 0x7468)).random(len(state.demand))[a["dem_i"][:, 3]]
    for o in range(n_orig):
        rows = np.arange(max(int(a["dem_ptr"][o]), int(a["dem_off"][o])), int(a["dem_off"][o + 1]))
        rows = rows[a["dem_f"][rows, 0] >= from_s - 1e-9]
        a["dem_i"][rows, 4] = (u[rows] >= share[o]).astype(np.int32)


def block_lane(state: MicroState, direction: str, lane: int, pos_m: float | None) -> None:
    """Block ``lane`` (0 = rightmost) of ``direction`` at corridor position ``pos_m`` (None
    reopens it): vehicles stop behind the block and change to a neighbour lane when they can."""
    if direction not in DIRECTIONS:
        raise InputError(f"direction {direction!r}: expected one of {DIRECTIONS}")
    d = DIRECTIONS.index(direction)
    if not 0 <= lane < state.geo.nl[d]:
        raise InputError(f"lane {lane}: expected 0..{state.geo.nl[d] - 1}")
    if pos_m is None:
        state.arrays["block"][d, lane] = np.inf
        return
    if not 0.0 < pos_m < state.geo.length_m:
        raise InputError(f"block position {pos_m} m: expected inside the corridor (0, {state.geo.length_m:g})")
    state.arrays["block"][d, lane] = pos_m if d == 0 else state.geo.length_m - pos_m


def vehicles_in_network(state: MicroState) -> int:
    return int((state.arrays["vi"][: state.arrays["cnt"][K.C_HWM], K.I_LOC] != K.LOC_FREE).sum())


def trips(state: MicroState) -> pd.DataFrame:
    a = state.arrays
    r = int(a["cnt"][K.C_REC_N])
    f, i = a["rec_f"][:r], a["rec_i"][:r]
    return pd.DataFrame({
        "kind": pd.Categorical.from_codes(i[:, K.R_KIND], ["end", "turn", "side"]),
        "dir": i[:, K.R_DIR], "orig": i[:, K.R_ORIG], "exit": i[:, K.R_EXIT],
        "t_in_s": f[:, K.R_T_IN], "t_out_s": f[:, K.R_T_OUT], "ff_s": f[:, K.R_FF], "wait_s": f[:, K.R_WAIT],
        "stops": i[:, K.R_STOPS], "vid": i[:, K.R_VID],
        "left": state.demand.left[i[:, K.R_VID]].astype(np.int8)})  # 1: a left turner (kind "turn")


def summarize(tr: pd.DataFrame, warmup_s: float, end_s: float) -> dict:
    """Metrics from trip records (or SUMO's, same columns): means over vehicles that entered
    after the warm-up and finished by ``end_s``."""
    hours = max(end_s - warmup_s, 1e-9) / 3600.0
    tt = tr["t_out_s"] - tr["t_in_s"]
    m: dict = {}
    for d, name in enumerate(DIRECTIONS):
        thr = (tr["kind"] == "end") & (tr["orig"] == d) & (tr["t_in_s"] >= warmup_s)
        m[f"travel_time_{name}_s"] = float(tt[thr].mean()) if thr.any() else float("nan")
        m[f"stops_{name}_per_veh"] = float(tr.loc[thr, "stops"].mean()) if thr.any() else float("nan")
        m[f"delay_{name}_s"] = float((tt - tr["ff_s"])[thr].mean()) if thr.any() else float("nan")
        m[f"n_through_{name}"] = int(thr.sum())
        m[f"throughput_{name}_vph"] = float(((tr["kind"] == "end") & (tr["dir"] == d) & (tr["t_out_s"] >= warmup_s)).sum() / hours)
    side = (tr["kind"] == "side") & (tr["t_in_s"] >= warmup_s)
    m["delay_side_s"] = float((tt - tr["ff_s"])[side].mean()) if side.any() else float("nan")
    m["stops_side_per_veh"] = float(tr.loc[side, "stops"].mean()) if side.any() else float("nan")
    m["n_side"] = int(side.sum())
    if "left" in tr:  # the vehicles turning left off the corridor (permitted ones yield to oncoming traffic)
        lt = (tr["kind"] == "turn") & (tr["left"] == 1) & (tr["t_in_s"] >= warmup_s)
        m["delay_left_s"] = float((tt - tr["ff_s"])[lt].mean()) if lt.any() else float("nan")
        m["n_left"] = int(lt.sum())
    m["throughput_side_vph"] = float(((tr["kind"] == "side") & (tr["t_out_s"] >= warmup_s)).sum() / hours)
    # every vehicle (end to end, turning in or out, side street) that entered after the warm-up and
    # finished: the delay the whole intersection system carries, veh-h per hour of the run
    every = tr["t_in_s"] >= warmup_s
    m["total_delay_veh_h_per_h"] = float((tt - tr["ff_s"])[every].sum() / 3600.0 / hours)
    m["stops_all_per_h"] = float(tr.loc[every, "stops"].sum() / hours)
    m["n_all"] = int(every.sum())
    return m


def result(state: MicroState) -> MicroResult:
    a = state.arrays
    tr = trips(state)
    m = summarize(tr, state.warmup_s, state.t_s)
    for d, name in enumerate(DIRECTIONS):
        m[f"max_queue_{name}_veh"] = a["qmax"][d].tolist()
    m["max_queue_side_veh"] = a["qmax_side"].max(axis=1).tolist()
    ups = float(a["cnt"][K.C_UPDATES] / state.kernel_s) if state.kernel_s > 0 else float("nan")
    m["vehicle_updates_per_s"] = ups
    m["n_in"] = int(a["cnt"][K.C_IN])
    m["n_out"] = int(a["cnt"][K.C_OUT])
    m["n_in_network"] = vehicles_in_network(state)
    traj = None
    if state.traj_every:
        r = int(a["cnt"][K.C_TRAJ_N])
        t = a["traj"][:r]
        traj = pd.DataFrame({"t_s": t[:, 0].astype(float), "pos_m": t[:, 1], "dir": t[:, 2].astype(np.int8),
                             "vid": t[:, 3].astype(np.int64), "v_m_s": t[:, 4], "lane": t[:, 5].astype(np.int8)})
        m["trajectories_truncated"] = bool(r >= len(a["traj"]))
    return MicroResult(m, tr, traj, ups, a["qmax"].copy(), a["qmax_side"].copy())


def simulate(corridor: Corridor, plan: Plan, *, duration_s: float = 3600.0, warmup_s: float = 600.0, seed: int = 0,
             dt_s: float = 0.5, record_trajectories: bool = False, params: Params | None = None,
             demand: Demand | None = None, chunk_s: float = 60.0, control: str = "fixed",
             control_params=None, emergency=None, schedule=None, record_signals: bool = False) -> MicroResult:
    """Run ``warmup_s + duration_s`` seconds of the corridor under ``plan``; metrics cover the
    vehicles entering after the warm-up. Stepped in chunks of ``chunk_s`` (as the event-driven
    orchestration will, with plan switches between chunks).

    ``control`` (see :mod:`sim.greenwave.control`): "fixed" runs the plan's windows (the default;
    with a pre-empting ``emergency`` vehicle the plan runs as a state machine), "actuated"
    coordinated-actuated on the plan's cycle, offsets and force-offs, "max_pressure" Varaiya's
    max-pressure on the plan's phases, "cyclic_pressure" the plan's cycle, offsets and phase order
    with each cycle's greens from the pressures; ``control_params`` a ``control.ControlParams`` or dict.
    ``emergency``: a ``control.EmergencyVehicle`` added to the demand (metrics ``emergency_*``;
    the other metrics leave it out). ``schedule``: a ``control.WindowSchedule`` of fixed windows
    changing over time (a plan transition) instead of ``plan``'s (fixed control only).
    ``record_signals``: keep every step's signal states in ``MicroResult.signals`` and report the
    green shares after the warm-up.
    """
    from sim.greenwave import control as ctl  # control builds on this module

    if control not in ctl.MODES:
        raise InputError(f"control {control!r}: expected one of {ctl.MODES}")
    total = warmup_s + duration_s
    ev_vid = -1
    if emergency is not None:
        base = demand if demand is not None else make_demand(corridor, total, seed, params or Params())
        demand, ev_vid = ctl.add_emergency(base, emergency, len(corridor))
    use_ctl = control != "fixed" or (emergency is not None and emergency.preempt)
    if schedule is not None and use_ctl:
        raise InputError(f"schedule with control {control!r}: expected fixed control without pre-emption")
    st = init_state(corridor, plan, total_s=total, warmup_s=warmup_s, seed=seed, dt_s=dt_s, params=params,
                    demand=demand, record_trajectories=record_trajectories)
    if ev_vid >= 0:
        st.par[K.P_EV_VID] = float(ev_vid)
    steps_chunk = max(1, int(round(chunk_s / dt_s)))
    n_total = int(round(total / dt_s))
    signals = None
    if use_ctl:
        c = ctl.make_controller(st, plan, "plan" if control == "fixed" else control, control_params,
                                emergency=emergency, log_steps=n_total if record_signals else 0)
        while st.step < n_total:
            s1 = min(n_total, st.step + steps_chunk)
            ctl.run_chunk_ctl(st, c, st.t_s, s1 * dt_s)
        signals = c.sig_log if record_signals else None
    elif schedule is not None:
        ctl.run_schedule(st, schedule, total, chunk_s)
        signals = ctl.schedule_states(schedule, n_total, dt_s) if record_signals else None
    else:
        w = plan.windows()
        while st.step < n_total:
            s1 = min(n_total, st.step + steps_chunk)
            run_chunk(st, w, st.t_s, s1 * dt_s)
        signals = ctl.window_states(w, n_total, dt_s) if record_signals else None
    res = result(st)
    if ev_vid >= 0:
        ctl.split_emergency(res, st, ev_vid)
    if signals is not None:
        res.signals = signals
        res.metrics.update(ctl.green_shares(signals, int(round(warmup_s / dt_s))))
    return res
