"""Validation scenes and metrics of the pedestrian model against the laboratory experiments.

The shared Wuppertal 2018 bottleneck run (geometry, measured trajectories, gate line), the
generic bottleneck room of the flow-against-width series, the periodic corridor of the
fundamental diagram, and the metrics computed the same way on measured and simulated
trajectories: crossings and flow (N90 - N10)/(t90 - t10) at a line, the jam density in front of
a gate, speed per density bin. Used by the tests, ``benchmarks/crowd_peds.py`` and its
calibration (see :mod:`sim.crowd.peds` for the model and how it was calibrated).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon, box

from sim.crowd.peds import (
    CALIBRATED,
    Agents,
    CsmParams,
    Geometry,
    PedResult,
    make_agents,
    simulate,
    weidmann_speed,
)
from twin.errors import InputError

BOTTLENECK_RUN = "bottleneck_040_c_56_h-"


@dataclass
class BottleneckRun:
    """The shared Wuppertal 2018 run: geometry, measured trajectories, gate line and exit."""

    geometry: Geometry
    measured: pd.DataFrame  # id, frame, x, y
    fps: float
    line: tuple[tuple[float, float], tuple[float, float]]
    front_area: Polygon = field(default_factory=lambda: box(-1.0, 0.0, 1.0, 2.0))

    @property
    def initial_xy_m(self) -> np.ndarray:
        """Positions of all persons in the first frame (n, 2), ordered by id."""
        f0 = self.measured[self.measured.frame == self.measured.frame.min()].sort_values("id")
        return f0[["x", "y"]].to_numpy()


def load_bottleneck_run(data_dir: Path, *, cell_m: float = 0.05) -> BottleneckRun:
    """Load the Wuppertal 2018 run ``040_c_56_h-`` (0.5 m entrance, w = 5.6 m, 75 persons).

    The walkable area is the PedPy notebooks' polygon (``*_geometry.json``); the exit is the
    band y < -1.6 m below the gate (the camera tracks people to y ~ -1.87 m); the gate line
    spans the passage x in [-0.25, 0.25] m at y = -0.6 m (as the CrowdQueue flow definition,
    PROVENANCE sec. 3c). ``front_area`` is the 2 m x 2 m square in front of the gate
    (x in [-1, 1] m, y in [0, 2] m: the corridor side of the entrance) where
    :func:`front_density` measures the jam.
    """
    d = Path(data_dir)
    meta = json.loads((d / f"{BOTTLENECK_RUN}_geometry.json").read_text())
    walk = shapely.from_wkt(meta["walkable_area_wkt"])
    minx, miny, maxx, _ = walk.bounds
    exit_poly = box(minx, miny, maxx, -1.6)
    geo = Geometry.from_polygon(walk, [exit_poly], cell_m=cell_m)
    tr = pd.read_csv(d / f"{BOTTLENECK_RUN}_25fps.csv").rename(columns={"x_m": "x", "y_m": "y"})
    half = 0.5 * meta["bottleneck_width_m"]
    return BottleneckRun(geometry=geo, measured=tr[["id", "frame", "x", "y"]], fps=25.0,
                         line=((-half, -0.6), (half, -0.6)))


def crossing_metrics(traj: pd.DataFrame, fps: float,
                     line: tuple[tuple[float, float], tuple[float, float]]) -> dict:
    """Egress and flow at a measurement line, with PedPy's N-t curve (``compute_n_t``).

    Returns n (crossings), first/last crossing time [s from frame 0], ``egress_time_s`` (the
    last crossing), ``flow_first_last_per_s`` = (n - 1)/(t_last - t_first) and
    ``flow_10_90_per_s`` = (N90 - N10)/(t90 - t10) of the cumulative crossings (the
    definition of PROVENANCE sec. 3c).
    """
    import pedpy

    td = pedpy.TrajectoryData(data=traj[["id", "frame", "x", "y"]].copy(), frame_rate=fps)
    _, cross = pedpy.compute_n_t(traj_data=td, measurement_line=pedpy.MeasurementLine(line))
    t = np.sort(cross["frame"].to_numpy() - traj["frame"].min()) / fps
    n = t.size
    if n < 2:
        return {"n": n, "t_first_s": np.nan, "egress_time_s": np.nan,
                "flow_first_last_per_s": np.nan, "flow_10_90_per_s": np.nan}
    i10, i90 = int(round(0.1 * n)), int(round(0.9 * n))
    f1090 = (i90 - i10) / (t[i90 - 1] - t[i10 - 1]) if t[i90 - 1] > t[i10 - 1] else np.nan
    return {"n": n, "t_first_s": float(t[0]), "egress_time_s": float(t[-1]),
            "flow_first_last_per_s": (n - 1) / (t[-1] - t[0]), "flow_10_90_per_s": f1090}


def crossing_window(traj: pd.DataFrame, fps: float,
                    line: tuple[tuple[float, float], tuple[float, float]]) -> tuple[int, int]:
    """Frames of the 10 % and the 90 % crossing of ``line`` (PedPy N-t; the flow window)."""
    import pedpy

    td = pedpy.TrajectoryData(data=traj[["id", "frame", "x", "y"]].copy(), frame_rate=fps)
    _, cross = pedpy.compute_n_t(traj_data=td, measurement_line=pedpy.MeasurementLine(line))
    f = np.sort(cross["frame"].to_numpy())
    if f.size < 2:
        raise InputError(f"crossings {f.size}: expected at least 2 to define a flow window")
    return int(f[int(round(0.1 * f.size)) - 1]), int(f[int(round(0.9 * f.size)) - 1])


def front_density(traj: pd.DataFrame, fps: float,
                  line: tuple[tuple[float, float], tuple[float, float]],
                  area: Polygon) -> float:
    """Mean classic density [1/m^2] in ``area`` over the 10-90 % crossing window of ``line``.

    Classic density = persons inside / area per frame (PedPy's ``compute_classic_density``),
    averaged over the frames of the steady part of the flow, i.e. of the jam in front of a
    gate.
    """
    f0, f1 = crossing_window(traj, fps, line)
    tr = traj[(traj.frame >= f0) & (traj.frame <= f1)]
    inside = shapely.contains_xy(area, tr.x.to_numpy(), tr.y.to_numpy())
    counts = np.bincount(tr.frame.to_numpy()[inside] - f0, minlength=f1 - f0 + 1)
    return float(counts.mean() / area.area)


def simulate_bottleneck_run(run: BottleneckRun, params: CsmParams | None = None, *,
                            seed: int = 0, dt: float = 0.02) -> PedResult:
    """Our model on the shared run: same area, the 75 measured start positions, 25 fps."""
    return simulate(run.geometry, make_agents(run.initial_xy_m, params, seed), dt=dt,
                    t_max=150.0, seed=seed, record_every=max(int(round(1 / (25 * dt))), 1),
                    params=params, fields=False)


@dataclass
class BottleneckRoom:
    """Flow-vs-width scene: a room, a door of ``width_m`` in a wall, an exit band beyond."""

    geometry: Geometry
    initial_xy_m: np.ndarray
    line: tuple[tuple[float, float], tuple[float, float]]
    width_m: float


def bottleneck_room(width_m: float, *, n_agents: int | None = None, room_width_m: float = 8.0,
                    wall_m: float = 0.4, density_per_m2: float = 2.5, seed: int = 0,
                    cell_m: float = 0.05) -> BottleneckRoom:
    """Room ``room_width_m`` wide in front of a door (``width_m`` x ``wall_m`` deep).

    The door is centred at x = 0 with its downstream face at y = 0; the room (y > wall_m) is
    deep enough for ``n_agents`` (default 60 + 50 per metre of width) on a jittered
    hexagonal lattice at ``density_per_m2``; people leave through a 3 m exit band beyond the
    door. The measurement line crosses the door at mid-depth.
    """
    if not (0.3 <= width_m <= room_width_m - 0.5):
        raise InputError(f"width_m {width_m}: expected 0.3 .. room_width_m - 0.5 m")
    n = int(60 + 50 * width_m) if n_agents is None else int(n_agents)
    depth = n / (density_per_m2 * (room_width_m - 0.6)) + 1.5
    hw, rw = width_m / 2, room_width_m / 2
    room = box(-rw, wall_m, rw, wall_m + depth)
    door = box(-hw, 0.0, hw, wall_m + 1e-9)
    out = box(-rw, -3.0, rw, 0.0 + 1e-9)
    walk = shapely.union_all([room, door, out]).buffer(0)
    geo = Geometry.from_polygon(walk, [box(-rw, -3.0, rw, -2.0)], cell_m=cell_m)
    xy = hex_positions(box(-rw + 0.3, wall_m + 0.4, rw - 0.3, wall_m + depth - 0.3),
                       density_per_m2, n, seed)
    return BottleneckRoom(geometry=geo, initial_xy_m=xy,
                          line=((-hw, wall_m / 2), (hw, wall_m / 2)), width_m=width_m)


def hex_positions(area: Polygon, density_per_m2: float, n: int, seed: int = 0,
                  jitter_frac: float = 0.1) -> np.ndarray:
    """``n`` points of a hexagonal lattice at about ``density_per_m2`` inside ``area``.

    The lattice constant is sqrt(2 / (sqrt(3) rho)) (shrunk in 2 % steps, at most 15 %, when
    the border leaves too few points); rows fill from the top (largest y) so a room fills
    away from a door below it; each point is jittered by up to ``jitter_frac`` of the
    constant. Raises when ``area`` cannot hold ``n`` points.
    """
    if not (density_per_m2 > 0 and n >= 0):
        raise InputError(f"density {density_per_m2} /m^2, n {n}: expected > 0 and >= 0")
    minx, miny, maxx, maxy = area.bounds
    rng = np.random.default_rng(seed)
    a0 = math.sqrt(2.0 / (math.sqrt(3.0) * density_per_m2))
    for shrink in np.arange(1.0, 0.849, -0.02):
        a = a0 * shrink
        pts: list[tuple[float, float]] = []
        row = 0
        yy = maxy
        while yy >= miny and len(pts) < n:
            xs = np.arange(minx + (0.5 * a if row % 2 else 0.0), maxx + 1e-9, a)
            xs = xs[shapely.contains_xy(area, xs, np.full(xs.size, yy))]
            pts.extend((float(v), yy) for v in xs)
            yy -= a * math.sqrt(3.0) / 2
            row += 1
        if len(pts) >= n:
            p = np.array(pts[:n]).reshape(n, 2)
            return p + rng.uniform(-jitter_frac * a, jitter_frac * a, p.shape)
    raise InputError(f"area of {area.area:.1f} m^2: expected room for {n} agents at "
                     f"{density_per_m2} /m^2")


def room_flow(room: BottleneckRoom, params: CsmParams | None = None, *, seed: int = 0,
              dt: float = 0.02, t_max: float = 240.0) -> dict:
    """Simulate a :func:`bottleneck_room` and return :func:`crossing_metrics` at its door."""
    res = simulate(room.geometry, make_agents(room.initial_xy_m, params, seed), dt=dt,
                   t_max=t_max, seed=seed, record_every=max(int(round(1 / (25 * dt))), 1),
                   params=params, fields=False)
    m = crossing_metrics(res.trajectories, res.fps, room.line)
    m["width_m"] = room.width_m
    m["n_agents"] = res.n_agents
    m["n_exited"] = res.n_exited
    return m


def measured_flow_spread(flows_csv: Path, widths_m: Sequence[float], *,
                         tol_m: float = 0.05) -> pd.DataFrame:
    """Min/max measured flow at each width from the comparable rows of bottleneck_flows.csv.

    Comparable rows: all ``compiled_experimental_value`` series (jpscore test 13 files and
    Liddle; bottleneck width b of doors/short bottlenecks in front of a waiting crowd) plus
    the third-party Hermes AO rows (gap width, corridor of persons waiting), and of the
    CrowdQueue 2018 rows only those of the 5.6 m corridor (the set-up of the shared run).
    Rows within ``tol_m`` of each width count; widths with no row get NaN.
    """
    df = pd.read_csv(flows_csv)
    keep = (df.value_origin == "compiled_experimental_value") | \
        df.series.str.startswith("Hermes") | \
        (df.series.str.startswith("CrowdQueue") & (df.corridor_width_m == 5.6))
    df = df[keep]
    rows = []
    for w in widths_m:
        sel = df[(df.width_m - w).abs() <= tol_m + 1e-9]
        rows.append({"width_m": w, "n_rows": len(sel),
                     "flow_min_per_s": sel.flow_per_s.min() if len(sel) else np.nan,
                     "flow_max_per_s": sel.flow_per_s.max() if len(sel) else np.nan,
                     "series": ",".join(sorted(sel.series.unique()))})
    return pd.DataFrame(rows)


def corridor_fd(densities_per_m2: Sequence[float], params: CsmParams | None = None, *,
                length_m: float = 10.0, width_m: float = 3.0, seed: int = 0, dt: float = 0.02,
                t_warm_s: float = 20.0, t_meas_s: float = 20.0, meas_fps: float = 5.0,
                voronoi: bool = True) -> pd.DataFrame:
    """Speed-density points of a periodic corridor, measured with PedPy (Voronoi method).

    For each global density the corridor (``width_m`` = 3 m as the HERMES UO corridor) is
    filled on a jittered hex lattice, run ``t_warm_s`` to a steady state, then recorded for
    ``t_meas_s`` at ``meas_fps``. PedPy's Voronoi density and Voronoi speed (Zhang et al.
    2011, J. Stat. Mech. P06004, eqs. 5-6) are taken in a 2 m x width area mid-corridor;
    each pass through the period gets a new PedPy id so speeds never span a wrap.
    Returns one row per frame: rho_global, density_per_m2, speed_m_s.
    """
    import pedpy

    params = CALIBRATED if params is None else params
    geo = Geometry.periodic_corridor(length_m, width_m)
    re = max(int(round(1.0 / (meas_fps * dt))), 1)
    fps = 1.0 / (re * dt)
    ma = pedpy.MeasurementArea(box(length_m / 2 - 1, 0, length_m / 2 + 1, width_m))
    wa = pedpy.WalkableArea(box(0, 0, length_m, width_m))
    out = []
    for k, rho in enumerate(densities_per_m2):
        n = int(round(rho * length_m * width_m))
        area = box(0.15, params.radius_m + 0.01, length_m - 0.15, width_m - params.radius_m - 0.01)
        xy = hex_positions(area, rho * length_m * width_m / area.area, n, seed + k, 0.05)
        ag = make_agents(xy, params, seed + k)
        res = _corridor_run(geo, ag, params, dt, t_warm_s, t_meas_s, re)
        tr = res.trajectories.copy()
        # new id at each wrap: x decreases by about the period between frames
        wrap = tr.groupby("id").x.diff().lt(-length_m / 2).astype(int)
        tr["id"] = tr["id"] * 10_000 + wrap.groupby(tr["id"]).cumsum()
        td = pedpy.TrajectoryData(data=tr[["id", "frame", "x", "y"]], frame_rate=fps)
        sp = pedpy.compute_individual_speed(
            traj_data=td, frame_step=1,
            speed_calculation=pedpy.SpeedCalculation.BORDER_SINGLE_SIDED)
        if voronoi:
            vor = pedpy.compute_individual_voronoi_polygons(traj_data=td, walkable_area=wa)
            dens, inter = pedpy.compute_voronoi_density(individual_voronoi_data=vor,
                                                        measurement_area=ma)
            vs = pedpy.compute_voronoi_speed(traj_data=td, individual_speed=sp,
                                             individual_voronoi_intersection=inter,
                                             measurement_area=ma)
        else:
            dens = pedpy.compute_classic_density(traj_data=td, measurement_area=ma)
            vs = pedpy.compute_mean_speed_per_frame(traj_data=td, individual_speed=sp,
                                                    measurement_area=ma)
        fd = dens.merge(vs, on="frame", how="inner")
        out.append(pd.DataFrame({"rho_global": rho, "density_per_m2": fd["density"].to_numpy(),
                                 "speed_m_s": fd["speed"].to_numpy()}))
    return pd.concat(out, ignore_index=True)


def _corridor_run(geo: Geometry, ag: Agents, params: CsmParams, dt: float,
                       t_warm_s: float, t_meas_s: float, record_every: int) -> PedResult:
    """Run warm-up plus measurement in one go and keep only the measurement frames."""
    res = simulate(geo, ag, dt=dt, t_max=t_warm_s + t_meas_s, record_every=record_every,
                   params=params, fields=False)
    f0 = int(round(t_warm_s / (dt * record_every)))
    tr = res.trajectories
    res.trajectories = tr[tr.frame >= f0].reset_index(drop=True)
    return res


def fd_bin_errors(sim: pd.DataFrame, measured: pd.DataFrame, *, bin_m2: float = 0.5,
                  rho_max: float = 4.0) -> pd.DataFrame:
    """Mean speed per density bin of simulation, measurement and Weidmann; errors per bin.

    ``sim``/``measured`` have columns density_per_m2, speed_m_s. Bins [k b, (k+1) b) up to
    ``rho_max``; bins without measured points are dropped. Weidmann is evaluated at the
    measured points' mean density of the bin.
    """
    edges = np.arange(0.0, rho_max + 1e-9, bin_m2)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = measured[(measured.density_per_m2 >= lo) & (measured.density_per_m2 < hi)]
        s = sim[(sim.density_per_m2 >= lo) & (sim.density_per_m2 < hi)]
        if len(m) == 0:
            continue
        vm = m.speed_m_s.mean()
        vs = s.speed_m_s.mean() if len(s) else np.nan
        vw = float(weidmann_speed(m.density_per_m2.mean()))
        rows.append({"bin_lo": lo, "bin_hi": hi, "n_meas": len(m), "n_sim": len(s),
                     "v_meas": vm, "v_sim": vs, "v_weidmann": vw, "err_sim": vs - vm,
                     "err_weidmann": vw - vm})
    return pd.DataFrame(rows)


def load_fd_measured(data_dir: Path, *, free_exit_only: bool = False) -> pd.DataFrame:
    """The HERMES UO speed-density points (columns experiment_id, density_per_m2, speed_m_s).

    All 571 points, or with ``free_exit_only`` the 307 of the six runs whose exit is as wide
    as the corridor (``b_exit_m == b_corridor_m`` in ``fundamental_diagram_uo_runs.csv``).
    The other four runs narrowed the exit to 0.8-2.0 m: their points (all of those above
    2.27 /m^2) are the jam in front of that exit, whose speed is the exit's flow divided by
    density x corridor width, not a homogeneous state a periodic corridor can reproduce.
    """
    d = Path(data_dir)
    df = pd.read_csv(d / "fundamental_diagram_uo.csv")
    df = df.rename(columns={"speed_m_per_s": "speed_m_s"})
    if free_exit_only:
        runs = pd.read_csv(d / "fundamental_diagram_uo_runs.csv")
        free = runs.experiment_id[runs.b_exit_m == runs.b_corridor_m]
        df = df[df.experiment_id.isin(free)]
    return df[["experiment_id", "density_per_m2", "speed_m_s"]].reset_index(drop=True)
