"""Holiday days and blocks shared by the calendar's sources (:mod:`sim.crowd.calendar`): the seven
public holidays, their statutory days per rule epoch, the days-off block, and the official schedules
of the ``chinesecalendar`` package."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from twin.errors import InputError

HOLIDAYS: tuple[str, ...] = ("new_year", "spring_festival", "qingming", "may_day", "dragon_boat",
                             "mid_autumn", "national_day")
"""The seven public holidays; ``special`` additionally marks official one-off days off."""
STATUSES: tuple[str, ...] = ("day_off", "makeup_workday", "normal")
SOURCES: tuple[str, ...] = ("official", "table", "provisional")
DERIVATION_YEARS: range = range(2000, 2101)
"""Years the lunar derivation serves: the rule epochs start with the 1999 golden weeks."""

_OFFICIAL_NAMES = {"New Year's Day": "new_year", "Spring Festival": "spring_festival",
                   "Tomb-sweeping Day": "qingming", "Labour Day": "may_day",
                   "Dragon Boat Festival": "dragon_boat", "Mid-autumn Festival": "mid_autumn",
                   "National Day": "national_day"}
_STATUS_ALIASES = {"day_off": "day_off", "off": "day_off", "holiday": "day_off", "rest": "day_off",
                   "makeup_workday": "makeup_workday", "make_up_working_day": "makeup_workday",
                   "makeup_working_day": "makeup_workday", "makeup": "makeup_workday",
                   "workday": "makeup_workday", "working_day": "makeup_workday"}

# Statutory paid days per holiday and rule epoch: (first year, days); decree 270 (1999),
# 513 (2007, from 2008), 644 (2013, from 2014), 795 (2024, from 2025).
_STATUTORY_DAYS: dict[str, tuple[tuple[int, int], ...]] = {
    "new_year": ((2000, 1),),
    "spring_festival": ((2000, 3), (2025, 4)),
    "qingming": ((2008, 1),),
    "may_day": ((2000, 3), (2008, 1), (2025, 2)),
    "dragon_boat": ((2008, 1),),
    "mid_autumn": ((2008, 1),),
    "national_day": ((2000, 3),),
}


@dataclass(frozen=True)
class HolidayBlock:
    """One holiday's consecutive days off (weekends inside included) and its make-up working days."""

    holiday: str
    year: int
    days_off: tuple[dt.date, ...]
    makeup_days: tuple[dt.date, ...]
    source: str
    merged: tuple[str, ...] = field(default=())

    @property
    def length_days(self) -> int:
        return len(self.days_off)

    @property
    def provisional(self) -> bool:
        return self.source == "provisional"

    def names(self) -> tuple[str, ...]:
        return (self.holiday, *self.merged)


def _weekend(d: dt.date) -> bool:
    return d.weekday() >= 5


def _day(d: dt.date, k: int) -> dt.date:
    return d + dt.timedelta(days=k)


def _epoch_value(table: tuple[tuple[int, object], ...], year: int):
    val = None
    for first, v in table:
        if year >= first:
            val = v
    return val


def statutory_days(holiday: str, year: int) -> int:
    """Paid statutory days of ``holiday`` in ``year`` (decrees 270/513/644/795); 0 if not a holiday."""
    return int(_epoch_value(_STATUTORY_DAYS[holiday], year) or 0)


def _blocks_from_days(named_off: dict[dt.date, str], named_makeup: dict[dt.date, str],
                      source: str) -> list[HolidayBlock]:
    """Group named days off (plus weekends not made up) into maximal runs, one block per run."""
    makeup = set(named_makeup)

    def off(d: dt.date) -> bool:
        return d in named_off or (_weekend(d) and d not in makeup)

    seen: set[dt.date] = set()
    blocks: list[HolidayBlock] = []
    for seed in sorted(named_off):
        if seed in seen:
            continue
        a = b = seed
        while off(_day(a, -1)):
            a = _day(a, -1)
        while off(_day(b, 1)):
            b = _day(b, 1)
        run = tuple(_day(a, k) for k in range((b - a).days + 1))
        seen.update(run)
        order: list[str] = []
        for d in run:
            n = named_off.get(d)
            if n is not None and n not in order:
                order.append(n)
        if "national_day" in order:
            principal = "national_day"
        elif "new_year" in order:
            principal = "new_year"
        else:
            principal = order[0]
        merged = tuple(n for n in order if n != principal)
        year = run[-1].year if principal == "new_year" else run[0].year
        if principal == "new_year" and run[0].month == 12 and run[-1].month == 12:
            year += 1
        blocks.append(HolidayBlock(principal, year, run, (), source, merged))
    # make-up days go to the nearest block carrying their holiday name
    out = []
    for blk in blocks:
        mk = []
        for d, n in named_makeup.items():
            cands = [bb for bb in blocks if n in bb.names()]
            if not cands:
                continue
            best = min(cands, key=lambda bb: min(abs((d - x).days) for x in bb.days_off))
            if best is blk:
                mk.append(d)
        out.append(HolidayBlock(blk.holiday, blk.year, blk.days_off, tuple(sorted(mk)), source, blk.merged))
    return out


# ------------------------------------------------------------------ official (chinesecalendar)
def official_years() -> range:
    """Years the installed ``chinesecalendar`` covers (2004-2026 for version 1.11)."""
    import chinese_calendar as cc

    return range(min(cc.holidays).year, max(cc.holidays).year + 1)


def official_blocks(year: int) -> list[HolidayBlock]:
    """The State Council's blocks of ``year`` from ``chinesecalendar``; one-off days are ``special``."""
    import chinese_calendar as cc

    if year not in official_years():
        yrs = official_years()
        raise InputError(f"year {year}: expected one of the chinesecalendar years {yrs[0]}-{yrs[-1]}")
    lo, hi = dt.date(year - 1, 11, 1), dt.date(year + 1, 2, 28)
    off = {d: _OFFICIAL_NAMES.get(n, "special") for d, n in cc.holidays.items() if lo <= d <= hi}
    mk = {d: _OFFICIAL_NAMES.get(n, "special") for d, n in cc.workdays.items() if lo <= d <= hi}
    return [b for b in _blocks_from_days(off, mk, "official") if b.year == year]
