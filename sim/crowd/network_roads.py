"""Road paths of the scenic network: the hub, the free-flow drive minutes between hub and spots over
the twin's road graph, and each origin-destination's links with their entry times (for the link loads
of :func:`sim.crowd.network.simulate_network`)."""
from __future__ import annotations

import difflib

import geopandas as gpd
import networkx as nx
import numpy as np

from sim.crowd.network_config import NetworkConfig
from twin.errors import InputError
from twin.routing import nearest_nodes, path_edges, routable


def _hub_xy(city, cfg: NetworkConfig, spots: gpd.GeoDataFrame) -> tuple[float, float]:
    if cfg.hub is None:
        c = spots.geometry.centroid
        return float(c.x.mean()), float(c.y.mean())
    if isinstance(cfg.hub, str):
        p = city.places
        hit = p[(p["name"] == cfg.hub) | (p["place_id"] == cfg.hub)]
        if hit.empty:
            close = difflib.get_close_matches(cfg.hub, sorted(map(str, p["name"])), n=3)
            raise InputError(f"hub {cfg.hub!r}: expected a place name or place_id of the city"
                             + (f" (close: {', '.join(close)})" if close else ""))
        pt = hit.geometry.iloc[0].representative_point()
        return float(pt.x), float(pt.y)
    try:
        x, y = (float(v) for v in cfg.hub)
    except (TypeError, ValueError):
        raise InputError(f"hub {cfg.hub!r}: expected a place name, (x, y) or None") from None
    return x, y


def road_paths(city, cfg: NetworkConfig):
    """Drive minutes between hub and spots, and each OD's links with their entry offsets."""
    g = routable(city.roads)
    p = city.places
    names = [s.name for s in cfg.spots]
    spots = p[(p["kind"] == "scenic_spot") & p["name"].isin(names)].set_index("name").loc[names]
    spots = gpd.GeoDataFrame(spots, geometry="geometry", crs=p.crs)
    hx, hy = _hub_xy(city, cfg, spots)
    pts = spots.geometry.representative_point()
    nodes = nearest_nodes(g, [hx, *pts.x], [hy, *pts.y])
    m = len(nodes)
    tt = np.zeros((m, m))
    link_ids: dict[tuple, int] = {}
    od_links: list[np.ndarray] = []
    od_offs: list[np.ndarray] = []
    for a in range(m):
        dist, paths = nx.single_source_dijkstra(g, nodes[a], weight="travel_time_s")
        for b in range(m):
            if nodes[b] not in dist:
                what = "the hub" if b == 0 else f"spot {names[b - 1]!r}"
                frm = "the hub" if a == 0 else f"spot {names[a - 1]!r}"
                raise InputError(f"road graph: no path from {frm} to {what}; expected a connected road network")
            tt[a, b] = dist[nodes[b]] / 60.0
            es = path_edges(g, paths[nodes[b]]) if a != b else []
            t_e = np.array([g.edges[e]["travel_time_s"] for e in es]) / 60.0
            od_links.append(np.array([link_ids.setdefault(e, len(link_ids)) for e in es], dtype=np.int64))
            od_offs.append(np.concatenate([[0.0], np.cumsum(t_e)[:-1]]) if len(es) else np.zeros(0))
    rows = []
    for (u, v, k), _ in sorted(link_ids.items(), key=lambda kv: kv[1]):
        d = g.edges[u, v, k]
        rows.append({"u": u, "v": v, "key": k, "name": d.get("name", ""), "length_m": d["length_m"],
                     "capacity_vph": float(d.get("capacity_vph", np.nan)), "geometry": d["geometry"]})
    links = gpd.GeoDataFrame(rows, geometry="geometry", crs=g.graph.get("crs", p.crs)) if rows else \
        gpd.GeoDataFrame({"u": [], "v": [], "key": [], "name": [], "length_m": [], "capacity_vph": []},
                         geometry=[], crs=p.crs)
    return tt, od_links, od_offs, links, nodes


def drive_minutes(city, cfg: NetworkConfig) -> np.ndarray:
    """(S+1, S+1) free-flow drive minutes between the hub (index 0) and the spots, the matrix
    :func:`simulate_network` uses (for :func:`arrivals_from_forecast`)."""
    return road_paths(city, cfg)[0]
