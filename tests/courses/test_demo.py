"""The demo series loads twice without duplicates, with real replays."""

import sqlalchemy as sa

from app.courses import demo
from app.courses.models import Course, CourseSession, SessionSpeaker
from app.demo import DemoContext
from app.demo import accounts as demo_accounts
from app.extensions import db


def _load(with_media):
    ctx = DemoContext(log=lambda *a: None, with_media=with_media)
    demo_accounts.load(ctx)
    demo.load(ctx)
    db.session.commit()
    return ctx


def test_demo_is_idempotent_and_complete(client):
    _load(with_media=False)
    _load(with_media=False)
    courses = db.session.scalars(sa.select(Course).order_by(Course.slug)).all()
    assert [c.slug for c in courses] == [demo.COURSE_SLUG, demo.EXTERNAL_SLUG]
    series = courses[0]
    assert [s.title for s in series.sessions] == [
        "Les formes de tarification sociale",
        "Le modèle économique",
        "En parler à sa communauté",
    ]
    for session in series.sessions:
        roles = {sp.role.value for sp in session.speakers}
        assert "testimony" in roles
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseSession)) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionSpeaker)) == 6
    assert courses[1].is_external and courses[1].provider == "Réseau Civam"
    page = client.get("/se-former/").get_data(as_text=True)
    assert "Tarification sociale" in page and "Vendre en circuit court" in page
