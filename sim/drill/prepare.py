"""Everything a drill's plans share, resolved once before the SimPy runs: resources, rules,
districts, hazards on the drill clock, the time each inject and action fires (hazard conditions
resolved on the hazard frames), landslide runouts, and per-building exposure to the hazards.

All user-facing checks happen here, with the key that is wrong: unknown places, resources and
roads, points outside the city, times outside the drill, conditions on a hazard the drill lacks.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from sim.drill import hazards as hz
from sim.drill.network import RoadState
from sim.drill.params import IncidentSpec, Params, Where
from sim.drill.resources import load_resources
from sim.drill.rules import load_rules
from twin.errors import InputError, did_you_mean
from twin.routing import edges_hitting, nearest_nodes


@dataclass
class Resolved:
    """An inject or plan action with its trigger resolved."""

    spec: Any
    key: str
    t_s: float | None  # None: condition never holds, or waits for an incident type
    incident_type: str | None
    delay_s: float
    why: str
    xy: tuple[float, float] | None = None
    edges: list | None = None
    runout: Any = None
    incident: Any = None
    aid_rows: Any = None


SHELTER_FLOOD_RADIUS_M = 15.0
"""A shelter site is flooded when the flood within this distance of it is deeper than
``risk_depth_m`` (its access and its edge, not only the centroid's cell)."""


class Prepared:
    """Shared inputs of all plan variants of one drill (see the module docstring)."""

    def __init__(self, city: Any, params: Params, start: datetime, *, progress: bool = False):
        self.city, self.params, self.start = city, params, start
        self.duration_s = params.duration_h * 3600.0
        self.resources = load_resources(params.resources, city)
        self.rules = load_rules(params.rules)
        self.districts = hz.load_districts(params.districts, city.crs)
        self._shelters()
        # everything that can be checked without the hazards first, so that a typo fails in a
        # second, not after the flood run
        if params.hazmat is not None:
            self._check_trigger(params.hazmat, "hazmat")
        self.events = [self._event(i, e) for i, e in enumerate(params.events)]
        self.actions = {p.name: [self._action(f"plans[{i}].actions[{j}]", a) for j, a in enumerate(p.actions)]
                        for i, p in enumerate(params.plans)}
        self.flood = hz.load_flood(params.flood, city, start, progress=progress) if params.flood else None
        self.hazmat = None
        self.hazmat_incident = None
        self.hazmat_why = ""
        if params.hazmat is not None:
            t0, why = self._trigger(params.hazmat, "hazmat")
            if t0 is not None and t0 + params.hazmat.delay_min * 60 < self.duration_s:
                t0 += params.hazmat.delay_min * 60.0
                self.hazmat = hz.run_hazmat(params.hazmat, city, t0, start, until_s=self.duration_s)
                self.hazmat_why = why
                # forces report to the upwind staging point at the zone edge (hazmat.impacts.crew_routes)
                self.hazmat_incident = IncidentSpec(
                    id=params.hazmat.incident_id, type="hazmat_release", grade=params.hazmat.grade,
                    name=f"{self.hazmat.chemical} release (crews at its staging point)", where=Where(xy=self.hazmat.staging_xy))
        self.geo = self._geohazard() if params.geohazard is not None else None
        self._buildings()
        for r in self.events + [a for acts in self.actions.values() for a in acts]:
            r.t_s, r.why = self._trigger(r.spec, r.key)
            if getattr(r.spec, "kind", None) == "landslide":
                self._place_landslide(r)
        ts = []
        if self.flood is not None:
            ts += list(self.flood.times_s)
        if self.hazmat is not None:
            ts += list(self.hazmat.times_s)
        self.hazard_times = sorted({float(t) for t in ts if 0 <= t <= self.duration_s})

    # ------------------------------------------------------------------ triggers
    def _trigger(self, trig: Any, key: str) -> tuple[float | None, str]:
        """(drill time, reason) of a trigger's first firing; (None, ...) when it never fires or
        waits for an incident type."""
        if trig.at is not None:
            t = hz.seconds(trig.at, self.start, key=f"{key}.at")
            if t > self.duration_s:
                raise InputError(f"{key}.at {trig.at!r} is T+{t / 3600:.2f} h: outside the drill (0 to "
                                 f"{self.params.duration_h:g} h)")
            return t, f"scheduled at {trig.at}"
        w = trig.when
        if w.incident_type is not None:
            return None, f"an incident of type {w.incident_type} opened"
        if w.gauge is not None or w.depth_at is not None:
            if self.flood is None:
                raise InputError(f"{key}.when: a flood condition needs the drill's 'flood' hazard")
            fl = self.flood
            if w.gauge is not None:
                g = hz._place(self.city, w.gauge, key=f"{key}.when.gauge")
                x, y = g.geometry.centroid.x, g.geometry.centroid.y
                if w.level_above_m is not None:
                    lev, what = float(w.level_above_m), f"{w.level_above_m:g} m"
                else:
                    attrs = g.get("attrs") or {}
                    k = f"{w.level_above}_level_m"
                    if k not in attrs:
                        raise InputError(f"{key}.when.level_above {w.level_above!r}: gauge {w.gauge!r} has no {k}")
                    lev, what = float(attrs[k]), f"its {w.level_above} level {float(attrs[k]):.2f} m"
                t = fl.first_time(lambda k, t: fl.level_at(x, y, t) > lev)
                why = f"gauge {w.gauge} above {what}" + (f" (level {fl.level_at(x, y, t):.2f} m)" if t is not None else "")
            else:
                x, y = hz.locate(w.depth_at, self.city, key=f"{key}.when.depth_at")
                r = max(self.flood.ground.res) * 1.5
                t = fl.first_time(lambda k, t: fl.depth_at(x, y, t, r) > w.depth_above_m)
                name = w.depth_at.place or f"({x:.0f}, {y:.0f})"
                why = f"flood depth at {name} above {w.depth_above_m:g} m" + (
                    f" ({fl.depth_at(x, y, t, r):.2f} m)" if t is not None else "")
        else:
            if self.hazmat is None:
                raise InputError(f"{key}.when.zone: a zone condition needs the drill's 'hazmat' hazard "
                                 "(and its release within the drill)")
            area = hz.area_of(w.reaches, self.city, self.districts, key=f"{key}.when.reaches")
            hm = self.hazmat
            if w.zone not in hm.thresholds:
                raise InputError(f"{key}.when.zone {w.zone!r}: the hazmat run has zones {sorted(hm.thresholds)}")
            reg = hz.region_mask(area, hm.grid)
            t = None
            for k, tk in enumerate(hm.times_s):
                if (hm.mask(w.zone, k) & reg).any():
                    t = float(tk)
                    break
            why = f"{w.zone} zone reaches {w.reaches}"
        if t is not None and t > self.duration_s:
            t = None
        return t, why

    def _check_trigger(self, trig: Any, key: str) -> None:
        """The checks of :meth:`_trigger` that need no hazard: times in the window, places and
        districts known, the hazard a condition reads configured."""
        if trig.at is not None:
            t = hz.seconds(trig.at, self.start, key=f"{key}.at")
            if t > self.duration_s:
                raise InputError(f"{key}.at {trig.at!r} is T+{t / 3600:.2f} h: outside the drill (0 to "
                                 f"{self.params.duration_h:g} h)")
            return
        w = trig.when
        if (w.gauge is not None or w.depth_at is not None) and self.params.flood is None:
            raise InputError(f"{key}.when: a flood condition needs the drill's 'flood' hazard")
        if w.gauge is not None:
            g = hz._place(self.city, w.gauge, key=f"{key}.when.gauge")
            k = f"{w.level_above}_level_m"
            if w.level_above is not None and k not in (g.get("attrs") or {}):
                raise InputError(f"{key}.when.level_above {w.level_above!r}: gauge {w.gauge!r} has no {k}")
        if w.depth_at is not None:
            hz.locate(w.depth_at, self.city, key=f"{key}.when.depth_at")
        if w.zone is not None:
            if self.params.hazmat is None:
                raise InputError(f"{key}.when.zone: a zone condition needs the drill's 'hazmat' hazard")
            hz.area_of(w.reaches, self.city, self.districts, key=f"{key}.when.reaches")

    def _resolved(self, spec: Any, key: str) -> Resolved:
        self._check_trigger(spec, key)
        itype = spec.when.incident_type if spec.when is not None else None
        closes = getattr(spec, "kind", None) in ("landslide", "road_closure") or getattr(spec, "do", None) == "close_roads"
        if itype is not None and closes:
            raise InputError(f"{key}.when.incident_type: a road closure or landslide needs a time or a hazard "
                             "condition (routes must know closures when they happen)")
        return Resolved(spec, key, None, itype, spec.delay_min * 60.0, "")

    # ------------------------------------------------------------------ injects
    def _event(self, i: int, e: Any) -> Resolved:
        key = f"events[{i}]"
        r = self._resolved(e, key)
        if e.kind == "incident":
            r.xy = hz.locate(e.incident.where, self.city, key=f"{key}.incident.where")
        elif e.kind == "landslide":
            if self.params.geohazard is None:
                raise InputError(f"{key}: a landslide inject needs the drill's 'geohazard' block (the warning)")
            if e.landslide_xy is not None:
                hz.locate(Where(xy=e.landslide_xy), self.city, key=f"{key}.landslide_xy")
        elif e.kind == "road_closure":
            r.edges = self._edges(e.roads, e.near, e.radius_m, key)
        return r

    def _place_landslide(self, r: Resolved) -> None:
        """Runout of a landslide inject; its incident opens where the debris meets a road (or at its toe)."""
        e = r.spec
        r.runout = self._landslide(e, r.key)
        hit = r.runout.closed_roads
        pt = (hit.geometry.union_all().intersection(r.runout.footprint).centroid if len(hit)
              else Point(*r.runout.path.xy[-1]))
        r.xy = (float(pt.x), float(pt.y))
        i = int(r.key.split("[")[1].rstrip("]"))
        r.incident = IncidentSpec(id=f"LS{i}", type="landslide", grade=e.landslide_grade,
                                  name=f"landslide, slope unit {r.runout.unit}", where=Where(xy=r.xy))

    def _landslide(self, e: Any, key: str) -> Any:
        from sim.geohazard.warning import landslide_runout

        vol = {"volume_m3": e.landslide_volume_m3} if e.landslide_volume_m3 else {}
        if e.landslide_xy is not None:
            return landslide_runout(self.city, tuple(e.landslide_xy), result=self.geo, **vol)
        if e.slope_unit != "auto":
            if not 0 <= int(e.slope_unit) < len(self.geo.units):
                raise InputError(f"{key}.slope_unit {e.slope_unit}: expected 0..{len(self.geo.units) - 1} or 'auto'")
            return landslide_runout(self.city, int(e.slope_unit), result=self.geo, **vol)
        # auto: among the failing cells (factor of safety < 1 at the storm's rain) of the most-warned
        # units, nearest to a road first, the slide that closes roads, else the one that buries the
        # most people, else the one ending nearest to a road
        geo = self.geo
        uid = geo.terrain.unit_id
        lev = np.where(uid >= 0, geo.units.level.to_numpy()[np.clip(uid, 0, None)], 0)
        fail = (lev >= 1) & (np.nan_to_num(geo.fs.data, nan=np.inf) < 1.0)
        if not fail.any():
            raise InputError(f"{key}: slope_unit auto: no warned slope unit has failing cells at "
                             f"{geo.rain_mm_24h:.0f} mm / 24 h; give slope_unit or landslide_xy")
        top = lev[fail].max()
        rr, cc = np.nonzero(fail & (lev == top))
        xs, ys = geo.fs.xy(rr, cc)
        roads = shapely.union_all([d["geometry"] for *_, d in self.city.roads.edges(keys=True, data=True)])
        dist = shapely.distance(shapely.points(xs, ys), roads)
        pop = self.city.buildings["population"].fillna(0).to_numpy(float)
        bgeom = self.city.buildings.geometry.values
        best, best_key = None, None
        for i in np.argsort(dist, kind="stable")[:60]:
            ro = landslide_runout(self.city, (float(xs[i]), float(ys[i])), result=geo,
                                  **({"volume_m3": e.landslide_volume_m3} if e.landslide_volume_m3 else {}))
            buried = float(pop[shapely.intersects(bgeom, ro.footprint)].sum())
            k = (len(ro.edges) > 0, buried, -float(ro.line.distance(roads)))
            if best_key is None or k > best_key:
                best, best_key = ro, k
            if ro.edges:
                break
        return best

    def _edges(self, roads: list[str], near: Where | None, radius_m: float, key: str) -> list:
        g = self.city.roads
        out = []
        if roads:
            names = {d.get("name", "") for *_, d in g.edges(keys=True, data=True)}
            for n in roads:
                if n not in names:
                    raise InputError(f"{key}.roads {n!r}: no road of that name" + did_you_mean(n, [x for x in names if x]))
            out += [(u, v, k) for u, v, k, d in g.edges(keys=True, data=True) if d.get("name", "") in roads]
        if near is not None:
            x, y = hz.locate(near, self.city, key=f"{key}.near")
            out += edges_hitting(g, Point(x, y).buffer(radius_m))
        return sorted(set(out), key=str)

    # ------------------------------------------------------------------ actions
    def _action(self, key: str, a: Any) -> Resolved:
        r = self._resolved(a, key)
        ids = set(self.resources.resource_id)
        if a.do == "preposition":
            bad = [x for x in a.resources if x not in ids]
            if bad:
                raise InputError(f"{key}.resources {bad[0]!r}: no such resource in {self.params.resources.name}"
                                 + did_you_mean(bad[0], ids))
            r.xy = hz.locate(a.to, self.city, key=f"{key}.to")
        elif a.do == "mutual_aid":
            r.xy = hz.locate(a.to, self.city, key=f"{key}.to")
            rows = load_resources(a.resources_csv, self.city)
            clash = sorted(set(rows.resource_id) & ids)
            if clash:
                raise InputError(f"{key}.resources_csv {a.resources_csv.name}: resource ids {clash[:3]} already exist")
            r.aid_rows = rows
        elif a.do == "close_roads":
            r.edges = self._edges(a.roads, a.near, a.radius_m, key)
        elif a.do in ("open_shelters", "relocate") and a.shelters != "all":
            known = set(self.shelters.name)
            for s in a.shelters:
                if s not in known:
                    raise InputError(f"{key}.shelters {s!r}: no shelter of that name" + did_you_mean(s, known))
        elif a.do == "evacuate":
            if a.zone is not None and self.params.hazmat is None:
                raise InputError(f"{key}.zone: evacuating a zone needs the drill's 'hazmat' hazard")
            if a.depth_above_m is not None and self.params.flood is None:
                raise InputError(f"{key}.depth_above_m: needs the drill's 'flood' hazard")
            if a.district is not None:
                hz.area_of(a.district, self.city, self.districts, key=f"{key}.district")
            if a.near is not None:
                r.xy = hz.locate(a.near, self.city, key=f"{key}.near")
        return r

    # ------------------------------------------------------------------ geohazard
    def _geohazard(self) -> Any:
        from sim.geohazard.warning import warn

        g = self.params.geohazard
        rain = g.rain_mm_24h
        if rain is None:
            if self.flood is None or not self.flood.rain_mm_24h:
                raise InputError("geohazard.rain_mm_24h: not given and the drill has no flood storm to take it from")
            rain = self.flood.rain_mm_24h
        self.geo_warn_s = hz.seconds(g.warn_at, self.start, key="geohazard.warn_at")
        return warn(self.city, float(rain), unit_area_m2=g.unit_area_m2)

    # ------------------------------------------------------------------ people and places
    def _buildings(self) -> None:
        b = self.city.buildings
        c = b.geometry.centroid
        pop = b["population"].fillna(0).to_numpy(float) if "population" in b else np.zeros(len(b))
        self.buildings = pd.DataFrame({"building_id": b["building_id"].to_numpy() if "building_id" in b else np.arange(len(b)),
                                       "x_m": c.x.to_numpy(), "y_m": c.y.to_numpy(), "population": pop})
        self.buildings["node"] = nearest_nodes(self.city.roads, self.buildings.x_m, self.buildings.y_m)
        nb = len(b)
        self.flood_risk = np.zeros((0, nb), bool)
        if self.flood is not None:
            fl = self.flood
            ring = shapely.segmentize(b.geometry.buffer(fl.ground.res[0] * 0.75).exterior.values, fl.ground.res[0])
            counts = shapely.get_num_coordinates(ring)
            xy = shapely.get_coordinates(ring)
            rr, cc, ok = _cells(fl.ground, xy[:, 0], xy[:, 1])
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            self.building_depth = np.stack([np.maximum.reduceat(np.where(ok, d[rr, cc], 0.0), starts)
                                            for d in fl.depth_m])
            self.flood_risk = self.building_depth > self.params.risk_depth_m
        self.zone_risk = np.zeros((0, nb), bool)
        if self.hazmat is not None:
            hm = self.hazmat
            rr, cc, ok = _cells(hm.grid, self.buildings.x_m.to_numpy(), self.buildings.y_m.to_numpy())
            lev = self.params.risk_zone
            self.zone_risk = np.stack([ok & hm.mask(lev, k)[rr, cc] for k in range(len(hm.times_s))])
            # outdoor concentration (kg/m3) at each building in each frame, for the indoor air
            self.building_conc = np.where(ok[None, :], hm.conc[:, rr, cc], 0.0).astype(np.float64)

    def at_risk(self, t: float) -> np.ndarray:
        out = np.zeros(len(self.buildings), bool)
        if self.flood is not None and (k := hz.frame_index(self.flood.times_s, t)) >= 0:
            out |= self.flood_risk[k]
        if self.hazmat is not None and (k := hz.frame_index(self.hazmat.times_s, t)) >= 0:
            out |= self.zone_risk[k]
        return out

    def in_cloud(self, t: float) -> np.ndarray:
        """Buildings the toxic zone (``risk_zone``) covers at ``t`` (none without a hazmat release)."""
        if self.hazmat is not None and (k := hz.frame_index(self.hazmat.times_s, t)) >= 0:
            return self.zone_risk[k]
        return np.zeros(len(self.buildings), bool)

    def risk_reason(self, t: float, which: np.ndarray) -> str:
        """Why the buildings ``which`` (mask) are at risk at ``t`` (:meth:`at_risk`): each hazard
        that reaches some of them, with how many."""
        parts = []
        if self.flood is not None and (k := hz.frame_index(self.flood.times_s, t)) >= 0:
            if n := int((self.flood_risk[k] & which).sum()):
                parts.append(f"flood deeper than {self.params.risk_depth_m:g} m at the building ({n})")
        if self.hazmat is not None and (k := hz.frame_index(self.hazmat.times_s, t)) >= 0:
            if n := int((self.zone_risk[k] & which).sum()):
                parts.append(f"inside the {self.params.risk_zone} toxic zone ({n})")
        return " and ".join(parts)

    def buildings_in(self, act: Resolved, t: float) -> np.ndarray:
        """Buildings inside the area of action ``act`` at ``t`` (:meth:`in_area`; the flood depth
        is the building's, the deepest cell round its footprint)."""
        b = self.buildings
        k = hz.frame_index(self.flood.times_s, t) if self.flood is not None else -1
        depth = self.building_depth[k] if k >= 0 else None
        return self.in_area(act, b[["x_m", "y_m"]].to_numpy(float), t, depth_m=depth)

    def in_area(self, act: Resolved, xy: np.ndarray, t: float, depth_m: np.ndarray | None = None) -> np.ndarray:
        """Per point: inside the area of action ``act`` at ``t``: its toxic zone (now or as
        forecast), district, circle and flood depth, those it names. ``depth_m``: the depth to test
        at each point (default: the flood frame's cell there)."""
        a = act.spec
        xy = np.asarray(xy, float).reshape(-1, 2)
        x, y = xy[:, 0], xy[:, 1]
        sel = np.ones(len(xy), bool)
        if a.zone is not None:
            hm = self.hazmat
            k = hz.frame_index(hm.times_s, t) if hm is not None else -1
            if k < 0:
                return np.zeros(len(xy), bool)
            rr, cc, ok = _cells(hm.grid, x, y)
            m = hm.forecast_mask(a.zone) if a.zone_when == "forecast" else hm.mask(a.zone, k)
            sel &= ok & m[rr, cc]
        if a.district is not None:
            area = hz.area_of(a.district, self.city, self.districts, key=f"{act.key}.district")
            sel &= shapely.contains_xy(area, x, y)
        if a.near is not None:
            sel &= np.hypot(x - act.xy[0], y - act.xy[1]) <= a.radius_m
        if a.depth_above_m is not None:
            k = hz.frame_index(self.flood.times_s, t)
            if k < 0:
                return np.zeros(len(xy), bool)
            if depth_m is None:
                rr, cc, ok = _cells(self.flood.ground, x, y)
                depth_m = np.where(ok, self.flood.depth_m[k][rr, cc], 0.0)
            sel &= depth_m > a.depth_above_m
        return sel

    def _shelters(self) -> None:
        pl = self.city.places
        sh = pl[pl["kind"] == "shelter"]
        cap = [float((a or {}).get("capacity_persons", 0.0)) for a in sh["attrs"]]
        c = sh.geometry.centroid
        self.shelters = pd.DataFrame({"name": sh["name"].to_numpy(), "x_m": c.x.to_numpy(), "y_m": c.y.to_numpy(),
                                      "capacity_persons": cap})

    def _shelter_series(self, name: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(deepest flood within :data:`SHELTER_FLOOD_RADIUS_M` of the site at each flood frame,
        m; the outdoor air at the site at each hazmat frame, kg/m3), None without that hazard."""
        cache = self.__dict__.setdefault("_shelter_cache", {})
        if name not in cache:
            s = self.shelters.set_index("name").loc[name]
            fl = hm = None
            if self.flood is not None:
                fl = np.array([self.flood._window(self.flood.depth_m[k], s.x_m, s.y_m, SHELTER_FLOOD_RADIUS_M)
                               .max(initial=0.0) for k in range(len(self.flood.times_s))], float)
            if self.hazmat is not None:
                rr, cc, on = _cells(self.hazmat.grid, np.array([s.x_m]), np.array([s.y_m]))
                hm = self.hazmat.conc[:, rr[0], cc[0]].astype(float) * float(on[0])
            cache[name] = (fl, hm)
        return cache[name]

    def shelter_hazards(self, name: str, t: float, *, to_end: bool = False) -> list[str]:
        """What puts shelter ``name`` at risk at ``t`` (the sites are open-air): the flood within
        :data:`SHELTER_FLOOD_RADIUS_M` of it deeper than ``risk_depth_m``, the outdoor air there at
        the ``risk_zone``'s level; empty when safe. With ``to_end``, from ``t`` to the drill's end
        by the frames known at ``t`` (:meth:`hazmat_known`), as :meth:`out_of_danger` judges a
        point, so a shelter is judged the same way when it is chosen and while it holds persons."""
        fl, hm = self._shelter_series(name)
        out = []
        k = hz.frame_index(self.flood.times_s, t) if fl is not None else -1
        if fl is not None and (to_end or k >= 0):
            d = float(fl[max(k, 0):].max(initial=0.0) if to_end else fl[k])
            if d > self.params.risk_depth_m:
                out.append(f"flood {d:.2f} m within {SHELTER_FLOOD_RADIUS_M:g} m of the site"
                           + (" (forecast)" if to_end else ""))
        if hm is not None and (self.hazmat_known(t) if to_end else hz.frame_index(self.hazmat.times_s, t) >= 0):
            k = max(hz.frame_index(self.hazmat.times_s, t), 0)
            c = float(hm[k:].max(initial=0.0) if to_end else hm[k])
            if c >= self.hazmat.thresholds[self.params.risk_zone]:
                out.append(f"outdoor air in the {self.params.risk_zone} toxic zone" + (" (forecast)" if to_end else ""))
        return out

    def shelter_safe(self, name: str, t: float) -> bool:
        """Whether shelter ``name`` is safe at ``t``: the flood within 15 m of it no deeper than
        ``risk_depth_m`` and the outdoor air there below the ``risk_zone``'s level (the sites are
        open-air): :meth:`shelter_hazards` names none."""
        return not self.shelter_hazards(name, t)

    def in_cloud_at(self, xy: np.ndarray, t: float) -> np.ndarray:
        """Per point: inside the toxic ``risk_zone`` at ``t`` (none without a hazmat release or
        before it)."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        k = hz.frame_index(self.hazmat.times_s, t) if self.hazmat is not None else -1
        if k < 0:
            return np.zeros(len(xy), bool)
        rr, cc, on = _cells(self.hazmat.grid, xy[:, 0], xy[:, 1])
        return on & self.hazmat.mask(self.params.risk_zone, k)[rr, cc]

    @property
    def hazmat_known_s(self) -> float:
        """Drill time from which the hazmat release is known (:meth:`hazmat_known`; inf without one)."""
        return float(self.hazmat.t0_s) if self.hazmat is not None else math.inf

    def hazmat_known(self, t: float) -> bool:
        """Whether the hazmat release is known at drill time ``t``: from its start (its incident
        opens then), not before. Decisions taken earlier (ways out, shelters, the forecast of
        staying, zone-forecast routes) cannot plan round a leak that has not happened; the flood
        is the rainstorm's forecast, known from the drill's start."""
        return t >= self.hazmat_known_s - 1e-9  # frame_index's tolerance

    def out_of_danger(self, xy: np.ndarray, t: float) -> np.ndarray:
        """Per point: from ``t`` to the drill's end the hazard frames known at ``t`` (as forecast,
        :meth:`hazmat_known`) never put it at risk: below the toxic ``risk_zone``'s level and the
        flood no deeper than ``risk_depth_m``."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        layers = []  # (frame times, frames, grid, the frames' values at risk)
        if self.hazmat_known(t):
            thr = self.hazmat.thresholds[self.params.risk_zone]
            layers.append((self.hazmat.times_s, self.hazmat.conc, self.hazmat.grid, lambda v: v >= thr))
        if self.flood is not None:
            layers.append((self.flood.times_s, self.flood.depth_m, self.flood.ground,
                           lambda v: v > self.params.risk_depth_m))
        ok = np.ones(len(xy), bool)
        for times, frames, grid, at_risk in layers:
            k = max(hz.frame_index(times, t), 0)
            rr, cc, on = _cells(grid, xy[:, 0], xy[:, 1])
            peak = frames[k:, rr, cc].max(axis=0, initial=0.0)
            ok &= ~(on & at_risk(peak))
        return ok

    # ------------------------------------------------------------------ shared helpers
    def clock(self, t_s: float) -> str:
        """Wall-clock HH:MM of drill time ``t_s``."""
        from datetime import timedelta

        return (self.start + timedelta(seconds=float(t_s))).strftime("%H:%M")

    def work_factor(self, incident_id: str) -> float:
        """Log-normal (sigma 0.2) factor on the time on scene, drawn from the seed and the incident id
        so that every plan sees the same draw for the same incident."""
        rng = np.random.default_rng([self.params.seed, zlib.crc32(incident_id.encode())])
        return float(rng.lognormal(0.0, 0.2))

    def road_state(self) -> RoadState:
        rs = RoadState(self.city.roads)
        if self.flood is not None:
            rs.add_flood(self.flood.times_s, self.flood.depth_m, self.flood.ground,
                         closure_depth_m=self.flood.closure_depth_m)
        if self.hazmat is not None:
            lev = self.params.hazmat.red_zone
            rs.add_zone(self.hazmat.times_s, self.hazmat.conc, self.hazmat.grid, self.hazmat.thresholds[lev],
                        kind="toxic", label=f"{lev} toxic zone")
            risk = self.params.risk_zone
            rs.add_zone(self.hazmat.times_s, self.hazmat.conc, self.hazmat.grid, self.hazmat.thresholds[risk],
                        kind="toxic", label=f"{risk} toxic zone", avoid=True)
        return rs


def _cells(grid: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row and column of each point in ``grid`` (a :class:`terrain.raster.Raster`), clipped to
    the grid, and whether the point is on it."""
    rr, cc = grid.rowcol(np.asarray(x, float), np.asarray(y, float))
    ny, nx = grid.shape
    on = (rr >= 0) & (rr < ny) & (cc >= 0) & (cc < nx)
    return np.clip(rr, 0, ny - 1), np.clip(cc, 0, nx - 1), on
