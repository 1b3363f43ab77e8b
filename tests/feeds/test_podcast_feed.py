"""The podcast RSS builder against the compliance checklist (reference §2) and real parsers (§3)."""

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
from lxml import etree, html

from app.media.chapters import Chapter
from feeds.podcast import (
    PODCAST_NS,
    build_podcast_feed,
    compute_podcast_guid,
    format_npt,
)
from feeds.types import AlternateEnclosure, FeedError, Image, Person, Transcript

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": PODCAST_NS,
    "atom": "http://www.w3.org/2005/Atom",
    "psc": "http://podlove.org/simple-chapters",
}


def parse_xml(xml: bytes) -> etree._Element:
    """Parse strictly with lxml, as AntennaPod and gPodder do, and return the root."""
    return etree.fromstring(xml, etree.XMLParser(recover=False, resolve_entities=False))


def parse_feedparser(xml: bytes):
    """Parse with feedparser and fail on anything it had to forgive."""
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def one(root, path: str):
    """Return the single element at path, failing if there are none or several."""
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{path}: {len(found)} elements"
    return found[0]


@pytest.fixture
def feed(make_show, make_episode, now):
    """Build a feed from keyword overrides of the show and a list of episodes."""

    def build(episodes=None, **show_overrides) -> bytes:
        if episodes is None:
            episodes = [make_episode(1), make_episode(2)]
        return build_podcast_feed(make_show(**show_overrides), episodes, now)

    return build


# 2.1 Document level ---------------------------------------------------------------------------


def test_feed_is_well_formed_utf8_rss_2_0(feed):
    xml = feed()
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = parse_xml(xml)
    assert root.tag == "rss" and root.get("version") == "2.0"


def test_feed_declares_the_itunes_namespace_exactly(feed):
    assert parse_xml(feed()).nsmap["itunes"] == "http://www.itunes.com/dtds/podcast-1.0.dtd"


def test_feed_declares_the_official_podcast_index_and_atom_namespaces(feed):
    nsmap = parse_xml(feed()).nsmap
    assert nsmap["podcast"] == "https://podcastindex.org/namespace/1.0"
    assert nsmap["atom"] == "http://www.w3.org/2005/Atom"


def test_content_and_psc_namespaces_are_declared_only_when_used(feed, make_episode):
    without = parse_xml(feed()).nsmap
    assert "content" not in without and "psc" not in without
    with_chapters = feed([make_episode(1, chapters=(Chapter(0, "Ouverture"),))])
    assert parse_xml(with_chapters).nsmap["psc"] == "http://podlove.org/simple-chapters"


def test_podcastparser_reads_every_episode(feed, make_episode, parse_podcastparser):
    episodes = [make_episode(1), make_episode(2)]
    parsed = parse_podcastparser(feed(episodes))
    by_guid = {e["guid"]: e for e in parsed["episodes"]}
    assert set(by_guid) == {e.guid for e in episodes}
    for episode in episodes:
        item = by_guid[episode.guid]
        assert item["enclosures"] == [
            {
                "url": episode.enclosure_url,
                "file_size": episode.enclosure_length,
                "mime_type": "audio/mpeg",
            }
        ]
        assert item["total_time"] == round(episode.duration_s)
        assert item["number"] == episode.number and item["season"] == episode.season


def test_feedparser_reads_the_core_fields_without_bozo(feed, make_episode):
    episode = make_episode(1)
    parsed = parse_feedparser(feed([episode]))
    assert parsed.feed.title == "Tarification sociale"
    entry = parsed.entries[0]
    assert entry.id == episode.guid
    assert entry.title == episode.title
    enclosure = [link for link in entry.links if link.rel == "enclosure"][0]
    assert (enclosure.href, enclosure.length, enclosure.type) == (
        episode.enclosure_url,
        str(episode.enclosure_length),
        "audio/mpeg",
    )


def test_identical_input_builds_identical_bytes(feed):
    # The serving layer derives its ETag from the bytes: no build-time timestamp may leak in.
    assert feed() == feed()


# 2.2 Channel ----------------------------------------------------------------------------------


def test_channel_title_is_present_and_at_most_255_chars(feed):
    title = one(parse_xml(feed(title="Ô" * 400)), "/rss/channel/title").text
    assert 0 < len(title) <= 255


def test_channel_description_is_cdata_within_4000_bytes(feed):
    xml = feed(description_html="<p>" + "é" * 3000 + "</p>")
    description = one(parse_xml(xml), "/rss/channel/description").text
    assert len(description.encode()) <= 4000
    assert b"<description><![CDATA[<p>" in xml


def test_channel_link_is_the_site_not_the_feed_url(feed, make_show):
    link = one(parse_xml(feed()), "/rss/channel/link").text
    assert link == make_show().link
    with pytest.raises(FeedError, match="web page"):
        feed(link=make_show().feed_url)


def test_language_is_an_iso_639_code(feed):
    language = one(parse_xml(feed(language="fr-FR")), "/rss/channel/language").text
    assert re.fullmatch(r"[a-z]{2}(-[a-z]{2})?", language)
    with pytest.raises(FeedError, match="language"):
        feed(language="français")


def test_itunes_image_is_the_channel_artwork(feed, make_show):
    image = one(parse_xml(feed()), "/rss/channel/itunes:image")
    assert image.get("href") == make_show().artwork_url


def test_artwork_url_not_ending_in_jpg_or_png_is_refused_not_dropped(feed):
    # feedgen would silently omit it (pitfall 2) and Apple would then reject the feed.
    with pytest.raises(FeedError, match=r"\.jpg or \.png"):
        feed(artwork_url="https://circuits-courts.example/media/cover.jpeg")


def test_artwork_size_outside_apple_range_is_refused(feed):
    with pytest.raises(FeedError, match="1400"):
        feed(artwork_size_px=1000)


def test_itunes_category_nests_the_subcategory_under_its_parent(feed):
    root = parse_xml(feed(apple_categories=(("Arts", "Food"), ("Health & Fitness", None))))
    arts = one(root, "/rss/channel/itunes:category[@text='Arts']")
    assert [c.get("text") for c in arts] == ["Food"]
    assert one(root, "/rss/channel/itunes:category[@text='Health & Fitness']") is not None


def test_subcategory_under_the_wrong_parent_is_refused(feed):
    # PeerTube's bug: "Food" is a subcategory of Arts, not of Business nor a top level.
    with pytest.raises(FeedError, match="Food"):
        feed(apple_categories=(("Business", "Food"),))
    with pytest.raises(FeedError, match="Food"):
        feed(apple_categories=(("Food", None),))


def test_itunes_explicit_is_true_or_false(feed):
    assert one(parse_xml(feed()), "/rss/channel/itunes:explicit").text == "false"
    assert one(parse_xml(feed(explicit=True)), "/rss/channel/itunes:explicit").text == "true"


def test_atom_self_link_is_the_feed_url_typed_rss(feed, make_show):
    link = one(parse_xml(feed()), "/rss/channel/atom:link[@rel='self']")
    assert link.get("href") == make_show().feed_url
    assert link.get("type") == "application/rss+xml"


def test_itunes_author_is_set(feed):
    assert one(parse_xml(feed()), "/rss/channel/itunes:author").text == "Open Food France"


def test_itunes_owner_is_omitted_unless_opted_in(feed, parse_podcastparser):
    assert not parse_xml(feed()).xpath("//itunes:owner", namespaces=NS)
    xml = feed(owner_name="Open Food France", owner_email="podcast@openfoodfrance.example")
    owner = parse_podcastparser(xml)["itunes_owner"]
    assert owner == {"name": "Open Food France", "email": "podcast@openfoodfrance.example"}


def test_serial_feed_gives_every_item_a_positive_itunes_episode(feed, make_episode):
    root = parse_xml(feed(show_type="serial"))
    assert one(root, "/rss/channel/itunes:type").text == "serial"
    numbers = [e.text for e in root.xpath("//item/itunes:episode", namespaces=NS)]
    assert numbers == ["1", "2"]
    with pytest.raises(FeedError, match="serial"):
        feed([make_episode(1, number=None)], show_type="serial")


def test_serial_feed_keeps_session_order_when_a_replay_is_published_late(
    feed, make_episode, now, parse_podcastparser
):
    # Session 2's replay was processed after session 3's; gPodder sorts serial feeds by date.
    episodes = [
        make_episode(1, pub_dt=now - timedelta(days=10)),
        make_episode(2, pub_dt=now - timedelta(days=2)),
        make_episode(3, pub_dt=now - timedelta(days=5)),
    ]
    xml = feed(episodes, show_type="serial")
    parsed = parse_podcastparser(xml)
    assert [e["number"] for e in parsed["episodes"]] == [1, 2, 3]
    dates = [parsedate_to_datetime(d.text) for d in parse_xml(xml).xpath("//item/pubDate")]
    assert dates == sorted(dates) and max(dates) <= now


def test_podcast_guid_matches_the_namespace_vectors():
    assert compute_podcast_guid("https://podnews.net/rss") == (
        "9b024349-ccf0-5f69-a609-6b82873eab3c"
    )
    assert compute_podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    )


def test_podcast_guid_is_the_stored_value(feed, make_show):
    guid = one(parse_xml(feed()), "/rss/channel/podcast:guid").text
    assert guid == make_show().podcast_guid


def test_podcast_locked_is_yes_or_no(feed, parse_podcastparser):
    assert one(parse_xml(feed()), "/rss/channel/podcast:locked").text == "yes"
    assert parse_podcastparser(feed())["import_prohibited"] is True
    assert one(parse_xml(feed(locked=False)), "/rss/channel/podcast:locked").text == "no"


def test_podcast_medium_is_course_for_a_webinar_series(feed):
    assert one(parse_xml(feed(medium="course")), "/rss/channel/podcast:medium").text == "course"
    with pytest.raises(FeedError, match="medium"):
        feed(medium="webinar")


def test_podcast_txt_discloses_synthetic_voices(feed, make_episode):
    root = parse_xml(feed([make_episode(1, synthetic_voice=True)], synthetic_voice=True))
    for path in ("/rss/channel/podcast:txt", "//item/podcast:txt"):
        txt = one(root, path)
        assert (txt.get("purpose"), txt.text) == ("ai-content", "true")
    assert not parse_xml(feed()).xpath("//podcast:txt", namespaces=NS)


def test_channel_persons_are_listed_with_role_and_group(feed):
    person = one(parse_xml(feed()), "/rss/channel/podcast:person")
    assert (person.text, person.get("role"), person.get("group")) == (
        "Camille Martin",
        "host",
        "cast",
    )


def test_podcast_images_list_the_artwork_sizes(feed):
    images = (
        Image("https://circuits-courts.example/media/cover-3000.jpg", 3000, 3000),
        Image("https://circuits-courts.example/media/cover-1400.jpg", 1400, 1400),
    )
    found = parse_xml(feed(images=images)).xpath("/rss/channel/podcast:image", namespaces=NS)
    assert [(i.get("href"), i.get("width")) for i in found] == [
        (image.url, str(image.width)) for image in images
    ]


def test_private_feed_is_blocked_and_carries_no_owner_email(feed):
    xml = feed(
        private=True, owner_name="Open Food France", owner_email="podcast@openfoodfrance.example"
    )
    root = parse_xml(xml)
    assert one(root, "/rss/channel/itunes:block").text == "Yes"
    assert one(root, "/rss/channel/podcast:block").text == "yes"
    assert not root.xpath("//itunes:owner", namespaces=NS)
    assert b"podcast@openfoodfrance.example" not in xml


def test_public_feed_is_not_blocked(feed):
    assert not parse_xml(feed()).xpath("//itunes:block | //podcast:block", namespaces=NS)


# 2.3 Items ------------------------------------------------------------------------------------


def test_item_title_is_present(feed):
    titles = [t.text for t in parse_xml(feed()).xpath("//item/title")]
    assert titles and all(titles)


def test_enclosure_has_integer_length_type_and_matching_extension(feed, make_episode):
    enclosure = one(parse_xml(feed([make_episode(1)])), "//item/enclosure")
    assert enclosure.get("length") == str(make_episode(1).enclosure_length)
    assert enclosure.get("type") == "audio/mpeg"
    assert enclosure.get("url").startswith("https://") and enclosure.get("url").endswith(".mp3")


@pytest.mark.parametrize("length", [None, 0, -5, 12.5, True])
def test_enclosure_without_a_positive_byte_length_is_refused(feed, make_episode, length):
    # feedgen writes length="None" (pitfall 4); podcastparser turns 0 into -1.
    with pytest.raises(FeedError, match="length"):
        feed([make_episode(1, enclosure_length=length)])


def test_enclosure_url_must_end_in_the_extension_of_its_type(feed, make_episode):
    with pytest.raises(FeedError, match=r"\.mp3"):
        feed([make_episode(1, enclosure_url="https://circuits-courts.example/media/1/download")])
    with pytest.raises(FeedError, match="audio/ogg"):
        feed([make_episode(1, enclosure_url="https://x.example/1.ogg", enclosure_mime="audio/ogg")])


def test_enclosure_url_may_carry_a_private_token_query(feed, make_episode):
    url = "https://circuits-courts.example/media/0001-edition.mp3?token=abc"
    enclosure = one(parse_xml(feed([make_episode(1, enclosure_url=url)])), "//item/enclosure")
    assert enclosure.get("url") == url


def test_guid_is_not_a_permalink_and_reaches_gpodder_unchanged(
    feed, make_episode, parse_podcastparser
):
    episode = make_episode(1)
    xml = feed([episode])
    assert one(parse_xml(xml), "//item/guid").get("isPermaLink") == "false"
    assert parse_podcastparser(xml)["episodes"][0]["guid"] == episode.guid


def test_duplicate_guids_are_refused(feed, make_episode):
    with pytest.raises(FeedError, match="GUID"):
        feed([make_episode(1), make_episode(2, guid=make_episode(1).guid)])


def test_pubdate_is_rfc_2822(feed, make_episode):
    pub_date = one(parse_xml(feed([make_episode(1)])), "//item/pubDate").text
    assert parsedate_to_datetime(pub_date) == make_episode(1).pub_dt


def test_future_dated_episode_is_absent(feed, make_episode, now, parse_podcastparser):
    scheduled = make_episode(3, pub_dt=now + timedelta(minutes=1))
    xml = feed([make_episode(1), scheduled])
    assert scheduled.guid.encode() not in xml
    assert [e["guid"] for e in parse_podcastparser(xml)["episodes"]] == [make_episode(1).guid]


def test_episode_dated_exactly_now_is_published(feed, make_episode, now):
    assert make_episode(1).guid.encode() in feed([make_episode(1, pub_dt=now)])


def test_naive_datetimes_are_refused(feed, make_episode, now):
    with pytest.raises(FeedError, match="timezone"):
        feed([make_episode(1, pub_dt=now.replace(tzinfo=None))])


def test_item_description_is_cdata_within_4000_bytes(feed, make_episode):
    episode = make_episode(1, description_html="<p>" + "mot " * 1500 + "</p>")
    xml = feed([episode])
    description = one(parse_xml(xml), "//item/description").text
    assert len(description.encode()) <= 4000
    assert b"<description><![CDATA[<p>mot mot" in xml


def test_itunes_duration_is_whole_seconds(feed, make_episode):
    xml = feed([make_episode(1, duration_s=61.6)])
    assert one(parse_xml(xml), "//item/itunes:duration").text == "62"


def test_item_itunes_image_accepts_a_query_string(feed, make_episode):
    # feedgen's entry image raises on query strings (pitfall 3); cache-busting URLs are fine.
    url = "https://circuits-courts.example/media/ep1.png?v=2"
    image = one(parse_xml(feed([make_episode(1, image_url=url)])), "//item/itunes:image")
    assert image.get("href") == url


def test_item_season_and_episode_are_mirrored_in_both_namespaces(feed, make_episode):
    root = parse_xml(feed([make_episode(4, season=2, season_name="Édition 2026")]))
    assert one(root, "//item/itunes:season").text == "2"
    assert one(root, "//item/itunes:episode").text == "4"
    season = one(root, "//item/podcast:season")
    assert (season.text, season.get("name")) == ("2", "Édition 2026")
    assert one(root, "//item/podcast:episode").text == "4"


@pytest.mark.parametrize("field", ["season", "number"])
def test_zero_season_or_episode_is_refused(feed, make_episode, field):
    with pytest.raises(FeedError, match="positive"):
        feed([make_episode(1, **{field: 0})])


def test_item_episode_type(feed, make_episode):
    xml = feed([make_episode(1, episode_type="trailer")])
    assert one(parse_xml(xml), "//item/itunes:episodeType").text == "trailer"


def test_transcripts_are_offered_as_webvtt_and_srt(feed, make_episode):
    transcripts = (
        Transcript("https://circuits-courts.example/media/1.vtt", "text/vtt", "fr", "captions"),
        Transcript(
            "https://circuits-courts.example/media/1.srt", "application/x-subrip", "fr", "captions"
        ),
    )
    found = parse_xml(feed([make_episode(1, transcripts=transcripts)])).xpath(
        "//item/podcast:transcript", namespaces=NS
    )
    assert [(t.get("url"), t.get("type"), t.get("language"), t.get("rel")) for t in found] == [
        (t.url, t.mime, t.language, t.rel) for t in transcripts
    ]


def test_unknown_transcript_type_is_refused(feed, make_episode):
    transcript = Transcript("https://circuits-courts.example/media/1.doc", "application/msword")
    with pytest.raises(FeedError, match="transcript"):
        feed([make_episode(1, transcripts=(transcript,))])


def test_podcast_chapters_links_json_chapters(feed, make_episode, parse_podcastparser):
    url = "https://circuits-courts.example/media/1.chapters.json"
    xml = feed([make_episode(1, chapters_url=url)])
    chapters = one(parse_xml(xml), "//item/podcast:chapters")
    assert (chapters.get("url"), chapters.get("type")) == (url, "application/json+chapters")
    assert parse_podcastparser(xml)["episodes"][0]["chapters_json_url"] == url


def test_psc_chapters_use_npt_and_reach_gpodder_and_feedparser(
    feed, make_episode, parse_podcastparser
):
    chapters = (Chapter(0, "Ouverture"), Chapter(95.5, "Témoignage"), Chapter(3725, "Questions"))
    xml = feed([make_episode(1, chapters=chapters)])
    marks = parse_xml(xml).xpath("//item/psc:chapters[@version='1.2']/psc:chapter", namespaces=NS)
    assert [m.get("start") for m in marks] == ["00:00:00.000", "00:01:35.500", "01:02:05.000"]
    gpodder = parse_podcastparser(xml)["episodes"][0]["chapters"]
    assert [(c["start"], c["title"]) for c in gpodder] == [
        (0, "Ouverture"),
        (95, "Témoignage"),
        (3725, "Questions"),
    ]
    parsed = parse_feedparser(xml).entries[0].psc_chapters["chapters"]
    assert [c["start_parsed"].total_seconds() for c in parsed] == [0, 95.5, 3725]


def test_chapters_out_of_order_are_refused(feed, make_episode):
    with pytest.raises(FeedError, match="ascending"):
        feed([make_episode(1, chapters=(Chapter(60, "B"), Chapter(0, "A")))])


def test_format_npt_rounds_to_milliseconds():
    assert format_npt(59.9996) == "00:01:00.000"


def test_video_replay_is_an_alternate_enclosure_with_source(feed, make_episode):
    video = AlternateEnclosure(
        "https://circuits-courts.example/media/0001-720p.mp4",
        98_765_432,
        "video/mp4",
        height=720,
        bitrate=1_200_000,
        title="Vidéo 720p",
    )
    episode = make_episode(1, alternate_enclosures=(video,))
    found = parse_xml(feed([episode])).xpath("//item/podcast:alternateEnclosure", namespaces=NS)
    default, alternate = found
    assert default.get("default") == "true"
    assert default.xpath("podcast:source/@uri", namespaces=NS) == [episode.enclosure_url]
    assert (
        alternate.get("type"),
        alternate.get("length"),
        alternate.get("height"),
        alternate.get("bitrate"),
    ) == ("video/mp4", "98765432", "720", "1200000")
    assert alternate.xpath("podcast:source/@uri", namespaces=NS) == [video.url]


def test_item_persons_replace_the_channel_set(feed, make_episode):
    speaker = Person(
        "Lou Bernard", role="guest", href="https://circuits-courts.example/annuaire/lou"
    )
    xml = feed([make_episode(1, persons=(speaker,))])
    person = one(parse_xml(xml), "//item/podcast:person")
    assert (person.text, person.get("role"), person.get("href")) == (
        speaker.name,
        "guest",
        speaker.href,
    )


def test_episodic_items_are_newest_first(feed, make_episode):
    # feedgen prepends entries by default (pitfall 7); the builder orders them itself.
    titles = [
        t.text
        for t in parse_xml(feed([make_episode(2), make_episode(5), make_episode(3)])).xpath(
            "//item/title"
        )
    ]
    assert titles == ["Session 5", "Session 3", "Session 2"]


# Hostile input --------------------------------------------------------------------------------

HOSTILE_TITLE = "Prix & <marges> &eacute; ]]> \x0b 🥕🧺 " + "Circuits courts " * 30
HOSTILE_HTML = (
    "<p>Tom &amp; Jerry &eacute;tudient les <strong>prix</strong> 🥕 ]]> fin</p>"
    + "<p>"
    + "Lé<em>gu</em>mes & fruits, " * 250
    + "</p>"
)


def test_hostile_texts_still_build_a_well_formed_feed_within_apple_limits(
    feed, make_episode, parse_podcastparser
):
    assert len(HOSTILE_HTML.encode()) > 5000
    episode = make_episode(1, title=HOSTILE_TITLE, description_html=HOSTILE_HTML)
    xml = feed([episode], title=HOSTILE_TITLE, description_html=HOSTILE_HTML, author="A & B <c>")
    root = parse_xml(xml)
    for title in (one(root, "/rss/channel/title").text, one(root, "//item/title").text):
        assert 0 < len(title) <= 255
        assert title.startswith("Prix & <marges> &eacute; ]]> 🥕🧺")
        assert "\x0b" not in title
    for path in ("/rss/channel/description", "//item/description"):
        description = one(root, path).text
        assert len(description.encode()) <= 4000
        # nh3 repaired the cut fragment, resolving the HTML-only entity on the way.
        assert description.startswith("<p>Tom &amp; Jerry étudient")
        # Cut but still balanced HTML: re-serialising the fragment changes nothing.
        fragment = html.fragment_fromstring(description, create_parent="div")
        assert fragment[-1].tag == "p" and description.endswith("…</p>")
    gpodder = parse_podcastparser(xml)
    assert gpodder["title"] == one(root, "/rss/channel/title").text
    assert gpodder["episodes"][0]["title"].endswith("…")
    assert parse_feedparser(xml).entries[0].title == one(root, "//item/title").text
