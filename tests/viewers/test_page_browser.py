"""The offline pages in a real browser: Debian chromium driven by Playwright, networking off.

Each page must load with no network request, log no error, draw every layer
(non-background pixels with only that layer on) and let the time slider switch
frames. Skips outside CI when chromium is missing; fails in CI.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import in_ci

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND"]
BACKGROUND = np.array([233, 236, 239])  # page background #e9ecef
VIEW = {"width": 1280, "height": 800}
# the map area between the left layer panel (to x=318) and the right side panel (from x=892)
CROP = (slice(0, 780), slice(330, 880))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_browser():
    if not Path(CHROMIUM).exists():
        if in_ci():
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Page:
    """A loaded page with its console errors, failed and external requests."""

    def __init__(self, browser, url: str):
        self.errors: list[str] = []
        self.external: list[str] = []
        self.pg = browser.new_page(viewport=VIEW)
        self.pg.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.pg.on("pageerror", lambda e: self.errors.append(str(e)))
        self.pg.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url[:100]}"))

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                self.external.append(r.request.url)
                r.abort()

        self.pg.route("**/*", route)
        self.pg.goto(url)

    def wait_ready(self) -> None:
        self.pg.wait_for_function("window.citytwinReady === true", timeout=120_000)
        self.wait_drawn()

    def wait_drawn(self) -> None:
        """Until every layer has loaded and deck.gl has drawn the last change. No forced redraw: one
        full redraw of a big page takes seconds on the software GPU."""
        self.pg.wait_for_function("deckInstance.layerManager.getLayers().every(l => l.isLoaded) && "
                                  "!deckInstance.needsRedraw({clearRedrawFlags: false})", timeout=60_000)
        self.pg.wait_for_timeout(250)

    def pixels(self) -> np.ndarray:
        from io import BytesIO

        from PIL import Image

        img = np.asarray(Image.open(BytesIO(self.pg.screenshot())).convert("RGB"))
        return img[CROP]


def drawn_fraction(img: np.ndarray) -> float:
    """Share of pixels that differ from the page background by more than 12 levels."""
    return float((np.abs(img.astype(int) - BACKGROUND).max(axis=-1) > 12).mean())


def test_overview_page_offline_and_every_layer_draws(chromium_browser, demo_out):
    page = Page(chromium_browser, (demo_out / "city_overview" / "index.html").as_uri())
    page.wait_ready()
    assert page.external == [], f"page requested the network: {page.external[:3]}"
    ids = page.pg.evaluate("META.layers.map(l => l.id)")
    assert {"terrain", "buildings", "roads", "places", "signals", "mesh"} <= set(ids)
    page.pg.evaluate("citytwin.setAll(false)")
    page.wait_drawn()
    assert drawn_fraction(page.pixels()) < 0.01, "with every layer off the map must be empty"
    fractions = {}
    for lid in ids:
        page.pg.evaluate(f"citytwin.setOnly('{lid}')")
        page.wait_drawn()
        fractions[lid] = drawn_fraction(page.pixels())
    # terrain covers the view; vector layers and the district mesh cover less but clearly > 0
    print(fractions)
    assert fractions["terrain"] > 0.5, fractions
    for lid in ids:
        assert fractions[lid] > 0.0005, f"layer {lid} drew nothing: {fractions}"
    # tooltips: the building under a drawn pixel is pickable and carries its attributes
    page.pg.evaluate("citytwin.setOnly('buildings')")
    page.wait_drawn()
    img = page.pixels()
    ys, xs = np.nonzero(np.abs(img.astype(int) - BACKGROUND).max(axis=-1) > 12)
    k = len(ys) // 2
    info = page.pg.evaluate(f"(() => {{ const o = deckInstance.pickObject({{x: {xs[k] + CROP[1].start}, y: {ys[k]}, "
                            f"layerIds: ['buildings']}}); return o && o.object && o.object.tip; }})()")
    assert info and "building_id" in info
    assert page.errors == [], page.errors


def test_demo_index_loads_scenario_pages(chromium_browser, demo_out):
    page = Page(chromium_browser, (demo_out / "demo" / "index.html").as_uri())
    frame = page.pg.frame_locator("#view")
    frame.locator("#layers input").first.wait_for(timeout=120_000)
    links = page.pg.eval_on_selector_all("nav a", "els => els.map(e => e.getAttribute('href'))")
    assert links and all((demo_out / "demo" / h).resolve().exists() for h in links)
    assert page.external == [] and page.errors == [], (page.external, page.errors)


def test_time_slider_switches_frames(chromium_browser, tmp_path, sample_city):
    """A time-dependent layer with 3 frames: the slider shows the last frame with time <= t."""
    from affine import Affine

    from viewers.page import view_for_bounds, write_page
    from viewers.spec import Layer

    h, w = 60, 60
    l, b, r, t = sample_city.bounds
    tr = Affine((r - l) / w, 0, l, 0, -(t - b) / h, t)
    frames = []
    for i, color in enumerate([(255, 0, 0), (0, 160, 0), (0, 0, 255)]):
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[: 20 * (i + 1), :, :3] = color
        rgba[: 20 * (i + 1), :, 3] = 255
        frames.append((600.0 * i, (rgba, tr, sample_city.crs)))
    lay = Layer("water", "Test frames", "image", frames=frames, legend=[("frame", [0, 0, 255, 255])])
    from twin.crs import to_lonlat

    lon, lat = to_lonlat(np.array([l, r]), np.array([b, t]), sample_city.crs)
    path = write_page([lay], tmp_path / "t.html", crs=sample_city.crs, title="slider",
                      view=view_for_bounds((lon[0], lat[0], lon[1], lat[1]), pitch=0),
                      start_iso="2026-07-15T18:00:00+08:00")
    page = Page(chromium_browser, path.as_uri())
    page.wait_ready()
    assert page.pg.is_visible("#slider")
    means = []
    for i in range(3):
        page.pg.evaluate(f"citytwin.setTime({i})")
        page.wait_drawn()
        img = page.pixels()
        means.append(img.reshape(-1, 3).mean(axis=0))
        assert page.pg.inner_text("#clock").startswith(f"T+00:{10 * i:02d}:00")
    # frame 0 red top third, frame 1 green two thirds, frame 2 blue everywhere
    assert np.argmax(means[0]) == 0 and np.argmax(means[1]) == 1 and np.argmax(means[2]) == 2, means
    assert "2026-07-15 18:20:00" in page.pg.inner_text("#clock")
    assert page.external == [] and page.errors == [], (page.external, page.errors)


def test_every_scenario_page_loads_offline_and_its_slider_moves_the_water(chromium_browser, demo_out):
    """Every page `twin demo` writes loads from file:// with no request and no error; on pages
    with animated layers the slider changes what is drawn. (The overview page, which has no
    slider, is checked more strictly above.) A page opens at its first time."""
    pages = sorted(p for p in demo_out.glob("*/index.html") if p.parent.name not in ("demo", "city_overview"))
    assert {p.parent.name for p in pages} >= {"flood_rainstorm", "flood_reservoir_release", "hazmat_chlorine_leak",
                                              "drill_flood_hazmat", "drill_plan_variants", "greenwave_corridor",
                                              "crowd_national_day"}
    for path in pages:
        page = Page(chromium_browser, path.as_uri())
        page.wait_ready()
        times = page.pg.evaluate("META.times")
        if times:
            assert page.pg.evaluate("document.getElementById('slider').value") == "0", path.parent.name
            first = page.pixels()
            page.pg.evaluate(f"citytwin.setTime({len(times) // 2})")
            page.wait_drawn()
            mid = page.pixels()
            changed = float((np.abs(first.astype(int) - mid.astype(int)).max(axis=-1) > 12).mean())
            assert changed > 0.001, f"{path.parent.name}: moving the slider changed {changed:.4%} of the map"
            events = page.pg.evaluate("EVENTS")
            if events:  # the event log lists exactly the entries up to the slider time of the layers on
                t_mid = times[len(times) // 2] + 1e-9
                listed = "document.querySelectorAll('#evlist .ev:not(.future):not(.off)').length"

                def due(on):
                    return sum(e["t_s"] <= t_mid and (not e["layer"] or on[e["layer"]]) for e in events)
                on = page.pg.evaluate("citytwin.state.on")
                shown = page.pg.evaluate(listed)
                assert shown == due(on), path.parent.name
                assert 0 < shown < len(events)
                hidden = sorted({e["layer"] for e in events if e["layer"] and not on[e["layer"]]})
                if hidden:  # a drill's other plans: their log appears with their layer
                    page.pg.evaluate(f"citytwin.state.on['{hidden[0]}'] = true; citytwin.apply()")
                    on[hidden[0]] = True
                    more = page.pg.evaluate(listed)
                    assert more == due(on) > shown, path.parent.name
        assert page.external == [] and page.errors == [], (path.parent.name, page.external, page.errors)
        page.pg.close()


def test_framed_vector_layer_draws_only_the_current_frame(chromium_browser, tmp_path, sample_city):
    """A framed points layer (one deck layer + labels for all frames) next to a layer with other frame
    times: at each slider time t the layer holds, and picking over the whole map finds, exactly the
    features of its last frame with time <= t; unticking it leaves nothing to pick."""
    import geopandas as gpd
    from shapely.geometry import Point

    from twin.crs import to_lonlat
    from viewers.page import view_for_bounds, write_page
    from viewers.spec import Layer

    l, b, r, t = sample_city.bounds
    xy = {n: (l + (r - l) * f, b + (t - b) * f) for n, f in (("A", 0.3), ("B", 0.5), ("C", 0.7))}

    def frame(names, crs=sample_city.crs):
        return gpd.GeoDataFrame({"name": names, "color": [[230, 30, 30, 255]] * len(names)},
                                geometry=[Point(*xy[n]) for n in names], crs=crs)

    inc = Layer("inc", "Incidents", "points", frames=[(0.0, frame(["A", "B"])), (600.0, frame(["A", "C"])),
                                                      (1200.0, frame([]))],
                tooltip=["name"], style={"label_col": "name", "min_px": 10})
    zone = Layer("zone", "Zone", "points", frames=[(0.0, frame(["C"])), (300.0, frame(["A"]))], tooltip=["name"])
    lon, lat = to_lonlat(np.array([l, r]), np.array([b, t]), sample_city.crs)
    path = write_page([inc, zone], tmp_path / "f.html", crs=sample_city.crs, title="frames",
                      view=view_for_bounds((lon[0], lat[0], lon[1], lat[1]), pitch=0))
    page = Page(chromium_browser, path.as_uri())
    page.wait_ready()
    assert page.pg.evaluate("META.times") == [0.0, 300.0, 600.0, 1200.0]
    assert page.pg.evaluate("deckInstance.props.layers.map(l => l.id)") == ["inc", "inc__labels", "zone"]
    held = ("['inc', 'inc__labels'].map(id => deckInstance.layerManager.getLayers().find(l => l.id === id)"
            ".props.data.map(d => d.label).join(''))")
    picked = ("deckInstance.pickObjects({x: 0, y: 0, width: 1280, height: 800, layerIds: ['inc']})"
              ".map(o => o.object.label).sort().join('')")
    for i, names in enumerate(["AB", "AB", "AC", ""]):  # t = 0, 300, 600, 1200 s -> frames 0, 0, 1, 2
        page.pg.evaluate(f"citytwin.setTime({i})")
        page.wait_drawn()
        assert page.pg.evaluate(held) == [names, names], i
        assert page.pg.evaluate(picked) == names, i
    page.pg.evaluate("citytwin.setTime(2)")
    page.wait_drawn()
    tip = page.pg.evaluate("deckInstance.pickObjects({x: 0, y: 0, width: 1280, height: 800, layerIds: ['inc']})[0].object.tip")
    assert tip.startswith("<b>Incidents</b>") and "name: " in tip
    page.pg.evaluate("citytwin.setOnly('zone')")
    page.wait_drawn()
    assert page.pg.evaluate(picked) == ""
    assert page.pg.evaluate("deckInstance.pickObjects({x: 0, y: 0, width: 1280, height: 800, layerIds: ['zone']}).length") == 1
    page.pg.evaluate("citytwin.setAll(true)")
    page.wait_drawn()
    assert page.pg.evaluate(picked) == "AC"
    assert page.external == [] and page.errors == [], (page.external, page.errors)
