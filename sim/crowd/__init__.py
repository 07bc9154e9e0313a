"""Tourist crowds: holiday calendar, LB/T 034-2014 carrying capacity, holiday-aware arrival
forecasts, the SimPy scenic network (gates, parking, shuttles, diversion, road loads) and a
pedestrian micro-simulation of gates and narrow paths.

``Params`` (scenario schema), ``run(city, params) -> CrowdResult`` (or ``GateResult`` for a
scenario with a ``gate`` section).
"""
from sim.crowd.gate_result import GateResult
from sim.crowd.model import run
from sim.crowd.params import Params
from sim.crowd.result import CrowdResult

__all__ = ["Params", "run", "CrowdResult", "GateResult"]
