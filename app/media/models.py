"""Stored files: every file row names its backend and key, so it stays readable after a change."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, str_enum, utcnow
from app.core.i18n import Message, MessageText
from app.extensions import db


class StoredFile(db.Model):
    """A file kept in storage (an original upload, a rendition, a cover, an attachment)."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Storage backend holding the bytes ("local" or "s3").
    backend: Mapped[str] = mapped_column(sa.String(16))
    #: Key inside the backend; never reused for other content.
    key: Mapped[str] = mapped_column(sa.String(512), unique=True)
    #: The name the uploader gave it, for downloads (never used as a path).
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    content_type: Mapped[str] = mapped_column(sa.String(120), default="application/octet-stream")
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: Hex SHA-256 of the content, when known.
    sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def extension(self) -> str:
        """Return the key's extension without the dot ("mp3", "mp4"…)."""
        tail = self.key.rsplit("/", 1)[-1]
        return tail.rsplit(".", 1)[-1].lower() if "." in tail else ""


class AssetKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


class AssetStatus(enum.StrEnum):
    UPLOADING = "uploading"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class RenditionKind(enum.StrEnum):
    WEB_VIDEO = "web_video"  # MP4 H.264/AAC, faststart
    AUDIO_EDITION = "audio_edition"  # MP3, loudness-normalised, tagged, chaptered
    POSTER = "poster"
    STORYBOARD = "storyboard"
    WAVEFORM = "waveform"  # peaks JSON
    CHAPTERS = "chapters"  # JSON chapters 1.2
    TRANSCRIPT_VTT = "transcript_vtt"
    TRANSCRIPT_SRT = "transcript_srt"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class MediaAsset(db.Model):
    """A recording (webinar, interview, synthesised guide): its original and its renditions."""

    __tablename__ = "media_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    kind: Mapped[AssetKind] = mapped_column(str_enum(AssetKind), default=AssetKind.VIDEO)
    status: Mapped[AssetStatus] = mapped_column(
        str_enum(AssetStatus), default=AssetStatus.UPLOADING
    )
    #: Who uploaded it (animators), if anyone.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The original upload, kept untouched.
    original_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_files.id"))
    #: Duration in seconds, from the probe.
    duration_s: Mapped[float | None] = mapped_column(sa.Float)
    #: The ffprobe summary of the original (codecs, size, streams).
    probe: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Chapters as [{"start": seconds, "title": str}], from the session outline or the guide.
    chapters: Mapped[list | None] = mapped_column(sa.JSON)
    #: The edit ("montage") to apply: {"trim_start": s, "trim_end": s, "cuts": [[a, b], …]}.
    edit: Mapped[dict | None] = mapped_column(sa.JSON)
    #: What the recording is for, given at upload (e.g. "session:12"); read by ready listeners.
    target: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    #: True: anyone may fetch the renditions; False: the owner, staff and signed URLs only.
    is_public: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    original: Mapped[StoredFile | None] = relationship(foreign_keys=[original_id])
    renditions: Mapped[list["Rendition"]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="Rendition.id"
    )
    jobs: Mapped[list["ProcessingJob"]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="ProcessingJob.id"
    )

    def rendition(self, kind: RenditionKind | str) -> "Rendition | None":
        """Return the current rendition of a kind (the newest one), if any."""
        matches = [r for r in self.renditions if r.kind == RenditionKind(kind) and r.is_current]
        return matches[-1] if matches else None

    def base_rendition(self, kind: RenditionKind | str) -> "Rendition | None":
        """Return the newest rendition of a kind made from the unedited recording (the montage
        cuts from it)."""
        kind = RenditionKind(kind)
        candidates = [
            r for r in self.renditions if r.kind == kind and not (r.info or {}).get("edit")
        ]
        current = [r for r in candidates if r.is_current]
        pool = current or candidates
        return pool[-1] if pool else None


class Rendition(db.Model):
    """A file derived from an asset's original; replaced, never overwritten, on reprocessing."""

    __tablename__ = "media_renditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        sa.ForeignKey("media_assets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RenditionKind] = mapped_column(str_enum(RenditionKind, 32))
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"))
    #: False once a newer rendition of the same kind replaced it (kept until cleanup).
    is_current: Mapped[bool] = mapped_column(default=True)
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    #: Duration in seconds as measured on this file.
    duration_s: Mapped[float | None] = mapped_column(sa.Float)
    bitrate: Mapped[int | None] = mapped_column()
    #: Measurements (loudness, true peak…) and other facts about the file.
    info: Mapped[dict | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    asset: Mapped[MediaAsset] = relationship(back_populates="renditions")
    file: Mapped[StoredFile] = relationship()


class ProcessingJob(db.Model):
    """One run of the pipeline on an asset: the UI's source of truth about processing."""

    __tablename__ = "media_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        sa.ForeignKey("media_assets.id", ondelete="CASCADE"), index=True
    )
    #: What to do: "process", "reprocess", "edit", "tts"…
    job_type: Mapped[str] = mapped_column(sa.String(32), default="process")
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.QUEUED, index=True)
    #: Current step ("probe", "web_video", "audio_edition"…).
    step: Mapped[str] = mapped_column(sa.String(40), default="")
    #: 0.0 → 1.0 over the whole job.
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    eta_s: Mapped[float | None] = mapped_column(sa.Float)
    attempts: Mapped[int] = mapped_column(default=0)
    #: A sentence a person understands, set on failure: a Message (msgid and values as JSON in a
    #: text column), shown in each reader's language.
    error: Mapped[Message | str | None] = mapped_column(MessageText)
    #: The exact commands run, in order.
    commands: Mapped[list | None] = mapped_column(sa.JSON)
    #: The last lines of the tool's log.
    log_tail: Mapped[str | None] = mapped_column(sa.Text)
    #: Seconds spent per step.
    timings: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Inputs frozen when the job was queued (e.g. the edit an "edit" job applies).
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    #: The Celery worker (hostname) running or last running the job.
    worker: Mapped[str | None] = mapped_column(sa.String(255))
    #: Last sign of life from the worker; the sweeper re-queues jobs whose heartbeat stopped.
    heartbeat_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    asset: Mapped[MediaAsset] = relationship(back_populates="jobs")


class Upload(db.Model):
    """A resumable (tus 1.0) upload in progress; becomes a MediaAsset when the last byte lands."""

    __tablename__ = "media_uploads"

    #: Random hex id, also the last segment of the upload URL.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: Upload-Length declared at creation (bytes).
    length: Mapped[int] = mapped_column(sa.BigInteger)
    #: Bytes received and stored so far (tus Upload-Offset).
    offset: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: Decoded Upload-Metadata (filename, filetype, title, target).
    meta: Mapped[dict | None] = mapped_column(sa.JSON)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    content_type: Mapped[str] = mapped_column(sa.String(120), default="application/octet-stream")
    #: Storage backend and final key of the original once complete.
    backend: Mapped[str] = mapped_column(sa.String(16))
    key: Mapped[str] = mapped_column(sa.String(512))
    #: Backend bookkeeping of the appendable upload (S3: multipart upload id and parts).
    session: Mapped[dict | None] = mapped_column(sa.JSON)
    #: The asset the upload became (or the existing one when the same file was sent before).
    asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_assets.id", ondelete="SET NULL")
    )
    #: True when the bytes matched an existing original and that asset was reused.
    duplicate: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Abandoned uploads are swept after this (extended by each PATCH).
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    completed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    asset: Mapped[MediaAsset | None] = relationship()

    @property
    def is_complete(self) -> bool:
        """Return True once every declared byte arrived."""
        return self.offset >= self.length
