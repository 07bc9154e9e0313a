"""A drill vehicle's trip on the road state: the :class:`Trip` it reports and the
:class:`TripLog` that records it as it is driven (access legs, edges, waits), shared by the
adaptive router (:meth:`sim.drill.network.RoadState.drive`) and the forecast one
(:func:`sim.drill.forecast_route.time_dependent_fastest`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.errors import InputError

if TYPE_CHECKING:
    from sim.drill.network import RoadState

ACCESS_SPEED_M_S = 5.0  # same as match_inputs.road_travel_times: 18 km/h on yards and lanes the graph lacks


@dataclass
class Trip:
    """One drive from a point to a point on the drill clock."""

    reachable: bool
    t_depart_s: float
    t_arrive_s: float  # inf if unreachable
    xy: np.ndarray  # (n, 2) path coordinates in the city CRS, access legs included
    times_s: np.ndarray  # (n,) drill time at each vertex (non-decreasing)
    edges: list[tuple[Any, Any, Any, float, float]]  # (u, v, k, t_enter_s, t_exit_s) driven
    replans: list[tuple[float, str]] = field(default_factory=list)  # (time, reason)
    waits: list[tuple[float, float, str]] = field(default_factory=list)  # (t_from, t_to, reason)
    length_m: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.t_arrive_s - self.t_depart_s


class TripLog:
    """Vertices, times, edges and length of a trip as it is driven (shared by the adaptive and the
    forecast router): the access leg from the start point to its nearest node, edges, waits, and the
    access leg from the last node to the end point."""

    def __init__(self, st: "RoadState", src_xy: np.ndarray, dst_xy: np.ndarray, t0: float, speed_factor: float):
        if not (np.isfinite(speed_factor) and speed_factor > 0):
            raise InputError(f"speed_factor {speed_factor}: expected a finite value > 0")
        if not np.isfinite(t0):
            raise InputError(f"t0 {t0}: expected a finite drill time in seconds")
        st._refresh()
        self.st, self.t0, self.sf = st, float(t0), float(speed_factor)
        (self.s,), (acc_s,) = st._snap(src_xy)
        self.retarget(dst_xy)
        self.t_start = float(t0 + acc_s / (ACCESS_SPEED_M_S * speed_factor))  # at the first node
        self.xs: list[np.ndarray] = [np.asarray(src_xy, float).reshape(1, 2), st.node_xy[self.s][None, :]]
        self.ts: list[np.ndarray] = [np.array([self.t0]), np.array([self.t_start])]
        self.edges: list[tuple[Any, Any, Any, float, float]] = []
        self.length = float(acc_s)

    def retarget(self, dst_xy: np.ndarray) -> None:
        """The trip's destination points (k, 2): any of them ends it. Set at the start, and again
        where a vehicle on its way is sent elsewhere (:class:`sim.drill.network.PlanAgain`)."""
        pts = np.asarray(dst_xy, float).reshape(-1, 2)
        if not len(pts):
            raise InputError("dst_xy: expected at least one destination point")
        nodes, acc = self.st._snap(pts)
        # each destination node with its nearest destination point (several points: any of them ends the trip)
        order = np.lexsort((acc, nodes))
        first = order[np.unique(nodes[order], return_index=True)[1]]
        self.target_nodes, self.target_acc_m, self._target_pts = nodes[first], acc[first], pts[first]
        self._target_of = {int(n): i for i, n in enumerate(self.target_nodes)}
        self.target_key = tuple(int(n) for n in self.target_nodes)
        self.end_at(int(self.target_nodes[0]))

    def drive(self, e: int, t: float, factor: float) -> float:
        """Drive edge ``e`` entered at ``t`` at ``factor`` x free flow; returns the exit time."""
        st = self.st
        dt = float(st.tt_s[e] / factor / self.sf)
        pts, frac = st._geom[e]
        self.xs.append(pts[1:])
        self.ts.append(t + frac[1:] * dt)
        u, v, k = st.edge_keys[e]
        self.edges.append((u, v, k, t, t + dt))
        self.length += float(st.length_m[e])
        return t + dt

    def end_at(self, node: int) -> None:
        """The trip ends at destination node ``node`` and its destination point (access leg)."""
        i = self._target_of[node]
        self.d, self.acc_d, self.dst = node, float(self.target_acc_m[i]), self._target_pts[i]

    def target_costs(self, speed_factor: float = 1.0) -> np.ndarray:
        """Per destination node: its access leg's time (s) at ``speed_factor``, a route's last cost."""
        return self.target_acc_m / (ACCESS_SPEED_M_S * speed_factor)

    def wait(self, node: int, until: float) -> None:
        self.xs.append(self.st.node_xy[node][None, :])
        self.ts.append(np.array([until]))

    def trip(self, t_last_node: float | None, replans: list, waits: list) -> Trip:
        """The trip ending with the access leg to the end point, or unreachable (``None``)."""
        t = math.inf
        if t_last_node is not None:
            t = float(t_last_node + self.acc_d / (ACCESS_SPEED_M_S * self.sf))
            self.xs.append(self.dst[None, :])
            self.ts.append(np.array([t]))
            self.length += float(self.acc_d)
        return Trip(t_last_node is not None, self.t0, t, np.concatenate(self.xs), np.concatenate(self.ts),
                    self.edges, replans, waits, self.length)
