"""Benchmark: the hazmat dispersion models against Project Prairie Grass (1956).

    .venv/bin/python benchmarks/hazmat_prairie_grass.py [--data ../shared/data/prairie_grass]

Method. Every run with meteorology (53 runs x 5 arcs = 265 arcs, 50-800 m, release 0.46 m,
samplers 1.5 m, 10-min releases; see the data folder's PROVENANCE.md) is predicted by

* the **baseline**: a plain Gaussian plume with the rural Pasquill-Gifford-Turner sigmas (ISC3
  fits, ``sim/hazmat/sigmas.py``), ground reflection, the class from L and z0 by Golder (1972)
  (``sim/hazmat/weather.py``), the tabulated wind speed as given (taken to be at 2 m);
* the **similarity model** (``sim/hazmat/similarity.py``; Gryning et al. 1987 with a
  boundary-layer K profile; sigma_y from the measured sigma_theta with AERMOD's lateral spread,
  EPA-454/R-03-004 eqs. 77-78), the default where u*, L
  are known; mixing heights not in the data (stable runs) are filled as the product fills them
  (Nieuwstadt 1981 at 42.49 N).

Observed arc maximum = ``omax / Q`` (largest sampler value), crosswind integral = ``cy / Q``;
predicted = plume-centreline C/Q and Cy/Q at 1.5 m. Measures: Chang & Hanna (2004) FAC2, FB,
NMSE, MG, VG; acceptance FAC2 >= 0.5, |FB| <= 0.3, NMSE <= 1.5 ("ok"); MG in 0.7-1.3 and
VG <= 4 reported ("rg"). Groups: all, stable (L > 0), unstable (L < 0), Golder classes A-F
(z0 = 0.008 m), the 24 stable 800-m arcs. Targets (the issue): the default beats the baseline
on NMSE and FAC2 overall; meets the criteria in the stable and the unstable group; halves the
baseline's error, taken as NMSE (one of the criteria; it counts scatter as well as bias), in
each of class A, class F and the stable 800-m arcs where the baseline fails the criteria.

The releases last 10 min; the travel time to the 800-m arc is 70-300 s, so the plume is
taken as steady at the arcs.

Sensitivity rows show what single alternative choices give. No constant is fitted to these
data, but the model's structure was settled while looking at them, and the rows show each
step: the first version was the surface-layer model of GHIS87 alone (row "surface layer
only"); the boundary-layer K profile and the mixing-height cap were added after that version
over-predicted the very unstable far arcs; sigma_y used the travel time x/u_bar first, briefly
int dx/u_bar, and x/u_bar again (both alternatives, and x/u_ref, are rows). The k rescaling of
u* was decided from the wind-profile consistency check below, before any concentration was
compared.

Lateral spread. The first default was Draxler's (1976) f_y with T_i = 1000 s (row "old dflt"):
sigma_y was 1.3-1.5 x the observed width in stable air and the arc-max targets failed. Three
published alternatives were then evaluated, all reported as rows: AERMOD (EPA-454/R-03-004
eqs. 77-78; the default now), Taylor's form with Hanna's (1982) Lagrangian time scale at the
mean plume height, and Draxler's f_y with T_i = 300 s (a value recalled from secondary
literature for surface releases and NOT verified against Draxler 1976; shown only because it
was tried). AERMOD was chosen because it is the regulatory formulation for surface releases,
with the Lagrangian time scale tied to the boundary-layer depth (Venkatram et al. 1984) and
AERMOD's own stable/unstable choice of that depth. The choice WAS informed by this comparison,
and AERMOD's alpha = 78 and p = 0.3 were fitted by its developers to Prairie Grass (MFD sec.
5.5.1.1), so the arc-maximum scores of the default are not an independent validation of the
lateral part: treat them as a consistency check. AERMOD with z_i = the model's own mixing height
(Nieuwstadt 1981 in stable air) instead of z_im is also a row. The default's sigma_y is 0.6-0.9 x
the observed width in unstable air (diagnostics below): it reaches the observed sampler maximum
partly because that maximum exceeds the Gaussian-equivalent peak there (row "vs cmax").
No sampling-time factor is applied: sigma_theta and the plume are both 10-min averages.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.hazmat import similarity as sim  # noqa: E402
from sim.hazmat.validation import (CLASSES, LATITUDE_DEG, WIND_HEIGHT_M, Z0_M, chang_hanna, evaluate,  # noqa: E402
                                   groups, load_prairie_grass, meets_criteria, research_grade, wind_consistency)

QUANT = {"max": ("c_obs_s_m3", "c_s_m3", "arc maximum C/Q (obs: omax/Q)"),
         "cy": ("cy_obs_s_m2", "cy_s_m2", "crosswind-integrated Cy/Q")}


def _metrics(df: pd.DataFrame, pred: pd.DataFrame, mask: np.ndarray, q: str, obs_col: str | None = None) -> dict:
    o, p, _ = QUANT[q]
    return chang_hanna(df.loc[mask, obs_col or o].to_numpy(), pred.loc[mask, p].to_numpy())


def _fmt(m: dict) -> str:
    return (f"{m['fac2']:5.2f} {m['fb']:+6.2f} {m['nmse']:6.2f} {m['mg']:5.2f} {m['vg']:5.2f} "
            f"{'ok' if meets_criteria(m) else '--':>3} {'rg' if research_grade(m) else '--':>3}")


def main_table(df: pd.DataFrame, base: pd.DataFrame, simp: pd.DataFrame) -> None:
    hdr = "FAC2     FB   NMSE    MG    VG  ok  rg"
    for q, (_, _, title) in QUANT.items():
        print(f"\n### {title}")
        print(f"{'group':14s} {'n':>3s} | baseline  {hdr} | similarity {hdr}")
        for name, mask in groups(df).items():
            if mask.any():
                print(f"{name:14s} {mask.sum():3d} | {'':9s} {_fmt(_metrics(df, base, mask, q))} | "
                      f"{'':10s} {_fmt(_metrics(df, simp, mask, q))}")


def targets(df: pd.DataFrame, base: pd.DataFrame, simp: pd.DataFrame) -> None:
    g = groups(df)
    print("\n### Targets (error = NMSE; |ln MG| shown for information)")
    for q in QUANT:
        b, s = _metrics(df, base, g["all"], q), _metrics(df, simp, g["all"], q)
        ok = s["nmse"] < b["nmse"] and s["fac2"] > b["fac2"]
        print(f"[{'PASS' if ok else 'FAIL'}] {q:3s} beats baseline overall: "
              f"NMSE {s['nmse']:.2f} vs {b['nmse']:.2f}, "
              f"FAC2 {s['fac2']:.2f} vs {b['fac2']:.2f}")
    for q in QUANT:
        for grp in ("stable", "unstable"):
            s = _metrics(df, simp, g[grp], q)
            print(f"[{'PASS' if meets_criteria(s) else 'FAIL'}] {q:3s} meets criteria, {grp:8s}: FAC2 {s['fac2']:.2f}, "
                  f"FB {s['fb']:+.2f}, NMSE {s['nmse']:.2f}")
    for q in QUANT:
        for grp in ("A", "F", "stable 800 m"):
            b, s = _metrics(df, base, g[grp], q), _metrics(df, simp, g[grp], q)
            if meets_criteria(b):
                print(f"[ -- ] {q:3s} {grp:12s}: baseline meets the criteria here (NMSE {b['nmse']:.2f}); no target")
                continue
            ok = s["nmse"] <= 0.5 * b["nmse"]
            print(f"[{'PASS' if ok else 'FAIL'}] {q:3s} {grp:12s}: NMSE {b['nmse']:.2f} -> {s['nmse']:.2f} "
                  f"(need <= {0.5 * b['nmse']:.3f}); "
                  f"|ln MG| {abs(math.log(b['mg'])):.2f} -> {abs(math.log(s['mg'])):.2f}")


def _sigma_variant(df: pd.DataFrame, simp: pd.DataFrame, how: str) -> pd.DataFrame:
    """The default Cy with another sigma_y: the default (AERMOD) scheme with the travel time
    ``x/u_ref`` or ``int dx/u_bar`` (``how`` = "x/u_ref", "lagrangian"), with z_i = the model's
    mixing height h instead of z_im ("aermod z_i = h"), or Draxler's f_y with T_i = 300 s
    ("draxler 300")."""
    out = simp.copy()
    sy = np.empty(len(df))
    for _, gr in df.groupby("run", sort=False):
        p = _params(gr.iloc[0])
        inv_L, us, h, zs, sv = (float(v) for v in p[5:10])
        x = gr["x_m"].to_numpy()
        t = x / np.array([sim.similarity_ubar(float(v), p) for v in x])
        kw = dict(ustar_m_s=us, inv_L=inv_L, h_m=h, z_source_m=zs, zbar_m=simp.loc[gr.index, "zbar_m"].to_numpy())
        if how == "x/u_ref":
            t = x / gr["wind_m_s"].to_numpy()
        elif how == "lagrangian":
            xs = np.linspace(0.0, 800.0, 4001)[1:]
            inv = np.array([1.0 / sim.similarity_ubar(float(v), p) for v in xs])
            tt = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(xs))])
            t = np.interp(x, xs, tt)
        if how == "draxler 300":
            sy[gr.index] = sv * t / (1.0 + 0.9 * np.sqrt(t / 300.0))
        elif how == "aermod z_i = h":
            alpha = sim.AERMOD_ALPHA * sim.AERMOD_Z_PG_M / max(zs, sim.AERMOD_Z_PG_M)
            sy[gr.index] = sv * t / (1.0 + alpha * sv * t / h) ** sim.AERMOD_P
        else:
            sy[gr.index] = sim.lateral_sigma_y_m(t, sv, **kw)
    out["c_s_m3"] = out["cy_s_m2"] / (math.sqrt(2.0 * math.pi) * sy)
    out["sigma_y_m"] = sy
    return out


def _params(r: pd.Series) -> np.ndarray:
    h = None if math.isnan(r["h_mix_m"]) else float(r["h_mix_m"])
    met = sim.fill_met(float(r["ustar_m_s"]), float(r["L_m"]), lat_deg=LATITUDE_DEG,
                       sigma_theta_deg=float(r["sigma_theta_deg"]), u_ref_m_s=float(r["wind_m_s"]),
                       z_ref_m=WIND_HEIGHT_M, z0_m=Z0_M, h_mix_m=h)
    return sim.similarity_params(z_source_m=float(r["z_source_m"]), **met)


def sensitivity(df: pd.DataFrame, simp: pd.DataFrame) -> None:
    rows = [
        ("default", simp, None),
        ("GHIS87 surface layer only (h = inf)", evaluate(df, "similarity", h_override_m=math.inf), None),
        ("u* as tabulated (no k 0.35 -> 0.40)", evaluate(df, "similarity", kappa_rescale=False), None),
        ("z0 = 0.006 m (DisperSim3D)", evaluate(df, "similarity", z0_m=0.006), None),
        ("sigma_y with t = x / u_ref", _sigma_variant(df, simp, "x/u_ref"), None),
        ("sigma_y with t = int dx / u_bar", _sigma_variant(df, simp, "lagrangian"), None),
        ("lateral Draxler T_i=1000 s (old dflt)", evaluate(df, "similarity", lateral="draxler"), None),
        ("lateral Hanna (1982) T_L, Taylor p=1/2", evaluate(df, "similarity", lateral="hanna"), None),
        ("lateral Draxler T_i=300 s (unverified)", _sigma_variant(df, simp, "draxler 300"), None),
        ("lateral AERMOD, z_i = model h", _sigma_variant(df, simp, "aermod z_i = h"), None),
        ("default vs Gaussian-equiv. cmax", simp, "cg_obs_s_m3"),
    ]
    g = groups(df)
    sel = ["all", "stable", "unstable", "A", "F", "stable 800 m"]
    print("\n### Sensitivity of the similarity model (FB / NMSE / FAC2)")
    print(f"{'variant':38s} {'qty':3s} " + " ".join(f"{s:>17s}" for s in sel))
    for name, pred, obs_col in rows:
        for q in QUANT:
            if obs_col and q == "cy":
                continue
            cells = []
            for s in sel:
                m = _metrics(df, pred, g[s], q, obs_col if q == "max" else None)
                cells.append(f"{m['fb']:+.2f}/{m['nmse']:5.2f}/{m['fac2']:.2f}")
            print(f"{name:38s} {q:3s} " + " ".join(f"{c:>17s}" for c in cells))


def diagnostics(df: pd.DataFrame, base: pd.DataFrame, simp: pd.DataFrame) -> None:
    def gm(v: pd.Series) -> float:
        return float(np.exp(np.log(v).mean()))

    key = [np.where(df["stable"], "stable", "unstable"), df["x_m"].astype(int)]
    print("\n### Geometric-mean ratio model / observed by stability and arc (m)")
    for name, num, den in (("sigma_y similarity", simp["sigma_y_m"], df["sigma_y_obs_m"]),
                           ("sigma_y baseline", base["sigma_y_m"], df["sigma_y_obs_m"]),
                           ("Cy similarity", simp["cy_s_m2"], df["cy_obs_s_m2"]),
                           ("Cy baseline", base["cy_s_m2"], df["cy_obs_s_m2"]),
                           ("obs omax / cmax", df["c_obs_s_m3"], df["cg_obs_s_m3"])):
        t = pd.Series(num.to_numpy() / den.to_numpy()).groupby(key).apply(gm).unstack()
        for stab in t.index:
            print(f"{name:20s} {stab:8s} " + " ".join(f"{int(c)}:{t.loc[stab, c]:5.2f}" for c in t.columns))
    # Mass-flux bound: the largest Cy at 1.5 m any plume of the model family can have for the
    # run's wind profile (max over x of the model's Cy(x, 1.5 m)) against the observed 50-m Cy.
    xs = np.exp(np.linspace(0.0, math.log(2000.0), 300))
    ratios = []
    for _, gr in df.groupby("run", sort=False):
        p = _params(gr.iloc[0])
        bound = max(sim.similarity_cy(float(x), 1.5, 1.0, p) for x in xs)
        ratios.append(float(gr.loc[gr["x_m"] == 50.0, "cy_obs_s_m2"].iloc[0]) / bound)
    r = np.array(ratios)
    print(f"\nobserved 50-m Cy / largest model-family Cy at 1.5 m: median {np.median(r):.2f}, "
          f"above 1 in {int((r > 1).sum())} of {r.size} runs")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "prairie_grass"))
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    df = load_prairie_grass(a.data)
    base = evaluate(df, "baseline")
    simp = evaluate(df, "similarity")
    n_cls = df.drop_duplicates("run")["cls"].value_counts().sort_index()
    print("# Prairie Grass: baseline (PGT Gaussian plume) vs boundary-layer similarity (default)")
    print(f"{df['run'].nunique()} runs with meteorology, {len(df)} arcs; runs per Golder class "
          + ", ".join(f"{CLASSES[k]} {v}" for k, v in n_cls.items()))
    print(f"Wind height assumed {WIND_HEIGHT_M:g} m; z0 = {Z0_M} m; receptor 1.5 m; release as tabulated (0.46 m).")
    print("Why 2 m: the speeds of runs 7, 11, 22, 29 equal DisperSim3D's 'U at 2 m', and the log-linear profile with")
    print("the tabulated u*, L reproduces the tabulated speed at 2 m with z0 = 0.008 m (GuBij) when k = 0.35, the")
    print("Kansas value the u* were tabulated with. Median z0 implied by (u*, L, U):")
    for k in (0.35, 0.40):
        print(f"  k = {k:.2f}: " + ", ".join(f"at {z:g} m {wind_consistency(df, k, z):.4f} m" for z in (1.0, 2.0, 4.0)))
    print("The model uses k = 0.40 with u* rescaled by 0.40/0.35; the baseline uses the tabulated wind as given.")
    main_table(df, base, simp)
    targets(df, base, simp)
    sensitivity(df, simp)
    diagnostics(df, base, simp)
    print(f"\n(wall {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
