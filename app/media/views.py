"""Media pages: upload, my media, the job page (progress, retry, reprocess, montage), serving."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import (
    Blueprint,
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

from app.auth.models import Role
from app.auth.security import role_required
from app.core.i18n import translated
from app.extensions import db
from app.media import jobs
from app.media.models import (
    JobState,
    MediaAsset,
    ProcessingJob,
    RenditionKind,
    StoredFile,
    Upload,
)
from app.media.operations import serve_stored_file
from app.media.serving import (
    asset_of,
    can_manage,
    can_read,
    media_url,
    signed_media_url,
)
from app.media.steps import step_label

bp = Blueprint("media", __name__)


def init_templating(app) -> None:
    app.jinja_env.globals["media_url"] = media_url
    app.jinja_env.globals["signed_media_url"] = signed_media_url
    app.jinja_env.globals["step_label"] = step_label


def _managed_asset(asset_id: int) -> MediaAsset:
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None:
        abort(404)
    if not can_manage(asset, current_user):
        abort(403)
    return asset


def _managed_job(job_id: int) -> ProcessingJob:
    job = db.session.get(ProcessingJob, job_id)
    if job is None:
        abort(404)
    _managed_asset(job.asset_id)
    return job


def job_status(job: ProcessingJob) -> dict:
    """Return what the job page shows, as JSON (polled every 2 s by job.js)."""
    return {
        "id": job.id,
        "asset_id": job.asset_id,
        "type": job.job_type,
        "state": job.state.value,
        "step": job.step,
        "step_label": step_label(job.step),
        "progress": round(job.progress or 0.0, 4),
        "percent": int(round((job.progress or 0.0) * 100)),
        "eta_s": None if job.eta_s is None else round(job.eta_s),
        "attempts": job.attempts,
        "error": translated(job.error),
        "finished": job.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED),
    }


@bp.route("/medias/")
@role_required(Role.ANIMATOR)
def index():
    query = sa.select(MediaAsset).order_by(MediaAsset.created_dt.desc())
    if not current_user.has_role(Role.ADMIN):
        query = query.where(MediaAsset.owner_id == current_user.id)
    assets = db.session.scalars(query).all()
    return render_template("media/index.html", assets=assets)


@bp.route("/medias/envoyer")
@role_required(Role.ANIMATOR)
def upload_page():
    return render_template(
        "media/upload.html",
        target=request.args.get("target", "")[:80],
        title=request.args.get("title", "")[:255],
        max_size=jobs.media_config()["upload_max_size"],
    )


@bp.route("/medias/envois/<upload_id>")
@role_required(Role.ANIMATOR)
def upload_done(upload_id: str):
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.owner_id != current_user.id:
        abort(404)
    if upload.asset is None:
        flash(_("L'envoi n'est pas terminé : reprenez-le depuis la page d'envoi."), "error")
        return redirect(url_for(".upload_page"))
    if upload.duplicate:
        flash(
            _(
                "Ce fichier avait déjà été envoyé : le média existant est réutilisé, "
                "il n'est pas traité une seconde fois."
            ),
            "info",
        )
    return redirect(url_for(".asset", asset_id=upload.asset_id))


@bp.route("/medias/<int:asset_id>")
@role_required(Role.ANIMATOR)
def asset(asset_id: int):
    item = _managed_asset(asset_id)
    job = item.jobs[-1] if item.jobs else None
    return _render_asset(item, job)


@bp.route("/medias/travaux/<int:job_id>")
@role_required(Role.ANIMATOR)
def job(job_id: int):
    row = _managed_job(job_id)
    return _render_asset(row.asset, row)


def _render_asset(item: MediaAsset, job: ProcessingJob | None):
    waveform = item.base_rendition(RenditionKind.WAVEFORM)
    storyboard = item.base_rendition(RenditionKind.STORYBOARD)
    return render_template(
        "media/asset.html",
        asset=item,
        job=job,
        status=job_status(job) if job else None,
        web_video=item.rendition(RenditionKind.WEB_VIDEO),
        audio=item.rendition(RenditionKind.AUDIO_EDITION),
        poster=item.rendition(RenditionKind.POSTER),
        renditions=[r for r in item.renditions if r.is_current],
        waveform=waveform,
        storyboard=storyboard,
        edit=item.edit or {},
    )


@bp.route("/medias/travaux/<int:job_id>/etat")
@role_required(Role.ANIMATOR)
def job_state(job_id: int):
    return jsonify(job_status(_managed_job(job_id)))


@bp.route("/medias/travaux/<int:job_id>/relancer", methods=["POST"])
@role_required(Role.ANIMATOR)
def retry(job_id: int):
    row = _managed_job(job_id)
    try:
        jobs.retry_job(row)
    except jobs.JobError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Le traitement est relancé."), "info")
    return redirect(url_for(".job", job_id=row.id))


@bp.route("/medias/<int:asset_id>/retraiter", methods=["POST"])
@role_required(Role.ANIMATOR)
def reprocess(asset_id: int):
    item = _managed_asset(asset_id)
    if item.original is None:
        abort(400, description=_("Ce média n'a pas de fichier d'origine à retraiter."))
    new_job = jobs.reprocess_asset(item)
    flash(_("Nouveau traitement lancé : les fichiers actuels restent en ligne d'ici là."), "info")
    return redirect(url_for(".job", job_id=new_job.id))


def parse_edit(form, duration: float) -> dict:
    """Read the montage form (seconds) into asset.edit; raise ValueError with a message."""

    def number(value, label):
        if value in (None, ""):
            return None
        try:
            result = float(str(value).replace(",", "."))
        except ValueError as exc:
            raise ValueError(_("%(label)s : nombre de secondes attendu.", label=label)) from exc
        if not 0 <= result <= duration + 0.001:
            raise ValueError(_("%(label)s : hors de l'enregistrement.", label=label))
        return round(result, 3)

    trim_start = number(form.get("trim_start"), _("Début")) or 0.0
    trim_end = number(form.get("trim_end"), _("Fin"))
    if trim_end is not None and trim_end >= duration - 0.001:
        trim_end = None
    if trim_end is not None and trim_end <= trim_start:
        raise ValueError(_("La fin doit venir après le début."))
    cuts = []
    raw = form.get("cuts") or "[]"
    try:
        pairs = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(_("Liste des coupes illisible.")) from exc
    starts, ends = form.getlist("cut_start"), form.getlist("cut_end")
    pairs = list(pairs) + list(zip(starts, ends, strict=False))
    for start, end in pairs:
        a, b = number(start, _("Coupe")), number(end, _("Coupe"))
        if a is None and b is None:
            continue
        if a is None or b is None or b <= a:
            raise ValueError(_("Chaque coupe a un début et une fin après le début."))
        cuts.append([a, b])
    return {"trim_start": trim_start, "trim_end": trim_end, "cuts": sorted(cuts)}


@bp.route("/medias/<int:asset_id>/montage", methods=["POST"])
@role_required(Role.ANIMATOR)
def save_edit(asset_id: int):
    item = _managed_asset(asset_id)
    try:
        edit = parse_edit(request.form, item.duration_s or 0.0)
        new_job = jobs.apply_edit(item, edit)
    except (ValueError, jobs.JobError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".asset", asset_id=item.id) + "#montage")
    flash(_("Montage enregistré : la vidéo et la version audio sont en cours de découpe."), "info")
    return redirect(url_for(".job", job_id=new_job.id))


@bp.route("/media/<int:file_id>/<filename>", methods=["GET", "HEAD"])
def file(file_id: int, filename: str):
    row = db.session.get(StoredFile, file_id)
    if row is None or not filename.lower().endswith(f".{row.extension}") or not row.extension:
        abort(404)
    if not can_read(row, current_user, request.args.get("s")):
        abort(403 if current_user.is_authenticated else 401)
    response = serve_stored_file(row)
    asset, is_original = asset_of(row)
    if response.status_code < 300 and not (asset and asset.is_public and not is_original):
        # Members-only bytes may sit in the browser's cache, never in shared caches.
        response.headers["Cache-Control"] = "private, max-age=86400"
    return response
