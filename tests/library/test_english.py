"""The library in English: pages, sentences the site stored, and e-mails in each reader's language.

Resource titles and texts are people's content and stay as written; what the site says around
them, and what it stored itself ("Création", "Acceptée automatiquement."), reads in English.
"""

import io
import re

import sqlalchemy as sa
from flask_babel import force_locale

from app.core.i18n import Message
from app.extensions import db
from app.library import notify, operations
from app.library.models import Proposal, Resource, Revision
from tests.conftest import login

EN = {"Accept-Language": "en-GB,en;q=0.9"}

#: French interface sentences fixed for English readers; none may show on an English page.
FRENCH = (
    "La Boîte à outils des circuits courts",
    "Création",
    "Logistique",  # a seeded theme's name
    "Ko)",
    "«",
    "»",
    " : ",
    "Se documenter",
    "Télécharger",
    "Historique",
    "Version en ligne",
)

CONTENT = ("Organiser la logistique", "Étapes", "Un texte.")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def assert_no_french(text: str, allowed: tuple[str, ...] = CONTENT) -> None:
    for content in allowed:
        text = text.replace(content, "")
    left = [sentence for sentence in FRENCH if sentence in text]
    assert not left, f"French on an English page: {left}\n{text}"


def english(user):
    user.locale = "en"
    db.session.commit()
    return user


def test_site_written_change_notes_are_stored_as_messages(app, published, make_user):
    resource = published()
    revision = resource.revisions[0]
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Revision.change_note).where(Revision.id == revision.id))
    assert isinstance(stored, Message) and stored.msgid == "Création"
    raw = db.session.execute(
        sa.text("SELECT change_note FROM library_revisions WHERE id = :id"), {"id": revision.id}
    ).scalar()
    assert raw == '{"msgid": "Création", "params": {}}'
    # A note written by a person is kept as written.
    editor = make_user("moderator")
    mine = operations.save_revision(
        db.session.get(Resource, resource.id),
        author=editor,
        title="Organiser la logistique",
        summary="",
        body="Autre texte.",
        change_note="  Relecture  ",
        base_revision_id=revision.id,
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Revision, mine.id).change_note == "Relecture"


def test_resource_page_in_english(client, published):
    resource = published()
    pdf = io.BytesIO(b"%PDF-1.4\n" + b"0" * 30_000)
    operations.set_document(db.session.get(Resource, resource.id), pdf, "guide.pdf")
    db.session.commit()
    html = client.get(f"/se-documenter/ressources/{resource.slug}", headers=EN).text
    assert "<title>Organiser la logistique · The Short Food Supply Chain Toolkit</title>" in html
    text = visible_text(html)
    for words in ("Themes Logistics", "Download the PDF document (29 KB)", "Checked on"):
        assert words in text, words
    assert_no_french(text)


def test_revision_and_history_pages_in_english(client, published, make_user):
    resource = published()
    login(client, english(make_user("moderator")))
    text = visible_text(client.get(f"/se-documenter/ressources/{resource.slug}/versions/1").text)
    assert "Version 1: Organiser la logistique" in text
    assert "— “Created”" in text  # the stored note, translated, in English quotes
    assert_no_french(text)
    text = visible_text(client.get(f"/se-documenter/ressources/{resource.slug}/historique").text)
    assert "Created" in text
    assert_no_french(text)

    # Restoring writes "Retour à la version 1" as a Message too.
    client.post(f"/se-documenter/ressources/{resource.slug}/versions/1/restaurer")
    text = visible_text(client.get(f"/se-documenter/ressources/{resource.slug}/historique").text)
    assert "Revert to version 1" in text
    assert_no_french(text)


def test_index_theme_and_search_pages_in_english(client, published):
    resource = published(kind="guide")
    text = visible_text(client.get("/se-documenter/", headers=EN).text)
    assert "Logistics" in text and "Social pricing" in text
    assert_no_french(text)
    text = visible_text(client.get("/se-documenter/themes/logistique", headers=EN).text)
    assert "Logistics" in text
    assert_no_french(text)
    text = visible_text(client.get("/recherche/?q=logistique", headers=EN).text)
    assert "1 result for" in text
    assert "Resources · Practical guide" in text  # the type's label, not its code ("guide")
    assert "Logistics (1)" in text  # the theme facet
    assert " · guide " not in text
    assert_no_french(text, (*CONTENT, "logistique"))
    assert resource.title in text


def test_automatic_acceptance_note_reads_in_the_readers_language(client, make_user, outbox):
    trusted = english(make_user("moderator"))
    login(client, trusted)
    client.post(
        "/se-documenter/proposer",
        data={
            "kind": "resource",
            "title": "Un lien",
            "url": "https://example.org",
            "why": "Utile.",
        },
    )
    proposal = db.session.scalar(sa.select(Proposal))
    assert isinstance(proposal.moderator_message, Message)
    assert proposal.moderator_message == "Acceptée automatiquement."
    with force_locale("en"):
        assert proposal.moderator_message.translated() == "Accepted automatically."
    notify.proposal_decided(proposal)
    [mail] = [m for m in outbox() if m["To"] == trusted.email]
    assert mail["Subject"] == "Your suggestion has been accepted: Un lien"
    body = mail.get_body().get_content()
    assert "Accepted automatically." in body and "Acceptée" not in body


def test_emails_go_out_in_each_recipients_language(app, published, make_user, outbox):
    from datetime import timedelta

    from app.core.db import utcnow
    from app.library.reminders import send_review_reminders

    french = make_user("moderator", email="fr@example.org")
    anglais = english(make_user("moderator", email="en@example.org"))
    stale = published(title="Guide ancien")
    stale.verified_dt = utcnow() - timedelta(days=400)
    db.session.commit()
    assert send_review_reminders() == 1
    # One message per language: French to the French editors, English to the English one.
    subjects = {m["Subject"]: m["To"] for m in outbox()}
    assert set(subjects) == {"1 ressource à vérifier", "1 resource to check"}
    assert french.email in subjects["1 ressource à vérifier"]
    assert subjects["1 resource to check"] == anglais.email
