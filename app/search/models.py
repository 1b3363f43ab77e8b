"""The site-wide search index: one row per searchable object, fed by every feature.

The full-text part lives outside the ORM because it differs per database (see app.search.ddl):
an FTS5 table ``search_fts`` on SQLite, a generated ``tsv`` column with a GIN index on PostgreSQL.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

search_document_themes = sa.Table(
    "search_document_themes",
    db.metadata,
    sa.Column(
        "document_id", sa.ForeignKey("search_documents.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_search_document_themes_theme_id", "theme_id"),
)


class SearchDocument(db.Model):
    """What search knows about one object of some feature (a resource, a course, an episode…)."""

    __tablename__ = "search_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Which feature object this is: see app.search.operations.KINDS ("resource", "episode"…).
    kind: Mapped[str] = mapped_column(sa.String(30))
    #: The object's primary key in its own table.
    object_id: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    #: Short plain text shown when the match is only in the title.
    summary: Mapped[str] = mapped_column(sa.String(600), default="")
    #: Finer type inside the kind ("guide", "webinaire", "replay"…), shown as a badge.
    type: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Territory label or code for the territory facet ("National", "Occitanie"…).
    territory: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    #: Site-relative URL of the object's page.
    url: Mapped[str] = mapped_column(sa.String(500))
    #: "public" (everyone) or "members" (signed-in accounts only).
    visibility: Mapped[str] = mapped_column(sa.String(10), default="public")
    #: The date that matters for this object (publication, event start), for sorting.
    date_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Plain text searched and quoted in snippets (Markdown already flattened). Last column on
    #: purpose: SQLite reads the short filter columns without walking a long body's overflow pages.
    body: Mapped[str] = mapped_column(sa.Text, default="")

    themes = relationship("Theme", secondary=search_document_themes, lazy="selectin")

    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id", name="uq_search_documents_kind_object"),
        sa.Index("ix_search_documents_kind_date", "kind", "date_dt"),
    )

    def __repr__(self) -> str:
        return f"<SearchDocument {self.kind}:{self.object_id}>"
