"""Where ours and SUMO count different stops: plan (b) of ``greenwave.py`` (Webster's cycle and splits
with the offsets of SUMO's ``tlsCoordinator.py``, outbound) on Renmin Road, one seed, both simulators,
every outbound vehicle from the corridor start paired with its SUMO twin by vehicle id.

Prints, per simulator, the outbound vehicles' mean stops by origin (0 = the corridor start, others the
side streets they joined from) and by exit signal, then for the paired vehicles the cross-table of stop
counts and, for those leaving at signals 0-2, stops, travel time and waiting time in each simulator.

Usage: ``python benchmarks/greenwave_stops_pairing.py [--webster lane-groups|shared] [--seed 0]`` (~1 min).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    from greenwave import _quiet_stdout

    from sim.greenwave import microsim as ms
    from sim.greenwave import sumo as gs
    from sim.greenwave.bays import with_bays
    from sim.greenwave.corridor import corridor_from_name
    from sim.greenwave.webster import webster_timing
    from twin.city import load_city

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--webster", choices=["shared", "lane-groups"], default="lane-groups")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if not gs.available():
        sys.exit("Eclipse SUMO is not installed (pip install eclipse-sumo libsumo)")
    warnings.simplefilter("ignore")
    lg = a.webster == "lane-groups"
    city = load_city(ROOT / "data_samples" / "chenzhou")
    c = ms.padded(corridor_from_name(city.roads, "Renmin Road"), 100.0)
    c = with_bays(c, webster_timing(c, lane_groups=lg).cycle_s)
    web = webster_timing(c, lane_groups=lg)
    params = ms.Params(permitted_left_gap_s=0.0)  # as greenwave.py's recorded set-up
    kw = dict(duration_s=3600, warmup_s=600, seed=a.seed, dt_s=1.0, params=params)
    with tempfile.TemporaryDirectory() as tmp:
        files = gs.write_sumo(c, web, tmp, **kw)
        plan = gs.tls_coordinator_plan(files, c, web, direction="out")
    ours = ms.simulate(c, plan, **kw).trips
    with tempfile.TemporaryDirectory() as tmp:
        files = gs.write_sumo(c, plan, tmp, **kw)
        with _quiet_stdout():
            gs.run_sumo(files)
        sumo = gs.sumo_trips(files)
    print(f"Webster {a.webster}: cycle {web.cycle_s:g} s; plan (b), seed {a.seed}")
    out = {}
    for name, t in (("ours", ours), ("SUMO", sumo)):
        sel = t[(t.kind != "side") & (t.dir == 0) & (t.t_in_s >= 600.0)]
        out[name] = sel[sel.orig == 0].set_index("vid")
        print(f"{name}: {len(sel)} outbound vehicles, {sel.stops.mean():.2f} stops each")
        print("  by origin:", sel.groupby("orig").stops.mean().round(2).to_dict())
        print("  by exit signal:", sel.groupby("exit").stops.mean().round(2).to_dict())
    j = out["ours"].join(out["SUMO"], lsuffix="_ours", rsuffix="_sumo", how="inner")
    print(f"paired vehicles from the corridor start: {len(j)}; SUMO - ours: "
          f"{(j.stops_sumo - j.stops_ours).mean():+.2f} stops a vehicle")
    print(pd.crosstab(j.stops_ours, j.stops_sumo, rownames=["ours"], colnames=["SUMO"]))
    for ex in (0, 1, 2):
        s = j[j.exit_ours == ex]
        print(f"  leaving at signal {ex} ({len(s)}): stops {s.stops_ours.mean():.2f} / {s.stops_sumo.mean():.2f}, "
              f"travel time {(s.t_out_s_ours - s.t_in_s_ours).mean():.1f} / {(s.t_out_s_sumo - s.t_in_s_sumo).mean():.1f} s, "
              f"waiting {s.wait_s_ours.mean():.1f} / {s.wait_s_sumo.mean():.1f} s (ours / SUMO)")


if __name__ == "__main__":
    main()
