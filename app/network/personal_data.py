"""Personal data: "télécharger mes données" and "supprimer mon compte" (contributions kept,
anonymised). Other features add their parts through the registries in operations.py."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from app.auth.models import ApiToken, User
from app.core.db import utcnow
from app.extensions import db
from app.network import operations
from app.network.agenda_models import Event
from app.network.exchange_models import Follow, Notification, Post, Report, Thread
from app.network.models import Organisation, Person, Visibility


def _iso(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _person_data(person: Person) -> dict:
    return {
        "slug": person.slug,
        "name": person.name,
        "first_name": person.first_name,
        "family_name": person.family_name,
        "headline": person.headline,
        "bio": person.bio,
        "public_email": person.public_email,
        "territory": {
            "region_code": person.region_code,
            "departement_code": person.departement_code,
            "commune_code": person.commune_code,
            "city": person.city,
        },
        "links": person.links,
        "themes": [t.slug for t in person.themes],
        "visibility": str(person.visibility),
        "field_visibility": person.field_visibility,
        "directory_consent_dt": _iso(person.consent_dt),
        "dfc_opt_in": person.dfc_opt_in,
        "affiliations": [
            {"organisation": a.organisation.name, "role": a.role_label} for a in person.affiliations
        ],
        "created_dt": _iso(person.created_dt),
    }


def export_personal_data(user: User) -> dict:
    """Return everything the platform holds about an account, as JSON-ready data."""
    person = operations.get_person_for_user(user)
    posts = db.session.scalars(sa.select(Post).where(Post.author_id == user.id).order_by(Post.id))
    data = {
        "generated_dt": utcnow().isoformat(),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "role": str(user.role),
            "locale": user.locale,
            "created_dt": _iso(user.created_dt),
            "email_confirmed_dt": _iso(user.email_confirmed_dt),
            "last_login_dt": _iso(user.last_login_dt),
            "api_tokens": [
                {"name": t.name, "created_dt": _iso(t.created_dt), "revoked_dt": _iso(t.revoked_dt)}
                for t in user.api_tokens
            ],
        },
        "directory_profile": _person_data(person) if person else None,
        "organisations_created": [
            {"slug": o.slug, "name": o.name}
            for o in db.session.scalars(
                sa.select(Organisation).where(Organisation.created_by_id == user.id)
            )
        ],
        "events_proposed": [
            {"title": e.title, "start_dt": _iso(e.start_dt), "status": str(e.status)}
            for e in db.session.scalars(sa.select(Event).where(Event.created_by_id == user.id))
        ],
        "posts": [
            {
                "thread": p.thread.title,
                "body": p.body,
                "status": str(p.status),
                "created_dt": _iso(p.created_dt),
            }
            for p in posts
        ],
        "followed_threads": [
            {"thread": f.thread.title, "mode": str(f.mode)}
            for f in db.session.scalars(sa.select(Follow).where(Follow.user_id == user.id))
        ],
        "reports_made": [
            {"post_id": r.post_id, "reason": r.reason, "details": r.details}
            for r in db.session.scalars(sa.select(Report).where(Report.reporter_id == user.id))
        ],
    }
    for provider in operations.get_personal_data_providers():
        for key, value in (provider(user) or {}).items():
            data[key] = value
    return data


#: Where a deleted account's e-mail address points (nowhere): "compte-supprime-<id>@…".
DELETED_EMAIL_DOMAIN = "@invalid.invalid"


def is_deleted_account(user: User) -> bool:
    """Tell whether an account was anonymised by delete_account."""
    return not user.is_enabled and user.email.endswith(DELETED_EMAIL_DOMAIN)


def delete_account(user: User) -> None:
    """Anonymise an account: personal data erased, contributions kept under "Compte supprimé"."""
    for handler in operations.get_account_deletion_handlers():
        handler(user)
    person = operations.get_person_for_user(user)
    if person is not None:
        anonymise_person(person)
    db.session.execute(sa.delete(Follow).where(Follow.user_id == user.id))
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(
        sa.update(Report).where(Report.reporter_id == user.id).values(details="")
    )
    user.email = f"compte-supprime-{user.id}{DELETED_EMAIL_DOMAIN}"
    # Stored in the source language whoever deletes; pages translate it (exchange.author_name).
    user.display_name = "Compte supprimé"
    user.password_hash = None
    user.is_enabled = False
    user.locale = None
    user.last_login_dt = None
    db.session.flush()


def anonymise_person(person: Person) -> None:
    """Erase a profile's personal fields; the row stays so contributions keep their link."""
    person.name = "Ancien·ne membre"  # stored in the source language; the profile is hidden
    person.first_name = person.family_name = ""
    person.headline = person.bio = person.public_email = ""
    person.region_code = person.departement_code = person.commune_code = person.city = ""
    person.links = []
    person.photo_id = None
    person.themes = []
    person.affiliations = []
    person.visibility = Visibility.HIDDEN
    person.consent_dt = None
    person.dfc_opt_in = False
    person.user_id = None
    person.slug = f"ancien-membre-{person.id}"
    db.session.flush()
    operations.index_profile(person)


def threads_started(user: User) -> list[Thread]:
    return list(db.session.scalars(sa.select(Thread).where(Thread.created_by_id == user.id)))
