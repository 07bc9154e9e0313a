"""Turn viewer-neutral :class:`~viewers.spec.Layer` objects into deck.gl layer JSON (WGS-84).

Vector and image layers become pydeck layers (serialised with ``Deck.to_json``);
meshes become binary buffers drawn by a ``SimpleMeshLayer`` created in the page
script, because a JSON round trip cannot carry typed arrays.
"""
from __future__ import annotations

import base64
import io
import json
from typing import Any

import geopandas as gpd
import numpy as np
import pydeck as pdk
from pyproj import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon

from viewers.spec import Layer

SIMPLIFY_M = 0.5  # vector geometry tolerance in the page, metres (a pixel is ~0.5 m at zoom 18)

WGS84 = CRS.from_epsg(4326)
FRAMED_KINDS = ("polygons", "lines", "points")  # time-dependent kinds drawn as one deck layer for all frames


def png_data_uri(rgba: np.ndarray) -> str:
    """Encode an (h, w, 4) uint8 array as a PNG data URI."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), mode="RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def image_to_lonlat(rgba: np.ndarray, transform: Any, crs: CRS) -> tuple[np.ndarray, list[float]]:
    """Warp an RGBA image to a north-up WGS-84 grid; returns (rgba, [west, south, east, north])."""
    h, w = rgba.shape[:2]
    dst_t, dw, dh = calculate_default_transform(crs, WGS84, w, h, *_bounds(transform, w, h))
    out = np.zeros((4, dh, dw), dtype=np.uint8)
    for i in range(4):
        reproject(rgba[..., i], out[i], src_transform=transform, src_crs=crs, dst_transform=dst_t,
                  dst_crs=WGS84, resampling=Resampling.bilinear, src_nodata=None, dst_nodata=0)
    west, north = dst_t.c, dst_t.f
    east, south = west + dst_t.a * dw, north + dst_t.e * dh
    return np.moveaxis(out, 0, -1), [west, south, east, north]


def _bounds(t: Any, w: int, h: int) -> tuple[float, float, float, float]:
    xs = [t.c, t.c + t.a * w]
    ys = [t.f, t.f + t.e * h]
    return min(xs), min(ys), max(xs), max(ys)


def _records(gdf: gpd.GeoDataFrame, tooltip: list[str], title: str) -> list[dict[str, Any]]:
    """Plain records in WGS-84 with a ``tip`` HTML string and the colour column; geometries in a
    projected CRS are first simplified by :data:`SIMPLIFY_M` (below a pixel at street zoom), so a
    traced outline or a staircase of raster cells does not bloat the page."""
    if gdf.crs is not None and gdf.crs.is_projected:
        gdf = gdf.set_geometry(gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True))
    g = gdf.to_crs(WGS84)
    out = []
    cols = [c for c in tooltip if c in g.columns]
    for geom, color, tip_vals, row in zip(g.geometry, g["color"], g[cols].itertuples(index=False, name=None),
                                          g.drop(columns="geometry").itertuples(index=False)):
        tip = f"<b>{title}</b><br>" + "<br>".join(f"{c}: {_fmt(v)}" for c, v in zip(cols, tip_vals))
        out.append({"geom": geom, "color": [int(c) for c in color], "tip": tip, "row": row})
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def _round(coords: Any, nd: int = 6) -> list:
    """Coordinates in degrees to ``nd`` decimals (1e-6 degree is about 0.1 m)."""
    return [[round(c, nd) for c in p] for p in coords]


def simplify_trip(xy: np.ndarray, t_s: np.ndarray, tol_m: float = SIMPLIFY_M) -> np.ndarray:
    """Mask of the vertices of a timed path to keep so that the position a TripsLayer interpolates
    linearly in time between kept vertices is never more than ``tol_m`` from every dropped vertex
    (Douglas & Peucker 1973, Cartographica 10(2), with the synchronous (time-interpolated) distance
    of Meratnia & de By 2004): a vehicle cruising or standing needs only its end points."""
    n = len(t_s)
    keep = np.zeros(n, bool)
    keep[[0, n - 1]] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        span = t_s[b] - t_s[a]
        w = (t_s[a + 1:b] - t_s[a]) / span if span > 0 else np.zeros(b - a - 1)
        d = xy[a + 1:b] - (xy[a] + w[:, None] * (xy[b] - xy[a]))
        err = np.hypot(d[:, 0], d[:, 1])
        k = int(np.argmax(err))
        if err[k] > tol_m:
            m = a + 1 + k
            keep[m] = True
            stack += [(a, m), (m, b)]
    return keep


def layer_to_pydeck(layer: Layer, data: Any, deck_id: str, visible: bool, crs: CRS | None = None) -> list[pdk.Layer]:
    """pydeck layers for one frame (or the static data) of a Layer (``crs``: of trips paths)."""
    st = layer.style
    common = dict(id=deck_id, visible=visible, pickable=bool(layer.tooltip), opacity=st.get("opacity", 1.0))
    if layer.kind == "image":
        rgba, transform, crs = data
        img, bounds = image_to_lonlat(rgba, transform, crs)
        return [pdk.Layer("BitmapLayer", image=pdk.types.String(png_data_uri(img)), bounds=bounds,
                          **{**common, "pickable": False})]
    if layer.kind == "polygons":
        rows = []
        for r in _records(data, layer.tooltip, layer.title):
            geoms = r["geom"].geoms if isinstance(r["geom"], MultiPolygon) else [r["geom"]]
            elev = float(getattr(r["row"], st["elevation_col"])) if st.get("elevation_col") else 0.0
            for gm in geoms:
                if not isinstance(gm, Polygon) or gm.is_empty:
                    continue
                rings = [_round(gm.exterior.coords)] + [_round(i.coords) for i in gm.interiors]
                rows.append({"polygon": rings, "color": r["color"], "tip": r["tip"], "elev": elev})
        return [pdk.Layer("PolygonLayer", data=rows, get_polygon="polygon", get_fill_color="color",
                          get_line_color=st.get("line_color", [40, 40, 40, 160]), line_width_min_pixels=st.get("line_px", 0.5),
                          stroked=st.get("stroked", not st.get("extruded", False)), filled=True,
                          extruded=st.get("extruded", False), get_elevation="elev", wireframe=st.get("wireframe", False),
                          material=True, **common)]
    if layer.kind == "lines":
        rows = []
        for r in _records(data, layer.tooltip, layer.title):
            geoms = r["geom"].geoms if isinstance(r["geom"], MultiLineString) else [r["geom"]]
            width = float(getattr(r["row"], st["width_col"])) if st.get("width_col") else st.get("width_m", 6.0)
            for gm in geoms:
                if isinstance(gm, LineString) and not gm.is_empty:
                    rows.append({"path": _round(gm.coords), "color": r["color"], "tip": r["tip"], "w": width})
        return [pdk.Layer("PathLayer", data=rows, get_path="path", get_color="color", get_width="w",
                          width_units=pdk.types.String("meters"), width_min_pixels=st.get("min_px", 1), cap_rounded=True,
                          joint_rounded=True, **common)]
    if layer.kind == "points":
        rows = []
        for r in _records(data, layer.tooltip, layer.title):
            p = r["geom"] if r["geom"].geom_type == "Point" else r["geom"].representative_point()
            label = str(getattr(r["row"], st["label_col"])) if st.get("label_col") else ""
            radius = float(getattr(r["row"], st["radius_col"])) if st.get("radius_col") else st.get("radius_m", 30.0)
            rows.append({"pos": [round(p.x, 7), round(p.y, 7)], "color": r["color"], "tip": r["tip"], "label": label,
                         "r": radius})
        out = [pdk.Layer("ScatterplotLayer", data=rows, get_position="pos", get_fill_color="color",
                         get_radius="r", radius_min_pixels=st.get("min_px", 5), stroked=True,
                         get_line_color=[255, 255, 255, 230], line_width_min_pixels=1.5, **common)]
        if st.get("label_col"):
            out.append(pdk.Layer("TextLayer", data=rows, get_position="pos", get_text="label", get_size=11, font_family=pdk.types.String("Helvetica, Arial, sans-serif"),
                                 get_color=[20, 20, 20, 255], get_pixel_offset=[0, -14], background=True,
                                 get_background_color=[255, 255, 255, 200], id=deck_id + "__labels",
                                 visible=visible, pickable=False, character_set=pdk.types.String("auto")))
        return out
    if layer.kind == "trips":
        from twin.crs import to_lonlat

        rows = []
        metric = crs is not None and CRS.from_user_input(crs).is_projected
        for tr in data:
            xy = np.asarray(tr["path"], float)
            ts = np.asarray(tr["timestamps"], float)
            if metric and len(ts) > 2:
                k = simplify_trip(xy, ts)
                xy, ts = xy[k], ts[k]
            lon, lat = to_lonlat(xy[:, 0], xy[:, 1], crs)
            rows.append({"path": _round(np.column_stack([lon, lat])), "ts": [round(float(t), 2) for t in ts],
                         "color": [int(c) for c in tr["color"]]})
        return [pdk.Layer("TripsLayer", data=rows, get_path="path", get_timestamps="ts", get_color="color",
                          current_time=0, trail_length=float(st.get("trail_s", 30.0)),
                          width_min_pixels=st.get("min_px", 3), get_width=st.get("width_m", 4.0),
                          cap_rounded=True, joint_rounded=True, fade_trail=True, **{**common, "pickable": False})]
    raise ValueError(f"layer '{layer.id}': kind '{layer.kind}' is not a pydeck layer")


def framed_vector_layers(layer: Layer, visible: bool, crs: CRS | None = None) -> tuple[list[pdk.Layer], dict[str, Any]]:
    """One pydeck layer per sub-layer (e.g. points + labels) for every frame of a time-dependent
    vector layer, and the rows of all frames that the page swaps in as the slider moves.

    The deck layers carry no data (``data=[]``): the rows travel once, outside the deck JSON, as
    ``{"rows": [distinct rows], "frames": [[row index, ...] per frame]}``. A feature unchanged
    between frames (a road closed for hours) is stored once; each frame's list keeps that frame's
    own order, so the page draws exactly what one deck layer per frame drew.
    """
    if layer.frames is None or layer.kind not in FRAMED_KINDS:
        raise ValueError(f"layer '{layer.id}': kind '{layer.kind}' with frames expected one of {FRAMED_KINDS}")
    rows: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    frames: list[list[int]] = []
    subs: list[pdk.Layer] = []
    for _, data in layer.frames:
        subs = layer_to_pydeck(layer, data, layer.id, visible, crs)
        frame_rows = subs[0].data
        if any(s.data is not frame_rows for s in subs[1:]):  # layer_to_pydeck shares one row list
            raise ValueError(f"layer '{layer.id}': sub-layers of one frame must share their rows")
        idx = []
        for r in frame_rows:
            key = json.dumps(r, sort_keys=True, separators=(",", ":"))
            i = index.setdefault(key, len(rows))
            if i == len(rows):
                rows.append(r)
            idx.append(i)
        frames.append(idx)
    for s in subs:
        s.data = []
    return subs, {"rows": rows, "frames": frames}


def mesh_payload(layer: Layer, mesh: Any, crs: CRS, deck_id: str, visible: bool) -> dict[str, Any]:
    """Binary mesh buffers (base64) in east-north-up metres around an origin, for SimpleMeshLayer.

    Vertices are converted through WGS-84 so grid convergence of the projected CRS
    does not rotate the mesh; heights are shown relative to the mesh's own low
    ground (2nd percentile of vertex z) because the page draws terrain as a flat map.
    """
    from twin.crs import to_lonlat

    v = np.asarray(mesh.vertices, dtype=float)
    ground_z = float(np.percentile(v[:, 2], 2))
    lon, lat = to_lonlat(v[:, 0], v[:, 1], crs)
    lon0, lat0 = float(np.mean(lon)), float(np.mean(lat))
    r_earth = 6371008.8
    e = np.radians(lon - lon0) * r_earth * np.cos(np.radians(lat0))
    n = np.radians(lat - lat0) * r_earth
    pos = np.column_stack([e, n, v[:, 2] - ground_z]).astype(np.float32)
    normals = np.asarray(mesh.vertex_normals, dtype=np.float32)
    colors = getattr(mesh.visual, "vertex_colors", None)
    if colors is None or len(colors) != len(v):
        colors = np.tile(np.array([200, 200, 200, 255], np.uint8), (len(v), 1))
    b64 = lambda a: base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")  # noqa: E731
    return {"id": deck_id, "group": layer.id, "visible": visible, "origin": [lon0, lat0],
            "positions": b64(pos), "normals": b64(normals),
            "colors": b64((np.asarray(colors)[:, :4].astype(np.float32) / 255.0)),
            "indices": b64(np.asarray(mesh.faces, dtype=np.uint32).ravel()),
            "opacity": layer.style.get("opacity", 1.0)}


def deck_json(layers: list[pdk.Layer], view: dict[str, float]) -> str:
    """Deck JSON with no basemap at all (offline), without pydeck's indentation (which makes
    the inline JSON of a big page about twice as long for the browser to parse)."""
    deck = pdk.Deck(layers=layers, initial_view_state=pdk.ViewState(**view), map_provider=None, map_style=None,
                    tooltip={"html": "{tip}"})
    return json.dumps(json.loads(deck.to_json()), separators=(",", ":"))


def legend_json(legend: Any) -> Any:
    return json.loads(json.dumps(legend, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
