"""Green-wave orchestration on the sample city: the band read off the time-space diagram
equals the MILP's, the emergency route's times follow their closed forms, variants are
compared on common seeds, and bad input is named."""
from __future__ import annotations

import numpy as np
import pytest

from sim.greenwave import model as M
from sim.greenwave.maxband import band_of, maxband
from sim.greenwave.params import Params
from sim.greenwave.plan import SignalTiming
from sim.greenwave.tsd import band_windows
from twin.errors import InputError


def _params(**over) -> Params:
    d = {"corridor": {"road": "Renmin Road"},
         "demand": {"volume_out_vph": 1800, "volume_in_vph": 1700, "*": {"side_volume_vph": 300}},
         "variants": ["uncoordinated", "maxband"],
         "simulation": {"duration_s": 900, "warmup_s": 300, "seeds": [1, 2]}}
    d.update(over)
    return Params.model_validate(d)


def test_band_on_the_time_space_diagram_equals_the_milp(sample_city):
    """The green band drawn on the diagram (trajectories at the design speed through every
    green, sampled every 0.25 s) has the width the MILP reports, each way (0.5 s)."""
    p = _params()
    c = M.build_corridor(sample_city, p)
    plan = maxband(c, speed_kph=(40.0, 55.0))
    for direction, v, b in (("out", plan.speed_out_m_s, plan.band_out_s), ("in", plan.speed_in_m_s, plan.band_in_s)):
        width = sum(bb - aa for aa, bb in band_windows(plan, c, v, direction))
        assert width == pytest.approx(b, abs=0.5)
    assert band_of(plan, c, plan.speed_out_m_s, plan.speed_in_m_s)[0] == pytest.approx(plan.band_out_s, abs=1e-2)


def test_variants_on_common_seeds_and_the_band_helps(sample_city):
    """A band plan beats offsets 0 (same splits family) in corridor travel time and stops at
    moderate demand; every cycle respects the minimum."""
    p = _params()
    c = M.build_corridor(sample_city, p)
    plans = M.make_plans(sample_city, c, p)
    df, traj = M.simulate_variants(c, plans, p)
    assert set(df.index) == {"uncoordinated", "maxband"}
    assert df.loc["maxband", "travel_time_combined_s"] < df.loc["uncoordinated", "travel_time_combined_s"]
    assert df.loc["maxband", "stops_combined_per_veh"] < df.loc["uncoordinated", "stops_combined_per_veh"]
    assert all(pl.cycle_s >= p.cycle_min_s for pl in plans.values())
    assert traj is not None and set(traj["dir"].unique()) == {0, 1}


def test_emergency_route_times_follow_the_closed_forms(sample_city):
    """With pre-emption the trip takes Σ length / (speed_factor × limit) over the fastest
    route; without, each signal adds the mean red wait (C − g)² / 2C of a uniformly arriving
    vehicle (Webster's first delay term at zero flow)."""
    import networkx as nx

    from twin.routing import nearest_nodes, path_edges, routable

    sf = 1.25
    p = _params(emergency={"from_place": "Beihu Fire Station", "to_place": "Xiangnan Chlor-Alkali Chemical Co.",
                           "speed_factor": sf})
    e = M.emergency_route(sample_city, p)
    g = routable(sample_city.roads)
    pl = sample_city.places.set_index("name")
    a = pl.loc["Beihu Fire Station"].geometry.representative_point()
    b = pl.loc["Xiangnan Chlor-Alkali Chemical Co."].geometry.representative_point()
    src, dst = nearest_nodes(g, [a.x, b.x], [a.y, b.y])
    path = nx.shortest_path(g, src, dst, weight="travel_time_s")
    free = sum(g.edges[k]["length_m"] / (g.edges[k]["speed_kph"] / 3.6 * sf) for k in path_edges(g, path))
    assert e.time_preempted_s == pytest.approx(free, rel=1e-9)
    assert len(e.signals) >= 1 and set(e.signals.node) <= {n for n in path if g.nodes[n].get("signal")}
    waits = []
    for _, s in e.signals.iterrows():
        st = SignalTiming.from_phase_plan(sample_city.roads.nodes[s.node]["phase_plan"])
        g_s = st.window("out")[1] if s.approach == "main" else st.window("side")[1]
        waits.append((st.cycle_s - g_s) ** 2 / (2 * st.cycle_s))
    assert e.time_expected_s - e.time_preempted_s == pytest.approx(sum(waits), rel=1e-9)


@pytest.mark.parametrize("change, words", [
    ({"corridor": {"road": "Renmim Rd"}}, "Renmin Road"),
    ({"corridor": {"road": "Nanhu Road"}}, "at least 2"),
    ({"demand": {"Jiefnag Road": {"side_volume_vph": 100}}}, "Jiefang Road"),
    ({"emergency": {"from_place": "Beihu Fire Statoin", "to_place": "Xiangnan Chlor-Alkali Chemical Co."}},
     "Beihu Fire Station"),
])
def test_bad_input_is_named(sample_city, change, words):
    p = _params(**change)
    with pytest.raises(InputError) as e:
        c = M.build_corridor(sample_city, p)
        if p.emergency is not None:
            M.emergency_route(sample_city, p)
        del c
    assert words in str(e.value)


def test_cycle_range_below_minimum_is_rejected():
    with pytest.raises(ValueError, match="cycle_max_s"):
        _params(cycle_min_s=90, cycle_max_s=70)


def test_simpy_events_act_at_their_times(sample_city):
    """The lane closure is applied and lifted at its scheduled times (logged by the SimPy
    processes), vehicles are conserved through it, and a plan switch ends with every signal on
    the new plan."""
    from sim.greenwave import microsim
    from sim.greenwave.events import run_events
    from sim.greenwave.params import Incident

    p = _params()
    c = microsim.padded(M.build_corridor(sample_city, p))
    plan = maxband(c, speed_kph=(40.0, 55.0))
    inc = Incident(direction="out", lane=0, pos_m=1500.0, from_s=400.0, to_s=700.0)
    r = run_events(c, plan, incidents=[inc], duration_s=600.0, warmup_s=300.0, seed=1)
    assert [(e["t_s"], e["event"]) for e in r.log] == [(400.0, "lane closed"), (700.0, "lane reopened")]
    assert r.metrics["n_in"] == r.metrics["n_out"] + r.metrics["n_in_network"]
    other = plan.with_offsets(np.zeros(len(c)), name="zero")
    s = run_events(c, plan, switch_to=other, switch_s=500.0, duration_s=600.0, warmup_s=300.0, seed=1)
    assert s.log[0]["event"] == "plan switch" and s.log[0]["t_s"] == 500.0
