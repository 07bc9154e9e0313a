"""Emergency drills on the twin: a contingency plan rehearsed on a timeline of hazards (flood,
toxic release, landslide), with rescue resources matched (MILP) and routed over the network as
the hazards change it, people evacuated to shelters, and an after-action review comparing plan
variants. ``Params`` is the drill file's schema; ``run(city, params)`` returns a DrillResult."""
from sim.drill.model import run
from sim.drill.params import Params

__all__ = ["Params", "run"]
