"""Probe a local media file with ffprobe, validate it, and decide remux versus re-encode."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import ffmpeg

from app.media import N_, SentenceError
from app.media.profiles import RemuxCriteria, ValidationLimits


class MediaRejected(SentenceError):
    """The file is not a recording the platform can process; ``reason`` is shown to the user."""

    @property
    def reason(self):
        """Why, as a Message: stored in the job row, shown in the reader's language."""
        return self.sentence


@dataclass(frozen=True)
class VideoInfo:
    """The first real video stream (cover pictures are not video)."""

    codec: str
    width: int
    height: int
    pix_fmt: str | None
    fps: float | None
    bit_rate: int | None
    frames: int | None
    #: Degrees the player must rotate the picture (phones store portrait video rotated).
    rotation: int = 0

    @property
    def display_size(self) -> tuple[int, int]:
        """Return (width, height) as seen by the viewer, after rotation."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class AudioInfo:
    """The first audio stream."""

    codec: str
    channels: int
    channel_layout: str | None
    sample_rate: int | None
    bit_rate: int | None


@dataclass(frozen=True)
class ProbeResult:
    """What ffprobe says about a file, reduced to what the pipeline decides on."""

    container: str
    duration: float | None
    size: int
    bit_rate: int | None
    video: VideoInfo | None
    audio: AudioInfo | None
    #: The raw ffprobe JSON, kept so the media row can store it for later diagnosis.
    raw: dict[str, Any]

    @property
    def is_audio_only(self) -> bool:
        """Return True when there is no video to show (audio recordings skip the video branch)."""
        return self.video is None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result else None  # NaN means unknown


def _rate(value: Any) -> float | None:
    """Parse an ffprobe rate such as ``30000/1001``; ``0/0`` means unknown."""
    if not value or not isinstance(value, str):
        return None
    try:
        rate = Fraction(value)
    except (ValueError, ZeroDivisionError):
        return None
    return float(rate) if rate > 0 else None


def _rotation(stream: dict[str, Any]) -> int:
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            return int(side_data["rotation"]) % 360
    return (_int(stream.get("tags", {}).get("rotate")) or 0) % 360


def _video_info(streams: list[dict[str, Any]]) -> VideoInfo | None:
    for stream in streams:
        if stream.get("codec_type") != "video":
            continue
        # MP3 and M4A covers show up as one-frame video streams flagged attached_pic.
        if stream.get("disposition", {}).get("attached_pic"):
            continue
        return VideoInfo(
            codec=stream.get("codec_name", "unknown"),
            width=_int(stream.get("width")) or 0,
            height=_int(stream.get("height")) or 0,
            pix_fmt=stream.get("pix_fmt"),
            fps=_rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate")),
            bit_rate=_int(stream.get("bit_rate")),
            frames=_int(stream.get("nb_frames")),
            rotation=_rotation(stream),
        )
    return None


def _audio_info(streams: list[dict[str, Any]]) -> AudioInfo | None:
    for stream in streams:
        if stream.get("codec_type") == "audio":
            return AudioInfo(
                codec=stream.get("codec_name", "unknown"),
                channels=_int(stream.get("channels")) or 0,
                channel_layout=stream.get("channel_layout"),
                sample_rate=_int(stream.get("sample_rate")),
                bit_rate=_int(stream.get("bit_rate")),
            )
    return None


def _duration(data: dict[str, Any]) -> float | None:
    """Return the longest known duration: some muxers only fill it per stream."""
    candidates = [_float(data.get("format", {}).get("duration"))]
    candidates += [_float(s.get("duration")) for s in data.get("streams", [])]
    known = [d for d in candidates if d is not None]
    return max(known) if known else None


def parse_probe(data: dict[str, Any], size: int) -> ProbeResult:
    """Build a ProbeResult from ffprobe's JSON output."""
    streams = data.get("streams", [])
    fmt = data.get("format", {})
    return ProbeResult(
        container=fmt.get("format_name", "unknown"),
        duration=_duration(data),
        size=size,
        bit_rate=_int(fmt.get("bit_rate")),
        video=_video_info(streams),
        audio=_audio_info(streams),
        # The local path is a worker's temporary file: meaningless elsewhere, so not kept.
        raw={**data, "format": {k: v for k, v in fmt.items() if k != "filename"}},
    )


#: Top-level ISO BMFF boxes an MP4/MOV file can start with.
_MP4_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}


def _looks_like_mp4(path: str | os.PathLike[str]) -> bool:
    """Tell a cut-short MP4 from any file named .mp4: ffprobe reports a missing moov for both."""
    with open(path, "rb") as file:
        header = file.read(8)
    return header[4:8] in _MP4_FIRST_BOXES


def _mp4_cut_short(path: str | os.PathLike[str], size: int) -> bool:
    """Return True when a top-level MP4 box claims bytes past the end of the file.

    A faststart MP4 cut during upload still probes fine (its index is up front), so the box
    sizes are the cheap way to notice the media data is missing: a few seeks, no decoding.
    """
    position = 0
    with open(path, "rb") as file:
        while position + 8 <= size:
            file.seek(position)
            header = file.read(16)
            box_size = int.from_bytes(header[:4], "big")
            if box_size == 1:  # 64-bit size follows the type
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:  # the box runs to the end of the file by definition
                return False
            if box_size < 8:
                return True
            position += box_size
    return position > size


def probe(path: str | os.PathLike[str]) -> ProbeResult:
    """Run ffprobe on a local file; raise MediaRejected when it is not a readable media file."""
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRejected(
            N_("Le fichier est vide (0 octet) : l'envoi n'a sans doute pas abouti.")
        )
    try:
        # An absolute path cannot be mistaken for an option or a protocol by ffprobe.
        data = ffmpeg.probe(os.path.abspath(path), v="error")
    except ffmpeg.Error as exc:
        detail = exc.stderr.decode("utf-8", "replace") if exc.stderr else ""
        if "moov atom not found" in detail and _looks_like_mp4(path):
            raise MediaRejected(
                N_(
                    "Le fichier MP4 est incomplet (index « moov » absent) : l'enregistrement ou "
                    "l'envoi a été interrompu avant la fin. Renvoyez le fichier complet."
                )
            ) from exc
        raise MediaRejected(
            N_(
                "Ce fichier n'est pas un enregistrement audio ou vidéo lisible "
                "(format inconnu ou données corrompues)."
            )
        ) from exc
    if _looks_like_mp4(path) and _mp4_cut_short(path, size):
        raise MediaRejected(
            N_(
                "Le fichier MP4 est incomplet (données de fin manquantes) : l'enregistrement ou "
                "l'envoi a été interrompu avant la fin. Renvoyez le fichier complet."
            )
        )
    return parse_probe(data, size)


def validate(result: ProbeResult, limits: ValidationLimits) -> None:
    """Raise MediaRejected with a reason a person understands if the recording is unusable."""
    if result.video is None and result.audio is None:
        raise MediaRejected(N_("Ce fichier ne contient ni piste audio ni piste vidéo."))
    if result.video is not None:
        width, height = result.video.width, result.video.height
        if (
            min(width, height) < limits.min_dimension
            or width > limits.max_width
            or height > limits.max_height
        ):
            raise MediaRejected(
                N_(
                    "Dimensions de l'image invalides (%(width)s×%(height)s pixels) : le maximum "
                    "accepté est %(max_width)s×%(max_height)s."
                ),
                width=width,
                height=height,
                max_width=limits.max_width,
                max_height=limits.max_height,
            )
    if result.duration is None or result.duration < limits.min_duration_s:
        if result.video is not None and (result.video.frames or 0) <= 1:
            raise MediaRejected(
                N_("Ce fichier ne contient qu'une seule image, pas un enregistrement vidéo.")
            )
        raise MediaRejected(
            N_("La durée de ce fichier est nulle ou trop courte pour être un enregistrement.")
        )
    if limits.require_audio and result.audio is None:
        raise MediaRejected(
            N_(
                "Cet enregistrement n'a pas de piste audio : le son n'a sans doute pas été capté. "
                "Vérifiez les réglages d'enregistrement et renvoyez le fichier."
            )
        )
    if result.duration > limits.max_duration_s:
        raise MediaRejected(
            N_(
                "L'enregistrement dure %(duration)s, au-delà de la limite de %(limit)s. "
                "Coupez-le en plusieurs parties."
            ),
            duration=_hms(result.duration),
            limit=_hms(limits.max_duration_s),
        )


def _hms(seconds: float) -> str:
    # Unit symbols read the same in French and English.
    total = int(round(seconds))
    return f"{total // 3600} h {total % 3600 // 60:02d} min {total % 60:02d} s"


def remux_blockers(result: ProbeResult, criteria: RemuxCriteria) -> list[str]:
    """Return why the source cannot be remuxed as is (empty when the fast path applies)."""
    blockers = []
    video, audio = result.video, result.audio
    if video is None:
        blockers.append("pas de piste vidéo")
    else:
        if video.codec not in criteria.video_codecs:
            blockers.append(f"codec vidéo {video.codec}")
        if video.pix_fmt not in criteria.pix_fmts:
            blockers.append(f"format de pixels {video.pix_fmt}")
        width, height = video.display_size
        long_side, short_side = max(width, height), min(width, height)
        if long_side > criteria.max_width or short_side > criteria.max_height:
            blockers.append(f"définition {width}×{height}")
        if video.fps is None or video.fps > criteria.max_fps:
            blockers.append(f"fréquence d'images {video.fps}")
    if result.bit_rate is None or result.bit_rate > criteria.max_bitrate:
        blockers.append(f"débit {result.bit_rate}")
    if audio is None:
        blockers.append("pas de piste audio")
    else:
        if audio.codec not in criteria.audio_codecs:
            blockers.append(f"codec audio {audio.codec}")
        if audio.channels > criteria.max_audio_channels:
            blockers.append(f"{audio.channels} canaux audio")
    return blockers


def can_remux(result: ProbeResult, criteria: RemuxCriteria) -> bool:
    """Return True when the replay can be a stream copy with +faststart (no re-encode)."""
    return not remux_blockers(result, criteria)
