"""Time-dependent road state and routing for drills (sim/drill/network.py): static routes and
travel-time matrices against networkx Dijkstra on graphs with the closed edges removed, timed
closures never driven through, exact re-plan and wait arithmetic, flood closures against
shapely intersection and the Pregnolato et al. (2017) depth-speed curve, toxic zones that only
protected teams enter, and the forecast router as a lower bound."""
from __future__ import annotations

import math
import time

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sim.drill.match_inputs import road_travel_times
from sim.drill.forecast_route import time_dependent_fastest
from sim.drill.network import Closure, RoadState, edges_of
from sim.drill.rules import Incident
from sim.drill.trips import ACCESS_SPEED_M_S, Trip
from terrain.raster import Raster
from twin.errors import InputError
from twin.routing import edges_hitting, nearest_nodes, routable

TOL_S = 1e-6


@pytest.fixture(scope="module")
def g(sample_city):
    return sample_city.roads


@pytest.fixture(scope="module")
def grid(sample_city) -> Raster:
    return sample_city.terrain


def _points(g, rng: np.random.Generator, n: int) -> np.ndarray:
    """n points within 40 m of random nodes (so every trip has access legs)."""
    nodes = list(g.nodes)
    pick = rng.choice(len(nodes), n)
    xy = np.array([(g.nodes[nodes[i]]["x"], g.nodes[nodes[i]]["y"]) for i in pick])
    return xy + rng.uniform(-40.0, 40.0, (n, 2))


def _reference(g, closed=(), slowed=(), factor: float = 1.0) -> nx.MultiDiGraph:
    """Routable copy with closed edges removed and slowed edges' times divided by factor."""
    h = routable(g)
    for e in slowed:
        h.edges[e]["travel_time_s"] /= factor
    h.remove_edges_from(list(closed))
    return h


def _ref_time(h, g, a: np.ndarray, b: np.ndarray) -> float:
    """Access at 5 m/s to the nearest node (twin.routing.nearest_nodes) + networkx Dijkstra."""
    (na,), (nb,) = nearest_nodes(g, [a[0]], [a[1]]), nearest_nodes(g, [b[0]], [b[1]])
    acc = (math.hypot(a[0] - g.nodes[na]["x"], a[1] - g.nodes[na]["y"])
           + math.hypot(b[0] - g.nodes[nb]["x"], b[1] - g.nodes[nb]["y"])) / ACCESS_SPEED_M_S
    try:
        return acc + nx.shortest_path_length(h, na, nb, weight="travel_time_s")
    except nx.NetworkXNoPath:
        return math.inf


def _check_trip(rs: RoadState, trip: Trip, src: np.ndarray, dst: np.ndarray, protected: bool = False) -> None:
    """Invariants of every trip: open edges at entry, monotone clock, contiguous path, arrival."""
    assert trip.times_s[0] == trip.t_depart_s
    assert np.all(np.diff(trip.times_s) >= -1e-9)
    assert np.allclose(trip.xy[0], src, atol=1e-9)
    nodes = list(rs.g.nodes)
    s_node = nodes[int(np.argmin(np.hypot(*(rs.node_xy - src).T)))]
    prev = s_node
    for u, v, k, t_in, t_out in trip.edges:
        f = rs.edge_factor(u, v, k, t_in, protected)
        assert f > 0.0, f"entered closed edge {(u, v, k)} at {t_in}: {rs.why_closed(u, v, k, t_in, protected)}"
        assert t_out - t_in == pytest.approx(rs.g.edges[u, v, k]["travel_time_s"] / f, abs=1e-9)
        assert u == prev
        prev = v
    if trip.reachable:
        d_node = nodes[int(np.argmin(np.hypot(*(rs.node_xy - dst).T)))]
        assert prev == d_node
        assert np.allclose(trip.xy[-1], dst, atol=1e-9)
        assert trip.times_s[-1] == trip.t_arrive_s
    else:
        assert math.isinf(trip.t_arrive_s)


# ----------------------------------------------------------------------------- static state


def test_static_closures_route_and_matrix_equal_networkx(g) -> None:
    """Closures from t=0 (and from -inf) for ever: route cost and travel_times equal access +
    nx.shortest_path_length on a copy without the closed edges (slowed edges x 1/0.5), 1e-6 s."""
    rng = np.random.default_rng(1)
    keys = list(g.edges(keys=True))
    n_unreachable = 0
    for trial in range(4):
        closed = [keys[i] for i in rng.choice(len(keys), 70, replace=False)]
        slowed = [keys[i] for i in rng.choice(len(keys), 60, replace=False)]
        rs = RoadState(g)
        t_from = 0.0 if trial % 2 else -math.inf
        rs.add(Closure(tuple(closed), t_from, math.inf, "manual", "blocked"))
        rs.add(Closure(tuple(slowed), t_from, math.inf, "incident", "one lane open", speed_factor=0.5))
        h = _reference(g, closed, [e for e in slowed if e not in set(closed)], 0.5)
        src, dst = _points(g, rng, 25), _points(g, rng, 6)
        ref = np.array([[_ref_time(h, g, a, b) for b in dst] for a in src])
        T = rs.travel_times(src, dst, 100.0)
        assert np.array_equal(np.isinf(T), np.isinf(ref))
        assert np.allclose(T[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=0, atol=TOL_S)
        n_unreachable += int(np.isinf(ref).sum())
        for i, a in enumerate(src):
            b = dst[i % len(dst)]
            trip = rs.route(a, b, 100.0)
            _check_trip(rs, trip, a, b)
            r = ref[i, i % len(dst)]
            if math.isinf(r):
                assert not trip.reachable
            else:
                assert trip.duration_s == pytest.approx(r, abs=TOL_S)
                assert not trip.replans and not trip.waits
        # a slower vehicle: every time / 0.8 (route and matrix alike)
        T8 = rs.travel_times(src, dst, 100.0, speed_factor=np.full(len(src), 0.8))
        assert np.allclose(T8[np.isfinite(ref)], ref[np.isfinite(ref)] / 0.8, rtol=0, atol=TOL_S)
        fin = np.flatnonzero(np.isfinite(ref[:, 0]))[0]
        assert rs.route(src[fin], dst[0], 100.0, speed_factor=0.8).duration_s == pytest.approx(ref[fin, 0] / 0.8,
                                                                                               abs=TOL_S)
    assert n_unreachable > 0  # the random closure sets cut some pairs off: inf is exercised


def test_open_network_matches_matching_road_travel_times(g) -> None:
    """With nothing closed, travel_times equals sim.drill.match_inputs.road_travel_times (1e-6 s)."""
    rng = np.random.default_rng(2)
    src, dst = _points(g, rng, 40), _points(g, rng, 9)
    res = pd.DataFrame({"x_m": src[:, 0], "y_m": src[:, 1]})
    incs = [Incident(f"I{i}", "fire", "III", float(x), float(y)) for i, (x, y) in enumerate(dst)]
    ref = road_travel_times(g, res, incs)
    T = RoadState(g).travel_times(src, dst, 0.0)
    assert np.isfinite(ref).all()
    assert np.allclose(T, ref, rtol=0, atol=TOL_S)


# ----------------------------------------------------------------------------- time-varying state


def test_random_timed_closures_never_driven_and_forecast_is_lower_bound(g) -> None:
    """Random roads (both directions) closing and reopening at random times, some mid-trip:
    every driven edge is open when entered, clocks are monotone, trips end at the destination,
    no trip beats free flow, and the forecast router (knows the future, may wait) is never later
    than the adaptive one (1e-9 s)."""
    rng = np.random.default_rng(3)
    rs = RoadState(g)
    keys = list(g.edges(keys=True))
    for _ in range(60):
        es = edges_of(rs, [keys[i] for i in rng.choice(len(keys), 3, replace=False)])
        t_a = rng.uniform(0.0, 900.0)
        rs.add(Closure(es, t_a, t_a + rng.uniform(30.0, 600.0), "landslide", "debris on road"))
    free = _reference(g)
    n_replans = n_edges = 0
    src, dst = _points(g, rng, 60), _points(g, rng, 60)
    for a, b, t0 in zip(src, dst, rng.uniform(0.0, 800.0, 60)):
        trip = rs.route(a, b, float(t0))
        _check_trip(rs, trip, a, b)
        assert trip.reachable  # every closure ends, so a route exists after the last change at the latest
        assert trip.duration_s >= _ref_time(free, g, a, b) - 1e-9
        fc = time_dependent_fastest(rs, a, b, float(t0))
        _check_trip(rs, fc, a, b)
        assert fc.t_arrive_s <= trip.t_arrive_s + 1e-9
        n_replans += len(trip.replans)
        n_edges += len(trip.edges)
    assert n_replans > 0 and n_edges > 300


@pytest.mark.parametrize("replan", [True, False])
def test_closure_ahead_on_planned_path_forces_exact_replan(g, replan: bool) -> None:
    """An edge on the planned route closes while the vehicle drives. replan=True: at the first
    node reached after the closure it re-plans, arrival = t(node) + Dijkstra(node -> dst without
    the edge) + access. replan=False: it re-plans when about to enter the edge. Both 1e-6 s."""
    rng = np.random.default_rng(4)
    rs0 = RoadState(g)
    src, dst = _points(g, rng, 40), _points(g, rng, 40)
    i = max(range(40), key=lambda i: len(rs0.route(src[i], dst[i], 0.0).edges))
    a, b = src[i], dst[i]
    base = rs0.route(a, b, 0.0)
    m = len(base.edges) * 2 // 3
    u, v, k, t_in, _ = base.edges[m]
    t_c = base.edges[1][4] + 0.5 * (base.edges[2][4] - base.edges[1][4])  # while on the 3rd edge
    rs = RoadState(g)
    rs.add(Closure(((u, v, k),), t_c, math.inf, "landslide", "landslide debris"))
    trip = rs.route(a, b, 0.0, replan=replan)
    _check_trip(rs, trip, a, b)
    assert (u, v, k) not in [e[:3] for e in trip.edges]
    assert len(trip.replans) == 1
    t_r, why = trip.replans[0]
    name = g.edges[u, v, k]["name"] or f"{u}->{v}"
    assert why == f"edge {name} closed: landslide debris"
    h = _reference(g, closed=[(u, v, k)])
    (nb,) = nearest_nodes(g, [b[0]], [b[1]])
    acc_b = math.hypot(b[0] - g.nodes[nb]["x"], b[1] - g.nodes[nb]["y"]) / ACCESS_SPEED_M_S
    if replan:  # the node where the 3rd edge ends
        node, t_node = base.edges[2][1], base.edges[2][4]
    else:  # the tail of the closed edge
        node, t_node = u, t_in
    assert t_r == pytest.approx(t_node, abs=1e-9)
    assert trip.t_arrive_s == pytest.approx(t_node + nx.shortest_path_length(h, node, nb, weight="travel_time_s")
                                            + acc_b, abs=TOL_S)
    assert trip.t_arrive_s >= base.t_arrive_s - 1e-9


def test_several_destinations_take_the_cheapest_and_choose_again_when_it_is_cut_off(g) -> None:
    """``dst_xy`` with several points (a super sink): the trip arrives at access + networkx
    Dijkstra + access to the cheapest point (1e-6 s) and ends there; when every road into the
    node chosen closes while it drives, it plans again at the next node and goes to the cheapest
    of the others: t(node) + Dijkstra without those roads + access. Points on road nodes (no
    access legs) take one cached search from all of them: the same arrival."""
    rng = np.random.default_rng(7)
    rs0 = RoadState(g)
    h = _reference(g)
    src, dst = _points(g, rng, 12), _points(g, rng, 4)
    longest = None
    for a in src:
        ref = np.array([_ref_time(h, g, a, b) for b in dst])
        i = int(np.argmin(ref))
        trip = rs0.route(a, dst, 50.0)
        _check_trip(rs0, trip, a, dst[i])
        assert trip.duration_s == pytest.approx(ref[i], abs=TOL_S)
        assert rs0.travel_times(a[None], dst, 50.0).min() == pytest.approx(ref[i], abs=TOL_S)
        if len(trip.edges) >= 4 and (longest is None or len(trip.edges) > len(longest[1].edges)):
            longest = (a, trip, i)
        # points on road nodes (no access legs: one cached search from all of them)
        at_nodes = rs0.node_xy[rs0._snap(dst)[0]]
        ref_n = np.array([_ref_time(h, g, a, b) for b in at_nodes])
        tn = rs0.route(a, at_nodes, 50.0)
        _check_trip(rs0, tn, a, at_nodes[int(np.argmin(ref_n))])
        assert tn.duration_s == pytest.approx(ref_n.min(), abs=TOL_S)
    a, base, i = longest
    nb = base.edges[-1][1]
    into = [e for e in g.in_edges(nb, keys=True)]
    t_c = base.edges[1][3] + 0.5 * (base.edges[1][4] - base.edges[1][3])  # while on the 2nd edge
    rs = RoadState(g)
    rs.add(Closure(tuple(into), t_c, math.inf, "manual", "blocked"))
    trip = rs.route(a, dst, 50.0)
    node, t_node = base.edges[1][1], base.edges[1][4]
    hc = _reference(g, closed=into)
    nodes = nearest_nodes(g, dst[:, 0], dst[:, 1])
    left = []
    for b, n in zip(dst, nodes):
        acc = math.hypot(b[0] - g.nodes[n]["x"], b[1] - g.nodes[n]["y"]) / ACCESS_SPEED_M_S
        try:
            left.append(t_node + nx.shortest_path_length(hc, node, n, weight="travel_time_s") + acc)
        except nx.NetworkXNoPath:
            left.append(math.inf)
    k = int(np.argmin(left))
    assert nodes[k] != nb and len(trip.replans) == 1
    _check_trip(rs, trip, a, dst[k])
    assert trip.t_arrive_s == pytest.approx(left[k], abs=TOL_S)
    with pytest.raises(InputError, match="expected one destination"):
        time_dependent_fastest(rs, a, dst, 50.0)


def test_waiting_for_a_cut_off_destination(g) -> None:
    """Every road into the destination node closed until T = 3000 s: a trip that finds no route
    waits at its node until T, then drives: arrival = T + Dijkstra(node -> dst) + access (1e-6 s),
    both when cut off from the start and when cut off mid-trip. The forecast router may wait next
    to the destination instead: arrival = T + fastest entering edge + access. Cut off for ever:
    unreachable."""
    rng = np.random.default_rng(5)
    rs0 = RoadState(g)
    src, dst = _points(g, rng, 40), _points(g, rng, 40)
    i = max(range(40), key=lambda i: len(rs0.route(src[i], dst[i], 0.0).edges))
    a, b = src[i], dst[i]
    (nb,) = nearest_nodes(g, [b[0]], [b[1]])
    into = tuple((u, v, k) for u, v, k in g.in_edges(nb, keys=True))
    acc_b = math.hypot(b[0] - g.nodes[nb]["x"], b[1] - g.nodes[nb]["y"]) / ACCESS_SPEED_M_S
    free = _reference(g)
    T = 3000.0
    base = rs0.route(a, b, 100.0)
    # cut off from the start
    rs = RoadState(g)
    rs.add(Closure(into, 0.0, T, "incident", "police cordon"))
    trip = rs.route(a, b, 100.0)
    _check_trip(rs, trip, a, b)
    s_node = base.edges[0][0]
    assert len(trip.waits) == 1 and trip.waits[0][1] == T
    assert trip.waits[0][0] == pytest.approx(base.edges[0][3], abs=1e-9)  # waited at the start node
    assert trip.t_arrive_s == pytest.approx(T + nx.shortest_path_length(free, s_node, nb, weight="travel_time_s")
                                            + acc_b, abs=TOL_S)
    fc = time_dependent_fastest(rs, a, b, 100.0)
    _check_trip(rs, fc, a, b)
    assert fc.t_arrive_s == pytest.approx(T + min(free.edges[e]["travel_time_s"] for e in into) + acc_b, abs=TOL_S)
    # cut off mid-trip (while on the 2nd edge)
    t_c = 0.5 * (base.edges[1][3] + base.edges[1][4])
    rs = RoadState(g)
    rs.add(Closure(into, t_c, T, "incident", "police cordon"))
    trip = rs.route(a, b, 100.0)
    _check_trip(rs, trip, a, b)
    node, t_node = base.edges[1][1], base.edges[1][4]
    assert trip.waits == [(t_node, T, trip.waits[0][2])]
    assert trip.t_arrive_s == pytest.approx(T + nx.shortest_path_length(free, node, nb, weight="travel_time_s")
                                            + acc_b, abs=TOL_S)
    # cut off for ever
    rs = RoadState(g)
    rs.add(Closure(into, 0.0, math.inf, "incident", "bridge collapsed"))
    trip = rs.route(a, b, 100.0)
    _check_trip(rs, trip, a, b)
    assert not trip.reachable and math.isinf(trip.duration_s) and not trip.edges
    assert np.allclose(trip.xy[-1], [g.nodes[s_node]["x"], g.nodes[s_node]["y"]])
    assert "unreachable" in trip.replans[-1][1]
    assert not time_dependent_fastest(rs, a, b, 100.0).reachable
    assert rs.why_closed(*into[0], 50.0) == "bridge collapsed" and rs.why_closed(*into[0], -1.0) == ""


# ----------------------------------------------------------------------------- flood and hazard zones

DEEP = (402400.0, 2853000.0, 402800.0, 2853400.0)  # cell-aligned (5 m grid), 0.5 m deep
SHALLOW = (402000.0, 2854000.0, 402400.0, 2854400.0)  # 0.1 m deep
ZONE = (401900.0, 2853200.0, 402300.0, 2853500.0)


def _rect_frame(grid: Raster, rect: tuple[float, float, float, float], value: float) -> np.ndarray:
    rows, cols = np.indices(grid.shape)
    x, y = grid.xy(rows, cols)
    return np.where((x > rect[0]) & (x < rect[2]) & (y > rect[1]) & (y < rect[3]), value, 0.0)


def _hit(g, rect) -> set:
    """Edges crossing rect; asserts no edge passes within 6 m of its border (well-posed test)."""
    r = box(*rect)
    hit = set(edges_hitting(g, r))
    assert hit == set(edges_hitting(g, r.buffer(-6.0, join_style=2))) == set(edges_hitting(g, r.buffer(6.0, join_style=2)))
    return hit


def test_flood_frames_close_deep_edges_and_slow_wet_ones(g, grid) -> None:
    """Frames at offset 1000 s + [0, 600, 1200] s: deep rectangle; deep + shallow; dry. Each
    frame stands for the interval up to the next as the worse of the two (the shallow water that
    frame 2 shows at 1600 s may be there from 1000 s), so the roads change at 1000 and 2200 s.
    Closed edges = shapely intersection with the deep rectangle; wet edges run at the
    Pregnolato et al. (2017, eq. 3) speed at 100 mm, 0.0009*100^2 - 0.5529*100 + 86.9448 =
    40.6548 km/h, capped by the limit (factor 40.6548/limit); dry before the first frame and
    after the third."""
    deep, wet = _hit(g, DEEP), _hit(g, SHALLOW)
    assert deep and wet and not deep & wet
    f0 = _rect_frame(grid, DEEP, 0.5)
    frames = np.stack([f0, f0 + _rect_frame(grid, SHALLOW, 0.1), np.zeros(grid.shape)])
    rs = RoadState(g)
    rs.add_flood(np.array([0.0, 600.0, 1200.0]), frames, grid, offset_s=1000.0)
    assert np.array_equal(rs.change_times(), [1000.0, 2200.0])
    assert np.array_equal(rs.change_times(1500.0, 2200.0), [2200.0])
    assert rs.closed_edges(999.9) == []
    assert set(rs.closed_edges(1000.0)) == deep and set(rs.closed_edges(2199.0)) == deep
    assert rs.closed_edges(2200.0) == [] and rs.closed_edges(1e6) == []
    e = next(iter(deep))
    assert rs.why_closed(*e, 1700.0).startswith("flood depth 0.50 m > 0.3 m")
    seen = set()
    for u, v, k in wet:
        lim = g.edges[u, v, k]["speed_kph"]
        expect = 40.6548 / lim if lim > 40.6548 else 1.0
        assert rs.edge_factor(u, v, k, 999.0) == 1.0 and rs.edge_factor(u, v, k, 2200.0) == 1.0
        assert rs.edge_factor(u, v, k, 1000.0) == pytest.approx(expect, abs=1e-12)
        assert rs.edge_factor(u, v, k, 1600.0) == pytest.approx(expect, abs=1e-12)
        assert rs.why_closed(u, v, k, 1600.0) == ""
        seen.add(expect < 1.0)
    assert seen == {True, False}  # both slowed (50/60 km/h) and unaffected (30/40 km/h) roads tested
    f = rs.factors(1700.0)
    others = [i for i, ek in enumerate(rs.edge_keys) if ek not in deep | wet]
    assert np.all(f[others] == 1.0)


def test_toxic_zone_only_protected_teams_enter(g, grid) -> None:
    """A red zone on the direct route: a protected team drives through it at the free-flow
    time; an unprotected one avoids every zone edge, at the time of Dijkstra on the graph
    without them (1e-6 s). The zone vanishes with the next frame."""
    zone = _hit(g, ZONE)
    frames = np.stack([_rect_frame(grid, ZONE, 5e-3), np.zeros(grid.shape)])
    rs = RoadState(g)
    rs.add_zone(np.array([0.0, 3600.0]), frames, grid, 1e-3, label="AEGL-3 (red) zone")
    assert set(rs.closed_edges(10.0)) == zone and rs.closed_edges(10.0, protected=True) == []
    assert rs.why_closed(*next(iter(zone)), 10.0) == "AEGL-3 (red) zone: 0.005 >= 0.001"
    free, h = _reference(g), _reference(g, closed=zone)
    rng = np.random.default_rng(6)
    src, dst = _points(g, rng, 200), _points(g, rng, 200)
    n = 0
    for a, b in zip(src, dst):
        tp = rs.route(a, b, 10.0, protected=True)
        t_avoid = _ref_time(h, g, a, b)
        if not {e[:3] for e in tp.edges} & zone or math.isinf(t_avoid):
            continue  # the zone is not on the way, or an end lies inside it (waits for it to clear)
        _check_trip(rs, tp, a, b, protected=True)
        assert tp.duration_s == pytest.approx(_ref_time(free, g, a, b), abs=TOL_S)
        tu = rs.route(a, b, 10.0)
        _check_trip(rs, tu, a, b)
        assert not {e[:3] for e in tu.edges} & zone and not tu.waits
        assert tu.duration_s == pytest.approx(t_avoid, abs=TOL_S)
        assert tu.duration_s > tp.duration_s
        M = rs.travel_times(np.stack([a, a]), b[None, :], 10.0, protected=np.array([True, False]))
        assert M[:, 0] == pytest.approx([tp.duration_s, tu.duration_s], abs=TOL_S)
        assert rs.route(a, b, 3600.0).duration_s == pytest.approx(tp.duration_s, abs=TOL_S)
        n += 1
    assert n >= 5


def test_peak_on_trip_is_the_cloud_on_the_edges_while_they_are_driven(g, grid) -> None:
    """A cloud of 5e-3 over ZONE from 1000 s to 3600 s (zeros after), below the closing level,
    so unprotected trips drive through it: a trip on zone edges inside that window meets exactly
    5e-3, for the seconds it drives them (time_at_or_above_on_trip; none above 5e-3); the same
    trip driven before the first frame, after the cloud has gone, or a trip that never touches a
    zone edge meets 0."""
    zone = _hit(g, ZONE)
    frames = np.stack([_rect_frame(grid, ZONE, 5e-3), np.zeros(grid.shape)])
    rs = RoadState(g)
    rs.add_zone(np.array([1000.0, 3600.0]), frames, grid, 1e-2)
    assert rs.closed_edges(2000.0) == []
    rng = np.random.default_rng(11)
    through = clear = 0
    for a, b in zip(_points(g, rng, 300), _points(g, rng, 300)):
        tr = rs.route(a, b, 2000.0)
        on = [e for e in tr.edges if e[:3] in zone]
        if on and through < 5 and on[-1][4] < 3600.0:
            assert rs.peak_on_trip(tr) == 5e-3
            assert rs.peak_on_trip(tr, "flood") == 0.0
            on_s = sum(e[4] - e[3] for e in on)
            assert rs.time_at_or_above_on_trip(tr, 5e-3) == pytest.approx(on_s, abs=1e-9) and on_s > 0.0
            assert rs.time_at_or_above_on_trip(tr, 5.1e-3) == 0.0
            early = rs.route(a, b, 0.0)
            if early.t_arrive_s < 1000.0:
                assert rs.peak_on_trip(early) == 0.0
            assert rs.peak_on_trip(rs.route(a, b, 4000.0)) == 0.0
            through += 1
        elif not on and clear < 5:
            assert rs.peak_on_trip(tr) == 0.0
            clear += 1
    assert through == 5 and clear == 5


def test_avoided_zone_costs_its_seconds_times_the_penalty_and_closes_nothing(g, grid) -> None:
    """An avoided zone (the risk zone evacuees keep out of) over ZONE from 0 to 3600 s closes
    nothing and slows nothing. A route with ``avoid_penalty`` P is the cheapest one when each
    second inside costs P: its cost (access + edge times + (P - 1) x its seconds on zone edges)
    equals networkx Dijkstra with the zone edges' times multiplied by P (1e-6 s), and it is driven
    at the free-flow times. P = 1 is the fastest route; P = 1e6 keeps out of the zone whenever
    the graph without it connects the ends, at that graph's shortest time; after the cloud has
    gone every P gives the fastest route. ``travel_times`` with P gives the same costs."""
    zone = _hit(g, ZONE)
    frames = np.stack([_rect_frame(grid, ZONE, 5e-3), np.zeros(grid.shape)])
    rs = RoadState(g)
    rs.add_zone(np.array([0.0, 3600.0]), frames, grid, 1e-3, label="orange toxic zone", avoid=True)
    assert rs.closed_edges(10.0) == [] and np.all(rs.factors(10.0) == 1.0)
    assert {rs.edge_keys[i] for i in np.flatnonzero(rs.in_avoided_zone(10.0))} == zone
    assert not rs.in_avoided_zone(3600.0).any()
    P = 10.0
    pen = _reference(g, slowed=zone, factor=1.0 / P)
    free, without = _reference(g), _reference(g, closed=zone)
    rng = np.random.default_rng(8)
    n = detour = 0
    for a, b in zip(_points(g, rng, 300), _points(g, rng, 300)):
        fast = rs.route(a, b, 10.0)
        if not {e[:3] for e in fast.edges} & zone:
            continue
        assert fast.duration_s == pytest.approx(_ref_time(free, g, a, b), abs=TOL_S)
        tr = rs.route(a, b, 10.0, avoid_penalty=P)
        _check_trip(rs, tr, a, b)
        inside = sum(e[4] - e[3] for e in tr.edges if e[:3] in zone)
        assert rs.time_at_or_above_on_trip(tr, 1e-3) == pytest.approx(inside, abs=1e-9)
        assert tr.duration_s + (P - 1.0) * inside == pytest.approx(_ref_time(pen, g, a, b), abs=TOL_S)
        # the shelter assignment's costs are those of the routes taken
        assert rs.travel_times(a, b, 10.0, avoid_penalty=P)[0, 0] == pytest.approx(_ref_time(pen, g, a, b), abs=TOL_S)
        assert tr.duration_s >= fast.duration_s - TOL_S
        t_out = _ref_time(without, g, a, b)
        if math.isfinite(t_out):
            far = rs.route(a, b, 10.0, avoid_penalty=1e6)
            assert not {e[:3] for e in far.edges} & zone
            assert far.duration_s == pytest.approx(t_out, abs=TOL_S)
        assert rs.route(a, b, 3600.0, avoid_penalty=P).duration_s == pytest.approx(fast.duration_s, abs=TOL_S)
        detour += tr.duration_s > fast.duration_s + 1.0
        n += 1
    assert n >= 5 and detour >= 1
    with pytest.raises(InputError, match="avoid_penalty"):
        rs.route(a, b, 10.0, avoid_penalty=0.5)


def test_inside_the_closed_zone_the_way_out_is_the_least_exposed_one(g, grid) -> None:
    """The drill's toxic zone as prepare.py builds it: ZONE closed to all but protected resources
    and avoided at the same level. From a node whose links all lie in the zone (``in_closed_zone``)
    nothing unprotected leaves before the cloud goes; an evacuee group there drives as protected with
    penalty P (:meth:`sim.drill.destinations.DestinationsMixin._route_mode`), whose route is the cheapest
    when each second in the zone costs P: networkx Dijkstra with the zone edges' times x P
    (1e-6 s). Points away from the zone are not inside."""
    zone = _hit(g, ZONE)
    frames = np.stack([_rect_frame(grid, ZONE, 5e-3), np.zeros(grid.shape)])
    rs = RoadState(g)
    rs.add_zone(np.array([0.0, 3600.0]), frames, grid, 1e-3, label="red toxic zone")
    rs.add_zone(np.array([0.0, 3600.0]), frames, grid, 1e-3, label="red toxic zone", avoid=True)
    inner = [n for n in sorted({u for u, _, _ in zone}, key=str) if all(e in zone for e in g.out_edges(n, keys=True))]
    xy_in = np.array([(g.nodes[n]["x"], g.nodes[n]["y"]) for n in inner])
    rng = np.random.default_rng(11)
    far = _points(g, rng, 400)
    far = far[np.hypot(far[:, 0] - 0.5 * (ZONE[0] + ZONE[2]), far[:, 1] - 0.5 * (ZONE[1] + ZONE[3])) > 800.0][:40]
    assert rs.in_closed_zone(xy_in, 10.0).all() and not rs.in_closed_zone(far, 10.0).any()
    assert not rs.in_closed_zone(xy_in, 3600.0).any()  # the cloud has gone
    P = 10.0
    pen = _reference(g, slowed=zone, factor=1.0 / P)
    n = 0
    for a in xy_in:
        for b in far[:5]:
            assert math.isinf(rs.travel_times(a, b, 10.0, avoid_penalty=P)[0, 0])
            tr = rs.route(a, b, 10.0, protected=True, avoid_penalty=P)
            _check_trip(rs, tr, a, b, protected=True)
            inside = sum(e[4] - e[3] for e in tr.edges if e[:3] in zone)
            assert inside > 0.0
            want = _ref_time(pen, g, a, b)
            assert tr.duration_s + (P - 1.0) * inside == pytest.approx(want, abs=TOL_S)
            assert rs.travel_times(a, b, 10.0, protected=np.array([True]), avoid_penalty=P)[0, 0] == \
                pytest.approx(want, abs=TOL_S)
            n += 1
    assert n >= 10


# ----------------------------------------------------------------------------- input and speed


def test_bad_input_is_named(g, grid) -> None:
    rs = RoadState(g)
    with pytest.raises(InputError, match="closure edge"):
        rs.add(Closure(((-1, -2, 0),), 0.0, 10.0, "manual", "x"))
    with pytest.raises(InputError, match="closure times"):
        rs.add(Closure((), 10.0, 5.0, "manual", "x"))
    with pytest.raises(InputError, match="speed_factor"):
        rs.add(Closure((), 0.0, 5.0, "manual", "x", speed_factor=1.5))
    with pytest.raises(InputError, match="kind"):
        rs.add(Closure((), 0.0, 5.0, "meteor", "x"))
    with pytest.raises(InputError, match="depth_frames shape"):
        rs.add_flood(np.array([0.0, 1.0]), np.zeros((1, *grid.shape)), grid)
    with pytest.raises(InputError, match="strictly increasing"):
        rs.add_flood(np.array([1.0, 0.0]), np.zeros((2, *grid.shape)), grid)
    with pytest.raises(InputError, match="threshold"):
        rs.add_zone(np.array([0.0]), np.zeros((1, *grid.shape)), grid, 0.0)
    with pytest.raises(InputError, match="edge"):
        rs.edge_factor(-1, -2, 0, 0.0)


def test_queries_take_milliseconds(g) -> None:
    """Engine budget: 60 x 10 travel_times and a route (with replanning) each well under
    50 ms on the sample city (measured ~1 ms each), even with 100 timed closures."""
    rng = np.random.default_rng(7)
    rs = RoadState(g)
    keys = list(g.edges(keys=True))
    for _ in range(100):
        t_a = rng.uniform(0.0, 20000.0)
        rs.add(Closure(edges_of(rs, [keys[rng.integers(len(keys))]]), t_a, t_a + 900.0, "incident", "crash"))
    src, dst = _points(g, rng, 60), _points(g, rng, 10)
    t = time.perf_counter()
    for q in range(20):
        rs.travel_times(src, dst, 1000.0 * q)
    per_matrix = (time.perf_counter() - t) / 20
    t = time.perf_counter()
    for q in range(100):
        rs.route(src[q % 60], dst[q % 10], 200.0 * q)
    per_route = (time.perf_counter() - t) / 100
    assert per_matrix < 0.05 and per_route < 0.05
