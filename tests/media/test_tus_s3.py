"""tus uploads in S3 mode (moto's server on loopback): multipart parts of 5 MiB, flat memory."""

import hashlib
import os
import subprocess
import time
import tracemalloc

import boto3
import pytest
import requests
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.media.models import MediaAsset, Upload
from app.media.storage import get_storage
from tests.media.media_helpers import (
    api_token,
    create,
    live_server,
    patch,
    sha1_header,
    tus_headers,
)

pytestmark = pytest.mark.services

MiB = 1024 * 1024


@pytest.fixture
def s3_app(app_factory, s3_endpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"tus-{time.monotonic_ns()}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    application = app_factory(
        SERVER_NAME=None,
        STORAGE={
            "backend": "s3",
            "endpoint_url": s3_endpoint,
            "bucket": bucket,
            "multipart_threshold": 5 * MiB,
            "multipart_chunksize": 5 * MiB,
            "upload_buffer_dir": str(tmp_path / "buffers"),
        },
    )
    with application.app_context():
        yield application


def animator_token():
    from app.auth import operations

    user = operations.create_user(
        "anim@example.org", "un-mot-de-passe-solide", role=Role.ANIMATOR, confirmed=True
    )
    db.session.commit()
    return api_token(user)


def test_tus_upload_to_s3_goes_through_multipart_parts(s3_app, tmp_path):
    token = animator_token()
    data = os.urandom(13 * MiB)
    with live_server(s3_app) as base:
        url = base + create(base, token, len(data), filename="webinaire.mp4").headers["Location"]
        offset = 0
        # Chunks of 3 MiB: S3 parts (5 MiB minimum) are assembled in the on-disk buffer.
        for start in range(0, len(data), 3 * MiB):
            chunk = data[start : start + 3 * MiB]
            response = patch(url, token, offset, chunk, **{"Upload-Checksum": sha1_header(chunk)})
            assert response.status_code == 204, response.text
            offset = int(response.headers["Upload-Offset"])
            db.session.expire_all()
            row = db.session.scalars(sa.select(Upload)).one()
            assert row.offset == offset
            if offset < len(data):
                stored = int((row.session or {}).get("stored", 0))
                assert stored % (5 * MiB) == 0 and offset - stored < 5 * MiB
        assert requests.head(url, headers=tus_headers(token), timeout=10).status_code == 200
    db.session.expire_all()
    asset = db.session.scalars(sa.select(MediaAsset)).one()
    assert asset.original.backend == "s3"
    assert asset.original.sha256 == hashlib.sha256(data).hexdigest()
    row = db.session.scalars(sa.select(Upload)).one()
    assert [p["PartNumber"] for p in row.session["parts"]] == [1, 2, 3]
    with get_storage().local_path(asset.original.key) as path:
        assert path.read_bytes() == data
    assert list((tmp_path / "buffers").iterdir()) == []


def _peak_while_uploading(base, token, path):
    """PATCH the file with curl (another process: only the server is in the traced memory)."""
    size = path.stat().st_size
    url = base + create(base, token, size, filename="long.mp4").headers["Location"]
    tracemalloc.start()
    try:
        result = subprocess.run(
            [
                "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH",
                "--data-binary", f"@{path}", "-H", "Tus-Resumable: 1.0.0",
                "-H", f"Authorization: Bearer {token}", "-H", "Upload-Offset: 0",
                "-H", "Content-Type: application/offset+octet-stream", url,
            ],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.stdout == "204", result
    return peak


def test_s3_upload_memory_stays_flat(s3_app, tmp_path):
    token = animator_token()
    files = {}
    for mib in (12, 48):
        files[mib] = tmp_path / f"{mib}.bin"
        with files[mib].open("wb") as fh:
            for _ in range(mib):
                fh.write(os.urandom(MiB))
    with live_server(s3_app) as base:
        small = _peak_while_uploading(base, token, files[12])
        large = _peak_while_uploading(base, token, files[48])
    # A part (5 MiB) and its copies for signing are in memory, never the body: 4x the bytes,
    # about the same peak.
    assert large < small * 1.25 + MiB, (small, large)
    assert large < 30 * MiB
