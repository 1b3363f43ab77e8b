"""What the media pipeline asks about a session's recording: tags for its audio edition."""

import sqlalchemy as sa

from app.core.text import plain_text
from app.courses.models import CourseSession
from app.extensions import db
from app.media.models import MediaAsset


def replay_metadata(asset: MediaAsset) -> dict:
    """Tag a session's audio edition with its title, speakers, series and date."""
    session = db.session.scalar(
        sa.select(CourseSession).where(CourseSession.replay_asset_id == asset.id).limit(1)
    )
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
