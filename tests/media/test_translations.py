"""Media pages, upload refusals and job failure reasons in the reader's language."""

import pytest

from app.auth.models import Role
from app.extensions import db
from app.media import pipeline
from app.media.jobs import create_job
from app.media.models import JobState, MediaAsset, ProcessingJob
from app.media.probe import MediaRejected, ProbeResult, VideoInfo, validate
from app.media.profiles import ValidationLimits
from app.media.runner import FFmpegError
from tests.media.media_helpers import metadata, tus_headers
from tests.media.test_views import make_ready_asset

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}
ONE_FRAME = ProbeResult(
    container="mov,mp4",
    duration=0.04,
    size=1000,
    bit_rate=None,
    video=VideoInfo("h264", 320, 240, "yuv420p", 25.0, None, frames=1),
    audio=None,
    raw={},
)


def failed_job(owner, reason) -> ProcessingJob:
    asset, _, job = make_ready_asset(owner)
    job.state = JobState.FAILED
    job.error = reason
    db.session.commit()
    return job


def rejection() -> MediaRejected:
    with pytest.raises(MediaRejected) as caught:
        validate(ONE_FRAME, ValidationLimits())
    return caught.value


def test_a_rejected_recording_reads_in_each_readers_language(client, login_as):
    user = login_as(Role.ANIMATOR)
    job = failed_job(user, pipeline.failure_reason(rejection(), "validate"))
    db.session.expire_all()  # read back from the column, as a page would

    english = client.get(f"/medias/travaux/{job.id}", headers=EN).get_data(as_text=True)
    assert "This file contains a single picture, not a video recording." in english
    assert "seule image" not in english
    assert "Processing failed." in english and ">Retry<" in english
    french = client.get(f"/medias/travaux/{job.id}", headers=FR).get_data(as_text=True)
    assert "Ce fichier ne contient qu&#39;une seule image" in french
    state = client.get(f"/medias/travaux/{job.id}/etat", headers=EN).get_json()
    assert state["error"] == "This file contains a single picture, not a video recording."
    api = client.get(f"/api/media/jobs/{job.id}", headers=EN).get_json()
    assert api["error"] == state["error"]
    assert "seule image" in client.get(f"/api/media/jobs/{job.id}", headers=FR).get_json()["error"]


def test_a_failed_step_names_the_step_and_the_tool_in_english(client, login_as):
    user = login_as(Role.ANIMATOR)
    error = FFmpegError(
        "ffmpeg a échoué (code %(code)s) : %(last_line)s", [], ["boom"], code=1, last_line="boom"
    )
    job = failed_job(user, pipeline.failure_reason(error, "audio_edition"))
    db.session.expire_all()
    state = client.get(f"/medias/travaux/{job.id}/etat", headers=EN).get_json()
    assert state["error"] == "The “Audio version” step failed: ffmpeg failed (code 1): boom"
    state = client.get(f"/medias/travaux/{job.id}/etat", headers=FR).get_json()
    assert state["error"] == "L'étape « Version audio » a échoué : ffmpeg a échoué (code 1) : boom"


def test_the_sweepers_reason_is_stored_as_a_message(app, make_user):
    from datetime import timedelta

    from app.core.db import utcnow
    from app.core.i18n import Message
    from app.media.jobs import sweep_stuck_jobs

    asset, _, job = make_ready_asset(make_user(Role.ANIMATOR))
    job.state, job.attempts = JobState.RUNNING, 3
    job.heartbeat_dt = utcnow() - timedelta(hours=1)
    db.session.commit()
    sweep_stuck_jobs()
    db.session.expire_all()
    job = db.session.get(ProcessingJob, job.id)
    assert isinstance(job.error, Message) and job.state == JobState.FAILED
    with app.test_request_context(headers=EN):
        assert job.error.translated().startswith("Processing was interrupted several times")


def test_running_job_and_its_step_read_in_english(client, login_as):
    user = login_as(Role.ANIMATOR)
    asset, _, _ = make_ready_asset(user)
    running = create_job(asset, "reprocess")
    running.state, running.step, running.progress, running.eta_s = (
        JobState.RUNNING,
        "audio_edition",
        0.42,
        75,
    )
    db.session.commit()
    html = client.get(f"/medias/travaux/{running.id}", headers=EN).get_data(as_text=True)
    assert ">Audio version</label>" in html
    assert "Audio version: 42%" in html
    # The sentences job.js fills in come from the page, in English.
    assert 'data-running="{step}: {percent}%, about {eta} left"' in html
    assert 'data-minutes="{n} min"' in html
    assert "Version audio" not in html
    state = client.get(f"/medias/travaux/{running.id}/etat", headers=EN).get_json()
    assert state["step_label"] == "Audio version"


def test_media_pages_read_in_english(client, login_as):
    user = login_as(Role.ANIMATOR)
    make_ready_asset(user)
    listing = client.get("/medias/", headers=EN).get_data(as_text=True)
    assert "<h1>My media</h1>" in listing and "Mes médias" not in listing
    upload = client.get("/medias/envoyer", headers=EN).get_data(as_text=True)
    assert "<h1>Upload a recording</h1>" in upload
    assert "Up to 8 GB. Common formats" in upload
    assert 'data-megabytes="{size} MB"' in upload
    assert 'data-error="The upload failed: {message}"' in upload
    french = client.get("/medias/envoyer", headers=FR).get_data(as_text=True)
    assert "Jusqu'à 8 Go." in french and 'data-megabytes="{size} Mo"' in french


def test_rendition_sizes_use_the_readers_units(client, login_as):
    user = login_as(Role.ANIMATOR)
    asset, audio, _ = make_ready_asset(user)
    english = client.get(f"/medias/{asset.id}", headers=EN).get_data(as_text=True)
    assert "<td>10 KB</td>" in english  # 10 240 bytes
    assert "(8 bytes)" in english  # the 8-byte original
    french = client.get(f"/medias/{asset.id}", headers=FR).get_data(as_text=True)
    assert "<td>10 Ko</td>" in french and "(8 octets)" in french


def test_montage_refusals_read_in_english(client, login_as):
    user = login_as(Role.ANIMATOR)
    asset, _, _ = make_ready_asset(user)
    response = client.post(
        f"/medias/{asset.id}/montage",
        data={"trim_start": "abc"},
        headers=EN,
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Start: a number of seconds is expected." in html
    db.session.expire_all()
    assert db.session.get(MediaAsset, asset.id).edit is None


def test_upload_refusals_read_in_english(client, login_as, app):
    login_as(Role.ANIMATOR)
    app.config["MEDIA"]["upload_max_size"] = 50 * 1024 * 1024

    def create(length, headers, **meta):
        meta.setdefault("filename", "webinaire.mp4")
        return client.post(
            "/api/uploads/",
            headers=tus_headers(
                None,
                **{"Upload-Length": str(length), "Upload-Metadata": metadata(**meta)},
                **headers,
            ),
        )

    too_big = create(51 * 1024 * 1024, EN)
    assert too_big.status_code == 413
    assert too_big.get_json()["message"] == "File too large: 51 MB, the maximum is 50 MB."
    assert create(51 * 1024 * 1024, FR).get_json()["message"] == (
        "Fichier trop volumineux : 51 Mo, le maximum est 50 Mo."
    )
    wrong_type = create(1000, EN, filename="notes.txt", filetype="text/plain")
    assert wrong_type.status_code == 415
    assert wrong_type.get_json()["message"] == (
        "Only video or audio recordings are accepted (type “text/plain” refused)."
    )
    no_version = client.post("/api/uploads/", headers={"Upload-Length": "10", **EN})
    assert no_version.status_code == 412
    assert no_version.get_json()["message"].startswith("Unsupported tus protocol version")


def test_api_not_found_reads_in_english(client, login_as):
    login_as(Role.ANIMATOR)
    response = client.get("/api/media/jobs/999999", headers=EN)
    assert response.status_code == 404
    assert response.get_json()["message"] == "Processing job not found."
