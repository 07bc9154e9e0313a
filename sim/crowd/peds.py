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
(:func:`sim.crowd.peds_validation.simulate_bottleneck_run`, mean of 3 seeds): egress time, mean flow and the density in
the 2 m x 2 m square in front of the gate (``front_density``; measured 5.26 /m^2), and
(b) the fundamental diagram of the UO runs with an unnarrowed exit: mean absolute error of
the periodic-corridor speed per 0.5 /m^2 density bin (``corridor_fd``,
``fd_bin_errors``, ``load_fd_measured(free_exit_only=True)``). Rule: the smallest (b)
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

Counter-flow (a path walked both ways; agents bound for different exits, one navigation field
each: :meth:`Geometry.toward`, ``Agents.destination``). Two more terms, both acting only between
agents of different streams, so every one-way result above is unchanged: the overtaking term
also steers round an oncoming walker, counted at half its distance (it closes at about twice the
walking speed: a time-to-contact horizon) with ``oncoming_weight`` x the overtaking weight, and
it passes on the left only one more than ``oncoming_keep_right`` x (r_i + r_j) to its right
(keeping right, the side rule of right-hand traffic; without a shared side rule two walkers that
each dodge "away" can both pick the same side). The term only sees walkers less than r_i + r_j
to either side, so keep_right 1 (the calibrated value, and the largest allowed) means always
keep right. No counter-flow trajectories are in the
reference data, so these two were chosen, not fitted, against the published finding that the
speed-density relations of uni- and bidirectional corridor flow agree up to about 1 /m^2 and the
bidirectional maximum specific flow is lower (Zhang, Klingsch, Schadschneider & Seyfried 2012,
J. Stat. Mech. P02002; no jam was seen in those experiments): on a periodic 20 m x 4 m corridor
with the two streams randomly mixed at the start, oncoming_weight 2 and keep_right 1 keep the
bidirectional mean speed within 3 % of the one-way speed up to 1.5 /m^2 (1 and 0, the plain
overtaking term: -14 % at 0.5 /m^2, -47 % at 1.5 /m^2, near standstill from 2 /m^2), and from
about 2 /m^2 such a mixed start still slows to half the one-way speed or less (BENCHMARKS.md,
counter-flow).

Outputs: trajectories (PedPy-compatible ``id, frame, x, y`` at ``fps``), per-frame density
and speed fields on a grid, the Fruin walkway level of service per cell, and warnings where a
cell's density exceeds a threshold (4 /m^2 by default).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import shapely

from sim.crowd import peds_kernels as K
from sim.crowd.peds_geometry import Geometry
from twin.errors import InputError

# Fruin (1971), Pedestrian Planning and Design, walkway levels of service: lower bounds of
# area per pedestrian for LOS A..E, 35/25/15/10/5 ft^2 (1 ft^2 = 0.09290304 m^2); F below.
FT2_M2 = 0.09290304
FRUIN_WALKWAY_M2 = tuple(a * FT2_M2 for a in (35.0, 25.0, 15.0, 10.0, 5.0))
LOS_LETTERS = "ABCDEF"
# Fruin (1971) queuing (standing) levels of service: lower bounds of area per person for A..E,
# 13/10/7/3/2 ft^2 (1.21/0.93/0.65/0.28/0.19 m^2); F below (close body contact). Mean spacing
# between persons: A >= 4 ft (1.22 m), B 3.5-4, C 3-3.5, D 2-3 ft (0.61-0.91 m), E < 2 ft.
FRUIN_QUEUE_M2 = tuple(a * FT2_M2 for a in (13.0, 10.0, 7.0, 3.0, 2.0))
DENSITY_WARNING_PER_M2 = 4.0
NAV_CELL_M = 0.05  # navigation grid of the validation scenes

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
    oncoming_weight: float = 1.0
    oncoming_keep_right: float = 0.0

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
        if not (math.isfinite(self.oncoming_weight) and self.oncoming_weight >= 0.0
                and math.isfinite(self.oncoming_keep_right) and 0.0 <= self.oncoming_keep_right <= 1.0):
            raise InputError(f"CsmParams oncoming_weight {self.oncoming_weight}, oncoming_keep_right "
                             f"{self.oncoming_keep_right}: expected >= 0 and 0..1")

    def auto_cutoff_m(self, r_max: float, v0_max: float, t_max: float, gap_max: float = 0.0) -> float:
        """Neighbour cut-off: ``cutoff_m`` if set, else the range beyond which nobody matters.

        V(s) saturates at s = g + v0 T (g: standing gap), so the agent ahead is irrelevant
        beyond 2 r + g + v0 T; the repulsion, shifted by g too, is skipped below exp(-9) of its
        strength, i.e. beyond 2 r + g + 9 D.
        """
        if self.cutoff_m > 0.0:
            return self.cutoff_m
        return 2.0 * r_max + gap_max + max(v0_max * t_max, 9.0 * self.d_neighbor_m) + 0.01

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
        p[K.P_ONC_W] = self.oncoming_weight
        p[K.P_ONC_KR] = self.oncoming_keep_right
        return p


#: The calibrated set (see the module docstring for how it was fitted; used everywhere).
CALIBRATED = CsmParams(time_gap_s=0.8, radius_m=0.15, d_neighbor_m=0.03, overtake=0.5,
                        a_wall=0.0, oncoming_weight=2.0, oncoming_keep_right=1.0)


# ---------------------------------------------------------------- agents
@dataclass
class Agents:
    """Initial state of the agents: positions, desired speeds, radii, time gaps and standing
    gaps (the clear distance kept to the one ahead when standing; None: 0, the calibrated
    crowd, see :mod:`sim.crowd.peds_kernels`)."""

    x_m: np.ndarray
    y_m: np.ndarray
    desired_speed_m_s: np.ndarray
    radius_m: np.ndarray
    time_gap_s: np.ndarray
    standing_gap_m: np.ndarray | None = None
    # index of each agent's destination in the list of geometries the run gets (None: all 0)
    destination: np.ndarray | None = None

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


def fruin_los(density_per_m2: np.ndarray, bounds_m2: tuple[float, ...] = FRUIN_WALKWAY_M2) -> np.ndarray:
    """Fruin (1971) level of service codes 0..5 (A..F) from density [1/m^2].

    Area per person a = 1/density against ``bounds_m2``: walkway A: a >= 3.25 m^2, B >= 2.32,
    C >= 1.39, D >= 0.93, E >= 0.46, F below (35/25/15/10/5 ft^2); for standing queues pass
    ``FRUIN_QUEUE_M2`` (A >= 1.2 m^2 ... E >= 0.2). NaN density gives 255.
    """
    d = np.asarray(density_per_m2, dtype=float)
    out = np.full(d.shape, 255, dtype=np.uint8)
    ok = np.isfinite(d)
    with np.errstate(divide="ignore"):
        area = np.where(d[ok] > 0, 1.0 / np.where(d[ok] > 0, d[ok], 1.0), np.inf)
    code = np.full(area.shape, 5, dtype=np.uint8)
    for k, lo in reversed(list(enumerate(bounds_m2))):
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
def nav_layers(geometries: Sequence[Geometry]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ux, uy, route_m, exit_mask) of one or more destinations on one grid, stacked on a
    leading axis as :func:`sim.crowd.peds_kernels.run_csm` reads them."""
    g0 = geometries[0]
    for k, g in enumerate(geometries[1:], 1):
        if (g.shape != g0.shape or (g.x0_m, g.y0_m, g.cell_m, g.period_x_m) != (g0.x0_m, g0.y0_m, g0.cell_m, g0.period_x_m)
                or not np.array_equal(g.walls, g0.walls)):
            raise InputError(f"destination {k}: expected the same walkable area, walls and grid as destination 0")
    route = (np.stack([g.route_m for g in geometries]) if g0.route_m.size else np.zeros((len(geometries), 0, 0)))
    return (np.stack([g.ux for g in geometries]), np.stack([g.uy for g in geometries]), route,
            np.stack([g.exit_mask for g in geometries]))


def simulate(geometry: Geometry | Sequence[Geometry], agents: Agents | np.ndarray, *, dt: float = 0.02,
             t_max: float = 300.0, seed: int = 0, record_every: int = 2,
             params: CsmParams | None = None, field_cell_m: float = 1.0,
             density_threshold_per_m2: float = DENSITY_WARNING_PER_M2,
             fields: bool = True) -> PedResult:
    """Run the CSM until every agent has left or ``t_max`` seconds have passed.

    ``agents``: an :class:`Agents` or an (n, 2) array of positions (desired speeds then drawn
    with ``seed`` from ``params``). ``geometry``: the scene, or a list of the same scene bound
    for different exits (:meth:`Geometry.toward`), one per destination of ``agents.destination``
    (counter-flow). Trajectories are recorded every ``record_every`` steps
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
    geos = [geometry] if isinstance(geometry, Geometry) else list(geometry)
    if not geos:
        raise InputError("geometry []: expected at least one geometry")
    geometry = geos[0]
    dest = (np.zeros(n, dtype=np.int64) if agents.destination is None
            else np.ascontiguousarray(agents.destination, dtype=np.int64))
    if dest.shape != (n,) or (dest < 0).any() or (dest >= len(geos)).any():
        raise InputError(f"agents.destination: expected {n} indices in 0 .. {len(geos) - 1} (one per geometry)")
    ux3, uy3, route3, exit3 = nav_layers(geos)
    x = np.ascontiguousarray(agents.x_m, dtype=float).copy()
    y = np.ascontiguousarray(agents.y_m, dtype=float).copy()
    inside = shapely.contains_xy(geometry.walkable, x, y)
    for k, g in enumerate(geos):
        inside[dest == k] &= g.reachable(x[dest == k], y[dest == k])
    if not inside.all():
        k = int(np.flatnonzero(~inside)[0])
        raise InputError(f"agent {k} at ({x[k]:.3f}, {y[k]:.3f}): expected a position inside "
                         "the walkable area with a route to an exit")
    rad = np.asarray(agents.radius_m, dtype=float)
    v0 = np.asarray(agents.desired_speed_m_s, dtype=float)
    tg = np.asarray(agents.time_gap_s, dtype=float)
    gap = (np.zeros(n) if agents.standing_gap_m is None
           else np.ascontiguousarray(agents.standing_gap_m, dtype=float).copy())
    if not (rad.shape == v0.shape == tg.shape == gap.shape == x.shape):
        raise InputError(f"agents: expected equal-length arrays, got {x.size}, {rad.size}, "
                         f"{v0.size}, {tg.size}, {gap.size}")
    if (v0 < 0).any() or (tg <= 0).any() or (rad <= 0).any() or not ((gap >= 0) & np.isfinite(gap)).all():
        raise InputError("agents: expected desired speeds >= 0, time gaps > 0, radii > 0, standing gaps >= 0")
    cutoff = params.auto_cutoff_m(float(rad.max()), float(v0.max()), float(tg.max()), float(gap.max()))
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
    ex = ux3[dest, j0, i0].copy()
    ey = uy3[dest, j0, i0].copy()
    wgrid, wstart, wseg = _wall_grid(geometry, params, float(rad.max()), cutoff)
    w = geometry.walls
    nav_o = np.array([geometry.x0_m, geometry.y0_m, geometry.cell_m])
    t0 = time.perf_counter()
    steps, agent_steps = K.run_csm(
        x, y, v0, rad, tg, gap, active, exit_t, ex, ey, prm, nav_o,
        ux3, uy3, route3, exit3, dest, w[:, 0].copy(),
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
