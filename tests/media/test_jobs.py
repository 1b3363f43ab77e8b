"""Job bookkeeping without a worker: time limits, retry rules, the sweeper, upload expiry."""

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.extensions import db
from app.media import jobs
from app.media.models import AssetStatus, JobState, MediaAsset, ProcessingJob, Upload
from app.media.storage import get_storage
from app.media.uploads import sweep_expired_uploads


@pytest.fixture
def sent(app, monkeypatch):
    """Record what would go to the broker."""
    calls = []
    celery = app.extensions["celery"]
    monkeypatch.setattr(celery, "send_task", lambda name, **kw: calls.append((name, kw)))
    return calls


def new_job(state=JobState.QUEUED, **values):
    asset = MediaAsset(title="Atelier", status=AssetStatus.PROCESSING, duration_s=600.0)
    db.session.add(asset)
    job = jobs.create_job(asset, "process")
    job.state = state
    for key, value in values.items():
        setattr(job, key, value)
    db.session.commit()
    return job


def test_time_limits_grow_with_the_duration(app):
    assert jobs.time_limits(600) == {"soft_time_limit": 2400, "time_limit": 2520}
    assert jobs.time_limits(3600)["soft_time_limit"] == 3 * 3600 + 600
    assert jobs.time_limits(None)["soft_time_limit"] == 3 * 4 * 3600 + 600


def test_enqueue_commits_then_sends_on_the_long_queue_with_limits(app, sent):
    asset = MediaAsset(title="x", duration_s=100.0)
    db.session.add(asset)
    job = jobs.enqueue_processing(asset)
    db.session.rollback()  # nothing pending: the row was committed before sending
    assert db.session.get(ProcessingJob, job.id) is not None
    assert sent == [
        (
            "media.process",
            {"args": [job.id], "queue": "long", "soft_time_limit": 900, "time_limit": 1020},
        )
    ]


def test_retry_only_failed_jobs(app, sent):
    job = new_job(JobState.SUCCEEDED)
    with pytest.raises(jobs.JobError):
        jobs.retry_job(job)
    assert sent == []
    failed = new_job(JobState.FAILED, error="boom", attempts=1)
    jobs.retry_job(failed)
    assert (failed.state, failed.error, failed.attempts) == (JobState.QUEUED, None, 1)
    assert len(sent) == 1


def test_sweeper_resends_lost_jobs_and_gives_up_after_max_attempts(app, sent):
    old = utcnow() - timedelta(hours=1)
    lost_message = new_job(JobState.QUEUED, heartbeat_dt=old)
    waiting = new_job(JobState.QUEUED)
    dead_worker = new_job(
        JobState.RUNNING, heartbeat_dt=utcnow() - timedelta(minutes=5), attempts=1, worker="w1@host"
    )
    alive = new_job(JobState.RUNNING, heartbeat_dt=utcnow(), attempts=1)
    hopeless = new_job(JobState.RUNNING, heartbeat_dt=old, attempts=3)
    resent = jobs.sweep_stuck_jobs()
    assert sorted(resent) == sorted([lost_message.id, dead_worker.id])
    assert sorted(kw["args"][0] for _, kw in sent) == sorted(resent)
    db.session.expire_all()
    assert db.session.get(ProcessingJob, waiting.id).state == JobState.QUEUED
    assert db.session.get(ProcessingJob, alive.id).state == JobState.RUNNING
    gave_up = db.session.get(ProcessingJob, hopeless.id)
    assert gave_up.state == JobState.FAILED and "interrompu" in gave_up.error
    # Resent jobs got a fresh sign of life: the next sweep leaves them alone.
    assert jobs.sweep_stuck_jobs() == []


def test_expired_uploads_are_swept_with_their_bytes(app, make_user):
    user = make_user("animator")
    storage = get_storage()
    rows = []
    for name, expires in (("a" * 32, -1), ("b" * 32, 3600)):
        row = Upload(
            id=name,
            owner_id=user.id,
            length=10,
            offset=4,
            backend="local",
            key=f"media/originals/{name}/x.mp4",
            session={},
            expires_dt=utcnow() + timedelta(seconds=expires),
        )
        storage.upload_session(row.id, row.key, {}).append([b"abcd"])
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    assert sweep_expired_uploads() == 1
    db.session.commit()
    assert db.session.get(Upload, "a" * 32) is None
    assert db.session.get(Upload, "b" * 32) is not None
    assert not storage.upload_session("a" * 32, rows[0].key, {}).part_path.exists()
    assert storage.upload_session("b" * 32, rows[1].key, {}).size() == 4


def test_api_reports_asset_and_job_to_token_holders(app, client, make_user):
    from app.auth.operations import create_api_token

    owner = make_user("animator")
    token = create_api_token(owner, "script")
    asset = MediaAsset(title="Atelier", owner_id=owner.id, status=AssetStatus.PROCESSING)
    db.session.add(asset)
    job = jobs.create_job(asset)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/media/assets/{asset.id}", headers=headers).get_json()
    assert body["status"] == "processing" and body["jobs"][0]["state"] == "queued"
    state = client.get(f"/api/media/jobs/{job.id}", headers=headers).get_json()
    assert state["id"] == job.id and state["progress"] == 0.0
    other = create_api_token(make_user("animator"), "other")
    db.session.commit()
    denied = client.get(f"/api/media/jobs/{job.id}", headers={"Authorization": f"Bearer {other}"})
    assert denied.status_code == 403
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/media/jobs/{job_id}" in spec["paths"]


def test_only_one_delivery_claims_a_job(app):
    from app.media import pipeline

    job = new_job(JobState.QUEUED)
    assert pipeline._claim(job.id, "w1@host", 60) is True
    assert pipeline._claim(job.id, "w2@host", 60) is False  # w1 is alive
    db.session.expire_all()
    row = db.session.get(ProcessingJob, job.id)
    assert (row.state, row.worker, row.attempts) == (JobState.RUNNING, "w1@host", 1)
    row.heartbeat_dt = utcnow() - timedelta(seconds=120)
    db.session.commit()
    assert pipeline._claim(job.id, "w2@host", 60) is True  # w1 went silent: taken over
    db.session.expire_all()
    row = db.session.get(ProcessingJob, job.id)
    assert (row.worker, row.attempts) == ("w2@host", 2)
