"""The time–space diagram planners read every day: signal bars (green/amber/red per
direction) at each intersection's position, the green bands at the design speeds, and
simulated vehicle trajectories on top."""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.greenwave.plan import MOVEMENTS, Corridor, Plan
from viewers.png import fig_png

_OUT, _IN = MOVEMENTS.index("out"), MOVEMENTS.index("in")


def green_at(windows: np.ndarray, sig: int, mov: int, t: np.ndarray) -> np.ndarray:
    """True where movement ``mov`` of signal ``sig`` shows green at corridor times ``t``."""
    cyc, start, green, _ = windows[sig, mov]
    return ((np.asarray(t) - start) % cyc) < green


def band_offsets_s(corridor: Corridor, speed_m_s, direction: str) -> np.ndarray:
    """Travel time from the first signal met to each signal (corridor order) at the design speed:
    one speed, or one per link (n - 1, corridor order) as MAXBAND gives with a speed-change limit."""
    pos = corridor.positions_m
    v = np.broadcast_to(np.asarray(speed_m_s, float), (len(pos) - 1,))
    t = np.diff(pos) / v
    if direction == "out":
        return np.concatenate([[0.0], np.cumsum(t)])
    return np.concatenate([np.cumsum(t[::-1])[::-1], [0.0]])


def band_windows(plan: Plan, corridor: Corridor, speed_m_s, direction: str,
                 step_s: float = 0.25, clearance_s=None) -> list[tuple[float, float]]:
    """Start-time intervals [a, b) (corridor clock, at the first signal met) of trajectories at the
    design speed (one, or one per link) that pass every signal on green, within one cycle; their
    total width is the band. Measured by sampling start times every ``step_s``. ``clearance_s``
    (n, 2), out / in: seconds at the start of each green left to a queue (a band plan's
    ``meta["queue_clearance_s"]``)."""
    w = plan.windows()
    pos = corridor.positions_m
    c = plan.cycle_s
    t0 = np.arange(0.0, c, step_s)
    off = band_offsets_s(corridor, speed_m_s, direction)
    mv = _OUT if direction == "out" else _IN
    ok = np.all([green_at(w, i, mv, t0 + off[i]) for i in range(len(pos))], axis=0)
    if clearance_s is not None:
        cl = np.asarray(clearance_s, float).reshape(len(pos), 2)[:, 0 if direction == "out" else 1]
        ok &= np.all([(t0 + off[i] - w[i, mv, 1]) % c >= cl[i] for i in range(len(pos))], axis=0)
    out, start = [], None
    for t, g in zip(t0, ok):
        if g and start is None:
            start = t
        if not g and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, c))
    # merge a band wrapping the cycle end with the one at its start
    if len(out) > 1 and out[0][0] == 0.0 and out[-1][1] == c:
        out = [(out[-1][0], out[0][1] + c)] + out[1:-1]
    return out


def time_space_png(corridor: Corridor, plan: Plan, *, t0_s: float, t1_s: float, speed_out_m_s,
                   speed_in_m_s, trajectories: pd.DataFrame | None = None, title: str = "",
                   traj_every: int = 3, shift_m: float = 0.0) -> bytes:
    """The diagram as PNG bytes: time on x (s), distance along the corridor on y (m; cross
    streets on the right). Trajectories (``microsim`` layout: t_s, pos_m in each direction's
    own coordinate, dir, vid) of every ``traj_every``-th vehicle: outbound blue, inbound purple.
    ``shift_m``: how far ``corridor``'s positions lie ahead of the user's corridor (the lead-in the
    simulator adds, :func:`sim.greenwave.microsim.padded`); the distance axis is labelled in the
    user's coordinate, as the summary's ``pos_m``."""
    import matplotlib.pyplot as plt

    w = plan.windows()
    pos = corridor.positions_m
    fig, ax = plt.subplots(figsize=(9.0, 5.6), dpi=100)
    t = np.arange(t0_s, t1_s, 0.5)
    bar = max(corridor.length_m / 120.0, 6.0)
    for i, p in enumerate(pos):
        for mov, dy in ((_OUT, -bar), (_IN, bar)):
            cyc, start, green, yellow = w[i, mov]
            phase = (t - start) % cyc
            col = np.where(phase < green, 0, np.where(phase < green + yellow, 1, 2))
            colors = np.array([[0.1, 0.65, 0.2], [0.95, 0.75, 0.1], [0.85, 0.1, 0.1]])
            edges = np.flatnonzero(np.diff(col)) + 1
            for a, b in zip(np.r_[0, edges], np.r_[edges, len(t)]):
                ax.add_patch(plt.Rectangle((t[a], p + dy - bar / 2), t[b - 1] - t[a] + 0.5, bar,
                                           color=colors[col[a]], lw=0, zorder=3))
    if trajectories is not None and len(trajectories):
        tr = trajectories[(trajectories.t_s >= t0_s) & (trajectories.t_s <= t1_s)
                          & (trajectories.vid % max(1, traj_every) == 0)]
        for (d, _), g in tr.groupby(["dir", "vid"], sort=False):
            y = g.pos_m if d == 0 else corridor.length_m - g.pos_m  # inbound positions run from the far end
            ax.plot(g.t_s, y, lw=0.45, color="#1f4e9c" if d == 0 else "#7b3294", alpha=0.6, zorder=2)
    c = plan.cycle_s
    for direction, v, col in (("out", speed_out_m_s, "#2ca25f"), ("in", speed_in_m_s, "#756bb1")):
        if v is None or not np.all(np.asarray(v, float) > 0):
            continue
        off = band_offsets_s(corridor, v, direction)
        span = float(off.max())
        order = np.arange(len(pos)) if direction == "out" else np.arange(len(pos))[::-1]  # as travelled
        for a, b in band_windows(plan, corridor, v, direction, clearance_s=plan.meta.get("queue_clearance_s")):
            k0 = int(np.floor((t0_s - span - b) / c))
            for k in range(k0, int(np.ceil((t1_s - a) / c)) + 1):
                ta, tb = a + k * c, b + k * c
                xs = [ta + off[i] for i in order] + [tb + off[i] for i in order[::-1]]
                ys = [pos[i] for i in order] + [pos[i] for i in order[::-1]]
                ax.fill(xs, ys, color=col, alpha=0.18, lw=0, zorder=1)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color="#2ca25f", alpha=0.35, label="band outbound (up)"),
               Patch(color="#756bb1", alpha=0.35, label="band inbound (down)"),
               Line2D([], [], color="#1f4e9c", lw=1, label="vehicle outbound"),
               Line2D([], [], color="#7b3294", lw=1, label="vehicle inbound"),
               Patch(color=(0.1, 0.65, 0.2), label="green (lower bar: outbound, upper: inbound)"),
               Patch(color=(0.95, 0.75, 0.1), label="yellow"), Patch(color=(0.85, 0.1, 0.1), label="red")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=4, fontsize=7, frameon=False)
    ax2 = ax.twinx()
    ax2.set_yticks(pos, [it.name for it in corridor.intersections], fontsize=7)
    ax.set_xlim(t0_s, t1_s)
    ax.set_ylim(pos[0] - 4 * bar, pos[-1] + 4 * bar)
    ax2.set_ylim(ax.get_ylim())
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"distance along {corridor.name} (m)")
    if shift_m:
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v - shift_m:.0f}"))
    band = f"bands {plan.band_out_s or 0:.0f} s out / {plan.band_in_s or 0:.0f} s in" if plan.band_out_s is not None else ""
    ax.set_title(title or f"{plan.name}: cycle {c:.0f} s {band}", fontsize=10)
    fig.tight_layout()
    return fig_png(fig)
