"""A raster is an array, an affine transform and a CRS travelling together.

Float rasters keep nodata as NaN in memory (so numpy/numba code needs no
sentinel checks); the sentinel is written back on save.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS

from twin.errors import InputError

NODATA_F32 = -9999.0


@dataclass
class Raster:
    """2-D grid: ``data[row, col]``, ``transform`` maps (col, row) to (x, y) in ``crs``.

    ``data`` is float32/float64 with NaN for nodata, or an integer array.
    """

    data: np.ndarray
    transform: Affine
    crs: CRS
    nodata: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.data.ndim != 2:
            raise InputError(f"raster data must be 2-D, got shape {self.data.shape}")
        self.crs = CRS.from_user_input(self.crs)

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape  # type: ignore[return-value]

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (dx, dy) in CRS units, both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        h, w = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (w, h)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def xy(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates of (rows, cols)."""
        t = self.transform
        c = np.asarray(cols, dtype=float) + 0.5
        r = np.asarray(rows, dtype=float) + 0.5
        return t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer (row, col) of the cells containing points (x, y); may be out of range."""
        t = ~self.transform
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        c, r = t.a * xa + t.b * ya + t.c, t.d * xa + t.e * ya + t.f
        return np.floor(r).astype(np.int64), np.floor(c).astype(np.int64)

    def copy(self, data: np.ndarray | None = None) -> "Raster":
        return Raster(self.data.copy() if data is None else data, self.transform, self.crs, self.nodata)

    def equals(self, other: "Raster") -> bool:
        """Exact equality of grid, CRS and values (NaN == NaN)."""
        return (
            self.shape == other.shape
            and self.transform == other.transform
            and self.crs == other.crs
            and np.array_equal(self.data, other.data, equal_nan=np.issubdtype(self.data.dtype, np.floating))
        )


def read_raster(path: str | os.PathLike, *, band: int = 1, dtype: str | None = "float32") -> Raster:
    """Read one band of a GeoTIFF (or any GDAL raster); nodata becomes NaN for float output.

    Raises :class:`InputError` naming the file when it is missing, unreadable,
    has no CRS, or holds nothing but nodata.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found (expected a GeoTIFF raster)")
    try:
        with rasterio.open(p) as src:
            if src.crs is None:
                raise InputError(f"{p}: raster has no CRS (expected a projected CRS such as EPSG:4547)")
            arr = src.read(band)
            nod = src.nodata
            transform, crs = src.transform, CRS.from_wkt(src.crs.to_wkt())
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{p}: not a readable raster ({exc})") from None
    if dtype is not None and np.dtype(dtype).kind == "f":
        out = arr.astype(dtype)
        if nod is not None:
            mask = np.isclose(arr, nod) if np.issubdtype(arr.dtype, np.floating) else arr == nod
            out[mask] = np.nan
        if not np.isfinite(out).any():
            raise InputError(f"{p}: every cell is nodata (nodata={nod}); expected elevation values")
        return Raster(out, transform, crs, None)
    return Raster(arr, transform, crs, nod)


def write_raster(raster: Raster | list[Raster], path: str | os.PathLike, *, compress: str = "deflate",
                 band_names: list[str] | None = None) -> Path:
    """Write one raster (or several on the same grid, as bands) to a GeoTIFF atomically.

    The file is written next to its target under a temporary name and renamed
    into place, so an interrupted write never leaves a complete-looking file.
    """
    rasters = raster if isinstance(raster, list) else [raster]
    r0 = rasters[0]
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    floating = np.issubdtype(r0.data.dtype, np.floating)
    nodata = NODATA_F32 if floating else r0.nodata
    profile = dict(
        driver="GTiff", height=r0.shape[0], width=r0.shape[1], count=len(rasters),
        dtype=r0.data.dtype.name, crs=r0.crs.to_wkt(), transform=r0.transform,
        compress=compress, nodata=nodata, tiled=r0.shape[0] >= 256 and r0.shape[1] >= 256,
    )
    if compress in ("deflate", "lzw"):
        profile["predictor"] = 3 if floating else 2
    try:
        with rasterio.open(tmp, "w", **profile) as dst:
            for i, r in enumerate(rasters, start=1):
                if r.shape != r0.shape or r.transform != r0.transform:
                    raise InputError(f"{p}: band {i} is not on the grid of band 1")
                a = r.data
                if floating:
                    a = np.where(np.isnan(a), NODATA_F32, a).astype(r0.data.dtype)
                dst.write(a, i)
                if band_names:
                    dst.set_band_description(i, band_names[i - 1])
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()
    return p
