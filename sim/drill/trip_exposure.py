"""How long a drive spends in a hazard: the peak and the time at or above a level of a hazard
layer (toxic concentration, flood depth) on the edges of a :class:`sim.drill.network.Trip` while
it is on them, as :class:`sim.drill.network.RoadState` holds the layers. A mixin of
``RoadState`` (it reads the state's layers, ``_layers``, and edge ids, ``_eid``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np

if TYPE_CHECKING:
    from sim.drill.network import Trip


class TripExposure:
    """Hazard exposure of trips on the road state's layers (mixin of ``RoadState``)."""

    def _edge_peaks(self, trip: "Trip", kind: str) -> Iterable[tuple[float, float, float]]:
        """(arrival at its start node, exit, largest ``kind`` value meanwhile) per edge of ``trip``:
        the frames holding at some time in [arrival, exit), the worse of each interval's two
        frames, as the routing sees them. A wait at the start node (a queue at the link's entry,
        or no open route) counts with the edge, where the queue stands. Nothing when no layer of
        that kind exists."""
        layers = [L for L in self._layers if L.kind == kind]
        t_node = float(trip.times_s[1]) if len(trip.times_s) > 1 else trip.t_depart_s
        for u, v, k, t_in, t1 in trip.edges if layers else ():
            e = self._eid[(u, v, k)]
            t0 = min(t_node, t_in)
            peak = 0.0
            for L in layers:
                k1 = int(np.searchsorted(L.times_s, t1, side="left")) - 1  # frames starting before the exit
                if k1 < 0:
                    continue
                k0 = max(int(np.searchsorted(L.times_s, t0, side="right")) - 1, 0)
                peak = max(peak, float(L.value[k0:k1 + 1, e].max()))
            yield t0, t1, peak
            t_node = t1

    def peak_on_trip(self, trip: "Trip", kind: str = "toxic") -> float:
        """Largest value of the ``kind`` layers (e.g. toxic concentration, the frames' units) on
        the edges of ``trip`` while it is on them, waits before them included (:meth:`_edge_peaks`).
        The access legs are not edges and add nothing. 0 when no layer applies."""
        return max((p for _, _, p in self._edge_peaks(trip, kind)), default=0.0)

    def time_at_or_above_on_trip(self, trip: "Trip", threshold: float, kind: str = "toxic") -> float:
        """Seconds ``trip`` spends on edges (waits before them included, :meth:`_edge_peaks`)
        while their ``kind`` value is at or above ``threshold``: per edge, the overlap of its
        window with the frame intervals at that level (the worse of each interval's two frames,
        as the routing sees them); of several layers of that kind, the one with the longest
        overlap (they are the same cloud in the drills)."""
        layers = [L for L in self._layers if L.kind == kind]
        total = 0.0
        for (u, v, k, _, _), (t0, t1, peak) in zip(trip.edges, self._edge_peaks(trip, kind)):
            if peak < threshold:
                continue
            e = self._eid[(u, v, k)]
            best = 0.0
            for L in layers:
                starts = L.times_s
                ends = np.append(starts[1:], np.inf)
                hit = L.value[:, e] >= threshold
                best = max(best, float(np.sum(np.clip(np.minimum(ends[hit], t1) - np.maximum(starts[hit], t0), 0.0,
                                                      None))))
            total += best
        return total
