"""Podcast logic: shows, episodes, GUIDs, private feed tokens. Flushes, never commits.

Other features publish through two calls:

- ``get_or_create_show(slug, **fields)`` returns the show with that slug, creating it with the
  given fields (its ``podcast:guid`` is assigned there, once, from its public feed URL);
- ``publish_episode(show, *, source=(kind, id), title=…, asset=…, …)`` creates or updates the
  episode produced by ``source``: the same source always maps to the same episode, so its GUID
  survives regenerations; a new asset (a re-encode) gives a new enclosure URL, never a new GUID.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO

import sqlalchemy as sa
from flask import url_for

from app.auth.models import Role, User
from app.auth.tokens import hash_token, new_token
from app.core.db import utcnow
from app.core.i18n import Message
from app.core.text import render_markdown
from app.extensions import db
from app.media.models import MediaAsset
from app.media.operations import store_file
from app.podcasts.artwork import build_placeholder_artwork, build_square_artwork
from app.podcasts.jingles import jingles_metadata
from app.podcasts.models import (
    Episode,
    EpisodeType,
    FeedToken,
    Show,
    ShowKind,
    ShowType,
    Visibility,
)
from feeds.apple_categories import APPLE_CATEGORIES, check_apple_category
from feeds.namespaces import compute_podcast_guid
from feeds.types import FeedError

#: Namespace of episode GUIDs derived from a seed (uuid5(namespace, "<podcast guid>/<seed>")).
EPISODE_GUID_NAMESPACE = uuid.UUID("0b1c9a8e-54a1-4f7e-9a53-3c9d7f0e2a11")

SHOW_FIELDS = {
    "title",
    "description",
    "language",
    "author",
    "apple_category",
    "apple_subcategory",
    "explicit",
    "show_type",
    "locked",
    "medium",
    "persons",
    "visibility",
    "kind",
    "course_id",
    "owner_name",
    "owner_email",
    "synthetic_voice",
    "imported_from",
    "created_by_id",
}


#: Slugs the podcast pages and feed routes already use.
RESERVED_SLUGS = frozenset(
    {"embed", "oembed", "mon-flux", "gestion", "private", "artwork", "e", "shows", "static"}
)


class PodcastError(ValueError):
    """A request the podcast feature refuses, with a message a person understands.

    The message is a :class:`~app.core.i18n.Message`: ``str(exc)`` reads in the reader's language
    on a page, and an import worker can store ``exc.args[0]`` to show it later.
    """


def slugify(text: str) -> str:
    """Return a URL slug: lowercase ASCII words joined by dashes."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100] or "podcast"


# Shows ---------------------------------------------------------------------------------------


def get_show(slug: str) -> Show | None:
    """Return the show with that slug, if any."""
    return db.session.scalar(sa.select(Show).where(Show.slug == slug))


def public_feed_url(slug: str) -> str:
    """Return the absolute URL of a show's public feed."""
    return url_for("feeds.show_feed", slug=slug, _external=True)


def get_or_create_show(slug: str, **fields) -> Show:
    """Return the show ``slug``, creating it with ``fields`` (podcast:guid assigned once).

    Fields: title, description (Markdown), language, author, apple_category, apple_subcategory,
    explicit, show_type ("episodic"/"serial"), locked, medium ("podcast", "course"…), persons
    ([{"name", "role", "group"}]), visibility ("public"/"registered"/"members"), kind
    ("standalone"/"course"/"guides"), course_id, owner_name, owner_email, synthetic_voice.
    An existing show is returned unchanged (use ``update_show`` to change it).
    """
    show = get_show(slug)
    if show is not None:
        return show
    return create_show(slug=slug, **fields)


def get_or_create_course_show(
    course_id: int, course_slug: str, title: str, description: str = "", **fields
) -> Show:
    """Return the feed of a course published as a podcast (medium course, serial), creating it.

    Sessions become episodes with ``publish_episode(show, source=("session", session_id),
    number=<position in the series>, season=<edition>, season_name=…, asset=<replay asset>)``.
    """
    show = db.session.scalar(sa.select(Show).where(Show.course_id == course_id))
    if show is not None:
        return show
    fields.setdefault("apple_category", "Education")
    fields.setdefault("apple_subcategory", "Courses")
    return create_show(
        slug=course_slug,
        title=title,
        description=description,
        kind=ShowKind.COURSE,
        course_id=course_id,
        medium="course",
        show_type=ShowType.SERIAL,
        **fields,
    )


def create_show(
    *,
    slug: str | None = None,
    title: str,
    podcast_guid: str | None = None,
    now: datetime | None = None,
    **fields,
) -> Show:
    """Create a show with a placeholder artwork; its podcast:guid is computed now and stored."""
    slug = slug or slugify(title)
    if slug in RESERVED_SLUGS:
        raise PodcastError(
            Message("L'adresse « %(slug)s » est réservée : choisissez-en une autre.", slug=slug)
        )
    if get_show(slug) is not None:
        raise PodcastError(
            Message("L'adresse « %(slug)s » est déjà prise par une autre émission.", slug=slug)
        )
    show = Show(slug=slug, title=title.strip())
    _apply_show_fields(show, fields)
    if show.kind == ShowKind.COURSE:
        show.medium = fields.get("medium", "course")
        show.show_type = ShowType(fields.get("show_type", ShowType.SERIAL))
        show.apple_category = fields.get("apple_category", "Education")
        show.apple_subcategory = fields.get("apple_subcategory", "Courses")
    if show.kind == ShowKind.GUIDES and "synthetic_voice" not in fields:
        show.synthetic_voice = True
    show.podcast_guid = podcast_guid or compute_podcast_guid(public_feed_url(slug))
    show.created_dt = show.updated_dt = now or utcnow()
    db.session.add(show)
    db.session.flush()
    _store_artwork(show, build_placeholder_artwork(show.title), 1400)
    return show


def update_show(show: Show, *, now: datetime | None = None, **fields) -> Show:
    """Change a show's fields (never its slug nor its podcast:guid)."""
    _apply_show_fields(show, fields)
    touch_show(show, now)
    return show


def _apply_show_fields(show: Show, fields: dict) -> None:
    unknown = set(fields) - SHOW_FIELDS
    if unknown:
        raise TypeError(f"unknown show fields: {sorted(unknown)}")
    for name, value in fields.items():
        if name == "show_type":
            value = ShowType(value)
        elif name == "visibility":
            value = Visibility(value)
        elif name == "kind":
            value = ShowKind(value)
        elif name in ("title", "author") and value is not None:
            value = value.strip()
        setattr(show, name, value)
    category = show.apple_category or "Education"
    try:
        check_apple_category(category, show.apple_subcategory)
    except FeedError:
        if category not in APPLE_CATEGORIES:
            raise PodcastError(
                Message(
                    "« %(category)s » n'est pas une catégorie Apple Podcasts.", category=category
                )
            ) from None
        raise PodcastError(
            Message(
                "« %(subcategory)s » n'est pas une sous-catégorie Apple de « %(category)s ».",
                subcategory=show.apple_subcategory,
                category=category,
            )
        ) from None


def set_show_artwork(show: Show, source: BinaryIO, *, now: datetime | None = None) -> Show:
    """Turn an uploaded cover into the square artwork (a new file, so a new URL)."""
    data, side = build_square_artwork(source)
    _store_artwork(show, data, side)
    touch_show(show, now)
    return show


def _store_artwork(show: Show, data: bytes, side: int) -> None:
    stored = store_file(
        io.BytesIO(data),
        f"{show.slug}-{side}.jpg",
        prefix="podcasts/artwork",
        content_type="image/jpeg",
    )
    show.artwork = stored
    show.artwork_size = side
    db.session.flush()


def touch_show(show: Show, now: datetime | None = None) -> None:
    """Mark the show's feed as changed (its cache stamp moves)."""
    show.updated_dt = max(now or utcnow(), show.updated_dt or utcnow())
    db.session.flush()


def list_public_shows() -> list[Show]:
    """Return the public shows, by title."""
    return list(
        db.session.scalars(
            sa.select(Show).where(Show.visibility == Visibility.PUBLIC).order_by(Show.title)
        )
    )


def can_listen(user: User | None, show: Show) -> bool:
    """Tell whether someone may listen to a show (public, any account, or members)."""
    if show.visibility == Visibility.PUBLIC:
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if show.visibility == Visibility.REGISTERED:
        return True
    if user.has_role(Role.CONTRIBUTOR, Role.ANIMATOR, Role.MODERATOR):
        return True
    return show.course_id is not None and _follows_course(user, show.course_id)


def _follows_course(user: User, course_id: int) -> bool:
    """Tell whether the user has a confirmed place in the course (when courses are installed)."""
    from flask import current_app

    if "courses.catalogue" not in current_app.view_functions:
        return False
    from app.courses.models import RegistrationStatus
    from app.courses.operations import get_registration

    registration = get_registration(course_id, user.id)
    return registration is not None and registration.status == RegistrationStatus.CONFIRMED


def get_course_show(course_id: int) -> Show | None:
    """Return the podcast feed of a course, if the course is published as a podcast."""
    return db.session.scalar(sa.select(Show).where(Show.course_id == course_id))


def can_manage(user: User | None) -> bool:
    """Tell whether someone runs shows (animators, admins)."""
    return bool(user is not None and user.is_authenticated and user.has_role(Role.ANIMATOR))


# Episodes ------------------------------------------------------------------------------------


def episode_guid(show: Show, seed: str) -> str:
    """Return the GUID an episode gets from a stable seed (same seed → same GUID)."""
    return str(uuid.uuid5(EPISODE_GUID_NAMESPACE, f"{show.podcast_guid}/{seed}"))


def get_episode(episode_id: int) -> Episode | None:
    """Return an episode by id (deleted ones included)."""
    return db.session.get(Episode, episode_id)


def get_episode_by_guid(guid: str) -> Episode | None:
    """Return an episode by GUID (deleted ones included)."""
    return db.session.scalar(sa.select(Episode).where(Episode.guid == guid))


def publish_episode(
    show: Show,
    *,
    title: str,
    asset: MediaAsset | None = None,
    description: str = "",
    pub_dt: datetime | None = None,
    guid_seed: str | None = None,
    guid: str | None = None,
    season: int | None = None,
    season_name: str | None = None,
    number: int | None = None,
    episode_type: str = "full",
    explicit: bool | None = None,
    synthetic_voice: bool = False,
    persons: Iterable[dict] | None = None,
    source: tuple[str, int] | None = None,
    now: datetime | None = None,
) -> Episode:
    """Create or update the episode of ``source`` (or ``guid_seed``) and date it.

    The episode is found by ``source`` ((kind, id), e.g. ("session", 12)), else by the GUID that
    ``guid`` or ``guid_seed`` designates; it is created only when none exists. Its GUID is
    assigned at creation (``guid`` as given — imports keep theirs —, else derived from
    ``guid_seed``, else random) and never changes afterwards. Passing another ``asset`` (a
    re-encode) changes the enclosure URL but keeps the GUID. ``pub_dt`` None keeps the current
    date, or makes a new episode a draft. The episode reaches feeds once ``pub_dt`` is due and the
    asset is ready with an audio edition. A deleted episode stays deleted (``restore_episode``).
    """
    now = now or utcnow()
    episode = None
    if source is not None:
        episode = db.session.scalar(
            sa.select(Episode).where(
                Episode.show_id == show.id,
                Episode.source_kind == source[0],
                Episode.source_id == int(source[1]),
            )
        )
    wanted_guid = guid or (episode_guid(show, guid_seed) if guid_seed else None)
    if episode is None and wanted_guid:
        episode = get_episode_by_guid(wanted_guid)
        if episode is not None and episode.show_id != show.id:
            raise PodcastError(
                Message("Le GUID %(guid)s appartient déjà à une autre émission.", guid=wanted_guid)
            )
    if episode is None:
        episode = Episode(show=show, guid=wanted_guid or str(uuid.uuid4()), created_dt=now)
        if source is not None:
            episode.source_kind, episode.source_id = source[0], int(source[1])
        db.session.add(episode)
    if not title or not title.strip():
        raise PodcastError(Message("Un épisode a besoin d'un titre."))
    episode.title = title.strip()[:255]
    episode.description = description or ""
    episode.description_html = str(render_markdown(episode.description))
    if asset is not None and asset is not episode.asset:
        old = episode.audio
        if old is not None:
            episode.retired_file_ids = [*(episode.retired_file_ids or []), old.file_id]
        episode.asset = asset
    if pub_dt is not None:
        episode.pub_dt = pub_dt
    for value in (season, number):
        if value is not None and (isinstance(value, bool) or int(value) <= 0):
            raise PodcastError(
                Message("Les numéros de saison et d'épisode sont des entiers positifs.")
            )
    episode.season, episode.season_name, episode.number = season, season_name, number
    episode.episode_type = EpisodeType(episode_type)
    episode.explicit = explicit
    episode.synthetic_voice = bool(synthetic_voice or show.synthetic_voice)
    episode.persons = list(persons) if persons else None
    episode.updated_dt = now
    touch_show(show, now)
    return episode


def schedule_episode(episode: Episode, pub_dt: datetime | None, *, now: datetime | None = None):
    """Set (or clear, back to draft) an episode's publication date."""
    episode.pub_dt = pub_dt
    episode.updated_dt = now or utcnow()
    touch_show(episode.show, now)
    return episode


def delete_episode(episode: Episode, *, now: datetime | None = None) -> Episode:
    """Take an episode out of every feed and page; its row and GUID stay reserved."""
    episode.deleted_dt = now or utcnow()
    episode.updated_dt = episode.deleted_dt
    touch_show(episode.show, now)
    return episode


def restore_episode(episode: Episode, *, now: datetime | None = None) -> Episode:
    """Bring a deleted episode back, same GUID."""
    episode.deleted_dt = None
    episode.updated_dt = now or utcnow()
    touch_show(episode.show, now)
    return episode


def live_episodes(show: Show, now: datetime | None = None) -> list[Episode]:
    """Return the episodes currently in the show's feed, newest first (eager-loaded)."""
    from app.podcasts.syndication import load_episodes

    now = now or utcnow()
    episodes = [e for e in load_episodes(show) if e.is_live(now)]
    return sorted(episodes, key=lambda e: (e.pub_dt, e.id), reverse=True)


# Private feed tokens -------------------------------------------------------------------------


def issue_feed_token(user: User, *, now: datetime | None = None) -> tuple[str, FeedToken]:
    """Revoke the user's current token and return a new (token, row); the token is shown once."""
    revoke_feed_tokens(user, now=now)
    token, digest = new_token("pf_")
    row = FeedToken(user_id=user.id, token_hash=digest, created_dt=now or utcnow())
    db.session.add(row)
    db.session.flush()
    return token, row


def revoke_feed_tokens(user: User, *, now: datetime | None = None) -> int:
    """Revoke every live token of the user; old private feed URLs stop working at once."""
    rows = db.session.scalars(
        sa.select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_dt.is_(None))
    ).all()
    for row in rows:
        row.revoked_dt = now or utcnow()
    db.session.flush()
    return len(rows)


def active_feed_token(user: User) -> FeedToken | None:
    """Return the user's live token row, if any."""
    return db.session.scalar(
        sa.select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_dt.is_(None))
    )


def get_feed_token(token: str) -> FeedToken | None:
    """Return the live token row for a presented token: one indexed lookup by hash."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(sa.select(FeedToken).where(FeedToken.token_hash == hash_token(token)))
    if row is None or row.revoked_dt is not None:
        return None
    return row


# Media pipeline hooks ------------------------------------------------------------------------

#: Upload target naming the show a recording is for ("podcast:<show slug>").
TARGET_PREFIX = "podcast:"


def upload_target(show: Show) -> str:
    """Return the media upload target that files a recording under a show."""
    return f"{TARGET_PREFIX}{show.slug}"


def _target_show(asset: MediaAsset) -> Show | None:
    target = getattr(asset, "target", None) or ""
    if not target.startswith(TARGET_PREFIX):
        return None
    return get_show(target.removeprefix(TARGET_PREFIX))


def _course_show(asset: MediaAsset) -> Show | None:
    """The podcast of the course whose session this recording is for, if any."""
    from app.courses.replays import session_of_asset

    session = session_of_asset(asset)
    return get_course_show(session.course_id) if session is not None else None


def on_asset_ready(asset: MediaAsset) -> Episode | None:
    """Give a recording uploaded for a show its draft episode (once); flushes.

    Episodes that already use the asset need nothing: the feed notices the asset is ready.
    """
    show = _target_show(asset)
    if show is None:
        return None
    existing = db.session.scalar(sa.select(Episode).where(Episode.asset_id == asset.id))
    if existing is not None:
        return existing
    return publish_episode(
        show, title=asset.title or show.title, asset=asset, source=("asset", asset.id)
    )


def asset_metadata(asset: MediaAsset) -> dict:
    """Tell the pipeline what to write in the ID3 tag of a show's recording."""
    show = _target_show(asset)
    episode = db.session.scalar(sa.select(Episode).where(Episode.asset_id == asset.id))
    if show is None and episode is not None:
        show = episode.show
    if show is None:
        # A course's replay: the course's podcast (if it has one) gives only its jingles.
        return jingles_metadata(_course_show(asset))
    meta: dict = {"series": show.title, **jingles_metadata(show)}
    persons = (episode.persons if episode is not None else None) or show.persons or []
    if persons:
        meta["speakers"] = [p["name"] for p in persons if p.get("name")]
    if show.artwork is not None:
        from app.media.storage import get_storage

        with get_storage(show.artwork.backend).open(show.artwork.key) as fh:
            meta["cover"] = fh.read()
        meta["cover_mime"] = "image/jpeg"
    return meta
