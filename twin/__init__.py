"""CityTwin: one model of a city feeding flood, green-wave, hazmat and crowd simulations.

``twin.load_city(path)`` reads a city folder; ``twin.City`` is the model.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["City", "load_city", "__version__"]


def __getattr__(name: str) -> Any:  # lazy: keep `import twin.errors` light
    if name in ("City", "load_city"):
        from twin import city

        return getattr(city, name)
    raise AttributeError(f"module 'twin' has no attribute {name!r}")
