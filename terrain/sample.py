"""Point sampling of a raster."""
from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from terrain import kernels
from terrain._common import as_float, choose
from terrain.raster import Raster

__all__ = ["sample"]


def sample(r: Raster, x: ArrayLike, y: ArrayLike, *,
           method: Literal["bilinear", "nearest"] = "bilinear") -> np.ndarray:
    """Raster values at points ``(x, y)`` given in ``r.crs``.

    Parameters
    ----------
    r : Raster
    x, y : array_like
        Coordinates, broadcast against each other.
    method : {"bilinear", "nearest"}
        ``"nearest"``: the value of the cell containing the point.
        ``"bilinear"``: interpolation between the four surrounding cell
        centres (exact for planes); within half a cell of the grid edge the
        edge values are held constant across the edge.

    Returns
    -------
    numpy.ndarray
        float64 of the broadcast shape; NaN outside the grid (cells are
        half-open: the right and bottom edges are outside), and NaN where a
        nodata cell carries non-zero interpolation weight.
    """
    choose("method", method, ("bilinear", "nearest"))
    xb, yb = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    inv = ~r.transform
    px = inv.a * xb + inv.b * yb + inv.c
    py = inv.d * xb + inv.e * yb + inv.f
    z = as_float(r)
    if z.dtype not in (np.float32, np.float64):
        z = z.astype(np.float64)
    fn = kernels.sample_bilinear if method == "bilinear" else kernels.sample_nearest
    out = fn(z, np.ascontiguousarray(px).ravel(), np.ascontiguousarray(py).ravel())
    return out.reshape(xb.shape)
