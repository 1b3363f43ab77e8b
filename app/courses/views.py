"""Learner-facing pages: catalogue, course and session pages, dashboard, calendars, proposals."""

from datetime import timedelta

import sqlalchemy as sa
from babel.dates import format_datetime as babel_format_datetime
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.auth.models import Role
from app.auth.security import login_required
from app.core.db import utcnow
from app.core.templating import get_site_name
from app.courses import operations, queries
from app.courses.calendars import build_sessions_calendar
from app.courses.models import (
    DISPLAY_STATE_LABELS,
    LEVEL_LABELS,
    MODE_LABELS,
    CalendarToken,
    ConsentState,
    Course,
    CourseSession,
    CourseStatus,
    Material,
    Registration,
    RegistrationStatus,
    ReplayAccess,
    get_replay_sources,
)
from app.extensions import db
from app.mail import locale_of
from app.media.models import RenditionKind
from app.media.operations import serve_stored_file

bp = Blueprint("courses", __name__, url_prefix="/se-former")

#: The public agenda covers sessions from this long ago onwards.
AGENDA_PAST = timedelta(days=90)


@bp.app_template_filter("session_when")
def session_when(session: CourseSession, fmt: str = "EEEE d MMMM y, HH:mm") -> str:
    """Format a session's start in its own time zone, in the reader's language."""
    return babel_format_datetime(
        session.start_dt, fmt, tzinfo=session.zone, locale=str(get_locale())
    )


@bp.app_template_filter("session_end_time")
def session_end_time(session: CourseSession) -> str:
    return babel_format_datetime(
        session.end_dt, "HH:mm", tzinfo=session.zone, locale=str(get_locale())
    )


@bp.app_template_filter("clock")
def clock(seconds: float) -> str:
    """Format seconds as m:ss or h:mm:ss."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.context_processor
def labels():
    return {
        "DISPLAY_STATE_LABELS": DISPLAY_STATE_LABELS,
        "LEVEL_LABELS": LEVEL_LABELS,
        "MODE_LABELS": MODE_LABELS,
        "now": utcnow(),
    }


def _visible_course(slug: str, loader=operations.get_course_by_slug) -> Course:
    course = loader(slug)
    if course is None:
        abort(404)
    if course.status == CourseStatus.DRAFT and not (
        current_user.is_authenticated and current_user.has_role(Role.ANIMATOR)
    ):
        abort(404)
    return course


def _my_registration(course: Course) -> Registration | None:
    if not current_user.is_authenticated:
        return None
    return operations.get_registration(course.id, current_user.id)


def can_watch_replay(course: Course, registration: Registration | None) -> bool:
    access = ReplayAccess(course.replay_access)
    if current_user.is_authenticated and current_user.has_role(Role.ANIMATOR):
        return True
    if access == ReplayAccess.PUBLIC:
        return True
    if access == ReplayAccess.MEMBERS:
        return current_user.is_authenticated
    return registration is not None and registration.status == RegistrationStatus.CONFIRMED


# -- catalogue and course page ------------------------------------------------------------------


@bp.route("/")
def catalogue():
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 1
    filters = queries.CatalogueFilters(
        q=request.args.get("q", "").strip()[:200],
        theme=request.args.get("theme", "").strip(),
        upcoming=request.args.get("upcoming") == "1",
        replays=request.args.get("replays") == "1",
        external=request.args.get("external", "")
        if request.args.get("external") in ("yes", "no")
        else "",
        page=page,
    )
    result = queries.catalogue(filters)
    return render_template(
        "courses/catalogue.html",
        result=result,
        filters=filters,
        themes=queries.active_themes(),
    )


@bp.route("/<slug>")
def course(slug):
    course = _visible_course(slug, loader=queries.course_for_page)
    registration = _my_registration(course)
    now = utcnow()
    confirmed = registration is not None and registration.status == RegistrationStatus.CONFIRMED
    progress = (
        queries.progress_by_session(current_user.id, [s.id for s in course.sessions])
        if current_user.is_authenticated
        else {}
    )
    return render_template(
        "courses/course.html",
        excused=operations.excused_session_ids(current_user.id, course.id) if confirmed else set(),
        course=course,
        state=course.display_state(now),
        registration=registration,
        confirmed=confirmed,
        rank=operations.waitlist_rank(registration) if registration else None,
        can_watch=can_watch_replay(course, registration),
        progress=progress,
        now=now,
    )


@bp.route("/<slug>/inscription", methods=["POST"])
@login_required
def register(slug):
    course = _visible_course(slug)
    if course.is_external:
        return redirect(course.external_url or url_for(".course", slug=slug))
    try:
        registration = operations.register(course, current_user)
        db.session.commit()
    except operations.CourseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".course", slug=slug))
    except IntegrityError:
        # A double submission that raced past the lock elsewhere: the first one stands.
        db.session.rollback()
        registration = operations.get_registration(course.id, current_user.id)
    if registration.status == RegistrationStatus.WAITLISTED:
        flash(
            _(
                "La formation est complète : vous êtes sur la liste d'attente (place %(rank)s). "
                "Vous recevrez un e-mail dès qu'une place se libère.",
                rank=operations.waitlist_rank(registration),
            ),
            "info",
        )
    else:
        flash(_("Vous êtes inscrit·e. À bientôt !"), "success")
    return redirect(url_for(".course", slug=slug))


@bp.route("/<slug>/desinscription", methods=["POST"])
@login_required
def cancel(slug):
    course = _visible_course(slug)
    registration, promoted = operations.cancel_registration(course, current_user)
    db.session.commit()
    if promoted:
        _enqueue_notifications()
    if registration is not None:
        flash(_("Votre inscription est annulée. Merci d'avoir libéré la place."), "info")
    return redirect(url_for(".course", slug=slug))


def _enqueue_notifications() -> None:
    """Ask the worker to send queued e-mails now (the periodic task would pick them up anyway)."""
    try:
        current_app.extensions["celery"].send_task("courses.send_notifications", queue="short")
    except Exception:  # the broker being down must not fail the request: rows are kept
        current_app.logger.exception("could not enqueue courses.send_notifications")


# -- session page and replay files --------------------------------------------------------------


def _session_of(course: Course, session_id: int) -> CourseSession:
    session = next((s for s in course.sessions if s.id == session_id), None)
    if session is None:
        abort(404)
    return session


@bp.route("/<slug>/seances/<int:session_id>")
def session(slug, session_id):
    course = _visible_course(slug, loader=queries.course_for_page)
    session = _session_of(course, session_id)
    registration = _my_registration(course)
    confirmed = registration is not None and registration.status == RegistrationStatus.CONFIRMED
    is_staff = current_user.is_authenticated and current_user.has_role(Role.ANIMATOR)
    sources = None
    if (session.replay_is_public or is_staff) and can_watch_replay(course, registration):
        sources = get_replay_sources(session.replay_asset)
    progress = (
        operations.get_progress(current_user.id, session.id)
        if current_user.is_authenticated
        else None
    )
    chapters = session.chapters or [
        (float(c.get("start", 0)), c.get("title", ""))
        for c in ((session.replay_asset.chapters or []) if session.replay_asset else [])
    ]
    return render_template(
        "courses/session.html",
        course=course,
        session=session,
        registration=registration,
        confirmed=confirmed,
        sources=sources,
        progress=progress,
        chapters=chapters,
        materials=[m for m in course.materials if m.session_id == session.id],
    )


@bp.route("/<slug>/seances/<int:session_id>/absence", methods=["POST"])
@login_required
def excuse(slug, session_id):
    """Record an excused absence given in advance ("je ne pourrai pas venir"), or undo it."""
    course = _visible_course(slug)
    session = _session_of(course, session_id)
    excused = request.form.get("excused") == "1"
    try:
        operations.set_excused_in_advance(session, current_user, excused)
        db.session.commit()
    except operations.CourseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(
            _("C'est noté : l'équipe sait que vous ne pourrez pas venir.")
            if excused
            else _("C'est noté : vous serez présent·e."),
            "info",
        )
    return redirect(url_for(".course", slug=slug) + f"#seance-{session.id}")


@bp.route("/<slug>/seances/<int:session_id>/accord", methods=["POST"])
@login_required
def speaker_consent(slug, session_id):
    """A speaker with an account gives or withdraws their agreement to publish the replay."""
    course = _visible_course(slug, loader=queries.course_for_page)
    session = _session_of(course, session_id)
    mine = [sp for sp in session.speakers if sp.person.user_id == current_user.id]
    if not mine:
        abort(403)
    consent = request.form.get("consent")
    if consent not in (ConsentState.GRANTED, ConsentState.WITHDRAWN):
        abort(400)
    for speaker in mine:
        operations.set_speaker_consent(speaker, consent, current_user)
    db.session.commit()
    if consent == ConsentState.WITHDRAWN:
        flash(_("Votre accord est retiré : le replay n'est plus diffusé."), "info")
    else:
        flash(_("Merci ! Votre accord est enregistré."), "success")
    return redirect(url_for(".session", slug=slug, session_id=session.id))


REPLAY_FILES = {
    "video": RenditionKind.WEB_VIDEO,
    "audio": RenditionKind.AUDIO_EDITION,
    "transcript": RenditionKind.TRANSCRIPT_VTT,
    "chapters": RenditionKind.CHAPTERS,
    "poster": RenditionKind.POSTER,
}


@bp.route("/<slug>/seances/<int:session_id>/replay/<kind>")
def replay_file(slug, session_id, kind):
    if kind not in REPLAY_FILES:
        abort(404)
    course = _visible_course(slug)
    session = _session_of(course, session_id)
    is_staff = current_user.is_authenticated and current_user.has_role(Role.ANIMATOR)
    if not (session.replay_is_public or is_staff):
        abort(404)
    if not can_watch_replay(course, _my_registration(course)):
        abort(403)
    asset = session.replay_asset
    rendition = asset.rendition(REPLAY_FILES[kind]) if asset else None
    if rendition is None:
        abort(404)
    response = serve_stored_file(rendition.file)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/<slug>/couverture")
def cover(slug):
    course = _visible_course(slug)
    if course.cover is None:
        abort(404)
    return serve_stored_file(course.cover)


@bp.route("/<slug>/supports/<int:material_id>")
def material_file(slug, material_id):
    course = _visible_course(slug)
    material = db.session.get(Material, material_id)
    if material is None or material.course_id != course.id or material.file is None:
        abort(404)
    return serve_stored_file(material.file, download=True)


# -- dashboard ----------------------------------------------------------------------------------


@bp.route("/mon-espace")
@login_required
def dashboard():
    data = queries.dashboard(current_user.id)
    has_calendar = db.session.scalar(
        sa.select(sa.exists().where(CalendarToken.user_id == current_user.id))
    )
    return render_template("courses/dashboard.html", data=data, has_calendar=has_calendar)


# -- calendars ----------------------------------------------------------------------------------


def _ics(body: bytes, filename: str, private: bool = False) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=900"
    if private:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _calendar_sessions(query):
    return list(
        db.session.scalars(
            query.options(
                joinedload(CourseSession.course).selectinload(Course.sessions),
                joinedload(CourseSession.course).selectinload(Course.themes),
            ).order_by(CourseSession.start_dt)
        ).unique()
    )


@bp.route("/<slug>/calendrier.ics")
def course_calendar(slug):
    course = _visible_course(slug)
    sessions = _calendar_sessions(
        sa.select(CourseSession).where(CourseSession.course_id == course.id)
    )
    return _ics(build_sessions_calendar(sessions, course.title), f"{course.slug}.ics")


@bp.route("/<slug>/seances/<int:session_id>.ics")
def session_calendar(slug, session_id):
    """One session as a file to open in a calendar (public: no join link)."""
    course = _visible_course(slug)
    session = _session_of(course, session_id)
    body = build_sessions_calendar([session], course.title)
    return _ics(body, f"{course.slug}-seance-{session.position}.ics")


@bp.route("/calendrier.ics")
def agenda_calendar():
    sessions = _calendar_sessions(
        sa.select(CourseSession)
        .join(Course)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            CourseSession.end_dt >= utcnow() - AGENDA_PAST,
        )
    )
    name = _("Se former – toutes les séances")
    return _ics(build_sessions_calendar(sessions, name), "se-former.ics")


@bp.route("/calendrier/personnel/<token>.ics")
def personal_calendar(token):
    user = operations.user_from_calendar_token(token)
    if user is None:
        abort(404)
    db.session.commit()  # last_used_dt
    sessions = _calendar_sessions(
        sa.select(CourseSession)
        .join(Registration, Registration.course_id == CourseSession.course_id)
        .join(Course, Course.id == CourseSession.course_id)
        .where(
            Registration.user_id == user.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Course.status != CourseStatus.DRAFT,
        )
    )
    # A calendar client sends no language: the calendar speaks the learner's.
    with force_locale(locale_of(user)):
        name = _("Mes formations – %(site)s", site=get_site_name())
        body = build_sessions_calendar(sessions, name, private=True)
    return _ics(body, "mes-formations.ics", True)


@bp.route("/mon-espace/calendrier", methods=["POST"])
@login_required
def create_calendar():
    token = operations.create_calendar_token(current_user)
    db.session.commit()
    url = url_for(".personal_calendar", token=token, _external=True)
    return render_template("courses/calendar_token.html", calendar_url=url)


@bp.route("/mon-espace/calendrier/revoquer", methods=["POST"])
@login_required
def revoke_calendar():
    operations.revoke_calendar_token(current_user)
    db.session.commit()
    flash(_("L'adresse de votre agenda personnel est désactivée."), "info")
    return redirect(url_for(".dashboard"))


@bp.route("/ajouter-a-mon-agenda")
def calendar_help():
    return render_template("courses/calendar_help.html")


# -- proposals ----------------------------------------------------------------------------------


@bp.route("/proposer")
def propose():
    """Proposals share the library's queue and moderation: open its form on "une formation"."""
    return redirect(url_for("library.propose", type="course"))
