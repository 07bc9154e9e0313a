"""Crowd run on the sample city: the forecast feeds the network, people are conserved, the
provisional calendar is flagged, and the post-holiday report adds up."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ROOT
from twin.scenario import load_scenario


@pytest.fixture(scope="module")
def spring(sample_city):
    from sim.crowd import run

    sc, p = load_scenario(ROOT / "scenarios" / "crowd_spring_festival_next.yaml")
    p = p.model_copy(update={"end": p.start.replace(day=p.start.day + 1)})
    return run(sample_city, p)


def test_next_spring_festival_is_provisional_and_conserves_people(spring):
    s = spring.summary()
    assert s["calendar"]["provisional"] and s["calendar"]["sources"] == ["provisional"]
    c = spring.network.counters
    st = spring.network.steps
    arrived = float(st.arrived_persons.sum())
    departed = float(st.departed_persons.sum())
    present = float(st.present_persons.isel(time=-1).sum())
    assert arrived == pytest.approx(departed + present, abs=1e-6)
    assert c["arrived_persons"] == pytest.approx(arrived, rel=1e-9)


def test_report_adds_up(spring):
    rep = spring.report()
    st = spring.network.steps
    step_h = spring.network.config.step_min / 60.0
    for r in rep.itertuples():
        occ = np.asarray(st.sel(spot=r.spot).occupancy_persons.values)
        assert r.visitor_hours == pytest.approx(occ.sum() * step_h, rel=1e-9)
        assert r.spend_estimate_cny == pytest.approx(r.entries_persons * spring.params.spend_per_capita_cny, rel=1e-9)
        assert 0 <= r.hours_red <= r.hours_yellow_or_red <= len(occ) * step_h
