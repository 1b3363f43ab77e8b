"""axe-core (served by the app) in Chromium on the main pages: no serious or critical violation."""

import pytest
from flask import url_for

from app.auth.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

#: (endpoint, needs a signed-in user) for every main page; features that are absent are skipped
#: by construction (the list is filtered on the app's endpoints, not on test outcomes).
MAIN_PAGES = (
    ("core.index", False),
    ("auth.login", False),
    ("auth.signup", False),
    ("auth.forgot_password", False),
    ("auth.account", True),
    ("courses.catalogue", False),
    ("courses.dashboard", True),
    ("podcasts.index", False),
    ("library.index", False),
    ("search.search", False),
    ("network.index", False),
    ("network.agenda", False),
    ("media.my_media", True),
)


def run_axe(page) -> list[dict]:
    page.add_script_tag(url="/static/vendor/axe.min.js")
    tags = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']"
    result = page.evaluate(f"async () => await axe.run(document, {{runOnly: {tags}}})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
    )


@pytest.fixture
def a11y_page(browser):
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_main_pages_have_no_serious_accessibility_violations(
    app, live_server, a11y_page, make_user, lang
):
    user = make_user(Role.ADMIN, email=f"a11y-{lang}@example.org")
    page = a11y_page
    with app.test_request_context():
        pages = [(url_for(e), auth) for e, auth in MAIN_PAGES if e in app.view_functions]
    assert len(pages) >= 5
    page.goto(live_server.url + "/")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
    failures = {}
    for path, needs_login in sorted(pages, key=lambda p: p[1]):
        if (
            needs_login
            and "connexion" not in page.url
            and not page.locator("form[action$='/compte/deconnexion']").count()
        ):
            page.goto(live_server.url + "/compte/connexion")
            page.locator("#email").fill(user.email)
            page.locator("#password").fill(PASSWORD)
            page.locator("form button[type=submit]").last.click()
            page.wait_for_load_state()
        page.goto(live_server.url + path)
        violations = run_axe(page)
        if violations:
            failures[path] = describe(violations)
    assert not failures, "\n\n".join(f"{p}:\n{d}" for p, d in failures.items())


def test_keyboard_only_sign_in(live_server, page, make_user):
    user = make_user(email="clavier@example.org")
    page.goto(live_server.url + "/compte/connexion")
    # Tab from the top until the e-mail field has focus, then type through the form.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    else:
        pytest.fail("the e-mail field is not reachable with the keyboard")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
