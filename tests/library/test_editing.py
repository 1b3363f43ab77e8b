"""Wiki-like editing: revisions, review, conflicts, diff, revert, old slugs, preview, files."""

import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.library import operations
from app.library.models import Resource, Revision, RevisionState, SlugHistory
from tests.conftest import login as _login

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def login(client, user):
    """Sign in as user, signing out whoever was signed in."""
    client.post("/compte/deconnexion")
    return _login(client, user)


def _edit(client, resource, body, base_id, title=None):
    return client.post(
        f"/se-documenter/ressources/{resource.slug}/modifier",
        data={
            "title": title or resource.title,
            "summary": "",
            "body": body,
            "change_note": "",
            "base_revision_id": str(base_id) if base_id else "",
            "action": "save",
        },
    )


def _reload(resource):
    db.session.expire_all()
    return db.session.get(Resource, resource.id)


def test_editor_edit_goes_online_at_once(client, login_as, published):
    resource = published(body="Ancien texte.")
    base = resource.published_revision_id
    login_as("moderator")
    assert _edit(client, resource, "Nouveau texte.", base).status_code == 302
    resource = _reload(resource)
    assert resource.published_revision.body == "Nouveau texte."
    assert resource.published_revision.number == 2
    assert "Nouveau texte." in client.get(f"/se-documenter/ressources/{resource.slug}").text


def test_contributor_edit_waits_then_editor_publishes_or_rejects(
    app, client, make_user, published, outbox
):
    resource = published(body="Texte publié.")
    contributor = make_user("contributor")
    login(client, contributor)
    _edit(client, resource, "Proposition une.", resource.published_revision_id)
    resource = _reload(resource)
    pending = resource.revisions[-1]
    assert pending.state == RevisionState.PENDING
    assert resource.published_revision.body == "Texte publié."

    editor = make_user("animator")
    login(client, editor)
    page = client.get(f"/se-documenter/ressources/{resource.slug}/versions/{pending.number}").text
    assert "Publier cette version" in page
    assert "<ins>Proposition une.</ins>" in page and "<del>Texte publié.</del>" in page
    response = client.post(
        f"/se-documenter/ressources/{resource.slug}/versions/{pending.number}/publier"
    )
    assert response.status_code == 302
    resource = _reload(resource)
    assert resource.published_revision.body == "Proposition une."
    assert any(m["To"] == contributor.email and "en ligne" in m["Subject"] for m in outbox())

    login(client, contributor)
    _edit(client, resource, "Proposition deux.", resource.published_revision_id)
    second = _reload(resource).revisions[-1]
    login(client, editor)
    client.post(
        f"/se-documenter/ressources/{resource.slug}/versions/{second.number}/refuser",
        data={"message": "Source manquante."},
    )
    resource = _reload(resource)
    assert resource.revisions[-1].state == RevisionState.REJECTED
    assert resource.published_revision.body == "Proposition une."
    refused = [m for m in outbox() if "pas été publiée" in m["Subject"]]
    assert refused and "Source manquante." in refused[0].get_body().get_content()


def test_contributor_cannot_publish(client, login_as, published):
    resource = published()
    login_as("contributor")
    _edit(client, resource, "Changement", resource.published_revision_id)
    number = _reload(resource).revisions[-1].number
    url = f"/se-documenter/ressources/{resource.slug}/versions/{number}/publier"
    assert client.post(url).status_code == 403
    assert client.get(f"/se-documenter/ressources/{resource.slug}/fiche").status_code == 403


def test_learners_and_visitors_cannot_edit(client, login_as, published):
    resource = published()
    assert client.get(f"/se-documenter/ressources/{resource.slug}/modifier").status_code == 302
    login_as("learner")
    assert client.get(f"/se-documenter/ressources/{resource.slug}/modifier").status_code == 403
    assert client.get(f"/se-documenter/ressources/{resource.slug}/historique").status_code == 403


def test_concurrent_edit_shows_conflict_and_keeps_both_texts(client, make_user, published):
    resource = published(body="Ligne commune.\nDébut.")
    base = resource.published_revision_id
    first, second = make_user("contributor"), make_user("contributor")
    login(client, first)
    assert _edit(client, resource, "Ligne commune.\nVersion de Léa.", base).status_code == 302
    login(client, second)
    response = _edit(client, resource, "Ligne commune.\nVersion de Sam.", base)
    assert response.status_code == 409
    html = response.text
    assert "Conflit de modification" in html
    assert "Version de Léa." in html  # the other text, read-only
    assert "Version de Sam." in html  # the author's own text, still in the form
    resource = _reload(resource)
    assert [r.body.split("\n")[1] for r in resource.revisions] == ["Début.", "Version de Léa."]
    # The form now carries the latest revision as its base: the merged text saves.
    latest = resource.revisions[-1].id
    assert f'value="{latest}"' in html
    merged = "Ligne commune.\nVersion de Léa.\nVersion de Sam."
    assert _edit(client, resource, merged, latest).status_code == 302
    assert _reload(resource).revisions[-1].body == merged


def test_save_revision_refuses_stale_base(app, make_user, published):
    resource = published()
    user = make_user("moderator")
    stale = resource.published_revision_id
    operations.save_revision(
        resource, author=user, title="T", summary="", body="a", base_revision_id=stale
    )
    try:
        operations.save_revision(
            resource, author=user, title="T", summary="", body="b", base_revision_id=stale
        )
    except operations.EditConflict as exc:
        assert exc.latest.body == "a"
    else:
        raise AssertionError("a stale base must raise EditConflict")


def test_revert_restores_old_text_as_new_revision(client, login_as, published):
    resource = published(body="Version un.")
    login_as("moderator")
    _edit(client, resource, "Version deux, erronée.", resource.published_revision_id)
    resource = _reload(resource)
    assert resource.published_revision.number == 2
    response = client.post(f"/se-documenter/ressources/{resource.slug}/versions/1/restaurer")
    assert response.status_code == 302
    resource = _reload(resource)
    assert resource.published_revision.number == 3
    assert resource.published_revision.body == "Version un."
    history = client.get(f"/se-documenter/ressources/{resource.slug}/historique").text
    assert "Retour à la version 1" in history
    diff = client.get(
        f"/se-documenter/ressources/{resource.slug}/comparer", query_string={"de": 2, "a": 3}
    ).text
    assert "<del>Version deux, erronée.</del>" in diff and "<ins>Version un.</ins>" in diff


def test_contributor_revert_waits_for_review(client, login_as, published):
    resource = published(body="Version un.")
    editor = login_as("moderator")
    operations.save_revision(
        _reload(resource),
        author=editor,
        title=resource.title,
        summary="",
        body="Version deux.",
        base_revision_id=resource.published_revision_id,
    )
    db.session.commit()
    client.post("/compte/deconnexion")
    login_as("contributor")
    client.post(f"/se-documenter/ressources/{resource.slug}/versions/1/restaurer")
    resource = _reload(resource)
    assert resource.published_revision.body == "Version deux."
    assert resource.revisions[-1].state == RevisionState.PENDING


def test_old_slug_redirects_permanently(client, login_as, published):
    resource = published(title="Statut juridique d'une épicerie")
    old = resource.slug
    login_as("moderator")
    response = client.post(
        f"/se-documenter/ressources/{old}/fiche",
        data={"slug": "choisir-un-statut", "kind": "guide", "origin": "internal", "language": "fr"},
    )
    assert response.status_code == 302
    assert db.session.execute(sa.select(SlugHistory.old_slug)).scalar() == old
    response = client.get(f"/se-documenter/ressources/{old}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/se-documenter/ressources/choisir-un-statut")
    assert client.get("/se-documenter/ressources/choisir-un-statut").status_code == 200
    # The search entry follows the new URL.
    hit = client.get("/api/search", query_string={"q": "statut"}).json["hits"][0]
    assert hit["url"] == "/se-documenter/ressources/choisir-un-statut"
    # A new resource cannot take the old slug.
    assert operations.unique_slug("Statut juridique d'une épicerie") != old


def test_preview_renders_sanitised_markdown(client, login_as):
    login_as("contributor")
    response = client.post(
        "/se-documenter/apercu",
        data={
            "body": "## Titre\n\n- un\n- deux\n\n<script>alert(1)</script>[x](javascript:alert(1))"
        },
    )
    assert response.status_code == 200
    html = response.json["html"]
    assert "<h2>Titre</h2>" in html and "<li>un</li>" in html
    assert "<script" not in html and 'href="javascript' not in html


def test_preview_button_works_without_javascript(client, login_as, published):
    resource = published()
    login_as("contributor")
    response = client.post(
        f"/se-documenter/ressources/{resource.slug}/modifier",
        data={"title": "T", "body": "**gras**", "action": "preview", "base_revision_id": ""},
    )
    assert response.status_code == 200
    assert "<strong>gras</strong>" in response.text
    assert len(_reload(resource).revisions) == 1  # nothing saved


def test_image_attachment_is_stored_and_served(client, login_as, published):
    resource = published()
    login_as("contributor")
    response = client.post(
        f"/se-documenter/ressources/{resource.slug}/fichiers",
        data={"file": (io.BytesIO(PNG), "schéma logistique.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(f"/se-documenter/ressources/{resource.slug}/modifier").text
    assert "![schema-logistique.png](/se-documenter/fichiers/" in page
    url = re.search(r"\]\((/se-documenter/fichiers/[^)]+)\)", page).group(1)
    with client.get(url) as served:
        assert served.status_code == 200
        assert served.data == PNG and served.mimetype == "image/png"


def test_attachment_refuses_other_content(client, login_as, published):
    resource = published()
    login_as("contributor")
    response = client.post(
        f"/se-documenter/ressources/{resource.slug}/fichiers",
        data={"file": (io.BytesIO(b"<html><script>alert(1)</script>"), "image.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Seules les images" in response.text


def test_draft_is_hidden_from_public_and_other_contributors(client, make_user, themes):
    author = make_user("contributor")
    login(client, author)
    response = client.post(
        "/se-documenter/nouvelle",
        data={"title": "Mon brouillon", "kind": "guide", "body": "x", "action": "save"},
    )
    assert response.status_code == 302
    slug = response.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/se-documenter/ressources/{slug}").status_code == 200
    login(client, make_user("contributor"))
    assert client.get(f"/se-documenter/ressources/{slug}").status_code == 404
    client.post("/compte/deconnexion")
    assert client.get(f"/se-documenter/ressources/{slug}").status_code == 404
    assert client.get("/api/library/resources/" + slug).status_code == 404


def test_verified_date_and_review_reminder(app, published, make_user, outbox):
    from datetime import timedelta

    from app.core.db import utcnow
    from app.library.reminders import send_review_reminders

    editor = make_user("moderator")
    fresh = published(title="Guide à jour")
    stale = published(title="Guide ancien")
    stale.verified_dt = utcnow() - timedelta(days=400)
    db.session.commit()
    assert send_review_reminders() == 1
    mails = [m for m in outbox() if "à vérifier" in m["Subject"]]
    assert mails and editor.email in mails[0]["To"]
    body = mails[0].get_body().get_content()
    assert "Guide ancien" in body and "Guide à jour" not in body
    # Not repeated the next day; marking as verified clears it.
    assert send_review_reminders() == 0
    operations.mark_verified(db.session.get(Resource, stale.id), editor)
    db.session.commit()
    assert operations.due_for_review() == []
    assert fresh.verified_dt is not None


def test_revision_history_is_immutable_text(app, make_user, published):
    resource = published(body="Un")
    user = make_user("moderator")
    operations.save_revision(
        resource,
        author=user,
        title="T",
        summary="",
        body="Deux",
        base_revision_id=resource.published_revision_id,
    )
    db.session.commit()
    bodies = (
        db.session.execute(
            sa.select(Revision.body)
            .where(Revision.resource_id == resource.id)
            .order_by(Revision.number)
        )
        .scalars()
        .all()
    )
    assert bodies == ["Un", "Deux"]
