"""Design rainfall: the Chinese storm-intensity formula and the Chicago hyetograph.

Storm-intensity formula (GB 50014-2021, Code for design of outdoor wastewater
engineering, sect. 4.1)::

    q = 167 A1 (1 + C lg P) / (t + b)^n      [L/(s ha)],   i = q / 167  [mm/min]

with return period P (years) and duration t (min). The Chicago design storm (Keifer &
Chu 1957, J. Hydraul. Div. 83(HY4)) places the peak at ``r`` times the duration and is
built so that every window of duration T centred (in the ratio r) on the peak holds
exactly the formula's depth for T: before the peak the cumulative depth is
``r H(D) - r H((t_p - t)/r)``, after it ``r H(D) + (1 - r) H((t - t_p)/(1 - r))``, with
``H(T) = a T / (T + b)^n`` and ``a = A1 (1 + C lg P)``. Blocks are differences of that
curve, so the total is exactly H(D).
"""
from __future__ import annotations

import numpy as np


def storm_depth_mm(duration_min: float | np.ndarray, *, P: float, A1: float, C: float, b: float,
                   n: float) -> float | np.ndarray:
    """Depth (mm) of the design storm of ``duration_min``: ``a T / (T + b)^n``."""
    a = A1 * (1.0 + C * np.log10(P))
    T = np.asarray(duration_min, dtype=float)
    return a * T / (T + b) ** n


def intensity_l_s_ha(duration_min: float, *, P: float, A1: float, C: float, b: float, n: float) -> float:
    """The formula's q (L/(s ha)) for duration ``duration_min``."""
    return 167.0 * A1 * (1.0 + C * np.log10(P)) / (duration_min + b) ** n


def chicago_hyetograph(*, P: float, duration_min: float, r: float, A1: float, C: float, b: float, n: float,
                       step_min: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Block hyetograph of the Chicago storm.

    Returns
    -------
    times_s : start of each block (s), then the end of the storm
    rate_mm_h : block-mean intensity (mm/h), one per block
    """
    if not 0.0 < r < 1.0:
        raise ValueError(f"peak position r = {r} must be between 0 and 1")
    if duration_min <= 0 or step_min <= 0:
        raise ValueError("duration and step must be positive")
    edges = np.arange(0.0, duration_min + 1e-9, step_min)
    if edges[-1] < duration_min - 1e-9:
        edges = np.append(edges, duration_min)
    tp = r * duration_min
    H = lambda T: storm_depth_mm(T, P=P, A1=A1, C=C, b=b, n=n)  # noqa: E731
    total_before = r * H(duration_min)
    cum = np.where(edges <= tp, total_before - r * H(np.maximum(tp - edges, 0) / r),
                   total_before + (1 - r) * H(np.maximum(edges - tp, 0) / (1 - r)))
    depth = np.diff(cum)
    rate = depth / np.diff(edges) * 60.0
    return edges * 60.0, rate
