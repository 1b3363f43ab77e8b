"""Benchmark the podcast feed: SQL queries, cold build cost and cached serving cost.

    .venv/bin/python bench/feeds.py [--episodes 1000] [--repeat 30]

Uses a throw-away SQLite database and storage in a temporary folder (or BENCH_DATABASE_URL, e.g.
postgresql+psycopg://postgres@127.0.0.1/cc_podcasts). Prints:
- SQL queries per feed request for 10 and N episodes (cold build and cached);
- the cold build time of our feed (rows → validated builder → bytes) against a bare feedgen
  build of the same data, and their ratio;
- the cached feed response time against serving a static file of the same size, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from feedgen.feed import FeedGenerator  # noqa: E402
from flask import send_file  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind  # noqa: E402
from app.media.operations import store_file  # noqa: E402
from app.podcasts import operations, syndication  # noqa: E402
from bench.common import report
from feeds.podcast import build_podcast_feed  # noqa: E402

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def make_mp3(folder: Path) -> Path:
    path = folder / "tone.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-ac",
            "1",
            "-b:a",
            "32k",
            str(path),
        ],
        check=True,
    )
    return path


def fill_show(slug: str, episodes: int, mp3: Path):
    show = operations.create_show(
        slug=slug,
        title=f"Banc d'essai {episodes}",
        description="Un **banc** d'essai.",
        apple_category="Arts",
        apple_subcategory="Food",
        now=T0,
    )
    for n in range(1, episodes + 1):
        with open(mp3, "rb") as fh:
            stored = store_file(fh, "edition.mp3", prefix="bench", content_type="audio/mpeg")
        asset = MediaAsset(
            title=f"A{n}",
            kind=AssetKind.AUDIO,
            status=AssetStatus.READY,
            duration_s=2.0,
            ready_dt=T0,
            chapters=[{"start": 0, "title": "Début"}, {"start": 1, "title": "Fin"}],
        )
        asset.renditions.append(
            Rendition(kind=RenditionKind.AUDIO_EDITION, file=stored, duration_s=2.0, bitrate=32000)
        )
        db.session.add(asset)
        operations.publish_episode(
            show,
            title=f"Épisode {n} & co",
            asset=asset,
            description=f"Résumé de l'épisode {n}.",
            pub_dt=T0 + timedelta(hours=n),
            source=("bench", n),
            now=T0,
        )
    db.session.commit()
    return show


def count_queries(client, url: str) -> int:
    seen = []

    def listener(*args):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def bare_feedgen(items: list[dict]) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.title("Banc d'essai")
    fg.description("Un banc d'essai.")
    fg.link(href="https://example.org/")
    fg.language("fr")
    for item in items:
        fe = fg.add_entry(order="append")
        fe.guid(item["guid"], permalink=False)
        fe.title(item["title"])
        fe.description(item["description"])
        fe.enclosure(item["url"], str(item["length"]), item["mime"])
        fe.pubDate(item["pub_dt"])
        fe.podcast.itunes_duration(round(item["duration"]))
    return fg.rss_str()


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def timed_pairs(first, second, repeat: int) -> tuple[float, float, float]:
    """Time two functions alternately; return their medians and the median of the ratios.

    Alternating keeps a load change on a shared machine from landing on one side only.
    """
    a, b = [], []
    for _ in range(repeat):
        for fn, samples in ((first, a), (second, b)):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return statistics.median(a), statistics.median(b), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    os.environ["FLASK_INSTANCE_PATH"] = str(folder / "instance")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SERVER_NAME": "localhost",
            "SQLALCHEMY_DATABASE_URI": os.environ.get("BENCH_DATABASE_URL")
            or f"sqlite:///{folder / 'bench.db'}",
            "STORAGE": {"backend": "local", "root": str(folder / "media")},
            "CELERY": {"broker_url": "memory://"},
        }
    )
    static_path = folder / "static-feed.xml"
    app.add_url_rule(
        "/bench-static.xml",
        "bench_static",
        lambda: send_file(static_path, mimetype="application/rss+xml", conditional=True),
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        mp3 = make_mp3(folder)
        small = fill_show("bench-10", 10, mp3)
        large = fill_show("bench-big", args.episodes, mp3)
        app.extensions["podcasts"]["clock"] = lambda: T0 + timedelta(days=365)
        client = app.test_client()
        urls = {n: f"/feeds/{show.slug}.xml" for n, show in ((10, small), (args.episodes, large))}

        print(f"SQL queries per feed request ({db.engine.dialect.name})")
        for n, url in urls.items():
            cold = count_queries(client, url)
            warm = count_queries(client, url)
            print(f"  {n:>5} episodes: cold build {cold:>2} queries, cached {warm:>2} queries")
            report(f"SQL queries, cold feed of {n} episodes", cold, "queries")

        now = app.extensions["podcasts"]["clock"]()
        with app.test_request_context():
            show = db.session.get(type(large), large.id)
            stamp = syndication.feed_stamp(show, now)

            def ours():
                db.session.expire_all()
                return syndication._build(show, None, stamp, now)

            built = ours()
            rows = syndication.load_feed_rows(show, now)
            item_urls = syndication.FeedUrls(show)
            items = [
                {
                    "guid": row.guid,
                    "title": row.title,
                    "description": row.description,
                    "url": item_urls.media(row.id, row.renditions["audio_edition"]),
                    "length": row.renditions["audio_edition"].size,
                    "mime": row.renditions["audio_edition"].content_type,
                    "pub_dt": row.pub_dt,
                    "duration": row.renditions["audio_edition"].duration_s,
                }
                for row in rows
            ]

            def parts():
                db.session.expire_all()
                t0 = time.perf_counter()
                rows = syndication.load_feed_rows(show, now)
                t1 = time.perf_counter()
                feed_urls = syndication.FeedUrls(show)
                inputs = [syndication.feed_episode_input(row, feed_urls) for row in rows]
                t2 = time.perf_counter()
                build_podcast_feed(syndication.show_input(show, now), inputs, now)
                return t1 - t0, t2 - t1, time.perf_counter() - t2

            split = [parts() for _ in range(3)]
            load_s, input_s, build_s = (statistics.median(x) for x in zip(*split, strict=True))
            ours_s, bare_s, ratio = timed_pairs(ours, lambda: bare_feedgen(items), args.repeat)
        print(f"Cold build of {args.episodes} episodes ({len(built.body) / 1024:.0f} KiB)")
        print(f"  ours (load rows + validate + build): {ours_s * 1000:8.1f} ms")
        print(f"  bare feedgen from in-memory data:    {bare_s * 1000:8.1f} ms")
        print(f"  ratio ours / bare (median of pairs): {ratio:8.2f}")
        report("feed cold build vs bare feedgen", ours_s * 1000, "ms", baseline=bare_s * 1000)
        print(f"    of which: load rows {load_s * 1000:.0f} ms, rows → builder input "
              f"{input_s * 1000:.0f} ms, validated build {build_s * 1000:.0f} ms "
              f"(the builder alone is {build_s / bare_s:.2f} × bare)")

        static_path.write_bytes(client.get(urls[args.episodes]).data)

        def cached():
            response = client.get(urls[args.episodes])
            assert response.status_code == 200
            response.close()

        def static():
            response = client.get("/bench-static.xml")
            assert response.status_code == 200
            response.get_data()
            response.close()

        cached()
        static()
        cached_s = timed(cached, args.repeat)
        static_s = timed(static, args.repeat)
        print(
            f"Cached response ({static_path.stat().st_size / 1024:.0f} KiB, median of "
            f"{args.repeat})"
        )
        print(f"  cached feed:  {cached_s * 1000:8.2f} ms")
        print(f"  static file:  {static_s * 1000:8.2f} ms")
        print(f"  ratio feed / static: {cached_s / static_s:8.2f}")
        report("cached feed vs static file", cached_s * 1000, "ms", baseline=static_s * 1000)
        # Without the few seconds' trust in the last stamp: one aggregate query per request.
        app.extensions["podcasts"]["feed_cache"].stamp_ttl_s = 0
        strict_s = timed(cached, args.repeat)
        print(f"  cached feed, stamp checked every time: {strict_s * 1000:8.2f} ms "
              f"(ratio to static {strict_s / static_s:.2f})")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
