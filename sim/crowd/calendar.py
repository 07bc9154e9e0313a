"""Chinese public-holiday calendar for crowd forecasting: official, user table, or lunar derivation.

Every day gets a holiday name, a status (``day_off`` inside a holiday block, ``makeup_workday``,
or ``normal``), its position in the block (day k of n) and the source that placed it:

* ``official`` — the State Council schedules as shipped by the ``chinesecalendar`` package
  (2004 up to the last year it knows; today 2026);
* ``table`` — a user holiday table (CSV/YAML: date, holiday, status) for the years the package
  does not cover yet (the bureau plans the next Spring Festival before the schedule is published);
* ``provisional`` — derived here from the lunar calendar and the solar terms (``lunar_python``,
  which computes the calendar astronomically as GB/T 33661-2017 prescribes) with the usual
  length of each holiday under the rules in force that year (see :data:`RULE_EPOCHS`).

A *days-off block* is the maximal run of consecutive days off containing the festival, weekends
included (what a visitor sees).  The derivation reproduces the official days off of every year the
package covers except the political one-offs listed in :data:`KNOWN_DEVIATIONS` (132 of the 143
year-holidays of 2004-2026), and the make-up working days of 134 of them (placement rules:
:func:`sim.crowd.calendar_derive._place_makeups`, :data:`MAKEUP_EPOCHS`; misses: those one-offs and
:data:`KNOWN_MAKEUP_DEVIATIONS`); ``tests/sim/test_crowd_calendar.py`` derives then compares.

Rule sources: 《全国年节及纪念日放假办法》 (State Council decree 270, 1999; amended 2007 by
decree 513, 2013 by decree 644, 2024 by decree 795) and the yearly General Office notices.

Modules: :mod:`sim.crowd.calendar_days` (holidays, blocks, the official schedules),
:mod:`sim.crowd.calendar_derive` (the lunar derivation and its comparison with the official
schedules), :mod:`sim.crowd.calendar_table` (user tables) and this one (:class:`HolidayCalendar`,
which combines them by precedence; the names of the others are importable from here too).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from sim.crowd.calendar_days import (DERIVATION_YEARS, HOLIDAYS, SOURCES, STATUSES, HolidayBlock, _blocks_from_days,
                                     _day, official_blocks, official_years, statutory_days)
from sim.crowd.calendar_derive import (KNOWN_DEVIATIONS, KNOWN_MAKEUP_DEVIATIONS, MAKEUP_EPOCHS, RULE_EPOCHS,
                                       compare_with_official, derive_blocks, festival_dates)
from sim.crowd.calendar_table import (FESTIVAL_TOLERANCE_DAYS, _check_table_blocks, _table_year, festival_reference,
                                      load_holiday_table)
from twin.errors import InputError


def is_workday(status, weekday) -> np.ndarray:
    """Whether each day is worked: a make-up working day, or a normal Monday-Friday
    (``status`` as in :meth:`HolidayCalendar.day_table`, ``weekday`` 0 = Monday)."""
    status, weekday = np.asarray(status), np.asarray(weekday)
    return (status == "makeup_workday") | ((status == "normal") & (weekday < 5))


def day_type(status, weekday) -> np.ndarray:
    """The forecast's day type of each day: ``holiday`` (a day off in a holiday block),
    ``workday`` (:func:`is_workday`) or ``weekend``."""
    return np.where(np.asarray(status) == "day_off", "holiday",
                    np.where(is_workday(status, weekday), "workday", "weekend"))


class HolidayCalendar:
    """Day-by-day holiday status from the official schedule, a user table, or the derivation.

    Precedence per (year, holiday): official (years ``chinesecalendar`` covers) > table >
    provisional derivation.  A table row for an officially covered year must agree with the
    official schedule (else :class:`InputError`), so nothing is silently ignored.
    """

    def __init__(self, table: str | Path | pd.DataFrame | None = None, *, use_official: bool = True):
        """``table``: a holiday table file (read by :func:`load_holiday_table`), or the frame that
        function returned (its ``attrs["path"]`` names the file in errors)."""
        if isinstance(table, pd.DataFrame):
            need = {"date", "holiday", "status", "row"}
            if not need <= set(table.columns):
                raise InputError(f"holiday table columns {sorted(map(str, table.columns))}: expected "
                                 f"{sorted(need)} (the frame load_holiday_table returns)")
            self.table_path = Path(table.attrs.get("path", "<table>"))
            bad = [i for i, (d, h, st) in enumerate(zip(table["date"], table["holiday"], table["status"]))
                   if not isinstance(d, dt.date) or h not in HOLIDAYS or st not in ("day_off", "makeup_workday")]
            if bad:
                r = table.iloc[bad[0]]
                raise InputError(f"holiday table {self.table_path} row {r['row']}: {r['date']!r}, {r['holiday']!r}, "
                                 f"{r['status']!r}; expected a date, one of {', '.join(HOLIDAYS)} and day_off or "
                                 "makeup_workday (the frame load_holiday_table returns)")
            _check_table_blocks(table, self.table_path)  # the same checks as a file gets
            self.table = table
        else:
            self.table_path = None if table is None else Path(table)
            self.table = load_holiday_table(self.table_path) if self.table_path is not None else None
        self.use_official = use_official
        self._years = official_years() if use_official else range(0)
        self._cache: dict[int, list[HolidayBlock]] = {}
        self._table_blocks: dict[tuple[int, str], HolidayBlock] = {}
        if self.table is not None:
            off = {r.date: r.holiday for r in self.table.itertuples() if r.status == "day_off"}
            mk = {r.date: r.holiday for r in self.table.itertuples() if r.status == "makeup_workday"}
            for b in _blocks_from_days(off, mk, "table"):
                for n in b.names():
                    self._table_blocks[(b.year, n)] = b
            self._check_table_against_official()

    def _check_table_against_official(self) -> None:
        by_year: dict[int, dict[str, HolidayBlock]] = {}
        for (y, h), b in self._table_blocks.items():
            if y not in self._years:
                continue
            if y not in by_year:
                by_year[y] = {n: o for o in official_blocks(y) for n in o.names()}
            ob = by_year[y].get(h)
            if ob is None or set(ob.days_off) != set(b.days_off):
                t = self.table
                mine = [_table_year(d, hh) == y and hh in b.names() for d, hh in zip(t["date"], t["holiday"])]
                row = int(t.loc[mine, "row"].iloc[0])
                raise InputError(
                    f"holiday table {self.table_path} row {row}: {h} {y} days off "
                    f"{b.days_off[0]}..{b.days_off[-1]} disagree with the official chinesecalendar "
                    f"schedule ({(ob.days_off[0], ob.days_off[-1]) if ob else 'no such holiday'}); "
                    f"expected table rows only for years after {self._years[-1]} or matching ones")

    def source_of(self, year: int) -> str:
        """Where the blocks of ``year`` come from (``official``, ``table``, ``provisional`` or mixed)."""
        srcs = sorted({b.source for b in self.blocks(year)})
        return "+".join(srcs) if srcs else "official" if year in self._years else "provisional"

    def blocks(self, year: int) -> list[HolidayBlock]:
        """All holiday blocks of ``year`` (festival year), each with its source."""
        if year in self._cache:
            return self._cache[year]
        if year in self._years:
            out = official_blocks(year)
        else:
            out = []
            covered: set[str] = set()
            for h in HOLIDAYS:
                b = self._table_blocks.get((year, h))
                if b is not None and h not in covered:
                    out.append(b)
                    covered.update(b.names())
            missing = [h for h in HOLIDAYS if h not in covered]
            if missing:
                if year not in DERIVATION_YEARS:
                    yrs = self._years
                    off = f"{yrs[0]}-{yrs[-1]}" if len(yrs) else "not used"
                    tab = str(self.table_path) if self.table_path else (
                        "a table without it" if self.table is not None else "none given")
                    raise InputError(
                        f"holiday {missing[0]} {year}: no source covers it (chinesecalendar: {off}; "
                        f"holiday table: {tab}; lunar derivation: {DERIVATION_YEARS[0]}-"
                        f"{DERIVATION_YEARS[-1]}); expected a holiday table row for it")
                for d in derive_blocks(year):
                    if d.holiday not in missing:
                        continue
                    for t in out:
                        lo, hi = _day(t.days_off[0], -1), _day(t.days_off[-1], 1)
                        if any(lo <= x <= hi for x in d.days_off):
                            raise InputError(
                                f"holiday table {self.table_path}: {t.holiday} {year} gives "
                                f"{t.days_off[0]}..{t.days_off[-1]} but no rows for {d.holiday} {year}, "
                                f"whose derived days {d.days_off[0]}..{d.days_off[-1]} touch it; "
                                f"expected rows for {d.holiday} {year} too")
                    out.append(d)
        out.sort(key=lambda b: b.days_off[0])
        self._cache[year] = out
        return out

    def day_table(self, start: str | dt.date, end: str | dt.date) -> pd.DataFrame:
        """One row per date in [start, end]: holiday, status, day_in_holiday, holiday_length_days,
        is_workday, source and provisional (True wherever the derivation placed the day's year)."""
        s, e = pd.Timestamp(start).date(), pd.Timestamp(end).date()
        if e < s:
            raise InputError(f"date range {s}..{e}: expected start <= end")
        dates = pd.date_range(s, e, freq="D")
        n = len(dates)
        hol = [""] * n
        status = ["normal"] * n
        pos = [0] * n
        length = [0] * n
        src = [""] * n
        idx = {d.date(): i for i, d in enumerate(dates)}
        year_src: dict[int, str] = {}
        for y in range(s.year - 1, e.year + 2):
            try:
                bl = self.blocks(y)
            except InputError:
                if s.year <= y <= e.year:
                    raise
                continue
            year_src[y] = ("provisional" if any(b.provisional for b in bl) else
                           "table" if any(b.source == "table" for b in bl) else "official")
            for b in bl:
                for k, d in enumerate(b.days_off):
                    i = idx.get(d)
                    if i is not None:
                        hol[i], status[i], pos[i], length[i], src[i] = (
                            b.holiday, "day_off", k + 1, b.length_days, b.source)
                for d in b.makeup_days:
                    i = idx.get(d)
                    if i is not None:
                        hol[i], status[i], src[i] = b.holiday, "makeup_workday", b.source
        for i, d in enumerate(dates):
            if not src[i]:
                src[i] = year_src.get(d.year, "provisional")
        df = pd.DataFrame({"holiday": hol, "status": status, "day_in_holiday": pos,
                           "holiday_length_days": length, "source": src},
                          index=pd.DatetimeIndex(dates, name="date"))
        df["is_workday"] = is_workday(df["status"], df.index.day_of_week)
        df["provisional"] = df["source"] == "provisional"
        return df


__all__ = ["HolidayCalendar", "is_workday", "day_type", "HolidayBlock", "HOLIDAYS", "STATUSES", "SOURCES",
           "DERIVATION_YEARS", "RULE_EPOCHS", "MAKEUP_EPOCHS", "KNOWN_DEVIATIONS", "KNOWN_MAKEUP_DEVIATIONS",
           "FESTIVAL_TOLERANCE_DAYS", "statutory_days",
           "official_years", "official_blocks", "festival_dates", "festival_reference", "derive_blocks",
           "compare_with_official", "load_holiday_table"]
