"""Fixtures for the text-to-speech layer: a real espeak-ng engine and a section cache on disk."""

import shutil

import pytest

from app.tts.cache import SectionCache
from app.tts.engines import EspeakEngine


@pytest.fixture
def engine() -> EspeakEngine:
    """espeak-ng with the French voice, at a fast rate to keep the suite quick."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required for these tests (apt-get install espeak-ng)")
    return EspeakEngine(voice="fr", speed=260)


@pytest.fixture
def cache(tmp_path):
    """A section cache stored under tmp_path, closed after the test."""
    with SectionCache.in_directory(tmp_path / "cache") as section_cache:
        yield section_cache


# --- Guides as the library stores them, for the pipeline tests ------------------------------

GUIDE_TEXT = """\
# Vendre en circuit court

Ce guide présente les bases de la vente directe à la ferme et sur les marchés.

## Préparer le marché

Le marché a lieu le 12/03/2026 à 10h30. Prévoyez 3 kg de pommes à 2,50 €/kg.

- Installer la balance
- Afficher les prix TTC

## Créer une AMAP

Une AMAP relie des familles à une ferme. La SCIC et le GIE sont deux autres formes possibles.

## Bilan

Notez les ventes de la journée et comparez-les à celles de la semaine passée.
"""

#: Chapters the guide above yields, in order: the opening is named after the guide.
GUIDE_CHAPTERS = ["Vendre en circuit court", "Préparer le marché", "Créer une AMAP", "Bilan"]


def create_guide(
    body: str = GUIDE_TEXT, title: str = "Vendre en circuit court", *, slug: str, **fields
):
    """Create a published guide (library resource and revision) in the active app context."""
    from app.core.db import utcnow
    from app.extensions import db
    from app.library.models import (
        Resource,
        ResourceKind,
        ResourceStatus,
        Revision,
        RevisionState,
    )

    resource = Resource(
        slug=slug,
        title=title,
        summary=fields.pop("summary", "Les bases de la vente directe."),
        kind=fields.pop("kind", ResourceKind.GUIDE),
        status=ResourceStatus.PUBLISHED,
        published_dt=utcnow(),
        **fields,
    )
    db.session.add(resource)
    db.session.flush()
    revision = Revision(
        resource=resource, number=1, title=title, body=body, state=RevisionState.PUBLISHED
    )
    db.session.add(revision)
    db.session.flush()
    resource.published_revision = revision
    db.session.commit()
    return resource


@pytest.fixture
def make_guide(app):
    """Create a published guide: make_guide(body=GUIDE_TEXT, title=…, **resource fields)."""
    counter = iter(range(1, 1000))

    def factory(body: str = GUIDE_TEXT, title: str = "Vendre en circuit court", **fields):
        fields.setdefault("slug", f"vendre-en-circuit-court-{next(counter)}")
        return create_guide(body, title, **fields)

    return factory


def publish_revision(resource, body: str, *, send_signal: bool = True):
    """Publish a new revision of a guide the way the library does, signal included."""
    from app.core.signals import revision_published
    from app.extensions import db
    from app.library.models import Revision, RevisionState

    revision = Revision(
        resource=resource,
        number=len(resource.revisions) + 1,
        title=resource.title,
        body=body,
        state=RevisionState.PUBLISHED,
    )
    db.session.add(revision)
    db.session.flush()
    resource.published_revision = revision
    if send_signal:
        revision_published.send(resource, revision=revision)
    db.session.commit()
    return revision
