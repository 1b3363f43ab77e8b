"""Network tasks: read partners' calendars, mail notifications of followed discussions."""

import logging

from celery import shared_task
from flask import current_app

from app.extensions import db

log = logging.getLogger(__name__)


@shared_task(name="network.import_feed", acks_late=True)
def import_feed(feed_id: int) -> dict | None:
    """Read one partner .ics feed into the moderated agenda; exit quietly if it is gone."""
    from app.network.agenda import import_feed as run_import
    from app.network.agenda_models import ExternalFeed

    feed = db.session.get(ExternalFeed, feed_id)
    if feed is None or not feed.is_active:
        return None
    counts = run_import(
        feed,
        max_bytes=current_app.config["NETWORK_FEED_MAX_BYTES"],
        timeout=current_app.config["NETWORK_FEED_TIMEOUT"],
        allow_private=current_app.config["NETWORK_FEED_ALLOW_PRIVATE"],
    )
    db.session.commit()
    log.info("feed %s imported: %s", feed_id, counts)
    return counts


@shared_task(name="network.import_feeds")
def import_feeds() -> int:
    """Queue a read of every active partner feed."""
    import sqlalchemy as sa

    from app.network.agenda_models import ExternalFeed

    ids = db.session.scalars(sa.select(ExternalFeed.id).where(ExternalFeed.is_active.is_(True)))
    count = 0
    for feed_id in ids:
        import_feed.apply_async(args=[feed_id], queue="short")
        count += 1
    return count


@shared_task(name="network.send_notifications")
def send_notifications(post_id: int | None = None) -> int:
    """Mail immediate notifications not yet sent (for one post, or all)."""
    from app.network.exchange import send_immediate_notifications

    sent = send_immediate_notifications(post_id)
    db.session.commit()
    return sent


@shared_task(name="network.send_digests")
def send_digests() -> int:
    """Mail the daily digest of followed discussions."""
    from app.network.exchange import send_digests as run

    sent = run()
    db.session.commit()
    return sent
