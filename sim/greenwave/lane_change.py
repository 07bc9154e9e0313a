"""Lane changes of the corridor micro-simulator (numba; SUMO's LC2013, Erdmann 2015, "SUMO's
lane-changing model", LNCE 13: 105-123): strategic changes of turning vehicles toward their turn
lane (:func:`_change_for_turns`, with cooperative room-making, :func:`_urgent_turners`),
discretionary changes for speed (:func:`_change_for_speed`) and the mandatory change away from a
blocked lane (:func:`_change_off_block`). Called once per step by
:func:`sim.greenwave.kernels._advance` after the vehicles have moved; state layout in
:mod:`sim.greenwave.kernel_core`."""
from __future__ import annotations

import numpy as np
from numba import njit

from sim.greenwave.kernel_core import (
    P_DT, P_DECEL, P_TAU, P_LEN, P_MINGAP, P_V_MAIN, P_LC_DIST, P_LC_LOOK_S, P_LC_LEFT,
    P_LC_SPEEDGAIN, F_X, F_LA, F_SG, RELGAIN_MIN_SPEED, S_V, S_SF, I_EXIT, I_LEFT, I_LANE,
    HALT_SPEED, follow_speed, _at, _remove_at, _insert_at, _turn_lane, _bay_side,
)


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
                                slot = _change_slot_at(d, k, j, q, jr, pr, par, js, vf, vs, fifo, fhc)
                                if _move_to(d, k, j, q, jr, slot, vi, fifo, fhc):
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
                                d, k, j, q, jl, _change_slot_at(d, k, j, q, jl, pl, par, js, vf, vs, fifo, fhc),
                                vi, fifo, fhc):
                            vf[a, F_SG] = 0.0
                            pl += 1  # it now stands ahead of everyone behind it in this lane
                            continue
                        q += 1


@njit(cache=True)
def _change_for_turns(par, js, nl, bay, vf, vs, vi, fifo, fhc, block):
    """Strategic lane changes (the discretionary ones are :func:`_change_for_speed`): a vehicle that
    turns at junction ``e`` and is not yet in its turn lane (:func:`_turn_lane`) moves one lane
    toward it, when both gaps are accepted, once its distance to where that lane ends for it (the
    start of its bay, else the stop line) per lane still to cross is below SUMO LC2013's strategic look-ahead
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
