"""Audio editions of guides: thin tasks over app.tts.pipeline and app.tts.cleanup.

The signatures never change while old messages may still be queued: new parameters must be
keywords with defaults.
"""

from celery import shared_task

from app.extensions import db
from app.tts import cleanup, pipeline


@shared_task(name="tts.generate", acks_late=True, reject_on_worker_lost=True)
def generate(job_id: int) -> str:
    """Run one audio-edition job; a failure is recorded on the job row, then re-raised."""
    try:
        return pipeline.run_job(job_id, worker=generate.request.hostname)
    finally:
        db.session.remove()


@shared_task(name="tts.prune_section_cache", acks_late=True)
def prune_section_cache() -> dict:
    """Delete cached section audio that no edition uses, past the grace period (daily)."""
    try:
        return cleanup.prune_section_cache()
    finally:
        db.session.remove()
