"""Colour ramps and class colours shared by the page and the PNG previews."""
from __future__ import annotations

import numpy as np

from twin.schema import USE_COLORS

__all__ = ["USE_COLORS", "ROAD_COLORS", "ROAD_WIDTH_M", "PLACE_COLORS", "ramp", "terrain_rgba", "value_colors", "cmap_stops", "cmap_rgba"]

# Roads by class (RGBA) and drawn width (m)
ROAD_COLORS: dict[str, list[int]] = {
    "motorway": [200, 60, 40, 255], "trunk": [220, 90, 40, 255], "primary": [235, 120, 30, 255],
    "secondary": [245, 190, 60, 255], "tertiary": [250, 235, 150, 255], "residential": [255, 255, 255, 255],
    "unclassified": [255, 255, 255, 255], "service": [235, 235, 235, 255], "living_street": [235, 235, 235, 255],
}
ROAD_WIDTH_M = {"motorway": 24.0, "trunk": 22.0, "primary": 20.0, "secondary": 14.0, "tertiary": 10.0}
PLACE_COLORS: dict[str, list[int]] = {
    "scenic_spot": [40, 160, 70, 255], "shelter": [30, 120, 220, 255], "hazmat_site": [200, 30, 160, 255],
    "hospital": [220, 30, 30, 255], "fire_station": [250, 80, 0, 255], "river_gauge": [0, 90, 200, 255],
    "reservoir": [60, 140, 230, 255],
}

# Hypsometric tint stops: (fraction of elevation range, RGB)
_HYPSO = np.array([
    [0.00, 150, 190, 130], [0.10, 185, 210, 150], [0.30, 215, 215, 160],
    [0.55, 200, 175, 130], [0.80, 170, 140, 110], [1.00, 235, 230, 225],
], dtype=float)


def ramp(values: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Interpolate RGB(A) colour stops [(position 0..1, r, g, b[, a]), ...] at normalised values."""
    v = np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0)
    return np.stack([np.interp(v, stops[:, 0], stops[:, i]) for i in range(1, stops.shape[1])], axis=-1)


def terrain_rgba(z: np.ndarray, shade: np.ndarray, *, water: np.ndarray | None = None) -> np.ndarray:
    """Hypsometric tint modulated by a hillshade (0..1); NaN cells transparent, water blue."""
    lo, hi = np.nanpercentile(z, 1), np.nanpercentile(z, 99.5)
    rgb = ramp((z - lo) / max(hi - lo, 1e-6), _HYPSO)
    s = np.nan_to_num(shade, nan=0.7)
    rgb = rgb * (0.45 + 0.75 * s[..., None])
    if water is not None:
        rgb[water] = [110, 165, 215]
    a = np.where(np.isnan(z), 0, 255)
    return np.concatenate([np.clip(rgb, 0, 255), a[..., None]], axis=-1).astype(np.uint8)


def value_colors(values: np.ndarray, *, cmap: str = "viridis", vmin: float | None = None,
                 vmax: float | None = None, alpha: int = 255) -> tuple[list[list[int]], dict]:
    """RGBA per value from a matplotlib colour map, and the matching ramp legend.

    NaN values get grey. Returns (colours, legend) where legend is
    ``{"ramp": [...], "vmin": ..., "vmax": ...}`` as the page expects.
    """
    from matplotlib import colormaps

    v = np.asarray(values, dtype=float)
    lo = float(np.nanmin(v)) if vmin is None else vmin
    hi = float(np.nanmax(v)) if vmax is None else vmax
    cm = colormaps[cmap]
    t = np.clip((v - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    rgba = (cm(np.nan_to_num(t)) * 255).astype(int)
    rgba[:, 3] = alpha
    rgba[np.isnan(v)] = [160, 160, 160, alpha]
    ramp = [[int(c) for c in (np.array(cm(x)) * 255)[:3]] for x in np.linspace(0, 1, 6)]
    return rgba.tolist(), {"ramp": ramp, "vmin": f"{lo:g}", "vmax": f"{hi:g}"}


def cmap_stops(cmap: str, n: int = 6) -> list[list[int]]:
    """``n`` RGB colours evenly along a matplotlib colour map (a ramp legend)."""
    from matplotlib import colormaps

    return [[int(c * 255) for c in colormaps[cmap](x)[:3]] for x in np.linspace(0, 1, n)]


def cmap_rgba(values: np.ndarray, cmap: str, *, vmax: float | None = None, alpha: int = 200) -> np.ndarray:
    """Values >= 0 through a colour map, normalised to ``vmax`` (default their max);
    negative or NaN values are transparent. Returns uint8 RGBA (..., 4)."""
    from matplotlib import colormaps

    v = np.nan_to_num(np.asarray(values, float), nan=-1.0)
    hi = (v.max() if (v >= 0).any() else 1.0) if vmax is None else vmax
    rgba = (colormaps[cmap](np.clip(v / max(hi, 1e-9), 0, 1)) * 255).astype(np.uint8)
    rgba[..., 3] = np.where(v >= 0, alpha, 0)
    return rgba
