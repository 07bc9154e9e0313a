"""Flood inundation: local-inertial 2-D shallow water on the twin, with impacts.

``Params`` (scenario schema), ``run(city, params) -> FloodResult``; the solver on plain
arrays is :func:`sim.flood.solver.simulate`.
"""
from sim.flood.model import run
from sim.flood.params import Params
from sim.flood.result import FloodResult

__all__ = ["Params", "run", "FloodResult"]
