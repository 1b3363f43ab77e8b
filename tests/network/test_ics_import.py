"""Partners' .ics feeds: conditional GET on a real loopback server, de-duplication by UID,
updates, hostile input."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.network.agenda_models import Event, EventStatus, ExternalFeed
from tests.network.feed_helpers import CAL, EVENT, vevent
from workers.network import import_feed, import_feeds


@pytest.fixture
def feed(app, feed_server):
    row = ExternalFeed(name="Réseau des AMAP AURA", url=feed_server.url)
    db.session.add(row)
    db.session.commit()
    return row


def events():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Event).order_by(Event.uid)))


def test_importing_twice_creates_each_event_once_and_applies_updates(feed_server, feed):
    feed_server.serve(CAL.format(events=vevent("a@amap", "Fête des paniers")
                                 + vevent("b@amap", "Atelier compta")), etag='"v1"')
    assert import_feed(feed.id)["created"] == 2
    assert import_feed(feed.id) == {"created": 0, "updated": 0, "unchanged": 0, "restored": 0,
                                   "cancelled": 0, "rejected": 0}
    # The second read was conditional and answered 304.
    assert feed_server.requests[-1] == ("/agenda.ics", '"v1"')
    assert [e.title for e in events()] == ["Fête des paniers", "Atelier compta"]
    assert all(e.status == EventStatus.PENDING for e in events())  # moderated agenda

    # The partner moves an event (SEQUENCE 1) and republishes the file.
    feed_server.serve(
        CAL.format(events=vevent("a@amap", "Fête des paniers (reportée)", start="20270322T140000",
                                 end="20270322T170000", sequence=1, modified="20260601T080000Z")
                   + vevent("b@amap", "Atelier compta")),
        etag='"v2"',
    )
    counts = import_feed(feed.id)
    assert counts == {"created": 0, "updated": 1, "unchanged": 1, "restored": 0, "cancelled": 0,
                      "rejected": 0}
    moved, same = events()
    assert moved.title == "Fête des paniers (reportée)"
    assert moved.start_dt.isoformat() == "2027-03-22T13:00:00+00:00"  # 14:00 Paris
    assert moved.sequence >= 1 and same.sequence == 0
    assert len(events()) == 2

    # The same file again: nothing changes (conditional GET, then same versions).
    feed_server.etag = '"v3"'
    assert import_feed(feed.id)["updated"] == 0
    db.session.expire_all()
    assert db.session.get(ExternalFeed, feed.id).etag == '"v3"'


def test_a_newer_last_modified_with_the_same_sequence_is_applied(feed_server, feed):
    feed_server.serve(CAL.format(events=vevent("c@amap", "Marché")), etag='"1"')
    import_feed(feed.id)
    feed_server.serve(CAL.format(events=vevent("c@amap", "Marché de printemps",
                                               modified="20260701T080000Z")), etag='"2"')
    assert import_feed(feed.id)["updated"] == 1
    assert events()[0].title == "Marché de printemps"


def test_hostile_feed_imports_valid_events_and_reports_the_rest(feed_server, feed):
    bad_dates = EVENT.format(uid="bad@amap", summary="Date cassée", start="2027-13-45T99",
                             end="20270315T170000", location="", sequence=0,
                             modified="20260101T090000Z")
    backwards = vevent("back@amap", "À l'envers", start="20270315T170000", end="20270315T140000")
    no_uid = vevent("", "Sans UID").replace("UID:\r\n", "")
    body = CAL.format(events=vevent("ok@amap", "Valide <script>alert(1)</script>") + bad_dates
                      + backwards + no_uid + vevent("ok@amap", "Doublon"))
    feed_server.serve(body, etag='"h"')
    counts = import_feed(feed.id)
    assert counts["created"] == 1 and counts["rejected"] == 4
    [event] = events()
    assert event.uid == "ok@amap" and event.title.startswith("Valide")
    db.session.expire_all()
    report = db.session.get(ExternalFeed, feed.id).last_report
    reasons = {item["uid"]: item["reason"] for item in report}
    assert set(reasons) == {"bad@amap", "back@amap", None, "ok@amap"}
    assert "double" in reasons["ok@amap"]


def test_garbage_and_oversized_feeds_are_reported_without_crashing(app, feed_server, feed):
    feed_server.serve("ceci n'est pas un calendrier", etag='"g"')
    assert import_feed(feed.id)["created"] == 0
    db.session.expire_all()
    assert db.session.get(ExternalFeed, feed.id).last_report[0]["reason"].startswith("fichier")

    app.config["NETWORK_FEED_MAX_BYTES"] = 10_000
    huge = CAL.format(events="".join(vevent(f"{i}@amap", "x" * 200) for i in range(200)))
    feed_server.serve(huge, etag='"huge"')
    counts = import_feed(feed.id)
    assert counts["created"] == 0 and counts["rejected"] == 1
    db.session.expire_all()
    assert "trop volumineux" in db.session.get(ExternalFeed, feed.id).last_status
    assert events() == []


def test_unreachable_feed_is_reported(app):
    app.config["NETWORK_FEED_ALLOW_PRIVATE"] = True  # reach the closed loopback port
    row = ExternalFeed(name="Hors ligne", url="http://127.0.0.1:9/agenda.ics")
    db.session.add(row)
    db.session.commit()
    assert import_feed(row.id)["rejected"] == 1
    db.session.expire_all()
    assert db.session.get(ExternalFeed, row.id).last_status.startswith("Échec")


def test_imported_events_wait_for_moderation_then_appear(client, login_as, feed_server, feed):
    day = (utcnow() + timedelta(days=30)).strftime("%Y%m%d")
    feed_server.serve(CAL.format(events=vevent("m@amap", "Portes ouvertes", start=f"{day}T140000",
                                               end=f"{day}T170000")), etag='"m"')
    import_feed(feed.id)
    [event] = events()
    assert client.get(f"/reseau/agenda/{event.id}").status_code == 404
    login_as("moderator")
    page = client.get("/reseau/agenda/moderation").get_data(as_text=True)
    assert "Portes ouvertes" in page
    client.post(f"/reseau/agenda/{event.id}/statut", data={"status": "published"})
    client.post("/compte/deconnexion")
    assert client.get(f"/reseau/agenda/{event.id}").status_code == 200
    assert "Portes ouvertes" in client.get("/reseau/agenda.ics").get_data(as_text=True)


def test_periodic_task_queues_every_active_feed(app, feed):
    assert import_feeds() == 1


def test_moderator_adds_a_feed_from_the_moderation_page(client, login_as, feed_server):
    feed_server.serve(CAL.format(events=vevent("n@amap", "Assemblée générale")), etag='"n"')
    login_as("moderator")
    response = client.post("/reseau/agenda/moderation",
                           data={"name": "Agenda des AMAP", "url": feed_server.url})
    assert response.status_code == 302
    feed = db.session.scalar(sa.select(ExternalFeed))
    assert feed.name == "Agenda des AMAP" and not feed.auto_publish
    import_feed(feed.id)  # what the queued task runs
    page = client.get("/reseau/agenda/moderation").get_data(as_text=True)
    assert "Assemblée générale" in page and "Nouveaux : 1," in page
    again = client.post("/reseau/agenda/moderation",
                        data={"name": "Doublon", "url": feed_server.url})
    assert "déjà suivi" in again.get_data(as_text=True)


def _day(days):
    return (utcnow() + timedelta(days=days)).strftime("%Y%m%d")


def test_future_events_removed_from_the_feed_are_cancelled_and_past_ones_kept(
    client, feed_server, feed
):
    from icalendar import Calendar

    feed.auto_publish = True
    db.session.commit()
    kept = vevent("kept@amap", "Assemblée", start=f"{_day(20)}T140000", end=f"{_day(20)}T170000")
    gone = vevent("gone@amap", "Visite annulée", start=f"{_day(40)}T140000",
                  end=f"{_day(40)}T170000")
    past = vevent("past@amap", "Marché passé", start=f"{_day(-10)}T090000",
                  end=f"{_day(-10)}T120000")
    feed_server.serve(CAL.format(events=kept + gone + past), etag='"1"')
    assert import_feed(feed.id)["created"] == 3

    # An unreadable answer is not a full import: nothing is cancelled.
    feed_server.serve("<html>Maintenance</html>", etag='"oops"')
    assert import_feed(feed.id)["cancelled"] == 0
    # The partner deletes two events from the file (one future, one past).
    feed_server.serve(CAL.format(events=kept), etag='"2"')
    counts = import_feed(feed.id)
    assert counts == {"created": 0, "updated": 0, "unchanged": 1, "restored": 0, "cancelled": 1,
                      "rejected": 0}
    status = {e.uid: (e.status, e.sequence) for e in events()}
    assert status == {
        "gone@amap": (EventStatus.CANCELLED, 1),
        "kept@amap": (EventStatus.PUBLISHED, 0),
        "past@amap": (EventStatus.PUBLISHED, 0),
    }
    db.session.expire_all()
    assert "annulés : 1" in db.session.get(ExternalFeed, feed.id).last_status

    # Subscribed calendars see the cancellation (STATUS and a higher SEQUENCE).
    calendar = Calendar.from_ical(client.get("/reseau/agenda.ics").data)
    published = {str(c["UID"]): c for c in calendar.walk("VEVENT")}
    assert str(published["gone@amap"]["STATUS"]) == "CANCELLED"
    assert int(published["gone@amap"]["SEQUENCE"]) == 1
    assert str(published["kept@amap"].get("STATUS", "CONFIRMED")) == "CONFIRMED"

    # Reading the same file again cancels nothing more (no second SEQUENCE bump).
    feed_server.etag = '"3"'
    assert import_feed(feed.id)["cancelled"] == 0
    assert {e.uid: e.sequence for e in events()}["gone@amap"] == 1


def test_removed_events_still_awaiting_moderation_leave_the_queue(client, login_as,
                                                                  feed_server, feed):
    day = _day(15)
    feed_server.serve(CAL.format(events=vevent("spam@amap", "Vente de montres", start=f"{day}T10"
                                               "0000", end=f"{day}T110000")), etag='"1"')
    import_feed(feed.id)
    # A file that still lists the UID (even as an invalid event) keeps it.
    broken = vevent("spam@amap", "Vente de montres", start=f"{day}T100000", end=f"{day}T090000")
    feed_server.serve(CAL.format(events=broken), etag='"2"')
    assert import_feed(feed.id)["cancelled"] == 0
    assert events()[0].status == EventStatus.PENDING

    feed_server.serve(CAL.format(events=""), etag='"3"')
    assert import_feed(feed.id)["cancelled"] == 1
    [event] = events()
    assert event.status == EventStatus.REJECTED  # never shown, so never shown as cancelled
    login_as("moderator")
    assert "Vente de montres" not in client.get("/reseau/agenda/moderation").get_data(as_text=True)
    assert "Vente de montres" not in client.get("/reseau/agenda.ics").get_data(as_text=True)
