"""Pure ffmpeg-python command builders: they return stream specs and never run ffmpeg.

Run them with ``runner.run_ffmpeg``; test them with ``.get_args()``.
Sizes and rates are computed here in Python from the probe, rather than as ffmpeg expressions,
so that the exact command is readable in the job row and comparable in tests.
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ffmpeg

from app.media.probe import VideoInfo
from app.media.profiles import (
    PosterProfile,
    StoryboardProfile,
    VideoProfile,
    WaveformProfile,
)

#: Long encodes report progress as key=value lines on stdout (read by the runner).
PROGRESS_ARGS = ("-progress", "pipe:1", "-nostats")

Path = str | os.PathLike[str]


def local_arg(path: Path) -> str:
    """Return the absolute path, so ffmpeg never reads a file name as an option or a protocol."""
    return os.path.abspath(os.fspath(path))


def _even(value: float) -> int:
    """Round down to an even number of pixels (4:2:0 chroma needs even sizes), at least 2."""
    return max(2, int(value) // 2 * 2)


def _num(value: float) -> str:
    """Format a time or rate without float noise (``4.0`` → ``4``, ``0.1`` → ``0.1``)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def build_remux(src: Path, out: Path) -> Any:
    """Copy the first video and audio streams into an MP4 with the index up front (faststart)."""
    source = ffmpeg.input(local_arg(src))
    return ffmpeg.output(
        source["v:0"],
        source["a:0?"],
        local_arg(out),
        c="copy",
        f="mp4",
        movflags="+faststart",
        map_metadata=-1,
        map_chapters=-1,
    ).global_args(*PROGRESS_ARGS)


def target_video_size(video: VideoInfo, max_short_side: int) -> tuple[int, int]:
    """Return the encoded (width, height): short side capped, aspect kept, never upscaled."""
    width, height = video.display_size
    short_side = min(width, height)
    scale = min(1.0, max_short_side / short_side) if short_side else 1.0
    return _even(width * scale + 0.5), _even(height * scale + 0.5)


def target_fps(video: VideoInfo, profile: VideoProfile) -> float:
    """Return the output frame rate: the profile's rate, or the source's if it is lower."""
    if video.fps is None:
        return profile.fps
    return min(profile.fps, video.fps)


def cut_streams(
    source: Any, keep_ranges: Sequence[tuple[float, float]] | None, *, with_video: bool
) -> tuple[Any, Any]:
    """Return (video, audio) streams of ``source`` keeping only ``keep_ranges``, frame-accurately.

    Without ranges the first streams are returned untouched (video is None unless asked for).
    """
    if not keep_ranges:
        return (source["v:0"] if with_video else None), source["a:0"]
    parts = []
    for start, end in keep_ranges:
        if with_video:
            parts.append(
                source["v:0"].trim(start=_num(start), end=_num(end)).setpts("PTS-STARTPTS")
            )
        parts.append(
            source["a:0"]
            .filter("atrim", start=_num(start), end=_num(end))
            .filter("asetpts", "PTS-STARTPTS")
        )
    if len(keep_ranges) == 1:
        return (parts[0], parts[1]) if with_video else (None, parts[0])
    joined = ffmpeg.concat(*parts, v=int(with_video), a=1).node
    return (joined[0], joined[1]) if with_video else (None, joined[0])


def build_web_video(
    src: Path,
    out: Path,
    video: VideoInfo,
    profile: VideoProfile,
    *,
    keep_ranges: Sequence[tuple[float, float]] | None = None,
) -> Any:
    """Encode the web replay: H.264/AAC MP4, downscaled only, reduced frame rate, faststart.

    With ``keep_ranges`` (the montage), only those parts are kept, cut exactly in the same pass.
    """
    width, height = target_video_size(video, profile.max_short_side)
    fps = target_fps(video, profile)
    keyint = max(1, round(fps * profile.keyframe_interval_s))
    source = ffmpeg.input(local_arg(src))
    if keep_ranges:
        picture, sound = cut_streams(source, keep_ranges, with_video=True)
    else:
        # Optional audio: a silent screen recording still gets a replay.
        picture, sound = source["v:0"], source["a:0?"]
    picture = picture.filter("scale", w=width, h=height, flags="bicubic").filter(
        "fps", fps=_num(fps)
    )
    return ffmpeg.output(
        picture,
        sound,
        local_arg(out),
        f="mp4",
        vcodec=profile.video_codec,
        preset=profile.preset,
        crf=profile.crf,
        maxrate=profile.maxrate,
        bufsize=profile.bufsize,
        g=keyint,
        keyint_min=keyint,
        pix_fmt=profile.pix_fmt,
        **{"profile:v": profile.h264_profile, "level:v": profile.h264_level},
        acodec=profile.audio_codec,
        audio_bitrate=profile.audio_bitrate,
        ac=profile.audio_channels,
        movflags="+faststart",
        map_metadata=-1,
        map_chapters=-1,
        max_muxing_queue_size=1024,
    ).global_args(*PROGRESS_ARGS)


def build_audio_copy(src: Path, out: Path) -> Any:
    """Extract the first audio stream without decoding anything (M4A for AAC sources)."""
    source = ffmpeg.input(local_arg(src))
    return ffmpeg.output(
        source["a:0"],
        local_arg(out),
        vn=None,
        acodec="copy",
        movflags="+faststart",
        map_metadata=-1,
    )


def poster_time(duration: float | None, profile: PosterProfile) -> float:
    """Return where to look for the poster frame."""
    return round((duration or 0.0) * profile.at_fraction, 3)


def build_poster(
    src: Path, out: Path, video: VideoInfo, profile: PosterProfile, *, at_s: float
) -> Any:
    """Grab one keyframe near ``at_s`` as a JPEG, decoding keyframes only."""
    width, _ = video.display_size
    # -noaccurate_seek keeps the keyframe just before at_s; an accurate seek would drop it and
    # find no later keyframe in short or sparse-GOP recordings.
    source = ffmpeg.input(local_arg(src), ss=_num(at_s), skip_frame="nokey", noaccurate_seek=None)
    picture = source["v:0"].filter("scale", w=_even(min(width, profile.max_width)), h=-2)
    return ffmpeg.output(
        picture, local_arg(out), vframes=1, f="image2", update=1, **{"q:v": profile.jpeg_quality}
    )


@dataclass(frozen=True)
class StoryboardLayout:
    """Where each thumbnail sits in the sprite: thumbnail i covers [i*interval, (i+1)*interval)."""

    interval_s: float
    columns: int
    rows: int
    count: int
    thumb_width: int
    thumb_height: int


def plan_storyboard(duration: float, profile: StoryboardProfile) -> StoryboardLayout:
    """Choose the thumbnail interval and grid so the sprite never exceeds max_thumbs."""
    interval = max(profile.min_interval_s, math.ceil(duration / profile.max_thumbs))
    count = max(1, math.ceil(duration / interval))
    columns = min(profile.columns, count)
    return StoryboardLayout(
        interval_s=float(interval),
        columns=columns,
        rows=math.ceil(count / columns),
        count=count,
        thumb_width=profile.thumb_width,
        thumb_height=profile.thumb_height,
    )


def build_storyboard(
    src: Path, out: Path, layout: StoryboardLayout, profile: StoryboardProfile
) -> Any:
    """Tile keyframe thumbnails (one per interval) into one JPEG sprite, decoding keyframes only."""
    source = ffmpeg.input(local_arg(src), skip_frame="nokey")
    sprite = (
        source["v:0"]
        .filter("fps", fps=f"1/{_num(layout.interval_s)}")
        .filter(
            "scale",
            w=layout.thumb_width,
            h=layout.thumb_height,
            force_original_aspect_ratio="decrease",
        )
        .filter("pad", w=layout.thumb_width, h=layout.thumb_height, x="(ow-iw)/2", y="(oh-ih)/2")
        .filter("tile", layout=f"{layout.columns}x{layout.rows}")
    )
    return ffmpeg.output(
        sprite, local_arg(out), vframes=1, f="image2", update=1, **{"q:v": profile.jpeg_quality}
    )


def build_waveform_pcm(src: Path, profile: WaveformProfile) -> Any:
    """Decode the first audio stream to low-rate mono 16-bit PCM on stdout (video untouched)."""
    source = ffmpeg.input(local_arg(src))
    return ffmpeg.output(
        source["a:0"], "pipe:", vn=None, f="s16le", acodec="pcm_s16le", ac=1, ar=profile.sample_rate
    )


def compute_peaks(chunks: Iterable[bytes], samples_per_peak: int) -> list[float]:
    """Return the max absolute amplitude (0–1) of each window of s16le mono PCM, streaming."""
    peaks: list[float] = []
    carry = b""
    window_bytes = samples_per_peak * 2
    for chunk in chunks:
        data = carry + chunk
        usable = len(data) - len(data) % window_bytes
        samples = array("h")
        samples.frombytes(data[:usable])
        for start in range(0, len(samples), samples_per_peak):
            window = samples[start : start + samples_per_peak]
            peaks.append(max(max(window), -min(window)) / 32768)
        carry = data[usable:]
    if len(carry) >= 2:
        samples = array("h")
        samples.frombytes(carry[: len(carry) - len(carry) % 2])
        peaks.append(max(max(samples), -min(samples)) / 32768)
    return peaks


def normalize_keep_ranges(
    ranges: Iterable[tuple[float, float]], duration: float
) -> list[tuple[float, float]]:
    """Clamp keep-ranges to [0, duration], drop empty ones, sort and merge overlaps."""
    clamped = sorted(
        (max(0.0, float(start)), min(float(duration), float(end))) for start, end in ranges
    )
    merged: list[tuple[float, float]] = []
    for start, end in clamped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def keep_ranges_from_cuts(
    duration: float,
    *,
    trim_start: float = 0.0,
    trim_end: float | None = None,
    cuts: Iterable[tuple[float, float]] = (),
) -> list[tuple[float, float]]:
    """Turn the editor's trim points and cut-out segments into the keep-ranges to apply."""
    end = duration if trim_end is None else min(trim_end, duration)
    kept = [(max(0.0, trim_start), end)]
    for cut_start, cut_end in cuts:
        remaining = []
        for start, stop in kept:
            if cut_end <= start or cut_start >= stop:
                remaining.append((start, stop))
                continue
            if cut_start > start:
                remaining.append((start, cut_start))
            if cut_end < stop:
                remaining.append((cut_end, stop))
        kept = remaining
    return normalize_keep_ranges(kept, duration)


def build_segment_copy(src: Path, out: Path, start: float, end: float) -> Any:
    """Copy [start, end) without re-encoding; the cut snaps to the keyframe before ``start``."""
    source = ffmpeg.input(local_arg(src), ss=_num(start), to=_num(end))
    return ffmpeg.output(
        source["v:0?"],
        source["a:0?"],
        local_arg(out),
        c="copy",
        avoid_negative_ts="make_zero",
        movflags="+faststart",
        map_metadata=-1,
    ).global_args(*PROGRESS_ARGS)


def concat_list_text(paths: Sequence[Path]) -> str:
    """Return the concat demuxer's list file for ``paths`` (quotes escaped)."""
    lines = []
    for path in paths:
        escaped = os.path.abspath(path).replace("'", "'\\''")
        lines.append(f"file '{escaped}'\n")
    return "".join(lines)


def build_concat_copy(list_file: Path, out: Path) -> Any:
    """Join segments listed in ``list_file`` (see concat_list_text) by stream copy."""
    source = ffmpeg.input(local_arg(list_file), f="concat", safe=0)
    return ffmpeg.output(source, local_arg(out), c="copy", movflags="+faststart").global_args(
        *PROGRESS_ARGS
    )


def build_cut_audio(
    src: Path, out: Path, keep_ranges: Sequence[tuple[float, float]], *, sample_rate: int = 44100
) -> Any:
    """Keep only ``keep_ranges`` of the first audio stream, sample-accurately, as WAV."""
    if not keep_ranges:
        raise ValueError("keep_ranges must not be empty")
    _, sound = cut_streams(ffmpeg.input(local_arg(src)), keep_ranges, with_video=False)
    return ffmpeg.output(
        sound, local_arg(out), vn=None, acodec="pcm_s16le", ar=sample_rate
    ).global_args(*PROGRESS_ARGS)
