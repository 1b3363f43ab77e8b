"""Download counting after the IAB Podcast Measurement Guidelines 2.1.

A download counts once one listener — (IP truncated to /64 for IPv6, user agent) — has asked
for at least one minute of audio (plus the ID3 header) of an episode within a rolling 24 h
window. Bots and ``bytes=0-1`` probes are dropped. Listener keys are SHA-256 hashes salted with
a random daily salt; salts older than two days are deleted, after which no hash can be linked to
an address again. No raw IP is ever stored.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.podcasts.models import DownloadSalt, Episode, ListenerWindow

WINDOW = timedelta(hours=24)
MINUTE_S = 60

#: User agents of crawlers, monitors and scripts (after opawg/user-agents-v2's bot patterns).
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawler|crawl|spider|slurp|facebookexternalhit|whatsapp|headlesschrome|"
    r"python-requests|python-urllib|aiohttp|go-http-client|wget|curl/|libwww|java/|"
    r"okhttp/[0-9.]+$|httpclient|feedvalidator|feedfetcher|podcastindex|uptime|pingdom|"
    r"monitor|preview|lighthouse|\bscan",
    re.IGNORECASE,
)

#: (app name, user-agent pattern), first match wins; after opawg's player list.
APPS = (
    ("Apple Podcasts", re.compile(r"^Podcasts/|AppleCoreMedia|iTunes|Balados", re.I)),
    ("AntennaPod", re.compile(r"AntennaPod", re.I)),
    ("Pocket Casts", re.compile(r"PocketCasts|Pocket Casts", re.I)),
    ("Overcast", re.compile(r"Overcast", re.I)),
    ("gPodder", re.compile(r"gPodder", re.I)),
    ("Spotify", re.compile(r"Spotify", re.I)),
    ("Deezer", re.compile(r"Deezer", re.I)),
    ("Podcast Addict", re.compile(r"PodcastAddict", re.I)),
    ("Castro", re.compile(r"Castro", re.I)),
    ("Castbox", re.compile(r"CastBox", re.I)),
    ("Podverse", re.compile(r"Podverse", re.I)),
    ("Kasts", re.compile(r"Kasts", re.I)),
    ("Google Podcasts", re.compile(r"GSA/|Google-Podcast", re.I)),
    ("Lecteur web", re.compile(r"Mozilla/", re.I)),
)
OTHER_APP = "Autre"

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def is_bot(user_agent: str) -> bool:
    """Tell whether a user agent belongs to a crawler or script (empty agents count as bots)."""
    return not user_agent.strip() or bool(BOT_PATTERN.search(user_agent))


def app_name(user_agent: str) -> str:
    """Return the podcast app named by a user agent."""
    for name, pattern in APPS:
        if pattern.search(user_agent):
            return name
    return OTHER_APP


def truncate_ip(address: str) -> str:
    """Keep an IPv4 address whole and an IPv6 address to its /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the inclusive (first, last) bytes a request asks for, or None if unsatisfiable.

    No header means the whole file; multi-range requests are refused by the server (416), so
    they count as nothing here.
    """
    if size <= 0:
        return None
    if not header:
        return 0, size - 1
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last N bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n > 0 else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


def is_probe(first: int, last: int) -> bool:
    """Tell whether a range is a player probe (bytes=0-0 or 0-1), never a listen."""
    return first == 0 and last <= 1


def id3_header_size(head: bytes) -> int:
    """Return the size of an ID3v2 tag from the file's first ten bytes (0 when absent)."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def threshold_bytes(size: int, duration_s: float | None, header_bytes: int) -> int:
    """Return how many bytes make one minute of audio (the whole file when it is shorter)."""
    if not duration_s or duration_s <= MINUTE_S:
        return size
    audio_bytes = max(1, size - header_bytes)
    return min(size, header_bytes + int(audio_bytes * MINUTE_S / duration_s))


def merge_ranges(ranges: list[list[int]], new: tuple[int, int]) -> list[list[int]]:
    """Add an inclusive range to a merged list of ranges."""
    items = sorted([*map(list, ranges), [new[0], new[1]]])
    merged: list[list[int]] = []
    for first, last in items:
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def covered(ranges: list[list[int]]) -> int:
    """Return the number of distinct bytes in merged ranges."""
    return sum(last - first + 1 for first, last in ranges)


def salt_for(day: date, *, create: bool = True) -> str | None:
    """Return the salt of a day, creating it on first use."""
    row = db.session.get(DownloadSalt, day)
    if row is None and create:
        row = DownloadSalt(day=day, salt=secrets.token_hex(32))
        db.session.add(row)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:  # another request created it first
            db.session.rollback()
            row = db.session.get(DownloadSalt, day)
    return row.salt if row is not None else None


def listener_hash(salt: str, address: str, user_agent: str) -> str:
    """Hash a listener key with a salt."""
    data = f"{salt}|{truncate_ip(address)}|{user_agent}".encode()
    return hashlib.sha256(data).hexdigest()


def record_request(
    episode: Episode,
    *,
    address: str,
    user_agent: str,
    range_header: str | None,
    size: int,
    duration_s: float | None,
    header_bytes: int,
    now: datetime,
) -> bool:
    """Record one media request; return True when it completes a new download."""
    if is_bot(user_agent):
        return False
    requested = parse_range(range_header, size)
    if requested is None or is_probe(*requested):
        return False
    today = now.date()
    current = listener_hash(salt_for(today), address, user_agent)
    # A window opened yesterday was keyed with yesterday's salt: look for both hashes.
    hashes = [current]
    previous_salt = salt_for(today - timedelta(days=1), create=False)
    if previous_salt:
        hashes.append(listener_hash(previous_salt, address, user_agent))
    window = db.session.scalar(
        sa.select(ListenerWindow)
        .where(
            ListenerWindow.episode_id == episode.id,
            ListenerWindow.listener_hash.in_(hashes),
            ListenerWindow.started_dt > now - WINDOW,
        )
        .order_by(ListenerWindow.started_dt.desc())
        .limit(1)
    )
    if window is None:
        window = ListenerWindow(
            episode_id=episode.id,
            show_id=episode.show_id,
            listener_hash=current,
            app_name=app_name(user_agent),
            started_dt=now,
            ranges=[],
        )
        db.session.add(window)
    if window.counted_dt is not None:
        return False
    window.ranges = merge_ranges(window.ranges or [], requested)
    if covered(window.ranges) >= threshold_bytes(size, duration_s, header_bytes):
        window.counted_dt = now
        window.counted_day = today
        db.session.flush()
        return True
    db.session.flush()
    return False


def purge_old(now: datetime) -> None:
    """Delete salts older than two days and the ranges of closed windows (rotation)."""
    db.session.execute(
        sa.delete(DownloadSalt).where(DownloadSalt.day < now.date() - timedelta(days=1))
    )
    db.session.execute(
        sa.delete(ListenerWindow).where(
            ListenerWindow.counted_dt.is_(None), ListenerWindow.started_dt <= now - WINDOW
        )
    )
    db.session.flush()


def downloads_count(episode_id: int | None = None, show_id: int | None = None) -> int:
    """Return the number of counted downloads of an episode or a show."""
    query = sa.select(sa.func.count(ListenerWindow.id)).where(
        ListenerWindow.counted_dt.is_not(None)
    )
    if episode_id is not None:
        query = query.where(ListenerWindow.episode_id == episode_id)
    if show_id is not None:
        query = query.where(ListenerWindow.show_id == show_id)
    return db.session.scalar(query) or 0


def download_stats(*, episode_id: int | None = None, show_id: int | None = None) -> dict:
    """Return downloads per day and per app: {"days": [...], "apps": {...}, "total": n}."""
    query = sa.select(
        ListenerWindow.counted_day, ListenerWindow.app_name, sa.func.count(ListenerWindow.id)
    ).where(ListenerWindow.counted_dt.is_not(None))
    if episode_id is not None:
        query = query.where(ListenerWindow.episode_id == episode_id)
    if show_id is not None:
        query = query.where(ListenerWindow.show_id == show_id)
    rows = db.session.execute(
        query.group_by(ListenerWindow.counted_day, ListenerWindow.app_name)
    ).all()
    days: dict[str, int] = {}
    apps: dict[str, int] = {}
    for day, app, count in rows:
        days[day.isoformat()] = days.get(day.isoformat(), 0) + count
        apps[app] = apps.get(app, 0) + count
    ordered_days = sorted(days.items())
    return {
        "days": [{"day": d, "downloads": n} for d, n in ordered_days],
        "apps": [{"app": a, "downloads": n} for a, n in sorted(apps.items(), key=lambda x: -x[1])],
        "total": sum(days.values()),
    }
