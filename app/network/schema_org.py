"""schema.org JSON-LD for the directory and agenda pages (search engines, link previews).

Built only from what ``visible_fields(profile, None)`` shows the public, like every other output.
"""

from __future__ import annotations

from app.core.text import plain_text


def person_jsonld(fields: dict) -> dict:
    data = {"@context": "https://schema.org", "@type": "Person", "name": fields["name"],
            "url": fields["url"]}
    if fields.get("headline"):
        data["jobTitle"] = fields["headline"]
    if fields.get("bio"):
        data["description"] = plain_text(fields["bio"], 500)
    if fields.get("themes"):
        data["knowsAbout"] = [t["name"] for t in fields["themes"]]
    if fields.get("affiliations"):
        data["affiliation"] = [
            {"@type": "Organization", "name": a["organisation_name"]}
            for a in fields["affiliations"]
        ]
    if fields.get("links"):
        data["sameAs"] = [link["url"] for link in fields["links"]]
    return data


def organisation_jsonld(fields: dict) -> dict:
    data = {"@context": "https://schema.org", "@type": "Organization", "name": fields["name"],
            "url": fields.get("website") or fields["url"]}
    if fields.get("summary") or fields.get("description"):
        data["description"] = plain_text(fields.get("summary") or fields["description"], 500)
    if fields.get("logo_url"):
        data["logo"] = fields["logo_url"]
    if fields.get("public_email"):
        data["email"] = fields["public_email"]
    if fields.get("public_phone"):
        data["telephone"] = fields["public_phone"]
    address = fields.get("address")
    if address:
        data["address"] = {
            "@type": "PostalAddress",
            "postalCode": address.get("postcode", ""),
            "addressLocality": address.get("city", ""),
            "addressCountry": "FR" if address.get("country") == "FRA" else address.get("country"),
        }
        if address.get("street"):
            data["address"]["streetAddress"] = address["street"]
    if fields.get("coordinates"):
        data["geo"] = {"@type": "GeoCoordinates", "latitude": fields["coordinates"]["lat"],
                       "longitude": fields["coordinates"]["lon"]}
    same_as = [link["url"] for link in fields.get("social_links", ())]
    if fields.get("ofn_url"):
        same_as.append(fields["ofn_url"])
    if same_as:
        data["sameAs"] = same_as
    return data


_MODES = {
    "online": "https://schema.org/OnlineEventAttendanceMode",
    "in_person": "https://schema.org/OfflineEventAttendanceMode",
    "hybrid": "https://schema.org/MixedEventAttendanceMode",
}


def event_jsonld(event, url: str) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": event.start_dt.isoformat(),
        "endDate": event.end_dt.isoformat(),
        "eventAttendanceMode": _MODES.get(str(event.mode), _MODES["in_person"]),
        "eventStatus": "https://schema.org/EventCancelled"
        if str(event.status) == "cancelled" else "https://schema.org/EventScheduled",
    }
    if event.description:
        data["description"] = plain_text(event.description, 500)
    locations = []
    if str(event.mode) in ("in_person", "hybrid") and (event.place or event.city):
        locations.append({"@type": "Place", "name": event.place or event.city,
                          "address": event.city or event.place})
    if str(event.mode) in ("online", "hybrid") and event.link:
        locations.append({"@type": "VirtualLocation", "url": event.link})
    if locations:
        data["location"] = locations if len(locations) > 1 else locations[0]
    organiser = event.organisation.name if event.organisation else event.organiser_name
    if organiser:
        data["organizer"] = {"@type": "Organization", "name": organiser}
    return data
