"""The upload page in a real Chromium: tus-js-client sends the file, then the job page polls."""

import re

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.media.models import JobState, MediaAsset
from tests.conftest import PASSWORD, wait_until
from tests.media.media_helpers import sha256_of

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.ffmpeg]


def sign_in(page, base, user):
    page.goto(f"{base}/compte/connexion")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_load_state()


#: What the animator reads, per language (the French source and the English catalogue).
TEXT = {
    "fr": {
        "upload_title": "Envoyer un enregistrement",
        "upload_button": "Envoyer",
        "limit": "Jusqu'à 8 Go.",  # 8 GiB, in the binary units the whole site uses
        "job_title": "Traitement n° ",
        "queued": "En attente d’un serveur de traitement…",
        "pending": "En attente",
        "running": "Version audio : 30 %, environ 40 s restantes",
        "running_label": "Version audio",
        "succeeded": "Traitement terminé.",
        "reprocess": "Retraiter depuis l’original",
        "files": "Fichiers produits",
        "size_unit": re.compile(r"^\d+(,\d)? (Ko|Mo|octets?)$"),
    },
    "en": {
        "upload_title": "Upload a recording",
        "upload_button": "Send",
        "limit": "Up to 8 GB.",
        "job_title": "Processing job no. ",
        "queued": "Waiting for a processing server…",
        "pending": "Pending",
        "running": "Audio version: 30%, about 40 s left",
        "running_label": "Audio version",
        "succeeded": "Processing finished.",
        "reprocess": "Reprocess from the original",
        "files": "Output files",
        "size_unit": re.compile(r"^\d+(\.\d)? (KB|MB|bytes?)$"),
    },
}


def text_of(page, selector: str) -> str:
    return " ".join(page.locator(selector).first.inner_text().split())


@pytest.fixture
def session_to_record(app):
    """A course with one session, whose recording the animator is about to upload."""
    from datetime import timedelta

    from app.core.db import utcnow
    from app.courses import operations

    course = operations.create_course(title="Vendre en circuit court", created_by=None)
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    session = operations.add_session(
        course, title="Fixer ses prix", start_dt=start, end_dt=start + timedelta(hours=1)
    )
    db.session.commit()
    return session


# Chromium aborts video range requests it no longer needs; werkzeug's development server then
# leaves that file handle to the garbage collector (see tests/courses/test_browser.py).
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_animator_uploads_a_session_recording_and_watches_it_until_the_replay_plays(
    live_server, page, make_user, h264_mp4, session_to_record, lang
):
    from app.media import pipeline

    text = TEXT[lang]
    base = live_server.url
    user = make_user(Role.ANIMATOR)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, user)  # in a French browser
    if lang == "en":
        # The header's language switch, as a person changes it (posted to /langue).
        page.click("form.lang-form button[value=en]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"

    # From the session's page to the upload page, which knows what the recording is for.
    session = session_to_record
    page.goto(f"{base}/se-former/gestion/{session.course_id}/seances/{session.id}")
    page.click("a[href*='/medias/envoyer']")
    page.wait_for_url(re.compile(r".*/medias/envoyer\?.*"))
    assert text_of(page, "h1") == text["upload_title"]
    assert text_of(page, "#upload-start") == text["upload_button"]
    assert text_of(page, "#upload-file-hint").startswith(text["limit"])

    # tus-js-client sends the file; the job page opens.
    page.set_input_files("#upload-file", str(h264_mp4))
    page.click("#upload-start")
    page.wait_for_url(re.compile(r".*/medias/\d+$"), timeout=60_000)
    db.session.expire_all()
    asset = db.session.scalars(sa.select(MediaAsset)).one()
    assert (asset.target, asset.owner_id) == (f"session:{session.id}", user.id)
    assert asset.title == "Vendre en circuit court – Fixer ses prix"
    assert asset.original.sha256 == sha256_of(h264_mp4)
    job = asset.jobs[-1]
    assert job.state == JobState.QUEUED
    assert text_of(page, "#job-title").startswith(text["job_title"])
    assert text_of(page, "#job-step") == text["pending"]
    assert text_of(page, "#job-text") == text["queued"]
    # A progress bar with a text equivalent, updated by job.js from the JSON state.
    assert page.locator("#job-progress").get_attribute("max") == "100"
    assert page.locator("#job-text").get_attribute("aria-live") == "polite"

    # A worker half-way through a step: the polled state reads in the page's language.
    job.state, job.step, job.progress, job.eta_s = JobState.RUNNING, "audio_edition", 0.3, 40
    db.session.commit()
    wait_until(page, f"document.getElementById('job-text').textContent === {text['running']!r}")
    assert text_of(page, "#job-step") == text["running_label"]
    assert page.locator("#job-progress").get_attribute("value") == "30"

    # The real pipeline runs the job to the end; the page notices and shows the replay.
    job.state, job.step, job.progress, job.eta_s = JobState.QUEUED, "", 0.0, None
    db.session.commit()
    with page.expect_navigation(timeout=30_000):  # job.js reloads the page once it is done
        assert pipeline.run_job(job.id, worker="test") == "succeeded"
    page.wait_for_load_state()
    assert page.locator("video").count() == 1
    assert text_of(page, "#job-text") == text["succeeded"]
    assert text_of(page, "form[action$='/retraiter'] button") == text["reprocess"]
    assert text_of(page, "#files-title") == text["files"]
    sizes = page.locator("table.renditions tbody td:nth-child(2)").all_inner_texts()
    assert sizes and all(text["size_unit"].match(size.strip()) for size in sizes), sizes
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    wait_until(page, "document.querySelector('video').currentTime > 0.5", timeout=20_000)
    page.evaluate("() => document.querySelector('video').pause()")
    assert errors == []

    # The ready listener attached the replay to the session it was recorded for.
    db.session.expire_all()
    assert db.session.get(type(session), session.id).replay_asset_id == asset.id


def test_montage_timeline_selects_a_passage_and_saves_the_edit(
    live_server, page, make_user, h264_mp4
):
    from app.media import pipeline
    from tests.media.test_pipeline import make_asset

    user = make_user(Role.ANIMATOR)
    asset, job = make_asset(h264_mp4, user)
    pipeline.run_job(job.id, worker="test")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server.url, user)
    # The player is not under test here; its streaming requests would outlive the test server.
    page.route("**/*.mp4", lambda route: route.abort())
    page.goto(f"{live_server.url}/medias/{asset.id}")
    assert page.locator("video").count() == 1
    canvas = page.locator("#waveform")
    canvas.wait_for()
    # The peaks were fetched and drawn: some pixels of the canvas are not blank.
    wait_until(
        page,
        """() => {
            const c = document.getElementById('waveform');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) return true; }
            return false;
        }""",
        timeout=10_000,
    )
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.up()
    assert "Sélection" in page.locator("#selection-text").text_content()
    page.click("#add-cut")
    start = float(page.locator("input[name=cut_start]").input_value())
    end = float(page.locator("input[name=cut_end]").input_value())
    assert start == pytest.approx(2.0, abs=0.3) and end == pytest.approx(4.0, abs=0.3)
    page.fill("#trim_start", "0.5")
    page.click("#montage-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/medias/travaux/\d+$"))
    assert errors == []
    db.session.expire_all()
    asset = db.session.get(MediaAsset, asset.id)
    assert asset.edit["trim_start"] == 0.5
    assert asset.edit["cuts"] == [[start, end]]
    assert asset.jobs[-1].job_type == "edit"
