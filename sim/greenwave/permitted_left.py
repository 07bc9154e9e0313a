"""Permitted left turns yield to oncoming traffic (gap acceptance), for the corridor kernels.

A left turn without a protected window goes on the through green of its own direction, across
the oncoming through and right-turning traffic of the same signal. A left turner at the line
accepts the gap to the next oncoming vehicle when that vehicle reaches the conflict later than
the critical headway ``t_c`` after the turner itself would (``par[P_LT_GAP]``; HCM 2010
ch. 18/31, permitted left turns at signals: t_c = 4.5 s, follow-up headway t_f = 2.5 s; Tanner
1962, Biometrika 49: 163-170, for the capacity this gives). Successive turners use one gap one
after another, so a gap of ``t_c + (n - 1) t_f`` passes ``n`` of them; ``t_f`` is not a
parameter: it is the car-following headway of turners starting from the line.

Sneakers: the first two turners (within two vehicle spacings of the line) while their green is
on have pulled into the junction; they clear on the yellow or the red once the oncoming stream
is clear, unless the cross street already has green (HCM counts about two a cycle).

Junctions are points: the time a vehicle needs to reach the stop line stands for the time to
reach the conflict. Oncoming vehicles: on the link ending at the same signal, in every lane the
front one that will pass (a through or right-turning vehicle; a halted oncoming left turner
holds everyone behind it in its lane; on a yellow, one that can stop comfortably will stop,
as in :func:`kernel_core.line_speed`), and the front vehicle of the right-turn bay; none when
the oncoming signal is red. ``par[P_LT_GAP] = 0`` turns yielding off (turns then go on the
green as if protected: the model before yielding, and SUMO with every movement a priority
green).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from sim.greenwave.kernel_core import (
    P_ACCEL, P_DECEL, P_DT, P_LEN, P_LT_GAP, P_MINGAP, P_V_MAIN, P_V_SIDE, F_X, S_V, S_SF, I_EXIT,
    I_LEFT, I_SNEAK, GREEN, YELLOW, RED, HALT_SPEED, POS_EPS, _at, _m_of, brake_gap,
)


@njit(cache=True)
def arrival_time_s(dist_m, v_m_s, v_max_m_s, accel_m_s2):
    """Time (s) to cover ``dist_m`` from speed ``v_m_s``, accelerating at ``accel_m_s2`` up to
    ``v_max_m_s`` and then at that speed (a vehicle faster than ``v_max_m_s`` keeps its speed)."""
    if dist_m <= 0.0:
        return 0.0
    if v_m_s >= v_max_m_s:
        return dist_m / max(v_m_s, 1e-6)
    t1 = (v_max_m_s - v_m_s) / accel_m_s2
    d1 = v_m_s * t1 + 0.5 * accel_m_s2 * t1 * t1
    if dist_m <= d1:
        return (-v_m_s + np.sqrt(v_m_s * v_m_s + 2.0 * accel_m_s2 * dist_m)) / accel_m_s2
    return t1 + (dist_m - d1) / v_max_m_s


@njit(cache=True)
def _oncoming_s(a, dist, v_max, st, par, vs):
    """Arrival time (s) of oncoming vehicle ``a`` at the line ``dist`` m ahead; inf when it will
    stop at a yellow it can stop for."""
    v = np.float64(vs[a, S_V])
    if st == YELLOW and brake_gap(v, par[P_DECEL], par[P_DT], 0.0) <= dist - POS_EPS:
        return np.inf
    return arrival_time_s(dist, v, v_max, par[P_ACCEL])


@njit(cache=True)
def oncoming_arrivals(sig, par, js, jmap, nl, vf, vs, vi, fifo, fhc, bfifo, bhc, out):
    """``out[i, d]``: the earliest arrival (s from now) at signal ``i``'s line of an oncoming
    vehicle that a permitted left turner of direction ``d`` must yield to (inf: none)."""
    n = js.shape[1]
    for i in range(n):
        for d in range(2):
            o = 1 - d
            out[i, d] = np.inf
            st = sig[i, o]
            if st == RED:
                continue
            m = _m_of(o, i, n)
            x_line = js[o, m]
            best = np.inf
            for j in range(nl[o]):
                buf = fifo[o, m, j]
                hc = fhc[o, m, j]
                for q in range(hc[1]):
                    a = _at(buf, hc, q)
                    if vi[a, I_EXIT] == m and vi[a, I_LEFT] == 1:
                        if vs[a, S_V] < HALT_SPEED:
                            break  # a halted oncoming left turner holds its lane
                        continue
                    v_max = par[P_V_MAIN] * np.float64(vs[a, S_SF])
                    best = min(best, _oncoming_s(a, x_line - vf[a, F_X], v_max, st, par, vs))
                    break  # the ones behind in this lane come later
            hb = bhc[o, m, 1]
            if hb[1] > 0:
                a = _at(bfifo[o, m, 1], hb, 0)
                v_max = par[P_V_SIDE] * np.float64(vs[a, S_SF])
                best = min(best, _oncoming_s(a, x_line - vf[a, F_X], v_max, st, par, vs))
            out[i, d] = best


@njit(cache=True)
def permitted_state(st, side_st, a, dist, oncoming_s, par, vs, vi):
    """Signal state a permitted left turner ``a``, ``dist`` m before its line, obeys: its own
    (through) state ``st`` turned RED while the gap to the oncoming vehicle (``oncoming_s``, from
    :func:`oncoming_arrivals`) is shorter than the critical headway, and GREEN for a sneaker once
    the oncoming stream is clear (``side_st``: the cross street's state)."""
    t_c = par[P_LT_GAP]
    if t_c <= 0.0:
        return st
    if st == GREEN and dist < 2.0 * (par[P_LEN] + par[P_MINGAP]):
        vi[a, I_SNEAK] = 1  # pulled into the junction
    if st != GREEN and (vi[a, I_SNEAK] == 0 or side_st == GREEN):
        return st
    v = np.float64(vs[a, S_V])
    t_own = arrival_time_s(dist - POS_EPS, v, par[P_V_SIDE] * np.float64(vs[a, S_SF]), par[P_ACCEL])
    return GREEN if oncoming_s - t_own >= t_c else RED
