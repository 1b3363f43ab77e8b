"""No N+1: the catalogue and a course page cost the same statements for 10 or 1,000 rows."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.courses.models import Course, CourseSession, SessionSpeaker
from app.extensions import db
from app.library.models import Theme
from app.network.models import Organisation, Person


@contextmanager
def count_statements():
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def _seed(courses: int, sessions_per_course: int, prefix: str) -> str:
    """Bulk-insert published courses with themes, an organiser, sessions and speakers."""
    now = utcnow()
    theme = Theme(slug=f"theme-{prefix}", name=f"Thème {prefix}")
    org = Organisation(slug=f"org-{prefix}", name=f"Organisation {prefix}")
    # Many distinct speakers: a lazy load per person would show up as extra statements.
    people = [Person(slug=f"person-{prefix}-{n}", name=f"Personne {prefix} {n}") for n in range(50)]
    db.session.add_all([theme, org, *people])
    db.session.flush()
    db.session.execute(
        sa.insert(Course),
        [
            {
                "slug": f"{prefix}-{i}",
                "title": f"{prefix} {i}",
                "status": "published",
                "published_dt": now,
                "organiser_organisation_id": org.id,
                "capacity": 30,
                "audiences": [],
                "level": "discovery",
            }
            for i in range(courses)
        ],
    )
    ids = db.session.scalars(sa.select(Course.id).where(Course.slug.like(f"{prefix}-%"))).all()
    db.session.execute(
        sa.text("INSERT INTO course_themes (course_id, theme_id) VALUES (:c, :t)"),
        [{"c": cid, "t": theme.id} for cid in ids],
    )
    db.session.execute(
        sa.insert(CourseSession),
        [
            {
                "course_id": cid,
                "position": n + 1,
                "title": f"Séance {n + 1}",
                "start_dt": now + timedelta(days=3 + n),
                "end_dt": now + timedelta(days=3 + n, hours=1),
                "timezone": "Europe/Paris",
                "mode": "online",
                "status": "scheduled",
                "outline": [],
                "live_url": "https://visio.example.org/x",
                "sequence": 0,
                "description": "",
                "place": "",
                "status_message": "",
            }
            for cid in ids
            for n in range(sessions_per_course)
        ],
    )
    session_ids = db.session.scalars(
        sa.select(CourseSession.id).where(CourseSession.course_id.in_(ids))
    ).all()
    db.session.execute(
        sa.insert(SessionSpeaker),
        [
            {
                "session_id": sid,
                "person_id": people[n % len(people)].id,
                "role": "testimony",
                "consent": "pending",
                "talk_title": "",
            }
            for n, sid in enumerate(session_ids)
        ],
    )
    db.session.commit()
    return f"{prefix}-0"


def _statements_for(client, url: str) -> int:
    client.get(url)  # warm-up (first-request work is not what we measure)
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.slow
def test_catalogue_costs_the_same_for_10_and_1000_courses(app, client):
    _seed(10, 2, "small")
    small = _statements_for(client, "/se-former/")
    _seed(990, 2, "big")
    big = _statements_for(client, "/se-former/")
    assert small == big, (small, big)
    filtered = _statements_for(client, "/se-former/?theme=theme-big&upcoming=1&q=big")
    assert filtered == big


@pytest.mark.slow
def test_course_page_costs_the_same_for_10_and_1000_sessions(app, client):
    small_slug = _seed(1, 10, "small")
    big_slug = _seed(1, 1000, "big")
    small = _statements_for(client, f"/se-former/{small_slug}")
    big = _statements_for(client, f"/se-former/{big_slug}")
    assert small == big, (small, big)
    assert small <= 10
