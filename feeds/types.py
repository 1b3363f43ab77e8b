"""Plain, immutable descriptions of what the feed builders render.

Callers (views, tasks) build these from database rows; the builders never see a row, a request
or the application, so they can be tested and benchmarked on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple, Protocol


class FeedError(ValueError):
    """Input that would produce a feed or calendar that clients reject."""


@dataclass(frozen=True)
class Person:
    """A `podcast:person`: role and group are Podcast Index taxonomy values (kept in English)."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Image:
    """One artwork variant, rendered as `podcast:image`."""

    url: str
    width: int
    height: int
    mime: str = "image/jpeg"
    alt: str | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class Transcript:
    """A `podcast:transcript`; rel="captions" marks a timecoded file (VTT, SRT)."""

    url: str
    mime: str
    language: str | None = None
    rel: str | None = None


class ChapterMark(Protocol):
    """A chapter as the pipeline describes it (`app.media.chapters.Chapter` fits as is)."""

    @property
    def start(self) -> float: ...  # seconds from the start of the enclosure

    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str | None: ...

    @property
    def img(self) -> str | None: ...


@dataclass(frozen=True)
class AlternateEnclosure:
    """Another rendition of an episode (e.g. the video replay): `podcast:alternateEnclosure`."""

    url: str
    length: int
    mime: str
    height: int | None = None
    bitrate: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class Show:
    """A podcast channel: a standalone show, a course feed or the audio guides show."""

    title: str
    description_html: str  # already sanitised HTML (or plain text)
    link: str  # the show's web page, never the feed URL
    feed_url: str  # the exact URL the feed is served at (atom:link rel=self)
    language: str  # ISO 639, e.g. "fr" or "fr-fr"
    artwork_url: str  # square 1400–3000 px, ends in .jpg or .png
    author: str
    podcast_guid: str  # assigned once (see feeds.podcast.compute_podcast_guid) and stored
    updated_dt: datetime  # last change of anything in the feed, rendered as lastBuildDate
    apple_categories: tuple[tuple[str, str | None], ...] = (("Education", "Courses"),)
    explicit: bool = False
    show_type: Literal["episodic", "serial"] = "episodic"
    medium: str = "podcast"
    locked: bool = True
    owner_name: str | None = None
    owner_email: str | None = None
    persons: tuple[Person, ...] = ()
    images: tuple[Image, ...] = ()
    artwork_size_px: int | None = None  # side of the square artwork, checked when known
    copyright: str | None = None
    funding_url: str | None = None
    funding_text: str | None = None
    synthetic_voice: bool = False  # every episode is voiced by text-to-speech
    private: bool = False  # a member's token feed: blocked from directories, no owner e-mail
    block: bool = False  # keep a public feed out of directories too


@dataclass(frozen=True)
class Episode:
    """A podcast item whose media is ready: the enclosure's exact bytes, type and duration."""

    guid: str  # assigned once, never changed
    title: str
    pub_dt: datetime  # timezone-aware
    enclosure_url: str
    enclosure_length: int  # byte size of the exact file behind enclosure_url
    enclosure_mime: str
    description_html: str = ""  # already sanitised HTML
    link: str | None = None
    duration_s: float | None = None
    season: int | None = None
    season_name: str | None = None
    number: int | None = None
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    explicit: bool | None = None
    image_url: str | None = None
    chapters_url: str | None = None
    chapters: tuple[ChapterMark, ...] = ()  # rendered inline as psc:chapters
    transcripts: tuple[Transcript, ...] = ()
    persons: tuple[Person, ...] = ()  # replaces the show's persons for this item
    alternate_enclosures: tuple[AlternateEnclosure, ...] = ()
    synthetic_voice: bool = False  # voiced by text-to-speech: disclosed with podcast:txt


class Cue(NamedTuple):
    """One transcript cue; a plain (start_s, end_s, text) tuple is accepted too."""

    start_s: float
    end_s: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class CalendarEvent:
    """A session as a VEVENT; start and end are aware datetimes, rendered in `tzid`."""

    uid: str  # stable forever, e.g. "session-42@circuits-courts.openfoodfrance.fr"
    summary: str
    start_dt: datetime
    end_dt: datetime
    last_modified_dt: datetime
    sequence: int = 0  # bumped on every reschedule or cancellation
    description: str = ""
    tzid: str = "Europe/Paris"
    location: str | None = None
    url: str | None = None  # the public session page
    status: Literal["confirmed", "tentative", "cancelled"] = "confirmed"
    join_url: str | None = None  # live link: rendered only in private calendars
    categories: tuple[str, ...] = ()
