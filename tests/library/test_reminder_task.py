"""The daily review reminder runs as a real Celery task in a worker."""

import time
from datetime import timedelta

from app.core.db import utcnow
from app.extensions import db
from app.library.models import Resource


def test_review_reminder_task_runs_in_a_worker(app, published, make_user, outbox):
    from celery.contrib.testing.worker import start_worker

    import workers.library  # noqa: F401 - registers the task

    celery = app.extensions["celery"]
    schedule = celery.conf.beat_schedule["library.send_review_reminders"]
    assert schedule["task"] == "library.send_review_reminders"
    editor = make_user("animator")
    resource = published(title="Guide à revérifier")
    resource.verified_dt = utcnow() - timedelta(days=366)
    db.session.commit()
    with start_worker(celery, pool="solo", perform_ping_check=False, queues=["short"]):
        celery.send_task("library.send_review_reminders", queue="short")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not outbox():
            time.sleep(0.2)
    [mail] = [m for m in outbox() if "à vérifier" in m["Subject"]]
    assert editor.email in mail["To"]
    assert "Guide à revérifier" in mail.get_body().get_content()
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).review_reminded_dt is not None
