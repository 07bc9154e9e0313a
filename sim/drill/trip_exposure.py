"""How long a drive spends in a hazard: the peak and the time at or above a level of a hazard
layer (toxic concentration, flood depth) on the edges of a :class:`sim.drill.trips.Trip` while
it is on them, as :class:`sim.drill.network.RoadState` holds the layers. A mixin of
``RoadState`` (it reads the state's layers, ``_layers``, and edge ids, ``_eid``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np

if TYPE_CHECKING:
    from sim.drill.trips import Trip


class TripExposure:
    """Hazard exposure of trips on the road state's layers (mixin of ``RoadState``)."""

    def _segments(self, trip: "Trip", kind: str) -> Iterable[tuple[int, float, float, float]]:
        """(edge id, from, to, largest ``kind`` value meanwhile) for each stretch of ``trip``: the
        time on each edge, and before it any wait at its start node (a queue at its entry, or no
        open route), counted on the edge the vehicle waits on, the one it came along (the queue
        stands on it), or on the first edge for a wait before it; a trip that ends unreachable
        waits at its last node on its last edge (one stuck at its first node has no edge and adds
        nothing). Values: the frames holding at some time in the stretch, the worse of each
        interval's two frames, as the routing sees them. Nothing when no layer of that kind exists."""
        layers = [L for L in self._layers if L.kind == kind]
        if not layers:
            return
        t_node = float(trip.times_s[1]) if len(trip.times_s) > 1 else trip.t_depart_s
        prev = None
        stretches: list[tuple[int, float, float]] = []
        for u, v, k, t_in, t1 in trip.edges:
            e = self._eid[(u, v, k)]
            if t_in > t_node:
                stretches += [(e if prev is None else prev, t_node, t_in), (e, t_in, t1)]
            else:
                stretches.append((e, min(t_node, t_in), t1))
            t_node, prev = t1, e
        if not trip.reachable and prev is not None and float(trip.times_s[-1]) > t_node:
            stretches.append((prev, t_node, float(trip.times_s[-1])))
        for e, a, b in stretches:
            peak = 0.0
            for L in layers:
                k1 = int(np.searchsorted(L.times_s, b, side="left")) - 1  # frames starting before the end
                if k1 < 0:
                    continue
                k0 = max(int(np.searchsorted(L.times_s, a, side="right")) - 1, 0)
                peak = max(peak, float(L.value[k0:k1 + 1, e].max()))
            yield e, a, b, peak

    def peak_on_trip(self, trip: "Trip", kind: str = "toxic") -> float:
        """Largest value of the ``kind`` layers (e.g. toxic concentration, the frames' units) on
        the edges of ``trip`` while it is on them, waits included (:meth:`_segments`). The access
        legs are not edges and add nothing. 0 when no layer applies."""
        return max((p for _, _, _, p in self._segments(trip, kind)), default=0.0)

    def time_at_or_above_on_trip(self, trip: "Trip", threshold: float, kind: str = "toxic") -> float:
        """Seconds ``trip`` spends on edges (waits included, :meth:`_segments`) while their ``kind``
        value is at or above ``threshold``: per stretch, the overlap of its window with the frame
        intervals at that level on its edge (the worse of each interval's two frames, as the
        routing sees them); of several layers of that kind, the one with the longest overlap
        (they are the same cloud in the drills)."""
        layers = [L for L in self._layers if L.kind == kind]
        total = 0.0
        for e, t0, t1, peak in self._segments(trip, kind):
            if peak < threshold:
                continue
            best = 0.0
            for L in layers:
                starts = L.times_s
                ends = np.append(starts[1:], np.inf)
                hit = L.value[:, e] >= threshold
                best = max(best, float(np.sum(np.clip(np.minimum(ends[hit], t1) - np.maximum(starts[hit], t0), 0.0,
                                                      None))))
            total += best
        return total
