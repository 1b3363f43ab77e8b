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
    wait_until(
        page,
        "document.getElementById('job-text').textContent.includes('En attente')",
        timeout=10_000,
    )
    assert page.locator("#job-text").get_attribute("aria-live") == "polite"


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
