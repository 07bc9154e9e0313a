"""Burn building footprints into a DEM to make a surface model (DSM).

A cell belongs to a footprint when its centre lies inside the polygon
(GDAL's rasterisation rule, ``all_touched=False``); footprints covering no
cell centre are not burned.
"""
from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
from affine import Affine
from shapely.geometry.base import BaseGeometry

from terrain._common import as_float, choose
from terrain.raster import Raster
from twin.errors import CityError, InputError

__all__ = ["burn_buildings", "footprint_mask"]


def _polygons(dem: Raster, buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygonal, non-empty rows of ``buildings`` in ``dem.crs``."""
    if buildings.crs is None:
        raise CityError(f"buildings have no CRS; expected one (the DEM is in {dem.crs.to_string()})")
    b = buildings if buildings.crs == dem.crs else buildings.to_crs(dem.crs)
    g = b.geometry
    keep = g.notna() & ~g.is_empty & g.geom_type.isin(["Polygon", "MultiPolygon"])
    return b[keep.to_numpy()]


def _labels(dem: Raster, geoms: gpd.GeoSeries) -> np.ndarray:
    """int32 grid: 1 + position in ``geoms`` of the footprint covering each cell centre, 0 elsewhere.

    Where footprints overlap the later one wins.
    """
    if len(geoms) == 0:
        return np.zeros(dem.shape, np.int32)
    return rasterio.features.rasterize(
        zip(geoms, range(1, len(geoms) + 1)), out_shape=dem.shape, transform=dem.transform,
        fill=0, all_touched=False, dtype="int32",
    )


def _min_ground(dem: Raster, z: np.ndarray, geoms: gpd.GeoSeries) -> np.ndarray:
    """Lowest valid ``z`` under each footprint's cell centres (inf when there is none).

    One rasterisation covers most footprints; those it hides completely
    under later ones (or that cover no centre) are rasterised alone on
    their bounding-box window.  Partly overlapped footprints use their
    visible cells only.
    """
    lab = _labels(dem, geoms)
    m = lab > 0
    base = np.full(len(geoms) + 1, np.inf)
    np.fmin.at(base, lab[m], z[m])
    base = base[1:]
    seen = np.zeros(len(geoms), bool)
    seen[np.unique(lab[m]) - 1] = True
    for i in np.flatnonzero(~seen):
        rows, cols = _cells(dem, geoms.iloc[i])
        vals = z[rows, cols]
        vals = vals[~np.isnan(vals)]
        if vals.size:
            base[i] = vals.min()
    return base


def _cells(dem: Raster, geom: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the cells whose centre lies inside ``geom``, rasterised on its window only."""
    minx, miny, maxx, maxy = geom.bounds
    inv = ~dem.transform
    xs, ys = np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy])
    cs, rs = inv.a * xs + inv.b * ys + inv.c, inv.d * xs + inv.e * ys + inv.f
    h, w = dem.shape
    c0, c1 = max(0, int(np.floor(cs.min()))), min(w, int(np.ceil(cs.max())))
    r0, r1 = max(0, int(np.floor(rs.min()))), min(h, int(np.ceil(rs.max())))
    if c0 >= c1 or r0 >= r1:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    t = dem.transform
    wt = Affine(t.a, t.b, t.c + t.a * c0 + t.b * r0, t.d, t.e, t.f + t.d * c0 + t.e * r0)
    win = rasterio.features.rasterize([(geom, 1)], out_shape=(r1 - r0, c1 - c0), transform=wt,
                                      fill=0, all_touched=False, dtype="uint8")
    rows, cols = np.nonzero(win)
    return rows + r0, cols + c0


def footprint_mask(dem: Raster, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean grid of ``dem``'s shape: True where a cell centre lies inside a building footprint.

    Buildings are reprojected to ``dem.crs``; a missing CRS raises
    :class:`CityError`; non-polygonal geometries are ignored.
    """
    return _labels(dem, _polygons(dem, buildings).geometry) > 0


def burn_buildings(dem: Raster, buildings: gpd.GeoDataFrame, *, height_col: str = "height_m",
                   mode: Literal["add", "absolute"] = "add",
                   ground: Literal["min", "cell"] = "min") -> Raster:
    """DSM: ``dem`` with the cells inside building footprints raised to roof level.

    Parameters
    ----------
    dem : Raster
        Ground elevations (DTM).
    buildings : geopandas.GeoDataFrame
        Footprints with a CRS (reprojected to ``dem.crs`` when it differs).
    height_col : str
        Column holding heights in the DEM's vertical unit.  Rows with a
        missing (NaN) height are skipped.
    mode : {"add", "absolute"}
        "add": roof = ground + height (heights >= 0 required).
        "absolute": the column already holds the roof elevation.
    ground : {"min", "cell"}
        For ``mode="add"``: "min" (default) uses the footprint's lowest
        ground cell, giving one flat roof per building (LoD1 block; height
        measured from the lowest ground point); "cell" uses each cell's own
        ground, so the roof follows the terrain.

    Returns
    -------
    Raster
        Float copy of ``dem``.  Footprint cells become ``max(ground, roof)``
        (a DSM never dips below the DEM); nodata cells stay NaN.  Where
        footprints overlap, the higher roof wins (with ``ground="min"`` a
        partly overlapped footprint takes its minimum over its visible cells).
    """
    choose("mode", mode, ("add", "absolute"))
    choose("ground", ground, ("min", "cell"))
    if height_col not in buildings.columns:
        raise InputError(f"buildings: no column {height_col!r} (columns: {', '.join(map(str, buildings.columns))})")
    b = _polygons(dem, buildings)
    try:
        heights = pd.to_numeric(b[height_col], errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"buildings[{height_col!r}]: expected numbers ({exc})") from None
    ok = np.isfinite(heights)
    neg = heights[ok & (heights < 0)]
    if mode == "add" and neg.size:
        raise InputError(f"buildings[{height_col!r}]: {neg.size} negative heights (e.g. {neg[:5]}) with mode='add'")
    geoms, heights = b.geometry[ok], heights[ok]

    z = as_float(dem).copy()
    if len(geoms) == 0:
        return Raster(z, dem.transform, dem.crs, None)
    if mode == "add" and ground == "min":
        base = _min_ground(dem, z, geoms)
        keep = np.isfinite(base)  # footprints over no cell centre with valid ground
        geoms, roof = geoms[keep], base[keep] + heights[keep]
    else:
        roof = heights  # absolute, or relative to each cell's ground ("cell")
    # Draw lowest roofs first so the highest wins where footprints overlap.
    order = np.argsort(roof, kind="stable")
    lab = _labels(dem, geoms.iloc[order])
    m = lab > 0
    val = roof[order][lab[m] - 1]
    if mode == "add" and ground == "cell":
        val = z[m] + val
    z[m] = np.maximum(z[m], val)  # NaN ground stays NaN
    return Raster(z, dem.transform, dem.crs, None)
