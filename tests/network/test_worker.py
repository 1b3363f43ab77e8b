"""The network tasks in a real Celery worker: what the pages enqueue gets done."""

import time

import sqlalchemy as sa

from app.extensions import db
from app.network.agenda_models import Event
from tests.conftest import login
from tests.network.feed_helpers import CAL, vevent


def _wait_for(check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        if check():
            return True
        time.sleep(0.2)
    return False


def test_pages_enqueue_feed_imports_and_notifications_that_a_worker_runs(
    app, client, make_user, feed_server, outbox
):
    from celery.contrib.testing.worker import start_worker

    import workers.network  # noqa: F401 - registers the tasks

    app.config["NETWORK_APPROVE_POST_COUNT"] = 0
    celery = app.extensions["celery"]
    assert celery.conf.beat_schedule["network-import-feeds"]["task"] == "network.import_feeds"
    assert celery.conf.beat_schedule["network-send-digests"]["task"] == "network.send_digests"
    feed_server.serve(CAL.format(events=vevent("w@amap", "Chantier participatif")), etag='"w"')
    moderator = make_user("moderator", email="moderation@example.org")
    follower = make_user("learner", email="abonnee@example.org")
    with start_worker(celery, pool="solo", perform_ping_check=False, queues=["short"]):
        login(client, moderator)
        client.post("/reseau/agenda/moderation",
                    data={"name": "Agenda partenaire", "url": feed_server.url})
        assert _wait_for(lambda: db.session.scalar(sa.select(Event.title)) is not None)
        assert db.session.scalar(sa.select(Event.title)) == "Chantier participatif"

        response = client.post("/reseau/echanges/nouveau",
                               data={"title": "Qui a un camion frigo ?", "body": "Bonjour",
                                     "theme": "0"})
        thread_path = response.headers["Location"]
        client.post("/compte/deconnexion")
        login(client, follower)
        client.post(f"{thread_path}/suivre", data={"mode": "immediate"})
        client.post("/compte/deconnexion")
        login(client, moderator)
        client.post(f"{thread_path}/messages", data={"body": "Le nôtre est libre le mardi."})
        assert _wait_for(lambda: any(m["To"] == follower.email for m in outbox()))
    [mail] = [m for m in outbox() if m["To"] == follower.email]
    assert "libre le mardi" in mail.get_body(("plain",)).get_content()
