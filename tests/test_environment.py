"""environment.yml (conda users) stays in step with pyproject.toml (what pip and CI install)."""
from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT

# conda-forge names that differ from the PyPI names
CONDA_NAME = {"netcdf4": "netcdf4", "pyyaml": "pyyaml"}


def _name(req: str) -> str:
    return re.split(r"[<>=!\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return re.sub(r"\[.*?\]", "", req).replace(" ", "").lower().replace("_", "-")


def test_environment_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_specs = {_name(d): _spec(d) for d in conda}
    pip_specs = {_name(d.split("#")[0]): _spec(d.split("#")[0]) for d in pip if not d.startswith("-")}
    # every runtime dependency is a conda-forge package (or, for PyPI-only ones, a pip line)
    # with the same lower bound
    for req in py["dependencies"]:
        name = CONDA_NAME.get(_name(req), _name(req))
        if name in pip_specs:
            assert pip_specs[name] == _spec(req), (pip_specs[name], req)
            continue
        assert name in conda_specs, f"environment.yml lacks {name} (pyproject: {req})"
        assert conda_specs[name] == _spec(req).replace(_name(req), name, 1), (conda_specs[name], req)
    # python version and the project itself (with the dev extra) through pip
    assert f"python{py['requires-python']}" in conda
    assert any(p.replace('"', '').startswith("-e .[") and "dev" in p for p in pip)
    # nothing in environment.yml that pyproject does not know about, except trimesh[easy] helpers
    extras = {"python", "pip", "rtree", "embreex", "mapbox-earcut"}
    known = {CONDA_NAME.get(_name(r), _name(r)) for r in py["dependencies"]}
    assert set(conda_specs) - known <= extras, set(conda_specs) - known - extras
