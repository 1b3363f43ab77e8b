"""Course e-mails: reminders before sessions and the notices queued by the app."""

from celery import shared_task
from flask import current_app

from app.courses import notifications
from app.extensions import db


@shared_task(name="courses.send_reminders")
def send_reminders() -> int:
    """Queue the 3-day / 3-hour reminders now due, then send everything pending (periodic)."""
    queued = notifications.queue_due_reminders()
    db.session.commit()
    sent = notifications.deliver_pending()
    current_app.logger.info("courses.send_reminders: %s queued, %s sent", queued, sent)
    return sent


@shared_task(name="courses.send_notifications")
def send_notifications() -> int:
    """Send pending notifications now (promotion, date change, cancellation, replay online)."""
    sent = notifications.deliver_pending()
    current_app.logger.info("courses.send_notifications: %s sent", sent)
    return sent
