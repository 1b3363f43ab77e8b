"""Podcast RSS builder: feedgen for RSS core and iTunes tags, registered extensions for the rest.

feedgen 1.0.0 is used behind validation because of its known traps (reference §4.1): it rejects
Apple's `true`/`false` explicit values, silently drops channel artwork whose URL does not end in
.jpg/.png, writes `length="None"`, takes the RSS <link> from the last `link()` call, prepends
entries, and has no Podcast 2.0 support. Every value is checked here first, so bad input raises
`FeedError` with a message instead of producing a feed that an app rejects.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree

from feeds.apple_categories import check_apple_category
from feeds.namespaces import (  # noqa: F401 - re-exported: the feed's namespaces and GUID rule
    ITUNES_NS,
    PODCAST_GUID_NAMESPACE,
    PODCAST_NS,
    PSC_NS,
    compute_podcast_guid,
)
from feeds.text import truncate_html, truncate_text, xml_safe
from feeds.types import Episode, FeedError, Person, Show

#: Enclosure types Apple accepts, with the extension the URL path must end in.
APPLE_ENCLOSURE_TYPES = {
    "audio/mpeg": ".mp3",
    "audio/x-m4a": ".m4a",
    "video/mp4": ".mp4",
    "video/x-m4v": ".m4v",
    "video/quicktime": ".mov",
    "application/pdf": ".pdf",
}
TRANSCRIPT_TYPES = frozenset(
    {
        "text/vtt",
        "application/x-subrip",
        "application/srt",
        "application/json",
        "text/html",
        "text/plain",
    }
)
MEDIUMS = frozenset(
    {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course"}
)
CHAPTERS_JSON_TYPE = "application/json+chapters"

# Apple's limits: tag values up to 255 characters, descriptions up to 4000 bytes.
MAX_TEXT_CHARS = 255
MAX_DESCRIPTION_BYTES = 4000
_LANGUAGE = re.compile(r"^[a-z]{2}(-[a-z]{2})?$")


def format_npt(seconds: float) -> str:
    """Format seconds as the normal play time `HH:MM:SS.mmm` used by psc:chapter."""
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def build_podcast_feed(show: Show, episodes: Iterable[Episode], now: datetime) -> bytes:
    """Render a show and its ready episodes as RSS 2.0; items dated after `now` are left out."""
    _require_aware(now, "now")
    episodes = list(episodes)
    _check_show(show)
    for episode in episodes:
        _check_episode(episode)
    _check_unique_guids(episodes)
    published = [episode for episode in episodes if episode.pub_dt <= now]
    if show.show_type == "serial":
        missing = [e.guid for e in published if e.number is None]
        if missing:
            raise FeedError(f"a serial show needs an episode number on every item: {missing}")

    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", _PodcastIndexFeed, _PodcastIndexEntry)
    fg.register_extension("apple", _AppleFeed, _AppleEntry)
    fg.register_extension("psc", _PodloveChaptersFeed, _PodloveChaptersEntry)
    _fill_channel(fg, show)
    for episode, pub_dt in _ordered_with_dates(show, published):
        _fill_item(fg.add_entry(order="append"), episode, pub_dt)
    return _finish(fg.rss_str(pretty=False))


# Channel and items ---------------------------------------------------------------------------


def _fill_channel(fg: FeedGenerator, show: Show) -> None:
    fg.title(truncate_text(show.title, MAX_TEXT_CHARS))
    fg.description(truncate_html(show.description_html, MAX_DESCRIPTION_BYTES) or show.title)
    # feedgen takes the RSS <link> from the *last* link() call: self first, the site last.
    fg.link(href=show.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=show.link, rel="alternate")
    fg.language(show.language.lower())
    # A fixed lastBuildDate keeps the bytes (and so the ETag) stable between identical builds;
    # feedgen would otherwise stamp the current time.
    fg.lastBuildDate(show.updated_dt.astimezone(UTC))
    fg.generator("La Boîte à outils des circuits courts")
    fg.image(url=show.artwork_url, title=truncate_text(show.title, MAX_TEXT_CHARS), link=show.link)
    if show.copyright:
        fg.copyright(truncate_text(show.copyright, MAX_TEXT_CHARS))

    fg.podcast.itunes_author(truncate_text(show.author, MAX_TEXT_CHARS))
    fg.podcast.itunes_category(
        [
            {"cat": category} if sub is None else {"cat": category, "sub": sub}
            for category, sub in show.apple_categories
        ]
    )
    fg.podcast.itunes_type(show.show_type)
    # The owner e-mail is a spam magnet and must never reach a member's private feed.
    if not show.private and show.owner_name and show.owner_email:
        fg.podcast.itunes_owner(
            name=truncate_text(show.owner_name, MAX_TEXT_CHARS), email=show.owner_email
        )
    fg.apple.show = show
    fg.podcastindex.show = show


def _fill_item(fe, episode: Episode, pub_dt: datetime) -> None:
    fe.guid(episode.guid, permalink=False)
    fe.title(truncate_text(episode.title, MAX_TEXT_CHARS))
    if episode.link:
        fe.link(href=episode.link, rel="alternate")
    description = truncate_html(episode.description_html, MAX_DESCRIPTION_BYTES)
    if description:
        fe.description(description)
    fe.enclosure(episode.enclosure_url, str(episode.enclosure_length), episode.enclosure_mime)
    fe.pubDate(pub_dt.astimezone(UTC))
    if episode.duration_s is not None:
        # Apple prefers whole seconds and feedgen rejects floats.
        fe.podcast.itunes_duration(round(episode.duration_s))
    if episode.season is not None:
        fe.podcast.itunes_season(episode.season)
    if episode.number is not None:
        fe.podcast.itunes_episode(episode.number)
    fe.podcast.itunes_episode_type(episode.episode_type)
    fe.apple.episode = episode
    fe.podcastindex.episode = episode
    fe.psc.chapters = episode.chapters


def _ordered_with_dates(show: Show, episodes: list[Episode]) -> list[tuple[Episode, datetime]]:
    if show.show_type == "episodic":
        ordered = sorted(episodes, key=lambda e: (e.pub_dt, e.guid), reverse=True)
        return [(episode, episode.pub_dt) for episode in ordered]
    # Serial shows list sessions in course order. Clients (gPodder) sort serial feeds by date,
    # and a replay can be processed after a later session's, so each pubDate is raised to the
    # latest date among earlier sessions: ties keep document order, never a future date.
    ordered = sorted(episodes, key=lambda e: (e.season or 0, e.number, e.guid))
    result, latest = [], None
    for episode in ordered:
        latest = episode.pub_dt if latest is None else max(latest, episode.pub_dt)
        result.append((episode, latest))
    return result


def _finish(rss: bytes) -> bytes:
    root = etree.fromstring(rss)
    # Apple asks for HTML in CDATA; "]]>" cannot occur inside CDATA, "]]&gt;" reads the same.
    for description in root.iter("description"):
        if description.text:
            description.text = etree.CDATA(description.text.replace("]]>", "]]&gt;"))
    # feedgen always declares content: and every registered extension's prefix; keep only the
    # namespaces actually used.
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# Extensions ----------------------------------------------------------------------------------


def _el(parent, ns: str, tag: str, text: str | None = None, **attrs: str | None):
    element = xml_elem(f"{{{ns}}}{tag}", parent)
    for name, value in attrs.items():
        if value is not None:
            element.set(name.rstrip("_").replace("_", "-"), value)
    if text is not None:
        element.text = text
    return element


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _persons(parent, persons: Sequence[Person]) -> None:
    for person in persons:
        _el(
            parent,
            PODCAST_NS,
            "person",
            truncate_text(person.name, 128),
            role=person.role,
            group=person.group,
            href=person.href,
            img=person.img,
        )


def _ai_content(parent) -> None:
    _el(parent, PODCAST_NS, "txt", "true", purpose="ai-content")


class _AppleFeed(BaseExtension):
    """iTunes channel tags feedgen gets wrong: explicit, image and block."""

    show: Show | None = None

    def extend_ns(self):
        return {"itunes": ITUNES_NS}

    def extend_rss(self, feed):
        channel, show = feed[0], self.show
        _el(channel, ITUNES_NS, "image", href=show.artwork_url)
        _el(channel, ITUNES_NS, "explicit", "true" if show.explicit else "false")
        if show.private or show.block:
            _el(channel, ITUNES_NS, "block", "Yes")
        return feed


class _AppleEntry(BaseEntryExtension):
    """iTunes item tags feedgen gets wrong: explicit and image."""

    episode: Episode | None = None

    def extend_ns(self):
        return {"itunes": ITUNES_NS}

    def extend_rss(self, entry):
        episode = self.episode
        if episode.image_url:
            _el(entry, ITUNES_NS, "image", href=episode.image_url)
        if episode.explicit is not None:
            _el(entry, ITUNES_NS, "explicit", "true" if episode.explicit else "false")
        return entry


class _PodcastIndexFeed(BaseExtension):
    """Podcast Index channel tags, under the official namespace URI."""

    show: Show | None = None

    def extend_ns(self):
        return {"podcast": PODCAST_NS}

    def extend_rss(self, feed):
        channel, show = feed[0], self.show
        _el(channel, PODCAST_NS, "guid", show.podcast_guid)
        owner = None if show.private else show.owner_email
        _el(channel, PODCAST_NS, "locked", _yes_no(show.locked), owner=owner)
        _el(channel, PODCAST_NS, "medium", show.medium)
        if show.private or show.block:
            _el(channel, PODCAST_NS, "block", "yes")
        _persons(channel, show.persons)
        for image in show.images:
            _el(
                channel,
                PODCAST_NS,
                "image",
                href=image.url,
                width=str(image.width),
                height=str(image.height),
                type=image.mime,
                alt=image.alt,
                purpose=image.purpose,
            )
        if show.funding_url:
            _el(
                channel,
                PODCAST_NS,
                "funding",
                truncate_text(show.funding_text or show.title, 128),
                url=show.funding_url,
            )
        if show.synthetic_voice:
            _ai_content(channel)
        return feed


class _PodcastIndexEntry(BaseEntryExtension):
    """Podcast Index item tags: transcripts, chapters, persons, season/episode, alternates."""

    episode: Episode | None = None

    def extend_ns(self):
        return {"podcast": PODCAST_NS}

    def extend_rss(self, entry):
        episode = self.episode
        for transcript in episode.transcripts:
            _el(
                entry,
                PODCAST_NS,
                "transcript",
                url=transcript.url,
                type=transcript.mime,
                language=transcript.language,
                rel=transcript.rel,
            )
        if episode.chapters_url:
            _el(entry, PODCAST_NS, "chapters", url=episode.chapters_url, type=CHAPTERS_JSON_TYPE)
        _persons(entry, episode.persons)
        if episode.season is not None:
            name = truncate_text(episode.season_name, 128) if episode.season_name else None
            _el(entry, PODCAST_NS, "season", str(episode.season), name=name)
        if episode.number is not None:
            _el(entry, PODCAST_NS, "episode", str(episode.number))
        if episode.alternate_enclosures:
            # The enclosure itself comes first, marked default, so apps that offer a choice
            # (audio or video) list both renditions.
            default = _el(
                entry,
                PODCAST_NS,
                "alternateEnclosure",
                type=episode.enclosure_mime,
                length=str(episode.enclosure_length),
                default="true",
            )
            _el(default, PODCAST_NS, "source", uri=episode.enclosure_url)
            for alternate in episode.alternate_enclosures:
                element = _el(
                    entry,
                    PODCAST_NS,
                    "alternateEnclosure",
                    type=alternate.mime,
                    length=str(alternate.length),
                    bitrate=None if alternate.bitrate is None else str(alternate.bitrate),
                    height=None if alternate.height is None else str(alternate.height),
                    title=truncate_text(alternate.title, 32) if alternate.title else None,
                )
                _el(element, PODCAST_NS, "source", uri=alternate.url)
        if episode.synthetic_voice:
            _ai_content(entry)
        return entry


class _PodloveChaptersFeed(BaseExtension):
    """Declares the psc prefix on the root (dropped again when no item has chapters)."""

    def extend_ns(self):
        return {"psc": PSC_NS}


class _PodloveChaptersEntry(BaseEntryExtension):
    """Inline Podlove Simple Chapters, read by gPodder, feedparser and AntennaPod."""

    chapters: Sequence = ()

    def extend_ns(self):
        return {"psc": PSC_NS}

    def extend_rss(self, entry):
        if self.chapters:
            container = _el(entry, PSC_NS, "chapters", version="1.2")
            for chapter in self.chapters:
                _el(
                    container,
                    PSC_NS,
                    "chapter",
                    start=format_npt(chapter.start),
                    title=truncate_text(chapter.title, MAX_TEXT_CHARS),
                    href=chapter.url,
                    image=chapter.img,
                )
        return entry


# Validation ----------------------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise FeedError(f"{name} must be a timezone-aware datetime")


def _require_http_url(url: str | None, what: str) -> None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"{what} must be an absolute http(s) URL, got {url!r}")


def _require_artwork_url(url: str, what: str) -> None:
    _require_http_url(url, what)
    # Apple reads the type from the extension; feedgen drops (channel) or rejects (item)
    # anything else, including .jpeg and .JPG.
    if not urlsplit(url).path.endswith((".jpg", ".png")):
        raise FeedError(f"{what} must end in .jpg or .png, got {url!r}")


def _require_positive_int(value, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FeedError(f"{what} must be a positive integer, got {value!r}")


def _check_show(show: Show) -> None:
    if not xml_safe(show.title):
        raise FeedError("the show needs a title")
    if not xml_safe(show.author):
        raise FeedError("the show needs an author")
    _require_http_url(show.link, "the show link")
    _require_http_url(show.feed_url, "the feed URL")
    if show.link.rstrip("/") == show.feed_url.rstrip("/"):
        raise FeedError("the show link must be the web page, not the feed URL")
    if not _LANGUAGE.match(show.language.lower()):
        raise FeedError(f"invalid language code {show.language!r} (expected e.g. 'fr' or 'fr-fr')")
    _require_artwork_url(show.artwork_url, "the show artwork URL")
    if show.artwork_size_px is not None and not 1400 <= show.artwork_size_px <= 3000:
        raise FeedError(f"the artwork must be 1400–3000 px square, got {show.artwork_size_px} px")
    if not show.apple_categories:
        raise FeedError("the show needs an Apple Podcasts category")
    for category, subcategory in show.apple_categories:
        check_apple_category(category, subcategory)
    if show.show_type not in ("episodic", "serial"):
        raise FeedError(f"show type must be episodic or serial, got {show.show_type!r}")
    if show.medium not in MEDIUMS:
        raise FeedError(f"unknown podcast:medium {show.medium!r}")
    try:
        uuid.UUID(show.podcast_guid)
    except ValueError:
        raise FeedError(f"podcast:guid must be a UUID, got {show.podcast_guid!r}") from None
    _require_aware(show.updated_dt, "the show's updated_dt")
    if show.funding_url:
        _require_http_url(show.funding_url, "the funding URL")


def _check_episode(episode: Episode) -> None:
    where = f"episode {episode.guid!r}"
    if not xml_safe(episode.guid):
        raise FeedError("every episode needs a GUID")
    if not xml_safe(episode.title):
        raise FeedError(f"{where} needs a title")
    _require_aware(episode.pub_dt, f"{where} pub_dt")
    _require_positive_int(episode.enclosure_length, f"{where} enclosure length")
    extension = APPLE_ENCLOSURE_TYPES.get(episode.enclosure_mime)
    if extension is None:
        raise FeedError(
            f"{where}: Apple does not accept enclosures of type {episode.enclosure_mime!r}"
        )
    _require_http_url(episode.enclosure_url, f"{where} enclosure URL")
    if not urlsplit(episode.enclosure_url).path.endswith(extension):
        raise FeedError(
            f"{where}: an {episode.enclosure_mime} enclosure URL must end in "
            f"{extension}, got {episode.enclosure_url!r}"
        )
    if episode.duration_s is not None and episode.duration_s < 0:
        raise FeedError(f"{where} has a negative duration")
    for value, what in ((episode.season, "season"), (episode.number, "episode number")):
        if value is not None:
            _require_positive_int(value, f"{where} {what}")
    if episode.episode_type not in ("full", "trailer", "bonus"):
        raise FeedError(f"{where}: episode type must be full, trailer or bonus")
    if episode.image_url:
        _require_artwork_url(episode.image_url, f"{where} artwork URL")
    if episode.chapters_url:
        _require_http_url(episode.chapters_url, f"{where} chapters URL")
    for transcript in episode.transcripts:
        _require_http_url(transcript.url, f"{where} transcript URL")
        if transcript.mime not in TRANSCRIPT_TYPES:
            raise FeedError(f"{where}: unsupported transcript type {transcript.mime!r}")
    starts = [chapter.start for chapter in episode.chapters]
    if any(start < 0 for start in starts) or starts != sorted(starts):
        raise FeedError(f"{where}: chapters must start at 0 or later, in ascending order")
    for alternate in episode.alternate_enclosures:
        _require_http_url(alternate.url, f"{where} alternate enclosure URL")
        _require_positive_int(alternate.length, f"{where} alternate enclosure length")


def _check_unique_guids(episodes: list[Episode]) -> None:
    seen: set[str] = set()
    for episode in episodes:
        if episode.guid in seen:
            raise FeedError(f"two episodes share the GUID {episode.guid!r}")
        seen.add(episode.guid)
