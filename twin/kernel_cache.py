"""Drop numba's on-disk kernel caches when any of the project's sources changed.

numba (``@njit(cache=True)``) keys a cached kernel by the timestamp and size of the file that
defines it, not of the files it calls into. A kernel in one module that calls a changed kernel
in another (``sim.greenwave.ctl_kernels`` stepping ``sim.greenwave.kernels._advance``) would load
its old machine code with the old callee inlined and run the old model without a word. So
once per process, before any kernel runs, the sources that use numba in the packages that hold
kernels are hashed (a kernel can only call kernels, and those live in such files); when the hash differs from the one stored beside the caches, every cache file of those
packages is removed (numba compiles afresh, once) and the new hash stored.

Only numba's default cache location (``__pycache__`` beside each source) is handled; with
``NUMBA_CACHE_DIR`` set, clear that folder after updating the code.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("twin", "terrain", "sim")
STAMP = "citytwin_sources.sha256"


def sources_digest(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> str:
    """SHA-256 over the relative path and bytes of every ``.py`` file of ``packages`` that uses numba."""
    h = hashlib.sha256()
    for pkg in packages:
        for f in sorted((root / pkg).rglob("*.py")):
            text = f.read_bytes()
            if b"numba" not in text:
                continue
            h.update(f.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(text)
            h.update(b"\0")
    return h.hexdigest()


def drop_stale_caches(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> int:
    """Remove the numba cache files (``*.nbi``, ``*.nbc``) of ``packages`` when their sources
    changed since the stored digest; returns how many were removed. Read-only installs and
    races with another process doing the same are tolerated (numba then recompiles)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return 0
    stamp = root / "twin" / "__pycache__" / STAMP
    try:
        digest = sources_digest(root, packages)
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return 0
        removed = 0
        for pkg in packages:
            for pattern in ("*.nbi", "*.nbc"):
                for f in (root / pkg).rglob(f"__pycache__/{pattern}"):
                    try:
                        f.unlink()
                        removed += 1
                    except FileNotFoundError:
                        pass
        stamp.parent.mkdir(exist_ok=True)
        tmp = stamp.with_name(f"{STAMP}.{os.getpid()}.tmp")
        tmp.write_text(digest + "\n")
        os.replace(tmp, stamp)
        return removed
    except OSError:
        return 0
