"""The hazards of a drill on the drill clock: flood depth frames, the toxic cloud's frames and the
landslide warning, with the queries the drill's conditions ask ("gauge above its warning level",
"depth at X above 0.5 m", "the orange zone reaches district D").

Hazards are computed before the drill's SimPy run (they do not depend on the plan), so a condition
is resolved to the first hazard frame where it holds; frames are step functions (frame k holds
until frame k + 1). ``sim.flood.run`` reuses its last identical run, so re-running a drill (or
running it after the same flood scenario) does not repeat the flood.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from rasterio.features import geometry_mask, shapes
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from terrain.raster import Raster
from twin.errors import InputError, ScenarioError, did_you_mean
from twin.places import place_named

ZONE_LEVELS = ("red", "orange", "yellow")


# --------------------------------------------------------------------------- time specs
def seconds(spec: float | str, start: datetime, *, key: str) -> float:
    """A :data:`sim.drill.params.TimeSpec` as seconds from ``start`` (``HH:MM`` earlier than the
    start's clock time is taken on the next day)."""
    if isinstance(spec, (int, float)):
        return float(spec)
    s = spec.strip()
    if s.startswith("+"):
        num = float(s[1:].rstrip("hmins").strip())
        unit = "min" if s.endswith("min") else ("h" if s.endswith("h") else "s")
        return num * {"s": 1.0, "min": 60.0, "h": 3600.0}[unit]
    hh, mm = (int(x) for x in s.split(":"))
    t = start.replace(hour=hh, minute=mm, second=0, microsecond=0)
    if t < start:
        t += timedelta(days=1)
    return (t - start).total_seconds()


def frame_index(times_s: np.ndarray, t: float) -> int:
    """Index of the frame holding at ``t`` (the last with time <= t), -1 before the first."""
    return int(np.searchsorted(times_s, t + 1e-9, side="right")) - 1


def seconds_held(flags: np.ndarray, times_s: np.ndarray, t0_s: float, t1_s: float) -> np.ndarray:
    """Seconds in [t0_s, t1_s] that each column of the frame flags (nf, n) holds true, frame k
    holding from ``times_s[k]`` to the next frame's time (the last to t1_s; nothing before the
    first)."""
    if len(times_s) == 0:
        return np.zeros(np.shape(flags)[1:])
    lo = np.clip(times_s, t0_s, t1_s)
    hi = np.clip(np.append(times_s[1:], max(t1_s, times_s[-1])), t0_s, t1_s)
    return (hi - lo) @ np.asarray(flags, float)


# --------------------------------------------------------------------------- flood
@dataclass
class FloodFrames:
    """Flood depth on the drill clock. ``times_s``: frame times (drill clock); ``depth_m``:
    (nt, ny, nx) on ``ground`` (elevation raster of the solver grid)."""

    times_s: np.ndarray
    depth_m: np.ndarray
    ground: Raster
    closure_depth_m: float = 0.3
    result: Any = None  # the FloodResult when the flood ran inside the drill
    rain_mm_24h: float | None = None

    def depth_at(self, x: float, y: float, t: float, radius_m: float = 0.0) -> float:
        """Depth (m) at a point at drill time t: the largest within ``radius_m`` (0: the cell)."""
        k = frame_index(self.times_s, t)
        if k < 0:
            return 0.0
        return float(self._window(self.depth_m[k], x, y, radius_m).max(initial=0.0))

    def level_at(self, x: float, y: float, t: float, radius_m: float = 60.0, wet_m: float = 0.05) -> float:
        """Water level (m a.s.l.) at a gauge: ground + depth, highest over the wet cells within
        ``radius_m`` (a gauge stands on the bank; the water is in the channel beside it); nan when dry."""
        k = frame_index(self.times_s, t)
        if k < 0:
            return float("nan")
        h = self._window(self.depth_m[k], x, y, radius_m)
        z = self._window(self.ground.data, x, y, radius_m)
        wet = h > wet_m
        return float((z + h)[wet].max()) if wet.any() else float("nan")

    def _window(self, a: np.ndarray, x: float, y: float, radius_m: float) -> np.ndarray:
        r, c = self.ground.rowcol(np.array([x]), np.array([y]))
        r, c = int(r[0]), int(c[0])
        n = int(math.ceil(radius_m / self.ground.res[0]))
        ny, nx = a.shape
        if not (-n <= r < ny + n and -n <= c < nx + n):
            return np.zeros((0,), a.dtype)
        return a[max(r - n, 0):min(r + n + 1, ny), max(c - n, 0):min(c + n + 1, nx)].ravel()

    def first_time(self, pred) -> float | None:
        """First frame time where ``pred(k)`` is true, or None."""
        for k, t in enumerate(self.times_s):
            if pred(k, float(t)):
                return float(t)
        return None


def load_flood(spec: Any, city: Any, start: datetime, *, progress: bool = False) -> FloodFrames:
    """Run the drill's flood scenario (memoised) or read a saved ``flood.nc``; shift to the drill clock."""
    if spec.scenario is not None:
        res = _run_flood(Path(spec.scenario), city, progress)
        ground = res.ground
        depth = np.stack([res.frame_depth(k) for k in range(len(res.out.times_s))]).astype(np.float32)
        times = np.asarray(res.out.times_s, float) + spec.offset_s
        rain = res._rain_total_mm() if hasattr(res, "_rain_total_mm") else None
        return FloodFrames(times, depth, ground, spec.closure_depth_m, res, rain)
    import xarray as xr
    from affine import Affine

    from sim.netcdf import seconds as nc_seconds

    path = Path(spec.netcdf)
    if not path.exists():
        raise InputError(f"flood.netcdf {path}: file not found (a flood.nc that `twin run` wrote)")
    with xr.open_dataset(path, decode_times=False) as ds:
        if "depth" not in ds or "time" not in ds:
            raise InputError(f"flood.netcdf {path}: expected variables 'depth' (time, y, x) and 'time'")
        xs, ys = ds["x"].values, ds["y"].values
        dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
        tr = Affine(dx, 0, xs[0] - dx / 2, 0, dy, ys[0] - dy / 2)
        depth = ds["depth"].values.astype(np.float32)
        times = nc_seconds(path, ds) + spec.offset_s
    from terrain.warp import align_to

    like = Raster(np.zeros(depth.shape[1:], np.float32), tr, city.crs)
    ground = align_to(city.terrain, like)  # the DEM on the flood grid
    return FloodFrames(times, np.nan_to_num(depth), ground, spec.closure_depth_m, None, None)


def _run_flood(path: Path, city: Any, progress: bool) -> Any:
    """Run a flood scenario file on ``city`` (sim.flood.run reuses its last identical run)."""
    from sim import flood
    from twin.scenario import load_scenario

    if not path.exists():
        raise InputError(f"flood.scenario {path}: file not found")
    sc, fp = load_scenario(path)
    if sc.simulation != "flood":
        raise ScenarioError(f"flood.scenario {path}: simulation is '{sc.simulation}', expected 'flood'")
    return flood.run(city, fp, progress=progress)


# --------------------------------------------------------------------------- hazmat
@dataclass
class HazmatFrames:
    """The toxic cloud on the drill clock: concentration frames (kg/m3) from the release start."""

    t0_s: float
    times_s: np.ndarray  # drill clock
    conc: np.ndarray  # (nt, ny, nx)
    grid: Raster
    thresholds: dict[str, float]  # red/orange/yellow -> kg/m3
    source_xy: tuple[float, float]
    staging_xy: tuple[float, float]
    chemical: str
    result: Any = None
    _polys: dict = field(default_factory=dict, repr=False)

    def mask(self, level: str, k: int) -> np.ndarray:
        return self.conc[k] >= self.thresholds[level]

    def forecast_mask(self, level: str) -> np.ndarray:
        """Where the zone reaches at any time of the release (its threat zone as forecast)."""
        key = ("forecast", level)
        if key not in self._polys:
            self._polys[key] = self.conc.max(axis=0) >= self.thresholds[level]
        return self._polys[key]

    def zone(self, level: str, t: float):
        """The zone (shapely geometry in the city CRS, possibly empty) holding at drill time t."""
        k = frame_index(self.times_s, t)
        if k < 0:
            return None
        if (level, k) not in self._polys:
            m = self.mask(level, k)
            geoms = [shape(g) for g, v in shapes(m.astype(np.uint8), mask=m, transform=self.grid.transform) if v]
            self._polys[(level, k)] = unary_union(geoms) if geoms else None
        return self._polys[(level, k)]


def run_hazmat(spec: Any, city: Any, t0_s: float, start: datetime, until_s: float | None = None) -> HazmatFrames:
    """The release starting at drill time ``t0_s``: the hazmat scenario run with its clock starting
    then (Turner stability from that time), or a saved ``hazmat.nc`` shifted to it. A scenario run
    lasts at least until drill time ``until_s`` (the drill's end), so the zones follow the cloud
    until it has gone rather than standing frozen at the scenario's last frame."""
    if spec.netcdf is not None:
        return _hazmat_netcdf(Path(spec.netcdf), city, t0_s)
    from sim import hazmat
    from twin.scenario import load_scenario

    path = Path(spec.scenario)
    sc, hp = load_scenario(path)
    if sc.simulation != "hazmat":
        raise ScenarioError(f"hazmat.scenario {path}: simulation is '{sc.simulation}', expected 'hazmat'")
    if until_s is not None and until_s - t0_s > hp.duration_s:
        hp = hp.model_copy(update={"duration_s": float(until_s - t0_s)})
    res = hazmat.run(city, hp, start=start + timedelta(seconds=t0_s))
    th = {lev: float(res.thresholds[lev]) for lev in ZONE_LEVELS if lev in res.thresholds}
    if not th:
        raise InputError(f"hazmat.scenario {path}: its zones {list(res.thresholds)} have no red/orange/yellow level")
    st = res.crews.attrs.get("staging_xy") or res.source_xy  # crews report upwind at the zone edge
    return HazmatFrames(t0_s, np.asarray(res.disp.times_s, float) + t0_s, np.asarray(res.disp.frames),
                        res.grid.raster, th, tuple(map(float, res.source_xy)), (float(st[0]), float(st[1])),
                        res.chem.name, res)


def _hazmat_netcdf(path: Path, city: Any, t0_s: float) -> HazmatFrames:
    import json

    import xarray as xr
    from affine import Affine

    from sim.netcdf import seconds as nc_seconds

    if not path.exists():
        raise InputError(f"hazmat.netcdf {path}: file not found (a hazmat.nc that `twin run` wrote)")
    with xr.open_dataset(path, decode_times=False) as ds:
        need = ("thresholds_kg_m3", "source_xy", "staging_xy", "chemical")
        if "concentration" not in ds or any(k not in ds.attrs for k in need):
            raise InputError(f"hazmat.netcdf {path}: expected 'concentration' (time, y, x) and attributes {list(need)} "
                             "(written by CityTwin's hazmat run)")
        xs, ys = ds["x"].values, ds["y"].values
        dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
        tr = Affine(dx, 0, xs[0] - dx / 2, 0, dy, ys[0] - dy / 2)
        conc = ds["concentration"].values.astype(np.float32)
        times = nc_seconds(path, ds) + t0_s
        th = {k: float(v) for k, v in json.loads(ds.attrs["thresholds_kg_m3"]).items() if k in ZONE_LEVELS}
        src, st = json.loads(ds.attrs["source_xy"]), json.loads(ds.attrs["staging_xy"])
        chem = str(ds.attrs["chemical"])
    grid = Raster(np.zeros(conc.shape[1:], np.float32), tr, city.crs)
    return HazmatFrames(t0_s, times, np.nan_to_num(conc), grid, th, (float(src[0]), float(src[1])),
                        (float(st[0]), float(st[1])), chem, None)


# --------------------------------------------------------------------------- places and districts
def locate(where: Any, city: Any, *, key: str) -> tuple[float, float]:
    """(x, y) of a :class:`sim.drill.params.Where`, checked to lie inside the city."""
    if where.xy is not None:
        x, y = float(where.xy[0]), float(where.xy[1])
    else:
        hit = _place(city, where.place, key=key)
        c = hit.geometry.centroid
        x, y = float(c.x), float(c.y)
    l, b, r, t = city.bounds
    if not (l <= x <= r and b <= y <= t):
        raise InputError(f"{key} ({x:.0f}, {y:.0f}): outside the city {city.bounds}")
    return x, y


def _place(city: Any, name: str, *, key: str):
    pl = city.places
    byid = pl[pl["place_id"] == name]
    return byid.iloc[0] if len(byid) else place_named(pl, name, key=key)


def area_of(name: str, city: Any, districts: gpd.GeoDataFrame | None, *, key: str):
    """A district's polygon (by name) or a place's geometry (buffered 1 m when a point)."""
    if districts is not None:
        hit = districts[districts["name"] == name]
        if len(hit):
            return hit.geometry.iloc[0]
    try:
        g = _place(city, name, key=key).geometry
    except InputError:
        known = [] if districts is None else districts["name"].tolist()
        raise InputError(f"{key} {name!r}: not a district {known} nor a place of the city"
                         + did_you_mean(name, known + city.places["name"].tolist())) from None
    return g.buffer(1.0) if g.geom_type == "Point" else g


def load_districts(path: Path | None, crs: Any) -> gpd.GeoDataFrame | None:
    if path is None:
        return None
    p = Path(path)
    if not p.exists():
        raise InputError(f"districts {p}: file not found (GeoJSON or GeoPackage with a 'name' column)")
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"districts {p}: cannot read ({exc})") from None
    if "name" not in gdf.columns:
        raise InputError(f"districts {p}: expected a 'name' column; found {list(gdf.columns)}")
    if gdf.crs is None:
        raise InputError(f"districts {p}: no CRS; expected the city CRS or WGS-84")
    return gdf.to_crs(crs)


def region_mask(geom: Any, grid: Raster) -> np.ndarray:
    """Cells of ``grid`` whose centre is in ``geom`` (all touched for small areas)."""
    return ~geometry_mask([geom], out_shape=grid.shape, transform=grid.transform, all_touched=True)


def point_geom(x: float, y: float) -> Point:
    return Point(x, y)
