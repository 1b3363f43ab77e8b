"""Small recordings generated once per session with real ffmpeg and espeak-ng (no binary fixtures).

Durations and sizes are tiny so the whole media suite stays fast; resolution is only high where
the test is about resolution.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

SPEECH_TEXT = (
    "Bonjour et bienvenue dans ce webinaire sur les circuits courts. Nous allons parler des "
    "paniers de légumes, des marchés de producteurs et de la logistique partagée entre fermes."
)


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly, failing the fixture loudly if it fails."""
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media-samples")


@pytest.fixture(scope="session")
def speech_wav(media_dir) -> Path:
    """About 8 s of French speech from espeak-ng (mono, 22.05 kHz, unknown channel layout)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required for the media tests")
    path = media_dir / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(path), SPEECH_TEXT], check=True)
    return path


@pytest.fixture(scope="session")
def h264_mp4(media_dir, speech_wav) -> Path:
    """An 8 s 1280×720 H.264/AAC webinar-like MP4, keyframes every 2 s, index at the end."""
    path = media_dir / "webinar-h264.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=8", "-i", str(speech_wav),
        "-filter_complex", "[1:a]apad[a]", "-map", "0:v", "-map", "[a]", "-t", "8",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p",
        "-g", "50", "-c:a", "aac", "-b:a", "96k", str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def vp9_webm(media_dir, speech_wav) -> Path:
    """A 4 s 1280×800 (16:10 screen) VP9/Opus WebM, the kind a browser recorder exports."""
    path = media_dir / "webinar-vp9.webm"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=1280x800:r=25:d=4", "-i", str(speech_wav),
        "-map", "0:v", "-map", "1:a", "-t", "4",
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "400k",
        "-row-mt", "1", "-c:a", "libopus", "-b:a", "48k", str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def speech_mp3(media_dir, speech_wav) -> Path:
    """The speech alone as an MP3 (an audio-only podcast interview)."""
    path = media_dir / "interview.mp3"
    ffmpeg("-i", str(speech_wav), "-c:a", "libmp3lame", "-b:a", "64k", str(path))
    return path


@pytest.fixture(scope="session")
def text_named_mp4(media_dir) -> Path:
    path = media_dir / "notes.mp4"
    path.write_text("Ceci n'est pas une vidéo, juste des notes de réunion.\n" * 20)
    return path


@pytest.fixture(scope="session")
def empty_file(media_dir) -> Path:
    path = media_dir / "empty.mp4"
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="session")
def truncated_mp4(media_dir) -> Path:
    """An MP4 with its moov index at the end, cut in half: what an aborted export leaves."""
    whole = media_dir / "whole-moov-at-end.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-f", "lavfi", "-i", "sine=d=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(whole),
    )  # fmt: skip
    data = whole.read_bytes()
    assert data.find(b"moov") > data.find(b"mdat"), "the sample must have moov after mdat"
    path = media_dir / "truncated.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture(scope="session")
def truncated_faststart_mp4(media_dir) -> Path:
    """A faststart MP4 (index first) cut in half: it probes, but its media data is missing."""
    whole = media_dir / "whole-faststart.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-f", "lavfi", "-i", "sine=d=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-movflags", "+faststart",
        str(whole),
    )  # fmt: skip
    data = whole.read_bytes()
    path = media_dir / "truncated-faststart.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture(scope="session")
def silent_video(media_dir) -> Path:
    """A 2 s video with no audio track (a screen recording with the microphone off)."""
    path = media_dir / "no-audio.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2",
        "-c:v", "libx264", "-preset", "ultrafast", str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def single_frame(media_dir) -> Path:
    """A one-frame MP4 with a second of audio: not a recording."""
    path = media_dir / "single-frame.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25", "-f", "lavfi", "-i", "sine=d=0.2",
        "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
        str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def absurd_dimensions(media_dir) -> Path:
    """A valid file whose picture is 16000×16 pixels (what a corrupt header can claim)."""
    path = media_dir / "absurd.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=16000x16:r=5:d=2", "-f", "lavfi", "-i", "sine=d=2",
        "-c:v", "ffv1", "-c:a", "pcm_s16le", str(path),
    )  # fmt: skip
    return path
