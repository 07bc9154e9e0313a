"""The road network: a ``networkx.MultiDiGraph`` in the city CRS, and its table form.

Nodes carry ``x, y, elevation_m, signal, phase_plan``; edges carry
``length_m, speed_kph, lanes, capacity_vph, oneway, highway, name, geometry``
(see :mod:`twin.schema`). The table form (two GeoDataFrames) is what goes into
the city GeoPackage; :func:`graph_to_frames` and :func:`frames_to_graph`
round-trip exactly.
"""
from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry import LineString

from twin.errors import CityError
from twin.schema import EDGE_ATTRS, NODE_ATTRS

# Default per-lane capacities (veh/h/lane) by road class. Values follow the
# Chinese urban road design code CJJ 37-2012 Table 4.2.2 (basic capacity of
# one lane at the design speed: 1,400-2,100 pcu/h on expressways, 1,650-1,800
# at 40-60 km/h), reduced for the friction of at-grade intersections on the
# lower classes; signalised approaches are limited separately by green time.
LANE_CAPACITY_VPH = {
    "motorway": 2000.0, "trunk": 1800.0, "primary": 1700.0, "secondary": 1600.0,
    "tertiary": 1400.0, "residential": 1000.0, "unclassified": 1000.0,
    "service": 600.0, "living_street": 400.0,
}
# Default speed limits (km/h) by class when no maxspeed tag exists (CJJ 37-2012
# design speeds: expressway 80-100, arterial 40-60, collector 30-50, local 20-40).
DEFAULT_SPEED_KPH = {
    "motorway": 100.0, "trunk": 80.0, "primary": 60.0, "secondary": 50.0,
    "tertiary": 40.0, "residential": 30.0, "unclassified": 30.0,
    "service": 20.0, "living_street": 10.0,
}
DEFAULT_LANES = {
    "motorway": 3, "trunk": 3, "primary": 2, "secondary": 2, "tertiary": 1,
    "residential": 1, "unclassified": 1, "service": 1, "living_street": 1,
}


def road_class(highway: str) -> str:
    """Map an OSM highway value (``primary_link`` etc.) to a key of the default tables."""
    h = (highway or "unclassified").replace("_link", "")
    return h if h in DEFAULT_SPEED_KPH else "unclassified"


def default_lanes(highway: str) -> int:
    """Lanes per direction when untagged: the class default, but one lane on ``*_link`` ramps."""
    return 1 if (highway or "").endswith("_link") else DEFAULT_LANES[road_class(highway)]


def default_phase_plan(cycle_s: float = 90.0, *, offset_s: float = 0.0, main_share: float = 0.55,
                       yellow_s: float = 3.0, all_red_s: float = 2.0) -> dict[str, Any]:
    """A two-phase fixed-time plan (main street, then side street).

    Green times split the cycle after subtracting lost time (yellow + all-red
    per phase). Returns a plain dict so it serialises to JSON unchanged.
    """
    lost = 2 * (yellow_s + all_red_s)
    g_main = round((cycle_s - lost) * main_share, 1)
    g_side = round(cycle_s - lost - g_main, 1)
    return {
        "cycle_s": float(cycle_s),
        "offset_s": float(offset_s),
        "phases": [
            {"name": "main", "green_s": g_main, "yellow_s": yellow_s, "all_red_s": all_red_s},
            {"name": "side", "green_s": g_side, "yellow_s": yellow_s, "all_red_s": all_red_s},
        ],
    }


def check_phase_plan(plan: dict[str, Any], *, where: str) -> None:
    """Raise :class:`CityError` unless the phases add up to the cycle."""
    try:
        total = sum(p["green_s"] + p["yellow_s"] + p["all_red_s"] for p in plan["phases"])
        cycle = plan["cycle_s"]
    except (KeyError, TypeError) as exc:
        raise CityError(f"{where}: phase plan lacks {exc}; expected cycle_s and phases[green_s, yellow_s, all_red_s]") from None
    if abs(total - cycle) > 1e-6:
        raise CityError(f"{where}: phases sum to {total:g} s but cycle_s is {cycle:g} s")


def graph_to_frames(g: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges as GeoDataFrames (``phase_plan`` JSON-encoded) for the GeoPackage."""
    crs = g.graph.get("crs")
    if crs is None:
        raise CityError("road graph has no 'crs' graph attribute")
    nid = list(g.nodes)
    nd = pd.DataFrame([{k: v for k, v in d.items()} for _, d in g.nodes(data=True)])
    nd.insert(0, "node_id", nid)
    if "phase_plan" in nd:
        nd["phase_plan"] = [json.dumps(p, sort_keys=True) if p else "" for p in nd["phase_plan"]]
    nodes = gpd.GeoDataFrame(nd, geometry=gpd.points_from_xy(nd["x"], nd["y"]), crs=crs)
    rows = []
    for u, v, k, d in g.edges(keys=True, data=True):
        row = {"u": u, "v": v, "key": k}
        row.update(d)
        rows.append(row)
    ed = pd.DataFrame(rows)
    if ed.empty:
        ed = pd.DataFrame(columns=["u", "v", "key", "geometry"])
    edges = gpd.GeoDataFrame(ed, geometry="geometry", crs=crs)
    return nodes, edges


def frames_to_graph(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, *, name: str = "") -> nx.MultiDiGraph:
    """Inverse of :func:`graph_to_frames`."""
    g = nx.MultiDiGraph(crs=CRS.from_user_input(nodes.crs), name=name)
    ncols = [c for c in nodes.columns if c not in ("node_id", "geometry")]
    for rec in nodes[["node_id", *ncols]].itertuples(index=False, name=None):
        d = dict(zip(ncols, rec[1:]))
        if "phase_plan" in d:
            d["phase_plan"] = json.loads(d["phase_plan"]) if d["phase_plan"] else None
        if "signal" in d:
            d["signal"] = bool(d["signal"])
        g.add_node(_native(rec[0]), **{k: _native(v) for k, v in d.items()})
    ecols = [c for c in edges.columns if c not in ("u", "v", "key")]
    for rec in edges[["u", "v", "key", *ecols]].itertuples(index=False, name=None):
        d = {k: _native(v) for k, v in zip(ecols, rec[3:])}
        if "oneway" in d:
            d["oneway"] = bool(d["oneway"])
        g.add_edge(_native(rec[0]), _native(rec[1]), key=int(rec[2]), **d)
    return g


def _native(v: Any) -> Any:
    """numpy scalars to Python scalars so graphs compare equal after a round trip."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def validate_graph(g: nx.MultiDiGraph, *, where: str = "roads") -> None:
    """Check the schema attributes are present with sane values; raise :class:`CityError`."""
    for n, d in g.nodes(data=True):
        missing = [a for a in NODE_ATTRS if a not in d]
        if missing:
            raise CityError(f"{where}: node {n} lacks attribute(s) {missing}")
        if d["signal"] and d["phase_plan"]:
            check_phase_plan(d["phase_plan"], where=f"{where}: node {n}")
    for u, v, k, d in g.edges(keys=True, data=True):
        missing = [a for a in EDGE_ATTRS if a not in d]
        if missing:
            raise CityError(f"{where}: edge ({u}, {v}, {k}) lacks attribute(s) {missing}")
        if not (d["length_m"] > 0 and d["speed_kph"] > 0 and d["lanes"] >= 1 and d["capacity_vph"] > 0):
            raise CityError(f"{where}: edge ({u}, {v}, {k}) needs length_m, speed_kph, capacity_vph > 0 and lanes >= 1")


def edge_travel_time_s(d: dict[str, Any]) -> float:
    """Free-flow travel time of an edge, seconds."""
    return d["length_m"] / (d["speed_kph"] / 3.6)


def add_travel_times(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Set ``travel_time_s`` on every edge (in place) and return the graph."""
    for _, _, d in g.edges(data=True):
        d["travel_time_s"] = edge_travel_time_s(d)
    return g


def straight_edge(g: nx.MultiDiGraph, u: Any, v: Any) -> LineString:
    """A straight LineString between two nodes of ``g``."""
    return LineString([(g.nodes[u]["x"], g.nodes[u]["y"]), (g.nodes[v]["x"], g.nodes[v]["y"])])


def nearest_node(g: nx.MultiDiGraph, x: float, y: float) -> Any:
    """Node closest to (x, y) in the graph's CRS (brute force; graphs here are small)."""
    ids = list(g.nodes)
    xy = np.array([(g.nodes[n]["x"], g.nodes[n]["y"]) for n in ids])
    return ids[int(np.argmin(np.hypot(xy[:, 0] - x, xy[:, 1] - y)))]


__all__ = [
    "LANE_CAPACITY_VPH", "DEFAULT_SPEED_KPH", "DEFAULT_LANES", "road_class", "default_lanes", "default_phase_plan",
    "check_phase_plan", "graph_to_frames", "frames_to_graph", "validate_graph", "edge_travel_time_s",
    "add_travel_times", "straight_edge", "nearest_node",
]
