"""Events that vanish from a partner's feed are withdrawn; when the feed lists them again they
come back, unless a moderator (or the partner, with STATUS:CANCELLED) cancelled them."""

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.core.db import utcnow
from app.extensions import db
from app.network.agenda_models import Event, EventStatus, ExternalFeed
from tests.network.feed_helpers import CAL, vevent
from workers.network import import_feed


@pytest.fixture
def feed(app, feed_server):
    row = ExternalFeed(name="Réseau des AMAP AURA", url=feed_server.url, auto_publish=True)
    db.session.add(row)
    db.session.commit()
    return row


def _day(days):
    return (utcnow() + timedelta(days=days)).strftime("%Y%m%d")


def visit(**kw):
    return vevent("visit@amap", "Visite de ferme", start=f"{_day(30)}T140000",
                  end=f"{_day(30)}T170000", **kw)


def fair(**kw):
    return vevent("fair@amap", "Foire aux plants", start=f"{_day(45)}T090000",
                  end=f"{_day(45)}T120000", **kw)


def serve(feed_server, *events):
    feed_server.serve(CAL.format(events="".join(events)), etag=f'"{len(feed_server.requests)}"')


def get(uid):
    db.session.expire_all()
    return db.session.scalar(sa.select(Event).where(Event.uid == uid))


def published_calendar(client):
    calendar = Calendar.from_ical(client.get("/reseau/agenda.ics").data)
    return {str(c["UID"]): c for c in calendar.walk("VEVENT")}


def test_an_event_back_in_the_feed_is_published_again_with_a_higher_sequence(
    client, login_as, feed_server, feed
):
    serve(feed_server, visit(), fair())
    assert import_feed(feed.id)["created"] == 2
    serve(feed_server, fair())  # removed by mistake
    assert import_feed(feed.id)["cancelled"] == 1
    assert (get("visit@amap").status, get("visit@amap").sequence) == (EventStatus.CANCELLED, 1)

    serve(feed_server, visit(), fair())  # restored by the partner, unchanged
    counts = import_feed(feed.id)
    assert counts == {"created": 0, "updated": 0, "unchanged": 1, "restored": 1, "cancelled": 0,
                      "rejected": 0}
    event = get("visit@amap")
    assert (event.status, event.sequence, event.withdrawn_dt) == (EventStatus.PUBLISHED, 2, None)
    # Subscribed calendars take it back: confirmed again, with a SEQUENCE above the cancellation.
    exported = published_calendar(client)["visit@amap"]
    assert str(exported.get("STATUS", "CONFIRMED")) == "CONFIRMED"
    assert int(exported["SEQUENCE"]) == 2
    assert "Visite de ferme" in client.get("/reseau/agenda").get_data(as_text=True)

    # The moderators' report counts it, in their language.
    db.session.expire_all()
    assert "rétablis : 1, annulés : 0" in db.session.get(ExternalFeed, feed.id).last_status
    login_as("moderator")
    english = client.get("/reseau/agenda/moderation", headers={"Accept-Language": "en"})
    english = html.unescape(english.get_data(as_text=True))
    assert "unchanged: 1, restored: 1, cancelled: 0" in english

    # Reading the file again restores nothing more and bumps nothing.
    feed_server.etag = '"again"'
    assert import_feed(feed.id)["restored"] == 0
    assert get("visit@amap").sequence == 2

    # Withdrawn and restored again: each round is a change calendars notice.
    serve(feed_server, fair())
    assert import_feed(feed.id)["cancelled"] == 1
    serve(feed_server, visit(), fair())
    assert import_feed(feed.id)["restored"] == 1
    assert (get("visit@amap").status, get("visit@amap").sequence) == (EventStatus.PUBLISHED, 4)


def test_a_restored_event_takes_the_partners_newer_version(feed_server, feed):
    serve(feed_server, visit())
    import_feed(feed.id)
    serve(feed_server)
    import_feed(feed.id)
    serve(feed_server, vevent("visit@amap", "Visite de ferme (nouvel horaire)",
                              start=f"{_day(31)}T100000", end=f"{_day(31)}T120000", sequence=5,
                              modified="20260601T080000Z"))
    counts = import_feed(feed.id)
    assert (counts["restored"], counts["updated"], counts["unchanged"]) == (1, 0, 0)
    event = get("visit@amap")
    assert event.status == EventStatus.PUBLISHED
    assert event.title == "Visite de ferme (nouvel horaire)"
    assert event.sequence == 5 and event.source_sequence == 5  # the partner's is higher: kept


def test_an_event_withdrawn_before_moderation_goes_back_to_the_queue(
    client, login_as, feed_server, feed
):
    feed.auto_publish = False
    db.session.commit()
    serve(feed_server, visit())
    import_feed(feed.id)
    serve(feed_server)
    import_feed(feed.id)
    assert get("visit@amap").status == EventStatus.REJECTED

    serve(feed_server, visit())
    assert import_feed(feed.id)["restored"] == 1
    assert get("visit@amap").status == EventStatus.PENDING  # never shown, so not published
    assert "Visite de ferme" not in client.get("/reseau/agenda").get_data(as_text=True)
    login_as("moderator")
    assert "Visite de ferme" in client.get("/reseau/agenda/moderation").get_data(as_text=True)


def test_events_a_moderator_cancelled_or_refused_are_not_brought_back(
    client, login_as, feed_server, feed
):
    feed.auto_publish = False
    db.session.commit()
    serve(feed_server, visit(), fair())
    import_feed(feed.id)
    login_as("moderator")
    visit_id, fair_id = get("visit@amap").id, get("fair@amap").id
    client.post(f"/reseau/agenda/{visit_id}/statut", data={"status": "published"})
    client.post(f"/reseau/agenda/{visit_id}/statut", data={"status": "cancelled"})
    client.post(f"/reseau/agenda/{fair_id}/statut", data={"status": "rejected"})
    assert (get("visit@amap").status, get("visit@amap").sequence) == (EventStatus.CANCELLED, 1)

    serve(feed_server)  # the partner drops both, then lists them again
    assert import_feed(feed.id)["cancelled"] == 0
    serve(feed_server, visit(), fair())
    counts = import_feed(feed.id)
    assert (counts["restored"], counts["unchanged"]) == (0, 2)
    assert (get("visit@amap").status, get("visit@amap").sequence) == (EventStatus.CANCELLED, 1)
    assert get("fair@amap").status == EventStatus.REJECTED


def test_a_moderators_decision_on_a_withdrawn_event_is_final(client, login_as, feed_server,
                                                              feed):
    serve(feed_server, visit())
    import_feed(feed.id)
    serve(feed_server)
    import_feed(feed.id)
    assert get("visit@amap").withdrawn_dt is not None
    login_as("moderator")
    client.post(f"/reseau/agenda/{get('visit@amap').id}/statut", data={"status": "rejected"})

    serve(feed_server, visit())
    assert import_feed(feed.id)["restored"] == 0
    assert get("visit@amap").status == EventStatus.REJECTED


def test_an_event_back_as_status_cancelled_stays_cancelled(client, feed_server, feed):
    serve(feed_server, visit(), fair())
    import_feed(feed.id)
    serve(feed_server, fair())
    import_feed(feed.id)

    cancelled = visit(sequence=3, modified="20260601T080000Z").replace(
        "END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT"
    )
    serve(feed_server, cancelled, fair())
    counts = import_feed(feed.id)
    assert (counts["restored"], counts["updated"]) == (0, 1)
    event = get("visit@amap")
    assert (event.status, event.withdrawn_dt) == (EventStatus.CANCELLED, None)
    assert str(published_calendar(client)["visit@amap"]["STATUS"]) == "CANCELLED"

    # Its withdrawal is forgotten: the same event without STATUS later does not revive it.
    serve(feed_server, visit(sequence=3, modified="20260601T080000Z"), fair())
    assert import_feed(feed.id)["restored"] == 0
    assert get("visit@amap").status == EventStatus.CANCELLED


def test_a_moderator_publishing_a_cancelled_event_bumps_its_sequence(client, login_as,
                                                                      make_event):
    event = make_event(status=EventStatus.CANCELLED, sequence=1)
    login_as("moderator")
    client.post(f"/reseau/agenda/{event.id}/statut", data={"status": "published"})
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == 2  # calendars drop the cancellation
