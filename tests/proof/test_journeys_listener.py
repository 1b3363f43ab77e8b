"""The listener's journey in Chromium, in French and in English.

A visitor opens "Écouter", copies a show's feed address with the page's button and gives it to a
podcast app (podcastparser over real HTTP): the episodes and their audio are there. A member
signs in, creates a private feed link for the members-only show, subscribes with it, then
revokes it: the app gets nothing any more.
"""

import io
import subprocess
from datetime import timedelta

import podcastparser
import pytest
import requests

from app.auth.models import Role
from app.core.db import utcnow
from app.extensions import db
from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
from app.media.operations import store_file
from app.podcasts import operations
from tests.conftest import PASSWORD, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

#: What the page says, per language; None: "anything but the French words" until the English
#: catalogue is written (the page must not show French to an English reader).
TEXT = {
    "fr": {"copy": "Copier l'adresse", "issue": "Créer mon lien privé", "title": "Écouter"},
    "en": {"copy": None, "issue": None, "title": "Listen"},
}


@pytest.fixture(params=["fr", "en"])
def lang(request):
    return request.param


@pytest.fixture
def tab(browser, lang, live_server):
    """A browser tab whose reader prefers the language, allowed to use the clipboard."""
    context = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    yield page
    context.close()


def says(locator, lang: str, key: str) -> None:
    """Assert the element shows the expected words (in English: not the French ones)."""
    text = " ".join(locator.inner_text().split())
    expected = TEXT[lang][key]
    if expected is not None:
        assert text == expected
    else:
        assert text and text != TEXT["fr"][key], f"shown in French to an English reader: {text!r}"


@pytest.fixture
def podcasts(app, tmp_path):
    """A public show and a members-only show, each with one published episode."""
    mp3 = tmp_path / "episode.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=330:duration=20",
         "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k", str(mp3)],
        check=True, capture_output=True,
    )  # fmt: skip

    def episode(show, title):
        with mp3.open("rb") as fh:
            stored = store_file(fh, "episode.mp3", prefix="test/audio", content_type="audio/mpeg")
        asset = MediaAsset(title=title, kind=AssetKind.AUDIO, status=AssetStatus.READY,
                           duration_s=20.0, ready_dt=utcnow())  # fmt: skip
        asset.renditions.append(
            Rendition(
                kind=RenditionKind.AUDIO_EDITION, file=stored, duration_s=20.0, bitrate=32_000
            )  # fmt: skip
        )
        db.session.add(asset)
        db.session.flush()
        operations.publish_episode(
            show, title=title, asset=asset, description="Un entretien.",
            pub_dt=utcnow() - timedelta(hours=1),
        )  # fmt: skip

    public = operations.create_show(slug="paroles", title="Paroles de circuits courts",
                                    apple_category="Arts", apple_subcategory="Food")  # fmt: skip
    episode(public, "Léa, maraîchère dans la Drôme")
    members = operations.create_show(slug="coulisses", title="Coulisses du réseau",
                                     visibility="members", apple_category="Arts",
                                     apple_subcategory="Food")  # fmt: skip
    episode(members, "Réunion des animateurs")
    db.session.commit()
    return public, members


def podcast_app(url: str) -> dict:
    """Subscribe like a podcast app: fetch the feed and parse it."""
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    return podcastparser.parse(url, io.BytesIO(response.content))


def test_listener_subscribes_from_the_podcasts_page(live_server, tab, lang, podcasts):
    tab.goto(live_server.url + "/ecouter/")
    assert tab.locator("html").get_attribute("lang") == lang
    says(tab.locator("main h1"), lang, "title")
    card = tab.locator(".show-card", has_text="Paroles de circuits courts")
    button = card.locator("button.copy-feed")
    says(button, lang, "copy")
    shown = card.locator("input.feed-url").input_value()
    button.click()
    wait_until(tab, "document.querySelector('.show-card .copy-status').textContent !== ''")
    copied = tab.evaluate("navigator.clipboard.readText()")
    assert copied == shown == f"{live_server.url}/feeds/paroles.xml"
    # The members-only show offers no public address.
    assert tab.locator("input.feed-url[value*='coulisses']").count() == 0

    feed = podcast_app(copied)
    assert feed["title"] == "Paroles de circuits courts"
    assert [e["title"] for e in feed["episodes"]] == ["Léa, maraîchère dans la Drôme"]
    enclosure = feed["episodes"][0]["enclosures"][0]
    assert enclosure["mime_type"] == "audio/mpeg"
    part = requests.get(enclosure["url"], headers={"Range": "bytes=0-1023"}, timeout=30)
    assert part.status_code == 206 and len(part.content) == 1024


def test_member_subscribes_to_the_private_feed_then_revokes_it(
    live_server, tab, lang, podcasts, make_user
):
    member = make_user(Role.CONTRIBUTOR, email="camille@example.org")
    tab.goto(live_server.url + "/compte/connexion")
    tab.locator("input[name=email]").fill(member.email)
    tab.locator("input[name=password]").fill(PASSWORD)
    tab.locator("main form button[type=submit]").click()
    tab.wait_for_url(live_server.url + "/")

    tab.goto(live_server.url + "/ecouter/mon-flux")
    issue = tab.locator("button[name=action][value=issue]")
    says(issue, lang, "issue")
    issue.click()
    tab.wait_for_load_state()
    section = tab.locator("section", has_text="Coulisses du réseau")
    private_url = section.locator("input.feed-url").input_value()
    assert private_url.startswith(f"{live_server.url}/feeds/private/")
    assert private_url.endswith("/coulisses.xml")
    assert member.email not in private_url

    feed = podcast_app(private_url)
    assert feed["title"] == "Coulisses du réseau"
    assert [e["title"] for e in feed["episodes"]] == ["Réunion des animateurs"]
    audio = requests.get(feed["episodes"][0]["enclosures"][0]["url"],
                         headers={"Range": "bytes=0-99"}, timeout=30)  # fmt: skip
    assert audio.status_code == 206 and audio.headers["Content-Type"].startswith("audio/mpeg")
    # Without the token, the members-only feed does not exist for a podcast app.
    assert requests.get(f"{live_server.url}/feeds/coulisses.xml", timeout=30).status_code == 404

    tab.locator("button[name=action][value=revoke]").click()
    tab.wait_for_load_state()
    assert tab.locator(".flash").count() >= 1
    gone = requests.get(private_url, timeout=30)
    assert gone.status_code in (403, 404, 410)
    assert b"Coulisses" not in gone.content
