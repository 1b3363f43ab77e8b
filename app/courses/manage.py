"""Animator back office: courses, sessions, speakers and consent, replays, attendance, material."""

import csv
import io

import sqlalchemy as sa
from babel.dates import format_date as babel_format_date
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.models import Role
from app.auth.security import role_required
from app.core.db import utcnow
from app.core.templating import get_site_name
from app.courses import operations, queries, replays
from app.courses.attendance_pdf import SheetLabels, build_attendance_pdf
from app.courses.forms import (
    CourseForm,
    MaterialForm,
    ReplayForm,
    SessionForm,
    SessionStatusForm,
    SpeakerForm,
    format_outline,
)
from app.courses.models import (
    ATTENDANCE_LABELS,
    DEFAULT_TIMEZONE,
    AttendanceStatus,
    ConsentState,
    Course,
    CourseSession,
    Material,
    MaterialKind,
    SessionSpeaker,
)
from app.courses.views import _enqueue_notifications
from app.extensions import db
from app.library.models import Resource, ResourceStatus
from app.media.models import AssetStatus, MediaAsset
from app.media.operations import store_file
from app.media.steps import step_label
from app.network.models import Organisation, Person

bp = Blueprint("courses_manage", __name__, url_prefix="/se-former/gestion")

animator_required = role_required(Role.ANIMATOR)


def _course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def _session(course: Course, session_id: int) -> CourseSession:
    session = db.session.get(CourseSession, session_id)
    if session is None or session.course_id != course.id:
        abort(404)
    return session


def _directory_choices(form: CourseForm) -> None:
    organisations = db.session.execute(
        sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
    ).all()
    people = db.session.execute(sa.select(Person.id, Person.name).order_by(Person.name)).all()
    form.organiser_organisation_id.choices = [(0, "—")] + [tuple(r) for r in organisations]
    form.organiser_person_id.choices = [(0, "—")] + [tuple(r) for r in people]
    form.themes.choices = [(t.id, t.label) for t in queries.active_themes()]


def _save_cover(form: CourseForm) -> int | None:
    """Store an uploaded cover after checking it really is an image (not just its extension)."""
    upload = form.cover.data
    if not (upload and getattr(upload, "filename", "")):
        return None
    try:
        from PIL import Image, UnidentifiedImageError  # loaded when a cover is sent (memory)

        with Image.open(upload.stream) as image:
            image.verify()
            mime = Image.MIME.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise operations.CourseError(_("L'image de couverture est illisible.")) from exc
    if mime not in ("image/jpeg", "image/png", "image/webp"):
        raise operations.CourseError(_("L'image de couverture doit être en JPEG, PNG ou WebP."))
    upload.stream.seek(0)
    return store_file(upload.stream, upload.filename, prefix="courses/covers", content_type=mime).id


# -- courses -----------------------------------------------------------------------------------


@bp.route("/")
@animator_required
def index():
    courses = list(
        db.session.scalars(
            sa.select(Course)
            .options(selectinload(Course.sessions))
            .order_by(Course.status, Course.updated_dt.desc())
            .limit(500)
        )
    )
    return render_template("courses/manage/index.html", courses=courses)


@bp.route("/nouvelle", methods=["GET", "POST"])
@animator_required
def new_course():
    form = CourseForm()
    _directory_choices(form)
    if form.validate_on_submit():
        try:
            fields = form.course_fields()
            cover_id = _save_cover(form)
            if cover_id:
                fields["cover_id"] = cover_id
            course = operations.create_course(
                created_by=current_user, theme_ids=form.themes.data or [], **fields
            )
            db.session.commit()
        except operations.CourseError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Formation créée (brouillon). Ajoutez ses séances puis publiez-la."), "success")
            return redirect(url_for(".edit_course", course_id=course.id))
    return render_template("courses/manage/course_form.html", form=form, course=None)


@bp.route("/<int:course_id>", methods=["GET", "POST"])
@animator_required
def edit_course(course_id):
    course = _course(course_id)
    form = CourseForm(obj=course)
    _directory_choices(form)
    if request.method == "GET":
        form.themes.data = [t.id for t in course.themes]
        form.organiser_organisation_id.data = course.organiser_organisation_id or 0
        form.organiser_person_id.data = course.organiser_person_id or 0
        if course.registration_opens_dt:
            form.registration_opens.data = course.registration_opens_dt.astimezone(
                CourseSession(timezone=DEFAULT_TIMEZONE).zone
            ).replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            fields = form.course_fields()
            cover_id = _save_cover(form)
            if cover_id:
                fields["cover_id"] = cover_id
            promoted_before = course.confirmed_count
            operations.update_course(course, theme_ids=form.themes.data or [], **fields)
            promoted = course.confirmed_count > promoted_before
            db.session.commit()
        except operations.CourseError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            if promoted:
                _enqueue_notifications()
            flash(_("Formation enregistrée."), "success")
            return redirect(url_for(".edit_course", course_id=course.id))
    materials_form = _material_form(course)
    return render_template(
        "courses/manage/course_form.html",
        form=form,
        course=course,
        materials_form=materials_form,
        has_history=operations.course_has_history(course),
    )


@bp.route("/<int:course_id>/publier", methods=["POST"])
@animator_required
def publish(course_id):
    course = _course(course_id)
    try:
        operations.publish_course(course)
        db.session.commit()
        flash(_("La formation est en ligne."), "success")
    except operations.CourseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".edit_course", course_id=course.id))


@bp.route("/<int:course_id>/archiver", methods=["POST"])
@animator_required
def archive(course_id):
    course = _course(course_id)
    operations.archive_course(course)
    db.session.commit()
    flash(_("La formation est archivée : elle n'apparaît plus au catalogue."), "info")
    return redirect(url_for(".edit_course", course_id=course.id))


@bp.route("/<int:course_id>/supprimer", methods=["POST"])
@animator_required
def delete(course_id):
    course = _course(course_id)
    outcome = operations.delete_course(course)
    db.session.commit()
    if outcome == "archived":
        flash(
            _(
                "Cette formation a des inscriptions ou des replays : elle est archivée, rien n'est "
                "supprimé."
            ),
            "info",
        )
        return redirect(url_for(".edit_course", course_id=course_id))
    flash(_("Formation supprimée."), "info")
    return redirect(url_for(".index"))


# -- sessions ----------------------------------------------------------------------------------


@bp.route("/<int:course_id>/seances/nouvelle", methods=["GET", "POST"])
@animator_required
def new_session(course_id):
    course = _course(course_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            session = operations.add_session(course, **form.session_fields())
            db.session.commit()
        except operations.CourseError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Séance ajoutée."), "success")
            return redirect(url_for(".edit_session", course_id=course.id, session_id=session.id))
    return render_template(
        "courses/manage/session_form.html", form=form, course=course, session=None
    )


@bp.route("/<int:course_id>/seances/<int:session_id>", methods=["GET", "POST"])
@animator_required
def edit_session(course_id, session_id):
    course = _course(course_id)
    session = _session(course, session_id)
    form = SessionForm(obj=session)
    if request.method == "GET":
        form.start.data = session.local_start.replace(tzinfo=None)
        form.end.data = session.local_end.replace(tzinfo=None)
        form.outline.data = format_outline(session.outline)
        form.mode.data = session.mode.value
    if form.validate_on_submit():
        try:
            fields = form.session_fields()
            if not fields["position"]:
                fields.pop("position")
            changed = operations.update_session(session, **fields)
            db.session.commit()
        except operations.CourseError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            if changed:
                _enqueue_notifications()
            flash(_("Séance enregistrée."), "success")
            return redirect(url_for(".edit_session", course_id=course.id, session_id=session.id))
    speaker_form = SpeakerForm(prefix="speaker")
    speaker_form.person_id.choices = [
        tuple(r)
        for r in db.session.execute(sa.select(Person.id, Person.name).order_by(Person.name))
    ]
    replay_form = ReplayForm(prefix="replay")
    assets = db.session.scalars(
        sa.select(MediaAsset).order_by(MediaAsset.created_dt.desc()).limit(200)
    ).all()
    status_labels = {
        AssetStatus.UPLOADING: _("envoi en cours"),
        AssetStatus.PROCESSING: _("en traitement"),
        AssetStatus.READY: _("prêt"),
        AssetStatus.FAILED: _("échec du traitement"),
    }
    replay_form.asset_id.choices = [(0, "—")] + [
        (a.id, f"#{a.id} {a.title or _('sans titre')} ({status_labels.get(a.status, a.status)})")
        for a in assets
    ]
    replay_form.asset_id.data = session.replay_asset_id or 0
    status_form = SessionStatusForm(prefix="status", status=session.status.value)
    return render_template(
        "courses/manage/session_form.html",
        form=form,
        course=course,
        session=session,
        speaker_form=speaker_form,
        replay_form=replay_form,
        status_form=status_form,
        ready=AssetStatus.READY,
        step_label=step_label,
        uploads=replays.uploads_for(session),
        upload_target=replays.upload_target(session),
    )


@bp.route("/<int:course_id>/seances/<int:session_id>/statut", methods=["POST"])
@animator_required
def session_status(course_id, session_id):
    course = _course(course_id)
    session = _session(course, session_id)
    form = SessionStatusForm(prefix="status")
    if form.validate_on_submit():
        operations.set_session_status(session, form.status.data, form.message.data or "")
        db.session.commit()
        _enqueue_notifications()
        flash(_("Statut de la séance mis à jour ; les inscrit·es sont prévenu·es."), "success")
    return redirect(url_for(".edit_session", course_id=course.id, session_id=session.id))


@bp.route("/<int:course_id>/seances/<int:session_id>/supprimer", methods=["POST"])
@animator_required
def delete_session(course_id, session_id):
    course = _course(course_id)
    session = _session(course, session_id)
    outcome = operations.delete_session(session)
    db.session.commit()
    if outcome == "cancelled":
        flash(_("Cette séance a un replay ou des présences : elle est annulée, pas supprimée."))
    else:
        flash(_("Séance supprimée."), "info")
    return redirect(url_for(".edit_course", course_id=course.id))


@bp.route("/<int:course_id>/seances/<int:session_id>/intervenants", methods=["POST"])
@animator_required
def add_speaker(course_id, session_id):
    course = _course(course_id)
    session = _session(course, session_id)
    form = SpeakerForm(prefix="speaker")
    form.person_id.choices = [
        tuple(r) for r in db.session.execute(sa.select(Person.id, Person.name))
    ]
    if form.validate_on_submit():
        person = db.session.get(Person, form.person_id.data)
        operations.add_speaker(session, person, form.role.data, form.talk_title.data or "")
        db.session.commit()
        flash(_("Intervenant·e ajouté·e. Recueillez son accord avant de publier le replay."))
    else:
        flash(_("Choisissez une personne de l'annuaire."), "error")
    return redirect(url_for(".edit_session", course_id=course.id, session_id=session.id))


@bp.route(
    "/<int:course_id>/seances/<int:session_id>/intervenants/<int:speaker_id>", methods=["POST"]
)
@animator_required
def speaker_action(course_id, session_id, speaker_id):
    course = _course(course_id)
    session = _session(course, session_id)
    speaker = db.session.get(SessionSpeaker, speaker_id)
    if speaker is None or speaker.session_id != session.id:
        abort(404)
    action = request.form.get("action")
    if action == "remove":
        operations.remove_speaker(speaker)
    elif action in (ConsentState.GRANTED, ConsentState.WITHDRAWN, ConsentState.PENDING):
        was_public = session.replay_is_public
        operations.set_speaker_consent(speaker, action, current_user)
        if was_public and not session.replay_is_public:
            flash(_("Accord retiré : le replay est hors ligne."), "info")
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for(".edit_session", course_id=course.id, session_id=session.id))


@bp.route("/<int:course_id>/seances/<int:session_id>/replay", methods=["POST"])
@animator_required
def replay(course_id, session_id):
    course = _course(course_id)
    session = _session(course, session_id)
    action = request.form.get("action", "attach")
    try:
        if action == "attach":
            asset_id = int(request.form.get("replay-asset_id") or 0)
            asset = db.session.get(MediaAsset, asset_id) if asset_id else None
            if asset_id and asset is None:
                abort(404)
            operations.attach_replay(session, asset)
            message = _("Enregistrement rattaché.")
        elif action == "publish":
            operations.publish_replay(session)
            message = _("Replay publié ; les inscrit·es sont prévenu·es.")
        elif action == "unpublish":
            operations.unpublish_replay(session)
            message = _("Replay retiré.")
        else:
            abort(400)
        db.session.commit()
    except operations.CourseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        if action == "publish":
            _enqueue_notifications()
        flash(message, "success")
    return redirect(url_for(".edit_session", course_id=course.id, session_id=session.id))


# -- attendance --------------------------------------------------------------------------------


@bp.route("/<int:course_id>/presences", methods=["GET", "POST"])
@animator_required
def attendance(course_id):
    course = _course(course_id)
    sessions, rows = operations.attendance_sheet(course)
    if request.method == "POST":
        session = _session(course, int(request.form.get("session_id", 0)))
        marks = {}
        for row in rows:
            value = request.form.get(f"mark-{row['registration'].id}", "")
            if value not in ("", *AttendanceStatus):
                abort(400)
            marks[row["registration"].id] = value or None
        operations.record_attendance(session, marks, current_user)
        db.session.commit()
        flash(_("Présences enregistrées pour « %(title)s ».", title=session.title), "success")
        return redirect(url_for(".attendance", course_id=course.id, session=session.id))
    selected = request.args.get("session", type=int)
    current = next((s for s in sessions if s.id == selected), None)
    if current is None:
        current = next((s for s in sessions if s.start_dt <= utcnow()), None) or (
            sessions[0] if sessions else None
        )
    index = sessions.index(current) if current else None
    return render_template(
        "courses/manage/attendance.html",
        course=course,
        sessions=sessions,
        rows=rows,
        current=current,
        index=index,
        labels=ATTENDANCE_LABELS,
    )


def _sheet_table(course: Course):
    sessions, rows = operations.attendance_sheet(course)
    header = [_("Nom"), _("Adresse e-mail")] + [
        f"{s.position}. {s.title} "
        f"({babel_format_date(s.local_start.date(), 'short', locale=get_locale())})"
        for s in sessions
    ]
    body = [
        [row["name"], row["email"]] + [str(ATTENDANCE_LABELS[m]) if m else "" for m in row["marks"]]
        for row in rows
    ]
    return sessions, header, body


@bp.route("/<int:course_id>/emargement.csv")
@animator_required
def attendance_csv(course_id):
    course = _course(course_id)
    _sessions, header, body = _sheet_table(course)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(body)
    # A BOM lets spreadsheet software read the accents right.
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="emargement-{course.slug}.csv"'
    return response


@bp.route("/<int:course_id>/emargement.pdf")
@animator_required
def attendance_pdf(course_id):
    course = _course(course_id)
    sessions, header, body = _sheet_table(course)
    labels = SheetLabels(
        heading=_("Feuille d'émargement – %(course)s", course=course.title),
        printed=_("Éditée le %(when)s", when=format_datetime(utcnow(), "short")),
        signature=_("Signature"),
        creator=get_site_name(),
    )
    pdf = build_attendance_pdf(labels, header, body)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="emargement-{course.slug}.pdf"'
    return response


# -- material ----------------------------------------------------------------------------------


def _material_form(course: Course) -> MaterialForm:
    form = MaterialForm(prefix="material")
    form.session_id.choices = [(0, _("Toute la formation"))] + [
        (s.id, f"{s.position}. {s.title}") for s in course.sessions
    ]
    form.resource_id.choices = [(0, "—")] + [
        tuple(r)
        for r in db.session.execute(
            sa.select(Resource.id, Resource.title)
            .where(Resource.status == ResourceStatus.PUBLISHED)
            .order_by(Resource.title)
            .limit(1000)
        )
    ]
    people = db.session.execute(sa.select(Person.id, Person.name).order_by(Person.name)).all()
    orgs = db.session.execute(
        sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
    ).all()
    form.directory_entry.choices = (
        [("", "—")] + [(f"o{i}", n) for i, n in orgs] + [(f"p{i}", n) for i, n in people]
    )
    return form


@bp.route("/<int:course_id>/supports", methods=["POST"])
@animator_required
def add_material(course_id):
    course = _course(course_id)
    form = _material_form(course)
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(url_for(".edit_course", course_id=course.id) + "#supports")
    session = _session(course, form.session_id.data) if form.session_id.data else None
    entry = form.directory_entry.data or ""
    kind = form.kind.data
    try:
        file_id = None
        if kind == MaterialKind.FILE and form.file.data and form.file.data.filename:
            file_id = store_file(
                form.file.data.stream, form.file.data.filename, prefix="courses/materials"
            ).id
        operations.add_material(
            course,
            kind,
            session=session,
            title=form.title.data or "",
            url=form.url.data,
            resource_id=form.resource_id.data or None,
            person_id=int(entry[1:]) if entry.startswith("p") else None,
            organisation_id=int(entry[1:]) if entry.startswith("o") else None,
            file_id=file_id,
        )
        db.session.commit()
        flash(_("Support ajouté."), "success")
    except operations.CourseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".edit_course", course_id=course.id) + "#supports")


@bp.route("/<int:course_id>/supports/<int:material_id>/supprimer", methods=["POST"])
@animator_required
def delete_material(course_id, material_id):
    course = _course(course_id)
    material = db.session.get(Material, material_id)
    if material is None or material.course_id != course.id:
        abort(404)
    db.session.delete(material)
    db.session.commit()
    flash(_("Support retiré."), "info")
    return redirect(url_for(".edit_course", course_id=course.id) + "#supports")
