"""The audio edition of a guide: one row per library resource, pointing at its media asset.

The audio itself lives in the media layer (a MediaAsset of kind audio whose current renditions are
the MP3, the JSON chapters and the transcripts); each generation is a ProcessingJob of type "tts"
on that asset. Section audio is cached on storage by content hash (app/tts/cache.py), not here.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, str_enum, utcnow
from app.extensions import db


class EditionStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class GuideEdition(db.Model):
    """The audio edition of one guide, its state and what its current audio was made from."""

    __tablename__ = "tts_guide_editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The guide (a library resource of kind "guide"); one edition per guide.
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), unique=True
    )
    #: The media asset whose current renditions are the edition (same asset across regenerations).
    asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_assets.id", ondelete="SET NULL"), index=True
    )
    #: State of the latest generation (the audio online stays until a new one succeeds).
    status: Mapped[EditionStatus] = mapped_column(
        str_enum(EditionStatus), default=EditionStatus.QUEUED
    )
    #: The latest generation job; an older job still running gives way to it.
    last_job_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_jobs.id", ondelete="SET NULL")
    )
    #: The revision the audio online was made from.
    revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("library_revisions.id", ondelete="SET NULL")
    )
    #: sha256 of the title and Markdown the audio online was made from.
    text_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: Engine, version and settings that spoke it (e.g. "espeak-ng:1.51:s160:p50").
    engine_id: Mapped[str | None] = mapped_column(sa.String(120))
    #: Voice as the engine names it ("fr", "fr_FR-siwis-medium").
    voice: Mapped[str | None] = mapped_column(sa.String(120))
    #: Duration of the MP3 online, in seconds.
    duration_s: Mapped[float | None] = mapped_column(sa.Float)
    #: The plain-text transcript of the audio online.
    transcript_file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: The "Guides audio" podcast episode (a plain id keeps the features decoupled).
    episode_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    #: Figures of the last successful build: sections, every section hash ("section_hashes",
    #: what the cache pruning keeps), the hashes synthesised that time, loudness.
    build_info: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Who last asked for a generation (None when a publication triggered it).
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource = relationship("Resource")
    asset = relationship("MediaAsset")
    last_job = relationship("ProcessingJob")
    transcript_file = relationship("StoredFile")

    def __repr__(self) -> str:
        return f"<GuideEdition {self.id} resource={self.resource_id} {self.status}>"
