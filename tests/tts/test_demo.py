"""The demo gives published guides their audio edition, once."""

import pytest
import sqlalchemy as sa

from app.demo import DemoContext
from app.extensions import db
from app.media.models import ProcessingJob, RenditionKind
from app.tts import demo, operations
from app.tts.models import EditionStatus

pytestmark = [pytest.mark.espeak, pytest.mark.ffmpeg]


@pytest.fixture
def app(app_factory):
    application = app_factory(TTS_SPEED=260, TTS_ENGINE="espeak")
    with application.app_context():
        yield application


def test_demo_generates_each_guide_once(make_guide):
    resource = make_guide(body="## Accueil\n\nUn guide de démonstration très court.\n")
    messages = []
    demo.load(DemoContext(log=messages.append, with_media=False))
    assert operations.get_edition(resource.id) is None

    demo.load(DemoContext(log=messages.append))
    edition = operations.get_edition(resource.id)
    assert edition.status == EditionStatus.READY
    assert edition.asset.rendition(RenditionKind.AUDIO_EDITION) is not None
    demo.load(DemoContext(log=messages.append))  # loading twice generates nothing new
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessingJob)) == 1
    assert any("Vendre en circuit court" in m for m in messages)
