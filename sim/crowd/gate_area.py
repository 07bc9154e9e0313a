"""Gate areas of scenic spots for the pedestrian micro-simulation: the walkable polygon, its entry
line, turnstile gates, check zones and exits, built from a template round the spot's entrance (cut
around the twin's buildings and water) or from a polygon given in the scenario. Used by
:mod:`sim.crowd.gate`, which runs them.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
import shapely.validation
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from sim.crowd import peds as P
from twin.errors import InputError

BOUNDARY_TOL_M = 0.05  # a gate given in the scenario must lie within this of the polygon boundary
# Exit pocket added beyond each gate of a polygon area; people leave from its last 0.5 m, so
# the 1.5 m before it exceed a chunk's walk at the fastest desired speed (2.2 m/s x CHUNK_S):
# every leaver is recorded once beyond the gate line and its crossing is seen
EXIT_POCKET_M = 2.0
CHECK_ZONE_MIN_M = 1.2  # check zones at least this long, > v0_max * CHUNK_S, so nobody slips through
# With an automatic entrance blocked by buildings, try places this far along the spot's boundary
# (either way, in steps of ENTRANCE_SLIDE_STEP_M), the nearest first
ENTRANCE_SLIDE_MAX_M = 60.0
ENTRANCE_SLIDE_STEP_M = 1.0
# Buildings and water are cut out grown by this much, so that floating-point slivers of the
# overlay leave no walkable area inside them (1 cm: nothing a pedestrian notices)
OBSTACLE_GAP_M = 0.01
# The space right in front of the row of lanes, as wide as the row and this deep, must be clear
# of buildings and water: that is where the lane queues stand (5 m: about 10 persons per lane at
# Fruin's 0.5 m queue spacing)
QUEUE_CLEAR_M = 5.0
CARDINALS = {"east": (1.0, 0.0), "north": (0.0, 1.0), "west": (-1.0, 0.0), "south": (0.0, -1.0)}


# ---------------------------------------------------------------- geometry
@dataclass
class GateArea:
    """Walkable area (city CRS), where people arrive, where they leave and the counted gates.

    ``gates`` are line segments across the openings (lanes, or a polygon's gates), counted by
    crossing; ``check_zones``: one polygon per gate where the check happens (template only).
    A path walked both ways also has ``entry_back`` (where people bound the other way arrive)
    and ``exits_back`` (where they leave); ``gate_dest[k]`` says whose passage gate k counts:
    0 those from ``entry``, 1 those from ``entry_back``. ``pockets``: the exit pockets added
    outside the drawn shape (nobody starts in one).
    """

    spot: str
    walkable: Polygon
    entry: LineString
    exits: list[BaseGeometry]
    gates: list[LineString]
    gate_names: list[str]
    check_zones: list[Polygon] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    entry_back: LineString | None = None
    exits_back: list[BaseGeometry] = field(default_factory=list)
    gate_dest: list[int] | None = None
    pockets: list[Polygon] = field(default_factory=list)

    @property
    def two_way(self) -> bool:
        return self.entry_back is not None

    def destination_of_gate(self, k: int) -> int:
        return 0 if self.gate_dest is None else int(self.gate_dest[k])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self.walkable.bounds)  # type: ignore[return-value]


def spot_entrance(city: Any, spot: str, *, key: str = "gate.spot") -> tuple[str, Point, np.ndarray]:
    """(spot name, entrance point, inward unit vector) of a scenic spot.

    The entrance is the point of the spot's boundary nearest to the road node the scenic
    network uses for the spot (nearest to its representative point); the inward direction is
    the compass direction (E/N/W/S) that enters the polygon there, the one best aligned with
    the way from that node (or, when the node lies inside the spot, with the way to the spot's
    centre).
    """
    from twin.places import place_named
    from twin.routing import nearest_nodes

    row = place_named(city.places, spot, key=key, kind="scenic_spot")
    poly = row.geometry
    rp = poly.representative_point()
    g = city.roads
    node = nearest_nodes(g, [rp.x], [rp.y])[0]
    npt = Point(g.nodes[node]["x"], g.nodes[node]["y"])
    e = shapely.ops.nearest_points(poly.exterior, npt)[0]
    ref = (np.array([e.x - npt.x, e.y - npt.y]) if not poly.contains(npt)
           else np.array([poly.centroid.x - e.x, poly.centroid.y - e.y]))
    return str(row["name"]), e, _inward(poly, e, ref)


def _inward(poly: Polygon, e: Point, ref: np.ndarray) -> np.ndarray:
    """The compass direction c with e + 3c inside and e - 3c outside ``poly``, best aligned with ref."""
    best, score = None, -np.inf
    for c in CARDINALS.values():
        cv = np.array(c)
        ok = poly.contains(Point(e.x + 3 * cv[0], e.y + 3 * cv[1])) and \
            not poly.contains(Point(e.x - 3 * cv[0], e.y - 3 * cv[1]))
        s = float(cv @ ref) + (1e6 if ok else 0.0)
        if s > score:
            best, score = cv, s
    return best


def obstacles_near(city: Any, region: BaseGeometry) -> tuple[BaseGeometry, int]:
    """Union of what nobody walks through near ``region``: the twin's buildings (footprints) and
    water (``reservoir`` places given as polygons; the city model has no other water layer),
    with the number of buildings among them."""
    parts: list[BaseGeometry] = []
    nb = 0
    b = city.buildings
    if len(b):
        hit = b.geometry.values[b.sindex.query(region, predicate="intersects")]
        parts.extend(hit)
        nb = len(hit)
    pl = city.places
    if len(pl):
        water = pl[(pl["kind"] == "reservoir") & pl.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        parts.extend(g for g in water.geometry if g.intersects(region))
    return (shapely.union_all(parts) if parts else Polygon()), nb


def _overlap(city: Any, region: BaseGeometry) -> tuple[float, int, BaseGeometry]:
    """(m2 of ``region`` on buildings or water, buildings among them, their union) (:func:`obstacles_near`)."""
    obst, nb = obstacles_near(city, region)
    return (float(region.intersection(obst).area) if not obst.is_empty else 0.0), nb, obst


def _carve(walk: Polygon, lane_boxes: list[Polygon], queue_box: Polygon, gates: list[LineString],
           exit_box: Polygon, entry: LineString, d: np.ndarray, obstacles: BaseGeometry,
           clear_m: float) -> tuple[Polygon | None, str]:
    """The walkable area less the obstacles, if the lanes and the queueing space in front of
    them (``queue_box``) are clear and a person of radius ``clear_m`` can still walk from the
    entry line through every lane to the exit; else None and why not."""
    if obstacles.is_empty or not walk.intersects(obstacles):
        return walk, ""
    blocked = [k + 1 for k, lb in enumerate(lane_boxes) if lb.intersects(obstacles)]
    if blocked:
        return None, f"lane(s) {', '.join(map(str, blocked[:5]))} inside a building or water"
    if queue_box.intersects(obstacles):
        return None, f"a building or water within {QUEUE_CLEAR_M:g} m in front of the lanes"
    rest = walk.difference(obstacles.buffer(OBSTACLE_GAP_M, quad_segs=2))
    pieces = list(rest.geoms) if hasattr(rest, "geoms") else [rest]
    mids = [g.interpolate(0.5, normalized=True) for g in gates]
    main = [q for q in pieces if isinstance(q, Polygon) and q.buffer(1e-9).contains(mids[0])]
    if not main:
        return None, "the gate row is cut off"
    core = main[0].buffer(-clear_m)  # where a body's centre fits
    comps = list(core.geoms) if hasattr(core, "geoms") else [core]
    comp = [c for c in comps if c.distance(mids[0]) < 1e-6]
    if not comp or any(comp[0].distance(m) > 1e-6 for m in mids[1:]):
        return None, "the lanes are not reached from one plaza"
    c = comp[0]
    slots = shapely.affinity.translate(entry, *((clear_m + 0.1) * d))  # where arrivals are placed
    if c.intersection(slots).length < 2 * clear_m + 0.1:
        return None, "the entry line is cut off from the gates"
    if c.intersection(exit_box).area <= 0.0:
        return None, "the exit path is cut off from the gates"
    return main[0], ""


def template_area(city: Any, spot: str, *, lanes: int, lane_width_m: float = 0.6,
                  post_width_m: float = 0.3, lane_length_m: float = 1.2,
                  plaza_width_m: float | None = None, plaza_depth_m: float = 20.0,
                  exit_width_m: float | None = None, exit_length_m: float = 12.0,
                  approach_from: str = "auto", entrance_xy: Sequence[float] | None = None,
                  key: str = "gate") -> GateArea:
    """The built-in gate area at a spot's entrance (:func:`spot_entrance`).

    In the frame (u along the walking direction, v to its left) with the gate row's upstream
    face at u = 0 on the entrance: plaza u in [-plaza_depth, 0] x v in [-W/2, W/2]; ``lanes``
    lanes of ``lane_width_m`` between posts of ``post_width_m`` (and at both ends), u in
    [0, lane_length]; exit path u in [lane_length, lane_length + exit_length] of
    ``exit_width_m``; people leave through its last metre. ``approach_from`` (north/east/
    south/west, or auto) is the side the plaza lies on; ``entrance_xy`` moves the gate.

    The twin's buildings and water (:func:`obstacles_near`) are cut out of the area. The lanes
    and ``QUEUE_CLEAR_M`` in front of them must be clear of them, and a person (calibrated
    radius) must still get from the entry line through every lane to the exit. With the
    entrance left automatic it slides along the spot's boundary, up to ``ENTRANCE_SLIDE_MAX_M``
    either way, to the nearest place where that holds (``meta['entrance_shift_m']``); otherwise
    :class:`InputError` names the spot, the overlap and the keys that move or resize the area.
    """
    name, e, d = spot_entrance(city, spot, key=f"{key}.spot")
    auto_entrance = entrance_xy is None
    if approach_from != "auto":
        if approach_from not in CARDINALS:
            raise InputError(f"{key}.approach_from {approach_from!r}: expected auto, {', '.join(CARDINALS)}")
        d = -np.array(CARDINALS[approach_from])
    if entrance_xy is not None:
        try:
            ex, ey = (float(v) for v in entrance_xy)
        except (TypeError, ValueError):
            raise InputError(f"{key}.entrance_xy {entrance_xy!r}: expected [x, y] in the city CRS") from None
        e = Point(ex, ey)
    if not (isinstance(lanes, (int, np.integer)) and 1 <= lanes <= 60):
        raise InputError(f"{key}.lanes {lanes!r}: expected an integer 1 .. 60")
    for k, v, lo, hi in (("lane_width_m", lane_width_m, 0.4, 10.0), ("post_width_m", post_width_m, 0.05, 5.0),
                         ("lane_length_m", lane_length_m, 0.2, 20.0), ("plaza_depth_m", plaza_depth_m, 3.0, 200.0),
                         ("exit_length_m", exit_length_m, 3.0, 200.0)):
        if not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(f"{key}.{k} {v!r}: expected {lo:g} .. {hi:g} m")
    row_w = lanes * lane_width_m + (lanes + 1) * post_width_m
    pw = max(20.0, row_w + 4.0) if plaza_width_m is None else float(plaza_width_m)
    xw = max(6.0, row_w + 1.0) if exit_width_m is None else float(exit_width_m)
    if not (row_w <= pw <= 400.0):
        raise InputError(f"{key}.plaza_width_m {pw!r}: expected {row_w:.2f} (the row of lanes) .. 400 m")
    if not (1.0 <= xw <= 400.0):
        raise InputError(f"{key}.exit_width_m {xw!r}: expected 1 .. 400 m")
    L, Le = lane_length_m, exit_length_m
    zl = max(L, CHECK_ZONE_MIN_M)
    clear_m = P.CALIBRATED.radius_m

    def build(e: Point, d: np.ndarray) -> tuple:
        n = np.array([-d[1], d[0]])
        o = np.array([e.x, e.y])

        def world(u0: float, u1: float, v0: float, v1: float) -> Polygon:
            return Polygon([o + u * d + v * n for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1))])

        def seg(u0: float, v0: float, u1: float, v1: float) -> LineString:
            return LineString([o + u0 * d + v0 * n, o + u1 * d + v1 * n])

        plaza = world(-plaza_depth_m, 0.0, -pw / 2, pw / 2)
        lane_boxes, gates, zones = [], [], []
        for k in range(lanes):
            v0 = -row_w / 2 + post_width_m + k * (lane_width_m + post_width_m)
            lane_boxes.append(world(0.0, L, v0, v0 + lane_width_m))
            gates.append(seg(L / 2, v0, L / 2, v0 + lane_width_m))
            zones.append(world(L - zl, L, v0, v0 + lane_width_m))
        path = world(L, L + Le, -xw / 2, xw / 2)
        walk = shapely.union_all([plaza, *lane_boxes, path]).buffer(0)
        walk = shapely.set_precision(walk, 1e-6)
        if not isinstance(walk, Polygon):
            raise InputError(f"{key}: the template did not give one connected area; check lane and exit sizes")
        exit_box = world(L + Le - 1.0, L + Le, -xw / 2, xw / 2)
        entry = seg(-plaza_depth_m, -pw / 2, -plaza_depth_m, pw / 2)
        queue_box = world(-min(QUEUE_CLEAR_M, plaza_depth_m), 0.0, -row_w / 2, row_w / 2)
        return walk, lane_boxes, queue_box, gates, zones, exit_box, entry, plaza

    def attempt(e: Point, d: np.ndarray) -> tuple:
        walk, lane_boxes, queue_box, gates, zones, exit_box, entry, plaza = build(e, d)
        cut, nb, obst = _overlap(city, walk)
        carved, why = _carve(walk, lane_boxes, queue_box, gates, exit_box, entry, d, obst, clear_m)
        return carved, why, cut, nb, walk, gates, zones, exit_box, entry, plaza

    res = first = attempt(e, d)
    shift = 0.0
    if res[0] is None and auto_entrance:
        from twin.places import place_named

        poly = place_named(city.places, spot, key=f"{key}.spot", kind="scenic_spot").geometry
        ring = poly.exterior
        s0 = ring.project(e)
        n_steps = int(ENTRANCE_SLIDE_MAX_M / ENTRANCE_SLIDE_STEP_M)
        steps = [sgn * k * ENTRANCE_SLIDE_STEP_M for k in range(1, n_steps + 1) for sgn in (1.0, -1.0)]
        for ds in steps:
            e2 = ring.interpolate((s0 + ds) % ring.length)
            d2 = d if approach_from != "auto" else _inward(poly, e2, d)
            r2 = attempt(e2, d2)
            if r2[0] is not None:
                res, e, d, shift = r2, e2, d2, ds
                break
    carved, why, cut, nb, walk, gates, zones, exit_box, entry, plaza = res
    if carved is None:
        where = first[8].interpolate(0.5, normalized=True)
        slid = (f"; no clear place within {ENTRANCE_SLIDE_MAX_M:g} m either way along its boundary"
                if auto_entrance else "")
        raise InputError(
            f"{key}: the gate area at {name!r} (entrance {e.x:.1f}, {e.y:.1f}; entry line at {where.x:.1f}, "
            f"{where.y:.1f}) overlaps {first[3]} building(s) or water by {first[2]:.1f} m2 of its {first[4].area:.1f} "
            f"m2 and {first[1]}{slid}; expected clear ground: move it with {key}.entrance_xy or "
            f"{key}.approach_from, resize it with {key}.plaza_width_m, {key}.plaza_depth_m, {key}.exit_length_m "
            f"or {key}.lanes, or give {key}.polygon")
    names = [f"lane {k + 1}" for k in range(len(gates))]
    return GateArea(spot=name, walkable=carved, entry=entry, exits=[exit_box], gates=gates, gate_names=names,
                    check_zones=zones,
                    meta={"template": True, "entrance_xy": [e.x, e.y], "inward": list(map(float, d)),
                          "row_width_m": row_w, "plaza_m2": plaza.area, "lane_width_m": lane_width_m,
                          "template_m2": round(float(walk.area), 2), "obstacles_cut_m2": round(cut, 2),
                          "buildings_cut": nb, "entrance_shift_m": shift})


def _points(xy: Any, what: str, min_points: int, note: str = "") -> np.ndarray:
    """(n, 2) float array of a scenario's [[x, y], ...], n >= ``min_points``, or a one-line error."""
    try:
        a = np.asarray(xy, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what}: expected a list of [x, y] points") from None
    if a.ndim != 2 or a.shape[1] != 2 or len(a) < min_points or not np.isfinite(a).all():
        raise InputError(f"{what} shape {a.shape}: expected >= {min_points} finite [x, y] points{note}")
    return a


def polygon_area(city: Any, spot: str, polygon_xy: Sequence[Sequence[float]],
                 gates_xy: Sequence[Sequence[Sequence[float]]], entry_xy: Sequence[Sequence[float]], *,
                 key: str = "gate", what: str = "polygon") -> GateArea:
    """A gate area given as a closed ring of (x, y) in the city CRS with its gates and entry
    as two-point segments on the ring (within ``BOUNDARY_TOL_M``); each gate opens into an
    exit pocket ``EXIT_POCKET_M`` deep outside the ring. ``what`` names the shape in the warning
    about the twin's buildings and water inside it."""
    from twin.places import place_named

    name = str(place_named(city.places, spot, key=f"{key}.spot", kind="scenic_spot")["name"])
    ring = _points(polygon_xy, f"{key}.polygon", 4, " (a closed ring)")
    if not np.allclose(ring[0], ring[-1], rtol=0.0, atol=1e-6):
        raise InputError(f"{key}.polygon: first point {ring[0].tolist()} != last {ring[-1].tolist()}; "
                         "expected a closed ring")
    poly = Polygon(ring)
    if not poly.is_valid or poly.area <= 0:
        raise InputError(f"{key}.polygon: expected a valid polygon ({shapely.validation.explain_validity(poly)})")
    bnd = poly.exterior

    def on_boundary(seg_xy: Any, what: str) -> LineString:
        try:
            s = np.asarray(seg_xy, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{what}: expected [[x0, y0], [x1, y1]]") from None
        if s.shape != (2, 2) or not np.isfinite(s).all() or np.allclose(s[0], s[1], rtol=0.0, atol=1e-6):
            raise InputError(f"{what} {np.asarray(seg_xy).tolist()}: expected [[x0, y0], [x1, y1]], "
                             "two distinct points")
        ln = LineString(s)
        dev = float(max(bnd.distance(Point(p)) for p in ln.interpolate(np.linspace(0, 1, 11), normalized=True)))
        if dev > BOUNDARY_TOL_M:
            raise InputError(f"{what} {s.tolist()}: expected a segment on the polygon boundary "
                             f"(it is {dev:.2f} m off; tolerance {BOUNDARY_TOL_M} m)")
        return ln

    if not gates_xy:
        raise InputError(f"{key}.gates: expected at least one gate segment")
    gates = [on_boundary(g, f"{key}.gates[{i}]") for i, g in enumerate(gates_xy)]
    entry = on_boundary(entry_xy, f"{key}.entry")
    if any(entry.distance(g) < 0.5 for g in gates):
        raise InputError(f"{key}.entry: expected the entry apart from every gate (>= 0.5 m)")
    # beyond each gate a pocket EXIT_POCKET_M deep, outside the polygon: people pass the gate
    # opening and leave from the pocket's outer half (an exit on the wall itself is out of reach
    # of bodies kept r from walls)
    pockets, exits = [], []
    for i, g in enumerate(gates):
        pk, ex = _exit_pocket(poly, g, f"{key}.gates[{i}]")
        pockets.append(pk)
        exits.append(ex)
    walk = shapely.set_precision(shapely.union_all([poly, *pockets]), 1e-6)
    if not isinstance(walk, Polygon):
        raise InputError(f"{key}.gates: expected gates on the outer ring of the polygon")
    cut, nb, _ = _overlap(city, walk)
    if cut > 0.01:  # the user's polygon is taken as drawn (the footprints may be out of date), but said
        warnings.warn(f"{key}.{what} overlaps {nb} building(s) or water of the twin by {cut:.1f} m2 of its "
                      f"{walk.area:.1f} m2; people are simulated walking there", stacklevel=2)
    return GateArea(spot=name, walkable=walk, entry=entry, exits=exits, gates=gates,
                    gate_names=[f"gate {i + 1}" for i in range(len(gates))],
                    meta={"template": False, "obstacles_overlap_m2": round(cut, 2)}, pockets=pockets)


def _exit_pocket(poly: Polygon, g: LineString, what: str) -> tuple[Polygon, Polygon]:
    """The pocket ``EXIT_POCKET_M`` deep outside ``poly`` beyond the opening ``g`` and its exit
    (the pocket's outer half: an exit on the wall itself is out of reach of bodies kept r from walls)."""
    a, b = np.array(g.coords[0]), np.array(g.coords[-1])
    t_hat = (b - a) / np.hypot(*(b - a))
    out = np.array([t_hat[1], -t_hat[0]])
    if poly.contains(Point(*((a + b) / 2 + 0.1 * out))):
        out = -out
    pk = Polygon([a, b, b + EXIT_POCKET_M * out, a + EXIT_POCKET_M * out])
    if pk.intersection(poly).area > 1e-6:
        raise InputError(f"{what} {np.round([a, b], 3).tolist()}: expected open ground outside the "
                         f"polygon for {EXIT_POCKET_M:g} m beyond the gate")
    x0 = EXIT_POCKET_M - 0.5
    return pk, Polygon([a + x0 * out, b + x0 * out, b + EXIT_POCKET_M * out, a + EXIT_POCKET_M * out])


PATH_WIDTH_RANGE_M = (0.8, 30.0)  # a walkable path: at least two persons abreast, at most a plaza


def path_area(city: Any, spot: str, centreline_xy: Sequence[Sequence[float]], width_m: float, *,
              key: str = "gate", two_way: bool = False) -> GateArea:
    """A narrow scenic path as a gate area: the centreline (x, y in the city CRS, walking direction
    from the first point to the last) buffered to ``width_m`` with flat ends (mitred bends); people
    arrive across the first end and leave across the last (the "path end" gate, an open passage).
    ``two_way``: others also arrive across the last end and leave across the first ("path start"),
    the counter-flow of a path walked both ways."""
    line = _points(centreline_xy, f"{key}.path", 2)
    keep = np.concatenate([[True], np.hypot(*np.diff(line, axis=0).T) > 1e-6])
    line = line[keep]  # repeated points dropped
    lo, hi = PATH_WIDTH_RANGE_M
    w = float(width_m)
    if not (lo <= w <= hi):
        raise InputError(f"{key}.path_width_m {width_m!r}: expected {lo:g}-{hi:g} m")
    if len(line) < 2:
        raise InputError(f"{key}.path: expected at least two distinct points")
    seg = np.diff(line, axis=0)
    seg_len = np.hypot(*seg.T)
    if seg_len[0] < w or seg_len[-1] < w:
        raise InputError(f"{key}.path: expected its first and last legs at least as long as its width ({w:g} m), "
                         "so that its ends are straight")
    u = seg / seg_len[:, None]
    cos_turn = np.einsum("ij,ij->i", u[:-1], u[1:])
    if (cos_turn < -0.5 + 1e-9).any():  # interior angle below 60 degrees
        k = int(np.argmax(cos_turn < -0.5 + 1e-9)) + 1
        raise InputError(f"{key}.path: the bend at point {k} {line[k].round(2).tolist()} is sharper than 60 degrees; "
                         "draw a switchback as two bends with a connecting leg at least the width long")
    legs = [LineString(line[i:i + 2]) for i in range(len(line) - 1)]
    for i in range(len(legs)):
        for j in range(i + 2, len(legs)):
            if legs[i].distance(legs[j]) < w - 1e-9:
                raise InputError(f"{key}.path: legs {i + 1} and {j + 1} come {legs[i].distance(legs[j]):.2f} m apart, "
                                 f"closer than the width {w:g} m; expected separate walls between them")
    cl = LineString(line)
    poly = cl.buffer(w / 2.0, cap_style="flat", join_style="mitre", mitre_limit=2.0)

    def end(p: np.ndarray, q: np.ndarray) -> list[list[float]]:
        """The flat end at p of the segment p -> q: p +/- half the width across it."""
        t = (q - p) / np.hypot(*(q - p))
        n = np.array([-t[1], t[0]]) * w / 2.0
        return [(p + n).tolist(), (p - n).tolist()]

    ring = np.asarray(poly.exterior.coords)
    area = polygon_area(city, spot, ring, [end(line[-1], line[-2])], end(line[0], line[1]), key=key, what="path")
    area.gate_names = ["path end"]
    area.meta.update({"path": True, "path_length_m": round(cl.length, 2), "path_width_m": w, "two_way": bool(two_way)})
    if two_way:  # the start is also an opening, with its own pocket, for those walking back
        pk, ex = _exit_pocket(poly, area.entry, f"{key}.path start")
        cut, nb, _ = _overlap(city, pk)
        if cut > 0.01:  # as polygon_area says of the rest of the path
            warnings.warn(f"{key}.path start: its exit pocket overlaps {nb} building(s) or water of the twin by "
                          f"{cut:.1f} m2; people are simulated walking there", stacklevel=2)
        area.meta["obstacles_overlap_m2"] = round(area.meta.get("obstacles_overlap_m2", 0.0) + cut, 2)
        area.walkable = shapely.set_precision(shapely.union_all([area.walkable, pk]), 1e-6)
        area.entry_back = area.gates[0]
        area.exits_back = [ex]
        area.gates = [area.gates[0], area.entry]
        area.gate_names = ["path end", "path start"]
        area.gate_dest = [0, 1]
        area.pockets = [*area.pockets, pk]
    return area
