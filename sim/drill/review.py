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
import html
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from sim.drill.review_charts import (  # noqa: F401  (the review's chart API)
    _dur, _hms, _local_start, gantt_png, people_png, plan_labels, response_png, shelters_png, utilisation_png,
    wall_clock)
from sim.drill.review_tables import (  # noqa: F401  (the review's table API)
    COLUMNS, PEOPLE_TOL, TZ, _check, _check_people, _check_resources, _check_shelters, _f, _late_by_s, _median,
    _of, _plans, quantile)
from twin.atomic import write_text_atomic
from twin.errors import InputError
from viewers.png import save_png

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
    "evacuated_by_end_share": ("persons at risk who are in a shelter or out of the danger area at the end",
                               "higher"),
    "sheltered_end": ("persons in shelters at the end", "higher"),
    "left_area_end": ("persons who found no shelter place and drove out of the danger area "
                      "(evacuation_without_place: leave)", ""),
    "in_place_end": ("persons still in place in the danger zone at the end", "lower"),
    "evacuated_90_s": ("time from which at least 90 % of the persons at risk stay sheltered or out of the danger "
                       "area to the end", "lower"),
    "left_in_cloud_persons": ("evacuees who set off while the toxic zone covered their building or shelter, "
                              "counted at each departure (sheltering in place until it passes protects them "
                              "better)", "lower"),
    "re_sent_persons": ("evacuees sent elsewhere because the hazards known then ruled their destination out, "
                        "when they set off or on their way", ""),
    "exposed_en_route_persons": ("evacuees whose drive to the shelter crosses the risk zone's level of the toxic "
                                 "cloud (their routes go round it where the detour is worth it, "
                                 "evacuation_zone_penalty)", "lower"),
    "exposed_en_route_person_min": ("person-minutes those evacuees spend on roads at the risk zone's level, "
                                    "queues included", "lower"),
    "evacuee_road_person_h": ("person-hours evacuees spend on the roads from setting off to arriving, queues "
                              "included, those still out at the end counted to the end (evacuation_sees_queues "
                              "spreads them over the roads)", "lower"),
    "indoor_at_risk_persons": ("persons still in their building when its indoor air reached the risk zone's level "
                               "(one-box infiltration; a shelter-in-place order shuts the windows)", "lower"),
    "indoor_at_risk_person_min": ("person-minutes indoors with the indoor air at the risk zone's level (those who "
                                  "stay, or have not yet left, where the cloud gets in)", "lower"),
    "sheltered_at_risk_persons": ("persons in a shelter while it was at risk (open-air site in the risk zone's "
                                  "air or flooded deeper than risk_depth_m), the most each shelter held then", "lower"),
    "sheltered_at_risk_person_min": ("person-minutes in shelters while they were at risk", "lower"),
    "shelter_peak_load_share": ("highest load / capacity of any shelter", "lower"),
    "shelters_over_capacity": ("shelters that were over capacity at some time", "lower"),
    "shelter_overflow_peak_persons": ("peak persons above capacity, summed over shelters", "lower"),
    "resources_used": ("resources dispatched at least once", ""),
    "utilisation_mean": ("mean time away on tasks / drill length, over resources that worked", ""),
    "utilisation_max": ("busiest resource's time away / drill length", ""),
    "route_km_total": ("distance driven to the scenes", "lower"),
    "replans": ("route or assignment re-plans", "lower"),
}


# ------------------------------------------------------------------------------ metrics
def plan_metrics(tasks: pd.DataFrame, incidents: pd.DataFrame, needs: pd.DataFrame, people: pd.DataFrame,
                 shelters: pd.DataFrame, resources: pd.DataFrame) -> pd.DataFrame:
    """One row per plan with the review metrics of :data:`METRICS` (units in the names: ``_s``
    seconds, ``_share`` fraction 0..1, ``_km`` kilometres, counts otherwise).

    Responses count an incident never fully covered as ``inf``; ``on_target_share`` is over the
    incidents that have a target. ``evacuated_by_end_share`` is (sheltered + left_area) / at_risk
    at the last people time step. ``utilisation_*`` is busy_s / drill_s over the resources that worked."""
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
        return {k: nan for k in ("people_at_risk_peak", "evacuated_by_end_share", "sheltered_end", "left_area_end",
                                 "in_place_end",
                                 "evacuated_90_s", "left_in_cloud_persons", "re_sent_persons",
                                 "exposed_en_route_persons",
                                 "exposed_en_route_person_min", "evacuee_road_person_h", "indoor_at_risk_persons",
                                 "indoor_at_risk_person_min", "sheltered_at_risk_persons",
                                 "sheltered_at_risk_person_min")}
    pp = pp.sort_values("t_s", kind="stable")
    if "left_area" not in pp:  # tables saved before persons could leave the area without a shelter place
        pp = pp.assign(left_area=0.0)
    t, risk, shel = _f(pp["t_s"]), _f(pp["at_risk"]), _f(pp["sheltered"]) + _f(pp["left_area"])  # safe
    end = pp.iloc[-1]
    # 90 % sheltered from then on: a share reached early (the first hazard's few people) and lost
    # again when a later hazard puts many more at risk does not count
    ok = (risk <= 0) | (shel >= 0.9 * risk - PEOPLE_TOL)
    bad = np.nonzero(~ok)[0]
    k = bad[-1] + 1 if len(bad) else 0
    while k < len(t) and risk[k] <= 0:
        k += 1
    return {"people_at_risk_peak": float(risk.max()),
            "evacuated_by_end_share": float(shel[-1] / end["at_risk"]) if end["at_risk"] > 0 else nan,
            "sheltered_end": float(end["sheltered"]), "left_area_end": float(end["left_area"]),
            "in_place_end": float(end["in_place"]),
            "evacuated_90_s": float(t[k]) if k < len(t) else (math.inf if risk.max() > 0 else nan),
            "left_in_cloud_persons": float(end["left_in_cloud"]) if "left_in_cloud" in pp else nan,
            "re_sent_persons": float(end["re_sent"]) if "re_sent" in pp else nan,
            "exposed_en_route_persons": float(end["exposed_en_route"]) if "exposed_en_route" in pp else nan,
            "exposed_en_route_person_min": (float(end["exposed_en_route_person_min"])
                                            if "exposed_en_route_person_min" in pp else nan),
            "evacuee_road_person_h": float(end["road_person_h"]) if "road_person_h" in pp else nan,
            "indoor_at_risk_persons": float(end["indoor_at_risk"]) if "indoor_at_risk" in pp else nan,
            "indoor_at_risk_person_min": (float(end["indoor_at_risk_person_min"])
                                          if "indoor_at_risk_person_min" in pp else nan),
            "sheltered_at_risk_persons": float(end["sheltered_at_risk"]) if "sheltered_at_risk" in pp else nan,
            "sheltered_at_risk_person_min": (float(end["sheltered_at_risk_person_min"])
                                             if "sheltered_at_risk_person_min" in pp else nan)}


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
    if "person" in metric or "people" in metric or metric.endswith("_end"):  # persons, person-time: whole
        return f"{x:,.0f}"
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


def _queues_html(q: pd.DataFrame, start: datetime | None, top: int = 8) -> str:
    """The links where evacuees waited longest in total, ``top`` per plan."""
    if not len(q):
        return '<p class="none">No evacuee group waited at a link.</p>'
    rows = []
    for _, g in q.groupby("plan", sort=False):
        for r in g.head(top).itertuples(index=False):
            rows.append([(_e(r.plan), ""), (_e(r.link), ""), (_e(getattr(r, "road_class", "")), ""),
                         (_e(getattr(r, "near", "")), ""), (_e(_fmt("n", r.groups_held)), "n"),
                         (_e(f"{r.persons_held:,.0f}"), "n"), (_e(_dur(r.wait_max_s)), "n late"),
                         (_e(wall_clock(start, r.wait_max_at_s)), "n"), (_e(_queue_len(r)), "n"),
                         (_e(f"{r.wait_person_h:,.1f}"), "n"),
                         (_e(f"{getattr(r, 'full_wait_person_h', math.nan):,.1f}"), "n")])
    return _table(["plan", "link", "road", "nearest place", "groups held", "persons held", "longest wait", "at",
                   "queue then (lane length)", "person-hours waiting", "of them while the link was full"], rows)


def _ways_out_html(w: pd.DataFrame, start: datetime | None, top: int = 8) -> str:
    """The ways out most evacuees without a shelter place took, ``top`` per plan, and the share of
    that plan's leavers each took."""
    rows = []
    for _, g in w.groupby("plan", sort=False):
        total = float(np.nansum(_f(g["persons"])))
        for r in g.head(top).itertuples(index=False):
            share = f"{r.persons / total:.0%}" if total > 0 and np.isfinite(r.persons) else ""
            rows.append([(_e(r.plan), ""), (_e(r.near), ""), (_e(f"{r.x_m:.0f}, {r.y_m:.0f}"), "n"),
                         (_e(_fmt("n", r.groups)), "n"), (_e(f"{r.persons:,.0f}"), "n"), (_e(share), "n"),
                         (_e(wall_clock(start, r.first_s)), "n"), (_e(wall_clock(start, r.last_s)), "n")])
        if len(g) > top:
            rest = g.iloc[top:]
            rows.append([(_e(g.plan.iloc[0]), ""), (_e(f"{len(rest)} more ways out"), ""), ("", ""),
                         (_e(_fmt("n", rest.groups.sum())), "n"), (_e(f"{rest.persons.sum():,.0f}"), "n"),
                         (_e(f"{rest.persons.sum() / total:.0%}" if total > 0 else ""), "n"), ("", ""), ("", "")])
    return _table(["plan", "nearest place", "x, y (m)", "groups", "persons", "share", "first out", "last out"], rows)


def _queue_len(r) -> str:
    m = float(getattr(r, "queue_max_lane_m", math.nan))
    if math.isnan(m):
        return ""
    txt = f"{m / 1000:.1f} km" if m >= 1000 else f"{m:.0f} m"
    return txt + (" — spills back past the junction behind" if getattr(r, "spills_back", False) else "")


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
                evac_queues: pd.DataFrame | None = None, ways_out: pd.DataFrame | None = None,
                notes: list[str] | None = None) -> Path:
    """Write the after-action review as one self-contained HTML page (inline CSS, PNG charts as
    base64 data URIs, no external request; all text escaped) atomically to ``path``.

    Sections: summary comparison (``comparison``, or :func:`compare` of ``metrics`` when it is
    None), late dispatches and unmet needs (:func:`bottlenecks`), the needed/covered/missing
    totals per capability when ``needs`` is given, the links where evacuees queued longest when
    ``evac_queues`` (the drill's table of that name) is given, the ways out of the danger area that
    evacuees without a shelter place took when ``ways_out`` has rows, charts, and the decision log
    of every plan with Asia/Shanghai wall clock, drill time and the reason of each decision.
    ``notes`` are shown under the title."""
    log = _check(log, "log")
    if comparison is None and metrics is not None:
        comparison = compare(metrics)
    if not isinstance(comparison, pd.DataFrame) or "better" not in comparison.columns:
        raise InputError("comparison: expected the DataFrame returned by compare() (or metrics= from plan_metrics())")
    if not isinstance(bottlenecks, pd.DataFrame) or "kind" not in bottlenecks.columns:
        raise InputError("bottlenecks: expected the DataFrame returned by bottlenecks()")
    if needs is not None:
        needs = _check(needs, "needs")
    if ways_out is not None:
        ways_out = _check(ways_out, "ways_out")
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
           ("unmet", "Unmet needs"), *([("queues", "Evacuation queues")] if evac_queues is not None else []),
           *([("ways_out", "Ways out")] if ways_out is not None and len(ways_out) else []),
           ("charts", "Charts"), ("log", "Decision log")]
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
    if evac_queues is not None:
        parts.append('<h2 id="queues">Evacuation queues: where evacuees waited</h2>')
        parts.append('<p class="meta">Links whose entry held evacuee vehicle groups behind others (each link passes '
                     "vehicles at its capacity), most person-hours of waiting first: the roads to widen, meter "
                     "or open a second route beside. A link holds at most its length x lanes / 7 m vehicles: a "
                     "queue longer than that fills it and holds the links behind it, whatever their way on "
                     "(spill-back; the last column: waits at an entry while the link was full, a queue from "
                     "further on). Where the queue would not fit on any approach it is marked: it reaches back "
                     "through the junctions behind.</p>")
        parts.append(_queues_html(evac_queues, st))
    if ways_out is not None and len(ways_out):
        parts.append('<h2 id="ways_out">Ways out: where evacuees without a shelter place left the danger area</h2>')
        parts.append('<p class="meta">These evacuees found no shelter place (the open, safe shelters were full, or '
                     "none was open), so they drove out of the danger area to whichever road point outside it their "
                     "route reached at least cost (with the queues where the plan's evacuees see them, and outside "
                     "its isolation circle round the release where it sets one): the points where most got out, "
                     "per plan, with the first and the last group. Post traffic police and signs there, and keep "
                     "the roads beyond them open.</p>")
        parts.append(_ways_out_html(ways_out, st))
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
