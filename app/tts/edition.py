"""Produce a guide's audio edition: synthesise missing sections, assemble, time the transcript.

This is the whole text-to-speech chain without a database or Flask: the Celery task loads the
guide, calls ``build_edition`` (or fans ``synthesize_section`` out per section), then hands the WAV
to loudness normalisation, MP3 encoding and tagging.
"""

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from app.tts.assemble import Assembly, Chapter, assemble_episode, convert_to_canonical
from app.tts.cache import SectionCache
from app.tts.engines import Engine
from app.tts.text import Section, iter_sections
from app.tts.transcript import Cue, build_cues, build_plain_text


@dataclass(frozen=True, slots=True)
class SectionAudio:
    """A section with the local path of its audio in the episode format."""

    section: Section
    path: Path
    synthesized: bool  #: False when the audio came from the cache


@dataclass(frozen=True)
class Edition:
    """Everything the publishing step needs from the text-to-speech layer."""

    wav_path: Path
    duration_ms: int
    chapters: list[Chapter]
    cues: list[Cue]
    transcript: str
    sections: list[Section]
    synthesized: list[str] = field(default_factory=list)  #: content hashes synthesised this time


def synthesize_section(
    section: Section, engine: Engine, cache: SectionCache, workdir: str | os.PathLike
) -> SectionAudio:
    """Return the section's audio from the cache, synthesising and caching it on a miss."""
    cached = cache.get(section.content_hash)
    if cached is not None:
        return SectionAudio(section, Path(cached), synthesized=False)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    # A private scratch directory: two workers on identical sections never share a file.
    with tempfile.TemporaryDirectory(dir=workdir, prefix="section-") as scratch:
        native = engine.synthesize(section.text_to_speak, Path(scratch) / "native.wav")
        canonical = convert_to_canonical(native, Path(scratch) / "section.wav")
        cache.put(section.content_hash, canonical)
    # The cache hands back a path that lives until it is closed (the file itself on local
    # storage, a download on S3), so the section audio is kept once, not twice.
    stored = cache.get(section.content_hash)
    if stored is None:
        raise RuntimeError(f"section {section.content_hash} vanished from the cache after put")
    return SectionAudio(section, Path(stored), synthesized=True)


def synthesize_sections(
    sections: Iterable[Section],
    engine: Engine,
    cache: SectionCache,
    workdir: str | os.PathLike,
    *,
    max_workers: int = 1,
    on_section: Callable[[SectionAudio], None] | None = None,
) -> list[SectionAudio]:
    """Return every section's audio in order, synthesising only cache misses."""
    # Threads suffice for max_workers > 1: each engine run is a separate process.
    engine.ensure_available()
    results: list[SectionAudio] = []
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        for audio in pool.map(lambda s: synthesize_section(s, engine, cache, workdir), sections):
            results.append(audio)
            if on_section:
                on_section(audio)
    return results


def build_edition(
    markdown: str | Iterable[str],
    title: str,
    engine: Engine,
    cache: SectionCache,
    workdir: str | os.PathLike,
    out_wav: str | os.PathLike,
    *,
    max_workers: int = 1,
    on_section: Callable[[SectionAudio], None] | None = None,
) -> Edition:
    """Turn a guide's Markdown into one episode WAV with chapters and a timed transcript."""
    engine.ensure_available()
    sections = iter_sections(markdown, title, engine_id=engine.id, voice=engine.voice)
    audio = synthesize_sections(
        sections, engine, cache, workdir, max_workers=max_workers, on_section=on_section
    )
    assembly: Assembly = assemble_episode(
        [(item.section.heading, item.path) for item in audio], out_wav, workdir
    )
    prepared: Sequence[Section] = [item.section for item in audio]
    return Edition(
        wav_path=assembly.path,
        duration_ms=assembly.duration_ms,
        chapters=assembly.chapters,
        cues=build_cues(prepared, assembly.timings, assembly.duration_ms),
        transcript=build_plain_text(prepared),
        sections=list(prepared),
        synthesized=[item.section.content_hash for item in audio if item.synthesized],
    )
