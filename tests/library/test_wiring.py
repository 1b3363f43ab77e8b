"""The library plugged into its neighbours: person pages, resource threads, audio editions."""

import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.library import operations
from app.library.models import ResourceKind
from app.media.models import ProcessingJob
from app.network.models import Person, Visibility
from app.tts.models import GuideEdition
from tests.conftest import login


def test_a_person_page_lists_the_guides_they_wrote(app, client, make_user, themes):
    author = make_user("moderator", email="autrice@example.org")
    resource = operations.create_resource(
        author=author,
        title="Monter un groupement d'achat",
        body="## Premiers pas\n\nRéunir dix foyers.",
        kind=ResourceKind.GUIDE,
        theme_ids=[themes["logistique"].id],
    )
    operations.publish_revision(resource.revisions[0], author)
    db.session.add(
        Person(
            slug="autrice",
            name="Autrice du guide",
            user_id=author.id,
            visibility=Visibility.PUBLIC,
            consent_dt=utcnow(),  # people are public only with their consent
        )
    )
    db.session.commit()
    html = client.get("/reseau/personnes/autrice").get_data(as_text=True)
    assert "Monter un groupement d&#39;achat" in html or "Monter un groupement d'achat" in html
    assert f"/se-documenter/ressources/{resource.slug}" in html


def test_publishing_a_guide_revision_queues_its_audio_edition(app, make_user, themes):
    editor = make_user("moderator")
    resource = operations.create_resource(
        author=editor,
        title="Vendre en ligne",
        body="## Choisir un outil\n\nComparer trois solutions.",
        kind=ResourceKind.GUIDE,
    )
    operations.publish_revision(resource.revisions[0], editor)
    db.session.commit()
    edition = db.session.scalar(
        sa.select(GuideEdition).where(GuideEdition.resource_id == resource.id)
    )
    assert edition is not None
    job = db.session.get(ProcessingJob, edition.last_job_id)
    assert job.job_type == "tts" and job.state.value == "queued"


def test_a_resource_has_its_discussion(app, client, make_user, published):
    resource = published(title="Fixer ses prix")
    login(client, make_user("learner"))
    response = client.get(f"/reseau/echanges/a-propos/resource/{resource.id}")
    assert response.status_code == 200
    assert "Fixer ses prix" in response.get_data(as_text=True)
    assert client.get("/reseau/echanges/a-propos/resource/999999").status_code == 404
