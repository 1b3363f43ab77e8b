"""Se mettre en réseau: directory of people and organisations, agenda and exchange space.

Other features plug in through the registries of app.network.operations (contributions shown on
person pages, agenda items, personal data, account deletion, discussion targets).
"""

from celery.schedules import crontab
from flask import Flask

#: Settings of this feature, overridable like any other (FLASK_NETWORK_TILE_URL=…).
DEFAULTS = {
    # Map tiles, e.g. "https://tiles.example.org/{z}/{x}/{y}.png"; empty → list only, no map.
    "NETWORK_TILE_URL": "",
    "NETWORK_TILE_ATTRIBUTION": "© OpenStreetMap contributors",
    # Partners' .ics feeds: size cap, timeout, how often they are read.
    "NETWORK_FEED_MAX_BYTES": 2 * 1024 * 1024,
    "NETWORK_FEED_TIMEOUT": 20,
    "NETWORK_FEED_INTERVAL_MINUTES": 60,
    # Read partners' feeds served on loopback or private networks (tests, intranet partners).
    # Off by default: a feed URL is what a moderator typed, and internal services must not be
    # reachable through it. Link-local (cloud metadata), multicast and reserved addresses are
    # refused even when on.
    "NETWORK_FEED_ALLOW_PRIVATE": False,
    # A new member's first N posts wait for a moderator.
    "NETWORK_APPROVE_POST_COUNT": 1,
    # Posting limit per account (threads, replies, reports).
    "NETWORK_POST_RATE": "6 per minute;60 per hour",
    # Hour (Europe/Paris) of the daily digest of followed discussions.
    "NETWORK_DIGEST_HOUR": 7,
}


def init_app(app: Flask) -> None:
    from app.api import register
    from app.network import (  # noqa: F401 - models register tables, views register routes
        account_views,
        agenda_models,
        agenda_views,
        api,
        cli,
        exchange,
        exchange_models,
        exchange_views,
        models,
        views,
    )

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.jinja_env.filters["author_name"] = exchange.author_name
    from app.search.operations import register_type_labels

    # Search results and theme pages name these codes in the reader's language.
    register_type_labels("event", agenda_models.MODE_LABELS)
    register_type_labels("organisation", models.KIND_LABELS)
    app.register_blueprint(views.bp)
    app.register_blueprint(cli.bp)
    register(api.blp)
    celery = app.extensions["celery"]
    celery.conf.beat_schedule.update(
        {
            "network-import-feeds": {
                "task": "network.import_feeds",
                "schedule": app.config["NETWORK_FEED_INTERVAL_MINUTES"] * 60,
                "options": {"queue": "short"},
            },
            "network-send-digests": {
                "task": "network.send_digests",
                "schedule": crontab(hour=app.config["NETWORK_DIGEST_HOUR"], minute=0),
                "options": {"queue": "short"},
            },
            "network-send-notifications": {
                # Catches immediate notifications whose task was lost (broker restart).
                "task": "network.send_notifications",
                "schedule": 15 * 60,
                "options": {"queue": "short"},
            },
        }
    )
