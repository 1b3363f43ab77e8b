"""Stored files: every file row names its backend and key, so it stays readable after a change."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
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
