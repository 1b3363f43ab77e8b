"""A learner's journey in headless Chromium: catalogue → register → dashboard → replay → resume,
in French and in English (switched with the header's language button, as a reader does)."""

import re
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.auth.models import Role
from app.courses import demo
from app.courses.models import ReplayProgress
from app.demo import DemoContext
from app.demo import accounts as demo_accounts
from app.extensions import db
from tests.conftest import PASSWORD, wait_until

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app_factory):
    app = app_factory(SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


#: What the learner reads and clicks, per language (course and chapter titles are content).
WORDS = {
    "fr": {
        "sign_in_to_register": "Se connecter pour s'inscrire",
        "email": "Adresse e-mail",
        "password": "Mot de passe",
        "sign_in": "Se connecter",
        "register": "M'inscrire à la formation",
        "registered": "Vous êtes inscrit·e à cette formation.",
        "dashboard": "Mon espace formation",
        "watch": "Voir le replay",
        "continue": "Reprendre la lecture",
        "resume": "Reprendre le replay",
        "site": "La Boîte à outils des circuits courts",
    },
    "en": {
        "sign_in_to_register": "Sign in to register",
        "email": "E-mail address",
        "password": "Password",
        "sign_in": "Sign in",
        "register": "Register for the course",
        "registered": "You are registered for this course.",
        "dashboard": "My learning space",
        "watch": "Watch the replay",
        "continue": "Resume playback",
        "resume": "Resume the replay",
        "site": "The Short Food Supply Chain Toolkit",
    },
}


@pytest.mark.browser
@pytest.mark.ffmpeg
@pytest.mark.slow
# Chromium aborts video range requests it no longer needs; werkzeug's development server then
# leaves that file handle to the garbage collector (a production server closes it). The warning
# is about the test server, not about the journey checked here.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_learner_journey_resumes_replay_where_it_stopped(live_server, make_user, browser, lang):
    from playwright.sync_api import expect

    words = WORDS[lang]
    app, base = live_server
    ctx = DemoContext(log=lambda *a: None, with_media=True)  # replays made with real ffmpeg
    demo_accounts.load(ctx)
    demo.load(ctx)
    db.session.commit()
    learner = make_user(Role.LEARNER, email="margot@example.org", display_name="Margot")

    # A French browser; the English reader switches with the header's language button.
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/se-former/?q=tarification")
    if lang == "en":
        page.locator(".lang-form").get_by_role("button", name="English").click()
        page.wait_for_url(f"{base}/se-former/?q=tarification")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page).to_have_title(re.compile(re.escape(words["site"]) + "$"))

    # Find the demo series in the catalogue.
    page.get_by_role("link", name="Tarification sociale", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tarification sociale")

    # Sign in from the course page and register.
    page.get_by_role("link", name=words["sign_in_to_register"]).click()
    page.get_by_label(words["email"]).fill(learner.email)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    page.get_by_role("button", name=words["register"]).click()
    expect(page.get_by_text(words["registered"])).to_be_visible()

    # The dashboard lists it with its next session.
    page.goto(f"{base}/se-former/mon-espace")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["dashboard"])
    expect(page.get_by_role("cell", name="Tarification sociale")).to_be_visible()
    expect(page.get_by_text("En parler à sa communauté")).to_be_visible()

    # Open the first replay, seek to 17 s (the player saves it), then leave.
    page.goto(f"{base}/se-former/{demo.COURSE_SLUG}")
    page.get_by_role("link", name=words["watch"]).first.click()
    video = page.locator("video#replay-video")
    expect(video).to_be_visible()
    wait_until(page, "document.getElementById('replay-video').readyState >= 1")
    assert page.evaluate("document.getElementById('replay-video').duration") > 25
    with page.expect_response(lambda r: "/progress" in r.url and r.request.method == "PUT"):
        page.evaluate("document.getElementById('replay-video').currentTime = 17")
    page.goto(f"{base}/se-former/mon-espace")
    expect(page.get_by_role("heading", name=words["continue"])).to_be_visible()

    # Come back: playback resumes within 5 s of where it stopped.
    page.goto(f"{base}/se-former/{demo.COURSE_SLUG}")
    page.get_by_role("link", name=words["resume"]).first.click()
    wait_until(
        page,
        "document.getElementById('replay-video').readyState >= 1"
        " && document.getElementById('replay-video').currentTime > 0",
    )
    resumed = page.evaluate("document.getElementById('replay-video').currentTime")
    assert abs(resumed - 17) <= 5, resumed

    # Chapters are clickable and move the playhead.
    page.get_by_role("button", name="Témoignage : le panier solidaire").click()
    wait_until(page, "Math.abs(document.getElementById('replay-video').currentTime - 16) < 1.5")

    # The English reader never met the French words of the interface on the way.
    if lang == "en":
        text = page.locator("body").inner_text()
        for french in WORDS["fr"].values():
            assert french not in text, french
    context.close()

    db.session.expire_all()
    progress = db.session.scalar(sa.select(ReplayProgress))
    assert progress.user_id == learner.id and progress.furthest_s >= 16
