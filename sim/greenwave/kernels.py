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
turn lane (leftmost / rightmost through lane, :func:`lane_change._change_for_turns`), enters the
bay when its front reaches the bay start and there is room behind the bay's last vehicle (else it waits in
the through lane: spill-back), and leaves at the stop line under its movement's signal. Without a
bay it turns from its turn lane at the stop line. Discretionary changes for speed follow LC2013's
speed-gain memory (:func:`lane_change._change_for_speed`); the other lane change is the
mandatory one away from a blocked lane (``block``). Side-street
approaches (two per junction, "north" s=0 and "south" s=1) are single FIFO lanes per side lane
of length ``side_len``; they discharge on the side window into the corridor (joiners) or leave
(crossers).

Signals. ``windows[i, m] = (cycle, green start on the corridor clock mod cycle, green, yellow)``
per intersection ``i`` (corridor order) and movement ``m`` in (out, in, left_out, left_in, side).
A switch due inside a step holds for the whole step, as in SUMO (``kernel_core.step_signal_time``).
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

from sim.greenwave.kernel_core import (
    P_DT, P_ACCEL, P_DECEL, P_EMERG, P_SIGMA, P_TAU, P_LEN, P_MINGAP, P_V_MAIN, P_V_SIDE,
    P_SIDE_LEN, P_WARMUP, P_L, P_LC_DIST, P_EV_VID, P_LC_LOOK_S, P_LC_LEFT, P_LC_SPEEDGAIN, P_LT_GAP, N_PAR,
    F_X, F_T_IN, F_X_IN, F_WAIT, F_LA, F_SG, N_VF, RELGAIN_MIN_SPEED, LA_MEMORY, S_V, S_SF, N_VS,
    I_LOC, I_DIR, I_EXIT, I_LEFT, I_ORIG, I_HALT, I_NSTOP, I_VID, I_LANE, I_LINK, I_SNEAK, N_VI, LOC_FREE,
    LOC_MAIN, LOC_SIDE, R_T_IN, R_T_OUT, R_FF, R_WAIT, N_RF, R_KIND, R_DIR, R_ORIG, R_EXIT,
    R_STOPS, R_VID, N_RI, REC_END, REC_TURN, REC_SIDE, C_FREE_TOP, C_HWM, C_REC_N, C_IN, C_OUT,
    C_UPDATES, C_TRAJ_N, C_OVERFLOW, C_STEP, N_CNT, GREEN, YELLOW, RED, HALT_SPEED, POS_EPS,
    NUM_EPS, ORIG_SIDE0, brake_gap, max_safe_stop_speed, follow_speed, free_speed, next_speed,
    uniform01, signal_states, step_signal_time, line_speed, _at, _behind_leader, _slot, _push, _pop, _remove_at,
    _insert_at, _alloc, _release, _pop_past, _record, _turns_right, _side_target, _side_lane,
    _m_of, _turn_lane, _bay_side,
)

from sim.greenwave.permitted_left import oncoming_arrivals, permitted_state
from sim.greenwave.lane_change import (
    _change_off_block, _urgent_turners, _change_for_speed, _change_for_turns,
)


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
        signal_states(windows, step_signal_time(step, dt), sig)
        _advance(step, t, sig, par, seed, js, jmap, nl, side_nl, prot_left, bay, vf, vs, vi, vnew, free,
                 fifo, fhc, sfifo, shc, pocket, bfifo, bhc, block, dem_f, dem_i, dem_off, dem_ptr, rec_f, rec_i,
                 qmax, qmax_side, cnt, traj, traj_every, qcount, qside, coop)


@njit(cache=True)
def _advance(step, t, sig, par, seed, js, jmap, nl, side_nl, prot_left, bay, vf, vs, vi, vnew, free,
             fifo, fhc, sfifo, shc, pocket, bfifo, bhc, block, dem_f, dem_i, dem_off, dem_ptr, rec_f, rec_i,
             qmax, qmax_side, cnt, traj, traj_every, qcount, qside, coop):
    """One step at time ``t`` under the signal states ``sig`` (see :func:`run_steps` for the order).

    ``coop[d, k, j]`` (scratch): position and speed of the foremost turning vehicle next to lane j
    that needs lane j now and finds no gap (:func:`lane_change._urgent_turners`); the first vehicle of lane j
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
    oncoming = np.full((n, 2), np.inf)
    if par[P_LT_GAP] > 0.0:
        oncoming_arrivals(sig, par, js, jmap, nl, vf, vs, vi, fifo, fhc, bfifo, bhc, oncoming)
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
                            elif left == 1 and bl <= 0.0 and j == _turn_lane(left, nl[d]):
                                st = permitted_state(st, sig[i_int, 4], a, dist, oncoming[i_int, d], par, vs, vi)
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
                    if sd == 0 and not prot_left[i_int, d]:
                        v_pos = min(v_pos, line_speed(v, dist, permitted_state(
                            st, sig[i_int, 4], a, dist, oncoming[i_int, d], par, vs, vi), par))
                    else:
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
            vi[a, I_SNEAK] = 0
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


__all__ = [  # the state layout and helpers are read as kernels.X by microsim, control, ctl_kernels
    'P_DT', 'P_ACCEL', 'P_DECEL', 'P_EMERG', 'P_SIGMA', 'P_TAU', 'P_LEN', 'P_MINGAP', 'P_V_MAIN',
    'P_V_SIDE', 'P_SIDE_LEN', 'P_WARMUP', 'P_L', 'P_LC_DIST', 'P_EV_VID', 'P_LC_LOOK_S',
    'P_LC_LEFT', 'P_LC_SPEEDGAIN', 'P_LT_GAP', 'N_PAR', 'F_X', 'F_T_IN', 'F_X_IN', 'F_WAIT', 'F_LA', 'F_SG',
    'N_VF', 'RELGAIN_MIN_SPEED', 'LA_MEMORY', 'S_V', 'S_SF', 'N_VS', 'I_LOC', 'I_DIR', 'I_EXIT',
    'I_LEFT', 'I_ORIG', 'I_HALT', 'I_NSTOP', 'I_VID', 'I_LANE', 'I_LINK', 'I_SNEAK', 'N_VI', 'LOC_FREE',
    'LOC_MAIN', 'LOC_SIDE', 'R_T_IN', 'R_T_OUT', 'R_FF', 'R_WAIT', 'N_RF', 'R_KIND', 'R_DIR',
    'R_ORIG', 'R_EXIT', 'R_STOPS', 'R_VID', 'N_RI', 'REC_END', 'REC_TURN', 'REC_SIDE',
    'C_FREE_TOP', 'C_HWM', 'C_REC_N', 'C_IN', 'C_OUT', 'C_UPDATES', 'C_TRAJ_N', 'C_OVERFLOW',
    'C_STEP', 'N_CNT', 'GREEN', 'YELLOW', 'RED', 'HALT_SPEED', 'POS_EPS', 'NUM_EPS', 'ORIG_SIDE0',
    'brake_gap', 'max_safe_stop_speed', 'follow_speed', 'free_speed', 'next_speed', 'uniform01',
    'signal_states', 'step_signal_time', 'line_speed', '_at', '_behind_leader', '_slot', '_push', '_pop', '_remove_at',
    '_insert_at', '_alloc', '_release', '_pop_past', '_record', '_turns_right', '_side_target',
    '_side_lane', '_m_of', '_turn_lane', '_bay_side', 'run_steps', '_advance', '_insert_due',
]
