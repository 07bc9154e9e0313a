"""Holiday calendar: official (chinesecalendar), user table, lunar derivation; scenic capacity."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.crowd import calendar as C
from sim.crowd.capacity import (SubArea, alert_levels, daily_capacity, instantaneous_capacity,
                                occupancy_from_arrivals, scenic_capacities)
from twin.errors import InputError

D = dt.date


# ------------------------------------------------------------------ derivation vs official
def test_derivation_reproduces_every_official_block_but_the_listed_one_offs():
    """Derive, then compare with chinesecalendar for every year it covers (2004-2026)."""
    df = C.compare_with_official()
    years = C.official_years()
    assert set(df["year"]) == set(years)
    mismatched = {(int(r.year), r.holiday) for r in df.itertuples() if not r.days_off_match}
    # every days-off block agrees except the documented political one-offs, and each of those
    # really differs (the list is exact both ways)
    assert mismatched == set(C.KNOWN_DEVIATIONS)
    # the rules of decree 795 (2025 on) are what future years use: all blocks agree there
    recent = df[df["year"] >= 2025]
    assert recent["days_off_match"].all()
    # Qingming, Dragon Boat and Mid-Autumn exist only from 2008 (decree 513)
    assert not ((df["year"] < 2008) & df["holiday"].isin(["qingming", "dragon_boat", "mid_autumn"])).any()


def test_2020_spring_festival_as_first_published():
    # General Office notice of 21 Nov 2019 (国办发明电〔2019〕16号): 24-30 Jan 2020, make-up days
    # 19 Jan and 1 Feb; the extension to 2 Feb came on 27 Jan 2020 (COVID-19).
    b = {x.holiday: x for x in C.derive_blocks(2020)}["spring_festival"]
    assert (b.days_off[0], b.days_off[-1], b.length_days) == (D(2020, 1, 24), D(2020, 1, 30), 7)
    assert set(b.makeup_days) == {D(2020, 1, 19), D(2020, 2, 1)}


def test_lunar_dates_match_published_calendar():
    # Purple Mountain Observatory calendar: Spring Festival 2027-02-06 and 2028-01-26,
    # Dragon Boat 2027-06-09, Mid-Autumn 2027-09-15, Qingming 2027-04-05.
    f27, f28 = C.festival_dates(2027), C.festival_dates(2028)
    assert f27 == {"spring_festival": D(2027, 2, 6), "dragon_boat": D(2027, 6, 9),
                   "mid_autumn": D(2027, 9, 15), "qingming": D(2027, 4, 5)}
    assert f28["spring_festival"] == D(2028, 1, 26)
    # Qingming: lunar_python's astronomical solar term equals chinesecalendar's term table
    import chinese_calendar as cc

    for y in C.official_years():
        terms = dict((n, d) for d, n in cc.get_solar_terms(D(y, 4, 1), D(y, 4, 10)))
        assert C.festival_dates(y)["qingming"] == terms["\u6e05\u660e"], y


def test_provisional_years_are_marked_in_every_day():
    cal = C.HolidayCalendar()
    days = cal.day_table("2026-12-28", "2027-02-20")
    assert (days.loc[:"2026-12-31", "source"] == "official").all()
    assert days.loc["2027-01-01":, "provisional"].all()
    assert all(b.provisional for b in cal.blocks(2027))
    # provisional Spring Festival 2027: from the eve (Fri 5 Feb), 8 days plus the Saturday
    sf = days[days["holiday"].eq("spring_festival") & days["status"].eq("day_off")]
    assert sf.index[0].date() == D(2027, 2, 5) and (sf["holiday_length_days"] == len(sf)).all()
    assert list(sf["day_in_holiday"]) == list(range(1, len(sf) + 1))


# ------------------------------------------------------------------ user table
def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


SF27 = "".join(f"2027-02-{d:02d},spring_festival,day_off\n" for d in range(5, 14))


def test_table_places_next_years_spring_festival(tmp_path):
    p = _write(tmp_path / "h.csv", "date,holiday,status\n" + SF27 +
               "2027-02-14,spring_festival,makeup_workday\n2027-01-31,spring_festival,makeup_workday\n")
    cal = C.HolidayCalendar(p)
    srcs = {b.holiday: b.source for b in cal.blocks(2027)}
    assert srcs["spring_festival"] == "table" and srcs["national_day"] == "provisional"
    days = cal.day_table("2027-02-04", "2027-02-14")
    assert days.loc["2027-02-05", "day_in_holiday"] == 1
    assert days.loc["2027-02-13", "holiday_length_days"] == 9
    assert days.loc["2027-02-14", "status"] == "makeup_workday" and days.loc["2027-02-14", "is_workday"]
    # YAML with the same days off: without the make-up Sunday the weekend joins the block
    rows = "".join(f"  - {{date: 2027-02-{d:02d}, holiday: spring_festival, status: day off}}\n"
                   for d in range(5, 14))
    y = _write(tmp_path / "h.yaml", "holidays:\n" + rows)
    b = {x.holiday: x for x in C.HolidayCalendar(y).blocks(2027)}["spring_festival"]
    assert b.days_off == tuple(D(2027, 2, d) for d in range(5, 15)) and b.source == "table"
    y = _write(tmp_path / "h.yaml", "holidays:\n" + rows +
               "  - {date: 2027-02-14, holiday: spring_festival, status: make-up working day}\n")
    b = {x.holiday: x for x in C.HolidayCalendar(y).blocks(2027)}["spring_festival"]
    assert b.days_off == tuple(D(2027, 2, d) for d in range(5, 14)) and b.makeup_days == (D(2027, 2, 14),)


@pytest.mark.parametrize("rows, needle", [
    ("2027-02-30,spring_festival,day_off\n", "row 2: date '2027-02-30'"),
    ("2027-02-05,spring_festivl,day_off\n", "did you mean spring_festival"),
    ("2027-02-05,spring_festival,sleep\n", "status 'sleep'"),
    ("2027-02-05,spring_festival,day_off\n2027-02-05,spring_festival,day_off\n", "already given in row 2"),
    ("2027-02-05,spring_festival,day_off\n2027-02-09,spring_festival,day_off\n", "not consecutive"),
    (SF27 + "2027-02-10,national_day,day_off\n", "already given"),
    ("2027-02-05,spring_festival,day_off\n2027-02-06,spring_festival,day_off\n"
     "2027-02-07,spring_festival,day_off\n2027-02-06,qingming,day_off\n", "already given"),
    ("2027-10-01,national_day,day_off\n2027-10-05,national_day,day_off\n2027-10-03,mid_autumn,day_off\n"
     "2027-10-02,national_day,day_off\n2027-10-04,national_day,day_off\n", "overlaps"),
    ("2027-02-05,spring_festival,day_off\n2027-02-06,spring_festival,makeup_workday\n"
     "2027-02-08,spring_festival,day_off\n", "not consecutive"),
])
def test_bad_holiday_tables_name_file_row_and_value(tmp_path, rows, needle):
    p = _write(tmp_path / "bad.csv", "date,holiday,status\n" + rows)
    with pytest.raises(InputError) as e:
        C.load_holiday_table(p)
    assert needle in str(e.value) and "bad.csv" in str(e.value)


def test_malformed_yaml_holiday_table_names_file_line_and_column(tmp_path):
    p = _write(tmp_path / "bad.yaml", "holidays:\n  - {date: 2027-02-05, holiday: spring_festival\n")
    with pytest.raises(InputError) as e:
        C.load_holiday_table(p)
    msg = str(e.value)
    assert msg.startswith("holiday table ") and "bad.yaml: malformed YAML (line 3, column 1" in msg
    assert "\n" not in msg


def test_table_must_agree_with_the_official_years(tmp_path):
    p = _write(tmp_path / "h.csv", "date,holiday,status\n2026-10-01,national_day,day_off\n"
               "2026-10-02,national_day,day_off\n2026-10-03,national_day,day_off\n")
    with pytest.raises(InputError, match="national_day 2026 .*disagree with the official"):
        C.HolidayCalendar(p)


def test_a_year_no_source_covers_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match=r"holiday new_year 2150: no source covers it .*2000-2100"):
        C.HolidayCalendar().blocks(2150)
    # a table that covers only the Spring Festival still leaves the others uncovered
    p = _write(tmp_path / "h.csv", "date,holiday,status\n2150-02-01,spring_festival,day_off\n")
    with pytest.raises(InputError, match=r"holiday new_year 2150: .*h.csv"):
        C.HolidayCalendar(p).day_table("2150-01-01", "2150-03-01")


# ------------------------------------------------------------------ capacity (LB/T 034-2014)
def test_capacity_formulas_of_lbt_034():
    # C = sum X_i / Y_i: 10000 m2 at 5 m2/person + 2000 m of path at 2 m/person = 3000 persons
    subs = [SubArea("plaza", area_m2=10_000.0, space_m2_per_person=5.0),
            SubArea("trail", path_length_m=2_000.0, space_m_per_person=2.0)]
    assert instantaneous_capacity(subs) == pytest.approx(3000.0, rel=1e-12)
    # C_daily = C * T / t: 8 h open, 2 h average stay -> turnover 4 -> 12000 persons/day
    assert daily_capacity(3000.0, 8.0, 2.0) == pytest.approx(12000.0, rel=1e-12)
    with pytest.raises(InputError, match="space_m_per_person"):
        instantaneous_capacity([SubArea("trail", path_length_m=100.0)])
    with pytest.raises(InputError, match="stay_h 12"):
        daily_capacity(100.0, 8.0, 12.0)


def test_alert_thresholds_80_and_100_percent():
    lv = alert_levels(np.array([0.0, 799.9, 800.0, 999.9, 1000.0, 1500.0]), 1000.0)
    assert list(lv) == ["green", "green", "yellow", "yellow", "red", "red"]


def test_occupancy_obeys_littles_law():
    # constant 100 arrivals per 15 min (400/h) and a 2 h stay: L = lambda W = 800 persons
    occ = occupancy_from_arrivals(np.full(40, 100.0), 15.0, 2.0)
    assert occ[7] == pytest.approx(800.0) and np.allclose(occ[8:], 800.0)
    # a 1.25 h stay (5 steps of 15 min): L = 400/h * 1.25 h = 500
    assert occupancy_from_arrivals(np.full(20, 100.0), 15.0, 1.25)[-1] == pytest.approx(500.0)
    # a 70 min stay is 4.67 steps: the partial step counts pro rata, L = 400/h * 7/6 h
    assert occupancy_from_arrivals(np.full(20, 100.0), 15.0, 70 / 60)[-1] == pytest.approx(400 * 7 / 6)


def test_sample_city_capacities_match_its_attrs(sample_city):
    cap = scenic_capacities(sample_city)
    assert len(cap) == 7
    attrs = {r.name: r.attrs for r in sample_city.places.itertuples() if r.kind == "scenic_spot"}
    for r in cap.itertuples():
        # the sample city stores round(area / space) as capacity_persons
        assert abs(r.instant_capacity_persons - attrs[r.name]["capacity_persons"]) <= 0.5 + 1e-9
        assert r.daily_capacity_persons == pytest.approx(r.instant_capacity_persons * r.opening_h / r.stay_h)
    sub = scenic_capacities(sample_city, sub_areas={"Beihu Park": [
        SubArea("lawn", area_m2=30_000.0, space_m2_per_person=20.0),
        SubArea("lakeside path", path_length_m=1_200.0, space_m_per_person=4.0)]}, opening_h=10.0)
    row = sub.set_index("name").loc["Beihu Park"]
    assert row["instant_capacity_persons"] == pytest.approx(1500.0 + 300.0)
    with pytest.raises(InputError, match="Beihu Prk.*close: Beihu Park"):
        scenic_capacities(sample_city, stay_h={"Beihu Prk": 2.0})
