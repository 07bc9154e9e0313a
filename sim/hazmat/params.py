"""Scenario parameters of the hazardous-chemical release model (pydantic; units in field names)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]
XY = tuple[float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Release(_Strict):
    """What leaks, where, and how (ALOHA's "source" step).

    Located by ``site`` (a hazmat_site place; the tank with ``chemical`` in its inventory gives
    the position, mass, pressure and temperature) or by ``at`` ([x, y] in the city CRS).

    kinds
      * ``direct``: a given rate (``rate_kg_s`` for ``duration_s``, or a series ``times_s`` /
        ``rates_kg_s``, piecewise constant);
      * ``gas_tank_hole``: gas escaping from a hole in a pressurised tank (choked or not);
      * ``liquid_tank_hole``: liquid or pressure-liquefied chemical through a hole below the
        liquid level: flash, aerosol and an evaporating pool (in the bund when given).
    """

    chemical: str
    kind: Literal["direct", "gas_tank_hole", "liquid_tank_hole"] = "direct"
    site: str | None = None
    at: XY | None = None
    height_m: NonNeg = Field(1.0, description="release height above ground")
    rate_kg_s: float | None = Field(None, description="direct: constant rate")
    duration_s: float | None = Field(None, gt=0, description="direct: release duration")
    times_s: list[NonNeg] | None = Field(None, description="direct: start of each rate interval, s")
    rates_kg_s: list[float] | None = None
    hole_diameter_m: float | None = Field(None, gt=0, le=5)
    mass_kg: float | None = Field(None, gt=0, description="tank contents; default the site's inventory")
    pressure_bar: float | None = Field(None, gt=0, description="absolute tank pressure; default the inventory")
    temperature_c: float | None = Field(None, gt=-273.15)
    volume_m3: float | None = Field(None, gt=0)
    liquid_head_m: NonNeg = Field(1.0, description="liquid height above the hole")
    bund_area_m2: float | None = Field(None, gt=0, description="diked area that confines the pool")

    @model_validator(mode="after")
    def _check(self) -> "Release":
        if (self.site is None) == (self.at is None):
            raise ValueError("give exactly one of 'site' (a hazmat_site name) or 'at' ([x, y] in the city CRS)")
        if self.kind == "direct":
            if self.rate_kg_s is None and self.rates_kg_s is None:
                raise ValueError("a direct release needs rate_kg_s and duration_s, or times_s and rates_kg_s")
            if self.rate_kg_s is not None and self.rate_kg_s <= 0:
                raise ValueError(f"rate_kg_s must be > 0, got {self.rate_kg_s}")
            if self.rates_kg_s is not None:
                if any(r < 0 for r in self.rates_kg_s):
                    raise ValueError("rates_kg_s must be >= 0")
                if self.times_s is None or len(self.times_s) != len(self.rates_kg_s) + 1:
                    raise ValueError("times_s needs one more value than rates_kg_s (interval bounds)")
            elif self.duration_s is None:
                raise ValueError("a direct release with rate_kg_s needs duration_s")
        elif self.hole_diameter_m is None:
            raise ValueError(f"a {self.kind} release needs hole_diameter_m")
        return self


class WindShift(_Strict):
    """From ``at_s`` on, the wind blows from ``wind_from_deg`` at ``wind_speed_m_s``."""

    at_s: NonNeg
    wind_from_deg: float = Field(ge=0, le=360)
    wind_speed_m_s: float | None = Field(None, gt=0)


class Weather(_Strict):
    """Wind, stability and boundary layer.

    Stability: ``stability`` (Pasquill A-F) when given, else the Turner (1964) method from the
    wind, ``cloud_oktas``, ``ceiling_m`` and the sun's altitude at the scenario's start time.
    When ``ustar_m_s`` and ``monin_obukhov_m`` are given, dispersion uses the boundary-layer
    similarity model (Gryning et al. 1987) by default.
    """

    wind_speed_m_s: float = Field(description="mean wind at wind_height_m")
    wind_height_m: Pos = 10.0
    wind_from_deg: float = Field(ge=0, le=360, description="meteorological: where the wind comes from, clockwise from north")
    stability: str | None = Field(None, description="Pasquill class A-F; default from the Turner method")
    cloud_oktas: float = Field(4.0, ge=0, le=8)
    ceiling_m: float | None = Field(None, gt=0)
    roughness: Literal["rural", "urban"] | float = Field("urban", description="terrain class or z0 in metres")
    mixing_height_m: float | None = Field(None, gt=0)
    air_temperature_c: float = Field(25.0, gt=-60, lt=60)
    ground_temperature_c: float | None = Field(None, description="default the air temperature")
    ustar_m_s: float | None = Field(None, gt=0)
    monin_obukhov_m: float | None = None
    sigma_theta_deg: float | None = Field(None, gt=0, lt=90, description="st. dev. of wind direction")
    shifts: list[WindShift] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> "Weather":
        if self.wind_speed_m_s <= 0:
            raise ValueError("wind_speed_m_s must be > 0: in calm air the Gaussian model does not hold; "
                             "use 1 m/s with stability F as the conservative worst case")
        if (self.ustar_m_s is None) != (self.monin_obukhov_m is None):
            raise ValueError("give both ustar_m_s and monin_obukhov_m (similarity model) or neither")
        if self.monin_obukhov_m is not None and self.monin_obukhov_m == 0:
            raise ValueError("monin_obukhov_m cannot be 0 (use a large |L| for neutral air)")
        if any(b.at_s <= a.at_s for a, b in zip(self.shifts, self.shifts[1:])):
            raise ValueError("shifts must be in time order")
        return self


class Zones(_Strict):
    """Threat-zone levels: red/orange/yellow = level 3/2/1 of AEGL or ERPG, or given ppm."""

    guideline: Literal["AEGL", "ERPG", "custom"] = "AEGL"
    minutes: Literal[10, 30, 60] = Field(60, description="AEGL exposure duration")
    custom_ppm: tuple[float, float, float] | None = Field(None, description="red, orange, yellow thresholds")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="wind-direction confidence envelope")

    @model_validator(mode="after")
    def _check(self) -> "Zones":
        if self.guideline == "custom":
            if self.custom_ppm is None:
                raise ValueError("guideline 'custom' needs custom_ppm: [red, orange, yellow]")
            r, o, y = self.custom_ppm
            if not r > o > y > 0:
                raise ValueError("custom_ppm must decrease: red > orange > yellow > 0")
        return self


class Point(_Strict):
    """A place where the concentration time series is reported (outdoor and indoor)."""

    name: str
    at: XY
    air_changes_per_h: Pos = Field(0.5, description="building air-exchange rate (ALOHA default for sheltered homes ~0.5)")


class Evacuation(_Strict):
    """Evacuation of the people in the listed zones to shelters outside all zones; everyone
    else in a zone shelters in place (the usual advice for a toxic cloud beyond the near zone,
    e.g. the ERG protective-action guidance); each building in a zone gets its indoor peak and a
    protective action (:mod:`sim.hazmat.protective`)."""

    zones: list[Literal["red", "orange", "yellow"]] = Field(default_factory=lambda: ["red"])
    persons_per_vehicle: Pos = 2.5
    vehicle_share: float = Field(0.6, ge=0, le=1, description="share leaving by car; the rest are bussed at the same rate")
    departure_mean_min: Pos = Field(20.0, description="mean warning+preparation delay (Rayleigh departure curve)")
    cluster_m: Pos = Field(250.0, description="buildings are grouped on a grid of this size")
    group_vehicles: int = Field(20, ge=1, description="vehicles simulated together (speed; the result is insensitive)")
    shelter_air_changes_per_h: Pos = Field(0.5, description="air changes per hour of a building sheltering in place "
                                           "(windows shut, ventilation off; ~0.3-1 for homes), for the indoor "
                                           "concentration of every building in a zone (protective action)")
    shelter_air_changes_by_use: dict[str, Pos] = Field(
        default_factory=dict, description="air changes per hour by building use (the buildings' 'use': residential, "
        "commercial, school, ...) where they differ from shelter_air_changes_per_h, e.g. {commercial: 1.0}")


class Ensemble(_Strict):
    """Perturbed-weather members for a probability-of-exceedance map."""

    members: int = Field(0, ge=0, le=100_000)
    wind_dir_sd_deg: NonNeg = 15.0
    wind_speed_sd_frac: NonNeg = Field(0.25, le=1)
    stability_spread: int = Field(1, ge=0, le=2, description="classes drawn uniformly within +/- this")
    level: Literal["red", "orange", "yellow"] = "orange"
    seed: int = 0
    workers: int = Field(0, ge=0, description="0: in this process on every core (numba threads; on one machine "
                         "this beats spawned processes, whose start-up costs seconds); N >= 2: N local processes")
    scheduler: str | None = Field(None, description="Dask scheduler address (tcp://host:8786) to run on a cluster")


class Params(_Strict):
    """Hazardous-chemical release scenario parameters."""

    release: Release
    weather: Weather
    zones: Zones = Field(default_factory=Zones)
    model: Literal["auto", "gaussian", "dense"] = Field("auto", description="auto: dense gas by the Richardson criterion")
    sigmas: Literal["auto", "pg_rural", "briggs_rural", "briggs_urban", "similarity"] = Field(
        "auto", description="auto: similarity when u*/L are given, else Briggs urban or PG rural by roughness")
    duration_s: Pos = Field(3600.0, description="simulated time from the start of the release")
    output_interval_s: Pos = 300.0
    extent_m: Pos = Field(8000.0, description="half-width of the square computation grid around the source")
    resolution_m: Pos = 20.0
    receptor_height_m: NonNeg = 1.5
    points: list[Point] = Field(default_factory=list)
    evacuation: Evacuation = Field(default_factory=Evacuation)
    ensemble: Ensemble = Field(default_factory=Ensemble)
