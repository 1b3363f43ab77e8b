"""Courses plugged into the network: person pages, agenda (list, month, .ics), personal data,
account deletion and discussion threads."""

import json
import re
from datetime import timedelta

import icalendar
import sqlalchemy as sa

from app.auth.models import Role
from app.core.db import utcnow
from app.courses import operations
from app.courses.models import (
    CalendarToken,
    Registration,
    RegistrationStatus,
    ReplayProgress,
    SessionStatus,
)
from app.courses.network import agenda_sessions
from app.extensions import db
from app.library.models import Theme
from app.network.exchange_models import Thread
from app.network.models import Person, Visibility
from tests.conftest import login


def _public_person(name="Léa Dupont", slug="lea-dupont") -> Person:
    person = Person(slug=slug, name=name, visibility=Visibility.PUBLIC, consent_dt=utcnow())
    db.session.add(person)
    db.session.commit()
    return person


def _vevents(body: bytes) -> dict:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_speaker_sees_published_sessions_on_their_page(client, make_course):
    person = _public_person()
    published = make_course("Tarification sociale", sessions=2)
    draft = make_course("Brouillon secret", sessions=1, published=False)
    operations.add_speaker(published.sessions[0], person, "speaker", "Le panier solidaire")
    operations.add_speaker(draft.sessions[0], person, "host")
    db.session.commit()

    page = client.get(f"/reseau/personnes/{person.slug}").get_data(as_text=True)
    assert "Tarification sociale — Séance 1" in page
    assert f"/se-former/{published.slug}/seances/{published.sessions[0].id}" in page
    assert "Séance 2" not in page  # not a speaker there
    assert "Brouillon secret" not in page


def test_published_sessions_are_in_the_agenda_list_month_and_ics(client, make_course):
    start = (utcnow() + timedelta(days=12)).replace(microsecond=0)
    course = make_course("Vendre en ligne", sessions=2, start=start)
    hidden = make_course("Pas encore publiée", sessions=1, start=start, published=False)
    cancelled = course.sessions[1]
    operations.set_session_status(cancelled, SessionStatus.CANCELLED, "Intervenante malade")
    db.session.commit()

    listing = client.get("/reseau/agenda").get_data(as_text=True)
    assert "Vendre en ligne — Séance 1" in listing
    assert "Vendre en ligne — Séance 2" in listing
    assert "Pas encore publiée" not in listing
    cancelled_item = re.search(r'<li class="agenda-item is-cancelled">.*?</li>', listing, re.S)
    assert cancelled_item and "Séance 2" in cancelled_item.group(0)

    local = course.sessions[0].local_start
    month = client.get(f"/reseau/agenda?vue=mois&annee={local.year}&mois={local.month}")
    assert "Vendre en ligne — Séance 1" in month.get_data(as_text=True)

    response = client.get("/reseau/agenda.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = _vevents(response.data)
    first = events[course.sessions[0].ical_uid]
    assert str(first["SUMMARY"]) == "Vendre en ligne — Séance 1"
    assert first.decoded("DTSTART") == course.sessions[0].start_dt
    assert str(first["URL"]).startswith("http")
    assert str(first["URL"]).endswith(f"/se-former/{course.slug}/seances/{course.sessions[0].id}")
    assert "visio.example.org" not in response.get_data(as_text=True)  # no live link in public
    gone = events[cancelled.ical_uid]
    assert str(gone["STATUS"]) == "CANCELLED"
    assert int(gone["SEQUENCE"]) >= 1
    assert hidden.sessions[0].ical_uid not in events


def test_agenda_filters_by_theme_and_mode(client, make_course):
    theme = Theme(slug="logistique", name="Logistique")
    db.session.add(theme)
    db.session.commit()
    tagged = make_course("Mutualiser les tournées", sessions=1, theme_ids=[theme.id])
    other = make_course("Autre sujet", sessions=1)
    events = _vevents(client.get("/reseau/agenda.ics?theme=logistique").data)
    assert tagged.sessions[0].ical_uid in events
    assert other.sessions[0].ical_uid not in events
    # Online sessions are kept out of "in person only"; a département filter keeps them out too.
    in_person = _vevents(client.get("/reseau/agenda.ics?online=0").data)
    assert tagged.sessions[0].ical_uid not in in_person
    departement = _vevents(client.get("/reseau/agenda.ics?departement=26").data)
    assert tagged.sessions[0].ical_uid not in departement


def test_agenda_provider_reads_a_date_range_in_constant_queries(app, make_course):
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    make_course("Série A", sessions=2, start=start, every=timedelta(days=1))
    make_course("Série B", sessions=4, start=start, every=timedelta(days=1))
    make_course("Série C", sessions=1, start=start)
    make_course("Série D", sessions=1, start=start)
    far = make_course("Plus tard", sessions=1, start=start + timedelta(days=200))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        with app.test_request_context():
            items = agenda_sessions(start - timedelta(hours=1), start + timedelta(days=30), {})
            titles = [i.title for i in items]
            organisers = [i.organiser for i in items]  # touching relations must not query more
            themes = [i.themes for i in items]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(titles) == 8 and len(organisers) == 8 and len(themes) == 8
    assert all(i.start_dt.tzinfo is not None for i in items)
    assert all(i.url.startswith("http") for i in items)
    assert not any("Plus tard" in t for t in titles)
    assert far.sessions[0].start_dt > start + timedelta(days=30)
    assert len(statements) <= 2, statements  # the sessions, then every course's themes


def test_download_my_data_contains_registrations_attendance_and_progress(
    client, make_course, make_user
):
    course = make_course("Tarification sociale", sessions=2)
    user = make_user(Role.LEARNER, email="sam@example.org")
    login(client, user)
    assert client.post(f"/se-former/{course.slug}/inscription").status_code == 302
    operations.save_progress(user, course.sessions[0], 30.0, 120.0)
    operations.create_calendar_token(user)
    db.session.commit()

    response = client.get("/reseau/mes-donnees/export.json")
    assert response.status_code == 200
    data = json.loads(response.data)["courses"]
    [registration] = data["registrations"]
    assert registration["course"] == "Tarification sociale"
    assert registration["status"] == "confirmed"
    assert data["replay_progress"][0]["furthest_s"] == 30.0
    assert data["personal_calendar"]["created_dt"]
    assert "token" not in json.dumps(data["personal_calendar"]).replace("created", "")


def test_deleting_the_account_cancels_future_registrations_and_promotes(
    client, make_course, make_user
):
    course = make_course("Une seule place", sessions=1, capacity=1)
    leaving = make_user(Role.LEARNER, email="sam@example.org")
    waiting = make_user(Role.LEARNER)
    operations.register(course, leaving)
    operations.register(course, waiting)
    operations.save_progress(leaving, course.sessions[0], 10.0, 100.0)
    operations.create_calendar_token(leaving)
    db.session.commit()

    login(client, leaving)
    response = client.post(
        "/reseau/mes-donnees/supprimer", data={"confirm_email": "sam@example.org"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    mine = operations.get_registration(course.id, leaving.id)
    assert mine.status == RegistrationStatus.CANCELLED and mine.cancelled_dt is not None
    theirs = operations.get_registration(course.id, waiting.id)
    assert theirs.status == RegistrationStatus.CONFIRMED  # the freed seat moved up the list
    assert db.session.get(type(course), course.id).confirmed_count == 1
    assert db.session.scalar(
        sa.select(sa.func.count(ReplayProgress.id)).where(ReplayProgress.user_id == leaving.id)
    ) == 0
    assert db.session.scalar(
        sa.select(sa.func.count(CalendarToken.id)).where(CalendarToken.user_id == leaving.id)
    ) == 0
    assert db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(Registration.user_id == waiting.id)
    ) == 1


def test_course_and_session_threads_are_opened_from_their_pages(client, make_course, make_user):
    theme = Theme(slug="tarification-sociale", name="Tarification sociale")
    db.session.add(theme)
    db.session.commit()
    course = make_course("Prix justes", sessions=1, theme_ids=[theme.id])
    session = course.sessions[0]

    page = client.get(f"/se-former/{course.slug}").get_data(as_text=True)
    link = f"/reseau/echanges/a-propos/course/{course.id}"
    assert f'href="{link}"' in page and "Discuter de cette formation" in page
    session_page = client.get(f"/se-former/{course.slug}/seances/{session.id}")
    assert f"/reseau/echanges/a-propos/session/{session.id}" in session_page.get_data(as_text=True)

    empty = client.get(link)
    assert empty.status_code == 200 and "Prix justes" in empty.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Thread.id))) == 0  # made at the first post

    login(client, make_user(Role.LEARNER))
    posted = client.post(link, data={"body": "Qui a testé le prix libre ?"})
    assert posted.status_code == 302
    db.session.expire_all()
    thread = db.session.scalar(sa.select(Thread).where(Thread.target_kind == "course"))
    assert thread.target_id == course.id and thread.title == "Prix justes"
    assert thread.theme is not None and thread.theme.slug == "tarification-sociale"
    assert client.get(link).headers["Location"].endswith(f"/reseau/echanges/{thread.id}")

    assert client.get(f"/reseau/echanges/a-propos/session/{session.id}").status_code == 200


def test_draft_courses_have_no_thread(client, make_course):
    draft = make_course("Brouillon", sessions=1, published=False)
    assert client.get(f"/reseau/echanges/a-propos/course/{draft.id}").status_code == 404
    session_id = draft.sessions[0].id
    assert client.get(f"/reseau/echanges/a-propos/session/{session_id}").status_code == 404
