"""Who sees what in the directory: the one place that decides.

Every output of a profile (HTML page, list, map, JSON API, JSON-LD export, search index) is built
from ``visible_fields(profile, viewer)``; nothing reads the profile's columns directly, so a field
marked hidden or members-only can never leak through one output that forgot to check.
"""

from __future__ import annotations

from flask import url_for

from app.auth.models import Role
from app.network.models import AddressPrecision, Organisation, Person, Visibility

#: Fields a person can show or hide one by one, with their default visibility.
PERSON_FIELDS = {
    "headline": Visibility.PUBLIC,
    "bio": Visibility.PUBLIC,
    "photo": Visibility.PUBLIC,
    "themes": Visibility.PUBLIC,
    "territory": Visibility.PUBLIC,
    "affiliations": Visibility.PUBLIC,
    "links": Visibility.PUBLIC,
    "public_email": Visibility.MEMBERS,
}

#: Fields an organisation can show or hide one by one, with their default visibility.
ORGANISATION_FIELDS = {
    "summary": Visibility.PUBLIC,
    "description": Visibility.PUBLIC,
    "logo": Visibility.PUBLIC,
    "themes": Visibility.PUBLIC,
    "territory": Visibility.PUBLIC,
    "address": Visibility.PUBLIC,
    "coordinates": Visibility.PUBLIC,
    "website": Visibility.PUBLIC,
    "ofn_url": Visibility.PUBLIC,
    "social_links": Visibility.PUBLIC,
    "members": Visibility.PUBLIC,
    "public_email": Visibility.MEMBERS,
    "public_phone": Visibility.MEMBERS,
    "contact_name": Visibility.MEMBERS,
    "siret": Visibility.MEMBERS,
}

class _AnyMember:
    """A signed-in account with no role and no profile of its own: what "members" may see."""

    is_authenticated = True
    id = None

    def has_role(self, *roles) -> bool:
        return False


#: Viewer standing for every signed-in member (the search index's "members" entries).
ANY_MEMBER = _AnyMember()

_RANK = {Visibility.PUBLIC: 0, Visibility.MEMBERS: 1, Visibility.HIDDEN: 2}


def _is_member(viewer) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False)


def is_manager(profile: Person | Organisation, viewer) -> bool:
    """Tell whether the viewer may edit the profile (and so sees all of it)."""
    if not _is_member(viewer) or viewer.id is None:
        return False
    if viewer.has_role(Role.MODERATOR):
        return True
    if isinstance(profile, Person):
        return profile.user_id is not None and profile.user_id == viewer.id
    if profile.created_by_id == viewer.id:
        return True
    # Members added by a manager may edit; only managers add members, so nobody can claim a
    # membership to gain edit rights.
    return any(
        a.person.user_id == viewer.id for a in profile.affiliations if a.person.user_id is not None
    )


def profile_visibility(profile: Person | Organisation) -> Visibility:
    """Return who may see the profile; without recorded consent a person is never public."""
    level = Visibility(profile.visibility)
    if isinstance(profile, Person) and profile.consent_dt is None and level == Visibility.PUBLIC:
        return Visibility.MEMBERS
    return level


def field_visibility(profile: Person | Organisation, name: str) -> Visibility:
    """Return the visibility of one field: its own setting, never wider than the profile's."""
    defaults = PERSON_FIELDS if isinstance(profile, Person) else ORGANISATION_FIELDS
    own = Visibility((profile.field_visibility or {}).get(name, defaults[name]))
    overall = profile_visibility(profile)
    return own if _RANK[own] >= _RANK[overall] else overall


def _allowed(level: Visibility, viewer) -> bool:
    if level == Visibility.PUBLIC:
        return True
    if level == Visibility.MEMBERS:
        return _is_member(viewer)
    return False


def can_see(profile: Person | Organisation, viewer) -> bool:
    """Tell whether the viewer may see the profile at all (otherwise: 404)."""
    return is_manager(profile, viewer) or _allowed(profile_visibility(profile), viewer)


def visible_fields(profile: Person | Organisation, viewer) -> dict | None:
    """Return the profile as the viewer may see it, or None when the profile is hidden to them.

    ``viewer`` is an account, an anonymous user or None (None = the public: exports, search).
    """
    if not can_see(profile, viewer):
        return None
    manager = is_manager(profile, viewer)

    def show(name):
        return manager or _allowed(field_visibility(profile, name), viewer)

    if isinstance(profile, Person):
        return _person_fields(profile, viewer, show)
    return _organisation_fields(profile, viewer, show)


def _themes(themes) -> list[dict]:
    return [{"slug": t.slug, "name": t.name, "label": t.label} for t in themes]


def _person_fields(person: Person, viewer, show) -> dict:
    data = {
        "kind": "person",
        "slug": person.slug,
        "name": person.name,
        "url": url_for("network.person", slug=person.slug, _external=True),
    }
    if show("headline") and person.headline:
        data["headline"] = person.headline
    if show("bio") and person.bio:
        data["bio"] = person.bio
    if show("photo") and person.photo_id:
        data["photo_url"] = url_for("network.person_photo", slug=person.slug, _external=True)
    if show("themes") and person.themes:
        data["themes"] = _themes(person.themes)
    if show("territory") and (person.departement_code or person.city):
        data["territory"] = {
            "region_code": person.region_code,
            "departement_code": person.departement_code,
            "commune_code": person.commune_code,
            "city": person.city,
        }
    if show("affiliations"):
        affiliations = [
            {
                "organisation": a.organisation.slug,
                "organisation_name": a.organisation.name,
                "role": a.role_label,
            }
            for a in person.affiliations
            if can_see(a.organisation, viewer)
        ]
        if affiliations:
            data["affiliations"] = affiliations
    if show("links") and person.links:
        data["links"] = [dict(link) for link in person.links]
    if show("public_email") and person.public_email:
        data["public_email"] = person.public_email
    return data


def _organisation_fields(org: Organisation, viewer, show) -> dict:
    data = {
        "kind": "organisation",
        "slug": org.slug,
        "name": org.name,
        "organisation_kind": str(org.kind),
        "url": url_for("network.organisation", slug=org.slug, _external=True),
    }
    precision = AddressPrecision(org.address_precision)
    for name in ("summary", "description", "website", "ofn_url", "public_email", "public_phone",
                 "contact_name", "siret"):
        value = getattr(org, name)
        if value and show(name):
            data[name] = value
    if show("logo") and org.logo_id:
        data["logo_url"] = url_for("network.organisation_logo", slug=org.slug, _external=True)
    if show("themes") and org.themes:
        data["themes"] = _themes(org.themes)
    if show("territory") and (org.departement_code or org.city):
        data["territory"] = {
            "region_code": org.region_code,
            "departement_code": org.departement_code,
            "commune_code": org.commune_code,
            "city": org.city,
        }
    if show("address") and precision != AddressPrecision.HIDDEN and (org.city or org.street):
        address = {"postcode": org.postcode, "city": org.city, "country": org.country_iso}
        if precision == AddressPrecision.EXACT:
            address["street"] = org.street
        data["address"] = address
    if (
        show("coordinates")
        and precision != AddressPrecision.HIDDEN
        and org.lat is not None
        and org.lon is not None
    ):
        data["coordinates"] = {"lat": org.lat, "lon": org.lon}
    if show("social_links") and org.social_links:
        data["social_links"] = [dict(link) for link in org.social_links]
    if show("members"):
        members = [
            {"person": a.person.slug, "person_name": a.person.name, "role": a.role_label}
            for a in org.affiliations
            if can_see(a.person, viewer)
        ]
        if members:
            data["members"] = members
    return data
