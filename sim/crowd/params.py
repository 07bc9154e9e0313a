"""Scenario parameters of the tourist-crowd model (pydantic; units in field names)."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin.scenario import ScenarioPath


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateParams(_Strict):
    """A pedestrian micro-simulation of a scenic spot's gate area (:mod:`sim.crowd.gate`).

    Geometry: the built-in template at the spot's entrance (approach plaza, ``lanes``
    turnstile lanes, exit path), or ``polygon`` (closed ring in the city CRS) with ``gates``
    and ``entry`` as two-point segments on its boundary. Inflow: ``persons_per_hour`` or, with
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
    plaza_width_m: float | None = None
    plaza_depth_m: float = 20.0
    exit_width_m: float | None = None
    exit_length_m: float = 12.0
    approach_from: Literal["auto", "north", "east", "south", "west"] = "auto"
    entrance_xy: tuple[float, float] | None = None
    polygon: list[tuple[float, float]] | None = Field(None, description="walkable ring [[x, y], ...] (city CRS)")
    gates: list[list[tuple[float, float]]] | None = Field(None, description="[[x0, y0], [x1, y1]] per gate")
    entry: list[tuple[float, float]] | None = Field(None, description="[[x0, y0], [x1, y1]] where people arrive")
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
        return self


class Params(_Strict):
    """A holiday (or any period) at the city's scenic spots: calendar, forecast or observed
    arrivals, the scenic-network simulation, alerts and the post-holiday analysis.

    With ``gate`` the run is instead the pedestrian micro-simulation of one spot's gate area
    (the counts and dates are then needed only for ``gate.from_forecast``).

    Paths are relative to the scenario file. ``arrivals: forecast`` fits the holiday-aware
    model on ``history_csv`` and forecasts [start, end]; ``observed`` replays the sub-daily
    counts of ``hourly_csv`` for the period (post-holiday analysis)."""

    history_csv: ScenarioPath | None = Field(None, description="daily counts: time, spot, count")
    hourly_csv: ScenarioPath | None = Field(None, description="sub-daily counts (within-day profiles; replay)")
    weather_csv: ScenarioPath | None = Field(None, description="daily rain: date, rain_mm")
    holiday_table: ScenarioPath | None = Field(None, description="CSV/YAML of date, holiday, status for years the "
                                               "official package lacks")
    start: date | None = None
    end: date | None = None
    spots: list[str] | None = None
    arrivals: Literal["forecast", "observed"] = "forecast"
    network: dict[str, Any] = Field(default_factory=dict, description="sim.crowd.network.default_config overrides "
                                    "(group_persons, diversion, ...)")
    measures: dict[str, Any] = Field(default_factory=dict, description="what-if: extra_gates, reservation_cap, "
                                     "shuttle_headway_min, diversion, admission_stop")
    seed: int = 0
    spend_per_capita_cny: float = Field(150.0, ge=0, description="for the spending estimate")
    gate: GateParams | None = Field(None, description="present: the run is the pedestrian micro-simulation "
                                    "of this spot's gate area instead of the scenic network")

    @model_validator(mode="after")
    def _dates(self) -> "Params":
        if self.gate is None or self.gate.from_forecast:
            need = [k for k in ("history_csv", "hourly_csv", "start", "end") if getattr(self, k) is None]
            if need:
                what = "a gate run from the forecast" if self.gate is not None else "the scenic network"
                raise ValueError(f"{what} needs {', '.join(need)}")
        if self.start is None or self.end is None:
            return self
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if (self.end - self.start).days > 31:
            raise ValueError("the simulated period is limited to 31 days")
        return self
