"""The podcast JSON API."""

import pytest

from app.auth.models import Role

pytestmark = pytest.mark.ffmpeg


def test_api_lists_shows_and_episodes(client, make_show, publish, clock):
    show = make_show()
    make_show(visibility="members")
    episode = publish(show)
    shows = client.get("/api/podcasts/shows").get_json()
    assert [s["slug"] for s in shows] == [show.slug]
    assert shows[0]["feed_url"].endswith(f"/feeds/{show.slug}.xml")
    episodes = client.get(f"/api/podcasts/shows/{show.slug}/episodes").get_json()
    assert episodes[0]["guid"] == episode.guid
    assert episodes[0]["enclosure_length"] == episode.audio.file.size
    assert "/api/podcasts/shows" in str(client.get("/api/openapi.json").get_json()["paths"])


def test_api_writes_need_an_animator(client, login_as, make_asset, clock):
    from app.extensions import db

    assert client.post("/api/podcasts/shows", json={"title": "X"}).status_code == 401
    login_as(Role.ANIMATOR)
    created = client.post("/api/podcasts/shows", json={"title": "Par l'API", "slug": "api"})
    assert created.status_code == 201, created.get_json()
    asset = make_asset()
    db.session.commit()
    episode = client.post(
        "/api/podcasts/shows/api/episodes", json={"title": "Premier", "asset_id": asset.id}
    )
    assert episode.status_code == 201, episode.get_json()
    assert client.get("/feeds/api.xml").data.count(b"<item>") == 1
    bad = client.post("/api/podcasts/shows/api/episodes", json={"title": "", "asset_id": 999})
    assert bad.status_code == 422
