"""Reading partners' .ics feeds: a conditional, size-capped HTTP GET and a tolerant parser.

Pure functions (no Flask, no database): a feed is untrusted input, so every event is checked on
its own; valid events come out, the rest become report lines, and nothing raises on bad data.
Reasons are :class:`~app.core.i18n.Message` objects: the worker stores them and moderators read
them in their own language.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import SplitResult, urljoin, urlsplit
from zoneinfo import ZoneInfo

from app.core.i18n import Message

PARIS = ZoneInfo("Europe/Paris")
#: Longest event accepted (a fair over a few weeks, not a year-long placeholder).
MAX_DURATION = timedelta(days=60)


class FeedFetchError(Exception):
    """The feed could not be fetched (network, HTTP error, too large); the message says why."""

    @property
    def reason(self) -> Message | str:
        """The message as raised (a Message stays translatable once stored)."""
        return _reason(self)


def _reason(exc: Exception) -> Message | str:
    if exc.args and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)[:300] or type(exc).__name__


def _short(text: str | None, limit: int = 120) -> str:
    """Cut a value quoted in a reason (reasons are stored in columns of limited size)."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FeedAddressError(FeedFetchError):
    """The feed (or a redirect) points where we never connect: internal address, other scheme."""


@dataclass(frozen=True)
class FetchResult:
    status: int  # 200, or 304 when unchanged
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


USER_AGENT = "CircuitsCourts-Agenda/1.0 (+https://circuits-courts.openfoodfrance.fr)"
#: Redirects followed at most (each hop is checked like the first URL).
MAX_REDIRECTS = 3
REDIRECT_CODES = (301, 302, 303, 307, 308)
#: NAT64 prefix: its addresses reach the IPv4 address in their last 32 bits.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: Kinds of address refused whatever the settings, and those NETWORK_FEED_ALLOW_PRIVATE allows.
ALWAYS_REFUSED = {
    "unspecified": Message("adresse non spécifiée"),
    "multicast": Message("adresse de multidiffusion (multicast)"),
    "link-local": Message("adresse lien-local (link-local)"),
    "reserved": Message("adresse réservée"),
}
PRIVATE_KINDS = {
    "loopback": Message("adresse de bouclage (loopback)"),
    "private": Message("adresse de réseau privé"),
    "non-global": Message("adresse non publique"),
}


def address_kind(address: str) -> str | None:
    """Return why an IP address is not a public one ("loopback", "private"…), or None.

    Addresses embedding an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64) are judged on it.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(str(embedded))
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-global"
    return None


def check_address(address: str, *, allow_private: bool = False) -> None:
    """Raise FeedAddressError if a feed may not be fetched from this IP address."""
    kind = address_kind(address)
    if kind is None or (allow_private and kind in PRIVATE_KINDS):
        return
    label = ALWAYS_REFUSED.get(kind) or PRIVATE_KINDS[kind]
    raise FeedAddressError(
        Message("adresse interne refusée : %(address)s (%(kind)s)", address=address, kind=label)
    )


def resolve_feed_url(url: str, *, allow_private: bool = False) -> tuple[SplitResult, list]:
    """Check a feed URL and resolve its host; return the URL parts and the checked addresses.

    Every address the name resolves to must be acceptable (a name answering one public and one
    internal address is refused): the caller connects only to these checked addresses.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FeedAddressError(
            Message("adresse invalide : %(url)s", url=_short(repr(url)))
        ) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise FeedAddressError(
            Message(
                "seules les adresses http(s) sont lues, pas %(scheme)s://",
                scheme=_short(parts.scheme) or Message("(sans schéma)"),
            )
        )
    host = parts.hostname
    if not host:
        raise FeedAddressError(Message("adresse sans nom d'hôte : %(url)s", url=_short(repr(url))))
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FeedFetchError(
            Message(
                "nom d'hôte introuvable : %(host)s (%(error)s)",
                host=_short(host),
                error=_short(str(exc)),
            )
        ) from exc
    if not infos:
        raise FeedFetchError(Message("nom d'hôte introuvable : %(host)s", host=_short(host)))
    for info in infos:
        check_address(info[4][0], allow_private=allow_private)
    return parts, infos


def _connect(infos: list, timeout: float, allow_private: bool) -> socket.socket:
    """Open a TCP connection to one of the checked addresses; re-check the peer's address."""
    last_error: OSError | None = None
    for family, type_, proto, _name, sockaddr in infos:
        sock = socket.socket(family, type_, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            check_address(sock.getpeername()[0], allow_private=allow_private)
            return sock
        except FeedAddressError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            last_error = exc
    raise last_error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand (DNS is not asked again)."""

    def __init__(self, host, port, *, infos, allow_private, timeout):
        super().__init__(host, port, timeout=timeout)
        self._infos, self._allow_private = infos, allow_private

    def connect(self):
        self.sock = _connect(self._infos, self.timeout, self._allow_private)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address, verifying the certificate for the host name."""

    def __init__(self, host, port, *, infos, allow_private, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._infos, self._allow_private, self._ssl_context = infos, allow_private, context

    def connect(self):
        sock = _connect(self._infos, self.timeout, self._allow_private)
        try:
            self.sock = self._ssl_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 2 * 1024 * 1024,
    timeout: float = 20,
    allow_private: bool = False,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """GET a feed with If-None-Match / If-Modified-Since; refuse bodies over max_bytes.

    Only http(s) URLs whose host resolves to public addresses are read (loopback and private
    networks too when allow_private); the connection goes to the checked address, and redirects
    (at most MAX_REDIRECTS) are followed by hand with the same checks.
    """
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _hop in range(MAX_REDIRECTS + 1):
        parts, infos = resolve_feed_url(url, allow_private=allow_private)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        if parts.scheme.lower() == "https":
            connection = _PinnedHTTPSConnection(
                parts.hostname, port, infos=infos, allow_private=allow_private,
                timeout=timeout, context=ssl_context or ssl.create_default_context(),
            )
        else:
            connection = _PinnedHTTPConnection(
                parts.hostname, port, infos=infos, allow_private=allow_private,
                timeout=timeout,
            )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            if response.status in REDIRECT_CODES:
                location = response.getheader("Location")
                if not location:
                    raise FeedFetchError(
                        Message("HTTP %(status)s sans en-tête Location", status=response.status)
                    )
                url = urljoin(url, location.strip())
                continue
            if response.status == 304:
                return FetchResult(status=304, etag=etag, last_modified=last_modified)
            if response.status != 200:
                # Status and reason phrase are protocol words: no sentence to translate.
                raise FeedFetchError(f"HTTP {response.status} {_short(response.reason)}")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FeedFetchError(
                    Message(
                        "fichier trop volumineux : %(size)s octets (limite %(limit)s)",
                        size=_short(declared),
                        limit=max_bytes,
                    )
                )
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FeedFetchError(
                    Message(
                        "fichier trop volumineux : plus de %(limit)s octets", limit=max_bytes
                    )
                )
            return FetchResult(
                status=200,
                body=body,
                etag=response.getheader("ETag"),
                last_modified=response.getheader("Last-Modified"),
            )
        except FeedFetchError:
            raise
        except (http.client.HTTPException, ssl.SSLError, TimeoutError, OSError) as exc:
            raise FeedFetchError(
                Message("serveur injoignable : %(error)s", error=_short(str(exc)))
            ) from exc
        finally:
            connection.close()
    raise FeedFetchError(Message("trop de redirections (plus de %(max)s)", max=MAX_REDIRECTS))


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
    #: False when the file could not be read whole (unreadable, not a calendar, truncated): the
    #: events missing from it may still be in the partner's calendar.
    complete: bool = True
    #: Every UID the file lists, valid events or not (what the partner still publishes).
    uids: set[str] = field(default_factory=set)


def parse_feed(data: bytes, *, max_events: int = 2000) -> ParseResult:
    """Parse an .ics file into valid events and a list of problems; never raises on bad input."""
    result = ParseResult()
    try:
        from icalendar import Calendar  # loaded by the worker that reads feeds, not the web

        calendar = Calendar.from_ical(data)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not a calendar"
        reason = Message("fichier illisible : %(error)s", error=_short(str(exc)))
        result.problems.append({"uid": None, "reason": reason})
        result.complete = False
        return result
    if getattr(calendar, "name", "") != "VCALENDAR":
        result.problems.append(
            {"uid": None, "reason": Message("fichier illisible : pas de VCALENDAR")}
        )
        result.complete = False
        return result
    seen: set[str] = set()
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID") or "").strip()[:300]
        if len(result.events) >= max_events:
            result.problems.append({"uid": uid or None, "reason": Message("trop d'évènements")})
            result.complete = False
            break
        if uid:
            result.uids.add(uid)
        if not uid:
            result.problems.append({"uid": None, "reason": Message("évènement sans UID")})
            continue
        if uid in seen:
            result.problems.append(
                {"uid": uid, "reason": Message("UID en double dans le fichier")}
            )
            continue
        try:
            event = _parse_event(component, uid)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            result.problems.append({"uid": uid, "reason": _reason(exc)})
            continue
        seen.add(uid)
        result.events.append(event)
    return result


def _parse_event(component, uid: str) -> ParsedEvent:
    if getattr(component, "errors", None):
        errors = "; ".join(str(e[0]) for e in component.errors)
        raise ValueError(Message("propriété illisible : %(names)s", names=_short(errors)))
    title = str(component.get("SUMMARY") or "").strip()
    if not title:
        raise ValueError(Message("évènement sans titre (SUMMARY)"))
    if "DTSTART" not in component:
        raise ValueError(Message("évènement sans date de début (DTSTART)"))
    raw_start = component.decoded("DTSTART")
    start, tzid = _aware(raw_start, component["DTSTART"])
    if "DTEND" in component:
        end, _tz = _aware(component.decoded("DTEND"), component["DTEND"])
    elif "DURATION" in component:
        duration = component.decoded("DURATION")
        if not isinstance(duration, timedelta):
            raise ValueError(Message("DURATION invalide"))
        end = start + duration
    elif isinstance(raw_start, date) and not isinstance(raw_start, datetime):
        end = start + timedelta(days=1)
    else:
        end = start + timedelta(hours=1)
    if end <= start:
        raise ValueError(Message("la fin précède le début"))
    if end - start > MAX_DURATION:
        raise ValueError(Message("durée supérieure à %(days)s jours", days=MAX_DURATION.days))
    sequence = int(component.get("SEQUENCE", 0) or 0)
    if sequence < 0:
        raise ValueError(Message("SEQUENCE négative"))
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
            raise ValueError(Message("date hors limites : %(date)s", date=value.isoformat()))
        return value.astimezone(UTC), tzid
    if isinstance(value, date):
        if value.year < 1970 or value.year > 2200:
            raise ValueError(Message("date hors limites : %(date)s", date=value.isoformat()))
        return datetime(value.year, value.month, value.day, tzinfo=PARIS).astimezone(UTC), (
            "Europe/Paris"
        )
    raise ValueError(Message("date invalide : %(value)s", value=_short(repr(value))))
