"""User holiday tables (CSV/YAML: date, holiday, status) for years the official package does not
cover yet: reading, normalising and the checks each table gets (:mod:`sim.crowd.calendar`)."""
from __future__ import annotations

import csv
import datetime as dt
import difflib
from pathlib import Path

import pandas as pd

from sim.crowd.calendar_days import HOLIDAYS, _STATUS_ALIASES, _day, _weekend
from sim.crowd.calendar_derive import festival_dates
from twin.errors import InputError, read_yaml

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
