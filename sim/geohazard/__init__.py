"""Rainfall-triggered shallow-landslide warning on the city DEM.

SHALSTAB (Montgomery & Dietrich 1994): infinite-slope factor of safety with a steady-state
wetness index from D8 flow accumulation, soil parameters per class (``data/soils.csv``), the
critical steady rainfall per cell, and four-colour warning levels (blue/yellow/orange/red) per
slope unit for a forecast 24-h rainfall; a runout rule (Corominas 1996 angle of reach) finds the
roads a landslide on a warned slope reaches.  Equations in :mod:`sim.geohazard.shalstab`,
slope units, levels and runout in :mod:`sim.geohazard.warning`.
"""
from sim.geohazard.shalstab import (
    critical_rainfall_mm_day, factor_of_safety, load_soils, specific_catchment_area_m, wetness,
)
from sim.geohazard.warning import (
    GeohazardResult, Runout, WarningRules, landslide_runout, prepare_terrain, slope_units, warn,
)

__all__ = [
    "factor_of_safety", "wetness", "critical_rainfall_mm_day", "specific_catchment_area_m", "load_soils",
    "warn", "landslide_runout", "slope_units", "prepare_terrain", "GeohazardResult", "Runout", "WarningRules",
]
