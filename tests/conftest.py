"""Shared fixtures: an app per test on SQLite in tmp_path, or on PostgreSQL when
TEST_DATABASE_URL is set (tables created once, emptied after each test)."""

import contextvars
import email
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app import create_app
from app.auth.models import Role
from app.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_BROKER_URL = os.environ.get("TEST_BROKER_URL")
PASSWORD = "un-mot-de-passe-solide"


def make_config(tmp_path: Path, **overrides) -> dict:
    """Return the test configuration for an app rooted in tmp_path."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "STORAGE": {"backend": "local", "root": str(tmp_path / "media")},
        "MAIL": {"server": None, "outbox": str(tmp_path / "mail")},
        "CELERY": {"broker_url": TEST_BROKER_URL or "memory://"},
        "RATELIMIT_ENABLED": True,
    }
    config.update(overrides)
    return config


class IsolatedClient(FlaskClient):
    """Run each request in a fresh context, as in production.

    The ``app`` fixture keeps an app context pushed so tests can use ``db.session``; Flask would
    reuse it for requests, leaking ``g`` (the logged-in user, caches) from one request to the next.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


_pg_schema_ready = False


def _prepare_schema(app) -> None:
    global _pg_schema_ready
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        db.create_all()
        return
    if not _pg_schema_ready:
        db.drop_all()
        db.create_all()
        _pg_schema_ready = True


def _empty_tables(app) -> None:
    db.session.remove()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        db.engine.dispose()
        return
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.engine.dispose()


@pytest.fixture
def app_factory(tmp_path, monkeypatch):
    """Build apps with extra config; each gets its schema and is cleaned up after the test."""
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "instance"))
    made = []

    def factory(**overrides):
        application = create_app(make_config(tmp_path, **overrides))
        application.test_client_class = IsolatedClient
        with application.app_context():
            _prepare_schema(application)
        made.append(application)
        return application

    yield factory
    for application in made:
        with application.app_context():
            _empty_tables(application)


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a confirmed account: make_user(role="animator", email=None, password=PASSWORD)."""
    from app.auth import operations

    counter = iter(range(1, 10_000))

    def factory(role: Role | str = Role.LEARNER, email: str | None = None, password=PASSWORD, **kw):
        email = email or f"{Role(role).value}{next(counter)}@example.org"
        user = operations.create_user(email, password, role=role, confirmed=True, **kw)
        db.session.commit()
        return user

    return factory


def login(client, user, password: str = PASSWORD):
    """Sign in through the real login form; returns the response."""
    response = client.post("/compte/connexion", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client, make_user):
    """Create an account with a role and sign the test client in as it."""

    def do(role: Role | str = Role.LEARNER, **kw):
        user = make_user(role, **kw)
        login(client, user)
        return user

    return do


@pytest.fixture
def outbox(app):
    """Return a function listing the e-mails written to the development outbox."""

    def read() -> list[email.message.EmailMessage]:
        folder = Path(app.config["MAIL"]["outbox"])
        if not folder.exists():
            return []
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"))
        ]

    return read


def mail_links(message) -> list[str]:
    """Return the URLs in a message's text part."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.findall(r"https?://\S+", body)


def csrf_token_from(html: str) -> str:
    """Extract the CSRF token from a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- A real HTTP server and a real browser ---------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class LiveServer:
    """The app served by werkzeug on a free loopback port, in a thread."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    """Serve the test app over real HTTP (uploads with tuspy, browsers, feed readers)."""
    # url_for must build links for the live host, not the test client's "localhost".
    app.config["SERVER_NAME"] = None
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab with its own cookies, French by default."""
    context = browser.new_context(locale="fr-FR")
    tab = context.new_page()
    yield tab
    context.close()


def wait_until(page, expression: str, timeout: float = 15_000) -> None:
    """Poll a JavaScript condition from Python until it holds (timeout in ms).

    Playwright's wait_for_function evaluates strings inside the page, which the site's
    Content-Security-Policy (no 'unsafe-eval') forbids; page.evaluate goes through the DevTools
    protocol instead.
    """
    import time

    source = expression.strip()
    js = source if source.startswith(("(", "function", "async")) else f"() => ({source})"
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(js):
        assert time.monotonic() < deadline, f"still false after {timeout / 1000:.0f} s: {source}"
        time.sleep(0.1)


# --- S3 through moto's server on loopback ----------------------------------------------------


def free_port() -> int:
    """Return a TCP port nothing listens on right now, on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """Run moto's S3 server in its own process on loopback (its memory is not ours)."""
    import socket
    import subprocess
    import sys
    import time

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3_config(s3_endpoint, monkeypatch):
    """STORAGE settings for a fresh bucket on the moto server."""
    import time

    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"cc-{time.monotonic_ns()}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return {"backend": "s3", "endpoint_url": s3_endpoint, "bucket": bucket}
