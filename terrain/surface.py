"""Slope, aspect and hillshade from a DEM with Horn's 3x3 gradient.

Edges and nodata: the grid is padded by replicating its edge cells, and a
NaN neighbour is replaced by the centre cell's value, so every valid cell
gets a value and NaN cells stay NaN.  Replication halves the gradient across
the edge on the outermost ring of cells (e.g. a plane's slope reads
``atan(g / 2)`` there); use interior cells when that matters.
"""
from __future__ import annotations

import numpy as np

from terrain._common import as_float as _float_data, require_projected
from terrain.raster import Raster

__all__ = ["slope_deg", "aspect_deg", "hillshade"]


def _gradient(r: Raster, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dz/dx east, dz/dy north, nodata mask) in map units by Horn (1981).

    Horn's weights on the 3x3 window ``a b c / d e f / g h i`` (rows going
    down the array) give per-pixel derivatives, mapped to x/y through the
    inverse of the transform's linear part (handles any sign or rotation).
    """
    require_projected(r, what)
    z = _float_data(r, np.float64)
    nan = np.isnan(z)
    p = np.pad(z, 1, mode="edge")
    h, w = z.shape

    def win(dr: int, dc: int) -> np.ndarray:
        v = p[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
        return np.where(np.isnan(v), z, v)

    a, b, c = win(-1, -1), win(-1, 0), win(-1, 1)
    d, f = win(0, -1), win(0, 1)
    g, hh, i = win(1, -1), win(1, 0), win(1, 1)
    dz_dcol = ((c + 2 * f + i) - (a + 2 * d + g)) / 8.0
    dz_drow = ((g + 2 * hh + i) - (a + 2 * b + c)) / 8.0
    t = r.transform
    det = t.a * t.e - t.b * t.d
    gx = (t.e * dz_dcol - t.d * dz_drow) / det
    gy = (t.a * dz_drow - t.b * dz_dcol) / det
    return gx, gy, nan


def slope_deg(r: Raster) -> Raster:
    """Slope angle in degrees, 0 (flat) .. 90, float64; NaN on nodata.

    ``atan(hypot(dz/dx, dz/dy))`` with Horn's (1981) 3x3 gradient: B. K. P.
    Horn, "Hill shading and the reflectance map", Proc. IEEE 69(1), 14-47.
    Elevations must be in the CRS's horizontal unit (metres); a geographic
    CRS raises :class:`InputError`.
    """
    gx, gy, nan = _gradient(r, "slope_deg")
    out = np.degrees(np.arctan(np.hypot(gx, gy)))
    out[nan] = np.nan
    return Raster(out, r.transform, r.crs, None)


def aspect_deg(r: Raster) -> Raster:
    """Downslope direction in degrees clockwise from north (grid north): 0 N, 90 E, 180 S, 270 W.

    Float64 in [0, 360); -1 on exactly flat cells (ESRI convention), NaN on
    nodata.  Horn (1981) gradient, as for :func:`slope_deg`.
    """
    gx, gy, nan = _gradient(r, "aspect_deg")
    out = np.degrees(np.arctan2(-gx, -gy)) % 360.0
    out[out >= 360.0] = 0.0
    out[(gx == 0) & (gy == 0)] = -1.0
    out[nan] = np.nan
    return Raster(out, r.transform, r.crs, None)


def hillshade(r: Raster, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0,
              z_factor: float = 1.0, as_float: bool = False) -> np.ndarray:
    """Lambertian hillshade for a sun at ``azimuth_deg`` (clockwise from north) and ``altitude_deg``.

    The standard ESRI / GDAL formula (Burrough & McDonnell 1998)::

        cos(zenith) cos(slope) + sin(zenith) sin(slope) cos(azimuth - aspect)

    evaluated as the dot product of the unit surface normal and the unit
    sun vector, clipped at 0 (self-shadow; cast shadows are not traced).
    Slope uses Horn's gradient scaled by ``z_factor``.

    Returns
    -------
    numpy.ndarray
        ``as_float=False``: uint8 ``round(255 * value)``, 0 also on nodata.
        ``as_float=True``: float64 in [0, 1], NaN on nodata.  A flat cell
        reads ``sin(altitude)`` (255 * that, rounded, as uint8).
    """
    gx, gy, nan = _gradient(r, "hillshade")
    gx = gx * z_factor
    gy = gy * z_factor
    az = np.radians(azimuth_deg)
    alt = np.radians(altitude_deg)
    lx, ly, lz = np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)
    v = (lz - gx * lx - gy * ly) / np.sqrt(1.0 + gx * gx + gy * gy)
    v = np.clip(v, 0.0, 1.0)
    if as_float:
        v[nan] = np.nan
        return v
    v[nan] = 0.0
    return np.rint(v * 255.0).astype(np.uint8)
