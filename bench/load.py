"""Load: listeners and visitors against gunicorn, next to static files served the same way.

    .venv/bin/python bench/load.py                       # 60 s, 200 listeners, 50 visitors
    .venv/bin/python bench/load.py --seconds 10 --listeners 20 --visitors 5

A throw-away instance (FLASK_INSTANCE_PATH in a temporary folder, SQLite unless --database-url)
gets the schema (``flask db upgrade``; ``db.create_all()`` when the migrations lag behind the
models, which the report says), the demo (``flask demo load --no-media``) and, when the podcasts
feature exists, a few generated episodes with real MP3 enclosures. Gunicorn serves it with several
workers on a free loopback port. Then, for ``--seconds``:

- listeners fetch a podcast feed, then ranged parts of its enclosures (as podcast apps do);
- visitors browse the course catalogue and course pages (other doors when there is no course yet).

URLs are discovered at run time (OPML, feeds, catalogue links). The same clients then run
against static files of similar size served by the same gunicorn: that is the baseline of each
figure. Everything stays on 127.0.0.1 and stops by itself; any error makes the exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentiles, report  # noqa: E402

#: Bytes asked by each ranged request (podcast players read in chunks of this order).
RANGE_BYTES = 128 * 1024
#: Generated episodes: duration and bitrate give ~2.4 MB MP3 enclosures.
EPISODES, EPISODE_SECONDS, EPISODE_BITRATE = 3, 300, "64k"
COURSE_LINK = re.compile(r'href="(/se-former/(?!gestion|mon-espace|proposer|calendrier|ajouter)'
                         r'[a-z0-9-]+)"')
SESSION_LINK = re.compile(r'href="(/se-former/[a-z0-9-]+/seances/\d+)"')


# --------------------------------------------------------------------------- instance
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=600,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return done


def prepare_instance(env: dict) -> str:
    """Build the schema and load the demo; return how the schema was made."""
    how = "flask db upgrade"
    upgrade = flask(env, "db", "upgrade", check=False)
    current = upgrade.returncode == 0 and flask(env, "db", "check", check=False).returncode == 0
    if not current:
        # The lead regenerates migrations from the models at integration; until then they lag.
        how = "db.create_all() (migrations not up to date with the models)"
        database = env.get("FLASK_SQLALCHEMY_DATABASE_URI")
        if not database:
            Path(env["FLASK_INSTANCE_PATH"], "circuits-courts.db").unlink(missing_ok=True)
        code = (
            "from app import create_app; from app.extensions import db\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    db.drop_all(); db.create_all()\n"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=300)
    flask(env, "demo", "load", "--no-media")
    subprocess.run([sys.executable, __file__, "--seed"], cwd=ROOT, env=env, check=True,
                   timeout=600)  # fmt: skip
    return how


def seed() -> None:
    """Add what the demo without media lacks: episodes with real enclosures, a few courses."""
    from app import FEATURES, create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        if "app.podcasts" in FEATURES:
            _seed_episodes(app)
        if "app.courses" in FEATURES:
            _seed_courses()
        db.session.commit()


def _seed_episodes(app) -> None:
    from datetime import timedelta

    from app.core.db import utcnow
    from app.extensions import db
    from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
    from app.media.operations import store_file
    from app.podcasts import operations

    shows = operations.list_public_shows()
    show = shows[0] if shows else operations.create_show(
        slug="banc-d-essai", title="Banc d'essai", apple_category="Education",
        apple_subcategory="Courses",
    )
    with tempfile.TemporaryDirectory() as work:
        mp3 = Path(work, "episode.mp3")
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             f"sine=frequency=330:duration={EPISODE_SECONDS}:sample_rate=44100", "-ac", "1",
             "-c:a", "libmp3lame", "-b:a", EPISODE_BITRATE, str(mp3)],
            check=True,
        )  # fmt: skip
        for n in range(1, EPISODES + 1):
            with mp3.open("rb") as fh:
                stored = store_file(fh, "episode.mp3", prefix="bench/audio",
                                    content_type="audio/mpeg")  # fmt: skip
            asset = MediaAsset(
                title=f"Épisode de charge {n}", kind=AssetKind.AUDIO, status=AssetStatus.READY,
                duration_s=float(EPISODE_SECONDS), ready_dt=utcnow(), is_public=True,
            )
            asset.renditions.append(Rendition(
                kind=RenditionKind.AUDIO_EDITION, file=stored,
                duration_s=float(EPISODE_SECONDS), bitrate=64_000,
            ))  # fmt: skip
            db.session.add(asset)
            db.session.flush()
            operations.publish_episode(
                show, title=f"Épisode de charge {n}", asset=asset,
                description="Un épisode généré pour la mesure de charge.",
                pub_dt=utcnow() - timedelta(hours=n), source=("bench", n), number=100 + n,
            )
    print(f"seed: {EPISODES} episodes on {show.slug}", flush=True)


def _seed_courses() -> None:
    import sqlalchemy as sa

    from app.courses import operations
    from app.courses.models import Course, CourseStatus

    published = sa.select(sa.func.count()).select_from(Course).where(
        Course.status == CourseStatus.PUBLISHED
    )
    from app.extensions import db

    if db.session.scalar(published):
        return
    for title in ("Vendre en circuit court", "Fixer ses prix", "Logistique partagée"):
        course = operations.create_course(title=title, created_by=None)
        operations.publish_course(course)
    print("seed: 3 courses (the demo had none)", flush=True)


class Server:
    """Gunicorn serving the app on a loopback port."""

    def __init__(self, env: dict, port: int, workers: int, threads: int):
        self.port = port
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers),
             "--worker-class", "gthread", "--threads", str(threads), "--bind",
             f"127.0.0.1:{self.port}", "--log-level", "warning", "--backlog", "2048",
             "--keep-alive", "5", "app:create_app()"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited while starting")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------- discovery
@dataclass
class Targets:
    feeds: list[str] = field(default_factory=list)
    #: (url, size) of each enclosure.
    enclosures: list[tuple[str, int]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    sizes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)


def _local(base: str, url: str) -> str:
    """Point an absolute URL of the app at the server under test (same path and query)."""
    parts = urlsplit(urljoin(base + "/", url))
    return f"{base}{parts.path}" + (f"?{parts.query}" if parts.query else "")


async def discover(session, base: str) -> Targets:
    found = Targets()
    async with session.get(f"{base}/feeds/shows.opml") as resp:
        opml = await resp.read() if resp.status == 200 else b""
    if opml:
        for outline in ET.fromstring(opml).iter("outline"):  # noqa: S314 - our own output
            if outline.get("xmlUrl"):
                found.feeds.append(_local(base, outline.get("xmlUrl")))
    for feed in found.feeds:
        async with session.get(feed) as resp:
            body = await resp.read()
        found.sizes["feed"].append(len(body))
        for enclosure in ET.fromstring(body).iter("enclosure"):  # noqa: S314
            found.enclosures.append((_local(base, enclosure.get("url")),
                                     int(enclosure.get("length") or 0)))  # fmt: skip
    if not found.feeds:
        found.notes.append("no podcast feed: listeners skipped")

    async def page(url: str) -> str | None:
        async with session.get(url) as resp:
            if resp.status != 200 or "text/html" not in resp.headers.get("Content-Type", ""):
                return None
            body = await resp.read()
        found.sizes["page"].append(len(body))
        found.pages.append(url)
        return body.decode("utf-8", "replace")

    catalogue = await page(f"{base}/se-former/")
    courses = sorted(set(COURSE_LINK.findall(catalogue or "")))
    for path in courses[:10]:
        html = await page(base + path)
        for session_path in sorted(set(SESSION_LINK.findall(html or "")))[:3]:
            await page(base + session_path)
    if not courses:
        found.notes.append("no course in the catalogue: visitors browse the other doors")
        for path in ("/", "/ecouter/", "/se-documenter/", "/reseau/"):
            await page(base + path)
    return found


def static_files() -> list[tuple[str, int]]:
    """Return (URL path, size) of every file the app serves under /static/."""
    folder = ROOT / "app" / "static"
    return sorted(
        (f"/static/{p.relative_to(folder).as_posix()}", p.stat().st_size)
        for p in folder.rglob("*") if p.is_file()
    )


def closest_static(size: int) -> str:
    return min(static_files(), key=lambda item: abs(item[1] - size))[0]


# --------------------------------------------------------------------------- load
@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int | str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0

    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values())


async def fetch(session, results: Results, kind: str, url: str, expected: int, headers=None):
    start = time.perf_counter()
    try:
        async with session.get(url, headers=headers, allow_redirects=False) as resp:
            body = await resp.read()
            status = resp.status
    except Exception as exc:  # noqa: BLE001 - every failure is a figure here
        results.statuses[kind][type(exc).__name__] += 1
        results.errors.append(f"{kind} {url}: {type(exc).__name__} {exc}")
        return
    results.latencies[kind].append((time.perf_counter() - start) * 1000)
    results.statuses[kind][status] += 1
    results.bytes += len(body)
    if status != expected:
        results.errors.append(f"{kind} {url}: HTTP {status}")


async def listener(session, results, deadline, feeds, enclosures, rng):
    while time.monotonic() < deadline:
        await fetch(session, results, "feed", rng.choice(feeds), 200)
        url, size = rng.choice(enclosures)
        for _ in range(rng.randint(1, 3)):
            if time.monotonic() >= deadline:
                break
            length = min(RANGE_BYTES, size)
            first = rng.randrange(0, max(1, size - length))
            headers = {"Range": f"bytes={first}-{first + length - 1}"}
            await fetch(session, results, "enclosure", url, 206, headers)


async def visitor(session, results, deadline, pages, rng):
    while time.monotonic() < deadline:
        await fetch(session, results, "page", rng.choice(pages), 200)


async def drive(plan: dict, listeners: int, visitors: int, seconds: float) -> Results:
    import aiohttp

    results = Results()
    rng = random.Random(7)
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        deadline = time.monotonic() + seconds
        tasks = []
        if plan["feeds"] and plan["enclosures"]:
            for i in range(listeners):
                tasks.append(listener(session, results, deadline, plan["feeds"],
                                      plan["enclosures"], random.Random(rng.random() + i)))
        if plan["pages"]:
            for i in range(visitors):
                tasks.append(visitor(session, results, deadline, plan["pages"],
                                     random.Random(rng.random() + 1000 + i)))
        start = time.monotonic()
        await asyncio.gather(*tasks)
        results.seconds = time.monotonic() - start
    return results


def baseline_plan(base: str, targets: Targets) -> dict:
    """The same shape of traffic, every URL replaced by a static file of similar size."""

    def median(values):
        return sorted(values)[len(values) // 2] if values else 0

    feed_static = base + closest_static(median(targets.sizes["feed"]))
    page_static = base + closest_static(median(targets.sizes["page"]))
    largest_path, largest_size = max(static_files(), key=lambda item: item[1])
    return {
        "feeds": [feed_static] if targets.feeds else [],
        "enclosures": [(base + largest_path, largest_size)] if targets.enclosures else [],
        "pages": [page_static] if targets.pages else [],
    }


# --------------------------------------------------------------------------- main
def summarise(label: str, results: Results) -> None:
    print(f"-- {label}: {results.count()} responses in {results.seconds:.1f} s, "
          f"{results.bytes / 1e6:.1f} MB", flush=True)  # fmt: skip
    for kind, statuses in sorted(results.statuses.items()):
        print(f"   {kind}: {dict(statuses)}", flush=True)
    for line in results.errors[:10]:
        print(f"   error: {line}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=None, help="default: SQLite in the instance")
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed:
        seed()
        return 0

    folder = Path(tempfile.mkdtemp(prefix="cc-load-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FLASK_")},
        "PYTHONPATH": str(ROOT),
        "FLASK_APP": "app",
        "FLASK_INSTANCE_PATH": str(folder / "instance"),
        "FLASK_SECRET_KEY": secrets.token_hex(32),
        # Feeds and podcast GUIDs carry absolute URLs, also when the demo is loaded from the CLI.
        "FLASK_SERVER_NAME": f"127.0.0.1:{port}",
    }
    if args.database_url:
        env["FLASK_SQLALCHEMY_DATABASE_URI"] = args.database_url
    server = None
    try:
        schema = prepare_instance(env)
        print(f"schema: {schema}", flush=True)
        server = Server(env, port, args.workers, args.threads)
        return asyncio.run(measure(server, args, schema))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def measure(server: Server, args, schema: str) -> int:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        targets = await discover(session, server.base)
    for note in targets.notes:
        print(f"note: {note}", flush=True)
    print(f"targets: {len(targets.feeds)} feeds, {len(targets.enclosures)} enclosures, "
          f"{len(targets.pages)} pages", flush=True)  # fmt: skip
    app_plan = {"feeds": targets.feeds, "enclosures": targets.enclosures, "pages": targets.pages}
    static_plan = baseline_plan(server.base, targets)
    print(f"baseline: {static_plan}", flush=True)

    app = await drive(app_plan, args.listeners, args.visitors, args.seconds)
    summarise("app", app)
    static = await drive(static_plan, args.listeners, args.visitors, args.seconds)
    summarise("static baseline", static)

    load1 = os.getloadavg()[0]  # other work on the machine weighs on every figure
    setting = (f"{args.listeners} listeners + {args.visitors} visitors, {args.seconds:.0f} s, "
               f"gunicorn {args.workers}×{args.threads} gthread on {os.cpu_count()} CPUs "
               f"(load average {load1:.1f}); schema by {schema}")  # fmt: skip
    report("load errors", float(len(app.errors)), "count", note=setting)
    report("load throughput", app.count() / app.seconds, "req/s",
           static.count() / static.seconds, note="all requests; baseline: static files")
    for kind, label in (("feed", "feed"), ("enclosure", "enclosure range"), ("page", "page")):
        if app.latencies.get(kind) and static.latencies.get(kind):
            p50, p95 = percentiles(app.latencies[kind])
            b50, b95 = percentiles(static.latencies[kind])
            report(f"load {label} p95", p95, "ms", b95, note=f"p50 {p50:.0f} ms vs {b50:.0f} ms")
            report(f"load {label} throughput", len(app.latencies[kind]) / app.seconds, "req/s",
                   len(static.latencies[kind]) / static.seconds)  # fmt: skip
    return 1 if app.errors or static.errors else 0


if __name__ == "__main__":
    sys.exit(main())
