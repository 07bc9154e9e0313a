"""Benchmark (draft): the corridor micro-simulator side by side with Eclipse SUMO.

    .venv/bin/python benchmarks/greenwave_sumo.py [--corridor renmin|hand] [--seeds 3]
        [--dt 1.0,0.5] [--duration 3600] [--warmup 600] [--tls-coordinator]

Method. Corridor: the sample city's Renmin Road (``corridor_from_name(city.roads, "Renmin
Road")``: 10 signals over 4350 m, 3 lanes each way, 60 km/h, its default demand) or the
hand-built corridor of the same geometry at 1200 veh/h each way, side streets 400 veh/h (1 lane),
10 % left and 10 % right turns, half the side traffic joining; both with left- and right-turn bays
by the design rule of :mod:`sim.greenwave.bays` at the corridor's Webster cycle (lane groups since
2026-12-02: 62 s on Renmin Road, 30-55 m bays; pockets in SUMO). Plan: cycle 100 s, main 60 s
(green 55 + yellow 3 + all-red 2), side 40 s (35 + 3 + 2), offsets for a one-way (out)
progression at 50 km/h (offset = position / 13.9 m/s). For each seed and step length, ours
(``microsim.simulate``) and SUMO (``sumo.write_sumo`` + ``run_sumo`` through libsumo) run the
same network, signal programs and *the same vehicles* (departure, route, speedFactor drawn
once from the seed); only the dawdling random numbers differ. Metrics over vehicles entering
after the warm-up: through travel time, stops (speed <= 0.1 m/s after moving), delay (SUMO
timeLoss) per direction; side-street delay and stops (SUMO: crossing side traffic); max
halting queue per approach (max over the approaches listed); vehicle updates per second
(ours: kernel time only; SUMO: time inside ``simulationStep`` only; both exclude start-up).
With ``--tls-coordinator`` the plan's offsets are replaced by SUMO's
``tools/tlsCoordinator.py`` (out direction, one route per vehicle) and that plan is run too.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.greenwave import microsim as ms  # noqa: E402
from sim.greenwave import sumo as gs  # noqa: E402
from sim.greenwave.bays import describe as describe_bays  # noqa: E402
from sim.greenwave.plan import Corridor, Intersection, Phase, Plan, SignalTiming  # noqa: E402

HAND_POS = [0, 380, 690, 1220, 1580, 2010, 2410, 2960, 3230, 3680]
KEYS = [("travel_time_out_s", "travel time out, s"), ("travel_time_in_s", "travel time in, s"),
        ("stops_out_per_veh", "stops out / veh"), ("stops_in_per_veh", "stops in / veh"),
        ("delay_out_s", "delay out, s"), ("delay_in_s", "delay in, s"),
        ("delay_side_s", "side delay, s"), ("stops_side_per_veh", "side stops / veh"),
        ("delay_left_s", "left-turn delay, s"),
        ("throughput_out_vph", "throughput out, veh/h"), ("throughput_in_vph", "throughput in, veh/h"),
        ("throughput_side_vph", "side throughput, veh/h"),
        ("max_queue_out_veh", "max queue out (max over signals), veh"), ("max_queue_in_veh", "max queue in, veh"),
        ("max_queue_side_veh", "max side queue, veh"), ("n_through_out", "through vehicles out"),
        ("n_through_in", "through vehicles in")]


def hand_corridor() -> Corridor:
    its = [Intersection(node=i, name=f"X{i}", pos_m=300.0 + p, x=300.0 + p, y=0.0, lanes_out=3, lanes_in=3,
                        side_lanes=1, side_volume_vph=400.0, turn_left=0.1, turn_right=0.1, side_to_main=0.5)
           for i, p in enumerate(HAND_POS)]
    return Corridor("hand-built", "EPSG:3857", its, length_m=HAND_POS[-1] + 600.0, speed_kph=60.0,
                    volume_out_vph=1200.0, volume_in_vph=1200.0)


def renmin_corridor() -> Corridor:
    from sim.greenwave.corridor import corridor_from_name
    from twin.city import load_city
    city = load_city(ROOT / "data_samples" / "chenzhou")
    return ms.padded(corridor_from_name(city.roads, "Renmin Road"), 100.0)


def progression_plan(c: Corridor, v_kph: float = 50.0) -> Plan:
    v = v_kph / 3.6
    return Plan(f"one-way out at {v_kph:g} km/h", [
        SignalTiming(100.0, float(p / v) % 100.0, [Phase("main", 55.0, 3.0, 2.0), Phase("side", 35.0, 3.0, 2.0)])
        for p in c.positions_m], speed_out_m_s=v)


def _scalar(v):
    return float(np.max(v)) if isinstance(v, list) else float(v)


def run(c: Corridor, plan: Plan, seeds: list[int], dts: list[float], duration: float, warmup: float) -> dict:
    rows = {}
    for dt in dts:
        for seed in seeds:
            t0 = time.perf_counter()
            ours = ms.simulate(c, plan, duration_s=duration, warmup_s=warmup, seed=seed, dt_s=dt).metrics
            t_ours = time.perf_counter() - t0
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                files = gs.write_sumo(c, plan, tmp, duration_s=duration, warmup_s=warmup, seed=seed, dt_s=dt)
                theirs = gs.run_sumo(files)
                t_sumo = time.perf_counter() - t0
            rows[(dt, seed)] = (ours, theirs)
            print(f"  dt {dt:g} s seed {seed}: ours {t_ours:.1f} s wall, SUMO {t_sumo:.1f} s wall "
                  f"(updates/s {ours['vehicle_updates_per_s']:.3g} vs {theirs['vehicle_updates_per_s']:.3g})", flush=True)
    return rows


def table(rows: dict, dts: list[float]) -> None:
    for dt in dts:
        pairs = [v for (d, _), v in rows.items() if d == dt]
        print(f"\nstep {dt:g} s, mean over {len(pairs)} seeds (ratio = ours / SUMO; per-seed ratios in brackets)")
        print(f"{'metric':42s} {'ours':>10s} {'SUMO':>10s} {'ratio':>7s}   per seed")
        for key, label in KEYS:
            o = np.array([_scalar(p[0][key]) for p in pairs])
            s = np.array([_scalar(p[1][key]) for p in pairs])
            per = " ".join(f"{a / b:.3f}" if b else "nan" for a, b in zip(o, s))
            ratio = o.mean() / s.mean() if s.mean() else float("nan")
            print(f"{label:42s} {o.mean():10.2f} {s.mean():10.2f} {ratio:7.3f}   [{per}]")
        uo = np.array([p[0]["vehicle_updates_per_s"] for p in pairs])
        us = np.array([p[1]["vehicle_updates_per_s"] for p in pairs])
        print(f"{'vehicle updates / s':42s} {uo.mean():10.3g} {us.mean():10.3g} {uo.mean() / us.mean():7.1f}x  "
              f"(issue target >= 10x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corridor", choices=["renmin", "hand"], default="renmin")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--dt", default="1.0,0.5")
    ap.add_argument("--duration", type=float, default=3600.0)
    ap.add_argument("--warmup", type=float, default=600.0)
    ap.add_argument("--tls-coordinator", action="store_true")
    a = ap.parse_args()
    if not gs.available():
        sys.exit("Eclipse SUMO is not installed (pip install eclipse-sumo sumolib libsumo)")
    c = renmin_corridor() if a.corridor == "renmin" else hand_corridor()
    dts = [float(x) for x in a.dt.split(",")]
    seeds = list(range(a.seeds))
    plan = progression_plan(c)
    print("turn bays (m) left out / right out / left in / right in: " + "; ".join(
        f"{r['name']} {r['bay_left_out_m']:g}/{r['bay_right_out_m']:g}/{r['bay_left_in_m']:g}/{r['bay_right_in_m']:g}"
        for r in describe_bays(c)))
    print(f"corridor {c.name}: {len(c)} signals over {c.length_m:.0f} m, {c.speed_kph:g} km/h, "
          f"{c.volume_out_vph:g}/{c.volume_in_vph:g} veh/h, side {c.intersections[0].side_volume_vph:g} veh/h; "
          f"plan {plan.name}, cycle 100 s, main 60 / side 40 s; {a.duration:g} s after {a.warmup:g} s warm-up")
    plans = [plan]
    if a.tls_coordinator:
        with tempfile.TemporaryDirectory() as tmp:
            files = gs.write_sumo(c, plan, tmp, duration_s=a.duration, warmup_s=a.warmup, seed=0, dt_s=dts[0])
            plans.append(gs.tls_coordinator_plan(files, c, plan, direction="out"))
        print("tlsCoordinator offsets:", [round(t.offset_s, 1) for t in plans[-1].timings])
    for p in plans:
        print(f"\n== plan: {p.name}")
        rows = run(c, p, seeds, dts, a.duration, a.warmup)
        table(rows, dts)


if __name__ == "__main__":
    main()
