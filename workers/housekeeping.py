"""Small periodic chores."""

from celery import shared_task
from flask import current_app


@shared_task(name="housekeeping.ping")
def ping() -> str:
    """Answer "pong" from inside the app context (used to prove a worker is alive)."""
    return f"pong from {current_app.name}"
