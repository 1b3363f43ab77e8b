"""Media pages and the serving route: roles, job status, retry/reprocess, Range, signed URLs."""

import time

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.media import serving
from app.media.jobs import create_job
from app.media.models import (
    AssetStatus,
    JobState,
    MediaAsset,
    ProcessingJob,
    Rendition,
    RenditionKind,
    Upload,
)
from app.media.operations import store_file
from tests.conftest import csrf_token_from, login

PAYLOAD = bytes(range(256)) * 40  # 10 240 bytes


class Fetched:
    """A response read and closed at once (file responses hold the file open otherwise)."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.get_data()
        response.close()


def fetch(client, url, method="get", **kwargs):
    return Fetched(getattr(client, method)(url, **kwargs))


def make_ready_asset(owner, *, public=False):
    import io

    original = store_file(io.BytesIO(b"original"), "source.mp4", prefix="media/originals")
    audio = store_file(io.BytesIO(PAYLOAD), "audio.mp3", prefix="media/assets/test")
    asset = MediaAsset(
        title="Atelier",
        owner_id=owner.id,
        original=original,
        status=AssetStatus.READY,
        duration_s=60.0,
        is_public=public,
    )
    db.session.add(asset)
    db.session.add(Rendition(asset=asset, kind=RenditionKind.AUDIO_EDITION, file=audio))
    job = create_job(asset, "process")
    job.state = JobState.SUCCEEDED
    job.progress = 1.0
    db.session.commit()
    return asset, audio, job


def test_pages_are_for_animators(client, login_as):
    assert client.get("/medias/").status_code == 302  # to the login page
    login_as(Role.LEARNER)
    assert client.get("/medias/").status_code == 403
    assert client.get("/medias/envoyer").status_code == 403


def test_upload_page_loads_tus_and_the_upload_script(client, login_as):
    login_as(Role.ANIMATOR)
    html = client.get("/medias/envoyer?target=session:3").get_data(as_text=True)
    assert 'src="/static/vendor/tus.min.js"' in html
    assert 'src="/static/js/upload.js"' in html
    assert 'name="csrf-token"' in html
    assert 'value="session:3"' in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_job_page_and_json_state(client, login_as):
    user = login_as(Role.ANIMATOR)
    asset, audio, job = make_ready_asset(user)
    running = create_job(asset, "reprocess")
    running.state = JobState.RUNNING
    running.step = "audio_edition"
    running.progress = 0.42
    running.eta_s = 75
    db.session.commit()
    html = client.get(f"/medias/travaux/{running.id}").get_data(as_text=True)
    assert '<progress id="job-progress" max="100" value="42"' in html
    assert 'aria-live="polite"' in html
    state = client.get(f"/medias/travaux/{running.id}/etat").get_json()
    assert state["state"] == "running" and state["percent"] == 42 and state["eta_s"] == 75
    assert state["step_label"] == "Version audio" and state["finished"] is False
    # My media list shows it.
    assert "Atelier" in client.get("/medias/").get_data(as_text=True)


def test_failed_job_shows_reason_and_retry_is_safe_to_press_twice(app_factory, make_user):
    application = app_factory(WTF_CSRF_ENABLED=True)
    with application.app_context():
        user = make_user(Role.ANIMATOR)
        client = application.test_client()
        token = csrf_token_from(client.get("/compte/connexion").get_data(as_text=True))
        client.post(
            "/compte/connexion",
            data={"email": user.email, "password": "un-mot-de-passe-solide", "csrf_token": token},
        )
        asset, _, job = make_ready_asset(user)
        job.state = JobState.FAILED
        job.error = "Ce fichier ne contient qu'une seule image, pas un enregistrement vidéo."
        db.session.commit()
        html = client.get(f"/medias/travaux/{job.id}").get_data(as_text=True)
        assert "seule image" in html and "Relancer" in html
        assert client.post(f"/medias/travaux/{job.id}/relancer").status_code == 400  # no CSRF
        csrf = csrf_token_from(html)
        for _ in range(2):
            response = client.post(f"/medias/travaux/{job.id}/relancer", data={"csrf_token": csrf})
            assert response.status_code == 302
        db.session.expire_all()
        job = db.session.get(ProcessingJob, job.id)
        assert job.state == JobState.QUEUED and job.error is None
        assert len(db.session.scalars(sa.select(ProcessingJob)).all()) == 1


def test_reprocess_creates_one_new_job(client, login_as):
    user = login_as(Role.ANIMATOR)
    asset, _, job = make_ready_asset(user)
    client.post(f"/medias/{asset.id}/retraiter")
    client.post(f"/medias/{asset.id}/retraiter")
    db.session.expire_all()
    jobs = db.session.scalars(sa.select(ProcessingJob).order_by(ProcessingJob.id)).all()
    assert [(j.job_type, j.state) for j in jobs] == [
        ("process", JobState.SUCCEEDED),
        ("reprocess", JobState.QUEUED),
    ]


def test_other_animators_cannot_see_someone_elses_media(client, login_as, make_user):
    owner = make_user(Role.ANIMATOR)
    asset, audio, job = make_ready_asset(owner)
    login_as(Role.ANIMATOR)
    assert client.get(f"/medias/{asset.id}").status_code == 403
    assert client.get(f"/medias/travaux/{job.id}/etat").status_code == 403
    assert client.post(f"/medias/{asset.id}/retraiter").status_code == 403
    assert fetch(client, serving.media_url(audio)).status_code == 403


def test_upload_done_redirects_to_the_media_and_tells_about_duplicates(client, login_as):
    from datetime import timedelta

    from app.core.db import utcnow

    user = login_as(Role.ANIMATOR)
    asset, _, _ = make_ready_asset(user)
    db.session.add(
        Upload(
            id="a" * 32,
            owner_id=user.id,
            length=8,
            offset=8,
            backend="local",
            key="k/x.mp4",
            asset_id=asset.id,
            duplicate=True,
            expires_dt=utcnow() + timedelta(days=1),
        )
    )
    db.session.commit()
    response = client.get(f"/medias/envois/{'a' * 32}", follow_redirects=True)
    assert response.request.path == f"/medias/{asset.id}"
    assert "déjà été envoyé" in response.get_data(as_text=True)


def test_serving_answers_range_head_and_conditional_requests(client, login_as):
    user = login_as(Role.ANIMATOR)
    _, audio, _ = make_ready_asset(user)
    url = serving.media_url(audio)
    assert url == f"/media/{audio.id}/audio.mp3"
    full = fetch(client, url)
    assert full.status_code == 200 and full.data == PAYLOAD
    assert full.headers["Content-Type"] == "audio/mpeg"
    assert full.headers["Accept-Ranges"] == "bytes"
    assert "private" in full.headers["Cache-Control"]
    part = fetch(client, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == PAYLOAD[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(PAYLOAD)}"
    assert fetch(client, url, headers={"Range": "bytes=999999-"}).status_code == 416
    head = fetch(client, url, "head")
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == len(PAYLOAD)
    etag = full.headers["ETag"]
    assert fetch(client, url, headers={"If-None-Match": etag}).status_code == 304
    assert fetch(client, f"/media/{audio.id}/audio.mp4").status_code == 404


def test_members_only_media_need_a_signed_url_that_expires(client, app, make_user):
    owner = make_user(Role.ANIMATOR)
    asset, audio, _ = make_ready_asset(owner)
    assert fetch(client, serving.media_url(audio)).status_code == 401
    with app.test_request_context():
        signed = serving.signed_media_url(audio, 60)
        expired = serving.signed_media_url(audio, -1)
    assert signed.split("?")[0].endswith("/audio.mp3")
    assert fetch(client, signed).status_code == 200
    assert fetch(client, expired).status_code == 401
    tampered = signed.replace(f"/media/{audio.id}/", f"/media/{asset.original_id}/")
    assert fetch(client, tampered).status_code in (401, 404)


def test_public_media_are_open_but_originals_are_not(client, make_user):
    owner = make_user(Role.ANIMATOR)
    asset, audio, _ = make_ready_asset(owner, public=True)
    response = fetch(client, serving.media_url(audio))
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert fetch(client, serving.media_url(asset.original)).status_code == 401


def test_signed_urls_expire_in_time(app, make_user):
    owner = make_user(Role.ANIMATOR)
    _, audio, _ = make_ready_asset(owner)
    with app.test_request_context():
        url = serving.signed_media_url(audio, 1)
    token = url.split("s=")[1]
    assert serving.signature_allows(audio, token)
    time.sleep(2.1)
    assert not serving.signature_allows(audio, token)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"trim_start": "50", "trim_end": "10"}, "après le début"),
        ({"trim_start": "abc"}, "nombre"),
        ({"cut_start": "20", "cut_end": "5"}, "Chaque coupe"),
        ({"trim_end": "999"}, "hors"),
    ],
)
def test_montage_form_refuses_bad_times(client, login_as, form, message):
    user = login_as(Role.ANIMATOR)
    asset, _, _ = make_ready_asset(user)
    response = client.post(f"/medias/{asset.id}/montage", data=form, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MediaAsset, asset.id).edit is None


def test_montage_form_saves_the_edit_and_queues_an_edit_job(client, login_as):
    user = login_as(Role.ANIMATOR)
    asset, _, _ = make_ready_asset(user)
    response = client.post(
        f"/medias/{asset.id}/montage",
        data={"trim_start": "5", "trim_end": "55", "cut_start": ["20"], "cut_end": ["30"]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    asset = db.session.get(MediaAsset, asset.id)
    assert asset.edit == {"trim_start": 5.0, "trim_end": 55.0, "cuts": [[20.0, 30.0]]}
    job = asset.jobs[-1]
    assert (job.job_type, job.state, job.params["edit"]) == ("edit", JobState.QUEUED, asset.edit)
    login(client, user)  # still signed in; a second save while queued is refused
    again = client.post(
        f"/medias/{asset.id}/montage", data={"trim_start": "1"}, follow_redirects=True
    )
    assert "en cours" in again.get_data(as_text=True)
