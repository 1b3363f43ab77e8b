"""The layout in a real browser: keyboard skip link, language switch, sign-in."""

import pytest

from app.auth.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_skip_link_is_first_and_moves_focus_to_main(live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_sign_in_and_switch_language(live_server, page, make_user):
    user = make_user(Role.ANIMATOR, email="lea@example.org")
    page.goto(live_server.url + "/compte/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_wrong_password_shows_a_message(live_server, page, make_user):
    user = make_user()
    page.goto(live_server.url + "/compte/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill("pas-le-bon-mot")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("Adresse e-mail ou mot de passe incorrect.").is_visible()
