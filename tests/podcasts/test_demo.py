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


def test_demo_publishes_the_course_as_a_serial_feed(app, client, clock):
    from app.courses import demo as courses_demo
    from app.demo import accounts

    ctx = DemoContext(log=lambda *a: None, with_media=False)
    for loader in (accounts.load, courses_demo.load, demo.load, demo.load):
        loader(ctx)
        db.session.commit()
    show = db.session.scalar(sa.select(Show).where(Show.kind == "course"))
    assert show.slug == demo.COURSE_SLUG and show.course_id is not None
    assert show.medium == "course" and show.show_type.value == "serial"
    assert db.session.scalar(sa.select(sa.func.count(Show.id))) == 2
    root = etree.fromstring(client.get(f"/feeds/{show.slug}.xml").data)
    assert root.find("channel/{https://podcastindex.org/namespace/1.0}medium").text == "course"
