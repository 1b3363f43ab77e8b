"""Every .ics parses with icalendar; join links only in the personal feed; changes propagate."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa

from app.courses import operations
from app.courses.models import CalendarToken, SessionStatus
from app.extensions import db

LIVE = "https://visio.example.org/b/tarif-abc"


def _events(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    return calendar, list(calendar.walk("VEVENT"))


def test_public_calendars_parse_and_never_carry_join_links(client, make_course):
    course = make_course(sessions=3)
    make_course("Autre formation", sessions=2)
    for url in (f"/se-former/{course.slug}/calendrier.ics", "/se-former/calendrier.ics"):
        response = client.get(url)
        _calendar, events = _events(response)
        assert len(events) == (3 if course.slug in url else 5)
        assert LIVE.encode() not in response.data
        assert b"visio.example.org" not in response.data
        for event in events:
            assert "CONFERENCE" not in event
            assert str(event["URL"]).startswith("http://localhost/se-former/")
    page = client.get(f"/se-former/{course.slug}").get_data(as_text=True)
    assert (
        f'<link rel="alternate" type="text/calendar" title="Calendrier de la formation" '
        f'href="/se-former/{course.slug}/calendrier.ics">' in page
    )


def test_personal_calendar_has_join_links_and_token_is_revocable(client, make_course, login_as):
    mine = make_course(sessions=2)
    other = make_course("Pas pour moi", sessions=1, live_url="https://visio.example.org/autre")
    user = login_as()
    client.post(f"/se-former/{mine.slug}/inscription")
    page = client.post("/se-former/mon-espace/calendrier").get_data(as_text=True)
    url = page.split('id="calendar-url" class="token wide" readonly value="')[1].split('"')[0]
    path = url.replace("http://localhost", "")
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    row = db.session.scalar(sa.select(CalendarToken).where(CalendarToken.user_id == user.id))
    assert row.token_hash != token and len(row.token_hash) == 64  # stored hashed only

    client.post("/compte/deconnexion")
    response = client.get(path)
    _calendar, events = _events(response)
    assert len(events) == 2
    for event in events:
        assert LIVE in str(event["DESCRIPTION"])
        assert str(event["CONFERENCE"]) == LIVE
    assert other.sessions[0].live_url.encode() not in response.data
    assert response.headers["Cache-Control"] == "private, no-store"

    # A new address replaces the old one; revoking disables it.
    login_as()  # another account cannot see it either
    assert client.get(path.replace(token, token[:-2] + "xx")).status_code == 404
    db.session.expire_all()
    operations.revoke_calendar_token(user)
    db.session.commit()
    assert client.get(path).status_code == 404


def test_reschedule_and_cancellation_propagate(client, make_course):
    course = make_course(sessions=2)
    first, second = course.sessions
    operations.update_session(
        first, start_dt=first.start_dt + timedelta(days=1), end_dt=first.end_dt + timedelta(days=1)
    )
    operations.set_session_status(second, SessionStatus.CANCELLED, "Annulée faute d'intervenant")
    db.session.commit()
    _calendar, events = _events(client.get(f"/se-former/{course.slug}/calendrier.ics"))
    by_uid = {str(e["UID"]): e for e in events}
    moved, cancelled = by_uid[first.ical_uid], by_uid[second.ical_uid]
    assert moved["SEQUENCE"] == 1 and str(moved["STATUS"]) == "CONFIRMED"
    assert moved.decoded("DTSTART") == first.start_dt
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled["SEQUENCE"] >= 1


def test_calendar_keeps_local_time_across_dst(client, make_course):
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2027, 3, 23, 10, 0, tzinfo=paris)
    course = make_course(sessions=3, start=start, every=timedelta(days=7))
    # make_course adds 7×24 h in UTC; put each session back at 10:00 Paris like the form does.
    for i, session in enumerate(course.sessions):
        local = (
            datetime(2027, 3, 23 + 7 * i, 10, 0, tzinfo=paris)
            if i < 2
            else datetime(2027, 4, 6, 10, 0, tzinfo=paris)
        )
        operations.update_session(session, start_dt=local, end_dt=local + timedelta(hours=1))
    db.session.commit()
    response = client.get(f"/se-former/{course.slug}/calendrier.ics")
    calendar, events = _events(response)
    assert calendar.walk("VTIMEZONE")
    for event in events:
        start = event.decoded("DTSTART")
        assert str(start.tzinfo) == "Europe/Paris" and (start.hour, start.minute) == (10, 0)
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    utc_hours = sorted(e.decoded("DTSTART").astimezone(ZoneInfo("UTC")).hour for e in events)
    assert utc_hours == [8, 8, 9]


def test_single_session_file(client, make_course):
    course = make_course(sessions=2)
    session = course.sessions[1]
    response = client.get(f"/se-former/{course.slug}/seances/{session.id}.ics")
    _calendar, (event,) = _events(response)
    assert str(event["UID"]) == session.ical_uid
    assert LIVE.encode() not in response.data
    page = client.get(f"/se-former/{course.slug}/seances/{session.id}").get_data(as_text=True)
    assert f"/se-former/{course.slug}/seances/{session.id}.ics" in page


def test_calendar_help_page(client):
    page = client.get("/se-former/ajouter-a-mon-agenda").get_data(as_text=True)
    assert "Google Agenda" in page and "/se-former/calendrier.ics" in page


def test_unknown_calendar_token_is_404(client):
    assert client.get("/se-former/calendrier/personnel/cal_nope.ics").status_code == 404
