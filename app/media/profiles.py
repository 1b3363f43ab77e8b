"""Encoding profiles and validation limits, as plain data.

Builders in ``transcode.py`` and ``audio.py`` read these values and nothing else, so a change of
recipe is a change of data here (and of ``recipe_version``, which output keys include).
The figures come from the measurements in the media-pipeline reference (§6.2, §7).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemuxCriteria:
    """What a source must be for the replay to be a remux (copy) instead of a re-encode."""

    video_codecs: tuple[str, ...] = ("h264",)
    #: 8-bit 4:2:0 only: High 10 / 4:2:2 / 4:4:4 H.264 does not play in most browsers.
    pix_fmts: tuple[str, ...] = ("yuv420p",)
    max_width: int = 1920
    max_height: int = 1080
    max_fps: float = 60.0
    #: Whole-file bitrate cap (bit/s); above it a 720p encode is worth its CPU for the viewers.
    max_bitrate: int = 8_000_000
    audio_codecs: tuple[str, ...] = ("aac",)
    max_audio_channels: int = 2


@dataclass(frozen=True)
class VideoProfile:
    """A single H.264/AAC MP4 rendition tuned for slides and a talking head."""

    name: str = "web-720p"
    recipe_version: int = 1
    #: The short side of the picture is capped here; smaller sources are never upscaled.
    max_short_side: int = 720
    #: Slides and a small camera inset look the same at 15 fps and cost a third less CPU.
    fps: float = 15.0
    keyframe_interval_s: float = 4.0
    video_codec: str = "libx264"
    preset: str = "veryfast"
    crf: int = 26
    maxrate: str = "1500k"
    bufsize: str = "3000k"
    pix_fmt: str = "yuv420p"
    h264_profile: str = "high"
    h264_level: str = "4.0"
    audio_codec: str = "aac"
    audio_bitrate: str = "96k"
    audio_channels: int = 1


@dataclass(frozen=True)
class AudioEditionProfile:
    """The podcast audio edition: MP3 at a podcast loudness with a true-peak ceiling."""

    name: str = "podcast-mp3-mono"
    recipe_version: int = 2
    codec: str = "libmp3lame"
    extension: str = "mp3"
    bitrate: str = "96k"
    sample_rate: int = 44100
    channels: int = 1
    #: −16 LUFS stereo is heard like −19 LUFS mono (AES TD1004); the target follows the layout.
    target_lufs_mono: float = -19.0
    target_lufs_stereo: float = -16.0
    tolerance_lu: float = 1.0
    #: Aim closer than the tolerance, so the published figure has margin.
    accuracy_lu: float = 0.5
    max_true_peak_dbtp: float = -1.0
    #: MP3 encoding raises true peak (~3 dB at 64 kbit/s, less at 96), so the limiter starts
    #: below the ceiling; the encoded file is measured anyway, this only saves re-encodes.
    limiter_headroom_db: float = 1.0
    #: Above this gain the source is essentially silent: boosting it would only amplify noise.
    max_gain_db: float = 30.0
    max_attempts: int = 4
    #: LAME's quality/speed trade-off (0 best … 9 fastest; ffmpeg's default is 3). 5 is LAME's
    #: classic "good quality, fast" setting: at 96 kbit/s mono speech it is transparent in
    #: practice and encodes about 1.5× faster than 3 (bench/pipeline.py).
    encoder_quality: int = 5

    @property
    def channel_layout(self) -> str:
        """Return the ffmpeg channel layout the edition is encoded and measured in."""
        return "mono" if self.channels == 1 else "stereo"

    @property
    def target_lufs(self) -> float:
        """Return the integrated loudness target for this profile's channel count."""
        return self.target_lufs_mono if self.channels == 1 else self.target_lufs_stereo


@dataclass(frozen=True)
class PosterProfile:
    """A JPEG poster taken at a keyframe."""

    max_width: int = 1280
    #: Where to look, as a fraction of the duration: past the waiting-room chatter of webinars.
    at_fraction: float = 0.5
    jpeg_quality: int = 3


@dataclass(frozen=True)
class StoryboardProfile:
    """A sprite sheet of keyframe thumbnails for the timeline and the seek bar."""

    thumb_width: int = 160
    thumb_height: int = 90
    columns: int = 10
    max_thumbs: int = 100
    #: Never sample more often than this, even for short recordings.
    min_interval_s: float = 2.0
    jpeg_quality: int = 4


@dataclass(frozen=True)
class WaveformProfile:
    """Peaks of the audio track for the editing timeline."""

    #: Decoding at 8 kHz mono keeps the peak scan cheap; peaks need no high frequencies.
    sample_rate: int = 8000
    peaks_per_second: int = 10


@dataclass(frozen=True)
class JingleProfile:
    """Intro and outro jingles synthesised from sine tones (no audio file to license)."""

    intro_frequencies: tuple[float, ...] = (523.25, 659.25, 783.99, 1046.5)
    outro_frequencies: tuple[float, ...] = (1046.5, 783.99, 659.25, 523.25)
    note_s: float = 0.25
    #: Peak amplitude (fraction of full scale): about −20 LUFS, close to the spoken content.
    amplitude: float = 0.15
    sample_rate: int = 44100


@dataclass(frozen=True)
class ValidationLimits:
    """What an uploaded recording must satisfy before any processing."""

    max_duration_s: float = 4 * 3600.0
    #: A real recording lasts more than a blink; a still image or a single frame does not.
    min_duration_s: float = 1.0
    max_width: int = 7680
    max_height: int = 4320
    min_dimension: int = 16
    require_audio: bool = True


REMUX = RemuxCriteria()
WEB_720P = VideoProfile()
PODCAST_MONO = AudioEditionProfile()
PODCAST_STEREO = AudioEditionProfile(name="podcast-mp3-stereo", bitrate="128k", channels=2)
POSTER = PosterProfile()
STORYBOARD = StoryboardProfile()
WAVEFORM = WaveformProfile()
JINGLES = JingleProfile()
LIMITS = ValidationLimits()
