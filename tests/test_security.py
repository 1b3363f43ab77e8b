"""Security suites over every route: authorisation matrix, CSRF, headers, secrets in logs."""

import logging
import re

import pytest
from werkzeug.routing import Rule

from app.auth.models import ROLE_GRANTS, Role
from tests.conftest import PASSWORD, login

SAFE = {"GET", "HEAD", "OPTIONS"}


def _dummy_url(app, rule: Rule) -> str | None:
    """Build a URL for a rule with placeholder arguments (objects that do not exist)."""
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        values[arg] = 999999 if converter in ("IntegerConverter",) else "inexistant"
    with app.test_request_context():
        try:
            from flask import url_for

            return url_for(rule.endpoint, **values)
        except Exception:  # noqa: BLE001 - a converter we cannot fill: skip the rule
            return None


def _guarded_rules(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "required_roles", None)
        if roles is not None:
            yield rule, roles


def _public_get_rules(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        public = getattr(view, "required_roles", None) is None
        if "GET" in rule.methods and public and rule.endpoint != "static":
            yield rule


def test_every_guarded_route_refuses_anonymous_visitors(app, client):
    checked = 0
    for rule, _roles in _guarded_rules(app):
        url = _dummy_url(app, rule)
        if url is None:
            continue
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            response = client.open(url, method=method)
            expected = {401} if url.startswith("/api/") else {302, 401}
            assert response.status_code in expected, (method, url, response.status_code)
            if response.status_code == 302:
                assert "/compte/connexion" in response.headers["Location"]
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("role", list(Role))
def test_authorisation_matrix(app, make_user, role):
    """Each role gets 403 exactly where its grants do not reach, and never 401/403 elsewhere."""
    user = make_user(role)
    client = app.test_client()
    login(client, user)
    granted = ROLE_GRANTS[role]
    for rule, roles in _guarded_rules(app):
        url = _dummy_url(app, rule)
        if url is None or rule.endpoint == "auth.logout":
            continue
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            status = client.open(url, method=method).status_code
            if roles & granted:
                assert status not in (401, 403), (role, method, url, status)
            else:
                assert status == 403, (role, method, url, status)
            assert status < 500, (role, method, url, status)


def test_public_pages_never_fail_for_anonymous_visitors(app, client):
    for rule in _public_get_rules(app):
        url = _dummy_url(app, rule)
        if url is None:
            continue
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)


def test_every_state_changing_route_requires_a_csrf_token(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = make_user(Role.ADMIN)
        client = app.test_client()
        from tests.conftest import csrf_token_from

        token = csrf_token_from(client.get("/compte/connexion").get_data(as_text=True))
        client.post(
            "/compte/connexion",
            data={"email": admin.email, "password": PASSWORD, "csrf_token": token},
        )
        checked = 0
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            unsafe = rule.methods - SAFE
            if not unsafe or getattr(view, "csrf_exempt", False):
                continue
            url = _dummy_url(app, rule)
            if url is None:
                continue
            for method in sorted(unsafe):
                response = client.open(url, method=method)
                assert response.status_code == 400, (method, url, response.status_code)
                checked += 1
        assert checked > 0


def test_security_headers_and_cookie_flags(app, client, make_user):
    user = make_user()
    response = client.post("/compte/connexion", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_secure_cookies_when_configured(app_factory, make_user):
    app = app_factory(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    with app.app_context():
        user = make_user()
        response = app.test_client().post(
            "/compte/connexion",
            data={"email": user.email, "password": PASSWORD, "remember": "y"},
        )
        cookies = response.headers.getlist("Set-Cookie")
        assert cookies and all("Secure" in c for c in cookies)


def test_no_secret_or_token_in_logs(app, client, make_user, runner, caplog):
    caplog.set_level(logging.DEBUG)
    user = make_user(Role.ANIMATOR, email="logs@example.org")
    token = runner.invoke(args=["users", "token", "logs@example.org"]).output.strip()
    client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    client.post("/compte/connexion", data={"email": user.email, "password": PASSWORD})
    text = caplog.text
    assert token not in text and PASSWORD not in text
    assert app.config["SECRET_KEY"] not in text
    assert not re.search(r"cc_[A-Za-z0-9_-]{20,}", text)
