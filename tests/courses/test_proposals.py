"""A contributor proposes a training through the shared proposal queue; a moderator accepts it
(→ a draft partner course made by the courses feature) or declines it with a message."""

import sqlalchemy as sa

from app.auth.models import Role
from app.courses.models import Course, CourseStatus
from app.extensions import db
from app.library.models import Proposal, ProposalKind, ProposalStatus
from tests.conftest import login

URL = "https://civam.example.org/formation-vente-directe"


def _propose(client, title, url=URL):
    return client.post(
        "/se-documenter/proposer",
        data={
            "kind": "course",
            "title": title,
            "url": url,
            "why": "Deux jours pour les maraîchers qui se lancent en vente directe.",
        },
    )


def test_course_door_opens_the_shared_form_on_trainings(client):
    response = client.get("/se-former/proposer")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/se-documenter/proposer?type=course")
    form = client.get("/se-documenter/proposer?type=course").get_data(as_text=True)
    assert '<option selected value="course">' in form or 'value="course" selected' in form


def test_accepting_a_training_proposal_creates_a_draft_partner_course(client, make_user):
    contributor = make_user(Role.CONTRIBUTOR)
    login(client, contributor)
    assert _propose(client, "Vendre en direct").status_code == 200
    proposal = db.session.scalar(sa.select(Proposal))
    assert proposal.kind == ProposalKind.COURSE and proposal.status == ProposalStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0

    client.post("/compte/deconnexion")
    login(client, make_user(Role.MODERATOR))
    assert "Vendre en direct" in client.get("/se-documenter/moderation").get_data(as_text=True)
    client.post(f"/se-documenter/moderation/{proposal.id}/accepter", data={"message": "Merci !"})
    db.session.expire_all()
    course = db.session.scalar(sa.select(Course))
    assert course.title == "Vendre en direct"
    assert course.status == CourseStatus.DRAFT and course.is_external
    assert course.external_url == URL
    decided = db.session.get(Proposal, proposal.id)
    assert decided.status == ProposalStatus.ACCEPTED
    assert (decided.created_object_type, decided.created_object_id) == ("courses", course.id)


def test_declining_a_training_proposal_creates_nothing(client, make_user):
    login(client, make_user(Role.CONTRIBUTOR))
    _propose(client, "Formation hors sujet")
    proposal = db.session.scalar(sa.select(Proposal))
    client.post("/compte/deconnexion")
    login(client, make_user(Role.MODERATOR))
    client.post(
        f"/se-documenter/moderation/{proposal.id}/refuser",
        data={"message": "Hors du champ des circuits courts."},
    )
    db.session.expire_all()
    declined = db.session.get(Proposal, proposal.id)
    assert declined.status == ProposalStatus.DECLINED
    assert declined.moderator_message == "Hors du champ des circuits courts."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0
