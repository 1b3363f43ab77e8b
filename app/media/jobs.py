"""Processing jobs: commit the row, then enqueue; retry, reprocess, and the stuck-job sweeper.

The job row is the source of truth (pages read it, never Celery results). Every function that
enqueues commits first, so a worker never receives the id of a row it cannot see.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.core.db import utcnow
from app.core.i18n import Message
from app.extensions import db
from app.media.models import AssetStatus, JobState, MediaAsset, ProcessingJob

log = logging.getLogger(__name__)

#: The Celery task that runs a job (workers/media.py); its signature never changes.
PROCESS_TASK = "media.process"
#: Jobs a person can start: first processing, a fresh run with new keys, the montage.
JOB_TYPES = ("process", "reprocess", "edit")
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class JobError(ValueError):
    """The job cannot be (re)started now; the message (a Message) is for the user."""


def media_config() -> dict:
    """Return the MEDIA settings (defaults merged in app.media.init_app)."""
    return current_app.config["MEDIA"]


def time_limits(duration_s: float | None) -> dict:
    """Return Celery soft/hard time limits proportional to the recording's duration."""
    conf = media_config()
    if not duration_s:
        duration_s = conf["default_duration_s"]
    soft = int(conf["time_limit_factor"] * duration_s + conf["time_limit_base_s"])
    return {"soft_time_limit": soft, "time_limit": soft + 120}


def create_job(
    asset: MediaAsset, job_type: str = "process", params: dict | None = None
) -> ProcessingJob:
    """Add a queued job for the asset (flushed, not committed)."""
    if job_type not in JOB_TYPES:
        raise ValueError(f"unknown job type {job_type!r}")
    job = ProcessingJob(
        asset=asset,
        job_type=job_type,
        state=JobState.QUEUED,
        params=params,
        progress=0.0,
        heartbeat_dt=utcnow(),
    )
    db.session.add(job)
    if asset.status != AssetStatus.READY:
        asset.status = AssetStatus.PROCESSING
    db.session.flush()
    return job


def send(job: ProcessingJob) -> None:
    """Put the job's id on the long queue (the row must already be committed)."""
    celery = current_app.extensions["celery"]
    limits = time_limits(job.asset.duration_s if job.asset else None)
    # Guides' audio editions are media jobs too, run by their own task.
    task = "tts.generate" if job.job_type == "tts" else PROCESS_TASK
    try:
        celery.send_task(task, args=[job.id], queue="long", **limits)
    except Exception:
        # The row is committed: the upload is safe and the sweeper sends the job again later.
        log.exception("job %s: broker unreachable, left for the sweeper", job.id)
        return
    log.info("job %s: enqueued (%s)", job.id, job.job_type)


def enqueue_processing(
    asset: MediaAsset, job_type: str = "process", params: dict | None = None
) -> ProcessingJob:
    """Create the job row, commit, then enqueue it on the long queue."""
    job = create_job(asset, job_type, params)
    db.session.commit()
    send(job)
    return job


def get_active_job(asset: MediaAsset) -> ProcessingJob | None:
    """Return the asset's queued or running job, if any."""
    return db.session.scalar(
        sa.select(ProcessingJob)
        .where(ProcessingJob.asset_id == asset.id, ProcessingJob.state.in_(ACTIVE_STATES))
        .order_by(ProcessingJob.id.desc())
        .limit(1)
    )


def retry_job(job: ProcessingJob) -> ProcessingJob:
    """Queue a new attempt of a failed job (same job, same output keys); safe to press twice."""
    if job.state in ACTIVE_STATES:
        return job  # already on its way: a second click changes nothing
    if job.state != JobState.FAILED:
        raise JobError(Message("Seul un traitement en échec peut être relancé."))
    if get_active_job(job.asset) is not None:
        raise JobError(Message("Un autre traitement de ce média est déjà en cours."))
    job.state = JobState.QUEUED
    job.error = None
    job.progress = 0.0
    job.eta_s = None
    job.step = ""
    job.finished_dt = None
    job.heartbeat_dt = utcnow()
    if job.asset.status == AssetStatus.FAILED:
        job.asset.status = AssetStatus.PROCESSING
    db.session.commit()
    send(job)
    return job


def reprocess_asset(asset: MediaAsset) -> ProcessingJob:
    """Run the whole pipeline again as a new job (new keys; old renditions stay online)."""
    active = get_active_job(asset)
    if active is not None:
        return active  # safe to press twice
    return enqueue_processing(asset, "reprocess")


def apply_edit(asset: MediaAsset, edit: dict) -> ProcessingJob:
    """Save the montage on the asset and queue an "edit" job applying it."""
    if asset.status != AssetStatus.READY or not asset.duration_s:
        raise JobError(Message("Le média doit d'abord être traité avant d'être monté."))
    if get_active_job(asset) is not None:
        raise JobError(
            Message("Un traitement de ce média est en cours : attendez qu'il se termine.")
        )
    asset.edit = edit
    return enqueue_processing(asset, "edit", {"edit": edit})


def sweep_stuck_jobs(now=None) -> list[int]:
    """Re-enqueue jobs whose message or worker was lost; fail those interrupted too often.

    A queued job whose last sign of life is older than ``queued_stale_s`` lost its message (or
    waits behind a very long queue: a duplicate message is harmless, the task skips a job another
    worker is running); a running job without heartbeat for ``heartbeat_stale_s`` lost its worker.
    """
    conf = media_config()
    now = now or utcnow()
    queued_before = now - timedelta(seconds=conf["queued_stale_s"])
    running_before = now - timedelta(seconds=conf["heartbeat_stale_s"])
    stuck = db.session.scalars(
        sa.select(ProcessingJob).where(
            sa.or_(
                sa.and_(
                    ProcessingJob.state == JobState.QUEUED,
                    ProcessingJob.heartbeat_dt < queued_before,
                ),
                sa.and_(
                    ProcessingJob.state == JobState.RUNNING,
                    ProcessingJob.heartbeat_dt < running_before,
                ),
            )
        )
    ).all()
    resent = []
    for job in stuck:
        if job.attempts >= conf["max_attempts"]:
            job.state = JobState.FAILED
            job.finished_dt = now
            job.error = Message(
                "Le traitement a été interrompu plusieurs fois (arrêt du serveur de traitement). "
                "Relancez-le ; si cela se reproduit, prévenez l'équipe technique."
            )
            log.warning("job %s: failed by the sweeper after %s attempts", job.id, job.attempts)
            continue
        job.heartbeat_dt = now
        resent.append(job)
    db.session.commit()
    for job in resent:
        log.warning("job %s: re-enqueued by the sweeper (state %s)", job.id, job.state)
        send(job)
    return [job.id for job in resent]
