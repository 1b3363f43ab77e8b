"""Library logic: themes, resources, revisions (wiki with review), files, review reminders.

Editors (moderators, animators, admins) publish; contributors' edits wait as pending revisions
while the published one stays online. Functions flush, never commit.
"""

import difflib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.core.db import utcnow
from app.core.i18n import Message
from app.core.signals import revision_published
from app.core.text import plain_text
from app.extensions import db
from app.library.models import (
    SEED_THEMES,
    Attachment,
    Origin,
    Resource,
    ResourceKind,
    ResourceStatus,
    Revision,
    RevisionState,
    SlugHistory,
    Theme,
)
from app.media.operations import store_file
from app.search.operations import index_document, remove_document
from app.search.text import strip_accents

#: Roles that may publish revisions, edit a resource's record and verify guides.
EDITOR_ROLES = (Role.MODERATOR, Role.ANIMATOR, Role.ADMIN)
#: Roles that may write: create drafts and propose edits (pending until an editor publishes).
WRITER_ROLES = (Role.CONTRIBUTOR, *EDITOR_ROLES)
#: Reading speed used to estimate reading time when the editor gives none.
WORDS_PER_MINUTE = 200

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"GIF87a": ("image/gif", "gif"),
    b"GIF89a": ("image/gif", "gif"),
}


class LibraryError(ValueError):
    """A request the library refuses, with a message a person understands."""


class EditConflict(LibraryError):
    """Someone saved a revision after the one the editor started from."""

    def __init__(self, latest: Revision):
        super().__init__(_("Quelqu'un a enregistré une autre version pendant votre modification."))
        self.latest = latest


def site_url(endpoint: str, *, external: bool = False, **values) -> str:
    """Build a URL, also outside a request (workers, CLI): SERVER_NAME or SITE_URL."""
    from flask import current_app, has_request_context, url_for

    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=external, **values)
    base = current_app.config.get("SITE_URL") or "http://localhost:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=external, **values)


def is_editor(user) -> bool:
    """Tell whether the account may publish revisions and edit records."""
    return bool(user and user.is_authenticated and user.has_role(*EDITOR_ROLES))


def is_writer(user) -> bool:
    """Tell whether the account may create drafts and propose edits."""
    return bool(user and user.is_authenticated and user.has_role(*WRITER_ROLES))


# --- themes ------------------------------------------------------------------------------------


def seed_themes() -> list[Theme]:
    """Create the seeded themes that are missing (idempotent); return them in order."""
    existing = {t.slug: t for t in db.session.execute(sa.select(Theme)).scalars()}
    themes = []
    for position, (slug, name) in enumerate(SEED_THEMES):
        theme = existing.get(slug)
        if theme is None:
            theme = Theme(slug=slug, name=name, position=position)
            db.session.add(theme)
        themes.append(theme)
    db.session.flush()
    return themes


def get_themes(active_only: bool = True) -> list[Theme]:
    """Return the themes in display order."""
    stmt = sa.select(Theme).order_by(Theme.position, Theme.name)
    if active_only:
        stmt = stmt.where(Theme.is_active.is_(True))
    return list(db.session.execute(stmt).scalars())


def get_theme(slug: str) -> Theme | None:
    return db.session.execute(sa.select(Theme).filter_by(slug=slug)).scalar_one_or_none()


# --- slugs -------------------------------------------------------------------------------------


def slugify(text: str, max_length: int = 80) -> str:
    """Make a URL part from a title ("Épicerie & co" → "epicerie-co")."""
    text = strip_accents(text or "").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:max_length].strip("-")
    return slug or "ressource"


def _slug_taken(slug: str, resource_id: int | None = None) -> bool:
    owner = db.session.execute(sa.select(Resource.id).filter_by(slug=slug)).scalar()
    if owner is not None and owner != resource_id:
        return True
    old = db.session.execute(sa.select(SlugHistory.resource_id).filter_by(old_slug=slug)).scalar()
    return old is not None and old != resource_id


def unique_slug(title: str, resource_id: int | None = None) -> str:
    """Return a free slug for a title, adding -2, -3… when needed."""
    base = slugify(title)
    slug, n = base, 1
    while _slug_taken(slug, resource_id):
        n += 1
        slug = f"{base}-{n}"
    return slug


def get_resource_by_slug(slug: str) -> tuple[Resource | None, bool]:
    """Find a resource by current or old slug; the flag tells whether the slug is an old one."""
    resource = db.session.execute(sa.select(Resource).filter_by(slug=slug)).scalar_one_or_none()
    if resource is not None:
        return resource, False
    old = db.session.execute(sa.select(SlugHistory).filter_by(old_slug=slug)).scalar_one_or_none()
    if old is None:
        return None, False
    return db.session.get(Resource, old.resource_id), True


def change_slug(resource: Resource, new_slug: str) -> None:
    """Give a resource a new URL, keeping the old one as a redirect."""
    new_slug = slugify(new_slug, max_length=160)
    if new_slug == resource.slug:
        return
    if _slug_taken(new_slug, resource.id):
        raise LibraryError(_("Cette adresse est déjà utilisée par une autre ressource."))
    # The new slug may be one of this resource's old ones: it is current again.
    db.session.execute(
        sa.delete(SlugHistory).where(
            SlugHistory.old_slug == new_slug, SlugHistory.resource_id == resource.id
        )
    )
    db.session.add(SlugHistory(old_slug=resource.slug, resource_id=resource.id))
    resource.slug = new_slug
    db.session.flush()
    index_resource(resource)


# --- resources and revisions -------------------------------------------------------------------


def create_resource(
    *,
    author: User | None,
    title: str,
    kind: ResourceKind | str = ResourceKind.ARTICLE,
    summary: str = "",
    body: str = "",
    origin: Origin | str = Origin.INTERNAL,
    external_url: str | None = None,
    source_organisation: str = "",
    licence: str = "",
    theme_ids: list[int] = (),
    audiences: list[str] = (),
    territories: list[str] = (),
    reading_minutes: int | None = None,
    change_note: str | Message = "",
) -> Resource:
    """Create a draft resource with its first revision (pending until an editor publishes)."""
    title = title.strip()
    if not title:
        raise LibraryError(_("Le titre est obligatoire."))
    resource = Resource(
        slug=unique_slug(title),
        title=title,
        summary=summary.strip(),
        kind=ResourceKind(kind),
        origin=Origin(origin),
        external_url=external_url or None,
        source_organisation=source_organisation.strip(),
        licence=licence.strip(),
        audiences=list(audiences),
        territories=list(territories),
        reading_minutes=reading_minutes,
        status=ResourceStatus.DRAFT,
        created_by=author,
    )
    if theme_ids:
        resource.themes = _themes_by_ids(theme_ids)
    db.session.add(resource)
    db.session.flush()
    revision = Revision(
        resource=resource,
        number=1,
        author=author,
        title=title,
        summary=summary.strip(),
        body=body,
        change_note=change_note or Message("Création"),
        state=RevisionState.PENDING,
    )
    db.session.add(revision)
    db.session.flush()
    return resource


def _themes_by_ids(theme_ids) -> list[Theme]:
    ids = {int(i) for i in theme_ids}
    return list(db.session.execute(sa.select(Theme).where(Theme.id.in_(ids))).scalars())


def latest_revision(resource: Resource) -> Revision | None:
    """Return the most recent revision, whatever its state."""
    return (
        db.session.execute(
            sa.select(Revision).filter_by(resource_id=resource.id).order_by(Revision.number.desc())
        )
        .scalars()
        .first()
    )


def pending_revisions(resource: Resource) -> list[Revision]:
    return list(
        db.session.execute(
            sa.select(Revision)
            .filter_by(resource_id=resource.id, state=RevisionState.PENDING)
            .order_by(Revision.number)
        ).scalars()
    )


def editing_base(resource: Resource) -> Revision | None:
    """The revision an edit form starts from: the latest non-rejected one (a waiting edit or
    the published text), so successive contributors build on each other's work."""
    return (
        db.session.execute(
            sa.select(Revision)
            .filter_by(resource_id=resource.id)
            .where(Revision.state != RevisionState.REJECTED)
            .order_by(Revision.number.desc())
        )
        .scalars()
        .first()
    )


def save_revision(
    resource: Resource,
    *,
    author: User,
    title: str,
    summary: str,
    body: str,
    change_note: str | Message = "",
    base_revision_id: int | None,
) -> Revision:
    """Save an edit as a new revision; editors' edits go online at once, others' wait.

    Raises EditConflict when a revision was saved after base_revision_id (nothing is saved, the
    caller shows both texts so the author can merge).
    """
    if not title.strip():
        raise LibraryError(_("Le titre est obligatoire."))
    # Lock the resource row so two simultaneous saves cannot both pass the conflict check.
    db.session.execute(sa.select(Resource.id).where(Resource.id == resource.id).with_for_update())
    base = editing_base(resource)
    if base is not None and base.id != base_revision_id:
        # A revision (waiting or published) was saved after the one this edit started from.
        raise EditConflict(base)
    latest = latest_revision(resource)
    revision = Revision(
        resource=resource,
        number=(latest.number + 1) if latest else 1,
        author=author,
        title=title.strip(),
        summary=summary.strip(),
        body=body,
        change_note=change_note if isinstance(change_note, Message) else change_note.strip(),
        base_revision_id=base_revision_id,
        state=RevisionState.PENDING,
    )
    db.session.add(revision)
    db.session.flush()
    if is_editor(author) and resource.status == ResourceStatus.PUBLISHED:
        publish_revision(revision, author)
    return revision


def publish_revision(revision: Revision, reviewer: User) -> Resource:
    """Put a revision online: it becomes the text readers see; the resource is published."""
    resource = revision.resource
    now = utcnow()
    revision.state = RevisionState.PUBLISHED
    revision.reviewed_by = reviewer
    revision.reviewed_dt = now
    # Waiting edits this revision was built on are part of what goes online: publish them too.
    ancestor = revision.base_revision
    while ancestor is not None and ancestor.state == RevisionState.PENDING:
        ancestor.state = RevisionState.PUBLISHED
        ancestor.reviewed_by = reviewer
        ancestor.reviewed_dt = now
        ancestor = ancestor.base_revision
    resource.published_revision = revision
    resource.title = revision.title
    resource.summary = revision.summary
    resource.status = ResourceStatus.PUBLISHED
    resource.published_dt = resource.published_dt or now
    resource.verified_dt = now
    resource.review_reminded_dt = None
    if not resource.reading_minutes and revision.body:
        resource.reading_minutes = max(1, round(len(revision.body.split()) / WORDS_PER_MINUTE))
    db.session.flush()
    index_resource(resource)
    # Listeners (audio editions of guides) enqueue their work after the caller commits.
    revision_published.send(resource, revision=revision)
    return resource


def reject_revision(revision: Revision, reviewer: User, message: str = "") -> None:
    """Turn down a pending edit; the published text stays as it is."""
    if revision.state != RevisionState.PENDING:
        raise LibraryError(_("Cette version a déjà été traitée."))
    revision.state = RevisionState.REJECTED
    revision.reviewed_by = reviewer
    revision.reviewed_dt = utcnow()
    revision.review_message = message.strip()
    db.session.flush()


def revert_to(resource: Resource, old: Revision, *, author: User) -> Revision:
    """Restore an old text as a new revision (history is never rewritten)."""
    base = editing_base(resource)
    return save_revision(
        resource,
        author=author,
        title=old.title,
        summary=old.summary,
        body=old.body,
        change_note=Message("Retour à la version %(number)s", number=old.number),
        base_revision_id=base.id if base else None,
    )


def update_record(
    resource: Resource,
    *,
    kind: str,
    origin: str,
    external_url: str | None,
    source_organisation: str,
    licence: str,
    language: str,
    theme_ids: list[int],
    audiences: list[str],
    territories: list[str],
    reading_minutes: int | None,
    review_interval_days: int | None,
    slug: str | None = None,
) -> None:
    """Update what describes a resource (editors only; the text goes through revisions)."""
    resource.kind = ResourceKind(kind)
    resource.origin = Origin(origin)
    resource.external_url = external_url or None
    resource.source_organisation = source_organisation.strip()
    resource.licence = licence.strip()
    resource.language = language or "fr"
    resource.themes = _themes_by_ids(theme_ids)
    resource.audiences = list(audiences)
    resource.territories = [t.strip() for t in territories if t.strip()]
    resource.reading_minutes = reading_minutes
    resource.review_interval_days = review_interval_days
    if slug:
        change_slug(resource, slug)
    db.session.flush()
    index_resource(resource)


def set_status(resource: Resource, status: ResourceStatus | str) -> None:
    """Archive a resource (out of lists and search, page kept) or bring it back."""
    status = ResourceStatus(status)
    if status == ResourceStatus.PUBLISHED and resource.published_revision_id is None:
        raise LibraryError(_("Publiez d'abord une version du texte."))
    resource.status = status
    db.session.flush()
    index_resource(resource)


def mark_verified(resource: Resource, user: User) -> None:
    """Record that an editor checked the content is still right today."""
    resource.verified_dt = utcnow()
    resource.review_reminded_dt = None
    db.session.flush()


def index_resource(resource: Resource) -> None:
    """Keep the resource's search entry in line with what readers can see."""
    revision = resource.published_revision
    if resource.status != ResourceStatus.PUBLISHED or revision is None:
        remove_document("resource", resource.id)
        return
    index_document(
        "resource",
        resource.id,
        title=revision.title,
        body=plain_text(revision.body),
        summary=revision.summary or plain_text(revision.body, limit=300),
        url=site_url("library.resource", slug=resource.slug),
        type=str(ResourceKind(resource.kind).value),
        theme_ids=[t.id for t in resource.themes],
        territory=resource.territories[0] if resource.territories else None,
        visibility="public",
        date_dt=resource.published_dt,
        language=resource.language,
    )


def list_published(
    *, kind: str | None = None, theme: Theme | None = None, limit: int | None = None
) -> list[Resource]:
    """Published resources, newest first."""
    stmt = (
        sa.select(Resource)
        .where(Resource.status == ResourceStatus.PUBLISHED)
        .order_by(Resource.published_dt.desc(), Resource.id.desc())
    )
    if kind:
        stmt = stmt.where(Resource.kind == kind)
    if theme is not None:
        stmt = stmt.where(Resource.themes.any(Theme.id == theme.id))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.execute(stmt).scalars())


# --- diff --------------------------------------------------------------------------------------


@dataclass
class DiffLine:
    #: "same", "added", "removed"
    op: str
    old_number: int | None
    new_number: int | None
    text: str


def diff_lines(old: str, new: str, context: int = 3) -> list[DiffLine | None]:
    """Compare two texts line by line; None marks skipped unchanged lines."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    out: list[DiffLine | None] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if out:
            out.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine("same", i + 1, j1 + (i - i1) + 1, a[i]) for i in range(i1, i2))
                continue
            if tag in ("replace", "delete"):
                out.extend(DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                out.extend(DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2))
    return out


# --- files -------------------------------------------------------------------------------------


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """Return (mime, extension) for PNG/JPEG/GIF/WebP content, None otherwise."""
    for magic, found in IMAGE_TYPES.items():
        if head.startswith(magic):
            return found
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def is_pdf(head: bytes) -> bool:
    """Tell whether content is a PDF by its magic bytes (extensions and browsers' types lie)."""
    return head.startswith(b"%PDF-")


def _read_head(fileobj: BinaryIO) -> bytes:
    head = fileobj.read(16)
    fileobj.seek(0)
    return head


def _stem(filename: str) -> str:
    stem = (filename or "fichier").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    return slugify(stem, max_length=60) or "fichier"


def add_attachment(resource: Resource, fileobj: BinaryIO, filename: str, *, user: User):
    """Store an image or PDF for use in the resource's Markdown; checked by content."""
    head = _read_head(fileobj)
    found = sniff_image(head)
    if found is None and is_pdf(head):
        found = ("application/pdf", "pdf")
    if found is None:
        raise LibraryError(
            _("Seules les images (PNG, JPEG, GIF, WebP) et les documents PDF sont acceptés.")
        )
    mime, ext = found
    stored = store_file(
        fileobj, f"{_stem(filename)}.{ext}", prefix="library/attachments", content_type=mime
    )
    attachment = Attachment(resource_id=resource.id, file=stored, uploaded_by_id=user.id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def set_document(resource: Resource, fileobj: BinaryIO, filename: str) -> None:
    """Attach the PDF of a "document" resource, refusing anything that is not a PDF."""
    if not is_pdf(_read_head(fileobj)):
        raise LibraryError(
            _("Ce fichier n'est pas un PDF valide (son contenu ne commence pas par l'en-tête PDF).")
        )
    resource.document = store_file(
        fileobj,
        f"{_stem(filename)}.pdf",
        prefix="library/documents",
        content_type="application/pdf",
    )
    db.session.flush()


def set_cover(resource: Resource, fileobj: BinaryIO, filename: str) -> None:
    """Set the cover image (PNG, JPEG, GIF or WebP, checked by content)."""
    found = sniff_image(_read_head(fileobj))
    if found is None:
        raise LibraryError(_("L'image de couverture doit être un PNG, JPEG, GIF ou WebP."))
    mime, ext = found
    resource.cover = store_file(
        fileobj, f"{_stem(filename)}.{ext}", prefix="library/covers", content_type=mime
    )
    db.session.flush()


# --- review reminders --------------------------------------------------------------------------


def due_for_review(now=None) -> list[Resource]:
    """Published resources whose "vérifié le" date is older than their review interval."""
    now = now or utcnow()
    candidates = db.session.execute(
        sa.select(Resource).where(
            Resource.status == ResourceStatus.PUBLISHED,
            Resource.review_interval_days.is_not(None),
        )
    ).scalars()
    due = []
    for resource in candidates:
        checked = resource.verified_dt or resource.published_dt
        if checked and checked + timedelta(days=resource.review_interval_days) <= now:
            due.append(resource)
    return due


def editors() -> list[User]:
    """Enabled accounts that may publish (they receive review reminders)."""
    return list(
        db.session.execute(
            sa.select(User).where(User.role.in_(EDITOR_ROLES), User.is_enabled.is_(True))
        ).scalars()
    )


def reminders_to_send(now=None, repeat_days: int = 30) -> list[Resource]:
    """Resources due for review whose editors were not reminded in the last repeat_days."""
    now = now or utcnow()
    return [
        r
        for r in due_for_review(now)
        if r.review_reminded_dt is None or r.review_reminded_dt + timedelta(days=repeat_days) <= now
    ]
