"""The contract every simulation result follows (see ../DESIGN notes in the README)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Protocol

from viewers.spec import Layer


class Result(Protocol):
    """What ``sim.<kind>.run`` returns."""

    title: str
    # optional: ``focus_bounds`` (left, bottom, right, top in the city CRS) where the page
    # opens; the city's extent when absent; ``page_events()`` -> list of {t_s, kind, text,
    # reason[, tag, layer]} shown as a log that follows the page's time slider (an entry with a
    # layer id only while that layer is on)

    def summary(self) -> dict:
        """Metrics as plain JSON-able data, units in key names."""

    def layers(self) -> list[Layer]:
        """Viewer-neutral layers in the city CRS."""

    def figures(self) -> list[tuple[str, bytes]]:
        """(caption, PNG bytes) charts for the page and reports."""

    def save(self, folder: Path) -> list[Path]:
        """Write data layers (GeoTIFF / GeoPackage / NetCDF) into ``folder``; return the files."""


def rounded(v: Any, nd: int = 2) -> float | None:
    """``v`` as a float rounded to ``nd`` decimals for summary.json; None when it is missing,
    not a number or not finite (JSON has no NaN)."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return round(v, nd) if math.isfinite(v) else None
