"""Scenario parameters of the tourist-crowd model (pydantic; units in field names)."""
from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from twin.scenario import ScenarioPath

QUEUE_GAP_M = 0.33  # standing gap between persons in a queue, m (Panero & Zelnik 1979; sim.crowd.gate)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateParams(_Strict):
    """A pedestrian micro-simulation of a scenic spot's gate area (:mod:`sim.crowd.gate`).

    Geometry: the built-in template at the spot's entrance (approach plaza, ``lanes``
    turnstile lanes, exit path), or ``polygon`` (closed ring in the city CRS) with ``gates``
    and ``entry`` as two-point segments on its boundary, or a narrow scenic ``path`` (centreline
    in the city CRS, walked from its first point to its last, ``path_width_m`` wide). Inflow:
    ``persons_per_hour`` or, with
    ``from_forecast``, four times the spot's peak 15-minute forecast arrivals in [start, end]."""

    spot: str = Field(description="scenic spot name (twin.places)")
    persons_per_hour: float | None = Field(None, gt=0, le=100_000)
    from_forecast: bool = False
    duration_min: float = Field(15.0, gt=0, le=120, description="arrivals for this long")
    until_empty: bool = Field(False, description="then run on without arrivals until the area is empty "
                              "(clearance / egress time)")
    max_extra_min: float = Field(30.0, gt=0, le=240)
    arrival_process: Literal["poisson", "even"] = "poisson"
    lanes: int | None = Field(None, ge=1, le=60, description="default: the scenic network's gate count for the spot")
    lane_width_m: float = 0.6
    post_width_m: float = 0.3
    lane_length_m: float = 1.2
    check_time_s: float | None = Field(None, ge=0, le=120, description="mean ticket/ID check per person and "
                                       "lane; default the network's 60/gate_rate (7.5 s); 0: free passage")
    check_cv: float = Field(0.5, ge=0, le=3)
    queue_gap_m: float | None = Field(None, ge=0, le=1.5, description="clear gap a person waiting for a ticket/ID "
                                      "check keeps to the one ahead; default 0.33 m with checks (the spacing commonly "
                                      "kept in queues, Panero & Zelnik 1979), 0 with free passage; 0: a crowd pressing "
                                      "at contact, the calibrated model alone")
    plaza_width_m: float | None = None
    plaza_depth_m: float = 20.0
    exit_width_m: float | None = None
    exit_length_m: float = 12.0
    approach_from: Literal["auto", "north", "east", "south", "west"] = "auto"
    entrance_xy: tuple[float, float] | None = None
    polygon: list[tuple[float, float]] | None = Field(None, description="walkable ring [[x, y], ...] (city CRS)")
    gates: list[list[tuple[float, float]]] | None = Field(None, description="[[x0, y0], [x1, y1]] per gate")
    entry: list[tuple[float, float]] | None = Field(None, description="[[x0, y0], [x1, y1]] where people arrive")
    path: list[tuple[float, float]] | None = Field(None, description="a narrow path's centreline [[x, y], ...] "
                                                   "(city CRS), walked from the first point to the last")
    path_width_m: float | None = Field(None, gt=0, le=30, description="the path's walkable width")
    path_back_share: float = Field(0.0, ge=0.0, le=1.0, description="share of the persons who walk the path the "
                                   "other way, from its last point to its first (counter-flow: people coming back "
                                   "meet those going in); 0 = one way")
    dt_s: float = Field(0.02, ge=0.005, le=0.05)
    nav_cell_m: float = Field(0.05, ge=0.02, le=0.25)
    field_cell_m: float = Field(1.0, ge=0.25, le=10)
    frame_s: float = Field(10.0, ge=1, le=300)
    density_warning_per_m2: float = Field(4.0, gt=0)
    max_trips: int = Field(1500, ge=0, le=20_000, description="animated pedestrians (a sample)")
    trips_step_s: float = Field(1.0, ge=0.5, le=10)

    @model_validator(mode="after")
    def _consistent(self) -> "GateParams":
        if self.from_forecast == (self.persons_per_hour is not None):
            raise ValueError("give exactly one of persons_per_hour and from_forecast: true")
        given = [k for k in ("polygon", "gates", "entry") if getattr(self, k) is not None]
        if given and len(given) < 3:
            missing = sorted({"polygon", "gates", "entry"} - set(given))
            raise ValueError(f"a polygon gate area needs polygon, gates and entry; missing {missing}")
        if given and self.check_time_s:
            raise ValueError("check_time_s needs the template's lanes; leave it out with a polygon")
        if (self.path is None) != (self.path_width_m is None):
            raise ValueError("a path needs both path (centreline) and path_width_m")
        if self.path is None and self.path_back_share > 0:
            raise ValueError("path_back_share needs a path (a template or polygon area is walked one way)")
        if self.path is not None and (given or self.check_time_s):
            raise ValueError("a path is its own area: leave out polygon, gates, entry and check_time_s")
        return self


# ------------------------------------------------------------------ scenic network settings
class SpotSettings(_Strict):
    """One spot's values in place of the grade defaults of
    :func:`sim.crowd.network_config.default_config` (unset: the default)."""

    capacity_persons: float | None = Field(None, gt=0, description="instantaneous capacity (LB/T 034-2014)")
    gates: int | None = Field(None, ge=1, le=500)
    gate_rate_persons_min: float | None = Field(None, gt=0, le=120, description="per gate")
    parking_cars: float | None = Field(None, ge=0, description="spaces (.inf: unlimited)")
    parking_coaches: float | None = Field(None, ge=0, description="coach bays (.inf: unlimited)")
    dwell_mean_min: float | None = Field(None, gt=0, le=1440)
    dwell_cv: float | None = Field(None, ge=0, le=5)
    attractiveness: float | None = Field(None, ge=-10, le=10, description="logit utility units")
    reservation_quota_persons_day: float | None = Field(None, ge=0, description="persons/day (.inf: none)")
    open_h: float | None = Field(None, ge=0, lt=24)
    close_h: float | None = Field(None, gt=0, le=24)

    @model_validator(mode="after")
    def _hours(self) -> "SpotSettings":
        if self.open_h is not None and self.close_h is not None and self.close_h <= self.open_h:
            raise ValueError(f"close_h {self.close_h} is not after open_h {self.open_h}")
        return self


class ModeSettings(_Strict):
    """Share of arriving tourists using the mode and persons per vehicle (cars, coaches)."""

    share: float = Field(ge=0, le=1)
    persons_per_vehicle: float = Field(1.0, gt=0, le=100)


class ShuttleSettings(_Strict):
    """Hub <-> spot shuttle lines (unset: the default; first/last from the opening hours)."""

    headway_min: float | None = Field(None, gt=0, le=240)
    capacity_persons: int | None = Field(None, ge=1, le=1000)
    first_h: float | None = Field(None, ge=0, le=24)
    last_h: float | None = Field(None, ge=0, le=24)
    dispatch: Literal["when_full", "schedule"] | None = Field(None, description="when_full (default): a bus "
                                                               "leaves once a full load waits, at most headway_min "
                                                               "after the last; schedule: every headway_min")
    min_headway_min: float | None = Field(None, gt=0, le=240, description="when_full: buses at least this far apart")
    layover_min: float | None = Field(None, gt=0, le=240, description="a bus's minimum turnaround at either end "
                                                                      "(sizes the fleet)")
    fleet_per_line: int | None = Field(None, ge=1, le=1000, description="buses per line (unset: as many as the "
                                       "departures need); a departure waits for a bus, idle buses run over "
                                       "where riders wait, with those at their own stop")
    clear_out_max_min: float | None = Field(None, ge=0, le=720, description="limited fleet: the longest the buses "
                                            "clear a stop after the day's last departure; those still waiting "
                                            "then go by other means (unset: until the stop is clear)")


class ChoiceSettings(_Strict):
    """Next-spot logit and diversion (:class:`sim.crowd.network_config.ChoiceConfig`)."""

    beta_attr: float | None = Field(None, ge=0, le=20)
    beta_crowd: float | None = Field(None, ge=0, le=50)
    beta_time_per_min: float | None = Field(None, ge=0, le=5)
    divert_share_yellow: float | None = Field(None, ge=0, le=1)
    divert_share_red: float | None = Field(None, ge=0, le=1)
    next_spot_prob: float | None = Field(None, ge=0, le=1)
    max_spots: int | None = Field(None, ge=1, le=10)
    latest_entry_before_close_min: float | None = Field(None, ge=0, le=600)


class NetworkSettings(_Strict):
    """The scenic-network configuration of a scenario (the baseline; ``measures`` change it).

    ``spots`` maps a spot name (or place_id) to its own values; ``modes`` replaces the mode
    split (shares summing to 1); ``shuttle`` and ``choice`` change single values.
    ``calibrate_first_visits``: choose each spot's share of first visits so that first plus
    expected repeat visits reproduce the gate counts (:func:`sim.crowd.network_demand.first_visit_demand`)."""

    group_persons: int = Field(20, ge=1, le=1000, description="tourists per simulated group")
    diversion: StrictBool = Field(True, description="diversion messages at the yellow/red level")
    admission_stop_at_red: StrictBool = False
    quota_policy: Literal["turn_away", "other_spot"] = "turn_away"
    arrival_process: Literal["poisson", "even"] = "poisson"
    gate_service_cv: float = Field(1.0, ge=0, le=5)
    alert_deadband: float = Field(0.05, ge=0, lt=0.8, description="an alert raised at 80 %/100 % of capacity "
                                  "clears only this fraction below (0: every crossing)")
    hub: str | tuple[float, float] | None = Field(None, description="place name/id or (x, y); default the "
                                                  "road node nearest the spots' centroid")
    modes: dict[Literal["car", "coach", "shuttle"], ModeSettings] | None = None
    shuttle: ShuttleSettings | None = None
    choice: ChoiceSettings | None = None
    spots: dict[str, SpotSettings] = Field(default_factory=dict)
    calibrate_first_visits: StrictBool = True

    @model_validator(mode="after")
    def _shares(self) -> "NetworkSettings":
        if self.modes is not None:
            tot = sum(m.share for m in self.modes.values())
            if not math.isclose(tot, 1.0, abs_tol=1e-6):
                raise ValueError(f"modes shares sum to {tot:g}; expected 1")
        return self

    def config_overrides(self) -> dict[str, Any]:
        """Keyword arguments of :func:`sim.crowd.network_config.default_config` (set values only)."""
        top = self.model_dump(exclude_unset=True, exclude={"modes", "shuttle", "choice", "spots",
                                                           "calibrate_first_visits"})
        top.setdefault("group_persons", self.group_persons)
        if self.modes is not None:
            top["modes"] = {k: m.model_dump() for k, m in self.modes.items()}
        if self.shuttle is not None:
            top["shuttle"] = self.shuttle.model_dump(exclude_none=True)
        if self.choice is not None:
            top["choice"] = self.choice.model_dump(exclude_none=True)
        if self.spots:
            top["spot_settings"] = {k: v.model_dump(exclude_none=True) for k, v in self.spots.items()}
        return top


_Gates = Annotated[int, Field(ge=0, le=500)]
_Cap = Annotated[float, Field(ge=0)]


class MeasureSettings(_Strict):
    """What-if measures (:func:`sim.crowd.network_config.apply_measures`) on the baseline."""

    extra_gates: _Gates | dict[str, _Gates] | None = Field(None, description="gates added, all spots or per spot")
    reservation_cap: _Cap | dict[str, _Cap] | None = Field(None, description="persons/day, all spots or per spot")
    shuttle_headway_min: float | None = Field(None, gt=0, le=240)
    diversion: StrictBool | None = Field(None, description="diversion messages on/off")
    admission_stop: StrictBool | None = Field(None, description="stop admission at the red level")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Params(_Strict):
    """A holiday (or any period) at the city's scenic spots: calendar, forecast or observed
    arrivals, the scenic-network simulation, alerts and the post-holiday analysis.

    With ``gate`` the run is instead the pedestrian micro-simulation of one spot's gate area
    (the counts and dates are then needed only for ``gate.from_forecast``).

    Paths are relative to the scenario file. ``arrivals: forecast`` fits the holiday-aware
    model on ``history_csv`` and forecasts [start, end]; ``observed`` replays the sub-daily
    counts of ``hourly_csv`` for the period (post-holiday analysis; each count split evenly
    into 15-min steps, only the ``spots``; daily counts are refused). Either way the counts
    are gate counts: with ``network.calibrate_first_visits`` the first visits are chosen so
    that the simulated entries reproduce them (no measure active)."""

    history_csv: ScenarioPath | None = Field(None, description="daily counts: time, spot, count")
    hourly_csv: ScenarioPath | None = Field(None, description="sub-daily counts (within-day profiles; replay)")
    weather_csv: ScenarioPath | None = Field(None, description="daily rain: date, rain_mm")
    weather_forecast_csv: ScenarioPath | None = Field(
        None, description="the weather forecast for the forecast's days: date, p_light, p_moderate, p_heavy (the "
        "probabilities of each daily rain class, GB/T 28592-2012: light 0.1-10 mm, moderate 10-25 mm, heavy >= 25 "
        "mm; the rest dry). Its days override weather_csv's rain; an uncertain day is forecast as a mixture over the "
        "rain classes it may have (a chance of heavy rain stretches its interval downwards)")
    holiday_table: ScenarioPath | None = Field(None, description="CSV/YAML of date, holiday, status for years the "
                                               "official package lacks")
    start: date | None = None
    end: date | None = None
    spots: list[str] | None = None
    arrivals: Literal["forecast", "observed"] = "forecast"
    demand: Literal["median", "upper"] = Field("median", description="forecast arrivals to simulate: the median, "
                                              "or every day at the upper bound of its prediction interval (a bad "
                                              "day to plan the gates, shuttles and diversions for)")
    network: NetworkSettings = Field(default_factory=NetworkSettings, description="the scenic network "
                                     "(groups, diversion, modes, shuttle, choice, per-spot values)")
    measures: MeasureSettings = Field(default_factory=MeasureSettings, description="what-if: extra_gates, "
                                      "reservation_cap, shuttle_headway_min, diversion, admission_stop")
    forecast_origin: date | datetime | None = Field(
        None, description="when the forecast is made (a date, or a local time on a step of the sub-daily counts): "
        "the model is fitted on the days before it (default: start). Inside the period, a forecast made during the "
        "holiday: the counts up to it, the rest of that day updated by them, the later days forecast. Counts of the "
        "forecast part, where the files hold them, are what the forecast is checked against")
    forecast_backtest: StrictBool = Field(False, description="also backtest the forecast on the counts known at the "
                                          "forecast origin: the last two complete Spring Festivals and National Days "
                                          "held out (daily; hourly where hourly_csv holds them), reported beside the "
                                          "run")
    seed: int = 0
    spend_per_capita_cny: float = Field(150.0, ge=0, description="spend per tourist over the trip (CNY), for the "
                                        "spending estimate; split over the spots visited in proportion to entries")
    gate: GateParams | None = Field(None, description="present: the run is the pedestrian micro-simulation "
                                    "of this spot's gate area instead of the scenic network")

    @field_validator("forecast_origin")
    @classmethod
    def _local_origin(cls, o: date | datetime | None) -> date | datetime | None:
        """A zoned origin as local time (Asia/Shanghai) without a zone, as the counts."""
        if isinstance(o, datetime) and o.tzinfo is not None:
            return o.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        return o

    @model_validator(mode="after")
    def _dates(self) -> "Params":
        if self.gate is None or self.gate.from_forecast:
            keys = ("history_csv", "hourly_csv", "start", "end") if self.arrivals == "forecast" else (
                "hourly_csv", "start", "end")  # a replay needs only the sub-daily counts
            need = [k for k in keys if getattr(self, k) is None]
            if need:
                what = "a gate run from the forecast" if self.gate is not None else "the scenic network"
                raise ValueError(f"{what} needs {', '.join(need)}")
        if self.demand != "median" and self.arrivals != "forecast":
            raise ValueError(f"demand: {self.demand} needs arrivals: forecast (observed counts have no interval)")
        if self.forecast_backtest and (self.arrivals != "forecast" or self.gate is not None):
            raise ValueError("forecast_backtest: true needs the scenic network on arrivals: forecast (a replay or a "
                             "gate run has no forecast to test)")
        if self.weather_forecast_csv is not None and (self.weather_csv is None or self.arrivals != "forecast"):
            raise ValueError("weather_forecast_csv needs arrivals: forecast and weather_csv (the rain effects are "
                             "fitted on the observed rain)")
        if self.forecast_origin is not None and self.arrivals != "forecast":
            raise ValueError("forecast_origin needs arrivals: forecast (a replay is not fitted)")
        if self.start is None or self.end is None:
            return self
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        o = self.forecast_origin
        if o is not None:
            day = o.date() if isinstance(o, datetime) else o
            if day > self.end:  # at midnight of the last day, only the days before it are counted
                raise ValueError(f"forecast_origin {o} is after the period {self.start}..{self.end}: every day of it "
                                 f"is counted; expected an origin on or before its last day (or arrivals: observed)")
        if (self.end - self.start).days > 31:
            raise ValueError("the simulated period is limited to 31 days")
        return self
