"""City model: folder round trip, schema checks, and the sample city's promised contents."""
from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import yaml

from terrain.raster import Raster, write_raster
from tests.conftest import SAMPLE
from twin.city import City, load_city
from twin.errors import CityError, InputError


def assert_same_city(a: City, b: City) -> None:
    assert a.name == b.name and a.crs == b.crs and a.meta == b.meta
    assert a.terrain.equals(b.terrain)
    assert a.buildings.drop(columns="geometry").equals(b.buildings.drop(columns="geometry"))
    assert a.buildings.geometry.geom_equals_exact(b.buildings.geometry, tolerance=0).all()
    assert (a.buildings.geom_type == b.buildings.geom_type).all()
    assert a.places["attrs"].tolist() == b.places["attrs"].tolist()
    assert a.places.geometry.geom_equals_exact(b.places.geometry, tolerance=0).all()
    assert nx.utils.graphs_equal(a.roads, b.roads)  # nodes, edges, keys and attribute dicts
    for u, v, k, d in a.roads.edges(keys=True, data=True):
        assert b.roads.edges[u, v, k]["geometry"].equals_exact(d["geometry"], tolerance=0)


def test_round_trip_exact(sample_city, tmp_path):
    out = sample_city.save(tmp_path / "c")
    back = load_city(out)
    assert_same_city(sample_city, back)
    # mesh: GLB holds float32 local coordinates around the manifest offset (sub-mm for a 600 m district)
    assert np.abs(back.mesh.vertices - sample_city.mesh.vertices).max() < 2e-3
    assert np.array_equal(back.mesh.faces, sample_city.mesh.faces)
    # a second round trip is bit-exact, mesh included
    again = load_city(back.save(tmp_path / "c2"))
    assert_same_city(back, again)
    assert np.array_equal(again.mesh.vertices, back.mesh.vertices)


def test_save_is_atomic_and_never_clobbers(sample_city, tmp_path):
    target = tmp_path / "c"
    sample_city.save(target)
    with pytest.raises(InputError, match="already exists"):
        sample_city.save(target)
    user = tmp_path / "mydata"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a city folder"):
        sample_city.save(user, overwrite=True)
    assert (user / "notes.txt").read_text() == "keep me"
    sample_city.save(target, overwrite=True)
    assert not (tmp_path / "c.partial").exists() and not (tmp_path / "c.old").exists()


def test_crs_mismatch_and_schema_errors(sample_city):
    t = sample_city.terrain
    wrong = Raster(t.data, t.transform, "EPSG:4548")
    with pytest.raises(CityError, match="terrain CRS"):
        City(sample_city.name, sample_city.crs, wrong, sample_city.buildings, sample_city.roads, sample_city.places)
    with pytest.raises(CityError, match="geographic"):
        City(sample_city.name, "EPSG:4490", t, sample_city.buildings, sample_city.roads, sample_city.places)
    b = sample_city.buildings.copy()
    b.loc[b.index[0], "height_m"] = 0.0
    with pytest.raises(CityError, match="height_m > 0"):
        City(sample_city.name, sample_city.crs, t, b, sample_city.roads, sample_city.places)
    b = sample_city.buildings.copy()
    b.loc[b.index[0], "use"] = "castle"
    with pytest.raises(CityError, match="castle"):
        City(sample_city.name, sample_city.crs, t, b, sample_city.roads, sample_city.places)


def test_load_city_bad_inputs(tmp_path, sample_city):
    with pytest.raises(InputError, match="city manifest not found"):
        load_city(tmp_path / "nowhere")
    c = sample_city.save(tmp_path / "c")
    man = yaml.safe_load((c / "city.yaml").read_text())
    (c / "city.yaml").write_text("name: [unclosed\n")
    with pytest.raises(InputError, match=r"malformed YAML \(line"):
        load_city(c)
    (c / "city.yaml").write_text(yaml.safe_dump({**man, "crs": "EPSG:4326"}))
    with pytest.raises(CityError, match="geographic"):
        load_city(c)
    (c / "city.yaml").write_text(yaml.safe_dump({k: v for k, v in man.items() if k != "crs"}))
    with pytest.raises(InputError, match="missing key 'crs'"):
        load_city(c)
    (c / "city.yaml").write_text(yaml.safe_dump(man))
    nan = Raster(np.full((4, 4), np.nan, np.float32), sample_city.terrain.transform, sample_city.crs)
    write_raster(nan, c / "terrain.tif")
    with pytest.raises(InputError, match="every cell is nodata"):
        load_city(c)


# ---------------------------------------------------------------------------- sample city
def test_sample_city_contents(sample_city):
    """What the issue promises for data_samples/ (item 8)."""
    c = sample_city
    assert c.crs.to_epsg() == 4547
    info = c.info()
    lon0, lat0, lon1, lat1 = info["extent_lonlat"]
    assert abs((lon0 + lon1) / 2 - 113.03) < 0.05 and abs((lat0 + lat1) / 2 - 25.79) < 0.05
    assert min(info["size_km"]) >= 4.0 and max(c.terrain.res) <= 5.0
    z = c.terrain.data
    assert np.nanmax(z) - np.nanmin(z) > 200, "hills"
    # the river valley: the lowest ground runs south to north through the middle third
    cols = np.nanargmin(z, axis=1)
    assert (np.abs(cols - z.shape[1] / 2) < z.shape[1] / 3).mean() > 0.9
    assert len(c.buildings) >= 1500
    assert c.buildings["height_m"].between(2.5, 150).all() and c.buildings["use"].nunique() >= 4
    signals = [n for n, d in c.roads.nodes(data=True) if d["signal"]]
    arterial = [n for n in signals if any(d["name"] == "Renmin Road" for *_, d in c.roads.edges(n, data=True))]
    assert len(arterial) >= 8
    ys = np.sort([c.roads.nodes[n]["y"] for n in arterial])
    assert 250 <= np.diff(ys).min() and np.diff(ys).max() <= 650, np.diff(ys)
    kinds = c.places["kind"].value_counts()
    assert kinds["scenic_spot"] >= 6 and kinds["shelter"] >= 1 and kinds["hospital"] >= 1 and kinds["fire_station"] >= 1
    hz = c.places[c.places["kind"] == "hazmat_site"]["attrs"].iloc[0]
    assert {t["chemical"] for t in hz["inventory"]} >= {"chlorine", "ammonia"}
    assert c.mesh is not None and len(c.mesh.faces) > 10_000
    # routable: one strongly connected component
    assert max(len(s) for s in nx.strongly_connected_components(c.roads)) == c.roads.number_of_nodes()
    # size on disk
    assert sum(f.stat().st_size for f in SAMPLE.iterdir()) < 20e6


def test_sample_reservoir_capacity_is_consistent(sample_city):
    """The reservoir's stated capacity equals the water volume above the pre-impoundment bed within 1 %
    (recomputed independently here from the generator's terrain function)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bsc", SAMPLE.parent / "build_sample_city.py")
    bsc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bsc)
    z, bed, info = bsc.make_terrain(np.random.default_rng(bsc.SEED))
    assert np.array_equal(z, sample_city.terrain.data), "committed DEM = generator output (deterministic)"
    res = sample_city.places[sample_city.places["kind"] == "reservoir"]["attrs"].iloc[0]
    lake = info["lake"]
    vol = float(np.sum(res["normal_level_m"] - bed[lake].astype(float))) * 25.0
    assert vol == pytest.approx(res["capacity_m3"], rel=0.01)
    assert np.all(np.isclose(z[lake], res["normal_level_m"], atol=0.01)), "flat water surface"


def test_info_is_json(sample_city):
    info = json.loads(json.dumps(sample_city.info()))
    assert info["buildings"] == len(sample_city.buildings) and info["crs"] == "EPSG:4547"
