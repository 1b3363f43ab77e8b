"""Real ffmpeg runs of the builders, outputs checked with ffprobe and by reading MP4 atoms."""

import ffmpeg
import pytest

from app.media import profiles
from app.media.audio import build_waveform_document, extract_waveform_peaks
from app.media.probe import probe
from app.media.runner import run_ffmpeg
from app.media.transcode import (
    build_audio_copy,
    build_concat_copy,
    build_cut_audio,
    build_poster,
    build_remux,
    build_segment_copy,
    build_storyboard,
    build_web_video,
    concat_list_text,
    plan_storyboard,
    poster_time,
)

pytestmark = [pytest.mark.ffmpeg, pytest.mark.espeak]


def top_level_atoms(path) -> list[str]:
    """Return the MP4's top-level box types in file order."""
    atoms = []
    with open(path, "rb") as file:
        while header := file.read(8):
            size = int.from_bytes(header[:4], "big")
            atoms.append(header[4:8].decode("latin-1"))
            if size == 1:
                size = int.from_bytes(file.read(8), "big") - 8
            elif size == 0:
                break
            file.seek(size - 8, 1)
    return atoms


def assert_faststart(path):
    atoms = top_level_atoms(path)
    assert "moov" in atoms and "mdat" in atoms
    assert atoms.index("moov") < atoms.index("mdat"), atoms


def streams(path) -> dict[str, dict]:
    data = ffmpeg.probe(str(path))
    return {s["codec_type"]: s for s in data["streams"]}


def test_remux_output_is_faststart_and_untouched(h264_mp4, tmp_path):
    assert top_level_atoms(h264_mp4).index("moov") > top_level_atoms(h264_mp4).index("mdat")
    out = tmp_path / "replay.mp4"
    run_ffmpeg(lambda tmp: build_remux(h264_mp4, tmp), output=out, duration=8)
    assert_faststart(out)
    found = streams(out)
    assert found["video"]["codec_name"] == "h264"
    assert found["audio"]["codec_name"] == "aac"
    assert probe(out).duration == pytest.approx(8, abs=0.1)


def test_unicode_spaces_and_dashes_in_file_names(h264_mp4, tmp_path):
    source = tmp_path / "-Réunion d'été – n°1.mp4"
    source.write_bytes(h264_mp4.read_bytes())
    out = tmp_path / "replay d'été.mp4"
    run_ffmpeg(lambda tmp: build_remux(source, tmp), output=out)
    assert probe(out).video.codec == "h264"


def test_vp9_webm_is_encoded_to_720p_h264_aac_faststart(vp9_webm, tmp_path):
    source = probe(vp9_webm)
    out = tmp_path / "replay-720p.mp4"
    run_ffmpeg(
        lambda tmp: build_web_video(vp9_webm, tmp, source.video, profiles.WEB_720P),
        output=out,
        duration=source.duration,
    )
    assert_faststart(out)
    result = probe(out)
    assert result.video.codec == "h264"
    assert result.video.pix_fmt == "yuv420p"
    assert (result.video.width, result.video.height) == (1152, 720)
    assert result.video.fps == pytest.approx(15)
    assert result.audio.codec == "aac"
    assert result.audio.channels == 1
    assert result.duration == pytest.approx(source.duration, abs=0.2)
    assert streams(out)["video"]["profile"] == "High"


def test_montage_encode_keeps_only_the_kept_ranges(h264_mp4, tmp_path):
    source = probe(h264_mp4)
    out = tmp_path / "edited-720p.mp4"
    run_ffmpeg(
        lambda tmp: build_web_video(
            h264_mp4, tmp, source.video, profiles.WEB_720P, keep_ranges=[(0.5, 2.0), (4.0, 6.5)]
        ),
        output=out,
        duration=4.0,
    )
    assert_faststart(out)
    result = probe(out)
    assert (result.video.codec, result.audio.codec) == ("h264", "aac")
    assert result.duration == pytest.approx(4.0, abs=0.15)


def test_audio_copy_keeps_the_aac_stream(h264_mp4, tmp_path):
    out = tmp_path / "audio.m4a"
    run_ffmpeg(lambda tmp: build_audio_copy(h264_mp4, tmp), output=out)
    found = streams(out)
    assert set(found) == {"audio"}
    assert found["audio"]["codec_name"] == "aac"


def test_poster_is_a_jpeg_from_a_keyframe(h264_mp4, tmp_path):
    source = probe(h264_mp4)
    out = tmp_path / "poster.jpg"
    at = poster_time(source.duration, profiles.POSTER)
    run_ffmpeg(
        lambda tmp: build_poster(h264_mp4, tmp, source.video, profiles.POSTER, at_s=at),
        output=out,
    )
    assert out.read_bytes()[:3] == b"\xff\xd8\xff"
    poster = streams(out)["video"]
    assert (poster["width"], poster["height"]) == (1280, 720)


def test_storyboard_sprite_has_the_planned_grid(h264_mp4, tmp_path):
    source = probe(h264_mp4)
    layout = plan_storyboard(source.duration, profiles.STORYBOARD)
    out = tmp_path / "storyboard.jpg"
    run_ffmpeg(lambda tmp: build_storyboard(h264_mp4, tmp, layout, profiles.STORYBOARD), output=out)
    sprite = streams(out)["video"]
    assert sprite["width"] == layout.columns * layout.thumb_width
    assert sprite["height"] == layout.rows * layout.thumb_height


def test_waveform_peaks_have_one_value_per_tenth_of_second(h264_mp4, speech_wav):
    peaks = extract_waveform_peaks(h264_mp4, profiles.WAVEFORM)
    assert len(peaks) == pytest.approx(80, abs=1)
    assert all(0.0 <= p <= 1.0 for p in peaks)
    assert max(peaks) > 0.1  # speech is there
    assert min(peaks[-10:]) == 0.0  # the padded end is silent
    speech_peaks = extract_waveform_peaks(speech_wav, profiles.WAVEFORM)
    assert len(speech_peaks) == pytest.approx(probe(speech_wav).duration * 10, abs=1)
    document = build_waveform_document(peaks, profiles.WAVEFORM)
    assert document["length"] == len(document["data"]) == len(peaks)


def test_audio_cut_keeps_exactly_the_kept_ranges(h264_mp4, tmp_path):
    out = tmp_path / "cut.wav"
    run_ffmpeg(lambda tmp: build_cut_audio(h264_mp4, tmp, [(0.5, 2.0), (4.0, 6.5)]), output=out)
    assert probe(out).duration == pytest.approx(4.0, abs=0.05)


def test_segments_copied_at_keyframes_then_joined(h264_mp4, tmp_path):
    segments = []
    for index, (start, end) in enumerate([(0.0, 2.0), (4.0, 6.0)]):
        segment = tmp_path / f"segment-{index}.mp4"
        run_ffmpeg(
            lambda tmp, s=start, e=end: build_segment_copy(h264_mp4, tmp, s, e), output=segment
        )
        segments.append(segment)
    list_file = tmp_path / "segments.txt"
    list_file.write_text(concat_list_text(segments))
    out = tmp_path / "edited.mp4"
    run_ffmpeg(lambda tmp: build_concat_copy(list_file, tmp), output=out)
    assert_faststart(out)
    result = probe(out)
    assert result.video.codec == "h264" and result.audio.codec == "aac"
    assert result.duration == pytest.approx(4.0, abs=0.2)
