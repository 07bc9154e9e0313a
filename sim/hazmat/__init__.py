"""Hazardous-chemical release: source terms, Gaussian plume/puff and dense-gas dispersion,
AEGL/ERPG threat zones, exposure, evacuation and crews on the twin, and weather ensembles.

``Params`` (scenario schema), ``run(city, params) -> HazmatResult``; kernels on plain arrays
in :mod:`sim.hazmat.kernels`.
"""
from sim.hazmat.model import run
from sim.hazmat.params import Params
from sim.hazmat.result import HazmatResult

__all__ = ["Params", "run", "HazmatResult"]
