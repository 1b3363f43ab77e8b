"""A show's intro and outro jingles: chosen on its form, played around its audio editions."""

import io
import json
import subprocess
from datetime import timedelta

import ffmpeg
import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.core.db import utcnow
from app.extensions import db
from app.media import pipeline
from app.media.jobs import create_job
from app.media.models import AssetStatus, MediaAsset, RenditionKind
from app.media.operations import store_file
from app.media.storage import get_storage
from app.podcasts import jingles, operations
from app.podcasts.models import Episode, Show
from tests.conftest import csrf_token_from
from tests.podcasts.conftest import SHOW_FORM

pytestmark = pytest.mark.ffmpeg

FORM = {**SHOW_FORM, "title": "Paroles de producteurs"}


def tone(seconds: float, *, frequency: int = 660) -> bytes:
    """A sine tone made by ffmpeg (a stand-in for a show's jingle), as a small WAV: 8 kHz
    8-bit keeps even 31 s under the test client's in-memory limit."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
         f"sine=frequency={frequency}:duration={seconds}:sample_rate=8000",
         "-c:a", "pcm_u8", "-f", "wav", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip


def post_form(client, slug, **extra):
    page = client.get(f"/ecouter/{slug}/modifier")
    data = {**FORM, "csrf_token": csrf_token_from(page.get_data(as_text=True)), **extra}
    return client.post(
        f"/ecouter/{slug}/modifier", data=data, content_type="multipart/form-data"
    )


def reload(slug) -> Show:
    db.session.expire_all()
    return db.session.scalar(sa.select(Show).where(Show.slug == slug))


def test_an_animator_picks_the_chime_and_uploads_an_outro(client, login_as, make_show):
    show = make_show(slug="paroles")
    login_as(Role.ANIMATOR)
    response = post_form(
        client,
        "paroles",
        jingle_intro="chime",
        jingle_outro="none",
        jingle_outro_file=(io.BytesIO(tone(2.0)), "fin de l'émission.wav"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    show = reload("paroles")
    assert jingles.kind_of(show, "intro") == "chime"
    assert jingles.kind_of(show, "outro") == "file"
    stored = show.outro_jingle
    assert get_storage().exists(stored.key) and stored.filename == "fin de l'émission.wav"
    with get_storage().local_path(show.intro_jingle.key) as chime:
        assert float(ffmpeg.probe(str(chime))["format"]["duration"]) == pytest.approx(1.0, abs=0.05)

    # The form shows the choices made and lets the animator listen to both jingles.
    page = client.get("/ecouter/paroles/modifier").get_data(as_text=True)
    assert '<option selected value="chime">' in page and '<option selected value="file">' in page
    players = page.split('<audio controls preload="none" src="')[1:]
    sources = [part.split('"')[0] for part in players]
    assert len(sources) == 2
    for url in sources:
        listened = client.get(url.replace("&amp;", "&"))
        assert listened.status_code == 200 and listened.data[:4] == b"RIFF"

    # Saving again with "keep" choices changes nothing; "none" removes the intro.
    post_form(client, "paroles", jingle_intro="chime", jingle_outro="file")
    assert reload("paroles").outro_jingle_id == stored.id
    post_form(client, "paroles", jingle_intro="none", jingle_outro="file")
    show = reload("paroles")
    assert show.intro_jingle is None and show.outro_jingle_id == stored.id


@pytest.mark.parametrize(
    ("payload", "name", "expected"),
    [
        (b"ceci n'est pas du son", "jingle.mp3", "pas un enregistrement audio ou vidéo lisible"),
        (None, "long.wav", "entre 0,2 et 30 secondes"),
    ],
)
def test_bad_jingles_get_a_clear_error_and_change_nothing(
    client, login_as, make_show, payload, name, expected
):
    make_show(slug="essai")
    login_as(Role.ANIMATOR)
    payload = payload if payload is not None else tone(31.0)
    response = post_form(
        client, "essai", jingle_intro="none", jingle_intro_file=(io.BytesIO(payload), name)
    )
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)
    assert reload("essai").intro_jingle is None


def test_bad_jingle_message_reads_in_english(client, login_as, make_show):
    make_show(slug="essai-en")
    login_as(Role.ANIMATOR)
    client.post("/langue", data={"lang": "en", "next": "/"})
    response = post_form(
        client, "essai-en", jingle_intro="none", jingle_intro_file=(io.BytesIO(tone(31)), "a.wav")
    )
    assert "A jingle lasts between 0.2 and 30 seconds" in response.get_data(as_text=True)


def test_a_recording_for_the_show_gets_its_jingles(
    app, client, make_show, tmp_path, parse_podcastparser
):
    """Through the real pipeline: intro + content + outro, one loudness; the feed's chapters
    (inline and JSON) are pushed by the intro's length."""
    show = make_show(slug="avec-jingles")
    jingles.set_jingle(show, "intro", "chime")
    jingles.set_jingle(show, "outro", "none", upload=io.BytesIO(tone(1.5)), filename="fin.wav")
    speech = tmp_path / "entretien.wav"
    subprocess.run(
        ["espeak-ng", "-v", "fr", "-w", str(speech), "Bonjour, parlons de circuits courts."],
        check=True,
    )
    with speech.open("rb") as fh:
        original = store_file(fh, speech.name, prefix="media/originals")
    asset = MediaAsset(
        title="Entretien",
        original=original,
        status=AssetStatus.PROCESSING,
        target=operations.upload_target(show),
        chapters=[{"start": 0, "title": "Accueil"}, {"start": 1.5, "title": "Les paniers"}],
    )
    db.session.add(asset)
    job = create_job(asset, "process")
    db.session.commit()
    content_s = float(ffmpeg.probe(str(speech))["format"]["duration"])

    assert pipeline.run_job(job.id, worker="test") == "succeeded"
    db.session.expire_all()
    audio = db.session.get(MediaAsset, asset.id).rendition(RenditionKind.AUDIO_EDITION)
    assert audio.info["jingles"] == {
        "intro": pytest.approx(1.0, abs=0.05),
        "outro": pytest.approx(1.5, abs=0.05),
    }
    with get_storage().local_path(audio.file.key) as path:
        length = float(ffmpeg.probe(str(path))["format"]["duration"])
    assert length == pytest.approx(1.0 + content_s + 1.5, abs=0.15)

    # The draft episode made for the show, published: chapters follow the intro.
    episode = db.session.scalar(sa.select(Episode).where(Episode.asset_id == asset.id))
    episode.pub_dt = utcnow() - timedelta(minutes=1)
    db.session.commit()
    feed = parse_podcastparser(client.get("/feeds/avec-jingles.xml").data, "http://x/")
    item = feed["episodes"][0]
    # gPodder's parser reads psc times in whole seconds: without the shift it would say [0, 1].
    assert [c["start"] for c in item["chapters"]] == [1, 2]
    document = json.loads(client.get(f"/feeds/e/{episode.id}/chapters.json").data)
    assert [c["startTime"] for c in document["chapters"]] == [1.0, 2.5]
