"""Incidents and what they need: an editable rules table (type x grade -> capabilities,
quantities, deadlines).

Grades are the Chinese four levels of the National Overall Emergency Response Plan for Public
Emergencies (State Council, 2006, sec. 1.3): I (especially major), II (major), III (large),
IV (ordinary). The table (default ``data/needs_rules.csv``, illustrative planning values) has
one row per ``incident_type, grade, capability`` with ``quantity`` in the capability's
``unit`` (see :data:`sim.drill.resources.CAPABILITIES`) and ``deadline_min`` of road travel.
Every incident type in the table must have rows for all four grades.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.drill.resources import CAPABILITIES
from twin.errors import InputError

GRADES = ("I", "II", "III", "IV")
INCIDENT_TYPES = ("flood_rescue", "waterlogging", "hazmat_release", "fire", "landslide", "people_trapped")
DEFAULT_RULES = Path(__file__).resolve().parent / "data" / "needs_rules.csv"
RULE_COLUMNS = ("incident_type", "grade", "capability", "quantity", "unit", "deadline_min")
_GRADE_ALIASES = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def parse_grade(value: Any, *, where: str = "grade") -> str:
    """'I'..'IV' (any case) or 1..4 -> 'I'..'IV'."""
    txt = str(value).strip().upper()
    txt = _GRADE_ALIASES.get(txt.removesuffix(".0"), txt)
    if txt not in GRADES:
        raise InputError(f"{where} {value!r}: expected one of {list(GRADES)} (or 1-4)")
    return txt


@dataclass(frozen=True)
class Need:
    """One capability an incident needs: ``quantity`` in ``unit``, within ``deadline_s`` of travel."""

    capability: str
    quantity: float
    unit: str
    deadline_s: float


@dataclass(frozen=True)
class Incident:
    """An open incident at (x_m, y_m) in the city CRS; ``needs`` overrides the rules table."""

    incident_id: str
    type: str
    grade: str
    x_m: float
    y_m: float
    name: str = ""
    needs: tuple[Need, ...] | None = None

    def __post_init__(self) -> None:
        if not str(self.incident_id).strip():
            raise InputError("incident_id '': expected a non-empty id")
        object.__setattr__(self, "grade", parse_grade(self.grade, where=f"incident '{self.incident_id}' grade"))
        if not (math.isfinite(float(self.x_m)) and math.isfinite(float(self.y_m))):
            raise InputError(f"incident '{self.incident_id}' location ({self.x_m}, {self.y_m}): expected finite x_m, y_m")


@dataclass(frozen=True)
class Rules:
    """The needs table: (incident_type, grade) -> needs, and the file it came from."""

    table: dict[tuple[str, str], tuple[Need, ...]]
    source: str

    @property
    def types(self) -> list[str]:
        return sorted({t for t, _ in self.table})

    def needs(self, incident_type: str, grade: str) -> tuple[Need, ...]:
        """Needs of an incident type at a grade; InputError for a type not in the table."""
        g = parse_grade(grade)
        key = (str(incident_type).strip().lower(), g)
        if key not in self.table:
            raise InputError(f"incident type {incident_type!r}: expected one of {self.types} (rules {self.source})")
        return self.table[key]

    def needs_of(self, incident: Incident) -> tuple[Need, ...]:
        """The incident's own needs when given, else the table's for its type and grade."""
        if incident.needs is not None:
            return incident.needs
        try:
            return self.needs(incident.type, incident.grade)
        except InputError as e:
            raise InputError(f"incident '{incident.incident_id}': {e}") from None


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and validate a needs-rules CSV (default: the packaged table).

    Errors name the file and line: unknown capability or grade, a unit that is not the
    capability's, non-positive quantity or deadline, a repeated (type, grade, capability), and
    an incident type lacking one of the four grades."""
    path = Path(path) if path is not None else DEFAULT_RULES
    if not path.is_file():
        raise InputError(f"rules file {str(path)!r}: not found: expected a CSV with columns {list(RULE_COLUMNS)}")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        lines = [(n, s) for n, s in enumerate(fh, start=1) if s.strip() and not s.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"{path}: empty: expected a header with columns {list(RULE_COLUMNS)}")
    reader = csv.reader([s for _, s in lines])
    header = [h.strip() for h in next(reader)]
    for col in RULE_COLUMNS:
        if col not in header:
            raise InputError(f"{path} line {lines[0][0]}: missing column {col!r}: expected {list(RULE_COLUMNS)}")
    rows: dict[tuple[str, str], list[Need]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for (n, _), values in zip(lines[1:], reader):
        where = f"{path} line {n}"
        if len(values) != len(header):
            raise InputError(f"{where}: {len(values)} fields: expected {len(header)} as in the header")
        rec = {h: v.strip() for h, v in zip(header, values)}
        itype = rec["incident_type"].lower()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", itype):
            raise InputError(f"{where}: incident_type {rec['incident_type']!r}: expected a snake_case name "
                             f"such as {list(INCIDENT_TYPES)}")
        grade = parse_grade(rec["grade"], where=f"{where}: grade")
        cap = rec["capability"].lower()
        if cap not in CAPABILITIES:
            raise InputError(f"{where}: capability {rec['capability']!r}: no resource type serves it; "
                             f"expected one of {sorted(CAPABILITIES)}")
        unit = rec["unit"]
        if unit != CAPABILITIES[cap].unit:
            raise InputError(f"{where}: unit {unit!r} for capability '{cap}': expected '{CAPABILITIES[cap].unit}'")
        for col in ("quantity", "deadline_min"):
            try:
                v = float(rec[col])
            except ValueError:
                v = math.nan
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{where}: {col} {rec[col]!r}: expected a number > 0")
        key = (itype, grade, cap)
        if key in seen:
            raise InputError(f"{where}: ({itype}, {grade}, {cap}) repeats line {seen[key]}: expected one row each")
        seen[key] = n
        rows.setdefault((itype, grade), []).append(
            Need(cap, float(rec["quantity"]), unit, 60.0 * float(rec["deadline_min"])))
    for itype in sorted({t for t, _ in rows}):
        for g in GRADES:
            if (itype, g) not in rows:
                raise InputError(f"{path}: incident_type '{itype}' lacks grade '{g}': expected rows for grades "
                                 f"{list(GRADES)}")
    if not rows:
        raise InputError(f"{path}: no rules: expected rows for at least one incident type")
    return Rules({k: tuple(v) for k, v in rows.items()}, str(path))


__all__ = ["DEFAULT_RULES", "GRADES", "INCIDENT_TYPES", "Incident", "Need", "Rules", "RULE_COLUMNS", "load_rules",
           "parse_grade"]
