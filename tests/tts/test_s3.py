"""The audio edition with media on S3 (moto server): section cache and renditions in the bucket."""

import pytest
from mutagen.id3 import ID3

from app.extensions import db
from app.media.models import JobState, RenditionKind
from app.media.storage import get_storage
from app.media.tagging import read_chapters
from app.tts import operations, pipeline
from tests.tts.conftest import GUIDE_CHAPTERS, GUIDE_TEXT, create_guide, publish_revision

pytestmark = [pytest.mark.services, pytest.mark.espeak, pytest.mark.ffmpeg]


def _run(resource):
    edition = operations.get_edition(resource.id)
    assert pipeline.run_job(edition.last_job_id) == "succeeded"
    db.session.expire_all()
    return operations.get_edition(resource.id)


def test_the_section_cache_and_the_edition_live_in_the_bucket(app_factory, s3_config):
    application = app_factory(STORAGE=s3_config, TTS_SPEED=260, TTS_ENGINE="espeak")
    with application.app_context():
        resource = create_guide(slug="guide-sur-s3")
        operations.request_edition(resource)
        db.session.commit()
        edition = _run(resource)
        assert edition.last_job.state == JobState.SUCCEEDED
        audio = edition.asset.rendition(RenditionKind.AUDIO_EDITION)
        assert audio.file.backend == "s3"
        storage = get_storage()
        with storage.local_path(audio.file.key) as mp3:
            assert [c.title for c in read_chapters(ID3(mp3))] == GUIDE_CHAPTERS
        assert len(edition.build_info["synthesized"]) == 4

        publish_revision(resource, GUIDE_TEXT.replace("la journée", "la matinée"))
        edition = _run(resource)
        assert len(edition.build_info["synthesized"]) == 1
        assert edition.build_info["reused"] == 3
