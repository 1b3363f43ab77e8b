"""Se documenter: themes (shared by every feature), resources, revisions, old slugs, proposals.

Resource → published_revision is the text online; later revisions wait as ``pending`` until an
editor publishes them (FlaggedRevs / Approved Revs), so the approved text never changes under
readers while a contributor's edit is reviewed.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import MessageString, MessageText, UTCDateTime, str_enum, utcnow
from app.extensions import db


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "extract this, translate later"
    """Mark a string for the catalogue without translating it (it is stored, then translated
    where it is shown)."""
    return text


class Theme(db.Model):
    """A subject people come with ("tarification sociale"); every feature tags its content with it.

    Other features reference ``themes.id`` from their own association tables.
    """

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL part, stable (e.g. "tarification-sociale").
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: Name shown to people (French).
    name: Mapped[str] = mapped_column(sa.String(120))
    #: One or two sentences shown on the theme page (Markdown).
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Order in lists.
    position: Mapped[int] = mapped_column(default=0)
    #: Hidden themes are kept for old links but not offered when tagging.
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def label(self) -> str:
        """The name in the reader's language: a seeded theme whose name nobody changed is
        translated; names written by people are shown as written."""
        if SEED_NAMES.get(self.slug) == self.name:
            return gettext(self.name)
        return self.name

    def __repr__(self) -> str:
        return f"<Theme {self.slug}>"


#: The seeded themes, (slug, name), in menu order; see operations.seed_themes. The names are
#: stored in French and translated when shown (Theme.label).
SEED_THEMES = (
    ("evaluer-offre-demande", N_("Évaluer l'offre et la demande")),
    ("logistique", N_("Logistique")),
    ("outils-numeriques-de-vente", N_("Outils numériques de vente")),
    ("statut-juridique", N_("Statut juridique")),
    ("gouvernance", N_("Gouvernance")),
    ("tarification-sociale", N_("Tarification sociale")),
    ("reglementation-sanitaire", N_("Réglementation sanitaire")),
    ("donnees-personnelles", N_("Données personnelles")),
    ("environnement", N_("Environnement")),
)
SEED_NAMES = dict(SEED_THEMES)


class ResourceKind(enum.StrEnum):
    ARTICLE = "article"
    CASE_STUDY = "case_study"
    GUIDE = "guide"
    ANALYSIS = "analysis"
    TOOL_SHEET = "tool_sheet"
    EXTERNAL_LINK = "external_link"
    DOCUMENT = "document"
    AUDIO_VIDEO = "audio_video"


#: Labels of resource kinds, for forms, facets and badges.
KIND_LABELS = {
    ResourceKind.ARTICLE: _l("Article"),
    ResourceKind.CASE_STUDY: _l("Étude de cas / portrait"),
    ResourceKind.GUIDE: _l("Guide opérationnel"),
    ResourceKind.ANALYSIS: _l("Analyse transversale"),
    ResourceKind.TOOL_SHEET: _l("Fiche outil"),
    ResourceKind.EXTERNAL_LINK: _l("Lien externe"),
    ResourceKind.DOCUMENT: _l("Document (PDF)"),
    ResourceKind.AUDIO_VIDEO: _l("Audio / vidéo"),
}


class Origin(enum.StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class ResourceStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


#: Audiences a resource speaks to (key → label).
AUDIENCES = {
    "porteur-projet": _l("Porteur·se de projet"),
    "producteur": _l("Producteur·rice"),
    "epicerie-hub": _l("Épicerie / hub"),
    "collectivite": _l("Collectivité"),
    "accompagnateur": _l("Accompagnateur·rice"),
}

resource_themes = sa.Table(
    "library_resource_themes",
    db.metadata,
    sa.Column(
        "resource_id",
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Resource(db.Model):
    """A guide, case study, article, document or link in the library."""

    __tablename__ = "library_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Current URL part; older ones live in SlugHistory and redirect here.
    slug: Mapped[str] = mapped_column(sa.String(160), unique=True)
    #: Title of the published revision (copied on publication, for lists and search).
    title: Mapped[str] = mapped_column(sa.String(200))
    #: One-paragraph summary of the published revision (plain text).
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind), default=ResourceKind.ARTICLE)
    origin: Mapped[Origin] = mapped_column(str_enum(Origin, 10), default=Origin.INTERNAL)
    #: Who wrote it, for external resources ("ADEME", "Réseau Civam"…).
    source_organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Licence name or SPDX id ("CC BY-SA 4.0").
    licence: Mapped[str] = mapped_column(sa.String(80), default="")
    #: ISO 639-1 language of the text.
    language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    #: Target of an external link (http/https only).
    external_url: Mapped[str | None] = mapped_column(sa.String(1000))
    #: Cover image.
    cover_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: The PDF of a "document" resource (checked by content on upload).
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: Estimated reading (or listening/viewing) time in minutes.
    reading_minutes: Mapped[int | None]
    status: Mapped[ResourceStatus] = mapped_column(
        str_enum(ResourceStatus), default=ResourceStatus.DRAFT, index=True
    )
    #: The revision readers see; None until first published.
    published_revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("library_revisions.id", ondelete="SET NULL", use_alter=True)
    )
    #: When an editor last confirmed the content is still right ("vérifié le …").
    verified_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Days after verified_dt when the guide is due for review (None: never).
    review_interval_days: Mapped[int | None] = mapped_column(default=365)
    #: Last "is this guide still right?" reminder sent to editors, to avoid repeating it daily.
    review_reminded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Free territory labels ("National", "Auvergne-Rhône-Alpes", INSEE codes…).
    territories: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Keys of AUDIENCES.
    audiences: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: First publication (feeds sort on it).
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    themes: Mapped[list[Theme]] = relationship(secondary=resource_themes, order_by=Theme.position)
    cover = relationship("StoredFile", foreign_keys=[cover_id])
    document = relationship("StoredFile", foreign_keys=[document_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    published_revision: Mapped["Revision | None"] = relationship(
        foreign_keys=[published_revision_id], post_update=True
    )
    revisions: Mapped[list["Revision"]] = relationship(
        back_populates="resource",
        foreign_keys="Revision.resource_id",
        order_by="Revision.id",
        cascade="all, delete-orphan",
    )

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[ResourceKind(self.kind)])

    @property
    def is_published(self) -> bool:
        return self.status == ResourceStatus.PUBLISHED and self.published_revision_id is not None

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.slug}>"


class RevisionState(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class Revision(db.Model):
    """One saved version of a resource's text; never modified after saving, except its state."""

    __tablename__ = "library_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, 3… within the resource.
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: Markdown source; rendered with app.core.text.render_markdown (nh3).
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: What changed, in the author's words (a Message when the site wrote it: "Création").
    change_note: Mapped[str] = mapped_column(MessageString(300), default="")
    #: The revision the author started from: a newer one since means a conflicting edit.
    base_revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("library_revisions.id", ondelete="SET NULL")
    )
    state: Mapped[RevisionState] = mapped_column(
        str_enum(RevisionState), default=RevisionState.PENDING, index=True
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why a reviewer rejected it (sent to the author).
    review_message: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource: Mapped[Resource] = relationship(
        back_populates="revisions", foreign_keys=[resource_id]
    )
    author = relationship("User", foreign_keys=[author_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    base_revision = relationship("Revision", remote_side=[id], foreign_keys=[base_revision_id])

    __table_args__ = (sa.UniqueConstraint("resource_id", "number"),)

    def __repr__(self) -> str:
        return f"<Revision {self.resource_id}#{self.number} {self.state}>"


class SlugHistory(db.Model):
    """An old URL part of a resource, kept so old links keep working (BookStack SlugHistory)."""

    __tablename__ = "library_slug_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_slug: Mapped[str] = mapped_column(sa.String(160), unique=True)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), index=True
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(db.Model):
    """An image or file uploaded while editing a resource, linked from its Markdown."""

    __tablename__ = "library_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file = relationship("StoredFile")


class ProposalKind(enum.StrEnum):
    RESOURCE = "resource"
    COURSE = "course"
    EVENT = "event"
    DIRECTORY = "directory"


PROPOSAL_KIND_LABELS = {
    ProposalKind.RESOURCE: _l("une ressource"),
    ProposalKind.COURSE: _l("une formation"),
    ProposalKind.EVENT: _l("un évènement"),
    ProposalKind.DIRECTORY: _l("une fiche annuaire"),
}


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CHANGES_REQUESTED = "changes_requested"


class Proposal(db.Model):
    """Something a visitor or member suggests adding; moderators accept, decline or ask changes."""

    __tablename__ = "library_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProposalKind] = mapped_column(str_enum(ProposalKind), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: http(s) link to the thing proposed (a link or a file is required).
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: "Pourquoi c'est utile", one or two sentences.
    why: Mapped[str] = mapped_column(sa.Text, default="")
    submitter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: For visitors without an account; where decisions are sent.
    submitter_email: Mapped[str | None] = mapped_column(sa.String(254))
    submitter_name: Mapped[str] = mapped_column(sa.String(120), default="")
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus), default=ProposalStatus.PENDING, index=True
    )
    #: Message to the submitter (decline reason, changes requested, note on acceptance); a
    #: Message when the site wrote it ("Acceptée automatiquement.").
    moderator_message: Mapped[str] = mapped_column(MessageText, default="")
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: What accepting created ("library_resources", "courses_series"…) and its id.
    created_object_type: Mapped[str | None] = mapped_column(sa.String(60))
    created_object_id: Mapped[int | None]
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submitter = relationship("User", foreign_keys=[submitter_id])
    moderator = relationship("User", foreign_keys=[moderator_id])
    file = relationship("StoredFile")

    @property
    def kind_label(self) -> str:
        return str(PROPOSAL_KIND_LABELS[ProposalKind(self.kind)])

    @property
    def contact_email(self) -> str | None:
        return self.submitter.email if self.submitter else self.submitter_email
