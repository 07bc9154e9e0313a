"""Scenario parameters of the green-wave model (pydantic; units in field names)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
XY = tuple[float, float]
VARIANTS = ("current", "uncoordinated", "maxband", "multiband", "optimised", "actuated", "max_pressure")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorridorSpec(_Strict):
    """The corridor: a road name, or the path between two points ([x, y] in the city CRS)."""

    road: str | None = None
    from_xy: XY | None = None
    to_xy: XY | None = None

    @model_validator(mode="after")
    def _one(self) -> "CorridorSpec":
        if (self.road is None) == (self.from_xy is None or self.to_xy is None):
            raise ValueError("give either road (a road name) or from_xy and to_xy ([x, y] in the city CRS)")
        return self


class Period(_Strict):
    """A time-of-day plan period (clock times HH:MM, Asia/Shanghai)."""

    name: str
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")
    demand_scale: Pos = 1.0
    inbound_scale: Pos = Field(1.0, description="extra factor on the inbound volume (tidal flow)")
    speed_factor: float = Field(1.0, gt=0.3, le=1.2, description="design speeds x this (heavy rain: ~0.8)")
    extra_all_red_s: NonNeg = Field(0.0, description="longer clearance (heavy rain)")


class Emergency(_Strict):
    """A fire engine or ambulance given a green wave from a base to an incident."""

    from_place: str
    to_place: str | None = None
    to_xy: XY | None = None
    depart_s: NonNeg = 900.0
    speed_factor: float = Field(1.2, gt=0.5, le=2.0, description="its speed relative to the limits")

    @model_validator(mode="after")
    def _target(self) -> "Emergency":
        if (self.to_place is None) == (self.to_xy is None):
            raise ValueError("give exactly one of to_place (a place name) or to_xy ([x, y])")
        return self


class Incident(_Strict):
    """A lane closed on the corridor for a while (crash, works)."""

    direction: Literal["out", "in"] = "out"
    lane: int = Field(0, ge=0)
    pos_m: NonNeg
    from_s: NonNeg
    to_s: Pos


class Simulation(_Strict):
    duration_s: Pos = 3600.0
    warmup_s: NonNeg = 600.0
    seeds: list[int] = Field(default_factory=lambda: [1, 2, 3])
    dt_s: float = Field(0.5, gt=0, le=1.0)


class Optimise(_Strict):
    """Delay-optimised timing: delay + K x stops, searched from the band plan (seeded)."""

    stop_penalty_s: NonNeg = Field(20.0, description="K: one stop counts as this many seconds of delay")
    side_weight: NonNeg = Field(1.0, description="weight of side-street vehicle delay")
    through_weight: float = Field(1.0, ge=1.0, description="weight of the delay and stops of vehicles that drive "
                                  "the whole corridor (arterial priority, as TRANSYT's link weights); 1 = all alike")
    iterations: int = Field(60, ge=0, le=5000)
    eval_seeds: int = Field(2, ge=1, le=32, description="demand samples (common random numbers) each candidate is "
                            "simulated on; more samples make the PI less noisy, so the search overfits less")
    eval_s: float = Field(1200.0, ge=300.0, le=14400.0, description="simulated seconds per sample, after a 300 s "
                          "warm-up")
    starts: int = Field(1, ge=1, le=16, description="independent climbs from the band plan (move orders seed, "
                        "seed + 1, ...), the least-PI end kept; each gets `iterations` candidates")
    optimise_splits: bool = True
    optimise_cycle: bool = False
    seed: int = 0


class Params(_Strict):
    """Green-wave scenario parameters."""

    corridor: CorridorSpec
    demand: dict[str, Any] = Field(default_factory=dict, description="corridor.apply_edits keys: volume_out_vph, "
                                   "volume_in_vph, speed_kph, and per cross street (or '*') side_volume_vph, "
                                   "turn_left, turn_right, side_to_main, lanes_out, lanes_in, side_lanes, "
                                   "sat_flow_vphpl, turn bays bay_left_m / bay_right_m (metres, both "
                                   "directions) or bay_left_out_m, bay_left_in_m, bay_right_out_m, "
                                   "bay_right_in_m")
    cycle_min_s: Pos = 60.0
    cycle_max_s: Pos = 150.0
    design_speed_kph: tuple[Pos, Pos] | None = Field(None, description="band speed range; default 0.75-1.0 x limit")
    phase_sequence: Literal["two_phase", "lead_lead", "lag_lag", "lead_lag"] = "two_phase"
    variants: list[Literal["current", "uncoordinated", "maxband", "multiband", "optimised", "actuated",
                           "max_pressure"]] = Field(default_factory=lambda: list(VARIANTS))
    periods: list[Period] = Field(default_factory=list)
    simulation: Simulation = Field(default_factory=Simulation)
    optimise: Optimise = Field(default_factory=Optimise)
    emergency: Emergency | None = None
    incidents: list[Incident] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ranges(self) -> "Params":
        if self.cycle_max_s < self.cycle_min_s:
            raise ValueError(f"cycle_max_s {self.cycle_max_s} is below cycle_min_s {self.cycle_min_s}")
        if self.design_speed_kph and self.design_speed_kph[0] > self.design_speed_kph[1]:
            raise ValueError("design_speed_kph must be [low, high]")
        return self
