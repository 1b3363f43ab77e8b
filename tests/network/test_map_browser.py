"""The directory map in headless Chromium: it enhances the list when tiles load and disappears,
leaving the server-rendered list, when the tile server is unreachable."""

import io
from pathlib import Path

import pytest
from flask import Response
from PIL import Image

from app.network.models import OrganisationKind
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _tile_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def directory(make_org):
    make_org("amap-du-diois", "AMAP du Diois", kind=OrganisationKind.AMAP, city="Die",
             lat=44.7537, lon=5.3704)
    make_org("la-cagette", "Épicerie La Cagette", city="Crest", lat=44.7285, lon=5.0226)
    make_org("sans-position", "Ferme sans position", city="Nyons")


def _serve(app, tile_url):
    assert (Path(app.static_folder) / "vendor/leaflet/leaflet.js").is_file(), (
        "Leaflet is not vendored: run `npm ci && scripts/vendor.sh`"
    )
    tile = _tile_png()
    # A same-origin tile server (the CSP allows images from 'self' and https only).
    app.add_url_rule("/test-tiles/<int:z>/<int:x>/<int:y>.png", "test_tiles",
                     lambda z, x, y: Response(tile, mimetype="image/png"))
    app.config["NETWORK_TILE_URL"] = tile_url
    app.config["SERVER_NAME"] = None
    return LiveServer(app)


def test_map_shows_markers_when_tiles_load(app, directory, page):
    server = _serve(app, "/test-tiles/{z}/{x}/{y}.png")
    try:
        page.goto(f"{server.url}/reseau/annuaire")
        page.wait_for_selector("#directory-map[data-state=ready]", timeout=15_000)
        assert page.is_visible("#directory-map")
        assert page.locator("#directory-map .leaflet-marker-icon").count() == 2
        assert page.locator(".directory-results li").count() == 3  # the list stays
        page.locator("#directory-map .leaflet-marker-icon").first.click()
        assert page.locator(".leaflet-popup-content a").count() == 1
        # Leaflet's zoom buttons speak the page's language, not Leaflet's English.
        assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Zoomer"
        assert page.get_attribute(".leaflet-control-zoom-out", "title") == "Dézoomer"
    finally:
        server.stop()


def test_map_degrades_to_the_list_when_tiles_fail(app, directory, page):
    server = _serve(app, "http://127.0.0.1:9/{z}/{x}/{y}.png")  # nothing listens there
    try:
        page.goto(f"{server.url}/reseau/annuaire")
        page.wait_for_selector("#directory-map[data-state=unavailable]", state="attached",
                               timeout=15_000)
        assert not page.is_visible("#directory-map")
        names = page.locator(".directory-results h3").all_inner_texts()
        assert names == ["AMAP du Diois", "Épicerie La Cagette", "Ferme sans position"]
    finally:
        server.stop()


def test_without_a_tile_server_there_is_no_map_at_all(client, directory):
    page = client.get("/reseau/annuaire").get_data(as_text=True)
    assert 'id="directory-map"' not in page and "leaflet.js" not in page
    assert 'data-lat="44.7537"' in page  # the list carries the positions for the map
