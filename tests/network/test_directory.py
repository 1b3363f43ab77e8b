"""Directory: lists, filters, person pages with contributions, visibility in every output."""

import json
import re
from datetime import date

from app.extensions import db
from app.network import operations
from app.network.models import OrganisationKind, Visibility
from app.search import operations as search_ops
from tests.conftest import login


def _search_urls(query, members=False):
    filters = search_ops.Filters(visibility=("public", "members") if members else ("public",))
    try:
        return [hit.document.url for hit in search_ops.search(query, filters).hits]
    finally:
        # The search may open a transaction (SQLite snapshot): end it so later reads see the
        # rows the requests write.
        db.session.rollback()


def test_directory_lists_and_filters_by_kind_theme_and_departement(
    client, make_org, make_person, make_theme
):
    social = make_theme()
    logistics = make_theme("logistique", "Logistique")
    make_org("amap-des-3-vallees", "AMAP des Trois Vallées", kind=OrganisationKind.AMAP,
             departement_code="26", city="Die", themes=[logistics])
    make_org("epicerie-solidaire", "Épicerie solidaire La Cagette", departement_code="69",
             city="Lyon", themes=[social])
    make_person("nadia-benali", "Nadia Benali", headline="Coordinatrice d'épicerie",
                departement_code="69", themes=[social])

    page = client.get("/reseau/annuaire").get_data(as_text=True)
    assert "AMAP des Trois Vallées" in page and "Nadia Benali" in page

    page = client.get("/reseau/annuaire?kind=amap").get_data(as_text=True)
    assert "AMAP des Trois Vallées" in page and "La Cagette" not in page
    assert "Nadia Benali" not in page  # a kind filter is about organisations

    page = client.get("/reseau/annuaire?theme=tarification-sociale").get_data(as_text=True)
    assert "La Cagette" in page and "Nadia Benali" in page and "Trois Vallées" not in page

    page = client.get("/reseau/annuaire?departement=26").get_data(as_text=True)
    assert "Trois Vallées" in page and "La Cagette" not in page

    page = client.get("/reseau/annuaire?q=epiceries").get_data(as_text=True)
    assert "La Cagette" in page and "Nadia Benali" in page and "Trois Vallées" not in page

    assert client.get("/reseau/annuaire?kind=inconnu").status_code == 400


def test_person_page_shows_what_registered_providers_report(client, make_person):
    person = make_person()

    def fake_provider(p):
        if p.id != person.id:
            return []
        return [
            {"kind": "Session", "title": "Tarification sociale (1/3)", "url": "/se-former/x",
             "date": date(2026, 3, 12)},
            {"kind": "Épisode", "title": "Le prix juste, épisode 4", "url": "/ecouter/4",
             "date": date(2026, 4, 2)},
            {"kind": "Guide", "title": "Monter une caisse de solidarité", "url": "/guides/1",
             "date": date(2025, 11, 5)},
        ]

    operations.register_contribution_provider(fake_provider)
    operations.register_contribution_provider(fake_provider)  # registering twice is harmless
    try:
        page = client.get(f"/reseau/personnes/{person.slug}").get_data(as_text=True)
    finally:
        operations.unregister_contribution_provider(fake_provider)
    assert page.count("Tarification sociale (1/3)") == 1
    assert 'href="/ecouter/4"' in page and "Monter une caisse de solidarité" in page
    # newest first
    assert page.index("Le prix juste") < page.index("Tarification sociale (1/3)") < page.index(
        "Monter une caisse"
    )
    page = client.get(f"/reseau/personnes/{person.slug}").get_data(as_text=True)
    assert "Le prix juste" not in page


def test_hidden_profile_answers_404_everywhere(client, make_person, make_org, login_as):
    make_person("cachee", "Personne Cachée", visibility=Visibility.HIDDEN)
    make_org("structure-cachee", "Structure Cachée", visibility=Visibility.HIDDEN,
             dfc_opt_in=True)
    assert client.get("/reseau/personnes/cachee").status_code == 404
    assert client.get("/reseau/structures/structure-cachee").status_code == 404
    assert client.get("/api/network/people/cachee").status_code == 404
    assert client.get("/reseau/structures/structure-cachee/dfc.jsonld").status_code == 404
    assert "Structure Cachée" not in client.get("/reseau/dfc.jsonld").get_data(as_text=True)
    login_as("learner")
    assert client.get("/reseau/personnes/cachee").status_code == 404
    assert "Personne Cachée" not in client.get("/reseau/annuaire").get_data(as_text=True)


def test_people_are_members_only_by_default_and_without_consent(client, make_person, login_as):
    make_person("par-defaut", "Profil Par Défaut", visibility=Visibility.MEMBERS)
    make_person("sans-accord", "Sans Accord", visibility=Visibility.PUBLIC, consent_dt=None)
    for slug in ("par-defaut", "sans-accord"):
        assert client.get(f"/reseau/personnes/{slug}").status_code == 404
    login_as("learner")
    for slug in ("par-defaut", "sans-accord"):
        assert client.get(f"/reseau/personnes/{slug}").status_code == 200


def test_my_profile_records_consent_and_is_private_by_default(client, login_as):
    user = login_as("learner", display_name="Léa Fontaine")
    page = client.get("/reseau/mon-profil").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="members"', page)  # private by default
    response = client.post("/reseau/mon-profil", data={
        "name": "Léa Fontaine", "headline": "Maraîchère", "visibility": "public",
        "consent": "y", "departement_code": "26", "links": "Ma ferme | https://ferme.example.org",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    person = operations.get_person_for_user(user)
    assert person.consent_dt is not None and person.visibility == Visibility.PUBLIC
    assert person.links == [{"label": "Ma ferme", "url": "https://ferme.example.org"}]
    client.post("/compte/deconnexion")
    page = client.get(f"/reseau/personnes/{person.slug}").get_data(as_text=True)
    assert "Maraîchère" in page and "https://ferme.example.org" in page


def test_profile_form_rejects_bad_links_and_codes(client, login_as):
    login_as("learner")
    response = client.post("/reseau/mon-profil", data={
        "name": "X", "visibility": "members", "links": "javascript:alert(1)",
        "departement_code": "999",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "http:// ou https://" in page and "Code de département INSEE" in page


def test_hiding_a_field_removes_it_from_html_api_jsonld_and_search(
    app, client, make_org, make_person, affiliate, make_user
):
    owner = make_user("learner", email="owner@example.org")
    org = make_org(
        "cagette", "La Cagette solidaire", public_email="bonjour@cagette.example.org",
        public_phone="04 75 00 00 00", city="Crest", postcode="26400", departement_code="26",
        summary="Épicerie solidaire à prix différenciés", dfc_opt_in=True, created_by_id=owner.id,
        field_visibility={"public_email": "public", "public_phone": "public"},
        lat=44.73, lon=5.02,
    )
    person = make_person("ines-garnier", "Inès Garnier", headline="Trésorière bénévole",
                         user_id=None, dfc_opt_in=True, first_name="Inès", family_name="Garnier")
    affiliate(person, org, "trésorière", is_main_contact=True)
    operations.index_profile(org)
    operations.index_profile(person)
    db.session.commit()

    def outputs():
        db.session.expire_all()
        html = client.get("/reseau/structures/cagette").get_data(as_text=True)
        api = client.get("/api/network/organisations/cagette").get_json()
        listing = client.get("/api/network/organisations").get_json()
        jsonld = client.get("/reseau/dfc.jsonld").get_data(as_text=True)
        return html, json.dumps(api), json.dumps(listing), jsonld

    for output in outputs():
        assert "bonjour@cagette.example.org" in output
    assert "/reseau/structures/cagette" in _search_urls("prix differencies")

    # The owner hides the e-mail through the edit form; the phone becomes members-only.
    login(client, owner)
    page = client.get("/reseau/structures/cagette/modifier").get_data(as_text=True)
    assert 'name="vis_public_email"' in page
    form = {
        "name": org.name, "kind": "epicerie", "summary": org.summary, "city": "Crest",
        "postcode": "26400", "departement_code": "26", "address_precision": "commune",
        "public_email": "bonjour@cagette.example.org", "public_phone": "04 75 00 00 00",
        "visibility": "public", "dfc_opt_in": "y", "lat": "44.73", "lon": "5.02",
        "vis_public_email": "hidden", "vis_public_phone": "members", "vis_summary": "hidden",
    }
    assert client.post("/reseau/structures/cagette/modifier", data=form).status_code == 302
    client.post("/compte/deconnexion")

    for output in outputs():
        assert "bonjour@cagette.example.org" not in output
        assert "04 75 00 00 00" not in output  # members-only: not for the public
        assert "prix différenciés" not in output
    assert _search_urls("prix differencies") == []
    assert _search_urls("prix differencies", members=True) == []
    assert "/reseau/structures/cagette" in _search_urls("cagette")

    # A member sees the members-only phone, never the hidden e-mail.
    member = make_user("learner")
    login(client, member)
    html = client.get("/reseau/structures/cagette").get_data(as_text=True)
    assert "04 75 00 00 00" in html and "bonjour@cagette.example.org" not in html

    # Hiding the person's headline takes it out of their page, the API and search.
    operations.set_field_visibility(person, "headline", Visibility.HIDDEN)
    db.session.commit()
    assert "Trésorière bénévole" not in client.get("/reseau/personnes/ines-garnier").get_data(
        as_text=True
    )
    assert "headline" not in client.get("/api/network/people/ines-garnier").get_json()
    assert _search_urls("tresoriere", members=True) == []


def test_territory_hidden_is_not_usable_as_a_filter(client, make_person):
    make_person("discrete", "Personne Discrète", departement_code="07",
                field_visibility={"territory": "hidden"})
    assert "Personne Discrète" in client.get("/reseau/annuaire").get_data(as_text=True)
    page = client.get("/reseau/annuaire?departement=07").get_data(as_text=True)
    assert "Personne Discrète" not in page


def test_people_can_exist_without_account_and_be_added_by_moderators(client, login_as,
                                                                      make_theme):
    theme = make_theme()
    login_as("moderator")
    response = client.post("/reseau/personnes/nouvelle", data={
        "name": "Témoin Sans Compte", "visibility": "public", "consent": "y",
        "themes": [str(theme.id)],
    })
    assert response.status_code == 302
    person = operations.get_person("temoin-sans-compte")
    assert person.user_id is None and [t.slug for t in person.themes] == ["tarification-sociale"]


def test_learner_cannot_edit_someone_else(client, login_as, make_person):
    make_person("autre", "Autre Personne")
    login_as("learner")
    assert client.get("/reseau/personnes/autre/modifier").status_code == 403
    assert client.get("/reseau/personnes/nouvelle").status_code == 403


def test_organisation_managers_add_and_remove_members(client, make_user, make_org, make_person):
    owner = make_user("learner", email="gerante@example.org")
    org = make_org(created_by_id=owner.id, dfc_opt_in=True)
    make_person("paul-durand", "Paul Durand", first_name="Paul", family_name="Durand",
                dfc_opt_in=True)
    outsider = make_user("learner")
    login(client, outsider)
    assert client.post(f"/reseau/structures/{org.slug}/membres",
                       data={"person": "paul-durand"}).status_code == 403
    client.post("/compte/deconnexion")

    login(client, owner)
    response = client.post(f"/reseau/structures/{org.slug}/membres",
                           data={"person": "paul-durand", "role_label": "salarié",
                                 "is_main_contact": "1"})
    assert response.status_code == 302
    page = client.get(f"/reseau/structures/{org.slug}").get_data(as_text=True)
    assert "Paul Durand" in page and "salarié" in page
    assert "Paul" in client.get("/reseau/dfc.jsonld").get_data(as_text=True)  # main contact
    page = client.get("/reseau/personnes/paul-durand").get_data(as_text=True)
    assert org.name.replace("'", "&#39;") in page
    client.post(f"/reseau/structures/{org.slug}/membres/paul-durand/retirer")
    assert "Paul Durand" not in client.get(f"/reseau/structures/{org.slug}").get_data(
        as_text=True).split('id="members-title"')[1].split("</ul>")[0]


def test_profile_photo_is_checked_stored_and_served_by_visibility(client, login_as):
    import io

    from PIL import Image

    login_as("learner", display_name="Zoé Photo")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 60)).save(buffer, "PNG")
    data = {"name": "Zoé Photo", "visibility": "public", "consent": "y", "vis_photo": "members",
            "photo": (io.BytesIO(buffer.getvalue()), "zoe.png")}
    response = client.post("/reseau/mon-profil", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with client.get("/reseau/personnes/zoe-photo/photo") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/png"
        assert photo.get_data() == buffer.getvalue()
    client.post("/compte/deconnexion")
    assert client.get("/reseau/personnes/zoe-photo").status_code == 200
    assert client.get("/reseau/personnes/zoe-photo/photo").status_code == 404  # members only

    login_as("learner", display_name="Faux")
    fake = {"name": "Faux", "visibility": "members",
            "photo": (io.BytesIO(b"<svg onload=alert(1)>"), "faux.png")}
    response = client.post("/reseau/mon-profil", data=fake, content_type="multipart/form-data")
    assert response.status_code == 400


def test_directory_is_paginated(client, make_org, monkeypatch):
    from app.network import views

    monkeypatch.setattr(views, "DIRECTORY_PAGE_SIZE", 2)
    for n in range(5):
        make_org(f"ferme-{n}", f"Ferme {n}", kind=OrganisationKind.PRODUCTEUR)
    page = client.get("/reseau/annuaire?kind=producteur").get_data(as_text=True)
    assert "5 résultats" in page and "Ferme 0" in page and "Ferme 2" not in page
    assert "page=2" in page and "kind=producteur" in page
    page = client.get("/reseau/annuaire?kind=producteur&page=3").get_data(as_text=True)
    assert "Ferme 4" in page and "Ferme 0" not in page
    assert client.get("/reseau/annuaire?page=99").status_code == 200


def test_pages_carry_schema_org_jsonld_of_public_fields_only(client, make_person, make_theme,
                                                             make_org, login_as):
    make_person("x-script", "Nom </script><script>alert(1)</script>", headline="Formatrice",
                themes=[make_theme()], public_email="x@example.org")
    make_org("ferme-bio", "Ferme bio", city="Die", postcode="26150")
    login_as("learner")  # a member sees the e-mail on the page, never in the JSON-LD
    page = client.get("/reseau/personnes/x-script").get_data(as_text=True)
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Person" and data["knowsAbout"] == ["Tarification sociale"]
    assert data["name"].startswith("Nom </script>") and "</script>" not in raw
    assert "x@example.org" in page and "x@example.org" not in raw
    page = client.get("/reseau/structures/ferme-bio").get_data(as_text=True)
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(raw)["address"]["addressLocality"] == "Die"
