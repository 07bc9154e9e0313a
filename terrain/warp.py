"""Reprojection, clipping and resampling of rasters (GDAL warper via rasterio).

Float rasters carry NaN as nodata through every warp: NaN source cells are
masked (they never leak into neighbours' interpolation weights) and
destination cells with no valid source are NaN.
"""
from __future__ import annotations

import math

import numpy as np
import rasterio.crs
import rasterio.warp
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling

from terrain.raster import Raster
from twin.errors import InputError

__all__ = ["reproject", "clip", "resample", "align_to", "RESAMPLING"]

#: Resampling names accepted by the functions here (GDAL's methods).
RESAMPLING: tuple[str, ...] = tuple(m.name for m in rasterio.warp.SUPPORTED_RESAMPLING)

_SNAP = 1e-9  # fraction of a cell treated as "on the cell edge"


def _resampling(name: str) -> Resampling:
    if name not in RESAMPLING:
        raise InputError(f"resampling={name!r}: expected one of {', '.join(RESAMPLING)}")
    return Resampling[name]


def _rio_crs(crs: CRS) -> rasterio.crs.CRS:
    return rasterio.crs.CRS.from_wkt(crs.to_wkt())


def _res_pair(res: float | tuple[float, float]) -> tuple[float, float]:
    rx, ry = (res, res) if np.isscalar(res) else res  # type: ignore[misc]
    rx, ry = float(rx), float(ry)
    if not (rx > 0 and ry > 0 and math.isfinite(rx) and math.isfinite(ry)):
        raise InputError(f"res={res!r}: expected a positive cell size or (x, y) pair")
    return rx, ry


def _warp(r: Raster, crs: CRS, transform: Affine, shape: tuple[int, int], resampling: str) -> Raster:
    method = _resampling(resampling)
    floating = np.issubdtype(r.data.dtype, np.floating)
    nodata = np.nan if floating else r.nodata
    dst = np.full(shape, np.nan if floating else (r.nodata or 0), dtype=r.data.dtype)
    rasterio.warp.reproject(
        source=np.ascontiguousarray(r.data), destination=dst,
        src_transform=r.transform, src_crs=_rio_crs(r.crs), src_nodata=nodata,
        dst_transform=transform, dst_crs=_rio_crs(crs), dst_nodata=nodata,
        resampling=method,
    )
    return Raster(dst, transform, crs, None if floating else r.nodata)


def reproject(r: Raster, dst_crs: CRS | str | int, *, res: float | tuple[float, float] | None = None,
              resampling: str = "bilinear") -> Raster:
    """Warp ``r`` into ``dst_crs`` on GDAL's default north-up grid covering its extent.

    Parameters
    ----------
    r : Raster
    dst_crs : pyproj.CRS, str or int
        Anything :meth:`pyproj.CRS.from_user_input` takes ("EPSG:4326", 4326).
    res : float or (float, float), optional
        Target cell size in ``dst_crs`` units; default keeps roughly the
        source cell count (``rasterio.warp.calculate_default_transform``).
    resampling : str
        A GDAL method name: "nearest", "bilinear", "cubic", "average", ...
    """
    crs = CRS.from_user_input(dst_crs)
    h, w = r.shape
    kw = {} if res is None else {"resolution": _res_pair(res)}
    transform, width, height = rasterio.warp.calculate_default_transform(
        _rio_crs(r.crs), _rio_crs(crs), w, h, *r.bounds, **kw)
    return _warp(r, crs, transform, (height, width), resampling)


def align_to(r: Raster, like: Raster, *, resampling: str = "bilinear") -> Raster:
    """Warp ``r`` onto the grid of ``like`` (its CRS, transform and shape); dtype of ``r`` kept."""
    return _warp(r, like.crs, like.transform, like.shape, resampling)


def resample(r: Raster, res: float | tuple[float, float], *, resampling: str = "bilinear") -> Raster:
    """Same CRS and origin (top-left corner), new cell size.

    The new grid has ``ceil(extent / res)`` cells each way, so it covers the
    whole source (possibly overhanging it by less than one cell, NaN there).
    "average" over an exact integer factor returns block means, conserving
    the mean.  Rotated transforms raise :class:`InputError`.
    """
    _require_north_up(r, "resample")
    rx, ry = _res_pair(res)
    left, bottom, right, top = r.bounds
    width = max(1, math.ceil((right - left) / rx - _SNAP))
    height = max(1, math.ceil((top - bottom) / ry - _SNAP))
    t = r.transform
    transform = Affine(math.copysign(rx, t.a), 0.0, t.c, 0.0, math.copysign(ry, t.e), t.f)
    return _warp(r, r.crs, transform, (height, width), resampling)


def clip(r: Raster, bounds: tuple[float, float, float, float]) -> Raster:
    """Cut out the cells of ``r`` that overlap ``bounds`` = (left, bottom, right, top) in ``r.crs``.

    The window is snapped outwards to whole cells (a bound within 1e-9 cell
    of a cell edge counts as on it), so the result's bounds contain
    ``bounds`` intersected with ``r.bounds``; values are copied unchanged.
    Raises :class:`InputError` when the boxes do not overlap with positive
    area, or for malformed bounds or a rotated transform.
    """
    _require_north_up(r, "clip")
    try:
        left, bottom, right, top = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise InputError(f"bounds={bounds!r}: expected (left, bottom, right, top)") from None
    if not (left < right and bottom < top):
        raise InputError(f"bounds={bounds!r}: expected left < right and bottom < top")
    inv = ~r.transform
    c0, r0 = inv.a * left + inv.c, inv.e * top + inv.f
    c1, r1 = inv.a * right + inv.c, inv.e * bottom + inv.f
    h, w = r.shape
    col_lo = max(0, math.floor(min(c0, c1) + _SNAP))
    col_hi = min(w, math.ceil(max(c0, c1) - _SNAP))
    row_lo = max(0, math.floor(min(r0, r1) + _SNAP))
    row_hi = min(h, math.ceil(max(r0, r1) - _SNAP))
    if col_lo >= col_hi or row_lo >= row_hi:
        raise InputError(f"bounds={tuple(bounds)}: no overlap with raster bounds {r.bounds} ({r.crs.to_string()})")
    data = r.data[row_lo:row_hi, col_lo:col_hi].copy()
    t = r.transform
    return Raster(data, Affine(t.a, 0.0, t.c + t.a * col_lo, 0.0, t.e, t.f + t.e * row_lo), r.crs, r.nodata)


def _require_north_up(r: Raster, what: str) -> None:
    if r.transform.b != 0 or r.transform.d != 0:
        raise InputError(f"{what}: rotated raster transforms are not supported ({r.transform})")
