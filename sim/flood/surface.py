"""The flood model's grids from the city: bed, roughness, losses, rain pattern, inflow cells."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from rasterio.features import rasterize

from sim.flood.params import Params
from terrain.burn import burn_buildings, footprint_mask
from terrain.raster import Raster, read_raster
from terrain.warp import align_to, resample
from twin.city import City
from twin.errors import InputError


@dataclass
class Grids:
    """Everything the solver needs on one grid (city CRS)."""

    bed: Raster  # m, buildings included per the scenario
    ground: Raster  # m, the DEM on the solver grid (for depth-on-ground products)
    manning: np.ndarray  # s m^-1/3
    loss_mm_h: np.ndarray
    building_mask: np.ndarray  # bool


MIN_CELLS_SIDE = 10  # a flood grid coarser than this says nothing about where water goes
MAX_CELLS = 40_000_000  # ~ 40 float32 fields of this size (state, maxima, frames) fill the 24 GiB machine


def build_grids(city: City, p: Params) -> Grids:
    """Resample the DEM, put the buildings in, and rasterise roughness and losses."""
    dem = city.terrain
    if np.isnan(dem.data).any():
        raise InputError(f"city '{city.name}' terrain: {int(np.isnan(dem.data).sum())} nodata cells (holes) inside the "
                         "DEM; fill them (e.g. terrain.warp / GDAL fillnodata) before a flood run")
    res = p.resolution_m or dem.res[0]
    l, b, r, t = dem.bounds
    ny, nx = int(round((t - b) / res)), int(round((r - l) / res))
    if min(ny, nx) < MIN_CELLS_SIDE:
        raise InputError(f"resolution_m {res:g}: gives a {nx} x {ny} grid on the {r - l:.0f} x {t - b:.0f} m DEM; "
                         f"expected at least {MIN_CELLS_SIDE} cells a side (a smaller cell)")
    if ny * nx > MAX_CELLS:
        raise InputError(f"resolution_m {res:g}: gives {ny * nx / 1e6:.0f} million cells on the {r - l:.0f} x "
                         f"{t - b:.0f} m DEM; expected at most {MAX_CELLS / 1e6:.0f} million (a larger cell)")
    ground = dem if abs(res - dem.res[0]) < 1e-9 else resample(dem, res, resampling="average")
    shape, tr = ground.shape, ground.transform
    bmask = footprint_mask(ground, city.buildings) if len(city.buildings) else np.zeros(shape, bool)
    mode = p.buildings.mode
    bed = ground
    if mode == "blocks":
        bed = burn_buildings(ground, city.buildings)
    elif mode == "mesh":
        if city.mesh is None:
            raise InputError(f"buildings.mode 'mesh': city '{city.name}' has no reality mesh")
        from twin.mesh import rasterize_dsm

        bed = burn_buildings(ground, city.buildings)
        dsm = rasterize_dsm(city.mesh, tr, shape)
        cover = np.isfinite(dsm)
        bed = bed.copy(np.where(cover, np.maximum(dsm, ground.data), bed.data).astype(np.float32))
    n = _manning(city, p, ground, bmask)
    loss = np.full(shape, p.losses.infiltration_mm_h, np.float32)
    if p.losses.drainage_mm_h > 0:
        near = _near_roads(city, ground, p.losses.drainage_buffer_m)
        loss += np.where(near, np.float32(p.losses.drainage_mm_h), np.float32(0))
    return Grids(bed=bed, ground=ground, manning=n, loss_mm_h=loss, building_mask=bmask)


def _manning(city: City, p: Params, ground: Raster, bmask: np.ndarray) -> np.ndarray:
    m = p.manning
    if m.raster is not None:
        r = read_raster(m.raster)
        r = align_to(r, ground, resampling="nearest")
        n = np.where(np.isfinite(r.data), r.data, m.default).astype(np.float32)
        if (n <= 0).any():
            raise InputError(f"{m.raster}: Manning's n must be > 0 everywhere")
    else:
        n = np.full(ground.shape, m.default, np.float32)
        if m.urban_buffer_m > 0:
            n[_near_roads(city, ground, m.urban_buffer_m)] = m.urban
        water = city.places[city.places["kind"] == "reservoir"]
        if len(water):
            wm = rasterize(((g, 1) for g in water.geometry), out_shape=ground.shape, transform=ground.transform,
                           fill=0, dtype="uint8").astype(bool)
            n[wm] = m.water
        n[_near_roads(city, ground, m.road_width_m / 2, cap_style="flat")] = m.road
    if p.buildings.mode == "roughness":
        n[bmask] = p.buildings.roughness_n
    return n


def _near_roads(city: City, ground: Raster, dist_m: float, *, cap_style: str = "round") -> np.ndarray:
    """Cells within ``dist_m`` of a road (each street once, though the graph holds both directions)."""
    seen: set[tuple] = set()
    shapes = []
    for u, v, k, d in city.roads.edges(keys=True, data=True):
        key = (min(str(u), str(v)), max(str(u), str(v)), round(d["length_m"], 3))
        if key not in seen:
            seen.add(key)
            shapes.append((d["geometry"].buffer(dist_m, cap_style=cap_style), 1))
    if not shapes:
        return np.zeros(ground.shape, bool)
    return rasterize(shapes, out_shape=ground.shape, transform=ground.transform, fill=0, dtype="uint8").astype(bool)


def inflow_cells(city: City, p: Params, ground: Raster) -> list[tuple[str, np.ndarray, np.ndarray, float, float]]:
    """(name, rows, cols, x, y) of each inflow: the cells whose centres lie within its
    ``radius_m`` (at least the cell holding the point, so a river enters across its width
    rather than through one cell); raises when the point lies outside the DEM."""
    out = []
    for k, spec in enumerate(p.inflows):
        if spec.place is not None:
            sel = city.places[city.places["name"] == spec.place]
            if sel.empty:
                raise InputError(f"inflows[{k}] '{spec.name}': no place named '{spec.place}' in city '{city.name}'")
            attrs = sel["attrs"].iloc[0]
            kind = str(sel["kind"].iloc[0]) if "kind" in sel else ""
            if spec.kind == "reservoir_release" and kind != "reservoir":
                raise InputError(f"inflows[{k}] '{spec.name}': place '{spec.place}' is a {kind or 'place'}; "
                                 "expected a reservoir for kind reservoir_release")
            if spec.kind == "reservoir_release" and attrs.get("capacity_m3"):
                vol = float(np.trapezoid(spec.q_m3_s, spec.times_s))
                cap = float(attrs["capacity_m3"])
                if vol > cap:
                    warnings.warn(f"inflows[{k}] '{spec.name}': releases {vol / 1e6:.2f} million m3, "
                                  f"{vol / cap:.1f} x the {cap / 1e6:.2f} million m3 that '{spec.place}' holds: "
                                  "a release this large passes an inflow flood through a full reservoir; check the "
                                  "hydrograph if the reservoir is not being filled from upstream", stacklevel=2)
            if "outlet_xy" in attrs:
                x, y = attrs["outlet_xy"]
            else:
                c = sel.geometry.iloc[0].centroid
                x, y = c.x, c.y
        else:
            x, y = spec.at
        r, c = ground.rowcol(np.array([x]), np.array([y]))
        r, c = int(r[0]), int(c[0])
        if not (0 <= r < ground.shape[0] and 0 <= c < ground.shape[1]):
            l, b, rr, t = ground.bounds
            raise InputError(f"inflows[{k}] '{spec.name}': point ({x:.1f}, {y:.1f}) lies outside the DEM "
                             f"({l:.0f}..{rr:.0f}, {b:.0f}..{t:.0f})")
        k_r = int(np.ceil(spec.radius_m / ground.res[1]))
        k_c = int(np.ceil(spec.radius_m / ground.res[0]))
        rr, cc = np.mgrid[max(r - k_r, 0): min(r + k_r + 1, ground.shape[0]),
                          max(c - k_c, 0): min(c + k_c + 1, ground.shape[1])]
        cx, cy = ground.xy(rr.ravel(), cc.ravel())
        near = np.hypot(cx - x, cy - y) <= spec.radius_m
        rows = np.append(rr.ravel()[near], r) if not near.any() else rr.ravel()[near]
        cols = np.append(cc.ravel()[near], c) if not near.any() else cc.ravel()[near]
        out.append((spec.name, rows.astype(np.int64), cols.astype(np.int64), float(x), float(y)))
    return out
