"""Catalogue, course and session pages, the back office and its bad-input answers."""

import csv
import io
from datetime import timedelta

import pypdf
import sqlalchemy as sa

from app.auth.models import Role
from app.core.db import utcnow
from app.courses import operations
from app.courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    Registration,
    SessionStatus,
)
from app.extensions import db
from app.library.models import Theme


def test_catalogue_filters_and_search(client, make_course, ready_asset):
    theme = Theme(slug="tarification-sociale", name="Tarification sociale")
    db.session.add(theme)
    db.session.commit()
    social = make_course("Tarification sociale en épicerie", theme_ids=[theme.id])
    make_course("Logistique du dernier kilomètre", summary="Tournées mutualisées")
    partner = make_course(
        "Formation partenaire",
        is_external=True,
        provider="Réseau Civam",
        external_url="https://civam.example.org/formation",
    )
    past = make_course("Cycle passé", start=utcnow() - timedelta(days=60), sessions=2)
    operations.attach_replay(past.sessions[0], ready_asset())
    operations.publish_replay(past.sessions[0])
    make_course("Brouillon caché", published=False)
    db.session.commit()

    def titles(query=""):
        page = client.get(f"/se-former/{query}").get_data(as_text=True)
        return (
            {c.title for c in (social, partner, past) if c.title in page}
            | ({"Logistique du dernier kilomètre"} if "Logistique du dernier" in page else set())
            | ({"Brouillon caché"} if "Brouillon caché" in page else set())
        )

    assert titles() == {social.title, partner.title, past.title, "Logistique du dernier kilomètre"}
    assert titles("?theme=tarification-sociale") == {social.title}
    assert titles("?q=mutualisées") == {"Logistique du dernier kilomètre"}
    assert titles("?external=yes") == {partner.title}
    assert titles("?replays=1") == {past.title}
    assert past.title not in titles("?upcoming=1")
    page = client.get("/se-former/").get_data(as_text=True)
    assert 'type="text/calendar"' in page
    assert "Terminé, replays disponibles" in page


def test_live_link_only_for_registered_learners_from_15_minutes_before(
    client, make_course, login_as
):
    live = "https://visio.example.org/b/secret-room"
    soon = make_course(start=utcnow() + timedelta(minutes=10), sessions=1, live_url=live)
    later = make_course(start=utcnow() + timedelta(hours=2), sessions=1, live_url=live)
    assert live not in client.get(f"/se-former/{soon.slug}").get_data(as_text=True)
    login_as()
    assert live not in client.get(f"/se-former/{soon.slug}").get_data(as_text=True)
    client.post(f"/se-former/{soon.slug}/inscription")
    client.post(f"/se-former/{later.slug}/inscription")
    page = client.get(f"/se-former/{soon.slug}").get_data(as_text=True)
    assert live in page and "Rejoindre la séance en direct" in page
    session_page = client.get(f"/se-former/{soon.slug}/seances/{soon.sessions[0].id}").get_data(
        as_text=True
    )
    assert live in session_page
    later_page = client.get(f"/se-former/{later.slug}").get_data(as_text=True)
    assert live not in later_page and "15 minutes avant" in later_page


def test_drafts_are_hidden_from_learners(client, make_course, login_as):
    draft = make_course(published=False)
    assert client.get(f"/se-former/{draft.slug}").status_code == 404
    login_as(Role.ANIMATOR)
    assert client.get(f"/se-former/{draft.slug}").status_code == 200


def _session_form(**overrides):
    data = {
        "title": "Le modèle économique",
        "start": "2027-03-23T10:00",
        "end": "2027-03-23T11:30",
        "timezone": "Europe/Paris",
        "mode": "online",
        "live_url": "https://meet.jit.si/tarification-sociale",
        "outline": "0:00 Accueil\n12:30 Témoignage\n1:02:00 Questions",
    }
    data.update(overrides)
    return data


def test_animator_creates_course_and_sessions_with_validation(client, login_as):
    login_as(Role.ANIMATOR)
    response = client.post(
        "/se-former/gestion/nouvelle",
        data={
            "title": "Tarification sociale",
            "level": "discovery",
            "replay_access": "public",
            "capacity": "25",
            "organiser_organisation_id": "0",
            "organiser_person_id": "0",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    course = db.session.scalar(sa.select(Course))
    assert course.status == CourseStatus.DRAFT and course.capacity == 25

    bad_dates = client.post(
        f"/se-former/gestion/{course.id}/seances/nouvelle",
        data=_session_form(end="2027-03-23T09:00"),
    )
    assert bad_dates.status_code == 200
    assert "La séance doit se terminer après son début." in bad_dates.get_data(as_text=True)
    for link in ("javascript:alert(1)", "ftp://example.org/x", "file:///etc/passwd"):
        bad_link = client.post(
            f"/se-former/gestion/{course.id}/seances/nouvelle", data=_session_form(live_url=link)
        )
        assert "http:// ou https://" in bad_link.get_data(as_text=True), link
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseSession)) == 0

    ok = client.post(f"/se-former/gestion/{course.id}/seances/nouvelle", data=_session_form())
    assert ok.status_code == 302
    session = db.session.scalar(sa.select(CourseSession))
    assert session.outline == [[0, "Accueil"], [750, "Témoignage"], [3720, "Questions"]]
    assert session.local_start.hour == 10 and session.start_dt.hour == 9  # CET = UTC+1

    client.post(f"/se-former/gestion/{course.id}/publier")
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == CourseStatus.PUBLISHED


def test_operations_refuse_non_http_live_links_and_inverted_dates(app, make_course):
    course = make_course(sessions=1)
    session = course.sessions[0]
    for link in ("javascript:alert(1)", "data:text/html,x", "//evil.example"):
        try:
            operations.update_session(session, live_url=link)
        except operations.CourseError:
            continue
        raise AssertionError(f"{link} accepted")
    try:
        operations.update_session(session, end_dt=session.start_dt - timedelta(minutes=1))
    except operations.CourseError as exc:
        assert "terminer après" in str(exc)
    else:
        raise AssertionError("inverted dates accepted")


def test_sessions_across_dst_keep_their_local_time(client, login_as):
    """Weekly sessions at 10:00 Paris on both sides of the end of March keep 10:00 local."""
    login_as(Role.ANIMATOR)
    course = operations.create_course(title="Cycle de printemps", created_by=None)
    db.session.commit()
    for day in ("2027-03-23", "2027-03-30", "2027-04-06"):
        client.post(
            f"/se-former/gestion/{course.id}/seances/nouvelle",
            data=_session_form(start=f"{day}T10:00", end=f"{day}T11:30"),
        )
    sessions = db.session.scalars(sa.select(CourseSession).order_by(CourseSession.start_dt)).all()
    assert [s.local_start.strftime("%H:%M") for s in sessions] == ["10:00"] * 3
    assert [s.start_dt.hour for s in sessions] == [9, 8, 8]  # UTC moves, local time does not
    page = client.get(f"/se-former/{course.slug}").get_data(as_text=True)
    assert page.count("10:00") >= 3


def test_deleting_a_course_with_registrations_archives_it(client, make_course, make_user, login_as):
    used = make_course()
    operations.register(used, make_user())
    unused = make_course(published=False)
    db.session.commit()
    used_title, unused_id = used.title, unused.id
    login_as(Role.ANIMATOR)
    client.post(f"/se-former/gestion/{used.id}/supprimer")
    client.post(f"/se-former/gestion/{unused.id}/supprimer")
    db.session.expire_all()
    kept = db.session.get(Course, used.id)
    assert kept.status == CourseStatus.ARCHIVED and len(kept.sessions) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    assert db.session.get(Course, unused_id) is None
    assert used_title not in client.get("/se-former/").get_data(as_text=True)


def test_deleting_a_course_with_a_replay_archives_it(app, make_course, ready_asset):
    course = make_course(published=False)
    operations.attach_replay(course.sessions[0], ready_asset())
    assert operations.delete_course(course) == "archived"


def test_learners_cannot_reach_the_back_office(client, make_course, login_as):
    course = make_course()
    login_as(Role.LEARNER)
    for url in (
        "/se-former/gestion/",
        f"/se-former/gestion/{course.id}",
        f"/se-former/gestion/{course.id}/emargement.csv",
    ):
        assert client.get(url).status_code == 403
    assert client.post(f"/se-former/gestion/{course.id}/supprimer").status_code == 403


def test_attendance_recording_and_exports(client, make_course, make_user, login_as):
    course = make_course(start=utcnow() - timedelta(days=8), every=timedelta(days=7))
    alice = make_user(display_name="Alice Maraîchère")
    bob = make_user(display_name="Bob Épicier")
    regs = [operations.register(course, u) for u in (alice, bob)]
    db.session.commit()
    login_as(Role.ANIMATOR)
    first = course.sessions[0]
    response = client.post(
        f"/se-former/gestion/{course.id}/presences",
        data={
            "session_id": first.id,
            f"mark-{regs[0].id}": "present",
            f"mark-{regs[1].id}": "excused",
        },
    )
    assert response.status_code == 302
    csv_response = client.get(f"/se-former/gestion/{course.id}/emargement.csv")
    text = csv_response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["Nom", "Adresse e-mail"] and len(rows[0]) == 5
    assert ["Alice Maraîchère", alice.email, "Présent·e", "", ""] in rows
    assert ["Bob Épicier", bob.email, "Excusé·e", "", ""] in rows

    pdf_response = client.get(f"/se-former/gestion/{course.id}/emargement.pdf")
    assert pdf_response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf_response.data))
    content = "".join(page.extract_text() for page in reader.pages)
    assert "Feuille d'émargement" in content
    assert "Alice Maraîchère" in content and "Présent·e" in content


def test_cancelled_session_shows_and_notifies(client, make_course, make_user, login_as):
    course = make_course()
    learner = make_user()
    operations.register(course, learner)
    db.session.commit()
    login_as(Role.ANIMATOR)
    session = course.sessions[1]
    client.post(
        f"/se-former/gestion/{course.id}/seances/{session.id}/statut",
        data={"status-status": "cancelled", "status-message": "Intervenante malade"},
    )
    db.session.expire_all()
    fresh = db.session.get(CourseSession, session.id)
    assert fresh.status == SessionStatus.CANCELLED and fresh.sequence == 1
    assert "Intervenante malade" in client.get(f"/se-former/{course.slug}").get_data(as_text=True)


def test_dashboard_shows_courses_next_session_and_continue_watching(
    client, make_course, login_as, ready_asset
):
    course = make_course("Cycle en cours", start=utcnow() - timedelta(days=8))
    waiting = make_course("Cycle complet", capacity=0)
    user = login_as()
    client.post(f"/se-former/{course.slug}/inscription")
    client.post(f"/se-former/{waiting.slug}/inscription")
    first = course.sessions[0]
    operations.attach_replay(first, ready_asset())
    operations.publish_replay(first)
    operations.save_progress(user, first, 20, 60)
    db.session.commit()
    page = client.get("/se-former/mon-espace").get_data(as_text=True)
    assert "Cycle en cours" in page and "Cycle complet" in page
    assert "Liste d&#39;attente" in page or "Liste d'attente" in page
    assert "Reprendre la lecture" in page and "Arrêté à 0:20" in page
    assert "Séance 3" in page  # the next session (1 and 2 are past)
    assert (
        client.get(f"/se-former/{course.slug}")
        .get_data(as_text=True)
        .count("Reprendre le replay (0:20)")
        == 1
    )


def test_cover_must_be_a_real_image(client, login_as):
    from PIL import Image

    login_as(Role.ANIMATOR)
    base = {
        "title": "Avec couverture",
        "level": "discovery",
        "replay_access": "public",
        "organiser_organisation_id": "0",
        "organiser_person_id": "0",
    }
    fake = client.post(
        "/se-former/gestion/nouvelle",
        data={**base, "cover": (io.BytesIO(b"<script>alert(1)</script>"), "cover.png")},
        content_type="multipart/form-data",
    )
    assert "illisible" in fake.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0
    png = io.BytesIO()
    Image.new("RGB", (64, 36), (31, 95, 58)).save(png, "PNG")
    png.seek(0)
    ok = client.post(
        "/se-former/gestion/nouvelle",
        data={**base, "cover": (png, "cover.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    course = db.session.scalar(sa.select(Course))
    client.post(f"/se-former/gestion/{course.id}/publier")
    image = client.get(f"/se-former/{course.slug}/couverture")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (64, 36)
    image.close()


def test_learner_says_in_advance_they_cannot_come(client, make_course, login_as):
    course = make_course(sessions=2)
    learner = login_as()
    client.post(f"/se-former/{course.slug}/inscription")
    second = course.sessions[1]
    page = client.get(f"/se-former/{course.slug}").get_data(as_text=True)
    assert page.count("Je ne pourrai pas venir à cette séance") == 2
    client.post(f"/se-former/{course.slug}/seances/{second.id}/absence", data={"excused": "1"})
    assert operations.excused_session_ids(learner.id, course.id) == {second.id}
    _sessions, rows = operations.attendance_sheet(db.session.get(Course, course.id))
    assert [str(m) if m else None for m in rows[0]["marks"]] == [None, "excused"]
    assert "Finalement, je viendrai" in client.get(f"/se-former/{course.slug}").get_data(
        as_text=True
    )
    client.post(f"/se-former/{course.slug}/seances/{second.id}/absence", data={"excused": "0"})
    assert operations.excused_session_ids(learner.id, course.id) == set()
