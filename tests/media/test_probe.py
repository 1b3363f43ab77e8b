"""Probe, validation with readable reasons, and the remux fast-path decision on real files."""

import dataclasses

import pytest

from app.media.probe import MediaRejected, can_remux, probe, remux_blockers, validate
from app.media.profiles import LIMITS, REMUX, ValidationLimits

pytestmark = pytest.mark.ffmpeg


@pytest.mark.espeak
def test_probe_reads_an_h264_aac_webinar(h264_mp4):
    result = probe(h264_mp4)
    assert "mp4" in result.container
    assert result.duration == pytest.approx(8, abs=0.1)
    assert result.size == h264_mp4.stat().st_size
    assert result.video.codec == "h264"
    assert (result.video.width, result.video.height) == (1280, 720)
    assert result.video.pix_fmt == "yuv420p"
    assert result.video.fps == pytest.approx(25)
    assert result.audio.codec == "aac"
    assert result.audio.channels == 1
    assert result.bit_rate > 0
    assert "filename" not in result.raw["format"]
    assert len(result.raw["streams"]) == 2
    validate(result, LIMITS)


@pytest.mark.espeak
def test_fast_path_for_h264_aac(h264_mp4):
    result = probe(h264_mp4)
    assert remux_blockers(result, REMUX) == []
    assert can_remux(result, REMUX)


@pytest.mark.espeak
def test_no_fast_path_for_vp9_opus(vp9_webm):
    result = probe(vp9_webm)
    validate(result, LIMITS)
    assert not can_remux(result, REMUX)
    blockers = remux_blockers(result, REMUX)
    assert "codec vidéo vp9" in blockers
    assert "codec audio opus" in blockers


@pytest.mark.espeak
def test_no_fast_path_above_the_bitrate_cap_or_1080p(h264_mp4):
    result = probe(h264_mp4)
    heavy = dataclasses.replace(result, bit_rate=REMUX.max_bitrate + 1)
    assert not can_remux(heavy, REMUX)
    uhd_video = dataclasses.replace(result.video, width=3840, height=2160)
    uhd = dataclasses.replace(result, video=uhd_video)
    assert not can_remux(uhd, REMUX)


@pytest.mark.espeak
def test_audio_only_recording_is_accepted(speech_mp3):
    result = probe(speech_mp3)
    assert result.is_audio_only
    assert result.audio.codec == "mp3"
    validate(result, LIMITS)
    assert not can_remux(result, REMUX)


def test_zero_byte_file_is_rejected(empty_file):
    with pytest.raises(MediaRejected, match="vide"):
        probe(empty_file)


def test_text_file_named_mp4_is_rejected(text_named_mp4):
    with pytest.raises(MediaRejected, match="n'est pas un enregistrement audio ou vidéo lisible"):
        probe(text_named_mp4)


def test_truncated_mp4_is_rejected_with_the_missing_index(truncated_mp4):
    with pytest.raises(MediaRejected, match="incomplet") as caught:
        probe(truncated_mp4)
    assert "moov" in caught.value.reason


def test_truncated_faststart_mp4_is_rejected(truncated_faststart_mp4):
    with pytest.raises(MediaRejected, match="incomplet") as caught:
        probe(truncated_faststart_mp4)
    assert "données de fin manquantes" in caught.value.reason


def test_video_without_audio_is_rejected(silent_video):
    result = probe(silent_video)
    with pytest.raises(MediaRejected, match="pas de piste audio"):
        validate(result, LIMITS)


def test_single_frame_is_rejected(single_frame):
    result = probe(single_frame)
    assert result.video.frames == 1
    with pytest.raises(MediaRejected, match="une seule image"):
        validate(result, LIMITS)


def test_absurd_dimensions_are_rejected(absurd_dimensions):
    result = probe(absurd_dimensions)
    with pytest.raises(MediaRejected, match="16000×16") as caught:
        validate(result, LIMITS)
    assert "Dimensions" in caught.value.reason


@pytest.mark.espeak
def test_recording_over_the_duration_limit_is_rejected(h264_mp4):
    result = probe(h264_mp4)
    with pytest.raises(MediaRejected, match="au-delà de la limite de 0 h 00 min 05 s"):
        validate(result, ValidationLimits(max_duration_s=5))
