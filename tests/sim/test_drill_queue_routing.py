"""Evacuees' route choice (sim.drill.evac_traffic.EvacueeCosts) on a small graph with two routes
from C to B: seeing the queues, against the hand-worked first-come-first-served splits; weighing
the risk zone where the forecast puts it, against the route blind to it; and the point queue's
predicted free times (sim.point_queue.EntryQueues.free_at_s) against the times groups actually
get in."""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import simpy
from affine import Affine

from sim.drill.evac_traffic import LinkQueues
from sim.drill.network import Closure, RoadState
from sim.point_queue import EntryQueues
from terrain.raster import Raster
from twin.roads import straight_edge

V_M_S = 10.0  # 36 km/h on every link


def _two_routes(short_s: float, long_s: float, approach_s: float = 0.0) -> nx.MultiDiGraph:
    """A -> C (approach, wide), then C -> X -> B (``short_s``) or C -> Y -> B (``long_s``): the
    first link of each (100 s) passes 1,200 veh/h, everything else 10,000 veh/h."""
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for n, (x, y) in {"A": (0, -2000), "C": (0, 0), "X": (-500, 500), "Y": (500, 500), "B": (0, 1500)}.items():
        g.add_node(n, x=400000.0 + x, y=2850000.0 + y)
    links = [("C", "X", 100.0, 1200.0), ("X", "B", short_s - 100.0, 10000.0),
             ("C", "Y", 100.0, 1200.0), ("Y", "B", long_s - 100.0, 10000.0)]
    if approach_s:
        links.append(("A", "C", approach_s, 10000.0))
    for u, v, t, cap in links:
        g.add_edge(u, v, length_m=t * V_M_S, speed_kph=V_M_S * 3.6, capacity_vph=cap,
                   geometry=straight_edge(g, u, v), name=f"{u}{v}")
    return g


def _grid() -> tuple[Raster, np.ndarray, np.ndarray]:
    """A 20 m raster over the test graphs and its cell centres' x, y."""
    grid = Raster(np.zeros((225, 100), np.float32), Affine(20.0, 0.0, 399000.0, 0.0, -20.0, 2852000.0),
                  "EPSG:32649")
    rows, cols = np.indices(grid.shape)
    x, y = grid.xy(rows, cols)
    return grid, x, y


def _xy(g: nx.MultiDiGraph, n: str) -> np.ndarray:
    return np.array([g.nodes[n]["x"], g.nodes[n]["y"]])


def _groups(g: nx.MultiDiGraph, n: int, sees: bool, t_dep: float = 0.0, far: bool = False):
    """``n`` groups of 20 car units leave C for B together at ``t_dep`` (and, with ``far``, one
    more leaves A at 0); returns the trips (the far one last)."""
    env = simpy.Environment()
    q = LinkQueues(env, RoadState(g))
    out: list = []

    def later(src):
        yield env.timeout(t_dep)
        trip, _ = yield env.process(q.drive(_xy(g, src), _xy(g, "B"), 20.0, sees_queues=sees))
        return trip

    procs = [env.process(later("C")) for _ in range(n)]
    if far:
        procs.append(env.process(q.drive(_xy(g, "A"), _xy(g, "B"), 20.0, sees_queues=sees)))
    env.run()
    for p in procs:
        v = p.value
        out.append(v[0] if isinstance(v, tuple) else v)
    return out


def _via(trip) -> str:
    return trip.edges[-1][0]


def test_equal_routes_share_the_groups_when_the_queues_are_seen():
    """Two 300 s routes, each through a 1,200 veh/h entry (60 s per group). Six groups that see
    the queues alternate, so their heads arrive 300, 300, 360, 360, 420, 420 s; blind to them,
    all take one route and arrive 300 + 60 k s (1e-6 s)."""
    g = _two_routes(300.0, 300.0)
    seen = _groups(g, 6, True)
    blind = _groups(g, 6, False)
    assert [t.t_arrive_s for t in seen] == pytest.approx([300, 300, 360, 360, 420, 420], abs=1e-6)
    assert [t.t_arrive_s for t in blind] == pytest.approx([300 + 60 * k for k in range(6)], abs=1e-6)
    assert len({_via(t) for t in blind}) == 1 and sorted(_via(t) for t in seen) == ["X"] * 3 + ["Y"] * 3


def test_a_longer_route_takes_the_groups_its_queue_wait_makes_worth_it():
    """Routes of 300 s and 450 s. Group k takes the one with the earlier arrival, 300 + 60 n_X
    or 450 + 60 n_Y with n the groups ahead on each (worked by hand): X X X Y X Y, heads at 300,
    360, 420, 450, 480, 510 s."""
    g = _two_routes(300.0, 450.0)
    seen = _groups(g, 6, True)
    assert [_via(t) for t in seen] == list("XXXYXY")
    assert [t.t_arrive_s for t in seen] == pytest.approx([300, 360, 420, 450, 480, 510], abs=1e-6)


def test_a_group_that_finds_a_long_queue_plans_again():
    """A group leaves A at 0 on a 600 s approach to C and plans X (300 s, no queue then). Ten
    groups leave C at 500 s and split X X Y X Y X Y X Y X (300 + 60 n_X against 400 + 60 n_Y),
    so X's entry is busy until 500 + 6 x 60 = 860 s and Y's until 740 s. At C at 600 s the far
    group finds a 260 s queue where it planned none, plans again and takes Y: 600 + 140 + 400 =
    1,140 s. With every group blind to the queues, all take X and the far one gets in at
    500 + 10 x 60 s and arrives at 1,400 s."""
    g = _two_routes(300.0, 400.0, approach_s=600.0)
    seen = _groups(g, 10, True, t_dep=500.0, far=True)
    assert [_via(t) for t in seen[:10]] == list("XXYXYXYXYX")
    far = seen[-1]
    assert _via(far) == "Y" and far.t_arrive_s == pytest.approx(1140.0, abs=1e-6)
    assert len(far.replans) == 1 and "queue of 4.3 min at CX" in far.replans[0][1]
    blind = _groups(g, 10, False, t_dep=500.0, far=True)[-1]
    assert _via(blind) == "X" and blind.t_arrive_s == pytest.approx(1400.0, abs=1e-6)


def test_the_risk_zone_is_weighed_where_the_forecast_puts_it():
    """Routes of 300 s (via X) and 450 s (via Y); the avoided zone covers link X-B from 150 s on
    (frames at 0, 150 and 300 s; nothing at t = 0). A group leaving C at 0 with penalty 10 and
    the forecast would be on X-B from 100 to 300 s, inside the zone: 100 + 10 x 200 s > 450 s,
    so it takes Y, arriving at 450 s with no time in the zone. Weighing the zone as it is when
    it plans, it takes X, arrives at 300 s and drives 150 s in the zone; so does a group whose
    forecast is known only from 100 s (``forecast_from_s``: a release that has not happened when
    it plans), by then committed to X-B."""
    g = _two_routes(300.0, 450.0)
    grid, x, y = _grid()
    rect = (x > 399600.0) & (x < 399900.0) & (y > 2850800.0) & (y < 2851200.0)  # round X-B's middle
    frames = np.stack([np.zeros(grid.shape), np.zeros(grid.shape), np.where(rect, 5e-3, 0.0)])
    out = {}
    for fc, known_s in ((True, -np.inf), (False, -np.inf), ("late", 100.0)):
        env = simpy.Environment()
        rs = RoadState(g)
        rs.add_zone(np.array([0.0, 150.0, 300.0]), frames, grid, 1e-3, label="orange", avoid=True)
        assert {rs.edge_keys[i][:2] for i in np.flatnonzero(rs.in_avoided_zone(200.0))} == {("X", "B")}
        assert not rs.in_avoided_zone(0.0).any()
        q = LinkQueues(env, rs)
        p = env.process(q.drive(_xy(g, "C"), _xy(g, "B"), 20.0, zone_forecast=bool(fc), forecast_from_s=known_s,
                                avoid_penalty=10.0))
        env.run()
        out[fc] = (p.value[0], rs.time_at_or_above_on_trip(p.value[0], 1e-3))
    (ahead, in_ahead), (blind, in_blind), (late, in_late) = out[True], out[False], out["late"]
    assert _via(late) == "X" and late.t_arrive_s == pytest.approx(300.0, abs=1e-6)
    assert in_late == pytest.approx(150.0, abs=1e-6)
    assert _via(ahead) == "Y" and ahead.t_arrive_s == pytest.approx(450.0, abs=1e-6) and in_ahead == 0.0
    assert _via(blind) == "X" and blind.t_arrive_s == pytest.approx(300.0, abs=1e-6)
    assert in_blind == pytest.approx(150.0, abs=1e-6)


def test_the_zone_is_weighed_when_the_group_gets_in_after_its_queue():
    """A first group of 33.3 car units (100 s at C-X's 1,200 veh/h entry) takes X, blind. The zone
    covers X-B from 320 s. A second group leaving C at 0 would get into C-X at 100 s (behind the
    first), reach X at 200 s and be on X-B until 400 s, inside the zone from 320 s: X costs
    100 + 100 + 10 x 200 s against Y's 450 s, so it takes Y (450 s, nothing inside). Were the
    zone weighed at the free-flow times (X-B from 100 to 300 s) it would take X and spend 80 s
    in the zone."""
    g = _two_routes(300.0, 450.0)
    grid, x, y = _grid()
    rect = (x > 399600.0) & (x < 399900.0) & (y > 2850800.0) & (y < 2851200.0)
    frames = np.stack([np.zeros(grid.shape), np.zeros(grid.shape), np.where(rect, 5e-3, 0.0)])
    env = simpy.Environment()
    rs = RoadState(g)
    rs.add_zone(np.array([0.0, 320.0, 640.0]), frames, grid, 1e-3, label="orange", avoid=True)
    q = LinkQueues(env, rs)
    first = env.process(q.drive(_xy(g, "C"), _xy(g, "B"), 100.0 / 3.0))
    second = env.process(q.drive(_xy(g, "C"), _xy(g, "B"), 20.0, sees_queues=True, zone_forecast=True,
                                 avoid_penalty=10.0))
    env.run()
    assert _via(first.value[0]) == "X"
    tr = second.value[0]
    assert _via(tr) == "Y" and tr.t_arrive_s == pytest.approx(450.0, abs=1e-6)
    assert rs.time_at_or_above_on_trip(tr, 1e-3) == 0.0


def test_a_queue_is_exposed_on_the_link_it_stands_on():
    """Three groups of 20 car units leave A together for B, blind to the queues: A-C (200 s,
    10,000 veh/h: 7.2 s a group at its entry), then C-X (1,200 veh/h: 60 s a group), so they wait
    0, 52.8 and 112.8 s at C. A cloud over A-C's middle holds each group for its wait at A, its
    drive on A-C and its wait at C (it queues on A-C): from its first node to its entry into C-X.
    A cloud over C-X's middle holds it only for its 100 s on C-X (1e-6 s)."""
    g = _two_routes(300.0, 450.0, approach_s=200.0)
    grid, x, y = _grid()
    rects = {"AC": (x > 399900.0) & (x < 400100.0) & (y > 2848400.0) & (y < 2849600.0),
             "CX": (x > 399700.0) & (x < 399800.0) & (y > 2850200.0) & (y < 2850300.0)}
    for name, rect in rects.items():
        env = simpy.Environment()
        rs = RoadState(g)
        rs.add_zone(np.array([0.0]), np.where(rect, 5e-3, 0.0)[None], grid, 1e-3, label="cloud", avoid=True)
        assert {rs.edge_keys[i][:2] for i in np.flatnonzero(rs.in_avoided_zone(0.0))} == {(name[0], name[1])}
        q = LinkQueues(env, rs)
        procs = [env.process(q.drive(_xy(g, "A"), _xy(g, "B"), 20.0)) for _ in range(3)]
        env.run()
        for k, p in enumerate(procs):
            tr = p.value[0]
            (_, _, _, in_ac, out_ac), (_, _, _, in_cx, out_cx) = tr.edges[:2]
            assert out_ac == pytest.approx(200.0 + 7.2 * k, abs=1e-6)
            assert in_cx - out_ac == pytest.approx(max(60.0 * k - 7.2 * k, 0.0), abs=1e-6)
            want = in_cx - float(tr.times_s[1]) if name == "AC" else out_cx - in_cx
            assert rs.time_at_or_above_on_trip(tr, 1e-3) == pytest.approx(want, abs=1e-6)
            assert rs.peak_on_trip(tr) == 5e-3


def test_a_stuck_vehicle_is_exposed_where_it_waits():
    """C-X (100 s) under a cloud from 0 to 300 s (its last frame is clear); Y-B closed throughout
    and X-B from 50 s. A vehicle leaving C at 0 takes X, finds X-B closed at 100 s, waits at X for the
    next change (300 s), still finds no way and ends unreachable: 100 s driving C-X and 200 s
    waiting at its end, 300 s in the cloud (1e-6 s)."""
    g = _two_routes(300.0, 450.0)
    grid, x, y = _grid()
    rect = (x > 399700.0) & (x < 399800.0) & (y > 2850200.0) & (y < 2850300.0)  # round C-X's middle
    rs = RoadState(g)
    rs.add_zone(np.array([0.0, 300.0]), np.stack([np.where(rect, 5e-3, 0.0), np.zeros(grid.shape)]), grid, 1e-3,
                label="cloud", avoid=True)
    rs.add(Closure((("Y", "B", 0),), 0.0, math.inf, "manual", "test"))
    rs.add(Closure((("X", "B", 0),), 50.0, math.inf, "manual", "test"))
    tr = rs.route(_xy(g, "C"), _xy(g, "B"), 0.0)
    assert not tr.reachable and [e[:2] for e in tr.edges] == [("C", "X")]
    assert float(tr.times_s[-1]) == pytest.approx(300.0, abs=1e-6)
    assert rs.time_at_or_above_on_trip(tr, 1e-3) == pytest.approx(300.0, abs=1e-6)


def test_only_a_node_inside_the_closed_zone_drives_out():
    """D - A - Z - S in a line, the links at Z closed to all but protected resources (a toxic
    zone round Z). From Z every link leaving is closed: inside, and out to the shelter S only as
    a protected vehicle. A and the dead end D beyond it keep an open link: an enclave that the
    zone cuts off, not inside; evacuees there find no route and shelter in place."""
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for n, yy in {"D": -1000.0, "A": -500.0, "Z": 0.0, "S": 1000.0}.items():
        g.add_node(n, x=400000.0, y=2850000.0 + yy)
    for u, v in (("D", "A"), ("A", "Z"), ("Z", "S")):
        for a, b in ((u, v), (v, u)):
            g.add_edge(a, b, length_m=500.0, speed_kph=36.0, capacity_vph=1800.0, geometry=straight_edge(g, a, b))
    rs = RoadState(g)
    rs.add(Closure((("A", "Z"), ("Z", "A"), ("Z", "S"), ("S", "Z")), 0.0, math.inf, "toxic", "red zone",
                   avoidable_by_protected=True))
    xy = np.array([_xy(g, n) for n in ("Z", "A", "D")])
    assert rs.in_closed_zone(xy, 10.0).tolist() == [True, False, False]
    assert np.isinf(rs.travel_times(xy, _xy(g, "S"), 10.0)).all()
    prot = rs.travel_times(xy, _xy(g, "S"), 10.0, protected=np.ones(3, bool))[:, 0]
    assert prot == pytest.approx([50.0, 100.0, 150.0], abs=1e-6)  # 500-m links at 36 km/h: 50 s each


def test_queue_records_of_a_link():
    """Three groups of 20 car units (50 persons each) leave C together blind to the queues: all
    take X, whose 1,200 veh/h entry takes 60 s per group. The second and third wait 60 and 120 s;
    a vehicle arriving at C-X at t would wait 180 - t s until 180 s; the link's record: 2 groups,
    100 persons, longest wait 120 s at 0 s, (60 + 120) x 50 / 3600 = 2.5 person-hours; with a
    200 m approach to C the longest queue (280 m) spills back beyond it."""
    g = _two_routes(300.0, 450.0)
    env = simpy.Environment()
    rs = RoadState(g)
    q = LinkQueues(env, rs)
    for _ in range(3):
        env.process(q.drive(_xy(g, "C"), _xy(g, "B"), 20.0, persons=50.0))
    env.run()
    cx = rs._eid[("C", "X", 0)]
    assert [q.wait_at(t)[cx] for t in (0.0, 30.0, 179.0, 200.0)] == pytest.approx([180.0, 150.0, 1.0, 0.0])
    assert q.wait_at(0.0)[rs._eid[("C", "Y", 0)]] == 0.0
    tab = q.link_table()
    assert list(tab.link) == ["CX"]
    r = tab.iloc[0]
    assert (r.groups_held, r.persons_held, r.wait_max_s, r.wait_max_at_s) == (2, 100.0, pytest.approx(120.0), 0.0)
    assert r.wait_person_h == pytest.approx(2.5, abs=1e-9)
    # the third group had 120 s x 1,200 veh/h = 40 car units ahead: 280 lane-metres at 7 m, on
    # a node (C) with no approach in this graph, so nothing to spill onto
    assert (r.queue_max_veh, r.queue_max_lane_m, r.spills_back) == (pytest.approx(40.0), pytest.approx(280.0), False)
    g2 = _two_routes(300.0, 450.0, approach_s=20.0)  # a 200 m one-lane approach A -> C
    env = simpy.Environment()
    q2 = LinkQueues(env, RoadState(g2))
    for _ in range(3):
        env.process(q2.drive(_xy(g2, "C"), _xy(g2, "B"), 20.0, persons=50.0))
    env.run()
    assert q2.link_table().iloc[0].spills_back  # 280 m of queue on 200 m of road


def test_entry_free_times_are_known_when_groups_join():
    """First come, first served with deterministic service: a group arriving at a with spread
    sp and service s gets in at max(a, free) and leaves the entry free at max(in + s, a + sp).
    Groups (a, sp) = (0, 100), (10, 0), (200, 50) with s = 30 s: in at 0, 100, 200; free at 100,
    130, 250; spreads 100, 30, 50."""
    env = simpy.Environment()
    q = EntryQueues(env)
    got: list = []

    def group(a, sp):
        yield env.timeout(a)
        spread = yield from q.enter("e", 25.0, 3000.0, sp)  # 25 pcu at 3,000 veh/h: 30 s
        got.append((a, env.now, q.free_at_s["e"], spread))

    for a, sp in [(0.0, 100.0), (10.0, 0.0), (200.0, 50.0)]:
        env.process(group(a, sp))
    env.run()
    assert [r[1] for r in got] == pytest.approx([0.0, 100.0, 200.0])
    assert [r[3] for r in got] == pytest.approx([100.0, 30.0, 50.0])
    assert got[-1][2] == pytest.approx(250.0)
    # free_at is set when a group joins, before it gets in: the second saw 130 while queued
    env2 = simpy.Environment()
    q2 = EntryQueues(env2)
    seen: list = []

    def watch():
        yield env2.timeout(20.0)
        seen.append(q2.free_at_s["e"])

    def g2(a, sp):
        yield env2.timeout(a)
        yield from q2.enter("e", 25.0, 3000.0, sp)

    env2.process(g2(0.0, 100.0))
    env2.process(g2(10.0, 0.0))
    env2.process(watch())
    env2.run()
    assert seen == pytest.approx([130.0])


def test_a_queue_that_fills_its_link_holds_evacuees_going_elsewhere():
    """S -> M is 70 m of one lane (holds 10 car units, 7 s), then M -> B passes one 5-unit group
    per 50 s (360 veh/h) and M -> C is free (10 s). Three groups for B leave S at 0, 0.5, 1 s and
    one for C at 1.5 s. With spill-back the first two B groups fill S -> M, the third gets on when
    the first enters M -> B (7 s), and the C group only when the second does (57 s): it reaches C
    at 57 + 7 + 10 = 74 s. With point queues it passes the B queue: 1.5 + 7 + 10 = 18.5 s."""
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for n, (x, y) in {"S": (0, 0), "M": (70, 0), "B": (170, 0), "C": (70, 100)}.items():
        g.add_node(n, x=400000.0 + x, y=2850000.0 + y)
    for u, v, cap in (("S", "M", 36000.0), ("M", "B", 360.0), ("M", "C", 36000.0)):
        length = float(np.hypot(g.nodes[v]["x"] - g.nodes[u]["x"], g.nodes[v]["y"] - g.nodes[u]["y"]))
        g.add_edge(u, v, length_m=length, speed_kph=V_M_S * 3.6, capacity_vph=cap, lanes=1,
                   geometry=straight_edge(g, u, v), name=f"{u}{v}")

    def run(spillback: bool):
        env = simpy.Environment()
        q = LinkQueues(env, RoadState(g), spillback=spillback)

        def later(dst, t):
            yield env.timeout(t)
            trip, _ = yield env.process(q.drive(_xy(g, "S"), _xy(g, dst), 5.0))
            return trip

        procs = [env.process(later(d, t)) for d, t in (("B", 0.0), ("B", 0.5), ("B", 1.0), ("C", 1.5))]
        env.run()
        return [p.value.t_arrive_s for p in procs], q

    (b1, b2, b3, c), q = run(True)
    assert c == pytest.approx(74.0, abs=1e-6)
    assert (b1, b2, b3) == pytest.approx((17.0, 67.0, 117.0), abs=1e-6)  # M -> B entries at 7, 57, 107 s
    assert q.storage_pcu[q.road.edge_keys.index(("S", "M", 0))] == pytest.approx(10.0)
    assert [round(w, 6) for _, _, w, _ in q.full_waits] == [6.0, 49.5] and q.forced == 0
    # the C group waited 55.5 s at S -> M, 55 s of it with the link full (the third group's 5.5 s
    # and its own 49.5 s): one 5-unit group stood ahead of it, not 55.5 s x 10 units/s
    row = q.link_table().set_index("link").loc["SM"]
    assert row.wait_max_s == pytest.approx(55.5) and row.queue_max_veh == pytest.approx(5.0)
    assert not any(q._entries.on_link.get(e, 0.0) > 1e-9 for e in range(len(q.road.edge_keys)))  # all off the road
    (_, _, _, c0), q0 = run(False)
    assert c0 == pytest.approx(18.5, abs=1e-6) and not q0.full_waits


def test_groups_leaving_by_any_exit_spread_over_the_exits_as_the_queues_grow():
    """Destinations {X, Y} (the ways out of a danger area, a super sink): C -> X takes 100 s and
    C -> Y 150 s, each entry passing 1,200 veh/h (60 s per group of 20 car units). Six groups
    that see the queues take the exit of earlier arrival, 100 + 60 n_X or 150 + 60 n_Y with n the
    groups ahead (worked by hand): X Y X Y X Y, arriving 100, 150, 160, 210, 220, 270 s, and each
    trip ends at its exit. Blind to the queues, all take X: 100 + 60 k s (1e-6 s)."""
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for n, (x, y) in {"C": (0, 0), "X": (-1000, 0), "Y": (1500, 0)}.items():
        g.add_node(n, x=400000.0 + x, y=2850000.0 + y)
    for v, t in (("X", 100.0), ("Y", 150.0)):
        g.add_edge("C", v, length_m=t * V_M_S, speed_kph=V_M_S * 3.6, capacity_vph=1200.0,
                   geometry=straight_edge(g, "C", v), name=f"C{v}")
    exits = np.array([_xy(g, "X"), _xy(g, "Y")])

    def run(sees: bool) -> list:
        env = simpy.Environment()
        q = LinkQueues(env, RoadState(g))
        procs = [env.process(q.drive(_xy(g, "C"), exits, 20.0, sees_queues=sees)) for _ in range(6)]
        env.run()
        return [p.value[0] for p in procs]

    seen, blind = run(True), run(False)
    assert [t.edges[-1][1] for t in seen] == list("XYXYXY")
    assert [t.t_arrive_s for t in seen] == pytest.approx([100, 150, 160, 210, 220, 270], abs=1e-6)
    for t in seen:
        assert np.allclose(t.xy[-1], _xy(g, t.edges[-1][1]), atol=1e-9)
    assert [t.edges[-1][1] for t in blind] == ["X"] * 6
    assert [t.t_arrive_s for t in blind] == pytest.approx([100 + 60 * k for k in range(6)], abs=1e-6)


def _exits_graph() -> nx.MultiDiGraph:
    """C -> M (100 s) -> X (50 s) or -> Y (120 s), and C -> Z (50 s): the ways out X, Y, Z."""
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for n, (x, y) in {"C": (0, 0), "M": (1000, 0), "X": (1500, 0), "Y": (1000, 1200), "Z": (-500, 0)}.items():
        g.add_node(n, x=400000.0 + x, y=2850000.0 + y)
    for u, v, t in (("C", "M", 100.0), ("M", "X", 50.0), ("M", "Y", 120.0), ("C", "Z", 50.0)):
        g.add_edge(u, v, length_m=t * V_M_S, speed_kph=V_M_S * 3.6, capacity_vph=10000.0,
                   geometry=straight_edge(g, u, v), name=f"{u}{v}")
    return g


def test_the_way_out_counts_its_access_leg_at_the_vehicles_speed():
    """Ways out at Z's node (50 s away) but ``a`` metres off it (access at 5 m/s) or at M (100 s):
    the trip goes to the one of least route + access time, Z when 50 + a / 5 < 100 (a = 200 m:
    arrival 90 s) and M when not (a = 300 m: 100 s). At half speed every time doubles and the
    choice stays (a = 200 m: 180 s), also when the route costs see the (empty) queues, whose edge
    times are at the vehicle's speed (1e-6 s)."""
    g = _exits_graph()
    rs = RoadState(g)
    c, m, z = _xy(g, "C"), _xy(g, "M"), _xy(g, "Z")
    for a, end, t in ((200.0, z + [0.0, -200.0], 90.0), (300.0, m, 100.0)):
        trip = rs.route(c, np.array([m, z + [0.0, -a]]), 0.0)
        assert np.allclose(trip.xy[-1], end) and trip.t_arrive_s == pytest.approx(t, abs=1e-6)
    slow = rs.route(c, np.array([m, z + [0.0, -200.0]]), 0.0, speed_factor=0.5)
    assert np.allclose(slow.xy[-1], z + [0.0, -200.0]) and slow.t_arrive_s == pytest.approx(180.0, abs=1e-6)
    env = simpy.Environment()
    q = LinkQueues(env, RoadState(g))
    p = env.process(q.drive(c, np.array([m, z + [0.0, -200.0]]), 20.0, sees_queues=True, speed_factor=0.5))
    env.run()
    trip, _ = p.value
    assert np.allclose(trip.xy[-1], z + [0.0, -200.0]) and trip.t_arrive_s == pytest.approx(180.0, abs=1e-6)


def test_a_way_out_is_chosen_again_with_its_access_leg_when_the_road_slows():
    """Ways out 300 m off X's node (60 s on foot-speed access) and at Y. From C: via X 100 + 50 +
    60 = 210 s, via Y 100 + 120 = 220 s: it heads for X. At 50 s M -> X slows to half speed
    (100 s); at M (100 s) X costs 100 + 60 = 160 s more and Y 120 s: it turns to Y and arrives
    at 220 s (keeping X, counting its access leg only in the new plan, would give 260 s)."""
    g = _exits_graph()
    rs = RoadState(g)
    rs.add(Closure((("M", "X", 0),), 50.0, math.inf, "incident", "one lane open", speed_factor=0.5))
    x_off = _xy(g, "X") + [0.0, -300.0]
    trip = rs.route(_xy(g, "C"), np.array([x_off, _xy(g, "Y")]), 0.0)
    assert [e[:2] for e in trip.edges] == [("C", "M"), ("M", "Y")]
    assert trip.t_arrive_s == pytest.approx(220.0, abs=1e-6) and len(trip.replans) == 1


def test_a_group_sent_elsewhere_on_its_way_drives_from_that_node_to_the_new_destination():
    """A group leaves A for B; at C (after the 300-s approach) its ``redirect`` answers with X:
    it drives C -> X (100 s at free flow) and its trip ends there at 400 s, the reason among its
    replans. The callback is asked at every node before the next link with the node's
    coordinates: at A, at C, and at C again for the new plan (X is the last node)."""
    g = _two_routes(400.0, 800.0, approach_s=300.0)
    env = simpy.Environment()
    q = LinkQueues(env, RoadState(g))
    asked: list = []

    def redirect(at, t):
        asked.append((tuple(np.round(at, 6)), t))
        if np.allclose(at, _xy(g, "C")) and len(asked) == 2:  # (asked again at C once sent to X)
            return _xy(g, "X")[None, :], "B no longer safe to go to"
        return None

    p = env.process(q.drive(_xy(g, "A"), _xy(g, "B"), 20.0, redirect=redirect))
    env.run()
    trip, _ = p.value
    assert trip.reachable and trip.t_arrive_s == pytest.approx(400.0, abs=1e-9)
    np.testing.assert_allclose(trip.xy[-1], _xy(g, "X"))
    assert [e[:2] for e in trip.edges] == [("A", "C"), ("C", "X")]
    assert (300.0, "B no longer safe to go to") in [(pytest.approx(t), r) for t, r in trip.replans]
    assert [a for a, _ in asked] == [tuple(_xy(g, "A")), tuple(_xy(g, "C")), tuple(_xy(g, "C"))]
    assert [t for _, t in asked] == [0.0, pytest.approx(300.0), pytest.approx(300.0)]
