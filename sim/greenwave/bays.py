"""Turn bays (pockets) on the main-street approaches of the corridor's signals.

A bay is an extra lane of ``L`` metres just before the stop line (left of the through lanes for left
turns, right of them for right turns) into which turning vehicles change at its start, so that they
brake and queue out of the through lanes; a turning queue longer than the bay spills back into the
through lane (see :mod:`sim.greenwave.kernels`).

Default length (an approach whose ``bay_*_m`` is None): the entry-widening rule of the Chinese code
for planning urban road intersections, GB 50647-2011 (城市道路交叉口规划规范), where the widened
(storage) section of an entry approach is ``l_s = 9 N`` metres, N the mean number of left- (right-)
turning vehicles arriving per signal cycle at the design peak; 9 m is the space one queued car
takes. Here N = q_turn x C / 3600 with q_turn the approach's turning volume from the corridor demand
(:func:`sim.greenwave.corridor.arrivals_vph`) and C the corridor's Webster (1958) common cycle, the
length rounded up to 5 m and not below :data:`MIN_BAY_M`. For comparison, AASHTO's Green Book
(A Policy on Geometric Design of Highways and Streets, 7th ed. 2018, §9.7.3) sizes storage at signals
at 1.5-2 times the mean number of vehicles per cycle. A movement with no turning share gets no bay;
a bay never exceeds its approach link less :data:`LINK_MARGIN_M`.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np

from sim.greenwave.corridor import arrivals_vph
from sim.greenwave.plan import Corridor
from twin.errors import InputError

BAY_M_PER_VEH = 9.0  # GB 50647-2011: storage per queued vehicle in l_s = 9 N, metres
MIN_BAY_M = 30.0  # shortest bay built by default: four queued cars (our floor, not the code's)
ROUND_M = 5.0  # default lengths are rounded up to this
LINK_MARGIN_M = 15.0  # a bay leaves at least this much of its approach link (two car lengths + gaps)
FIELDS = (("bay_left_out_m", "bay_right_out_m"), ("bay_left_in_m", "bay_right_in_m"))  # [direction][side]
SIDES = ("left", "right")


def design_bay_m(turn_vph: float, cycle_s: float) -> float:
    """GB 50647-2011 storage length ``9 N`` (N = turn_vph x cycle_s / 3600 vehicles per cycle), rounded
    up to 5 m, at least :data:`MIN_BAY_M`; 0 without turning traffic."""
    if turn_vph <= 0.0:
        return 0.0
    n_per_cycle = turn_vph * cycle_s / 3600.0
    return max(MIN_BAY_M, ROUND_M * math.ceil(BAY_M_PER_VEH * n_per_cycle / ROUND_M - 1e-9))


def design_cycle_s(corridor: Corridor) -> float:
    """The corridor's Webster common cycle for two-phase control (the cycle the bays are sized for)."""
    from sim.greenwave.webster import webster_timing  # webster imports the corridor module too

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # over-capacity warnings belong to the plan, not to the geometry
        return float(webster_timing(corridor).cycle_s)


def approach_links_m(corridor: Corridor) -> np.ndarray:
    """float64 (n, 2): length of the link each signal's out / in approach comes along, metres."""
    pos = corridor.positions_m
    up_out = np.diff(np.concatenate([[0.0], pos]))
    up_in = np.diff(np.concatenate([pos, [corridor.length_m]]))
    return np.stack([up_out, up_in], axis=1)


def bay_lengths_m(corridor: Corridor, cycle_s: float | None = None) -> np.ndarray:
    """float64 (n, 2, 2): bay length per signal (corridor order), direction (out, in) and side (left,
    right), metres; the design rule where the intersection leaves it None (capped at the link less
    :data:`LINK_MARGIN_M`), at ``cycle_s`` (default :func:`design_cycle_s`). A given length longer
    than that raises :class:`InputError`."""
    n = len(corridor)
    out = np.zeros((n, 2, 2))
    its = corridor.intersections
    need_rule = any(getattr(it, f) is None for it in its for fs in FIELDS for f in fs)
    links = approach_links_m(corridor)
    if need_rule:
        cyc = design_cycle_s(corridor) if cycle_s is None else float(cycle_s)
        if not (np.isfinite(cyc) and cyc > 0.0):
            raise InputError(f"cycle_s {cycle_s!r}: expected the cycle the bays are sized for, seconds > 0")
        arr = np.stack(arrivals_vph(corridor), axis=1)  # (n, 2) arriving main-street volume
    for i, it in enumerate(its):
        for d in range(2):
            room = max(0.0, float(links[i, d]) - LINK_MARGIN_M)
            for s, share in enumerate((it.turn_left, it.turn_right)):
                name = FIELDS[d][s]
                val = getattr(it, name)
                if val is None:
                    out[i, d, s] = min(design_bay_m(float(arr[i, d]) * share, cyc), room)
                    continue
                val = float(val)
                if not (np.isfinite(val) and val >= 0.0):
                    raise InputError(f"{name} {val!r} at intersection {it.name!r}: expected a length >= 0 m")
                if val > room + 1e-9:
                    raise InputError(f"{name} {val:g} m at intersection {it.name!r}: expected at most {room:g} m "
                                     f"(its approach link is {links[i, d]:g} m long)")
                out[i, d, s] = val
    return out


def has_bays(corridor: Corridor) -> np.ndarray:
    """bool (n, 2, 2) like :func:`bay_lengths_m`: whether each main-street approach has a left / right bay
    once resolved (a given length > 0; under the design rule, a turning share and room on the link).
    Needs no cycle, so Webster's method can form its lane groups from it (:mod:`sim.greenwave.webster`)."""
    links = approach_links_m(corridor)
    out = np.zeros((len(corridor), 2, 2), bool)
    for i, it in enumerate(corridor.intersections):
        for d in range(2):
            for s, share in enumerate((it.turn_left, it.turn_right)):
                val = getattr(it, FIELDS[d][s])
                out[i, d, s] = (share > 0.0 and links[i, d] > LINK_MARGIN_M) if val is None else float(val) > 0.0
    return out


def with_bays(corridor: Corridor, cycle_s: float | None = None) -> Corridor:
    """A copy of ``corridor`` with every bay length resolved to a number (the design rule at
    ``cycle_s`` for those left None, :func:`bay_lengths_m`), so that the geometry stays put when the
    demand is scaled later (time-of-day periods)."""
    b = bay_lengths_m(corridor, cycle_s)
    its = [replace(it, **{FIELDS[d][s]: float(b[i, d, s]) for d in range(2) for s in range(2)})
           for i, it in enumerate(corridor.intersections)]
    return replace(corridor, intersections=its)


def describe(corridor: Corridor) -> list[dict[str, float | str]]:
    """One row per signal: its name and the four resolved bay lengths (for reports)."""
    b = bay_lengths_m(corridor)
    return [{"name": it.name, **{FIELDS[d][s]: float(b[i, d, s]) for d in range(2) for s in range(2)}}
            for i, it in enumerate(corridor.intersections)]


__all__ = ["design_bay_m", "design_cycle_s", "bay_lengths_m", "has_bays", "approach_links_m", "with_bays", "describe",
           "BAY_M_PER_VEH", "MIN_BAY_M", "LINK_MARGIN_M"]
