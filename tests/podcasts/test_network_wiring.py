"""Podcasts plugged into the network: episodes on person pages (with the sessions they spoke
in), personal data download and account deletion revoking private feed tokens."""

import json
from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import Role
from app.core.db import utcnow
from app.courses import operations as courses
from app.extensions import db
from app.network.models import Person, Visibility
from app.podcasts import operations
from app.podcasts.models import FeedToken
from app.podcasts.network import episode_contributions
from tests.conftest import login


def _public_person(name="Léa Dupont", slug="lea-dupont") -> Person:
    person = Person(slug=slug, name=name, visibility=Visibility.PUBLIC, consent_dt=utcnow())
    db.session.add(person)
    db.session.commit()
    return person


def _course_with_speaker(person, title="Tarification sociale", published=True):
    course = courses.create_course(title=title, created_by=None)
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    session = courses.add_session(
        course, title="Le panier solidaire", start_dt=start, end_dt=start + timedelta(hours=1)
    )
    courses.add_speaker(session, person, "speaker")
    if published:
        courses.publish_course(course)
    db.session.commit()
    return course, session


def test_person_page_shows_their_sessions_and_episodes(client, make_show, publish, clock):
    person = _public_person()
    course, session = _course_with_speaker(person)
    show = make_show(title="Paroles de producteurs")
    publish(show, 1, title="Le prix juste", persons=[{"name": "Léa Dupont", "role": "guest"}])
    publish(
        show,
        2,
        title="Par son lien",
        persons=[{"name": "L. D.", "href": f"https://exemple.org/reseau/personnes/{person.slug}"}],
    )
    publish(show, 3, title="Sans elle", persons=[{"name": "Léa Durand", "role": "guest"}])
    draft = publish(show, 4, title="Pas encore sorti", persons=[{"name": "Léa Dupont"}])
    operations.schedule_episode(draft, clock.now + timedelta(days=3))
    gone = publish(show, 5, title="Retiré", persons=[{"name": "Léa Dupont"}])
    operations.delete_episode(gone)
    db.session.commit()

    response = client.get(f"/reseau/personnes/{person.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tarification sociale — Le panier solidaire" in page
    assert f"/se-former/{course.slug}/seances/{session.id}" in page
    assert "Paroles de producteurs — Le prix juste" in page
    assert "Par son lien" in page
    assert "Sans elle" not in page and "Pas encore sorti" not in page and "Retiré" not in page


def test_episodes_of_members_only_shows_stay_hidden_from_visitors(
    app, client, make_show, publish, make_user, clock
):
    person = _public_person()
    private = make_show(title="Coulisses", visibility="members")
    publish(private, 1, title="Réunion interne", persons=[{"name": "Léa Dupont"}])
    assert "Réunion interne" not in client.get(f"/reseau/personnes/{person.slug}").get_data(
        as_text=True
    )
    login(client, make_user(Role.CONTRIBUTOR))
    assert "Réunion interne" in client.get(f"/reseau/personnes/{person.slug}").get_data(
        as_text=True
    )


def test_contributions_take_constant_queries(app, make_show, publish, count_queries, clock):
    person = _public_person()
    shows = [make_show() for _ in range(3)]
    for i, show in enumerate(shows):
        for n in range(1, 4):
            publish(show, 10 * i + n, persons=[{"name": "Léa Dupont", "role": "host"}])
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    with app.test_request_context(), count_queries() as statements:
        items = episode_contributions(person)
    assert len(items) == 9
    assert all(item["date"].tzinfo is not None for item in items)
    assert len(statements) <= 3, statements  # episodes with shows, assets, renditions


def test_data_download_lists_feed_tokens_without_their_value(client, make_user):
    user = make_user(Role.LEARNER, email="sam@example.org")
    token, _row = operations.issue_feed_token(user)
    db.session.commit()
    login(client, user)
    response = client.get("/reseau/mes-donnees/export.json")
    assert response.status_code == 200
    data = json.loads(response.data)["podcasts"]
    [entry] = data["private_feed_tokens"]
    assert entry["created_dt"] and entry["revoked_dt"] is None
    assert token not in response.get_data(as_text=True)
    assert _row.token_hash not in response.get_data(as_text=True)


def test_deleting_the_account_revokes_feed_tokens(client, make_user, make_show, publish):
    user = make_user(Role.LEARNER, email="sam@example.org")
    token, _row = operations.issue_feed_token(user)
    db.session.commit()
    assert operations.get_feed_token(token) is not None
    login(client, user)
    response = client.post(
        "/reseau/mes-donnees/supprimer", data={"confirm_email": "sam@example.org"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert operations.get_feed_token(token) is None
    row = db.session.scalar(sa.select(FeedToken).where(FeedToken.user_id == user.id))
    assert row.revoked_dt is not None
