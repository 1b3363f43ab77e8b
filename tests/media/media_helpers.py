"""Helpers shared by the media pipeline tests: a live server, tus requests, sample readers."""

import base64
import hashlib
import io
import threading
from contextlib import contextmanager

import requests
from werkzeug.serving import make_server

from app.auth.operations import create_api_token
from app.extensions import db


@contextmanager
def live_server(app):
    """Serve the app on 127.0.0.1 (random port) in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def api_token(user) -> str:
    token = create_api_token(user, "tests")
    db.session.commit()
    return token


def tus_headers(token: str | None = None, **extra) -> dict:
    headers = {"Tus-Resumable": "1.0.0"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    headers.update(extra)
    return headers


def metadata(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(base: str, token: str, length: int, **meta) -> requests.Response:
    meta.setdefault("filename", "webinaire.mp4")
    meta.setdefault("filetype", "video/mp4")
    return requests.post(
        f"{base}/api/uploads/",
        headers=tus_headers(
            token, **{"Upload-Length": str(length), "Upload-Metadata": metadata(**meta)}
        ),
        timeout=30,
    )


def patch(base_url: str, token: str, offset: int, body: bytes, **extra) -> requests.Response:
    return requests.patch(
        base_url,
        data=body,
        headers=tus_headers(
            token,
            **{"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
            **extra,
        ),
        timeout=60,
    )


def sha1_header(body: bytes) -> str:
    return "sha1 " + base64.b64encode(hashlib.sha1(body).digest()).decode()  # noqa: S324


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _KeepOpen(io.BufferedReader):
    """A file tuspy may "close" (its fingerprinting does) and keep reading afterwards."""

    def close(self):
        pass

    def really_close(self):
        super().close()


@contextmanager
def tus_stream(path):
    """Open a file for tuspy's file_stream, closed for real at the end of the block."""
    stream = _KeepOpen(io.FileIO(str(path), "rb"))
    try:
        yield stream
    finally:
        stream.really_close()
