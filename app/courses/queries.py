"""Read-side queries for the pages: a fixed number of statements whatever the data size."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.core.db import utcnow
from app.courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    Material,
    Registration,
    RegistrationStatus,
    ReplayProgress,
    SessionSpeaker,
    SessionStatus,
    course_themes,
)
from app.extensions import db
from app.library.models import Theme

PAGE_SIZE = 20


@dataclass
class CatalogueFilters:
    q: str = ""
    theme: str = ""  # theme slug
    upcoming: bool = False
    replays: bool = False
    external: str = ""  # "", "yes" (only partners'), "no" (only ours)
    page: int = 1


@dataclass
class CataloguePage:
    courses: list[Course]
    total: int
    page: int
    pages: int


def _next_start(now: datetime):
    """A course's next session start: one index probe on (course_id, start_dt) per course."""
    return (
        sa.select(sa.func.min(CourseSession.start_dt))
        .where(
            CourseSession.course_id == Course.id,
            CourseSession.start_dt > now,
            CourseSession.status != SessionStatus.CANCELLED,
        )
        .correlate(Course)
        .scalar_subquery()
    )


def catalogue(filters: CatalogueFilters, now: datetime | None = None) -> CataloguePage:
    """Return one page of published courses: upcoming first (soonest first), then newest."""
    now = now or utcnow()
    query = sa.select(Course.id).where(Course.status == CourseStatus.PUBLISHED)
    if filters.q:
        words = filters.q.strip().split()[:8]
        for word in words:
            pattern = f"%{word}%"
            query = query.where(
                sa.or_(
                    Course.title.ilike(pattern),
                    Course.summary.ilike(pattern),
                    Course.description.ilike(pattern),
                    Course.provider.ilike(pattern),
                )
            )
    if filters.theme:
        query = query.where(
            sa.exists()
            .where(course_themes.c.course_id == Course.id)
            .where(course_themes.c.theme_id == Theme.id)
            .where(Theme.slug == filters.theme)
        )
    if filters.upcoming:
        query = query.where(_next_start(now).is_not(None))
    if filters.replays:
        query = query.where(
            sa.exists().where(
                CourseSession.course_id == Course.id,
                CourseSession.replay_published_dt.is_not(None),
            )
        )
    if filters.external == "yes":
        query = query.where(Course.is_external.is_(True))
    elif filters.external == "no":
        query = query.where(Course.is_external.is_(False))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    # Sort and page over narrow rows (ids), then load the page's courses with what cards show.
    next_start = _next_start(now).label("next_start")
    ids = db.session.scalars(
        query.add_columns(next_start)
        .order_by(next_start.asc().nulls_last(), Course.published_dt.desc(), Course.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    loaded = {
        course.id: course
        for course in db.session.scalars(
            sa.select(Course)
            .where(Course.id.in_(ids or [0]))
            .options(
                selectinload(Course.sessions),
                selectinload(Course.themes),
                joinedload(Course.organiser_organisation),
                joinedload(Course.cover),
            )
        )
    }
    courses = [loaded[i] for i in ids]
    return CataloguePage(courses=courses, total=total, page=page, pages=pages)


def active_themes() -> list[Theme]:
    return list(
        db.session.scalars(
            sa.select(Theme).where(Theme.is_active.is_(True)).order_by(Theme.position, Theme.name)
        )
    )


def course_for_page(slug: str) -> Course | None:
    """Load a course with everything its page shows, in a constant number of queries."""
    course = db.session.scalar(
        sa.select(Course)
        .where(Course.slug == slug)
        .options(
            selectinload(Course.sessions).joinedload(CourseSession.replay_asset),
            selectinload(Course.themes),
            selectinload(Course.materials).options(
                joinedload(Material.resource),
                joinedload(Material.person),
                joinedload(Material.organisation),
                joinedload(Material.file),
            ),
            joinedload(Course.organiser_organisation),
            joinedload(Course.organiser_person),
            joinedload(Course.cover),
        )
    )
    if course is not None:
        _load_speakers(course)
    return course


def _load_speakers(course: Course) -> None:
    """Fill every session's speakers with one statement, however many sessions there are.

    (selectinload batches its IN list by 500 ids, and subqueryload drops the chained person load.)
    """
    by_session: dict[int, list[SessionSpeaker]] = {s.id: [] for s in course.sessions}
    speakers = db.session.scalars(
        sa.select(SessionSpeaker)
        .join(CourseSession, CourseSession.id == SessionSpeaker.session_id)
        .where(CourseSession.course_id == course.id)
        .options(joinedload(SessionSpeaker.person))
        .order_by(SessionSpeaker.id)
    )
    for speaker in speakers:
        by_session.setdefault(speaker.session_id, []).append(speaker)
    for session in course.sessions:
        set_committed_value(session, "speakers", by_session.get(session.id, []))


def progress_by_session(user_id: int, session_ids: list[int]) -> dict[int, ReplayProgress]:
    if not session_ids:
        return {}
    return {
        p.session_id: p
        for p in db.session.scalars(
            sa.select(ReplayProgress).where(
                ReplayProgress.user_id == user_id, ReplayProgress.session_id.in_(session_ids)
            )
        )
    }


@dataclass
class Dashboard:
    registrations: list[Registration]
    next_session: CourseSession | None
    continue_watching: list[tuple[CourseSession, ReplayProgress]]
    finished_courses: list[Registration]


def dashboard(user_id: int, now: datetime | None = None) -> Dashboard:
    """Gather the learner's courses, their next session and the replays to continue."""
    now = now or utcnow()
    registrations = list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.user_id == user_id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
            .options(
                joinedload(Registration.course).selectinload(Course.sessions),
            )
            .order_by(Registration.created_dt.desc())
        )
    )
    upcoming = [
        s
        for r in registrations
        if r.status == RegistrationStatus.CONFIRMED
        for s in r.course.active_sessions
        if s.end_dt > now
    ]
    next_session = min(upcoming, key=lambda s: s.start_dt) if upcoming else None
    in_progress = list(
        db.session.execute(
            sa.select(CourseSession, ReplayProgress)
            .join(ReplayProgress, ReplayProgress.session_id == CourseSession.id)
            .where(
                ReplayProgress.user_id == user_id,
                ReplayProgress.completed.is_(False),
                ReplayProgress.position_s > 0,
                CourseSession.replay_published_dt.is_not(None),
            )
            .options(joinedload(CourseSession.course))
            .order_by(ReplayProgress.updated_dt.desc())
            .limit(6)
        )
    )
    finished = [
        r
        for r in registrations
        if r.course.active_sessions and max(s.end_dt for s in r.course.active_sessions) <= now
    ]
    return Dashboard(registrations, next_session, in_progress, finished)
