"""Reality mesh: DSM rasterisation, round trips with offsets, LOD1 extrusion, ray sampling."""
from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pytest
import trimesh
from affine import Affine
from shapely.geometry import MultiPolygon, Polygon, box

from terrain.raster import Raster
from twin.errors import CityError, InputError
from viewers.colors import USE_COLORS
from twin.mesh import (
    choose_offset,
    export_glb,
    extrude_buildings,
    load_mesh,
    mesh_to_local,
    rasterize_dsm,
    rasterize_dsm_raycast,
    sample_heights,
    save_mesh,
)

X0, Y0 = 390000.0, 2853000.0
CRS = "EPSG:4547"


def city_box() -> trimesh.Trimesh:
    """30 x 20 x 12 m box centred on (X0, Y0), base at z = 150."""
    m = trimesh.creation.box(extents=(30.0, 20.0, 12.0))
    m.apply_translation((X0, Y0, 156.0))
    return m


def centres(transform: Affine, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    return transform.a * (cols + 0.5) + transform.c, transform.e * (rows + 0.5) + transform.f


# 1 m north-up grid spanning the box with 15 m margin; box edges fall on cell
# edges (integers), never on centres (.5)
GRID = Affine(1.0, 0.0, X0 - 30.0, 0.0, -1.0, Y0 + 25.0)
SHAPE = (50, 60)


@pytest.mark.parametrize("method", ["numba", "raycast"])
def test_box_dsm_is_roof_height_over_exact_footprint(method):
    m = city_box()
    dsm = rasterize_dsm(m, GRID, SHAPE) if method == "numba" else rasterize_dsm_raycast(m, GRID, SHAPE)
    assert dsm.dtype == np.float32 and dsm.shape == SHAPE
    cx, cy = centres(GRID, SHAPE)
    inside = (np.abs(cx - X0) < 15.0) & (np.abs(cy - Y0) < 10.0)
    np.testing.assert_allclose(dsm[inside], 162.0, atol=1e-3)
    assert np.isnan(dsm[~inside]).all()
    # covered cells = footprint area / cell area, exact for cell-aligned edges
    assert np.count_nonzero(~np.isnan(dsm)) == 30 * 20


def test_dsm_min_mode_sees_the_box_bottom():
    dsm = rasterize_dsm(city_box(), GRID, SHAPE, mode="min")
    vals = dsm[~np.isnan(dsm)]
    assert vals.size == 600
    np.testing.assert_allclose(vals, 150.0, atol=1e-3)


def pyramid(h: float = 20.0, a: float = 12.3, b: float = 7.9) -> trimesh.Trimesh:
    """Square-based pyramid, half-widths a (x) and b (y), apex h above z=100 at (X0, Y0)."""
    v = np.array([[-a, -b, 0], [a, -b, 0], [a, b, 0], [-a, b, 0], [0, 0, h]], float) + [X0, Y0, 100.0]
    f = np.array([[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4], [0, 2, 1], [0, 3, 2]])
    return trimesh.Trimesh(v, f, process=False)


@pytest.mark.parametrize("e_sign", [-1.0, 1.0])
def test_pyramid_dsm_matches_analytic_surface(e_sign):
    h, a, b = 20.0, 12.3, 7.9
    res = 0.5
    y_top = Y0 + 10.0 if e_sign < 0 else Y0 - 10.0
    t = Affine(res, 0.0, X0 - 15.0, 0.0, e_sign * res, y_top)
    shape = (40, 60)
    dsm = rasterize_dsm(pyramid(h, a, b), t, shape)
    cx, cy = centres(t, shape)
    dx, dy = np.abs(cx - X0), np.abs(cy - Y0)
    inside = (dx < a) & (dy < b)
    expect = 100.0 + h * (1.0 - np.maximum(dx / a, dy / b))
    # float32 output: 1e-4 m is well above its 1.5e-5 spacing at z ~ 120
    np.testing.assert_allclose(dsm[inside], expect[inside], atol=1e-4)
    assert np.isnan(dsm[~inside]).all()
    ref = rasterize_dsm_raycast(pyramid(h, a, b), t, shape)
    np.testing.assert_allclose(ref[inside], expect[inside], atol=1e-4)


def test_tilted_plane_dsm():
    # one quad z = 200 + 0.3 (x - xa) - 0.2 (y - ya) over 40 x 30 m, corners off the centres
    xa, ya = X0 + 0.3, Y0 + 0.3
    xy = np.array([[0, 0], [40, 0], [40, 30], [0, 30]], float)
    z = 200 + 0.3 * xy[:, 0] - 0.2 * xy[:, 1]
    m = trimesh.Trimesh(np.column_stack([xy + [xa, ya], z]), [[0, 1, 2], [0, 2, 3]], process=False)
    t = Affine(1.0, 0.0, X0 - 5, 0.0, -1.0, Y0 + 35)
    dsm = rasterize_dsm(m, t, (40, 50))
    cx, cy = centres(t, (40, 50))
    inside = (cx > xa) & (cx < xa + 40) & (cy > ya) & (cy < ya + 30)
    np.testing.assert_allclose(dsm[inside], 200 + 0.3 * (cx - xa)[inside] - 0.2 * (cy - ya)[inside], atol=1e-4)
    assert np.count_nonzero(~np.isnan(dsm)) == np.count_nonzero(inside) == 40 * 30


def test_shared_edge_through_cell_centres_leaves_no_crack():
    # a flat square split along the diagonal that passes exactly through cell centres
    v = np.array([[0.5, 0.5, 7.0], [10.5, 0.5, 7.0], [10.5, 10.5, 7.0], [0.5, 10.5, 7.0]])
    v[:, :2] += [X0, Y0]
    m = trimesh.Trimesh(v, [[0, 1, 2], [0, 2, 3]], process=False)
    t = Affine(1.0, 0.0, X0, 0.0, -1.0, Y0 + 11)
    dsm = rasterize_dsm(m, t, (11, 11))
    # centres are at .5: the closed square holds 11 x 11 centres, all covered (edges inclusive)
    assert np.count_nonzero(~np.isnan(dsm)) == 121
    np.testing.assert_allclose(dsm, 7.0)


def random_scene(seed: int = 7) -> trimesh.Trimesh:
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(6):
        b = trimesh.creation.box(extents=rng.uniform(5, 25, 3))
        b.apply_transform(trimesh.transformations.rotation_matrix(rng.uniform(0, np.pi), [0, 0, 1]))
        b.apply_translation([*rng.uniform(-25, 25, 2), rng.uniform(5, 15)])
        parts.append(b)
    s = trimesh.creation.icosphere(subdivisions=3, radius=14.0)
    s.apply_translation([3.3, -4.1, 12.0])
    parts.append(s)
    m = trimesh.util.concatenate(parts)
    m.apply_translation([X0, Y0, 140.0])
    return m


def test_numba_dsm_equals_raycast_reference():
    m = random_scene()
    t = Affine(0.37, 0.0, X0 - 45.1, 0.0, -0.37, Y0 + 45.2)
    shape = (245, 245)
    a = rasterize_dsm(m, t, shape)
    b = rasterize_dsm_raycast(m, t, shape)
    both = ~np.isnan(a) & ~np.isnan(b)
    assert both.sum() > 10000
    assert np.abs(a[both] - b[both]).max() < 1e-3
    mismatch = np.count_nonzero(np.isnan(a) != np.isnan(b))
    assert mismatch / a.size < 0.005


@pytest.mark.parametrize("ext", ["glb", "obj", "ply"])
def test_round_trip_with_large_offset(tmp_path, ext):
    m = city_box()
    m2 = trimesh.creation.icosphere(subdivisions=2, radius=40.0)
    m2.apply_translation((X0 + 1234.5, Y0 - 987.25, 210.0))
    mesh = trimesh.util.concatenate([m, m2])
    mesh.visual.vertex_colors = np.tile([10, 200, 30, 255], (len(mesh.vertices), 1))
    off = (X0, Y0, 150.0)
    p = save_mesh(mesh, tmp_path / f"city.{ext}", offset=off)
    assert p.exists() and os.listdir(tmp_path) == [p.name]  # no temp file left
    back = load_mesh(p, offset=off)
    assert back.vertices.dtype == np.float64
    # float32 local coordinates up to ~1.3 km: error < 2e-3 m
    assert np.abs(back.vertices - mesh.vertices).max() < 2e-3
    np.testing.assert_array_equal(back.faces, mesh.faces)
    assert back.bounds[1, 2] == pytest.approx(mesh.bounds[1, 2], abs=2e-3)  # top stays on top
    assert back.visual.kind == "vertex"
    np.testing.assert_array_equal(back.visual.vertex_colors[:, :3], np.tile([10, 200, 30], (len(mesh.vertices), 1)))


def test_glb_is_stored_y_up(tmp_path):
    m = city_box()
    off = choose_offset(m)
    assert off == (X0, Y0, 150.0)
    p = export_glb(m, tmp_path / "box.glb", offset=off)
    raw = load_mesh(p, offset=(0, 0, 0), up_axis="z")  # the numbers as stored
    # glTF (x, z, -y): stored y holds the local elevation 0..12, stored z holds -local y
    np.testing.assert_allclose(raw.bounds[:, 1], [0.0, 12.0], atol=1e-5)
    np.testing.assert_allclose(raw.bounds[:, 2], [-10.0, 10.0], atol=1e-5)
    assert abs(raw.volume - 7200.0) < 1e-2  # a rotation, not a mirror
    with pytest.raises(InputError, match="box.obj"):
        export_glb(m, tmp_path / "box.obj", offset=off)


def test_obj_up_axis_y_and_scene_concatenation(tmp_path):
    m = city_box()
    off = np.array([X0, Y0, 150.0])
    local = m.vertices - off
    yup = trimesh.Trimesh(np.column_stack([local[:, 0], local[:, 2], -local[:, 1]]), m.faces, process=False)
    yup.export(tmp_path / "yup.obj")
    back = load_mesh(tmp_path / "yup.obj", offset=tuple(off), up_axis="y")
    np.testing.assert_allclose(back.vertices, m.vertices, atol=1e-6)
    # a glb scene of two nodes, one with a node transform: flattened into one mesh
    a = trimesh.creation.box(extents=(2, 2, 2))
    scene = trimesh.Scene()
    scene.add_geometry(a, node_name="a")
    scene.add_geometry(a.copy(), node_name="b", transform=trimesh.transformations.translation_matrix([10, 0, 0]))
    scene.export(tmp_path / "scene.glb")
    s = load_mesh(tmp_path / "scene.glb", offset=(X0, Y0, 0))
    assert len(s.faces) == 24
    np.testing.assert_allclose(s.bounds, [[X0 - 1, Y0 - 1, -1], [X0 + 11, Y0 + 1, 1]], atol=1e-6)


def dem(value_fn, crs: str = CRS) -> Raster:
    t = Affine(1.0, 0.0, X0 - 50, 0.0, -1.0, Y0 + 50)
    rows, cols = np.mgrid[0:100, 0:100]
    x, y = t.a * (cols + 0.5) + t.c, t.e * (rows + 0.5) + t.f
    return Raster(value_fn(x, y).astype(np.float32), t, crs)


L_SHAPE = Polygon([(0, 0), (20, 0), (20, 10), (12, 10), (12, 25), (0, 25)], [[(2, 2), (6, 2), (6, 5), (2, 5)]])


def footprints() -> gpd.GeoDataFrame:
    rect = box(X0 - 30, Y0 - 30, X0 - 10, Y0 - 20)  # 20 x 10
    ell = Polygon([(X0 + x, Y0 + y) for x, y in L_SHAPE.exterior.coords],
                  [[(X0 + x, Y0 + y) for x, y in L_SHAPE.interiors[0].coords]])
    twin = MultiPolygon([box(X0 - 40, Y0 + 20, X0 - 35, Y0 + 25), box(X0 - 30, Y0 + 20, X0 - 27, Y0 + 24)])
    return gpd.GeoDataFrame({"height_m": [15.0, 22.5, 9.0], "use": ["residential", "commercial", "unknown"]},
                            geometry=[rect, ell, twin], crs=CRS)


def per_building(mesh: trimesh.Trimesh, k: int) -> trimesh.Trimesh:
    faces = np.flatnonzero(mesh.metadata["face_building"] == k)
    return mesh.submesh([faces], append=True)


def test_extrude_buildings_volumes_and_heights():
    gdf = footprints()
    mesh = extrude_buildings(gdf, ground=dem(lambda x, y: np.full_like(x, 100.0)))
    local = mesh_to_local(mesh, choose_offset(mesh))
    areas = [200.0, L_SHAPE.area, 25.0 + 12.0]
    assert L_SHAPE.area == 20 * 10 + 12 * 15 - 12
    for k, (area, h) in enumerate(zip(areas, gdf["height_m"])):
        b = per_building(local, k)
        assert b.is_watertight and b.is_winding_consistent
        assert abs(b.volume - area * h) <= 1e-6 * area * h  # positive: faces point outward
        zb = per_building(mesh, k).bounds[:, 2]
        np.testing.assert_allclose(zb, [100.0, 100.0 + h], atol=1e-9)
    for part in per_building(local, 2).split(only_watertight=False):  # MultiPolygon: two closed blocks
        assert part.is_watertight
    assert len(mesh.metadata["face_building"]) == len(mesh.faces)
    cols = mesh.visual.face_colors
    np.testing.assert_array_equal(cols[mesh.metadata["face_building"] == 0][0], USE_COLORS["residential"])
    np.testing.assert_array_equal(cols[mesh.metadata["face_building"] == 2][0], [200, 200, 200, 255])


def test_extrude_ground_is_min_dem_at_vertices_and_base_col():
    # DEM plane rising 0.1 m per m eastward: ground = value at the westmost vertex
    ground = dem(lambda x, y: 100.0 + 0.1 * (x - X0))
    gdf = footprints().iloc[:2].copy()
    gdf["min_height_m"] = [3.0, 0.0]
    mesh = extrude_buildings(gdf, ground=ground, base_col="min_height_m")
    b0 = per_building(mesh, 0).bounds[:, 2]
    # west edge at x0 - 30: DEM 97; underside 97 + 3, roof 97 + 15
    np.testing.assert_allclose(b0, [100.0, 112.0], atol=1e-4)
    b1 = per_building(mesh, 1).bounds[:, 2]
    np.testing.assert_allclose(b1, [100.0, 122.5], atol=1e-4)
    vol = per_building(mesh_to_local(mesh, choose_offset(mesh)), 0).volume
    assert vol == pytest.approx(200.0 * 12.0, rel=1e-6)
    plain = extrude_buildings(gdf)  # no DEM: ground 0
    np.testing.assert_allclose(plain.bounds[:, 2], [0.0, 22.5])


def test_extrude_bad_input():
    gdf = footprints()
    with pytest.raises(InputError, match="height"):
        extrude_buildings(gdf, height_col="height")
    gdf.loc[1, "height_m"] = np.nan
    with pytest.raises(InputError, match="1 rows"):
        extrude_buildings(gdf)
    with pytest.raises(CityError, match="CRS"):
        extrude_buildings(footprints(), ground=dem(lambda x, y: x * 0, crs="EPSG:32650"))
    far = footprints().translate(5000.0)
    with pytest.raises(CityError, match="outside the ground DEM"):
        extrude_buildings(gpd.GeoDataFrame({"height_m": [5.0, 5.0, 5.0]}, geometry=far, crs=CRS),
                          ground=dem(lambda x, y: x * 0))


def test_sample_heights_on_box():
    m = city_box()
    ground, roof = sample_heights(m, np.array([X0, X0 + 3.3, X0 + 40.0]), np.array([Y0, Y0 - 7.1, Y0]))
    np.testing.assert_allclose(roof[:2], 162.0, atol=1e-6)
    np.testing.assert_allclose(ground[:2], 150.0, atol=1e-6)
    assert np.isnan(roof[2]) and np.isnan(ground[2])
    g, r = sample_heights(m, X0, Y0)
    assert g.shape == () and float(r) == pytest.approx(162.0)


def test_bad_files_name_the_path(tmp_path):
    with pytest.raises(InputError, match="missing.glb"):
        load_mesh(tmp_path / "missing.glb", offset=(0, 0, 0))
    for name in ("junk.glb", "junk.ply", "junk.obj"):
        p = tmp_path / name
        p.write_text("this is not a mesh\n")
        with pytest.raises(InputError, match=name):
            load_mesh(p, offset=(0, 0, 0))
    (tmp_path / "empty.obj").write_text("")
    with pytest.raises(InputError, match="empty.obj"):
        load_mesh(tmp_path / "empty.obj", offset=(0, 0, 0))
    with pytest.raises(InputError, match="city.stl"):
        save_mesh(city_box(), tmp_path / "city.stl", offset=(0, 0, 0))
    with pytest.raises(InputError, match="offset"):
        save_mesh(city_box(), tmp_path / "city.glb", offset=(0, 0))
