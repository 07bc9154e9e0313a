"""Benchmark: green-wave signal plans on Renmin Road, simulated in Eclipse SUMO and in our simulator.

    .venv/bin/python benchmarks/greenwave.py [--seeds 3] [--duration 3600] [--warmup 600] [--dt 1.0]
        [--drain 600] [--iterations 100] [--optimise-cycle] [--through-weight 1] [--cycle-min 60] [--sumo-refs] [--bays design|none]
        [--off-design "1.25,1;0.7,1;1,1.1"] [--permitted-left-gap 0] [--webster shared|lane-groups] [--json out.json]

Scenario. The sample city's Renmin Road (``corridor_from_name(city.roads, "Renmin Road")``): 10 signals
over 4350 m, 3 lanes each way, 60 km/h, with the corridor module's default peak-hour demand - 3315 veh/h
entering outbound and 3060 veh/h inbound (0.65 / 0.60 of the link capacity), 10 % left + 10 % right
turns off the corridor at every signal, 1120 veh/h on each cross street (both approaches, 2 lanes each),
half of it joining the corridor. Webster (1958) gives a common cycle of 87 s with degrees of
saturation up to 0.93 (outbound at the first signal, inbound at the last). Turn bays
(:mod:`sim.greenwave.bays`, GB 50647-2011 l_s = 9 N at that cycle): 40-75 m per approach, left and
right (``--bays none``: no bays, turning vehicles turn from the outer through lanes).

Webster's flow ratios. By default here (``--webster shared``, as the recorded issue-10 figures were
measured) every turner counts in the through lanes, and the bays are sized at that 87-s cycle. The
product forms lane groups (HCM 2000 ch. 16: each bay its own one-lane group), which gives this
corridor a 62-s cycle, 30-55 m bays and a MAXBAND range of 62-77.5 s (``--webster lane-groups``;
``--band-cycle-max`` widens that range).

Permitted left turns. By default here (``--permitted-left-gap 0``, as the recorded issue-10 figures
were measured) they go on the through green without yielding, in both simulators. The product's
default is to yield at HCM's 4.5-s critical headway (SUMO: a minor green "g"). At this demand that
overloads every permitted left, so both simulators jam; the script prints each permitted left's
HCM degree of saturation at Webster's cycle.

Plans, all two-phase:
  (a)  Webster cycle and splits, every offset 0 - the uncoordinated baseline the others improve on;
  (a'') (c)'s cycle and splits with every offset 0 - the baseline that differs from the band plan only in
       its offsets (the issue's "same cycle and splits"; (d) also moves splits, so no baseline shares them);
  (a') the city's stored plan (cycle 100 s, main 54 s / side 36 s) with every offset 0, and
  (cur) the stored plan as it is - both for reference (in SUMO too with ``--sumo-refs``);
  (b)  (a) with the offsets of SUMO's ``tools/tlsCoordinator.py`` (outbound, the peak direction; one
       route per outbound vehicle of seed 0's demand);
  (c)  MAXBAND (Little et al. 1981) on (a)'s splits, cycle free in 87-108.75 s (``maxband`` defaults);
  (d)  the delay-optimised plan: ``optimise_plan`` from (c), PI = delay + 20 s x stops of all vehicles,
       offsets and splits, 2 seeds (101, 102, not the benchmark's) x 1200 s after 300 s, step dt;
  (e)  the control modes of :mod:`sim.greenwave.control` on (d): coordinated-actuated (the plan's
       cycle, offsets and force-offs; SUMO: its actuated programs), max-pressure (Varaiya 2013, the
       plan's phases, no cycle; SUMO: the same rule driven through TraCI, ``sumo_control.MaxPressure``) and
       cyclic max-pressure (the plan's cycle, offsets and phase order, greens moved each cycle towards
       the phase of largest pressure; SUMO through TraCI, ``sumo_control.CyclicPressure``);
  (f)  (d) and the modes of (e) under demand the plan was not designed for (``--off-design``: cross
       streets x 1.25, x 0.7, corridor x 1.1), ours and SUMO - where queue feedback should pay.

Runs. Each plan and seed (0, 1, ...): our ``microsim.simulate`` and SUMO (``sumo.write_sumo`` +
``run_sumo`` through libsumo) on the same network, signal programs and the same vehicles
(departure, route, speedFactor drawn from the seed), ``warmup`` + ``duration`` s at step ``dt``
(SUMO's default 1 s). Metrics over vehicles entering after the warm-up:

* travel time, stops (speed falls to <= 0.1 m/s), delay (SUMO timeLoss) of the corridor through
  vehicles each way; side-street delay and stops of the crossing side traffic (``summarize``);
* combined corridor travel time (stops) = volume-weighted mean of the out and in through values,
  (V_out x_out + V_in x_in) / (V_out + V_in), V = the entering volumes;
* total delay = sum over every vehicle scheduled in [warm-up, end - drain) (corridor through and
  turning, side crossers and joiners; drain 600 s, longer than a congested corridor trip, so that only
  vehicles held in queues are left) of its delay + the time it waited to enter (SUMO timeLoss +
  departDelay), vehicle-hours per hour of that window; "unfinished" counts that cohort's vehicles still
  on the road or waiting to enter at the end (not in the sum);
* PI (ours only) = ``optimise.performance_index`` with K = 20 s on the benchmark seeds (every vehicle,
  unfinished ones up to the end);
* vehicle updates per second: ours in the kernel only, SUMO inside ``simulationStep`` only.

Targets (from the issue), judged on SUMO's means over the seeds: (d) cuts the combined travel time by
>= 15 % against (a) and >= 10 % against (b), the combined stops by >= 40 % against (a), has lower total
delay than (c); no cycle below ``--cycle-min``; ours vs SUMO on the same plan within 10 % (travel times)
and 15 % (stops) each way; our updates per second >= 10 x SUMO's.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import time
import warnings
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.greenwave import microsim as ms  # noqa: E402
from sim.greenwave import sumo as gs  # noqa: E402
from sim.greenwave.kernels import ORIG_SIDE0  # noqa: E402
from sim.greenwave.bays import describe as describe_bays  # noqa: E402
from sim.greenwave.bays import with_bays  # noqa: E402
from sim.greenwave.corridor import apply_edits, corridor_from_name, current_plan  # noqa: E402
from sim.greenwave.maxband import band_of, joiner_clearance_frac, maxband  # noqa: E402
from sim.greenwave.optimise import STOP_PENALTY_S, eval_seeds, optimise_plan, performance_index  # noqa: E402
from sim.greenwave.plan import Corridor, Plan  # noqa: E402
from sim.greenwave.webster import plan_saturation, webster_timing  # noqa: E402
from twin.errors import InputError  # noqa: E402

REFS = ("a'", "cur")  # reference plans: run in SUMO only with --sumo-refs
COLS = [("tt_out", "TT out s"), ("tt_in", "TT in s"), ("tt_comb", "TT comb s"), ("st_out", "stops out"),
        ("st_in", "stops in"), ("st_comb", "stops comb"), ("d_out", "delay out s"), ("d_in", "delay in s"),
        ("d_side", "side delay s"), ("st_side", "side stops"), ("total_h", "total delay veh-h/h"),
        ("unfinished", "unfinished")]


# ----------------------------------------------------------------------------- metrics
def _combined(m: dict, key_out: str, key_in: str, c: Corridor) -> float:
    vo, vi = float(c.volume_out_vph), float(c.volume_in_vph)
    return (vo * m[key_out] + vi * m[key_in]) / (vo + vi)


def _row(m: dict, c: Corridor, tot: dict) -> dict[str, float]:
    return {"tt_out": m["travel_time_out_s"], "tt_in": m["travel_time_in_s"],
            "tt_comb": _combined(m, "travel_time_out_s", "travel_time_in_s", c),
            "st_out": m["stops_out_per_veh"], "st_in": m["stops_in_per_veh"],
            "st_comb": _combined(m, "stops_out_per_veh", "stops_in_per_veh", c),
            "d_out": m["delay_out_s"], "d_in": m["delay_in_s"], "d_side": m["delay_side_s"],
            "st_side": m["stops_side_per_veh"], "total_h": tot["total_h"], "unfinished": tot["unfinished"],
            "ups": m["vehicle_updates_per_s"]}


def _totals_ours(res: ms.MicroResult, dem: ms.Demand, warmup_s: float, cut_s: float) -> dict[str, float]:
    """Total delay of the finished vehicles scheduled in [warmup_s, cut_s) (legs summed, entry wait added)."""
    tr = res.trips
    g = tr.assign(d=tr.t_out_s - tr.t_in_s - tr.ff_s, leg_main=tr.kind != "side").groupby("vid")
    per = pd.DataFrame({"d": g["d"].sum(), "t_in": g["t_in_s"].min(), "main": g["leg_main"].any()})
    vid = per.index.to_numpy()
    side_join = (dem.origin[vid] >= ORIG_SIDE0) & (dem.direction[vid] >= 0)
    finished = ~side_join | per["main"].to_numpy()  # a joiner finishes with its corridor leg
    wait = per["t_in"].to_numpy() - dem.t_s[vid]
    sched = (dem.t_s[vid] >= warmup_s) & (dem.t_s[vid] < cut_s)
    ok = finished & sched
    n_window = int(((dem.t_s >= warmup_s) & (dem.t_s < cut_s)).sum())
    hours = (cut_s - warmup_s) / 3600.0
    return {"total_h": float((per["d"].to_numpy()[ok] + wait[ok]).sum()) / 3600.0 / hours,
            "unfinished": float(n_window - ok.sum())}


def _totals_sumo(files: gs.SumoFiles, cut_s: float) -> dict[str, float]:
    """The same from SUMO's tripinfo (timeLoss + departDelay; one trip per vehicle)."""
    rows = []
    for _, el in ET.iterparse(files.folder / "tripinfo.xml", events=("end",)):
        if el.tag == "tripinfo":
            a = el.attrib
            rows.append((int(a["id"]), float(a["timeLoss"]), float(a.get("departDelay", 0.0))))
            el.clear()
    ti = pd.DataFrame(rows, columns=["vid", "loss", "dd"])
    veh = pd.read_csv(files.vehicles).set_index("vid")
    t_s = veh.loc[ti["vid"], "t_s"].to_numpy()
    ok = (t_s >= files.warmup_s) & (t_s < cut_s)
    n_window = int(((veh["t_s"] >= files.warmup_s) & (veh["t_s"] < cut_s)).sum())
    hours = (cut_s - files.warmup_s) / 3600.0
    return {"total_h": float((ti["loss"].to_numpy()[ok] + ti["dd"].to_numpy()[ok]).sum()) / 3600.0 / hours,
            "unfinished": float(n_window - ok.sum())}


# ----------------------------------------------------------------------------- runs
def run_ours(c: Corridor, plan: Plan, seed: int, a: argparse.Namespace, **kw: Any) -> dict[str, float]:
    res = ms.simulate(c, plan, duration_s=a.duration, warmup_s=a.warmup, seed=seed, dt_s=a.dt, params=a.params, **kw)
    dem = ms.make_demand(c, a.warmup + a.duration, seed, a.params)
    return _row(res.metrics, c, _totals_ours(res, dem, a.warmup, a.warmup + a.duration - a.drain))


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence SUMO's own end-of-run report (libsumo writes it to the process's stdout)."""
    sys.stdout.flush()
    keep = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(keep, 1)
            os.close(keep)


def run_sumo(c: Corridor, plan: Plan, seed: int, a: argparse.Namespace, **kw: Any) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        files = gs.write_sumo(c, plan, tmp, duration_s=a.duration, warmup_s=a.warmup, seed=seed, dt_s=a.dt,
                              params=a.params, **kw)
        with _quiet_stdout():
            m = gs.run_sumo(files)
        return _row(m, c, _totals_sumo(files, a.warmup + a.duration - a.drain))


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def control_modes() -> tuple[list[str], bool]:
    """Control modes (e) our simulator offers, and whether SUMO's writer takes a ``control`` at all."""
    if "control" not in inspect.signature(ms.simulate).parameters:
        return [], False
    from sim.greenwave.control import MODES

    return [m for m in MODES if m != "fixed"], "control" in inspect.signature(gs.write_sumo).parameters


def off_design(c: Corridor, plan: Plan, a: argparse.Namespace, modes: list[str], sumo_modes: bool) -> dict:
    """(f) The recommended plan and the control modes on it under demand it was not designed for:
    every cross street x ``side`` and both corridor directions x ``main`` (``--off-design``), our
    simulator and SUMO, the benchmark's seeds; returns {case: {mode: (ours, SUMO or None)}}."""
    out: dict[str, dict[str, tuple]] = {}
    for case in a.off_design.split(";") if a.off_design else []:
        side_f, main_f = (float(x) for x in case.split(","))
        c2 = apply_edits(c, {"volume_out_vph": c.volume_out_vph * main_f, "volume_in_vph": c.volume_in_vph * main_f,
                             **{it.name: {"side_volume_vph": it.side_volume_vph * side_f} for it in c.intersections}})
        name = f"side x{side_f:g}, corridor x{main_f:g}"
        out[name] = {}
        for mode in ["fixed", *modes]:
            kw = {} if mode == "fixed" else {"control": mode}
            t0 = time.perf_counter()
            o = _mean([run_ours(c2, plan, s, a, **kw) for s in range(a.seeds)])
            sm = _mean([run_sumo(c2, plan, s, a, **kw) for s in range(a.seeds)]) if (mode == "fixed" or sumo_modes) else None
            out[name][mode] = (o, sm)
            print(f"  ran (f) {name}, {mode} ({time.perf_counter() - t0:.0f} s)", flush=True)
    if out:
        print("\n(f) the recommended plan (d) and the modes on it, demand off the design (ours | SUMO, "
              f"mean of {a.seeds} seeds): TT combined s, stops combined, side delay s, total delay veh-h/h, unfinished")
        for name, rows in out.items():
            for mode, (o, sm) in rows.items():
                f = lambda r: (f"{r['tt_comb']:7.1f} {r['st_comb']:5.2f} {r['d_side']:6.1f} {r['total_h']:7.1f} "  # noqa: E731
                               f"{r['unfinished']:5.1f}") if r else "  -"
                print(f"  {name:26s} {mode:16s} {f(o)} | {f(sm)}")
    return out


# ----------------------------------------------------------------------------- main
def build_plans(c: Corridor, city: Any, a: argparse.Namespace) -> tuple[list[tuple[str, str, Plan]], dict]:
    web = webster_timing(c, lane_groups=a.lane_groups)
    web.name = "(a) Webster, offsets 0"
    cur = current_plan(c, city.roads)
    cur0 = cur.with_offsets(np.zeros(len(c)), name="(a') stored cycle/splits, offsets 0")
    cur.name = "(cur) stored plan"
    with tempfile.TemporaryDirectory() as tmp:
        files = gs.write_sumo(c, web, tmp, duration_s=a.duration, warmup_s=a.warmup, seed=0, dt_s=a.dt,
                              params=a.params)
        tls = gs.tls_coordinator_plan(files, c, web, direction="out")
    tls.name = "(b) tlsCoordinator (out)"
    mb = maxband(c, web, cycle_range_s=None if a.band_cycle_max is None else (web.cycle_s, a.band_cycle_max),
                 queue_clearance_frac=joiner_clearance_frac(c) if a.queue_clearance else None)
    mb.name = "(c) MAXBAND"
    mb0 = mb.with_offsets(np.zeros(len(c)), name="(a'') (c)'s cycle/splits, offsets 0")
    info: dict[str, Any] = {}
    t0 = time.perf_counter()
    opt = optimise_plan(c, mb, iterations=a.iterations, optimise_cycle=a.optimise_cycle, cycle_min_s=a.cycle_min,
                        through_weight=a.through_weight, seeds=eval_seeds(a.opt_seeds), eval_s=a.opt_eval,
                        stop_penalty_s=a.stop_penalty, dt_s=a.dt, seed=a.opt_seed, starts=a.opt_starts,
                        params=a.params)
    info["optimise_s"] = time.perf_counter() - t0
    opt.name = "(d) delay-optimised"
    info.update({k: opt.meta[k] for k in ("pi_start", "pi_best", "evaluations", "seeds", "eval_s", "warmup_s")})
    plans = [("a", web.name, web), ("a''", mb0.name, mb0), ("a'", cur0.name, cur0), ("cur", cur.name, cur),
             ("b", tls.name, tls), ("c", mb.name, mb), ("d", opt.name, opt)]
    return plans, info


def _print_table(title: str, res: dict[str, dict[str, float]], names: dict[str, str]) -> None:
    print(f"\n{title}")
    print(f"{'plan':40s}" + "".join(f"{lab:>13s}" for _, lab in COLS))
    for k, m in res.items():
        print(f"{names[k]:40s}" + "".join(f"{m[c]:13.2f}" for c, _ in COLS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3600.0)
    ap.add_argument("--warmup", type=float, default=600.0)
    ap.add_argument("--dt", type=float, default=1.0)
    ap.add_argument("--drain", type=float, default=600.0)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--optimise-cycle", action="store_true")
    ap.add_argument("--through-weight", type=float, default=1.0,
                    help="(d)'s weight on end-to-end corridor trips (optimise_plan through_weight)")
    ap.add_argument("--opt-seeds", type=int, default=2, help="(d)'s evaluation samples (optimise_plan seeds)")
    ap.add_argument("--opt-eval", type=float, default=1200.0, help="(d)'s simulated seconds per sample")
    ap.add_argument("--opt-starts", type=int, default=1, help="(d)'s independent climbs (optimise_plan starts)")
    ap.add_argument("--opt-seed", type=int, default=0, help="(d)'s search order seed (optimise_plan seed)")
    ap.add_argument("--stop-penalty", type=float, default=STOP_PENALTY_S, help="(d)'s K, seconds of delay per stop")
    ap.add_argument("--band-cycle-max", type=float, default=None,
                    help="(c)'s longest cycle, s (default: MAXBAND's, 1.25 x Webster's)")
    ap.add_argument("--queue-clearance", action="store_true",
                    help="(c) with MAXBAND's queue clearance for the joiners (maxband.joiner_clearance_frac)")
    ap.add_argument("--cycle-min", type=float, default=60.0)
    ap.add_argument("--sumo-refs", action="store_true", help="run the reference plans (a') and (cur) in SUMO too")
    ap.add_argument("--bays", choices=["design", "none"], default="design",
                    help="turn bays by the design rule (default) or none")
    ap.add_argument("--off-design", default="1.25,1;0.7,1;1,1.1",
                    help="(f) demand cases 'side,corridor' factors separated by ';' ('' to skip)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--webster", choices=["shared", "lane-groups"], default="shared",
                    help="Webster's flow ratios: turners counted in the through lanes, as the recorded issue-10 "
                         "figures were measured (the bays then sized at its 87-s cycle), or lane groups with "
                         "each bay its own (the product's default since 2026-12-02)")
    ap.add_argument("--permitted-left-gap", type=float, default=0.0,
                    help="critical headway (s) of permitted left turns in both simulators (SUMO: a minor green "
                         "'g'); 0, as the recorded issue-10 figures were measured: they do not yield (the product's default is 4.5)")
    a = ap.parse_args()
    a.params = ms.Params(permitted_left_gap_s=a.permitted_left_gap)
    if not gs.available():
        sys.exit("Eclipse SUMO is not installed (pip install eclipse-sumo libsumo)")
    warnings.simplefilter("ignore")  # Webster's x > 1 warnings of the stored plan's side phases etc.
    from twin.city import load_city

    city = load_city(ROOT / "data_samples" / "chenzhou")
    c = ms.padded(corridor_from_name(city.roads, "Renmin Road"), 100.0)
    if a.bays == "none":
        c = apply_edits(c, {"*": {"bay_left_m": 0.0, "bay_right_m": 0.0}})
    a.lane_groups = a.webster == "lane-groups"
    c = with_bays(c, webster_timing(c, lane_groups=a.lane_groups).cycle_s)  # sized at the Webster cycle used
    its = c.intersections
    gap = a.permitted_left_gap
    print("permitted left turns: " + (f"yield, critical headway {gap:g} s" if gap > 0 else "do not yield"))
    print(f"Webster: {'lane groups (each bay its own)' if a.lane_groups else 'turners counted in the through lanes'}")
    x = plan_saturation(c, webster_timing(c, lane_groups=a.lane_groups), lane_groups=a.lane_groups)
    print("permitted-left degree of saturation at Webster's cycle (HCM capacity), out / in: "
          + "; ".join(f"{it.name} {d.get('left_out', float('nan')):.2f} / {d.get('left_in', float('nan')):.2f}"
                      for it, d in zip(its, x)))
    print(f"corridor {c.name}: {len(c)} signals over {c.length_m:.0f} m, {its[0].lanes_out} lanes each way, "
          f"{c.speed_kph:g} km/h; demand {c.volume_out_vph:g} veh/h out, {c.volume_in_vph:g} veh/h in, turns "
          f"{its[0].turn_left:.0%} left + {its[0].turn_right:.0%} right per signal, side streets "
          f"{its[0].side_volume_vph:g} veh/h ({its[0].side_lanes} lanes/approach, {its[0].side_to_main:.0%} join); "
          f"{a.duration:g} s after {a.warmup:g} s warm-up, step {a.dt:g} s, seeds 0..{a.seeds - 1}")
    print("turn bays (m) left out / right out / left in / right in: " + "; ".join(
        f"{r['name']} {r['bay_left_out_m']:g}/{r['bay_right_out_m']:g}/{r['bay_left_in_m']:g}/{r['bay_right_in_m']:g}"
        for r in describe_bays(c)))
    plans, info = build_plans(c, city, a)
    names = {k: n for k, n, _ in plans}
    v = c.speed_kph / 3.6
    for k, n, p in plans:
        b = band_of(p, c, p.speed_out_m_s or 0.85 * v, p.speed_in_m_s or 0.85 * v)
        print(f"  {n:40s} cycle {p.cycle_s:6.2f} s, band {b[0]:5.1f} / {b[1]:5.1f} s, offsets "
              f"{[round(t.offset_s, 1) for t in p.timings]}, main greens {[round(t.phases[0].green_s, 1) for t in p.timings]}")
    print(f"optimisation (d): {info['evaluations']} plans x {len(info['seeds'])} seeds x "
          f"({info['warmup_s']:g} + {info['eval_s']:g}) s in {info['optimise_s']:.1f} s wall; PI "
          f"{info['pi_start']:.4g} -> {info['pi_best']:.4g} veh-s/h on its own seeds "
          f"({100 * (info['pi_best'] / info['pi_start'] - 1):+.1f} %)")

    modes, sumo_modes = control_modes()
    seeds = list(range(a.seeds))
    ours: dict[str, list] = {}
    sumo: dict[str, list] = {}
    pis: dict[str, float] = {}
    for k, n, p in plans:
        t0 = time.perf_counter()
        ours[k] = [run_ours(c, p, s, a) for s in seeds]
        if k not in REFS or a.sumo_refs:
            sumo[k] = [run_sumo(c, p, s, a) for s in seeds]
        pis[k] = performance_index(c, p, seeds=seeds, eval_s=a.duration, warmup_s=a.warmup, dt_s=a.dt,
                                   params=a.params)["pi_veh_s_h"]
        print(f"  ran {n} ({time.perf_counter() - t0:.0f} s)", flush=True)
    opt = plans[-1][2]
    no_sumo: list[str] = []
    for mode in modes:  # on the recommended plan: its cycle, offsets and force-offs (actuated), its phases
        k = f"e:{mode}"
        names[k] = f"(e) {mode} on (d)"
        t0 = time.perf_counter()
        ours[k] = [run_ours(c, opt, s, a, control=mode) for s in seeds]
        try:
            if sumo_modes:
                sumo[k] = [run_sumo(c, opt, s, a, control=mode) for s in seeds]
            else:
                no_sumo.append(mode)
        except InputError:  # SUMO's writer does not offer this mode
            no_sumo.append(mode)
        print(f"  ran {names[k]} ({time.perf_counter() - t0:.0f} s)", flush=True)

    o = {k: _mean(r) for k, r in ours.items()}
    s = {k: _mean(r) for k, r in sumo.items()}
    _print_table(f"SUMO, mean over {len(seeds)} seeds", s, names)
    _print_table(f"ours, mean over {len(seeds)} seeds", o, names)
    print("\nPI (ours, delay + 20 s x stops, all vehicles incl. unfinished), veh-s/h:")
    for k, v_ in pis.items():
        print(f"  {names[k]:40s} {v_:12.4g}")
    if not modes:
        print("\n(e) actuated / max-pressure: PENDING - microsim.simulate has no `control` argument yet")
    for mode in no_sumo:
        print(f"\n(e) {mode} in SUMO: not available (sumo.write_sumo does not offer it); ours only")

    checks: list[tuple[str, float, str, bool]] = []

    def check(name: str, value: float, target: str, ok: bool) -> None:
        checks.append((name, value, target, bool(ok)))

    cut = lambda x, ref: 1.0 - s["d"][x] / s[ref][x]  # noqa: E731
    check("combined travel time cut (d) vs (a), SUMO", 100 * cut("tt_comb", "a"), ">= 15 %", cut("tt_comb", "a") >= 0.15)
    check("combined travel time cut (d) vs (b), SUMO", 100 * cut("tt_comb", "b"), ">= 10 %", cut("tt_comb", "b") >= 0.10)
    check("combined stops cut (d) vs (a), SUMO", 100 * cut("st_comb", "a"), ">= 40 %", cut("st_comb", "a") >= 0.40)
    check("[alt] combined travel time cut (d) vs (a''), SUMO", 100 * cut("tt_comb", "a''"), ">= 15 %",
          cut("tt_comb", "a''") >= 0.15)
    check("[alt] combined stops cut (d) vs (a''), SUMO", 100 * cut("st_comb", "a''"), ">= 40 %",
          cut("st_comb", "a''") >= 0.40)
    check("total delay (d) / (c), SUMO", s["d"]["total_h"] / s["c"]["total_h"], "< 1", s["d"]["total_h"] < s["c"]["total_h"])
    cmin = min(p.cycle_s for _, _, p in plans)
    check("shortest cycle of all plans, s", cmin, f">= {a.cycle_min:g}", cmin >= a.cycle_min - 1e-9)
    r, src = (s, "SUMO") if "a'" in s else (o, "ours")
    cut_r = 1.0 - r["d"]["tt_comb"] / r["a'"]["tt_comb"]
    st_r = 1.0 - r["d"]["st_comb"] / r["a'"]["st_comb"]
    check(f"[ref] combined travel time cut (d) vs (a'), {src}", 100 * cut_r, ">= 15 %", cut_r >= 0.15)
    check(f"[ref] combined stops cut (d) vs (a'), {src}", 100 * st_r, ">= 40 %", st_r >= 0.40)
    worst_tt = max(abs(o[k][x] / s[k][x] - 1) for k in s for x in ("tt_out", "tt_in"))
    worst_st = max(abs(o[k][x] / s[k][x] - 1) for k in s for x in ("st_out", "st_in"))
    check("ours vs SUMO: worst travel-time deviation, %", 100 * worst_tt, "<= 10 %", worst_tt <= 0.10)
    check("ours vs SUMO: worst stops deviation, %", 100 * worst_st, "<= 15 %", worst_st <= 0.15)
    ups_o = float(np.mean([r["ups"] for k in sumo for r in ours[k]]))  # the same plans and seeds
    ups_s = float(np.mean([r["ups"] for k in sumo for r in sumo[k]]))
    check(f"vehicle updates/s ours {ups_o:.3g} vs SUMO {ups_s:.3g}: ratio", ups_o / ups_s, ">= 10", ups_o / ups_s >= 10)
    print("\nours / SUMO per plan (travel time out, in; stops out, in):")
    for k in s:
        print(f"  {names[k]:40s} " + "  ".join(f"{o[k][x] / s[k][x]:.3f}" for x in ("tt_out", "tt_in", "st_out", "st_in")))
    print("\ntargets:")
    for name, val, tgt, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {val:.3g} (target {tgt})")
    print(f"\noptimisation runtime: {info['optimise_s']:.1f} s wall ({info['evaluations']} plan evaluations)")
    off = off_design(c, opt, a, modes, sumo_modes)
    if a.json:
        a.json.write_text(json.dumps({"ours": o, "sumo": s, "pi": pis, "names": names, "info": info, "off_design": off,
                                      "checks": [dict(name=n, value=v_, target=t, ok=ok) for n, v_, t, ok in checks]},
                                     indent=1, default=float))


if __name__ == "__main__":
    main()
