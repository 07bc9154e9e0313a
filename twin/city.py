"""The city model and its folder form.

A city folder holds::

    city.yaml      manifest: name, CRS, file names, mesh offset
    terrain.tif    DEM (GeoTIFF, float32, nodata -9999)
    city.gpkg      layers buildings, road_nodes, road_edges, places
    mesh.glb       optional reality mesh, local coordinates + offset

:func:`load_city` and :meth:`City.save` round-trip it exactly.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyogrio
import yaml
from pyproj import CRS

from terrain.raster import Raster, read_raster, write_raster
from twin.atomic import replace_dir
from twin.crs import require_projected, same_crs
from twin.errors import CityError, InputError, read_yaml
from twin.places import frame_to_places, places_to_frame, validate_places
from twin.roads import frames_to_graph, graph_to_frames, validate_graph
from twin.schema import BUILDING_COLUMNS, BUILDING_USES

FORMAT = "citytwin-city/1"
MANIFEST = "city.yaml"


@dataclass
class City:
    """One model of a city, all layers in one projected metric CRS.

    Attributes
    ----------
    name : str
    crs : pyproj.CRS, projected, metres
    terrain : Raster, DEM in ``crs`` (NaN = nodata)
    buildings : GeoDataFrame with :data:`twin.schema.BUILDING_COLUMNS`
    roads : networkx.MultiDiGraph (see :mod:`twin.roads`)
    places : GeoDataFrame (see :mod:`twin.places`)
    mesh : trimesh.Trimesh in absolute ``crs`` coordinates, or None
    meta : free-form metadata kept in the manifest (description, source, origin)
    """

    name: str
    crs: CRS
    terrain: Raster
    buildings: gpd.GeoDataFrame
    roads: nx.MultiDiGraph
    places: gpd.GeoDataFrame
    mesh: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.crs = require_projected(CRS.from_user_input(self.crs), what=f"city '{self.name}'")
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise :class:`CityError` when layers disagree on CRS or break the schema."""
        where = f"city '{self.name}'"
        if not same_crs(self.terrain.crs, self.crs):
            raise CityError(f"{where}: terrain CRS {self.terrain.crs.to_string()} differs from city CRS {self.crs.to_string()}")
        if not np.isfinite(self.terrain.data).any():
            raise CityError(f"{where}: terrain is all nodata")
        for lname, gdf in (("buildings", self.buildings), ("places", self.places)):
            if gdf.crs is None or not same_crs(gdf.crs, self.crs):
                raise CityError(f"{where}: layer '{lname}' CRS {gdf.crs} differs from city CRS {self.crs.to_string()}")
        missing = [c for c in BUILDING_COLUMNS if c not in self.buildings.columns]
        if missing:
            raise CityError(f"{where}: buildings lack column(s) {missing}")
        bad = set(self.buildings["use"]) - set(BUILDING_USES)
        if bad:
            raise CityError(f"{where}: buildings have unknown use(s) {sorted(bad)}; expected {BUILDING_USES}")
        if (self.buildings["height_m"] <= 0).any() or self.buildings["height_m"].isna().any():
            raise CityError(f"{where}: every building needs height_m > 0")
        g_crs = self.roads.graph.get("crs")
        if g_crs is None or not same_crs(g_crs, self.crs):
            raise CityError(f"{where}: road graph CRS {g_crs} differs from city CRS {self.crs.to_string()}")
        validate_graph(self.roads, where=f"{where} roads")
        validate_places(self.places, where=f"{where} places")

    # --------------------------------------------------------------- summaries
    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) of the terrain, metres in ``crs``."""
        return self.terrain.bounds

    def info(self) -> dict[str, Any]:
        """Extent, CRS and counts, as plain data (``twin info`` prints it)."""
        from twin.crs import to_lonlat

        l, b, r, t = self.bounds
        lon, lat = to_lonlat(np.array([l, r]), np.array([b, t]), self.crs)
        dem = self.terrain.data
        signals = sum(1 for _, d in self.roads.nodes(data=True) if d.get("signal"))
        return {
            "name": self.name,
            "crs": self.crs.to_string(),
            "crs_name": self.crs.name,
            "extent_m": [round(v, 2) for v in (l, b, r, t)],
            "size_km": [round((r - l) / 1000, 3), round((t - b) / 1000, 3)],
            "extent_lonlat": [round(float(lon[0]), 6), round(float(lat[0]), 6), round(float(lon[1]), 6), round(float(lat[1]), 6)],
            "dem_shape": list(dem.shape),
            "dem_res_m": list(self.terrain.res),
            "elevation_m": [round(float(np.nanmin(dem)), 2), round(float(np.nanmax(dem)), 2)],
            "dem_nodata_fraction": round(float(np.isnan(dem).mean()), 4),
            "buildings": int(len(self.buildings)),
            "population": float(np.nansum(self.buildings["population"].to_numpy(dtype=float))),
            "road_nodes": self.roads.number_of_nodes(),
            "road_edges": self.roads.number_of_edges(),
            "road_length_km": round(sum(d["length_m"] for *_, d in self.roads.edges(data=True)) / 1000, 3),
            "signals": signals,
            "places": {k: int(v) for k, v in self.places["kind"].value_counts().sort_index().items()},
            "mesh_faces": int(len(self.mesh.faces)) if self.mesh is not None else 0,
        }

    # --------------------------------------------------------------------- I/O
    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the city folder atomically (``<path>.partial`` renamed into place).

        Refuses to replace an existing folder unless ``overwrite`` is true, and
        never replaces a folder that does not look like a city (no manifest).
        """
        dest = Path(path)
        if dest.exists():
            if not overwrite:
                raise InputError(f"{dest}: already exists (pass overwrite=True / --overwrite to replace it)")
            if not (dest / MANIFEST).exists():
                raise InputError(f"{dest}: exists and is not a city folder; refusing to replace it")
        tmp = dest.with_name(dest.name + ".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        write_raster(self.terrain, tmp / "terrain.tif")
        gpkg = tmp / "city.gpkg"
        nodes, edges = graph_to_frames(self.roads)
        _write_layer(self.buildings[[*BUILDING_COLUMNS, "geometry"]], gpkg, "buildings")
        _write_layer(nodes, gpkg, "road_nodes")
        _write_layer(edges, gpkg, "road_edges")
        _write_layer(places_to_frame(self.places), gpkg, "places")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "crs": _crs_text(self.crs),
            "terrain": "terrain.tif",
            "layers": "city.gpkg",
            "node_id_type": _id_type(nodes["node_id"]),
            "meta": self.meta,
        }
        if self.mesh is not None:
            from twin.mesh import choose_offset, save_mesh

            offset = self.meta.get("mesh_offset") or choose_offset(self.mesh)
            offset = [float(v) for v in offset]
            save_mesh(self.mesh, tmp / "mesh.glb", offset=offset)
            manifest["mesh"] = {"file": "mesh.glb", "offset": offset, "up_axis": "y"}
        (tmp / MANIFEST).write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return replace_dir(tmp, dest)


def load_city(path: str | os.PathLike) -> City:
    """Load a city folder written by :meth:`City.save` (or by hand, following the same layout)."""
    root = Path(path)
    mpath = root / MANIFEST if root.is_dir() else root
    if not mpath.exists():
        raise InputError(f"{mpath}: city manifest not found (expected a folder with {MANIFEST})")
    root = mpath.parent
    man = read_yaml(mpath)
    if not isinstance(man, dict):
        raise InputError(f"{mpath}: expected a mapping with keys name, crs, terrain, layers")
    for key in ("name", "crs", "terrain", "layers"):
        if key not in man:
            raise InputError(f"{mpath}: missing key '{key}'")
    try:
        crs = CRS.from_user_input(man["crs"])
    except Exception:
        raise InputError(f"{mpath}: key 'crs' = {str(man['crs'])[:60]!r} is not a CRS (expected e.g. EPSG:4547)") from None
    crs = require_projected(crs, what=f"{mpath}: crs")
    terrain = read_raster(root / man["terrain"])
    if not same_crs(terrain.crs, crs):
        raise CityError(f"{root / man['terrain']}: CRS {terrain.crs.to_string()} differs from manifest crs {crs.to_string()}")
    terrain.crs = crs
    gpkg = root / man["layers"]
    if not gpkg.exists():
        raise InputError(f"{gpkg}: file not found (expected the city GeoPackage)")
    buildings = _read_layer(gpkg, "buildings", crs)
    nodes = _read_layer(gpkg, "road_nodes", crs)
    edges = _read_layer(gpkg, "road_edges", crs)
    if man.get("node_id_type") == "str":
        nodes["node_id"] = nodes["node_id"].astype(str)
        edges["u"] = edges["u"].astype(str)
        edges["v"] = edges["v"].astype(str)
    roads = frames_to_graph(nodes, edges, name=man["name"])
    roads.graph["crs"] = crs
    places = frame_to_places(_read_layer(gpkg, "places", crs))
    mesh = None
    if man.get("mesh"):
        from twin.mesh import load_mesh

        m = man["mesh"]
        mesh = load_mesh(root / m["file"], offset=tuple(m.get("offset", (0, 0, 0))), up_axis=m.get("up_axis"))
    return City(name=man["name"], crs=crs, terrain=terrain, buildings=buildings, roads=roads,
                places=places, mesh=mesh, meta=man.get("meta") or {})


def _write_layer(gdf: gpd.GeoDataFrame, gpkg: Path, layer: str) -> None:
    pyogrio.write_dataframe(gdf, gpkg, layer=layer, driver="GPKG", append=False, promote_to_multi=False)


def _read_layer(gpkg: Path, layer: str, crs: CRS) -> gpd.GeoDataFrame:
    try:
        gdf = pyogrio.read_dataframe(gpkg, layer=layer)
    except Exception as exc:
        raise InputError(f"{gpkg}: cannot read layer '{layer}' ({str(exc).splitlines()[0]})") from None
    if gdf.crs is None:
        raise CityError(f"{gpkg}: layer '{layer}' has no CRS")
    if not same_crs(gdf.crs, crs):
        raise CityError(f"{gpkg}: layer '{layer}' CRS {gdf.crs.to_string()} differs from manifest crs {crs.to_string()}")
    return gdf.set_crs(crs, allow_override=True)


def _crs_text(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _id_type(s: Any) -> str:
    return "int" if np.issubdtype(np.asarray(s).dtype, np.integer) else "str"
