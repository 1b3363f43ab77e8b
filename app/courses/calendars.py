"""Sessions as iCalendar events, rendered by the shared builders in feeds.ical."""

from datetime import timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from app.core.text import plain_text
from app.courses.models import CourseSession, SessionStatus
from feeds.ical import build_calendar, build_event_ics
from feeds.types import CalendarEvent

#: Personal calendars and e-mail attachments remind learners this long before a session.
ALARM_BEFORE = timedelta(minutes=30)


def external_url(endpoint: str, **values) -> str:
    """Return an absolute URL, also from a worker (no request: SERVER_NAME or SITE_URL)."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("SITE_URL") or "http://localhost:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def session_event(session: CourseSession, *, with_join_link: bool = False) -> CalendarEvent:
    """Describe a session for the calendar builders (the live link only when asked)."""
    course = session.course
    status = {
        SessionStatus.CANCELLED: "cancelled",
        SessionStatus.POSTPONED: "tentative",
    }.get(SessionStatus(session.status), "confirmed")
    description = plain_text(session.description or course.summary)
    if session.status_message:
        description = f"{session.status_message}\n\n{description}".strip()
    count = len(course.sessions)
    summary = f"{course.title} ({session.position}/{count}) – {session.title}"
    return CalendarEvent(
        uid=session.ical_uid,
        summary=summary,
        start_dt=session.start_dt,
        end_dt=session.end_dt,
        last_modified_dt=session.updated_dt,
        # A cancellation must reach clients even if nothing else bumped the sequence.
        sequence=max(session.sequence, 1 if status == "cancelled" else 0),
        description=description,
        tzid=session.timezone,
        location=session.place or None,
        url=external_url("courses.session", slug=course.slug, session_id=session.id),
        status=status,
        join_url=session.live_url if with_join_link else None,
        categories=tuple(t.label for t in course.themes),
    )


def build_sessions_calendar(sessions, name: str, *, private: bool = False) -> bytes:
    """Render sessions as a subscribable calendar; join links only in a private one (labelled
    in the current language: the learner's, for personal calendars and e-mails)."""
    events = [session_event(s, with_join_link=private) for s in sessions]
    return build_calendar(
        events,
        name,
        private=private,
        alarm_before=ALARM_BEFORE if private else None,
        join_label=_("Rejoindre la séance en direct"),
    )


def build_session_attachment(session: CourseSession) -> bytes:
    """Render one session as the .ics attached to a registered learner's e-mail."""
    return build_event_ics(
        session_event(session, with_join_link=True),
        private=True,
        alarm_before=ALARM_BEFORE,
        join_label=_("Rejoindre la séance en direct"),
    )
