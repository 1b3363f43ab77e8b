"""Replays: the outline becomes the recording's chapters; the pipeline gets the session's tags."""

from app.courses import operations
from app.courses.models import SpeakerRole
from app.courses.replays import replay_metadata
from app.media.models import MediaAsset
from app.media.pipeline import _metadata


def test_outline_becomes_chapters_and_pipeline_tags_come_from_the_session(
    app, make_course, make_person, ready_asset
):
    course = make_course("Tarification sociale", sessions=2)
    session = course.sessions[1]
    operations.update_session(session, outline=[[600, "Témoignage"], [0, "Accueil"]])
    operations.add_speaker(session, make_person("Amina Benali"), SpeakerRole.TESTIMONY)
    asset = MediaAsset(title="brut")
    operations.attach_replay(session, asset)
    assert asset.chapters == [
        {"start": 0.0, "title": "Accueil"},
        {"start": 600.0, "title": "Témoignage"},
    ]
    tags = replay_metadata(asset)
    assert tags["series"] == "Tarification sociale"
    assert tags["title"] == "2. Séance 2" and tags["speakers"] == ["Amina Benali"]
    assert tags["date"] == session.local_start.date()
    # The pipeline asks every registered provider: ours answers for session recordings.
    assert _metadata(asset)["series"] == "Tarification sociale"
    assert replay_metadata(ready_asset()) == {}


def test_recording_uploaded_for_a_session_is_attached_when_ready(
    client, make_course, ready_asset, login_as
):
    from app.auth.models import Role
    from app.courses.replays import attach_when_ready, upload_target
    from app.extensions import db
    from app.media.pipeline import _notify_ready

    course = make_course(sessions=1)
    session = course.sessions[0]
    asset = ready_asset("Enregistrement brut")
    asset.target = upload_target(session)
    db.session.commit()
    login_as(Role.ANIMATOR)
    page = client.get(f"/se-former/gestion/{course.id}/seances/{session.id}").get_data(as_text=True)
    assert "Enregistrement brut" in page and f"target=session:{session.id}" in page.replace(
        "%3A", ":"
    )
    _notify_ready(asset)  # what the pipeline does once the renditions are published
    db.session.expire_all()
    assert session.replay_asset_id == asset.id and not session.replay_is_public
    other = ready_asset("Autre")
    other.target = upload_target(session)
    attach_when_ready(other)  # an attached recording is never replaced behind the animator
    assert session.replay_asset_id == asset.id
