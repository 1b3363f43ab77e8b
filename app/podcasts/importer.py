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
import mimetypes
import tempfile
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from app.core.db import utcnow
from app.extensions import db
from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
from app.media.operations import store_file
from app.media.probe import probe
from app.podcasts import operations
from app.podcasts.models import Show
from feeds.podcast import ITUNES_NS, PODCAST_NS, compute_podcast_guid

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
    """The feed cannot be imported; the message says why."""


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
        raise ImportError_(f"Ce fichier n'est pas un flux RSS valide : {exc}") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ImportError_("Ce document n'est pas un flux RSS de podcast (<rss><channel>).")
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
        raise ImportError_(f"Le document {url} dépasse {limit // (1024 * 1024)} Mo.")
    return data


def _open(url: str):
    if urlsplit(url).scheme not in ("http", "https"):
        raise ImportError_(f"Adresse non prise en charge : {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "CircuitsCourts-Import/1.0"})  # noqa: S310 - scheme checked above
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)  # noqa: S310 - scheme checked
    except OSError as exc:
        raise ImportError_(f"Impossible de télécharger {url} : {exc}") from None


def import_feed(
    xml: bytes,
    *,
    source_url: str | None = None,
    slug: str | None = None,
    confirm_locked: bool = False,
    created_by_id: int | None = None,
    process: bool = False,
    now: datetime | None = None,
) -> Show:
    """Create a show from an RSS document, downloading artwork and media (flushes).

    With ``process`` each download becomes the original of an asset queued for the media
    pipeline (loudness, tags, chapters): the caller commits, then sends ``show.import_jobs``.
    Otherwise the downloaded file itself is the audio edition, bytes untouched.
    """
    now = now or utcnow()
    feed = parse_feed(xml)
    if feed.locked and not confirm_locked:
        raise LockedFeed(
            "Ce flux est verrouillé (podcast:locked) : son propriétaire interdit l'import. "
            "Confirmez que ce podcast est le vôtre pour l'importer quand même."
        )
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
    for item in feed.items:
        if not item.enclosure_url:
            continue
        asset = import_media(
            item.enclosure_url,
            item.enclosure_type,
            title=item.title,
            process=process,
            owner_id=created_by_id,
        )
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
    if show.show_type == "serial":
        _number_serial(show)
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
                    raise ImportError_(f"Le fichier {url} est trop gros pour être importé.")
                tmp.write(chunk)
        tmp.flush()
        facts = probe(tmp.name)
        if facts.audio is None:
            raise ImportError_(f"Le fichier {url} ne contient pas de son.")
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
