"""Post-holiday replay of observed sub-daily gate counts (``arrivals: observed``): the counts of
the scenario's spots only, split by their own step into 15-min steps, conserved per spot, and
daily counts refused."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.crowd import Params, run
from sim.crowd.arrivals import replay_counts
from twin.errors import InputError

BEIHU, YUXI, WANHUA = "Beihu Park", "Yuxi Ancient Street", "Wanhua Rock Cave"
DAY = "2026-05-02"  # inside the official May Day holiday (chinesecalendar covers 2026)
# persons per hour 09:00-12:00 (zero otherwise) at each spot of the counts file
HOURLY = {BEIHU: [120, 240, 200, 80], YUXI: [60, 180, 160, 40], WANHUA: [400, 400, 400, 400]}


def _hourly_csv(path, step: str = "1h"):
    """A day of gate counts (time, spot, count) at ``step``: HOURLY spread over the sub-steps
    (1h: as given)."""
    k = int(pd.Timedelta("1h") / pd.Timedelta(step))
    rows = []
    for t in pd.date_range(DAY, periods=24 * k, freq=step):
        for s, v in HOURLY.items():
            h = t.hour - 9
            rows.append((t.strftime("%Y-%m-%d %H:%M"), s, v[h] / k if 0 <= h < 4 else 0.0))
    pd.DataFrame(rows, columns=["time", "spot", "count"]).to_csv(path, index=False)
    return path


def _params(path, **kw) -> Params:
    free = {"gates": 6, "parking_cars": float("inf")}
    base = dict(arrivals="observed", hourly_csv=path, start=DAY, end=DAY, spots=[BEIHU, YUXI],
                network={"group_persons": 1, "arrival_process": "even", "diversion": False,
                         "modes": {"car": {"share": 1.0, "persons_per_vehicle": 1.0}},
                         "choice": {"next_spot_prob": 0.0}, "spots": {BEIHU: free, YUXI: free}})
    base.update(kw)
    return Params(**base)


def test_replay_splits_hours_into_quarters_keeps_totals_and_spots(sample_city, tmp_path):
    """An hourly count n replays as n/4 in each of its four 15-min steps (constant arrival rate
    within the counted hour); only the scenario's two spots; with one-person groups arriving
    evenly by car (each leaving the hub its drive time early), no next spots, parking and gates
    to spare, every counted person enters: entries per spot equal the counted total exactly
    (persons are conserved), and each hour's entries equal its count up to the persons still
    at the gate at the hour's edge."""
    res = run(sample_city, _params(_hourly_csv(tmp_path / "hourly.csv")))
    fc = res.forecast
    assert fc.attrs["freq"] == "15min"
    assert sorted(fc["spot"].unique()) == [BEIHU, YUXI]  # Wanhua (in the file) is not replayed
    for s in (BEIHU, YUXI):
        g = fc[fc["spot"] == s].set_index("time")["arrivals_persons"]
        assert g.sum() == pytest.approx(sum(HOURLY[s]), abs=1e-9)
        for h, v in enumerate(HOURLY[s]):
            q = g[pd.Timestamp(f"{DAY} {9 + h:02d}:00"):pd.Timestamp(f"{DAY} {9 + h:02d}:45")]
            np.testing.assert_allclose(q.to_numpy(), v / 4, rtol=0, atol=1e-12)
        entries = res.network.steps.gate_entries_persons.sel(spot=s)
        assert float(entries.sum()) == sum(HOURLY[s])
        per_h = entries.to_series().resample("1h").sum()
        assert np.abs(per_h.reindex(pd.date_range(f"{DAY} 09:00", periods=4, freq="1h")).to_numpy()
                      - np.array(HOURLY[s])).max() <= 8  # gate service: at most a few persons late
    assert res.network.counters["closed_out_persons"] == 0
    # the daily chart of a replay: the counted day totals, no interval
    d = res.daily.set_index("spot")["arrivals_persons"]
    assert d[BEIHU] == sum(HOURLY[BEIHU]) and "lo_persons" not in res.daily
    rep = res.report().set_index("spot")
    assert rep.loc[BEIHU, "gate_counts_persons"] == sum(HOURLY[BEIHU])
    assert not rep["provisional"].any() and not res.summary()["provisional"]  # official calendar


def test_replay_of_15_min_counts_is_unchanged(sample_city, tmp_path):
    cnt = _hourly_csv(tmp_path / "q.csv", step="15min")
    from sim.crowd.history import load_counts

    c = load_counts(cnt, sample_city)
    r = replay_counts(c, DAY, DAY, [WANHUA])
    assert len(r) == 96 and r["arrivals_persons"].sum() == pytest.approx(1600.0)
    assert r["arrivals_persons"].max() == pytest.approx(100.0)


def test_replay_refuses_daily_counts_and_missing_spots(sample_city, tmp_path):
    daily = tmp_path / "daily.csv"
    pd.DataFrame({"time": ["2026-05-01", DAY, "2026-05-03"], "spot": BEIHU, "count": [900, 1000, 800]}).to_csv(
        daily, index=False)
    with pytest.raises(InputError, match="expected sub-daily counts") as e:
        run(sample_city, _params(daily, spots=[BEIHU]))
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match="no counts for spot 'Fengshan Reservoir Lake'"):
        run(sample_city, _params(_hourly_csv(tmp_path / "h.csv"), spots=[BEIHU, "Fengshan Reservoir Lake"]))
