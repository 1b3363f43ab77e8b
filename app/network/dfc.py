"""Data Food Consortium export of the directory: JSON-LD of opted-in organisations.

Pure builder (no Flask, no database): it receives what ``visible_fields(profile, None)`` lets the
public see, so a hidden or members-only field can never reach the export. Terms follow the DFC
connector and OFN's enterprise export (``dfc-b:hasStreet``, ``hasPostalCode``, ``hasCity``…);
our own notions with no DFC term (themes) use schema.org in a separate context, never invented
``dfc-b:`` terms. ``data/dfc_context_1.16.0.json`` is a local copy of the terms we use from the
pinned context, so tests can expand the output without the network.
"""

from __future__ import annotations

from pathlib import Path

DFC_CONTEXT_URL = "https://w3id.org/dfc/ontology/context/context_1.16.0.json"
DFC_CONTEXT_V2_URL = "https://w3id.org/dfc/ontology/context/context_2.0.0.json"
LOCAL_CONTEXT_PATH = Path(__file__).parent / "data" / "dfc_context_1.16.0.json"
EXTRA_CONTEXT = {"schema": "https://schema.org/", "owl": "http://www.w3.org/2002/07/owl#"}
COUNTRY_AUTHORITY = "http://publications.europa.eu/resource/authority/country/"


def build_dfc_document(organisations: list[dict], *, v2: bool = False) -> dict:
    """Return the JSON-LD graph of organisations.

    Each entry is ``{"fields": visible_fields(org, None), "main_contact": person fields | None,
    "description": plain text}``; the main contact is passed only when that person opted in.
    """
    graph: list[dict] = []
    org_type = "dfc-b:Organization" if v2 else "dfc-b:Enterprise"
    for entry in organisations:
        fields = entry["fields"]
        node_id = fields["url"]
        node = {"@id": node_id, "@type": org_type, "dfc-b:name": fields["name"]}
        if entry.get("description"):
            node["dfc-b:hasDescription"] = entry["description"]
        if fields.get("logo_url"):
            node["dfc-b:logo"] = fields["logo_url"]
        if fields.get("public_email"):
            node["dfc-b:email"] = fields["public_email"]
        if fields.get("public_phone"):
            phone_id = f"{node_id}#phone"
            node["dfc-b:hasPhoneNumber"] = phone_id
            graph.append(
                {
                    "@id": phone_id,
                    "@type": "dfc-b:PhoneNumber",
                    "dfc-b:phoneNumber": fields["public_phone"],
                }
            )
        if fields.get("siret"):
            node["dfc-b:enterpriseID"] = fields["siret"]
        address = _address_node(fields, f"{node_id}#address")
        if address:
            node["dfc-b:hasAddress"] = address["@id"]
            graph.append(address)
        socials = []
        for index, link in enumerate(fields.get("social_links", ())):
            social_id = f"{node_id}#social-{index + 1}"
            socials.append(social_id)
            graph.append(
                {
                    "@id": social_id,
                    "@type": "dfc-b:SocialMedia",
                    "dfc-b:name": link.get("name") or link["url"],
                    "dfc-b:URL": link["url"],
                }
            )
        if socials:
            node["dfc-b:hasSocialMedia"] = socials
        contact = entry.get("main_contact")
        if contact:
            node["dfc-b:hasMainContact"] = contact["url"]
            person = {"@id": contact["url"], "@type": "dfc-b:Person"}
            if contact.get("first_name"):
                person["dfc-b:firstName"] = contact["first_name"]
            if contact.get("family_name"):
                person["dfc-b:familyName"] = contact["family_name"]
            graph.append(person)
        if fields.get("website"):
            node["schema:url"] = {"@id": fields["website"]}
        if fields.get("ofn_url"):
            node["owl:sameAs"] = {"@id": fields["ofn_url"]}
        if fields.get("themes"):
            node["schema:knowsAbout"] = [t["name"] for t in fields["themes"]]
        graph.append(node)
    return {
        "@context": [DFC_CONTEXT_V2_URL if v2 else DFC_CONTEXT_URL, EXTRA_CONTEXT],
        "@graph": graph,
    }


def _address_node(fields: dict, address_id: str) -> dict | None:
    address = fields.get("address")
    coordinates = fields.get("coordinates")
    if not address and not coordinates:
        return None
    node = {"@id": address_id, "@type": "dfc-b:Address"}
    if address:
        if address.get("street"):
            node["dfc-b:hasStreet"] = address["street"]
        if address.get("postcode"):
            node["dfc-b:hasPostalCode"] = address["postcode"]
        if address.get("city"):
            node["dfc-b:hasCity"] = address["city"]
        if address.get("country"):
            node["dfc-b:hasCountry"] = COUNTRY_AUTHORITY + address["country"]
    if coordinates:
        node["dfc-b:latitude"] = coordinates["lat"]
        node["dfc-b:longitude"] = coordinates["lon"]
    return node
