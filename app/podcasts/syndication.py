"""Rows to feed bytes: the show's cache stamp, eager loading, builder input, the feed cache.

A feed request costs a constant number of queries whatever the episode count: the show, one
aggregate "stamp" query, and — only when the stamp moved — the episodes with their assets,
renditions and files in three more queries. Built bytes are cached per (show, subscription).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for
from sqlalchemy.orm import joinedload

from app.core.db import utcnow
from app.core.text import render_markdown
from app.extensions import db
from app.media.chapters import Chapter, with_end_times
from app.media.models import MediaAsset, Rendition, RenditionKind
from app.podcasts.models import Episode, FeedToken, Show
from feeds import types as ft
from feeds.opml import build_opml
from feeds.podcast import build_podcast_feed

CACHE_SIZE = 512


@dataclass(frozen=True)
class BuiltFeed:
    """One built feed: its bytes, gzipped bytes, strong ETag and Last-Modified."""

    body: bytes
    gzipped: bytes
    etag: str
    last_modified: datetime


class FeedCache:
    """A small thread-safe LRU of built feeds keyed by (show id, token id).

    ``stamp_ttl_s`` lets a stamp be trusted for a few seconds without asking the database again
    (crawlers poll every few minutes; a feed a few seconds late harms no one). 0 disables it.
    """

    def __init__(self, size: int = CACHE_SIZE, stamp_ttl_s: float = 0):
        self.size = size
        self.stamp_ttl_s = stamp_ttl_s
        self.items: OrderedDict = OrderedDict()
        self.checked: dict = {}
        self.lock = threading.Lock()

    def recent_stamp(self, key, now: datetime):
        """Return the stamp seen for key less than stamp_ttl_s ago, if any."""
        if self.stamp_ttl_s <= 0:
            return None
        with self.lock:
            hit = self.items.get(key)
            seen = self.checked.get(key)
        if hit is None or seen is None or abs((now - seen).total_seconds()) > self.stamp_ttl_s:
            return None
        return hit[0]

    def get(self, key, stamp):
        with self.lock:
            hit = self.items.get(key)
            if hit is None or hit[0] != stamp:
                return None
            self.items.move_to_end(key)
            return hit[1]

    def mark_checked(self, key, now: datetime) -> None:
        with self.lock:
            self.checked[key] = now
            if len(self.checked) > 4 * self.size:
                self.checked.clear()

    def put(self, key, stamp, built: BuiltFeed) -> None:
        with self.lock:
            self.items[key] = (stamp, built)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class EpisodeInputCache:
    """Builder input per episode, keyed by everything it is made of.

    A feed is rebuilt as a whole when anything in it changes; this memo keeps that rebuild
    proportional to what changed (rendering Markdown and building URLs for a thousand unchanged
    episodes would dominate it).
    """

    def __init__(self, size: int = 20_000):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get_or_make(self, key, make):
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
                return hit
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


def get_cache() -> FeedCache:
    return current_app.extensions["podcasts"]["feed_cache"]


def _episode_key(episode: Episode, token: str | None) -> tuple:
    asset = episode.asset
    renditions = tuple(r.id for r in asset.renditions if r.is_current) if asset else ()
    return (
        request.host_url if has_request_context() else None,
        token,
        episode.id,
        episode.updated_dt,
        episode.show.slug,
        episode.show.language,
        asset.id if asset else None,
        asset.status if asset else None,
        asset.ready_dt if asset else None,
        repr(asset.chapters) if asset else None,
        renditions,
    )


def feed_stamp(show: Show, now: datetime) -> tuple:
    """Return what the feed depends on, in one statement (it changes whenever the feed does).

    Three one-row aggregates (episodes, their assets, their current renditions) joined on
    true: each scans the show's rows once, with no DISTINCT over a multiplied join.
    """
    e, a, r = Episode, MediaAsset, Rendition
    mine = sa.and_(e.show_id == show.id, e.deleted_dt.is_(None), e.pub_dt.is_not(None))
    episodes = (
        sa.select(
            sa.func.count(e.id).label("episodes"),
            sa.func.max(e.updated_dt).label("updated"),
            sa.func.max(sa.case((e.pub_dt <= now, e.pub_dt), else_=None)).label("due"),
            sa.func.count(sa.case((e.pub_dt <= now, e.id), else_=None)).label("due_count"),
        )
        .where(mine)
        .subquery()
    )
    assets = (
        sa.select(
            sa.func.max(a.ready_dt).label("ready"),
            sa.func.count(sa.case((a.status == "ready", a.id), else_=None)).label("ready_count"),
        )
        .join(e, e.asset_id == a.id)
        .where(mine)
        .subquery()
    )
    renditions = (
        sa.select(sa.func.max(r.id).label("last"), sa.func.count(r.id).label("renditions"))
        .join(e, e.asset_id == r.asset_id)
        .where(mine, r.is_current.is_(True))
        .subquery()
    )
    row = db.session.execute(
        sa.select(episodes, assets, renditions)
        .select_from(episodes)
        .join(assets, sa.true())
        .join(renditions, sa.true())
    ).one()
    return (show.updated_dt, show.artwork_id, *row)


def last_modified_from(stamp: tuple) -> datetime:
    """Return the latest change among the stamp's dates (the feed's lastBuildDate)."""
    dates = [value for value in stamp if isinstance(value, datetime)]
    latest = max(value.astimezone(UTC) for value in dates)
    return latest.replace(microsecond=0)


def load_episodes(show: Show) -> list[Episode]:
    """Load the show's dated, undeleted episodes with assets, renditions and files (2 queries).

    The assets come in the episodes' query (a join), renditions and files in one more query
    built on the same criteria (a subquery, not an IN list chunked by the number of rows).
    """
    return list(
        db.session.scalars(
            sa.select(Episode)
            .where(
                Episode.show_id == show.id,
                Episode.deleted_dt.is_(None),
                Episode.pub_dt.is_not(None),
            )
            .options(
                # The ffprobe JSON and the edit list can be large and the feed needs neither.
                joinedload(Episode.asset).defer(MediaAsset.probe).defer(MediaAsset.edit),
                joinedload(Episode.asset)
                .subqueryload(MediaAsset.renditions)
                .joinedload(Rendition.file),
            )
        )
    )


def get_built_feed(
    show: Show,
    token: FeedToken | None = None,
    *,
    now: datetime | None = None,
    token_value: str | None = None,
) -> BuiltFeed:
    """Return the show's feed (a member's private one when a token is given), cached."""
    now = now or utcnow()
    key = (show.id, token.id if token is not None else None)
    cache = get_cache()
    stamp = cache.recent_stamp(key, now)
    if stamp is None:
        stamp = feed_stamp(show, now)
        cache.mark_checked(key, now)
    built = cache.get(key, stamp)
    if built is None:
        built = _build(show, token_value if token is not None else None, stamp, now)
        cache.put(key, stamp, built)
    return built


def _build(show: Show, token: str | None, stamp: tuple, now: datetime) -> BuiltFeed:
    updated = last_modified_from(stamp)
    episodes = [e for e in load_episodes(show) if e.is_live(now)]
    memo = current_app.extensions["podcasts"]["episode_inputs"]
    inputs = [
        memo.get_or_make(_episode_key(e, token), lambda e=e: episode_input(e, token=token))
        for e in episodes
    ]
    body = build_podcast_feed(show_input(show, updated, token=token), inputs, now)
    return BuiltFeed(
        body=body,
        gzipped=gzip.compress(body, mtime=0),
        etag=hashlib.sha256(body).hexdigest()[:32],
        last_modified=updated,
    )


# Row → builder input ------------------------------------------------------------------------


def _persons(rows) -> tuple[ft.Person, ...]:
    return tuple(
        ft.Person(
            name=p["name"],
            role=p.get("role") or "host",
            group=p.get("group") or "cast",
            href=p.get("href"),
            img=p.get("img"),
        )
        for p in rows or ()
        if p.get("name")
    )


def artwork_url(show: Show) -> str:
    """Return the absolute URL of the show's artwork (ends in .jpg, changes with the file)."""
    return url_for("feeds.artwork", file_id=show.artwork_id, _external=True)


def feed_url(show: Show, token: str | None = None) -> str:
    """Return the absolute URL of the show's feed (a private one with a token)."""
    if token:
        return url_for("feeds.private_feed", token=token, slug=show.slug, _external=True)
    return url_for("feeds.show_feed", slug=show.slug, _external=True)


def show_input(show: Show, updated_dt: datetime, *, token: str | None = None) -> ft.Show:
    """Describe a show for the feed builder."""
    private = token is not None
    return ft.Show(
        title=show.title,
        description_html=str(render_markdown(show.description)) or show.title,
        link=url_for("podcasts.show", slug=show.slug, _external=True),
        feed_url=feed_url(show, token),
        language=show.language,
        artwork_url=artwork_url(show),
        artwork_size_px=show.artwork_size,
        author=show.author or current_app.config["SITE_NAME"],
        podcast_guid=show.podcast_guid,
        updated_dt=updated_dt,
        apple_categories=((show.apple_category, show.apple_subcategory),),
        explicit=show.explicit,
        show_type=show.show_type.value,
        medium=show.medium,
        locked=show.locked,
        owner_name=show.owner_name,
        owner_email=show.owner_email,
        persons=_persons(show.persons),
        synthetic_voice=show.synthetic_voice,
        private=private,
        # A members-only show must never reach a directory, even through a leaked URL.
        block=not show.is_public,
    )


def enclosure_url(episode: Episode, rendition: Rendition, token: str | None = None) -> str:
    """Return the stable media URL of one rendition file (ends in its extension)."""
    args = {
        "episode_id": episode.id,
        "file_id": rendition.file_id,
        "ext": rendition.file.extension or "bin",
        "_external": True,
    }
    if token:
        return url_for("feeds.private_enclosure", token=token, **args)
    return url_for("feeds.enclosure", **args)


def episode_chapters(episode: Episode) -> list[Chapter]:
    """Return the episode's chapters with end times (from the asset's chapter list)."""
    asset, audio = episode.asset, episode.audio
    if asset is None or not asset.chapters:
        return []
    duration = (audio.duration_s if audio else None) or asset.duration_s or 0
    chapters = [
        Chapter(
            start=float(c["start"]),
            title=str(c.get("title") or ""),
            url=c.get("url"),
            img=c.get("img"),
        )
        for c in asset.chapters
    ]
    return with_end_times(chapters, duration) if duration else chapters


def _side_url(endpoint: str, episode: Episode, token: str | None, **kw) -> str:
    if token:
        return url_for(
            f"feeds.private_{endpoint}", token=token, episode_id=episode.id, _external=True, **kw
        )
    return url_for(f"feeds.{endpoint}", episode_id=episode.id, _external=True, **kw)


def episode_input(episode: Episode, *, token: str | None = None) -> ft.Episode:
    """Describe a live episode for the feed builder (enclosure facts from the stored file)."""
    audio = episode.audio
    asset = episode.asset
    file = audio.file
    chapters = episode_chapters(episode)
    transcripts = []
    for kind, mime, ext in (
        (RenditionKind.TRANSCRIPT_VTT, "text/vtt", "vtt"),
        (RenditionKind.TRANSCRIPT_SRT, "application/x-subrip", "srt"),
    ):
        if asset.rendition(kind) is not None:
            transcripts.append(
                ft.Transcript(
                    url=_side_url("transcript", episode, token, ext=ext),
                    mime=mime,
                    language=episode.show.language,
                    rel="captions",
                )
            )
    alternates = []
    video = asset.rendition(RenditionKind.WEB_VIDEO)
    if video is not None:
        alternates.append(
            ft.AlternateEnclosure(
                url=enclosure_url(episode, video, token),
                length=video.file.size,
                mime=video.file.content_type,
                height=video.height,
                bitrate=video.bitrate,
                title="Vidéo",
            )
        )
    has_chapters = bool(chapters) or asset.rendition(RenditionKind.CHAPTERS) is not None
    return ft.Episode(
        guid=episode.guid,
        title=episode.title,
        pub_dt=episode.pub_dt,
        enclosure_url=enclosure_url(episode, audio, token),
        enclosure_length=file.size,
        enclosure_mime=file.content_type,
        description_html=str(render_markdown(episode.description)),
        link=url_for(
            "podcasts.episode", slug=episode.show.slug, episode_id=episode.id, _external=True
        ),
        duration_s=audio.duration_s if audio.duration_s is not None else asset.duration_s,
        season=episode.season,
        season_name=episode.season_name,
        number=episode.number,
        episode_type=episode.episode_type.value,
        explicit=episode.explicit,
        chapters_url=_side_url("chapters", episode, token) if has_chapters else None,
        chapters=tuple(chapters),
        transcripts=tuple(transcripts),
        persons=_persons(episode.persons),
        alternate_enclosures=tuple(alternates),
        synthetic_voice=episode.synthetic_voice,
    )


def build_public_opml(shows: list[Show]) -> bytes:
    """Return the OPML of the given public shows."""
    inputs = [show_input(s, s.updated_dt) for s in shows]
    return build_opml(inputs)
