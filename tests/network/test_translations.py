"""The network pages speak the reader's language, including what the import worker stored."""

import html

import pytest
import sqlalchemy as sa

from app.core.i18n import Message
from app.extensions import db
from app.network.agenda_models import ExternalFeed
from app.network.exchange_models import Post
from app.network.personal_data import delete_account
from tests.conftest import login
from workers.network import import_feed


def page(client, path, language):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("language", "search", "filter_agenda"),
    [
        ("en", 'aria-label="Search the directory"', 'aria-label="Filter the events calendar"'),
        ("fr", 'aria-label="Rechercher dans l\'annuaire"', 'aria-label="Filtrer l\'agenda"'),
    ],
)
def test_directory_and_agenda_filters_are_labelled_in_the_readers_language(
    client, make_org, language, search, filter_agenda
):
    make_org()
    assert search in page(client, "/reseau/annuaire", language)
    assert filter_agenda in page(client, "/reseau/agenda", language)
    assert filter_agenda in page(client, "/reseau/agenda?vue=mois", language)


def test_directory_map_gets_its_zoom_titles_from_the_page(app, client, make_org):
    app.config["NETWORK_TILE_URL"] = "/tuiles/{z}/{x}/{y}.png"
    make_org(lat=44.75, lon=5.37)
    english = page(client, "/reseau/annuaire", "en")
    if 'id="directory-map"' not in english:
        pytest.fail("Leaflet is not vendored: run `npm ci && scripts/vendor.sh`")
    assert 'data-zoom-in="Zoom in" data-zoom-out="Zoom out"' in english
    french = page(client, "/reseau/annuaire", "fr")
    assert 'data-zoom-in="Zoomer" data-zoom-out="Dézoomer"' in french


def test_a_feed_refused_by_the_worker_is_explained_in_each_moderators_language(client, login_as):
    feed = ExternalFeed(name="Partenaire", url="http://169.254.169.254/agenda.ics")
    db.session.add(feed)
    db.session.commit()
    import_feed(feed.id)  # the worker: refused before connecting, the reason is stored
    db.session.expire_all()
    stored = db.session.get(ExternalFeed, feed.id)
    assert stored.last_status == (
        "Échec : adresse interne refusée : 169.254.169.254 (adresse lien-local (link-local))"
    )
    assert stored.last_report[0]["reason"].msgid.startswith("adresse interne refusée")

    login_as("moderator")
    english = page(client, "/reseau/agenda/moderation", "en")
    assert "Failed: internal address refused: 169.254.169.254 (link-local address)" in english
    assert "—: internal address refused: 169.254.169.254 (link-local address)" in english
    assert "adresse" not in english
    french = page(client, "/reseau/agenda/moderation", "fr")
    assert (
        "Échec : adresse interne refusée : 169.254.169.254 (adresse lien-local (link-local))"
        in french
    )
    assert "— : adresse interne refusée : 169.254.169.254" in french


def test_import_summaries_and_old_plain_text_statuses_read_back(app):
    feed = ExternalFeed(name="Partenaire", url="https://agenda.example.org/a.ics")
    feed.last_status = "12 importés, 1 rejeté"  # written before statuses were Messages
    feed.last_report = [{"uid": "x@amap", "reason": "évènement sans titre (SUMMARY)"}]
    db.session.add(feed)
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(ExternalFeed, feed.id)
    assert old.last_status == "12 importés, 1 rejeté"
    assert old.last_report == [{"uid": "x@amap", "reason": "évènement sans titre (SUMMARY)"}]

    # A reason too long for the 300-character column is kept as its French text, cut.
    old.last_status = Message("serveur injoignable : %(error)s", error="x" * 400)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ExternalFeed, feed.id).last_status == (
        "serveur injoignable : " + "x" * 278
    )


def test_exchange_names_deleted_accounts_and_quotes_in_the_readers_language(
    app, client, make_user, login_as
):
    app.config["NETWORK_APPROVE_POST_COUNT"] = 0
    author = make_user("learner", email="partie@example.org", display_name="Sam")
    login(client, author)
    response = client.post(
        "/reseau/echanges/nouveau",
        data={"title": "Prix solidaires", "body": "Nous pratiquons trois prix.", "theme": "0"},
        headers={"Accept-Language": "en"},
    )
    thread_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    first = db.session.scalar(sa.select(Post))
    client.post(
        f"/reseau/echanges/{thread_id}/messages",
        data={"body": "Je cite.", "quote": str(first.id)},
        headers={"Accept-Language": "en"},
    )
    db.session.expire_all()
    quote = db.session.scalar(sa.select(Post).order_by(Post.id.desc()))
    assert quote.body.startswith("> **Sam wrote:**")  # written in the author's language

    delete_account(author)
    db.session.commit()
    login_as("moderator")
    english = page(client, f"/reseau/echanges/{thread_id}", "en")
    assert "<strong>Deleted account</strong>" in english
    french = page(client, f"/reseau/echanges/{thread_id}", "fr")
    assert "<strong>Compte supprimé</strong>" in french


def test_report_reasons_and_notifications_are_labelled(app, client, make_user, login_as):
    app.config["NETWORK_APPROVE_POST_COUNT"] = 0
    author = make_user("learner", email="autrice@example.org", display_name="Nadia")
    reader = make_user("learner", email="lectrice@example.org")
    login(client, author)
    response = client.post(
        "/reseau/echanges/nouveau",
        data={"title": "Caisse de solidarité", "body": "Premier message.", "theme": "0"},
    )
    thread_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    client.post("/compte/deconnexion")
    login(client, reader)
    client.post(f"/reseau/echanges/{thread_id}/suivre", data={"mode": "immediate"})
    first = db.session.scalar(sa.select(Post))
    client.post(f"/reseau/echanges/messages/{first.id}/signaler", data={"reason": "spam"})
    client.post("/compte/deconnexion")
    login(client, author)
    client.post(f"/reseau/echanges/{thread_id}/messages", data={"body": "Une suite."})
    client.post("/compte/deconnexion")

    login(client, reader)
    assert "Nadia: Une suite." in page(client, "/reseau/notifications", "en")
    assert "Nadia : Une suite." in page(client, "/reseau/notifications", "fr")
    client.post("/compte/deconnexion")
    login_as("moderator")
    assert "Spam or advertising —" in page(client, "/reseau/echanges/moderation", "en")
    assert "Spam ou publicité —" in page(client, "/reseau/echanges/moderation", "fr")
