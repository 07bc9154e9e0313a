"""Time-dependent road state and routing for emergency drills.

The drill clock (seconds) carries a set of restrictions on the road graph: timed closures
(landslides, incident lane closures, manual blocks), flood depth frames and hazard zones
(toxic concentration frames), added by :mod:`sim.drill.road_hazards`. Their combination is
piecewise constant in time: it only
changes at :meth:`RoadState.change_times`, so everything derived from one state (edge
factors, the sparse graph Dijkstra runs on, shortest-path trees) is cached per state
interval.

Per edge and time the state is one *factor*: 1 free, 0 closed, 0 < f < 1 slowed (the edge
takes ``travel_time_s / f``). Several restrictions on one edge combine by the minimum (the
most restrictive governs). Restrictions marked ``avoidable_by_protected`` (toxic zones) do
not apply to protected resources (hazmat teams in protective equipment). *Avoided* zones
(:meth:`RoadState.add_zone` with ``avoid=True``, e.g. the toxic zone where people are at risk
but roads stay open) change no edge's time: a route asked to avoid them (``avoid_penalty``)
counts each second driven inside one as ``avoid_penalty`` seconds, a generalised cost, so it
goes round a zone when the detour costs less than ``avoid_penalty - 1`` times the time inside.

Routing is adaptive (:meth:`RoadState.route`): a vehicle plans on the state it knows, drives,
re-plans when the state changes and never enters a closed edge; it waits at a node when no
route exists. :func:`sim.drill.forecast_route.time_dependent_fastest` is the forecast
counterpart: earliest arrival knowing all future states (time-dependent Dijkstra with waiting
at nodes, which makes the arrival function FIFO; Orda & Rom 1990, J. ACM 37(3), 607-625).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generator, Iterable, Protocol

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sim.drill.road_hazards import KINDS, Closure, HazardInput, _Layer
from sim.drill.trip_exposure import TripExposure
from sim.drill.trips import ACCESS_SPEED_M_S, Trip, TripLog
from sim.flood.impacts import EdgeSampler
from twin.errors import InputError
from twin.routing import routable


class RouteCosts(Protocol):
    """What a driver knows beyond the road state (:meth:`RoadState.drive`'s ``costs``), e.g. the
    queues at link entries (:class:`sim.drill.evac_traffic.EvacueeCosts`)."""

    def weights(self, st: "RoadState", cur: int, j: int, t: float, protected: bool, avoid_penalty: float,
                speed_factor: float) -> np.ndarray | None:
        """Edge costs (E,) in s for a plan from node ``cur`` at t on state j, or None for the
        state's own (:meth:`RoadState._weights`)."""


@dataclass(frozen=True)
class PlanAgain:
    """Sent to :meth:`RoadState.drive` instead of an entry time: the vehicle is at its node at the
    time yielded and wants a new plan from there (e.g. it finds a long queue), for ``reason``;
    with ``dst_xy`` (k, 2) to new destination points (it is sent elsewhere on its way)."""

    reason: str
    dst_xy: Any = None


@dataclass
class _Net:
    """One state as a sparse graph: fastest parallel edge per node pair."""

    csr: sparse.csr_matrix
    csr_t: sparse.csr_matrix
    best_eid: np.ndarray  # (n_pairs,) edge id of the fastest open parallel edge (-1 when all closed)
    factor: np.ndarray  # (E,)


class RoadState(HazardInput, TripExposure):
    """Time-varying state of the road graph on the drill clock (seconds).

    ``g`` is a routable copy of the city's graph (``travel_time_s`` on every edge); the
    city's own graph is never modified."""

    def __init__(self, g: nx.MultiDiGraph):
        if g.number_of_nodes() == 0:
            raise InputError("road graph with 0 nodes: expected a non-empty nx.MultiDiGraph")
        self.g: nx.MultiDiGraph = routable(g)
        self.nodes: list[Any] = list(self.g.nodes)
        self._nid = {n: i for i, n in enumerate(self.nodes)}
        self.node_xy = np.array([(self.g.nodes[n]["x"], self.g.nodes[n]["y"]) for n in self.nodes], float)
        self._tree_xy = cKDTree(self.node_xy)
        self.edge_keys: list[tuple[Any, Any, Any]] = list(self.g.edges(keys=True))
        self._eid = {e: i for i, e in enumerate(self.edge_keys)}
        E = len(self.edge_keys)
        data = [self.g.edges[e] for e in self.edge_keys]
        self.tt_s = np.array([d["travel_time_s"] for d in data], float)
        self.length_m = np.array([d["length_m"] for d in data], float)
        self.speed_kph = np.array([d["speed_kph"] for d in data], float)
        self._names = [str(d.get("name") or "") for d in data]
        self._ea = np.array([self._nid[u] for u, _, _ in self.edge_keys], np.int64)
        self._eb = np.array([self._nid[v] for _, v, _ in self.edge_keys], np.int64)
        pairs: dict[tuple[int, int], int] = {}
        self._epair = np.array([pairs.setdefault((a, b), len(pairs)) for a, b in zip(self._ea, self._eb)], np.int64)
        self._pair = pairs
        self._pa = np.array([a for a, _ in pairs], np.int64)
        self._pb = np.array([b for _, b in pairs], np.int64)
        self._geom = [self._oriented(e, d) for e, d in zip(self.edge_keys, data)]
        self._out: list[list[int]] = [[] for _ in self.nodes]
        for i, a in enumerate(self._ea):
            self._out[a].append(i)
        self._closures: list[Closure] = []
        self._cl_eids: list[np.ndarray] = []
        self._layers: list[_Layer] = []
        self._samplers: dict[tuple, EdgeSampler] = {}
        self._E = E
        self._dirty = True
        self._reset_caches()

    # ------------------------------------------------------------------ evaluating the state
    def _reset_caches(self) -> None:
        self._nets: dict[tuple[int, bool, float], _Net] = {}  # (state, protected, avoid_penalty)
        # (state, protected, destination, avoid_penalty)
        self._trees: dict[tuple[int, bool, int, float], tuple[np.ndarray, np.ndarray]] = {}

    def _factors_at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unprotected, protected) factor arrays (m, E) at each of ``times``, and whether each
        edge lies in an avoided zone then (m, E)."""
        m = len(times)
        U = np.ones((m, self._E))
        P = np.ones((m, self._E))
        A = np.zeros((m, self._E), bool)
        for L in self._layers:
            k = np.searchsorted(L.times_s, times, side="right") - 1
            if L.avoid:
                A |= (k >= 0)[:, None] & (L.value[np.maximum(k, 0)] >= L.threshold)
                continue
            F = np.where((k >= 0)[:, None], L.factor[np.maximum(k, 0)], 1.0)
            np.minimum(U, F, out=U)
            if not L.avoidable:
                np.minimum(P, F, out=P)
        for c, eids in zip(self._closures, self._cl_eids):
            rows = np.flatnonzero((c.t_from_s <= times) & (times < c.t_to_s))
            if len(rows) == 0 or len(eids) == 0:
                continue
            ix = np.ix_(rows, eids)
            U[ix] = np.minimum(U[ix], c.speed_factor)
            if not c.avoidable_by_protected:
                P[ix] = np.minimum(P[ix], c.speed_factor)
        return U, P, A

    def _refresh(self) -> None:
        """Recompute the change times and the state of every interval after an ``add``."""
        if not self._dirty:
            return
        cand = [c.t_from_s for c in self._closures] + [c.t_to_s for c in self._closures]
        for L in self._layers:
            cand.extend(L.times_s.tolist())
        C = np.unique(np.asarray([x for x in cand if np.isfinite(x)], float))
        U, P, A = self._factors_at(np.concatenate([[-np.inf], C]))
        changed = np.any(U[1:] != U[:-1], axis=1) | np.any(P[1:] != P[:-1], axis=1) | np.any(A[1:] != A[:-1], axis=1)
        keep = np.concatenate([[True], changed])
        self._ct = C[changed]
        self._U, self._P, self._A = U[keep], P[keep], A[keep]  # row 0: before the first change time
        self._dirty = False
        self._reset_caches()

    def _interval(self, t: float) -> int:
        """Index of the state holding at t: 0 before the first change time, j after the j-th."""
        self._refresh()
        return int(np.searchsorted(self._ct, t, side="right"))

    def _state(self, j: int, protected: bool) -> np.ndarray:
        return (self._P if protected else self._U)[j]

    def _weights(self, j: int, protected: bool, avoid_penalty: float) -> np.ndarray:
        """Routing cost of every edge on state j: its time ``travel_time_s / factor`` (inf where
        closed), times ``avoid_penalty`` inside an avoided zone."""
        f = self._state(j, protected)
        with np.errstate(divide="ignore"):
            w = np.where(f > 0.0, self.tt_s / np.where(f > 0.0, f, 1.0), np.inf)
        if avoid_penalty != 1.0:
            w = np.where(self._A[j], w * avoid_penalty, w)
        return w

    def in_avoided_zone(self, t: float) -> np.ndarray:
        """Per edge (``edge_keys`` order): inside an avoided zone at t."""
        j = self._interval(t)
        return self._A[j].copy()

    @staticmethod
    def _frame_at(L: _Layer, t: float) -> int:
        """Index of layer L's frame interval holding at t (-1 before its first frame)."""
        return int(np.searchsorted(L.times_s, t, side="right")) - 1

    def _value_at(self, L: _Layer, e: int, t: float) -> float:
        """Layer L's value on edge e in the interval holding at t (0 before its first frame)."""
        k = self._frame_at(L, t)
        return float(L.value[k, e]) if k >= 0 else 0.0

    def change_times(self, t0: float = -math.inf, t1: float = math.inf) -> np.ndarray:
        """Sorted drill times in [t0, t1] at which any edge's state changes (protected or not, or
        whether it lies in an avoided zone)."""
        self._refresh()
        return self._ct[(self._ct >= t0) & (self._ct <= t1)].copy()

    def factors(self, t: float, protected: bool = False) -> np.ndarray:
        """Factor of every edge at t, in the order of ``edge_keys`` (1 free, 0 closed)."""
        return self._state(self._interval(t), protected).copy()

    def _edge(self, u: Any, v: Any, k: Any) -> int:
        try:
            return self._eid[(u, v, k)]
        except KeyError:
            raise InputError(f"edge ({u!r}, {v!r}, {k!r}): expected an edge (u, v, k) of the road graph") from None

    def edge_factor(self, u: Any, v: Any, k: Any, t: float, protected: bool = False) -> float:
        """1 free, 0 closed, else the slowdown factor of edge (u, v, k) at t."""
        return float(self._state(self._interval(t), protected)[self._edge(u, v, k)])

    def closed_edges(self, t: float, protected: bool = False) -> list[tuple[Any, Any, Any]]:
        """Edges (u, v, k) with factor 0 at t."""
        f = self._state(self._interval(t), protected)
        return [self.edge_keys[i] for i in np.flatnonzero(f <= 0.0)]

    def _reasons(self, e: int, t: float, protected: bool, closed_only: bool) -> list[str]:
        """Texts of the restrictions acting on edge e at t (only the closing ones if closed_only)."""
        out: list[str] = []
        for L in self._layers:
            if protected and L.avoidable:
                continue
            k = self._frame_at(L, t)
            if k < 0 or L.factor[k, e] >= 1.0 or (closed_only and L.factor[k, e] > 0.0):
                continue
            val = L.value[k, e]
            if L.kind == "flood":
                out.append(f"flood depth {val:.2f} m > {L.threshold:g} m" if L.factor[k, e] <= 0 else
                           f"flood depth {val:.2f} m: {L.factor[k, e] * self.speed_kph[e]:.0f} km/h")
            else:
                out.append(f"{L.label}: {val:.3g} >= {L.threshold:.3g}")
        for c, eids in zip(self._closures, self._cl_eids):
            if protected and c.avoidable_by_protected:
                continue
            if c.t_from_s <= t < c.t_to_s and c.speed_factor < 1.0 and (not closed_only or c.speed_factor <= 0.0) \
                    and np.any(eids == e):
                out.append(c.reason or c.kind)
        return out

    def why_closed(self, u: Any, v: Any, k: Any, t: float, protected: bool = False) -> str:
        """Why edge (u, v, k) is closed at t ("; "-joined reasons), "" when it is open."""
        e = self._edge(u, v, k)
        if self._state(self._interval(t), protected)[e] > 0.0:
            return ""
        return "; ".join(self._reasons(e, t, protected, closed_only=True))

    def in_closed_zone(self, xy: np.ndarray, t: float) -> np.ndarray:
        """Per point: every link leaving its nearest node is closed at t, some of them to all but
        protected resources (inside a closed toxic zone): a vehicle that sets off there can only
        leave through the zone. A node with an open link is not inside, also in an enclave of open
        roads that the zone cuts off (below its level: people there shelter in place)."""
        n, _ = self._snap(xy)
        j = self._interval(t)
        shut = np.zeros(len(self.nodes), bool)
        shut[self._ea[(self._U[j] <= 0.0) & (self._P[j] > 0.0)]] = True
        shut[self._ea[self._U[j] > 0.0]] = False
        return shut[n]

    def edge_label(self, e: int) -> str:
        u, v, _ = self.edge_keys[e]
        return self._names[e] or f"{u}->{v}"

    # ------------------------------------------------------------------ graphs and trees per state
    def _net(self, j: int, protected: bool, avoid_penalty: float = 1.0) -> _Net:
        key = (j, bool(protected), float(avoid_penalty))
        net = self._nets.get(key)
        if net is None:
            csr, best = self._csr(self._weights(j, protected, avoid_penalty))
            net = _Net(csr, csr.T.tocsr(), best, self._state(j, protected))
            self._nets[key] = net
        return net

    def _csr(self, w: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
        """(node x node cost matrix of the cheapest parallel edge under edge costs ``w`` (inf:
        closed), its edge id per node pair (-1 where all are closed))."""
        order = np.lexsort((w, self._epair))
        _, first = np.unique(self._epair[order], return_index=True)
        best = order[first]
        wp = w[best]
        ok = np.isfinite(wp) & (self._pa != self._pb)
        n = len(self.nodes)
        csr = sparse.csr_matrix((wp[ok], (self._pa[ok], self._pb[ok])), shape=(n, n))
        return csr, np.where(np.isfinite(wp), best, -1)

    def _plan_on(self, a: int, d: np.ndarray, w: np.ndarray, end_cost: np.ndarray) -> tuple[float, list[int]] | None:
        """(cost, edge ids) of the cheapest route from node a to one of the nodes ``d`` under edge
        costs ``w`` (one Dijkstra from a, not cached), or None: to the one of least route cost
        plus its ``end_cost``, as through a super sink (Lu, George & Shekhar 2005, SSTD, LNCS
        3633, 291-307)."""
        csr, best = self._csr(w)
        dist, pred = dijkstra(csr, directed=True, indices=a, return_predecessors=True)
        ds = np.asarray(d, np.int64)
        tot = dist[ds] + end_cost
        i = int(np.argmin(tot))
        if not np.isfinite(tot[i]):
            return None
        path: list[int] = []
        b = int(ds[i])
        while b != a:
            p = int(pred[b])
            path.append(int(best[self._pair[(p, b)]]))
            b = p
        return float(tot[i]), path[::-1]

    def _tree(self, j: int, protected: bool, d: tuple[int, ...],
              avoid_penalty: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(cost to the nearest of the nodes ``d`` from every node, next node toward it, negative
        at them) on state j: one Dijkstra on the reversed graph (from all of them, ``min_only``,
        when several), cached per (state, protected, destinations, penalty)."""
        key = (j, bool(protected), d, float(avoid_penalty))
        tr = self._trees.get(key)
        if tr is None:
            if len(self._trees) > 4096:
                self._trees.clear()
            net = self._net(j, protected, avoid_penalty)
            if len(d) > 1:
                dist, pred, _ = dijkstra(net.csr_t, directed=True, indices=np.asarray(d, np.int64),
                                         return_predecessors=True, min_only=True)
            else:
                dist, pred = dijkstra(net.csr_t, directed=True, indices=d[0], return_predecessors=True)
            tr = (dist, pred)
            self._trees[key] = tr
        return tr

    def _plan(self, a: int, d: tuple[int, ...], j: int, protected: bool,
              avoid_penalty: float = 1.0) -> tuple[float, list[int]] | None:
        """(cost, edge ids) of the cheapest route from node a to the nearest of the nodes ``d``
        on state j (the fastest when ``avoid_penalty`` is 1), or None."""
        dist, nxt = self._tree(j, protected, d, avoid_penalty)
        if not np.isfinite(dist[a]):
            return None
        net = self._net(j, protected, avoid_penalty)
        cost = float(dist[a])
        path: list[int] = []
        while nxt[a] >= 0:  # (scipy marks the search's sources, the destinations, -9999)
            b = int(nxt[a])
            path.append(int(net.best_eid[self._pair[(a, b)]]))
            a = b
        return cost, path

    def _snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(nearest node index, straight distance to it in m) for each point."""
        p = np.asarray(xy, float).reshape(-1, 2)
        if not np.isfinite(p).all():
            raise InputError("point coordinates: expected finite x, y in the city CRS")
        dist, idx = self._tree_xy.query(p)
        return np.asarray(idx, np.int64), np.asarray(dist, float)

    # ------------------------------------------------------------------ queries
    def travel_times(self, src_xy: np.ndarray, dst_xy: np.ndarray, t: float, *, protected: np.ndarray | None = None,
                     speed_factor: np.ndarray | None = None, avoid_penalty: float = 1.0) -> np.ndarray:
        """(n_src, n_dst) travel times (s) on the state of time t, inf where unreachable; with
        ``avoid_penalty`` > 1 the costs of the routes :meth:`route` would take with it (a second
        in an avoided zone counting that many).

        Access to the nearest node at :data:`ACCESS_SPEED_M_S`, fastest route with edge time
        ``travel_time_s / factor`` (closed edges excluded), access from the nearest node;
        each row divided by the source's ``speed_factor``. (``sim.drill.matching.match``
        divides by resource speed factors itself: leave ``speed_factor`` None for it.)
        Dijkstra runs once per distinct node on the smaller side (reversed graph from the
        destinations when they are fewer)."""
        sn, sa = self._snap(src_xy)
        dn, da = self._snap(dst_xy)
        ns, nd = len(sn), len(dn)
        prot = np.zeros(ns, bool) if protected is None else np.asarray(protected, bool).reshape(-1)
        sf = np.ones(ns) if speed_factor is None else np.asarray(speed_factor, float).reshape(-1)
        if len(prot) != ns:
            raise InputError(f"protected of length {len(prot)}: expected one flag per source ({ns})")
        if len(sf) != ns or not np.all(sf > 0) or not np.isfinite(sf).all():
            raise InputError(f"speed_factor {sf.tolist()[:5]}: expected {ns} finite values > 0")
        out = np.full((ns, nd), np.inf)
        if ns == 0 or nd == 0:
            return out
        j = self._interval(t)
        for p in np.unique(prot):
            rows = np.flatnonzero(prot == p)
            net = self._net(j, bool(p), avoid_penalty)
            us, uinv = np.unique(sn[rows], return_inverse=True)
            ud, dinv = np.unique(dn, return_inverse=True)
            if len(ud) < len(us):
                D = dijkstra(net.csr_t, directed=True, indices=ud)  # (len(ud), N): node -> destination
                M = D[dinv][:, sn[rows]].T
            else:
                D = dijkstra(net.csr, directed=True, indices=us)
                M = D[uinv][:, dn]
            out[rows] = sa[rows, None] / ACCESS_SPEED_M_S + M + da[None, :] / ACCESS_SPEED_M_S
        return out / sf[:, None]

    def _next_change(self, t: float) -> float | None:
        self._refresh()
        i = int(np.searchsorted(self._ct, t, side="right"))
        return float(self._ct[i]) if i < len(self._ct) else None

    def route(self, src_xy: np.ndarray, dst_xy: np.ndarray, t0: float, *, protected: bool = False,
              speed_factor: float = 1.0, replan: bool = True, avoid_penalty: float = 1.0) -> Trip:
        """Drive from src to dst starting at t0, reacting to the state as it changes.

        Plan the fastest route on the state at t0 (with ``avoid_penalty`` > 1: the cheapest, a
        second inside an avoided zone costing that many seconds; the times driven are the same).
        At each node: if the state changed since the plan was made (``replan``), plan again on
        the current state (the old route is kept while it is still as cheap); always check the
        next edge when entering it and plan again if it is closed. An edge once entered is
        finished, at the speed of the state at entry. Where no route exists the vehicle waits at
        its node until the next change time; after the last change time the trip is unreachable
        and ends there. (:meth:`drive` with every edge entered as soon as the vehicle is there.)

        ``dst_xy`` may hold several points (k, 2), e.g. the road nodes outside a danger area: the
        trip goes to whichever is cheapest to reach (route cost plus its access leg; chosen again
        at every plan, as through a super sink)."""
        steps = self.drive(src_xy, dst_xy, t0, protected=protected, speed_factor=speed_factor, replan=replan,
                           avoid_penalty=avoid_penalty)
        try:
            _, t = next(steps)
            while True:
                _, t = steps.send(t)
        except StopIteration as stop:
            return stop.value

    def drive(self, src_xy: np.ndarray, dst_xy: np.ndarray, t0: float, *, protected: bool = False,
              speed_factor: float = 1.0, replan: bool = True, avoid_penalty: float = 1.0,
              costs: RouteCosts | None = None) -> Generator[tuple[int, float], "float | PlanAgain", Trip]:
        """:meth:`route` one edge at a time, for a caller that holds vehicles before links (a queue
        at a link's entry, :mod:`sim.drill.evac_traffic`): yields (edge id, time the vehicle is
        at its start node) and takes the time it enters the edge (not earlier), or a
        :class:`PlanAgain` to plan again from that node at that time (to new destination points
        where it carries them; logged in the trip's replans). An edge closed while the
        vehicle waited is not entered: the route is planned again from that node. With ``costs``
        every plan uses its edge costs. Returns the :class:`Trip` as driven. Nothing may be added
        to the state (``add``, ``add_flood``, ``add_zone``) while a drive is under way."""
        if not (math.isfinite(avoid_penalty) and avoid_penalty >= 1.0):
            raise InputError(f"avoid_penalty {avoid_penalty}: expected a finite factor >= 1")
        log = TripLog(self, src_xy, dst_xy, t0, speed_factor)
        t = log.t_start
        multi, to = self._targets_text(log)
        replans: list[tuple[float, str]] = []
        waits: list[tuple[float, float, str]] = []
        cur, plan, plan_j, reachable = int(log.s), None, -1, True
        asked: str | None = None  # a PlanAgain's reason
        guard = 0
        while plan is None or plan:  # until the plan is empty: at the destination (the one chosen, with several)
            guard += 1
            if guard > 100 * (self._E + len(self._ct) + 10):
                raise RuntimeError("route: no progress (internal error)")
            j = self._interval(t)
            f = self._state(j, protected)
            blocked = plan is not None and f[plan[0]] <= 0.0
            if plan is None or blocked or (replan and j != plan_j) or asked:
                w = None if costs is None else costs.weights(self, cur, j, t, protected, avoid_penalty, speed_factor)
                # each destination's last cost (its access leg) where it decides between several; the
                # costs of ``costs`` are times at the speed factor, the state's weights are not
                end_cost = log.target_costs(1.0 if w is None else speed_factor) if multi else np.zeros(1)
                if w is None and not end_cost.any():  # the cached tree (to the nearest of ways out at nodes)
                    new = self._plan(cur, log.target_key, j, protected, avoid_penalty)
                else:
                    new = self._plan_on(cur, log.target_nodes, self._weights(j, protected, avoid_penalty)
                                        if w is None else w, end_cost)
                if new is None:
                    tn = self._next_change(t)
                    why = f"no open route from node {self.nodes[cur]} to {to}"
                    if tn is None:
                        replans.append((t, why + " and no later change: unreachable"))
                        reachable = False
                        break
                    waits.append((t, tn, why))
                    log.wait(cur, tn)
                    t, plan = tn, None
                    continue
                cost_new, path_new = new
                if plan is not None:
                    w_old = self._weights(j, protected, avoid_penalty) if w is None else w
                    old_cost = float(np.sum(w_old[plan])) + float(end_cost[log._target_of[int(self._eb[plan[-1]])]])
                    if old_cost <= cost_new * (1 + 1e-12) + 1e-9:
                        path_new = plan  # still a cheapest route: keep it (no spurious replans on ties)
                    elif path_new != plan:
                        replans.append((t, asked or self._replan_reason(plan, plan_j, j, t, protected,
                                                                       avoid_penalty)))
                plan, plan_j, asked = path_new, j, None
                if not plan:
                    break  # at the destination chosen
            e = plan[0]
            t_in = yield e, t
            if isinstance(t_in, PlanAgain):
                asked = t_in.reason or "asked to plan again"
                if t_in.dst_xy is not None:
                    log.retarget(t_in.dst_xy)
                    multi, to = self._targets_text(log)
                    replans.append((t, asked))
                    plan = None  # (the old route may not reach the new destination)
                continue
            if t_in is not None and not math.isfinite(t_in):
                raise InputError(f"drive: entry time {t_in}: expected a finite drill time")
            if t_in is not None and t_in > t:
                if t_in - t > 1e-9:
                    log.wait(cur, float(t_in))
                t = float(t_in)
                f = self._state(self._interval(t), protected)
                if f[e] <= 0.0:
                    continue  # closed while it waited: plan again from here
            plan.pop(0)
            t = log.drive(e, t, f[e])
            cur = int(self._eb[e])
        if reachable:
            log.end_at(cur)
        return log.trip(t if reachable else None, replans, waits)

    def _targets_text(self, log: TripLog) -> tuple[bool, str]:
        """(several destination nodes?, their name for the log) of a trip."""
        if len(log.target_nodes) > 1:
            return True, f"any of {len(log.target_nodes)} destination nodes"
        return False, f"node {self.nodes[log.d]}"

    def _replan_reason(self, plan: list[int], j_old: int, j: int, t: float, protected: bool,
                       avoid_penalty: float = 1.0) -> str:
        """Log text for a changed plan: the first closed, slowed or newly avoided edge of the old route."""
        f_old, f = self._state(j_old, protected), self._state(j, protected)
        for e in plan:
            if f[e] <= 0.0:
                why = "; ".join(self._reasons(e, t, protected, closed_only=True))
                return f"edge {self.edge_label(e)} closed: {why}"
        for e in plan:
            if f[e] < f_old[e]:
                why = "; ".join(self._reasons(e, t, protected, closed_only=False))
                return f"edge {self.edge_label(e)} slowed to {f[e]:.2f} x free flow: {why}"
        if avoid_penalty != 1.0:
            for e in plan:
                if self._A[j, e] and not self._A[j_old, e]:
                    zones = [L.label for L in self._layers if L.avoid and self._value_at(L, e, t) >= L.threshold]
                    return f"edge {self.edge_label(e)} now in the {' / '.join(zones) or 'avoided zone'}"
        what = "cheaper" if avoid_penalty != 1.0 else "faster"
        return f"{what} route after the state change at {self._ct[j - 1]:.0f} s" if j > 0 else f"{what} route"

    def _oriented(self, e: tuple[Any, Any, Any], d: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(vertices from u to v, cumulative length fraction) of an edge's geometry."""
        u, v, _ = e
        pu = self.node_xy[self._nid[u]]
        pv = self.node_xy[self._nid[v]]
        geom = d.get("geometry")
        pts = np.asarray(geom.coords, float)[:, :2] if geom is not None and not geom.is_empty \
            else np.array([pu, pv])
        if np.hypot(*(pts[0] - pv)) < np.hypot(*(pts[0] - pu)):
            pts = pts[::-1].copy()
        seg = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        frac = cum / cum[-1] if cum[-1] > 0 else np.linspace(0.0, 1.0, len(pts))
        return pts, frac


def edges_of(state: RoadState, edges: Iterable[tuple[Any, Any, Any]]) -> tuple[tuple[Any, Any, Any], ...]:
    """The given edges plus their reverse twins (u, v) -> (v, u): a blocked road blocks both ways."""
    out = []
    for u, v, k in edges:
        out.append((u, v, k))
        if state.g.has_edge(v, u):
            out.extend((v, u, kk) for kk in state.g[v][u])
    return tuple(dict.fromkeys(out))


__all__ = ["ACCESS_SPEED_M_S", "KINDS", "Closure", "PlanAgain", "RoadState", "RouteCosts", "Trip", "edges_of"]
