"""JSON API: the audio edition of a guide (state for everyone, generation for editors)."""

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.security import role_required
from app.extensions import db
from app.library.models import Resource
from app.tts import operations
from app.tts.listen import EDITOR_ROLES, can_generate, tts_edition_for

blp = Blueprint(
    "api_tts", __name__, url_prefix="/api/tts", description="Versions audio des guides"
)


class JobSchema(Schema):
    job_id = fields.Int()
    state = fields.Str()
    edition_status = fields.Str(allow_none=True)
    step = fields.Str()
    step_label = fields.Str()
    percent = fields.Int()
    eta_s = fields.Int(allow_none=True)
    error = fields.Str(allow_none=True)
    finished = fields.Bool()


class ChapterSchema(Schema):
    start = fields.Float()
    title = fields.Str()


class EditionSchema(Schema):
    resource_id = fields.Int()
    ready = fields.Bool()
    synthetic_voice = fields.Bool()
    audio_url = fields.Str(allow_none=True)
    chapters_url = fields.Str(allow_none=True)
    vtt_url = fields.Str(allow_none=True)
    transcript_url = fields.Str(allow_none=True)
    duration_s = fields.Float(allow_none=True)
    voice = fields.Str(allow_none=True)
    chapters = fields.List(fields.Nested(ChapterSchema))
    job = fields.Nested(JobSchema, allow_none=True)


def _guide(resource_id: int) -> Resource:
    resource = db.session.get(Resource, resource_id)
    if not operations.is_guide(resource) or (
        not resource.is_published and not can_generate(current_user)
    ):
        abort(404, description=_("Guide introuvable."))
    return resource


def _as_dict(resource: Resource) -> dict:
    block = tts_edition_for(resource)
    return {
        "resource_id": resource.id,
        "ready": block.audio_url is not None,
        "synthetic_voice": True,
        "audio_url": block.audio_url,
        "chapters_url": block.chapters_url,
        "vtt_url": block.vtt_url,
        "transcript_url": block.transcript_url,
        "duration_s": block.duration_s,
        "voice": block.edition.voice if block.edition is not None else None,
        "chapters": block.chapters,
        "job": block.status,
    }


@blp.route("/guides/<int:resource_id>")
@blp.response(200, EditionSchema)
def get_edition(resource_id):
    """The audio edition of a guide; the job state is shown to editors only."""
    return _as_dict(_guide(resource_id))


@blp.route("/guides/<int:resource_id>/generate", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}, {"sessionCookie": []}])
@blp.response(202, EditionSchema)
@role_required(*EDITOR_ROLES)
def generate(resource_id):
    """Queue the (re)generation of a guide's audio edition; 400 when there is nothing to read."""
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        abort(404, description=_("Guide introuvable."))
    try:
        operations.request_edition(resource, user=current_user)
    except operations.EditionError as exc:
        abort(exc.status, str(exc))  # str: the Message in the reader's language
    db.session.commit()
    return _as_dict(resource)
