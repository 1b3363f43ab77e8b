import re

import pytest

from app.auth import operations
from app.auth.models import Role, User
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token_from, login, mail_links


def test_signup_sends_confirmation_and_link_activates_account(client, outbox):
    response = client.post(
        "/compte/inscription",
        data={
            "display_name": "Maëlle",
            "email": "Maelle@Example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Vérifiez vos e-mails" in response.get_data(as_text=True)
    user = operations.get_user_by_email("maelle@example.org")
    assert user is not None and user.role == Role.LEARNER and not user.is_active

    # Before confirming, login fails with the generic message.
    failed = client.post("/compte/connexion", data={"email": user.email, "password": PASSWORD})
    assert "Adresse e-mail ou mot de passe incorrect" in failed.get_data(as_text=True)

    (message,) = outbox()
    assert message["To"] == "maelle@example.org"
    (link,) = [u for u in mail_links(message) if "/compte/confirmer/" in u]
    confirmed = client.get(link.replace("http://localhost", ""))
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active
    assert client.get("/api/me").get_json()["email"] == "maelle@example.org"


def test_signup_with_existing_address_reveals_nothing(client, make_user, outbox):
    existing = make_user(email="deja@example.org")
    response = client.post(
        "/compte/inscription",
        data={"email": "deja@example.org", "password": PASSWORD, "confirm": PASSWORD},
    )
    # Same page as a fresh sign-up; the owner is told by e-mail instead.
    assert "Vérifiez vos e-mails" in response.get_data(as_text=True)
    (message,) = outbox()
    assert message["To"] == existing.email
    assert "déjà un compte" in message["Subject"]
    assert db.session.query(User).filter_by(email="deja@example.org").count() == 1


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    user = make_user()
    wrong = client.post("/compte/connexion", data={"email": user.email, "password": "nope-nope"})
    unknown = client.post(
        "/compte/connexion", data={"email": "personne@example.org", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert "Adresse e-mail ou mot de passe incorrect" in wrong.get_data(as_text=True)


def test_login_logout(client, make_user):
    user = make_user(Role.ANIMATOR)
    login(client, user)
    assert client.get("/api/me").get_json()["role"] == "animator"
    client.post("/compte/deconnexion")
    assert client.get("/api/me").status_code == 401


def test_login_redirects_only_to_local_next(client, make_user):
    user = make_user()
    response = client.post(
        "/compte/connexion?next=https://evil.example/phish",
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/"
    client.post("/compte/deconnexion")
    response = client.post(
        "/compte/connexion?next=/compte/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/compte/"


def test_password_reset_flow_is_single_use(client, make_user, outbox):
    user = make_user(email="oubli@example.org")
    page = client.post("/compte/mot-de-passe-oublie", data={"email": "oubli@example.org"})
    unknown = client.post("/compte/mot-de-passe-oublie", data={"email": "inconnu@example.org"})
    assert "Si un compte existe" in page.get_data(as_text=True)
    assert "Si un compte existe" in unknown.get_data(as_text=True)
    (message,) = outbox()  # nothing sent for the unknown address
    (link,) = [u for u in mail_links(message) if "/reinitialiser/" in u]
    path = link.replace("http://localhost", "")
    new_password = "un-tout-nouveau-secret"
    done = client.post(path, data={"password": new_password, "confirm": new_password})
    assert done.status_code == 302
    login(client, user, password=new_password)
    # The link died with the old password.
    again = client.get(path)
    assert again.status_code == 302 and again.headers["Location"].endswith("/mot-de-passe-oublie")


def test_login_is_rate_limited(client, make_user):
    user = make_user()
    statuses = [
        client.post("/compte/connexion", data={"email": user.email, "password": "bad"}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    assert "Trop de tentatives" in client.post(
        "/compte/connexion", data={"email": user.email, "password": "bad"}
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "grants"),
    [
        (Role.LEARNER, {Role.LEARNER}),
        (Role.CONTRIBUTOR, {Role.LEARNER, Role.CONTRIBUTOR}),
        (Role.ANIMATOR, {Role.LEARNER, Role.CONTRIBUTOR, Role.ANIMATOR}),
        (Role.MODERATOR, {Role.LEARNER, Role.CONTRIBUTOR, Role.MODERATOR}),
        (Role.ADMIN, set(Role)),
    ],
)
def test_roles_grant_what_they_should(make_user, role, grants):
    user = make_user(role)
    assert {r for r in Role if user.has_role(r)} == grants


def test_api_token_from_cli_authenticates_and_can_be_revoked(app, runner, make_user, client):
    user = make_user(Role.ANIMATOR, email="anim@example.org")
    result = runner.invoke(args=["users", "token", "anim@example.org", "--name", "tuspy"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=headers).get_json()["email"] == user.email
    assert client.get("/api/me", headers={"Authorization": "Bearer cc_wrong"}).status_code == 401
    row = user.api_tokens[0]
    assert row.token_hash != token and row.name == "tuspy"
    operations.revoke_api_token(user, row.id)
    db.session.commit()
    assert client.get("/api/me", headers=headers).status_code == 401


def test_cli_creates_accounts_with_roles(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Mod@Example.org",
            "--role",
            "moderator",
            "--password",
            PASSWORD,
        ],
    )
    assert result.exit_code == 0, result.output
    user = operations.get_user_by_email("mod@example.org")
    assert user.role == Role.MODERATOR and user.is_active
    again = runner.invoke(
        args=["users", "create", "--email", "mod@example.org", "--password", PASSWORD]
    )
    assert again.exit_code != 0 and "existe déjà" in again.output


def test_account_page_requires_login_and_creates_tokens(client, login_as):
    assert client.get("/compte/").status_code == 302
    login_as(Role.ANIMATOR)
    page = client.post("/compte/", data={"name": "script"})
    html = page.get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', html).group(1)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_passwords_are_hashed_with_a_strong_scheme(make_user):
    user = make_user()
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:sha256:"))
    assert PASSWORD not in user.password_hash


def test_csrf_is_enforced_on_forms(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user()
        client = app.test_client()
        missing = client.post("/compte/connexion", data={"email": user.email, "password": PASSWORD})
        assert missing.status_code == 400
        assert "Le formulaire a expiré" in missing.get_data(as_text=True)
        token = csrf_token_from(client.get("/compte/connexion").get_data(as_text=True))
        ok = client.post(
            "/compte/connexion",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert ok.status_code == 302
        # Logging out is a state change too.
        assert client.post("/compte/deconnexion").status_code == 400


def test_api_token_requests_skip_csrf_but_session_requests_do_not(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user(Role.ANIMATOR)
        token = operations.create_api_token(user, "t")
        db.session.commit()
        client = app.test_client()
        # No CSRF token, but a bearer token: not a cross-site forgery.
        response = client.post(
            "/langue", data={"lang": "en"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 302
        assert client.post("/langue", data={"lang": "en"}).status_code == 400


def test_signing_up_in_english_sends_the_confirmation_in_english(client, outbox):
    client.post(
        "/compte/inscription",
        headers={"Accept-Language": "en"},
        data={"email": "sam@example.org", "password": PASSWORD, "confirm": PASSWORD},
    )
    (message,) = outbox()
    assert message["Subject"] == "Confirm your e-mail address"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "The Short Food Supply Chain Toolkit" in body and "Bonjour" not in body


def test_account_page_names_the_role_in_the_readers_language(client, login_as):
    user = login_as(Role.ANIMATOR)
    assert "<dd>Animateur·rice</dd>" in client.get("/compte/").get_data(as_text=True)
    user.locale = "en"
    db.session.commit()
    html = client.get("/compte/").get_data(as_text=True)
    assert "<dd>Facilitator</dd>" in html and "<dd>animator</dd>" not in html
