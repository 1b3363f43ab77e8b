"""The montage: trims and cuts applied to the replay (stream copy) and the audio edition."""

import pytest

from app.extensions import db
from app.media import pipeline
from app.media.jobs import apply_edit
from app.media.models import JobState, MediaAsset, RenditionKind
from app.media.probe import probe
from app.media.storage import get_storage
from app.media.tagging import read_tags
from tests.media.test_pipeline import CHAPTERS, ebur128, local, make_asset, run

pytestmark = [pytest.mark.ffmpeg, pytest.mark.espeak]


def test_edit_trims_and_cuts_video_and_audio_and_shifts_chapters(app, h264_mp4):
    asset, job = make_asset(h264_mp4, chapters=CHAPTERS)
    run(job.id)
    asset = db.session.get(MediaAsset, asset.id)
    unedited_waveform = asset.rendition(RenditionKind.WAVEFORM)
    edit_job = apply_edit(asset, {"trim_start": 1.0, "trim_end": 7.0, "cuts": [[3.0, 4.0]]})
    assert run(edit_job.id) == "succeeded"
    asset = db.session.get(MediaAsset, asset.id)
    job = asset.jobs[-1]
    assert (job.job_type, job.state) == ("edit", JobState.SUCCEEDED)
    # Video: stream copy only (segments snap to the keyframe before each start, every 2 s here).
    assert not any("libx264" in cmd for cmd in job.commands)
    web = asset.rendition(RenditionKind.WEB_VIDEO)
    assert web.info["edit"] == asset.edit
    assert probe(local(web)).duration == pytest.approx(6.0, abs=0.3)
    # Audio: sample-accurate, 5 s kept, still at the loudness target, chapters shifted.
    audio = asset.rendition(RenditionKind.AUDIO_EDITION)
    assert probe(local(audio)).duration == pytest.approx(5.0, abs=0.15)
    integrated, peak = ebur128(local(audio), "mono")
    assert integrated == pytest.approx(-19.0, abs=1.0) and peak <= -1.0
    chapters = read_tags(local(audio)).chapters
    assert [(c.start, c.title) for c in chapters] == [
        (0.0, "Accueil"),
        (2.0, "Les paniers"),
        (4.0, "Questions"),
    ]
    # The original and the unedited timeline stay (the editor works on the original's times).
    with get_storage().local_path(asset.original.key) as src:
        assert src.read_bytes() == h264_mp4.read_bytes()
    assert pipeline.base_rendition(asset, RenditionKind.WAVEFORM).id == unedited_waveform.id
    assert not unedited_waveform.is_current
