"""Crowd history validation and the holiday-aware forecast on the SYNTHETIC sample history."""
from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from sim.crowd import forecast as F
from sim.crowd import forecast_backtest as FB
from sim.crowd.calendar import HolidayCalendar
from sim.crowd.capacity import scenic_capacities
from sim.crowd.history import load_counts, load_weather, resample_counts
from tests.conftest import ROOT
from twin.errors import InputError

DATA = ROOT / "data_samples" / "chenzhou_crowd"
SUXIAN = "Suxian Hill Scenic Area"


def _builder():
    spec = importlib.util.spec_from_file_location("bch", ROOT / "data_samples" / "build_crowd_history.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sample_inputs(city) -> dict:
    """The shipped SYNTHETIC counts (daily, hourly), weather and the official calendar."""
    return {"daily": load_counts(DATA / "history.csv", city),
            "hourly": load_counts(DATA / "history_hourly_2026.csv", city),
            "weather": load_weather(DATA / "weather.csv"), "calendar": HolidayCalendar()}


@pytest.fixture(scope="module")
def data(sample_city):
    return sample_inputs(sample_city)


@pytest.fixture(scope="module")
def model(data):
    return F.fit(data["daily"], calendar=data["calendar"], weather=data["weather"],
                 profile_counts=data["hourly"])


@pytest.fixture(scope="module")
def report(data):
    return FB.backtest(data["daily"], calendar=data["calendar"], weather=data["weather"])


# ------------------------------------------------------------------ the shipped synthetic data
def test_sample_history_is_synthetic_complete_and_consistent(data):
    for f in ("history.csv", "history_hourly_2026.csv", "weather.csv"):
        assert "SYNTHETIC" in (DATA / f).read_text(encoding="utf-8").splitlines()[0]
    d = data["daily"]
    assert d.attrs["freq"] == "1D" and d["spot"].nunique() == 7
    assert d["time"].min() == pd.Timestamp("2019-01-01") and d["time"].max() == pd.Timestamp("2026-12-31")
    # hourly counts sum exactly to the daily counts (conservation)
    m = resample_counts(data["hourly"], "1D").merge(d, on=["spot", "time"])
    assert len(m) == 7 * 365 and (m["arrivals_persons_x"] == m["arrivals_persons_y"]).all()


def test_fit_recovers_the_generators_effects(model):
    """Synthetic truth (build_crowd_history.py): Suxian grows 6 %/yr; rain factors 0.82/0.6/0.42."""
    f = model.fits[SUXIAN]
    p = dict(zip(f.columns, f.result.params))
    assert p["trend_per_year"] == pytest.approx(np.log(1.06), abs=0.01)
    for name, factor in (("light", 0.82), ("moderate", 0.6), ("heavy", 0.42)):
        assert p[f"rain:{name}"] == pytest.approx(np.log(factor), abs=0.06), name
    # the indoor cave feels rain with exponent 0.3: heavy rain 0.42^0.3
    g = model.fits["Wanhua Rock Cave"]
    assert dict(zip(g.columns, g.result.params))["rain:heavy"] == pytest.approx(0.3 * np.log(0.42), abs=0.06)


def test_residual_variance_per_day_group_is_the_generators(model, data):
    """The generator's daily noise is Poisson-gamma (NB2, dispersion 0.02): the variance of log
    counts is trigamma(1 / 0.02) plus about 1 / mean.  Each day group's fitted residual variance
    matches it, averaged over the 7 spots, within 10 % (the estimate of one spot's holiday
    variance has about 200 days and ~50 parameters: relative s.e. ~10 %, ~4 % over 7 spots).
    Without the hat-matrix correction the holiday days' variance came out 18 % low (mean 0.82)."""
    from scipy.special import polygamma

    days = data["calendar"].day_table("2019-01-01", "2026-12-31")
    off = days.index[days["status"] == "day_off"]
    ratios = {"holiday": [], "normal": []}
    for sp, f in model.fits.items():
        c = data["daily"][data["daily"]["spot"] == sp]
        hol = c["time"].isin(off).to_numpy()
        for g, sel in (("holiday", hol), ("normal", ~hol)):
            truth = float(polygamma(1, 1 / 0.02)) + np.mean(1.0 / c["arrivals_persons"].to_numpy()[sel])
            ratios[g].append(f.group_var[g] / truth)
    for g, r in ratios.items():
        assert np.mean(r) == pytest.approx(1.0, abs=0.1), (g, r)


def test_a_short_history_with_one_holiday_block_still_fits(data):
    """Two months, August-September 2026: the only holiday days off (Mid-Autumn, 3 days) each
    have their own parameter, so that group has no residual degrees of freedom; it takes the
    pooled variance (finite, positive, the normal days') and National Day's intervals are finite;
    National Day, which the two months never had, borrows Mid-Autumn's level (and says so).
    Five days cannot carry the model's regressors at all: a one-line error naming the spot."""
    d = data["daily"]
    short = d[(d["time"] >= pd.Timestamp("2026-08-01")) & (d["time"] <= pd.Timestamp("2026-09-30"))]
    short.attrs.update(d.attrs)
    m = F.fit(short, weather=data["weather"])
    f = m.fits[SUXIAN]
    assert f.group_var["holiday"] == pytest.approx(f.group_var["normal"], rel=1e-9) and 0 < f.group_var["normal"] < 1
    with pytest.warns(F.UnseenDayWarning, match=r"national_day days off \(2026-10-01 \.\. 2026-10-07\): no day of it in "
                                                 r"the history: the mean effect of the other holidays' levels \(1\)"):
        p = F.predict_daily(m, "2026-10-01", "2026-10-07", weather=data["weather"])
    assert np.isfinite(p[["lo_persons", "hi_persons"]].to_numpy()).all() and (p["hi_persons"] > p["lo_persons"]).all()
    tiny = d[(d["time"] >= pd.Timestamp("2026-08-01")) & (d["time"] <= pd.Timestamp("2026-08-05"))]
    tiny.attrs.update(d.attrs)
    with pytest.raises(InputError, match=r"history: spot .* has 5 days for \d+ regressors, too few"):
        F.fit(tiny, weather=data["weather"])


def test_an_uncertain_days_rain_is_a_mixture_over_its_classes(model, data):
    """A weather forecast of 50 % heavy rain on 8 October 2026: the day's log(1 + N) is an equal
    mixture of two t, the known dry day's location and that plus the fitted heavy-rain effect b,
    with statsmodels' se_obs for the day's expected design (rel 1e-9).  Its mean moves by b / 2,
    its variance gains b^2 / 4 (law of total variance), its median is the midpoint (symmetry) and
    its 5 / 95 % bounds solve 0.5 T((y - m) / s) + 0.5 T((y - m - b) / s) = u (brentq) to 1e-4 s;
    a known dry day's bounds are the t's, m -+ t_0.95 se_obs (rel 1e-12)."""
    from scipy.optimize import brentq
    from scipy.stats import t as student_t

    from sim.crowd.forecast_mixture import LogMixture
    from sim.crowd.history import load_weather_forecast

    day = pd.Timestamp("2026-10-08")
    fc = load_weather_forecast(pd.DataFrame({"date": [day], "p_light": [0.0], "p_moderate": [0.0], "p_heavy": [0.5]}))
    dry = data["weather"].copy()
    dry.loc[day, "rain_mm"] = 0.0
    unsure_model = F.DailyModel(**{**model.__dict__, "rain_forecast": fc})
    f = model.fits[SUXIAN]
    b = dict(zip(f.columns, f.result.params))["rain:heavy"]
    out = {}
    for name, m, forecast in (("dry", model, None), ("unsure", unsure_model, fc)):
        x, w, _ = F.spot_design(m, SUXIAN, F._rows([SUXIAN], day, day, m.calendar, dry, m.rain_clim, strict=False,
                                                    forecast=forecast))
        pr = f.result.get_prediction(x, weights=w)
        p = F._predict(m, day, day, [SUXIAN], dry)
        out[name] = (p, LogMixture.of_frame(p), float(np.asarray(pr.se_obs)[0]),
                     float(np.asarray(pr.predicted_mean)[0]))
    p, mix, se, mean = out["unsure"]
    m0 = out["dry"][3]
    np.testing.assert_allclose(mix.w[0], [0.5, 0, 0, 0.5], rtol=1e-12)
    np.testing.assert_allclose(mix.loc[0, [0, 3]], [m0, m0 + b], rtol=1e-9)
    assert mix.scale[0] == pytest.approx(se, rel=1e-9) and mix.mean[0] == pytest.approx(mean, rel=1e-9)
    assert mix.mean[0] - m0 == pytest.approx(0.5 * b, rel=1e-9)
    df = float(f.result.df_resid)
    assert mix.variance[0] - se ** 2 * df / (df - 2) == pytest.approx(0.25 * b ** 2, rel=1e-9)
    assert np.log1p(p["arrivals_persons"].iloc[0]) == pytest.approx(m0 + 0.5 * b, abs=1e-4 * se)
    for col, u in (("lo_persons", 0.05), ("hi_persons", 0.95)):
        want = brentq(lambda y: 0.5 * student_t.cdf((y - m0) / se, df) + 0.5 * student_t.cdf((y - m0 - b) / se, df) - u,
                      m0 + b - 10 * se, m0 + 10 * se, xtol=1e-12)
        assert np.log1p(p[col].iloc[0]) == pytest.approx(want, abs=1e-4 * se)
    pd_, _, se_d, m_d = out["dry"]
    q = student_t.ppf(0.95, df)
    assert np.log1p(pd_["lo_persons"].iloc[0]) == pytest.approx(m_d - q * se_d, rel=1e-12)
    assert np.log1p(pd_["hi_persons"].iloc[0]) == pytest.approx(m_d + q * se_d, rel=1e-12)


def test_climatology_forecasts_cover_the_held_out_holidays(data):
    """Forecasts made before the weather is known (the weather file stops the day before each
    held-out block, so its days take the monthly climatology): the Spring Festivals and National
    Days of 2024-2026 (6 blocks) inside the 90 % intervals within 3 binomial s.e. of 90 %.  Without
    the rain term's variance they covered 79 % over all 2021-2026 blocks."""
    cal = data["calendar"]
    d = data["daily"]
    days = F._calendar_frame(cal, d["time"].min(), d["time"].max())
    blocks = F._block_starts(days)
    sel = blocks[blocks["holiday"].isin(["spring_festival", "national_day"]) & (blocks["year"] >= 2024)
                 & (blocks["last"] <= d["time"].max())]
    tables = []
    for b in sel.itertuples():
        w = data["weather"].loc[:b.first - pd.Timedelta(days=1)]
        tables.append(FB.backtest(d, calendar=cal, weather=w, holidays=[b.holiday], years=[b.year]).table)
    t = pd.concat(tables)
    inside = ((t["actual_persons"] >= t["lo_persons"]) & (t["actual_persons"] <= t["hi_persons"])).mean()
    assert len(sel) == 6 and abs(inside - 0.9) < 3 * np.sqrt(0.09 / len(t)), inside


def test_weather_forecast_file_errors_name_the_row(tmp_path):
    from sim.crowd.history import load_weather_forecast

    f = tmp_path / "wf.csv"
    f.write_text("date,p_light,p_moderate,p_heavy\n2027-02-05,0.5,0.1,0\n2027-02-06,0.7,0.5,0\n")
    with pytest.raises(InputError, match=r"wf.csv row 3 \(date 2027-02-06\): p_light \+ p_moderate \+ p_heavy = "
                                         r"1.2; expected probabilities that add up to at most 1"):
        load_weather_forecast(f)
    with pytest.raises(InputError, match=r"p_heavy '-0.1': expected a non-negative number"):
        load_weather_forecast(pd.DataFrame({"date": ["2027-02-05"], "p_light": [0.5], "p_moderate": [0.1],
                                            "p_heavy": ["-0.1"]}))
    with pytest.raises(InputError, match=r"date 2027-02-05 given twice"):
        load_weather_forecast(pd.DataFrame({"date": ["2027-02-05", "2027-02-05"], "p_light": [0.5, 0.5],
                                            "p_moderate": [0.1, 0.1], "p_heavy": [0.0, 0.0]}))


def test_within_day_profile_recovers_the_generators_shape(model):
    b = _builder()
    prof = model.profiles["share"]
    for spot in (SUXIAN, "Chenjiang Riverside Park"):
        for t in ("workday", "weekend", "holiday"):
            got = prof.loc[(spot, t)].reindex(pd.timedelta_range("0h", periods=24, freq="1h"), fill_value=0.0)
            true = b.within_day_shape(b.SPOTS[spot], t)
            # total-variation distance; multinomial sampling error of ~1e5-1e6 arrivals is < 1 %
            assert 0.5 * np.abs(got.to_numpy() - true).sum() < 0.02, (spot, t)


# ------------------------------------------------------------------ backtest
def test_a_backtest_from_further_ahead_uses_only_what_was_known_then(data):
    """National Day 2026 backtested from 30 days ahead: counts of the 29 days before the block
    multiplied by 10 (and the weather of those days changed) leave the model's forecast and the
    seasonal naive unchanged to the bit, while from 1 day ahead they move both; the weather
    stopping 30 days ahead puts the block on the monthly climatology; a weather file that stops
    before the counts is refused, and so is a seasonal naive whose last-year block is not counted
    yet at the lead or whose level window starts before the history.  Weather stopping inside the
    block: the days it covers are forecast on their observed rain, the rest on the climatology."""
    d, cal, wx = data["daily"], data["calendar"], data["weather"]
    first = pd.Timestamp("2026-10-01")
    gap = (d["time"] > first - pd.Timedelta(days=30)) & (d["time"] < first)
    bad = d.copy()
    bad.loc[gap, "arrivals_persons"] *= 10
    bad_wx = wx.copy()
    bad_wx.loc[first - pd.Timedelta(days=29):first - pd.Timedelta(days=1), "rain_mm"] = 60.0
    kw = dict(calendar=cal, holidays=["national_day"], years=[2026])
    cols = ["arrivals_persons", "lo_persons", "hi_persons", "baseline_persons"]
    a = FB.backtest(d, weather=wx, lead_days=30, weather_lead_days=30, **kw).table
    b = FB.backtest(bad, weather=bad_wx, lead_days=30, weather_lead_days=30, **kw).table
    pd.testing.assert_frame_equal(a[cols], b[cols])
    near = FB.backtest(d, weather=wx, lead_days=1, **kw).table
    near_bad = FB.backtest(bad, weather=wx, lead_days=1, **kw).table
    assert (near_bad["arrivals_persons"] > 1.01 * near["arrivals_persons"]).all()
    assert (near_bad["baseline_persons"] > 5 * near["baseline_persons"]).all()
    m = F.fit(d[d["time"] <= first - pd.Timedelta(days=30)].assign(), calendar=cal,
              weather=wx.loc[:first - pd.Timedelta(days=30)])
    clim = F.predict_daily(m, "2026-10-01", "2026-10-07")
    np.testing.assert_allclose(a.sort_values(["spot", "time"])["arrivals_persons"].to_numpy(),
                               clim.sort_values(["spot", "time"])["arrivals_persons"].to_numpy(), rtol=1e-12)
    with pytest.raises(InputError, match=r"backtest lead_days 5, weather_lead_days 10: expected"):
        FB.backtest(d, weather=wx, lead_days=5, weather_lead_days=10, **kw)
    # the weather stopping inside the block (weather_lead_days -2: known to its day 3): its first
    # three days are the observed-rain forecast's, the rest the climatology's, to the bit; a run
    # whose weather file stops so gets that lead (run_leads)
    from sim.crowd.backtest_report import run_leads

    obs = FB.backtest(d, weather=wx, **kw).table.set_index(["spot", "time"])
    clim1 = FB.backtest(d, weather=wx, weather_lead_days=1, **kw).table.set_index(["spot", "time"])
    part = FB.backtest(d, weather=wx, weather_lead_days=-2, **kw).table.set_index(["spot", "time"])
    early = part.index.get_level_values("time") <= first + pd.Timedelta(days=2)
    for c in ("arrivals_persons", "lo_persons", "hi_persons"):
        assert (part.loc[early, c] == obs.loc[part.index[early], c]).all()
        assert (part.loc[~early, c] == clim1.loc[part.index[~early], c]).all()
    assert not (obs.loc[part.index[~early], "lo_persons"] == clim1.loc[part.index[~early], "lo_persons"]).all()
    known = d[d["time"] < first]
    assert run_leads(known, wx.loc[:"2026-10-03"], first, "2026-10-07") == (1, -2)
    assert run_leads(known, wx, first, "2026-10-07") == (1, None)
    assert run_leads(known, wx.loc[:"2026-09-30"], first, "2026-10-07") == (1, 1)
    # the seasonal naive needs last year's block counted and its 4-week level inside the history
    with pytest.raises(InputError, match=r"baseline national_day 2026: from 400 days ahead national_day 2025 \(to "
                                         r"2025-10-08\) is not counted yet; expected lead_days up to 358"):
        FB.backtest(d, weather=wx, lead_days=400, weather_lead_days=400, **kw)
    late = d[d["time"] >= pd.Timestamp("2025-09-01")].assign()
    late.attrs.update(d.attrs)
    with pytest.raises(InputError, match=r"from 36 days ahead its level needs the counts of the 28 days to "
                                         r"2025-08-26, before the history starts \(2025-09-01\)"):
        FB.seasonal_naive(late, cal, "national_day", 2026, lead_days=36)


def test_backtest_beats_seasonal_naive_on_held_out_holidays(report):
    # held out: the Spring Festivals and National Days of 2025 and 2026
    assert sorted(zip(report.by_holiday["holiday"], report.by_holiday["year"])) == [
        ("national_day", 2025), ("national_day", 2026), ("spring_festival", 2025), ("spring_festival", 2026)]
    assert report.mape_model < report.mape_baseline
    # the synthetic counts carry irreducible noise: NB2 dispersion 0.02 -> log-sd about 0.14,
    # whose mean absolute error sqrt(2/pi)*0.14 = 11 % is a floor no model can beat
    floor = np.sqrt(2 / np.pi) * np.sqrt(0.02)
    assert 0.8 * floor < report.mape_model < 1.8 * floor
    # 90 % intervals: coverage within 3 binomial standard deviations of 0.9
    n = len(report.table)
    assert abs(report.coverage - 0.9) < 3 * np.sqrt(0.9 * 0.1 / n)


def test_a_spring_festival_day_the_history_never_had_takes_its_neighbours_effect_and_uncertainty(data):
    """The official 2026 block begins on lunar day -2 (two days before New Year), which no earlier
    block had off (they began on the eve or on New Year's Day).  Fitted on the counts before it,
    that day is forecast from lunar day -1 with the lunar days' random-walk step added to its
    variance, and a warning names it once per model.  Generator truth (build_crowd_history):
    day -2 is 0.7 x a plain day, -1 0.35 x, New Year 1.5 x; taking New Year's effect, as before,
    put 6 of the 7 spots' counts below the 90 % interval (forecasts 1.2-2.1 x the counts)."""
    import warnings

    d = data["daily"]
    train = d[d["time"] < "2026-02-15"]
    train.attrs.update(d.attrs)
    m = F.fit(train, calendar=data["calendar"], weather=data["weather"])
    with pytest.warns(F.UnseenDayWarning, match=r"lunar day -2 from New Year \(2026-02-15\).*forecast from lunar day -1,") as w:
        fc = F.predict_daily(m, "2026-02-15", "2026-02-23")
    assert sum("lunar day -2" in str(x.message) for x in w) == 1
    with warnings.catch_warnings():  # said once per model
        warnings.simplefilter("error")
        F.predict_daily(m, "2026-02-15", "2026-02-16")
    f = m.fits[SUXIAN]
    effects = {0: 0.0} | {int(c.split(":")[1]): b for c, b in zip(f.columns, f.result.params)
                          if c.startswith("sf_lunar_day:")}
    assert -2 not in effects and -1 in effects
    step = np.mean([(effects[k + 1] - effects[k]) ** 2 for k in effects if k + 1 in effects])
    first = fc[fc["time"] == "2026-02-15"].merge(d, on=["time", "spot"], suffixes=("", "_actual"))
    eve = F._predict(m, "2026-02-16", "2026-02-16", [SUXIAN], None)
    day1 = F._predict(m, "2026-02-15", "2026-02-15", [SUXIAN], None)
    # the eve's design (its parameter uncertainty; the days' rain classes aside) plus one step
    assert day1["_log_se"].iloc[0] ** 2 == pytest.approx(eve["_log_se"].iloc[0] ** 2 + step, rel=0.05)
    act = first["arrivals_persons_actual"]
    assert ((act >= first["lo_persons"]) & (act <= first["hi_persons"])).all(), first


def test_seasonal_naive_is_last_years_day_scaled(data):
    d = data["daily"]
    base = FB.seasonal_naive(d, data["calendar"], "national_day", 2026, spots=[SUXIAN])
    piv = d.pivot(index="time", columns="spot", values="arrivals_persons")[SUXIAN]
    scale = piv["2026-09-03":"2026-09-30"].mean() / piv["2025-09-03":"2025-09-30"].mean()
    # 2026: 1-7 Oct; 2025: 1-8 Oct (merged with Mid-Autumn); the last day maps to the last day
    assert base.iloc[0]["baseline_persons"] == pytest.approx(piv["2025-10-01"] * scale)
    assert base.iloc[-1]["baseline_persons"] == pytest.approx(piv["2025-10-08"] * scale)


def test_seasonal_naive_aligns_the_spring_festival_by_lunar_day(data):
    """Spring Festival 2026 (lunar New Year 17 Feb, block 15-23 Feb) copies 2025 at the same
    offset from lunar New Year 2025 (29 Jan): 15 Feb 2026 (two days before) <- 27 Jan 2025."""
    from sim.crowd.calendar import festival_dates

    d = data["daily"]
    assert festival_dates(2026)["spring_festival"].isoformat() == "2026-02-17"
    assert festival_dates(2025)["spring_festival"].isoformat() == "2025-01-29"
    base = FB.seasonal_naive(d, data["calendar"], "spring_festival", 2026, spots=[SUXIAN]).set_index("time")
    piv = d.pivot(index="time", columns="spot", values="arrivals_persons")[SUXIAN]
    cal = data["calendar"].day_table("2025-01-01", "2026-03-31")
    first = lambda y: cal[(cal.holiday == "spring_festival") & (cal.status == "day_off")
                          & (cal.index.year == y)].index.min()
    pre = pd.Timedelta(days=F.PRE_HOLIDAY_DAYS)
    scale = (piv[first(2026) - pre:first(2026) - pd.Timedelta(days=1)].mean()
             / piv[first(2025) - pre:first(2025) - pd.Timedelta(days=1)].mean())
    for day in base.index:
        then = pd.Timestamp("2025-01-29") + (day - pd.Timestamp("2026-02-17"))
        assert base.loc[day, "baseline_persons"] == pytest.approx(piv[then] * scale, rel=1e-12)


# ------------------------------------------------------------------ forecasts
def test_provisional_spring_festival_forecast_is_marked_and_conserved(model, sample_city):
    cap = scenic_capacities(sample_city)
    day = F.forecast(model, "2027-02-04", "2027-02-14", capacities=cap)
    sf = day[day["holiday"].eq("spring_festival") & day["status"].eq("day_off")]
    assert day["provisional"].all() and (day["calendar_source"] == "provisional").all()
    assert (day["lo_persons"] < day["arrivals_persons"]).all()
    assert (day["arrivals_persons"] < day["hi_persons"]).all()
    # the eve is the quietest day and the 2nd-4th days of the first month the busiest
    s = sf[sf["spot"] == SUXIAN].set_index("time")["arrivals_persons"]
    assert s.idxmin() == pd.Timestamp("2027-02-05")
    assert s.idxmax() in pd.date_range("2027-02-07", "2027-02-09")
    q = F.forecast(model, "2027-02-07", "2027-02-08", freq="15min", capacities=cap)
    assert len(q) == 7 * 2 * 96 and (q["profile_day_type"] == "holiday").all()
    # 15-min arrivals add up to the daily forecast (mass conservation of the profile split); so
    # do the bounds when every day lies exactly on its profile (slot_scatter=False)
    tot = q.groupby(["spot", q["time"].dt.normalize()])[["arrivals_persons"]].sum()
    ref = day.set_index(["spot", "time"]).loc[tot.index, ["arrivals_persons"]]
    assert np.allclose(tot.to_numpy(), ref.to_numpy(), rtol=1e-9)
    q0 = F.forecast(model, "2027-02-07", "2027-02-08", freq="15min", slot_scatter=False, capacities=cap)
    tot0 = q0.groupby(["spot", q0["time"].dt.normalize()])[["lo_persons", "hi_persons"]].sum()
    assert np.allclose(tot0.to_numpy(), day.set_index(["spot", "time"]).loc[tot0.index, ["lo_persons", "hi_persons"]]
                       .to_numpy(), rtol=1e-9)
    # the upper alert is the day at its upper bound spread by the profile, whatever the slot intervals
    assert (q["alert_hi"] == q0["alert_hi"]).all()
    assert set(q["alert"]) <= {"green", "yellow", "red"} and "occupancy_persons" in q


def test_forecast_errors_name_the_item(model):
    with pytest.raises(InputError, match="spot 'Suxian Hil Scenic Area'.*close: Suxian Hill Scenic Area"):
        F.forecast(model, "2027-01-01", "2027-01-02", spots=["Suxian Hil Scenic Area"])
    with pytest.raises(InputError, match="holiday new_year 2150: no source covers it"):
        F.forecast(model, "2150-01-01", "2150-01-02")
    bare = F.DailyModel(model.fits, model.spots, model.t0, model.history, model.calendar, None,
                        model.rain_clim, model.uplift, model.interval)
    with pytest.raises(InputError, match="freq 1h: the model has no within-day profile"):
        F.forecast(bare, "2027-01-01", "2027-01-01", freq="1h")


# ------------------------------------------------------------------ bad counts
def _csv(tmp_path, rows, header="time,spot,count"):
    p = tmp_path / "c.csv"
    p.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return p


GOOD = ["2026-01-01 00:00,Beihu Park,1", "2026-01-01 01:00,Beihu Park,2", "2026-01-01 02:00,Beihu Park,3"]


@pytest.mark.parametrize("rows, needle", [
    (GOOD[:2] + ["2026-01-01 02:00,Behu Park,3"], r"row 4: spot 'Behu Park'.*close: Beihu Park"),
    (GOOD[:2] + ["2026-01-01 02:00,Beihu Park,-5"], r"row 4 \(spot 'Beihu Park', time 2026-01-01 02:00:00\): "
                                                    r"count '-5'"),
    (GOOD[:2] + ["2026-01-01 02:00,Beihu Park,abc"], r"row 4 .*count 'abc'"),
    (GOOD[:2] + ["2026-01-01 04:00,Beihu Park,3"], r"spot 'Beihu Park' has 2 missing 1h step\(s\), the first "
                                                   r"at 2026-01-01 02:00:00"),
    (GOOD + ["2026-01-01 01:00,Beihu Park,9"], r"rows 3 and 5: spot 'Beihu Park' time 2026-01-01 01:00:00 "
                                               r"given twice"),
    (GOOD[:2] + ["yesterday,Beihu Park,3"], r"row 4: time 'yesterday'"),
    (GOOD[:2] + ["2026-01-01 02:20,Beihu Park,3"], r"not on the 1h grid"),
])
def test_bad_counts_are_named(tmp_path, sample_city, rows, needle):
    with pytest.raises(InputError, match=needle):
        load_counts(_csv(tmp_path, rows), sample_city, freq="1h")


def test_counts_accept_place_ids_and_refuse_partial_days(tmp_path, sample_city):
    c = load_counts(_csv(tmp_path, ["2026-01-01 00:00,scenic_spot-4,1", "2026-01-01 01:00,scenic_spot-4,2"]),
                    sample_city)
    assert set(c["spot"]) == {"Beihu Park"} and c.attrs["freq"] == "1h"
    with pytest.raises(InputError, match="period 2026-01-01 00:00:00 has 2 of 24 1h steps"):
        resample_counts(c, "1D")
    with pytest.raises(InputError, match="missing column\\(s\\) count"):
        load_counts(_csv(tmp_path, ["2026-01-01,Beihu Park"], header="time,spot"), sample_city)
    w = tmp_path / "w.csv"
    w.write_text("date,rain_mm\n2026-01-01,0\n2026-01-03,1.5\n", encoding="utf-8")
    with pytest.raises(InputError, match="1 missing date\\(s\\), the first 2026-01-02"):
        load_weather(w)


def test_far_horizon_warns_that_the_trend_is_extrapolated(model):
    """The history ends in 2026: next year's Spring Festival is inside the horizon, 2040's is not."""
    import warnings

    last = pd.Timestamp(model.history["time"].max())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.predict_daily(model, last + pd.Timedelta(days=300), last + pd.Timedelta(days=301))
    with pytest.warns(UserWarning, match=r"years past the last count .*extrapolated"):
        F.predict_daily(model, "2040-02-10", "2040-02-12")


def test_the_spring_festival_scenario_reads_its_weather_forecast(sample_city):
    """The shipped Spring Festival 2027 scenario: the forecast's days 5-11 February take the rain
    probabilities of its 7-day weather forecast (a run's info names the file and its days), the
    12th-13th the climatology; a weather forecast without weather_csv is refused."""
    from pydantic import ValidationError

    from sim.crowd.arrivals import arrivals
    from sim.crowd.params import Params
    from twin.scenario import load_scenario

    _, p = load_scenario(ROOT / "scenarios" / "crowd_spring_festival_next.yaml")
    p = p.model_copy(update={"forecast_backtest": False, "spots": [SUXIAN]})
    a = arrivals(sample_city, p, HolidayCalendar())
    assert a.info["weather_forecast"] == ("weather_forecast_2027-02-05.csv: 2027-02-05..2027-02-11 "
                                          "(7 of the 7 days of the file)")
    plain = arrivals(sample_city, p.model_copy(update={"weather_forecast_csv": None}), HolidayCalendar())
    d = a.daily.set_index(["spot", "time"])["arrivals_persons"]
    c = plain.daily.set_index(["spot", "time"])["arrivals_persons"]
    wet = pd.Timestamp("2027-02-08")  # 55 / 30 / 10 % light / moderate / heavy: below the February climatology's
    assert d[(SUXIAN, wet)] < 0.9 * c[(SUXIAN, wet)]
    late = pd.Timestamp("2027-02-12")  # past the forecast: the climatology, as without it
    assert d[(SUXIAN, late)] == c[(SUXIAN, late)]
    with pytest.raises(ValidationError, match="weather_forecast_csv needs arrivals: forecast and weather_csv"):
        Params(**{**p.model_dump(), "weather_csv": None})


def test_a_weather_forecast_for_other_days_is_refused(sample_city, tmp_path):
    """A stale file (last year's dates) forecasts none of the run's days: a one-line error naming
    it, not a run that says it used it; a file reaching past the period is used for its days."""
    from sim.crowd.arrivals import arrivals
    from twin.scenario import load_scenario

    _, p = load_scenario(ROOT / "scenarios" / "crowd_spring_festival_next.yaml")
    old = tmp_path / "old.csv"
    old.write_text("date,p_light,p_moderate,p_heavy\n2026-02-05,0,0,1\n2026-02-06,0,0,1\n")
    with pytest.raises(InputError, match=r"weather_forecast_csv .*old.csv: its days 2026-02-05..2026-02-06 miss "
                                         r"the days forecast, 2027-02-05..2027-02-13"):
        arrivals(sample_city, p.model_copy(update={"weather_forecast_csv": old, "forecast_backtest": False,
                                                   "spots": [SUXIAN]}), HolidayCalendar())
    long = tmp_path / "long.csv"
    long.write_text("date,p_light,p_moderate,p_heavy\n2027-02-12,0,0,1\n2027-02-13,0,0,1\n2027-02-14,0,0,1\n")
    a = arrivals(sample_city, p.model_copy(update={"weather_forecast_csv": long, "forecast_backtest": False,
                                                   "spots": [SUXIAN]}), HolidayCalendar())
    assert a.info["weather_forecast"] == "long.csv: 2027-02-12..2027-02-13 (2 of the 3 days of the file)"
