"""Se former: courses (webinar series), their sessions, registrations, attendance and progress.

A course is registered for as a whole (series-level registration, FIFO waiting list); each session
then records attendance per registration. Counters of confirmed and waitlisted registrations live
on the course row and only change while that row is locked (see operations.lock_course), so the
catalogue can show availability without counting and capacity holds under concurrent requests.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, str_enum, utcnow
from app.extensions import db
from app.library.models import AUDIENCES, Theme  # noqa: F401 - AUDIENCES re-exported for forms
from app.media.models import AssetStatus, MediaAsset, RenditionKind
from app.network.models import Organisation, Person

DEFAULT_TIMEZONE = "Europe/Paris"
#: The live link appears this long before a session starts.
JOIN_REVEAL = timedelta(minutes=15)
#: A scheduled session counts as live from this long before its start.
LIVE_LEAD = timedelta(minutes=10)


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class CourseLevel(enum.StrEnum):
    DISCOVERY = "discovery"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


LEVEL_LABELS = {
    CourseLevel.DISCOVERY: _l("Découverte"),
    CourseLevel.INTERMEDIATE: _l("Intermédiaire"),
    CourseLevel.ADVANCED: _l("Approfondissement"),
}


class ReplayAccess(enum.StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"  # any signed-in account
    REGISTERED = "registered"  # learners registered for the course


class SessionMode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


MODE_LABELS = {
    SessionMode.ONLINE: _l("En ligne"),
    SessionMode.IN_PERSON: _l("En présentiel"),
    SessionMode.HYBRID: _l("Hybride"),
}


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


SESSION_STATUS_LABELS = {
    SessionStatus.SCHEDULED: _l("Programmée"),
    SessionStatus.LIVE: _l("En direct"),
    SessionStatus.ENDED: _l("Terminée"),
    SessionStatus.CANCELLED: _l("Annulée"),
    SessionStatus.POSTPONED: _l("Reportée"),
}


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT: _l("Présent·e"),
    AttendanceStatus.ABSENT: _l("Absent·e"),
    AttendanceStatus.EXCUSED: _l("Excusé·e"),
}


class SpeakerRole(enum.StrEnum):
    HOST = "host"  # animation
    SPEAKER = "speaker"  # intervention
    TESTIMONY = "testimony"  # témoignage
    MODERATOR = "moderator"  # modération


SPEAKER_ROLE_LABELS = {
    SpeakerRole.HOST: _l("Animation"),
    SpeakerRole.SPEAKER: _l("Intervention"),
    SpeakerRole.TESTIMONY: _l("Témoignage"),
    SpeakerRole.MODERATOR: _l("Modération"),
}


class ConsentState(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class MaterialKind(enum.StrEnum):
    RESOURCE = "resource"  # a library resource
    DIRECTORY = "directory"  # a directory person or organisation
    FILE = "file"  # an uploaded file
    LINK = "link"  # an external link


MATERIAL_KIND_LABELS = {
    MaterialKind.LINK: _l("Lien externe"),
    MaterialKind.RESOURCE: _l("Ressource de la bibliothèque"),
    MaterialKind.DIRECTORY: _l("Fiche de l'annuaire"),
    MaterialKind.FILE: _l("Fichier"),
}


class DisplayState(enum.StrEnum):
    """What a visitor should understand at a glance (Richie's CourseState, for series)."""

    TO_BE_SCHEDULED = "to_be_scheduled"
    UPCOMING = "upcoming"  # registration not open yet
    REGISTRATION_OPEN = "registration_open"
    IN_PROGRESS = "in_progress"
    FULL = "full"  # waiting list
    EXTERNAL = "external"  # registration on the provider's site
    FINISHED_REPLAYS = "finished_replays"
    FINISHED = "finished"
    ARCHIVED = "archived"


DISPLAY_STATE_LABELS = {
    DisplayState.TO_BE_SCHEDULED: _l("À programmer"),
    DisplayState.UPCOMING: _l("Inscriptions bientôt ouvertes"),
    DisplayState.REGISTRATION_OPEN: _l("Inscriptions ouvertes"),
    DisplayState.IN_PROGRESS: _l("En cours, inscriptions ouvertes"),
    DisplayState.FULL: _l("Complet : liste d'attente"),
    DisplayState.EXTERNAL: _l("Formation partenaire"),
    DisplayState.FINISHED_REPLAYS: _l("Terminé, replays disponibles"),
    DisplayState.FINISHED: _l("Terminé"),
    DisplayState.ARCHIVED: _l("Archivé"),
}

course_themes = sa.Table(
    "course_themes",
    db.metadata,
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Course(db.Model):
    """A training: a series of live sessions (webinars, workshops) offered afterwards as replays."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL part, unique and stable.
    slug: Mapped[str] = mapped_column(sa.String(160), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: One or two sentences for cards and search results (plain text).
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Full presentation, Markdown (sanitised with nh3 when rendered).
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Keys of app.library.models.AUDIENCES.
    audiences: Mapped[list] = mapped_column(sa.JSON, default=list)
    level: Mapped[CourseLevel] = mapped_column(str_enum(CourseLevel), default=CourseLevel.DISCOVERY)
    cover_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: Who runs it, from the directory (an organisation and/or a person).
    organiser_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directory_organisations.id", ondelete="SET NULL")
    )
    organiser_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directory_people.id", ondelete="SET NULL")
    )
    #: A partner's training, registered for on the provider's site.
    is_external: Mapped[bool] = mapped_column(default=False, index=True)
    #: Name of the external provider ("Réseau Civam", "FR-CIVAM Occitanie"…).
    provider: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Page of the external training (http/https).
    external_url: Mapped[str | None] = mapped_column(sa.String(1000))
    status: Mapped[CourseStatus] = mapped_column(
        str_enum(CourseStatus), default=CourseStatus.DRAFT, index=True
    )
    #: Seats; None means unlimited.
    capacity: Mapped[int | None]
    #: Registration opens at this time (None: as soon as published).
    registration_opens_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who may watch the replays.
    replay_access: Mapped[ReplayAccess] = mapped_column(
        str_enum(ReplayAccess), default=ReplayAccess.PUBLIC
    )
    #: Confirmed registrations; changed only under the course row lock.
    confirmed_count: Mapped[int] = mapped_column(default=0)
    #: Waitlisted registrations; changed only under the course row lock.
    waitlist_count: Mapped[int] = mapped_column(default=0)
    #: Last waiting-list number handed out (FIFO order), under the course row lock.
    waitlist_seq: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    archived_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    themes: Mapped[list[Theme]] = relationship(secondary=course_themes, order_by=Theme.position)
    cover = relationship("StoredFile")
    organiser_organisation: Mapped[Organisation | None] = relationship()
    organiser_person: Mapped[Person | None] = relationship()
    created_by = relationship("User")
    sessions: Mapped[list["CourseSession"]] = relationship(
        back_populates="course",
        order_by="(CourseSession.position, CourseSession.start_dt)",
        cascade="all, delete-orphan",
    )
    materials: Mapped[list["Material"]] = relationship(
        back_populates="course",
        order_by="(Material.position, Material.id)",
        cascade="all, delete-orphan",
    )

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed_count >= self.capacity

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.confirmed_count)

    @property
    def active_sessions(self) -> list["CourseSession"]:
        """Sessions that still take place (not cancelled)."""
        return [s for s in self.sessions if s.status != SessionStatus.CANCELLED]

    def registration_open(self, now: datetime | None = None) -> bool:
        """Tell whether learners can register (or join the waiting list) here now."""
        now = now or utcnow()
        if self.status != CourseStatus.PUBLISHED or self.is_external:
            return False
        if self.registration_opens_dt and now < self.registration_opens_dt:
            return False
        sessions = self.active_sessions
        return bool(sessions) and max(s.end_dt for s in sessions) > now

    def display_state(self, now: datetime | None = None) -> DisplayState:
        """Compute what the course page and cards say about it (uses the loaded sessions)."""
        now = now or utcnow()
        if self.status == CourseStatus.ARCHIVED:
            return DisplayState.ARCHIVED
        sessions = self.active_sessions
        if self.is_external:
            if sessions and max(s.end_dt for s in sessions) <= now:
                return DisplayState.FINISHED
            return DisplayState.EXTERNAL
        if not sessions:
            return DisplayState.TO_BE_SCHEDULED
        if max(s.end_dt for s in sessions) <= now:
            if any(s.replay_is_public for s in sessions):
                return DisplayState.FINISHED_REPLAYS
            return DisplayState.FINISHED
        if self.registration_opens_dt and now < self.registration_opens_dt:
            return DisplayState.UPCOMING
        if self.is_full:
            return DisplayState.FULL
        if min(s.start_dt for s in sessions) <= now:
            return DisplayState.IN_PROGRESS
        return DisplayState.REGISTRATION_OPEN

    def display_state_label(self, now: datetime | None = None) -> str:
        return str(DISPLAY_STATE_LABELS[self.display_state(now)])

    def next_session(self, now: datetime | None = None) -> "CourseSession | None":
        now = now or utcnow()
        upcoming = [s for s in self.active_sessions if s.end_dt > now]
        return min(upcoming, key=lambda s: s.start_dt) if upcoming else None

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.slug}>"


class CourseSession(db.Model):
    """A dated meeting of a course; stored in UTC, shown and exported in its own time zone."""

    __tablename__ = "course_sessions"
    __table_args__ = (
        sa.CheckConstraint("end_dt > start_dt", name="ends_after_start"),
        sa.Index("ix_course_sessions_course_start", "course_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    #: 1, 2, 3… in the series.
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Markdown.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: IANA zone the session is organised in; local times are kept across DST changes.
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_TIMEZONE)
    mode: Mapped[SessionMode] = mapped_column(str_enum(SessionMode), default=SessionMode.ONLINE)
    #: Link to the live room (BigBlueButton, Jitsi, Zoom…), http(s) only; shown to registered
    #: learners from JOIN_REVEAL before the start, and only in personal calendars.
    live_url: Mapped[str | None] = mapped_column(sa.String(1000))
    #: Where an in-person or hybrid session happens (free text address).
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus), default=SessionStatus.SCHEDULED
    )
    #: Why it was cancelled or postponed, shown to learners: the animator's own words, shown as
    #: written (nothing in the code stores a sentence here).
    status_message: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Timestamped outline, [[seconds, "title"], …]; becomes the replay's chapters.
    outline: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: The recording, processed by the media pipeline.
    replay_asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_assets.id", ondelete="SET NULL")
    )
    #: When the replay was put online; None while unpublished (or withdrawn by a speaker).
    replay_published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: iCalendar SEQUENCE, bumped on every change of date, place or status.
    sequence: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="sessions")
    replay_asset: Mapped[MediaAsset | None] = relationship()
    speakers: Mapped[list["SessionSpeaker"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionSpeaker.id"
    )
    materials: Mapped[list["Material"]] = relationship(
        back_populates="session", order_by="(Material.position, Material.id)", viewonly=True
    )

    @property
    def ical_uid(self) -> str:
        return f"course-session-{self.id}@circuits-courts.openfoodfrance.fr"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or DEFAULT_TIMEZONE)

    @property
    def local_start(self) -> datetime:
        return self.start_dt.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.end_dt.astimezone(self.zone)

    @property
    def duration(self) -> timedelta:
        return self.end_dt - self.start_dt

    def effective_status(self, now: datetime | None = None) -> SessionStatus:
        """Scheduled sessions become live near their start and ended after their end."""
        if self.status != SessionStatus.SCHEDULED:
            return SessionStatus(self.status)
        now = now or utcnow()
        if now >= self.end_dt:
            return SessionStatus.ENDED
        if now >= self.start_dt - LIVE_LEAD:
            return SessionStatus.LIVE
        return SessionStatus.SCHEDULED

    def status_label(self, now: datetime | None = None) -> str:
        return str(SESSION_STATUS_LABELS[self.effective_status(now)])

    def join_link_visible(self, now: datetime | None = None) -> bool:
        """Tell whether the live link may be shown now (to a registered learner)."""
        now = now or utcnow()
        return (
            bool(self.live_url)
            and self.status in (SessionStatus.SCHEDULED, SessionStatus.LIVE)
            and self.start_dt - JOIN_REVEAL <= now < self.end_dt
        )

    @property
    def consent_complete(self) -> bool:
        """Every speaker agreed to the replay's publication (no speakers: nothing to ask)."""
        return all(s.consent == ConsentState.GRANTED for s in self.speakers)

    @property
    def replay_ready(self) -> bool:
        asset = self.replay_asset
        return asset is not None and asset.status == AssetStatus.READY

    @property
    def replay_is_public(self) -> bool:
        """The replay is online (published, processed, every speaker still consenting)."""
        return self.replay_published_dt is not None and self.replay_asset_id is not None

    @property
    def chapters(self) -> list[tuple[float, str]]:
        """The outline as sorted (seconds, title) pairs."""
        pairs = []
        for item in self.outline or []:
            try:
                seconds, title = float(item[0]), str(item[1])
            except (TypeError, ValueError, IndexError):
                continue
            pairs.append((seconds, title))
        return sorted(pairs)

    def __repr__(self) -> str:
        return f"<CourseSession {self.id} {self.course_id}#{self.position}>"


class SessionSpeaker(db.Model):
    """A directory person speaking in a session (host, speaker, testimony) and their consent."""

    __tablename__ = "course_session_speakers"
    __table_args__ = (sa.UniqueConstraint("session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("directory_people.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[SpeakerRole] = mapped_column(str_enum(SpeakerRole), default=SpeakerRole.SPEAKER)
    #: What they talk about ("Le panier solidaire de l'épicerie de Die").
    talk_title: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Agreement to publish the replay; withdrawing unpublishes it.
    consent: Mapped[ConsentState] = mapped_column(
        str_enum(ConsentState), default=ConsentState.PENDING
    )
    #: When consent was last given or withdrawn, and who recorded it.
    consent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    session: Mapped[CourseSession] = relationship(back_populates="speakers")
    person: Mapped[Person] = relationship()

    @property
    def role_label(self) -> str:
        return str(SPEAKER_ROLE_LABELS[SpeakerRole(self.role)])


class Registration(db.Model):
    """A learner's registration for a whole course: confirmed, waitlisted or cancelled."""

    __tablename__ = "course_registrations"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "user_id"),
        sa.Index("ix_course_registrations_user_status", "user_id", "status"),
        sa.Index("ix_course_registrations_waitlist", "course_id", "status", "waitlist_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    #: Place in the FIFO waiting list (course.waitlist_seq at the time); None unless waitlisted.
    waitlist_position: Mapped[int | None]
    #: First registration; the reminders use it (no "in 3 days" mail to who registered later).
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last (re)registration, promotion or cancellation.
    status_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promoted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    user = relationship("User")
    attendances: Mapped[list["Attendance"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED


class Attendance(db.Model):
    """Whether a registered learner attended one session (the attendance sheet)."""

    __tablename__ = "course_attendances"
    __table_args__ = (sa.UniqueConstraint("session_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_registrations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(str_enum(AttendanceStatus))
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    marked_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="attendances")
    session: Mapped[CourseSession] = relationship()


class ReplayProgress(db.Model):
    """Where a learner is in a session's replay (resume position, share watched, completion)."""

    __tablename__ = "course_replay_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True
    )
    #: Last playback position, seconds.
    position_s: Mapped[float] = mapped_column(sa.Float, default=0.0)
    #: Media duration as the player reported it.
    duration_s: Mapped[float | None] = mapped_column(sa.Float)
    #: Furthest point reached, seconds (share watched = furthest / duration).
    furthest_s: Mapped[float] = mapped_column(sa.Float, default=0.0)
    completed: Mapped[bool] = mapped_column(default=False)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[CourseSession] = relationship()

    @property
    def watched_share(self) -> float:
        if not self.duration_s:
            return 0.0
        return max(0.0, min(1.0, self.furthest_s / self.duration_s))


class Material(db.Model):
    """Something to read, watch or contact, attached to a course or one of its sessions."""

    __tablename__ = "course_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    #: The session it belongs to; None for the whole course.
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MaterialKind] = mapped_column(str_enum(MaterialKind))
    #: Shown as the link text; defaults to the target's own title.
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    resource_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE")
    )
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directory_people.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directory_organisations.id", ondelete="CASCADE")
    )
    file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: External link (http/https).
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    position: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="materials")
    session: Mapped[CourseSession | None] = relationship(back_populates="materials")
    resource = relationship("Resource")
    person: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    file = relationship("StoredFile")

    @property
    def kind_label(self) -> str:
        return str(MATERIAL_KIND_LABELS[MaterialKind(self.kind)])

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        target = self.resource or self.person or self.organisation or self.file
        for attr in ("title", "name", "filename"):
            if target is not None and getattr(target, attr, None):
                return getattr(target, attr)
        return self.url or ""


class CalendarToken(db.Model):
    """A learner's personal calendar address; only the hash is kept, deleting it revokes it."""

    __tablename__ = "course_calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: SHA-256 of the token (app.auth.tokens); the token is shown to its owner once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class NotificationKind(enum.StrEnum):
    PROMOTED = "promoted"
    REMINDER_3D = "reminder_3d"
    REMINDER_3H = "reminder_3h"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    REPLAY_ONLINE = "replay_online"


class Notification(db.Model):
    """An e-mail due to a learner; its key makes each one unique, so nothing is sent twice."""

    __tablename__ = "course_notifications"
    __table_args__ = (sa.Index("ix_course_notifications_pending", "sent_dt", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "<kind>:<session or course id>:<user id>[:<sequence>]", unique.
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None while waiting to be sent.
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The last sending error, for the back office: the exception's class and text as raised
    #: (a technical trace, like a log line, so not translated).
    error: Mapped[str | None] = mapped_column(sa.Text)

    user = relationship("User")
    course: Mapped[Course] = relationship()
    session: Mapped[CourseSession | None] = relationship()


@dataclass(frozen=True)
class ReplaySources:
    """What the player needs, read from the asset's current renditions."""

    video: object | None  # StoredFile
    audio: object | None
    chapters: object | None
    transcript: object | None
    poster: object | None
    duration_s: float | None


def get_replay_sources(asset: MediaAsset | None) -> ReplaySources | None:
    """Return the replay's files, or None when the asset has no playable rendition."""
    if asset is None or asset.status != AssetStatus.READY:
        return None

    def file_of(kind):
        rendition = asset.rendition(kind)
        return rendition.file if rendition else None

    video, audio = file_of(RenditionKind.WEB_VIDEO), file_of(RenditionKind.AUDIO_EDITION)
    if video is None and audio is None:
        return None
    return ReplaySources(
        video=video,
        audio=audio,
        chapters=file_of(RenditionKind.CHAPTERS),
        transcript=file_of(RenditionKind.TRANSCRIPT_VTT),
        poster=file_of(RenditionKind.POSTER),
        duration_s=asset.duration_s,
    )
