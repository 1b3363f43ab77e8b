"""iCalendar builders: course and agenda calendars, personal calendars and one-event attachments.

Sessions are stored in UTC and rendered in their own time zone (TZID + VTIMEZONE), so a session
at 10:00 in Paris stays at 10:00 on both sides of a daylight-saving change. Join links are a
private-calendar privilege: the builder drops them from public output whatever the caller passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.types import CalendarEvent, FeedError

if TYPE_CHECKING:  # icalendar loads when a calendar is built, not when the web app starts
    from icalendar import Calendar, Event

PRODID = "-//Open Food France//La Boîte à outils des circuits courts//FR"
DEFAULT_TZID = "Europe/Paris"
#: How often subscribed clients should poll (REFRESH-INTERVAL, and X-PUBLISHED-TTL for Outlook).
REFRESH_INTERVAL = timedelta(hours=1)
#: Label of the live link; the app passes it translated (builders know no request language).
JOIN_LABEL = "Rejoindre la session en ligne"


def build_calendar(
    events: Iterable[CalendarEvent],
    name: str,
    private: bool = False,
    *,
    description: str | None = None,
    alarm_before: timedelta | None = None,
    join_label: str = JOIN_LABEL,
) -> bytes:
    """Render events as a subscribable calendar; join links only when private is True."""
    calendar = _new_calendar(method=None)
    calendar.calendar_name = name
    if description:
        calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    calendar.add("x-wr-timezone", DEFAULT_TZID)
    for event in events:
        calendar.add_component(
            _build_event(event, private=private, alarm_before=alarm_before, join_label=join_label)
        )
    _add_timezones(calendar)
    return calendar.to_ical()


def build_event_ics(
    event: CalendarEvent,
    *,
    method: str = "PUBLISH",
    private: bool = False,
    organizer_email: str | None = None,
    attendee_email: str | None = None,
    alarm_before: timedelta | None = None,
    join_label: str = JOIN_LABEL,
) -> bytes:
    """Render one event as an e-mail attachment (METHOD PUBLISH, or REQUEST/CANCEL for iTIP)."""
    method = method.upper()
    if method not in ("PUBLISH", "REQUEST"):
        raise FeedError(f"METHOD must be PUBLISH or REQUEST, got {method!r}")
    if method == "REQUEST":
        if not organizer_email or not attendee_email:
            raise FeedError("a METHOD:REQUEST invitation needs an organizer and an attendee")
        # iTIP (RFC 5546): a cancelled meeting is sent as CANCEL so clients remove it.
        if event.status == "cancelled":
            method = "CANCEL"
    calendar = _new_calendar(method=method)
    vevent = _build_event(event, private=private, alarm_before=alarm_before, join_label=join_label)
    if organizer_email:
        vevent.add("organizer", f"mailto:{organizer_email}")
    if attendee_email:
        vevent.add(
            "attendee",
            f"mailto:{attendee_email}",
            parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"},
        )
    calendar.add_component(vevent)
    _add_timezones(calendar)
    return calendar.to_ical()


def _new_calendar(method: str | None) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _build_event(
    event: CalendarEvent, *, private: bool, alarm_before: timedelta | None, join_label: str
) -> Event:
    _check_event(event)
    zone = ZoneInfo(event.tzid)
    join_url = event.join_url if private else None
    from icalendar import Alarm, Event

    vevent = Event()
    vevent.add("uid", event.uid)
    # DTSTAMP follows the last change rather than the build time, so an unchanged calendar
    # renders to the same bytes (stable ETag) and iTIP clients still see updates as newer.
    vevent.add("dtstamp", event.last_modified_dt.astimezone(UTC))
    vevent.add("last-modified", event.last_modified_dt.astimezone(UTC))
    vevent.add("sequence", event.sequence)
    vevent.add("dtstart", event.start_dt.astimezone(zone))
    vevent.add("dtend", event.end_dt.astimezone(zone))
    vevent.add("summary", _public_text(event.summary, event, private))
    vevent.add("status", event.status.upper())
    description = _public_text(event.description, event, private)
    if join_url:
        # Label and link on their own lines: no punctuation that belongs to one language.
        description = f"{description}\n\n{join_label}\n{join_url}".strip()
        vevent.add(
            "conference",
            join_url,
            parameters={"VALUE": "URI", "FEATURE": "AUDIO,VIDEO", "LABEL": join_label},
        )
    if description:
        vevent.add("description", description)
    location = _public_text(event.location or "", event, private)
    if location:
        vevent.add("location", location)
    elif join_url:
        vevent.add("location", join_url)
    url = event.url if event.url and (private or event.url != event.join_url) else None
    if url:
        vevent.add("url", url)
    if event.categories:
        vevent.add("categories", list(event.categories))
    if alarm_before is not None and event.status != "cancelled":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        alarm.add("trigger", -alarm_before)
        vevent.add_component(alarm)
    return vevent


def _public_text(text: str, event: CalendarEvent, private: bool) -> str:
    # The live link must not leak into a public calendar through a free-text field either.
    if not private and event.join_url:
        text = text.replace(event.join_url, "")
    return text.strip()


def _add_timezones(calendar: Calendar) -> None:
    starts = [event.DTSTART for event in calendar.walk("VEVENT")]
    ends = [event.DTEND for event in calendar.walk("VEVENT")]
    if not starts:
        return
    # A VTIMEZONE covering only the calendar's span stays small; clients without a time zone
    # database (or with an old one) still place every session at the right local time.
    first = date(min(starts).year, 1, 1)
    last = date(max(ends).year + 1, 12, 31)
    calendar.add_missing_timezones(first_date=first, last_date=last)


def _check_event(event: CalendarEvent) -> None:
    where = f"event {event.uid!r}"
    if not event.uid.strip():
        raise FeedError("every event needs a stable UID")
    if not event.summary.strip():
        raise FeedError(f"{where} needs a summary")
    for value, what in (
        (event.start_dt, "start"),
        (event.end_dt, "end"),
        (event.last_modified_dt, "last change"),
    ):
        if value.tzinfo is None or value.utcoffset() is None:
            raise FeedError(f"{where}: the {what} must be a timezone-aware datetime")
    if event.end_dt <= event.start_dt:
        raise FeedError(f"{where} must end after it starts")
    try:
        ZoneInfo(event.tzid)
    except (ZoneInfoNotFoundError, ValueError):
        raise FeedError(f"{where}: unknown time zone {event.tzid!r}") from None
    if event.status not in ("confirmed", "tentative", "cancelled"):
        raise FeedError(f"{where}: status must be confirmed, tentative or cancelled")
    if event.sequence < 0:
        raise FeedError(f"{where}: SEQUENCE cannot be negative")
    # A cancellation is always a change after publication: without a higher SEQUENCE,
    # clients that already hold the event keep showing it as confirmed.
    if event.status == "cancelled" and event.sequence == 0:
        raise FeedError(f"{where} is cancelled: bump its SEQUENCE")
    for url, what in ((event.url, "URL"), (event.join_url, "live link")):
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            raise FeedError(f"{where}: the {what} must be an http(s) URL, got {url!r}")
