"""The podcast demo loader: real espeak-ng and ffmpeg, safe to run twice."""

import pytest
import sqlalchemy as sa
from lxml import etree

from app.demo import DemoContext
from app.extensions import db
from app.podcasts import demo
from app.podcasts.models import Episode, Show

pytestmark = [pytest.mark.ffmpeg, pytest.mark.espeak]


def test_demo_generates_an_interview_once(app, client, clock):
    clock.now = demo.utcnow() + demo.timedelta(hours=1)
    for _ in range(2):
        demo.load(DemoContext(log=lambda *a: None, with_media=True))
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Show.id))) == 1
    episodes = db.session.scalars(sa.select(Episode)).all()
    assert len(episodes) == 1 and episodes[0].audio.duration_s > 10
    feed = client.get(f"/feeds/{demo.SHOW_SLUG}.xml")
    root = etree.fromstring(feed.data)
    assert root.findtext("channel/title") == "Paroles de circuits courts"
    assert len(root.findall("channel/item")) == 1
    assert root.find("channel/item/{https://podcastindex.org/namespace/1.0}chapters") is not None


def test_demo_without_media_creates_the_show_only(app):
    demo.load(DemoContext(log=lambda *a: None, with_media=False))
    db.session.commit()
    assert db.session.scalar(sa.select(Show.slug)) == demo.SHOW_SLUG
    assert db.session.scalar(sa.select(sa.func.count(Episode.id))) == 0
