"""Lunar derivation of the holiday schedule (the ``provisional`` source of :mod:`sim.crowd.calendar`):
festival dates from the lunar calendar and solar terms (``lunar_python``), each holiday's days off
under the rules in force that year, and the make-up working days; with the comparison against the
official schedules that tests the rules."""
from __future__ import annotations

import datetime as dt
import functools

import pandas as pd

from sim.crowd.calendar_days import (DERIVATION_YEARS, HOLIDAYS, HolidayBlock, _day, _epoch_value, _weekend,
                                     official_blocks, official_years, statutory_days)
from twin.errors import InputError

RULE_EPOCHS: dict[str, tuple[tuple[int, str], ...]] = {
    "new_year": ((2000, "jan1_to_jan3"), (2014, "one_day")),
    "spring_festival": ((2000, "first_day_plus_7"), (2008, "eve_plus_7"), (2025, "eve_plus_8")),
    "qingming": ((2008, "one_day"),),
    "may_day": ((2000, "may1_to_may7"), (2008, "one_day"), (2020, "five_days")),
    "dragon_boat": ((2008, "one_day"),),
    "mid_autumn": ((2008, "one_day"),),
    "national_day": ((2000, "oct1_to_oct7"),),
}
"""Block rule per holiday from its first year (derived from the package's 2004-2026 schedules).

one_day: festival on Mon/Sat/Sun -> Sat-Mon; Fri -> Fri-Sun; Tue -> Sun-Tue and Thu -> Thu-Sat
(bridged by a make-up day); Wed -> the day alone (2008-2013: Mon-Wed, the 3-day rule of decree 513).
Mid-Autumn on 28 Sep - 8 Oct merges with National Day into 8 days (2009, 2012, 2017, 2020, 2023,
2025), and so does an earlier one whose block would touch National Day's (Thursday 27 Sep with
1 Oct a Monday: no year 2004-2026; first in 2091).  eve_plus_8 (decree 795): 8 days from New
Year's Eve, make-up days placed so that no stretch of work exceeds 6 days and none touches the
8 days (2024 General Office principles); a weekend day left next to the block joins it (2026:
9 days).
"""

MAKEUP_EPOCHS: dict[str, tuple[tuple[int, str], ...]] = {
    **{h: ((2000, "whole_weekend"), (2009, "split")) for h in HOLIDAYS},
    "new_year": ((2000, "whole_weekend"), (2014, "split")),
}
"""How two make-up days that cannot touch the block are placed, per holiday from its first year.

whole_weekend: one whole Saturday + Sunday, the nearest to the block, ties going after it (the
2004-2008 golden weeks starting Wed/Thu/Fri/Tue: SF 2005 and 2008, May Day 2007, National Day
2004; the 3-day New Year of 2013). split: the nearest weekend day on each side (every 7/8-day
block from 2009, e.g. SF 2011 and National Day 2014: the Sunday before and the Saturday after).
The only miss of this rule in 2004-2026 with days off that match is SF 2004 (the weekend before
was taken although the one after is nearer).  In every epoch a make-up day never falls on
another holiday's days off.
"""

KNOWN_DEVIATIONS: dict[tuple[int, str], str] = {
    (2004, "new_year"): "only the statutory Thursday off, no bridge to the weekend",
    (2006, "new_year"): "Saturday 31 Dec 2005 also off with no make-up day (4 days, 31 Dec - 3 Jan)",
    (2008, "new_year"): "first schedule under decree 513: 30 Dec 2007 - 1 Jan joined to the weekend",
    (2008, "national_day"): "golden week moved two days earlier (29 Sep - 5 Oct, Mon-Sun)",
    (2010, "mid_autumn"): "Wednesday festival bridged forward (22-24 Sep) instead of back to Monday",
    (2012, "dragon_boat"): "Saturday festival taken Fri-Sun (22-24 Jun) instead of Sat-Mon",
    (2014, "spring_festival"): "decree 644 dropped the eve; the block began on the first day (31 Jan)",
    (2015, "mid_autumn"): "Sunday festival not compensated on Monday (folded into National Day)",
    (2019, "may_day"): "one-off 4 days (1-4 May) announced in March 2019 before the 5-day practice",
    (2020, "spring_festival"): "extended to 2 Feb for COVID-19 (the planned 24-30 Jan matches)",
    (2024, "spring_festival"): "block began on the first day (10-17 Feb); the eve was a working day",
}
"""Official days-off blocks the derivation cannot reproduce, with the political reason."""

KNOWN_MAKEUP_DEVIATIONS: dict[tuple[int, str], str] = {
    (2004, "spring_festival"): "make-up weekend 17-18 Jan before the block, although 31 Jan - 1 Feb "
                               "after it is nearer (every other pre-2009 schedule takes the nearer one)",
    (2015, "national_day"): "one make-up day only (10 Oct): Mid-Autumn's Sunday (27 Sep) was compensated "
                            "inside the golden week instead of on Monday 28 Sep",
}
"""Official make-up days the derivation misses although its days off match.  Besides these, the
make-up days differ in the blocks of :data:`KNOWN_DEVIATIONS` except four whose make-up days
agree anyway (2008 National Day, 2012 Dragon Boat, 2014 Spring Festival, 2015 Mid-Autumn)."""


@functools.lru_cache(maxsize=None)
def _festival_dates(year: int) -> tuple[tuple[str, dt.date], ...]:
    from lunar_python import Lunar, Solar

    def solar(m: int, d: int) -> dt.date:
        s = Lunar.fromYmd(year, m, d).getSolar()
        return dt.date(s.getYear(), s.getMonth(), s.getDay())

    qm = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["\u6e05\u660e"]  # 清明
    return (("spring_festival", solar(1, 1)), ("dragon_boat", solar(5, 5)), ("mid_autumn", solar(8, 15)),
            ("qingming", dt.date(qm.getYear(), qm.getMonth(), qm.getDay())))


def festival_dates(year: int) -> dict[str, dt.date]:
    """Solar dates of the traditional festivals in ``year`` from the lunar calendar.

    Spring Festival = lunar 1/1, Dragon Boat = lunar 5/5, Mid-Autumn = lunar 8/15 and Qingming =
    the day of the solar term at solar longitude 15 deg (GB/T 33661-2017, via ``lunar_python``).
    """
    return dict(_festival_dates(int(year)))


def _one_day_block(day: dt.date, year: int) -> list[dt.date]:
    w = day.weekday()
    if w in (0, 1):  # Mon: Sat-Mon; Tue: Sun-Tue (Mon bridged)
        return [_day(day, k) for k in (-2, -1, 0)]
    if w == 2:  # Wed: alone; 2008-2013 three days Mon-Wed
        return [_day(day, k) for k in (-2, -1, 0)] if year <= 2013 else [day]
    if w in (3, 4, 5):  # Thu: Thu-Sat (Fri bridged); Fri: Fri-Sun; Sat: Sat-Mon
        return [_day(day, k) for k in (0, 1, 2)]
    return [_day(day, k) for k in (-1, 0, 1)]  # Sun: Sat-Mon


def _core_days(holiday: str, year: int, fest: dict[str, dt.date]) -> list[dt.date]:
    rule = _epoch_value(RULE_EPOCHS[holiday], year)
    if rule is None:
        return []
    if rule == "jan1_to_jan3":
        return [dt.date(year, 1, d) for d in (1, 2, 3)]
    if rule == "one_day":
        anchor = dt.date(year, 1, 1) if holiday == "new_year" else (
            dt.date(year, 5, 1) if holiday == "may_day" else fest[holiday])
        return _one_day_block(anchor, year)
    if rule == "first_day_plus_7":
        return [_day(fest["spring_festival"], k) for k in range(7)]
    if rule == "eve_plus_7":
        return [_day(fest["spring_festival"], k) for k in range(-1, 6)]
    if rule == "eve_plus_8":
        return [_day(fest["spring_festival"], k) for k in range(-1, 7)]
    if rule == "may1_to_may7":
        return [dt.date(year, 5, d) for d in range(1, 8)]
    if rule == "five_days":  # 5 days holding a full weekend: from 1 May, or the Saturday before
        may1 = dt.date(year, 5, 1)
        start = may1 if may1.weekday() in (2, 3, 4, 5) else _day(may1, -((may1.weekday() + 2) % 7))
        return [_day(start, k) for k in range(5)]
    if rule == "oct1_to_oct7":
        return [dt.date(year, 10, d) for d in range(1, 8)]
    raise AssertionError(rule)


def _place_makeups(core: list[dt.date], n: int, six_day_rule: bool, detached: bool,
                   whole_weekends: bool = False, blocked: frozenset[dt.date] = frozenset(),
                   taken: frozenset[dt.date] = frozenset()) -> list[dt.date]:
    """Choose ``n`` weekend days to work: first the weekend touching the block (else it would grow),
    then alternately the nearest on either side.  With ``six_day_rule`` no stretch of work may
    exceed 6 days, and with ``detached`` no make-up day touches the block (the 2025-2026 practice
    for the long holidays; 2024 General Office principles).  With ``whole_weekends`` two make-up
    days not touching the block are one whole Saturday + Sunday, the nearest (ties: the one after;
    the schedules up to 2008 and the 3-day New Year to 2013, see :data:`MAKEUP_EPOCHS`).  Days in
    ``blocked`` (other holidays' days off) are never made up and count as rest (2026: National
    Day's make-up Sunday is 20 Sep because 27 Sep is a Mid-Autumn day off); days in ``taken``
    (other holidays' make-up days) are not chosen again and count as work."""
    first, last = core[0], core[-1]
    chosen: list[dt.date] = []
    cset = set(core)

    def working(d: dt.date) -> bool:
        return d not in cset and d not in blocked and (not _weekend(d) or d in chosen or d in taken)

    def ok(d: dt.date) -> bool:
        if d in blocked or d in taken:
            return False
        if not six_day_rule:
            return True
        chosen.append(d)
        a = b = d
        while working(_day(a, -1)):
            a = _day(a, -1)
        while working(_day(b, 1)):
            b = _day(b, 1)
        chosen.pop()
        return (b - a).days + 1 <= 6

    before = [_day(first, -k) for k in range(1, 15) if _weekend(_day(first, -k))]
    after = [_day(last, k) for k in range(1, 15) if _weekend(_day(last, k))]
    if detached:
        before, after = before[1:] if before[:1] == [_day(first, -1)] else before, \
            after[1:] if after[:1] == [_day(last, 1)] else after
    # the weekend days adjacent to the block
    for step, edge in (() if detached else ((-1, first), (1, last))):
        d = _day(edge, step)
        while len(chosen) < n and _weekend(d):
            if ok(d):
                chosen.append(d)
                d = _day(d, step)
            else:
                break
    if whole_weekends and n - len(chosen) >= 2:
        sats = [d for d in before + after if d.weekday() == 5 and d not in chosen]
        pairs = [(s, _day(s, 1)) for s in sats if _day(s, 1) not in chosen and _day(s, 1) not in cset
                 and ok(s) and ok(_day(s, 1))]
        if pairs:
            def dist(pr: tuple[dt.date, dt.date]) -> tuple[int, bool]:
                s0, s1 = pr
                return ((first - s1).days if s1 < first else (s0 - last).days, s1 < first)
            chosen.extend(min(pairs, key=dist))
    while len(chosen) < n:
        cand = [d for d in before + after if d not in chosen and ok(d)]
        if not cand:
            break
        nb = [d for d in cand if d < first]
        na = [d for d in cand if d > last]
        n_before = sum(d < first for d in chosen)
        n_after = len(chosen) - n_before
        pool = nb if (n_before < n_after and nb) else na if (n_after < n_before and na) else cand
        chosen.append(min(pool, key=lambda d: (min(abs((d - first).days), abs((d - last).days)), d > last)))
    return sorted(chosen)


def _finish_block(holiday: str, year: int, core: list[dt.date], statutory: int,
                  merged: tuple[str, ...] = (), blocked: frozenset[dt.date] = frozenset(),
                  taken: frozenset[dt.date] = frozenset()) -> HolidayBlock:
    n = sum(not _weekend(d) for d in core) - statutory
    mk = _place_makeups(core, max(n, 0), six_day_rule=year >= 2025,
                        detached=year >= 2025 and len(core) >= 5,
                        whole_weekends=_epoch_value(MAKEUP_EPOCHS[holiday], year) == "whole_weekend",
                        blocked=blocked, taken=taken)
    days = list(core)
    while _weekend(_day(days[0], -1)) and _day(days[0], -1) not in mk:
        days.insert(0, _day(days[0], -1))
    while _weekend(_day(days[-1], 1)) and _day(days[-1], 1) not in mk:
        days.append(_day(days[-1], 1))
    return HolidayBlock(holiday, year, tuple(days), tuple(mk), "provisional", merged)


def _touch(a: list[dt.date], b: list[dt.date]) -> bool:
    """Whether two runs of days off, each grown by the weekend days next to it, overlap or meet."""
    def grown(run: list[dt.date]) -> tuple[dt.date, dt.date]:
        lo, hi = min(run), max(run)
        while _weekend(_day(lo, -1)):
            lo = _day(lo, -1)
        while _weekend(_day(hi, 1)):
            hi = _day(hi, 1)
        return lo, hi
    (a0, a1), (b0, b1) = grown(a), grown(b)
    return a0 <= _day(b1, 1) and b0 <= _day(a1, 1)


def derive_blocks(year: int) -> list[HolidayBlock]:
    """Provisional blocks of ``year`` from the lunar calendar and the rule epochs (no official data)."""
    if year not in DERIVATION_YEARS:
        raise InputError(f"year {year}: the lunar derivation covers {DERIVATION_YEARS[0]}-"
                         f"{DERIVATION_YEARS[-1]} (the 1999 golden-week rules onwards)")
    fest = festival_dates(year)
    cores: list[tuple[str, list[dt.date], int, tuple[str, ...]]] = []
    ma = fest["mid_autumn"]
    merge = (statutory_days("mid_autumn", year) > 0
             and (dt.date(year, 9, 28) <= ma <= dt.date(year, 10, 8)
                  or _touch(_one_day_block(ma, year), _core_days("national_day", year, fest))))
    for h in HOLIDAYS:
        if h == "mid_autumn" and merge:
            continue
        core = _core_days(h, year, fest)
        if not core:
            continue
        stat = statutory_days(h, year)
        merged: tuple[str, ...] = ()
        if h == "national_day" and merge:
            start = ma if ma < dt.date(year, 10, 1) else dt.date(year, 10, 1)
            core = [_day(start, k) for k in range(8)]
            stat += statutory_days("mid_autumn", year)
            merged = ("mid_autumn",)
        cores.append((h, core, stat, merged))
    # pass 1 places each block alone; pass 2 again, in calendar order, with the other blocks'
    # days off barred and the make-up days already given to earlier blocks taken
    first = [_finish_block(h, year, c, st, m) for h, c, st, m in cores]
    blocks: list[HolidayBlock] = []
    taken: set[dt.date] = set()
    for k, (h, c, st, m) in enumerate(cores):
        others = frozenset(d for j, b in enumerate(first) if j != k for d in b.days_off)
        blocks.append(_finish_block(h, year, c, st, m, blocked=others, taken=frozenset(taken)))
        taken.update(blocks[-1].makeup_days)
    return blocks


def compare_with_official(years: range | list[int] | None = None) -> pd.DataFrame:
    """Derive then compare with ``chinesecalendar`` for each covered year and holiday.

    One row per (year, holiday) with the official and derived first/last days off, whether the
    days-off blocks and the make-up days agree, and the known reason when they do not.
    """
    rows = []
    for y in (years if years is not None else official_years()):
        off = {b.holiday: b for b in official_blocks(y) if b.holiday != "special"}
        der = {b.holiday: b for b in derive_blocks(y)}
        for h in HOLIDAYS:
            if h not in off and h not in der:
                continue
            o, d = off.get(h), der.get(h)
            os_ = set(o.days_off) if o else set()
            ds = set(d.days_off) if d else set()
            rows.append({
                "year": y, "holiday": h,
                "official_first": min(os_) if os_ else None, "official_last": max(os_) if os_ else None,
                "derived_first": min(ds) if ds else None, "derived_last": max(ds) if ds else None,
                "official_days": len(os_), "derived_days": len(ds), "common_days": len(os_ & ds),
                "days_off_match": os_ == ds,
                "makeup_match": (set(o.makeup_days) if o else set()) == (set(d.makeup_days) if d else set()),
                "known_deviation": KNOWN_DEVIATIONS.get((y, h), ""),
            })
    return pd.DataFrame(rows)
