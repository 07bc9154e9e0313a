"""Slope units, four-colour landslide warnings for a forecast rain, and landslide runout to the roads.

Pipeline (:func:`warn`): DEM -> Horn slope, D8 directions and accumulation (:mod:`terrain`) ->
specific catchment area a/b -> SHALSTAB critical rainfall q_c per cell (:mod:`.shalstab`) ->
slope units (:func:`slope_units`) -> per unit, the share of cells that fail at the forecast
24-h rain -> warning level (:class:`WarningRules`).  :func:`landslide_runout` follows a slide
from a unit (or a point) down the D8 path to where the Corominas (1996) energy line meets the
ground and lists the road edges its footprint reaches.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from numba import njit
from shapely.geometry import LineString, Point, shape

from sim.geohazard.shalstab import (
    CONDITIONAL, G_M_S2, UNCONDITIONALLY_UNSTABLE, check_soils, critical_rainfall_mm_day, factor_of_safety,
    load_soils, specific_catchment_area_m, stability_class, wetness,
)
from terrain.hydro import fill_depressions, flow_accumulation, flow_direction_d8
from terrain.kernels import D8_DC, D8_DR, D8_NODATA
from terrain.raster import Raster
from terrain.surface import slope_deg
from twin.errors import InputError
from twin.routing import edges_hitting, without_edges

LEVELS = ("none", "blue", "yellow", "orange", "red")
LEVEL_COLORS: dict[str, list[int]] = {
    "none": [0, 0, 0, 0], "blue": [30, 110, 230, 160], "yellow": [250, 215, 0, 170],
    "orange": [250, 130, 0, 190], "red": [220, 20, 30, 210],
}
DEFAULT_SOIL = "red_earth_forest"

# Corominas (1996), "The angle of reach as a mobility index for small and large landslides",
# Can. Geotech. J. 33, 260-271: log10(H/L) = A + B log10(V / m3), regression for debris flows,
# debris slides and debris avalanches, all paths (N = 71, r2 = 0.76).
COROMINAS_A = -0.012
COROMINAS_B = -0.105
# Rollover (most frequent) area of rainfall-triggered landslide inventories, ~400 m2: Malamud et
# al. (2004), "Landslide inventories and their statistical properties", ESPL 29, 687-711.
TYPICAL_LANDSLIDE_AREA_M2 = 400.0

__all__ = [
    "LEVELS", "LEVEL_COLORS", "WarningRules", "PreparedTerrain", "GeohazardResult", "Runout", "prepare_terrain",
    "slope_units", "rain_24h_mm", "soil_index_grid", "warning_levels", "warn", "reach_tan", "runout_path",
    "landslide_runout",
]


# --------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class WarningRules:
    """How a unit's share of failing cells and the 24-h rain make a warning level (0 none .. 4 red).

    The four levels are those of China's geohazard meteorological-risk warnings (QX/T 487-2019,
    "Meteorological risk early warning levels of geological disaster induced by torrential
    rain"): IV "some risk", III "relatively high", II "high", I "very high", issued as blue,
    yellow, orange and red.  The numbers below are this model's choice, not the standard's
    (which ranks a regional risk index, not SHALSTAB output):

    * susceptibility under the forecast: the share of the unit's area where SHALSTAB fails at
      the forecast rain (``q_c <= rain``, cells that fail dry excluded: they are rock faces or
      cuts that rain does not trigger) -- blue >= ``share_blue``, yellow >= ``share_yellow``,
      orange >= ``share_orange``, red >= ``share_red``;
    * rain cap: the level may not exceed the cap of the 24-h rain's grade in GB/T 28592-2012
      "Grade of precipitation" (24-h: moderate 10-24.9 mm, heavy 25-49.9, rainstorm 50-99.9,
      heavy rainstorm >= 100): ``rain_caps`` lists (lower bound mm, highest level); below the
      first bound no warning is issued.  Default: moderate -> at most blue, heavy -> yellow,
      rainstorm -> orange, heavy rainstorm and above -> red.

    The level is the smaller of the two, so both the slope and the rain must be serious.
    """

    share_blue: float = 0.005
    share_yellow: float = 0.02
    share_orange: float = 0.05
    share_red: float = 0.10
    rain_caps: tuple[tuple[float, int], ...] = ((10.0, 1), (25.0, 2), (50.0, 3), (100.0, 4))

    def __post_init__(self) -> None:
        s = (self.share_blue, self.share_yellow, self.share_orange, self.share_red)
        if not (0.0 < s[0] <= s[1] <= s[2] <= s[3] <= 1.0):
            raise InputError(f"warning share thresholds {s}: expected 0 < blue <= yellow <= orange <= red <= 1")
        bounds = [b for b, _ in self.rain_caps]
        caps = [lv for _, lv in self.rain_caps]
        if bounds != sorted(bounds) or any(not 0 <= lv <= 4 for lv in caps) or caps != sorted(caps):
            raise InputError(f"rain_caps={self.rain_caps!r}: expected increasing (mm, level 0..4) pairs")


def warning_levels(share_failing: np.ndarray, rain_mm_24h: float, rules: WarningRules | None = None) -> np.ndarray:
    """int8 level per unit (0 none, 1 blue, 2 yellow, 3 orange, 4 red), see :class:`WarningRules`."""
    rules = rules or WarningRules()
    s = np.asarray(share_failing, dtype=float)
    lv = (s >= rules.share_blue).astype(np.int8) + (s >= rules.share_yellow) + (s >= rules.share_orange) \
        + (s >= rules.share_red)
    cap = 0
    for bound, level in rules.rain_caps:
        if rain_mm_24h >= bound:
            cap = level
    return np.minimum(lv, cap).astype(np.int8)


def rain_24h_mm(rain: float | Sequence[float] | np.ndarray, dt_h: float = 1.0) -> float:
    """The 24-h rainfall (mm) that drives the steady state: a number is taken as the 24-h total;
    a hyetograph (depth per step of ``dt_h`` hours, mm) gives its largest 24-h running total
    (its whole total when shorter than a day)."""
    a = np.asarray(rain, dtype=float)
    if a.ndim == 0:
        v = float(a)
        if not (np.isfinite(v) and v >= 0):
            raise InputError(f"rain_mm_24h={rain!r}: expected a finite depth >= 0 mm")
        return v
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)) or np.any(a < 0):
        raise InputError("rain hyetograph: expected a 1-D sequence of finite depths >= 0 mm per step")
    n = int(round(24.0 / dt_h)) if dt_h > 0 else 0
    if n < 1 or abs(n * dt_h - 24.0) > 1e-9:
        raise InputError(f"dt_h={dt_h!r}: expected a step in hours that divides 24")
    if a.size <= n:
        return float(a.sum())
    c = np.concatenate([[0.0], np.cumsum(a)])
    return float(np.max(c[n:] - c[:-n]))


# --------------------------------------------------------------------------- slope units
@njit(cache=True)
def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _side(fdir: np.ndarray, w: int, src: int, dst: int) -> int:
    """0/1: which bank of channel cell ``dst`` the cell ``src`` enters from (sign of the cross
    product of dst's outflow vector and the vector dst -> src); 0 when collinear."""
    k = fdir[dst // w, dst % w]
    if k < 0:
        return 0
    dr = src // w - dst // w
    dc = src % w - dst % w
    cross = D8_DC[k] * dr - D8_DR[k] * dc
    return 1 if cross > 0 else 0


@njit(cache=True)
def _slope_units_kernel(fdir: np.ndarray, acc: np.ndarray, channel: np.ndarray, seg_len: int,
                        min_cells: int) -> np.ndarray:
    """Raw unit id per cell (-1 nodata); see :func:`slope_units`."""
    h, w = fdir.shape
    n = h * w
    ds = np.full(n, -1, np.int64)
    for r in range(h):
        for c in range(w):
            k = fdir[r, c]
            if k >= 0:
                rr = r + D8_DR[k]
                cc = c + D8_DC[k]
                if 0 <= rr < h and 0 <= cc < w and fdir[rr, cc] != D8_NODATA:
                    ds[r * w + c] = rr * w + cc
    ch = channel.ravel()
    indeg = np.zeros(n, np.int32)
    for i in range(n):
        if ch[i] and ds[i] >= 0 and ch[ds[i]]:
            indeg[ds[i]] += 1
    # channel links: from a head (no or several channel donors) down to the next head
    link = np.full(n, -1, np.int64)
    link_out = np.empty(n, np.int64)
    nlink = 0
    for i in range(n):
        if ch[i] and indeg[i] != 1:
            cur = i
            link[cur] = nlink
            nxt = ds[cur]
            while nxt >= 0 and ch[nxt] and indeg[nxt] == 1:
                cur = nxt
                link[cur] = nlink
                nxt = ds[cur]
            link_out[nlink] = cur
            nlink += 1
    ring = 2 * (w - 1) + 2 * (h - 1) if h > 1 and w > 1 else max(h, w)
    npieces = ring // seg_len + 1
    base = 2 * nlink
    nraw = base + npieces + n
    lab = np.full(n, -2, np.int64)
    f = fdir.ravel()
    for i in range(n):
        if f[i] == D8_NODATA:
            lab[i] = -1
        elif ch[i]:
            lab[i] = 2 * link[i]
    stack = np.empty(n, np.int64)
    interior = 0
    for i in range(n):
        if lab[i] != -2:
            continue
        top = 0
        cur = i
        val = -1
        while True:
            stack[top] = cur
            top += 1
            nxt = ds[cur]
            if nxt < 0:  # leaves the grid (or a sink) without meeting a channel
                r = cur // w
                c = cur % w
                if r == 0:
                    p = c
                elif c == w - 1:
                    p = (w - 1) + r
                elif r == h - 1:
                    p = (w - 1) + (h - 1) + (w - 1 - c)
                elif c == 0:
                    p = 2 * (w - 1) + (h - 1) + (h - 1 - r)
                else:
                    p = -1
                if p >= 0:
                    val = base + p // seg_len
                else:
                    val = base + npieces + interior
                    interior += 1
                break
            if ch[nxt]:
                val = 2 * link[nxt] + _side(fdir, w, cur, nxt)
                break
            if lab[nxt] != -2:
                val = lab[nxt]
                break
            cur = nxt
        for j in range(top):
            lab[stack[j]] = val
    # merge units smaller than min_cells: a bank into the other bank, a link into the unit it drains to,
    # a boundary piece into the next piece along the boundary (union-find, upstream links first)
    parent = np.arange(nraw)
    size = np.zeros(nraw, np.int64)
    for i in range(n):
        if lab[i] >= 0:
            size[lab[i]] += 1
    accf = acc.ravel()
    outacc = np.empty(nlink)
    for L in range(nlink):
        outacc[L] = accf[link_out[L]]
    for L in np.argsort(outacc):
        for s in range(2):
            a = _find(parent, 2 * L + s)
            b = _find(parent, 2 * L + 1 - s)
            if a != b and size[a] < min_cells:
                parent[a] = b
                size[b] += size[a]
        a = _find(parent, 2 * L)
        o = link_out[L]
        d = ds[o]
        if size[a] < min_cells and d >= 0 and ch[d]:
            b = _find(parent, 2 * link[d] + _side(fdir, w, o, d))
            if a != b:
                parent[a] = b
                size[b] += size[a]
    for p in range(npieces):
        a = _find(parent, base + p)
        if 0 < size[a] < min_cells:
            b = _find(parent, base + (p + 1) % npieces)
            if a != b:
                parent[a] = b
                size[b] += size[a]
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = _find(parent, lab[i]) if lab[i] >= 0 else -1
    return out.reshape(h, w)


def slope_units(fdir: np.ndarray, acc_cells: np.ndarray, cell_area_m2: float, *, unit_area_m2: float = 5e4,
                min_unit_area_m2: float | None = None, boundary_piece_m: float | None = None,
                cell_size_m: float = 5.0) -> np.ndarray:
    """Half-basin slope units from D8 (int32 ids 0..n-1, -1 on nodata).

    Channels are the cells draining at least ``unit_area_m2``; the channel network is cut into
    links at its heads and junctions, and every cell belongs to the link its flow first reaches,
    on the bank (left / right of the channel's flow) it enters from -- the half-basin slope units
    of Carrara et al. (1991, ESPL 16, 427-445) and Alvioli et al. (2016, GMD 9, 3975-3991), here by
    D8 labelling rather than by their ridge/valley polygons.  Hillslope cells that leave the grid
    before meeting a channel are grouped by pieces of ``boundary_piece_m`` (default
    sqrt(unit_area_m2)) of the grid boundary.  Units under ``min_unit_area_m2`` (default a quarter
    of ``unit_area_m2``) are merged: a bank into the other bank, a link into the unit it drains
    into, a boundary piece into the next one.
    """
    if not unit_area_m2 > 0:
        raise InputError(f"unit_area_m2={unit_area_m2!r}: expected a channel-initiation area > 0 m2")
    min_area = unit_area_m2 / 4.0 if min_unit_area_m2 is None else float(min_unit_area_m2)
    piece_m = float(np.sqrt(unit_area_m2)) if boundary_piece_m is None else float(boundary_piece_m)
    f = np.ascontiguousarray(fdir, dtype=np.int8)
    acc = np.ascontiguousarray(np.nan_to_num(np.asarray(acc_cells, dtype=float), nan=0.0))
    channel = acc * cell_area_m2 >= unit_area_m2
    seg = max(1, int(round(piece_m / cell_size_m)))
    raw = _slope_units_kernel(f, acc, channel, seg, max(1, int(round(min_area / cell_area_m2))))
    ids = np.full(raw.shape, -1, np.int32)
    ok = raw >= 0
    ids[ok] = np.unique(raw[ok], return_inverse=True)[1].astype(np.int32)
    return ids


def _unit_polygons(ids: np.ndarray, dem: Raster) -> gpd.GeoSeries:
    """One (Multi)Polygon per unit id, from the label raster.  Pieces are the 4-connected components of
    a label, so two pieces of one unit touch at most at a corner: a valid MultiPolygon without a union."""
    n = int(ids.max()) + 1 if ids.size and ids.max() >= 0 else 0
    parts: list[list[Any]] = [[] for _ in range(n)]
    for geom, val in rasterio.features.shapes(ids, mask=ids >= 0, transform=dem.transform, connectivity=4):
        parts[int(val)].append(shape(geom))
    geoms = [p[0] if len(p) == 1 else shapely.MultiPolygon(p) for p in parts]
    return gpd.GeoSeries(geoms, crs=dem.crs)


# --------------------------------------------------------------------------- terrain + soils
@dataclass
class PreparedTerrain:
    """Everything that depends on the DEM only (reused across forecasts)."""

    dem: Raster
    slope_rad: np.ndarray
    filled_m: np.ndarray  # DEM with depressions filled to their spill level (Priority-Flood)
    fdir: np.ndarray  # int8 D8 index (terrain.hydro)
    acc_cells: np.ndarray
    a_over_b_m: np.ndarray
    unit_id: np.ndarray  # int32, -1 nodata
    unit_geom: gpd.GeoSeries  # index = unit id
    unit_area_m2: float


def prepare_terrain(dem: Raster, *, unit_area_m2: float = 5e4,
                    min_unit_area_m2: float | None = None) -> PreparedTerrain:
    """Slope (Horn 1981) of the DEM as surveyed, the depression-filled DEM, D8 directions and
    accumulation on the conditioned DEM (:mod:`terrain.hydro`), a/b with contour width = cell size,
    and slope units (:func:`slope_units`)."""
    dx, dy = dem.res
    slope = np.radians(slope_deg(dem).data)
    fdir = flow_direction_d8(dem)
    acc = flow_accumulation(fdir)
    ab = specific_catchment_area_m(acc, dx * dy, 0.5 * (dx + dy))
    ids = slope_units(fdir, acc, dx * dy, unit_area_m2=unit_area_m2, min_unit_area_m2=min_unit_area_m2,
                      cell_size_m=0.5 * (dx + dy))
    ids[np.isnan(slope)] = -1
    filled = np.asarray(fill_depressions(dem).data, dtype=float)
    return PreparedTerrain(dem, slope, filled, fdir, acc, ab, ids, _unit_polygons(ids, dem), float(unit_area_m2))


def soil_index_grid(soils: pd.DataFrame, soil_map: np.ndarray | Raster | None, shape_: tuple[int, int],
                    default_soil: str = DEFAULT_SOIL) -> np.ndarray:
    """Row of ``soils`` per cell (int): ``soil_map`` codes are row positions (0-based) in ``soils``,
    negative codes take ``default_soil``; no map: ``default_soil`` everywhere."""
    if default_soil not in soils.index:
        raise InputError(f"default_soil={default_soil!r}: expected one of {list(soils.index)}")
    d = int(soils.index.get_loc(default_soil))
    if soil_map is None:
        return np.full(shape_, d, np.int64)
    m = np.asarray(soil_map.data if isinstance(soil_map, Raster) else soil_map)
    if m.shape != shape_ or not np.issubdtype(m.dtype, np.integer):
        raise InputError(f"soil_map: expected an integer grid of the DEM's shape {shape_}, got {m.dtype} {m.shape}")
    if m.size and m.max() >= len(soils):
        raise InputError(f"soil_map code {int(m.max())}: expected -1 (default) or 0..{len(soils) - 1} (rows of soils)")
    return np.where(m < 0, d, m).astype(np.int64)


def _soil_grids(soils: pd.DataFrame, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Per-cell SHALSTAB parameters in SI units from the soil table rows ``idx``."""
    t = {c: soils[c].to_numpy(float)[idx] for c in soils.columns if c in (
        "cohesion_soil_kpa", "cohesion_root_kpa", "friction_angle_deg", "density_kg_m3", "soil_depth_m",
        "transmissivity_m2_day")}
    return {"cohesion_pa": 1e3 * (t["cohesion_soil_kpa"] + t["cohesion_root_kpa"]),
            "phi_rad": np.radians(t["friction_angle_deg"]), "soil_depth_m": t["soil_depth_m"],
            "gamma_s": t["density_kg_m3"] * G_M_S2, "transmissivity_m2_day": t["transmissivity_m2_day"]}


# --------------------------------------------------------------------------- warn
@dataclass
class GeohazardResult:
    """Warning for one forecast: per-unit table and the cell rasters behind it.

    ``units`` columns: unit, area_m2, slope_max_deg, share_failing (share of the unit's cells with
    finite q_c <= rain: rain-triggered), share_chronic (cells failing dry), fs_min (lowest factor of
    safety at the forecast rain), qc_min_mm_day (lowest finite q_c), level (0..4), level_name,
    geometry.  ``qc_mm_day``: critical rain (inf unconditionally stable, 0 unconditionally
    unstable); ``fs``: factor of safety at the forecast rain; ``stability``: int8 class
    (:mod:`.shalstab` constants).
    """

    title: str
    rain_mm_24h: float
    units: gpd.GeoDataFrame
    qc_mm_day: Raster
    fs: Raster
    stability: Raster
    terrain: PreparedTerrain
    soils: pd.DataFrame
    soil_index: np.ndarray
    rules: WarningRules
    runtime_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> np.ndarray:
        """Cells SHALSTAB fails at the forecast rain (rain-triggered: conditional cells with q_c <= rain)."""
        return (self.stability.data == CONDITIONAL) & (self.qc_mm_day.data <= self.rain_mm_24h)

    def warned_units(self, min_level: int = 1) -> gpd.GeoDataFrame:
        return self.units[self.units.level >= min_level]

    def summary(self) -> dict:
        valid = self.stability.data >= 0
        nvalid = max(int(valid.sum()), 1)
        area = float(self.units.area_m2.sum())
        warned = self.units.level >= 1
        return {
            "rain_mm_24h": self.rain_mm_24h,
            "units": int(len(self.units)),
            "units_by_level": {LEVELS[k]: int((self.units.level == k).sum()) for k in range(5)},
            "warned_area_km2": float(self.units.area_m2[warned].sum()) / 1e6,
            "warned_area_share": float(self.units.area_m2[warned].sum()) / area if area > 0 else 0.0,
            "failing_cell_share": float(self.failing.sum()) / nvalid,
            "chronic_cell_share": float((self.stability.data == UNCONDITIONALLY_UNSTABLE).sum()) / nvalid,
            "unconditionally_stable_cell_share": float((self.stability.data == 0).sum()) / nvalid,
            "runtime_s": self.runtime_s,
        }


@njit(cache=True)
def _unit_stats(ids: np.ndarray, fs: np.ndarray, qc: np.ndarray, cls: np.ndarray, slope: np.ndarray,
                rain: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cnt = np.zeros(n, np.int64)
    fail = np.zeros(n, np.int64)
    chron = np.zeros(n, np.int64)
    fs_min = np.full(n, np.inf)
    qc_min = np.full(n, np.inf)
    s_max = np.zeros(n)
    h, w = ids.shape
    for r in range(h):
        for c in range(w):
            u = ids[r, c]
            if u < 0:
                continue
            cnt[u] += 1
            if cls[r, c] == 1:
                if qc[r, c] <= rain:
                    fail[u] += 1
                if qc[r, c] < qc_min[u]:
                    qc_min[u] = qc[r, c]
            elif cls[r, c] == 2:
                chron[u] += 1
            if fs[r, c] < fs_min[u]:
                fs_min[u] = fs[r, c]
            if slope[r, c] > s_max[u]:
                s_max[u] = slope[r, c]
    return cnt, fail, chron, fs_min, qc_min, s_max


def warn(city: Any, rain_mm_24h: float | Sequence[float] | np.ndarray, *, dt_h: float = 1.0,
         soils: pd.DataFrame | str | None = None, soil_map: np.ndarray | Raster | None = None,
         default_soil: str = DEFAULT_SOIL, rules: WarningRules | None = None, unit_area_m2: float = 5e4,
         prepared: PreparedTerrain | None = None) -> GeohazardResult:
    """Shallow-landslide warning levels per slope unit for a forecast rain on ``city.terrain``.

    Parameters
    ----------
    city : twin City (``terrain`` used; ``roads`` later by :func:`landslide_runout`)
    rain_mm_24h : 24-h rainfall (mm), or a hyetograph of depths per ``dt_h`` hours (its largest
        24-h total is used).  SHALSTAB's steady recharge q is taken as this depth per day
        (M&D 1994 use storm rainfall as q; no interception or deep-drainage losses, so q is an
        upper bound and the warning errs on the safe side).
    soils : soil table (:func:`.shalstab.load_soils` form) or a CSV path; default ``data/soils.csv``
    soil_map : integer grid of rows of ``soils`` per cell (-1: ``default_soil``), or None
    rules : :class:`WarningRules`
    unit_area_m2 : channel-initiation area of the slope units (:func:`slope_units`)
    prepared : a :class:`PreparedTerrain` from an earlier call (``result.terrain``) to skip the
        DEM work when only the rain changes
    """
    t0 = time.perf_counter()
    rain = rain_24h_mm(rain_mm_24h, dt_h)
    if isinstance(soils, pd.DataFrame):
        table = check_soils(soils)
    else:
        table = load_soils(soils)
    rules = rules or WarningRules()
    dem = city.terrain
    pt = prepared if prepared is not None else prepare_terrain(dem, unit_area_m2=unit_area_m2)
    if pt.dem.shape != dem.shape or pt.dem.transform != dem.transform:
        raise InputError("prepared: terrain was prepared on another grid; expected city.terrain's grid")
    idx = soil_index_grid(table, soil_map, dem.shape, default_soil)
    p = _soil_grids(table, idx)
    th = pt.slope_rad
    qc = critical_rainfall_mm_day(th, pt.a_over_b_m, p["cohesion_pa"], p["phi_rad"], p["soil_depth_m"],
                                  p["gamma_s"], p["transmissivity_m2_day"])
    wet = wetness(rain / 1000.0, pt.a_over_b_m, p["transmissivity_m2_day"], th)
    fs = factor_of_safety(th, wet, p["cohesion_pa"], p["phi_rad"], p["soil_depth_m"], p["gamma_s"])
    cls = stability_class(qc)
    n = len(pt.unit_geom)
    cnt, fail, chron, fs_min, qc_min, s_max = _unit_stats(
        pt.unit_id, np.nan_to_num(fs, nan=np.inf), np.nan_to_num(qc, nan=np.inf), cls,
        np.nan_to_num(np.degrees(th), nan=0.0), rain, n)
    cnt_safe = np.maximum(cnt, 1)
    share = fail / cnt_safe
    level = warning_levels(share, rain, rules)
    dx, dy = dem.res
    units = gpd.GeoDataFrame({
        "unit": np.arange(n), "area_m2": cnt * dx * dy, "slope_max_deg": s_max,
        "share_failing": share, "share_chronic": chron / cnt_safe, "fs_min": fs_min, "qc_min_mm_day": qc_min,
        "level": level, "level_name": [LEVELS[k] for k in level],
    }, geometry=pt.unit_geom.values, crs=dem.crs)
    return GeohazardResult(
        title=f"Shallow-landslide warning, {rain:g} mm / 24 h", rain_mm_24h=rain, units=units,
        qc_mm_day=dem.copy(qc), fs=dem.copy(fs), stability=dem.copy(cls), terrain=pt, soils=table,
        soil_index=idx, rules=rules, runtime_s=time.perf_counter() - t0)


# --------------------------------------------------------------------------- runout
def reach_tan(volume_m3: float, a: float = COROMINAS_A, b: float = COROMINAS_B) -> float:
    """tan(angle of reach) = H/L = 10**a * V**b (Corominas 1996, debris flows/slides/avalanches)."""
    if not (np.isfinite(volume_m3) and volume_m3 > 0):
        raise InputError(f"volume_m3={volume_m3!r}: expected a landslide volume > 0 m3")
    return float(10.0 ** a * volume_m3 ** b)


@dataclass
class RunoutPath:
    rows: np.ndarray
    cols: np.ndarray
    xy: np.ndarray  # (k, 2) path vertices: cell centres, the last one the toe
    z_m: np.ndarray  # elevation at each vertex
    length_m: float
    drop_m: float
    stopped_by: str  # "reach" (energy line met the ground), "slope", "pit", "edge", "max_length"


def runout_path(dem: Raster, fdir: np.ndarray, row: int, col: int, *, tan_reach: float | None = None,
                slope_deg_grid: np.ndarray | None = None, stop_slope_deg: float = 10.0,
                max_length_m: float = 5000.0, z_m: np.ndarray | None = None) -> RunoutPath:
    """Steepest-descent (D8) path of a slide from cell (row, col).

    With ``tan_reach``: the energy-line rule (Heim 1932; Corominas 1996): the mass stops where the
    drop H from the source equals ``tan_reach`` times the horizontal path length L; the toe is
    interpolated linearly inside the last step, so H/L = tan_reach there.  Without it: the
    deposition-slope rule, stopping at the first cell of ``slope_deg_grid`` below
    ``stop_slope_deg``.  Elevations come from ``z_m`` (default ``dem.data``); with the
    depression-filled DEM (as :func:`landslide_runout` passes) the mass crosses ponds and pits as
    if its debris filled them.  The path never climbs: it stops before a cell higher than the
    current one ("pit"), at a D8 sink, at the grid edge or a nodata cell ("edge").
    """
    z = np.asarray(dem.data if z_m is None else z_m, dtype=float)
    h, w = z.shape
    if not (0 <= row < h and 0 <= col < w) or not np.isfinite(z[row, col]):
        raise InputError(f"runout source cell ({row}, {col}): expected a valid cell inside the {h}x{w} DEM")
    if tan_reach is None and slope_deg_grid is None:
        raise InputError("runout_path: give tan_reach (energy line) or slope_deg_grid (deposition slope)")
    dx, dy = dem.res
    r, c = int(row), int(col)
    z0 = z[r, c]
    rows, cols, zs = [r], [c], [z0]
    x0, y0 = dem.xy(np.array([r]), np.array([c]))
    pts = [(float(x0[0]), float(y0[0]))]
    length = 0.0
    stopped = "edge"
    while True:
        k = int(fdir[r, c])
        if k < 0:
            stopped = "pit"
            break
        rr, cc = r + int(D8_DR[k]), c + int(D8_DC[k])
        if not (0 <= rr < h and 0 <= cc < w) or not np.isfinite(z[rr, cc]):
            stopped = "edge"
            break
        if z[rr, cc] > z[r, c]:
            stopped = "pit"
            break
        step = float(np.hypot(D8_DC[k] * dx, D8_DR[k] * dy))
        xn, yn = dem.xy(np.array([rr]), np.array([cc]))
        if tan_reach is not None:
            f0 = (z0 - z[r, c]) - tan_reach * length
            f1 = (z0 - z[rr, cc]) - tan_reach * (length + step)
            if f1 < 0.0:  # energy line meets the ground inside this step
                t = f0 / (f0 - f1)
                xa, ya = pts[-1]
                pts.append((xa + t * (float(xn[0]) - xa), ya + t * (float(yn[0]) - ya)))
                zs.append(z[r, c] + t * (z[rr, cc] - z[r, c]))
                rows.append(rr)
                cols.append(cc)
                length += t * step
                stopped = "reach"
                break
        rows.append(rr)
        cols.append(cc)
        zs.append(z[rr, cc])
        pts.append((float(xn[0]), float(yn[0])))
        length += step
        r, c = rr, cc
        if tan_reach is None and slope_deg_grid is not None and slope_deg_grid[r, c] < stop_slope_deg:
            stopped = "slope"
            break
        if length >= max_length_m:
            stopped = "max_length"
            break
    zs_a = np.asarray(zs)
    return RunoutPath(np.asarray(rows), np.asarray(cols), np.asarray(pts), zs_a, length, float(z0 - zs_a[-1]), stopped)


@dataclass
class Runout:
    """A landslide from a source down to its toe, and the road edges its footprint reaches.

    ``edges``: (u, v, key) of ``city.roads`` to close; ``closed_roads``: those edges as lines.
    """

    source_xy: tuple[float, float]
    unit: int | None
    unit_level: str | None
    volume_m3: float
    reach_angle_deg: float | None
    path: RunoutPath
    line: LineString | Point
    footprint: Any  # shapely Polygon
    width_m: float
    edges: list[tuple[Any, Any, Any]]
    closed_roads: gpd.GeoDataFrame

    def roads_after(self, g: nx.MultiDiGraph) -> nx.MultiDiGraph:
        """A routable copy of ``g`` without the edges this slide closes (:func:`twin.routing.without_edges`)."""
        return without_edges(g, self.edges)


def landslide_runout(city: Any, source: int | tuple[float, float], *, result: GeohazardResult | None = None,
                     release_area_m2: float = TYPICAL_LANDSLIDE_AREA_M2, volume_m3: float | None = None,
                     width_m: float | None = None, rule: str = "travel_angle", reach_angle_deg: float | None = None,
                     stop_slope_deg: float = 10.0, max_length_m: float = 5000.0) -> Runout:
    """Inject a landslide and find the roads it reaches.

    ``source``: a unit id of ``result`` (the slide starts at the unit's cell with the lowest
    factor of safety at the forecast rain) or an (x, y) point in the city CRS.  The volume is
    ``release_area_m2`` (default 400 m2, the rollover of landslide-area inventories, Malamud et
    al. 2004) times the soil depth at the source, unless ``volume_m3`` is given.  ``rule``:
    ``"travel_angle"`` (Corominas 1996 angle of reach for that volume, :func:`reach_tan`) or
    ``"slope"`` (stop at the first cell flatter than ``stop_slope_deg``); ``reach_angle_deg`` overrides
    the Corominas angle (e.g. a local back-analysed value).  The footprint is the
    path buffered by half of ``width_m`` (default sqrt(release_area_m2)); every road edge it
    intersects is closed.
    """
    if rule not in ("travel_angle", "slope"):
        raise InputError(f"rule={rule!r}: expected 'travel_angle' or 'slope'")
    if not release_area_m2 > 0:
        raise InputError(f"release_area_m2={release_area_m2!r}: expected > 0")
    dem = city.terrain
    if result is not None:
        pt = result.terrain
        fdir, slope_d, filled = pt.fdir, np.degrees(pt.slope_rad), pt.filled_m
    else:
        fdir, slope_d = flow_direction_d8(dem), slope_deg(dem).data
        filled = np.asarray(fill_depressions(dem).data, dtype=float)
    unit: int | None = None
    level: str | None = None
    if isinstance(source, (int, np.integer)):
        if result is None:
            raise InputError(f"landslide source unit {source}: a unit id needs result= (from warn)")
        unit = int(source)
        if not 0 <= unit < len(result.units):
            raise InputError(f"landslide source unit {unit}: expected 0..{len(result.units) - 1}")
        cells = np.flatnonzero(result.terrain.unit_id.ravel() == unit)
        fsu = np.nan_to_num(result.fs.data.ravel()[cells], nan=np.inf)
        slu = np.nan_to_num(slope_d.ravel()[cells], nan=0.0)
        best = cells[np.lexsort((-slu, fsu))[0]]  # lowest FS, then steepest
        row, col = divmod(int(best), dem.shape[1])
        level = str(result.units.level_name.iloc[unit])
    else:
        try:
            x, y = float(source[0]), float(source[1])
        except (TypeError, ValueError, IndexError):
            raise InputError(f"landslide source {source!r}: expected a unit id or an (x, y) point") from None
        rr, cc = dem.rowcol(np.array([x]), np.array([y]))
        row, col = int(rr[0]), int(cc[0])
        if not (0 <= row < dem.shape[0] and 0 <= col < dem.shape[1]):
            raise InputError(f"landslide source ({x:.1f}, {y:.1f}): outside the DEM {dem.bounds}")
        if result is not None and result.terrain.unit_id[row, col] >= 0:
            unit = int(result.terrain.unit_id[row, col])
            level = str(result.units.level_name.iloc[unit])
    if volume_m3 is None:
        if result is not None:
            depth = float(result.soils.soil_depth_m.iloc[result.soil_index[row, col]])
        else:
            depth = float(load_soils().soil_depth_m.loc[DEFAULT_SOIL])
        volume_m3 = release_area_m2 * depth
    if reach_angle_deg is not None and not 0.0 < reach_angle_deg < 90.0:
        raise InputError(f"reach_angle_deg={reach_angle_deg!r}: expected an angle in (0, 90) degrees")
    tan_a = None
    if rule == "travel_angle":
        tan_a = reach_tan(volume_m3) if reach_angle_deg is None else float(np.tan(np.radians(reach_angle_deg)))
    path = runout_path(dem, fdir, row, col, tan_reach=tan_a, slope_deg_grid=slope_d, stop_slope_deg=stop_slope_deg,
                       max_length_m=max_length_m, z_m=filled)
    width = float(np.sqrt(release_area_m2)) if width_m is None else float(width_m)
    line: LineString | Point = LineString(path.xy) if len(path.xy) > 1 else Point(path.xy[0])
    footprint = line.buffer(width / 2.0)
    edges = edges_hitting(city.roads, footprint)
    g = city.roads
    rows_ = [{"u": u, "v": v, "key": k, "name": g.edges[u, v, k].get("name", ""),
              "length_m": g.edges[u, v, k].get("length_m", np.nan), "geometry": g.edges[u, v, k]["geometry"]}
             for u, v, k in edges]
    closed = gpd.GeoDataFrame(rows_, geometry="geometry", crs=dem.crs) if rows_ else gpd.GeoDataFrame(
        {"u": [], "v": [], "key": [], "name": [], "length_m": []}, geometry=[], crs=dem.crs)
    return Runout(tuple(path.xy[0]), unit, level, float(volume_m3),
                  float(np.degrees(np.arctan(tan_a))) if tan_a is not None else None, path, line, footprint, width,
                  edges, closed)
