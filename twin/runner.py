"""``twin run``: scenario -> city -> simulation -> out/<name>/ (summary.json, layers, index.html).

A run writes into ``out/<name>.partial/`` and renames it to ``out/<name>/`` only
when everything is written; an older result is replaced only then.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from twin.atomic import replace_dir
from twin.city import City, load_city
from twin.crs import to_lonlat
from twin.scenario import Scenario, load_scenario
from viewers.page import view_for_bounds, write_page


def run_scenario(path: str | os.PathLike, *, out_root: str | os.PathLike = "out", progress: bool = False,
                 city_cache: dict[Path, City] | None = None, links: list[tuple[str, str]] | None = None) -> Path:
    """Run one scenario file and return the output folder."""
    from sim import REGISTRY

    sc, params = load_scenario(path)
    city = (city_cache or {}).get(sc.city) or load_city(sc.city)
    if city_cache is not None:
        city_cache[sc.city] = city
    t0 = time.perf_counter()
    result = REGISTRY[sc.simulation].run(city, params, progress=progress, start=sc.start)
    elapsed = time.perf_counter() - t0
    return write_result(sc, city, result, params=params, out_root=Path(out_root), elapsed_s=elapsed, links=links)


def write_result(sc: Scenario, city: City, result: Any, *, params: Any, out_root: Path, elapsed_s: float,
                 links: list[tuple[str, str]] | None = None) -> Path:
    """Write summary.json, the result's data files and index.html atomically into out_root/<name>/."""
    dest = out_root / sc.name
    tmp = out_root / f"{sc.name}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    files = result.save(tmp)
    summary = {
        "scenario": sc.name,
        "title": sc.title or result.title,
        "simulation": sc.simulation,
        "city": city.name,
        "crs": city.crs.to_string(),
        "start": sc.start.isoformat(),
        "timezone": "Asia/Shanghai",
        "run_time_s": round(elapsed_s, 3),
        "params": json.loads(params.model_dump_json()),
        "metrics": result.summary(),
        "files": sorted(str(Path(f).relative_to(tmp)) for f in files),
    }
    (tmp / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False, default=_json_default),
                                      encoding="utf-8")
    l, b, r, t = getattr(result, "focus_bounds", None) or city.bounds
    lon, lat = to_lonlat(np.array([l, r]), np.array([b, t]), city.crs)
    if (tmp / "review.html").exists():  # a result's own report page (the drill's after-action review)
        links = list(links or []) + [("After-action review", "review.html")]
    events = result.page_events() if hasattr(result, "page_events") else None  # a time-stamped log for the page
    write_page(result.layers(), tmp / "index.html", crs=city.crs, title=summary["title"],
               view=view_for_bounds((lon[0], lat[0], lon[1], lat[1])), start_iso=sc.start.isoformat(),
               figures=result.figures(), summary=summary["metrics"],
               links=links, events=events)
    replace_dir(tmp, dest)
    return dest


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
