"""Crowd run on the sample city: the forecast feeds the network, people are conserved, the
provisional calendar is flagged, and the post-holiday report adds up."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT
from twin.scenario import load_scenario


@pytest.fixture(scope="module")
def spring(sample_city):
    from sim.crowd import run

    sc, p = load_scenario(ROOT / "scenarios" / "crowd_spring_festival_next.yaml")
    p = p.model_copy(update={"end": p.start.replace(day=p.start.day + 1)})
    return run(sample_city, p)


def _two_days(sample_city, spring, day: int, **update):
    """The Spring Festival 2027 scenario run on 2027-02-``day`` and the day after, without its
    measures or track record, with ``update`` to its parameters."""
    from datetime import date

    from sim.crowd import run

    p = spring.params.model_copy(update={"start": date(2027, 2, day), "end": date(2027, 2, day + 1),
                                         "measures": type(spring.params.measures)(), "forecast_backtest": False,
                                         **update})
    return run(sample_city, p)


def test_next_spring_festival_is_provisional_and_conserves_people(spring):
    s = spring.summary()
    assert s["calendar"]["provisional"] and s["calendar"]["sources"] == ["provisional"]
    c = spring.network.counters
    st = spring.network.steps
    arrived = float(st.arrived_persons.sum())
    departed = float(st.departed_persons.sum())
    present = float(st.present_persons.isel(time=-1).sum())
    assert arrived == pytest.approx(departed + present, abs=1e-6)
    assert c["arrived_persons"] == pytest.approx(arrived, rel=1e-9)


def test_report_adds_up(spring):
    rep = spring.report()
    st = spring.network.steps
    step_h = spring.network.config.step_min / 60.0
    tourists = spring.network.counters["arrived_persons"]
    for r in rep.itertuples():
        occ = np.asarray(st.sel(spot=r.spot).occupancy_persons.values)
        assert r.visitor_hours == pytest.approx(occ.sum() * step_h, rel=1e-9)
        assert 0 <= r.hours_red <= r.hours_yellow_or_red <= len(occ) * step_h
        # an alert is held at least as long as the load is above its threshold (deadband)
        assert r.hours_red <= r.hours_alert_red + 1e-9 and r.hours_yellow_or_red <= r.hours_alert_yellow_or_red + 1e-9
    # LB/T 034-2014 daily capacity = instantaneous capacity x turnover (opening h / stay h); each
    # day's entries against it
    from sim.crowd.capacity import scenic_capacities

    turn = scenic_capacities(spring.city).set_index("name")["turnover_per_day"]
    days = pd.to_datetime(st.time.values).normalize()
    for r in rep.itertuples():
        assert r.daily_capacity_persons == pytest.approx(r.capacity_persons * turn[r.spot], rel=1e-12)
        per_day = pd.Series(np.asarray(st.sel(spot=r.spot).gate_entries_persons.values)).groupby(days).sum()
        assert r.max_day_entries_persons == pytest.approx(per_day.max(), rel=1e-12)
        assert r.max_day_load_pct == pytest.approx(100 * per_day.max() / r.daily_capacity_persons, rel=1e-9)
        assert r.days_over_daily_capacity == int((per_day > r.daily_capacity_persons).sum())
    # the per-capita spend is per tourist: the spots add up to tourists x per capita, shared by entries
    assert rep.spend_estimate_cny.sum() == pytest.approx(tourists * spring.params.spend_per_capita_cny, rel=1e-9)
    share = rep.spend_estimate_cny / rep.spend_estimate_cny.sum()
    assert np.allclose(share, rep.entries_persons / rep.entries_persons.sum(), rtol=1e-9)
    assert spring.summary()["spend_estimate_total_cny"] == pytest.approx(rep.spend_estimate_cny.sum(), abs=0.5)


# ------------------------------------------------------------------ the provisional flag in every output
def test_provisional_flag_reaches_every_output(spring, tmp_path):
    """The 2027 Spring Festival comes from the lunar derivation: report.csv, alerts.csv,
    network.nc, crowd.gpkg (both layers), the PNG titles, the summary and the layer titles say so."""
    import pandas as pd
    import pyogrio
    import xarray as xr

    spring.save(tmp_path)
    assert spring.summary()["provisional"] is True
    rep = pd.read_csv(tmp_path / "report.csv")
    assert rep["provisional"].all() and (rep["calendar_source"] == "provisional").all()
    assert "provisional" in pd.read_csv(tmp_path / "alerts.csv").columns
    with xr.open_dataset(tmp_path / "network.nc") as ds:
        assert ds.attrs["provisional"] == 1 and "PROVISIONAL" in ds.attrs["note"]
    layers = [n for n, _ in pyogrio.list_layers(tmp_path / "crowd.gpkg")]
    assert layers == ["tourist_traffic_peak", "tourist_traffic_hourly"]
    for lay in layers:
        assert pyogrio.read_dataframe(tmp_path / "crowd.gpkg", layer=lay)["provisional"].all()
    import matplotlib.pyplot as plt

    for fig in (spring._daily_figure(), spring._occupancy_figure()):
        assert "PROVISIONAL" in fig.axes[0].get_title()
        plt.close(fig)
    assert "provisional" in spring.title
    assert all("PROVISIONAL" in L.title for L in spring.layers() if L.id == "spot_load")


# ------------------------------------------------------------------ the forecast's track record
def test_forecast_backtest_is_reported_beside_the_run(spring, tmp_path):
    """forecast_backtest: true (shipped Spring Festival 2027 scenario): the last two years' Spring
    Festivals and National Days held out daily, the 2026 ones also hourly (the hourly counts cover
    2026); the model beats the seasonal naive at both steps and its 90 % intervals cover within 3
    binomial s.e. (counted over spot-days) of 90 %; the table and the chart are saved.  The daily
    backtest forecasts as far ahead as the run does: the counts and the weather end 31 December
    2026, 36 days before the period, so each held-out block is forecast from 36 days ahead on the
    climatology."""
    from pydantic import ValidationError

    b = spring.summary()["forecast_backtest"]
    d, w = b["daily"], b["within_day"]
    assert d["held_out"] == ["spring_festival 2025", "national_day 2025", "spring_festival 2026", "national_day 2026"]
    assert d["lead_days"] == 36 and "climatology" in d["weather"]
    assert w["held_out"] == ["spring_festival 2026", "national_day 2026"] and w["step"] == "1h"
    assert d["mape_model_pct"] < d["mape_seasonal_naive_pct"] and w["wape_model_pct"] < w["wape_seasonal_naive_pct"]
    for r, n in ((d, d["spot_days"]), (w, w["slots"] / 24)):
        assert abs(r["coverage_pct"] - 90) < 300 * np.sqrt(0.09 / n)
    files = {f.name for f in spring.save(tmp_path)}
    assert {"forecast_backtest.csv", "forecast_backtest.png"} <= files
    t = pd.read_csv(tmp_path / "forecast_backtest.csv")
    assert list(t["step"]) == ["1D"] * 4 + ["1h"] * 2
    assert list(t["lead_days"]) == [36] * 4 + [1] * 2 and list(t["weather"]) == ["climatology"] * 4 + ["observed"] * 2
    # the overall daily MAPE is the spot-day-weighted mean of the blocks'
    days = t[t["step"] == "1D"]
    assert (days["error_model_pct"] * days["days"]).sum() / days["days"].sum() == pytest.approx(
        d["mape_model_pct"], abs=0.06)
    from sim.crowd.backtest_report import track_record
    from sim.crowd.calendar import HolidayCalendar
    from sim.crowd.history import load_counts
    from twin.errors import InputError

    short = load_counts(spring.params.history_csv, spring.city)
    short = short[short["time"] >= "2025-06-01"]
    short.attrs["freq"] = "1D"
    with pytest.raises(InputError, match=r"forecast_backtest: backtest: spring_festival \(two blocks\) not complete "
                                         r"in the history \(2025-06-01..2026-12-31\).*or set forecast_backtest: false"):
        track_record(short, None, HolidayCalendar(), None)
    with pytest.raises(ValidationError, match="forecast_backtest: true needs the scenic network on arrivals: "
                                              "forecast"):
        type(spring.params).model_validate({**spring.params.model_dump(), "arrivals": "observed"})


def test_upper_demand_runs_every_day_at_the_top_of_its_interval(sample_city, spring):
    """demand: upper (same day, same model): the gate counts the network runs on are each day's
    upper bound spread by the profile, so each spot's counts add up to its daily upper bound
    (rel 1e-9), above the median run's; the summary says so; a replay has no interval to take."""
    from pydantic import ValidationError

    from sim.crowd import run

    p = spring.params.model_copy(update={"demand": "upper", "forecast_backtest": False})
    up = run(sample_city, p)
    s = up.summary()
    assert "upper bound of its 90 % interval" in s["arrivals"]
    got = up.forecast.groupby("spot")["arrivals_persons"].sum()
    hi = up.daily.groupby("spot")["arrivals_persons"].sum()
    assert np.allclose(got.to_numpy(), hi.loc[got.index].to_numpy(), rtol=1e-9)
    med = spring.forecast.groupby("spot")["arrivals_persons"].sum()
    assert (got > 1.1 * med.loc[got.index]).all()
    with pytest.raises(ValidationError, match="demand: upper needs arrivals: forecast"):
        type(p).model_validate({**p.model_dump(), "arrivals": "observed"})


# ------------------------------------------------------------------ a user holiday table in a scenario
def test_holiday_table_in_a_scenario_places_the_holiday(sample_city, spring, tmp_path):
    """A table for the 2027 Spring Festival (days off Sat 6 - Fri 12 Feb, make-up working day
    Sat 13 Feb) replaces the derivation (days off 5 - 13 Feb): 5 Feb is a normal working day,
    6 Feb the first of 7 days off, taken from the table (not provisional), and the forecast
    follows."""

    table = tmp_path / "sf2027.csv"
    rows = [f"2027-02-{d:02d},spring_festival,day_off" for d in range(6, 13)]
    table.write_text("date,holiday,status\n" + "\n".join(rows) + "\n2027-02-13,spring_festival,makeup_workday\n",
                     encoding="utf-8")
    res = _two_days(sample_city, spring, 5, holiday_table=table)
    cal = res.calendar
    d5, d6 = pd.Timestamp("2027-02-05"), pd.Timestamp("2027-02-06")
    assert cal.loc[d5, "status"] == "normal" and cal.loc[d5, "is_workday"]
    assert cal.loc[d6, "status"] == "day_off" and cal.loc[d6, "day_in_holiday"] == 1
    assert cal.loc[d6, "holiday_length_days"] == 7
    assert cal.loc[d6, "source"] == "table" and not cal.loc[d6, "provisional"]
    fc = res.forecast  # the forecast's regressors come from the table's calendar
    assert set(fc.loc[fc["time"].dt.day == 5, "status"]) == {"normal"}
    f6 = fc[fc["time"].dt.day == 6]
    assert set(f6["day_in_holiday"]) == {1} and set(f6["calendar_source"]) == {"table"}
    d6 = spring.forecast[spring.forecast["time"].dt.day == 6]
    assert set(d6["day_in_holiday"]) == {2}  # the derivation's second day


# ------------------------------------------------------------------ hours above the alert levels
def test_hours_above_a_step_function():
    """Occupancy 0 -> 50 (t = 0) -> 85 (1 h) -> 120 (2.5 h) -> 90 (3 h) -> 79.9 (4.25 h) ->
    100 (5 h), end 6 h, capacity 100: at or above 80 % from 1 to 4.25 h and from 5 to 6 h
    (4.25 h), at or above 100 % from 2.5 to 3 h and 5 to 6 h (1.5 h)."""
    from sim.crowd.result import hours_above

    t = np.array([0.0, 1.0, 2.5, 3.0, 4.25, 5.0])
    occ = np.array([50.0, 85.0, 120.0, 90.0, 79.9, 100.0])
    assert hours_above(t, occ, 100.0, 0.8, 6.0) == pytest.approx(4.25, abs=1e-12)
    assert hours_above(t, occ, 100.0, 1.0, 6.0) == pytest.approx(1.5, abs=1e-12)
    assert hours_above(t[:0], occ[:0], 100.0, 0.8, 6.0) == 0.0


def test_report_hours_above_alert_levels_are_exact(sample_city):
    """Deterministic single spot: groups of 10 every minute (even arrivals, 09:00-12:00), gate
    service 0.1 min, fixed dwell 60.5 min, no travel. Group k (k = 0..179) enters at
    9:00 + k + 0.6 min and leaves at 9:00 + k + 61.1 min, so the occupancy reaches 10 m persons at
    the entry of group m - 1 and, after the last entry, falls to 10 (179 - k) at the leave of
    group k. Capacity 550: yellow (>= 440, m = 44) from 43.6 to 197.1 min (group 136 leaves),
    red (>= 550, m = 55) from 54.6 to 186.1 min (group 125 leaves): 153.5/60 and 131.5/60 h.
    Counting whole 15-min steps whose maximum touched the level gives 3.0 and 2.5 h.
    The alert log clears a level only 5 % of capacity (27.5 persons) below it: red at 522.5
    (occupancy 520 when group 127 leaves, 188.1 min), yellow at 412.5 (410: group 138, 199.1 min)."""
    from types import SimpleNamespace

    from sim.crowd import network as N
    from sim.crowd.result import CrowdResult, alert_hours

    name = "Beihu Park"
    p = sample_city.places.set_index("name").loc[name].geometry.representative_point()
    spot = N.SpotConfig(name=name, capacity_persons=550.0, gates=50, gate_rate_persons_min=100.0,
                        parking_cars=math.inf, parking_coaches=math.inf, dwell_mean_min=60.5, dwell_cv=0.0,
                        open_h=0.0, close_h=24.0)
    cfg = N.NetworkConfig(spots=(spot,), modes={"car": N.ModeConfig(1.0, 1.0)}, group_persons=10,
                          arrival_process="even", gate_service_cv=0.0, diversion=False,
                          choice=N.ChoiceConfig(next_spot_prob=0.0), hub=(float(p.x), float(p.y)))
    t = pd.date_range("2026-05-01 09:00", periods=12, freq="15min")
    net = N.simulate_network(sample_city, pd.DataFrame({"time": t, "spot": name, "arrivals_persons": 150.0}), cfg)
    assert net.meta["drive_min"][0, 1] == 0.0
    minutes = lambda df: ((df["time"] - pd.Timestamp("2026-05-01 09:00")) / pd.Timedelta("1min")).round(6).tolist()  # noqa: E731
    assert net.alerts["level"].tolist() == ["yellow", "red", "yellow", "green"]
    assert minutes(net.alerts) == [43.6, 54.6, 188.1, 199.1]
    assert minutes(net.crossings) == [43.6, 54.6, 186.1, 197.1]
    h = alert_hours(net).set_index("spot").loc[name]
    assert h["hours_yellow_or_red"] == pytest.approx(153.5 / 60, abs=1e-6)
    assert h["hours_red"] == pytest.approx(131.5 / 60, abs=1e-6)
    res = CrowdResult(city=sample_city, params=SimpleNamespace(seed=0, spend_per_capita_cny=100.0), calendar=None,
                      forecast=None, daily=None, info={}, network=net)
    rep = res.report().set_index("spot").loc[name]
    assert rep["hours_yellow_or_red"] == pytest.approx(153.5 / 60, abs=1e-6)
    assert rep["hours_red"] == pytest.approx(131.5 / 60, abs=1e-6)
    # the alerts as logged (deadband): yellow-or-red from 43.6 to 199.1 min, red from 54.6 to 188.1 min
    assert rep["hours_alert_yellow_or_red"] == pytest.approx((199.1 - 43.6) / 60, abs=1e-6)
    assert rep["hours_alert_red"] == pytest.approx((188.1 - 54.6) / 60, abs=1e-6)
    # the old rule (steps whose maximum touched the level) overstates both
    al = np.asarray(net.steps.alert.sel(spot=name).values).astype(str)
    assert ((al != "green").sum() * 0.25, (al == "red").sum() * 0.25) == (3.0, 2.5)


# ------------------------------------------------------------------ viewer layer and chart content
def test_tourist_traffic_layer_draws_pcu_per_hour(sample_city):
    """Each hourly frame of the traffic layer holds the links with tourist flow in that hour:
    pcu/h = (cars + 2 coaches + 2 shuttle buses entering the link in the hour's four 15-min
    steps) / 1 h (PCU of cars 1, buses 2); width and colour grow with pcu/h on one scale, and
    no link without tourist flow is drawn."""
    from types import SimpleNamespace

    from sim.crowd import network as N
    from sim.crowd.result import CrowdResult, TRAFFIC_WIDTH_M

    spots = ["Beihu Park", "Wanhua Rock Cave"]
    times = pd.date_range("2026-10-02 08:00", "2026-10-02 11:45", freq="15min")
    arr = pd.DataFrame([(t, s, 60.0) for t in times for s in spots], columns=["time", "spot", "arrivals_persons"])
    net = N.simulate_network(sample_city, arr, N.default_config(sample_city, spots=spots, arrivals=arr,
                                                                 group_persons=5), seed=1)
    res = CrowdResult(city=sample_city, params=SimpleNamespace(seed=0), calendar=None, forecast=None, daily=None,
                      info={}, network=net)
    lay = res._traffic_layer(4)
    lv = net.link_vehicles
    veh = lv.values  # (time, link, kind)
    pcu_w = np.array([1.0, 2.0, 2.0])  # car, coach, shuttle bus
    key = {(u, v, k): i for i, (u, v, k) in enumerate(zip(net.links.u, net.links.v, net.links.key))}
    vmax = max(float(g["pcu_h"].max()) for _, g in lay.frames if len(g))
    drawn = 0
    for j, (sec, g) in enumerate(lay.frames):
        assert sec == pytest.approx(j * 3600.0)
        expect = veh[4 * j:4 * j + 4].sum(axis=0) @ pcu_w  # per link, vehicles in one hour = per hour
        idx = [key[(u, v, k)] for u, v, k in zip(g.u, g.v, g.key)]
        np.testing.assert_allclose(g["pcu_h"].to_numpy(), expect[idx], rtol=1e-12, atol=0)
        assert (expect[idx] > 0).all() and np.count_nonzero(expect) == len(g)  # links without flow left out
        np.testing.assert_allclose(g["width_m"], TRAFFIC_WIDTH_M[0] + TRAFFIC_WIDTH_M[1] * g["pcu_h"] / vmax)
        np.testing.assert_allclose(g["car_vph"], veh[4 * j:4 * j + 4, idx, 0].sum(axis=0))
        drawn += len(g)
    assert drawn > 0
    assert {"car_vph", "coach_vph", "shuttle_bus_vph", "pcu_h", "vc_ratio"} <= set(lay.tooltip)


def test_daily_chart_bars_are_the_forecast_with_its_interval(sample_city):
    """daily_arrivals.png: one bar per (day, spot) at x = 0..n-1, its height the daily forecast,
    its error bar from lo to hi; the title says provisional for a provisional calendar."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    from sim.crowd.result import CrowdResult

    days = pd.date_range("2027-02-05", periods=3, freq="D")
    daily = pd.DataFrame({"time": np.repeat(days, 2), "spot": ["A", "B"] * 3,
                          "arrivals_persons": [100.0, 300.0, 150.0, 350.0, 120.0, 280.0]})
    daily["lo_persons"] = daily["arrivals_persons"] * 0.8
    daily["hi_persons"] = daily["arrivals_persons"] * 1.3
    cal = pd.DataFrame({"provisional": [True] * 3, "source": ["provisional"] * 3})
    res = CrowdResult(city=sample_city, params=SimpleNamespace(seed=0), calendar=cal, forecast=None, daily=daily,
                      info={"source": "forecast"}, network=None)
    fig = res._daily_figure()
    ax = fig.axes[0]
    bars = [c for c in ax.containers if hasattr(c, "patches")]
    assert len(bars) == 2
    for c, sp in zip(bars, ["A", "B"]):
        want = daily[daily.spot == sp]
        np.testing.assert_allclose([r.get_height() for r in c.patches], want["arrivals_persons"])
        x = np.array([r.get_x() + r.get_width() / 2 for r in c.patches])
        np.testing.assert_allclose(np.round(x), [0, 1, 2])
        seg = c.errorbar.lines[2][0].get_segments()
        np.testing.assert_allclose([s[0][1] for s in seg], want["lo_persons"])
        np.testing.assert_allclose([s[1][1] for s in seg], want["hi_persons"])
    lo, hi = ax.get_xlim()
    assert -1 < lo and hi < 3
    assert [t.get_text() for t in ax.get_xticklabels()] == ["02-05", "02-06", "02-07"]
    assert "PROVISIONAL" in ax.get_title()
    plt.close(fig)


def test_a_run_names_the_days_its_counts_never_had(sample_city, spring, tmp_path):
    """A table that starts the 2027 Spring Festival on 3 Feb, lunar day -3 (New Year is 6 Feb;
    the counts' earliest day off is lunar day -2, in 2026): the run forecasts that day from
    lunar day -2 with a wider interval, says so in summary.json (``unseen_days``), and warns."""

    from sim.crowd.forecast import UnseenDayWarning

    table = tmp_path / "sf2027.csv"
    table.write_text("date,holiday,status\n" + "\n".join(f"2027-02-{d:02d},spring_festival,day_off"
                                                          for d in range(3, 12)) + "\n", encoding="utf-8")
    with pytest.warns(UnseenDayWarning, match="lunar day -3"):
        res = _two_days(sample_city, spring, 3, holiday_table=table, weather_forecast_csv=None)
    notes = res.summary()["unseen_days"]
    assert len(notes) == 1 and notes[0].startswith("Spring Festival day off on lunar day -3 from New Year "
                                                   "(2027-02-03)") and "forecast from lunar day -2" in notes[0]
    d = res.daily.set_index(["spot", "time"])
    width = np.log(d["hi_persons"] / d["lo_persons"]).unstack("time")
    assert (width[pd.Timestamp("2027-02-03")] > width[pd.Timestamp("2027-02-04")]).all()


def test_a_run_on_drifting_counts_reports_the_level_it_carries(sample_city, spring, tmp_path):
    """SYNTHETIC counts whose spots drift (``build_crowd_history.synth_daily(drift=(0.85, 0.15))``,
    lag-1 correlation 0.85): the run's summary.json names every spot's carried level, with its
    persistence within 0.06 of the generator's 0.85 (the fit's scatter, tests/sim/
    test_crowd_forecast_ar.py) and the last counted day."""

    from tests.sim.test_crowd_forecast import _builder

    bch = _builder()
    daily, wx = bch.synth_daily(drift=(0.85, 0.15))
    hist, rain = tmp_path / "history.csv", tmp_path / "weather.csv"
    daily.assign(time=pd.to_datetime(daily["time"]).dt.strftime("%Y-%m-%d")).to_csv(hist, index=False)
    wx.assign(date=pd.to_datetime(wx["date"]).dt.strftime("%Y-%m-%d")).to_csv(rain, index=False)
    levels = _two_days(sample_city, spring, 5, history_csv=hist, weather_csv=rain,
                       weather_forecast_csv=None).summary()["recent_level"]
    assert sorted(levels) == sorted(bch.SPOTS)
    assert all(abs(v["persistence_per_day"] - 0.85) < 0.06 and v["on"] == "2026-12-31" for v in levels.values())
