"""The podcast audio edition: measure loudness, apply gain and a limiter, check the encoded MP3.

ffmpeg streams the audio, so memory stays flat however long the recording is; pydub would hold
the whole decoded PCM in RAM (about 635 MB per hour of stereo).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import ffmpeg

from app.core.i18n import Message
from app.media.probe import MediaRejected
from app.media.profiles import AudioEditionProfile, JingleProfile, WaveformProfile
from app.media.runner import (
    ProgressCallback,
    RunResult,
    iter_ffmpeg_stdout,
    run_ffmpeg,
    temporary_name,
)
from app.media.transcode import (
    PROGRESS_ARGS,
    build_waveform_pcm,
    compute_peaks,
    cut_streams,
    local_arg,
)

Path = str | os.PathLike[str]

#: Sorted, non-overlapping (start, end) seconds to keep; None keeps everything.
KeepRanges = Sequence[tuple[float, float]] | None

#: ebur128 reports −70 LUFS (its absolute gate) for silence.
SILENCE_LUFS = -70.0


@dataclass(frozen=True)
class Loudness:
    """EBU R128 figures of a file, as ffmpeg's ebur128 filter reports them."""

    integrated_lufs: float
    true_peak_dbtp: float
    range_lu: float


@dataclass(frozen=True)
class AudioEditionResult:
    """The published audio edition and the figures measured on the encoded file itself."""

    path: str
    integrated_lufs: float
    true_peak_dbtp: float
    source: Loudness
    gain_db: float
    limit_dbtp: float
    attempts: int
    commands: list[list[str]]


class AudioEditionError(Exception):
    """The edition could not be brought under the true-peak ceiling."""

    def __init__(self, reason: Message):
        super().__init__(reason)
        self.reason = reason


def build_programme(
    src: Path,
    *,
    sample_rate: int,
    channel_layout: str,
    keep_ranges: KeepRanges = None,
    intro: Path | None = None,
    outro: Path | None = None,
) -> Any:
    """Return the audio stream of the edition: intro jingle, the kept content, outro jingle.

    Every part is resampled and given the edition's layout first, so they join seamlessly and
    the loudness scan and the encode see exactly the same signal.
    """
    _, sound = cut_streams(ffmpeg.input(local_arg(src)), keep_ranges, with_video=False)
    parts = []
    for path, part in ((intro, None), (None, sound), (outro, None)):
        if path is not None:
            part = ffmpeg.input(local_arg(path))["a:0"]
        if part is not None:
            parts.append(
                part.filter("aresample", sample_rate).filter(
                    "aformat", channel_layouts=channel_layout
                )
            )
    return parts[0] if len(parts) == 1 else ffmpeg.concat(*parts, v=0, a=1)


def build_loudness_scan(
    src: Path,
    *,
    channel_layout: str,
    keep_ranges: KeepRanges = None,
    true_peak: bool = True,
    programme: Any = None,
) -> Any:
    """Measure integrated loudness (and true peak) of the first audio stream (video untouched).

    The layout is pinned because the same mono signal reads −19, −16.5 or −13.5 LUFS depending
    on whether ffmpeg sees it as unknown, mono or dual-mono. ``true_peak=False`` skips the 4×
    oversampling, the costly part, when only the loudness is needed (the source scan: the true
    peak that matters is the encoded file's). ``programme`` replaces the source stream.
    """
    if programme is None:
        _, programme = cut_streams(ffmpeg.input(local_arg(src)), keep_ranges, with_video=False)
    measured = (
        programme.filter("aformat", channel_layouts=channel_layout)
        # framelog=verbose keeps the ten lines per second of momentary loudness out of the log.
        .filter("ebur128", peak="true" if true_peak else "none", framelog="verbose")
    )
    return ffmpeg.output(measured, "-", f="null", vn=None)


_SUMMARY_FIGURES = {
    "integrated": re.compile(r"^\s*I:\s+(-?[\d.]+|-?inf) LUFS"),
    "range": re.compile(r"^\s*LRA:\s+(-?[\d.]+|-?inf) LU\b"),
    "peak": re.compile(r"^\s*Peak:\s+(-?[\d.]+|-?inf) dBFS"),
}


def parse_ebur128_summary(lines: Sequence[str]) -> Loudness:
    """Extract I, LRA and true peak from the summary ebur128 prints when it ends."""
    starts = [i for i, line in enumerate(lines) if "Summary:" in line]
    if not starts:
        raise ValueError("no ebur128 summary in the ffmpeg log")
    found: dict[str, float] = {}
    for line in lines[starts[-1] :]:
        for name, pattern in _SUMMARY_FIGURES.items():
            match = pattern.match(line)
            if match and name not in found:
                found[name] = float(match.group(1))
    if "peak" not in found and not any("Peak:" in line for line in lines[starts[-1] :]):
        found["peak"] = float("nan")  # measured without true peak
    missing = set(_SUMMARY_FIGURES) - set(found)
    if missing:
        raise ValueError(f"incomplete ebur128 summary: {sorted(missing)} missing")
    return Loudness(
        integrated_lufs=found["integrated"],
        true_peak_dbtp=found["peak"],
        range_lu=found["range"],
    )


def measure_loudness(
    src: Path,
    *,
    channel_layout: str,
    keep_ranges: KeepRanges = None,
    timeout: float | None = None,
    true_peak: bool = True,
    programme: Any = None,
) -> Loudness:
    """Return the loudness of the file's first audio stream, in the given channel layout."""
    result = run_ffmpeg(
        build_loudness_scan(
            src,
            channel_layout=channel_layout,
            keep_ranges=keep_ranges,
            true_peak=true_peak,
            programme=programme,
        ),
        timeout=timeout,
        tail_lines=80,
    )
    return parse_ebur128_summary(result.log_tail)


def build_audio_edition(
    src: Path,
    out: Path,
    profile: AudioEditionProfile,
    *,
    gain_db: float,
    limit_dbtp: float,
    keep_ranges: KeepRanges = None,
    intro: Path | None = None,
    outro: Path | None = None,
    measure_copy: Path | None = None,
) -> Any:
    """Encode the first audio stream (or its kept ranges, between optional jingles) to MP3 with
    gain and a peak limiter.

    With ``measure_copy`` (a FIFO), the tee muxer also writes the same encoded frames there, so
    the loudness of the encoded edition is measured while it is being encoded.
    """
    sound = build_programme(
        src,
        sample_rate=profile.sample_rate,
        channel_layout=profile.channel_layout,
        keep_ranges=keep_ranges,
        intro=intro,
        outro=outro,
    )
    processed = (
        # The programme is resampled and downmixed already: the limiter sees what gets encoded.
        sound.filter("volume", f"{gain_db:.2f}dB")
        # level=disabled: alimiter otherwise applies its own auto-gain and undoes the target;
        # latency=1 removes the lookahead delay so chapters stay aligned.
        .filter(
            "alimiter",
            limit=f"{10 ** (limit_dbtp / 20):.4f}",
            level="disabled",
            latency=1,
        )
    )
    encoding = {
        "acodec": profile.codec,
        "audio_bitrate": profile.bitrate,
        "ar": profile.sample_rate,
        "ac": profile.channels,
        "compression_level": profile.encoder_quality,
        "map_metadata": -1,
    }
    if measure_copy is None:
        target = ffmpeg.output(
            processed, local_arg(out), vn=None, f=profile.extension, id3v2_version=3, **encoding
        )
    else:
        slaves = (
            f"[f={profile.extension}:id3v2_version=3]{_tee_escape(local_arg(out))}"
            f"|[f={profile.extension}:onfail=abort]{_tee_escape(local_arg(measure_copy))}"
        )
        target = ffmpeg.output(processed, slaves, vn=None, f="tee", **encoding)
    return target.global_args(*PROGRESS_ARGS)


def _tee_escape(path: str) -> str:
    """Escape a file name for the tee muxer's slave list."""
    for char in "\\|[]":
        path = path.replace(char, "\\" + char)
    return path


def _never_backwards(callback: ProgressCallback) -> ProgressCallback:
    """Keep the progress bar from jumping back to 0 when a corrective re-encode starts."""
    furthest = 0.0

    def report(fraction: float, eta: float | None) -> None:
        nonlocal furthest
        if fraction >= furthest:
            furthest = fraction
            callback(fraction, eta)

    return report


def _encode_and_measure(
    command: Callable[[str, str], Any],
    candidate: str,
    profile: AudioEditionProfile,
    *,
    duration: float | None,
    on_progress: ProgressCallback | None,
    timeout: float | None,
) -> tuple[RunResult, Loudness]:
    """Encode to ``candidate`` while a second ffmpeg measures the same frames from a FIFO.

    The measurement (ebur128 with 4× oversampling for true peak) used to follow the encode; it
    now runs beside it, on the other core. If the encoder fails before opening the FIFO, the
    reader is released with an end of file, so nothing waits forever.
    """
    scratch = tempfile.mkdtemp(prefix="audio-edition-")
    fifo = os.path.join(scratch, "measure.mp3")
    os.mkfifo(fifo)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="loudness") as pool:
            measuring = pool.submit(
                measure_loudness, fifo, channel_layout=profile.channel_layout, timeout=timeout
            )
            try:
                run = run_ffmpeg(
                    lambda tmp: command(tmp, fifo),
                    output=candidate,
                    duration=duration,
                    on_progress=on_progress,
                    timeout=timeout,
                )
            except BaseException:
                _release_reader(fifo, measuring)
                raise
            return run, measuring.result()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _release_reader(fifo: str, reader: Future) -> None:
    """Give the FIFO's reader an end of file (open the write end once, close it)."""
    while not reader.done():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            return
        except OSError:  # ENXIO: the reader has not opened it yet
            time.sleep(0.05)


def make_audio_edition(
    src: Path,
    out: Path,
    profile: AudioEditionProfile,
    *,
    keep_ranges: KeepRanges = None,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
    intro: Path | None = None,
    outro: Path | None = None,
) -> AudioEditionResult:
    """Make the MP3 edition at the profile's loudness, checking true peak on the encoded file.

    MP3 encoding raises true peak (by about 3 dB on speech), so each encode is measured: over the
    ceiling, the limiter ceiling goes down; under it but off target, the gain is corrected and the
    spare headroom given back to the limiter. ``out`` only appears once an encode passes.
    ``keep_ranges`` applies the montage; ``intro`` and ``outro`` are jingles played before and
    after, normalised with the content as one programme; ``duration`` (of the result) drives
    the progress.
    """
    programme = {"keep_ranges": keep_ranges, "intro": intro, "outro": outro}
    source = measure_loudness(
        src,
        channel_layout=profile.channel_layout,
        timeout=timeout,
        true_peak=False,  # only the encoded file's true peak matters
        programme=build_programme(
            src,
            sample_rate=profile.sample_rate,
            channel_layout=profile.channel_layout,
            **programme,
        ),
    )
    gain = profile.target_lufs - source.integrated_lufs
    if source.integrated_lufs <= SILENCE_LUFS or gain > profile.max_gain_db:
        raise MediaRejected(
            Message(
                "La piste audio est silencieuse ou presque : "
                "impossible d'en faire une version audio."
            )
        )
    ceiling = profile.max_true_peak_dbtp
    limit = ceiling - profile.limiter_headroom_db
    candidate, best_path = temporary_name(out), temporary_name(out)
    report = _never_backwards(on_progress) if on_progress else None
    best: AudioEditionResult | None = None
    commands: list[list[str]] = []
    try:
        for attempt in range(1, profile.max_attempts + 1):
            run, encoded = _encode_and_measure(
                lambda tmp, fifo, gain=gain, limit=limit: build_audio_edition(
                    src,
                    tmp,
                    profile,
                    gain_db=gain,
                    limit_dbtp=limit,
                    measure_copy=fifo,
                    **programme,
                ),
                candidate,
                profile,
                duration=duration,
                on_progress=report,
                timeout=timeout,
            )
            commands.append(run.cmd)
            error_lu = profile.target_lufs - encoded.integrated_lufs
            overshoot = encoded.true_peak_dbtp - ceiling
            if overshoot <= 0:
                if best is None or abs(error_lu) < abs(profile.target_lufs - best.integrated_lufs):
                    os.replace(candidate, best_path)
                    best = AudioEditionResult(
                        path=os.fspath(out),
                        integrated_lufs=encoded.integrated_lufs,
                        true_peak_dbtp=encoded.true_peak_dbtp,
                        source=source,
                        gain_db=round(gain, 2),
                        limit_dbtp=round(limit, 2),
                        attempts=attempt,
                        commands=commands,
                    )
                if abs(error_lu) <= profile.accuracy_lu:
                    break
                # Limiting cost loudness: restore it, and let the limiter use the spare headroom.
                gain += error_lu
                limit = min(limit - overshoot - 0.5, ceiling - 0.5)
            elif attempt < profile.max_attempts - 1:
                # Lower the ceiling and keep the loudness: the limiter does more of the work.
                limit -= overshoot + 0.3
                gain += error_lu
            else:
                # Last resort: lower everything; peaks scale with gain through the encoder.
                gain -= overshoot + 0.5
        if best is None:
            raise AudioEditionError(
                Message(
                    "Pic vrai de %(peak).1f dBTP après %(attempts)d essais, au-dessus du "
                    "plafond de %(ceiling).1f dBTP.",
                    peak=encoded.true_peak_dbtp,
                    attempts=profile.max_attempts,
                    ceiling=ceiling,
                )
            )
        os.replace(best_path, out)
        return dataclasses.replace(best, attempts=len(commands))
    finally:
        for leftover in (candidate, best_path):
            if os.path.exists(leftover):
                os.unlink(leftover)


def build_jingle(
    out: Path, frequencies: Sequence[float], profile: JingleProfile, *, channel_layout: str = "mono"
) -> Any:
    """Synthesise a short jingle: one soft sine note per frequency, in sequence, as WAV."""
    notes = []
    fade = min(0.05, profile.note_s / 4)
    for frequency in frequencies:
        tone = ffmpeg.input(
            f"sine=frequency={frequency:g}:duration={profile.note_s:g}"
            f":sample_rate={profile.sample_rate}",
            f="lavfi",
        )
        notes.append(
            # The sine source peaks at 1/8 of full scale.
            tone.filter("volume", f"{profile.amplitude * 8:g}")
            .filter("afade", t="in", d=f"{fade:g}")
            .filter("afade", t="out", st=f"{profile.note_s - fade:g}", d=f"{fade:g}")
            .filter("aformat", channel_layouts=channel_layout)
        )
    joined = notes[0] if len(notes) == 1 else ffmpeg.concat(*notes, v=0, a=1)
    return ffmpeg.output(joined, local_arg(out), acodec="pcm_s16le", ar=profile.sample_rate)


def build_concat_audio(
    inputs: Sequence[Path], out: Path, *, sample_rate: int = 44100, channel_layout: str = "mono"
) -> Any:
    """Join the first audio stream of each input (intro, episode, outro) into one WAV."""
    if not inputs:
        raise ValueError("inputs must not be empty")
    parts = [
        ffmpeg.input(local_arg(path))["a:0"]
        .filter("aresample", sample_rate)
        .filter("aformat", channel_layouts=channel_layout)
        for path in inputs
    ]
    joined = parts[0] if len(parts) == 1 else ffmpeg.concat(*parts, v=0, a=1)
    return ffmpeg.output(
        joined, local_arg(out), vn=None, acodec="pcm_s16le", ar=sample_rate
    ).global_args(*PROGRESS_ARGS)


def extract_waveform_peaks(
    src: Path, profile: WaveformProfile, *, timeout: float | None = None
) -> list[float]:
    """Return ``peaks_per_second`` amplitude peaks (0–1) per second of the first audio stream."""
    samples_per_peak = max(1, profile.sample_rate // profile.peaks_per_second)
    chunks = iter_ffmpeg_stdout(build_waveform_pcm(src, profile), timeout=timeout)
    return compute_peaks(chunks, samples_per_peak)


def build_waveform_document(peaks: Sequence[float], profile: WaveformProfile) -> dict[str, Any]:
    """Return the waveform JSON served to the editor's timeline."""
    return {
        "version": 1,
        "peaks_per_second": profile.peaks_per_second,
        "length": len(peaks),
        "data": [round(peak, 4) for peak in peaks],
    }
