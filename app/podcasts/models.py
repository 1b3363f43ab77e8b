"""Podcast shows, episodes, private feed tokens and download counting."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import MessageJSON, UTCDateTime, utcnow
from app.extensions import db
from app.media.models import AssetStatus, MediaAsset, RenditionKind, StoredFile


def _enum(cls, length=20):
    return sa.Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class ShowKind(enum.StrEnum):
    STANDALONE = "standalone"  # portraits, testimonies: animators upload the audio
    COURSE = "course"  # one feed per course published as a podcast
    GUIDES = "guides"  # the "Guides audio" show fed by text-to-speech


class Visibility(enum.StrEnum):
    PUBLIC = "public"  # anyone, public feed listed in directories and the OPML
    REGISTERED = "registered"  # any signed-in account, through a private token feed
    MEMBERS = "members"  # contributors and staff (and course participants), private feed only


class ShowType(enum.StrEnum):
    EPISODIC = "episodic"
    SERIAL = "serial"


class EpisodeType(enum.StrEnum):
    FULL = "full"
    TRAILER = "trailer"
    BONUS = "bonus"


class Show(db.Model):
    """A podcast channel: one RSS feed."""

    __tablename__ = "podcast_shows"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL part of the show page and of its feed (/feeds/<slug>.xml); never reused.
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    #: Markdown; sanitised with nh3 when rendered on pages and in the feed.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: ISO 639 code ("fr", "fr-fr").
    language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    #: itunes:author.
    author: Mapped[str] = mapped_column(sa.String(255), default="Open Food France")
    #: Apple Podcasts category and subcategory (feeds/apple_categories.py spelling).
    apple_category: Mapped[str] = mapped_column(sa.String(64), default="Education")
    apple_subcategory: Mapped[str | None] = mapped_column(sa.String(64), default="Courses")
    explicit: Mapped[bool] = mapped_column(default=False)
    show_type: Mapped[ShowType] = mapped_column(_enum(ShowType), default=ShowType.EPISODIC)
    #: podcast:guid, a UUIDv5 of the first feed URL: assigned once at creation, never recomputed.
    podcast_guid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    #: podcast:locked: other platforms may not import this feed.
    locked: Mapped[bool] = mapped_column(default=True)
    #: podcast:medium ("podcast", "course"…).
    medium: Mapped[str] = mapped_column(sa.String(20), default="podcast")
    #: Regular hosts as [{"name", "role", "group", "href", "img"}] (podcast:person).
    persons: Mapped[list | None] = mapped_column(sa.JSON)
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility), default=Visibility.PUBLIC)
    kind: Mapped[ShowKind] = mapped_column(_enum(ShowKind), default=ShowKind.STANDALONE)
    #: The course this feed publishes (kind "course"); a plain id keeps the features decoupled.
    course_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    #: Square 1400–3000 px JPEG made with Pillow from the uploaded cover.
    artwork_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_files.id"))
    #: Side of the square artwork in pixels.
    artwork_size: Mapped[int | None] = mapped_column()
    #: Jingles played before and after every audio edition made for this show (see jingles.py).
    intro_jingle_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    outro_jingle_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: Owner name and e-mail for itunes:owner and podcast:locked owner= (opt-in, public feeds only).
    owner_name: Mapped[str | None] = mapped_column(sa.String(255))
    owner_email: Mapped[str | None] = mapped_column(sa.String(254))
    #: Every episode is voiced by text-to-speech (podcast:txt purpose="ai-content").
    synthetic_voice: Mapped[bool] = mapped_column(default=False)
    #: Set when the show came from another host's RSS: the old feed URL.
    imported_from: Mapped[str | None] = mapped_column(sa.String(1000))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Bumped by every operation that changes the feed (part of the feed cache stamp).
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    artwork: Mapped[StoredFile | None] = relationship(foreign_keys=[artwork_id])
    intro_jingle: Mapped[StoredFile | None] = relationship(foreign_keys=[intro_jingle_id])
    outro_jingle: Mapped[StoredFile | None] = relationship(foreign_keys=[outro_jingle_id])
    episodes: Mapped[list["Episode"]] = relationship(
        back_populates="show", order_by="Episode.id", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    def __repr__(self) -> str:
        return f"<Show {self.id} {self.slug}>"


class Episode(db.Model):
    """An item of a show; its GUID is assigned once and stays reserved, even after deletion."""

    __tablename__ = "podcast_episodes"
    __table_args__ = (sa.UniqueConstraint("show_id", "source_kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(
        sa.ForeignKey("podcast_shows.id", ondelete="CASCADE"), index=True
    )
    #: The item's <guid>: never changed, never reused (deleted episodes keep their row).
    guid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    #: Markdown; rendered through nh3 (pages and feed).
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The description rendered to sanitised HTML when it is saved, so feeds need no Markdown
    #: pass per item. None on rows saved before this column existed: rendered when read.
    description_html: Mapped[str | None] = mapped_column(sa.Text)
    #: Publication date; None = draft. Items dated in the future stay out of feeds until due.
    pub_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    season: Mapped[int | None] = mapped_column()
    season_name: Mapped[str | None] = mapped_column(sa.String(128))
    number: Mapped[int | None] = mapped_column()
    episode_type: Mapped[EpisodeType] = mapped_column(_enum(EpisodeType), default=EpisodeType.FULL)
    explicit: Mapped[bool | None] = mapped_column()
    #: The recording: its current audio_edition rendition is the enclosure.
    asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_assets.id", ondelete="SET NULL"), index=True
    )
    #: Voiced by text-to-speech: disclosed with podcast:txt purpose="ai-content".
    synthetic_voice: Mapped[bool] = mapped_column(default=False)
    #: Speakers as [{"name", "role", "group", "href", "img"}]; replaces the show's hosts.
    persons: Mapped[list | None] = mapped_column(sa.JSON)
    #: What produced the episode (("session", 12), ("guide", 3), ("import", 0)…): the key that
    #: makes publish_episode update the same episode instead of minting a new GUID.
    source_kind: Mapped[str | None] = mapped_column(sa.String(32))
    source_id: Mapped[int | None] = mapped_column()
    #: Audio files that were this episode's enclosure before a re-encode: their URLs stay valid.
    retired_file_ids: Mapped[list | None] = mapped_column(sa.JSON)
    #: Soft deletion: out of every feed and page, GUID kept reserved.
    deleted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    show: Mapped[Show] = relationship(back_populates="episodes")
    asset: Mapped[MediaAsset | None] = relationship()

    @property
    def short_guid(self) -> str:
        """Return the GUID as a URL part (letters, digits and dashes only)."""
        return "".join(c if c.isalnum() or c == "-" else "-" for c in self.guid)[:80]

    @property
    def audio(self):
        """Return the current audio rendition when the media is ready, else None."""
        asset = self.asset
        if asset is None or asset.status != AssetStatus.READY:
            return None
        return asset.rendition(RenditionKind.AUDIO_EDITION)

    def is_live(self, now: datetime) -> bool:
        """Tell whether the episode belongs in feeds at ``now``."""
        return (
            self.deleted_dt is None
            and self.pub_dt is not None
            and self.pub_dt <= now
            and self.audio is not None
        )

    def __repr__(self) -> str:
        return f"<Episode {self.id} {self.guid}>"


class FeedToken(db.Model):
    """A member's secret for private feeds and their enclosures; stored hashed, revocable."""

    __tablename__ = "podcast_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token (app.auth.tokens.hash_token); the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class DownloadSalt(db.Model):
    """The day's secret salt for listener hashes; deleted after two days (rotation)."""

    __tablename__ = "podcast_download_salts"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    salt: Mapped[str] = mapped_column(sa.String(64))


class ListenerWindow(db.Model):
    """Bytes one listener asked for one episode within 24 h; counted once ≥ 1 minute of audio."""

    __tablename__ = "podcast_listener_windows"
    __table_args__ = (
        sa.Index("ix_podcast_listener_windows_lookup", "episode_id", "listener_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        sa.ForeignKey("podcast_episodes.id", ondelete="CASCADE")
    )
    show_id: Mapped[int] = mapped_column(sa.ForeignKey("podcast_shows.id", ondelete="CASCADE"))
    #: SHA-256 of (daily salt, IP truncated to /64 for IPv6, user agent): no raw IP is stored.
    listener_hash: Mapped[str] = mapped_column(sa.String(64))
    #: The podcast app, recognised from the user agent ("AntennaPod", "Apple Podcasts"…).
    app_name: Mapped[str] = mapped_column(sa.String(40), default="")
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: Byte ranges requested so far, merged: [[first, last], …] (inclusive).
    ranges: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Set when the window reached the threshold: this row is then one download.
    counted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Day of counted_dt (UTC), for the statistics' grouping.
    counted_day: Mapped[date | None] = mapped_column(sa.Date, index=True)


class ImportState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class FeedImport(db.Model):
    """One import of another host's podcast: the source, its progress and its errors.

    The page creates and commits it, then enqueues ``podcasts.import_feed``; the status page
    reads this row, never Celery results.
    """

    __tablename__ = "podcast_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The feed's address (fetched again by the worker), or None for an uploaded file.
    source_url: Mapped[str | None] = mapped_column(sa.String(1000))
    #: The uploaded RSS document, kept in storage for the worker (and for a retry).
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_files.id"))
    #: The show's address asked for on the form ("" = from the feed's title).
    slug: Mapped[str] = mapped_column(sa.String(120), default="")
    #: The owner confirmed an import despite podcast:locked yes.
    confirm_locked: Mapped[bool] = mapped_column(default=False)
    #: Run the audio through the media pipeline (loudness, tags) instead of publishing it as is.
    process: Mapped[bool] = mapped_column(default=True)
    state: Mapped[ImportState] = mapped_column(_enum(ImportState), default=ImportState.QUEUED)
    #: Episodes with an enclosure in the feed, and how many were handled (imported or failed).
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    #: Messages a person understands: one per episode that could not be imported, or the cause
    #: of the failure (app.core.i18n Messages, shown in the reader's language; old rows: text).
    errors: Mapped[list] = mapped_column(MessageJSON, default=list)
    #: The show being filled (set as soon as it exists, so a retry continues it).
    show_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("podcast_shows.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    file: Mapped[StoredFile | None] = relationship()
    show: Mapped[Show | None] = relationship()

    @property
    def is_finished(self) -> bool:
        return self.state in (ImportState.SUCCESS, ImportState.FAILED)
