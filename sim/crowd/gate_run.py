"""What a gate-area run produced (:class:`GateRun`) and the measures taken from it: flows through the
gates, waits, clearance, how densely the queue stands, window-mean density and speed fields on a
cell grid, Fruin (1971) levels of service (queuing scale where people stand, walkway scale
elsewhere) and the warning episodes above a density threshold. :func:`sim.crowd.gate.simulate_gate`
runs the area and builds the run from these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from sim.crowd import peds as P
from sim.crowd.gate_area import GateArea

CHUNK_S = 0.5  # agents are added, held and recorded every CHUNK_S seconds of simulated time


@dataclass
class GateRun:
    """Everything a gate-area run produced (times in s from its start, positions in the city CRS).

    Per person (index = id, in order of arrival): ``arrival_s`` (at the entry line), ``entry_s``
    (placed in the area; NaN while waiting outside), ``gate`` (index of the gate passed, -1 if
    none) and ``gate_s`` (when), ``exit_s`` (left the area). ``positions``: id, t_s, x, y,
    speed_m_s every ``CHUNK_S`` (speed NaN in a person's first record). ``series``: one row
    per record time with the counts. Fields: window means over ``frame_s`` from
    ``frame_t_s`` (window starts), cells centred at ``field_x_m``/``field_y_m``; ``los``
    Fruin codes 0..5 (255 off the area; queuing scale where the cell stands, :func:`cell_los`);
    ``warnings`` one row per episode of consecutive windows above the threshold in one cell.
    """

    area: GateArea
    geometry: P.Geometry
    arrival_s: np.ndarray
    entry_s: np.ndarray
    exit_s: np.ndarray
    gate: np.ndarray
    gate_s: np.ndarray
    positions: pd.DataFrame
    series: pd.DataFrame
    duration_s: float
    t_end_s: float
    frame_s: float
    frame_t_s: np.ndarray
    field_x_m: np.ndarray
    field_y_m: np.ndarray
    cell_area_m2: np.ndarray
    density_per_m2: np.ndarray
    speed_m_s: np.ndarray
    los: np.ndarray
    warnings: pd.DataFrame
    threshold_per_m2: float
    check_time_s: float
    wall_time_s: float
    queue_gap_m: float  # the standing gap of those before a gate
    agent_steps: int
    provisional: bool | None = None  # inflow from a forecast on a derived calendar (None: no calendar used)
    destination: np.ndarray | None = None  # per person on a path walked both ways: 0 from its start, 1 from its end

    @property
    def n_arrived(self) -> int:
        return int(self.arrival_s.size)

    @property
    def n_entered(self) -> int:
        return int(np.isfinite(self.entry_s).sum())

    @property
    def n_exited(self) -> int:
        return int(np.isfinite(self.exit_s).sum())

    @property
    def n_inside(self) -> int:
        return self.n_entered - self.n_exited

    @property
    def n_passed(self) -> int:
        return int((self.gate >= 0).sum())

    def flows(self, bin_s: float = 60.0) -> pd.DataFrame:
        """Persons/s through each gate per ``bin_s`` window (rows: window start t_s)."""
        edges = np.arange(0.0, self.t_end_s + bin_s, bin_s)
        out = {"t_s": edges[:-1]}
        for k, name in enumerate(self.area.gate_names):
            c, _ = np.histogram(self.gate_s[self.gate == k], bins=edges)
            out[name] = c / bin_s
        df = pd.DataFrame(out)
        if self.provisional is not None:
            df["provisional"] = self.provisional
        return df

    def saturated_flow_per_s(self, gate: int | None = None) -> float:
        """Mean flow between the 10th and 90th percentile crossings, (N90 - N10)/(t90 - t10):
        the definition of :func:`sim.crowd.peds_validation.crossing_metrics` (all gates when None)."""
        t = np.sort(self.gate_s[self.gate >= 0] if gate is None else self.gate_s[self.gate == gate])
        n = t.size
        if n < 10:
            return float("nan")
        i10, i90 = int(round(0.1 * n)), int(round(0.9 * n))
        dt = t[i90 - 1] - t[i10 - 1]
        return (i90 - i10) / dt if dt > 0 else float("nan")

    def waits_s(self) -> np.ndarray:
        """Arrival at the entry line to the gate crossing, of those who passed a gate."""
        ok = self.gate >= 0
        return self.gate_s[ok] - self.arrival_s[ok]

    def still_waiting_s(self) -> np.ndarray:
        """Time waited so far (s, to the run's end) by those who had arrived and not passed a gate
        when the run ended: the waits :meth:`waits_s` cannot count yet (right-censored), the longest
        ones when the gate is over capacity."""
        left = (self.gate < 0) & (self.arrival_s <= self.t_end_s)
        return self.t_end_s - self.arrival_s[left]

    def clearance_s(self) -> float:
        """Time from the last arrival window's end to the last person leaving (NaN if some remain)."""
        if self.n_exited < self.n_arrived or self.n_arrived == 0:
            return float("nan")
        return float(np.nanmax(self.exit_s) - self.duration_s)

    def queue_stats(self, every_s: float = 2.0, slow_m_s: float = 0.3, after_s: float = 0.0) -> dict[str, Any]:
        """How densely the queue stands: persons not yet through a gate and slower than
        ``slow_m_s``, sampled every ``every_s`` from ``after_s`` on. Nearest-neighbour
        centre distance (m), local density (persons within 1 m, incl. oneself, / pi m^2), the
        Fruin queuing level of service of its median area per person (``P.FRUIN_QUEUE_M2``) and
        how far back from the gate lines the queue reached (m, farthest such person)."""
        from scipy.spatial import cKDTree

        pos = self.positions
        t = pos.t_s.to_numpy()
        ids = pos.id.to_numpy()
        step = max(int(round(every_s / CHUNK_S)), 1)
        keep = np.isclose(np.mod(np.round(t / CHUNK_S), step), 0) & (t >= after_s - 1e-9)
        gs = self.gate_s[ids]
        keep &= ~(gs <= t) & (pos.speed_m_s.to_numpy() < slow_m_s)
        nn, loc = [], []
        sub = pos[keep]
        reach = 0.0  # from the gate each person is bound for (a path walked both ways has one at each end)
        dest = (self.destination[sub.id.to_numpy()] if self.destination is not None
                else np.zeros(len(sub), dtype=np.int64))
        for d in np.unique(dest):
            lines = [g for k, g in enumerate(self.area.gates) if self.area.destination_of_gate(k) == d]
            pts = shapely.points(sub[["x", "y"]].to_numpy()[dest == d])
            reach = max(reach, float(shapely.distance(shapely.MultiLineString(lines), pts).max()))
        for _, g in sub.groupby("t_s"):
            if len(g) < 2:
                continue
            xy = g[["x", "y"]].to_numpy()
            tree = cKDTree(xy)
            nn.append(tree.query(xy, k=2)[0][:, 1])
            loc.append(np.array([len(c) for c in tree.query_ball_point(xy, 1.0)]) / math.pi)
        if not nn:
            return {"records": 0}
        nn_a, loc_a = np.concatenate(nn), np.concatenate(loc)
        med = float(np.median(loc_a))
        return {"records": int(nn_a.size), "spacing_median_m": round(float(np.median(nn_a)), 3),
                "spacing_p10_m": round(float(np.percentile(nn_a, 10)), 3),
                "local_density_median_per_m2": round(med, 2),
                "local_density_p90_per_m2": round(float(np.percentile(loc_a, 90)), 2),
                "area_per_person_m2": round(1.0 / med, 3),
                "fruin_queue_los": P.LOS_LETTERS[int(P.fruin_los(np.array([med]), P.FRUIN_QUEUE_M2)[0])],
                "reach_from_gates_max_m": round(reach, 1)}

    def worst_cell(self) -> tuple[int, int]:
        """(j, i) of the cell with the highest window density (first such)."""
        d = np.nan_to_num(self.density_per_m2, nan=-1.0)
        f, j, i = np.unravel_index(int(np.argmax(d)), d.shape)
        return int(j), int(i)

    def cell_density_series(self, j: int, i: int) -> pd.DataFrame:
        """Density every ``CHUNK_S`` in field cell (j, i): count / walkable area of the cell."""
        pos = self.positions
        cell = self.field_x_m[1] - self.field_x_m[0] if self.field_x_m.size > 1 else 1.0
        x0 = self.field_x_m[0] - cell / 2
        y0 = self.field_y_m[0] - cell / 2
        ci = np.floor((pos.x.to_numpy() - x0) / cell).astype(int)
        cj = np.floor((pos.y.to_numpy() - y0) / cell).astype(int)
        t = self.series.t_s.to_numpy()
        sel = (ci == i) & (cj == j)
        cnt = pd.Series(1, index=pos.t_s.to_numpy()[sel]).groupby(level=0).sum().reindex(t, fill_value=0)
        return pd.DataFrame({"t_s": t, "density_per_m2": cnt.to_numpy() / max(self.cell_area_m2[j, i], 1e-9)})

    def los_share(self) -> pd.DataFrame:
        """Share of the walkable area at each Fruin LOS per window (columns A..F)."""
        w = np.where(np.isfinite(self.density_per_m2[0]) if len(self.density_per_m2) else False,
                     self.cell_area_m2, 0.0)
        tot = max(float(w.sum()), 1e-9)
        rows = {"t_s": self.frame_t_s}
        for k, letter in enumerate(P.LOS_LETTERS):
            rows[letter] = [float((w * (lv == k)).sum()) / tot for lv in self.los]
        return pd.DataFrame(rows)


STANDING_M_S = 0.3  # a cell whose window-mean speed is below this is graded as a standing queue


def cell_los(density_per_m2: np.ndarray, speed_m_s: np.ndarray) -> np.ndarray:
    """Fruin (1971) LOS codes 0..5 of window-mean cells on the scale that fits what the people in
    the cell do: his queuing (standing) scale where the mean speed is below ``STANDING_M_S``, his
    walkway scale elsewhere (``P.fruin_los``; 255 off the area). 2.5 persons/m^2 is queuing LOS D
    for a standing queue but walkway LOS F for people walking."""
    walk = P.fruin_los(density_per_m2)
    queue = P.fruin_los(density_per_m2, P.FRUIN_QUEUE_M2)
    with np.errstate(invalid="ignore"):
        standing = np.isfinite(speed_m_s) & (np.asarray(speed_m_s) < STANDING_M_S)
    return np.where(standing, queue, walk).astype(np.uint8)


def mark_provisional(run: GateRun, provisional: bool) -> None:
    """Carry the calendar's provisional flag into the run's tables (counts, warnings, flows)."""
    run.provisional = bool(provisional)
    run.series["provisional"] = run.provisional
    run.warnings["provisional"] = run.provisional


def window_fields(geo: P.Geometry, pos: pd.DataFrame, cell_m: float, frame_s: float,
                  t_last: float) -> tuple[np.ndarray, ...]:
    """Window-mean density (count / walkable cell area, cells < 25 % walkable are NaN, as in
    :func:`sim.crowd.peds.simulate`) and mean speed per ``frame_s`` window."""
    ny, nx = geo.shape
    k = max(int(round(cell_m / geo.cell_m)), 1)
    cell = k * geo.cell_m
    gx, gy = int(math.ceil(nx / k)), int(math.ceil(ny / k))
    pad = np.zeros((gy * k, gx * k))
    pad[:ny, :nx] = geo.valid
    frac = pad.reshape(gy, k, gx, k).mean(axis=(1, 3))
    area = frac * cell * cell
    nf = int(math.floor(t_last / frame_s + 1e-9)) + 1
    f_t = np.arange(nf) * frame_s
    # records per window (one every CHUNK_S)
    all_t = np.arange(0.0, t_last + 1e-9, CHUNK_S)
    per_win = np.bincount(np.minimum((all_t / frame_s + 1e-9).astype(int), nf - 1), minlength=nf).astype(float)
    fi = np.minimum((pos.t_s.to_numpy() / frame_s + 1e-9).astype(int), nf - 1)
    ci = np.clip(((pos.x.to_numpy() - geo.x0_m) / cell).astype(int), 0, gx - 1)
    cj = np.clip(((pos.y.to_numpy() - geo.y0_m) / cell).astype(int), 0, gy - 1)
    flat = (fi * gy + cj) * gx + ci
    cnt = np.bincount(flat, minlength=nf * gy * gx).reshape(nf, gy, gx).astype(float)
    v = pos.speed_m_s.to_numpy()
    okv = np.isfinite(v)
    vs = np.bincount(flat[okv], weights=v[okv], minlength=nf * gy * gx).reshape(nf, gy, gx)
    vn = np.bincount(flat[okv], minlength=nf * gy * gx).reshape(nf, gy, gx)
    ok = frac >= 0.25
    with np.errstate(invalid="ignore", divide="ignore"):
        dens = np.where(ok[None], cnt / (np.where(ok, area, 1.0)[None] * per_win[:, None, None]), np.nan)
        spd = np.where((vn > 0) & ok[None], vs / np.maximum(vn, 1), np.nan)
    fx = geo.x0_m + (np.arange(gx) + 0.5) * cell
    fy = geo.y0_m + (np.arange(gy) + 0.5) * cell
    return fx, fy, np.where(ok, area, 0.0), dens, spd, f_t


def warning_episodes(dens: np.ndarray, f_t: np.ndarray, frame_s: float, fx: np.ndarray, fy: np.ndarray,
                     threshold: float) -> pd.DataFrame:
    """Runs of consecutive windows with density > threshold, per cell."""
    above = np.nan_to_num(dens, nan=0.0) > threshold
    rows = []
    for j, i in zip(*np.nonzero(above.any(axis=0))):
        a = above[:, j, i].astype(np.int8)
        edges = np.diff(np.concatenate([[0], a, [0]]))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            rows.append({"x_m": float(fx[i]), "y_m": float(fy[j]), "start_s": float(f_t[s]),
                         "end_s": float(f_t[e - 1] + frame_s), "duration_s": float((e - s) * frame_s),
                         "peak_density_per_m2": float(np.max(dens[s:e, j, i])), "cell_j": int(j), "cell_i": int(i)})
    cols = ["x_m", "y_m", "start_s", "end_s", "duration_s", "peak_density_per_m2", "cell_j", "cell_i"]
    return pd.DataFrame(rows, columns=cols).sort_values(["start_s", "x_m", "y_m"]).reset_index(drop=True)
