"""Se former: webinar series as courses — registration, calendars, replays, progress."""

from celery.schedules import crontab
from flask import Flask


def init_app(app: Flask) -> None:
    from app.api import register
    from app.courses import api, manage, models, network, proposals, views  # noqa: F401 - models
    from app.courses.replays import attach_when_ready, replay_metadata
    from app.library.proposals import register_accept_handler
    from app.media.hooks import register_metadata_provider, register_ready_listener

    app.register_blueprint(views.bp)
    app.register_blueprint(manage.bp)
    register(api.blp)
    register_accept_handler("course", proposals.accept_training)
    register_metadata_provider(replay_metadata)
    register_ready_listener(attach_when_ready)
    network.register()  # agenda, person pages, personal data, threads
    app.extensions["celery"].conf.beat_schedule.update(
        {
            # Reminders are due at most 5 minutes late; sending also retries failed e-mails.
            "courses-send-reminders": {
                "task": "courses.send_reminders",
                "schedule": crontab(minute="*/5"),
                "options": {"queue": "short"},
            },
        }
    )
