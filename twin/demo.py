"""``twin demo``: every scenario in scenarios/ through the runner, plus an index page."""
from __future__ import annotations

import html
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from twin.atomic import write_text_atomic
from twin.city import City
from twin.runner import run_scenario
from twin.scenario import load_scenario

LINKS = [("all scenarios", "../demo/index.html")]
# Scheduling hint only: the kinds that usually take longest start first, so that the last
# scenario to finish is a short one (a drill runs a flood and a hazmat inside it).
COST_HINT = {"drill": 5, "greenwave": 4, "flood": 3, "crowd": 2, "hazmat": 1}
_CITIES: dict[Path, City] = {}  # per worker process: each city loaded once


def default_jobs() -> int:
    """Worker processes for the demo: one per core, at most 4 (memory: each holds a city)."""
    return max(1, min(4, os.cpu_count() or 1))


def _run_one(path: Path, out_root: Path, threads: int) -> Path:
    """One scenario in a worker, its numba kernels on ``threads`` threads (cores / workers)."""
    import warnings

    import numba

    from twin.errors import one_line_warning

    warnings.formatwarning = one_line_warning
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    return run_scenario(path, out_root=out_root, city_cache=_CITIES, links=LINKS)


def run_demo(scenarios: Path, *, out_root: Path, progress: bool = False, jobs: int = 1) -> Path:
    """Run all scenarios, write out/<name>/ for each and out/demo/index.html linking them.

    ``jobs`` > 1 runs them in that many worker processes (spawned: no fork after OpenMP has
    started), the longest kinds first, after every scenario file has been validated here; each
    scenario's output is written atomically by its worker, and the first error stops the demo
    (running scenarios finish, none more starts)."""
    files = sorted(scenarios.glob("*.yaml"))
    if jobs > 1 and len(files) > 1:
        kinds = {f: load_scenario(f)[0].simulation for f in files}  # every file valid before any work
        order = sorted(files, key=lambda f: -COST_HINT.get(kinds[f], 0))
        threads = max(1, (os.cpu_count() or 1) // jobs)
        by_file: dict[Path, Path] = {}
        with ProcessPoolExecutor(max_workers=min(jobs, len(files)),
                                 mp_context=multiprocessing.get_context("spawn")) as ex:
            futures = {ex.submit(_run_one, f, out_root, threads): f for f in order}
            try:
                for fut in tqdm(as_completed(futures), total=len(futures), desc="scenarios", disable=not progress):
                    by_file[futures[fut]] = fut.result()
            except BaseException:
                ex.shutdown(wait=False, cancel_futures=True)  # the first error ends the demo: start nothing more
                raise
        done = [by_file[f] for f in files]
    else:
        cache: dict[Path, City] = {}
        done = [run_scenario(f, out_root=out_root, progress=progress, city_cache=cache, links=LINKS)
                for f in tqdm(files, desc="scenarios", disable=not progress)]
    demo = out_root / "demo"
    demo.mkdir(parents=True, exist_ok=True)
    rows = []
    for d in done:
        s = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        rows.append(f"<li><a href='../{html.escape(d.name)}/index.html'>{html.escape(s['title'])}</a> "
                    f"<small>({html.escape(s['simulation'])}, {s['run_time_s']} s)</small></li>")
    first = done[0].name if done else ""
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>CityTwin demo</title>
<style>html,body{{margin:0;height:100%;font:14px system-ui,sans-serif}} nav{{position:absolute;z-index:3;bottom:8px;right:8px;
background:rgba(255,255,255,.95);padding:6px 12px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3)}}
iframe{{border:0;width:100%;height:100%}}</style></head><body>
<nav><b>CityTwin demo</b><ul style="margin:4px 0;padding-left:18px">{''.join(rows)}</ul></nav>
<iframe id="view" title="scenario" src="../{html.escape(first)}/index.html"></iframe></body></html>"""
    return write_text_atomic(demo / "index.html", page)
