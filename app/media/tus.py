"""The tus 1.0 endpoint (core, creation, termination, checksum, expiration) at /api/uploads/.

Standard clients work as is: tus-js-client on the upload page, tuspy from scripts. Authentication
is the session cookie (with the CSRF token in ``X-CSRFToken``) or an API token (``Bearer``);
animators only. Protocol: https://tus.io/protocols/resumable-upload
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC
from email.utils import format_datetime

from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.models import Role
from app.auth.security import role_required
from app.core.i18n import translated
from app.extensions import db
from app.media import jobs
from app.media.uploads import (
    CHECKSUM_ALGORITHMS,
    UploadError,
    append_chunk,
    create_upload,
    encode_metadata,
    finish_upload,
    get_upload,
    is_expired,
    parse_metadata,
    terminate_upload,
)

log = logging.getLogger(__name__)

bp = Blueprint("media_tus", __name__, url_prefix="/api/uploads")

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,checksum,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


@bp.url_value_preprocessor
def _allow_large_bodies(endpoint, values):
    # Runs before the app's CSRF check reads the body: a PATCH may carry gigabytes, streamed.
    request.max_content_length = jobs.media_config()["upload_max_size"]


@bp.after_request
def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str) -> Response:
    response = jsonify(code=status, message=translated(message))
    response.status_code = status
    return response


def _check_version() -> Response | None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        response = _error(412, _("Version du protocole tus non prise en charge (1.0.0 attendue)."))
        response.headers["Tus-Version"] = TUS_VERSION
        return response
    return None


def _http_date(dt) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


@bp.route("/", methods=["OPTIONS"], provide_automatic_options=False)
def options():
    """Advertise the protocol version, extensions, size limit and checksum algorithms."""
    response = Response(status=204)
    response.headers["Tus-Version"] = TUS_VERSION
    response.headers["Tus-Extension"] = TUS_EXTENSIONS
    response.headers["Tus-Max-Size"] = str(jobs.media_config()["upload_max_size"])
    response.headers["Tus-Checksum-Algorithm"] = ",".join(CHECKSUM_ALGORITHMS)
    return response


@bp.route("/", methods=["POST"])
@role_required(Role.ANIMATOR)
def create():
    """Open an upload after checking the announced size and media type (no byte accepted yet)."""
    if (bad := _check_version()) is not None:
        return bad
    if "Upload-Defer-Length" in request.headers:
        return _error(
            400, _("La longueur différée n'est pas prise en charge : annoncez la taille.")
        )
    try:
        length = int(request.headers.get("Upload-Length", ""))
    except ValueError:
        return _error(400, _("En-tête Upload-Length manquant ou invalide."))
    try:
        meta = parse_metadata(request.headers.get("Upload-Metadata"))
        upload = create_upload(current_user, length, meta)
        job = None
        if length == 0:
            # Nothing to wait for: the pipeline will explain why an empty file is refused.
            job = finish_upload(upload, current_user)[1]
    except UploadError as exc:
        db.session.rollback()
        return _error(exc.status, exc.message)
    db.session.commit()
    if job is not None:
        jobs.send(job)
    response = Response(status=201)
    response.headers["Location"] = url_for(".upload", upload_id=upload.id)
    response.headers["Upload-Offset"] = str(upload.offset)
    response.headers["Upload-Expires"] = _http_date(upload.expires_dt)
    return response


@bp.route("/<upload_id>", methods=["HEAD"])
@role_required(Role.ANIMATOR)
def upload(upload_id: str):
    """Tell the client how many bytes the server holds (where to resume)."""
    if (bad := _check_version()) is not None:
        return bad
    row = get_upload(upload_id, current_user)
    if row is None:
        return Response(status=404)
    if is_expired(row):
        return Response(status=410)
    response = Response(status=200)
    response.headers["Upload-Offset"] = str(row.offset)
    response.headers["Upload-Length"] = str(row.length)
    if row.meta:
        response.headers["Upload-Metadata"] = encode_metadata(row.meta)
    if row.completed_dt is None:
        response.headers["Upload-Expires"] = _http_date(row.expires_dt)
    return response


def _parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    if not header:
        return None
    algorithm, _sep, value = header.strip().partition(" ")
    try:
        return algorithm.lower(), base64.b64decode(value.strip(), validate=True)
    except binascii.Error as exc:
        raise UploadError(400, _("En-tête Upload-Checksum mal encodé.")) from exc


@bp.route("/<upload_id>", methods=["PATCH"])
@role_required(Role.ANIMATOR)
def patch(upload_id: str):
    """Append the body at Upload-Offset, streamed to storage; finish the upload on its last byte."""
    if (bad := _check_version()) is not None:
        return bad
    if request.mimetype != OFFSET_CONTENT_TYPE:
        return _error(415, _("Content-Type %(type)s attendu.", type=OFFSET_CONTENT_TYPE))
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        return _error(400, _("En-tête Upload-Offset manquant ou invalide."))
    job = None
    try:
        checksum = _parse_checksum(request.headers.get("Upload-Checksum"))
        row = get_upload(upload_id, current_user, lock=True)
        if row is None:
            exists = get_upload(upload_id, current_user)
            return _error(
                423 if exists else 404, _("Envoi introuvable ou déjà en cours d'écriture.")
            )
        if row.completed_dt is not None and offset == row.offset:
            response = Response(status=204)
            response.headers["Upload-Offset"] = str(row.offset)
            return response
        append_chunk(
            row,
            request.stream,
            offset=offset,
            content_length=request.content_length,
            checksum=checksum,
        )
        if row.is_complete:
            job = finish_upload(row, current_user)[1]
    except UploadError as exc:
        db.session.commit()  # keeps what an interrupted chunk stored (offset, S3 parts)
        return _error(exc.status, exc.message)
    db.session.commit()
    if job is not None:
        jobs.send(job)
    response = Response(status=204)
    response.headers["Upload-Offset"] = str(row.offset)
    if row.completed_dt is None:
        response.headers["Upload-Expires"] = _http_date(row.expires_dt)
    elif row.asset_id:
        # Not part of tus: lets scripts find the media page right away.
        response.headers["Media-Asset-Id"] = str(row.asset_id)
        response.headers["Location"] = url_for("media.upload_done", upload_id=row.id)
    return response


@bp.route("/<upload_id>", methods=["DELETE"])
@role_required(Role.ANIMATOR)
def delete(upload_id: str):
    """Terminate an upload and drop its bytes."""
    if (bad := _check_version()) is not None:
        return bad
    row = get_upload(upload_id, current_user)
    if row is None:
        return Response(status=404)
    terminate_upload(row)
    db.session.commit()
    return Response(status=204)
