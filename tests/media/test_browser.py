"""The upload page in a real Chromium: tus-js-client sends the file, then the job page polls."""

import re

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.media.models import JobState, MediaAsset
from tests.conftest import PASSWORD
from tests.media.media_helpers import sha256_of

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.ffmpeg]


def sign_in(page, base, user):
    page.goto(f"{base}/compte/connexion")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_load_state()


def test_upload_page_sends_the_file_and_opens_the_job_page(live_server, page, make_user, h264_mp4):
    user = make_user(Role.ANIMATOR)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server.url, user)
    page.goto(f"{live_server.url}/medias/envoyer?target=session:7")
    page.set_input_files("#upload-file", str(h264_mp4))
    page.fill("#upload-title", "Atelier en ligne")
    page.click("#upload-start")
    page.wait_for_url(re.compile(r".*/medias/\d+$"), timeout=60_000)
    assert errors == []
    db.session.expire_all()
    asset = db.session.scalars(sa.select(MediaAsset)).one()
    assert (asset.title, asset.target, asset.owner_id) == ("Atelier en ligne", "session:7", user.id)
    assert asset.original.sha256 == sha256_of(h264_mp4)
    assert asset.jobs[-1].state == JobState.QUEUED
    # The job page: a progress bar with a text equivalent, updated by job.js from the JSON state.
    assert page.locator("#job-progress").get_attribute("max") == "100"
    page.wait_for_function(
        "document.getElementById('job-text').textContent.includes('En attente')", timeout=10_000
    )
    assert page.locator("#job-text").get_attribute("aria-live") == "polite"
