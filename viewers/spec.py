"""Viewer-neutral layer descriptions: what a Result hands to the viewer.

A :class:`Layer` carries data in the city CRS plus how to colour it; the page
writer (:mod:`viewers.page`) turns it into deck.gl layers in WGS-84. Nothing here
knows about a particular simulation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["image", "polygons", "lines", "points", "mesh", "trips"]


@dataclass
class Layer:
    """One logical map layer, optionally time-dependent.

    Parameters
    ----------
    id : unique, [a-z0-9_]
    title : shown in the layer list and legend
    kind : ``image`` (RGBA array on a grid: data = (rgba uint8 (h, w, 4), affine, crs)),
        ``polygons`` / ``lines`` / ``points`` (GeoDataFrame with a ``color`` column of RGBA
        lists; polygons may be extruded by ``elevation_col``), ``mesh`` (trimesh in city CRS,
        vertex colours used when present).
    data : the layer data, or None when ``frames`` is given
    frames : for time-dependent layers, a list of (time_s, data) with time in seconds from
        the scenario start; the page shows, at slider time t, the last frame with time <= t
    legend : list of (label, RGBA) pairs, or a colour ramp dict {"ramp": [...], "vmin", "vmax", "unit"}
    tooltip : columns shown on hover (vector layers)
    style : extra options (line width_m or width_col, point radius_m or radius_col (m), opacity, extruded,
            elevation_col, wireframe)
    visible : initial visibility
    """

    id: str
    title: str
    kind: Kind
    data: Any = None
    frames: list[tuple[float, Any]] | None = None
    legend: list[tuple[str, list[int]]] | dict[str, Any] | None = None
    tooltip: list[str] = field(default_factory=list)
    style: dict[str, Any] = field(default_factory=dict)
    visible: bool = True

    def __post_init__(self) -> None:
        if (self.data is None) == (self.frames is None):
            raise ValueError(f"layer '{self.id}': give exactly one of data or frames")
        if self.frames is not None:
            times = [t for t, _ in self.frames]
            if times != sorted(times):
                raise ValueError(f"layer '{self.id}': frame times must increase")

    @property
    def times(self) -> list[float]:
        if self.kind == "trips":
            return [float(t) for t in self.style.get("times", [])]
        return [float(t) for t, _ in self.frames] if self.frames else []
