"""ID3 tags and CHAP/CTOC chapters via mutagen, read back and equal to the JSON chapters."""

import datetime
import io
import json
import shutil

import pytest
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3
from PIL import Image

from app.media.chapters import (
    Chapter,
    apply_keep_ranges,
    build_chapters_json,
    chapters_from_json,
    shift_chapters,
    with_end_times,
)
from app.media.probe import probe
from app.media.tagging import read_tags, write_tags

OUTLINE = [
    Chapter(0, "Accueil"),
    Chapter(2.5, "Les paniers de légumes"),
    Chapter(5.25, "Logistique partagée : « questions »"),
]


def cover_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (40, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def episode(speech_mp3, tmp_path):
    path = tmp_path / "episode.mp3"
    shutil.copyfile(speech_mp3, path)
    return path


def test_chapters_json_follows_the_podcast_namespace():
    document = build_chapters_json(OUTLINE)
    assert document == {
        "version": "1.2",
        "chapters": [
            {"startTime": 0, "title": "Accueil"},
            {"startTime": 2.5, "title": "Les paniers de légumes"},
            {"startTime": 5.25, "title": "Logistique partagée : « questions »"},
        ],
    }
    assert chapters_from_json(json.loads(json.dumps(document))) == OUTLINE


def test_end_times_follow_the_next_chapter():
    timed = with_end_times(reversed(OUTLINE), duration=8.6)
    assert [(c.start, c.end) for c in timed] == [(0, 2.5), (2.5, 5.25), (5.25, 8.6)]


def test_chapters_follow_an_edit_and_an_intro():
    outline = [Chapter(0, "Attente"), Chapter(60, "Début"), Chapter(300, "Questions")]
    # Waiting room trimmed (0–90 s) and 200–250 s cut out.
    edited = apply_keep_ranges(outline, [(90.0, 200.0), (250.0, 400.0)])
    assert [(c.start, c.title) for c in edited] == [(0.0, "Début"), (160.0, "Questions")]
    shifted = shift_chapters(edited, 1.0)
    assert [c.start for c in shifted] == [1.0, 161.0]


@pytest.mark.ffmpeg
@pytest.mark.espeak
def test_tags_and_chapters_read_back(episode):
    duration = probe(episode).duration
    cover = cover_jpeg()
    write_tags(
        episode,
        title="Épisode 3 : la logistique",
        duration=duration,
        speakers=["Camille Martin", "Jean Dupont"],
        series="Se former aux circuits courts",
        date=datetime.date(2026, 11, 30),
        comment="Enregistré en webinaire.",
        cover=cover,
        chapters=OUTLINE,
    )
    info = read_tags(episode)
    assert info.title == "Épisode 3 : la logistique"
    assert info.artist == "Camille Martin, Jean Dupont"
    assert info.album == "Se former aux circuits courts"
    assert info.date == "2026-11-30"
    assert info.comment == "Enregistré en webinaire."
    assert (info.cover_mime, info.cover_size) == ("image/jpeg", len(cover))
    expected = chapters_from_json(build_chapters_json(with_end_times(OUTLINE, duration)))
    assert info.chapters == [
        Chapter(c.start, c.title, round(c.end * 1000) / 1000) for c in expected
    ]

    tags = ID3(episode)
    assert tags.version[:2] == (2, 3)
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1", "chp2"]
    chaps = sorted(tags.getall("CHAP"), key=lambda f: f.start_time)
    assert [(f.start_time, f.end_time) for f in chaps] == [
        (0, 2500),
        (2500, 5250),
        (5250, round(duration * 1000)),
    ]
    # The audio is untouched and still decodes.
    assert MP3(episode).info.length == pytest.approx(duration, abs=0.1)
    assert probe(episode).audio.codec == "mp3"


@pytest.mark.ffmpeg
@pytest.mark.espeak
def test_rewriting_tags_replaces_old_chapters(episode):
    duration = probe(episode).duration
    write_tags(episode, title="Premier essai", duration=duration, chapters=OUTLINE)
    write_tags(episode, title="Version publiée", duration=duration, chapters=OUTLINE[:1])
    info = read_tags(episode)
    assert info.title == "Version publiée"
    assert [c.title for c in info.chapters] == ["Accueil"]
    assert info.cover_size == 0
    assert len(ID3(episode).getall("CHAP")) == 1


def test_more_chapters_than_a_ctoc_holds_are_spread_not_fatal(tmp_path):
    import subprocess

    from app.media.chapters import Chapter
    from app.media.tagging import ID3_MAX_CHAPTERS, read_tags, write_tags

    path = tmp_path / "long.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "3",
         "-c:a", "libmp3lame", "-b:a", "32k", str(path)],
        check=True,
    )  # fmt: skip
    chapters = [Chapter(start=i * 0.005, title=f"Section {i}") for i in range(600)]
    write_tags(path, title="Guide", duration=3.0, chapters=chapters)
    read = read_tags(path).chapters
    assert 200 <= len(read) <= ID3_MAX_CHAPTERS
    assert read[0].title == "Section 0" and read[0].start == 0.0
    assert read[-1].end == 3.0 and read[-1].start > 2.5  # spread to the end, not cut
