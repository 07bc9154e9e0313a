"""Evacuee routing in the shipped storm-night drill: the same drill with the evacuees' route
choice seeing the link-entry queues or not, weighing the risk zone where the forecast puts it
or where it is, with the risk-zone penalty of the plan (10) or none (1), and with the persons who
find no shelter place driving out of the danger area (the default) or staying in place, and with
their ways out kept at least 1 km from the release (``evacuation_isolation_m``).

Each variant reruns ``sim.drill.run`` on ``scenarios/drill_flood_hazmat.yaml`` (hazards cached
after the first run) and prints, for its first plan: evacuees on the road at once (max), the
last time one is on the road, person-hours on the roads (``evacuee_road_person_h``),
person-hours waiting at link entries (sum of ``evac_queues``), evacuees whose drive meets the
risk zone's level of the cloud and their person-minutes there, the persons out of the danger
area without a shelter place at the end, the person-minutes indoors in air at the risk zone's
level, and the run time; then, for the default routing with either rule for those without a shelter
place, every plan's person-minutes at the risk level on the roads, indoors and in shelters at risk
(with the persons who were in one).

Then the default variant again with spill-back's stuck time (a group waiting that long for
room on a full link gets on anyway) at 60, 300 (the default), 900 and 3,600 s.

Usage: ``python benchmarks/drill_evacuation.py``.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

VARIANTS = [  # label, sees queues, zone forecast, penalty (None: the plan's), spill-back, without a place[, isolation m]
    ("queues seen, forecast zone (default)", True, True, None, True, "leave"),
    ("no shelter place: stay in place", True, True, None, True, "stay"),
    ("ways out at least 1 km from the release", True, True, None, True, "leave", 1000.0),
    ("queues seen, forecast zone, point queues", True, True, None, False, "leave"),
    ("queues seen, zone as planned", True, False, None, True, "leave"),
    ("blind to queues, forecast zone", False, True, None, True, "leave"),
    ("blind to queues, zone as planned", False, False, None, True, "leave"),
    ("blind to queues, point queues", False, False, None, False, "leave"),
    ("queues seen, penalty 1 (fastest)", True, True, 1.0, True, "leave"),
    ("blind to queues, penalty 1", False, False, 1.0, True, "leave"),
]


def main() -> None:
    import sim.drill as D
    from twin.city import load_city
    from twin.scenario import load_scenario

    warnings.filterwarnings("ignore")
    sc, p = load_scenario(ROOT / "scenarios" / "drill_flood_hazmat.yaml")
    city = load_city(sc.city)
    D.run(city, p, start=sc.start)  # computes and caches the flood
    print("| variant | max on road | last on road | person-h on road | person-h waiting | of it at full links "
          "| groups forced (gridlock) | exposed evacuees | person-min in risk zone | out of the area "
          "| indoor person-min at risk | run |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    every_plan = {}  # without-place mode -> the metrics of every plan, for the two default-routing variants
    for label, sees, forecast, penalty, spill, without, *iso in VARIANTS:
        q = p.model_copy(deep=True)
        for pl in q.plans:
            pl.evacuation_sees_queues, pl.evacuation_zone_forecast = sees, forecast
            pl.evacuation_spillback = spill
            pl.evacuation_without_place = without
            pl.evacuation_isolation_m = iso[0] if iso else 0.0
            if penalty is not None:
                pl.evacuation_zone_penalty = penalty
        t0 = time.perf_counter()
        r = D.run(city, q, start=sc.start)
        wall = time.perf_counter() - t0
        plan = q.plans[0].name
        pp = r.tables["people"]
        pp = pp[pp.plan == plan]
        if sees and forecast and spill and penalty is None and not iso:
            every_plan[without] = r.metrics().set_index("plan")
        m = r.metrics().set_index("plan").loc[plan]
        eq = r.tables["evac_queues"]
        wait_h = float(eq[eq.plan == plan].wait_person_h.sum()) if len(eq) else 0.0
        full_h = float(eq[eq.plan == plan].full_wait_person_h.sum()) if len(eq) else 0.0
        forced = next(run.queues.forced for run in r.runs if run.plan.name == plan)
        on = pp[pp.evacuating > 0.5]
        print(f"| {label} | {pp.evacuating.max():,.0f} | {on.t_s.max() / 3600:.2f} h | "
              f"{m.evacuee_road_person_h:,.0f} | {wait_h:,.0f} | {full_h:,.0f} | {forced} | "
              f"{m.exposed_en_route_persons:,.0f} | "
              f"{m.exposed_en_route_person_min:,.0f} | {m.left_area_end:,.0f} | {m.indoor_at_risk_person_min:,.0f} | "
              f"{wall:.1f} s |", flush=True)
    print("\n| plan | no shelter place | person-min in risk zone on roads | indoor person-min at risk "
          "| sheltered at risk: persons, person-min | together (person-min) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for without, mt in every_plan.items():
        for plan, m in mt.iterrows():
            road, indoor, shel = m.exposed_en_route_person_min, m.indoor_at_risk_person_min, \
                m.sheltered_at_risk_person_min
            print(f"| {plan} | {without} | {road:,.0f} | {indoor:,.0f} | {m.sheltered_at_risk_persons:,.0f}, "
                  f"{shel:,.0f} | {road + indoor + shel:,.0f} |")
    import functools

    import sim.drill.engine as engine
    from sim.drill.evac_traffic import LinkQueues

    print("\n| stuck time | person-h on road | last on road | person-min in risk zone | groups forced |")
    print("| --- | --- | --- | --- | --- |")
    try:
        for stuck in (60.0, 300.0, 900.0, 3600.0):
            engine.LinkQueues = functools.partial(LinkQueues, stuck_s=stuck)
            r = D.run(city, p, start=sc.start)
            plan = p.plans[0].name
            m = r.metrics().set_index("plan").loc[plan]
            pp = r.tables["people"]
            on = pp[(pp.plan == plan) & (pp.evacuating > 0.5)]
            forced = next(run.queues.forced for run in r.runs if run.plan.name == plan)
            print(f"| {stuck:,.0f} s | {m.evacuee_road_person_h:,.0f} | {on.t_s.max() / 3600:.2f} h | "
                  f"{m.exposed_en_route_person_min:,.0f} | {forced} |", flush=True)
    finally:
        engine.LinkQueues = LinkQueues


if __name__ == "__main__":
    main()
