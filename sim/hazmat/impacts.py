"""What a toxic cloud does to the twin: buildings and people in each zone, closed roads,
evacuation to shelters (routes, an optimal shelter assignment and a SimPy clearance-time
simulation over the road network) and the crews' routes to an upwind staging point.
Plain functions on GeoDataFrames and the road graph; the city is never modified.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import simpy
from scipy.optimize import linprog
from shapely.geometry import LineString, Point

from sim.hazmat.params import Evacuation
from sim.hazmat.zones import LEVELS, in_zone, upwind_point
from sim.point_queue import EntryQueues, storage_pcu
from twin.places import of_kind
from twin.routing import edges_hitting, nearest_nodes, path_edges, path_line, routable

# Route cost multipliers inside each zone: evacuees and crews may cross a zone (they start in
# it) but prefer to leave it by the shortest exposure.
ZONE_PENALTY = {"red": 20.0, "orange": 5.0, "yellow": 2.0}
BUS_PERSONS = 40.0  # persons per bus for those without a car
BUS_PCU = 2.0  # passenger-car units of a bus


def building_exposure(buildings: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Buildings with the most severe zone they touch ('' outside) and their population."""
    out = buildings[["building_id", "use", "height_m", "population", "name", "geometry"]].copy()
    out["zone"] = in_zone(out.geometry, zones)
    return out


def zone_counts(exposed: gpd.GeoDataFrame) -> dict[str, dict[str, float]]:
    """Buildings and people per zone (each counted once, in its most severe zone)."""
    res = {}
    for level in LEVELS:
        sel = exposed[exposed.zone == level]
        res[level] = {"buildings": int(len(sel)), "population": float(np.nansum(sel.population))}
    return res


def road_zones(g: nx.MultiDiGraph, zones: gpd.GeoDataFrame) -> dict[str, list[tuple[Any, Any, Any]]]:
    """Edges (u, v, k) intersecting each zone."""
    return {lvl: edges_hitting(g, zones[zones.zone == lvl].geometry.iloc[0]) if (zones.zone == lvl).any() else []
            for lvl in LEVELS}


def closed_roads(g: nx.MultiDiGraph, edges: list[tuple[Any, Any, Any]]) -> gpd.GeoDataFrame:
    rows = [{"u": u, "v": v, "key": k, "name": g.edges[u, v, k]["name"], "length_m": g.edges[u, v, k]["length_m"],
             "geometry": g.edges[u, v, k]["geometry"]} for u, v, k in edges]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=g.graph["crs"]) if rows else \
        gpd.GeoDataFrame({"u": [], "v": [], "key": [], "name": [], "length_m": []}, geometry=[], crs=g.graph["crs"])


def penalised_graph(g: nx.MultiDiGraph, by_zone: dict[str, list], *, remove: tuple[str, ...] = ()) -> nx.MultiDiGraph:
    """A routable copy whose edges inside zones cost ZONE_PENALTY times their travel time
    (``cost_s``), with the edges of the ``remove`` zones taken out."""
    h = routable(g)
    for _, _, d in h.edges(data=True):
        d["cost_s"] = d["travel_time_s"]
    for lvl in reversed(LEVELS):  # red last: the highest penalty wins
        for e in by_zone.get(lvl, []):
            h.edges[e]["cost_s"] = h.edges[e]["travel_time_s"] * ZONE_PENALTY[lvl]
    h.remove_edges_from([e for lvl in remove for e in by_zone.get(lvl, [])])
    return h


@dataclass
class EvacuationResult:
    clusters: gpd.GeoDataFrame  # one row per origin cluster: persons, pcu, shelter, route, times
    shelters: gpd.GeoDataFrame  # shelter use
    arrivals_s: np.ndarray  # arrival time of each simulated vehicle group (s after the warning)
    arrivals_pcu: np.ndarray
    unsheltered_persons: float

    def clearance_s(self, q: float = 1.0) -> float:
        """Time by which a fraction ``q`` of the evacuating vehicles has arrived (s after the warning)."""
        if len(self.arrivals_s) == 0:
            return 0.0
        order = np.argsort(self.arrivals_s)
        cum = np.cumsum(self.arrivals_pcu[order]) / self.arrivals_pcu.sum()
        return float(self.arrivals_s[order][min(np.searchsorted(cum, q - 1e-9), len(cum) - 1)])


def evacuate(city: Any, exposed: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, by_zone: dict[str, list],
             p: Evacuation) -> EvacuationResult:
    """Evacuate the people in ``p.zones`` to shelters outside every zone.

    Buildings are grouped on a ``cluster_m`` grid; routes minimise zone-penalised travel time;
    persons are assigned to shelters by a transportation LP (capacities, HiGHS) minimising
    person-weighted route cost, and, when places are short, red-zone persons before orange before
    yellow; then a SimPy model releases vehicle groups on a Rayleigh
    departure curve (mean ``departure_mean_min``; Tweedie et al. 1986 use Rayleigh/Weibull
    response curves) and moves them link by link, each link a FIFO server passing vehicles at
    its capacity (Vickrey 1969) followed by its free-flow time; a link holds at most its
    storage, so a queue that outgrows it holds the links behind (spill-back, :mod:`sim.point_queue`).
    """
    g = penalised_graph(city.roads, by_zone)
    ev = exposed[exposed.zone.isin(p.zones) & (exposed.population.fillna(0) > 0)]
    crs = city.crs
    if ev.empty:
        empty = gpd.GeoDataFrame({"persons": []}, geometry=[], crs=crs)
        return EvacuationResult(empty, empty.copy(), np.zeros(0), np.zeros(0), 0.0)
    cen = ev.geometry.centroid
    cell = np.stack([np.floor(cen.x / p.cluster_m), np.floor(cen.y / p.cluster_m)], axis=1).astype(np.int64)
    df = pd.DataFrame({"cx": cell[:, 0], "cy": cell[:, 1], "x": cen.x * ev.population, "y": cen.y * ev.population,
                       "persons": ev.population, "zone_rank": ev.zone.map({"red": 0, "orange": 1, "yellow": 2})})
    cl = df.groupby(["cx", "cy"]).agg(x=("x", "sum"), y=("y", "sum"), persons=("persons", "sum"),
                                      zone_rank=("zone_rank", "min")).reset_index()
    cl["x"] /= cl.persons
    cl["y"] /= cl.persons
    cl["zone"] = [LEVELS[r] for r in cl.zone_rank]
    origins = nearest_nodes(g, cl.x, cl.y)

    shelters = of_kind(city.places, "shelter")
    sh_zone = in_zone(shelters.geometry, zones)
    shelters = shelters[sh_zone == ""].reset_index(drop=True)
    cap = shelters["capacity_persons"].astype(float).to_numpy() if len(shelters) else np.zeros(0)
    sh_pt = shelters.geometry.representative_point()
    sh_nodes = nearest_nodes(g, sh_pt.x, sh_pt.y) if len(shelters) else []
    # cost and path from every cluster to every shelter: one Dijkstra per shelter on the reversed graph
    cost = np.full((len(cl), len(shelters)), np.inf)
    paths: dict[tuple[int, int], list] = {}
    rev = g.reverse(copy=False)
    for j, sn in enumerate(sh_nodes):
        dist, pth = nx.single_source_dijkstra(rev, sn, weight="cost_s")
        for i, o in enumerate(origins):
            if o in dist:
                cost[i, j] = dist[o]
                paths[i, j] = pth[o][::-1]
    # when places are short the inner zones go first: a zone's tier outweighs the route costs of any
    # chain of reassignments that makes room (one route per shelter at most: m x the longest + 1)
    tier_s = cost.shape[1] * (np.nanmax(cost[np.isfinite(cost)]) if np.isfinite(cost).any() else 0.0) + 1.0
    assign, unshel = assign_to_shelters(cl.persons.to_numpy(), cap, cost,
                                        stay_cost=(len(LEVELS) - 1 - cl.zone_rank.to_numpy()) * tier_s)

    rows, groups = [], []
    for i, r in cl.iterrows():
        for j in np.nonzero(assign[i] > 1e-6)[0]:
            persons = float(assign[i, j])
            path = paths[i, j]
            pcu = evacuation_pcu(persons, p.vehicle_share, p.persons_per_vehicle)
            rows.append({"cluster": int(i), "zone": r.zone, "persons": persons, "pcu": pcu,
                         "shelter": shelters.loc[j, "name"], "route_time_s": _path_time(g, path),
                         "route_length_m": _path_length(g, path),
                         "geometry": path_line(g, path) or Point(r.x, r.y)})
            groups.append((len(rows) - 1, path, pcu))
    arr_t, arr_pcu, per_row = _simulate_clearance(g, groups, p)
    cols = ["cluster", "zone", "persons", "pcu", "shelter", "route_time_s", "route_length_m"]
    clusters = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else \
        gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    clusters["clearance_s"] = [per_row.get(k, np.nan) for k in range(len(rows))]
    used = clusters.groupby("shelter").persons.sum() if len(clusters) else pd.Series(dtype=float)
    sh = shelters[["name", "capacity_persons", "geometry"]].copy()
    sh["assigned_persons"] = sh.name.map(used).fillna(0.0)
    return EvacuationResult(clusters, sh, arr_t, arr_pcu, float(unshel))


def evacuation_pcu(persons: float, vehicle_share: float, persons_per_vehicle: float) -> float:
    """Passenger-car units that ``persons`` evacuees put on the road: a share by car at
    ``persons_per_vehicle``, the rest by bus (BUS_PERSONS a bus, BUS_PCU each)."""
    return persons * vehicle_share / persons_per_vehicle + BUS_PCU * persons * (1 - vehicle_share) / BUS_PERSONS


def assign_to_shelters(persons: np.ndarray, cap: np.ndarray, cost: np.ndarray,
                       stay_cost: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Transportation LP: persons of each cluster to shelters within capacity at least total
    cost; people who fit nowhere (capacity or no route) stay unassigned at a high penalty, the
    same for all, plus ``stay_cost`` (per person of each cluster, in the units of ``cost``): when
    places are short they go to the clusters whose staying costs most net of their route's cost
    (with none, to the cheapest routes)."""
    n, m = cost.shape
    if m == 0:
        return np.zeros((n, 0)), float(persons.sum())
    stay = np.zeros(n) if stay_cost is None else np.asarray(stay_cost, float)
    if stay.shape != (n,) or not np.isfinite(stay).all() or (stay < 0).any():
        raise ValueError(f"stay_cost: expected {n} finite values >= 0, got {stay!r}")
    big = 1e3 * (np.nanmax(cost[np.isfinite(cost)]) if np.isfinite(cost).any() else 1.0) + 1e6
    c = np.concatenate([np.where(np.isfinite(cost), cost, big * 10).ravel(), big + stay])
    a_eq = np.zeros((n, n * m + n))
    for i in range(n):
        a_eq[i, i * m:(i + 1) * m] = 1.0
        a_eq[i, n * m + i] = 1.0
    a_ub = np.zeros((m, n * m + n))
    for j in range(m):
        a_ub[j, j:n * m:m] = 1.0
    bounds = [(0, 0) if not np.isfinite(cost.ravel()[k]) else (0, None) for k in range(n * m)] + [(0, None)] * n
    res = linprog(c, A_ub=a_ub, b_ub=cap, A_eq=a_eq, b_eq=persons, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"shelter assignment LP failed: {res.message}")
    x = res.x[:n * m].reshape(n, m)
    return x, float(res.x[n * m:].sum())


def _path_time(g: nx.MultiDiGraph, path: list) -> float:
    return float(sum(g.edges[e]["travel_time_s"] for e in path_edges(g, path)))


def _path_length(g: nx.MultiDiGraph, path: list) -> float:
    return float(sum(g.edges[e]["length_m"] for e in path_edges(g, path)))


def rayleigh_quantiles(n: int, mean_s: float) -> np.ndarray:
    """Departure times of ``n`` equal groups: mid-quantiles of a Rayleigh distribution with the
    given mean (sigma = mean / sqrt(pi/2)); deterministic, so runs are reproducible."""
    sigma = mean_s / math.sqrt(math.pi / 2)
    q = (np.arange(n) + 0.5) / n
    return sigma * np.sqrt(-2.0 * np.log1p(-q))


def _simulate_clearance(g: nx.MultiDiGraph, groups: list[tuple[int, list, float]], p: Evacuation):
    """SimPy queue network (:mod:`sim.point_queue`: groups are platoons, each link's entry
    passes them at its capacity, and a link holds at most its storage, so a queue that outgrows
    its link holds the links behind: spill-back): returns the arrival time of every vehicle
    group's last vehicle and its pcu, and the last arrival per route row."""
    env = simpy.Environment()
    storage = {(u, v, k): storage_pcu(d.get("length_m", 0.0), d.get("lanes", 1) or 1)
               for u, v, k, d in g.edges(keys=True, data=True)}
    links = EntryQueues(env, storage_pcu=storage)
    arr_t: list[float] = []
    arr_pcu: list[float] = []
    per_row: dict[int, float] = {}

    def trip(row: int, edges: list, pcu: float, depart_s: float):
        yield env.timeout(depart_s)
        spread, on = 0.0, None
        for e in edges:
            spread = yield from links.enter(e, pcu, max(g.edges[e].get("capacity_vph", 1800.0), 1.0), spread,
                                            came_from=on)
            on = e
            yield env.timeout(g.edges[e]["travel_time_s"])
        if on is not None:
            links.leave(on, pcu)
        t_tail = env.now + spread  # the group has arrived when its last vehicle has
        arr_t.append(t_tail)
        arr_pcu.append(pcu)
        per_row[row] = max(per_row.get(row, 0.0), t_tail)

    for row, path, pcu in groups:
        k = max(1, int(math.ceil(pcu / p.group_vehicles)))
        edges = path_edges(g, path)
        for t in rayleigh_quantiles(k, p.departure_mean_min * 60.0):
            env.process(trip(row, edges, pcu / k, float(t)))
    env.run()
    return np.asarray(arr_t), np.asarray(arr_pcu), per_row


def crew_routes(city: Any, by_zone: dict[str, list], zones: gpd.GeoDataFrame, source_xy: tuple[float, float],
                wind_from_deg: float, *, stage_m: float = 300.0) -> gpd.GeoDataFrame:
    """Fastest route from each fire station and hospital to the upwind staging point.

    Crews carry breathing apparatus, so they may drive through the orange and yellow zones
    (at a cost, :data:`ZONE_PENALTY`) but never through the red one. The staging point is the
    road node closest to ``stage_m`` upwind of the source, within 60 degrees of due upwind,
    outside the red and orange zones if possible, that some base can reach."""
    g = penalised_graph(city.roads, by_zone, remove=("red",))
    bases = []
    for kind in ("fire_station", "hospital"):
        for _, b in of_kind(city.places, kind).iterrows():
            pt = b.geometry.representative_point()
            bases.append((b["name"], kind, pt, nearest_nodes(g, [pt.x], [pt.y])[0]))
    reach: dict[Any, dict] = {src: nx.single_source_dijkstra(g, src, weight="cost_s") for *_, src in bases}
    reachable = set().union(*(d[0].keys() for d in reach.values())) if reach else set()
    in_red = {n for e in by_zone.get("red", []) for n in e[:2]}
    in_orange = {n for e in by_zone.get("orange", []) for n in e[:2]}
    stage = upwind_point(source_xy, wind_from_deg, stage_m)
    ids = [n for n in g.nodes if n in reachable and n not in in_red]
    if not ids:
        raise RuntimeError("no road node outside the red zone is reachable from any base")
    xy = np.array([(g.nodes[n]["x"], g.nodes[n]["y"]) for n in ids])
    v = xy - np.asarray(source_xy)
    up = np.array([math.sin(math.radians(wind_from_deg)), math.cos(math.radians(wind_from_deg))])
    cosang = (v @ up) / np.maximum(np.hypot(v[:, 0], v[:, 1]), 1e-9)
    score = (np.hypot(xy[:, 0] - stage.x, xy[:, 1] - stage.y) + np.where(cosang > 0.5, 0.0, 1e5)
             + np.array([1e4 if n in in_orange else 0.0 for n in ids]))
    k = int(np.argmin(score))
    target = ids[k]
    bearing = math.degrees(math.atan2(v[k, 0], v[k, 1])) % 360.0  # compass bearing source -> staging point
    off = abs((bearing - wind_from_deg + 180.0) % 360.0 - 180.0)
    note = ""
    if cosang[k] <= 0.5:  # no reachable road node in the upwind cone: say where the crews really stage
        note = (f"staging point {math.hypot(v[k, 0], v[k, 1]):.0f} m from the source at bearing {bearing:.0f} deg, "
                f"{off:.0f} deg off due upwind ({wind_from_deg:.0f} deg): no road node a base reaches lies in the "
                "upwind cone outside the red zone; crews stage crosswind there")
    rows = []
    for name, kind, pt, src in bases:
        dist, paths = reach[src]
        ok = target in dist
        path = paths[target] if ok else None
        line = path_line(g, path) if ok else None
        rows.append({"base": name, "kind": kind, "reachable": ok,
                     "time_s": _path_time(g, path) if ok else np.inf,
                     "geometry": line if line is not None else LineString([(pt.x, pt.y), (pt.x + 0.01, pt.y)])})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=city.crs).sort_values("time_s").reset_index(drop=True)
    gdf.attrs["staging_xy"] = (g.nodes[target]["x"], g.nodes[target]["y"])
    gdf.attrs["staging_bearing_deg"] = bearing
    gdf.attrs["staging_off_upwind_deg"] = off
    gdf.attrs["staging_note"] = note  # the run's warnings carry it
    return gdf
