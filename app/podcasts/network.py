"""What podcasts give the network feature: the episodes a directory person takes part in (on
their page), listeners' personal data (private feed tokens) and its erasure.

Episodes name their speakers in ``Episode.persons`` ([{"name", "role", "href"…}], the
podcast:person list), not by directory id: a person is matched by name or by a link to their
directory page. The JSON column is narrowed with LIKE in SQL, then checked exactly in Python.
Operations flush, never commit.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload

from app.core.db import utcnow
from app.extensions import db
from app.media.models import MediaAsset
from app.network.operations import (
    register_account_deletion_handler,
    register_contribution_provider,
    register_personal_data_provider,
)
from app.podcasts import operations
from app.podcasts.models import Episode, FeedToken, Show


def register() -> None:
    """Plug the podcasts into the network registries (called from init_app; idempotent)."""
    register_contribution_provider(episode_contributions)
    register_personal_data_provider(personal_data)
    register_account_deletion_handler(forget_listener)


def _now() -> datetime:
    clock = (current_app.extensions.get("podcasts") or {}).get("clock")
    return clock() if clock else utcnow()


def _viewer():
    return current_user if has_request_context() else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _mentions(persons, person) -> bool:
    """Tell whether a podcast:person list names this directory person."""
    name = (person.name or "").strip().casefold()
    suffix = f"/personnes/{person.slug}"
    for entry in persons or ():
        if not isinstance(entry, dict):
            continue
        if name and str(entry.get("name") or "").strip().casefold() == name:
            return True
        href = str(entry.get("href") or "").rstrip("/")
        if href.endswith(suffix):
            return True
    return False


def _persons_filter(column, person):
    """A cheap SQL pre-filter on the JSON text: the name (raw and JSON-escaped) or the page."""
    text = sa.cast(column, sa.Text)
    needles = {f"/personnes/{person.slug}"}
    if person.name:
        needles.add(person.name)
        needles.add(json.dumps(person.name)[1:-1])  # "Léa" is stored as "L\u00e9a"
    return sa.or_(*(text.ilike(_like(n), escape="\\") for n in needles))


def episode_contributions(person) -> list[dict]:
    """Live episodes naming the person, in shows the viewer may listen to (two queries)."""
    now = _now()
    episodes = db.session.scalars(
        sa.select(Episode)
        .join(Episode.show)
        .where(
            Episode.deleted_dt.is_(None),
            Episode.pub_dt.is_not(None),
            Episode.pub_dt <= now,
            Episode.persons.is_not(None),
            _persons_filter(Episode.persons, person),
        )
        .options(
            contains_eager(Episode.show),
            selectinload(Episode.asset)
            .defer(MediaAsset.probe)
            .defer(MediaAsset.edit)
            .selectinload(MediaAsset.renditions),
        )
        .order_by(Episode.pub_dt.desc(), Episode.id.desc())
    ).all()
    viewer = _viewer()
    listenable: dict[int, bool] = {}
    items = []
    for episode in episodes:
        show = episode.show
        if show.id not in listenable:
            listenable[show.id] = operations.can_listen(viewer, show)
        if not listenable[show.id] or not episode.is_live(now):
            continue
        if not _mentions(episode.persons, person):
            continue
        items.append(
            {
                "kind": _("Épisode"),
                "title": f"{show.title} — {episode.title}",
                "url": url_for("podcasts.episode", slug=show.slug, episode_id=episode.id),
                "date": episode.pub_dt,
            }
        )
    return items


def _iso(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def personal_data(user) -> dict:
    """Private feed tokens (dates only: the token is secret and only its hash is kept)."""
    tokens = db.session.scalars(
        sa.select(FeedToken).where(FeedToken.user_id == user.id).order_by(FeedToken.id)
    ).all()
    shows = db.session.scalars(
        sa.select(Show).where(Show.created_by_id == user.id).order_by(Show.id)
    ).all()
    return {
        "podcasts": {
            "private_feed_tokens": [
                {
                    "created_dt": _iso(t.created_dt),
                    "last_used_dt": _iso(t.last_used_dt),
                    "revoked_dt": _iso(t.revoked_dt),
                }
                for t in tokens
            ],
            "shows_created": [{"slug": s.slug, "title": s.title} for s in shows],
            # Downloads are counted under a salted daily hash, never tied to an account.
            "listening": [],
        }
    }


def forget_listener(user) -> None:
    """Before an account is anonymised: its private feed addresses stop working at once."""
    operations.revoke_feed_tokens(user, now=utcnow())
