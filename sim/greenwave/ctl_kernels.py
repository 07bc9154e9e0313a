"""Numba signal controllers of the corridor micro-simulator (see :mod:`sim.greenwave.control`).

Instead of fixed windows, :func:`run_steps_ctl` takes the signal states from per-signal state
machines (:func:`ctl_update`: the plan as it is, coordinated-actuated, max-pressure, or cyclic
max-pressure, with emergency pre-emption on top) fed by detector and queue readings (:func:`ctl_measure`), then
advances the vehicles with the same step as :func:`sim.greenwave.kernels.run_steps`.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from sim.greenwave.kernels import (
    C_HWM,
    F_X,
    GREEN,
    HALT_SPEED,
    I_DIR,
    I_LINK,
    I_LOC,
    I_VID,
    LOC_FREE,
    LOC_MAIN,
    P_DT,
    P_EV_VID,
    P_LEN,
    P_SIDE_LEN,
    P_V_MAIN,
    RED,
    S_SF,
    S_V,
    YELLOW,
    _advance,
    _at,
    step_signal_time,
)

# Signals driven by a controller instead of fixed windows (see sim.greenwave.control): each
# intersection runs the phases of its plan as a state machine (green, yellow, all-red); the
# decision rules differ by mode.
CTL_PLAN, CTL_ACTUATED, CTL_MAX_PRESSURE, CTL_CYCLIC = 0, 1, 2, 3  # plan: the fixed plan as a state machine (needed
# for pre-emption); cyclic: the plan's cycle, offset and phase order with the greens of each cycle from the pressures
PK_COORD, PK_ACT = 0, 1  # phase kinds: coordinated (serves main-street through traffic) / actuated (left, side)
# phase columns of ``pf``: green (cyclic: of the current cycle), yellow, all-red, start in the cycle, min green,
# the plan's green
PF_G, PF_Y, PF_R, PF_CUM, PF_MIN, PF_G0 = range(6)
N_PF = 6
# controller parameters ``cp``
CP_MODE, CP_PASSAGE, CP_DET_M, CP_MP_DIST, CP_EV_PREEMPT, CP_EV_DET_M, CP_EV_ETA_S, CP_EV_T, CP_MAX_GREEN, \
    CP_MP_MOVING, CP_DT, CP_CYC_STEP, CP_CYC_MAX_SHIFT, CP_CYC_DEADBAND = range(14)
N_CP = 14  # CP_MP_MOVING: max-pressure counts moving vehicles too (1) or only halting ones (0); CP_DT: the step, s;
# CP_CYC_*: cyclic max-pressure's largest change of a green per cycle (s), from the plan's (s), and its deadband
# integer state ``cs[i]``: current phase (global index cycle * n_phases + k; max-pressure: k), interval,
# phase to start after the clearance, phase the clearance leads to (display), pre-empted now, the cycle
# whose greens ``pf`` holds (cyclic max-pressure)
CS_CUR, CS_INT, CS_NXT, CS_CLR_TO, CS_PRE, CS_CYC = range(6)
N_CS = 6
CF_T_INT, CF_T_GREEN = range(2)  # float state ``cf[i]``: interval start, current green start
N_CF = 2
INT_G, INT_Y, INT_R = 0, 1, 2
EV_SLOT, EV_STATE = range(2)  # ``ev``: vehicle slot of the emergency vehicle, 0 not yet in / 1 in / 2 gone
T_EPS = 1e-6  # s; time comparisons of the controller


@njit(cache=True)
def _planned(i, h, nph, pf, cycoff):
    """Planned green start and end (corridor clock) of global phase ``h`` of intersection ``i``:
    offset + cycle index x cycle + the phase's start within the cycle."""
    npi = nph[i]
    c = h // npi
    k = h - c * npi
    s = cycoff[i, 1] + c * cycoff[i, 0] + pf[i, k, PF_CUM]
    return s, s + pf[i, k, PF_G]


@njit(cache=True)
def _same_movements(i, k1, k2, pserve):
    for m in range(pserve.shape[2]):
        if pserve[i, k1, m] != pserve[i, k2, m]:
            return False
    return True


@njit(cache=True)
def ctl_init(t, cp, nph, pf, cycoff, cs, cf, call, lastocc):
    """Controller state at time ``t``: where the plan is (plan/actuated modes), or an all-red
    that ends at once with the first phase still to be chosen (max-pressure)."""
    mode = np.int64(cp[CP_MODE])
    for i in range(nph.shape[0]):
        npi = nph[i]
        cs[i, CS_PRE] = 0
        for k in range(npi):
            call[i, k] = 0
            lastocc[i, k] = -1e18
        if mode == CTL_MAX_PRESSURE:
            cs[i, CS_CUR] = 0
            cs[i, CS_INT] = INT_R
            cs[i, CS_NXT] = -1
            cs[i, CS_CLR_TO] = -1
            cf[i, CF_T_INT] = t - pf[i, 0, PF_R]  # the all-red ends now
            cf[i, CF_T_GREEN] = t
            continue
        cyc = cycoff[i, 0]
        c = np.int64(np.floor((t - cycoff[i, 1]) / cyc))
        tau = t - cycoff[i, 1] - c * cyc
        k = npi - 1
        for kk in range(npi):
            if tau < pf[i, kk, PF_CUM] + pf[i, kk, PF_G] + pf[i, kk, PF_Y] + pf[i, kk, PF_R]:
                k = kk
                break
        h = c * npi + k
        s = cycoff[i, 1] + c * cyc + pf[i, k, PF_CUM]
        cs[i, CS_CUR] = h
        cs[i, CS_CYC] = c
        cs[i, CS_NXT] = h + 1
        cs[i, CS_CLR_TO] = h + 1
        cf[i, CF_T_GREEN] = s
        if t < s + pf[i, k, PF_G]:
            cs[i, CS_INT] = INT_G
            cf[i, CF_T_INT] = s
        elif t < s + pf[i, k, PF_G] + pf[i, k, PF_Y]:
            cs[i, CS_INT] = INT_Y
            cf[i, CF_T_INT] = s + pf[i, k, PF_G]
        else:
            cs[i, CS_INT] = INT_R
            cf[i, CF_T_INT] = s + pf[i, k, PF_G] + pf[i, k, PF_Y]


@njit(cache=True)
def _choose_next(i, h, t, mode, cp, nph, pkind, pf, cycoff, call):
    """The phase to serve after global phase ``h`` ends at ``t``: the first actuated phase that has
    a call (every one in plan mode) and can still get its min green before its planned end
    (force-off), else the next coordinated phase (early return). The controller acts at the first
    step at or after a planned time, so a phase whose green is its min green starts up to one step
    ``CP_DT`` late and still counts as servable."""
    npi = nph[i]
    k = h % npi
    clr = pf[i, k, PF_Y] + pf[i, k, PF_R]
    for j in range(1, npi + 1):
        hh = h + j
        kk = hh % npi
        if pkind[i, kk] == PK_COORD:
            return hh
        s, e = _planned(i, hh, nph, pf, cycoff)
        if (mode == CTL_PLAN or call[i, kk] != 0) and t + clr + pf[i, kk, PF_MIN] <= e + cp[CP_DT] + T_EPS:
            return hh
    return h + npi


@njit(cache=True)
def _decide_coordinated(i, t, mode, cp, nph, pkind, pserve, pf, cycoff, cs, cf, call, lastocc):
    """Plan / actuated-coordinated rule for the green phase of ``i``: next global phase, or -1 to stay.

    Actuated phases end at their planned green end (force-off) or, actuated, on a gap (no
    detector occupancy for the passage time after the min green). Coordinated phases end no
    earlier than their planned end (the yield point); then they yield to a called actuated phase
    that can still be served, else rest in green until the next coordinated phase is due.
    """
    h = cs[i, CS_CUR]
    npi = nph[i]
    k = h % npi
    s, e = _planned(i, h, nph, pf, cycoff)
    t_on = t - cf[i, CF_T_GREEN]
    if pkind[i, k] == PK_ACT:
        if t >= e - T_EPS:
            return _choose_next(i, h, t, mode, cp, nph, pkind, pf, cycoff, call)
        if mode == CTL_ACTUATED and t_on >= pf[i, k, PF_MIN] - T_EPS and t - lastocc[i, k] >= cp[CP_PASSAGE] - T_EPS:
            return _choose_next(i, h, t, mode, cp, nph, pkind, pf, cycoff, call)
        return -1
    if t < e - T_EPS or t_on < pf[i, k, PF_MIN] - T_EPS:
        return -1
    nx = _choose_next(i, h, t, mode, cp, nph, pkind, pf, cycoff, call)
    kx = nx % npi
    if pkind[i, kx] == PK_ACT:
        return nx
    s2, e2 = _planned(i, nx, nph, pf, cycoff)
    if _same_movements(i, k, kx, pserve):
        if t >= s2 - T_EPS:
            cs[i, CS_CUR] = nx  # rest: the next coordinated phase is this one again
        return -1
    if t >= s2 - pf[i, k, PF_Y] - pf[i, k, PF_R] - T_EPS:
        return nx
    return -1


@njit(cache=True)
def _decide_max_pressure(i, t, cp, nph, pf, cs, cf, press):
    """Max-pressure rule (Varaiya 2013, Transp. Res. C 36: 177-195, the MP controller): after the
    min green, switch to the phase of largest pressure when it exceeds the current one's."""
    k = cs[i, CS_CUR]
    t_on = t - cf[i, CF_T_GREEN]
    if t_on < pf[i, k, PF_MIN] - T_EPS:
        return -1
    best = k
    for kk in range(nph[i]):
        if press[i, kk] > press[i, best] + 1e-12:
            best = kk
    if best == k and cp[CP_MAX_GREEN] > 0.0 and t_on >= cp[CP_MAX_GREEN] - T_EPS:
        best = -1  # max green: the best other phase
        for kk in range(nph[i]):
            if kk != k and (best < 0 or press[i, kk] > press[i, best]):
                best = kk
        return best
    return best if best != k else -1


@njit(cache=True)
def cyclic_split(i, cycoff, nph, pf, pacc, step_s, max_shift_s, deadband):
    """Greens of intersection ``i``'s next cycle (cyclic max-pressure), from the phases' pressures
    (Varaiya 2013's phase pressure, as ``ctl_measure``) summed over the last cycle in ``pacc``
    (pressure x s per phase, the seconds in the last column; cleared here):

    * when the largest exceeds the next by more than ``deadband`` x (|first| + |second|), its phase
      takes up to ``step_s`` seconds of green from every other phase;
    * otherwise (balanced, or no readings) every green moves up to half ``step_s`` back toward
      the plan's (``PF_G0``): the plan is the prior, left only while the pressures clearly say so
      (pressure is not delay: on a coordinated arterial the main street's downstream link is as
      full as its upstream one, so without this pull the split drifts from the plan under the very
      demand the plan was optimised for);
    * no green leaves the plan's by more than ``max_shift_s`` or goes below its min green.

    Green only moves between phases: the cycle, the offset (the start of phase 0, the
    coordinated phase: :func:`sim.greenwave.control.coordinated_first`), the phase order, yellows
    and all-reds stay. Rewrites ``pf[i, :, PF_G]`` and ``PF_CUM``."""
    npi = nph[i]
    last = pacc.shape[1] - 1
    best = 0
    for k in range(1, npi):
        if pacc[i, k] > pacc[i, best]:
            best = k
    second = -1
    for k in range(npi):
        if k != best and (second < 0 or pacc[i, k] > pacc[i, second]):
            second = k
    p1 = pacc[i, best]
    p2 = pacc[i, second] if second >= 0 else p1
    if pacc[i, last] > 0.0 and p1 - p2 > deadband * (abs(p1) + abs(p2)) and p1 - p2 > 0.0:
        room = pf[i, best, PF_G0] + max_shift_s - pf[i, best, PF_G]
        want = 0.0
        for k in range(npi):
            if k != best:
                lo = max(pf[i, k, PF_MIN], pf[i, k, PF_G0] - max_shift_s)
                want += max(0.0, min(step_s, pf[i, k, PF_G] - lo))
        f = min(1.0, max(room, 0.0) / want) if want > 0.0 else 0.0
        for k in range(npi):
            if k != best:
                lo = max(pf[i, k, PF_MIN], pf[i, k, PF_G0] - max_shift_s)
                d = f * max(0.0, min(step_s, pf[i, k, PF_G] - lo))
                pf[i, k, PF_G] -= d
                pf[i, best, PF_G] += d
    else:  # back toward the plan: the surplus phases give up to a step, the short ones share it
        back = 0.5 * step_s
        give = 0.0
        short = 0.0
        for k in range(npi):
            give += min(back, max(0.0, pf[i, k, PF_G] - pf[i, k, PF_G0]))
            short += max(0.0, pf[i, k, PF_G0] - pf[i, k, PF_G])
        if give > 0.0 and short > 0.0:
            for k in range(npi):
                over = pf[i, k, PF_G] - pf[i, k, PF_G0]
                if over > 0.0:
                    pf[i, k, PF_G] -= min(back, over)
                elif over < 0.0:
                    pf[i, k, PF_G] += give * (-over) / short
    cum = pf[i, 0, PF_CUM]
    for k in range(npi):
        pf[i, k, PF_CUM] = cum
        cum += pf[i, k, PF_G] + pf[i, k, PF_Y] + pf[i, k, PF_R]
    for k in range(pacc.shape[1]):
        pacc[i, k] = 0.0


@njit(cache=True)
def _preempt_target(i, t, mode, tgt_k, nph, pf, cycoff):
    """Global index of the pre-emption phase ``tgt_k``: its latest planned occurrence that has
    started by ``t`` (so the plan resumes from the current cycle when the vehicle has passed)."""
    if mode == CTL_MAX_PRESSURE:
        return tgt_k
    npi = nph[i]
    c = np.int64(np.floor((t - cycoff[i, 1] - pf[i, tgt_k, PF_CUM]) / cycoff[i, 0]))
    return c * npi + tgt_k


@njit(cache=True)
def ctl_update(t, cp, nph, pkind, pserve, pf, cycoff, tgt, cs, cf, call, lastocc, press, pacc, want, ev_dir, sig):
    """Advance every intersection's controller to time ``t`` and write the signal states ``sig``.

    Pre-emption (``want[i]``): a green serving the emergency vehicle's direction is held; any
    other green ends once its min green is served; a clearance in progress completes and is
    followed by the pre-emption phase. When the vehicle has passed, the normal rule resumes
    from where the plan is (plan/actuated: the current cycle; max-pressure: the pressures).
    Cyclic max-pressure runs as the plan, with each cycle's greens set when the plan's clock
    starts the cycle (:func:`cyclic_split`).
    """
    mode = np.int64(cp[CP_MODE])
    for i in range(nph.shape[0]):
        npi = nph[i]
        if mode == CTL_CYCLIC:  # a new cycle of the plan's clock: its greens from the last one's pressures
            c_now = np.int64(np.floor((t - cycoff[i, 1] - pf[i, 0, PF_CUM]) / cycoff[i, 0] + T_EPS))
            if c_now > cs[i, CS_CYC]:
                cyclic_split(i, cycoff, nph, pf, pacc, cp[CP_CYC_STEP], cp[CP_CYC_MAX_SHIFT], cp[CP_CYC_DEADBAND])
                cs[i, CS_CYC] = c_now
        for _ in range(4 * npi + 4):
            itv = cs[i, CS_INT]
            h = cs[i, CS_CUR]
            k = h % npi
            pre = want[i] != 0 and ev_dir >= 0 and tgt[i, ev_dir] >= 0
            if itv == INT_Y:
                if t - cf[i, CF_T_INT] >= pf[i, k, PF_Y] - T_EPS:
                    cs[i, CS_INT] = INT_R
                    cf[i, CF_T_INT] += pf[i, k, PF_Y]
                    continue
                if pre:
                    cs[i, CS_NXT] = _preempt_target(i, t, mode, tgt[i, ev_dir], nph, pf, cycoff)
                break
            if itv == INT_R:
                if pre:
                    cs[i, CS_NXT] = _preempt_target(i, t, mode, tgt[i, ev_dir], nph, pf, cycoff)
                if t - cf[i, CF_T_INT] >= pf[i, k, PF_R] - T_EPS:
                    nx = cs[i, CS_NXT]
                    if nx < 0:  # max-pressure start: the phase of largest pressure
                        nx = 0
                        for kk in range(npi):
                            if press[i, kk] > press[i, nx] + 1e-12:
                                nx = kk
                    cs[i, CS_CUR] = nx
                    cs[i, CS_INT] = INT_G
                    cs[i, CS_PRE] = 1 if pre else 0
                    cf[i, CF_T_INT] += pf[i, k, PF_R]
                    cf[i, CF_T_GREEN] = cf[i, CF_T_INT]
                    call[i, nx % npi] = 0
                    continue
                break
            # green
            if pre:
                cs[i, CS_PRE] = 1
                if pserve[i, k, ev_dir]:
                    break  # hold
                if t - cf[i, CF_T_GREEN] < pf[i, k, PF_MIN] - T_EPS:
                    break
                nx = _preempt_target(i, t, mode, tgt[i, ev_dir], nph, pf, cycoff)
            else:
                if cs[i, CS_PRE] != 0:
                    cs[i, CS_PRE] = 0
                    if mode != CTL_MAX_PRESSURE:  # resume the plan from the current cycle
                        cs[i, CS_CUR] = _preempt_target(i, t, mode, k, nph, pf, cycoff)
                if mode == CTL_MAX_PRESSURE:
                    nx = _decide_max_pressure(i, t, cp, nph, pf, cs, cf, press)
                else:
                    nx = _decide_coordinated(i, t, CTL_PLAN if mode == CTL_CYCLIC else mode, cp, nph, pkind, pserve,
                                             pf, cycoff, cs, cf, call, lastocc)
            if nx < 0:
                break
            cs[i, CS_INT] = INT_Y
            cs[i, CS_NXT] = nx
            cs[i, CS_CLR_TO] = nx
            cf[i, CF_T_INT] = t
            if mode != CTL_MAX_PRESSURE and not pre:
                # a green ending at its planned end (force-off, yield point): the controller acts in
                # the step the end falls in (its clock is the step's end, kernel_core.step_signal_time),
                # but the clearance runs from the planned end, as the plan's windows do, so the next
                # phase keeps its planned start and its full green
                hc = cs[i, CS_CUR]
                s_, e_ = _planned(i, hc, nph, pf, cycoff)
                if e_ <= t + T_EPS and e_ > t - cp[CP_DT] - T_EPS and \
                        e_ - cf[i, CF_T_GREEN] >= pf[i, hc % npi, PF_MIN] - T_EPS:
                    cf[i, CF_T_INT] = e_
        # signal states
        h = cs[i, CS_CUR]
        k = h % npi
        itv = cs[i, CS_INT]
        kc = cs[i, CS_CLR_TO] % npi if cs[i, CS_CLR_TO] >= 0 else -1
        for m in range(sig.shape[1]):
            on = pserve[i, k, m] != 0
            both = on and kc >= 0 and pserve[i, kc, m] != 0
            if itv == INT_G:
                sig[i, m] = GREEN if on else RED
            elif itv == INT_Y:
                sig[i, m] = GREEN if both else (YELLOW if on else RED)
            else:
                sig[i, m] = GREEN if both else RED


@njit(cache=True)
def ctl_measure(t, par, cp, nph, pserve, pkind, mu, rthru, s2m, js, jmap, nl, side_nl, vf, vs, vi, fifo, fhc,
                sfifo, shc, pocket, bfifo, bhc, cs, call, lastocc, press, want, ev, cnt):
    """Detector and queue readings at time ``t`` for the controllers; returns the emergency
    vehicle's direction (-1 when it is not on the corridor).

    Actuated: a point detector ``CP_DET_M`` upstream of each side stop line is occupied when some
    vehicle covered it during the last step (front passed it, back not yet); a vehicle between
    the detector and the stop line places a call while the phase is not green (locking memory);
    protected-left phases are called/extended while left turners wait (``pocket``: in the left-turn
    bay, or halting in the turn lane).
    Max-pressure (and cyclic max-pressure): halting vehicles within ``CP_MP_DIST`` upstream of each stop line; the pressure
    of a phase is sum over its movements of saturation flow x (upstream queue - turning share x
    downstream queue) (Varaiya 2013, Transp. Res. C 36: 177-195, the link weights and phase pressure).
    """
    n = js.shape[1]
    mode = np.int64(cp[CP_MODE])
    dt = par[P_DT]
    side_len = par[P_SIDE_LEN]
    vlen = par[P_LEN]
    if mode == CTL_ACTUATED:
        x_det = side_len - cp[CP_DET_M]
        for i in range(n):
            occ = False
            pres = False
            for s in range(2):
                for j in range(side_nl[i]):
                    buf = sfifo[i, s, j]
                    hc = shc[i, s, j]
                    for q in range(hc[1]):
                        a = _at(buf, hc, q)
                        x = vf[a, F_X]
                        if x < x_det:
                            break  # FIFO: the ones behind are further upstream
                        pres = True
                        if x - np.float64(vs[a, S_V]) * dt - vlen <= x_det:
                            occ = True
            m0 = i
            m1 = n - 1 - i
            h = cs[i, CS_CUR]
            k_on = h % nph[i] if cs[i, CS_INT] == INT_G else -1
            for k in range(nph[i]):
                if pkind[i, k] != PK_ACT:
                    continue
                o = False
                p = False
                if pserve[i, k, 4]:
                    o = o or occ
                    p = p or pres
                if pserve[i, k, 2] and pocket[0, m0] > 0.0:
                    o = True
                    p = True
                if pserve[i, k, 3] and pocket[1, m1] > 0.0:
                    o = True
                    p = True
                if o:
                    lastocc[i, k] = t
                if p and k != k_on:
                    call[i, k] = 1
    elif mode == CTL_MAX_PRESSURE or mode == CTL_CYCLIC:
        dist = cp[CP_MP_DIST]
        moving = cp[CP_MP_MOVING] > 0.0
        qm = np.zeros((2, n + 1))
        for d in range(2):
            for k in range(n):
                for j in range(nl[d]):
                    buf = fifo[d, k, j]
                    hc = fhc[d, k, j]
                    for q in range(hc[1]):
                        a = _at(buf, hc, q)
                        if js[d, k] - vf[a, F_X] <= dist and (moving or vs[a, S_V] < HALT_SPEED):
                            qm[d, k] += 1.0
                hb = bhc[d, k, 1]  # right turners in their bay belong to the through (+ right) movement
                for q in range(hb[1]):
                    a = _at(bfifo[d, k, 1], hb, q)
                    if moving or vs[a, S_V] < HALT_SPEED:
                        qm[d, k] += 1.0
        for i in range(n):
            m0 = i
            m1 = n - 1 - i
            qsd = 0.0
            for s in range(2):
                for j in range(side_nl[i]):
                    buf = sfifo[i, s, j]
                    hc = shc[i, s, j]
                    for q in range(hc[1]):
                        a = _at(buf, hc, q)
                        if side_len - vf[a, F_X] <= dist and (moving or vs[a, S_V] < HALT_SPEED):
                            qsd += 1.0
            down0 = qm[0, m0 + 1]
            down1 = qm[1, m1 + 1]
            w_out = qm[0, m0] - rthru[i] * down0
            w_in = qm[1, m1] - rthru[i] * down1
            w_side = qsd - s2m[i] * (down0 + down1)
            for k in range(nph[i]):
                pr = 0.0
                if pserve[i, k, 0]:
                    pr += mu[i, 0] * w_out
                if pserve[i, k, 1]:
                    pr += mu[i, 1] * w_in
                if pserve[i, k, 2]:
                    pr += mu[i, 2] * pocket[0, m0]
                if pserve[i, k, 3]:
                    pr += mu[i, 3] * pocket[1, m1]
                if pserve[i, k, 4]:
                    pr += mu[i, 4] * w_side
                press[i, k] = pr
    # ---- emergency vehicle
    for i in range(n):
        want[i] = 0
    ev_vid = np.int64(par[P_EV_VID])
    if ev_vid < 0 or ev[EV_STATE] == 2 or t < cp[CP_EV_T] - T_EPS:
        return -1
    a = ev[EV_SLOT]
    if a < 0 or vi[a, I_LOC] == LOC_FREE or vi[a, I_VID] != ev_vid:
        a = -1
        for b in range(cnt[C_HWM]):
            if vi[b, I_LOC] != LOC_FREE and vi[b, I_VID] == ev_vid:
                a = b
                break
        if a < 0:
            if ev[EV_STATE] == 1:
                ev[EV_STATE] = 2
            ev[EV_SLOT] = -1
            return -1
        ev[EV_SLOT] = a
        ev[EV_STATE] = 1
    if vi[a, I_LOC] != LOC_MAIN:
        return -1
    d = vi[a, I_DIR]
    if cp[CP_EV_PREEMPT] <= 0.0:
        return d
    x = vf[a, F_X]
    reach = max(cp[CP_EV_DET_M], cp[CP_EV_ETA_S] * par[P_V_MAIN] * np.float64(vs[a, S_SF]))
    for k in range(vi[a, I_LINK], n):
        if js[d, k] - x > reach:
            break
        want[jmap[d, k]] = 1
    return d


@njit(cache=True)
def run_steps_ctl(step0, n_steps, par, seed, cp, nph, pkind, pserve, pf, cycoff, mu, rthru, s2m, tgt,
                  cs, cf, call, lastocc, press, pacc, want, ev, sig_log,
                  js, jmap, nl, side_nl, prot_left, bay, vf, vs, vi, vnew, free, fifo, fhc, sfifo, shc,
                  pocket, bfifo, bhc, block, dem_f, dem_i, dem_off, dem_ptr, rec_f, rec_i, qmax, qmax_side, cnt,
                  traj, traj_every):
    """:func:`run_steps` with the signal states from the controllers: per step, detector/queue
    readings (:func:`ctl_measure`), controller update (:func:`ctl_update`), then the same step.
    ``sig_log[step]`` (when it has that row) records the states; cyclic max-pressure sums each
    phase's pressure x dt (and the seconds, last column) of the cycle in ``pacc``."""
    n = js.shape[1]
    dt = par[P_DT]
    cyclic = np.int64(cp[CP_MODE]) == CTL_CYCLIC
    lastcol = pacc.shape[1] - 1
    sig = np.empty((n, pserve.shape[2]), np.int8)
    qcount = np.zeros((2, n), np.int64)
    qside = np.zeros((n, 2), np.int64)
    coop = np.empty((2, n, fifo.shape[2], 2))
    for st in range(n_steps):
        step = step0 + st
        t = step * dt
        tc = step_signal_time(step, dt)  # the controllers' clock: a switch due within the step acts at its start
        ev_dir = ctl_measure(tc, par, cp, nph, pserve, pkind, mu, rthru, s2m, js, jmap, nl, side_nl, vf, vs, vi,
                             fifo, fhc, sfifo, shc, pocket, bfifo, bhc, cs, call, lastocc, press, want, ev, cnt)
        if cyclic:
            for i in range(n):
                for k in range(nph[i]):
                    pacc[i, k] += press[i, k] * dt
                pacc[i, lastcol] += dt
        ctl_update(tc, cp, nph, pkind, pserve, pf, cycoff, tgt, cs, cf, call, lastocc, press, pacc, want, ev_dir, sig)
        if step < sig_log.shape[0]:
            sig_log[step] = sig
        _advance(step, t, sig, par, seed, js, jmap, nl, side_nl, prot_left, bay, vf, vs, vi, vnew, free,
                 fifo, fhc, sfifo, shc, pocket, bfifo, bhc, block, dem_f, dem_i, dem_off, dem_ptr, rec_f, rec_i,
                 qmax, qmax_side, cnt, traj, traj_every, qcount, qside, coop)
