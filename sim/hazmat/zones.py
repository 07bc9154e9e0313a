"""Threat zones: polygons where the concentration reaches each level, and the wind-direction
confidence envelope around them (as ALOHA draws them: red, orange, yellow and two lines).

Zones are nested (red inside orange inside yellow): each is the area where the maximum
concentration over the run reaches its level.
"""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from rasterio import features
from scipy.stats import norm
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon

from terrain.raster import Raster

LEVELS = ("red", "orange", "yellow")
ZONE_RGBA = {"red": [215, 25, 28, 150], "orange": [253, 141, 60, 130], "yellow": [255, 237, 111, 120]}

# Standard deviation of the horizontal wind direction by Pasquill class: midpoints of the
# sigma-theta ranges in EPA-454/R-99-005 (Meteorological Monitoring Guidance), Table 6-7.
SIGMA_THETA_DEG = {"A": 25.0, "B": 20.0, "C": 15.0, "D": 10.0, "E": 5.6, "F": 2.5}


def zone_polygons(conc: Raster, thresholds_kg_m3: dict[str, float], source_xy: tuple[float, float],
                  labels: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    """Polygons where ``conc`` (kg/m³, usually the maximum over time) ≥ each threshold.

    Returns one row per level that is reached: zone, threshold_kg_m3, label, area_m2,
    reach_m (farthest distance from the source), geometry (MultiPolygon, city CRS).
    """
    rows = []
    res = max(conc.res)
    inner = None
    for level in LEVELS:
        thr = thresholds_kg_m3.get(level)
        if thr is None:
            continue
        mask = np.asarray(conc.data >= thr)
        geom = _polygonize(mask, conc, res)
        if inner is not None and geom is not None:
            geom = shapely.union(geom, inner)  # keep the nesting exact after simplification
        inner = geom if geom is not None else inner
        rows.append({"zone": level, "threshold_kg_m3": float(thr), "label": (labels or {}).get(level, level),
                     "area_m2": float(geom.area) if geom is not None else 0.0,
                     "reach_m": _reach(geom, source_xy) if geom is not None else 0.0,
                     "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=conc.crs)
    return gdf[gdf.area_m2 > 0].reset_index(drop=True)


# The Briggs and Pasquill-Gifford dispersion coefficients are fitted to about 10 km (Hanna,
# Briggs & Hosker 1982, ch. 4), and ALOHA does not draw threat zones past 10 km because the
# wind rarely holds its speed and direction over the cloud's travel time that far (Jones et al.
# 2013, ALOHA 5.4.4 Technical Documentation, NOAA Tech. Memo. NOS OR&R 43).
FAR_FIELD_M = 10_000.0


def far_field_notes(zones: gpd.GeoDataFrame, transport_wind_m_s: float) -> list[str]:
    """One note per zone reaching past :data:`FAR_FIELD_M`, with the hours the cloud takes to
    get there at the transport wind: that part of the zone is indicative, not a forecast."""
    out = []
    for z in zones.itertuples(index=False):
        if z.reach_m > FAR_FIELD_M:
            hours = z.reach_m / max(float(transport_wind_m_s), 1e-9) / 3600.0
            out.append(f"the {z.zone} zone reaches {z.reach_m / 1000:.1f} km, past the {FAR_FIELD_M / 1000:.0f} km "
                       f"the dispersion coefficients are fitted to (and ALOHA draws zones to): the cloud takes "
                       f"{hours:.1f} h to get there, longer than one wind and stability usually hold, so read "
                       "its outer part as indicative")
    return out


def _polygonize(mask: np.ndarray, grid: Raster, res: float):
    if not mask.any():
        return None
    polys = [shapely.geometry.shape(g) for g, v in features.shapes(mask.astype(np.uint8), mask=mask,
                                                                     transform=grid.transform) if v == 1]
    geom = shapely.union_all(polys)
    # cell staircases to smooth outlines: a half-cell simplification keeps the area within ~1 %
    return shapely.make_valid(geom.simplify(res / 2, preserve_topology=True))


def _reach(geom, xy: tuple[float, float]) -> float:
    pts = shapely.get_coordinates(geom)
    return float(np.hypot(pts[:, 0] - xy[0], pts[:, 1] - xy[1]).max()) if len(pts) else 0.0


def confidence_envelope(zone: Polygon, source_xy: tuple[float, float], sigma_theta_deg: float,
                        confidence: float = 0.95, step_deg: float = 1.0):
    """The area the zone may cover when the mean wind direction is uncertain with a normal
    spread ``sigma_theta_deg``: the union of the zone rotated about the source over the central
    ``confidence`` interval of directions, plus the two confidence lines (source to the
    envelope's outermost points on each side), as ALOHA draws them."""
    half = float(norm.ppf(0.5 + confidence / 2) * sigma_theta_deg)
    half = min(half, 180.0)
    angles = np.arange(-half, half + 1e-9, step_deg) if half > 0 else np.array([0.0])
    rots = [affinity.rotate(zone, a, origin=source_xy) for a in angles]
    # the swept area: hulls of consecutive rotations fill the gaps between them (conservative
    # for a concave zone, exact for a convex one)
    parts = [shapely.union(a, b).convex_hull for a, b in zip(rots, rots[1:])] or rots
    env = shapely.make_valid(shapely.union_all(parts))
    lines = []
    reach = _reach(zone, source_xy)
    axis = _axis_deg(zone, source_xy)
    for side in (-1, 1):
        a = math.radians(axis + side * half)
        lines.append(LineString([source_xy, (source_xy[0] + reach * math.cos(a), source_xy[1] + reach * math.sin(a))]))
    return env, lines


def _axis_deg(zone: Polygon, xy: tuple[float, float]) -> float:
    """Direction (maths convention, degrees) from the source to the zone's farthest point."""
    pts = shapely.get_coordinates(zone)
    d = np.hypot(pts[:, 0] - xy[0], pts[:, 1] - xy[1])
    far = pts[int(np.argmax(d))]
    return math.degrees(math.atan2(far[1] - xy[1], far[0] - xy[0]))


def in_zone(geoms: gpd.GeoSeries, zones: gpd.GeoDataFrame) -> np.ndarray:
    """The most severe zone ('red' > 'orange' > 'yellow') each geometry intersects, else ''."""
    out = np.full(len(geoms), "", dtype=object)
    for level in reversed(LEVELS):  # yellow first, red last wins
        z = zones[zones.zone == level]
        if len(z):
            hit = shapely.intersects(np.asarray(geoms.values), z.geometry.iloc[0])
            out[hit] = level
    return out


def upwind_point(source_xy: tuple[float, float], wind_from_deg: float, distance_m: float) -> Point:
    """The point ``distance_m`` upwind of the source (where crews stage)."""
    a = math.radians(wind_from_deg)
    return Point(source_xy[0] + distance_m * math.sin(a), source_xy[1] + distance_m * math.cos(a))
