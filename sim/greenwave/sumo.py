"""The same corridor in Eclipse SUMO: network, signal programs and demand; a run's metrics; and
SUMO's own offset optimiser (``tools/tlsCoordinator.py``) as a reference plan.

The SUMO scenario is built to match :mod:`sim.greenwave.microsim` one-to-one:

* a straight plain-XML network (nodes, edges with explicit ``length`` so every link has the
  corridor's spacing, connections, traffic-light logics with our own link indices) compiled
  with ``netconvert --no-internal-links`` (junctions are points, as in ours);
* turn bays (:mod:`sim.greenwave.bays`) as pockets: a link with bays is cut where each bay
  starts (a plain priority node) into edges of ``nl``, ``nl + 1``, ... lanes, the bay being the
  lane added on the left (left turns) or on the right (right turns; the through lanes' indices
  shift by one) and fed from the neighbouring through lane only (what ``netconvert`` builds for
  an edge ``<split>`` that adds a lane); the left (right) turn leaves from its bay only, or
  without a bay from the leftmost (rightmost) through lane, as in ours;
* through traffic keeps its lane; side-street traffic turning right (left) onto the corridor
  uses the rightmost (leftmost) side lane into the rightmost (leftmost) corridor lane; every
  movement of a phase is a priority green ``G`` except a permitted left turn, a minor green
  ``g`` that yields to the oncoming traffic as ours does (``Params.permitted_left_gap_s`` > 0;
  SUMO's own gap rule, not our critical headway; with 0 it is a ``G`` and does not yield);
* the vehicles are *the same vehicles* as ours (:func:`sim.greenwave.microsim.make_demand`
  with the same seed: departure, route and speedFactor), inserted with ``departLane="free"``
  (a vehicle turning at the first signal: its turn lane, as in ours), ``departSpeed="max"``,
  ``departPos="base"``; the vType is SUMO's Krauss with the default passenger parameters and
  LC2013 lane changing with ``lcSpeedGain`` = ours (``Params.lc_speed_gain``, SUMO's default 1)
  and no keep-right obligation (``lcKeepRight=0``; ours has none): turning vehicles change lanes
  strategically and everyone changes for speed by the rule ours copies;
* a turning vehicle's route ends at the start of the side-street exit (``arrivalPos="0"``),
  whose speed limit is the turn speed, as ours leaves at the stop line.

Only the dawdling random numbers differ. Metrics come from ``--tripinfo-output`` (duration,
waitingCount = stops, timeLoss = delay); side-street delay/stops from the crossing side traffic
(its trip ends at the junction, so its timeLoss is the approach delay).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.greenwave import microsim as ms
from sim.greenwave.control import phase_min_greens_s
from sim.greenwave.plan import PHASE_MOVEMENTS, Corridor, Intersection, Plan, SignalTiming
from twin.errors import InputError

PROGRAM_ID = "gw"


def sumo_home() -> Path:
    """SUMO's installation folder (the ``eclipse-sumo`` wheel, else ``$SUMO_HOME``).

    Found without importing the wheel: importing ``sumo`` or ``libsumo`` points ``PROJ_LIB`` /
    ``PROJ_DATA`` at SUMO's own PROJ data for the whole process, which breaks pyproj.
    """
    spec = importlib.util.find_spec("sumo")
    if spec is not None and spec.origin:
        return Path(spec.origin).parent
    home = os.environ.get("SUMO_HOME")
    if not home:
        raise InputError("SUMO: not installed; expected the eclipse-sumo package or $SUMO_HOME")
    return Path(home)


@contextmanager
def _own_environment():
    """Undo what importing SUMO's Python packages does to the process environment."""
    keep = {k: os.environ.get(k) for k in ("PROJ_LIB", "PROJ_DATA", "SUMO_HOME")}
    try:
        yield
    finally:
        for k, v in keep.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _env() -> dict[str, str]:
    """Environment for SUMO's programs (they find their data through SUMO_HOME)."""
    return dict(os.environ, SUMO_HOME=str(sumo_home()))


def _libsumo():
    with _own_environment():
        import libsumo
    return libsumo


def available() -> bool:
    try:
        return (sumo_home() / "bin" / "sumo").exists()
    except InputError:
        return False


@dataclass
class SumoFiles:
    folder: Path
    net: Path
    routes: Path
    config: Path
    vehicles: Path  # CSV: our demand (vid, origin, direction, exit_m, left, speed_factor, t_s)
    duration_s: float
    warmup_s: float
    n_signals: int
    corridor: Corridor  # as simulated (its bays resolved by sim.greenwave.bays)
    control: str = "fixed"
    plan: Plan | None = None  # the plan written (max-pressure takes its phases from it)
    movements: dict | None = None  # per signal: the movement of each link index
    control_params: object = None


# ----------------------------------------------------------------------------- network
def _node(geo: ms.Geometry, d: int, m: int) -> str:
    """Node at travel-order junction m of direction d (m = -1 the entry, m = n the exit)."""
    n = geo.n
    if m < 0:
        return "start" if d == 0 else "end"
    if m >= n:
        return "end" if d == 0 else "start"
    return f"J{geo.jmap[d, m]}"


def _edge(d: int, k: int) -> str:
    return f"{'oi'[d]}{k}"


def _exit_edge(d: int, i: int, left: int) -> str:
    """Side exit of a turn off direction d at intersection i: out runs east with north on its left."""
    north = (d == 0) == bool(left)
    return f"x{'N' if north else 'S'}{i}"


PERMITTED = "~"  # suffix of a permitted left turn's movement: its through green, as a minor link ("g")


def _movement(d: int, left: bool, protected: np.ndarray, i: int, yields: bool = False) -> str:
    if left and protected[i, d]:
        return ("left_out", "left_in")[d]
    return ("out", "in")[d] + (PERMITTED if left and yields else "")


def signal_char(movement: str, served: set[str], ch: str) -> str:
    """SUMO state character of a link of ``movement`` when the phase serves ``served`` and shows
    ``ch`` ("G", "y") to them: "r" when not served, a permitted left's green as "g" (it yields)."""
    if movement.rstrip(PERMITTED) not in served:
        return "r"
    return "g" if ch == "G" and movement.endswith(PERMITTED) else ch


@dataclass(frozen=True)
class _Part:
    """One SUMO edge of a corridor link: the link is cut where each of its bays starts."""

    edge: str
    u0_m: float  # start and end in the direction's coordinate
    u1_m: float
    left: bool  # the left-turn bay runs along this part
    right: bool  # the right-turn bay runs along this part

    def lanes(self, nl: int) -> int:
        return nl + int(self.left) + int(self.right)

    def through(self, j: int) -> int:
        """SUMO lane index of through lane ``j`` (0 = rightmost through lane)."""
        return j + int(self.right)

    def bay(self, side: int, nl: int) -> int:
        """SUMO lane index of the bay (side 0 left, 1 right)."""
        return nl + int(self.right) if side == 0 else 0


def _parts(geo: ms.Geometry, d: int, k: int) -> list[_Part]:
    """The edges of link ``k`` of direction ``d`` in travel order (one when it has no bay)."""
    n = geo.n
    u0 = 0.0 if k == 0 else float(geo.js[d, k - 1])
    u1 = float(geo.js[d, k]) if k < n else float(geo.length_m)
    if k >= n:
        return [_Part(_edge(d, k), u0, u1, False, False)]
    bl, br = float(geo.bay_m[d, k, 0]), float(geo.bay_m[d, k, 1])
    cuts = sorted({u1 - b for b in (bl, br) if b > 0.0})
    bounds = [u0] + cuts + [u1]
    return [_Part(_edge(d, k) if c == 0 else f"{_edge(d, k)}_{c}", a, b, bl > 0.0 and a >= u1 - bl - 1e-9,
                  br > 0.0 and a >= u1 - br - 1e-9) for c, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]


def _cut_node(d: int, k: int, c: int) -> str:
    return f"B{'oi'[d]}{k}_{c}"


def _connections(geo: ms.Geometry, protected: np.ndarray,
                 yields: bool = False) -> dict[int, list[tuple[str, str, int, int, str]]]:
    """Per intersection: (from edge, to edge, from lane, to lane, movement), in link-index order;
    ``yields``: permitted left turns are minor links (movement with the ``PERMITTED`` suffix)."""
    n = geo.n
    out: dict[int, list] = {i: [] for i in range(n)}
    for d in range(2):
        nl = int(geo.nl[d])
        for m in range(n):
            i = int(geo.jmap[d, m])
            last = _parts(geo, d, m)[-1]
            for j in range(nl):
                out[i].append((last.edge, _edge(d, m + 1), last.through(j), j, _movement(d, False, protected, i)))
            for left in (0, 1):
                side = 0 if left else 1
                if (last.left if left else last.right):
                    lane = last.bay(side, nl)
                else:
                    lane = last.through(nl - 1 if left else 0)
                out[i].append((last.edge, _exit_edge(d, i, left), lane, 0, _movement(d, bool(left), protected, i, yields)))
    for i in range(n):
        sl = int(geo.side_nl[i])
        for s, side in enumerate("NS"):
            for j in range(sl):
                out[i].append((f"a{side}{i}", f"x{'SN'[s]}{i}", j, j, "side"))
                for d in range(2):  # as kernels._side_lane / _side_target
                    m = i if d == 0 else n - 1 - i
                    right = (d == 0 and s == 1) or (d == 1 and s == 0)
                    if j == (0 if right else sl - 1):
                        lane = 0 if right else int(geo.nl[d]) - 1
                        out[i].append((f"a{side}{i}", _edge(d, m + 1), j, lane, "side"))
    return out


def _bay_connections(geo: ms.Geometry) -> list[tuple[str, str, int, int]]:
    """Connections inside the links at the bay starts: through lanes go on, a bay continues, and a
    new bay is fed from the neighbouring through lane."""
    res = []
    for d in range(2):
        nl = int(geo.nl[d])
        for k in range(geo.n):
            ps = _parts(geo, d, k)
            for a, b in zip(ps[:-1], ps[1:]):
                res += [(a.edge, b.edge, a.through(j), b.through(j)) for j in range(nl)]
                for side, had, has in ((0, a.left, b.left), (1, a.right, b.right)):
                    if has:
                        src = a.bay(side, nl) if had else a.through(nl - 1 if side == 0 else 0)
                        res.append((a.edge, b.edge, src, b.bay(side, nl)))
    return res


def _phases(timing: SignalTiming, movements: list[str]) -> list[tuple[float, str]]:
    """SUMO phases (duration, state) of one timing: each plan phase gives green, yellow and
    all-red intervals; a movement also served by the next phase stays green through the change
    (so the program reproduces ``SignalTiming.window``)."""
    ph = timing.phases
    res = []
    for a, p in enumerate(ph):
        nxt = set(PHASE_MOVEMENTS[ph[(a + 1) % len(ph)].name])
        cur = set(PHASE_MOVEMENTS[p.name])
        g = "".join(signal_char(mv, cur, "G") for mv in movements)
        y = "".join(signal_char(mv, cur & nxt, "G") if mv.rstrip(PERMITTED) in nxt else signal_char(mv, cur, "y")
                    for mv in movements)
        r = "".join(signal_char(mv, cur & nxt, "G") for mv in movements)
        for dur, state in ((p.green_s, g), (p.yellow_s, y), (p.all_red_s, r)):
            if dur > 1e-9:
                res.append((float(dur), state))
    return res


def _actuated_logic(tll: ET.Element, i: int, timing: SignalTiming, movements: list[str], geo: ms.Geometry,
                    cpar, dt_s: float, it: Intersection) -> ET.Element:
    """SUMO ``type="actuated"`` program of one signal, coordinated on the plan (SUMO's actuated
    traffic lights, "coordinated" parameter: earliestEnd/latestEnd count from the offset):

    * main-street phases: minDur = the min green, maxDur = the cycle, earliestEnd = the planned green
      end (yield point); their lanes get no detector (``NO_DETECTOR``), so they end at the yield
      point; the one before a side phase lists itself first in ``next`` and so rests in green
      until a side detector has a vehicle (phase skipping);
    * min greens as our controller's (:func:`sim.greenwave.control.phase_min_greens_s`: pedestrian
      minimum with ``ped_recall``);
    * side phases: minDur = the min green, maxDur = the planned green, latestEnd = the planned green
      end (force-off), extended while SUMO's automatic detectors (``detector-gap`` s upstream at
      the approach speed) see gaps below ``max-gap``;
    * a resting main phase also gets latestEnd = its yield point + 1 s: SUMO moves earliestEnd into
      the next cycle when a phase cannot end between earliestEnd and latestEnd, so a main phase
      that returns early (after its yield point) holds until the next cycle's yield point (without
      it, SUMO ends such a phase after its min green whenever its previous start was in the
      previous cycle); with ``next`` listing itself first it still rests while no side is called;
    * protected-left phases stay fixed (the main-street approaches, bays included, carry no
      detector), and a main phase before one does not rest;
    * yellow and all-red as in the fixed program;
    * the offset is rounded to the step ``dt_s``: SUMO switches phases on steps, and a main phase
      starting a fraction of a step before its cycle start would be taken for one of the old
      cycle, past its earliestEnd (it would end after its min green).
    """
    C = timing.cycle_s
    off = round(timing.offset_s / dt_s) * dt_s % C
    tl = ET.SubElement(tll, "tlLogic", id=f"J{i}", type="actuated", programID=PROGRAM_ID, offset=f"{off:.2f}")
    for key, val in (("coordinated", "true"), ("max-gap", f"{cpar.passage_s:g}"),
                     ("detector-gap", f"{cpar.detector_gap_s:g}"), ("show-detectors", "true")):
        ET.SubElement(tl, "param", key=key, value=val)  # show-detectors: SUMO only tracks a detector's last green then
    n = geo.n
    for d in range(2):  # main-street approach lanes of this signal (bays too) carry no detector
        m = i if d == 0 else n - 1 - i
        last = _parts(geo, d, m)[-1]
        for j in range(last.lanes(int(geo.nl[d]))):
            ET.SubElement(tl, "param", key=f"{last.edge}_{j}", value="NO_DETECTOR")
    rows = _phases(timing, movements)
    ph = timing.phases
    idx, k = [], 0  # index of each plan phase's green in the SUMO program
    for p in ph:
        idx.append(k)
        k += sum(1 for dur in (p.green_s, p.yellow_s, p.all_red_s) if dur > 1e-9)
    cum = np.cumsum([0.0] + [p.length_s for p in ph])
    green_rows = {j: a for a, j in enumerate(idx) if ph[a].green_s > 1e-9}
    mins = phase_min_greens_s(timing, it, cpar, "actuated")
    for r, (dur, state) in enumerate(rows):
        att = {"duration": f"{dur:.2f}", "state": state}
        a = green_rows.get(r)
        if a is not None:
            p = ph[a]
            mn = mins[a]
            end = f"{(cum[a] + p.green_s) % C:.2f}"
            nxt = ph[(a + 1) % len(ph)]
            if any(mv in PHASE_MOVEMENTS[p.name] for mv in ("out", "in")):
                att.update(minDur=f"{mn:.2f}", maxDur=f"{C:.2f}", earliestEnd=end)
                if nxt.name == "side" and len(rows) > r + 1:
                    att["next"] = f"{r} {r + 1}"
                    if cum[a] + p.green_s + 1.0 < C:  # see the docstring
                        att["latestEnd"] = f"{cum[a] + p.green_s + 1.0:.2f}"
            elif p.name == "side":
                att.update(minDur=f"{mn:.2f}", maxDur=f"{p.green_s:.2f}", latestEnd=end)
        ET.SubElement(tl, "phase", attrib=att)
    return tl


def _write_xml(path: Path, root: ET.Element) -> None:
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_sumo(corridor: Corridor, plan: Plan, folder: str | Path, *, duration_s: float = 3600.0,
               warmup_s: float = 600.0, seed: int = 0, dt_s: float = 1.0, params: ms.Params | None = None,
               demand: ms.Demand | None = None, control: str = "fixed", control_params=None) -> SumoFiles:
    """Write and compile the SUMO scenario of ``corridor`` under ``plan`` into ``folder``.

    The demand is ours (``make_demand(corridor, warmup_s + duration_s, seed)`` unless given), so
    both simulators see the same vehicles. ``control``: "fixed" (static programs), "actuated"
    (SUMO's coordinated actuated programs for the plan, see :func:`_actuated_logic`) or
    "max_pressure" (the plan's phases chosen step by step through TraCI by the same rule as ours,
    :class:`sim.greenwave.sumo_control.MaxPressure`; needs libsumo) or "cyclic_pressure" (:class:`sim.greenwave.sumo_control.CyclicPressure`, the
    same way); ``control_params`` a ``control.ControlParams`` or dict.
    """
    from sim.greenwave.control import ControlParams

    if control not in ("fixed", "actuated", "max_pressure", "cyclic_pressure"):
        raise InputError(f"SUMO control {control!r}: expected 'fixed', 'actuated', 'max_pressure' or 'cyclic_pressure'")
    cpar = ControlParams.of(control_params)
    cpar.validate()
    p = params or ms.Params()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    geo = ms.geometry(corridor)
    n, L = geo.n, geo.length_m
    if len(plan.timings) != n:
        raise InputError(f"plan {plan.name!r} has {len(plan.timings)} timings: expected {n}")
    total = warmup_s + duration_s
    dem = demand if demand is not None else ms.make_demand(corridor, total, seed, p)
    w = plan.windows()
    protected = w[:, 2:4, 2] > 0.0
    v_main = corridor.speed_kph / 3.6
    v_side = p.side_speed_kph / 3.6
    pos = corridor.positions_m

    nodes = ET.Element("nodes")
    ET.SubElement(nodes, "node", id="start", x="0", y="0", type="priority")
    ET.SubElement(nodes, "node", id="end", x=f"{L:.3f}", y="0", type="priority")
    for i, x in enumerate(pos):
        ET.SubElement(nodes, "node", id=f"J{i}", x=f"{x:.3f}", y="0", type="traffic_light", tl=f"J{i}")
        ET.SubElement(nodes, "node", id=f"N{i}", x=f"{x:.3f}", y=f"{p.side_len_m:.3f}", type="priority")
        ET.SubElement(nodes, "node", id=f"S{i}", x=f"{x:.3f}", y=f"{-p.side_len_m:.3f}", type="priority")
    edges = ET.Element("edges")
    for d in range(2):
        for k in range(n + 1):
            ps = _parts(geo, d, k)
            for c, part in enumerate(ps):
                if c > 0:  # where a bay starts: a plain node (x along the corridor, out runs east)
                    u = part.u0_m
                    ET.SubElement(nodes, "node", id=_cut_node(d, k, c), x=f"{u if d == 0 else L - u:.3f}", y="0",
                                  type="priority")
                a = _node(geo, d, k - 1) if c == 0 else _cut_node(d, k, c)
                b = _node(geo, d, k) if c == len(ps) - 1 else _cut_node(d, k, c + 1)
                ET.SubElement(edges, "edge", id=part.edge, attrib={
                    "from": a, "to": b, "numLanes": str(part.lanes(int(geo.nl[d]))), "speed": f"{v_main:.4f}",
                    "length": f"{part.u1_m - part.u0_m:.3f}", "priority": "2"})
    for i in range(n):
        for side in "NS":
            for eid, a, b in ((f"a{side}{i}", f"{side}{i}", f"J{i}"), (f"x{side}{i}", f"J{i}", f"{side}{i}")):
                ET.SubElement(edges, "edge", id=eid, attrib={
                    "from": a, "to": b, "numLanes": str(int(geo.side_nl[i])), "speed": f"{v_side:.4f}",
                    "length": f"{p.side_len_m:.3f}", "priority": "1"})
    cons = ET.Element("connections")
    for fe, te, fl, tlane in _bay_connections(geo):
        ET.SubElement(cons, "connection", attrib={"from": fe, "to": te, "fromLane": str(fl), "toLane": str(tlane)})
    tll = ET.Element("tlLogics")
    conn = _connections(geo, protected, p.permitted_left_gap_s > 0)
    for i in range(n):
        movements = [c[4] for c in conn[i]]
        if control == "actuated":
            _actuated_logic(tll, i, plan.timings[i], movements, geo, cpar, dt_s, corridor.intersections[i])
        else:
            tl = ET.SubElement(tll, "tlLogic", id=f"J{i}", type="static", programID=PROGRAM_ID,
                               offset=f"{plan.timings[i].offset_s % plan.timings[i].cycle_s:.2f}")
            for dur, state in _phases(plan.timings[i], movements):
                ET.SubElement(tl, "phase", duration=f"{dur:.2f}", state=state)
        for li, (fe, te, fl, tlane, _) in enumerate(conn[i]):
            ET.SubElement(cons, "connection", attrib={"from": fe, "to": te, "fromLane": str(fl), "toLane": str(tlane)})
            ET.SubElement(tll, "connection", attrib={"from": fe, "to": te, "fromLane": str(fl), "toLane": str(tlane),
                                                     "tl": f"J{i}", "linkIndex": str(li)})
    for name, root in (("nodes.nod.xml", nodes), ("edges.edg.xml", edges), ("conns.con.xml", cons), ("tls.tll.xml", tll)):
        _write_xml(folder / name, root)
    net = folder / "net.net.xml"
    cmd = [str(sumo_home() / "bin" / "netconvert"), "--node-files", "nodes.nod.xml", "--edge-files", "edges.edg.xml",
           "--connection-files", "conns.con.xml", "--tllogic-files", "tls.tll.xml", "--output-file", net.name,
           "--no-internal-links", "true", "--no-turnarounds", "true", "--offset.disable-normalization", "true",
           "--junctions.corner-detail", "0", "--tls.discard-simple", "false", "--no-warnings", "true"]
    run = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env=_env())
    if run.returncode != 0:
        raise RuntimeError(f"netconvert failed: {run.stderr.strip()[-2000:]}")

    routes = folder / "routes.rou.xml"
    _write_routes(routes, geo, dem, p, lambda k: True)
    vehicles = folder / "vehicles.csv"
    pd.DataFrame({"vid": np.arange(len(dem)), "t_s": dem.t_s, "origin": dem.origin, "direction": dem.direction,
                  "exit_m": dem.exit_m, "left": dem.left, "speed_factor": dem.speed_factor}).to_csv(vehicles, index=False)
    add = ET.Element("additional")  # vehicles leaving each side approach after the warm-up
    ET.SubElement(add, "edgeData", id="side", file="side_edges.xml", begin=f"{warmup_s:g}", end=f"{total:g}",
                  edges=" ".join(f"a{side}{i}" for i in range(n) for side in "NS"))
    _write_xml(folder / "side.add.xml", add)
    cfg = ET.Element("configuration")
    inp = ET.SubElement(cfg, "input")
    ET.SubElement(inp, "net-file", value=net.name)
    ET.SubElement(inp, "route-files", value=routes.name)
    ET.SubElement(inp, "additional-files", value="side.add.xml")
    tm = ET.SubElement(cfg, "time")
    ET.SubElement(tm, "begin", value="0")
    ET.SubElement(tm, "end", value=f"{total:g}")
    ET.SubElement(tm, "step-length", value=f"{dt_s:g}")
    proc = ET.SubElement(cfg, "processing")
    ET.SubElement(proc, "time-to-teleport", value="-1")
    ET.SubElement(proc, "collision.action", value="warn")
    rnd = ET.SubElement(cfg, "random_number")
    ET.SubElement(rnd, "seed", value=str(int(seed)))
    out = ET.SubElement(cfg, "output")
    ET.SubElement(out, "tripinfo-output", value="tripinfo.xml")
    rep = ET.SubElement(cfg, "report")
    ET.SubElement(rep, "no-step-log", value="true")
    ET.SubElement(rep, "no-warnings", value="true")
    ET.SubElement(rep, "duration-log.statistics", value="true")
    config = folder / "run.sumocfg"
    _write_xml(config, cfg)
    if control in ("max_pressure", "cyclic_pressure") and protected.any():
        raise InputError(f"SUMO {control}: plans with protected left phases are not supported (two-phase plans only)")
    return SumoFiles(folder, net, routes, config, vehicles, float(duration_s), float(warmup_s), n, corridor,
                     control=control, plan=plan, movements={i: [c[4] for c in conn[i]] for i in range(n)},
                     control_params=cpar)


def _depart_lane(geo: ms.Geometry, dem: ms.Demand, k: int) -> str:
    """departLane of vehicle ``k``: a joiner starts in the side lane of its turn, a corridor vehicle
    turning at the first signal in its turn lane (as ``kernels._insert_due``), others "free"."""
    o, d = int(dem.origin[k]), int(dem.direction[k])
    if o < 2:
        if geo.n > 0 and int(dem.exit_m[k]) == 0:
            return str(int(geo.nl[d]) - 1 if int(dem.left[k]) else 0)
        return "free"
    if d < 0:
        return "free"
    i, s = divmod(o - 2, 2)
    right = (d == 0 and s == 1) or (d == 1 and s == 0)
    return str(0 if right else int(geo.side_nl[i]) - 1)


def _route_edges(geo: ms.Geometry, dem: ms.Demand, k: int) -> tuple[list[str], bool]:
    """Edges of vehicle ``k`` and whether it ends on a side exit (arrivalPos 0)."""
    n = geo.n
    o, d, ex, left = int(dem.origin[k]), int(dem.direction[k]), int(dem.exit_m[k]), int(dem.left[k])
    if o < 2:
        first = 0
        edges: list[str] = []
    else:
        i, s = divmod(o - 2, 2)
        side = "NS"[s]
        if d < 0:
            return [f"a{side}{i}", f"x{'SN'[s]}{i}"], True
        first = (i if d == 0 else n - 1 - i) + 1
        edges = [f"a{side}{i}"]
    last = ex if ex < n else n
    edges += [p.edge for kk in range(first, last + 1) for p in _parts(geo, d, kk)]
    if ex < n:
        edges.append(_exit_edge(d, int(geo.jmap[d, ex]), left))
        return edges, True
    return edges, False


def _write_routes(path: Path, geo: ms.Geometry, dem: ms.Demand, p: ms.Params, keep) -> None:
    """vType and one vehicle per demand entry, each with its own route (what tlsCoordinator needs)."""
    root = ET.Element("routes")
    ET.SubElement(root, "vType", id="car", vClass="passenger", carFollowModel="Krauss",
                  accel=f"{p.accel_m_s2:g}", decel=f"{p.decel_m_s2:g}", emergencyDecel=f"{p.emergency_decel_m_s2:g}",
                  sigma=f"{p.sigma:g}", tau=f"{p.tau_s:g}", length=f"{p.length_m:g}", minGap=f"{p.min_gap_m:g}",
                  speedFactor=f"normc(1,{p.speed_factor_sd:g},0.2,2)", lcSpeedGain=f"{p.lc_speed_gain:g}", lcKeepRight="0")
    for k in range(len(dem)):
        if not keep(k):
            continue
        edges, to_side = _route_edges(geo, dem, k)
        att = {"id": str(k), "type": "car", "depart": f"{dem.t_s[k]:.2f}", "departLane": _depart_lane(geo, dem, k),
               "departSpeed": "max", "departPos": "base", "speedFactor": f"{dem.speed_factor[k]:.5f}"}
        if to_side:
            att["arrivalPos"] = "0"
        v = ET.SubElement(root, "vehicle", attrib=att)
        ET.SubElement(v, "route", edges=" ".join(edges))
    _write_xml(path, root)


# ----------------------------------------------------------------------------- running
def _tripinfo(path: Path) -> pd.DataFrame:
    rows = []
    for _, el in ET.iterparse(path, events=("end",)):
        if el.tag == "tripinfo":
            a = el.attrib
            rows.append((int(a["id"]), float(a["depart"]), float(a["arrival"]), float(a["duration"]),
                         float(a["timeLoss"]), int(a["waitingCount"]), float(a["waitingTime"])))
            el.clear()
    return pd.DataFrame(rows, columns=["vid", "depart", "arrival", "duration", "time_loss", "stops", "wait_s"])


def sumo_trips(files: SumoFiles) -> pd.DataFrame:
    """SUMO's tripinfo in our trip-record columns (kind, dir, orig, t_in_s, t_out_s, ff_s, stops, left)."""
    ti = _tripinfo(files.folder / "tripinfo.xml")
    veh = pd.read_csv(files.vehicles).set_index("vid")
    v = veh.loc[ti["vid"]].reset_index()
    n = files.n_signals
    kind = np.where(v["direction"].to_numpy() < 0, "side",
                    np.where(v["exit_m"].to_numpy() >= n, "end", "turn"))
    return pd.DataFrame({
        "kind": pd.Categorical(kind, ["end", "turn", "side"]), "dir": v["direction"].to_numpy(),
        "orig": v["origin"].to_numpy(), "exit": v["exit_m"].to_numpy(),
        "t_in_s": ti["depart"].to_numpy(), "t_out_s": ti["arrival"].to_numpy(),
        "ff_s": (ti["duration"] - ti["time_loss"]).to_numpy(), "wait_s": ti["wait_s"].to_numpy(),
        "stops": ti["stops"].to_numpy(), "vid": ti["vid"].to_numpy(), "left": v["left"].to_numpy()})


def run_sumo(files: SumoFiles, *, use_libsumo: bool = True) -> dict:
    """Run the scenario; metrics with the same keys and warm-up rule as ``microsim.result``.

    With libsumo the simulation is stepped in-process: ``vehicle_updates_per_s`` is the sum over
    steps of the vehicles in the network divided by the time spent in ``simulationStep`` only,
    and the halting vehicles (speed < 0.1 m/s) of every approach edge give the max queues. With
    the binary, the updates per second are SUMO's own ``UPS`` statistic and no queues are read.
    """
    folder = files.folder
    total = files.duration_s + files.warmup_s
    n = files.n_signals
    metrics: dict = {}
    if files.control in ("max_pressure", "cyclic_pressure") and not use_libsumo:
        raise InputError(f"SUMO {files.control} needs libsumo (the phases are chosen through TraCI)")
    if use_libsumo:
        ls = _libsumo()
        ls.start([str(sumo_home() / "bin" / "sumo"), "-c", str(files.config)])
        try:
            geo = ms.geometry(files.corridor)
            main_edges = {(d, k): [p.edge for p in _parts(geo, d, k)] for d in range(2) for k in range(n)}
            qmax = np.zeros((2, n), int)
            qside = np.zeros((n, 2), int)
            updates = 0
            step_s = 0.0
            dt = ls.simulation.getDeltaT()
            from sim.greenwave.sumo_control import CyclicPressure, MaxPressure

            mp = {"max_pressure": MaxPressure, "cyclic_pressure": CyclicPressure}.get(files.control)
            mp = mp(files, geo) if mp is not None else None
            while ls.simulation.getTime() < total - 1e-9:
                if mp is not None:
                    mp.update(ls, ls.simulation.getTime())
                t0 = time.perf_counter()
                ls.simulationStep()
                step_s += time.perf_counter() - t0
                updates += ls.vehicle.getIDCount()
                if ls.simulation.getTime() - dt >= files.warmup_s - 1e-9:
                    for (d, k), es in main_edges.items():
                        i = k if d == 0 else n - 1 - k
                        qmax[d, i] = max(qmax[d, i], sum(ls.edge.getLastStepHaltingNumber(e) for e in es))
                    for i in range(n):
                        for s, side in enumerate("NS"):
                            qside[i, s] = max(qside[i, s], ls.edge.getLastStepHaltingNumber(f"a{side}{i}"))
        finally:
            ls.close()
        metrics["vehicle_updates_per_s"] = updates / step_s if step_s > 0 else float("nan")
        metrics["sumo_step_s"] = step_s
        for d, name in enumerate(ms.DIRECTIONS):
            metrics[f"max_queue_{name}_veh"] = qmax[d].tolist()
        metrics["max_queue_side_veh"] = qside.max(axis=1).tolist()
    else:
        run = subprocess.run([str(sumo_home() / "bin" / "sumo"), "-c", str(files.config)], cwd=folder,
                             capture_output=True, text=True, env=_env())
        if run.returncode != 0:
            raise RuntimeError(f"sumo failed: {run.stderr.strip()[-2000:]}")
        ups = [float(line.split("UPS:")[1].split()[0]) for line in run.stdout.splitlines() if "UPS:" in line]
        metrics["vehicle_updates_per_s"] = ups[-1] if ups else float("nan")
    tr = sumo_trips(files)
    metrics.update(ms.summarize(tr, files.warmup_s, total))
    # side delay and stops come from the crossing side traffic (its trip ends at the junction);
    # the side throughput counts every vehicle leaving a side approach
    left = sum(float(e.attrib.get("left", 0.0)) for e in ET.parse(folder / "side_edges.xml").getroot().iter("edge"))
    metrics["throughput_side_vph"] = left / (files.duration_s / 3600.0)
    metrics["side_sample"] = "crossers"
    return metrics


# ----------------------------------------------------------------------------- tlsCoordinator
def tls_coordinator_plan(files: SumoFiles, corridor: Corridor, plan: Plan, *, direction: str = "out",
                         speed_factor: float | None = None) -> Plan:
    """Offsets from SUMO's ``tools/tlsCoordinator.py`` for one direction, cycle and splits kept.

    The tool coordinates consecutive signals pairwise along the routes, weighted by how many
    routes use each pair, so it is given one route per vehicle of ``direction`` (the corridor
    vehicles of our demand). ``speed_factor`` is the tool's assumed mean speed / limit (its own
    default 0.8 when None).
    """
    if direction not in ms.DIRECTIONS:
        raise InputError(f"direction {direction!r}: expected one of {ms.DIRECTIONS}")
    d = ms.DIRECTIONS.index(direction)
    geo = ms.geometry(corridor)
    veh = pd.read_csv(files.vehicles)
    dem = ms.Demand(veh["t_s"].to_numpy(), veh["origin"].to_numpy(np.int32), veh["direction"].to_numpy(np.int32),
                    veh["exit_m"].to_numpy(np.int32), veh["left"].to_numpy(np.int32), veh["speed_factor"].to_numpy())
    routes = files.folder / f"coord_{direction}.rou.xml"
    _write_routes(routes, geo, dem, ms.Params(), lambda k: dem.origin[k] == d)
    out = files.folder / f"coord_{direction}.add.xml"
    cmd = [sys.executable, str(sumo_home() / "tools" / "tlsCoordinator.py"), "-n", str(files.net), "-r", str(routes),
           "-o", str(out)]
    if speed_factor is not None:
        cmd += ["--speed-factor", f"{speed_factor:g}"]
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(sumo_home() / "tools"), env.get("PYTHONPATH", "")])
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise RuntimeError(f"tlsCoordinator failed: {run.stderr.strip()[-2000:]}")
    offsets = np.array([t.offset_s for t in plan.timings], float)
    for el in ET.parse(out).getroot().iter("tlLogic"):
        i = int(el.attrib["id"][1:])
        offsets[i] = float(el.attrib["offset"])
    res = plan.with_offsets(offsets, name=f"{plan.name} + tlsCoordinator")
    res.meta = dict(plan.meta, source="SUMO tools/tlsCoordinator.py", direction=direction,
                    speed_factor=0.8 if speed_factor is None else speed_factor)
    return res
