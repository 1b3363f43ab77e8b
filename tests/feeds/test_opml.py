"""OPML list of the public shows."""

from email.utils import parsedate_to_datetime

import feedparser
from lxml import etree

from feeds.opml import build_opml


def outlines(opml: bytes) -> list:
    """Parse strictly and return the body's outlines."""
    root = etree.fromstring(opml, etree.XMLParser(recover=False))
    assert root.tag == "opml" and root.get("version") == "2.0"
    return root.findall("body/outline")


def test_opml_lists_each_show_as_an_rss_outline(make_show):
    show = make_show()
    (outline,) = outlines(build_opml([show]))
    assert outline.get("type") == "rss"
    assert outline.get("xmlUrl") == show.feed_url
    assert outline.get("htmlUrl") == show.link
    assert outline.get("text") == outline.get("title") == show.title


def test_opml_leaves_private_feeds_out(make_show):
    public = make_show()
    private = make_show(
        title="Mes épisodes", feed_url="https://x.example/feeds/p/tok123.xml", private=True
    )
    opml = build_opml([public, private])
    assert [o.get("xmlUrl") for o in outlines(opml)] == [public.feed_url]
    assert b"tok123" not in opml


def test_opml_sorts_by_title_and_escapes_hostile_titles(make_show):
    shows = [
        make_show(title="Zéro déchet & <vrac>", feed_url="https://x.example/z.xml"),
        make_show(title="abeilles 🐝", feed_url="https://x.example/a.xml"),
    ]
    assert [o.get("text") for o in outlines(build_opml(shows))] == [
        "abeilles 🐝",
        "Zéro déchet & <vrac>",
    ]


def test_opml_date_created_is_the_latest_show_change(make_show, now):
    opml = build_opml([make_show(updated_dt=now)])
    created = etree.fromstring(opml).findtext("head/dateCreated")
    assert parsedate_to_datetime(created) == now


def test_feedparser_reads_the_opml_as_well_formed(make_show):
    assert not feedparser.parse(build_opml([make_show()])).bozo
