"""Layout and building blocks shared by the corridor kernels (:mod:`sim.greenwave.kernels`,
:mod:`sim.greenwave.lane_change`, :mod:`sim.greenwave.ctl_kernels`): the column and parameter
indices of the state arrays, the Krauss car-following functions, signal states from plan windows,
the lane FIFO ring buffers and the vehicle slots. The model is described in
:mod:`sim.greenwave.kernels`."""
from __future__ import annotations

import numpy as np
from numba import njit

# ---- parameter vector ``par`` (float64)
P_DT, P_ACCEL, P_DECEL, P_EMERG, P_SIGMA, P_TAU, P_LEN, P_MINGAP, P_V_MAIN, P_V_SIDE, P_SIDE_LEN, \
    P_WARMUP, P_L, P_LC_DIST, P_EV_VID, P_LC_LOOK_S, P_LC_LEFT, P_LC_SPEEDGAIN, P_LT_GAP = range(19)
N_PAR = 19  # P_EV_VID: vehicle id of the emergency vehicle (never dawdles), -1 when none;
# P_LC_LOOK_S, P_LC_LEFT: strategic lane-change look-ahead, s per lane, and its factor for changes to the left;
# P_LC_SPEEDGAIN: eagerness of the speed-gain lane changes (SUMO lcSpeedGain; 0 = none);
# P_LT_GAP: critical headway (s) of permitted left turns against oncoming traffic (0 = they do not yield)

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
I_LOC, I_DIR, I_EXIT, I_LEFT, I_ORIG, I_HALT, I_NSTOP, I_VID, I_LANE, I_LINK, I_SNEAK = range(11)
N_VI = 11  # I_SNEAK: 1 once a permitted left turner has pulled into the junction (permitted_left)
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


SWITCH_EPS_S = 1e-4  # s: a switch due less than this before a step's end waits for the next step (SUMO keeps
# time in whole ms; more than the controllers' time tolerance, ctl_kernels.T_EPS)


@njit(cache=True)
def step_signal_time(step, dt):
    """The time whose plan state holds over step ``step`` ([step dt, (step + 1) dt)): just before
    the step's end, so a switch due within the step takes effect for all of it, as SUMO's event
    control runs every event due before the next step at the step's start (MSEventControl::execute;
    a switch at a whole step is the same either way). A green of 32.5 s from a whole second thus
    lasts 32 one-second steps, as in SUMO, not 33."""
    return (step + 1) * dt - SWITCH_EPS_S


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
