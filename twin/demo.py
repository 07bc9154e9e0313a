"""``twin demo``: every scenario in scenarios/ through the runner, plus an index page."""
from __future__ import annotations

import html
import json
from pathlib import Path

from tqdm import tqdm

from twin.city import City
from twin.runner import run_scenario
from twin.atomic import write_text_atomic


def run_demo(scenarios: Path, *, out_root: Path, progress: bool = False) -> Path:
    """Run all scenarios, write out/<name>/ for each and out/demo/index.html linking them."""
    files = sorted(scenarios.glob("*.yaml"))
    cache: dict[Path, City] = {}
    done = []
    for f in tqdm(files, desc="scenarios", disable=not progress):
        done.append(run_scenario(f, out_root=out_root, progress=progress, city_cache=cache,
                                 links=[("all scenarios", "../demo/index.html")]))
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
