"""A contributor proposes a training; a moderator accepts (→ draft course) or declines."""

import sqlalchemy as sa

from app.auth.models import Role
from app.courses.models import Course, CourseStatus
from app.extensions import db
from app.library.models import Proposal, ProposalKind, ProposalStatus
from tests.conftest import login


def _propose(client, title):
    return client.post(
        "/se-former/proposer",
        data={
            "title": title,
            "url": "https://civam.example.org/formation-vente-directe",
            "why": "Deux jours pour les maraîchers qui se lancent en vente directe.",
        },
    )


def test_contributor_proposes_and_moderator_accepts(client, make_user, outbox):
    contributor = make_user(Role.CONTRIBUTOR)
    login(client, contributor)
    assert client.get("/se-former/proposer").status_code == 200
    assert _propose(client, "Vendre en direct").status_code == 302
    bad = client.post(
        "/se-former/proposer", data={"title": "X", "url": "javascript:alert(1)", "why": "x"}
    )
    assert "http:// ou https://" in bad.get_data(as_text=True)
    proposal = db.session.scalar(sa.select(Proposal))
    assert proposal.kind == ProposalKind.COURSE and proposal.status == ProposalStatus.PENDING

    client.post("/compte/deconnexion")
    login(client, make_user(Role.MODERATOR))
    queue = client.get("/se-former/gestion/propositions").get_data(as_text=True)
    assert "Vendre en direct" in queue
    client.post(
        f"/se-former/gestion/propositions/{proposal.id}",
        data={"action": "accept", "message": "Merci !"},
    )
    db.session.expire_all()
    course = db.session.scalar(sa.select(Course))
    assert course.status == CourseStatus.DRAFT and course.is_external
    assert course.external_url == "https://civam.example.org/formation-vente-directe"
    assert db.session.get(Proposal, proposal.id).created_object_id == course.id
    (mail,) = outbox()
    assert mail["To"] == contributor.email and "acceptée" in mail["Subject"]


def test_moderator_declines_with_a_message(client, make_user, outbox):
    contributor = make_user(Role.CONTRIBUTOR)
    login(client, contributor)
    _propose(client, "Formation hors sujet")
    proposal = db.session.scalar(sa.select(Proposal))
    client.post("/compte/deconnexion")
    login(client, make_user(Role.MODERATOR))
    # Declining without a message is refused.
    client.post(
        f"/se-former/gestion/propositions/{proposal.id}", data={"action": "decline", "message": ""}
    )
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.PENDING
    client.post(
        f"/se-former/gestion/propositions/{proposal.id}",
        data={"action": "decline", "message": "Hors du champ des circuits courts."},
    )
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.DECLINED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0
    (mail,) = outbox()
    assert "Hors du champ des circuits courts." in mail.get_body().get_content()


def test_learners_cannot_propose_or_moderate(client, login_as):
    login_as(Role.LEARNER)
    assert client.get("/se-former/proposer").status_code == 403
    assert client.get("/se-former/gestion/propositions").status_code == 403
