"""Calendar builders, read back with the icalendar parser."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from feeds.ical import build_calendar, build_event_ics
from feeds.types import CalendarEvent, FeedError

PARIS = ZoneInfo("Europe/Paris")
JOIN_URL = "https://visio.circuits-courts.example/b/tarif-s1"


@pytest.fixture
def make_event():
    """Return a factory of sessions, stored in UTC as the models store them."""

    def factory(n: int = 1, **overrides) -> CalendarEvent:
        start = datetime(2026, 3, 28, 10, tzinfo=PARIS) + timedelta(days=n - 1)
        event = CalendarEvent(
            uid=f"session-{n}@circuits-courts.example",
            summary=f"Tarification sociale — session {n}",
            start_dt=start.astimezone(UTC),
            end_dt=(start + timedelta(hours=1, minutes=30)).astimezone(UTC),
            last_modified_dt=datetime(2026, 2, 1, 9, 30, tzinfo=UTC),
            description="Les différentes formes de tarification sociale.",
            location="En ligne",
            url=f"https://circuits-courts.example/formations/tarification-sociale/{n}",
            join_url=JOIN_URL,
            categories=("Tarification", "Webinaire"),
        )
        return replace(event, **overrides)

    return factory


def parse(ics: bytes) -> Calendar:
    """Parse an .ics with icalendar, failing on any error."""
    return Calendar.from_ical(ics)


def events_of(ics: bytes) -> dict:
    """Return the parsed VEVENTs of an .ics, by UID."""
    return {str(event["UID"]): event for event in parse(ics).walk("VEVENT")}


def test_calendar_parses_with_name_refresh_interval_and_stable_uids(make_event):
    ics = build_calendar([make_event(1), make_event(2)], "Tarification sociale")
    calendar = parse(ics)
    assert calendar.calendar_name == "Tarification sociale"
    assert str(calendar["X-WR-CALNAME"]) == "Tarification sociale"
    assert calendar.refresh_interval == timedelta(hours=1)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in ics
    assert set(events_of(ics)) == {make_event(1).uid, make_event(2).uid}


def test_event_carries_its_properties(make_event):
    event = make_event(1, sequence=3)
    vevent = events_of(build_calendar([event], "Agenda"))[event.uid]
    assert str(vevent["SUMMARY"]) == event.summary
    assert str(vevent["DESCRIPTION"]) == event.description
    assert str(vevent["LOCATION"]) == "En ligne"
    assert str(vevent["URL"]) == event.url
    assert vevent.sequence == 3
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert vevent.categories == ["Tarification", "Webinaire"]
    assert vevent.last_modified == event.last_modified_dt
    assert vevent["DTSTAMP"].dt == event.last_modified_dt


def test_identical_input_builds_identical_bytes(make_event):
    # The calendar route derives its ETag from the bytes: no build-time stamp may leak in.
    events = [make_event(1), make_event(2)]
    assert build_calendar(events, "Agenda") == build_calendar(events, "Agenda")


def test_sessions_keep_their_local_time_across_the_daylight_saving_change(make_event):
    # Paris switches to summer time on 2026-03-29: 10:00 is 09:00 UTC before, 08:00 UTC after.
    before = make_event(1, start_dt=datetime(2026, 3, 28, 9, tzinfo=UTC))
    after = make_event(3, start_dt=datetime(2026, 3, 30, 8, tzinfo=UTC))
    before = replace(before, end_dt=before.start_dt + timedelta(hours=2))
    after = replace(after, end_dt=after.start_dt + timedelta(hours=2))
    ics = build_calendar([before, after], "Agenda")
    parsed = events_of(ics)
    for event in (before, after):
        start = parsed[event.uid].start
        assert (start.hour, start.minute, start.tzinfo.key) == (10, 0, "Europe/Paris")
        assert start == event.start_dt
    assert b"DTSTART;TZID=Europe/Paris:20260328T100000" in ics
    assert b"DTSTART;TZID=Europe/Paris:20260330T100000" in ics


def test_calendar_embeds_the_vtimezone_with_the_summer_time_switch(make_event):
    calendar = parse(build_calendar([make_event(1)], "Agenda"))
    assert calendar.get_missing_tzids() == set()
    (timezone,) = calendar.timezones
    assert timezone.tz_name == "Europe/Paris"
    daylight_starts = [str(c["DTSTART"].to_ical().decode()) for c in timezone.walk("DAYLIGHT")]
    assert "20260329T030000" in daylight_starts


def test_public_calendar_never_carries_the_join_link(make_event):
    leaky = make_event(
        1, location=f"En ligne : {JOIN_URL}", description=f"Lien : {JOIN_URL}", url=JOIN_URL
    )
    ics = build_calendar([make_event(2), leaky], "Agenda")
    assert JOIN_URL.encode() not in ics.replace(b"\r\n ", b"")
    assert not any("CONFERENCE" in e for e in parse(ics).walk("VEVENT"))


def test_private_calendar_carries_the_join_link(make_event):
    event = make_event(1)
    vevent = events_of(build_calendar([event], "Mes sessions", private=True))[event.uid]
    conference = vevent["CONFERENCE"]
    assert str(conference) == JOIN_URL
    assert conference.params["VALUE"] == "URI"
    assert JOIN_URL in str(vevent["DESCRIPTION"])


def test_the_join_label_is_given_by_the_caller_in_the_readers_language(make_event):
    event = make_event(1)
    default = events_of(build_calendar([event], "Mes sessions", private=True))[event.uid]
    assert default["CONFERENCE"].params["LABEL"] == "Rejoindre la session en ligne"
    assert str(default["DESCRIPTION"]).endswith(f"Rejoindre la session en ligne\n{JOIN_URL}")
    for ics in (
        build_calendar([event], "My sessions", private=True, join_label="Join online"),
        build_event_ics(event, private=True, join_label="Join online"),
    ):
        vevent = events_of(ics)[event.uid]
        assert vevent["CONFERENCE"].params["LABEL"] == "Join online"
        assert str(vevent["DESCRIPTION"]).endswith(f"Join online\n{JOIN_URL}")


def test_online_only_private_session_uses_the_join_link_as_location(make_event):
    event = make_event(1, location=None)
    vevent = events_of(build_calendar([event], "Mes sessions", private=True))[event.uid]
    assert str(vevent["LOCATION"]) == JOIN_URL


def test_cancelled_event_has_status_cancelled_and_a_bumped_sequence(make_event):
    scheduled = make_event(1)
    cancelled = replace(
        scheduled,
        status="cancelled",
        sequence=scheduled.sequence + 1,
        last_modified_dt=scheduled.last_modified_dt + timedelta(days=1),
    )
    old = events_of(build_calendar([scheduled], "Agenda"))[scheduled.uid]
    new = events_of(build_calendar([cancelled], "Agenda"))[cancelled.uid]
    assert str(new["STATUS"]) == "CANCELLED"
    assert new.sequence > old.sequence
    assert new.DTSTAMP > old.DTSTAMP


def test_cancellation_without_a_bumped_sequence_is_refused(make_event):
    with pytest.raises(FeedError, match="SEQUENCE"):
        build_calendar([make_event(1, status="cancelled")], "Agenda")


def test_optional_alarm_reminds_before_the_session(make_event):
    ics = build_calendar([make_event(1)], "Agenda", alarm_before=timedelta(minutes=15))
    (alarm,) = parse(ics).walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(minutes=-15)
    assert not parse(build_calendar([make_event(1)], "Agenda")).walk("VALARM")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_dt": datetime(2026, 3, 28, 8, tzinfo=UTC)}, "end after"),
        ({"start_dt": datetime(2026, 3, 28, 9)}, "timezone-aware"),
        ({"tzid": "Europe/Lutece"}, "time zone"),
        ({"join_url": "javascript:alert(1)"}, "http"),
        ({"uid": " "}, "UID"),
    ],
)
def test_invalid_event_is_refused_with_a_clear_message(make_event, overrides, message):
    with pytest.raises(FeedError, match=message):
        build_calendar([make_event(1, **overrides)], "Agenda")


def test_single_event_attachment_is_published(make_event):
    event = make_event(1)
    calendar = parse(build_event_ics(event))
    assert str(calendar["METHOD"]) == "PUBLISH"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == event.uid
    assert "CONFERENCE" not in vevent
    assert calendar.get_missing_tzids() == set()


def test_private_attachment_carries_the_join_link(make_event):
    (vevent,) = parse(build_event_ics(make_event(1), private=True)).walk("VEVENT")
    assert str(vevent["CONFERENCE"]) == JOIN_URL


def test_request_attachment_names_organizer_and_attendee(make_event):
    ics = build_event_ics(
        make_event(1),
        method="REQUEST",
        organizer_email="formations@openfoodfrance.example",
        attendee_email="apprenant@example.org",
    )
    calendar = parse(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["ORGANIZER"]) == "mailto:formations@openfoodfrance.example"
    assert str(vevent["ATTENDEE"]) == "mailto:apprenant@example.org"


def test_request_for_a_cancelled_event_is_sent_as_cancel(make_event):
    ics = build_event_ics(
        make_event(1, status="cancelled", sequence=1),
        method="REQUEST",
        organizer_email="formations@openfoodfrance.example",
        attendee_email="apprenant@example.org",
    )
    assert str(parse(ics)["METHOD"]) == "CANCEL"


def test_request_without_organizer_is_refused(make_event):
    with pytest.raises(FeedError, match="organizer"):
        build_event_ics(make_event(1), method="REQUEST")
