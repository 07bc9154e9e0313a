"""Shuttle fleet size: deficit function (Salzborn 1972) and, with empty runs, the minimum chain cover
(Dantzig & Fulkerson 1954)."""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim.crowd.fleet import fleet_size, line_fleet, max_deficit, service_days
from twin.errors import InputError

T0 = pd.Timestamp("2026-10-01")


def _runs(rows):
    """rows: (minute of the day, spot, direction)."""
    return pd.DataFrame({"time": [T0 + pd.Timedelta(minutes=m) for m, _, _ in rows],
                         "spot": [s for _, s, _ in rows], "direction": [d for _, _, d in rows]})


def test_deficit_counts_arrivals_first_at_ties():
    assert max_deficit([0.0, 10.0, 20.0], [10.0, 20.0]) == 1  # the bus back at 10 leaves at 10
    assert max_deficit([0.0, 10.0, 20.0], [10.5, 20.5]) == 2  # ... half a minute later it cannot
    assert max_deficit([], [5.0]) == 0


@pytest.mark.parametrize("h, r1, r2, lay", [(10.0, 12.0, 13.0, 5.0), (6.0, 20.0, 20.0, 5.0), (15.0, 0.0, 4.0, 1.0)])
def test_regular_timetable_needs_ride_plus_layover_over_headway_at_each_end(h, r1, r2, lay):
    """Departures every h both ways from 07:00 to 19:00: each end needs the buses that leave before
    the first one comes back, ceil((ride + layover) / h) (no bus is ever idle, so empty runs do not
    help); their sum is at least the round trip over the headway."""
    n = int(12 * 60 / h) + 1
    rows = [(420 + k * h, "A", d) for k in range(n) for d in ("to_spot", "to_hub")]
    f = fleet_size(_runs(rows), [(r1, r2)], ["A"], lay)
    want = math.ceil((r2 + lay) / h) + math.ceil((r1 + lay) / h)
    assert f["per_line"]["A"] == f["per_line_no_deadhead"]["A"] == want == f["total"]
    assert want >= (r1 + r2 + 2 * lay) / h


def test_one_way_demand_runs_buses_back_empty():
    """Departures from the hub only, every 5 min for 2 h, rides 10 min, layover 5 min: a bus is back
    (empty) 25 min after it left, so ceil(25 / 5) = 5 buses; without empty runs every trip needs its
    own bus (25)."""
    deps = [list(np.arange(0.0, 121.0, 5.0)), []]
    assert line_fleet(deps, (10.0, 10.0), 5.0) == 5
    assert line_fleet(deps, (10.0, 10.0), 5.0, deadhead=False) == 25


def _chain_cover(deps, ride, lay):
    """Fewest chains covering the trips: trips minus a maximum matching of 'b can follow a'."""
    trips = [(t, k) for k in (0, 1) for t in deps[k]]
    g = nx.DiGraph()
    top = [("a", i) for i in range(len(trips))]
    g.add_nodes_from(top)
    g.add_nodes_from(("b", j) for j in range(len(trips)))
    for i, (ta, ka) in enumerate(trips):
        free = ta + ride[ka] + lay  # at the other end, 1 - ka
        for j, (tb, kb) in enumerate(trips):
            if (kb == 1 - ka and free <= tb) or (kb == ka and free + ride[1 - ka] <= tb):
                g.add_edge(("a", i), ("b", j))
    m = nx.bipartite.hopcroft_karp_matching(g.to_undirected(), top_nodes=top)
    return len(trips) - len(m) // 2


def test_greedy_equals_the_minimum_chain_cover():
    rng = np.random.default_rng(3)
    for _ in range(300):
        deps = [sorted(rng.integers(0, 120, rng.integers(1, 25)).astype(float)),  # whole minutes: ties
                sorted(rng.integers(0, 120, rng.integers(0, 25)).astype(float))]
        ride = tuple(rng.choice([0.0, 3.0, 12.5, 40.0], 2))  # zero rides too (the hub at the spot)
        lay = float(rng.choice([0.5, 5.0]))
        assert line_fleet(deps, ride, lay) == _chain_cover(deps, ride, lay)
        assert line_fleet(deps, ride, lay) <= line_fleet(deps, ride, lay, deadhead=False)


def test_service_days_keep_the_last_departures_and_round_the_clock_is_one_period():
    assert service_days(np.array([7 * 60.0, 20 * 60.0, 1440 + 7 * 60.0]), 7.0, 20.0).tolist() == [0, 0, 1]
    assert service_days(np.array([0.0, 1440.0, 2880.0]), 0.0, 24.0).tolist() == [0, 0, 0]
    # every 30 min both ways for two days round the clock, rides 25 + 5 min: 1 bus at each end, not 2
    rows = [(k * 30.0, "A", d) for k in range(97) for d in ("to_spot", "to_hub")]
    assert fleet_size(_runs(rows), [(25.0, 25.0)], ["A"], 5.0, 0.0, 24.0)["per_line"]["A"] == 2


def test_network_fleet_is_the_largest_daily_sum():
    """Line A needs 3 buses on day 1 (three departures a minute apart, none back) and 1 on day 2,
    line B the other way round: each line's fleet is 3, the network's max(3 + 1, 1 + 3) = 4, not 6."""
    day = lambda d, spot, k: [(d * 1440 + 420 + j, spot, "to_spot") for j in range(k)]  # noqa: E731
    rows = day(0, "A", 3) + day(0, "B", 1) + day(1, "A", 1) + day(1, "B", 3)
    f = fleet_size(_runs(rows), [(30.0, 30.0), (30.0, 30.0)], ["A", "B"], 5.0, 7.0, 20.0)
    assert f["per_line"] == {"A": 3, "B": 3} and f["total"] == 4 == f["total_no_deadhead"]
    with pytest.raises(InputError, match="layover_min 0: expected > 0"):
        fleet_size(_runs(rows), [(30.0, 30.0), (30.0, 30.0)], ["A", "B"], 0)
