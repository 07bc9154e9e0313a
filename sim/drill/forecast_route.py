"""Forecast routing on the drill's road state: the earliest arrival knowing every future state,
the lower bound for the adaptive trips of :meth:`sim.drill.network.RoadState.route`."""
from __future__ import annotations

import heapq

import numpy as np

from sim.drill.network import RoadState
from sim.drill.trips import Trip, TripLog
from twin.errors import InputError


def time_dependent_fastest(state: RoadState, src_xy: np.ndarray, dst_xy: np.ndarray, t0: float, *,
                           protected: bool = False, speed_factor: float = 1.0) -> Trip:
    """Earliest-arrival ("forecast") route knowing every future state.

    Time-dependent Dijkstra (label setting on arrival time) where a vehicle may wait at a
    node: leaving edge e from node a at time t costs ``min over t' >= t of t' + w_e(t')`` with
    ``w_e`` the edge time of the state at entry, piecewise constant, so t' is t or a later
    change time. Waiting makes the arrival function non-decreasing (FIFO), which keeps label
    setting exact (Orda & Rom 1990, J. ACM 37(3), 607-625). Same edge model as
    :meth:`RoadState.route`, so its arrival is a lower bound for the adaptive trip."""
    st = state
    log = TripLog(st, src_xy, dst_xy, t0, speed_factor)
    if len(log.target_nodes) > 1:
        raise InputError(f"dst_xy of {len(np.asarray(dst_xy).reshape(-1, 2))} points: expected one destination")
    ct = st._ct
    S = st._P if protected else st._U
    s, d, t_s = log.s, log.d, log.t_start
    n = len(st.nodes)
    arr = np.full(n, np.inf)
    parent: list[tuple[int, int, float] | None] = [None] * n
    arr[s] = t_s
    done = np.zeros(n, bool)
    heap = [(t_s, int(s))]
    while heap:
        ta, a = heapq.heappop(heap)
        if done[a]:
            continue
        done[a] = True
        if a == d:
            break
        j0 = int(np.searchsorted(ct, ta, side="right"))
        for e in st._out[a]:
            b = int(st._eb[e])
            if done[b]:
                continue
            best, dep_best = arr[b], None
            j, dep = j0, ta
            while dep < best:
                f = S[j][e]
                if f > 0.0:
                    cand = float(dep + st.tt_s[e] / f / speed_factor)
                    if cand < best:
                        best, dep_best = cand, dep
                j += 1
                if j > len(ct):
                    break
                dep = float(ct[j - 1])
            if dep_best is not None:
                arr[b] = best
                parent[b] = (a, e, dep_best)
                heapq.heappush(heap, (best, b))
    if not np.isfinite(arr[d]):
        return log.trip(None, [(t_s, f"no route from node {st.nodes[s]} to node {st.nodes[d]} at any time")], [])
    chain: list[tuple[int, int, float]] = []
    b = int(d)
    while parent[b] is not None:
        a, e, dep = parent[b]  # type: ignore[misc]
        chain.append((a, e, dep))
        b = a
    chain.reverse()
    waits: list[tuple[float, float, str]] = []
    t = t_s
    for a, e, dep in chain:
        if dep > arr[a]:
            waits.append((float(arr[a]), dep, f"waiting for edge {st.edge_label(e)} (forecast)"))
            log.wait(a, dep)
        t = log.drive(e, dep, S[int(np.searchsorted(ct, dep, side="right"))][e])
    return log.trip(t, [], waits)
