"""Rescue resources of a drill: teams, equipment, depot supplies and experts, from a CSV or
GeoPackage layer, validated row by row.

One row per resource. Columns (units in the names; blank = default):

===============  ===========================================================================
resource_id      unique id (required)
name             display name
kind             ``team`` | ``equipment`` | ``supply`` | ``expert``
type             a key of :data:`RESOURCE_TYPES` (``fire_team``, ``pump``, ``sandbags`` ...)
capabilities     ``;``-separated keys of :data:`CAPABILITIES` allowed for the type
                 (blank: the type's defaults)
crew_persons     persons on the team or expert (teams: >= 1)
vehicle          vehicle or craft, free text
quantity         teams/equipment/experts: identical units at the base, each dispatched on
                 its own (default 1); supplies: stock on hand, in ``unit``
unit             supplies: the capability's unit (``bag``, ``tent``, ``L``)
pump_m3_h        pumping rate of one pump, m^3/h (required with capability ``pumping``)
power_kw         rated output of one generator, kW (required with ``power_supply``)
speed_factor     travel time = reference road time / speed_factor (default 1)
specialty        experts: their field, free text (required for experts)
base             place name or place_id of the city where it is stationed
x_m, y_m         coordinates in the city CRS (used instead of ``base`` when given)
district         response district it belongs to (required; reserves are kept per district)
available        true/false (default true)
===============  ===========================================================================

Lines starting with ``#`` are comments. Errors name the file, the line and the column.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from twin.errors import InputError

KINDS = ("team", "equipment", "supply", "expert")


@dataclass(frozen=True)
class Capability:
    """What a need asks for and how much one unit of a resource row brings of it.

    ``source`` is ``count`` (1 per unit), ``pump_m3_h`` or ``power_kw`` (that column per
    unit), or ``stock`` (1 per unit of a divisible supply)."""

    unit: str
    source: str


CAPABILITIES: dict[str, Capability] = {
    "fire_suppression": Capability("team", "count"),
    "search_rescue": Capability("team", "count"),
    "hazmat_response": Capability("team", "count"),
    "decontamination": Capability("team", "count"),
    "medical_care": Capability("team", "count"),
    "water_rescue": Capability("team", "count"),
    "landslide_rescue": Capability("team", "count"),
    "gas_detection": Capability("unit", "count"),
    "boat": Capability("boat", "count"),
    "pumping": Capability("m3_h", "pump_m3_h"),
    "power_supply": Capability("kW", "power_kw"),
    "sandbags": Capability("bag", "stock"),
    "tents": Capability("tent", "stock"),
    "drinking_water": Capability("L", "stock"),
    "expert_hazmat": Capability("person", "count"),
    "expert_flood": Capability("person", "count"),
    "expert_geohazard": Capability("person", "count"),
    "expert_structural": Capability("person", "count"),
    "expert_medical": Capability("person", "count"),
}

_EXPERTISE = tuple(c for c in CAPABILITIES if c.startswith("expert_"))


@dataclass(frozen=True)
class ResourceType:
    """A resource type: its kind, the capabilities a row may list and the default ones."""

    kind: str
    allowed: tuple[str, ...]
    default: tuple[str, ...]


RESOURCE_TYPES: dict[str, ResourceType] = {
    "fire_team": ResourceType("team", ("fire_suppression", "search_rescue", "water_rescue", "pumping", "gas_detection"),
                              ("fire_suppression",)),
    "hazmat_team": ResourceType("team", ("hazmat_response", "decontamination", "gas_detection", "fire_suppression",
                                         "search_rescue"), ("hazmat_response", "gas_detection")),
    "medical_team": ResourceType("team", ("medical_care",), ("medical_care",)),
    "water_rescue_team": ResourceType("team", ("water_rescue", "boat", "search_rescue"), ("water_rescue",)),
    "landslide_rescue_team": ResourceType("team", ("landslide_rescue", "search_rescue"),
                                          ("landslide_rescue", "search_rescue")),
    "pump": ResourceType("equipment", ("pumping",), ("pumping",)),
    "boat": ResourceType("equipment", ("boat",), ("boat",)),
    "gas_detector": ResourceType("equipment", ("gas_detection",), ("gas_detection",)),
    "generator": ResourceType("equipment", ("power_supply",), ("power_supply",)),
    "sandbags": ResourceType("supply", ("sandbags",), ("sandbags",)),
    "tents": ResourceType("supply", ("tents",), ("tents",)),
    "drinking_water": ResourceType("supply", ("drinking_water",), ("drinking_water",)),
    "expert": ResourceType("expert", _EXPERTISE, ()),
}

RESOURCE_COLUMNS = ["resource_id", "name", "kind", "type", "capabilities", "crew_persons", "vehicle", "quantity",
                    "unit", "pump_m3_h", "power_kw", "speed_factor", "specialty", "base", "district", "available",
                    "x_m", "y_m"]
_INPUT_COLUMNS = set(RESOURCE_COLUMNS)
_TRUE, _FALSE = {"true", "yes", "1", "y", "t"}, {"false", "no", "0", "n", "f"}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _number(v: Any, where: str, col: str, *, default: float | None = None, lo: float | None = None,
            lo_open: bool = False, hi: float | None = None, integer: bool = False) -> float:
    if _blank(v):
        if default is None:
            raise InputError(f"{where}: column '{col}' is empty: expected a number")
        return default
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {col} {v!r}: expected a number") from None
    bad = not math.isfinite(x) or (lo is not None and (x <= lo if lo_open else x < lo)) or (hi is not None and x > hi)
    if bad:
        rng = f"{'>' if lo_open else '>='} {lo:g}" if lo is not None else "finite"
        raise InputError(f"{where}: {col} {v!r}: expected a number {rng}{f' and <= {hi:g}' if hi is not None else ''}")
    if integer and x != round(x):
        raise InputError(f"{where}: {col} {v!r}: expected a whole number")
    return x


def _text(v: Any) -> str:
    return "" if _blank(v) else str(v).strip()


def _place_index(places: gpd.GeoDataFrame | None) -> dict[str, Point]:
    """Place name and place_id (lower case) -> a point inside the place."""
    if places is None:
        return {}
    idx: dict[str, Point] = {}
    for pid, name, geom in places[["place_id", "name", "geometry"]].itertuples(index=False, name=None):
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        idx[str(pid).strip().lower()] = pt
        if name:
            idx.setdefault(str(name).strip().lower(), pt)
    return idx


def _row(raw: Mapping[str, Any], where: str, places: dict[str, Point], have_places: bool,
         bounds: tuple[float, float, float, float] | None) -> dict[str, Any]:
    rid = _text(raw.get("resource_id"))
    if not rid:
        raise InputError(f"{where}: column 'resource_id' is empty: expected a unique id")
    where = f"{where} (resource '{rid}')"
    kind, rtype = _text(raw.get("kind")).lower(), _text(raw.get("type")).lower()
    if kind not in KINDS:
        raise InputError(f"{where}: kind {kind!r}: expected one of {list(KINDS)}")
    if rtype not in RESOURCE_TYPES:
        raise InputError(f"{where}: type {rtype!r}: expected one of {sorted(RESOURCE_TYPES)}")
    spec = RESOURCE_TYPES[rtype]
    if spec.kind != kind:
        raise InputError(f"{where}: type '{rtype}' with kind '{kind}': expected kind '{spec.kind}'")
    caps_txt = _text(raw.get("capabilities"))
    caps = tuple(dict.fromkeys(c.strip().lower() for c in caps_txt.split(";") if c.strip())) if caps_txt else spec.default
    if not caps:
        raise InputError(f"{where}: capabilities empty: expected one or more of {list(spec.allowed)}")
    for c in caps:
        if c not in spec.allowed:
            raise InputError(f"{where}: capability {c!r} for type '{rtype}': expected one of {list(spec.allowed)}")
    stock_caps = [c for c in caps if CAPABILITIES[c].source == "stock"]
    crew = _number(raw.get("crew_persons"), where, "crew_persons", default=1.0 if kind == "expert" else 0.0, lo=0,
                   integer=True)
    if kind == "team" and crew < 1:
        raise InputError(f"{where}: crew_persons {crew:g}: expected >= 1 for a team")
    if kind == "supply":
        qty = _number(raw.get("quantity"), where, "quantity", lo=0, integer=True)
        unit = _text(raw.get("unit"))
        want = CAPABILITIES[stock_caps[0]].unit
        if unit != want:
            raise InputError(f"{where}: unit {unit!r} for '{rtype}': expected '{want}'")
    else:
        qty = _number(raw.get("quantity"), where, "quantity", default=1.0, lo=1, integer=True)
        unit = _text(raw.get("unit")) or "unit"
    pump = _number(raw.get("pump_m3_h"), where, "pump_m3_h", default=0.0, lo=0)
    if "pumping" in caps and pump <= 0:
        raise InputError(f"{where}: pump_m3_h {raw.get('pump_m3_h')!r}: expected > 0 with capability 'pumping'")
    power = _number(raw.get("power_kw"), where, "power_kw", default=0.0, lo=0)
    if "power_supply" in caps and power <= 0:
        raise InputError(f"{where}: power_kw {raw.get('power_kw')!r}: expected > 0 with capability 'power_supply'")
    speed = _number(raw.get("speed_factor"), where, "speed_factor", default=1.0, lo=0, lo_open=True, hi=3.0)
    specialty = _text(raw.get("specialty"))
    if kind == "expert" and not specialty:
        raise InputError(f"{where}: column 'specialty' is empty: expected the expert's field")
    district = _text(raw.get("district"))
    if not district:
        raise InputError(f"{where}: column 'district' is empty: expected the response district")
    avail_txt = _text(raw.get("available")).lower()
    if avail_txt and avail_txt not in _TRUE | _FALSE:
        raise InputError(f"{where}: available {raw.get('available')!r}: expected true or false")
    base = _text(raw.get("base"))
    bx, by = raw.get("x_m"), raw.get("y_m")
    if not _blank(bx) or not _blank(by):
        x, y = _number(bx, where, "x_m"), _number(by, where, "y_m")
    elif base:
        if not have_places:
            raise InputError(f"{where}: base {base!r} without x_m/y_m: expected coordinates or a city to look the place up")
        pt = places.get(base.lower())
        if pt is None:
            raise InputError(f"{where}: base {base!r}: expected a place name or place_id of the city "
                             f"(e.g. {sorted(places)[:4]})")
        x, y = float(pt.x), float(pt.y)
    else:
        raise InputError(f"{where}: no location: expected 'base' (a place) or 'x_m' and 'y_m'")
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            raise InputError(f"{where}: location ({x:.1f}, {y:.1f}) outside the city: expected x in [{x0:g}, {x1:g}], "
                             f"y in [{y0:g}, {y1:g}]")
    return {"resource_id": rid, "name": _text(raw.get("name")) or rid, "kind": kind, "type": rtype,
            "capabilities": caps, "crew_persons": int(crew), "vehicle": _text(raw.get("vehicle")), "quantity": qty,
            "unit": unit, "pump_m3_h": pump, "power_kw": power, "speed_factor": speed, "specialty": specialty,
            "base": base, "district": district, "available": avail_txt not in _FALSE, "x_m": x, "y_m": y}


def make_resources(records: Iterable[Mapping[str, Any]] | pd.DataFrame, *, places: gpd.GeoDataFrame | None = None,
                   bounds: tuple[float, float, float, float] | None = None, crs: Any = None,
                   where: str = "resources", line_labels: list[str] | None = None) -> gpd.GeoDataFrame:
    """Validate resource records (dicts or a frame with the columns above) into a GeoDataFrame.

    ``places`` resolves ``base`` names; ``bounds`` (x0, y0, x1, y1) rejects resources outside
    the city. ``line_labels`` name each record in errors (default ``row N``)."""
    recs = records.to_dict("records") if isinstance(records, pd.DataFrame) else list(records)
    pidx = _place_index(places)
    rows, seen = [], {}
    for k, raw in enumerate(recs):
        label = f"{where} {line_labels[k] if line_labels else f'row {k + 1}'}"
        unknown = sorted(set(raw) - _INPUT_COLUMNS - {"geometry"})
        if unknown:
            raise InputError(f"{label}: unknown column {unknown[0]!r}: expected some of {RESOURCE_COLUMNS}")
        r = _row(raw, label, pidx, places is not None, bounds)
        if r["resource_id"] in seen:
            raise InputError(f"{label}: resource_id {r['resource_id']!r} repeats {seen[r['resource_id']]}: expected unique ids")
        seen[r["resource_id"]] = label
        rows.append(r)
    df = pd.DataFrame(rows, columns=RESOURCE_COLUMNS)
    geom = gpd.points_from_xy(df["x_m"], df["y_m"]) if len(df) else []
    crs = crs if crs is not None else (places.crs if places is not None else None)
    return gpd.GeoDataFrame(df, geometry=geom, crs=crs)


def _read_csv(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        lines = [(n, line) for n, line in enumerate(fh, start=1) if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"{path}: no header line: expected columns {RESOURCE_COLUMNS}")
    reader = csv.reader([line for _, line in lines])
    header = [h.strip() for h in next(reader)]
    missing = [c for c in ("resource_id", "kind", "type", "district") if c not in header]
    if missing:
        raise InputError(f"{path} line {lines[0][0]}: missing column {missing[0]!r}: expected columns {RESOURCE_COLUMNS}")
    recs, labels = [], []
    for (n, _), values in zip(lines[1:], reader):
        if len(values) != len(header):
            raise InputError(f"{path} line {n}: {len(values)} fields: expected {len(header)} as in the header")
        recs.append(dict(zip(header, values)))
        labels.append(f"line {n}")
    return recs, labels


def _read_gpkg(path: Path, layer: str | None, crs: Any) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as e:  # pyogrio raises several types for unreadable files and missing layers
        raise InputError(f"{path}: cannot read layer {layer!r}: {e}") from None
    if crs is not None and gdf.crs is not None and len(gdf):
        gdf = gdf.to_crs(crs)
    recs = []
    for rec, geom in zip(gdf.drop(columns="geometry").to_dict("records"), gdf.geometry):
        if geom is not None and not geom.is_empty and _blank(rec.get("x_m")) and _blank(rec.get("y_m")):
            rec["x_m"], rec["y_m"] = geom.x, geom.y
        recs.append(rec)
    return recs, [f"feature {k + 1}" for k in range(len(recs))]


def load_resources(path: str | Path, city: Any = None, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read and validate a resources CSV (``.csv``) or GeoPackage layer (``.gpkg``).

    With ``city`` (a :class:`twin.city.City`), ``base`` names are looked up in its places and
    every resource must lie within its extent. Returns a GeoDataFrame with
    :data:`RESOURCE_COLUMNS` (``capabilities`` as a tuple) and point geometry."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"resources file {str(path)!r}: not found: expected a .csv or .gpkg file")
    crs = city.crs if city is not None else None
    if path.suffix.lower() == ".csv":
        recs, labels = _read_csv(path)
    elif path.suffix.lower() == ".gpkg":
        recs, labels = _read_gpkg(path, layer, crs)
    else:
        raise InputError(f"resources file {str(path)!r}: suffix {path.suffix!r}: expected .csv or .gpkg")
    return make_resources(recs, places=city.places if city is not None else None,
                          bounds=tuple(city.bounds) if city is not None else None, crs=crs, where=str(path),
                          line_labels=labels)


def contributions(resources: pd.DataFrame, capabilities: list[str]) -> np.ndarray:
    """(n_resources, n_capabilities) amount ONE unit of each resource row brings of each
    capability, in the capability's unit: 1 for counts and supplies, pump_m3_h or power_kw.
    A row offers ``quantity`` such units."""
    out = np.zeros((len(resources), len(capabilities)))
    col = {c: j for j, c in enumerate(capabilities)}
    pump = resources["pump_m3_h"].to_numpy(float)
    power = resources["power_kw"].to_numpy(float)
    for r, caps in enumerate(resources["capabilities"]):
        for c in caps:
            j = col.get(c)
            if j is None:
                continue
            src = CAPABILITIES[c].source
            out[r, j] = pump[r] if src == "pump_m3_h" else power[r] if src == "power_kw" else 1.0
    return out


__all__ = ["CAPABILITIES", "Capability", "KINDS", "RESOURCE_COLUMNS", "RESOURCE_TYPES", "ResourceType",
           "contributions", "load_resources", "make_resources"]
