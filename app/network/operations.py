"""Directory operations and the registries other features plug into.

Registries (call them from your feature's ``init_app``; registering twice is harmless):

- ``register_contribution_provider(fn)``: ``fn(person) -> list[dict(kind, title, url, date)]``,
  what a directory person contributed (sessions, episodes, guides), shown on their page;
- ``register_agenda_provider(fn)``: ``fn(start, end, filters) -> list[AgendaItem]``, dated items
  shown in the agenda and its iCal feeds (course sessions);
- ``register_personal_data_provider(fn)``: ``fn(user) -> dict``, merged into "télécharger mes
  données";
- ``register_account_deletion_handler(fn)``: ``fn(user) -> None``, called (inside the request's
  transaction) before an account is anonymised, to anonymise that feature's own rows;
- ``register_thread_target(kind, fn)``: ``fn(target_id) -> ThreadTarget | None``, lets the
  exchange space open one thread per course, session or resource.

Operations flush, never commit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.core.db import utcnow
from app.extensions import db
from app.library.models import Theme
from app.network.models import Affiliation, Organisation, OrganisationKind, Person, Visibility
from app.network.visibility import (
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
    visible_fields,
)

# --------------------------------------------------------------------------- registries

_contribution_providers: list[Callable] = []
_agenda_providers: list[Callable] = []
_personal_data_providers: list[Callable] = []
_deletion_handlers: list[Callable] = []
_thread_targets: dict[str, Callable] = {}


def _add(registry: list, fn: Callable) -> Callable:
    # Apps are created many times per process (tests, workers): keep one entry per function.
    if fn not in registry:
        registry.append(fn)
    return fn


def register_contribution_provider(provider: Callable) -> Callable:
    """Add ``provider(person) -> list[dict(kind, title, url, date)]`` to person pages."""
    return _add(_contribution_providers, provider)


def unregister_contribution_provider(provider: Callable) -> None:
    """Remove a contribution provider (tests)."""
    if provider in _contribution_providers:
        _contribution_providers.remove(provider)


def get_contributions(person: Person) -> list[dict]:
    """Return what a person contributed, from every provider, newest first."""
    items = []
    for provider in _contribution_providers:
        for item in provider(person) or ():
            items.append(
                {
                    "kind": str(item.get("kind", "")),
                    "title": str(item["title"]),
                    "url": item.get("url") or "",
                    "date": item.get("date"),
                }
            )

    def sort_key(item):
        value = item["date"]
        if isinstance(value, datetime):
            return value.date().toordinal()
        if isinstance(value, date):
            return value.toordinal()
        return 0

    return sorted(items, key=sort_key, reverse=True)


@dataclass(frozen=True)
class AgendaItem:
    """One dated item of the agenda, whatever feature owns it (event, course session…)."""

    uid: str  # stable iCalendar UID
    title: str
    start_dt: datetime  # aware
    end_dt: datetime  # aware
    url: str  # the item's public page
    kind: str = "event"  # "event", "session"…
    mode: str = "in_person"  # "online", "in_person" or "hybrid"
    place: str = ""
    city: str = ""
    departement_code: str = ""
    themes: tuple[str, ...] = ()  # theme slugs
    description: str = ""  # Markdown
    organiser: str = ""
    status: str = "confirmed"  # "confirmed", "tentative" or "cancelled"
    sequence: int = 0
    last_modified_dt: datetime | None = None
    tzid: str = "Europe/Paris"
    extra: dict = field(default_factory=dict, compare=False)


def register_agenda_provider(provider: Callable) -> Callable:
    """Add ``provider(start, end, filters) -> list[AgendaItem]`` to the agenda.

    ``filters`` is a dict with optional keys ``theme`` (slug), ``departement`` (code) and
    ``online`` (bool); providers may ignore them, the agenda filters again.
    """
    return _add(_agenda_providers, provider)


def unregister_agenda_provider(provider: Callable) -> None:
    """Remove an agenda provider (tests)."""
    if provider in _agenda_providers:
        _agenda_providers.remove(provider)


def get_agenda_providers() -> list[Callable]:
    return list(_agenda_providers)


def register_personal_data_provider(provider: Callable) -> Callable:
    """Add ``provider(user) -> dict`` to the personal data download (keys are section names)."""
    return _add(_personal_data_providers, provider)


def unregister_personal_data_provider(provider: Callable) -> None:
    if provider in _personal_data_providers:
        _personal_data_providers.remove(provider)


def register_account_deletion_handler(handler: Callable) -> Callable:
    """Add ``handler(user)``, run before an account is anonymised (flush, never commit)."""
    return _add(_deletion_handlers, handler)


def unregister_account_deletion_handler(handler: Callable) -> None:
    if handler in _deletion_handlers:
        _deletion_handlers.remove(handler)


@dataclass(frozen=True)
class ThreadTarget:
    """What a discussion thread is about, as its owning feature describes it."""

    title: str
    url: str
    theme_slug: str | None = None


def register_thread_target(kind: str, resolver: Callable) -> Callable:
    """Let threads attach to ``kind`` objects: ``resolver(target_id) -> ThreadTarget | None``."""
    _thread_targets[kind] = resolver
    return resolver


def unregister_thread_target(kind: str) -> None:
    _thread_targets.pop(kind, None)


def resolve_thread_target(kind: str, target_id: int) -> ThreadTarget | None:
    """Return the target of a thread, or None when the kind is unknown or the object gone."""
    resolver = _thread_targets.get(kind)
    return resolver(target_id) if resolver else None


# --------------------------------------------------------------------------- directory


def slugify(text: str) -> str:
    """Return an ASCII URL name ("Épicerie du Coin" → "epicerie-du-coin")."""
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", flat.lower()).strip("-")[:100] or "fiche"


def unique_slug(model, text: str, exclude_id: int | None = None) -> str:
    """Return a slug for text that no other row of model uses."""
    base = slugify(text)
    candidate, n = base, 1
    while True:
        query = sa.select(model.id).where(model.slug == candidate)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.scalar(query) is None:
            return candidate
        n += 1
        candidate = f"{base}-{n}"


def get_person(slug: str) -> Person | None:
    return db.session.scalar(sa.select(Person).where(Person.slug == slug))


def get_organisation(slug: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))


def get_person_for_user(user) -> Person | None:
    """Return the directory profile of an account, if it has one."""
    return db.session.scalar(sa.select(Person).where(Person.user_id == user.id))


def active_themes() -> list[Theme]:
    return list(
        db.session.scalars(
            sa.select(Theme).where(Theme.is_active.is_(True)).order_by(Theme.position, Theme.name)
        )
    )


def _matches(fields: dict, *, q: str, theme: str | None, departement: str | None) -> bool:
    """Filter on what the viewer may see only, so a hidden field never decides a match."""
    if theme and theme not in {t["slug"] for t in fields.get("themes", ())}:
        return False
    if departement and fields.get("territory", {}).get("departement_code") != departement:
        return False
    if q:
        from app.search.text import fold_text, query_terms

        haystack = fold_text(" ".join(_searchable_text(fields)))
        return all(term in haystack for term in query_terms(q))
    return True


def _searchable_text(fields: dict) -> list[str]:
    parts = [fields["name"]]
    for key in ("headline", "bio", "summary", "description", "contact_name"):
        if fields.get(key):
            parts.append(fields[key])
    parts += [t["name"] for t in fields.get("themes", ())]
    territory = fields.get("territory") or {}
    parts.append(territory.get("city", ""))
    parts += [a["organisation_name"] for a in fields.get("affiliations", ())]
    parts += [m["person_name"] for m in fields.get("members", ())]
    return parts


def search_directory(
    viewer,
    *,
    q: str = "",
    section: str = "all",
    kind: str | None = None,
    theme: str | None = None,
    departement: str | None = None,
) -> list[dict]:
    """Return the visible profiles matching the filters, as visible_fields dicts, by name."""
    results = []
    if section in ("all", "organisations"):
        # Every row goes through visible_fields: managers also see their hidden profiles.
        query = sa.select(Organisation).options(
            selectinload(Organisation.themes),
            selectinload(Organisation.affiliations).joinedload(Affiliation.person),
        )
        if kind:
            query = query.where(Organisation.kind == OrganisationKind(kind))
        for org in db.session.scalars(query):
            fields = visible_fields(org, viewer)
            if fields and _matches(fields, q=q, theme=theme, departement=departement):
                results.append(fields)
    if section in ("all", "people") and not kind:
        query = sa.select(Person).options(
            selectinload(Person.themes),
            selectinload(Person.affiliations).joinedload(Affiliation.organisation),
        )
        for person in db.session.scalars(query):
            fields = visible_fields(person, viewer)
            if fields and _matches(fields, q=q, theme=theme, departement=departement):
                results.append(fields)
    from app.search.text import strip_accents

    return sorted(results, key=lambda f: strip_accents(f["name"]).casefold())


def update_person(person: Person, data: dict, themes: list[Theme]) -> Person:
    """Apply the profile form to a person (flushes)."""
    for name in ("name", "first_name", "family_name", "headline", "bio", "public_email",
                 "region_code", "departement_code", "commune_code", "city"):
        if name in data:
            setattr(person, name, (data[name] or "").strip())
    if "links" in data:
        person.links = data["links"]
    if "visibility" in data:
        person.visibility = Visibility(data["visibility"])
    if "dfc_opt_in" in data:
        person.dfc_opt_in = bool(data["dfc_opt_in"])
    person.field_visibility = _field_levels(data, PERSON_FIELDS, person.field_visibility)
    person.themes = themes
    if not person.slug:
        person.slug = unique_slug(Person, person.name)
    db.session.add(person)
    db.session.flush()
    index_profile(person)
    return person


def update_organisation(org: Organisation, data: dict, themes: list[Theme]) -> Organisation:
    """Apply the organisation form (flushes)."""
    for name in ("name", "summary", "description", "region_code", "departement_code",
                 "commune_code", "street", "postcode", "city", "public_email", "public_phone",
                 "contact_name", "website", "ofn_url", "siret"):
        if name in data:
            setattr(org, name, (data[name] or "").strip())
    for name in ("lat", "lon"):
        if name in data:
            setattr(org, name, data[name])
    if "kind" in data:
        org.kind = OrganisationKind(data["kind"])
    if "address_precision" in data:
        org.address_precision = data["address_precision"]
    if "social_links" in data:
        org.social_links = data["social_links"]
    if "visibility" in data:
        org.visibility = Visibility(data["visibility"])
    if "dfc_opt_in" in data:
        org.dfc_opt_in = bool(data["dfc_opt_in"])
    org.field_visibility = _field_levels(data, ORGANISATION_FIELDS, org.field_visibility)
    org.themes = themes
    if not org.slug:
        org.slug = unique_slug(Organisation, org.name)
    if org.consent_dt is None:
        org.consent_dt = utcnow()
    db.session.add(org)
    db.session.flush()
    index_profile(org)
    return org


def _field_levels(data: dict, fields: dict, current: dict | None) -> dict:
    levels = dict(current or {})
    for name in fields:
        value = data.get(f"vis_{name}")
        if value:
            levels[name] = str(Visibility(value))
    return levels


def set_field_visibility(profile: Person | Organisation, name: str, level: Visibility | str):
    """Set one field's visibility (flushes and refreshes the search index)."""
    fields = PERSON_FIELDS if isinstance(profile, Person) else ORGANISATION_FIELDS
    if name not in fields:
        raise ValueError(f"unknown field {name!r}")
    profile.field_visibility = {**(profile.field_visibility or {}), name: str(Visibility(level))}
    db.session.flush()
    index_profile(profile)


def record_consent(person: Person) -> None:
    """Record that the person agreed to appear in the directory, with the date."""
    person.consent_dt = utcnow()
    db.session.flush()
    index_profile(person)


def withdraw_consent(person: Person) -> None:
    """Withdraw the directory consent: the profile goes back to members-only."""
    person.consent_dt = None
    if person.visibility == Visibility.PUBLIC:
        person.visibility = Visibility.MEMBERS
    db.session.flush()
    index_profile(person)


# --------------------------------------------------------------------------- search index


def _search_api():
    try:
        from app.search import operations as search_ops
    except ImportError:  # the search feature is optional
        return None
    return search_ops if hasattr(search_ops, "index_document") else None


def index_profile(profile: Person | Organisation) -> None:
    """Index what the widest audience may see of a profile, or take it out of search.

    One entry per profile: a public profile is indexed with its public fields only, a
    members-only one with what any member may see; a hidden profile is removed.
    """
    search_ops = _search_api()
    if search_ops is None:
        return
    from app.core.text import plain_text
    from app.network.visibility import ANY_MEMBER

    kind = "person" if isinstance(profile, Person) else "organisation"
    visibility = "public"
    fields = visible_fields(profile, None)
    if fields is None:
        visibility = "members"
        fields = visible_fields(profile, ANY_MEMBER)
    if fields is None:
        search_ops.remove_document(kind, profile.id)
        return
    shown = {t["slug"] for t in fields.get("themes", ())}
    territory = fields.get("territory", {})
    search_ops.index_document(
        kind,
        profile.id,
        title=fields["name"],
        url=_relative(fields["url"]),
        body=plain_text(" ".join(_searchable_text(fields))),
        summary=plain_text(fields.get("headline") or fields.get("summary") or "", 300),
        type=fields.get("organisation_kind", "person"),
        theme_ids=[t.id for t in profile.themes if t.slug in shown],
        territory=territory.get("departement_code") or None,
        visibility=visibility,
    )


def _relative(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def reindex_directory() -> int:
    """Rebuild the directory's search entries (e.g. after the search feature lands)."""
    count = 0
    for model in (Person, Organisation):
        for profile in db.session.scalars(sa.select(model)):
            index_profile(profile)
            count += 1
    return count



# --------------------------------------------------------------------------- DFC export


def dfc_entries(organisations=None) -> list[dict]:
    """Return the opted-in organisations as the DFC builder expects them (public view only)."""
    from app.core.text import plain_text

    if organisations is None:
        organisations = db.session.scalars(
            sa.select(Organisation).where(Organisation.dfc_opt_in.is_(True)).order_by(
                Organisation.name
            )
        )
    entries = []
    for org in organisations:
        if not org.dfc_opt_in:
            continue
        fields = visible_fields(org, None)
        if fields is None:
            continue
        contact = None
        main = db.session.scalar(
            sa.select(Affiliation).where(
                Affiliation.organisation_id == org.id, Affiliation.is_main_contact.is_(True)
            )
        )
        if main is not None and main.person.dfc_opt_in:
            person_fields = visible_fields(main.person, None)
            if person_fields is not None:
                contact = {
                    "url": person_fields["url"],
                    "first_name": main.person.first_name,
                    "family_name": main.person.family_name,
                }
        entries.append(
            {
                "fields": fields,
                "main_contact": contact,
                "description": plain_text(fields.get("description") or fields.get("summary")),
            }
        )
    return entries


def set_affiliation(
    org: Organisation, person: Person, role_label: str = "", is_main_contact: bool = False
):
    """Add a person to an organisation or update their role (one main contact at most)."""
    current = next((a for a in org.affiliations if a.person_id == person.id), None)
    if current is None:
        current = Affiliation(organisation=org, person=person)
        db.session.add(current)
    current.role_label = role_label.strip()[:120]
    if is_main_contact:
        for other in org.affiliations:
            other.is_main_contact = False
    current.is_main_contact = is_main_contact
    db.session.flush()
    index_profile(org)
    index_profile(person)
    return current


def remove_affiliation(org: Organisation, person: Person) -> None:
    for affiliation in list(org.affiliations):
        if affiliation.person_id == person.id:
            org.affiliations.remove(affiliation)
    db.session.flush()
    index_profile(org)
    index_profile(person)


def get_personal_data_providers() -> list[Callable]:
    return list(_personal_data_providers)


def get_account_deletion_handlers() -> list[Callable]:
    return list(_deletion_handlers)
