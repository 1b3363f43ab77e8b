"""axe-core in Chromium on the library, theme, proposal, editing and search pages."""

import pytest

from app.demo import DemoContext
from app.extensions import db
from app.library import demo
from tests.conftest import PASSWORD
from tests.test_accessibility import describe, run_axe

pytestmark = pytest.mark.browser

SLUG = "organiser-la-logistique-d-un-groupement-d-achat"
PUBLIC = (
    "/se-documenter/",
    f"/se-documenter/ressources/{SLUG}",
    "/se-documenter/themes/",
    "/se-documenter/themes/logistique",
    "/se-documenter/proposer",
    "/recherche/?q=epiceries",
)
EDITOR = (
    f"/se-documenter/ressources/{SLUG}/modifier",
    f"/se-documenter/ressources/{SLUG}/historique",
    f"/se-documenter/ressources/{SLUG}/versions/1",
    f"/se-documenter/ressources/{SLUG}/fiche",
    "/se-documenter/a-relire",
    "/se-documenter/moderation",
    "/se-documenter/nouvelle",
)


@pytest.fixture
def a11y_page(browser):
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    tab = context.new_page()
    yield tab
    context.close()


def test_library_pages_have_no_serious_accessibility_violations(
    live_server, a11y_page, make_user
):
    moderator = make_user("moderator", email="a11y-moderator@example.org")
    demo.load(DemoContext(log=lambda *a: None, users={"moderator": moderator}))
    db.session.commit()
    page = a11y_page
    found = {}
    for path in PUBLIC:
        page.goto(live_server.url + path)
        if violations := run_axe(page):
            found[path] = describe(violations)
    page.goto(live_server.url + "/compte/connexion")
    page.get_by_label("Adresse e-mail").fill(moderator.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")
    for path in EDITOR:
        response = page.goto(live_server.url + path)
        assert response.ok, path
        if violations := run_axe(page):
            found[path] = describe(violations)
    assert not found, "\n".join(f"{p}:\n{v}" for p, v in found.items())
