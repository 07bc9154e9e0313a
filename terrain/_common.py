"""Small helpers shared by the terrain modules (not public)."""
from __future__ import annotations

import numpy as np

from terrain.raster import Raster
from twin.errors import InputError


def as_float(r: Raster, dtype: type | None = None) -> np.ndarray:
    """``r.data`` as a C-contiguous float array with NaN for nodata (no copy when possible).

    Float data keeps its dtype unless ``dtype`` is given; integer data becomes
    float64 with ``r.nodata`` cells set to NaN.
    """
    a = r.data
    if np.issubdtype(a.dtype, np.floating):
        return np.ascontiguousarray(a, dtype=dtype or a.dtype)
    out = a.astype(dtype or np.float64)
    if r.nodata is not None:
        out[a == r.nodata] = np.nan
    return out


def choose(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`InputError`."""
    if value not in allowed:
        raise InputError(f"{name}={value!r}: expected one of {', '.join(map(repr, allowed))}")
    return value


def require_projected(r: Raster, what: str) -> None:
    """Raise :class:`InputError` when ``r`` is in a geographic CRS (cell sizes in degrees)."""
    if r.crs.is_geographic:
        raise InputError(
            f"{what}: raster CRS {r.crs.to_string()} is geographic (degrees); "
            "reproject it to a projected CRS in metres first (terrain.reproject)"
        )
