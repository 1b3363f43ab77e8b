"""Se documenter: the resource library (wiki-like guides with review), proposals, theme pages.

Who does what: contributors write drafts and propose edits (pending); editors — moderators,
animators and admins — publish, reject, edit records and verify guides; moderators and admins
run the proposal queue. Visitors read published resources and may propose.
"""

import click
from celery.schedules import crontab
from flask import Flask

#: Settings this feature reads, with their defaults (override with FLASK_LIBRARY_…).
DEFAULTS = {
    "LIBRARY_MAX_UPLOAD": 20 * 1024 * 1024,
    "LIBRARY_PROPOSAL_RATE_LIMIT": "5 per hour",
    "LIBRARY_REVIEW_REMINDER_REPEAT_DAYS": 30,
}


def init_app(app: Flask) -> None:
    from app.api import register
    from app.library import api, models, views  # noqa: F401 - models registers the tables
    from app.search.operations import register_type_labels

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(views.bp)
    register(api.blp)
    register_type_labels("resource", models.KIND_LABELS)
    from app.library import network

    network.register()
    app.cli.add_command(library_cli)
    app.extensions["celery"].conf.beat_schedule.update(
        {
            "library.send_review_reminders": {
                "task": "library.send_review_reminders",
                "schedule": crontab(hour=8, minute=30),
                "options": {"queue": "short"},
            }
        }
    )


@click.group("library")
def library_cli():
    """Library maintenance."""


@library_cli.command("seed-themes")
def seed_themes_command():
    """Create the seeded themes that are missing."""
    from app.extensions import db
    from app.library.operations import seed_themes

    themes = seed_themes()
    db.session.commit()
    click.echo(f"{len(themes)} themes.")


@library_cli.command("reindex")
def reindex_command():
    """Rebuild the search entries of every resource."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.library.models import Resource
    from app.library.operations import index_resource

    count = 0
    for resource in db.session.execute(sa.select(Resource)).scalars():
        index_resource(resource)
        count += 1
    db.session.commit()
    click.echo(f"{count} resources reindexed.")
