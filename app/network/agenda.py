"""Agenda operations: local events, items from other features (course sessions), filters, month
grid and iCal feeds. Operations flush, never commit."""

from __future__ import annotations

import calendar as pycalendar
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for

from app.core.db import utcnow
from app.core.i18n import Message
from app.extensions import db
from app.library.models import Theme
from app.network.agenda_models import Event, EventMode, EventStatus
from app.network.operations import AgendaItem, get_agenda_providers
from feeds.types import CalendarEvent

PARIS = ZoneInfo("Europe/Paris")


def new_uid() -> str:
    """Return a fresh iCalendar UID for a local event."""
    return f"event-{uuid.uuid4()}@circuits-courts.openfoodfrance.fr"


def event_to_item(event: Event) -> AgendaItem:
    """Describe a local event as an agenda item."""
    status = {"cancelled": "cancelled", "pending": "tentative"}.get(str(event.status), "confirmed")
    return AgendaItem(
        uid=event.uid,
        title=event.title,
        start_dt=event.start_dt,
        end_dt=event.end_dt,
        url=url_for("network.event", event_id=event.id, _external=True),
        kind="event",
        mode=str(event.mode),
        place=event.place,
        city=event.city,
        departement_code=event.departement_code,
        themes=tuple(t.slug for t in event.themes),
        description=event.description,
        organiser=event.organisation.name if event.organisation else event.organiser_name,
        status=status,
        sequence=event.sequence,
        last_modified_dt=event.updated_dt,
        tzid=event.tzid,
        extra={"event_id": event.id, "link": event.link},
    )


def item_matches(item: AgendaItem, filters: dict) -> bool:
    """Apply the agenda filters to any item (providers may have ignored them)."""
    theme = filters.get("theme")
    if theme and theme not in item.themes:
        return False
    departement = filters.get("departement")
    if departement and item.departement_code != departement:
        return False
    online = filters.get("online")
    if online is True and item.mode not in (EventMode.ONLINE, EventMode.HYBRID):
        return False
    return not (online is False and item.mode == EventMode.ONLINE)


def get_agenda_items(
    start: datetime, end: datetime, filters: dict | None = None, *, include_cancelled=True
) -> list[AgendaItem]:
    """Return published events and every provider's items overlapping [start, end), by date."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    statuses = [EventStatus.PUBLISHED]
    if include_cancelled:
        statuses.append(EventStatus.CANCELLED)
    query = (
        sa.select(Event)
        .where(Event.status.in_(statuses), Event.start_dt < end, Event.end_dt > start)
        .order_by(Event.start_dt)
    )
    if filters.get("theme"):
        query = query.where(Event.themes.any(Theme.slug == filters["theme"]))
    if filters.get("departement"):
        query = query.where(Event.departement_code == filters["departement"])
    items = [event_to_item(e) for e in db.session.scalars(query)]
    for provider in get_agenda_providers():
        items.extend(provider(start, end, dict(filters)) or ())
    items = [
        i for i in items
        if i.start_dt < end and i.end_dt > start and item_matches(i, filters)
        and (include_cancelled or i.status != "cancelled")
    ]
    return sorted(items, key=lambda i: (i.start_dt, i.title))


def upcoming_items(limit: int = 5, filters: dict | None = None) -> list[AgendaItem]:
    now = utcnow()
    items = get_agenda_items(now, now + timedelta(days=366), filters, include_cancelled=False)
    return items[:limit]


def month_grid(year: int, month: int, items: list[AgendaItem]) -> list[list[dict]]:
    """Return the month as weeks of days (Monday first), each day with its items (Paris time)."""
    weeks = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        days = []
        for day in week:
            days.append(
                {
                    "date": day,
                    "in_month": day.month == month,
                    "items": [i for i in items if _local_day(i.start_dt, i.tzid) == day],
                }
            )
        weeks.append(days)
    return weeks


def _local_day(value: datetime, tzid: str) -> date:
    try:
        zone = ZoneInfo(tzid)
    except (KeyError, ValueError):
        zone = PARIS
    return value.astimezone(zone).date()


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Return the UTC bounds of a calendar month in Paris time (with the grid's overflow)."""
    first = datetime(year, month, 1, tzinfo=PARIS) - timedelta(days=7)
    nxt = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=PARIS) + timedelta(days=7)
    return first.astimezone(UTC), nxt.astimezone(UTC)


def to_calendar_event(item: AgendaItem) -> CalendarEvent:
    """Describe an agenda item for the iCal builder (public: no join link)."""
    place = ", ".join(p for p in (item.place, item.city) if p) or None
    status = item.status if item.status in ("confirmed", "tentative", "cancelled") else "confirmed"
    sequence = item.sequence
    if status == "cancelled" and sequence == 0:
        sequence = 1  # a cancellation is a change calendars must notice
    return CalendarEvent(
        uid=item.uid,
        summary=item.title,
        start_dt=item.start_dt,
        end_dt=item.end_dt,
        last_modified_dt=item.last_modified_dt or item.start_dt,
        sequence=sequence,
        description=_plain(item.description),
        tzid=item.tzid or "Europe/Paris",
        location=place,
        url=item.url,
        status=status,
        categories=item.themes,
    )


def _plain(text: str) -> str:
    from app.core.text import plain_text

    return plain_text(text)


# --------------------------------------------------------------------------- local events


def save_event(event: Event, data: dict, themes: list[Theme], *, author=None) -> Event:
    """Create or update a local event from form data (naive local datetimes + tzid)."""
    zone = ZoneInfo(data.get("tzid") or "Europe/Paris")
    start = data["start"].replace(tzinfo=zone).astimezone(UTC)
    end = data["end"].replace(tzinfo=zone).astimezone(UTC)
    if event.id is not None and (event.start_dt != start or event.end_dt != end):
        event.sequence += 1  # rescheduled: subscribed calendars must take the new time
    event.start_dt, event.end_dt, event.tzid = start, end, str(zone)
    for name in ("title", "description", "place", "city", "link", "organiser_name"):
        setattr(event, name, (data.get(name) or "").strip())
    event.departement_code = (data.get("departement_code") or "").strip().upper()
    event.mode = EventMode(data.get("mode") or EventMode.IN_PERSON)
    event.themes = themes
    if not event.uid:
        event.uid = new_uid()
    if event.id is None and author is not None:
        event.created_by_id = author.id
    db.session.add(event)
    db.session.flush()
    index_event(event)
    return event


def set_event_status(event: Event, status: EventStatus) -> None:
    """Publish, reject or cancel an event (cancelling or un-cancelling bumps its SEQUENCE)."""
    status = EventStatus(status)
    if (status == EventStatus.CANCELLED) != (event.status == EventStatus.CANCELLED):
        event.sequence += 1  # subscribed calendars must notice both ways
    event.status = status
    event.withdrawn_dt = None  # a moderator's decision: the partner's feed no longer undoes it
    event.updated_dt = utcnow()
    db.session.flush()
    index_event(event)


def pending_events() -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event).where(Event.status == EventStatus.PENDING).order_by(Event.start_dt)
        )
    )


# --------------------------------------------------------------------------- partner feeds


def import_feed(
    feed, *, max_bytes: int, timeout: float = 20, allow_private: bool = False
) -> dict:
    """Fetch a partner feed and apply it: new UIDs added, newer versions applied, future events
    the partner removed cancelled, events it lists again after such a removal restored (flushes).

    Returns counts {"created", "updated", "unchanged", "restored", "cancelled", "rejected"}
    (a restored event counts only as restored, even if its content changed); the feed row
    keeps the validators for the next conditional GET and the list of rejected events for
    moderators. Feeds on internal addresses are refused unless allow_private (tests, intranets).
    """
    from app.network import ics

    counts = {
        "created": 0, "updated": 0, "unchanged": 0, "restored": 0, "cancelled": 0, "rejected": 0,
    }
    feed.last_fetched_dt = utcnow()
    try:
        fetched = ics.fetch_feed(
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            max_bytes=max_bytes,
            timeout=timeout,
            allow_private=allow_private,
        )
    except ics.FeedFetchError as exc:
        feed.last_status = Message("Échec : %(reason)s", reason=exc.reason)
        feed.last_report = [{"uid": None, "reason": exc.reason}]
        db.session.flush()
        counts["rejected"] = 1
        return counts
    if fetched.status == 304:
        feed.last_status = Message("Inchangé depuis la dernière lecture.")
        db.session.flush()
        return counts
    parsed = ics.parse_feed(fetched.body)
    rows = db.session.scalars(sa.select(Event).where(Event.source_feed_id == feed.id))
    existing = {e.uid: e for e in rows}
    for item in parsed.events:
        event = existing.get(item.uid)
        if event is None:
            event = Event(
                uid=item.uid,
                source_feed_id=feed.id,
                organisation_id=feed.organisation_id,
                organiser_name=feed.name[:200],
                status=EventStatus.PUBLISHED if feed.auto_publish else EventStatus.PENDING,
                sequence=item.sequence,
            )
            _apply_parsed(event, item)
            db.session.add(event)
            existing[item.uid] = event
            counts["created"] += 1
            continue
        newer = _is_newer(item, event)
        if newer:
            _apply_parsed(event, item)
        restored = _restore_withdrawn(event, item)
        if newer or restored:
            event.sequence = max(event.sequence + 1, item.sequence)
        counts["restored" if restored else "updated" if newer else "unchanged"] += 1
    if parsed.complete:
        counts["cancelled"] = _withdraw_removed(existing.values(), parsed.uids)
    counts["rejected"] = len(parsed.problems)
    feed.etag = fetched.etag
    feed.last_modified = fetched.last_modified
    feed.last_report = parsed.problems[:200]
    db.session.flush()  # new events get their ids before they are indexed
    for event in existing.values():
        index_event(event)
    feed.last_status = Message(
        "Nouveaux : %(created)s, mis à jour : %(updated)s, inchangés : %(unchanged)s, "
        "rétablis : %(restored)s, annulés : %(cancelled)s, rejetés : %(rejected)s",
        **counts,
    )
    db.session.flush()
    return counts


def _withdraw_removed(events, present_uids: set[str]) -> int:
    """Cancel the future imported events whose UID the partner's file no longer lists.

    Published ones become cancelled with a bumped SEQUENCE (subscribed calendars drop them);
    ones still waiting for moderation were never shown and are simply refused; past events and
    events already cancelled or refused are left alone. Each withdrawal is dated (withdrawn_dt)
    so that it can be undone if the partner lists the event again. Returns how many were
    withdrawn.
    """
    now = utcnow()
    withdrawn = 0
    for event in events:
        if event.uid in present_uids or event.start_dt <= now:
            continue
        if event.status == EventStatus.PUBLISHED:
            event.status = EventStatus.CANCELLED
        elif event.status == EventStatus.PENDING:
            event.status = EventStatus.REJECTED
        else:
            continue
        event.sequence += 1
        event.updated_dt = event.withdrawn_dt = now
        withdrawn += 1
    return withdrawn


def _restore_withdrawn(event, item) -> bool:
    """Undo the withdrawal of an event the partner's feed lists again; tell whether it was.

    A cancelled event is published again, a refused one goes back to the moderation queue; the
    caller bumps SEQUENCE. Events a moderator cancelled or refused were never withdrawn, and an
    event the partner now marks STATUS:CANCELLED stays cancelled (its withdrawal is forgotten).
    """
    if event.withdrawn_dt is None:
        return False
    event.withdrawn_dt = None
    previous = {EventStatus.CANCELLED: EventStatus.PUBLISHED,
                EventStatus.REJECTED: EventStatus.PENDING}.get(event.status)
    if item.cancelled or previous is None:
        return False
    event.status = previous
    event.updated_dt = utcnow()
    return True


def _is_newer(item, event) -> bool:
    """Tell whether an incoming VEVENT is a newer version (SEQUENCE, then LAST-MODIFIED)."""
    known_sequence = event.source_sequence or 0
    if item.sequence != known_sequence:
        return item.sequence > known_sequence
    if item.last_modified_dt and event.source_modified_dt:
        return item.last_modified_dt > event.source_modified_dt
    return False


def _apply_parsed(event, item) -> None:
    event.title = item.title
    event.description = item.description
    event.start_dt, event.end_dt, event.tzid = item.start_dt, item.end_dt, item.tzid
    event.place = item.place
    event.link = item.link
    event.mode = EventMode.ONLINE if item.online else EventMode.IN_PERSON
    event.source_sequence = item.sequence
    event.source_modified_dt = item.last_modified_dt
    event.updated_dt = utcnow()
    if item.cancelled and event.status == EventStatus.PUBLISHED:
        event.status = EventStatus.CANCELLED


def index_event(event: Event) -> None:
    """Put a published (or cancelled) event in the site search; take others out."""
    from app.core.text import plain_text
    from app.network.operations import _search_api

    search_ops = _search_api()
    if search_ops is None:
        return
    if event.status not in (EventStatus.PUBLISHED, EventStatus.CANCELLED):
        search_ops.remove_document("event", event.id)
        return
    search_ops.index_document(
        "event",
        event.id,
        title=event.title,
        url=f"/reseau/agenda/{event.id}",
        body=" ".join(
            p for p in (plain_text(event.description), event.place, event.city,
                        event.organiser_name) if p
        ),
        summary=plain_text(event.description, 300),
        type=str(event.mode),
        theme_ids=[t.id for t in event.themes],
        territory=event.departement_code or None,
        date_dt=event.start_dt,
    )
