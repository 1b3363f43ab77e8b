"""The pure builders: exact ffmpeg arguments, checked without running ffmpeg."""

import os
import struct

import pytest

from app.media import profiles
from app.media.audio import (
    build_audio_edition,
    build_loudness_scan,
    parse_ebur128_summary,
)
from app.media.probe import VideoInfo
from app.media.transcode import (
    build_audio_copy,
    build_cut_audio,
    build_poster,
    build_remux,
    build_storyboard,
    build_web_video,
    compute_peaks,
    concat_list_text,
    keep_ranges_from_cuts,
    normalize_keep_ranges,
    plan_storyboard,
    target_video_size,
)


def video(width=1920, height=1080, fps=30.0, rotation=0, codec="h264"):
    return VideoInfo(codec, width, height, "yuv420p", fps, None, None, rotation)


def value_after(args, flag):
    return args[args.index(flag) + 1]


def test_remux_copies_streams_with_faststart():
    args = build_remux("in.mp4", "out.mp4").get_args()
    assert value_after(args, "-c") == "copy"
    assert value_after(args, "-movflags") == "+faststart"
    maps = [args[i + 1] for i, a in enumerate(args) if a == "-map"]
    assert maps == ["0:v:0", "0:a:0?"]
    assert "-filter_complex" not in args
    assert args.index(os.path.abspath("out.mp4")) < args.index("-progress")


def test_file_names_cannot_pass_for_options_or_protocols():
    args = build_remux("-i.mp4", "concat:a.mp4|b.mp4").get_args()
    assert value_after(args, "-i") == os.path.abspath("-i.mp4")
    assert args[-4] == os.path.abspath("concat:a.mp4|b.mp4")


def test_web_video_downscales_1080p_to_720p_at_15_fps():
    args = build_web_video("in.mov", "out.mp4", video(), profiles.WEB_720P).get_args()
    graph = value_after(args, "-filter_complex")
    assert "scale=flags=bicubic:h=720:w=1280" in graph
    assert "fps=fps=15" in graph
    assert value_after(args, "-vcodec") == "libx264"
    assert value_after(args, "-crf") == "26"
    assert value_after(args, "-preset") == "veryfast"
    assert value_after(args, "-g") == "60"  # a keyframe every 4 s at 15 fps
    assert value_after(args, "-pix_fmt") == "yuv420p"
    assert value_after(args, "-acodec") == "aac"
    assert value_after(args, "-ac") == "1"
    assert value_after(args, "-movflags") == "+faststart"
    assert args[-3:] == ["-progress", "pipe:1", "-nostats"]


def test_web_video_never_upscales_size_or_frame_rate():
    args = build_web_video(
        "in.webm", "out.mp4", video(640, 360, fps=10.0), profiles.WEB_720P
    ).get_args()
    graph = value_after(args, "-filter_complex")
    assert "h=360:w=640" in graph
    assert "fps=fps=10" in graph
    assert value_after(args, "-g") == "40"


def test_web_video_applies_the_montage_in_the_same_pass():
    args = build_web_video(
        "in.mp4", "out.mp4", video(), profiles.WEB_720P, keep_ranges=[(90, 200), (250, 400)]
    ).get_args()
    graph = value_after(args, "-filter_complex")
    assert "trim=end=200:start=90" in graph and "atrim=end=400:start=250" in graph
    assert "concat=a=1:n=2:v=1" in graph
    assert "0:a:0?" not in args  # the cut audio comes from the graph


def test_target_size_handles_portrait_phones_and_odd_sizes():
    assert target_video_size(video(1920, 1080, rotation=90), 720) == (720, 1280)
    assert target_video_size(video(1080, 1920), 720) == (720, 1280)
    assert target_video_size(video(853, 481), 720) == (852, 480)
    assert target_video_size(video(1280, 800), 720) == (1152, 720)


def test_audio_copy_never_touches_video():
    args = build_audio_copy("in.mp4", "out.m4a").get_args()
    assert "-vn" in args
    assert value_after(args, "-map") == "0:a:0"
    assert value_after(args, "-acodec") == "copy"


def test_poster_decodes_keyframes_only():
    args = build_poster("in.mp4", "p.jpg", video(), profiles.POSTER, at_s=30).get_args()
    input_at = args.index("-i")
    assert args.index("-skip_frame") < input_at and value_after(args, "-skip_frame") == "nokey"
    assert args.index("-ss") < input_at and value_after(args, "-ss") == "30"
    assert "-noaccurate_seek" in args[:input_at]
    assert "scale=h=-2:w=1280" in value_after(args, "-filter_complex")
    assert value_after(args, "-vframes") == "1"


def test_storyboard_plan_is_bounded_for_long_recordings():
    layout = plan_storyboard(2 * 3600, profiles.STORYBOARD)
    assert layout.count <= profiles.STORYBOARD.max_thumbs
    assert layout.interval_s == 72
    assert layout.columns * layout.rows >= layout.count
    short = plan_storyboard(8, profiles.STORYBOARD)
    assert (short.interval_s, short.count, short.columns, short.rows) == (2.0, 4, 4, 1)


def test_storyboard_tiles_keyframe_thumbnails():
    layout = plan_storyboard(600, profiles.STORYBOARD)
    args = build_storyboard("in.mp4", "sb.jpg", layout, profiles.STORYBOARD).get_args()
    assert args[: args.index("-i")] == ["-skip_frame", "nokey"]
    graph = value_after(args, "-filter_complex")
    assert "fps=fps=1/6" in graph
    assert "tile=layout=10x10" in graph
    assert value_after(args, "-vframes") == "1"


def test_compute_peaks_streams_across_uneven_chunks():
    samples = [0, 100, -16384, 5] * 5 + [32767, -1]  # 22 samples
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    chunks = [pcm[:7], pcm[7:20], pcm[20:]]
    peaks = compute_peaks(chunks, samples_per_peak=8)
    assert len(peaks) == 3
    assert peaks[0] == pytest.approx(0.5)
    assert peaks[2] == pytest.approx(32767 / 32768)
    assert all(0 <= p <= 1 for p in peaks)


def test_keep_ranges_from_trims_and_cuts():
    assert keep_ranges_from_cuts(100, trim_start=5, trim_end=90, cuts=[(10, 20), (85, 95)]) == [
        (5.0, 10.0),
        (20.0, 85.0),
    ]
    assert keep_ranges_from_cuts(60, cuts=[(0, 15)]) == [(15.0, 60.0)]
    assert normalize_keep_ranges([(50, 70), (0, 10), (5, 20), (80, 75)], 60) == [
        (0.0, 20.0),
        (50.0, 60.0),
    ]


def test_cut_audio_trims_and_concatenates_ranges():
    args = build_cut_audio("in.mp4", "cut.wav", [(5, 10), (20, 85.5)]).get_args()
    graph = value_after(args, "-filter_complex")
    assert "atrim=end=10:start=5" in graph
    assert "atrim=end=85.5:start=20" in graph
    assert "concat=a=1:n=2:v=0" in graph
    assert "-vn" in args


def test_concat_list_escapes_quotes(tmp_path):
    text = concat_list_text([tmp_path / "a.mp4", tmp_path / "l'autre.mp4"])
    assert text.splitlines()[1] == f"file '{tmp_path}/l'\\''autre.mp4'"


def test_audio_edition_never_decodes_video_and_limits_without_auto_gain():
    args = build_audio_edition(
        "in.mp4", "out.mp3", profiles.PODCAST_MONO, gain_db=3.5, limit_dbtp=-3.0
    ).get_args()
    maps = [args[i + 1] for i, a in enumerate(args) if a == "-map"]
    assert "-vn" in args and maps == ["[s3]"]  # only the filtered audio is mapped
    graph = value_after(args, "-filter_complex")
    assert graph.startswith("[0:a:0]aresample=44100")
    assert "aformat=channel_layouts=mono" in graph
    assert "volume=3.50dB" in graph
    assert "alimiter=latency=1:level=disabled:limit=0.7079" in graph
    assert value_after(args, "-acodec") == "libmp3lame"
    assert value_after(args, "-b:a") == "96k"
    assert value_after(args, "-ar") == "44100"
    assert value_after(args, "-ac") == "1"


def test_loudness_scan_pins_the_channel_layout():
    args = build_loudness_scan("in.mp4", channel_layout="mono").get_args()
    assert "aformat=channel_layouts=mono[s0];[s0]ebur128=framelog=verbose:peak=true" in value_after(
        args, "-filter_complex"
    )
    assert value_after(args, "-f") == "null" and args[-1] == "-"
    assert "-vn" in args


def test_parse_ebur128_summary():
    log = [
        "[Parsed_ebur128_1 @ 0x55] Summary:",
        "  Integrated loudness:",
        "    I:         -19.3 LUFS",
        "    Threshold: -29.9 LUFS",
        "  Loudness range:",
        "    LRA:         3.2 LU",
        "    Threshold:  -39.8 LUFS",
        "  True peak:",
        "    Peak:       -1.4 dBFS",
    ]
    figures = parse_ebur128_summary(log)
    assert (figures.integrated_lufs, figures.range_lu, figures.true_peak_dbtp) == (
        -19.3,
        3.2,
        -1.4,
    )
    with pytest.raises(ValueError):
        parse_ebur128_summary(log[:4])
