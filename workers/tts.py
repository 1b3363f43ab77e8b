"""Audio editions of guides: a thin task that hands a job id to app.tts.pipeline.

The signature never changes while old messages may still be queued: new parameters must be
keywords with defaults.
"""

from celery import shared_task

from app.extensions import db
from app.tts import pipeline


@shared_task(name="tts.generate", acks_late=True, reject_on_worker_lost=True)
def generate(job_id: int) -> str:
    """Run one audio-edition job; a failure is recorded on the job row, then re-raised."""
    try:
        return pipeline.run_job(job_id, worker=generate.request.hostname)
    finally:
        db.session.remove()
