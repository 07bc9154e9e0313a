"""Walkable scenes of the pedestrian model: walls, exits and the navigation field.

A :class:`Geometry` holds a walkable (multi)polygon, its boundary segments and, on a
cell-centred grid, the travel-time-to-exit field agents walk down (fast marching, Sethian
1996, in :mod:`sim.crowd.peds_kernels`); :meth:`Geometry.periodic_corridor` is the periodic
corridor of the fundamental diagrams. Re-exported by :mod:`sim.crowd.peds`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import shapely
import shapely.validation
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon, box

from sim.crowd import fmm
from twin.errors import InputError

NAV_WALL_AVOID_M = 0.2  # band along walls where routes cost more (Geometry.from_polygon)
NAV_WALL_SLOWNESS = 1.0  # extra travel-time factor at the wall


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
        travel = fmm.travel_time_fmm(valid, exit_mask, slow, cell_m)
        ux, uy = fmm.descent_direction(travel, valid)
        good = valid & ((ux != 0.0) | (uy != 0.0))
        if good.any():
            _, (jj, ii) = ndimage.distance_transform_edt(~good, return_indices=True)
            ux, uy = ux[jj, ii], uy[jj, ii]
        reach = valid & (travel < fmm.INF)
        _, (jj, ii) = ndimage.distance_transform_edt(~reach, return_indices=True)
        route = travel[jj, ii]  # route length, extended to wall cells (bilinear lookups)
        # a point in the walkable area may sit in a cell whose centre is just outside it
        reach_mask = ndimage.binary_dilation(reach, structure=np.ones((3, 3)), iterations=2)
        return cls(walkable=walkable, exits=ex_geoms, x0_m=x0, y0_m=y0, cell_m=cell_m,
                   valid=valid, exit_mask=exit_mask, travel_m=travel, ux=ux, uy=uy,
                   walls=_wall_segments(walkable), route_m=route, reach_mask=reach_mask)

    @classmethod
    def periodic_corridor(cls, length_m: float, width_m: float, *,
                          cell_m: float = 0.1, direction: int = 1) -> "Geometry":
        """A corridor [0, L] x [0, W], periodic in x, walls along y = 0 and y = W.

        The desired direction is +x everywhere (``direction`` -1: -x, the other stream of a
        counter-flow); no exit; used for fundamental diagrams.
        """
        if direction not in (1, -1):
            raise InputError(f"corridor direction {direction!r}: expected 1 (+x) or -1 (-x)")
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
                   travel_m=np.full((ny, nx), np.nan), ux=np.full((ny, nx), float(direction)),
                   uy=np.zeros((ny, nx)), walls=walls, period_x_m=float(length_m))

    def toward(self, exits: Sequence, **kw: Any) -> "Geometry":
        """The same walkable area on the same grid, bound for other ``exits`` (the navigation
        layer of a second destination, e.g. the far end of a path walked both ways);
        ``kw`` as :meth:`from_polygon`."""
        if self.period_x_m > 0:
            raise InputError("toward: a periodic corridor has no exits; use periodic_corridor(direction=-1)")
        g = Geometry.from_polygon(self.walkable, exits, cell_m=self.cell_m, **kw)
        if g.shape != self.shape or (g.x0_m, g.y0_m) != (self.x0_m, self.y0_m):
            raise InputError("toward: the navigation grid changed; expected the same walkable area")
        return g

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
