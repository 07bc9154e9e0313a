"""Spill-back in the vehicle-group queues (sim.point_queue.EntryQueues with storage): a queue that
fills its link holds the groups behind it whatever their way on, and a loop of full links
clears after the stuck time; hand-worked times."""
from __future__ import annotations

import pytest
import simpy

from sim.point_queue import EntryQueues, storage_pcu

TRAVEL_S = 10.0
CAP = {"a": 36000.0, "b": 360.0, "c": 36000.0, "x": 36000.0, "y": 36000.0}  # veh/h: 0.5 s or 50 s per 5 pcu


def _drive(env, q, route, pcu, depart_s, out):
    yield env.timeout(depart_s)
    spread, prev = 0.0, None
    for e in route:
        spread = yield from q.enter(e, pcu, CAP[e], spread, came_from=prev)
        out.setdefault(route, []).append((e, env.now))
        yield env.timeout(TRAVEL_S)
        prev = e
    q.leave(prev, pcu)
    out[(route, depart_s)] = env.now


def _branch(storage):
    """Groups of 5 car units: three for a -> b (b passes one group per 50 s), then one for a -> c,
    leaving 0.5 s apart; link a holds ``storage`` car units (None: point queues)."""
    env = simpy.Environment()
    q = EntryQueues(env, storage_pcu=None if storage is None else {"a": storage, "b": 1e9, "c": 1e9})
    out: dict = {}
    for k, route in enumerate([("a", "b"), ("a", "b"), ("a", "b"), ("a", "c")]):
        env.process(_drive(env, q, route, 5.0, 0.5 * k, out))
    env.run()
    return out, q


def test_a_full_link_holds_the_group_behind_that_goes_elsewhere():
    """Point queues: the a -> c group passes the b queue, entering c at 1.5 + 10 = 11.5 s and
    arriving at 21.5 s. With a holding 10 car units: the first two b groups fill it; the third gets
    in when the first enters b (10 s), and the c group when the second does (after 50 s of b's
    service, 60 s): it enters c at 70 s and arrives at 80 s, held by a queue it does not join. The
    waits for room: the third group 1 -> 10 s, the c group 10.5 -> 60 s (until 10.5 s it waited for
    the entry, behind the third group's tail)."""
    out, _ = _branch(None)
    assert out[(("a", "c"), 1.5)] == pytest.approx(21.5)
    out, q = _branch(10.0)
    assert out[(("a", "c"), 1.5)] == pytest.approx(80.0)
    assert out[(("a", "b"), 1.0)] == pytest.approx(110.0 + TRAVEL_S)  # the third b group: b free at 110 s
    assert [(k, round(w, 6)) for _, k, w, _ in q.full_waits] == [("a", 9.0), ("a", 49.5)]
    assert q.forced == 0 and all(v == pytest.approx(0.0) for v in q.on_link.values())


def test_a_group_longer_than_its_link_enters_it_empty():
    """A 30-unit group on a 10-unit link a gets in when a is empty: the second group waits until
    the first has gone on to b (10 s), and no group is forced."""
    env = simpy.Environment()
    q = EntryQueues(env, storage_pcu={"a": 10.0, "b": 1e9})
    out: dict = {}
    for k in range(2):
        env.process(_drive(env, q, ("a", "b"), 30.0, 0.5 * k, out))
    env.run()
    assert out[("a", "b")][1] == ("b", pytest.approx(10.0)) and out[("a", "b")][2] == ("a", pytest.approx(10.0))
    assert q.forced == 0


def test_gridlock_in_a_loop_of_full_links_clears_after_the_stuck_time():
    """x and y each hold 5 units; one 5-unit group on x wants y and one on y wants x: neither has
    room (gridlock) until the stuck time (300 s) lets the first in, which frees x for the other."""
    env = simpy.Environment()
    q = EntryQueues(env, storage_pcu={"x": 5.0, "y": 5.0}, stuck_s=300.0)
    out: dict = {}
    env.process(_drive(env, q, ("x", "y"), 5.0, 0.0, out))
    env.process(_drive(env, q, ("y", "x"), 5.0, 0.0, out))
    env.run()
    assert out[(("x", "y"), 0.0)] == pytest.approx(310.0 + TRAVEL_S)
    assert out[(("y", "x"), 0.0)] == pytest.approx(310.0 + TRAVEL_S)
    assert q.forced == 1


def test_storage_is_lane_metres_over_the_jam_spacing():
    assert storage_pcu(70.0, 2) == pytest.approx(20.0)
    assert storage_pcu(70.0, 0) == pytest.approx(10.0)  # a link without lanes counts one
