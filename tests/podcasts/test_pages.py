"""Pages: listening, subscribing, embedding, the animators' back office and statistics."""

import io
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from lxml import html as lxml_html
from PIL import Image

from app.auth.models import Role
from app.extensions import db
from app.podcasts import operations
from app.podcasts.models import Episode, Show
from tests.conftest import PASSWORD, csrf_token_from
from tests.podcasts.conftest import SHOW_FORM

pytestmark = pytest.mark.ffmpeg


def test_podcasts_index_lists_public_shows_with_subscribe_buttons(client, make_show, clock):
    public = make_show(title="Paroles de circuits courts")
    make_show(title="Réservée aux membres", visibility="members")
    page = client.get("/ecouter/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Paroles de circuits courts" in text and "Réservée aux membres" not in text
    feed = operations.public_feed_url(public.slug)
    assert f'value="{feed}"' in text
    assert "podcast://" + feed.split("://")[1] in text
    assert 'type="application/rss+xml"' in text
    assert "js/podcasts.js" in text and "<script>" not in text
    assert "/feeds/shows.opml" in text


def test_show_page_has_autodiscovery_and_episodes(client, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    page = client.get(f"/ecouter/{show.slug}/").get_data(as_text=True)
    tree = lxml_html.fromstring(page)
    links = tree.xpath('//head/link[@rel="alternate"][@type="application/rss+xml"]/@href')
    assert links == [operations.public_feed_url(show.slug)]
    assert episode.title in page


def test_members_show_page_is_hidden_from_visitors(client, make_show, login_as, clock):
    show = make_show(visibility="members")
    assert client.get(f"/ecouter/{show.slug}/").status_code == 404
    login_as(Role.CONTRIBUTOR)
    assert client.get(f"/ecouter/{show.slug}/").status_code == 200


def test_episode_page_has_player_chapters_transcript_and_speed(client, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    page = client.get(f"/ecouter/{show.slug}/{episode.id}")
    assert page.status_code == 200
    tree = lxml_html.fromstring(page.get_data(as_text=True))
    audio = tree.get_element_by_id("podcast-audio")
    assert audio.get("src").endswith(".mp3")
    assert client.head(audio.get("src")).status_code == 200
    assert tree.xpath('//select[@id="podcast-speed"]/option')
    starts = tree.xpath('//button[contains(@class, "chapter")]/@data-start')
    assert [float(s) for s in starts] == [0.0, 40.5, 100.0]
    assert "Aujourd&#39;hui : les circuits courts." in page.get_data(as_text=True)
    assert tree.xpath('//audio/track[@kind="captions"]')
    assert tree.xpath('//link[@type="application/json+oembed"]')


def test_embed_page_may_be_framed_anywhere(client, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    embed = client.get(f"/ecouter/embed/{episode.guid}")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    assert "X-Podcasts-Embed" not in embed.headers
    other = client.get(f"/ecouter/{show.slug}/{episode.id}")
    assert other.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in other.headers["Content-Security-Policy"]


def test_oembed_describes_an_episode(client, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    page_url = f"http://localhost/ecouter/{show.slug}/{episode.id}"
    data = client.get(f"/ecouter/oembed?url={quote(page_url)}").get_json()
    assert data["type"] == "rich" and data["version"] == "1.0"
    assert data["title"] == episode.title
    assert f"/ecouter/embed/{episode.guid}" in data["html"]
    assert client.get("/ecouter/oembed?url=https%3A%2F%2Fevil.example%2Fx").status_code == 404


def test_back_office_requires_animators(client, login_as, make_show):
    assert client.get("/ecouter/gestion/").status_code == 302
    login_as(Role.LEARNER)
    assert client.get("/ecouter/gestion/").status_code == 403
    assert client.post("/ecouter/gestion/nouvelle", data={"title": "x"}).status_code == 403


def _cover(size=(2000, 1200), mode="RGBA") -> io.BytesIO:
    out = io.BytesIO()
    Image.new(mode, size, (200, 120, 40, 255) if mode == "RGBA" else (200, 120, 40)).save(
        out, "PNG"
    )
    out.seek(0)
    return out


def test_animator_creates_a_show_with_square_artwork_and_publishes_an_episode(
    client, login_as, make_asset, clock
):
    login_as(Role.ANIMATOR)
    response = client.post(
        "/ecouter/gestion/nouvelle",
        data={
            "title": "Portraits de paysans",
            "slug": "portraits",
            "description": "Des **portraits**.",
            "author": "Open Food France",
            "language": "fr",
            "category": "Arts|Food",
            "kind": "standalone",
            "show_type": "episodic",
            "visibility": "public",
            "locked": "y",
            "cover": (_cover(), "cover.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    show = db.session.scalar(sa.select(Show).where(Show.slug == "portraits"))
    assert show.artwork_size == 1400
    art = client.get(f"/feeds/artwork/{show.artwork_id}.jpg")
    image = Image.open(io.BytesIO(art.data))
    assert image.size == (1400, 1400) and image.mode == "RGB" and image.format == "JPEG"
    guid_before = show.podcast_guid

    asset = make_asset(title="Entretien avec Léa")
    db.session.commit()
    form = client.get("/ecouter/portraits/episodes/nouveau").get_data(as_text=True)
    assert "Entretien avec Léa" in form
    response = client.post(
        "/ecouter/portraits/episodes/nouveau",
        data={
            "title": "Léa, maraîchère",
            "description": "Rencontre.",
            "asset_id": asset.id,
            "episode_type": "full",
            "speakers": "Léa Martin",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    episode = db.session.scalar(sa.select(Episode).where(Episode.title == "Léa, maraîchère"))
    assert episode.pub_dt is None  # a draft
    assert episode.guid.encode() not in client.get("/feeds/portraits.xml").data
    client.post(f"/ecouter/portraits/{episode.id}/publier")
    feed = client.get("/feeds/portraits.xml").data
    assert episode.guid.encode() in feed and b"Portraits de paysans" in feed
    # Editing the show keeps its podcast:guid.
    client.post(
        "/ecouter/portraits/modifier",
        data={
            "title": "Portraits",
            "description": "",
            "author": "OFF",
            "language": "fr",
            "category": "Business|Entrepreneurship",
            "kind": "standalone",
            "show_type": "episodic",
            "visibility": "public",
        },
    )
    db.session.expire_all()
    show = db.session.scalar(sa.select(Show).where(Show.slug == "portraits"))
    assert show.title == "Portraits" and show.podcast_guid == guid_before
    client.post(f"/ecouter/portraits/{episode.id}/supprimer")
    assert episode.guid.encode() not in client.get("/feeds/portraits.xml").data


def test_a_bad_cover_gets_a_clear_error(client, login_as, clock):
    login_as(Role.ANIMATOR)
    response = client.post(
        "/ecouter/gestion/nouvelle",
        data={
            **SHOW_FORM,
            "title": "Essai",
            "cover": (io.BytesIO(b"not an image"), "cover.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "image lisible" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Show.id))) == 0


def test_forms_are_csrf_protected(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        email = make_user(Role.ANIMATOR).email
    page = client.get("/compte/connexion")
    token = csrf_token_from(page.get_data(as_text=True))
    client.post(
        "/compte/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    refused = client.post("/ecouter/gestion/nouvelle", data={"title": "Sans jeton"})
    assert refused.status_code == 400
    form = client.get("/ecouter/gestion/nouvelle").get_data(as_text=True)
    assert 'name="csrf_token"' in form


def test_statistics_pages_show_a_chart_and_json(client, login_as, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    from urllib.parse import urlsplit

    from lxml import etree

    feed = client.get(f"/feeds/{show.slug}.xml").data
    url = urlsplit(etree.fromstring(feed).find("channel/item/enclosure").get("url")).path
    client.get(url, headers={"User-Agent": "AntennaPod/3.5"})
    login_as(Role.ANIMATOR)
    page = client.get(f"/ecouter/{show.slug}/statistiques").get_data(as_text=True)
    assert "vendor/chart.umd.js" in page and "podcasts-stats.js" in page
    assert 'data-stats-url="/ecouter/' in page and "<script>" not in page
    data = client.get(f"/ecouter/{show.slug}/statistiques.json").get_json()
    assert data["total"] == 1 and data["apps"] == [{"app": "AntennaPod", "downloads": 1}]
    assert data["days"][0]["day"] == clock.now.date().isoformat()
    ep = client.get(f"/ecouter/{show.slug}/{episode.id}/statistiques.json").get_json()
    assert ep["total"] == 1
    assert client.get(f"/ecouter/{show.slug}/{episode.id}/statistiques").status_code == 200


def test_member_creates_then_revokes_a_private_feed_link(
    client, login_as, make_show, publish, clock
):
    show = make_show(visibility="registered")
    publish(show)
    login_as(Role.LEARNER)
    page = client.post("/ecouter/mon-flux", data={"action": "issue"}).get_data(as_text=True)
    urls = re.findall(r'value="(http://localhost/feeds/private/[^"]+\.xml)"', page)
    assert len(urls) == 1
    path = urls[0].removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    client.post("/ecouter/mon-flux", data={"action": "revoke"})
    assert client.get(path).status_code == 404
    # A new link replaces (and kills) the previous one.
    first = re.findall(
        r'/feeds/private/[^"]+\.xml',
        client.post("/ecouter/mon-flux", data={"action": "issue"}).get_data(as_text=True),
    )[0]
    second = re.findall(
        r'/feeds/private/[^"]+\.xml',
        client.post("/ecouter/mon-flux", data={"action": "issue"}).get_data(as_text=True),
    )[0]
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200


def test_scheduled_episode_is_listed_once_due(client, make_show, publish, clock):
    show = make_show()
    later = publish(show, 1, pub_dt=clock.now + timedelta(hours=1))
    assert later.title not in client.get(f"/ecouter/{show.slug}/").get_data(as_text=True)
    clock.now += timedelta(hours=2)
    assert later.title in client.get(f"/ecouter/{show.slug}/").get_data(as_text=True)


def test_members_listen_on_the_web_with_their_session(client, make_show, publish, login_as, clock):
    show = make_show(visibility="members")
    episode = publish(show)
    login_as(Role.CONTRIBUTOR)
    page = client.get(f"/ecouter/{show.slug}/{episode.id}")
    tree = lxml_html.fromstring(page.get_data(as_text=True))
    src = tree.get_element_by_id("podcast-audio").get("src")
    assert src.startswith(f"/ecouter/{show.slug}/{episode.id}/media/")
    ranged = client.get(src, headers={"Range": "bytes=0-1"})
    assert ranged.status_code == 206
    track = tree.xpath("//audio/track/@src")[0]
    assert client.get(track).headers["Content-Type"].startswith("text/vtt")


def test_course_participants_get_the_members_course_feed(
    app, client, make_show, publish, make_user, clock
):
    from app.courses.models import Course, Registration, RegistrationStatus

    course = Course(slug="tarification-sociale", title="Tarification sociale")
    db.session.add(course)
    db.session.flush()
    show = make_show(kind="course", course_id=course.id, visibility="members")
    publish(show, 1)
    learner, outsider = make_user(Role.LEARNER), make_user(Role.LEARNER)
    db.session.add(
        Registration(course_id=course.id, user_id=learner.id, status=RegistrationStatus.CONFIRMED)
    )
    db.session.commit()
    token_in, _ = operations.issue_feed_token(learner)
    token_out, _ = operations.issue_feed_token(outsider)
    db.session.commit()
    assert client.get(f"/feeds/private/{token_in}/{show.slug}.xml").status_code == 200
    assert client.get(f"/feeds/private/{token_out}/{show.slug}.xml").status_code == 404
