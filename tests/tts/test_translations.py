"""The audio edition's block, its refusals and its failure reasons in the reader's language."""

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.core.i18n import Message
from app.extensions import db
from app.media.models import JobState, ProcessingJob
from app.tts import operations, pipeline
from app.tts.engines import EngineUnavailable, SynthesisError
from app.tts.text import EmptyGuide
from tests.conftest import login

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def test_a_generation_failed_for_want_of_an_engine_reads_in_each_language(app_factory, make_user):
    from tests.tts.conftest import create_guide

    application = app_factory(ESPEAK_BINARY="/nonexistent/espeak-ng", TTS_ENGINE="espeak")
    with application.app_context():
        resource = create_guide(slug="guide-sans-moteur")
        editor = make_user(Role.MODERATOR)
        job = operations.request_edition(resource, user=editor)
        db.session.commit()
        with pytest.raises(EngineUnavailable):
            pipeline.run_job(job.id)
        db.session.expire_all()
        assert isinstance(db.session.get(ProcessingJob, job.id).error, Message)
        client = application.test_client()
        login(client, editor)
        english = client.get(f"/guides-audio/{resource.id}", headers=EN).get_data(as_text=True)
        assert "Speech synthesis engine not found: install espeak-ng" in english
        assert "Generation failed." in english and "Regenerate the audio version" in english
        assert "installez" not in english
        french = client.get(f"/guides-audio/{resource.id}", headers=FR).get_data(as_text=True)
        assert "installez espeak-ng" in french
        state = client.get(f"/guides-audio/{resource.id}/etat", headers=EN).get_json()
        assert state["error"].startswith("Speech synthesis engine not found")
        api = client.get(f"/api/tts/guides/{resource.id}", headers=EN).get_json()
        assert api["job"]["error"] == state["error"]


def test_an_empty_guide_is_refused_in_english(client, login_as, make_guide):
    resource = make_guide(body="![Schéma](schema.png)\n")
    login_as(Role.MODERATOR)
    page = client.post(f"/guides-audio/{resource.id}/generer", headers=EN, follow_redirects=True)
    assert "This guide has no text to read aloud" in page.get_data(as_text=True)
    api = client.post(f"/api/tts/guides/{resource.id}/generate", headers=EN)
    assert api.status_code == 400
    assert api.get_json()["message"].startswith("This guide has no text to read aloud")
    assert client.get("/api/tts/guides/999999", headers=EN).get_json()["message"] == (
        "Guide not found."
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessingJob)) == 0


def test_a_replaced_generation_says_so_in_english(app, make_guide):
    resource = make_guide()
    first = operations.request_edition(resource)
    first.state = JobState.RUNNING  # a worker took it
    db.session.commit()
    operations.request_edition(resource)
    db.session.commit()
    db.session.expire_all()
    replaced = db.session.get(ProcessingJob, first.id)
    with app.test_request_context(headers=EN):
        assert replaced.error.translated() == "Replaced by a more recent generation."


def test_a_running_generation_reads_in_english(client, login_as, make_guide):
    resource = make_guide()
    login_as(Role.MODERATOR)
    job = operations.request_edition(resource)
    job.state, job.step, job.progress = JobState.RUNNING, "synthesis", 0.5
    db.session.commit()
    html = client.get(f"/guides-audio/{resource.id}", headers=EN).get_data(as_text=True)
    assert "Speech synthesis and assembly: 50%" in html
    assert 'data-running="{step}: {percent}%"' in html
    state = client.get(f"/guides-audio/{resource.id}/etat", headers=EN).get_json()
    assert state["step_label"] == "Speech synthesis and assembly"


@pytest.mark.parametrize(
    ("error", "step", "english"),
    [
        (EmptyGuide("Ce guide ne contient aucun texte à lire à voix haute : ajoutez du contenu "
                    "avant de demander sa version audio."), "synthesis",
         "This guide has no text to read aloud: add some content before asking for its audio "
         "version."),
        (SynthesisError("La synthèse vocale a échoué : %(engine)s n'a pas terminé à temps.",
                        engine="espeak-ng"), "synthesis",
         "Speech synthesis failed: espeak-ng did not finish in time."),
        (RuntimeError("boom"), "audio_edition",
         "Internal error during the “Loudness normalisation and MP3 encoding” step "
         "(RuntimeError)."),
    ],
)  # fmt: skip
def test_failure_reasons_are_messages_translated_when_read(app, error, step, english):
    with app.app_context():  # the worker's own context
        stored = pipeline.failure_reason(error, step).to_json()
    with app.test_request_context(headers=EN):
        assert Message.from_json(stored).translated() == english  # the page reading the row
