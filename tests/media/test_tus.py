"""The tus 1.0 endpoint over real HTTP: tuspy, raw requests and a dropped connection."""

import socket
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from tusclient import client as tus_client
from tusclient.storage import filestorage

from app.auth.models import Role
from app.extensions import db
from app.media.models import JobState, MediaAsset, ProcessingJob, StoredFile, Upload
from app.media.storage import get_storage
from tests.media.media_helpers import (
    api_token,
    create,
    live_server,
    patch,
    sha1_header,
    sha256_of,
    tus_headers,
    tus_stream,
)

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def tus_app(app_factory):
    application = app_factory(SERVER_NAME=None, MEDIA={"upload_max_size": 50 * 1024 * 1024})
    with application.app_context():
        yield application


@pytest.fixture
def server(tus_app):
    with live_server(tus_app) as base:
        yield base


@pytest.fixture
def animator_token(tus_app):
    from app.auth import operations

    user = operations.create_user(
        "anim@example.org", "un-mot-de-passe-solide", role=Role.ANIMATOR, confirmed=True
    )
    db.session.commit()
    return api_token(user)


def uploads():
    db.session.expire_all()
    return db.session.scalars(sa.select(Upload)).all()


def test_options_advertises_version_extensions_size_and_checksums(server):
    response = requests.options(f"{server}/api/uploads/", timeout=10)
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) >= {
        "creation",
        "termination",
        "checksum",
        "expiration",
    }
    assert int(response.headers["Tus-Max-Size"]) == 50 * 1024 * 1024
    assert "sha1" in response.headers["Tus-Checksum-Algorithm"].split(",")


def test_tuspy_upload_with_checksums_creates_asset_and_queued_job(server, animator_token, h264_mp4):
    tus = tus_client.TusClient(
        f"{server}/api/uploads/", headers={"Authorization": f"Bearer {animator_token}"}
    )
    with tus_stream(h264_mp4) as stream:
        uploader = tus.uploader(
            file_stream=stream,
            chunk_size=64 * 1024,
            upload_checksum=True,
            metadata={
                "filename": "Réunion d'équipe ../../x.mp4",
                "filetype": "video/mp4",
                "title": "Atelier logistique",
                "target": "session:12",
            },
        )
        uploader.upload()
    db.session.expire_all()
    asset = db.session.scalars(sa.select(MediaAsset)).one()
    assert asset.title == "Atelier logistique"
    assert asset.target == "session:12"
    assert asset.original.sha256 == sha256_of(h264_mp4)
    assert asset.original.size == h264_mp4.stat().st_size
    assert asset.original.filename == "Réunion d'équipe ../../x.mp4"
    assert ".." not in asset.original.key and asset.original.key.endswith("/x.mp4")
    with get_storage().local_path(asset.original.key) as path:
        assert sha256_of(path) == sha256_of(h264_mp4)
    job = db.session.scalars(sa.select(ProcessingJob)).one()
    assert (job.asset_id, job.state, job.job_type) == (asset.id, JobState.QUEUED, "process")
    # The part file is gone: the bytes were moved into place, not copied.
    assert not list((get_storage().root / ".uploads").glob("*.part"))


def test_interrupted_upload_resumes_from_the_server_offset(
    server, animator_token, h264_mp4, tmp_path
):
    storage = filestorage.FileStorage(str(tmp_path / "tus-urls.json"))
    size = h264_mp4.stat().st_size
    tus = tus_client.TusClient(
        f"{server}/api/uploads/", headers={"Authorization": f"Bearer {animator_token}"}
    )
    with tus_stream(h264_mp4) as stream:
        first = tus.uploader(
            file_stream=stream,
            chunk_size=32 * 1024,
            store_url=True,
            url_storage=storage,
            metadata={"filename": "atelier.mp4", "filetype": "video/mp4"},
        )
        first.upload(stop_at=size // 2)
    assert 0 < first.offset < size
    (row,) = uploads()
    assert row.offset == first.offset and row.completed_dt is None
    # A new client (page reload, new script run) finds the URL and asks where to resume.
    with tus_stream(h264_mp4) as stream:
        second = tus.uploader(
            file_stream=stream,
            chunk_size=32 * 1024,
            store_url=True,
            url_storage=storage,
            metadata={"filename": "atelier.mp4", "filetype": "video/mp4"},
        )
        assert second.url == first.url
        assert second.offset == first.offset
        second.upload()
    storage.close()
    db.session.expire_all()
    asset = db.session.scalars(sa.select(MediaAsset)).one()
    assert asset.original.sha256 == sha256_of(h264_mp4)


def test_connection_dropped_mid_chunk_keeps_what_arrived(server, animator_token, h264_mp4):
    data = h264_mp4.read_bytes()
    created = create(server, animator_token, len(data))
    url = server + created.headers["Location"]
    sent = len(data) // 3
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = (
            f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTus-Resumable: 1.0.0\r\n"
            f"Authorization: Bearer {animator_token}\r\nUpload-Offset: 0\r\n"
            f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        sock.sendall(head.encode() + data[:sent])
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1024)
    head = requests.head(url, headers=tus_headers(animator_token), timeout=10)
    assert head.status_code == 200
    offset = int(head.headers["Upload-Offset"])
    assert offset == sent
    done = patch(url, animator_token, offset, data[offset:])
    assert done.status_code == 204
    db.session.expire_all()
    asset = db.session.scalars(sa.select(MediaAsset)).one()
    assert asset.original.sha256 == sha256_of(h264_mp4)


def test_checksum_mismatch_is_460_and_drops_the_chunk(server, animator_token):
    url = server + create(server, animator_token, 1000).headers["Location"]
    body = b"x" * 400
    bad = patch(url, animator_token, 0, body, **{"Upload-Checksum": sha1_header(b"y" * 400)})
    assert bad.status_code == 460
    assert (
        requests.head(url, headers=tus_headers(animator_token), timeout=10).headers["Upload-Offset"]
        == "0"
    )
    good = patch(url, animator_token, 0, body, **{"Upload-Checksum": sha1_header(body)})
    assert good.status_code == 204 and good.headers["Upload-Offset"] == "400"
    unknown = patch(url, animator_token, 400, body, **{"Upload-Checksum": "crc99 AAAA"})
    assert unknown.status_code == 400


def test_offset_mismatch_is_409(server, animator_token):
    url = server + create(server, animator_token, 1000).headers["Location"]
    assert patch(url, animator_token, 0, b"a" * 100).status_code == 204
    conflict = patch(url, animator_token, 50, b"b" * 100)
    assert conflict.status_code == 409
    assert (
        requests.head(url, headers=tus_headers(animator_token), timeout=10).headers["Upload-Offset"]
        == "100"
    )


def test_sizes_over_the_limit_are_413_before_any_byte(server, animator_token):
    too_big = create(server, animator_token, 51 * 1024 * 1024)
    assert too_big.status_code == 413
    assert "volumineux" in too_big.json()["message"]
    assert uploads() == []
    url = server + create(server, animator_token, 100).headers["Location"]
    over = patch(url, animator_token, 0, b"z" * 150)
    assert over.status_code == 413
    assert (
        requests.head(url, headers=tus_headers(animator_token), timeout=10).headers["Upload-Offset"]
        == "0"
    )


@pytest.mark.parametrize(
    ("filename", "filetype"),
    [("notes.txt", "text/plain"), ("slides.pdf", ""), ("video.mp4", "application/pdf")],
)
def test_wrong_type_is_refused_at_creation(server, animator_token, filename, filetype):
    response = create(server, animator_token, 1000, filename=filename, filetype=filetype)
    assert response.status_code == 415
    assert response.json()["message"]
    assert uploads() == []


def test_roles_and_authentication(server, tus_app):
    from app.auth import operations

    learner = operations.create_user(
        "learner@example.org", "un-mot-de-passe-solide", role=Role.LEARNER, confirmed=True
    )
    db.session.commit()
    assert create(server, api_token(learner), 100).status_code == 403
    anonymous = requests.post(
        f"{server}/api/uploads/", headers=tus_headers(None, **{"Upload-Length": "10"}), timeout=10
    )
    assert anonymous.status_code == 401
    assert uploads() == []


def test_other_animators_cannot_see_or_write_an_upload(server, animator_token):
    from app.auth import operations

    other = operations.create_user(
        "other@example.org", "un-mot-de-passe-solide", role=Role.ANIMATOR, confirmed=True
    )
    db.session.commit()
    url = server + create(server, animator_token, 100).headers["Location"]
    token = api_token(other)
    assert requests.head(url, headers=tus_headers(token), timeout=10).status_code == 404
    assert patch(url, token, 0, b"a" * 10).status_code == 404


def test_missing_tus_version_is_412(server, animator_token):
    response = requests.post(
        f"{server}/api/uploads/",
        headers={"Authorization": f"Bearer {animator_token}", "Upload-Length": "10"},
        timeout=10,
    )
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"


def test_termination_drops_bytes(server, animator_token, tus_app):
    url = server + create(server, animator_token, 1000).headers["Location"]
    assert patch(url, animator_token, 0, b"a" * 100).status_code == 204
    (row,) = uploads()
    part = get_storage().upload_session(row.id, row.key, row.session).part_path
    assert part.stat().st_size == 100
    assert requests.delete(url, headers=tus_headers(animator_token), timeout=10).status_code == 204
    assert not part.exists()
    assert requests.head(url, headers=tus_headers(animator_token), timeout=10).status_code == 404


def test_same_file_twice_points_to_the_existing_asset(server, animator_token, h264_mp4):
    data = h264_mp4.read_bytes()
    first = server + create(server, animator_token, len(data)).headers["Location"]
    assert patch(first, animator_token, 0, data).status_code == 204
    second = (
        server + create(server, animator_token, len(data), filename="copie.mp4").headers["Location"]
    )
    done = patch(second, animator_token, 0, data)
    assert done.status_code == 204
    db.session.expire_all()
    assets = db.session.scalars(sa.select(MediaAsset)).all()
    assert len(assets) == 1
    assert int(done.headers["Media-Asset-Id"]) == assets[0].id
    assert len(db.session.scalars(sa.select(ProcessingJob)).all()) == 1
    assert len(db.session.scalars(sa.select(StoredFile)).all()) == 1
    dup = [u for u in uploads() if u.duplicate]
    assert len(dup) == 1 and dup[0].asset_id == assets[0].id
    assert not get_storage().exists(dup[0].key)


def test_session_upload_needs_the_csrf_header(app_factory, make_user):
    from tests.conftest import csrf_token_from

    application = app_factory(SERVER_NAME=None, WTF_CSRF_ENABLED=True)
    with application.app_context():
        user = make_user(Role.ANIMATOR)
        client = application.test_client()
        login_page = client.get("/compte/connexion")
        token = csrf_token_from(login_page.get_data(as_text=True))
        client.post(
            "/compte/connexion",
            data={"email": user.email, "password": "un-mot-de-passe-solide", "csrf_token": token},
        )
        page = client.get("/medias/envoyer")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        csrf = html.split('name="csrf-token" content="')[1].split('"')[0]
        headers = tus_headers(
            None, **{"Upload-Length": "100", "Upload-Metadata": "filename dC5tcDQ="}
        )
        assert client.post("/api/uploads/", headers=headers).status_code == 400
        created = client.post("/api/uploads/", headers={**headers, "X-CSRFToken": csrf})
        assert created.status_code == 201
        url = created.headers["Location"]
        body = {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        assert (
            client.patch(url, data=b"a" * 100, headers=tus_headers(None, **body)).status_code == 400
        )
        done = client.patch(
            url, data=b"a" * 100, headers={**tus_headers(None, **body), "X-CSRFToken": csrf}
        )
        assert done.status_code == 204


def test_zero_byte_upload_becomes_an_asset_whose_job_explains_the_problem(server, animator_token):
    from app.media import pipeline

    created = create(server, animator_token, 0, filename="vide.mp4")
    assert created.status_code == 201 and created.headers["Upload-Offset"] == "0"
    db.session.expire_all()
    job = db.session.scalars(sa.select(ProcessingJob)).one()
    with pytest.raises(pipeline.MediaRejected):
        pipeline.run_job(job.id)
    db.session.expire_all()
    job = db.session.get(ProcessingJob, job.id)
    assert job.state == JobState.FAILED and "vide" in job.error
    assert get_storage().exists(job.asset.original.key)
