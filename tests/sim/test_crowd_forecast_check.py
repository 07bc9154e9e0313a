"""The forecast origin and the forecast checked against the counts of its own period: the model
sees no count on or after the origin, and the check's scores are the closed forms of its table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT
from twin.errors import InputError
from twin.scenario import load_scenario


@pytest.fixture(scope="module")
def national_day():
    return load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")[1]


@pytest.fixture(scope="module")
def inputs(sample_city, national_day):
    from sim.crowd.arrivals import forecast_inputs

    return forecast_inputs(sample_city, national_day)


def _scaled_from(inputs, day: str, factor: float):
    """The inputs with every count on or after ``day`` multiplied by ``factor``."""
    out = []
    for c in inputs[:2]:
        c2 = c.copy()
        late = c2["time"] >= pd.Timestamp(day)
        c2.loc[late, "arrivals_persons"] *= factor
        c2.attrs.update(c.attrs)
        out.append(c2)
    return (*out, inputs[2])


def test_the_forecast_sees_no_count_on_or_after_its_origin(sample_city, national_day, inputs):
    """Counts from the origin on tripled: the 15-min and daily forecasts are the same to the bit,
    and the check compares them with the tripled counts (their sum 3x, rel 1e-12).  An origin
    ten days earlier drops those days from the fit (the forecast changes) and tripling them then
    changes nothing either."""
    from sim.crowd.calendar import HolidayCalendar
    from sim.crowd.arrivals import arrivals

    cal = HolidayCalendar()
    p = national_day.model_copy(update={"end": national_day.start})
    a = arrivals(sample_city, p, cal, inputs)
    b = arrivals(sample_city, p, cal, _scaled_from(inputs, "2026-10-01", 3.0))
    for x, y in ((a.fc, b.fc), (a.daily, b.daily)):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert a.info["fitted_on"] == "counts before 2026-10-01"
    assert b.check.daily["actual_persons"].sum() == pytest.approx(3 * a.check.daily["actual_persons"].sum(), rel=1e-12)
    assert len(a.check.daily) == 6  # six spots x one day
    early = p.model_copy(update={"forecast_origin": pd.Timestamp("2026-09-21").date()})
    c = arrivals(sample_city, early, cal, inputs)
    d = arrivals(sample_city, early, cal, _scaled_from(inputs, "2026-09-21", 3.0))
    pd.testing.assert_frame_equal(c.daily, d.daily, check_exact=True)
    rel = np.abs(c.daily["arrivals_persons"].to_numpy() / a.daily["arrivals_persons"].to_numpy() - 1)
    assert rel.max() > 1e-6  # ten fewer days in the fit


def _frames(days: int = 3):
    """Two spots; forecast = 1.1 x actual on spot A, 0.8 x on B; A's interval holds the actual on
    the first two days only; hourly forecast = actual shifted one hour later on A."""
    t = pd.date_range("2026-10-01", periods=days, freq="D")
    act = {"A": np.array([100.0, 200.0, 400.0][:days]), "B": np.array([50.0, 50.0, 100.0][:days])}
    rows, counts = [], []
    for sp, fac in (("A", 1.1), ("B", 0.8)):
        for k, d in enumerate(t):
            a = act[sp][k]
            lo, hi = (0.9 * a, 1.2 * a) if (sp == "B" or k < 2) else (1.15 * a, 1.3 * a)
            rows.append({"time": d, "spot": sp, "arrivals_persons": fac * a, "lo_persons": lo, "hi_persons": hi})
            counts.append({"time": d, "spot": sp, "arrivals_persons": a})
    fc = pd.DataFrame(rows)
    cnt = pd.DataFrame(counts)
    cnt.attrs["freq"] = "1D"
    return fc, cnt, act


def test_check_scores_are_the_closed_forms_of_its_table():
    from sim.crowd.forecast_check import check_forecast

    fc, cnt, act = _frames()
    # hourly: on A the actual day has one peak at 10:00 of 60 % of the day, the forecast peaks at 11:00
    hrs = pd.date_range("2026-10-01", periods=72, freq="h")
    sub_a, sub_f = [], []
    for sp in ("A", "B"):
        for h in hrs:
            day = (h.normalize() - pd.Timestamp("2026-10-01")).days
            a_day = act[sp][day]
            shape = np.zeros(24)
            shape[8:18] = 0.4 / 9  # nine hours of 0.4/9 and a 0.6 peak at 10:00
            shape[10] = 0.6
            fshape = np.roll(shape, 1) if sp == "A" else shape
            sub_a.append({"time": h, "spot": sp, "arrivals_persons": a_day * shape[h.hour]})
            fac = 1.1 if sp == "A" else 0.8
            sub_f.append({"time": h, "spot": sp, "arrivals_persons": fac * a_day * fshape[h.hour]})
    sa, sf = pd.DataFrame(sub_a), pd.DataFrame(sub_f)
    sa.attrs["freq"] = sf.attrs["freq"] = "1h"
    ch = check_forecast(fc, sf, cnt, sa, pd.Timestamp("2026-10-01"), 0.9)
    s = ch.summary()
    assert s["spot_days"] == 6 and s["fitted_before"] == "2026-10-01"
    tot_a, tot_b = act["A"].sum(), act["B"].sum()
    assert s["total_error_pct"] == pytest.approx(100 * ((1.1 * tot_a + 0.8 * tot_b) / (tot_a + tot_b) - 1), abs=0.05)
    assert s["mape_pct"] == pytest.approx(100 * (3 * 0.1 + 3 * 0.2) / 6, abs=0.05)
    assert s["coverage_pct"] == pytest.approx(100 * 5 / 6, abs=0.05)
    a, b = s["spots"]["A"], s["spots"]["B"]
    assert a["total_error_pct"] == pytest.approx(10.0, abs=0.05) and b["mape_pct"] == pytest.approx(20.0, abs=0.05)
    assert a["coverage_pct"] == pytest.approx(200 / 3, abs=0.05) and b["coverage_pct"] == 100.0
    assert a["peak_day_actual"] == "2026-10-03 (400)" and a["peak_day_forecast"] == "2026-10-03 (440)"
    # A: the forecast's 10:00 holds 1.1 x the 0.4/9 share against the actual 0.6 share, peak 1 h late
    assert a["peak_shift_h"] == pytest.approx(1.0) and b["peak_shift_h"] == pytest.approx(0.0)
    assert a["peak_slot_error_pct"] == pytest.approx(100 * abs(1.1 * 0.4 / 9 / 0.6 - 1), abs=0.05)
    assert b["peak_slot_error_pct"] == pytest.approx(20.0, abs=0.05)
    # WAPE of A: sum |1.1 f_shift - a| / sum a, over the day's shape
    shape = np.zeros(24)
    shape[8:18] = 0.4 / 9
    shape[10] = 0.6
    assert a["wape_pct"] == pytest.approx(100 * np.abs(1.1 * np.roll(shape, 1) - shape).sum(), abs=0.05)
    assert s["1h"]["wape_pct"] == pytest.approx(
        100 * (np.abs(1.1 * np.roll(shape, 1) - shape).sum() * tot_a + 0.2 * tot_b) / (tot_a + tot_b), abs=0.05)
    t = ch.table()
    assert list(t["inside_interval"]) == [True, True, False, True, True, True]
    assert t["error_pct"].tolist() == pytest.approx([10.0] * 3 + [-20.0] * 3)


def test_check_compares_only_what_was_counted():
    """A day without a count is left out; sub-daily counts that miss a slot of the period drop
    the sub-daily comparison (a part-counted day would misplace its peak); no count: no check."""
    from sim.crowd.forecast_check import check_forecast

    fc, cnt, _ = _frames()
    part = cnt[cnt["time"] < pd.Timestamp("2026-10-03")]
    part.attrs["freq"] = "1D"
    ch = check_forecast(fc, None, part, None, pd.Timestamp("2026-10-01"), 0.9)
    assert ch.summary()["spot_days"] == 4 and ch.sub_daily is None
    assert ch.summary()["mape_pct"] == pytest.approx(15.0, abs=0.05)
    hrs = pd.date_range("2026-10-01", periods=71, freq="h")  # the last hour missing
    sa = pd.DataFrame({"time": np.tile(hrs, 2), "spot": np.repeat(["A", "B"], len(hrs)), "arrivals_persons": 1.0})
    sa.attrs["freq"] = "1h"
    hf = pd.date_range("2026-10-01", periods=72, freq="h")
    sf = pd.DataFrame({"time": np.tile(hf, 2), "spot": np.repeat(["A", "B"], 72), "arrivals_persons": 1.0})
    sf.attrs["freq"] = "1h"
    ch = check_forecast(fc, sf, cnt, sa, pd.Timestamp("2026-10-01"), 0.9)
    assert ch.sub_daily is None and "1h" not in ch.summary()
    late = cnt.assign(time=cnt["time"] + pd.Timedelta(days=10))
    late.attrs["freq"] = "1D"
    assert check_forecast(fc, None, late, None, pd.Timestamp("2026-10-01"), 0.9) is None


def test_national_day_run_reports_its_forecast_against_the_counts(sample_city, national_day, tmp_path):
    """The shipped National Day scenario forecasts 2026-10 from the counts before it and the
    sample history holds those days: the run reports the check, saves its table and marks the
    counts on the daily chart.  The Spring Festival 2027 run has no counts of its days: no check."""
    import matplotlib.pyplot as plt

    from sim.crowd import run

    p = national_day.model_copy(update={"end": national_day.start})
    r = run(sample_city, p)
    s = r.summary()["forecast_vs_counts"]
    assert s["spot_days"] == 6 and set(s["spots"]) == set(r.report()["spot"])
    assert "1h" in s  # the hourly counts cover 2026
    files = {f.name for f in r.save(tmp_path)}
    assert "forecast_vs_counts.csv" in files and "forecast_backtest.png" not in files
    t = pd.read_csv(tmp_path / "forecast_vs_counts.csv")
    assert len(t) == 6 and t["inside_interval"].mean() * 100 == pytest.approx(s["coverage_pct"], abs=0.05)
    fig = r._daily_figure()
    assert any("counted" in str(h.get_label()) for h in fig.axes[0].get_lines())
    plt.close(fig)


def test_forecast_origin_errors(sample_city, national_day, inputs):
    from pydantic import ValidationError

    from sim.crowd.calendar import HolidayCalendar
    from sim.crowd.arrivals import arrivals
    from sim.crowd.params import Params

    raw = national_day.model_dump()
    with pytest.raises(ValidationError, match=r"forecast_origin 2026-10-08 is after the period 2026-10-01..2026-10-07"):
        Params(**{**raw, "forecast_origin": "2026-10-08"})
    assert Params(**{**raw, "forecast_origin": "2026-10-07"}).forecast_origin.day == 7  # midnight: 1-6 counted
    assert Params(**{**raw, "forecast_origin": "2026-10-07T23:00"}).forecast_origin.hour == 23
    with pytest.raises(ValidationError, match="forecast_origin needs arrivals: forecast"):
        Params(**{**raw, "forecast_origin": "2026-09-01", "arrivals": "observed"})
    p = national_day.model_copy(update={"forecast_origin": pd.Timestamp("2018-01-01").date()})
    with pytest.raises(InputError, match=r"history_csv .*history.csv: no counts before the forecast origin 2018-01-01"):
        arrivals(sample_city, p, HolidayCalendar(), inputs)


def test_the_check_of_a_past_holiday_is_its_held_out_backtest(sample_city, national_day, inputs):
    """National Day 2026 forecast by the run (origin 1 October) and held out by the rolling-origin
    backtest (fitted on the days before the block) are one forecast: medians and bounds equal to
    the bit, and the check's MAPE is the backtest's over the same spot-days."""
    from sim.crowd import forecast_backtest as FB
    from sim.crowd.calendar import HolidayCalendar
    from sim.crowd.arrivals import arrivals

    cal = HolidayCalendar()
    a = arrivals(sample_city, national_day, cal, inputs)
    bt = FB.backtest(inputs[0], calendar=cal, weather=inputs[2], years=[2026], holidays=["national_day"]).table
    m = a.check.daily.merge(bt, on=["time", "spot"], suffixes=("", "_bt"))
    assert len(m) == len(a.check.daily) == 42
    for c in ("arrivals_persons", "lo_persons", "hi_persons", "actual_persons"):
        assert (m[c] == m[c + "_bt"]).all()
    mape = float(np.mean(np.abs(m["arrivals_persons_bt"] - m["actual_persons_bt"]) / m["actual_persons_bt"]))
    assert a.check.summary()["mape_pct"] == pytest.approx(100 * mape, abs=0.05)
