"""The tables of a drill review (:mod:`sim.drill.review`): their columns, their checks, per-plan
selection and the sample statistics every part of the review uses.

Quantiles are the linear-interpolation estimator, type 7 of Hyndman & Fan (1996, "Sample
quantiles in statistical packages", Am. Stat. 50(4), 361-365), with one rule for ``inf``: a
quantile that puts any weight on an ``inf`` observation is ``inf``."""
from __future__ import annotations

import math
from typing import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from twin.errors import InputError

TZ = ZoneInfo("Asia/Shanghai")

COLUMNS: dict[str, tuple[str, ...]] = {
    "tasks": ("plan", "task_id", "incident_id", "incident_type", "grade", "resource_id", "resource_type",
              "capability", "dispatched_s", "arrival_s", "work_start_s", "work_end_s", "back_s", "target_s",
              "opened_s", "route_m", "replans"),
    "incidents": ("plan", "incident_id", "type", "grade", "name", "x_m", "y_m", "opened_s", "first_arrival_s",
                  "response_s", "target_s", "closed_s", "unmet_needs"),
    "needs": ("plan", "incident_id", "capability", "unit", "needed", "covered", "missing", "reason"),
    "people": ("plan", "t_s", "at_risk", "in_place", "evacuating", "sheltered"),
    "shelters": ("plan", "t_s", "shelter", "load_persons", "capacity_persons"),
    "resources": ("plan", "resource_id", "type", "busy_s", "drill_s"),
    "log": ("plan", "t_s", "kind", "text", "reason"),
    "ways_out": ("plan", "x_m", "y_m", "near", "groups", "persons", "first_s", "last_s"),
}

PEOPLE_TOL = 1e-6  # persons: at_risk must equal in_place + evacuating + sheltered + left_area to this

_PLAN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf")


# ------------------------------------------------------------------------------ input checks
def _check(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """``df`` if it is a DataFrame with the columns :data:`COLUMNS` names for ``name``; an
    empty table may lack them (a plan variant without dispatches, a drill without shelters)."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{name} {type(df).__name__}: expected a pandas DataFrame")
    missing = [c for c in COLUMNS[name] if c not in df.columns]
    if missing and not len(df):
        return df.reindex(columns=[*df.columns, *missing])
    if missing:
        raise InputError(f"{name} columns {missing}: expected all of {list(COLUMNS[name])}")
    return df


def _check_people(people: pd.DataFrame) -> pd.DataFrame:
    """Persons are conserved: at_risk = in_place + evacuating + sheltered + left_area (to 1e-6
    persons). ``left_area`` (out of the danger area with no shelter place) may be missing: 0."""
    people = _check(people, "people")
    if "left_area" not in people.columns:
        people = people.assign(left_area=0.0)
    p = people[["at_risk", "in_place", "evacuating", "sheltered", "left_area"]].to_numpy(float)
    if len(p) and not np.isfinite(p).all():
        raise InputError("people at_risk/in_place/evacuating/sheltered/left_area non-finite: expected finite persons")
    gap = np.abs(p[:, 0] - p[:, 1:].sum(axis=1)) if len(p) else np.zeros(0)
    if len(gap) and gap.max() > PEOPLE_TOL:
        i = int(np.argmax(gap))
        row = people.iloc[i]
        raise InputError(f"people plan {row['plan']} t_s {row['t_s']}: at_risk {p[i, 0]:g} != in_place + evacuating"
                         f" + sheltered + left_area {p[i, 1:].sum():g}; expected equal within {PEOPLE_TOL:g} persons")
    if len(p) and (p < -PEOPLE_TOL).any():
        raise InputError("people counts negative: expected persons >= 0")
    return people


def _check_shelters(shelters: pd.DataFrame) -> pd.DataFrame:
    shelters = _check(shelters, "shelters")
    cap = shelters["capacity_persons"].to_numpy(float)
    bad = ~(cap > 0)
    if bad.any():
        row = shelters.loc[bad].iloc[0]
        raise InputError(f"shelters capacity_persons {row['capacity_persons']} at {row['shelter']}: expected > 0")
    return shelters


def _check_resources(resources: pd.DataFrame) -> pd.DataFrame:
    resources = _check(resources, "resources")
    d = resources["drill_s"].to_numpy(float)
    bad = ~((d > 0) & np.isfinite(d))
    if bad.any():
        row = resources.loc[bad].iloc[0]
        raise InputError(f"resources drill_s {row['drill_s']} for {row['resource_id']}: expected a finite length > 0")
    return resources


def _plans(*dfs: pd.DataFrame) -> list[str]:
    """Plan names in order of first appearance over the tables."""
    seen: dict[str, None] = {}
    for df in dfs:
        if df is not None and "plan" in df.columns:
            for p in df["plan"].astype(str):
                seen.setdefault(p, None)
    return list(seen)


def _of(df: pd.DataFrame, plan: str) -> pd.DataFrame:
    return df[df["plan"].astype(str) == plan]


def _f(s) -> np.ndarray:
    """Values as a float array (non-numbers become NaN)."""
    return np.asarray(pd.to_numeric(s, errors="coerce"), dtype=float)


# ------------------------------------------------------------------------------ statistics
def quantile(values: Iterable[float], q: float) -> float:
    """Type-7 sample quantile (Hyndman & Fan 1996, eq. for Q7: h = (n-1)q, linear between the
    order statistics around h) of the non-NaN values; ``inf`` when it puts weight on an inf."""
    x = np.sort(np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float))
    x = x[~np.isnan(x)]
    if not len(x):
        return math.nan
    h = (len(x) - 1) * float(q)
    lo, hi = int(math.floor(h)), int(math.ceil(h))
    if lo == hi or h == lo:
        return float(x[lo])
    if math.isinf(x[hi]) or math.isinf(x[lo]):
        return math.inf
    return float(x[lo] + (h - lo) * (x[hi] - x[lo]))


def _median(values) -> float:
    return quantile(values, 0.5)


def _late_by_s(tasks: pd.DataFrame) -> np.ndarray:
    """Lateness of each dispatch beyond its incident's target: arrival - opened - target
    (inf if it never arrived; NaN or -inf, i.e. never late, where no finite target is set)."""
    return _f(tasks["arrival_s"]) - _f(tasks["opened_s"]) - _f(tasks["target_s"])
