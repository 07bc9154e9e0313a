"""The shipped crowd scenarios' headline figures, in one run (BENCHMARKS.md, "The shipped crowd
scenarios on a forecast fitted before its origin").

For ``scenarios/crowd_national_day.yaml`` and ``scenarios/crowd_spring_festival_next.yaml``
(``sim.crowd.run``, seed 0): the forecast against the counts of its period where the sample
history holds them (National Day 2026: ``summary()['forecast_vs_counts']``); the baseline (no
measure) entries against the gate counts per spot (``report().entries_vs_counts_pct``); hours at
yellow or red and at red per spot for the baseline, the scenario's measures and (National Day)
``demand: upper`` with them; closed-out persons; the shuttle fleet of the busiest day with and
without empty runs (``shuttle.fleet``); and the inflow ``scenarios/crowd_gate_bottleneck.yaml``
takes from the forecast (``sim.crowd.gate.gate_inflow``); for
``scenarios/crowd_national_day_live.yaml`` (made at 11:00 on 3 October) the updated day against
its counts, the update's track record and the alerts ahead that day.  About 1 min.

Usage: ``python benchmarks/crowd_scenarios.py``
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

from sim.crowd import model as M
from sim.crowd.params import MeasureSettings
from sim.crowd.result import shuttle_summary
from twin.city import load_city
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def _hours(res) -> dict[str, tuple[float, float]]:
    return {r.spot: (r.hours_yellow_or_red, r.hours_red) for r in res.report().itertuples()}


def _print_hours(label: str, runs: dict[str, dict[str, tuple[float, float]]]) -> None:
    names = list(runs)
    print(f"\n{label}: hours at yellow or red / at red")
    print("| spot | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for sp in runs[names[0]]:
        print(f"| {sp} | " + " | ".join(f"{runs[n][sp][0]:.1f} / {runs[n][sp][1]:.2f}" for n in names) + " |")


def scenario(city, file: str) -> None:
    _, p = load_scenario(ROOT / "scenarios" / file)
    t = time.perf_counter()
    base = M.run(city, p.model_copy(update={"measures": MeasureSettings(), "forecast_backtest": False}))
    shipped = M.run(city, p.model_copy(update={"forecast_backtest": False}))
    print(f"\n## {file} ({p.start} .. {p.end}; {time.perf_counter() - t:.0f} s for two runs)")
    chk = shipped.summary().get("forecast_vs_counts")
    if chk:
        print(f"forecast fitted before {chk['fitted_before']} against the counts: {chk['spot_days']} spot-days, "
              f"total {chk['total_error_pct']:+.1f} %, MAPE {chk['mape_pct']} %, "
              f"{chk['coverage_pct']} % inside the {chk['interval_pct']} % intervals; "
              + ", ".join(f"{k} WAPE {v['wape_pct']} %, peak slot {v['peak_slot_error_pct']} %, shift "
                          f"{v['peak_shift_h']} h" for k, v in chk.items() if isinstance(v, dict) and "wape_pct" in v))
        for sp, v in chk["spots"].items():
            print(f"  {sp}: total {v['total_error_pct']:+.1f} %, MAPE {v['mape_pct']} %, coverage "
                  f"{v['coverage_pct']} %, peak day counted {v['peak_day_actual']} / forecast {v['peak_day_forecast']}")
    else:
        print("no counts of the period: no forecast check")
    rep = base.report()
    e = rep.set_index("spot")["entries_vs_counts_pct"]
    print("baseline entries - gate counts per spot: " + ", ".join(f"{s} {v:+.1f} %" for s, v in e.items())
          + f" (range {e.min():+.1f} .. {e.max():+.1f} %)")
    runs = {"baseline": _hours(base), "measures": _hours(shipped)}
    if "diversion" in (p.measures.as_dict() or {}):
        up = M.run(city, p.model_copy(update={"demand": "upper", "forecast_backtest": False}))
        runs["measures, demand upper"] = _hours(up)
        ratio = (up.report().set_index("spot")["gate_counts_persons"]
                 / shipped.report().set_index("spot")["gate_counts_persons"] - 1.0) * 100
        print(f"demand upper: gate counts {ratio.min():+.1f} .. {ratio.max():+.1f} % per spot against the median")
    _print_hours(f"{file}", runs)
    for lab, r in (("baseline", base), ("measures", shipped)):
        f = shuttle_summary(r.network)["fleet"]
        print(f"{lab}: closed out {r.network.counters['closed_out_persons']:.0f} persons; fleet on the busiest day "
              f"{f['total']} buses ({f['total_no_deadhead']} without empty runs), per line {f['per_line']}")


def live(city) -> None:
    """The run made during the holiday (3 October 11:00): the updated day against its counts,
    the 11:00 update's track record, and what the duty officer reads for the rest of the day."""
    _, p = load_scenario(ROOT / "scenarios" / "crowd_national_day_live.yaml")
    t = time.perf_counter()
    r = M.run(city, p)
    s = r.summary()
    print(f"\n## crowd_national_day_live.yaml ({time.perf_counter() - t:.0f} s): {s['arrivals']}")
    o, chk = s["forecast_vs_counts"]["origin_day"], s["forecast_vs_counts"]
    print(f"{o['date']} counted to {o['counted_to']}: day-total MAPE {o['mape_pct']} % over {o['spots']} spots, "
          f"{o['coverage_pct']} % inside; the whole forecast part ({chk['spot_days']} spot-days) MAPE "
          f"{chk['mape_pct']} %, {chk['coverage_pct']} % inside")
    u = s["forecast_backtest"]["within_day_update"]
    print(f"track record of the {u['counted_to']} update ({', '.join(u['held_out'])}, {u['spot_days']} spot-days): "
          f"rest of day WAPE {u['rest_of_day_wape_pct']} % (not updated {u['rest_of_day_wape_plain_pct']} %), day "
          f"total {u['day_total_mape_pct']} % ({u['day_total_mape_plain_pct']} %)")
    for sp, a in s["alerts_ahead_today"].items():
        print(f"  {sp}: {a['level_now']} now; later today {', '.join(a['changes_today']) or 'no change'}; red from "
              f"{a['red_from']}")


def main() -> None:
    warnings.simplefilter("ignore")
    city = load_city(ROOT / "data_samples" / "chenzhou")
    for f in ("crowd_national_day.yaml", "crowd_spring_festival_next.yaml"):
        scenario(city, f)
    live(city)
    from sim.crowd.gate import gate_inflow

    _, g = load_scenario(ROOT / "scenarios" / "crowd_gate_bottleneck.yaml")
    q, info = gate_inflow(city, g, g.gate.spot)
    print(f"\ncrowd_gate_bottleneck.yaml: {q:.0f} persons/h at {g.gate.spot} ({info['source']}; peak "
          f"{info['peak_time']})")


if __name__ == "__main__":
    main()
