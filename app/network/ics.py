"""Reading partners' .ics feeds: a conditional, size-capped HTTP GET and a tolerant parser.

Pure functions (no Flask, no database): a feed is untrusted input, so every event is checked on
its own; valid events come out, the rest become report lines, and nothing raises on bad data.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

PARIS = ZoneInfo("Europe/Paris")
#: Longest event accepted (a fair over a few weeks, not a year-long placeholder).
MAX_DURATION = timedelta(days=60)


class FeedFetchError(Exception):
    """The feed could not be fetched (network, HTTP error, too large); the message says why."""


@dataclass(frozen=True)
class FetchResult:
    status: int  # 200, or 304 when unchanged
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 2 * 1024 * 1024,
    timeout: float = 20,
) -> FetchResult:
    """GET a feed with If-None-Match / If-Modified-Since; refuse bodies over max_bytes."""
    if not url.lower().startswith(("http://", "https://")):
        raise FeedFetchError(f"only http(s) feeds are fetched, not {url!r}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        headers={
            "User-Agent": "CircuitsCourts-Agenda/1.0 (+https://circuits-courts.openfoodfrance.fr)",
            "Accept": "text/calendar, */*;q=0.5",
        },
    )
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FeedFetchError(f"feed too large: {declared} bytes (limit {max_bytes})")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FeedFetchError(f"feed too large: more than {max_bytes} bytes")
            return FetchResult(
                status=response.status,
                body=body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return FetchResult(status=304, etag=etag, last_modified=last_modified)
        raise FeedFetchError(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FeedFetchError(f"unreachable: {getattr(exc, 'reason', exc)}") from exc


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    title: str
    start_dt: datetime  # aware, UTC
    end_dt: datetime  # aware, UTC
    tzid: str
    description: str = ""
    place: str = ""
    link: str = ""
    sequence: int = 0
    last_modified_dt: datetime | None = None
    cancelled: bool = False
    online: bool = False


@dataclass
class ParseResult:
    events: list[ParsedEvent] = field(default_factory=list)
    #: What was rejected: [{"uid": str | None, "reason": str}].
    problems: list[dict] = field(default_factory=list)


def parse_feed(data: bytes, *, max_events: int = 2000) -> ParseResult:
    """Parse an .ics file into valid events and a list of problems; never raises on bad input."""
    result = ParseResult()
    try:
        calendar = Calendar.from_ical(data)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not a calendar"
        result.problems.append({"uid": None, "reason": f"fichier illisible : {exc}"[:300]})
        return result
    seen: set[str] = set()
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID") or "").strip()[:300]
        if len(result.events) >= max_events:
            result.problems.append({"uid": uid or None, "reason": "trop d'évènements"})
            break
        if not uid:
            result.problems.append({"uid": None, "reason": "évènement sans UID"})
            continue
        if uid in seen:
            result.problems.append({"uid": uid, "reason": "UID en double dans le fichier"})
            continue
        try:
            event = _parse_event(component, uid)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            result.problems.append({"uid": uid, "reason": str(exc)[:300] or type(exc).__name__})
            continue
        seen.add(uid)
        result.events.append(event)
    return result


def _parse_event(component, uid: str) -> ParsedEvent:
    if getattr(component, "errors", None):
        raise ValueError("propriété illisible : " + "; ".join(str(e[0]) for e in component.errors))
    title = str(component.get("SUMMARY") or "").strip()
    if not title:
        raise ValueError("évènement sans titre (SUMMARY)")
    if "DTSTART" not in component:
        raise ValueError("évènement sans date de début (DTSTART)")
    raw_start = component.decoded("DTSTART")
    start, tzid = _aware(raw_start, component["DTSTART"])
    if "DTEND" in component:
        end, _tz = _aware(component.decoded("DTEND"), component["DTEND"])
    elif "DURATION" in component:
        duration = component.decoded("DURATION")
        if not isinstance(duration, timedelta):
            raise ValueError("DURATION invalide")
        end = start + duration
    elif isinstance(raw_start, date) and not isinstance(raw_start, datetime):
        end = start + timedelta(days=1)
    else:
        end = start + timedelta(hours=1)
    if end <= start:
        raise ValueError("la fin précède le début")
    if end - start > MAX_DURATION:
        raise ValueError("durée supérieure à 60 jours")
    sequence = int(component.get("SEQUENCE", 0) or 0)
    if sequence < 0:
        raise ValueError("SEQUENCE négative")
    modified = None
    if "LAST-MODIFIED" in component:
        modified, _tz = _aware(component.decoded("LAST-MODIFIED"), component["LAST-MODIFIED"])
    link = str(component.get("URL") or "").strip()
    if link and not link.lower().startswith(("http://", "https://")):
        link = ""
    location = str(component.get("LOCATION") or "").strip()
    online = location.lower().startswith(("http://", "https://"))
    if online and not link:
        link = location
    return ParsedEvent(
        uid=uid,
        title=title[:250],
        start_dt=start,
        end_dt=end,
        tzid=tzid,
        description=str(component.get("DESCRIPTION") or "")[:20000],
        place="" if online else location[:300],
        link=link[:1000],
        sequence=sequence,
        last_modified_dt=modified,
        cancelled=str(component.get("STATUS") or "").upper() == "CANCELLED",
        online=online,
    )


def _aware(value, prop) -> tuple[datetime, str]:
    """Return (UTC datetime, tzid) for a DTSTART-like value: floating and all-day mean Paris."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=PARIS)
        tzid = str(prop.params.get("TZID") or getattr(value.tzinfo, "key", None) or "UTC")
        try:
            ZoneInfo(tzid)
        except (KeyError, ValueError):
            tzid = "Europe/Paris"
        if value.year < 1970 or value.year > 2200:
            raise ValueError(f"date hors limites : {value.isoformat()}")
        return value.astimezone(UTC), tzid
    if isinstance(value, date):
        if value.year < 1970 or value.year > 2200:
            raise ValueError(f"date hors limites : {value.isoformat()}")
        return datetime(value.year, value.month, value.day, tzinfo=PARIS).astimezone(UTC), (
            "Europe/Paris"
        )
    raise ValueError(f"date invalide : {value!r}")
