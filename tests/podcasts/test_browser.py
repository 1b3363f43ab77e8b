"""The listening experience in headless Chromium: copy, chapters, speed, resume, embeds, axe."""

import http.server
import threading
from functools import partial

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.podcasts import operations
from tests.conftest import wait_until

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.ffmpeg,
    pytest.mark.slow,
    # Chromium drops media range requests it no longer needs; werkzeug's development server then
    # leaves the file handle to the garbage collector (a production server closes it).
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def live(app_factory):
    app = app_factory(SERVER_NAME=None, PODCASTS={"stamp_ttl_s": 0})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def other_site(tmp_path):
    """A second origin that embeds our player in an iframe."""
    root = tmp_path / "site"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _episode(live, make_asset):
    app, base = live
    show = operations.create_show(
        slug="paroles",
        title="Paroles de circuits courts",
        apple_category="Arts",
        apple_subcategory="Food",
    )
    episode = operations.publish_episode(
        show,
        title="Léa, maraîchère",
        asset=make_asset(),
        description="Rencontre.",
        pub_dt=operations.utcnow(),
    )
    db.session.commit()
    return show, episode


def test_player_chapters_speed_resume_and_copy(live, make_asset, browser):
    from playwright.sync_api import expect

    app, base = live
    show, episode = _episode(live, make_asset)
    context = browser.new_context(locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{base}/ecouter/")
    page.get_by_role("button", name="Copier l'adresse").first.click()
    expect(page.locator(".copy-status").first).to_have_text("Adresse copiée.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{base}/feeds/paroles.xml"

    page.goto(f"{base}/ecouter/paroles/{episode.id}")
    audio = page.locator("#podcast-audio")
    wait_until(page, "() => document.getElementById('podcast-audio').readyState >= 1")
    page.get_by_role("button", name="Questions").click()
    wait_until(page, "() => document.getElementById('podcast-audio').currentTime >= 99.5")
    page.get_by_label("Vitesse").select_option("1.5")
    assert audio.evaluate("a => a.playbackRate") == 1.5
    audio.evaluate("a => a.pause()")

    page.evaluate(f"localStorage.setItem('podcast-{episode.guid}', '42')")
    page.reload()
    wait_until(page, "() => document.getElementById('podcast-audio').currentTime >= 41.5")
    expect(page.locator(".resume-status")).to_have_text("Reprise à 0:42.")
    assert audio.evaluate("a => a.playbackRate") == 1.5  # the speed is remembered too


def test_episode_page_passes_axe(live, make_asset, browser):

    app, base = live
    show, episode = _episode(live, make_asset)
    page = browser.new_page(locale="fr-FR")
    for path in (f"/ecouter/paroles/{episode.id}", "/ecouter/", "/ecouter/paroles/"):
        page.goto(base + path)
        page.add_script_tag(url=f"{base}/static/vendor/axe.min.js")
        result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
        serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], (path, serious)


def test_only_the_embed_player_can_be_framed_by_another_site(live, make_asset, other_site, browser):

    app, base = live
    show, episode = _episode(live, make_asset)
    root, site = other_site
    (root / "index.html").write_text(
        f"<!doctype html><title>Blog</title>"
        f'<iframe id="embed" src="{base}/ecouter/embed/{episode.guid}"></iframe>'
        f'<iframe id="page" src="{base}/ecouter/paroles/{episode.id}"></iframe>'
    )
    page = browser.new_page()
    page.goto(f"{site}/index.html")
    page.wait_for_timeout(1500)
    frames = {f.url: f for f in page.frames}
    embed = frames[f"{base}/ecouter/embed/{episode.guid}"]
    assert embed.locator("h1").inner_text() == "Léa, maraîchère"
    assert embed.locator("audio").count() == 1
    blocked = [f for f in page.frames if f.url.endswith(f"/ecouter/paroles/{episode.id}")]
    # The ordinary page refuses to be framed: Chromium shows an error page instead.
    assert not blocked or blocked[0].locator("h1").count() == 0
