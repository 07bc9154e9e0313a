"""A progress bar over a simulated fraction, shared by the simulations' ``run`` functions."""
from __future__ import annotations

from typing import Callable

from tqdm import tqdm


class progress_bar:
    """Context manager yielding ``cb(fraction)`` that drives a tqdm bar on stderr, or None
    when ``on`` is false (the bar disappears when done)."""

    def __init__(self, on: bool, desc: str):
        self.bar = tqdm(total=1000, desc=desc, unit="‰", leave=False) if on else None

    def __enter__(self) -> Callable[[float], None] | None:
        if self.bar is None:
            return None

        def cb(frac: float) -> None:
            self.bar.n = int(min(max(frac, 0.0), 1.0) * 1000)
            self.bar.refresh()
        return cb

    def __exit__(self, *a) -> None:
        if self.bar is not None:
            self.bar.close()
