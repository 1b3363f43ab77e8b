"""The audio edition of a guide end to end: button → job → MP3, chapters, transcripts, episode."""

import json
import re
import subprocess
import time

import feedparser
import pytest
import sqlalchemy as sa
from mutagen.id3 import ID3

from app.auth.models import Role
from app.auth.operations import create_user
from app.extensions import db
from app.media.models import AssetStatus, JobState, ProcessingJob, RenditionKind
from app.media.storage import get_storage
from app.media.tagging import read_chapters
from app.podcasts.models import Episode
from app.tts import operations, pipeline
from app.tts.engines import EngineUnavailable, get_engine
from app.tts.models import EditionStatus, GuideEdition
from app.tts.text import prepare_guide
from tests.conftest import PASSWORD, csrf_token_from, login
from tests.tts.conftest import GUIDE_CHAPTERS, GUIDE_TEXT, create_guide, publish_revision

pytestmark = [pytest.mark.espeak, pytest.mark.ffmpeg]

#: A fast speaking rate keeps the suite quick; the pipeline is the same at any rate.
FAST = {"TTS_SPEED": 260, "TTS_ENGINE": "espeak", "TTS_WORKERS": 2}
VTT_CUE = re.compile(
    r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$", re.MULTILINE
)


@pytest.fixture
def app(app_factory):
    application = app_factory(**FAST)
    with application.app_context():
        yield application


def _generate(client, resource) -> ProcessingJob:
    """Press the editor's button, then run the queued job as the worker would."""
    response = client.post(f"/guides-audio/{resource.id}/generer")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    edition = operations.get_edition(resource.id)
    assert edition is not None and edition.status == EditionStatus.QUEUED
    job = edition.last_job
    assert job.state == JobState.QUEUED and job.job_type == "tts"
    assert pipeline.run_job(job.id) == "succeeded"
    db.session.expire_all()
    return db.session.get(ProcessingJob, job.id)


def _local(rendition):
    return get_storage(rendition.file.backend).path(rendition.file.key)


def _ebur128(path) -> tuple[float, float]:
    """Integrated loudness and true peak, as ffmpeg's ebur128 filter measures them."""
    result = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path),
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    summary = result.stderr.rsplit("Summary:", 1)[1]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


def _duration(path) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return float(json.loads(result.stdout)["format"]["duration"])


def _vtt_cues(text: str) -> list[tuple[float, float]]:
    def seconds(h, m, s, ms):
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    return [(seconds(*m.groups()[:4]), seconds(*m.groups()[4:])) for m in VTT_CUE.finditer(text)]


def test_a_guide_yields_a_normalised_chaptered_episode_with_transcripts(
    client, login_as, make_guide
):
    resource = make_guide()
    login_as(Role.MODERATOR)
    job = _generate(client, resource)
    assert job.state == JobState.SUCCEEDED and job.progress == 1.0
    assert set(job.timings) == {"synthesis", "audio_edition", "publish"}
    asset = job.asset
    assert asset.status == AssetStatus.READY and asset.is_public
    mp3 = _local(asset.rendition(RenditionKind.AUDIO_EDITION))

    # The MP3 decodes from start to end without a single error.
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(mp3), "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    assert decoded.stderr == ""
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(mp3)],
        capture_output=True, text=True, check=True,
    ).stdout)["streams"][0]
    assert (probe["codec_name"], probe["channels"]) == ("mp3", 1)
    assert abs(int(probe["bit_rate"]) - 96_000) <= 1000

    integrated, true_peak = _ebur128(mp3)
    assert abs(integrated - -19.0) <= 1.0
    assert true_peak <= -1.0

    # CHAP frames follow the guide's headings, in order, and cover the whole file.
    duration = _duration(mp3)
    chapters = read_chapters(ID3(mp3))
    assert [c.title for c in chapters] == GUIDE_CHAPTERS
    assert chapters[0].start == 0
    assert all(a.end == b.start for a, b in zip(chapters, chapters[1:], strict=False))
    assert abs(chapters[-1].end - duration) < 0.1
    document = json.loads(_local(asset.rendition(RenditionKind.CHAPTERS)).read_text())
    assert [c["title"] for c in document["chapters"]] == GUIDE_CHAPTERS
    assert [c["title"] for c in asset.chapters] == GUIDE_CHAPTERS

    # The WebVTT cues follow each other without gaps from 0 to the end of the audio.
    vtt = _local(asset.rendition(RenditionKind.TRANSCRIPT_VTT)).read_text()
    assert vtt.startswith("WEBVTT")
    cues = _vtt_cues(vtt)
    assert cues[0][0] == 0
    assert all(a[1] == b[0] for a, b in zip(cues, cues[1:], strict=False))
    assert abs(cues[-1][1] - duration) < 0.01
    assert "AMAP" in vtt and "12/03/2026" in vtt  # written text, not the spoken words

    # The page shows the player, the synthetic-voice notice and the plain transcript.
    page = client.get(f"/guides-audio/{resource.id}").get_data(as_text=True)
    assert "Voix de synthèse" in page and "<audio" in page
    transcript = client.get(f"/guides-audio/{resource.id}/transcription.txt")
    assert transcript.status_code == 200
    assert "- Installer la balance" in transcript.get_data(as_text=True)
    audio_file = asset.rendition(RenditionKind.AUDIO_EDITION).file_id
    with client.get(f"/media/{audio_file}/guide.mp3") as served:
        assert served.status_code == 200 and served.mimetype == "audio/mpeg"

    api = client.get(f"/api/tts/guides/{resource.id}").get_json()
    assert api["ready"] and api["synthetic_voice"] and api["audio_url"].endswith(".mp3")
    assert [c["title"] for c in api["chapters"]] == GUIDE_CHAPTERS
    assert api["job"]["state"] == "succeeded"  # editors see the job

    # The "Guides audio" podcast carries the episode, disclosed as a synthetic voice.
    edition = operations.get_edition(resource.id)
    episode = db.session.get(Episode, edition.episode_id)
    assert episode.show.slug == "guides-audio" and episode.synthetic_voice
    assert episode.asset_id == asset.id and episode.pub_dt is not None
    feed = client.get("/feeds/guides-audio.xml")
    assert feed.status_code == 200
    xml = feed.get_data(as_text=True)
    assert 'purpose="ai-content"' in xml
    parsed = feedparser.parse(xml)
    assert [entry.title for entry in parsed.entries] == ["Vendre en circuit court"]
    assert parsed.entries[0].enclosures[0].type == "audio/mpeg"


def test_a_new_revision_resynthesises_only_the_edited_section(client, login_as, make_guide, app):
    resource = make_guide()
    login_as(Role.ANIMATOR)
    first = _generate(client, resource)
    edition = operations.get_edition(resource.id)
    assert len(edition.build_info["synthesized"]) == edition.build_info["sections"] == 4
    first_audio = first.asset.rendition(RenditionKind.AUDIO_EDITION)
    first_guid = db.session.get(Episode, edition.episode_id).guid

    edited = GUIDE_TEXT.replace("deux autres formes possibles", "deux formes voisines")
    publish_revision(resource, edited)  # the signal queues the job after the commit
    db.session.expire_all()
    edition = operations.get_edition(resource.id)
    assert edition.status == EditionStatus.QUEUED
    second = edition.last_job
    assert second.id != first.id and second.state == JobState.QUEUED
    assert pipeline.run_job(second.id) == "succeeded"
    db.session.expire_all()

    engine = get_engine(app.config)
    new_sections = prepare_guide(edited, resource.title, engine_id=engine.id, voice=engine.voice)
    old_sections = prepare_guide(GUIDE_TEXT, resource.title, engine_id=engine.id,
                                 voice=engine.voice)
    changed = [new.content_hash for new, old in zip(new_sections, old_sections, strict=True)
               if new.content_hash != old.content_hash]
    assert len(changed) == 1
    edition = operations.get_edition(resource.id)
    assert edition.build_info["synthesized"] == changed
    assert edition.build_info["reused"] == 3
    # The cache holds the old and the new audio of the edited section, once each.
    storage = get_storage()
    cached = sorted(storage.path("tts/sections/v1").rglob("*.wav"))
    assert len(cached) == 5

    # A new file (a new URL) for the same episode (the same GUID).
    asset = edition.asset
    second_audio = asset.rendition(RenditionKind.AUDIO_EDITION)
    assert second_audio.file.key != first_audio.file.key
    db.session.refresh(first_audio)
    assert not first_audio.is_current
    episode = db.session.get(Episode, edition.episode_id)
    assert episode.guid == first_guid and episode.asset_id == asset.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Episode)) == 1

    # Publishing the same text again (a metadata-only edit) queues nothing.
    publish_revision(db.session.get(type(resource), resource.id), edited)
    db.session.expire_all()
    assert operations.get_edition(resource.id).status == EditionStatus.READY
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessingJob)) == 2


def test_a_missing_engine_fails_the_job_and_the_site_keeps_working(app_factory):
    application = app_factory(ESPEAK_BINARY="/nonexistent/espeak-ng", TTS_ENGINE="espeak")
    with application.app_context():
        resource = create_guide(slug="guide-sans-moteur")
        editor = create_user("moderateur@example.org", PASSWORD, role=Role.MODERATOR,
                             confirmed=True)
        job = operations.request_edition(resource, user=editor)
        db.session.commit()
        with pytest.raises(EngineUnavailable):
            pipeline.run_job(job.id)
        db.session.expire_all()
        job = db.session.get(ProcessingJob, job.id)
        assert job.state == JobState.FAILED and job.step == "synthesis"
        assert "installez espeak-ng" in job.error
        assert operations.get_edition(resource.id).status == EditionStatus.FAILED
        client = application.test_client()
        login(client, editor)
        page = client.get(f"/guides-audio/{resource.id}")
        assert page.status_code == 200
        assert "installez espeak-ng" in page.get_data(as_text=True)
        state = client.get(f"/guides-audio/{resource.id}/etat").get_json()
        assert state["state"] == "failed" and "espeak-ng" in state["error"]


def test_an_empty_guide_is_refused_clearly(client, login_as, make_guide):
    resource = make_guide(body="![Schéma](schema.png)\n\n<!-- rien -->\n")
    login_as(Role.MODERATOR)
    response = client.post(f"/guides-audio/{resource.id}/generer", follow_redirects=True)
    assert "aucun texte à lire" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessingJob)) == 0
    api = client.post(f"/api/tts/guides/{resource.id}/generate")
    assert api.status_code == 400
    assert "aucun texte à lire" in api.get_json()["message"]


def _login_with_csrf(client, user):
    token = csrf_token_from(client.get("/compte/connexion").get_data(as_text=True))
    response = client.post(
        "/compte/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_only_editors_may_generate(app_factory, make_guide, make_user):
    resource = make_guide()
    application = app_factory(WTF_CSRF_ENABLED=True, **FAST)
    client = application.test_client()
    url = f"/guides-audio/{resource.id}/generer"
    assert client.post(url).status_code in (302, 400)  # anonymous: sign in (or CSRF first)
    for role, expected in ((Role.LEARNER, 403), (Role.CONTRIBUTOR, 403)):
        client = application.test_client()
        _login_with_csrf(client, make_user(role))
        token = csrf_token_from(client.get("/").get_data(as_text=True))
        assert client.post(url, data={"csrf_token": token}).status_code == expected
    client = application.test_client()
    _login_with_csrf(client, make_user(Role.MODERATOR))
    assert client.post(url).status_code == 400  # no CSRF token
    token = csrf_token_from(client.get(f"/guides-audio/{resource.id}").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 303
    with application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GuideEdition)) == 1


def test_a_real_celery_worker_runs_the_generation(app, client, login_as, make_guide):
    from celery.contrib.testing.worker import start_worker

    import workers.tts  # noqa: F401 - registers tts.generate with the app's Celery

    celery = app.extensions["celery"]
    resource = make_guide(body="## Bienvenue\n\nUn guide très court pour le serveur de tâches.\n")
    login_as(Role.MODERATOR)
    with start_worker(celery, pool="solo", perform_ping_check=False, queues=["long"],
                      shutdown_timeout=30):
        response = client.post(f"/guides-audio/{resource.id}/generer")
        assert response.status_code == 303
        # The job was sent after the view's commit; only the worker can finish it.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            job = operations.get_edition(resource.id).last_job
            if job.state in (JobState.SUCCEEDED, JobState.FAILED):
                break
            time.sleep(0.2)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.worker and job.attempts == 1
    assert job.asset.rendition(RenditionKind.AUDIO_EDITION) is not None
    assert operations.get_edition(resource.id).status == EditionStatus.READY


def test_only_guides_have_an_audio_edition(client, login_as, make_guide):
    from app.library.models import ResourceKind

    article = make_guide(kind=ResourceKind.ARTICLE)
    login_as(Role.ADMIN)
    assert client.post(f"/guides-audio/{article.id}/generer").status_code == 404
    assert client.post(f"/api/tts/guides/{article.id}/generate").status_code == 404
    assert client.get(f"/api/tts/guides/{article.id}").status_code == 404
    assert client.get("/guides-audio/999").status_code == 404


def test_the_listen_block_needs_only_the_resource(app, make_guide, make_user):
    from flask import render_template_string
    from flask_login import login_user

    from app.library.models import ResourceKind

    guide, article = make_guide(), make_guide(kind=ResourceKind.ARTICLE)
    include = '{% include "tts/listen_block.html" %}'
    with app.test_request_context("/bibliotheque/ressources/un-guide"):
        assert render_template_string(include, resource=guide).strip() == ""  # nothing yet
        login_user(make_user(Role.MODERATOR))
        html = render_template_string(include, resource=guide)
        assert "Écouter ce guide" in html and "Générer la version audio" in html
        assert 'name="csrf_token"' in html
        assert f'action="/guides-audio/{guide.id}/generer"' in html
        assert render_template_string(include, resource=article).strip() == ""


def test_pressing_twice_queues_one_job_and_a_newer_request_replaces_a_running_one(
    make_guide, make_user
):
    resource = make_guide()
    editor = make_user(Role.MODERATOR)
    first = operations.request_edition(resource, user=editor)
    db.session.commit()
    assert operations.request_edition(resource, user=editor).id == first.id
    db.session.commit()
    # Publishing the same text while it is on its way adds nothing either.
    assert operations.request_edition(resource, force=False).id == first.id

    first.state = JobState.RUNNING  # a worker took it
    db.session.commit()
    second = operations.request_edition(resource, user=editor)
    db.session.commit()
    assert second.id != first.id
    db.session.refresh(first)
    assert first.state == JobState.CANCELLED and "plus récente" in first.error
    assert pipeline.run_job(first.id) == "skipped"
    assert operations.get_edition(resource.id).last_job_id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessingJob)) == 2


def test_a_running_job_stops_at_its_next_progress_report_once_replaced(make_guide):
    resource = make_guide()
    job = operations.request_edition(resource)
    job.state = JobState.RUNNING
    db.session.commit()
    tracker = pipeline._Tracker(job.id, heartbeat_interval_s=60)
    tracker.step("synthesis")
    tracker.on_progress(0.5)
    db.session.expire_all()
    assert db.session.get(ProcessingJob, job.id).progress == pytest.approx(0.31)
    operations.request_edition(resource)  # a newer text arrives
    db.session.commit()
    with pytest.raises(pipeline.JobCancelled):
        tracker.on_progress(0.6)


def test_a_guide_with_hundreds_of_headings_keeps_255_id3_chapters(tmp_path):
    from app.media.chapters import Chapter
    from app.media.tagging import write_tags

    chapters = [Chapter(start=i * 2.0, title=f"Étape {i}") for i in range(600)]
    kept = pipeline.id3_chapters(chapters, 1200.0)
    assert len(kept) <= 255 and kept[0].start == 0 and kept[-1].end == 1200.0
    assert kept[-1].start >= 1190.0  # the end of the episode stays reachable
    mp3 = tmp_path / "long.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono",
                    "-t", "1", "-c:a", "libmp3lame", str(mp3)], check=True)
    write_tags(mp3, title="Long", duration=1200.0, chapters=kept)
    assert [c.title for c in read_chapters(ID3(mp3))] == [c.title for c in kept]
    assert pipeline.id3_chapters(chapters[:10], 20.0) == chapters[:10]
