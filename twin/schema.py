"""Column and attribute names of the city layers, declared once.

Every loader, writer, importer and simulation uses these names; tests check
that a saved city carries exactly them. Units are in the names.
"""
from __future__ import annotations

# Buildings (GeoDataFrame, Polygon/MultiPolygon footprints in the city CRS)
BUILDING_COLUMNS: dict[str, str] = {
    "building_id": "str: stable identifier",
    "height_m": "float: roof height above ground, metres",
    "use": "str: one of BUILDING_USES",
    "levels": "int: storeys (0 when unknown)",
    "population": "float: residents or occupants (NaN when unknown)",
    "name": "str: optional name ('' when unknown)",
}
BUILDING_USES = ("residential", "commercial", "industrial", "public", "school", "hospital", "religious", "other")
# Display colour of each use (RGBA), for maps and the LOD1 mesh
USE_COLORS: dict[str, list[int]] = {
    "residential": [232, 196, 150, 255], "commercial": [120, 160, 220, 255], "industrial": [170, 140, 190, 255],
    "public": [240, 150, 120, 255], "school": [250, 210, 90, 255], "hospital": [235, 90, 90, 255],
    "religious": [200, 170, 120, 255], "other": [190, 190, 190, 255],
}


# Road graph (networkx.MultiDiGraph; node and edge attributes)
NODE_ATTRS: dict[str, str] = {
    "x": "float: easting in the city CRS, metres",
    "y": "float: northing in the city CRS, metres",
    "elevation_m": "float: ground elevation from the DEM, metres (NaN off the DEM)",
    "signal": "bool: signalised intersection",
    "phase_plan": "dict | None: signal timing (see twin.roads.default_phase_plan)",
}
EDGE_ATTRS: dict[str, str] = {
    "length_m": "float: length along the geometry, metres",
    "speed_kph": "float: free-flow speed (speed limit), km/h",
    "lanes": "int: lanes in this direction",
    "capacity_vph": "float: capacity of this direction, vehicles per hour",
    "oneway": "bool: the road is one-way (no reverse edge)",
    "highway": "str: road class (OSM highway values)",
    "name": "str: road name ('' when unknown)",
    "geometry": "shapely LineString in the city CRS, from u to v",
}
OPTIONAL_EDGE_ATTRS: dict[str, str] = {
    "bridge": "bool: the link is a bridge (OSM bridge=*): water under its deck does not flood it",
}

# Places (GeoDataFrame): typed features with per-kind attributes in `attrs`
PLACE_KINDS: dict[str, dict[str, type | tuple]] = {
    "scenic_spot": {"area_m2": float, "capacity_persons": float, "grade": str},
    "shelter": {"capacity_persons": float},
    "hazmat_site": {"inventory": list},
    "hospital": {"beds": float},
    "fire_station": {"engines": float},
    "river_gauge": {"warning_level_m": float, "datum_m": float},
    "reservoir": {"capacity_m3": float, "normal_level_m": float, "crest_level_m": float},
}
PLACE_REQUIRED: dict[str, tuple[str, ...]] = {
    "scenic_spot": ("area_m2", "capacity_persons"),
    "shelter": ("capacity_persons",),
    "hazmat_site": ("inventory",),
    "hospital": (),
    "fire_station": (),
    "river_gauge": ("warning_level_m",),
    "reservoir": ("capacity_m3",),
}
# One tank in a hazmat_site's inventory
INVENTORY_KEYS: dict[str, type] = {"chemical": str, "mass_kg": float, "state": str}
