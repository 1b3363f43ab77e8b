"""Pages of a guide's audio edition: listen, read the transcript, (re)generate, follow the job."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.security import role_required
from app.auth.views import _safe_next
from app.extensions import db
from app.library.models import Resource
from app.media.storage import StorageError, get_storage
from app.tts import operations
from app.tts.listen import EDITOR_ROLES, can_generate, job_status, tts_edition_for

bp = Blueprint("tts", __name__, url_prefix="/guides-audio")


def _guide_or_404(resource_id: int) -> Resource:
    """Return a guide readers may see (editors also see unpublished ones)."""
    resource = db.session.get(Resource, resource_id)
    if not operations.is_guide(resource):
        abort(404)
    if not resource.is_published and not can_generate(current_user):
        abort(404)
    return resource


def read_transcript(resource_id: int) -> str | None:
    """Return the plain-text transcript of the audio online, if any."""
    edition = operations.get_edition(resource_id)
    if edition is None or edition.transcript_file is None:
        return None
    row = edition.transcript_file
    try:
        with get_storage(row.backend).open(row.key) as fh:
            return fh.read().decode("utf-8")
    except StorageError:
        return None


@bp.get("/<int:resource_id>")
def edition(resource_id: int):
    resource = _guide_or_404(resource_id)
    return render_template(
        "tts/edition.html",
        resource=resource,
        block=tts_edition_for(resource),
        transcript=read_transcript(resource.id),
    )


@bp.post("/<int:resource_id>/generer")
@role_required(*EDITOR_ROLES)
def generate(resource_id: int):
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        abort(404)
    back = _safe_next(request.form.get("next") or url_for(".edition", resource_id=resource_id))
    try:
        operations.request_edition(resource, user=current_user)
    except operations.EditionError as exc:
        if exc.status == 404:
            abort(404)
        flash(str(exc), "error")
        return redirect(back, code=303)
    db.session.commit()  # the job is sent to the worker once this commit is done
    flash(
        _("La version audio est en préparation : elle remplacera l'actuelle une fois prête."),
        "info",
    )
    return redirect(back, code=303)


@bp.get("/<int:resource_id>/etat")
@role_required(*EDITOR_ROLES)
def state(resource_id: int):
    edition_row = operations.get_edition(resource_id)
    if edition_row is None:
        abort(404)
    return jsonify(job_status(edition_row.last_job, edition_row) or {})


@bp.get("/<int:resource_id>/transcription.txt")
def transcript(resource_id: int):
    resource = _guide_or_404(resource_id)
    text = read_transcript(resource.id)
    if text is None:
        abort(404)
    return Response(text, mimetype="text/plain", headers={"Content-Language": "fr"})
