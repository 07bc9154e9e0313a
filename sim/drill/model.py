"""Run a drill: prepare the shared hazards and injects once, then rehearse every plan variant
on them (same events, same seed) and hand the tables to the result."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sim.drill.engine import PlanRun
from sim.drill.params import Params
from sim.drill.prepare import Prepared
from sim.progress import progress_bar

if TYPE_CHECKING:
    from sim.drill.result import DrillResult


def run(city: Any, params: Params, *, progress: bool = False, start: datetime | None = None) -> "DrillResult":
    """Rehearse ``params.plans`` on ``city``; ``start`` is the wall clock of t = 0 (``HH:MM`` times
    in the drill file are read on its date; default 2026-01-01 00:00 +08:00)."""
    from sim.drill.result import DrillResult

    t0 = time.perf_counter()
    start = start or datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    prep = Prepared(city, params, start, progress=progress)
    t1 = time.perf_counter()
    runs = []
    with progress_bar(progress, "drill plans") as cb:
        for k, plan in enumerate(params.plans):
            runs.append(PlanRun(prep, plan).run())
            if cb:
                cb((k + 1) / len(params.plans))
    t2 = time.perf_counter()
    return DrillResult(city=city, params=params, prep=prep, runs=runs, start=start,
                       timings_s={"prepare": t1 - t0, "plans": t2 - t1, "total": t2 - t0})
