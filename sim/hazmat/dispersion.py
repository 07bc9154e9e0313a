"""Dispersion on the grid around the source.

Releases of at least ``SHORT_RELEASE_S`` in a steady wind use the quasi-steady plume with the
rate emitted at the retarded time t − x/u (a slender-plume approximation: along-wind
diffusion neglected, conservative for peaks); for a passive cloud, wind shifts and short
releases switch to Gaussian puffs advected step by step. A dense cloud stays with the
Britter–McQuaid correlations (:mod:`sim.hazmat.dense_puff`): in a shifting wind as a sum of
per-period plumes, and when short as the BM puff wherever BM's release class says so
(:func:`disperse`). The grid grows while the outer zone reaches its edge
(:func:`disperse_on_grid`).
"""
from __future__ import annotations

import math

import numpy as np

from sim.hazmat import kernels as K
from sim.hazmat.chemicals import Chemical
from sim.hazmat.dense_puff import DensePuff, _bm_release_class, _dense_unit
from sim.hazmat.densegas import air_density_kg_m3, is_dense, reduced_gravity
from sim.hazmat.fields import Dispersion, Grid, _max_rate_between, _rate_at, _rate_series, make_grid
from sim.hazmat.met import Met, WindPeriod, wind_periods
from sim.hazmat.params import Params
from sim.hazmat.sigmas import SCHEME_BRIGGS_URBAN, SCHEME_PG_RURAL, SCHEME_SIMILARITY, class_index
from sim.hazmat.source import SourceTerm
from sim.hazmat.weather import wind_at_height
from twin.city import City
from twin.errors import InputError

TERRAIN_WEIGHT = 0.5  # AERMOD two-state weighting (Cimorelli et al. 2005, eq. 1 with f = 0.5)
SHORT_RELEASE_S = 300.0  # shorter releases are followed as puffs (along-wind spread lowers their peaks)


def disperse(grid: Grid, xy: tuple[float, float], hs: float, src: SourceTerm, chem: Chemical, met: Met,
             scheme: int, p: np.ndarray, params: Params, progress=None) -> Dispersion:
    """Concentration frames and maximum on the grid (see the module docstring for the method).

    Quasi-steady fields (a passive plume in a steady wind, or a dense cloud) are unit fields
    times the rate emitted at the retarded time t - x/u. A dense cloud in a wind that shifts is
    the sum over the wind periods of that period's field, each carrying only what was emitted
    during its period: every emission travels straight in the wind it left the source with (the
    part already downwind does not turn; a passive cloud is followed as puffs instead)."""
    edges, rates = _rate_series(src)
    q_peak = float(rates.max())
    t_out = np.arange(0.0, params.duration_s + 1e-9, params.output_interval_s)
    ny, nx = grid.raster.shape
    notes: list[str] = []
    u10 = float(wind_at_height(met.u_ref_m_s, met.z_ref_m, 10.0, met.stability, met.urban))
    if u10 < 1.0:
        notes.append(f"10-m wind {u10:.2f} m/s raised to 1 m/s for the dense-gas test and correlations "
                     "(neither holds in calm air)")
        u10 = 1.0
    rho_air = air_density_kg_m3(met.air_k)
    rho0 = float(src.density_kg_m3)
    g0p = reduced_gravity(rho0, rho_air)
    ri = float("nan")
    dense = params.model == "dense"
    if g0p > 0:
        q0 = q_peak / rho0
        from sim.hazmat.densegas import richardson_continuous
        ri = richardson_continuous(g0p, q0, u10)
        if params.model == "auto":
            dense = is_dense(g0p, u10, q0_m3_s=q0)
    elif params.model == "dense":
        raise InputError(f"model 'dense': the {chem.name} cloud ({rho0:.2f} kg/m³) is not heavier than air "
                         f"({rho_air:.2f} kg/m³); use 'auto' or 'gaussian'")
    if (params.weather.shifts or src.duration_s < SHORT_RELEASE_S) and not dense:
        if scheme == SCHEME_SIMILARITY:  # puffs carry Gaussian sigmas: use the class's curves
            scheme, p = (SCHEME_BRIGGS_URBAN if met.urban else SCHEME_PG_RURAL), np.array([class_index(met.stability)], float)
        return _puffs(grid, xy, hs, edges, rates, met, scheme, p, params, t_out, ri, progress)
    periods = wind_periods(met, params, hs, at_10m=dense) if dense else \
        [WindPeriod(0.0, met.wind_from_deg, met.u_release_m_s)]
    if dense:
        from sim.hazmat.densegas import ALPHA_MAX, alpha_continuous
        a_max = max(alpha_continuous(g0p, q_peak / rho0, w.u_m_s) for w in periods)
        if a_max > ALPHA_MAX:
            notes.append(f"dense cloud: Britter-McQuaid alpha {a_max:.2f} lies beyond the workbook's data "
                         f"(alpha <= {ALPHA_MAX:g}, low wind for this rate): the alpha = {ALPHA_MAX:g} curves are used "
                         "and the gravity-spread width is extrapolated")
        if len(periods) > 1:
            notes.append("dense cloud with wind shifts: each emission travels straight in the wind it was released "
                         "into (the cloud already downwind does not turn)")

    def unit(xs, ys, z_agl, z_flat, w: WindPeriod):
        ex, ey = -math.sin(math.radians(w.wind_from_deg)), -math.cos(math.radians(w.wind_from_deg))
        xd = (xs - xy[0]) * ex + (ys - xy[1]) * ey
        if dense:
            yd = (ys - xy[1]) * ex - (xs - xy[0]) * ey
            c = _dense_unit(xd, yd, q_peak, rho0, src.temperature_k, w.u_m_s, chem, met, g0p)
        else:
            c = np.zeros(xs.size)
            c2 = np.zeros(xs.size)
            if scheme == SCHEME_SIMILARITY:
                K.similarity_conc(xs, ys, z_agl, xy[0], xy[1], 1.0, w.wind_from_deg, p, c)
                K.similarity_conc(xs, ys, z_flat, xy[0], xy[1], 1.0, w.wind_from_deg, p, c2)
            else:
                K.plume_conc(xs, ys, z_agl, xy[0], xy[1], hs, 1.0, w.u_m_s, w.wind_from_deg, scheme, p, met.h_mix_m, c)
                K.plume_conc(xs, ys, z_flat, xy[0], xy[1], hs, 1.0, w.u_m_s, w.wind_from_deg, scheme, p, met.h_mix_m,
                             c2)
            c = (1 - TERRAIN_WEIGHT) * c + TERRAIN_WEIGHT * c2
        return c, xd

    def travel_s(xd, w: WindPeriod):
        if scheme == SCHEME_SIMILARITY and not dense:
            out = np.zeros(xd.size)
            K.similarity_travel_s(np.ascontiguousarray(xd, dtype=np.float64), p, out)
            return out
        return np.maximum(xd, 0.0) / w.u_m_s

    bounds = [w.t0_s for w in periods] + [math.inf]

    def fields(xs, ys, z_agl, z_flat):
        """(unit field, travel time, emission-window start, end) per wind period."""
        out = []
        for k, w in enumerate(periods):
            cu, xd = unit(xs, ys, z_agl, z_flat, w)
            out.append((cu, travel_s(xd, w), bounds[k], bounds[k + 1]))
        return out

    def conc(flds, t):
        """Concentration at times ``t`` (column) from the period fields."""
        c = 0.0
        for cu, lag, a, b in flds:
            s = t - lag[None, :]
            c = c + cu[None, :] * _rate_at(edges, rates, s) * ((s >= a) & (s < b))
        return c

    flds = fields(grid.x, grid.y, grid.z_agl, grid.z_flat)
    frames = np.stack([conc(flds, np.array([[t]]))[0].reshape(ny, nx) for t in t_out]).astype(np.float32)
    cmax = np.zeros(grid.x.size)
    for cu, lag, a, b in flds:
        # the largest rate each period's field carries, whenever it arrives: the threat zone is the
        # footprint of the whole release (as ALOHA's), not cut where the cloud front stands when the
        # run ends (u x duration_s; the frames stop there)
        np.maximum(cmax, cu * _max_rate_between(edges, rates, a, np.full(lag.shape, b)), out=cmax)
    cmax = cmax.reshape(ny, nx).astype(np.float32)

    def at_points(xs, ys, z_agl, z_flat, t):
        return conc(fields(xs, ys, z_agl, z_flat), np.asarray(t, float)[:, None])

    name = "dense gas (Britter & McQuaid 1988)" if dense else "Gaussian plume (quasi-steady)"
    if dense and src.duration_s < SHORT_RELEASE_S:
        puff = DensePuff(xy, periods, src, chem, met, g0p, params.duration_s)
        return _bm_release_class(grid, puff, frames, cmax, at_points, t_out, params, ri, notes)
    return Dispersion(t_out, frames, cmax, name, dense, ri, at_points, notes)


def _puffs(grid, xy, hs, edges, rates, met, scheme, p, params, t_out, ri, progress) -> Dispersion:
    """Gaussian puffs advected by a wind that changes at the scenario's shift times (also used
    for short releases, whose peaks along-wind spread lowers)."""
    shifts = params.weather.shifts
    dt = 10.0
    rel_t, rel_m = K.release_puffs(edges, rates, 20.0)
    n = rel_t.size
    px, py = np.full(n, xy[0]), np.full(n, xy[1])
    pdist = np.zeros(n)
    ph = np.full(n, hs)
    ny, nx = grid.raster.shape
    frames = np.zeros((t_out.size, ny, nx), np.float32)
    cmax = np.zeros(ny * nx, np.float32)
    c1, c2 = np.zeros(grid.x.size), np.zeros(grid.x.size)
    eval_every = max(1, int(round(30.0 / dt)))  # maximum grid sampled every 30 s
    steps = int(math.ceil(params.duration_s / dt))
    history = []  # (t, released count, px, py, pdist) snapshots for point series

    periods = wind_periods(met, params, hs, at_10m=False)

    def wind(t):
        w = next(q for q in reversed(periods) if t >= q.t0_s)
        return w.wind_from_deg, w.u_m_s

    def field(m):
        K.puff_conc(grid.x, grid.y, grid.z_agl, px[:m], py[:m], ph[:m], rel_m[:m], pdist[:m], scheme, p, met.h_mix_m, c1)
        K.puff_conc(grid.x, grid.y, grid.z_flat, px[:m], py[:m], ph[:m], rel_m[:m], pdist[:m], scheme, p, met.h_mix_m, c2)
        return (1 - TERRAIN_WEIGHT) * c1 + TERRAIN_WEIGHT * c2

    k_out = 0
    for s in range(steps + 1):
        t = s * dt
        m = int(np.searchsorted(rel_t, t, side="right"))
        history.append((t, m, px[:m].copy(), py[:m].copy(), pdist[:m].copy()))
        want_frame = k_out < t_out.size and t >= t_out[k_out] - 1e-9
        if want_frame or s % eval_every == 0:
            c = field(m)
            np.maximum(cmax, c, out=cmax)
            while k_out < t_out.size and t >= t_out[k_out] - 1e-9:
                frames[k_out] = c.reshape(ny, nx)
                k_out += 1
        if progress:
            progress(s / max(steps, 1))
        d, u = wind(t)
        # puffs released during this step travel only the part of the step after their release
        frac = np.clip((t + dt - rel_t[:int(np.searchsorted(rel_t, t + dt, side='right'))]) / dt, 0.0, 1.0)
        mm = frac.size
        ex, ey = -math.sin(math.radians(d)), -math.cos(math.radians(d))
        px[:mm] += ex * u * dt * frac
        py[:mm] += ey * u * dt * frac
        pdist[:mm] += u * dt * frac

    def at_points(xs, ys, z_agl, z_flat, tq):
        out = np.zeros((tq.size, xs.size))
        a, b = np.zeros(xs.size), np.zeros(xs.size)
        times = np.array([h[0] for h in history])
        for i, tt in enumerate(tq):
            j = min(int(np.searchsorted(times, tt, side="right")) - 1, len(history) - 1)
            _, m, hx, hy, hd = history[max(j, 0)]
            K.puff_conc(xs, ys, z_agl, hx, hy, ph[:m], rel_m[:m], hd, scheme, p, met.h_mix_m, a)
            K.puff_conc(xs, ys, z_flat, hx, hy, ph[:m], rel_m[:m], hd, scheme, p, met.h_mix_m, b)
            out[i] = (1 - TERRAIN_WEIGHT) * a + TERRAIN_WEIGHT * b
        return out

    why = "wind shifts" if shifts else "short release"
    return Dispersion(t_out, frames, cmax.reshape(ny, nx), f"Gaussian puffs ({why})", False, ri, at_points)


GRID_GROWTH = 1.6  # extent factor per growth step when a zone reaches the grid edge
GRID_GROWTH_STEPS = 3
GRID_MAX_CELLS_SIDE = 1200  # coarsen beyond this many cells a side (memory, page size)


def edge_max(cmax: np.ndarray) -> float:
    """Largest value on the outer ring of cells of a 2-D field."""
    return float(max(cmax[0].max(), cmax[-1].max(), cmax[:, 0].max(), cmax[:, -1].max()))


def disperse_on_grid(city: City, xy: tuple[float, float], hs: float, src: SourceTerm, chem: Chemical, met: Met,
                     scheme: int, p: np.ndarray, params: Params, lowest_kg_m3: float, *,
                     progress: bool = False) -> tuple[Grid, Dispersion]:
    """:func:`disperse` on the scenario's grid, grown (x1.6 in extent, up to three times, with
    cells coarsened past 1,200 a side) while the lowest zone threshold is still exceeded on the
    grid's edge, so zones are not cut off by the computation window; if it still is, a note
    says that the outer zone's reach and area are lower bounds."""
    from sim.progress import progress_bar

    run_params = params
    for step in range(GRID_GROWTH_STEPS + 1):
        grid = make_grid(city, xy, run_params)
        with progress_bar(progress, "hazmat dispersion") as cb:
            disp = disperse(grid, xy, hs, src, chem, met, scheme, p, run_params, cb)
        if edge_max(disp.cmax) < lowest_kg_m3:
            break
        if step == GRID_GROWTH_STEPS:
            disp.notes.append(f"the outermost zone still reaches the edge of the {2 * run_params.extent_m / 1000:.1f} km "
                              "grid: its reach and area are lower bounds (raise extent_m)")
            break
        ext = run_params.extent_m * GRID_GROWTH
        res = max(run_params.resolution_m, 2 * ext / GRID_MAX_CELLS_SIDE)
        run_params = run_params.model_copy(update={"extent_m": ext, "resolution_m": res})
    if disp.model.startswith("Gaussian puffs") and float(disp.frames[-1].max()) >= lowest_kg_m3:
        # puffs are stepped only to the run's end: a cloud still above the outer threshold then
        # would have reached further (the plume fields take each emission's whole travel)
        disp.notes.append(f"the cloud is still above the outermost threshold when the run ends at {params.duration_s:.0f} s:"
                          " the zones stop where it stands then (lengthen duration_s)")
    if run_params is not params:
        disp.notes.append(f"grid grown from {2 * params.extent_m / 1000:.1f} km to {2 * run_params.extent_m / 1000:.1f} km "
                          f"square at {run_params.resolution_m:.0f} m cells so the outer zone fits")
    return grid, disp
