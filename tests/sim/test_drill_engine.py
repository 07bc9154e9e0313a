"""The drill engine on the sample city with a synthetic flood (a saved flood.nc whose depth rises
0.1 m per 10-min frame over the west bank), the sample chlorine leak at T+1 h and two plans.

Checks: conditions fire at the first frame where they hold; no route uses a link closed when it
is travelled; no resource is in two places at once; people are conserved; the same seed gives the
same drill; bad drill files fail with the key named.
"""
from __future__ import annotations

import copy
import html
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT
from twin.errors import InputError, ScenarioError
from twin.scenario import load_scenario

WET = (401700.0, 2853900.0, 402150.0, 2854600.0)  # west-bank rectangle that floods
F1_XY = [401950.0, 2854250.0]
DT = 600.0


def _flood_nc(path: Path, city) -> Path:
    import xarray as xr

    l, b, r, t = city.bounds
    res = 20.0
    xs = np.arange(l + res / 2, r, res)
    ys = np.arange(t - res / 2, b, -res)
    X, Y = np.meshgrid(xs, ys)
    inside = (X >= WET[0]) & (X <= WET[2]) & (Y >= WET[1]) & (Y <= WET[3])
    times = np.arange(0.0, 13 * DT, DT)
    depth = np.stack([np.where(inside, np.float32(min(0.1 * k, 1.0)), np.float32(0.0)) for k in range(len(times))])
    ds = xr.Dataset({"depth": (("time", "y", "x"), depth.astype(np.float32))},
                    coords={"time": times, "y": ys, "x": xs})
    ds.to_netcdf(path)
    return path


def _drill(tmp: Path, city, **over) -> dict:
    d = {
        "name": "drill_test", "city": str(ROOT / "data_samples" / "chenzhou"), "simulation": "drill",
        "start": "2026-06-18T18:00:00+08:00",
        "params": {
            "duration_h": 3, "seed": 3,
            "resources": str(ROOT / "data_samples" / "chenzhou_resources.csv"),
            "districts": str(ROOT / "data_samples" / "chenzhou_districts.geojson"),
            "flood": {"netcdf": str(_flood_nc(tmp / "flood.nc", city))},
            "hazmat": {"scenario": str(ROOT / "scenarios" / "hazmat_chlorine_leak.yaml"), "at": "+1h",
                       "incident_id": "HZ1", "grade": "II"},
            "events": [
                {"when": {"depth_at": {"xy": F1_XY}, "depth_above_m": 0.5}, "kind": "incident",
                 "incident": {"id": "F1", "type": "flood_rescue", "grade": "III", "where": {"xy": F1_XY},
                              "people": 20}},
                {"at": "18:20", "kind": "incident",
                 "incident": {"id": "T1", "type": "people_trapped", "grade": "III",
                              "where": {"place": "Yuxi Ancient Street"}}},
                {"at": "+30min", "kind": "road_closure", "text": "retaining wall", "near": {"xy": [403000, 2855300]},
                 "radius_m": 40, "duration_min": 60},
            ],
            "plans": [
                {"name": "slow", "dispatch_delay_min": 8, "actions": [
                    {"when": {"depth_at": {"xy": F1_XY}, "depth_above_m": 0.35}, "do": "open_shelters",
                     "shelters": ["West Bank Sports Ground"]},
                    {"when": {"depth_at": {"xy": F1_XY}, "depth_above_m": 0.35}, "delay_min": 10, "do": "evacuate",
                     "near": {"xy": F1_XY}, "radius_m": 300, "departure_mean_min": 15}]},
                {"name": "fast", "dispatch_delay_min": 0, "actions": [
                    {"at": "18:00", "do": "open_shelters", "shelters": "all"},
                    {"at": "18:05", "do": "preposition", "resources": ["BH-W1", "NH-W1"],
                     "to": {"place": "West Bank Sports Ground"}},
                    {"when": {"depth_at": {"xy": F1_XY}, "depth_above_m": 0.1}, "do": "evacuate",
                     "near": {"xy": F1_XY}, "radius_m": 300, "departure_mean_min": 15},
                    {"when": {"incident_type": "hazmat_release"}, "do": "evacuate", "zone": "red",
                     "departure_mean_min": 15}]},
            ],
        },
    }
    d["params"].update(over)
    return d


def _run(tmp: Path, doc: dict, city):
    import sim.drill as D

    f = tmp / f"{doc['name']}.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    sc, p = load_scenario(f)
    return D.run(city, p, start=sc.start)


@pytest.fixture(scope="module")
def drill(sample_city, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drill")
    return _run(tmp, _drill(tmp, sample_city), sample_city), tmp


def test_condition_fires_at_the_first_frame_where_it_holds(drill):
    """Depth over the rectangle is 0.1 k m at frame k (every 600 s): 'depth > 0.5 m' first holds at
    k = 6, so F1 opens at exactly 3600 s; the 0.35 m evacuation trigger at k = 4 plus its 10-min
    delay moves people from 3000 s on."""
    res, _ = drill
    inc = res.tables["incidents"]
    assert set(inc.opened_s[inc.incident_id == "F1"]) == {6 * DT}
    log = res.tables["log"]
    ev = log[(log.plan == "slow") & (log.kind == "evacuate")]
    assert ev.t_s.min() == pytest.approx(4 * DT + 600.0)
    assert set(inc.opened_s[inc.incident_id == "HZ1"]) == {3600.0}


def test_routes_never_use_a_link_closed_when_it_is_travelled(drill):
    """Every edge of every trip (out, back, staging) is open for that resource when it enters it,
    while the flood, the toxic zone and the road closure do close links during the drill."""
    res, _ = drill
    n_edges = n_closed_seen = 0
    for run in res.runs:
        for tr in run.trips:
            for u, v, k, t_in, _ in tr["edges"]:
                n_edges += 1
                assert run.road.edge_factor(u, v, k, t_in, protected=tr["protected"]) > 0, (tr["resource_id"], t_in)
                n_closed_seen += run.road.edge_factor(u, v, k, t_in, protected=False) == 0
        assert len(run.road.closed_edges(5 * DT)) > 0, "the flood closes roads"
        assert any(len(run.road.closed_edges(t)) > len(run.road.closed_edges(5 * DT)) for t in (3900.0, 4500.0))
    assert n_edges > 200


def test_no_resource_is_in_two_places_at_once(drill):
    """For every resource row, the units away at any moment (dispatch to return) never exceed its
    quantity; a returned unit is the only way back into the pool."""
    res, _ = drill
    tasks = res.tables["tasks"]
    resources = res.prep.resources.set_index("resource_id")
    assert len(tasks) > 10
    for (plan, rid), grp in tasks.groupby(["plan", "resource_id"]):
        qty = float(resources.quantity.get(rid, np.inf))
        end = grp.back_s.fillna(res.prep.duration_s).to_numpy(float)
        ts = np.concatenate([grp.dispatched_s.to_numpy(float), end])
        dq = np.concatenate([grp.quantity.to_numpy(float), -grp.quantity.to_numpy(float)])
        order = np.lexsort((dq, ts))  # at equal times a return comes before a new dispatch
        assert np.cumsum(dq[order]).max() <= qty + 1e-9, (plan, rid)
        if (grp.kind if "kind" in grp else pd.Series(dtype=str)).eq("supply").any():
            continue


def test_busy_time_runs_from_dispatch_to_return_or_the_drill_end(drill):
    """Each resource's busy time is the sum over its reachable tasks of return (or, still out at
    the end, the drill's end) minus dispatch; its type is the resource table's, not a geometry's;
    a unit on scene when its incident's work started has that start."""
    res, _ = drill
    tasks, table = res.tables["tasks"], res.tables["resources"]
    end = res.prep.duration_s
    types = res.prep.resources.set_index("resource_id")["type"]
    assert not table["type"].isin(["Point", "MultiPoint"]).any()
    for r in table.itertuples():
        t = tasks[(tasks.plan == r.plan) & (tasks.resource_id == r.resource_id) & tasks.reachable]
        expect = float((t.back_s.fillna(end) - t.dispatched_s).clip(lower=0).sum())
        assert r.busy_s == pytest.approx(expect, abs=1e-6), r.resource_id
        if r.resource_id in types.index:
            assert r.type == types[r.resource_id]
    on = tasks[np.isfinite(tasks.arrival_s)]
    assert on.work_start_s.notna().any()
    # matching reads the roads as they are when each unit leaves (after turnout), which is when its
    # route is planned: no unit is sent on a trip that has no route then
    assert tasks.reachable.all()
    assert (on.work_start_s.dropna() >= on.arrival_s[on.work_start_s.notna()] - 1e-9).all()


def test_people_are_conserved_and_shelters_never_overfilled(drill):
    res, _ = drill
    total = float(res.prep.buildings.population.sum())
    ppl = res.tables["people"]
    sh = res.tables["shelters"]
    assert (ppl.sheltered.max()) > 0, "someone reached a shelter"
    for r in ppl.itertuples(index=False):
        assert r.population_in_place_total + r.evacuating + r.sheltered + r.left_area == pytest.approx(total, rel=1e-12)
        assert r.at_risk == pytest.approx(r.in_place + r.evacuating + r.sheltered + r.left_area, rel=1e-12)
        load = sh[(sh.plan == r.plan) & (sh.t_s == r.t_s)].load_persons.sum()
        assert load == pytest.approx(r.sheltered, rel=1e-9, abs=1e-6)
    assert (sh.load_persons <= sh.capacity_persons + 1e-6).all()
    # evacuees' person-hours on the roads, those still out counted to the sample: the area under the
    # evacuating curve, sampled every frame, so equal within the trapezoid rule's error where the
    # samples resolve the trips: 'fast' (thousands of evacuees, mean trip ~19 min against 10-min
    # frames; 0.05 % here). Not 'slow': most of its ~1,100 leavers drive about a minute, between
    # two samples, and its mean is set by 145 who stay stuck on the road for ~85 min.
    dt = res.prep.params.frame_interval_s
    for plan, grp in ppl.sort_values("t_s").groupby("plan"):
        assert (np.diff(grp.road_person_h.to_numpy()) >= -1e-12).all()
        if plan != "fast":
            continue
        ev = grp.evacuating.to_numpy()
        set_off = grp.sheltered.iloc[-1] + grp.left_area.iloc[-1] + ev[-1]
        assert set_off > 10000 and grp.road_person_h.iloc[-1] * 3600.0 / set_off > 1.5 * dt
        area_h = float(np.trapezoid(ev, grp.t_s.to_numpy())) / 3600.0
        assert grp.road_person_h.iloc[-1] == pytest.approx(area_h, rel=0.005)


def test_zone_evacuation_takes_the_forecast_zone_and_counts_who_leaves_into_the_cloud(drill, sample_city):
    """'fast' orders the red zone out when the chlorine release opens (3600 s). The forecast zone
    (the whole release's footprint, as the hazmat model gives the commander) holds thousands; where
    the cloud is at that moment holds nobody yet ('now'). Evacuees whose building the orange zone
    covers when they set off are counted (non-decreasing); 'slow' evacuates only near the flood
    point, which the cloud reaches later (4500 s): 0 until then. The same holds for evacuees whose
    drive crosses the orange level (their routes keep out of it only where the detour is worth it,
    and those who set off inside it cannot): some of 'fast', none of 'slow' before the cloud
    comes."""
    res, tmp = drill
    log = res.tables["log"]
    at = log[(log.plan == "fast") & (log.kind == "evacuate") & (log.t_s == 3600.0)].text.iloc[0]
    assert "persons from" in at and int(at.split("evacuate: ")[1].split(" persons")[0]) > 10000
    # thousands set off inside the closed red zone (every link from their node closed): they drive out
    # (before, they found no route and stayed)
    assert int(re.search(r"(\d+) of them from inside the closed zone", at).group(1)) > 1000
    ppl = res.tables["people"]
    for plan, grp in ppl.groupby("plan"):
        for k in ("left_in_cloud", "exposed_en_route", "exposed_en_route_person_min"):
            assert (np.diff(grp.sort_values("t_s")[k].to_numpy()) >= -1e-9).all()
    end = ppl.sort_values("t_s").groupby("plan").last()
    near = np.hypot(res.prep.buildings.x_m - F1_XY[0], res.prep.buildings.y_m - F1_XY[1]).to_numpy() <= 300.0
    t_cloud = res.prep.hazmat.times_s[np.flatnonzero(res.prep.zone_risk[:, near].any(axis=1))[0]]
    assert t_cloud > 3600.0
    before = ppl[(ppl.plan == "slow") & (ppl.t_s < t_cloud)]
    assert len(before) > 3
    for k in ("left_in_cloud", "exposed_en_route", "exposed_en_route_person_min"):
        assert (before[k] == 0.0).all()
    for k in ("left_in_cloud", "exposed_en_route"):
        safe = end.loc["fast", "sheltered"] + end.loc["fast", "left_area"] + end.loc["fast", "evacuating"]
        assert 0.0 < end.loc["fast", k] <= safe + 1e-6
    # each exposed evacuee drives some of the way inside, at most the whole trip (< an hour here)
    assert 0.0 < end.loc["fast", "exposed_en_route_person_min"] < 60.0 * end.loc["fast", "exposed_en_route"]
    doc = _drill(tmp, sample_city)
    doc["params"]["plans"][1]["actions"][-1]["zone_when"] = "now"
    now = _run(tmp, doc, sample_city).tables["log"]
    txt = now[(now.plan == "fast") & (now.kind == "evacuate") & (now.t_s == 3600.0)].text.iloc[0]
    assert "nobody left to evacuate" in txt


def test_shelter_in_place_order_keeps_indoor_air_below_the_risk_level(drill, sample_city):
    """'fast' plus a shelter-in-place order for the orange zone (its forecast footprint) when the
    chlorine release opens: windows shut (0.5 instead of 2 air changes an hour), so fewer people
    are still inside when their building's air reaches the orange level (here about half), while
    the evacuation is the same (same departures, same persons sheltered at the end)."""
    res, tmp = drill
    doc = _drill(tmp, sample_city)
    fast = doc["params"]["plans"][1]
    doc["params"]["plans"] = [fast, {**fast, "name": "fast_shelter", "actions": [*fast["actions"], {
        "when": {"incident_type": "hazmat_release"}, "do": "shelter_in_place", "zone": "orange"}]}]
    t = _run(tmp, doc, sample_city).tables
    log = t["log"]
    order = log[(log.plan == "fast_shelter") & (log.kind == "shelter_in_place")]
    assert len(order) == 1 and order.t_s.iloc[0] == 3600.0 and "told to shelter in place" in order.text.iloc[0]
    ppl = t["people"].sort_values("t_s")
    for _, grp in ppl.groupby("plan"):
        assert (np.diff(grp.indoor_at_risk.to_numpy()) >= -1e-9).all()
    end = ppl.groupby("plan").last()
    assert 0 < end.loc["fast_shelter", "indoor_at_risk"] < 0.7 * end.loc["fast", "indoor_at_risk"]
    for k in ("left_in_cloud", "sheltered"):
        assert end.loc["fast_shelter", k] == pytest.approx(end.loc["fast", k], rel=1e-12)


def test_persons_without_a_shelter_place_drive_out_of_the_danger_area(drill, sample_city):
    """'fast' orders the red zone out (42,754 persons) with fewer shelter places than that: by
    default (evacuation_without_place: leave) those without a place drive to whichever road node
    outside the order's area that the forecast never puts at risk their route reaches at least
    cost, and count as out of the area when they get there; with 'stay' they stay in place, and
    then spend more person-minutes indoors in air at the risk level (the indoor air does not
    depend on who is inside, so only the persons differ)."""
    res, tmp = drill
    log = res.tables["log"]
    at = log[(log.plan == "fast") & (log.kind == "evacuate") & (log.t_s == 3600.0)].text.iloc[0]
    n_leave = int(re.search(r"(\d+) find no shelter place and drive out of the danger area", at).group(1))
    assert n_leave > 1000
    end = res.tables["people"].sort_values("t_s").groupby("plan").last()
    assert 0.5 * n_leave < end.loc["fast", "left_area"] <= n_leave + 1.0
    # the destinations: no hazard frame from the order on puts them at risk (toxic risk zone: the
    # same cells the buildings' zone flags use; flood: the synthetic west-bank rectangle, 1 m deep)
    prep = res.prep
    b = prep.buildings
    k = int(np.searchsorted(prep.hazmat.times_s, 3600.0, side="right")) - 1
    xy = b[["x_m", "y_m"]].to_numpy()
    far_from_flood = ((xy[:, 0] < WET[0] - 100) | (xy[:, 0] > WET[2] + 100) | (xy[:, 1] < WET[1] - 100)
                      | (xy[:, 1] > WET[3] + 100))
    ok = prep.out_of_danger(xy, 3600.0)
    assert (ok[far_from_flood] == ~prep.zone_risk[k:, far_from_flood].any(axis=0)).all()
    assert not prep.out_of_danger(np.array([[(WET[0] + WET[2]) / 2, (WET[1] + WET[3]) / 2]]), 3600.0)[0]
    assert ok.any() and not ok.all()
    # the way out of a group is a road node outside the order's area (the forecast red zone) that the
    # forecast keeps out of danger, never just the group's own node inside it
    run = next(r for r in res.runs if r.plan.name == "fast")
    act = next(a for a in prep.actions["fast"] if a.spec.do == "evacuate" and a.spec.zone == "red")
    home = xy[prep.in_area(act, xy, 3600.0)]
    exits = run._exits(act, 3600.0)
    assert len(exits) and not prep.in_area(act, exits, 3600.0).any() and prep.out_of_danger(exits, 3600.0).all()
    cost = run._evac_costs(home, run.road.in_closed_zone(home, 3600.0), exits, 3600.0)
    assert np.isfinite(cost.min(axis=1)).mean() > 0.5
    doc = _drill(tmp, sample_city)
    doc["params"]["plans"] = [{**doc["params"]["plans"][1], "evacuation_without_place": "stay"}]
    stay = _run(tmp, doc, sample_city).tables
    txt = stay["log"][(stay["log"].kind == "evacuate") & (stay["log"].t_s == 3600.0)].text.iloc[0]
    n_stay = int(re.search(r"(\d+) find no shelter place and stay \(forecast \d+ min at risk", txt).group(1))
    no_way = int(re.search(r"(\d+) find no shelter place and no way out of the area and stay", at).group(1))
    assert n_stay == pytest.approx(n_leave + no_way, abs=1)
    s_end = stay["people"].sort_values("t_s").groupby("plan").last().loc["fast"]
    assert (stay["people"].left_area == 0.0).all()
    assert s_end.indoor_at_risk_person_min > end.loc["fast", "indoor_at_risk_person_min"] > 0.0


def test_ways_out_table_and_layer_account_for_every_person_who_left(drill, tmp_path):
    """The 'ways_out' table: per plan, the persons out of the danger area summed over its ways out
    equal the people table's left_area at the end (to the table's 0.1-person rounding); every
    way out is a road node outside the order's area that the forecast keeps out of danger; the
    leavers of 'fast' spread over more than one; the map layer's last frame holds them all, and
    the review lists them."""
    res, _ = drill
    w = res.tables["ways_out"]
    end = res.tables["people"].sort_values("t_s").groupby("plan").last()
    got = w.groupby("plan").persons.sum()
    for plan, left in end.left_area.items():
        assert got.get(plan, 0.0) == pytest.approx(left, abs=0.05 * max(len(w), 1))  # (persons rounded to 0.1)
    fast = w[w.plan == "fast"]
    assert len(fast) > 1 and (fast.first_s <= fast.last_s).all() and (fast.groups >= 1).all()
    prep = res.prep
    act = next(a for a in prep.actions["fast"] if a.spec.do == "evacuate" and a.spec.zone == "red")
    xy = fast[["x_m", "y_m"]].to_numpy(float)
    node_xy = res.runs[1].road.node_xy
    assert (np.min(np.hypot(*(xy[:, None, :] - node_xy[None]).transpose(2, 0, 1)), axis=1) < 1e-6).all()
    assert not prep.in_area(act, xy, 3600.0).any() and prep.out_of_danger(xy, 3600.0).all()
    lays = {L.id: L for L in res.layers()}
    for k, run in enumerate(res.runs):  # each plan's own layer, the first plan's shown
        lay = lays["ways_out" if k == 0 else f"ways_out_{k}"]
        last = lay.frames[-1][1]
        assert run.plan.name in lay.title and lay.visible == (k == 0)
        assert last.persons_out.sum() == pytest.approx(round(end.loc[run.plan.name, "left_area"]), abs=len(last))
    files = res.save(tmp_path)
    page = next(f for f in files if f.name == "review.html").read_text(encoding="utf-8")
    assert "Ways out: where evacuees without a shelter place left the danger area" in page
    assert (tmp_path / "ways_out.csv").exists()


def test_ways_out_keep_the_isolation_distance_from_the_release(drill, sample_city):
    """'fast' with ``evacuation_isolation_m`` 1,500 m: every way out its leavers take lies at least
    that far from the chlorine tank, whatever the forecast wind, where by default some lie closer
    (the forecast alone keeps them out of the cloud, upwind of the leak); the same persons still
    leave (the option moves where they go, not who goes)."""
    res, tmp = drill
    src = np.asarray(res.prep.hazmat.source_xy, float)

    def dist(w):
        return np.hypot(w.x_m.to_numpy() - src[0], w.y_m.to_numpy() - src[1])

    w0 = res.tables["ways_out"]
    w0 = w0[w0.plan == "fast"]
    assert dist(w0).min() < 1500.0
    doc = _drill(tmp, sample_city)
    doc["params"]["plans"] = [{**doc["params"]["plans"][1], "evacuation_isolation_m": 1500.0}]
    iso = _run(tmp, doc, sample_city)
    w1 = iso.tables["ways_out"]
    assert len(w1) and dist(w1).min() >= 1500.0
    assert w1.persons.sum() == pytest.approx(w0.persons.sum(), rel=0.02)


NO3_XY = (403274.0, 2852070.0)  # No.3 Middle School playground (shelter, 4,050 places), far from the flood


def _cloud_nc(path: Path, city, xy, half_m: float, on_s: float, off_s: float, conc: float) -> Path:
    """A saved hazmat.nc whose cloud is ``conc`` kg/m3 in the square of half side ``half_m`` round
    ``xy`` from ``on_s`` to ``off_s`` after the release, and nothing elsewhere or at other times."""
    import json

    import xarray as xr

    l, b, r, t = city.bounds
    res = 50.0
    xs = np.arange(l + res / 2, r, res)
    ys = np.arange(t - res / 2, b, -res)
    X, Y = np.meshgrid(xs, ys)
    box = (np.abs(X - xy[0]) <= half_m) & (np.abs(Y - xy[1]) <= half_m)
    times = np.array([0.0, on_s, off_s])
    frames = np.stack([np.zeros_like(X), np.where(box, conc, 0.0), np.zeros_like(X)]).astype(np.float32)
    ds = xr.Dataset({"concentration": (("time", "y", "x"), frames)}, coords={"time": times, "y": ys, "x": xs},
                    attrs={"chemical": "chlorine", "source_xy": json.dumps([402770.0, 2856060.0]),
                           "staging_xy": json.dumps([402770.0, 2855500.0]),
                           "thresholds_kg_m3": json.dumps({"red": 1e-4, "orange": 1e-5, "yellow": 1e-6})})
    ds["time"].attrs["units"] = "s"
    ds.to_netcdf(path)
    return path


def _cloud_drill(tmp: Path, city, name: str = "cloud", xy=NO3_XY, half_m: float = 300.0) -> dict:
    """The test drill without its events, its hazmat release at T+1 h a :func:`_cloud_nc` cloud
    (orange level) round ``xy`` from 20 to 80 min after it."""
    doc = _drill(tmp, city)
    doc["params"]["hazmat"] = {"netcdf": str(_cloud_nc(tmp / f"{name}.nc", city, xy, half_m, 1200.0, 4800.0, 5e-5)),
                               "at": "+1h", "incident_id": "HZ1", "grade": "II"}
    doc["params"]["events"] = []
    return doc


def test_a_release_is_planned_round_only_once_known_and_its_shelters_counted(drill, sample_city):
    """A synthetic cloud over the No.3 Middle School playground from 20 to 80 min after a release
    at T+1 h (orange level, the risk zone). Plan 'early' sends the persons round it to that
    shelter 5 min into the drill, before anyone knows of the release: the shelter is used (the
    forecast known then does not put it at risk), and when the cloud comes its persons count as
    sheltered at risk: all of them, for exactly the 60 min it stays (person-minutes = load x 60,
    rel 1e-9; the log names the shelter). Plan 'late' orders the same at T+65 min, the release
    known: the forecast puts the shelter at risk, so it is set aside (the log says why), its
    persons drive out of the danger area to ways out the cloud never covers, and nobody is
    sheltered at risk. Each plan's shelter layer on the map marks No.3 while it holds persons at
    risk ('early' from the cloud's coming to its going, 'late' never)."""
    from sim.drill.result import SHELTER_AT_RISK_RGBA

    _, tmp = drill
    doc = _cloud_drill(tmp, sample_city)
    orders = [{"at": "18:00", "do": "open_shelters", "shelters": ["No.3 Middle School playground"]}]
    area = {"do": "evacuate", "near": {"xy": [NO3_XY[0] + 150.0, NO3_XY[1] + 150.0]}, "radius_m": 200,
            "departure_mean_min": 5}
    doc["params"]["plans"] = [
        {"name": "early", "dispatch_delay_min": 0, "actions": orders + [{"at": "18:05", **area}]},
        {"name": "late", "dispatch_delay_min": 0, "actions": orders + [{"at": "19:05", **area}]}]
    res = _run(tmp, doc, sample_city)
    prep = res.prep
    no3 = np.array([NO3_XY])
    assert prep.out_of_danger(no3, 300.0)[0] and not prep.out_of_danger(no3, 3600.0)[0]
    pp = res.tables["people"].sort_values("t_s")
    end = pp.groupby("plan").last()
    e = end.loc["early"]
    sh = res.tables["shelters"]
    early = sh[(sh.plan == "early") & (sh.shelter == "No.3 Middle School playground")].set_index("t_s")
    load = float(early.load_persons.loc[4800.0])
    assert 100.0 < load == pytest.approx(e.sheltered, rel=1e-12)  # every group in before the cloud comes
    assert e.sheltered_at_risk == pytest.approx(load, rel=1e-12)
    assert e.sheltered_at_risk_person_min == pytest.approx(load * 60.0, rel=1e-9)
    assert (early.at_risk == ((early.index >= 4800.0) & (early.index < 8400.0))).all()
    log = res.tables["log"]
    assert log[(log.plan == "early") & (log.t_s == 4800.0)].text.str.contains(
        f"{load:.0f} persons in shelter No.3 Middle School playground, which is now at risk").any()
    l_ = end.loc["late"]
    assert l_.sheltered == 0.0 and l_.sheltered_at_risk == 0.0 and l_.sheltered_at_risk_person_min == 0.0
    txt = log[(log.plan == "late") & (log.kind == "evacuate")].text.iloc[0]
    assert "No.3 Middle School playground not used: the forecast puts them at risk" in txt
    assert l_.left_area > 100.0
    w = res.tables["ways_out"]
    assert prep.out_of_danger(w[w.plan == "late"][["x_m", "y_m"]].to_numpy(float), 3900.0).all()
    lays = {lay.id: lay for lay in res.layers()}
    for lid, plan, marked in (("shelter_load", "early", (4800.0, 8400.0)), ("shelter_load_1", "late", None)):
        lay = lays[lid]
        assert plan in lay.title and lay.visible == (plan == "early")
        for t, gdf in lay.frames:
            r = gdf.set_index("shelter").loc["No.3 Middle School playground"]
            hit = marked is not None and marked[0] <= t < marked[1]
            assert (list(r.color) == SHELTER_AT_RISK_RGBA) == hit and bool(r.at_risk) == (hit or (
                plan == "late" and 4800.0 <= t < 8400.0)), (lid, t)


def test_a_relocation_order_empties_the_shelters_the_forecast_puts_at_risk(drill, sample_city):
    """The cloud of the test above, and a plan that fills the No.3 Middle School playground before
    the release, then orders a relocation 10 min after it (the forecast now puts the shelter at
    risk 10 min later): its persons move to the other open shelter with places or out of the
    danger area before the cloud comes, so nobody is sheltered at risk; persons are conserved on
    the way (people table, every sample), No.25's load rises by the persons it takes and every
    shelter's booked places end equal to its load. A second relocation order a minute later
    sends nobody again (the same end state, rel 1e-9). The same order without a cloud coming
    moves nobody."""
    _, tmp = drill
    doc = _cloud_drill(tmp, sample_city)
    orders = [{"at": "18:00", "do": "open_shelters",
               "shelters": ["No.3 Middle School playground", "No.25 Middle School playground"]},
              {"at": "18:05", "do": "evacuate", "near": {"xy": [NO3_XY[0] + 150.0, NO3_XY[1] + 150.0]},
               "radius_m": 200, "departure_mean_min": 5},
              {"when": {"incident_type": "hazmat_release"}, "delay_min": 10, "do": "relocate",
               "shelters": "all", "departure_mean_min": 3}]  # (the last subgroup sets off ~2.5 means later)
    doc["params"]["plans"] = [{"name": "move", "dispatch_delay_min": 0, "actions": orders}]
    res = _run(tmp, doc, sample_city)
    pp = res.tables["people"].sort_values("t_s")
    total = float(res.prep.buildings.population.sum())
    for r in pp.itertuples(index=False):
        assert r.population_in_place_total + r.evacuating + r.sheltered + r.left_area == pytest.approx(total, rel=1e-12)
    sh = res.tables["shelters"]
    no3 = sh[sh.shelter == "No.3 Middle School playground"].set_index("t_s").load_persons
    end = pp.iloc[-1]
    assert no3.loc[3600.0] > 100.0 and no3.loc[4800.0] == pytest.approx(0.0, abs=1e-9)
    assert end.sheltered_at_risk == pytest.approx(0.0, abs=1e-6)  # (float residue of the loads taken out)
    assert end.sheltered_at_risk_person_min == pytest.approx(0.0, abs=1e-6)
    before = pp.set_index("t_s").loc[3600.0]  # everyone of the first order in a shelter or out of the area
    assert before.evacuating == pytest.approx(0.0, abs=1e-6) and end.evacuating == pytest.approx(0.0, abs=1e-6)
    assert end.sheltered + end.left_area == pytest.approx(before.sheltered + before.left_area, rel=1e-9)
    no25 = sh[sh.shelter == "No.25 Middle School playground"].set_index("t_s").load_persons
    moved_in = no25.iloc[-1] - no25.loc[3600.0]
    assert end.left_area > before.left_area and moved_in > 1.0
    assert moved_in + end.left_area - before.left_area == pytest.approx(no3.loc[3600.0], rel=1e-9)
    run = res.runs[0]
    for s, load in run.shelter_load.items():
        assert run.shelter_booked[s] == pytest.approx(load, abs=1e-6), s
    log = res.tables["log"]
    txt = log[log.kind == "relocate"].text.iloc[0]
    assert f"{no3.loc[3600.0]:.0f} persons in 1 shelter at risk (No.3 Middle School playground)" in txt
    twice = copy.deepcopy(doc)
    twice["params"]["plans"][0]["actions"].append({**orders[-1], "delay_min": 11})
    res2 = _run(tmp, twice, sample_city)
    end2 = res2.tables["people"].sort_values("t_s").iloc[-1]
    assert end2.left_area == pytest.approx(end.left_area, rel=1e-9)
    assert end2.sheltered == pytest.approx(end.sheltered, rel=1e-9)
    assert res2.runs[0].shelter_booked == pytest.approx(res2.runs[0].shelter_load, abs=1e-6)
    log2 = res2.tables["log"]
    assert "no occupied shelter is at risk that an earlier order is not already emptying" in \
        log2[log2.kind == "relocate"].text.iloc[1]
    doc["params"]["hazmat"] = _cloud_drill(tmp, sample_city, "far", (404800.0, 2856000.0), 200.0)["params"]["hazmat"]
    calm = _run(tmp, doc, sample_city)
    clog = calm.tables["log"]
    assert clog[clog.kind == "relocate"].text.iloc[0].endswith("no occupied shelter is at risk")


def _cloud_and_calm(tmp: Path, city, doc: dict) -> dict:
    """``doc`` run with the :func:`_cloud_drill` cloud over No.3 ("cloud") and far from every
    shelter ("calm"); in each, persons are conserved at every sample (rel 1e-12) and booked
    shelter places end equal to the loads."""
    out = {}
    for name, xy in (("cloud", NO3_XY), ("calm", (404800.0, 2856000.0))):
        doc["params"]["hazmat"] = _cloud_drill(tmp, city, name, xy)["params"]["hazmat"]
        res = _run(tmp, doc, city)
        total = float(res.prep.buildings.population.sum())
        for r in res.tables["people"].itertuples(index=False):
            assert r.population_in_place_total + r.evacuating + r.sheltered + r.left_area == \
                pytest.approx(total, rel=1e-12)
        run = res.runs[0]
        assert run.shelter_booked == pytest.approx(run.shelter_load, abs=1e-6)
        out[name] = res
    return out


def test_groups_setting_off_once_their_shelter_is_known_unsafe_go_elsewhere(drill, sample_city):
    """The cloud of the tests above (over No.3 from 20 min after the T+1 h release). An order at
    T+50 min sends the persons round No.3 there, their subgroups setting off over the next ~50 min
    (mean 20 min): those setting off before the release go on to No.3; those setting off after
    it, when the known forecast puts No.3 at risk, are re-sent (logged once) to No.25 or out of
    the danger area. So No.3's end load plus the persons re-sent from it equals its end load with
    no cloud coming (the same allocation, made before anyone knew; rel 1e-9), both parts > 0,
    booked places end equal to loads, and persons are conserved at every sample."""
    _, tmp = drill
    doc = _cloud_drill(tmp, sample_city)
    doc["params"]["plans"] = [{"name": "slow", "dispatch_delay_min": 0, "actions": [
        {"at": "18:00", "do": "open_shelters",
         "shelters": ["No.3 Middle School playground", "No.25 Middle School playground"]},
        {"at": "18:50", "do": "evacuate", "near": {"xy": [NO3_XY[0] + 150.0, NO3_XY[1] + 150.0]},
         "radius_m": 200, "departure_mean_min": 20}]}]
    no3 = "No.3 Middle School playground"
    out = _cloud_and_calm(tmp, sample_city, doc)
    (run, log), (calm, _) = ((r.runs[0], r.tables["log"]) for r in (out["cloud"], out["calm"]))
    assert calm.redirected == {} and calm.shelter_load[no3] > 100.0
    assert run.redirected[no3] > 1.0 and run.shelter_load[no3] > 1.0
    assert run.shelter_load[no3] + run.redirected[no3] == pytest.approx(calm.shelter_load[no3], rel=1e-9)
    re_sent = log[log.text.str.contains(f"setting off for {no3} are re-sent", regex=False)]
    assert len(re_sent) == 1 and re_sent.t_s.iloc[0] >= 3600.0


def test_groups_on_their_way_when_their_shelter_becomes_unsafe_are_sent_elsewhere(drill, sample_city):
    """The cloud of the tests above (over No.3 from 20 min after the T+1 h release). An order at
    T+54 min sends 541 persons from ~900 m west of No.3 to No.3 and No.25 (mean departure 4 min,
    the allocation made before anyone knows of the release). Groups still driving to No.3 when
    the release becomes known are sent on to No.25 from the next node (logged once, at or after
    T+1 h); those setting off later are re-sent at set-off. Against the same drill with the cloud
    elsewhere (same allocation): No.3's load plus the persons re-sent on the way and at set-off
    equals its load there, and No.25's load is the calm one plus all of them (rel 1e-9; nobody
    leaves the area); both re-sent parts > 0; booked places end equal to loads; persons
    conserved at every sample."""
    _, tmp = drill
    doc = _cloud_drill(tmp, sample_city)
    no3, no25 = "No.3 Middle School playground", "No.25 Middle School playground"
    doc["params"]["plans"] = [{"name": "on the way", "dispatch_delay_min": 0, "actions": [
        {"at": "18:00", "do": "open_shelters", "shelters": [no3, no25]},
        {"at": "18:54", "do": "evacuate", "near": {"xy": [402400.0, 2852000.0]}, "radius_m": 250,
         "departure_mean_min": 4}]}]
    out = _cloud_and_calm(tmp, sample_city, doc)
    run, log, m, calm = out["cloud"].runs[0], out["cloud"].tables["log"], out["cloud"].summary(), out["calm"].runs[0]
    assert run.left_area == 0.0 and calm.left_area == 0.0
    assert calm.redirected == {} and calm.redirected_en_route == {}
    on_way, at_start = run.redirected_en_route[no3], run.redirected[no3]
    assert on_way > 1.0 and at_start > 1.0
    assert m["plans"]["on the way"]["re_sent_persons"] == pytest.approx(on_way + at_start, abs=0.5)
    assert run.shelter_load[no3] + on_way + at_start == pytest.approx(calm.shelter_load[no3], rel=1e-9)
    assert run.shelter_load[no25] == pytest.approx(calm.shelter_load[no25] + on_way + at_start, rel=1e-9)
    sent = log[log.text.str.contains(f"on their way to {no3} are sent to {no25} from the road", regex=False)]
    assert len(sent) == 1 and sent.t_s.iloc[0] >= 3600.0


def test_a_shelter_is_judged_by_the_same_rule_when_chosen_and_while_it_holds_persons(drill, sample_city):
    """A flood that covers only the 20-m cell next to No.25's site (0.1 m more every 10 min from
    T+30 min, 1 m at most), never the site's own cell: a point forecast at the site would call it out of
    danger, but the shelter rule (flood within 15 m, as while it holds persons) forecasts it
    flooded. So an order at T+10 min sends nobody there (the log says it is not used) though it
    is open and safe then; from T+80 min, when that cell passes risk_depth_m (0.5 m), the shelter
    is at risk, and shelter_hazards (the reason the log gives) names the flood and its depth."""
    import xarray as xr

    from sim.drill.prepare import SHELTER_FLOOD_RADIUS_M

    _, tmp = drill
    no25, xy = "No.25 Middle School playground", (403274.0, 2852937.0)
    l, b, r, t = sample_city.bounds
    xs, ys = np.arange(l + 10.0, r, 20.0), np.arange(t - 10.0, b, -20.0)
    i, j = int(np.argmin(np.abs(ys - xy[1]))), int(np.argmin(np.abs(xs - xy[0])))
    times = np.arange(0.0, 13 * DT, DT)
    depth = np.zeros((len(times), len(ys), len(xs)), np.float32)
    depth[:, i, j - 1] = np.clip(0.1 * (np.arange(len(times)) - 2), 0.0, 1.0)
    assert abs(xs[j - 1] + 10.0 - xy[0]) <= SHELTER_FLOOD_RADIUS_M  # the wet cell's edge is within 15 m
    f = tmp / "next_cell.nc"
    xr.Dataset({"depth": (("time", "y", "x"), depth)}, coords={"time": times, "y": ys, "x": xs}).to_netcdf(f)
    doc = _drill(tmp, sample_city)
    doc["params"].update(flood={"netcdf": str(f)}, events=[], hazmat=None, plans=[
        {"name": "one", "dispatch_delay_min": 0, "actions": [
            {"at": "18:00", "do": "open_shelters", "shelters": [no25, "No.3 Middle School playground"]},
            {"at": "18:10", "do": "evacuate", "near": {"xy": [xy[0] + 150.0, xy[1] + 150.0]}, "radius_m": 150,
             "departure_mean_min": 5}]}])
    res = _run(tmp, doc, sample_city)
    prep = res.prep
    assert prep.out_of_danger(np.array([xy]), 0.0)[0]  # the site's own cell never floods
    assert prep.shelter_safe(no25, 4200.0) and not prep.shelter_safe(no25, 4800.0)
    assert prep.shelter_hazards(no25, 600.0, to_end=True) == ["flood 1.00 m within 15 m of the site (forecast)"]
    assert prep.shelter_hazards(no25, 4800.0) == ["flood 0.60 m within 15 m of the site"]
    run = res.runs[0]
    assert run.shelter_load[no25] == 0.0 and run.shelter_load["No.3 Middle School playground"] > 100.0
    log = res.tables["log"]
    assert f"{no25} not used: the forecast puts them at risk" in log[log.kind == "evacuate"].text.iloc[0]


def test_indoor_person_minutes_at_risk_are_the_one_box_integral(drill, sample_city):
    """A plan with no actions, in a drill that ends 30 s into a 60-s step of the indoor watch:
    everyone stays at home all drill at the default air changes, so its person-minutes indoors at
    the risk level are sum(population x seconds the one-box indoor air is at or above that level)
    / 60 from the release to the drill's end, integrated exactly over the hazmat frames
    (sim.hazmat.exposure.indoor_seconds_at_or_above), and the persons whose air reaches it are
    those buildings' population. Relative tolerance 1e-9; taking each step's air at its end, or
    counting the last step whole, is off by about 0.3 %. The indoor air a decision reads mid-step
    (15 s into the last one) is the one-box solution from the release to that moment, not the
    step's end."""
    from sim.hazmat.exposure import indoor_seconds_at_or_above, indoor_window

    _, tmp = drill
    doc = _drill(tmp, sample_city, duration_h=3 + 30 / 3600)
    doc["params"]["plans"] = [{"name": "none", "dispatch_delay_min": 0, "actions": []}]
    res = _run(tmp, doc, sample_city)
    prep, run = res.prep, res.runs[0]
    hm = prep.hazmat
    assert prep.duration_s == pytest.approx(10830.0) and hm.times_s[0] == pytest.approx(3600.0)
    thr = hm.thresholds[prep.params.risk_zone]
    n = len(prep.buildings)
    sec = indoor_seconds_at_or_above(np.zeros(n), prep.building_conc, hm.times_s,
                                     np.full(n, prep.params.indoor_air_changes_per_h), thr, float(hm.times_s[0]),
                                     prep.duration_s)
    pop = prep.buildings.population.to_numpy(float)
    assert not run.ordered.any() and (sec > 0).sum() > 10
    assert run.indoor_at_risk_person_s == pytest.approx(float(pop @ sec), rel=1e-9)
    assert run.indoor_at_risk == pytest.approx(float(pop[sec > 0].sum()), rel=1e-12)
    idx = np.arange(n)
    t_mid = prep.duration_s - 15.0
    want = indoor_window(np.zeros(n), prep.building_conc, hm.times_s, np.full(n, prep.params.indoor_air_changes_per_h),
                         thr, float(hm.times_s[0]), t_mid)[1]
    assert run._c_in_start[0] == pytest.approx(prep.duration_s - 30.0)
    assert run._indoor_air(idx, t_mid) == pytest.approx(want, rel=1e-9, abs=1e-15)
    assert np.abs(run.c_in - want).max() > 1e-3 * want.max()  # the step's end is not the same

def test_same_seed_same_drill(drill, sample_city):
    res, tmp = drill
    again = _run(tmp, _drill(tmp, sample_city), sample_city)
    a, b = res.tables, again.tables
    for k in ("log", "tasks", "people"):
        pd.testing.assert_frame_equal(a[k].reset_index(drop=True), b[k].reset_index(drop=True))


def test_plans_compared_on_the_same_events(drill):
    """Both plans face the same incidents at the same times; the faster dispatch decision shows in
    the first dispatch of each incident (opened + delay, to the second)."""
    res, _ = drill
    inc = res.tables["incidents"]
    a = inc[inc.plan == "slow"].set_index("incident_id").opened_s
    b = inc[inc.plan == "fast"].set_index("incident_id").opened_s
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index(), check_names=False)
    tasks = res.tables["tasks"]
    first = tasks.groupby(["plan", "incident_id"]).dispatched_s.min() - tasks.groupby(
        ["plan", "incident_id"]).opened_s.min()
    assert first.loc["slow"].min() == pytest.approx(8 * 60.0)
    assert first.loc["fast"].min() == pytest.approx(0.0)
    m = res.summary()
    assert set(m["plans"]) == {"slow", "fast"}


def test_road_closure_inject_closes_its_links_for_its_duration(drill):
    res, _ = drill
    run = res.runs[0]
    from shapely.geometry import Point
    from twin.routing import edges_hitting

    edges = edges_hitting(run.road.g, Point(403000, 2855300).buffer(40))
    assert edges
    for u, v, k in edges:
        assert run.road.edge_factor(u, v, k, 1800.0 + 1.0) == 0.0
        assert "retaining wall" in run.road.why_closed(u, v, k, 1801.0)
        assert run.road.edge_factor(u, v, k, 1799.0) > 0
        assert run.road.why_closed(u, v, k, 1800.0 + 3600.0 + 1.0) == "" or "zone" in run.road.why_closed(
            u, v, k, 5401.0)


def test_layers_and_files(drill, tmp_path):
    res, _ = drill
    kinds = {lay.id: lay for lay in res.layers()}
    for lid in ("flood_depth", "threat_zones", "roads_closed", "incidents", "shelter_load", "resources_0",
                "roads_closed_1", "incidents_1", "shelter_load_1", "resources_1"):
        assert lid in kinds, lid
    for k, run in enumerate(res.runs):  # every plan's state on the map, the first plan's shown
        for lid in ("roads_closed", "incidents", "shelter_load"):
            lay = kinds[lid if k == 0 else f"{lid}_{k}"]
            assert run.plan.name in lay.title and lay.visible == (k == 0)
    inc = res.tables["incidents"]
    for k, run in enumerate(res.runs):
        last = kinds["incidents" if k == 0 else f"incidents_{k}"].frames[-1][1]
        assert len(last) == (inc.plan == run.plan.name).sum()
    trips = kinds["resources_0"].data
    assert all(np.all(np.diff(t["timestamps"]) >= -1e-9) for t in trips)
    ev = res.page_events()
    assert ev and all(e1["t_s"] <= e2["t_s"] for e1, e2 in zip(ev, ev[1:]))
    log = res.tables["log"]
    for k, run in enumerate(res.runs):  # every plan's log, tied to its incidents layer, tagged with its name
        lid = "incidents" if k == 0 else f"incidents_{k}"
        mine = [e for e in ev if e["layer"] == lid]
        assert lid in kinds and {e["tag"] for e in mine} == {run.plan.name}
        assert [e["text"] for e in mine] == log[log.plan == run.plan.name].text.tolist()
    assert len(ev) == len(log)
    # evacuee queues: 'fast' orders thousands out of the red zone at once, so its groups queue
    q = res.tables["evac_queues"]
    fast = q[q.plan == "fast"]
    assert len(fast) and (fast.wait_max_s > 0).all() and (np.diff(fast.wait_person_h.to_numpy()) <= 1e-12).all()
    run = next(r for r in res.runs if r.plan.name == "fast")
    assert fast.groups_held.sum() == len(run.queues.held)
    assert fast.wait_person_h.sum() == pytest.approx(sum(w * p for _, _, w, p, _ in run.queues.held) / 3600.0, rel=1e-12)
    assert ("evac_queues" in kinds) == bool(res.runs[0].queues.held)
    assert (fast.full_wait_person_h <= fast.wait_person_h + 1e-12).all()
    assert fast.full_wait_person_h.sum() == pytest.approx(
        sum(f * p for _, _, _, p, f in run.queues.held) / 3600.0, rel=1e-12, abs=1e-12)
    files = res.save(tmp_path)
    names = {Path(f).name for f in files}
    assert {"review.html", "tasks.csv", "log.csv", "drill.gpkg", "evac_queues.csv"} <= names
    page = (tmp_path / "review.html").read_text(encoding="utf-8")
    assert "http://" not in page and "Evacuation queues: where evacuees waited" in page
    assert html.escape(fast.link.iloc[0]) in page


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["params"]["plans"][1]["actions"][1].update(resources=["BH-W9"]), "plans[1].actions[1].resources"),
    (lambda d: d["params"]["events"][1]["incident"]["where"].update(place="Yuxi Old Street"), "Yuxi Ancient Street"),
    (lambda d: d["params"]["events"][0]["incident"]["where"].update(xy=[500000.0, 2854000.0]), "outside the city"),
    (lambda d: d["params"]["events"][1].update(at="23:30"), "outside the drill"),
    (lambda d: d["params"]["events"][2].update(at=None, when={"incident_type": "fire"}), "road closure"),
    (lambda d: d["params"].pop("hazmat") and d["params"]["plans"][1]["actions"].__setitem__(
        3, {"when": {"zone": "orange", "reaches": "Beihu"}, "do": "warn"}), "hazmat"),
    (lambda d: d["params"]["plans"][0]["actions"][0].update(shelters=["Nowhere Park"]), "Nowhere Park"),
    (lambda d: d["params"]["events"][2].update(roads=["Renmin Raod"], near=None), "Renmin Road"),
    (lambda d: d["params"]["plans"][1]["actions"].append({"at": "18:30", "do": "shelter_in_place"}),
     "do shelter_in_place: give 'zone', 'district' or 'near'"),
    (lambda d: d["params"]["plans"][1]["actions"].append({"at": "18:30", "do": "relocate", "zone": "red"}),
     "do relocate: takes 'shelters'"),
    (lambda d: d["params"]["plans"][1]["actions"].append({"at": "18:30", "do": "relocate", "shelters": ["Nowhere"]}),
     "Nowhere"),
])
def test_bad_drill_input_names_the_key(mutate, needle, sample_city, tmp_path):
    doc = copy.deepcopy(_drill(tmp_path, sample_city))
    mutate(doc)
    with pytest.raises((InputError, ScenarioError)) as e:
        _run(tmp_path, doc, sample_city)
    assert needle in str(e.value)
    assert "\n" not in str(e.value)


def test_same_ids_and_unknown_keys_rejected_by_the_schema(sample_city, tmp_path):
    doc = _drill(tmp_path, sample_city)
    doc["params"]["events"][1]["incident"]["id"] = "F1"
    with pytest.raises(ScenarioError, match="incident ids must be unique"):
        _run(tmp_path, doc, sample_city)
    doc = _drill(tmp_path, sample_city)
    doc["params"]["plans"][0]["dispatch_delay"] = 3
    with pytest.raises(ScenarioError, match="dispatch_delay_min"):
        _run(tmp_path, doc, sample_city)


def test_math_is_finite_where_it_should_be(drill):
    res, _ = drill
    tasks = res.tables["tasks"]
    arrived = tasks[np.isfinite(tasks.arrival_s)]
    assert (arrived.arrival_s >= arrived.departed_s - 1e-9).all()
    assert (arrived.departed_s >= arrived.dispatched_s - 1e-9).all()
    assert math.isfinite(res.summary()["plans"]["fast"]["first_arrival_median_s"])


def test_hazards_from_saved_results_give_the_same_drill(drill, sample_city):
    """The chlorine release from its saved hazmat.nc (frames, thresholds, staging point) shifted to
    the same start gives the same drill as running the hazmat scenario inside it."""
    res, tmp = drill
    nc = res.prep.hazmat.result._save_netcdf(tmp / "hazmat.nc")
    doc = _drill(tmp, sample_city)
    doc["params"]["hazmat"] = {"netcdf": str(nc), "at": "+1h", "incident_id": "HZ1", "grade": "II"}
    again = _run(tmp, doc, sample_city)
    pd.testing.assert_frame_equal(res.tables["log"], again.tables["log"])
    assert again.prep.hazmat.result is None and again.prep.hazmat.chemical == res.prep.hazmat.chemical


def test_the_toxic_cloud_is_followed_to_the_drill_end(drill):
    """The hazmat scenario runs 1 h, but the drill goes on: its frames run from the release to
    the drill's end (every output interval), so the zone follows the cloud rather than standing
    frozen at the scenario's last frame."""
    res, _ = drill
    hz = res.prep.hazmat
    assert hz.times_s[-1] == pytest.approx(res.prep.duration_s, abs=1e-6)
    assert hz.times_s[0] == pytest.approx(hz.t0_s, abs=1e-6)
    assert np.allclose(np.diff(hz.times_s), hz.result.params.output_interval_s)
