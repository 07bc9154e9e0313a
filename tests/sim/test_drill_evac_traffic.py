"""Evacuee vehicle groups through link-entry point queues (sim.drill.evac_traffic,
sim.point_queue) against the closed form of identical platoons on one route, and a link closed
while a group waits at it."""
from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.drill.evac_traffic import LinkQueues
from sim.drill.network import Closure, RoadState
from twin.errors import InputError

SRC = np.array([401000.0, 2853000.0])
DST = np.array([403500.0, 2856500.0])


def _run(rs: RoadState, n: int, pcu: float) -> list:
    env = simpy.Environment()
    q = LinkQueues(env, rs)
    procs = [env.process(q.drive(SRC, DST, pcu)) for _ in range(n)]
    env.run()
    return [p.value[0] for p in procs], [p.value[1] for p in procs], q


def test_groups_on_one_route_leave_at_the_bottleneck_rate(sample_city):
    """n identical groups of p car units set off together on one route of links with capacities
    c_e; a link's entry takes s_e = p 3600 / c_e per group. The first group's head drives
    free, its tail trails by the tightest link's max_e s_e; every later group waits for the one
    ahead at that link, so the head of group k (from 0) arrives at free-flow time + k max_e s_e
    and its spread is max_e s_e (1e-6 s)."""
    rs = RoadState(sample_city.roads)
    free = rs.route(SRC, DST, 0.0)
    assert len(free.edges) >= 5
    n, pcu = 6, 30.0
    trips, spreads, q = _run(rs, n, pcu)
    eids = [rs._eid[e[:3]] for e in free.edges]
    s = np.array([q.service_s(e, pcu) for e in eids])
    assert np.allclose(s, pcu * 3600.0 / np.array([sample_city.roads.edges[e[:3]]["capacity_vph"] for e in free.edges]))
    assert s.max() > 1.5 * s.min()  # a route with a bottleneck
    for k, (tr, spread) in enumerate(zip(trips, spreads)):
        assert [e[:3] for e in tr.edges] == [e[:3] for e in free.edges]
        assert tr.t_arrive_s == pytest.approx(free.t_arrive_s + k * s.max(), abs=1e-6)
        assert spread == pytest.approx(s.max(), abs=1e-9)
        assert np.all(np.diff(tr.times_s) >= -1e-9)


def test_a_slowed_road_passes_fewer_vehicles(sample_city):
    """Every link at half speed (a flood-water factor 0.5 from 0 s on): the route is the same,
    its free-flow time doubles and so does every entry's service time (capacity = critical
    density x speed): head k arrives at 2 x free-flow time + k x 2 max_e s_e (1e-6 s)."""
    rs = RoadState(sample_city.roads)
    free = rs.route(SRC, DST, 0.0)
    access_s = (free.times_s[1] - free.times_s[0]) + (free.times_s[-1] - free.times_s[-2])
    slow = RoadState(sample_city.roads)
    slow.add(Closure(tuple(slow.edge_keys), 0.0, 1e9, "flood", "half speed", speed_factor=0.5))
    n, pcu = 4, 30.0
    trips, spreads, q = _run(slow, n, pcu)
    s = np.array([pcu * 3600.0 / sample_city.roads.edges[e[:3]]["capacity_vph"] for e in free.edges])
    assert q.capacity_at(slow._eid[free.edges[0][:3]], 10.0) == pytest.approx(
        0.5 * sample_city.roads.edges[free.edges[0][:3]]["capacity_vph"])
    for k, (tr, spread) in enumerate(zip(trips, spreads)):
        assert [e[:3] for e in tr.edges] == [e[:3] for e in free.edges]
        assert tr.t_arrive_s == pytest.approx(2 * (free.t_arrive_s - access_s) + access_s + k * 2 * s.max(), abs=1e-6)
        assert spread == pytest.approx(2 * s.max(), abs=1e-9)


def test_a_link_closed_while_groups_queue_for_it_is_not_entered(sample_city):
    """The route's third link closes at the time the third group would enter it: the first two
    drive it, every later group re-plans at its start node and no group enters a closed link."""
    rs = RoadState(sample_city.roads)
    free = rs.route(SRC, DST, 0.0)
    pcu = 30.0
    trips, _, q = _run(rs, 3, pcu)
    e3 = free.edges[2][:3]
    t_close = trips[2].edges[2][3] - 1e-3  # just before the third group enters it
    assert t_close > trips[1].edges[2][3]
    rs2 = RoadState(sample_city.roads)
    rs2.add(Closure((e3,), t_close, 1e9, "manual", "closed for the test"))
    trips2, _, _ = _run(rs2, 5, pcu)
    assert [e[:3] for e in trips2[0].edges][2] == e3 and [e[:3] for e in trips2[1].edges][2] == e3
    for tr in trips2:
        assert tr.reachable
        for u, v, k, t_in, _ in tr.edges:
            assert rs2.edge_factor(u, v, k, t_in) > 0.0
    assert all(e3 not in [e[:3] for e in tr.edges] for tr in trips2[2:])


def test_bad_pcu_is_named(sample_city):
    env = simpy.Environment()
    q = LinkQueues(env, RoadState(sample_city.roads))
    env.process(q.drive(SRC, DST, 0.0))
    with pytest.raises(InputError, match="pcu"):
        env.run()


def test_time_in_the_cloud_counts_the_queues(sample_city):
    """A cloud over the whole grid (below the closing level) from 60 s after the groups reach
    their first node: each group's time on roads at its level is its head's time from the first
    node to the last, queues included, i.e. the free-flow edge times + k max_e s_e, less those
    60 s (1e-6 s)."""
    grid = sample_city.terrain
    rs = RoadState(sample_city.roads)
    free = rs.route(SRC, DST, 0.0)
    t_first = float(free.times_s[1])  # at the first node, after the access leg
    rs.add_zone(np.array([t_first + 60.0]), np.full((1, *grid.shape), 5e-3), grid, 1.0, label="test cloud")
    edge_s = sum(e[4] - e[3] for e in free.edges)
    n, pcu = 4, 30.0
    trips, _, q = _run(rs, n, pcu)
    s = np.array([q.service_s(rs._eid[e[:3]], pcu) for e in free.edges])
    for k, tr in enumerate(trips):
        assert rs.time_at_or_above_on_trip(tr, 5e-3) == pytest.approx(edge_s + k * s.max() - 60.0, abs=1e-6)
        assert rs.time_at_or_above_on_trip(tr, 6e-3) == 0.0
