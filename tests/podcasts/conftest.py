"""Podcast fixtures: real MP3s made by ffmpeg, ready assets, shows, a clock, feed parsers."""

import io
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import podcastparser
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.media.chapters import Chapter
from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
from app.media.operations import store_file
from app.media.tagging import write_tags
from app.podcasts import operations
from feeds.podcast import PODCAST_NS
from feeds.transcripts import build_srt, build_webvtt
from tests.conftest import IsolatedClient

DURATION_S = 150
BITRATE = 32_000
CHAPTERS = [
    Chapter(0, "Accueil"),
    Chapter(40.5, "Témoignage de Léa & Marc"),
    Chapter(100, "Questions"),
]
CUES = [(0, 4, "Bonjour et bienvenue."), (4, 9, "Aujourd'hui : les circuits courts.")]
T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
#: The show form's required fields, as an animator fills them (tests add or override the rest).
SHOW_FORM = {
    "author": "OFF",
    "language": "fr",
    "category": "Arts|Food",
    "kind": "standalone",
    "show_type": "episodic",
    "visibility": "public",
}


def ffprobe_duration(path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)["format"]["duration"])


class ClosingClient(IsolatedClient):
    """Read and close every response: send_file keeps the file open until the body is closed."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


@pytest.fixture
def app(app_factory):
    """The app with the feed stamp checked on every request (tests change rows between GETs)."""
    application = app_factory(PODCASTS={"stamp_ttl_s": 0})
    with application.app_context():
        yield application


@pytest.fixture
def client(app):
    app.test_client_class = ClosingClient
    return app.test_client()


@pytest.fixture(scope="session")
def mp3_path(tmp_path_factory) -> Path:
    """A 150 s mono CBR MP3 tagged with three chapters (ID3 CHAP + CTOC)."""
    assert shutil.which("ffmpeg"), "ffmpeg is required (Debian package)"
    path = tmp_path_factory.mktemp("audio") / "interview.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:duration={DURATION_S}:sample_rate=44100",
            "-ac",
            "1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "32k",
            str(path),
        ],
        check=True,
    )
    write_tags(
        path,
        title="Entretien",
        duration=ffprobe_duration(path),
        speakers=["Léa"],
        series="Paroles de circuits courts",
        chapters=CHAPTERS,
    )
    return path


@pytest.fixture
def clock(app):
    """A settable clock injected into the podcast feature: clock.now = …"""

    class Clock:
        now = T0 + timedelta(days=30)

        def __call__(self):
            return self.now

    c = Clock()
    app.extensions["podcasts"]["clock"] = c
    return c


@pytest.fixture
def make_asset(app, mp3_path):
    """Create a ready audio asset whose audio_edition is the tagged MP3 (stored for real)."""

    def factory(*, ready=True, chapters=True, transcripts=True, title="Entretien", path=None):
        path = path or mp3_path
        with open(path, "rb") as fh:
            stored = store_file(fh, "edition.mp3", prefix="test/audio", content_type="audio/mpeg")
        duration = ffprobe_duration(path)
        asset = MediaAsset(
            title=title,
            kind=AssetKind.AUDIO,
            status=AssetStatus.READY if ready else AssetStatus.PROCESSING,
            duration_s=duration,
            chapters=[{"start": c.start, "title": c.title} for c in CHAPTERS] if chapters else None,
            ready_dt=T0 if ready else None,
        )
        if ready:
            asset.renditions.append(
                Rendition(
                    kind=RenditionKind.AUDIO_EDITION,
                    file=stored,
                    duration_s=duration,
                    bitrate=BITRATE,
                )
            )
            if transcripts:
                for kind, text, name, mime in (
                    (RenditionKind.TRANSCRIPT_VTT, build_webvtt(CUES), "t.vtt", "text/vtt"),
                    (
                        RenditionKind.TRANSCRIPT_SRT,
                        build_srt(CUES),
                        "t.srt",
                        "application/x-subrip",
                    ),
                ):
                    f = store_file(
                        io.BytesIO(text.encode()), name, prefix="test/tr", content_type=mime
                    )
                    asset.renditions.append(Rendition(kind=kind, file=f))
        db.session.add(asset)
        db.session.flush()
        return asset

    return factory


@pytest.fixture
def make_show(app):
    counter = iter(range(1, 10_000))

    def factory(**fields):
        n = next(counter)
        fields.setdefault("title", f"Paroles de circuits courts {n}")
        fields.setdefault("slug", f"paroles-{n}")
        if fields.get("kind", "standalone") == "standalone":
            fields.setdefault("apple_category", "Arts")
            fields.setdefault("apple_subcategory", "Food")
        fields.setdefault("now", T0)
        show = operations.create_show(**fields)
        db.session.commit()
        return show

    return factory


@pytest.fixture
def publish(app, make_asset):
    """Publish an episode n on a show with a fresh ready asset (committed)."""

    def factory(show, n=1, *, asset=None, pub_dt=None, **kw):
        asset = asset or make_asset()
        kw.setdefault("title", f"Épisode {n}")
        kw.setdefault("description", f"Rencontre n°{n} avec des **producteurs**.")
        episode = operations.publish_episode(
            show,
            asset=asset,
            pub_dt=pub_dt or T0 + timedelta(days=n % 20, minutes=n),
            source=("test", n),
            number=kw.pop("number", n),
            now=T0,
            **kw,
        )
        db.session.commit()
        return episode

    return factory


@pytest.fixture
def parse_podcastparser(monkeypatch):
    """gPodder's parser with the official Podcast Index URI registered (reference §0.1)."""
    monkeypatch.setitem(podcastparser.Namespace.NAMESPACES, PODCAST_NS, "podcast")

    def parse(xml: bytes, url: str) -> dict:
        return podcastparser.parse(url, io.BytesIO(xml))

    return parse


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a `with count_queries() as counter:` block."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        seen = []

        def listener(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)

    return counter
