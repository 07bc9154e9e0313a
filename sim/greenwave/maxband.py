"""Green-wave offsets by MAXBAND / MULTIBAND, a mixed-integer LP solved with HiGHS (``scipy.optimize.milp``),
and :func:`band_of`, which measures the two-way green band of any plan geometrically.

MAXBAND: Little, J.D.C. (1966) "The synchronization of traffic signals by mixed-integer linear
programming", Operations Research 14(4), 568-594; Little, J.D.C., Kelson, M.D. & Gartner, N.H. (1981)
"MAXBAND: a program for setting signals on arteries and triangular networks", Transportation Research
Record 795, 40-46. MULTIBAND: Gartner, N.H., Assmann, S.F., Lasaga, F. & Hou, D.L. (1991) "A
multi-band approach to arterial traffic signal optimization", Transportation Research B 25(1), 55-74.

Formulation (all times in cycles; z = 1/C). Signal i's out-direction through green starts at phi_i and
lasts g_i; its in-direction green starts at phi_i + theta_i and lasts gbar_i, where g, gbar, theta
follow from the (fixed) splits and the chosen left-turn sequence. w_i (wbar_i) is the time from the
start of the out (in) green to the centre line of the band at signal i, t_i (tbar_i) the travel time on
link i out (in), m_i integer. Constraints (the paper's, written on the band centre line):

* band inside green: ``b/2 + tau_i z + f_i <= w_i <= g_i - b/2`` (same inbound), queue clearance tau (s)
  or f (a share of the cycle: a queue built each cycle, cleared at saturation flow);
* loop (phi eliminated): ``t_i + tbar_i + (w_i - w_{i+1}) + (wbar_{i+1} - wbar_i) - (theta_i - theta_{i+1}) = m_i``;
* speeds: ``d_i z / v_max <= t_i <= d_i z / v_min``; change of reciprocal speed between links
  ``|d_i/d_{i+1} t_{i+1} - t_i| <= d_i z Delta(1/v)`` (zero: one design speed each way);
* cycle: ``1/C_max <= z <= 1/C_min``; target ratio ``(1-k) bbar >= (1-k) k b``;
* objective ``max b + k bbar`` with k = inbound / outbound volume.

Splits are kept: each phase's green is its share of the cycle's green time (cycle minus the fixed
yellows and all-reds), so every green and start time is affine in C and linear in z once divided by C.
Left-turn sequences (lead-lead, lag-lag, lead-lag, lag-lead; the paper's delta_i, deltabar_i) are one-hot
binaries pi_ip per signal with y_ip = pi_ip z linearised exactly (McCormick; pi binary). MULTIBAND
gives every link its own band b_i, bbar_i around the common centre line, weighted by
``(V_i / S_i)^p`` in the objective.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
from scipy.sparse import coo_matrix

from sim.greenwave.corridor import link_volumes_vph
from sim.greenwave.plan import Corridor, Phase, Plan, SignalTiming
from twin.errors import InputError

LEFT_PATTERNS = ("lead_lead", "lag_lag", "lead_lag", "lag_lead")
_DC_S = 10.0  # cycle step used to read the affine coefficients of a timing


# ------------------------------------------------------------------------------ band measurement
def _common_window(starts: np.ndarray, lengths: np.ndarray, cycle_s: float) -> float:
    """Longest time window common to all periodic windows [s_i + kC, s_i + kC + l_i] (seconds)."""
    if np.any(lengths <= 0):
        return 0.0
    part = lengths < cycle_s - 1e-12
    if not part.any():
        return float(cycle_s)
    idx = np.flatnonzero(part)
    ref = idx[int(np.argmin(lengths[idx]))]
    a0 = float(starts[ref])
    pieces = [(a0, a0 + float(lengths[ref]))]
    for i in idx:
        if i == ref:
            continue
        base = starts[i] + cycle_s * np.floor((a0 - starts[i]) / cycle_s)
        new = []
        for k in (-1, 0, 1, 2):
            lo = base + k * cycle_s
            hi = lo + lengths[i]
            for p, q in pieces:
                x, y = max(p, lo), min(q, hi)
                if y >= x:
                    new.append((x, y))
        if not new:
            return 0.0
        new.sort()
        merged = [new[0]]
        for p, q in new[1:]:
            if p <= merged[-1][1] + 1e-12:
                merged[-1] = (merged[-1][0], max(merged[-1][1], q))
            else:
                merged.append((p, q))
        pieces = merged
    return float(max(q - p for p, q in pieces))


def _link_speeds(v: float | Sequence[float] | np.ndarray, n_links: int, what: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(v, dtype=float), (n_links,)) if np.ndim(v) == 0 else np.asarray(v, float)
    if arr.shape != (n_links,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(f"{what} {v!r}: expected a positive speed (m/s) or one per link ({n_links})")
    return arr


def band_of(plan: Plan, corridor: Corridor, speed_out_m_s: float | Sequence[float],
            speed_in_m_s: float | Sequence[float], clearance_s: Any = None) -> tuple[float, float]:
    """The two-way green bandwidth of any plan, seconds: the longest window of entry times for which a
    vehicle travelling at the given speeds (one, or one per link) passes every signal in its green.

    Out: entering at the first signal; in: entering at the last. Greens are the displayed greens of the
    through movements ("out"/"in" windows of :class:`SignalTiming`); all signals must share one cycle.
    ``clearance_s`` (n, 2): seconds at the start of each green left to a queue (out, in; the
    band plan's ``meta["queue_clearance_s"]``), so that the band is the one after the queues.
    """
    n = len(corridor)
    if len(plan.timings) != n:
        raise InputError(f"plan {plan.name!r}: has {len(plan.timings)} timings; expected {n}, one per signal")
    cyc = np.array([t.cycle_s for t in plan.timings])
    if np.ptp(cyc) > 1e-9:
        raise InputError(f"plan {plan.name!r}: cycles {sorted(set(cyc.tolist()))} s differ; a green band "
                         "needs one common cycle")
    c = float(cyc[0])
    d = corridor.spacings_m
    vo = _link_speeds(speed_out_m_s, n - 1, "speed_out_m_s")
    vi = _link_speeds(speed_in_m_s, n - 1, "speed_in_m_s")
    t_out = np.concatenate([[0.0], np.cumsum(d / vo)])
    t_in = np.concatenate([np.cumsum((d / vi)[::-1])[::-1], [0.0]])
    wo = np.array([t.window("out")[:2] for t in plan.timings])
    wi = np.array([t.window("in")[:2] for t in plan.timings])
    if clearance_s is not None:
        cl = np.asarray(clearance_s, float).reshape(n, 2)
        wo, wi = wo + np.column_stack([cl[:, 0], -cl[:, 0]]), wi + np.column_stack([cl[:, 1], -cl[:, 1]])
    return (_common_window(wo[:, 0] - t_out, wo[:, 1], c), _common_window(wi[:, 0] - t_in, wi[:, 1], c))


# ------------------------------------------------------------------------- signal candidates
@dataclass
class _Cand:
    """One phase sequence a signal may run, with its window geometry affine in the cycle."""

    pattern: str
    phases: list[Phase]  # at the reference cycle
    lead_out: bool = False  # delta_i: the out-direction left turn leads
    lead_in: bool = False  # deltabar_i
    lost_s: float = 0.0
    shares: np.ndarray = field(default_factory=lambda: np.zeros(0))
    coef: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (const, z) in cycles
    c_floor_s: float = 0.0  # shortest cycle keeping every green >= min_green_s

    def timing(self, cycle_s: float, offset_s: float = 0.0) -> SignalTiming:
        avail = cycle_s - self.lost_s
        ph = [replace(p, green_s=float(s * avail)) for p, s in zip(self.phases, self.shares)]
        return SignalTiming(cycle_s, offset_s, ph)


def _pattern(phases: list[Phase]) -> str:
    names = [p.name for p in phases]
    if "main_out" in names and "main_in" in names:
        return "lead_lag" if names.index("main_out") < names.index("main_in") else "lag_lead"
    if "left" in names and "main" in names:
        return "lead_lead" if names.index("left") < names.index("main") else "lag_lag"
    if "main_out" in names:
        return "lead_lag" if names.index("main_out") < names.index("main") else "lag_lead"
    if "main_in" in names:
        return "lag_lead" if names.index("main_in") < names.index("main") else "lead_lag"
    return "two_phase"


def _make_cand(pattern: str, phases: list[Phase], min_green_s: float) -> _Cand:
    c_ref = sum(p.length_s for p in phases)
    lost = sum(p.yellow_s + p.all_red_s for p in phases)
    greens = np.array([p.green_s for p in phases])
    shares = greens / greens.sum()
    lead_out = pattern in ("lead_lead", "lead_lag")
    lead_in = pattern in ("lead_lead", "lag_lead")
    cand = _Cand(pattern, list(phases), lead_out, lead_in, lost, shares)
    pos = shares > 0
    cand.c_floor_s = float(lost + (min_green_s / shares[pos]).max()) if pos.any() else lost
    vals = []
    for cyc in (c_ref, c_ref + _DC_S):
        t = cand.timing(cyc)
        so, go, _ = t.window("out")
        si, gi, _ = t.window("in")
        vals.append(np.array([go, gi, si - so, so]))
    slope = (vals[1] - vals[0]) / _DC_S
    icpt = vals[0] - slope * c_ref
    # value_s(C) = icpt + slope C  ->  value / C = slope + icpt z
    for k, name in enumerate(("g_out", "g_in", "theta", "out_start")):
        cand.coef[name] = (float(slope[k]), float(icpt[k]))
    return cand


def _candidates(t: SignalTiming, name: str, left_sequence: str, min_green_s: float) -> list[_Cand]:
    """The given sequence, or (left_sequence='optimize' and protected left phases) the four left-turn
    sequences with the same left, main-street and side-street times."""
    given = _make_cand(_pattern(t.phases), t.phases, min_green_s)
    if given.coef["g_out"] == (0.0, 0.0) or given.coef["g_in"] == (0.0, 0.0):
        raise InputError(f"timing of intersection {name!r}: no green for the main-street through movement "
                         "(phases 'main', 'main_out' or 'main_in'); expected one each way")
    if left_sequence == "keep" or given.pattern == "two_phase":
        return [given]
    lo = t.window("left_out")[1]
    li = t.window("left_in")[1]
    side = [p for p in t.phases if p.name == "side"]
    mains = [p for p in t.phases if p.name != "side"]
    group = sum(p.length_s for p in mains)
    ref = mains[0]

    def ph(nm: str, g: float) -> Phase:
        return Phase(nm, float(g), ref.yellow_s, ref.all_red_s)

    inter = ref.yellow_s + ref.all_red_s
    g2 = group - 2 * inter - max(lo, li)  # main green with one left phase
    g3 = group - 3 * inter - lo - li  # main green between a leading and a lagging left
    seqs = {"lead_lead": [ph("left", max(lo, li)), ph("main", g2)],
            "lag_lag": [ph("main", g2), ph("left", max(lo, li))],
            "lead_lag": [ph("main_out", lo), ph("main", g3), ph("main_in", li)],
            "lag_lead": [ph("main_in", li), ph("main", g3), ph("main_out", lo)]}
    out = []
    for pat, seq in seqs.items():
        if min(p.green_s for p in seq) >= min_green_s - 1e-9:
            out.append(given if pat == given.pattern else _make_cand(pat, seq + side, min_green_s))
    return out or [given]


# ------------------------------------------------------------------------------------- the MILP
@dataclass
class _Spec:
    cycle_s: tuple[float, float]
    speed_out_m_s: tuple[float, float]
    speed_in_m_s: tuple[float, float]
    dinv_s_m: float | None  # limit on the change of 1/v between links; 0 = one design speed
    min_band_s: tuple[float, float]
    tau_s: np.ndarray  # (n, 2) queue clearance out / in, seconds
    tau_frac: np.ndarray | None = None  # (n, 2) queue clearance out / in, shares of the cycle


class _Rows:
    def __init__(self) -> None:
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []

    def add(self, terms: dict[int, float], lb: float, ub: float) -> None:
        k = len(self.lb)
        for col, val in terms.items():
            if val != 0.0:
                self.r.append(k)
                self.c.append(col)
                self.v.append(val)
        self.lb.append(lb)
        self.ub.append(ub)


def _add(*ds: dict[int, float]) -> dict[int, float]:
    out: dict[int, float] = {}
    for d in ds:
        for k, v in d.items():
            out[k] = out.get(k, 0.0) + v
    return out


def _solve(cands: list[list[_Cand]], d_m: np.ndarray, spec: _Spec, *, multiband: bool, w_out: np.ndarray,
           w_in: np.ndarray, k_ratio: np.ndarray | None, time_limit_s: float,
           mip_rel_gap: float) -> tuple[OptimizeResult, dict[str, Any]]:
    """Build and solve the MILP; returns (scipy result, column index dict)."""
    n = len(cands)
    nl = n - 1
    nb = nl if multiband else 1
    col = 0

    def take(k: int) -> np.ndarray:
        nonlocal col
        idx = np.arange(col, col + k)
        col += k
        return idx

    iz, ib, ibb = take(1)[0], take(nb), take(nb)
    iw, iwb, it, itb, im = take(n), take(n), take(nl), take(nl), take(nl)
    ipi = [take(len(c)) for c in cands]
    iy = [take(len(c)) for c in cands]
    lb, ub = np.zeros(col), np.ones(col)
    integ = np.zeros(col)
    zmin, zmax = 1.0 / spec.cycle_s[1], 1.0 / spec.cycle_s[0]
    lb[iz], ub[iz] = zmin, zmax
    ub[it] = ub[itb] = np.inf
    vmin = min(spec.speed_out_m_s[0], spec.speed_in_m_s[0])
    lb[im] = -4.0
    ub[im] = np.ceil(2.0 * d_m * zmax / vmin) + 4.0
    integ[im] = 1
    rows = _Rows()
    for i in range(n):
        integ[ipi[i]] = 1
        if len(cands[i]) == 1:
            lb[ipi[i]] = 1.0
        ub[iy[i]] = zmax
        rows.add({int(p): 1.0 for p in ipi[i]}, 1.0, 1.0)
        for p, y in zip(ipi[i], iy[i]):  # y = pi z (McCormick, exact for binary pi)
            rows.add({int(y): 1.0, int(p): -zmax}, -np.inf, 0.0)
            rows.add({int(y): 1.0, int(p): -zmin}, 0.0, np.inf)
            rows.add({int(y): 1.0, int(iz): -1.0, int(p): -zmax}, -zmax, np.inf)  # y >= z - zmax (1 - pi)
            rows.add({int(y): 1.0, int(iz): -1.0, int(p): -zmin}, -np.inf, -zmin)  # y <= z - zmin (1 - pi)
        for c, p, y in zip(cands[i], ipi[i], iy[i]):  # the candidate's shortest cycle: z <= 1/floor if chosen
            if c.c_floor_s > spec.cycle_s[0] + 1e-9:
                rows.add({int(y): 1.0, int(p): -1.0 / c.c_floor_s}, -np.inf, 0.0)

    def expr(i: int, name: str) -> dict[int, float]:
        e: dict[int, float] = {}
        for c, p, y in zip(cands[i], ipi[i], iy[i]):
            a, b = c.coef[name]
            e[int(p)] = e.get(int(p), 0.0) + a
            e[int(y)] = e.get(int(y), 0.0) + b
        return e

    tf = spec.tau_frac if spec.tau_frac is not None else np.zeros((n, 2))
    g_out = [expr(i, "g_out") for i in range(n)]
    g_in = [expr(i, "g_in") for i in range(n)]
    theta = [expr(i, "theta") for i in range(n)]
    for j in range(nl):
        bo, bi = int(ib[j if multiband else 0]), int(ibb[j if multiband else 0])
        for s in ((j, j + 1) if multiband or j == 0 else (j + 1,)):
            w, wb = int(iw[s]), int(iwb[s])
            rows.add({w: 1.0, bo: -0.5, int(iz): -spec.tau_s[s, 0]}, tf[s, 0], np.inf)
            rows.add(_add({w: 1.0, bo: 0.5}, {k: -v for k, v in g_out[s].items()}), -np.inf, 0.0)
            rows.add({wb: 1.0, bi: -0.5, int(iz): -spec.tau_s[s, 1]}, tf[s, 1], np.inf)
            rows.add(_add({wb: 1.0, bi: 0.5}, {k: -v for k, v in g_in[s].items()}), -np.inf, 0.0)
        # loop: t + tbar + w_j - w_{j+1} + wbar_{j+1} - wbar_j - theta_j + theta_{j+1} - m = 0
        loop = _add({int(it[j]): 1.0, int(itb[j]): 1.0, int(iw[j]): 1.0, int(iw[j + 1]): -1.0,
                     int(iwb[j + 1]): 1.0, int(iwb[j]): -1.0, int(im[j]): -1.0},
                    {k: -v for k, v in theta[j].items()}, theta[j + 1])
        rows.add(loop, 0.0, 0.0)
        for tcol, (v_lo, v_hi) in ((it[j], spec.speed_out_m_s), (itb[j], spec.speed_in_m_s)):
            rows.add({int(tcol): 1.0, int(iz): -d_m[j] / v_hi}, 0.0, np.inf)
            rows.add({int(tcol): 1.0, int(iz): -d_m[j] / v_lo}, -np.inf, 0.0)
        if spec.dinv_s_m is not None and j < nl - 1:
            for tcol in (it, itb):
                base = {int(tcol[j + 1]): d_m[j] / d_m[j + 1], int(tcol[j]): -1.0}
                if spec.dinv_s_m == 0:
                    rows.add(base, 0.0, 0.0)
                else:
                    rows.add(_add(base, {int(iz): d_m[j] * spec.dinv_s_m}), 0.0, np.inf)
                    rows.add(_add(base, {int(iz): -d_m[j] * spec.dinv_s_m}), -np.inf, 0.0)
    for j in range(nb):
        rows.add({int(ib[j]): 1.0, int(iz): -spec.min_band_s[0]}, 0.0, np.inf)
        rows.add({int(ibb[j]): 1.0, int(iz): -spec.min_band_s[1]}, 0.0, np.inf)
        if k_ratio is not None and abs(1.0 - k_ratio[j]) > 1e-12:
            k = float(k_ratio[j])  # (1-k) bbar >= (1-k) k b
            rows.add({int(ibb[j]): 1.0 - k, int(ib[j]): -(1.0 - k) * k}, 0.0, np.inf)
    cvec = np.zeros(col)
    cvec[ib] = -w_out
    cvec[ibb] = -w_in
    a = coo_matrix((rows.v, (rows.r, rows.c)), shape=(len(rows.lb), col)).tocsr()
    res = milp(cvec, integrality=integ, bounds=Bounds(lb, ub),
               constraints=LinearConstraint(a, np.array(rows.lb), np.array(rows.ub)),
               options={"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_rel_gap), "presolve": True})
    cols = {"z": iz, "b": ib, "bb": ibb, "w": iw, "wb": iwb, "t": it, "tb": itb, "m": im, "pi": ipi, "y": iy}
    return res, cols


def _ok(res: OptimizeResult, cols: dict[str, Any]) -> bool:
    """Solved with some band: an optimal (or time-limited) point whose bands are not both zero."""
    if res.x is None or res.status not in (0, 1):
        return False
    return float(res.x[cols["b"]].sum() + res.x[cols["bb"]].sum()) > 1e-7


# ------------------------------------------------------------------------------------ public API
def maxband(corridor: Corridor, plan: Plan | None = None, *, speed_kph: tuple[float, float] | None = None,
            speed_in_kph: tuple[float, float] | None = None, speed_change_kph: float | None = None,
            cycle_range_s: tuple[float, float] | None = None, multiband: bool = False, k: float | None = None,
            ratio_constraint: bool = True, weight_power: float = 2.0, left_sequence: str = "optimize",
            min_band_s: float | tuple[float, float] = 0.0, queue_clearance_s: Any = None,
            queue_clearance_frac: Any = None,
            min_green_s: float = 5.0, time_limit_s: float = 10.0, mip_rel_gap: float = 1e-6) -> Plan:
    """Offsets (and cycle, design speeds, left-turn sequences) maximising the two-way green band.

    ``plan``: the splits to keep (default :func:`~sim.greenwave.webster.webster_timing`); one common
    cycle. ``speed_kph`` (``speed_in_kph``, default the same): design speed range, default 0.75-1.0 x the
    speed limit. ``speed_change_kph``: allowed speed change between links, converted to a limit on the
    change of reciprocal speed ``Dv / v_m^2`` at the mid design speed v_m; None = one design speed each
    way. ``cycle_range_s``: default from the plan's cycle to 1.25 x it (at most 150 s); longer cycles keep
    the splits' shares, so no degree of saturation rises. ``k``: inbound weight (default inbound /
    outbound volume); ``ratio_constraint`` adds the paper's ``(1-k) bbar >= (1-k) k b``. ``multiband``:
    link bands weighted by ``(V_i / S_i)^weight_power`` (Gartner et al. 1991). ``left_sequence``:
    'optimize' the lead/lag order of protected left phases, or 'keep' it. ``min_band_s``: a band each way
    that must be reached; ``queue_clearance_s``: (n,) or (n, 2) seconds the band starts after the green;
    ``queue_clearance_frac``: the same as shares of the cycle (a queue that builds each cycle, e.g.
    :func:`joiner_clearance_frac`, clears in a fixed share of it whatever the cycle).

    Returns a :class:`Plan` whose out-direction greens start where the band solution puts them, with
    ``band_out_s``/``band_in_s`` (MAXBAND: the MILP bands; MULTIBAND: the through bands measured by
    :func:`band_of`, the link bands in ``meta``), space-mean design speeds, and ``meta`` with the gap,
    status, objective, cycle, offsets, red times, per-link speeds and sequences. Raises
    :class:`InputError` naming the constraint group to relax when no band exists.
    """
    from sim.greenwave.webster import webster_timing

    n = len(corridor)
    if n < 2:
        raise InputError(f"corridor {corridor.name!r}: has {n} signal(s); expected at least 2")
    if plan is None:
        plan = webster_timing(corridor)
    if len(plan.timings) != n:
        raise InputError(f"plan {plan.name!r}: has {len(plan.timings)} timings; expected {n}, one per signal")
    cyc = np.array([t.cycle_s for t in plan.timings])
    if np.ptp(cyc) > 1e-9:
        raise InputError(f"plan {plan.name!r}: cycles {sorted(set(cyc.tolist()))} s differ; expected one common cycle")
    if left_sequence not in ("optimize", "keep"):
        raise InputError(f"left_sequence {left_sequence!r}: expected 'optimize' or 'keep'")
    c_plan = float(cyc[0])
    if cycle_range_s is None:
        cycle_range_s = (c_plan, max(c_plan, min(1.25 * c_plan, 150.0)))
    c_lo, c_hi = (float(v) for v in cycle_range_s)
    if not 0 < c_lo <= c_hi:
        raise InputError(f"cycle_range_s {cycle_range_s!r}: expected 0 < min <= max seconds")
    lim = float(corridor.speed_kph)
    s_out = tuple(float(v) for v in (speed_kph if speed_kph is not None else (0.75 * lim, lim)))
    s_in = tuple(float(v) for v in (speed_in_kph if speed_in_kph is not None else s_out))
    for nm, s in (("speed_kph", s_out), ("speed_in_kph", s_in)):
        if len(s) != 2 or not 0 < s[0] <= s[1]:
            raise InputError(f"{nm} {s!r}: expected (min, max) km/h with 0 < min <= max")
    if speed_change_kph is None:
        dinv = 0.0
    else:
        if speed_change_kph < 0:
            raise InputError(f"speed_change_kph {speed_change_kph!r}: expected a non-negative speed change")
        vm = 0.25 * (s_out[0] + s_out[1] + s_in[0] + s_in[1]) / 3.6
        dinv = float(speed_change_kph) / 3.6 / vm ** 2
    mb = (float(min_band_s), float(min_band_s)) if np.ndim(min_band_s) == 0 else tuple(map(float, min_band_s))
    tau, frac = np.zeros((n, 2)), np.zeros((n, 2))
    for name, given, dst, unit in (("queue_clearance_s", queue_clearance_s, tau, "seconds"),
                                   ("queue_clearance_frac", queue_clearance_frac, frac, "shares of the cycle")):
        if given is None:
            continue
        q = np.asarray(given, float)
        if q.shape == (n,):
            q = np.column_stack([q, q])
        if q.shape != (n, 2) or np.any(q < 0) or not np.all(np.isfinite(q)) or (dst is frac and np.any(q >= 1)):
            raise InputError(f"{name}: expected {n} (or {n} x 2) non-negative {unit}"
                             + (" below 1" if dst is frac else "") + f", got shape {q.shape}")
        dst[:] = q
    spec = _Spec((c_lo, c_hi), (s_out[0] / 3.6, s_out[1] / 3.6), (s_in[0] / 3.6, s_in[1] / 3.6), dinv, mb, tau,
                 frac)

    cands = [_candidates(t, it.name, left_sequence, min_green_s) for t, it in zip(plan.timings, corridor.intersections)]
    for it, cs in zip(corridor.intersections, cands):
        if min(c.c_floor_s for c in cs) > c_hi + 1e-9:
            raise InputError(f"infeasible: the cycle range {c_lo:g}-{c_hi:g} s is too short for greens of at least "
                             f"{min_green_s:g} s at {it.name!r} (needs {min(c.c_floor_s for c in cs):.1f} s); "
                             "widen the cycle range")
    d = corridor.spacings_m
    if np.any(d <= 0):
        raise InputError(f"corridor {corridor.name!r}: signal spacings {d.tolist()} m; expected increasing positions")
    v_out, v_in = link_volumes_vph(corridor)
    if multiband:
        s_o = np.array([it.lanes_out * it.sat_flow_vphpl for it in corridor.intersections[1:]])
        s_i = np.array([it.lanes_in * it.sat_flow_vphpl for it in corridor.intersections[:-1]])
        w_out, w_in = (v_out / s_o) ** weight_power, (v_in / s_i) ** weight_power
        scale = max(w_out.max(), w_in.max(), 1e-12)
        w_out, w_in = w_out / scale, w_in / scale
        kr = np.where(v_out > 0, v_in / np.maximum(v_out, 1e-12), 1.0) if ratio_constraint else None
        k_used = None
    else:
        if k is None:
            vo, vi = float(corridor.volume_out_vph), float(corridor.volume_in_vph)
            k = vi / vo if vo > 0 else (1.0 if vi <= 0 else 1e6)
        if not (np.isfinite(k) and k >= 0):
            raise InputError(f"k {k!r}: expected a non-negative inbound/outbound weight")
        w_out, w_in = (np.array([1.0]), np.array([k])) if k <= 1 else (np.array([1.0 / k]), np.array([1.0]))
        kr = np.array([k]) if ratio_constraint else None
        k_used = float(k)
    kw = dict(multiband=multiband, w_out=w_out, w_in=w_in, k_ratio=kr, time_limit_s=time_limit_s,
              mip_rel_gap=mip_rel_gap)
    t0 = time.perf_counter()
    res, cols = _solve(cands, d, spec, **kw)
    if not _ok(res, cols):
        _diagnose(cands, d, spec, kw, res)
    x = res.x
    z = float(x[cols["z"]])
    c = 1.0 / z
    w, tt, ttb = x[cols["w"]], x[cols["t"]], x[cols["tb"]]
    choice = [int(np.argmax(x[p])) for p in cols["pi"]]
    phi = np.concatenate([[0.0], np.cumsum(tt + w[:-1] - w[1:])])  # out-green start, cycles
    timings = []
    for cs, ch, ph in zip(cands, choice, phi):
        cand = cs[ch]
        start = cand.coef["out_start"][0] * c + cand.coef["out_start"][1]
        timings.append(cand.timing(c, float((ph * c - start) % c)))
    sp_out, sp_in = d / (tt * c), d / (ttb * c)
    b, bb = x[cols["b"]] * c, x[cols["bb"]] * c
    out = Plan(name="multiband" if multiband else "maxband", timings=timings,
               speed_out_m_s=float(d.sum() / (tt.sum() * c)), speed_in_m_s=float(d.sum() / (ttb.sum() * c)))
    meas = band_of(out, corridor, sp_out, sp_in)
    if multiband:
        out.band_out_s, out.band_in_s = meas
    else:
        out.band_out_s, out.band_in_s = float(b[0]), float(bb[0])
    g_out = np.array([t.window("out")[1] for t in timings]) / c
    g_in = np.array([t.window("in")[1] for t in timings]) / c
    gap = getattr(res, "mip_gap", None)
    out.meta = {
        "method": out.name, "status": int(res.status), "message": str(res.message),
        "gap": float(gap) if gap is not None else 0.0, "objective": float(-res.fun),
        "solve_s": time.perf_counter() - t0, "cycle_s": c, "k": k_used,
        "offsets_s": [float(t.offset_s) for t in timings],
        "out_green_start_s": [float((p * c) % c) for p in phi],
        "band_out_frac": float(out.band_out_s / c), "band_in_frac": float(out.band_in_s / c),
        "red_out_frac": (1.0 - g_out).tolist(), "red_in_frac": (1.0 - g_in).tolist(),
        "speeds_out_m_s": sp_out.tolist(), "speeds_in_m_s": sp_in.tolist(),
        "sequences": [cs[ch].pattern for cs, ch in zip(cands, choice)],
        "delta": [bool(cs[ch].lead_out) for cs, ch in zip(cands, choice)],
        "delta_bar": [bool(cs[ch].lead_in) for cs, ch in zip(cands, choice)],
        "m": np.round(x[cols["m"]]).astype(int).tolist(),
        "band_measured_s": [float(meas[0]), float(meas[1])],  # band_of at the design speeds (no queue clearance)
    }
    if tau.any() or frac.any():  # seconds of each green left to the queue (out, in) at this cycle
        out.meta["queue_clearance_s"] = (tau + frac * c).tolist()
    if multiband:
        out.meta["link_bands_out_s"] = b.tolist()
        out.meta["link_bands_in_s"] = bb.tolist()
    if res.status == 1:
        warnings.warn(f"{out.name}: stopped at the time limit {time_limit_s:g} s with gap {out.meta['gap']:.2g}",
                      stacklevel=2)
    return out


def joiner_clearance_frac(corridor: Corridor, joining_lanes: int = 2) -> np.ndarray:
    """(n, 2) float64: MAXBAND's queue clearance (Little, Kelson & Gartner 1981, the tau_i of the band
    constraints) as a share of the cycle, for the vehicles that turned onto the corridor from the
    cross street of the previous signal in each direction: half of its ``side_to_main`` traffic goes
    each way, in at most ``joining_lanes`` lanes (right turners into the kerb lane, left turners
    into the median lane), and the queue they form at the next signal, one cycle's worth, clears at
    saturation flow: ``0.5 side_to_main V_side / (min(lanes, joining_lanes) s)``. An upper bound:
    every joiner is taken to be stopped there. The first signal of each direction gets 0 (what
    arrives there is not the corridor's). Column 0 out, 1 in."""
    its = corridor.intersections
    n = len(its)
    out = np.zeros((n, 2))
    join = [0.5 * it.side_to_main * it.side_volume_vph for it in its]
    for i in range(1, n):  # out: joiners from signal i - 1 queue at signal i
        out[i, 0] = join[i - 1] / (min(its[i].lanes_out, joining_lanes) * its[i].sat_flow_vphpl)
    for i in range(n - 1):  # in: joiners from signal i + 1 queue at signal i
        out[i, 1] = join[i + 1] / (min(its[i].lanes_in, joining_lanes) * its[i].sat_flow_vphpl)
    return out


def multiband(corridor: Corridor, plan: Plan | None = None, **kw: Any) -> Plan:
    """MULTIBAND (Gartner et al. 1991): :func:`maxband` with link-specific bands; same options."""
    return maxband(corridor, plan, multiband=True, **kw)


def _diagnose(cands: list[list[_Cand]], d: np.ndarray, spec: _Spec, kw: dict[str, Any],
              res: OptimizeResult) -> None:
    """Relax one constraint group at a time and raise an InputError naming those whose relaxation alone
    gives a band."""
    if res.x is None and res.status not in (2,):
        raise InputError(f"maxband: the solver stopped without a solution ({res.message}); "
                         "expected a solvable problem - raise time_limit_s")
    relax = {
        "cycle range": replace(spec, cycle_s=(20.0, 300.0)),
        "speed range": replace(spec, speed_out_m_s=(spec.speed_out_m_s[0] / 3, spec.speed_out_m_s[1] * 2),
                               speed_in_m_s=(spec.speed_in_m_s[0] / 3, spec.speed_in_m_s[1] * 2)),
    }
    if spec.dinv_s_m is not None:
        relax["speed change"] = replace(spec, dinv_s_m=None)
    if max(spec.min_band_s) > 0:
        relax["minimum band"] = replace(spec, min_band_s=(0.0, 0.0))
    if spec.tau_s.any() or (spec.tau_frac is not None and spec.tau_frac.any()):
        relax["queue clearance"] = replace(spec, tau_s=np.zeros_like(spec.tau_s), tau_frac=None)
    helps = []
    for name, sp in relax.items():
        r, cols = _solve(cands, d, sp, **{**kw, "time_limit_s": min(kw["time_limit_s"], 5.0)})
        if _ok(r, cols):
            helps.append(name)
    kph = lambda s: f"{s[0] * 3.6:g}-{s[1] * 3.6:g} km/h"  # noqa: E731
    speeds = kph(spec.speed_out_m_s) + ("" if spec.speed_in_m_s == spec.speed_out_m_s else
                                        f" out, {kph(spec.speed_in_m_s)} in")
    band = (f" of {spec.min_band_s[0]:g}/{spec.min_band_s[1]:g} s (out/in)" if max(spec.min_band_s) > 0 else "")
    change = ("one design speed each way" if spec.dinv_s_m == 0 else "no limit on speed change"
              if spec.dinv_s_m is None else f"a reciprocal-speed change of {spec.dinv_s_m:.2g} s/m")
    what = (f"infeasible: the cycle range {spec.cycle_s[0]:g}-{spec.cycle_s[1]:g} s cannot give a band{band} at "
            f"speeds {speeds} ({change})")
    advice = {"cycle range": "widen the cycle range (cycle_min_s / cycle_max_s)",
              "speed range": "widen the design speeds (design_speed_kph)",
              "speed change": "allow larger speed changes between links (speed_change_kph)",
              "minimum band": "lower the minimum band (min_band_s)",
              "queue clearance": "drop the queue clearance (queue_clearance: false)"}
    if helps:
        raise InputError(f"{what}; relax one of: {'; '.join(advice[h] for h in helps)}")
    raise InputError(f"{what}; relaxing no single group (cycle range, speed range, speed change, minimum band, "
                     "queue clearance) helps: expected longer through greens in the splits")


__all__ = ["band_of", "joiner_clearance_frac", "maxband", "multiband", "LEFT_PATTERNS"]
