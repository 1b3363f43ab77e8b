"""Feed serving: every feed kind parses with real parsers and meets the checklist."""

import email.utils
import gzip
import io
import json
from datetime import timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree
from PIL import Image

from app.auth.models import Role
from app.extensions import db
from app.media.tagging import read_tags
from app.podcasts import operations
from feeds.podcast import ITUNES_NS, PODCAST_NS
from tests.podcasts.conftest import CHAPTERS, T0, ffprobe_duration

pytestmark = pytest.mark.ffmpeg
NS = {
    "itunes": ITUNES_NS,
    "podcast": PODCAST_NS,
    "atom": "http://www.w3.org/2005/Atom",
    "psc": "http://podlove.org/simple-chapters",
}


def path_of(url: str) -> str:
    return urlsplit(url).path


def get_feed(client, url, **headers):
    response = client.get(path_of(url), headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def check_checklist(client, xml: bytes, *, private: bool = False):
    """The reference's §2 assertions that apply to every feed kind."""
    root = etree.fromstring(xml)
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert root.nsmap["itunes"] == ITUNES_NS and root.nsmap["podcast"] == PODCAST_NS
    channel = root.find("channel")
    assert 0 < len(channel.findtext("title")) <= 255
    assert len(channel.findtext("description").encode()) <= 4000
    assert channel.findtext("language") in ("fr", "en", "fr-fr")
    assert channel.find("itunes:explicit", NS).text in ("true", "false")
    assert channel.find("itunes:category", NS).get("text")
    image_url = channel.find("itunes:image", NS).get("href")
    assert image_url.endswith(".jpg")
    head = client.head(path_of(image_url))
    assert head.status_code == 200
    image = Image.open(io.BytesIO(client.get(path_of(image_url)).data))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size[0] == image.size[1] and 1400 <= image.size[0] <= 3000
    self_link = channel.find("atom:link[@rel='self']", NS)
    assert self_link.get("type") == "application/rss+xml"
    assert channel.findtext("link") != self_link.get("href")
    guids = [item.findtext("guid") for item in channel.findall("item")]
    assert len(guids) == len(set(guids))
    for item in channel.findall("item"):
        assert item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("title")
        enclosure = item.find("enclosure")
        url, length = enclosure.get("url"), int(enclosure.get("length"))
        assert enclosure.get("type") == "audio/mpeg" and path_of(url).endswith(".mp3")
        head = client.head(path_of(url))
        assert head.status_code == 200
        assert int(head.headers["Content-Length"]) == length
        pub = email.utils.parsedate_to_datetime(item.findtext("pubDate"))
        assert pub is not None
        assert item.find("itunes:duration", NS).text.isdigit()
    blocked = channel.find("itunes:block", NS)
    if private:
        assert blocked is not None and blocked.text == "Yes"
        assert channel.find("podcast:block", NS).text == "yes"
        assert channel.find("itunes:owner", NS) is None
        assert channel.find("podcast:locked", NS).get("owner") is None
    return root


def test_public_show_feed_parses_everywhere_and_meets_the_checklist(
    app, client, make_show, publish, parse_podcastparser, clock
):
    show = make_show(owner_name="OFF", owner_email="podcast@openfoodfrance.org")
    first, second = publish(show, 1), publish(show, 2)
    response = get_feed(client, operations.public_feed_url(show.slug))
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    xml = response.data
    root = check_checklist(client, xml)
    assert root.find("channel/podcast:guid", NS).text == show.podcast_guid
    parsed = parse_podcastparser(xml, operations.public_feed_url(show.slug))
    assert {e["guid"] for e in parsed["episodes"]} == {first.guid, second.guid}
    for episode in parsed["episodes"]:
        assert episode["enclosures"][0]["mime_type"] == "audio/mpeg"
        assert episode["enclosures"][0]["file_size"] == first.audio.file.size
        assert [c["title"] for c in episode["chapters"]] == [c.title for c in CHAPTERS]
        assert episode["transcript_url"]
    fp = feedparser.parse(xml)
    assert not fp.bozo, fp.get("bozo_exception")
    assert len(fp.entries) == 2 and fp.feed.title == show.title


def test_enclosure_length_equals_head_and_stored_size(app, client, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    root = etree.fromstring(get_feed(client, operations.public_feed_url(show.slug)).data)
    enclosure = root.find("channel/item/enclosure")
    head = client.head(path_of(enclosure.get("url")))
    assert (
        int(enclosure.get("length"))
        == int(head.headers["Content-Length"])
        == episode.audio.file.size
    )
    assert head.headers["Accept-Ranges"] == "bytes"


def test_itunes_duration_is_within_one_second_of_ffprobe(
    app, client, make_show, publish, clock, mp3_path
):
    show = make_show()
    publish(show)
    root = etree.fromstring(get_feed(client, operations.public_feed_url(show.slug)).data)
    duration = int(root.find("channel/item/itunes:duration", NS).text)
    assert abs(duration - ffprobe_duration(mp3_path)) <= 1


def test_byte_range_requests_answer_206_and_416(app, client, make_show, publish, clock):
    show = make_show()
    episode = publish(show)
    root = etree.fromstring(get_feed(client, operations.public_feed_url(show.slug)).data)
    url = path_of(root.find("channel/item/enclosure").get("url"))
    size = episode.audio.file.size
    probe = client.get(url, headers={"Range": "bytes=0-1"})
    assert probe.status_code == 206
    assert probe.headers["Content-Range"] == f"bytes 0-1/{size}"
    assert len(probe.data) == 2
    past = client.get(url, headers={"Range": f"bytes={size + 10}-"})
    assert past.status_code == 416
    assert past.headers["Content-Range"] == f"bytes */{size}"


def test_feed_answers_304_to_etag_and_last_modified_and_head(
    app, client, make_show, publish, clock
):
    show = make_show()
    publish(show)
    url = path_of(operations.public_feed_url(show.slug))
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    since = first.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": since}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == len(first.data)


def test_feed_is_gzipped_when_accepted(app, client, make_show, publish, clock):
    show = make_show()
    publish(show)
    url = path_of(operations.public_feed_url(show.slug))
    plain = client.get(url).data
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain
    assert zipped.headers["ETag"] != client.get(url).headers["ETag"]


def test_feed_is_rebuilt_only_when_something_changed(
    app, client, make_show, publish, clock, count_queries
):
    show = make_show()
    publish(show, 1)
    url = path_of(operations.public_feed_url(show.slug))
    first = client.get(url)
    with count_queries() as cold_again:
        assert client.get(url).data == first.data
    # A cached answer costs the show lookup and the stamp query only.
    assert len(cold_again) == 2
    episode = publish(show, 2)
    changed = client.get(url)
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert episode.guid.encode() in changed.data
    operations.update_show(db.session.merge(show), title="Nouveau titre")
    db.session.commit()
    assert b"Nouveau titre" in client.get(url).data


def test_sql_queries_per_feed_request_do_not_grow_with_episodes(
    app, client, make_show, make_asset, clock, count_queries
):
    counts = {}
    for total in (10, 200):
        show = make_show()
        asset = make_asset(transcripts=False)
        for n in range(1, total + 1):
            operations.publish_episode(
                show,
                title=f"Épisode {n}",
                asset=asset,
                pub_dt=T0 + timedelta(minutes=n),
                source=("n", n),
                now=T0,
            )
        db.session.commit()
        url = path_of(operations.public_feed_url(show.slug))
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.data.count(b"<item>") == total
        counts[total] = len(queries)
    assert counts[10] == counts[200], counts


def test_course_feed_is_serial_medium_course(
    app, client, make_show, publish, parse_podcastparser, clock
):
    show = make_show(kind="course", course_id=42, title="Tarification sociale")
    publish(show, 2, pub_dt=T0 + timedelta(days=1), season=1, season_name="Printemps 2026")
    publish(show, 1, pub_dt=T0 + timedelta(days=3), season=1, season_name="Printemps 2026")
    xml = get_feed(client, operations.public_feed_url(show.slug)).data
    root = check_checklist(client, xml)
    channel = root.find("channel")
    assert channel.find("podcast:medium", NS).text == "course"
    assert channel.find("itunes:type", NS).text == "serial"
    assert channel.find("itunes:category", NS).get("text") == "Education"
    numbers = [int(i.find("itunes:episode", NS).text) for i in channel.findall("item")]
    assert numbers == [1, 2]
    assert channel.find("item/podcast:season", NS).get("name") == "Printemps 2026"
    parsed = parse_podcastparser(xml, operations.public_feed_url(show.slug))
    assert [e["number"] for e in parsed["episodes"]] == [1, 2]
    assert not feedparser.parse(xml).bozo


def test_guides_feed_discloses_synthetic_voices(
    app, client, make_show, publish, parse_podcastparser, clock
):
    show = make_show(
        kind="guides", title="Guides audio", apple_category="Education", apple_subcategory="How To"
    )
    publish(show, 1)
    xml = get_feed(client, operations.public_feed_url(show.slug)).data
    root = check_checklist(client, xml)
    assert root.find("channel/podcast:txt", NS).get("purpose") == "ai-content"
    assert root.find("channel/item/podcast:txt", NS).text == "true"
    assert parse_podcastparser(xml, operations.public_feed_url(show.slug))["episodes"]
    assert not feedparser.parse(xml).bozo


def _private_url(show, token):
    return f"/feeds/private/{token}/{show.slug}.xml"


def test_private_feeds_are_blocked_tokenised_and_never_shared(
    app, client, make_show, publish, make_user, parse_podcastparser, clock
):
    show = make_show(visibility="members", owner_name="OFF", owner_email="podcast@off.org")
    publish(show, 1)
    alice, bob = make_user(Role.CONTRIBUTOR), make_user(Role.ANIMATOR)
    token_a, _ = operations.issue_feed_token(alice)
    token_b, _ = operations.issue_feed_token(bob)
    db.session.commit()
    xml_a = get_feed(client, _private_url(show, token_a)).data
    xml_b = get_feed(client, _private_url(show, token_b)).data
    root = check_checklist(client, xml_a, private=True)
    check_checklist(client, xml_b, private=True)
    assert token_b.encode() not in xml_a and token_a.encode() not in xml_b
    for item in root.findall("channel/item"):
        assert token_a in item.find("enclosure").get("url")
        for tag in item.findall("podcast:transcript", NS) + item.findall("podcast:chapters", NS):
            assert token_a in tag.get("url")
    assert (
        root.find("channel/atom:link[@rel='self']", NS)
        .get("href")
        .endswith(_private_url(show, token_a))
    )
    assert b"podcast@off.org" not in xml_a
    assert parse_podcastparser(xml_a, "http://localhost" + _private_url(show, token_a))["episodes"]
    assert not feedparser.parse(xml_a).bozo
    # The public URL of a members-only show does not exist.
    assert client.get(f"/feeds/{show.slug}.xml").status_code == 404


def test_revoked_or_wrong_tokens_are_refused_cheaply(
    app, client, make_show, publish, make_user, clock, count_queries
):
    show = make_show(visibility="registered")
    publish(show, 1)
    user = make_user(Role.LEARNER)
    token, _ = operations.issue_feed_token(user)
    db.session.commit()
    feed = get_feed(client, _private_url(show, token)).data
    enclosure = path_of(etree.fromstring(feed).find("channel/item/enclosure").get("url"))
    operations.revoke_feed_tokens(db.session.merge(user))
    db.session.commit()
    assert client.get(_private_url(show, token)).status_code == 404
    assert client.get(enclosure).status_code == 404
    with count_queries() as queries:
        assert client.get(_private_url(show, "pf_" + "x" * 43)).status_code == 404
    assert len(queries) == 1
    # A learner's token does not open a members-only show.
    members = make_show(visibility="members")
    publish(members, 7)
    fresh, _ = operations.issue_feed_token(db.session.merge(user))
    db.session.commit()
    assert client.get(_private_url(members, fresh)).status_code == 404
    assert client.get(_private_url(show, fresh)).status_code == 200


def test_chapters_json_equals_the_id3_chap_ctoc_frames(
    app, client, make_show, publish, clock, tmp_path
):
    show = make_show()
    publish(show)
    root = etree.fromstring(get_feed(client, operations.public_feed_url(show.slug)).data)
    item = root.find("channel/item")
    chapters_tag = item.find("podcast:chapters", NS)
    assert chapters_tag.get("type") == "application/json+chapters"
    response = client.get(path_of(chapters_tag.get("url")))
    assert response.headers["Content-Type"] == "application/json+chapters"
    document = json.loads(response.data)
    assert document["version"].startswith("1.2")
    starts = [c["startTime"] for c in document["chapters"]]
    assert starts == sorted(starts) and starts[-1] < float(item.find("itunes:duration", NS).text)
    audio = tmp_path / "served.mp3"
    audio.write_bytes(client.get(path_of(item.find("enclosure").get("url"))).data)
    frames = read_tags(audio).chapters
    assert [(round(c.start, 3), c.title) for c in frames] == [
        (c["startTime"], c["title"]) for c in document["chapters"]
    ]
    assert [round(c.end, 3) for c in frames] == [c["endTime"] for c in document["chapters"]]


def test_transcripts_are_served_as_webvtt_and_srt(app, client, make_show, publish, clock):
    show = make_show()
    publish(show)
    root = etree.fromstring(get_feed(client, operations.public_feed_url(show.slug)).data)
    tags = root.findall("channel/item/podcast:transcript", NS)
    assert {t.get("type") for t in tags} == {"text/vtt", "application/x-subrip"}
    for tag in tags:
        response = client.get(path_of(tag.get("url")))
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(tag.get("type"))
        assert "circuits courts" in response.get_data(as_text=True)


HOSTILE = "Pain & fromage <b>bio</b> &eacute; ]]> 🥕🧀 " + "é" * 2500


def test_hostile_texts_still_give_well_formed_feeds(
    app, client, make_show, publish, parse_podcastparser, clock
):
    show = make_show(title="Circuits & <courts> &amp; 🥕", description=HOSTILE)
    publish(show, 1, title="Q&A <script>alert(1)</script> 🧀 &nbsp;", description=HOSTILE * 2)
    xml = get_feed(client, operations.public_feed_url(show.slug)).data
    root = check_checklist(client, xml)
    assert "<script>" not in root.find("channel/item/description").text
    assert root.find("channel/item/title").text.startswith("Q&A <script>")
    assert len(root.find("channel/item/description").text.encode()) <= 4000
    assert parse_podcastparser(xml, operations.public_feed_url(show.slug))["episodes"]
    assert not feedparser.parse(xml).bozo


def test_unready_and_future_episodes_never_appear(
    app, client, make_show, publish, make_asset, clock
):
    show = make_show()
    ready = publish(show, 1)
    unready = publish(show, 2, asset=make_asset(ready=False))
    future = publish(show, 3, pub_dt=clock.now + timedelta(days=2))
    url = path_of(operations.public_feed_url(show.slug))
    xml = client.get(url).data
    assert ready.guid.encode() in xml
    assert unready.guid.encode() not in xml and future.guid.encode() not in xml
    assert client.get(f"/ecouter/{show.slug}/{unready.id}").status_code == 404
    clock.now += timedelta(days=3)
    assert future.guid.encode() in client.get(url).data


def test_deleted_episode_leaves_the_feed_but_keeps_its_guid(app, client, make_show, publish, clock):
    show = make_show()
    episode = publish(show, 1)
    url = path_of(operations.public_feed_url(show.slug))
    audio_url = path_of(
        etree.fromstring(client.get(url).data).find("channel/item/enclosure").get("url")
    )
    operations.delete_episode(episode)
    db.session.commit()
    assert episode.guid.encode() not in client.get(url).data
    assert client.get(audio_url).status_code == 404
    again = operations.publish_episode(show, title="Autre", guid=episode.guid)
    assert again.id == episode.id and again.deleted_dt is not None
    other = make_show()
    with pytest.raises(operations.PodcastError):
        operations.publish_episode(other, title="Vol de GUID", guid=episode.guid)


def test_a_re_encode_gets_a_new_url_and_keeps_the_guid(
    app, client, make_show, publish, make_asset, clock
):
    show = make_show()
    episode = publish(show, 1)
    url = path_of(operations.public_feed_url(show.slug))
    before = etree.fromstring(client.get(url).data).find("channel/item")
    again = operations.publish_episode(
        show, title="Épisode 1 (remasterisé)", asset=make_asset(), source=("test", 1), number=1
    )
    db.session.commit()
    after = etree.fromstring(client.get(url).data).find("channel/item")
    assert again.id == episode.id
    assert before.findtext("guid") == after.findtext("guid") == episode.guid
    assert before.find("enclosure").get("url") != after.find("enclosure").get("url")
    # The old URL still serves the old bytes: a published URL never changes content.
    assert client.head(path_of(before.find("enclosure").get("url"))).status_code == 200


def test_guid_seed_gives_the_same_guid_on_regeneration(app, make_show, make_asset):
    show = make_show()
    first = operations.publish_episode(show, title="Guide", guid_seed="guide-7", asset=make_asset())
    assert first.guid == operations.episode_guid(show, "guide-7")
    second = operations.publish_episode(show, title="Guide v2", guid_seed="guide-7")
    assert second.id == first.id


def test_opml_lists_public_shows_only(app, client, make_show, clock):
    public = make_show(title="Publique")
    hidden = make_show(title="Réservée", visibility="members")
    response = client.get("/feeds/shows.opml")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    urls = [o.get("xmlUrl") for o in root.iter("outline")]
    assert urls == [operations.public_feed_url(public.slug)]
    assert hidden.slug not in response.get_data(as_text=True)


def test_a_fresh_stamp_is_trusted_for_a_few_seconds(
    app, client, make_show, publish, clock, count_queries
):
    app.extensions["podcasts"]["feed_cache"].stamp_ttl_s = 5
    show = make_show()
    publish(show, 1)
    url = path_of(operations.public_feed_url(show.slug))
    client.get(url)
    with count_queries() as queries:
        client.get(url)
    assert len(queries) == 1  # the show lookup only
    later = publish(show, 2)
    assert later.guid.encode() not in client.get(url).data
    clock.now += timedelta(seconds=6)
    assert later.guid.encode() in client.get(url).data


def test_video_replay_is_offered_as_an_alternate_enclosure(
    app, client, make_show, publish, make_asset, clock, tmp_path
):
    import subprocess

    from app.media.models import Rendition, RenditionKind
    from app.media.operations import store_file

    video = tmp_path / "replay.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x180:rate=10",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=2",
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(video),
        ],
        check=True,
    )
    asset = make_asset()
    with open(video, "rb") as fh:
        stored = store_file(fh, "replay.mp4", prefix="test/video", content_type="video/mp4")
    asset.renditions.append(Rendition(kind=RenditionKind.WEB_VIDEO, file=stored, height=180))
    show = make_show(kind="course", course_id=7)
    publish(show, 1, asset=asset)
    root = etree.fromstring(client.get(f"/feeds/{show.slug}.xml").data)
    alternates = root.findall("channel/item/podcast:alternateEnclosure", NS)
    assert [a.get("type") for a in alternates] == ["audio/mpeg", "video/mp4"]
    source = alternates[1].find("podcast:source", NS).get("uri")
    assert source.endswith(".mp4")
    head = client.head(path_of(source))
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == stored.size
    assert int(alternates[1].get("length")) == stored.size
    # Video requests are not counted as audio downloads.
    client.get(path_of(source), headers={"User-Agent": "AntennaPod/3"})
    from app.podcasts import counting

    assert counting.downloads_count(show_id=show.id) == 0
