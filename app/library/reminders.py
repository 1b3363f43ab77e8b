"""The periodic "is this guide still right?" reminder, shared by the worker task and the CLI."""

from flask import current_app

from app.core.db import utcnow
from app.extensions import db
from app.library import notify, operations


def send_review_reminders() -> int:
    """E-mail editors the resources due for review, once per repeat period; return how many."""
    now = utcnow()
    repeat = current_app.config.get("LIBRARY_REVIEW_REMINDER_REPEAT_DAYS", 30)
    due = operations.reminders_to_send(now, repeat_days=repeat)
    if not due:
        return 0
    for resource in due:
        resource.review_reminded_dt = now
    db.session.commit()
    notify.review_reminder(due)
    return len(due)
