"""Matching rescue resources to all open incidents at once: a MILP solved by HiGHS through
:func:`scipy.optimize.milp`, with greedy nearest-available dispatch as the baseline.

Model (one solve for all incidents; r resource rows, i incidents, n = (i, c) needs):

* ``x[r, i]`` integer: units of row r sent to incident i, ``0 <= x <= n_r`` (a team or expert
  row usually has one unit; ``quantity`` 4 boats are 4 units that may go to different
  incidents; a supply row's units are its stock). Pairs exist only where r has a capability i
  needs and a finite travel time.
* availability: ``sum_i x[r, i] <= n_r``. Rows with ``available`` false, or listed in
  ``exclude``, are left out.
* coverage: ``sum_r a[r, c] x[r, i] + u_n >= Q_n`` with ``a`` what one unit brings (1, or its
  pump rate / generator rating) and slack ``u_n`` (unmet quantity), so infeasible needs show
  up as unmet instead of making the MILP infeasible. A unit sent to i counts for every need
  of i it has the capability for.
* reserve: for every district d and resource type T in ``reserve``,
  ``sum_{r in (d, T)} sum_i x[r, i] <= n_dT - min(k_T, n_dT)``: k units (or all there are)
  stay at home in each district, n_dT counting the units available now (not excluded).
* objective: ``sum w_i c[r, i] x[r, i] / s_n + sum rho_n u_n`` with
  ``c = t + late_weight max(0, t - d[r, i])``, ``t`` the resource's travel time (reference
  road time / speed factor) and ``d[r, i]`` the earliest deadline among the needs of i that r
  serves; ``s_n`` is 1 for teams, equipment and experts and the need's quantity for supplies.
  Deadlines are soft: a late resource beats none, and the lateness is paid for and reported.
  This is the weighted sum of arrival times, each unit's arrival counting once (the
  transportation / p-median cost; Daskin, *Network and Discrete Location*, 2nd ed. 2013,
  ch. 5); a supply need counts as one unit, each part weighted by its share of the need (a
  whole need from one depot costs what one team from there costs), which keeps the supply
  block a transportation problem without fixed charges. The reported response time of an
  incident is its last arrival (max over its resources), with its first arrival.
* unmet penalty ``rho_n = w_i P / g_n`` per unit, ``P`` (``unmet_penalty_s``, default 10 x the
  longest effective travel time of any pair, at least 1 h) and ``g_n`` the need's granule: 1
  for counts, the smallest pump rate or generator rating present for those, the need's
  quantity for supplies. A granule left unmet costs more than any dispatch that could fill it,
  so the solver covers what it can and trades needs across incidents by grade weight.

The greedy baseline serves incidents by grade (I first, then input order), each need in
deadline order, always taking the nearest available resource that is not held in reserve
(nearest depot with stock for supplies). Its solution is feasible for the MILP, so the MILP
optimum is never worse. The MILP falls apart into independent blocks (resources and needs
that share no constraint, e.g. generators and power needs); each block is solved on its own,
and should one stop early with an incumbent worse than greedy's on that block (time limit),
the greedy part is kept and ``source`` says so.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from sim.drill.resources import CAPABILITIES, RESOURCE_COLUMNS, RESOURCE_TYPES, contributions
from sim.drill.rules import GRADES, Incident, Need, Rules
from twin.errors import InputError

GRADE_WEIGHTS: dict[str, float] = {"I": 8.0, "II": 4.0, "III": 2.0, "IV": 1.0}
DEFAULT_RESERVE: dict[str, int] = {"fire_team": 1, "medical_team": 1}
_EPS = 1e-9

TravelTimes = np.ndarray | Callable[[pd.DataFrame, Sequence[Incident]], np.ndarray]


@dataclass
class MatchResult:
    """Outcome of :func:`match`.

    ``assignments``: resource_id, incident_id, kind, type, serves, quantity, unit,
    travel_time_s, deadline_s, late_s, weight, cost_s. ``incidents``: incident_id, type, grade,
    weight, n_resources, first_arrival_s, response_time_s (last arrival), late_s, unmet_needs.
    ``needs``: incident_id, capability, unit, needed, covered, missing, deadline_s, arrival_s,
    penalty_per_unit_s, reason; ``unmet`` is its rows with ``missing > 0``.
    ``objective`` = ``travel_cost_s`` (sum of weighted effective travel times, s) +
    ``penalty_s`` (unmet needs). ``dual_bound`` is the sum of HiGHS's dual bounds over the
    independent blocks, ``mip_abs_gap_s`` = objective - dual bound and ``mip_gap`` that over the
    objective (0 = proven optimal). ``status``: ``optimal`` or ``time or node limit``;
    ``source``: ``milp``, or which blocks kept the greedy solution because the MILP incumbent
    was worse at the time limit. ``greedy_*`` describe the baseline (same objective);
    ``improvement_s`` = greedy objective - objective (>= 0).
    """

    assignments: pd.DataFrame
    incidents: pd.DataFrame
    needs: pd.DataFrame
    objective: float
    travel_cost_s: float
    penalty_s: float
    mip_gap: float
    mip_abs_gap_s: float
    dual_bound: float
    status: str
    source: str
    greedy_assignments: pd.DataFrame
    greedy_needs: pd.DataFrame
    greedy_objective: float
    greedy_travel_cost_s: float
    n_variables: int = 0
    n_constraints: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def unmet(self) -> pd.DataFrame:
        return self.needs[self.needs["missing"] > _EPS].reset_index(drop=True)

    @property
    def greedy_unmet(self) -> pd.DataFrame:
        return self.greedy_needs[self.greedy_needs["missing"] > _EPS].reset_index(drop=True)

    @property
    def improvement_s(self) -> float:
        return self.greedy_objective - self.objective

    @property
    def improvement_pct(self) -> float:
        return 100.0 * self.improvement_s / self.greedy_objective if self.greedy_objective > 0 else 0.0

    def summary(self) -> str:
        """A few lines for logs and reports."""
        u, gu = self.unmet, self.greedy_unmet
        return "\n".join([
            f"matching ({self.source}, {self.status}): {len(self.assignments)} dispatches to {len(self.incidents)} incidents",
            f"  objective {self.objective:.1f} s (weighted travel {self.travel_cost_s:.1f} s + unmet penalty "
            f"{self.penalty_s:.1f} s), MILP gap {self.mip_gap:.2e} ({self.mip_abs_gap_s:.3g} s)",
            f"  greedy nearest-available: {self.greedy_objective:.1f} s (travel {self.greedy_travel_cost_s:.1f} s), "
            f"improvement {self.improvement_s:.1f} s ({self.improvement_pct:.1f} %)",
            f"  unmet needs: {len(u)} (greedy {len(gu)})" + "".join(
                f"\n    {r.incident_id}: {r.capability} missing {r.missing:g} {r.unit} ({r.reason})"
                for r in u.itertuples()),
        ])


@dataclass
class _Problem:
    res_ids: list[str]
    inc: list[Incident]
    caps: list[str]
    A: np.ndarray            # (n_r, n_c) contribution of one unit
    supply: np.ndarray       # (n_r,) bool
    units: np.ndarray        # (n_r,) units on hand (stock for supplies), 0 when not available
    t: np.ndarray            # (n_r, n_i) effective travel time, inf = unreachable
    w: np.ndarray            # (n_i,)
    need_inc: np.ndarray
    need_cap: np.ndarray
    need_q: np.ndarray
    need_d: np.ndarray
    need_rho: np.ndarray
    nidx: np.ndarray         # (n_i, n_c) need row or -1
    pr: np.ndarray           # pairs: resource
    pi: np.ndarray           # pairs: incident
    pt: np.ndarray           # pairs: effective travel time
    pd_: np.ndarray          # pairs: deadline
    pcost: np.ndarray        # pairs: w (t + late) of a whole dispatch
    pcoef: np.ndarray        # pairs: objective coefficient per unit sent
    pub: np.ndarray          # pairs: upper bound of the units sent
    psup: np.ndarray         # pairs: bool, a supply row
    kidx: np.ndarray         # (n_r, n_i) pair index or -1
    group: np.ndarray        # (n_r,) reserve group or -1
    group_cap: np.ndarray    # (n_groups,) how many of the group may leave
    cover: sparse.csr_matrix  # (N, K): coverage of each need by the pair variables


def _check_times(tt: Any, n_r: int, n_i: int) -> np.ndarray:
    t = np.asarray(tt, dtype=float)
    if t.shape != (n_r, n_i):
        raise InputError(f"travel_time_s shape {t.shape}: expected (resources, incidents) = ({n_r}, {n_i})")
    if np.isnan(t).any() or (t < 0).any():
        r, i = np.argwhere(np.isnan(t) | (t < 0))[0]
        raise InputError(f"travel_time_s[{r}, {i}] = {t[r, i]}: expected >= 0 seconds (inf = unreachable)")
    return t


def _needs(incidents: Sequence[Incident], rules: Rules | None) -> list[tuple[Need, ...]]:
    out = []
    for inc in incidents:
        if rules is None and inc.needs is None:
            raise InputError(f"incident '{inc.incident_id}': no needs and no rules table: pass rules=load_rules()")
        nl = rules.needs_of(inc) if rules is not None else inc.needs
        for nd in nl:
            if nd.capability not in CAPABILITIES:
                raise InputError(f"incident '{inc.incident_id}' need {nd.capability!r}: no resource type serves it; "
                                 f"expected one of {sorted(CAPABILITIES)}")
            if not (nd.quantity > 0 and nd.deadline_s > 0):
                raise InputError(f"incident '{inc.incident_id}' need {nd.capability!r}: quantity {nd.quantity} and "
                                 f"deadline {nd.deadline_s} s: expected both > 0")
        caps_i = [nd.capability for nd in nl]
        if len(set(caps_i)) != len(caps_i):
            raise InputError(f"incident '{inc.incident_id}': capability listed twice in its needs {caps_i}")
        out.append(tuple(nl))
    return out


def _problem(resources: pd.DataFrame, incidents: Sequence[Incident], travel_time_s: TravelTimes, rules: Rules | None,
             reserve: Mapping[str, int], weights: Mapping[str, float], late_weight: float,
             unmet_penalty_s: float | None, exclude: Iterable[str]) -> _Problem:
    missing = [c for c in RESOURCE_COLUMNS if c not in resources.columns]
    if missing:
        raise InputError(f"resources: missing column {missing[0]!r}: expected a frame from load_resources/make_resources")
    ids = [str(v) for v in resources["resource_id"]]
    idset = set(ids)
    excl = set()
    for e in exclude:
        if str(e) not in idset:
            raise InputError(f"exclude: resource {e!r}: not in the resources (e.g. {ids[:3]})")
        excl.add(str(e))
    inc_ids = [i.incident_id for i in incidents]
    if len(set(inc_ids)) != len(inc_ids):
        dup = next(x for x in inc_ids if inc_ids.count(x) > 1)
        raise InputError(f"incident_id {dup!r} repeats: expected unique ids")
    for g in GRADES:
        if g not in weights or not (float(weights[g]) > 0 and np.isfinite(float(weights[g]))):
            raise InputError(f"weights[{g!r}] = {weights.get(g)!r}: expected a positive weight for each grade {list(GRADES)}")
    if not (np.isfinite(late_weight) and late_weight >= 0):
        raise InputError(f"late_weight {late_weight!r}: expected a number >= 0")
    for tname, k in reserve.items():
        if tname not in RESOURCE_TYPES:
            raise InputError(f"reserve type {tname!r}: expected one of {sorted(RESOURCE_TYPES)}")
        if RESOURCE_TYPES[tname].kind == "supply":
            raise InputError(f"reserve type {tname!r}: expected a team, equipment or expert type (supplies are stock)")
        if int(k) != k or k < 0:
            raise InputError(f"reserve[{tname!r}] = {k!r}: expected a whole number >= 0")
    needs_per_inc = _needs(incidents, rules)

    tt = travel_time_s(resources, incidents) if callable(travel_time_s) else travel_time_s
    t_ref = _check_times(tt, len(resources), len(incidents))
    keep = resources["available"].to_numpy(bool) & np.array([r not in excl for r in ids], bool)
    caps = list(CAPABILITIES)
    cj = {c: j for j, c in enumerate(caps)}
    A = contributions(resources, caps) * keep[:, None]
    supply = (resources["kind"] == "supply").to_numpy()
    units = resources["quantity"].to_numpy(float) * keep
    t = t_ref / resources["speed_factor"].to_numpy(float)[:, None]
    n_r, n_i, n_c = len(resources), len(incidents), len(caps)
    w = np.array([float(weights[inc.grade]) for inc in incidents])

    need_inc, need_cap, need_q, need_d = [], [], [], []
    nidx = -np.ones((n_i, n_c), np.int64)
    D = np.full((n_i, n_c), np.inf)
    for i, nl in enumerate(needs_per_inc):
        for nd in nl:
            nidx[i, cj[nd.capability]] = len(need_inc)
            need_inc.append(i), need_cap.append(cj[nd.capability]), need_q.append(float(nd.quantity))
            need_d.append(float(nd.deadline_s))
            D[i, cj[nd.capability]] = nd.deadline_s
    need_inc_a, need_cap_a = np.array(need_inc, np.int64), np.array(need_cap, np.int64)
    need_q_a, need_d_a = np.array(need_q), np.array(need_d)

    apos = A > 0
    # deadline of a pair: earliest deadline among the needs of i that r can serve
    d = np.full((n_r, n_i), np.inf)
    for j in np.flatnonzero(apos.any(axis=0) & np.isfinite(D).any(axis=0)):
        d = np.minimum(d, np.where(apos[:, j][:, None], D[None, :, j], np.inf))
    eligible = np.isfinite(d) & np.isfinite(t)
    pr, pi = np.nonzero(eligible)
    K = len(pr)
    kidx = -np.ones((n_r, n_i), np.int64)
    kidx[pr, pi] = np.arange(K)
    pt, pdl = t[pr, pi], d[pr, pi]
    pcost = w[pi] * (pt + late_weight * np.maximum(0.0, pt - pdl))
    psup = supply[pr]
    # units worth sending: enough for the largest need the row serves there (a supply row has
    # exactly one capability, resources.RESOURCE_TYPES, so its need's quantity)
    want = np.zeros(K)
    share = np.ones(K)
    for j in np.flatnonzero(apos.any(axis=0)):
        m = apos[pr, j] & (nidx[pi, j] >= 0)
        qn = need_q_a[nidx[pi[m], j]]
        want[m] = np.maximum(want[m], np.ceil(qn / A[pr[m], j] - 1e-9))
        share[m & psup] = qn[psup[m]]
    pcoef = pcost / share
    pub = np.minimum(units[pr], want)

    if unmet_penalty_s is None:
        P = 10.0 * max(3600.0, float(pt.max() * (1.0 + late_weight)) if K else 0.0)
    else:
        P = float(unmet_penalty_s)
        if not (np.isfinite(P) and P > 0):
            raise InputError(f"unmet_penalty_s {unmet_penalty_s!r}: expected a number > 0")
    gran = np.ones(len(need_q_a))
    for j, c in enumerate(caps):
        src = CAPABILITIES[c].source
        on = need_cap_a == j
        if src in ("pump_m3_h", "power_kw"):
            pos = A[:, j][A[:, j] > 0]
            gran[on] = pos.min() if len(pos) else 1.0
        elif src == "stock":
            gran[on] = need_q_a[on]
    need_rho = w[need_inc_a] * P / gran if len(need_inc_a) else np.zeros(0)

    rows, cols, vals = [], [], []
    for j in range(n_c):
        m = apos[pr, j] & (nidx[pi, j] >= 0)
        if m.any():
            ks = np.flatnonzero(m)
            # coefficient strengthening: one unit never counts for more than the need (valid for
            # integer x, tightens the LP bound of the knapsack-like pump and power needs)
            rows.append(nidx[pi[ks], j]), cols.append(ks)
            vals.append(np.minimum(A[pr[ks], j], need_q_a[nidx[pi[ks], j]]))
    N = len(need_inc)
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))
    cover = sparse.csr_matrix((cat(vals, float), (cat(rows, np.int64), cat(cols, np.int64))), shape=(N, K))

    # reserve groups: (district, type) with k > 0
    group = -np.ones(n_r, np.int64)
    counts: list[int] = []
    gkey: dict[tuple[str, str], int] = {}
    types, districts = resources["type"].to_numpy(), resources["district"].to_numpy()
    for r in np.flatnonzero(keep & ~supply):
        k = int(reserve.get(types[r], 0))
        if k <= 0:
            continue
        key = (str(districts[r]), str(types[r]))
        if key not in gkey:
            gkey[key] = len(counts)
            counts.append(0)
        group[r] = gkey[key]
        counts[gkey[key]] += int(units[r])
    group_cap = np.array([n - min(int(reserve[t_]), n) for (_, t_), n in zip(gkey, counts)], np.int64)
    return _Problem(ids, list(incidents), caps, A, supply, units, t, w, need_inc_a, need_cap_a, need_q_a, need_d_a,
                    need_rho, nidx, pr, pi, pt, pdl, pcost, pcoef, pub, psup, kidx, group, group_cap, cover)


def _evaluate(P: _Problem, z: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(travel cost, penalty, coverage per need) of a solution z (one value per pair)."""
    cov = P.cover @ z if P.cover.shape[0] else np.zeros(0)
    travel = float(P.pcoef @ z) if len(z) else 0.0
    penalty = float((P.need_rho * np.maximum(0.0, P.need_q - cov)).sum())
    return travel, penalty, cov


def _greedy(P: _Problem) -> np.ndarray:
    """Nearest-available dispatch, incidents by grade then input order, needs by deadline."""
    z = np.zeros(len(P.pr))
    left = P.units.copy()
    gleft = P.group_cap.copy()
    gi = np.maximum(P.group, 0)
    cov = np.zeros(len(P.need_q))
    rank = {g: k for k, g in enumerate(GRADES)}
    for i in sorted(range(len(P.inc)), key=lambda i: (rank[P.inc[i].grade], i)):
        ns = np.flatnonzero(P.need_inc == i)
        for n in ns[np.argsort(P.need_d[ns], kind="stable")]:
            j = P.need_cap[n]
            while cov[n] < P.need_q[n] - _EPS:
                cand = (P.kidx[:, i] >= 0) & (P.A[:, j] > 0) & (left > 0)
                if len(gleft):
                    cand &= (P.group < 0) | (gleft[gi] > 0)
                if not cand.any():
                    break
                rs = np.flatnonzero(cand)
                r = rs[np.argmin(P.t[rs, i])]
                k = P.kidx[r, i]
                take = min(left[r], np.ceil((P.need_q[n] - cov[n]) / P.A[r, j] - 1e-9))
                if P.group[r] >= 0:
                    take = min(take, gleft[P.group[r]])
                    gleft[P.group[r]] -= take
                left[r] -= take
                z[k] += take
                cov[ns] += take * P.A[r, P.need_cap[ns]]
    return z


def _model(P: _Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray, sparse.csr_matrix, np.ndarray, np.ndarray]:
    """The MILP over [x (one per pair), u (one per need)]: (c, ub, integrality, A, lo, hi)."""
    K, N = len(P.pr), len(P.need_q)
    nv = K + N
    c = np.concatenate([P.pcoef, P.need_rho])
    ub = np.concatenate([P.pub, P.need_q])
    integrality = np.concatenate([np.ones(K), np.zeros(N)])
    blocks = [sparse.hstack([P.cover, sparse.identity(N, format="csr")], format="csr")]
    lo, hi = [P.need_q], [np.full(N, np.inf)]

    def rows_for(keys: np.ndarray, ks: np.ndarray, cap: np.ndarray) -> None:
        """sum of x over pairs ks grouped by keys <= cap[key]; rows that cannot bind are left out."""
        if not len(ks):
            return
        uk, row = np.unique(keys, return_inverse=True)
        bind = np.bincount(row, weights=P.pub[ks], minlength=len(uk)) > cap[uk] + _EPS
        if not bind.any():
            return
        remap = -np.ones(len(uk), np.int64)
        remap[bind] = np.arange(int(bind.sum()))
        m = bind[row]
        blocks.append(sparse.csr_matrix((np.ones(int(m.sum())), (remap[row[m]], ks[m])), shape=(int(bind.sum()), nv)))
        lo.append(np.full(int(bind.sum()), -np.inf)), hi.append(cap[uk][bind].astype(float))

    rows_for(P.pr, np.arange(K), P.units)                                      # units on hand
    ks = np.flatnonzero(P.group[P.pr] >= 0)
    rows_for(P.group[P.pr[ks]], ks, P.group_cap.astype(float))                 # reserve per district and type
    return c, ub, integrality, sparse.vstack(blocks, format="csr"), np.concatenate(lo), np.concatenate(hi)


def _solve(P: _Problem, zg: np.ndarray, *, mip_rel_gap: float, mip_abs_gap_s: float, time_limit_s: float
           ) -> tuple[np.ndarray, str, str, float, int, int]:
    """Solve the MILP block by block (z, status, source, dual bound, n_vars, n_cons).

    The constraint matrix splits into independent blocks (e.g. generators and power needs
    share no row with fire teams): each is solved on its own, smallest first, within the
    remaining time, which keeps HiGHS's branch and bound on the small knapsack-like blocks
    from being swamped by the large easy one. Where a block's incumbent is worse than the
    greedy solution on that block (time limit), the greedy part is kept."""
    K, N = len(P.pr), len(P.need_q)
    c, ub, integ, Acon, lo, hi = _model(P)
    nv, ncon = K + N, Acon.shape[0]
    n_comp, lab = connected_components(sparse.bmat([[None, Acon], [Acon.T, None]], format="csr"), directed=False)
    row_lab, col_lab = lab[:ncon], lab[ncon:]
    cov_g = P.cover @ zg
    xg = np.concatenate([zg, np.maximum(0.0, P.need_q - cov_g)])
    z = np.zeros(K)
    bound, statuses, sources = 0.0, set(), set()
    t_end = time.perf_counter() + time_limit_s
    comps = [cc for cc in np.unique(col_lab)]
    size = np.bincount(col_lab, minlength=n_comp)
    for cc in sorted(comps, key=lambda cc: size[cc]):
        cols = np.flatnonzero(col_lab == cc)
        rows = np.flatnonzero(row_lab == cc)
        if not (cols < K).any():  # needs nobody can serve: slack only
            bound += float(c[cols] @ ub[cols])
            continue
        opts = {"mip_rel_gap": mip_rel_gap, "mip_abs_gap": mip_abs_gap_s, "presolve": False,
                "mip_heuristic_run_feasibility_jump": False,
                "time_limit": max(0.05, t_end - time.perf_counter())}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # mip_abs_gap goes to HiGHS verbatim
            res = milp(c[cols], integrality=integ[cols], bounds=Bounds(np.zeros(len(cols)), ub[cols]),
                       constraints=LinearConstraint(Acon[rows][:, cols], lo[rows], hi[rows]), options=opts)
        statuses.add({0: "optimal", 1: "time or node limit"}.get(res.status, "solver error"))
        bound += float(res.mip_dual_bound) if res.mip_dual_bound is not None else float("nan")
        g_obj = float(c[cols] @ xg[cols])
        xk = cols[cols < K]
        if res.x is not None:
            xs = np.round(res.x[: len(xk)])  # pair columns come first within cols (sorted)
            # the slack of a block's needs follows from its x: evaluate as in _evaluate
            cov = (P.cover[:, xk] @ xs)
            ns = cols[cols >= K] - K
            m_obj = float(P.pcoef[xk] @ xs + P.need_rho[ns] @ np.maximum(0.0, P.need_q[ns] - cov[ns]))
            if m_obj <= g_obj + 1e-9 * max(1.0, abs(g_obj)):
                z[xk] = xs
                sources.add("milp")
                continue
        z[xk] = zg[xk]
        sources.add("greedy")
    status = "optimal" if statuses <= {"optimal"} else "time or node limit" if "solver error" not in statuses \
        else "solver error"
    source = "milp" if sources <= {"milp"} else "greedy" if sources == {"greedy"} else "milp + greedy blocks"
    return z, status, source, bound, nv, ncon


def _frames(P: _Problem, z: np.ndarray, resources: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Assignments, incidents and needs tables of a solution z."""
    ks = np.flatnonzero(z > 0.5)
    _, _, cov = _evaluate(P, z)
    kinds, types, units = resources["kind"].to_numpy(), resources["type"].to_numpy(), resources["unit"].to_numpy()
    arows = []
    for k in ks:
        r, i = int(P.pr[k]), int(P.pi[k])
        serves = [P.caps[j] for j in np.flatnonzero(P.A[r] > 0) if P.nidx[i, j] >= 0]
        arows.append({"resource_id": P.res_ids[r], "incident_id": P.inc[i].incident_id, "kind": kinds[r],
                      "type": types[r], "serves": ";".join(serves),
                      "quantity": float(z[k]), "unit": units[r],
                      "travel_time_s": float(P.pt[k]), "deadline_s": float(P.pd_[k]),
                      "late_s": float(max(0.0, P.pt[k] - P.pd_[k])), "weight": float(P.w[i]),
                      "cost_s": float(P.pcoef[k] * z[k])})
    acols = ["resource_id", "incident_id", "kind", "type", "serves", "quantity", "unit", "travel_time_s", "deadline_s",
             "late_s", "weight", "cost_s"]
    assign = pd.DataFrame(arows, columns=acols)
    reach = np.isfinite(P.t)
    nrows = []
    for n in range(len(P.need_q)):
        i, j = int(P.need_inc[n]), int(P.need_cap[n])
        contrib = ks[(P.pi[ks] == i) & (P.A[P.pr[ks], j] > 0)]
        missing = max(0.0, float(P.need_q[n] - cov[n]))
        reason = ""
        if missing > _EPS:
            total = float((P.A[:, j] * P.units)[reach[:, i]].sum())
            reason = ("no resource with this capability can reach it" if total <= 0 else
                      "not enough in the resource set" if total < P.need_q[n] - _EPS else
                      "all suitable resources in use elsewhere or held in reserve")
        nrows.append({"incident_id": P.inc[i].incident_id, "capability": P.caps[j], "unit": CAPABILITIES[P.caps[j]].unit,
                      "needed": float(P.need_q[n]), "covered": float(min(cov[n], P.need_q[n])),
                      "missing": missing, "deadline_s": float(P.need_d[n]),
                      "arrival_s": float(P.pt[contrib].max()) if len(contrib) else float("nan"),
                      "penalty_per_unit_s": float(P.need_rho[n]), "reason": reason})
    needs = pd.DataFrame(nrows, columns=["incident_id", "capability", "unit", "needed", "covered", "missing",
                                         "deadline_s", "arrival_s", "penalty_per_unit_s", "reason"])
    irows = []
    for i, inc in enumerate(P.inc):
        ki = ks[P.pi[ks] == i]
        irows.append({"incident_id": inc.incident_id, "type": inc.type, "grade": inc.grade, "weight": float(P.w[i]),
                      "n_resources": int(len(ki)),
                      "first_arrival_s": float(P.pt[ki].min()) if len(ki) else float("nan"),
                      "response_time_s": float(P.pt[ki].max()) if len(ki) else float("nan"),
                      "late_s": float(np.maximum(0.0, P.pt[ki] - P.pd_[ki]).max()) if len(ki) else 0.0,
                      "unmet_needs": int(((P.need_inc == i) & (P.need_q - cov > _EPS)).sum())})
    incs = pd.DataFrame(irows, columns=["incident_id", "type", "grade", "weight", "n_resources", "first_arrival_s",
                                        "response_time_s", "late_s", "unmet_needs"])
    return assign, incs, needs


def match(resources: pd.DataFrame, incidents: Sequence[Incident], travel_time_s: TravelTimes,
          rules: Rules | None = None, *, reserve: Mapping[str, int] | None = None,
          weights: Mapping[str, float] | None = None, late_weight: float = 1.0,
          unmet_penalty_s: float | None = None, exclude: Iterable[str] = (), mip_rel_gap: float = 1e-6,
          mip_abs_gap_s: float = 1.0, time_limit_s: float = 10.0) -> MatchResult:
    """Assign resources to all open incidents at once (MILP, HiGHS) and compare with greedy.

    ``travel_time_s``: (n_resources, n_incidents) reference road times in seconds (inf =
    unreachable), or a callable ``(resources, incidents) -> matrix`` such as a closure over
    :func:`sim.drill.match_inputs.road_travel_times`; each resource's time is divided by its
    ``speed_factor``.
    ``rules`` gives each incident's needs by type and grade (an incident's own ``needs``
    win). ``reserve``: resource type -> units kept unassigned in each district (default
    :data:`DEFAULT_RESERVE`; ``{}`` for none). ``weights``: grade -> weight
    (default :data:`GRADE_WEIGHTS`). ``late_weight``: extra cost per second past a deadline.
    ``exclude``: resource ids busy elsewhere. HiGHS stops at ``mip_rel_gap`` or
    ``mip_abs_gap_s`` (weighted seconds) per block, or when ``time_limit_s`` (all blocks
    together) runs out; the gap reached is reported."""
    t0 = time.perf_counter()
    reserve = dict(DEFAULT_RESERVE if reserve is None else reserve)
    weights = dict(GRADE_WEIGHTS if weights is None else weights)
    incidents = list(incidents)
    for inc in incidents:
        if not isinstance(inc, Incident):
            raise InputError(f"incident {inc!r}: expected a sim.drill.rules.Incident")
    P = _problem(resources, incidents, travel_time_s, rules, reserve, weights, late_weight, unmet_penalty_s, exclude)
    t1 = time.perf_counter()
    zg = _greedy(P)
    g_travel, g_pen, _ = _evaluate(P, zg)
    t2 = time.perf_counter()
    if len(P.need_q) == 0:
        z, status, source, bound, nv, nc = np.zeros(len(P.pr)), "optimal", "milp", 0.0, 0, 0
    else:
        z, status, source, bound, nv, nc = _solve(P, zg, mip_rel_gap=mip_rel_gap, mip_abs_gap_s=mip_abs_gap_s,
                                                  time_limit_s=time_limit_s)
    t3 = time.perf_counter()
    travel, pen, _ = _evaluate(P, z)
    assign, incs, needs = _frames(P, z, resources)
    g_assign, _, g_needs = _frames(P, zg, resources)
    obj = travel + pen
    abs_gap = max(0.0, obj - bound) if np.isfinite(bound) else float("nan")
    gap = abs_gap / abs(obj) if obj > 0 else 0.0
    t4 = time.perf_counter()
    return MatchResult(assign, incs, needs, obj, travel, pen, gap, abs_gap, bound, status, source, g_assign, g_needs,
                       g_travel + g_pen, g_travel, nv, nc,
                       {"build": t1 - t0, "greedy": t2 - t1, "milp": t3 - t2, "report": t4 - t3, "total": t4 - t0})


__all__ = ["DEFAULT_RESERVE", "GRADE_WEIGHTS", "MatchResult", "match"]
