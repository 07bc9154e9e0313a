"""Reality mesh: load/save with a local offset, DSM rasterisation, LOD1 extrusion.

In memory a city's mesh is a :class:`trimesh.Trimesh` whose float64 vertices
are *absolute* coordinates in the city's projected CRS (x east m, y north m,
z elevation m, z-up).

On disk (GLB/glTF, OBJ, PLY) vertices are *local*: ``vertex - offset``, because
those formats store float32 and a float32 cannot hold a 2.8e6 m northing to
better than 0.25 m. The manifest records ``offset`` and the CRS. With local
extents of a few km the float32 round trip is good to ~1e-3 m or better
(float32 spacing is 2**-24 * |local coordinate|: 6e-5 m at 1 km, 2.4e-4 m at
4 km); faces are reproduced exactly.

glTF is y-up by specification, trimesh itself never converts (it reads and
writes the numbers as stored), so this module does: local z-up ``(x, y, z)``
is written as glTF ``(x, z, -y)`` and read back inversely. OBJ and PLY are
taken as z-up unless ``up_axis="y"`` is given.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import trimesh
from affine import Affine

from twin.atomic import write_bytes_atomic
from twin.errors import CityError, InputError
from twin.schema import USE_COLORS
from twin.mesh_kernels import rasterize_tris

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from terrain.raster import Raster

Offset = tuple[float, float, float]
UpAxis = Literal["z", "y"]

MESH_SUFFIXES = {".glb": "glb", ".gltf": "gltf", ".obj": "obj", ".ply": "ply"}
_RAY_CHUNK = 1 << 20

DEFAULT_COLOR: tuple[int, int, int, int] = (200, 200, 200, 255)


# --------------------------------------------------------------------------- offsets / axes

def choose_offset(mesh: trimesh.Trimesh) -> Offset:
    """Offset for storing ``mesh``: bounds centre in x/y rounded to 1 m, floor of min z.

    Whole metres keep the manifest readable; centring halves the largest
    local coordinate and so the float32 error.
    """
    if mesh.vertices.size == 0:
        return (0.0, 0.0, 0.0)
    lo, hi = mesh.bounds
    return (float(np.round((lo[0] + hi[0]) / 2)), float(np.round((lo[1] + hi[1]) / 2)), float(np.floor(lo[2])))


def _check_offset(offset: Sequence[float]) -> np.ndarray:
    off = np.asarray(offset, dtype=np.float64)
    if off.shape != (3,) or not np.isfinite(off).all():
        raise InputError(f"offset must be three finite numbers (x0, y0, z0), got {offset!r}")
    return off


def _bare(mesh: trimesh.Trimesh, vertices: np.ndarray) -> trimesh.Trimesh:
    """Copy of ``mesh`` (faces, visuals, metadata) with new vertices; no processing."""
    out = trimesh.Trimesh(vertices=vertices, faces=mesh.faces.copy(), process=False,
                          visual=mesh.visual.copy() if mesh.visual is not None else None,
                          metadata=dict(mesh.metadata))
    return out


def mesh_to_local(mesh: trimesh.Trimesh, offset: Sequence[float]) -> trimesh.Trimesh:
    """Copy of ``mesh`` with ``offset`` subtracted from every vertex (still z-up)."""
    return _bare(mesh, np.asarray(mesh.vertices, dtype=np.float64) - _check_offset(offset))


def mesh_from_local(mesh: trimesh.Trimesh, offset: Sequence[float]) -> trimesh.Trimesh:
    """Inverse of :func:`mesh_to_local`."""
    return _bare(mesh, np.asarray(mesh.vertices, dtype=np.float64) + _check_offset(offset))


def _yup_to_zup(v: np.ndarray) -> np.ndarray:
    """glTF (X, Y, Z) y-up -> (x, y, z) z-up: x=X, y=-Z, z=Y (a proper rotation)."""
    return np.column_stack([v[:, 0], -v[:, 2], v[:, 1]])


def _zup_to_yup(v: np.ndarray) -> np.ndarray:
    """(x, y, z) z-up -> glTF (X, Y, Z) = (x, z, -y)."""
    return np.column_stack([v[:, 0], v[:, 2], -v[:, 1]])


# --------------------------------------------------------------------------- load / save

def _suffix_type(p: Path) -> str:
    ft = MESH_SUFFIXES.get(p.suffix.lower())
    if ft is None:
        raise InputError(f"{p}: unsupported mesh format {p.suffix!r} (expected one of {sorted(MESH_SUFFIXES)})")
    return ft


def _scene_to_mesh(scene: trimesh.Scene, p: Path) -> trimesh.Trimesh:
    """Concatenate every triangle mesh of a scene with its node transform applied."""
    parts: list[trimesh.Trimesh] = []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        g = scene.geometry.get(name)
        if not isinstance(g, trimesh.Trimesh) or len(g.faces) == 0:
            continue
        g = g.copy()
        g.apply_transform(transform)
        parts.append(g)
    if not parts:
        raise InputError(f"{p}: file holds no triangles (expected a triangle mesh)")
    if len(parts) == 1:
        return parts[0]
    try:
        return trimesh.util.concatenate(parts)
    except Exception:  # mixed texture/colour visuals: fall back to colours
        for g in parts:
            if g.visual.kind == "texture":
                g.visual = g.visual.to_color()
        return trimesh.util.concatenate(parts)


def load_mesh(path: str | os.PathLike, *, offset: Sequence[float],
              up_axis: UpAxis | None = None) -> trimesh.Trimesh:
    """Read an OBJ/GLB/glTF/PLY stored in local coordinates; return absolute z-up mesh.

    ``up_axis=None`` means y for glb/gltf (the glTF convention) and z otherwise.
    A scene is flattened (node transforms applied) into one mesh; vertex
    colours, face colours and textures are kept where trimesh reads them.
    Vertex and face order are preserved (no merging).
    Raises :class:`InputError` naming the file when it is missing, unreadable
    or holds no triangles.
    """
    p = Path(path)
    off = _check_offset(offset)
    ft = _suffix_type(p)
    if up_axis not in (None, "y", "z"):
        raise InputError(f"{p}: up_axis must be 'y', 'z' or None, got {up_axis!r}")
    if not p.is_file():
        raise InputError(f"{p}: file not found (expected a {ft.upper()} mesh)")
    try:
        loaded = trimesh.load(str(p), file_type=ft, process=False, maintain_order=True)
    except Exception as exc:  # trimesh raises anything from ValueError to struct.error
        raise InputError(f"{p}: not a readable {ft.upper()} mesh ({type(exc).__name__}: {exc})") from None
    if isinstance(loaded, trimesh.Scene):
        mesh = _scene_to_mesh(loaded, p)
    elif isinstance(loaded, trimesh.Trimesh):
        mesh = loaded
    else:
        raise InputError(f"{p}: holds a {type(loaded).__name__}, not a triangle mesh")
    if len(mesh.faces) == 0 or len(mesh.vertices) == 0:
        raise InputError(f"{p}: file holds no triangles (expected a triangle mesh)")
    v = np.asarray(mesh.vertices, dtype=np.float64)
    up = up_axis or ("y" if ft in ("glb", "gltf") else "z")
    if up == "y":
        v = _yup_to_zup(v)
    if not np.isfinite(v).all():
        raise InputError(f"{p}: mesh has non-finite vertex coordinates")
    return _bare(mesh, v + off)


def save_mesh(mesh: trimesh.Trimesh, path: str | os.PathLike, *, offset: Sequence[float]) -> Path:
    """Write ``mesh`` (absolute z-up) as local coordinates ``vertex - offset``; return the path.

    Format from the suffix (.glb, .obj, .ply; glb is written y-up, the others
    z-up). Vertices are stored as float32 (GLB, PLY) or 8 decimals (OBJ):
    round-trip error is float32 spacing of the local coordinate, ~1e-3 m for
    local extents of a few km. The file is written to a temporary name in the
    same folder and renamed into place.
    """
    p = Path(path)
    ft = _suffix_type(p)
    if ft == "gltf":
        raise InputError(f"{p}: write .glb instead of .gltf (a single self-contained file)")
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise InputError(f"{p}: nothing to write (expected a non-empty triangle mesh)")
    local = np.asarray(mesh.vertices, dtype=np.float64) - _check_offset(offset)
    if ft == "glb":
        local = _zup_to_yup(local)
    out = _bare(mesh, local)
    # trimesh writes metadata into glTF extras as JSON: keep scalars only
    out.metadata = {k: v for k, v in mesh.metadata.items() if isinstance(v, (str, int, float, bool))}
    data = out.export(file_type=ft)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return write_bytes_atomic(p, data)


def export_glb(mesh: trimesh.Trimesh, path: str | os.PathLike, *, offset: Sequence[float]) -> Path:
    """:func:`save_mesh` restricted to ``.glb`` (y-up, local coordinates)."""
    p = Path(path)
    if p.suffix.lower() != ".glb":
        raise InputError(f"{p}: export_glb writes .glb files, got suffix {p.suffix!r}")
    return save_mesh(mesh, p, offset=offset)


# --------------------------------------------------------------------------- DSM

def _grid_check(transform: Affine, shape: Sequence[int]) -> tuple[int, int]:
    if not isinstance(transform, Affine):
        raise InputError(f"transform must be an affine.Affine, got {type(transform).__name__}")
    if transform.b != 0 or transform.d != 0 or transform.a == 0 or transform.e == 0:
        raise InputError(f"transform must be axis-aligned (b = d = 0, a and e non-zero), got {tuple(transform)[:6]}")
    if len(shape) != 2 or int(shape[0]) <= 0 or int(shape[1]) <= 0:
        raise InputError(f"shape must be (rows, cols) > 0, got {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def rasterize_dsm(mesh: trimesh.Trimesh, transform: Affine, shape: Sequence[int], *,
                  mode: Literal["max", "min"] = "max") -> np.ndarray:
    """Surface height over each cell centre of the grid ``(transform, shape)``.

    ``mode="max"``: the highest z of any triangle above the centre (a DSM);
    ``"min"``: the lowest. NaN where no triangle covers the centre. Vertical
    faces have no plan area and contribute nothing. A centre exactly on an
    edge shared by two triangles is always counted. ``transform`` must be
    axis-aligned (north-up: a > 0, e < 0; other signs also work).
    Returns float32 ``(rows, cols)``.
    """
    nrows, ncols = _grid_check(transform, shape)
    if mode not in ("max", "min"):
        raise InputError(f"mode must be 'max' or 'min', got {mode!r}")
    if len(mesh.faces) == 0:
        return np.full((nrows, ncols), np.nan, dtype=np.float32)
    v = np.asarray(mesh.vertices, dtype=np.float64)
    u = (v[:, 0] - transform.c) / transform.a - 0.5
    w = (v[:, 1] - transform.f) / transform.e - 0.5
    faces = np.ascontiguousarray(mesh.faces, dtype=np.int64)
    out = rasterize_tris(np.ascontiguousarray(u), np.ascontiguousarray(w),
                         np.ascontiguousarray(v[:, 2]), faces, nrows, ncols, mode == "max")
    return out.astype(np.float32)


def _local_ray_mesh(mesh: trimesh.Trimesh) -> tuple[trimesh.Trimesh, np.ndarray]:
    """Geometry-only copy centred on its bounds (embree works in float32)."""
    off = mesh.bounds.mean(axis=0)
    return trimesh.Trimesh(vertices=np.asarray(mesh.vertices, dtype=np.float64) - off,
                           faces=mesh.faces, process=False), off


def _down_rays(mesh: trimesh.Trimesh, x: np.ndarray, y: np.ndarray, multiple: bool
               ) -> tuple[np.ndarray, np.ndarray]:
    """Cast rays straight down at (x, y); return (lowest hit z, highest hit z), NaN if none."""
    n = x.size
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    if n == 0 or len(mesh.faces) == 0:
        return np.full(n, np.nan), np.full(n, np.nan)
    local, off = _local_ray_mesh(mesh)
    ztop = local.bounds[1, 2] + 1.0
    for s in range(0, n, _RAY_CHUNK):
        xs = x[s:s + _RAY_CHUNK] - off[0]
        ys = y[s:s + _RAY_CHUNK] - off[1]
        origins = np.column_stack([xs, ys, np.full(xs.size, ztop)])
        dirs = np.zeros_like(origins)
        dirs[:, 2] = -1.0
        loc, idx, _ = local.ray.intersects_location(origins, dirs, multiple_hits=multiple)
        if len(idx):
            z = loc[:, 2] + off[2]
            np.minimum.at(lo, idx + s, z)
            np.maximum.at(hi, idx + s, z)
    lo[~np.isfinite(lo)] = np.nan
    hi[~np.isfinite(hi)] = np.nan
    return lo, hi


def rasterize_dsm_raycast(mesh: trimesh.Trimesh, transform: Affine, shape: Sequence[int]) -> np.ndarray:
    """Reference DSM: one downward ray per cell centre, first hit (trimesh/embree).

    Slower than :func:`rasterize_dsm`; embree is not watertight, so a ray
    through a shared edge can occasionally miss or fall to a lower surface.
    Returns float32 ``(rows, cols)``, NaN where the ray hits nothing.
    """
    nrows, ncols = _grid_check(transform, shape)
    rows, cols = np.mgrid[0:nrows, 0:ncols]
    cx = transform.a * (cols.ravel() + 0.5) + transform.c
    cy = transform.e * (rows.ravel() + 0.5) + transform.f
    _, hi = _down_rays(mesh, cx, cy, multiple=False)
    return hi.reshape(nrows, ncols).astype(np.float32)


def sample_heights(mesh: trimesh.Trimesh, x: np.ndarray | float, y: np.ndarray | float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(ground_z, roof_z) at points: lowest and highest mesh surface on a vertical line.

    Rays are cast downward from above the mesh, collecting every hit; NaN
    where the line misses the mesh. Output has the broadcast shape of x, y.
    """
    xb, yb = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    lo, hi = _down_rays(mesh, xb.ravel(), yb.ravel(), multiple=True)
    return lo.reshape(xb.shape), hi.reshape(xb.shape)


# --------------------------------------------------------------------------- LOD1 extrusion

def _bilinear(r: "Raster", x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear DEM value at (x, y); the containing cell's value where a neighbour is NaN."""
    from terrain.sample import sample

    z = sample(r, x, y, method="bilinear")
    bad = np.isnan(z)
    if bad.any():
        z[bad] = sample(r, np.asarray(x)[bad], np.asarray(y)[bad], method="nearest")
    return z


def _polygons(geom) -> list:
    """Polygon parts of a footprint (MultiPolygons split, invalid ones repaired)."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    if geom is None or geom.is_empty:
        return []
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if isinstance(geom, Polygon):
        parts = [geom]
    elif isinstance(geom, MultiPolygon):
        parts = list(geom.geoms)
    elif hasattr(geom, "geoms"):
        parts = [g for sub in geom.geoms for g in _polygons(sub)]
    else:
        parts = []
    return [g for g in parts if isinstance(g, Polygon) and g.area > 1e-9]


def _ring(coords: np.ndarray, ccw: bool) -> np.ndarray:
    """Open ring (closing point and repeated points dropped) with the requested winding."""
    xy = np.asarray(coords, dtype=np.float64)[:, :2]
    if len(xy) > 1 and np.array_equal(xy[0], xy[-1]):
        xy = xy[:-1]
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    xy = xy[keep]
    if len(xy) > 1 and np.array_equal(xy[0], xy[-1]):
        xy = xy[:-1]
    x, y = xy[:, 0] - xy[:, 0].mean(), xy[:, 1] - xy[:, 1].mean()
    area2 = np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))
    return xy if (area2 > 0) == ccw else xy[::-1]


def triangulation_engine() -> str:
    """First trimesh polygon triangulation engine that works here ('earcut', 'manifold', 'triangle')."""
    from shapely.geometry import box

    for eng in ("earcut", "manifold", "triangle"):
        try:
            _, f = trimesh.creation.triangulate_polygon(box(0, 0, 1, 1), engine=eng)
            if len(f) == 2:
                return eng
        except Exception:
            continue
    raise CityError("no polygon triangulation engine works: pip install mapbox-earcut or manifold3d")


def _cap(rings: list[np.ndarray], area: float) -> np.ndarray | None:
    """Earcut triangulation of stacked rings, CCW; None if it fails or loses area."""
    try:
        from mapbox_earcut import triangulate_float64
    except ImportError:
        return None
    xy = np.vstack(rings)
    xy = xy - xy.min(axis=0)
    ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
    tri = triangulate_float64(xy, ends).astype(np.int64).reshape(-1, 3)
    if len(tri) == 0:
        return None
    a, b, c = xy[tri[:, 0]], xy[tri[:, 1]], xy[tri[:, 2]]
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    tri[cross < 0] = tri[cross < 0][:, ::-1]
    if abs(np.abs(cross).sum() / 2 - area) > 1e-9 * max(area, 1.0):
        return None
    return tri


def _prism(poly, engine: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(xy, is_top, faces) of a unit prism over ``poly``: shared vertices, watertight."""
    rings = [_ring(poly.exterior.coords, ccw=True)] + [_ring(i.coords, ccw=False) for i in poly.interiors]
    rings = [r for r in rings if len(r) >= 3]
    if not rings or len(rings[0]) < 3:
        return None
    tri = _cap(rings, poly.area)
    if tri is None:  # fallback: trimesh's own extrusion, z in {0, 1}
        m = trimesh.creation.extrude_polygon(poly, 1.0, engine=engine)
        return np.asarray(m.vertices[:, :2]), m.vertices[:, 2] > 0.5, np.asarray(m.faces, dtype=np.int64)
    n = sum(len(r) for r in rings)
    xy = np.vstack(rings)
    walls = []
    s = 0
    for r in rings:
        i = s + np.arange(len(r))
        j = s + (np.arange(len(r)) + 1) % len(r)
        walls.append(np.column_stack([i, j, j + n]))
        walls.append(np.column_stack([i, j + n, i + n]))
        s += len(r)
    faces = np.vstack([tri + n, tri[:, ::-1]] + walls)
    is_top = np.r_[np.zeros(n, dtype=bool), np.ones(n, dtype=bool)]
    return np.vstack([xy, xy]), is_top, faces


def extrude_buildings(buildings: "gpd.GeoDataFrame", *, height_col: str = "height_m",
                      ground: "Raster | None" = None, base_col: str | None = None,
                      color_col: str | None = "use",
                      colors: Mapping[str, Sequence[int]] | None = None) -> trimesh.Trimesh:
    """LOD1 block model: every footprint extruded from its ground to ground + height.

    Ground is the minimum of ``ground`` (a DEM, bilinear) over the footprint's
    vertices, or 0 without a DEM; one ground per row (MultiPolygon parts
    share it). ``base_col`` (optional) is the height above ground of the
    block's underside (e.g. ``min_height``); ``height_col`` is the height of
    the roof above ground. Holes are kept, each block is closed (watertight)
    and outward-facing. Faces are coloured by ``color_col`` through
    ``colors`` (default :data:`twin.schema.USE_COLORS`) when that column exists.
    ``mesh.metadata["face_building"]`` holds the row position of each face.
    Returns an empty mesh for an empty frame.
    """
    if height_col not in buildings.columns:
        raise InputError(f"buildings: column {height_col!r} not found (have {list(buildings.columns)})")
    if base_col is not None and base_col not in buildings.columns:
        raise InputError(f"buildings: base column {base_col!r} not found (have {list(buildings.columns)})")
    n_rows = len(buildings)
    if n_rows == 0:
        return trimesh.Trimesh()
    height = np.asarray(buildings[height_col], dtype=np.float64)
    base = np.zeros(n_rows) if base_col is None else np.asarray(buildings[base_col], dtype=np.float64)
    bad = ~(np.isfinite(height) & (height > 0) & np.isfinite(base) & (base >= 0) & (base < height))
    if bad.any():
        ids = list(buildings.index[bad][:5])
        raise InputError(f"buildings: {int(bad.sum())} rows have {height_col!r} missing, <= 0 or not above "
                         f"{base_col or 'the ground'} (first index values {ids})")
    if ground is not None and buildings.crs is not None and not ground.crs.equals(buildings.crs):
        raise CityError(f"buildings CRS {buildings.crs.to_string()} differs from ground DEM CRS {ground.crs.to_string()}")

    engine = triangulation_engine()
    xy_l, top_l, face_l, row_v, row_f = [], [], [], [], []
    nv = 0
    for k, geom in enumerate(buildings.geometry.values):
        for poly in _polygons(geom):
            pr = _prism(poly, engine)
            if pr is None:
                continue
            xy, is_top, faces = pr
            xy_l.append(xy)
            top_l.append(is_top)
            face_l.append(faces + nv)
            row_v.append(np.full(len(xy), k, dtype=np.int64))
            row_f.append(np.full(len(faces), k, dtype=np.int64))
            nv += len(xy)
    if not xy_l:
        return trimesh.Trimesh()
    xy = np.vstack(xy_l)
    is_top = np.concatenate(top_l)
    faces = np.vstack(face_l)
    vrow = np.concatenate(row_v)
    frow = np.concatenate(row_f)

    if ground is None:
        g = np.zeros(n_rows)
    else:
        zs = _bilinear(ground, xy[~is_top, 0], xy[~is_top, 1])
        g = np.full(n_rows, np.inf)
        np.fmin.at(g, vrow[~is_top], zs)  # fmin ignores NaN samples
        used = np.unique(vrow)
        missing = used[~np.isfinite(g[used])]
        if missing.size:
            ids = list(buildings.index[missing][:5])
            raise CityError(f"buildings: {missing.size} footprints lie outside the ground DEM or on nodata "
                            f"(first index values {ids})")
    z = np.where(is_top, g[vrow] + height[vrow], g[vrow] + base[vrow])
    mesh = trimesh.Trimesh(vertices=np.column_stack([xy, z]), faces=faces, process=False)
    mesh.metadata["face_building"] = frow
    if color_col is not None and color_col in buildings.columns:
        pal = {str(k).lower(): (tuple(int(c) for c in v) + (255,))[:4] for k, v in (colors or USE_COLORS).items()}
        uses = buildings[color_col].astype("string").str.lower().fillna("").to_numpy()
        row_rgba = np.array([pal.get(u, DEFAULT_COLOR) for u in uses], dtype=np.uint8)
        mesh.visual.face_colors = row_rgba[frow]
    return mesh
