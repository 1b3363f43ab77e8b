"""Storage backends: local disk, and S3 through moto's server on loopback."""

import hashlib
import io
import tracemalloc

import pytest

from app.media.operations import serve_stored_file, store_file
from app.media.storage import LocalStorage, StorageError, new_key, safe_filename

MB = 1024 * 1024


class PatternReader:
    """A file-like object yielding `size` deterministic bytes without holding them in memory."""

    def __init__(self, size: int):
        self.size = size
        self.pos = 0
        self.block = hashlib.sha256(b"circuits-courts").digest() * (64 * 1024 // 32)  # 64 KiB

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, self.size - self.pos)
        if n <= 0:
            return b""
        out = bytearray()
        while len(out) < n:
            offset = (self.pos + len(out)) % len(self.block)
            out += self.block[offset : offset + n - len(out)]
        self.pos += n
        return bytes(out)


def expected_digest(size: int) -> str:
    digest = hashlib.sha256()
    reader = PatternReader(size)
    while chunk := reader.read(MB):
        digest.update(chunk)
    return digest.hexdigest()


def roundtrip_with_bounded_memory(storage, key: str, size: int) -> tuple[int, str]:
    """Save then read back `size` bytes; return (peak traced bytes, sha256 of what was read)."""
    tracemalloc.start()
    try:
        written = storage.save(key, PatternReader(size))
        assert written == size
        digest = hashlib.sha256()
        with storage.open(key) as fh:
            while chunk := fh.read(MB):
                digest.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, digest.hexdigest()


def test_keys_are_fresh_and_safe():
    first, second = (
        new_key("media/originals", "Réunion 1.mp4"),
        new_key("media/originals", "Réunion 1.mp4"),
    )
    assert first != second
    assert first.endswith("/Reunion-1.mp4")
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\boot.ini") == "boot.ini"
    assert safe_filename("🎙️") == "fichier"


@pytest.mark.parametrize("bad", ["../escape", "/abs/path", "a//b", "a/./b", ""])
def test_local_storage_refuses_keys_that_escape_its_root(tmp_path, bad):
    storage = LocalStorage(tmp_path)
    with pytest.raises(StorageError):
        storage.save(bad, io.BytesIO(b"x"))


def test_local_storage_operations(tmp_path):
    storage = LocalStorage(tmp_path / "media")
    key = new_key("docs", "note.txt")
    assert not storage.exists(key)
    assert storage.save(key, io.BytesIO(b"bonjour")) == 7
    assert storage.exists(key) and storage.size(key) == 7
    with storage.open(key) as fh:
        assert fh.read() == b"bonjour"
    with storage.local_path(key) as path:
        assert path.read_bytes() == b"bonjour"
    storage.delete(key)
    storage.delete(key)  # idempotent
    assert not storage.exists(key)
    with pytest.raises(StorageError):
        storage.size(key)


def test_local_save_never_leaves_a_partial_file(tmp_path):
    storage = LocalStorage(tmp_path)

    class Broken:
        calls = 0

        def read(self, n=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("connection lost")
            return b"x" * 1000

    key = new_key("originals", "cut.mp4")
    with pytest.raises(OSError):
        storage.save(key, Broken())
    assert not storage.exists(key)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.slow
def test_local_storage_streams_200_mb_with_bounded_memory(tmp_path):
    storage = LocalStorage(tmp_path)
    size = 200 * MB
    peak, digest = roundtrip_with_bounded_memory(storage, new_key("big", "big.bin"), size)
    assert digest == expected_digest(size)
    assert peak < 16 * MB, f"peak traced memory {peak / MB:.1f} MB"


def test_local_serving_supports_range_head_and_etag(app, client):
    row = store_file(io.BytesIO(b"0123456789" * 100), "episode.mp3", prefix="audio")
    from app.extensions import db

    db.session.commit()
    app.add_url_rule(
        "/t/<int:file_id>",
        "serve_test",
        lambda file_id: serve_stored_file(db.session.get(type(row), file_id)),
    )
    url = f"/t/{row.id}"

    def fetch(method="GET", **headers):
        response = client.open(url, method=method, headers=headers)
        response.get_data()
        response.close()  # send_file keeps the file open until the body is closed
        return response

    full = fetch()
    assert full.status_code == 200 and full.headers["Content-Type"] == "audio/mpeg"
    assert int(full.headers["Content-Length"]) == 1000 == row.size
    head = fetch("HEAD")
    assert head.status_code == 200 and head.headers["Content-Length"] == "1000"
    probe = fetch(Range="bytes=0-1")
    assert probe.status_code == 206 and probe.data == b"01"
    assert probe.headers["Content-Range"] == "bytes 0-1/1000"
    assert fetch(Range="bytes=5000-").status_code == 416
    assert fetch(**{"If-None-Match": full.headers["ETag"]}).status_code == 304
    assert row.sha256 == hashlib.sha256(b"0123456789" * 100).hexdigest()


# --- S3 through moto's server on loopback -------------------------------------------------


@pytest.mark.services
def test_s3_storage_operations(app_factory, s3_config):
    app = app_factory(STORAGE=s3_config)
    with app.app_context():
        from app.media.storage import get_storage

        storage = get_storage()
        assert storage.name == "s3"
        storage.healthcheck()
        key = new_key("docs", "fiche.pdf")
        assert storage.save(key, io.BytesIO(b"%PDF-1.4 test"), content_type="application/pdf") == 13
        assert storage.exists(key) and storage.size(key) == 13
        with storage.local_path(key) as path:
            assert path.read_bytes() == b"%PDF-1.4 test" and path.suffix == ".pdf"
        assert not path.exists()  # the temporary copy is cleaned up
        storage.delete(key)
        assert not storage.exists(key)


@pytest.mark.services
def test_s3_serving_redirects_to_a_fresh_presigned_url(app_factory, s3_config):
    import requests

    app = app_factory(STORAGE=s3_config)
    with app.app_context():
        from app.extensions import db

        row = store_file(io.BytesIO(b"ID3" + b"\0" * 997), "episode.mp3", prefix="audio")
        db.session.commit()
        assert row.backend == "s3"
        with app.test_request_context():
            response = serve_stored_file(row)
        assert response.status_code == 302
        url = response.headers["Location"]
        assert "X-Amz-Signature" in url and "X-Amz-Expires" in url
        ranged = requests.get(url, headers={"Range": "bytes=0-1"}, timeout=10)
        assert ranged.status_code == 206 and ranged.content == b"ID"
        assert ranged.headers["Content-Type"] == "audio/mpeg"


@pytest.mark.services
@pytest.mark.slow
def test_s3_streams_200_mb_multipart_with_bounded_memory(app_factory, s3_config):
    app = app_factory(STORAGE=s3_config)
    with app.app_context():
        from app.media.storage import get_storage

        storage = get_storage()
        size = 200 * MB
        key = new_key("big", "big.bin")
        peak, digest = roundtrip_with_bounded_memory(storage, key, size)
        assert digest == expected_digest(size)
        # Multipart: chunk size × concurrency plus boto's buffers, far below the file size.
        assert peak < 64 * MB, f"peak traced memory {peak / MB:.1f} MB"
        head = storage.client.head_object(Bucket=storage.bucket, Key=storage.object_key(key))
        assert "-" in head["ETag"], "a 200 MB object must be uploaded in parts"
