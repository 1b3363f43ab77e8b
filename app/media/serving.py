"""Who may fetch a stored file, and the URLs of the generic serving route.

``/media/<file_id>/<name>.<ext>`` serves any StoredFile: the URL ends in the file's extension
(podcast apps and players look at it), answers HEAD, Range (206/416) and conditional requests
locally, and redirects to a fresh presigned URL on S3. Keys never change content, so a URL never
changes meaning (a reprocess makes new files, hence new URLs).

Renditions of public assets are open to all; everything else needs the owner, an admin, or a
signed URL (``signed_media_url``: itsdangerous, expiring). Other features (podcasts, courses) may
build URLs for their own files with these helpers (sizes: the ``filesize`` filter).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from app.auth.models import Role
from app.extensions import db
from app.media.models import MediaAsset, Rendition, StoredFile

SALT = "media-file-url"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def public_name(row: StoredFile) -> str:
    """Return the last URL segment: a safe stem and the stored file's extension."""
    from app.media.storage import safe_filename

    name = safe_filename(row.filename or "fichier")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    ext = row.extension
    return f"{stem}.{ext}" if ext else stem


def media_url(row: StoredFile, *, external: bool = False) -> str:
    """Return the serving URL of a file (access is checked when it is fetched)."""
    return url_for("media.file", file_id=row.id, filename=public_name(row), _external=external)


def signed_media_url(
    row: StoredFile, expires_in: int | None = None, *, external: bool = False
) -> str:
    """Return a URL anyone holding it may use until it expires (members-only media)."""
    expires_in = expires_in or current_app.config["MEDIA"]["signed_url_expiry_s"]
    expires_at = int(time.time()) + int(expires_in)
    token = _serializer().dumps([row.id, expires_at])
    return url_for(
        "media.file", file_id=row.id, filename=public_name(row), s=token, _external=external
    )


def signature_allows(row: StoredFile, token: str | None) -> bool:
    """Tell whether a signed URL token grants this file and has not expired."""
    if not token:
        return False
    try:
        file_id, expires_at = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return False
    return file_id == row.id and int(expires_at) >= time.time()


def asset_of(row: StoredFile) -> tuple[MediaAsset | None, bool]:
    """Return (asset, is_original) for a file belonging to a media asset."""
    rendition = db.session.scalar(sa.select(Rendition).where(Rendition.file_id == row.id))
    if rendition is not None:
        return rendition.asset, False
    asset = db.session.scalar(sa.select(MediaAsset).where(MediaAsset.original_id == row.id))
    return asset, asset is not None


def can_manage(asset: MediaAsset, user) -> bool:
    """Owner or admin: may see jobs, retry, reprocess, edit, and fetch every file."""
    return bool(
        user is not None
        and user.is_authenticated
        and (asset.owner_id == user.id or user.has_role(Role.ADMIN))
    )


def can_read(row: StoredFile, user, token: str | None) -> bool:
    """Tell whether the request may fetch the file."""
    if signature_allows(row, token):
        return True
    asset, is_original = asset_of(row)
    if asset is None:
        return bool(user is not None and user.is_authenticated and user.has_role(Role.ADMIN))
    if asset.is_public and not is_original:
        return True
    return can_manage(asset, user)
