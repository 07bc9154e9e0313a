"""Scenario parameters of the flood model (pydantic; units in field names)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NonNeg = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # inf/NaN anywhere is a typo, not a value


class ChicagoStorm(_Strict):
    """Chicago design storm from a storm-intensity formula q = 167 A1 (1 + C lg P) / (t + b)^n.

    The default coefficients are an illustrative Hunan-type formula; replace them with the
    city's officially published one.
    """

    kind: Literal["chicago"] = "chicago"
    return_period_yr: float = Field(gt=0, description="P, years")
    duration_min: float = Field(gt=0)
    peak_ratio: float = Field(0.4, gt=0, lt=1, description="r: time of peak / duration")
    A1: float = Field(23.5, gt=0, description="mm/min")
    C: float = Field(0.68, ge=0)
    b: float = Field(17.0, ge=0, description="min")
    n: float = Field(0.86, gt=0, lt=2)
    step_min: float = Field(5.0, gt=0)
    start_s: NonNeg = 0.0


class Hyetograph(_Strict):
    """Piecewise-constant rainfall: ``rate_mm_h[k]`` over ``[times_s[k], times_s[k+1])``.

    ``pattern`` optionally names a GeoTIFF of multipliers (spatial pattern); ``grids``
    a NetCDF of intensity grids (time, y, x) in mm/h, which replaces ``rate_mm_h``.
    """

    kind: Literal["hyetograph"] = "hyetograph"
    times_s: list[float]
    rate_mm_h: list[NonNeg] = Field(default_factory=list)
    pattern: Path | None = None
    grids: Path | None = None

    @model_validator(mode="after")
    def _shape(self) -> "Hyetograph":
        if any(b <= a for a, b in zip(self.times_s, self.times_s[1:])):
            raise ValueError("times_s must increase")
        if self.grids is None and len(self.rate_mm_h) != len(self.times_s) - 1:
            raise ValueError(f"rate_mm_h needs {len(self.times_s) - 1} values (one per interval of times_s)")
        return self


class InflowSpec(_Strict):
    """A point inflow hydrograph (river upstream, reservoir release, dam breach).

    Located by ``at`` ([x, y] in the city CRS) or by a place name (its ``outlet_xy`` when it
    has one, else its centroid). Discharge is linear between the given points.
    """

    name: str
    kind: Literal["river", "reservoir_release", "dam_breach", "other"] = "other"
    at: tuple[float, float] | None = None
    place: str | None = None
    times_s: list[float]
    q_m3_s: list[NonNeg]
    radius_m: NonNeg = Field(15.0, description="spread over the cells within this distance (a river's width), "
                                               "at least the cell holding the point")

    @model_validator(mode="after")
    def _check(self) -> "InflowSpec":
        if (self.at is None) == (self.place is None):
            raise ValueError("give exactly one of 'at' ([x, y] in the city CRS) or 'place'")
        if len(self.times_s) != len(self.q_m3_s) or len(self.times_s) < 2:
            raise ValueError("times_s and q_m3_s need the same length (at least 2)")
        if any(b <= a for a, b in zip(self.times_s, self.times_s[1:])):
            raise ValueError("times_s must increase")
        return self


class Losses(_Strict):
    """Infiltration everywhere, plus drainage (a sewer capacity per area) near roads."""

    infiltration_mm_h: NonNeg = 0.0
    drainage_mm_h: NonNeg = Field(0.0, description="sewer capacity as a rate over the drained area")
    drainage_buffer_m: NonNeg = Field(60.0, description="cells within this distance of a road are drained")


class Buildings(_Strict):
    """How buildings enter the surface: solid blocks (footprints burnt into a DSM), blocks from
    the reality mesh where it exists, high roughness, or not at all."""

    mode: Literal["blocks", "mesh", "roughness", "none"] = "blocks"
    roughness_n: float = Field(0.3, gt=0, description="Manning n of building cells in 'roughness' mode")


class Manning(_Strict):
    """Manning's n (s m^-1/3) by land-use class, or a raster on the DEM grid."""

    default: float = Field(0.045, gt=0, description="open ground, vegetation")
    urban: float = Field(0.025, gt=0, description="built-up ground (within urban_buffer_m of a road)")
    urban_buffer_m: float = Field(60.0, ge=0)
    road: float = Field(0.016, gt=0)
    water: float = Field(0.03, gt=0, description="reservoir surface")
    road_width_m: float = Field(14.0, gt=0)
    raster: Path | None = None


class Boundaries(_Strict):
    """Domain edges: 'free' (normal-depth outflow at ``slope``), 'closed', or a fixed level."""

    default: Literal["free", "closed"] = "free"
    slope: float = Field(0.0015, gt=0)
    north: Literal["free", "closed"] | float | None = None
    south: Literal["free", "closed"] | float | None = None
    west: Literal["free", "closed"] | float | None = None
    east: Literal["free", "closed"] | float | None = None


class RescueTarget(_Strict):
    name: str
    at: tuple[float, float]


class Params(_Strict):
    """Flood scenario parameters."""

    duration_s: float = Field(gt=0, description="simulated time after warm-up")
    warmup_s: NonNeg = Field(0.0, description="run base inflows (their t=0 discharge) this long first")
    resolution_m: float | None = Field(None, gt=0, description="solver cell size; default the DEM's")
    output_interval_s: float = Field(600.0, gt=0, description="depth/speed frames every this many seconds")
    output_times_s: list[NonNeg] = Field(default_factory=list, description="extra frame times (s)")
    rain: ChicagoStorm | Hyetograph | None = Field(None, discriminator="kind")
    inflows: list[InflowSpec] = Field(default_factory=list)
    losses: Losses = Field(default_factory=Losses)
    buildings: Buildings = Field(default_factory=Buildings)
    manning: Manning = Field(default_factory=Manning)
    boundaries: Boundaries = Field(default_factory=Boundaries)
    theta: float = Field(0.9, gt=0, le=1, description="de Almeida et al. (2012) weighting; 1 = Bates et al. (2010)")
    alpha: float = Field(0.7, gt=0, le=1, description="CFL coefficient")
    dt_max_s: float = Field(10.0, gt=0, description="longest time step (s); the CFL step of deep water is shorter. "
                            "Thin rain-fed sheets on steep ground are unstable at long steps (a 10 % slope at 10 m "
                            "cells needs <= 2 s): lower it for rain-only runs in hills")
    backend: Literal["cpu", "auto", "cuda"] = Field(
        "cpu", description="solver kernels: cpu (numba, all cores), cuda (an NVIDIA GPU through numba.cuda; an error "
                           "without one) or auto (the GPU when numba finds one); same equations, results equal to "
                           "float32 round-off")
    wet_depth_m: float = Field(0.1, gt=0, description="depth that counts as arrival")
    closure_depth_m: float = Field(0.3, gt=0, description="roads deeper than this are impassable")
    building_depth_m: float = Field(0.15, gt=0, description="buildings with water deeper than this around them are flooded")
    debris_factor: Literal["none", "pasture", "woodland", "urban"] = Field(
        "urban", description="land cover for the debris factor of FD2320/TR2 Table 3.1")
    rescue_targets: list[RescueTarget] = Field(default_factory=list)

    @field_validator("inflows")
    @classmethod
    def _unique(cls, v: list[InflowSpec]) -> list[InflowSpec]:
        names = [i.name for i in v]
        if len(set(names)) != len(names):
            raise ValueError("inflow names must be unique")
        return v
