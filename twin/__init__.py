"""CityTwin: one model of a city feeding flood, green-wave, hazmat and crowd simulations.

``twin.load_city(path)`` reads a city folder; ``twin.City`` is the model.
"""
from __future__ import annotations

import os
from typing import Any

# numba's OpenMP threads spin between parallel regions by default; on a small shared machine
# (2 cores, other processes running) that costs about 8 ms per kernel call, ten times the work
# of a 0.2 M-cell flood step. Sleeping threads cost 0.01 ms. Set before OpenMP starts; a
# user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# numba's caches do not notice a changed callee in another file: drop them when any source changed
from twin.kernel_cache import drop_stale_caches  # noqa: E402

drop_stale_caches()

__version__ = "0.1.0"
__all__ = ["City", "load_city", "__version__"]


def __getattr__(name: str) -> Any:  # lazy: keep `import twin.errors` light
    if name in ("City", "load_city"):
        from twin import city

        return getattr(city, name)
    raise AttributeError(f"module 'twin' has no attribute {name!r}")
