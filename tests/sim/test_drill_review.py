"""After-action review of a drill: metrics, comparison, bottlenecks, charts and the HTML page,
on small hand-built tables whose answers are known in closed form."""
from __future__ import annotations

import io
import math
import re
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim.drill import review as rv
from twin.errors import InputError

INF = math.inf
A, B = "预案A·先疏散", "Plan B & <reserve>"  # names that need escaping in HTML
START = datetime(2026, 7, 15, 10, 0, tzinfo=timezone.utc)  # = 18:00 Asia/Shanghai
PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _tables() -> dict[str, pd.DataFrame]:
    """Two plans; plan B responds exactly 600 s faster to every incident."""
    opened = [0.0, 300.0, 600.0, 1200.0]
    target = [1800.0, 1800.0, 1800.0, 3600.0]
    grade = ["II", "II", "II", "III"]
    resp_a = [900.0, 1500.0, 2100.0, 2700.0]
    inc = []
    for plan, resp in ((A, resp_a), (B, [r - 600.0 for r in resp_a])):
        for k in range(4):
            inc.append({"plan": plan, "incident_id": f"I{k + 1}", "type": "flood", "grade": grade[k],
                        "name": f"积水点 {k + 1}", "x_m": 100.0 * k, "y_m": 0.0, "opened_s": opened[k],
                        "first_arrival_s": opened[k] + resp[k] - 60.0, "response_s": resp[k], "target_s": target[k],
                        "closed_s": opened[k] + resp[k] + 1800.0, "unmet_needs": 0})
    # (incident index, dispatched_s, arrival_s in A, arrival_s in B, replans in A)
    disp = [(0, 60.0, 900.0, 300.0, 0), (2, 700.0, 2700.0, 2100.0, 1), (3, 1300.0, INF, 4000.0, 2),
            (1, 400.0, 2500.0, 1900.0, 0)]
    tasks = []
    for plan in (A, B):
        for j, (i, d, arr_a, arr_b, rep) in enumerate(disp):
            arr = arr_a if plan == A else arr_b
            tasks.append({"plan": plan, "task_id": f"T{j + 1}", "incident_id": f"I{i + 1}", "incident_type": "flood",
                          "grade": grade[i], "resource_id": f"R{j % 3 + 1}", "resource_type": "pump",
                          "capability": "pumping", "dispatched_s": d, "arrival_s": arr,
                          "work_start_s": arr + 30.0, "work_end_s": arr + 1200.0, "back_s": arr + 1200.0 + (arr - d),
                          "target_s": target[i], "opened_s": opened[i], "route_m": 5000.0 + 1000.0 * j,
                          "replans": rep if plan == A else 0})
    needs = pd.DataFrame([
        {"plan": A, "incident_id": "I1", "capability": "fire_suppression", "unit": "team", "needed": 1.0,
         "covered": 1.0, "missing": 0.0, "reason": ""},
        {"plan": A, "incident_id": "I3", "capability": "pumping", "unit": "pump", "needed": 2.0, "covered": 1.0,
         "missing": 1.0, "reason": "only 1 pump < 2 needed & road R7 closed"},
        {"plan": B, "incident_id": "I1", "capability": "fire_suppression", "unit": "team", "needed": 1.0,
         "covered": 1.0, "missing": 0.0, "reason": ""},
        {"plan": B, "incident_id": "I3", "capability": "pumping", "unit": "pump", "needed": 2.0, "covered": 2.0,
         "missing": 0.0, "reason": ""}])
    t = [0.0, 1800.0, 3600.0]
    people = pd.DataFrame(
        [{"plan": A, "t_s": t[k], "at_risk": 1000.0, "in_place": ip, "evacuating": ev, "sheltered": sh}
         for k, (ip, ev, sh) in enumerate([(1000, 0, 0), (500, 300, 200), (200, 100, 700)])]
        + [{"plan": B, "t_s": t[k], "at_risk": 1000.0, "in_place": ip, "evacuating": ev, "sheltered": sh}
           for k, (ip, ev, sh) in enumerate([(1000, 0, 0), (300, 200, 500), (0, 50, 950)])]).astype(
        {"in_place": float, "evacuating": float, "sheltered": float})
    sh_rows = []
    for plan, s1, s2 in ((A, [0, 150, 550], [0, 50, 150]), (B, [0, 300, 500], [0, 200, 450])):
        for k in range(3):
            sh_rows.append({"plan": plan, "t_s": t[k], "shelter": "S1 school", "load_persons": float(s1[k]),
                            "capacity_persons": 500.0})
            sh_rows.append({"plan": plan, "t_s": t[k], "shelter": "S2 gym", "load_persons": float(s2[k]),
                            "capacity_persons": 400.0})
    resources = pd.DataFrame(
        [{"plan": A, "resource_id": f"R{i + 1}", "type": "pump", "busy_s": b, "drill_s": 7200.0}
         for i, b in enumerate([1800.0, 3600.0, 0.0])]
        + [{"plan": B, "resource_id": f"R{i + 1}", "type": "pump", "busy_s": b, "drill_s": 7200.0}
           for i, b in enumerate([1800.0, 1800.0, 1800.0])])
    log = pd.DataFrame([
        {"plan": A, "t_s": 0.0, "kind": "event", "text": "rainstorm red warning",
         "reason": "CMA red warning > 50 mm/h"},
        {"plan": A, "t_s": 3600.0, "kind": "dispatch", "text": "R2 -> I3", "reason": "nearest free pump & <script>"},
        {"plan": B, "t_s": 1800.0, "kind": "evacuate", "text": "open S2 gym", "reason": "S1 at 60 % \"early\""},
        {"plan": B, "t_s": 90000.0, "kind": "close", "text": "all clear", "reason": "water below 0.15 m"}])
    return {"tasks": pd.DataFrame(tasks), "incidents": pd.DataFrame(inc), "needs": needs, "people": people,
            "shelters": pd.DataFrame(sh_rows), "resources": resources, "log": log}


@pytest.fixture(scope="module")
def tabs() -> dict[str, pd.DataFrame]:
    return _tables()


@pytest.fixture(scope="module")
def metrics(tabs) -> pd.DataFrame:
    return rv.plan_metrics(*(tabs[k] for k in ("tasks", "incidents", "needs", "people", "shelters", "resources")))


def test_quantile_type7_and_inf():
    rng = np.random.default_rng(3)
    x = rng.exponential(900.0, 37)
    for q in (0.1, 0.5, 0.9):  # Hyndman & Fan type 7 == numpy's default "linear"
        assert rv.quantile(x, q) == pytest.approx(float(np.quantile(x, q)), rel=1e-12)
    assert rv.quantile([600.0, 1200.0, INF], 0.5) == 1200.0  # the median lies on a finite order statistic
    assert rv.quantile([600.0, INF], 0.5) == INF  # half the weight on a never-covered incident
    assert math.isnan(rv.quantile([], 0.5))


def test_response_metrics_exact(metrics):
    m = metrics.set_index("plan")
    assert list(m.index) == [A, B]
    assert m.loc[A, "response_median_s"] == pytest.approx(1800.0, abs=1e-9)  # (1500 + 2100) / 2
    assert m.loc[B, "response_median_s"] == pytest.approx(1200.0, abs=1e-9)
    assert m.loc[A, "response_p90_s"] == pytest.approx(2100.0 + 0.7 * 600.0, abs=1e-9)  # h = 3 * 0.9 = 2.7
    assert m.loc[A, "on_target_share"] == pytest.approx(0.75, abs=1e-12)  # 2100 > 1800 misses its target
    assert m.loc[B, "on_target_share"] == pytest.approx(1.0, abs=1e-12)
    assert m.loc[A, "first_arrival_median_s"] == pytest.approx(1740.0, abs=1e-9)
    assert m.loc[A, "n_incidents"] == 4 and m.loc[A, "n_tasks"] == 4
    assert m.loc[A, "close_last_s"] == pytest.approx(1200.0 + 2700.0 + 1800.0, abs=1e-9)


def test_task_need_people_shelter_resource_metrics(metrics):
    m = metrics.set_index("plan")
    # late = arrival - opened - target > 0: A: 2700-600-1800 = 300, inf (never), 2500-300-1800 = 400
    assert m.loc[A, "late_tasks"] == 3 and m.loc[B, "late_tasks"] == 0
    assert m.loc[A, "late_task_share"] == pytest.approx(0.75, abs=1e-12)
    assert m.loc[A, "task_delay_max_s"] == INF and m.loc[B, "task_delay_max_s"] == 0.0
    assert m.loc[A, "replans"] == 3
    assert m.loc[A, "route_km_total"] == pytest.approx((5000 + 6000 + 7000 + 8000) / 1000.0, abs=1e-12)
    assert m.loc[A, "unmet_needs"] == 1 and m.loc[B, "unmet_needs"] == 0
    assert m.loc[A, "needs_coverage_share"] == pytest.approx((1.0 + 0.5) / 2, abs=1e-12)
    assert m.loc[A, "people_at_risk_peak"] == pytest.approx(1000.0, abs=1e-9)
    assert m.loc[A, "evacuated_by_end_share"] == pytest.approx(0.70, abs=1e-12)
    assert m.loc[B, "evacuated_by_end_share"] == pytest.approx(0.95, abs=1e-12)
    assert m.loc[A, "sheltered_end"] == pytest.approx(700.0, abs=1e-9)
    assert m.loc[B, "evacuated_90_s"] == pytest.approx(3600.0) and m.loc[A, "evacuated_90_s"] == INF
    assert m.loc[A, "shelter_peak_load_share"] == pytest.approx(550.0 / 500.0, abs=1e-12)
    assert m.loc[B, "shelter_peak_load_share"] == pytest.approx(450.0 / 400.0, abs=1e-12)
    assert m.loc[A, "shelters_over_capacity"] == 1
    assert m.loc[A, "shelter_overflow_peak_persons"] == pytest.approx(50.0, abs=1e-9)
    # busy/drill over resources that worked: (1800 + 3600) / 2 / 7200; the idle R3 is left out
    assert m.loc[A, "utilisation_mean"] == pytest.approx(0.375, abs=1e-12)
    assert m.loc[A, "utilisation_max"] == pytest.approx(0.5, abs=1e-12)
    assert m.loc[A, "resources_used"] == 2


def test_compare_names_better_plan_and_exact_margin(metrics):
    c = rv.compare(metrics)
    assert c.loc["response_median_s", "better"] == B
    assert c.loc["response_median_s", "margin"] == pytest.approx(600.0, abs=1e-9)  # B is 10 min faster
    assert c.loc["response_median_s", A] - c.loc["response_median_s", B] == pytest.approx(600.0, abs=1e-9)
    assert c.loc["on_target_share", "better"] == B
    assert c.loc["on_target_share", "margin"] == pytest.approx(0.25, abs=1e-12)
    assert c.loc["evacuated_by_end_share", "better"] == B
    assert c.loc["late_tasks", "margin"] == pytest.approx(3.0)
    assert c.loc["people_at_risk_peak", "better"] == ""  # no direction: same hazard in both plans
    assert math.isnan(c.loc["people_at_risk_peak", "margin"])
    assert c.loc["people_at_risk_peak", A] == c.loc["people_at_risk_peak", B]
    assert c.loc["shelter_peak_load_share", "better"] == A  # 1.100 < 1.125
    assert c.loc["shelter_peak_load_share", "margin"] == pytest.approx(0.025, abs=1e-12)
    # A utilisation 0.375, B 0.25: with "higher" declared A wins by 0.125
    c2 = rv.compare(metrics, better={"utilisation_mean": "higher"})
    assert c2.loc["utilisation_mean", "better"] == A
    assert c2.loc["utilisation_mean", "margin"] == pytest.approx(0.125, abs=1e-12)
    assert c.loc["n_incidents", "better"] == ""
    tie = rv.compare(pd.DataFrame({"plan": ["x", "y"], "replans": [2, 2]}))
    assert tie.loc["replans", "better"] == "" and tie.loc["replans", "margin"] == 0.0  # a tie names no plan
    with pytest.raises(InputError, match="better"):
        rv.compare(metrics, better={"replans": "smaller"})


def test_bottlenecks_sorted_with_reasons(tabs):
    b = rv.bottlenecks(tabs["tasks"], tabs["incidents"], tabs["needs"])
    late = b[b.kind == "late_task"]
    assert list(late.plan) == [A, A, A]
    assert list(late.late_by_s) == [INF, 400.0, 300.0]  # worst first
    assert list(late.incident_id) == ["I4", "I2", "I3"]
    assert "never arrived" in late.iloc[0].reason
    assert late.iloc[1].dispatch_lag_s == pytest.approx(100.0) and late.iloc[1].travel_s == pytest.approx(2100.0)
    unmet = b[b.kind == "unmet_need"]
    assert len(unmet) == 1 and unmet.iloc[0].missing == 1.0 and unmet.iloc[0].plan == A
    assert unmet.iloc[0].reason == "only 1 pump < 2 needed & road R7 closed"


def test_people_conservation_enforced(tabs):
    args = [tabs[k] for k in ("tasks", "incidents", "needs", "people", "shelters", "resources")]
    ok = tabs["people"].copy()
    ok.loc[4, "sheltered"] += 5e-7  # within 1e-6 persons
    rv.plan_metrics(*args[:3], ok, *args[4:])
    bad = tabs["people"].copy()
    bad.loc[4, "sheltered"] += 1e-3
    with pytest.raises(InputError, match="at_risk"):
        rv.plan_metrics(*args[:3], bad, *args[4:])
    with pytest.raises(InputError, match="at_risk"):
        rv.people_png(bad)
    with pytest.raises(InputError, match="columns"):
        rv.plan_metrics(args[0].drop(columns="target_s"), *args[1:])
    shz = tabs["shelters"].copy()
    shz.loc[0, "capacity_persons"] = 0.0
    with pytest.raises(InputError, match="capacity_persons"):
        rv.shelters_png(shz)


def _png_ok(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIG
    assert len(png) > 10_000  # a real chart, not an empty canvas
    im = Image.open(io.BytesIO(png))
    im.load()
    return im.size


CHARTS = ("gantt", "response", "people", "shelters", "utilisation")


@pytest.fixture(scope="module")
def written(tabs, tmp_path_factory):
    """The whole review written once (charts are the slow part)."""
    folder = tmp_path_factory.mktemp("review")
    return folder, rv.write_review(folder, title="drill", start=START, **tabs)


@pytest.fixture(scope="module")
def figures(written) -> list[tuple[str, bytes]]:
    return [(name, (written[0] / f"{name}.png").read_bytes()) for name in CHARTS]


def test_pngs_decode(tabs, figures):
    for _, png in figures:
        w, h = _png_ok(png)
        assert w >= 600 and h >= 150
    w1, h1 = _png_ok(rv.gantt_png(tabs["tasks"], plan=B))
    assert h1 < Image.open(io.BytesIO(figures[0][1])).size[1]  # one plan panel instead of two
    with pytest.raises(InputError, match="plan"):
        rv.gantt_png(tabs["tasks"], plan="no such plan")


def test_wall_clock_asia_shanghai():
    assert rv.wall_clock(START, 3600.0) == "19:00:00"  # 10:00Z + 1 h = 19:00 +08:00
    assert rv.wall_clock(datetime(2026, 7, 15, 18, 0), 90.0) == "18:01:30"  # naive start = Asia/Shanghai
    assert rv.wall_clock(None, 3725.0) == "T+1:02:05"
    assert rv.wall_clock(START, INF) == "never"


def test_review_html_self_contained(tmp_path, tabs, metrics, figures):
    comp = rv.compare(metrics)
    b = rv.bottlenecks(tabs["tasks"], tabs["incidents"], tabs["needs"])
    path = rv.review_html("暴雨内涝预案推演 <复盘>", START, comparison=comp, bottlenecks=b, log=tabs["log"],
                          figures=figures, path=tmp_path / "review.html")
    doc = path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["review.html"]  # atomic: no temporary left behind
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", doc, flags=re.I)
    assert "http://" not in doc and "https://" not in doc
    assert doc.count('src="data:image/png;base64,') == len(figures)
    for p in (A, B):
        assert rv.html.escape(p) in doc
    assert B not in doc  # the raw "<reserve>" never reaches the page unescaped
    for reason in tabs["log"]["reason"]:
        assert rv.html.escape(reason) in doc
    assert "<script>" not in doc
    assert rv.html.escape("only 1 pump < 2 needed & road R7 closed") in doc  # unmet need with its reason
    assert "19:00:00" in doc  # A's decision at t = 3600 s, Asia/Shanghai
    assert "07-16 19:00:00" in doc  # B's log spans two days -> dated (10:00Z + 25 h)
    assert "10.0 min" in doc  # the 600 s margin of B on the median response


def test_write_review_writes_all(written):
    folder, files = written
    names = sorted(p.name for p in files)
    assert names == sorted(["review.html", "metrics.csv", "comparison.csv", "bottlenecks.csv",
                            *[f"{c}.png" for c in CHARTS]])
    assert sorted(p.name for p in folder.iterdir()) == names  # atomic writes: no temporaries left
    m = pd.read_csv(folder / "metrics.csv")
    assert m.set_index("plan").loc[A, "on_target_share"] == pytest.approx(0.75, abs=1e-12)
    c = pd.read_csv(folder / "comparison.csv", index_col="metric", keep_default_na=False)
    assert c.loc["response_median_s", "better"] == B


def test_review_html_single_plan_from_metrics(tmp_path, tabs, metrics, figures):
    one = {k: v[v.plan == B] for k, v in tabs.items()}
    path = rv.review_html("one plan", None, metrics=metrics[metrics.plan == B], needs=one["needs"],
                          bottlenecks=rv.bottlenecks(one["tasks"], one["incidents"], one["needs"]), log=one["log"],
                          figures=figures[:1], path=tmp_path / "one.html")
    doc = path.read_text(encoding="utf-8")
    assert "Needs covered per capability" in doc and rv.html.escape(B) in doc and rv.html.escape(A) not in doc
    assert "T+25:00:00" in doc  # no start: drill time only
    assert "No dispatch arrived after its target." in doc and "Every need was covered." in doc
    with pytest.raises(InputError, match="comparison"):
        rv.review_html("x", None, bottlenecks=rv.bottlenecks(one["tasks"], one["incidents"], one["needs"]),
                       log=one["log"], figures=[], path=tmp_path / "x.html")


def test_untargeted_incident_and_empty_tables(tabs):
    inc = tabs["incidents"]
    extra = inc[inc.plan == A].iloc[[0]].assign(incident_id="I5", response_s=INF, target_s=INF, first_arrival_s=INF)
    inc5 = pd.concat([inc, extra], ignore_index=True)
    empty = pd.DataFrame()  # a drill without dispatches, people or shelter series
    m = rv.plan_metrics(empty, inc5, tabs["needs"], empty, empty, tabs["resources"]).set_index("plan")
    assert m.loc[A, "on_target_share"] == pytest.approx(0.75, abs=1e-12)  # I5 has no target: not judged
    assert m.loc[A, "incidents_uncovered"] == 1 and m.loc[A, "n_incidents"] == 5
    assert m.loc[A, "response_median_s"] == pytest.approx(2100.0, abs=1e-9)  # [900, 1500, 2100, 2700, inf]
    assert m.loc[A, "n_tasks"] == 0 and m.loc[A, "late_tasks"] == 0 and math.isnan(m.loc[A, "sheltered_end"])
    _png_ok(rv.response_png(inc5))


def test_evacuated_90_counts_only_a_share_that_holds_to_the_end():
    """100 at risk, 95 sheltered at 1 h (95 %); a second hazard puts 1000 at risk at 2 h with 100
    sheltered; 950 sheltered at 3 h. 90 % holds from 3 h on, not from 1 h; without the last row
    it never holds."""
    pp = pd.DataFrame({"plan": "p", "t_s": [0.0, 3600.0, 7200.0, 10800.0], "at_risk": [100.0, 100.0, 1000.0, 1000.0],
                       "sheltered": [0.0, 95.0, 100.0, 950.0], "in_place": [100.0, 5.0, 900.0, 50.0]})
    assert rv._people_metrics(pp)["evacuated_90_s"] == 10800.0
    assert rv._people_metrics(pp.iloc[:3])["evacuated_90_s"] == INF


def test_person_counts_read_as_whole_persons():
    """Persons and person-time are model estimates: the review shows them whole, other counts as
    they are."""
    assert rv._fmt("exposed_en_route_persons", 25744.44) == "25,744"
    assert rv._fmt("indoor_at_risk_person_min", 2276015.36) == "2,276,015"
    assert rv._fmt("left_area_end", 9221.4) == "9,221"
    assert rv._fmt("unmet_needs", 3.0) == "3" and rv._fmt("utilisation_mean", 0.415) == "41.5 %"
