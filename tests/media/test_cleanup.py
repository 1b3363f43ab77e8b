"""Replaced renditions stay online for a while after a reprocess, then the sweeper deletes them."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.media.cleanup import prune_replaced_renditions
from app.media.models import AssetStatus, MediaAsset, Rendition, RenditionKind, StoredFile
from app.media.operations import store_file
from app.media.storage import get_storage

DAY = timedelta(days=1)
RETENTION = timedelta(days=7)


def stored(name: str) -> StoredFile:
    return store_file(io.BytesIO(name.encode()), name, prefix="media/assets/test")


def rendition(asset, kind, *, age, current, info=None) -> Rendition:
    row = Rendition(
        asset=asset,
        kind=kind,
        file=stored(f"{kind}-{age.days}.bin"),
        is_current=current,
        created_dt=utcnow() - age,
        info=info,
    )
    db.session.add(row)
    db.session.flush()
    return row


def exists(row: Rendition) -> bool:
    return db.session.get(Rendition, row.id) is not None


@pytest.fixture
def asset(app):
    asset = MediaAsset(title="Atelier", status=AssetStatus.READY, original=stored("original.mp4"))
    db.session.add(asset)
    db.session.flush()
    return asset


def test_renditions_replaced_long_ago_go_rows_and_files(app, asset):
    old_audio = rendition(asset, RenditionKind.AUDIO_EDITION, age=30 * DAY, current=False)
    new_audio = rendition(asset, RenditionKind.AUDIO_EDITION, age=10 * DAY, current=True)
    key, file_id = old_audio.file.key, old_audio.file_id
    db.session.commit()
    assert get_storage().exists(key)

    assert prune_replaced_renditions(retention=RETENTION) == 1
    db.session.expire_all()
    assert not exists(old_audio) and db.session.get(StoredFile, file_id) is None
    assert not get_storage().exists(key)
    assert exists(new_audio) and get_storage().exists(new_audio.file.key)
    assert asset.original is not None and get_storage().exists(asset.original.key)
    assert prune_replaced_renditions(retention=RETENTION) == 0  # idempotent


def test_recently_replaced_renditions_stay_online(app, asset):
    old = rendition(asset, RenditionKind.POSTER, age=30 * DAY, current=False)
    rendition(asset, RenditionKind.POSTER, age=2 * DAY, current=True)  # replaced 2 days ago
    db.session.commit()
    assert prune_replaced_renditions(retention=RETENTION) == 0
    assert exists(old) and get_storage().exists(old.file.key)
    # Eight days later, it goes.
    assert prune_replaced_renditions(retention=RETENTION, now=utcnow() + 6 * DAY) == 1


def test_the_unedited_web_video_the_montage_cuts_from_is_kept(app, asset):
    base = rendition(asset, RenditionKind.WEB_VIDEO, age=30 * DAY, current=False)
    older = rendition(asset, RenditionKind.WEB_VIDEO, age=29 * DAY, current=False)
    edited = rendition(
        asset, RenditionKind.WEB_VIDEO, age=20 * DAY, current=True, info={"edit": {"cuts": []}}
    )
    db.session.commit()
    # "older" is in fact the newest unedited one (higher id): it stays; "base" goes.
    assert prune_replaced_renditions(retention=RETENTION) == 1
    assert not exists(base) and exists(older) and exists(edited)


def test_a_file_another_feature_points_to_is_kept(app, asset):
    from app.podcasts.models import Show

    old = rendition(asset, RenditionKind.POSTER, age=30 * DAY, current=False)
    rendition(asset, RenditionKind.POSTER, age=20 * DAY, current=True)
    show = Show(slug="artwork-shared", title="Émission", podcast_guid="g-1", artwork=old.file)
    db.session.add(show)
    db.session.commit()
    assert prune_replaced_renditions(retention=RETENTION) == 0
    assert exists(old)


def test_the_sweep_task_prunes_with_the_configured_retention(app, asset):
    from workers.media import sweep

    old_id = rendition(asset, RenditionKind.WAVEFORM, age=30 * DAY, current=False).id
    rendition(asset, RenditionKind.WAVEFORM, age=8 * DAY, current=True)
    db.session.commit()
    assert sweep.apply().get()["renditions_deleted"] == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(Rendition).where(Rendition.id == old_id)) is None
