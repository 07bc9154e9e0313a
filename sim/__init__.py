"""Simulations. Each subpackage exports ``Params`` (pydantic) and ``run(city, params, *, progress) -> Result``.

:data:`REGISTRY` maps a scenario's ``simulation:`` name to its package; a new
simulation is one subpackage and one line here.
"""
from __future__ import annotations

from types import ModuleType

from sim import flood, overview

REGISTRY: dict[str, ModuleType] = {
    "overview": overview,
    "flood": flood,
}
