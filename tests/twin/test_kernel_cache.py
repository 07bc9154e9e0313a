"""Stale numba caches are dropped when a kernel source changes (twin.kernel_cache)."""
from __future__ import annotations

from twin.kernel_cache import drop_stale_caches, sources_digest


def _tree(tmp_path):
    (tmp_path / "twin" / "__pycache__").mkdir(parents=True)
    pkg = tmp_path / "sim"
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "kern.py").write_text("from numba import njit\n")
    (pkg / "model.py").write_text("import numpy\n")
    for name in ("kern.f-1.py311.nbi", "kern.f-1.py311.1.nbc", "model.cpython-311.pyc"):
        (pkg / "__pycache__" / name).write_text("x")
    return pkg / "__pycache__"


def _caches(cache):
    return sorted(p.name for p in cache.iterdir() if p.suffix in (".nbi", ".nbc"))


def test_caches_go_when_a_numba_source_changes_and_stay_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    cache = _tree(tmp_path)
    pk = ("twin", "sim")
    assert drop_stale_caches(tmp_path, pk) == 2  # no stored digest yet: unknown age, dropped
    assert _caches(cache) == [] and (cache / "model.cpython-311.pyc").exists()
    (cache / "kern.f-1.py311.nbi").write_text("x")
    assert drop_stale_caches(tmp_path, pk) == 0 and _caches(cache) == ["kern.f-1.py311.nbi"]
    d0 = sources_digest(tmp_path, pk)
    (tmp_path / "sim" / "model.py").write_text("import numpy  # edited\n")  # no numba: kernels unaffected
    assert sources_digest(tmp_path, pk) == d0 and drop_stale_caches(tmp_path, pk) == 0
    (tmp_path / "sim" / "kern.py").write_text("from numba import njit  # edited\n")
    assert sources_digest(tmp_path, pk) != d0
    assert drop_stale_caches(tmp_path, pk) == 1 and _caches(cache) == []


def test_a_user_cache_dir_is_left_alone(tmp_path, monkeypatch):
    cache = _tree(tmp_path)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert drop_stale_caches(tmp_path, ("twin", "sim")) == 0 and len(_caches(cache)) == 2
