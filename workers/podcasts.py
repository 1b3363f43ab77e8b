"""Podcast tasks: import another host's feed; rotate the download-counting salts."""

from celery import shared_task
from flask import current_app

from app.extensions import db
from app.podcasts import counting, importer


@shared_task(name="podcasts.import_feed", acks_late=True)
def import_feed(import_id: int) -> None:
    """Import the podcast described by an import row (its page polls the row's progress)."""
    importer.run_import(import_id)


@shared_task(name="podcasts.rotate_salts")
def rotate_salts() -> None:
    """Delete salts older than two days and stale listener windows (hourly, idempotent)."""
    now = current_app.extensions["podcasts"]["clock"]()
    counting.purge_old(now)
    db.session.commit()
