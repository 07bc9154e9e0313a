"""Shared fixtures: the sample city, a demo run, the shared reference data."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data_samples" / "chenzhou"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def sample_city():
    from twin.city import load_city

    return load_city(SAMPLE)


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory):
    """`twin demo` run once into a temporary output root, in two worker processes."""
    from twin.cli import main

    out = tmp_path_factory.mktemp("out")
    assert main(["--quiet", "demo", "--jobs", "2", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def shared_data():
    """../shared/data (real reference data); skipped with the reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} not present")
    return SHARED_DATA


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
