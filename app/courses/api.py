"""JSON API: courses, sessions, the caller's registrations and replay progress."""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import joinedload, selectinload

from app.auth.security import login_required
from app.core.db import utcnow
from app.courses import operations, queries
from app.courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    Registration,
    RegistrationStatus,
    ReplayProgress,
)
from app.extensions import db

blp = Blueprint(
    "courses_api", __name__, url_prefix="/api/courses", description="Se former : formations"
)
AUTH = [{"bearerAuth": []}, {"sessionCookie": []}]


class CourseSpeakerSchema(Schema):
    name = fields.Function(lambda s: s.person.name)
    role = fields.Function(lambda s: s.role.value)
    talk_title = fields.Str()


class CourseSessionSchema(Schema):
    id = fields.Int()
    position = fields.Int()
    title = fields.Str()
    start_dt = fields.AwareDateTime()
    end_dt = fields.AwareDateTime()
    timezone = fields.Str()
    mode = fields.Function(lambda s: s.mode.value)
    place = fields.Str()
    status = fields.Function(lambda s: s.effective_status().value)
    has_replay = fields.Function(lambda s: s.replay_is_public)
    chapters = fields.Function(lambda s: [{"start": t, "title": n} for t, n in s.chapters])
    speakers = fields.List(fields.Nested(CourseSpeakerSchema))


class CourseSchema(Schema):
    id = fields.Int()
    slug = fields.Str()
    title = fields.Str()
    summary = fields.Str()
    level = fields.Function(lambda c: c.level.value)
    themes = fields.Function(lambda c: [t.slug for t in c.themes])
    is_external = fields.Bool()
    provider = fields.Str()
    external_url = fields.Str(allow_none=True)
    capacity = fields.Int(allow_none=True)
    seats_left = fields.Int(allow_none=True)
    display_state = fields.Function(lambda c: c.display_state().value)
    sessions_count = fields.Function(lambda c: len(c.sessions))


class CourseDetailSchema(CourseSchema):
    description = fields.Str()
    sessions = fields.List(fields.Nested(CourseSessionSchema))


class CourseCatalogueArgs(Schema):
    q = fields.Str(load_default="")
    theme = fields.Str(load_default="")
    upcoming = fields.Bool(load_default=False)
    replays = fields.Bool(load_default=False)
    external = fields.Str(load_default="", validate=validate.OneOf(["", "yes", "no"]))
    page = fields.Int(load_default=1, validate=validate.Range(min=1))


class CourseCataloguePageSchema(Schema):
    total = fields.Int()
    page = fields.Int()
    pages = fields.Int()
    courses = fields.List(fields.Nested(CourseSchema))


class CourseRegistrationSchema(Schema):
    course = fields.Nested(CourseSchema)
    status = fields.Function(lambda r: r.status.value)
    waitlist_rank = fields.Function(operations.waitlist_rank, allow_none=True)
    created_dt = fields.AwareDateTime()


class ReplayProgressSchema(Schema):
    session_id = fields.Int(dump_only=True)
    position_s = fields.Float(required=True, validate=validate.Range(min=0, max=86400 * 2))
    duration_s = fields.Float(allow_none=True, validate=validate.Range(min=0, min_inclusive=False))
    ended = fields.Bool(load_default=False, load_only=True)
    watched_share = fields.Float(dump_only=True)
    completed = fields.Bool(dump_only=True)
    updated_dt = fields.AwareDateTime(dump_only=True)


def _published(slug: str) -> Course:
    course = queries.course_for_page(slug)
    if course is None or course.status != CourseStatus.PUBLISHED:
        abort(404)
    return course


@blp.route("/")
@blp.arguments(CourseCatalogueArgs, location="query")
@blp.response(200, CourseCataloguePageSchema)
def list_courses(args):
    """List published courses (same filters as the catalogue)."""
    filters = queries.CatalogueFilters(
        q=args["q"],
        theme=args["theme"],
        upcoming=args["upcoming"],
        replays=args["replays"],
        external=args["external"],
        page=args["page"],
    )
    return queries.catalogue(filters)


@blp.route("/<slug>")
@blp.response(200, CourseDetailSchema)
@blp.alt_response(404, description="Formation introuvable")
def get_course(slug):
    """Return a published course with its sessions."""
    return _published(slug)


@blp.route("/<slug>/sessions")
@blp.response(200, CourseSessionSchema(many=True))
def list_sessions(slug):
    """List a course's sessions."""
    return _published(slug).sessions


@blp.route("/me/registrations")
@blp.doc(security=AUTH)
@blp.response(200, CourseRegistrationSchema(many=True))
@blp.alt_response(401, description="Non authentifié")
@login_required
def my_registrations():
    """List the caller's current registrations (confirmed and waitlisted)."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.user_id == current_user.id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
            .options(
                joinedload(Registration.course).selectinload(Course.sessions),
                joinedload(Registration.course).selectinload(Course.themes),
            )
            .order_by(Registration.created_dt)
        )
    )


@blp.route("/me/progress")
@blp.doc(security=AUTH)
@blp.response(200, ReplayProgressSchema(many=True))
@login_required
def my_progress():
    """List the caller's replay progress, most recent first."""
    return list(
        db.session.scalars(
            sa.select(ReplayProgress)
            .where(ReplayProgress.user_id == current_user.id)
            .order_by(ReplayProgress.updated_dt.desc())
        )
    )


def _watchable_session(session_id: int) -> CourseSession:
    from app.courses.views import can_watch_replay

    session = db.session.scalar(
        sa.select(CourseSession)
        .where(CourseSession.id == session_id)
        .options(joinedload(CourseSession.course), selectinload(CourseSession.speakers))
    )
    if session is None or session.course.status == CourseStatus.DRAFT:
        abort(404)
    registration = operations.get_registration(session.course_id, current_user.id)
    if not can_watch_replay(session.course, registration):
        abort(403)
    return session


@blp.route("/sessions/<int:session_id>/progress", methods=["GET"])
@blp.doc(security=AUTH)
@blp.response(200, ReplayProgressSchema)
@login_required
def get_progress(session_id):
    """Return where the caller stopped in a session's replay."""
    session = _watchable_session(session_id)
    progress = operations.get_progress(current_user.id, session.id)
    if progress is None:
        return {
            "session_id": session.id,
            "position_s": 0.0,
            "duration_s": None,
            "watched_share": 0.0,
            "completed": False,
            "updated_dt": utcnow(),
        }
    return progress


@blp.route("/sessions/<int:session_id>/progress", methods=["PUT"])
@blp.doc(security=AUTH)
@login_required
@blp.arguments(ReplayProgressSchema)
@blp.response(200, ReplayProgressSchema)
@blp.alt_response(400, description="Position invalide")
def put_progress(data, session_id):
    """Save the caller's position in a session's replay (sent by the player every ~10 s)."""
    session = _watchable_session(session_id)
    try:
        progress = operations.save_progress(
            current_user, session, data["position_s"], data.get("duration_s"), data["ended"]
        )
    except operations.CourseError as exc:
        abort(400, str(exc))
    db.session.commit()
    return progress
