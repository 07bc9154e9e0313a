"""Scenario parameters of the tourist-crowd model (pydantic; units in field names)."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin.scenario import ScenarioPath


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Params(_Strict):
    """A holiday (or any period) at the city's scenic spots: calendar, forecast or observed
    arrivals, the scenic-network simulation, alerts and the post-holiday analysis.

    Paths are relative to the scenario file. ``arrivals: forecast`` fits the holiday-aware
    model on ``history_csv`` and forecasts [start, end]; ``observed`` replays the sub-daily
    counts of ``hourly_csv`` for the period (post-holiday analysis)."""

    history_csv: ScenarioPath = Field(description="daily counts: time, spot, count")
    hourly_csv: ScenarioPath = Field(description="sub-daily counts (within-day profiles; replay)")
    weather_csv: ScenarioPath | None = Field(None, description="daily rain: date, rain_mm")
    holiday_table: ScenarioPath | None = Field(None, description="CSV/YAML of date, holiday, status for years the "
                                               "official package lacks")
    start: date
    end: date
    spots: list[str] | None = None
    arrivals: Literal["forecast", "observed"] = "forecast"
    network: dict[str, Any] = Field(default_factory=dict, description="sim.crowd.network.default_config overrides "
                                    "(group_persons, diversion, ...)")
    measures: dict[str, Any] = Field(default_factory=dict, description="what-if: extra_gates, reservation_cap, "
                                     "shuttle_headway_min, diversion, admission_stop")
    seed: int = 0
    spend_per_capita_cny: float = Field(150.0, ge=0, description="for the spending estimate")

    @model_validator(mode="after")
    def _dates(self) -> "Params":
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if (self.end - self.start).days > 31:
            raise ValueError("the simulated period is limited to 31 days")
        return self
