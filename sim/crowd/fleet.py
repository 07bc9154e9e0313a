"""Shuttle fleet size: the fewest buses that run a line's simulated departures.

The network simulation dispatches each line's two directions by their own rule (a load waiting, or the
longest headway) and does not limit the buses. This module sizes the fleet that operates those
departures: a bus that arrives at a terminal can leave again ``layover_min`` later (alighting,
turning round, the driver's recovery), and an idle bus may run empty to the other end (a deadhead,
taking the ride time) where a departure has no bus. Without deadheads the minimum is the sum of the
terminals' maximal deficits (Salzborn, F.J.M. 1972, "Optimum bus scheduling", Transportation Science
6(2):137-148; Ceder, A. & Stern, H.I. 1981, "Deficit function bus scheduling with deadheading trip
insertions for fleet size reduction", Transportation Science 15(4):338-363)::

    d(k, t) = departures from k in [t_day, t] - arrivals at k (+ layover) in [t_day, t],
    N = sum_k max_t d(k, t)

With deadheads the minimum is the minimum chain cover of the trips (Dantzig, G.B. & Fulkerson, D.R.
1954, "Minimizing the number of tankers to meet a fixed schedule", Naval Research Logistics Quarterly
1(3):217-222): trip b can follow trip a when a's bus reaches b's terminal, directly or by a deadhead,
by b's departure. On a two-terminal line it is found by serving the departures in time order, each
by a bus idle at its terminal, else by one idle at the other end early enough to run over empty, else
by a new bus; of the buses idle at its terminal the one freed last leaves, so that those freed
earliest stay, the first able to run over empty (exchange arguments; the tests check the result
against the chain cover on random timetables). Buses start each service day where needed and go to
the depot overnight, so a line's fleet is its largest day's and the network's is the largest day's
sum over the lines (lines sharing buses at the hub could need fewer). The turnaround must be
positive: with zero rides (the hub at the spot) and no turnaround a bus would be back before it left.
"""
from __future__ import annotations

import bisect
import heapq
import math
from typing import Sequence

import numpy as np
import pandas as pd

from twin.errors import InputError

LAYOVER_MIN = 5.0  # assumed minimum turnaround at a terminal, min (a scenario sets shuttle.layover_min)
TIE_MIN = 1e-6  # a bus ready this close after a departure time serves it (times come rounded to ns)


def check_layover(layover_min: float) -> None:
    """A bus's turnaround must be a positive, finite number of minutes (one-line error otherwise)."""
    if not (layover_min > 0 and math.isfinite(layover_min)):
        raise InputError(f"shuttle layover_min {layover_min!r}: expected > 0 minutes (a bus's turnaround)")


def max_deficit(dep_min: Sequence[float], arr_min: Sequence[float]) -> int:
    """max over t of (departures <= t) - (arrivals <= t) at one terminal, from 0 (arrivals first at ties)."""
    t = np.concatenate([np.asarray(arr_min, float) - TIE_MIN, np.asarray(dep_min, float)])
    if t.size == 0:
        return 0
    step = np.concatenate([-np.ones(len(arr_min)), np.ones(len(dep_min))])
    o = np.lexsort((step, t))  # by time, arrivals (-1) before departures (+1)
    return int(max(0.0, np.cumsum(step[o]).max()))


def line_fleet(dep_min: Sequence[Sequence[float]], ride_min: Sequence[float], layover_min: float = LAYOVER_MIN,
               deadhead: bool = True) -> int:
    """Buses to run departures ``dep_min[k]`` from the line's two ends (k = 0 the hub, 1 the spot),
    rides ``ride_min[k]`` from end k to the other; ``deadhead``: idle buses may run over empty."""
    check_layover(layover_min)
    r = [float(ride_min[0]), float(ride_min[1])]
    if not deadhead:
        return sum(max_deficit(dep_min[k], np.asarray(dep_min[1 - k], float) + r[1 - k] + layover_min)
                   for k in (0, 1))
    ev = sorted((float(t), k) for k in (0, 1) for t in dep_min[k])
    coming: list[list[float]] = [[], []]  # per end, times buses become free there (heaps)
    idle: list[list[float]] = [[], []]  # per end, times the free buses became free (sorted)
    n = 0
    for t, k in ev:
        for e in (0, 1):  # buses that have arrived (and turned round) by t are idle
            while coming[e] and coming[e][0] <= t + TIE_MIN:
                bisect.insort(idle[e], heapq.heappop(coming[e]))
        if idle[k]:
            idle[k].pop()  # the latest freed: the earliest stay, the first able to run over empty
        elif idle[1 - k] and idle[1 - k][0] + r[1 - k] <= t + TIE_MIN:
            idle[1 - k].pop(0)  # runs over empty in time
        else:
            n += 1
        heapq.heappush(coming[1 - k], t + r[k] + layover_min)
    return n


def service_days(t_min: np.ndarray, first_h: float, last_h: float) -> np.ndarray:
    """Service day of each departure (minutes from the first day's midnight): day d runs from
    d x 24 h + ``first_h`` to d x 24 h + ``last_h``, so the last departures (at ``last_h``, up to 24:00)
    stay with their day; a service round the clock is one period (the buses never go to the depot)."""
    if last_h - first_h >= 24.0 - 1e-9:
        return np.zeros(len(t_min), dtype=np.int64)
    return np.floor((np.asarray(t_min, float) - first_h * 60.0) / 1440.0 + 1e-9).astype(np.int64)


def fleet_size(runs: pd.DataFrame, ride_min: Sequence[Sequence[float]], spots: Sequence[str],
               layover_min: float = LAYOVER_MIN, first_h: float = 0.0, last_h: float = 24.0) -> dict[str, object]:
    """Buses needed to run the shuttle departures ``runs`` (time, spot, direction 'to_spot' / 'to_hub')
    of lines in service from ``first_h`` to ``last_h`` each day (:func:`service_days`).

    ``ride_min[i] = (hub -> spot i, spot i -> hub)`` minutes. Returns per line (spot -> buses, the
    largest day's) and ``total``, the largest day's sum over the lines (lines do not share buses), with
    empty runs allowed (``per_line``, ``total``) and without them (``..._no_deadhead``, the deficit
    function).
    """
    check_layover(layover_min)
    names = [str(s) for s in spots]
    per = {s: 0 for s in names}
    per_nd = dict(per)
    day_tot: dict[int, list[int]] = {}
    if not runs.empty:
        t0 = runs["time"].min().normalize()
        t = ((runs["time"] - t0) / pd.Timedelta("1min")).to_numpy(float)
        day = service_days(t, first_h, last_h)
        name = runs["spot"].astype(str).to_numpy()
        out = runs["direction"].to_numpy() == "to_spot"
        for i, s in enumerate(names):
            for dd in np.unique(day[name == s]):
                m = (name == s) & (day == dd)
                deps = [t[m & out], t[m & ~out]]
                n, n_nd = (line_fleet(deps, ride_min[i], layover_min, deadhead=dh) for dh in (True, False))
                per[s], per_nd[s] = max(per[s], n), max(per_nd[s], n_nd)
                tot = day_tot.setdefault(int(dd), [0, 0])
                tot[0] += n
                tot[1] += n_nd
    return {"per_line": per, "total": max((v[0] for v in day_tot.values()), default=0),
            "per_line_no_deadhead": per_nd, "total_no_deadhead": max((v[1] for v in day_tot.values()), default=0)}
