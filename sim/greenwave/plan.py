"""The two data types every part of the green-wave simulation shares: a corridor and a signal plan.

Positions run along the corridor from its start ("out" direction = increasing position,
"in" = decreasing). Times are seconds on the corridor clock; a signal's ``offset_s`` is when
its first phase starts, modulo the cycle. A :class:`SignalTiming` converts to and from the
twin's ``phase_plan`` dict (``twin.roads.default_phase_plan``), so a plan written back into the
city graph is what the rest of the product reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from shapely.geometry import LineString

# Which movements a phase serves. "out"/"in": main-street through (+ right turn) traffic in that
# direction; "left_out"/"left_in": protected left turns from the main street; "side": the cross street.
PHASE_MOVEMENTS: dict[str, tuple[str, ...]] = {
    "main": ("out", "in"),
    "main_out": ("out", "left_out"),  # leading/lagging: outbound through + its left turn
    "main_in": ("in", "left_in"),
    "left": ("left_out", "left_in"),
    "side": ("side",),
}
MOVEMENTS = ("out", "in", "left_out", "left_in", "side")


@dataclass
class Intersection:
    """One signalised intersection on the corridor."""

    node: Any  # road-graph node id
    name: str  # cross-street name
    pos_m: float  # distance from the corridor start, metres
    x: float  # easting, city CRS, metres
    y: float  # northing, city CRS, metres
    lanes_out: int = 2  # main-street lanes, out direction
    lanes_in: int = 2
    side_lanes: int = 1  # lanes of each side-street approach
    side_volume_vph: float = 300.0  # both side-street approaches together, vehicles/h
    turn_left: float = 0.10  # share of arriving main-street traffic turning left here (each direction)
    turn_right: float = 0.10  # share turning right here (each direction)
    side_to_main: float = 0.5  # share of side-street traffic turning onto the corridor (split evenly out/in)
    sat_flow_vphpl: float = 1800.0  # saturation flow per lane, vehicles/h of green
    # Turn bays (pockets) of the two main-street approaches, metres of storage before the stop line;
    # None = the design rule of :mod:`sim.greenwave.bays` (GB 50647-2011 l_s = 9 N), 0 = no bay.
    bay_left_out_m: float | None = None
    bay_left_in_m: float | None = None
    bay_right_out_m: float | None = None
    bay_right_in_m: float | None = None


@dataclass
class Corridor:
    """An arterial with its signals in order and its demand (vehicles/h)."""

    name: str
    crs: str
    intersections: list[Intersection]
    length_m: float  # corridor start (pos 0) to end; the signals lie inside
    speed_kph: float  # speed limit
    volume_out_vph: float  # entering at the start, travelling out
    volume_in_vph: float  # entering at the end, travelling in
    geometry: LineString | None = None  # city CRS, oriented out

    @property
    def positions_m(self) -> np.ndarray:
        return np.array([i.pos_m for i in self.intersections], dtype=float)

    @property
    def spacings_m(self) -> np.ndarray:
        return np.diff(self.positions_m)

    def __len__(self) -> int:
        return len(self.intersections)


@dataclass
class Phase:
    name: str  # a key of PHASE_MOVEMENTS
    green_s: float
    yellow_s: float = 3.0
    all_red_s: float = 2.0

    @property
    def length_s(self) -> float:
        return self.green_s + self.yellow_s + self.all_red_s


@dataclass
class SignalTiming:
    """Fixed-time plan of one intersection: phases in order, the first starting at ``offset_s``."""

    cycle_s: float
    offset_s: float
    phases: list[Phase]

    def __post_init__(self) -> None:
        total = sum(p.length_s for p in self.phases)
        if abs(total - self.cycle_s) > 1e-6:
            raise ValueError(f"phases sum to {total:g} s but cycle_s is {self.cycle_s:g} s")
        for p in self.phases:
            if p.name not in PHASE_MOVEMENTS:
                raise ValueError(f"phase name {p.name!r}: expected one of {sorted(PHASE_MOVEMENTS)}")

    def window(self, movement: str) -> tuple[float, float, float]:
        """(green start on the corridor clock modulo the cycle, green_s, yellow_s) of ``movement``.

        A movement served by two consecutive phases (e.g. "out" in "main_out" then "main") gets
        one merged window; (0, 0, 0) when no phase serves it.
        """
        t = self.offset_s
        start, green, yellow = None, 0.0, 0.0
        prev_served, clear = False, 0.0
        for p in self.phases + self.phases:  # twice, so a window wrapping the cycle end merges
            served = movement in PHASE_MOVEMENTS[p.name]
            if served and start is None and not prev_served:
                start, green, yellow = t, p.green_s, p.yellow_s
            elif served and start is not None:
                green += yellow + clear + p.green_s  # consecutive phases: it keeps its green through the change
                yellow = p.yellow_s
            elif start is not None:
                break
            prev_served, clear = served, p.all_red_s
            t += p.length_s
        if start is None:
            return (0.0, 0.0, 0.0)
        return (start % self.cycle_s, min(green, self.cycle_s), yellow)

    def to_phase_plan(self) -> dict[str, Any]:
        """The twin's ``phase_plan`` dict (see ``twin.roads.default_phase_plan``)."""
        return {"cycle_s": float(self.cycle_s), "offset_s": float(self.offset_s % self.cycle_s),
                "phases": [{"name": p.name, "green_s": float(p.green_s), "yellow_s": float(p.yellow_s),
                            "all_red_s": float(p.all_red_s)} for p in self.phases]}

    @classmethod
    def from_phase_plan(cls, plan: dict[str, Any]) -> "SignalTiming":
        return cls(float(plan["cycle_s"]), float(plan.get("offset_s", 0.0)),
                   [Phase(p["name"], float(p["green_s"]), float(p["yellow_s"]), float(p["all_red_s"]))
                    for p in plan["phases"]])


@dataclass
class Plan:
    """A corridor plan: one timing per intersection (corridor order) and what produced it."""

    name: str
    timings: list[SignalTiming]
    band_out_s: float | None = None  # green band each way, when the plan came from a band model
    band_in_s: float | None = None
    speed_out_m_s: float | None = None  # design (progression) speed each way
    speed_in_m_s: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def cycle_s(self) -> float:
        return self.timings[0].cycle_s

    def with_offsets(self, offsets_s: np.ndarray, name: str | None = None) -> "Plan":
        ts = [replace(t, offset_s=float(o) % t.cycle_s) for t, o in zip(self.timings, offsets_s)]
        return replace(self, name=name or self.name, timings=ts)

    def windows(self) -> np.ndarray:
        """float64 array (n_signals, len(MOVEMENTS), 4): cycle_s, green start, green_s, yellow_s.

        The layout the numba simulator reads; movement order is :data:`MOVEMENTS`.
        """
        out = np.zeros((len(self.timings), len(MOVEMENTS), 4))
        for i, t in enumerate(self.timings):
            for j, m in enumerate(MOVEMENTS):
                out[i, j, 0] = t.cycle_s
                out[i, j, 1:] = t.window(m)
        return out
