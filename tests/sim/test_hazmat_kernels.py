"""Hazmat dispersion coefficients (sim/hazmat/sigmas.py) and Gaussian plume/puff kernels
(sim/hazmat/kernels.py) against published values, closed forms and conservation laws."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.hazmat.kernels import (advect_puffs, exceedance_count, plume_conc, plume_cy, puff_conc,
                                release_puffs, vertical_factor)
from sim.hazmat.sigmas import (CLASSES, SCHEME_BRIGGS_RURAL, SCHEME_BRIGGS_URBAN, SCHEME_PG_RURAL,
                               briggs_sigmas, class_index, pg_turner_sigmas, sigma_yz)
from twin.errors import InputError


def _plume(x, y, z, *, q=1.0, u=3.0, hs=0.0, cls=3, scheme=SCHEME_PG_RURAL, h=0.0, wind=270.0,
           p=None):
    """plume_conc at receptors given in map coordinates (source at the origin)."""
    x, y, z = (np.ascontiguousarray(np.broadcast_to(np.asarray(a, float), np.broadcast(x, y, z).shape)).ravel()
               for a in (x, y, z))
    out = np.zeros(x.size)
    pp = np.array([float(cls)]) if p is None else p
    plume_conc(x, y, z, 0.0, 0.0, hs, q, u, wind, scheme, pp, h, out)
    return out


# ---------------------------------------------------------------- sigmas

# Read from Turner (1970) Workbook of Atmospheric Dispersion Estimates, Figs 3-2 and 3-3,
# at x = 1 km: (sigma_y, sigma_z) m per class. Reading a log-log figure: 5 % tolerance.
TURNER_1KM = {"A": (210.0, 450.0), "B": (155.0, 110.0), "C": (105.0, 61.0),
              "D": (68.0, 32.0), "E": (50.0, 22.0), "F": (34.0, 14.0)}


@pytest.mark.parametrize("cls", list(CLASSES))
def test_pg_sigmas_match_turner_figures_at_1km(cls: str) -> None:
    sy, sz = pg_turner_sigmas(1000.0, cls)
    assert sy == pytest.approx(TURNER_1KM[cls][0], rel=0.05)
    assert sz == pytest.approx(TURNER_1KM[cls][1], rel=0.05)


def test_pg_sigmas_match_turner_worked_examples() -> None:
    # Turner (1970) ch. 3 example problems, class D read from Figs 3-2/3-3:
    # problem 1 at 3 km sigma_y = 190 m, sigma_z = 65 m; problem 2 at 500 m 36 m, 18.5 m.
    sy, sz = pg_turner_sigmas(np.array([3000.0, 500.0]), "D")
    np.testing.assert_allclose(sy, [190.0, 36.0], rtol=0.05)
    np.testing.assert_allclose(sz, [65.0, 18.5], rtol=0.05)


def test_pg_scalar_twin_and_cap() -> None:
    x = np.logspace(0.5, 5, 60)
    for k in range(6):
        sy, sz = pg_turner_sigmas(x, k)
        twin = np.array([sigma_yz(SCHEME_PG_RURAL, xi, np.array([float(k)])) for xi in x])
        np.testing.assert_allclose(twin[:, 0], sy, rtol=1e-12)
        np.testing.assert_allclose(twin[:, 1], sz, rtol=1e-12)
    # ISC3 Vol. II Table 1-2: class A beyond 3.11 km is held at the 5000 m cap
    assert pg_turner_sigmas(4000.0, "A")[1] == 5000.0
    assert pg_turner_sigmas(np.array([[0.0, -5.0]]), "D")[0].tolist() == [[0.0, 0.0]]


def test_briggs_closed_forms() -> None:
    # Briggs (1973) via Hanna, Briggs & Hosker (1982), evaluated by hand:
    # rural D, 1 km: 0.08x(1+1e-4x)^-1/2, 0.06x(1+1.5e-3x)^-1/2
    assert briggs_sigmas(1000.0, "D", False) == pytest.approx((80 / math.sqrt(1.1), 60 / math.sqrt(2.5)), rel=1e-9)
    # rural F, 2 km: 0.04x(1+1e-4x)^-1/2, 0.016x/(1+3e-4x) = 32/1.6 = 20 m
    assert briggs_sigmas(2000.0, "F", False) == pytest.approx((80 / math.sqrt(1.2), 20.0), rel=1e-9)
    # urban A, 500 m: 0.32x(1+4e-4x)^-1/2, 0.24x(1+1e-3x)^+1/2
    assert briggs_sigmas(500.0, "A", True) == pytest.approx((160 / math.sqrt(1.2), 120 * math.sqrt(1.5)), rel=1e-9)
    # urban E, 1 km: 0.11x(1+4e-4x)^-1/2, 0.08x(1+1.5e-3x)^-1/2
    assert briggs_sigmas(1000.0, "E", True) == pytest.approx((110 / math.sqrt(1.4), 80 / math.sqrt(2.5)), rel=1e-9)
    for scheme, urban in ((SCHEME_BRIGGS_RURAL, False), (SCHEME_BRIGGS_URBAN, True)):
        for k in range(6):
            assert sigma_yz(scheme, 1234.0, np.array([float(k)])) == pytest.approx(
                briggs_sigmas(1234.0, k, urban), rel=1e-12)


@pytest.mark.parametrize("scheme", [SCHEME_PG_RURAL, SCHEME_BRIGGS_RURAL, SCHEME_BRIGGS_URBAN])
def test_sigmas_grow_with_distance_and_instability(scheme: int) -> None:
    x = np.logspace(1, np.log10(50_000), 300)
    s = np.array([[sigma_yz(scheme, xi, np.array([float(k)])) for xi in x] for k in range(6)])
    assert np.all(np.diff(s[:, :, 0], axis=1) > 0)  # sigma_y strictly grows with x
    assert np.all(np.diff(s[:, :, 1], axis=1) >= 0)  # sigma_z grows (PG held at the cap)
    assert np.all(np.diff(s, axis=0) <= 0)  # A >= B >= ... >= F at every x
    assert np.all(s[0] > 2 * s[5])  # and very unstable is much wider than very stable


def test_initial_size_added_in_quadrature() -> None:
    sy, sz = pg_turner_sigmas(700.0, "C")
    got = sigma_yz(SCHEME_PG_RURAL, 700.0, np.array([2.0, 30.0, 12.0]))
    assert got == pytest.approx((math.hypot(sy, 30.0), math.hypot(sz, 12.0)), rel=1e-12)
    assert sigma_yz(SCHEME_PG_RURAL, 0.0, np.array([2.0, 30.0, 12.0])) == (30.0, 12.0)


@pytest.mark.parametrize("bad", ["G", "", "AB", "1", None])
def test_class_index_rejects_unknown(bad) -> None:
    with pytest.raises(InputError):
        class_index(bad)


def test_class_index_letters() -> None:
    assert [class_index(c) for c in "ABCDEFabcdef"] == list(range(6)) * 2


# ---------------------------------------------------------------- plume


@pytest.mark.parametrize("cls", [0, 3, 5])
@pytest.mark.parametrize("x_m", [200.0, 1000.0, 5000.0])
def test_plume_conserves_mass_flux_without_lid(cls: int, x_m: float) -> None:
    # int int C u dy dz over the half-space z >= 0 = Q (reflection conserves mass)
    q, u, hs = 2.0, 4.0, 10.0
    sy, sz = pg_turner_sigmas(x_m, cls)
    y = np.linspace(-7 * sy, 7 * sy, 561)
    z = np.linspace(0.0, hs + 9 * sz, 561)
    yy, zz = np.meshgrid(y, z)
    c = _plume(x_m, yy, zz, q=q, u=u, hs=hs, cls=cls).reshape(yy.shape)
    flux = np.trapezoid(np.trapezoid(c, y, axis=1), z) * u
    assert flux == pytest.approx(q, rel=0.005)


@pytest.mark.parametrize("cls,x_m,h", [(3, 3000.0, 100.0), (3, 1000.0, 300.0), (0, 1000.0, 300.0),
                                       (1, 2000.0, 500.0), (5, 20_000.0, 50.0)])
def test_plume_conserves_mass_flux_with_lid(cls: int, x_m: float, h: float) -> None:
    # between ground and lid the image series (or the well-mixed form) keeps all of Q
    q, u, hs = 1.0, 2.5, 0.3 * h
    sy, _ = pg_turner_sigmas(x_m, cls)
    y = np.linspace(-7 * sy, 7 * sy, 401)
    z = np.linspace(0.0, h, 401)
    yy, zz = np.meshgrid(y, z)
    c = _plume(x_m, yy, zz, q=q, u=u, hs=hs, cls=cls, h=h).reshape(yy.shape)
    flux = np.trapezoid(np.trapezoid(c, y, axis=1), z) * u
    assert flux == pytest.approx(q, rel=0.005)


def test_ground_release_centreline_closed_form() -> None:
    # Turner (1970) ch. 3: ground-level centreline, ground source: Q / (pi sy sz u)
    x = np.array([150.0, 800.0, 2500.0, 12_000.0])
    for cls in range(6):
        sy, sz = pg_turner_sigmas(x, cls)
        c = _plume(x, 0.0, 0.0, q=5.0, u=3.0, cls=cls)
        np.testing.assert_allclose(c, 5.0 / (math.pi * sy * sz * 3.0), rtol=1e-6)


def test_turner_problem_1_burning_dump() -> None:
    # Turner (1970) ch. 3, problem 1: a burning dump emits 3 g/s NOx; overcast night (class D),
    # u = 7 m/s, ground-level source, 3 km directly downwind: chi = 1.1e-5 g/m^3.
    c = _plume(3000.0, 0.0, 0.0, q=3e-3, u=7.0, cls=3)[0]
    assert c == pytest.approx(1.1e-8, rel=0.05)


def test_wind_direction_convention() -> None:
    # from the west (270 deg): plume to the east; nothing west, north or south
    c = _plume([1000.0, -1000.0, 0.0, 0.0], [0.0, 0.0, 1000.0, -1000.0], 0.0, wind=270.0)
    assert c[0] > 0 and c[1:].tolist() == [0.0, 0.0, 0.0]
    # from the north (0 deg): plume to the south, same centreline value (rotation invariance)
    c_s = _plume([0.0, 0.0], [-1000.0, 1000.0], 0.0, wind=0.0)
    assert c_s[0] == pytest.approx(c[0], rel=1e-12) and c_s[1] == 0.0
    # from 250 deg the plume heads to bearing 70 deg
    b = math.radians(70.0)
    c_b = _plume(1000 * math.sin(b), 1000 * math.cos(b), 0.0, wind=250.0)
    assert c_b[0] == pytest.approx(c[0], rel=1e-9)
    # off-axis: Gaussian in the crosswind distance
    sy, _ = pg_turner_sigmas(1000.0, 3)
    c_y = _plume(1000.0, 50.0, 0.0, wind=270.0)
    assert c_y[0] == pytest.approx(c[0] * math.exp(-0.5 * (50.0 / sy) ** 2), rel=1e-9)


def test_image_series_tends_to_well_mixed() -> None:
    # Fourier form of the image sum: V/(sqrt(2 pi) sz) = (1/h)(1 + 2 sum exp(-(k pi sz/h)^2/2)
    # cos(k pi z/h) cos(k pi H/h)), within 0.4 % of 1/h once sz >= 1.2 h
    h = 250.0
    for sz in (1.2 * h, 1.6 * h, 3 * h):
        for zr in (0.0, 0.5 * h, h):
            for hs in (0.0, 0.4 * h):
                assert vertical_factor(zr, hs, sz, h) / (math.sqrt(2 * math.pi) * sz / h) == pytest.approx(1.0, rel=4e-3)


def test_well_mixed_limit_far_downwind() -> None:
    # sz > 1.6 h: C = Q / (sqrt(2 pi) sy u h) (Turner 1970 ch. 3, limited mixing)
    h, q, u = 150.0, 4.0, 5.0
    x = np.array([30_000.0, 50_000.0])
    sy, sz = pg_turner_sigmas(x, 3)
    assert np.all(sz > 1.6 * h)
    c = _plume(x, 0.0, 1.5, q=q, u=u, hs=20.0, h=h)
    np.testing.assert_allclose(c, q / (math.sqrt(2 * math.pi) * sy * u * h), rtol=0.01)
    # continuous across the switch to the well-mixed form
    xs = np.linspace(1000.0, 30_000.0, 3000)
    cy = np.zeros(xs.size)
    plume_cy(xs, np.zeros(xs.size), 20.0, q, u, SCHEME_PG_RURAL, np.array([3.0]), h, cy)
    _, szs = pg_turner_sigmas(xs, 3)
    j = np.argmax(szs > 1.6 * h)
    assert cy[j] == pytest.approx(cy[j - 1], rel=0.005)
    assert cy[j] == pytest.approx(q / (u * h), rel=1e-12)


def test_plume_cy_is_the_crosswind_integral() -> None:
    x, hs, q, u = 1500.0, 15.0, 1.0, 3.0
    sy, sz = pg_turner_sigmas(x, 2)
    y = np.linspace(-7 * sy, 7 * sy, 2001)
    z = np.array([0.0, 15.0, 60.0])
    for h in (0.0, 120.0):
        cy = np.zeros(3)
        plume_cy(np.full(3, x), z, hs, q, u, SCHEME_PG_RURAL, np.array([2.0]), h, cy)
        num = [np.trapezoid(_plume(x, y, zi, q=q, u=u, hs=hs, cls=2, h=h), y) for zi in z]
        np.testing.assert_allclose(cy, num, rtol=1e-6)


def test_kernels_reject_bad_scheme_and_speed() -> None:
    with pytest.raises(ValueError):
        _plume(100.0, 0.0, 0.0, cls=7)
    with pytest.raises(ValueError):
        _plume(100.0, 0.0, 0.0, scheme=9)
    with pytest.raises(ValueError):
        _plume(100.0, 0.0, 0.0, u=0.0)


# ---------------------------------------------------------------- puffs


def _puff_trail(q: float, u: float, wind: float, t_end: float, dt: float):
    """Continuous release of q kg/s from the origin as puffs every dt, stepped to t_end."""
    t_rel, mass = release_puffs(np.array([0.0, t_end]), np.array([q]), dt)
    n = t_rel.size
    px, py, pd = np.zeros(n), np.zeros(n), np.zeros(n)
    for s in range(n):  # step s covers [s dt, (s+1) dt); puff s is released at its middle
        advect_puffs(px[:s], py[:s], pd[:s], u, wind, dt)
        advect_puffs(px[s:s + 1], py[s:s + 1], pd[s:s + 1], u, wind, dt / 2)
    return px, py, pd, mass


@pytest.mark.parametrize("cls", [2, 3, 5])
def test_puffs_converge_to_steady_plume(cls: int) -> None:
    q, u = 1.0, 3.0
    px, py, pd, mass = _puff_trail(q, u, 270.0, 3000.0, 5.0)
    np.testing.assert_allclose(pd, u * (3000.0 - (np.arange(pd.size) + 0.5) * 5.0), rtol=1e-12)
    xr = np.array([1000.0, 2000.0, 2000.0, 4000.0])
    yr = np.array([0.0, 0.0, 100.0, 0.0])
    zr = np.array([0.0, 0.0, 0.0, 1.5])
    p = np.array([float(cls)])
    for h in (0.0, 400.0):
        c_puff = np.zeros(4)
        puff_conc(xr, yr, zr, px, py, np.zeros(pd.size), mass, pd, SCHEME_PG_RURAL, p, h, c_puff)
        c_plume = _plume(xr, yr, zr, q=q, u=u, cls=cls, h=h)
        np.testing.assert_allclose(c_puff, c_plume, rtol=0.02)


def test_single_puff_conserves_mass() -> None:
    # int C dV over the half-space (and below a lid) = M
    sy, sz = pg_turner_sigmas(800.0, 3)
    g = np.linspace(-7 * sy, 7 * sy, 141)
    for h, ztop in ((0.0, 5.0 + 9 * sz), (40.0, 40.0)):
        z = np.linspace(0.0, ztop, 121)
        xx, yy, zz = (a.ravel() for a in np.meshgrid(g, g, z, indexing="ij"))
        c = np.zeros(xx.size)
        puff_conc(xx, yy, zz, np.zeros(1), np.zeros(1), np.array([5.0]), np.array([3.0]),
                  np.array([800.0]), SCHEME_PG_RURAL, np.array([3.0]), h, c)
        tot = np.trapezoid(np.trapezoid(np.trapezoid(c.reshape(g.size, g.size, z.size), z), g), g)
        assert tot == pytest.approx(3.0, rel=0.005)


def test_wind_shift_bends_the_trail() -> None:
    px, py, pd = np.zeros(2), np.zeros(2), np.zeros(2)
    advect_puffs(px, py, pd, 2.0, 270.0, 100.0)  # 200 m east
    advect_puffs(px, py, pd, 2.0, 180.0, 50.0)  # then 100 m north
    np.testing.assert_allclose(px, 200.0, atol=1e-9)
    np.testing.assert_allclose(py, 100.0, atol=1e-9)
    np.testing.assert_allclose(pd, 300.0)


def test_release_puffs_conserves_mass() -> None:
    times = np.array([0.0, 7.0, 30.0, 31.5, 100.0])
    rate = np.array([2.0, 0.5, 0.0, 1.25])
    t, m = release_puffs(times, rate, 4.0)
    total = float(np.sum(rate * np.diff(times)))
    assert m.sum() == pytest.approx(total, rel=1e-12)
    assert np.all(m > 0) and np.all(np.diff(t) > 0) and t[0] == 2.0 and t[-1] < 100.0
    assert m[0] == pytest.approx(8.0) and m[1] == pytest.approx(3 * 2.0 + 1 * 0.5)
    for bad in ((times, rate[:-1], 4.0), (times[::-1], rate, 4.0), (times, -rate, 4.0), (times, rate, 0.0)):
        with pytest.raises(InputError):
            release_puffs(*bad)


# ---------------------------------------------------------------- ensembles


@pytest.mark.parametrize("threshold", [2e-5, 1e-7, 0.0])
def test_exceedance_count_matches_brute_force(threshold: float) -> None:
    rng = np.random.default_rng(7)
    n, m = 6000, 40
    xr, yr = rng.uniform(-3000, 3000, n), rng.uniform(-3000, 3000, n)
    xr[:10] = 0.1 * rng.uniform(-1, 1, 10)  # receptors at the source
    zr = rng.uniform(0.0, 3.0, n)
    u = rng.uniform(0.5, 9.0, m)
    d = rng.uniform(0.0, 360.0, m)
    cls = rng.integers(0, 6, m).astype(float)
    h = rng.choice([0.0, 3.0, 80.0, 400.0, np.inf], m)  # 3 m: source above the lid
    for scheme in (SCHEME_PG_RURAL, SCHEME_BRIGGS_URBAN):
        cnt = np.zeros(n, dtype=np.int64)
        exceedance_count(xr, yr, zr, 10.0, -20.0, 4.0, 1.5, u, d, cls, scheme, h, threshold, cnt)
        ref = np.zeros(n, dtype=np.int64)
        c = np.zeros(n)
        for k in range(m):
            plume_conc(xr, yr, zr, 10.0, -20.0, 4.0, 1.5, u[k], d[k], scheme, np.array([cls[k]]), h[k], c)
            ref += c > threshold
        assert ref.max() > 0
        np.testing.assert_array_equal(cnt, ref)
