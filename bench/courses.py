"""Seed 2,000 courses, 20,000 sessions and 50,000 registrations, then time the course pages.

    .venv/bin/python bench/courses.py        # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/cc_courses \
        .venv/bin/python bench/courses.py    # PostgreSQL (tables dropped afterwards)

Prints the seeding time and p50/p95 response times of the catalogue (plain, filtered,
searched), one course page and a learner's dashboard. Figures, not a pass/fail test.
"""

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentiles, report  # noqa: E402

COURSES, SESSIONS_PER_COURSE, USERS, REGISTRATIONS_PER_USER = 2_000, 10, 5_000, 10
RUNS = 40
PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway account in a throwaway database


def seed(db, now):
    from app.auth import operations as auth_ops
    from app.auth.models import User
    from app.courses.models import Course, CourseSession, Registration, SessionSpeaker
    from app.library.models import Theme
    from app.network.models import Organisation, Person

    themes = [Theme(slug=f"theme-{i}", name=f"Thème {i}", position=i) for i in range(10)]
    org = Organisation(slug="bench-org", name="Réseau de bench")
    people = [Person(slug=f"bench-person-{i}", name=f"Personne {i}") for i in range(50)]
    db.session.add_all([*themes, org, *people])
    db.session.flush()
    db.session.execute(
        sa.insert(Course),
        [
            {
                "slug": f"formation-{i}", "title": f"Formation {i} circuits courts",
                "summary": "Vente directe, logistique et tarification sociale.",
                "description": "Un cycle de webinaires.", "status": "published",
                "published_dt": now - timedelta(days=i % 300), "capacity": 30,
                "organiser_organisation_id": org.id, "audiences": [], "level": "discovery",
                "is_external": i % 10 == 0,
            }
            for i in range(COURSES)
        ],
    )
    course_ids = db.session.scalars(sa.select(Course.id).order_by(Course.id)).all()
    db.session.execute(
        sa.text("INSERT INTO course_themes (course_id, theme_id) VALUES (:c, :t)"),
        [{"c": cid, "t": themes[n % 10].id} for n, cid in enumerate(course_ids)],
    )
    db.session.execute(
        sa.insert(CourseSession),
        [
            {
                "course_id": cid, "position": k + 1, "title": f"Séance {k + 1}",
                "start_dt": now + timedelta(days=(n % 120) - 60 + 7 * k),
                "end_dt": now + timedelta(days=(n % 120) - 60 + 7 * k, hours=1, minutes=30),
                "timezone": "Europe/Paris", "mode": "online", "status": "scheduled",
                "live_url": "https://visio.example.org/b/x", "outline": [], "sequence": 0,
                "description": "", "place": "", "status_message": "",
                "replay_published_dt": None,
            }
            for n, cid in enumerate(course_ids)
            for k in range(SESSIONS_PER_COURSE)
        ],
    )
    session_rows = db.session.execute(sa.select(CourseSession.id, CourseSession.course_id)).all()
    db.session.execute(
        sa.insert(SessionSpeaker),
        [
            {"session_id": sid, "person_id": people[sid % 50].id, "role": "testimony",
             "consent": "granted", "talk_title": ""}
            for sid, _cid in session_rows
        ],
    )
    db.session.execute(
        sa.insert(User),
        [
            {"email": f"learner{u}@bench.example", "display_name": f"Apprenant·e {u}",
             "role": "learner", "is_enabled": True, "email_confirmed_dt": now, "created_dt": now}
            for u in range(USERS)
        ],
    )
    user_ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
    registrations = []
    for n, uid in enumerate(user_ids):
        for k in range(REGISTRATIONS_PER_USER):
            cid = course_ids[(n * 7 + k * 211) % COURSES]
            registrations.append({"course_id": cid, "user_id": uid, "status": "confirmed",
                                  "created_dt": now, "status_dt": now})
    seen, unique = set(), []
    for row in registrations:
        key = (row["course_id"], row["user_id"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    db.session.execute(sa.insert(Registration), unique)
    # Keep the denormalised counters right, as the operations do.
    db.session.execute(
        sa.update(Course).values(
            confirmed_count=sa.select(sa.func.count())
            .where(Registration.course_id == Course.id)
            .scalar_subquery()
        )
    )
    me = auth_ops.create_user("bench@bench.example", PASSWORD, confirmed=True)
    db.session.flush()
    db.session.execute(
        sa.insert(Registration),
        [{"course_id": cid, "user_id": me.id, "status": "confirmed", "created_dt": now,
          "status_dt": now} for cid in course_ids[:: COURSES // 10]],
    )
    db.session.commit()
    counts = {
        "courses": db.session.scalar(sa.select(sa.func.count()).select_from(Course)),
        "sessions": db.session.scalar(sa.select(sa.func.count()).select_from(CourseSession)),
        "registrations": db.session.scalar(sa.select(sa.func.count()).select_from(Registration)),
    }
    return counts


def timed(client, url, runs=RUNS):
    client.get(url)  # warm-up
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        durations.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return percentiles(durations)


def main():
    from app import create_app
    from app.extensions import db

    folder = tempfile.mkdtemp(prefix="bench-courses-")
    os.environ.setdefault("FLASK_INSTANCE_PATH", folder)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    app = create_app({
        "TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "STORAGE": {"backend": "local", "root": f"{folder}/media"},
        "MAIL": {"server": None, "outbox": f"{folder}/mail"},
        "CELERY": {"broker_url": "memory://"},
    })
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        counts = seed(db, datetime.now(UTC).replace(microsecond=0))
        dialect = db.engine.dialect.name
        report("courses: seed 2,000 courses / 20,000 sessions / 50,000 registrations",
               time.perf_counter() - started, "s", note=f"{counts}, {dialect}")
        if dialect == "postgresql":
            # What autovacuum does shortly after a bulk load: give the planner statistics.
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
        db.session.remove()

    client = app.test_client()
    rows = [("catalogue", "/se-former/"),
            ("catalogue, page 50", "/se-former/?page=50"),
            ("catalogue, theme + upcoming", "/se-former/?theme=theme-3&upcoming=1"),
            ("catalogue, search", "/se-former/?q=tarification"),
            ("course page (10 sessions)", "/se-former/formation-1234"),
            ("public course .ics", "/se-former/formation-1234/calendrier.ics")]
    results = [(name, *timed(client, path)) for name, path in rows]
    client.post("/compte/connexion", data={"email": "bench@bench.example", "password": PASSWORD})
    results.append(("dashboard (10 courses)", *timed(client, "/se-former/mon-espace")))
    results.append(("API my registrations", *timed(client, "/api/courses/me/registrations")))
    for name, p50, p95 in results:
        report(f"courses: {name} p50", p50, "ms", note=f"{RUNS} requests, {dialect}")
        report(f"courses: {name} p95", p95, "ms", note=f"{RUNS} requests, {dialect}")
    if url.startswith("postgresql"):
        with app.app_context():
            db.drop_all()


if __name__ == "__main__":
    main()
