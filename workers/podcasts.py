"""Podcast chores: rotate the download-counting salts."""

from celery import shared_task
from flask import current_app

from app.extensions import db
from app.podcasts import counting


@shared_task(name="podcasts.rotate_salts")
def rotate_salts() -> None:
    """Delete salts older than two days and stale listener windows (hourly, idempotent)."""
    now = current_app.extensions["podcasts"]["clock"]()
    counting.purge_old(now)
    db.session.commit()
