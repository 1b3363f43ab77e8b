"""The Markdown editor in a real browser: live preview under the CSP, then saving."""

import pytest

from app.extensions import db
from app.library.models import Resource
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_live_preview_and_save(live_server, page, make_user, published):
    resource = published(title="Logistique du froid", body="Texte publié.")
    user = make_user("contributor", email="lea@example.org")
    errors = []
    # Script or CSP errors would show in the console; the browser's own favicon probe is not ours.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "favicon" not in (msg.location or {}).get("url", "")
            else None
        ),
    )
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(live_server.url + "/compte/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(f"{live_server.url}/se-documenter/ressources/{resource.slug}/modifier")
    page.get_by_label("Texte (Markdown)").fill(
        "## Chaîne du froid\n\n- glacières\n- thermomètre\n\n<script>alert(1)</script>"
    )
    with page.expect_response("**/se-documenter/apercu") as preview:
        page.get_by_role("button", name="Aperçu").click()
    assert preview.value.ok
    region = page.get_by_role("region", name="Aperçu")
    region.get_by_role("heading", name="Chaîne du froid").wait_for()
    assert region.get_by_role("listitem").count() == 2
    assert page.url.endswith("/modifier")  # updated in place, no reload
    assert page.locator(".preview script").count() == 0

    page.get_by_label("Résumé de la modification").fill("Ajout d'une section")
    page.get_by_role("button", name="Enregistrer la modification").click()
    page.get_by_text("attend la relecture").wait_for()
    assert not errors, (errors, failed)
    db.session.expire_all()
    saved = db.session.get(Resource, resource.id).revisions[-1]
    assert (
        saved.body.startswith("## Chaîne du froid") and saved.change_note == "Ajout d'une section"
    )
