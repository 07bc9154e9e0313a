"""The within-day update of a forecast (sim.crowd.forecast_nowcast): no count leaves the plain
forecast, a flat prior gives the negative-binomial posterior, days drawn from the model are
covered at the nominal rate, and a run made during the holiday splices the counts before the
forecast."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import nbinom

from sim.crowd.forecast_mixture import LogMixture
from sim.crowd.forecast_nowcast import posterior_total_draws, update_day
from sim.crowd.forecast_within_day import slot_intervals
from tests.conftest import ROOT
from twin.scenario import load_scenario

P = np.array([0.0] * 8 + [0.05, 0.1, 0.15, 0.15, 0.12, 0.1, 0.1, 0.08, 0.07, 0.05, 0.03] + [0.0] * 5)


def test_nothing_counted_is_the_plain_forecast():
    """k = 0: the day's point is the daily model's, expm1 of its mean (rel 1e-12), and the slots'
    bounds are slot_intervals' to the bit (same draws, same seed)."""
    m, se, df, a = np.log1p(8000.0), 0.25, 60.0, 300.0
    u = update_day(LogMixture.student(m, se, df), P, a, 0, 0.0, 0.9, seed=3)
    assert u.total_point == pytest.approx(8000.0, rel=1e-12)
    assert u.rest_point == pytest.approx(u.total_point * P, rel=1e-12)
    lo, hi = slot_intervals(LogMixture.student(m, se, df), P[None, :], np.array([a]), 0.9, seed=3)
    assert (u.rest_lo == lo[0]).all() and (u.rest_hi == hi[0]).all()


def test_flat_prior_gives_the_negative_binomial_posterior():
    """A prior flat in log N (scale 30) and a binomial split (a = inf): N - x given x persons in
    share s is negative binomial (x, s) (prior 1/N: C(N, x)/N = C(N-1, x-1)/x), whose median and
    5/95 % quantiles the update reproduces within 0.2 %."""
    x, s = 2000.0, 0.4
    tot, _ = posterior_total_draws(LogMixture.student(np.log1p(5000.0), 30.0, 1000.0), x, s, np.inf)
    for q in (0.05, 0.5, 0.95):
        assert np.quantile(tot, q) == pytest.approx(x + nbinom.ppf(q, x, s), rel=2e-3)
    # a tight prior 4x below the count pulls the posterior towards it (the t's tails let the count
    # win most of the way: between the two, nearer the count)
    tight, _ = posterior_total_draws(LogMixture.student(np.log1p(1250.0), 0.05, 1000.0), x, s, np.inf)
    assert np.sqrt(1250 * np.median(tot)) < np.median(tight) < 0.99 * np.median(tot)


def test_a_prior_over_rain_classes_updates_as_the_exact_sum():
    """A day whose rain is uncertain (prior: 60 % a dry-day t at 6,000, 40 % a wet-day t at 3,500)
    with 1,500 counted in share 0.3 (a = 200): the update's quantiles are those of the exact
    posterior summed over whole N, P(N) ~ p(log(1 + N)) / (1 + N) P(x | N), within 0.3 %; the
    count, which points at 5,000, moves most of the weight to the dry class."""
    from scipy.special import logsumexp

    from sim.crowd.forecast_nowcast import _log_likelihood

    prior = LogMixture(np.array([[0.6, 0.0, 0.0, 0.4]]), np.log1p([[6000.0, 6000.0, 6000.0, 3500.0]]),
                       np.array([0.15]), np.array([30.0]))
    x, s, a = 1500.0, 0.3, 200.0
    tot, g = posterior_total_draws(prior, x, s, a)
    n = np.arange(1500.0, 60001.0)
    lp = prior.logpdf(np.log1p(n)[None, :])[0] - np.log1p(n) + _log_likelihood(n, x, s, a)
    cdf = np.cumsum(np.exp(lp - logsumexp(lp)))
    for q in (0.05, 0.5, 0.95):
        assert np.quantile(tot, q) == pytest.approx(n[np.searchsorted(cdf, q)], rel=3e-3)
    pw = np.exp(lp - logsumexp(lp))
    assert g == pytest.approx(np.sum(pw * np.log1p(n)), abs=1e-4)  # the day's point: E[log(1 + N) | x]
    assert np.median(tot) > np.sqrt(6000.0 * 3500.0)
    # nothing counted yet (share 0): the point is the prior's, expm1 of its mean, as the plain
    # forecast's, not its median (which a 40 % chance of the wet class puts elsewhere)
    u = update_day(prior, np.r_[0.0, 0.0, np.full(10, 0.1)], a, 2, 0.0, 0.9)
    assert u.total_point == pytest.approx(np.expm1(prior.mean[0]), rel=1e-12)
    assert abs(np.median(u.total_draws) / u.total_point - 1) > 0.02


def test_days_drawn_from_the_model_are_covered_at_the_nominal_rate():
    """400 days drawn from the model (log(1 + N) ~ t, Dirichlet-multinomial split, a = 400),
    counted up to 12:00 (share 0.57): the 90 % bounds of the total and of the afternoon's open
    slots cover within 3 binomial s.e. of 90 %; the posterior point's RMS log error is the
    posterior's own scale, sqrt(1 / (1/se^2 + 1/v)) with v = (1 - s)/(s (a + 1)) + (1 - s)/N
    (within 20 %), over five times smaller than the forecast's 0.3."""
    rng = np.random.default_rng(7)
    days, m, se, df, a, k = 400, np.log1p(6000.0), 0.3, 80.0, 400.0, 12
    s = P[:k].sum()
    n = np.rint(np.expm1(m + se * rng.standard_t(df, days))).astype(int)
    cov_t, cov_s, err = [], [], []
    for d in range(days):
        x = rng.multinomial(n[d], rng.dirichlet(a * np.where(P > 0, P, 1e-12)))
        u = update_day(LogMixture.student(m, se, df), P, a, k, float(x[:k].sum()), 0.9, draws=400, seed=d)
        cov_t.append(u.total_lo <= n[d] <= u.total_hi)
        open_ = P[k:] > 0
        cov_s.extend(((x[k:] >= u.rest_lo) & (x[k:] <= u.rest_hi))[open_])
        err.append(np.log(u.total_point) - np.log(n[d]))
    for c in (cov_t, cov_s):
        assert abs(np.mean(c) - 0.9) < 3 * np.sqrt(0.09 / days)
    v = (1 - s) / (s * (a + 1)) + (1 - s) / 6000.0
    post = np.sqrt(1.0 / (1.0 / se**2 + 1.0 / v))
    assert np.sqrt(np.mean(np.square(err))) == pytest.approx(post, rel=0.2)
    assert post < se / 5


def test_a_run_made_during_the_holiday(sample_city):
    """National Day, forecast made on 3 October at 11:00: 1-2 October and that morning are the
    counts (the daily totals equal the history's, rel 1e-9); the rest of 3 October comes from the
    update, whose total is within 5 % of the day's count at every spot (the synthetic hours
    follow the profile closely); the check covers 3-7 October only; an origin off the hourly
    counts' step is refused."""
    from sim.crowd.arrivals import arrivals, forecast_inputs
    from sim.crowd.calendar import HolidayCalendar
    from twin.errors import InputError

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    p = p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11), "end": p.start.replace(day=4)})
    inputs = forecast_inputs(sample_city, p)
    a = arrivals(sample_city, p, HolidayCalendar(), inputs)
    fc, daily = a.fc, a.daily
    assert fc.loc[fc["counted"], "time"].max() == pd.Timestamp("2026-10-03 10:45")
    assert fc.loc[~fc["counted"], "time"].min() == pd.Timestamp("2026-10-03 11:00")
    hist = inputs[0].set_index(["time", "spot"])["arrivals_persons"]
    for r in daily.itertuples():
        counted = hist[(r.time, r.spot)]
        if r.time < pd.Timestamp("2026-10-03"):
            assert r.arrivals_persons == pytest.approx(counted, rel=1e-9) and r.lo_persons == r.hi_persons
        elif r.time == pd.Timestamp("2026-10-03"):
            assert r.arrivals_persons == pytest.approx(counted, rel=0.05)
            day = fc[(fc["spot"] == r.spot) & (fc["time"].dt.normalize() == r.time)]
            assert day["arrivals_persons"].sum() == pytest.approx(r.arrivals_persons, rel=1e-9)
    assert sorted(set(a.check.daily["time"].dt.day)) == [3, 4]
    d3 = a.check.daily[a.check.daily["time"] == pd.Timestamp("2026-10-03")]
    o = a.check.summary()["origin_day"]
    assert o["counted_to"] == "11:00" and o["spots"] == 6
    assert o["mape_pct"] == pytest.approx(100 * np.mean(np.abs(d3["arrivals_persons"] / d3["actual_persons"] - 1)),
                                          abs=0.05)
    assert a.check.sub_daily["time"].min() == pd.Timestamp("2026-10-03 11:00")
    # demand: upper keeps the counts and puts the rest of each day at its upper bound: the 15-min
    # counts add up to the daily bound, the updated day's included (rel 1e-9)
    up = arrivals(sample_city, p.model_copy(update={"demand": "upper"}), HolidayCalendar(), inputs)
    per_day = up.fc.groupby(["spot", up.fc["time"].dt.normalize()])["arrivals_persons"].sum()
    bound = up.daily.set_index(["spot", "time"])["arrivals_persons"].reindex(per_day.index)
    assert np.allclose(per_day.to_numpy(), bound.to_numpy(), rtol=1e-9)
    assert (up.fc.loc[up.fc["counted"], "arrivals_persons"].to_numpy()
            == fc.loc[fc["counted"], "arrivals_persons"].to_numpy()).all()
    with pytest.raises(InputError, match="expected an origin on a step"):
        arrivals(sample_city, p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11, 30)}),
                 HolidayCalendar(), inputs)


def test_update_backtest_on_the_sample_beats_the_plain_forecast(sample_city):
    """National Day 2026, each day fitted on the days before it, counted to 12:00: the rest of
    the day and the day's total are forecast better with the morning's counts than without them
    (total error under a third), and the remaining open hours' 90 % intervals cover within 3
    binomial s.e. (over spot-days) of 90 %."""
    from sim.crowd.forecast_backtest import backtest_update
    from sim.crowd.history import load_counts, load_weather

    data = ROOT / "data_samples" / "chenzhou_crowd"
    daily = load_counts(data / "history.csv", sample_city)
    hourly = load_counts(data / "history_hourly_2026.csv", sample_city)
    r = backtest_update(daily, hourly, weather=load_weather(data / "weather.csv"), holidays=["national_day"],
                        hours=[12]).scores().iloc[0]
    assert r.spot_days == 49
    assert r.rest_wape_updated < r.rest_wape_plain and r.total_mape_updated < r.total_mape_plain / 3
    assert abs(r.rest_coverage - 0.9) < 3 * np.sqrt(0.09 / r.spot_days)


def test_days_counted_by_the_hour_complete_the_daily_file(sample_city):
    """A holiday under way: the daily file stops at 30 September, the hourly counts go on.  The
    whole days 1-2 October of the hourly counts extend it (the sample's hours add up to its days),
    so the run made on 3 October at 11:00 is the same, to the bit, as with the full daily file;
    a day with a slot or a spot missing, and the days after it, are not added."""
    from sim.crowd.arrivals import arrivals, forecast_inputs, with_counted_days
    from sim.crowd.calendar import HolidayCalendar

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    p = p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11), "end": p.start.replace(day=4)})
    full = forecast_inputs(sample_city, p)
    cut = full[0][full[0]["time"] < pd.Timestamp("2026-10-01")].reset_index(drop=True)
    cut.attrs.update(full[0].attrs)
    a = arrivals(sample_city, p, HolidayCalendar(), full)
    b = arrivals(sample_city, p, HolidayCalendar(), (cut, *full[1:]))
    pd.testing.assert_frame_equal(a.fc, b.fc, check_exact=True)
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    pd.testing.assert_frame_equal(a.check.daily, b.check.daily, check_exact=True)
    h = full[1]
    gap = h[~((h["spot"] == "Beihu Park") & (h["time"] == pd.Timestamp("2026-10-02 13:00")))].reset_index(drop=True)
    gap.attrs.update(h.attrs)
    assert with_counted_days(cut, gap)["time"].max() == pd.Timestamp("2026-10-01")
    one = h[h["spot"] != "Beihu Park"].reset_index(drop=True)
    one.attrs.update(h.attrs)
    assert with_counted_days(cut, one) is cut


def test_track_record_of_a_run_made_during_the_holiday(sample_city, tmp_path):
    """forecast_backtest: true on a run made on 3 October 2026 at 11:00: the counts known then
    hold no complete National Day 2026, so each holiday's last two complete blocks are held out;
    the track record adds the 11:00 update on the held-out blocks inside the hourly counts."""
    from sim.crowd import run
    from sim.crowd.params import MeasureSettings

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    p = p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11), "end": p.start.replace(day=3),
                             "forecast_backtest": True, "measures": MeasureSettings()})
    r = run(sample_city, p)
    b = r.summary()["forecast_backtest"]
    assert b["daily"]["held_out"] == ["national_day 2024", "spring_festival 2025", "national_day 2025",
                                      "spring_festival 2026"]
    assert b["within_day"]["held_out"] == ["spring_festival 2026"]
    # the busiest day of each held-out block of each spot: the report's rates are the peak table's
    pk = r.track_record.daily.peak
    assert b["daily"]["peak_day"]["spot_blocks"] == len(pk) == 4 * 7  # the files' seven spots
    assert b["daily"]["peak_day"]["most_likely_right_pct"] == round(100 * pk["hit"].mean(), 1)
    # and the update at the run's hour on the blocks inside the hourly counts, against not updating
    u = b["within_day_update"]
    assert u["counted_to"] == "11:00" and u["held_out"] == ["spring_festival 2026"] and u["spot_days"] == 9 * 7
    assert u["rest_of_day_wape_pct"] < u["rest_of_day_wape_plain_pct"]
    t = r.track_record.table()
    row = t[t["step"] == "1h from 11 h, updated"].iloc[0]
    assert row["error_model_pct"] == pytest.approx(u["rest_of_day_wape_pct"], abs=0.06)
    assert row["baseline"] == "the forecast not updated"
    # the day's chart: counted, updated (with its band), the forecast before the day, counted later
    assert "today.png" in {f.name for f in r.save(tmp_path)}
    import matplotlib.pyplot as plt

    fig = r._today_figure()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "counted", "updated, 90 % band", "updated", "forecast before the day", "counted later"]
    plt.close(fig)


def test_alerts_ahead_read_the_log_after_the_counts():
    """The duty officer's reading at 11:00: A went yellow at 09:30 and reaches red at 13:05, B is
    green now and turns yellow at 16:00, C was red before 11:00; changes after midnight and
    before 11:00 are not 'ahead'."""
    from sim.crowd.network_report import alerts_ahead

    log = pd.DataFrame({"time": pd.to_datetime(["2026-10-03 09:30", "2026-10-03 13:05", "2026-10-03 15:00",
                                                "2026-10-03 16:00", "2026-10-03 10:00", "2026-10-04 09:00"]),
                        "spot": ["A", "A", "A", "B", "C", "C"],
                        "level": ["yellow", "red", "yellow", "yellow", "red", "green"],
                        "previous": ["green", "yellow", "red", "green", "yellow", "red"]})
    a = alerts_ahead(log, ["A", "B", "C", "D"], pd.Timestamp("2026-10-03 11:00"))
    assert a["A"] == {"level_now": "yellow", "changes_today": ["13:05 red", "15:00 yellow"], "red_from": "13:05"}
    assert a["B"] == {"level_now": "green", "changes_today": ["16:00 yellow"], "red_from": None}
    assert a["C"] == {"level_now": "red", "changes_today": [], "red_from": "now"}
    assert a["D"] == {"level_now": "green", "changes_today": [], "red_from": None}


def test_a_run_during_the_holiday_needs_the_counts_up_to_its_origin(sample_city):
    """Hourly counts that stop at 09:00 on 3 October cannot carry a forecast made at 11:00: a
    one-line error names the spot, how much is counted and the origin.  An origin given with the
    zone (+08:00) is the same local time as without it."""
    from sim.crowd.arrivals import arrivals, forecast_inputs, forecast_origin
    from sim.crowd.calendar import HolidayCalendar
    from twin.errors import InputError

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day_live.yaml")
    p = p.model_copy(update={"forecast_backtest": False, "end": p.start})
    d, h, w = forecast_inputs(sample_city, p)
    short = h[h["time"] < pd.Timestamp("2026-10-03 09:00")].reset_index(drop=True)
    short.attrs.update(h.attrs)
    with pytest.raises(InputError, match=r"hourly_csv .*: the counts of spot 'Beihu Park' cover 9 of the "
                                         r"11 h from 2026-10-03 to the forecast origin 2026-10-03 11:00:00"):
        arrivals(sample_city, p, HolidayCalendar(), (d, short, w))
    zoned = type(p).model_validate({**p.model_dump(), "forecast_origin": "2026-10-03T03:00Z"})
    assert forecast_origin(zoned) == pd.Timestamp("2026-10-03 11:00")


def test_an_origin_at_midnight_inside_the_period(sample_city):
    """forecast_origin 2026-10-03 (a date) on the 1-7 October week: 1-2 October are the counts
    (192 slots a spot), 3-7 October the forecast, checked from 3 October, with no updated day."""
    from sim.crowd.arrivals import arrivals
    from sim.crowd.calendar import HolidayCalendar

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    a = arrivals(sample_city, p.model_copy(update={"forecast_origin": pd.Timestamp("2026-10-03").date()}),
                 HolidayCalendar())
    assert (a.fc[a.fc["counted"]].groupby("spot").size() == 192).all()
    assert a.check.daily["time"].min() == pd.Timestamp("2026-10-03") and len(a.check.daily) == 30
    s = a.check.summary()
    assert "origin_day" not in s and "against the counts from 2026-10-03;" in s["note"]


def test_a_run_during_the_holiday_on_15_min_counts(sample_city, tmp_path):
    """Gate counts every 15 min (the sample's hours split into quarters that add up to the hour),
    loaded from a CSV, forecast made on 3 October at 11:15: the counted slots are the quarters to
    11:00-11:15 exactly, the first forecast slot is 11:15, 1-2 October add up to the history's days
    (rel 1e-9), 3 October's updated total is within 5 % of its count at every spot (as on the
    hourly counts), and an origin at 11:20 is off the 15-min step and refused."""
    from sim.crowd.arrivals import arrivals, forecast_inputs
    from sim.crowd.calendar import HolidayCalendar
    from sim.crowd.history import load_counts
    from twin.errors import InputError

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    p = p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11, 15), "end": p.start.replace(day=3)})
    d, h, w = forecast_inputs(sample_city, p)
    c = h["arrivals_persons"].to_numpy().astype(np.int64)
    q = np.stack([c // 4 + (c % 4 > k) for k in range(4)], axis=1).ravel()
    quarters = pd.DataFrame({"time": (h["time"].to_numpy()[:, None]
                                      + np.arange(0, 60, 15).astype("timedelta64[m]")[None, :]).ravel(),
                             "spot": np.repeat(h["spot"].to_numpy(), 4), "count": q})
    assert (q.reshape(-1, 4).sum(axis=1) == c).all()
    path = tmp_path / "counts_15min.csv"
    quarters.assign(time=quarters["time"].dt.strftime("%Y-%m-%d %H:%M")).to_csv(path, index=False)
    h15 = load_counts(path, sample_city)
    assert h15.attrs["freq"] == "15min"
    a = arrivals(sample_city, p, HolidayCalendar(), (d, h15, w))
    fc = a.fc
    assert fc.loc[fc["counted"], "time"].max() == pd.Timestamp("2026-10-03 11:00")
    assert fc.loc[~fc["counted"], "time"].min() == pd.Timestamp("2026-10-03 11:15")
    got = fc[fc["counted"]].set_index(["spot", "time"])["arrivals_persons"]
    want = h15.set_index(["spot", "time"])["arrivals_persons"].reindex(got.index)
    assert np.array_equal(got.to_numpy(), want.to_numpy())
    hist = d.set_index(["time", "spot"])["arrivals_persons"]
    for r in a.daily.itertuples():
        if r.time < pd.Timestamp("2026-10-03"):
            assert r.arrivals_persons == pytest.approx(hist[(r.time, r.spot)], rel=1e-9)
        else:
            assert r.arrivals_persons == pytest.approx(hist[(r.time, r.spot)], rel=0.05)
    with pytest.raises(InputError, match="expected an origin on a step"):
        arrivals(sample_city, p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11, 20)}),
                 HolidayCalendar(), (d, h15, w))


def test_a_day_closed_out_or_counted_before_its_profile_opens():
    """Counted past the profile's last open slot: the day is the count exactly (no Monte Carlo,
    no negative or fractional remainder).  Persons counted in slots the profile has empty (share
    0 so far): the day's total is at least the count (the prior truncated at it), every remaining
    slot >= 0; the count itself where the prior leaves next to nothing above it.  Otherwise the
    totals are whole persons."""
    m, se, df, a = np.log1p(8000.0), 0.25, 60.0, 300.0
    k = int(np.flatnonzero(P)[-1]) + 1
    u = update_day(LogMixture.student(m, se, df), P, a, k, 7321.0, 0.9)
    assert (u.total_point, u.total_lo, u.total_hi) == (7321.0, 7321.0, 7321.0)
    assert not u.rest_point.any() and not u.rest_lo.any() and not u.rest_hi.any()
    early = update_day(LogMixture.student(m, se, df), P, a, 5, 9000.0, 0.9)  # P is 0 before 08:00
    assert early.total_lo >= 9000.0 and (early.total_draws >= 9000.0).all()
    assert (early.rest_point >= 0).all() and (early.rest_lo >= 0).all()
    mid = update_day(LogMixture.student(m, se, df), P, a, 12, 3000.0, 0.9)
    assert (mid.total_draws == np.rint(mid.total_draws)).all() and mid.total_draws.min() >= 3000.0
    # far more counted before the profile opens than the prior allows (29,000 against a median of
    # 17,000 at scale 0.05: prior mass above it ~1e-26): the day is the count, not NaN
    far = update_day(LogMixture.student(np.log1p(17000.0), 0.05, 60.0), P, a, 5, 29000.0, 0.9)
    assert (far.total_point, far.total_lo, far.total_hi) == (29000.0, 29000.0, 29000.0)


def test_the_run_keeps_to_its_spots_and_its_last_day(sample_city):
    """A spot counted by the hour but missing from the daily file is not run; a spot in neither the
    scenario's list nor the hourly counts does not stop the hourly counts of the run's spots from
    extending a daily file that ends on 30 September (same run to the bit); an origin at midnight
    of the period's last day is accepted (6 days counted), the next midnight refused."""
    from sim.crowd.arrivals import arrivals, forecast_inputs
    from sim.crowd.calendar import HolidayCalendar

    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    p = p.model_copy(update={"forecast_origin": datetime(2026, 10, 3, 11), "end": p.start.replace(day=4)})
    d, h, w = forecast_inputs(sample_city, p)
    assert "Xiangnan Folk Museum" in set(d["spot"]) - set(p.spots)

    def part(f, keep):
        out = f[keep(f)].reset_index(drop=True)
        out.attrs.update(f.attrs)
        return out

    full = arrivals(sample_city, p, HolidayCalendar(), (d, h, w))
    cut = arrivals(sample_city, p, HolidayCalendar(), (part(d, lambda f: f["time"] < pd.Timestamp("2026-10-01")),
                                                        part(h, lambda f: f["spot"] != "Xiangnan Folk Museum"), w))
    pd.testing.assert_frame_equal(full.fc, cut.fc, check_exact=True)
    pd.testing.assert_frame_equal(full.daily, cut.daily, check_exact=True)
    no_beihu = arrivals(sample_city, p.model_copy(update={"spots": None}), HolidayCalendar(),
                        (part(d, lambda f: f["spot"] != "Beihu Park"), h, w))
    assert "Beihu Park" not in set(no_beihu.fc["spot"]) and no_beihu.fc["spot"].nunique() == 6
    assert (no_beihu.fc.groupby("spot").size() == 4 * 96).all()
    _, q = load_scenario(ROOT / "scenarios" / "crowd_national_day.yaml")
    last = type(q).model_validate({**q.model_dump(), "forecast_origin": "2026-10-07"})
    a = arrivals(sample_city, last, HolidayCalendar(), (d, h, w))
    assert a.daily.groupby("spot")["counted"].sum().eq(6).all()
    with pytest.raises(ValueError, match="is after the period"):
        type(q).model_validate({**q.model_dump(), "forecast_origin": "2026-10-08"})


def test_peak_slot_errors_leave_out_days_with_no_arrival():
    """A spot closed for the rest of a day under way has no peak slot there: it is left out, not
    a 0/0 that turns the mean into NaN."""
    from sim.crowd.forecast_backtest import peak_slot_errors

    t = pd.DataFrame({"time": pd.to_datetime(["2026-10-03 20:00", "2026-10-03 21:00", "2026-10-04 10:00",
                                              "2026-10-04 11:00"]),
                      "spot": "A", "arrivals_persons": [0.0, 0.0, 90.0, 120.0],
                      "actual_persons": [0.0, 0.0, 100.0, 80.0]})
    err, shift = peak_slot_errors(t)
    assert err.tolist() == [-0.1] and shift.tolist() == [1.0]
