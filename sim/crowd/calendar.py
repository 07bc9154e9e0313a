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
:func:`_place_makeups`, :data:`MAKEUP_EPOCHS`; misses: those one-offs and
:data:`KNOWN_MAKEUP_DEVIATIONS`); ``tests/sim/test_crowd_calendar.py`` derives then compares.

Rule sources: 《全国年节及纪念日放假办法》 (State Council decree 270, 1999; amended 2007 by
decree 513, 2013 by decree 644, 2024 by decree 795) and the yearly General Office notices.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from twin.errors import InputError, read_yaml

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


# ------------------------------------------------------------------ lunar derivation
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


# ------------------------------------------------------------------ user holiday table
def load_holiday_table(path: str | Path) -> pd.DataFrame:
    """Read and validate a holiday table (CSV with columns date, holiday, status; or YAML list).

    Returns columns date (datetime.date), holiday, status (``day_off``/``makeup_workday``), row
    (``attrs["path"]`` is the file).  Each error names the file, the row and the value: malformed
    or duplicate dates, unknown holiday or status, holidays whose days off overlap or are not one
    consecutive run, days off more than :data:`FESTIVAL_TOLERANCE_DAYS` from the festival's date,
    make-up working days that are not a Saturday or Sunday or whose holiday has no days off in
    that year (they would be silently unused).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"holiday table {p}: file not found")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        with p.open(newline="", encoding="utf-8-sig") as fh:  # -sig: Excel's "CSV UTF-8" starts with a BOM
            reader = csv.DictReader(fh)
            cols = [c.strip() for c in (reader.fieldnames or [])]
            recs = [({(k or "").strip(): (v or "").strip() for k, v in r.items()}, i + 2)
                    for i, r in enumerate(reader)]
    elif suffix in (".yaml", ".yml"):
        doc = read_yaml(p, "holiday table ")
        if isinstance(doc, dict) and "holidays" in doc:
            doc = doc["holidays"]
        if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
            raise InputError(f"holiday table {p}: expected a list of mappings with date, holiday, status")
        recs = [({str(k): ("" if v is None else str(v)).strip() for k, v in r.items()}, i + 1)
                for i, r in enumerate(doc)]
        cols = sorted({k for r, _ in recs for k in r})
    else:
        raise InputError(f"holiday table {p}: expected a .csv, .yaml or .yml file")
    missing = [c for c in ("date", "holiday", "status") if c not in cols]
    if missing:
        raise InputError(f"holiday table {p}: missing column(s) {', '.join(missing)}; "
                         f"expected date, holiday, status")
    if not recs:
        raise InputError(f"holiday table {p}: no rows; expected date, holiday, status rows")
    rows = []
    seen: dict[dt.date, int] = {}
    for r, line in recs:
        where = f"holiday table {p} row {line}"
        try:
            d = dt.date.fromisoformat(r["date"])
        except ValueError:
            raise InputError(f"{where}: date {r['date']!r}: expected YYYY-MM-DD") from None
        h = r["holiday"].lower().replace(" ", "_").replace("-", "_")
        if h not in HOLIDAYS:
            close = difflib.get_close_matches(h, HOLIDAYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InputError(f"{where}: holiday {r['holiday']!r}: expected one of "
                             f"{', '.join(HOLIDAYS)}{hint}")
        s = _STATUS_ALIASES.get(r["status"].lower().replace(" ", "_").replace("-", "_"))
        if s is None:
            raise InputError(f"{where}: status {r['status']!r}: expected day_off or makeup_workday")
        if d in seen:
            raise InputError(f"{where}: date {d} already given in row {seen[d]}; expected each date once")
        seen[d] = line
        rows.append({"date": d, "holiday": h, "status": s, "row": line})
    df = pd.DataFrame(rows).sort_values("date", kind="stable").reset_index(drop=True)
    _check_table_blocks(df, p)
    df.attrs["path"] = str(p)
    return df


def _table_year(d: dt.date, holiday: str) -> int:
    return d.year + 1 if holiday == "new_year" and d.month == 12 else d.year


FESTIVAL_TOLERANCE_DAYS = 15
"""A table's days off of a holiday must contain its date or lie within this many days of it.

The date is 1 Jan, 1 May and 1 Oct, or the festival's from :func:`festival_dates`. Every
official block 2004-2026 contains it (chinesecalendar's days labelled with the festival, merged
Mid-Autumn days included); 15 days leaves room for unusual bridging or merging while refusing a
block put in the wrong month (a ``spring_festival`` in July)."""


def festival_reference(holiday: str, year: int) -> dt.date:
    """The date a holiday of ``year`` celebrates: 1 Jan, 1 May, 1 Oct, or the lunar/solar-term date."""
    fixed = {"new_year": (1, 1), "may_day": (5, 1), "national_day": (10, 1)}
    if holiday in fixed:
        return dt.date(year, *fixed[holiday])
    return festival_dates(year)[holiday]


def _check_table_blocks(df: pd.DataFrame, p: Path) -> None:
    off = df[df["status"] == "day_off"]
    all_off = set(off["date"])
    mk = set(df.loc[df["status"] == "makeup_workday", "date"])
    spans = []
    for (h, y), g in off.groupby([off["holiday"], [_table_year(d, h) for d, h in zip(off["date"],
                                                                                        off["holiday"])]]):
        ds = sorted(g["date"])
        for a, b in zip(ds[:-1], ds[1:]):
            gap = [_day(a, k) for k in range(1, (b - a).days)]
            work = [x for x in gap if (not _weekend(x) or x in mk) and x not in all_off]
            if work:
                row = int(g.loc[g["date"] == b, "row"].iloc[0])
                raise InputError(f"holiday table {p} row {row}: {h} {y} days off {a} and {b} are not "
                                 f"consecutive ({work[0]} is a working day); expected one run per holiday")
        spans.append((ds[0], ds[-1], h, y, int(g["row"].iloc[0])))
    spans.sort()
    for i, (a0, a1, ha, ya, ra) in enumerate(spans):
        for b0, b1, hb, yb, rb in spans[i + 1:]:
            if b0 > a1:
                break
            nested = (a0 <= b0 and b1 <= a1) or (b0 <= a0 and a1 <= b1)
            if nested and {ha, hb} == {"national_day", "mid_autumn"}:
                continue  # Mid-Autumn inside the golden week (2017: 4 Oct in 1-8 Oct), one merged block
            raise InputError(f"holiday table {p} row {rb}: {hb} {yb} ({b0}..{b1}) overlaps {ha} {ya} "
                             f"({a0}..{a1}, row {ra}); expected separate holidays (only Mid-Autumn may "
                             f"lie inside National Day)")
    for a0, a1, h, y, row in sorted(spans, key=lambda sp: sp[4]):
        ref = festival_reference(h, y)
        gap = max((a0 - ref).days, (ref - a1).days, 0)
        if gap > FESTIVAL_TOLERANCE_DAYS:
            raise InputError(f"holiday table {p} row {row}: {h} {y} days off {a0}..{a1} are {gap} days from "
                             f"its date {ref}; expected days off within {FESTIVAL_TOLERANCE_DAYS} days of it")
    offs = {(h, y) for _a0, _a1, h, y, _row in spans}
    for _, r in df[df["status"] == "makeup_workday"].iterrows():
        d, h = r["date"], r["holiday"]
        if not _weekend(d):
            raise InputError(f"holiday table {p} row {r['row']}: make-up working day {d} is a "
                             f"{d.strftime('%A')}; expected a Saturday or Sunday (weekdays are working days anyway)")
        y = _table_year(d, h)
        if (h, y) not in offs:
            raise InputError(f"holiday table {p} row {r['row']}: make-up working day {d} for {h} {y}, which "
                             f"has no day_off rows in the table; expected {h} {y} days off too, or no such row")
        for a0, a1, hh, yy, _row in spans:
            if a0 <= d <= a1:
                raise InputError(f"holiday table {p} row {r['row']}: make-up working day {d} lies "
                                 f"inside the days off of {hh} {yy} ({a0}..{a1})")


# ------------------------------------------------------------------ the calendar
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
        df["is_workday"] = (df["status"] == "makeup_workday") | (
            (df["status"] == "normal") & (df.index.day_of_week < 5))
        df["provisional"] = df["source"] == "provisional"
        return df
