"""Numba step functions of the corridor micro-simulator (arrays in, arrays updated in place).

Model. Krauss car following in SUMO's discrete form (Krauss 1998, "Microscopic modeling of
traffic flow: investigation of collision free vehicle dynamics", DLR report 98-08, ch. 4;
discretised as in SUMO's documentation, Krajzewicz et al. 2012 and Lopez et al. 2018, IEEE ITSC
"Microscopic traffic simulation using SUMO"), first-order ("semi-implicit Euler") update:

    x(t+dt) = x(t) + v(t+dt) dt

The safe speed is the largest speed ``x`` such that braking by ``B = b dt`` every step after a
reaction time ``tau`` still stops within the available distance ``g`` (see
:func:`max_safe_stop_speed`); behind a leader of speed ``vl`` the distance is the gap plus the
leader's own braking distance (:func:`brake_gap`). Then, per step,

    v_pos  = min(v_safe(leader), v_stop(red line), v_turn(exit), v_safe(lane block))
    v_max  = min(v_des, v + a dt, v_pos)
    v_min  = min(max(0, v - b dt), max(v_pos, v - b_emergency dt))
    v(t+dt) = max(v_min, dawdle(v_max))
    dawdle(s) = s - sigma dt U min(s, a),  U ~ uniform[0, 1)

(the ``min(s, a)`` is SUMO's rule that a slow vehicle dawdles in proportion to its speed).

Geometry. Both directions run on their own coordinate from 0 at their entry to ``L`` at their
exit; junction ``m`` (in travel order) is a point at ``js[d, m]``. Each direction is cut at the
junctions into links ``k = 0..n`` (link k ends at junction k, link n at the corridor end); each
link lane is a FIFO ring buffer of vehicle indices (front first), so a vehicle's leader is the
previous entry, or for the front vehicle the back vehicle of the same lane on the next link.
Turn bays: ``bay[d, k, s]`` metres before junction k a left-turn (s=0) or right-turn (s=1) bay
starts, its own FIFO (``bfifo``); a vehicle turning at junction k changes strategically into its
turn lane (leftmost / rightmost through lane, :func:`_change_for_turns`), enters the bay when its
front reaches the bay start and there is room behind the bay's last vehicle (else it waits in
the through lane: spill-back), and leaves at the stop line under its movement's signal. Without a
bay it turns from its turn lane at the stop line. Discretionary changes for speed follow LC2013's
speed-gain memory (:func:`_change_for_speed`); the other lane change is the mandatory one away
from a blocked lane (``block``). Side-street
approaches (two per junction, "north" s=0 and "south" s=1) are single FIFO lanes per side lane
of length ``side_len``; they discharge on the side window into the corridor (joiners) or leave
(crossers).

Signals. ``windows[i, m] = (cycle, green start on the corridor clock mod cycle, green, yellow)``
per intersection ``i`` (corridor order) and movement ``m`` in (out, in, left_out, left_in, side).
At red a vehicle stops at the line; at yellow it stops only if its braking distance at the
comfortable deceleration ``b`` fits before the line (otherwise it goes).

Controllers. :mod:`sim.greenwave.ctl_kernels` drives the same step from per-signal state
machines instead of windows. The emergency vehicle (``par[P_EV_VID]``) never dawdles.

Random numbers are a counter-based hash of (seed, vehicle id, step), so a run split into chunks
draws exactly the numbers of an unsplit run.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# ---- parameter vector ``par`` (float64)
P_DT, P_ACCEL, P_DECEL, P_EMERG, P_SIGMA, P_TAU, P_LEN, P_MINGAP, P_V_MAIN, P_V_SIDE, P_SIDE_LEN, \
    P_WARMUP, P_L, P_LC_DIST, P_EV_VID, P_LC_LOOK_S, P_LC_LEFT, P_LC_SPEEDGAIN = range(18)
N_PAR = 18  # P_EV_VID: vehicle id of the emergency vehicle (never dawdles), -1 when none;
# P_LC_LOOK_S, P_LC_LEFT: strategic lane-change look-ahead, s per lane, and its factor for changes to the left;
# P_LC_SPEEDGAIN: eagerness of the speed-gain lane changes (SUMO lcSpeedGain; 0 = none)

# ---- per-vehicle float64 columns ``vf``
F_X, F_T_IN, F_X_IN, F_WAIT, F_LA, F_SG = range(6)
N_VF = 6  # F_LA: look-ahead speed of the strategic lane changes (SUMO LC2013's myLookAheadSpeed);
# F_SG: speed-gain memory (LC2013's mySpeedGainProbability: > 0 toward the left, < 0 toward the right)
RELGAIN_MIN_SPEED = 10.0  # m/s, LC2013 RELGAIN_NORMALIZATION_MIN_SPEED
LA_MEMORY = 0.9  # LC2013 LOOK_AHEAD_SPEED_MEMORY: per second, the look-ahead speed decays toward the speed
# ---- per-vehicle float32 columns ``vs``
S_V, S_SF = range(2)
N_VS = 2
# ---- per-vehicle int32 columns ``vi``
I_LOC, I_DIR, I_EXIT, I_LEFT, I_ORIG, I_HALT, I_NSTOP, I_VID, I_LANE, I_LINK = range(10)
N_VI = 10
LOC_FREE, LOC_MAIN, LOC_SIDE = 0, 1, 2

# ---- trip records: ``rec_f`` (float64) and ``rec_i`` (int32) columns
R_T_IN, R_T_OUT, R_FF, R_WAIT = range(4)
N_RF = 4
R_KIND, R_DIR, R_ORIG, R_EXIT, R_STOPS, R_VID = range(6)
N_RI = 6
REC_END, REC_TURN, REC_SIDE = 0, 1, 2  # reached the corridor end / turned off / crossed a side stop line

# ---- counters ``cnt`` (int64)
C_FREE_TOP, C_HWM, C_REC_N, C_IN, C_OUT, C_UPDATES, C_TRAJ_N, C_OVERFLOW, C_STEP = range(9)
N_CNT = 9

GREEN, YELLOW, RED = 0, 1, 2
HALT_SPEED = 0.1  # m/s; SUMO's halting threshold (a stop = speed falls to <= 0.1 m/s)
POS_EPS = 0.1  # m; vehicles stop this far before a stop line (SUMO's POSITION_EPS)
NUM_EPS = 0.001  # m; numerical margin of the safe-stop distance (SUMO's NUMERICAL_EPS)
ORIG_SIDE0 = 2  # origin code of side approach (i, s) is ORIG_SIDE0 + 2 i + s


# ----------------------------------------------------------------------------- model functions
@njit(cache=True)
def brake_gap(v, decel, dt, headway):
    """Distance covered while braking from ``v`` by ``decel dt`` per step (Euler), plus ``v headway``.

    Sum of the speeds after each braking step times dt: steps = floor(v / (decel dt)).
    """
    red = decel * dt
    steps = np.floor(v / red)
    return dt * (steps * v - red * steps * (steps + 1.0) * 0.5) + v * headway


@njit(cache=True)
def max_safe_stop_speed(gap, decel, dt, headway):
    """Largest next-step speed ``x`` from which the vehicle, reacting after ``headway`` and then
    braking by ``B = decel dt`` per step, covers no more than ``gap``.

    With ``x = n B + r`` (0 <= r < B) the distance is ``x headway + dt (B n (n-1)/2 + n r)``, i.e.
    ``h(n) + r (n dt + headway)`` with ``h(n) = B dt n (n-1)/2 + n B headway``: n is the largest
    integer with ``h(n) <= gap`` (root of the quadratic) and r takes up the rest.
    """
    g = gap - NUM_EPS
    if g < 0.0:
        return 0.0
    b = decel * dt
    s = dt
    t = headway
    n = np.floor((s * 0.5 - t + np.sqrt((t - 0.5 * s) ** 2 + 2.0 * s * g / b)) / s)
    if n < 0.0:
        n = 0.0
    h = 0.5 * n * (n - 1.0) * b * s + n * b * t
    r = (g - h) / (n * s + t)
    return n * b + r


@njit(cache=True)
def follow_speed(gap, v_lead, decel, dt, tau):
    """Krauss safe speed behind a leader: stop within gap + the leader's braking distance."""
    return max_safe_stop_speed(gap + brake_gap(v_lead, decel, dt, 0.0), decel, dt, tau)


@njit(cache=True)
def free_speed(dist, v_target, decel, dt):
    """Largest next-step speed from which braking by ``decel dt`` per step reaches ``v_target``
    within ``dist`` (used to slow to the turn speed before an exit).

    Braking for y steps from ``v_target + y B`` covers ``(y+1) v_target dt + B dt y (y+1)/2``;
    y is the real root, floored, and the remaining distance raises the speed evenly.
    """
    v = v_target * dt
    if dist < v:
        return v_target
    b = decel * dt * dt
    y = ((np.sqrt((b + 2.0 * v) ** 2 + 8.0 * b * dist) - b) * 0.5 - v) / b
    if y < 0.0:
        y = 0.0
    yf = np.floor(y)
    exact = (yf * yf + yf) * 0.5 * b + yf * v + (v if y > yf else 0.0)
    rest = dist - exact
    if rest < 0.0:
        rest = 0.0
    return rest / (yf + 1.0) / dt + yf * decel * dt + v_target


@njit(cache=True)
def next_speed(v, v_pos, v_des, u, par):
    """Krauss speed update with SUMO's bounds and dawdling (see the module docstring)."""
    dt = par[P_DT]
    acc = par[P_ACCEL]
    v_max = min(v_des, v + acc * dt, v_pos)
    v_min = min(max(0.0, v - par[P_DECEL] * dt), max(v_pos, max(0.0, v - par[P_EMERG] * dt)))
    dawdled = v_max - par[P_SIGMA] * dt * u * min(v_max, acc)
    if dawdled < 0.0:
        dawdled = 0.0
    return max(v_min, dawdled)


@njit(cache=True)
def uniform01(seed, vid, step):
    """Counter-based uniform [0, 1): SplitMix64 finaliser (Steele, Lea & Flood 2014) of the key."""
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(vid) * np.uint64(0xD1B54A32D192ED03) \
        + np.uint64(step) * np.uint64(0x8CB92BA72F3D8DD7) + np.uint64(0x632BE59BD9B4E019)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def signal_states(windows, t, sig):
    """GREEN/YELLOW/RED per (intersection, movement) at time ``t`` from the plan windows."""
    for i in range(windows.shape[0]):
        for m in range(windows.shape[1]):
            cyc = windows[i, m, 0]
            g = windows[i, m, 2]
            y = windows[i, m, 3]
            if cyc <= 0.0 or (g <= 0.0 and y <= 0.0):
                sig[i, m] = RED
                continue
            tau = (t - windows[i, m, 1]) % cyc
            if tau < g:
                sig[i, m] = GREEN
            elif tau < g + y:
                sig[i, m] = YELLOW
            else:
                sig[i, m] = RED


@njit(cache=True)
def line_speed(v, dist, state, par):
    """Speed bound from a stop line ``dist`` ahead in signal ``state`` (inf when it may go)."""
    if state == GREEN:
        return np.inf
    if state == YELLOW and brake_gap(v, par[P_DECEL], par[P_DT], 0.0) > dist - POS_EPS:
        return np.inf  # cannot stop comfortably: go
    return max_safe_stop_speed(dist - POS_EPS, par[P_DECEL], par[P_DT], par[P_DT])


# ----------------------------------------------------------------------------- ring buffers
@njit(cache=True)
def _at(buf, hc, q):
    """Vehicle at FIFO position ``q`` (0 = front) of a ring buffer ``buf`` with (head, count) ``hc``."""
    return buf[_slot(hc[0], q, buf.shape[0])]


@njit(cache=True, inline="always")
def _behind_leader(buf, hc, q, a, v_pos, vf, vs, vlen, mgap, decel, dt, tau):
    """``v_pos`` capped by the safe following speed behind the vehicle ahead in the same FIFO
    (none for the front vehicle, q = 0)."""
    if q > 0:
        b = _at(buf, hc, q - 1)
        return min(v_pos, follow_speed(vf[b, F_X] - vlen - vf[a, F_X] - mgap, vs[b, S_V], decel, dt, tau))
    return v_pos


@njit(cache=True, inline="always")
def _slot(head, p, cap):
    """Ring-buffer index of FIFO position ``p`` (0 <= head < cap, 0 <= p < cap: one wrap at most;
    cheaper than Python's signed modulo)."""
    i = head + p
    return i - cap if i >= cap else i


@njit(cache=True)
def _push(buf, hc, a, cnt):
    """Append ``a`` at the back (False and an overflow count when full)."""
    if hc[1] >= buf.shape[0]:
        cnt[C_OVERFLOW] += 1
        return False
    buf[_slot(hc[0], hc[1], buf.shape[0])] = a
    hc[1] += 1
    return True


@njit(cache=True)
def _pop(buf, hc):
    """Drop the front entry."""
    hc[0] = _slot(hc[0], 1, buf.shape[0])
    hc[1] -= 1


@njit(cache=True)
def _remove_at(buf, hc, q):
    """Remove FIFO position ``q``, shifting the ones behind it forward."""
    cap = buf.shape[0]
    for p in range(q, hc[1] - 1):
        buf[_slot(hc[0], p, cap)] = buf[_slot(hc[0], p + 1, cap)]
    hc[1] -= 1


@njit(cache=True)
def _insert_at(buf, hc, q, a):
    """Insert vehicle ``a`` at FIFO position ``q``, shifting the ones from q backward."""
    cap = buf.shape[0]
    for p in range(hc[1], q, -1):
        buf[_slot(hc[0], p, cap)] = buf[_slot(hc[0], p - 1, cap)]
    buf[_slot(hc[0], q, cap)] = a
    hc[1] += 1


# ----------------------------------------------------------------------------- vehicles
@njit(cache=True)
def _alloc(free, cnt):
    """A free vehicle slot (-1 and an overflow count when none is left)."""
    top = cnt[C_FREE_TOP]
    if top <= 0:
        cnt[C_OVERFLOW] += 1
        return -1
    a = free[top - 1]
    cnt[C_FREE_TOP] = top - 1
    if a + 1 > cnt[C_HWM]:
        cnt[C_HWM] = a + 1
    return a


@njit(cache=True)
def _release(a, free, cnt, vi):
    """Return vehicle ``a`` to the free pool (it left the network)."""
    vi[a, I_LOC] = LOC_FREE
    free[cnt[C_FREE_TOP]] = a
    cnt[C_FREE_TOP] += 1
    cnt[C_OUT] += 1


@njit(cache=True)
def _pop_past(buf, hc, vf, x_line):
    """Pop and return the head of a FIFO lane if it has reached ``x_line`` (m), else -1."""
    if hc[1] == 0:
        return -1
    a = _at(buf, hc, 0)
    if vf[a, F_X] < x_line:
        return -1
    _pop(buf, hc)
    return a


@njit(cache=True)
def _record(kind, a, t, x_end, v_ref, vf, vs, vi, rec_f, rec_i, cnt):
    """Append a trip record of vehicle ``a`` ending at time ``t`` at position ``x_end`` (m); its
    free-flow time is the distance from its entry at the vehicle's own desired speed (``v_ref``
    times its speed factor)."""
    ff = (x_end - vf[a, F_X_IN]) / (v_ref * np.float64(vs[a, S_SF]))
    r = cnt[C_REC_N]
    if r >= rec_f.shape[0]:
        cnt[C_OVERFLOW] += 1
        return
    rec_f[r, R_T_IN] = vf[a, F_T_IN]
    rec_f[r, R_T_OUT] = t
    rec_f[r, R_FF] = ff
    rec_f[r, R_WAIT] = vf[a, F_WAIT]
    rec_i[r, R_KIND] = kind
    rec_i[r, R_DIR] = vi[a, I_DIR]
    rec_i[r, R_ORIG] = vi[a, I_ORIG]
    rec_i[r, R_EXIT] = vi[a, I_EXIT]
    rec_i[r, R_STOPS] = vi[a, I_NSTOP]
    rec_i[r, R_VID] = vi[a, I_VID]
    cnt[C_REC_N] = r + 1


@njit(cache=True)
def _turns_right(d, s):
    """Whether joining direction ``d`` from side ``s`` is a right turn (out runs with north, s=0,
    on its left; in runs the other way)."""
    return (d == 0 and s == 1) or (d == 1 and s == 0)


@njit(cache=True)
def _side_target(d, s, nl):
    """Corridor lane a joiner enters: right turn -> lane 0 (rightmost), left turn -> leftmost."""
    return 0 if _turns_right(d, s) else nl[d] - 1


@njit(cache=True)
def _side_lane(d, s, n_side):
    """Side-street lane a joiner uses: the rightmost for a right turn, the leftmost for a left
    turn (lane designation; crossers use any lane)."""
    return 0 if _turns_right(d, s) else n_side - 1


@njit(cache=True)
def _m_of(d, i, n):
    """Travel-order index of intersection ``i`` in direction ``d``."""
    return i if d == 0 else n - 1 - i


@njit(cache=True)
def _turn_lane(left, nl_d):
    """Through lane from which a vehicle turning at its exit reaches its bay (or, without a bay, its
    turn at the stop line): the leftmost lane for a left turn, the rightmost (0) for a right turn."""
    return nl_d - 1 if left == 1 else 0


@njit(cache=True)
def _bay_side(left):
    """Bay index of a turn: 0 the left-turn bay, 1 the right-turn bay."""
    return 0 if left == 1 else 1


# ----------------------------------------------------------------------------- one chunk of steps
@njit(cache=True)
def run_steps(step0, n_steps, par, seed, windows, js, jmap, nl, side_nl, prot_left, bay,
              vf, vs, vi, vnew, free, fifo, fhc, sfifo, shc, pocket, bfifo, bhc, block,
              dem_f, dem_i, dem_off, dem_ptr, rec_f, rec_i, qmax, qmax_side, cnt, traj, traj_every):
    """Advance the corridor ``n_steps`` steps of ``par[P_DT]`` from step index ``step0`` under the
    fixed-time signal ``windows``.

    Order within a step at time t (as in SUMO): signal states at t; all speeds from the state at
    t; all moves; junction transfers, bay entries, exits and arrivals (recorded at t); strategic
    lane changes toward the turn lanes; lane changes off blocked lanes; left-turn demand
    (``pocket``); insertions of vehicles due by t; queue metrics; trajectory sample. Returns
    nothing; every array is updated in place.
    """
    n = js.shape[1]
    dt = par[P_DT]
    sig = np.empty((windows.shape[0], windows.shape[1]), np.int8)
    qcount = np.zeros((2, n), np.int64)
    qside = np.zeros((n, 2), np.int64)
    coop = np.empty((2, n, fifo.shape[2], 2))
    for st in range(n_steps):
        step = step0 + st
        t = step * dt
        signal_states(windows, t, sig)
        _advance(step, t, sig, par, seed, js, jmap, nl, side_nl, prot_left, bay, vf, vs, vi, vnew, free,
                 fifo, fhc, sfifo, shc, pocket, bfifo, bhc, block, dem_f, dem_i, dem_off, dem_ptr, rec_f, rec_i,
                 qmax, qmax_side, cnt, traj, traj_every, qcount, qside, coop)


@njit(cache=True)
def _advance(step, t, sig, par, seed, js, jmap, nl, side_nl, prot_left, bay, vf, vs, vi, vnew, free,
             fifo, fhc, sfifo, shc, pocket, bfifo, bhc, block, dem_f, dem_i, dem_off, dem_ptr, rec_f, rec_i,
             qmax, qmax_side, cnt, traj, traj_every, qcount, qside, coop):
    """One step at time ``t`` under the signal states ``sig`` (see :func:`run_steps` for the order).

    ``coop[d, k, j]`` (scratch): position and speed of the foremost turning vehicle next to lane j
    that needs lane j now and finds no gap (:func:`_urgent_turners`); the first vehicle of lane j
    behind it that can follow it with the comfortable deceleration does so, opening the gap it needs
    (SUMO LC2013's cooperative ``informFollower`` for urgent strategic changes, Erdmann 2015)."""
    n = js.shape[1]
    dt = par[P_DT]
    L = par[P_L]
    vlen = par[P_LEN]
    mgap = par[P_MINGAP]
    decel = par[P_DECEL]
    tau = par[P_TAU]
    v_main = par[P_V_MAIN]
    v_side = par[P_V_SIDE]
    side_len = par[P_SIDE_LEN]
    ev_vid = np.int64(par[P_EV_VID])
    n_upd = 0
    _urgent_turners(par, js, nl, bay, vf, vs, vi, fifo, fhc, block, coop)
    # ---------------------------------------------------------- plan: corridor vehicles in the through lanes
    for d in range(2):
        for k in range(n + 1):
            x_line = js[d, k] if k < n else L
            i_int = jmap[d, k] if k < n else -1
            for j in range(nl[d]):
                buf = fifo[d, k, j]
                hc = fhc[d, k, j]
                wx = coop[d, k, j, 0] if k < n else -np.inf
                wv = coop[d, k, j, 1] if k < n else 0.0
                for q in range(hc[1]):
                    a = _at(buf, hc, q)
                    x = vf[a, F_X]
                    v = np.float64(vs[a, S_V])
                    sf = np.float64(vs[a, S_SF])
                    v_des = v_main * sf
                    v_pos = v_des
                    exiting = k < n and vi[a, I_EXIT] == k
                    if q > 0:
                        b = _at(buf, hc, q - 1)
                        v_pos = min(v_pos, follow_speed(vf[b, F_X] - vlen - x - mgap, vs[b, S_V], decel, dt, tau))
                    elif k < n and not exiting:
                        hc2 = fhc[d, k + 1, j]
                        if hc2[1] > 0:
                            b = _at(fifo[d, k + 1, j], hc2, hc2[1] - 1)
                            v_pos = min(v_pos, follow_speed(vf[b, F_X] - vlen - x - mgap, vs[b, S_V], decel, dt, tau))
                    xb = block[d, j]
                    if xb > x:
                        v_pos = min(v_pos, follow_speed(xb - x - mgap, 0.0, decel, dt, tau))
                    if x < wx:  # a turning vehicle ahead in the next lane needs this one: let it in
                        g = wx - vlen - mgap - x
                        vy = follow_speed(g, wv, decel, dt, tau)
                        if g >= 0.0 and vy >= v - decel * dt:
                            v_pos = min(v_pos, vy)
                            wx = -np.inf
                    if k < n:
                        dist = x_line - x
                        st = sig[i_int, d]
                        if exiting:
                            left = vi[a, I_LEFT]
                            sd = _bay_side(left)
                            bl = bay[d, k, sd]
                            v_pos = min(v_pos, free_speed(dist, v_side * sf, decel, dt))
                            if left == 1 and prot_left[i_int, d]:
                                st = sig[i_int, 2 + d]
                            if j != _turn_lane(left, nl[d]):
                                # no turn from this lane: it ends for this vehicle where the bay starts
                                v_pos = min(v_pos, max_safe_stop_speed(dist - bl - POS_EPS, decel, dt, dt))
                            elif bl > 0.0:
                                # into the bay at its start: the bay's last vehicle leads (a full bay
                                # holds the turning vehicle, and whoever follows it, in this lane)
                                hb = bhc[d, k, sd]
                                if hb[1] > 0:
                                    b = _at(bfifo[d, k, sd], hb, hb[1] - 1)
                                    v_pos = min(v_pos, follow_speed(vf[b, F_X] - vlen - x - mgap, vs[b, S_V],
                                                                    decel, dt, tau))
                        v_pos = min(v_pos, line_speed(v, dist, st, par))
                    u = uniform01(seed, vi[a, I_VID], step) if vi[a, I_VID] != ev_vid else 0.0
                    vnew[a] = next_speed(v, v_pos, v_des, u, par)
                    n_upd += 1
    # ---------------------------------------------------------- plan: turning vehicles in the bays
    for d in range(2):
        for k in range(n):
            i_int = jmap[d, k]
            x_line = js[d, k]
            for sd in range(2):
                buf = bfifo[d, k, sd]
                hc = bhc[d, k, sd]
                st = sig[i_int, 2 + d] if (sd == 0 and prot_left[i_int, d]) else sig[i_int, d]
                for q in range(hc[1]):
                    a = _at(buf, hc, q)
                    x = vf[a, F_X]
                    v = np.float64(vs[a, S_V])
                    sf = np.float64(vs[a, S_SF])
                    v_des = v_main * sf
                    v_pos = _behind_leader(buf, hc, q, a, v_des, vf, vs, vlen, mgap, decel, dt, tau)
                    dist = x_line - x
                    v_pos = min(v_pos, free_speed(dist, v_side * sf, decel, dt))
                    v_pos = min(v_pos, line_speed(v, dist, st, par))
                    u = uniform01(seed, vi[a, I_VID], step)
                    vnew[a] = next_speed(v, v_pos, v_des, u, par)
                    n_upd += 1
    # ---------------------------------------------------------- plan: side approaches
    for i in range(n):
        for s in range(2):
            for j in range(side_nl[i]):
                buf = sfifo[i, s, j]
                hc = shc[i, s, j]
                for q in range(hc[1]):
                    a = _at(buf, hc, q)
                    x = vf[a, F_X]
                    v = np.float64(vs[a, S_V])
                    sf = np.float64(vs[a, S_SF])
                    v_des = v_side * sf
                    v_pos = _behind_leader(buf, hc, q, a, v_des, vf, vs, vlen, mgap, decel, dt, tau)
                    if q == 0 and vi[a, I_DIR] >= 0:  # joiner: leader is the back of its corridor lane
                        d = vi[a, I_DIR]
                        m = _m_of(d, i, n)
                        lane = _side_target(d, s, nl)
                        hc2 = fhc[d, m + 1, lane]
                        if hc2[1] > 0:
                            b = _at(fifo[d, m + 1, lane], hc2, hc2[1] - 1)
                            gap = (vf[b, F_X] - js[d, m]) + (side_len - x) - vlen - mgap
                            v_pos = min(v_pos, follow_speed(gap, vs[b, S_V], decel, dt, tau))
                    v_pos = min(v_pos, line_speed(v, side_len - x, sig[i, 4], par))
                    u = uniform01(seed, vi[a, I_VID], step)
                    vnew[a] = next_speed(v, v_pos, v_des, u, par)
                    n_upd += 1
    cnt[C_UPDATES] += n_upd
    # ---------------------------------------------------------- move, halting, stops
    for a in range(cnt[C_HWM]):
        if vi[a, I_LOC] == LOC_FREE:
            continue
        vn = vnew[a]
        vs[a, S_V] = vn
        vf[a, F_X] += vn * dt
        if vn > vf[a, F_LA]:
            vf[a, F_LA] = vn
        else:
            mem = 1.0 - (1.0 - LA_MEMORY) * dt
            vf[a, F_LA] = mem * vf[a, F_LA] + (1.0 - mem) * vn
        if vn <= HALT_SPEED:
            vf[a, F_WAIT] += dt
            if vi[a, I_HALT] == 0:
                vi[a, I_HALT] = 1
                vi[a, I_NSTOP] += 1
        else:
            vi[a, I_HALT] = 0
    # ---------------------------------------------------------- transfers at junctions
    for d in range(2):
        for k in range(n + 1):
            x_line = js[d, k] if k < n else L
            for j in range(nl[d]):
                while True:
                    a = _pop_past(fifo[d, k, j], fhc[d, k, j], vf, x_line)
                    if a < 0:
                        break
                    if k == n or vi[a, I_EXIT] == k:  # the corridor's end, or a turn from the lane (no bay)
                        _record(REC_END if k == n else REC_TURN, a, t, x_line, v_main, vf, vs, vi, rec_f, rec_i, cnt)
                        _release(a, free, cnt, vi)
                    else:
                        vi[a, I_LINK] = k + 1
                        _push(fifo[d, k + 1, j], fhc[d, k + 1, j], a, cnt)
    # ---------------------------------------------------------- bays: entries at the bay start, turns at the line
    for d in range(2):
        for k in range(n):
            x_line = js[d, k]
            for sd in range(2):
                bl = bay[d, k, sd]
                if bl <= 0.0:
                    continue
                x_b = x_line - bl
                j = nl[d] - 1 if sd == 0 else 0
                buf = fifo[d, k, j]
                hc = fhc[d, k, j]
                q = 0
                while q < hc[1]:
                    a = _at(buf, hc, q)
                    if vf[a, F_X] < x_b:
                        break  # FIFO: the ones behind are further upstream
                    room = True  # a full length + minGap behind the bay's last vehicle
                    hb = bhc[d, k, sd]
                    if hb[1] > 0:
                        room = vf[_at(bfifo[d, k, sd], hb, hb[1] - 1), F_X] - vlen - mgap >= vf[a, F_X]
                    if vi[a, I_EXIT] == k and _bay_side(vi[a, I_LEFT]) == sd and room:
                        _remove_at(buf, hc, q)
                        _push(bfifo[d, k, sd], bhc[d, k, sd], a, cnt)
                        vi[a, I_LANE] = nl[d] if sd == 0 else -1
                    else:
                        q += 1
            for sd in range(2):
                while True:
                    a = _pop_past(bfifo[d, k, sd], bhc[d, k, sd], vf, x_line)
                    if a < 0:
                        break
                    _record(REC_TURN, a, t, x_line, v_main, vf, vs, vi, rec_f, rec_i, cnt)
                    _release(a, free, cnt, vi)
    for i in range(n):
        for s in range(2):
            for j in range(side_nl[i]):
                while True:
                    a = _pop_past(sfifo[i, s, j], shc[i, s, j], vf, side_len)
                    if a < 0:
                        break
                    _record(REC_SIDE, a, t, side_len, v_side, vf, vs, vi, rec_f, rec_i, cnt)
                    d = vi[a, I_DIR]
                    if d < 0:
                        _release(a, free, cnt, vi)
                        continue
                    m = _m_of(d, i, n)
                    lane = _side_target(d, s, nl)
                    x_new = js[d, m] + (vf[a, F_X] - side_len)
                    hc2 = fhc[d, m + 1, lane]
                    if hc2[1] > 0:  # never overtake the lane's back vehicle on entry
                        b = _at(fifo[d, m + 1, lane], hc2, hc2[1] - 1)
                        x_new = min(x_new, vf[b, F_X] - vlen)
                    vf[a, F_X] = x_new
                    vf[a, F_X_IN] = js[d, m]
                    vf[a, F_T_IN] = t
                    vf[a, F_WAIT] = 0.0
                    vf[a, F_LA] = np.float64(vs[a, S_V])
                    vf[a, F_SG] = 0.0
                    vi[a, I_NSTOP] = 0
                    vi[a, I_LOC] = LOC_MAIN
                    vi[a, I_LANE] = lane
                    vi[a, I_LINK] = m + 1
                    _push(fifo[d, m + 1, lane], hc2, a, cnt)
    # ---------------------------------------------------------- strategic lane changes toward the turn lanes
    _change_for_turns(par, js, nl, bay, vf, vs, vi, fifo, fhc, block)
    # ---------------------------------------------------------- lane changes for speed (discretionary)
    if par[P_LC_SPEEDGAIN] > 0.0:
        _change_for_speed(par, js, nl, bay, vf, vs, vi, fifo, fhc, block)
    # ---------------------------------------------------------- mandatory lane changes off a block
    for d in range(2):
        for j in range(nl[d]):
            if not block[d, j] < np.inf:
                continue
            _change_off_block(d, j, par, js, nl, vf, vs, vi, fifo, fhc, block)
    # ---------------------------------------------------------- left-turn demand per approach (controllers)
    for d in range(2):
        j = nl[d] - 1
        for k in range(n):
            c = bhc[d, k, 0][1]
            buf = fifo[d, k, j]
            hc = fhc[d, k, j]
            for q in range(hc[1]):
                a = _at(buf, hc, q)
                if vi[a, I_EXIT] == k and vi[a, I_LEFT] == 1 and vs[a, S_V] < HALT_SPEED:
                    c += 1
            pocket[d, k] = np.float64(c)
    # ---------------------------------------------------------- insertions
    _insert_due(t, par, js, jmap, nl, side_nl, sig, vf, vs, vi, free, fifo, fhc, sfifo, shc,
                block, dem_f, dem_i, dem_off, dem_ptr, cnt)
    # ---------------------------------------------------------- queues (halting vehicles per approach)
    if t >= par[P_WARMUP]:
        qcount[:, :] = 0
        qside[:, :] = 0
        for d in range(2):
            for k in range(n):
                for j in range(nl[d]):
                    buf = fifo[d, k, j]
                    hc = fhc[d, k, j]
                    for q in range(hc[1]):
                        if vs[_at(buf, hc, q), S_V] < HALT_SPEED:
                            qcount[d, k] += 1
                for sd in range(2):
                    buf = bfifo[d, k, sd]
                    hc = bhc[d, k, sd]
                    for q in range(hc[1]):
                        if vs[_at(buf, hc, q), S_V] < HALT_SPEED:
                            qcount[d, k] += 1
                i = jmap[d, k]
                if qcount[d, k] > qmax[d, i]:
                    qmax[d, i] = qcount[d, k]
        for i in range(n):
            for s in range(2):
                for j in range(side_nl[i]):
                    buf = sfifo[i, s, j]
                    hc = shc[i, s, j]
                    for q in range(hc[1]):
                        if vs[_at(buf, hc, q), S_V] < HALT_SPEED:
                            qside[i, s] += 1
                if qside[i, s] > qmax_side[i, s]:
                    qmax_side[i, s] = qside[i, s]
    # ---------------------------------------------------------- trajectory sample
    if traj_every > 0 and step % traj_every == 0:
        for a in range(cnt[C_HWM]):
            if vi[a, I_LOC] != LOC_MAIN:
                continue
            r = cnt[C_TRAJ_N]
            if r >= traj.shape[0]:
                break
            d = vi[a, I_DIR]
            traj[r, 0] = t
            traj[r, 1] = vf[a, F_X] if d == 0 else L - vf[a, F_X]
            traj[r, 2] = d
            traj[r, 3] = vi[a, I_VID]
            traj[r, 4] = vs[a, S_V]
            traj[r, 5] = vi[a, I_LANE]
            cnt[C_TRAJ_N] = r + 1
    cnt[C_STEP] = step + 1


@njit(cache=True)
def _gap_ok(x_lead, v_lead, x, v, par):
    """Gap acceptance: the follower needs no more than the comfortable deceleration."""
    dt = par[P_DT]
    gap = x_lead - par[P_LEN] - x - par[P_MINGAP]
    if gap < 0.0:
        return False
    return follow_speed(gap, v_lead, par[P_DECEL], dt, par[P_TAU]) >= v - par[P_DECEL] * dt


@njit(cache=True)
def _change_slot(d, k, j, q, j2, par, js, vf, vs, fifo, fhc):
    """Where the vehicle at FIFO position ``q`` of lane ``j`` (link ``k``, direction ``d``) would go
    in lane ``j2`` of the same link: its FIFO position there when both its new leader and its new
    follower (on the neighbouring links when the lane has none on this one) accept the gap, else -1."""
    p = _ahead_in(fifo[d, k, j2], fhc[d, k, j2], vf[_at(fifo[d, k, j], fhc[d, k, j], q), F_X], 0, vf)
    return _change_slot_at(d, k, j, q, j2, p, par, js, vf, vs, fifo, fhc)


@njit(cache=True)
def _change_slot_at(d, k, j, q, j2, p, par, js, vf, vs, fifo, fhc):
    """:func:`_change_slot` with ``p`` = the number of vehicles of lane ``j2`` ahead of the vehicle
    (its insertion position there)."""
    n = js.shape[1]
    a = _at(fifo[d, k, j], fhc[d, k, j], q)
    x = vf[a, F_X]
    v = np.float64(vs[a, S_V])
    buf2 = fifo[d, k, j2]
    hc2 = fhc[d, k, j2]
    if hc2[1] >= buf2.shape[0]:
        return -1
    ok = True
    if p > 0:
        b = _at(buf2, hc2, p - 1)
        ok = _gap_ok(vf[b, F_X], np.float64(vs[b, S_V]), x, v, par)
    elif k < n and fhc[d, k + 1, j2][1] > 0:
        hc3 = fhc[d, k + 1, j2]
        b = _at(fifo[d, k + 1, j2], hc3, hc3[1] - 1)
        ok = _gap_ok(vf[b, F_X], np.float64(vs[b, S_V]), x, v, par)
    if ok and p < hc2[1]:
        f = _at(buf2, hc2, p)
        ok = _gap_ok(x, v, vf[f, F_X], np.float64(vs[f, S_V]), par)
    elif ok and k > 0 and fhc[d, k - 1, j2][1] > 0:
        hc3 = fhc[d, k - 1, j2]
        f = _at(fifo[d, k - 1, j2], hc3, 0)
        ok = _gap_ok(x, v, vf[f, F_X], np.float64(vs[f, S_V]), par)
    return p if ok else -1


@njit(cache=True)
def _try_change(d, k, j, q, j2, par, js, vf, vs, vi, fifo, fhc):
    """Move the vehicle at FIFO position ``q`` of lane ``j`` to lane ``j2`` of the same link when
    :func:`_change_slot` finds the gaps acceptable; True when it moved."""
    return _move_to(d, k, j, q, j2, _change_slot(d, k, j, q, j2, par, js, vf, vs, fifo, fhc), vi, fifo, fhc)


@njit(cache=True)
def _move_to(d, k, j, q, j2, p, vi, fifo, fhc):
    """Move the vehicle at FIFO position ``q`` of lane ``j`` to position ``p`` of lane ``j2`` (no
    move when ``p`` < 0); True when it moved."""
    if p < 0:
        return False
    buf = fifo[d, k, j]
    hc = fhc[d, k, j]
    a = _at(buf, hc, q)
    _remove_at(buf, hc, q)
    _insert_at(fifo[d, k, j2], fhc[d, k, j2], p, a)
    vi[a, I_LANE] = j2
    return True


@njit(cache=True)
def _change_off_block(d, j, par, js, nl, vf, vs, vi, fifo, fhc, block):
    """Vehicles within ``P_LC_DIST`` upstream of the block on lane ``j`` move to a free
    neighbour lane when both the new leader and the new follower accept the gap."""
    xb = block[d, j]
    n = js.shape[1]
    for k in range(n + 1):
        buf = fifo[d, k, j]
        hc = fhc[d, k, j]
        q = 0
        while q < hc[1]:
            a = _at(buf, hc, q)
            x = vf[a, F_X]
            if not (x < xb and xb - x <= par[P_LC_DIST]):
                q += 1
                continue
            moved = False
            for dj in (-1, 1):
                j2 = j + dj
                if j2 < 0 or j2 >= nl[d] or block[d, j2] > x and block[d, j2] - x <= par[P_LC_DIST]:
                    continue
                if _try_change(d, k, j, q, j2, par, js, vf, vs, vi, fifo, fhc):
                    moved = True
                    break
            if not moved:
                q += 1


@njit(cache=True)
def _urgent_turners(par, js, nl, bay, vf, vs, vi, fifo, fhc, block, coop):
    """``coop[d, k, j, :]`` = (position, speed) of the foremost turning vehicle on link k next to lane
    j that needs to change into lane j now (within its look-ahead, :func:`_change_for_turns`) but
    finds no acceptable gap; position -inf when none. See :func:`_advance`."""
    n = js.shape[1]
    jam2 = 2.0 * (par[P_LEN] + par[P_MINGAP])
    coop[:, :, :, 0] = -np.inf
    for d in range(2):
        nld = nl[d]
        if nld < 2:
            continue
        for k in range(n):
            for j in range(nld):
                buf = fifo[d, k, j]
                hc = fhc[d, k, j]
                for q in range(hc[1]):
                    a = _at(buf, hc, q)
                    e = vi[a, I_EXIT]
                    if e >= n:
                        continue
                    left = vi[a, I_LEFT]
                    tl = _turn_lane(left, nld)
                    if tl == j:
                        continue
                    sd = _bay_side(left)
                    j2 = j + 1 if tl > j else j - 1
                    x = vf[a, F_X]
                    if x <= coop[d, k, j2, 0]:
                        continue  # one further ahead already asks this lane
                    la = vf[a, F_LA] * par[P_LC_LOOK_S] * (par[P_LC_LEFT] if sd == 0 else 1.0) + jam2
                    need = abs(tl - j)
                    if js[d, e] - bay[d, e, sd] - x > need * la or block[d, j2] < np.inf:
                        continue
                    if _change_slot(d, k, j, q, j2, par, js, vf, vs, fifo, fhc) < 0:
                        coop[d, k, j2, 0] = x
                        coop[d, k, j2, 1] = np.float64(vs[a, S_V])


@njit(cache=True)
def _swap_partner(d, k, j, j2, x, vf, vs, vi, fifo, fhc, nld, jam):
    """FIFO position in lane ``j2`` of a halted vehicle alongside ``x`` (within ``jam``) that needs
    to move toward lane ``j``, or -1."""
    n = fifo.shape[1] - 1
    buf2 = fifo[d, k, j2]
    hc2 = fhc[d, k, j2]
    for p in range(hc2[1]):
        b = _at(buf2, hc2, p)
        xb = vf[b, F_X]
        if xb < x - jam:
            break
        if xb > x + jam or vi[b, I_EXIT] >= n or vs[b, S_V] >= HALT_SPEED:
            continue
        tl_b = _turn_lane(vi[b, I_LEFT], nld)
        if (j < j2 and tl_b <= j) or (j > j2 and tl_b >= j):
            return p
    return -1


@njit(cache=True)
def _lane_vsafe(d, k, j, x, v_des, par, js, vf, vs, fifo, fhc):
    """Krauss safe speed at ``x`` behind the first vehicle ahead in lane ``j`` of link ``k`` (or
    the back one of the next link), at most ``v_des``: how fast that lane lets one drive."""
    buf = fifo[d, k, j]
    hc = fhc[d, k, j]
    xb, vb = _next_back(d, k, j, js, vf, vs, fifo, fhc)
    return _vsafe_in(buf, hc, _ahead_in(buf, hc, x, 0, vf), xb, vb, x, v_des, par, vf, vs)


@njit(cache=True)
def _next_back(d, k, j, js, vf, vs, fifo, fhc):
    """(position, speed) of the back vehicle of lane ``j`` on the link after ``k``; (inf, 0) when none."""
    if k < js.shape[1] and fhc[d, k + 1, j][1] > 0:
        hc = fhc[d, k + 1, j]
        b = _at(fifo[d, k + 1, j], hc, hc[1] - 1)
        return vf[b, F_X], np.float64(vs[b, S_V])
    return np.inf, 0.0


@njit(cache=True)
def _ahead_in(buf, hc, x, p, vf):
    """How many vehicles of the lane FIFO ``buf`` are ahead of ``x`` (counting on from ``p``, a
    number already known to be ahead)."""
    while p < hc[1] and vf[_at(buf, hc, p), F_X] > x:
        p += 1
    return p


@njit(cache=True)
def _vsafe_in(buf, hc, p, x_next, v_next, x, v_des, par, vf, vs):
    """Safe speed at ``x`` in the lane FIFO ``buf`` whose first ``p`` vehicles are ahead (behind
    the p-th, else behind the next link's back vehicle at ``x_next``), at most ``v_des``."""
    if p > 0:
        b = _at(buf, hc, p - 1)
        xl, vl = vf[b, F_X], np.float64(vs[b, S_V])
    elif x_next < np.inf:
        xl, vl = x_next, v_next
    else:
        return v_des
    return min(v_des, follow_speed(xl - par[P_LEN] - x - par[P_MINGAP], vl, par[P_DECEL], par[P_DT], par[P_TAU]))


@njit(cache=True)
def _change_for_speed(par, js, nl, bay, vf, vs, vi, fifo, fhc, block):
    """Discretionary lane changes for speed, SUMO LC2013's speed-gain rule (Erdmann 2015, LNCE 13:
    105-123; ``MSLCM_LC2013::_wantsChange``): each step a vehicle compares the safe speed its own
    lane lets it drive (:func:`_lane_vsafe`, at most its desired speed) with each neighbour's; the
    relative gain r = (v_neigh - v_own) / max(v_neigh, 10 m/s) accumulates, times dt, in a memory
    ``F_SG`` (> 0 toward the left, < 0 toward the right). A lane no faster than the own one halves
    the memory toward it every second (toward the right only when the own lane is faster by more
    than 5 km/h). The vehicle changes left once the memory exceeds 0.2 / lcSpeedGain and right
    once it is below -2 / lcSpeedGain (LC2013's thresholds with keepRight 1), when both gaps are
    accepted, and the memory restarts at 0. In a queue this sends arrivals to the lane whose queue
    ends further ahead. A vehicle turning at the end of this link stays (its strategic changes
    rule it); one turning further on does not move away from its turn lane within one lane more
    than the strategic look-ahead. Left changes are swept from the left, right ones from the right,
    so nobody changes twice in a step. Not modelled: LC2013's keep-right obligation at free flow."""
    n = js.shape[1]
    dt = par[P_DT]
    v_main = par[P_V_MAIN]
    jam2 = 2.0 * (par[P_LEN] + par[P_MINGAP])
    thr_left = 0.2 / par[P_LC_SPEEDGAIN]
    thr_right = 2.0 / par[P_LC_SPEEDGAIN]
    halve = 0.5 ** dt
    for d in range(2):
        nld = nl[d]
        if nld < 2:
            continue
        for k in range(n + 1):
            for pas in range(2):  # 0: memories updated, changes to the left; 1: changes to the right
                for jj in range(nld):
                    j = nld - 1 - jj if pas == 0 else jj
                    jl = j + 1 if j + 1 < nld else -1
                    jr = j - 1
                    buf = fifo[d, k, j]
                    hc = fhc[d, k, j]
                    bufl = fifo[d, k, max(jl, 0)]
                    hcl = fhc[d, k, max(jl, 0)]
                    bufr = fifo[d, k, max(jr, 0)]
                    hcr = fhc[d, k, max(jr, 0)]
                    xo, vo = _next_back(d, k, j, js, vf, vs, fifo, fhc)
                    xln, vln = _next_back(d, k, max(jl, 0), js, vf, vs, fifo, fhc)
                    xrn, vrn = _next_back(d, k, max(jr, 0), js, vf, vs, fifo, fhc)
                    pl = 0
                    pr = 0
                    q = 0
                    while q < hc[1]:
                        a = _at(buf, hc, q)
                        e = vi[a, I_EXIT]
                        x = vf[a, F_X]
                        g = vf[a, F_SG]
                        if e == k or (pas == 1 and not g < -thr_right):
                            q += 1
                            continue
                        ok_l = jl >= 0 and not (block[d, jl] > x and block[d, jl] - x <= par[P_LC_DIST])
                        ok_r = jr >= 0 and not (block[d, jr] > x and block[d, jr] - x <= par[P_LC_DIST])
                        if e < n:  # turns further on: not away from its turn lane near where it must be there
                            left = vi[a, I_LEFT]
                            sd = _bay_side(left)
                            tl = _turn_lane(left, nld)
                            la = vf[a, F_LA] * par[P_LC_LOOK_S] * (par[P_LC_LEFT] if sd == 0 else 1.0) + jam2
                            room = js[d, e] - bay[d, e, sd] - x
                            if ok_l and abs(tl - jl) > abs(tl - j) and room <= (abs(tl - jl) + 1) * la:
                                ok_l = False
                            if ok_r and abs(tl - jr) > abs(tl - j) and room <= (abs(tl - jr) + 1) * la:
                                ok_r = False
                        if pas == 1:
                            if ok_r:
                                pr = _ahead_in(bufr, hcr, x, pr, vf)
                                if _move_to(d, k, j, q, jr, _change_slot_at(d, k, j, q, jr, pr, par, js, vf, vs, fifo, fhc),
                                            vi, fifo, fhc):
                                    vf[a, F_SG] = 0.0
                                    pr += 1
                                    continue
                            q += 1
                            continue
                        v_des = v_main * np.float64(vs[a, S_SF])
                        v_own = _vsafe_in(buf, hc, q, xo, vo, x, v_des, par, vf, vs)
                        if g == 0.0 and v_own >= v_des:  # no lane can be faster and nothing to forget
                            q += 1
                            continue
                        if ok_r:
                            pr = _ahead_in(bufr, hcr, x, pr, vf)
                            v_r = _vsafe_in(bufr, hcr, pr, xrn, vrn, x, v_des, par, vf, vs)
                            if v_own - 5.0 / 3.6 > v_r:
                                if g < 0.0:
                                    g *= halve
                            else:
                                r = (v_r - v_own) / max(v_r, RELGAIN_MIN_SPEED)
                                if g < 0.0 or r > 0.0:
                                    g -= dt * r
                        if ok_l:
                            pl = _ahead_in(bufl, hcl, x, pl, vf)
                            v_l = _vsafe_in(bufl, hcl, pl, xln, vln, x, v_des, par, vf, vs)
                            if v_own > v_l:
                                if g > 0.0:
                                    g *= halve
                            else:
                                g += dt * (v_l - v_own) / max(v_l, RELGAIN_MIN_SPEED)
                        vf[a, F_SG] = g
                        if ok_l and g > thr_left and _move_to(
                                d, k, j, q, jl, _change_slot_at(d, k, j, q, jl, pl, par, js, vf, vs, fifo, fhc), vi, fifo, fhc):
                            vf[a, F_SG] = 0.0
                            pl += 1  # it now stands ahead of everyone behind it in this lane
                            continue
                        q += 1


@njit(cache=True)
def _change_for_turns(par, js, nl, bay, vf, vs, vi, fifo, fhc, block):
    """Strategic lane changes (the discretionary ones are :func:`_change_for_speed`): a vehicle that turns at junction ``e`` and is
    not yet in its turn lane (:func:`_turn_lane`) moves one lane toward it, when both gaps are
    accepted, once its distance to where that lane ends for it (the start of its bay, else the stop
    line) per lane still to cross is below SUMO LC2013's strategic look-ahead
    ``laDist = v x P_LC_LOOK_S (x P_LC_LEFT for changes to the left) + 2 (length + minGap)``
    (Erdmann 2015, "SUMO's lane-changing model", LNCE 13: 105-123; v here the desired speed).
    Before that (LC2013's non-urgent strategic change "toward the correct lane, speedwise it does
    not hurt") it moves toward its turn lane whenever the neighbouring lane lets it drive faster
    now (:func:`_lane_vsafe`). Left turners are swept from the left so that nobody changes twice in
    a step; right turners likewise from the right. Two halted vehicles side by side that each need the other's lane swap
    places (their positions and speeds, so every lane keeps its order)."""
    n = js.shape[1]
    v_main = par[P_V_MAIN]
    jam2 = 2.0 * (par[P_LEN] + par[P_MINGAP])
    for d in range(2):
        nld = nl[d]
        if nld < 2:
            continue
        for k in range(n):
            for pas in range(2):  # 0: left turners moving left, 1: right turners moving right
                for jj in range(nld - 1):
                    j = nld - 2 - jj if pas == 0 else jj + 1
                    j2 = j + 1 if pas == 0 else j - 1
                    need = nld - 1 - j if pas == 0 else j
                    factor = par[P_LC_LEFT] if pas == 0 else 1.0
                    buf = fifo[d, k, j]
                    hc = fhc[d, k, j]
                    q = 0
                    while q < hc[1]:
                        a = _at(buf, hc, q)
                        e = vi[a, I_EXIT]
                        if e >= n or _bay_side(vi[a, I_LEFT]) != pas:
                            q += 1
                            continue
                        x = vf[a, F_X]
                        dist = js[d, e] - bay[d, e, pas] - x
                        la = vf[a, F_LA] * par[P_LC_LOOK_S] * factor + jam2
                        if block[d, j2] > x and block[d, j2] - x <= par[P_LC_DIST]:
                            q += 1
                            continue
                        if dist > need * la:  # not urgent: only toward a lane that is faster now
                            v_des = v_main * np.float64(vs[a, S_SF])
                            if _lane_vsafe(d, k, j2, x, v_des, par, js, vf, vs, fifo, fhc) <= \
                                    _lane_vsafe(d, k, j, x, v_des, par, js, vf, vs, fifo, fhc) + 1e-9:
                                q += 1
                                continue
                        if _try_change(d, k, j, q, j2, par, js, vf, vs, vi, fifo, fhc):
                            continue
                        if vs[a, S_V] < HALT_SPEED:
                            # two halted vehicles side by side, each needing the other's lane, swap
                            # places (else neither could ever change)
                            p = _swap_partner(d, k, j, j2, x, vf, vs, vi, fifo, fhc, nld, jam2 * 0.5)
                            if p >= 0:
                                buf2 = fifo[d, k, j2]
                                hc2 = fhc[d, k, j2]
                                b = _at(buf2, hc2, p)
                                buf[(hc[0] + q) % buf.shape[0]] = b
                                buf2[(hc2[0] + p) % buf2.shape[0]] = a
                                xa, va = vf[a, F_X], vs[a, S_V]
                                vf[a, F_X], vs[a, S_V] = vf[b, F_X], vs[b, S_V]
                                vf[b, F_X], vs[b, S_V] = xa, va
                                vi[a, I_LANE] = j2
                                vi[b, I_LANE] = j
                                continue
                        q += 1


@njit(cache=True)
def _insert_due(t, par, js, jmap, nl, side_nl, sig, vf, vs, vi, free, fifo, fhc, sfifo, shc, block,
                dem_f, dem_i, dem_off, dem_ptr, cnt):
    """Insert the vehicles due by ``t`` at their origins, front at one vehicle length from the
    start, at the largest safe speed (SUMO departPos="base", departSpeed="max"), in the least
    occupied lane with room (departLane="free"; a vehicle turning at the first signal: its turn
    lane, as the lead-in stands for the road before it); an origin whose next vehicle does not fit
    waits. Rows flagged in ``dem_i[:, 4]`` are skipped (demand thinned by a demand change)."""
    n = js.shape[1]
    dt = par[P_DT]
    vlen = par[P_LEN]
    mgap = par[P_MINGAP]
    decel = par[P_DECEL]
    tau = par[P_TAU]
    x0 = vlen
    n_orig = dem_ptr.shape[0]
    for o in range(n_orig):
        while dem_ptr[o] < dem_off[o + 1] and dem_f[dem_ptr[o], 0] <= t + 1e-9:
            e = dem_ptr[o]
            if dem_i[e, 4] != 0:  # cancelled by a demand change (microsim.set_demand_share)
                dem_ptr[o] = e + 1
                continue
            sf = dem_f[e, 1]
            best = -1
            best_n = 1 << 30
            best_v = 0.0
            if o < ORIG_SIDE0:
                d = o
                v_des = par[P_V_MAIN] * sf
                x_end0 = js[d, 0] if n > 0 else par[P_L]
                only = _turn_lane(dem_i[e, 2], nl[d]) if (n > 0 and dem_i[e, 1] == 0) else -1
                for j in range(nl[d]):
                    if only >= 0 and j != only:
                        continue
                    if block[d, j] < x_end0:
                        continue  # no entry onto a lane blocked within the first link
                    hc = fhc[d, 0, j]
                    if hc[1] >= fifo.shape[3]:
                        continue
                    v_ins = v_des
                    if hc[1] > 0:
                        b = _at(fifo[d, 0, j], hc, hc[1] - 1)
                        gap = vf[b, F_X] - vlen - x0 - mgap
                        if gap < 0.0:
                            continue
                        v_ins = min(v_ins, follow_speed(gap, vs[b, S_V], decel, dt, tau))
                    if n > 0:
                        st = sig[jmap[d, 0], d]
                        if st != GREEN:
                            v_ins = min(v_ins, max_safe_stop_speed(js[d, 0] - x0 - POS_EPS, decel, dt, dt))
                    if hc[1] < best_n:
                        best, best_n, best_v = j, hc[1], v_ins
            else:
                i = (o - ORIG_SIDE0) // 2
                s = (o - ORIG_SIDE0) % 2
                v_des = par[P_V_SIDE] * sf
                d_join = dem_i[e, 0]
                for j in range(side_nl[i]):
                    if d_join >= 0 and j != _side_lane(d_join, s, side_nl[i]):
                        continue
                    hc = shc[i, s, j]
                    if hc[1] >= sfifo.shape[3]:
                        continue
                    v_ins = v_des
                    if hc[1] > 0:
                        b = _at(sfifo[i, s, j], hc, hc[1] - 1)
                        gap = vf[b, F_X] - vlen - x0 - mgap
                        if gap < 0.0:
                            continue
                        v_ins = min(v_ins, follow_speed(gap, vs[b, S_V], decel, dt, tau))
                    if sig[i, 4] != GREEN:
                        v_ins = min(v_ins, max_safe_stop_speed(par[P_SIDE_LEN] - x0 - POS_EPS, decel, dt, dt))
                    if hc[1] < best_n:
                        best, best_n, best_v = j, hc[1], v_ins
            if best < 0:
                break
            a = _alloc(free, cnt)
            if a < 0:
                return
            vf[a, F_X] = x0
            vf[a, F_T_IN] = t
            vf[a, F_X_IN] = x0
            vf[a, F_WAIT] = 0.0
            vf[a, F_LA] = best_v
            vf[a, F_SG] = 0.0
            vs[a, S_V] = best_v
            vs[a, S_SF] = sf
            vi[a, I_DIR] = dem_i[e, 0]
            vi[a, I_EXIT] = dem_i[e, 1]
            vi[a, I_LEFT] = dem_i[e, 2]
            vi[a, I_ORIG] = o
            vi[a, I_HALT] = 0
            vi[a, I_NSTOP] = 0
            vi[a, I_VID] = dem_i[e, 3]
            vi[a, I_LANE] = best
            vi[a, I_LINK] = 0
            if o < ORIG_SIDE0:
                vi[a, I_LOC] = LOC_MAIN
                _push(fifo[o, 0, best], fhc[o, 0, best], a, cnt)
            else:
                vi[a, I_LOC] = LOC_SIDE
                i = (o - ORIG_SIDE0) // 2
                s = (o - ORIG_SIDE0) % 2
                _push(sfifo[i, s, best], shc[i, s, best], a, cnt)
            cnt[C_IN] += 1
            dem_ptr[o] = e + 1
