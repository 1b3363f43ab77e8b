"""JSON API: courses, sessions, my registrations, replay progress (GET/PUT)."""

from app.courses import operations
from app.extensions import db


def test_course_list_and_detail(client, make_course):
    course = make_course("Tarification sociale", sessions=3)
    make_course("Brouillon", published=False)
    listing = client.get("/api/courses/").get_json()
    assert listing["total"] == 1 and listing["courses"][0]["slug"] == course.slug
    assert listing["courses"][0]["display_state"] == "registration_open"
    detail = client.get(f"/api/courses/{course.slug}").get_json()
    assert [s["position"] for s in detail["sessions"]] == [1, 2, 3]
    assert "live_url" not in detail["sessions"][0]
    assert client.get(f"/api/courses/{course.slug}/sessions").status_code == 200
    assert client.get("/api/courses/brouillon").status_code == 404
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/courses/sessions/{session_id}/progress" in spec["paths"]


def test_my_registrations_and_progress(client, make_course, login_as, ready_asset):
    course = make_course(capacity=1)
    assert client.get("/api/courses/me/registrations").status_code == 401
    login_as()
    client.post(f"/se-former/{course.slug}/inscription")
    mine = client.get("/api/courses/me/registrations").get_json()
    assert [(r["course"]["slug"], r["status"]) for r in mine] == [(course.slug, "confirmed")]

    session = course.sessions[0]
    operations.attach_replay(session, ready_asset())
    operations.publish_replay(session)
    db.session.commit()
    url = f"/api/courses/sessions/{session.id}/progress"
    assert client.get(url).get_json()["position_s"] == 0
    saved = client.put(url, json={"position_s": 30.5, "duration_s": 60})
    assert saved.status_code == 200, saved.get_json()
    assert abs(saved.get_json()["watched_share"] - 30.5 / 60) < 1e-6
    client.put(url, json={"position_s": 10, "duration_s": 60})  # seeking back keeps the furthest
    state = client.get(url).get_json()
    assert state["position_s"] == 10 and abs(state["watched_share"] - 30.5 / 60) < 1e-6
    done = client.put(url, json={"position_s": 58, "duration_s": 60}).get_json()
    assert done["completed"] is True
    assert client.put(url, json={"position_s": -1}).status_code == 422
    assert client.put(url, json={}).status_code == 422
    assert len(client.get("/api/courses/me/progress").get_json()) == 1


def test_progress_respects_replay_access(client, make_course, login_as, ready_asset):
    course = make_course(replay_access="registered")
    session = course.sessions[0]
    operations.attach_replay(session, ready_asset())
    db.session.commit()
    login_as()
    url = f"/api/courses/sessions/{session.id}/progress"
    assert client.put(url, json={"position_s": 5}).status_code == 403
    client.post(f"/se-former/{course.slug}/inscription")
    assert client.put(url, json={"position_s": 5}).status_code == 200


def test_progress_put_requires_csrf_in_the_browser(app_factory, make_user):
    from tests.conftest import csrf_token_from

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        user = make_user()
        page = client.get("/compte/connexion").get_data(as_text=True)
        token = csrf_token_from(page)
        client.post(
            "/compte/connexion",
            data={"email": user.email, "password": "un-mot-de-passe-solide", "csrf_token": token},
        )
        response = client.put("/api/courses/sessions/1/progress", json={"position_s": 1})
        assert response.status_code == 400
