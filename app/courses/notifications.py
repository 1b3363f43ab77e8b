"""Course e-mails: find due reminders, then send queued notifications, each exactly once.

Every e-mail is first a Notification row with a unique key (the record of what is due or was
sent); sending marks the row and commits it before moving on, so a crash or a second run never
sends a message twice and an unsent one is retried by the next periodic run.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.core.db import utcnow
from app.courses.calendars import build_session_attachment, external_url
from app.courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    Notification,
    NotificationKind,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from app.courses.operations import queue_notification
from app.extensions import db
from app.mail import locale_of, send_mail

#: (kind, how long before the start): a learner registered later than start − delay is skipped.
REMINDERS = (
    (NotificationKind.REMINDER_3D, timedelta(days=3)),
    (NotificationKind.REMINDER_3H, timedelta(hours=3)),
)
MAX_ATTEMPTS = 5

SUBJECTS = {
    NotificationKind.PROMOTED: _l("Une place s'est libérée : vous êtes inscrit·e à « %(course)s »"),
    NotificationKind.REMINDER_3D: _l("Dans 3 jours : %(session)s"),
    NotificationKind.REMINDER_3H: _l("Dans 3 heures : %(session)s"),
    NotificationKind.RESCHEDULED: _l("Changement de date : %(session)s"),
    NotificationKind.CANCELLED: _l("Séance annulée : %(session)s"),
    NotificationKind.REPLAY_ONLINE: _l("Le replay est en ligne : %(session)s"),
}


def queue_due_reminders(now: datetime | None = None) -> int:
    """Queue the 3-day and 3-hour reminders that are due; returns how many were queued."""
    now = now or utcnow()
    queued = 0
    for kind, delay in REMINDERS:
        # The closest reminder wins: nobody gets "in 3 days" three hours before the start.
        shorter = min((d for _k, d in REMINDERS if d < delay), default=timedelta(0))
        rows = db.session.execute(
            sa.select(
                CourseSession.id,
                CourseSession.course_id,
                CourseSession.start_dt,
                Registration.user_id,
                Registration.created_dt,
            )
            .join(Course, Course.id == CourseSession.course_id)
            .join(Registration, Registration.course_id == Course.id)
            .where(
                Course.status == CourseStatus.PUBLISHED,
                CourseSession.status == SessionStatus.SCHEDULED,
                CourseSession.start_dt > now + shorter,
                CourseSession.start_dt <= now + delay,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        ).all()
        for session_id, course_id, start_dt, user_id, registered_dt in rows:
            if registered_dt > start_dt - delay:
                continue  # registered after the reminder point: they just chose the date
            # Keyed on the start time: a rescheduled session gets its reminder for the new date.
            suffix = str(int(start_dt.timestamp()))
            if queue_notification(kind, user_id, course_id, session_id, key_suffix=suffix):
                queued += 1
    db.session.flush()
    return queued


def deliver_pending(limit: int = 500) -> int:
    """Send queued notifications, committing after each one; returns how many were sent."""
    ids = db.session.scalars(
        sa.select(Notification.id)
        .where(Notification.sent_dt.is_(None), Notification.attempts < MAX_ATTEMPTS)
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = 0
    for notification_id in ids:
        notification = db.session.scalar(
            sa.select(Notification)
            .where(Notification.id == notification_id, Notification.sent_dt.is_(None))
            .options(
                joinedload(Notification.user),
                joinedload(Notification.course).selectinload(Course.sessions),
                joinedload(Notification.session).selectinload(CourseSession.speakers),
            )
        )
        if notification is None:  # sent meanwhile by another run
            continue
        notification.attempts += 1
        try:
            _send(notification)
        except Exception as exc:
            notification.error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
            current_app.logger.exception("course notification %s failed", notification.id)
            continue
        notification.sent_dt, notification.error = utcnow(), None
        db.session.commit()
        sent += 1
    return sent


def _send(notification: Notification) -> None:
    user, course, session = notification.user, notification.course, notification.session
    if not user.is_enabled:
        return
    kind = NotificationKind(notification.kind)
    with force_locale(locale_of(user)):
        subject = str(
            SUBJECTS[kind]
            % {"course": course.title, "session": session.title if session else course.title}
        )
        context = {
            "user": user,
            "course": course,
            "session": session,
            "kind": kind.value,
            "course_url": external_url("courses.course", slug=course.slug),
            "session_url": external_url("courses.session", slug=course.slug, session_id=session.id)
            if session
            else None,
            "dashboard_url": external_url("courses.dashboard"),
        }
        if kind == NotificationKind.PROMOTED:
            upcoming = course.next_session()
            context["session"] = session = upcoming
        text = render_template(f"courses/mail/{kind.value}.txt", **context)
        attachments = []
        if session is not None and kind != NotificationKind.REPLAY_ONLINE:
            attachments.append(
                (f"seance-{session.id}.ics", "text/calendar", build_session_attachment(session))
            )
    send_mail(user.email, subject, text, attachments=attachments)


def pending_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.sent_dt.is_(None))
    )
