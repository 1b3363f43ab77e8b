"""Resumable uploads (tus 1.0): create, append, finish into a media asset, terminate, sweep.

Functions here take explicit arguments, flush and never commit; the tus views in ``tus.py`` parse
the protocol headers, call them, and commit. Bytes go through a storage ``UploadSession`` (a part
file on local disk, an S3 multipart upload otherwise) in fixed-size pieces: memory stays flat.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import mimetypes
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import BinaryIO

import sqlalchemy as sa
from werkzeug.exceptions import ClientDisconnected

from app.core.db import utcnow
from app.core.i18n import Message
from app.core.templating import format_size
from app.extensions import db
from app.media.jobs import create_job, media_config
from app.media.models import (
    AssetKind,
    AssetStatus,
    MediaAsset,
    StoredFile,
    Upload,
)
from app.media.storage import CHUNK, UploadSession, get_storage, new_key

log = logging.getLogger(__name__)

#: Extensions accepted for recordings (video and audio containers browsers and exporters make).
VIDEO_EXTENSIONS = {"mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "flv", "3gp"}
AUDIO_EXTENSIONS = {"mp3", "m4a", "aac", "wav", "ogg", "oga", "opus", "flac", "weba", "amr"}
#: Algorithms of the tus checksum extension we verify (names as in the tus registry).
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}


class UploadError(Exception):
    """The request cannot be accepted; ``status`` is the HTTP status, ``message`` is for people
    (a Message, translated when the answer is written)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def parse_metadata(header: str | None) -> dict[str, str]:
    """Decode tus Upload-Metadata ("key base64value, key2 base64value2")."""
    result: dict[str, str] = {}
    if not header:
        return result
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise UploadError(
                400, Message("Métadonnée « %(key)s » mal encodée (base64 attendu).", key=key)
            ) from exc
    return result


def encode_metadata(meta: dict[str, str]) -> str:
    """Encode metadata back into the Upload-Metadata header format."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in meta.items()
    )


def check_media_type(filename: str, filetype: str | None) -> tuple[str, AssetKind]:
    """Return (content type, kind) of an announced file, or refuse it before any byte is sent."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    guessed = mimetypes.guess_type(f"f.{extension}")[0] if extension else None
    declared = (filetype or "").split(";")[0].strip().lower()
    if declared and not declared.startswith(("video/", "audio/")):
        raise UploadError(
            415,
            Message(
                "Seuls les enregistrements vidéo ou audio sont acceptés "
                "(type « %(type)s » refusé).",
                type=declared,
            ),
        )
    if extension in VIDEO_EXTENSIONS:
        kind = AssetKind.AUDIO if declared.startswith("audio/") else AssetKind.VIDEO
    elif extension in AUDIO_EXTENSIONS:
        kind = AssetKind.AUDIO
    else:
        raise UploadError(
            415,
            Message(
                "Extension de fichier non reconnue : envoyez une vidéo (MP4, MOV, MKV, WebM…) "
                "ou un fichier audio (MP3, M4A, WAV, OGG…)."
            ),
        )
    content_type = declared or guessed or ("audio/mpeg" if kind == AssetKind.AUDIO else "video/mp4")
    return content_type, kind


def create_upload(owner, length: int, meta: dict[str, str]) -> Upload:
    """Check the announced file (size, type) and open an upload for it (flushed)."""
    conf = media_config()
    if length < 0:
        raise UploadError(400, Message("Upload-Length invalide."))
    if length > conf["upload_max_size"]:
        raise UploadError(
            413,
            # Sizes in the request's language: this answer is read at once, never stored.
            Message(
                "Fichier trop volumineux : %(size)s, le maximum est %(limit)s.",
                size=format_size(length),
                limit=format_size(conf["upload_max_size"]),
            ),
        )
    if any("\x00" in key or "\x00" in value for key, value in meta.items()):
        raise UploadError(400, Message("Upload-Metadata invalide : caractère nul."))
    filename = (meta.get("filename") or meta.get("name") or "").strip()
    if not filename:
        raise UploadError(400, Message("Le nom du fichier (métadonnée « filename ») est requis."))
    content_type, _kind = check_media_type(filename, meta.get("filetype") or meta.get("type"))
    storage = get_storage()
    upload = Upload(
        id=uuid.uuid4().hex,
        owner_id=owner.id,
        length=length,
        offset=0,
        meta=meta,
        filename=filename[:255],
        content_type=content_type,
        backend=storage.name,
        key=new_key("media/originals", filename),
        session={},
        expires_dt=utcnow() + timedelta(seconds=conf["upload_expiry_s"]),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def get_upload(upload_id: str, owner, *, lock: bool = False) -> Upload | None:
    """Return the owner's upload (None for someone else's, unknown or expired ones)."""
    if not re.fullmatch(r"[0-9a-f]{32}", upload_id or ""):
        return None  # not one of our ids: never reaches the database
    query = sa.select(Upload).where(Upload.id == upload_id)
    if lock:
        # One PATCH at a time per upload: a concurrent one gets 423 (as tusd does).
        query = query.with_for_update(skip_locked=True)
    upload = db.session.scalar(query)
    if upload is None or upload.owner_id != owner.id:
        return None
    return upload


def is_expired(upload: Upload) -> bool:
    """Tell whether an unfinished upload passed its expiry."""
    return upload.completed_dt is None and upload.expires_dt < utcnow()


def session_of(upload: Upload) -> UploadSession:
    """Return the storage session holding the upload's bytes."""
    return get_storage(upload.backend).upload_session(upload.id, upload.key, upload.session)


class _Hashers:
    """SHA-256 of uploads in progress, kept per process so finishing needs no second read.

    A PATCH served by another process (or after a restart) simply drops the entry; the digest is
    then computed by reading the stored bytes once at the end.
    """

    def __init__(self, limit: int = 256):
        self.lock = threading.Lock()
        self.items: dict[str, tuple[int, object]] = {}
        self.limit = limit

    def take(self, upload_id: str, offset: int):
        with self.lock:
            item = self.items.pop(upload_id, None)
        if offset == 0:
            return hashlib.sha256()
        if item and item[0] == offset:
            return item[1]
        return None

    def put(self, upload_id: str, offset: int, hasher) -> None:
        if hasher is None:
            return
        with self.lock:
            if len(self.items) >= self.limit:
                self.items.pop(next(iter(self.items)))
            self.items[upload_id] = (offset, hasher)

    def drop(self, upload_id: str) -> None:
        with self.lock:
            self.items.pop(upload_id, None)


_hashers = _Hashers()


def append_chunk(
    upload: Upload,
    stream: BinaryIO,
    *,
    offset: int,
    content_length: int | None,
    checksum: tuple[str, bytes] | None = None,
) -> int:
    """Stream a PATCH body into the upload at ``offset``; return the new offset (flushed).

    On a checksum mismatch the chunk is dropped (460). If the client goes away mid-chunk, what
    arrived is kept (when no checksum was asked) so the client resumes from there.
    """
    if is_expired(upload):
        raise UploadError(410, Message("Cet envoi a expiré : recommencez-le."))
    if offset != upload.offset:
        raise UploadError(
            409,
            Message(
                "Décalage incohérent : le serveur a reçu %(received)s octets, pas %(offset)s.",
                received=upload.offset,
                offset=offset,
            ),
        )
    remaining = upload.length - upload.offset
    if content_length is not None and content_length > remaining:
        raise UploadError(413, Message("Ce morceau dépasse la taille annoncée du fichier."))
    verifier = None
    if checksum is not None:
        algorithm, _ = checksum
        if algorithm not in CHECKSUM_ALGORITHMS:
            raise UploadError(
                400,
                Message(
                    "Algorithme de somme de contrôle non pris en charge : %(algorithm)s.",
                    algorithm=algorithm,
                ),
            )
        verifier = CHECKSUM_ALGORITHMS[algorithm]()
    session = session_of(upload)
    held = session.size()
    if held < upload.offset:
        # Bytes were lost (storage restored from a backup…): let the client resend from there.
        upload.offset = held
        db.session.flush()
        raise UploadError(
            409,
            Message("Le serveur n'a conservé que %(held)s octets : reprenez de là.", held=held),
        )
    if held > upload.offset:
        # A request that crashed after writing but before saving the offset left extra bytes.
        session.truncate(upload.offset)
    hasher = _hashers.take(upload.id, upload.offset)
    before = hasher.copy() if hasher is not None else None
    counted = 0
    disconnected: Exception | None = None

    def chunks() -> Iterator[bytes]:
        nonlocal counted
        while True:
            data = stream.read(CHUNK)
            if not data:
                return
            counted += len(data)
            if counted > remaining:
                raise UploadError(413, Message("Ce morceau dépasse la taille annoncée du fichier."))
            if verifier is not None:
                verifier.update(data)
            if hasher is not None:
                hasher.update(data)
            yield data

    try:
        # With a checksum to verify, S3 parts wait until the chunk is accepted.
        session.append(chunks(), flush=checksum is None)
    except UploadError:
        session.truncate(upload.offset)
        upload.session = session.state
        raise
    except (OSError, ClientDisconnected) as exc:
        disconnected = exc
    if disconnected is None and content_length is not None and counted < content_length:
        disconnected = ConnectionError("client disconnected")
    if checksum is not None and (
        disconnected is not None or verifier.digest() != checksum[1]  # type: ignore[union-attr]
    ):
        session.truncate(upload.offset)
        upload.session = session.state
        _hashers.put(upload.id, upload.offset, before)
        if disconnected is not None:
            raise UploadError(400, Message("Connexion interrompue pendant l'envoi du morceau."))
        raise UploadError(
            460, Message("La somme de contrôle du morceau ne correspond pas : renvoyez-le.")
        )
    session.commit()
    upload.offset = upload.offset + counted
    upload.session = session.state
    upload.expires_dt = utcnow() + timedelta(seconds=media_config()["upload_expiry_s"])
    _hashers.put(upload.id, upload.offset, hasher)
    db.session.flush()
    if disconnected is not None:
        log.info("upload %s: client left at offset %s", upload.id, upload.offset)
    return upload.offset


def finish_upload(upload: Upload, owner) -> tuple[MediaAsset, object | None]:
    """Publish the complete original, then make the asset and its first job (flushed).

    Returns (asset, job); job is None when the same file had already been uploaded by this
    account: the new copy is dropped and the upload points to the existing asset.
    """
    session = session_of(upload)
    session.complete(content_type=upload.content_type)
    upload.session = session.state
    storage = get_storage(upload.backend)
    hasher = _hashers.take(upload.id, upload.offset)
    _hashers.drop(upload.id)
    if hasher is None:
        hasher = hashlib.sha256()
        with storage.open(upload.key) as fh:
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
    digest = hasher.hexdigest()
    upload.completed_dt = utcnow()
    existing = db.session.scalar(
        sa.select(MediaAsset)
        .join(StoredFile, MediaAsset.original_id == StoredFile.id)
        .where(
            StoredFile.sha256 == digest,
            MediaAsset.owner_id == owner.id,
            MediaAsset.status != AssetStatus.FAILED,
        )
        .order_by(MediaAsset.id)
        .limit(1)
    )
    if existing is not None:
        storage.delete(upload.key)
        upload.asset = existing
        upload.duplicate = True
        db.session.flush()
        log.info("upload %s: same bytes as asset %s, reused", upload.id, existing.id)
        return existing, None
    _, kind = check_media_type(upload.filename, upload.content_type)
    original = StoredFile(
        backend=upload.backend,
        key=upload.key,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.length,
        sha256=digest,
    )
    meta = upload.meta or {}
    title = (meta.get("title") or "").strip() or upload.filename.rsplit(".", 1)[0]
    asset = MediaAsset(
        title=title[:255],
        kind=kind,
        status=AssetStatus.PROCESSING,
        owner_id=owner.id,
        original=original,
        target=(meta.get("target") or "").strip()[:80] or None,
    )
    db.session.add_all([original, asset])
    upload.asset = asset
    job = create_job(asset, "process")
    return asset, job


def terminate_upload(upload: Upload) -> None:
    """Drop an upload and its bytes (tus termination); a finished upload's asset stays."""
    if upload.completed_dt is None:
        session_of(upload).abort()
    _hashers.drop(upload.id)
    db.session.delete(upload)


def sweep_expired_uploads(now=None) -> int:
    """Delete unfinished uploads past their expiry, with their bytes; return how many."""
    now = now or utcnow()
    expired = db.session.scalars(
        sa.select(Upload).where(Upload.completed_dt.is_(None), Upload.expires_dt < now)
    ).all()
    for upload in expired:
        try:
            session_of(upload).abort()
        except Exception:  # a backend hiccup must not stop the sweep of the others
            log.exception("upload %s: could not drop its bytes", upload.id)
            continue
        db.session.delete(upload)
    db.session.flush()
    return len(expired)
