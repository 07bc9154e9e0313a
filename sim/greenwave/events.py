"""Discrete events on the corridor, driven by SimPy: scheduled plan switches (with a smooth
or immediate transition), demand changes and lane closures by incidents, each acting on the
micro-simulation between chunks; every event is logged with its time and what it did."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.greenwave import microsim as ms
from sim.greenwave.control import WindowSchedule, chain_transitions, run_schedule
from sim.greenwave.plan import Corridor, Plan


@dataclass
class EventRun:
    metrics: dict
    log: list[dict] = field(default_factory=list)
    transition_stops_per_veh: float = float("nan")  # end-to-end vehicles entering around the first switch
    trajectories: object = None  # pandas DataFrame when asked for (microsim.MicroResult.trajectories)
    schedule: WindowSchedule | None = None
    trips: object = None  # microsim.MicroResult.trips


@dataclass(frozen=True)
class DemandChange:
    """From ``at_s`` on keep ``share_by_origin`` (0..1 per ``Demand.origin`` code) of the drawn vehicles."""

    at_s: float
    share_by_origin: tuple[float, ...]
    label: str = ""


def run_events(corridor: Corridor, plan: Plan, *, switch_to: Plan | None = None, switch_s: float | None = None,
               switches: list[tuple[float, Plan]] | None = None, transition: str = "smooth",
               incidents: list | None = None, demand_changes: list[DemandChange] | None = None,
               duration_s: float, warmup_s: float, seed: int, dt_s: float = 0.5, record_trajectories: bool = False,
               demand: ms.Demand | None = None, min_greens: list[dict[str, float]] | None = None,
               cycle_min_s: float = 0.0, params: ms.Params | None = None) -> EventRun:
    """Simulate ``plan`` on ``corridor`` (already padded) with the events: plan switches (``switch_to``
    at ``switch_s``, or a list ``switches`` of (time, plan)), demand changes (thinning the drawn
    ``demand``, see :func:`sim.greenwave.microsim.set_demand_share`) and lane closures.

    The SimPy clock is the simulation clock. The traffic is only ever advanced up to the SimPy clock
    (never ahead of it): a stepper process advances it at every event time, and each event process
    first brings it up to its own time before acting (whichever SimPy wakes first at that time), so
    an event acts on the traffic as it is at that moment and from then on."""
    total = warmup_s + duration_s
    st = ms.init_state(corridor, plan, total_s=total, warmup_s=warmup_s, seed=seed, dt_s=dt_s, demand=demand,
                       record_trajectories=record_trajectories, params=params)
    sw = list(switches or [])
    if switch_to is not None and switch_s is not None:
        sw.append((float(switch_s), switch_to))
    sw = sorted(((t, p) for t, p in sw if t < total), key=lambda x: x[0])
    if sw:
        sched = chain_transitions([plan] + [p for _, p in sw], [t for t, _ in sw], transition,
                                  min_greens=min_greens, cycle_min_s=cycle_min_s)
    else:
        sched = WindowSchedule(np.array([-np.inf]), plan.windows()[None], np.inf, [])
    env = simpy.Environment()
    log: list[dict] = []
    changes = sorted(demand_changes or [], key=lambda c: c.at_s)
    times = sorted({t for inc in (incidents or []) for t in (inc.from_s, inc.to_s) if t < total}
                   | {t for t, _ in sw} | {c.at_s for c in changes if c.at_s < total} | {total})

    def catch_up():
        run_schedule(st, sched, env.now)  # no-op when the traffic is already at the clock

    def stepper():
        for t in times:
            yield env.timeout(t - env.now)
            catch_up()

    def incident(inc):
        if inc.from_s >= total:
            return
        yield env.timeout(inc.from_s)
        catch_up()
        ms.block_lane(st, inc.direction, inc.lane, inc.pos_m)
        log.append({"t_s": env.now, "event": "lane closed", "detail": f"{inc.direction} lane {inc.lane} at {inc.pos_m:.0f} m"})
        if inc.to_s >= total:
            return
        yield env.timeout(inc.to_s - inc.from_s)
        catch_up()
        ms.block_lane(st, inc.direction, inc.lane, None)
        log.append({"t_s": env.now, "event": "lane reopened", "detail": f"{inc.direction} lane {inc.lane}"})

    def switch(k, t_sw, new):
        yield env.timeout(t_sw)
        old = plan if k == 0 else sw[k - 1][1]
        log.append({"t_s": env.now, "event": "plan switch",
                    "detail": f"{old.name} -> {new.name} ({transition}; every signal on {new.name} by "
                              f"{sched.switch_done_s[k]:.0f} s)"})

    def demand_change(c):
        yield env.timeout(c.at_s)
        catch_up()
        ms.set_demand_share(st, np.asarray(c.share_by_origin), env.now)
        log.append({"t_s": env.now, "event": "demand change", "detail": c.label})

    env.process(stepper())
    for inc in incidents or []:
        env.process(incident(inc))
    for k, (t_sw, new) in enumerate(sw):
        env.process(switch(k, t_sw, new))
    for c in changes:
        if c.at_s < total:
            env.process(demand_change(c))
    env.run()
    res = ms.result(st)
    out = EventRun({k: v for k, v in res.metrics.items() if isinstance(v, (int, float))}, sorted(log, key=lambda e: e["t_s"]),
                   trajectories=res.trajectories, schedule=sched, trips=res.trips)
    if sw:
        out.transition_stops_per_veh = stops_in_windows(res.trips, transition_windows_s(sched, [t for t, _ in sw])[:1])
    return out


def transition_windows_s(sched: WindowSchedule, switch_s: list[float]) -> list[tuple[float, float]]:
    """Per switch: the entry times whose vehicles meet its transition, [switch - 120 s, every
    signal on the new plan + 60 s)."""
    return [(t - 120.0, d + 60.0) for t, d in zip(switch_s, sched.switch_done_s)]


def stops_in_windows(trips, windows: list[tuple[float, float]]) -> float:
    """Mean stops of the end-to-end corridor vehicles that entered in any of ``windows``."""
    t = trips["t_in_s"]
    sel = (trips["kind"] == "end") & (trips["orig"] == trips["dir"])
    inw = np.zeros(len(trips), bool)
    for a, b in windows:
        inw |= ((t >= a) & (t < b)).to_numpy()
    sel &= inw
    return float(trips.loc[sel, "stops"].mean()) if sel.any() else float("nan")
