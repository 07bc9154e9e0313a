"""Concentrations where people are: outdoor and indoor series at report points and at every
populated building in a zone, the indoor one-box model, and the per-building series behind the
protective-action screening (:mod:`sim.hazmat.protective`). Plain functions on the run's
:class:`sim.hazmat.fields.Dispersion` (its ``unit_fn``) and the city."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.hazmat.params import Params
from terrain.sample import sample
from twin.city import City

if TYPE_CHECKING:
    from sim.hazmat.fields import Dispersion


def point_series(disp: Dispersion, city: City, points: list[tuple[str, float, float, float]], xy: tuple[float, float],
                 params: Params, dt_s: float = 10.0) -> pd.DataFrame:
    """Outdoor and indoor concentration (kg/m³) every ``dt_s`` at named points.

    Indoors: :func:`indoor_from_outdoor` with each point's air-change rate."""

    if not points:
        return pd.DataFrame(columns=["time_s", "point", "outdoor_kg_m3", "indoor_kg_m3"])
    t, cout = at_points(disp, city, np.array([p[1] for p in points]), np.array([p[2] for p in points]), xy, params,
                        dt_s)
    cin = indoor_from_outdoor(cout, np.array([p[3] for p in points], float), dt_s)
    rows = {"time_s": np.repeat(t, len(points)), "point": [p[0] for p in points] * t.size,
            "outdoor_kg_m3": cout.ravel(), "indoor_kg_m3": cin.ravel()}
    return pd.DataFrame(rows)


def indoor_step(cin: np.ndarray, cout: np.ndarray, ach_per_h, dt_s: float) -> np.ndarray:
    """Indoor concentration ``dt_s`` later under the outdoor ``cout`` held meanwhile: the one-box
    infiltration model dC_in/dt = λ (C_out − C_in), λ = air changes per hour / 3600 (the model
    ALOHA uses, Wilson 1987), integrated exactly."""
    return cout + (cin - cout) * np.exp(-np.asarray(ach_per_h, float) / 3600.0 * dt_s)


def indoor_seconds_at_or_above(cin: np.ndarray, frames: np.ndarray, frame_times_s: np.ndarray, ach_per_h,
                               level: float, t0_s: float, t1_s: float,
                               or_flags: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Seconds in [t0_s, t1_s] that the indoor air of each point is at or above ``level``, from
    its concentration ``cin`` (npts,) at t0_s, under outdoor frames (nf, npts) each holding from
    its time to the next (none before the first, the last to t1_s). ``or_flags`` = (times, flags
    (nf2, npts)), held the same way: count also the seconds a flag holds (the union, each second
    once; e.g. the flood deep at the building).

    Exact for held frames: over an interval of held outdoor C the one-box solution
    c(τ) = C + (c0 − C) e^(−λτ) (:func:`indoor_step`) is monotone, so it crosses ``level`` at most
    once, at τ* = ln((c0 − C)/(level − C)) / λ."""
    return indoor_window(cin, frames, frame_times_s, ach_per_h, level, t0_s, t1_s, or_flags)[0]


def indoor_window(cin: np.ndarray, frames: np.ndarray, frame_times_s: np.ndarray, ach_per_h,
                  level: float, t0_s: float, t1_s: float,
                  or_flags: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`indoor_seconds_at_or_above`, the indoor concentration at t1_s), in one pass."""
    c = np.asarray(cin, float).copy()
    lam = np.broadcast_to(np.asarray(ach_per_h, float) / 3600.0, c.shape)
    f_times, f_flags = or_flags if or_flags is not None else (np.zeros(0), np.zeros((0, c.size), bool))
    edges = np.unique(np.clip(np.concatenate([[t0_s, t1_s], frame_times_s, f_times]), t0_s, t1_s))
    out = np.zeros_like(c)
    for a, b in zip(edges[:-1], edges[1:]):
        k = int(np.searchsorted(frame_times_s, a + 1e-9, side="right")) - 1
        cout = frames[k] if k >= 0 else np.zeros_like(c)
        kf = int(np.searchsorted(f_times, a + 1e-9, side="right")) - 1
        flag = f_flags[kf] if kf >= 0 else np.zeros(c.shape, bool)
        dt = b - a
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = np.log((c - cout) / (level - cout)) / lam  # crossing time, where there is one
        tau = np.where(np.isfinite(tau) & (tau >= 0.0), tau, np.inf)
        rising_in = (cout > c) & (cout >= level) & (c < level)  # crosses upward (or is level-bound)
        falling_out = (cout < c) & (cout < level) & (c >= level)  # crosses downward
        above = np.where(c >= level, dt, 0.0)
        above = np.where(rising_in, np.clip(dt - tau, 0.0, dt), above)
        above = np.where(falling_out, np.minimum(tau, dt), above)
        out += np.where(flag, dt, above)
        c = indoor_step(c, cout, lam * 3600.0, dt)
    return out, c


def indoor_from_outdoor(cout: np.ndarray, ach_per_h: np.ndarray, dt_s: float) -> np.ndarray:
    """Indoor concentration (nt, npts) under the outdoor one ``cout`` sampled every ``dt_s`` from
    t = 0 (clean air indoors then), :func:`indoor_step` with C_out held over each step."""
    cin = np.zeros_like(cout)
    for i in range(1, cout.shape[0]):
        cin[i] = indoor_step(cin[i - 1], cout[i - 1], ach_per_h, dt_s)
    return cin


def at_points(disp: Dispersion, city: City, xs: np.ndarray, ys: np.ndarray, xy: tuple[float, float],
              params: Params, dt_s: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Times (every ``dt_s`` over the run) and the outdoor concentration there (nt, npts) at
    receptor height above the ground at points ``xs``, ``ys`` (terrain above the source lifts the
    receptor in the flat-terrain field, as :func:`point_series`)."""
    t = np.arange(0.0, params.duration_s + 1e-9, dt_s)
    z_src = float(sample(city.terrain, np.array([xy[0]]), np.array([xy[1]]))[0])
    zg = sample(city.terrain, xs, ys)
    zg = np.where(np.isfinite(zg), zg, z_src)
    z_agl = np.full(xs.size, params.receptor_height_m)
    return t, disp.unit_fn(xs, ys, z_agl, z_agl + np.maximum(zg - z_src, 0.0), t)


PROTECT_MAX_EXTRA_S = 12 * 3600.0  # the protective series run at most this long past duration_s
PROTECT_POINTS = 8  # outline vertices sampled per building (plus its representative point)


def _footprint_points(geoms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample points of each building (representative point + up to PROTECT_POINTS outline
    vertices): x, y and the building index of each point."""
    xs, ys, owner = [], [], []
    for i, g in enumerate(geoms):
        rp = g.representative_point()
        pts = [(rp.x, rp.y)]
        polys = getattr(g, "geoms", [g])
        ring = np.concatenate([np.asarray(q.exterior.coords)[:-1] for q in polys]) if len(polys) else np.zeros((0, 2))
        if len(ring):
            step = max(1, int(math.ceil(len(ring) / PROTECT_POINTS)))
            pts += [tuple(v) for v in ring[::step]]
        xs += [q[0] for q in pts]
        ys += [q[1] for q in pts]
        owner += [i] * len(pts)
    return np.array(xs, float), np.array(ys, float), np.array(owner, np.int64)


def protective_actions(disp: Dispersion, city: City, exposed, xy: tuple[float, float], thr: dict[str, float],
                       params: Params, dt_s: float = 10.0):
    """Shelter or evacuate for each populated building in a zone (:mod:`sim.hazmat.protective`):
    the outdoor concentration on its footprint (highest sample point at each time) and indoors,
    every ``dt_s`` from the release until the cloud has passed: the series runs to ``duration_s``
    and is doubled (emissions still stop at ``duration_s``, as for the zones, which take each
    emission's whole travel) while some building is still at the lowest threshold outdoors or
    still rising indoors, up to ``PROTECT_MAX_EXTRA_S`` past it. The GeoDataFrame's attrs hold
    ``complete`` (the cloud had passed) and ``horizon_s``."""
    from sim.hazmat import protective as pa

    zoned = exposed[exposed.zone != ""]
    ev = params.evacuation
    px, py, owner = _footprint_points(zoned.geometry.values)
    nb = len(zoned)
    lowest = min(thr.values())
    ach = np.array([ev.shelter_air_changes_by_use.get(str(u), ev.shelter_air_changes_per_h) for u in zoned["use"]],
                   float) if "use" in zoned else np.full(nb, ev.shelter_air_changes_per_h)
    horizon = params.duration_s
    while True:
        p_h = params.model_copy(update={"duration_s": horizon})
        t = np.arange(0.0, horizon + 1e-9, dt_s)
        cout = np.zeros((t.size, nb))
        chunk = max(1, int(4e6 // max(t.size, 1)))
        for a in range(0, px.size, chunk):
            c = at_points(disp, city, px[a:a + chunk], py[a:a + chunk], xy, p_h, dt_s)[1]
            for j in range(c.shape[1]):
                b = owner[a + j]
                np.maximum(cout[:, b], c[:, j], out=cout[:, b])
        cin = indoor_from_outdoor(cout, ach, dt_s)
        done = nb == 0 or t.size < 2 or (bool((cout[-1] < lowest).all()) and bool((cin[-1] <= cin[-2] + 1e-15).all()))
        if done or horizon >= params.duration_s + PROTECT_MAX_EXTRA_S:
            break
        horizon = min(2.0 * horizon, params.duration_s + PROTECT_MAX_EXTRA_S)
    out = pa.assess(exposed, t, cout, cin, thr, list(ev.zones), ev.departure_mean_min * 60.0)
    out.attrs.update(complete=bool(done), horizon_s=float(horizon))
    return out


def default_points(exposed, n: int = 3) -> list[tuple[str, float, float, float]]:
    """Without points in the scenario: the most populous buildings in the most severe zones,
    and every hospital or school reached by any zone."""
    from sim.hazmat.zones import LEVELS as _L

    sel = exposed[exposed.zone != ""].copy()
    if sel.empty:
        return []
    sel["rank"] = sel.zone.map({lvl: i for i, lvl in enumerate(_L)})
    pick = sel.sort_values(["rank", "population"], ascending=[True, False]).head(n)
    extra = sel[sel.use.isin(["hospital", "school"])]
    if len(extra):
        pick = pd.concat([pick, extra[~extra.building_id.isin(pick.building_id)]])
    out = []
    for _, b in pick.iterrows():
        c = b.geometry.centroid
        label = b["name"] or f"{b['use']} {b['building_id']}"
        # the zone touches the building; its series is taken at the centre, which may lie outside it
        out.append((f"{label} ({b.zone} zone reaches it)", float(c.x), float(c.y), 0.5))
    return out
