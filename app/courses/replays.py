"""Where courses meet the media pipeline: a session's recording, its tags and its arrival.

An animator uploads a recording from the session's back-office page with the target
"session:<id>"; the pipeline asks us for the audio edition's tags while processing, and tells us
when the renditions are ready, which attaches the recording to the session (publication stays a
separate, consent-gated step).
"""

import sqlalchemy as sa

from app.core.text import plain_text
from app.courses import operations
from app.courses.models import CourseSession
from app.extensions import db
from app.media.models import MediaAsset

TARGET_PREFIX = "session:"


def upload_target(session: CourseSession) -> str:
    """Return the upload target naming this session."""
    return f"{TARGET_PREFIX}{session.id}"


def session_of_asset(asset: MediaAsset) -> CourseSession | None:
    """Return the session a recording belongs to: attached already, or uploaded for it."""
    session = db.session.scalar(
        sa.select(CourseSession).where(CourseSession.replay_asset_id == asset.id).limit(1)
    )
    if session is None and (asset.target or "").startswith(TARGET_PREFIX):
        raw = asset.target.removeprefix(TARGET_PREFIX)
        session = db.session.get(CourseSession, int(raw)) if raw.isdigit() else None
    return session


def replay_metadata(asset: MediaAsset) -> dict:
    """Tag a session's audio edition with its title, speakers, series and date."""
    session = session_of_asset(asset)
    if session is None:
        return {}
    course = session.course
    return {
        "title": f"{session.position}. {session.title}",
        "speakers": [s.person.name for s in session.speakers],
        "series": course.title,
        "date": session.local_start.date(),
        "comment": plain_text(session.description or course.summary, limit=500),
    }


def attach_when_ready(asset: MediaAsset) -> None:
    """Attach a processed recording to the session it was uploaded for (not published yet)."""
    if not (asset.target or "").startswith(TARGET_PREFIX):
        return
    session = session_of_asset(asset)
    if session is None or session.replay_asset_id not in (None, asset.id):
        return  # gone, or another recording is already attached: the animator chooses
    operations.attach_replay(session, asset)


def uploads_for(session: CourseSession) -> list[MediaAsset]:
    """Recordings uploaded for this session, newest first (to follow their processing)."""
    return list(
        db.session.scalars(
            sa.select(MediaAsset)
            .where(MediaAsset.target == upload_target(session))
            .order_by(MediaAsset.created_dt.desc())
        )
    )
