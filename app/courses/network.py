"""What courses give the network feature: speakers' contributions, sessions in the agenda,
learners' personal data and its erasure, and discussion threads about courses and sessions.

Every provider reads in a constant number of queries (joins and eager loads, no per-row query),
and only shows published courses. Operations flush, never commit.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.core.db import utcnow
from app.courses import operations
from app.courses.models import (
    Attendance,
    CalendarToken,
    Course,
    CourseSession,
    CourseStatus,
    Notification,
    Registration,
    RegistrationStatus,
    ReplayProgress,
    SessionMode,
    SessionSpeaker,
    SessionStatus,
)
from app.extensions import db
from app.library.models import Theme
from app.network.operations import (
    AgendaItem,
    ThreadTarget,
    get_person_for_user,
    register_account_deletion_handler,
    register_agenda_provider,
    register_contribution_provider,
    register_personal_data_provider,
    register_thread_target,
)


def register() -> None:
    """Plug the courses into the network registries (called from init_app; idempotent)."""
    register_contribution_provider(session_contributions)
    register_agenda_provider(agenda_sessions)
    register_personal_data_provider(personal_data)
    register_account_deletion_handler(forget_learner)
    register_thread_target("course", course_thread_target)
    register_thread_target("session", session_thread_target)


def _session_url(session: CourseSession, course: Course, external: bool = False) -> str:
    return url_for(
        "courses.session", slug=course.slug, session_id=session.id, _external=external
    )


# -- person pages --------------------------------------------------------------------------------


def session_contributions(person) -> list[dict]:
    """The published sessions a directory person speaks in (one query)."""
    rows = db.session.scalars(
        sa.select(SessionSpeaker)
        .join(SessionSpeaker.session)
        .join(CourseSession.course)
        .where(
            SessionSpeaker.person_id == person.id,
            Course.status == CourseStatus.PUBLISHED,
            CourseSession.status != SessionStatus.CANCELLED,
        )
        .options(contains_eager(SessionSpeaker.session).contains_eager(CourseSession.course))
        .order_by(CourseSession.start_dt.desc())
    ).all()
    return [
        {
            "kind": _("Séance"),
            "title": f"{row.session.course.title} — {row.session.title}",
            "url": _session_url(row.session, row.session.course),
            "date": row.session.start_dt,
        }
        for row in rows
    ]


# -- agenda -------------------------------------------------------------------------------------


_AGENDA_STATUS = {
    SessionStatus.CANCELLED: "cancelled",
    SessionStatus.POSTPONED: "tentative",  # the new date is not known yet
}


def agenda_sessions(start: datetime, end: datetime, filters: dict) -> list[AgendaItem]:
    """Sessions of published courses overlapping [start, end), filtered in SQL (two queries)."""
    filters = filters or {}
    if filters.get("departement"):
        return []  # sessions carry no département: none would match
    query = (
        sa.select(CourseSession)
        .join(CourseSession.course)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            CourseSession.start_dt < end,
            CourseSession.end_dt > start,
        )
        .options(
            contains_eager(CourseSession.course).options(
                selectinload(Course.themes),
                joinedload(Course.organiser_organisation),
                joinedload(Course.organiser_person),
            )
        )
        .order_by(CourseSession.start_dt, CourseSession.id)
    )
    if filters.get("theme"):
        query = query.where(Course.themes.any(Theme.slug == filters["theme"]))
    online = filters.get("online")
    if online is True:
        query = query.where(CourseSession.mode.in_([SessionMode.ONLINE, SessionMode.HYBRID]))
    elif online is False:
        query = query.where(CourseSession.mode != SessionMode.ONLINE)
    return [_agenda_item(s) for s in db.session.scalars(query).unique()]


def _agenda_item(session: CourseSession) -> AgendaItem:
    course = session.course
    organiser = (
        (course.organiser_organisation.name if course.organiser_organisation else "")
        or (course.organiser_person.name if course.organiser_person else "")
        or course.provider
    )
    description = session.description or course.summary
    if session.status_message and session.status in _AGENDA_STATUS:
        description = f"{session.status_message}\n\n{description}".strip()
    return AgendaItem(
        uid=session.ical_uid,
        title=f"{course.title} — {session.title}",
        start_dt=session.start_dt,
        end_dt=session.end_dt,
        url=_session_url(session, course, external=True),
        kind="session",
        mode=str(session.mode),
        place=session.place or "",
        themes=tuple(t.slug for t in course.themes),
        description=description,
        organiser=organiser,
        status=_AGENDA_STATUS.get(SessionStatus(session.status), "confirmed"),
        sequence=session.sequence,
        last_modified_dt=session.updated_dt,
        tzid=session.timezone or "Europe/Paris",
        extra={"course_id": course.id, "session_id": session.id},
    )


# -- personal data ------------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def personal_data(user) -> dict:
    """Registrations with attendance, replay progress, calendar address, e-mails, consents."""
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.user_id == user.id)
        .options(
            joinedload(Registration.course),
            selectinload(Registration.attendances).joinedload(Attendance.session),
        )
        .order_by(Registration.created_dt, Registration.id)
    ).all()
    progress = db.session.scalars(
        sa.select(ReplayProgress)
        .where(ReplayProgress.user_id == user.id)
        .options(joinedload(ReplayProgress.session).joinedload(CourseSession.course))
        .order_by(ReplayProgress.id)
    ).all()
    token = db.session.scalar(sa.select(CalendarToken).where(CalendarToken.user_id == user.id))
    notifications = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .options(joinedload(Notification.course))
        .order_by(Notification.id)
    ).all()
    person = get_person_for_user(user)
    speaking = []
    if person is not None:
        speaking = db.session.scalars(
            sa.select(SessionSpeaker)
            .where(SessionSpeaker.person_id == person.id)
            .options(joinedload(SessionSpeaker.session).joinedload(CourseSession.course))
            .order_by(SessionSpeaker.id)
        ).all()
    return {
        "courses": {
            "registrations": [
                {
                    "course": r.course.title,
                    "course_slug": r.course.slug,
                    "status": str(r.status),
                    "waitlist_position": r.waitlist_position,
                    "created_dt": _iso(r.created_dt),
                    "status_dt": _iso(r.status_dt),
                    "cancelled_dt": _iso(r.cancelled_dt),
                    "attendance": [
                        {
                            "session": a.session.title,
                            "start_dt": _iso(a.session.start_dt),
                            "status": str(a.status),
                        }
                        for a in sorted(r.attendances, key=lambda a: a.session.start_dt)
                    ],
                }
                for r in registrations
            ],
            "replay_progress": [
                {
                    "course": p.session.course.title,
                    "session": p.session.title,
                    "position_s": p.position_s,
                    "furthest_s": p.furthest_s,
                    "duration_s": p.duration_s,
                    "completed": p.completed,
                    "updated_dt": _iso(p.updated_dt),
                }
                for p in progress
            ],
            # The address itself is secret and only its hash is kept: dates only.
            "personal_calendar": {
                "created_dt": _iso(token.created_dt),
                "last_used_dt": _iso(token.last_used_dt),
            }
            if token
            else None,
            "emails": [
                {
                    "kind": str(n.kind),
                    "course": n.course.title,
                    "created_dt": _iso(n.created_dt),
                    "sent_dt": _iso(n.sent_dt),
                }
                for n in notifications
            ],
            "speaking": [
                {
                    "course": s.session.course.title,
                    "session": s.session.title,
                    "role": str(s.role),
                    "talk_title": s.talk_title,
                    "replay_consent": str(s.consent),
                    "consent_dt": _iso(s.consent_dt),
                }
                for s in speaking
            ],
        }
    }


def forget_learner(user, now: datetime | None = None) -> None:
    """Before an account is anonymised: free its places in courses still to come (the waiting
    list moves up), drop replay progress, the personal calendar and unsent e-mails. Past
    registrations and attendance stay, attached to the anonymised account, for the sheets."""
    now = now or utcnow()
    active = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.user_id == user.id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .options(joinedload(Registration.course).selectinload(Course.sessions))
    ).all()
    for registration in active:
        course = registration.course
        if any(s.end_dt > now for s in course.active_sessions) or not course.active_sessions:
            operations.cancel_registration(course, user, now)
    db.session.execute(sa.delete(ReplayProgress).where(ReplayProgress.user_id == user.id))
    db.session.execute(sa.delete(CalendarToken).where(CalendarToken.user_id == user.id))
    db.session.execute(
        sa.delete(Notification).where(
            Notification.user_id == user.id, Notification.sent_dt.is_(None)
        )
    )
    db.session.flush()


# -- discussion threads -------------------------------------------------------------------------


def _theme_slug(course: Course) -> str | None:
    return course.themes[0].slug if course.themes else None


def course_thread_target(target_id: int) -> ThreadTarget | None:
    course = db.session.scalar(
        sa.select(Course)
        .where(Course.id == target_id, Course.status != CourseStatus.DRAFT)
        .options(selectinload(Course.themes))
    )
    if course is None:
        return None
    return ThreadTarget(
        title=course.title,
        url=url_for("courses.course", slug=course.slug),
        theme_slug=_theme_slug(course),
    )


def session_thread_target(target_id: int) -> ThreadTarget | None:
    session = db.session.scalar(
        sa.select(CourseSession)
        .join(CourseSession.course)
        .where(CourseSession.id == target_id, Course.status != CourseStatus.DRAFT)
        .options(contains_eager(CourseSession.course).selectinload(Course.themes))
    )
    if session is None:
        return None
    return ThreadTarget(
        title=f"{session.course.title} — {session.title}",
        url=_session_url(session, session.course),
        theme_slug=_theme_slug(session.course),
    )
