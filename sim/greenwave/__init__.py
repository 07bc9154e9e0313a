"""Green-wave signal timing on arterial corridors: corridor from the twin's roads, Webster
timing, MAXBAND/MULTIBAND bands, a delay-optimised plan, adaptive modes, a numba
micro-simulator checked against SUMO, time-of-day plans and emergency green waves.

``Params`` (scenario schema), ``run(city, params) -> GreenwaveResult``.
"""
from sim.greenwave.model import run
from sim.greenwave.params import Params
from sim.greenwave.result import GreenwaveResult

__all__ = ["Params", "run", "GreenwaveResult"]
