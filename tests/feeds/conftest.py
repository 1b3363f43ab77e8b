"""Factories for the pure feed builders' input, and the real parsers they are checked with."""

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import podcastparser
import pytest

from feeds.podcast import PODCAST_NS, compute_podcast_guid
from feeds.types import Episode, Person, Show

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FEED_URL = "https://circuits-courts.example/podcasts/tarification-sociale/feed.xml"


@pytest.fixture
def now() -> datetime:
    """Return the fixed "current time" the feeds are built at."""
    return NOW


@pytest.fixture
def make_show():
    """Return a factory of valid shows; keyword arguments override fields."""

    def factory(**overrides) -> Show:
        show = Show(
            title="Tarification sociale",
            description_html="<p>Webinaires d'Open Food France sur la tarification sociale.</p>",
            link="https://circuits-courts.example/podcasts/tarification-sociale",
            feed_url=FEED_URL,
            language="fr",
            artwork_url="https://circuits-courts.example/media/cover-3000.jpg",
            author="Open Food France",
            podcast_guid=compute_podcast_guid(FEED_URL),
            updated_dt=NOW - timedelta(hours=1),
            apple_categories=(("Education", "Courses"), ("Business", "Entrepreneurship")),
            persons=(Person("Camille Martin", role="host"),),
        )
        return replace(show, **overrides)

    return factory


@pytest.fixture
def make_episode():
    """Return a factory of valid episodes numbered n, published n days before NOW."""

    def factory(n: int = 1, **overrides) -> Episode:
        episode = Episode(
            guid=f"6f1c1b9e-0000-4000-8000-{n:012d}",
            title=f"Session {n}",
            pub_dt=NOW - timedelta(days=30 - n),
            enclosure_url=f"https://circuits-courts.example/media/{n:04d}-edition.mp3",
            enclosure_length=1_234_567 + n,
            enclosure_mime="audio/mpeg",
            description_html=f"<p>Résumé de la session {n}.</p>",
            link=f"https://circuits-courts.example/podcasts/tarification-sociale/{n}",
            duration_s=1800.4 + n,
            season=1,
            number=n,
        )
        return replace(episode, **overrides)

    return factory


@pytest.fixture
def parse_podcastparser(monkeypatch):
    """Return a parser using gPodder's podcastparser with the official P2.0 URI registered."""
    # podcastparser 0.6.11 only knows the old GitHub URI of the namespace (reference §0.1).
    monkeypatch.setitem(podcastparser.Namespace.NAMESPACES, PODCAST_NS, "podcast")

    def parse(xml: bytes, url: str = FEED_URL) -> dict:
        return podcastparser.parse(url, io.BytesIO(xml))

    return parse
