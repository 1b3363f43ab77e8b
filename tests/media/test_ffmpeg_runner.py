"""The ffmpeg runner: progress, failure with a log tail, timeout, and no half-written output."""

import random
import time

import pytest

from app.media.runner import (
    FFmpegError,
    FFmpegTimeout,
    iter_ffmpeg_stdout,
    run_ffmpeg,
)
from app.media.transcode import build_remux

pytestmark = pytest.mark.ffmpeg


def lavfi_encode(out, seconds=3):
    """A small real encode from generated sources (so progress has several steps)."""
    return [
        "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={seconds}",
        "-f", "lavfi", "-i", f"sine=d={seconds}",
        "-c:v", "libx264", "-preset", "medium", "-c:a", "aac", "-shortest", str(out),
    ]  # fmt: skip


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_progress_is_reported_and_reaches_one(tmp_path):
    calls = []
    out = tmp_path / "out.mp4"
    result = run_ffmpeg(
        lambda tmp: lavfi_encode(tmp),
        output=out,
        duration=3,
        on_progress=lambda fraction, eta: calls.append((fraction, eta)),
        progress_interval_s=0,
    )
    assert out.stat().st_size > 0
    assert leftovers(tmp_path) == ["out.mp4"]
    assert len(calls) >= 2
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions)
    assert all(0 <= f <= 1 for f in fractions)
    assert any(f < 1 for f in fractions)
    assert calls[-1] == (1.0, 0.0)
    assert result.cmd[0] == "ffmpeg" and "-progress" in result.cmd
    assert result.log_tail


def test_progress_calls_are_rate_limited(tmp_path):
    calls = []
    run_ffmpeg(
        lambda tmp: lavfi_encode(tmp),
        output=tmp_path / "out.mp4",
        duration=3,
        on_progress=lambda fraction, eta: calls.append(fraction),
        progress_interval_s=3600,
    )
    # The first update, then only the final one: the job row is not written on every line.
    assert len(calls) <= 2
    assert calls[-1] == 1.0


def test_failure_leaves_no_file_and_keeps_the_log_tail(tmp_path, text_named_mp4):
    out = tmp_path / "replay.mp4"
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(lambda tmp: build_remux(text_named_mp4, tmp), output=out, tail_lines=5)
    error = caught.value
    assert not out.exists()
    assert leftovers(tmp_path) == []
    assert 0 < len(error.log_tail) <= 5
    assert any("Invalid data found" in line or "moov" in line for line in error.log_tail)
    assert error.is_input_error
    assert str(text_named_mp4) in error.cmd
    assert error.message.startswith("ffmpeg a échoué (code ")


def test_failure_midway_removes_the_partial_output(tmp_path):
    """Decoding that breaks after frames were written must not leave the partial file behind."""
    work = tmp_path / "work"
    work.mkdir()
    whole = work / "whole.mp4"
    run_ffmpeg(
        lambda tmp: [*lavfi_encode(tmp, seconds=4)[:-1], "-movflags", "+faststart", str(tmp)],
        output=whole,
    )
    data = bytearray(whole.read_bytes())
    # Index intact, media data garbled from the middle on: decoding breaks after frames were
    # written (a truncated file is not enough: ffmpeg 5.1.9 ends it cleanly at the audio's EOF).
    noise = random.Random(1)
    for i in range(len(data) * 5 // 10, len(data) * 7 // 10):
        data[i] = noise.randrange(256)
    cut = work / "cut.mp4"
    cut.write_bytes(bytes(data))
    out = tmp_path / "out.mp4"
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(
            lambda tmp: ["-xerror", "-i", str(cut), "-c:v", "libx264", "-an", str(tmp)],
            output=out,
        )
    assert "Conversion failed!" in caught.value.log_tail[-1]
    assert leftovers(tmp_path) == ["work"]


def test_existing_output_survives_a_failed_rerun(tmp_path, text_named_mp4):
    out = tmp_path / "replay.mp4"
    out.write_bytes(b"the replay currently online")
    with pytest.raises(FFmpegError):
        run_ffmpeg(lambda tmp: build_remux(text_named_mp4, tmp), output=out)
    assert out.read_bytes() == b"the replay currently online"


def test_timeout_kills_ffmpeg_and_cleans_up(tmp_path):
    out = tmp_path / "slow.wav"
    with pytest.raises(FFmpegTimeout) as caught:
        run_ffmpeg(
            lambda tmp: ["-re", "-f", "lavfi", "-i", "sine=d=60", str(tmp)],
            output=out,
            timeout=0.5,
        )
    assert "délai" in caught.value.message
    assert leftovers(tmp_path) == []


def test_raising_from_the_progress_callback_cancels_the_run(tmp_path):
    class Cancelled(Exception):
        pass

    def cancel(fraction, eta):
        raise Cancelled

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(
            lambda tmp: ["-re", "-f", "lavfi", "-i", "sine=d=60", str(tmp)],
            output=tmp_path / "long.wav",
            duration=60,
            on_progress=cancel,
            progress_interval_s=0,
        )
    assert time.monotonic() - started < 10
    assert leftovers(tmp_path) == []


def test_output_requires_a_builder_of_the_temporary_path(tmp_path):
    with pytest.raises(TypeError):
        run_ffmpeg(["-i", "x", str(tmp_path / "y.mp4")], output=tmp_path / "y.mp4")


def test_stdout_streaming_yields_pcm_and_raises_on_error(text_named_mp4):
    pcm = b"".join(
        iter_ffmpeg_stdout(
            ["-f", "lavfi", "-i", "sine=d=1:sample_rate=8000", "-f", "s16le", "-ac", "1", "pipe:"],
            chunk_size=1000,
        )
    )
    assert len(pcm) == 8000 * 2
    with pytest.raises(FFmpegError) as caught:
        list(iter_ffmpeg_stdout(["-i", str(text_named_mp4), "-f", "s16le", "pipe:"]))
    assert caught.value.log_tail
