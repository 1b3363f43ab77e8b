"""Course logic: explicit arguments, flush, never commit (the caller commits once).

Registration and cancellation lock the course row first (``lock_course``): counters, the waiting
list and promotion are then decided by one transaction at a time, so capacity holds under
concurrent requests on PostgreSQL as on SQLite.
"""

import re
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.auth.tokens import hash_token, new_token
from app.core.db import utcnow
from app.courses.models import (
    Attendance,
    AttendanceStatus,
    CalendarToken,
    ConsentState,
    Course,
    CourseSession,
    CourseStatus,
    Material,
    MaterialKind,
    Notification,
    NotificationKind,
    Registration,
    RegistrationStatus,
    ReplayProgress,
    SessionSpeaker,
    SessionStatus,
    SpeakerRole,
)
from app.extensions import db
from app.library.models import Theme
from app.media.models import AssetStatus, MediaAsset

#: A replay counts as completed once this share has been watched (or the player reached the end).
COMPLETION_SHARE = 0.9


class CourseError(ValueError):
    """An operation refused, with a message for the person who asked."""


# -- courses -----------------------------------------------------------------------------------


def slugify(text: str, max_length: int = 120) -> str:
    """Return an ASCII, lower-case, hyphenated URL part."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:max_length].strip("-") or "formation"


#: Slugs that would collide with the blueprint's own pages.
RESERVED_SLUGS = {"gestion", "mon-espace", "proposer", "ajouter-a-mon-agenda", "calendrier"}


def unique_course_slug(title: str, exclude_id: int | None = None) -> str:
    """Return a slug from the title that no other course (nor a page) uses."""
    base = slugify(title)
    if base in RESERVED_SLUGS:
        base = f"formation-{base}"
    taken = set(
        db.session.scalars(
            sa.select(Course.slug).where(
                sa.or_(Course.slug == base, Course.slug.like(f"{base}-%")),
                Course.id != (exclude_id or 0),
            )
        )
    )
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def check_web_url(url: str | None, what: str) -> str | None:
    """Return the URL stripped, or raise CourseError unless it is an absolute http(s) URL."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CourseError(
            _("%(what)s doit être une adresse web commençant par http:// ou https://.", what=what)
        )
    return url


def get_course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(sa.select(Course).where(Course.slug == slug))


COURSE_FIELDS = (
    "title", "summary", "description", "audiences", "level", "cover_id",
    "organiser_organisation_id", "organiser_person_id", "is_external", "provider",
    "external_url", "capacity", "registration_opens_dt", "replay_access",
)  # fmt: skip


def create_course(*, title: str, created_by: User | None, theme_ids=(), **fields) -> Course:
    """Create a draft course."""
    course = Course(title=title.strip(), slug=unique_course_slug(title), created_by=created_by)
    db.session.add(course)
    update_course(course, title=title, theme_ids=theme_ids, **fields)
    return course


def update_course(course: Course, *, theme_ids=None, **fields) -> Course:
    """Change a course's description fields; a raised capacity promotes waitlisted learners."""
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"unknown course fields: {sorted(unknown)}")
    if "external_url" in fields:
        fields["external_url"] = check_web_url(fields["external_url"], _("Le lien de la formation"))
    if fields.get("is_external") and not fields.get("external_url", course.external_url):
        raise CourseError(_("Une formation externe a besoin du lien vers la page du partenaire."))
    capacity_changed = "capacity" in fields and fields["capacity"] != course.capacity
    if "capacity" in fields and fields["capacity"] is not None and fields["capacity"] < 0:
        raise CourseError(_("Le nombre de places ne peut pas être négatif."))
    for name, value in fields.items():
        setattr(course, name, value.strip() if isinstance(value, str) else value)
    if theme_ids is not None:
        ids = [int(i) for i in theme_ids]
        course.themes = (
            list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(ids)))) if ids else []
        )
    db.session.flush()
    if capacity_changed and course.id is not None:
        locked = lock_course(course.id)
        promote_waitlisted(locked)
    return course


def publish_course(course: Course, now: datetime | None = None) -> None:
    """Put a draft (or archived) course online."""
    if not course.title.strip():
        raise CourseError(_("Donnez un titre à la formation avant de la publier."))
    course.status = CourseStatus.PUBLISHED
    course.published_dt = course.published_dt or now or utcnow()
    course.archived_dt = None
    db.session.flush()


def archive_course(course: Course, now: datetime | None = None) -> None:
    """Take a course off the catalogue while keeping its registrations, attendance and replays."""
    course.status = CourseStatus.ARCHIVED
    course.archived_dt = now or utcnow()
    db.session.flush()


def course_has_history(course: Course) -> bool:
    """Tell whether deleting the course would destroy registrations or replays."""
    has_registrations = db.session.scalar(
        sa.select(sa.exists().where(Registration.course_id == course.id))
    )
    has_replays = db.session.scalar(
        sa.select(
            sa.exists().where(
                CourseSession.course_id == course.id, CourseSession.replay_asset_id.is_not(None)
            )
        )
    )
    return bool(has_registrations or has_replays)


def delete_course(course: Course, now: datetime | None = None) -> str:
    """Delete an unused course; one with registrations or replays is archived instead.

    Returns "deleted" or "archived".
    """
    if course_has_history(course):
        archive_course(course, now)
        return "archived"
    db.session.delete(course)
    db.session.flush()
    return "deleted"


# -- sessions ----------------------------------------------------------------------------------

SESSION_FIELDS = (
    "title", "description", "start_dt", "end_dt", "timezone", "mode", "live_url", "place",
    "outline", "position",
)  # fmt: skip
#: Changes that clients holding the event must see (iCalendar SEQUENCE is bumped).
SCHEDULE_FIELDS = ("start_dt", "end_dt", "timezone", "place", "live_url", "mode", "title")


def _check_session_fields(fields: dict) -> None:
    if "live_url" in fields:
        fields["live_url"] = check_web_url(fields["live_url"], _("Le lien de la session en ligne"))
    start, end = fields.get("start_dt"), fields.get("end_dt")
    if start is not None and end is not None and end <= start:
        raise CourseError(_("La séance doit se terminer après son début."))
    if "outline" in fields:
        fields["outline"] = normalise_outline(fields["outline"])


def normalise_outline(outline) -> list:
    """Return the outline as sorted [[seconds, title], …], refusing negative or empty items."""
    items = []
    for entry in outline or []:
        seconds, title = float(entry[0]), str(entry[1]).strip()
        if seconds < 0 or not title:
            raise CourseError(_("Chaque étape du déroulé a besoin d'un horaire et d'un titre."))
        items.append([seconds, title])
    return sorted(items)


def add_session(course: Course, **fields) -> CourseSession:
    """Add a session to a course (at the end of the series unless a position is given)."""
    _check_session_fields(fields)
    if "position" not in fields or not fields["position"]:
        fields["position"] = max((s.position for s in course.sessions), default=0) + 1
    session = CourseSession(course=course, **fields)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: CourseSession, now: datetime | None = None, **fields) -> bool:
    """Change a session; a new date or place bumps SEQUENCE and tells registered learners.

    Returns whether the schedule changed.
    """
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown session fields: {sorted(unknown)}")
    merged = {"start_dt": session.start_dt, "end_dt": session.end_dt, **fields}
    _check_session_fields(merged)
    fields = {k: merged[k] for k in fields}
    schedule_changed = any(
        k in fields and fields[k] != getattr(session, k) for k in SCHEDULE_FIELDS
    )
    dates_changed = any(
        k in fields and fields[k] != getattr(session, k) for k in ("start_dt", "end_dt")
    )
    for name, value in fields.items():
        setattr(session, name, value)
    if schedule_changed:
        session.sequence += 1
    if dates_changed and session.status == SessionStatus.POSTPONED:
        session.status = SessionStatus.SCHEDULED  # a new date settles a postponement
    db.session.flush()
    if dates_changed and session.course.status == CourseStatus.PUBLISHED:
        notify_registered(session, NotificationKind.RESCHEDULED, suffix=str(session.sequence))
    return schedule_changed


def set_session_status(
    session: CourseSession, status: SessionStatus | str, message: str = ""
) -> None:
    """Cancel, postpone or restore a session; cancelling tells registered learners."""
    status = SessionStatus(status)
    if status == session.status:
        return
    session.status = status
    session.status_message = message.strip()
    session.sequence += 1
    db.session.flush()
    if status == SessionStatus.CANCELLED and session.course.status == CourseStatus.PUBLISHED:
        notify_registered(session, NotificationKind.CANCELLED)
    elif status == SessionStatus.POSTPONED and session.course.status == CourseStatus.PUBLISHED:
        notify_registered(session, NotificationKind.RESCHEDULED, suffix=str(session.sequence))


def delete_session(session: CourseSession) -> str:
    """Delete a session without history; one with a replay or attendance is cancelled instead."""
    has_attendance = db.session.scalar(
        sa.select(sa.exists().where(Attendance.session_id == session.id))
    )
    if session.replay_asset_id is not None or has_attendance:
        set_session_status(session, SessionStatus.CANCELLED)
        return "cancelled"
    db.session.delete(session)
    db.session.flush()
    return "deleted"


# -- speakers, consent and replays ---------------------------------------------------------------


def add_speaker(
    session: CourseSession, person, role: SpeakerRole | str, talk_title: str = ""
) -> SessionSpeaker:
    """Add a directory person to a session (consent to publish the replay starts pending)."""
    existing = next((s for s in session.speakers if s.person_id == person.id), None)
    if existing is not None:
        existing.role, existing.talk_title = SpeakerRole(role), talk_title.strip()
        db.session.flush()
        return existing
    speaker = SessionSpeaker(
        session=session, person=person, role=SpeakerRole(role), talk_title=talk_title.strip()
    )
    db.session.add(speaker)
    db.session.flush()
    return speaker


def remove_speaker(speaker: SessionSpeaker) -> None:
    session = speaker.session
    session.speakers.remove(speaker)
    db.session.flush()


def set_speaker_consent(
    speaker: SessionSpeaker,
    consent: ConsentState | str,
    recorded_by: User | None,
    now: datetime | None = None,
) -> None:
    """Record a speaker's answer; a withdrawal takes the replay offline at once."""
    speaker.consent = ConsentState(consent)
    speaker.consent_dt = now or utcnow()
    speaker.consent_recorded_by_id = recorded_by.id if recorded_by else None
    if speaker.consent != ConsentState.GRANTED and speaker.session.replay_published_dt:
        speaker.session.replay_published_dt = None
    db.session.flush()


def attach_replay(session: CourseSession, asset: MediaAsset | None) -> None:
    """Link a recording to a session (unpublished until the animator publishes it)."""
    if asset is not None and session.outline and not asset.chapters:
        # The session outline becomes the recording's chapters (player, audio edition, podcast).
        asset.chapters = [{"start": s, "title": t} for s, t in session.chapters]
    if asset is None or asset.id != session.replay_asset_id:
        session.replay_published_dt = None
    session.replay_asset = asset
    db.session.flush()


def publish_replay(session: CourseSession, now: datetime | None = None) -> None:
    """Put the replay online once processed and consented to; registered learners are told."""
    asset = session.replay_asset
    if asset is None:
        raise CourseError(_("Aucun enregistrement n'est rattaché à cette séance."))
    if asset.status != AssetStatus.READY:
        raise CourseError(_("L'enregistrement est encore en cours de traitement."))
    missing = [s.person.name for s in session.speakers if s.consent != ConsentState.GRANTED]
    if missing:
        raise CourseError(
            _(
                "Le replay ne peut être publié qu'avec l'accord de chaque intervenant·e. "
                "En attente : %(names)s.",
                names=", ".join(missing),
            )
        )
    if session.replay_published_dt is not None:
        return
    session.replay_published_dt = now or utcnow()
    db.session.flush()
    if session.course.status == CourseStatus.PUBLISHED:
        notify_registered(session, NotificationKind.REPLAY_ONLINE)


def unpublish_replay(session: CourseSession) -> None:
    session.replay_published_dt = None
    db.session.flush()


# -- registration ------------------------------------------------------------------------------


def lock_course(course_id: int) -> Course:
    """Lock the course row until commit and return it with fresh counters.

    PostgreSQL: SELECT … FOR UPDATE makes concurrent registrations for the same course wait.
    SQLite has no row locks, so a no-op UPDATE takes the database's single writer lock first;
    reads that follow cannot be overtaken by another writer before this transaction commits.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.update(Course)
            .where(Course.id == course_id)
            .values(waitlist_seq=Course.waitlist_seq)
            .execution_options(synchronize_session=False)
        )
    return db.session.execute(
        sa.select(Course)
        .where(Course.id == course_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def get_registration(course_id: int, user_id: int) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.course_id == course_id, Registration.user_id == user_id
        )
    )


def register(course: Course, user: User, now: datetime | None = None) -> Registration:
    """Register a learner: a seat if one is free, otherwise the end of the waiting list.

    Registering again while registered returns the existing registration unchanged.
    """
    course = lock_course(course.id)
    # Taken once the lock is held, so registration times follow the waiting-list order.
    now = now or utcnow()
    registration = get_registration(course.id, user.id)
    if registration is not None and registration.is_active:
        return registration
    if not course.registration_open(now):
        raise CourseError(_("Les inscriptions à cette formation ne sont pas ouvertes."))
    if registration is None:
        registration = Registration(course_id=course.id, user_id=user.id, created_dt=now)
        db.session.add(registration)
    registration.status_dt, registration.cancelled_dt = now, None
    if course.is_full:
        course.waitlist_seq += 1
        course.waitlist_count += 1
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlist_position = course.waitlist_seq
    else:
        course.confirmed_count += 1
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
    db.session.flush()
    return registration


def cancel_registration(
    course: Course, user: User, now: datetime | None = None
) -> tuple[Registration | None, list[Registration]]:
    """Cancel a learner's registration; a freed seat goes to the first waitlisted learner.

    Returns the registration and the registrations promoted (their e-mails are queued).
    """
    now = now or utcnow()
    course = lock_course(course.id)
    registration = get_registration(course.id, user.id)
    if registration is None or not registration.is_active:
        return registration, []
    if registration.status == RegistrationStatus.CONFIRMED:
        course.confirmed_count -= 1
    else:
        course.waitlist_count -= 1
    registration.status = RegistrationStatus.CANCELLED
    registration.waitlist_position = None
    registration.cancelled_dt = registration.status_dt = now
    db.session.flush()
    return registration, promote_waitlisted(course, now)


def promote_waitlisted(course: Course, now: datetime | None = None) -> list[Registration]:
    """Give free seats to waitlisted learners in arrival order (call with the course locked)."""
    now = now or utcnow()
    promoted = []
    while course.waitlist_count > 0 and (
        course.capacity is None or course.confirmed_count < course.capacity
    ):
        first = db.session.scalar(
            sa.select(Registration)
            .where(
                Registration.course_id == course.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.waitlist_position)
            .limit(1)
        )
        if first is None:  # counters out of step: trust the rows
            course.waitlist_count = 0
            break
        position = first.waitlist_position
        first.status = RegistrationStatus.CONFIRMED
        first.waitlist_position = None
        first.promoted_dt = first.status_dt = now
        course.waitlist_count -= 1
        course.confirmed_count += 1
        queue_notification(
            NotificationKind.PROMOTED, first.user_id, course.id, key_suffix=f"{position}"
        )
        promoted.append(first)
    db.session.flush()
    return promoted


def waitlist_rank(registration: Registration) -> int | None:
    """Return the learner's place in the waiting list (1 = next to get a seat)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.course_id == registration.course_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.waitlist_position < registration.waitlist_position,
        )
    )
    return ahead + 1


# -- attendance --------------------------------------------------------------------------------


def record_attendance(
    session: CourseSession, marks: dict[int, AttendanceStatus | str | None], marked_by: User
) -> int:
    """Record present/absent/excused per registration id; None clears a mark. Returns changes."""
    valid_ids = set(
        db.session.scalars(
            sa.select(Registration.id).where(
                Registration.course_id == session.course_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
    )
    existing = {
        a.registration_id: a
        for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.session_id == session.id)
        )
    }
    changes = 0
    for registration_id, status in marks.items():
        if registration_id not in valid_ids and registration_id not in existing:
            raise CourseError(_("Cette personne n'est pas inscrite à la formation."))
        row = existing.get(registration_id)
        if status in (None, ""):
            if row is not None:
                db.session.delete(row)
                changes += 1
            continue
        status = AttendanceStatus(status)
        if row is None:
            db.session.add(
                Attendance(
                    session_id=session.id,
                    registration_id=registration_id,
                    status=status,
                    marked_by_id=marked_by.id,
                )
            )
            changes += 1
        elif row.status != status:
            row.status, row.marked_by_id = status, marked_by.id
            changes += 1
    db.session.flush()
    return changes


def set_excused_in_advance(
    session: CourseSession, user: User, excused: bool, now: datetime | None = None
) -> None:
    """Let a confirmed learner say in advance they cannot come (or take it back)."""
    now = now or utcnow()
    if session.start_dt <= now:
        raise CourseError(_("La séance a commencé : l'équipe note les présences."))
    registration = get_registration(session.course_id, user.id)
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        raise CourseError(_("Vous n'êtes pas inscrit·e à cette formation."))
    row = db.session.scalar(
        sa.select(Attendance).where(
            Attendance.session_id == session.id, Attendance.registration_id == registration.id
        )
    )
    if excused and row is None:
        db.session.add(
            Attendance(
                session_id=session.id,
                registration_id=registration.id,
                status=AttendanceStatus.EXCUSED,
                marked_by_id=user.id,
            )
        )
    elif not excused and row is not None and row.status == AttendanceStatus.EXCUSED:
        db.session.delete(row)
    db.session.flush()


def excused_session_ids(user_id: int, course_id: int) -> set[int]:
    """Sessions of a course the learner said they would miss."""
    return set(
        db.session.scalars(
            sa.select(Attendance.session_id)
            .join(Registration, Registration.id == Attendance.registration_id)
            .where(
                Registration.user_id == user_id,
                Registration.course_id == course_id,
                Attendance.status == AttendanceStatus.EXCUSED,
            )
        )
    )


def attendance_sheet(course: Course) -> tuple[list[CourseSession], list[dict]]:
    """Return the sessions and one row per confirmed learner with their mark per session."""
    sessions = [s for s in course.sessions if s.status != SessionStatus.CANCELLED]
    registrations = list(
        db.session.scalars(
            sa.select(Registration)
            .join(User, User.id == Registration.user_id)
            .where(
                Registration.course_id == course.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .options(sa.orm.joinedload(Registration.user))
            .order_by(sa.func.lower(User.display_name), User.email)
        )
    )
    marks = {
        (a.registration_id, a.session_id): a.status
        for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.session_id.in_([s.id for s in sessions]))
        )
    }
    rows = [
        {
            "registration": r,
            "name": r.user.name,
            "email": r.user.email,
            "marks": [marks.get((r.id, s.id)) for s in sessions],
        }
        for r in registrations
    ]
    return sessions, rows


# -- replay progress ---------------------------------------------------------------------------


def save_progress(
    user: User,
    session: CourseSession,
    position_s: float,
    duration_s: float | None = None,
    ended: bool = False,
) -> ReplayProgress:
    """Remember where the learner is in a replay; completion is kept once reached."""
    if position_s < 0 or (duration_s is not None and duration_s <= 0):
        raise CourseError(_("Position de lecture invalide."))
    progress = db.session.scalar(
        sa.select(ReplayProgress).where(
            ReplayProgress.user_id == user.id, ReplayProgress.session_id == session.id
        )
    )
    if progress is None:
        progress = ReplayProgress(user_id=user.id, session_id=session.id, furthest_s=0.0)
        db.session.add(progress)
    if duration_s:
        progress.duration_s = duration_s
        position_s = min(position_s, duration_s)
    progress.position_s = position_s
    progress.furthest_s = max(progress.furthest_s or 0.0, position_s)
    if ended or progress.watched_share >= COMPLETION_SHARE:
        progress.completed = True
    progress.updated_dt = utcnow()
    db.session.flush()
    return progress


def get_progress(user_id: int, session_id: int) -> ReplayProgress | None:
    return db.session.scalar(
        sa.select(ReplayProgress).where(
            ReplayProgress.user_id == user_id, ReplayProgress.session_id == session_id
        )
    )


# -- material ----------------------------------------------------------------------------------


def add_material(
    course: Course,
    kind: MaterialKind | str,
    *,
    session: CourseSession | None = None,
    title: str = "",
    description: str = "",
    url: str | None = None,
    resource_id: int | None = None,
    person_id: int | None = None,
    organisation_id: int | None = None,
    file_id: int | None = None,
) -> Material:
    """Attach a library resource, a directory entry, a stored file or a link."""
    kind = MaterialKind(kind)
    targets = {
        MaterialKind.RESOURCE: resource_id,
        MaterialKind.DIRECTORY: person_id or organisation_id,
        MaterialKind.FILE: file_id,
        MaterialKind.LINK: url,
    }
    if not targets[kind]:
        raise CourseError(_("Choisissez ce que vous voulez joindre."))
    if kind == MaterialKind.LINK:
        url = check_web_url(url, _("Le lien"))
        if not title.strip():
            raise CourseError(_("Donnez un titre au lien."))
    if session is not None and session.course_id != course.id:
        raise CourseError(_("Cette séance n'appartient pas à la formation."))
    material = Material(
        course=course,
        session_id=session.id if session else None,
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        url=url if kind == MaterialKind.LINK else None,
        resource_id=resource_id if kind == MaterialKind.RESOURCE else None,
        person_id=person_id if kind == MaterialKind.DIRECTORY else None,
        organisation_id=organisation_id if kind == MaterialKind.DIRECTORY else None,
        file_id=file_id if kind == MaterialKind.FILE else None,
        position=len(course.materials) + 1,
    )
    db.session.add(material)
    db.session.flush()
    return material


# -- personal calendar -------------------------------------------------------------------------


def create_calendar_token(user: User) -> str:
    """Give the learner a new personal calendar address (the previous one stops working)."""
    token, digest = new_token("cal_")
    row = db.session.scalar(sa.select(CalendarToken).where(CalendarToken.user_id == user.id))
    if row is None:
        db.session.add(CalendarToken(user_id=user.id, token_hash=digest))
    else:
        row.token_hash, row.created_dt, row.last_used_dt = digest, utcnow(), None
    db.session.flush()
    return token


def revoke_calendar_token(user: User) -> None:
    db.session.execute(sa.delete(CalendarToken).where(CalendarToken.user_id == user.id))


def user_from_calendar_token(token: str) -> User | None:
    """Return the active account behind a personal calendar token, or None."""
    row = db.session.scalar(
        sa.select(CalendarToken).where(CalendarToken.token_hash == hash_token(token))
    )
    if row is None or not row.user.is_active:
        return None
    row.last_used_dt = utcnow()
    return row.user


# -- notifications (rows; app.courses.notifications sends them) --------------------------------


def queue_notification(
    kind: NotificationKind,
    user_id: int,
    course_id: int,
    session_id: int | None = None,
    key_suffix: str = "",
) -> Notification | None:
    """Add an e-mail to send unless the same one (same key) was already queued or sent."""
    target = session_id if session_id is not None else f"c{course_id}"
    key = f"{kind.value}:{target}:{user_id}" + (f":{key_suffix}" if key_suffix else "")
    if db.session.scalar(sa.select(Notification.id).where(Notification.key == key)):
        return None
    row = Notification(
        key=key, kind=kind, user_id=user_id, course_id=course_id, session_id=session_id
    )
    db.session.add(row)
    return row


def notify_registered(session: CourseSession, kind: NotificationKind, suffix: str = "") -> int:
    """Queue an e-mail about a session for every confirmed learner of its course."""
    user_ids = db.session.scalars(
        sa.select(Registration.user_id).where(
            Registration.course_id == session.course_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).all()
    for user_id in user_ids:
        queue_notification(kind, user_id, session.course_id, session.id, key_suffix=suffix)
    db.session.flush()
    return len(user_ids)
