"""Benchmark: how long each scenario page of a `twin demo` output takes to open in headless Chromium.

    .venv/bin/twin --quiet demo --out /tmp/demo      # the pages to measure
    .venv/bin/python benchmarks/pages.py /tmp/demo

Method: Debian's chromium driven by Playwright with the browser test's settings
(``tests/viewers/test_page_browser.py``: software WebGL, network requests other than file/data/blob
aborted). Per page: navigation (``goto``), until ``window.citytwinReady``, until every deck.gl
layer has loaded and drawn (the test's ``wait_drawn``), then one slider step to the middle frame
and its draw. Printed per page: size, those four times (s), deck.gl layers (sub-layers included)
and frames. One run per page; the machine is noisy, so compare pages measured in the same run.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.viewers.test_page_browser import ARGS, CHROMIUM, Page  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: benchmarks/pages.py DEMO_OUTPUT_FOLDER (written by `twin demo --out`)", file=sys.stderr)
        return 2
    pages = sorted(p for p in Path(args[0]).glob("*/index.html") if p.parent.name != "demo")
    print(f"{'page':28s} {'MB':>6s} {'goto':>6s} {'ready':>6s} {'drawn':>6s} {'slider':>6s} layers frames")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for path in pages:
            t0 = time.perf_counter()
            pg = Page(browser, path.as_uri())
            t1 = time.perf_counter()
            pg.pg.wait_for_function("window.citytwinReady === true", timeout=300_000)
            t2 = time.perf_counter()
            pg.wait_drawn()
            t3 = time.perf_counter()
            times = pg.pg.evaluate("META.times")
            if times:
                pg.pg.evaluate(f"citytwin.setTime({len(times) // 2})")
                pg.wait_drawn()
            t4 = time.perf_counter()
            n_layers = pg.pg.evaluate("deckInstance.layerManager.getLayers().length")
            print(f"{path.parent.name:28s} {path.stat().st_size / 1e6:6.1f} {t1 - t0:6.1f} {t2 - t1:6.1f} "
                  f"{t3 - t2:6.1f} {t4 - t3:6.1f} {n_layers:6d} {len(times or []):6d}", flush=True)
            pg.pg.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
