"""Factories for courses: people, courses with sessions, registrations, ready replay assets."""

from datetime import UTC, datetime, timedelta

import pytest

from app.auth.models import Role
from app.core.db import utcnow
from app.courses import operations
from app.courses.models import Course, CourseStatus
from app.extensions import db
from app.media.models import AssetStatus, MediaAsset, Rendition, RenditionKind
from app.media.operations import store_file
from app.network.models import Person


@pytest.fixture
def make_person(app):
    counter = iter(range(1, 10_000))

    def factory(name: str | None = None, **fields) -> Person:
        n = next(counter)
        name = name or f"Personne {n}"
        person = Person(slug=f"{operations.slugify(name)}-{n}", name=name, **fields)
        db.session.add(person)
        db.session.commit()
        return person

    return factory


@pytest.fixture
def make_course(app, make_user):
    """make_course(sessions=3, capacity=None, start=in 10 days, published=True, **fields)."""
    counter = iter(range(1, 10_000))

    def factory(
        title: str | None = None,
        *,
        sessions: int = 3,
        capacity: int | None = None,
        start: datetime | None = None,
        every: timedelta = timedelta(days=7),
        published: bool = True,
        live_url: str | None = "https://visio.example.org/b/tarif-abc",
        **fields,
    ) -> Course:
        title = title or f"Formation {next(counter)}"
        course = operations.create_course(title=title, created_by=None, capacity=capacity, **fields)
        start = start or (utcnow() + timedelta(days=10)).replace(microsecond=0)
        for i in range(sessions):
            begin = start + i * every
            operations.add_session(
                course,
                title=f"Séance {i + 1}",
                start_dt=begin,
                end_dt=begin + timedelta(hours=1, minutes=30),
                live_url=live_url,
            )
        if published:
            operations.publish_course(course)
        db.session.commit()
        return course

    return factory


@pytest.fixture
def learners(make_user):
    def factory(count: int) -> list:
        return [make_user(Role.LEARNER) for _ in range(count)]

    return factory


@pytest.fixture
def ready_asset(app):
    """A processed recording whose renditions are small text stand-ins (no player involved)."""

    def factory(title: str = "Replay") -> MediaAsset:
        import io

        asset = MediaAsset(title=title, status=AssetStatus.READY, duration_s=60.0)
        db.session.add(asset)
        video = store_file(io.BytesIO(b"\x00" * 2048), "replay.mp4", prefix="test")
        db.session.add(Rendition(asset=asset, kind=RenditionKind.WEB_VIDEO, file=video))
        db.session.commit()
        return asset

    return factory


def publish_status(course: Course) -> None:
    course.status = CourseStatus.PUBLISHED


FIXED_NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
