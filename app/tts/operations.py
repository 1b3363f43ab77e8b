"""Asking for a guide's audio edition: checks, the edition and job rows, enqueuing after commit.

Two doors lead here: an editor's button (``request_edition``) and the publication of a new revision
of a guide (``on_revision_published``, connected to ``app.core.signals.revision_published``).
Both only add rows and flush; the Celery task is sent by a session hook once the transaction that
created the job has committed, so a worker never receives the id of a row it cannot see.
"""

from __future__ import annotations

import hashlib
import logging
import os

import sqlalchemy as sa
from flask import current_app

from app.auth.models import User
from app.core.db import utcnow
from app.core.i18n import Message
from app.extensions import db
from app.library.models import Resource, ResourceKind, Revision
from app.media.models import AssetKind, AssetStatus, JobState, MediaAsset, ProcessingJob
from app.tts.models import EditionStatus, GuideEdition
from app.tts.text import EmptyGuide, iter_sections

log = logging.getLogger(__name__)

#: The Celery task running a generation (workers/tts.py); its signature never changes.
GENERATE_TASK = "tts.generate"
#: ProcessingJob.job_type of a generation.
JOB_TYPE = "tts"
#: session.info key of the jobs to enqueue once the transaction commits.
_PENDING = "tts_jobs_to_send"
#: espeak-ng reads about 160 words a minute: enough to size the Celery time limit.
_WORDS_PER_SECOND = 160 / 60


class EditionError(ValueError):
    """The audio edition cannot be made; the message (a Message) is for the person who asked."""

    def __init__(self, message: Message, status: int = 400):
        super().__init__(message)
        self.status = status


def is_guide(resource: Resource | None) -> bool:
    """Tell whether a library resource is an operational guide (the ones read aloud)."""
    return resource is not None and resource.kind == ResourceKind.GUIDE


def get_edition(resource_id: int) -> GuideEdition | None:
    """Return a guide's audio edition row, if one was ever asked for."""
    return db.session.scalar(
        sa.select(GuideEdition).where(GuideEdition.resource_id == resource_id)
    )


def get_edition_by_asset(asset_id: int) -> GuideEdition | None:
    """Return the edition whose audio lives in that media asset."""
    return db.session.scalar(sa.select(GuideEdition).where(GuideEdition.asset_id == asset_id))


def text_hash(title: str, markdown: str) -> str:
    """Return the hash telling whether a guide's text changed since its audio was made."""
    return hashlib.sha256(f"{title}\n{markdown}".encode()).hexdigest()


def check_speakable(title: str, markdown: str) -> None:
    """Raise EditionError when the guide has nothing to read aloud."""
    try:
        # The first section is enough: the reader raises EmptyGuide only when none comes.
        next(iter_sections(markdown, title))
    except EmptyGuide as exc:
        raise EditionError(exc.sentence) from exc


def _published_revision(resource: Resource) -> Revision:
    revision = resource.published_revision
    if revision is None:
        raise EditionError(
            Message(
                "Ce guide n'est pas encore publié : publiez-le avant de demander sa version audio."
            )
        )
    return revision


def request_edition(
    resource: Resource,
    *,
    user: User | None = None,
    revision: Revision | None = None,
    force: bool = True,
    enqueue: bool = True,
) -> ProcessingJob | None:
    """Queue the generation of a guide's audio edition (rows flushed; sent after commit).

    Returns the job, or None when ``force`` is False and the audio online already speaks this
    text. A job still waiting is reused (pressing twice queues one job); a running one gives way
    to the new job and stops at its next progress report. ``enqueue`` False leaves the job for
    the caller to run (the demo loader runs it in-process).
    """
    if not is_guide(resource):
        raise EditionError(Message("Seuls les guides opérationnels ont une version audio."), 404)
    revision = revision or _published_revision(resource)
    title = revision.title or resource.title
    wanted = text_hash(title, revision.body or "")
    edition = get_edition(resource.id)
    if not force and edition is not None:
        if edition.text_hash == wanted and edition.status == EditionStatus.READY:
            return None
        active = edition.last_job
        if (
            active is not None
            and active.state in (JobState.QUEUED, JobState.RUNNING)
            and (active.params or {}).get("text_hash") == wanted
        ):
            return active  # already on its way with this very text
    check_speakable(title, revision.body or "")
    now = utcnow()
    if edition is None:
        edition = GuideEdition(resource_id=resource.id, created_dt=now)
        db.session.add(edition)
    asset = edition.asset
    if asset is None:
        asset = MediaAsset(
            title=title[:255],
            kind=AssetKind.AUDIO,
            status=AssetStatus.PROCESSING,
            owner_id=user.id if user is not None else None,
            target=f"guide:{resource.id}",
            is_public=resource.is_published,
        )
        db.session.add(asset)
        edition.asset = asset
    params = {
        "resource_id": resource.id,
        "revision_id": revision.id,
        "text_hash": wanted,
        "words": len((revision.body or "").split()),
    }
    job = edition.last_job
    if job is not None and job.state == JobState.QUEUED and job.asset_id == asset.id:
        job.params = params  # not started yet: it will read the newest text
        job.heartbeat_dt = now
    else:
        if job is not None and job.state == JobState.RUNNING:
            # Its worker sees the state change at its next progress report and stops.
            job.state = JobState.CANCELLED
            job.finished_dt = now
            job.error = Message("Remplacé par une génération plus récente.")
        job = ProcessingJob(
            asset=asset,
            job_type=JOB_TYPE,
            state=JobState.QUEUED,
            params=params,
            progress=0.0,
            heartbeat_dt=now,
        )
        db.session.add(job)
    edition.status = EditionStatus.QUEUED
    edition.requested_by_id = user.id if user is not None else None
    edition.updated_dt = now
    db.session.flush()
    edition.last_job_id = job.id
    if enqueue:
        send_after_commit(job)
    return job


def on_revision_published(resource: Resource, revision: Revision | None = None, **_extra) -> None:
    """Signal listener: queue the audio edition of a guide whose new revision went online."""
    if not is_guide(resource) or not current_app.config.get("TTS_AUTO_GENERATE", True):
        return
    try:
        job = request_edition(resource, revision=revision, force=False)
    except EditionError as exc:
        # Publishing the text must never fail because of its audio edition.
        log.info("resource %s: no audio edition (%s)", resource.id, exc)
        return
    if job is not None:
        log.info("resource %s: audio edition queued as job %s", resource.id, job.id)


# --------------------------------------------------------------------------- enqueue after commit
def send_after_commit(job: ProcessingJob) -> None:
    """Send the job to the worker once the current transaction commits (never if it rolls back)."""
    pending = db.session.info.setdefault(_PENDING, {})
    pending[job.id] = (job.params or {}).get("words")


def time_limits(words: int | None) -> dict:
    """Return Celery time limits for a guide of that many words (media's rule on its duration)."""
    from app.media.jobs import time_limits as media_time_limits

    return media_time_limits((words or 0) / _WORDS_PER_SECOND or None)


def send(job_id: int, words: int | None = None) -> None:
    """Put a generation job on the long queue (its row must be committed)."""
    celery = current_app.extensions["celery"]
    celery.send_task(GENERATE_TASK, args=[job_id], queue="long", **time_limits(words))
    log.info("job %s: enqueued (tts)", job_id)


def _send_pending(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for job_id, words in pending.items():
        try:
            send(job_id, words)
        except Exception:
            # The row is committed as queued: the next request (or the sweeper) sends it again.
            log.exception("job %s: could not be enqueued", job_id)


def _forget_pending(session) -> None:
    session.info.pop(_PENDING, None)


def install_session_hooks() -> None:
    """Send queued generation jobs after each commit; drop them on rollback (idempotent)."""
    if not sa.event.contains(db.session, "after_commit", _send_pending):
        sa.event.listen(db.session, "after_commit", _send_pending)
        sa.event.listen(db.session, "after_rollback", _forget_pending)


def workers_count() -> int:
    """Return how many sections are synthesised at once (TTS_WORKERS, else up to 4 CPUs)."""
    configured = current_app.config.get("TTS_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))
