"""Layer builders for the city itself: terrain, buildings, roads, places, reality mesh."""
from __future__ import annotations

import geopandas as gpd
import numpy as np

from terrain.surface import hillshade
from twin.city import City
from twin.places import PLACE_COLUMNS
from viewers.colors import PLACE_COLORS, ROAD_COLORS, ROAD_WIDTH_M, USE_COLORS, terrain_rgba, value_colors
from viewers.spec import Layer


def water_mask(city: City) -> np.ndarray:
    """Cells of the DEM lying under rivers/reservoirs: flat cells at a reservoir's normal level."""
    z = city.terrain.data
    mask = np.zeros(z.shape, dtype=bool)
    res = city.places[city.places["kind"] == "reservoir"]
    if len(res):
        from rasterio.features import geometry_mask

        for geom, attrs in zip(res.geometry, res["attrs"]):
            inside = ~geometry_mask([geom.buffer(10)], out_shape=z.shape, transform=city.terrain.transform)
            lvl = attrs.get("normal_level_m")
            mask |= inside & (np.abs(z - lvl) < 0.05) if lvl is not None else inside
    return mask


def terrain_layer(city: City) -> Layer:
    """Hillshaded hypsometric tint of the DEM as an image layer."""
    shade = hillshade(city.terrain, as_float=True)
    rgba = terrain_rgba(city.terrain.data, shade, water=water_mask(city))
    z = city.terrain.data
    legend = {"ramp": [[150, 190, 130], [215, 215, 160], [170, 140, 110], [235, 230, 225]],
              "vmin": f"{np.nanpercentile(z, 1):.0f}", "vmax": f"{np.nanpercentile(z, 99.5):.0f}", "unit": "elevation m"}
    return Layer("terrain", "Terrain (hillshade)", "image", data=(rgba, city.terrain.transform, city.crs), legend=legend)


def buildings_layer(city: City, *, extruded: bool = True) -> Layer:
    b = city.buildings.copy()
    b["color"] = [USE_COLORS.get(u, USE_COLORS["other"]) for u in b["use"]]
    legend = [(u, c) for u, c in USE_COLORS.items() if u in set(b["use"])]
    return Layer("buildings", "Buildings (by use)", "polygons", data=b, legend=legend,
                 tooltip=["building_id", "use", "height_m", "levels", "population", "name"],
                 style={"extruded": extruded, "elevation_col": "height_m", "opacity": 0.95})


def roads_frame(city: City) -> gpd.GeoDataFrame:
    """One row per road edge (both directions kept), with the schema attributes."""
    rows = [{"u": u, "v": v, **d} for u, v, d in city.roads.edges(data=True)]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=city.crs)


def roads_layer(city: City, edges: gpd.GeoDataFrame | None = None, *, color_by: str = "highway",
                cmap: str = "viridis", vmin: float | None = None, vmax: float | None = None,
                layer_id: str = "roads", title: str | None = None) -> Layer:
    """Road edges coloured by class, or by a numeric column of ``edges`` (a simulation result).

    Parameters
    ----------
    edges : edge table (default: :func:`roads_frame`), possibly with result columns
    color_by : ``"highway"`` for class colours, or a numeric column name (colour ramp ``cmap``)
    """
    e = roads_frame(city) if edges is None else edges.copy()
    tooltip = ["name", "highway", "lanes", "speed_kph", "capacity_vph", "length_m"]
    if color_by == "highway":
        e["color"] = [ROAD_COLORS.get(h.replace("_link", ""), ROAD_COLORS["unclassified"]) for h in e["highway"]]
        legend: list | dict = [(h, c) for h, c in ROAD_COLORS.items() if h in set(e["highway"])]
    else:
        if color_by not in e.columns:
            raise KeyError(f"roads layer: no column '{color_by}' to colour by")
        e["color"], legend = value_colors(e[color_by].to_numpy(dtype=float), cmap=cmap, vmin=vmin, vmax=vmax)
        legend["unit"] = color_by
        tooltip = [color_by, *tooltip]
    e["width_m"] = [ROAD_WIDTH_M.get(h.replace("_link", ""), 7.0) for h in e["highway"]]
    return Layer(layer_id, title or ("Roads (by class)" if color_by == "highway" else f"Roads ({color_by})"),
                 "lines", data=e, legend=legend, tooltip=tooltip, style={"width_col": "width_m", "min_px": 1})


def signals_layer(city: City) -> Layer:
    rows = [{"node": n, "cycle_s": (d["phase_plan"] or {}).get("cycle_s", np.nan),
             "offset_s": (d["phase_plan"] or {}).get("offset_s", np.nan), "elevation_m": d["elevation_m"],
             "x": d["x"], "y": d["y"]} for n, d in city.roads.nodes(data=True) if d.get("signal")]
    g = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy([r["x"] for r in rows], [r["y"] for r in rows]), crs=city.crs)
    g["color"] = [[20, 160, 60, 255]] * len(g)
    return Layer("signals", "Signalised intersections", "points", data=g, legend=[("signal", [20, 160, 60, 255])],
                 tooltip=["node", "cycle_s", "offset_s", "elevation_m"], style={"radius_m": 12.0, "min_px": 4})


def places_layer(city: City) -> Layer:
    p = city.places[PLACE_COLUMNS].copy()
    p["color"] = [PLACE_COLORS[k] for k in p["kind"]]
    p["details"] = [", ".join(f"{k}={v}" for k, v in a.items() if not isinstance(v, (list, dict))) for a in p["attrs"]]
    p = p.drop(columns="attrs")
    legend = [(k, c) for k, c in PLACE_COLORS.items() if k in set(p["kind"])]
    return Layer("places", "Places", "points", data=p, legend=legend, tooltip=["name", "kind", "details"],
                 style={"radius_m": 35.0, "min_px": 6, "label_col": "name"})


def mesh_layer(city: City) -> Layer | None:
    if city.mesh is None:
        return None
    return Layer("mesh", "Reality mesh (district)", "mesh", data=city.mesh, legend=[("mesh", [176, 170, 160, 255])])


def city_layers(city: City) -> list[Layer]:
    """The standard set of city layers, in drawing order."""
    out = [terrain_layer(city), roads_layer(city), buildings_layer(city), signals_layer(city), places_layer(city)]
    m = mesh_layer(city)
    if m is not None:
        m.visible = False
        out.insert(3, m)
    return out
