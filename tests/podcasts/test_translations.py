"""Podcast pages in the reader's language; feeds in the show's, whoever reads them."""

import html
import io
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from lxml import etree

from app.auth.models import Role
from app.core.i18n import Message
from app.extensions import db
from app.media.models import Rendition, RenditionKind
from app.media.operations import store_file
from app.podcasts import importer
from app.podcasts.models import FeedImport, ImportState
from feeds.podcast import PODCAST_NS
from tests.podcasts.conftest import SHOW_FORM

pytestmark = pytest.mark.ffmpeg


def page(client, path, language):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


def test_listening_and_back_office_pages_speak_the_readers_language(
    client, login_as, make_show, publish, clock
):
    show = make_show(title="Paroles")
    publish(show)
    feed = client.get(f"/feeds/{show.slug}.xml").data
    enclosure = etree.fromstring(feed).find("channel/item/enclosure").get("url")
    client.get(urlsplit(enclosure).path, headers={"User-Agent": "AntennaPod/3.5"})  # 1 download
    english = page(client, f"/ecouter/{show.slug}/", "en")
    assert "Subscribe" in english and "· 2 min" in english
    assert "S'abonner" in page(client, f"/ecouter/{show.slug}/", "fr")

    login_as(Role.ANIMATOR)
    assert "Manage shows" in page(client, "/ecouter/gestion/", "en")
    assert "Gérer les émissions" in page(client, "/ecouter/gestion/", "fr")
    english = page(client, f"/ecouter/{show.slug}/statistiques", "en")
    assert "<h1>Statistics: Paroles</h1>" in english
    assert "1 download counted under the IAB 2.1 rules" in english
    assert 'data-label="Downloads"' in english  # the chart's legend, for podcasts-stats.js
    french = page(client, f"/ecouter/{show.slug}/statistiques", "fr")
    assert "<h1>Statistiques : Paroles</h1>" in french
    assert "1 téléchargement compté selon les règles IAB 2.1" in french
    assert 'data-label="Téléchargements"' in french


def test_a_refused_show_address_is_explained_in_the_readers_language(client, login_as, clock):
    login_as(Role.ANIMATOR)
    form = {
        **SHOW_FORM,
        "title": "Gestion",
        "slug": "gestion",  # reserved by the back office's own URLs
    }
    english = client.post("/ecouter/gestion/nouvelle", data=form, headers={"Accept-Language": "en"})
    assert "The address “gestion” is reserved: choose another one." in html.unescape(
        english.get_data(as_text=True)
    )
    french = client.post("/ecouter/gestion/nouvelle", data=form, headers={"Accept-Language": "fr"})
    assert "L'adresse « gestion » est réservée : choisissez-en une autre." in html.unescape(
        french.get_data(as_text=True)
    )


def test_api_errors_follow_the_readers_language(client, login_as, make_show, clock):
    show = make_show()
    login_as(Role.ANIMATOR)
    answer = client.post(
        f"/api/podcasts/shows/{show.slug}/episodes",
        json={"title": "X", "asset_id": 999_999},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 422 and "Unknown recording." in answer.get_data(as_text=True)


def test_import_errors_stored_by_the_worker_are_read_in_each_language(client, login_as):
    row = FeedImport(source_url="ftp://ancien-hebergeur.example/feed.xml", slug="ferme")
    db.session.add(row)
    db.session.commit()
    importer.run_import(row.id)  # the worker: the address is refused, the reason stored
    db.session.expire_all()
    row = db.session.get(FeedImport, row.id)
    assert row.state == ImportState.FAILED
    [error] = row.errors
    assert error == "Adresse non prise en charge : ftp://ancien-hebergeur.example/feed.xml"

    login_as(Role.ANIMATOR)
    path = f"/ecouter/gestion/importer/{row.id}"
    english = page(client, path, "en")
    assert "<li>Unsupported address: ftp://ancien-hebergeur.example/feed.xml</li>" in english
    assert "Processed: 0 of 0 · imported: 0" in english
    assert "Processed: {done} of {total} · imported: {imported}" in english  # for import.js
    french = page(client, path, "fr")
    assert "<li>Adresse non prise en charge : ftp://ancien-hebergeur.example/feed.xml</li>" in (
        french
    )
    status = client.get(f"{path}.json", headers={"Accept-Language": "en"}).get_json()
    assert status["errors"] == ["Unsupported address: ftp://ancien-hebergeur.example/feed.xml"]


def test_episode_errors_keep_the_download_error_translatable(client, login_as):
    nested = Message(
        "« %(title)s » : %(error)s",
        title="Deuxième épisode",
        error=Message("Le fichier %(url)s ne contient pas de son.", url="https://x.example/2.mp3"),
    )
    row = FeedImport(slug="ferme", errors=[nested, "une erreur écrite avant les Messages"])
    db.session.add(row)
    db.session.commit()
    db.session.expire_all()
    errors = db.session.scalar(sa.select(FeedImport.errors))
    assert errors == [
        "« Deuxième épisode » : Le fichier https://x.example/2.mp3 ne contient pas de son.",
        "une erreur écrite avant les Messages",
    ]
    login_as(Role.ANIMATOR)
    status = client.get(
        f"/ecouter/gestion/importer/{row.id}.json", headers={"Accept-Language": "en"}
    ).get_json()
    assert status["errors"] == [
        "“Deuxième épisode”: The file https://x.example/2.mp3 contains no audio.",
        "une erreur écrite avant les Messages",
    ]


@pytest.mark.parametrize(("language", "title"), [("fr", "Vidéo"), ("en", "Video")])
def test_feed_labels_follow_the_shows_language_not_the_readers(
    client, make_show, make_asset, publish, clock, language, title
):
    asset = make_asset()
    video = store_file(
        io.BytesIO(b"\x00" * 64), "replay.mp4", prefix="test/video", content_type="video/mp4"
    )
    asset.renditions.append(Rendition(kind=RenditionKind.WEB_VIDEO, file=video, height=180))
    show = make_show(language=language)
    publish(show, asset=asset)
    for reader in ("fr", "en"):
        feed = client.get(f"/feeds/{show.slug}.xml", headers={"Accept-Language": reader}).data
        alternates = etree.fromstring(feed).findall(
            "channel/item/podcast:alternateEnclosure", {"podcast": PODCAST_NS}
        )
        assert [a.get("title") for a in alternates if a.get("type") == "video/mp4"] == [title]
