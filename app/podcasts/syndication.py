"""Rows to feed bytes: the show's cache stamp, eager loading, builder input, the feed cache.

A feed request costs a constant number of queries whatever the episode count: the show, one
aggregate "stamp" query, and — only when the stamp moved — two more: the live episodes with
their asset's facts, then their current renditions with their files, as plain rows (only the
columns the feed shows). Item URLs come from one url_for per endpoint and the description HTML
was rendered when the episode was saved, so a cold build of a thousand items stays close to
what feedgen alone costs. Built bytes are cached per (show, subscription).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import quote

import sqlalchemy as sa
from babel.core import UnknownLocaleError
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.core.db import utcnow
from app.core.text import render_markdown
from app.extensions import db
from app.media.chapters import Chapter, shift_chapters, with_end_times
from app.media.models import AssetStatus, MediaAsset, Rendition, RenditionKind, StoredFile
from app.podcasts.models import Episode, FeedToken, Show
from feeds import types as ft

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


def get_cache() -> FeedCache:
    return current_app.extensions["podcasts"]["feed_cache"]


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

    For pages, which need the ORM objects; feeds read plain rows (``load_feed_rows``). The
    assets come in the episodes' query (a join), renditions and files in one more query built on
    the same criteria (a subquery, not an IN list chunked by the number of rows).
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
    urls = FeedUrls(show, token)
    inputs = [feed_episode_input(row, urls) for row in load_feed_rows(show, now)]
    from feeds.podcast import build_podcast_feed  # feedgen and lxml load with the first feed

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


def audio_intro_s(episode: Episode) -> float:
    """Seconds of intro jingle at the start of the episode's audio edition (0 without)."""
    audio = episode.audio
    jingles = ((audio.info or {}).get("jingles") or {}) if audio is not None else {}
    return float(jingles.get("intro") or 0.0)


def episode_chapters(episode: Episode) -> list[Chapter]:
    """Return the episode's chapters with end times (from the asset's chapter list), in the
    audio edition's timeline (after the show's intro jingle, if any)."""
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
    chapters = shift_chapters(chapters, audio_intro_s(episode))
    return with_end_times(chapters, duration) if duration else chapters


def build_public_opml(shows: list[Show]) -> bytes:
    """Return the OPML of the given public shows."""
    inputs = [show_input(s, s.updated_dt) for s in shows]
    from feeds.opml import build_opml  # lxml loads with the first OPML (memory)

    return build_opml(inputs)


# Feed rows: only the columns the feed shows -------------------------------------------------

#: Renditions an item can use: the enclosure, the video alternate, transcripts, stored chapters.
FEED_RENDITIONS = (
    RenditionKind.AUDIO_EDITION,
    RenditionKind.WEB_VIDEO,
    RenditionKind.TRANSCRIPT_VTT,
    RenditionKind.TRANSCRIPT_SRT,
    RenditionKind.CHAPTERS,
)
TRANSCRIPT_FORMATS = (
    (RenditionKind.TRANSCRIPT_VTT, "text/vtt", "vtt"),
    (RenditionKind.TRANSCRIPT_SRT, "application/x-subrip", "srt"),
)


class RenditionFacts(NamedTuple):
    """A current rendition and its file, as the feed describes it."""

    kind: str
    file_id: int
    duration_s: float | None
    bitrate: int | None
    height: int | None
    size: int
    content_type: str
    key: str
    #: Seconds of intro jingle before the content (audio editions of shows with jingles).
    intro_s: float | None = None

    #: The same rule as StoredFile.extension, so feed URLs match what the media route accepts.
    extension = StoredFile.extension


@dataclass(frozen=True)
class FeedRow:
    """A live episode with its asset's facts and its current renditions by kind."""

    id: int
    guid: str
    title: str
    description: str
    description_html: str | None
    pub_dt: datetime
    season: int | None
    season_name: str | None
    number: int | None
    episode_type: str
    explicit: bool | None
    synthetic_voice: bool
    persons: list | None
    asset_duration_s: float | None
    chapters: list | None
    language: str
    renditions: dict[str, RenditionFacts]


def load_feed_rows(show: Show, now: datetime) -> list[FeedRow]:
    """Load the show's live episodes for its feed: two queries, only the columns shown.

    Live = dated, due, not deleted, asset ready, with a current audio edition. No ORM objects:
    a feed of a thousand episodes would otherwise spend most of its time building them.
    """
    e, a, r, f = Episode, MediaAsset, Rendition, StoredFile
    live = (
        e.show_id == show.id,
        e.deleted_dt.is_(None),
        e.pub_dt.is_not(None),
        e.pub_dt <= now,
        a.status == AssetStatus.READY,
    )
    episodes = db.session.execute(
        sa.select(
            e.id,
            e.guid,
            e.title,
            e.description,
            e.description_html,
            e.pub_dt,
            e.season,
            e.season_name,
            e.number,
            e.episode_type,
            e.explicit,
            e.synthetic_voice,
            e.persons,
            e.asset_id,
            a.duration_s,
            a.chapters,
        )
        .join(a, a.id == e.asset_id)
        .where(*live)
    ).all()
    # Same criteria as a subquery (two episodes may share an asset; an IN list of ids would grow
    # with the show). Ordered by id so the newest current rendition of a kind wins, as in
    # MediaAsset.rendition().
    renditions: dict[int, dict[str, RenditionFacts]] = {}
    for asset_id, *facts in db.session.execute(
        sa.select(
            r.asset_id,
            r.kind,
            r.file_id,
            r.duration_s,
            r.bitrate,
            r.height,
            f.size,
            f.content_type,
            f.key,
            r.info["jingles"]["intro"].as_float(),
        )
        .join(f, f.id == r.file_id)
        .where(
            r.is_current.is_(True),
            r.kind.in_(FEED_RENDITIONS),
            r.asset_id.in_(sa.select(e.asset_id).join(a, a.id == e.asset_id).where(*live)),
        )
        .order_by(r.id)
    ):
        facts = RenditionFacts(*facts)
        renditions.setdefault(asset_id, {})[facts.kind] = facts
    return [
        FeedRow(
            id=row.id,
            guid=row.guid,
            title=row.title,
            description=row.description,
            description_html=row.description_html,
            pub_dt=row.pub_dt,
            season=row.season,
            season_name=row.season_name,
            number=row.number,
            episode_type=row.episode_type.value,
            explicit=row.explicit,
            synthetic_voice=row.synthetic_voice,
            persons=row.persons,
            asset_duration_s=row.duration_s,
            chapters=row.chapters,
            language=show.language,
            renditions=renditions[row.asset_id],
        )
        for row in episodes
        if RenditionKind.AUDIO_EDITION in renditions.get(row.asset_id, ())
    ]


#: Stand-ins given to url_for, then turned into str.format fields (distinctive, so they cannot
#: collide with the host or a slug; FeedUrls checks they appear exactly once).
_URL_MARKERS = {"episode_id": 987_654_321_001, "file_id": 987_654_321_002, "ext": "zq9extq9z"}


def url_pattern(endpoint: str, fields: tuple[str, ...], **values) -> str:
    """Return url_for(endpoint, **values) as a str.format pattern with ``fields`` left open."""
    markers = {name: _URL_MARKERS[name] for name in fields}
    url = url_for(endpoint, _external=True, **values, **markers)
    url = url.replace("{", "{{").replace("}", "}}")
    for name, marker in markers.items():
        if url.count(str(marker)) != 1:
            raise RuntimeError(f"cannot make a URL pattern of {endpoint}: {url}")
        url = url.replace(str(marker), "{" + name + "}")
    return url


class FeedUrls:
    """A feed's item URLs from one url_for per endpoint (url_for per item dominated the build)."""

    def __init__(self, show: Show, token: str | None = None):
        prefix, extra = ("feeds.private_", {"token": token}) if token else ("feeds.", {})
        self.enclosure = url_pattern(
            f"{prefix}enclosure", ("episode_id", "file_id", "ext"), **extra
        )
        self.chapters = url_pattern(f"{prefix}chapters", ("episode_id",), **extra)
        self.transcript = url_pattern(f"{prefix}transcript", ("episode_id", "ext"), **extra)
        self.page = url_pattern("podcasts.episode", ("episode_id",), slug=show.slug)

    def media(self, episode_id: int, rendition: RenditionFacts) -> str:
        ext = quote(rendition.extension or "bin", safe="")
        return self.enclosure.format(episode_id=episode_id, file_id=rendition.file_id, ext=ext)


def feed_chapters(raw: list | None, duration_s: float | None) -> tuple[Chapter, ...]:
    """Return the chapter marks of an item: within the audio, in order (no end times needed)."""
    marks = [
        Chapter(
            start=float(c["start"]),
            title=str(c.get("title") or ""),
            url=c.get("url"),
            img=c.get("img"),
        )
        for c in raw or ()
    ]
    marks = [m for m in marks if m.start >= 0 and (not duration_s or m.start < duration_s)]
    return tuple(sorted(marks, key=lambda m: m.start))


def video_title(language: str) -> str:
    """Name the video alternate in the show's language: a feed never follows its reader's."""
    try:
        with force_locale(language.split("-")[0].lower() or "fr"):
            return _("Vidéo")
    except (UnknownLocaleError, ValueError):  # a language Babel does not know: the source text
        return "Vidéo"


def feed_episode_input(row: FeedRow, urls: FeedUrls) -> ft.Episode:
    """Describe a live episode for the feed builder (enclosure facts from the stored file)."""
    renditions = row.renditions
    audio = renditions[RenditionKind.AUDIO_EDITION]
    duration = audio.duration_s if audio.duration_s is not None else row.asset_duration_s
    chapters = feed_chapters(row.chapters, audio.duration_s or row.asset_duration_s)
    if audio.intro_s:  # the show's intro jingle plays first: the content starts later
        chapters = tuple(shift_chapters(chapters, audio.intro_s))
    transcripts = tuple(
        ft.Transcript(
            url=urls.transcript.format(episode_id=row.id, ext=ext),
            mime=mime,
            language=row.language,
            rel="captions",
        )
        for kind, mime, ext in TRANSCRIPT_FORMATS
        if kind in renditions
    )
    video = renditions.get(RenditionKind.WEB_VIDEO)
    alternates = ()
    if video is not None:
        alternates = (
            ft.AlternateEnclosure(
                url=urls.media(row.id, video),
                length=video.size,
                mime=video.content_type,
                height=video.height,
                bitrate=video.bitrate,
                title=video_title(row.language),
            ),
        )
    has_chapters = bool(chapters) or RenditionKind.CHAPTERS in renditions
    description_html = row.description_html
    if description_html is None:  # saved before the column existed
        description_html = str(render_markdown(row.description))
    return ft.Episode(
        guid=row.guid,
        title=row.title,
        pub_dt=row.pub_dt,
        enclosure_url=urls.media(row.id, audio),
        enclosure_length=audio.size,
        enclosure_mime=audio.content_type,
        description_html=description_html,
        link=urls.page.format(episode_id=row.id),
        duration_s=duration,
        season=row.season,
        season_name=row.season_name,
        number=row.number,
        episode_type=row.episode_type,
        explicit=row.explicit,
        chapters_url=urls.chapters.format(episode_id=row.id) if has_chapters else None,
        chapters=chapters,
        transcripts=transcripts,
        persons=_persons(row.persons),
        alternate_enclosures=alternates,
        synthetic_voice=row.synthetic_voice,
    )
