"""Search on the database under test (SQLite FTS5 by default, PostgreSQL with TEST_DATABASE_URL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.library.models import Theme
from app.search.models import SearchDocument
from app.search.operations import Filters, index_document, remove_document, search


@pytest.fixture
def theme_ids(app):
    logistique = Theme(slug="logistique", name="Logistique", position=1)
    tarif = Theme(slug="tarification-sociale", name="Tarification sociale", position=2)
    db.session.add_all([logistique, tarif])
    db.session.commit()
    return {"logistique": logistique.id, "tarif": tarif.id}


@pytest.fixture
def corpus(app, theme_ids):
    now = utcnow()
    index_document(
        "resource",
        1,
        title="Ouvrir une épicerie associative",
        body="Statuts, local et bénévoles : les étapes pour lancer l'épicerie.",
        url="/r/1",
        type="guide",
        theme_ids=[theme_ids["tarif"]],
        territory="Occitanie",
        date_dt=now - timedelta(days=3),
    )
    index_document(
        "episode",
        7,
        title="Podcast : la tournée du mardi",
        body="Transcription. Nous livrons trois epiceries solidaires et un hôpital chaque mardi.",
        url="/p/7",
        theme_ids=[theme_ids["logistique"]],
        territory="Bretagne",
        date_dt=now - timedelta(days=1),
    )
    index_document(
        "course",
        3,
        title="Cycle logistique",
        body="Mutualiser les tournées de livraison.",
        url="/c/3",
        theme_ids=[theme_ids["logistique"]],
        territory="Bretagne",
        date_dt=now,
    )
    index_document(
        "person",
        9,
        title="Camille Martin",
        body="Coordinatrice d'un groupement d'achat.",
        url="/a/9",
        visibility="members",
        theme_ids=[theme_ids["logistique"]],
    )
    db.session.commit()


def titles(page):
    return [hit.document.title for hit in page.hits]


@pytest.mark.parametrize(
    "query", ["épicerie", "epicerie", "Épiceries", "EPICERIES", "épiceries", "epiceries"]
)
def test_accents_case_and_plural_are_ignored(corpus, query):
    found = search(query)
    assert sorted(titles(found)) == [
        "Ouvrir une épicerie associative",
        "Podcast : la tournée du mardi",
    ]
    assert found.total == 2


def test_plural_in_text_singular_in_query(corpus):
    assert sorted(titles(search("tournee"))) == [
        "Cycle logistique",
        "Podcast : la tournée du mardi",
    ]
    assert titles(search("benevole")) == ["Ouvrir une épicerie associative"]
    assert titles(search("livraisons")) == ["Cycle logistique"]


def test_all_words_are_required_and_title_ranks_first(corpus):
    assert titles(search("épicerie statuts")) == ["Ouvrir une épicerie associative"]
    assert titles(search("logistique"))[0] == "Cycle logistique"


def test_snippet_highlights_the_original_accented_words(corpus):
    [hit] = search("epicerie mardi").hits
    assert "<mark>epiceries</mark>" in hit.snippet
    assert "<mark>mardi</mark>" in hit.snippet
    [hit] = [h for h in search("epiceries").hits if h.document.object_id == 1]
    assert "<mark>épicerie</mark>" in hit.snippet


def test_members_only_documents_need_an_account(corpus):
    assert titles(search("groupement")) == []
    members = Filters(visibility=("public", "members"))
    assert titles(search("groupement", members)) == ["Camille Martin"]


def test_facets_by_type_theme_and_territory(corpus, theme_ids):
    page = search("")
    assert page.total == 3  # everything public, newest first
    assert titles(page)[0] == "Cycle logistique"
    kinds = {f.value: f.count for f in page.facets["kind"]}
    assert kinds == {"resource": 1, "course": 1, "episode": 1}
    themes = {f.label: f.count for f in page.facets["theme"]}
    assert themes == {"Logistique": 2, "Tarification sociale": 1}
    territories = {f.value: f.count for f in page.facets["territory"]}
    assert territories == {"Bretagne": 2, "Occitanie": 1}

    filtered = search("", Filters(kinds=("episode",), territories=("Bretagne",)))
    assert titles(filtered) == ["Podcast : la tournée du mardi"]
    # A facet counts what choosing it would give, ignoring its own current choice.
    assert {f.value: f.count for f in filtered.facets["kind"]} == {"course": 1, "episode": 1}
    by_theme = search("", Filters(theme_ids=(theme_ids["tarif"],)))
    assert titles(by_theme) == ["Ouvrir une épicerie associative"]


def test_reindexing_replaces_and_removing_deletes(corpus):
    index_document("resource", 1, title="Changer de local", body="Un déménagement.", url="/r/1")
    db.session.commit()
    assert titles(search("épicerie")) == ["Podcast : la tournée du mardi"]
    assert titles(search("déménagement")) == ["Changer de local"]
    assert db.session.execute(sa.select(sa.func.count(SearchDocument.id))).scalar() == 4
    remove_document("episode", 7)
    db.session.commit()
    assert titles(search("épicerie")) == []


def test_deleting_rows_directly_keeps_full_text_in_sync(corpus):
    # Another feature may delete through SQL or a cascade: no stale match may remain.
    db.session.execute(sa.delete(SearchDocument).where(SearchDocument.kind == "episode"))
    db.session.commit()
    index_document("course", 99, title="Autre", body="rien", url="/c/99")
    db.session.commit()
    assert titles(search("mardi")) == []


def test_operators_typed_by_users_are_plain_words(corpus):
    for query in ('épicerie"', "AND OR NOT", "épicerie*", "title:épicerie", "(", "-", "NEAR(a b)"):
        search(query)  # must not raise a syntax error
    assert search('"lancer l\'épicerie"').total == 1
    assert search('"épicerie lancer"').total == 0


def test_unknown_kind_and_visibility_are_refused(app):
    with pytest.raises(ValueError):
        index_document("spaceship", 1, title="x", url="/x")
    with pytest.raises(ValueError):
        index_document("resource", 1, title="x", url="/x", visibility="secret")


def test_search_page_and_api(client, corpus, theme_ids):
    html = client.get("/recherche/", query_string={"q": "epiceries"}).text
    assert "2 résultats" in html and "<mark>épicerie</mark>" in html
    assert 'name="kind" value="episode"' in html  # facet checkboxes
    html = client.get("/recherche/", query_string={"q": "", "territory": "Occitanie"}).text
    assert "Ouvrir une épicerie associative" in html and "Cycle logistique" not in html
    assert client.get("/recherche/", query_string={"kind": "nope"}).status_code == 400
    data = client.get("/api/search", query_string={"q": "épicerie", "kind": "resource"}).json
    assert data["total"] == 1
    assert data["hits"][0]["url"] == "/r/1" and "<mark>" in data["hits"][0]["snippet_html"]
    assert {f["value"] for f in data["facets"]["kind"]} == {"resource", "episode"}


def test_signed_in_members_see_members_only_documents(client, corpus, login_as):
    assert "Camille Martin" not in client.get("/recherche/?q=groupement").text
    login_as("learner")
    assert "Camille Martin" in client.get("/recherche/?q=groupement").text


def test_full_text_objects_exist_and_creation_is_idempotent(app):
    from app.search.ddl import create_search_ddl

    with db.engine.begin() as conn:
        create_search_ddl(conn)  # a second run (create_all, then the migration) is harmless
        if conn.dialect.name == "sqlite":
            names = set(
                conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE name LIKE 'search_%'")
                ).scalars()
            )
            assert {"search_fts", "search_documents_fts_delete"} <= names
        else:
            column = conn.execute(
                sa.text(
                    "SELECT data_type, is_generated FROM information_schema.columns "
                    "WHERE table_name = 'search_documents' AND column_name = 'tsv'"
                )
            ).one()
            assert tuple(column) == ("tsvector", "ALWAYS")
            index = conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_documents_tsv'"
                )
            ).scalar_one()
            assert "USING gin" in index
            volatility = conn.execute(
                sa.text("SELECT provolatile FROM pg_proc WHERE proname = 'search_unaccent'")
            ).scalar_one()
            assert volatility == "i"
