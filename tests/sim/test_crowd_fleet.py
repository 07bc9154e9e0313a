"""Shuttle fleet size: deficit function (Salzborn 1972) and, with empty runs, the minimum chain cover
(Dantzig & Fulkerson 1954)."""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim.crowd.fleet import fleet_size, line_fleet, max_deficit
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


@pytest.mark.parametrize("h, r1, r2, lay", [(10.0, 12.0, 13.0, 5.0), (6.0, 20.0, 20.0, 5.0), (15.0, 3.0, 4.0, 0.0)])
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
        deps = [sorted(rng.uniform(0, 180, rng.integers(1, 25)).round(1)),
                sorted(rng.uniform(0, 180, rng.integers(0, 25)).round(1))]
        ride = tuple(rng.uniform(3, 40, 2).round(1))
        lay = float(rng.choice([0.0, 5.0]))
        assert line_fleet(deps, ride, lay) == _chain_cover(deps, ride, lay)
        assert line_fleet(deps, ride, lay) <= line_fleet(deps, ride, lay, deadhead=False)


def test_fleet_is_the_largest_day_and_layover_is_checked():
    day2 = [(1440 + 420 + k, "A", "to_spot") for k in range(3)]  # three buses out in 3 min, none back
    f = fleet_size(_runs([(420, "A", "to_spot")] + day2), [(30.0, 30.0)], ["A"], 5.0)
    assert f["per_line"]["A"] == 3
    with pytest.raises(InputError, match="layover_min -1"):
        fleet_size(_runs(day2), [(30.0, 30.0)], ["A"], -1.0)
