"""Library tasks: the daily review reminder."""

from celery import shared_task
from flask import current_app

from app.library.reminders import send_review_reminders


@shared_task(name="library.send_review_reminders")
def remind_reviews() -> int:
    """E-mail editors the guides due for a check (periodic, daily)."""
    sent = send_review_reminders()
    current_app.logger.info("library.send_review_reminders: %s resource(s)", sent)
    return sent
