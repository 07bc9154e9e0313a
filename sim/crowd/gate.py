"""Gate area of a scenic spot: a pedestrian micro-simulation run from a scenario.

The area (:mod:`sim.crowd.gate_area`) is either a template built round the spot's entrance (an approach plaza, a row of
``lanes`` turnstile lanes, an exit path into the spot; the twin's buildings and water cut out,
see :func:`sim.crowd.gate_area.template_area`), a walkable polygon given in the
scenario with its gates as segments of its boundary (each opening into a short exit pocket
outside), or a narrow scenic path given by its centreline and width, walked end to end
(:func:`sim.crowd.gate_area.path_area`). Visitors arrive at the plaza's far edge
(the entry line) as a Poisson process of the given rate (or of the spot's forecast peak
15-minute arrivals), walk to the gates and leave through the exit. Motion is the validated
collision-free speed model of :mod:`sim.crowd.peds` (``CALIBRATED`` parameters, its kernel
``run_csm``), advanced in chunks of ``CHUNK_S`` so that the run can add agents and hold them:

* arrivals are placed on free slots along the entry line at the start of each chunk; with
  no free slot they wait outside the area (spill-back, counted as ``waiting_outside``). On a
  path walked both ways (``back_share``) a share of them arrives at the far end and walks back
  (counter-flow, :mod:`sim.crowd.peds`); each end places its own arrivals in their order, and
  only where nobody leaving by that end is within ``ONCOMING_CLEAR_M``;
* with checks, people who have not yet passed a gate are queuing: they keep a standing gap of
  ``queue_gap_m`` to the person ahead (the kernel's g_i; 0 after the gate; default
  ``QUEUE_GAP_M`` with checks, 0 with free passage, where the people stream through a door as in
  the laboratory bottlenecks the model is validated on: a gap there would also cut the door's
  flow, 2.21 -> 1.59 persons/s through 1 m). The calibrated
  model alone stands at contact, as a motivated crowd pressing into a bottleneck does
  (Wuppertal experiments, 5-6 /m^2), while people waiting in a ticket queue keep a gap: 30-36 cm
  between persons is the spacing "commonly used" in queues, 15-20 cm a tight and 46-56 cm a
  comfortable one (Panero, J. & Zelnik, M. 1979, *Human Dimension and Interior Space*, Whitney,
  queuing). With the default ``QUEUE_GAP_M`` = 0.33 m a queue stands 0.69 m apart centre to
  centre (single file: 2 r + g + D ln a, :mod:`sim.crowd.peds_kernels`), inside the 0.6-0.9 m of
  Fruin's queuing level of service D (``GateRun.queue_stats``). Set it to 0 for a crowd that
  presses (a rush at opening time): the worst case for density;
* with ``check_time_s`` > 0 each lane is one server (a ticket/ID check): the front-most
  unchecked person in the lane stands (desired speed ~0) for a Gamma-distributed service time
  of mean ``check_time_s`` and coefficient of variation ``check_cv`` (Gamma, as the
  scenic-network gates' service, :mod:`sim.crowd.network`, whose default cv is 1.0 against 0.5
  here), the others in the lane wait behind. Starts and ends of services fall on chunk
  boundaries, and the next person must step into the check position, so a lane's service cycle
  is ``check_time_s`` plus up to one chunk plus the step-up (about 1 s): with the network's
  7.5 s default a lane passes about 6.5-7.3 persons/min, not the network's 8 (reported beside
  it); the flow it yields is measured, not assumed.

Outputs: crossings of each gate line (flow time series), persons between entry and gate (the
queue in the sense of cumulative arrival/departure curves, Newell 1993, Transp. Res. B 27(4)),
density and speed fields averaged over ``frame_s`` windows on ``field_cell_m`` cells
(count / walkable area of the cell, the definition of :func:`sim.crowd.peds.simulate`),
Fruin (1971) levels of service, warning episodes where a cell's window density exceeds
the threshold (4 persons/m^2 by default), and the clearance (egress) time when the run
continues after arrivals stop (the run and its measures: :mod:`sim.crowd.gate_run`).
"""
from __future__ import annotations

import math
import time
from collections import deque
from typing import Any, Callable

import numba
import numpy as np
import pandas as pd
import shapely

from sim.crowd import peds as P
from sim.crowd import peds_kernels as K
from sim.crowd.gate_area import GateArea, path_area, polygon_area, template_area
from sim.crowd.gate_run import (CHUNK_S, GateRun, cell_los, mark_provisional, warning_episodes,
                                window_fields)
from sim.crowd.params import QUEUE_GAP_M
from twin.errors import InputError

HOLD_SPEED_M_S = 1e-3  # desired speed of a person being checked (0 would make the overtake term 0/0)
# Below this many agents in the area a chunk runs on one thread: numba's parallel launches
# (two per step) cost more than they save at a few hundred agents (measured here: 1.3-1.7x
# faster single-threaded with 100-250 agents on two busy cores).
PARALLEL_MIN_AGENTS = 1000
# On a path walked both ways people arrive at an end where others leave: an arrival steps in only
# where nobody walking the other way is within this distance (it waits for the gap, as at a door
# used both ways), instead of appearing in front of someone about to leave.
ONCOMING_CLEAR_M = 1.0


# ---------------------------------------------------------------- arrivals
def arrival_times(rate_persons_s: float, duration_s: float, seed: int = 0, process: str = "poisson") -> np.ndarray:
    """Arrival times in [0, duration): a Poisson process of the rate, or evenly spaced."""
    if not (math.isfinite(rate_persons_s) and rate_persons_s > 0):
        raise InputError(f"arrival rate {rate_persons_s!r} persons/s: expected > 0")
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise InputError(f"duration {duration_s!r} s: expected > 0")
    if process == "even":
        n = int(round(rate_persons_s * duration_s))
        return (np.arange(n) + 0.5) / rate_persons_s
    if process != "poisson":
        raise InputError(f"arrival process {process!r}: expected poisson or even")
    rng = np.random.default_rng(seed)
    n = rng.poisson(rate_persons_s * duration_s)
    return np.sort(rng.uniform(0.0, duration_s, n))


def _wall_lists(geo: P.Geometry, params: P.CsmParams, r_max: float,
                cutoff_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1 m cell lists of the wall segments within reach (as :func:`sim.crowd.peds.simulate` builds them)."""
    ny, nx = geo.shape
    reach = max(cutoff_m, r_max + 9.0 * params.d_wall_m, 2.0 * r_max) + 0.05
    wnx = max(int(math.ceil(nx * geo.cell_m)), 1)
    wny = max(int(math.ceil(ny * geo.cell_m)), 1)
    w = geo.walls
    wstart, wseg = K.wall_cell_lists(w[:, 0].copy(), w[:, 1].copy(), w[:, 2].copy(), w[:, 3].copy(),
                                     geo.x0_m, geo.y0_m, 1.0, wnx, wny, reach)
    return np.array([geo.x0_m, geo.y0_m, 1.0, wnx, wny], dtype=float), wstart, wseg


def _clear_of(slots: np.ndarray, px: np.ndarray, py: np.ndarray, r2: np.ndarray | float) -> np.ndarray:
    """Per slot (rows of ``slots``), whether every point (px, py) lies farther than sqrt(``r2``)
    from it (``r2``: one value, or one per point)."""
    d2 = (slots[:, None, 0] - px[None, :]) ** 2 + (slots[:, None, 1] - py[None, :]) ** 2
    return (d2 > np.broadcast_to(r2, px.shape)[None, :]).all(axis=1)


def _entry_slots(area: GateArea, ln: shapely.LineString, geo: P.Geometry, r_m: float) -> np.ndarray:
    """Start positions along the entry line ``ln``, r + 0.1 m inside the area (not in an exit
    pocket), 2r + 0.1 m apart."""
    a, b = np.array(ln.coords[0]), np.array(ln.coords[-1])
    length = float(np.hypot(*(b - a)))
    t_hat = (b - a) / length
    nrm = np.array([-t_hat[1], t_hat[0]])
    inset = r_m + 0.1
    step = 2 * r_m + 0.1
    s = np.arange(inset, length - inset + 1e-9, step)

    def slots(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pts = a[None, :] + s[:, None] * t_hat[None, :] + inset * n[None, :]
        ok = shapely.contains_xy(area.walkable, pts[:, 0], pts[:, 1]) & geo.reachable(pts[:, 0], pts[:, 1])
        # keep slots clear of the walls by the body radius
        ok &= shapely.distance(area.walkable.boundary, shapely.points(pts)) >= r_m + 0.02
        for pk in area.pockets:
            ok &= ~shapely.contains_xy(pk, pts[:, 0], pts[:, 1])
        return pts, ok

    # the side of the line the area lies on: the one with more slots inside (a building cut out at the
    # line's middle must not flip it)
    (pts, ok), (pts2, ok2) = slots(nrm), slots(-nrm)
    if ok2.sum() > ok.sum():
        pts, ok = pts2, ok2
    if not ok.any():
        raise InputError("gate.entry: no start position fits along the entry line; expected a segment "
                         f"longer than {2 * inset:.2f} m on a walkable edge")
    return pts[ok]


def simulate_gate(area: GateArea, arrival_s: np.ndarray, *, duration_s: float, check_time_s: float = 0.0,
                  check_cv: float = 0.5, params: P.CsmParams | None = None, dt_s: float = 0.02, seed: int = 0,
                  nav_cell_m: float = P.NAV_CELL_M, field_cell_m: float = 1.0, frame_s: float = 10.0,
                  threshold_per_m2: float = P.DENSITY_WARNING_PER_M2, until_empty: bool = False,
                  max_extra_s: float = 1800.0, queue_gap_m: float | None = None, back_share: float = 0.0,
                  tick: Callable[[float], None] | None = None) -> GateRun:
    """Run the gate area: arrivals at ``arrival_s`` (s, sorted), motion by the CSM
    (:func:`sim.crowd.peds_kernels.run_csm`), checks at the lanes, fields and counts.

    The run lasts ``duration_s``; with ``until_empty`` it goes on (no more arrivals) until
    everybody has left or ``max_extra_s`` more seconds have passed. ``queue_gap_m``: standing
    gap kept by persons who have not yet passed a gate (0: the calibrated crowd at contact;
    None: ``QUEUE_GAP_M`` with checks, 0 without). ``back_share``: on an area walked both ways
    (``area.two_way``), the share of the arrivals, drawn at random, who arrive at
    ``area.entry_back`` and walk the other way (counter-flow; the arrival times are those of both
    streams together).
    """
    params = P.CALIBRATED if params is None else params
    if not (math.isfinite(dt_s) and 0.001 <= dt_s <= 0.1):
        raise InputError(f"gate.dt_s {dt_s!r}: expected 0.001 .. 0.1 s")
    if not (check_time_s >= 0 and math.isfinite(check_time_s)) or not (0 <= check_cv <= 3):
        raise InputError(f"gate.check_time_s {check_time_s!r}, check_cv {check_cv!r}: expected >= 0 s and 0 .. 3")
    if check_time_s > 0 and not area.check_zones:
        raise InputError("gate.check_time_s: checks need the template's lanes; expected 0 with a polygon")
    if queue_gap_m is None:
        queue_gap_m = QUEUE_GAP_M if check_time_s > 0 else 0.0
    if not (math.isfinite(queue_gap_m) and 0.0 <= queue_gap_m <= 1.5):
        raise InputError(f"gate.queue_gap_m {queue_gap_m!r}: expected 0 .. 1.5 m")
    if not (math.isfinite(back_share) and 0.0 <= back_share <= 1.0):
        raise InputError(f"gate.path_back_share {back_share!r}: expected 0 .. 1")
    if back_share > 0 and not area.two_way:
        raise InputError(f"gate.path_back_share {back_share!r}: only a path walked both ways has a second entry; "
                         "expected 0 here")
    if not (frame_s >= CHUNK_S and field_cell_m > 0):
        raise InputError(f"gate.frame_s {frame_s!r}, field_cell_m {field_cell_m!r}: expected >= {CHUNK_S} s, > 0 m")
    arrival_s = np.sort(np.asarray(arrival_s, dtype=float))
    n = arrival_s.size
    if n == 0:
        raise InputError("gate: no arrivals in the run; expected a positive rate and duration")
    geo = P.Geometry.from_polygon(area.walkable, area.exits, cell_m=nav_cell_m)
    geos = [geo, geo.toward(area.exits_back)] if area.two_way else [geo]
    layers = P.nav_layers(geos)
    dest = np.zeros(n, dtype=np.int64)  # 0: from the entry, 1: from entry_back (counter-flow)
    if back_share > 0:
        dest = (np.random.default_rng(seed + 104729).random(n) < back_share).astype(np.int64)
    ag = P.make_agents(np.zeros((n, 2)), params, seed)
    v0 = ag.desired_speed_m_s.copy()
    v0_run = v0.copy()
    rad, tg = ag.radius_m.copy(), ag.time_gap_s.copy()
    r_max = float(rad.max())
    x, y = np.zeros(n), np.zeros(n)
    ex, ey = np.zeros(n), np.zeros(n)
    active = np.zeros(n, dtype=np.uint8)
    exit_s = np.full(n, np.nan)
    entry_s = np.full(n, np.nan)
    gap = np.full(n, float(queue_gap_m))  # 0 once through a gate
    cutoff = params.auto_cutoff_m(r_max, float(v0.max()), float(tg.max()), float(queue_gap_m))
    prm = params.kernel_vector()
    prm[K.P_CUTOFF] = cutoff
    wgrid, wstart, wseg = _wall_lists(geo, params, r_max, cutoff)
    w = geo.walls
    sx0, sy0, sx1, sy1 = (w[:, c].copy() for c in range(4))
    nav_o = np.array([geo.x0_m, geo.y0_m, geo.cell_m])
    slots = [_entry_slots(area, ln, g, r_max) for ln, g in zip([area.entry, area.entry_back], geos)]
    clear2 = (2 * r_max + float(queue_gap_m) + 0.05) ** 2  # a slot is free with nobody this close
    clear_onc2 = ONCOMING_CLEAR_M ** 2  # ... and nobody of the other stream (leaving there) this close
    rng = np.random.default_rng(seed + 7919)
    # checks: one server per lane
    nz = len(area.check_zones) if check_time_s > 0 else 0
    checked = np.zeros(n, dtype=bool)
    serving = np.full(nz, -1, dtype=np.int64)
    release = np.zeros(nz)
    if check_time_s > 0:
        shape = 1.0 / (check_cv * check_cv) if check_cv > 0 else 0.0
        service = (rng.gamma(shape, check_time_s / shape, n) if check_cv > 0 else np.full(n, check_time_s))
    steps_per_chunk = max(int(round(CHUNK_S / dt_s)), 1)
    chunk = steps_per_chunk * dt_s
    t_stop = duration_s + (max_extra_s if until_empty else 0.0)
    rec_id, rec_t, rec_x, rec_y, rec_v = [], [], [], [], []
    ser = []
    due = lo = n_placed = 0  # arrivals [0, due) have arrived; [lo, due) may be in the area
    waiting: list[deque] = [deque() for _ in geos]  # per entry: arrived, not yet in the area
    t = 0.0
    agent_steps = 0
    last_v = np.full(n, np.nan)
    t_wall = time.perf_counter()
    threads = numba.get_num_threads()
    while True:
        # 1. arrivals onto free slots of their entry line (first come, first placed at each entry)
        while due < n and arrival_s[due] <= t + 1e-9:
            waiting[dest[due]].append(due)
            due += 1
        if any(waiting):
            act = np.flatnonzero(active[lo:due]) + lo
            free = [np.ones(len(sl_), dtype=bool) for sl_ in slots]
            if act.size:
                for k_, (f_, sl_) in enumerate(zip(free, slots)):
                    f_[:] = _clear_of(sl_, x[act], y[act], np.where(dest[act] == k_, clear2, clear_onc2))
            for k_, q_ in enumerate(waiting):
                while q_ and free[k_].any():
                    i = q_.popleft()
                    j_ = int(rng.choice(np.flatnonzero(free[k_])))
                    x[i], y[i] = slots[k_][j_]
                    ci, cj = geo._cells(x[i:i + 1], y[i:i + 1])
                    ex[i], ey[i] = layers[0][k_, cj[0], ci[0]], layers[1][k_, cj[0], ci[0]]
                    active[i] = 1
                    entry_s[i] = t
                    for k2, (f2, s2) in enumerate(zip(free, slots)):
                        f2 &= _clear_of(s2, x[i:i + 1], y[i:i + 1], clear2 if k2 == k_ else clear_onc2)
                    n_placed += 1
        while lo < due and not active[lo] and math.isfinite(entry_s[lo]):  # gone: placed and left
            lo += 1
        # 2. checks at the lanes
        if nz:
            _update_checks(area, geo, t, x, y, active, lo, due, v0, v0_run, checked, serving, release, service)
        # 3. record
        act = np.flatnonzero(active[lo:due]) + lo
        rec_id.append(act)
        rec_t.append(np.full(act.size, t))
        rec_x.append(x[act].copy())
        rec_y.append(y[act].copy())
        rec_v.append(last_v[act].copy())
        n_exit = int(np.isfinite(exit_s[:due]).sum())
        ser.append((t, int(np.searchsorted(arrival_s, t, side="right")), n_placed, n_exit, act.size))
        if tick is not None:
            tick(t)
        # 4. stop?
        if t >= duration_s - 1e-9 and (not until_empty or (n_placed == n and act.size == 0) or t >= t_stop - 1e-9):
            break
        # 5. one chunk of motion
        m = due - lo
        if act.size:
            sl = slice(lo, due)
            rx = np.full((2, m), np.nan)
            ry = np.full((2, m), np.nan)
            rv = np.full((2, m), np.nan)
            px, py = x[sl].copy(), y[sl].copy()
            numba.set_num_threads(1 if act.size < PARALLEL_MIN_AGENTS else threads)
            try:
                _, ast = K.run_csm(x[sl], y[sl], v0_run[sl], rad[sl], tg[sl], gap[sl], active[sl], exit_s[sl],
                                   ex[sl], ey[sl], prm, nav_o, *layers, dest[sl], sx0, sy0, sx1,
                                   sy1, wgrid, wstart, wseg, 0.0, t, dt_s, steps_per_chunk, steps_per_chunk, rx, ry,
                                   rv)
            finally:
                numba.set_num_threads(threads)
            agent_steps += int(ast)
            last_v[sl] = rv[1]
            q = np.flatnonzero(gap[sl] > 0.0)
            if q.size:  # through a gate this chunk: no longer queuing
                gap[lo + q[_crossed(area, px[q], py[q], x[lo + q], y[lo + q], dest[lo + q]) >= 0]] = 0.0
        t = round(t + chunk, 9)
    wall = time.perf_counter() - t_wall
    # persons never placed keep entry NaN; exits only of placed persons
    ids = np.concatenate(rec_id)
    pos = pd.DataFrame({"id": ids.astype(np.int64), "t_s": np.concatenate(rec_t), "x": np.concatenate(rec_x),
                        "y": np.concatenate(rec_y), "speed_m_s": np.concatenate(rec_v)})
    pos = pos.sort_values(["id", "t_s"], kind="stable").reset_index(drop=True)
    gate, gate_s = _gate_passages(area, pos, n, dest)
    series = pd.DataFrame(ser, columns=["t_s", "arrived", "entered", "exited", "inside"])
    series["waiting_outside"] = series.arrived - series.entered
    g_sorted = np.sort(gate_s[gate >= 0])
    series["passed"] = np.searchsorted(g_sorted, series.t_s.to_numpy(), side="right")
    series["queue"] = series.arrived - series.passed  # N_arrivals(t) - N_gate(t)
    fx, fy, area_m2, dens, spd, f_t = window_fields(geo, pos, field_cell_m, frame_s, float(series.t_s.iloc[-1]))
    los = cell_los(dens, spd)
    warns = warning_episodes(dens, f_t, frame_s, fx, fy, threshold_per_m2)
    return GateRun(area=area, geometry=geo, arrival_s=arrival_s, entry_s=entry_s, exit_s=exit_s, gate=gate,
                   gate_s=gate_s, positions=pos, series=series, duration_s=float(duration_s),
                   t_end_s=float(series.t_s.iloc[-1]), frame_s=float(frame_s), frame_t_s=f_t, field_x_m=fx,
                   field_y_m=fy, cell_area_m2=area_m2, density_per_m2=dens, speed_m_s=spd, los=los,
                   warnings=warns, threshold_per_m2=threshold_per_m2, check_time_s=check_time_s,
                   queue_gap_m=float(queue_gap_m),
                   wall_time_s=wall, agent_steps=agent_steps, destination=dest if area.two_way else None)


def _update_checks(area: GateArea, geo: P.Geometry, t: float, x: np.ndarray, y: np.ndarray,
                   active: np.ndarray, lo: int, hi: int, v0: np.ndarray, v0_run: np.ndarray,
                   checked: np.ndarray, serving: np.ndarray, release: np.ndarray, service: np.ndarray) -> None:
    """One server per lane: finish due checks, start the next one, hold the unchecked in the lane."""
    act = np.flatnonzero(active[lo:hi]) + lo
    for k, zone in enumerate(area.check_zones):
        i = serving[k]
        if i >= 0 and (t >= release[k] - 1e-9 or not active[i]):
            v0_run[i] = v0[i]
            checked[i] = True
            serving[k] = -1
        if act.size == 0:
            continue
        inz = act[shapely.contains_xy(zone, x[act], y[act]) & ~checked[act]]
        if serving[k] < 0 and inz.size:
            ci, cj = geo._cells(x[inz], y[inz])
            i = int(inz[int(np.argmin(geo.route_m[cj, ci]))])  # the front-most on the route
            serving[k] = i
            release[k] = t + service[i]
        v0_run[inz] = HOLD_SPEED_M_S  # the one being checked and any behind it in the lane


def _gate_passages(area: GateArea, pos: pd.DataFrame, n: int, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gate index and time of each of ``n`` persons' first crossing of a gate line of their own
    destination (``dest``; between records, time interpolated linearly); -1/NaN if none."""
    gate = np.full(n, -1, dtype=np.int64)
    gate_s = np.full(n, np.nan)
    idv = pos.id.to_numpy()
    same = idv[1:] == idv[:-1]
    px, py = pos.x.to_numpy()[:-1][same], pos.y.to_numpy()[:-1][same]
    qx, qy = pos.x.to_numpy()[1:][same], pos.y.to_numpy()[1:][same]
    tp, tq = pos.t_s.to_numpy()[:-1][same], pos.t_s.to_numpy()[1:][same]
    who = idv[:-1][same]
    for k in range(len(area.gates)):
        s, hit = _crossing(area, k, px, py, qx, qy)
        for j in np.flatnonzero(hit & (dest[who] == area.destination_of_gate(k))):
            i = who[j]
            tc = tp[j] + s[j] * (tq[j] - tp[j])
            if gate[i] < 0 or tc < gate_s[i]:
                gate[i] = k
                gate_s[i] = tc
    return gate, gate_s


def _crossing(area: GateArea, k: int, px: np.ndarray, py: np.ndarray, qx: np.ndarray,
              qy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps p -> q that cross gate ``k``'s line: (fraction of the step at the crossing, hit mask)."""
    (ax, ay), (bx, by) = area.gates[k].coords[0], area.gates[k].coords[-1]
    s, u = _segment_params(px, py, qx, qy, ax, ay, bx, by)
    return s, (s >= 0) & (s <= 1) & (u >= 0) & (u <= 1)


def _crossed(area: GateArea, px: np.ndarray, py: np.ndarray, qx: np.ndarray, qy: np.ndarray,
             dest: np.ndarray) -> np.ndarray:
    """Index of a gate of the walker's own destination (``dest``) whose line each step p -> q
    crosses, -1 where none."""
    out = np.full(px.size, -1, dtype=np.int64)
    for k in range(len(area.gates)):
        out[_crossing(area, k, px, py, qx, qy)[1] & (dest == area.destination_of_gate(k))] = k
    return out


def _segment_params(px: np.ndarray, py: np.ndarray, qx: np.ndarray, qy: np.ndarray, ax: float, ay: float,
                    bx: float, by: float) -> tuple[np.ndarray, np.ndarray]:
    """Parameters (s along p->q, u along a->b) of the intersection of the lines; inf when parallel."""
    rx, ry = qx - px, qy - py
    sx, sy = bx - ax, by - ay
    den = rx * sy - ry * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        s = ((ax - px) * sy - (ay - py) * sx) / den
        u = ((ax - px) * ry - (ay - py) * rx) / den
    bad = np.abs(den) < 1e-12
    s[bad] = np.inf
    u[bad] = np.inf
    return s, u


# ---------------------------------------------------------------- scenario run
def gate_inflow(city: Any, params: Any, spot: str) -> tuple[float, dict]:
    """Persons/h at the gate and where the number comes from: ``gate.persons_per_hour``, or
    4 x the spot's peak 15-minute arrivals of the holiday-aware forecast over [start, end]
    (:func:`sim.crowd.arrivals.arrivals`, the forecast the scenic network runs on); then the info
    also says the calendar's source and whether it is ``provisional`` (derived, not official)."""
    g = params.gate
    if g.persons_per_hour is not None:
        return float(g.persons_per_hour), {"source": "given (gate.persons_per_hour)"}
    from sim.crowd.calendar import HolidayCalendar
    from sim.crowd.arrivals import arrivals

    cal = HolidayCalendar(params.holiday_table)  # the file (None: official + derivation)
    days = cal.day_table(params.start, params.end)
    fc, info = arrivals(city, params.model_copy(update={"spots": [spot]}), cal)[:2]
    sel = fc[fc["spot"] == spot]
    if sel.empty or not (sel["arrivals_persons"].max() > 0):
        raise InputError(f"gate.from_forecast: no forecast arrivals at {spot!r} between {params.start} and "
                         f"{params.end}; expected a period with visitors")
    k = sel["arrivals_persons"].idxmax()
    peak = float(sel.loc[k, "arrivals_persons"])
    prov = bool(days["provisional"].any())
    return 4.0 * peak, {"source": f"peak 15-min arrivals x 4 ({info.get('source')})",
                        "peak_15min_persons": round(peak, 1), "peak_time": str(pd.Timestamp(sel.loc[k, "time"])),
                        "calendar_source": "+".join(sorted(set(days["source"]))), "provisional": prov,
                        **({"provisional_note": "holiday calendar derived (lunar calendar and usual lengths), "
                            "not the State Council schedule"} if prov else {})}


def build_area(city: Any, g: Any) -> tuple[GateArea, int | None]:
    """The gate area of the scenario's ``gate`` block and the lanes used (None for a polygon or path)."""
    if g.path is not None:
        return path_area(city, g.spot, g.path, g.path_width_m, two_way=g.path_back_share > 0), None
    if g.polygon is not None:
        return polygon_area(city, g.spot, g.polygon, g.gates, g.entry), None
    lanes = g.lanes
    if lanes is None:
        from sim.crowd.network import default_config
        from twin.places import place_named

        name = str(place_named(city.places, g.spot, key="gate.spot", kind="scenic_spot")["name"])
        lanes = default_config(city, spots=[name]).spots[0].gates
    area = template_area(city, g.spot, lanes=int(lanes), lane_width_m=g.lane_width_m, post_width_m=g.post_width_m,
                         lane_length_m=g.lane_length_m, plaza_width_m=g.plaza_width_m,
                         plaza_depth_m=g.plaza_depth_m, exit_width_m=g.exit_width_m,
                         exit_length_m=g.exit_length_m, approach_from=g.approach_from,
                         entrance_xy=g.entrance_xy)
    return area, int(lanes)


def run(city: Any, params: Any, *, progress: bool = False, start: Any = None) -> Any:
    """The scenario's gate-area run (``params.gate``) -> :class:`sim.crowd.gate_result.GateResult`."""
    from sim.crowd.network_config import GATE_RATE_PERSONS_MIN
    from sim.crowd.gate_result import GateResult
    from sim.progress import progress_bar

    t0 = time.perf_counter()
    g = params.gate
    area, lanes = build_area(city, g)
    rate_h, info = gate_inflow(city, params, area.spot)
    check = g.check_time_s
    if check is None:
        check = 60.0 / GATE_RATE_PERSONS_MIN if area.check_zones else 0.0
    dur = g.duration_min * 60.0
    arr = arrival_times(rate_h / 3600.0, dur, seed=params.seed, process=g.arrival_process)
    t_total = dur + (g.max_extra_min * 60.0 if g.until_empty else 0.0)
    with progress_bar(progress, "gate area") as cb:
        res = simulate_gate(area, arr, duration_s=dur, check_time_s=check, check_cv=g.check_cv, dt_s=g.dt_s,
                            seed=params.seed, nav_cell_m=g.nav_cell_m, field_cell_m=g.field_cell_m,
                            frame_s=g.frame_s, threshold_per_m2=g.density_warning_per_m2,
                            until_empty=g.until_empty, max_extra_s=g.max_extra_min * 60.0,
                            queue_gap_m=g.queue_gap_m, back_share=g.path_back_share,
                            tick=(lambda t: cb(t / t_total)) if cb else None)
    info.update(persons_per_hour=round(rate_h, 1), lanes=lanes, check_time_s=check)
    if area.check_zones and check > 0:
        # the scenic network serves each gate at this rate; a lane here also needs each person's
        # step-up into the check position, so it passes fewer (gates.*.mean_flow_per_s x 60)
        info["network_gate_rate_persons_min"] = GATE_RATE_PERSONS_MIN
    if "provisional" in info:  # the inflow came from a forecast: mark what depends on its calendar
        mark_provisional(res, bool(info["provisional"]))
    geo_note = {k: area.meta[k] for k in ("obstacles_cut_m2", "buildings_cut", "entrance_shift_m") if k in area.meta}
    if geo_note:
        info["gate_area_template"] = geo_note
    if area.meta.get("path"):
        info["path"] = {"length_m": area.meta["path_length_m"], "width_m": area.meta["path_width_m"],
                        "back_share": g.path_back_share}
    return GateResult(city=city, params=params, run=res, info=info, start=start,
                      run_time_s=time.perf_counter() - t0)
