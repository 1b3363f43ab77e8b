"""`flask network …`: maintenance commands of the directory and agenda."""

import click
import sqlalchemy as sa
from flask import Blueprint, current_app

from app.extensions import db

bp = Blueprint("network_cli", __name__, cli_group="network")


@bp.cli.command("reindex")
def reindex_command():
    """Rebuild the search entries of the directory, the agenda and the discussions."""
    from app.network import agenda, exchange, operations
    from app.network.agenda_models import Event
    from app.network.exchange_models import Thread

    profiles = operations.reindex_directory()
    events = threads = 0
    for event in db.session.scalars(sa.select(Event)):
        agenda.index_event(event)
        events += 1
    for thread in db.session.scalars(sa.select(Thread)):
        exchange.index_thread(thread)
        threads += 1
    db.session.commit()
    click.echo(f"Indexed {profiles} profiles, {events} events, {threads} discussions.")


@bp.cli.command("import-feed")
@click.argument("feed_id", type=int)
def import_feed_command(feed_id):
    """Read one partner calendar now (what the periodic task does)."""
    from app.network.agenda import import_feed
    from app.network.agenda_models import ExternalFeed

    feed = db.session.get(ExternalFeed, feed_id)
    if feed is None:
        raise click.ClickException(f"no feed {feed_id}")
    counts = import_feed(
        feed,
        max_bytes=current_app.config["NETWORK_FEED_MAX_BYTES"],
        timeout=current_app.config["NETWORK_FEED_TIMEOUT"],
        allow_private=current_app.config["NETWORK_FEED_ALLOW_PRIVATE"],
    )
    db.session.commit()
    click.echo(f"{feed.name}: {feed.last_status}")
    for problem in feed.last_report:
        click.echo(f"  rejected {problem.get('uid') or '—'}: {problem['reason']}")
    return counts
