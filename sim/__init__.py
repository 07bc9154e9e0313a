"""Simulations. Each subpackage exports ``Params`` (pydantic) and
``run(city, params, *, progress, start) -> Result`` (``start``: the scenario's wall-clock time of
t = 0, a tz-aware datetime, or None).

:data:`REGISTRY` maps a scenario's ``simulation:`` name to its package; a new
simulation is one subpackage and one line here.
"""
from __future__ import annotations

from types import ModuleType

from sim import crowd, drill, flood, greenwave, hazmat, overview

REGISTRY: dict[str, ModuleType] = {
    "overview": overview,
    "flood": flood,
    "hazmat": hazmat,
    "greenwave": greenwave,
    "crowd": crowd,
    "drill": drill,
}
