"""Charts of a drill review (:mod:`sim.drill.review`): the drill's wall-clock axis and the PNG
charts per plan variant (dispatch Gantt, response CDF, people at risk, shelter loads, resource
utilisation), each from the review tables (:data:`sim.drill.review_tables.COLUMNS`)."""
from __future__ import annotations

import functools
import math
import warnings
from datetime import datetime, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from sim.drill.review_tables import (PEOPLE_TOL, TZ, _PLAN_COLOURS, _check, _check_people, _check_resources,
                                     _check_shelters, _f, _late_by_s, _of, _plans)
from twin.errors import InputError
from viewers.png import fig_png

# ------------------------------------------------------------------------------ time axes
def _local_start(start: datetime | None) -> datetime | None:
    """``start`` in Asia/Shanghai (a naive datetime is taken as Asia/Shanghai, as in scenarios)."""
    if start is None:
        return None
    if not isinstance(start, datetime):
        raise InputError(f"start {start!r}: expected a datetime (tz-aware) or None")
    return (start.replace(tzinfo=TZ) if start.tzinfo is None else start).astimezone(TZ)


def wall_clock(start: datetime | None, t_s: float, fmt: str = "%H:%M:%S") -> str:
    """Drill time ``t_s`` as Asia/Shanghai wall-clock text (``T+h:mm:ss`` when no start)."""
    if t_s is None or not math.isfinite(float(t_s)):
        return "never"
    st = _local_start(start)
    if st is None:
        return "T+" + _hms(float(t_s))
    return (st.astimezone(ZoneInfo("UTC")) + timedelta(seconds=float(t_s))).astimezone(TZ).strftime(fmt)


def _hms(s: float) -> str:
    sign = "-" if s < 0 else ""
    s = abs(int(round(s)))
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _dur(s: float) -> str:
    """A duration for people: ``12 min``, ``1 h 05 min``, ``45 s``, ``never``."""
    if s is None or not np.isfinite(s):
        return "never" if s is not None and not np.isnan(s) else "–"
    neg, s = s < 0, abs(float(s))
    if round(s) < 60:
        txt = f"{s:.0f} s"
    elif round(s / 60.0, 1) < 60:
        txt = f"{s / 60:.1f} min"
    else:
        mins = int(round(s / 60.0))
        txt = f"{mins // 60} h {mins % 60:02d} min"
    return ("-" if neg else "") + txt


class _Clock:
    """Drill seconds -> x coordinates: matplotlib dates of Asia/Shanghai wall clock when a
    start is given (ticks hh:mm), else minutes since start (ticks h:mm)."""

    def __init__(self, start: datetime | None):
        import matplotlib.dates as mdates

        self.start = _local_start(start)
        self._x0 = mdates.date2num(self.start.replace(tzinfo=None)) if self.start is not None else 0.0
        self._per_s = 1.0 / 86400.0 if self.start is not None else 1.0 / 60.0

    def x(self, t_s):
        return self._x0 + np.asarray(t_s, float) * self._per_s

    def w(self, d_s):
        return np.asarray(d_s, float) * self._per_s

    def style(self, ax) -> None:
        import matplotlib.dates as mdates
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        if self.start is not None:
            ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=9))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
            ax.set_xlabel(f"wall clock, Asia/Shanghai (drill start {self.start:%Y-%m-%d %H:%M})", fontsize=8)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 3, 6, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v // 60)}:{int(round(v % 60)):02d}"))
            ax.set_xlabel("drill time since start (h:mm)", fontsize=8)


def _plt():
    import matplotlib.pyplot as plt  # viewers.png has selected the Agg backend

    return plt


_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """Font families for the charts (DejaVu Sans, then any installed CJK family as fallback)
    and the code points they can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    have = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    fams = tuple(n for n in ("DejaVu Sans", *_CJK_FAMILIES) if n in have) or ("sans-serif",)
    codes: set[int] = set()
    for n in fams:
        try:
            codes.update(FT2Font(have.get(n) or font_manager.findfont(n)).get_charmap())
        except Exception:  # noqa: BLE001 - an unreadable font only narrows the set
            pass
    return fams, frozenset(codes)


def _drawable(text: str) -> bool:
    codes = _fonts()[1]
    return all(c.isspace() or ord(c) in codes for c in str(text))


def plan_labels(plans: Iterable[str]) -> dict[str, str]:
    """How the charts name each plan: its own name when the installed fonts can draw it, else
    ``plan <n>`` by order of appearance (the review page prints the key)."""
    return {p: (f"plan {p}" if _drawable(p) else f"plan {k + 1}") for k, p in enumerate(plans)}


def _chart(fn: Callable[..., bytes]) -> Callable[..., bytes]:
    """Draw with the chart fonts; glyphs no installed font has are skipped without warnings."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs) -> bytes:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
            with _plt().rc_context({"font.family": list(_fonts()[0])}):
                return fn(*args, **kwargs)
    return wrapped


def _empty_png(title: str, what: str) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 1.6), dpi=100)
    ax.text(0.5, 0.5, what, ha="center", va="center", fontsize=9)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    return fig_png(fig)


# ------------------------------------------------------------------------------ charts
@_chart
def gantt_png(tasks: pd.DataFrame, *, plan: str | None = None, start: datetime | None = None) -> bytes:
    """Resource timeline, one row per resource (one panel per plan, or only ``plan``): travel
    (light), on scene (dark), return (grey); late dispatches in red with their lateness,
    deadlines as red ticks; each on-scene bar labelled with its incident."""
    from matplotlib.patches import Patch

    tasks = _check(tasks, "tasks")
    plans = _plans(tasks)
    names = plan_labels(plans)
    if plan is not None:
        if str(plan) not in plans:
            raise InputError(f"plan {plan!r}: expected one of {plans}")
        plans = [str(plan)]
    if not plans:
        return _empty_png("Resource timeline", "no dispatches")
    plt = _plt()
    clock = _Clock(start)
    times = tasks[["dispatched_s", "arrival_s", "work_end_s", "back_s"]].to_numpy(float)
    dl = (_f(tasks["opened_s"]) + _f(tasks["target_s"]))
    fin = np.concatenate([times[np.isfinite(times)], dl[np.isfinite(dl)], [0.0]])
    t_end = float(fin.max()) * 1.02 + 60.0
    nres = [max(1, _of(tasks, p)["resource_id"].nunique()) for p in plans]
    fig, axes = plt.subplots(len(plans), 1, figsize=(9.0, min(0.8 + sum(0.32 * n + 0.7 for n in nres), 30.0)),
                             dpi=100, sharex=True, gridspec_kw={"height_ratios": [n + 1.5 for n in nres]},
                             squeeze=False)
    h = 0.6
    for ax, p in zip(axes[:, 0], plans):
        tk = _of(tasks, p).copy()
        res = tk.drop_duplicates("resource_id")[["resource_id", "resource_type"]]
        res = res.sort_values(["resource_type", "resource_id"], kind="stable").astype(str)
        row = {rid: i for i, rid in enumerate(res["resource_id"])}
        late = _late_by_s(tk)
        for (_, r), lb in zip(tk.iterrows(), late):
            y = row[str(r["resource_id"])]
            d, a = float(r["dispatched_s"]), float(r["arrival_s"])
            we, b = float(r["work_end_s"]), float(r["back_s"])
            is_late = bool(lb > 0)
            a_draw = a if math.isfinite(a) else t_end
            ax.broken_barh([(clock.x(d), clock.w(a_draw - d))], (y - h / 2, h),
                           facecolors="#f4a6a6" if is_late else "#a6cbe8",
                           edgecolors="#d62728" if is_late else "none", linewidth=0.8,
                           hatch="//" if not math.isfinite(a) else None)
            if math.isfinite(a):
                we_draw = we if math.isfinite(we) else t_end
                ax.broken_barh([(clock.x(a), clock.w(max(we_draw - a, 0.0)))], (y - h / 2, h),
                               facecolors="#1f4e79", edgecolors="#d62728" if is_late else "none", linewidth=0.8)
                if math.isfinite(we):
                    b_draw = b if math.isfinite(b) else t_end
                    ax.broken_barh([(clock.x(we), clock.w(max(b_draw - we, 0.0)))], (y - h / 2, h),
                                   facecolors="#bdbdbd")
                lab_t = 0.5 * (a + we_draw)
            else:
                lab_t = 0.5 * (d + a_draw)
            lab = str(r["incident_id"]) + ((f" +{_dur(lb)}" if math.isfinite(lb) else " never arrived") if is_late
                                           else "")
            ax.text(clock.x(lab_t), y, lab, ha="center", va="center", fontsize=6,
                    color="white" if math.isfinite(a) else "#8b0000", clip_on=True)
            ddl = float(r["opened_s"]) + float(r["target_s"])
            if math.isfinite(ddl):
                ax.plot([clock.x(ddl)] * 2, [y - h / 2 - 0.08, y + h / 2 + 0.08], color="#d62728", lw=1.2)
        ax.set_yticks(range(len(row)), [f"{i} ({t})" for i, t in zip(res["resource_id"], res["resource_type"])],
                      fontsize=7)
        ax.set_ylim(len(row) - 0.4, -0.6)
        ax.set_xlim(clock.x(0.0), clock.x(t_end))
        ax.grid(axis="x", lw=0.4, alpha=0.5)
        n_late = int((late > 0).sum())
        ax.set_title(f"{names[p]}: {len(tk)} dispatches, {n_late} late", fontsize=9)
    clock.style(axes[-1, 0])
    axes[-1, 0].tick_params(axis="x", labelsize=7)
    handles = [Patch(color="#a6cbe8", label="travel"), Patch(color="#1f4e79", label="on scene"),
               Patch(color="#bdbdbd", label="return to base"),
               Patch(facecolor="#f4a6a6", edgecolor="#d62728", label="late travel (+lateness)"),
               Patch(facecolor="#f4a6a6", edgecolor="#d62728", hatch="//", label="never arrived"),
               plt.Line2D([], [], color="#d62728", lw=1.2, label="response deadline")]
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=7, frameon=False)
    fig.suptitle("Resource timeline (Gantt) per plan", fontsize=10)
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    return fig_png(fig)


@_chart
def response_png(incidents: pd.DataFrame) -> bytes:
    """Empirical CDF of incident response times (minutes) per plan in one chart, with the
    response target(s) as vertical lines; never-covered incidents keep the curve below 1."""
    incidents = _check(incidents, "incidents")
    plans = _plans(incidents)
    if not plans:
        return _empty_png("Response times", "no incidents")
    names = plan_labels(plans)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=100)
    resp_all = _f(incidents["response_s"]) / 60.0
    fin = resp_all[np.isfinite(resp_all)]
    tg = _f(incidents["target_s"]) / 60.0
    tg_fin = tg[np.isfinite(tg)]
    x_max = max(float(fin.max()) if len(fin) else 0.0, float(tg_fin.max()) if len(tg_fin) else 0.0, 1.0) * 1.1
    for k, p in enumerate(plans):
        inc = _of(incidents, p)
        r = _f(inc["response_s"]) / 60.0
        r = np.where(np.isnan(r), np.inf, r)
        n = len(r)
        x = np.sort(r[np.isfinite(r)])
        y = np.arange(1, len(x) + 1) / n
        tgt = _f(inc["target_s"])
        ok = np.isfinite(tgt)
        share = float((r[ok] * 60.0 <= tgt[ok]).mean()) if ok.any() else math.nan
        lab = f"{names[p]} (n={n}" + (f", {100 * share:.0f} % on target" if math.isfinite(share) else "")
        lab += f", {n - len(x)} never covered)" if n - len(x) else ")"
        ax.step(np.r_[0.0, x, x_max], np.r_[0.0, y, y[-1] if len(y) else 0.0], where="post", lw=1.8,
                color=_PLAN_COLOURS[k % len(_PLAN_COLOURS)], label=lab)
    tg_all = _f(incidents["target_s"])
    grades = incidents.assign(_t=tg_all)[np.isfinite(tg_all)]
    for t_min, g in grades.groupby(grades["_t"] / 60.0):
        gr = ", ".join(sorted({str(v) for v in g["grade"]}))
        ax.axvline(t_min, color="#d62728", ls="--", lw=1.0)
        ax.text(t_min, 1.02, f"target {t_min:g} min (grade {gr})", rotation=0, fontsize=6, color="#d62728",
                ha="center", va="bottom", transform=ax.get_xaxis_transform())
    ax.set_xlim(0, x_max)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("response time: last needed resource on scene after the incident opened (min)", fontsize=8)
    ax.set_ylabel("share of incidents covered", fontsize=8)
    ax.grid(lw=0.4, alpha=0.5)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Response-time distribution (empirical CDF) per plan", fontsize=10, pad=14)
    fig.tight_layout()
    return fig_png(fig)


def _plan_panels(plans: list[str], start: datetime | None, panel_h: float):
    """(figure, one time-series axis per plan sharing x and y, drill clock) for a per-plan chart."""
    plt = _plt()
    fig, axes = plt.subplots(len(plans), 1, figsize=(8.0, 1.0 + panel_h * len(plans)), dpi=100, sharex=True,
                             sharey=True, squeeze=False)
    return fig, axes[:, 0], _Clock(start)


def _style_panel(ax, title: str) -> None:
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("persons", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(lw=0.4, alpha=0.5)


@_chart
def people_png(people: pd.DataFrame, *, start: datetime | None = None) -> bytes:
    """Persons in place / evacuating / sheltered / out of the area (stacked) and at risk (line)
    over time, one panel per plan."""
    people = _check_people(people)
    plans = _plans(people)
    if not plans:
        return _empty_png("Persons at risk", "no people data")
    lab = plan_labels(plans)
    fig, axes, clock = _plan_panels(plans, start, 2.2)
    for ax, p in zip(axes, plans):
        pp = _of(people, p).sort_values("t_s", kind="stable")
        x = clock.x(_f(pp["t_s"]))
        ax.stackplot(x, _f(pp["in_place"]), _f(pp["evacuating"]), _f(pp["sheltered"]), _f(pp["left_area"]),
                     colors=("#fdae6b", "#fee08b", "#74c476", "#9ecae1"),
                     labels=("in place", "evacuating", "sheltered", "out of the area (no shelter place)"),
                     alpha=0.9, lw=0)
        ax.plot(x, _f(pp["at_risk"]), color="black", lw=1.2, label="at risk (total)")
        end = pp.iloc[-1]
        share = (end["sheltered"] + end["left_area"]) / end["at_risk"] if end["at_risk"] > 0 else math.nan
        _style_panel(ax, f"{lab[p]}: peak {pp['at_risk'].max():,.0f} at risk, "
                         f"{100 * share:.0f} % sheltered or out of the area at the end")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=7, frameon=False)
    clock.style(axes[-1])
    fig.suptitle("Persons at risk: in place, evacuating, sheltered, out of the area", fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig_png(fig)


@_chart
def shelters_png(shelters: pd.DataFrame, *, start: datetime | None = None) -> bytes:
    """Load (solid) against capacity (dashed, same colour) of each shelter over time, one panel
    per plan; loads above capacity are marked red, loads while the shelter is at risk (``at_risk``
    where the table has it) are drawn over in a thick black line."""
    shelters = _check_shelters(shelters)
    plans = _plans(shelters)
    if not plans:
        return _empty_png("Shelters", "no shelter data")
    lab = plan_labels(plans)
    names = list(dict.fromkeys(shelters["shelter"].astype(str)))
    cmap = _plt().get_cmap("tab10" if len(names) <= 10 else "tab20")
    fig, axes, clock = _plan_panels(plans, start, 2.4)
    for ax, p in zip(axes, plans):
        sh = _of(shelters, p)
        for k, name in enumerate(names):
            s = sh[sh["shelter"].astype(str) == name].sort_values("t_s", kind="stable")
            if not len(s):
                continue
            x = clock.x(_f(s["t_s"]))
            load, cap = _f(s["load_persons"]), _f(s["capacity_persons"])
            c = cmap(k % cmap.N)
            ax.plot(x, load, color=c, lw=1.5, label=f"{name} load")
            ax.plot(x, cap, color=c, lw=1.0, ls="--", label=f"{name} capacity")
            over = load > cap + PEOPLE_TOL  # (as the review's shelters_over_capacity)
            if over.any():
                ax.scatter(x[over], load[over], color="#d62728", s=8, zorder=5)
            if "at_risk" in s:
                ax.plot(x, np.where(s["at_risk"].fillna(False).to_numpy(bool), load, np.nan), color="black", lw=4.0,
                        alpha=0.55, zorder=4, solid_capstyle="butt")
        peak = float(np.nanmax(_f(sh["load_persons"]) / _f(sh["capacity_persons"]))) if len(sh) else math.nan
        _style_panel(ax, f"{lab[p]}: peak load {100 * peak:.0f} % of capacity")
    axes[0].legend(fontsize=6, loc="upper left", ncol=2)
    clock.style(axes[-1])
    fig.suptitle("Shelter load vs capacity (red dots: over capacity; thick black: shelter at risk)", fontsize=10)
    fig.tight_layout()
    return fig_png(fig)


@_chart
def utilisation_png(resources: pd.DataFrame) -> bytes:
    """Share of the drill each resource spent away from base on tasks, bars grouped per plan."""
    resources = _check_resources(resources)
    plans = _plans(resources)
    if not plans:
        return _empty_png("Resource utilisation", "no resources")
    lab = plan_labels(plans)
    plt = _plt()
    r = resources.assign(_u=_f(resources["busy_s"]) / _f(resources["drill_s"]))
    ids = r.drop_duplicates("resource_id").sort_values(["type", "resource_id"], kind="stable")
    labels = [f"{i} ({t})" for i, t in zip(ids["resource_id"].astype(str), ids["type"].astype(str))]
    y = np.arange(len(ids))
    hgt = 0.8 / len(plans)
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.22 * len(ids) * max(1.0, len(plans) / 2)), dpi=100)
    for k, p in enumerate(plans):
        rp = _of(r, p).drop_duplicates("resource_id")
        u = pd.Series(rp["_u"].to_numpy(), index=rp["resource_id"].astype(str))
        vals = np.array([u.get(str(i), np.nan) for i in ids["resource_id"]], float) * 100.0
        used = vals > 0
        mean = float(np.nanmean(vals[used])) if used.any() else math.nan
        ax.barh(y - 0.4 + hgt * (k + 0.5), np.nan_to_num(vals), height=hgt, color=_PLAN_COLOURS[k % len(_PLAN_COLOURS)],
                label=f"{lab[p]} (mean of used {mean:.0f} %)")
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time away from base on tasks (% of the drill)", fontsize=8)
    ax.set_xlim(0, max(100.0, float(np.nanmax(r["_u"])) * 105 if len(r) else 100.0))
    ax.axvline(100, color="grey", lw=0.6)
    ax.grid(axis="x", lw=0.4, alpha=0.5)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Resource utilisation per plan", fontsize=10)
    fig.tight_layout()
    return fig_png(fig)
