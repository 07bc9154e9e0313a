"""Inputs for :func:`sim.drill.matching.match`: reference travel times on the road graph, and
synthetic (resources, incidents, travel times) instances for tests and benchmarks."""
from __future__ import annotations

from typing import Any, Sequence

import networkx as nx
import numpy as np
import pandas as pd

from sim.drill.resources import CAPABILITIES, RESOURCE_TYPES
from sim.drill.rules import Incident, Rules


def road_travel_times(g: nx.MultiDiGraph, resources: pd.DataFrame, incidents: Sequence[Incident], *,
                      access_speed_m_s: float = 5.0) -> np.ndarray:
    """(n_resources, n_incidents) reference travel times (s) on the road graph: straight-line
    access from each point to its nearest node at ``access_speed_m_s`` (18 km/h, slow driving on
    yards and lanes the graph lacks), then the fastest route (free-flow ``travel_time_s``); one
    Dijkstra per distinct resource node. Unreachable pairs are inf."""
    from twin.routing import nearest_nodes, routable

    h = g if all("travel_time_s" in d for _, _, d in g.edges(data=True)) else routable(g)
    rx, ry = resources["x_m"].to_numpy(float), resources["y_m"].to_numpy(float)
    ix = np.array([inc.x_m for inc in incidents], float)
    iy = np.array([inc.y_m for inc in incidents], float)
    rn = nearest_nodes(h, rx, ry) if len(rx) else []
    inn = nearest_nodes(h, ix, iy) if len(ix) else []

    def access(nodes: list[Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
        nx_ = np.array([h.nodes[n]["x"] for n in nodes], float)
        ny_ = np.array([h.nodes[n]["y"] for n in nodes], float)
        return np.hypot(nx_ - x, ny_ - y) / access_speed_m_s

    out = np.full((len(rx), len(ix)), np.inf)
    if not len(rx) or not len(ix):
        return out
    ar, ai = access(rn, rx, ry), access(inn, ix, iy)
    for node in set(rn):
        dist = nx.single_source_dijkstra_path_length(h, node, weight="travel_time_s")
        row = np.array([dist.get(n, np.inf) for n in inn])
        for r in [k for k, v in enumerate(rn) if v == node]:
            out[r] = ar[r] + row + ai
    return out


_MIX = {  # share of each type in a synthetic resource set (fire teams and ambulances dominate)
    "fire_team": 0.25, "medical_team": 0.15, "water_rescue_team": 0.06, "hazmat_team": 0.04,
    "landslide_rescue_team": 0.03, "pump": 0.10, "boat": 0.07, "gas_detector": 0.04, "generator": 0.06,
    "sandbags": 0.03, "tents": 0.03, "drinking_water": 0.03, "expert": 0.11,
}
_GRADE_SHARE = {"IV": 0.5, "III": 0.3, "II": 0.15, "I": 0.05}  # most incidents are minor


def random_instance(n_resources: int, n_incidents: int, *, seed: int = 0, size_m: float = 20_000.0,
                    districts_per_side: int = 3, rules: Rules | None = None
                    ) -> tuple[pd.DataFrame, list[Incident], np.ndarray]:
    """A synthetic (resources, incidents, travel_time_s) for tests and benchmarks: resources of
    the mix above at random points of a ``size_m`` square split into districts, incidents of
    every type with mostly low grades, travel time = 1.3 x straight distance at 36 km/h with
    15 % log-normal noise (1.3: typical network detour factor)."""
    from sim.drill.resources import make_resources
    from sim.drill.rules import INCIDENT_TYPES

    rng = np.random.default_rng(seed)
    types = rng.choice(list(_MIX), size=n_resources, p=np.array(list(_MIX.values())) / sum(_MIX.values()))
    xy = rng.uniform(0, size_m, (n_resources, 2))
    cell = size_m / districts_per_side
    recs = []
    for k, (t_, (x, y)) in enumerate(zip(types, xy)):
        spec = RESOURCE_TYPES[t_]
        rec: dict[str, Any] = {"resource_id": f"R{k}", "kind": spec.kind, "type": t_, "x_m": x, "y_m": y,
                               "district": f"D{int(x // cell)}{int(y // cell)}",
                               "speed_factor": float(rng.choice([0.8, 0.9, 1.0, 1.1]))}
        if spec.kind == "team":
            rec["crew_persons"] = int(rng.integers(3, 11))
            extra = [c for c in spec.allowed if c not in spec.default and CAPABILITIES[c].source == "count"]
            caps = list(spec.default) + [c for c in extra if rng.random() < 0.3]
            rec["capabilities"] = ";".join(caps)
        elif spec.kind == "expert":
            rec["capabilities"] = str(rng.choice(spec.allowed))
            rec["specialty"] = rec["capabilities"].removeprefix("expert_")
        elif t_ == "pump":
            rec["pump_m3_h"] = float(rng.choice([100, 200, 300, 500, 1000, 3000]))
        elif t_ == "generator":
            rec["power_kw"] = float(rng.choice([30, 50, 100, 120]))
        elif spec.kind == "supply":
            cap = spec.default[0]
            rec["unit"] = CAPABILITIES[cap].unit
            rec["quantity"] = {"sandbags": 5000, "tents": 200, "drinking_water": 10000}[t_] * int(rng.integers(1, 4))
        if t_ in ("boat", "gas_detector") or (t_ == "pump" and rec["pump_m3_h"] <= 200):
            rec["quantity"] = int(rng.integers(1, 4))
        recs.append(rec)
    res = make_resources(recs)
    grades = rng.choice(list(_GRADE_SHARE), size=n_incidents, p=list(_GRADE_SHARE.values()))
    ixy = rng.uniform(0, size_m, (n_incidents, 2))
    incs = [Incident(f"I{k}", str(rng.choice(INCIDENT_TYPES)), str(g), float(x), float(y))
            for k, (g, (x, y)) in enumerate(zip(grades, ixy))]
    dist = np.hypot(xy[:, None, 0] - ixy[None, :, 0], xy[:, None, 1] - ixy[None, :, 1])
    tt = 1.3 * dist / 10.0 * rng.lognormal(0.0, 0.15, dist.shape)
    return res, incs, tt
