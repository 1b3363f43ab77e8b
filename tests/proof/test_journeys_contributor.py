"""The contributor's and the moderator's journey in Chromium, in French and in English.

A contributor proposes a resource through the public form; a moderator accepts it from the
moderation queue (a draft appears); an editor (animator) publishes its first version; a visitor
then finds it with the site search and opens it. Each person has their own browser session.
"""

import pytest

from app.auth.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

TITLE = "Guide de la tarification solidaire en épicerie"
LINK = "https://exemple.org/guide-tarification-solidaire"
WHY = "Un guide pratique, testé dans trois épiceries, pour proposer des prix selon les revenus."

#: Words people see, per language; None = "anything but the French" (English catalogue pending).
TEXT = {
    "fr": {
        "thanks": "Merci pour votre proposition !",
        "accept": "Accepter",
        "draft": "Brouillon : non publié",
        "publish": "Publier cette version",
    },
    "en": {"thanks": None, "accept": None, "draft": None, "publish": None},
}


@pytest.fixture(params=["fr", "en"])
def lang(request):
    return request.param


@pytest.fixture
def person(browser, lang, live_server):
    """Open a browser session for an account, signed in through the login form."""
    contexts = []

    def open_as(user=None):
        context = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB")
        contexts.append(context)
        tab = context.new_page()
        if user is not None:
            tab.goto(live_server.url + "/compte/connexion")
            tab.locator("input[name=email]").fill(user.email)
            tab.locator("input[name=password]").fill(PASSWORD)
            tab.locator("main form button[type=submit]").click()
            tab.wait_for_url(live_server.url + "/")
        return tab

    yield open_as
    for context in contexts:
        context.close()


def says(locator, lang: str, key: str) -> None:
    text = " ".join(locator.inner_text().split())
    expected = TEXT[lang][key]
    if expected is not None:
        assert text == expected
    else:
        assert text and text != TEXT["fr"][key], f"shown in French to an English reader: {text!r}"


def test_proposed_resource_is_accepted_published_and_found(live_server, person, lang, make_user):
    contributor = make_user(Role.CONTRIBUTOR, email="sam@example.org")
    moderator = make_user(Role.MODERATOR, email="noa@example.org")
    editor = make_user(Role.ANIMATOR, email="lea@example.org")
    base = live_server.url

    # The contributor proposes.
    tab = person(contributor)
    tab.goto(base + "/se-documenter/proposer")
    assert tab.locator("html").get_attribute("lang") == lang
    tab.locator("select[name=kind]").select_option("resource")
    tab.locator("input[name=title]").fill(TITLE)
    tab.locator("input[name=url]").fill(LINK)
    tab.locator("textarea[name=why]").fill(WHY)
    tab.locator("main form button[type=submit]").click()
    tab.wait_for_load_state()
    says(tab.locator("main h1"), lang, "thanks")

    # Not searchable yet.
    visitor = person()
    visitor.goto(base + "/recherche/?q=tarification+solidaire")
    assert visitor.locator(f".search-results a:has-text('{TITLE}')").count() == 0

    # The moderator accepts it from the queue: a draft resource appears.
    tab = person(moderator)
    tab.goto(base + "/se-documenter/moderation")
    card = tab.locator("article.proposal", has_text=TITLE)
    assert LINK in card.inner_text()
    assert WHY in card.inner_text()
    accept = card.locator(".actions button").first
    says(accept, lang, "accept")
    accept.click()
    tab.wait_for_url(f"{base}/se-documenter/ressources/**")
    draft_url = tab.url
    assert tab.locator("main h1").inner_text().strip() == TITLE
    says(tab.locator("main .badge-warning").first, lang, "draft")

    # An editor publishes its first version.
    tab = person(editor)
    tab.goto(draft_url)
    tab.locator(".resource-tools .notice a").first.click()
    tab.wait_for_url(f"{draft_url}/versions/1")
    publish = tab.locator(".review-actions form").first.locator("button")
    says(publish, lang, "publish")
    publish.click()
    tab.wait_for_url(draft_url)
    assert tab.locator("main .badge-warning").count() == 0
    assert tab.locator(f"main a[href='{LINK}']").count() >= 1  # the button and the body link

    # A visitor finds it with the search and opens it.
    visitor.goto(base + "/recherche/?q=tarification+solidaire")
    hit = visitor.locator(".search-results a", has_text=TITLE).first
    hit.click()
    visitor.wait_for_url(draft_url)
    assert visitor.locator("main h1").inner_text().strip() == TITLE
    assert WHY in visitor.locator("main").inner_text()
