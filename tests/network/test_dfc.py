"""Data Food Consortium export, checked by JSON-LD expansion with pyld (context served locally)."""

import json

import pytest
from pyld import jsonld

from app.network.dfc import DFC_CONTEXT_URL, DFC_CONTEXT_V2_URL, LOCAL_CONTEXT_PATH
from app.network.models import AddressPrecision, OrganisationKind

DFC_B = "https://w3id.org/dfc/ontology/src/DFC_BusinessOntology.owl#"
SCHEMA = "https://schema.org/"


def local_loader(url, options=None):
    """Serve the pinned DFC context from the repository; any other URL is an error (no network)."""
    if url in (DFC_CONTEXT_URL, DFC_CONTEXT_V2_URL):
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads(LOCAL_CONTEXT_PATH.read_text()),
        }
    raise AssertionError(f"the test tried to load {url}")


def expand(document):
    return jsonld.expand(document, {"documentLoader": local_loader})


def nodes_by_type(expanded):
    found = {}
    for node in expanded:
        for t in node.get("@type", []):
            found.setdefault(t, []).append(node)
    return found


def value(node, term):
    return [v.get("@value", v.get("@id")) for v in node.get(DFC_B + term, [])]


@pytest.fixture
def opted_in(make_org, make_person, affiliate, make_theme):
    org = make_org(
        "amap-du-diois", "AMAP du Diois", kind=OrganisationKind.AMAP,
        summary="Paniers de légumes bio, 80 familles.",
        street="3 place de la République", postcode="26150", city="Die",
        address_precision=AddressPrecision.EXACT, lat=44.753, lon=5.370,
        public_email="contact@amap-diois.example.org", public_phone="04 75 22 00 00",
        website="https://amap-diois.example.org", ofn_url="https://www.coopcircuits.fr/amap-du-diois",
        social_links=[{"name": "Facebook", "url": "https://facebook.com/amapdiois"}],
        field_visibility={"public_email": "public", "public_phone": "public"},
        dfc_opt_in=True, themes=[make_theme()],
    )
    person = make_person("julie-roux", "Julie Roux", first_name="Julie", family_name="Roux",
                         dfc_opt_in=True)
    affiliate(person, org, "coordinatrice", is_main_contact=True)
    make_org("pas-dans-dfc", "Ferme qui ne veut pas", dfc_opt_in=False)
    return org


def test_dfc_export_expands_to_dfc_enterprise_address_contacts_and_social_media(client, opted_in):
    response = client.get("/reseau/dfc.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    document = response.get_json()
    assert document["@context"][0] == DFC_CONTEXT_URL
    assert "Ferme qui ne veut pas" not in response.get_data(as_text=True)

    by_type = nodes_by_type(expand(document))
    [enterprise] = by_type[DFC_B + "Enterprise"]
    assert enterprise["@id"] == "http://localhost/reseau/structures/amap-du-diois"
    assert value(enterprise, "name") == ["AMAP du Diois"]
    assert value(enterprise, "hasDescription") == ["Paniers de légumes bio, 80 familles."]
    assert value(enterprise, "email") == ["contact@amap-diois.example.org"]
    assert enterprise["http://www.w3.org/2002/07/owl#sameAs"] == [
        {"@id": "https://www.coopcircuits.fr/amap-du-diois"}
    ]
    assert enterprise[SCHEMA + "knowsAbout"] == [{"@value": "Tarification sociale"}]

    # Linked nodes are IRIs (the context's @id coercion), and each exists in the graph.
    [address_ref] = enterprise[DFC_B + "hasAddress"]
    [address] = by_type[DFC_B + "Address"]
    assert address_ref == {"@id": address["@id"]}
    assert value(address, "hasStreet") == ["3 place de la République"]
    assert value(address, "hasPostalCode") == ["26150"]
    assert value(address, "hasCity") == ["Die"]
    assert value(address, "hasCountry") == [
        "http://publications.europa.eu/resource/authority/country/FRA"
    ]
    assert value(address, "latitude") == [44.753]

    [phone] = by_type[DFC_B + "PhoneNumber"]
    assert enterprise[DFC_B + "hasPhoneNumber"] == [{"@id": phone["@id"]}]
    assert value(phone, "phoneNumber") == ["04 75 22 00 00"]

    [social] = by_type[DFC_B + "SocialMedia"]
    assert enterprise[DFC_B + "hasSocialMedia"] == [{"@id": social["@id"]}]
    assert value(social, "name") == ["Facebook"] and value(social, "URL") == [
        "https://facebook.com/amapdiois"
    ]

    [contact] = by_type[DFC_B + "Person"]
    assert enterprise[DFC_B + "hasMainContact"] == [{"@id": contact["@id"]}]
    assert value(contact, "firstName") == ["Julie"] and value(contact, "familyName") == ["Roux"]

    # No invented dfc-b: term: every dfc-b IRI used is one of the ontology's.
    used = {k for node in expand(document) for k in node if k.startswith(DFC_B)}
    assert used <= {DFC_B + t for t in (
        "name", "hasDescription", "email", "hasAddress", "hasPhoneNumber", "hasSocialMedia",
        "hasMainContact", "logo", "enterpriseID", "hasStreet", "hasPostalCode", "hasCity",
        "hasCountry", "latitude", "longitude", "phoneNumber", "URL", "firstName", "familyName",
    )}


def test_dfc_export_respects_commune_precision_and_contact_opt_in(
    client, make_org, make_person, affiliate
):
    org = make_org("ferme-discrete", "Ferme discrète", street="Lieu-dit Les Granges",
                   postcode="07200", city="Aubenas", dfc_opt_in=True,
                   public_email="ferme@example.org")  # e-mail members-only by default
    person = make_person("sans-optin", "Sans Optin", first_name="Paul", family_name="Sans",
                         dfc_opt_in=False)
    affiliate(person, org, is_main_contact=True)
    body = client.get("/reseau/structures/ferme-discrete/dfc.jsonld").get_data(as_text=True)
    by_type = nodes_by_type(expand(json.loads(body)))
    [address] = by_type[DFC_B + "Address"]
    assert value(address, "hasCity") == ["Aubenas"]
    assert DFC_B + "hasStreet" not in address  # commune precision by default
    assert "ferme@example.org" not in body
    assert DFC_B + "Person" not in by_type and "Paul" not in body


def test_dfc_v2_profile_names_the_type_organization(client, opted_in):
    response = client.get(
        "/reseau/dfc.jsonld", headers={"Accept": 'application/ld+json; profile="dfc-v2"'}
    )
    document = response.get_json()
    assert document["@context"][0] == DFC_CONTEXT_V2_URL
    assert DFC_B + "Organization" in nodes_by_type(expand(document))
    assert "Accept" in response.headers["Vary"]
