"""Numba kernel of the evacuees' route costs (:class:`sim.drill.evac_traffic.EvacueeCosts`)."""
from __future__ import annotations

import heapq

import numpy as np
from numba import njit


@njit(cache=True)
def earliest_arrivals(out_ptr: np.ndarray, out_eid: np.ndarray, head: np.ndarray, time_s: np.ndarray,
                      free_at_s: np.ndarray, src: int, t0: float) -> np.ndarray:
    """Earliest arrival time (s) at every node leaving node ``src`` at ``t0``, where a vehicle at
    the start of edge e at t gets in at max(t, free_at_s[e]) (the queue ahead at its entry) and
    takes time_s[e] on it (inf: closed). Edges leaving node a are out_eid[out_ptr[a]:out_ptr[a+1]],
    edge e ends at head[e]. Getting in at max(t, free) is non-decreasing in t, so every edge's
    arrival function is FIFO and label setting on arrival time is exact (time-dependent Dijkstra;
    Orda & Rom 1990, J. ACM 37(3), 607-625). inf where unreachable."""
    n = len(out_ptr) - 1
    arr = np.full(n, np.inf)
    done = np.zeros(n, np.bool_)
    arr[src] = t0
    heap = [(t0, np.int64(src))]
    while len(heap) > 0:
        t, a = heapq.heappop(heap)
        if done[a]:
            continue
        done[a] = True
        for k in range(out_ptr[a], out_ptr[a + 1]):
            e = out_eid[k]
            te = time_s[e]
            if not np.isfinite(te):
                continue
            b = head[e]
            tb = max(t, free_at_s[e]) + te
            if tb < arr[b]:
                arr[b] = tb
                heapq.heappush(heap, (tb, np.int64(b)))
    return arr
