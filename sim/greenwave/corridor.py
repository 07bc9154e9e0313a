"""An arterial corridor taken from the twin's road graph: its signals in order, lanes, speed and demand.

``corridor_from_name`` follows one named road, ``corridor_from_points`` the shortest path between two
points. Both give a :class:`~sim.greenwave.plan.Corridor` oriented "out" (from the end with the smaller
northing, or from the first point), with default peak-hour demand from the edge capacities that
``apply_edits`` overrides per intersection. ``current_plan`` reads the timing stored on the signals today.
"""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import replace
from typing import Any, Iterable

import networkx as nx
import numpy as np
from shapely.geometry import LineString

from sim.greenwave.plan import Corridor, Intersection, Plan, SignalTiming
from twin.errors import InputError
from twin.roads import default_phase_plan, nearest_node

# Default peak-hour demand as shares of capacity. Main street: volume entering each end as a share of
# that direction's link capacity (a busy arterial at peak runs at 0.6-0.7 of it; the "out" direction is
# taken as the peak one). Side street: both approaches together, 0.35 of the capacity of one approach
# (= 0.175 x the sum of the approach capacities on a four-leg crossing).
MAIN_OUT_SHARE = 0.65
MAIN_IN_SHARE = 0.60
SIDE_SHARE = 0.35

# Keys a scenario may edit: per intersection (Intersection fields a user sets) and for the corridor.
INTERSECTION_KEYS = ("lanes_out", "lanes_in", "side_lanes", "side_volume_vph", "turn_left", "turn_right",
                     "side_to_main", "sat_flow_vphpl", "bay_left_m", "bay_right_m", "bay_left_out_m",
                     "bay_left_in_m", "bay_right_out_m", "bay_right_in_m")
# Turn-bay keys: storage length before the stop line, metres (0 = no bay; see sim.greenwave.bays). The
# short keys set both directions' approaches.
BAY_KEYS = {"bay_left_m": ("bay_left_out_m", "bay_left_in_m"), "bay_right_m": ("bay_right_out_m", "bay_right_in_m"),
            **{k: (k,) for k in ("bay_left_out_m", "bay_left_in_m", "bay_right_out_m", "bay_right_in_m")}}
CORRIDOR_KEYS = ("volume_out_vph", "volume_in_vph", "speed_kph")
ALL_INTERSECTIONS = "*"  # an edit under this key applies to every intersection


# ------------------------------------------------------------------------------------- building
def _road_names(G: nx.MultiDiGraph) -> list[str]:
    return sorted({str(d.get("name") or "") for _, _, d in G.edges(data=True)} - {""})


def _name_key(s: Any) -> str:
    return str(s or "").strip().lower()


def _close(word: str, choices: Iterable[str], n: int = 3) -> str:
    """'; did you mean ...' with difflib close matches (case-insensitive), or ''."""
    choices = list(choices)
    low = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(word.lower(), list(low), n=n, cutoff=0.5)
    return f"; did you mean {', '.join(repr(low[h]) for h in hits)}?" if hits else ""


def _longest_chain(H: nx.Graph) -> list[Any]:
    """The longest path of the road's own (undirected) graph, by length.

    Per connected piece: the double sweep (farthest node from any node, then the farthest from that one,
    Dijkstra on ``length_m``) - exact on a tree, a good approximation where the road has loops (dual
    carriageways). The longest piece wins.
    """
    best: list[Any] = []
    best_len = -1.0
    for comp in nx.connected_components(H):
        sub = H.subgraph(comp)
        start = next(iter(comp))
        d0 = nx.single_source_dijkstra_path_length(sub, start, weight="length_m")
        a = max(d0, key=d0.get)
        dist, paths = nx.single_source_dijkstra(sub, a, weight="length_m")
        b = max(dist, key=dist.get)
        if dist[b] > best_len:
            best_len, best = dist[b], paths[b]
    return best


def _edge(G: nx.MultiDiGraph, u: Any, v: Any, name_key: str | None = None) -> dict | None:
    """Attributes of the shortest u->v edge (preferring ones named ``name_key``), or None."""
    if not G.has_edge(u, v):
        return None
    ds = list(G[u][v].values())
    if name_key is not None:
        named = [d for d in ds if _name_key(d.get("name")) == name_key]
        ds = named or ds
    return min(ds, key=lambda d: d["length_m"])


def _path_geometry(G: nx.MultiDiGraph, nodes: list[Any], legs: list[dict]) -> LineString:
    coords: list[tuple[float, float]] = []
    for (u, v), d in zip(zip(nodes[:-1], nodes[1:]), legs):
        geom = d.get("geometry")
        pts = list(geom.coords) if geom is not None else [(G.nodes[u]["x"], G.nodes[u]["y"]),
                                                           (G.nodes[v]["x"], G.nodes[v]["y"])]
        pu = (G.nodes[u]["x"], G.nodes[u]["y"])
        if np.hypot(pts[-1][0] - pu[0], pts[-1][1] - pu[1]) < np.hypot(pts[0][0] - pu[0], pts[0][1] - pu[1]):
            pts = pts[::-1]  # a reverse edge's geometry runs v->u
        coords.extend(pts if not coords else pts[1:])
    return LineString(coords)


def _corridor_from_path(G: nx.MultiDiGraph, nodes: list[Any], name: str, name_key: str | None,
                        demand: dict[str, Any] | None) -> Corridor:
    """Signals, lanes, speed, cross streets and default demand along an ordered node path."""
    out_legs, in_legs = [], []
    for u, v in zip(nodes[:-1], nodes[1:]):
        fwd, back = _edge(G, u, v, name_key), _edge(G, v, u, name_key)
        if fwd is None and back is None:
            raise InputError(f"corridor path: no edge between nodes {u} and {v}")
        out_legs.append(fwd)
        in_legs.append(back)
    legs = [f if f is not None else b for f, b in zip(out_legs, in_legs)]
    seg_len = np.array([d["length_m"] for d in legs], dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    # speed limit: the length-weighted most common value of the legs
    speeds = Counter()
    for d, s in zip(legs, seg_len):
        speeds[float(d["speed_kph"])] += s
    speed_kph = max(speeds, key=speeds.get)

    sig_idx = [k for k, n in enumerate(nodes) if G.nodes[n].get("signal")]
    inters: list[Intersection] = []
    used: Counter = Counter()

    def lanes(leg: dict | None, alt: dict | None) -> int:
        d = leg if leg is not None else alt
        return int(d["lanes"]) if d is not None else 1

    for k in sig_idx:
        n = nodes[k]
        nb_path = {nodes[j] for j in (k - 1, k + 1) if 0 <= j < len(nodes)}
        # approach lanes: out traffic arrives on leg k-1 (else leaves on leg k), in traffic on leg k
        lanes_out = lanes(out_legs[k - 1] if k > 0 else None, out_legs[k] if k < len(out_legs) else None)
        lanes_in = lanes(in_legs[k] if k < len(in_legs) else None, in_legs[k - 1] if k > 0 else None)
        side_in = [d for u, _, d in G.in_edges(n, data=True) if u not in nb_path and u != n]
        side_all = side_in + [d for _, v, d in G.out_edges(n, data=True) if v not in nb_path and v != n]
        names = Counter(str(d.get("name") or "") for d in side_all
                        if d.get("name") and _name_key(d.get("name")) != _name_key(name))
        cross = names.most_common(1)[0][0] if names else f"node {n}"
        used[cross] += 1
        if used[cross] > 1:
            cross = f"{cross} ({used[cross]})"
        side_lanes = max((int(d["lanes"]) for d in side_in), default=1)
        side_cap = sum(float(d["capacity_vph"]) for d in side_in)
        inters.append(Intersection(node=n, name=cross, pos_m=float(cum[k]), x=float(G.nodes[n]["x"]),
                                   y=float(G.nodes[n]["y"]), lanes_out=lanes_out, lanes_in=lanes_in,
                                   side_lanes=side_lanes, side_volume_vph=round(0.5 * SIDE_SHARE * side_cap, 1)))
    if len(inters) < 2:
        raise InputError(f"road {name!r}: has {len(inters)} signalised intersection(s) on its "
                         f"{cum[-1]:.0f} m path; expected at least 2 for a green wave")
    # main-street demand: a share of the capacity of the link entering the first / last signal
    k0, k1 = sig_idx[0], sig_idx[-1]
    cap_out = (out_legs[k0 - 1] if k0 > 0 else out_legs[k0]) or {}
    cap_in = (in_legs[k1] if k1 < len(in_legs) else in_legs[k1 - 1]) or {}
    cor = Corridor(name=name, crs=str(G.graph.get("crs", "")), intersections=inters, length_m=float(cum[-1]),
                   speed_kph=float(speed_kph),
                   volume_out_vph=round(MAIN_OUT_SHARE * float(cap_out.get("capacity_vph", 0.0)), 1),
                   volume_in_vph=round(MAIN_IN_SHARE * float(cap_in.get("capacity_vph", 0.0)), 1),
                   geometry=_path_geometry(G, nodes, legs))
    return apply_edits(cor, demand) if demand else cor


def corridor_from_name(G: nx.MultiDiGraph, name: str, *, demand: dict[str, Any] | None = None) -> Corridor:
    """The corridor along the road called ``name`` (case-insensitive).

    The road's edges are joined into one chain (the longest simple chain where the name covers several
    pieces or branches); "out" runs from the chain end with the smaller northing. ``demand``: edits as
    for :func:`apply_edits`.
    """
    key = _name_key(name)
    H = nx.Graph()
    for u, v, d in G.edges(data=True):
        if _name_key(d.get("name")) == key and u != v:
            if not H.has_edge(u, v) or d["length_m"] < H[u][v]["length_m"]:
                H.add_edge(u, v, length_m=float(d["length_m"]))
    if H.number_of_edges() == 0:
        raise InputError(f"road name {name!r}: not in the road graph{_close(name, _road_names(G))}")
    nodes = _longest_chain(H)
    a, b = G.nodes[nodes[0]], G.nodes[nodes[-1]]
    if (b["y"], b["x"]) < (a["y"], a["x"]):
        nodes = nodes[::-1]
    proper = Counter(str(d.get("name")) for u, v, d in G.edges(data=True) if _name_key(d.get("name")) == key)
    return _corridor_from_path(G, nodes, proper.most_common(1)[0][0], key, demand)


def corridor_from_points(G: nx.MultiDiGraph, a_xy: tuple[float, float], b_xy: tuple[float, float], *,
                         demand: dict[str, Any] | None = None) -> Corridor:
    """The corridor along the shortest path (by ``length_m``) from the node nearest ``a_xy`` to the node
    nearest ``b_xy`` (city CRS); "out" runs from a to b. Its name is the road name covering most of it."""
    a = nearest_node(G, float(a_xy[0]), float(a_xy[1]))
    b = nearest_node(G, float(b_xy[0]), float(b_xy[1]))
    if a == b:
        raise InputError(f"corridor points {tuple(a_xy)} and {tuple(b_xy)}: both snap to node {a}; "
                         "expected two points farther apart")
    try:
        nodes = nx.shortest_path(G, a, b, weight="length_m")
    except nx.NetworkXNoPath:
        raise InputError(f"corridor points {tuple(a_xy)} -> {tuple(b_xy)}: no road path between nodes {a} and {b}; "
                         "expected connected points") from None
    names: Counter = Counter()
    for u, v in zip(nodes[:-1], nodes[1:]):
        d = _edge(G, u, v)
        if d.get("name"):
            names[str(d["name"])] += float(d["length_m"])
    name = max(names, key=names.get) if names else "corridor"
    return _corridor_from_path(G, nodes, name, None, demand)


# --------------------------------------------------------------------------------------- demand
def apply_edits(corridor: Corridor, edits: dict[str, Any] | None) -> Corridor:
    """A copy of ``corridor`` with demand/layout edits applied.

    ``edits`` maps corridor keys (``volume_out_vph``, ``volume_in_vph``, ``speed_kph``) to numbers and
    intersection names (cross streets, case-insensitive; ``"*"`` = all) to dicts of
    :data:`INTERSECTION_KEYS`, e.g. ``{"Jiefang Road": {"side_volume_vph": 500, "turn_left": 0.15}}``;
    turn bays: ``bay_left_m`` / ``bay_right_m`` (both approaches) or ``bay_left_out_m`` etc., metres.
    Unknown names or keys raise :class:`InputError` with close matches.
    """
    if not edits:
        return replace(corridor, intersections=[replace(i) for i in corridor.intersections])
    if not isinstance(edits, dict):
        raise InputError(f"corridor edits {edits!r}: expected a mapping of intersection names / corridor keys")
    cor_kw: dict[str, float] = {}
    inters = [replace(i) for i in corridor.intersections]
    by_name = {i.name.lower(): i for i in inters}
    for key, val in edits.items():
        if key in CORRIDOR_KEYS:
            v = _number(val, key, "the corridor")
            if v < 0 or (key == "speed_kph" and v <= 0):
                sign = "positive" if key == "speed_kph" else "non-negative"
                raise InputError(f"{key} {val!r}: expected a {sign} number")
            cor_kw[key] = v
            continue
        if str(key).lower() == ALL_INTERSECTIONS:
            targets = inters
        elif str(key).lower() in by_name:
            targets = [by_name[str(key).lower()]]
        else:
            raise InputError(f"intersection {key!r}: not on corridor {corridor.name!r}; expected one of "
                             f"{[i.name for i in inters]} or {list(CORRIDOR_KEYS)}"
                             f"{_close(str(key), [i.name for i in inters] + list(CORRIDOR_KEYS))}")
        if not isinstance(val, dict):
            raise InputError(f"intersection {key!r}: expected a mapping of {list(INTERSECTION_KEYS)}, got {val!r}")
        for k, v in val.items():
            if k not in INTERSECTION_KEYS:
                raise InputError(f"key {k!r} for intersection {key!r}: expected one of {list(INTERSECTION_KEYS)}"
                                 f"{_close(str(k), INTERSECTION_KEYS)}")
            x = _number(v, k, key)
            if k in ("lanes_out", "lanes_in", "side_lanes"):
                if x < 1 or x != int(x):
                    raise InputError(f"{k} {v!r} for intersection {key!r}: expected a whole number >= 1")
                x = int(x)
            elif k in ("turn_left", "turn_right", "side_to_main"):
                if not 0.0 <= x <= 1.0:
                    raise InputError(f"{k} {v!r} for intersection {key!r}: expected a share in [0, 1]")
            elif k == "sat_flow_vphpl" and x <= 0:
                raise InputError(f"{k} {v!r} for intersection {key!r}: expected a positive flow, vehicles/h/lane")
            elif k in BAY_KEYS and x < 0:
                raise InputError(f"{k} {v!r} for intersection {key!r}: expected a bay length >= 0 m (0 = no bay)")
            elif x < 0:
                raise InputError(f"{k} {v!r} for intersection {key!r}: expected a non-negative volume, vehicles/h")
            for t in targets:
                for attr in BAY_KEYS.get(k, (k,)):
                    setattr(t, attr, x)
    for t in inters:
        if t.turn_left + t.turn_right > 1.0 + 1e-12:
            raise InputError(f"turn_left + turn_right {t.turn_left + t.turn_right:g} at intersection {t.name!r}: "
                             "expected at most 1")
    return replace(corridor, intersections=inters, **cor_kw)


def _number(v: Any, key: str, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
        raise InputError(f"{key} {v!r} for {where!r}: expected a finite number")
    return float(v)


def arrivals_vph(corridor: Corridor) -> tuple[np.ndarray, np.ndarray]:
    """Main-street vehicles/h arriving at each signal travelling out and in.

    Flow conservation along the corridor: what arrives at a signal leaves it less its left and right
    turners, plus the side-street traffic turning onto the corridor (``side_to_main`` of the side volume,
    split evenly out/in).
    """
    n = len(corridor)
    a_out, a_in = np.zeros(n), np.zeros(n)
    q = float(corridor.volume_out_vph)
    for i, it in enumerate(corridor.intersections):
        a_out[i] = q
        q = q * (1.0 - it.turn_left - it.turn_right) + 0.5 * it.side_to_main * it.side_volume_vph
    q = float(corridor.volume_in_vph)
    for i in range(n - 1, -1, -1):
        it = corridor.intersections[i]
        a_in[i] = q
        q = q * (1.0 - it.turn_left - it.turn_right) + 0.5 * it.side_to_main * it.side_volume_vph
    return a_out, a_in


def movement_volumes_vph(corridor: Corridor) -> np.ndarray:
    """float64 (n_signals, 5) vehicles/h per movement in :data:`~sim.greenwave.plan.MOVEMENTS` order:
    out (through + right), in, left_out, left_in, side (both approaches)."""
    a_out, a_in = arrivals_vph(corridor)
    tl = np.array([i.turn_left for i in corridor.intersections])
    side = np.array([i.side_volume_vph for i in corridor.intersections])
    return np.column_stack([a_out * (1 - tl), a_in * (1 - tl), a_out * tl, a_in * tl, side])


def link_volumes_vph(corridor: Corridor) -> tuple[np.ndarray, np.ndarray]:
    """Vehicles/h on each link between consecutive signals (n-1), out and in."""
    a_out, a_in = arrivals_vph(corridor)
    return a_out[1:], a_in[:-1]


# ----------------------------------------------------------------------------------- today's plan
def current_plan(corridor: Corridor, G: nx.MultiDiGraph) -> Plan:
    """The fixed-time plan stored on the corridor's signals today (``phase_plan`` of each node).

    A signal without a stored plan gets ``twin.roads.default_phase_plan()`` and is listed in
    ``meta['defaulted']``.
    """
    timings, defaulted = [], []
    for it in corridor.intersections:
        pp = G.nodes[it.node].get("phase_plan")
        if not pp:
            pp = default_phase_plan()
            defaulted.append(it.name)
        try:
            timings.append(SignalTiming.from_phase_plan(pp))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"phase_plan of intersection {it.name!r} (node {it.node}): {exc}; expected "
                             "cycle_s, offset_s and phases[name, green_s, yellow_s, all_red_s]") from None
    return Plan(name="current", timings=timings, meta={"method": "current", "defaulted": defaulted})


__all__ = ["corridor_from_name", "corridor_from_points", "apply_edits", "arrivals_vph", "movement_volumes_vph",
           "link_volumes_vph", "current_plan", "INTERSECTION_KEYS", "CORRIDOR_KEYS", "BAY_KEYS"]
