"""Pedestrian micro-simulation of gate areas and narrow paths: geometry, runs, fields, metrics.

Model: the collision-free speed model (CSM; Tordeux, Chraibi & Seyfried 2016, arXiv:1512.05597,
Sec. 2) in the kernels of :mod:`sim.crowd.peds_kernels`. Why this model rather than a social
force model: it is first order, so one step is one neighbour pass and no force stiffness limits
the time step; its speed law V(s) = min(v0, s/T) stops an agent before it touches the one
ahead, so bodies do not overlap by construction (no spurious "pressure" at bottlenecks); and
its few parameters map directly onto the fundamental diagram (in single file the spacing at
speed v is 2r + vT). Two extensions, both ours and both switchable in :class:`CsmParams`,
and one term of the generalised CSM left out:

* ``behind_weight`` = 0: the direction model is repelled only by neighbours *ahead on the
  route* (shorter travel time to the exit), not by those behind. With Tordeux's isotropic
  repulsion the crowd behind pushed two agents at the 0.5 m gate of the Wuppertal set-up into
  a stable arch (both at spacing 0, heading into each other) and the run clogged for good in
  some seeds; with route-ahead repulsion the agent further back yields.
* ``overtake`` = 0.5: an agent slowed by the one ahead along its desired direction adds a
  lateral unit vector away from it, weighted by overtake x (1 - s/(v0 T)) (its speed deficit),
  so fast walkers pass slow ones instead of forming platoons behind them.
* ``a_wall`` = 0: no wall term in the direction model. Bodies are kept off walls by the hard
  wall constraint of the kernels and routes by the routing's 0.2 m wall band; the wall term
  of JuPedSim's CSM (a_w = 5, D_w = 0.02 m, summed over segments, so twice at a door jamb
  where two segments meet) pushed an agent at a door's mouth back out of the opening and
  into the path of the one beside it. Seven agents packed round a 0.5 m door (calibrated set,
  v0 = 1.2 m/s) leave 0.98 s apart on average without it, against (2r + v0 T)/v0 = 1.05 s
  for single file, and 1.56 s apart (gaps up to 3.1 s) with it; with the wall term, T = 0.6 s
  and D = 0.03 m the flow through the 0.5 m room door fell from 1.24 to 0.66 /s.

Calibration (:data:`CALIBRATED`, done once; ``python benchmarks/crowd_peds.py --calibrate``):
desired speeds v0 ~ N(1.34, 0.26) m/s truncated to [0.5, 2.2] (Weidmann 1993, Transporttechnik
der Fussgaenger, IVT Schriftenreihe 90: mean free walking speed 1.34 m/s, sd 0.26 m/s), the
neighbour repulsion strength a = 8 (JuPedSim's default), a_w = 0, overtake 0.5 and the
routing's 0.2 m wall band were fixed beforehand. The time gap T, the radius r and the
repulsion range D were fitted on a grid (T 0.55-0.90 s step 0.05, r 0.15-0.18 m step 0.01,
D 0.03/0.04/0.05/0.07/0.10 m) against (a) the calibration run, Wuppertal 0.5 m
(:func:`simulate_bottleneck_run`, mean of 3 seeds): egress time, mean flow and the density in
the 2 m x 2 m square in front of the gate (:func:`front_density`; measured 5.26 /m^2), and
(b) the fundamental diagram of the UO runs with an unnarrowed exit: mean absolute error of
the periodic-corridor speed per 0.5 /m^2 density bin (:func:`corridor_fd`,
:func:`fd_bin_errors`, ``load_fd_measured(free_exit_only=True)``). Rule: the smallest (b)
among the points with both Wuppertal errors within 5 % and the density within 10 %; result
T = 0.80 s, r = 0.15 m (the grid's lower edge), D = 0.03 m (egress -4.2 %, flow +3.2 %,
density +7.6 %, FD error 0.093 m/s over the free-exit bins; 0.173 m/s over all UO bins;
over 10 seeds egress -3.1 %, flow +2.0 %, no clog).
Why D and why (b) changed from the first calibration (T = 0.75 s, r = 0.16 m, D = 0.1 m, all
UO bins): with D = 0.1 m the jam in front of the Wuppertal gate had about 2.9 /m^2 against
5.3 /m^2 measured, because the direction model kept agents about 0.2 m apart; the crowd could
not pack in front of a door, and the flow per metre fell with the door width (3 m door:
5.15 /s against 6.70-7.17 measured). All UO points above 2.3 /m^2 come from the four runs whose exit
was narrowed to 0.8-2.0 m: their speed is that exit's flow over the jam density, a bottleneck
observable, and fitting it with a homogeneous periodic corridor pulled T up and the door
flows down. The flow-vs-width series were not used in the fit; they validate. The same
values are used for every case, no per-case tuning.

Outputs: trajectories (PedPy-compatible ``id, frame, x, y`` at ``fps``), per-frame density
and speed fields on a grid, the Fruin walkway level of service per cell, and warnings where a
cell's density exceeds a threshold (4 /m^2 by default).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import shapely
import shapely.validation
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon, box

from sim.crowd import peds_kernels as K
from twin.errors import InputError

# Fruin (1971), Pedestrian Planning and Design, walkway levels of service: lower bounds of
# area per pedestrian for LOS A..E, 35/25/15/10/5 ft^2 (1 ft^2 = 0.09290304 m^2); F below.
FT2_M2 = 0.09290304
FRUIN_WALKWAY_M2 = tuple(a * FT2_M2 for a in (35.0, 25.0, 15.0, 10.0, 5.0))
LOS_LETTERS = "ABCDEF"
DENSITY_WARNING_PER_M2 = 4.0
NAV_CELL_M = 0.05  # navigation grid of the validation scenes
NAV_WALL_AVOID_M = 0.2  # band along walls where routes cost more (Geometry.from_polygon)
NAV_WALL_SLOWNESS = 1.0  # extra travel-time factor at the wall

# Weidmann (1993), IVT Schriftenreihe 90, fundamental diagram of walkways (Kladek's form):
# v(rho) = v0 (1 - exp(-gamma (1/rho - 1/rho_max))), v0 = 1.34 m/s, gamma = 1.913 /m^2,
# rho_max = 5.4 /m^2.
WEIDMANN_V0_M_S = 1.34
WEIDMANN_GAMMA_PER_M2 = 1.913
WEIDMANN_RHO_MAX_PER_M2 = 5.4


@dataclass(frozen=True)
class CsmParams:
    """Parameters of the collision-free speed model (one set for all cases).

    ``time_gap_s`` T and ``radius_m`` r enter V(s) = min(v0, s/T) with s the gap to the agent
    ahead (Tordeux et al. 2016, Sec. 2); ``a_neighbor``/``d_neighbor_m`` and
    ``a_wall``/``d_wall_m`` the exponential repulsion of the direction model; desired speeds
    are normal(mean, sd) truncated to [min, max]; ``cutoff_m`` bounds the neighbour search.
    """

    time_gap_s: float = 1.0
    radius_m: float = 0.2
    v0_mean_m_s: float = WEIDMANN_V0_M_S
    v0_sd_m_s: float = 0.26
    v0_min_m_s: float = 0.5
    v0_max_m_s: float = 2.2
    a_neighbor: float = 8.0
    d_neighbor_m: float = 0.1
    a_wall: float = 5.0
    d_wall_m: float = 0.02
    cutoff_m: float = 0.0
    overtake: float = 0.0
    behind_weight: float = 0.0
    lateral_frac: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cutoff_m) and self.cutoff_m >= 0.0):
            raise InputError(f"CsmParams.cutoff_m {self.cutoff_m}: expected >= 0 (0: automatic)")
        for k in ("time_gap_s", "radius_m", "d_neighbor_m", "d_wall_m", "v0_max_m_s"):
            v = getattr(self, k)
            if not (math.isfinite(v) and v > 0.0):
                raise InputError(f"CsmParams.{k} {v}: expected a finite number > 0")
        if not 0.0 <= self.v0_min_m_s <= self.v0_mean_m_s <= self.v0_max_m_s:
            raise InputError(f"CsmParams.v0_mean_m_s {self.v0_mean_m_s}: expected "
                             f"v0_min <= mean <= v0_max ({self.v0_min_m_s}, {self.v0_max_m_s})")
        if self.v0_sd_m_s < 0.0 or self.a_neighbor < 0.0 or self.a_wall < 0.0:
            raise InputError("CsmParams v0_sd_m_s, a_neighbor, a_wall: expected >= 0")
        if not (self.overtake >= 0.0 and 0.0 <= self.behind_weight <= 1.0
                and 0.0 < self.lateral_frac <= 1.0):
            raise InputError(f"CsmParams overtake {self.overtake}, behind_weight "
                             f"{self.behind_weight}, lateral_frac {self.lateral_frac}: expected "
                             ">= 0, 0..1 and (0, 1]")

    def auto_cutoff_m(self, r_max: float, v0_max: float, t_max: float) -> float:
        """Neighbour cut-off: ``cutoff_m`` if set, else the range beyond which nobody matters.

        V(s) saturates at s = v0 T, so the agent ahead is irrelevant beyond 2 r + v0 T; the
        repulsion is skipped below exp(-9) of its strength, i.e. beyond 2 r + 9 D.
        """
        if self.cutoff_m > 0.0:
            return self.cutoff_m
        return 2.0 * r_max + max(v0_max * t_max, 9.0 * self.d_neighbor_m) + 0.01

    def kernel_vector(self) -> np.ndarray:
        """The float vector the kernels read (order of ``peds_kernels.P_*``)."""
        p = np.empty(K.N_PRM)
        p[K.P_A_NB] = self.a_neighbor
        p[K.P_D_NB] = self.d_neighbor_m
        p[K.P_A_WALL] = self.a_wall
        p[K.P_D_WALL] = self.d_wall_m
        p[K.P_CUTOFF] = self.cutoff_m
        p[K.P_OVERTAKE] = self.overtake
        p[K.P_BEHIND] = self.behind_weight
        p[K.P_KAPPA] = self.lateral_frac
        return p


#: The calibrated set (see the module docstring for how it was fitted; used everywhere).
CALIBRATED = CsmParams(time_gap_s=0.8, radius_m=0.15, d_neighbor_m=0.03, overtake=0.5,
                        a_wall=0.0)


# ---------------------------------------------------------------- geometry
@dataclass
class Geometry:
    """Walkable area, walls, exits and the navigation field of one scene.

    ``valid``/``exit_mask``/``travel_m``/``ux``/``uy`` live on a cell-centred grid with origin
    (``x0_m``, ``y0_m``) and cell ``cell_m``; ``walls`` is an (S, 4) array of segments
    (x0, y0, x1, y1). ``period_x_m`` > 0 makes x periodic (corridor fundamental diagrams).
    """

    walkable: Polygon | MultiPolygon
    exits: list
    x0_m: float
    y0_m: float
    cell_m: float
    valid: np.ndarray
    exit_mask: np.ndarray
    travel_m: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    walls: np.ndarray
    period_x_m: float = 0.0
    route_m: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    reach_mask: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx) of the navigation grid."""
        return self.valid.shape

    @classmethod
    def from_polygon(cls, walkable: Polygon | MultiPolygon, exits: Sequence, *,
                     cell_m: float = 0.1, wall_avoid_m: float | None = None,
                     wall_slowness: float | None = None) -> "Geometry":
        """Build walls and the distance-to-exit field of a walkable (multi)polygon.

        ``exits``: shapely polygons (agents leave when they reach one) or lines/points (grown
        by one cell). The travel-time field solves |grad T| = f with f = 1 + wall_slowness *
        max(0, 1 - d_wall / wall_avoid_m) (fast marching, Sethian 1996), so routes keep off
        walls and corners; agents walk down its gradient.
        """
        if not isinstance(walkable, (Polygon, MultiPolygon)) or walkable.is_empty:
            raise InputError(f"walkable {type(walkable).__name__}: expected a non-empty "
                             "shapely Polygon or MultiPolygon")
        if not walkable.is_valid:
            raise InputError(f"walkable polygon: expected a valid polygon "
                             f"({shapely.validation.explain_validity(walkable)})")
        wall_avoid_m = NAV_WALL_AVOID_M if wall_avoid_m is None else wall_avoid_m
        wall_slowness = NAV_WALL_SLOWNESS if wall_slowness is None else wall_slowness
        if not (math.isfinite(cell_m) and 0.01 <= cell_m <= 2.0):
            raise InputError(f"cell_m {cell_m}: expected 0.01 .. 2 m")
        if len(exits) == 0:
            raise InputError("exits []: expected at least one exit geometry")
        ex_geoms = []
        for g in exits:
            if not isinstance(g, shapely.Geometry):
                raise InputError(f"exit {g!r}: expected a shapely geometry")
            gg = g if g.area > 0 else g.buffer(cell_m)
            ex_geoms.append(gg)
        minx, miny, maxx, maxy = walkable.bounds
        nx = int(math.ceil((maxx - minx) / cell_m)) + 2
        ny = int(math.ceil((maxy - miny) / cell_m)) + 2
        x0, y0 = minx - cell_m, miny - cell_m
        if nx * ny > 60_000_000:
            raise InputError(f"cell_m {cell_m}: grid of {nx}x{ny} cells too large; expected "
                             "a coarser cell")
        xc = x0 + (np.arange(nx) + 0.5) * cell_m
        yc = y0 + (np.arange(ny) + 0.5) * cell_m
        gx, gy = np.meshgrid(xc, yc)
        valid = shapely.contains_xy(walkable, gx, gy)
        exit_union = shapely.union_all(ex_geoms)
        exit_mask = valid & shapely.contains_xy(exit_union, gx, gy)
        if not exit_mask.any():
            raise InputError("exits: no exit covers a walkable grid cell; expected exits "
                             "inside the walkable area")
        slow = np.ones((ny, nx))
        if wall_avoid_m > 0.0 and wall_slowness > 0.0:
            dwall = ndimage.distance_transform_edt(valid) * cell_m - 0.5 * cell_m
            slow += wall_slowness * np.clip(1.0 - dwall / wall_avoid_m, 0.0, 1.0)
        travel = K.travel_time_fmm(valid, exit_mask, slow, cell_m)
        ux, uy = K.descent_direction(travel, valid)
        good = valid & ((ux != 0.0) | (uy != 0.0))
        if good.any():
            _, (jj, ii) = ndimage.distance_transform_edt(~good, return_indices=True)
            ux, uy = ux[jj, ii], uy[jj, ii]
        reach = valid & (travel < K.INF)
        _, (jj, ii) = ndimage.distance_transform_edt(~reach, return_indices=True)
        route = travel[jj, ii]  # route length, extended to wall cells (bilinear lookups)
        # a point in the walkable area may sit in a cell whose centre is just outside it
        reach_mask = ndimage.binary_dilation(reach, structure=np.ones((3, 3)), iterations=2)
        return cls(walkable=walkable, exits=ex_geoms, x0_m=x0, y0_m=y0, cell_m=cell_m,
                   valid=valid, exit_mask=exit_mask, travel_m=travel, ux=ux, uy=uy,
                   walls=_wall_segments(walkable), route_m=route, reach_mask=reach_mask)

    @classmethod
    def periodic_corridor(cls, length_m: float, width_m: float, *,
                          cell_m: float = 0.1) -> "Geometry":
        """A corridor [0, L] x [0, W], periodic in x, walls along y = 0 and y = W.

        The desired direction is +x everywhere (no exit; used for fundamental diagrams).
        """
        if not (length_m > 0 and width_m > 0):
            raise InputError(f"corridor {length_m} x {width_m} m: expected positive sizes")
        nx = int(round(length_m / cell_m))
        ny = int(round(width_m / cell_m))
        if abs(nx * cell_m - length_m) > 1e-9 or abs(ny * cell_m - width_m) > 1e-9:
            raise InputError(f"corridor {length_m} x {width_m} m: expected multiples of "
                             f"cell_m {cell_m}")
        valid = np.ones((ny, nx), dtype=bool)
        walls = np.array([[0.0, 0.0, length_m, 0.0], [0.0, width_m, length_m, width_m]])
        return cls(walkable=box(0.0, 0.0, length_m, width_m), exits=[], x0_m=0.0, y0_m=0.0,
                   cell_m=cell_m, valid=valid, exit_mask=np.zeros((ny, nx), dtype=bool),
                   travel_m=np.full((ny, nx), np.nan), ux=np.ones((ny, nx)),
                   uy=np.zeros((ny, nx)), walls=walls, period_x_m=float(length_m))

    def reachable(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """True where a point lies within two cells of a cell from which an exit is reached."""
        i, j = self._cells(x_m, y_m)
        if self.period_x_m > 0:
            return np.ones(np.shape(i), dtype=bool)
        return self.reach_mask[j, i]

    def _cells(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ny, nx = self.shape
        i = np.clip(((np.asarray(x_m) - self.x0_m) / self.cell_m).astype(int), 0, nx - 1)
        j = np.clip(((np.asarray(y_m) - self.y0_m) / self.cell_m).astype(int), 0, ny - 1)
        return i, j


def _wall_segments(walkable: Polygon | MultiPolygon) -> np.ndarray:
    """(S, 4) array of the boundary segments of all rings of the walkable area."""
    polys = list(walkable.geoms) if isinstance(walkable, MultiPolygon) else [walkable]
    segs = []
    for p in polys:
        for ring in [p.exterior, *p.interiors]:
            c = np.asarray(ring.coords)
            segs.append(np.hstack([c[:-1], c[1:]]))
    s = np.vstack(segs)
    return s[np.hypot(s[:, 2] - s[:, 0], s[:, 3] - s[:, 1]) > 1e-12]


# ---------------------------------------------------------------- agents
@dataclass
class Agents:
    """Initial state of the agents: positions, desired speeds, radii and time gaps."""

    x_m: np.ndarray
    y_m: np.ndarray
    desired_speed_m_s: np.ndarray
    radius_m: np.ndarray
    time_gap_s: np.ndarray

    def __len__(self) -> int:
        return int(self.x_m.size)


def make_agents(xy_m: np.ndarray, params: CsmParams = None, seed: int = 0) -> Agents:
    """Agents at the (n, 2) positions with desired speeds drawn from ``params``' distribution.

    Desired speeds: normal(v0_mean, v0_sd) truncated to [v0_min, v0_max] by redrawing.
    """
    params = CALIBRATED if params is None else params
    xy = np.asarray(xy_m, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
        raise InputError(f"agent positions shape {xy.shape}: expected finite (n, 2)")
    n = xy.shape[0]
    rng = np.random.default_rng(seed)
    v0 = rng.normal(params.v0_mean_m_s, params.v0_sd_m_s, n)
    bad = (v0 < params.v0_min_m_s) | (v0 > params.v0_max_m_s)
    while bad.any():
        v0[bad] = rng.normal(params.v0_mean_m_s, params.v0_sd_m_s, bad.sum())
        bad = (v0 < params.v0_min_m_s) | (v0 > params.v0_max_m_s)
    return Agents(x_m=xy[:, 0].copy(), y_m=xy[:, 1].copy(), desired_speed_m_s=v0,
                  radius_m=np.full(n, params.radius_m), time_gap_s=np.full(n, params.time_gap_s))


# ---------------------------------------------------------------- result
@dataclass
class PedResult:
    """Trajectories, exit times, fields, level of service and density warnings of one run.

    ``density_per_m2``/``speed_m_s``/``los`` have shape (frames, gy, gx) on cells centred at
    ``field_x_m``/``field_y_m`` (NaN off the walkable area; speed NaN in empty cells);
    ``los`` codes 0..5 = Fruin walkway LOS A..F (255 off the walkable area). ``warnings``:
    one row per frame and cell above ``density_threshold_per_m2`` (time_s, x_m, y_m,
    density_per_m2).
    """

    trajectories: pd.DataFrame
    fps: float
    exit_time_s: np.ndarray
    n_agents: int
    steps: int
    agent_steps: int
    wall_time_s: float
    field_x_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    field_y_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    density_per_m2: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    speed_m_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    los: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), dtype=np.uint8))
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)
    density_threshold_per_m2: float = DENSITY_WARNING_PER_M2

    @property
    def n_exited(self) -> int:
        """Agents that reached an exit."""
        return int(np.isfinite(self.exit_time_s).sum())

    @property
    def n_inside(self) -> int:
        """Agents still in the walkable area at the end."""
        return self.n_agents - self.n_exited

    @property
    def agent_steps_per_s(self) -> float:
        """Throughput of the run (agent updates per wall-clock second)."""
        return self.agent_steps / max(self.wall_time_s, 1e-12)

    def to_pedpy(self):
        """The trajectories as ``pedpy.TrajectoryData`` (needs the optional PedPy)."""
        import pedpy

        return pedpy.TrajectoryData(data=self.trajectories[["id", "frame", "x", "y"]],
                                    frame_rate=self.fps)


def fruin_los(density_per_m2: np.ndarray) -> np.ndarray:
    """Fruin (1971) walkway level of service codes 0..5 (A..F) from density [1/m^2].

    Area per person a = 1/density; A: a >= 3.25 m^2, B >= 2.32, C >= 1.39, D >= 0.93,
    E >= 0.46, F below (35/25/15/10/5 ft^2). NaN density gives 255.
    """
    d = np.asarray(density_per_m2, dtype=float)
    out = np.full(d.shape, 255, dtype=np.uint8)
    ok = np.isfinite(d)
    with np.errstate(divide="ignore"):
        area = np.where(d[ok] > 0, 1.0 / np.where(d[ok] > 0, d[ok], 1.0), np.inf)
    code = np.full(area.shape, 5, dtype=np.uint8)
    for k, lo in reversed(list(enumerate(FRUIN_WALKWAY_M2))):
        code[area >= lo] = k
    out[ok] = code
    return out


def weidmann_speed(density_per_m2: np.ndarray) -> np.ndarray:
    """Weidmann (1993) walkway speed v(rho) = v0 (1 - exp(-gamma (1/rho - 1/rho_max)))."""
    rho = np.asarray(density_per_m2, dtype=float)
    with np.errstate(divide="ignore"):
        v = WEIDMANN_V0_M_S * (1.0 - np.exp(-WEIDMANN_GAMMA_PER_M2
                                             * (1.0 / rho - 1.0 / WEIDMANN_RHO_MAX_PER_M2)))
    return np.clip(v, 0.0, WEIDMANN_V0_M_S)


# ---------------------------------------------------------------- simulate
def simulate(geometry: Geometry, agents: Agents | np.ndarray, *, dt: float = 0.02,
             t_max: float = 300.0, seed: int = 0, record_every: int = 2,
             params: CsmParams | None = None, field_cell_m: float = 1.0,
             density_threshold_per_m2: float = DENSITY_WARNING_PER_M2,
             fields: bool = True) -> PedResult:
    """Run the CSM until every agent has left or ``t_max`` seconds have passed.

    ``agents``: an :class:`Agents` or an (n, 2) array of positions (desired speeds then drawn
    with ``seed`` from ``params``). Trajectories are recorded every ``record_every`` steps
    (fps = 1 / (dt * record_every); 0 records nothing, for timing). Density/speed fields on
    ``field_cell_m`` cells, Fruin LOS and warnings above ``density_threshold_per_m2`` are
    derived from the recorded frames when ``fields``.
    """
    params = CALIBRATED if params is None else params
    if not (math.isfinite(dt) and 0.001 <= dt <= 0.1):
        raise InputError(f"dt {dt}: expected 0.001 .. 0.1 s")
    if not (math.isfinite(t_max) and t_max > 0):
        raise InputError(f"t_max {t_max}: expected > 0 s")
    if record_every < 0:
        raise InputError(f"record_every {record_every}: expected >= 0 steps")
    if not isinstance(agents, Agents):
        agents = make_agents(np.asarray(agents), params, seed)
    n = len(agents)
    if n == 0:
        raise InputError("agents: expected at least one agent")
    x = np.ascontiguousarray(agents.x_m, dtype=float).copy()
    y = np.ascontiguousarray(agents.y_m, dtype=float).copy()
    inside = shapely.contains_xy(geometry.walkable, x, y) & geometry.reachable(x, y)
    if not inside.all():
        k = int(np.flatnonzero(~inside)[0])
        raise InputError(f"agent {k} at ({x[k]:.3f}, {y[k]:.3f}): expected a position inside "
                         "the walkable area with a route to an exit")
    rad = np.asarray(agents.radius_m, dtype=float)
    v0 = np.asarray(agents.desired_speed_m_s, dtype=float)
    tg = np.asarray(agents.time_gap_s, dtype=float)
    if not (rad.shape == v0.shape == tg.shape == x.shape):
        raise InputError(f"agents: expected equal-length arrays, got {x.size}, {rad.size}, "
                         f"{v0.size}, {tg.size}")
    if (v0 < 0).any() or (tg <= 0).any() or (rad <= 0).any():
        raise InputError("agents: expected desired speeds >= 0, time gaps > 0, radii > 0")
    cutoff = params.auto_cutoff_m(float(rad.max()), float(v0.max()), float(tg.max()))
    if rad.max() > cutoff / 2:
        raise InputError(f"radius {rad.max()} m: expected <= cutoff_m/2 = {cutoff / 2}")
    prm = params.kernel_vector()
    prm[K.P_CUTOFF] = cutoff
    n_steps = int(math.ceil(t_max / dt - 1e-9))
    n_rec = n_steps // record_every + 1 if record_every > 0 else 0
    rec_x = np.full((n_rec, n), np.nan)
    rec_y = np.full((n_rec, n), np.nan)
    rec_v = np.full((n_rec, n), np.nan)
    active = np.ones(n, dtype=np.uint8)
    exit_t = np.full(n, np.nan)
    i0, j0 = geometry._cells(x, y)
    ex = geometry.ux[j0, i0].copy()
    ey = geometry.uy[j0, i0].copy()
    wgrid, wstart, wseg = _wall_grid(geometry, params, float(rad.max()), cutoff)
    w = geometry.walls
    nav_o = np.array([geometry.x0_m, geometry.y0_m, geometry.cell_m])
    t0 = time.perf_counter()
    steps, agent_steps = K.run_csm(
        x, y, v0, rad, tg, active, exit_t, ex, ey, prm, nav_o,
        geometry.ux, geometry.uy, geometry.route_m, geometry.exit_mask, w[:, 0].copy(),
        w[:, 1].copy(),
        w[:, 2].copy(), w[:, 3].copy(), wgrid, wstart, wseg, geometry.period_x_m, 0.0, dt,
        n_steps, record_every, rec_x, rec_y, rec_v)
    wall = time.perf_counter() - t0
    fps = 1.0 / (dt * record_every) if record_every > 0 else 0.0
    n_frames = min(steps // record_every + 1, n_rec) if record_every > 0 else 0
    rec_x, rec_y, rec_v = rec_x[:n_frames], rec_y[:n_frames], rec_v[:n_frames]
    fr, ids = np.nonzero(np.isfinite(rec_x))
    traj = pd.DataFrame({"id": ids.astype(np.int64), "frame": fr.astype(np.int64),
                         "x": rec_x[fr, ids], "y": rec_y[fr, ids], "speed": rec_v[fr, ids]})
    traj = traj.sort_values(["id", "frame"], kind="stable").reset_index(drop=True)
    res = PedResult(trajectories=traj, fps=fps, exit_time_s=exit_t, n_agents=n, steps=steps,
                    agent_steps=agent_steps, wall_time_s=wall,
                    density_threshold_per_m2=density_threshold_per_m2)
    if fields and n_frames > 0:
        _fields(res, geometry, rec_x, rec_y, rec_v, field_cell_m, density_threshold_per_m2)
    return res


def _wall_grid(geometry: Geometry, params: CsmParams, r_max: float,
               cutoff_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coarse cell lists of wall segments for repulsion, sight lines and the wall constraint.

    Each 1 m cell lists the segments within reach of any point in it: the neighbour cut-off
    (sight lines), the wall repulsion range r + 9 D_w and the wall constraint (r + a step).
    """
    ny, nx = geometry.shape
    reach = max(cutoff_m, r_max + 9.0 * params.d_wall_m, 2.0 * r_max) + 0.05
    wsz = 1.0
    wnx = max(int(math.ceil(nx * geometry.cell_m / wsz)), 1)
    wny = max(int(math.ceil(ny * geometry.cell_m / wsz)), 1)
    w = geometry.walls
    wstart, wseg = K.wall_cell_lists(w[:, 0].copy(), w[:, 1].copy(), w[:, 2].copy(),
                                     w[:, 3].copy(), geometry.x0_m, geometry.y0_m, wsz, wnx,
                                     wny, reach)
    return np.array([geometry.x0_m, geometry.y0_m, wsz, wnx, wny], dtype=float), wstart, wseg


def _fields(res: PedResult, geometry: Geometry, rx: np.ndarray, ry: np.ndarray,
            rv: np.ndarray, cell_m: float, threshold: float) -> None:
    """Per-frame density (count / walkable area of the cell), mean speed, LOS and warnings."""
    if not (math.isfinite(cell_m) and cell_m >= geometry.cell_m):
        raise InputError(f"field_cell_m {cell_m}: expected >= the navigation cell "
                         f"{geometry.cell_m} m")
    ny, nx = geometry.shape
    k = max(int(round(cell_m / geometry.cell_m)), 1)
    cell = k * geometry.cell_m
    gx, gy = int(math.ceil(nx / k)), int(math.ceil(ny / k))
    pad = np.zeros((gy * k, gx * k))
    pad[:ny, :nx] = geometry.valid
    frac = pad.reshape(gy, k, gx, k).mean(axis=(1, 3))
    area = frac * cell * cell
    f_n = rx.shape[0]
    fr, ids = np.nonzero(np.isfinite(rx))
    ci = np.clip(((rx[fr, ids] - geometry.x0_m) / cell).astype(int), 0, gx - 1)
    cj = np.clip(((ry[fr, ids] - geometry.y0_m) / cell).astype(int), 0, gy - 1)
    flat = (fr * gy + cj) * gx + ci
    cnt = np.bincount(flat, minlength=f_n * gy * gx).reshape(f_n, gy, gx).astype(float)
    vs = np.bincount(flat, weights=rv[fr, ids], minlength=f_n * gy * gx).reshape(f_n, gy, gx)
    ok = frac >= 0.25
    with np.errstate(invalid="ignore", divide="ignore"):
        dens = np.where(ok[None], cnt / np.where(ok, area, 1.0)[None], np.nan)
        spd = np.where(cnt > 0, vs / np.maximum(cnt, 1.0), np.nan)
    spd[:, ~ok] = np.nan
    res.field_x_m = geometry.x0_m + (np.arange(gx) + 0.5) * cell
    res.field_y_m = geometry.y0_m + (np.arange(gy) + 0.5) * cell
    res.density_per_m2 = dens
    res.speed_m_s = spd
    res.los = fruin_los(dens)
    wf, wj, wi = np.nonzero(np.nan_to_num(dens, nan=0.0) > threshold)
    res.warnings = pd.DataFrame({"time_s": wf / res.fps, "x_m": res.field_x_m[wi],
                                 "y_m": res.field_y_m[wj], "density_per_m2": dens[wf, wj, wi]})


# ---------------------------------------------------------------- validation scenes & metrics
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
