"""Write one self-contained, offline HTML page from viewer-neutral layers.

The page inlines the deck.gl bundle shipped inside the pydeck wheel, carries
every layer's data inline, and makes no network request at all: no basemap,
no CDN, no fonts. It adds a layer list with toggles and legends, tooltips, PNG
figures, and one time slider with play/pause that drives every time-dependent
layer (deck.gl has none built in): at slider time t each time-dependent layer
shows its last frame with time <= t. A time-dependent vector layer is one deck layer (per
sub-layer) for all its frames: the script swaps in the current frame's rows, so a drill page
holds ~35 deck layers instead of ~325. The script draws nothing until every layer has loaded,
so the map is drawn once at open rather than once per decoded image.
"""
from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pydeck
from pyproj import CRS

from twin.atomic import write_text_atomic
from viewers.deck import FRAMED_KINDS, deck_json, framed_vector_layers, layer_to_pydeck, legend_json, mesh_payload
from viewers.spec import Layer

_BUNDLE = Path(pydeck.__file__).parent / "nbextension" / "static" / "index.js"
_TEMPLATE = Path(__file__).parent / "templates" / "page.html"


def view_for_bounds(bounds_lonlat: tuple[float, float, float, float], *, pitch: float = 45.0,
                    bearing: float = 0.0, width_px: int = 1280) -> dict[str, float]:
    """Initial view centred on a lon/lat box with a zoom that fits its width."""
    w, s, e, n = bounds_lonlat
    lat = (s + n) / 2
    span_m = max((e - w) * 111320 * np.cos(np.radians(lat)), (n - s) * 110540, 50.0)
    zoom = float(np.log2(78271.52 * np.cos(np.radians(lat)) * width_px / span_m))  # deck.gl: 512 px tiles
    return {"longitude": (w + e) / 2, "latitude": lat, "zoom": round(zoom - 0.2, 2), "pitch": pitch, "bearing": bearing}


def write_page(layers: list[Layer], path: str | os.PathLike, *, crs: CRS, title: str,
               view: dict[str, float], start_iso: str | None = None, figures: list[tuple[str, bytes]] | None = None,
               summary: dict[str, Any] | None = None, links: list[tuple[str, str]] | None = None,
               events: list[dict[str, Any]] | None = None) -> Path:
    """Render ``layers`` to an offline HTML page at ``path`` (written atomically).

    Parameters
    ----------
    layers : viewer-neutral layers, data in ``crs``
    crs : the city CRS
    title : page title
    view : initial deck.gl view (longitude, latitude, zoom, pitch, bearing)
    start_iso : wall-clock time of t = 0 (ISO 8601, Asia/Shanghai) for the slider label
    figures : (caption, PNG bytes) shown in the side panel
    summary : metrics shown as a table in the side panel
    links : (label, relative href) links shown at the top (e.g. from the demo index)
    events : time-stamped log entries ({t_s, kind, text, reason}, optionally ``tag``, a label shown
        before the kind, and ``layer``, a layer id: the entry is listed only while that layer is
        on) in a panel that follows the slider (entries up to the slider time, the latest
        highlighted)
    """
    deck_text, meta, meshes, frame_rows = page_payload(layers, crs=crs, title=title, view=view, start_iso=start_iso)
    figs = [(cap, "data:image/png;base64," + base64.b64encode(png).decode("ascii")) for cap, png in (figures or [])]
    page = _TEMPLATE.read_text(encoding="utf-8")
    side = _side_html(summary, figs, links)
    replacements = {
        "__TITLE__": html.escape(title),
        "__SIDE__": side,
        "/*__BUNDLE__*/": _BUNDLE.read_text(encoding="utf-8"),
        "/*__DECK_JSON__*/null": deck_text,
        "/*__META__*/null": json.dumps(meta),
        "/*__MESHES__*/null": json.dumps(meshes),
        "/*__FRAMES__*/null": json.dumps(frame_rows, separators=(",", ":")),
        "/*__EVENTS__*/null": json.dumps([{"t_s": float(e["t_s"]), "kind": str(e.get("kind", "")),
                                           "text": str(e.get("text", "")), "reason": str(e.get("reason", "")),
                                           "tag": str(e.get("tag", "")), "layer": str(e.get("layer", ""))}
                                          for e in (events or [])]),
    }
    for k, v in replacements.items():
        if k != "/*__BUNDLE__*/":
            v = v.replace("</script", "<\\/script")
        page = page.replace(k, v)
    return write_text_atomic(Path(path), page)


def page_payload(layers: list[Layer], *, crs: CRS, title: str, view: dict[str, float],
                 start_iso: str | None = None) -> tuple[str, dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """What the page script gets: (deck JSON, META, meshes, rows of the framed vector layers).

    Every frame of an image layer is its own deck layer (``<id>__f<k>``, shown when its frame is
    current); a time-dependent vector layer is one deck layer per sub-layer (``<id>``, ``<id>__labels``)
    whose data the page swaps to the current frame's rows, taken from ``frame_rows[<id>]``
    (:func:`viewers.deck.framed_vector_layers`) and flagged ``"framed_rows": true`` in META.
    """
    deck_layers, meshes, meta_layers = [], [], []
    frame_rows: dict[str, Any] = {}
    times: set[float] = set()
    for lay in layers:
        ids = []
        merged = lay.frames is not None and lay.kind in FRAMED_KINDS
        if merged:
            subs, frame_rows[lay.id] = framed_vector_layers(lay, lay.visible, crs)
            deck_layers += subs
            ids += [dl.id for dl in subs]
        else:
            entries = [(None, lay.data)] if lay.frames is None else list(enumerate(lay.frames))
            for idx, item in entries:
                data = item if idx is None else item[1]
                did = lay.id if idx is None else f"{lay.id}__f{idx}"
                vis = lay.visible and (idx is None or idx == 0)
                if lay.kind == "mesh":
                    meshes.append(mesh_payload(lay, data, crs, did, vis))
                    ids.append(did)
                else:
                    for dl in layer_to_pydeck(lay, data, did, vis, crs):
                        deck_layers.append(dl)
                        ids.append(dl.id)
        times.update(lay.times)
        meta_layers.append({"id": lay.id, "title": lay.title, "kind": lay.kind, "visible": lay.visible,
                            "deck_ids": ids, "times": lay.times, "legend": legend_json(lay.legend),
                            "framed_rows": merged,
                            "frame_of_id": {d: (int(d.split("__f")[1].split("__")[0]) if "__f" in d and not merged
                                                else -1) for d in ids}})
    meta = {"title": title, "layers": meta_layers, "times": sorted(times), "start_iso": start_iso}
    return deck_json(deck_layers, view), meta, meshes, frame_rows


def _side_html(summary: dict[str, Any] | None, figs: list[tuple[str, str]], links: list[tuple[str, str]] | None) -> str:
    parts = []
    if links:
        parts.append("<div class='links'>" + " · ".join(
            f"<a href='{html.escape(h)}' target='_top'>{html.escape(t)}</a>" for t, h in links) + "</div>")
    if summary:
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_short(v))}</td></tr>"
                       for k, v in _flatten(summary).items())
        parts.append(f"<details open><summary>Summary</summary><table class='summary'>{rows}</table></details>")
    for cap, uri in figs:
        parts.append(f"<details open><summary>{html.escape(cap)}</summary><img class='fig' alt='{html.escape(cap)}' src='{uri}'></details>")
    return "\n".join(parts)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}".rstrip("0").rstrip(".")
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return s if len(s) < 120 else s[:117] + "..."
