"""Static PNG previews (matplotlib) of layers, for reports and the README."""
from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from twin.atomic import write_bytes_atomic  # noqa: E402
from viewers.spec import Layer  # noqa: E402


def _extent(transform, shape) -> list[float]:
    h, w = shape
    return [transform.c, transform.c + transform.a * w, transform.f + transform.e * h, transform.f]


def draw_layers(ax, layers: list[Layer], *, time_s: float | None = None) -> None:
    """Draw image/polygon/line/point layers onto a matplotlib axis in the city CRS (metres)."""
    for lay in layers:
        if not lay.visible and lay.kind != "image":
            continue
        data = lay.data
        if lay.frames is not None:
            t = lay.times[-1] if time_s is None else time_s
            idx = max([i for i, tt in enumerate(lay.times) if tt <= t] or [0])
            data = lay.frames[idx][1]
        if lay.kind == "image":
            rgba, tr, _ = data
            ax.imshow(rgba, extent=_extent(tr, rgba.shape[:2]), interpolation="bilinear", zorder=0)
        elif lay.kind == "polygons":
            cols = np.array(list(data["color"]), dtype=float) / 255.0
            data.plot(ax=ax, color=cols, linewidth=0.2, edgecolor=(0.2, 0.2, 0.2, 0.6), zorder=3)
        elif lay.kind == "lines":
            cols = np.array(list(data["color"]), dtype=float) / 255.0
            w = np.asarray(data[lay.style["width_col"]] if lay.style.get("width_col") else [6.0] * len(data), float)
            data.plot(ax=ax, color=cols, linewidth=0.25 + w / 12.0, zorder=2)
        elif lay.kind == "points":
            cols = np.array(list(data["color"]), dtype=float) / 255.0
            pts = data.geometry.representative_point()
            ax.scatter(pts.x, pts.y, c=cols, s=22, edgecolors="white", linewidths=0.7, zorder=4)


def preview_png(layers: list[Layer], *, title: str = "", bounds=None, time_s: float | None = None,
                size_in: float = 8.0) -> bytes:
    """A map of the layers as PNG bytes (axes in metres of the city CRS)."""
    fig, ax = plt.subplots(figsize=(size_in, size_in), dpi=110)
    draw_layers(ax, layers, time_s=time_s)
    if bounds is not None:
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("easting (m)")
    ax.set_ylabel("northing (m)")
    fig.tight_layout()
    return fig_png(fig)


def fig_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def save_png(png: bytes, path: str | os.PathLike) -> Path:
    """Write PNG bytes atomically."""
    return write_bytes_atomic(path, png)
