"""Pruning the section audio cache: what no current edition uses goes once old, on disk and S3."""

import io
import os
import time
from datetime import timedelta

import boto3
import pytest

from app.core.db import utcnow
from app.extensions import db
from app.media.storage import get_storage
from app.tts import cleanup, operations, pipeline
from app.tts.cache import SectionCache
from app.tts.engines import get_engine
from app.tts.models import EditionStatus, GuideEdition
from app.tts.text import prepare_guide
from tests.tts.conftest import GUIDE_TEXT, create_guide, publish_revision

#: Section hashes for hand-made entries (any 64 hex digits do).
USED, OLD_UNUSED, RECENT_UNUSED = ("a1" * 32, "b2" * 32, "c3" * 32)


def _put(storage, content_hash: str, *, age_days: float = 0, data: bytes = b"RIFF-section"):
    """Store a section entry; on local disk, date it ``age_days`` back."""
    key = SectionCache(storage).key(content_hash)
    storage.save(key, io.BytesIO(data))
    if age_days:
        stamp = time.time() - age_days * 86400
        os.utime(storage.path(key), (stamp, stamp))
    return key


def _cached(storage) -> set[str]:
    return {entry.content_hash for entry in SectionCache(storage).entries()}


def _edition(resource, **fields) -> GuideEdition:
    edition = GuideEdition(resource_id=resource.id, status=EditionStatus.READY, **fields)
    db.session.add(edition)
    db.session.commit()
    return edition


# --- storage listings ---------------------------------------------------------------------


def test_local_storage_lists_the_objects_under_a_folder(app):
    storage = get_storage()
    before = utcnow() - timedelta(seconds=2)
    storage.save("tts/sections/v1/ab/one.wav", io.BytesIO(b"12345"))
    storage.save("tts/sections/v1/cd/two.wav", io.BytesIO(b"12"))
    storage.save("tts/sectionsbis/three.wav", io.BytesIO(b"1"))  # same start, other folder
    (storage.path("tts/sections/v1/ab") / ".part-x").write_bytes(b"half")  # a write in progress

    listed = list(storage.list_keys("tts/sections/v1"))
    assert [(item.key, item.size) for item in listed] == [
        ("tts/sections/v1/ab/one.wav", 5),
        ("tts/sections/v1/cd/two.wav", 2),
    ]
    assert all(before <= item.modified_dt <= utcnow() for item in listed)
    assert list(storage.list_keys("nothing/here")) == []


def test_the_cache_lists_only_its_entries(cache, tmp_path):
    (tmp_path / "section.wav").write_bytes(b"RIFF")
    cache.put(USED, tmp_path / "section.wav")
    cache.storage.save(f"{cache.prefix}/notes.txt", io.BytesIO(b"not a section"))
    assert [entry.content_hash for entry in cache.entries()] == [USED]
    cache.discard(USED)
    cache.discard(USED)  # already gone: fine
    assert list(cache.entries()) == []


# --- what goes, what stays --------------------------------------------------------------


def test_unused_entries_go_once_older_than_the_grace_period(app_factory):
    app = app_factory(TTS_SECTION_CACHE_GRACE_DAYS=10)
    with app.app_context():
        storage = get_storage()
        resource = create_guide(slug="guide-en-cache")
        _edition(resource, build_info={"sections": 1, "section_hashes": [USED]})
        _put(storage, USED, age_days=400)
        _put(storage, OLD_UNUSED, age_days=11)
        _put(storage, RECENT_UNUSED, age_days=9)

        report = cleanup.prune_section_cache()

        assert _cached(storage) == {USED, RECENT_UNUSED}
        assert report["deleted"] == 1 and report["listed"] == 3 and report["stale"] == 2
        assert report["freed_bytes"] == len(b"RIFF-section")


@pytest.mark.espeak
@pytest.mark.ffmpeg
def test_a_new_edition_keeps_its_sections_and_frees_the_replaced_one(app_factory):
    app = app_factory(TTS_SPEED=260, TTS_ENGINE="espeak", TTS_WORKERS=2)
    with app.app_context():
        resource = create_guide(slug="guide-modifie")
        operations.request_edition(resource)
        db.session.commit()
        assert pipeline.run_job(operations.get_edition(resource.id).last_job_id) == "succeeded"
        edited = GUIDE_TEXT.replace("la journée", "la matinée")
        publish_revision(resource, edited)
        assert pipeline.run_job(operations.get_edition(resource.id).last_job_id) == "succeeded"
        db.session.expire_all()

        engine = get_engine(app.config)
        current = [
            s.content_hash
            for s in prepare_guide(edited, resource.title, engine_id=engine.id, voice=engine.voice)
        ]
        edition = operations.get_edition(resource.id)
        assert edition.build_info["section_hashes"] == current
        storage = get_storage()
        assert len(_cached(storage)) == 5  # four current sections and the replaced one

        # Written just now: the grace period keeps even the replaced section.
        assert cleanup.prune_section_cache()["deleted"] == 0
        assert len(_cached(storage)) == 5

        report = cleanup.prune_section_cache(now=utcnow() + timedelta(days=31))
        assert report["deleted"] == 1
        assert _cached(storage) == set(current)


def test_editions_built_before_the_list_keep_the_sections_of_their_revision(app):
    storage = get_storage()
    resource = create_guide(slug="guide-ancien")
    engine_id, voice = "espeak-ng:1.51:s160:p50", "fr"
    derived = {
        s.content_hash
        for s in prepare_guide(GUIDE_TEXT, resource.title, engine_id=engine_id, voice=voice)
    }
    _edition(
        resource,
        revision_id=resource.published_revision_id,
        engine_id=engine_id,
        voice=voice,
        build_info={"sections": 4, "synthesized": [USED], "reused": 3},
    )
    for content_hash in derived | {USED, OLD_UNUSED}:
        _put(storage, content_hash, age_days=60)

    assert cleanup.prune_section_cache()["deleted"] == 1
    assert _cached(storage) == derived | {USED}


def test_nothing_goes_while_an_edition_sections_are_unknown(app):
    storage = get_storage()
    resource = create_guide(slug="guide-sans-revision")
    # Built before the list was recorded, and its revision is gone: its sections are unknown.
    _edition(
        resource,
        revision_id=None,
        engine_id="espeak-ng",
        voice="fr",
        build_info={"sections": 2, "synthesized": []},
    )
    _put(storage, OLD_UNUSED, age_days=60)

    report = cleanup.prune_section_cache()
    assert report["deleted"] == 0 and report["skipped"] == "edition with unknown sections"
    assert _cached(storage) == {OLD_UNUSED}


def test_nothing_goes_while_a_generation_is_in_flight(app):
    storage = get_storage()
    resource = create_guide(slug="guide-en-cours")
    # A queued job: once running it may read any entry, and records its sections only at the end.
    operations.request_edition(resource, enqueue=False)
    db.session.commit()
    _put(storage, OLD_UNUSED, age_days=60)

    report = cleanup.prune_section_cache()
    assert report["deleted"] == 0 and report["skipped"] == "generation in flight"
    assert _cached(storage) == {OLD_UNUSED}


# --- S3 -------------------------------------------------------------------------------------


@pytest.mark.services
def test_pruning_on_s3(app_factory, s3_config):
    app = app_factory(STORAGE={**s3_config, "prefix": "site"})
    with app.app_context():
        storage = get_storage()
        resource = create_guide(slug="guide-s3")
        _edition(resource, build_info={"sections": 1, "section_hashes": [USED]})
        for content_hash in (USED, OLD_UNUSED):
            _put(storage, content_hash)
        # A neighbour outside the cache's folder is never listed, let alone deleted.
        storage.save("tts/sections/v1.txt", io.BytesIO(b"other"))

        [listed, _] = storage.list_keys("tts/sections/v1")  # keys come back without "site/"
        assert listed.key == SectionCache(storage).key(USED)
        assert listed.size == len(b"RIFF-section")
        assert abs((listed.modified_dt - utcnow()).total_seconds()) < 60

        # The bucket dates objects itself: both are recent, so both stay.
        assert cleanup.prune_section_cache()["deleted"] == 0
        report = cleanup.prune_section_cache(now=utcnow() + timedelta(days=31))
        assert report["deleted"] == 1
        assert _cached(storage) == {USED}
        bucket = boto3.client(
            "s3", endpoint_url=s3_config["endpoint_url"], region_name="us-east-1"
        ).list_objects_v2(Bucket=s3_config["bucket"])
        assert {item["Key"] for item in bucket["Contents"]} == {
            f"site/{SectionCache(storage).key(USED)}",
            "site/tts/sections/v1.txt",
        }


# --- the periodic task ----------------------------------------------------------------------


def test_the_daily_task_prunes_in_a_worker(app_factory):
    from celery.contrib.testing.worker import start_worker

    import workers.tts  # noqa: F401 - registers the task

    app = app_factory(TTS_SECTION_CACHE_GRACE_DAYS=1)
    with app.app_context():
        celery = app.extensions["celery"]
        schedule = celery.conf.beat_schedule["tts.prune_section_cache"]
        assert schedule["task"] == "tts.prune_section_cache"
        storage = get_storage()
        _put(storage, OLD_UNUSED, age_days=2)
        _put(storage, RECENT_UNUSED)
        with start_worker(celery, pool="solo", perform_ping_check=False, queues=["short"]):
            celery.send_task("tts.prune_section_cache", queue="short")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and OLD_UNUSED in _cached(storage):
                time.sleep(0.2)
        assert _cached(storage) == {RECENT_UNUSED}
