"""twin.osm.import_osm on pyrosm's bundled central-Helsinki extract and a synthetic DEM.

There is no real DEM for Helsinki offline, so the tests write an analytic
surface z(x, y) to a GeoTIFF covering the extract and check the node
elevations against it.
"""
from __future__ import annotations

import json
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyrosm
import pytest
import rasterio
from pyproj import CRS, Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import LineString

from twin.city import load_city
from twin.errors import CityError, InputError
from twin.osm import (
    DEFAULT_LEVELS, LEVEL_HEIGHT_M, build_road_graph, building_use, choose_crs, import_osm,
    lanes_per_direction, parse_height, parse_levels, parse_maxspeed, parse_oneway, place_kind,
)
from twin.roads import DEFAULT_SPEED_KPH, LANE_CAPACITY_VPH, default_phase_plan, road_class
from twin.schema import BUILDING_COLUMNS, BUILDING_USES, EDGE_ATTRS, NODE_ATTRS, OPTIONAL_EDGE_ATTRS

HELSINKI_LONLAT = (24.9352073, 60.1641581, 24.953411, 60.1791074)  # extent of the driving network
UTM35N = 32635
RES_M = 5.0


def surface(x, y, x0, y0):
    """Smooth analytic terrain: a 1 % slope east plus a 2 km sine wave north, metres."""
    return 10.0 + 0.01 * (x - x0) + 5.0 * np.sin(2.0 * np.pi * (y - y0) / 2000.0)


def plane(x, y, x0, y0):
    """A plane for the geographic DEM: about 0.1 m per metre north, 0.07 m per metre east at 60N."""
    return 10.0 + 4000.0 * (x - x0) + 10000.0 * (y - y0)


def write_dem(path, epsg=UTM35N, *, shift_m=0.0, res=RES_M, margin=300.0, nodata_all=False, crs=True,
              fn=surface):
    """GeoTIFF of ``fn`` covering the Helsinki extract (+ margin), optionally shifted east.

    Returns the path and the origin (x0, y0) that ``fn`` was evaluated with.
    """
    l, b, r, t = Transformer.from_crs(4326, epsg, always_xy=True).transform_bounds(*HELSINKI_LONLAT)
    x0, y0 = math.floor((l - margin) / res) * res, math.floor((b - margin) / res) * res
    w, h = int(math.ceil((r + margin - x0) / res)), int(math.ceil((t + margin - y0) / res))
    top = y0 + h * res
    cx = x0 + shift_m + (np.arange(w) + 0.5) * res
    cy = top - (np.arange(h) + 0.5) * res
    z = fn(*np.meshgrid(cx, cy), x0, y0).astype("float32")
    if nodata_all:
        z[:] = -9999.0
    prof = dict(driver="GTiff", width=w, height=h, count=1, dtype="float32",
                transform=from_origin(x0 + shift_m, top, res, res), nodata=-9999.0)
    if crs:
        prof["crs"] = f"EPSG:{epsg}"
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(z, 1)
    return path, (x0, y0)


@pytest.fixture(scope="module")
def pbf():
    return pyrosm.get_data("helsinki_pbf")


@pytest.fixture(scope="module")
def dem(tmp_path_factory):
    return write_dem(tmp_path_factory.mktemp("dem") / "helsinki_dem.tif")


@pytest.fixture(scope="module")
def city(pbf, dem):
    return import_osm(pbf, dem[0], progress=False)


@pytest.fixture(scope="module")
def raw_network(pbf):
    return pyrosm.OSM(pbf).get_network("driving", nodes=True)


# ---------------------------------------------------------------- whole import
def test_city_crs_and_meta(city):
    assert city.name == "Helsinki"
    assert city.crs.to_epsg() == UTM35N
    assert city.roads.graph["crs"] == city.crs
    assert city.meta["source"] == {"pbf": "Helsinki.osm.pbf", "dem": "helsinki_dem.tif"}
    assert city.meta["import"]["road_nodes_on_dem"] == 1.0


def test_road_graph_connectivity(city):
    g = city.roads
    largest = max(nx.strongly_connected_components(g), key=len)
    frac = len(largest) / g.number_of_nodes()
    # measured 0.9014 (713 of 791 nodes) on this extract; the rest are clipped road stubs
    assert frac >= 0.90, f"largest SCC holds only {frac:.3f} of the nodes"
    assert city.meta["import"]["largest_scc_fraction"] == round(frac, 4)


def test_edge_attributes(city):
    g = city.roads
    assert g.number_of_edges() > 1000
    for u, v, k, d in g.edges(keys=True, data=True):
        assert set(EDGE_ATTRS) <= set(d) <= set(EDGE_ATTRS) | set(OPTIONAL_EDGE_ATTRS)
        assert d["length_m"] > 0 and d["speed_kph"] > 0 and d["capacity_vph"] > 0
        assert isinstance(d["lanes"], int) and d["lanes"] >= 1
        assert isinstance(d["bridge"], bool)
        assert d["capacity_vph"] == d["lanes"] * LANE_CAPACITY_VPH[road_class(d["highway"])]
        assert isinstance(d["oneway"], bool) and isinstance(d["name"], str) and d["highway"]
        geom = d["geometry"]
        assert isinstance(geom, LineString)
        assert geom.coords[0] == (g.nodes[u]["x"], g.nodes[u]["y"])
        assert geom.coords[-1] == (g.nodes[v]["x"], g.nodes[v]["y"])
        assert d["length_m"] == pytest.approx(geom.length)
    # OSM bridge=* ways (the extract crosses several waterways): some links are bridges, most are not
    share = np.mean([d["bridge"] for *_, d in g.edges(data=True)])
    assert 0.0 < share < 0.2
    # Helsinki tags maxspeed on almost every way (30 / 40); two ways fall back to defaults
    speeds = pd.Series([d["speed_kph"] for *_, d in g.edges(data=True)]).value_counts()
    assert speeds[30.0] > 500 and speeds[40.0] > 200


def test_one_edge_per_direction(city):
    g = city.roads
    for u, v, k, d in g.edges(keys=True, data=True):
        rev = LineString(d["geometry"].coords[::-1])
        back = [e for e in g.get_edge_data(v, u, default={}).values() if e["geometry"] == rev]
        if d["oneway"]:
            assert not back, f"one-way edge {u}->{v} has a reverse twin"
        else:
            assert len(back) == 1, f"two-way edge {u}->{v} has {len(back)} reverse twins"
        same = [e for e in g.get_edge_data(u, v).values() if e["geometry"] == d["geometry"]]
        assert len(same) == 1, f"edge {u}->{v} is duplicated"


def test_node_attributes_and_signals(city, raw_network):
    g = city.roads
    for n, d in g.nodes(data=True):
        assert isinstance(n, int)
        assert set(d) == set(NODE_ATTRS)
        assert d["phase_plan"] == (default_phase_plan() if d["signal"] else None)
    tagged = {int(i) for i, t in zip(raw_network[0]["id"], raw_network[0]["tags"])
              if isinstance(t, dict) and t.get("highway") == "traffic_signals"}
    signals = {n for n, s in g.nodes(data="signal") if s}
    assert signals == tagged
    assert len(signals) == 129  # highway=traffic_signals nodes in this extract


def test_node_elevation_matches_surface(city, dem):
    g = city.roads
    x = np.array([d["x"] for _, d in g.nodes(data=True)])
    y = np.array([d["y"] for _, d in g.nodes(data=True)])
    z = np.array([d["elevation_m"] for _, d in g.nodes(data=True)])
    err = np.abs(z - surface(x, y, *dem[1]))
    # bilinear error <= h^2/8 * max|z''| = 25/8 * 5 (2 pi / 2000)^2 = 1.5e-4 m, plus float32 rounding
    assert np.isfinite(z).all()
    assert err.max() < 1e-3, err.max()


def test_edge_lengths_match_geodesic(city, raw_network):
    g = city.roads
    geod = Geod(ellps="WGS84")
    to_ll = Transformer.from_crs(city.crs, 4326, always_xy=True)
    worst = 0.0
    for *_, d in g.edges(data=True):
        lon, lat = to_ll.transform(*np.array(d["geometry"].coords).T)
        true = geod.line_length(lon, lat)
        worst = max(worst, abs(d["length_m"] / true - 1))
    assert worst < 0.005  # UTM scale at 2 degrees from the central meridian: ~2.4e-4

    # independent total: pyrosm's two-point segments, counted once per direction of travel
    nodes, edges = raw_network
    total = 0.0
    for wid, grp in edges.groupby("id"):
        tags = json.loads(grp["tags"].iloc[0]) if isinstance(grp["tags"].iloc[0], str) else {}
        tags.update({c: grp[c].iloc[0] for c in ("oneway", "highway") if isinstance(grp[c].iloc[0], str)})
        dirs = 1 if parse_oneway(tags) else 2
        total += dirs * sum(geod.geometry_length(s) for s in grp.geometry)
    mine = sum(d["length_m"] for *_, d in g.edges(data=True))
    assert mine == pytest.approx(total, rel=5e-3)


def test_buildings(city):
    b = city.buildings
    assert list(b.columns) == [*BUILDING_COLUMNS, "geometry"]
    assert len(b) > 300  # 483 of 486 footprints survive; 3 clipped rings are dropped
    assert b.geom_type.isin(["Polygon", "MultiPolygon"]).all() and b.is_valid.all()
    assert b["building_id"].is_unique and set(b["use"]) <= set(BUILDING_USES)
    assert (b["height_m"] > 0).all() and b["population"].isna().all()
    byid = b.set_index("building_id")
    # explicit tags in the extract
    assert byid.loc["osm-way-185401488", "height_m"] == pytest.approx(12.13)  # Kampin kappeli, height="12.13 m"
    assert byid.loc["osm-way-185401488", "use"] == "religious"                # building=chapel
    assert byid.loc["osm-way-123525580", "height_m"] == 70.0                  # Hotelli Torni, height=70
    assert byid.loc["osm-way-123525580", "levels"] == 13                      # building:levels=13
    assert byid.loc["osm-way-8033120", "height_m"] == 3.5 * LEVEL_HEIGHT_M   # Ateneum, building:levels=3.5
    assert byid.loc["osm-way-8033120", "levels"] == 4
    assert byid.loc["osm-way-122595241", "height_m"] == 39.0                  # Stockmann, height=39
    assert byid.loc["osm-way-122595241", "use"] == "commercial"               # building=retail
    # no height / levels tags: per-use default storeys, levels 0 = unknown
    assert byid.loc["osm-way-21239163", "height_m"] == DEFAULT_LEVELS["residential"] * LEVEL_HEIGHT_M  # apartments
    assert byid.loc["osm-way-21239163", "levels"] == 0 and byid.loc["osm-way-21239163", "use"] == "residential"
    kiosks = b[b["building_id"].isin(_ids_with_building_tag("kiosk"))]
    assert len(kiosks) == 4 and (kiosks["height_m"] == LEVEL_HEIGHT_M).all()  # small types: one storey
    meta = city.meta["import"]
    assert meta["buildings_read"] - meta["buildings_dropped"] == len(b)


def _ids_with_building_tag(value):
    raw = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_buildings()
    return {f"osm-{t}-{i}" for t, i, b in zip(raw["osm_type"], raw["id"], raw["building"]) if b == value}


def test_places(city):
    p = city.places
    kinds = p["kind"].value_counts().to_dict()
    assert kinds == {"scenic_spot": 10, "fire_station": 1, "shelter": 1}
    for kind, attrs, geom in p[["kind", "attrs", "geometry"]].itertuples(index=False):
        if kind == "scenic_spot":
            assert attrs["area_m2"] > 0 and attrs["capacity_persons"] > 0
            if geom.geom_type != "Point":
                assert attrs["area_m2"] == pytest.approx(geom.area)
    fire = p[p["kind"] == "fire_station"].iloc[0]
    assert fire["name"] == "Erottajan paloasema" and fire["place_id"] == "osm-relation-167018"


def test_save_load_round_trip(city, tmp_path):
    city.save(tmp_path / "helsinki")
    back = load_city(tmp_path / "helsinki")
    g1, g2 = city.roads, back.roads
    assert nx.utils.graphs_equal(g1, g2)
    assert list(g1.edges(keys=True)) == list(g2.edges(keys=True))
    for u, v, k, d in g1.edges(keys=True, data=True):
        assert d["geometry"].equals_exact(g2.edges[u, v, k]["geometry"], tolerance=0.0)
    assert back.terrain.equals(city.terrain)
    assert back.meta == city.meta
    pd.testing.assert_frame_equal(back.buildings.drop(columns="geometry"), city.buildings.drop(columns="geometry"))
    # geometry types and coordinates come back exactly (no promotion to MultiPolygon)
    assert back.buildings.geometry.geom_equals_exact(city.buildings.geometry, tolerance=0).all()
    assert (back.buildings.geom_type == city.buildings.geom_type).all()
    assert back.places["attrs"].tolist() == city.places["attrs"].tolist()


def test_round_trip_epsg3067(pbf, tmp_path):
    path, _ = write_dem(tmp_path / "tm35fin.tif", 3067)
    c = import_osm(pbf, path, progress=False)
    # rasterio/pyogrio and pyproj carry different EPSG editions for 3067 (EUREF-FIN vs ETRS89):
    # twin.crs.same_crs accepts both as the same coordinates
    c.save(tmp_path / "c")
    back = load_city(tmp_path / "c")
    assert back.roads.number_of_edges() == c.roads.number_of_edges()
    for (u, v, k, d) in c.roads.edges(keys=True, data=True):
        assert back.roads.edges[u, v, k]["geometry"].equals_exact(d["geometry"], tolerance=0)


def test_geographic_dem_is_reprojected_to_utm(pbf, tmp_path):
    path, (x0, y0) = write_dem(tmp_path / "ll.tif", 4326, res=0.0001, margin=0.005, fn=plane)
    c = import_osm(pbf, path, progress=False)
    assert c.crs.to_epsg() == UTM35N and c.terrain.crs == c.crs
    assert c.meta["import"]["dem_reprojected"] is True
    lon, lat = Transformer.from_crs(c.crs, 4326, always_xy=True).transform(
        *np.array([(d["x"], d["y"]) for _, d in c.roads.nodes(data=True)]).T)
    z = np.array([d["elevation_m"] for _, d in c.roads.nodes(data=True)])
    # a plane in lon/lat, warped to UTM and sampled again, both bilinear: exact but for GDAL's
    # approximate warp transformer (0.125 px threshold); measured max 0.015 m on a 0.1 m/m slope
    assert np.abs(z - plane(lon, lat, x0, y0)).max() < 0.05


# ---------------------------------------------------------------- bad input
def test_dem_far_away(pbf, tmp_path, capsys):
    path, _ = write_dem(tmp_path / "far.tif", shift_m=100_000.0)
    with pytest.raises(CityError, match="overlap") as err:
        import_osm(pbf, path, progress=True)
    msg = str(err.value)
    assert "far.tif" in msg and "DEM extent" in msg and "roads extent" in msg and "\n" not in msg
    assert capsys.readouterr().err == ""  # no progress bar when stderr is not a terminal


def test_missing_pbf(dem, tmp_path):
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(InputError, match="nowhere.osm.pbf: file not found"):
        import_osm(missing, dem[0], progress=False)


def test_unreadable_pbf(dem, tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(InputError, match="bad.osm.pbf: cannot read OSM data"):
        import_osm(bad, dem[0], progress=False)


def test_bad_dems(pbf, tmp_path):
    with pytest.raises(InputError, match="missing.tif: file not found"):
        import_osm(pbf, tmp_path / "missing.tif", progress=False)
    path, _ = write_dem(tmp_path / "nocrs.tif", crs=False)
    with pytest.raises(InputError, match="nocrs.tif: raster has no CRS"):
        import_osm(pbf, path, progress=False)
    path, _ = write_dem(tmp_path / "empty.tif", nodata_all=True)
    with pytest.raises(InputError, match="empty.tif: every cell is nodata"):
        import_osm(pbf, path, progress=False)


# ---------------------------------------------------------------- unit tests
@pytest.mark.parametrize("value, kph", [
    ("50", 50.0), ("50 km/h", 50.0), ("50km/h", 50.0), ("30 mph", 30 * 1.609344), ("10 knots", 18.52),
    ("FI:urban", 50.0), ("FI:rural", 80.0), ("RU:urban", 60.0), ("DE:zone30", 30.0), ("DE:zone:20", 20.0),
    ("GB:nsl_single", 60 * 1.609344), ("XX:urban", 50.0), ("walk", 7.0), ("60;40", 40.0), (70, 70.0),
    ("none", None), ("signals", None), ("variable", None), ("", None), (None, None), (float("nan"), None),
    ("0", None), ("fast", None),
])
def test_parse_maxspeed(value, kph):
    got = parse_maxspeed(value)
    assert got == (pytest.approx(kph) if kph is not None else None)


@pytest.mark.parametrize("value, metres", [
    ("12", 12.0), ("12 m", 12.0), ("12.5m", 12.5), ("12,5", 12.5), ("12.13 m", 12.13), ("12 metres", 12.0),
    ("40 ft", 12.192), ("40'", 12.192), ("10'6\"", 3.2004), ("~15", 15.0), (18, 18.0),
    ("0", None), ("-3", None), ("tall", None), ("", None), (None, None), (float("nan"), None),
])
def test_parse_height(value, metres):
    got = parse_height(value)
    assert got == (pytest.approx(metres) if metres is not None else None)


@pytest.mark.parametrize("value, levels", [
    ("5", 5.0), ("3.5", 3.5), ("2,5", 2.5), ("4;5", 5.0), ("4-6", 6.0), ("0", None), ("many", None), (None, None),
])
def test_parse_levels(value, levels):
    assert parse_levels(value) == levels


@pytest.mark.parametrize("tags, oneway, fwd, bwd", [
    ({"lanes": "2"}, 0, 1, 1),
    ({"lanes": "3"}, 0, 2, 2),            # total of both directions, halved and rounded up
    ({"lanes": "4"}, 0, 2, 2),
    ({"lanes": "1"}, 0, 1, 1),
    ({"lanes": "2"}, 1, 2, 2),            # one-way: lanes is this direction
    ({"lanes": "3", "lanes:forward": "2", "lanes:backward": "1"}, 0, 2, 1),
    ({"lanes": "3", "lanes:forward": "2"}, 0, 2, 1),   # remainder goes the other way
    ({"lanes:backward": "2"}, 0, None, 2),
    ({}, 0, None, None),
    ({"lanes": "two"}, 0, None, None),
])
def test_lanes_per_direction(tags, oneway, fwd, bwd):
    assert lanes_per_direction(tags, oneway, True) == fwd
    assert lanes_per_direction(tags, oneway, False) == bwd


@pytest.mark.parametrize("tags, expected", [
    ({"oneway": "yes"}, 1), ({"oneway": "true"}, 1), ({"oneway": "1"}, 1), ({"oneway": "-1"}, -1),
    ({"oneway": "no"}, 0), ({}, 0), ({"junction": "roundabout"}, 1), ({"junction": "circular"}, 1),
    ({"highway": "motorway"}, 1), ({"highway": "motorway", "oneway": "no"}, 0), ({"oneway": "reversible"}, 0),
])
def test_parse_oneway(tags, expected):
    assert parse_oneway(tags) == expected


def test_building_use_and_place_kind():
    assert building_use({"building": "apartments"}) == "residential"
    assert building_use({"building": "yes", "amenity": "school"}) == "school"
    assert building_use({"building": "yes", "shop": "mall"}) == "commercial"
    assert building_use({"building": "yes"}, landuse="industrial") == "industrial"
    assert building_use({"building": "yes"}) == "other"
    assert building_use({"building": "cathedral"}) == "religious"
    assert place_kind({"amenity": "hospital"}) == "hospital"
    assert place_kind({"healthcare": "hospital"}) == "hospital"
    assert place_kind({"emergency": "assembly_point"}) == "shelter"
    assert place_kind({"amenity": "shelter"}) == "shelter"
    assert place_kind({"amenity": "shelter", "shelter_type": "public_transport"}) is None
    assert place_kind({"tourism": "museum"}) == "scenic_spot"
    assert place_kind({"tourism": "hotel"}) is None


def test_choose_crs():
    ll = CRS.from_epsg(4326)
    assert choose_crs(ll, (24.9, 60.1, 25.0, 60.2)).to_epsg() == UTM35N           # Helsinki: UTM 35N
    assert choose_crs(ll, (114.2, 30.5, 114.4, 30.7)).to_epsg() == 4547           # Wuhan: CGCS2000 GK CM 114E
    assert choose_crs(ll, (-74.1, 40.6, -73.9, 40.8)).to_epsg() == 32618          # New York: UTM 18N
    assert choose_crs(ll, (151.1, -33.9, 151.3, -33.8)).to_epsg() == 32756        # Sydney: UTM 56S
    assert choose_crs(CRS.from_epsg(4547), (0, 0, 1, 1)).to_epsg() == 4547        # projected DEM kept
    assert choose_crs(ll, (24.9, 60.1, 25.0, 60.2), crs="EPSG:3067").to_epsg() == 3067
    with pytest.raises(CityError, match="geographic"):
        choose_crs(ll, (24.9, 60.1, 25.0, 60.2), crs=4326)


def _frames(ways, node_xy, signals=()):
    """pyrosm-like get_network frames from {way_id: (node ids, tags)} in lon/lat."""
    nodes = pd.DataFrame({"id": list(node_xy), "lon": [p[0] for p in node_xy.values()],
                          "lat": [p[1] for p in node_xy.values()],
                          "tags": [{"highway": "traffic_signals"} if n in signals else None for n in node_xy]})
    rows = []
    for wid, (seq, tags) in ways.items():
        for a, b in zip(seq[:-1], seq[1:]):
            rows.append({"id": wid, "u": a, "v": b, "highway": tags.get("highway", "residential"),
                         "oneway": tags.get("oneway"), "name": tags.get("name"), "maxspeed": tags.get("maxspeed"),
                         "lanes": tags.get("lanes"), "tags": json.dumps({k: v for k, v in tags.items() if ":" in k}),
                         "geometry": LineString([node_xy[a], node_xy[b]])})
    return nodes, gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def test_build_road_graph_directions_and_merging():
    d = 0.001
    xy = {1: (25.0, 60.0), 2: (25.0 + d, 60.0), 3: (25.0 + 2 * d, 60.0), 4: (25.0 + 2 * d, 60.0 + d),
          5: (25.0 + 2 * d, 60.0 + 2 * d), 6: (25.0 + 3 * d, 60.0), 7: (25.0 + 4 * d, 60.0)}
    ways = {
        10: ([1, 2, 3], {"highway": "primary", "lanes": "4", "maxspeed": "50", "name": "Main"}),
        11: ([5, 4, 3], {"highway": "residential", "oneway": "-1"}),          # runs 3 -> 4 -> 5
        12: ([3, 6, 7], {"highway": "secondary", "lanes:forward": "2", "lanes:backward": "1",
                         "maxspeed:backward": "30 mph"}),
    }
    nodes, edges = _frames(ways, xy, signals={6})
    g, counts = build_road_graph(nodes, edges, CRS.from_epsg(UTM35N))
    # node 2 is interior to one way and merged away; 6 is a signal and kept
    assert set(g.nodes) == {1, 3, 5, 6, 7}
    assert g.nodes[6]["signal"] and g.nodes[6]["phase_plan"] == default_phase_plan()
    assert not g.nodes[3]["signal"] and g.nodes[3]["phase_plan"] is None
    assert sorted(g.edges()) == [(1, 3), (3, 1), (3, 5), (3, 6), (6, 3), (6, 7), (7, 6)]
    e = g.edges[3, 5, 0]  # oneway=-1: direction and geometry reversed
    assert e["oneway"] and len(e["geometry"].coords) == 3
    assert e["geometry"].coords[0] == (g.nodes[3]["x"], g.nodes[3]["y"])
    assert e["speed_kph"] == DEFAULT_SPEED_KPH["residential"] and e["lanes"] == 1 and e["name"] == ""
    main = g.edges[1, 3, 0]
    assert main["lanes"] == 2 and main["speed_kph"] == 50.0 and main["capacity_vph"] == 2 * 1700.0
    assert len(main["geometry"].coords) == 3 and main["name"] == "Main" and not main["oneway"]
    assert g.edges[3, 1, 0]["geometry"].coords[:] == main["geometry"].coords[::-1]
    assert g.edges[3, 6, 0]["lanes"] == 2 and g.edges[6, 3, 0]["lanes"] == 1
    assert g.edges[3, 6, 0]["speed_kph"] == DEFAULT_SPEED_KPH["secondary"]
    assert g.edges[6, 3, 0]["speed_kph"] == pytest.approx(30 * 1.609344)
    assert counts["signals"] == 1
    assert g.edges[1, 3, 0]["length_m"] == pytest.approx(
        Geod(ellps="WGS84").inv(25.0, 60.0, 25.0 + 2 * d, 60.0)[2], rel=1e-3)


# ---------------------------------------------------------------- the command line
def test_cli_import_osm_then_info(pbf, tmp_path):
    """`twin import-osm PBF --dem DEM --out CITY --mesh OBJ` then `twin info CITY` (as the README shows)."""
    import json
    import subprocess
    import sys

    import trimesh

    dem_path, (x0, y0) = write_dem(tmp_path / "dem.tif")
    box = trimesh.creation.box(extents=(40.0, 30.0, 20.0))
    box.apply_translation((0, 0, 10.0))
    obj = tmp_path / "district.obj"
    box.export(obj)
    out = tmp_path / "helsinki"
    run = lambda *a: subprocess.run([sys.executable, "-m", "twin.cli", "--quiet", *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=600)
    p = run("import-osm", pbf, "--dem", str(dem_path), "--out", str(out), "--mesh", str(obj),
            "--mesh-offset", f"{x0 + 500},{y0 + 500},15")
    assert p.returncode == 0, p.stderr
    info = json.loads(run("info", str(out), "--json").stdout)
    assert info["crs"] == f"EPSG:{UTM35N}" and info["buildings"] > 300 and info["signals"] > 0
    assert info["mesh_faces"] == 12
    city = load_city(out)
    scc = max(len(c) for c in nx.strongly_connected_components(city.roads)) / city.roads.number_of_nodes()
    assert scc >= 0.90
    # the mesh sits where the offset put it: box centre at (x0+500, y0+500), base at z=15
    lo, hi = city.mesh.bounds
    assert np.allclose((lo + hi)[:2] / 2, (x0 + 500, y0 + 500), atol=1e-3) and lo[2] == pytest.approx(15.0, abs=1e-3)
