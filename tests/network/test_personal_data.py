"""Personal data: consent with its date, "télécharger mes données", "supprimer mon compte"."""

import json

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.network import operations
from app.network.exchange_models import Follow, Post
from app.network.models import Person, Visibility
from tests.conftest import PASSWORD, csrf_token_from, login


def _profile_and_post(client, user):
    client.post("/reseau/mon-profil", data={
        "name": "Sam Leroy", "headline": "Épicier", "visibility": "public", "consent": "y",
        "public_email": "sam@epicerie.example.org",
    })
    client.post("/reseau/echanges/nouveau",
                data={"title": "Logiciel de caisse ?", "body": "Lequel utilisez-vous ?",
                      "theme": "0"})


def test_download_my_data_includes_profile_posts_and_registered_parts(client, make_user):
    user = make_user("learner", email="sam@example.org", display_name="Sam")
    login(client, user)
    _profile_and_post(client, user)

    def courses_part(u):
        return {"registrations": [{"course": "Tarification sociale", "state": "confirmed"}]}

    operations.register_personal_data_provider(courses_part)
    try:
        response = client.get("/reseau/mes-donnees/export.json")
    finally:
        operations.unregister_personal_data_provider(courses_part)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == "sam@example.org"
    assert data["directory_profile"]["headline"] == "Épicier"
    assert data["directory_profile"]["directory_consent_dt"]
    assert data["posts"][0]["body"] == "Lequel utilisez-vous ?"
    assert data["followed_threads"][0]["thread"] == "Logiciel de caisse ?"
    assert data["registrations"] == [{"course": "Tarification sociale", "state": "confirmed"}]
    client.post("/compte/deconnexion")
    assert client.get("/reseau/mes-donnees/export.json").status_code == 302  # to the login page


def test_delete_account_anonymises_and_keeps_contributions(app, client, make_user):
    app.config["NETWORK_APPROVE_POST_COUNT"] = 0
    user = make_user("learner", email="sam@example.org", display_name="Sam")
    login(client, user)
    _profile_and_post(client, user)
    person_id = operations.get_person_for_user(user).id
    handled = []

    def handler(u):
        handled.append(u.id)

    operations.register_account_deletion_handler(handler)
    try:
        page = client.get("/reseau/mes-donnees/supprimer").get_data(as_text=True)
        assert "définitive" in page
        wrong = client.post("/reseau/mes-donnees/supprimer",
                            data={"confirm_email": "autre@example.org"})
        assert wrong.status_code == 200
        assert "pas celle de votre compte" in wrong.get_data(as_text=True)
        response = client.post("/reseau/mes-donnees/supprimer",
                               data={"confirm_email": "sam@example.org"})
    finally:
        operations.unregister_account_deletion_handler(handler)
    assert response.status_code == 302
    assert handled == [user.id]
    db.session.expire_all()
    account = db.session.get(User, user.id)
    assert account.email != "sam@example.org" and not account.is_enabled
    assert account.password_hash is None and account.display_name == "Compte supprimé"
    person = db.session.get(Person, person_id)
    assert person.user_id is None and person.visibility == Visibility.HIDDEN
    assert person.public_email == "" and person.name != "Sam Leroy"
    post = db.session.scalar(sa.select(Post))
    assert post.body == "Lequel utilisez-vous ?"  # the contribution stays
    assert db.session.scalar(sa.select(sa.func.count(Follow.id))) == 0
    page = client.get(f"/reseau/echanges/{post.thread_id}").get_data(as_text=True)
    assert "Compte supprimé" in page and "Sam" not in page
    assert client.post("/compte/connexion",
                       data={"email": "sam@example.org", "password": PASSWORD}).status_code == 200


def test_delete_account_needs_csrf(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user("learner", email="sam@example.org")
        client = app.test_client()
        token = csrf_token_from(client.get("/compte/connexion").get_data(as_text=True))
        client.post("/compte/connexion",
                    data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        response = client.post("/reseau/mes-donnees/supprimer",
                               data={"confirm_email": "sam@example.org"})
        assert response.status_code == 400
        db.session.expire_all()
        assert db.session.get(User, user.id).is_enabled


def test_withdrawing_consent_makes_the_profile_members_only(client, make_user):
    user = make_user("learner")
    login(client, user)
    _profile_and_post(client, user)
    person = operations.get_person_for_user(user)
    page = client.get("/reseau/mes-donnees").get_data(as_text=True)
    assert "Vous avez accepté de figurer dans l'annuaire le" in page
    client.post("/reseau/mes-donnees/consentement")
    client.post("/compte/deconnexion")
    assert client.get(f"/reseau/personnes/{person.slug}").status_code == 404
