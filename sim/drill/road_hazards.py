"""The hazards a drill's road state is built from: timed closures (landslides, incident lane closures,
manual blocks), flood depth frames and hazard zones (toxic concentration frames), each sampled onto
the road graph's edges. A mixin of :class:`sim.drill.network.RoadState` (it fills the state's
``_closures``, ``_cl_eids``, ``_layers`` and marks it ``_dirty``; the state combines them)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.flood.impacts import EdgeSampler, flooded_speed_kph
from terrain.raster import Raster
from twin.errors import InputError

KINDS = ("flood", "toxic", "landslide", "incident", "manual")


@dataclass(frozen=True)
class Closure:
    """One timed restriction on a set of edges, active for ``t_from_s <= t < t_to_s``."""

    edges: tuple[tuple[Any, Any, Any], ...]
    t_from_s: float
    t_to_s: float  # math.inf = until the end
    kind: str  # "flood" | "toxic" | "landslide" | "incident" | "manual"
    reason: str  # human text for the log, e.g. "depth 0.42 m > 0.3 m"
    avoidable_by_protected: bool = False  # True for toxic zones: protected resources may enter
    speed_factor: float = 0.0  # 0 = closed; 0 < f < 1 = slowed


def _worse_of_interval(value: np.ndarray) -> np.ndarray:
    """Per edge, the larger of frames k and k+1 for the interval [t_k, t_k+1) that frame k stands
    for (the last frame as it is): water or a cloud that reaches an edge before the next frame is
    there from the start of the interval, so no route is planned through it in between."""
    out = value.copy()
    if len(out) > 1:
        np.maximum(out[:-1], value[1:], out=out[:-1])
    return out


@dataclass
class _Layer:
    """Frame-based restriction (flood depth or hazard zone): frame k holds from times_s[k]
    to times_s[k+1] (the worse of frames k and k+1, :func:`_worse_of_interval`), the last one
    for ever; before the first frame nothing is restricted."""

    kind: str
    times_s: np.ndarray  # (n,) absolute drill times, strictly increasing
    factor: np.ndarray  # (n, E) edge factor per frame
    value: np.ndarray  # (n, E) max raster value along each edge (for the log)
    threshold: float
    avoidable: bool
    label: str
    avoid: bool = False  # an avoided zone: factor 1 everywhere; value >= threshold marks its edges


class HazardInput:
    """Adding restrictions to the road state (mixin of ``RoadState``)."""

    def add(self, c: Closure) -> None:
        """Add one timed restriction (its edges as (u, v, k); (u, v) means every parallel edge)."""
        if c.kind not in KINDS:
            raise InputError(f"closure kind {c.kind!r}: expected one of {', '.join(KINDS)}")
        if not (c.t_to_s > c.t_from_s) or math.isnan(c.t_from_s) or math.isnan(c.t_to_s):
            raise InputError(f"closure times {c.t_from_s}..{c.t_to_s} s: expected t_to_s > t_from_s")
        if not 0.0 <= c.speed_factor <= 1.0:
            raise InputError(f"closure speed_factor {c.speed_factor}: expected 0 (closed) to 1 (free)")
        eids: list[int] = []
        for e in c.edges:
            if len(e) == 2 and self.g.has_edge(e[0], e[1]):
                eids.extend(self._eid[(e[0], e[1], k)] for k in self.g[e[0]][e[1]])
            elif len(e) == 3 and tuple(e) in self._eid:
                eids.append(self._eid[tuple(e)])
            else:
                raise InputError(f"closure edge {e!r}: expected an edge (u, v, k) of the road graph")
        self._closures.append(c)
        self._cl_eids.append(np.unique(np.asarray(eids, np.int64)))
        self._dirty = True

    def add_flood(self, times_s: np.ndarray, depth_frames: np.ndarray, grid: Raster, *, offset_s: float = 0.0,
                  closure_depth_m: float = 0.3) -> None:
        """Flood depth frames on ``grid`` (frame k from drill time ``offset_s + times_s[k]``).

        Per frame and edge: the largest depth along the edge (:class:`EdgeSampler`); closed
        where deeper than ``closure_depth_m``, otherwise, where wet, slowed to
        ``flooded_speed_kph / speed limit`` (Pregnolato et al. 2017, Transp. Res. D 55, 67-81,
        eq. 3)."""
        if not closure_depth_m > 0:
            raise InputError(f"closure_depth_m {closure_depth_m}: expected > 0")
        t, depth = self._sample(times_s, depth_frames, grid, offset_s, "depth_frames")
        depth = _worse_of_interval(depth)
        limit = self.speed_kph[None, :]
        factor = np.where(depth > 0.0, flooded_speed_kph(depth, limit, closure_depth_m) / limit, 1.0)
        self._layers.append(_Layer("flood", t, factor, depth, float(closure_depth_m), False, "flood"))
        self._dirty = True

    def add_zone(self, times_s: np.ndarray, frames: np.ndarray, grid: Raster, threshold: float, *,
                 offset_s: float = 0.0, kind: str = "toxic", label: str = "AEGL-3 (red) zone",
                 avoid: bool = False) -> None:
        """Hazard zone frames (e.g. toxic concentration): an edge is closed while the largest
        frame value along it is >= ``threshold``, except to protected resources. With ``avoid``
        the zone closes nothing: routes asked to (``avoid_penalty`` of :meth:`route`) keep out of
        it where the detour is worth it."""
        if kind not in KINDS:
            raise InputError(f"zone kind {kind!r}: expected one of {', '.join(KINDS)}")
        if not (np.isfinite(threshold) and threshold > 0):
            raise InputError(f"zone threshold {threshold}: expected a finite value > 0")
        t, value = self._sample(times_s, frames, grid, offset_s, "frames")
        value = _worse_of_interval(value)
        factor = np.ones_like(value) if avoid else np.where(value >= threshold, 0.0, 1.0)
        self._layers.append(_Layer(kind, t, factor, value, float(threshold), True, label, bool(avoid)))
        self._dirty = True

    def _sample(self, times_s: np.ndarray, frames: np.ndarray, grid: Raster, offset_s: float,
                what: str) -> tuple[np.ndarray, np.ndarray]:
        """(absolute times (n,), max frame value along each edge (n, E))."""
        t = np.atleast_1d(np.asarray(times_s, float))
        fr = np.asarray(frames)  # no float64 copy of the whole stack: only the sampled cells are converted
        if fr.ndim == 2:
            fr = fr[None]
        if t.ndim != 1 or len(t) == 0 or not np.isfinite(t).all() or np.any(np.diff(t) <= 0):
            raise InputError(f"times_s {t.tolist()[:5]}...: expected finite, strictly increasing seconds")
        if fr.shape != (len(t), *grid.shape):
            raise InputError(f"{what} shape {fr.shape}: expected {(len(t), *grid.shape)} (times x grid rows x cols)")
        if not np.isfinite(offset_s):
            raise InputError(f"offset_s {offset_s}: expected a finite number of seconds")
        key = (tuple(grid.transform), grid.shape)
        if key not in self._samplers:
            self._samplers[key] = EdgeSampler(self.g, grid)
        s = self._samplers[key]
        vals = np.where(s.inside[None, :], np.nan_to_num(fr[:, s.rows, s.cols].astype(float), nan=0.0), 0.0)
        per_edge = np.maximum.reduceat(vals, s.starts, axis=1)
        order = np.array([self._eid[e] for e in s.keys])
        out = np.zeros((len(t), self._E))
        out[:, order] = per_edge
        return t + float(offset_s), out


__all__ = ["KINDS", "Closure", "HazardInput"]
