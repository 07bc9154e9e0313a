"""Scenic-area carrying capacity after LB/T 034-2014 (景区最大承载量核定导则) and crowd alerts.

Instantaneous capacity (LB/T 034-2014 §5.2, space method)::

    C_inst = sum_i X_i / Y_i

with X_i the visitable area of sub-area i (m²) and Y_i its per-capita space (m²/person), or for a
linear path the path length (m) over the per-capita length (m/person).  Daily capacity::

    C_daily = C_inst * Z,   Z = T / t

with T the daily opening time and t the average stay (h) — the turnover rate.  Alerts follow the
National Tourism Administration's guidance to the standard: yellow at 80 % of the maximum
capacity (start diverting/limiting), red at 100 % (stop admission).

Occupancy (persons inside) from an arrival series follows Little's law L = lambda * W
(Little 1961, Oper. Res. 9(3):383) with a fixed stay: those who arrived during the last ``stay``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from twin.errors import InputError

YELLOW_FRACTION: float = 0.8
RED_FRACTION: float = 1.0
ALERT_LEVELS: tuple[str, ...] = ("green", "yellow", "red")

# Default opening hours and average stay by A-grade (assumptions; override per spot).  5A areas
# are full-day destinations, 3A parks and small museums short visits.
DEFAULT_OPENING_H: dict[str, float] = {"5A": 10.0, "4A": 9.0, "3A": 9.0}
DEFAULT_STAY_H: dict[str, float] = {"5A": 4.0, "4A": 2.5, "3A": 1.5}


@dataclass(frozen=True)
class SubArea:
    """One sub-area of a scenic spot: an area with per-capita space, or a path with per-capita length."""

    name: str
    area_m2: float | None = None
    space_m2_per_person: float | None = None
    path_length_m: float | None = None
    space_m_per_person: float | None = None

    def capacity_persons(self) -> float:
        """X_i / Y_i (LB/T 034-2014 §5.2)."""
        if self.area_m2 is not None and self.path_length_m is not None:
            raise InputError(f"sub-area {self.name!r}: give area_m2 or path_length_m, not both")
        if self.area_m2 is not None:
            x, y, what = self.area_m2, self.space_m2_per_person, "space_m2_per_person"
        elif self.path_length_m is not None:
            x, y, what = self.path_length_m, self.space_m_per_person, "space_m_per_person"
        else:
            raise InputError(f"sub-area {self.name!r}: expected area_m2 or path_length_m")
        if y is None or not np.isfinite(y) or y <= 0:
            raise InputError(f"sub-area {self.name!r}: {what} {y!r}: expected a positive number")
        if not np.isfinite(x) or x < 0:
            raise InputError(f"sub-area {self.name!r}: size {x!r}: expected a non-negative number")
        return float(x) / float(y)


def instantaneous_capacity(sub_areas: Sequence[SubArea]) -> float:
    """C_inst = sum_i X_i / Y_i persons (LB/T 034-2014 §5.2)."""
    if not sub_areas:
        raise InputError("sub-areas []: expected at least one sub-area")
    return float(sum(s.capacity_persons() for s in sub_areas))


def daily_capacity(instant_persons: float, opening_h: float, stay_h: float) -> float:
    """C_daily = C_inst * T / t persons per day (LB/T 034-2014 §5.2, turnover Z = T/t)."""
    if not (opening_h > 0 and opening_h <= 24):
        raise InputError(f"opening_h {opening_h!r}: expected 0 < hours <= 24")
    if not (stay_h > 0 and stay_h <= opening_h):
        raise InputError(f"stay_h {stay_h!r}: expected 0 < average stay <= opening_h {opening_h}")
    return float(instant_persons) * opening_h / stay_h


def alert_levels(load_persons: np.ndarray | float, capacity_persons: np.ndarray | float) -> np.ndarray:
    """``green``/``yellow``/``red`` where load reaches 80 % / 100 % of the capacity."""
    load = np.asarray(load_persons, dtype=float)
    cap = np.asarray(capacity_persons, dtype=float)
    if np.any(~np.isfinite(cap)) or np.any(cap <= 0):
        raise InputError(f"capacity_persons {capacity_persons!r}: expected positive numbers")
    ratio = load / cap
    return np.where(ratio >= RED_FRACTION, "red", np.where(ratio >= YELLOW_FRACTION, "yellow", "green"))


def occupancy_from_arrivals(arrivals_persons: np.ndarray, step_min: float, stay_h: float) -> np.ndarray:
    """Persons inside after each step when every visitor stays ``stay_h``: the arrivals of the last
    stay/step steps (a fractional last step counts pro rata).  For constant arrivals lambda per
    hour this is Little's L = lambda * W exactly once the stay has elapsed."""
    a = np.asarray(arrivals_persons, dtype=float)
    if step_min <= 0:
        raise InputError(f"step_min {step_min!r}: expected a positive number of minutes")
    if stay_h <= 0:
        raise InputError(f"stay_h {stay_h!r}: expected a positive number of hours")
    k = stay_h * 60.0 / step_min
    whole, frac = int(np.floor(k)), k - np.floor(k)
    c = np.concatenate([[0.0], np.cumsum(a)])
    n = len(a)
    idx = np.arange(1, n + 1)
    inside = c[idx] - c[np.maximum(idx - whole, 0)]
    if frac > 0:
        j = idx - whole - 1
        inside += np.where(j >= 0, frac * a[np.maximum(j, 0)], 0.0)
    return inside


def scenic_capacities(city, *, sub_areas: Mapping[str, Sequence[SubArea]] | None = None,
                      opening_h: Mapping[str, float] | float | None = None,
                      stay_h: Mapping[str, float] | float | None = None) -> pd.DataFrame:
    """Capacity of every ``scenic_spot`` place of the city (LB/T 034-2014).

    By default each spot is one sub-area: ``attrs['area_m2']`` at ``attrs['space_m2_per_person']``.
    ``sub_areas`` (keyed by name or place_id) replaces that; ``opening_h``/``stay_h`` override the
    grade defaults (a number for all spots or a mapping by name or place_id).  Returns one row per
    spot: place_id, name, grade, instant_capacity_persons, opening_h, stay_h, turnover_per_day,
    daily_capacity_persons, yellow_persons, red_persons.
    """
    spots = city.places[city.places["kind"] == "scenic_spot"]
    if spots.empty:
        raise InputError("city places: expected at least one place of kind scenic_spot")
    names = set(spots["name"]) | set(spots["place_id"])
    for what, m in (("sub_areas", sub_areas), ("opening_h", opening_h), ("stay_h", stay_h)):
        if isinstance(m, Mapping):
            for k in m:
                if k not in names:
                    import difflib

                    close = difflib.get_close_matches(str(k), sorted(map(str, names)), n=3)
                    raise InputError(f"{what} spot {k!r}: expected a scenic spot of the city"
                                     + (f" (close: {', '.join(close)})" if close else ""))

    def pick(m, pid, name, default):
        if m is None:
            return default
        if isinstance(m, Mapping):
            return m.get(name, m.get(pid, default))
        return float(m)

    rows = []
    for r in spots.itertuples():
        attrs = dict(r.attrs or {})
        grade = str(attrs.get("grade", "4A"))
        subs = pick(sub_areas, r.place_id, r.name, None)
        if subs is None:
            if "area_m2" not in attrs or "space_m2_per_person" not in attrs:
                raise InputError(f"scenic spot {r.name!r}: attrs {sorted(attrs)}: expected area_m2 and "
                                 f"space_m2_per_person, or sub_areas for it")
            subs = [SubArea(r.name, area_m2=float(attrs["area_m2"]),
                            space_m2_per_person=float(attrs["space_m2_per_person"]))]
        c = instantaneous_capacity(subs)
        t_open = float(pick(opening_h, r.place_id, r.name, DEFAULT_OPENING_H.get(grade, 9.0)))
        t_stay = float(pick(stay_h, r.place_id, r.name, DEFAULT_STAY_H.get(grade, 2.0)))
        cd = daily_capacity(c, t_open, t_stay)
        rows.append({"place_id": r.place_id, "name": r.name, "grade": grade,
                     "instant_capacity_persons": c, "opening_h": t_open, "stay_h": t_stay,
                     "turnover_per_day": t_open / t_stay, "daily_capacity_persons": cd,
                     "yellow_persons": YELLOW_FRACTION * c, "red_persons": RED_FRACTION * c})
    return pd.DataFrame(rows)
