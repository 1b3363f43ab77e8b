import pytest

from app.extensions import db
from app.library import operations


@pytest.fixture
def themes(app):
    """The seeded themes, by slug."""
    rows = operations.seed_themes()
    db.session.commit()
    return {t.slug: t for t in rows}


@pytest.fixture
def published(app, make_user, themes):
    """Publish a resource as an editor: published(title, body, theme="logistique", **kw)."""

    def make(
        title="Organiser la logistique", body="## Étapes\n\nUn texte.", theme="logistique", **kw
    ):
        editor = make_user("moderator")
        resource = operations.create_resource(
            author=editor,
            title=title,
            body=body,
            theme_ids=[themes[theme].id] if theme else [],
            **kw,
        )
        operations.publish_revision(resource.revisions[0], editor)
        db.session.commit()
        return resource

    return make
