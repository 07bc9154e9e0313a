"""The city-only scenario: the city drawn with its layers and a summary (no simulation)."""
from sim.overview.model import Params, OverviewResult, run

__all__ = ["Params", "OverviewResult", "run"]
