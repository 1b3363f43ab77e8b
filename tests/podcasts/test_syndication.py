"""Rows to builder input: stored description HTML, URL patterns, a constant number of queries."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import url_for
from lxml import etree

from app.extensions import db
from app.media.models import RenditionKind
from app.podcasts import operations, syndication
from app.podcasts.models import Episode
from tests.podcasts.conftest import CHAPTERS, T0

pytestmark = pytest.mark.ffmpeg


def feed_items(client, show) -> list:
    response = client.get(f"/feeds/{show.slug}.xml")
    assert response.status_code == 200
    return etree.fromstring(response.data).findall("channel/item")


def test_saving_a_description_stores_its_sanitised_html(app, make_show, publish, clock):
    show = make_show()
    episode = publish(
        show, 1, description="Des **producteurs** <script>alert(1)</script> [lien](javascript:x)"
    )
    assert "<strong>producteurs</strong>" in episode.description_html
    assert "<script" not in episode.description_html
    assert "href" not in episode.description_html  # no javascript: link
    operations.publish_episode(show, title="Épisode 1", description="", source=("test", 1))
    assert episode.description_html == ""


def test_the_feed_reads_the_stored_html_and_renders_rows_saved_before_the_column(
    app, client, make_show, publish, clock
):
    show = make_show()
    stored = publish(show, 1, description="Texte **source**")
    legacy = publish(show, 2, description="Ancien *texte*")
    # What the feed must show comes from the column, not from a Markdown pass at build time.
    db.session.execute(
        sa.update(Episode).where(Episode.id == stored.id).values(description_html="<p>figé</p>")
    )
    db.session.execute(
        sa.update(Episode).where(Episode.id == legacy.id).values(description_html=None)
    )
    operations.touch_show(show, clock.now)
    db.session.commit()
    descriptions = {i.findtext("guid"): i.findtext("description") for i in feed_items(client, show)}
    assert descriptions[stored.guid] == "<p>figé</p>"
    assert descriptions[legacy.guid] == "<p>Ancien <em>texte</em></p>"


@pytest.mark.parametrize("private", [False, True])
def test_item_urls_from_patterns_equal_url_for(app, make_show, publish, make_user, private):
    show = make_show(visibility="registered" if private else "public")
    episode = publish(show, 1)
    token = None
    if private:
        token, _row = operations.issue_feed_token(make_user())
        db.session.commit()
    [row] = syndication.load_feed_rows(show, T0 + timedelta(days=400))
    with app.test_request_context():
        item = syndication.feed_episode_input(row, syndication.FeedUrls(show, token))
        prefix, extra = ("feeds.private_", {"token": token}) if token else ("feeds.", {})
        audio = episode.asset.rendition(RenditionKind.AUDIO_EDITION)
        assert item.enclosure_url == url_for(
            f"{prefix}enclosure",
            episode_id=episode.id,
            file_id=audio.file_id,
            ext="mp3",
            _external=True,
            **extra,
        )
        assert item.chapters_url == url_for(
            f"{prefix}chapters", episode_id=episode.id, _external=True, **extra
        )
        assert [t.url for t in item.transcripts] == [
            url_for(f"{prefix}transcript", episode_id=episode.id, ext=ext, _external=True, **extra)
            for ext in ("vtt", "srt")
        ]
        assert item.link == url_for(
            "podcasts.episode", slug=show.slug, episode_id=episode.id, _external=True
        )
    assert [c.start for c in item.chapters] == [c.start for c in CHAPTERS]


def test_a_cold_build_loads_its_rows_in_at_most_three_queries(
    app, make_show, publish, make_asset, clock, count_queries
):
    show = make_show()
    shared = make_asset()
    for n in range(1, 31):
        publish(show, n, asset=shared if n % 2 else None)
    stamp = syndication.feed_stamp(show, clock.now)  # the view has the show and the stamp
    with app.test_request_context(), count_queries() as queries:
        built = syndication._build(show, None, stamp, clock.now)
    # The episodes with their asset's facts, then the current renditions with their files.
    assert len(queries) == 2, queries
    assert built.body.count(b"<item>") == 30


def test_only_live_episodes_become_rows(app, make_show, publish, make_asset, clock):
    show = make_show()
    live = publish(show, 1)
    publish(show, 2, pub_dt=clock.now + timedelta(days=1))  # not yet due
    publish(show, 3, asset=make_asset(ready=False))  # media still processing
    operations.delete_episode(publish(show, 4))
    draft = publish(show, 5)
    operations.schedule_episode(draft, None)
    db.session.commit()
    assert [row.id for row in syndication.load_feed_rows(show, clock.now)] == [live.id]
