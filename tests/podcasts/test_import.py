"""Importing a podcast from another host's RSS, served on loopback."""

import http.server
import io
import threading
import time
from functools import partial
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from lxml import etree
from PIL import Image

from app.auth.models import Role
from app.extensions import db
from app.podcasts import importer
from app.podcasts.models import FeedImport, Show

pytestmark = pytest.mark.ffmpeg
OLD_GUID = "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def source_feed(base: str, locked: str = "no") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
  <title>La ferme &amp; la ville</title>
  <link>https://ancien-hebergeur.example/ferme</link>
  <description><![CDATA[<p>Un podcast <b>ancien</b>.</p>]]></description>
  <language>fr</language>
  <itunes:author>Collectif Ferme</itunes:author>
  <itunes:image href="{base}/cover.png"/>
  <itunes:category text="Business"><itunes:category text="Entrepreneurship"/></itunes:category>
  <itunes:explicit>false</itunes:explicit>
  <podcast:guid>{OLD_GUID}</podcast:guid>
  <podcast:locked owner="x@example.org">{locked}</podcast:locked>
  <item>
    <title>Premier épisode</title>
    <guid isPermaLink="true">https://ancien-hebergeur.example/ferme/1</guid>
    <pubDate>Tue, 03 Mar 2026 08:00:00 +0000</pubDate>
    <enclosure url="{base}/audio/1.mp3" length="1" type="audio/mpeg"/>
    <itunes:episode>1</itunes:episode>
  </item>
  <item>
    <title>Deuxième épisode</title>
    <guid isPermaLink="false">ferme-ep-2</guid>
    <pubDate>Tue, 10 Mar 2026 08:00:00 +0000</pubDate>
    <enclosure url="{base}/audio/2.mp3" length="1" type="audio/mpeg"/>
    <itunes:episode>2</itunes:episode>
  </item>
</channel>
</rss>""".encode()


@pytest.fixture
def loopback(tmp_path, mp3_path):
    root = tmp_path / "www"
    (root / "audio").mkdir(parents=True)
    (root / "audio" / "1.mp3").write_bytes(mp3_path.read_bytes())
    (root / "audio" / "2.mp3").write_bytes(mp3_path.read_bytes())
    Image.new("RGB", (1600, 1600), (10, 90, 40)).save(root / "cover.png")
    handler = partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (root / "feed.xml").write_bytes(source_feed(base))
    (root / "locked.xml").write_bytes(source_feed(base, locked="yes"))
    yield base
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_import_keeps_guids_podcast_guid_artwork_and_exact_media(
    app, client, loopback, mp3_path, clock
):
    show = importer.import_feed(
        importer.fetch(f"{loopback}/feed.xml"), source_url=f"{loopback}/feed.xml", slug="ferme"
    )
    db.session.commit()
    assert show.podcast_guid == OLD_GUID
    assert show.apple_category == "Business" and show.apple_subcategory == "Entrepreneurship"
    assert show.imported_from == f"{loopback}/feed.xml"
    assert show.artwork_size == 1600
    feed = client.get("/feeds/ferme.xml").data
    root = etree.fromstring(feed)
    guids = [i.findtext("guid") for i in root.iter("item")]
    assert sorted(guids) == ["ferme-ep-2", "https://ancien-hebergeur.example/ferme/1"]
    assert root.find("channel/{https://podcastindex.org/namespace/1.0}guid").text == OLD_GUID
    for item in root.iter("item"):
        enclosure = item.find("enclosure")
        assert int(enclosure.get("length")) == mp3_path.stat().st_size
        head = client.head(urlsplit(enclosure.get("url")).path)
        assert int(head.headers["Content-Length"]) == mp3_path.stat().st_size
    art = root.find("channel/{http://www.itunes.com/dtds/podcast-1.0.dtd}image").get("href")
    image = Image.open(io.BytesIO(client.get(urlsplit(art).path).data))
    assert image.size == (1600, 1600)


def test_locked_feed_is_refused_unless_the_owner_confirms(app, loopback, clock):
    xml = importer.fetch(f"{loopback}/locked.xml")
    with pytest.raises(importer.LockedFeed):
        importer.import_feed(xml, source_url=f"{loopback}/locked.xml", slug="verrouille")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Show.id))) == 0
    show = importer.import_feed(
        xml, source_url=f"{loopback}/locked.xml", slug="verrouille", confirm_locked=True
    )
    assert len(show.episodes) == 2


@pytest.fixture
def worker(app):
    """A real Celery worker (memory broker, solo pool) consuming the long queue."""
    from celery.contrib.testing.worker import start_worker

    import workers.podcasts  # noqa: F401 - registers the tasks

    with start_worker(
        app.extensions["celery"], pool="solo", perform_ping_check=False, queues=["long"]
    ):
        yield


def wait_for_import(client, status_path: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(status_path + ".json").get_json()
        if status["finished"]:
            return status
        time.sleep(0.2)
    raise AssertionError(f"the import did not finish: {status}")


def test_locked_feed_is_refused_on_the_page_before_anything_is_queued(
    app, client, login_as, loopback, clock
):
    login_as(Role.ANIMATOR)
    locked = client.post("/ecouter/gestion/importer", data={"url": f"{loopback}/locked.xml"})
    assert locked.status_code == 200 and "podcast:locked" in locked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(FeedImport.id))) == 0
    garbage = client.post(
        "/ecouter/gestion/importer",
        data={"file": (io.BytesIO(b"<html></html>"), "feed.xml")},
        content_type="multipart/form-data",
    )
    assert garbage.status_code == 200 and "RSS" in garbage.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(FeedImport.id))) == 0


def test_the_import_page_queues_a_task_that_a_worker_runs(
    app, client, login_as, loopback, clock, worker
):
    login_as(Role.ANIMATOR)
    response = client.post(
        "/ecouter/gestion/importer",
        data={"url": f"{loopback}/locked.xml", "slug": "ferme-url", "confirm_locked": "y"},
    )
    assert response.status_code == 302
    status_path = urlsplit(response.headers["Location"]).path
    status = wait_for_import(client, status_path)
    assert status["state"] == "success" and status["errors"] == []
    assert status["done"] == status["total"] == status["imported"] == 2
    db.session.expire_all()
    show = db.session.scalar(sa.select(Show).where(Show.slug == "ferme-url"))
    assert show.podcast_guid == OLD_GUID and len(show.episodes) == 2
    assert status["show_url"].endswith("/ecouter/ferme-url/modifier")
    page = client.get(status_path).get_data(as_text=True)
    assert 'id="import-progress"' in page and "import.js" in page and "<script>" not in page
    script = client.get(urlsplit(page.split('<script src="')[1].split('"')[0]).path)
    assert script.status_code == 200 and b"import-progress" in script.data
    assert b"<item>" in client.get("/feeds/ferme-url.xml").data


def test_an_uploaded_file_is_stored_and_a_missing_enclosure_is_reported(
    app, client, login_as, loopback, clock, worker
):
    login_as(Role.ANIMATOR)
    broken = source_feed(loopback).replace(b"/audio/2.mp3", b"/audio/gone.mp3")
    response = client.post(
        "/ecouter/gestion/importer",
        data={
            "file": (io.BytesIO(broken), "feed.xml"),
            "slug": "ferme-fichier",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    status = wait_for_import(client, urlsplit(response.headers["Location"]).path)
    assert status["state"] == "success"
    assert status["done"] == status["total"] == 2 and status["imported"] == 1
    [error] = status["errors"]
    assert "Deuxième épisode" in error and "gone.mp3" in error
    db.session.expire_all()
    row = db.session.scalar(sa.select(FeedImport))
    assert row.source_url is None and row.file is not None  # the upload is kept
    show = db.session.scalar(sa.select(Show).where(Show.slug == "ferme-fichier"))
    assert [e.guid for e in show.episodes] == ["https://ancien-hebergeur.example/ferme/1"]


def test_import_status_is_for_animators_only(app, client, login_as, loopback, clock):
    from app.podcasts import importer as imp

    row = imp.create_import(url=f"{loopback}/feed.xml", slug="ferme-privee")
    db.session.commit()
    login_as(Role.LEARNER)
    assert client.get(f"/ecouter/gestion/importer/{row.id}.json").status_code == 403
    assert client.get(f"/ecouter/gestion/importer/{row.id}").status_code == 403


def test_garbage_is_refused_with_a_message(app):
    with pytest.raises(importer.ImportError_, match="RSS"):
        importer.parse_feed(b"<html><body>pas un flux</body></html>")
    with pytest.raises(importer.ImportError_, match="valide"):
        importer.parse_feed(b"<rss><channel><title>&eacute;</title></channel></rss>")


def test_import_through_the_media_pipeline(app, client, loopback, clock):
    from app.media import pipeline
    from app.media.models import ProcessingJob
    from app.media.tagging import read_tags

    show = importer.import_feed(
        importer.fetch(f"{loopback}/feed.xml"), slug="ferme-traitee", process=True
    )
    db.session.commit()
    # Nothing is listenable until the pipeline made the audio editions.
    assert client.get("/feeds/ferme-traitee.xml").data.count(b"<item>") == 0
    for job_id in db.session.scalars(sa.select(ProcessingJob.id)).all():
        pipeline.run_job(job_id)
    db.session.expire_all()
    feed = client.get("/feeds/ferme-traitee.xml").data
    root = etree.fromstring(feed)
    items = root.findall("channel/item")
    assert len(items) == 2
    assert {i.findtext("guid") for i in items} == {
        "ferme-ep-2",
        "https://ancien-hebergeur.example/ferme/1",
    }
    audio = client.get(urlsplit(items[0].find("enclosure").get("url")).path).data
    assert int(items[0].find("enclosure").get("length")) == len(audio)
    path = app.instance_path + "/served.mp3"
    with open(path, "wb") as fh:
        fh.write(audio)
    # The pipeline asked the podcast feature for the tag: the show's title and artwork.
    tags = read_tags(path)
    assert tags.album == show.title and tags.cover_size > 0


def test_a_recording_uploaded_for_a_show_becomes_a_draft_episode(
    app, client, make_show, mp3_path, clock
):
    from app.media import pipeline
    from app.media.jobs import create_job
    from app.media.models import AssetKind, MediaAsset
    from app.media.operations import store_file
    from app.podcasts import operations
    from app.podcasts.models import Episode

    show = make_show()
    with open(mp3_path, "rb") as fh:
        original = store_file(fh, "entretien.mp3", prefix="test/uploads", content_type="audio/mpeg")
    asset = MediaAsset(
        title="Entretien brut",
        kind=AssetKind.AUDIO,
        original=original,
        target=operations.upload_target(show),
    )
    db.session.add(asset)
    job = create_job(asset, "process")
    db.session.commit()
    pipeline.run_job(job.id)
    db.session.expire_all()
    episode = db.session.scalar(sa.select(Episode).where(Episode.show_id == show.id))
    assert episode.title == "Entretien brut" and episode.pub_dt is None  # a draft
    assert episode.audio is not None
    operations.schedule_episode(episode, clock.now)
    db.session.commit()
    assert episode.guid.encode() in client.get(f"/feeds/{show.slug}.xml").data
