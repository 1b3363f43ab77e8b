"""Demo content, feeds read back by feedparser, theme pages across kinds, API."""

from datetime import timedelta

import feedparser
import sqlalchemy as sa

from app.core.db import utcnow
from app.demo import DemoContext
from app.extensions import db
from app.library import demo
from app.library.models import Resource
from app.search.operations import index_document


def _load_demo(make_user):
    ctx = DemoContext(log=lambda *a: None, with_media=False)
    ctx.users = {"moderator": make_user("moderator"), "contributor": make_user("contributor")}
    demo.load(ctx)
    db.session.commit()


def test_demo_is_idempotent_and_searchable(app, client, make_user):
    _load_demo(make_user)
    count = db.session.execute(sa.select(sa.func.count(Resource.id))).scalar()
    demo.load(DemoContext(log=lambda *a: None, users={"moderator": make_user("moderator")}))
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count(Resource.id))).scalar() == count == 6
    page = client.get("/se-documenter/ressources/mettre-en-place-une-tarification-sociale").text
    assert "<table>" in page and "<h2>Le principe</h2>" in page and "<li>" in page
    hits = client.get("/api/search", query_string={"q": "epiceries associatives"}).json
    assert any("statut juridique" in h["title"] for h in hits["hits"])


def test_feeds_parse_and_are_advertised(app, client, make_user):
    _load_demo(make_user)
    index_html = client.get("/se-documenter/").text
    assert 'rel="alternate" type="application/atom+xml"' in index_html
    for fmt in ("atom", "rss"):
        response = client.get(f"/se-documenter/flux.{fmt}")
        assert response.status_code == 200
        parsed = feedparser.parse(response.data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == 6
        # Newest first.
        assert parsed.entries[0].title == "Guide de la restauration collective en circuits courts"
    theme_feed = feedparser.parse(client.get("/se-documenter/themes/logistique/flux.rss").data)
    assert {e.title for e in theme_feed.entries} == {
        "Organiser la logistique d'un groupement d'achat",
        "La tournée mutualisée des fermes du plateau",
    }
    theme_html = client.get("/se-documenter/themes/logistique").text
    assert "/se-documenter/themes/logistique/flux.rss" in theme_html
    assert client.get("/se-documenter/themes/inconnu/flux.rss").status_code == 404


def test_theme_page_gathers_every_kind_through_the_index(app, client, make_user, login_as):
    _load_demo(make_user)
    theme = client.get("/api/library/themes").json
    logistique = next(t["id"] for t in theme if t["slug"] == "logistique")
    now = utcnow()
    index_document(
        "course",
        1,
        title="Cycle : mutualiser ses tournées",
        url="/c/1",
        theme_ids=[logistique],
        date_dt=now,
    )
    index_document(
        "episode",
        2,
        title="Épisode : le camion partagé",
        url="/p/2",
        theme_ids=[logistique],
        date_dt=now,
    )
    index_document(
        "person",
        3,
        title="Jeanne, chauffeuse-livreuse",
        url="/a/3",
        theme_ids=[logistique],
        visibility="members",
    )
    index_document(
        "event",
        4,
        title="Rencontre logistique à Rodez",
        url="/e/4",
        theme_ids=[logistique],
        date_dt=now + timedelta(days=10),
    )
    index_document(
        "event",
        5,
        title="Rencontre passée",
        url="/e/5",
        theme_ids=[logistique],
        date_dt=now - timedelta(days=10),
    )
    index_document(
        "discussion",
        6,
        title="Qui a un camion frigo ?",
        url="/d/6",
        theme_ids=[logistique],
        date_dt=now,
    )
    db.session.commit()
    html = client.get("/se-documenter/themes/logistique").text
    for title in (
        "Organiser la logistique d&#39;un groupement d&#39;achat",
        "Cycle : mutualiser ses tournées",
        "Épisode : le camion partagé",
        "Rencontre logistique à Rodez",
        "Qui a un camion frigo ?",
    ):
        assert title in html, title
    assert "Rencontre passée" not in html
    assert "Jeanne, chauffeuse-livreuse" not in html  # members only
    login_as("learner")
    assert "Jeanne, chauffeuse-livreuse" in client.get("/se-documenter/themes/logistique").text


def test_api_lists_and_details_published_resources(app, client, make_user):
    _load_demo(make_user)
    listing = client.get("/api/library/resources", query_string={"type": "case_study"}).json
    assert {r["slug"] for r in listing} == {
        "l-epicerie-du-vallon-une-scic-en-milieu-rural",
        "la-tournee-mutualisee-des-fermes-du-plateau",
    }
    by_theme = client.get("/api/library/resources", query_string={"theme": "tarification-sociale"})
    assert [r["title"] for r in by_theme.json] == ["Mettre en place une tarification sociale"]
    detail = client.get(
        "/api/library/resources/organiser-la-logistique-d-un-groupement-d-achat"
    ).json
    assert detail["revision"] == 1 and "<table>" in detail["body_html"]
    assert "logistique" in {t["slug"] for t in detail["themes"]}
    assert client.get("/api/library/resources", query_string={"type": "nope"}).status_code == 422
    spec = client.get("/api/openapi.json").json
    assert "/api/library/resources" in spec["paths"] and "/api/search" in spec["paths"]
