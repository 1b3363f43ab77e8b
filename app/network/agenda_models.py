"""Agenda: events of the community and partners' calendars imported into a moderated agenda.

Course sessions are not stored here: the courses feature lists them through an agenda provider
(see app.network.operations.register_agenda_provider).
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import MessageJSON, MessageString, UTCDateTime, str_enum, utcnow
from app.extensions import db
from app.library.models import Theme


class EventMode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


MODE_LABELS = {
    EventMode.ONLINE: _l("En ligne"),
    EventMode.IN_PERSON: _l("Sur place"),
    EventMode.HYBRID: _l("Sur place et en ligne"),
}


class EventStatus(enum.StrEnum):
    #: Waiting for a moderator (imported or proposed events).
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    #: Published, then cancelled: kept in calendars with STATUS:CANCELLED.
    CANCELLED = "cancelled"


STATUS_LABELS = {
    EventStatus.PENDING: _l("En attente de modération"),
    EventStatus.PUBLISHED: _l("Publié"),
    EventStatus.REJECTED: _l("Refusé"),
    EventStatus.CANCELLED: _l("Annulé"),
}


event_themes = sa.Table(
    "agenda_event_themes",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("agenda_events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class ExternalFeed(db.Model):
    """A partner's .ics calendar, fetched periodically with a conditional GET."""

    __tablename__ = "agenda_external_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name shown to moderators ("Agenda du réseau des AMAP d'Occitanie").
    name: Mapped[str] = mapped_column(sa.String(200))
    #: http(s) URL of the .ics file.
    url: Mapped[str] = mapped_column(sa.String(1000), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directory_organisations.id", ondelete="SET NULL")
    )
    #: Imported events are published at once instead of waiting for moderation.
    auto_publish: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Validators of the last successful fetch, sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str | None] = mapped_column(sa.String(300))
    last_modified: Mapped[str | None] = mapped_column(sa.String(100))
    last_fetched_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Outcome of the last fetch in one line ("Nouveaux : 12, mis à jour : 1…"), a Message.
    last_status: Mapped[str] = mapped_column(MessageString(300), default="")
    #: What the last import could not take, [{"uid": ..., "reason": Message}], for moderators.
    last_report: Mapped[list] = mapped_column(MessageJSON, default=list)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation")


class Event(db.Model):
    """A dated meeting of the community (webinar, visit, fair), local or imported."""

    __tablename__ = "agenda_events"
    __table_args__ = (sa.UniqueConstraint("source_feed_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    #: Markdown, sanitised when rendered.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The zone the event is held in; times are shown and exported in it.
    tzid: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")
    mode: Mapped[EventMode] = mapped_column(str_enum(EventMode), default=EventMode.IN_PERSON)
    #: Venue in words ("Salle des fêtes, 3 place de la Mairie, 26150 Die").
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    departement_code: Mapped[str] = mapped_column(sa.String(3), default="", index=True)
    #: Page or online meeting link of the organiser.
    link: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: Organiser in words, when not an organisation of the directory.
    organiser_name: Mapped[str] = mapped_column(sa.String(200), default="")
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directory_organisations.id", ondelete="SET NULL")
    )
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus), default=EventStatus.PENDING, index=True
    )
    #: iCalendar UID, stable forever (imported: the partner's UID).
    uid: Mapped[str] = mapped_column(sa.String(300))
    #: iCalendar SEQUENCE, bumped on every change that calendars must notice.
    sequence: Mapped[int] = mapped_column(default=0)
    source_feed_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_external_feeds.id", ondelete="SET NULL"), index=True
    )
    #: SEQUENCE of the imported VEVENT as the partner sent it (ours is bumped on each update).
    source_sequence: Mapped[int | None] = mapped_column()
    #: LAST-MODIFIED of the imported VEVENT, to apply only newer versions.
    source_modified_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the partner's feed stopped listing this imported event, which the import then
    #: cancelled (or refused, if still pending). Only such withdrawals are undone when the feed
    #: lists the event again; a moderator's decision clears it, so theirs are never undone.
    withdrawn_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    themes: Mapped[list[Theme]] = relationship(secondary=event_themes, order_by=Theme.position)
    organisation = relationship("Organisation")
    source_feed: Mapped[ExternalFeed | None] = relationship()

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.uid}>"
