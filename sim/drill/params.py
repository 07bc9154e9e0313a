"""The drill file: hazards, a timeline of injects and one or more contingency plans (pydantic).

A drill is a scenario with ``simulation: drill``. Times (``at``) are either wall-clock
``"HH:MM"`` on the drill's date (a time earlier than the start is the next day) or seconds from
the start (a number, or ``"+90min"`` / ``"+2h"``). Triggers are ``at`` (a time) or ``when`` (a
condition on the hazards: a gauge level, a depth at a place, a threat zone reaching a district
or place, an incident of a type opening). Every trigger fires at most once per plan.
"""
from __future__ import annotations

import re
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.drill.rules import INCIDENT_TYPES, parse_grade
from twin.scenario import ScenarioPath


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


TimeSpec = Union[float, str]
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_REL = re.compile(r"^\+\s*(\d+(?:\.\d+)?)\s*(s|min|h)$")


def check_time(v: TimeSpec) -> TimeSpec:
    """Accept a number of seconds >= 0, ``"HH:MM"`` or ``"+<n>s|min|h"``."""
    if isinstance(v, (int, float)):
        if not v >= 0:
            raise ValueError(f"time {v!r}: expected seconds >= 0 from the drill start")
        return float(v)
    s = str(v).strip()
    if not (_CLOCK.match(s) or _REL.match(s)):
        raise ValueError(f"time {v!r}: expected 'HH:MM', '+90min', '+2h' or seconds from the start")
    return s


class Where(_Strict):
    """A location: a place of the city by name or id, or a point in the city CRS."""

    place: str | None = None
    xy: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _one(self) -> "Where":
        if (self.place is None) == (self.xy is None):
            raise ValueError("give exactly one of 'place' or 'xy'")
        return self


class When(_Strict):
    """A condition on the hazards or the drill, checked at every hazard frame and event.

    - ``gauge`` + ``level_above_m`` (a water level, m a.s.l.) or ``level_above: warning|guarantee``
      (the gauge place's own levels): the flood's water level at the gauge;
    - ``depth_at`` + ``depth_above_m``: flood depth at a place or point;
    - ``zone`` (``red``/``orange``/``yellow`` or AEGL-1/2/3) + ``reaches`` (a district name or a
      place): the hazmat threat zone covers any of it;
    - ``incident_type``: an incident of that type has opened (e.g. plan a response to any landslide).
    """

    gauge: str | None = None
    level_above_m: float | None = None
    level_above: Literal["warning", "guarantee"] | None = None
    depth_at: Where | None = None
    depth_above_m: float | None = Field(None, gt=0)
    zone: str | None = None
    reaches: str | None = None
    incident_type: str | None = None

    @model_validator(mode="after")
    def _kind(self) -> "When":
        kinds = [self.gauge is not None, self.depth_at is not None, self.zone is not None,
                 self.incident_type is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one condition: gauge, depth_at, zone or incident_type")
        if self.gauge is not None and (self.level_above_m is None) == (self.level_above is None):
            raise ValueError("gauge: give level_above_m (m a.s.l.) or level_above: warning|guarantee")
        if self.depth_at is not None and self.depth_above_m is None:
            raise ValueError("depth_at: give depth_above_m")
        if self.zone is not None:
            z = self.zone.strip().lower()
            aliases = {"aegl-3": "red", "aegl-2": "orange", "aegl-1": "yellow", "erpg-3": "red", "erpg-2": "orange",
                       "erpg-1": "yellow"}
            z = aliases.get(z, z)
            if z not in ("red", "orange", "yellow"):
                raise ValueError(f"zone {self.zone!r}: expected red, orange, yellow (or AEGL-3/2/1)")
            self.zone = z
            if not self.reaches:
                raise ValueError("zone: give reaches (a district name or a place)")
        if self.incident_type is not None and self.incident_type not in INCIDENT_TYPES:
            raise ValueError(f"incident_type {self.incident_type!r}: expected one of {list(INCIDENT_TYPES)}")
        return self


class Trigger(_Strict):
    at: TimeSpec | None = None
    when: When | None = None
    delay_min: float = Field(0.0, ge=0, description="minutes between the trigger and the action (decision time)")

    @field_validator("at")
    @classmethod
    def _at(cls, v: TimeSpec | None) -> TimeSpec | None:
        return None if v is None else check_time(v)

    @model_validator(mode="after")
    def _one(self) -> "Trigger":
        if (self.at is None) == (self.when is None):
            raise ValueError("give exactly one of 'at' (a time) or 'when' (a condition)")
        return self


class IncidentSpec(_Strict):
    """An incident injected into the drill (or opened by a hazard inject)."""

    id: str
    type: str
    grade: str
    name: str = ""
    where: Where
    people: int = Field(0, ge=0, description="persons involved (trapped, injured) for the review")
    work_min: float | None = Field(None, gt=0, description="time on scene; default by type (Params.work_min)")

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v not in INCIDENT_TYPES:
            raise ValueError(f"incident type {v!r}: expected one of {list(INCIDENT_TYPES)}")
        return v

    @field_validator("grade", mode="before")
    @classmethod
    def _grade(cls, v: Any) -> str:
        return parse_grade(v, where="incident grade")


class Event(Trigger):
    """A scripted inject: a warning message, an incident, a landslide, a road closure."""

    kind: Literal["warning", "incident", "landslide", "road_closure"]
    text: str = ""
    incident: IncidentSpec | None = None
    # landslide: on the most-warned slope unit whose runout reaches a road ("auto"), a unit id, or a point
    slope_unit: Literal["auto"] | int = "auto"
    landslide_xy: tuple[float, float] | None = None
    landslide_grade: str = "III"
    landslide_volume_m3: float | None = Field(None, gt=0, description="default: release area 400 m2 x soil depth")
    # road_closure: road names (every edge of those roads) or edges near a place, for a duration
    roads: list[str] = Field(default_factory=list)
    near: Where | None = None
    radius_m: float = Field(150.0, gt=0)
    duration_min: float | None = Field(None, gt=0)
    speed_factor: float = Field(0.0, ge=0, lt=1, description="road_closure: 0 closes the links; 0 < f < 1 keeps "
                                "them open at f x their speed (lanes closed by the incident)")

    @model_validator(mode="after")
    def _fields(self) -> "Event":
        if self.kind == "incident" and self.incident is None:
            raise ValueError("kind incident: give 'incident' (id, type, grade, where)")
        if self.kind == "road_closure" and not self.roads and self.near is None:
            raise ValueError("kind road_closure: give 'roads' (names) or 'near' (a place or point)")
        parse_grade(self.landslide_grade, where="landslide_grade")
        return self


class Action(Trigger):
    """A step of the contingency plan, fired by time or condition.

    kinds: ``warn`` (public warning, logged), ``open_shelters`` (names, or all), ``close_roads``
    (names or near a place), ``evacuate`` (an area: ``zone`` of the hazmat model (its forecast
    footprint, or where the cloud is now: ``zone_when``), flood depth above
    ``depth_above_m`` within ``radius_m`` of a place, a district, or buildings within ``radius_m``
    of a place; each group checks its destination again as it sets off and is sent elsewhere if
    that is no longer safe to go to; groups already on the road go on), ``shelter_in_place`` (the
    same areas: windows shut, ventilation off, so the building's air changes drop to
    ``shelter_air_changes_per_h``), ``relocate`` (the persons in the named shelters, or all, in
    shelters the hazard forecast known then puts at risk before the drill's end move to safe
    shelters with places or out of the danger area, as an evacuation does; the shelters are chosen
    at the action's time, so a later ``relocate`` catches those put at risk later), ``preposition`` (send resources to a staging place), ``mutual_aid`` (resources from
    a file arriving after ``arrive_after_min`` at a place), ``dispatch`` (match and send resources to
    the open incidents now; with ``auto_dispatch`` the plan does this on every new incident anyway).
    """

    name: str = ""
    do: Literal["warn", "open_shelters", "close_roads", "evacuate", "shelter_in_place", "relocate", "preposition",
                "mutual_aid", "dispatch"]
    text: str = ""
    shelters: list[str] | Literal["all"] = "all"
    roads: list[str] = Field(default_factory=list)
    near: Where | None = None
    radius_m: float = Field(300.0, gt=0)
    zone: str | None = None
    zone_when: Literal["forecast", "now"] = Field(
        "forecast", description="evacuate by zone: 'forecast' the hazmat model's threat zone of the whole release "
        "(what the commander has when ordering; its people leave ahead of the cloud, or into it where it comes "
        "first), 'now' only where the cloud is at the order")
    district: str | None = None
    depth_above_m: float | None = Field(None, gt=0)
    departure_mean_min: float = Field(20.0, gt=0, description="Rayleigh departure curve mean (warning + preparation)")
    resources: list[str] = Field(default_factory=list)
    to: Where | None = None
    resources_csv: ScenarioPath | None = None
    arrive_after_min: float = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _fields(self) -> "Action":
        if self.do in ("evacuate", "shelter_in_place") and not (self.zone or self.district or self.near):
            raise ValueError(f"do {self.do}: give 'zone', 'district' or 'near' (with radius_m, optionally depth_above_m)")
        if self.do == "preposition" and (not self.resources or self.to is None):
            raise ValueError("do preposition: give 'resources' (ids) and 'to' (a place or point)")
        if self.do == "mutual_aid" and (self.resources_csv is None or self.to is None):
            raise ValueError("do mutual_aid: give 'resources_csv' and 'to' (where they report)")
        if self.do == "close_roads" and not self.roads and self.near is None:
            raise ValueError("do close_roads: give 'roads' (names) or 'near'")
        if self.do == "relocate" and (self.zone or self.district or self.near):
            raise ValueError("do relocate: takes 'shelters' (names or all), not an area ('zone', 'district', 'near'): "
                             "it moves the persons of the shelters the forecast puts at risk")
        if self.zone is not None:
            z = self.zone.lower()
            z = {"aegl-3": "red", "aegl-2": "orange", "aegl-1": "yellow"}.get(z, z)
            if z not in ("red", "orange", "yellow"):
                raise ValueError(f"zone {self.zone!r}: expected red, orange or yellow (or AEGL-3/2/1)")
            self.zone = z
        return self


class Plan(_Strict):
    """One variant of the contingency plan."""

    name: str
    description: str = ""
    auto_dispatch: bool = Field(True, description="match and dispatch on every new incident")
    dispatch_delay_min: float = Field(2.0, ge=0, description="from an incident report to the dispatch decision")
    turnout_min: float = Field(1.0, ge=0, description="from the dispatch to wheels rolling (teams)")
    reserve: dict[str, int] | None = Field(None, description="resource type -> units kept in each district "
                                           "(default sim.drill.matching.DEFAULT_RESERVE; {} for none)")
    evacuation_zone_penalty: float = Field(10.0, ge=1, allow_inf_nan=False,
                                           description="evacuees' routes to the shelters: a second driven inside "
                                           "the risk zone (risk_zone) of the toxic cloud counts as this many, so a "
                                           "route goes round the zone when the detour takes less than (penalty - 1) "
                                           "x the time inside it; 1: routes keep out of the red zone only (it is "
                                           "closed to them, except to groups that set off inside it, every link "
                                           "from their node closed: those drive out by the way with least time in "
                                           "the risk zone, a second there counting at least 10)")
    evacuation_sees_queues: bool = Field(True, description="evacuees' route choice sees the queues at link entries "
                                         "(live-traffic navigation: a link costs its time plus the wait behind the "
                                         "groups already queued for it, and a group plans again at a queue much "
                                         "longer than planned; sim.drill.evac_traffic); false: routes on the road "
                                         "state only")
    evacuation_zone_forecast: bool = Field(True, description="evacuees' routes weigh the risk zone "
                                           "(evacuation_zone_penalty) where the hazard forecast puts it when the "
                                           "group would be on each link; false: where it is when the route is "
                                           "planned (routes are planned again as it moves)")
    evacuation_spillback: bool = Field(True, description="a queue that outgrows its link fills it and holds the "
                                       "groups on the links behind, whatever their way on (spatial queue: a link "
                                       "holds lane-metres / 7 m car units; sim.point_queue); false: point queues at "
                                       "link entries that never block the junctions behind")
    evacuation_without_place: Literal["leave", "stay"] = Field(
        "leave", description="persons an evacuation order covers who find no shelter place (the open shelters "
        "are full): 'leave', they drive out of the danger area (family, friends, a hotel: not a shelter) to "
        "whichever road point outside the order's area that the hazard forecast never puts at risk their route "
        "reaches at least cost (queues included when evacuation_sees_queues; chosen again on the way) and count "
        "as out of the area; 'stay', they stay in place")
    evacuation_isolation_m: float = Field(
        0.0, ge=0.0, le=50_000.0, description="once the hazmat release is known, evacuees are sent only to "
        "shelters and ways out of the danger area (evacuation_without_place: leave) at least this far (m) from it, "
        "whatever the forecast wind: an isolation circle round the source, as the Emergency Response Guidebook sets "
        "one per chemical and spill size, so that evacuees do not gather next to the leak upwind of it; 0: the "
        "forecast alone decides (both are always kept to places the known forecast keeps out of danger to the "
        "drill's end)")
    actions: list[Action] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\- ]+", v):
            raise ValueError(f"plan name {v!r}: use letters, digits, spaces, '_' and '-'")
        return v


class FloodHazard(_Strict):
    """The flood, from a flood scenario run inside the drill (cached by content) or a saved ``flood.nc``."""

    scenario: ScenarioPath | None = None
    netcdf: ScenarioPath | None = None
    offset_s: float = Field(0.0, description="drill time of the flood's t = 0")
    closure_depth_m: float = Field(0.3, gt=0)

    @model_validator(mode="after")
    def _one(self) -> "FloodHazard":
        if (self.scenario is None) == (self.netcdf is None):
            raise ValueError("give exactly one of 'scenario' (a flood scenario file) or 'netcdf' (a saved flood.nc)")
        return self


class HazmatHazard(Trigger):
    """The chemical release, starting when its trigger fires: a hazmat scenario run then, or the
    concentration frames of an earlier run (its ``hazmat.nc``) shifted to that time."""

    scenario: ScenarioPath | None = None
    netcdf: ScenarioPath | None = None
    incident_id: str = "HZ1"
    grade: str = "II"
    red_zone: Literal["red", "orange", "yellow"] = Field("red", description="zone the teams avoid (protected excepted)")

    @field_validator("grade", mode="before")
    @classmethod
    def _grade(cls, v: Any) -> str:
        return parse_grade(v, where="hazmat grade")

    @model_validator(mode="after")
    def _source(self) -> "HazmatHazard":
        if (self.scenario is None) == (self.netcdf is None):
            raise ValueError("give exactly one of 'scenario' (a hazmat scenario file) or 'netcdf' (a saved hazmat.nc)")
        return self


class GeohazardSpec(_Strict):
    """Shallow-landslide warning from the drill's rain (the flood storm's 24-h total unless given)."""

    rain_mm_24h: float | None = Field(None, gt=0)
    warn_at: TimeSpec = 0.0
    unit_area_m2: float = Field(5e4, gt=0)

    @field_validator("warn_at")
    @classmethod
    def _at(cls, v: TimeSpec) -> TimeSpec:
        return check_time(v)


DEFAULT_WORK_MIN = {"flood_rescue": 90.0, "waterlogging": 120.0, "hazmat_release": 150.0, "fire": 60.0,
                    "landslide": 180.0, "people_trapped": 45.0}
"""Time on scene by incident type (min), planning values; an incident's own ``work_min`` wins."""


class Params(_Strict):
    """A drill: hazards, injects on a timeline, and one or more plan variants run on the same events."""

    duration_h: float = Field(6.0, gt=0, le=72)
    seed: int = 0
    resources: ScenarioPath = Field(description="resources layer (CSV or GeoPackage), see sim.drill.resources")
    rules: ScenarioPath | None = Field(None, description="needs table (default sim/drill/data/needs_rules.csv)")
    districts: ScenarioPath | None = Field(None, description="district polygons (GeoJSON/GPKG with a 'name' column)")
    flood: FloodHazard | None = None
    hazmat: HazmatHazard | None = None
    geohazard: GeohazardSpec | None = None
    events_file: ScenarioPath | None = Field(None, description="YAML list of injects shared by several drills "
                                             "(read before 'events')")
    events: list[Event] = Field(default_factory=list)
    plans: list[Plan] = Field(min_length=1)
    work_min: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WORK_MIN))
    return_to_base: bool = True
    risk_depth_m: float = Field(0.5, gt=0, description="people in a building are at risk when the flood around it "
                                "is deeper (about knee height, where wading becomes dangerous)")
    risk_zone: Literal["red", "orange", "yellow"] = Field("orange", description="people are at risk inside this toxic zone")
    indoor_air_changes_per_h: float = Field(2.0, gt=0, description="air changes per hour of the buildings as people "
                                            "keep them before any instruction (an assumption: windows ajar on a "
                                            "warm evening; ~0.3-1 with windows shut)")
    shelter_air_changes_per_h: float = Field(0.5, gt=0, description="air changes per hour after a shelter-in-place "
                                             "order (windows and doors shut, ventilation off)")
    evacuation_car_share: float = Field(0.6, ge=0, le=1, description="share of evacuees leaving by car; the rest by "
                                        "bus (40 persons, 2 car units each), as in the hazmat evacuation")
    persons_per_vehicle: float = Field(2.5, gt=0, description="evacuees per car")
    frame_interval_s: float = Field(600.0, gt=0, description="map frames and review series every so many seconds")

    @field_validator("work_min")
    @classmethod
    def _work(cls, v: dict[str, float]) -> dict[str, float]:
        out = dict(DEFAULT_WORK_MIN)
        for k, m in v.items():
            if k not in INCIDENT_TYPES:
                raise ValueError(f"work_min key {k!r}: expected one of {list(INCIDENT_TYPES)}")
            if not m > 0:
                raise ValueError(f"work_min {k}: {m!r}: expected minutes > 0")
            out[k] = float(m)
        return out

    @model_validator(mode="after")
    def _events_file(self) -> "Params":
        if self.events_file is None:
            return self
        from pydantic import ValidationError

        from twin.errors import read_yaml

        p = self.events_file
        if not p.exists():
            raise ValueError(f"events_file {p}: file not found")
        raw = read_yaml(p, "events_file ", error=ValueError)
        if not isinstance(raw, list):
            raise ValueError(f"events_file {p}: expected a YAML list of events")
        evs = []
        for i, item in enumerate(raw):
            try:
                evs.append(Event.model_validate(item))
            except ValidationError as exc:
                e = exc.errors()[0]
                loc = ".".join(str(x) for x in e["loc"])
                raise ValueError(f"events_file {p.name}: item {i}{' key ' + loc if loc else ''}: {e['msg']}") from None
        self.events = evs + list(self.events)
        self.events_file = None  # merged; keeps re-validation idempotent
        return self

    @model_validator(mode="after")
    def _unique(self) -> "Params":
        names = [p.name for p in self.plans]
        if len(set(names)) != len(names):
            raise ValueError(f"plan names must be unique: {names}")
        ids = [e.incident.id for e in self.events if e.incident is not None]
        if self.hazmat is not None:
            ids.append(self.hazmat.incident_id)
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"incident ids must be unique: {dup}")
        return self

