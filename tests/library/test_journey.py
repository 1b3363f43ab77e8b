"""The contributor journey from the issue, through the real pages."""

import sqlalchemy as sa

from app.extensions import db
from app.library.models import Proposal, ProposalStatus, Resource, RevisionState
from tests.conftest import login


def test_visitor_proposal_to_published_resource_in_search_and_theme_page(
    app, client, make_user, themes, outbox
):
    # A visitor proposes a resource with the short public form.
    response = client.post(
        "/se-documenter/proposer",
        data={
            "kind": "resource",
            "title": "Guide des épiceries associatives",
            "url": "https://example.org/guide-epiceries.pdf",
            "why": "Il explique pas à pas comment ouvrir une épicerie associative.",
            "email": "visiteuse@example.org",
            "website": "",
        },
    )
    assert response.status_code == 200
    assert "Merci pour votre proposition" in response.get_data(as_text=True)
    proposal = db.session.execute(sa.select(Proposal)).scalar_one()
    assert proposal.status == ProposalStatus.PENDING
    assert any("visiteuse@example.org" in m["To"] for m in outbox())

    # A moderator accepts it from the queue: a draft resource exists, not public yet.
    moderator = make_user("moderator")
    login(client, moderator)
    queue = client.get("/se-documenter/moderation").get_data(as_text=True)
    assert "Guide des épiceries associatives" in queue
    response = client.post(
        f"/se-documenter/moderation/{proposal.id}/accepter", data={"message": ""}
    )
    assert response.status_code == 302
    db.session.expire_all()
    resource = db.session.execute(sa.select(Resource)).scalar_one()
    assert resource.status == "draft"
    decided = [m for m in outbox() if "acceptée" in m["Subject"]]
    assert decided and decided[0]["To"] == "visiteuse@example.org"
    client.post("/compte/deconnexion")
    assert client.get(f"/se-documenter/ressources/{resource.slug}").status_code == 404

    # An editor completes the record (theme) and publishes the first version.
    editor = make_user("animator")
    login(client, editor)
    response = client.post(
        f"/se-documenter/ressources/{resource.slug}/fiche",
        data={
            "slug": resource.slug,
            "kind": "external_link",
            "origin": "external",
            "external_url": "https://example.org/guide-epiceries.pdf",
            "language": "fr",
            "themes": [str(themes["statut-juridique"].id)],
            "territories": "National",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post(f"/se-documenter/ressources/{resource.slug}/versions/1/publier")
    assert response.status_code == 302
    client.post("/compte/deconnexion")

    # Everyone can now read it, find it (accents and plural ignored) and see it on its theme.
    page = client.get(f"/se-documenter/ressources/{resource.slug}")
    assert page.status_code == 200
    assert "pas à pas" in page.get_data(as_text=True)
    for query in ("épicerie", "epiceries", "EPICERIE associatives"):
        html = client.get("/recherche/", query_string={"q": query}).get_data(as_text=True)
        assert "Guide des épiceries associatives" in html, query
        assert "<mark>" in html
    theme_page = client.get("/se-documenter/themes/statut-juridique").get_data(as_text=True)
    assert "Guide des épiceries associatives" in theme_page

    # A contributor edits it later: the edit waits, the published text does not change.
    contributor = make_user("contributor")
    login(client, contributor)
    form = client.get(f"/se-documenter/ressources/{resource.slug}/modifier").get_data(as_text=True)
    assert 'name="base_revision_id"' in form
    db.session.expire_all()
    base_id = db.session.get(Resource, resource.id).published_revision_id
    response = client.post(
        f"/se-documenter/ressources/{resource.slug}/modifier",
        data={
            "title": "Guide des épiceries associatives",
            "summary": "",
            "body": "Texte entièrement réécrit par une contributrice.",
            "change_note": "Réécriture",
            "base_revision_id": str(base_id),
            "action": "save",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    resource = db.session.get(Resource, resource.id)
    assert resource.published_revision_id == base_id
    assert resource.revisions[-1].state == RevisionState.PENDING
    client.post("/compte/deconnexion")
    page = client.get(f"/se-documenter/ressources/{resource.slug}").get_data(as_text=True)
    assert "pas à pas" in page
    assert "entièrement réécrit" not in page
    unpublished = client.get("/recherche/", query_string={"q": "réécrit"}).get_data(as_text=True)
    assert "Aucun résultat" in unpublished
    # Editors were told there is something to review.
    assert any("Modification à relire" in m["Subject"] for m in outbox())
