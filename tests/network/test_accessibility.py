"""axe-core in Chromium on the network pages, filled with the demo: no serious violation."""

import pytest
import sqlalchemy as sa

from app.demo import DemoContext
from app.demo import accounts as demo_accounts
from app.extensions import db
from app.network import demo
from app.network.agenda_models import Event
from app.network.exchange_models import Thread
from tests.conftest import PASSWORD
from tests.test_accessibility import describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def a11y_page(browser):
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    tab = context.new_page()
    yield tab
    context.close()


def test_network_pages_have_no_serious_accessibility_violations(app, live_server, a11y_page,
                                                                make_user):
    ctx = DemoContext(log=lambda *a: None, with_media=False)
    demo_accounts.load(ctx)
    demo.load(ctx)
    db.session.commit()
    event_id = db.session.scalar(sa.select(Event.id).order_by(Event.id))
    thread_id = db.session.scalar(sa.select(Thread.id))
    moderator = make_user("moderator", email="a11y-moderation@example.org")
    public = [
        "/reseau/", "/reseau/annuaire", "/reseau/annuaire?theme=tarification-sociale",
        "/reseau/personnes/temoin-tarification-1", "/reseau/structures/amap-du-diois",
        "/reseau/agenda", "/reseau/agenda?vue=mois", f"/reseau/agenda/{event_id}",
        "/reseau/echanges", "/reseau/echanges/categorie/tarification-sociale",
        f"/reseau/echanges/{thread_id}",
    ]
    signed_in = [
        "/reseau/mon-profil", "/reseau/structures/nouvelle", "/reseau/agenda/proposer",
        "/reseau/agenda/moderation", "/reseau/echanges/nouveau", "/reseau/echanges/moderation",
        "/reseau/notifications", "/reseau/mes-donnees", "/reseau/mes-donnees/supprimer",
        "/reseau/structures/epicerie-solidaire-la-cagette",
    ]
    page = a11y_page
    failures = {}
    for path in public:
        page.goto(live_server.url + path)
        if violations := run_axe(page):
            failures[path] = describe(violations)
    page.goto(live_server.url + "/compte/connexion")
    page.locator("#email").fill(moderator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    for path in signed_in:
        page.goto(live_server.url + path)
        if violations := run_axe(page):
            failures[path] = describe(violations)
    assert not failures, "\n\n".join(f"{p}:\n{d}" for p, d in failures.items())
