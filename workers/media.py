"""Media tasks: thin wrappers that load by id and hand over to app.media.pipeline.

The signatures never change while old messages may still be queued: new parameters must be
keywords with defaults.
"""

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from app.extensions import db
from app.media import jobs, pipeline

log = logging.getLogger(__name__)


@shared_task(
    name="media.process",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # bounded below by MEDIA["task_max_retries"]
)
def process(self, job_id: int) -> str:
    """Run one processing job; transient errors are retried with backoff, others fail the job."""
    max_retries = current_app.config["MEDIA"]["task_max_retries"]
    final = self.request.retries >= max_retries
    try:
        return pipeline.run_job(job_id, worker=self.request.hostname, final_attempt=final)
    except Exception as exc:
        if pipeline.is_transient(exc) and not final:
            countdown = 30 * 2**self.request.retries
            log.warning("job %s: retry in %s s after %r", job_id, countdown, exc)
            raise self.retry(exc=exc, countdown=countdown, queue="long") from exc
        raise
    finally:
        db.session.remove()


@shared_task(name="media.sweep", acks_late=True)
def sweep() -> dict:
    """Re-enqueue stuck jobs, drop abandoned uploads, delete long-replaced renditions."""
    from app.media.cleanup import prune_replaced_renditions
    from app.media.uploads import sweep_expired_uploads

    resent = jobs.sweep_stuck_jobs()
    dropped = sweep_expired_uploads()
    db.session.commit()
    retention = timedelta(seconds=current_app.config["MEDIA"]["replaced_retention_s"])
    pruned = prune_replaced_renditions(retention=retention)
    return {"resent": resent, "uploads_dropped": dropped, "renditions_deleted": pruned}
