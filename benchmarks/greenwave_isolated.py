"""The first signals of Renmin Road on their own, ours against SUMO: where the two simulators part.

A corridor of the first ``--signals`` junctions of the issue-10 benchmark (300, 680, 990 and
1520 m; 3 lanes each way, 60 km/h, 3,315 / 3,060 veh/h entering, 2-lane cross streets of
``--side`` veh/h joining at ``--join``), the lane-group Webster plan's timing (62-s cycle, a
32.5-s main green) with plan (b)'s offsets (SUMO's ``tlsCoordinator.py``, outbound: 0, 28.5,
51.7, 29.5 s), turns ``--turn`` left and right at the junctions in ``--turn-at`` into bays of
``--bays`` metres (default 55, 50, 45, 40 m, as the design rule gives there), and permitted lefts
that do not yield (as the benchmark). Each seed runs ours and SUMO on the same vehicles (3,600 s
after 600 s, step 1 s) and prints the outbound through vehicles' stops, delay, throughput and
largest queue, ours / SUMO.

Usage: ``python benchmarks/greenwave_isolated.py [--signals 1] [--turn 0.1] [--turn-at 01]
[--bays 55,50,45,40] [--join 0.5] [--side 1120] [--green 32.5] [--cycle 62] [--seeds 0,1,2]``
(~20 s a seed and signal).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

POS_M = (300.0, 680.0, 990.0, 1520.0)
OFFSETS_S = (0.0, 28.5, 51.7, 29.5)
KEYS = ("stops_out_per_veh", "delay_out_s", "throughput_out_vph", "max_queue_out_veh")


def main() -> None:
    from greenwave import _quiet_stdout

    from sim.greenwave import microsim as ms
    from sim.greenwave import sumo as gs
    from sim.greenwave.plan import Corridor, Intersection, Phase, Plan, SignalTiming

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", type=int, default=1, choices=range(1, 5))
    ap.add_argument("--turn", type=float, default=0.1, help="left and right turn share at each turning junction")
    ap.add_argument("--turn-at", default="0123", help="junctions (0-based digits) where vehicles turn")
    ap.add_argument("--bays", default="55,50,45,40", help="bay length per junction, m (both sides, both ways)")
    ap.add_argument("--join", type=float, default=0.5, help="share of cross-street traffic joining the corridor")
    ap.add_argument("--side", type=float, default=1120.0, help="cross-street volume, veh/h (both approaches)")
    ap.add_argument("--green", type=float, default=32.5, help="main green, s")
    ap.add_argument("--cycle", type=float, default=62.0, help="cycle, s (side green = cycle - main green - 10 s)")
    ap.add_argument("--seeds", default="0,1,2")
    a = ap.parse_args()
    if not gs.available():
        sys.exit("Eclipse SUMO is not installed (pip install eclipse-sumo libsumo)")
    warnings.simplefilter("ignore")
    bays = [float(b) for b in a.bays.split(",")]
    its = []
    for i in range(a.signals):
        t = a.turn if str(i) in a.turn_at else 0.0
        b = bays[i] if t > 0 else 0.0
        its.append(Intersection(node=i, name=f"X{i}", pos_m=POS_M[i], x=POS_M[i], y=0.0, lanes_out=3, lanes_in=3,
                                side_lanes=2, side_volume_vph=a.side, turn_left=t, turn_right=t, side_to_main=a.join,
                                bay_left_out_m=b, bay_left_in_m=b, bay_right_out_m=b, bay_right_in_m=b))
    c = Corridor("Renmin Road, first signals", "EPSG:3857", its, length_m=POS_M[a.signals - 1] + 400.0,
                 speed_kph=60.0, volume_out_vph=3315.0, volume_in_vph=3060.0)
    side_g = a.cycle - a.green - 10.0
    plan = Plan("b", [SignalTiming(a.cycle, OFFSETS_S[i], [Phase("main", a.green, 3.0, 2.0),
                                                          Phase("side", side_g, 3.0, 2.0)]) for i in range(a.signals)])
    print(f"{a.signals} signal(s); turns {a.turn:g} at {a.turn_at}; bays {bays[:a.signals]} m; join {a.join:g}; "
          f"side {a.side:g} veh/h; cycle {a.cycle:g} s, main green {a.green:g} s")
    print("seed | " + " | ".join(f"{k} ours / SUMO" for k in KEYS))
    rows = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        kw = dict(duration_s=3600, warmup_s=600, seed=seed, dt_s=1.0, params=ms.Params(permitted_left_gap_s=0.0))
        ours = ms.simulate(c, plan, **kw).metrics
        with tempfile.TemporaryDirectory() as tmp:
            files = gs.write_sumo(c, plan, tmp, **kw)
            with _quiet_stdout():
                theirs = gs.run_sumo(files)
        row = [(float(np.max(ours[k])), float(np.max(theirs[k]))) for k in KEYS]
        rows.append(row)
        print(f"{seed} | " + " | ".join(f"{o:.2f} / {s:.2f}" for o, s in row), flush=True)
    mean = np.mean(np.array(rows), axis=0)
    print("mean | " + " | ".join(f"{o:.2f} / {s:.2f} ({100 * (o / s - 1):+.1f} %)" for o, s in mean))


if __name__ == "__main__":
    main()
