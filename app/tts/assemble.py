"""Join section audio into one episode WAV with jingles and pauses, and time its chapters.

pydub makes the short pieces (jingles, pauses) in memory; the long stream is joined by ffmpeg's
concat demuxer, which copies samples file after file, so a twelve-hour guide never sits in RAM.
Every piece is written in one canonical format (44.1 kHz, mono, 16-bit), which lets the concat
demuxer copy instead of re-encoding and lets chapter offsets be counted exactly in samples.
"""

import math
import os
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
from pydub import AudioSegment
from pydub.generators import Sine

from app.media.chapters import Chapter as MediaChapter
from app.media.profiles import JINGLES
from app.media.runner import ProgressCallback, run_ffmpeg

SAMPLE_RATE = 44100
CHANNELS = 1
SAMPLE_WIDTH = 2
#: Silence between two sections (the reference advises 0.5–1 s).
SECTION_PAUSE_MS = 900
#: Silence between a jingle and the voice.
JINGLE_GAP_MS = 400


class AssemblyError(RuntimeError):
    """A piece of the episode is missing or not in the expected audio format."""


@dataclass(frozen=True, slots=True)
class Chapter:
    """A chapter of the episode; chapters are contiguous and cover the whole episode."""

    start_ms: int
    end_ms: int
    title: str

    def as_media_chapter(self) -> MediaChapter:
        """Return the chapter in the shape ID3 tagging and JSON chapters take (seconds)."""
        return MediaChapter(start=self.start_ms / 1000, end=self.end_ms / 1000, title=self.title)


@dataclass(frozen=True, slots=True)
class SectionTiming:
    """Where a section's speech starts and ends in the episode."""

    index: int
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Assembly:
    """The assembled episode WAV and its timeline."""

    path: Path
    duration_ms: int
    chapters: list[Chapter]
    timings: list[SectionTiming]


def wav_frames(path: str | os.PathLike) -> int:
    """Return the number of sample frames of a WAV file, read from its header."""
    with wave.open(os.fspath(path), "rb") as wav:
        return wav.getnframes()


def wav_duration_ms(path: str | os.PathLike) -> float:
    """Return the duration of a WAV file in milliseconds, read from its header."""
    with wave.open(os.fspath(path), "rb") as wav:
        return wav.getnframes() * 1000 / wav.getframerate()


def _check_canonical(path: str | os.PathLike) -> int:
    try:
        with wave.open(os.fspath(path), "rb") as wav:
            params = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            frames = wav.getnframes()
    except (OSError, EOFError, wave.Error) as error:
        raise AssemblyError(f"Fichier audio illisible : {path} ({error})") from error
    if params != (SAMPLE_RATE, CHANNELS, SAMPLE_WIDTH):
        raise AssemblyError(
            f"{path} est en {params[0]} Hz, {params[1]} canal(aux), {8 * params[2]} bits ; "
            f"attendu {SAMPLE_RATE} Hz mono 16 bits."
        )
    return frames


def build_canonical_wav(src: str | os.PathLike, out: str | os.PathLike):
    """Return the ffmpeg command converting any audio file to 44.1 kHz mono 16-bit WAV."""
    return ffmpeg.input(os.fspath(src)).output(
        os.fspath(out), acodec="pcm_s16le", ar=SAMPLE_RATE, ac=CHANNELS, map_metadata=-1,
        fflags="+bitexact", flags="+bitexact",
    )


def convert_to_canonical(src: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Convert an engine's WAV to the episode format; the output appears only when complete."""
    run_ffmpeg(lambda partial: build_canonical_wav(src, partial), output=out)
    return Path(out)


def build_concat_list(paths: Sequence[str | os.PathLike]) -> str:
    """Return an ffconcat script playing the files in order."""
    lines = ["ffconcat version 1.0"]
    for path in paths:
        quoted = os.path.abspath(os.fspath(path)).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    return "\n".join(lines) + "\n"


def build_concat_wav(list_path: str | os.PathLike, out: str | os.PathLike):
    """Return the ffmpeg command copying the listed WAVs, in order, into one WAV."""
    # RF64 takes over only beyond 4 GB (about 13 h at 44.1 kHz mono), where RIFF sizes overflow.
    return ffmpeg.input(os.fspath(list_path), f="concat", safe=0).output(
        os.fspath(out), acodec="copy", map_metadata=-1, rf64="auto",
        fflags="+bitexact", flags="+bitexact",
    )


def render_jingle(frequencies: Sequence[float], *, note_ms: int | None = None) -> AudioSegment:
    """Return a short chime: each note rings over the next, with a soft attack and decay."""
    note_ms = note_ms or round(JINGLES.note_s * 1000)
    ring_ms = note_ms * 3
    volume = 20 * math.log10(JINGLES.amplitude)
    jingle = AudioSegment.silent(duration=note_ms * (len(frequencies) - 1) + ring_ms,
                                 frame_rate=SAMPLE_RATE)
    for position, frequency in enumerate(frequencies):
        # A quiet octave above the fundamental makes the tone less like a test signal.
        note = Sine(frequency, sample_rate=SAMPLE_RATE).to_audio_segment(ring_ms, volume - 6)
        note = note.overlay(
            Sine(frequency * 2, sample_rate=SAMPLE_RATE).to_audio_segment(ring_ms, volume - 18)
        )
        note = note.fade_in(15).fade_out(ring_ms - 15)
        jingle = jingle.overlay(note, position=position * note_ms)
    return _canonical(jingle)


def render_silence(duration_ms: int) -> AudioSegment:
    """Return digital silence in the episode format."""
    return _canonical(AudioSegment.silent(duration=duration_ms, frame_rate=SAMPLE_RATE))


def _canonical(segment: AudioSegment) -> AudioSegment:
    return segment.set_frame_rate(SAMPLE_RATE).set_channels(CHANNELS).set_sample_width(
        SAMPLE_WIDTH
    )


def _export(segment: AudioSegment, path: Path) -> Path:
    partial = path.with_name(".partial-" + path.name)
    segment.export(partial, format="wav").close()
    os.replace(partial, path)
    return path


def write_pieces(
    workdir: str | os.PathLike, *, pause_ms: int = SECTION_PAUSE_MS
) -> dict[str, Path]:
    """Write the intro and outro jingles and the pauses into workdir, once, and return them."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    renders = {
        "intro": lambda: render_jingle(JINGLES.intro_frequencies),
        "outro": lambda: render_jingle(JINGLES.outro_frequencies),
        "pause": lambda: render_silence(pause_ms),
        "gap": lambda: render_silence(JINGLE_GAP_MS),
    }
    pieces = {}
    for name, render in renders.items():
        path = workdir / (f"pause-{pause_ms}ms.wav" if name == "pause" else f"{name}.wav")
        pieces[name] = path if path.exists() else _export(render(), path)
    return pieces


def assemble_episode(
    sections: Sequence[tuple[str, str | os.PathLike]],
    out_path: str | os.PathLike,
    workdir: str | os.PathLike,
    *,
    pause_ms: int = SECTION_PAUSE_MS,
    on_progress: ProgressCallback | None = None,
) -> Assembly:
    """Join (title, section WAV) pairs between an intro and an outro jingle into out_path."""
    if not sections:
        raise AssemblyError("Aucune section à assembler.")
    pieces = write_pieces(workdir, pause_ms=pause_ms)
    frames = {name: _check_canonical(path) for name, path in pieces.items()}

    playlist: list[str | os.PathLike] = [pieces["intro"], pieces["gap"]]
    position = frames["intro"] + frames["gap"]
    spans: list[tuple[int, int]] = []
    for number, (_title, path) in enumerate(sections):
        if number:
            playlist.append(pieces["pause"])
            position += frames["pause"]
        length = _check_canonical(path)
        playlist.append(path)
        spans.append((position, position + length))
        position += length
    playlist += [pieces["gap"], pieces["outro"]]
    total = position + frames["gap"] + frames["outro"]

    list_path = Path(workdir) / "sections.ffconcat"
    list_path.write_text(build_concat_list(playlist), encoding="utf-8")
    run_ffmpeg(
        lambda partial: build_concat_wav(list_path, partial),
        output=out_path,
        duration=total / SAMPLE_RATE,
        on_progress=on_progress,
    )

    def ms(frame: int) -> int:
        return round(frame * 1000 / SAMPLE_RATE)

    duration_ms = ms(total)
    timings = [SectionTiming(i, ms(start), ms(end)) for i, (start, end) in enumerate(spans)]
    chapters = [
        Chapter(
            start_ms=0 if i == 0 else timing.start_ms,
            end_ms=timings[i + 1].start_ms if i + 1 < len(timings) else duration_ms,
            title=sections[i][0],
        )
        for i, timing in enumerate(timings)
    ]
    return Assembly(Path(out_path), duration_ms, chapters, timings)
