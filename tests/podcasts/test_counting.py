"""Download counting after IAB 2.1: the reference's test vectors through the real media route."""

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from lxml import etree

from app.extensions import db
from app.podcasts import counting, operations
from app.podcasts.models import DownloadSalt, ListenerWindow

pytestmark = pytest.mark.ffmpeg
ANTENNAPOD = "AntennaPod/3.5.0"
APPLE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; fr_fr)"


@pytest.fixture
def episode_url(app, client, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    feed = client.get(urlsplit(operations.public_feed_url(show.slug)).path).data
    url = urlsplit(etree.fromstring(feed).find("channel/item/enclosure").get("url")).path
    return episode, url


def hit(client, url, *, ua=ANTENNAPOD, ip="203.0.113.7", range_=None):
    headers = {"User-Agent": ua}
    if range_:
        headers["Range"] = range_
    response = client.get(url, headers=headers, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code in (200, 206), response.status_code
    return response


def downloads(episode) -> int:
    return counting.downloads_count(episode_id=episode.id)


def byte_plan(episode, seconds: float) -> int:
    """Return the last byte covering the ID3 header plus `seconds` of audio."""
    file = episode.audio.file
    with open(_path(file), "rb") as fh:
        header = counting.id3_header_size(fh.read(10))
    per_second = (file.size - header) / episode.audio.duration_s
    return header + int(per_second * seconds)


def _path(file):
    from app.media.storage import get_storage

    return get_storage(file.backend).path(file.key)


def test_a_single_probe_counts_nothing(episode_url, client):
    episode, url = episode_url
    hit(client, url, range_="bytes=0-1")
    hit(client, url, range_="bytes=0-0")
    assert downloads(episode) == 0


def test_one_full_get_counts_one(episode_url, client):
    episode, url = episode_url
    hit(client, url)
    assert downloads(episode) == 1


def test_three_ranges_covering_ninety_seconds_count_once(episode_url, client):
    episode, url = episode_url
    end = byte_plan(episode, 90)
    third = end // 3
    hit(client, url, range_=f"bytes=0-{third}")
    assert downloads(episode) == 0
    hit(client, url, range_=f"bytes={third + 1}-{2 * third}")
    hit(client, url, range_=f"bytes={2 * third + 1}-{end}")
    assert downloads(episode) == 1


def test_three_ranges_under_one_minute_count_nothing(episode_url, client):
    episode, url = episode_url
    end = byte_plan(episode, 50)
    third = end // 3
    for first, last in ((0, third), (third + 1, 2 * third), (2 * third + 1, end)):
        hit(client, url, range_=f"bytes={first}-{last}")
    # Overlapping re-requests of the same bytes add nothing (Castopod's inverted sum would).
    hit(client, url, range_=f"bytes=0-{end}")
    assert downloads(episode) == 0


def test_a_bot_counts_nothing(episode_url, client):
    episode, url = episode_url
    for ua in (
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "curl/8.5.0",
        "python-requests/2.32",
        "",
    ):
        hit(client, url, ua=ua)
    assert downloads(episode) == 0


def test_same_listener_within_24h_counts_once_and_next_day_twice(episode_url, client, clock):
    episode, url = episode_url
    hit(client, url)
    clock.now += timedelta(hours=23)
    hit(client, url)
    assert downloads(episode) == 1
    clock.now += timedelta(hours=2)
    hit(client, url)
    assert downloads(episode) == 2


def test_listeners_differ_by_address_and_app(episode_url, client):
    episode, url = episode_url
    hit(client, url, ip="203.0.113.7")
    hit(client, url, ip="203.0.113.8")
    hit(client, url, ip="203.0.113.8", ua=APPLE)
    assert downloads(episode) == 3
    apps = {row["app"] for row in counting.download_stats(episode_id=episode.id)["apps"]}
    assert apps == {"AntennaPod", "Apple Podcasts"}


def test_ipv6_is_truncated_to_64_bits(episode_url, client):
    episode, url = episode_url
    half = byte_plan(episode, 40)
    hit(client, url, ip="2001:db8:1:2::aaaa", range_=f"bytes=0-{half}")
    hit(client, url, ip="2001:db8:1:2:ffff::1", range_=f"bytes={half + 1}-{2 * half}")
    assert downloads(episode) == 1
    assert counting.truncate_ip("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert counting.truncate_ip("192.0.2.1") == "192.0.2.1"


def test_a_window_spanning_midnight_still_counts_once(episode_url, client, clock):
    episode, url = episode_url
    clock.now = datetime(2026, 7, 1, 23, 50, tzinfo=UTC)
    half = byte_plan(episode, 40)
    hit(client, url, range_=f"bytes=0-{half}")
    clock.now += timedelta(minutes=20)  # the next day: a new salt
    hit(client, url, range_=f"bytes={half + 1}-{2 * half}")
    assert downloads(episode) == 1


def test_no_raw_ip_is_stored_and_salts_rotate(episode_url, client, clock):
    episode, url = episode_url
    hit(client, url, ip="198.51.100.23")
    rows = db.session.execute(sa.select(ListenerWindow)).scalars().all()
    assert rows and all("198.51.100.23" not in repr(vars(r)) for r in rows)
    assert all(len(r.listener_hash) == 64 for r in rows)
    clock.now += timedelta(days=3)
    hit(client, url, ip="198.51.100.23")
    counting.purge_old(clock.now)
    db.session.commit()
    days = db.session.scalars(sa.select(DownloadSalt.day)).all()
    assert days == [clock.now.date()]


def test_head_requests_count_nothing(episode_url, client):
    episode, url = episode_url
    client.head(url, headers={"User-Agent": ANTENNAPOD})
    assert downloads(episode) == 0


def test_parse_range_cases():
    assert counting.parse_range(None, 100) == (0, 99)
    assert counting.parse_range("bytes=10-", 100) == (10, 99)
    assert counting.parse_range("bytes=-10", 100) == (90, 99)
    assert counting.parse_range("bytes=200-", 100) is None
    assert counting.parse_range("bytes=0-5,10-20", 100) is None
    assert counting.is_probe(0, 1) and not counting.is_probe(0, 2)


def test_the_rotation_task_runs_in_a_worker(app, clock, episode_url, client):
    from celery.contrib.testing.worker import start_worker

    import workers.podcasts  # noqa: F401 - registers the task

    episode, url = episode_url
    hit(client, url)
    clock.now += timedelta(days=3)
    db.session.commit()
    celery = app.extensions["celery"]
    with start_worker(celery, pool="solo", perform_ping_check=False, queues=["short"]):
        celery.send_task("podcasts.rotate_salts", queue="short")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.rollback()
            if db.session.scalar(sa.select(sa.func.count(DownloadSalt.day))) == 0:
                break
            time.sleep(0.2)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(DownloadSalt.day))) == 0
    assert downloads(episode) == 1  # counted downloads are kept
