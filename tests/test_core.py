import pytest

from app import create_app
from app.auth.models import Role
from tests.conftest import IsolatedClient, make_config


def test_home_shows_the_four_doors_in_french_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    for door in ("Se former", "Écouter", "Se documenter", "Se mettre en réseau"):
        assert door in html
    assert 'class="skip-link" href="#contenu"' in html
    assert '<main id="contenu"' in html


def test_browser_language_and_language_switch(client):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Listen" in html and "Écouter" not in html
    client.post("/langue", data={"lang": "fr", "next": "/"})
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in html


def test_language_switch_ignores_foreign_redirects(client):
    response = client.post("/langue", data={"lang": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_unknown_page_is_a_friendly_404_in_the_layout(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page introuvable" in html and 'class="site-header"' in html


def test_api_errors_are_json(client):
    response = client.get("/api/nulle-part")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_security_headers_on_every_page(client):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]


def test_pages_load_no_third_party_assets(client):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/openapi.json").get_json())


def test_role_protected_api_answers_401_anonymous(client, login_as):
    assert client.get("/api/me").status_code == 401
    login_as(Role.CONTRIBUTOR)
    assert client.get("/api/me").get_json()["role"] == "contributor"


def test_healthz_all_green(client):
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage", "ffmpeg", "espeak-ng"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.parametrize(
    ("override", "failing"),
    [
        ({"FFMPEG_BINARY": "ffmpeg-absent"}, "ffmpeg"),
        ({"ESPEAK_BINARY": "espeak-absent"}, "espeak-ng"),
        ({"CELERY": {"broker_url": "redis://127.0.0.1:1/0"}}, "broker"),
        ({"STORAGE": {"backend": "s3", "endpoint_url": "http://127.0.0.1:1"}}, "storage"),
    ],
)
def test_healthz_reports_503_with_the_broken_part(app_factory, override, failing):
    app = app_factory(**override)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks[failing]["ok"] is False
    assert [name for name, c in checks.items() if not c["ok"]] == [failing]


def test_database_down_gives_503_and_an_error_page_without_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path))
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=unreachable))
    app.test_client_class = IsolatedClient
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["database"]["ok"] is False
    page = client.post("/compte/connexion", data={"email": "a@example.org", "password": "x" * 12})
    html = page.get_data(as_text=True)
    assert page.status_code == 503
    assert "momentanément indisponible" in html
    assert "Traceback" not in html and "psycopg" not in html


def test_english_pages_call_the_site_by_its_english_name(client, app_factory):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<title>The Short Food Supply Chain Toolkit</title>" in html
    assert "La Boîte à outils des circuits courts" not in html
    french = client.get("/").get_data(as_text=True)
    assert "<title>La Boîte à outils des circuits courts</title>" in french
    # A name chosen by the operator is theirs: shown as written in every language.
    own = app_factory(SITE_NAME="Circuits courts du Diois").test_client()
    html = own.get("/connexion-inconnue", headers={"Accept-Language": "en"}).get_data(True)
    assert "<title>404 · Circuits courts du Diois</title>" in html


def test_http_errors_speak_the_readers_language(client):
    english = {"Accept-Language": "en"}
    assert client.get("/api/me").get_json()["message"] == (
        "Connectez-vous pour accéder à cette ressource."
    )
    assert client.get("/api/me", headers=english).get_json()["message"] == (
        "Sign in to access this resource."
    )
    page = client.get("/nulle-part", headers=english).get_data(as_text=True)
    assert "Page not found" in page and "This page does not exist" in page
    assert "Page introuvable" not in page
    # Werkzeug's own English sentence is not shown to French readers either.
    wrong_method = client.post("/healthz")
    assert wrong_method.status_code == 405
    html = wrong_method.get_data(as_text=True)
    assert "Cette adresse n&#39;accepte pas ce type de requête." in html
    assert "not allowed" not in html
    assert "Error 405" in client.post("/healthz", headers=english).get_data(as_text=True)
