"""Routing on the road graph as a hazard changes it: graphs without the closed links, fastest
routes from any of several bases, route geometry. Shared by the flood, hazmat and drill models;
the city's own graph is never modified (closures act on copies).
"""
from __future__ import annotations

from typing import Any, Iterable

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from twin.roads import add_travel_times


def nearest_nodes(g: nx.MultiDiGraph, xs: Iterable[float], ys: Iterable[float]) -> list[Any]:
    """Node closest to each (x, y) in the graph's CRS (brute force, vectorised; graphs here have
    at most tens of thousands of nodes)."""
    ids = list(g.nodes)
    nxy = np.array([(g.nodes[n]["x"], g.nodes[n]["y"]) for n in ids])
    xs, ys = np.atleast_1d(np.asarray(xs, float)), np.atleast_1d(np.asarray(ys, float))
    out = []
    for x, y in zip(xs, ys):
        out.append(ids[int(np.argmin((nxy[:, 0] - x) ** 2 + (nxy[:, 1] - y) ** 2))])
    return out


def routable(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy with ``travel_time_s`` on every edge."""
    h = g.copy()
    add_travel_times(h)
    return h


def edges_hitting(g: nx.MultiDiGraph, area) -> list[tuple[Any, Any, Any]]:
    """Keys (u, v, k) of the edges whose geometry intersects ``area`` (a shapely geometry)."""
    if area is None or area.is_empty:
        return []
    keys = list(g.edges(keys=True))
    geoms = np.array([g.edges[e]["geometry"] for e in keys], dtype=object)
    hit = shapely.intersects(geoms, area)
    return [e for e, h in zip(keys, hit) if h]


def without_edges(g: nx.MultiDiGraph, edges: Iterable[tuple[Any, Any, Any]]) -> nx.MultiDiGraph:
    """A copy of ``g`` (with travel times) without ``edges``; every node is kept."""
    h = routable(g)
    h.remove_edges_from(list(edges))
    return h


def multi_source_times(g: nx.MultiDiGraph, sources: Iterable[Any]) -> dict[Any, float]:
    """Fastest travel time (s) from the nearest of ``sources`` to every reachable node."""
    src = set(sources)
    return nx.multi_source_dijkstra_path_length(g, src, weight="travel_time_s") if src else {}


def fastest_route(g: nx.MultiDiGraph, sources: list[Any], target: Any) -> tuple[float, list[Any]] | None:
    """(time_s, node path) of the fastest route from any of ``sources`` to ``target``, or None.

    One Dijkstra on the reversed graph from the target, instead of one per source."""
    if target not in g:
        return None
    try:
        dist, paths = nx.single_source_dijkstra(g.reverse(copy=False), target, weight="travel_time_s")
    except nx.NetworkXNoPath:
        return None
    best = min((s for s in sources if s in dist), key=lambda s: dist[s], default=None)
    if best is None:
        return None
    return float(dist[best]), paths[best][::-1]


def path_coords(g: nx.MultiDiGraph, path: list[Any]) -> list[tuple[float, float]]:
    """Coordinates along a node path, following each link's geometry (fastest parallel edge)."""
    coords: list[tuple[float, float]] = []
    for u, v in zip(path, path[1:]):
        k = min(g[u][v], key=lambda kk: g[u][v][kk].get("travel_time_s", g[u][v][kk]["length_m"]))
        cs = list(g.edges[u, v, k]["geometry"].coords)
        coords.extend(cs if not coords else cs[1:])
    return coords


def path_line(g: nx.MultiDiGraph, path: list[Any]) -> LineString | None:
    cs = path_coords(g, path)
    return LineString(cs) if len(cs) > 1 else None


def path_edges(g: nx.MultiDiGraph, path: list[Any]) -> list[tuple[Any, Any, Any]]:
    """(u, v, k) of the fastest parallel edge between consecutive nodes of ``path``."""
    return [(u, v, min(g[u][v], key=lambda kk: g[u][v][kk].get("travel_time_s", g[u][v][kk]["length_m"])))
            for u, v in zip(path, path[1:])]
