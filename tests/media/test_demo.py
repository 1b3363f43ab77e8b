"""The media demo loader: one generated webinar, queued once however often the demo loads."""

import pytest
import sqlalchemy as sa

from app.demo import DemoContext
from app.extensions import db
from app.media import demo
from app.media.models import JobState, MediaAsset
from app.media.probe import probe
from app.media.storage import get_storage

pytestmark = [pytest.mark.ffmpeg, pytest.mark.espeak]


def test_demo_loader_is_idempotent_and_queues_real_media(app, make_user):
    ctx = DemoContext(users={"animator": make_user("animator")}, log=lambda *a: None)
    demo.load(ctx)
    db.session.commit()
    demo.load(ctx)
    db.session.commit()
    (asset,) = db.session.scalars(sa.select(MediaAsset)).all()
    assert [job.state for job in asset.jobs] == [JobState.QUEUED]
    with get_storage().local_path(asset.original.key) as path:
        result = probe(path)
    assert (result.video.codec, result.audio.codec) == ("h264", "aac")
    assert result.duration == pytest.approx(24, abs=0.5)
    assert demo.load(DemoContext(users={}, with_media=False)) is None
