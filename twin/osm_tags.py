"""OpenStreetMap tag parsing for the importer: speeds, heights, levels, one-way, lanes,
building use, and the constants behind the defaults (documented in :mod:`twin.osm`)."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable, Mapping


# ------------------------------------------------------------------ constants
LEVEL_HEIGHT_M = 3.0
"""Floor-to-floor height used to turn storeys into a height (metres)."""

DEFAULT_LEVELS: dict[str, int] = {
    "residential": 3, "commercial": 3, "industrial": 2, "public": 3,
    "school": 3, "hospital": 4, "religious": 3, "other": 3,
}
"""Storeys assumed by use when a building has neither ``height`` nor ``building:levels``
(3 storeys = 9 m for a generic urban building; sheds and garages see
:data:`SMALL_BUILDING_TYPES`)."""

SMALL_BUILDING_TYPES = frozenset({
    "garage", "garages", "shed", "carport", "hut", "kiosk", "cabin", "roof", "toilets",
    "bunker", "container", "greenhouse", "glasshouse", "pavilion", "bandstand", "gatehouse",
    "guardhouse", "transformer_tower", "ruins", "tent", "entrance", "underpass_entrance",
})
"""``building=*`` values assumed single-storey when untagged."""

SHELTER_M2_PER_PERSON = 2.0
SCENIC_M2_PER_PERSON = 3.0
DEFAULT_POINT_AREA_M2: dict[str, float] = {"shelter": 500.0, "scenic_spot": 1000.0}
"""Area assumed for point-mapped shelters / scenic spots not inside a mapped building."""

MIN_FOOTPRINT_M2 = 1.0
"""Footprints smaller than this after repair (slivers of broken rings) are dropped."""

MIN_DEM_COVERAGE = 0.5
"""Minimum fraction of road nodes on valid DEM cells."""

MPH_KPH = 1.609344
KNOT_KPH = 1.852

# Country default speed limits for ``maxspeed=CC:type`` (km/h), after the OSM wiki
# page "Default speed limits" (transcribed, not checked against it offline); other
# country codes fall back to _ZONE_GENERIC. Chinese data uses numeric maxspeed.
_ZONE_KPH: dict[str, float] = {
    "FI:urban": 50, "FI:rural": 80, "FI:motorway": 120, "FI:living_street": 20,
    "SE:urban": 50, "SE:rural": 70, "SE:motorway": 110, "NO:urban": 50, "NO:rural": 80, "NO:motorway": 110,
    "DK:urban": 50, "DK:rural": 80, "DK:motorway": 130, "EE:urban": 50, "EE:rural": 90,
    "DE:urban": 50, "DE:rural": 100, "DE:living_street": 7, "DE:bicycle_road": 30,
    "AT:urban": 50, "AT:rural": 100, "AT:motorway": 130, "CH:urban": 50, "CH:rural": 80, "CH:motorway": 120,
    "FR:urban": 50, "FR:rural": 80, "FR:motorway": 130, "IT:urban": 50, "IT:rural": 90, "IT:motorway": 130,
    "ES:urban": 50, "ES:rural": 90, "ES:motorway": 120, "NL:urban": 50, "NL:rural": 80, "NL:motorway": 100,
    "BE:urban": 50, "PL:urban": 50, "PL:rural": 90, "PL:motorway": 140, "CZ:urban": 50, "CZ:rural": 90,
    "RU:urban": 60, "RU:rural": 90, "RU:motorway": 110, "RU:living_street": 20,
    "UA:urban": 50, "UA:rural": 90, "UA:motorway": 130,
    "GB:nsl_single": 60 * MPH_KPH, "GB:nsl_dual": 70 * MPH_KPH, "GB:motorway": 70 * MPH_KPH,
    "UK:nsl_single": 60 * MPH_KPH, "UK:nsl_dual": 70 * MPH_KPH, "UK:motorway": 70 * MPH_KPH,
}
_ZONE_GENERIC: dict[str, float] = {
    "urban": 50, "rural": 80, "motorway": 110, "trunk": 100, "living_street": 20,
    "bicycle_road": 30, "walk": 7, "nsl_single": 60 * MPH_KPH, "nsl_dual": 70 * MPH_KPH,
}

_TAG_COLUMNS_SKIP = frozenset({
    "id", "u", "v", "length", "timestamp", "version", "visible", "changeset", "tags", "osm_type",
    "geometry", "lon", "lat",
})
_ONEWAY_YES = {"yes", "true", "1"}
_ONEWAY_REVERSE = {"-1", "reverse"}
_SHELTER_TYPES_SKIPPED = {"public_transport", "picnic_shelter", "lean_to", "basic_hut"}

# --------------------------------------------------------------- tag parsers
_NUM = r"(\d+(?:[.,]\d+)?)"


def _num(s: str) -> float:
    return float(s.replace(",", "."))


def parse_maxspeed(value: Any) -> float | None:
    """Speed limit in km/h from an OSM ``maxspeed`` value, or None when it says nothing usable.

    Accepts ``"50"``, ``"50 km/h"``, ``"30 mph"``, ``"10 knots"``, country zones
    (``"FI:urban"``, ``"DE:zone30"``, ``"DE:zone:30"``, ``"RU:living_street"``),
    ``"walk"``, and lists (``"50;30"`` -> the lowest). ``"none"``, ``"signals"``,
    ``"variable"`` and garbage give None (the caller uses the class default).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    speeds = [s for s in (_maxspeed_one(part) for part in str(value).split(";")) if s is not None]
    return min(speeds) if speeds else None


def _maxspeed_one(text: str) -> float | None:
    t = text.strip().lower()
    if not t:
        return None
    m = re.fullmatch(_NUM + r"\s*(km/h|kmh|kph|km|mph|knots?|kn)?", t)
    if m:
        v = _num(m.group(1))
        unit = m.group(2) or "km/h"
        v *= MPH_KPH if unit == "mph" else KNOT_KPH if unit.startswith("kn") else 1.0
        return v if v > 0 else None
    if ":" in t:
        cc, _, kind = t.partition(":")
        key = f"{cc.upper()}:{kind}"
        if key in _ZONE_KPH:
            return float(_ZONE_KPH[key])
        m = re.fullmatch(r"zone:?(\d+)", kind)
        if m:
            return float(m.group(1)) if int(m.group(1)) > 0 else None
        return float(_ZONE_GENERIC[kind]) if kind in _ZONE_GENERIC else None
    if t == "walk":
        return float(_ZONE_GENERIC["walk"])
    return None


def parse_height(value: Any) -> float | None:
    """Height in metres from an OSM ``height`` value (``"12"``, ``"12 m"``, ``"12.5m"``,
    ``"12,5"``, ``"40 ft"``, ``"10'6\\""``), or None when missing, non-positive or unparsable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    t = str(value).strip().lower()
    t = re.sub(r"^(~|ca\.?|approx\.?)\s*", "", t)
    m = re.fullmatch(_NUM + r"\s*(m|meters?|metres?|ft|feet|foot|')?", t)
    if m:
        v = _num(m.group(1))
        if m.group(2) in ("ft", "feet", "foot", "'"):
            v *= 0.3048
        return v if v > 0 else None
    m = re.fullmatch(r"(\d+)\s*'\s*(\d+(?:\.\d+)?)\s*(\"|'')", t)
    if m:
        v = (int(m.group(1)) * 12 + float(m.group(2))) * 0.0254
        return v if v > 0 else None
    return None


def parse_levels(value: Any) -> float | None:
    """Storeys from ``building:levels`` (``"5"``, ``"3.5"``, ``"4;5"`` / ``"4-5"`` -> the highest),
    or None when missing, non-positive or unparsable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    vals = []
    for part in re.split(r"[;\-]", str(value)):
        m = re.fullmatch(r"\s*" + _NUM + r"\s*", part)
        if m:
            vals.append(_num(m.group(1)))
    v = max(vals) if vals else None
    return v if v is not None and v > 0 else None


def parse_oneway(tags: Mapping[str, str]) -> int:
    """+1 (one-way along the way), -1 (one-way against it) or 0 (two-way) from way tags."""
    ow = str(tags.get("oneway", "")).strip().lower()
    if ow in _ONEWAY_YES:
        return 1
    if ow in _ONEWAY_REVERSE:
        return -1
    if ow in ("no", "false", "0", "reversible", "alternating"):
        return 0
    if str(tags.get("junction", "")).lower() in ("roundabout", "circular"):
        return 1
    if str(tags.get("highway", "")) == "motorway":
        return 1
    return 0


def _int_tag(value: Any) -> int | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*", str(value))
    return int(m.group(1)) if m else None


def lanes_per_direction(tags: Mapping[str, str], oneway: int, forward: bool) -> int | None:
    """Lanes of one direction of a way (``forward``: along the way's node order), or None.

    ``oneway`` as returned by :func:`parse_oneway`. For two-way roads ``lanes``
    counts both directions: with ``lanes:forward``/``lanes:backward`` missing it
    is halved and rounded up; with one of them given the other direction gets
    the remainder. For one-way roads ``lanes`` is the count of that direction.
    """
    total = _int_tag(tags.get("lanes"))
    fwd = _int_tag(tags.get("lanes:forward"))
    bwd = _int_tag(tags.get("lanes:backward"))
    mine, other = (fwd, bwd) if forward else (bwd, fwd)
    if oneway != 0:
        n = total if total else mine
    elif mine:
        n = mine
    elif total and other and total > other:
        n = total - other
    elif total:
        n = math.ceil(total / 2)
    else:
        n = None
    return max(1, n) if n else None


# ---------------------------------------------------------------- building use
_USE_BY_BUILDING: dict[str, str] = {}
for _use, _vals in {
    "residential": "residential apartments house detached semidetached_house terrace dormitory bungalow "
                   "cabin farm houseboat static_caravan residences flats villa stilt_house",
    "commercial": "commercial retail office hotel supermarket kiosk shop mall bank restaurant "
                  "department_store motel",
    "industrial": "industrial warehouse factory manufacture hangar storage_tank service utility "
                  "transformer_tower silo barn farm_auxiliary digester water_tower",
    "public": "public civic government train_station transportation fire_station police sports_hall "
              "stadium townhall library museum courthouse community_centre theatre post_office "
              "sports_centre grandstand riding_hall prison military",
    "school": "school university college kindergarten",
    "hospital": "hospital clinic",
    "religious": "church cathedral chapel mosque temple synagogue shrine religious monastery presbytery",
}.items():
    for _v in _vals.split():
        _USE_BY_BUILDING[_v] = _use

_USE_BY_AMENITY: dict[str, str] = {}
for _use, _vals in {
    "school": "school university college kindergarten",
    "hospital": "hospital clinic",
    "religious": "place_of_worship monastery",
    "public": "townhall library police fire_station courthouse community_centre theatre arts_centre "
              "post_office public_building social_facility prison cinema",
    "commercial": "restaurant cafe bank pub bar fast_food marketplace pharmacy fuel",
}.items():
    for _v in _vals.split():
        _USE_BY_AMENITY[_v] = _use

_USE_BY_LANDUSE = {"residential": "residential", "commercial": "commercial", "retail": "commercial",
                   "industrial": "industrial", "religious": "religious", "education": "school",
                   "military": "public", "civic": "public", "institutional": "public"}


def building_use(tags: Mapping[str, Any], landuse: str | None = None) -> str:
    """One of :data:`twin.schema.BUILDING_USES` from building tags (and an enclosing landuse)."""
    b = str(tags.get("building") or "yes").lower()
    if b in _USE_BY_BUILDING:
        return _USE_BY_BUILDING[b]
    amen = str(tags.get("amenity") or "").lower()
    if amen in _USE_BY_AMENITY:
        return _USE_BY_AMENITY[amen]
    if str(tags.get("healthcare") or "").lower() in ("hospital", "clinic"):
        return "hospital"
    if tags.get("shop") or tags.get("office") or str(tags.get("tourism") or "").lower() in ("hotel", "hostel", "motel"):
        return "commercial"
    if b in SMALL_BUILDING_TYPES:
        return "other"
    for lu in (tags.get("landuse"), landuse):
        if lu and str(lu).lower() in _USE_BY_LANDUSE:
            return _USE_BY_LANDUSE[str(lu).lower()]
    return "other"


# --------------------------------------------------------------------- helpers
def _row_tags(row: Mapping[str, Any], columns: Iterable[str]) -> dict[str, str]:
    """All OSM tags of a pyrosm row: the JSON ``tags`` column plus the tag columns."""
    out: dict[str, str] = {}
    t = row.get("tags")
    if isinstance(t, str) and t:
        try:
            out.update(json.loads(t))
        except ValueError:
            pass
    elif isinstance(t, dict):
        out.update(t)
    for c in columns:
        if c in _TAG_COLUMNS_SKIP:
            continue
        v = row.get(c)
        if isinstance(v, str) and v:
            out[c] = v
    return out


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ""
