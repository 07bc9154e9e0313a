"""The optional GPU path of the flood solver (``simulate(backend="cuda")``, :mod:`sim.flood.gpu`).

CI has no GPU, so the kernels run in numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``: the same
Python kernel code, one Python thread per GPU thread), in a subprocess because the simulator
must be chosen before ``numba.cuda`` is first imported. The simulator evaluates the float32
arithmetic in numpy, the CPU kernels in LLVM with a cube-root estimate for the 7/3 power
(relative 1e-6), so the two agree to float32 round-off, not to the bit. On an H200 (numba-cuda
0.30.4, BENCHMARKS.md) the compiled kernels gave the same agreement (2.5e-6 m over 305 steps).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.flood.solver import simulate

ROOT = Path(__file__).resolve().parents[2]
MODES = ("persistent", "launches", "auto")
TOL_M = 2e-5  # float32 round-off over ~12 steps of a rough case (measured < 1e-6)

SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, ROOT)
from sim.flood import gpu
gpu.RED_THREADS, gpu.FACE_BLOCK = 8, (4, 4)  # small blocks: the simulator runs a thread per GPU thread
sys.path.insert(0, ROOT + "/tests/sim")
from test_flood_fused import _rough_case
from sim.flood.solver import simulate
z, kw = _rough_case(8, 10)
kw.update(duration_s=16.0, output_times_s=[8.0, 16.0], series_every_s=4.0, track_every=2)
a = simulate(z, 5.0, **kw)


def compare(b):
    fin = np.isfinite(a.arrival_s)
    out = dict(backend=b.backend, steps=[a.steps, b.steps], balance=[a.balance_error(), b.balance_error()],
               frames=[len(a.depth), len(b.depth)], same_wet=bool((fin == np.isfinite(b.arrival_s)).all()),
               arrival=float(np.abs(a.arrival_s[fin] - b.arrival_s[fin]).max()) if fin.any() else 0.0,
               speed=float(np.abs(a.speed - b.speed).max()))
    for k in ("depth", "h_max", "v_max", "hv_max", "final_qx", "final_qy"):
        out[k] = float(np.abs(getattr(a, k) - getattr(b, k)).max())
    for k in ("stored_m3", "rain_m3", "inflow_m3", "outflow_m3", "loss_m3", "max_depth_m", "flooded_area_m2"):
        x, y = a.series[k], b.series[k]
        out["series_" + k] = float(np.abs(x - y).max() / max(np.abs(x).max(), 1e-9))
    return out


gpu.TRIAL_STEPS = 2  # auto: each mode compiles, then is timed, within the run: it switches mode twice
gpu.MODE = MODE
out = {MODE: compare(simulate(z, 5.0, backend="cuda", **kw))}
out["h_peak"] = float(a.h_max.max())
out["rain"] = float(a.series["rain_m3"][-1])
out["inflow"] = float(a.series["inflow_m3"][-1])
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def simulated():
    """Each mode in its own simulator process, the three at once (the simulator is slow: seconds a step)."""
    pytest.importorskip("numba.cuda", reason="this numba has no CUDA target (simulator included)")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    procs = {mode: subprocess.Popen([sys.executable, "-c", f"ROOT, MODE = {str(ROOT)!r}, {mode!r}\n" + SCRIPT],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for mode in MODES}
    out = {}
    for mode, p in procs.items():
        stdout, stderr = p.communicate(timeout=600)
        line = [x for x in stdout.splitlines() if x.startswith("RESULT")]
        assert p.returncode == 0 and line, stderr[-3000:]
        out.update(json.loads(line[0][len("RESULT"):]))
    return out


@pytest.mark.parametrize("mode", MODES)
def test_gpu_kernels_match_the_cpu_kernels(simulated, mode):
    """Rough bed with wet/dry fronts, per-cell n and losses, gridded rain switching pattern, a
    river inflow, free / fixed-level / stage-hydrograph / closed edges: the GPU step, in one
    cooperative launch per run of steps, in four launches a step, or switching between them
    (auto), gives the CPU step's fields and volumes to float32 round-off, step for step, and
    closes its own mass balance."""
    assert simulated["h_peak"] > 0.3 and simulated["rain"] > 0 and simulated["inflow"] > 0  # the case moves water
    r = simulated[mode]
    assert r["backend"].startswith({"persistent": "cuda persistent, 1 blocks of 8", "launches": "cuda launches",
                                    "auto": "cuda auto: "}[mode])
    if mode == "auto":  # both were timed: the description gives both costs per step
        assert "(us a step: persistent " in r["backend"] and ", launches " in r["backend"]
    assert r["steps"][0] == r["steps"][1] > 10
    assert r["frames"] == [2, 2]
    for k in ("depth", "h_max", "hv_max", "final_qx", "final_qy"):
        assert r[k] < TOL_M, (k, r[k])
    assert r["v_max"] < 1e-3 and r["speed"] < 1e-3  # m/s: q / h amplifies round-off in thin water
    assert r["same_wet"] and r["arrival"] < 1e-3
    for k, v in r.items():
        if k.startswith("series_"):  # the CPU sums a row's losses in float32, the GPU in float64
            assert v < 2e-5, (k, v)
    assert abs(r["balance"][0]) < 1e-6 and abs(r["balance"][1]) < 1e-6  # (stored - sources) / volume


def test_backend_choice_without_a_gpu(monkeypatch):
    """``cuda`` without a device is a clear error; ``auto`` falls back to the CPU kernels with the
    same result; an unknown backend is named."""
    try:
        from sim.flood import gpu

        monkeypatch.setattr(gpu, "available", lambda: False)  # as on a machine without a GPU
    except ImportError:  # numba without a CUDA target: that machine already
        pass
    z = np.zeros((6, 7), np.float32)
    kw = dict(manning=0.03, duration_s=30.0, h0=np.full(z.shape, 0.2, np.float32))
    with pytest.raises(ValueError, match="backend 'cuda': numba finds no CUDA GPU"):
        simulate(z, 5.0, backend="cuda", **kw)
    a = simulate(z, 5.0, **kw)
    b = simulate(z, 5.0, backend="auto", **kw)
    assert np.array_equal(a.h_max, b.h_max) and a.steps == b.steps
    with pytest.raises(ValueError, match="backend 'gpu'"):
        simulate(z, 5.0, backend="gpu", **kw)
