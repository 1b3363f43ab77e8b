"""Proposals: public form, anti-spam, moderation queue, hooks for other kinds, notifications."""

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.library import proposals
from app.library.models import Proposal, ProposalStatus, Resource
from tests.conftest import login

FORM = {
    "kind": "resource",
    "title": "Fiche pratique : la vente en ligne",
    "url": "https://example.org/fiche",
    "why": "Elle compare les outils de vente en ligne.",
    "email": "anne@example.org",
}


def _proposals():
    db.session.expire_all()
    return db.session.execute(sa.select(Proposal).order_by(Proposal.id)).scalars().all()


def test_form_is_open_to_visitors_and_has_a_hidden_honeypot(client):
    html = client.get("/se-documenter/proposer?type=event").text
    assert 'name="website"' in html and 'class="hp-field" aria-hidden="true"' in html
    assert '<option selected value="event">' in html


def test_honeypot_filled_keeps_nothing(client, outbox):
    response = client.post("/se-documenter/proposer", data={**FORM, "website": "http://spam"})
    assert response.status_code == 200
    assert _proposals() == []
    assert outbox() == []


def test_required_fields(client):
    response = client.post("/se-documenter/proposer", data={**FORM, "url": "", "why": ""})
    assert response.status_code == 400
    assert "Pourquoi c'est utile" in response.text
    response = client.post("/se-documenter/proposer", data={**FORM, "url": ""})
    assert "Indiquez un lien ou joignez un fichier" in response.text
    response = client.post("/se-documenter/proposer", data={**FORM, "email": ""})
    assert "Indiquez votre adresse e-mail" in response.text
    assert _proposals() == []


def test_javascript_link_is_refused(client):
    response = client.post("/se-documenter/proposer", data={**FORM, "url": "javascript:alert(1)"})
    assert response.status_code == 400
    assert "http:// ou https://" in response.text
    assert _proposals() == []


def test_flood_from_one_address_is_rate_limited(app_factory):
    app = app_factory(LIBRARY_PROPOSAL_RATE_LIMIT="3 per hour")
    client = app.test_client()
    codes = [client.post("/se-documenter/proposer", data=FORM).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]
    blocked = client.post("/se-documenter/proposer", data=FORM)
    assert "Trop de tentatives" in blocked.text
    # Another address is not affected.
    other = client.post(
        "/se-documenter/proposer", data=FORM, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert other.status_code == 200


def test_pdf_is_checked_by_content(client):
    fake = (io.BytesIO(b"MZ\x90\x00 this is an executable"), "guide.pdf")
    response = client.post(
        "/se-documenter/proposer",
        data={**FORM, "url": "", "file": fake},
        content_type="multipart/form-data",
    )
    assert "doit être un PDF" in response.text
    assert _proposals() == []
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    real = (io.BytesIO(pdf), "x.bin")
    response = client.post(
        "/se-documenter/proposer",
        data={**FORM, "url": "", "file": real},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    [proposal] = _proposals()
    assert proposal.file.content_type == "application/pdf"


def test_oversized_upload_gets_413_with_message(app_factory):
    app = app_factory(LIBRARY_MAX_UPLOAD=1024)
    client = app.test_client()
    big = (io.BytesIO(b"%PDF-1.4\n" + b"0" * 4096), "gros.pdf")
    response = client.post(
        "/se-documenter/proposer",
        data={**FORM, "file": big},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.text


def test_moderator_declines_or_asks_changes_and_submitter_is_told(
    client, make_user, outbox, themes
):
    client.post("/se-documenter/proposer", data=FORM)
    client.post("/se-documenter/proposer", data={**FORM, "title": "Deuxième"})
    first, second = _proposals()
    login(client, make_user("moderator"))
    # A decline needs a message.
    client.post(f"/se-documenter/moderation/{first.id}/refuser", data={"message": ""})
    assert _proposals()[0].status == ProposalStatus.PENDING
    client.post(
        f"/se-documenter/moderation/{first.id}/refuser", data={"message": "Hors sujet, désolé."}
    )
    client.post(
        f"/se-documenter/moderation/{second.id}/modifications",
        data={"message": "Pouvez-vous donner la source ?"},
    )
    first, second = _proposals()
    assert first.status == ProposalStatus.DECLINED
    assert second.status == ProposalStatus.CHANGES_REQUESTED
    bodies = {m["Subject"]: m.get_body().get_content() for m in outbox()}
    declined = next(b for s, b in bodies.items() if "pas été retenue" in s)
    assert "Hors sujet, désolé." in declined
    changes = next(b for s, b in bodies.items() if "précisions" in s)
    assert "Pouvez-vous donner la source ?" in changes
    # Changes requested stays in the queue; declined leaves it.
    queue = client.get("/se-documenter/moderation").text
    assert "Deuxième" in queue and "modifications demandées" in queue


def test_queue_is_for_moderators_only(client, login_as):
    assert client.get("/se-documenter/moderation").status_code == 302
    login_as("contributor")
    assert client.get("/se-documenter/moderation").status_code == 403
    assert client.post("/se-documenter/moderation/1/accepter").status_code == 403


def test_trusted_contributor_skips_the_queue(client, make_user, outbox):
    contributor = make_user("contributor")
    for n in range(proposals.TRUSTED_AFTER_ACCEPTED):
        db.session.add(
            Proposal(
                kind="resource",
                title=f"Ancienne {n}",
                why="x",
                url="https://e.org",
                submitter_id=contributor.id,
                status=ProposalStatus.ACCEPTED,
            )
        )
    db.session.commit()
    login(client, contributor)
    response = client.post("/se-documenter/proposer", data={**FORM, "email": ""})
    assert "contributeur·rice de confiance" in response.text
    proposal = _proposals()[-1]
    assert proposal.status == ProposalStatus.ACCEPTED
    resource = db.session.get(Resource, proposal.created_object_id)
    assert resource.status == "draft" and resource.external_url == FORM["url"]


def test_new_contributor_goes_through_the_queue(client, login_as):
    login_as("contributor")
    client.post("/se-documenter/proposer", data={**FORM, "email": ""})
    assert _proposals()[-1].status == ProposalStatus.PENDING


@pytest.fixture
def course_handler():
    created = []

    class Draft:
        __tablename__ = "courses"

        def __init__(self, proposal):
            self.id = 4242
            created.append(proposal.title)

    proposals.register_accept_handler("course", Draft)
    yield created
    proposals.ACCEPT_HANDLERS.pop("course", None)


def test_other_kinds_use_the_registered_handler(client, make_user, course_handler):
    client.post("/se-documenter/proposer", data={**FORM, "kind": "course", "title": "Atelier"})
    [proposal] = _proposals()
    login(client, make_user("moderator"))
    client.post(f"/se-documenter/moderation/{proposal.id}/accepter")
    [proposal] = _proposals()
    assert course_handler == ["Atelier"]
    assert (proposal.created_object_type, proposal.created_object_id) == ("courses", 4242)


def test_kind_without_handler_is_accepted_with_a_note(client, make_user):
    proposals.ACCEPT_HANDLERS.pop("event", None)
    client.post("/se-documenter/proposer", data={**FORM, "kind": "event", "title": "Marché"})
    [proposal] = _proposals()
    login(client, make_user("moderator"))
    client.post(f"/se-documenter/moderation/{proposal.id}/accepter")
    [proposal] = _proposals()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.created_object_id is None
    assert "à saisir à la main" in proposal.moderator_message


def test_csrf_is_required_on_the_public_form(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/se-documenter/proposer", data=FORM)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Proposal.id))).scalar() == 0


def test_submitter_revises_through_the_mailed_link(client, make_user, outbox):
    client.post("/se-documenter/proposer", data=FORM)
    [proposal] = _proposals()
    login(client, make_user("moderator"))
    client.post(
        f"/se-documenter/moderation/{proposal.id}/modifications",
        data={"message": "Ajoutez la source."},
    )
    client.post("/compte/deconnexion")
    mail = next(m for m in outbox() if "précisions" in m["Subject"])
    from tests.conftest import mail_links

    link = next(u for u in mail_links(mail) if "/propositions/" in u)
    path = link.split("localhost", 1)[1]
    page = client.get(path).text
    assert "Ajoutez la source." in page
    response = client.post(
        path, data={"title": "Fiche (source : ADEME)", "url": FORM["url"], "why": "Complétée."}
    )
    assert response.status_code == 200
    [proposal] = _proposals()
    assert proposal.status == ProposalStatus.PENDING and proposal.title.endswith("ADEME)")
    # Once back in the queue the link cannot change it again; a forged token is a 404.
    client.post(path, data={"title": "Autre", "url": FORM["url"], "why": "x"})
    assert _proposals()[0].title.endswith("ADEME)")
    assert client.get("/se-documenter/propositions/forged.token").status_code == 404
