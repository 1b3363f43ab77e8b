"""Import a podcast from another host's RSS: show, artwork, episodes with their GUIDs and audio.

The feed is parsed with lxml (no entity expansion, no network access from the parser); media are
streamed into storage and described by ffprobe. GUIDs and podcast:guid are kept so apps that
follow the move see the same episodes; a feed with podcast:locked "yes" is refused unless its
owner confirms.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import logging
import mimetypes
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from lxml import etree

from app.core.db import utcnow
from app.core.i18n import Message
from app.extensions import db
from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
from app.media.operations import store_file
from app.media.probe import probe
from app.media.storage import get_storage
from app.podcasts import operations
from app.podcasts.models import FeedImport, ImportState, Show
from feeds.namespaces import ITUNES_NS, PODCAST_NS, compute_podcast_guid

log = logging.getLogger(__name__)

#: The old URI of the Podcast Index namespace, still found in feeds.
PODCAST_NS_OLD = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_MEDIA_BYTES = 2 * 1024**3
TIMEOUT_S = 30
EXTENSIONS = {
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/x-m4a": ".m4a",
    "audio/mp4": ".m4a",
    "audio/aac": ".m4a",
    "video/mp4": ".mp4",
}


class ImportError_(operations.PodcastError):
    """The feed cannot be imported; the message (a Message) says why."""


def reason(exc: Exception) -> Message | str:
    """Return an error's message as raised: a Message stays translatable when it is stored."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)


class LockedFeed(ImportError_):
    """The feed carries podcast:locked yes and the owner did not confirm."""


@dataclass
class ImportedItem:
    guid: str
    title: str
    description: str = ""
    pub_dt: datetime | None = None
    enclosure_url: str | None = None
    enclosure_type: str = "audio/mpeg"
    season: int | None = None
    number: int | None = None
    episode_type: str = "full"


@dataclass
class ImportedFeed:
    title: str
    description: str = ""
    language: str = "fr"
    author: str = ""
    image_url: str | None = None
    category: str | None = None
    subcategory: str | None = None
    explicit: bool = False
    show_type: str = "episodic"
    podcast_guid: str | None = None
    locked: bool = False
    items: list[ImportedItem] = field(default_factory=list)


def _text(element, path: str, ns: dict) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None and found.text else ""


def _int(value: str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def parse_feed(xml: bytes) -> ImportedFeed:
    """Read a podcast RSS document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ImportError_(
            Message("Ce fichier n'est pas un flux RSS valide : %(error)s", error=str(exc))
        ) from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ImportError_(
            Message("Ce document n'est pas un flux RSS de podcast (<rss><channel>).")
        )
    results = []
    for podcast_ns in (PODCAST_NS, PODCAST_NS_OLD):
        ns = {"itunes": ITUNES_NS, "podcast": podcast_ns}
        results.append((_text(channel, "podcast:guid", ns), _text(channel, "podcast:locked", ns)))
    ns = {"itunes": ITUNES_NS}
    podcast_guid = next((g for g, _l in results if g), None)
    locked = any(lock.lower() == "yes" for _g, lock in results)
    image = channel.find("itunes:image", ns)
    image_url = image.get("href") if image is not None else _text(channel, "image/url", ns)
    category = channel.find("itunes:category", ns)
    sub = category.find("itunes:category", ns) if category is not None else None
    feed = ImportedFeed(
        title=_text(channel, "title", ns) or "Podcast importé",
        description=_text(channel, "description", ns),
        language=(_text(channel, "language", ns) or "fr").lower()[:5],
        author=_text(channel, "itunes:author", ns),
        image_url=image_url or None,
        category=category.get("text") if category is not None else None,
        subcategory=sub.get("text") if sub is not None else None,
        explicit=_text(channel, "itunes:explicit", ns).lower() in ("yes", "true", "explicit"),
        show_type="serial" if _text(channel, "itunes:type", ns) == "serial" else "episodic",
        podcast_guid=podcast_guid,
        locked=locked,
    )
    for item in channel.findall("item"):
        enclosure = item.find("enclosure")
        guid = _text(item, "guid", ns) or (enclosure.get("url") if enclosure is not None else "")
        if not guid:
            continue
        pub = _text(item, "pubDate", ns)
        try:
            pub_dt = email.utils.parsedate_to_datetime(pub).astimezone(UTC) if pub else None
        except (TypeError, ValueError):
            pub_dt = None
        feed.items.append(
            ImportedItem(
                guid=guid[:255],
                title=_text(item, "title", ns) or guid[:80],
                description=_text(item, "description", ns),
                pub_dt=pub_dt,
                enclosure_url=enclosure.get("url") if enclosure is not None else None,
                enclosure_type=(enclosure.get("type") if enclosure is not None else None)
                or "audio/mpeg",
                season=_int(_text(item, "itunes:season", ns)),
                number=_int(_text(item, "itunes:episode", ns)),
                episode_type=_text(item, "itunes:episodeType", ns) or "full",
            )
        )
    return feed


def fetch(url: str, limit: int = MAX_FEED_BYTES) -> bytes:
    """Download a small document over http(s)."""
    with _open(url) as response:
        data = response.read(limit + 1)
    if len(data) > limit:
        raise ImportError_(
            Message(
                "Le document %(url)s dépasse %(size)s Mo.", url=url, size=limit // (1024 * 1024)
            )
        )
    return data


def _open(url: str):
    if urlsplit(url).scheme not in ("http", "https"):
        raise ImportError_(Message("Adresse non prise en charge : %(url)s", url=url))
    request = urllib.request.Request(url, headers={"User-Agent": "CircuitsCourts-Import/1.0"})  # noqa: S310 - scheme checked above
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)  # noqa: S310 - scheme checked
    except OSError as exc:
        raise ImportError_(
            Message("Impossible de télécharger %(url)s : %(error)s", url=url, error=str(exc))
        ) from None


def import_feed(
    xml: bytes,
    *,
    source_url: str | None = None,
    slug: str | None = None,
    confirm_locked: bool = False,
    created_by_id: int | None = None,
    process: bool = False,
    now: datetime | None = None,
    show: Show | None = None,
    progress: Callable[[Show, int, int, MediaAsset | None, str | None], None] | None = None,
) -> Show:
    """Create a show from an RSS document, downloading artwork and media (flushes).

    With ``process`` each download becomes the original of an asset queued for the media
    pipeline (loudness, tags, chapters): the caller commits, then sends the assets' jobs.
    Otherwise the downloaded file itself is the audio edition, bytes untouched.

    With ``progress`` (a task), ``progress(show, done, total, asset, error)`` is called after
    each episode, and an episode whose media cannot be fetched is reported there instead of
    stopping the import. ``show`` continues an interrupted import: episodes whose GUID it
    already has are skipped.
    """
    now = now or utcnow()
    feed = parse_feed(xml)
    check_locked(feed, confirm_locked)
    if show is None:
        show = _create_show(feed, source_url, slug, created_by_id, now)
    items = [item for item in feed.items if item.enclosure_url]
    known = {e.guid for e in show.episodes}
    for done, item in enumerate(items, 1):
        if item.guid in known:
            if progress is not None:
                progress(show, done, len(items), None, None)
            continue
        try:
            asset = import_media(
                item.enclosure_url,
                item.enclosure_type,
                title=item.title,
                process=process,
                owner_id=created_by_id,
            )
        except ImportError_ as exc:
            if progress is None:
                raise
            error = Message("« %(title)s » : %(error)s", title=item.title, error=reason(exc))
            progress(show, done, len(items), None, error)
            continue
        operations.publish_episode(
            show,
            title=item.title,
            description=item.description,
            asset=asset,
            guid=item.guid,
            pub_dt=min(item.pub_dt or now, now),
            season=item.season,
            number=item.number,
            episode_type=item.episode_type
            if item.episode_type in ("full", "trailer", "bonus")
            else "full",
            now=now,
        )
        if progress is not None:
            if show.show_type == "serial":
                _number_serial(show)  # the feed may be read before the import ends
            progress(show, done, len(items), asset, None)
    if show.show_type == "serial":
        _number_serial(show)
    return show


def check_locked(feed: ImportedFeed, confirm_locked: bool) -> None:
    """Refuse a feed with podcast:locked yes unless its owner confirmed."""
    if feed.locked and not confirm_locked:
        raise LockedFeed(
            Message(
                "Ce flux est verrouillé (podcast:locked) : son propriétaire interdit l'import. "
                "Confirmez que ce podcast est le vôtre pour l'importer quand même."
            )
        )


def _create_show(
    feed: ImportedFeed,
    source_url: str | None,
    slug: str | None,
    created_by_id: int | None,
    now: datetime,
) -> Show:
    slug = slug or operations.slugify(feed.title)
    category, subcategory = feed.category or "Arts", feed.subcategory
    try:
        from feeds.apple_categories import check_apple_category

        check_apple_category(category, subcategory)
    except ValueError:
        category, subcategory = "Arts", "Food"
    show = operations.create_show(
        slug=slug,
        title=feed.title,
        description=feed.description,
        language=feed.language if len(feed.language) in (2, 5) else "fr",
        author=feed.author or feed.title,
        apple_category=category,
        apple_subcategory=subcategory,
        explicit=feed.explicit,
        show_type=feed.show_type,
        imported_from=source_url,
        created_by_id=created_by_id,
        podcast_guid=feed.podcast_guid
        or (compute_podcast_guid(source_url) if source_url else None),
        now=now,
    )
    if feed.image_url:
        # Without the artwork the placeholder stays: the episodes matter more.
        with contextlib.suppress(ImportError_, ValueError):
            operations.set_show_artwork(show, io.BytesIO(fetch(feed.image_url)), now=now)
    return show


def _number_serial(show: Show) -> None:
    # A serial feed needs a number on every item: fill gaps in publication order.
    episodes = sorted(show.episodes, key=lambda e: (e.pub_dt, e.id))
    used = {e.number for e in episodes if e.number}
    next_number = 1
    for episode in episodes:
        if episode.number is None:
            while next_number in used:
                next_number += 1
            episode.number = next_number
            used.add(next_number)


def import_media(
    url: str, mime: str, *, title: str, process: bool = False, owner_id: int | None = None
) -> MediaAsset:
    """Download an enclosure to storage as an asset: ready as is, or queued for the pipeline."""
    extension = (
        EXTENSIONS.get(mime.split(";")[0].strip().lower())
        or Path(urlsplit(url).path).suffix.lower()
        or ".mp3"
    )
    content_type = mimetypes.types_map.get(extension, "audio/mpeg")
    if extension == ".m4a":
        content_type = "audio/x-m4a"
    with tempfile.NamedTemporaryFile(suffix=extension) as tmp:
        with _open(url) as response:
            total = 0
            while chunk := response.read(1024 * 1024):
                total += len(chunk)
                if total > MAX_MEDIA_BYTES:
                    raise ImportError_(
                        Message("Le fichier %(url)s est trop gros pour être importé.", url=url)
                    )
                tmp.write(chunk)
        tmp.flush()
        facts = probe(tmp.name)
        if facts.audio is None:
            raise ImportError_(Message("Le fichier %(url)s ne contient pas de son.", url=url))
        tmp.seek(0)
        stored = store_file(
            tmp, f"episode{extension}", prefix="podcasts/import", content_type=content_type
        )
    if process:
        from app.media.jobs import create_job

        asset = MediaAsset(
            title=title[:255],
            kind=AssetKind.AUDIO,
            status=AssetStatus.PROCESSING,
            original=stored,
            duration_s=facts.duration,
            owner_id=owner_id,
        )
        db.session.add(asset)
        create_job(asset, "process")
        return asset
    asset = MediaAsset(
        title=title[:255],
        kind=AssetKind.AUDIO,
        status=AssetStatus.READY,
        original=stored,
        duration_s=facts.duration,
        probe=facts.raw,
        ready_dt=utcnow(),
        owner_id=owner_id,
    )
    asset.renditions.append(
        Rendition(
            kind=RenditionKind.AUDIO_EDITION,
            file=stored,
            duration_s=facts.duration,
            bitrate=facts.bit_rate,
            info={"imported_from": url},
        )
    )
    db.session.add(asset)
    db.session.flush()
    return asset


# Import jobs (the page commits the row, the worker runs it) ---------------------------------


def create_import(
    *,
    url: str | None = None,
    upload: BinaryIO | None = None,
    slug: str | None = None,
    confirm_locked: bool = False,
    process: bool = True,
    created_by_id: int | None = None,
) -> FeedImport:
    """Check a feed (readable, not locked unless confirmed) and record its import (flushes).

    The document is read here so a person learns at once that it is not RSS or that it is
    locked; the worker then reads it again from the URL or from the stored upload.
    """
    if upload is not None:
        xml = upload.read(MAX_FEED_BYTES + 1)
        if len(xml) > MAX_FEED_BYTES:
            raise ImportError_(
                Message("Le fichier dépasse %(size)s Mo.", size=MAX_FEED_BYTES // (1024 * 1024))
            )
    elif url:
        xml = fetch(url)
    else:
        raise ImportError_(Message("Donnez l'adresse du flux ou un fichier RSS."))
    feed = parse_feed(xml)
    check_locked(feed, confirm_locked)
    wanted = slug or operations.slugify(feed.title)
    if operations.get_show(wanted) is not None or wanted in operations.RESERVED_SLUGS:
        raise ImportError_(
            Message(
                "L'adresse « %(slug)s » est déjà prise : choisissez-en une autre pour l'émission.",
                slug=wanted,
            )
        )
    row = FeedImport(
        source_url=None if upload is not None else url,
        slug=wanted,
        confirm_locked=confirm_locked,
        process=process,
        total=sum(1 for item in feed.items if item.enclosure_url),
        errors=[],
        created_by_id=created_by_id,
    )
    if upload is not None:
        row.file = store_file(
            io.BytesIO(xml), "feed.xml", prefix="podcasts/imports", content_type="application/xml"
        )
    db.session.add(row)
    db.session.flush()
    return row


def get_import(import_id: int) -> FeedImport | None:
    """Return an import row by id."""
    return db.session.get(FeedImport, import_id)


def run_import(import_id: int) -> None:
    """Run an import job: running → success / failed, committed at each episode.

    Exits quietly when the row is gone or already finished; marks failure (with a message) and
    re-raises on an unexpected error. Run again, it continues the same show.
    """
    row = get_import(import_id)
    if row is None or row.is_finished:
        log.info("import %s: nothing to do", import_id)
        return
    row.state, row.started_dt = ImportState.RUNNING, utcnow()
    db.session.commit()
    log.info("import %s: running", import_id)
    try:
        xml = _read_source(row)

        def progress(show, done, total, asset, error):
            row.show_id, row.done, row.total = show.id, done, total
            if error is not None:
                row.errors = [*row.errors, error]
            elif asset is not None:
                row.imported += 1
            db.session.commit()
            if asset is not None and row.process:
                # Rows first, then the messages: a worker never sees a job it cannot load.
                from app.media import jobs

                for job in asset.jobs:
                    jobs.send(job)

        show = import_feed(
            xml,
            source_url=row.source_url,
            slug=row.slug or None,
            confirm_locked=row.confirm_locked,
            created_by_id=row.created_by_id,
            process=row.process,
            show=row.show,
            progress=progress,
        )
        row.show_id = show.id
        row.state, row.finished_dt = ImportState.SUCCESS, utcnow()
        db.session.commit()
        log.info("import %s: %s of %s episodes imported", import_id, row.imported, row.total)
    except Exception as exc:
        db.session.rollback()
        row = get_import(import_id)
        if isinstance(exc, operations.PodcastError):
            message = reason(exc)
        else:
            message = Message(
                "Erreur inattendue (%(error)s) : l'import s'est arrêté.", error=type(exc).__name__
            )
        row.errors = [*row.errors, message]
        row.state, row.finished_dt = ImportState.FAILED, utcnow()
        db.session.commit()
        log.exception("import %s: failed", import_id)
        if not isinstance(exc, operations.PodcastError):
            raise


def _read_source(row: FeedImport) -> bytes:
    if row.file is not None:
        with get_storage(row.file.backend).open(row.file.key) as fh:
            return fh.read()
    return fetch(row.source_url)
