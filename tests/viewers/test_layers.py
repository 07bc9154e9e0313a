"""Layer builders and the deck conversion, without a browser."""
from __future__ import annotations

import json

import numpy as np
import pytest

import twin
from viewers.city_layers import city_layers, roads_frame, roads_layer
from viewers.colors import value_colors
from viewers.deck import image_to_lonlat, layer_to_pydeck
from viewers.page import view_for_bounds


def test_twin_load_city_is_public(sample_city):
    assert twin.load_city is not None and isinstance(sample_city, twin.City)


def test_roads_coloured_by_a_result(sample_city):
    e = roads_frame(sample_city)
    e["depth_m"] = np.linspace(0.0, 1.0, len(e))
    lay = roads_layer(sample_city, e, color_by="depth_m", cmap="Blues", vmin=0, vmax=1)
    cols = np.array(list(lay.data["color"]))
    # the ramp is monotone in the blue colour map: darker (lower red) as depth grows
    assert cols[0, 0] > cols[-1, 0] and lay.legend["vmin"] == "0" and lay.legend["vmax"] == "1"
    with pytest.raises(KeyError, match="no column 'speed'"):
        roads_layer(sample_city, e, color_by="speed")


def test_value_colors_nan_grey():
    cols, _ = value_colors(np.array([0.0, np.nan, 1.0]))
    assert cols[1] == [160, 160, 160, 255]


def test_image_warp_keeps_bounds(sample_city):
    """The terrain image warped to WGS-84 covers the city's extent (to within one pixel)."""
    from twin.crs import to_lonlat

    lay = city_layers(sample_city)[0]
    rgba, tr, crs = lay.data
    img, (w, s, e, n) = image_to_lonlat(rgba, tr, crs)
    l, b, r, t = sample_city.bounds
    lon, lat = to_lonlat(np.array([l, r, l, r]), np.array([b, b, t, t]), crs)
    px = (e - w) / img.shape[1]
    assert w <= lon.min() + px and e >= lon.max() - px and s <= lat.min() + px and n >= lat.max() - px
    assert (img[..., 3] > 0).mean() > 0.9


def test_deck_layers_are_plain_json(sample_city):
    for lay in city_layers(sample_city):
        if lay.kind == "mesh":
            continue
        for dl in layer_to_pydeck(lay, lay.data, lay.id, True):
            d = json.loads(dl.to_json())
            # literal strings must stay literals (pydeck would turn them into JS expressions)
            assert not any(isinstance(v, str) and v.startswith("@@=") and k in ("widthUnits", "characterSet")
                           for k, v in d.items())


def test_view_zoom_fits_width():
    """deck.gl web-mercator: metres per pixel = 2 pi R cos(lat) / (512 2^zoom)."""
    v = view_for_bounds((113.0, 25.77, 113.05, 25.81), width_px=1280)
    span = 0.05 * 111320 * np.cos(np.radians(25.79))
    mpp = 2 * np.pi * 6378137 * np.cos(np.radians(v["latitude"])) / (512 * 2 ** (v["zoom"] + 0.2))
    assert mpp * 1280 == pytest.approx(span, rel=0.01)


def test_trip_simplification_keeps_the_interpolated_position_within_tolerance():
    """A TripsLayer interpolates linearly in time between vertices: a car cruising at 10 m/s, standing
    30 s and cruising again needs exactly its 4 corner vertices (error 0); for a random walk the
    time-interpolated position stays within the tolerance of every dropped vertex."""
    from viewers.deck import SIMPLIFY_M, simplify_trip

    t = np.arange(0.0, 80.0, 0.5)
    x = np.where(t < 20, 10 * t, np.where(t < 50, 200.0, 200.0 + 10 * (t - 50)))
    keep = simplify_trip(np.column_stack([x, np.zeros_like(x)]), t)
    assert list(t[keep]) == [0.0, 20.0, 50.0, 79.5]
    xy = np.cumsum(np.random.default_rng(0).normal(0.0, 1.0, (500, 2)), axis=0)
    ts = np.arange(500.0)
    k = simplify_trip(xy, ts)
    err = np.hypot(np.interp(ts, ts[k], xy[k, 0]) - xy[:, 0], np.interp(ts, ts[k], xy[k, 1]) - xy[:, 1])
    assert k[0] and k[-1] and err.max() <= SIMPLIFY_M + 1e-12


def _framed_points(sample_city):
    """Incidents-like points over 3 frames: A unchanged, B changes colour, C appears, then none."""
    import geopandas as gpd
    from shapely.geometry import Point

    from viewers.spec import Layer

    l, b, r, t = sample_city.bounds
    xy = {n: (l + (r - l) * f, b + (t - b) * f) for n, f in (("A", 0.3), ("B", 0.5), ("C", 0.7))}
    red, grey = [230, 30, 30, 255], [120, 120, 120, 200]

    def frame(items):
        return gpd.GeoDataFrame({"name": [n for n, _ in items], "color": [c for _, c in items]},
                                geometry=[Point(*xy[n]) for n, _ in items], crs=sample_city.crs)

    frames = [(0.0, frame([("A", red), ("B", red)])), (600.0, frame([("A", red), ("B", grey), ("C", red)])),
              (1200.0, frame([]))]
    return Layer("inc", "Incidents", "points", frames=frames, tooltip=["name"], style={"label_col": "name"})


def test_framed_vector_layer_is_one_deck_layer_per_sub_layer(sample_city):
    """Points with labels over 3 frames: 2 deck layers (points, labels) instead of 6, no data in the
    deck JSON, and each frame's row list rebuilds exactly the rows one deck layer per frame held
    (same features, same order); a feature unchanged between frames is stored once."""
    from viewers.page import page_payload

    lay = _framed_points(sample_city)
    deck_text, meta, _, frame_rows = page_payload([lay], crs=sample_city.crs, title="t", view={"longitude": 0,
                                                  "latitude": 0, "zoom": 1, "pitch": 0, "bearing": 0})
    deck = json.loads(deck_text)
    assert [d["id"] for d in deck["layers"]] == ["inc", "inc__labels"]
    assert all(d["data"] == [] for d in deck["layers"])
    m = meta["layers"][0]
    assert m["framed_rows"] and m["deck_ids"] == ["inc", "inc__labels"] and m["times"] == [0.0, 600.0, 1200.0]
    fr = json.loads(json.dumps(frame_rows))["inc"]
    assert [len(f) for f in fr["frames"]] == [2, 3, 0]
    assert len(fr["rows"]) == 4  # A (shared by frames 0 and 1), B red, B grey, C
    for k, (_, data) in enumerate(lay.frames):
        per_frame = json.loads(json.dumps(layer_to_pydeck(lay, data, "x", True, sample_city.crs)[0].data))
        assert [fr["rows"][i] for i in fr["frames"][k]] == per_frame


def test_image_frames_stay_one_deck_layer_per_frame(sample_city):
    from affine import Affine

    from viewers.page import page_payload
    from viewers.spec import Layer

    rgba = np.zeros((4, 4, 4), np.uint8)
    l, b, r, t = sample_city.bounds
    tr = Affine((r - l) / 4, 0, l, 0, -(t - b) / 4, t)
    lay = Layer("water", "w", "image", frames=[(0.0, (rgba, tr, sample_city.crs)), (60.0, (rgba, tr, sample_city.crs))])
    deck_text, meta, _, frame_rows = page_payload([lay], crs=sample_city.crs, title="t", view={"longitude": 0,
                                                  "latitude": 0, "zoom": 1, "pitch": 0, "bearing": 0})
    assert [d["id"] for d in json.loads(deck_text)["layers"]] == ["water__f0", "water__f1"]
    assert meta["layers"][0]["frame_of_id"] == {"water__f0": 0, "water__f1": 1} and frame_rows == {}
