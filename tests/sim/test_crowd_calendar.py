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


def test_derived_makeup_days_match_official_in_134_of_143_year_holidays():
    """Derive, then compare the make-up working days with chinesecalendar (2004-2026).

    Measured: 134 of 143 year-holidays agree (127 before the rules of MAKEUP_EPOCHS and the
    bar on other holidays' days off); the 9 misses are exactly the listed one-offs."""
    df = C.compare_with_official()
    assert len(df) == 143
    assert int(df["makeup_match"].sum()) == 134
    assert int(df["days_off_match"].sum()) == 132
    assert int((df["makeup_match"] & df["days_off_match"]).sum()) == 130
    missed = {(int(r.year), r.holiday) for r in df.itertuples() if not r.makeup_match}
    assert missed - set(C.KNOWN_DEVIATIONS) == set(C.KNOWN_MAKEUP_DEVIATIONS)
    assert set(C.KNOWN_DEVIATIONS) - missed == {(2008, "national_day"), (2012, "dragon_boat"),
                                                (2014, "spring_festival"), (2015, "mid_autumn")}

    def mk(y, h):
        return set({b.holiday: b for b in C.derive_blocks(y)}[h].makeup_days)

    # General Office notices: 2026 National Day works Sun 20 Sep (27 Sep is a Mid-Autumn day
    # off) and Sat 10 Oct; 2005 Spring Festival the whole weekend before (5-6 Feb); 2013 New
    # Year the whole weekend after (5-6 Jan); 2011 Spring Festival one day each side
    assert mk(2026, "national_day") == {D(2026, 9, 20), D(2026, 10, 10)}
    assert mk(2005, "spring_festival") == {D(2005, 2, 5), D(2005, 2, 6)}
    assert mk(2013, "new_year") == {D(2013, 1, 5), D(2013, 1, 6)}
    assert mk(2011, "spring_festival") == {D(2011, 1, 30), D(2011, 2, 12)}


def test_derived_blocks_never_collide_2000_2100():
    # a make-up day is a working day: it can be neither another holiday's day off nor the
    # make-up day of two holidays; blocks never share a day off (the old placement made 27 Sep
    # 2026 a National Day make-up Sunday inside the Mid-Autumn block, and 10 such clashes more)
    clashes = []
    for y in C.DERIVATION_YEARS:
        bl = C.derive_blocks(y)
        for i, a in enumerate(bl):
            for b in bl[i + 1:]:
                if (set(a.days_off) & set(b.days_off) or set(a.makeup_days) & set(b.days_off)
                        or set(b.makeup_days) & set(a.days_off) or set(a.makeup_days) & set(b.makeup_days)):
                    clashes.append((y, a.holiday, b.holiday))
    assert clashes == []
    # Mid-Autumn on Thursday 27 Sep 2091 with 1 Oct a Monday: its block would meet National Day's,
    # so the two merge into 8 days from the festival (as 2023 from Friday 29 Sep)
    nd = {b.holiday: b for b in C.derive_blocks(2091)}["national_day"]
    assert nd.merged == ("mid_autumn",) and nd.days_off[0] == D(2091, 9, 27) and nd.length_days == 8


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
    # Mid-Autumn 2028 is 3 Oct: days off 2-3 Oct and National Day 1 + 4 Oct interleave
    ("2028-10-01,national_day,day_off\n2028-10-04,national_day,day_off\n2028-10-02,mid_autumn,day_off\n"
     "2028-10-03,mid_autumn,day_off\n2028-10-05,qingming,day_off\n", "row 6: qingming 2028 days off "
     "2028-10-05..2028-10-05 are 184 days from its date 2028-04-04"),
    ("2028-09-30,mid_autumn,day_off\n2028-10-01,national_day,day_off\n2028-10-02,mid_autumn,day_off\n"
     "2028-10-03,national_day,day_off\n", "row 3: national_day 2028 (2028-10-01..2028-10-03) overlaps mid_autumn"),
    # a make-up day of a holiday without days off in the table would be silently unused
    ("2027-10-16,national_day,makeup_workday\n2027-02-06,spring_festival,day_off\n",
     "row 2: make-up working day 2027-10-16 for national_day 2027, which has no day_off rows"),
    # a Spring Festival in July (lunar New Year 2027 is 6 Feb)
    ("2027-07-01,spring_festival,day_off\n2027-07-02,spring_festival,day_off\n",
     "row 2: spring_festival 2027 days off 2027-07-01..2027-07-02 are 145 days from its date 2027-02-06"),
    ("2027-02-06,spring_festival,day_off\n2027-02-10,spring_festival,makeup_workday\n",
     "row 3: make-up working day 2027-02-10 is a Wednesday; expected a Saturday or Sunday"),
    ("2027-02-05,spring_festival,day_off\n2027-02-06,spring_festival,makeup_workday\n"
     "2027-02-08,spring_festival,day_off\n", "not consecutive"),
])
def test_bad_holiday_tables_name_file_row_and_value(tmp_path, rows, needle):
    p = _write(tmp_path / "bad.csv", "date,holiday,status\n" + rows)
    with pytest.raises(InputError) as e:
        C.load_holiday_table(p)
    assert needle in str(e.value) and "bad.csv" in str(e.value)


def test_excel_csv_with_byte_order_mark_loads(tmp_path):
    # Excel's "CSV UTF-8" writes EF BB BF first; the header must still read "date"
    p = tmp_path / "excel.csv"
    p.write_text("date,holiday,status\r\n" + SF27.replace("\n", "\r\n"), encoding="utf-8-sig")
    assert p.read_bytes()[:3] == b"\xef\xbb\xbf"
    t = C.load_holiday_table(p)
    assert list(t["date"]) == [D(2027, 2, d) for d in range(5, 14)] and set(t["holiday"]) == {"spring_festival"}


def test_the_official_schedules_as_a_table_pass_every_check(tmp_path):
    """Every State Council schedule 2004-2026 (chinesecalendar's days, one-off days left out),
    written as a user table, passes the checks: each block contains its festival's date, every
    make-up day is a weekend day of a holiday with days off, merged Mid-Autumn days lie inside
    National Day (2017: 4 Oct in 1-8 Oct), and the calendar accepts it as agreeing."""
    import chinese_calendar as cc

    from sim.crowd.calendar_days import _OFFICIAL_NAMES as names
    rows = [f"{d},{names[n]},{st}" for src, st in ((cc.holidays, "day_off"), (cc.workdays, "makeup_workday"))
            for d, n in sorted(src.items()) if n in names and 2004 <= C._table_year(d, names[n]) <= 2026]
    p = _write(tmp_path / "official.csv", "date,holiday,status\n" + "\n".join(rows) + "\n")
    t = C.load_holiday_table(p)
    assert len(t) == len(rows) == 768
    assert t.attrs["path"] == str(p)
    cal = C.HolidayCalendar(t)  # a loaded table is accepted as well as its path
    b = cal._table_blocks[(2017, "national_day")]
    assert b.days_off == tuple(D(2017, 10, d) for d in range(1, 9)) and b.merged == ("mid_autumn",)
    assert set(b.makeup_days) == {D(2017, 9, 30)}


def test_calendar_takes_a_path_or_the_loaded_table(tmp_path):
    p = _write(tmp_path / "h.csv", "date,holiday,status\n" + SF27 + "2027-01-31,spring_festival,makeup_workday\n")
    by_path, by_frame = C.HolidayCalendar(p), C.HolidayCalendar(C.load_holiday_table(p))
    assert by_path.blocks(2027) == by_frame.blocks(2027)
    sf = {b.holiday: b for b in by_frame.blocks(2027)}["spring_festival"]
    # 5-13 Feb off and Sunday 14 Feb not made up: the weekend joins, 10 days
    assert sf.source == "table" and sf.makeup_days == (D(2027, 1, 31),) and sf.length_days == 10
    assert by_frame.table_path == p  # errors name the file the frame came from
    with pytest.raises(InputError, match=r"holiday table columns \['date'\]: expected"):
        import pandas as pd

        C.HolidayCalendar(pd.DataFrame({"date": [D(2027, 2, 6)]}))
    # a frame gets the same checks as a file: Spring Festival days off in July are refused
    july = pd.DataFrame({"date": [D(2027, 7, 1), D(2027, 7, 2)], "holiday": ["spring_festival"] * 2,
                         "status": ["day_off"] * 2, "row": [2, 3]})
    with pytest.raises(InputError, match=r"row 2: spring_festival 2027 days off 2027-07-01..2027-07-02 are 145 days"):
        C.HolidayCalendar(july)
    with pytest.raises(InputError, match=r"row 2: .*'sping_festival'.*expected a date, one of"):
        C.HolidayCalendar(july.assign(holiday="sping_festival"))


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
