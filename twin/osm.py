"""Build a :class:`twin.city.City` from an OpenStreetMap ``.pbf`` extract and a DEM.

:func:`import_osm` reads the extract with pyrosm and produces, in one projected
metric CRS:

* the driving network as a ``networkx.MultiDiGraph`` following
  :data:`twin.schema.NODE_ATTRS` / :data:`twin.schema.EDGE_ATTRS`;
* building footprints following :data:`twin.schema.BUILDING_COLUMNS`;
* places (hospitals, fire stations, shelters, scenic spots) following
  :data:`twin.schema.PLACE_KINDS`;
* the DEM as terrain, reprojected when it is geographic.

Choice of CRS
-------------
1. ``crs`` when given (the DEM is reprojected to it when it differs);
2. else the DEM's CRS when it is projected with metre units;
3. else, when the DEM centre lies in China's CGCS2000 area of use
   (73.62-134.77E, 16.70-53.56N, from the EPSG:4490 record; a rectangle, so it
   also covers parts of neighbouring countries), the CGCS2000 3-degree
   Gauss-Kruger zone of the centre longitude (:func:`twin.crs.gk3_crs`);
4. else the WGS 84 UTM zone of the centre (``pyproj.database.query_utm_crs_info``).

Road graph
----------
pyrosm returns every way of the driving network split into two-point segments
between consecutive OSM nodes. The graph keeps as nodes (OSM node ids) only the
way ends, the nodes shared by two or more ways (junctions), nodes a way passes
twice, and signal nodes; the segments between them are merged into one edge
whose geometry runs through every OSM vertex (osmnx-style simplification, but
signals are never merged away). ``length_m`` is the planar length of that
geometry in the city CRS.

*Signals*: a node is ``signal=True`` when it carries ``highway=traffic_signals``
(any ``traffic_signals:direction``). In OSM the tag sits either on the junction
node or, for larger junctions, on the stop-line nodes of each approach just
before it; both are kept as they are (each tagged node becomes a graph node with
``default_phase_plan()``), so a vehicle driving through a stop-line-mapped
junction meets exactly one signal on its approach. Signalised pedestrian
crossings (``highway=crossing`` + ``crossing=traffic_signals``) are *not*
marked: most sit on the arms of a signalised junction and are run by its
controller, and marking them would put two or three stops on one approach.

*Direction*: ``oneway=yes/true/1`` keeps the way direction, ``-1``/``reverse``
reverses it (geometry from the true start), ``junction=roundabout/circular`` and
``highway=motorway`` imply ``oneway=yes``; ``reversible``/``alternating`` and
anything else are treated as two-way. Two-way ways get one edge per direction
with reversed geometry.

*Lanes* (per direction): ``lanes:forward`` / ``lanes:backward`` when present; else
the ``lanes`` tag, which counts both directions on a two-way road, halved and
rounded up (when one of ``lanes:forward/backward`` is given the other direction
gets the remainder); for one-way roads ``lanes`` as is; else
:data:`twin.roads.DEFAULT_LANES`. At least 1.

*Speed*: ``maxspeed`` (or ``maxspeed:forward/backward``) parsed by
:func:`parse_maxspeed`; else :data:`twin.roads.DEFAULT_SPEED_KPH` by
:func:`twin.roads.road_class`.

Buildings
---------
``height_m`` from ``height`` (:func:`parse_height`); else ``building:levels`` x
:data:`LEVEL_HEIGHT_M`; else :data:`DEFAULT_LEVELS` for the building's use x
:data:`LEVEL_HEIGHT_M` (roof storeys, ``min_height`` and building parts are
ignored). ``levels`` is the ``building:levels`` tag rounded to an integer, or 0
when not tagged (schema: 0 = unknown), also when the height was defaulted.
``use`` comes from :func:`building_use`: the ``building`` value, then
``amenity``/``shop``/``office``/``tourism``/``healthcare`` tags, then the
``landuse`` polygon containing the footprint's representative point.
``population`` is NaN (OSM has no occupancy). Invalid footprints are repaired
with ``shapely.make_valid`` (polygonal parts kept); those with less than
:data:`MIN_FOOTPRINT_M2` of polygonal area left (clipped extracts cut rings into
lines) are dropped; both are counted in ``meta["import"]`` and logged.

Places
------
* ``amenity=hospital`` / ``healthcare=hospital`` -> ``hospital`` (``beds`` from
  the ``beds`` tag when numeric);
* ``amenity=fire_station`` -> ``fire_station``;
* ``emergency=assembly_point``, ``amenity=shelter`` -> ``shelter``, except
  ``shelter_type`` public_transport / picnic_shelter / lean_to / basic_hut
  (bus stops and huts are not refuges). ``capacity_persons`` from the
  ``capacity`` tag, else area / :data:`SHELTER_M2_PER_PERSON` (2 m2/person: the
  per-capita effective refuge area GB 51143-2015 "Code for design of disaster
  mitigation emergency congregate shelter" gives for short-term fixed shelters;
  emergency (immediate) shelters allow 0.5-1 m2, so 2 m2 is the conservative
  choice); a point feature is given the area of the building footprint it lies
  in, else :data:`DEFAULT_POINT_AREA_M2`;
* ``tourism=attraction/theme_park/zoo/museum/viewpoint`` -> ``scenic_spot`` with
  ``area_m2`` from the polygon (points: containing building footprint, else
  :data:`DEFAULT_POINT_AREA_M2`) and ``capacity_persons = area_m2 /``
  :data:`SCENIC_M2_PER_PERSON` (3 m2/person: LB/T 034-2014 "Guidelines for
  the verification of tourist carrying capacity in scenic areas" sets per-capita
  space by sub-area, about 1-5 m2/person; 3 m2 is the middle of that range).

A point place lying inside a polygon place of the same kind (a hospital node
inside the hospital grounds) is dropped as a duplicate. ``attrs`` also records
``capacity_basis`` ("tag", "area", "building", "default") for shelters and
scenic spots.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon

from terrain.raster import read_raster
from terrain.sample import sample
from terrain.warp import reproject
from twin.city import City
from twin.crs import gk3_crs, require_projected
from twin.errors import CityError, InputError, TwinError
from twin.places import make_places
from twin.roads import (DEFAULT_SPEED_KPH, default_lanes, LANE_CAPACITY_VPH, default_phase_plan,
                        road_class)
from twin.osm_tags import (  # noqa: F401  (parsers and defaults are part of twin.osm's interface)
    LEVEL_HEIGHT_M, DEFAULT_LEVELS, SMALL_BUILDING_TYPES, SHELTER_M2_PER_PERSON, SCENIC_M2_PER_PERSON,
    DEFAULT_POINT_AREA_M2, MIN_FOOTPRINT_M2, MIN_DEM_COVERAGE, _TAG_COLUMNS_SKIP, _SHELTER_TYPES_SKIPPED,
    _NUM, _num, parse_maxspeed, parse_height, parse_levels,
    parse_oneway, lanes_per_direction, building_use, _row_tags, _str,
)
from twin.schema import BUILDING_COLUMNS, BUILDING_USES

log = logging.getLogger(__name__)

class _Stages:
    """A tqdm bar over the import stages (stderr; off when not wanted or not a tty)."""

    def __init__(self, names: list[str], enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=len(names), desc="import-osm", unit="stage", file=sys.stderr,
                        disable=not (enabled and sys.stderr.isatty()), leave=False)
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._name: str | None = None
        self._t = self.t0

    def start(self, name: str) -> None:
        self._close_stage()
        self._name, self._t = name, time.perf_counter()
        self.bar.set_postfix_str(name)

    def _close_stage(self) -> None:
        if self._name is not None:
            self.timings[self._name] = round(time.perf_counter() - self._t, 3)
            self.bar.update(1)
            self._name = None

    def close(self) -> None:
        self._close_stage()
        self.bar.close()


def _pyrosm_call(pbf: Path, fn, *args, **kwargs):
    """Call a pyrosm reader; turn its failures into one-line InputErrors naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except TwinError:
        raise
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{pbf}: cannot read OSM data ({msg[:200]})") from None


# ------------------------------------------------------------------------ CRS
def choose_crs(dem_crs: CRS, dem_bounds: tuple[float, float, float, float], crs: Any = None) -> CRS:
    """The city CRS for a DEM (see the module docstring for the rules)."""
    if crs is not None:
        return require_projected(crs, what="crs argument")
    try:
        return require_projected(dem_crs, what="DEM")
    except CityError:
        pass
    l, b, r, t = dem_bounds
    to_ll = Transformer.from_crs(dem_crs, CRS.from_epsg(4326), always_xy=True)
    lon, lat = to_ll.transform((l + r) / 2, (b + t) / 2)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError(f"DEM centre in {dem_crs.to_string()} cannot be converted to longitude/latitude")
    aou = CRS.from_epsg(4490).area_of_use
    if aou.west <= lon <= aou.east and aou.south <= lat <= aou.north:
        return gk3_crs(lon)
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    infos = query_utm_crs_info(datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    if infos:
        return CRS.from_epsg(int(infos[0].code))
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_dict({"proj": "utm", "zone": zone, "south": lat < 0, "datum": "WGS84"})


def _fmt_bounds(b: Iterable[float]) -> str:
    return "(" + ", ".join(f"{v:.0f}" for v in b) + ")"


# ---------------------------------------------------------------------- roads
def build_road_graph(nodes: pd.DataFrame, edges: gpd.GeoDataFrame,
                     crs: CRS) -> tuple[nx.MultiDiGraph, dict[str, int]]:
    """Directed road graph in ``crs`` from pyrosm's ``get_network(nodes=True)`` frames.

    Returns the graph (without elevations; ``elevation_m`` is NaN) and counts.
    """
    to_xy = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
    nid = nodes["id"].to_numpy(dtype=np.int64)
    nx_, ny_ = to_xy.transform(nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float))
    xy = {int(i): (float(a), float(b)) for i, a, b in zip(nid, nx_, ny_)}
    signals = set()
    for i, t in zip(nid, nodes["tags"] if "tags" in nodes else [None] * len(nid)):
        if isinstance(t, str) and "traffic_signals" in t:
            t = json.loads(t)
        if isinstance(t, dict) and t.get("highway") == "traffic_signals":
            signals.add(int(i))

    # node sequence and tags of every way (segments come in way order, u -> v)
    seqs: dict[int, list[int | None]] = {}
    wid = edges["id"].to_numpy(np.int64)
    order = np.argsort(wid, kind="stable")
    wid_s = wid[order]
    us_s, vs_s = edges["u"].to_numpy(np.int64)[order], edges["v"].to_numpy(np.int64)[order]
    starts = np.flatnonzero(np.r_[True, wid_s[1:] != wid_s[:-1]])
    for s0, s1 in zip(starts, np.r_[starts[1:], len(wid_s)]):
        us, vs = us_s[s0:s1].tolist(), vs_s[s0:s1].tolist()
        seq: list[int | None] = [us[0]]
        for a, b in zip(us, vs):
            if a != seq[-1]:  # a gap (should not happen): start a new piece at a
                seq += [None, a]
            seq.append(b)
        seqs[int(wid_s[s0])] = seq
    cols = [c for c in edges.columns if c not in _TAG_COLUMNS_SKIP]
    firsts = edges.drop_duplicates("id")
    keep = [*cols, "id", *(["tags"] if "tags" in firsts else [])]
    way_tags = {int(r["id"]): _row_tags(r, cols) for r in firsts[keep].to_dict("records")}

    # break nodes: way ends, nodes on 2+ ways or twice on one way, signals
    n_ways: dict[int, int] = defaultdict(int)
    breaks: set[int] = set(signals)
    for seq in seqs.values():
        pieces = _split_gaps(seq)
        seen: set[int] = set()
        for piece in pieces:
            breaks.add(piece[0])
            breaks.add(piece[-1])
            inner = piece[1:-1] if piece[0] != piece[-1] else piece[:-1]
            for n in inner:
                if n in seen:
                    breaks.add(n)
                seen.add(n)
        for n in set(x for p in pieces for x in p):
            n_ways[n] += 1
    breaks.update(n for n, k in n_ways.items() if k > 1)

    g = nx.MultiDiGraph()
    seen_edges: set[tuple] = set()
    counts = {"ways": len(seqs), "duplicate_edges_dropped": 0}
    for wid, seq in seqs.items():
        tags = way_tags[wid]
        hw = _str(tags.get("highway")) or "unclassified"
        cls = road_class(hw)
        ow = parse_oneway(tags)
        name = _str(tags.get("name"))
        bridge = _str(tags.get("bridge")) not in ("", "no")  # deck above the ground: floods do not reach it
        for piece in _split_gaps(seq):
            for chain in _chains(piece, breaks):
                coords = [xy[n] for n in chain]
                if len(coords) < 2:
                    continue
                dirs = {1: [True], -1: [False], 0: [True, False]}[ow]
                for fwd in dirs:
                    u, v = (chain[0], chain[-1]) if fwd else (chain[-1], chain[0])
                    geom = LineString(coords if fwd else coords[::-1])
                    length = float(geom.length)
                    if not length > 0:
                        continue
                    sp = parse_maxspeed(tags.get("maxspeed:forward" if fwd else "maxspeed:backward")) \
                        or parse_maxspeed(tags.get("maxspeed")) or DEFAULT_SPEED_KPH[cls]
                    lanes = lanes_per_direction(tags, ow, fwd) or default_lanes(hw)
                    attrs = {
                        "length_m": length, "speed_kph": float(sp), "lanes": int(lanes),
                        "capacity_vph": float(lanes * LANE_CAPACITY_VPH[cls]), "oneway": ow != 0,
                        "highway": hw, "name": name, "bridge": bridge, "geometry": geom,
                    }
                    sig = (u, v, geom.wkb, tuple((k, a) for k, a in attrs.items() if k != "geometry"))
                    if sig in seen_edges:
                        counts["duplicate_edges_dropped"] += 1
                        continue
                    seen_edges.add(sig)
                    for n in (u, v):
                        if n not in g:
                            g.add_node(n, x=xy[n][0], y=xy[n][1], elevation_m=math.nan,
                                       signal=n in signals,
                                       phase_plan=default_phase_plan() if n in signals else None)
                    g.add_edge(u, v, **attrs)
    g.graph["crs"] = crs
    counts["signals"] = sum(1 for _, s in g.nodes(data="signal") if s)
    counts["signal_tags"] = len(signals)
    return g, counts


def _split_gaps(seq: list[int | None]) -> list[list[int]]:
    out, cur = [], []
    for n in seq:
        if n is None:
            if len(cur) > 1:
                out.append(cur)
            cur = []
        else:
            cur.append(n)
    if len(cur) > 1:
        out.append(cur)
    return out


def _chains(piece: list[int], breaks: set[int]) -> list[list[int]]:
    """Split a way's node sequence at break nodes (inclusive on both sides)."""
    chains, cur = [], [piece[0]]
    for n in piece[1:]:
        cur.append(n)
        if n in breaks:
            chains.append(cur)
            cur = [n]
    if len(cur) > 1:
        chains.append(cur)
    return chains


# ------------------------------------------------------------------ buildings
def _polygonal(geom: Any) -> Polygon | MultiPolygon | None:
    """The polygonal part of a geometry (after make_valid), or None when it has no area."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        if geom.geom_type != "GeometryCollection":
            return None
        polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        parts = [q for p in polys for q in shapely.get_parts(p)]
        if not parts:
            return None
        geom = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    return geom if geom.area > 0 else None


def _fix_polygons(gs: gpd.GeoSeries) -> tuple[gpd.GeoSeries, int, int]:
    """Keep Polygon/MultiPolygon of at least MIN_FOOTPRINT_M2, repairing invalid ones.

    Returns (series with None for dropped rows, repaired count, dropped count);
    a footprint repaired into a sliver counts as both.
    """
    fixed = dropped = 0
    out = []
    for geom in gs:
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            out.append(None)
            dropped += 1
            continue
        if not geom.is_valid:
            geom = _polygonal(shapely.make_valid(geom))
            fixed += geom is not None
        if geom is None or geom.area < MIN_FOOTPRINT_M2:
            dropped += 1
            out.append(None)
            continue
        out.append(geom)
    return gpd.GeoSeries(out, index=gs.index, crs=gs.crs), fixed, dropped


def build_buildings(raw: gpd.GeoDataFrame | None, landuse: gpd.GeoDataFrame | None, crs: CRS,
                    default_levels: Mapping[str, int]) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Buildings per :data:`twin.schema.BUILDING_COLUMNS` from pyrosm's ``get_buildings()``."""
    cols = [*BUILDING_COLUMNS, "geometry"]
    counts = {"buildings_read": 0, "buildings_fixed": 0, "buildings_dropped": 0,
              "height_from_tag": 0, "height_from_levels": 0, "height_default": 0}
    if raw is None or len(raw) == 0:
        empty = {"building_id": pd.Series([], dtype=object), "height_m": pd.Series([], dtype=float),
                 "use": pd.Series([], dtype=object), "levels": pd.Series([], dtype=np.int64),
                 "population": pd.Series([], dtype=float), "name": pd.Series([], dtype=object)}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=crs), crs=crs), counts
    counts["buildings_read"] = len(raw)
    raw = raw.to_crs(crs)
    geoms, counts["buildings_fixed"], counts["buildings_dropped"] = _fix_polygons(raw.geometry)
    keep = geoms.notna().to_numpy()
    raw, geoms = raw[keep], geoms[keep]
    if counts["buildings_fixed"] or counts["buildings_dropped"]:
        log.info("building footprints: %d invalid repaired with make_valid, %d dropped (no polygonal area "
                 ">= %g m2)", counts["buildings_fixed"], counts["buildings_dropped"], MIN_FOOTPRINT_M2)

    lu_of: dict[Any, str] = {}
    if landuse is not None and len(landuse) and "landuse" in landuse:
        lu = landuse[["landuse", "geometry"]].to_crs(crs)
        lu = lu[lu.geom_type.isin(["Polygon", "MultiPolygon"]) & lu.is_valid]
        pts = gpd.GeoDataFrame(geometry=geoms.representative_point(), crs=crs)
        hit = gpd.sjoin(pts, lu, how="inner", predicate="within")
        # smallest enclosing landuse polygon wins
        if len(hit):
            hit = hit.assign(_a=lu.area.reindex(hit["index_right"]).to_numpy()).sort_values("_a")
            lu_of = hit.groupby(level=0)["landuse"].first().to_dict()

    tag_cols = list(raw.columns)
    rows = []
    for idx, rec, geom in zip(raw.index, raw.to_dict("records"), geoms):
        tags = _row_tags(rec, tag_cols)
        use = building_use(tags, lu_of.get(idx))
        h = parse_height(tags.get("height"))
        lv = parse_levels(tags.get("building:levels"))
        if h is not None:
            counts["height_from_tag"] += 1
        elif lv is not None:
            h = lv * LEVEL_HEIGHT_M
            counts["height_from_levels"] += 1
        else:
            b = str(tags.get("building") or "yes").lower()
            n = 1 if b in SMALL_BUILDING_TYPES else default_levels[use]
            h = n * LEVEL_HEIGHT_M
            counts["height_default"] += 1
        osm_type = _str(rec.get("osm_type")) or "way"
        rows.append({
            "building_id": f"osm-{osm_type}-{int(rec['id'])}",
            "height_m": float(h),
            "use": use,
            "levels": int(math.floor(lv + 0.5)) if lv is not None else 0,
            "population": math.nan,
            "name": _str(tags.get("name")),
            "geometry": geom,
        })
    gdf = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=crs)
    gdf = gdf.drop_duplicates("building_id").reset_index(drop=True)
    gdf["levels"] = gdf["levels"].astype(np.int64)
    gdf["height_m"] = gdf["height_m"].astype(float)
    gdf["population"] = gdf["population"].astype(float)
    return gdf, counts


# --------------------------------------------------------------------- places
POI_FILTER = {
    "amenity": ["hospital", "fire_station", "shelter"],
    "healthcare": ["hospital"],
    "emergency": ["assembly_point"],
    "tourism": ["attraction", "theme_park", "zoo", "museum", "viewpoint"],
}


def place_kind(tags: Mapping[str, str]) -> str | None:
    """The place kind of an OSM feature, or None."""
    amen = tags.get("amenity")
    if amen == "hospital" or tags.get("healthcare") == "hospital":
        return "hospital"
    if amen == "fire_station":
        return "fire_station"
    if tags.get("emergency") == "assembly_point":
        return "shelter"
    if amen == "shelter" and tags.get("shelter_type") not in _SHELTER_TYPES_SKIPPED:
        return "shelter"
    if tags.get("tourism") in POI_FILTER["tourism"]:
        return "scenic_spot"
    return None


def _first_number(v: Any) -> float | None:
    if v is None:
        return None
    m = re.search(_NUM, str(v))
    return _num(m.group(1)) if m else None


def build_places(raw: gpd.GeoDataFrame | None, buildings: gpd.GeoDataFrame,
                 crs: CRS) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Places (see the module docstring) from pyrosm's ``get_pois(custom_filter=POI_FILTER)``."""
    if raw is None or len(raw) == 0:
        return make_places([], crs), {}
    raw = raw.to_crs(crs)
    tag_cols = list(raw.columns)
    cands = []
    for rec in raw.to_dict("records"):
        tags = _row_tags(rec, tag_cols)
        kind = place_kind(tags)
        geom = rec["geometry"]
        if kind is None or geom is None or geom.is_empty:
            continue
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            if not geom.is_valid:
                geom = _polygonal(shapely.make_valid(geom))
                if geom is None:
                    continue
        elif geom.geom_type != "Point":
            geom = geom.centroid if geom.geom_type != "MultiPoint" else geom.centroid
        osm_type = _str(rec.get("osm_type")) or "node"
        cands.append({"place_id": f"osm-{osm_type}-{int(rec['id'])}", "kind": kind,
                      "name": _str(tags.get("name")), "geometry": geom, "tags": tags})
    # drop points inside a polygon of the same kind
    polys = defaultdict(list)
    for c in cands:
        if c["geometry"].geom_type != "Point":
            polys[c["kind"]].append(c["geometry"])
    cands = [c for c in cands if c["geometry"].geom_type != "Point"
             or not any(p.covers(c["geometry"]) for p in polys[c["kind"]])]

    bidx = buildings.sindex if len(buildings) else None
    records, seen = [], set()
    for c in cands:
        if c["place_id"] in seen:
            continue
        seen.add(c["place_id"])
        kind, tags, geom = c["kind"], c["tags"], c["geometry"]
        rec = {"place_id": c["place_id"], "kind": kind, "name": c["name"], "geometry": geom}
        if kind == "hospital":
            beds = _first_number(tags.get("beds"))
            if beds is not None:
                rec["beds"] = float(beds)
        elif kind in ("shelter", "scenic_spot"):
            if geom.geom_type == "Point":
                area, basis = DEFAULT_POINT_AREA_M2[kind], "default"
                if bidx is not None:
                    hits = bidx.query(geom, predicate="within")
                    if len(hits):
                        area, basis = float(buildings.geometry.iloc[hits[0]].area), "building"
            else:
                area, basis = float(geom.area), "area"
            cap = _first_number(tags.get("capacity")) if kind == "shelter" else None
            if cap is not None and cap > 0:
                rec["capacity_persons"], basis = float(cap), "tag"
            else:
                per = SHELTER_M2_PER_PERSON if kind == "shelter" else SCENIC_M2_PER_PERSON
                rec["capacity_persons"] = float(math.floor(area / per))
            if kind == "scenic_spot":
                rec["area_m2"] = float(area)
            rec["capacity_basis"] = basis
        records.append(rec)
    places = make_places(records, crs)
    return places, {k: int(v) for k, v in places["kind"].value_counts().sort_index().items()}


# --------------------------------------------------------------------- import
def import_osm(pbf: str | os.PathLike, dem: str | os.PathLike, *, name: str | None = None,
               crs: Any = None, default_levels: int | Mapping[str, int] | None = None,
               progress: bool = True) -> City:
    """Build a city from an OSM ``.pbf`` extract and a DEM GeoTIFF.

    Parameters
    ----------
    pbf : path of the OSM extract (read with pyrosm).
    dem : path of the DEM (any GDAL raster with a CRS; geographic DEMs are
        reprojected to the city CRS with bilinear resampling).
    name : city name; default the PBF file name without ``.osm.pbf``.
    crs : city CRS (projected, metres); default: the DEM's CRS when projected,
        else CGCS2000 3-degree GK (in China) or UTM (see the module docstring).
    default_levels : storeys assumed for buildings with neither ``height`` nor
        ``building:levels``: an int for every use, or a ``{use: storeys}``
        mapping overriding :data:`DEFAULT_LEVELS`.
    progress : show a stage bar on stderr (only when stderr is a terminal).

    Raises
    ------
    InputError : missing/unreadable PBF or DEM, DEM without CRS or all nodata.
    CityError : no drivable roads in the extract; the DEM covers fewer than
        50 % of the road nodes; a layer breaks the city schema.
    """
    levels = dict(DEFAULT_LEVELS)
    if isinstance(default_levels, Mapping):
        unknown = set(default_levels) - set(BUILDING_USES)
        if unknown:
            raise InputError(f"default_levels: unknown use(s) {sorted(unknown)}; expected {BUILDING_USES}")
        levels.update({k: int(v) for k, v in default_levels.items()})
    elif default_levels is not None:
        levels = {k: int(default_levels) for k in levels}
    if any(v < 1 for v in levels.values()):
        raise InputError(f"default_levels: storeys must be >= 1, got {levels}")

    pbf_p, dem_p = Path(pbf), Path(dem)
    city_name = name or re.sub(r"(\.osm)?\.pbf$", "", pbf_p.name, flags=re.I) or pbf_p.stem
    if not pbf_p.is_file():
        raise InputError(f"{pbf_p}: file not found (expected an OpenStreetMap .osm.pbf extract)")
    if not dem_p.exists():
        raise InputError(f"{dem_p}: file not found (expected a DEM GeoTIFF)")

    st = _Stages(["DEM", "open PBF", "roads", "elevation", "buildings", "places", "city"], progress)
    try:
        st.start("DEM")
        terrain = read_raster(dem_p)
        city_crs = choose_crs(terrain.crs, terrain.bounds, crs)
        reprojected = terrain.crs != city_crs
        if reprojected:
            terrain = reproject(terrain, city_crs)
            if not np.isfinite(terrain.data).any():
                raise CityError(f"{dem_p}: DEM has no valid cells after reprojection to {city_crs.to_string()}")
        terrain.crs = city_crs

        st.start("open PBF")
        import pyrosm

        osm = _pyrosm_call(pbf_p, pyrosm.OSM, str(pbf_p))

        st.start("roads")
        net = _pyrosm_call(pbf_p, osm.get_network, network_type="driving", nodes=True)
        if net is None or net[1] is None or len(net[1]) == 0:
            raise CityError(f"{pbf_p}: no drivable roads in the extract")
        nodes, edges = net
        roads, rcounts = build_road_graph(nodes, edges, city_crs)
        if roads.number_of_edges() == 0:
            raise CityError(f"{pbf_p}: no drivable roads in the extract")

        st.start("elevation")
        ids = list(roads.nodes)
        xs = np.array([roads.nodes[n]["x"] for n in ids])
        ys = np.array([roads.nodes[n]["y"] for n in ids])
        z = np.asarray(sample(terrain, xs, ys, method="bilinear"), dtype=float)
        ok = np.isfinite(z)
        if ok.mean() < MIN_DEM_COVERAGE:
            raise CityError(
                f"{dem_p}: DEM does not overlap the roads of {pbf_p.name}: {ok.sum()} of {len(ids)} road nodes "
                f"({ok.mean():.0%}) fall on valid DEM cells, need {MIN_DEM_COVERAGE:.0%}; DEM extent "
                f"{_fmt_bounds(terrain.bounds)}, roads extent {_fmt_bounds((xs.min(), ys.min(), xs.max(), ys.max()))} "
                f"in {city_crs.to_string()}")
        for n, zi in zip(ids, z):
            roads.nodes[n]["elevation_m"] = float(zi)

        st.start("buildings")
        raw_b = _pyrosm_call(pbf_p, osm.get_buildings)
        landuse = _pyrosm_call(pbf_p, osm.get_landuse) if raw_b is not None and len(raw_b) else None
        buildings, bcounts = build_buildings(raw_b, landuse, city_crs, levels)

        st.start("places")
        raw_p = _pyrosm_call(pbf_p, osm.get_pois, custom_filter=POI_FILTER)
        places, pcounts = build_places(raw_p, buildings, city_crs)

        st.start("city")
        scc = max((len(c) for c in nx.strongly_connected_components(roads)), default=0)
        roads.graph["name"] = city_name
        meta = {
            "source": {"pbf": pbf_p.name, "dem": dem_p.name},
            "import": {
                "importer": "twin.osm.import_osm",
                "dem_reprojected": bool(reprojected),
                "road_nodes": roads.number_of_nodes(),
                "road_edges": roads.number_of_edges(),
                "largest_scc_fraction": round(scc / max(roads.number_of_nodes(), 1), 4),
                "road_nodes_on_dem": round(float(ok.mean()), 4),
                **rcounts, **bcounts,
                "places": pcounts,
                "level_height_m": LEVEL_HEIGHT_M,
                "default_levels": levels,
                "shelter_m2_per_person": SHELTER_M2_PER_PERSON,
                "scenic_m2_per_person": SCENIC_M2_PER_PERSON,
            },
        }
        city = City(name=city_name, crs=city_crs, terrain=terrain, buildings=buildings, roads=roads,
                    places=places, meta=meta)
    finally:
        st.close()
    log.info("imported %s: %d road nodes, %d edges, %d signals, %d buildings, %d places in %.1f s",
             city.name, roads.number_of_nodes(), roads.number_of_edges(), rcounts["signals"],
             len(buildings), len(places), time.perf_counter() - st.t0)
    return city


__all__ = [
    "import_osm", "choose_crs", "build_road_graph", "build_buildings", "build_places",
    "parse_maxspeed", "parse_height", "parse_levels", "parse_oneway", "lanes_per_direction",
    "building_use", "place_kind", "LEVEL_HEIGHT_M", "DEFAULT_LEVELS", "SMALL_BUILDING_TYPES",
    "SHELTER_M2_PER_PERSON", "SCENIC_M2_PER_PERSON", "DEFAULT_POINT_AREA_M2", "MIN_DEM_COVERAGE",
    "MIN_FOOTPRINT_M2",
    "POI_FILTER",
]
