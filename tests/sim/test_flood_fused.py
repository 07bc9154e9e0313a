"""The fused single-sweep flood step against the three-pass step, and its conservation.

The fused sweep (``simulate(fused=True)``, the default) computes the faces, the outflow limits
and the continuity update of each block of rows in one pass, recomputing one or two halo rows
at every block edge; the three-pass step (``fused=False``) is the reference. Both evaluate the
same row functions, so they agree to float32 round-off (measured here: identical to the last
bit). The tolerances allow a one-ulp difference that another CPU or LLVM could introduce and that
grows over a few hundred steps at wet/dry fronts (5.7e-5 m was seen once with wider fast-math);
a halo bug gives errors orders of magnitude larger (6 of 7 tests fail without the halo copy)."""
from __future__ import annotations

import numpy as np
import pytest

from sim.flood.solver import Boundary, Inflow, Rain, simulate

TOL_M = 2e-4  # float32 round-off grown over a few hundred steps
TOL_ARRIVAL_S = 5.0  # a cell may wet one or two steps (~1 s) apart under such a difference


def _rough_case(ny: int = 29, nx: int = 37, seed: int = 4):
    """A random bed with a slope, dry islands and wet patches (wet/dry fronts everywhere), per-cell
    Manning n and losses, gridded rain that changes between two intervals, a river inflow and
    three kinds of edges."""
    rng = np.random.default_rng(seed)
    z = (rng.random((ny, nx)) * 0.6 + np.linspace(0.0, 1.5, nx)[None, :]).astype(np.float32)
    z[8:14, 10:16] += 2.0  # an island that stays dry
    h0 = np.where(rng.random((ny, nx)) < 0.5, rng.random((ny, nx)) * 0.4, 0.0).astype(np.float32)
    h0[8:14, 10:16] = 0.0
    pattern = rng.random((2, ny, nx)).astype(np.float32) * 2.0
    kw = dict(
        manning=(0.02 + 0.04 * rng.random((ny, nx))).astype(np.float32), h0=h0,
        rain=Rain([0.0, 120.0, 1e9], [90.0, 40.0], pattern=pattern),
        loss_mm_h=(20.0 * rng.random((ny, nx))).astype(np.float32),
        inflows=[Inflow("river", np.array([5, 6]), np.array([nx - 1, nx - 1]), [0.0, 300.0], [3.0, 1.0])],
        boundaries={"west": Boundary("free", slope=0.01), "north": Boundary("level", level_m=1.0),
                    "south": Boundary("level", level_times_s=[0.0, 300.0], level_series_m=[0.2, 1.4])},
        track_every=1)
    return z, kw


@pytest.mark.parametrize("blocks", [1, 2, 5, 29])
def test_fused_step_equals_three_pass_step(blocks):
    """After ~300 steps on the rough case (fronts, rain, losses, inflow, free/level/closed edges),
    depth, faces and every tracked maximum of the fused sweep equal those of the three passes to
    2e-4 m (m^2/s, m/s; arrival within 5 s) for one block, a few, and blocks of a single row
    (every row a halo row). Measured: 0 (bit-identical)."""
    z, kw = _rough_case()
    ref = simulate(z, 5.0, duration_s=400.0, output_times_s=[100.0, 400.0], fused=False, **kw)
    out = simulate(z, 5.0, duration_s=400.0, output_times_s=[100.0, 400.0], fused=True, blocks=blocks, **kw)
    assert out.steps == ref.steps > 200
    assert np.abs(out.depth - ref.depth).max() < TOL_M
    assert np.abs(out.final_qx - ref.final_qx).max() < TOL_M
    assert np.abs(out.final_qy - ref.final_qy).max() < TOL_M
    assert np.abs(out.h_max - ref.h_max).max() < TOL_M
    assert np.abs(out.v_max - ref.v_max).max() < TOL_M
    assert np.abs(out.hv_max - ref.hv_max).max() < TOL_M
    wet = np.isfinite(ref.arrival_s)
    assert (np.isfinite(out.arrival_s) != wet).mean() < 1e-3
    both = wet & np.isfinite(out.arrival_s)
    assert np.abs(out.arrival_s[both] - ref.arrival_s[both]).max() < TOL_ARRIVAL_S
    for key in ("rain_m3", "inflow_m3", "outflow_m3", "loss_m3", "stored_m3"):
        assert out.series[key][-1] == pytest.approx(ref.series[key][-1], rel=1e-6, abs=1e-6)


def test_fused_mass_balance_and_no_negative_depths():
    """Conservation over the rough case: stored - initial = rain + inflow - boundary outflow - losses
    to 1e-6 of the volumes moved (float32 depths; measured ~1e-7), each term present; no depth below
    zero in any frame; the closed east edge passes nothing, so with the three other edges closed too
    the same run stores exactly rain + inflow - losses."""
    z, kw = _rough_case()
    o = simulate(z, 5.0, duration_s=400.0, output_times_s=np.arange(20.0, 401.0, 20.0), blocks=3, **kw)
    s = o.series
    assert s["rain_m3"][-1] > 0 and s["inflow_m3"][-1] > 0 and s["loss_m3"][-1] > 0
    assert abs(s["outflow_m3"][-1]) > 0
    assert abs(o.balance_error()) < 1e-6
    assert o.depth.min() >= 0.0
    kw["boundaries"] = {}
    closed = simulate(z, 5.0, duration_s=400.0, blocks=3, **kw)
    assert closed.series["outflow_m3"][-1] == 0.0
    assert abs(closed.balance_error()) < 1e-6


def test_thin_film_drains_without_negative_depths_across_blocks():
    """A 2 mm film on a steep slope drains through an open edge, the flow crossing every block edge
    (one-row blocks): the donor limits keep every depth >= 0 and the balance closes to 1e-6."""
    z = np.fromfunction(lambda i, j: 0.2 * i + 0.05 * j, (24, 9)).astype(np.float32)
    h0 = np.full(z.shape, 0.002, np.float32)
    o = simulate(z, 2.0, manning=0.01, duration_s=300.0, h0=h0, boundaries={"north": Boundary("free", slope=0.2)},
                 output_times_s=np.arange(0, 301, 30.0), h_min=1e-4, blocks=24)
    assert o.depth.min() >= 0.0
    assert o.series["outflow_m3"][-1] > 0.5 * float(h0.sum()) * 4.0, "most of the film left"
    assert abs(o.balance_error()) < 1e-6


def test_lake_at_rest_with_many_blocks():
    """Still water over a rough bed with an emerged island stays still however the rows are split:
    speeds below 1e-6 m/s and the surface within 1e-5 m of its level after 30 minutes."""
    rng = np.random.default_rng(2)
    z = (rng.random((23, 31)) * 2.0).astype(np.float32)
    z[9:14, 9:14] += 5.0
    eta = 3.0
    h0 = np.maximum(eta - z, 0).astype(np.float32)
    o = simulate(z, 10.0, manning=0.03, duration_s=1800.0, h0=h0, output_times_s=[1800.0], blocks=7, track_every=1)
    wet = o.depth[-1] > 0
    assert o.v_max.max() < 1e-6
    assert np.abs(o.depth[-1][wet] + z[wet] - eta).max() < 1e-5
