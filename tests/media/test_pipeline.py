"""The real pipeline on generated recordings, checked with ffprobe, ebur128 and mutagen."""

import json
import re
import subprocess
import time

import ffmpeg
import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.media import pipeline
from app.media.jobs import create_job
from app.media.models import (
    AssetKind,
    AssetStatus,
    JobState,
    MediaAsset,
    ProcessingJob,
    Rendition,
    RenditionKind,
    StoredFile,
)
from app.media.operations import store_file
from app.media.storage import get_storage
from app.media.tagging import read_tags

pytestmark = [pytest.mark.ffmpeg, pytest.mark.espeak]

CHAPTERS = [
    {"start": 0, "title": "Accueil"},
    {"start": 3, "title": "Les paniers"},
    {"start": 6, "title": "Questions"},
]


def make_asset(path, owner=None, *, filename=None, chapters=None, title="Atelier"):
    with open(path, "rb") as fh:
        original = store_file(fh, filename or path.name, prefix="media/originals")
    asset = MediaAsset(
        title=title,
        original=original,
        owner_id=owner.id if owner else None,
        chapters=chapters,
        status=AssetStatus.PROCESSING,
    )
    db.session.add(asset)
    job = create_job(asset, "process")
    db.session.commit()
    return asset, job


def run(job_id):
    result = pipeline.run_job(job_id, worker="test@host")
    db.session.expire_all()
    return result


def fresh(job_id):
    db.session.expire_all()
    return db.session.get(ProcessingJob, job_id)


def ebur128(path, layout):
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0", "-af",
         f"aformat=channel_layouts={layout},ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = log[log.rindex("Summary:") :]
    return (
        float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1)),
        float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1)),
    )


def moov_before_mdat(path) -> bool:
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def local(rendition):
    return get_storage(rendition.file.backend).path(rendition.file.key)


def test_h264_aac_takes_the_fast_path_and_publishes_everything(app, make_user, h264_mp4):
    owner = make_user(Role.ANIMATOR)
    seen = []
    listener = pipeline.register_ready_listener(lambda asset: seen.append(asset.id))
    try:
        asset, job = make_asset(h264_mp4, owner, chapters=CHAPTERS, title="Les paniers")
        assert run(job.id) == "succeeded"
    finally:
        pipeline._ready_listeners.remove(listener)
    job = fresh(job.id)
    asset = job.asset
    assert job.state == JobState.SUCCEEDED and job.progress == 1.0 and job.worker == "test@host"
    assert job.attempts == 1 and job.error is None
    assert set(job.timings) >= {"probe", "web_video", "images", "audio_edition", "waveform"}
    assert asset.status == AssetStatus.READY and asset.ready_dt is not None
    assert seen == [asset.id]
    # Fast path: a stream copy with faststart, no encoder in the recorded commands.
    remux = next(cmd for cmd in job.commands if "+faststart" in cmd and "-c" in cmd)
    assert remux[remux.index("-c") + 1] == "copy"
    assert not any("libx264" in cmd for cmd in job.commands)
    web = asset.rendition(RenditionKind.WEB_VIDEO)
    assert web.info["path"] == "remux"
    info = ffmpeg.probe(str(local(web)))
    codecs = {s["codec_type"]: s["codec_name"] for s in info["streams"]}
    assert codecs == {"video": "h264", "audio": "aac"}
    assert (web.width, web.height) == (1280, 720)
    assert float(info["format"]["duration"]) == pytest.approx(8, abs=0.2)
    assert moov_before_mdat(local(web))
    # Keys are per (asset, job) and the original is untouched.
    assert web.file.key == f"media/assets/{asset.id}/j{job.id}/replay.mp4"
    with get_storage().local_path(asset.original.key) as src:
        assert src.read_bytes() == h264_mp4.read_bytes()
    # Audio edition: MP3 mono 96k 44.1 kHz at -19 LUFS, true peak <= -1 dBTP, tags + chapters.
    audio = asset.rendition(RenditionKind.AUDIO_EDITION)
    stream = ffmpeg.probe(str(local(audio)))["streams"][0]
    assert (stream["codec_name"], stream["channels"], stream["sample_rate"]) == ("mp3", 1, "44100")
    integrated, peak = ebur128(local(audio), "mono")
    assert integrated == pytest.approx(-19.0, abs=1.0)
    assert peak <= -1.0
    tags = read_tags(local(audio))
    assert tags.title == "Les paniers"
    assert tags.cover_mime == "image/jpeg" and tags.cover_size > 0
    assert [(c.start, c.title) for c in tags.chapters] == [
        (0.0, "Accueil"),
        (3.0, "Les paniers"),
        (6.0, "Questions"),
    ]
    # Poster, storyboard, waveform and JSON chapters.
    poster = asset.rendition(RenditionKind.POSTER)
    assert poster.width == 1280 and local(poster).read_bytes()[:2] == b"\xff\xd8"
    storyboard = asset.rendition(RenditionKind.STORYBOARD)
    assert storyboard.info["count"] >= 1
    waveform = json.loads(local(asset.rendition(RenditionKind.WAVEFORM)).read_text())
    assert waveform["peaks_per_second"] == 10
    assert len(waveform["data"]) == pytest.approx(80, abs=2)
    assert max(waveform["data"]) > 0.05
    chapters = json.loads(local(asset.rendition(RenditionKind.CHAPTERS)).read_text())
    assert chapters["version"] == "1.2"
    assert [c["startTime"] for c in chapters["chapters"]] == [0, 3, 6]


def test_vp9_opus_is_reencoded_to_720p_h264(app, vp9_webm):
    asset, job = make_asset(vp9_webm)
    assert run(job.id) == "succeeded"
    job = fresh(job.id)
    web = job.asset.rendition(RenditionKind.WEB_VIDEO)
    assert web.info["path"] == "encode"
    assert any("libx264" in cmd for cmd in job.commands)
    info = ffmpeg.probe(str(local(web)))
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
    assert (video["width"], video["height"]) == (1152, 720)  # 16:10, short side capped, even
    assert video["avg_frame_rate"] == "15/1"
    assert (audio["codec_name"], audio["channels"]) == ("aac", 1)
    assert moov_before_mdat(local(web))
    assert web.file.key.endswith(f"/j{job.id}/replay-720p.mp4")


def test_audio_only_recording_skips_the_video_branch(app, speech_mp3):
    asset, job = make_asset(speech_mp3)
    assert run(job.id) == "succeeded"
    job = fresh(job.id)
    asset = job.asset
    assert asset.kind == AssetKind.AUDIO
    kinds = {r.kind for r in asset.renditions}
    assert kinds == {RenditionKind.AUDIO_EDITION, RenditionKind.WAVEFORM}
    assert "web_video" not in job.timings


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("empty_file", "vide"),
        ("text_named_mp4", "pas un enregistrement"),
        ("truncated_mp4", "moov"),
        ("silent_video", "pas de piste audio"),
        ("single_frame", "seule image"),
        ("absurd_dimensions", "Dimensions"),
    ],
)
def test_bad_inputs_fail_with_a_clear_reason_and_keep_the_original(app, request, fixture, reason):
    path = request.getfixturevalue(fixture)
    asset, job = make_asset(path)
    with pytest.raises(Exception):  # noqa: B017 - the task re-raises; the row says why
        run(job.id)
    job = fresh(job.id)
    assert job.state == JobState.FAILED
    assert reason in job.error
    assert job.asset.status == AssetStatus.FAILED
    assert job.asset.renditions == []
    assert get_storage().exists(job.asset.original.key)
    stored = db.session.scalars(sa.select(StoredFile)).all()
    assert [f.key for f in stored] == [job.asset.original.key]
    assert not list(get_storage().root.glob(f"media/assets/{job.asset_id}/**/*.*"))


def test_recording_over_the_duration_limit_is_refused(app, h264_mp4, monkeypatch):
    from app.media import profiles

    monkeypatch.setattr(profiles, "LIMITS", profiles.ValidationLimits(max_duration_s=5))
    asset, job = make_asset(h264_mp4)
    with pytest.raises(Exception):  # noqa: B017
        run(job.id)
    job = fresh(job.id)
    assert job.state == JobState.FAILED
    assert "au-delà de la limite" in job.error


def test_reprocess_keeps_old_renditions_online_until_the_new_job_succeeds(app, h264_mp4):
    from app.media.jobs import reprocess_asset

    asset, job = make_asset(h264_mp4)
    run(job.id)
    asset = db.session.get(MediaAsset, asset.id)
    first_web = asset.rendition(RenditionKind.WEB_VIDEO)
    second = reprocess_asset(asset)
    assert reprocess_asset(asset).id == second.id  # pressing twice queues one job
    # While the new job has not run, the old files stay current and served.
    assert (
        db.session.get(MediaAsset, asset.id).rendition(RenditionKind.WEB_VIDEO).id == first_web.id
    )
    run(second.id)
    asset = db.session.get(MediaAsset, asset.id)
    new_web = asset.rendition(RenditionKind.WEB_VIDEO)
    assert new_web.id != first_web.id and new_web.file.key != first_web.file.key
    old = db.session.get(Rendition, first_web.id)
    assert old.is_current is False
    assert get_storage().exists(old.file.key)  # old URL still answers
    current = [r for r in asset.renditions if r.is_current]
    assert len(current) == len({r.kind for r in current})


def test_redelivered_job_publishes_once(app, speech_mp3):
    asset, job = make_asset(speech_mp3)
    run(job.id)
    assert run(job.id) == "skipped"
    assert len(db.session.scalars(sa.select(Rendition)).all()) == 2


def test_gone_job_exits_quietly(app):
    assert pipeline.run_job(987654) == "gone"


def test_failed_reprocess_leaves_the_ready_asset_online(app, h264_mp4, monkeypatch):
    from app.media.jobs import reprocess_asset

    asset, job = make_asset(h264_mp4)
    run(job.id)
    asset = db.session.get(MediaAsset, asset.id)
    second = reprocess_asset(asset)

    def broken(*args, **kwargs):
        raise pipeline.FFmpegError("ffmpeg a échoué (code 1) : boom", ["ffmpeg"], ["boom"])

    monkeypatch.setattr(pipeline, "make_audio_edition", broken)
    with pytest.raises(pipeline.FFmpegError):
        run(second.id)
    second = fresh(second.id)
    assert second.state == JobState.FAILED
    assert "Version audio" in second.error
    assert second.asset.status == AssetStatus.READY
    assert second.asset.rendition(RenditionKind.AUDIO_EDITION) is not None


def test_first_processing_publishes_the_replay_before_the_audio_edition(app, h264_mp4, monkeypatch):
    """The audio edition runs beside the video steps; the replay never waits for it."""
    seen = {}
    real = pipeline.make_audio_edition

    def current_kinds():
        with app.app_context(), db.engine.connect() as conn:  # what a page request would see
            return set(
                conn.execute(sa.select(Rendition.kind).where(Rendition.is_current)).scalars()
            )

    def spy(*args, **kwargs):
        # Hold the audio edition back until the replay is online (or give up after a minute:
        # a pipeline that waited for the edition before publishing the replay fails here).
        deadline = time.monotonic() + 60
        while "web_video" not in current_kinds() and time.monotonic() < deadline:
            time.sleep(0.1)
        seen["kinds"] = current_kinds()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "make_audio_edition", spy)
    asset, job = make_asset(h264_mp4)
    run(job.id)
    assert seen["kinds"] == {"web_video"}  # poster, storyboard and audio come with the rest
    assert fresh(job.id).state == JobState.SUCCEEDED
    assert len(db.session.scalars(sa.select(Rendition)).all()) == 5


def test_jingles_wrap_the_audio_edition_and_push_the_chapters(app, h264_mp4, tmp_path):
    """A show's intro and outro play around the content, normalised with it as one programme;
    the ID3 chapters move by the intro's length; the replay and the waveform do not change."""
    from app.media.audio import build_jingle
    from app.media.profiles import JINGLES
    from app.media.runner import run_ffmpeg

    jingles = {}
    for place, notes in (("intro", JINGLES.intro_frequencies), ("outro", (440.0, 330.0))):
        wav = tmp_path / f"{place}.wav"
        run_ffmpeg(lambda tmp, notes=notes: build_jingle(tmp, notes, JINGLES), output=wav)
        with wav.open("rb") as fh:
            jingles[f"{place}_jingle"] = store_file(fh, wav.name, prefix="media/jingles")
    db.session.commit()
    intro_s = JINGLES.note_s * len(JINGLES.intro_frequencies)
    outro_s = JINGLES.note_s * 2

    provider = pipeline.register_metadata_provider(lambda asset: dict(jingles))
    try:
        asset, job = make_asset(h264_mp4, chapters=CHAPTERS, title="Les paniers")
        assert run(job.id) == "succeeded"
    finally:
        pipeline._metadata_providers.remove(provider)
    asset = fresh(job.id).asset
    audio = asset.rendition(RenditionKind.AUDIO_EDITION)
    length = float(ffmpeg.probe(str(local(audio)))["format"]["duration"])
    assert length == pytest.approx(8 + intro_s + outro_s, abs=0.15)
    assert audio.info["jingles"] == {"intro": pytest.approx(intro_s, abs=0.01),
                                     "outro": pytest.approx(outro_s, abs=0.01)}  # fmt: skip
    integrated, peak = ebur128(local(audio), "mono")
    assert integrated == pytest.approx(-19.0, abs=1.0) and peak <= -1.0
    starts = [round(c.start, 2) for c in read_tags(local(audio)).chapters]
    assert starts == [round(intro_s, 2), round(3 + intro_s, 2), round(6 + intro_s, 2)]
    web = asset.rendition(RenditionKind.WEB_VIDEO)
    assert float(ffmpeg.probe(str(local(web)))["format"]["duration"]) == pytest.approx(8, abs=0.2)
    waveform = json.loads(local(asset.rendition(RenditionKind.WAVEFORM)).read_text())
    assert waveform["length"] == pytest.approx(80, abs=2)
