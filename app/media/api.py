"""Media API: job and asset status for scripts (uploads go through the tus endpoint)."""

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.models import Role
from app.auth.security import role_required
from app.core.i18n import translated
from app.extensions import db
from app.media.models import MediaAsset, ProcessingJob
from app.media.serving import can_manage, media_url

blp = Blueprint(
    "api_media",
    __name__,
    url_prefix="/api/media",
    description="Médias : état des traitements et fichiers produits",
)


class MediaJobSchema(Schema):
    id = fields.Int(required=True)
    asset_id = fields.Int(required=True)
    job_type = fields.Str(required=True)
    state = fields.Function(lambda j: j.state.value, required=True)
    step = fields.Str(required=True)
    progress = fields.Float(required=True, metadata={"description": "0 → 1"})
    eta_s = fields.Float(allow_none=True, metadata={"description": "secondes restantes"})
    attempts = fields.Int(required=True)
    #: Stored as a Message: answered in the reader's language.
    error = fields.Function(lambda j: translated(j.error), allow_none=True)
    worker = fields.Str(allow_none=True)


class MediaRenditionSchema(Schema):
    kind = fields.Function(lambda r: r.kind.value, required=True)
    url = fields.Function(lambda r: media_url(r.file, external=True), required=True)
    content_type = fields.Function(lambda r: r.file.content_type)
    size = fields.Function(lambda r: r.file.size)
    width = fields.Int(allow_none=True)
    height = fields.Int(allow_none=True)
    duration_s = fields.Float(allow_none=True)


class MediaAssetSchema(Schema):
    id = fields.Int(required=True)
    title = fields.Str(required=True)
    kind = fields.Function(lambda a: a.kind.value)
    status = fields.Function(lambda a: a.status.value, required=True)
    target = fields.Str(allow_none=True)
    duration_s = fields.Float(allow_none=True)
    renditions = fields.Function(
        lambda a: MediaRenditionSchema(many=True).dump([r for r in a.renditions if r.is_current])
    )
    jobs = fields.Nested(MediaJobSchema, many=True)


def _asset(asset_id: int) -> MediaAsset:
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None:
        abort(404, description=_("Média introuvable."))
    if not can_manage(asset, current_user):
        abort(403, description=_("Ce média appartient à une autre personne."))
    return asset


@blp.route("/assets/<int:asset_id>")
@blp.doc(security=[{"bearerAuth": []}, {"sessionCookie": []}])
@blp.response(200, MediaAssetSchema)
@role_required(Role.ANIMATOR)
def get_asset(asset_id: int):
    """Return a media asset, its current files and its processing jobs."""
    return _asset(asset_id)


@blp.route("/jobs/<int:job_id>")
@blp.doc(security=[{"bearerAuth": []}, {"sessionCookie": []}])
@blp.response(200, MediaJobSchema)
@role_required(Role.ANIMATOR)
def get_job(job_id: int):
    """Return a processing job's state, step, progress and time left."""
    job = db.session.get(ProcessingJob, job_id)
    if job is None:
        abort(404, description=_("Traitement introuvable."))
    _asset(job.asset_id)
    return job
