"""First-spot demand of the scenic-network simulation (:mod:`sim.crowd.network`) from a forecast of
gate counts: divided by the expected visits per tourist, or calibrated so that the simulated gate
entries (first and repeat visits) reproduce the counts."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.crowd.network_config import MODES, NetworkConfig
from twin.errors import InputError


def visits_per_tourist(cfg: NetworkConfig) -> float:
    """Expected spots visited per tourist if no choice is blocked: 1 + p + ... + p^(m-1)."""
    p, m = cfg.choice.next_spot_prob, cfg.choice.max_spots
    return float(sum(p ** k for k in range(m)))


def arrivals_from_forecast(fc: pd.DataFrame, cfg: NetworkConfig, drive_min: np.ndarray | None = None) -> pd.DataFrame:
    """First-spot demand from gate counts (a forecast, :func:`sim.crowd.forecast.forecast`, or
    replayed counts): gate counts include visits of tourists coming from another spot.

    With ``drive_min`` (hub + spots drive minutes, :func:`sim.crowd.network.drive_minutes`)
    each spot's first visits are calibrated by :func:`first_visit_demand` so that first plus
    expected repeat visits reproduce every spot's daily gate counts; without it every count is
    divided by :func:`visits_per_tourist` (the same share for every spot: repeat visits then go
    where the logit sends them, so per-spot loads depart from the counts)."""
    need = {"time", "spot", "arrivals_persons"}
    if need - set(fc.columns):
        raise InputError(f"forecast columns {sorted(fc.columns)}: expected {sorted(need)}")
    if drive_min is not None:
        return first_visit_demand(fc, cfg, drive_min)
    out = fc[["time", "spot", "arrivals_persons"]].copy()
    out["arrivals_persons"] = out["arrivals_persons"] / visits_per_tourist(cfg)
    return out


# ------------------------------------------------------------------ first visits from gate counts
DWELL_NODES = 3  # Gauss-Hermite nodes over the lognormal dwell of the expected-visit recursion
SUB_POINTS = 3  # hub arrival times per count step (its thirds' midpoints)


class _Expected:
    """Expected gate entries per spot of one group from its arrival at the hub, by the
    network's own rules (:mod:`sim.crowd.network`, steps 3, 5-7) taken at their mean values:
    the gates' opening and closing times, the mean service time of a group, the lognormal dwell
    by Gauss-Hermite quadrature, the shuttle timetable (a "when_full" line leaves no later; its
    waits, like the choice model's, are taken as the timetable's), and the next-spot logit without the
    crowding term (diversion messages off). Queues, full car parks and quotas are not in it;
    these are the losses the simulation adds."""

    def __init__(self, cfg: NetworkConfig, drive_min: np.ndarray) -> None:
        self.cfg, self.S = cfg, len(cfg.spots)
        self.tt = np.asarray(drive_min, float).tolist()
        sh, c = cfg.shuttle, cfg.choice
        n_dep = int(math.floor((sh.last_h - sh.first_h) * 60.0 / sh.headway_min + 1e-9)) + 1
        self.first_dep, self.last_dep = sh.first_h * 60.0, sh.first_h * 60.0 + (n_dep - 1) * sh.headway_min
        z, w = np.polynomial.hermite_e.hermegauss(DWELL_NODES)
        self.nodes_w = w / w.sum()
        self.dwell = []
        for sp in cfg.spots:  # lognormal with mean dwell_mean_min and cv dwell_cv at the nodes
            s2 = math.log1p(sp.dwell_cv ** 2)
            self.dwell.append(np.exp(math.log(sp.dwell_mean_min) - s2 / 2 + math.sqrt(s2) * z))
        self.service = [cfg.group_persons / sp.gate_rate_persons_min for sp in cfg.spots]
        self.utility = [c.beta_attr * sp.attractiveness for sp in cfg.spots]
        self.memo: dict[tuple, np.ndarray] = {}
        self.memo_choice: dict[tuple, list[tuple[int, float]]] = {}

    def bus(self, t: float) -> float | None:
        """Departure time of the next bus at or after t (None: after the last of the day)."""
        day, tod = divmod(t, 1440.0)
        if tod > self.last_dep:
            return None
        k = max(0.0, math.ceil((tod - self.first_dep) / self.cfg.shuttle.headway_min - 1e-9))
        return day * 1440.0 + self.first_dep + k * self.cfg.shuttle.headway_min

    def travel(self, mode: int, a: int, b: int, t: float) -> float | None:
        """Arrival time at node b (0 = hub, 1 + i = spot i) leaving node a at t; None if the
        shuttle has stopped running (the group gives the visit up)."""
        if mode != 2:
            return t + self.tt[a][b]
        if a > 0:
            d = self.bus(t)
            if d is None:
                return None
            t = d + self.tt[a][0]
        if b > 0:
            d = self.bus(t)
            if d is None:
                return None
            t = d + self.tt[0][b]
        return t

    def from_hub(self, i: int, t: float, mode: int) -> np.ndarray:
        ta = self.travel(mode, 0, i + 1, t)
        return np.zeros(self.S) if ta is None else self.at_gate(i, ta, 0, 0, mode)

    def enters(self, i: int, t: float) -> bool:
        """Whether a group reaching spot i's gate at t is through its check by closing time."""
        sp = self.cfg.spots[i]
        if sp.open_h <= 0 and sp.close_h >= 24:
            return True
        day0 = (t // 1440.0) * 1440.0
        return max(t, day0 + sp.open_h * 60.0) + self.service[i] <= day0 + sp.close_h * 60.0

    def at_gate(self, i: int, t: float, visited: int, nvis: int, mode: int) -> np.ndarray:
        t = float(int(t + 0.5))  # whole minutes: the memo key
        key = (i, t, visited, nvis, mode)
        if key in self.memo:
            return self.memo[key]
        cfg, S = self.cfg, self.S
        sp = cfg.spots[i]
        out = np.zeros(S)
        day0 = (t // 1440.0) * 1440.0
        t_close = day0 + sp.close_h * 60.0 if (sp.open_h > 0 or sp.close_h < 24) else math.inf
        tg = max(t, day0 + sp.open_h * 60.0)
        if self.enters(i, t):
            out[i] = 1.0
            ts = tg + self.service[i]
            c = cfg.choice
            seen = visited | (1 << i)
            if nvis + 1 < c.max_spots and c.next_spot_prob > 0:
                for dw, wk in zip(self.dwell[i], self.nodes_w):
                    tl = float(int(ts + min(dw, max(t_close - ts, 0.0)) + 0.5))
                    p = self.choice(i, tl, seen, mode)
                    leaf = nvis + 2 >= c.max_spots  # the next visit is the last: no choice after it
                    for j, pj in p:
                        ta = self.travel(mode, i + 1, j + 1, tl)
                        if ta is None:
                            continue
                        if leaf:
                            out[j] += wk * c.next_spot_prob * pj * self.enters(j, ta)
                        else:
                            out += wk * c.next_spot_prob * pj * self.at_gate(j, ta, seen, nvis + 1, mode)
        self.memo[key] = out
        return out

    def choice(self, i: int, t: float, seen: int, mode: int) -> list[tuple[int, float]]:
        """Logit probabilities of the next spots from spot i at time t (network_sim.NetworkSim._choose)."""
        key = (i, t, seen, mode)
        if key in self.memo_choice:
            return self.memo_choice[key]
        cfg, c = self.cfg, self.cfg.choice
        tod = (t % 1440.0) / 60.0
        h = cfg.shuttle.headway_min
        cand, util = [], []
        for j, s in enumerate(cfg.spots):
            if (seen >> j) & 1 or not (s.open_h - 1.0 <= tod <= s.close_h - c.latest_entry_before_close_min / 60.0):
                continue
            tt = self.tt[i + 1][0] + h / 2 + self.tt[0][j + 1] + h / 2 if mode == 2 else self.tt[i + 1][j + 1]
            cand.append(j)
            util.append(self.utility[j] - c.beta_time_per_min * tt)
        out: list[tuple[int, float]] = []
        if cand:
            m = max(util)
            u = [math.exp(x - m) for x in util]
            tot = sum(u)
            out = [(j, x / tot) for j, x in zip(cand, u)]
        self.memo_choice[key] = out
        return out


def access_lead_min(cfg: NetworkConfig, drive_min: np.ndarray) -> dict[str, np.ndarray]:
    """Per mode and spot the mean time from the hub to the spot: the drive (cars, coaches), half
    a headway's wait plus the ride (shuttle riders: random incidence at a fixed headway)."""
    tt = np.asarray(drive_min, float)[0, 1:]
    return {m: tt + (cfg.shuttle.headway_min / 2.0 if m == "shuttle" else 0.0) for m in MODES}


def first_visit_demand(counts: pd.DataFrame, cfg: NetworkConfig, drive_min: np.ndarray) -> pd.DataFrame:
    """Tourists entering the network per (time, spot of the first visit, mode) such that they
    reach the spot when the counts say and their expected gate entries, first visits plus the
    repeat visits the next-spot logit sends on (:class:`_Expected`), reproduce each spot's gate
    counts of each day.

    Each count is split over the modes by their shares and leaves the hub ``lead_min`` earlier,
    the mode's mean access time (:func:`access_lead_min`). Each spot's first visits keep the
    within-day profile of its counts, scaled by a factor c_d,i per day d and spot i: with
    B_d[i, s] the expected entries at s of the first visits of day d that start at i (the
    counts of i at their times times the expected entries of one group), c_d solves
    B_d^T c_d = G_d (the day's counts per spot) as non-negative least squares (Lawson & Hanson
    1974, Solving Least Squares Problems, ch. 23; ``scipy.optimize.nnls``). A spot whose repeat
    visits alone exceed its counts gets no first visits and keeps the excess
    (``attrs['calibration']``: per day and spot the counts, the expected entries and c).
    Exact in expectation where nobody is turned away, closed out by a queue or a full car park,
    or diverted; time within a count step taken at its thirds' midpoints."""
    from scipy.optimize import nnls

    names = [s.name for s in cfg.spots]
    S = len(names)
    df = counts[["time", "spot", "arrivals_persons"]].copy()
    df["time"] = pd.to_datetime(df["time"])
    unknown = sorted(set(df["spot"]) - set(names))
    if unknown:
        raise InputError(f"counts spot {unknown[0]!r}: expected a spot of the configuration {names}")
    times = np.unique(df["time"].to_numpy())
    step = float(np.min(np.diff(times)) / np.timedelta64(1, "m")) if len(times) > 1 else cfg.step_min
    ex = _Expected(cfg, drive_min)
    shares = {m: cfg.modes[m].share for m in MODES if m in cfg.modes and cfg.modes[m].share > 0}
    tot = sum(shares.values())
    lead = access_lead_min(cfg, drive_min)
    tod = ((df["time"] - df["time"].dt.normalize()) / pd.Timedelta("1min")).to_numpy(float)
    spot_i = df["spot"].map({n: k for k, n in enumerate(names)}).to_numpy(int)
    per_row = np.zeros((len(df), S))
    cache: dict[tuple[int, float], np.ndarray] = {}
    a = df["arrivals_persons"].to_numpy(float)
    for r, (i, t) in enumerate(zip(spot_i, tod)):
        if a[r] <= 0:  # no count: adds nothing to B (and no first visits)
            continue
        if (i, t) not in cache:
            e = np.zeros(S)
            for m, w in shares.items():
                k_m, t_hub = MODES.index(m), t - lead[m][i]
                for k in range(SUB_POINTS):
                    e += w / tot / SUB_POINTS * ex.from_hub(i, t_hub + (k + 0.5) * step / SUB_POINTS, k_m)
            cache[(i, t)] = e
        per_row[r] = cache[(i, t)]
    day = df["time"].dt.normalize().to_numpy()
    factor = np.zeros(len(df))
    rows = []
    for d in np.unique(day):
        sel = day == d
        B = np.zeros((S, S))
        np.add.at(B, spot_i[sel], a[sel, None] * per_row[sel])
        G = np.bincount(spot_i[sel], weights=a[sel], minlength=S)
        live = G > 0
        c = np.zeros(S)
        if live.any():
            c[live], _ = nnls(B[np.ix_(live, live)].T, G[live])
        factor[sel] = c[spot_i[sel]]
        expect = B.T @ c
        rows += [{"date": pd.Timestamp(d), "spot": n, "counts_persons": float(G[k]),
                  "expected_entries_persons": float(expect[k]), "first_visit_factor": float(c[k])}
                 for k, n in enumerate(names)]
    parts = [df.assign(mode=m, lead_min=lead[m][spot_i], arrivals_persons=a * factor * w / tot)
             for m, w in shares.items()]
    out = pd.concat(parts, ignore_index=True).sort_values(["spot", "time"], kind="stable").reset_index(drop=True)
    out.attrs["calibration"] = pd.DataFrame(rows)
    return out
