"""Path traversal against the file, upload and media routes: 400/404, never a file from outside.

A secret file sits next to the storage root (tmp_path/secret.txt, the media in tmp_path/media).
Every GET route with a text argument is asked for it through ``../``, encoded and double-encoded
dots and slashes, backslashes, absolute paths and NUL bytes; uploads (tus and library attachments)
are sent with such file names and must land inside the storage root under a clean key.
"""

import base64
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter, UnicodeConverter

from app.auth.models import Role
from app.extensions import db
from app.media.models import StoredFile

SECRET = "SECRET-OUTSIDE-STORAGE-7f3a"


def traversal_payloads(secret: Path) -> list[str]:
    """Raw path segments (as a client would put them in the URL) aiming at the secret file."""
    return [
        "../secret.txt",
        "../../secret.txt",
        "..%2fsecret.txt",
        "..%2F..%2Fsecret.txt",
        "%2e%2e%2fsecret.txt",
        "%2e%2e/%2e%2e/secret.txt",
        "%252e%252e%252fsecret.txt",
        "....//....//secret.txt",
        "..%5csecret.txt",
        "..\\..\\secret.txt",
        "%2F" + "%2F".join(secret.parts[1:]),
        "/" + "/".join(secret.parts[1:]),
        "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "secret.txt%00.mp3",
        "..%00/secret.txt",
        "%c0%ae%c0%ae%c0%afsecret.txt",
    ]


@pytest.fixture
def site(app, client, make_user, tmp_path):
    """The demo, a stored file, an administrator signed in, the secret next to the storage."""
    from app.demo import load_demo
    from tests.conftest import login

    (tmp_path / "secret.txt").write_text(SECRET)
    load_demo(with_media=False, log=lambda *_: None)
    admin = make_user(Role.ADMIN)
    login(client, admin)
    return admin


def _leaks(body: bytes) -> bool:
    return SECRET.encode() in body or b"root:x:0:0" in body


def test_no_route_serves_a_file_from_outside_the_storage(app, client, site, tmp_path):
    # Every other payload: enough variety for every route, half the requests.
    payloads = traversal_payloads(tmp_path / "secret.txt")[::2]
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        text_args = [
            a for a in rule.arguments
            if isinstance(rule._converters[a], UnicodeConverter | PathConverter)
        ]  # fmt: skip
        if not text_args:
            continue
        for payload in payloads:
            url = rule.rule
            for arg in rule.arguments:
                converter = rule._converters[arg]
                value = "1" if isinstance(converter, IntegerConverter) else payload
                if isinstance(converter, AnyConverter):
                    value = converter.regex.strip("()").split("|")[0].strip("?:")
                url = re.sub(rf"<(?:[^:<>]+:)?{arg}(?:\([^)]*\))?>", lambda _m, v=value: v, url)
            response = client.get(url)
            body = response.get_data()
            assert not _leaks(body), f"{url} served the secret"
            assert response.status_code < 500, (url, response.status_code)
            checked += 1
    assert checked > 100


FILE_ROUTES = [
    "/media/1/{p}",
    "/static/{p}",
    "/se-documenter/fichiers/1/{p}",
    "/feeds/e/1/1.{p}",
    "/ecouter/embed/{p}",
    "/api/uploads/{p}",
]


@pytest.mark.parametrize("template", FILE_ROUTES)
def test_file_routes_answer_400_or_404_to_traversal(client, site, tmp_path, template):
    # tus answers 412 to a client that does not speak its version: speak it.
    headers = {"Tus-Resumable": "1.0.0"} if template.startswith("/api/uploads") else {}
    for payload in traversal_payloads(tmp_path / "secret.txt"):
        url = template.format(p=payload)
        for method in ("GET", "HEAD"):
            # Doubled slashes get a 308 to the merged path: follow it to the final answer.
            response = client.open(url, method=method, headers=headers, follow_redirects=True)
            assert response.status_code in (400, 404, 405), (method, url, response.status_code)
            assert not _leaks(response.get_data())


def _tus_metadata(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


HOSTILE_NAMES = [
    "../../../secret-upload.mp3",
    "..\\..\\secret-upload.mp3",
    "/tmp/secret-upload.mp3",  # noqa: S108 - the attack, not a temp file
    "entretien\x00.mp3",
    "%2e%2e%2fsecret-upload.mp3",
]


def _files_outside(root: Path, tmp_path: Path) -> list[Path]:
    return [
        p for p in tmp_path.rglob("*secret-upload*")
        if p.is_file() and root not in p.parents
    ]  # fmt: skip


@pytest.mark.ffmpeg
def test_uploads_with_hostile_names_stay_inside_the_storage(app, client, site, tmp_path):
    from app.auth.operations import create_api_token

    mp3 = tmp_path / "clip.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=2", "-c:a", "libmp3lame",
         str(mp3)], check=True, capture_output=True,
    )  # fmt: skip
    body = mp3.read_bytes()
    token = create_api_token(site, "traversal")
    db.session.commit()
    root = Path(app.config["STORAGE"]["root"]).resolve()
    for name in HOSTILE_NAMES:
        headers = {
            "Tus-Resumable": "1.0.0",
            "Authorization": f"Bearer {token}",
            "Upload-Length": str(len(body)),
            "Upload-Metadata": _tus_metadata(filename=name, filetype="audio/mpeg", title=name),
        }
        created = client.post("/api/uploads/", headers=headers)
        if created.status_code == 400:
            continue  # refused outright: fine
        assert created.status_code == 201, created.get_data(as_text=True)[:300]
        location = created.headers["Location"]
        patched = client.patch(
            location, data=body,
            headers={"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {token}",
                     "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        )  # fmt: skip
        assert patched.status_code == 204, patched.get_data(as_text=True)[:300]

    db.session.expire_all()
    keys = db.session.scalars(sa.select(StoredFile.key)).all()
    for key in keys:
        assert ".." not in key.split("/") and "\\" not in key and "\x00" not in key, key
        assert not key.startswith("/"), key
        assert (root / key).resolve().is_relative_to(root), key
    assert not _files_outside(root, tmp_path)
    assert not Path("/tmp/secret-upload.mp3").exists()  # noqa: S108


def test_library_attachments_with_hostile_names_stay_inside_the_storage(
    app, client, site, tmp_path
):
    import io

    from app.library.models import Resource

    slug = db.session.scalar(sa.select(Resource.slug).limit(1))
    assert slug, "the demo has no library resource"
    root = Path(app.config["STORAGE"]["root"]).resolve()
    for name in HOSTILE_NAMES:
        response = client.post(
            f"/se-documenter/ressources/{slug}/fichiers",
            data={"file": (io.BytesIO(b"%PDF-1.4 fiche"), name.replace(".mp3", ".pdf"))},
            content_type="multipart/form-data",
        )
        assert response.status_code in (302, 303, 400), response.status_code
    db.session.expire_all()
    for key in db.session.scalars(sa.select(StoredFile.key)).all():
        assert ".." not in key.split("/") and "\\" not in key and "\x00" not in key, key
        assert (root / key).resolve().is_relative_to(root), key
    assert not _files_outside(root, tmp_path)
