"""Build the embedded sample city ``data_samples/chenzhou/`` (deterministic, synthetic).

A 4.8 km x 4.8 km piece of a hilly prefecture city at about 25.79 N, 113.03 E
(near Chenzhou, Hunan) in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547):

* terrain (5 m DEM): a river valley running south to north through the centre,
  a floodplain 0.7-1.7 km wide, hills of 250-450 m on both sides with fractal
  relief, an isolated scenic hill, and a tributary valley in the south-west
  dammed into a reservoir upstream of the city;
* roads: an arterial corridor ("Renmin Road") with 10 signalised intersections
  at irregular spacings of 270-550 m, secondary cross streets, a residential
  grid, a curved riverside road, two bridges, a west-bank district, a road up
  to the dam and an industrial park downstream;
* buildings: residential slabs and towers, commercial podium towers along the
  arterial, sheds in the industrial park, schools, hospitals and village houses,
  with heights, uses and residents;
* places: scenic spots with capacities, shelters, hospitals, fire stations, a
  chemical plant with chlorine and ammonia tanks, a river gauge and the reservoir;
* a reality mesh (GLB) of the central district: a 2 m surface mesh of the
  ground with the buildings, as a photogrammetric mesh would look.

Everything is generated from fixed seeds: running the script twice gives the
same city. It is synthetic (plausible, not surveyed) and says so in its manifest.

Usage: ``python data_samples/build_sample_city.py [OUT_DIR]``
"""
from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box
from shapely.ops import polygonize, unary_union

from terrain.raster import Raster
from terrain.sample import sample
from twin.city import City
from twin.places import make_places as places_frame
from twin.roads import LANE_CAPACITY_VPH, default_phase_plan

CRS_EPSG = 4547
X0, Y0 = 400300.0, 2851500.0  # south-west corner, metres in EPSG:4547
SIZE_M, RES_M = 4800.0, 5.0
SEED = 20260421
LEVEL_M = 3.0  # storey height
M2_PER_RESIDENT = 40.0  # urban housing floor area per person (China, 2020 census order of magnitude)
M2_PER_OCCUPANT = 25.0  # offices/shops/factories: gross floor area per daytime occupant

# Signalised intersections on the arterial (north coordinate v, metres from the south edge).
SIGNAL_V = [600.0, 980.0, 1290.0, 1820.0, 2180.0, 2610.0, 3010.0, 3560.0, 3830.0, 4280.0]
ARTERIAL_U = 2700.0
BRIDGE_V = (1820.0, 3010.0)


# ----------------------------------------------------------------------------- terrain
def river_u(v: np.ndarray | float) -> np.ndarray | float:
    """Centre line of the river (east coordinate u as a function of north v), metres."""
    return 2000.0 + 180.0 * np.sin(2 * np.pi * v / 2600.0 + 0.6) + 90.0 * np.sin(2 * np.pi * v / 1100.0 + 1.9)


def river_floor(v: np.ndarray | float) -> np.ndarray | float:
    """Floodplain elevation next to the river; the valley falls 1.5 m/km to the north."""
    return 175.0 - 0.0015 * v


def fbm(n: int, rng: np.random.Generator, beta: float = 2.2) -> np.ndarray:
    """Fractal (fBm-like) noise by spectral synthesis, zero mean, unit std."""
    k = np.fft.fftfreq(n)[:, None] ** 2 + np.fft.fftfreq(n)[None, :] ** 2
    k[0, 0] = 1.0
    spec = (rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))) * k ** (-beta / 2)
    spec[0, 0] = 0
    f = np.fft.ifft2(spec).real
    return (f - f.mean()) / f.std()


TRIB = LineString([(2030.0, 1300.0), (1500.0, 1230.0), (1150.0, 1120.0), (900.0, 1060.0),
                   (600.0, 980.0), (300.0, 900.0), (0.0, 870.0)])
DAM_S = 1160.0  # distance of the dam along the tributary from the confluence, m


def trib_bed(s: np.ndarray) -> np.ndarray:
    """Tributary valley floor along its length s from the confluence."""
    return river_floor(1300.0) + 0.5 + 0.03 * s


def make_terrain(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
    """DEM (water surface on the reservoir) and the bed under the reservoir, both (n, n) float32."""
    n = int(SIZE_M / RES_M)
    c = (np.arange(n) + 0.5) * RES_M
    u, v = np.meshgrid(c, SIZE_M - c)  # row 0 is the north edge
    d = u - river_u(v)
    floor = river_floor(v)
    noise = fbm(n, rng)
    ridge = fbm(n, rng, beta=2.8)
    # floodplain: gentle rise away from the river
    z = floor + 3.0 + 0.0035 * np.abs(d) + 0.12 * noise  # graded urban floodplain
    # hills beyond the floodplain edge (east edge varies along the valley)
    w_east = 1650.0 + 120.0 * np.sin(2 * np.pi * v / 3100.0)
    w_west = 720.0 + 80.0 * np.sin(2 * np.pi * v / 2300.0 + 1.0)
    over = np.where(d > 0, d - w_east, -d - w_west)
    t = np.clip(over / 650.0, 0.0, None)
    fine = fbm(n, rng, beta=1.7)
    hill_h = 190.0 + 60.0 * ridge
    ridged = 1.0 - np.abs(fbm(n, rng, beta=2.0))  # sharp crests, rounded valleys
    hill = (hill_h * (1 - np.exp(-t ** 1.6)) + np.clip(t, 0, 1) * (30.0 * noise + 60.0 * (ridged - 0.5) + 6.0 * fine))
    z += np.where(over > 0, np.maximum(hill, 0.02 * over), 0.0)
    # isolated scenic hill ("Suxian Hill") on the east side, north of the centre
    r2 = ((u - 3480.0) ** 2 + (v - 3560.0) ** 2) / 330.0 ** 2
    z += 135.0 * np.exp(-r2 ** 1.2) * (1 + 0.08 * noise)
    # river channel: 70 m wide, bed 4.5 m under the floodplain
    chan = np.clip(1 - (d / 36.0) ** 2, 0, None)
    z = np.where(chan > 0, np.minimum(z, floor + 3.0 - 4.5 * chan ** 0.5), z)
    # tributary valley carved into the west hills
    pts = shapely.points(u.ravel(), v.ravel())
    dist = shapely.distance(pts, TRIB).reshape(n, n)
    s = shapely.line_locate_point(TRIB, pts).reshape(n, n)
    valley = trib_bed(s) + 0.22 * dist + 0.0009 * dist ** 2 + 4.0 * noise * np.clip(dist / 200, 0, 1)
    k = 12.0  # smooth minimum (polynomial, Quilez) so the valley walls blend into the hills
    h = np.clip(0.5 + 0.5 * (valley - z) / k, 0.0, 1.0)
    carved = valley * (1 - h) + z * h - k * h * (1 - h)
    z = np.where(u < 2000.0, carved, z)
    bed = z.copy()
    # dam across the tributary and reservoir surface upstream
    normal = float(trib_bed(np.array(DAM_S))) + 30.0
    crest = normal + 4.0
    dam_line = TRIB.interpolate(DAM_S)
    p0 = TRIB.interpolate(DAM_S - 5)
    p1 = TRIB.interpolate(DAM_S + 5)
    tx, ty = (p1.x - p0.x) / 10, (p1.y - p0.y) / 10
    along = (u - dam_line.x) * tx + (v - dam_line.y) * ty
    across = np.abs(-(u - dam_line.x) * ty + (v - dam_line.y) * tx)
    dam = (np.abs(along) < 12.0) & (across < 260.0)
    z = np.where(dam, np.maximum(z, crest), z)
    bed = np.where(dam, z, bed)
    lake = (along > 12.0) & (z < normal) & (dist < 600) & (u < dam_line.x + 50)
    upstream = TRIB.interpolate(DAM_S + 60)
    lake = _connected(lake, seed=_rc(upstream.x, upstream.y, n))
    capacity = float(np.sum((normal - bed[lake])) * RES_M * RES_M)
    z = np.where(lake, normal, z)
    info = {"normal_level_m": round(normal, 2), "crest_level_m": round(crest, 2), "capacity_m3": round(capacity, -2),
            "lake": lake, "dam_xy": (dam_line.x, dam_line.y),
            "outlet_xy": (TRIB.interpolate(DAM_S - 30).x, TRIB.interpolate(DAM_S - 30).y)}
    return z.astype(np.float32), bed.astype(np.float32), info


def _rc(u: float, v: float, n: int) -> tuple[int, int]:
    return int((SIZE_M - v) / RES_M), int(u / RES_M)


def _connected(mask: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    from scipy.ndimage import label

    lab, _ = label(mask)
    k = lab[seed]
    if k == 0:
        raise RuntimeError("reservoir seed cell is not below the normal level")
    return lab == k


# ------------------------------------------------------------------------------- roads
def road_lines() -> list[dict]:
    """The street network as polylines (local u, v metres) with class, name and lanes."""
    L: list[dict] = []

    def add(coords, highway, name, lanes, speed, oneway=False):
        L.append({"geometry": LineString(coords), "highway": highway, "name": name, "lanes": lanes,
                  "speed_kph": speed, "oneway": oneway})

    vs = np.arange(300.0, 4700.1, 20.0)
    # arterial corridor, extended north into the industrial park
    add([(ARTERIAL_U, 300.0), (ARTERIAL_U, 4650.0)], "primary", "Renmin Road", 3, 60.0)
    # riverside road on the east bank, 120 m from the river centre line
    add([(river_u(v) + 120.0, v) for v in vs if 380 <= v <= 4620], "secondary", "Binjiang Road", 2, 50.0)
    # west-bank road, 140 m west of the river
    add([(river_u(v) - 140.0, v) for v in vs if 700 <= v <= 4200], "secondary", "Xijiang Road", 2, 50.0)
    # east collector
    add([(3250.0, 450.0), (3250.0, 3300.0)], "tertiary", "Xinglong Road", 2, 40.0)
    # cross streets at the signals (secondary), from the riverside road to the hill foot
    names = ["Nanhu Road", "Qingnian Road", "Guoqing Road", "Wuling Road", "Jiefang Road",
             "Beihu Road", "Xianglin Road", "Suxian Road", "Yanquan Road", "Beimen Road"]
    for v, nm in zip(SIGNAL_V, names):
        u_w = river_u(v) + 120.0
        u_e = 3600.0 if v < 3300 else 3150.0
        if v in BRIDGE_V:
            u_w = river_u(v) - 140.0  # bridge across the river
        add([(u_w, v), (u_e, v)], "secondary", nm, 2, 50.0)
    # local streets between signals (residential, 1 lane each way)
    local_v = []
    for a, b in zip([350.0] + SIGNAL_V, SIGNAL_V + [4600.0]):
        k = int((b - a) // 200.0)
        local_v += [a + (b - a) * (i + 1) / (k + 1) for i in range(k)]
    for v in local_v:
        u_e = 3500.0 if v < 3250 else 3100.0
        add([(river_u(v) + 120.0, v), (u_e, v)], "residential", "", 1, 30.0)
    # north-south local streets
    for u in (2460.0, 2920.0, 3460.0):
        v0, v1 = (450.0, 3250.0) if u > 3300 else (450.0, 4150.0)
        add([(u, v0), (u, v1)], "residential", "", 1, 30.0)
    # west bank local grid
    for v in (1500.0, 2180.0, 2450.0, 2700.0, 3300.0, 3700.0):
        add([(river_u(v) - 140.0, v), (river_u(v) - 560.0, v)], "residential", "", 1, 30.0)
    add([(river_u(v) - 380.0, v) for v in vs if 1500 <= v <= 3700], "residential", "", 1, 30.0)
    # road up the tributary to the dam and the reservoir scenic area
    add([(river_u(1300.0) - 140.0, 1300.0), (1450.0, 1180.0), (1150.0, 1060.0), (960.0, 1000.0)],
        "tertiary", "Fengshan Road", 1, 40.0)
    # industrial park loop (downstream, east bank)
    add([(ARTERIAL_U, 4650.0), (2350.0, 4650.0), (2350.0, 4280.0)], "tertiary", "Huagong Road", 2, 40.0)
    add([(2350.0, 4470.0), (ARTERIAL_U, 4470.0)], "tertiary", "Huagong Branch", 1, 40.0)
    # access road to the scenic hill
    add([(3250.0, 3300.0), (3250.0, 3560.0), (3300.0, 3560.0)], "tertiary", "Suxianling Road", 1, 30.0)
    return L


def crosses_river(geom_local: LineString) -> bool:
    """A road segment (local u, v metres) that crosses the river centre line is a bridge."""
    vs = np.linspace(-100.0, 4900.0, 1001)
    return bool(geom_local.intersects(LineString(np.column_stack([river_u(vs), vs]))))


def build_graph(lines: list[dict], dem: Raster) -> nx.MultiDiGraph:
    """Node the polylines at every crossing and build the directed road graph (EPSG:4547)."""
    merged = unary_union([l["geometry"] for l in lines])
    segs = list(merged.geoms) if isinstance(merged, MultiLineString) else [merged]
    tree = shapely.STRtree([l["geometry"] for l in lines])
    g = nx.MultiDiGraph(crs=CRS.from_epsg(CRS_EPSG), name="chenzhou")
    ids: dict[tuple[float, float], int] = {}

    def node(pt):
        key = (round(pt[0] + X0, 2), round(pt[1] + Y0, 2))
        if key not in ids:
            ids[key] = len(ids) + 1
            g.add_node(ids[key], x=key[0], y=key[1])
        return ids[key]

    for seg in segs:
        mid = seg.interpolate(0.5, normalized=True)
        hits = tree.query(mid, predicate="dwithin", distance=1e-6)
        src = lines[int(min(hits, key=lambda i: lines[i]["geometry"].distance(mid)))]
        coords = [(x + X0, y + Y0) for x, y in seg.coords]
        u, v = node(seg.coords[0]), node(seg.coords[-1])
        if u == v:
            continue
        bridge = crosses_river(seg)
        for a, b, cs in ((u, v, coords), (v, u, coords[::-1])):
            geom = LineString(cs)
            lanes = int(src["lanes"])
            g.add_edge(a, b, length_m=float(geom.length), speed_kph=float(src["speed_kph"]), lanes=lanes,
                       capacity_vph=lanes * LANE_CAPACITY_VPH[src["highway"]], oneway=False,
                       highway=src["highway"], name=src["name"], bridge=bridge, geometry=geom)
    xs = np.array([g.nodes[n]["x"] for n in g.nodes])
    ys = np.array([g.nodes[n]["y"] for n in g.nodes])
    elev = sample(dem, xs, ys)
    for n, z in zip(g.nodes, elev):
        g.nodes[n]["elevation_m"] = round(float(z), 3)
        g.nodes[n]["signal"] = False
        g.nodes[n]["phase_plan"] = None
    # signals: arterial crossings with secondary streets, plus the bridge heads
    offsets = np.cumsum([0.0] + list(np.diff(SIGNAL_V) / (50.0 / 3.6))) % 100.0
    for v, off in zip(SIGNAL_V, offsets):
        n = ids[(round(ARTERIAL_U + X0, 2), round(v + Y0, 2))]
        g.nodes[n]["signal"] = True
        g.nodes[n]["phase_plan"] = default_phase_plan(100.0, offset_s=round(float(off), 1), main_share=0.6)
    for v in BRIDGE_V:
        for du in (120.0, -140.0):
            key = (round(float(river_u(v)) + du + X0, 2), round(v + Y0, 2))
            cand = min(ids, key=lambda k: (k[0] - key[0]) ** 2 + (k[1] - key[1]) ** 2)
            g.nodes[ids[cand]]["signal"] = True
            g.nodes[ids[cand]]["phase_plan"] = default_phase_plan(80.0)
    return g


# --------------------------------------------------------------------------- buildings
def zone_of(u: float, v: float) -> str:
    if v > 4200 and u < ARTERIAL_U + 10:
        return "industrial"
    if abs(u - ARTERIAL_U) < 150:
        return "commercial"
    if u < float(river_u(v)):
        return "west"
    return "residential"


def make_buildings(lines: list[dict], dem: Raster, rng: np.random.Generator, lake: np.ndarray) -> gpd.GeoDataFrame:
    """Fill the street blocks with buildings by zone; village houses along the roads outside them."""
    net = unary_union([l["geometry"] for l in lines])
    blocks = [b for b in polygonize(net) if b.area > 4000]
    slope_ok = _flat_mask(dem)
    recs: list[dict] = []

    def ok(poly: Polygon) -> bool:
        c = poly.centroid
        r, col = _rc(c.x, c.y, dem.shape[0])
        return 0 <= r < dem.shape[0] and 0 <= col < dem.shape[1] and slope_ok[r, col] and not lake[r, col]

    def put(poly: Polygon, use: str, levels: int, name: str = "") -> None:
        if ok(poly):
            recs.append({"geometry": poly, "use": use, "levels": int(levels), "name": name})

    for bi, blk in enumerate(sorted(blocks, key=lambda b: (round(b.centroid.y), round(b.centroid.x)))):
        c = blk.centroid
        zone = zone_of(c.x, c.y)
        inner = blk.buffer(-14.0, join_style="mitre")
        if inner.is_empty:
            continue
        minx, miny, maxx, maxy = inner.bounds
        if zone == "industrial":
            _rows(inner, 70, 40, 25, 22, lambda p: put(p, "industrial", int(rng.integers(2, 5))), rng, jitter=True)
        elif zone == "commercial":
            _rows(inner, 36, 28, 14, 16, lambda p: put(p, "commercial", int(rng.choice([4, 6, 12, 18, 24, 28]))), rng)
        elif zone == "west":
            _rows(inner, 14, 11, 6, 6, lambda p: put(p, "residential", int(rng.integers(2, 5))), rng, jitter=True)
        else:
            if bi % 11 == 3 and inner.area > 25000:  # a school with a playground
                put(_fit(inner, 70, 18, minx + 5, maxy - 25), "school", 5, f"No.{bi} Middle School")
                continue
            tall = rng.random() < 0.35
            if tall:
                _rows(inner, 34, 16, 26, 40, lambda p: put(p, "residential", int(rng.integers(18, 33))), rng)
            else:
                _rows(inner, 56, 13, 14, 16, lambda p: put(p, "residential", int(rng.integers(5, 8))), rng)
    # village houses scattered along roads at the foot of the hills and up the tributary
    for l in lines:
        if l["highway"] in ("tertiary", "residential", "secondary"):
            geom = l["geometry"]
            for s in np.arange(20.0, geom.length, 33.0):
                p = geom.interpolate(s)
                for side in (-1, 1):
                    q = geom.interpolate(min(s + 1, geom.length))
                    dx, dy = q.x - p.x, q.y - p.y
                    nrm = np.hypot(dx, dy) or 1.0
                    off = side * (24.0 + 10 * rng.random())
                    cx, cy = p.x - dy / nrm * off, p.y + dx / nrm * off
                    if zone_of(cx, cy) in ("west",) or cx > 3380 or (cy < 700 and cx > 2300):
                        w, h = 10 + 4 * rng.random(), 9 + 3 * rng.random()
                        poly = box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                        put(poly, "residential", int(rng.integers(2, 5)))
    gdf = gpd.GeoDataFrame(recs, geometry="geometry")
    # drop overlaps and anything on a road
    roads_buf = net.buffer(8.0)
    geoms = gdf.geometry.values
    ok_mask = ~shapely.intersects(geoms, roads_buf)
    a, b = shapely.STRtree(geoms).query(shapely.buffer(geoms, 2.0), predicate="intersects")
    for i, j in sorted(zip(a.tolist(), b.tolist())):  # first come keeps its place
        if i < j and ok_mask[i]:
            ok_mask[j] = False
    keep = np.flatnonzero(ok_mask)
    gdf = gdf.iloc[keep].reset_index(drop=True)
    gdf["geometry"] = gdf.geometry.translate(X0, Y0)
    heights = gdf["levels"] * LEVEL_M + np.where(gdf["use"] == "industrial", 2.0, 0.0)
    gdf["height_m"] = np.round(heights.astype(float), 1)
    floor_area = gdf.geometry.area * gdf["levels"]
    gdf["population"] = np.round(np.where(gdf["use"] == "residential", 0.85 * floor_area / M2_PER_RESIDENT,
                                          np.where(gdf["use"] == "industrial", floor_area / 120.0,
                                                   floor_area / M2_PER_OCCUPANT)))
    gdf["building_id"] = [f"b{i:05d}" for i in range(len(gdf))]
    return gdf.set_crs(CRS_EPSG)[["building_id", "height_m", "use", "levels", "population", "name", "geometry"]]


def _rows(inner, w, h, gap_x, gap_y, emit, rng, jitter=False) -> None:
    """Lay w x h rectangles in rows inside ``inner`` (rows run east-west: buildings face south)."""
    minx, miny, maxx, maxy = inner.bounds
    y = maxy - h
    while y >= miny:
        x = minx
        while x + w <= maxx:
            jx = rng.uniform(-3, 3) if jitter else 0.0
            poly = box(x + jx, y, x + jx + w, y + h)
            if inner.contains(poly):
                emit(poly)
            x += w + gap_x
        y -= h + gap_y


def _fit(inner, w, h, x, y) -> Polygon:
    return box(x, y, x + w, y + h) if inner.contains(box(x, y, x + w, y + h)) else inner.centroid.buffer(1)


def _flat_mask(dem: Raster) -> np.ndarray:
    gy, gx = np.gradient(dem.data, RES_M)
    return np.hypot(gx, gy) < 0.12


# ------------------------------------------------------------------------------ places
def make_places(dem: Raster, res_info: dict, buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:

    def P(u, v):
        return Point(u + X0, v + Y0)

    def poly(u, v, r, k=14):
        a = np.linspace(0, 2 * np.pi, k, endpoint=False)
        return Polygon([(u + X0 + r * np.cos(t) * (1 + 0.15 * np.sin(3 * t)), v + Y0 + r * np.sin(t)) for t in a])

    lake_cells = np.argwhere(res_info["lake"])
    lake_poly = unary_union([box(c * RES_M, SIZE_M - (r + 1) * RES_M, (c + 1) * RES_M, SIZE_M - r * RES_M)
                             for r, c in lake_cells]).simplify(2.0)
    lake_poly = affinity.translate(lake_poly, X0, Y0)
    # per-capita space for instantaneous capacity (m2/person): LB/T 034-2014 style values
    spots = [
        ("Suxian Hill Scenic Area", "5A", poly(3480, 3560, 300), 60.0),
        ("Fengshan Reservoir Lake", "4A", None, 100.0),
        ("Chenjiang Riverside Park", "3A", poly(float(river_u(2400)) - 40, 2400, 140), 15.0),
        ("Yuxi Ancient Street", "4A", box(ARTERIAL_U + X0 + 30, 2240 + Y0, ARTERIAL_U + X0 + 70, 2560 + Y0), 3.0),
        ("Beihu Park", "4A", poly(3420, 2900, 110), 20.0),
        ("Wanhua Rock Cave", "4A", poly(3900, 1500, 90), 8.0),
        ("Xiangnan Folk Museum", "3A", box(ARTERIAL_U + X0 - 120, 1400 + Y0, ARTERIAL_U + X0 - 40, 1460 + Y0), 5.0),
    ]
    recs = []
    for name, grade, geom, m2pp in spots:
        if geom is None:
            geom = lake_poly.buffer(40).difference(lake_poly.buffer(2))  # the shore belt
        area = float(geom.area)
        recs.append({"kind": "scenic_spot", "name": name, "geometry": geom, "grade": grade, "area_m2": round(area, 1),
                     "capacity_persons": float(round(area / m2pp)), "space_m2_per_person": m2pp})
    schools = buildings[buildings["use"] == "school"]
    for _, s in schools.iterrows():
        pg = s.geometry.centroid.buffer(45, cap_style="square")
        recs.append({"kind": "shelter", "name": f"{s['name']} playground", "geometry": s.geometry.centroid,
                     "capacity_persons": float(round(pg.area / 2.0)), "area_m2": round(float(pg.area), 1)})
    recs += [
        {"kind": "shelter", "name": "People's Square", "geometry": P(ARTERIAL_U + 90, 1990), "capacity_persons": 6000.0, "area_m2": 12000.0},
        {"kind": "shelter", "name": "Beihu Park Shelter", "geometry": P(3420, 2900), "capacity_persons": 9000.0, "area_m2": 18000.0},
        {"kind": "shelter", "name": "West Bank Sports Ground", "geometry": P(float(river_u(2600)) - 300, 2560), "capacity_persons": 4000.0, "area_m2": 8000.0},
        {"kind": "hospital", "name": "First People's Hospital", "geometry": P(ARTERIAL_U + 110, 2380), "beds": 1800.0},
        {"kind": "hospital", "name": "Xijiang District Hospital", "geometry": P(float(river_u(3300)) - 260, 3230), "beds": 400.0},
        {"kind": "hospital", "name": "Traditional Chinese Medicine Hospital", "geometry": P(ARTERIAL_U - 110, 820), "beds": 600.0},
        {"kind": "fire_station", "name": "Beihu Fire Station", "geometry": P(ARTERIAL_U + 60, 3420), "engines": 6.0},
        {"kind": "fire_station", "name": "Nanhu Fire Station", "geometry": P(ARTERIAL_U + 60, 760), "engines": 5.0},
        {"kind": "fire_station", "name": "Industrial Park Special Service Station", "geometry": P(2450, 4380), "engines": 4.0,
         "specialties": ["hazmat"]},
        {"kind": "hazmat_site", "name": "Xiangnan Chlor-Alkali Chemical Co.", "geometry": box(2380 + X0, 4500 + Y0, 2560 + X0, 4620 + Y0),
         "inventory": [
             {"chemical": "chlorine", "mass_kg": 25000.0, "state": "liquefied_under_pressure", "pressure_bar": 6.8,
              "temperature_c": 20.0, "volume_m3": 22.0, "tank_xy": [2420 + X0, 4560 + Y0]},
             {"chemical": "ammonia", "mass_kg": 40000.0, "state": "refrigerated_liquid", "pressure_bar": 1.0,
              "temperature_c": -33.0, "volume_m3": 65.0, "tank_xy": [2510 + X0, 4560 + Y0]},
         ]},
        {"kind": "river_gauge", "name": "Chenjiang Bridge Gauge", "geometry": P(float(river_u(3010)), 3010),
         "datum_m": round(float(river_floor(3010)) - 1.5, 2), "warning_level_m": round(float(river_floor(3010)) + 1.5, 2),
         "guarantee_level_m": round(float(river_floor(3010)) + 2.5, 2)},
        {"kind": "reservoir", "name": "Fengshan Reservoir", "geometry": lake_poly,
         "capacity_m3": res_info["capacity_m3"], "normal_level_m": res_info["normal_level_m"],
         "crest_level_m": res_info["crest_level_m"], "dam_xy": [res_info["dam_xy"][0] + X0, res_info["dam_xy"][1] + Y0],
         "outlet_xy": [res_info["outlet_xy"][0] + X0, res_info["outlet_xy"][1] + Y0]},
    ]
    return places_frame(recs, CRS.from_epsg(CRS_EPSG))


# -------------------------------------------------------------------------------- mesh
def district_mesh(dem: Raster, buildings: gpd.GeoDataFrame, bounds: tuple[float, float, float, float],
                  res: float = 2.0):
    """Photogrammetry-like 2.5-D surface mesh of a district: ground + buildings at ``res`` metres."""
    import trimesh
    from rasterio.features import rasterize

    l, b, r, t = bounds
    nx_, ny_ = int((r - l) / res), int((t - b) / res)
    tr = Affine(res, 0, l, 0, -res, t)
    xs = l + (np.arange(nx_) + 0.5) * res
    ys = t - (np.arange(ny_) + 0.5) * res
    X, Y = np.meshgrid(xs, ys)
    ground = sample(dem, X.ravel(), Y.ravel()).reshape(X.shape)
    sel = buildings.cx[l:r, b:t]
    hmap = rasterize(((g, h) for g, h in zip(sel.geometry, sel["height_m"])), out_shape=(ny_, nx_), transform=tr,
                     fill=0.0, dtype="float32")
    z = ground + hmap
    vid = np.arange(nx_ * ny_).reshape(ny_, nx_)
    a, bb, c, d = vid[:-1, :-1], vid[:-1, 1:], vid[1:, :-1], vid[1:, 1:]
    faces = np.concatenate([np.stack([a, c, bb], -1).reshape(-1, 3), np.stack([bb, c, d], -1).reshape(-1, 3)])
    verts = np.column_stack([X.ravel(), Y.ravel(), z.ravel()])
    roof = hmap.ravel() > 0
    col = np.where(roof[:, None], [176, 170, 160, 255], [96, 128, 72, 255]).astype(np.uint8)
    return trimesh.Trimesh(vertices=verts, faces=faces, vertex_colors=col, process=False)


# -------------------------------------------------------------------------------- main
def build(out: Path) -> City:
    rng = np.random.default_rng(SEED)
    z, bed, res_info = make_terrain(rng)
    dem = Raster(z, Affine(RES_M, 0, X0, 0, -RES_M, Y0 + SIZE_M), CRS.from_epsg(CRS_EPSG))
    lines = road_lines()
    roads = build_graph(lines, dem)
    buildings = make_buildings(lines, dem, rng, res_info["lake"])
    places = make_places(dem, res_info, buildings)
    cx, cy = X0 + ARTERIAL_U, Y0 + 2300.0
    mesh = district_mesh(dem, buildings, (cx - 350, cy - 300, cx + 250, cy + 300))
    city = City(name="chenzhou", crs=CRS.from_epsg(CRS_EPSG), terrain=dem, buildings=buildings, roads=roads,
                places=places, mesh=mesh,
                meta={"description": "Synthetic sample city near Chenzhou, Hunan (25.79 N, 113.03 E): plausible, not surveyed.",
                      "synthetic": True, "generator": "data_samples/build_sample_city.py", "seed": SEED,
                      "timezone": "Asia/Shanghai", "mesh_offset": [round(cx - 350), round(cy - 300), 0.0],
                      "mesh_district": "central district around Renmin Road / Jiefang Road, 600 m x 600 m, 2 m"})
    return city.save(out, overwrite=True) and city


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "chenzhou"
    c = build(out)
    import json

    print(json.dumps(c.info(), indent=1))
