"""What a flood does to the twin: closed roads, slowed traffic, flooded buildings, people,
reachable shelters and rescue routes. Plain functions on the road graph, GeoDataFrames and
depth grids; the city itself is never modified (a flooded graph is a copy).
"""
from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from terrain.raster import Raster
from twin.places import of_kind
from twin.roads import add_travel_times, nearest_node
from twin.routing import multi_source_times, path_coords


def flooded_speed_kph(depth_m: np.ndarray, limit_kph: np.ndarray, closure_depth_m: float) -> np.ndarray:
    """Vehicle speed on a flooded road: the depth-disruption function of Pregnolato et al.
    (2017, Transp. Res. D 55, 67-81, eq. 3), ``v = 0.0009 w^2 - 0.5529 w + 86.9448`` km/h for
    water depth w in mm (valid to 300 mm), capped by the speed limit; 0 (closed) beyond
    ``closure_depth_m``."""
    w = np.clip(np.asarray(depth_m, float) * 1000.0, 0.0, 300.0)
    v = 0.0009 * w ** 2 - 0.5529 * w + 86.9448
    v = np.minimum(v, np.asarray(limit_kph, float))
    return np.where(np.asarray(depth_m) > closure_depth_m, 0.0, v)


class EdgeSampler:
    """Sample points along every road edge (about one per grid cell) to read depths fast; a
    bridge (edge attribute ``bridge``) is sampled at its two ends only."""

    def __init__(self, g: nx.MultiDiGraph, grid: Raster):
        self.keys = list(g.edges(keys=True))
        step = max(grid.res) / 2
        rows, cols, inside, starts = [], [], [], []
        n = 0
        for u, v, k in self.keys:
            geom: LineString = g.edges[u, v, k]["geometry"]
            m = max(int(np.ceil(geom.length / step)), 1)
            # a bridge deck is above the water beneath it: only its approaches (the ends) can flood
            along = [0.0, geom.length] if g.edges[u, v, k].get("bridge") else np.linspace(0.0, geom.length, m + 1)
            pts = [geom.interpolate(s) for s in along]
            r, c = grid.rowcol(np.array([p.x for p in pts]), np.array([p.y for p in pts]))
            ok = (r >= 0) & (r < grid.shape[0]) & (c >= 0) & (c < grid.shape[1])
            r, c = np.where(ok, r, 0), np.where(ok, c, 0)
            starts.append(n)
            rows.append(r)
            cols.append(c)
            inside.append(ok)
            n += len(r)
        self.rows = np.concatenate(rows)
        self.cols = np.concatenate(cols)
        self.inside = np.concatenate(inside)
        self.starts = np.asarray(starts)

    def max_depth(self, depth: np.ndarray) -> np.ndarray:
        """Largest depth along each edge (m), in the order of ``self.keys``; 0 off the grid."""
        return np.maximum.reduceat(np.where(self.inside, depth[self.rows, self.cols], 0.0), self.starts)


def road_impacts(g: nx.MultiDiGraph, sampler: EdgeSampler, h_max: np.ndarray, frames: np.ndarray,
                 times_s: np.ndarray, closure_depth_m: float) -> gpd.GeoDataFrame:
    """Per edge: maximum depth, closed or not, when it closed and reopened, flooded speed."""
    dmax = sampler.max_depth(h_max)
    per_frame = np.stack([sampler.max_depth(f) for f in frames]) if len(frames) else np.zeros((0, len(dmax)))
    closed_t = per_frame > closure_depth_m
    first = np.where(closed_t.any(0), times_s[np.argmax(closed_t, axis=0)] if len(times_s) else np.nan, np.nan)
    last_closed = np.where(closed_t.any(0), times_s[len(times_s) - 1 - np.argmax(closed_t[::-1], axis=0)]
                           if len(times_s) else np.nan, np.nan)
    rows = []
    for (u, v, k), d, t0, t1 in zip(sampler.keys, dmax, first, last_closed):
        e = g.edges[u, v, k]
        rows.append({"u": u, "v": v, "key": k, "name": e["name"], "highway": e["highway"], "lanes": e["lanes"],
                     "speed_kph": e["speed_kph"], "length_m": e["length_m"], "max_depth_m": float(d),
                     "closed": bool(d > closure_depth_m), "closed_from_s": float(t0), "closed_last_seen_s": float(t1),
                     "geometry": e["geometry"]})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=g.graph["crs"])
    gdf["flooded_speed_kph"] = flooded_speed_kph(gdf["max_depth_m"], gdf["speed_kph"], closure_depth_m)
    return gdf


def flooded_graph(g: nx.MultiDiGraph, edges: gpd.GeoDataFrame, depth_col: str = "max_depth_m",
                  closure_depth_m: float = 0.3) -> nx.MultiDiGraph:
    """A copy of the road graph without the impassable edges, with ``travel_time_s`` from the
    flooded speeds of the rest."""
    h = g.copy()
    add_travel_times(h)
    speed = edges["flooded_speed_kph"].to_numpy() if depth_col == "max_depth_m" and "flooded_speed_kph" in edges \
        else flooded_speed_kph(edges[depth_col].to_numpy(), edges["speed_kph"].to_numpy(), closure_depth_m)
    for (u, v, k), s in zip(edges[["u", "v", "key"]].itertuples(index=False, name=None), speed):
        if s <= 0:
            h.remove_edge(u, v, k)
        else:
            h.edges[u, v, k]["travel_time_s"] = h.edges[u, v, k]["length_m"] / (s / 3.6)
    return h


def building_impacts(buildings: gpd.GeoDataFrame, depth: Raster, threshold_m: float) -> gpd.GeoDataFrame:
    """Water depth against each building: the largest depth in the cells touching its outline
    (points every half cell on a ring 0.75 cell outside the footprint, since in a DSM the
    footprint itself is raised)."""
    import shapely

    out = buildings[["building_id", "use", "height_m", "population", "geometry"]].copy()
    ring = shapely.segmentize(shapely.boundary(shapely.buffer(buildings.geometry.values, 0.75 * max(depth.res))),
                              max(depth.res) / 2)
    xy, owner = shapely.get_coordinates(ring, return_index=True)
    r, c = depth.rowcol(xy[:, 0], xy[:, 1])
    ok = (r >= 0) & (r < depth.shape[0]) & (c >= 0) & (c < depth.shape[1])
    vals = np.where(ok, depth.data[np.clip(r, 0, depth.shape[0] - 1), np.clip(c, 0, depth.shape[1] - 1)], 0.0)
    d = np.zeros(len(out))
    np.maximum.at(d, owner, vals)
    out["flood_depth_m"] = d
    out["flooded"] = d > threshold_m
    return out


def shelter_access(city: Any, g_flooded: nx.MultiDiGraph, depth: Raster, threshold_m: float) -> gpd.GeoDataFrame:
    """For each shelter: depth at the site, the fastest fire-station route to it on the flooded
    network, and whether it stays usable (site dry and reachable)."""
    shelters = of_kind(city.places, "shelter")
    stations = of_kind(city.places, "fire_station")
    st_nodes = [nearest_node(g_flooded, p.x, p.y) for p in stations.geometry.representative_point()]
    rows = []
    times = multi_source_times(g_flooded, st_nodes)
    for _, s in shelters.iterrows():
        p = s.geometry.representative_point()
        r, c = depth.rowcol(np.array([p.x]), np.array([p.y]))
        d = float(depth.data[r[0], c[0]]) if 0 <= r[0] < depth.shape[0] and 0 <= c[0] < depth.shape[1] else 0.0
        n = nearest_node(g_flooded, p.x, p.y)
        t = times.get(n, np.inf)
        rows.append({"name": s["name"], "capacity_persons": s.get("capacity_persons", np.nan), "site_depth_m": d,
                     "travel_time_from_fire_station_s": float(t), "reachable": bool(np.isfinite(t)),
                     "usable": bool(np.isfinite(t) and d <= threshold_m), "geometry": s.geometry})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=city.crs)


def rescue_routes(city: Any, g_dry: nx.MultiDiGraph, g_flooded: nx.MultiDiGraph,
                  targets: list[tuple[str, float, float]]) -> gpd.GeoDataFrame:
    """Fastest route to each target from any fire station or hospital on the flooded network,
    compared with the same trip on the dry network."""
    bases = pd.concat([of_kind(city.places, "fire_station").assign(base="fire_station"),
                       of_kind(city.places, "hospital").assign(base="hospital")])
    rows = []
    # the flooded graph keeps every node (only edges are removed): one nearest-node lookup per base
    base_nodes = [(nearest_node(g_dry, p.x, p.y), b["name"], b["base"])
                  for p, (_, b) in zip(bases.geometry.representative_point(), bases.iterrows())]
    for name, x, y in targets:
        tgt_dry = nearest_node(g_dry, x, y)
        best = None
        for src, bname, btype in base_nodes:
            try:
                t, path = nx.single_source_dijkstra(g_flooded, src, tgt_dry, weight="travel_time_s")
            except nx.NetworkXNoPath:
                continue
            if best is None or t < best[0]:
                best = (t, path, bname, btype, src)
        if best is None:
            rows.append({"target": name, "from": "", "base": "", "time_s": np.inf, "dry_time_s": np.nan,
                         "delay_s": np.inf, "reachable": False, "geometry": Point(x, y)})
            continue
        t, path, bname, btype, src_dry = best
        t_dry = nx.shortest_path_length(g_dry, src_dry, tgt_dry, weight="travel_time_s")
        coords = path_coords(g_flooded, path)
        rows.append({"target": name, "from": bname, "base": btype, "time_s": float(t), "dry_time_s": float(t_dry),
                     "delay_s": float(t - t_dry), "reachable": True,
                     "geometry": LineString(coords) if len(coords) > 1 else Point(x, y)})
    cols = ["target", "from", "base", "time_s", "dry_time_s", "delay_s", "reachable", "geometry"]
    return gpd.GeoDataFrame(rows or None, columns=cols, geometry="geometry", crs=city.crs)  # none: no target
