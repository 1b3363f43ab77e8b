"""Assembly with real espeak-ng and ffmpeg: timings, chapters, transcript cues and the cache."""

import json
import os
import subprocess
import wave

import pytest
from pydub import AudioSegment

from app.media.chapters import build_chapters_json
from app.media.storage import LocalStorage
from app.tts.assemble import (
    SAMPLE_RATE,
    AssemblyError,
    assemble_episode,
    build_concat_list,
    build_concat_wav,
    wav_frames,
)
from app.tts.cache import DirectoryStorage, SectionCache
from app.tts.edition import build_edition, synthesize_sections
from app.tts.text import prepare_guide
from app.tts.transcript import build_cues, build_plain_text
from feeds.transcripts import build_webvtt

pytestmark = [pytest.mark.espeak, pytest.mark.ffmpeg]

GUIDE = """\
# Vendre en circuit court

Ce guide présente les bases de la vente directe.

## Préparer le marché

Le marché a lieu le 12/03/2026 à 10h30. Prévoyez 3 kg de pommes à 2,50 €/kg.

- Installer la balance
- Afficher les prix TTC

## Créer une AMAP

Une AMAP relie des familles à une ferme. La SCIC et le GIE sont deux autres formes possibles.

## Bilan

Notez les ventes de la journée.
"""


def _probe_duration_s(path) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, check=True, text=True,
    )
    return float(json.loads(result.stdout)["format"]["duration"])


def _audio(path) -> AudioSegment:
    with open(path, "rb") as fh:
        return AudioSegment.from_wav(fh)


@pytest.fixture
def edition(engine, cache, tmp_path):
    return build_edition(GUIDE, "Vendre en circuit court", engine, cache, tmp_path / "work",
                         tmp_path / "episode.wav")


def test_episode_is_one_mono_44k_wav_whose_length_matches_its_timeline(edition):
    with wave.open(os.fspath(edition.wav_path), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, 44100, 2)
        frames = wav.getnframes()
    assert abs(frames * 1000 / SAMPLE_RATE - edition.duration_ms) <= 1
    assert abs(_probe_duration_s(edition.wav_path) * 1000 - edition.duration_ms) <= 30
    assert edition.duration_ms > 10_000


def test_chapters_follow_the_headings_and_cover_the_episode(edition):
    chapters = edition.chapters

    assert [c.title for c in chapters] == [
        "Vendre en circuit court", "Préparer le marché", "Créer une AMAP", "Bilan",
    ]
    assert chapters[0].start_ms == 0
    assert chapters[-1].end_ms == edition.duration_ms
    assert all(a.end_ms == b.start_ms for a, b in zip(chapters, chapters[1:], strict=False))
    assert all(c.end_ms > c.start_ms for c in chapters)
    document = build_chapters_json([c.as_media_chapter() for c in chapters])
    assert [item["title"] for item in document["chapters"]] == [c.title for c in chapters]


def test_chapter_offsets_land_on_speech_after_silent_pauses(edition):
    audio = _audio(edition.wav_path)
    for chapter in edition.chapters[1:]:
        # The pause just before a chapter is digital silence; its first words are not.
        assert audio[chapter.start_ms - 300:chapter.start_ms - 50].rms == 0
        assert audio[chapter.start_ms:chapter.start_ms + 800].rms > 100


def test_transcript_cues_cover_the_whole_duration_without_gaps(edition):
    cues = edition.cues

    assert cues[0].start_s == 0
    assert cues[-1].end_s * 1000 == edition.duration_ms
    assert all(a.end_s == b.start_s for a, b in zip(cues, cues[1:], strict=False))
    assert all(c.end_s > c.start_s for c in cues)
    texts = [c.text for c in cues]
    assert "Le marché a lieu le 12/03/2026 à 10h30." in texts  # written form, not the words
    assert "Partie 2 : Créer une AMAP" in texts
    # Each cue starts inside its own chapter.
    amap = edition.chapters[2]
    cue = next(c for c in cues if c.text == "Partie 2 : Créer une AMAP")
    assert cue.start_s * 1000 == amap.start_ms
    vtt = build_webvtt(cues)
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(cues)


def test_plain_transcript_is_the_written_guide(edition):
    text = edition.transcript

    assert text.startswith("Vendre en circuit court\n\nVersion audio lue par une voix de synthèse.")
    assert "- Installer la balance" in text
    assert "Prévoyez 3 kg de pommes à 2,50 €/kg." in text


def test_only_the_edited_section_is_synthesised_again(engine, cache, tmp_path, edition):
    first_hashes = [s.content_hash for s in edition.sections]
    assert edition.synthesized == first_hashes

    edited = GUIDE.replace("Notez les ventes", "Notez toutes les ventes")
    again = build_edition(edited, "Vendre en circuit court", engine, cache, tmp_path / "work2",
                          tmp_path / "episode2.wav")

    new_hashes = [s.content_hash for s in again.sections]
    assert new_hashes[:3] == first_hashes[:3]
    assert new_hashes[3] != first_hashes[3]
    assert again.synthesized == [new_hashes[3]]
    unchanged = build_edition(edited, "Vendre en circuit court", engine, cache,
                              tmp_path / "work3", tmp_path / "episode3.wav")
    assert unchanged.synthesized == []
    assert unchanged.duration_ms == again.duration_ms


def test_parallel_synthesis_keeps_section_order(engine, cache, tmp_path):
    sections = prepare_guide(GUIDE, "Guide", engine_id=engine.id, voice=engine.voice)

    audio = synthesize_sections(sections, engine, cache, tmp_path / "work", max_workers=2)

    assert [a.section.index for a in audio] == [0, 1, 2, 3]
    assert all(a.synthesized for a in audio)
    assert all(wav_frames(a.path) > 0 for a in audio)


def test_cache_runs_on_the_project_storage(engine, tmp_path):
    storage = LocalStorage(tmp_path / "media")
    sections = prepare_guide("Un seul paragraphe.", "Guide", engine_id=engine.id,
                             voice=engine.voice)
    with SectionCache(storage) as cache:
        assert cache.get(sections[0].content_hash) is None
        synthesize_sections(sections, engine, cache, tmp_path / "work")
        path = cache.get(sections[0].content_hash)
    assert path == storage.path(cache.key(sections[0].content_hash))
    assert wav_frames(path) > 0


def test_directory_storage_saves_atomically_and_rejects_bad_keys(tmp_path):
    storage = DirectoryStorage(tmp_path)
    source = tmp_path / "source.wav"
    source.write_bytes(b"RIFF")
    with SectionCache(storage, prefix="p") as cache:
        cache.put("ab" * 32, source)
        assert cache.get("ab" * 32).read_bytes() == b"RIFF"
        with pytest.raises(ValueError):
            cache.get("../../etc/passwd")
    assert sorted(p.name for p in (tmp_path / "p" / "ab").iterdir()) == ["ab" * 32 + ".wav"]


def test_assembly_refuses_audio_not_in_the_episode_format(engine, tmp_path):
    native = engine.synthesize("Bonjour.", tmp_path / "native.wav")  # 22,050 Hz from espeak-ng

    with pytest.raises(AssemblyError, match="44100 Hz"):
        assemble_episode([("Intro", native)], tmp_path / "out.wav", tmp_path / "work")
    assert not (tmp_path / "out.wav").exists()


def test_paths_with_quotes_survive_the_concat_list(engine, cache, tmp_path):
    workdir = tmp_path / "l'atelier"
    edition = build_edition("Une phrase.", "Guide", engine, cache, workdir, workdir / "out.wav")

    assert wav_frames(edition.wav_path) * 1000 // SAMPLE_RATE >= edition.duration_ms - 1
    assert "'\\''" in build_concat_list([workdir / "a.wav"])


def test_concat_command_copies_samples_with_the_concat_demuxer(tmp_path):
    args = build_concat_wav(tmp_path / "list.ffconcat", tmp_path / "out.wav").get_args()

    assert args[:5] == ["-f", "concat", "-safe", "0", "-i"]
    assert args[args.index("-acodec") + 1] == "copy"
    assert args[args.index("-rf64") + 1] == "auto"


def test_cues_are_shared_in_proportion_to_spoken_length():
    sections = prepare_guide("Court. " + "Une phrase bien plus longue que la précédente. ",
                             "Guide")
    from app.tts.assemble import SectionTiming

    cues = build_cues(sections, [SectionTiming(0, 1000, 11_000)], 12_000)

    durations = {c.text: c.end_s - c.start_s for c in cues}
    assert durations["Une phrase bien plus longue que la précédente."] > 2 * durations["Court."]
    assert cues[0].start_s == 0 and cues[-1].end_s == 12
    assert build_plain_text(sections).endswith(
        "Court. Une phrase bien plus longue que la précédente.\n"
    )


def test_identical_sections_synthesised_in_parallel_share_one_cache_entry(engine, cache, tmp_path):
    markdown = "## Conclusion\n\nMerci.\n\n## Conclusion\n\nMerci.\n"
    sections = prepare_guide(markdown, "Guide", engine_id=engine.id, voice=engine.voice)
    assert sections[1].content_hash == sections[2].content_hash

    audio = synthesize_sections(sections, engine, cache, tmp_path / "work", max_workers=3)

    assert audio[1].path == audio[2].path
    assert wav_frames(audio[2].path) > 0
    assert list((tmp_path / "work").iterdir()) == []  # scratch files are gone
