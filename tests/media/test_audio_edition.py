"""The audio edition, checked on the encoded MP3 with ffmpeg's own ebur128 and ffprobe."""

import re
import subprocess
import time

import ffmpeg
import pytest

from app.media import profiles
from app.media.audio import (
    build_concat_audio,
    build_jingle,
    make_audio_edition,
    measure_loudness,
)
from app.media.probe import MediaRejected, probe
from app.media.runner import run_ffmpeg

pytestmark = [pytest.mark.ffmpeg, pytest.mark.espeak]


def ebur128(path, layout):
    """Measure a file independently of the code under test: (integrated LUFS, true peak dBTP)."""
    log = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
            "-af", f"aformat=channel_layouts={layout},ebur128=peak=true:framelog=verbose",
            "-f", "null", "-",
        ],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = log[log.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


def test_mono_edition_meets_loudness_and_true_peak_on_the_mp3(h264_mp4, tmp_path):
    out = tmp_path / "episode.mp3"
    result = make_audio_edition(h264_mp4, out, profiles.PODCAST_MONO, duration=8)
    integrated, peak = ebur128(out, "mono")
    assert integrated == pytest.approx(-19.0, abs=1.0)
    assert peak <= -1.0
    assert (result.integrated_lufs, result.true_peak_dbtp) == (integrated, peak)
    assert result.attempts >= 1 and len(result.commands) == result.attempts
    assert result.source.integrated_lufs != result.integrated_lufs
    stream = ffmpeg.probe(str(out))["streams"][0]
    assert stream["codec_name"] == "mp3"
    assert stream["channels"] == 1
    assert stream["sample_rate"] == "44100"
    assert int(stream["bit_rate"]) == 96000
    assert probe(out).duration == pytest.approx(8, abs=0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["episode.mp3"]


def test_stereo_edition_targets_minus_16_lufs(vp9_webm, tmp_path):
    out = tmp_path / "episode-stereo.mp3"
    result = make_audio_edition(vp9_webm, out, profiles.PODCAST_STEREO, duration=4)
    integrated, peak = ebur128(out, "stereo")
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.0
    assert ffmpeg.probe(str(out))["streams"][0]["channels"] == 2
    assert result.integrated_lufs == integrated


def test_edition_applies_the_montage(h264_mp4, tmp_path):
    out = tmp_path / "edited.mp3"
    make_audio_edition(
        h264_mp4, out, profiles.PODCAST_MONO, keep_ranges=[(0.5, 3.0), (4.0, 6.5)], duration=5
    )
    assert probe(out).duration == pytest.approx(5.0, abs=0.1)
    integrated, peak = ebur128(out, "mono")
    assert integrated == pytest.approx(-19.0, abs=1.0)
    assert peak <= -1.0


def test_peaky_source_is_limited_under_the_ceiling(speech_wav, tmp_path):
    """Clicks far above the speech must be limited, with true peak checked on the MP3."""
    clicky = tmp_path / "clicks.wav"
    run_ffmpeg(
        lambda tmp: [
            "-i", str(speech_wav),
            "-f", "lavfi", "-i", r"aevalsrc=if(lt(mod(t\,1)\,0.002)\,0.9\,0):s=22050:d=8",
            "-filter_complex", "[0][1]amix=inputs=2:normalize=0", str(tmp),
        ],
        output=clicky,
    )  # fmt: skip
    source = measure_loudness(clicky, channel_layout="mono")
    needed_gain = -19.0 - source.integrated_lufs
    assert source.true_peak_dbtp + needed_gain > 0  # plain gain would clip the clicks
    out = tmp_path / "clicks.mp3"
    progress = []
    make_audio_edition(
        clicky, out, profiles.PODCAST_MONO, duration=8, on_progress=lambda f, e: progress.append(f)
    )
    integrated, peak = ebur128(out, "mono")
    assert integrated == pytest.approx(-19.0, abs=1.0)
    assert peak <= -1.0
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_silent_recording_is_rejected_without_output(tmp_path):
    silence = tmp_path / "silence.wav"
    run_ffmpeg(lambda tmp: ["-f", "lavfi", "-i", "anullsrc=d=3", str(tmp)], output=silence)
    out = tmp_path / "episode.mp3"
    with pytest.raises(MediaRejected, match="silencieuse"):
        make_audio_edition(silence, out, profiles.PODCAST_MONO)
    assert not out.exists()


def test_jingles_wrap_the_episode(speech_wav, tmp_path):
    jingle = profiles.JINGLES
    intro, outro = tmp_path / "intro.wav", tmp_path / "outro.wav"
    run_ffmpeg(lambda tmp: build_jingle(tmp, jingle.intro_frequencies, jingle), output=intro)
    run_ffmpeg(lambda tmp: build_jingle(tmp, jingle.outro_frequencies, jingle), output=outro)
    expected = len(jingle.intro_frequencies) * jingle.note_s
    assert probe(intro).duration == pytest.approx(expected, abs=0.02)
    assert probe(intro).audio.channels == 1
    # Audible next to speech at podcast loudness, neither a whisper nor a blast.
    assert -25 < measure_loudness(intro, channel_layout="mono").integrated_lufs < -15
    joined = tmp_path / "joined.wav"
    run_ffmpeg(lambda tmp: build_concat_audio([intro, speech_wav, outro], tmp), output=joined)
    total = 2 * expected + probe(speech_wav).duration
    assert probe(joined).duration == pytest.approx(total, abs=0.05)


def test_the_encoded_edition_is_measured_while_it_is_encoded(speech_wav, tmp_path):
    """The tee muxer feeds a FIFO read by the loudness measurement; odd file names survive."""
    from app.media.audio import make_audio_edition

    out = tmp_path / "épisode [1] | final.mp3"
    result = make_audio_edition(speech_wav, out, profiles.PODCAST_MONO)
    assert out.exists() and result.attempts >= 1
    assert any("tee" in cmd for cmd in result.commands)
    # What the FIFO reader measured is what the file holds.
    integrated, peak = ebur128(out, "mono")
    assert integrated == pytest.approx(result.integrated_lufs, abs=0.2)
    assert peak <= -1.0


def test_an_encoder_failing_early_releases_the_measurement(tmp_path):
    """A broken encode must not leave the measuring ffmpeg waiting on its FIFO forever."""
    from app.media.audio import _encode_and_measure
    from app.media.runner import FFmpegError

    def broken(tmp, fifo):
        return ["-f", "lavfi", "-i", "anullsrc", "-t", "1", "-c:a", "no-such-codec", tmp]

    started = time.monotonic()
    with pytest.raises(FFmpegError):
        _encode_and_measure(
            broken, str(tmp_path / "x.mp3"), profiles.PODCAST_MONO,
            duration=None, on_progress=None, timeout=60,
        )  # fmt: skip
    assert time.monotonic() - started < 20
    assert list(tmp_path.iterdir()) == []
