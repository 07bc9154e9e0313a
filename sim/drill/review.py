"""After-action review (事后复盘) of a contingency-plan drill: metrics per plan variant, a
side-by-side comparison, the bottlenecks (late tasks, unmet needs), PNG charts and one
self-contained HTML page a planner reads the morning after.

Every plan variant of a drill runs the same events with the same seed; the engine hands over
one table of each kind, concatenated over the variants, with a ``plan`` column naming the
variant (columns listed in :data:`COLUMNS`). Times are seconds on the drill clock (t = 0 at the
drill's start); ``inf`` marks something that never happened (a resource that never arrived, an
incident never fully covered). Wall-clock times are shown in Asia/Shanghai.

Quantiles are the linear-interpolation estimator, type 7 of Hyndman & Fan (1996, "Sample
quantiles in statistical packages", Am. Stat. 50(4), 361-365), with one rule for ``inf``: a
quantile that puts any weight on an ``inf`` observation is ``inf`` (a plan that never covers
its worst incidents must not look faster for it). Response curves are empirical CDFs.
"""
from __future__ import annotations

import base64
import functools
import html
import math
import os
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from twin.atomic import write_text_atomic
from twin.errors import InputError
from viewers.png import fig_png, save_png

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
}

PEOPLE_TOL = 1e-6  # persons: at_risk must equal in_place + evacuating + sheltered to this

# metric -> (what it means, which way is better: "lower" | "higher" | "" for neither)
METRICS: dict[str, tuple[str, str]] = {
    "n_incidents": ("incidents opened", ""),
    "n_tasks": ("dispatches (resource x incident)", ""),
    "response_median_s": ("median response: last needed resource on scene after the incident opened", "lower"),
    "response_p90_s": ("90th-percentile response", "lower"),
    "response_max_s": ("slowest response", "lower"),
    "first_arrival_median_s": ("median time until the first resource was on scene", "lower"),
    "on_target_share": ("incidents fully covered within their response target", "higher"),
    "incidents_uncovered": ("incidents where some need was never covered", "lower"),
    "dispatch_lag_median_s": ("median delay from incident opening to dispatch", "lower"),
    "travel_median_s": ("median travel time from dispatch to arrival", "lower"),
    "late_tasks": ("dispatches that arrived after the incident's target (or never)", "lower"),
    "late_task_share": ("share of dispatches that were late", "lower"),
    "task_delay_max_s": ("worst lateness of a dispatch beyond its target", "lower"),
    "unmet_needs": ("needs (incident x capability) left partly or wholly uncovered", "lower"),
    "needs_coverage_share": ("mean covered fraction of the needed amounts", "higher"),
    "incidents_closed": ("incidents closed by the end of the drill", "higher"),
    "close_last_s": ("time until the last incident was closed", "lower"),
    "people_at_risk_peak": ("peak persons at risk", ""),
    "evacuated_by_end_share": ("persons at risk who are in a shelter at the end", "higher"),
    "sheltered_end": ("persons in shelters at the end", "higher"),
    "in_place_end": ("persons still in place in the danger zone at the end", "lower"),
    "evacuated_90_s": ("time until 90 % of the persons at risk were sheltered", "lower"),
    "shelter_peak_load_share": ("highest load / capacity of any shelter", "lower"),
    "shelters_over_capacity": ("shelters that were over capacity at some time", "lower"),
    "shelter_overflow_peak_persons": ("peak persons above capacity, summed over shelters", "lower"),
    "resources_used": ("resources dispatched at least once", ""),
    "utilisation_mean": ("mean time away on tasks / drill length, over resources that worked", ""),
    "utilisation_max": ("busiest resource's time away / drill length", ""),
    "route_km_total": ("distance driven to the scenes", "lower"),
    "replans": ("route or assignment re-plans", "lower"),
}

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
    """Persons are conserved: at_risk = in_place + evacuating + sheltered (to 1e-6 persons)."""
    people = _check(people, "people")
    p = people[["at_risk", "in_place", "evacuating", "sheltered"]].to_numpy(float)
    if len(p) and not np.isfinite(p).all():
        raise InputError("people at_risk/in_place/evacuating/sheltered non-finite: expected finite persons")
    gap = np.abs(p[:, 0] - p[:, 1:].sum(axis=1)) if len(p) else np.zeros(0)
    if len(gap) and gap.max() > PEOPLE_TOL:
        i = int(np.argmax(gap))
        row = people.iloc[i]
        raise InputError(f"people plan {row['plan']} t_s {row['t_s']}: at_risk {p[i, 0]:g} != in_place + evacuating"
                         f" + sheltered {p[i, 1:].sum():g}; expected equal within {PEOPLE_TOL:g} persons")
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


# ------------------------------------------------------------------------------ metrics
def plan_metrics(tasks: pd.DataFrame, incidents: pd.DataFrame, needs: pd.DataFrame, people: pd.DataFrame,
                 shelters: pd.DataFrame, resources: pd.DataFrame) -> pd.DataFrame:
    """One row per plan with the review metrics of :data:`METRICS` (units in the names: ``_s``
    seconds, ``_share`` fraction 0..1, ``_km`` kilometres, counts otherwise).

    Responses count an incident never fully covered as ``inf``; ``on_target_share`` is over the
    incidents that have a target. ``evacuated_by_end_share`` is sheltered / at_risk at the last
    people time step. ``utilisation_*`` is busy_s / drill_s over the resources that worked."""
    tasks, incidents, needs = _check(tasks, "tasks"), _check(incidents, "incidents"), _check(needs, "needs")
    people, shelters, resources = _check_people(people), _check_shelters(shelters), _check_resources(resources)
    rows = []
    for plan in _plans(incidents, tasks, needs, people, shelters, resources):
        tk, inc, nd = _of(tasks, plan), _of(incidents, plan), _of(needs, plan)
        pp, sh, rs = _of(people, plan), _of(shelters, plan), _of(resources, plan)
        m: dict[str, float | str] = {"plan": plan}
        resp = _f(inc["response_s"])
        resp = np.where(np.isnan(resp), np.inf, resp)  # no response recorded: never covered
        tgt = _f(inc["target_s"])
        has_t = np.isfinite(tgt)  # an incident without a (finite) target is not judged
        m["n_incidents"] = int(inc["incident_id"].nunique())
        m["n_tasks"] = int(len(tk))
        m["response_median_s"] = _median(resp)
        m["response_p90_s"] = quantile(resp, 0.9)
        m["response_max_s"] = float(resp.max()) if len(resp) else math.nan
        first = _f(inc["first_arrival_s"]) - _f(inc["opened_s"])
        m["first_arrival_median_s"] = _median(np.where(np.isnan(first), np.inf, first))
        m["on_target_share"] = float((resp[has_t] <= tgt[has_t]).mean()) if has_t.any() else math.nan
        m["incidents_uncovered"] = int(np.isinf(resp).sum())
        m["dispatch_lag_median_s"] = _median(_f(tk["dispatched_s"]) - _f(tk["opened_s"]))
        m["travel_median_s"] = _median(_f(tk["arrival_s"]) - _f(tk["dispatched_s"]))
        late = _late_by_s(tk)
        m["late_tasks"] = int((late > 0).sum())
        m["late_task_share"] = float((late > 0).mean()) if len(tk) else math.nan
        judged = late[~np.isnan(late)]
        m["task_delay_max_s"] = float(max(judged.max(), 0.0)) if len(judged) else math.nan
        miss = _f(nd["missing"])
        m["unmet_needs"] = int((miss > 1e-9).sum())
        need, cov = _f(nd["needed"]), _f(nd["covered"])
        ok = need > 0
        m["needs_coverage_share"] = float(np.clip(cov[ok] / need[ok], 0.0, 1.0).mean()) if ok.any() else math.nan
        closed = _f(inc["closed_s"])
        closed = np.where(np.isnan(closed), np.inf, closed)
        m["incidents_closed"] = int(np.isfinite(closed).sum())
        m["close_last_s"] = float(closed.max()) if len(closed) else math.nan
        m.update(_people_metrics(pp))
        m.update(_shelter_metrics(sh))
        busy, drill = _f(rs["busy_s"]), _f(rs["drill_s"])
        used = busy > 0
        m["resources_used"] = int(used.sum())
        m["utilisation_mean"] = float((busy[used] / drill[used]).mean()) if used.any() else math.nan
        m["utilisation_max"] = float((busy[used] / drill[used]).max()) if used.any() else math.nan
        route = _f(tk["route_m"])
        m["route_km_total"] = float(route[np.isfinite(route)].sum() / 1000.0)
        m["replans"] = int(np.nansum(_f(tk["replans"])))
        rows.append(m)
    return pd.DataFrame(rows, columns=["plan", *METRICS])


def _people_metrics(pp: pd.DataFrame) -> dict[str, float]:
    nan = math.nan
    if not len(pp):
        return {k: nan for k in ("people_at_risk_peak", "evacuated_by_end_share", "sheltered_end", "in_place_end",
                                 "evacuated_90_s")}
    pp = pp.sort_values("t_s", kind="stable")
    t, risk, shel = _f(pp["t_s"]), _f(pp["at_risk"]), _f(pp["sheltered"])
    end = pp.iloc[-1]
    reached = np.nonzero((risk > 0) & (shel >= 0.9 * risk - PEOPLE_TOL))[0]
    return {"people_at_risk_peak": float(risk.max()),
            "evacuated_by_end_share": float(end["sheltered"] / end["at_risk"]) if end["at_risk"] > 0 else nan,
            "sheltered_end": float(end["sheltered"]), "in_place_end": float(end["in_place"]),
            "evacuated_90_s": float(t[reached[0]]) if len(reached) else (math.inf if risk.max() > 0 else nan)}


def _shelter_metrics(sh: pd.DataFrame) -> dict[str, float]:
    if not len(sh):
        return {"shelter_peak_load_share": math.nan, "shelters_over_capacity": 0, "shelter_overflow_peak_persons": 0.0}
    load, cap = _f(sh["load_persons"]), _f(sh["capacity_persons"])
    over = np.maximum(load - cap, 0.0)
    per_t = pd.Series(over).groupby(sh["t_s"].to_numpy()).sum()
    return {"shelter_peak_load_share": float(np.nanmax(load / cap)),
            "shelters_over_capacity": int(sh.loc[load > cap + PEOPLE_TOL, "shelter"].nunique()),
            "shelter_overflow_peak_persons": float(per_t.max())}


def compare(metrics: pd.DataFrame, *, better: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Metric x plan table, plus ``better`` (the plan that does best on the metric; blank when
    the best two tie, where no direction is known or where fewer than two plans have a value)
    and ``margin`` (how much the best beats the runner-up, in the metric's unit, > 0; 0 on a
    tie; NaN where nothing is compared).

    ``better`` maps metric -> ``"lower"`` | ``"higher"`` | ``""`` and overrides :data:`METRICS`."""
    if not isinstance(metrics, pd.DataFrame):
        raise InputError(f"metrics {type(metrics).__name__}: expected the DataFrame of plan_metrics()")
    m = metrics.set_index("plan") if "plan" in metrics.columns else metrics.copy()
    m.index = m.index.astype(str)
    if m.index.has_duplicates:
        raise InputError(f"metrics plan {list(m.index[m.index.duplicated()])}: expected one row per plan")
    directions = {k: v[1] for k, v in METRICS.items()}
    for k, v in (better or {}).items():
        if v not in ("lower", "higher", ""):
            raise InputError(f"better[{k!r}] {v!r}: expected 'lower', 'higher' or ''")
        directions[k] = v
    num = m.apply(pd.to_numeric, errors="coerce")
    num = num.loc[:, num.notna().any(axis=0) | m.isna().all(axis=0)]
    out = num.T.astype(float)
    out.index.name = "metric"
    best_col, margin_col = [], []
    for metric, row in out.iterrows():
        d = directions.get(str(metric), "")
        v = row.dropna()
        if not d or len(v) < 2:
            best_col.append("")
            margin_col.append(math.nan)
            continue
        order = v.sort_values(ascending=(d == "lower"), kind="stable")
        b, r = float(order.iloc[0]), float(order.iloc[1])
        gap = abs(r - b) if not (math.isinf(b) and b == r) else 0.0
        tie = gap <= 1e-9 * max(1.0, abs(b) if math.isfinite(b) else 1.0)
        best_col.append("" if tie else str(order.index[0]))
        margin_col.append(0.0 if tie else gap)
    out["better"] = best_col
    out["margin"] = margin_col
    return out


def bottlenecks(tasks: pd.DataFrame, incidents: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """Where each plan was slow and what was missing, one row per item.

    ``kind == "late_task"``: dispatches with arrival - opened - target > 0 (``late_by_s``; inf
    if never arrived), worst first, with the split into dispatch lag and travel time in
    ``reason``. ``kind == "unmet_need"``: needs with missing > 0 and the engine's reason,
    most missing first. Plans keep their order of appearance."""
    tasks, incidents, needs = _check(tasks, "tasks"), _check(incidents, "incidents"), _check(needs, "needs")
    names = {(str(r.plan), str(r.incident_id)): str(r.name) for r in incidents.itertuples(index=False)}
    cols = ["plan", "kind", "incident_id", "incident_name", "incident_type", "grade", "resource_id", "resource_type",
            "capability", "opened_s", "target_s", "arrival_after_open_s", "late_by_s", "dispatch_lag_s", "travel_s",
            "route_m", "replans", "needed", "covered", "missing", "unit", "reason"]
    out = []
    plans = _plans(incidents, tasks, needs)
    for k, plan in enumerate(plans):
        tk = _of(tasks, plan)
        late = _late_by_s(tk)
        for (_, r), lb in zip(tk.iterrows(), late):
            if not lb > 0:
                continue
            lag = float(r["dispatched_s"]) - float(r["opened_s"])
            trav = float(r["arrival_s"]) - float(r["dispatched_s"])
            why = [f"dispatched {_dur(lag)} after opening"]
            why.append(f"{_dur(trav)} on the road" if math.isfinite(trav) else "never arrived")
            if np.isfinite(float(r["route_m"])):
                why[-1] += f" ({float(r['route_m']) / 1000:.1f} km)"
            if int(r["replans"]):
                why.append(f"{int(r['replans'])} re-plan(s)")
            out.append({"plan": plan, "kind": "late_task", "_k": k, "_o": 0, "incident_id": r["incident_id"],
                        "incident_name": names.get((plan, str(r["incident_id"])), ""),
                        "incident_type": r["incident_type"], "grade": r["grade"], "resource_id": r["resource_id"],
                        "resource_type": r["resource_type"], "capability": r["capability"],
                        "opened_s": float(r["opened_s"]), "target_s": float(r["target_s"]),
                        "arrival_after_open_s": float(r["arrival_s"]) - float(r["opened_s"]), "late_by_s": float(lb),
                        "dispatch_lag_s": lag, "travel_s": trav, "route_m": float(r["route_m"]),
                        "replans": int(r["replans"]), "reason": "; ".join(why)})
        nd = _of(needs, plan)
        inc = _of(incidents, plan).drop_duplicates("incident_id").set_index("incident_id")
        for _, r in nd.iterrows():
            if not float(r["missing"]) > 1e-9:
                continue
            iid = r["incident_id"]
            info = inc.loc[iid] if iid in inc.index else None
            out.append({"plan": plan, "kind": "unmet_need", "_k": k, "_o": 1, "incident_id": iid,
                        "incident_name": names.get((plan, str(iid)), ""),
                        "incident_type": info["type"] if info is not None else "",
                        "grade": info["grade"] if info is not None else "", "capability": r["capability"],
                        "opened_s": float(info["opened_s"]) if info is not None else math.nan,
                        "needed": float(r["needed"]), "covered": float(r["covered"]), "missing": float(r["missing"]),
                        "unit": r["unit"], "reason": "" if pd.isna(r["reason"]) else str(r["reason"])})
    if not out:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(out)
    df["_s"] = np.where(df["_o"] == 0, -df["late_by_s"].fillna(0.0), -df["missing"].fillna(0.0))
    df = df.sort_values(["_k", "_o", "_s"], kind="stable").reset_index(drop=True)
    return df.reindex(columns=cols)


# ------------------------------------------------------------------------------ time axes
def _local_start(start: datetime | None) -> datetime | None:
    """``start`` in Asia/Shanghai (a naive datetime is taken as Asia/Shanghai, as in scenarios)."""
    if start is None:
        return None
    if not isinstance(start, datetime):
        raise InputError(f"start {start!r}: expected a datetime (tz-aware) or None")
    return (start.replace(tzinfo=TZ) if start.tzinfo is None else start).astimezone(TZ)


def wall_clock(start: datetime | None, t_s: float, fmt: str = "%H:%M:%S") -> str:
    """Drill time ``t_s`` as Asia/Shanghai wall-clock text (``T+h:mm:ss`` when no start)."""
    if t_s is None or not math.isfinite(float(t_s)):
        return "never"
    st = _local_start(start)
    if st is None:
        return "T+" + _hms(float(t_s))
    return (st.astimezone(ZoneInfo("UTC")) + timedelta(seconds=float(t_s))).astimezone(TZ).strftime(fmt)


def _hms(s: float) -> str:
    sign = "-" if s < 0 else ""
    s = abs(int(round(s)))
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _dur(s: float) -> str:
    """A duration for people: ``12 min``, ``1 h 05 min``, ``45 s``, ``never``."""
    if s is None or not np.isfinite(s):
        return "never" if s is not None and not np.isnan(s) else "–"
    neg, s = s < 0, abs(float(s))
    if round(s) < 60:
        txt = f"{s:.0f} s"
    elif round(s / 60.0, 1) < 60:
        txt = f"{s / 60:.1f} min"
    else:
        mins = int(round(s / 60.0))
        txt = f"{mins // 60} h {mins % 60:02d} min"
    return ("-" if neg else "") + txt


class _Clock:
    """Drill seconds -> x coordinates: matplotlib dates of Asia/Shanghai wall clock when a
    start is given (ticks hh:mm), else minutes since start (ticks h:mm)."""

    def __init__(self, start: datetime | None):
        import matplotlib.dates as mdates

        self.start = _local_start(start)
        self._x0 = mdates.date2num(self.start.replace(tzinfo=None)) if self.start is not None else 0.0
        self._per_s = 1.0 / 86400.0 if self.start is not None else 1.0 / 60.0

    def x(self, t_s):
        return self._x0 + np.asarray(t_s, float) * self._per_s

    def w(self, d_s):
        return np.asarray(d_s, float) * self._per_s

    def style(self, ax) -> None:
        import matplotlib.dates as mdates
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        if self.start is not None:
            ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=9))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
            ax.set_xlabel(f"wall clock, Asia/Shanghai (drill start {self.start:%Y-%m-%d %H:%M})", fontsize=8)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 3, 6, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v // 60)}:{int(round(v % 60)):02d}"))
            ax.set_xlabel("drill time since start (h:mm)", fontsize=8)


def _plt():
    import matplotlib.pyplot as plt  # viewers.png has selected the Agg backend

    return plt


_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """Font families for the charts (DejaVu Sans, then any installed CJK family as fallback)
    and the code points they can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    have = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    fams = tuple(n for n in ("DejaVu Sans", *_CJK_FAMILIES) if n in have) or ("sans-serif",)
    codes: set[int] = set()
    for n in fams:
        try:
            codes.update(FT2Font(have.get(n) or font_manager.findfont(n)).get_charmap())
        except Exception:  # noqa: BLE001 - an unreadable font only narrows the set
            pass
    return fams, frozenset(codes)


def _drawable(text: str) -> bool:
    codes = _fonts()[1]
    return all(c.isspace() or ord(c) in codes for c in str(text))


def plan_labels(plans: Iterable[str]) -> dict[str, str]:
    """How the charts name each plan: its own name when the installed fonts can draw it, else
    ``plan <n>`` by order of appearance (the review page prints the key)."""
    return {p: (f"plan {p}" if _drawable(p) else f"plan {k + 1}") for k, p in enumerate(plans)}


def _chart(fn: Callable[..., bytes]) -> Callable[..., bytes]:
    """Draw with the chart fonts; glyphs no installed font has are skipped without warnings."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs) -> bytes:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
            with _plt().rc_context({"font.family": list(_fonts()[0])}):
                return fn(*args, **kwargs)
    return wrapped


def _empty_png(title: str, what: str) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 1.6), dpi=100)
    ax.text(0.5, 0.5, what, ha="center", va="center", fontsize=9)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    return fig_png(fig)


# ------------------------------------------------------------------------------ charts
@_chart
def gantt_png(tasks: pd.DataFrame, *, plan: str | None = None, start: datetime | None = None) -> bytes:
    """Resource timeline, one row per resource (one panel per plan, or only ``plan``): travel
    (light), on scene (dark), return (grey); late dispatches in red with their lateness,
    deadlines as red ticks; each on-scene bar labelled with its incident."""
    from matplotlib.patches import Patch

    tasks = _check(tasks, "tasks")
    plans = _plans(tasks)
    names = plan_labels(plans)
    if plan is not None:
        if str(plan) not in plans:
            raise InputError(f"plan {plan!r}: expected one of {plans}")
        plans = [str(plan)]
    if not plans:
        return _empty_png("Resource timeline", "no dispatches")
    plt = _plt()
    clock = _Clock(start)
    times = tasks[["dispatched_s", "arrival_s", "work_end_s", "back_s"]].to_numpy(float)
    dl = (_f(tasks["opened_s"]) + _f(tasks["target_s"]))
    fin = np.concatenate([times[np.isfinite(times)], dl[np.isfinite(dl)], [0.0]])
    t_end = float(fin.max()) * 1.02 + 60.0
    nres = [max(1, _of(tasks, p)["resource_id"].nunique()) for p in plans]
    fig, axes = plt.subplots(len(plans), 1, figsize=(9.0, min(0.8 + sum(0.32 * n + 0.7 for n in nres), 30.0)),
                             dpi=100, sharex=True, gridspec_kw={"height_ratios": [n + 1.5 for n in nres]},
                             squeeze=False)
    h = 0.6
    for ax, p in zip(axes[:, 0], plans):
        tk = _of(tasks, p).copy()
        res = tk.drop_duplicates("resource_id")[["resource_id", "resource_type"]]
        res = res.sort_values(["resource_type", "resource_id"], kind="stable").astype(str)
        row = {rid: i for i, rid in enumerate(res["resource_id"])}
        late = _late_by_s(tk)
        for (_, r), lb in zip(tk.iterrows(), late):
            y = row[str(r["resource_id"])]
            d, a = float(r["dispatched_s"]), float(r["arrival_s"])
            we, b = float(r["work_end_s"]), float(r["back_s"])
            is_late = bool(lb > 0)
            a_draw = a if math.isfinite(a) else t_end
            ax.broken_barh([(clock.x(d), clock.w(a_draw - d))], (y - h / 2, h),
                           facecolors="#f4a6a6" if is_late else "#a6cbe8",
                           edgecolors="#d62728" if is_late else "none", linewidth=0.8,
                           hatch="//" if not math.isfinite(a) else None)
            if math.isfinite(a):
                we_draw = we if math.isfinite(we) else t_end
                ax.broken_barh([(clock.x(a), clock.w(max(we_draw - a, 0.0)))], (y - h / 2, h),
                               facecolors="#1f4e79", edgecolors="#d62728" if is_late else "none", linewidth=0.8)
                if math.isfinite(we):
                    b_draw = b if math.isfinite(b) else t_end
                    ax.broken_barh([(clock.x(we), clock.w(max(b_draw - we, 0.0)))], (y - h / 2, h),
                                   facecolors="#bdbdbd")
                lab_t = 0.5 * (a + we_draw)
            else:
                lab_t = 0.5 * (d + a_draw)
            lab = str(r["incident_id"]) + ((f" +{_dur(lb)}" if math.isfinite(lb) else " never arrived") if is_late
                                           else "")
            ax.text(clock.x(lab_t), y, lab, ha="center", va="center", fontsize=6,
                    color="white" if math.isfinite(a) else "#8b0000", clip_on=True)
            ddl = float(r["opened_s"]) + float(r["target_s"])
            if math.isfinite(ddl):
                ax.plot([clock.x(ddl)] * 2, [y - h / 2 - 0.08, y + h / 2 + 0.08], color="#d62728", lw=1.2)
        ax.set_yticks(range(len(row)), [f"{i} ({t})" for i, t in zip(res["resource_id"], res["resource_type"])],
                      fontsize=7)
        ax.set_ylim(len(row) - 0.4, -0.6)
        ax.set_xlim(clock.x(0.0), clock.x(t_end))
        ax.grid(axis="x", lw=0.4, alpha=0.5)
        n_late = int((late > 0).sum())
        ax.set_title(f"{names[p]}: {len(tk)} dispatches, {n_late} late", fontsize=9)
    clock.style(axes[-1, 0])
    axes[-1, 0].tick_params(axis="x", labelsize=7)
    handles = [Patch(color="#a6cbe8", label="travel"), Patch(color="#1f4e79", label="on scene"),
               Patch(color="#bdbdbd", label="return to base"),
               Patch(facecolor="#f4a6a6", edgecolor="#d62728", label="late travel (+lateness)"),
               Patch(facecolor="#f4a6a6", edgecolor="#d62728", hatch="//", label="never arrived"),
               plt.Line2D([], [], color="#d62728", lw=1.2, label="response deadline")]
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=7, frameon=False)
    fig.suptitle("Resource timeline (Gantt) per plan", fontsize=10)
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    return fig_png(fig)


@_chart
def response_png(incidents: pd.DataFrame) -> bytes:
    """Empirical CDF of incident response times (minutes) per plan in one chart, with the
    response target(s) as vertical lines; never-covered incidents keep the curve below 1."""
    incidents = _check(incidents, "incidents")
    plans = _plans(incidents)
    if not plans:
        return _empty_png("Response times", "no incidents")
    names = plan_labels(plans)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=100)
    resp_all = _f(incidents["response_s"]) / 60.0
    fin = resp_all[np.isfinite(resp_all)]
    tg = _f(incidents["target_s"]) / 60.0
    tg_fin = tg[np.isfinite(tg)]
    x_max = max(float(fin.max()) if len(fin) else 0.0, float(tg_fin.max()) if len(tg_fin) else 0.0, 1.0) * 1.1
    for k, p in enumerate(plans):
        inc = _of(incidents, p)
        r = _f(inc["response_s"]) / 60.0
        r = np.where(np.isnan(r), np.inf, r)
        n = len(r)
        x = np.sort(r[np.isfinite(r)])
        y = np.arange(1, len(x) + 1) / n
        tgt = _f(inc["target_s"])
        ok = np.isfinite(tgt)
        share = float((r[ok] * 60.0 <= tgt[ok]).mean()) if ok.any() else math.nan
        lab = f"{names[p]} (n={n}" + (f", {100 * share:.0f} % on target" if math.isfinite(share) else "")
        lab += f", {n - len(x)} never covered)" if n - len(x) else ")"
        ax.step(np.r_[0.0, x, x_max], np.r_[0.0, y, y[-1] if len(y) else 0.0], where="post", lw=1.8,
                color=_PLAN_COLOURS[k % len(_PLAN_COLOURS)], label=lab)
    tg_all = _f(incidents["target_s"])
    grades = incidents.assign(_t=tg_all)[np.isfinite(tg_all)]
    for t_min, g in grades.groupby(grades["_t"] / 60.0):
        gr = ", ".join(sorted({str(v) for v in g["grade"]}))
        ax.axvline(t_min, color="#d62728", ls="--", lw=1.0)
        ax.text(t_min, 1.02, f"target {t_min:g} min (grade {gr})", rotation=0, fontsize=6, color="#d62728",
                ha="center", va="bottom", transform=ax.get_xaxis_transform())
    ax.set_xlim(0, x_max)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("response time: last needed resource on scene after the incident opened (min)", fontsize=8)
    ax.set_ylabel("share of incidents covered", fontsize=8)
    ax.grid(lw=0.4, alpha=0.5)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Response-time distribution (empirical CDF) per plan", fontsize=10, pad=14)
    fig.tight_layout()
    return fig_png(fig)


def _plan_panels(plans: list[str], start: datetime | None, panel_h: float):
    """(figure, one time-series axis per plan sharing x and y, drill clock) for a per-plan chart."""
    plt = _plt()
    fig, axes = plt.subplots(len(plans), 1, figsize=(8.0, 1.0 + panel_h * len(plans)), dpi=100, sharex=True,
                             sharey=True, squeeze=False)
    return fig, axes[:, 0], _Clock(start)


def _style_panel(ax, title: str) -> None:
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("persons", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(lw=0.4, alpha=0.5)


@_chart
def people_png(people: pd.DataFrame, *, start: datetime | None = None) -> bytes:
    """Persons in place / evacuating / sheltered (stacked) and at risk (line) over time, one
    panel per plan."""
    people = _check_people(people)
    plans = _plans(people)
    if not plans:
        return _empty_png("Persons at risk", "no people data")
    lab = plan_labels(plans)
    fig, axes, clock = _plan_panels(plans, start, 2.2)
    for ax, p in zip(axes, plans):
        pp = _of(people, p).sort_values("t_s", kind="stable")
        x = clock.x(_f(pp["t_s"]))
        ax.stackplot(x, _f(pp["in_place"]), _f(pp["evacuating"]), _f(pp["sheltered"]),
                     colors=("#fdae6b", "#fee08b", "#74c476"), labels=("in place", "evacuating", "sheltered"),
                     alpha=0.9, lw=0)
        ax.plot(x, _f(pp["at_risk"]), color="black", lw=1.2, label="at risk (total)")
        end = pp.iloc[-1]
        share = end["sheltered"] / end["at_risk"] if end["at_risk"] > 0 else math.nan
        _style_panel(ax, f"{lab[p]}: peak {pp['at_risk'].max():,.0f} at risk, "
                         f"{100 * share:.0f} % sheltered at the end")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7, frameon=False)
    clock.style(axes[-1])
    fig.suptitle("Persons at risk, evacuating and sheltered", fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig_png(fig)


@_chart
def shelters_png(shelters: pd.DataFrame, *, start: datetime | None = None) -> bytes:
    """Load (solid) against capacity (dashed, same colour) of each shelter over time, one panel
    per plan; loads above capacity are marked red."""
    shelters = _check_shelters(shelters)
    plans = _plans(shelters)
    if not plans:
        return _empty_png("Shelters", "no shelter data")
    lab = plan_labels(plans)
    names = list(dict.fromkeys(shelters["shelter"].astype(str)))
    cmap = _plt().get_cmap("tab10" if len(names) <= 10 else "tab20")
    fig, axes, clock = _plan_panels(plans, start, 2.4)
    for ax, p in zip(axes, plans):
        sh = _of(shelters, p)
        for k, name in enumerate(names):
            s = sh[sh["shelter"].astype(str) == name].sort_values("t_s", kind="stable")
            if not len(s):
                continue
            x = clock.x(_f(s["t_s"]))
            load, cap = _f(s["load_persons"]), _f(s["capacity_persons"])
            c = cmap(k % cmap.N)
            ax.plot(x, load, color=c, lw=1.5, label=f"{name} load")
            ax.plot(x, cap, color=c, lw=1.0, ls="--", label=f"{name} capacity")
            over = load > cap
            if over.any():
                ax.scatter(x[over], load[over], color="#d62728", s=8, zorder=5)
        peak = float(np.nanmax(_f(sh["load_persons"]) / _f(sh["capacity_persons"]))) if len(sh) else math.nan
        _style_panel(ax, f"{lab[p]}: peak load {100 * peak:.0f} % of capacity")
    axes[0].legend(fontsize=6, loc="upper left", ncol=2)
    clock.style(axes[-1])
    fig.suptitle("Shelter load vs capacity (red dots: over capacity)", fontsize=10)
    fig.tight_layout()
    return fig_png(fig)


@_chart
def utilisation_png(resources: pd.DataFrame) -> bytes:
    """Share of the drill each resource spent away from base on tasks, bars grouped per plan."""
    resources = _check_resources(resources)
    plans = _plans(resources)
    if not plans:
        return _empty_png("Resource utilisation", "no resources")
    lab = plan_labels(plans)
    plt = _plt()
    r = resources.assign(_u=_f(resources["busy_s"]) / _f(resources["drill_s"]))
    ids = r.drop_duplicates("resource_id").sort_values(["type", "resource_id"], kind="stable")
    labels = [f"{i} ({t})" for i, t in zip(ids["resource_id"].astype(str), ids["type"].astype(str))]
    y = np.arange(len(ids))
    hgt = 0.8 / len(plans)
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.22 * len(ids) * max(1.0, len(plans) / 2)), dpi=100)
    for k, p in enumerate(plans):
        rp = _of(r, p).drop_duplicates("resource_id")
        u = pd.Series(rp["_u"].to_numpy(), index=rp["resource_id"].astype(str))
        vals = np.array([u.get(str(i), np.nan) for i in ids["resource_id"]], float) * 100.0
        used = vals > 0
        mean = float(np.nanmean(vals[used])) if used.any() else math.nan
        ax.barh(y - 0.4 + hgt * (k + 0.5), np.nan_to_num(vals), height=hgt, color=_PLAN_COLOURS[k % len(_PLAN_COLOURS)],
                label=f"{lab[p]} (mean of used {mean:.0f} %)")
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time away from base on tasks (% of the drill)", fontsize=8)
    ax.set_xlim(0, max(100.0, float(np.nanmax(r["_u"])) * 105 if len(r) else 100.0))
    ax.axvline(100, color="grey", lw=0.6)
    ax.grid(axis="x", lw=0.4, alpha=0.5)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Resource utilisation per plan", fontsize=10)
    fig.tight_layout()
    return fig_png(fig)


# ------------------------------------------------------------------------------ HTML page
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:24px auto;
max-width:1200px;color:#222;padding:0 16px}
h1{font-size:1.5em;margin-bottom:4px}h2{border-bottom:2px solid #1f4e79;padding-bottom:3px;margin-top:32px}
.meta{color:#555;font-size:.92em}
table{border-collapse:collapse;font-size:.85em;margin:8px 0 16px}
th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top}th{background:#eef2f7;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.best{background:#e2f4e2;font-weight:600}td.late{color:#b00000}
tr:nth-child(even) td{background-color:#fafafa}tr:nth-child(even) td.best{background:#e2f4e2}
figure{margin:12px 0 24px}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.9em;color:#444}
.none{color:#777;font-style:italic}
"""


def _e(v) -> str:
    return html.escape("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v), quote=True)


def _fmt(metric: str, v) -> str:
    """A metric value for people: durations, percentages, counts."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "–"
    if metric.endswith("_s"):
        return _dur(x)
    if metric.endswith("_share") or metric.startswith("utilisation"):
        return "never" if math.isinf(x) else f"{100 * x:.1f} %"
    if math.isinf(x):
        return "∞"
    if metric.endswith("_km") or metric.endswith("_km_total"):
        return f"{x:,.1f} km"
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.2f}"


def _table(head: list[str], rows: list[list[tuple[str, str]]]) -> str:
    """An HTML table; each cell is (escaped html, css class)."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for v, c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _comparison_html(comparison: pd.DataFrame) -> str:
    plans = [c for c in comparison.columns if c not in ("better", "margin")]
    rows = []
    for metric, r in comparison.iterrows():
        what, _ = METRICS.get(str(metric), ("", ""))
        cells = [(_e(metric), ""), (_e(what), "")]
        for p in plans:
            cells.append((_e(_fmt(str(metric), r[p])), "n best" if r["better"] == p else "n"))
        mg = float(r["margin"])
        cells.append((_e(r["better"] or ("tie" if mg == 0.0 else "")), ""))
        mg_txt = "" if not r["better"] else ("∞" if math.isinf(mg) else _fmt(str(metric), mg))
        cells.append((_e(mg_txt), "n"))
        rows.append(cells)
    return _table(["metric", "what it measures", *[f"plan {p}" for p in plans], "better", "by"], rows)


def _late_html(b: pd.DataFrame, start: datetime | None) -> str:
    if not len(b):
        return '<p class="none">No dispatch arrived after its target.</p>'
    rows = [[(_e(r.plan), ""), (_e(r.incident_id), ""), (_e(r.incident_name), ""), (_e(r.incident_type), ""),
             (_e(r.grade), ""), (_e(r.resource_id), ""), (_e(r.resource_type), ""), (_e(r.capability), ""),
             (_e(wall_clock(start, r.opened_s)), "n"), (_e(_dur(r.target_s)), "n"),
             (_e(_dur(r.arrival_after_open_s)), "n"),
             (_e("+" + _dur(r.late_by_s) if math.isfinite(r.late_by_s) else "never arrived"), "n late"),
             (_e(r.reason), "")]
            for r in b.itertuples(index=False)]
    return _table(["plan", "incident", "name", "type", "grade", "resource", "resource type", "capability", "opened",
                   "target", "on scene after", "late by", "why"], rows)


def _unmet_html(b: pd.DataFrame, start: datetime | None) -> str:
    if not len(b):
        return '<p class="none">Every need was covered.</p>'
    rows = [[(_e(r.plan), ""), (_e(r.incident_id), ""), (_e(r.incident_name), ""), (_e(r.incident_type), ""),
             (_e(r.grade), ""), (_e(r.capability), ""), (_e(_fmt("n", r.needed)), "n"), (_e(_fmt("n", r.covered)), "n"),
             (_e(_fmt("n", r.missing)), "n late"), (_e(r.unit), ""), (_e(r.reason), "")]
            for r in b.itertuples(index=False)]
    return _table(["plan", "incident", "name", "type", "grade", "capability", "needed", "covered", "missing", "unit",
                   "reason"], rows)


def _needs_html(needs: pd.DataFrame) -> str:
    """Needed / covered / missing summed per plan, capability and unit."""
    n = needs.assign(_short=_f(needs["missing"]) > 1e-9, needed=_f(needs["needed"]), covered=_f(needs["covered"]),
                     missing=_f(needs["missing"]))
    g = n.groupby([n["plan"].astype(str), n["capability"].astype(str), n["unit"].astype(str)], sort=False)
    agg = g.agg(needed=("needed", "sum"), covered=("covered", "sum"), missing=("missing", "sum"),
                short=("_short", "sum"), incidents=("incident_id", "nunique")).reset_index()
    rows = [[(_e(r.plan), ""), (_e(r.capability), ""), (_e(r.unit), ""), (_e(_fmt("n", r.incidents)), "n"),
             (_e(_fmt("n", r.needed)), "n"), (_e(_fmt("n", r.covered)), "n"),
             (_e(_fmt("n", r.missing)), "n late" if r.missing > 1e-9 else "n"), (_e(_fmt("n", r.short)), "n")]
            for r in agg.itertuples(index=False)]
    return _table(["plan", "capability", "unit", "incidents", "needed", "covered", "missing",
                   "incidents short"], rows)


def _log_html(log: pd.DataFrame, plan: str, start: datetime | None) -> str:
    lg = _of(log, plan).sort_values("t_s", kind="stable")
    if not len(lg):
        return '<p class="none">No decisions logged.</p>'
    days = {wall_clock(start, t, "%Y-%m-%d") for t in _f(lg["t_s"]) if np.isfinite(t)} if start is not None else set()
    fmt = "%m-%d %H:%M:%S" if len(days) > 1 else "%H:%M:%S"
    rows = [[(_e(wall_clock(start, r.t_s, fmt)), "n"), (_e("T+" + _hms(float(r.t_s))), "n"), (_e(r.kind), ""),
             (_e(r.text), ""), (_e(r.reason), "")] for r in lg.itertuples(index=False)]
    return _table(["wall clock (Asia/Shanghai)" if start is not None else "wall clock", "drill time", "kind",
                   "decision / event", "reason"], rows)


def review_html(title: str, start: datetime | None, *, bottlenecks: pd.DataFrame, log: pd.DataFrame,
                figures: list[tuple[str, bytes]], path: str | os.PathLike, comparison: pd.DataFrame | None = None,
                metrics: pd.DataFrame | None = None, needs: pd.DataFrame | None = None,
                notes: list[str] | None = None) -> Path:
    """Write the after-action review as one self-contained HTML page (inline CSS, PNG charts as
    base64 data URIs, no external request; all text escaped) atomically to ``path``.

    Sections: summary comparison (``comparison``, or :func:`compare` of ``metrics`` when it is
    None), late dispatches and unmet needs (:func:`bottlenecks`), the needed/covered/missing
    totals per capability when ``needs`` is given, charts, and the decision log of every plan
    with Asia/Shanghai wall clock, drill time and the reason of each decision. ``notes`` are
    shown under the title."""
    log = _check(log, "log")
    if comparison is None and metrics is not None:
        comparison = compare(metrics)
    if not isinstance(comparison, pd.DataFrame) or "better" not in comparison.columns:
        raise InputError("comparison: expected the DataFrame returned by compare() (or metrics= from plan_metrics())")
    if not isinstance(bottlenecks, pd.DataFrame) or "kind" not in bottlenecks.columns:
        raise InputError("bottlenecks: expected the DataFrame returned by bottlenecks()")
    if needs is not None:
        needs = _check(needs, "needs")
    for cap, png in figures:
        if not isinstance(png, (bytes, bytearray)) or not bytes(png[:8]) == b"\x89PNG\r\n\x1a\n":
            raise InputError(f"figure {cap!r}: expected PNG bytes")
    st = _local_start(start)
    plans = list(dict.fromkeys([*[c for c in comparison.columns if c not in ("better", "margin")],
                                *_plans(bottlenecks, log)]))
    parts = [f"<h1>{_e(title)}</h1>",
             f'<p class="meta">After-action review (事后复盘) of {len(plans)} plan variant(s): '
             f"{_e(', '.join(plans))}. "
             + (f"Drill start {_e(f'{st:%Y-%m-%d %H:%M:%S}')} Asia/Shanghai. " if st is not None else "")
             + "All plan variants ran the same events with the same seed.</p>"]
    for n in notes or []:
        parts.append(f'<p class="meta">{_e(n)}</p>')
    toc = [("summary", "Summary comparison"), ("late", "Bottlenecks: late dispatches"),
           ("unmet", "Unmet needs"), ("charts", "Charts"), ("log", "Decision log")]
    parts.append("<p>" + " · ".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in toc) + "</p>")
    parts.append('<h2 id="summary">Summary comparison</h2>')
    parts.append('<p class="meta">Green: the plan that does better on the metric; "by": its margin over the '
                 "runner-up. Responses of incidents never fully covered count as never.</p>")
    parts.append(_comparison_html(comparison))
    parts.append('<h2 id="late">Bottlenecks: where the plans were slow</h2>')
    parts.append('<p class="meta">Dispatches whose arrival after the incident opened exceeds the response target, '
                 "worst first, with the split into dispatch delay and travel.</p>")
    parts.append(_late_html(bottlenecks[bottlenecks["kind"] == "late_task"], st))
    parts.append('<h2 id="unmet">Unmet needs: what was missing</h2>')
    parts.append(_unmet_html(bottlenecks[bottlenecks["kind"] == "unmet_need"], st))
    if needs is not None and len(needs):
        parts.append("<h3>Needs covered per capability</h3>")
        parts.append(_needs_html(needs))
    parts.append('<h2 id="charts">Charts</h2>')
    keys = plan_labels(plans)
    aliased = [p for p in plans if keys[p] != f"plan {p}"]
    if aliased:
        parts.append('<p class="meta">In the charts plans are numbered where the fonts cannot draw their names: '
                     + "; ".join(f"{_e(keys[p])} = {_e(p)}" for p in aliased) + ".</p>")
    for cap, png in figures:
        uri = "data:image/png;base64," + base64.b64encode(bytes(png)).decode("ascii")
        parts.append(f'<figure><img alt="{_e(cap)}" src="{uri}"><figcaption>{_e(cap)}</figcaption></figure>')
    parts.append('<h2 id="log">Decision log</h2>')
    for p in plans:
        parts.append(f"<h3>Plan {_e(p)}</h3>")
        parts.append(_log_html(log, p, st))
    doc = ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
           '<meta name="viewport" content="width=device-width, initial-scale=1">'
           f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    return write_text_atomic(path, doc)


def write_review(folder: str | os.PathLike, *, title: str, start: datetime | None, tasks: pd.DataFrame,
                 incidents: pd.DataFrame, needs: pd.DataFrame, people: pd.DataFrame, shelters: pd.DataFrame,
                 resources: pd.DataFrame, log: pd.DataFrame,
                 better: Mapping[str, str] | None = None) -> list[Path]:
    """The whole review into ``folder``: review.html, metrics.csv, comparison.csv,
    bottlenecks.csv and the charts as PNG (all written atomically); returns the files."""
    folder = Path(folder)
    metrics = plan_metrics(tasks, incidents, needs, people, shelters, resources)
    comp = compare(metrics, better=better)
    bn = bottlenecks(tasks, incidents, needs)
    figs = [("Resource timeline (Gantt)", "gantt.png", gantt_png(tasks, start=start)),
            ("Response-time distribution", "response.png", response_png(incidents)),
            ("Persons at risk", "people.png", people_png(people, start=start)),
            ("Shelter load vs capacity", "shelters.png", shelters_png(shelters, start=start)),
            ("Resource utilisation", "utilisation.png", utilisation_png(resources))]
    files = [review_html(title, start, comparison=comp, bottlenecks=bn, log=log, needs=needs,
                         figures=[(c, png) for c, _, png in figs], path=folder / "review.html"),
             write_text_atomic(folder / "metrics.csv", metrics.to_csv(index=False)),
             write_text_atomic(folder / "comparison.csv", comp.to_csv()),
             write_text_atomic(folder / "bottlenecks.csv", bn.to_csv(index=False))]
    files += [save_png(png, folder / name) for _, name, png in figs]
    return files
